//! The API error response: Stream's `APIError` body, with the operation name and duration of the request.
//!
//! Handlers and extractors return [`ApiError`]; its `IntoResponse` reads the running request's operation and
//! start time from [`crate::request`], so every error body has the right `<operation> failed with error:` prefix
//! without each handler having to know its own name. Internal details are logged here, never sent.

use crate::request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rill_core::error::CoreError;
use rill_protocol::error::{format_duration, ApiErrorBody, ErrorCode};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError { code, detail: detail.into() }
    }

    pub fn input(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InputError, detail)
    }

    /// The body this error renders as, for the current request.
    pub fn body(&self) -> ApiErrorBody {
        let info = request::current();
        let detail = if self.code == ErrorCode::Internal { "internal error" } else { self.detail.as_str() };
        ApiErrorBody::new(self.code, info.operation, detail, format_duration(info.started.elapsed()))
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> ApiError {
        ApiError { code: error.code, detail: error.detail }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ErrorCode::Internal {
            tracing::error!(operation = request::current().operation, detail = %self.detail, "internal error");
        }
        let body = self.body();
        let status = StatusCode::from_u16(body.status_code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (status, [(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response()
    }
}
