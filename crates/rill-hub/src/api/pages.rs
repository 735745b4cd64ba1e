//! The web app's pages under `/hub/`: hashed build files under `/hub/assets/` (cached for a year), other
//! files of the build's root, and `index.html` for every other path (the app routes on the client). The page
//! carries a Content-Security-Policy that lets scripts come only from here and lets the app reach only the Hub
//! and its chat backend.

use super::HubState;
use crate::error::HubError;
use crate::integration::BUILT_IN;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rill_web::Served;

/// `GET /hub/` and `GET /hub/{*path}`.
pub(crate) async fn page(State(state): State<HubState>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().strip_prefix("/hub/").unwrap_or_default();
    let gzip = accepts_gzip(&headers);
    if path == "api" || path.starts_with("api/") {
        // Routes the API router does not have; the app's fallback must not answer them with a page.
        return HubError::not_found("no such Hub API route").into_response();
    }
    let web = &state.config.web;
    if let Some(hashed) = path.strip_prefix("assets/") {
        return match web.file(&format!("assets/{hashed}"), gzip) {
            Some(file) => served(file, "public, max-age=31536000, immutable"),
            None => (StatusCode::NOT_FOUND, "no such file").into_response(),
        };
    }
    if !path.is_empty() && path != "index.html" {
        if let Some(file) = web.file(path, gzip) {
            return served(file, "public, max-age=3600");
        }
    }
    match web.file("index.html", gzip) {
        Some(file) => {
            let mut response = served(file, "no-cache");
            let policy = content_security_policy(&state, &headers).await;
            page_headers(response.headers_mut(), &policy);
            response
        }
        None => not_built(),
    }
}

fn served(file: Served, cache: &'static str) -> Response {
    let mut response = (StatusCode::OK, file.body.into_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if file.gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Whether the client takes gzip (`gzip;q=0` says no).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(accepted) = headers.get(header::ACCEPT_ENCODING).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    accepted.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let named = parts.next().is_some_and(|name| name.eq_ignore_ascii_case("gzip"));
        let refused = parts.any(|param| param.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        named && !refused
    })
}

/// The page's policy: its own scripts and styles only; requests to the Hub and to the chat backend (its REST
/// origin and the matching WebSocket origin); images also from any HTTPS host (uploads may live in a bucket).
async fn content_security_policy(state: &HubState, headers: &HeaderMap) -> String {
    let mut connect = vec!["'self'".to_owned()];
    if let Some(host) = headers.get(header::HOST).and_then(|value| value.to_str().ok()).filter(|host| plain_host(host))
    {
        let scheme = if state.config.secure_cookies { "wss" } else { "ws" };
        connect.push(format!("{scheme}://{host}"));
    }
    let mut images = vec!["'self'".to_owned(), "data:".to_owned(), "blob:".to_owned(), "https:".to_owned()];
    if let Ok(Some(integration)) = state.connector.integration().await {
        if integration.base_url != BUILT_IN {
            if let Some((origin, socket)) = origins(&integration.base_url) {
                images.push(origin.clone());
                connect.extend([origin, socket]);
            }
        }
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; media-src {images}; \
         connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        images = images.join(" "),
        connect = connect.join(" "),
    )
}

/// A `Host` header fit to go into a header value: a name or address and a port, nothing else.
fn plain_host(host: &str) -> bool {
    !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// A backend URL's origin and its WebSocket origin: `https://chat.example.com` and `wss://chat.example.com`.
fn origins(base_url: &str) -> Option<(String, String)> {
    let (scheme, rest) = base_url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().filter(|host| plain_host(host))?;
    let socket = match scheme {
        "https" => "wss",
        "http" => "ws",
        _ => return None,
    };
    Some((format!("{scheme}://{host}"), format!("{socket}://{host}")))
}

fn page_headers(headers: &mut HeaderMap, policy: &str) {
    if let Ok(value) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // A sign-in link's token is in the fragment; no page of ours passes it on.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// A binary built from a checkout where `web/` was never built says how to build it.
fn not_built() -> Response {
    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rill</title></head>\
        <body><h1>Rill</h1><p>This binary was built without its web app. Build it with \
        <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> and build Rill again (or run \
        <code>rill serve --web-dir web/dist</code>). The Hub's API is served under <code>/hub/api/</code>.</p>\
        </body></html>";
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    page_headers(response.headers_mut(), "default-src 'none'; frame-ancestors 'none'");
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_backend_gives_its_origin_and_websocket_origin() {
        assert_eq!(
            origins("https://chat.stream-io-api.com/"),
            Some(("https://chat.stream-io-api.com".into(), "wss://chat.stream-io-api.com".into()))
        );
        assert_eq!(origins("http://10.0.0.2:8080"), Some(("http://10.0.0.2:8080".into(), "ws://10.0.0.2:8080".into())));
        assert_eq!(origins("ftp://x"), None);
        assert_eq!(origins("https://evil.example; script-src *"), None);
    }
}
