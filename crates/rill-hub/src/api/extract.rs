//! What the Hub's handlers take from a request: the signed-in member (with the CSRF check), an admin, the
//! client's address, a JSON body and a path id, each refusing in the Hub's error shape; and the two middlewares
//! (same-origin and `Cache-Control: no-store`).

use crate::api::{HubState, SESSION_COOKIE};
use crate::error::HubError;
use crate::model::{Member, Session};
use crate::tokens::{constant_time_eq, token_hash};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rill_core::secret::Secret;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The header a state-changing call repeats its session's CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session token in the request's cookies, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// A signed-in member and their session. For a state-changing method the session's CSRF token must be in
/// `X-CSRF-Token`.
pub(crate) struct SignedIn {
    pub(crate) member: Member,
    pub(crate) session: Session,
}

impl FromRequestParts<HubState> for SignedIn {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<SignedIn, HubError> {
        let not_signed_in = || HubError::unauthorized("not_signed_in", "sign in first");
        let token = session_token(&parts.headers).ok_or_else(not_signed_in)?;
        let now = state.workspace.clock.now();
        let (mut session, member) =
            state.workspace.store.session(&token_hash(&token), now).await?.ok_or_else(not_signed_in)?;
        if let Some(expiry) = crate::workspace::slid_expiry(&session, now) {
            state.workspace.store.extend_session(&session.token_hash, expiry).await?;
            session.expires_at = expiry;
        }
        if changes_state(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or("");
            if !constant_time_eq(sent, session.csrf_token.expose()) {
                return Err(HubError::forbidden("csrf", "missing or wrong X-CSRF-Token"));
            }
        }
        Ok(SignedIn { member, session })
    }
}

/// A signed-in admin.
pub(crate) struct Admin(pub(crate) SignedIn);

impl FromRequestParts<HubState> for Admin {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Admin, HubError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !signed_in.member.is_admin() {
            return Err(HubError::forbidden("forbidden", "only an admin may do this"));
        }
        Ok(Admin(signed_in))
    }
}

/// The client's address: the peer, or the last `X-Forwarded-For` entry when the peer is a trusted proxy.
pub(crate) struct ClientAddress(pub(crate) IpAddr);

impl FromRequestParts<HubState> for ClientAddress {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<ClientAddress, HubError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(address)| address.ip());
        if !state.config.trusted_proxies.contains(&peer) {
            return Ok(ClientAddress(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .next_back();
        Ok(ClientAddress(forwarded.unwrap_or(peer)))
    }
}

/// A JSON body; a malformed one is 400 `invalid_request`.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = HubError;

    async fn from_request(request: Request, state: &S) -> Result<Body<T>, HubError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(HubError::bad_request("invalid_request", rejection.body_text())),
        }
    }
}

/// The `{id}` of a path.
pub(crate) struct PathId(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<PathId, HubError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PathId(id)),
            Err(rejection) => Err(HubError::bad_request("invalid_request", rejection.body_text())),
        }
    }
}

/// A secret field of a request body (a password, a token): never kept as a plain `String`, so no `Debug` of a
/// request shows it.
pub(crate) struct SecretField(pub(crate) Secret);

impl<'de> serde::Deserialize<'de> for SecretField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<SecretField, D::Error> {
        String::deserialize(deserializer).map(|text| SecretField(Secret::new(text)))
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the same host and port as the request's `Host`.
fn same_site(origin: &str, host: &str) -> bool {
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// Refuses a state-changing call whose `Origin` is another site (403 `cross_origin`). Browsers send `Origin` on
/// every cross-site POST, so this stops a page elsewhere from signing a visitor in or out, or acting for them;
/// clients that send no `Origin` (the command line, curl) are not browsers and pass.
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    if changes_state(request.method()) {
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let host = request.headers().get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
            if !origin.to_str().is_ok_and(|origin| same_site(origin, host)) {
                return HubError::forbidden("cross_origin", "this request comes from another site").into_response();
            }
        }
    }
    next.run(request).await
}

/// The API's answers carry sessions and CSRF tokens: no cache keeps them.
pub(crate) async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_their_host_only() {
        assert!(same_site("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(same_site("https://Chat.Example.com", "chat.example.com"));
        assert!(!same_site("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(!same_site("https://evil.example", "chat.example.com"));
        assert!(!same_site("null", "chat.example.com"));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; rill_hub_session=tok; c=d"));
        assert_eq!(session_token(&headers).as_deref(), Some("tok"));
    }
}
