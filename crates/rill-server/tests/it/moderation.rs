//! Bans: app-wide and per channel, with timeouts, reasons, shadow bans and bans from future channels; who may
//! make and query them; what a banned user may still do; and the events, to exactly whom.

use crate::support::{assert_error, call, ok, send, QUIET};
use reqwest::Method;
use rill_client::Socket;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

/// `team:{channel}` with a channel moderator `mod`, created by `owner`, with `members` besides.
async fn moderated_channel(server: &TestServer, channel: &str, members: &[&str]) {
    let mut all: Vec<Value> = vec![json!("owner"), json!({"user_id": "mod", "channel_role": "channel_moderator"})];
    all.extend(members.iter().map(|member| json!(member)));
    let body = json!({"data": {"created_by_id": "owner", "members": all}});
    ok(&server.server_client(), Method::POST, &format!("/channels/team/{channel}/query"), body).await;
}

/// Makes `socket` (a connection of `user`) watch `team:{channel}`.
async fn watch(server: &TestServer, user: &str, socket: &Socket, channel: &str) -> Value {
    let client = server.user_client(user).on_connection(&socket.connection_id);
    ok(&client, Method::POST, &format!("/channels/team/{channel}/query"), json!({"watch": true})).await
}

/// A request with a query string of owned pairs.
async fn with_query(
    client: &rill_client::Client,
    method: Method,
    path: &str,
    pairs: &[(String, String)],
) -> rill_client::RawResponse {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    client.raw(method, path, &pairs, None).await.unwrap()
}

fn unban_query(target: &str, cid: Option<&str>) -> Vec<(String, String)> {
    let mut query = vec![("target_user_id".to_owned(), target.to_owned())];
    query.extend(cid.map(|cid| ("channel_cid".to_owned(), cid.to_owned())));
    query
}

async fn bans(client: &rill_client::Client, document: Value) -> rill_client::RawResponse {
    let payload = vec![("payload".to_owned(), document.to_string())];
    with_query(client, Method::GET, "/query_banned_users", &payload).await
}

fn capabilities(state: &Value) -> Vec<&str> {
    state["channel"]["own_capabilities"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect()
}

/// A channel moderator bans a member in the channel for an hour: the member is told (and the channel's watchers),
/// keeps reading, cannot post, react or type there (403, code 17, saying why and until when), and posts
/// elsewhere as before; members and the ban query show the ban; lifting it is told too and restores posting.
#[tokio::test]
async fn a_channel_ban_stops_posting_in_that_channel_only_until_lifted() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "mod", "alice", "bob"]).await;
    moderated_channel(&server, "ops", &["alice", "bob"]).await;
    server.team_channel("lounge", &["alice", "bob"]).await;
    let message = send(&server, "bob", "ops", json!({"text": "react to me"})).await;
    let mut alice_socket = server.connect("alice").await;
    let mut bob_socket = server.connect("bob").await;
    watch(&server, "bob", &bob_socket, "ops").await;

    let moderator = server.user_client("mod");
    let ban = json!({"target_user_id": "alice", "channel_cid": "team:ops", "timeout": 60, "reason": "spam"});
    let banned = call(&moderator, Method::POST, "/moderation/ban", ban).await;
    assert_eq!(banned.status, 201, "{}", banned.body);
    assert_schema("Response", &banned.body);
    for socket in [&mut alice_socket, &mut bob_socket] {
        let event = socket.wait_for_type("user.banned").await.expect("told of the ban");
        assert_schema("UserBannedEvent", &event);
        assert_eq!(event["user"]["id"], "alice");
        assert_eq!(event["created_by"]["id"], "mod");
        assert_eq!(event["cid"], "team:ops");
        assert_eq!(event["reason"], "spam");
        assert!(event["expiration"].is_string(), "{event}");
    }

    let alice = server.user_client("alice");
    let refused = call(&alice, Method::POST, "/channels/team/ops/message", json!({"message": {"text": "hi"}})).await;
    let why = assert_error(&refused, 403, 17);
    assert!(why.contains("banned in channel team:ops until"), "{why}");
    let path = format!("/messages/{}/reaction", message["id"].as_str().unwrap());
    assert_error(&call(&alice, Method::POST, &path, json!({"reaction": {"type": "like"}})).await, 403, 17);
    let typing = json!({"event": {"type": "typing.start"}});
    assert_error(&call(&alice, Method::POST, "/channels/team/ops/event", typing).await, 403, 17);
    let state = ok(&alice, Method::POST, "/channels/team/ops/query", json!({})).await;
    assert_eq!(state["messages"].as_array().unwrap().len(), 1, "a banned member still reads");
    assert!(!capabilities(&state).contains(&"send-message"), "{:?}", capabilities(&state));
    send(&server, "alice", "lounge", json!({"text": "still here"})).await;

    let members = vec![(
        "payload".to_owned(),
        json!({"type": "team", "id": "ops", "filter_conditions": {"banned": true}}).to_string(),
    )];
    let members = with_query(&alice, Method::GET, "/members", &members).await;
    assert_eq!(members.status, 200, "{}", members.body);
    let listed: Vec<&str> =
        members.body["members"].as_array().unwrap().iter().map(|m| m["user_id"].as_str().unwrap()).collect();
    assert_eq!(listed, ["alice"]);
    assert!(members.body["members"][0]["ban_expires"].is_string(), "{}", members.body);

    let found = bans(&moderator, json!({"filter_conditions": {"channel_cid": "team:ops"}})).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_schema("QueryBannedUsersResponse", &found.body);
    let listed = &found.body["bans"];
    assert_eq!(listed.as_array().unwrap().len(), 1, "{}", found.body);
    assert_eq!(listed[0]["user"]["id"], "alice");
    assert_eq!(listed[0]["banned_by"]["id"], "mod");
    assert_eq!(listed[0]["channel"]["cid"], "team:ops");
    assert_eq!(listed[0]["reason"], "spam");
    assert_eq!(listed[0]["shadow"], false);

    let lifted =
        with_query(&moderator, Method::DELETE, "/moderation/ban", &unban_query("alice", Some("team:ops"))).await;
    assert_eq!(lifted.status, 200, "{}", lifted.body);
    let event = alice_socket.wait_for_type("user.unbanned").await.expect("told of the unban");
    assert_schema("UserUnbannedEvent", &event);
    assert_eq!(event["cid"], "team:ops");
    send(&server, "alice", "ops", json!({"text": "back"})).await;
    let none = bans(&moderator, json!({"filter_conditions": {"channel_cid": "team:ops"}})).await;
    assert_eq!(none.body["bans"], json!([]), "{}", none.body);
}

/// Only moderators ban: a plain member cannot ban in a channel, a channel moderator cannot ban app-wide or
/// ban an admin, nobody bans themselves; bad timeouts, long reasons, unknown targets and the options Rill does
/// not have are refused by name; only moderators query bans.
#[tokio::test]
async fn bans_are_for_moderators_and_bad_bans_are_refused_by_name() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "mod", "alice", "bob"]).await;
    let admin =
        json!({"users": {"boss": {"id": "boss", "role": "admin"}, "appmod": {"id": "appmod", "role": "moderator"}}});
    ok(&server.server_client(), Method::POST, "/users", admin).await;
    moderated_channel(&server, "ops", &["alice", "bob", "boss"]).await;
    let in_ops = |target: &str| json!({"target_user_id": target, "channel_cid": "team:ops"});

    let member = server.user_client("bob");
    let refused = call(&member, Method::POST, "/moderation/ban", in_ops("alice")).await;
    assert!(assert_error(&refused, 403, 17).contains("ban members of channel team:ops"), "{}", refused.body);
    let moderator = server.user_client("mod");
    let app_wide = call(&moderator, Method::POST, "/moderation/ban", json!({"target_user_id": "alice"})).await;
    assert!(assert_error(&app_wide, 403, 17).contains("app-wide"), "{}", app_wide.body);
    let the_admin = call(&moderator, Method::POST, "/moderation/ban", in_ops("boss")).await;
    assert!(assert_error(&the_admin, 403, 17).contains("admin"), "{}", the_admin.body);
    let unban = with_query(&member, Method::DELETE, "/moderation/ban", &unban_query("alice", Some("team:ops"))).await;
    assert_error(&unban, 403, 17);

    let long_reason = "x".repeat(256);
    for (body, needle) in [
        (in_ops("mod"), "themselves"),
        (json!({"target_user_id": "alice", "channel_cid": "team:ops", "timeout": -1}), "timeout"),
        (json!({"target_user_id": "alice", "channel_cid": "team:ops", "timeout": 600_000}), "timeout"),
        (json!({"target_user_id": "alice", "channel_cid": "team:ops", "reason": long_reason}), "255"),
        (json!({"target_user_id": "ghost", "channel_cid": "team:ops"}), "ghost"),
        (json!({"channel_cid": "team:ops"}), "target_user_id"),
        (json!({"target_user_id": "alice", "channel_cid": "team:ops", "ip_ban": true}), "ip_ban"),
        (json!({"target_user_id": "alice", "channel_cid": "team:ops", "delete_messages": "hard"}), "delete_messages"),
        (json!({"target_user_id": "alice", "ban_from_future_channels": true, "banned_by_id": "mod"}), "channel"),
    ] {
        let client = if body.get("banned_by_id").is_some() { server.server_client() } else { moderator.clone() };
        let response = call(&client, Method::POST, "/moderation/ban", body.clone()).await;
        let message = assert_error(&response, 400, 4);
        assert!(message.contains(needle), "{body}: {message:?} should mention {needle:?}");
    }
    let missing = call(
        &moderator,
        Method::POST,
        "/moderation/ban",
        json!({"target_user_id": "alice", "channel_cid": "team:nope"}),
    )
    .await;
    assert_error(&missing, 404, 16);

    // The app's moderators ban app-wide; channel moderators query the bans of their channel only.
    let appmod = server.user_client("appmod");
    ok(&appmod, Method::POST, "/moderation/ban", json!({"target_user_id": "bob"})).await;
    assert_eq!(bans(&appmod, json!({})).await.body["bans"].as_array().unwrap().len(), 1);
    assert_error(&bans(&moderator, json!({})).await, 403, 17);
    assert_error(&bans(&member, json!({"filter_conditions": {"channel_cid": "team:ops"}})).await, 403, 17);
    for (document, needle) in [
        (json!({"filter_conditions": {"team": "x"}}), "team"),
        (json!({"sort": [{"field": "reason", "direction": 1}]}), "created_at"),
        (json!({"offset": 10_001}), "offset"),
    ] {
        let response = bans(&appmod, document.clone()).await;
        assert_eq!(response.status, 400, "{document}: {}", response.body);
        assert!(assert_error(&response, 400, 4).contains(needle), "{document}: {}", response.body);
    }
}

/// An app-wide ban holds everywhere until it runs out: the user shows `banned` (and QueryUsers finds them by
/// it) while it holds, and neither once it has expired.
#[tokio::test]
async fn app_wide_bans_hold_everywhere_until_they_expire() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "carol"]).await;
    server.team_channel("one", &["alice", "carol"]).await;
    server.team_channel("two", &["carol", "alice"]).await;
    let mut carol_socket = server.connect("carol").await;
    let admin = server.server_client();
    let ban = json!({"target_user_id": "carol", "banned_by_id": "alice", "timeout": 30, "reason": "cool off"});
    ok(&admin, Method::POST, "/moderation/ban", ban).await;
    let event = carol_socket.wait_for_type("user.banned").await.expect("told");
    assert!(event.get("cid").is_none(), "an app-wide ban names no channel: {event}");
    let carol = server.user_client("carol");
    for channel in ["one", "two"] {
        let path = format!("/channels/team/{channel}/message");
        let refused = call(&carol, Method::POST, &path, json!({"message": {"text": "hi"}})).await;
        assert!(assert_error(&refused, 403, 17).contains("banned from this app until"), "{}", refused.body);
    }
    let query =
        |banned: bool| vec![("payload".to_owned(), json!({"filter_conditions": {"banned": banned}}).to_string())];
    let found = with_query(&admin, Method::GET, "/users", &query(true)).await;
    let ids: Vec<&str> = found.body["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["carol"]);
    assert_eq!(found.body["users"][0]["banned"], true);

    // The ban runs out (stored as expired a minute ago): carol posts again, and the user row is swept clean.
    let app_id = server.app.id;
    let now = chrono::Utc::now();
    let expired = rill_core::model::Ban {
        user_id: "carol".into(),
        channel_cid: None,
        created_by: Some("alice".into()),
        reason: None,
        shadow: false,
        future_channels: false,
        created_at: now - chrono::Duration::hours(1),
        expires: Some(now - chrono::Duration::minutes(1)),
    };
    server.state.store().write(expired, move |tx, ban| tx.put_ban(app_id, ban)).await.unwrap();
    send(&server, "carol", "one", json!({"text": "free"})).await;
    let mut swept = false;
    for _ in 0..200 {
        let found = with_query(&admin, Method::GET, "/users", &query(true)).await;
        if found.body["users"].as_array().unwrap().is_empty() {
            swept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(swept, "an expired ban leaves the user's row within seconds");
    let found = with_query(&admin, Method::GET, "/users", &query(false)).await;
    assert_eq!(found.body["users"].as_array().unwrap().len(), 2, "{}", found.body);
}

/// A shadow ban: the user posts as before and is never told; their messages are `shadowed` and reach only
/// them (their own socket, their own reads), not the channel's watchers, its unread counts or anyone's reads.
#[tokio::test]
async fn shadow_banned_messages_reach_only_their_author() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "mod", "dave", "bob"]).await;
    moderated_channel(&server, "ops", &["dave", "bob"]).await;
    let mut dave_socket = server.connect("dave").await;
    let mut bob_socket = server.connect("bob").await;
    watch(&server, "dave", &dave_socket, "ops").await;
    watch(&server, "bob", &bob_socket, "ops").await;
    let ban = json!({"target_user_id": "dave", "channel_cid": "team:ops", "shadow": true});
    ok(&server.user_client("mod"), Method::POST, "/moderation/ban", ban).await;
    let told = dave_socket.expect_none(QUIET, |event| event["type"] == "user.banned").await;
    assert!(told.is_ok(), "a shadow ban is never announced: {told:?}");

    let sent = send(&server, "dave", "ops", json!({"text": "nobody sees this"})).await;
    assert_eq!(sent["shadowed"], true, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    let own = dave_socket.wait_for_type("message.new").await.expect("the author sees their message");
    assert_eq!(own["message"]["id"], id.as_str());
    let leaked = bob_socket.expect_none(QUIET, |event| event["message"]["id"] == id.as_str()).await;
    assert!(leaked.is_ok(), "bob must not get the shadowed message: {leaked:?}");

    let for_bob = ok(&server.user_client("bob"), Method::POST, "/channels/team/ops/query", json!({})).await;
    assert!(for_bob["messages"].as_array().unwrap().iter().all(|m| m["id"] != id.as_str()), "{for_bob}");
    let read = for_bob["read"].as_array().unwrap().iter().find(|r| r["user"]["id"] == "bob").cloned().unwrap();
    assert_eq!(read["unread_messages"], 0, "a shadowed message is unread for nobody");
    let for_dave = ok(&server.user_client("dave"), Method::POST, "/channels/team/ops/query", json!({})).await;
    assert!(for_dave["messages"].as_array().unwrap().iter().any(|m| m["id"] == id.as_str()), "{for_dave}");
    let fetched = call(&server.user_client("bob"), Method::GET, &format!("/messages/{id}"), json!(null)).await;
    assert_error(&fetched, 404, 16);
    let listed = bans(&server.server_client(), json!({"filter_conditions": {"user_id": "dave"}})).await;
    assert_eq!(listed.body["bans"][0]["shadow"], true, "{}", listed.body);
    // The member list shows no ban: the shadow-banned are not to find out from it.
    assert!(capabilities(&for_dave).contains(&"send-message"));

    // A shadowed reply leaves the thread as others see it: no reply counted, no participant shown.
    let parent = send(&server, "bob", "ops", json!({"text": "a thread"})).await["id"].as_str().unwrap().to_owned();
    send(&server, "bob", "ops", json!({"text": "first reply", "parent_id": parent})).await;
    let reply = send(&server, "dave", "ops", json!({"text": "hidden reply", "parent_id": parent})).await;
    assert_eq!(reply["shadowed"], true);
    let seen = ok(&server.user_client("bob"), Method::GET, &format!("/messages/{parent}"), json!(null)).await;
    assert_eq!(seen["message"]["reply_count"], 1, "{seen}");
    let participants: Vec<&str> = seen["message"]["thread_participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect();
    assert_eq!(participants, ["bob"]);
    let replies =
        ok(&server.user_client("bob"), Method::GET, &format!("/messages/{parent}/replies"), json!(null)).await;
    assert_eq!(replies["messages"].as_array().unwrap().len(), 1, "{replies}");
    let own = ok(&server.user_client("dave"), Method::GET, &format!("/messages/{parent}/replies"), json!(null)).await;
    assert_eq!(own["messages"].as_array().unwrap().len(), 2, "the author sees their reply: {own}");
}

/// A channel ban with `ban_from_future_channels` also bans the user from the channels the banner creates later,
/// and from no one else's.
#[tokio::test]
async fn future_channel_bans_follow_the_banner() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "mod", "eve", "bob"]).await;
    moderated_channel(&server, "first", &["eve", "bob"]).await;
    let ban = json!({"target_user_id": "eve", "channel_cid": "team:first", "ban_from_future_channels": true});
    ok(&server.user_client("mod"), Method::POST, "/moderation/ban", ban).await;
    server.team_channel("by-mod", &["mod", "eve"]).await;
    server.team_channel("by-bob", &["bob", "eve"]).await;
    let eve = server.user_client("eve");
    let refused = call(&eve, Method::POST, "/channels/team/by-mod/message", json!({"message": {"text": "hi"}})).await;
    assert!(assert_error(&refused, 403, 17).contains("team:by-mod"), "{}", refused.body);
    send(&server, "eve", "by-bob", json!({"text": "fine here"})).await;

    // The banner lists them (a server call names the banner); nobody else's show.
    let future = |client: rill_client::Client, document: Value| async move {
        let payload = vec![("payload".to_owned(), document.to_string())];
        with_query(&client, Method::GET, "/query_future_channel_bans", &payload).await
    };
    let listed = future(server.user_client("mod"), json!({"include_total": true})).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_schema("QueryFutureChannelBansResponse", &listed.body);
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["bans"][0]["user"]["id"], "eve");
    assert_eq!(listed.body["bans"][0]["banned_by"]["id"], "mod");
    let by_server = future(server.server_client(), json!({"user_id": "mod", "target_user_id": "eve"})).await;
    assert_eq!(by_server.body["bans"].as_array().unwrap().len(), 1, "{}", by_server.body);
    let other_target = future(server.server_client(), json!({"user_id": "mod", "target_user_id": "bob"})).await;
    assert_eq!(other_target.body["bans"], json!([]));
    assert_eq!(future(server.user_client("bob"), json!({})).await.body["bans"], json!([]));
    let nobody = future(server.server_client(), json!({})).await;
    assert!(assert_error(&nobody, 400, 4).contains("user"), "{}", nobody.body);
}

async fn flags(client: &rill_client::Client, document: Value) -> rill_client::RawResponse {
    let payload = vec![("payload".to_owned(), document.to_string())];
    with_query(client, Method::GET, "/moderation/flags/message", &payload).await
}

fn flagged(body: &Value) -> Vec<(String, String)> {
    let pair = |flag: &Value| {
        (flag["message"]["id"].as_str().unwrap_or_default().to_owned(), flag["user"]["id"].as_str().unwrap().to_owned())
    };
    body["flags"].as_array().unwrap().iter().map(pair).collect()
}

/// Members report messages (once each, never their own) and users; only the reporter hears of it; moderators
/// page the queue newest first, filtered by reporter and review state, each flag with its message, author and
/// channel; a moderator's deletion reviews and rejects the message's flags and takes it out of the default
/// queue; a withdrawn report is gone.
#[tokio::test]
async fn members_flag_and_moderators_work_the_review_queue() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "mod", "alice", "bob", "carol"]).await;
    moderated_channel(&server, "ops", &["alice", "bob", "carol"]).await;
    let first = send(&server, "bob", "ops", json!({"text": "buy now"})).await["id"].as_str().unwrap().to_owned();
    let second = send(&server, "bob", "ops", json!({"text": "again"})).await["id"].as_str().unwrap().to_owned();
    let mut alice_socket = server.connect("alice").await;
    let mut bob_socket = server.connect("bob").await;
    watch(&server, "bob", &bob_socket, "ops").await;

    let alice = server.user_client("alice");
    let report = json!({"target_message_id": first, "reason": "spam", "custom": {"severity": 2}});
    let made = call(&alice, Method::POST, "/moderation/flag", report.clone()).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_schema("FlagMessageResponse", &made.body);
    assert_eq!(made.body["flag"]["user"]["id"], "alice");
    assert_eq!(made.body["flag"]["target_message_id"], first.as_str());
    assert_eq!(made.body["flag"]["target_user"]["id"], "bob");
    assert_eq!(made.body["flag"]["custom"]["severity"], 2);
    assert!(made.body["review_queue_item_id"].as_str().is_some_and(|id| !id.is_empty()));
    let event = alice_socket.wait_for_type("message.flagged").await.expect("the reporter hears of it");
    assert_schema("MessageFlaggedEvent", &event);
    assert_eq!(event["message"]["id"], first.as_str());
    let leaked = bob_socket.expect_none(QUIET, |event| event["type"] == "message.flagged").await;
    assert!(leaked.is_ok(), "the author does not learn who reported: {leaked:?}");

    let carol = server.user_client("carol");
    ok(&carol, Method::POST, "/moderation/flag", json!({"target_message_id": first, "reason": "abuse"})).await;
    ok(&alice, Method::POST, "/moderation/flag", json!({"target_message_id": second})).await;
    let user_flag = ok(&alice, Method::POST, "/moderation/flag", json!({"target_user_id": "carol"})).await;
    assert_eq!(user_flag["flag"]["target_user"]["id"], "carol");
    for (client, body, needle) in [
        (&alice, report.clone(), "already flagged"),
        (&server.user_client("bob"), json!({"target_message_id": first}), "own message"),
        (&alice, json!({"target_user_id": "alice"}), "themselves"),
        (&alice, json!({"target_message_id": first, "target_user_id": "bob"}), "one of"),
        (&alice, json!({"target_message_id": first, "reason": "r".repeat(256)}), "255"),
    ] {
        let refused = call(client, Method::POST, "/moderation/flag", body.clone()).await;
        assert!(assert_error(&refused, 400, 4).contains(needle), "{body}: {}", refused.body);
    }
    let missing = call(&alice, Method::POST, "/moderation/flag", json!({"target_message_id": "nope"})).await;
    assert_error(&missing, 404, 16);

    let moderator = server.user_client("mod");
    let in_ops = json!({"filter_conditions": {"channel_cid": "team:ops"}});
    let queue = flags(&moderator, in_ops.clone()).await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_schema("QueryMessageFlagsResponse", &queue.body);
    let expected = [(second.clone(), "alice"), (first.clone(), "carol"), (first.clone(), "alice")];
    let expected: Vec<(String, String)> = expected.iter().map(|(m, u)| (m.clone(), (*u).to_owned())).collect();
    assert_eq!(flagged(&queue.body), expected, "newest first, messages only");
    let item = &queue.body["flags"][2];
    assert_eq!(item["message"]["user"]["id"], "bob");
    assert_eq!(item["message"]["channel"]["cid"], "team:ops");
    assert_eq!(item["reason"], "spam");
    let by_carol =
        flags(&moderator, json!({"filter_conditions": {"channel_cid": "team:ops", "user_id": "carol"}})).await;
    assert_eq!(flagged(&by_carol.body), [(first.clone(), "carol".to_owned())]);
    let paged =
        flags(&moderator, json!({"filter_conditions": {"channel_cid": "team:ops"}, "limit": 1, "offset": 1})).await;
    assert_eq!(flagged(&paged.body), [(first.clone(), "carol".to_owned())]);

    let deleted = call(&moderator, Method::DELETE, &format!("/messages/{first}"), json!(null)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(flagged(&flags(&moderator, in_ops.clone()).await.body), [(second.clone(), "alice".to_owned())]);
    let reviewed =
        json!({"filter_conditions": {"channel_cid": "team:ops", "is_reviewed": true}, "show_deleted_messages": true});
    let reviewed = flags(&moderator, reviewed).await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.body);
    let items = reviewed.body["flags"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", reviewed.body);
    for item in items {
        assert_eq!(item["reviewed_by"]["id"], "mod");
        assert!(item["rejected_at"].is_string() && item["reviewed_at"].is_string(), "{item}");
        assert_eq!(item["message"]["text"], "buy now", "moderators see the deleted message's content");
    }

    let withdrawn = ok(&alice, Method::POST, "/moderation/unflag", json!({"target_message_id": second})).await;
    assert_eq!(withdrawn["flag"]["target_message_id"], second.as_str());
    assert_eq!(flags(&moderator, in_ops.clone()).await.body["flags"], json!([]));
    let again = call(&alice, Method::POST, "/moderation/unflag", json!({"target_message_id": second})).await;
    assert_error(&again, 404, 16);

    assert_error(&flags(&server.user_client("bob"), in_ops).await, 403, 17);
    for (document, needle) in [
        (json!({"filter_conditions": {"team": "x"}}), "team"),
        (json!({"filter_conditions": {"$or": [{"is_reviewed": true}, {"user_id": "alice"}]}}), "top level"),
        (json!({"sort": [{"field": "reason", "direction": 1}]}), "created_at"),
    ] {
        let response = flags(&server.server_client(), document.clone()).await;
        assert_eq!(response.status, 400, "{document}: {}", response.body);
        assert!(assert_error(&response, 400, 4).contains(needle), "{document}: {}", response.body);
    }
}

fn totals(me: &Value) -> (i64, i64) {
    (me["total_unread_count"].as_i64().unwrap(), me["unread_channels"].as_i64().unwrap())
}

fn muted_flags(channels: &Value) -> Vec<(String, bool)> {
    let mut flags: Vec<(String, bool)> = channels["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|state| (state["channel"]["cid"].as_str().unwrap().to_owned(), state["channel"]["muted"] == true))
        .collect();
    flags.sort();
    flags
}

/// A user mutes channels for a while or for good: a muted channel adds nothing to their unread totals (on
/// connecting, in mute answers and in new-message events), shows `muted` in their channel lists, and is in
/// `me.channel_mutes` beside their user mutes; unmuting, or the mute running out, counts it again. Too many
/// channels, bad expirations and channels they cannot read are refused.
#[tokio::test]
async fn muted_channels_add_nothing_to_unread_totals() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("a", &["bob", "alice"]).await;
    server.team_channel("b", &["bob", "alice"]).await;
    server.team_channel("c", &["bob", "carol"]).await;
    for (channel, text) in [("a", "one"), ("a", "two"), ("b", "three")] {
        send(&server, "bob", channel, json!({"text": text})).await;
    }
    let mut socket = server.connect("alice").await;
    assert_eq!(totals(&socket.me), (3, 2));
    assert_eq!(socket.me["channel_mutes"], json!([]));
    let alice = server.user_client("alice");
    ok(&alice, Method::POST, "/moderation/mute", json!({"target_id": "carol"})).await;

    let muted = call(
        &alice,
        Method::POST,
        "/moderation/mute/channel",
        json!({"channel_cids": ["team:a"], "expiration": 3_600_000}),
    )
    .await;
    assert_eq!(muted.status, 201, "{}", muted.body);
    assert_schema("MuteChannelResponse", &muted.body);
    assert_eq!(muted.body["channel_mute"]["channel"]["cid"], "team:a");
    assert_eq!(muted.body["channel_mute"]["user"]["id"], "alice");
    assert!(muted.body["channel_mute"]["expires"].is_string(), "{}", muted.body);
    assert_eq!(totals(&muted.body["own_user"]), (1, 1), "team:a no longer counts");
    assert_eq!(muted.body["own_user"]["mutes"][0]["target"]["id"], "carol", "user mutes stay in me");
    let event = socket.wait_for_type("notification.channel_mutes_updated").await.expect("the muter is told");
    assert_schema("NotificationChannelMutesUpdatedEvent", &event);
    assert_eq!(event["me"]["channel_mutes"][0]["channel"]["cid"], "team:a");

    send(&server, "bob", "a", json!({"text": "four"})).await;
    let notified = socket.wait_for(Duration::from_secs(5), |event| event["type"] == "notification.message_new").await;
    assert_eq!(notified.expect("still notified")["total_unread_count"], 1, "a muted channel's message adds nothing");
    let again = server.connect("alice").await;
    assert_eq!(totals(&again.me), (1, 1));
    assert_eq!(again.me["channel_mutes"].as_array().unwrap().len(), 1);
    let listed =
        ok(&alice, Method::POST, "/channels", json!({"filter_conditions": {"members": {"$in": ["alice"]}}})).await;
    assert_eq!(muted_flags(&listed), [("team:a".to_owned(), true), ("team:b".to_owned(), false)]);
    let a = listed["channels"].as_array().unwrap().iter().find(|s| s["channel"]["cid"] == "team:a").unwrap();
    assert!(a["channel"]["mute_expires_at"].is_string(), "{a}");
    for (muted, expected) in [(true, "team:a"), (false, "team:b")] {
        let filter = json!({"filter_conditions": {"members": {"$in": ["alice"]}, "muted": muted}});
        let found = ok(&alice, Method::POST, "/channels", filter).await;
        assert_eq!(listed_cids(&found), [expected], "muted: {muted}");
    }
    // An inexact filter (a date with an offset) is checked in memory, and agrees.
    let inexact = json!({"filter_conditions": {"muted": true, "created_at": {"$gt": "2000-01-01T00:00:00+02:00"}}});
    assert_eq!(listed_cids(&ok(&alice, Method::POST, "/channels", inexact).await), ["team:a"]);

    ok(&alice, Method::POST, "/moderation/unmute/channel", json!({"channel_cid": "team:a"})).await;
    let back = server.connect("alice").await;
    assert_eq!(totals(&back.me), (4, 2), "unmuted, team:a counts again");
    // A mute that has run out is no mute.
    let (app_id, past) = (server.app.id, chrono::Utc::now() - chrono::Duration::minutes(1));
    let expired = rill_core::model::ChannelMute {
        user_id: "alice".into(),
        channel_cid: "team:b".into(),
        created_at: past - chrono::Duration::hours(1),
        updated_at: past - chrono::Duration::hours(1),
        expires: Some(past),
    };
    server.state.store().write(expired, move |tx, mute| tx.put_channel_mute(app_id, mute)).await.unwrap();
    let still = server.connect("alice").await;
    assert_eq!(totals(&still.me), (4, 2));
    assert_eq!(still.me["channel_mutes"], json!([]));

    let many: Vec<String> = (0..26).map(|index| format!("team:x{index}")).collect();
    for (body, needle) in [
        (json!({"channel_cids": many}), "25"),
        (json!({"channel_cids": []}), "25"),
        (json!({"channel_cids": ["team:a"], "expiration": -1}), "expiration"),
    ] {
        let refused = call(&alice, Method::POST, "/moderation/mute/channel", body.clone()).await;
        assert!(assert_error(&refused, 400, 4).contains(needle), "{body}: {}", refused.body);
    }
    let unreadable = call(&alice, Method::POST, "/moderation/mute/channel", json!({"channel_cid": "team:c"})).await;
    assert_error(&unreadable, 403, 17);
    let missing = call(&alice, Method::POST, "/moderation/mute/channel", json!({"channel_cid": "team:nope"})).await;
    assert_error(&missing, 404, 16);
    let nobody =
        call(&server.server_client(), Method::POST, "/moderation/mute/channel", json!({"channel_cid": "team:a"})).await;
    assert!(assert_error(&nobody, 400, 4).contains("user"), "{}", nobody.body);
}

fn listed_cids(body: &Value) -> Vec<String> {
    let mut cids: Vec<String> =
        body["channels"].as_array().unwrap().iter().map(|s| s["channel"]["cid"].as_str().unwrap().to_owned()).collect();
    cids.sort();
    cids
}

/// The platform archive of `protocol-notes.md` §12, with the public calls only: freeze and mark the channel
/// `globally_archived`, hide it for every member. Members no longer list it, cannot post into it (and so it
/// never reappears), and keep its messages; an admin finds it by the flag; unarchiving restores it for all.
#[tokio::test]
async fn a_globally_archived_channel_stays_out_of_the_way_until_unarchived() {
    let server = TestServer::start().await;
    server.create_users(&["owner", "alice", "bob"]).await;
    server.team_channel("project", &["owner", "alice", "bob"]).await;
    server.team_channel("general", &["owner", "alice", "bob"]).await;
    send(&server, "alice", "project", json!({"text": "kept for the record"})).await;
    let admin = server.server_client();
    let archive = json!({"set": {"frozen": true, "globally_archived": true}, "user_id": "owner"});
    ok(&admin, Method::PATCH, "/channels/team/project", archive).await;
    for member in ["owner", "alice", "bob"] {
        ok(&admin, Method::POST, "/channels/team/project/hide", json!({"user_id": member})).await;
    }
    let mine = json!({"filter_conditions": {"members": {"$in": ["alice"]}}});
    let alice = server.user_client("alice");
    assert_eq!(listed_cids(&ok(&alice, Method::POST, "/channels", mine.clone()).await), ["team:general"]);
    let refused =
        ok(&alice, Method::POST, "/channels/team/project/message", json!({"message": {"text": "hello?"}})).await;
    assert_eq!(refused["message"]["type"], "error", "a frozen channel takes no message: {refused}");
    assert_eq!(
        listed_cids(&ok(&alice, Method::POST, "/channels", mine.clone()).await),
        ["team:general"],
        "still hidden"
    );
    let found = ok(&admin, Method::POST, "/channels", json!({"filter_conditions": {"globally_archived": true}})).await;
    assert_eq!(listed_cids(&found), ["team:project"]);
    let history = ok(&alice, Method::POST, "/channels/team/project/query", json!({})).await;
    assert_eq!(history["messages"][0]["text"], "kept for the record");

    let unarchive = json!({"set": {"frozen": false}, "unset": ["globally_archived"], "user_id": "owner"});
    ok(&admin, Method::PATCH, "/channels/team/project", unarchive).await;
    for member in ["owner", "alice", "bob"] {
        ok(&admin, Method::POST, "/channels/team/project/show", json!({"user_id": member})).await;
    }
    let both = listed_cids(&ok(&alice, Method::POST, "/channels", mine).await);
    assert_eq!(both, ["team:general", "team:project"]);
    send(&server, "alice", "project", json!({"text": "back at it"})).await;
}
