//! The Hub's one error: an HTTP status, a stable snake_case code and a message for people.
//!
//! Internal failures keep their detail for the log; a client only ever reads "internal error" for them (see
//! [`HubError::client_message`]). The API renders every error as `{"error": {"code", "message"}}`.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct HubError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds until a refused attempt may be made again (429 only).
    pub retry_after_seconds: Option<u64>,
}

pub type HubResult<T> = Result<T, HubError>;

impl HubError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> HubError {
        HubError { status, code, message: message.into(), retry_after_seconds: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::new(400, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::new(401, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::new(403, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> HubError {
        HubError::new(404, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::new(409, code, message)
    }

    pub fn too_many_attempts(retry_after_seconds: u64) -> HubError {
        HubError {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..HubError::new(429, "too_many_attempts", "too many failed sign-ins; try again later")
        }
    }

    pub fn internal(detail: impl Into<String>) -> HubError {
        HubError::new(500, "internal", detail)
    }

    pub fn is_internal(&self) -> bool {
        self.status >= 500
    }

    /// What a client may read: an internal error's detail stays in the log.
    pub fn client_message(&self) -> &str {
        if self.is_internal() {
            "internal error"
        } else {
            &self.message
        }
    }
}

impl fmt::Debug for HubError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for HubError {}

impl From<serde_json::Error> for HubError {
    fn from(error: serde_json::Error) -> HubError {
        HubError::internal(format!("json: {error}"))
    }
}

impl From<rill_core::error::CoreError> for HubError {
    fn from(error: rill_core::error::CoreError) -> HubError {
        HubError::internal(error.detail)
    }
}
