//! The Hub's push settings, test push and usage against the real engine (push through the local FCM and
//! APNs fakes), all over the Stream protocol.

use reqwest::Method;
use rill_hub::push::{apply, test_push, ApnsSettings};
use rill_hub::usage::{backend_usage, Level};
use rill_push::testing::{FakeApns, FakeFcm};
use rill_server::app::GatewayConfig;
use rill_server::push::PushEndpoints;
use rill_server::testing::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_settings_reach_the_app_and_a_test_push_reports_each_device() {
    let (fcm, apns) = (FakeFcm::start().await, FakeApns::start().await);
    let push = PushEndpoints { fcm_base_url: Some(fcm.base_url()), ca_file: apns.client_options().ca_file };
    let server = TestServer::start_with(GatewayConfig { push, ..GatewayConfig::default() }).await;
    let admin = server.server_client();
    let apple = ApnsSettings {
        p8: apns.p8_pem(),
        key_id: apns.key_id().into(),
        team_id: apns.team_id().into(),
        bundle_id: "app.nextoria.hub".into(),
        development: true,
    };
    apply(&admin, true, Some(&fcm.service_account_json()), Some(&apple)).await.unwrap();
    let app = admin.raw(Method::GET, "/app", &[], None).await.unwrap().body;
    assert_eq!(app["app"]["push_notifications"]["firebase"]["enabled"], true, "{app}");
    assert_eq!(app["app"]["push_notifications"]["apn"]["bundle_id"], "app.nextoria.hub");

    let broken = apply(&admin, true, Some(r#"{"type": "service_account"}"#), None).await.unwrap_err();
    assert_eq!((broken.status, broken.code), (400, Some(4)), "{broken}");

    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let device = json!({"id": "bob-phone", "push_provider": "firebase"});
    assert_eq!(server.user_client("bob").raw(Method::POST, "/devices", &[], Some(&device)).await.unwrap().status, 201);
    let body = json!({"message": {"text": "ping"}, "skip_push": true});
    let alice = server.user_client("alice");
    let sent = alice.raw(Method::POST, "/channels/team/general/message", &[], Some(&body)).await.unwrap();
    let message_id = sent.body["message"]["id"].as_str().unwrap().to_owned();
    let result = test_push(&admin, &message_id, "bob").await.unwrap();
    assert!(result.failures.is_empty(), "{result:?}");
    assert!(result.rendered_firebase.as_deref().is_some_and(|text| text.contains("ping")), "{result:?}");
    assert_eq!(fcm.sends().len(), 1, "the device got the test push");

    apply(&admin, false, Some(&fcm.service_account_json()), Some(&apple)).await.unwrap();
    let app = admin.raw(Method::GET, "/app", &[], None).await.unwrap().body;
    assert_eq!(app["app"]["push_notifications"]["firebase"]["enabled"], false);
    assert_eq!(app["app"]["push_notifications"]["apn"]["enabled"], false);
}

#[tokio::test]
async fn usage_comes_from_the_engine_and_warns_near_the_limit() {
    let server = TestServer::start().await;
    server.set_plan("free", None, None).await;
    server.create_users(&["u1", "u2", "u3", "u4"]).await;
    for user in ["u1", "u2", "u3", "u4"] {
        assert_eq!(server.user_client(user).raw(Method::GET, "/app", &[], None).await.unwrap().status, 200);
    }
    let usage = backend_usage(&server.server_client()).await.unwrap().expect("the engine has a usage API");
    assert!(!usage.estimate);
    assert_eq!(usage.plan, "free");
    assert_eq!((usage.monthly_active_users.count, usage.monthly_active_users.limit), (4, Some(5)));
    assert_eq!(usage.monthly_active_users.level(), Level::Warning, "4 of 5 is past 80 %");
    assert_eq!(usage.messages.map(|meter| meter.limit), Some(Some(500_000)));

    // A backend without a usage API (hosted Stream) answers 404: the Hub estimates instead.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(|| async {
        (axum::http::StatusCode::NOT_FOUND, axum::Json(json!({"code": 16, "message": "not found"})))
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    let other = rill_client::Client::server(&url, "key", "secret");
    assert_eq!(backend_usage(&other).await.unwrap(), None);
}
