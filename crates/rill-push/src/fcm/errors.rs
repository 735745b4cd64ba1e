//! Sorting FCM's error answers (a `google.rpc.Status` JSON body) into [`PushError`]s.
//!
//! | FCM answer | PushError | why |
//! | --- | --- | --- |
//! | `UNREGISTERED` (404) | `Unregistered` | the app was uninstalled or the token expired |
//! | `INVALID_ARGUMENT` (400) naming `message.token` | `Unregistered` | the token is malformed, it can never work |
//! | other `INVALID_ARGUMENT` (400) | `Rejected` | the payload is wrong, retrying will not help |
//! | `SENDER_ID_MISMATCH` (403) | `Rejected` | the token belongs to another Firebase project; a wrong service account would report this for every device, so it must not wipe them |
//! | `PERMISSION_DENIED` (403), `THIRD_PARTY_AUTH_ERROR` (401), `UNAUTHENTICATED` (401, after one fresh token) | `Credentials` | configuration an operator has to fix |
//! | `QUOTA_EXCEEDED` (429), `UNAVAILABLE` (503), `INTERNAL` (500), any 5xx | `Retryable` | with `Retry-After` when sent |
//! | 404 without `UNREGISTERED`, any other 4xx | `Rejected` | a wrong URL or project is not the device's fault |

use std::time::Duration;

use serde::Deserialize;

use crate::PushError;

/// What we need from the body: the canonical status, FCM's own `errorCode`, and whether the token was named.
#[derive(Debug, Default)]
pub(crate) struct FcmFailure {
    pub(crate) status: Option<String>,
    pub(crate) error_code: Option<String>,
    pub(crate) message: String,
    pub(crate) names_token: bool,
}

#[derive(Deserialize)]
struct Envelope {
    error: Status,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    message: String,
    status: Option<String>,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    error_code: Option<String>,
    #[serde(default)]
    field_violations: Vec<FieldViolation>,
}

#[derive(Deserialize)]
struct FieldViolation {
    #[serde(default)]
    field: String,
}

impl FcmFailure {
    pub(crate) fn parse(body: &[u8]) -> FcmFailure {
        let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
            return FcmFailure { message: crate::http::excerpt(body), ..FcmFailure::default() };
        };
        let error_code = error.details.iter().find_map(|d| d.error_code.clone());
        let violations = error.details.iter().flat_map(|d| &d.field_violations);
        let names_token = violations.into_iter().any(|v| v.field == "message.token")
            || error.message.to_ascii_lowercase().contains("registration token");
        FcmFailure { status: error.status, error_code, message: error.message, names_token }
    }

    /// FCM's specific code when given, else the canonical status.
    pub(crate) fn code(&self) -> &str {
        self.error_code.as_deref().or(self.status.as_deref()).unwrap_or("")
    }

    /// Whether this 401 is about our access token (worth one fresh token) rather than a third party's key.
    pub(crate) fn is_stale_access_token(&self) -> bool {
        self.code() != "THIRD_PARTY_AUTH_ERROR"
    }

    pub(crate) fn into_error(self, http_status: u16, retry_after: Option<Duration>) -> PushError {
        let code = self.code().to_owned();
        let reason = if code.is_empty() { self.message.clone() } else { format!("{code}: {}", self.message) };
        match (code.as_str(), http_status) {
            ("UNREGISTERED", _) => PushError::Unregistered { reason },
            ("INVALID_ARGUMENT", _) | (_, 400) if self.names_token => PushError::Unregistered { reason },
            ("SENDER_ID_MISMATCH", _) => PushError::Rejected { status: http_status, reason },
            ("PERMISSION_DENIED" | "THIRD_PARTY_AUTH_ERROR" | "UNAUTHENTICATED", _) | (_, 401) => {
                PushError::Credentials { reason }
            }
            ("QUOTA_EXCEEDED" | "UNAVAILABLE" | "INTERNAL", _) | (_, 429 | 500..=599) => {
                PushError::Retryable { reason, retry_after }
            }
            _ => PushError::Rejected { status: http_status, reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort(status: u16, body: &str) -> PushError {
        FcmFailure::parse(body.as_bytes()).into_error(status, None)
    }

    #[test]
    fn a_plain_404_does_not_unregister() {
        let body = r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}"#;
        assert!(matches!(sort(404, body), PushError::Rejected { status: 404, .. }));
    }

    #[test]
    fn invalid_argument_unregisters_only_when_it_names_the_token() {
        let token = r#"{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}"#;
        let payload = r#"{"error":{"code":400,"message":"Invalid value at 'message.data[0].value'","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.data[0].value"}]}]}}"#;
        assert!(matches!(sort(400, token), PushError::Unregistered { .. }));
        assert!(matches!(sort(400, payload), PushError::Rejected { status: 400, .. }));
    }

    #[test]
    fn sender_mismatch_is_rejected_and_permission_is_credentials() {
        let mismatch = r#"{"error":{"code":403,"message":"SenderId mismatch","status":"PERMISSION_DENIED","details":[{"errorCode":"SENDER_ID_MISMATCH"}]}}"#;
        let denied = r#"{"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}}"#;
        assert!(matches!(sort(403, mismatch), PushError::Rejected { status: 403, .. }));
        assert!(matches!(sort(403, denied), PushError::Credentials { .. }));
        assert!(matches!(sort(502, "<html>bad gateway</html>"), PushError::Retryable { .. }));
    }
}
