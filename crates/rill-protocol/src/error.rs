//! The Stream error table and the `APIError` body.
//!
//! Every error Rill returns is one row of [`ErrorCode`]: clients branch on the numeric code (a token is refreshed
//! only on code 40), so a code must mean the same thing in every handler. Each row is written exactly once here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! error_codes {
    ($($name:ident = ($code:expr, $status:expr, $meaning:expr);)*) => {
        /// One row of Stream's error table: a stable numeric code, the HTTP status it travels with, and what it
        /// means (also served as the error page that `more_info` points to).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $(#[doc = $meaning] $name,)* }

        impl ErrorCode {
            /// The numeric code clients see in `code`.
            pub fn code(self) -> i32 { match self { $(ErrorCode::$name => $code,)* } }
            /// The HTTP status that carries this code.
            pub fn status(self) -> u16 { match self { $(ErrorCode::$name => $status,)* } }
            /// What the code means, in a sentence.
            pub fn meaning(self) -> &'static str { match self { $(ErrorCode::$name => $meaning,)* } }
            /// The variant's name.
            pub fn name(self) -> &'static str { match self { $(ErrorCode::$name => stringify!($name),)* } }
            /// Every row, for documentation and table tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];
        }
    };
}

error_codes! {
    InputError = (4, 400, "Validation failure, unknown enum value, bad filter or sort, missing acting user.");
    AuthenticationFailed = (2, 401, "`api_key` missing or unknown.");
    NotAuthenticated = (5, 401, "Token missing or malformed, or its `user_id` does not match the request.");
    DuplicateUsername = (6, 400, "Username taken under `enforce_unique_usernames`.");
    RateLimited = (9, 429, "Rate limit exceeded.");
    DoesNotExist = (16, 404, "Unknown object or route.");
    NotAllowed = (17, 403, "Permission denied.");
    EventNotSupported = (18, 400, "Event type disabled by the channel config.");
    ChannelFeatureNotSupported = (19, 400, "Feature (reactions, replies, search, ...) disabled on the channel type.");
    MessageTooLong = (20, 400, "Message text longer than `max_message_length`.");
    MultipleNestingLevel = (21, 400, "`parent_id` points at a reply.");
    PayloadTooBig = (22, 413, "Body over the size limit.");
    RequestTimeout = (23, 408, "Handler deadline exceeded.");
    HeadersTooLarge = (24, 431, "Request headers too large.");
    TokenExpired = (40, 401, "Token expired or revoked: the one code on which clients fetch a fresh token.");
    TokenNotValidYet = (41, 401, "Token not valid yet (`nbf`).");
    TokenIssuedInFuture = (42, 401, "Token issued in the future (`iat`).");
    TokenSignatureInvalid = (43, 401, "Token signature invalid.");
    Cooldown = (60, 403, "Slow mode not elapsed.");
    NoAccessToChannels = (70, 403, "Query or watch of a channel the user may not read.");
    AppSuspended = (99, 403, "App suspended by the operator.");
    Internal = (-1, 500, "Unexpected failure; details are logged, never shown.");
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
