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
