//! The Hub's moderation calls against the real engine: the grouped flag queue, and each action having the
//! effect the protocol notes' §12 promises.

use reqwest::Method;
use rill_client::Client;
use rill_hub::moderation::{
    ban, delete_message, flag_queue, lift_ban, lift_mute, mute_in_channel, set_channel_archived,
};
use rill_server::testing::TestServer;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn send(server: &TestServer, user: &str, text: &str) -> rill_client::RawResponse {
    let body = json!({"message": {"text": text}});
    server.user_client(user).raw(Method::POST, "/channels/team/general/message", &[], Some(&body)).await.unwrap()
}

async fn flag(server: &TestServer, user: &str, message_id: &str, reason: &str) {
    let body = json!({"target_message_id": message_id, "reason": reason});
    let flagged = server.user_client(user).raw(Method::POST, "/moderation/flag", &[], Some(&body)).await.unwrap();
    assert_eq!(flagged.status, 201, "{}", flagged.body);
}

async fn listed_channels(client: &Client, user: &str) -> Vec<Value> {
    let body = json!({"filter_conditions": {"members": {"$in": [user]}}, "user_id": user});
    let found = client.raw(Method::POST, "/channels", &[], Some(&body)).await.unwrap();
    assert_eq!(found.status, 201, "{}", found.body);
    found.body["channels"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_queue_groups_flags_and_every_action_takes_effect() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let first = send(&server, "bob", "first").await.body["message"]["id"].as_str().unwrap().to_owned();
    let second = send(&server, "bob", "second").await.body["message"]["id"].as_str().unwrap().to_owned();
    flag(&server, "alice", &first, "spam").await;
    flag(&server, "carol", &first, "rude").await;
    flag(&server, "alice", &second, "spam").await;

    let queue = flag_queue(&admin, &HashSet::new(), 0, 10).await.unwrap();
    let ids: Vec<&str> = queue.iter().map(|item| item.message_id.as_str()).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "newest flag first, one item per message");
    assert_eq!(queue[1].flag_count, 2);
    assert_eq!(queue[1].reasons, ["rude", "spam"]);
    assert_eq!((queue[1].author_id.as_str(), queue[1].text.as_str()), ("bob", "first"));
    assert_eq!(queue[1].channel_cid, "team:general");
    let dismissed: HashSet<String> = [second.clone()].into();
    let kept = flag_queue(&admin, &dismissed, 0, 10).await.unwrap();
    assert_eq!(kept.iter().map(|item| item.message_id.as_str()).collect::<Vec<_>>(), [first.as_str()]);
    assert_eq!(flag_queue(&admin, &HashSet::new(), 1, 1).await.unwrap()[0].message_id, first, "paged");

    delete_message(&admin, &first).await.unwrap();
    let after = flag_queue(&admin, &HashSet::new(), 0, 10).await.unwrap();
    assert!(after.iter().all(|item| item.message_id != first), "a deleted message leaves the queue");

    mute_in_channel(&admin, "bob", "team:general", 5, "cool off", "alice").await.unwrap();
    assert_eq!(send(&server, "bob", "still here?").await.status, 403);
    lift_mute(&admin, "bob", "team:general").await.unwrap();
    assert_eq!(send(&server, "bob", "back").await.status, 201);
    ban(&admin, "bob", "enough", "alice").await.unwrap();
    assert_eq!(send(&server, "bob", "banned").await.status, 403);
    lift_ban(&admin, "bob").await.unwrap();
    assert_eq!(send(&server, "bob", "unbanned").await.status, 201);
    let unknown = ban(&admin, "nobody-at-all", "x", "alice").await.unwrap_err();
    assert!(unknown.code.is_some(), "the backend's refusal comes back: {unknown:?}");

    assert!(set_channel_archived(&admin, "team", "general", true).await.unwrap());
    assert!(!set_channel_archived(&admin, "team", "general", true).await.unwrap(), "already archived");
    assert!(listed_channels(&admin, "carol").await.is_empty(), "hidden for its members");
    assert_eq!(send(&server, "carol", "anyone?").await.body["message"]["type"], "error", "frozen");
    assert!(set_channel_archived(&admin, "team", "general", false).await.unwrap());
    assert_eq!(listed_channels(&admin, "carol").await.len(), 1);
    assert_eq!(send(&server, "carol", "hello again").await.status, 201);
}
