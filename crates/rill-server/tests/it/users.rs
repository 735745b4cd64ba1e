//! Users over REST: upsert (full replace, flat custom data, validation), partial update with dotted paths,
//! QueryUsers filters, sorting and paging, (de)activation and deletion (server only), and persistence.

use reqwest::Method;
use rill_client::{Client, RawResponse, SocketError};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};

async fn call(client: &Client, method: Method, path: &str, body: Option<Value>) -> RawResponse {
    client.raw(method, path, &[], body.as_ref()).await.unwrap()
}

async fn upsert(client: &Client, users: Value) -> RawResponse {
    let map: serde_json::Map<String, Value> =
        users.as_array().unwrap().iter().map(|user| (user["id"].as_str().unwrap().to_owned(), user.clone())).collect();
    call(client, Method::POST, "/users", Some(json!({ "users": map }))).await
}

async fn patch(client: &Client, updates: Value) -> RawResponse {
    call(client, Method::PATCH, "/users", Some(json!({ "users": updates }))).await
}

async fn query(client: &Client, payload: Value) -> RawResponse {
    client.raw(Method::GET, "/users", &[("payload", &payload.to_string())], None).await.unwrap()
}

/// The ids of a successful QueryUsers, in order.
async fn query_ids(client: &Client, payload: Value) -> Vec<String> {
    let response = query(client, payload.clone()).await;
    assert_eq!(response.status, 200, "{payload}: {}", response.body);
    assert_schema("QueryUsersResponse", &response.body);
    ids(&response.body["users"])
}

fn ids(users: &Value) -> Vec<String> {
    users.as_array().unwrap().iter().map(|user| user["id"].as_str().unwrap().to_owned()).collect()
}

/// Asserts an `APIError` with this status and code whose message names the operation and contains `needle`.
fn assert_error(response: &RawResponse, status: u16, code: i64, operation: &str, needle: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_schema("APIError", &response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    assert_eq!(response.body["StatusCode"], status, "{}", response.body);
    let message = response.body["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{operation} failed with error: ")), "{message}");
    assert!(message.contains(needle), "{message:?} should mention {needle:?}");
}

#[tokio::test]
async fn upsert_creates_and_fully_replaces_with_flat_custom_data() {
    let server = TestServer::start().await;
    let admin = server.server_client();

    let created = upsert(
        &admin,
        json!([{
            "id": "alice",
            "name": "Alice",
            "image": "https://example.com/a.png",
            "role": "moderator",
            "teams": ["red"],
            "favorite_color": "green",
            "custom": {"department": "eng", "level": 3},
        }]),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_schema("UpdateUsersResponse", &created.body);
    let alice = &created.body["users"]["alice"];
    assert_eq!(alice["name"], "Alice");
    assert_eq!(alice["role"], "moderator");
    assert_eq!(alice["teams"], json!(["red"]));
    assert_eq!(alice["favorite_color"], "green");
    // The nested `custom` object is merged flat: its keys sit beside the built-in ones.
    assert_eq!(alice["department"], "eng");
    assert_eq!(alice["level"], 3);
    assert!(alice.get("custom").is_none(), "no nested custom on the classic wire: {alice}");
    let created_at = alice["created_at"].clone();

    // The second upsert replaces the whole user: fields it does not name are gone.
    let replaced = upsert(&admin, json!([{"id": "alice", "name": "Alice B", "favorite_color": "blue"}])).await;
    assert_eq!(replaced.status, 201, "{}", replaced.body);
    assert_schema("UpdateUsersResponse", &replaced.body);
    let alice = &replaced.body["users"]["alice"];
    assert_eq!(alice["name"], "Alice B");
    assert_eq!(alice["favorite_color"], "blue");
    assert_eq!(alice["role"], "user", "role defaults to user when the upsert omits it");
    assert_eq!(alice["teams"], json!([]));
    for gone in ["image", "department", "level"] {
        assert!(alice.get(gone).is_none(), "{gone} should be gone after a full replace: {alice}");
    }
    assert_eq!(alice["created_at"], created_at, "replacing keeps created_at");

    // A query sees the stored state, not just the response.
    let response = query(&admin, json!({"filter_conditions": {"id": "alice"}})).await;
    let stored = &response.body["users"][0];
    assert_eq!(stored["favorite_color"], "blue");
    assert!(stored.get("department").is_none(), "{stored}");
    assert!(stored.get("image").is_none(), "{stored}");
}

#[tokio::test]
async fn upsert_rejects_reserved_keys_invalid_ids_and_oversized_batches() {
    let server = TestServer::start().await;
    let admin = server.server_client();

    let reserved = upsert(&admin, json!([{"id": "alice", "created_at": "2020-01-01T00:00:00Z"}])).await;
    assert_error(&reserved, 400, 4, "UpdateUsers", "created_at");
    let nested_reserved = upsert(&admin, json!([{"id": "alice", "custom": {"online": true}}])).await;
    assert_error(&nested_reserved, 400, 4, "UpdateUsers", "online");

    for bad in ["a b", "al/ice", "alice!", &"x".repeat(256)] {
        let body = json!({"users": {bad: {"id": bad}}});
        let response = call(&admin, Method::POST, "/users", Some(body)).await;
        assert_error(&response, 400, 4, "UpdateUsers", "invalid");
    }

    let many: Vec<Value> = (0..101).map(|n| json!({"id": format!("user-{n}")})).collect();
    let too_many = upsert(&admin, Value::Array(many)).await;
    assert_error(&too_many, 400, 4, "UpdateUsers", "100");

    // A rejected batch stores nothing, not even its valid users.
    let mixed = upsert(&admin, json!([{"id": "good"}, {"id": "zz", "updated_at": "x"}])).await;
    assert_error(&mixed, 400, 4, "UpdateUsers", "updated_at");
    assert_eq!(query_ids(&admin, json!({"filter_conditions": {}})).await, Vec::<String>::new());

    // Exactly 100 is allowed.
    let hundred: Vec<Value> = (0..100).map(|n| json!({"id": format!("user-{n}")})).collect();
    let ok = upsert(&admin, Value::Array(hundred)).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["users"].as_object().unwrap().len(), 100);
}

#[tokio::test]
async fn user_token_upserts_only_itself_and_keeps_its_role() {
    let server = TestServer::start().await;
    server.create_users(&["bob"]).await;
    let alice = server.user_client("alice");

    // A user creating itself with a user token cannot pick its role or teams.
    let created = upsert(&alice, json!([{"id": "alice", "name": "Alice", "role": "admin", "teams": ["x"]}])).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["users"]["alice"]["role"], "user");
    assert_eq!(created.body["users"]["alice"]["teams"], json!([]));

    let promoted = upsert(&alice, json!([{"id": "alice", "name": "Alice 2", "role": "admin"}])).await;
    assert_eq!(promoted.status, 201, "{}", promoted.body);
    assert_eq!(promoted.body["users"]["alice"]["role"], "user");
    assert_eq!(promoted.body["users"]["alice"]["name"], "Alice 2");

    let other = upsert(&alice, json!([{"id": "bob", "name": "Hacked"}])).await;
    assert_error(&other, 403, 17, "UpdateUsers", "bob");

    let partial_role = patch(&alice, json!([{"id": "alice", "set": {"role": "admin"}}])).await;
    assert_error(&partial_role, 403, 17, "UpdateUsersPartial", "role");
    let partial_other = patch(&alice, json!([{"id": "bob", "set": {"name": "Hacked"}}])).await;
    assert_error(&partial_other, 403, 17, "UpdateUsersPartial", "bob");

    let admin = server.server_client();
    let users =
        query(&admin, json!({"filter_conditions": {"id": {"$in": ["alice", "bob"]}}, "sort": [{"field": "id"}]}))
            .await
            .body;
    assert_eq!(users["users"][0]["role"], "user");
    assert_eq!(users["users"][1]["name"], "BOB", "bob is untouched");
}

#[tokio::test]
async fn partial_update_sets_and_unsets_fields_and_dotted_paths() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    upsert(
        &admin,
        json!([{"id": "alice", "name": "Alice", "city": "Oslo", "address": {"street": "Main", "zip": "0150"}}]),
    )
    .await;

    let response = patch(
        &admin,
        json!([{
            "id": "alice",
            "set": {"name": "Alice A", "address.street": "Side", "address.floor": 2, "prefs.theme": "dark"},
            "unset": ["city", "address.zip"],
        }]),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("UpdateUsersResponse", &response.body);
    let alice = &response.body["users"]["alice"];
    assert_eq!(alice["name"], "Alice A");
    assert_eq!(alice["address"], json!({"street": "Side", "floor": 2}));
    assert_eq!(alice["prefs"], json!({"theme": "dark"}));
    assert!(alice.get("city").is_none(), "{alice}");

    // The user itself may patch its own profile.
    let own = patch(&server.user_client("alice"), json!([{"id": "alice", "set": {"mood": "happy"}}])).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["users"]["alice"]["mood"], "happy");

    let stored = query(&admin, json!({"filter_conditions": {"id": "alice"}})).await.body;
    let alice = &stored["users"][0];
    assert_eq!(alice["address"], json!({"street": "Side", "floor": 2}));
    assert_eq!(alice["mood"], "happy");
    assert!(alice.get("city").is_none(), "{alice}");

    let unknown = patch(&admin, json!([{"id": "nobody", "set": {"name": "x"}}])).await;
    assert_error(&unknown, 404, 16, "UpdateUsersPartial", "nobody");
    let built_in = patch(&admin, json!([{"id": "alice", "set": {"created_at": "2020-01-01T00:00:00Z"}}])).await;
    assert_error(&built_in, 400, 4, "UpdateUsersPartial", "created_at");
}

async fn create_directory(server: &TestServer) {
    let admin = server.server_client();
    // Separate calls so that created_at orders them: alice, alan, bob, carol, dave.
    for user in [
        json!({"id": "alice", "name": "Alice Smith", "role": "admin", "dept": "eng", "age": 30}),
        json!({"id": "alan", "name": "Alan Turing", "dept": "eng", "age": 41}),
        json!({"id": "bob", "name": "Bob Allen", "dept": "ops", "age": 25}),
        json!({"id": "carol", "name": "Carol", "role": "moderator", "dept": "ops", "age": 35}),
        json!({"id": "dave", "name": "Dave", "age": 50}),
    ] {
        let response = upsert(&admin, json!([user])).await;
        assert_eq!(response.status, 201, "{}", response.body);
    }
}

#[tokio::test]
async fn query_users_filters() {
    let server = TestServer::start().await;
    create_directory(&server).await;
    let admin = server.server_client();
    let sorted = |filter: Value| json!({"filter_conditions": filter, "sort": [{"field": "id", "direction": 1}]});

    assert_eq!(query_ids(&admin, sorted(json!({"id": "bob"}))).await, ["bob"]);
    assert_eq!(query_ids(&admin, sorted(json!({"id": {"$eq": "bob"}}))).await, ["bob"]);
    assert_eq!(query_ids(&admin, sorted(json!({"id": {"$in": ["carol", "alice", "zed"]}}))).await, ["alice", "carol"]);
    // $autocomplete matches the prefix of any word of the name, case-insensitively.
    assert_eq!(query_ids(&admin, sorted(json!({"name": {"$autocomplete": "al"}}))).await, ["alan", "alice", "bob"]);
    assert_eq!(query_ids(&admin, sorted(json!({"name": {"$autocomplete": "Tur"}}))).await, ["alan"]);
    assert_eq!(query_ids(&admin, sorted(json!({"role": "admin"}))).await, ["alice"]);
    assert_eq!(query_ids(&admin, sorted(json!({"role": {"$in": ["admin", "moderator"]}}))).await, ["alice", "carol"]);
    assert_eq!(query_ids(&admin, sorted(json!({"role": "user"}))).await, ["alan", "bob", "dave"]);
    assert_eq!(query_ids(&admin, sorted(json!({"dept": "ops"}))).await, ["bob", "carol"]);
    assert_eq!(query_ids(&admin, sorted(json!({"age": {"$gte": 35}}))).await, ["alan", "carol", "dave"]);
    assert_eq!(query_ids(&admin, sorted(json!({"dept": {"$exists": false}}))).await, ["dave"]);
    assert_eq!(query_ids(&admin, sorted(json!({"$and": [{"dept": "eng"}, {"age": {"$gt": 35}}]}))).await, ["alan"]);
    assert_eq!(
        query_ids(&admin, sorted(json!({"$or": [{"role": "moderator"}, {"name": {"$autocomplete": "dav"}}]}))).await,
        ["carol", "dave"]
    );
    // Several keys in one object are ANDed.
    assert_eq!(query_ids(&admin, sorted(json!({"dept": "eng", "role": "user"}))).await, ["alan"]);
    assert_eq!(query_ids(&admin, sorted(json!({}))).await, ["alan", "alice", "bob", "carol", "dave"]);

    // A user token may query too.
    assert_eq!(query_ids(&server.user_client("bob"), sorted(json!({"dept": "eng"}))).await, ["alan", "alice"]);

    let bad_operator = query(&admin, json!({"filter_conditions": {"role": {"$gt": "a"}}})).await;
    assert_error(&bad_operator, 400, 4, "QueryUsers", "role");
    let unknown_operator = query(&admin, json!({"filter_conditions": {"name": {"$like": "a"}}})).await;
    assert_error(&unknown_operator, 400, 4, "QueryUsers", "name");
    let missing = query(&admin, json!({"limit": 5})).await;
    assert_error(&missing, 400, 4, "QueryUsers", "filter_conditions");
}

#[tokio::test]
async fn query_users_sorts_and_pages() {
    let server = TestServer::start().await;
    create_directory(&server).await;
    let admin = server.server_client();
    let all = json!({});

    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": all, "sort": [{"field": "name", "direction": 1}]})).await,
        ["alan", "alice", "bob", "carol", "dave"]
    );
    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": all, "sort": [{"field": "name", "direction": -1}]})).await,
        ["dave", "carol", "bob", "alice", "alan"]
    );
    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": all, "sort": [{"field": "created_at", "direction": 1}]})).await,
        ["alice", "alan", "bob", "carol", "dave"]
    );
    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": all, "sort": [{"field": "created_at", "direction": -1}]})).await,
        ["dave", "carol", "bob", "alan", "alice"]
    );
    // The shorthand sort form is accepted too.
    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": all, "sort": {"age": -1}})).await,
        ["dave", "alan", "carol", "alice", "bob"]
    );
    // Several sort fields: ties on the first are broken by the second.
    assert_eq!(
        query_ids(
            &admin,
            json!({"filter_conditions": {"dept": {"$exists": true}}, "sort": [{"field": "dept", "direction": -1}, {"field": "age", "direction": 1}]})
        )
        .await,
        ["bob", "carol", "alice", "alan"]
    );

    let page = |limit: i64, offset: i64| json!({"filter_conditions": {}, "sort": [{"field": "name", "direction": 1}], "limit": limit, "offset": offset});
    assert_eq!(query_ids(&admin, page(2, 0)).await, ["alan", "alice"]);
    assert_eq!(query_ids(&admin, page(2, 2)).await, ["bob", "carol"]);
    assert_eq!(query_ids(&admin, page(2, 4)).await, ["dave"]);
    assert_eq!(query_ids(&admin, page(2, 6)).await, Vec::<String>::new());

    let negative = query(&admin, json!({"filter_conditions": {}, "offset": -1})).await;
    assert_error(&negative, 400, 4, "QueryUsers", "offset");
    let bad_sort = query(&admin, json!({"filter_conditions": {}, "sort": [{"field": "name", "direction": 2}]})).await;
    assert_error(&bad_sort, 400, 4, "QueryUsers", "name");
}

#[tokio::test]
async fn deactivate_reactivate_and_delete_are_server_only() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    let admin = server.server_client();
    let bob = server.user_client("bob");

    for path in ["/users/alice/deactivate", "/users/alice/reactivate"] {
        let response = call(&bob, Method::POST, path, Some(json!({}))).await;
        let operation = if path.ends_with("deactivate") { "DeactivateUser" } else { "ReactivateUser" };
        assert_error(&response, 403, 17, operation, "server");
    }
    let refused = call(&bob, Method::DELETE, "/users/alice", None).await;
    assert_error(&refused, 403, 17, "DeleteUser", "server");
    // Not even themselves.
    let own = call(&bob, Method::POST, "/users/bob/deactivate", Some(json!({}))).await;
    assert_eq!(own.status, 403, "{}", own.body);

    let all = json!({"filter_conditions": {}, "sort": [{"field": "id"}]});
    assert_eq!(query_ids(&admin, all.clone()).await, ["alice", "bob", "carol"]);

    let deactivated = call(&admin, Method::POST, "/users/alice/deactivate", Some(json!({}))).await;
    assert_eq!(deactivated.status, 201, "{}", deactivated.body);
    assert_eq!(deactivated.body["user"]["id"], "alice");
    assert!(deactivated.body["user"]["deactivated_at"].is_string(), "{}", deactivated.body);
    assert_schema("UserResponse", &deactivated.body["user"]);

    assert_eq!(query_ids(&admin, all.clone()).await, ["bob", "carol"]);
    assert_eq!(
        query_ids(
            &admin,
            json!({"filter_conditions": {}, "sort": [{"field": "id"}], "include_deactivated_users": true})
        )
        .await,
        ["alice", "bob", "carol"]
    );
    match rill_client::Socket::connect(
        &server.base_url,
        &server.app.api_key,
        &server.token("alice"),
        "alice",
        &json!({"id": "alice"}),
    )
    .await
    {
        Err(SocketError::Refused(frame)) => {
            assert_eq!(frame["type"], "connection.error", "{frame}");
            assert_eq!(frame["error"]["code"], 17, "{frame}");
        }
        Err(other) => panic!("expected a connection.error frame, got {other}"),
        Ok(_) => panic!("a deactivated user connected"),
    }

    let reactivated = call(&admin, Method::POST, "/users/alice/reactivate", Some(json!({}))).await;
    assert_eq!(reactivated.status, 201, "{}", reactivated.body);
    assert!(reactivated.body["user"].get("deactivated_at").is_none_or(Value::is_null), "{}", reactivated.body);
    assert_eq!(query_ids(&admin, all.clone()).await, ["alice", "bob", "carol"]);
    let socket = server.connect("alice").await;
    assert_eq!(socket.me["id"], "alice");

    let deleted = call(&admin, Method::DELETE, "/users/carol", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.body["user"]["deleted_at"].is_string(), "{}", deleted.body);
    assert_eq!(query_ids(&admin, all).await, ["alice", "bob"]);
    assert_eq!(
        query_ids(&admin, json!({"filter_conditions": {"id": "carol"}, "include_deactivated_users": true})).await,
        Vec::<String>::new()
    );

    let missing = call(&admin, Method::POST, "/users/nobody/deactivate", Some(json!({}))).await;
    assert_error(&missing, 404, 16, "DeactivateUser", "nobody");
}

#[tokio::test]
async fn users_persist_across_restart() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    upsert(
        &admin,
        json!([
            {"id": "alice", "name": "Alice", "role": "admin", "teams": ["red", "blue"], "address": {"city": "Oslo"}},
            {"id": "bob", "name": "Bob", "level": 7},
        ]),
    )
    .await;
    patch(&admin, json!([{"id": "alice", "set": {"address.zip": "0150"}}])).await;
    call(&admin, Method::POST, "/users/bob/deactivate", Some(json!({}))).await;
    let before =
        query(&admin, json!({"filter_conditions": {}, "sort": [{"field": "id"}], "include_deactivated_users": true}))
            .await
            .body;

    let server = server.restart().await;
    let admin = server.server_client();
    let after =
        query(&admin, json!({"filter_conditions": {}, "sort": [{"field": "id"}], "include_deactivated_users": true}))
            .await
            .body;
    assert_eq!(after["users"], before["users"]);
    let alice = &after["users"][0];
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["teams"], json!(["red", "blue"]));
    assert_eq!(alice["address"], json!({"city": "Oslo", "zip": "0150"}));
    assert_eq!(after["users"][1]["level"], 7);
    assert!(after["users"][1]["deactivated_at"].is_string());
    assert_eq!(query_ids(&admin, json!({"filter_conditions": {}})).await, ["alice"]);
}

#[tokio::test]
async fn partial_update_rejects_built_in_fields() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let admin = server.server_client();
    for field in ["total_unread_count", "devices", "shadow_banned", "unread_channels", "mutes", "deleted_at", "online"]
    {
        let response = patch(&admin, json!([{"id": "alice", "set": {field: 1}}])).await;
        assert_error(&response, 400, 4, "UpdateUsersPartial", field);
    }
    let nested = patch(&admin, json!([{"id": "alice", "set": {"devices.x": 1}}])).await;
    assert_error(&nested, 400, 4, "UpdateUsersPartial", "devices");
    let unset = patch(&admin, json!([{"id": "alice", "unset": ["created_at"]}])).await;
    assert_error(&unset, 400, 4, "UpdateUsersPartial", "created_at");

    let stored = query(&admin, json!({"filter_conditions": {"id": "alice"}})).await.body;
    let alice = &stored["users"][0];
    assert_schema("FullUserResponse", alice);
    assert_eq!(alice["total_unread_count"], 0, "{alice}");
    assert_eq!(alice["devices"], json!([]), "{alice}");
}

#[tokio::test]
async fn deactivated_and_deleted_users_cannot_act_and_unknown_users_are_created() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let admin = server.server_client();

    // A deactivated user's still-valid token is refused on REST, and works again after reactivation.
    let deactivated = call(&admin, Method::POST, "/users/bob/deactivate", Some(json!({}))).await;
    assert_eq!(deactivated.status, 201, "{}", deactivated.body);
    let bob = server.user_client("bob");
    let refused =
        call(&bob, Method::POST, "/channels/team/general/message", Some(json!({"message": {"text": "hi"}}))).await;
    assert_eq!((refused.status, refused.body["code"].as_i64()), (403, Some(17)), "{}", refused.body);
    assert!(refused.body["message"].as_str().unwrap().contains("deactivated"), "{}", refused.body);
    call(&admin, Method::POST, "/users/bob/reactivate", Some(json!({}))).await;
    let sent =
        call(&bob, Method::POST, "/channels/team/general/message", Some(json!({"message": {"text": "back"}}))).await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    // A soft-deleted user can neither use REST nor connect.
    let deleted = call(&admin, Method::DELETE, "/users/carol", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let refused = call(&server.user_client("carol"), Method::POST, "/channels", Some(json!({}))).await;
    assert_eq!((refused.status, refused.body["code"].as_i64()), (403, Some(17)), "{}", refused.body);
    let token = server.token("carol");
    match rill_client::Socket::connect(&server.base_url, &server.app.api_key, &token, "carol", &json!({"id": "carol"}))
        .await
    {
        Err(SocketError::Refused(frame)) => assert_eq!(frame["error"]["code"], 17, "{frame}"),
        Err(other) => panic!("expected a connection.error frame, got {other}"),
        Ok(_) => panic!("a deleted user connected"),
    }

    // A valid token of a user the app has never seen creates the user, who then owns what they create.
    let dave = server.user_client("dave");
    let created = call(
        &dave,
        Method::POST,
        "/channels/messaging/dave-room/query",
        Some(json!({"data": {"members": ["dave", "alice"]}})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["channel"]["created_by"]["id"], "dave");
    assert_eq!(created.body["channel"]["created_by"]["role"], "user");
    assert!(created.body["channel"]["created_by"].get("deleted_at").is_none(), "{}", created.body);
    let found = query_ids(&admin, json!({"filter_conditions": {"id": "dave"}})).await;
    assert_eq!(found, ["dave"]);
}

#[tokio::test]
async fn teams_role_is_set_server_side_only() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let created = upsert(&admin, json!([{"id": "erin", "teams": ["red"], "teams_role": {"red": "admin"}}])).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["users"]["erin"]["teams_role"], json!({"red": "admin"}));
    let invalid = upsert(&admin, json!([{"id": "erin", "teams_role": ["red"]}])).await;
    assert_eq!((invalid.status, invalid.body["code"].as_i64()), (400, Some(4)), "{}", invalid.body);

    let erin = server.user_client("erin");
    let own = upsert(&erin, json!([{"id": "erin", "teams_role": {"red": "owner"}, "name": "Erin"}])).await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert_eq!(own.body["users"]["erin"]["teams_role"], json!({"red": "admin"}), "a user keeps the server's roles");
    let patched = patch(&erin, json!([{"id": "erin", "set": {"teams_role": {"red": "owner"}}}])).await;
    assert_eq!((patched.status, patched.body["code"].as_i64()), (403, Some(17)), "{}", patched.body);
}

/// Whether the stored message is there, and its type.
async fn stored_type(server: &TestServer, message_id: &str) -> Option<String> {
    let (app_id, id) = (server.app.id, message_id.to_owned());
    let message = server.state.store().read(id, move |tx, id| tx.message(app_id, id)).await.expect("read");
    message.map(|message| message.message_type)
}

/// Waits until a predicate over the store holds (the purge runs in the background).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

/// `mark_messages_deleted` deletes a user's messages after the request, in batches: marked deleted by default
/// (their threads counting a deleted reply), removed with `hard_delete`; nobody else's messages change.
#[tokio::test]
async fn a_deleted_users_messages_are_deleted_in_the_background() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let many = |who: &str| (0..250).map(|index| (format!("{who}{index}"), format!("{who} says {index}"))).collect();
    server.insert_messages_directly("team:general", "bob", many("bob")).await;
    server.insert_messages_directly("team:general", "carol", many("carol")).await;
    let alice = server.user_client("alice");
    let thread = alice.send_message("team", "general", &json!({"text": "a thread"})).await.unwrap();
    let thread_id = thread.id.clone();
    let reply = json!({"text": "bob replies", "parent_id": thread_id});
    let reply = server.user_client("bob").send_message("team", "general", &reply).await.unwrap();
    let reply_id = reply.id.clone();
    let admin = server.server_client();

    let deleted = call(&admin, Method::DELETE, "/users/bob?mark_messages_deleted=true", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    eventually("bob's messages marked deleted", || async {
        stored_type(&server, "bob249").await.as_deref() == Some("deleted")
            && stored_type(&server, &reply_id).await.as_deref() == Some("deleted")
    })
    .await;
    assert_eq!(stored_type(&server, "bob0").await.as_deref(), Some("deleted"));
    assert_eq!(stored_type(&server, "carol0").await.as_deref(), Some("regular"), "others' messages stay");
    let (app_id, parent) = (server.app.id, thread_id.clone());
    let counts = |server: &TestServer| {
        let parent = parent.clone();
        let store = server.state.store().clone();
        async move {
            let message = store.read(parent, move |tx, id| tx.message(app_id, id)).await.unwrap().unwrap();
            (message.message_type, message.reply_count, message.deleted_reply_count)
        }
    };
    assert_eq!(counts(&server).await, ("regular".to_owned(), 1, 1), "the thread counts a deleted reply");

    let deleted = call(&admin, Method::DELETE, "/users/bob?mark_messages_deleted=true&hard_delete=true", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let gone = call(&admin, Method::DELETE, "/users/carol?mark_messages_deleted=true&hard_delete=true", None).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    eventually("bob's and carol's messages removed", || async {
        stored_type(&server, "bob249").await.is_none()
            && stored_type(&server, "carol249").await.is_none()
            && stored_type(&server, &reply_id).await.is_none()
    })
    .await;
    assert_eq!(stored_type(&server, "carol0").await, None);
    assert_eq!(counts(&server).await, ("regular".to_owned(), 0, 0), "and the thread counts no reply");
    assert_eq!(stored_type(&server, &thread_id).await.as_deref(), Some("regular"), "alice's message stays");

    // A purge the store recorded but no task ran (a crash) resumes when the server starts again.
    server.insert_messages_directly("team:general", "dave", many("dave")).await;
    let at = chrono::Utc::now();
    server.state.store().write((), move |tx, ()| tx.schedule_user_purge(app_id, "dave", true, at)).await.unwrap();
    let server = server.restart().await;
    eventually("dave's messages removed after a restart", || async {
        stored_type(&server, "dave0").await.is_none() && stored_type(&server, "dave249").await.is_none()
    })
    .await;
}

/// Muting: a user mutes others, for a while or until they unmute; `me.mutes` is real on connecting and in
/// `notification.mutes_updated`; unknown targets are reported; expired mutes are gone; self-mutes, too many
/// targets and bad timeouts are refused.
#[tokio::test]
async fn users_mute_and_unmute_others() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    let alice = server.user_client("alice");
    let mut socket = server.connect("alice").await;
    assert_eq!(socket.me["mutes"], json!([]));

    let muted =
        call(&alice, Method::POST, "/moderation/mute", Some(json!({"target_ids": ["bob", "ghost"], "timeout": 60})));
    let muted = muted.await;
    assert_eq!(muted.status, 201, "{}", muted.body);
    assert_schema("MuteUserResponse", &muted.body);
    assert_eq!(muted.body["mute"]["user"]["id"], "alice");
    assert_eq!(muted.body["mute"]["target"]["id"], "bob");
    assert!(muted.body["mute"]["expires"].is_string(), "{}", muted.body);
    assert_eq!(muted.body["non_existing_users"], json!(["ghost"]));
    assert_eq!(muted.body["own_user"]["mutes"].as_array().unwrap().len(), 1);
    let event = socket.wait_for_type("notification.mutes_updated").await.expect("the muter is told");
    assert_schema("NotificationMutesUpdatedEvent", &event);
    assert_eq!(event["me"]["mutes"][0]["target"]["id"], "bob");

    let forever = call(&alice, Method::POST, "/moderation/mute", Some(json!({"target_id": "carol"}))).await;
    assert_eq!(forever.status, 201, "{}", forever.body);
    assert!(forever.body["mute"].get("expires").is_none(), "no timeout, no expiry: {}", forever.body);
    // A mute that has run out is no mute.
    let (app_id, past) = (server.app.id, chrono::Utc::now() - chrono::Duration::minutes(1));
    let expired = rill_core::model::UserMute {
        user_id: "alice".into(),
        target_id: "dave".into(),
        created_at: past - chrono::Duration::hours(1),
        updated_at: past - chrono::Duration::hours(1),
        expires: Some(past),
    };
    server.state.store().write(expired, move |tx, mute| tx.put_user_mute(app_id, mute)).await.unwrap();
    let again = server.connect("alice").await;
    let targets: Vec<&str> =
        again.me["mutes"].as_array().unwrap().iter().map(|mute| mute["target"]["id"].as_str().unwrap()).collect();
    assert_eq!(targets, ["bob", "carol"]);

    let unmuted = call(&alice, Method::POST, "/moderation/unmute", Some(json!({"target_ids": ["bob"]}))).await;
    assert_eq!(unmuted.status, 201, "{}", unmuted.body);
    assert_schema("UnmuteUserResponse", &unmuted.body);
    let event = socket.wait_for(std::time::Duration::from_secs(5), |event| {
        event["type"] == "notification.mutes_updated" && event["me"]["mutes"].as_array().is_some_and(|m| m.len() == 1)
    });
    let event = event.await.expect("told again");
    assert_eq!(event["me"]["mutes"][0]["target"]["id"], "carol");

    let too_many: Vec<String> = (0..101).map(|index| format!("u{index}")).collect();
    for (body, needle) in [
        (json!({"target_ids": ["alice"]}), "themselves"),
        (json!({"target_ids": too_many}), "100"),
        (json!({"target_ids": []}), "100"),
        (json!({"target_ids": ["bob"], "timeout": -1}), "timeout"),
        (json!({"target_ids": ["bob"], "timeout": 600_000}), "timeout"),
    ] {
        let refused = call(&alice, Method::POST, "/moderation/mute", Some(body.clone())).await;
        assert_error(&refused, 400, 4, "MuteUser", needle);
    }
    let admin = server.server_client();
    let no_muter = call(&admin, Method::POST, "/moderation/mute", Some(json!({"target_ids": ["bob"]}))).await;
    assert_error(&no_muter, 400, 4, "MuteUser", "user");
}

/// A user deleted for good leaves every channel they were in, each counting one member fewer; others stay.
#[tokio::test]
async fn a_hard_deleted_user_leaves_every_channel() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    for (channel, members) in [("a", vec!["alice", "bob"]), ("b", vec!["bob", "alice"]), ("c", vec!["alice"])] {
        server.team_channel(channel, &members).await;
    }
    let deleted = call(&server.server_client(), Method::DELETE, "/users/bob?hard_delete=true", None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let app_id = server.app.id;
    for cid in ["team:a", "team:b", "team:c"] {
        let (members, channel) = server
            .state
            .store()
            .read(cid.to_owned(), move |tx, cid| {
                Box::pin(async move { Ok((tx.member_ids(app_id, cid).await?, tx.channel(app_id, cid).await?)) })
            })
            .await
            .unwrap();
        let ids: Vec<String> = members.into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["alice"], "{cid}");
        assert_eq!(channel.unwrap().member_count, 1, "{cid} counts one member");
    }
}
