//! Webhooks (protocol notes §10): what is posted, signed how, to which hooks, and what happens when the receiver
//! fails. The receiver is a real HTTP server on loopback that records each request's headers and raw body.

use crate::support::{ok, send};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::Method;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) path: String,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a webhook body is JSON")
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }
}

#[derive(Default)]
struct Recorded {
    requests: Vec<Received>,
    /// Statuses to answer, in order; 200 once they run out.
    script: VecDeque<u16>,
}

/// A webhook receiver on `127.0.0.1`: every path is a hook (so one receiver serves several hooks).
pub(crate) struct Receiver {
    pub(crate) base_url: String,
    recorded: Arc<Mutex<Recorded>>,
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        async fn hook(
            State(recorded): State<Arc<Mutex<Recorded>>>,
            uri: axum::http::Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let mut recorded = recorded.lock().unwrap();
            recorded.requests.push(Received { headers, body, path: uri.path().to_owned() });
            let status = recorded.script.pop_front().unwrap_or(200);
            StatusCode::from_u16(status).unwrap()
        }
        let app = axum::Router::new().fallback(hook).with_state(recorded.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { base_url, recorded }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Answers the next requests with these statuses.
    pub(crate) fn answer(&self, statuses: &[u16]) {
        self.recorded.lock().unwrap().script.extend(statuses);
    }

    pub(crate) fn requests(&self) -> Vec<Received> {
        self.recorded.lock().unwrap().requests.clone()
    }

    /// The requests of one event type, once at least `count` arrived (or the deadline passed: then the test's
    /// own assertion says what is missing).
    pub(crate) async fn wait_for(&self, event_type: &str, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found: Vec<Received> =
                self.requests().into_iter().filter(|request| request.json()["type"] == event_type).collect();
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn set_app(server: &TestServer, settings: Value) {
    ok(&server.server_client(), Method::PATCH, "/app", settings).await;
}

#[tokio::test]
async fn a_message_is_posted_signed_with_its_members_unread_counts() {
    let server = TestServer::start().await;
    let receiver = Receiver::start().await;
    set_app(&server, json!({"webhook_url": receiver.url("/hook")})).await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let message = send(&server, "alice", "general", json!({"text": "hello hooks"})).await;

    let posted = receiver.wait_for("message.new", 1).await;
    assert_eq!(posted.len(), 1, "one message.new: {:?}", receiver.requests());
    let request = &posted[0];
    assert_eq!(request.path, "/hook");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("x-api-key"), server.app.api_key);
    assert_eq!(request.header("x-signature"), hex_hmac(&server.app.api_secret, &request.body), "signed raw body");
    assert_eq!(request.header("x-webhook-attempt"), "1");
    assert!(uuid::Uuid::parse_str(request.header("x-webhook-id")).is_ok(), "{}", request.header("x-webhook-id"));
    let body = request.json();
    assert_eq!(body["message"]["id"], message["id"]);
    assert_eq!(body["message"]["text"], "hello hooks");
    assert_eq!(body["cid"], "team:general");
    assert_eq!(body["user"]["id"], "alice");
    assert!(body.get("total_unread_count").is_none(), "no per-recipient counts at the top: {body}");
    let members = body["members"].as_array().expect("members");
    let member = |id: &str| members.iter().find(|member| member["user_id"] == id).cloned().unwrap_or_default();
    assert_eq!(members.len(), 2, "{body}");
    assert_eq!(member("bob")["channel_unread_count"], 1, "{body}");
    assert_eq!(member("bob")["total_unread_count"], 1, "{body}");
    assert_eq!(member("bob")["unread_channels"], 1, "{body}");
    assert_eq!(member("alice")["channel_unread_count"], 0, "the author has read their own message: {body}");
    assert!(member("bob")["channel_last_read_at"].is_string(), "{body}");
    assert_eq!(member("bob")["user"]["id"], "bob");

    // Per-recipient notifications never go to webhooks; their channel events do.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let types: Vec<String> = receiver.requests().iter().map(|request| request.json()["type"].to_string()).collect();
    assert!(types.iter().all(|kind| !kind.contains("notification.")), "{types:?}");
    let ids: Vec<String> =
        receiver.requests().iter().map(|request| request.header("x-webhook-id").to_owned()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "every delivery has its own id");
}

#[tokio::test]
async fn webhook_events_and_event_hooks_choose_what_goes_where() {
    let server = TestServer::start().await;
    let receiver = Receiver::start().await;
    set_app(
        &server,
        json!({
            "webhook_url": receiver.url("/legacy"),
            "webhook_events": ["reaction.new"],
            "event_hooks": [
                {"hook_type": "webhook", "webhook_url": receiver.url("/messages"), "event_types": ["message.new"], "enabled": true},
                {"webhook_url": receiver.url("/everything"), "timeout_ms": 2000},
                {"webhook_url": receiver.url("/off"), "enabled": false},
            ],
        }),
    )
    .await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let message = send(&server, "alice", "general", json!({"text": "react to me"})).await;
    let path = format!("/messages/{}/reaction", message["id"].as_str().unwrap());
    ok(&server.user_client("bob"), Method::POST, &path, json!({"reaction": {"type": "like"}})).await;
    receiver.wait_for("reaction.new", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let at = |path: &str| -> Vec<String> {
        receiver
            .requests()
            .iter()
            .filter(|request| request.path == path)
            .map(|request| request.json()["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(at("/legacy"), vec!["reaction.new"]);
    assert_eq!(at("/messages"), vec!["message.new"]);
    let everything = at("/everything");
    assert!(everything.contains(&"message.new".to_owned()) && everything.contains(&"reaction.new".to_owned()));
    assert!(everything.contains(&"member.added".to_owned()), "{everything:?}");
    assert!(at("/off").is_empty(), "a disabled hook gets nothing");

    // GET /app shows the hooks with their ids; naming an id again keeps the hook (and its created_at).
    let app = ok(&server.server_client(), Method::GET, "/app", json!({})).await;
    rill_server::testing::assert_schema("GetApplicationResponse", &app);
    let hooks = app["app"]["event_hooks"].as_array().unwrap().clone();
    assert_eq!(hooks.len(), 3, "{app}");
    assert_eq!(hooks[1]["timeout_ms"], 2000);
    assert_eq!(hooks[0]["timeout_ms"], 6000, "the default");
    assert_eq!(hooks[2]["enabled"], false);
    assert!(hooks.iter().all(|hook| hook["hook_type"] == "webhook" && !hook["id"].as_str().unwrap().is_empty()));
    let kept =
        json!({"id": hooks[0]["id"], "webhook_url": receiver.url("/renamed"), "created_at": hooks[0]["created_at"]});
    set_app(&server, json!({"event_hooks": [kept]})).await;
    let app = ok(&server.server_client(), Method::GET, "/app", json!({})).await;
    let after = &app["app"]["event_hooks"];
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(after[0]["id"], hooks[0]["id"]);
    assert_eq!(after[0]["created_at"], hooks[0]["created_at"]);
    assert_eq!(after[0]["webhook_url"], receiver.url("/renamed"));
    // A user token never sees where the app's events go.
    let seen = ok(&server.user_client("alice"), Method::GET, "/app", json!({})).await;
    assert_eq!(seen["app"]["event_hooks"], json!([]));
    assert_eq!(seen["app"]["webhook_url"], "");
}

#[tokio::test]
async fn hooks_rill_cannot_serve_or_bad_urls_are_refused_by_name() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let many: Vec<Value> =
        (0..11).map(|index| json!({"webhook_url": format!("https://example.com/{index}")})).collect();
    for (body, named) in [
        (json!({"event_hooks": [{"hook_type": "sqs", "sqs_url": "x"}]}), "sqs_url"),
        (json!({"event_hooks": [{"hook_type": "sns"}]}), "hook_type"),
        (json!({"event_hooks": [{"webhook_url": "ftp://example.com"}]}), "webhook_url"),
        (json!({"event_hooks": [{"webhook_url": "https://user:pass@example.com/"}]}), "webhook_url"),
        (json!({"event_hooks": [{"webhook_url": "https://example.com", "timeout_ms": 60000}]}), "timeout_ms"),
        (json!({"event_hooks": many}), "event_hooks"),
        (json!({"webhook_url": format!("https://example.com/{}", "a".repeat(2048))}), "webhook_url"),
        (json!({"webhook_url": "https://"}), "webhook_url"),
    ] {
        let response = admin.raw(Method::PATCH, "/app", &[], Some(&body)).await.unwrap();
        let detail = crate::errors::assert_api_error(&response, 400, 4, "UpdateApp");
        assert!(detail.contains(named), "{body}: {detail}");
    }
    let app = ok(&admin, Method::GET, "/app", json!({})).await;
    assert_eq!(app["app"]["event_hooks"], json!([]), "nothing of a refused request is kept");
}

#[tokio::test]
async fn failed_attempts_are_retried_with_the_same_id_and_refusals_are_not() {
    let server = TestServer::start().await;
    let receiver = Receiver::start().await;
    set_app(&server, json!({"webhook_url": receiver.url("/hook"), "webhook_events": ["message.new"]})).await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;

    // 503, then 500: the third attempt lands, one id throughout.
    receiver.answer(&[503, 500]);
    send(&server, "alice", "general", json!({"text": "first"})).await;
    let attempts = receiver.wait_for("message.new", 3).await;
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    let numbers: Vec<&str> = attempts.iter().map(|request| request.header("x-webhook-attempt")).collect();
    assert_eq!(numbers, vec!["1", "2", "3"]);
    assert!(attempts.iter().all(|request| request.header("x-webhook-id") == attempts[0].header("x-webhook-id")));
    assert!(attempts.iter().all(|request| request.body == attempts[0].body), "the same body on every attempt");

    // A 400 is the receiver's refusal: no retry; the job stays visible as failed.
    receiver.answer(&[400]);
    let second = send(&server, "alice", "general", json!({"text": "second"})).await;
    let refused = receiver.wait_for("message.new", 4).await;
    assert_eq!(refused.len(), 4);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let of_second: Vec<_> =
        receiver.requests().into_iter().filter(|request| request.json()["message"]["id"] == second["id"]).collect();
    assert_eq!(of_second.len(), 1, "no retry after a 400");
    let summary = server.state.store().read(server.app.id, |tx, app_id| tx.outbox_summary(*app_id, 10)).await.unwrap();
    assert_eq!((summary.pending, summary.failed), (0, 1), "{summary:?}");
    assert!(summary.failures[0].last_error.contains("400"), "{summary:?}");
    assert_eq!(summary.failures[0].event_type, "message.new");
}

#[tokio::test]
async fn an_unreachable_receiver_gets_two_attempts_then_the_job_fails() {
    let server = TestServer::start().await;
    // A port nobody listens on: connections are refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    set_app(&server, json!({"webhook_url": url, "webhook_events": ["message.new"]})).await;
    server.create_users(&["alice"]).await;
    server.team_channel("general", &["alice"]).await;
    send(&server, "alice", "general", json!({"text": "into the void"})).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let summary = loop {
        let summary =
            server.state.store().read(server.app.id, |tx, app_id| tx.outbox_summary(*app_id, 10)).await.unwrap();
        if summary.failed == 1 || Instant::now() > deadline {
            break summary;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((summary.pending, summary.failed), (0, 1), "{summary:?}");
    assert_eq!(summary.failures[0].attempts, 2, "a network error is tried twice: {summary:?}");
    assert!(summary.failures[0].last_error.contains("could not reach"), "{summary:?}");
}

#[tokio::test]
async fn without_webhooks_nothing_is_queued() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    send(&server, "alice", "general", json!({"text": "quiet"})).await;
    let summary = server.state.store().read(server.app.id, |tx, app_id| tx.outbox_summary(*app_id, 10)).await.unwrap();
    assert_eq!((summary.pending, summary.failed), (0, 0));
}

/// Events for the app's backend only: `channel.created` (once, not for an existing channel) and
/// `user.deactivated` / `user.reactivated` reach the webhook and no connection.
#[tokio::test]
async fn channel_creation_and_deactivation_go_to_webhooks_only() {
    let server = TestServer::start().await;
    let receiver = Receiver::start().await;
    set_app(&server, json!({"webhook_url": receiver.url("/hook")})).await;
    server.create_users(&["alice", "bob", "carol"]).await;
    let mut socket = server.connect("bob").await;
    server.team_channel("general", &["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let created = receiver.wait_for("channel.created", 1).await;
    assert_eq!(created.len(), 1, "created once: {:?}", created.iter().map(Received::json).collect::<Vec<_>>());
    let body = created[0].json();
    assert_schema("ChannelCreatedEvent", &body);
    assert_eq!(body["cid"], "team:general");
    assert_eq!(body["channel"]["member_count"], 2);
    assert_eq!(body["user"]["id"], "alice");

    let admin = server.server_client();
    ok(&admin, Method::POST, "/users/carol/deactivate", json!({})).await;
    ok(&admin, Method::POST, "/users/carol/reactivate", json!({})).await;
    let deactivated = receiver.wait_for("user.deactivated", 1).await;
    let reactivated = receiver.wait_for("user.reactivated", 1).await;
    assert_eq!((deactivated.len(), reactivated.len()), (1, 1));
    assert_schema("UserDeactivatedEvent", &deactivated[0].json());
    assert_eq!(deactivated[0].json()["user"]["id"], "carol");
    assert!(deactivated[0].json()["user"]["deactivated_at"].is_string());
    assert_eq!(reactivated[0].json()["user"]["id"], "carol");

    socket.wait_for_type("notification.added_to_channel").await.expect("bob hears he was added");
    let webhook_only = |event: &Value| {
        let kind = event["type"].as_str().unwrap_or_default();
        kind == "channel.created" || kind == "user.deactivated" || kind == "user.reactivated"
    };
    let leaked = socket.expect_none(crate::support::QUIET, webhook_only).await;
    assert!(leaked.is_ok(), "webhook-only events reach no connection: {leaked:?}");
}
