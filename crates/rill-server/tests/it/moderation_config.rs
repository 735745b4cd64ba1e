//! Channel types and blocklists: an app creates and changes types (server-side only), their switches take effect
//! on the channels of the type, and a type's blocklists block, flag or shadow-block the messages that match.

use crate::support::{assert_error, call, ok, send};
use reqwest::Method;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};

async fn messages_of(server: &TestServer, user: &str, channel: &str) -> Vec<String> {
    let path = format!("/channels/team/{channel}/query");
    let state = ok(&server.user_client(user), Method::POST, &path, json!({"state": true})).await;
    state["messages"].as_array().unwrap().iter().map(|message| message["text"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn channel_types_are_created_changed_and_deleted() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let created = ok(
        &admin,
        Method::POST,
        "/channeltypes",
        json!({"name": "support", "max_message_length": 20, "typing_events": false, "commands": ["all"],
            "automod": "disabled", "automod_behavior": "flag"}),
    )
    .await;
    assert_schema("CreateChannelTypeResponse", &created);
    assert_eq!(created["name"], "support");
    assert_eq!(created["commands"], json!(["giphy"]));
    assert_eq!(created["typing_events"], false);
    assert_eq!(created["read_events"], true, "the rest is messaging's defaults");
    let read = ok(&admin, Method::GET, "/channeltypes/support", Value::Null).await;
    assert_eq!(read["max_message_length"], 20);
    let listed = ok(&admin, Method::GET, "/channeltypes", Value::Null).await;
    assert_eq!(listed["channel_types"].as_object().unwrap().len(), 6, "{listed}");
    let app = ok(&admin, Method::GET, "/app", Value::Null).await;
    assert_eq!(app["app"]["channel_configs"]["support"]["typing_events"], false);

    // Its channels follow it.
    server.create_users(&["alice", "bob"]).await;
    let body = json!({"data": {"created_by_id": "alice", "members": ["alice", "bob"]}});
    ok(&admin, Method::POST, "/channels/support/desk/query", body).await;
    let path = "/channels/support/desk/message";
    let long =
        call(&server.user_client("alice"), Method::POST, path, json!({"message": {"text": "x".repeat(21)}})).await;
    assert_error(&long, 400, 20);
    ok(&server.user_client("alice"), Method::POST, path, json!({"message": {"text": "short"}})).await;

    // Built-in types can be changed, not deleted; a type with channels cannot be deleted.
    let changed = ok(&admin, Method::PUT, "/channeltypes/team", json!({"max_message_length": 10})).await;
    assert_schema("UpdateChannelTypeResponse", &changed);
    assert_eq!(changed["max_message_length"], 10);
    server.team_channel("general", &["alice", "bob"]).await;
    let too_long = call(
        &server.user_client("alice"),
        Method::POST,
        "/channels/team/general/message",
        json!({"message": {"text": "eleven char"}}),
    )
    .await;
    assert_error(&too_long, 400, 20);
    assert_error(&admin.raw(Method::DELETE, "/channeltypes/team", &[], None).await.unwrap(), 400, 4);
    let busy = admin.raw(Method::DELETE, "/channeltypes/support", &[], None).await.unwrap();
    assert!(assert_error(&busy, 400, 4).contains("has channels"));
    ok(&admin, Method::POST, "/channeltypes", json!({"name": "empty"})).await;
    assert_eq!(admin.raw(Method::DELETE, "/channeltypes/empty", &[], None).await.unwrap().status, 200);
    assert_error(&admin.raw(Method::GET, "/channeltypes/empty", &[], None).await.unwrap(), 404, 16);

    let refused = [
        (json!({"name": "support"}), "already exists"),
        (json!({"name": "Bad Name"}), "lowercase"),
        (json!({}), "name"),
        (json!({"name": "x1", "automod": "AI"}), "automod"),
        (json!({"name": "x2", "commands": ["ban"]}), "ban"),
        (json!({"name": "x3", "permissions": [{"action": "Allow"}]}), "permissions"),
        (json!({"name": "x4", "max_message_length": 0}), "max_message_length"),
        (json!({"name": "x5", "blocklist": "missing"}), "missing"),
        (json!({"name": "x6", "polls": true}), "polls"),
    ];
    for (body, needle) in refused {
        let message = assert_error(&call(&admin, Method::POST, "/channeltypes", body.clone()).await, 400, 4);
        assert!(message.contains(needle), "{body}: {message}");
    }
    let user = call(&server.user_client("alice"), Method::POST, "/channeltypes", json!({"name": "mine"})).await;
    assert_error(&user, 403, 17);

    // Types are app settings: they survive a restart.
    let server = server.restart().await;
    let read = ok(&server.server_client(), Method::GET, "/channeltypes/support", Value::Null).await;
    assert_eq!(read["max_message_length"], 20);
}

#[tokio::test]
async fn blocklists_block_flag_and_shadow_block_the_messages_that_match() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let list = json!({"name": "rude", "words": ["Darn", "free money", "darn"]});
    let created = ok(&admin, Method::POST, "/blocklists", list).await;
    assert_schema("CreateBlockListResponse", &created);
    assert_eq!(created["blocklist"]["words"], json!(["darn", "free money"]), "lowercase, deduplicated");
    server.create_users(&["alice", "bob", "mod"]).await;
    ok(&admin, Method::POST, "/users", json!({"users": {"mod": {"id": "mod", "role": "moderator"}}})).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let blocking = json!({"blocklists": [{"blocklist": "rude", "behavior": "block"}]});
    let changed = ok(&admin, Method::PUT, "/channeltypes/team", blocking).await;
    assert_eq!(changed["blocklists"][0]["behavior"], "block");

    let mut bob = server.connect("bob").await;
    let bounced = send(&server, "alice", "general", json!({"text": "well DARN it"})).await;
    assert_eq!(bounced["type"], "error");
    assert_eq!(bounced["text"], "Message was blocked by moderation policies");
    send(&server, "alice", "general", json!({"text": "darned socks are fine"})).await;
    assert_eq!(
        messages_of(&server, "bob", "general").await,
        ["darned socks are fine"],
        "the blocked one is not stored"
    );
    let first = bob.wait_for_type("notification.message_new").await.unwrap();
    assert_eq!(first["message"]["text"], "darned socks are fine", "bob never heard of the blocked one");
    let edit = json!({"message": {"text": "get free money"}});
    let sent = send(&server, "alice", "general", json!({"text": "clean"})).await;
    let refused =
        call(&server.user_client("alice"), Method::POST, &format!("/messages/{}", sent["id"].as_str().unwrap()), edit)
            .await;
    assert!(assert_error(&refused, 400, 4).contains("free money"));

    // Flag: kept, and in the moderators' queue.
    ok(&admin, Method::PUT, "/channeltypes/team", json!({"blocklist": "rude", "blocklist_behavior": "flag"})).await;
    let kept = send(&server, "alice", "general", json!({"text": "darn, again"})).await;
    assert_eq!(kept["type"], "regular");
    let payload = json!({"filter_conditions": {"channel_cid": "team:general"}}).to_string();
    let pairs = [("payload", payload.as_str())];
    let queue = server.user_client("mod").raw(Method::GET, "/moderation/flags/message", &pairs, None).await.unwrap();
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_schema("QueryMessageFlagsResponse", &queue.body);
    let flags = queue.body["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{}", queue.body);
    assert_eq!(flags[0]["message"]["id"], kept["id"]);
    assert_eq!(flags[0]["reason"], "blocklist rude");

    // Shadow block: stored, shown to its author only.
    let shadow = json!({"blocklists": [{"blocklist": "rude", "behavior": "shadow_block"}]});
    ok(&admin, Method::PUT, "/channeltypes/team", shadow).await;
    send(&server, "alice", "general", json!({"text": "darn it all"})).await;
    assert!(messages_of(&server, "alice", "general").await.contains(&"darn it all".to_owned()));
    assert!(!messages_of(&server, "bob", "general").await.contains(&"darn it all".to_owned()));

    // Lists: read, changed, and only deleted when no type uses them.
    let listed = ok(&admin, Method::GET, "/blocklists", Value::Null).await;
    assert_schema("ListBlockListResponse", &listed);
    assert_eq!(listed["blocklists"].as_array().unwrap().len(), 1);
    let updated = ok(&admin, Method::PUT, "/blocklists/rude", json!({"words": ["heck"]})).await;
    assert_eq!(updated["blocklist"]["words"], json!(["heck"]));
    let in_use = admin.raw(Method::DELETE, "/blocklists/rude", &[], None).await.unwrap();
    assert!(assert_error(&in_use, 400, 4).contains("team"));
    ok(&admin, Method::PUT, "/channeltypes/team", json!({"blocklists": []})).await;
    assert_eq!(admin.raw(Method::DELETE, "/blocklists/rude", &[], None).await.unwrap().status, 200);
    assert_error(&admin.raw(Method::GET, "/blocklists/rude", &[], None).await.unwrap(), 404, 16);

    let refused = [
        (json!({"name": "x", "words": []}), "words"),
        (json!({"name": "x"}), "words"),
        (json!({"name": "bad name", "words": ["a"]}), "name"),
        (json!({"name": "x", "words": ["a"], "type": "regex"}), "regex"),
        (json!({"name": "x", "words": ["a"], "is_leet_check_enabled": true}), "leet"),
        (json!({"name": "x", "words": ["a".repeat(101)]}), "100"),
        (json!({"name": "x", "words": vec!["w"; 10_001]}), "10000"),
    ];
    for (body, needle) in refused {
        let message = assert_error(&call(&admin, Method::POST, "/blocklists", body.clone()).await, 400, 4);
        assert!(message.contains(needle), "{}: {message}", &body.to_string()[..body.to_string().len().min(80)]);
    }
    assert_error(&call(&server.user_client("alice"), Method::GET, "/blocklists", Value::Null).await, 403, 17);
}
