//! A fake FCM: Google's OAuth2 token endpoint and the HTTP v1 `messages:send` endpoint on plain HTTP.
//!
//! The token endpoint verifies the RS256 assertion against the test service account's public key, and its
//! claims as Google does; `messages:send` only accepts access tokens it issued and has not expired.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ring::signature::{KeyPair as _, RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use serde_json::{json, Value};

use super::server::{bind, json_reply, receive, AcceptLoop, Received, Reply};
use super::{random_hex, FakeOptions, FakeResponse, Scripts, Times};
use crate::fcm::{FcmClient, ServiceAccount};
use crate::options::{ClientOptions, Clock};

/// Test-only RSA keys (made once with openssl): the fake's service account, and another to forge with.
const ACCOUNT_KEY_PEM: &str = include_str!("keys/fake_fcm_rsa.pem");
const FORGER_KEY_PEM: &str = include_str!("keys/forger_rsa.pem");
const PROJECT_ID: &str = "rill-fake-project";
const CLIENT_EMAIL: &str = "rill-push@rill-fake-project.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google tolerates this much clock skew on `iat`.
const LEEWAY_SECS: i64 = 60;

/// One accepted `messages:send` request as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct FcmSend {
    pub path: String,
    pub authorization: String,
    pub content_type: String,
    /// The `message` object from the `{"message": ...}` body.
    pub message: Value,
}

/// A running fake FCM on 127.0.0.1; it stops when dropped.
pub struct FakeFcm {
    state: Arc<State>,
    base_url: String,
    _server: AcceptLoop,
}

struct State {
    clock: Arc<dyn Clock>,
    token_lifetime: Duration,
    token_uri: String,
    private_key_id: String,
    public_key: Vec<u8>,
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    access_tokens: HashMap<String, DateTime<Utc>>,
    exchanges: usize,
    sends: Vec<FcmSend>,
    rejections: Vec<String>,
    scripts: Scripts,
}

impl FakeFcm {
    /// Starts a fake on the system clock.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start() -> FakeFcm {
        FakeFcm::start_with(FakeOptions::default()).await
    }

    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start_with(options: FakeOptions) -> FakeFcm {
        let (listener, addr) = bind().await.expect("fake FCM binds a loopback port");
        let base_url = format!("http://{addr}");
        let key = rsa_key(ACCOUNT_KEY_PEM);
        let state = Arc::new(State {
            clock: options.clock,
            token_lifetime: options.token_lifetime,
            token_uri: format!("{base_url}/token"),
            private_key_id: random_hex(20),
            public_key: key.public_key().as_ref().to_vec(),
            log: Mutex::default(),
        });
        let server = AcceptLoop::spawn(listener, serve_connection(state.clone()));
        FakeFcm { state, base_url, _server: server }
    }

    /// For [`FcmClient::with_base_url`].
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The fake's token endpoint, also the service account's `token_uri`.
    pub fn token_uri(&self) -> String {
        self.state.token_uri.clone()
    }

    /// Google-style service-account JSON whose key the fake trusts and whose `token_uri` is the fake.
    pub fn service_account_json(&self) -> String {
        self.account_json(ACCOUNT_KEY_PEM)
    }

    /// The same account signed with a key the fake does not know: its assertions must be refused.
    pub fn forged_service_account_json(&self) -> String {
        self.account_json(FORGER_KEY_PEM)
    }

    /// # Panics
    /// Never in practice: the JSON is the fake's own.
    pub fn service_account(&self) -> ServiceAccount {
        ServiceAccount::from_json(&self.service_account_json()).expect("the fake's service account parses")
    }

    /// The fake's clock, a 5 s timeout, no extra CA (the fake is plain HTTP).
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions { clock: self.state.clock.clone(), timeout: Duration::from_secs(5), ca_file: None }
    }

    /// A client for the fake's service account, pointed at the fake.
    ///
    /// # Panics
    /// If the HTTP client cannot be built.
    pub fn client(&self) -> FcmClient {
        let client = FcmClient::new(self.service_account(), self.client_options()).expect("FCM client builds");
        client.with_base_url(&self.base_url)
    }

    /// Answers sends to `token` with `response` (once, or until the fake is dropped).
    pub fn respond_to_token(&self, token: &str, response: FakeResponse, times: Times) {
        self.state.log().scripts.push(token, response, times);
    }

    /// Forgets every issued access token, as if Google revoked them: the next send gets a 401.
    pub fn revoke_access_tokens(&self) {
        self.state.log().access_tokens.clear();
    }

    /// The `message` objects of accepted sends, in order.
    pub fn sends(&self) -> Vec<Value> {
        self.state.log().sends.iter().map(|send| send.message.clone()).collect()
    }

    /// Accepted sends with their path and headers.
    pub fn send_log(&self) -> Vec<FcmSend> {
        self.state.log().sends.clone()
    }

    /// Successful token exchanges (access tokens issued).
    pub fn token_exchanges(&self) -> usize {
        self.state.log().exchanges
    }

    /// Why the fake refused requests for wire or auth reasons (scripted answers are not listed).
    pub fn rejections(&self) -> Vec<String> {
        self.state.log().rejections.clone()
    }

    fn account_json(&self, key_pem: &str) -> String {
        let key_pem = key_pem.split_once("-----BEGIN").map(|(_, pem)| format!("-----BEGIN{pem}")).unwrap_or_default();
        json!({
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self.state.private_key_id,
            "private_key": key_pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.state.token_uri,
        })
        .to_string()
    }
}

/// # Panics
/// If a committed test key does not parse (a broken checkout).
fn rsa_key(pem: &str) -> RsaKeyPair {
    let der = crate::pem::decode_one(pem, "PRIVATE KEY").expect("test RSA key is PEM");
    RsaKeyPair::from_pkcs8(&der).expect("test RSA key is PKCS#8")
}

fn serve_connection(
    state: Arc<State>,
) -> impl Fn(tokio::net::TcpStream) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    move |stream| {
        let state = state.clone();
        Box::pin(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(state.handle(request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        })
    }
}

impl State {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn reject(&self, why: String) {
        self.log().rejections.push(why);
    }

    async fn handle(&self, request: hyper::Request<hyper::body::Incoming>) -> Reply {
        let Some(request) = receive(request).await else {
            return google_error(400, "INVALID_ARGUMENT", "request body too large", None, None);
        };
        let path = request.parts.uri.path().to_owned();
        let send_path = format!("/v1/projects/{PROJECT_ID}/messages:send");
        match (request.parts.method.as_str(), path.as_str()) {
            ("POST", "/token") => self.token(&request),
            ("POST", p) if p == send_path => self.send(&request),
            (method, path) => {
                self.reject(format!("unknown endpoint {method} {path}"));
                google_error(404, "NOT_FOUND", "Requested entity was not found.", None, None)
            }
        }
    }

    fn token(&self, request: &Received) -> Reply {
        match self.check_grant(request) {
            Ok(()) => self.issue_token(),
            Err((error, description)) => {
                self.reject(format!("token exchange: {error}: {description}"));
                let body = json!({"error": error, "error_description": description});
                json_reply(400, body.to_string(), &[])
            }
        }
    }

    fn check_grant(&self, request: &Received) -> Result<(), (&'static str, String)> {
        let form_type = request.header("content-type").unwrap_or_default();
        if !form_type.starts_with("application/x-www-form-urlencoded") {
            return Err(("invalid_request", format!("content-type {form_type:?} is not a form")));
        }
        let form: HashMap<String, String> = form_urlencoded::parse(&request.body).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some(GRANT_TYPE) {
            return Err(("unsupported_grant_type", format!("grant_type {:?}", form.get("grant_type"))));
        }
        let assertion = form.get("assertion").ok_or(("invalid_request", "no assertion".to_owned()))?;
        self.check_assertion(assertion).map_err(|why| ("invalid_grant", why))
    }

    fn check_assertion(&self, assertion: &str) -> Result<(), String> {
        let jwt = crate::jwt::parse(assertion)?;
        if jwt.header["alg"] != "RS256" || !matches!(jwt.header.get("typ"), None | Some(Value::String(_))) {
            return Err(format!("Invalid JWT header {}", jwt.header));
        }
        if jwt.header.get("kid").is_some_and(|kid| kid != self.private_key_id.as_str()) {
            return Err("Invalid JWT: kid is not this account's private_key_id".into());
        }
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(jwt.signed.as_bytes(), &jwt.signature)
            .map_err(|_| "Invalid JWT Signature.".to_owned())?;
        self.check_claims(&jwt.claims)
    }

    fn check_claims(&self, claims: &Value) -> Result<(), String> {
        if claims["iss"] != CLIENT_EMAIL {
            return Err(format!("Invalid JWT: iss {}", claims["iss"]));
        }
        if claims["aud"] != self.token_uri.as_str() {
            return Err(format!("Invalid JWT: aud {}", claims["aud"]));
        }
        let scopes = claims["scope"].as_str().unwrap_or_default();
        if !scopes.split(' ').any(|scope| scope == SCOPE) {
            return Err(format!("Invalid JWT: scope {scopes:?} lacks firebase.messaging"));
        }
        let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
            return Err("Invalid JWT: iat and exp must be integers".into());
        };
        let now = self.clock.now().timestamp();
        if exp <= iat || exp - iat > 3600 || iat > now + LEEWAY_SECS || exp <= now {
            return Err(format!(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe \
                 (iat {iat}, exp {exp}, now {now})"
            ));
        }
        Ok(())
    }

    fn issue_token(&self) -> Reply {
        let mut log = self.log();
        log.exchanges += 1;
        let token = format!("ya29.fake-{}-{}", log.exchanges, random_hex(16));
        let lifetime = self.token_lifetime.as_secs();
        let expires_at = self.clock.now() + chrono::Duration::seconds(lifetime as i64);
        log.access_tokens.insert(token.clone(), expires_at);
        let body = json!({"access_token": token, "expires_in": lifetime, "token_type": "Bearer"});
        json_reply(200, body.to_string(), &[])
    }

    fn send(&self, request: &Received) -> Reply {
        let authorization = request.header("authorization").unwrap_or_default().to_owned();
        if let Err(why) = self.check_access_token(&authorization) {
            self.reject(format!("send: {why}"));
            let message = "Request had invalid authentication credentials. Expected OAuth 2 access token.";
            return google_error(401, "UNAUTHENTICATED", message, None, None);
        }
        let message = match parse_send_body(request) {
            Ok(message) => message,
            Err(why) => {
                self.reject(format!("send: {why}"));
                return google_error(400, "INVALID_ARGUMENT", &why, None, None);
            }
        };
        let token = message.get("token").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut log = self.log();
        if let Some(scripted) = log.scripts.take(&token) {
            return scripted_reply(&scripted);
        }
        let content_type = request.header("content-type").unwrap_or_default().to_owned();
        let path = request.parts.uri.path().to_owned();
        log.sends.push(FcmSend { path, authorization, content_type, message });
        let name = format!("projects/{PROJECT_ID}/messages/{}", 1_000_000 + log.sends.len());
        json_reply(200, json!({"name": name}).to_string(), &[])
    }

    fn check_access_token(&self, authorization: &str) -> Result<(), String> {
        let token = authorization.strip_prefix("Bearer ").ok_or("no Bearer authorization")?;
        let log = self.log();
        let expires_at = log.access_tokens.get(token).ok_or("unknown or revoked access token")?;
        if self.clock.now() >= *expires_at {
            return Err("expired access token".into());
        }
        Ok(())
    }
}

/// The `message` of a `{"message": {...}, "validate_only"?: bool}` body with exactly one target.
fn parse_send_body(request: &Received) -> Result<Value, String> {
    if !request.header("content-type").unwrap_or_default().starts_with("application/json") {
        return Err("content-type is not application/json".into());
    }
    let body: Value = serde_json::from_slice(&request.body).map_err(|_| "Invalid JSON payload received.")?;
    let Some(fields) = body.as_object() else { return Err("body is not a JSON object".into()) };
    if let Some(unknown) = fields.keys().find(|key| !matches!(key.as_str(), "message" | "validate_only")) {
        return Err(format!("Invalid JSON payload received. Unknown name {unknown:?}"));
    }
    let message = fields.get("message").filter(|m| m.is_object()).ok_or("body has no message object")?;
    let targets = ["token", "topic", "condition"].iter().filter(|t| message.get(**t).is_some_and(Value::is_string));
    if targets.count() != 1 {
        return Err("message must have exactly one of token, topic or condition".into());
    }
    Ok(message.clone())
}

fn scripted_reply(response: &FakeResponse) -> Reply {
    match response {
        FakeResponse::Unregistered => {
            google_error(404, "NOT_FOUND", "Requested entity was not found.", Some("UNREGISTERED"), None)
        }
        FakeResponse::BadDeviceToken => {
            let message = "The registration token is not a valid FCM registration token";
            google_error(400, "INVALID_ARGUMENT", message, Some("INVALID_ARGUMENT"), Some("message.token"))
        }
        FakeResponse::InvalidArgument => {
            let message = "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration)";
            google_error(400, "INVALID_ARGUMENT", message, Some("INVALID_ARGUMENT"), Some("message.android.ttl"))
        }
        FakeResponse::WrongSender => {
            google_error(403, "PERMISSION_DENIED", "SenderId mismatch", Some("SENDER_ID_MISMATCH"), None)
        }
        FakeResponse::TooManyRequests { retry_after } => with_retry_after(
            google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", Some("QUOTA_EXCEEDED"), None),
            *retry_after,
        ),
        FakeResponse::InternalError => {
            google_error(500, "INTERNAL", "Internal error encountered.", Some("INTERNAL"), None)
        }
        FakeResponse::Unavailable { retry_after } => with_retry_after(
            google_error(503, "UNAVAILABLE", "The service is currently unavailable.", Some("UNAVAILABLE"), None),
            *retry_after,
        ),
        FakeResponse::ExpiredAuth => {
            let message = "Request had invalid authentication credentials. Expected OAuth 2 access token.";
            google_error(401, "UNAUTHENTICATED", message, None, None)
        }
        FakeResponse::Raw { status, body } => json_reply(*status, body.clone(), &[]),
    }
}

fn with_retry_after(mut reply: Reply, retry_after: Option<u64>) -> Reply {
    if let Some(seconds) = retry_after {
        reply.headers_mut().insert("retry-after", seconds.into());
    }
    reply
}

/// A `google.rpc.Status` error body as FCM sends it, with FCM's `errorCode` and a field violation if given.
fn google_error(code: u16, status: &str, message: &str, error_code: Option<&str>, field: Option<&str>) -> Reply {
    let mut details = Vec::new();
    if let Some(error_code) = error_code {
        details.push(json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}));
    }
    if let Some(field) = field {
        let violation = json!({"field": field, "description": message});
        details.push(json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}));
    }
    let body = json!({"error": {"code": code, "message": message, "status": status, "details": details}});
    json_reply(code, body.to_string(), &[])
}
