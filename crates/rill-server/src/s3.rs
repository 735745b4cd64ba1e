//! An S3-compatible bucket for the blobs of uploads (`--uploads-url s3://BUCKET[/PREFIX]?endpoint=...`): the URL's
//! parser, AWS Signature Version 4, and the few requests Rill makes (a list to check the bucket at start, and
//! HEAD, PUT, GET and DELETE of one object).
//!
//! The signer is written here with `hmac` and `sha2` after AWS's public description of SigV4, rather than taken
//! from an SDK: Rill needs five requests, and an SDK would bring a large dependency tree (and another TLS stack)
//! to a two-core build. Its unit tests check it against the values AWS publishes for its examples, so a wrong
//! canonical request fails. Secrets never reach a log or an error: errors carry the operation, the object key,
//! the HTTP status and S3's error code and message, nothing of the request's signature.

use hmac::{Hmac, Mac};
use rill_core::secret::Secret;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The SHA-256 of an empty payload, the `x-amz-content-sha256` of requests without a body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Attempts of one request when S3 answers 500, 502, 503 or 504, or the connection fails: S3 documents those
/// as worth retrying, and every request Rill makes is idempotent.
const ATTEMPTS: u32 = 3;
/// The most of an error response's body read for its code and message.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Keys to an S3 bucket. `Debug` shows the key id only.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .finish()
    }
}

impl S3Credentials {
    /// `RILL_S3_ACCESS_KEY_ID` and `RILL_S3_SECRET_ACCESS_KEY`, or else `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`. A pair is taken whole, never one half of each.
    pub fn from_env() -> Result<S3Credentials, String> {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        for (id, secret) in
            [("RILL_S3_ACCESS_KEY_ID", "RILL_S3_SECRET_ACCESS_KEY"), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")]
        {
            match (read(id), read(secret)) {
                (Some(access_key_id), Some(secret_access_key)) => {
                    return Ok(S3Credentials { access_key_id, secret_access_key: Secret::new(secret_access_key) })
                }
                (None, None) => {}
                _ => return Err(format!("{id} and {secret} must be set together")),
            }
        }
        Err("S3 uploads need credentials: set RILL_S3_ACCESS_KEY_ID and RILL_S3_SECRET_ACCESS_KEY (or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            .into())
    }
}

/// Where the blobs go: a bucket, a key prefix, the endpoint and how to address it.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Prepended to every key with a `/`; empty for none. No slash at either end.
    pub prefix: String,
    /// `scheme://host[:port]`, with no path.
    pub endpoint: reqwest::Url,
    pub region: String,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
    pub credentials: S3Credentials,
}

impl S3Config {
    /// Parses `s3://BUCKET[/PREFIX][?endpoint=URL][&region=NAME][&path_style=true|false]`. The region defaults
    /// to `us-east-1`, the endpoint to AWS's for the region; path-style addressing is the default when the
    /// endpoint is an IP address or `localhost` (no DNS name can carry the bucket there). The URL is checked
    /// before the credentials, so a bad URL is what is reported first.
    pub fn parse(url: &str, credentials: Result<S3Credentials, String>) -> Result<S3Config, String> {
        let (location, query) = url.split_once('?').unwrap_or((url, ""));
        let location = location.strip_prefix("s3://").ok_or("it must start with s3://")?;
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err("it names no bucket: s3://BUCKET[/PREFIX]?endpoint=...".into());
        }
        let bucket_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
        if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(bucket_char) {
            return Err("a bucket name is 3 to 63 lowercase letters, digits, dots and hyphens".into());
        }
        let prefix = prefix.trim_matches('/');
        let segment_ok = |segment: &str| !segment.is_empty() && segment != "." && segment != "..";
        if !prefix.is_empty()
            && (prefix.len() > 512 || prefix.chars().any(char::is_control) || !prefix.split('/').all(segment_ok))
        {
            return Err("the prefix must be path segments (no empty, . or .. segment) within 512 bytes".into());
        }
        let (mut endpoint, mut region, mut path_style) = (None, None, None);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| format!("{pair:?} needs a value (key=value)"))?;
            let value = percent_decode(value).ok_or_else(|| format!("the value of {key} is not valid UTF-8"))?;
            let slot = match key {
                "endpoint" => &mut endpoint,
                "region" => &mut region,
                "path_style" => &mut path_style,
                other => return Err(format!("unknown key {other:?}: expected endpoint, region or path_style")),
            };
            if slot.replace(value).is_some() {
                return Err(format!("{key} is given twice"));
            }
        }
        let region = region.unwrap_or_else(|| "us-east-1".into());
        if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("the region is letters, digits and hyphens (such as us-east-1)".into());
        }
        let endpoint = endpoint.unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint = reqwest::Url::parse(&endpoint).map_err(|error| format!("the endpoint is not a URL: {error}"))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(format!("the endpoint must be http:// or https://, not {}://", endpoint.scheme()));
        }
        let Some(host) = endpoint.host_str().filter(|host| !host.is_empty()) else {
            return Err("the endpoint has no host".into());
        };
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err("the endpoint must not carry credentials: set RILL_S3_ACCESS_KEY_ID and \
                        RILL_S3_SECRET_ACCESS_KEY"
                .into());
        }
        if endpoint.path() != "/" || endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err("the endpoint is scheme://host[:port], with no path or query".into());
        }
        let addressed_by_ip = host == "localhost"
            || host.ends_with(".localhost")
            || host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok();
        let path_style = match path_style.as_deref() {
            None => addressed_by_ip,
            Some("true") => true,
            Some("false") => false,
            Some(_) => return Err("path_style is true or false".into()),
        };
        Ok(S3Config {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint,
            region,
            path_style,
            credentials: credentials?,
        })
    }

    /// The bucket and endpoint, for people (nothing secret).
    pub fn describe(&self) -> String {
        let prefix = if self.prefix.is_empty() { String::new() } else { format!("/{}", self.prefix) };
        format!("S3 bucket {}{prefix} at {}", self.bucket, self.endpoint.as_str().trim_end_matches('/'))
    }
}

/// `%XX` escapes (and `+` as a space, as in any query string) decoded.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                decoded.push(b' ');
                index += 1;
            }
            byte => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

/// URI-encodes as SigV4 asks: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` (upper case), and `/` too unless it
/// separates path segments.
fn uri_encode(value: &str, keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => encoded.push(char::from(byte)),
            b'/' if keep_slash => encoded.push('/'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// One request as SigV4 sees it. `path` is already URI-encoded (the exact path sent); `query` holds raw pairs.
struct Signable<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    /// Signed headers besides `host`, `x-amz-content-sha256` and `x-amz-date`, lower-case names.
    headers: &'a [(&'a str, &'a str)],
    host: &'a str,
    payload_sha256: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    amz_date: &'a str,
}

/// The canonical query string: each name and value URI-encoded (`/` too), sorted, `name=value` joined by `&`.
fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(name, value)| (uri_encode(name, false), uri_encode(value, false))).collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

impl Signable<'_> {
    fn signed_headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), self.host.into()),
            ("x-amz-content-sha256".into(), self.payload_sha256.into()),
            ("x-amz-date".into(), self.amz_date.into()),
        ];
        headers.extend(self.headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned())));
        headers.sort();
        headers
    }

    fn canonical_request(&self) -> String {
        let headers = self.signed_headers();
        let canonical_headers: String = headers.iter().map(|(name, value)| format!("{name}:{value}\n")).collect();
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        format!(
            "{}\n{}\n{}\n{canonical_headers}\n{}\n{}",
            self.method,
            self.path,
            canonical_query(self.query),
            names.join(";"),
            self.payload_sha256
        )
    }

    /// The `Authorization` header's value.
    fn authorization(&self, credentials: &S3Credentials, region: &str) -> String {
        let date = &self.amz_date[..8];
        let scope = format!("{date}/{region}/s3/aws4_request");
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            self.amz_date,
            hex(&Sha256::digest(self.canonical_request().as_bytes()))
        );
        let secret = format!("AWS4{}", credentials.secret_access_key.expose());
        let key = hmac(&hmac(&hmac(&hmac(secret.as_bytes(), date), region), "s3"), "aws4_request");
        let signature = hex(&hmac(&key, &string_to_sign));
        let names: Vec<String> = self.signed_headers().into_iter().map(|(name, _)| name).collect();
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            credentials.access_key_id,
            names.join(";")
        )
    }
}

/// A failed S3 request: what was asked, and what S3 said (or why it could not be reached).
#[derive(Debug, thiserror::Error)]
#[error("S3 {operation} of {target} failed: {problem}")]
pub struct S3Error {
    pub operation: &'static str,
    /// The object key, or the bucket's name.
    pub target: String,
    /// The HTTP status, when S3 answered.
    pub status: Option<u16>,
    /// S3's error code (`NoSuchBucket`, `SignatureDoesNotMatch`, ...), when it sent one.
    pub code: Option<String>,
    problem: String,
}

/// A request's body.
enum Payload {
    Empty,
    Bytes(Vec<u8>),
    /// A file sent as it is read, with its length and SHA-256 known beforehand (a blob's hash is its name).
    File {
        path: PathBuf,
        size: u64,
        sha256: String,
    },
}

/// A client of one bucket.
#[derive(Debug)]
pub struct S3Bucket {
    config: S3Config,
    http: reqwest::Client,
}

impl S3Bucket {
    pub fn new(config: S3Config) -> Result<S3Bucket, String> {
        // No overall timeout: a large object takes as long as it takes. A stalled connection is cut instead.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| format!("cannot build the S3 client: {error}"))?;
        Ok(S3Bucket { config, http })
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// The key of an app's blob: `{prefix}/{app_id}/{aa}/{sha256}`, the local layout under a prefix.
    pub fn blob_key(&self, app_id: i64, hash: &str) -> String {
        let key = format!("{app_id}/{}/{hash}", &hash[..2]);
        if self.config.prefix.is_empty() {
            key
        } else {
            format!("{}/{key}", self.config.prefix)
        }
    }

    /// Checks at start that the bucket answers to these credentials (a list of no keys under the prefix, which
    /// a key limited to the prefix may make), with a message that says what to fix.
    pub async fn check(&self) -> Result<(), String> {
        let where_ = self.config.describe();
        match self.list(0).await {
            Ok(_) => Ok(()),
            Err(error) => Err(match (error.status, error.code.as_deref()) {
                (_, Some("NoSuchBucket")) | (Some(404), _) => format!("the bucket does not exist ({where_})"),
                (_, Some("SignatureDoesNotMatch")) => format!(
                    "the bucket refused the request's signature, so the secret access key is wrong \
                     (RILL_S3_SECRET_ACCESS_KEY; {where_})"
                ),
                (_, Some("InvalidAccessKeyId")) => {
                    format!("the bucket does not know the access key id (RILL_S3_ACCESS_KEY_ID; {where_})")
                }
                (Some(301), _) | (_, Some("PermanentRedirect" | "AuthorizationHeaderMalformed")) => {
                    format!("the bucket is in another region: set region= in the URL ({where_}): {error}")
                }
                (Some(403), _) => format!("access to the bucket is denied ({where_}): {error}"),
                (None, _) => format!("cannot reach the S3 endpoint ({where_}): {error}"),
                _ => format!("the bucket cannot be used ({where_}): {error}"),
            }),
        }
    }

    /// The keys under the prefix, up to `max_keys` (at most 1000, one page).
    pub async fn list(&self, max_keys: u32) -> Result<Vec<String>, S3Error> {
        let prefix = if self.config.prefix.is_empty() { String::new() } else { format!("{}/", self.config.prefix) };
        let max_keys = max_keys.to_string();
        let query = [("list-type", "2"), ("max-keys", max_keys.as_str()), ("prefix", prefix.as_str())];
        let response = self.send("list", reqwest::Method::GET, None, &query, Payload::Empty).await?;
        let status = response.status();
        let body = read_capped(response, usize::MAX).await;
        if !status.is_success() {
            return Err(self.failure("list", &self.config.bucket, status, &body));
        }
        Ok(xml_values(&body, "Key"))
    }

    /// Whether an object is there.
    pub async fn exists(&self, key: &str) -> Result<bool, S3Error> {
        let response = self.send("HEAD", reqwest::Method::HEAD, Some(key), &[], Payload::Empty).await?;
        match response.status().as_u16() {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => {
                let status = response.status();
                Err(self.failure("HEAD", key, status, ""))
            }
        }
    }

    /// Stores a file as an object in one `PUT`, streamed from disk; S3 makes it visible whole or not at all.
    pub async fn put_file(&self, key: &str, path: PathBuf, size: u64, sha256: &str) -> Result<(), S3Error> {
        let payload = Payload::File { path, size, sha256: sha256.to_owned() };
        self.put(key, payload).await
    }

    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), S3Error> {
        self.put(key, Payload::Bytes(bytes)).await
    }

    async fn put(&self, key: &str, payload: Payload) -> Result<(), S3Error> {
        let response = self.send("PUT", reqwest::Method::PUT, Some(key), &[], payload).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = read_capped(response, MAX_ERROR_BODY).await;
        Err(self.failure("PUT", key, status, &body))
    }

    /// An object's response, to stream; `None` when there is no such object.
    pub async fn get(&self, key: &str) -> Result<Option<reqwest::Response>, S3Error> {
        let response = self.send("GET", reqwest::Method::GET, Some(key), &[], Payload::Empty).await?;
        let status = response.status();
        match status.as_u16() {
            200 => Ok(Some(response)),
            404 => Ok(None),
            _ => {
                let body = read_capped(response, MAX_ERROR_BODY).await;
                Err(self.failure("GET", key, status, &body))
            }
        }
    }

    /// Removes an object; one already gone is no error.
    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        let response = self.send("DELETE", reqwest::Method::DELETE, Some(key), &[], Payload::Empty).await?;
        let status = response.status();
        if status.is_success() || status.as_u16() == 404 {
            return Ok(());
        }
        let body = read_capped(response, MAX_ERROR_BODY).await;
        Err(self.failure("DELETE", key, status, &body))
    }

    fn failure(&self, operation: &'static str, target: &str, status: reqwest::StatusCode, body: &str) -> S3Error {
        let code = xml_values(body, "Code").into_iter().next();
        let message = xml_values(body, "Message").into_iter().next();
        let problem = match (&code, message) {
            (Some(code), Some(message)) => format!("HTTP {} {code}: {message}", status.as_u16()),
            (Some(code), None) => format!("HTTP {} {code}", status.as_u16()),
            _ => format!("HTTP {}", status.as_u16()),
        };
        S3Error { operation, target: target.to_owned(), status: Some(status.as_u16()), code, problem }
    }

    /// The host header and the encoded path of a request for `key` (none: the bucket).
    fn address(&self, key: Option<&str>) -> (String, String) {
        let endpoint = &self.config.endpoint;
        let mut host = endpoint.host_str().unwrap_or_default().to_owned();
        if let Some(port) = endpoint.port() {
            host = format!("{host}:{port}");
        }
        let key = key.map(|key| uri_encode(key, true));
        if self.config.path_style {
            let bucket = uri_encode(&self.config.bucket, false);
            let path = match key {
                Some(key) => format!("/{bucket}/{key}"),
                None => format!("/{bucket}"),
            };
            (host, path)
        } else {
            (format!("{}.{host}", self.config.bucket), format!("/{}", key.unwrap_or_default()))
        }
    }

    /// Signs and sends a request, again (up to [`ATTEMPTS`] in all) while S3 answers a retryable status or
    /// cannot be reached.
    async fn send(
        &self,
        operation: &'static str,
        method: reqwest::Method,
        key: Option<&str>,
        query: &[(&str, &str)],
        payload: Payload,
    ) -> Result<reqwest::Response, S3Error> {
        let (host, path) = self.address(key);
        let query_string = canonical_query(query);
        let url = format!(
            "{}://{host}{path}{}{query_string}",
            self.config.endpoint.scheme(),
            if query_string.is_empty() { "" } else { "?" }
        );
        let target = key.unwrap_or(&self.config.bucket).to_owned();
        let payload_sha256 = match &payload {
            Payload::Empty => EMPTY_SHA256.to_owned(),
            Payload::Bytes(bytes) => hex(&Sha256::digest(bytes)),
            Payload::File { sha256, .. } => sha256.clone(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let signable = Signable {
                method: method.as_str(),
                path: &path,
                query,
                headers: &[],
                host: &host,
                payload_sha256: &payload_sha256,
                amz_date: &amz_date,
            };
            let authorization = signable.authorization(&self.config.credentials, &self.config.region);
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("x-amz-date", &amz_date)
                .header("x-amz-content-sha256", &payload_sha256)
                .header(reqwest::header::AUTHORIZATION, authorization);
            request = match &payload {
                Payload::Empty => request,
                Payload::Bytes(bytes) => request.body(bytes.clone()),
                Payload::File { path, size, .. } => {
                    let file = tokio::fs::File::open(path).await.map_err(|error| S3Error {
                        operation,
                        target: target.clone(),
                        status: None,
                        code: None,
                        problem: format!("cannot read the file to send: {error}"),
                    })?;
                    // Streamed, with its length declared: S3 refuses a PUT in chunked encoding unless it is
                    // signed chunk by chunk.
                    let frames = futures_util::StreamExt::map(tokio_util::io::ReaderStream::new(file), |chunk| {
                        chunk.map(hyper::body::Frame::data)
                    });
                    request
                        .header(reqwest::header::CONTENT_LENGTH, size.to_string())
                        .body(reqwest::Body::wrap(http_body_util::StreamBody::new(frames)))
                }
            };
            let retryable = |status: reqwest::StatusCode| matches!(status.as_u16(), 500 | 502 | 503 | 504);
            match request.send().await {
                Ok(response) if attempt < ATTEMPTS && retryable(response.status()) => {
                    let status = response.status().as_u16();
                    tracing::warn!(operation, key = %target, status, "S3 asked for a retry");
                }
                Ok(response) => return Ok(response),
                Err(error) if attempt < ATTEMPTS => {
                    let error = transport_problem(error);
                    tracing::warn!(operation, key = %target, %error, "S3 request failed; retrying");
                }
                Err(error) => {
                    let problem = transport_problem(error);
                    return Err(S3Error { operation, target, status: None, code: None, problem });
                }
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
    }
}

/// Why a request got no answer, with its causes ("connection refused" is in a source, not the error itself).
fn transport_problem(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut problem = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        problem.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    problem
}

/// A response body as text, at most `limit` bytes of it (an error body can be anything).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= limit {
            body.truncate(limit);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The text of every `<tag>...</tag>` in an S3 XML document, entities decoded. S3's responses are flat enough
/// for this, and it spares an XML parser.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut values = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        let value = after[..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        values.push(value);
        rest = &after[end + close.len()..];
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_credentials() -> S3Credentials {
        S3Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        }
    }

    /// AWS's "GET Object" example of SigV4 for S3 (a single chunk, `Range` signed too): the canonical request
    /// and the signature it publishes.
    #[test]
    fn the_signer_matches_aws_published_get_object_example() {
        let request = Signable {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &[("range", "bytes=0-9")],
            host: "examplebucket.s3.amazonaws.com",
            payload_sha256: EMPTY_SHA256,
            amz_date: "20130524T000000Z",
        };
        assert_eq!(
            request.canonical_request(),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            request.authorization(&example_credentials(), "us-east-1"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// AWS's "PUT Object" example: a key with `$` (encoded once, `%24`), a payload's hash, more signed headers.
    #[test]
    fn the_signer_matches_aws_published_put_object_example() {
        let key = uri_encode("test$file.text", true);
        let path = format!("/{key}");
        let request = Signable {
            method: "PUT",
            path: &path,
            query: &[],
            headers: &[("date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            host: "examplebucket.s3.amazonaws.com",
            payload_sha256: &hex(&Sha256::digest(b"Welcome to Amazon S3.")),
            amz_date: "20130524T000000Z",
        };
        assert_eq!(path, "/test%24file.text");
        assert!(request.authorization(&example_credentials(), "us-east-1").ends_with(
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, \
             Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        ));
    }

    /// AWS's "GET Bucket (List Objects)" example: a query string, sorted and encoded.
    #[test]
    fn the_signer_matches_aws_published_list_objects_example() {
        let request = Signable {
            method: "GET",
            path: "/",
            query: &[("prefix", "J"), ("max-keys", "2")],
            headers: &[],
            host: "examplebucket.s3.amazonaws.com",
            payload_sha256: EMPTY_SHA256,
            amz_date: "20130524T000000Z",
        };
        assert!(request.canonical_request().starts_with("GET\n/\nmax-keys=2&prefix=J\n"));
        assert!(request
            .authorization(&example_credentials(), "us-east-1")
            .ends_with("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved_bytes_and_slashes_between_segments() {
        assert_eq!(uri_encode("a b/c+d~é", true), "a%20b/c%2Bd~%C3%A9");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(canonical_query(&[("prefix", "p/q "), ("list-type", "2")]), "list-type=2&prefix=p%2Fq%20");
    }

    fn credentials() -> Result<S3Credentials, String> {
        Ok(S3Credentials { access_key_id: "key-id".into(), secret_access_key: Secret::new("s3cr3t-value") })
    }

    #[test]
    fn uploads_urls_are_parsed_and_bad_ones_refused_with_the_reason() {
        let config = S3Config::parse(
            "s3://rill-files/chat/eu/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-3",
            credentials(),
        )
        .unwrap();
        assert_eq!((config.bucket.as_str(), config.prefix.as_str()), ("rill-files", "chat/eu"));
        assert_eq!((config.endpoint.as_str(), config.region.as_str()), ("http://127.0.0.1:9000/", "eu-west-3"));
        assert!(config.path_style, "an IP endpoint cannot carry the bucket in its name");
        let bucket = S3Bucket::new(config).unwrap();
        assert_eq!(bucket.blob_key(7, "abcdef"), "chat/eu/7/ab/abcdef");
        assert_eq!(bucket.address(Some("chat/eu/7/ab/abcdef")).1, "/rill-files/chat/eu/7/ab/abcdef");

        let aws = S3Config::parse("s3://rill-files", credentials()).unwrap();
        assert_eq!(aws.endpoint.as_str(), "https://s3.us-east-1.amazonaws.com/");
        assert!(!aws.path_style);
        let bucket = S3Bucket::new(aws).unwrap();
        assert_eq!(
            bucket.address(Some("1/ab/abc")),
            ("rill-files.s3.us-east-1.amazonaws.com".to_owned(), "/1/ab/abc".to_owned())
        );
        let forced = S3Config::parse("s3://b12?endpoint=https://minio.internal&path_style=true", credentials());
        assert!(forced.unwrap().path_style);

        let refused = |url: &str| S3Config::parse(url, credentials()).unwrap_err();
        assert!(refused("s3://").contains("no bucket"));
        assert!(refused("s3:///prefix?endpoint=http://127.0.0.1:9000").contains("no bucket"));
        assert!(refused("https://bucket").contains("s3://"));
        assert!(refused("s3://bucket?endpoint=http://127.0.0.1:9000&colour=blue").contains("unknown key \"colour\""));
        assert!(refused("s3://bucket?endpoint=ftp://127.0.0.1").contains("http:// or https://"));
        assert!(refused("s3://bucket?endpoint=http://key:secret@127.0.0.1").contains("must not carry credentials"));
        assert!(refused("s3://bucket?endpoint=http://127.0.0.1/path").contains("no path"));
        assert!(refused("s3://bucket?path_style=yes").contains("true or false"));
        assert!(refused("s3://bucket?region=a&region=b").contains("twice"));
        assert!(refused("s3://Bucket_1").contains("bucket name"));
        assert!(refused("s3://bucket/a/../b").contains("prefix"));
        let missing = S3Config::parse("s3://bucket", Err("no credentials".into())).unwrap_err();
        assert_eq!(missing, "no credentials", "a good URL then needs credentials");
    }

    #[test]
    fn the_secret_is_never_in_debug_output() {
        let config = S3Config::parse("s3://bucket", credentials()).unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("key-id") && !shown.contains("s3cr3t-value"), "{shown}");
    }

    #[test]
    fn s3_xml_is_read_for_keys_and_error_codes() {
        let xml = "<Error><Code>NoSuchKey</Code><Message>a &amp; b</Message></Error>";
        assert_eq!(xml_values(xml, "Code"), ["NoSuchKey"]);
        assert_eq!(xml_values(xml, "Message"), ["a & b"]);
        assert_eq!(percent_decode("http%3A%2F%2Fa+b").as_deref(), Some("http://a b"));
        assert_eq!(percent_decode("%zz"), None);
    }
}
