//! A first end-to-end pass: connect, create a channel, send, receive, read.

use rill_server::testing::{assert_schema, TestServer};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn message_round_trip_with_unread_counts() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;

    let mut bob = server.connect("bob").await;
    assert_eq!(bob.me["total_unread_count"], 0);
    let bob_client = server.user_client("bob").on_connection(&bob.connection_id);
    let state = bob_client
        .raw(reqwest::Method::POST, "/channels/team/general/query", &[], Some(&json!({"watch": true, "state": true})))
        .await
        .unwrap();
    assert_eq!(state.status, 201, "{}", state.body);
    assert_schema("ChannelStateResponse", &state.body);

    let alice = server.user_client("alice");
    let sent = alice.send_message("team", "general", &json!({"text": "hello **bob**"})).await.unwrap();
    assert_eq!(sent.html, "<p>hello <strong>bob</strong></p>\n");

    let event = bob.wait_for_type("message.new").await.unwrap();
    assert_schema("MessageNewEvent", &event);
    assert_eq!(event["message"]["text"], "hello **bob**");
    assert_eq!(event["unread_count"], 1);
    assert_eq!(event["total_unread_count"], 1);
    assert_eq!(event["unread_channels"], 1);
    assert_eq!(event["watcher_count"], 1);

    bob_client.mark_read("team", "general", &json!({})).await.unwrap();
    let read = bob.wait_for_type("notification.mark_read").await.unwrap();
    assert_eq!(read["total_unread_count"], 0);
    bob.expect_none(Duration::from_millis(200), |event| event["type"] == "message.new").await.unwrap();
}
