//! OAuth2 access tokens for FCM: a signed RS256 assertion exchanged at the account's `token_uri`
//! (RFC 7523 JWT bearer grant), cached until shortly before it expires.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::ServiceAccount;
use crate::http::{read_body, retry_after, transport_error};
use crate::options::Clock;
use crate::PushError;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Assertions live the longest Google allows.
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Refresh this long before the token expires so a send never races its expiry.
const SAFETY_MARGIN_SECS: i64 = 60;

struct Cached {
    value: String,
    refresh_at: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    token: Option<Cached>,
    /// The last exchange failure, so callers queued behind it share it instead of each trying in turn.
    failure: Option<(Instant, PushError)>,
}

/// Hands out a valid access token; concurrent callers during a refresh wait for the one exchange in flight.
pub(crate) struct TokenSource {
    account: ServiceAccount,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<i64>,
}

impl TokenSource {
    pub(crate) fn new(account: ServiceAccount, http: reqwest::Client, clock: Arc<dyn Clock>) -> TokenSource {
        TokenSource { account, http, clock, state: Mutex::new(State::default()) }
    }

    /// A cached token while fresh, else one new exchange. The lock is held across the exchange on purpose:
    /// that is what makes it single-flight.
    pub(crate) async fn get(&self) -> Result<String, PushError> {
        let asked_at = Instant::now();
        let mut state = self.state.lock().await;
        if let Some(token) = state.token.as_ref().filter(|t| self.clock.now() < t.refresh_at) {
            return Ok(token.value.clone());
        }
        if let Some((failed_at, err)) = &state.failure {
            if *failed_at >= asked_at {
                return Err(err.clone());
            }
        }
        match self.exchange().await {
            Ok(token) => {
                let value = token.value.clone();
                *state = State { token: Some(token), failure: None };
                Ok(value)
            }
            Err(err) => {
                state.failure = Some((Instant::now(), err.clone()));
                Err(err)
            }
        }
    }

    /// Forgets `stale` (refused by FCM) unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, stale: &str) {
        let mut state = self.state.lock().await;
        if state.token.as_ref().is_some_and(|t| t.value == stale) {
            state.token = None;
        }
    }

    async fn exchange(&self) -> Result<Cached, PushError> {
        let assertion = self.assertion()?;
        let form = [("grant_type", GRANT_TYPE), ("assertion", assertion.as_str())];
        let request = self.http.post(&self.account.token_uri).form(&form);
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let wait = retry_after(response.headers(), self.clock.now());
        let body = read_body(&mut response).await?;
        if !status.is_success() {
            return Err(refused(status.as_u16(), wait, &body));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| PushError::Credentials { reason: "token endpoint answered without an access_token".into() })?;
        let lifetime = parsed.expires_in.unwrap_or(3600).max(1);
        let early = SAFETY_MARGIN_SECS.min(lifetime / 2);
        let refresh_at = self.clock.now() + chrono::Duration::seconds(lifetime - early);
        tracing::debug!(client_email = %self.account.client_email, lifetime, "FCM access token obtained");
        Ok(Cached { value: parsed.access_token, refresh_at })
    }

    fn assertion(&self) -> Result<String, PushError> {
        let account = &self.account;
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &account.private_key_id {
            header["kid"] = json!(kid);
        }
        let iat = self.clock.now().timestamp();
        let claims = json!({
            "iss": account.client_email,
            "scope": SCOPE,
            "aud": account.token_uri,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        crate::jwt::sign_rs256(&account.key, &header, &claims)
    }
}

/// A refused exchange: overload is retryable, anything else means our credentials are wrong.
fn refused(status: u16, wait: Option<std::time::Duration>, body: &[u8]) -> PushError {
    let detail = oauth_error(body);
    let reason = format!("token endpoint answered {status}: {detail}");
    if status == 429 || status >= 500 {
        PushError::Retryable { reason, retry_after: wait }
    } else {
        PushError::Credentials { reason }
    }
}

/// `error: error_description` from an OAuth2 error body (RFC 6749 §5.2), or an excerpt of whatever came.
fn oauth_error(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<OAuthError>(body) {
        Ok(e) => format!("{}{}", e.error, e.error_description.map(|d| format!(": {d}")).unwrap_or_default()),
        Err(_) => crate::http::excerpt(body),
    }
}
