//! Push devices: a user registers, lists and removes their own; a server names the user; `me.devices` shows
//! them on connecting; bad tokens and providers are refused; a user keeps at most 25.

use crate::support::{assert_error, call, ok};
use reqwest::Method;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};

async fn list(client: &rill_client::Client, query: &[(&str, &str)]) -> Vec<Value> {
    let response = client.raw(Method::GET, "/devices", query, None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("ListDevicesResponse", &response.body);
    response.body["devices"].as_array().unwrap().clone()
}

fn ids(devices: &[Value]) -> Vec<&str> {
    devices.iter().map(|device| device["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn users_register_list_and_remove_their_own_devices() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let (alice, bob, admin) = (server.user_client("alice"), server.user_client("bob"), server.server_client());

    ok(&alice, Method::POST, "/devices", json!({"id": "fcm-alice", "push_provider": "firebase"})).await;
    let apn = json!({"id": "apn-alice", "push_provider": "apn", "push_provider_name": "prod", "voip_token": true});
    ok(&alice, Method::POST, "/devices", apn).await;
    // A user token names its own user: `user_id` in the body is not a way to act for someone else.
    ok(&alice, Method::POST, "/devices", json!({"id": "fcm-2", "push_provider": "firebase", "user_id": "bob"})).await;
    assert!(list(&bob, &[]).await.is_empty(), "bob has no devices");

    let devices = list(&alice, &[]).await;
    assert_eq!(ids(&devices), ["fcm-alice", "apn-alice", "fcm-2"]);
    assert_eq!(devices[1]["push_provider"], "apn");
    assert_eq!(devices[1]["push_provider_name"], "prod");
    assert_eq!(devices[1]["voip"], true);
    assert_eq!(devices[1]["user_id"], "alice");
    assert_eq!(devices[0]["disabled"], false);

    // A server names the user, and must.
    ok(&admin, Method::POST, "/devices", json!({"id": "fcm-bob", "push_provider": "firebase", "user_id": "bob"})).await;
    assert_eq!(ids(&list(&admin, &[("user_id", "bob")]).await), ["fcm-bob"]);
    let anonymous = call(&admin, Method::POST, "/devices", json!({"id": "x", "push_provider": "firebase"})).await;
    assert!(assert_error(&anonymous, 400, 4).contains("user_id"));
    assert_error(&admin.raw(Method::GET, "/devices", &[], None).await.unwrap(), 400, 4);

    // The same phone signs in as bob: the token is his now.
    ok(&bob, Method::POST, "/devices", json!({"id": "fcm-alice", "push_provider": "firebase"})).await;
    assert_eq!(ids(&list(&alice, &[]).await), ["apn-alice", "fcm-2"]);

    // Removing: one's own only.
    let theirs = alice.raw(Method::DELETE, "/devices", &[("id", "fcm-bob")], None).await.unwrap();
    assert_error(&theirs, 404, 16);
    let alice_as_server = admin.raw(Method::DELETE, "/devices", &[("id", "fcm-2"), ("user_id", "alice")], None);
    assert_eq!(alice_as_server.await.unwrap().status, 200);
    let own = alice.raw(Method::DELETE, "/devices", &[("id", "apn-alice")], None).await.unwrap();
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(list(&alice, &[]).await.is_empty());
    assert_error(&alice.raw(Method::DELETE, "/devices", &[], None).await.unwrap(), 400, 4);
    assert_eq!(ids(&list(&bob, &[]).await), ["fcm-bob", "fcm-alice"]);
}

#[tokio::test]
async fn me_shows_the_users_devices_on_connecting() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let alice = server.user_client("alice");
    assert_eq!(server.connect("alice").await.me["devices"], json!([]));
    ok(&alice, Method::POST, "/devices", json!({"id": "fcm-alice", "push_provider": "firebase"})).await;
    let socket = server.connect("alice").await;
    let devices = socket.me["devices"].as_array().unwrap();
    assert_eq!(ids(devices), ["fcm-alice"]);
    assert_schema("DeviceResponse", &devices[0]);
}

#[tokio::test]
async fn bad_devices_are_refused_and_a_user_keeps_at_most_25() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let alice = server.user_client("alice");
    let refused = [
        (json!({"id": "", "push_provider": "firebase"}), "id"),
        (json!({"id": "a".repeat(256), "push_provider": "firebase"}), "255"),
        (json!({"id": "tok\nen", "push_provider": "firebase"}), "id"),
        (json!({"id": "token", "push_provider": "pigeon"}), "firebase or apn"),
        (json!({"id": "token", "push_provider": "huawei"}), "not served"),
        (json!({"id": "token"}), "push_provider"),
        (json!({"id": "token", "push_provider": "apn", "push_provider_name": "n".repeat(37)}), "push_provider_name"),
        (json!({"id": 7, "push_provider": "apn"}), "id"),
    ];
    for (body, needle) in refused {
        let response = call(&alice, Method::POST, "/devices", body.clone()).await;
        let message = assert_error(&response, 400, 4);
        assert!(message.contains(needle), "{body}: {message}");
    }
    assert!(list(&alice, &[]).await.is_empty(), "nothing refused was kept");

    for number in 0..27 {
        let device = json!({"id": format!("token-{number:02}"), "push_provider": "firebase"});
        ok(&alice, Method::POST, "/devices", device).await;
    }
    let devices = list(&alice, &[]).await;
    assert_eq!(devices.len(), 25);
    assert_eq!(devices[0]["id"], "token-02", "the oldest two went");
    assert_eq!(devices[24]["id"], "token-26");
}

/// `/connect` with a `device` registers it for the connecting user; a bad one refuses the connection, saying why.
#[tokio::test]
async fn connecting_with_a_device_registers_it() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let first_frame = |device: Value| {
        let json = json!({"user_id": "alice", "user_details": {"id": "alice"}, "device": device});
        let mut url = reqwest::Url::parse(&format!("{}/connect", server.base_url.replacen("http", "ws", 1))).unwrap();
        url.query_pairs_mut()
            .append_pair("json", &json.to_string())
            .append_pair("api_key", &server.app.api_key)
            .append_pair("authorization", &server.token("alice"))
            .append_pair("stream-auth-type", "jwt");
        async move {
            let mut socket = rill_client::Socket::open(url.as_str()).await.unwrap();
            socket.next_frame(std::time::Duration::from_secs(5)).await.unwrap().expect("a first frame")
        }
    };
    let hello = first_frame(json!({"id": "fcm-on-connect", "push_provider": "firebase"})).await;
    assert_eq!(hello["type"], "health.check", "{hello}");
    assert_eq!(ids(hello["me"]["devices"].as_array().unwrap()), ["fcm-on-connect"]);
    assert_eq!(ids(&list(&server.user_client("alice"), &[]).await), ["fcm-on-connect"]);

    let refused = first_frame(json!({"id": "x", "push_provider": "pigeon"})).await;
    assert_eq!(refused["type"], "connection.error", "{refused}");
    assert_eq!(refused["error"]["code"], 4);
    assert!(refused["error"]["message"].as_str().unwrap().contains("push_provider"), "{refused}");
}
