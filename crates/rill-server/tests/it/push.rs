//! Push (protocol notes §11) end to end: the app's Firebase and APNs settings, who gets a new message's push and
//! what it carries, tokens the provider refuses, retries that send nothing twice, named providers and
//! `/check_push`. FCM and APNs are `rill-push`'s local fakes, which check the real wire format (OAuth2 JWT
//! exchange, ES256 provider tokens, HTTP/2 over TLS).

use crate::support::{assert_error, call, ok, send};
use reqwest::Method;
use rill_push::testing::{FakeApns, FakeFcm, FakeResponse, Times};
use rill_server::app::GatewayConfig;
use rill_server::push::PushEndpoints;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BUNDLE: &str = "app.rill.test";

struct World {
    server: TestServer,
    fcm: FakeFcm,
    apns: FakeApns,
}

/// A server whose app pushes through both fakes; `offline_only` off unless a test turns it on.
async fn world() -> World {
    let (fcm, apns) = (FakeFcm::start().await, FakeApns::start().await);
    let push = PushEndpoints { fcm_base_url: Some(fcm.base_url()), ca_file: apns.client_options().ca_file };
    let server = TestServer::start_with(GatewayConfig { push, ..GatewayConfig::default() }).await;
    let settings = json!({
        "push_config": {"version": "v3", "offline_only": false},
        "firebase_config": {"credentials_json": fcm.service_account_json()},
        "apn_config": {
            "auth_type": "token", "auth_key": apns.p8_pem(), "key_id": apns.key_id(), "team_id": apns.team_id(),
            "bundle_id": BUNDLE, "host": apns.host(),
        },
    });
    ok(&server.server_client(), Method::PATCH, "/app", settings).await;
    World { server, fcm, apns }
}

async fn device(server: &TestServer, user: &str, id: &str, provider: &str) {
    let body = json!({"id": id, "push_provider": provider});
    ok(&server.user_client(user), Method::POST, "/devices", body).await;
}

/// An APNs device token: 64 hex digits.
fn apn_token(seed: u8) -> String {
    format!("{seed:02x}").repeat(32)
}

/// Waits until no push job is pending (each job ends only after all its sends), then a moment for the fakes.
async fn pushes_settle(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let summary =
            server.state.store().read(server.app.id, |tx, app_id| tx.outbox_summary(*app_id, 10)).await.unwrap();
        if summary.pending == 0 || Instant::now() > deadline {
            assert_eq!(summary.pending, 0, "push jobs still pending: {summary:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn fcm_tokens(fcm: &FakeFcm) -> Vec<String> {
    let mut tokens: Vec<String> =
        fcm.sends().iter().map(|message| message["token"].as_str().unwrap().to_owned()).collect();
    tokens.sort();
    tokens
}

fn apns_tokens(apns: &FakeApns) -> Vec<String> {
    let mut tokens: Vec<String> = apns.sends().iter().map(|send| send.device_token.clone()).collect();
    tokens.sort();
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_message_reaches_members_devices_through_both_services() {
    let World { server, fcm, apns } = world().await;
    server.create_users(&["alice", "bob", "carol", "dave", "erin"]).await;
    server.team_channel("general", &["alice", "bob", "carol", "erin"]).await;
    device(&server, "alice", "fcm-alice", "firebase").await;
    device(&server, "bob", "fcm-bob", "firebase").await;
    device(&server, "carol", &apn_token(0xc0), "apn").await;
    device(&server, "dave", "fcm-dave", "firebase").await;

    let message = send(&server, "alice", "general", json!({"text": "standup in 5 \"minutes\""})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm_tokens(&fcm), ["fcm-bob"], "members with devices, never the sender, never outsiders");
    assert_eq!(apns_tokens(&apns), [apn_token(0xc0)]);

    let firebase = &fcm.sends()[0];
    assert_eq!(firebase["notification"]["title"], "ALICE @ general");
    assert_eq!(firebase["notification"]["body"], "standup in 5 \"minutes\"");
    assert_eq!(firebase["data"]["id"], message["id"]);
    assert_eq!(firebase["data"]["cid"], "team:general");
    assert_eq!(firebase["data"]["receiver_id"], "bob");
    assert_eq!(firebase["data"]["type"], "message.new");
    assert!(firebase["data"].as_object().unwrap().values().all(Value::is_string), "FCM data holds strings only");
    let log = fcm.send_log();
    assert!(log[0].path.ends_with("/messages:send") && log[0].authorization.starts_with("Bearer "));

    let apple = &apns.sends()[0];
    assert_eq!(apple.http_version, "HTTP/2.0");
    assert_eq!(apple.headers["apns-topic"], BUNDLE);
    assert_eq!(apple.headers["apns-push-type"], "alert");
    assert_eq!(apple.headers["apns-priority"], "10");
    assert_eq!(apple.payload["aps"]["alert"]["body"], "standup in 5 \"minutes\"");
    assert_eq!(apple.payload["aps"]["badge"], 1, "carol's unread count");
    assert_eq!(apple.payload["stream"]["id"], message["id"]);
    assert!(
        fcm.rejections().is_empty() && apns.rejections().is_empty(),
        "{:?} {:?}",
        fcm.rejections(),
        apns.rejections()
    );

    // A second message: the access token and provider token are reused, and the badge counts on.
    send(&server, "alice", "general", json!({"text": "again"})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm.token_exchanges(), 1);
    assert_eq!(apns.sends().len(), 2);
    assert_eq!(apns.sends()[1].payload["aps"]["badge"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutes_bans_threads_flags_and_connections_decide_who_is_spared() {
    let World { server, fcm, apns: _apns } = world().await;
    let users = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"];
    server.create_users(&users).await;
    server.team_channel("general", &users).await;
    for user in &users[1..] {
        device(&server, user, &format!("fcm-{user}"), "firebase").await;
    }
    let admin = server.server_client();
    ok(&server.user_client("bob"), Method::POST, "/moderation/mute/channel", json!({"channel_cid": "team:general"}))
        .await;
    ok(&server.user_client("carol"), Method::POST, "/moderation/mute", json!({"target_id": "alice"})).await;
    let ban = json!({"target_user_id": "dave", "banned_by_id": "gina", "channel_cid": "team:general"});
    ok(&admin, Method::POST, "/moderation/ban", ban).await;
    ok(&admin, Method::POST, "/users/erin/deactivate", json!({})).await;
    send(&server, "alice", "general", json!({"text": "who hears this"})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm_tokens(&fcm), ["fcm-frank", "fcm-gina"], "muted channel, muted sender, banned, deactivated: spared");

    // skip_push, silent and system messages push nothing.
    let before = fcm.sends().len();
    let path = "/channels/team/general/message";
    let quiet = json!({"message": {"text": "shh"}, "skip_push": true});
    ok(&server.user_client("alice"), Method::POST, path, quiet).await;
    send(&server, "alice", "general", json!({"text": "quiet", "silent": true})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm.sends().len(), before, "skip_push and silent messages push nothing");

    // A thread reply: the parent's author, the repliers and those it mentions only.
    let parent = send(&server, "frank", "general", json!({"text": "thread"})).await;
    send(&server, "gina", "general", json!({"text": "reply", "parent_id": parent["id"]})).await;
    pushes_settle(&server).await;
    let start = fcm.sends().len();
    let reply = json!({"text": "@dave no, frank", "parent_id": parent["id"], "mentioned_users": ["alice"]});
    send(&server, "gina", "general", reply).await;
    pushes_settle(&server).await;
    let mut thread: Vec<String> =
        fcm.sends()[start..].iter().map(|m| m["token"].as_str().unwrap().to_owned()).collect();
    thread.sort();
    assert_eq!(thread, ["fcm-frank"], "frank started it; alice (mentioned) has no device; gina wrote it");

    // With offline_only, a member with a live connection is not pushed.
    ok(&admin, Method::PATCH, "/app", json!({"push_config": {"offline_only": true}})).await;
    let _online = server.connect("frank").await;
    let start = fcm.sends().len();
    send(&server, "alice", "general", json!({"text": "are you there"})).await;
    pushes_settle(&server).await;
    let sends = fcm.sends();
    let tokens: Vec<&str> = sends[start..].iter().map(|m| m["token"].as_str().unwrap()).collect();
    assert_eq!(tokens, ["fcm-gina"], "frank is connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_disable_devices_and_retries_send_nothing_twice() {
    let World { server, fcm, apns } = world().await;
    server.create_users(&["alice", "bob", "carol", "dave"]).await;
    server.team_channel("general", &["alice", "bob", "carol", "dave"]).await;
    device(&server, "bob", "fcm-bob", "firebase").await;
    device(&server, "carol", &apn_token(0xca), "apn").await;
    device(&server, "dave", "fcm-dave", "firebase").await;
    fcm.respond_to_token("fcm-bob", FakeResponse::Unregistered, Times::Once);
    apns.respond_to_token(&apn_token(0xca), FakeResponse::Unavailable { retry_after: Some(1) }, Times::Once);

    let message = send(&server, "alice", "general", json!({"text": "hello"})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm_tokens(&fcm), ["fcm-dave"], "dave acknowledged once, even though the job ran twice");
    assert_eq!(apns_tokens(&apns), [apn_token(0xca)], "carol's push came through on the retry");
    let devices = ok(&server.user_client("bob"), Method::GET, "/devices", Value::Null).await;
    assert_eq!(devices["devices"][0]["disabled"], true, "{devices}");
    assert!(devices["devices"][0]["disabled_reason"].as_str().unwrap().contains("unregistered"), "{devices}");
    let settled = server
        .state
        .store()
        .read((server.app.id, message["id"].as_str().unwrap().to_owned()), |tx, (app, id)| tx.settled_pushes(*app, id))
        .await
        .unwrap();
    assert_eq!(settled.len(), 3, "every device settled once: {settled:?}");

    send(&server, "alice", "general", json!({"text": "again"})).await;
    pushes_settle(&server).await;
    assert_eq!(fcm_tokens(&fcm), ["fcm-dave", "fcm-dave"], "a disabled device gets nothing");
    device(&server, "bob", "fcm-bob", "firebase").await;
    send(&server, "alice", "general", json!({"text": "back"})).await;
    pushes_settle(&server).await;
    assert!(fcm_tokens(&fcm).contains(&"fcm-bob".to_owned()), "registering again enables it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_settings_are_validated_and_read_back_without_secrets() {
    let World { server, fcm, apns } = world().await;
    let admin = server.server_client();
    let app = ok(&admin, Method::GET, "/app", Value::Null).await;
    let push = &app["app"]["push_notifications"];
    assert_eq!(push["firebase"]["enabled"], true, "{push}");
    assert_eq!(push["apn"]["enabled"], true);
    assert_eq!(push["apn"]["bundle_id"], BUNDLE);
    assert_eq!(push["apn"]["auth_key"], "");
    assert_eq!(push["firebase"]["credentials_json"], "");
    assert_eq!(push["offline_only"], false);
    let text = app.to_string();
    assert!(!text.contains("PRIVATE KEY") && !text.contains("private_key"), "no credential is read back");
    let seen_by_user = ok(&server.user_client("someone"), Method::GET, "/app", Value::Null).await;
    assert_eq!(seen_by_user["app"]["push_notifications"]["apn"]["enabled"], true);
    assert!(seen_by_user["app"]["push_notifications"]["apn"].get("key_id").is_none(), "a user sees whether, not how");

    let refused = [
        (json!({"firebase_config": {"credentials_json": "{\"type\": \"service_account\"}"}}), "project_id"),
        (json!({"firebase_config": {"credentials_json": "not json"}}), "credentials_json"),
        (json!({"firebase_config": {"server_key": "AAAA"}}), "server_key"),
        (json!({"apn_config": {"auth_type": "certificate", "p12_cert": "MIIB"}}), "token"),
        (
            json!({"apn_config": {"auth_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}}),
            "auth_key",
        ),
        (json!({"apn_config": {"host": "ftp://push.example"}}), "host"),
        (json!({"push_config": {"version": "v9"}}), "version"),
        (json!({"firebase_config": {"notification_template": "{\"title\": \"{{#each members}}\"}"}}), "template"),
        (json!({"firebase_config": {"notification_template": "[1]"}}), "object"),
        (json!({"huawei_config": {}}), "huawei_config"),
    ];
    for (body, needle) in refused {
        let response = call(&admin, Method::PATCH, "/app", body.clone()).await;
        let message = assert_error(&response, 400, 4);
        assert!(message.contains(needle), "{body}: {message}");
    }
    // Nothing refused was applied: both still send.
    let app = ok(&admin, Method::GET, "/app", Value::Null).await;
    assert_eq!(app["app"]["push_notifications"]["apn"]["enabled"], true);
    assert_eq!(app["app"]["push_notifications"]["firebase"]["enabled"], true);

    // Disabled: no push job at all.
    ok(&admin, Method::PATCH, "/app", json!({"firebase_config": {"Disabled": true}, "apn_config": {"Disabled": true}}))
        .await;
    let app = ok(&admin, Method::GET, "/app", Value::Null).await;
    assert_eq!(app["app"]["push_notifications"]["firebase"]["enabled"], false);
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    device(&server, "bob", "fcm-bob", "firebase").await;
    send(&server, "alice", "general", json!({"text": "nobody"})).await;
    let summary = server.state.store().read(server.app.id, |tx, app_id| tx.outbox_summary(*app_id, 10)).await.unwrap();
    assert_eq!(summary.pending, 0, "no provider can send: no job is written");
    pushes_settle(&server).await;
    assert!(fcm.sends().is_empty() && apns.sends().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_providers_serve_the_devices_that_name_them() {
    let World { server, fcm: _fcm, apns } = world().await;
    let admin = server.server_client();
    let provider = json!({"push_provider": {
        "name": "staging", "type": "apn", "apn_auth_type": "token", "apn_auth_key": apns.p8_pem(),
        "apn_key_id": apns.key_id(), "apn_team_id": apns.team_id(), "apn_topic": "app.rill.staging",
        "apn_host": apns.host(), "description": "TestFlight builds",
    }});
    let created = ok(&admin, Method::POST, "/push_providers", provider).await;
    assert_schema("UpsertPushProviderResponse", &created);
    assert_eq!(created["push_provider"]["apn_topic"], "app.rill.staging");
    assert!(!created.to_string().contains("PRIVATE KEY"), "the key is not read back");
    let listed = ok(&admin, Method::GET, "/push_providers", Value::Null).await;
    assert_schema("ListPushProvidersResponse", &listed);
    assert_eq!(listed["push_providers"].as_array().unwrap().len(), 1);

    server.create_users(&["alice", "bob", "carol"]).await;
    server.team_channel("general", &["alice", "bob", "carol"]).await;
    let staged = json!({"id": apn_token(0xb0), "push_provider": "apn", "push_provider_name": "staging"});
    ok(&server.user_client("bob"), Method::POST, "/devices", staged).await;
    let unknown = json!({"id": apn_token(0xcc), "push_provider": "apn", "push_provider_name": "nightly"});
    ok(&server.user_client("carol"), Method::POST, "/devices", unknown).await;
    send(&server, "alice", "general", json!({"text": "beta"})).await;
    pushes_settle(&server).await;
    let sends = apns.sends();
    assert_eq!(sends.len(), 1, "the device naming no provider that exists gets nothing: {sends:?}");
    assert_eq!(sends[0].device_token, apn_token(0xb0));
    assert_eq!(sends[0].headers["apns-topic"], "app.rill.staging");

    let bad = json!({"push_provider": {"name": "x", "type": "huawei"}});
    assert!(assert_error(&call(&admin, Method::POST, "/push_providers", bad).await, 400, 4).contains("huawei"));
    let nameless = json!({"push_provider": {"name": "", "type": "apn"}});
    assert_error(&call(&admin, Method::POST, "/push_providers", nameless).await, 400, 4);
    let keyless = json!({"push_provider": {"name": "empty", "type": "firebase"}});
    assert!(assert_error(&call(&admin, Method::POST, "/push_providers", keyless).await, 400, 4)
        .contains("firebase_credentials"));
    let gone = admin.raw(Method::DELETE, "/push_providers/apn/staging", &[], None).await.unwrap();
    assert_eq!(gone.status, 200, "{}", gone.body);
    let again = admin.raw(Method::DELETE, "/push_providers/apn/staging", &[], None).await.unwrap();
    assert_error(&again, 404, 16);
    assert!(ok(&admin, Method::GET, "/push_providers", Value::Null).await["push_providers"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_push_renders_the_templates_and_reports_each_devices_error() {
    let World { server, fcm, apns } = world().await;
    let admin = server.server_client();
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    device(&server, "bob", "fcm-bob", "firebase").await;
    device(&server, "bob", &apn_token(0xbb), "apn").await;
    let quiet = json!({"message": {"text": "ping"}, "skip_push": true});
    let sent = ok(&server.user_client("alice"), Method::POST, "/channels/team/general/message", quiet).await;
    let message = sent["message"].clone();
    fcm.respond_to_token("fcm-bob", FakeResponse::BadDeviceToken, Times::Once);

    let check = json!({
        "message_id": message["id"], "user_id": "bob",
        "firebase_template": "{\"title\": \"{{ sender.name }} says\", \"body\": \"{{ message.text }}\"}",
    });
    let response = ok(&admin, Method::POST, "/check_push", check.clone()).await;
    assert_schema("CheckPushResponse", &response);
    let rendered: Value = serde_json::from_str(response["rendered_firebase_template"].as_str().unwrap()).unwrap();
    assert_eq!(rendered["title"], "ALICE says");
    let apn: Value = serde_json::from_str(response["rendered_apn_template"].as_str().unwrap()).unwrap();
    assert_eq!(apn["aps"]["alert"]["body"], "ping");
    assert_eq!(response["rendered_message"]["receiver_id"], "bob");
    assert_eq!(response["device_errors"].as_object().unwrap().len(), 1, "{response}");
    assert_eq!(response["device_errors"]["fcm-bob"]["provider"], "firebase");
    assert_eq!(apns.sends().len(), 1, "the APNs device got the test push");

    let skip = json!({"message_id": message["id"], "user_id": "bob", "skip_devices": true});
    let response = ok(&admin, Method::POST, "/check_push", skip).await;
    assert_eq!(response["skip_devices"], true);
    assert_eq!(apns.sends().len(), 1, "skip_devices sends nothing");
    let missing = json!({"message_id": "nope", "user_id": "bob"});
    assert_error(&call(&admin, Method::POST, "/check_push", missing).await, 404, 16);
    let other = json!({"message_id": message["id"], "user_id": "bob", "event_type": "reaction.new"});
    assert_error(&call(&admin, Method::POST, "/check_push", other).await, 400, 4);
}
