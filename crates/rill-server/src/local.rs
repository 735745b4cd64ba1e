//! The engine as a service in the same process (`rill_client::LocalService`): the Hub's client calls the
//! engine's router directly, with the whole request path (authentication, rate limits, errors) and no socket.
//! Requests made this way have no client address: they count as the identity they authenticate as.

use crate::app::AppState;
use rill_client::transport::{LocalFuture, LocalService};

/// Bodies a local call reads back at most (the largest JSON answers are a few megabytes).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The engine's router, called in process.
#[derive(Clone)]
pub struct EngineService {
    router: axum::Router,
}

impl EngineService {
    pub fn new(state: AppState) -> EngineService {
        EngineService { router: crate::app::router(state) }
    }
}

impl LocalService for EngineService {
    fn call(&self, request: axum::http::Request<Vec<u8>>) -> LocalFuture<'_> {
        Box::pin(async move {
            use tower::ServiceExt;
            let request = request.map(axum::body::Body::from);
            let response = match self.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_RESPONSE_BYTES).await {
                Ok(bytes) => bytes.to_vec(),
                Err(_) => {
                    let mut failed = axum::http::Response::new(Vec::new());
                    *failed.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
                    return failed;
                }
            };
            axum::http::Response::from_parts(parts, bytes)
        })
    }
}
