//! Guest users (`POST /guest`): who may make them, what they get, and what they may not.

use crate::support::{assert_error, ok};
use reqwest::Method;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::json;

/// `POST /guest`: with the API key alone, a new user of role `guest` and a token that works; never a token for
/// an existing user, never a privileged field from the client; off when the app disables guests; counted per
/// address.
#[tokio::test]
async fn guests_get_a_user_and_a_token_of_their_own() {
    let config = rill_server::app::GatewayConfig {
        http: rill_server::app::HttpConfig { unauthenticated_per_minute: 6, ..Default::default() },
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    server.create_users(&["alice"]).await;
    let anonymous = rill_client::Client::with_token(&server.base_url, &server.app.api_key, None);
    let body =
        json!({"user": {"id": "visitor", "name": "Visitor", "role": "admin", "teams": ["red"], "mood": "curious"}});
    let created = anonymous.raw(Method::POST, "/guest", &[], Some(&body)).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    assert_schema("CreateGuestResponse", &created.body);
    assert_eq!(created.body["user"]["role"], "guest", "a client cannot choose its role");
    assert_eq!(created.body["user"]["teams"], json!([]));
    assert_eq!(created.body["user"]["mood"], "curious");
    let token = created.body["access_token"].as_str().unwrap().to_owned();
    let guest = rill_client::Client::with_token(&server.base_url, &server.app.api_key, Some(token.clone()));
    let me = guest.raw(Method::GET, "/users", &[("payload", r#"{"filter_conditions": {"id": "visitor"}}"#)], None);
    let me = me.await.unwrap();
    assert_eq!(me.status, 200, "the guest's token works: {}", me.body);
    let details = json!({"id": "visitor"});
    let socket = rill_client::Socket::connect(&server.base_url, &server.app.api_key, &token, "visitor", &details);
    assert_eq!(socket.await.unwrap().me["role"], "guest");
    let channel = json!({"data": {"members": ["visitor", "alice"]}});
    let refused = guest.raw(Method::POST, "/channels/messaging/lobby/query", &[], Some(&channel)).await.unwrap();
    assert_error(&refused, 403, 17);

    for id in ["alice", "visitor"] {
        let taken = anonymous.raw(Method::POST, "/guest", &[], Some(&json!({"user": {"id": id}}))).await.unwrap();
        assert!(assert_error(&taken, 400, 4).contains("already exists"), "no token for an existing user");
    }
    let nameless = anonymous.raw(Method::POST, "/guest", &[], Some(&json!({"user": {}}))).await.unwrap();
    assert_error(&nameless, 400, 4);
    let wrong_key = rill_client::Client::with_token(&server.base_url, "nope", None);
    assert_error(
        &wrong_key.raw(Method::POST, "/guest", &[], Some(&json!({"user": {"id": "x"}}))).await.unwrap(),
        401,
        2,
    );

    ok(&server.server_client(), Method::PATCH, "/app", json!({"guest_user_creation_disabled": true})).await;
    let off = anonymous.raw(Method::POST, "/guest", &[], Some(&json!({"user": {"id": "late"}}))).await.unwrap();
    assert_error(&off, 403, 17);
    // Six requests from this address so far: the seventh is over its window.
    let limited = anonymous.raw(Method::POST, "/guest", &[], Some(&json!({"user": {"id": "later"}}))).await.unwrap();
    assert_error(&limited, 429, 9);
}
