//! Counters stay exact under concurrent writes: many senders, reactors and channel updates at once on one
//! channel leave the exact message count, unread totals and reaction totals. (With concurrent transactions a
//! read-modify-write of a counter would lose updates; the store changes counters by amounts in SQL.)

use crate::support::ok;
use reqwest::Method;
use rill_core::model::RateLimitSetting;
use rill_server::testing::TestServer;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_reactions_and_updates_leave_exact_counts() {
    let server = TestServer::start().await;
    server.set_rate_limits(RateLimitSetting::Off).await;
    let senders: Vec<String> = (0..8).map(|index| format!("sender{index}")).collect();
    let mut everyone: Vec<&str> = senders.iter().map(String::as_str).collect();
    everyone.push("reader");
    server.create_users(&everyone).await;
    server.team_channel("busy", &everyone).await;
    let target = ok(
        &server.server_client(),
        Method::POST,
        "/channels/team/busy/message",
        json!({"message": {"text": "react to me", "user_id": "reader"}}),
    )
    .await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    const PER_SENDER: usize = 25;
    let mut tasks = Vec::new();
    for (index, sender) in senders.iter().enumerate() {
        let client = server.user_client(sender);
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..PER_SENDER {
                let body = json!({"message": {"text": format!("{index}/{round}")}});
                ok(&client, Method::POST, "/channels/team/busy/message", body).await;
                if round % 5 == 0 {
                    let reaction = json!({"reaction": {"type": "like", "score": 2}});
                    ok(&client, Method::POST, &format!("/messages/{target}/reaction"), reaction).await;
                }
            }
        }));
    }
    let updater = {
        let client = server.server_client();
        tokio::spawn(async move {
            for round in 0..20 {
                let body = json!({"set": {"round": round}, "user_id": "reader"});
                ok(&client, Method::PATCH, "/channels/team/busy", body).await;
            }
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    updater.await.unwrap();

    let sent = senders.len() * PER_SENDER;
    let state =
        ok(&server.user_client("reader"), Method::POST, "/channels/team/busy/query", json!({"state": true})).await;
    // The stored counter: one message by the reader, then everyone else's.
    let app_id = server.app.id;
    let channel = server.state.store().read((), move |tx, ()| tx.channel(app_id, "team:busy")).await.unwrap().unwrap();
    assert_eq!(channel.message_count, (sent + 1) as i64);
    assert_eq!(channel.unread_sequence, (sent + 1) as i64);
    assert_eq!(state["channel"]["round"], 19);
    let reader_read = state["read"].as_array().unwrap().iter().find(|read| read["user"]["id"] == "reader").unwrap();
    assert_eq!(reader_read["unread_messages"], Value::from(sent), "{reader_read}");
    for sender in &senders {
        let read = state["read"].as_array().unwrap().iter().find(|read| read["user"]["id"] == *sender).unwrap();
        // A sender has read up to their own last message: only what others sent after it is unread.
        assert!(read["unread_messages"].as_u64().unwrap() < sent as u64, "{read}");
    }
    let message = ok(&server.user_client("reader"), Method::GET, &format!("/messages/{target}"), Value::Null).await;
    // Each sender's later likes replace their first: one like, score 2, per sender.
    assert_eq!(message["message"]["reaction_counts"]["like"], Value::from(senders.len()), "{}", message["message"]);
    assert_eq!(message["message"]["reaction_scores"]["like"], Value::from(senders.len() * 2));
    let me = server.connect("reader").await;
    assert_eq!(me.me["total_unread_count"], Value::from(sent));
}

/// `PATCH /app` calls changing different settings at once all land, in the store and in the app cache: each
/// change reads the app as stored under its row lock, and the cache keeps the newest revision whatever order the
/// changes finish in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_app_setting_changes_all_land() {
    let server = TestServer::start().await;
    server.set_rate_limits(RateLimitSetting::Off).await;
    for round in 0..8 {
        let on = round % 2 == 0;
        let changes = [
            json!({"disable_permissions_checks": on}),
            json!({"enforce_unique_usernames": if on { "app" } else { "no" }}),
            json!({"webhook_url": if on { "https://hooks.example.com/rill" } else { "" }}),
            json!({"guest_user_creation_disabled": on}),
        ];
        let tasks: Vec<_> = changes
            .into_iter()
            .map(|body| {
                let client = server.server_client();
                tokio::spawn(async move { ok(&client, Method::PATCH, "/app", body).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let app = server.server_client().raw(Method::GET, "/app", &[], None).await.unwrap().body["app"].clone();
        let seen = (
            app["disable_permissions_checks"].as_bool(),
            app["enforce_unique_usernames"].as_str(),
            app["webhook_url"].as_str(),
            app["guest_user_creation_disabled"].as_bool(),
        );
        let wanted = (
            Some(on),
            Some(if on { "app" } else { "no" }),
            Some(if on { "https://hooks.example.com/rill" } else { "" }),
            Some(on),
        );
        assert_eq!(seen, wanted, "round {round}: a change was lost");
    }
    let restarted = server.restart().await;
    let app = restarted.server_client().raw(Method::GET, "/app", &[], None).await.unwrap().body["app"].clone();
    assert_eq!(app["disable_permissions_checks"], false, "the store has the last round too: {app}");
}
