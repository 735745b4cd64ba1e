//! Apple Push Notification service over its HTTP/2 provider API: `POST {host}/3/device/{token}` with an ES256
//! provider token (`key.rs`), errors sorted as `errors.rs` documents.
//!
//! APNs speaks only HTTP/2. The TLS config offers ALPN `h2` alone, and a response that did not come over
//! HTTP/2 is refused, so a proxy or server that downgrades is caught instead of half-working.

mod errors;
mod key;

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use rustls::pki_types::CertificateDer;
use serde_json::Value;

pub use key::ApnsKey;
use key::ProviderTokens;

use crate::http::{read_body, retry_after, transport_error};
use crate::options::{ClientOptions, Clock};
use crate::PushError;

const DEFAULT_HOST: &str = "https://api.push.apple.com";

/// One notification for one device, with the `apns-*` headers Apple reads.
#[derive(Debug, Clone, PartialEq)]
pub struct ApnsRequest {
    /// The hex device token from the app.
    pub device_token: String,
    /// `apns-topic`: the bundle id (with `.voip` etc. suffix for those push types).
    pub topic: String,
    /// `apns-push-type`: `alert`, `background`, `voip`, ...
    pub push_type: String,
    /// `apns-priority`: 10 (immediately) or 5 (power-considerate); Apple also accepts 1.
    pub priority: u8,
    /// `apns-expiration`: UNIX seconds after which Apple stops trying; 0 means deliver once or drop.
    pub expiration: Option<i64>,
    /// `apns-collapse-id`: notifications with the same id replace each other (at most 64 bytes).
    pub collapse_id: Option<String>,
    /// `apns-id`: a UUID naming the notification; Apple makes one when absent.
    pub id: Option<String>,
    /// The JSON payload, with its `aps` dictionary.
    pub payload: Value,
}

/// Sends to APNs with one signing key. Cheap to clone: clones share the HTTP/2 connection and the token.
#[derive(Clone)]
pub struct ApnsClient {
    http: reqwest::Client,
    tokens: Arc<ProviderTokens>,
    clock: Arc<dyn Clock>,
    host: String,
}

enum Attempt {
    Sent(String),
    ExpiredToken(PushError),
}

impl ApnsClient {
    pub fn new(key: ApnsKey, options: ClientOptions) -> Result<ApnsClient, PushError> {
        let tls = tls_config(&options)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .timeout(options.timeout)
            .build()
            .map_err(|err| PushError::Network { reason: format!("building the HTTP/2 client: {err}") })?;
        let tokens = Arc::new(ProviderTokens::new(key, options.clock.clone()));
        Ok(ApnsClient { http, tokens, clock: options.clock, host: DEFAULT_HOST.to_owned() })
    }

    /// Points the client at another APNs host, e.g. `https://api.sandbox.push.apple.com` for development
    /// builds, or a fake in tests.
    pub fn with_host(mut self, base: &str) -> ApnsClient {
        self.host = crate::http::base_url(base);
        self
    }

    /// Sends one notification and returns the `apns-id` Apple gave it. An `ExpiredProviderToken` answer gets
    /// one retry with a freshly signed token.
    pub async fn send(&self, request: &ApnsRequest) -> Result<String, PushError> {
        check_device_token(&request.device_token)?;
        let headers = apns_headers(request)?;
        let body = serde_json::to_vec(&request.payload)
            .map_err(|err| PushError::Rejected { status: 400, reason: format!("payload: {err}") })?;
        let token = self.tokens.get()?;
        match self.attempt(request, &headers, &body, &token).await? {
            Attempt::Sent(id) => return Ok(id),
            Attempt::ExpiredToken(_) => self.tokens.invalidate(&token),
        }
        tracing::debug!("APNs said the provider token expired; retrying once with a fresh one");
        let token = self.tokens.get()?;
        match self.attempt(request, &headers, &body, &token).await? {
            Attempt::Sent(id) => Ok(id),
            Attempt::ExpiredToken(err) => Err(err),
        }
    }

    async fn attempt(
        &self,
        request: &ApnsRequest,
        headers: &HeaderMap,
        body: &[u8],
        token: &str,
    ) -> Result<Attempt, PushError> {
        let url = format!("{}/3/device/{}", self.host, request.device_token);
        let builder = self.http.post(url).headers(headers.clone()).header(AUTHORIZATION, format!("bearer {token}"));
        let mut response = builder.body(body.to_vec()).send().await.map_err(transport_error)?;
        if response.version() != reqwest::Version::HTTP_2 {
            let reason = format!("APNs answered over {:?}; only HTTP/2 is allowed", response.version());
            return Err(PushError::Network { reason });
        }
        let status = response.status().as_u16();
        let wait = retry_after(response.headers(), self.clock.now());
        let apns_id = header_text(response.headers(), "apns-id");
        let body = read_body(&mut response).await?;
        if (200..300).contains(&status) {
            return Ok(Attempt::Sent(apns_id.or_else(|| request.id.clone()).unwrap_or_default()));
        }
        let reason = errors::reason(&body);
        let expired = status == 403 && reason == "ExpiredProviderToken";
        let err = errors::classify(status, reason, wait);
        if expired {
            return Ok(Attempt::ExpiredToken(err));
        }
        Err(err)
    }
}

/// A token that is not hex can only be garbage (and must not reach the URL path): Apple would answer
/// `BadDeviceToken`, so it is reported the same way without a round trip.
fn check_device_token(token: &str) -> Result<(), PushError> {
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(PushError::Unregistered { reason: "BadDeviceToken (not a hex device token)".into() });
    }
    Ok(())
}

fn apns_headers(request: &ApnsRequest) -> Result<HeaderMap, PushError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut put = |name: &'static str, value: &str| -> Result<(), PushError> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| PushError::Rejected { status: 400, reason: format!("{name} is not a valid header value") })?;
        headers.insert(HeaderName::from_static(name), value);
        Ok(())
    };
    put("apns-topic", &request.topic)?;
    put("apns-push-type", &request.push_type)?;
    put("apns-priority", &request.priority.to_string())?;
    if let Some(expiration) = request.expiration {
        put("apns-expiration", &expiration.to_string())?;
    }
    if let Some(collapse_id) = &request.collapse_id {
        put("apns-collapse-id", collapse_id)?;
    }
    if let Some(id) = &request.id {
        put("apns-id", id)?;
    }
    Ok(headers)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// rustls with the ring provider, the public web roots plus `ca_file`, and ALPN `h2` only.
fn tls_config(options: &ClientOptions) -> Result<rustls::ClientConfig, PushError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for der in crate::http::extra_roots(options.ca_file.as_deref())? {
        roots
            .add(CertificateDer::from(der))
            .map_err(|err| PushError::Credentials { reason: format!("ca_file certificate: {err}") })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| PushError::Network { reason: format!("TLS setup: {err}") })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

impl std::fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsClient").field("host", &self.host).finish_non_exhaustive()
    }
}
