//! FcmClient against the fake FCM: OAuth2 exchange and caching, the send's wire format, error sorting, and
//! proof that the fake really verifies what it is sent.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rill_push::fcm::{FcmClient, ServiceAccount};
use rill_push::options::{ClientOptions, ManualClock};
use rill_push::testing::{FakeFcm, FakeOptions, FakeResponse, Times};
use rill_push::PushError;
use serde_json::{json, Value};

fn message(token: &str) -> Value {
    json!({"token": token, "notification": {"title": "Hi", "body": "New message"}, "data": {"channel": "c1"}})
}

async fn fake_with_clock() -> (FakeFcm, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let fake = FakeFcm::start_with(FakeOptions { clock: clock.clone(), ..FakeOptions::default() }).await;
    (fake, clock)
}

#[tokio::test]
async fn a_send_has_fcms_wire_format() {
    let fake = FakeFcm::start().await;
    let name = fake.client().send(&message("device-1")).await.unwrap();

    assert!(name.starts_with("projects/rill-fake-project/messages/"), "{name}");
    let log = fake.send_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].path, "/v1/projects/rill-fake-project/messages:send");
    assert!(log[0].authorization.starts_with("Bearer ya29.fake-1-"), "{}", log[0].authorization);
    assert!(log[0].content_type.starts_with("application/json"));
    assert_eq!(log[0].message, message("device-1"));
    assert_eq!(fake.sends(), vec![message("device-1")]);
    assert_eq!(fake.token_exchanges(), 1);
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_share_one_token_exchange() {
    let fake = FakeFcm::start().await;
    let client = fake.client();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..32 {
        let client = client.clone();
        tasks.spawn(async move { client.send(&message(&format!("device-{n}"))).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    client.send(&message("later")).await.unwrap();

    assert_eq!(fake.token_exchanges(), 1);
    assert_eq!(fake.sends().len(), 33);
    let bearers: std::collections::HashSet<String> = fake.send_log().into_iter().map(|s| s.authorization).collect();
    assert_eq!(bearers.len(), 1);
}

#[tokio::test]
async fn the_token_is_refreshed_a_minute_before_it_expires() {
    let (fake, clock) = fake_with_clock().await;
    let client = fake.client();
    client.send(&message("a")).await.unwrap();
    clock.advance(chrono::Duration::seconds(3000));
    client.send(&message("a")).await.unwrap();
    assert_eq!(fake.token_exchanges(), 1);

    // Past expires_in minus the margin, still before the fake would refuse the old token.
    clock.advance(chrono::Duration::seconds(550));
    client.send(&message("a")).await.unwrap();
    assert_eq!(fake.token_exchanges(), 2);
    assert_eq!(fake.rejections(), Vec::<String>::new(), "no send went out with an expired token");
}

#[tokio::test]
async fn a_revoked_token_gets_one_fresh_exchange_and_one_retry() {
    let fake = FakeFcm::start().await;
    let client = fake.client();
    client.send(&message("a")).await.unwrap();
    fake.revoke_access_tokens();

    client.send(&message("b")).await.unwrap();
    assert_eq!(fake.token_exchanges(), 2);
    assert_eq!(fake.sends(), vec![message("a"), message("b")]);
    let rejections = fake.rejections();
    assert_eq!(rejections.len(), 1);
    assert!(rejections[0].contains("revoked"), "{rejections:?}");
}

#[tokio::test]
async fn a_401_is_retried_once_only() {
    let fake = FakeFcm::start().await;
    let client = fake.client();
    fake.respond_to_token("once", FakeResponse::ExpiredAuth, Times::Once);
    client.send(&message("once")).await.unwrap();
    assert_eq!(fake.token_exchanges(), 2);

    fake.respond_to_token("always", FakeResponse::ExpiredAuth, Times::Always);
    let err = client.send(&message("always")).await.unwrap_err();
    assert!(matches!(err, PushError::Credentials { .. }), "{err:?}");
    assert_eq!(fake.token_exchanges(), 3, "one fresh token for the one retry");
}

#[tokio::test]
async fn fcm_errors_are_sorted() {
    let fake = FakeFcm::start().await;
    let client = fake.client();
    let cases = [
        (FakeResponse::Unregistered, "unregistered"),
        (FakeResponse::BadDeviceToken, "unregistered"),
        (FakeResponse::InvalidArgument, "rejected 400"),
        (FakeResponse::WrongSender, "rejected 403"),
        (FakeResponse::TooManyRequests { retry_after: Some(30) }, "retry 30"),
        (FakeResponse::Unavailable { retry_after: None }, "retry -"),
        (FakeResponse::InternalError, "retry -"),
    ];
    for (n, (response, expected)) in cases.into_iter().enumerate() {
        let token = format!("scripted-{n}");
        fake.respond_to_token(&token, response.clone(), Times::Once);
        let err = client.send(&message(&token)).await.unwrap_err();
        assert_eq!(sorted(&err), expected, "{response:?} gave {err:?}");
        client.send(&message(&token)).await.unwrap();
    }
    assert_eq!(fake.token_exchanges(), 1);
}

fn sorted(err: &PushError) -> String {
    match err {
        PushError::Unregistered { .. } => "unregistered".into(),
        PushError::Rejected { status, .. } => format!("rejected {status}"),
        PushError::Retryable { retry_after, .. } => {
            format!("retry {}", retry_after.map_or("-".into(), |d: Duration| d.as_secs().to_string()))
        }
        PushError::Credentials { .. } => "credentials".into(),
        PushError::Network { .. } => "network".into(),
    }
}

#[tokio::test]
async fn a_forged_assertion_is_refused_by_the_fake() {
    let fake = FakeFcm::start().await;
    let forged = ServiceAccount::from_json(&fake.forged_service_account_json()).unwrap();
    let client = FcmClient::new(forged, fake.client_options()).unwrap().with_base_url(&fake.base_url());

    let err = client.send(&message("a")).await.unwrap_err();
    let PushError::Credentials { reason } = &err else { panic!("{err:?}") };
    assert!(reason.contains("invalid_grant") && reason.contains("Invalid JWT Signature"), "{reason}");
    assert_eq!(fake.token_exchanges(), 0);
    assert!(fake.sends().is_empty());
    assert!(fake.rejections()[0].contains("Invalid JWT Signature"));
}

#[tokio::test]
async fn an_assertion_from_a_skewed_clock_is_refused() {
    let (fake, _) = fake_with_clock().await;
    let skewed = Arc::new(ManualClock::new(Utc::now() + chrono::Duration::hours(2)));
    let options = ClientOptions { clock: skewed, ..fake.client_options() };
    let client = FcmClient::new(fake.service_account(), options).unwrap().with_base_url(&fake.base_url());

    let err = client.send(&message("a")).await.unwrap_err();
    assert!(matches!(&err, PushError::Credentials { reason } if reason.contains("short-lived")), "{err:?}");
}

#[test]
fn bad_service_account_json_names_the_field() {
    let good: Value = serde_json::from_str(&good_account_json()).unwrap();
    for field in ["type", "project_id", "private_key", "client_email", "token_uri"] {
        let mut account = good.clone();
        account.as_object_mut().unwrap().remove(field);
        let err = ServiceAccount::from_json(&account.to_string()).unwrap_err();
        assert!(err.to_string().contains(&format!("`{field}`")), "{field}: {err}");
    }
    let mut account = good.clone();
    account["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let err = ServiceAccount::from_json(&account.to_string()).unwrap_err();
    assert!(err.to_string().contains("`private_key`"), "{err}");
    let mut account = good;
    account["type"] = json!("authorized_user");
    assert!(ServiceAccount::from_json(&account.to_string()).unwrap_err().to_string().contains("`type`"));
    assert!(matches!(ServiceAccount::from_json("not json"), Err(PushError::Credentials { .. })));
}

#[test]
fn debug_never_shows_the_private_key() {
    let json = good_account_json();
    let account = ServiceAccount::from_json(&json).unwrap();
    let debug = format!("{account:?}");
    let pem: Value = serde_json::from_str(&json).unwrap();
    let key_line = pem["private_key"].as_str().unwrap().lines().nth(1).unwrap().to_owned();
    assert!(debug.contains("rill-fake-project") && debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains(&key_line) && !debug.contains("PRIVATE KEY"), "{debug}");
}

/// A valid account without needing a running fake (its token_uri is never called here).
fn good_account_json() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async { FakeFcm::start().await.service_account_json() })
}

#[tokio::test]
async fn transport_failures_are_network_or_retryable() {
    let fake = FakeFcm::start().await;
    // A port with nobody listening: connect refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let client = fake.client().with_base_url(&format!("http://{closed}"));
    let err = client.send(&message("a")).await.unwrap_err();
    assert!(matches!(err, PushError::Network { .. }) && err.is_retryable(), "{err:?}");

    // A server that accepts and never answers: the client's timeout fires.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let options = ClientOptions { timeout: Duration::from_millis(300), ..fake.client_options() };
    let client =
        FcmClient::new(fake.service_account(), options).unwrap().with_base_url(&format!("http://{silent_addr}"));
    let hold = tokio::spawn(async move {
        let _connection = silent.accept().await;
        std::future::pending::<()>().await;
    });
    // The token comes from the fake; only messages:send goes to the silent server.
    let err = client.send(&message("a")).await.unwrap_err();
    assert!(matches!(&err, PushError::Retryable { reason, .. } if reason.contains("timed out")), "{err:?}");
    hold.abort();
}
