//! HTTP plumbing both clients share: bounded body reads, `Retry-After`, transport-error sorting, extra roots.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::PushError;

/// The most of a response body we read: push answers are tiny, so anything larger is not worth buffering.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// The response body, cut at [`MAX_BODY`] (a cut body then fails JSON parsing, which callers handle).
pub(crate) async fn read_body(response: &mut reqwest::Response) -> Result<Vec<u8>, PushError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let room = MAX_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_BODY {
            break;
        }
    }
    Ok(body)
}

/// `Retry-After` as delta-seconds or an HTTP date (measured against `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Sorts a reqwest failure: timeouts are retryable, the rest (DNS, connect, TLS) is `Network`.
/// The URL is dropped from the message since APNs URLs carry device tokens.
pub(crate) fn transport_error(err: reqwest::Error) -> PushError {
    let timed_out = err.is_timeout();
    let reason = error_chain(&err.without_url());
    if timed_out {
        PushError::Retryable { reason: format!("timed out: {reason}"), retry_after: None }
    } else {
        PushError::Network { reason }
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// The DER certificates of a PEM CA file. A bad file is a configuration error, reported as `Credentials`.
pub(crate) fn extra_roots(path: Option<&Path>) -> Result<Vec<Vec<u8>>, PushError> {
    let Some(path) = path else { return Ok(Vec::new()) };
    let bad = |why: String| PushError::Credentials { reason: format!("ca_file {}: {why}", path.display()) };
    let text = std::fs::read_to_string(path).map_err(|err| bad(err.to_string()))?;
    let blocks = crate::pem::parse(&text).map_err(bad)?;
    let certs: Vec<Vec<u8>> = blocks.into_iter().filter(|b| b.label == "CERTIFICATE").map(|b| b.der).collect();
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// `base` without a trailing slash, so paths can be appended. A malformed URL fails at send as `Network`.
pub(crate) fn base_url(base: &str) -> String {
    base.trim_end_matches('/').to_owned()
}

/// A short, single-line excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("")));
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z").map(|t| t.with_timezone(&Utc));
        let now = now.unwrap_or_default();
        assert_eq!(retry_after(&headers("120"), now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), now), Some(Duration::from_secs(60)));
        assert_eq!(retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn only_transient_errors_are_retryable() {
        assert!(PushError::Network { reason: String::new() }.is_retryable());
        assert!(PushError::Retryable { reason: String::new(), retry_after: None }.is_retryable());
        assert!(!PushError::Unregistered { reason: String::new() }.is_retryable());
        assert!(!PushError::Credentials { reason: String::new() }.is_retryable());
        assert!(!PushError::Rejected { status: 400, reason: String::new() }.is_retryable());
    }
}
