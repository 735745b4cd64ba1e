//! Channels over REST: get-or-create, distinct channels, QueryChannels, updates, members, permissions, hide/show,
//! read state and unread counts, truncate, delete, and persistence.

use reqwest::Method;
use rill_client::{Client, RawResponse};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};

async fn call(client: &Client, method: Method, path: &str, body: Value) -> RawResponse {
    client.raw(method, path, &[], Some(&body)).await.unwrap()
}

async fn get_or_create(client: &Client, cid: &str, body: Value) -> RawResponse {
    let (channel_type, id) = cid.split_once(':').unwrap();
    call(client, Method::POST, &format!("/channels/{channel_type}/{id}/query"), body).await
}

/// The channel state of a channel that must be readable.
async fn state_of(client: &Client, cid: &str) -> Value {
    let response = get_or_create(client, cid, json!({"state": true})).await;
    assert_eq!(response.status, 201, "{cid}: {}", response.body);
    assert_schema("ChannelStateResponse", &response.body);
    response.body
}

async fn update(client: &Client, cid: &str, body: Value) -> RawResponse {
    let (channel_type, id) = cid.split_once(':').unwrap();
    call(client, Method::POST, &format!("/channels/{channel_type}/{id}"), body).await
}

async fn partial_update(client: &Client, cid: &str, body: Value) -> RawResponse {
    let (channel_type, id) = cid.split_once(':').unwrap();
    call(client, Method::PATCH, &format!("/channels/{channel_type}/{id}"), body).await
}

async fn channel_action(client: &Client, cid: &str, action: &str, body: Value) -> RawResponse {
    let (channel_type, id) = cid.split_once(':').unwrap();
    call(client, Method::POST, &format!("/channels/{channel_type}/{id}/{action}"), body).await
}

async fn send(client: &Client, cid: &str, text: &str) -> RawResponse {
    channel_action(client, cid, "message", json!({"message": {"text": text}})).await
}

/// Sends a message that must be accepted and returns its id.
async fn post(client: &Client, cid: &str, text: &str) -> String {
    let response = send(client, cid, text).await;
    assert_eq!(response.status, 201, "{cid}: {}", response.body);
    assert_eq!(response.body["message"]["type"], "regular", "{}", response.body);
    response.body["message"]["id"].as_str().unwrap().to_owned()
}

/// The cids of a successful QueryChannels, in order.
async fn query_cids(client: &Client, body: Value) -> Vec<String> {
    let response = call(client, Method::POST, "/channels", body.clone()).await;
    assert_eq!(response.status, 201, "{body}: {}", response.body);
    assert_schema("QueryChannelsResponse", &response.body);
    response.body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|state| state["channel"]["cid"].as_str().unwrap().to_owned())
        .collect()
}

fn member_ids(members: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        members.as_array().unwrap().iter().map(|member| member["user_id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn member<'a>(members: &'a Value, user_id: &str) -> &'a Value {
    members.as_array().unwrap().iter().find(|member| member["user_id"] == user_id).unwrap()
}

fn capabilities(state: &Value) -> Vec<String> {
    state["channel"]["own_capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|capability| capability.as_str().unwrap().to_owned())
        .collect()
}

/// `read[].unread_messages` of one user in a channel state.
fn unread_of(state: &Value, user_id: &str) -> i64 {
    let reads = state["read"].as_array().unwrap();
    let read = reads.iter().find(|read| read["user"]["id"] == user_id).unwrap_or_else(|| panic!("{state}"));
    read["unread_messages"].as_i64().unwrap()
}

/// The unread totals of a user's `me` object, from a fresh connection.
async fn me_totals(server: &TestServer, user_id: &str) -> (i64, i64) {
    let socket = server.connect(user_id).await;
    let me = socket.me.clone();
    socket.close().await;
    assert_schema("OwnUserResponse", &me);
    assert_eq!(me["unread_count"], me["total_unread_count"]);
    (me["total_unread_count"].as_i64().unwrap(), me["unread_channels"].as_i64().unwrap())
}

/// Asserts an `APIError` with this status and code whose message names the operation and contains `needle`.
fn assert_error(response: &RawResponse, status: u16, code: i64, operation: &str, needle: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_schema("APIError", &response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    let message = response.body["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{operation} failed with error: ")), "{message}");
    assert!(message.contains(needle), "{message:?} should mention {needle:?}");
}

#[tokio::test]
async fn get_or_create_creates_with_members_and_is_idempotent() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    let alice = server.user_client("alice");

    let created = get_or_create(
        &alice,
        "team:general",
        json!({"data": {"name": "General", "project_id": "p1", "custom": {"color": "red"}, "members": ["alice", "bob"]}}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_schema("ChannelStateResponse", &created.body);
    let channel = &created.body["channel"];
    assert_eq!(channel["cid"], "team:general");
    assert_eq!(channel["type"], "team");
    assert_eq!(channel["id"], "general");
    assert_eq!(channel["name"], "General");
    assert_eq!(channel["project_id"], "p1");
    assert_eq!(channel["color"], "red", "a nested custom object is merged flat");
    assert!(channel.get("custom").is_none(), "{channel}");
    assert_eq!(channel["created_by"]["id"], "alice");
    assert_eq!(channel["member_count"], 2);
    assert_eq!(channel["frozen"], false);
    assert_eq!(member_ids(&created.body["members"]), ["alice", "bob"]);
    assert_eq!(created.body["membership"]["user_id"], "alice");
    assert_eq!(created.body["messages"], json!([]));
    assert_eq!(unread_of(&created.body, "bob"), 0);
    let owner = capabilities(&created.body);
    for expected in ["send-message", "read-events", "update-channel", "update-channel-members", "delete-channel"] {
        assert!(owner.contains(&expected.to_owned()), "owner lacks {expected}: {owner:?}");
    }

    // Capabilities are the acting user's: bob is a plain member.
    let as_bob = state_of(&server.user_client("bob"), "team:general").await;
    let member_caps = capabilities(&as_bob);
    for expected in ["send-message", "send-reaction", "read-events", "leave-channel"] {
        assert!(member_caps.contains(&expected.to_owned()), "member lacks {expected}: {member_caps:?}");
    }
    for refused in ["update-channel", "update-channel-members", "delete-channel", "freeze-channel"] {
        assert!(!member_caps.contains(&refused.to_owned()), "member has {refused}: {member_caps:?}");
    }
    assert_eq!(as_bob["membership"]["user_id"], "bob");

    // A second get-or-create with different data changes nothing.
    let again = get_or_create(
        &alice,
        "team:general",
        json!({"data": {"name": "Changed", "project_id": "p2", "frozen": true, "members": ["carol"]}}),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.body);
    let server_again = get_or_create(
        &server.server_client(),
        "team:general",
        json!({"data": {"created_by_id": "carol", "name": "Server", "members": ["alice", "carol"]}}),
    )
    .await;
    assert_eq!(server_again.status, 201, "{}", server_again.body);
    let state = state_of(&alice, "team:general").await;
    assert_eq!(state["channel"]["name"], "General");
    assert_eq!(state["channel"]["project_id"], "p1");
    assert_eq!(state["channel"]["frozen"], false);
    assert_eq!(state["channel"]["created_by"]["id"], "alice");
    assert_eq!(state["channel"]["member_count"], 2);
    assert_eq!(member_ids(&state["members"]), ["alice", "bob"]);
    assert_eq!(state["channel"]["created_at"], channel["created_at"]);
}

#[tokio::test]
async fn get_or_create_validates_its_input() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let admin = server.server_client();

    let no_creator = get_or_create(&admin, "team:x", json!({"data": {"members": ["alice"]}})).await;
    assert_error(
        &no_creator,
        400,
        4,
        "GetOrCreateChannel",
        "either data.created_by or data.created_by_id must be provided when using server side auth.",
    );
    let by_object = get_or_create(&admin, "team:x", json!({"data": {"created_by": {"id": "bob"}}})).await;
    assert_eq!(by_object.status, 201, "{}", by_object.body);
    assert_eq!(by_object.body["channel"]["created_by"]["id"], "bob");

    let ghosts = get_or_create(
        &admin,
        "team:ghosts",
        json!({"data": {"created_by_id": "alice", "members": ["alice", "ghost-1", "ghost-2"]}}),
    )
    .await;
    assert_error(&ghosts, 400, 4, "GetOrCreateChannel", "ghost-1");
    assert!(ghosts.body["message"].as_str().unwrap().contains("ghost-2"), "{}", ghosts.body);
    assert!(!ghosts.body["message"].as_str().unwrap().contains("alice"), "{}", ghosts.body);
    assert_eq!(query_cids(&admin, json!({"filter_conditions": {"id": "ghosts"}})).await, Vec::<String>::new());

    let reserved =
        get_or_create(&admin, "team:y", json!({"data": {"created_by_id": "alice", "created_at": "x"}})).await;
    assert_error(&reserved, 400, 4, "GetOrCreateChannel", "created_at");
    let unknown_creator = get_or_create(&admin, "team:y", json!({"data": {"created_by_id": "nobody"}})).await;
    assert_error(&unknown_creator, 400, 4, "GetOrCreateChannel", "nobody");

    let unknown_type = get_or_create(&admin, "nosuchtype:z", json!({"data": {"created_by_id": "alice"}})).await;
    assert_error(&unknown_type, 404, 16, "GetOrCreateChannel", "nosuchtype");
    let bang = get_or_create(&admin, "team:a!b", json!({"data": {"created_by_id": "alice"}})).await;
    assert_error(&bang, 400, 4, "GetOrCreateChannel", "!");
}

#[tokio::test]
async fn distinct_channels_depend_only_on_the_member_set() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    let alice = server.user_client("alice");
    let distinct = |client: Client, members: Value| async move {
        call(&client, Method::POST, "/channels/messaging/query", json!({"data": {"members": members}})).await
    };

    let first = distinct(alice.clone(), json!(["alice", "bob"])).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_schema("ChannelStateResponse", &first.body);
    let cid = first.body["channel"]["cid"].as_str().unwrap().to_owned();
    assert!(cid.starts_with("messaging:!members-"), "{cid}");
    assert_eq!(member_ids(&first.body["members"]), ["alice", "bob"]);

    let reversed = distinct(server.user_client("bob"), json!(["bob", "alice"])).await;
    assert_eq!(reversed.body["channel"]["cid"], cid.as_str(), "{}", reversed.body);
    let repeated = distinct(alice.clone(), json!(["alice", {"user_id": "bob"}, "alice"])).await;
    assert_eq!(repeated.body["channel"]["cid"], cid.as_str(), "{}", repeated.body);
    let server_side = call(
        &server.server_client(),
        Method::POST,
        "/channels/messaging/query",
        json!({"data": {"created_by_id": "bob", "members": ["bob", "alice"]}}),
    )
    .await;
    assert_eq!(server_side.body["channel"]["cid"], cid.as_str(), "{}", server_side.body);
    assert_eq!(server_side.body["channel"]["created_by"]["id"], "alice", "the first creator stays");

    let other = distinct(alice.clone(), json!(["alice", "carol"])).await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_ne!(other.body["channel"]["cid"], cid.as_str());
    let three = distinct(alice.clone(), json!(["carol", "alice", "bob"])).await;
    assert_ne!(three.body["channel"]["cid"], cid.as_str());
    assert_ne!(three.body["channel"]["cid"], other.body["channel"]["cid"]);

    assert_error(&distinct(alice.clone(), json!(["alice"])).await, 400, 4, "GetOrCreateDistinctChannel", "2");
    assert_error(&distinct(alice.clone(), json!(["alice", "alice"])).await, 400, 4, "GetOrCreateDistinctChannel", "2");
    assert_error(&distinct(alice.clone(), json!([])).await, 400, 4, "GetOrCreateDistinctChannel", "members");
    let no_data = call(&alice, Method::POST, "/channels/messaging/query", json!({})).await;
    assert_error(&no_data, 400, 4, "GetOrCreateDistinctChannel", "members");
    let ghost = distinct(alice.clone(), json!(["alice", "ghost"])).await;
    assert_error(&ghost, 400, 4, "GetOrCreateDistinctChannel", "ghost");

    // Only the three channels made above exist.
    let all = query_cids(&server.server_client(), json!({"filter_conditions": {"type": "messaging"}})).await;
    assert_eq!(all.len(), 3, "{all:?}");
}

/// Five channels: team:general (alice, bob, carol; p1), team:random (alice, bob; p2), messaging:dm (alice,
/// carol), livestream:live (dave, no members) and team:secret (dave, erin), created in that order. Messages go to
/// random, then dm, then general; then random is frozen.
async fn five_channels(server: &TestServer) {
    server.create_users(&["alice", "bob", "carol", "dave", "erin"]).await;
    let admin = server.server_client();
    for (cid, creator, members, extra) in [
        ("team:general", "alice", json!(["alice", "bob", "carol"]), json!({"project_id": "p1", "name": "General"})),
        ("team:random", "alice", json!(["alice", "bob"]), json!({"project_id": "p2"})),
        ("messaging:dm", "alice", json!(["alice", "carol"]), json!({})),
        ("livestream:live", "dave", json!([]), json!({})),
        ("team:secret", "dave", json!(["dave", "erin"]), json!({"project_id": "p3"})),
    ] {
        let mut data = extra.as_object().unwrap().clone();
        data.insert("created_by_id".into(), json!(creator));
        data.insert("members".into(), members);
        let response = get_or_create(&admin, cid, json!({ "data": data })).await;
        assert_eq!(response.status, 201, "{}", response.body);
    }
    post(&server.user_client("bob"), "team:random", "random").await;
    post(&server.user_client("carol"), "messaging:dm", "dm").await;
    post(&server.user_client("carol"), "team:general", "general").await;
    let frozen = partial_update(&admin, "team:random", json!({"set": {"frozen": true}})).await;
    assert_eq!(frozen.status, 200, "{}", frozen.body);
}

#[tokio::test]
async fn query_channels_filters_sorts_and_pages() {
    let server = TestServer::start().await;
    five_channels(&server).await;
    let alice = server.user_client("alice");
    let by_created =
        |filter: Value| json!({"filter_conditions": filter, "sort": [{"field": "created_at", "direction": 1}]});

    // Alice reads her three channels and the open livestream, never team:secret.
    assert_eq!(
        query_cids(&alice, by_created(json!({}))).await,
        ["team:general", "team:random", "messaging:dm", "livestream:live"]
    );
    assert_eq!(query_cids(&alice, by_created(json!({"type": "team"}))).await, ["team:general", "team:random"]);
    assert_eq!(
        query_cids(&alice, by_created(json!({"cid": {"$in": ["team:secret", "messaging:dm", "team:general"]}}))).await,
        ["team:general", "messaging:dm"]
    );
    assert_eq!(
        query_cids(&alice, by_created(json!({"members": {"$in": ["carol"]}}))).await,
        ["team:general", "messaging:dm"]
    );
    // `$eq` on members is the exact member set, in any order.
    assert_eq!(query_cids(&alice, by_created(json!({"members": {"$eq": ["carol", "alice"]}}))).await, ["messaging:dm"]);
    assert_eq!(
        query_cids(&alice, by_created(json!({"members": {"$in": ["bob"]}, "type": "team"}))).await,
        ["team:general", "team:random"]
    );
    assert_eq!(query_cids(&alice, by_created(json!({"member_count": {"$gte": 3}}))).await, ["team:general"]);
    assert_eq!(query_cids(&alice, by_created(json!({"project_id": "p2"}))).await, ["team:random"]);
    assert_eq!(
        query_cids(&alice, by_created(json!({"project_id": {"$in": ["p1", "p2", "p3"]}}))).await,
        ["team:general", "team:random"]
    );
    assert_eq!(query_cids(&alice, by_created(json!({"frozen": true}))).await, ["team:random"]);
    assert_eq!(query_cids(&alice, by_created(json!({"type": "team", "frozen": false}))).await, ["team:general"]);
    assert_eq!(
        query_cids(&alice, by_created(json!({"$or": [{"type": "messaging"}, {"project_id": "p1"}]}))).await,
        ["team:general", "messaging:dm"]
    );

    // Sorts: last_message_at (random, dm, general were written in that order), created_at, and the default
    // last_updated, where freezing random after the messages made it the most recently updated.
    let mine = json!({"type": {"$in": ["team", "messaging"]}});
    assert_eq!(
        query_cids(&alice, json!({"filter_conditions": mine, "sort": [{"field": "last_message_at", "direction": -1}]}))
            .await,
        ["team:general", "messaging:dm", "team:random"]
    );
    assert_eq!(
        query_cids(&alice, json!({"filter_conditions": mine, "sort": [{"field": "last_message_at", "direction": 1}]}))
            .await,
        ["team:random", "messaging:dm", "team:general"]
    );
    assert_eq!(
        query_cids(&alice, json!({"filter_conditions": mine, "sort": {"created_at": -1}})).await,
        ["messaging:dm", "team:random", "team:general"]
    );
    assert_eq!(
        query_cids(&alice, json!({"filter_conditions": mine})).await,
        ["team:random", "team:general", "messaging:dm"]
    );

    let page = |limit: i64, offset: i64| json!({"filter_conditions": {}, "sort": [{"field": "created_at", "direction": 1}], "limit": limit, "offset": offset});
    assert_eq!(query_cids(&alice, page(2, 0)).await, ["team:general", "team:random"]);
    assert_eq!(query_cids(&alice, page(2, 2)).await, ["messaging:dm", "livestream:live"]);
    assert_eq!(query_cids(&alice, page(2, 4)).await, Vec::<String>::new());

    let bad = call(&alice, Method::POST, "/channels", json!({"filter_conditions": {"frozen": {"$gt": true}}})).await;
    assert_error(&bad, 400, 4, "QueryChannels", "frozen");
    let bad_sort = call(
        &alice,
        Method::POST,
        "/channels",
        json!({"filter_conditions": {}, "sort": [{"field": "x", "direction": 0}]}),
    )
    .await;
    assert_error(&bad_sort, 400, 4, "QueryChannels", "x");
}

#[tokio::test]
async fn query_channels_shows_only_readable_channels() {
    let server = TestServer::start().await;
    five_channels(&server).await;
    let all = |filter: Value| json!({"filter_conditions": filter, "sort": [{"field": "created_at", "direction": 1}]});

    // A user with no memberships sees only the open livestream, whatever the filter asks for.
    server.create_users(&["zed"]).await;
    let zed = server.user_client("zed");
    assert_eq!(query_cids(&zed, all(json!({}))).await, ["livestream:live"]);
    assert_eq!(query_cids(&zed, all(json!({"type": "team"}))).await, Vec::<String>::new());
    assert_eq!(query_cids(&zed, all(json!({"cid": "team:general"}))).await, Vec::<String>::new());
    assert_eq!(query_cids(&zed, all(json!({"members": {"$in": ["alice"]}}))).await, Vec::<String>::new());

    assert_eq!(query_cids(&server.user_client("erin"), all(json!({}))).await, ["livestream:live", "team:secret"]);

    // A server token acts as `user_id` when given, and sees everything without one.
    let admin = server.server_client();
    assert_eq!(
        query_cids(
            &admin,
            json!({"filter_conditions": {"type": "team"}, "user_id": "erin", "sort": {"created_at": 1}})
        )
        .await,
        ["team:secret"]
    );
    assert_eq!(
        query_cids(&admin, all(json!({}))).await,
        ["team:general", "team:random", "messaging:dm", "livestream:live", "team:secret"]
    );

    // Open channels can be read and written without membership; members-only ones cannot.
    let live = state_of(&zed, "livestream:live").await;
    let caps = capabilities(&live);
    assert!(caps.contains(&"send-message".to_owned()), "{caps:?}");
    assert!(caps.contains(&"join-channel".to_owned()), "{caps:?}");
    post(&zed, "livestream:live", "hi all").await;

    let refused = get_or_create(&zed, "team:general", json!({"state": true})).await;
    assert_error(&refused, 403, 17, "GetOrCreateChannel", "team:general");
    let refused_send = send(&zed, "team:general", "let me in").await;
    assert_error(&refused_send, 403, 17, "SendMessage", "team:general");
    let refused_update = partial_update(&zed, "team:general", json!({"set": {"name": "mine"}})).await;
    assert_error(&refused_update, 403, 17, "UpdateChannelPartial", "team:general");
    // Nothing leaked in: general still has its one message.
    let general = state_of(&server.user_client("alice"), "team:general").await;
    assert_eq!(general["messages"].as_array().unwrap().len(), 1);
    assert_eq!(general["channel"]["name"], "General");
}

#[tokio::test]
async fn update_replaces_data_and_partial_update_sets_and_unsets_paths() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    partial_update(&alice, "team:general", json!({"set": {"project_id": "p1", "color": "red"}})).await;

    let updated = update(&alice, "team:general", json!({"data": {"name": "Renamed", "topic": "news"}})).await;
    assert_eq!(updated.status, 201, "{}", updated.body);
    assert_schema("UpdateChannelResponse", &updated.body);
    let channel = &updated.body["channel"];
    assert_eq!(channel["name"], "Renamed");
    assert_eq!(channel["topic"], "news");
    for gone in ["project_id", "color"] {
        assert!(channel.get(gone).is_none(), "{gone} survived a full replace: {channel}");
    }
    assert_eq!(member_ids(&updated.body["members"]), ["alice", "bob"], "data does not touch members");

    let partial = partial_update(
        &alice,
        "team:general",
        json!({"set": {"detail.owner": "ops", "detail.level": 2, "topic": "sports"}, "unset": ["name"]}),
    )
    .await;
    assert_eq!(partial.status, 200, "{}", partial.body);
    assert_schema("UpdateChannelPartialResponse", &partial.body);
    assert_eq!(partial.body["channel"]["detail"], json!({"owner": "ops", "level": 2}));
    let partial = partial_update(&alice, "team:general", json!({"unset": ["detail.level"]})).await;
    assert_eq!(partial.status, 200, "{}", partial.body);

    let state = state_of(&alice, "team:general").await;
    let channel = &state["channel"];
    assert_eq!(channel["detail"], json!({"owner": "ops"}));
    assert_eq!(channel["topic"], "sports");
    assert!(channel.get("name").is_none(), "{channel}");
    assert!(channel.get("project_id").is_none(), "{channel}");

    let reserved = partial_update(&alice, "team:general", json!({"set": {"member_count": 9}})).await;
    assert_error(&reserved, 400, 4, "UpdateChannelPartial", "member_count");
    let reserved_data = update(&alice, "team:general", json!({"data": {"cid": "team:other"}})).await;
    assert_error(&reserved_data, 400, 4, "UpdateChannel", "cid");
    let missing = update(&alice, "team:nowhere", json!({"data": {"name": "x"}})).await;
    assert_error(&missing, 404, 16, "UpdateChannel", "team:nowhere");
}

#[tokio::test]
async fn members_and_moderators_are_managed_by_the_owner() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    post(&alice, "team:general", "before carol").await;
    post(&alice, "team:general", "before dave").await;

    let added = update(&alice, "team:general", json!({"add_members": ["carol", {"user_id": "dave"}]})).await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_schema("UpdateChannelResponse", &added.body);
    assert_eq!(member_ids(&added.body["members"]), ["alice", "bob", "carol", "dave"]);
    assert_eq!(added.body["channel"]["member_count"], 4);
    // New members can read the history, but it is not unread for them.
    let as_carol = state_of(&server.user_client("carol"), "team:general").await;
    assert_eq!(as_carol["messages"].as_array().unwrap().len(), 2);
    assert_eq!(unread_of(&as_carol, "carol"), 0);
    assert_eq!(unread_of(&as_carol, "bob"), 2);
    // Adding an existing member again changes nothing.
    let again = update(&alice, "team:general", json!({"add_members": ["carol"]})).await;
    assert_eq!(again.body["channel"]["member_count"], 4, "{}", again.body);
    let ghost = update(&alice, "team:general", json!({"add_members": ["ghost"]})).await;
    assert_error(&ghost, 400, 4, "UpdateChannel", "ghost");

    let promoted = update(&alice, "team:general", json!({"add_moderators": ["bob"]})).await;
    assert_eq!(promoted.status, 201, "{}", promoted.body);
    let bob = member(&promoted.body["members"], "bob");
    assert_eq!(bob["channel_role"], "channel_moderator");
    assert_eq!(bob["is_moderator"], true);
    assert_eq!(member(&promoted.body["members"], "carol")["channel_role"], "channel_member");
    // Bob now moderates: he gets moderator capabilities.
    let as_bob = state_of(&server.user_client("bob"), "team:general").await;
    assert!(capabilities(&as_bob).contains(&"freeze-channel".to_owned()), "{:?}", capabilities(&as_bob));
    assert_eq!(as_bob["membership"]["channel_role"], "channel_moderator");

    let demoted = update(&alice, "team:general", json!({"demote_moderators": ["bob"]})).await;
    assert_eq!(demoted.status, 201, "{}", demoted.body);
    assert_eq!(member(&demoted.body["members"], "bob")["channel_role"], "channel_member");
    let as_bob = state_of(&server.user_client("bob"), "team:general").await;
    assert!(!capabilities(&as_bob).contains(&"freeze-channel".to_owned()));
    let not_member = update(&alice, "team:general", json!({"add_moderators": ["ghost"]})).await;
    assert_error(&not_member, 400, 4, "UpdateChannel", "ghost");

    let removed = update(&alice, "team:general", json!({"remove_members": ["carol", "dave"]})).await;
    assert_eq!(removed.status, 201, "{}", removed.body);
    assert_eq!(member_ids(&removed.body["members"]), ["alice", "bob"]);
    assert_eq!(removed.body["channel"]["member_count"], 2);
    // A removed member can no longer read the channel.
    let refused = get_or_create(&server.user_client("carol"), "team:general", json!({})).await;
    assert_error(&refused, 403, 17, "GetOrCreateChannel", "team:general");

    // The server manages members too.
    let by_server = update(&server.server_client(), "team:general", json!({"add_members": ["dave"]})).await;
    assert_eq!(by_server.status, 201, "{}", by_server.body);
    assert_eq!(member_ids(&state_of(&alice, "team:general").await["members"]), ["alice", "bob", "dave"]);
}

#[tokio::test]
async fn a_plain_member_cannot_manage_a_team_channel_but_can_leave() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let bob = server.user_client("bob");

    let data = update(&bob, "team:general", json!({"data": {"name": "Bob's"}})).await;
    assert_error(&data, 403, 17, "UpdateChannel", "update channel team:general");
    let partial = partial_update(&bob, "team:general", json!({"set": {"name": "Bob's"}})).await;
    assert_error(&partial, 403, 17, "UpdateChannelPartial", "update channel team:general");
    let add = update(&bob, "team:general", json!({"add_members": ["carol"]})).await;
    assert_error(&add, 403, 17, "UpdateChannel", "add members");
    let remove = update(&bob, "team:general", json!({"remove_members": ["alice"]})).await;
    assert_error(&remove, 403, 17, "UpdateChannel", "remove members");
    let promote = update(&bob, "team:general", json!({"add_moderators": ["bob"]})).await;
    assert_error(&promote, 403, 17, "UpdateChannel", "roles");
    let freeze = partial_update(&bob, "team:general", json!({"set": {"frozen": true}})).await;
    assert_error(&freeze, 403, 17, "UpdateChannelPartial", "freeze");
    let delete = call(&bob, Method::DELETE, "/channels/team/general", json!({})).await;
    assert_error(&delete, 403, 17, "DeleteChannel", "delete channel team:general");
    let truncate = channel_action(&bob, "team:general", "truncate", json!({})).await;
    assert_error(&truncate, 403, 17, "TruncateChannel", "truncate");

    // None of that changed anything.
    let state = state_of(&server.user_client("alice"), "team:general").await;
    assert_eq!(state["channel"]["name"], "general");
    assert_eq!(state["channel"]["frozen"], false);
    assert_eq!(member_ids(&state["members"]), ["alice", "bob"]);
    assert_eq!(member(&state["members"], "bob")["channel_role"], "channel_member");

    // In a messaging channel, by contrast, members may add members (but still not update or delete it).
    let dm =
        get_or_create(&server.user_client("alice"), "messaging:dm", json!({"data": {"members": ["alice", "bob"]}}))
            .await;
    assert_eq!(dm.status, 201, "{}", dm.body);
    let dm_add = update(&bob, "messaging:dm", json!({"add_members": ["carol"]})).await;
    assert_eq!(dm_add.status, 201, "{}", dm_add.body);
    assert_eq!(member_ids(&dm_add.body["members"]), ["alice", "bob", "carol"]);
    let dm_update = update(&bob, "messaging:dm", json!({"data": {"name": "x"}})).await;
    assert_error(&dm_update, 403, 17, "UpdateChannel", "update channel messaging:dm");

    // Leaving is allowed.
    let left = update(&bob, "team:general", json!({"remove_members": ["bob"]})).await;
    assert_eq!(left.status, 201, "{}", left.body);
    assert_eq!(member_ids(&left.body["members"]), ["alice"]);
    let refused = send(&bob, "team:general", "still here?").await;
    assert_error(&refused, 403, 17, "SendMessage", "team:general");
}

#[tokio::test]
async fn delete_is_for_the_owner_or_an_admin_and_removes_the_channel() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "mod"]).await;
    let admin_client = server.server_client();
    admin_client
        .upsert_users(&[json!({"id": "root", "role": "admin"}), json!({"id": "mod", "role": "moderator"})])
        .await
        .unwrap();
    server.team_channel("general", &["alice", "bob"]).await;
    server.team_channel("random", &["alice", "bob"]).await;
    post(&server.user_client("bob"), "team:general", "hello").await;

    let by_member = call(&server.user_client("bob"), Method::DELETE, "/channels/team/general", json!({})).await;
    assert_error(&by_member, 403, 17, "DeleteChannel", "team:general");
    let by_moderator = call(&server.user_client("mod"), Method::DELETE, "/channels/team/general", json!({})).await;
    assert_error(&by_moderator, 403, 17, "DeleteChannel", "team:general");

    let by_owner = call(&server.user_client("alice"), Method::DELETE, "/channels/team/general", json!({})).await;
    assert_eq!(by_owner.status, 200, "{}", by_owner.body);
    assert_schema("DeleteChannelResponse", &by_owner.body);
    assert_eq!(by_owner.body["channel"]["cid"], "team:general");
    assert!(by_owner.body["channel"]["deleted_at"].is_string(), "{}", by_owner.body);

    let by_admin = call(&server.user_client("root"), Method::DELETE, "/channels/team/random", json!({})).await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);

    for cid in ["team:general", "team:random"] {
        let refused = send(&server.user_client("bob"), cid, "anyone?").await;
        assert_error(&refused, 404, 16, "SendMessage", cid);
        let again =
            call(&admin_client, Method::DELETE, &format!("/channels/{}", cid.replace(':', "/")), json!({})).await;
        assert_error(&again, 404, 16, "DeleteChannel", cid);
        let update = partial_update(&admin_client, cid, json!({"set": {"x": 1}})).await;
        assert_error(&update, 404, 16, "UpdateChannelPartial", cid);
    }
    assert_eq!(query_cids(&server.user_client("bob"), json!({"filter_conditions": {}})).await, Vec::<String>::new());
    assert_eq!(query_cids(&admin_client, json!({"filter_conditions": {}})).await, Vec::<String>::new());
    let (total, channels) = me_totals(&server, "alice").await;
    assert_eq!((total, channels), (0, 0), "a deleted channel's unread messages are gone");

    // The id is free again: a new channel with it starts empty.
    let recreated = server.team_channel("general", &["bob"]).await;
    assert_eq!(recreated["messages"], json!([]));
    assert_eq!(member_ids(&recreated["members"]), ["bob"]);
    assert_eq!(recreated["channel"]["created_by"]["id"], "bob");
}

#[tokio::test]
async fn truncate_clears_messages_and_unread_counts() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let alice = server.user_client("alice");
    for text in ["one", "two", "three"] {
        post(&alice, "team:general", text).await;
    }
    let bob = server.user_client("bob");
    assert_eq!(unread_of(&state_of(&bob, "team:general").await, "bob"), 3);

    let truncated = channel_action(&alice, "team:general", "truncate", json!({})).await;
    assert_eq!(truncated.status, 201, "{}", truncated.body);
    assert!(truncated.body["channel"]["truncated_at"].is_string(), "{}", truncated.body);

    let state = state_of(&bob, "team:general").await;
    assert_eq!(state["messages"], json!([]));
    assert_eq!(unread_of(&state, "bob"), 0);
    assert_eq!(unread_of(&state, "carol"), 0);
    assert_eq!(me_totals(&server, "bob").await, (0, 0));

    // Messages after the truncation count again, and only they are shown.
    let after = post(&server.user_client("carol"), "team:general", "four").await;
    let state = state_of(&bob, "team:general").await;
    let ids: Vec<&str> = state["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [after.as_str()]);
    assert_eq!(unread_of(&state, "bob"), 1);
    assert_eq!(unread_of(&state, "alice"), 1);
    assert_eq!(unread_of(&state, "carol"), 0);
    assert_eq!(me_totals(&server, "bob").await, (1, 1));
}

#[tokio::test]
async fn hidden_channels_leave_queries_until_a_new_message_arrives() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    server.team_channel("random", &["alice", "bob"]).await;
    let bob = server.user_client("bob");
    let everything = json!({"filter_conditions": {}, "sort": {"created_at": 1}});

    let hidden = channel_action(&bob, "team:general", "hide", json!({})).await;
    assert_eq!(hidden.status, 201, "{}", hidden.body);
    assert_schema("Response", &hidden.body);
    assert_eq!(query_cids(&bob, everything.clone()).await, ["team:random"]);
    assert_eq!(
        query_cids(&bob, json!({"filter_conditions": {"hidden": true}})).await,
        ["team:general"],
        "an explicit hidden filter finds it"
    );
    // Hiding is per user: alice still sees both.
    assert_eq!(query_cids(&server.user_client("alice"), everything.clone()).await, ["team:general", "team:random"]);
    // The channel itself is still readable, and says it is hidden.
    assert_eq!(state_of(&bob, "team:general").await["hidden"], true);

    let shown = channel_action(&bob, "team:general", "show", json!({})).await;
    assert_eq!(shown.status, 201, "{}", shown.body);
    assert_eq!(query_cids(&bob, everything.clone()).await, ["team:general", "team:random"]);

    channel_action(&bob, "team:general", "hide", json!({})).await;
    assert_eq!(query_cids(&bob, everything.clone()).await, ["team:random"]);
    post(&server.user_client("alice"), "team:general", "wake up").await;
    assert_eq!(query_cids(&bob, everything.clone()).await, ["team:general", "team:random"]);

    // clear_history hides the messages so far from that user only, even once the channel is shown again.
    let cleared = channel_action(&bob, "team:general", "hide", json!({"clear_history": true})).await;
    assert_eq!(cleared.status, 201, "{}", cleared.body);
    channel_action(&bob, "team:general", "show", json!({})).await;
    assert_eq!(state_of(&bob, "team:general").await["messages"], json!([]));
    assert_eq!(state_of(&server.user_client("alice"), "team:general").await["messages"].as_array().unwrap().len(), 1);
    let later = post(&server.user_client("alice"), "team:general", "after the clear").await;
    let messages = state_of(&bob, "team:general").await["messages"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["id"], later.as_str());

    // Server-side hide names the user; a non-member cannot hide.
    let by_server = channel_action(&server.server_client(), "team:random", "hide", json!({"user_id": "bob"})).await;
    assert_eq!(by_server.status, 201, "{}", by_server.body);
    assert_eq!(query_cids(&bob, everything).await, ["team:general"]);
    server.create_users(&["zed"]).await;
    let outsider = channel_action(&server.user_client("zed"), "team:random", "hide", json!({})).await;
    assert_error(&outsider, 403, 17, "HideChannel", "team:random");
}

#[tokio::test]
async fn unread_counts_are_exact_and_mark_read_clears_them() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    server.team_channel("random", &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (server.user_client("alice"), server.user_client("bob"), server.user_client("carol"));

    // general: a1 c1 a2 b1 c2; random: a3 a4.
    post(&alice, "team:general", "a1").await;
    post(&carol, "team:general", "c1").await;
    post(&alice, "team:general", "a2").await;
    let b1 = post(&bob, "team:general", "b1").await;
    post(&carol, "team:general", "c2").await;
    post(&alice, "team:random", "a3").await;
    post(&alice, "team:random", "a4").await;

    let general = state_of(&server.server_client(), "team:general").await;
    assert_eq!(unread_of(&general, "alice"), 2, "b1 and c2; her own messages never count");
    assert_eq!(unread_of(&general, "bob"), 1, "c2");
    assert_eq!(unread_of(&general, "carol"), 0);
    let random = state_of(&server.server_client(), "team:random").await;
    assert_eq!(unread_of(&random, "alice"), 0);
    assert_eq!(unread_of(&random, "bob"), 2);
    assert_eq!(unread_of(&random, "carol"), 2);
    assert_eq!(me_totals(&server, "alice").await, (2, 1));
    assert_eq!(me_totals(&server, "bob").await, (3, 2));
    assert_eq!(me_totals(&server, "carol").await, (2, 1));

    // Mark one channel read.
    let read = channel_action(&bob, "team:general", "read", json!({})).await;
    assert_eq!(read.status, 201, "{}", read.body);
    assert_schema("MarkReadResponse", &read.body);
    assert_eq!(read.body["event"]["type"], "message.read");
    assert_eq!(read.body["event"]["cid"], "team:general");
    assert_eq!(read.body["event"]["user"]["id"], "bob");
    assert_eq!(unread_of(&state_of(&bob, "team:general").await, "bob"), 0);
    assert_eq!(me_totals(&server, "bob").await, (2, 1));

    // Mark read up to a message: what follows it stays unread.
    let partial = channel_action(&alice, "team:general", "read", json!({"message_id": b1})).await;
    assert_eq!(partial.status, 201, "{}", partial.body);
    assert_eq!(partial.body["event"]["last_read_message_id"], b1.as_str());
    let state = state_of(&alice, "team:general").await;
    assert_eq!(unread_of(&state, "alice"), 1);
    assert_eq!(
        state["read"].as_array().unwrap().iter().find(|r| r["user"]["id"] == "alice").unwrap()["last_read_message_id"],
        b1.as_str()
    );
    let foreign = channel_action(&alice, "team:random", "read", json!({"message_id": b1})).await;
    assert_error(&foreign, 404, 16, "MarkRead", "team:random");

    // Server-side mark read names the user; a non-member cannot mark read.
    let by_server = channel_action(&server.server_client(), "team:random", "read", json!({"user_id": "carol"})).await;
    assert_eq!(by_server.status, 201, "{}", by_server.body);
    assert_eq!(me_totals(&server, "carol").await, (0, 0));
    server.create_users(&["zed"]).await;
    let outsider = channel_action(&server.user_client("zed"), "team:general", "read", json!({})).await;
    assert_error(&outsider, 403, 17, "MarkRead", "team:general");

    let nobody = channel_action(&server.server_client(), "team:general", "read", json!({})).await;
    assert_error(&nobody, 400, 4, "MarkRead", "user_id");
    server.team_channel("private", &["carol"]).await;
    let not_mine = call(&bob, Method::POST, "/channels/read", json!({"read_by_channel": {"team:private": ""}})).await;
    assert_error(&not_mine, 403, 17, "MarkChannelsRead", "team:private");

    // Mark all read.
    let all = call(&bob, Method::POST, "/channels/read", json!({})).await;
    assert_eq!(all.status, 201, "{}", all.body);
    assert_eq!(me_totals(&server, "bob").await, (0, 0));
    assert_eq!(unread_of(&state_of(&bob, "team:random").await, "bob"), 0);
    // ... or named channels only (an empty message id means "everything").
    let named = call(&alice, Method::POST, "/channels/read", json!({"read_by_channel": {"team:general": ""}})).await;
    assert_eq!(named.status, 201, "{}", named.body);
    assert_eq!(me_totals(&server, "alice").await, (0, 0));
    // Totals agree with QueryUsers.
    let users = server
        .server_client()
        .raw(
            Method::GET,
            "/users",
            &[("payload", &json!({"filter_conditions": {}, "sort": {"id": 1}}).to_string())],
            None,
        )
        .await
        .unwrap();
    let totals: Vec<i64> = users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["total_unread_count"].as_i64().unwrap())
        .collect();
    assert_eq!(totals, [0, 0, 0, 0], "{}", users.body);

    // New messages count from there, and again never for their author.
    post(&carol, "team:general", "c3").await;
    post(&carol, "team:random", "c4").await;
    assert_eq!(me_totals(&server, "alice").await, (2, 2));
    assert_eq!(me_totals(&server, "bob").await, (2, 2));
    assert_eq!(me_totals(&server, "carol").await, (0, 0));
}

#[tokio::test]
async fn channels_members_and_messages_persist_across_restart() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    let admin = server.server_client();
    get_or_create(
        &admin,
        "team:general",
        json!({"data": {"created_by_id": "alice", "members": ["alice", "bob", "carol"], "project_id": "p1", "detail": {"topic": "x"}}}),
    )
    .await;
    update(&admin, "team:general", json!({"add_moderators": ["bob"]})).await;
    let mut ids = Vec::new();
    for (user, text) in [("alice", "one"), ("bob", "two"), ("carol", "three")] {
        ids.push(post(&server.user_client(user), "team:general", text).await);
    }
    channel_action(&server.user_client("carol"), "team:general", "hide", json!({})).await;
    let dm = call(
        &server.user_client("alice"),
        Method::POST,
        "/channels/messaging/query",
        json!({"data": {"members": ["alice", "bob"]}}),
    )
    .await;
    let dm_cid = dm.body["channel"]["cid"].as_str().unwrap().to_owned();
    let before = state_of(&admin, "team:general").await;

    let server = server.restart().await;
    let admin = server.server_client();
    let after = state_of(&admin, "team:general").await;
    assert_eq!(after["channel"]["project_id"], "p1");
    assert_eq!(after["channel"]["detail"], json!({"topic": "x"}));
    assert_eq!(after["channel"]["created_by"]["id"], "alice");
    assert_eq!(after["channel"]["member_count"], 3);
    assert_eq!(after["channel"]["created_at"], before["channel"]["created_at"]);
    assert_eq!(after["channel"]["last_message_at"], before["channel"]["last_message_at"]);
    assert_eq!(member_ids(&after["members"]), ["alice", "bob", "carol"]);
    assert_eq!(member(&after["members"], "bob")["channel_role"], "channel_moderator");
    let texts: Vec<&str> = after["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    let after_ids: Vec<&str> =
        after["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(after_ids, ids);
    assert_eq!(after["messages"], before["messages"]);
    assert_eq!(unread_of(&after, "alice"), 2);
    assert_eq!(unread_of(&after, "bob"), 1);
    assert_eq!(unread_of(&after, "carol"), 0);
    assert_eq!(me_totals(&server, "alice").await, (2, 1));

    // Hidden state and distinct channels survive too.
    let carol = server.user_client("carol");
    assert_eq!(query_cids(&carol, json!({"filter_conditions": {}})).await, Vec::<String>::new());
    let dm_again = call(
        &server.user_client("bob"),
        Method::POST,
        "/channels/messaging/query",
        json!({"data": {"members": ["bob", "alice"]}}),
    )
    .await;
    assert_eq!(dm_again.body["channel"]["cid"], dm_cid.as_str());
    assert_eq!(
        query_cids(&server.user_client("alice"), json!({"filter_conditions": {}, "sort": {"created_at": 1}})).await,
        ["team:general".to_owned(), dm_cid]
    );
}

#[tokio::test]
async fn hide_history_for_new_members_and_filter_tags() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice"]).await;
    let admin = server.server_client();
    let alice = server.user_client("alice");
    alice.send_message("team", "general", &json!({"text": "before bob"})).await.unwrap();

    // Bob joins with the history hidden; Carol joins normally and sees it.
    let update = json!({"add_members": ["bob"], "hide_history": true});
    let added = admin.raw(Method::POST, "/channels/team/general", &[], Some(&update)).await.unwrap();
    assert_eq!(added.status, 201, "{}", added.body);
    admin.raw(Method::POST, "/channels/team/general", &[], Some(&json!({"add_members": ["carol"]}))).await.unwrap();
    alice.send_message("team", "general", &json!({"text": "after bob"})).await.unwrap();
    let texts = |state: rill_protocol::types::ChannelState| -> Vec<String> {
        state.messages.into_iter().map(|message| message.text).collect()
    };
    let bob_sees = texts(server.user_client("bob").get_or_create_channel("team", "general", &json!({})).await.unwrap());
    assert_eq!(bob_sees, ["after bob"]);
    let carol_sees =
        texts(server.user_client("carol").get_or_create_channel("team", "general", &json!({})).await.unwrap());
    assert_eq!(carol_sees, ["before bob", "after bob"]);
    let alone =
        admin.raw(Method::POST, "/channels/team/general", &[], Some(&json!({"hide_history": true}))).await.unwrap();
    assert_eq!((alone.status, alone.body["code"].as_i64()), (400, Some(4)), "{}", alone.body);

    // Filter tags: added, removed, shown on the channel and usable in QueryChannels.
    let tagged = admin
        .raw(Method::POST, "/channels/team/general", &[], Some(&json!({"add_filter_tags": ["ops", "urgent"]})))
        .await
        .unwrap();
    assert_eq!(tagged.body["channel"]["filter_tags"], json!(["ops", "urgent"]), "{}", tagged.body);
    let untagged = admin
        .raw(Method::POST, "/channels/team/general", &[], Some(&json!({"remove_filter_tags": ["urgent"]})))
        .await
        .unwrap();
    assert_eq!(untagged.body["channel"]["filter_tags"], json!(["ops"]), "{}", untagged.body);
    let found = alice.query_channels(&json!({"filter_conditions": {"filter_tags": {"$in": ["ops"]}}})).await.unwrap();
    assert_eq!(found.channels.len(), 1);
    let none = alice.query_channels(&json!({"filter_conditions": {"filter_tags": {"$in": ["urgent"]}}})).await.unwrap();
    assert!(none.channels.is_empty());
    let refused = server
        .user_client("bob")
        .raw(Method::POST, "/channels/team/general", &[], Some(&json!({"add_filter_tags": ["mine"]})))
        .await
        .unwrap();
    assert_eq!((refused.status, refused.body["code"].as_i64()), (403, Some(17)), "{}", refused.body);
}

/// The member ids of a successful QueryMembers, in order.
async fn query_member_ids(client: &Client, document: Value) -> Vec<String> {
    let payload = document.to_string();
    let response = client.raw(Method::GET, "/members", &[("payload", payload.as_str())], None).await.unwrap();
    assert_eq!(response.status, 200, "{document}: {}", response.body);
    assert_schema("MembersResponse", &response.body);
    response.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["user_id"].as_str().unwrap().into())
        .collect()
}

/// A large channel answers with a page of members (and their reads), and QueryMembers finds the rest: by id,
/// name, role and custom member fields, sorted and paged.
#[tokio::test]
async fn channel_views_page_members_and_query_members_finds_them() {
    let server = TestServer::start().await;
    let ids: Vec<String> = (0..150).map(|index| format!("user{index:03}")).collect();
    let names: Vec<Value> = ids.iter().map(|id| json!({"id": id, "name": format!("Person {id}")})).collect();
    for chunk in names.chunks(100) {
        server.server_client().upsert_users(chunk).await.unwrap();
    }
    let admin = server.server_client();
    let first: Vec<&String> = ids.iter().take(100).collect();
    let created =
        get_or_create(&admin, "team:big", json!({"data": {"created_by_id": "user000", "members": first}})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let rest: Vec<Value> =
        ids[100..].iter().map(|id| json!({"user_id": id, "channel_role": "channel_member"})).collect();
    assert_eq!(update(&admin, "team:big", json!({"add_members": rest})).await.status, 201);
    let assign = json!({"assign_roles": [{"user_id": "user007", "channel_role": "channel_moderator"}]});
    assert_eq!(update(&admin, "team:big", assign).await.status, 201);

    let member = server.user_client("user149");
    let state = state_of(&member, "team:big").await;
    assert_eq!(state["members"].as_array().unwrap().len(), 100, "a view holds at most 100 members");
    assert_eq!(state["channel"]["member_count"], 150);
    let reads = state["read"].as_array().unwrap();
    assert!(reads.len() <= 101, "reads follow the page of members: {}", reads.len());
    assert!(reads.iter().any(|read| read["user"]["id"] == "user149"), "the viewer's own read is there");

    let base = json!({"type": "team", "id": "big", "filter_conditions": {}, "limit": 300});
    assert_eq!(query_member_ids(&member, base.clone()).await, ids, "all members, as they joined");
    let mut desc = base.clone();
    desc["sort"] = json!([{"field": "user_id", "direction": -1}]);
    desc["limit"] = json!(3);
    assert_eq!(query_member_ids(&member, desc).await, ["user149", "user148", "user147"]);
    let mut by_name = base.clone();
    by_name["filter_conditions"] = json!({"name": {"$autocomplete": "user12"}});
    let expected: Vec<String> = (120..130).map(|index| format!("user{index:03}")).collect();
    assert_eq!(query_member_ids(&member, by_name).await, expected);
    let mut moderators = base.clone();
    moderators["filter_conditions"] = json!({"is_moderator": true});
    assert_eq!(query_member_ids(&member, moderators).await, ["user007"]);
    let mut listed = base.clone();
    listed["filter_conditions"] = json!({"user_id": {"$in": ["user140", "user003", "nobody"]}});
    assert_eq!(query_member_ids(&member, listed).await, ["user003", "user140"]);
    let mut paged = base.clone();
    paged["offset"] = json!(148);
    assert_eq!(query_member_ids(&member, paged).await, ["user148", "user149"]);

    // Who may not read the channel gets nothing; a missing channel is 16; a bad filter is 4.
    server.create_users(&["stranger"]).await;
    let payload = base.to_string();
    let stranger = server.user_client("stranger");
    let refused = stranger.raw(Method::GET, "/members", &[("payload", payload.as_str())], None).await.unwrap();
    assert_eq!(refused.status, 403);
    let missing = json!({"type": "team", "id": "nowhere", "filter_conditions": {}}).to_string();
    let response = member.raw(Method::GET, "/members", &[("payload", missing.as_str())], None).await.unwrap();
    assert_eq!((response.status, response.body["code"].clone()), (404, json!(16)));
    let bad = json!({"type": "team", "id": "big", "filter_conditions": {"is_moderator": {"$gt": 1}}}).to_string();
    let response = member.raw(Method::GET, "/members", &[("payload", bad.as_str())], None).await.unwrap();
    assert_eq!((response.status, response.body["code"].clone()), (400, json!(4)));
}

/// Opening an existing channel is a read: it answers while the store's writer is busy (on SQLite, one writer
/// serves every app; on PostgreSQL a channel row held by another transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_an_existing_channel_does_not_wait_for_writes() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let (started, wait_started) = tokio::sync::oneshot::channel();
    let store = server.state.store().clone();
    let (app_id, on_postgres) =
        (server.app.id, server.backend_kind() == rill_core::store::testing::BackendKind::Postgres);
    let blocker = tokio::spawn(async move {
        store
            .write(std::sync::Mutex::new(Some(started)), move |tx, started| {
                Box::pin(async move {
                    tx.channel_for_update(app_id, "team:general").await?;
                    if let Some(started) = started.lock().unwrap().take() {
                        let _ = started.send(());
                    }
                    if on_postgres {
                        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    } else {
                        std::thread::sleep(std::time::Duration::from_millis(1500));
                    }
                    Ok(())
                })
            })
            .await
    });
    wait_started.await.unwrap();
    let state = state_of(&server.user_client("bob"), "team:general").await;
    assert_eq!(state["channel"]["cid"], "team:general");
    assert!(!blocker.is_finished(), "the channel opened only after the write that held the store had finished");
    blocker.await.unwrap().unwrap();
}

/// How many of a channel's messages are still stored (hidden or not).
async fn stored_messages(server: &TestServer, cid: &str) -> usize {
    use rill_core::store::selection::{Comparison, Condition, RowQuery, Scalar};
    let condition = Condition::Column { column: "cid", op: Comparison::Eq, value: Scalar::Text(cid.into()) };
    let query = RowQuery { condition, order: Vec::new(), page: None };
    let app_id = server.app.id;
    server.state.store().read(query, move |tx, query| tx.find_messages(app_id, query)).await.unwrap().len()
}

/// Waits until a channel's stored messages are gone (the purge runs in the background).
async fn wait_until_purged(server: &TestServer, cid: &str) {
    for _ in 0..200 {
        if stored_messages(server, cid).await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{cid} still holds {} messages", stored_messages(server, cid).await);
}

/// Deleting or hard-truncating a channel hides its messages at once and removes them in the background, in
/// batches; a deleted channel can be created again, empty; a purge left unfinished resumes after a restart.
#[tokio::test]
async fn deleted_and_truncated_channels_are_purged_in_the_background() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("old", &["alice", "bob"]).await;
    server.team_channel("gone", &["alice", "bob"]).await;
    let filler = |prefix: &str| -> Vec<(String, String)> {
        (0..1_200).map(|index| (format!("{prefix}{index}"), format!("message {index}"))).collect()
    };
    server.insert_messages_directly("team:old", "bob", filler("old")).await;
    server.insert_messages_directly("team:gone", "bob", filler("gone")).await;
    let admin = server.server_client();

    let truncated = channel_action(&admin, "team:old", "truncate", json!({"hard_delete": true})).await;
    assert_eq!(truncated.status, 201, "{}", truncated.body);
    let alice = server.user_client("alice");
    assert!(state_of(&alice, "team:old").await["messages"].as_array().unwrap().is_empty(), "hidden at once");
    // Writes go on meanwhile, and new messages stay.
    let kept = post(&alice, "team:old", "after the truncation").await;
    wait_until_purged_except(&server, "team:old", 1).await;
    let state = state_of(&alice, "team:old").await;
    assert_eq!(state["messages"][0]["id"], kept.as_str());

    let deleted = call(&admin, Method::DELETE, "/channels/team/gone", Value::Null).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let again = get_or_create(&admin, "team:gone", json!({"data": {"created_by_id": "alice", "members": ["alice"]}}));
    let again = again.await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert!(again.body["messages"].as_array().unwrap().is_empty(), "the new channel shows none of the old messages");
    assert_eq!(again.body["members"].as_array().unwrap().len(), 1, "nor the old members");
    wait_until_purged(&server, "team:gone").await;

    // A purge the store recorded but no task ran (a crash) resumes when the server starts again.
    server.insert_messages_directly("team:old", "bob", filler("late")).await;
    let (app_id, at) = (server.app.id, chrono::Utc::now());
    server.state.store().write((), move |tx, ()| tx.schedule_purge(app_id, "team:old", at)).await.unwrap();
    let server = server.restart().await;
    wait_until_purged(&server, "team:old").await;
}

/// As `wait_until_purged`, for a channel that keeps `left` newer messages.
async fn wait_until_purged_except(server: &TestServer, cid: &str, left: usize) {
    for _ in 0..200 {
        if stored_messages(server, cid).await == left {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{cid} still holds {} messages", stored_messages(server, cid).await);
}

/// Deleting a channel reads and writes none of its memberships, however many: they stay, seen by no one, for
/// the grace in which its connected members are told of the deletion (found at delivery), and then the purge
/// removes them in batches and the channel's row goes.
#[tokio::test]
async fn a_deleted_channels_memberships_go_after_its_members_are_told() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "carol"]).await;
    server.team_channel("crowd", &["alice", "carol"]).await;
    let (app_id, joined) = (server.app.id, chrono::Utc::now());
    server
        .state
        .store()
        .write((), move |tx, ()| {
            Box::pin(async move {
                for index in 0..2_500 {
                    let member = rill_core::model::Member {
                        cid: "team:crowd".into(),
                        user_id: format!("extra{index:04}"),
                        channel_role: "channel_member".into(),
                        data: serde_json::Map::new(),
                        created_at: joined,
                        updated_at: joined,
                        hidden: false,
                        last_read_at: joined,
                        last_read_message_id: None,
                        last_read_sequence: 0,
                        hide_messages_before: None,
                        ban: None,
                    };
                    tx.insert_member(app_id, &member).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("members");
    let mut carol = server.connect("carol").await;
    post(&server.user_client("alice"), "team:crowd", "one for carol").await;
    assert_eq!(me_totals(&server, "carol").await, (1, 1));

    let deleted = call(&server.server_client(), Method::DELETE, "/channels/team/crowd", Value::Null).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let memberships = || async {
        server.state.store().read((), move |tx, ()| tx.member_ids(app_id, "team:crowd")).await.expect("read").len()
    };
    assert_eq!(memberships().await, 2_502, "the request removed no membership");
    let note = carol.wait_for_type("notification.channel_deleted").await.expect("carol is told");
    assert_eq!(note["channel"]["cid"], "team:crowd");
    assert_eq!(me_totals(&server, "carol").await, (0, 0), "its unread messages are gone at once");
    let listed = query_cids(&server.user_client("carol"), json!({"filter_conditions": {}})).await;
    assert!(listed.is_empty(), "and so is the channel: {listed:?}");

    let grace = rill_core::ops::channels::MEMBERSHIP_GRACE.to_std().expect("grace");
    let deadline = std::time::Instant::now() + grace + std::time::Duration::from_secs(20);
    loop {
        let row = server.state.store().read((), move |tx, ()| tx.channel(app_id, "team:crowd")).await.expect("read");
        if memberships().await == 0 && row.is_none() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the memberships and the row are purged after the grace");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
