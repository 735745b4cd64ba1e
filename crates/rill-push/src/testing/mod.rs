//! Local fake FCM and APNs servers for tests (feature `testing`). They check what real clients must get
//! right — JWT signatures and claims, bearer tokens, paths, headers, payload shape, HTTP/2 over TLS — and
//! answer as Google and Apple do, including scripted failures per device token.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use rill_push::testing::{FakeFcm, FakeResponse, Times};
//! use rill_push::PushError;
//!
//! let fcm = FakeFcm::start().await;
//! fcm.respond_to_token("gone", FakeResponse::Unregistered, Times::Once);
//! let err = fcm.client().send(&serde_json::json!({"token": "gone"})).await.unwrap_err();
//! assert!(matches!(err, PushError::Unregistered { .. }));
//! assert_eq!(fcm.token_exchanges(), 1);
//! # });
//! ```

mod apns;
mod fcm;
mod server;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

pub use apns::{ApnsSend, FakeApns};
pub use fcm::{FakeFcm, FcmSend};

use crate::options::{Clock, SystemClock};

/// A scripted answer to a send for one device token. Each fake answers in its service's own words:
/// the docs give FCM's and APNs's status and error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeResponse {
    /// FCM: 404 `UNREGISTERED`. APNs: 410 `Unregistered`.
    Unregistered,
    /// FCM: 400 `INVALID_ARGUMENT` naming `message.token`. APNs: 400 `BadDeviceToken`.
    BadDeviceToken,
    /// FCM: 400 `INVALID_ARGUMENT` about a payload field. APNs: 400 `BadTopic`.
    InvalidArgument,
    /// FCM: 403 `SENDER_ID_MISMATCH`. APNs: 400 `DeviceTokenNotForTopic`.
    WrongSender,
    /// 429: FCM `QUOTA_EXCEEDED`, APNs `TooManyRequests`; `Retry-After` in seconds when given.
    TooManyRequests { retry_after: Option<u64> },
    /// 500: FCM `INTERNAL`, APNs `InternalServerError`.
    InternalError,
    /// 503: FCM `UNAVAILABLE`, APNs `ServiceUnavailable`; `Retry-After` in seconds when given.
    Unavailable { retry_after: Option<u64> },
    /// FCM: 401 `UNAUTHENTICATED` (as for an expired access token). APNs: 403 `ExpiredProviderToken`.
    ExpiredAuth,
    /// Any status and body, sent as is with `content-type: application/json`.
    Raw { status: u16, body: String },
}

/// How often a scripted response applies before the token is served normally again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    Once,
    Always,
}

/// How a fake is started.
#[derive(Clone)]
pub struct FakeOptions {
    /// The fake's notion of now (for JWT `iat`/`exp` and token expiry); share it with the client's options.
    pub clock: Arc<dyn Clock>,
    /// FCM only: the `expires_in` of issued access tokens, after which the fake refuses them with 401.
    pub token_lifetime: Duration,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions { clock: Arc::new(SystemClock), token_lifetime: Duration::from_secs(3600) }
    }
}

/// Scripted responses per device token, first in first out; an `Always` entry stays at the front.
#[derive(Default)]
struct Scripts(HashMap<String, VecDeque<(FakeResponse, Times)>>);

impl Scripts {
    fn push(&mut self, token: &str, response: FakeResponse, times: Times) {
        self.0.entry(token.to_owned()).or_default().push_back((response, times));
    }

    fn take(&mut self, token: &str) -> Option<FakeResponse> {
        let queue = self.0.get_mut(token)?;
        let (response, times) = queue.front()?.clone();
        if times == Times::Once {
            queue.pop_front();
        }
        Some(response)
    }
}

/// Random lowercase hex, for ids and access tokens.
fn random_hex(bytes: usize) -> String {
    use ring::rand::SecureRandom as _;
    let mut buf = vec![0u8; bytes];
    // The system RNG failing is not something a test fake can recover from; zeros still make a valid id.
    let _ = ring::rand::SystemRandom::new().fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
