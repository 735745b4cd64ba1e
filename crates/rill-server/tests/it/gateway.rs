//! The WebSocket gateway's own rules: server health checks, the idle timeout, and the per-user connection cap.

use rill_client::{Socket, SocketError};
use rill_core::store::testing::BackendKind;
use rill_server::app::GatewayConfig;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_server_sends_health_checks_and_closes_silent_clients_with_1001() {
    let gateway = GatewayConfig {
        health_interval: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(350),
        ..GatewayConfig::default()
    };
    let server = TestServer::start_with(gateway).await;
    server.create_users(&["alice", "bob"]).await;

    // Alice answers nothing: she gets the server's health checks, then a 1001 close so that she reconnects.
    let mut silent = server.connect("alice").await;
    // Her own presence event may come first.
    let mut beat = silent.next_frame(Duration::from_secs(2)).await.unwrap().unwrap();
    if beat["type"] == "user.presence.changed" {
        beat = silent.next_frame(Duration::from_secs(2)).await.unwrap().unwrap();
    }
    assert_eq!(beat["type"], "health.check");
    assert_schema("HealthCheckEvent", &beat);
    assert_eq!(beat["connection_id"], silent.connection_id.as_str());
    let mut closed = false;
    for _ in 0..20 {
        if silent.next_frame(Duration::from_secs(2)).await.unwrap().is_none() {
            closed = true;
            break;
        }
    }
    assert!(closed, "a silent client was never closed");
    assert_eq!(silent.close_code, Some(1001));

    // Bob sends health checks, as clients do, and stays connected well past the idle timeout.
    let mut talking = server.connect("bob").await;
    for _ in 0..8 {
        talking.send_health_check("bob").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(talking.close_code, None);
    talking.send_health_check("bob").await.unwrap();
    // Everything bob received is a frame, never a close: presence first, then health checks.
    let reply = talking.next_frame(Duration::from_secs(2)).await.unwrap().expect("bob is still connected");
    assert!(matches!(reply["type"].as_str(), Some("health.check" | "user.presence.changed")), "{reply}");
    assert_eq!(talking.close_code, None);
}

#[tokio::test]
async fn a_user_may_hold_at_most_fifty_connections() {
    let server = TestServer::start().await;
    server.create_users(&["alice"]).await;
    let mut sockets = Vec::new();
    for _ in 0..50 {
        sockets.push(server.connect("alice").await);
    }
    let token = server.token("alice");
    match Socket::connect(&server.base_url, &server.app.api_key, &token, "alice", &json!({"id": "alice"})).await {
        Err(SocketError::Refused(frame)) => {
            assert_eq!(frame["type"], "connection.error");
            assert!(frame["error"]["message"].as_str().unwrap().contains("too many open connections"), "{frame}");
        }
        Err(other) => panic!("expected a connection.error frame, got {other}"),
        Ok(_) => panic!("a 51st connection was accepted"),
    }
    // Closing one makes room again.
    sockets.pop().unwrap().close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.connect("alice").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_that_does_not_complete_in_time_is_closed_with_1001() {
    let config = GatewayConfig { handshake_timeout: Duration::from_millis(100), ..GatewayConfig::default() };
    let server = TestServer::start_with(config).await;
    server.create_users(&["alice"]).await;
    // Lock alice's row for a while: connecting writes the user's last activity, so the handshake cannot finish
    // before its deadline (authentication itself only reads). On SQLite the whole writer waits; on PostgreSQL the
    // row lock does, and the job may sleep as a task there.
    let (started, wait_started) = tokio::sync::oneshot::channel();
    let store = server.state.store().clone();
    let (app_id, on_postgres) = (server.app.id, server.backend_kind() == BackendKind::Postgres);
    let blocker = tokio::spawn(async move {
        store
            .write(std::sync::Mutex::new(Some(started)), move |tx, started| {
                Box::pin(async move {
                    tx.user_for_update(app_id, "alice").await?;
                    if let Some(started) = started.lock().unwrap().take() {
                        let _ = started.send(());
                    }
                    if on_postgres {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    } else {
                        std::thread::sleep(Duration::from_millis(1500));
                    }
                    Ok(())
                })
            })
            .await
    });
    wait_started.await.unwrap();
    let url = rill_client::socket::connect_url(
        &server.base_url,
        &server.app.api_key,
        &server.token("alice"),
        "alice",
        &json!({"id": "alice"}),
    );
    let mut socket = Socket::open(&url).await.unwrap();
    while let Ok(Some(frame)) = socket.next_frame(Duration::from_secs(5)).await {
        assert_ne!(frame["type"], "health.check", "the handshake completed after its deadline");
    }
    assert_eq!(socket.close_code, Some(1001));
    blocker.await.unwrap().unwrap();
    // Once the store is free again, connecting works.
    let socket = server.connect("alice").await;
    assert!(!socket.connection_id.is_empty());
}
