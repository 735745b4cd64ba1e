//! Authentication over REST and the WebSocket: API keys, token form, signature and algorithm, the time claims
//! with their 60 s leeway, developer tokens, and app-wide and per-user revocation. Every failure is checked for
//! its exact code and HTTP status, because clients decide on the code whether to fetch a new token (40 only).

use crate::errors::{assert_api_error, existing_users, send_bytes};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use rill_client::socket::connect_url;
use rill_client::token::{server_token, sign_raw, user_token, MacAlgorithm};
use rill_client::{Client, RawResponse, Socket};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A correctly signed HS256 token with exactly these claims.
fn signed(server: &TestServer, claims: Value) -> String {
    sign_raw(&json!({"alg": "HS256", "typ": "JWT"}), &claims, &server.app.api_secret, MacAlgorithm::Hs256)
}

/// `GET /app` on this app with `token`.
async fn get_app_with(server: &TestServer, token: &str) -> RawResponse {
    Client::with_token(&server.base_url, &server.app.api_key, Some(token.to_owned()))
        .raw(Method::GET, "/app", &[], None)
        .await
        .unwrap()
}

/// Asserts that `token` authenticates (200 on `GET /app`).
async fn assert_accepted(server: &TestServer, token: &str, what: &str) {
    let response = get_app_with(server, token).await;
    assert_eq!(response.status, 200, "{what} should be accepted: {}", response.body);
}

/// Asserts that `token` is refused on REST with `code` (HTTP 401) and returns the detail.
async fn assert_refused(server: &TestServer, token: &str, code: i64, what: &str) -> String {
    let response = get_app_with(server, token).await;
    assert_eq!(response.body["code"], code, "{what}: {}", response.body);
    assert_api_error(&response, 401, code, "GetApp")
}

/// Opens `/connect` and expects a refusal: a `connection.error` frame carrying an `APIError`, then a close with
/// 1000 (final: clients do not retry). Returns the error object.
async fn refused_socket(server: &TestServer, api_key: &str, token: &str, user_id: &str, details: Value) -> Value {
    let url = connect_url(&server.base_url, api_key, token, user_id, &details);
    let mut socket = Socket::open(&url).await.unwrap();
    let frame = socket.next_frame(Duration::from_secs(5)).await.unwrap().expect("a connection.error frame");
    assert_eq!(frame["type"], "connection.error", "{frame}");
    assert_eq!(frame["connection_id"], "", "{frame}");
    assert!(frame["created_at"].is_string(), "{frame}");
    let error = frame["error"].clone();
    assert_schema("APIError", &error);
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Connect failed with error: \""), "{message}");
    assert_eq!(error["StatusCode"], 401, "{error}");
    let after = socket.next_frame(Duration::from_secs(5)).await.unwrap();
    assert!(after.is_none(), "nothing may follow connection.error, got {after:?}");
    assert_eq!(socket.close_code, Some(1000), "a refused connection closes with 1000");
    error
}

async fn assert_socket_refused(server: &TestServer, token: &str, user_id: &str, code: i64, what: &str) {
    let error = refused_socket(server, &server.app.api_key, token, user_id, json!({"id": user_id})).await;
    assert_eq!(error["code"], code, "{what}: {error}");
}

async fn assert_socket_accepted(server: &TestServer, token: &str, user_id: &str) -> Socket {
    let socket = Socket::connect(&server.base_url, &server.app.api_key, token, user_id, &json!({"id": user_id}))
        .await
        .unwrap_or_else(|error| panic!("{user_id} should connect: {error}"));
    assert_eq!(socket.me["id"], user_id);
    socket
}

/// A developer token: a JWT-shaped string whose signature segment is `devtoken`. The payload is encoded with
/// the standard alphabet and padding (some SDKs do); the extra claim and the user id are chosen so that both
/// `/` and `=` actually occur.
fn developer_token() -> (String, String) {
    let (user_id, payload) = (0..1000)
        .map(|n| {
            let user_id = format!("dev{n}");
            let payload = STANDARD.encode(json!({"user_id": user_id, "note": "???"}).to_string());
            (user_id, payload)
        })
        .find(|(_, payload)| payload.ends_with('=') && (payload.contains('+') || payload.contains('/')))
        .expect("some id encodes with + or / and padding");
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    (user_id, format!("{header}.{payload}.devtoken"))
}

#[tokio::test]
async fn missing_or_unknown_api_key_is_code_2() {
    let server = TestServer::start().await;
    let token = server_token(&server.app.api_secret);
    let headers = [("authorization", token.as_str()), ("stream-auth-type", "jwt")];

    let response = send_bytes(&server, Method::GET, "/app", &headers, Vec::new()).await;
    let detail = assert_api_error(&response, 401, 2, "GetApp");
    assert!(detail.contains("api_key"), "{detail}");

    let response = send_bytes(&server, Method::GET, "/app?api_key=", &headers, Vec::new()).await;
    assert_api_error(&response, 401, 2, "GetApp");

    let unknown = Client::server(&server.base_url, "nosuchkey123", &server.app.api_secret);
    let response = unknown.raw(Method::GET, "/app", &[], None).await.unwrap();
    let detail = assert_api_error(&response, 401, 2, "GetApp");
    assert!(detail.contains("nosuchkey123"), "{detail}");

    // The key is checked before anything else, on every route.
    let response = unknown.raw(Method::POST, "/channels", &[], Some(&json!({"filter_conditions": {}}))).await.unwrap();
    assert_api_error(&response, 401, 2, "QueryChannels");

    // Control: the right key and token work.
    assert_accepted(&server, &token, "the server token").await;
}

#[tokio::test]
async fn missing_or_malformed_token_is_code_5() {
    let server = TestServer::start().await;
    let path = format!("/app?api_key={}", server.app.api_key);

    // No Authorization header at all, and the anonymous auth type (not enabled).
    let response = send_bytes(&server, Method::GET, &path, &[("stream-auth-type", "jwt")], Vec::new()).await;
    assert_api_error(&response, 401, 5, "GetApp");
    let anonymous = Client::with_token(&server.base_url, &server.app.api_key, None);
    let response = anonymous.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_api_error(&response, 401, 5, "GetApp");

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let not_json = URL_SAFE_NO_PAD.encode("not json");
    let malformed = [
        "".to_owned(),
        "garbage".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        format!("{header}.!!!.sig"),
        format!("{header}.{not_json}.sig"),
    ];
    for token in &malformed {
        assert_refused(&server, token, 5, &format!("malformed token {token:?}")).await;
    }
    // Correctly signed, but speaking for nobody.
    assert_refused(&server, &signed(&server, json!({"name": "x"})), 5, "claims without user_id").await;
    assert_refused(&server, &signed(&server, json!({"user_id": ""})), 5, "empty user_id").await;
    assert_refused(&server, &signed(&server, json!({"server": false})), 5, "server: false").await;
}

#[tokio::test]
async fn wrong_secret_and_foreign_algorithms_are_code_43() {
    let server = TestServer::start().await;
    let secret = server.app.api_secret.clone();
    let claims = json!({"user_id": "mallory"});

    // Control: the same construction with HS256 is accepted, so every refusal below is about the one change.
    assert_accepted(&server, &signed(&server, claims.clone()), "an HS256 token").await;
    assert_accepted(&server, &format!("Bearer {}", server.token("alice")), "a Bearer-prefixed token").await;

    let detail = assert_refused(&server, &user_token("alice", "wrong-secret", now(), None), 43, "wrong secret").await;
    assert!(detail.contains("signature"), "{detail}");
    assert_refused(&server, &server_token("wrong-secret"), 43, "server token, wrong secret").await;

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_refused(&server, &format!("{none_header}.{payload}."), 43, "alg none").await;
    let server_payload = URL_SAFE_NO_PAD.encode(r#"{"server":true}"#);
    assert_refused(&server, &format!("{none_header}.{server_payload}."), 43, "alg none server token").await;

    let hs512 = json!({"alg": "HS512", "typ": "JWT"});
    assert_refused(&server, &sign_raw(&hs512, &claims, &secret, MacAlgorithm::Hs512), 43, "a real HS512 token").await;
    // An HS512 header over a valid HS256 MAC: only the algorithm check can refuse it.
    assert_refused(&server, &sign_raw(&hs512, &claims, &secret, MacAlgorithm::Hs256), 43, "HS512 header").await;

    // A payload swapped under a valid signature.
    let genuine = server.token("alice");
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged_payload = URL_SAFE_NO_PAD.encode(r#"{"user_id":"admin"}"#);
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_refused(&server, &forged, 43, "swapped payload").await;
}

#[tokio::test]
async fn time_claims_have_a_60_second_leeway() {
    let server = TestServer::start().await;
    let t = now();

    // exp: 30 s ago is within the leeway, 2 minutes ago is expired (code 40, so clients refresh).
    assert_accepted(&server, &signed(&server, json!({"user_id": "alice", "exp": t - 30})), "exp 30 s ago").await;
    let detail =
        assert_refused(&server, &signed(&server, json!({"user_id": "alice", "exp": t - 120})), 40, "exp 2 min ago")
            .await;
    assert!(detail.contains("expired"), "{detail}");
    assert_accepted(&server, &user_token("alice", &server.app.api_secret, t, Some(3600)), "exp in an hour").await;

    // nbf: 30 s ahead is within the leeway, an hour ahead is not valid yet.
    assert_accepted(&server, &signed(&server, json!({"user_id": "alice", "nbf": t + 30})), "nbf in 30 s").await;
    assert_refused(&server, &signed(&server, json!({"user_id": "alice", "nbf": t + 3600})), 41, "nbf in an hour").await;

    // iat: 30 s ahead is clock skew, an hour ahead was issued in the future.
    assert_accepted(&server, &signed(&server, json!({"user_id": "alice", "iat": t + 30})), "iat in 30 s").await;
    assert_refused(&server, &signed(&server, json!({"user_id": "alice", "iat": t + 3600})), 42, "iat in an hour").await;

    // NumericDate may be a float.
    let float = json!({"user_id": "alice", "iat": t as f64 - 0.25, "exp": t as f64 + 3600.5});
    assert_accepted(&server, &signed(&server, float), "float times").await;
}

#[tokio::test]
async fn developer_tokens_work_only_with_auth_checks_disabled() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let (user_id, token) = developer_token();

    let detail = assert_refused(&server, &token, 43, "a developer token with auth checks on").await;
    assert!(detail.contains("signature"), "{detail}");
    assert_socket_refused(&server, &token, &user_id, 43, "developer token on /connect").await;

    let response = admin.raw(Method::PATCH, "/app", &[], Some(&json!({"disable_auth_checks": true}))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(admin.get_app().await.unwrap().app.disable_auth_checks);

    assert_accepted(&server, &token, "a developer token with auth checks off").await;
    let socket = assert_socket_accepted(&server, &token, &user_id).await;
    socket.close().await;
    // The connection created the user from user_details.
    assert_eq!(existing_users(&admin, &[&user_id]).await, vec![user_id.clone()]);

    let response = admin.raw(Method::PATCH, "/app", &[], Some(&json!({"disable_auth_checks": false}))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_refused(&server, &token, 43, "a developer token after re-enabling auth checks").await;
}

#[tokio::test]
async fn app_wide_revocation_refuses_older_tokens_with_code_40() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let admin = server.server_client();
    let secret = server.app.api_secret.clone();
    let t = now();
    let old = user_token("alice", &secret, t - 3600, None);
    let without_iat = signed(&server, json!({"user_id": "alice"}));
    let fresh = user_token("alice", &secret, t, None);
    assert_accepted(&server, &old, "an old token before revocation").await;
    assert_accepted(&server, &without_iat, "a token without iat before revocation").await;

    let revoked_before = rfc3339(t - 10);
    let body = json!({"revoke_tokens_issued_before": revoked_before});
    let response = admin.raw(Method::PATCH, "/app", &[], Some(&body)).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let app = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
    let shown = app.body["app"]["revoke_tokens_issued_before"].as_str().unwrap_or_default().to_owned();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(&shown).unwrap().timestamp(), t - 10, "{shown}");

    let detail = assert_refused(&server, &old, 40, "a token issued before the revocation").await;
    assert!(detail.contains("revoked"), "{detail}");
    assert_refused(&server, &without_iat, 40, "a token without iat under revocation").await;
    assert_accepted(&server, &fresh, "a token issued after the revocation").await;
    assert_accepted(&server, &server_token(&secret), "the server token").await;
    assert_socket_refused(&server, &old, "alice", 40, "a revoked token on /connect").await;
    assert_socket_accepted(&server, &fresh, "alice").await.close().await;

    let response =
        admin.raw(Method::PATCH, "/app", &[], Some(&json!({"revoke_tokens_issued_before": null}))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let app = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert!(app.body["app"]["revoke_tokens_issued_before"].is_null(), "{}", app.body);
    assert_accepted(&server, &old, "an old token after lifting the revocation").await;
    assert_accepted(&server, &without_iat, "a token without iat after lifting the revocation").await;

    // An invalid time is an input error and changes nothing.
    let body = json!({"revoke_tokens_issued_before": "last tuesday"});
    let response = admin.raw(Method::PATCH, "/app", &[], Some(&body)).await.unwrap();
    assert_api_error(&response, 400, 4, "UpdateApp");
    assert_accepted(&server, &old, "an old token after a rejected revocation").await;
}

#[tokio::test]
async fn per_user_revocation_refuses_only_that_users_older_tokens() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let admin = server.server_client();
    let secret = server.app.api_secret.clone();
    let t = now();
    let alice_old = user_token("alice", &secret, t - 3600, None);
    let alice_without_iat = signed(&server, json!({"user_id": "alice"}));
    let alice_fresh = user_token("alice", &secret, t, None);
    let bob_old = user_token("bob", &secret, t - 3600, None);

    let revoke = |value: Value| json!({"users": [{"id": "alice", "set": {"revoke_tokens_issued_before": value}}]});
    let response = admin.raw(Method::PATCH, "/users", &[], Some(&revoke(json!(rfc3339(t - 10))))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let shown = response.body["users"]["alice"]["revoke_tokens_issued_before"].as_str().unwrap_or_default();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(shown).unwrap().timestamp(), t - 10, "{}", response.body);

    let detail = assert_refused(&server, &alice_old, 40, "alice's token from before her revocation").await;
    assert!(detail.contains("revoked"), "{detail}");
    assert_refused(&server, &alice_without_iat, 40, "alice's token without iat").await;
    assert_accepted(&server, &alice_fresh, "alice's new token").await;
    assert_accepted(&server, &bob_old, "bob's old token (not revoked)").await;
    assert_socket_refused(&server, &alice_old, "alice", 40, "alice's revoked token on /connect").await;
    assert_socket_accepted(&server, &bob_old, "bob").await.close().await;

    let response = admin.raw(Method::PATCH, "/users", &[], Some(&revoke(Value::Null))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body["users"]["alice"]["revoke_tokens_issued_before"].is_null(), "{}", response.body);
    assert_accepted(&server, &alice_old, "alice's old token after lifting").await;
    assert_accepted(&server, &alice_without_iat, "alice's token without iat after lifting").await;
}

#[tokio::test]
async fn websocket_refusals_send_connection_error_then_close_1000() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let admin = server.server_client();
    let secret = server.app.api_secret.clone();
    let t = now();
    let good = server.token("alice");

    let missing_key = refused_socket(&server, "", &good, "alice", json!({"id": "alice"})).await;
    assert_eq!(missing_key["code"], 2, "{missing_key}");
    let unknown_key = refused_socket(&server, "nosuchkey123", &good, "alice", json!({"id": "alice"})).await;
    assert_eq!(unknown_key["code"], 2, "{unknown_key}");

    assert_socket_refused(&server, "", "alice", 5, "an empty token").await;
    assert_socket_refused(&server, "garbage", "alice", 5, "a malformed token").await;
    assert_socket_refused(&server, &user_token("alice", "wrong-secret", t, None), "alice", 43, "wrong secret").await;
    let hs512 = sign_raw(&json!({"alg": "HS512"}), &json!({"user_id": "alice"}), &secret, MacAlgorithm::Hs512);
    assert_socket_refused(&server, &hs512, "alice", 43, "HS512").await;
    let expired = signed(&server, json!({"user_id": "alice", "exp": t - 120}));
    assert_socket_refused(&server, &expired, "alice", 40, "an expired token").await;
    let not_yet = signed(&server, json!({"user_id": "alice", "nbf": t + 3600}));
    assert_socket_refused(&server, &not_yet, "alice", 41, "nbf in the future").await;
    let future = signed(&server, json!({"user_id": "alice", "iat": t + 3600}));
    assert_socket_refused(&server, &future, "alice", 42, "iat in the future").await;

    // The token's user must be the connecting user, in json.user_id and in user_details.id.
    assert_socket_refused(&server, &good, "carol", 5, "alice's token connecting as carol").await;
    let error = refused_socket(&server, &server.app.api_key, &good, "alice", json!({"id": "dave"})).await;
    assert_eq!(error["code"], 5, "{error}");
    assert!(existing_users(&admin, &["carol", "dave"]).await.is_empty(), "a refused connection creates no user");

    // Control: the good token connects.
    assert_socket_accepted(&server, &good, "alice").await.close().await;
}
