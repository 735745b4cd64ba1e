//! Connect and Test (`rill_client::probe`) against the real engine and against local servers that refuse,
//! hang, speak HTML or TLS with an unknown certificate: each outcome is told apart.

use rill_client::probe::{probe, Probe, Unreachable};
use rill_server::testing::TestServer;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_engine_answers_each_key_problem_apart() {
    let server = TestServer::start().await;
    let (key, secret) = (server.app.api_key.as_str(), server.app.api_secret.as_str());
    let connected = probe(&server.base_url, key, secret, Some(server.app.id), PATIENCE).await;
    assert_eq!(connected, Probe::Connected { app_id: server.app.id, app_name: "Test".into() });
    let trailing = probe(&format!("{}/", server.base_url), key, secret, None, PATIENCE).await;
    assert!(matches!(trailing, Probe::Connected { .. }), "{trailing:?}");
    let wrong_key = probe(&server.base_url, "nope", secret, None, PATIENCE).await;
    assert!(matches!(wrong_key, Probe::WrongApiKey { .. }), "{wrong_key:?}");
    let wrong_secret = probe(&server.base_url, key, "not-the-secret", None, PATIENCE).await;
    assert!(matches!(wrong_secret, Probe::WrongSecret { .. }), "{wrong_secret:?}");
    let other = probe(&server.base_url, key, secret, Some(server.app.id + 1), PATIENCE).await;
    assert!(matches!(other, Probe::AppIdMismatch { actual, .. } if actual == server.app.id), "{other:?}");
    let invalid = probe("ftp://example", key, secret, None, PATIENCE).await;
    assert!(matches!(invalid, Probe::InvalidUrl { .. }), "{invalid:?}");
}

#[tokio::test]
async fn an_unreachable_backend_says_how() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let refused = probe(&refused_url, "k", "s", None, PATIENCE).await;
    assert!(matches!(refused, Probe::Unreachable { reason: Unreachable::Refused, .. }), "{refused:?}");

    // Takes the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let hung = probe(&silent_url, "k", "s", None, Duration::from_millis(500)).await;
    assert!(matches!(hung, Probe::Unreachable { reason: Unreachable::Timeout, .. }), "{hung:?}");

    let unresolved = probe("http://rill-probe-test.invalid", "k", "s", None, PATIENCE).await;
    assert!(matches!(unresolved, Probe::Unreachable { reason: Unreachable::Dns, .. }), "{unresolved:?}");

    // An HTTPS server whose certificate no public CA signed.
    let apns = rill_push::testing::FakeApns::start().await;
    let untrusted = probe(&apns.host(), "k", "s", None, PATIENCE).await;
    assert!(matches!(untrusted, Probe::Unreachable { reason: Unreachable::Tls, .. }), "{untrusted:?}");
}

#[tokio::test]
async fn something_else_than_the_stream_api_is_named_so() {
    async fn html() -> axum::response::Html<&'static str> {
        axum::response::Html("<html><body>Welcome to nginx!</body></html>")
    }
    async fn odd_json() -> axum::Json<serde_json::Value> {
        axum::Json(serde_json::json!({"status": "ok"}))
    }
    for (path, router) in
        [("html", axum::Router::new().fallback(html)), ("json", axum::Router::new().fallback(odd_json))]
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let answer = probe(&url, "k", "s", None, PATIENCE).await;
        assert!(matches!(answer, Probe::NotStreamApi { status: 200, .. }), "{path}: {answer:?}");
    }
}

/// Batch calls wait out a backend's rate limit: a 429 is tried again once its window resets.
#[tokio::test]
async fn patient_calls_wait_for_the_rate_limit_window() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let router = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            let reset = chrono::Utc::now().timestamp() + 1;
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                let body = serde_json::json!({"code": 9, "message": "Too many requests", "StatusCode": 429});
                let headers = [("x-ratelimit-reset", reset.to_string())];
                (axum::http::StatusCode::TOO_MANY_REQUESTS, headers, axum::Json(body)).into_response()
            } else {
                axum::Json(serde_json::json!({"users": {}})).into_response()
            }
        }
    });
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = rill_client::Client::server(&url, "key", "secret");
    let started = std::time::Instant::now();
    let response = client.raw_patiently(reqwest::Method::POST, "/users", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "tried again once");
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited for the window: {:?}", started.elapsed());
}

/// The in-process transport: a client of the engine's router takes the whole Stream path (authentication,
/// writes, rate limits, errors) with no socket.
#[tokio::test]
async fn a_local_client_takes_the_whole_request_path() {
    use reqwest::Method;
    use rill_core::model::RateLimitSetting;
    let server = TestServer::start().await;
    let service = std::sync::Arc::new(rill_server::local::EngineService::new(server.state.clone()));
    let (key, secret) = (server.app.api_key.as_str(), server.app.api_secret.as_str());
    let local = rill_client::Client::server_local(service.clone(), key, secret);
    assert_eq!(local.get_app().await.unwrap().app.id, server.app.id);
    let tested = rill_client::probe::probe_client(&local, Some(server.app.id)).await;
    assert!(matches!(tested, Probe::Connected { .. }), "Connect and Test works in process: {tested:?}");
    let forged = rill_client::Client::server_local(service.clone(), key, "wrong");
    assert_eq!(forged.raw(Method::GET, "/app", &[], None).await.unwrap().body["code"], 43, "authentication applies");
    let tested = rill_client::probe::probe_client(&forged, None).await;
    assert!(matches!(tested, Probe::WrongSecret { .. }), "{tested:?}");

    local.upsert_users(&[serde_json::json!({"id": "ann"})]).await.unwrap();
    let body = serde_json::json!({"data": {"created_by_id": "ann", "members": ["ann"]}});
    assert_eq!(local.raw(Method::POST, "/channels/team/local/query", &[], Some(&body)).await.unwrap().status, 201);
    let send = serde_json::json!({"message": {"text": "from inside", "user_id": "ann"}});
    assert_eq!(local.raw(Method::POST, "/channels/team/local/message", &[], Some(&send)).await.unwrap().status, 201);
    let (http_client, state) = (server.server_client(), serde_json::json!({"state": true}));
    let over_http = http_client.raw(Method::POST, "/channels/team/local/query", &[], Some(&state)).await.unwrap();
    assert_eq!(over_http.body["messages"][0]["text"], "from inside", "the same engine, the same data");
    let query = [("payload", r#"{"filter_conditions": {"id": "ann"}}"#)];
    let found = local.raw(Method::GET, "/users", &query, None).await.unwrap();
    assert_eq!(found.body["users"][0]["id"], "ann", "query strings arrive encoded");

    server.set_rate_limits(RateLimitSetting::PerMinute(1)).await;
    local.raw(Method::GET, "/app", &[], None).await.unwrap();
    let limited = local.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(limited.status, 429, "rate limits apply: {}", limited.body);
    let file =
        rill_client::UploadFile { name: "a.txt".into(), content_type: "text/plain".into(), bytes: b"a".to_vec() };
    assert!(local.upload_raw(Method::POST, "/uploads/file", &[], &file, Some("ann")).await.is_err());
}
