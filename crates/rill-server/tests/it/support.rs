//! Helpers every area's tests share: calls that must succeed, error checks, raw bytes and raw sockets.

use reqwest::Method;
use rill_client::{Client, RawResponse};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

/// How long a socket must stay quiet to show that an event was not sent to it.
pub(crate) const QUIET: Duration = Duration::from_millis(300);

/// Calls `path` and asserts a 2xx; returns the body.
pub(crate) async fn ok(client: &Client, method: Method, path: &str, body: Value) -> Value {
    let response = client.raw(method, path, &[], Some(&body)).await.unwrap();
    assert!((200..300).contains(&response.status), "{path}: {} {}", response.status, response.body);
    response.body
}

/// Calls `path` and returns the raw response.
pub(crate) async fn call(client: &Client, method: Method, path: &str, body: Value) -> RawResponse {
    client.raw(method, path, &[], Some(&body)).await.unwrap()
}

/// Asserts a Stream `APIError` with this status and code, and returns its message.
pub(crate) fn assert_error(response: &RawResponse, status: u16, code: i64) -> String {
    assert_eq!(response.status, status, "{}", response.body);
    assert_schema("APIError", &response.body);
    assert_eq!(response.body["code"], code, "{}", response.body);
    assert_eq!(response.body["StatusCode"], status, "{}", response.body);
    response.body["message"].as_str().unwrap_or_default().to_owned()
}

/// Sends a message as `user` into `team:{channel}`; returns the message.
pub(crate) async fn send(server: &TestServer, user: &str, channel: &str, message: Value) -> Value {
    let path = format!("/channels/team/{channel}/message");
    let body = ok(&server.user_client(user), Method::POST, &path, json!({ "message": message })).await;
    assert_schema("SendMessageResponse", &body);
    body["message"].clone()
}

/// A user token for `user_id` signed with `secret` (another app's, or a wrong one).
pub(crate) fn token_with(user_id: &str, secret: &str) -> String {
    rill_client::token::user_token(user_id, secret, chrono::Utc::now().timestamp(), None)
}

/// An unsigned token that claims to be `claims` (`alg: none`, empty signature).
pub(crate) fn forged_token(claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// Sends raw bytes over a fresh TCP connection and returns everything the server answers until it closes (or
/// `within` passes).
pub(crate) async fn raw_exchange(server: &TestServer, request: &[u8], within: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// The JSON body of a raw HTTP/1.1 response.
pub(crate) fn raw_body(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not a JSON body: {response:?}"))
}
