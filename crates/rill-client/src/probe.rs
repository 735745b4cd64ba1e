//! Connect and Test: one `GET /app` with a server token, and exactly what its answer says about the keys and
//! the backend. Each way it can go wrong is its own outcome, so the Hub can tell an admin which field to fix.

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use std::time::Duration;

/// What a backend made of the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The keys work; the app is this one.
    Connected { app_id: i64, app_name: String },
    /// The API key names no app (Stream's code 2).
    WrongApiKey { message: String },
    /// The key is right but the secret does not sign for it (code 43, or a signature refusal under code 5).
    WrongSecret { message: String },
    /// The keys work, for another app than the App ID given.
    AppIdMismatch { expected: i64, actual: i64, app_name: String },
    /// Nothing answered.
    Unreachable { reason: Unreachable, detail: String },
    /// Something answered, but not the Stream API (an HTML page, an unexpected JSON shape or status).
    NotStreamApi { status: u16, detail: String },
    /// The API answered with another error (a suspended app, a rate limit): its code and message.
    Refused { code: i32, message: String },
    /// The base URL is not an absolute http(s) URL.
    InvalidUrl { detail: String },
}

/// Why nothing answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// The address refused the connection.
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed (an untrusted or mismatched certificate, a plain-HTTP server on an https URL).
    Tls,
    /// No answer within the time allowed.
    Timeout,
    /// Another network failure.
    Other,
}

impl Unreachable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::Refused => "refused",
            Unreachable::Dns => "dns",
            Unreachable::Tls => "tls",
            Unreachable::Timeout => "timeout",
            Unreachable::Other => "other",
        }
    }
}

/// Calls `GET {base_url}/app` with a server token signed with `secret`, within `timeout`, following no
/// redirect, and reads at most 1 MiB of the answer.
pub async fn probe(
    base_url: &str,
    api_key: &str,
    secret: &str,
    expected_app_id: Option<i64>,
    timeout: Duration,
) -> Probe {
    let base = base_url.trim_end_matches('/');
    match reqwest::Url::parse(base) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
        _ => return Probe::InvalidUrl { detail: format!("{base_url:?} is not an absolute http(s) URL") },
    }
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => return Probe::Unreachable { reason: Unreachable::Other, detail: root_cause(&error) },
    };
    let response = client
        .get(format!("{base}/app"))
        .query(&[("api_key", api_key)])
        .header("Authorization", crate::token::server_token(secret))
        .header("stream-auth-type", "jwt")
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(error) => return unreachable(&error),
    };
    let status = response.status().as_u16();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("application/json"));
    let body = match read_limited(response, 1 << 20).await {
        Ok(body) => body,
        Err(error) => return unreachable(&error),
    };
    let parsed: Option<Value> = if json { serde_json::from_slice(&body).ok() } else { None };
    let Some(parsed) = parsed else {
        let start = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        return Probe::NotStreamApi { status, detail: format!("the answer is not JSON: {start:?}") };
    };
    classify(status, &parsed, expected_app_id)
}

/// [`probe`] through a client of its own transport (the built-in engine in process, say): the same outcomes,
/// with the client's own timeouts.
pub async fn probe_client(client: &crate::Client, expected_app_id: Option<i64>) -> Probe {
    match client.raw(reqwest::Method::GET, "/app", &[], None).await {
        Ok(response) => classify(response.status, &response.body, expected_app_id),
        Err(crate::ClientError::Transport(error)) => unreachable(&error),
        Err(crate::ClientError::Protocol { status, body }) => Probe::NotStreamApi {
            status,
            detail: format!("the answer is not JSON: {:?}", &body[..body.len().min(120)]),
        },
        Err(crate::ClientError::Api(error)) => Probe::Refused { code: error.code, message: error.message },
    }
}

fn classify(status: u16, body: &Value, expected_app_id: Option<i64>) -> Probe {
    if (200..300).contains(&status) {
        let app = &body["app"];
        let (Some(app_id), Some(name)) = (app["id"].as_i64(), app["name"].as_str()) else {
            return Probe::NotStreamApi { status, detail: "a 2xx without an app object".into() };
        };
        return match expected_app_id {
            Some(expected) if expected != app_id => {
                Probe::AppIdMismatch { expected, actual: app_id, app_name: name.to_owned() }
            }
            _ => Probe::Connected { app_id, app_name: name.to_owned() },
        };
    }
    let (Some(code), Some(message)) = (body["code"].as_i64(), body["message"].as_str()) else {
        return Probe::NotStreamApi { status, detail: format!("status {status} without Stream's error shape") };
    };
    let message = message.to_owned();
    match code {
        2 => Probe::WrongApiKey { message },
        43 => Probe::WrongSecret { message },
        5 if message.to_lowercase().contains("signature") => Probe::WrongSecret { message },
        code => Probe::Refused { code: code as i32, message },
    }
}

/// Reads at most `limit` bytes of the body (an endless answer is cut, not buffered).
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

fn unreachable(error: &reqwest::Error) -> Probe {
    let detail = root_cause(error);
    let chain = chain_text(error).to_lowercase();
    let reason = if error.is_timeout() {
        Unreachable::Timeout
    } else if chain.contains("dns error")
        || chain.contains("failed to lookup address")
        || chain.contains("name or service not known")
    {
        Unreachable::Dns
    } else if io_kind(error) == Some(std::io::ErrorKind::ConnectionRefused) {
        Unreachable::Refused
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
        Unreachable::Tls
    } else {
        Unreachable::Other
    };
    Probe::Unreachable { reason, detail }
}

fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = current.source();
    }
    None
}

fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        text.push_str(": ");
        text.push_str(&current.to_string());
        cause = current.source();
    }
    text
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_told_apart_by_status_and_code() {
        let app = json!({"app": {"id": 7, "name": "Nextoria"}});
        assert_eq!(classify(200, &app, None), Probe::Connected { app_id: 7, app_name: "Nextoria".into() });
        assert!(matches!(classify(200, &app, Some(8)), Probe::AppIdMismatch { expected: 8, actual: 7, .. }));
        assert!(matches!(classify(401, &json!({"code": 2, "message": "no"}), None), Probe::WrongApiKey { .. }));
        assert!(matches!(classify(401, &json!({"code": 43, "message": "bad"}), None), Probe::WrongSecret { .. }));
        let signature = json!({"code": 5, "message": "JWTAuth error: signature is invalid"});
        assert!(matches!(classify(401, &signature, None), Probe::WrongSecret { .. }));
        assert!(matches!(classify(429, &json!({"code": 9, "message": "slow"}), None), Probe::Refused { code: 9, .. }));
        assert!(matches!(classify(200, &json!({"ok": true}), None), Probe::NotStreamApi { .. }));
        assert!(matches!(classify(404, &json!({"detail": "nope"}), None), Probe::NotStreamApi { .. }));
    }
}
