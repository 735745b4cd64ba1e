//! Plans and quotas: monthly active users and messages against the app's plan, refused past a limit with a
//! clear error and nothing written, and readable with a server token at `GET /usage`.

use crate::support::{assert_error, call, ok, send};
use reqwest::Method;
use rill_client::Socket;
use rill_server::testing::TestServer;
use serde_json::json;

/// On the free plan the sixth user of the month is refused (over REST and on connecting), saying which limit,
/// the count and the plan; the five already active go on; a user created server-side is not active until
/// they act.
#[tokio::test]
async fn the_free_plan_admits_five_monthly_active_users() {
    let server = TestServer::start().await;
    server.set_plan("free", None, None).await;
    let users = ["u1", "u2", "u3", "u4", "u5", "u6"];
    server.create_users(&users).await;
    for user in &users[..5] {
        ok(&server.user_client(user), Method::GET, "/app", json!(null)).await;
    }
    let usage = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;
    assert_eq!(usage["plan"], "free");
    assert_eq!(usage["monthly_active_users"], json!({"count": 5, "limit": 5}));
    assert_eq!(usage["messages"]["limit"], 500_000);
    assert_eq!(usage["month"], chrono::Utc::now().format("%Y-%m").to_string());

    let refused = call(&server.user_client("u6"), Method::GET, "/app", json!(null)).await;
    let why = assert_error(&refused, 403, 17);
    assert!(why.contains("free plan allows 5 monthly active users and 5 are active"), "{why}");
    let url = rill_client::socket::connect_url(
        &server.base_url,
        &server.app.api_key,
        &server.token("u6"),
        "u6",
        &json!({"id": "u6"}),
    );
    let mut socket = Socket::open(&url).await.unwrap();
    let first = socket.next_frame(std::time::Duration::from_secs(5)).await.unwrap().expect("a frame");
    assert_eq!(first["type"], "connection.error", "{first}");
    assert_eq!(first["error"]["code"], 17);
    // A token of a user never seen before is refused without creating them.
    let stranger = call(&server.user_client("newcomer"), Method::GET, "/app", json!(null)).await;
    assert_error(&stranger, 403, 17);
    let found = server.state.store().read(server.app.id, |tx, app_id| tx.user(*app_id, "newcomer")).await.unwrap();
    assert!(found.is_none(), "a refused newcomer is not created");
    // The active ones go on, connecting included.
    server.connect("u1").await;
    ok(&server.user_client("u5"), Method::GET, "/app", json!(null)).await;
    let usage = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;
    assert_eq!(usage["monthly_active_users"]["count"], 5);
    // A larger plan admits the sixth at once.
    server.set_plan("startup", None, None).await;
    ok(&server.user_client("u6"), Method::GET, "/app", json!(null)).await;
    assert_error(&call(&server.user_client("u1"), Method::GET, "/usage", json!(null)).await, 403, 17);
}

/// Past the plan's message limit a send is refused and stores nothing (the channel's count does not move);
/// every stored message counts, server-side ones included.
#[tokio::test]
async fn the_message_limit_refuses_sends_and_stores_nothing() {
    let server = TestServer::start().await;
    server.set_plan("custom", None, Some(3)).await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    send(&server, "alice", "general", json!({"text": "one"})).await;
    send(&server, "bob", "general", json!({"text": "two"})).await;
    let system = json!({"message": {"text": "three", "user_id": "alice"}});
    ok(&server.server_client(), Method::POST, "/channels/team/general/message", system).await;
    let refused = call(
        &server.user_client("alice"),
        Method::POST,
        "/channels/team/general/message",
        json!({"message": {"text": "four"}}),
    )
    .await;
    let why = assert_error(&refused, 403, 17);
    assert!(why.contains("custom plan allows 3 messages a month and 3 were sent"), "{why}");
    let state = ok(&server.user_client("bob"), Method::POST, "/channels/team/general/query", json!({})).await;
    let texts: Vec<&str> = state["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    let usage = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;
    assert_usage_shape(&usage);
    assert_eq!(usage["messages"], json!({"count": 3, "limit": 3}));
    assert_eq!(usage["monthly_active_users"], json!({"count": 2}), "no MAU limit on this plan");
}

/// `GET /usage` is Rill's own, not in Stream's schema: its shape is checked here.
fn assert_usage_shape(usage: &serde_json::Value) {
    let keys: Vec<&str> = usage.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["app_id", "plan", "month", "monthly_active_users", "messages", "duration"]);
}

/// Without a limit (the default plan) activity is still counted, in the background: usage shows every user who
/// acted this month, each once, and the messages stored.
#[tokio::test]
async fn unlimited_plans_count_usage_too() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    for _ in 0..3 {
        send(&server, "alice", "general", json!({"text": "hi"})).await;
    }
    server.connect("bob").await;
    let mut usage = json!(null);
    for _ in 0..100 {
        usage = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;
        if usage["monthly_active_users"]["count"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(usage["plan"], "enterprise");
    assert_eq!(usage["monthly_active_users"], json!({"count": 2}), "alice and bob acted; carol did not");
    assert_eq!(usage["messages"], json!({"count": 3}));
}

/// A new month starts from nothing: the user the free plan refused in one month is admitted in the next, and
/// the count and the month read anew.
#[tokio::test]
async fn a_new_month_admits_users_again() {
    let clock = std::sync::Arc::new(rill_core::clock::ManualClock::new(chrono::Utc::now()));
    let gateway = rill_server::app::GatewayConfig::default();
    let server = TestServer::start_with_clock(gateway, clock.clone()).await;
    server.set_plan("free", None, None).await;
    let users = ["u1", "u2", "u3", "u4", "u5", "u6"];
    server.create_users(&users).await;
    for user in &users[..5] {
        ok(&server.user_client(user), Method::GET, "/app", json!(null)).await;
    }
    assert_error(&call(&server.user_client("u6"), Method::GET, "/app", json!(null)).await, 403, 17);
    let before = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;

    clock.advance(chrono::Duration::days(32));
    ok(&server.user_client("u6"), Method::GET, "/app", json!(null)).await;
    let after = ok(&server.server_client(), Method::GET, "/usage", json!(null)).await;
    assert_ne!(after["month"], before["month"], "{before} {after}");
    assert_eq!(after["month"], (chrono::Utc::now() + chrono::Duration::days(32)).format("%Y-%m").to_string());
    assert_eq!(after["monthly_active_users"], json!({"count": 1, "limit": 5}), "only u6 acted this month");
    for user in &users[..4] {
        ok(&server.user_client(user), Method::GET, "/app", json!(null)).await;
    }
    let full = call(&server.user_client("u5"), Method::GET, "/app", json!(null)).await;
    assert!(assert_error(&full, 403, 17).contains("5 are active"), "u5 of last month now finds the month full");
}
