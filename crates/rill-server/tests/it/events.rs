//! WebSocket events reach exactly the right recipients: watchers, members who are not watching, the acting user,
//! presence followers. Each test also proves who does NOT receive an event, by waiting a short while for it on
//! the sockets that must stay quiet. Every event read is checked against its public schema.

use reqwest::Method;
use rill_client::{Client, RawResponse, Socket};
use rill_server::app::GatewayConfig;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

/// How long a socket must stay quiet to show that an event was not sent to it.
const QUIET: Duration = Duration::from_millis(300);

async fn ok(client: &Client, method: Method, path: &str, body: Value) -> Value {
    let response = client.raw(method, path, &[], Some(&body)).await.unwrap();
    assert!((200..300).contains(&response.status), "{path}: {} {}", response.status, response.body);
    response.body
}

fn assert_error(response: &RawResponse, status: u16, code: i64) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_schema("APIError", &response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
}

/// Makes `socket` (a connection of `user`) watch a team channel; returns the channel state.
async fn watch(server: &TestServer, user: &str, socket: &Socket, channel: &str) -> Value {
    watch_with(server, user, socket, channel, json!({"watch": true})).await
}

async fn watch_with(server: &TestServer, user: &str, socket: &Socket, channel: &str, body: Value) -> Value {
    let client = server.user_client(user).on_connection(&socket.connection_id);
    let state = ok(&client, Method::POST, &format!("/channels/team/{channel}/query"), body).await;
    assert_schema("ChannelStateResponse", &state);
    state
}

async fn send(server: &TestServer, user: &str, channel: &str, message: Value) -> Value {
    let path = format!("/channels/team/{channel}/message");
    let body = ok(&server.user_client(user), Method::POST, &path, json!({ "message": message })).await;
    assert_schema("SendMessageResponse", &body);
    body["message"].clone()
}

/// Waits for an event of `event_type` and checks it against `schema`.
async fn expect(socket: &mut Socket, event_type: &str, schema: &str) -> Value {
    let event = socket.wait_for_type(event_type).await.unwrap_or_else(|error| panic!("{event_type}: {error}"));
    assert_schema(schema, &event);
    event
}

/// Waits for an event of `event_type` about channel `cid`.
async fn expect_in(socket: &mut Socket, event_type: &str, cid: &str, schema: &str) -> Value {
    let event = socket
        .wait_for(Duration::from_secs(5), |event| event["type"] == event_type && event["cid"] == cid)
        .await
        .unwrap_or_else(|error| panic!("{event_type} in {cid}: {error}"));
    assert_schema(schema, &event);
    event
}

/// Waits for an event of `event_type` about `user` (its `user.id`).
async fn expect_about(socket: &mut Socket, event_type: &str, user: &str, schema: &str) -> Value {
    let event = socket
        .wait_for(Duration::from_secs(5), |event| event["type"] == event_type && event["user"]["id"] == user)
        .await
        .unwrap_or_else(|error| panic!("{event_type} about {user}: {error}"));
    assert_schema(schema, &event);
    event
}

/// Proves that no event of `event_type` about `user` arrives on `socket` within [`QUIET`].
async fn expect_none_about(socket: &mut Socket, event_type: &str, user: &str) {
    let found = socket.expect_none(QUIET, |event| event["type"] == event_type && event["user"]["id"] == user).await;
    if let Err(event) = found {
        panic!("unexpected {event_type} about {user}: {event}");
    }
}

/// Proves that no event of the given types arrives on `socket` within [`QUIET`].
async fn expect_none_of(socket: &mut Socket, types: &[&str]) {
    if let Err(event) = socket.expect_none(QUIET, |event| types.iter().any(|kind| event["type"] == *kind)).await {
        panic!("unexpected {} event: {event}", event["type"]);
    }
}

#[tokio::test]
async fn message_new_reaches_watchers_and_notification_reaches_other_members() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    server.team_channel("random", &["alice", "bob"]).await;

    let mut alice_watching = server.connect("alice").await;
    let mut alice_idle = server.connect("alice").await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    let mut dave = server.connect("dave").await;
    watch(&server, "alice", &alice_watching, "general").await;
    watch(&server, "bob", &bob, "general").await;

    // An unread message in random first, so that bob's and carol's totals differ.
    send(&server, "alice", "random", json!({"text": "over here"})).await;
    let note = expect_in(&mut bob, "notification.message_new", "team:random", "NotificationNewMessageEvent").await;
    assert_eq!(note["total_unread_count"], 1);

    let sent = send(&server, "alice", "general", json!({"text": "hello all"})).await;
    let id = sent["id"].as_str().unwrap();

    let own = expect_in(&mut alice_watching, "message.new", "team:general", "MessageNewEvent").await;
    assert_eq!(own["message"]["id"], id);
    assert_eq!(own["message_id"], id);
    assert_eq!(own["user"]["id"], "alice");
    assert_eq!(own["watcher_count"], 2);
    assert_eq!(own["total_unread_count"], 0, "a sender's own message is not unread");
    assert_eq!(own["unread_channels"], 0);

    let event = expect_in(&mut bob, "message.new", "team:general", "MessageNewEvent").await;
    assert_eq!(event["message"]["id"], id);
    assert_eq!(event["message"]["text"], "hello all");
    assert_eq!(event["watcher_count"], 2);
    assert_eq!(event["unread_count"], 2);
    assert_eq!(event["total_unread_count"], 2);
    assert_eq!(event["unread_channels"], 2);

    let note = expect_in(&mut carol, "notification.message_new", "team:general", "NotificationNewMessageEvent").await;
    assert_eq!(note["message"]["id"], id);
    assert_eq!(note["message_id"], id);
    assert_eq!(note["channel"]["cid"], "team:general");
    assert_eq!(note["watcher_count"], 2);
    assert_eq!(note["unread_count"], 1);
    assert_eq!(note["total_unread_count"], 1);
    assert_eq!(note["unread_channels"], 1);

    // Nobody gets both, the sender's other connection gets neither, and a non-member gets nothing.
    expect_none_of(&mut bob, &["notification.message_new"]).await;
    expect_none_of(&mut carol, &["message.new"]).await;
    expect_none_of(&mut alice_idle, &["message.new", "notification.message_new"]).await;
    expect_none_of(&mut dave, &["message.new", "notification.message_new"]).await;
    expect_none_of(&mut alice_watching, &["notification.message_new"]).await;
}

#[tokio::test]
async fn updates_deletes_and_reactions_reach_watchers_only() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    watch(&server, "bob", &bob, "general").await;
    send(&server, "alice", "general", json!({"id": "m1", "text": "first"})).await;
    send(&server, "alice", "general", json!({"id": "m2", "text": "second"})).await;
    let alice = server.user_client("alice");

    ok(&alice, Method::POST, "/messages/m1", json!({"message": {"text": "first, edited"}})).await;
    let updated = expect(&mut bob, "message.updated", "MessageUpdatedEvent").await;
    assert_eq!(updated["message"]["text"], "first, edited");
    assert_eq!(updated["message_id"], "m1");
    assert_eq!(updated["cid"], "team:general");

    let bob_client = server.user_client("bob");
    ok(&bob_client, Method::POST, "/messages/m1/reaction", json!({"reaction": {"type": "like"}})).await;
    let new = expect(&mut bob, "reaction.new", "ReactionNewEvent").await;
    assert_eq!(new["reaction"]["type"], "like");
    assert_eq!(new["reaction"]["user_id"], "bob");
    assert_eq!(new["user"]["id"], "bob");
    assert_eq!(new["message"]["reaction_counts"], json!({"like": 1}));
    assert_eq!(new["channel"]["cid"], "team:general");

    ok(&bob_client, Method::POST, "/messages/m1/reaction", json!({"reaction": {"type": "like", "score": 5}})).await;
    let changed = expect(&mut bob, "reaction.updated", "ReactionUpdatedEvent").await;
    assert_eq!(changed["reaction"]["score"], 5);
    assert_eq!(changed["message"]["reaction_scores"], json!({"like": 5}));

    let response = bob_client.raw(Method::DELETE, "/messages/m1/reaction/like", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let removed = expect(&mut bob, "reaction.deleted", "ReactionDeletedEvent").await;
    assert_eq!(removed["reaction"]["type"], "like");
    assert_eq!(removed["message"]["reaction_counts"], json!({}));

    let response = alice.raw(Method::DELETE, "/messages/m1", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let soft = expect(&mut bob, "message.deleted", "MessageDeletedEvent").await;
    assert_eq!(soft["message_id"], "m1");
    assert_eq!(soft["hard_delete"], false);
    assert_eq!(soft["message"]["type"], "deleted");

    let response = server.server_client().raw(Method::DELETE, "/messages/m2", &[("hard", "true")], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let hard = expect(&mut bob, "message.deleted", "MessageDeletedEvent").await;
    assert_eq!(hard["message_id"], "m2");
    assert_eq!(hard["hard_delete"], true);

    expect_none_of(
        &mut carol,
        &["message.updated", "message.deleted", "reaction.new", "reaction.updated", "reaction.deleted"],
    )
    .await;
}

#[tokio::test]
async fn typing_reaches_watchers_unless_the_sender_hides_it() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "erin"]).await;
    server.team_channel("general", &["alice", "bob", "carol", "erin"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    watch(&server, "bob", &bob, "general").await;
    let alice = server.user_client("alice");

    let response =
        ok(&alice, Method::POST, "/channels/team/general/event", json!({"event": {"type": "typing.start"}})).await;
    assert_schema("EventResponse", &response);
    let start = expect(&mut bob, "typing.start", "TypingStartEvent").await;
    assert_eq!(start["user"]["id"], "alice");
    assert_eq!(start["cid"], "team:general");

    let body = json!({"event": {"type": "typing.stop", "parent_id": "thread-1"}});
    ok(&alice, Method::POST, "/channels/team/general/event", body).await;
    let stop = expect(&mut bob, "typing.stop", "TypingStopEvent").await;
    assert_eq!(stop["user"]["id"], "alice");
    assert_eq!(stop["parent_id"], "thread-1");
    expect_none_of(&mut carol, &["typing.start", "typing.stop"]).await;

    let hide =
        json!({"users": [{"id": "erin", "set": {"privacy_settings": {"typing_indicators": {"enabled": false}}}}]});
    ok(&server.server_client(), Method::PATCH, "/users", hide).await;
    let erin = server.user_client("erin");
    let response =
        ok(&erin, Method::POST, "/channels/team/general/event", json!({"event": {"type": "typing.start"}})).await;
    assert_eq!(response["event"]["type"], "typing.start", "the call itself succeeds");
    expect_none_of(&mut bob, &["typing.start"]).await;
}

#[tokio::test]
async fn member_added_and_removed() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    let mut dave = server.connect("dave").await;
    watch(&server, "bob", &bob, "general").await;
    let alice = server.user_client("alice");

    ok(&alice, Method::POST, "/channels/team/general", json!({"add_members": ["dave"]})).await;
    let added = expect(&mut bob, "member.added", "MemberAddedEvent").await;
    assert_eq!(added["member"]["user_id"], "dave");
    assert_eq!(added["cid"], "team:general");
    let note = expect(&mut dave, "notification.added_to_channel", "NotificationAddedToChannelEvent").await;
    assert_eq!(note["channel"]["cid"], "team:general");
    assert_eq!(note["member"]["user_id"], "dave");
    expect_none_of(&mut carol, &["member.added", "notification.added_to_channel"]).await;
    expect_none_of(&mut dave, &["member.added"]).await;
    expect_none_of(&mut bob, &["notification.added_to_channel"]).await;

    ok(&alice, Method::POST, "/channels/team/general", json!({"remove_members": ["dave"]})).await;
    let removed = expect(&mut bob, "member.removed", "MemberRemovedEvent").await;
    assert_eq!(removed["member"]["user_id"], "dave");
    let note = expect(&mut dave, "notification.removed_from_channel", "NotificationRemovedFromChannelEvent").await;
    assert_eq!(note["channel"]["cid"], "team:general");
    assert_eq!(note["member"]["user_id"], "dave");
    expect_none_of(&mut carol, &["member.removed", "notification.removed_from_channel"]).await;
    expect_none_of(&mut bob, &["notification.removed_from_channel"]).await;
}

#[tokio::test]
async fn channel_updated_truncated_and_deleted() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    let mut dave = server.connect("dave").await;
    watch(&server, "bob", &bob, "general").await;
    let alice = server.user_client("alice");
    send(&server, "alice", "general", json!({"text": "before the truncation"})).await;

    ok(&alice, Method::POST, "/channels/team/general", json!({"data": {"name": "General chat"}})).await;
    let updated = expect(&mut bob, "channel.updated", "ChannelUpdatedEvent").await;
    assert_eq!(updated["channel"]["name"], "General chat");
    assert_eq!(updated["user"]["id"], "alice");

    ok(&alice, Method::POST, "/channels/team/general/truncate", json!({})).await;
    let truncated = expect(&mut bob, "channel.truncated", "ChannelTruncatedEvent").await;
    assert_eq!(truncated["cid"], "team:general");
    assert!(truncated["channel"]["truncated_at"].is_string(), "{truncated}");
    expect_none_of(&mut carol, &["channel.updated", "channel.truncated"]).await;

    let response = alice.raw(Method::DELETE, "/channels/team/general", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let deleted = expect(&mut bob, "channel.deleted", "ChannelDeletedEvent").await;
    assert_eq!(deleted["channel"]["cid"], "team:general");
    assert!(deleted["channel"]["deleted_at"].is_string(), "{deleted}");
    let note = expect(&mut carol, "notification.channel_deleted", "NotificationChannelDeletedEvent").await;
    assert_eq!(note["channel"]["cid"], "team:general");
    expect_none_of(&mut bob, &["notification.channel_deleted"]).await;
    expect_none_of(&mut carol, &["channel.deleted"]).await;
    expect_none_of(
        &mut dave,
        &["channel.updated", "channel.truncated", "channel.deleted", "notification.channel_deleted"],
    )
    .await;
}

#[tokio::test]
async fn hidden_and_visible_go_to_the_acting_user_only() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let mut alice = server.connect("alice").await;
    let mut bob = server.connect("bob").await;
    let mut bob_watching = server.connect("bob").await;
    watch(&server, "alice", &alice, "general").await;
    watch(&server, "bob", &bob_watching, "general").await;
    let bob_client = server.user_client("bob");

    let response = ok(&bob_client, Method::POST, "/channels/team/general/hide", json!({})).await;
    assert_schema("Response", &response);
    for socket in [&mut bob, &mut bob_watching] {
        let hidden = expect(socket, "channel.hidden", "ChannelHiddenEvent").await;
        assert_eq!(hidden["cid"], "team:general");
        assert_eq!(hidden["clear_history"], false);
        assert_eq!(hidden["user"]["id"], "bob");
    }

    ok(&bob_client, Method::POST, "/channels/team/general/show", json!({})).await;
    let visible = expect(&mut bob, "channel.visible", "ChannelVisibleEvent").await;
    assert_eq!(visible["cid"], "team:general");
    assert_eq!(visible["user"]["id"], "bob");

    // A new message un-hides the channel for its hidden members.
    ok(&bob_client, Method::POST, "/channels/team/general/hide", json!({"clear_history": true})).await;
    let hidden = expect(&mut bob, "channel.hidden", "ChannelHiddenEvent").await;
    assert_eq!(hidden["clear_history"], true);
    send(&server, "alice", "general", json!({"text": "wake up"})).await;
    let visible = expect(&mut bob, "channel.visible", "ChannelVisibleEvent").await;
    assert_eq!(visible["user"]["id"], "bob");

    expect_none_of(&mut alice, &["channel.hidden", "channel.visible"]).await;
}

#[tokio::test]
async fn message_read_to_watchers_and_mark_read_to_the_reader() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    server.team_channel("random", &["alice", "bob"]).await;
    let mut alice = server.connect("alice").await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    watch(&server, "alice", &alice, "general").await;
    watch(&server, "bob", &bob, "general").await;
    let last = send(&server, "alice", "general", json!({"text": "read me"})).await;
    send(&server, "alice", "random", json!({"text": "and me"})).await;
    expect_in(&mut bob, "message.new", "team:general", "MessageNewEvent").await;

    let response = ok(&server.user_client("bob"), Method::POST, "/channels/team/general/read", json!({})).await;
    assert_schema("MarkReadResponse", &response);
    let read = expect(&mut alice, "message.read", "MessageReadEvent").await;
    assert_eq!(read["user"]["id"], "bob");
    assert_eq!(read["cid"], "team:general");
    assert_eq!(read["last_read_message_id"], last["id"]);

    let mark = expect(&mut bob, "notification.mark_read", "NotificationMarkReadEvent").await;
    assert_eq!(mark["cid"], "team:general");
    assert_eq!(mark["unread_count"], 1, "random is still unread");
    assert_eq!(mark["total_unread_count"], 1);
    assert_eq!(mark["unread_channels"], 1);

    expect_none_of(&mut alice, &["notification.mark_read"]).await;
    expect_none_of(&mut carol, &["message.read", "notification.mark_read"]).await;
}

#[tokio::test]
async fn presence_changes_on_first_connection_and_last_disconnection() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut carol = server.connect("carol").await;
    let mut dave = server.connect("dave").await;
    let mut alice = server.connect("alice").await;
    watch_with(&server, "carol", &carol, "general", json!({"presence": true})).await;
    // Alice watches without presence: she does not follow anyone.
    watch(&server, "alice", &alice, "general").await;

    let bob_first = server.connect("bob").await;
    let online = expect_about(&mut carol, "user.presence.changed", "bob", "UserPresenceChangedEvent").await;
    assert_eq!(online["user"]["id"], "bob");
    assert_eq!(online["user"]["online"], true);

    let bob_second = server.connect("bob").await;
    expect_none_about(&mut carol, "user.presence.changed", "bob").await;
    bob_second.close().await;
    expect_none_about(&mut carol, "user.presence.changed", "bob").await;

    bob_first.close().await;
    let offline = expect_about(&mut carol, "user.presence.changed", "bob", "UserPresenceChangedEvent").await;
    assert_eq!(offline["user"]["id"], "bob");
    assert_eq!(offline["user"]["online"], false);
    assert!(offline["user"]["last_active"].is_string(), "{offline}");

    // Users who do not follow bob's presence hear of neither change.
    expect_none_about(&mut dave, "user.presence.changed", "bob").await;
    expect_none_about(&mut alice, "user.presence.changed", "bob").await;
}

#[tokio::test]
async fn watching_start_and_stop() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut alice = server.connect("alice").await;
    let mut carol = server.connect("carol").await;
    watch(&server, "alice", &alice, "general").await;

    let mut bob = server.connect("bob").await;
    let state = watch(&server, "bob", &bob, "general").await;
    assert_eq!(state["watcher_count"], 2);
    let start = expect_about(&mut alice, "user.watching.start", "bob", "UserWatchingStartEvent").await;
    assert_eq!(start["watcher_count"], 2);
    assert_eq!(start["cid"], "team:general");

    let bob_client = server.user_client("bob").on_connection(&bob.connection_id);
    ok(&bob_client, Method::POST, "/channels/team/general/stop-watching", json!({})).await;
    let stop = expect_about(&mut alice, "user.watching.stop", "bob", "UserWatchingStopEvent").await;
    assert_eq!(stop["watcher_count"], 1);

    // No longer watching: bob is told as a member, not as a watcher.
    send(&server, "alice", "general", json!({"text": "still there?"})).await;
    expect_in(&mut bob, "notification.message_new", "team:general", "NotificationNewMessageEvent").await;
    expect_none_of(&mut bob, &["message.new"]).await;

    // Closing the socket stops watching too.
    watch(&server, "bob", &bob, "general").await;
    expect_about(&mut alice, "user.watching.start", "bob", "UserWatchingStartEvent").await;
    bob.close().await;
    let stop = expect_about(&mut alice, "user.watching.stop", "bob", "UserWatchingStopEvent").await;
    assert_eq!(stop["watcher_count"], 1);

    expect_none_of(&mut carol, &["user.watching.start", "user.watching.stop"]).await;
}

#[tokio::test]
async fn user_updated_reaches_presence_followers_and_the_user() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    let mut dave = server.connect("dave").await;
    watch_with(&server, "carol", &carol, "general", json!({"presence": true})).await;

    let body = json!({"users": [{"id": "bob", "set": {"name": "Robert", "hobby": "chess"}}]});
    ok(&server.user_client("bob"), Method::PATCH, "/users", body).await;
    let updated = expect(&mut carol, "user.updated", "UserUpdatedEvent").await;
    assert_eq!(updated["user"]["id"], "bob");
    assert_eq!(updated["user"]["name"], "Robert");
    assert_eq!(updated["user"]["hobby"], "chess");
    let own = expect(&mut bob, "user.updated", "UserUpdatedEvent").await;
    assert_eq!(own["user"]["name"], "Robert");
    expect_none_of(&mut dave, &["user.updated"]).await;
}

#[tokio::test]
async fn client_health_check_is_answered() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let mut socket = server.connect("alice").await;
    assert_schema("HealthCheckEvent", &socket.seen[0]);
    assert_eq!(socket.seen[0]["cid"], "*");

    socket.send_health_check("alice").await.unwrap();
    // The server's own health checks come every 25 s; a reply is due at once. Other events (alice's own
    // presence) may come first.
    let reply = loop {
        let frame = socket.next_frame(Duration::from_secs(5)).await.unwrap().expect("socket closed");
        if frame["type"] == "health.check" {
            break frame;
        }
    };
    assert_schema("HealthCheckEvent", &reply);
    assert_eq!(reply["type"], "health.check");
    assert_eq!(reply["connection_id"], socket.connection_id.as_str());
}

#[tokio::test]
async fn a_socket_that_never_reads_is_closed_while_others_keep_receiving() {
    let server = TestServer::start_with(GatewayConfig { queue_capacity: 2, ..Default::default() }).await;
    server.set_rate_limits(rill_core::model::RateLimitSetting::Off).await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut reader = server.connect("carol").await;
    let mut sleeper = server.connect("bob").await;
    watch(&server, "carol", &reader, "general").await;
    watch(&server, "bob", &sleeper, "general").await;

    // Far more than the socket buffers between the server and a client that never reads can hold, so the
    // sleeper's queue fills up.
    // Each message carries nearly the most attachment data one message may (64 KiB).
    let attachments = json!([{"type": "file", "padding": "z".repeat(60 * 1024)}]);
    let sent = 320;
    for index in 0..sent {
        let id = format!("m{index}");
        send(&server, "alice", "general", json!({"id": id, "text": "big", "attachments": attachments})).await;
        let event = reader
            .wait_for(Duration::from_secs(10), |event| event["type"] == "message.new")
            .await
            .unwrap_or_else(|error| panic!("the reader stopped receiving at {id}: {error}"));
        assert_eq!(event["message"]["id"], id.as_str());
    }

    // The server gave up on the sleeper without waiting for it to read: it no longer watches (nor is online).
    let registry = server.state.registry().clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while registry.watcher_count(server.app.id, "team:general") != 1 {
        assert!(tokio::time::Instant::now() < deadline, "the slow socket still watches the channel");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!registry.is_online(server.app.id, "bob"), "bob's only connection is gone");

    // The sleeper finally reads: what was sent before its queue overflowed, then the close.
    let mut messages = 0;
    loop {
        match sleeper.next_frame(Duration::from_secs(10)).await {
            Ok(Some(frame)) => messages += usize::from(frame["type"] == "message.new"),
            Ok(None) => break,
            Err(error) => panic!("the slow socket was not closed after {messages} messages: {error}"),
        }
    }
    assert_eq!(sleeper.close_code, Some(1011), "after {messages} messages");
    assert!(messages < sent, "the slow socket was cut off, not served everything ({messages} messages)");

    // The reader is still connected and served.
    send(&server, "alice", "general", json!({"id": "after", "text": "still here"})).await;
    let event = expect(&mut reader, "message.new", "MessageNewEvent").await;
    assert_eq!(event["message"]["id"], "after");
    assert_eq!(event["watcher_count"], 1, "the closed socket no longer watches");
}

#[tokio::test]
async fn watching_with_someone_elses_connection_is_refused() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let mut bob = server.connect("bob").await;

    let hijack = server.user_client("alice").on_connection(&bob.connection_id);
    let response =
        hijack.raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"watch": true}))).await.unwrap();
    assert_error(&response, 400, 4);
    let unknown = server.user_client("alice").on_connection("no-such-connection");
    let response =
        unknown.raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"watch": true}))).await.unwrap();
    assert_error(&response, 400, 4);
    let body = json!({"filter_conditions": {"cid": "team:general"}, "watch": true});
    let response = hijack.raw(Method::POST, "/channels", &[], Some(&body)).await.unwrap();
    assert_error(&response, 400, 4);

    // Bob's connection was not subscribed: he hears of a new message as a member, not as a watcher.
    send(&server, "alice", "general", json!({"text": "psst"})).await;
    expect_in(&mut bob, "notification.message_new", "team:general", "NotificationNewMessageEvent").await;
    expect_none_of(&mut bob, &["message.new", "user.watching.start"]).await;
}

#[tokio::test]
async fn unread_counts_in_me_are_exact_across_channels() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    for channel in ["one", "two", "three"] {
        server.team_channel(channel, &["alice", "bob"]).await;
    }
    send(&server, "alice", "one", json!({"text": "1"})).await;
    send(&server, "alice", "one", json!({"text": "2"})).await;
    send(&server, "alice", "two", json!({"text": "3"})).await;
    send(&server, "alice", "three", json!({"text": "quiet", "silent": true})).await;
    send(&server, "bob", "three", json!({"text": "bob's own"})).await;

    let bob = server.connect("bob").await;
    assert_schema("HealthCheckEvent", &bob.seen[0]);
    assert_schema("OwnUserResponse", &bob.me);
    assert_eq!(bob.me["id"], "bob");
    assert_eq!(bob.me["total_unread_count"], 3);
    assert_eq!(bob.me["unread_count"], 3);
    assert_eq!(bob.me["unread_channels"], 2);
    let alice = server.connect("alice").await;
    assert_eq!(alice.me["total_unread_count"], 1);
    assert_eq!(alice.me["unread_channels"], 1);

    ok(&server.user_client("bob"), Method::POST, "/channels/team/one/read", json!({})).await;
    let bob = server.connect("bob").await;
    assert_eq!(bob.me["total_unread_count"], 1);
    assert_eq!(bob.me["unread_channels"], 1);
    ok(&server.user_client("bob"), Method::POST, "/channels/read", json!({})).await;
    let bob = server.connect("bob").await;
    assert_eq!(bob.me["total_unread_count"], 0);
    assert_eq!(bob.me["unread_channels"], 0);
}

#[tokio::test]
async fn mark_unread_moves_the_read_position_back_exactly() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let bob = server.user_client("bob");
    let first = alice.send_message("team", "general", &json!({"text": "one"})).await.unwrap();
    let second = alice.send_message("team", "general", &json!({"text": "two"})).await.unwrap();
    alice.send_message("team", "general", &json!({"text": "three"})).await.unwrap();
    // Bob's own message after the mark never counts as unread for him.
    bob.send_message("team", "general", &json!({"text": "mine"})).await.unwrap();
    bob.mark_read("team", "general", &json!({})).await.unwrap();

    let mut socket = server.connect("bob").await;
    assert_eq!(socket.me["total_unread_count"], 0);
    let marked = bob
        .raw(reqwest::Method::POST, "/channels/team/general/unread", &[], Some(&json!({"message_id": second.id})))
        .await
        .unwrap();
    assert_eq!(marked.status, 201, "{}", marked.body);
    let event = socket.wait_for_type("notification.mark_unread").await.unwrap();
    assert_schema("NotificationMarkUnreadEvent", &event);
    assert_eq!(event["first_unread_message_id"], second.id.as_str());
    assert_eq!(event["last_read_message_id"], first.id.as_str());
    assert_eq!(event["unread_messages"], 2);
    assert_eq!(event["total_unread_count"], 2);
    assert_eq!(event["unread_channels"], 1);

    let state = bob.get_or_create_channel("team", "general", &json!({})).await.unwrap();
    let read = state.read.unwrap().into_iter().find(|read| read.user.id == "bob").unwrap();
    assert_eq!(read.unread_messages, 2);
    // A message from someone else after the mark counts on top.
    alice.send_message("team", "general", &json!({"text": "four"})).await.unwrap();
    let again = server.connect("bob").await;
    assert_eq!(again.me["total_unread_count"], 3);

    let missing = bob.raw(reqwest::Method::POST, "/channels/team/general/unread", &[], Some(&json!({}))).await.unwrap();
    assert_eq!((missing.status, missing.body["code"].as_i64()), (400, Some(4)), "{}", missing.body);
}

#[tokio::test]
async fn invites_are_pending_until_answered_and_count_nothing_unread_meanwhile() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("project", &["alice"]).await;
    let alice = server.user_client("alice");
    let mut bob_socket = server.connect("bob").await;

    let invited = alice
        .raw(reqwest::Method::POST, "/channels/team/project", &[], Some(&json!({"invites": ["bob", "carol"]})))
        .await
        .unwrap();
    assert_eq!(invited.status, 201, "{}", invited.body);
    let notification = bob_socket.wait_for_type("notification.invited").await.unwrap();
    assert_eq!(notification["member"]["user_id"], "bob");
    assert_eq!(notification["member"]["invited"], true);
    assert_eq!(notification["channel"]["cid"], "team:project");

    // While the invite is pending, messages do not count as unread for bob.
    alice.send_message("team", "project", &json!({"text": "welcome?"})).await.unwrap();
    let pending =
        server.user_client("bob").query_channels(&json!({"filter_conditions": {"invite": "pending"}})).await.unwrap();
    assert_eq!(pending.channels.len(), 1);
    assert_eq!(server.connect("bob").await.me["total_unread_count"], 0);

    let bob = server.user_client("bob");
    let accepted = bob
        .raw(reqwest::Method::POST, "/channels/team/project", &[], Some(&json!({"accept_invite": true})))
        .await
        .unwrap();
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    let answer = bob_socket.wait_for_type("notification.invite_accepted").await.unwrap();
    assert!(answer["member"]["invite_accepted_at"].is_string(), "{answer}");
    alice.send_message("team", "project", &json!({"text": "welcome!"})).await.unwrap();
    assert_eq!(server.connect("bob").await.me["total_unread_count"], 1, "after accepting, new messages count");

    let carol = server.user_client("carol");
    let rejected = carol
        .raw(reqwest::Method::POST, "/channels/team/project", &[], Some(&json!({"reject_invite": true})))
        .await
        .unwrap();
    assert_eq!(rejected.status, 201, "{}", rejected.body);
    let members = rejected.body["members"].as_array().unwrap();
    let carol_member = members.iter().find(|member| member["user_id"] == "carol").unwrap();
    assert!(carol_member["invite_rejected_at"].is_string(), "{carol_member}");
    let again = carol
        .raw(reqwest::Method::POST, "/channels/team/project", &[], Some(&json!({"accept_invite": true})))
        .await
        .unwrap();
    assert_eq!((again.status, again.body["code"].as_i64()), (400, Some(4)), "{}", again.body);
}

/// In a channel with many more members than connected users, the send does not read the member list: the
/// connected users' memberships are looked up instead, and the same people are told.
#[tokio::test]
async fn a_large_channel_with_few_online_notifies_exactly_its_connected_members() {
    let server = TestServer::start().await;
    let mut ids: Vec<String> = (0..60).map(|index| format!("member{index:02}")).collect();
    ids.push("outsider".into());
    let names: Vec<&str> = ids.iter().map(String::as_str).collect();
    server.create_users(&names).await;
    server.team_channel("crowd", &names[..60]).await;

    let mut watching = server.connect("member00").await;
    let mut idle = server.connect("member01").await;
    let mut outsider = server.connect("outsider").await;
    watch(&server, "member00", &watching, "crowd").await;

    let sent = send(&server, "member02", "crowd", json!({"text": "to the crowd"})).await;
    let event = expect_in(&mut watching, "message.new", "team:crowd", "MessageNewEvent").await;
    assert_eq!((event["message"]["id"].clone(), event["unread_count"].clone()), (sent["id"].clone(), json!(1)));
    let note = expect_in(&mut idle, "notification.message_new", "team:crowd", "NotificationNewMessageEvent").await;
    assert_eq!(note["total_unread_count"], 1, "{note}");
    let heard = outsider.expect_none(QUIET, |event| event["cid"] == "team:crowd").await;
    assert!(heard.is_ok(), "a connected non-member heard about the channel: {heard:?}");
}

/// `POST /users/{user_id}/event`: a server's custom event reaches every connection of that user and nobody
/// else; users may not send one, and types, fields and unknown users are checked.
#[tokio::test]
async fn a_user_event_reaches_every_connection_of_that_user_only() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let mut bob_phone = server.connect("bob").await;
    let mut bob_laptop = server.connect("bob").await;
    let mut alice = server.connect("alice").await;
    let admin = server.server_client();
    let body = json!({"event": {"type": "friendship_request", "from": "alice", "note": {"text": "hi"}}});
    let sent = ok(&admin, Method::POST, "/users/bob/event", body.clone()).await;
    assert_schema("Response", &sent);
    for socket in [&mut bob_phone, &mut bob_laptop] {
        let event = socket.wait_for_type("friendship_request").await.expect("bob's connection gets it");
        assert_eq!(event["from"], "alice");
        assert_eq!(event["note"]["text"], "hi");
        assert!(event["created_at"].is_string(), "{event}");
    }
    expect_none_of(&mut alice, &["friendship_request"]).await;

    let by_user = server.user_client("alice").raw(Method::POST, "/users/bob/event", &[], Some(&body)).await.unwrap();
    assert_error(&by_user, 403, 17);
    for refused in [
        json!({"event": {"type": "message.new"}}),
        json!({"event": {"type": ""}}),
        json!({"event": {"type": "x".repeat(65)}}),
        json!({"event": {"type": "ping", "cid": "team:elsewhere"}}),
    ] {
        let response = admin.raw(Method::POST, "/users/bob/event", &[], Some(&refused)).await.unwrap();
        assert_error(&response, 400, 4);
    }
    let unknown = admin.raw(Method::POST, "/users/nobody/event", &[], Some(&body)).await.unwrap();
    assert_error(&unknown, 404, 16);
    expect_none_of(&mut bob_phone, &["message.new", "ping"]).await;
}

/// Freezing and unfreezing announce `channel.frozen` and `channel.unfrozen` to the channel's watchers, beside
/// `channel.updated`; an update that leaves `frozen` as it was announces neither.
#[tokio::test]
async fn freezing_is_announced_to_watchers() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let mut bob = server.connect("bob").await;
    let mut carol = server.connect("carol").await;
    watch(&server, "bob", &bob, "general").await;
    let admin = server.server_client();
    ok(&admin, Method::PATCH, "/channels/team/general", json!({"set": {"frozen": true}})).await;
    let frozen = expect(&mut bob, "channel.frozen", "ChannelFrozenEvent").await;
    assert_eq!(frozen["cid"], "team:general");
    expect_none_of(&mut carol, &["channel.frozen"]).await;
    ok(&admin, Method::PATCH, "/channels/team/general", json!({"set": {"topic": "still frozen"}})).await;
    expect(&mut bob, "channel.updated", "ChannelUpdatedEvent").await;
    expect_none_of(&mut bob, &["channel.frozen", "channel.unfrozen"]).await;
    let unfreeze = json!({"data": {"frozen": false}});
    ok(&admin, Method::POST, "/channels/team/general", unfreeze).await;
    let unfrozen = expect(&mut bob, "channel.unfrozen", "ChannelUnFrozenEvent").await;
    assert_eq!(unfrozen["channel_id"], "general");
}
