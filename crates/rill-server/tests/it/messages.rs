//! Messages over REST: send (server- and client-side), get, update, partial update, soft and hard delete,
//! threads, reactions, pinning, channel message pagination, search, frozen channels and what counts as unread.
//! Every response read is checked against its public schema.

use reqwest::Method;
use rill_client::{Client, RawResponse};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

async fn send_raw(client: &Client, method: Method, path: &str, body: Option<Value>) -> RawResponse {
    client.raw(method, path, &[], body.as_ref()).await.unwrap()
}

/// A 2xx response's body, checked against `schema`.
async fn ok(client: &Client, method: Method, path: &str, body: Option<Value>, schema: &str) -> Value {
    let response = send_raw(client, method, path, body).await;
    assert!((200..300).contains(&response.status), "{path}: {} {}", response.status, response.body);
    assert_schema(schema, &response.body);
    response.body
}

/// Checks that a response is the `APIError` with this status and code.
fn assert_error(response: &RawResponse, status: u16, code: i64) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_schema("APIError", &response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    assert_eq!(response.body["StatusCode"], status, "{}", response.body);
}

async fn send(client: &Client, channel: &str, message: Value) -> Value {
    let path = format!("/channels/team/{channel}/message");
    ok(client, Method::POST, &path, Some(json!({ "message": message })), "SendMessageResponse").await["message"].clone()
}

async fn get_message(client: &Client, id: &str) -> Value {
    ok(client, Method::GET, &format!("/messages/{id}"), None, "GetMessageResponse").await["message"].clone()
}

/// The channel state as `user` sees it, with an optional `messages` paging object.
async fn channel_state(server: &TestServer, user: &str, channel: &str, messages: Option<Value>) -> Value {
    let mut body = json!({ "state": true });
    if let Some(messages) = messages {
        body["messages"] = messages;
    }
    let path = format!("/channels/team/{channel}/query");
    ok(&server.user_client(user), Method::POST, &path, Some(body), "ChannelStateResponse").await
}

fn ids(messages: &Value) -> Vec<String> {
    messages.as_array().unwrap().iter().map(|message| message["id"].as_str().unwrap().to_owned()).collect()
}

async fn search(client: &Client, payload: Value) -> Vec<Value> {
    let payload = payload.to_string();
    let response = client.raw(Method::GET, "/search", &[("payload", payload.as_str())], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("SearchResponse", &response.body);
    response.body["results"].as_array().unwrap().iter().map(|result| result["message"].clone()).collect()
}

fn unread_of(state: &Value, user: &str) -> i64 {
    let read = state["read"].as_array().unwrap();
    let entry = read.iter().find(|read| read["user"]["id"] == user).unwrap_or_else(|| panic!("no read for {user}"));
    entry["unread_messages"].as_i64().unwrap()
}

#[tokio::test]
async fn send_server_side_and_client_side() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;

    let server_sent =
        send(&server.server_client(), "general", json!({"text": "from the server", "user_id": "alice"})).await;
    assert_eq!(server_sent["user"]["id"], "alice");
    assert_eq!(server_sent["type"], "regular");
    assert_eq!(server_sent["cid"], "team:general");
    assert_eq!(server_sent["html"], "<p>from the server</p>\n");

    // Server-side calls must name the sender.
    let anonymous = send_raw(
        &server.server_client(),
        Method::POST,
        "/channels/team/general/message",
        Some(json!({"message": {"text": "who am I"}})),
    )
    .await;
    assert_error(&anonymous, 400, 4);

    // With a user token the sender is the token's user, whatever the body claims.
    let client_sent = send(&server.user_client("bob"), "general", json!({"text": "hi", "user_id": "alice"})).await;
    assert_eq!(client_sent["user"]["id"], "bob");

    let chosen = send(&server.user_client("bob"), "general", json!({"id": "bob-msg-1", "text": "mine"})).await;
    assert_eq!(chosen["id"], "bob-msg-1");
    let duplicate = send_raw(
        &server.user_client("alice"),
        Method::POST,
        "/channels/team/general/message",
        Some(json!({"message": {"id": "bob-msg-1", "text": "again"}})),
    )
    .await;
    assert_error(&duplicate, 400, 4);
    assert!(duplicate.body["message"].as_str().unwrap().contains("already exists"), "{}", duplicate.body);
    // The duplicate changed nothing.
    assert_eq!(get_message(&server.server_client(), "bob-msg-1").await["text"], "mine");

    let state = channel_state(&server, "alice", "general", None).await;
    let listed = ids(&state["messages"]);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[2], "bob-msg-1");
}

#[tokio::test]
async fn get_message_includes_its_channel_and_checks_access() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "mallory"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let sent = send(&server.user_client("alice"), "general", json!({"text": "hello"})).await;
    let id = sent["id"].as_str().unwrap();

    let got = get_message(&server.user_client("bob"), id).await;
    assert_eq!(got["id"], id);
    assert_eq!(got["text"], "hello");
    assert_eq!(got["channel"]["cid"], "team:general");
    assert_eq!(got["channel"]["name"], "general");

    let outsider = send_raw(&server.user_client("mallory"), Method::GET, &format!("/messages/{id}"), None).await;
    assert_error(&outsider, 403, 17);
    let missing = send_raw(&server.user_client("bob"), Method::GET, "/messages/no-such-message", None).await;
    assert_error(&missing, 404, 16);
}

#[tokio::test]
async fn update_own_message_but_not_others_unless_moderator() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.create_users(&["carol"]).await;
    server.server_client().upsert_users(&[json!({"id": "mod", "role": "moderator"})]).await.unwrap();
    let members = json!(["alice", "bob", {"user_id": "carol", "channel_role": "channel_moderator"}]);
    let body = json!({"data": {"created_by_id": "alice", "members": members}});
    ok(&server.server_client(), Method::POST, "/channels/team/general/query", Some(body), "ChannelStateResponse").await;
    let sent = send(&server.user_client("alice"), "general", json!({"text": "first draft"})).await;
    let path = format!("/messages/{}", sent["id"].as_str().unwrap());

    let body = json!({"message": {"text": "second *draft*", "mood": "better"}});
    let updated = ok(&server.user_client("alice"), Method::POST, &path, Some(body), "UpdateMessageResponse").await;
    let message = &updated["message"];
    assert_eq!(message["text"], "second *draft*");
    assert_eq!(message["html"], "<p>second <em>draft</em></p>\n");
    assert_eq!(message["mood"], "better");
    assert!(message["message_text_updated_at"].is_string(), "{message}");

    let body = json!({"message": {"text": "bob was here"}});
    let refused = send_raw(&server.user_client("bob"), Method::POST, &path, Some(body)).await;
    assert_error(&refused, 403, 17);

    let body = json!({"message": {"text": "moderated"}});
    let moderated = ok(&server.user_client("mod"), Method::POST, &path, Some(body), "UpdateMessageResponse").await;
    assert_eq!(moderated["message"]["text"], "moderated");
    assert_eq!(moderated["message"]["user"]["id"], "alice", "a moderator's edit keeps the author");

    // So may a channel moderator.
    let body = json!({"message": {"text": "moderated again"}});
    let by_channel_moderator =
        ok(&server.user_client("carol"), Method::POST, &path, Some(body), "UpdateMessageResponse").await;
    assert_eq!(by_channel_moderator["message"]["user"]["id"], "alice");

    let stored = get_message(&server.user_client("bob"), sent["id"].as_str().unwrap()).await;
    assert_eq!(stored["text"], "moderated again");
}

#[tokio::test]
async fn partial_update_sets_and_unsets() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let sent = send(&server.user_client("alice"), "general", json!({"text": "plain", "priority": "low"})).await;
    let path = format!("/messages/{}", sent["id"].as_str().unwrap());
    let alice = server.user_client("alice");

    let body = json!({"set": {"text": "**bold**", "priority": "high", "detail.topic": "launch"}});
    let updated = ok(&alice, Method::PUT, &path, Some(body), "UpdateMessagePartialResponse").await;
    let message = &updated["message"];
    assert_schema("MessageResponse", message);
    assert_eq!(message["text"], "**bold**");
    assert_eq!(message["html"], "<p><strong>bold</strong></p>\n");
    assert_eq!(message["priority"], "high");
    assert_eq!(message["detail"], json!({"topic": "launch"}));

    let body = json!({"unset": ["priority", "detail.topic"]});
    let updated = ok(&alice, Method::PUT, &path, Some(body), "UpdateMessagePartialResponse").await;
    assert!(updated["message"].get("priority").is_none(), "{}", updated["message"]);
    assert_eq!(updated["message"]["detail"], json!({}));
    assert_eq!(updated["message"]["text"], "**bold**", "unset leaves other fields alone");

    let refused = send_raw(&server.user_client("bob"), Method::PUT, &path, Some(json!({"set": {"text": "x"}}))).await;
    assert_error(&refused, 403, 17);
    let reserved = send_raw(&alice, Method::PUT, &path, Some(json!({"set": {"reply_count": 9}}))).await;
    assert_error(&reserved, 400, 4);
}

#[tokio::test]
async fn soft_delete_blanks_and_hard_delete_removes() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let soft = send(&alice, "general", json!({"text": "regrettable", "attachments": [{"type": "file"}]})).await;
    let hard = send(&alice, "general", json!({"text": "gone for good"})).await;
    let soft_path = format!("/messages/{}", soft["id"].as_str().unwrap());
    let hard_path = format!("/messages/{}", hard["id"].as_str().unwrap());

    let refused = send_raw(&server.user_client("bob"), Method::DELETE, &soft_path, None).await;
    assert_error(&refused, 403, 17);

    let deleted = ok(&alice, Method::DELETE, &soft_path, None, "DeleteMessageResponse").await;
    assert_eq!(deleted["message"]["type"], "deleted");
    assert_eq!(deleted["message"]["text"], "");
    assert!(deleted["message"]["deleted_at"].is_string(), "{}", deleted["message"]);

    let seen = get_message(&server.user_client("bob"), soft["id"].as_str().unwrap()).await;
    assert_eq!(seen["type"], "deleted");
    assert_eq!(seen["text"], "");
    assert_eq!(seen["html"], "");
    assert_eq!(seen["attachments"], json!([]));

    let response = server.server_client().raw(Method::DELETE, &hard_path, &[("hard", "true")], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("DeleteMessageResponse", &response.body);
    let missing = send_raw(&alice, Method::GET, &hard_path, None).await;
    assert_error(&missing, 404, 16);

    let state = channel_state(&server, "bob", "general", None).await;
    assert_eq!(ids(&state["messages"]), vec![soft["id"].as_str().unwrap().to_owned()]);
}

#[tokio::test]
async fn threads_replies_and_nesting() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let bob = server.user_client("bob");
    let parent = send(&alice, "general", json!({"id": "parent", "text": "thread start"})).await;
    assert_eq!(parent["reply_count"], 0);

    let r1 = send(&bob, "general", json!({"id": "r1", "text": "first reply", "parent_id": "parent"})).await;
    assert_eq!(r1["type"], "reply");
    assert_eq!(r1["parent_id"], "parent");
    send(&alice, "general", json!({"id": "r2", "text": "second reply", "parent_id": "parent"})).await;
    let r3 = send(
        &bob,
        "general",
        json!({"id": "r3", "text": "also in channel", "parent_id": "parent", "show_in_channel": true}),
    )
    .await;
    assert_eq!(r3["show_in_channel"], true);

    let got = get_message(&alice, "parent").await;
    assert_eq!(got["reply_count"], 3);
    let participants: Vec<&str> =
        got["thread_participants"].as_array().unwrap().iter().map(|user| user["id"].as_str().unwrap()).collect();
    assert!(participants.contains(&"alice") && participants.contains(&"bob"), "{participants:?}");

    // Only the reply shown in the channel is listed with the channel's messages.
    let state = channel_state(&server, "alice", "general", None).await;
    assert_eq!(ids(&state["messages"]), vec!["parent", "r3"]);

    let replies = ok(&alice, Method::GET, "/messages/parent/replies", None, "GetRepliesResponse").await;
    assert_eq!(ids(&replies["messages"]), vec!["r1", "r2", "r3"], "replies are ascending");
    let response = alice.raw(Method::GET, "/messages/parent/replies", &[("id_gt", "r1")], None).await.unwrap();
    assert_schema("GetRepliesResponse", &response.body);
    assert_eq!(ids(&response.body["messages"]), vec!["r2", "r3"]);
    let response = alice.raw(Method::GET, "/messages/parent/replies", &[("id_lt", "r3")], None).await.unwrap();
    assert_eq!(ids(&response.body["messages"]), vec!["r1", "r2"]);

    let nested = send_raw(
        &bob,
        Method::POST,
        "/channels/team/general/message",
        Some(json!({"message": {"text": "too deep", "parent_id": "r1"}})),
    )
    .await;
    assert_error(&nested, 400, 21);
    assert_eq!(get_message(&alice, "parent").await["reply_count"], 3, "the refused reply was not counted");
}

#[tokio::test]
async fn reactions_count_update_replace_delete_and_list() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let message = send(&server.user_client("alice"), "general", json!({"id": "m", "text": "react to me"})).await;
    assert_eq!(message["reaction_counts"], json!({}));
    let bob = server.user_client("bob");
    let carol = server.user_client("carol");
    let react = |body: Value| json!({ "reaction": body });

    let added =
        ok(&bob, Method::POST, "/messages/m/reaction", Some(react(json!({"type": "like"}))), "SendReactionResponse")
            .await;
    assert_eq!(added["reaction"]["type"], "like");
    assert_eq!(added["reaction"]["user_id"], "bob");
    assert_eq!(added["reaction"]["score"], 1);
    let message = &added["message"];
    assert_eq!(message["reaction_counts"], json!({"like": 1}));
    assert_eq!(message["reaction_scores"], json!({"like": 1}));
    assert_eq!(message["latest_reactions"].as_array().unwrap().len(), 1);
    assert_eq!(message["own_reactions"].as_array().unwrap().len(), 1);
    assert_eq!(message["own_reactions"][0]["user_id"], "bob");
    assert_eq!(message["reaction_groups"]["like"]["count"], 1);
    assert_eq!(message["reaction_groups"]["like"]["latest_reactions_by"][0]["user_id"], "bob");

    // The same type again updates the reaction instead of adding one.
    let body = react(json!({"type": "like", "score": 3}));
    let again = ok(&bob, Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
    assert_eq!(again["message"]["reaction_counts"], json!({"like": 1}));
    assert_eq!(again["message"]["reaction_scores"], json!({"like": 3}));

    let body = react(json!({"type": "like"}));
    let by_carol = ok(&carol, Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
    assert_eq!(by_carol["message"]["reaction_counts"], json!({"like": 2}));
    assert_eq!(by_carol["message"]["reaction_scores"], json!({"like": 4}));
    assert_eq!(by_carol["message"]["latest_reactions"].as_array().unwrap().len(), 2);
    let own: Vec<&Value> = by_carol["message"]["own_reactions"].as_array().unwrap().iter().collect();
    assert_eq!(own.len(), 1, "own_reactions are the viewer's only");
    assert_eq!(own[0]["user_id"], "carol");

    // enforce_unique replaces bob's other reactions.
    let body = json!({"reaction": {"type": "love"}, "enforce_unique": true});
    let unique = ok(&bob, Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
    assert_eq!(unique["message"]["reaction_counts"], json!({"like": 1, "love": 1}));
    assert_eq!(unique["message"]["reaction_scores"], json!({"like": 1, "love": 1}));
    let own = unique["message"]["own_reactions"].as_array().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["type"], "love");

    let listed =
        ok(&server.user_client("alice"), Method::GET, "/messages/m/reactions", None, "GetReactionsResponse").await;
    let mut pairs: Vec<(String, String)> = listed["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reaction| {
            (reaction["user_id"].as_str().unwrap().to_owned(), reaction["type"].as_str().unwrap().to_owned())
        })
        .collect();
    pairs.sort();
    assert_eq!(pairs, vec![("bob".to_owned(), "love".to_owned()), ("carol".to_owned(), "like".to_owned())]);

    let viewed = get_message(&server.user_client("alice"), "m").await;
    assert_eq!(viewed["own_reactions"], json!([]), "alice reacted with nothing");
    assert_eq!(viewed["latest_reactions"].as_array().unwrap().len(), 2);

    let deleted = ok(&bob, Method::DELETE, "/messages/m/reaction/love", None, "DeleteReactionResponse").await;
    assert_eq!(deleted["message"]["reaction_counts"], json!({"like": 1}));
    assert_eq!(deleted["reaction"]["type"], "love");
    let again = send_raw(&bob, Method::DELETE, "/messages/m/reaction/love", None).await;
    assert_error(&again, 404, 16);

    let long = "x".repeat(31);
    let too_long = send_raw(&bob, Method::POST, "/messages/m/reaction", Some(react(json!({"type": long})))).await;
    assert_error(&too_long, 400, 4);
    let longest = "y".repeat(30);
    let body = react(json!({"type": longest}));
    ok(&bob, Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
}

#[tokio::test]
async fn pin_and_unpin_with_partial_update() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    send(&alice, "general", json!({"id": "m", "text": "pin me"})).await;
    let unpinned = get_message(&alice, "m").await;
    assert_eq!(unpinned["pinned"], false);
    assert!(unpinned["pinned_at"].is_null() && unpinned["pinned_by"].is_null(), "{unpinned}");

    let body = json!({"set": {"pinned": true}});
    let pinned = ok(&alice, Method::PUT, "/messages/m", Some(body), "UpdateMessagePartialResponse").await;
    assert_eq!(pinned["message"]["pinned"], true);
    assert!(pinned["message"]["pinned_at"].is_string(), "{}", pinned["message"]);
    assert_eq!(pinned["message"]["pinned_by"]["id"], "alice");
    let state = channel_state(&server, "bob", "general", None).await;
    assert_eq!(ids(&state["pinned_messages"]), vec!["m"]);

    let body = json!({"set": {"pinned": false}});
    let unpinned = ok(&alice, Method::PUT, "/messages/m", Some(body), "UpdateMessagePartialResponse").await;
    let message = &unpinned["message"];
    assert_eq!(message["pinned"], false);
    assert!(message["pinned_at"].is_null() && message["pinned_by"].is_null(), "{message}");
    let state = channel_state(&server, "bob", "general", None).await;
    assert_eq!(state["pinned_messages"], json!([]));
}

#[tokio::test]
async fn channel_messages_paginate_ascending() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    for index in 0..10 {
        send(&alice, "general", json!({"id": format!("m{index}"), "text": format!("message {index}")})).await;
    }
    let page = |names: &[usize]| names.iter().map(|index| format!("m{index}")).collect::<Vec<_>>();

    let latest = channel_state(&server, "bob", "general", Some(json!({"limit": 3}))).await;
    assert_eq!(ids(&latest["messages"]), page(&[7, 8, 9]));
    let older = channel_state(&server, "bob", "general", Some(json!({"limit": 3, "id_lt": "m7"}))).await;
    assert_eq!(ids(&older["messages"]), page(&[4, 5, 6]));
    let newer = channel_state(&server, "bob", "general", Some(json!({"limit": 3, "id_gt": "m2"}))).await;
    assert_eq!(ids(&newer["messages"]), page(&[3, 4, 5]));
    let tail = channel_state(&server, "bob", "general", Some(json!({"limit": 3, "id_gt": "m8"}))).await;
    assert_eq!(ids(&tail["messages"]), page(&[9]));

    let around = channel_state(&server, "bob", "general", Some(json!({"limit": 5, "id_around": "m5"}))).await;
    let around = ids(&around["messages"]);
    assert_eq!(around.len(), 5, "{around:?}");
    let position = around.iter().position(|id| id == "m5").unwrap_or_else(|| panic!("m5 missing: {around:?}"));
    assert!(position > 0 && position < 4, "messages on both sides of m5: {around:?}");
    let mut sorted = around.clone();
    sorted.sort();
    assert_eq!(around, sorted, "id_around is ascending");
    // Consecutive: a window of the channel, not a sample.
    let first: usize = around[0][1..].parse().unwrap();
    assert_eq!(around, page(&[first, first + 1, first + 2, first + 3, first + 4]));
}

#[tokio::test]
async fn search_by_text_and_filter_only_in_readable_channels() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    server.team_channel("secret", &["alice", "carol"]).await;
    send(&server.user_client("alice"), "general", json!({"id": "g1", "text": "banana bread recipe"})).await;
    send(&server.user_client("bob"), "general", json!({"id": "g2", "text": "apple pie", "topic": "food"})).await;
    send(&server.user_client("carol"), "secret", json!({"id": "s1", "text": "Banana split plans"})).await;

    let bob = server.user_client("bob");
    let both = json!({"cid": {"$in": ["team:general", "team:secret"]}});
    let found = search(&bob, json!({"filter_conditions": both, "query": "banana"})).await;
    assert_eq!(found.iter().map(|message| message["id"].clone()).collect::<Vec<_>>(), vec![json!("g1")]);
    assert_eq!(found[0]["channel"]["cid"], "team:general");

    let alice = server.user_client("alice");
    let mine = json!({"members": {"$in": ["alice"]}});
    let mut found: Vec<String> = search(&alice, json!({"filter_conditions": mine, "query": "banana"}))
        .await
        .iter()
        .map(|message| message["id"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    assert_eq!(found, vec!["g1", "s1"], "text search is case-insensitive");

    let by_topic = search(
        &alice,
        json!({"filter_conditions": {"members": {"$in": ["alice"]}}, "message_filter_conditions": {"topic": "food"}}),
    )
    .await;
    assert_eq!(by_topic.len(), 1);
    assert_eq!(by_topic[0]["id"], "g2");
    let by_carol = json!({"user.id": "carol"});
    let by_user = search(
        &alice,
        json!({"filter_conditions": {"members": {"$in": ["alice"]}}, "message_filter_conditions": by_carol}),
    )
    .await;
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0]["id"], "s1");
    assert_eq!(by_user[0]["channel"]["cid"], "team:secret");

    let nothing = search(&bob, json!({"filter_conditions": {"cid": "team:secret"}, "query": "banana"})).await;
    assert!(nothing.is_empty(), "bob cannot read secret: {nothing:?}");

    let payload = json!({"query": "banana"}).to_string();
    let response = bob.raw(Method::GET, "/search", &[("payload", payload.as_str())], None).await.unwrap();
    assert_error(&response, 400, 4);
}

/// Search reads the index, not a window of recent messages: the oldest message of a large channel is found, by
/// text and by any filter, and pages stay complete.
#[tokio::test]
async fn search_finds_an_old_message_among_many() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    for index in 1..=7 {
        let text = if index == 7 { "the Needle in the haystack".to_owned() } else { format!("early note {index}") };
        send(&alice, "general", json!({"id": format!("old{index}"), "text": text, "ticket": index})).await;
    }
    let filler: Vec<(String, String)> =
        (0..15_000).map(|index| (format!("new{index}"), format!("filler message number {index}"))).collect();
    server.insert_messages_directly("team:general", "bob", filler).await;

    let bob = server.user_client("bob");
    let mine = json!({"members": {"$in": ["bob"]}});
    let ids = |found: Vec<Value>| -> Vec<String> {
        found.iter().map(|message| message["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(search(&bob, json!({"filter_conditions": mine, "query": "needle"})).await), ["old7"]);
    assert_eq!(ids(search(&bob, json!({"filter_conditions": mine, "query": "hay"})).await), ["old7"], "word prefix");
    let by_ticket = json!({"filter_conditions": mine, "message_filter_conditions": {"ticket": 7}});
    assert_eq!(ids(search(&bob, by_ticket).await), ["old7"]);
    let by_id = json!({"filter_conditions": mine, "message_filter_conditions": {"id": "old3"}});
    assert_eq!(ids(search(&bob, by_id).await), ["old3"]);
    let early = json!({"filter_conditions": mine, "query": "early", "sort": [{"field": "created_at", "direction": 1}]});
    assert_eq!(ids(search(&bob, early).await), ["old1", "old2", "old3", "old4", "old5", "old6"]);
    // The deepest page Stream allows is complete: newest first, 100 at offset 1000.
    let deep = json!({"filter_conditions": mine, "query": "filler", "limit": 100, "offset": 1000});
    let page = ids(search(&bob, deep).await);
    let expected: Vec<String> = (0..100).map(|index| format!("new{}", 15_000 - 1001 - index)).collect();
    assert_eq!(page, expected);
}

#[tokio::test]
async fn frozen_channel_answers_members_with_an_error_message() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let mut alice_socket = server.connect("alice").await;
    let watch = server.user_client("alice").on_connection(&alice_socket.connection_id);
    ok(&watch, Method::POST, "/channels/team/general/query", Some(json!({"watch": true})), "ChannelStateResponse")
        .await;

    let body = json!({"set": {"frozen": true}});
    let frozen = ok(
        &server.server_client(),
        Method::PATCH,
        "/channels/team/general",
        Some(body),
        "UpdateChannelPartialResponse",
    )
    .await;
    assert_eq!(frozen["channel"]["frozen"], true);

    let refused = send(&server.user_client("bob"), "general", json!({"id": "cold", "text": "anyone?"})).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["user"]["id"], "bob");
    let missing = send_raw(&server.user_client("bob"), Method::GET, "/messages/cold", None).await;
    assert_error(&missing, 404, 16);
    alice_socket
        .expect_none(Duration::from_millis(300), |event| event["type"] == "message.new")
        .await
        .unwrap_or_else(|event| panic!("an error message was broadcast: {event}"));

    // A moderator (here the server) still posts.
    let allowed =
        send(&server.server_client(), "general", json!({"id": "warm", "text": "maintenance", "user_id": "alice"}))
            .await;
    assert_eq!(allowed["type"], "regular");
    let state = channel_state(&server, "bob", "general", None).await;
    assert_eq!(ids(&state["messages"]), vec!["warm"]);

    // Reactions are refused outright on a frozen channel.
    let body = json!({"reaction": {"type": "like"}});
    let reaction = send_raw(&server.user_client("bob"), Method::POST, "/messages/warm/reaction", Some(body)).await;
    assert_error(&reaction, 403, 17);
}

#[tokio::test]
async fn silent_messages_and_hidden_replies_are_not_unread() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let silent = send(&alice, "general", json!({"id": "quiet", "text": "shh", "silent": true})).await;
    assert_eq!(silent["silent"], true);
    send(&alice, "general", json!({"text": "only in the thread", "parent_id": "quiet"})).await;
    assert_eq!(unread_of(&channel_state(&server, "bob", "general", None).await, "bob"), 0);
    let socket = server.connect("bob").await;
    assert_eq!(socket.me["total_unread_count"], 0);
    assert_eq!(socket.me["unread_channels"], 0);

    send(&alice, "general", json!({"text": "loud"})).await;
    send(&alice, "general", json!({"text": "shown reply", "parent_id": "quiet", "show_in_channel": true})).await;
    let state = channel_state(&server, "bob", "general", None).await;
    assert_eq!(unread_of(&state, "bob"), 2);
    assert_eq!(unread_of(&state, "alice"), 0, "a sender's own messages are never unread");
    let socket = server.connect("bob").await;
    assert_eq!(socket.me["total_unread_count"], 2);
    assert_eq!(socket.me["unread_count"], 2);
    assert_eq!(socket.me["unread_channels"], 1);
}

#[tokio::test]
async fn reaction_groups_cover_every_type_beyond_the_latest_reactions() {
    let server = TestServer::start().await;
    let users: Vec<String> = (0..11).map(|index| format!("u{index}")).collect();
    let mut members: Vec<&str> = users.iter().map(String::as_str).collect();
    members.insert(0, "alice");
    server.create_users(&members).await;
    server.team_channel("general", &members).await;
    send(&server.user_client("alice"), "general", json!({"id": "m", "text": "popular"})).await;

    // The oldest reaction is the only "wow": it falls outside the 10 latest reactions.
    let body = json!({"reaction": {"type": "wow"}});
    ok(&server.user_client("u0"), Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
    for user in &users[1..] {
        let body = json!({"reaction": {"type": "like"}});
        ok(&server.user_client(user), Method::POST, "/messages/m/reaction", Some(body), "SendReactionResponse").await;
    }

    let message = get_message(&server.user_client("alice"), "m").await;
    assert_eq!(message["reaction_counts"], json!({"like": 10, "wow": 1}));
    assert_eq!(message["latest_reactions"].as_array().unwrap().len(), 10, "latest_reactions holds at most 10");
    let groups = message["reaction_groups"].as_object().unwrap();
    assert_eq!(groups.keys().collect::<Vec<_>>(), vec!["like", "wow"], "{groups:?}");
    assert_eq!(groups["like"]["count"], 10);
    assert_eq!(groups["wow"]["count"], 1);
    assert_eq!(groups["wow"]["sum_scores"], 1);
}

/// GetManyMessages: the channel's messages among the ids, oldest first, each once; another channel's, unknown
/// and truncated-away ones are left out; a non-member is refused, and so are too many ids or a bad one.
#[tokio::test]
async fn many_messages_by_id_within_one_channel() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    server.team_channel("other", &["alice"]).await;
    let alice = server.user_client("alice");
    for id in ["m1", "m2", "m3"] {
        send(&alice, "general", json!({"id": id, "text": format!("message {id}")})).await;
    }
    send(&alice, "other", json!({"id": "o1", "text": "elsewhere"})).await;
    let many = |client: Client, ids: &str| {
        let ids = ids.to_owned();
        async move { client.raw(Method::GET, "/channels/team/general/messages", &[("ids", &ids)], None).await.unwrap() }
    };

    let found = many(server.user_client("bob"), "m3,m1,o1,nope,m1").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_schema("GetManyMessagesResponse", &found.body);
    assert_eq!(ids(&found.body["messages"]), ["m1", "m3"]);
    assert_eq!(found.body["messages"][0]["user"]["id"], "alice");

    assert_error(&many(server.user_client("carol"), "m1").await, 403, 17);
    let too_many: Vec<String> = (0..51).map(|index| format!("x{index}")).collect();
    let refused = many(server.user_client("bob"), &too_many.join(",")).await;
    assert_error(&refused, 400, 4);
    assert!(refused.body["message"].as_str().unwrap().contains("50"), "{}", refused.body);
    assert_error(&many(server.user_client("bob"), "").await, 400, 4);
    assert_error(&many(server.user_client("bob"), "m1,a%2Fb").await, 400, 4);

    let admin = server.server_client();
    let truncated = send_raw(&admin, Method::POST, "/channels/team/general/truncate", Some(json!({}))).await;
    assert_eq!(truncated.status, 201, "{}", truncated.body);
    send(&alice, "general", json!({"id": "m4", "text": "after the truncation"})).await;
    let found = many(server.user_client("bob"), "m1,m4").await;
    assert_eq!(ids(&found.body["messages"]), ["m4"], "{}", found.body);
}

/// GetPinnedMessages: the channel's pins by `pinned_at`, newest first or as sorted, paged by `limit` and the
/// `pinned_at_*` bounds; unpinned and deleted messages leave the list; other paging is refused by name.
#[tokio::test]
async fn pinned_messages_page_by_pin_time() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    for id in ["m1", "m2", "m3", "m4"] {
        send(&alice, "general", json!({"id": id, "text": format!("message {id}")})).await;
    }
    let mut pinned_at = std::collections::HashMap::new();
    for id in ["m3", "m1", "m4"] {
        let body = json!({"set": {"pinned": true}});
        let path = format!("/messages/{id}");
        let pinned = ok(&alice, Method::PUT, &path, Some(body), "UpdateMessagePartialResponse").await;
        pinned_at.insert(id, pinned["message"]["pinned_at"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let bob = server.user_client("bob");
    let page = |query: Vec<(&'static str, String)>| {
        let bob = bob.clone();
        async move {
            let pairs: Vec<(&str, &str)> = query.iter().map(|(key, value)| (*key, value.as_str())).collect();
            bob.raw(Method::GET, "/channels/team/general/pinned_messages", &pairs, None).await.unwrap()
        }
    };
    let newest_first = page(vec![]).await;
    assert_eq!(newest_first.status, 200, "{}", newest_first.body);
    assert_schema("GetPinnedMessagesResponse", &newest_first.body);
    assert_eq!(ids(&newest_first.body["messages"]), ["m4", "m1", "m3"]);
    let oldest_first = page(vec![("sort", r#"[{"field":"pinned_at","direction":1}]"#.into())]).await;
    assert_eq!(ids(&oldest_first.body["messages"]), ["m3", "m1", "m4"]);
    let first = page(vec![("limit", "2".into())]).await;
    assert_eq!(ids(&first.body["messages"]), ["m4", "m1"]);
    let next = page(vec![("limit", "2".into()), ("pinned_at_before", pinned_at["m1"].clone())]).await;
    assert_eq!(ids(&next.body["messages"]), ["m3"]);
    let from = vec![
        ("pinned_at_after_or_equal", pinned_at["m1"].clone()),
        ("sort", r#"[{"field":"pinned_at","direction":1}]"#.into()),
    ];
    assert_eq!(ids(&page(from).await.body["messages"]), ["m1", "m4"]);

    for (key, value) in [("id_lt", "m2"), ("offset", "1"), ("sort", r#"[{"field":"created_at","direction":1}]"#)] {
        let refused = page(vec![(key, value.into())]).await;
        assert_error(&refused, 400, 4);
        let message = refused.body["message"].as_str().unwrap();
        assert!(message.contains(key.split('_').next().unwrap()) || message.contains("created_at"), "{message}");
    }
    assert_error(&page(vec![("pinned_at_before", "yesterday".into())]).await, 400, 4);
    let carol = server.user_client("carol");
    let outsider = carol.raw(Method::GET, "/channels/team/general/pinned_messages", &[], None).await.unwrap();
    assert_error(&outsider, 403, 17);

    ok(&alice, Method::PUT, "/messages/m4", Some(json!({"set": {"pinned": false}})), "UpdateMessagePartialResponse")
        .await;
    ok(&alice, Method::DELETE, "/messages/m3", None, "DeleteMessageResponse").await;
    assert_eq!(ids(&page(vec![]).await.body["messages"]), ["m1"]);
}
