//! The Hub API through its router (`tower::ServiceExt::oneshot`, no socket), on SQLite with a clock the tests
//! move: sign-in and its limits, cookies, sessions, CSRF and Origin refusals, roles, links, last-admin rules.

use crate::api::{router, HubConfig, HubState};
use crate::clock::ManualClock;
use crate::hooks::NoHook;
use crate::model::{LinkPurpose, Role};
use crate::store::testing::{fresh_store, TestBackend};
use crate::workspace::{Actor, Workspace};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::Duration;
use http_body_util::BodyExt as _;
use rill_core::secret::Secret;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt as _;

const ANN_PASSWORD: &str = "ann's long password";
const BEA_PASSWORD: &str = "bea's long password";

struct Hub {
    router: Router,
    clock: Arc<ManualClock>,
    workspace: Workspace,
    _directory: tempfile::TempDir,
}

/// A signed-in browser: its cookie and CSRF token.
#[derive(Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// A Hub with an admin (ann) and a member (bea), both with passwords.
async fn hub_with(config: HubConfig) -> Hub {
    let (directory, store) = fresh_store(TestBackend::Sqlite).await;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let workspace = Workspace { store, clock: clock.clone(), hooks: Arc::new(NoHook) };
    for (email, role, password) in
        [("ann@example.com", Role::Admin, ANN_PASSWORD), ("bea@example.com", Role::Member, BEA_PASSWORD)]
    {
        let password = Some(Secret::new(password));
        workspace.add_member(&Actor::Operator, email, email, role, password).await.unwrap();
    }
    let router = router(HubState::new(workspace.clone(), config));
    Hub { router, clock, workspace, _directory: directory }
}

async fn hub() -> Hub {
    hub_with(HubConfig::default()).await
}

impl Hub {
    async fn send(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(path).header("host", "hub.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        let peer: SocketAddr = headers
            .iter()
            .find(|(name, _)| *name == "test-peer")
            .map_or("10.0.0.1:5000", |(_, value)| *value)
            .parse()
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Answer { status: parts.status, headers: parts.headers, body }
    }

    /// A call as `browser`, with its cookie and CSRF token.
    async fn call(&self, browser: &Browser, method: Method, path: &str, body: Option<Value>) -> Answer {
        let headers = [("cookie", browser.cookie.as_str()), ("x-csrf-token", browser.csrf.as_str())];
        self.send(method, path, body, &headers).await
    }

    async fn try_sign_in(&self, email: &str, password: &str, peer: &str) -> Answer {
        let body = json!({"email": email, "password": password});
        self.send(Method::POST, "/hub/api/auth/sign-in", Some(body), &[("test-peer", peer)]).await
    }

    async fn sign_in(&self, email: &str, password: &str) -> Browser {
        let answer = self.try_sign_in(email, password, "10.0.0.1:5000").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        browser(&answer)
    }

    async fn member_id(&self, email: &str) -> String {
        self.workspace.store.member_by_email(email).await.unwrap().unwrap().id
    }
}

fn browser(answer: &Answer) -> Browser {
    let set_cookie = answer.headers["set-cookie"].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    Browser { cookie, csrf: answer.body["csrf_token"].as_str().unwrap().to_owned() }
}

fn token_of(url: &str) -> String {
    url.split_once("#token=").unwrap().1.to_owned()
}

#[tokio::test]
async fn sign_in_sets_a_session_cookie_and_answers_the_member() {
    let hub = hub().await;
    let answer = hub.try_sign_in("ANN@example.com", ANN_PASSWORD, "10.0.0.1:1").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(attributes, ["HttpOnly", "SameSite=Lax", "Path=/hub", "Max-Age=604800"]);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.body["member"]["email"], "ann@example.com");
    assert_eq!(answer.body["member"]["role"], "admin");
    let keys: Vec<&String> = answer.body["member"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "email", "name", "role", "has_password", "created_at"], "no hash in a member");
    assert_eq!(answer.body["csrf_token"].as_str().unwrap().len(), 43);
    let me = hub.call(&browser(&answer), Method::GET, "/hub/api/auth/me", None).await;
    assert_eq!((me.status, me.body["member"]["email"].as_str()), (StatusCode::OK, Some("ann@example.com")));
    assert_eq!(me.body["csrf_token"], answer.body["csrf_token"]);
    assert!(!me.body.to_string().contains("argon2"));
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure() {
    let hub = hub_with(HubConfig { secure_cookies: true, ..HubConfig::default() }).await;
    let answer = hub.try_sign_in("ann@example.com", ANN_PASSWORD, "10.0.0.1:1").await;
    assert!(answer.headers["set-cookie"].to_str().unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_fail_alike() {
    let hub = hub().await;
    let wrong = hub.try_sign_in("ann@example.com", "not the password", "10.0.0.1:1").await;
    let unknown = hub.try_sign_in("nobody@example.com", ANN_PASSWORD, "10.0.0.1:1").await;
    for answer in [&wrong, &unknown] {
        assert_eq!((answer.status, answer.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
        assert!(answer.headers.get("set-cookie").is_none());
    }
    assert_eq!(wrong.body, unknown.body);
    let malformed = hub.send(Method::POST, "/hub/api/auth/sign-in", Some(json!({"email": 1})), &[]).await;
    assert_eq!((malformed.status, malformed.code()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let unsigned = hub.send(Method::GET, "/hub/api/auth/me", None, &[]).await;
    assert_eq!((unsigned.status, unsigned.code()), (StatusCode::UNAUTHORIZED, "not_signed_in"));
}

#[tokio::test]
async fn an_account_is_held_after_five_failures_and_a_success_clears_it() {
    let hub = hub().await;
    for attempt in 0..4 {
        let peer = format!("10.0.1.{attempt}:1");
        assert_eq!(hub.try_sign_in("ann@example.com", "wrong", &peer).await.status, StatusCode::UNAUTHORIZED);
    }
    hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    for attempt in 0..5 {
        let peer = format!("10.0.2.{attempt}:1");
        assert_eq!(hub.try_sign_in("ann@example.com", "wrong", &peer).await.status, StatusCode::UNAUTHORIZED);
    }
    let held = hub.try_sign_in("ann@example.com", ANN_PASSWORD, "10.0.3.1:1").await;
    assert_eq!((held.status, held.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    let retry_after: i64 = held.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((899..=901).contains(&retry_after), "{retry_after}");
    assert_eq!(hub.try_sign_in("bea@example.com", BEA_PASSWORD, "10.0.3.1:1").await.status, StatusCode::OK);
    hub.clock.advance(Duration::minutes(15));
    assert_eq!(hub.try_sign_in("ann@example.com", ANN_PASSWORD, "10.0.3.1:1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_address_is_held_after_twenty_failures() {
    let hub = hub().await;
    for attempt in 0..20 {
        let email = format!("guess{attempt}@example.com");
        assert_eq!(hub.try_sign_in(&email, "wrong", "10.9.9.9:1").await.status, StatusCode::UNAUTHORIZED);
    }
    let held = hub.try_sign_in("bea@example.com", BEA_PASSWORD, "10.9.9.9:2").await;
    assert_eq!((held.status, held.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    assert!(held.headers.contains_key("retry-after"));
    assert_eq!(hub.try_sign_in("bea@example.com", BEA_PASSWORD, "10.9.9.10:1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_end_after_twelve_idle_hours_and_at_sign_out() {
    let hub = hub().await;
    let first = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let second = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let out = hub.call(&first, Method::POST, "/hub/api/auth/sign-out", None).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(hub.call(&first, Method::GET, "/hub/api/auth/me", None).await.code(), "not_signed_in");
    assert_eq!(hub.call(&second, Method::GET, "/hub/api/auth/me", None).await.status, StatusCode::OK);
    hub.clock.advance(Duration::hours(12));
    assert_eq!(hub.call(&second, Method::GET, "/hub/api/auth/me", None).await.code(), "not_signed_in");
}

#[tokio::test]
async fn a_session_in_use_slides_until_seven_days() {
    let hub = hub().await;
    let busy = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let me = |browser: &Browser| {
        let browser = browser.clone();
        let hub = &hub;
        async move { hub.call(&browser, Method::GET, "/hub/api/auth/me", None).await.status }
    };
    // Used at 7 h (less than half of 12 h left), it lasts until 19 h: still there at 18 h.
    hub.clock.advance(Duration::hours(7));
    assert_eq!(me(&busy).await, StatusCode::OK);
    hub.clock.advance(Duration::hours(11));
    assert_eq!(me(&busy).await, StatusCode::OK, "the use at 7 h moved the expiry");
    // Used every 11 hours it lives on, but not past 7 days from sign-in.
    let mut elapsed = Duration::hours(18);
    while elapsed + Duration::hours(11) < Duration::days(7) {
        hub.clock.advance(Duration::hours(11));
        elapsed += Duration::hours(11);
        assert_eq!(me(&busy).await, StatusCode::OK, "at {elapsed}");
    }
    hub.clock.advance(Duration::days(7) - elapsed);
    assert_eq!(me(&busy).await, StatusCode::UNAUTHORIZED, "seven days after sign-in it ends");
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_a_same_site_origin() {
    let hub = hub().await;
    let ann = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let project = json!({"name": "Apollo", "member_ids": []});
    let missing = hub.send(Method::POST, "/hub/api/projects", Some(project.clone()), &[("cookie", &ann.cookie)]).await;
    assert_eq!((missing.status, missing.code()), (StatusCode::FORBIDDEN, "csrf"));
    let wrong = Browser { csrf: "x".repeat(43), ..ann.clone() };
    assert_eq!(hub.call(&wrong, Method::POST, "/hub/api/projects", Some(project.clone())).await.code(), "csrf");
    let out = hub.send(Method::POST, "/hub/api/auth/sign-out", None, &[("cookie", &ann.cookie)]).await;
    assert_eq!(out.code(), "csrf", "signing out is a state change too");
    let headers =
        [("cookie", ann.cookie.as_str()), ("x-csrf-token", ann.csrf.as_str()), ("origin", "https://evil.test")];
    let cross = hub.send(Method::POST, "/hub/api/projects", Some(project.clone()), &headers).await;
    assert_eq!((cross.status, cross.code()), (StatusCode::FORBIDDEN, "cross_origin"));
    let sign_in = json!({"email": "ann@example.com", "password": ANN_PASSWORD});
    let cross_sign_in =
        hub.send(Method::POST, "/hub/api/auth/sign-in", Some(sign_in.clone()), &[("origin", "http://evil.test")]).await;
    assert_eq!((cross_sign_in.status, cross_sign_in.code()), (StatusCode::FORBIDDEN, "cross_origin"));
    let link = hub.send(Method::POST, "/hub/api/auth/link", Some(json!({"token": "x"})), &[("origin", "null")]).await;
    assert_eq!(link.code(), "cross_origin");
    let same = hub.send(Method::POST, "/hub/api/auth/sign-in", Some(sign_in), &[("origin", "http://hub.test")]).await;
    assert_eq!(same.status, StatusCode::OK);
    let created = hub.call(&ann, Method::POST, "/hub/api/projects", Some(project)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    // Reads need no CSRF token.
    let list = hub.send(Method::GET, "/hub/api/projects", None, &[("cookie", &ann.cookie)]).await;
    assert_eq!(list.body["projects"][0]["name"], "Apollo");
}

#[tokio::test]
async fn members_are_refused_the_admin_routes() {
    let hub = hub().await;
    let bea = hub.sign_in("bea@example.com", BEA_PASSWORD).await;
    let ann_id = hub.member_id("ann@example.com").await;
    let refusals = [
        (Method::POST, "/hub/api/members".to_owned(), Some(json!({"email": "c@x.test", "name": "C", "role": "admin"}))),
        (Method::PATCH, format!("/hub/api/members/{ann_id}"), Some(json!({"role": "member"}))),
        (Method::DELETE, format!("/hub/api/members/{ann_id}"), None),
        (Method::POST, "/hub/api/projects".to_owned(), Some(json!({"name": "P"}))),
        (Method::PATCH, "/hub/api/projects/any".to_owned(), Some(json!({"status": "completed"}))),
    ];
    for (method, path, body) in refusals {
        let answer = hub.call(&bea, method.clone(), &path, body).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::FORBIDDEN, "forbidden"), "{method} {path}");
    }
    assert_eq!(
        hub.call(&bea, Method::GET, "/hub/api/members", None).await.body["members"].as_array().unwrap().len(),
        2
    );
    assert_eq!(hub.call(&bea, Method::GET, "/hub/api/projects", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_invite_is_used_once_with_a_password_and_signs_in() {
    let hub = hub().await;
    let ann = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let invite = json!({"email": "Cy@Example.com", "name": "Cy", "role": "member"});
    let created = hub.call(&ann, Method::POST, "/hub/api/members", Some(invite.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["member"]["has_password"], false);
    let url = created.body["invite_url"].as_str().unwrap();
    assert!(url.starts_with("/hub/invite#token="), "{url}");
    assert_eq!(hub.call(&ann, Method::POST, "/hub/api/members", Some(invite)).await.code(), "email_taken");
    let token = token_of(url);
    let link = |body: Value| hub.send(Method::POST, "/hub/api/auth/link", Some(body), &[]);
    assert_eq!(link(json!({"token": token})).await.code(), "password_required");
    assert_eq!(link(json!({"token": token, "password": "short"})).await.code(), "weak_password");
    let used = link(json!({"token": token, "password": "cy's long password"})).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.body);
    assert_eq!(used.body["member"]["email"], "Cy@Example.com");
    assert_eq!(hub.call(&browser(&used), Method::GET, "/hub/api/auth/me", None).await.status, StatusCode::OK);
    let again = link(json!({"token": token, "password": "cy's long password"})).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "invalid_link"));
    hub.sign_in("cy@example.com", "cy's long password").await;
}

#[tokio::test]
async fn sign_in_links_expire_after_a_day_and_may_set_a_password() {
    let hub = hub().await;
    let bea_id = hub.member_id("bea@example.com").await;
    let early = hub.workspace.issue_link(&bea_id, LinkPurpose::SignIn).await.unwrap();
    let late = hub.workspace.issue_link(&bea_id, LinkPurpose::SignIn).await.unwrap();
    let link = |body: Value| hub.send(Method::POST, "/hub/api/auth/link", Some(body), &[]);
    let used = link(json!({"token": early.expose(), "password": "bea's new password"})).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.body);
    hub.sign_in("bea@example.com", "bea's new password").await;
    hub.clock.advance(Duration::hours(24));
    assert_eq!(link(json!({"token": late.expose()})).await.code(), "invalid_link", "expired");
    assert_eq!(link(json!({"token": "made-up"})).await.code(), "invalid_link");
}

#[tokio::test]
async fn removing_members_ends_their_sessions_and_keeps_an_admin() {
    let hub = hub().await;
    let ann = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let bea = hub.sign_in("bea@example.com", BEA_PASSWORD).await;
    let (ann_id, bea_id) = (hub.member_id("ann@example.com").await, hub.member_id("bea@example.com").await);
    let (ann_path, bea_path) = (format!("/hub/api/members/{ann_id}"), format!("/hub/api/members/{bea_id}"));
    let own = hub.call(&ann, Method::DELETE, &ann_path, None).await;
    assert_eq!((own.status, own.code()), (StatusCode::CONFLICT, "cannot_remove_self"));
    let demote = hub.call(&ann, Method::PATCH, &ann_path, Some(json!({"role": "member"}))).await;
    assert_eq!(demote.code(), "last_admin");
    let removed = hub.call(&ann, Method::DELETE, &bea_path, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(hub.call(&bea, Method::GET, "/hub/api/auth/me", None).await.code(), "not_signed_in");
    assert_eq!(hub.try_sign_in("bea@example.com", BEA_PASSWORD, "10.0.0.2:1").await.code(), "invalid_credentials");
    let gone = hub.call(&ann, Method::DELETE, &bea_path, None).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::NOT_FOUND, "not_found"));
    // With a second admin, the first may step down; the last one left may not be removed by the operator.
    let (cy, _) = hub.workspace.add_member(&Actor::Operator, "cy@x.test", "Cy", Role::Admin, None).await.unwrap();
    let renamed = hub.call(&ann, Method::PATCH, &ann_path, Some(json!({"role": "member", "name": "A"}))).await;
    let member = &renamed.body["member"];
    assert_eq!((member["role"].as_str(), member["name"].as_str()), (Some("member"), Some("A")));
    assert_eq!(hub.workspace.remove_member(&Actor::Operator, &cy.id).await.unwrap_err().code, "last_admin");
}

#[tokio::test]
async fn admins_create_edit_and_complete_projects() {
    let hub = hub().await;
    let ann = hub.sign_in("ann@example.com", ANN_PASSWORD).await;
    let bea_id = hub.member_id("bea@example.com").await;
    let created = hub
        .call(&ann, Method::POST, "/hub/api/projects", Some(json!({"name": " Apollo ", "member_ids": [bea_id]})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let project = &created.body["project"];
    assert_eq!((project["name"].as_str(), project["status"].as_str()), (Some("Apollo"), Some("active")));
    let path = format!("/hub/api/projects/{}", project["id"].as_str().unwrap());
    let duplicate = hub.call(&ann, Method::POST, "/hub/api/projects", Some(json!({"name": "apollo"}))).await;
    assert_eq!((duplicate.status, duplicate.code()), (StatusCode::CONFLICT, "name_taken"));
    let ghost = hub.call(&ann, Method::POST, "/hub/api/projects", Some(json!({"name": "B", "member_ids": ["ghost"]})));
    assert_eq!(ghost.await.code(), "unknown_member");
    let completed = hub.call(&ann, Method::PATCH, &path, Some(json!({"status": "completed", "member_ids": []}))).await;
    assert_eq!(completed.body["project"]["status"], "completed");
    assert_eq!(completed.body["project"]["member_ids"], json!([]));
    assert_eq!(hub.call(&ann, Method::PATCH, &path, Some(json!({"status": "done"}))).await.code(), "invalid_status");
    let unknown_field = hub.call(&ann, Method::PATCH, &path, Some(json!({"colour": "red"}))).await;
    assert_eq!(unknown_field.code(), "invalid_request");
    let missing = hub.call(&ann, Method::PATCH, "/hub/api/projects/nope", Some(json!({"name": "X"}))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let audit = hub.workspace.store.audit(10).await.unwrap();
    assert!(audit.iter().any(|line| line.action == "project.change" && line.actor == "member:ann@example.com"));
}

#[tokio::test]
async fn unknown_routes_answer_in_the_hub_shape_and_the_root_redirects() {
    let hub = hub().await;
    let unknown = hub.send(Method::GET, "/hub/api/nothing", None, &[]).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::NOT_FOUND, "not_found"));
    let wrong_method = hub.send(Method::GET, "/hub/api/auth/sign-in", None, &[]).await;
    assert_eq!((wrong_method.status, wrong_method.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    let root = hub.send(Method::GET, "/", None, &[]).await;
    assert_eq!((root.status, root.headers["location"].to_str().unwrap()), (StatusCode::TEMPORARY_REDIRECT, "/hub/"));
    assert_eq!(hub.send(Method::GET, "/hub/", None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_web_app_is_served_with_its_policy_and_client_routes_get_the_page() {
    let built = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(built.path().join("assets")).unwrap();
    std::fs::write(built.path().join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(built.path().join("assets/app-1a2b.js"), "export {}").unwrap();
    std::fs::write(built.path().join("favicon.svg"), "<svg/>").unwrap();
    let web = rill_web::WebAssets::Directory(built.path().to_owned());
    let hub = hub_with(HubConfig { web, ..HubConfig::default() }).await;
    for route in ["/hub/", "/hub/admin/members", "/hub/sign-in"] {
        let page = hub.send(Method::GET, route, None, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{route}");
        assert_eq!(page.headers["cache-control"], "no-cache", "{route}");
        let policy = page.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self';") && policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self' ws://hub.test"), "{policy}");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
    }
    let script = hub.send(Method::GET, "/hub/assets/app-1a2b.js", None, &[]).await;
    assert_eq!(script.headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(script.headers["content-type"], "text/javascript; charset=utf-8");
    let icon = hub.send(Method::GET, "/hub/favicon.svg", None, &[]).await;
    assert_eq!((icon.status, icon.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "image/svg+xml"));
    assert_eq!(hub.send(Method::GET, "/hub/assets/missing.js", None, &[]).await.status, StatusCode::NOT_FOUND);
    let escape = hub.send(Method::GET, "/hub/assets/..%2f..%2fsecret.key", None, &[]).await;
    assert_eq!(escape.status, StatusCode::NOT_FOUND);
    let api = hub.send(Method::GET, "/hub/api/members/x/y", None, &[]).await;
    assert_eq!((api.status, api.code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn a_binary_without_its_web_app_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let web = rill_web::WebAssets::Directory(empty.path().to_owned());
    let hub = hub_with(HubConfig { web, ..HubConfig::default() }).await;
    let request = Request::builder().uri("/hub/").header("host", "hub.test").body(Body::empty()).unwrap();
    let response = hub.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    let page = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&page).contains("npm --prefix web ci"));
}
