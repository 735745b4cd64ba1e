//! The Hub's HTTP API under `/hub/api/`, as an axum [`Router`] the binary mounts beside the engine's (see
//! [`router`]). JSON in and out; every error is `{"error": {"code": "<snake_case>", "message": "..."}}` with its
//! status (`docs/hub-api.md` lists every route).
//!
//! Sessions are a random token in the `rill_hub_session` cookie (HttpOnly, SameSite=Lax, Path=/hub, Secure
//! behind TLS), stored as its SHA-256 and looked up, with its member, on every request: a removed member's
//! sessions end at once. A state-changing call with a session must carry the session's `X-CSRF-Token`; every
//! state-changing call, with or without a session, is refused when its `Origin` is another site.

mod extract;
mod handlers;
mod integration;
mod moderation;
mod pages;
mod push_settings;
mod views;

use crate::error::HubError;
use crate::limiter::{Limits, SignInLimiter};
use crate::workspace::Workspace;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post};
use axum::{middleware, Json, Router};
use std::net::IpAddr;
use std::sync::Arc;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rill_hub_session";

/// How the API runs.
#[derive(Debug, Clone, Default)]
pub struct HubConfig {
    /// Mark the cookie `Secure`: the server is reached over TLS (directly or through a proxy).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client, for the per-address sign-in limit.
    pub trusted_proxies: Vec<IpAddr>,
    pub limits: Limits,
    /// Where the web app's files come from: built in, or a directory while developing it.
    pub web: rill_web::WebAssets,
}

/// What the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct HubState {
    pub workspace: Workspace,
    pub connector: crate::connector::Connector,
    pub provisioner: crate::provisioner::Provisioner,
    pub config: Arc<HubConfig>,
    pub limiter: SignInLimiter,
}

impl HubState {
    pub fn new(workspace: Workspace, config: HubConfig) -> HubState {
        let limiter = SignInLimiter::new(config.limits, workspace.store.clone());
        let connector = crate::connector::Connector::new(workspace.store.clone(), None);
        let provisioner = crate::provisioner::Provisioner::new(workspace.clone(), connector.clone());
        HubState { workspace, connector, provisioner, config: Arc::new(config), limiter }
    }

    /// The same state, reaching the built-in engine in process.
    pub fn with_built_in(mut self, engine: Arc<dyn rill_client::LocalService>) -> HubState {
        self.connector = crate::connector::Connector::new(self.workspace.store.clone(), Some(engine));
        self.provisioner = crate::provisioner::Provisioner::new(self.workspace.clone(), self.connector.clone());
        self
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        if self.is_internal() {
            tracing::error!(code = self.code, detail = %self.message, "hub request failed");
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"error": {"code": self.code, "message": self.client_message()}});
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The Hub's routes: the API under `/hub/api/`, the web app under `/hub/` (see [`pages`]),
/// and `/` redirecting to `/hub/`. Every other path is left to whatever the binary puts behind it (the engine).
pub fn router(state: HubState) -> Router {
    let api = Router::new()
        .route("/auth/sign-in", post(handlers::sign_in))
        .route("/auth/link", post(handlers::use_link))
        .route("/auth/sign-out", post(handlers::sign_out))
        .route("/auth/me", get(handlers::me))
        .route("/members", get(handlers::list_members).post(handlers::add_member))
        .route("/members/{id}", patch(handlers::change_member).delete(handlers::remove_member))
        .route("/projects", get(handlers::list_projects).post(handlers::add_project))
        .route("/projects/{id}", patch(handlers::change_project))
        .route("/integration", get(integration::get_integration).put(integration::save_integration))
        .route("/integration/test", post(integration::test_integration))
        .route("/chat/session", get(integration::chat_session_of))
        .route("/provisioning", get(integration::provisioning_status).post(integration::provision_now))
        .route("/moderation/queue", get(moderation::queue))
        .route("/moderation/actions", post(moderation::act))
        .route("/audit", get(moderation::audit))
        .route("/usage", get(moderation::usage))
        .route("/push", get(push_settings::get_push).put(push_settings::put_push))
        .route("/push/test", post(push_settings::test))
        .fallback(|| async { HubError::not_found("no such Hub API route") })
        .method_not_allowed_fallback(|| async {
            HubError::new(405, "method_not_allowed", "this route does not take that method")
        })
        .layer(middleware::from_fn(extract::same_origin))
        .layer(middleware::from_fn(extract::no_store));
    Router::new()
        .nest("/hub/api", api)
        .route("/", get(|| async { Redirect::temporary("/hub/") }))
        .route("/hub", get(|| async { Redirect::temporary("/hub/") }))
        .route("/hub/", get(pages::page))
        .route("/hub/{*path}", get(pages::page))
        .with_state(state)
}

#[cfg(test)]
mod tests;
