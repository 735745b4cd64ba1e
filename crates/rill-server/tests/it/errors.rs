//! The error format: every non-2xx answer is an `APIError` with the operation's name, the HTTP status repeated in
//! `StatusCode`, a duration and `more_info`; bad input (syntax, field types, size, routes, ids, text length) gets
//! the right code; and a failing request changes nothing.

use reqwest::Method;
use rill_client::RawResponse;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};

/// Checks everything an error response must have and returns the detail inside `<operation> failed with error:
/// "<detail>"`.
pub(crate) fn assert_api_error(response: &RawResponse, status: u16, code: i64, operation: &str) -> String {
    let body = &response.body;
    assert_eq!(response.status, status, "HTTP status; body: {body}");
    assert_eq!(body["code"], code, "Stream code; body: {body}");
    assert_schema("APIError", body);
    assert_eq!(body["StatusCode"], status, "StatusCode must equal the HTTP status: {body}");
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "content-type {content_type:?}");

    let message = body["message"].as_str().unwrap_or_default();
    let prefix = format!("{operation} failed with error: \"");
    assert!(message.starts_with(&prefix) && message.ends_with('"'), "message {message:?} should be {prefix}...\"");
    let detail = &message[prefix.len()..message.len() - 1];
    assert!(!detail.is_empty(), "empty detail in {message:?}");

    let duration = body["duration"].as_str().unwrap_or_default();
    let millis = duration.strip_suffix("ms").unwrap_or_else(|| panic!("duration {duration:?} does not end in ms"));
    let (whole, fraction) = millis.split_once('.').unwrap_or_else(|| panic!("duration {duration:?} has no decimals"));
    assert!(
        !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && fraction.len() == 2,
        "duration {duration:?} should look like 1.23ms"
    );
    assert!(body["more_info"].as_str().is_some_and(|url| !url.is_empty()), "more_info: {body}");
    assert!(body["details"].is_array(), "details: {body}");
    detail.to_owned()
}

/// Sends arbitrary bytes with the given headers (the typed client always sends valid JSON).
pub(crate) async fn send_bytes(
    server: &TestServer,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> RawResponse {
    let mut request = reqwest::Client::new().request(method, format!("{}{path_and_query}", server.base_url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body).send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: body is not JSON: {:?}", String::from_utf8_lossy(&bytes)));
    RawResponse { status, headers, body }
}

fn server_token(server: &TestServer) -> String {
    rill_client::token::server_token(&server.app.api_secret)
}

/// Sends `body` as the server to `path` on this app.
async fn send_server_bytes(server: &TestServer, method: Method, path: &str, body: Vec<u8>) -> RawResponse {
    let token = server_token(server);
    let path = format!("{path}?api_key={}", server.app.api_key);
    let headers =
        [("authorization", token.as_str()), ("stream-auth-type", "jwt"), ("content-type", "application/json")];
    send_bytes(server, method, &path, &headers, body).await
}

/// The texts of a channel's messages, as the server sees them.
async fn channel_texts(server: &TestServer, channel_id: &str) -> Vec<String> {
    let state = server
        .server_client()
        .raw(Method::POST, &format!("/channels/team/{channel_id}/query"), &[], Some(&json!({"state": true})))
        .await
        .unwrap();
    assert_eq!(state.status, 201, "{}", state.body);
    assert_schema("ChannelStateResponse", &state.body);
    state.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The ids of the users a server-side query for `ids` finds.
pub(crate) async fn existing_users(client: &rill_client::Client, ids: &[&str]) -> Vec<String> {
    let payload = json!({"filter_conditions": {"id": {"$in": ids}}}).to_string();
    let response = client.raw(Method::GET, "/users", &[("payload", &payload)], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    response.body["users"].as_array().unwrap().iter().map(|user| user["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn malformed_json_is_an_input_error() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    server.team_channel("general", &["alice"]).await;
    let path = "/channels/team/general/message";

    for body in [&br#"{"message": {"text": "hi""#[..], b"{not json}", br#"{"message": {"text": "hi"}} trailing"#] {
        let response = send_server_bytes(&server, Method::POST, path, body.to_vec()).await;
        let detail = assert_api_error(&response, 400, 4, "SendMessage");
        assert!(detail.starts_with("invalid JSON body"), "{detail}");
    }
    // Valid JSON that is not an object (even one that lines up with the request's fields), and an object without
    // the required `message`.
    for body in [&br#"[{"text": "positional", "user_id": "alice"}]"#[..], b"[1, 2]", b"\"text\"", b"null"] {
        let response = send_server_bytes(&server, Method::POST, path, body.to_vec()).await;
        let detail = assert_api_error(&response, 400, 4, "SendMessage");
        assert!(detail.contains("object"), "{detail}");
    }
    let response = send_server_bytes(&server, Method::POST, path, b"{}".to_vec()).await;
    let detail = assert_api_error(&response, 400, 4, "SendMessage");
    assert!(detail.contains("message"), "{detail}");

    assert!(channel_texts(&server, "general").await.is_empty(), "a rejected body must not create a message");
}

#[tokio::test]
async fn wrong_field_types_name_the_field() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    server.team_channel("general", &["alice"]).await;
    let client = server.server_client();

    let response = client
        .raw(
            Method::POST,
            "/channels/team/general/message",
            &[],
            Some(&json!({"message": {"text": 5, "user_id": "alice"}})),
        )
        .await
        .unwrap();
    let detail = assert_api_error(&response, 400, 4, "SendMessage");
    assert!(detail.contains("message.text"), "{detail}");

    let response = client
        .raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"state": "yes", "watch": false})))
        .await
        .unwrap();
    let detail = assert_api_error(&response, 400, 4, "GetOrCreateChannel");
    assert!(detail.contains("state"), "{detail}");

    let response = client
        .raw(Method::POST, "/users", &[], Some(&json!({"users": {"bob": {"id": "bob", "name": 5}}})))
        .await
        .unwrap();
    let detail = assert_api_error(&response, 400, 4, "UpdateUsers");
    assert!(detail.contains("name"), "{detail}");
    assert!(existing_users(&client, &["bob"]).await.is_empty(), "a rejected upsert must not create the user");

    let response = client.raw(Method::PATCH, "/app", &[], Some(&json!({"disable_auth_checks": "yes"}))).await.unwrap();
    let detail = assert_api_error(&response, 400, 4, "UpdateApp");
    assert!(detail.contains("disable_auth_checks"), "{detail}");
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    server.team_channel("general", &["alice"]).await;
    let path = "/channels/team/general/message";
    let limit = 1024 * 1024;

    // Exactly 1 MiB is accepted: the JSON is padded with whitespace.
    let mut body = br#"{"message": {"text": "fits", "user_id": "alice"}}"#.to_vec();
    body.resize(limit, b' ');
    let response = send_server_bytes(&server, Method::POST, path, body).await;
    assert_eq!(response.status, 201, "{}", response.body);

    // One byte more is refused before anything is parsed or stored.
    let mut body = br#"{"message": {"text": "too big", "user_id": "alice"}}"#.to_vec();
    body.resize(limit + 1, b' ');
    let response = send_server_bytes(&server, Method::POST, path, body).await;
    assert_api_error(&response, 413, 22, "SendMessage");

    // Far larger bodies get the same answer (not a dropped connection).
    let mut body = br#"{"message": {"text": "much too big", "user_id": "alice"}}"#.to_vec();
    body.resize(8 * limit, b' ');
    let response = send_server_bytes(&server, Method::POST, path, body).await;
    assert_api_error(&response, 413, 22, "SendMessage");

    assert_eq!(channel_texts(&server, "general").await, vec!["fits".to_owned()]);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_404_request() {
    let server = TestServer::start().await;
    let client = server.server_client();
    for (method, path) in [
        (Method::GET, "/no/such/route"),
        (Method::POST, "/channels/team/general/nonsense"),
        (Method::DELETE, "/app"),
        (Method::GET, "/channels"),
        (Method::PUT, "/users"),
    ] {
        let response = client.raw(method.clone(), path, &[], None).await.unwrap();
        let detail = assert_api_error(&response, 404, 16, "Request");
        assert!(detail.contains(path), "{method} {path}: {detail}");
    }
    // Even without any credentials the answer is the same envelope.
    let response = send_bytes(&server, Method::GET, "/no/such/route", &[], Vec::new()).await;
    assert_api_error(&response, 404, 16, "Request");
}

#[tokio::test]
async fn reserved_channel_ids_and_invalid_user_ids_are_rejected() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let client = server.server_client();

    let body = json!({"data": {"created_by_id": "alice", "members": ["alice"]}});
    let response = client.raw(Method::POST, "/channels/team/bad!id/query", &[], Some(&body)).await.unwrap();
    let detail = assert_api_error(&response, 400, 4, "GetOrCreateChannel");
    assert!(detail.contains('!'), "{detail}");
    let channels = client.query_channels(&json!({"filter_conditions": {}})).await.unwrap();
    assert!(channels.channels.is_empty(), "no channel may be created: {:?}", channels.channels.len());

    let too_long = "c".repeat(65);
    let response =
        client.raw(Method::POST, &format!("/channels/team/{too_long}/query"), &[], Some(&body)).await.unwrap();
    assert_api_error(&response, 400, 4, "GetOrCreateChannel");

    for bad in ["has space", "semi;colon", "slash/ed", ""] {
        let response =
            client.raw(Method::POST, "/users", &[], Some(&json!({"users": {bad: {"id": bad}}}))).await.unwrap();
        let detail = assert_api_error(&response, 400, 4, "UpdateUsers");
        assert!(detail.contains("invalid"), "{bad:?}: {detail}");
    }
    assert!(existing_users(&client, &["has space", "semi;colon"]).await.is_empty());
}

#[tokio::test]
async fn a_failing_batch_writes_nothing() {
    let server = TestServer::start().await;
    let client = server.server_client();
    // The valid user comes first, so it is processed before the invalid one fails the request.
    let users = json!({"users": {"aaron": {"id": "aaron", "name": "Aaron"}, "bad id": {"id": "bad id"}}});
    let response = client.raw(Method::POST, "/users", &[], Some(&users)).await.unwrap();
    assert_api_error(&response, 400, 4, "UpdateUsers");
    assert!(existing_users(&client, &["aaron"]).await.is_empty(), "the whole batch must be rolled back");
}

#[tokio::test]
async fn watching_with_a_foreign_connection_creates_no_channel() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let bob_socket = server.connect("bob").await;
    let body = json!({"watch": true, "data": {"members": ["alice"]}});
    for connection_id in ["no-such-connection", bob_socket.connection_id.as_str()] {
        let alice = server.user_client("alice").on_connection(connection_id);
        let response = alice.raw(Method::POST, "/channels/team/fresh/query", &[], Some(&body)).await.unwrap();
        let detail = assert_api_error(&response, 400, 4, "GetOrCreateChannel");
        assert!(detail.contains(connection_id), "{detail}");
    }
    let channels = server.server_client().query_channels(&json!({"filter_conditions": {}})).await.unwrap();
    assert!(channels.channels.is_empty(), "a refused query must not create the channel");
}

#[tokio::test]
async fn text_over_5000_characters_is_code_20_and_not_stored() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let mut bob = server.connect("bob").await;
    let watch = json!({"watch": true});
    let response = server
        .user_client("bob")
        .on_connection(&bob.connection_id)
        .raw(Method::POST, "/channels/team/general/query", &[], Some(&watch))
        .await
        .unwrap();
    assert_eq!(response.status, 201, "{}", response.body);

    // The limit counts characters, not bytes: 5000 two-byte characters fit.
    let longest = "é".repeat(5000);
    let sent = alice.send_message("team", "general", &json!({"text": longest})).await.unwrap();
    assert_eq!(sent.text.chars().count(), 5000);

    let too_long = "x".repeat(5001);
    let response = alice
        .raw(Method::POST, "/channels/team/general/message", &[], Some(&json!({"message": {"text": too_long}})))
        .await
        .unwrap();
    let detail = assert_api_error(&response, 400, 20, "SendMessage");
    assert!(detail.contains("5000"), "{detail}");

    // Nothing was broadcast for the refused message: the next event after the first is the one sent after it.
    alice.send_message("team", "general", &json!({"text": "after"})).await.unwrap();
    assert_eq!(bob.wait_for_type("message.new").await.unwrap()["message"]["text"], longest.as_str());
    assert_eq!(bob.wait_for_type("message.new").await.unwrap()["message"]["text"], "after");
    assert_eq!(channel_texts(&server, "general").await, vec![longest, "after".to_owned()]);
}

#[tokio::test]
async fn errors_from_every_layer_share_the_envelope() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let client = server.server_client();

    // Authentication (extractor), a missing object (operation), a permission failure (handler).
    let forged = rill_client::Client::with_token(&server.base_url, &server.app.api_key, Some("not-a-jwt".into()));
    let response = forged.raw(Method::GET, "/messages/some-id", &[], None).await.unwrap();
    assert_api_error(&response, 401, 5, "GetMessage");

    let response = client.raw(Method::GET, "/messages/does-not-exist", &[], None).await.unwrap();
    let detail = assert_api_error(&response, 404, 16, "GetMessage");
    assert!(detail.contains("does-not-exist"), "{detail}");

    let response = server.user_client("alice").raw(Method::PATCH, "/app", &[], Some(&json!({}))).await.unwrap();
    assert_api_error(&response, 403, 17, "UpdateApp");

    let unknown: Value = json!({"message": {"text": "hi", "user_id": "alice"}});
    let response = client.raw(Method::POST, "/channels/team/nowhere/message", &[], Some(&unknown)).await.unwrap();
    assert_api_error(&response, 404, 16, "SendMessage");
}

#[tokio::test]
async fn more_info_points_at_a_page_that_explains_every_code() {
    let server = TestServer::start().await;
    let response = server.server_client().raw(Method::GET, "/messages/nope", &[], None).await.unwrap();
    let more_info = response.body["more_info"].as_str().unwrap().to_owned();
    let page = reqwest::get(format!("{}{more_info}", server.base_url)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    for code in rill_protocol::error::ErrorCode::ALL {
        assert!(html.contains(&format!("<tr id=\"{}\">", code.code())), "the page lacks code {}", code.code());
    }
}

/// Every operation of Stream's public API that Rill does not serve answers a 404 of its own naming it, with or
/// without credentials; none is taken by a broader route of Rill's (`POST /messages/history` is not an update
/// of a message called "history").
#[tokio::test]
async fn operations_rill_does_not_serve_answer_404_naming_them() {
    // They count per address, as unknown paths do: raise the window so the walk measures routing.
    let http = rill_server::app::HttpConfig { unauthenticated_per_minute: 100_000, ..Default::default() };
    let server = TestServer::start_with(rill_server::app::GatewayConfig { http, ..Default::default() }).await;
    let shape = |path: &str| -> String {
        path.split('/')
            .map(|segment| if segment.starts_with('{') { "{}" } else { segment })
            .collect::<Vec<_>>()
            .join("/")
    };
    let served: Vec<(String, String)> =
        rill_server::request::ROUTES.iter().map(|route| (route.method.to_owned(), shape(route.path))).collect();
    let admin = server.server_client();
    let mut unserved = 0;
    for operation in rill_protocol::operations::all() {
        if served.contains(&(operation.method.clone(), shape(&operation.path))) {
            continue;
        }
        unserved += 1;
        let path: String = operation
            .path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "x1" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(operation.method.as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let response = admin.raw(method, &path, &[], body.as_ref()).await.unwrap();
        let detail = assert_api_error(&response, 404, 16, &operation.operation);
        assert!(detail.contains("does not serve"), "{} {path}: {detail}", operation.method);
    }
    assert!(unserved > 100, "only {unserved} operations are left unserved: is the list complete?");
    let history = server.user_client("alice").raw(Method::POST, "/messages/history", &[], Some(&json!({}))).await;
    assert_api_error(&history.unwrap(), 404, 16, "QueryMessageHistory");
}
