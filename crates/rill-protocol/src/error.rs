//! The Stream error table and the `APIError` body.
//!
//! Every error Rill returns is one row of [`ErrorCode`]: clients branch on the numeric code (a token is refreshed
//! only on code 40), so a code must mean the same thing in every handler. Each row is written exactly once here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = ($code:expr, $status:expr);)*) => {
        /// One row of Stream's error table: a stable numeric code and the HTTP status it travels with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($(#[$doc])* $name,)* }

        impl ErrorCode {
            /// The numeric code clients see in `code`.
            pub fn code(self) -> i32 { match self { $(ErrorCode::$name => $code,)* } }
            /// The HTTP status that carries this code.
            pub fn status(self) -> u16 { match self { $(ErrorCode::$name => $status,)* } }
            /// Every row, for documentation and table tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];
        }
    };
}

error_codes! {
    /// Validation failure, unknown enum value, bad filter or sort, missing acting user.
    InputError = (4, 400);
    /// `api_key` missing or unknown.
    AuthenticationFailed = (2, 401);
    /// Token missing or malformed, or its `user_id` does not match the request.
    NotAuthenticated = (5, 401);
    /// Username taken under `enforce_unique_usernames`.
    DuplicateUsername = (6, 400);
    /// Rate limit exceeded.
    RateLimited = (9, 429);
    /// Unknown object or route.
    DoesNotExist = (16, 404);
    /// Permission denied.
    NotAllowed = (17, 403);
    /// Event type disabled by the channel config.
    EventNotSupported = (18, 400);
    /// Feature (reactions, replies, search, ...) disabled on the channel type.
    ChannelFeatureNotSupported = (19, 400);
    /// Message text longer than `max_message_length`.
    MessageTooLong = (20, 400);
    /// `parent_id` points at a reply.
    MultipleNestingLevel = (21, 400);
    /// Body over the size limit.
    PayloadTooBig = (22, 413);
    /// Handler deadline exceeded.
    RequestTimeout = (23, 408);
    /// Request headers too large.
    HeadersTooLarge = (24, 431);
    /// Token expired or revoked: the one code on which clients fetch a fresh token.
    TokenExpired = (40, 401);
    /// Token not valid yet (`nbf`).
    TokenNotValidYet = (41, 401);
    /// Token issued in the future (`iat`).
    TokenIssuedInFuture = (42, 401);
    /// Token signature invalid.
    TokenSignatureInvalid = (43, 401);
    /// Slow mode not elapsed.
    Cooldown = (60, 403);
    /// Query or watch of a channel the user may not read.
    NoAccessToChannels = (70, 403);
    /// App suspended by the operator.
    AppSuspended = (99, 403);
    /// Unexpected failure; details are logged, never shown.
    Internal = (-1, 500);
}

/// The `APIError` body of every non-2xx response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiErrorBody {
    pub code: i32,
    pub message: String,
    #[serde(rename = "StatusCode")]
    pub status_code: u16,
    pub duration: String,
    pub more_info: String,
    #[serde(default)]
    pub details: Vec<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception_fields: Option<BTreeMap<String, String>>,
}

/// Where `more_info` points: the server's own page describing error codes.
pub const MORE_INFO_URL: &str = "/hub/docs/errors";

impl ApiErrorBody {
    /// Builds the body in Stream's message format: `<operation> failed with error: "<detail>"`.
    pub fn new(code: ErrorCode, operation: &str, detail: &str, duration: String) -> ApiErrorBody {
        ApiErrorBody {
            code: code.code(),
            message: format!("{operation} failed with error: \"{detail}\""),
            status_code: code.status(),
            duration,
            more_info: MORE_INFO_URL.to_owned(),
            details: Vec::new(),
            exception_fields: None,
        }
    }
}

/// Formats a duration in Stream's `"12.34ms"` style.
pub fn format_duration(elapsed: std::time::Duration) -> String {
    format!("{:.2}ms", elapsed.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {}", code.code());
            assert!(code.status() >= 400, "{code:?} has a non-error status");
        }
        assert_eq!(ErrorCode::TokenExpired.code(), 40);
        assert_eq!(ErrorCode::NotAllowed.status(), 403);
    }

    #[test]
    fn body_has_stream_shape() {
        let body =
            ApiErrorBody::new(ErrorCode::DoesNotExist, "GetMessage", "message abc does not exist", "0.01ms".into());
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code":16,"message":"GetMessage failed with error: \"message abc does not exist\"",
                "StatusCode":404,"duration":"0.01ms","more_info":"/hub/docs/errors","details":[]})
        );
    }
}
