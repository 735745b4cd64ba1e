//! Sorting APNs error answers (`{"reason": "..."}`) into [`PushError`]s.
//!
//! | APNs answer | PushError | why |
//! | --- | --- | --- |
//! | 410 (`Unregistered`, `ExpiredToken`) | `Unregistered` | the device is gone |
//! | 400 `BadDeviceToken` | `Unregistered` | the token is malformed or for the other environment |
//! | 400 `DeviceTokenNotForTopic` | `Rejected` | usually a misconfigured bundle id (`apns-topic`): treating it as unregistered would wipe every device of the app |
//! | 403 (`InvalidProviderToken`, `MissingProviderToken`, `ExpiredProviderToken` after one fresh token, ...) | `Credentials` | key, key id or team id is wrong |
//! | 429 (`TooManyRequests`, `TooManyProviderTokenUpdates`), 500, 503, any 5xx | `Retryable` | with `Retry-After` when sent |
//! | 413 `PayloadTooLarge`, any other 4xx | `Rejected` | the request itself is wrong |

use std::time::Duration;

use serde::Deserialize;

use crate::PushError;

#[derive(Deserialize)]
struct Body {
    reason: String,
}

/// The `reason` from an error body, or an excerpt when the body is not APNs's JSON.
pub(crate) fn reason(body: &[u8]) -> String {
    match serde_json::from_slice::<Body>(body) {
        Ok(body) => body.reason,
        Err(_) => crate::http::excerpt(body),
    }
}

pub(crate) fn classify(status: u16, reason: String, retry_after: Option<Duration>) -> PushError {
    match (status, reason.as_str()) {
        (410, _) | (400, "BadDeviceToken") => PushError::Unregistered { reason },
        (403, _) => PushError::Credentials { reason },
        (429 | 500..=599, _) => PushError::Retryable { reason, retry_after },
        _ => PushError::Rejected { status, reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_for_topic_never_unregisters() {
        let err = classify(400, reason(br#"{"reason":"DeviceTokenNotForTopic"}"#), None);
        assert_eq!(err, PushError::Rejected { status: 400, reason: "DeviceTokenNotForTopic".into() });
        assert!(matches!(classify(410, "ExpiredToken".into(), None), PushError::Unregistered { .. }));
        assert!(matches!(classify(502, reason(b"<html>"), None), PushError::Retryable { .. }));
    }
}
