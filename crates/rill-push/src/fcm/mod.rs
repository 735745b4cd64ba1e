//! Firebase Cloud Messaging over the HTTP v1 API: `POST {base}/v1/projects/{project_id}/messages:send` with an
//! OAuth2 access token obtained from a service account. `token.rs` has the exchange and its cache, `errors.rs`
//! the table of how FCM's answers become [`PushError`]s.

mod account;
mod errors;
mod token;

use std::sync::Arc;

use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use account::ServiceAccount;
use errors::FcmFailure;
use token::TokenSource;

use crate::http::{read_body, retry_after, transport_error};
use crate::options::{ClientOptions, Clock};
use crate::PushError;

const DEFAULT_BASE_URL: &str = "https://fcm.googleapis.com";

/// Sends FCM v1 messages for one service account. Cheap to clone: clones share the connection pool and the
/// cached access token.
#[derive(Clone)]
pub struct FcmClient {
    http: reqwest::Client,
    tokens: Arc<TokenSource>,
    clock: Arc<dyn Clock>,
    send_url: String,
    project_id: String,
}

/// The request body FCM expects: the message wrapped in `{"message": ...}`.
#[derive(Serialize)]
struct Envelope<'a> {
    message: &'a Value,
}

#[derive(Deserialize)]
struct Sent {
    name: String,
}

/// One attempt's result, keeping a 401 apart so the caller can retry it with a fresh token.
enum Attempt {
    Sent(String),
    StaleToken(PushError),
}

impl FcmClient {
    pub fn new(account: ServiceAccount, options: ClientOptions) -> Result<FcmClient, PushError> {
        let http = http_client(&options)?;
        let project_id = account.project_id.clone();
        let tokens = Arc::new(TokenSource::new(account, http.clone(), options.clock.clone()));
        let send_url = send_url(DEFAULT_BASE_URL, &project_id);
        Ok(FcmClient { http, tokens, clock: options.clock, send_url, project_id })
    }

    /// Points the client at another FCM endpoint (a fake in tests, `RILL_FCM_BASE_URL` in the engine).
    pub fn with_base_url(mut self, base: &str) -> FcmClient {
        self.send_url = send_url(base, &self.project_id);
        self
    }

    /// Sends one FCM v1 `message` object and returns the message name FCM assigned
    /// (`projects/{id}/messages/{n}`). A 401 gets one retry with a freshly exchanged token.
    pub async fn send(&self, message: &Value) -> Result<String, PushError> {
        let token = self.tokens.get().await?;
        match self.attempt(message, &token).await? {
            Attempt::Sent(name) => return Ok(name),
            Attempt::StaleToken(_) => self.tokens.invalidate(&token).await,
        }
        tracing::debug!("FCM refused the access token; retrying once with a fresh one");
        let token = self.tokens.get().await?;
        match self.attempt(message, &token).await? {
            Attempt::Sent(name) => Ok(name),
            Attempt::StaleToken(err) => Err(err),
        }
    }

    async fn attempt(&self, message: &Value, token: &str) -> Result<Attempt, PushError> {
        let request = self.http.post(&self.send_url).header(AUTHORIZATION, format!("Bearer {token}"));
        let request = request.header(ACCEPT, "application/json").json(&Envelope { message });
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers(), self.clock.now());
        let body = read_body(&mut response).await?;
        if (200..300).contains(&status) {
            return sent_name(&body).map(Attempt::Sent);
        }
        let failure = FcmFailure::parse(&body);
        if status == 401 && failure.is_stale_access_token() {
            return Ok(Attempt::StaleToken(failure.into_error(status, wait)));
        }
        Err(failure.into_error(status, wait))
    }
}

/// The message name from a success body. A 2xx without one is reported as not retryable, since the message
/// may well have been delivered and a retry would duplicate it.
fn sent_name(body: &[u8]) -> Result<String, PushError> {
    let sent: Sent = serde_json::from_slice(body).map_err(|_| PushError::Rejected {
        status: 200,
        reason: format!("FCM accepted the message but answered without a name: {}", crate::http::excerpt(body)),
    })?;
    Ok(sent.name)
}

fn send_url(base: &str, project_id: &str) -> String {
    format!("{}/v1/projects/{project_id}/messages:send", crate::http::base_url(base))
}

fn http_client(options: &ClientOptions) -> Result<reqwest::Client, PushError> {
    let mut builder = reqwest::Client::builder().timeout(options.timeout);
    for der in crate::http::extra_roots(options.ca_file.as_deref())? {
        let cert = reqwest::Certificate::from_der(&der)
            .map_err(|err| PushError::Credentials { reason: format!("ca_file certificate: {err}") })?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|err| PushError::Network { reason: format!("building the HTTP client: {err}") })
}

impl std::fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmClient").field("send_url", &self.send_url).finish_non_exhaustive()
    }
}
