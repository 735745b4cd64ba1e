//! ApnsClient against the fake APNs: HTTP/2 over TLS, the provider token's shape and lifetime, the `apns-*`
//! headers, error sorting, and proof that the fake really verifies what it is sent.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use rill_push::apns::{ApnsClient, ApnsKey, ApnsRequest};
use rill_push::options::{ClientOptions, ManualClock};
use rill_push::testing::{FakeApns, FakeOptions, FakeResponse, Times};
use rill_push::PushError;
use serde_json::{json, Value};

const TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn request(device_token: &str) -> ApnsRequest {
    ApnsRequest {
        device_token: device_token.to_owned(),
        topic: "chat.rill.app".to_owned(),
        push_type: "alert".to_owned(),
        priority: 10,
        expiration: None,
        collapse_id: None,
        id: None,
        payload: json!({"aps": {"alert": {"title": "Hi", "body": "New message"}}, "channel": "c1"}),
    }
}

async fn fake_with_clock() -> (FakeApns, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let fake = FakeApns::start_with(FakeOptions { clock: clock.clone(), ..FakeOptions::default() }).await;
    (fake, clock)
}

fn jwt_part(jwt: &str, index: usize) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(jwt.split('.').nth(index).unwrap()).unwrap()
}

#[tokio::test]
async fn a_send_goes_over_http2_with_apples_headers_and_a_valid_token() {
    let (fake, clock) = fake_with_clock().await;
    let mut full = request(TOKEN);
    full.expiration = Some(1_900_000_000);
    full.collapse_id = Some("channel-c1".to_owned());
    full.id = Some("123E4567-E89B-12D3-A456-426614174000".to_owned());
    let apns_id = fake.client().send(&full).await.unwrap();
    assert_eq!(apns_id, "123E4567-E89B-12D3-A456-426614174000");

    let sends = fake.sends();
    assert_eq!(sends.len(), 1);
    let sent = &sends[0];
    assert_eq!((sent.http_version.as_str(), sent.alpn.as_str()), ("HTTP/2.0", "h2"));
    assert_eq!(sent.device_token, TOKEN);
    let header = |name: &str| sent.headers.get(name).map(String::as_str);
    assert_eq!(header("apns-topic"), Some("chat.rill.app"));
    assert_eq!(header("apns-push-type"), Some("alert"));
    assert_eq!(header("apns-priority"), Some("10"));
    assert_eq!(header("apns-expiration"), Some("1900000000"));
    assert_eq!(header("apns-collapse-id"), Some("channel-c1"));
    assert_eq!(header("apns-id"), Some("123E4567-E89B-12D3-A456-426614174000"));
    assert_eq!(header("authorization"), Some(format!("bearer {}", sent.provider_token).as_str()));
    assert_eq!(sent.payload, full.payload);

    let jwt_header: Value = serde_json::from_slice(&jwt_part(&sent.provider_token, 0)).unwrap();
    let claims: Value = serde_json::from_slice(&jwt_part(&sent.provider_token, 1)).unwrap();
    assert_eq!(jwt_header, json!({"alg": "ES256", "kid": "FAKEKEY001"}));
    assert_eq!(claims, json!({"iss": "FAKETEAM01", "iat": clock.now_secs()}));
    assert_eq!(jwt_part(&sent.provider_token, 2).len(), 64, "raw R||S, not DER");
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

trait NowSecs {
    fn now_secs(&self) -> i64;
}

impl NowSecs for ManualClock {
    fn now_secs(&self) -> i64 {
        rill_push::options::Clock::now(self).timestamp()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sends_share_one_connection_and_one_token() {
    let fake = FakeApns::start().await;
    let client = fake.client();
    client.send(&request(TOKEN)).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let client = client.clone();
        tasks.spawn(async move { client.send(&request(TOKEN)).await });
    }
    while let Some(result) = tasks.join_next().await {
        let apns_id = result.unwrap().unwrap();
        assert_eq!(apns_id.len(), 36, "Apple-style UUID: {apns_id}");
    }
    assert_eq!(fake.sends().len(), 21);
    assert_eq!(fake.connections(), 1, "HTTP/2 multiplexes on one connection");
    assert_eq!(fake.provider_tokens().len(), 1);
}

#[tokio::test]
async fn the_provider_token_is_reused_for_50_minutes_then_resigned() {
    let (fake, clock) = fake_with_clock().await;
    let client = fake.client();
    client.send(&request(TOKEN)).await.unwrap();
    clock.advance(chrono::Duration::minutes(49));
    client.send(&request(TOKEN)).await.unwrap();
    assert_eq!(fake.provider_tokens().len(), 1);

    clock.advance(chrono::Duration::minutes(2));
    client.send(&request(TOKEN)).await.unwrap();
    let tokens = fake.provider_tokens();
    assert_eq!(tokens.len(), 2);
    let claims: Value = serde_json::from_slice(&jwt_part(&tokens[1], 1)).unwrap();
    assert_eq!(claims["iat"], clock.now_secs());
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

#[tokio::test]
async fn expired_provider_token_is_resigned_and_retried_once() {
    let fake = FakeApns::start().await;
    let client = fake.client();
    fake.respond_to_token(TOKEN, FakeResponse::ExpiredAuth, Times::Once);
    client.send(&request(TOKEN)).await.unwrap();
    assert_eq!(fake.provider_tokens().len(), 2, "a fresh token for the retry");
    assert_eq!(fake.sends().len(), 1);

    fake.respond_to_token(TOKEN, FakeResponse::ExpiredAuth, Times::Always);
    let err = client.send(&request(TOKEN)).await.unwrap_err();
    assert!(matches!(&err, PushError::Credentials { reason } if reason == "ExpiredProviderToken"), "{err:?}");
    assert_eq!(fake.provider_tokens().len(), 3, "exactly one retry");
}

#[tokio::test]
async fn a_token_apple_finds_too_old_is_refused_by_the_fake() {
    // The client's clock lags the fake's by 61 minutes, so every token it signs is already expired.
    let (fake, fake_clock) = fake_with_clock().await;
    fake_clock.advance(chrono::Duration::minutes(61));
    let lagging = Arc::new(ManualClock::new(Utc::now()));
    let options = ClientOptions { clock: lagging, ..fake.client_options() };
    let client = ApnsClient::new(fake.key(), options).unwrap().with_host(&fake.host());

    let err = client.send(&request(TOKEN)).await.unwrap_err();
    assert!(matches!(err, PushError::Credentials { .. }), "{err:?}");
    let rejections = fake.rejections();
    assert_eq!(rejections.len(), 2, "one try and one retry: {rejections:?}");
    assert!(rejections.iter().all(|r| r.starts_with("ExpiredProviderToken")), "{rejections:?}");
}

#[tokio::test]
async fn apns_errors_are_sorted() {
    let fake = FakeApns::start().await;
    let client = fake.client();
    let invalid = FakeResponse::Raw { status: 403, body: r#"{"reason":"InvalidProviderToken"}"#.into() };
    let cases = [
        (FakeResponse::Unregistered, "unregistered Unregistered"),
        (FakeResponse::BadDeviceToken, "unregistered BadDeviceToken"),
        (FakeResponse::WrongSender, "rejected 400 DeviceTokenNotForTopic"),
        (FakeResponse::InvalidArgument, "rejected 400 BadTopic"),
        (FakeResponse::TooManyRequests { retry_after: Some(5) }, "retry 5 TooManyRequests"),
        (FakeResponse::InternalError, "retry - InternalServerError"),
        (FakeResponse::Unavailable { retry_after: None }, "retry - ServiceUnavailable"),
        (invalid, "credentials InvalidProviderToken"),
    ];
    for (response, expected) in cases {
        fake.respond_to_token(TOKEN, response.clone(), Times::Once);
        let err = client.send(&request(TOKEN)).await.unwrap_err();
        assert_eq!(sorted(&err), expected, "{response:?} gave {err:?}");
    }
    client.send(&request(TOKEN)).await.unwrap();
    assert_eq!(fake.provider_tokens().len(), 1);
}

fn sorted(err: &PushError) -> String {
    match err {
        PushError::Unregistered { reason } => format!("unregistered {reason}"),
        PushError::Rejected { status, reason } => format!("rejected {status} {reason}"),
        PushError::Retryable { retry_after, reason } => {
            let wait = retry_after.map_or("-".into(), |d: Duration| d.as_secs().to_string());
            format!("retry {wait} {reason}")
        }
        PushError::Credentials { reason } => format!("credentials {reason}"),
        PushError::Network { reason } => format!("network {reason}"),
    }
}

#[tokio::test]
async fn payload_and_headers_are_checked_by_the_fake() {
    let fake = FakeApns::start().await;
    let client = fake.client();
    let mut big = request(TOKEN);
    big.payload = json!({"aps": {"alert": "x"}, "blob": "x".repeat(4500)});
    let err = client.send(&big).await.unwrap_err();
    assert_eq!(err, PushError::Rejected { status: 413, reason: "PayloadTooLarge".into() });
    big.push_type = "voip".to_owned();
    big.topic = "chat.rill.app.voip".to_owned();
    client.send(&big).await.unwrap();

    let mut bad = request(TOKEN);
    bad.payload = json!({"alert": "no aps"});
    assert!(
        matches!(client.send(&bad).await, Err(PushError::Rejected { status: 400, reason }) if reason == "BadPayload")
    );
    let mut bad = request(TOKEN);
    bad.push_type = "shout".to_owned();
    assert!(matches!(client.send(&bad).await, Err(PushError::Rejected { reason, .. }) if reason == "InvalidPushType"));
    let mut bad = request(TOKEN);
    bad.priority = 7;
    assert!(matches!(client.send(&bad).await, Err(PushError::Rejected { reason, .. }) if reason == "BadPriority"));
    let mut bad = request(TOKEN);
    bad.id = Some("not-a-uuid".to_owned());
    assert!(matches!(client.send(&bad).await, Err(PushError::Rejected { reason, .. }) if reason == "BadMessageId"));
    assert_eq!(fake.rejections().len(), 5, "{:?}", fake.rejections());
    assert_eq!(fake.sends().len(), 1);
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let fake = FakeApns::start().await;
    let client = ApnsClient::new(fake.forged_key(), fake.client_options()).unwrap().with_host(&fake.host());
    let err = client.send(&request(TOKEN)).await.unwrap_err();
    assert_eq!(err, PushError::Credentials { reason: "InvalidProviderToken".into() });
    assert!(fake.rejections()[0].contains("signature does not verify"), "{:?}", fake.rejections());
    assert!(fake.sends().is_empty());
}

#[tokio::test]
async fn a_server_outside_the_trusted_roots_is_a_network_error() {
    let fake = FakeApns::start().await;
    let options = ClientOptions { ca_file: None, ..fake.client_options() };
    let client = ApnsClient::new(fake.key(), options).unwrap().with_host(&fake.host());
    let err = client.send(&request(TOKEN)).await.unwrap_err();
    assert!(matches!(&err, PushError::Network { reason } if reason.contains("certificate")), "{err:?}");
    assert!(fake.sends().is_empty());
}

#[tokio::test]
async fn a_malformed_device_token_never_leaves_the_client() {
    let fake = FakeApns::start().await;
    let err = fake.client().send(&request("../../admin")).await.unwrap_err();
    assert!(matches!(err, PushError::Unregistered { .. }), "{err:?}");
    assert_eq!(fake.connections(), 0);
}

#[tokio::test]
async fn keys_are_checked_and_never_printed() {
    let fake = FakeApns::start().await;
    let pem = fake.p8_pem();
    let key = ApnsKey::from_p8(&pem, "FAKEKEY001", "FAKETEAM01").unwrap();
    let debug = format!("{key:?}");
    let key_line = pem.lines().nth(1).unwrap();
    assert!(debug.contains("FAKEKEY001") && debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains(key_line), "{debug}");

    let err = ApnsKey::from_p8("not a key", "FAKEKEY001", "FAKETEAM01").unwrap_err();
    assert!(matches!(err, PushError::Credentials { .. }));
    assert!(ApnsKey::from_p8(&pem, "", "FAKETEAM01").is_err());
    assert!(ApnsKey::from_p8(&pem, "FAKEKEY001", "team\n01").is_err());
}
