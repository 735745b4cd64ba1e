//! The one place where client input becomes validated values: authentication ([`authenticate`], run by the
//! request middleware, whose result handlers take as [`Auth`]), path segments ([`ApiPath`]), query parameters
//! ([`ApiQuery`]), JSON bodies ([`ApiJson`]) and `payload=` documents ([`Payload`]). Ids inside them are
//! `rill_protocol::ids` types, so a handler never sees a raw value, and every rejection is a Stream-format
//! `APIError` that names what was wrong.

use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use rill_core::auth::{self, Identity};
use rill_core::ids::{ConnectionId, UserId};
use rill_core::model::{Actor, App};
use rill_core::ops::Context;
use rill_protocol::error::ErrorCode;
use rill_protocol::limits::{json_depth, MAX_BODY_BYTES, MAX_JSON_DEPTH};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// Query parameters, decoded once. Later duplicates of a key win, as with most frameworks.
pub fn query_map(parts: &Parts) -> HashMap<String, String> {
    let query = parts.uri.query().unwrap_or_default();
    let mut map = HashMap::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(percent_decode(key), percent_decode(value));
    }
    map
}

/// Decodes `%XX` escapes and `+` as space; invalid UTF-8 becomes U+FFFD, which no id rule accepts.
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
    pub connection_id: Option<ConnectionId>,
}

impl Auth {
    /// The acting party. With a user token the user is the token's; with a server token it is `server_user`,
    /// the user the request body names, if any.
    pub fn actor(&self, server_user: Option<UserId>) -> Actor {
        match &self.identity {
            Identity::Server => Actor::Server { acting_user: server_user.map(UserId::into_string) },
            Identity::User { user_id, .. } => Actor::User { user_id: user_id.to_string() },
        }
    }

    pub fn context(&self, state: &AppState, server_user: Option<UserId>) -> Context {
        Context { app: self.app.clone(), actor: self.actor(server_user), now: state.store().now() }
    }

    pub fn is_server(&self) -> bool {
        matches!(self.identity, Identity::Server)
    }

    /// The token's user, for user tokens.
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.identity {
            Identity::Server => None,
            Identity::User { user_id, .. } => Some(user_id),
        }
    }
}

/// The credentials of a request, as sent: for REST the `api_key` query parameter and the `Authorization` and
/// `stream-auth-type` headers; for `/connect` all three in the query.
#[derive(Debug, Default)]
pub struct Credentials<'a> {
    pub api_key: Option<&'a str>,
    pub auth_type: Option<&'a str>,
    pub token: Option<&'a str>,
}

/// Verifies `api_key`, the token, revocation and that the user may act; shared by REST and `/connect`.
pub async fn authenticate(state: &AppState, credentials: Credentials<'_>) -> Result<(Arc<App>, Identity), ApiError> {
    let app = app_for_key(state, credentials.api_key).await?;
    if credentials.auth_type == Some("anonymous") {
        return Err(ApiError::new(ErrorCode::NotAuthenticated, "anonymous access is not enabled for this app"));
    }
    let now = state.store().now();
    let token = credentials.token.unwrap_or_default();
    let identity = auth::verify(token, &app.api_secret, app.settings.disable_auth_checks, now)?;
    if let Identity::User { user_id, issued_at } = &identity {
        // Per-user revocation and deactivation live on the user row, so a user token costs one indexed read. A
        // valid token of a user never seen before creates the user, as connecting would.
        let lookup_id = user_id.to_string();
        let app_id = app.id;
        let user = match state
            .store()
            .read((app_id, lookup_id), |tx, (app_id, lookup_id)| tx.user(*app_id, lookup_id))
            .await?
        {
            Some(user) => user,
            None => {
                // Admission first: a user the plan has no room for this month is not created either.
                state.note_active(&app, user_id.as_str()).await?;
                let ctx = Context { app: app.clone(), actor: Actor::User { user_id: user_id.to_string() }, now };
                state.store().write((ctx,), |tx, (ctx,)| Box::pin(rill_core::ops::users::ensure_user(tx, ctx))).await?
            }
        };
        auth::check_revocation(*issued_at, app.settings.revoke_tokens_issued_before, user.revoke_tokens_issued_before)?;
        rill_core::ops::users::check_active(&user)?;
        state.note_active(&app, &user.id).await?;
    }
    Ok((app, identity))
}

/// The app of a `POST /guest` request: it carries an API key and no token (a guest has no identity yet), so it
/// is counted per client address, like requests without credentials.
#[derive(Debug, Clone)]
pub struct GuestApp(pub Arc<App>);

impl FromRequestParts<AppState> for GuestApp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<GuestApp, ApiError> {
        parts
            .extensions
            .get::<GuestApp>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the guest request reached its handler without its app"))
    }
}

/// The app an API key names, refusing a missing, unknown or suspended one.
pub async fn app_for_key(state: &AppState, api_key: Option<&str>) -> Result<Arc<App>, ApiError> {
    let api_key = api_key.filter(|key| !key.is_empty()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationFailed,
            "api_key not found: pass your API key as the api_key query parameter",
        )
    })?;
    let app = state.resolve_app(api_key).await.ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationFailed,
            format!("api_key {:?} is not valid", rill_protocol::limits::truncated(api_key)),
        )
    })?;
    if app.settings.suspended {
        return Err(ApiError::new(ErrorCode::AppSuspended, "app is suspended"));
    }
    Ok(app)
}

/// What the request middleware found when it authenticated a `/connect` request: the socket reports a failure
/// in a `connection.error` frame rather than as an HTTP error, as Stream's clients expect.
#[derive(Debug, Clone)]
pub struct ConnectAuth(pub Result<Auth, ApiError>);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Auth, ApiError> {
        // The request middleware authenticated every API route before its handler runs.
        parts
            .extensions
            .remove::<Auth>()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the request reached a handler unauthenticated"))
    }
}

/// Path segments, deserialized into validated types: a segment that is not valid UTF-8 or breaks its id rule
/// is a code-4 error naming it.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiPath<T>, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::input(format!("invalid path: {}", rejection.body_text()))),
        }
    }
}

/// Query parameters, deserialized into a validated type (unknown parameters such as `api_key` are ignored).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiQuery<T>, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::input(format!("invalid query: {}", rejection.body_text()))),
        }
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
        // The path includes map keys, which are the client's own text: keep the echo short.
        format!("invalid field {}: {message}", rill_protocol::limits::truncated(&path))
    }
}

/// Parses a JSON object into `T`, naming the offending field on failure. Documents nested deeper than
/// [`MAX_JSON_DEPTH`] are refused before parsing.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    // Every request document is an object; serde would otherwise fill a struct from an array, by position.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::input("invalid JSON body: expected a JSON object"));
    }
    let depth = json_depth(bytes);
    if depth > MAX_JSON_DEPTH {
        return Err(ApiError::input(format!(
            "invalid JSON body: it is nested {depth} levels deep, the limit is {MAX_JSON_DEPTH}"
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| ApiError::input(describe_json_error(&error)))?;
    deserializer.end().map_err(|error| ApiError::input(format!("invalid JSON body: {error}")))?;
    Ok(value)
}

/// A JSON request body, read within [`MAX_BODY_BYTES`] and the body read timeout. An empty body counts as `{}`
/// (DELETE requests often have none).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<ApiJson<T>, ApiError> {
        let timeout = state.http_config().body_read_timeout;
        let read = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES);
        let bytes = match tokio::time::timeout(timeout, read).await {
            Err(_) => {
                return Err(ApiError::new(
                    ErrorCode::RequestTimeout,
                    format!("the request body did not arrive within {} seconds", timeout.as_secs()),
                ))
            }
            Ok(Err(_)) => {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooBig,
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                ))
            }
            Ok(Ok(bytes)) => bytes,
        };
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
        assert_eq!(percent_decode("%ff%fe"), "\u{fffd}\u{fffd}");
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

    #[test]
    fn deep_documents_are_refused_before_parsing() {
        let deep = format!("{}{}", "{\"a\":".repeat(MAX_JSON_DEPTH + 1), "}".repeat(MAX_JSON_DEPTH + 1));
        let error = parse_json::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert!(error.detail.contains("the limit is 32"), "{}", error.detail);
        let fine = format!("{}1{}", "{\"a\":".repeat(MAX_JSON_DEPTH), "}".repeat(MAX_JSON_DEPTH));
        assert!(parse_json::<serde_json::Value>(fine.as_bytes()).is_ok());
    }
}
