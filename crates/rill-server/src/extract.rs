//! Extractors that answer in Stream's error format: authentication ([`Auth`]), JSON bodies ([`ApiJson`]) and
//! `payload=` JSON query documents ([`Payload`]). No framework rejection ever reaches a client.

use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use rill_core::auth::{self, Identity};
use rill_core::model::{Actor, App};
use rill_core::ops::Context;
use rill_protocol::error::ErrorCode;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Query parameters, decoded once.
pub fn query_map(parts: &Parts) -> HashMap<String, String> {
    let query = parts.uri.query().unwrap_or_default();
    let mut map = HashMap::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(percent_decode(key), percent_decode(value));
    }
    map
}

/// Decodes `%XX` escapes and `+` as space.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        decoded.push(byte);
                        index += 2;
                    }
                    _ => decoded.push(b'%'),
                }
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// An authenticated request: the app, who the token speaks for, and the client's connection id.
#[derive(Debug, Clone)]
pub struct Auth {
    pub app: Arc<App>,
    pub identity: Identity,
    pub connection_id: Option<String>,
    pub query: HashMap<String, String>,
}

impl Auth {
    /// The acting party. With a user token the user is the token's; with a server token it is `server_user`,
    /// the user the request body names, if any.
    pub fn actor(&self, server_user: Option<String>) -> Actor {
        match &self.identity {
            Identity::Server => Actor::Server { acting_user: server_user.filter(|id| !id.is_empty()) },
            Identity::User { user_id, .. } => Actor::User { user_id: user_id.clone() },
        }
    }

    pub fn context(&self, state: &AppState, server_user: Option<String>) -> Context {
        Context { app: self.app.clone(), actor: self.actor(server_user), now: state.store().now() }
    }

    pub fn is_server(&self) -> bool {
        matches!(self.identity, Identity::Server)
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A boolean query parameter (`true`/`false`, `1`/`0`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }
}

/// Verifies `api_key`, the token, and revocation; shared by REST and `/connect`.
pub async fn authenticate(
    state: &AppState,
    api_key: Option<&str>,
    auth_type: Option<&str>,
    token: Option<&str>,
) -> Result<(Arc<App>, Identity), ApiError> {
    let api_key = api_key.filter(|key| !key.is_empty()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationFailed,
            "api_key not found: pass your API key as the api_key query parameter",
        )
    })?;
    let app = state
        .resolve_app(api_key)
        .await
        .ok_or_else(|| ApiError::new(ErrorCode::AuthenticationFailed, format!("api_key {api_key:?} is not valid")))?;
    if app.settings.suspended {
        return Err(ApiError::new(ErrorCode::AppSuspended, "app is suspended"));
    }
    if auth_type == Some("anonymous") {
        return Err(ApiError::new(ErrorCode::NotAuthenticated, "anonymous access is not enabled for this app"));
    }
    let token = token.unwrap_or_default();
    let now = state.store().now();
    let identity = auth::verify(token, &app.api_secret, app.settings.disable_auth_checks, now)?;
    if let Identity::User { user_id, issued_at } = &identity {
        // Per-user revocation and deactivation live on the user row, so a user token costs one indexed read. A
        // valid token of a user never seen before creates the user, as connecting would.
        let lookup_id = user_id.clone();
        let app_id = app.id;
        let user = match state.store().read(move |tx| tx.user(app_id, &lookup_id)).await? {
            Some(user) => user,
            None => {
                let ctx = Context {
                    app: app.clone(),
                    actor: Actor::User { user_id: user_id.clone() },
                    now: state.store().now(),
                };
                state.store().write(move |tx| rill_core::ops::users::ensure_user(tx, &ctx)).await?
            }
        };
        auth::check_revocation(*issued_at, app.settings.revoke_tokens_issued_before, user.revoke_tokens_issued_before)?;
        rill_core::ops::users::check_active(&user)?;
    }
    Ok((app, identity))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let query = query_map(parts);
        let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok());
        let (app, identity) = authenticate(
            state,
            query.get("api_key").map(String::as_str),
            header("stream-auth-type"),
            header("authorization"),
        )
        .await?;
        let connection_id = query.get("connection_id").filter(|id| !id.is_empty()).cloned();
        Ok(Auth { app, identity, connection_id, query })
    }
}

fn describe_json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    let inner = error.inner();
    let message = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more to a client.
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    if path.is_empty() || path == "." || inner.is_syntax() || inner.is_eof() {
        format!("invalid JSON body: {message}")
    } else {
        format!("invalid field {path}: {message}")
    }
}

/// Parses a JSON object into `T`, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    // Every request document is an object; serde would otherwise fill a struct from an array, by position.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::input("invalid JSON body: expected a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| ApiError::input(describe_json_error(&error)))?;
    deserializer.end().map_err(|error| ApiError::input(format!("invalid JSON body: {error}")))?;
    Ok(value)
}

/// A JSON request body. An empty body counts as `{}` (DELETE requests often have none).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<ApiJson<T>, ApiError> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| {
            ApiError::new(ErrorCode::PayloadTooBig, format!("request body is larger than {MAX_BODY_BYTES} bytes"))
        })?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

/// The `payload=<JSON>` query parameter of GET queries.
pub struct Payload<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for Payload<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Payload<T>, ApiError> {
        let query = query_map(parts);
        let payload = query
            .get("payload")
            .ok_or_else(|| ApiError::input("the payload query parameter (a JSON document) is required"))?;
        Ok(Payload(parse_json(payload.as_bytes())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c%7B%22x%22%7D"), "a b c{\"x\"}");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            message: Inner,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Inner {
            #[allow(dead_code)]
            text: String,
        }
        let error = parse_json::<Body>(br#"{"message":{"text":5}}"#).unwrap_err();
        assert!(error.detail.contains("message.text"), "{}", error.detail);
        assert!(parse_json::<Body>(b"{not json").unwrap_err().detail.starts_with("invalid JSON body"));
    }
}
