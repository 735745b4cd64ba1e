//! Successful responses: the body with `duration` appended as its last key, 201 for POST and PUT, 200 otherwise.

use crate::request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rill_protocol::error::format_duration;
use rill_protocol::response::WithDuration;
use serde::Serialize;

pub struct Reply<T>(pub T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        let info = request::current();
        let body = WithDuration { body: self.0, duration: format_duration(info.started.elapsed()) };
        match serde_json::to_vec(&body) {
            Ok(json) => {
                let status = if info.created_status { StatusCode::CREATED } else { StatusCode::OK };
                (status, [(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response()
            }
            Err(error) => crate::error::ApiError::new(
                rill_protocol::error::ErrorCode::Internal,
                format!("response serialization failed: {error}"),
            )
            .into_response(),
        }
    }
}
