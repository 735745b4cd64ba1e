//! The one error type both push clients return, sorted by what the caller should do about it.

use std::time::Duration;

/// Why a push was not accepted. Each variant is a decision for the delivery engine, not a transport detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The device token is gone or was never valid: forget the device.
    #[error("device token unregistered: {reason}")]
    Unregistered { reason: String },
    /// The service is overloaded or failing, or the request timed out: try again later, no sooner than
    /// `retry_after` when the service said so.
    #[error("push service asked to retry: {reason}")]
    Retryable { reason: String, retry_after: Option<Duration> },
    /// Our own credentials are wrong (bad key or service account, token refused): retrying will not help until
    /// an operator fixes the configuration.
    #[error("push credentials refused: {reason}")]
    Credentials { reason: String },
    /// The service refused this request for another reason (payload, topic, sender): not worth retrying.
    #[error("push refused with status {status}: {reason}")]
    Rejected { status: u16, reason: String },
    /// Connecting or TLS failed before the service answered: retryable by the caller.
    #[error("push service unreachable: {reason}")]
    Network { reason: String },
}

impl PushError {
    /// Whether sending the same push again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, PushError::Retryable { .. } | PushError::Network { .. })
    }

    /// The delay the service asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PushError::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
