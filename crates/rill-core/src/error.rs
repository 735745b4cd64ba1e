//! The core's error: one row of the Stream error table plus a human-readable detail.
//!
//! Internal failures (a database error, a poisoned lock) keep their cause for the log, while clients only ever see
//! a generic message: see [`CoreError::client_detail`].

use rill_protocol::error::ErrorCode;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct CoreError {
    pub code: ErrorCode,
    pub detail: String,
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> CoreError {
        CoreError { code, detail: detail.into() }
    }

    pub fn input(detail: impl Into<String>) -> CoreError {
        CoreError::new(ErrorCode::InputError, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> CoreError {
        CoreError::new(ErrorCode::DoesNotExist, detail)
    }

    pub fn not_allowed(detail: impl Into<String>) -> CoreError {
        CoreError::new(ErrorCode::NotAllowed, detail)
    }

    pub fn internal(detail: impl Into<String>) -> CoreError {
        CoreError::new(ErrorCode::Internal, detail)
    }

    /// What a client may read: internal details stay in the log.
    pub fn client_detail(&self) -> &str {
        if self.code == ErrorCode::Internal {
            "internal error"
        } else {
            &self.detail
        }
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(error: serde_json::Error) -> CoreError {
        CoreError::internal(format!("stored json: {error}"))
    }
}
