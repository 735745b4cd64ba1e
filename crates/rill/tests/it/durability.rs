//! Acknowledged writes survive `kill -9`: every message the server answered 201 for is there after a restart.

use crate::support::{create_app, serve, Place};
use rill_client::Client;
use serde_json::json;

#[tokio::test]
async fn acknowledged_messages_survive_kill_9() {
    let place = Place::new();
    let app = create_app(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap().to_owned(), app["api_secret"].as_str().unwrap().to_owned());
    // Thousands of sends and reads in a few seconds: rate limits would refuse some of the checks afterwards.
    let app_id = app["app_id"].to_string();
    let dir = place.dir();
    crate::support::run(&place, &["app", "set-rate-limits", "--data-dir", dir, "--app-id", &app_id, "--off"]).await;
    let mut served = serve(&place).await;
    let client = Client::server(&served.base_url, &key, &secret);
    let senders: Vec<String> = (0..8).map(|index| format!("sender{index}")).collect();
    let users: Vec<_> = senders.iter().map(|id| json!({"id": id})).collect();
    client.upsert_users(&users).await.unwrap();
    client
        .get_or_create_channel("team", "durable", &json!({"data": {"created_by_id": "sender0", "members": senders}}))
        .await
        .unwrap();

    // Eight concurrent senders, so commits are shared; the server is killed while they are still sending.
    let mut tasks = Vec::new();
    for sender in senders.clone() {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for index in 0..10_000 {
                let id = format!("{sender}-{index}");
                let message = json!({"id": id, "text": format!("message {index}"), "user_id": sender});
                match client.send_message("team", "durable", &message).await {
                    Ok(sent) => acknowledged.push(sent.id),
                    Err(_) => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    served.child.kill().await.unwrap();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    assert!(acknowledged.len() > 50, "too few messages were sent before the kill: {}", acknowledged.len());

    let served = serve(&place).await;
    let client = Client::server(&served.base_url, &key, &secret);
    let mut missing = Vec::new();
    for id in &acknowledged {
        let response = client.raw(reqwest::Method::GET, &format!("/messages/{id}"), &[], None).await.unwrap();
        if response.status != 200 {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages were lost: {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(10)]
    );
}

/// A webhook receiver that records `(X-Webhook-Id, message id)` of each `message.new` it accepts.
async fn webhook_receiver(
    listener: tokio::net::TcpListener,
) -> std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> {
    use axum::http::HeaderMap;
    let accepted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = accepted.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let record = record.clone();
        async move {
            let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let id = headers.get("x-webhook-id").and_then(|value| value.to_str().ok()).unwrap_or_default();
            let message = event["message"]["id"].as_str().unwrap_or_default();
            record.lock().unwrap().push((id.to_owned(), message.to_owned()));
            "ok"
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    accepted
}

/// Webhook jobs are written with the messages they announce: messages acknowledged just before a `kill -9`,
/// while their receiver was not answering, are delivered after the restart, each exactly once.
#[tokio::test]
async fn webhooks_of_acknowledged_messages_are_delivered_after_kill_9_once() {
    let place = Place::new();
    let app = create_app(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap().to_owned(), app["api_secret"].as_str().unwrap().to_owned());
    let app_id = app["app_id"].to_string();
    let mut served = serve(&place).await;
    let client = Client::server(&served.base_url, &key, &secret);
    // A receiver that takes connections and never answers: attempts hang until the kill.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    let hook = json!({"webhook_url": format!("http://{address}/hook"), "event_types": ["message.new"]});
    let response =
        client.raw(reqwest::Method::PATCH, "/app", &[], Some(&json!({"event_hooks": [hook]}))).await.unwrap();
    assert!((200..300).contains(&response.status), "{}", response.body);
    client.upsert_users(&[json!({"id": "ann"}), json!({"id": "ben"})]).await.unwrap();
    client
        .get_or_create_channel("team", "hooks", &json!({"data": {"created_by_id": "ann", "members": ["ann", "ben"]}}))
        .await
        .unwrap();
    let mut sent = Vec::new();
    for index in 0..20 {
        let message = json!({"id": format!("hooked-{index}"), "text": "announce me", "user_id": "ann"});
        sent.push(client.send_message("team", "hooks", &message).await.unwrap().id);
    }
    served.child.kill().await.unwrap();
    served.child.wait().await.unwrap();

    // While the server is down the operator sees the backlog.
    let dir = place.dir();
    let report =
        crate::support::run(&place, &["app", "outbox", "--data-dir", dir, "--app-id", &app_id, "--json"]).await;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["pending"], 20, "{report}");
    assert_eq!(report["failed"], 0, "{report}");

    drop(silent);
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let accepted = webhook_receiver(listener).await;
    let _served = serve(&place).await;
    // Jobs in an attempt at the kill wait for their lease to end (11 s at most).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while accepted.lock().unwrap().len() < sent.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let accepted = accepted.lock().unwrap().clone();
    let mut messages: Vec<String> = accepted.iter().map(|(_, message)| message.clone()).collect();
    messages.sort();
    let mut expected = sent.clone();
    expected.sort();
    assert_eq!(messages, expected, "every acknowledged message's webhook, once");
    let mut ids: Vec<&String> = accepted.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent.len(), "one delivery id per message");
    let report =
        crate::support::run(&place, &["app", "outbox", "--data-dir", dir, "--app-id", &app_id, "--json"]).await;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!((report["pending"].as_u64(), report["failed"].as_u64()), (Some(0), Some(0)), "{report}");
}

/// Push jobs are written with their messages too: pushes of messages acknowledged just before a `kill -9`, while
/// FCM was not answering, reach the device after the restart, one per message.
#[tokio::test]
async fn pushes_of_acknowledged_messages_are_sent_after_kill_9_once() {
    let place = Place::new();
    let app = create_app(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap().to_owned(), app["api_secret"].as_str().unwrap().to_owned());
    let fcm = rill_push::testing::FakeFcm::start().await;
    // An FCM endpoint that takes connections and never answers: sends hang until the kill.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging = format!("http://{}", silent.local_addr().unwrap());
    let mut served = crate::support::serve_with(&place, &["--fcm-base-url", &hanging]).await;
    let client = Client::server(&served.base_url, &key, &secret);
    let settings = json!({
        "firebase_config": {"credentials_json": fcm.service_account_json()},
        "push_config": {"offline_only": false},
    });
    let response = client.raw(reqwest::Method::PATCH, "/app", &[], Some(&settings)).await.unwrap();
    assert!((200..300).contains(&response.status), "{}", response.body);
    client.upsert_users(&[json!({"id": "ann"}), json!({"id": "ben"})]).await.unwrap();
    client
        .get_or_create_channel("team", "pushed", &json!({"data": {"created_by_id": "ann", "members": ["ann", "ben"]}}))
        .await
        .unwrap();
    let device = json!({"id": "ben-phone", "push_provider": "firebase", "user_id": "ben"});
    let response = client.raw(reqwest::Method::POST, "/devices", &[], Some(&device)).await.unwrap();
    assert!((200..300).contains(&response.status), "{}", response.body);
    let mut sent = Vec::new();
    for index in 0..20 {
        let message = json!({"id": format!("pushed-{index}"), "text": "wake up", "user_id": "ann"});
        sent.push(client.send_message("team", "pushed", &message).await.unwrap().id);
    }
    served.child.kill().await.unwrap();
    served.child.wait().await.unwrap();
    drop(silent);

    let _served = crate::support::serve_with(&place, &["--fcm-base-url", &fcm.base_url()]).await;
    // Jobs in an attempt at the kill wait for their lease to end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    while fcm.sends().len() < sent.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let mut pushed: Vec<String> =
        fcm.sends().iter().map(|message| message["data"]["id"].as_str().unwrap_or_default().to_owned()).collect();
    pushed.sort();
    let mut expected = sent.clone();
    expected.sort();
    assert_eq!(pushed, expected, "every acknowledged message pushed to ben's phone, once");
    assert!(fcm.sends().iter().all(|message| message["token"] == "ben-phone"));
}
