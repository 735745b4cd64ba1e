//! A fake APNs: HTTPS with HTTP/2 only (ALPN `h2`), a throwaway CA and certificate for 127.0.0.1, and
//! `POST /3/device/{token}` checked the way Apple checks it: ES256 provider token, `apns-*` headers, payload.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Value};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use super::server::{bind, json_reply, receive, AcceptLoop, Received, Reply};
use super::{random_hex, FakeOptions, FakeResponse, Scripts, Times};
use crate::apns::{ApnsClient, ApnsKey};
use crate::options::{ClientOptions, Clock};

const KEY_ID: &str = "FAKEKEY001";
const TEAM_ID: &str = "FAKETEAM01";
const PUSH_TYPES: [&str; 11] = [
    "alert",
    "background",
    "location",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "liveactivity",
    "pushtotalk",
    "widgets",
    "controls",
];
/// Apple's payload limits: 4 KiB, 5 KiB for VoIP.
const MAX_PAYLOAD: usize = 4096;
const MAX_VOIP_PAYLOAD: usize = 5120;
/// Apple refuses provider tokens older than an hour.
const TOKEN_MAX_AGE_SECS: i64 = 3600;
const LEEWAY_SECS: i64 = 60;

/// One accepted notification as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct ApnsSend {
    pub device_token: String,
    /// Every request header by lowercase name (`authorization` and the `apns-*` ones included).
    pub headers: BTreeMap<String, String>,
    pub payload: Value,
    /// The request's HTTP version as hyper saw it, e.g. `HTTP/2.0`.
    pub http_version: String,
    /// The ALPN protocol negotiated on the TLS connection it came over.
    pub alpn: String,
    /// The provider token (JWT) it was authorised with.
    pub provider_token: String,
}

/// A running fake APNs on 127.0.0.1; it stops (and deletes its CA file) when dropped.
pub struct FakeApns {
    state: Arc<State>,
    host: String,
    p8_pem: String,
    forged_p8_pem: String,
    ca_file: tempfile::NamedTempFile,
    _server: AcceptLoop,
}

struct State {
    clock: Arc<dyn Clock>,
    public_key: Vec<u8>,
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    connections: usize,
    sends: Vec<ApnsSend>,
    rejections: Vec<String>,
    provider_tokens: Vec<String>,
    scripts: Scripts,
}

/// An APNs error: status and Apple's `reason`.
type Refusal = (u16, &'static str, String);

impl FakeApns {
    /// # Panics
    /// If no loopback port can be bound or the throwaway certificates cannot be made.
    pub async fn start() -> FakeApns {
        FakeApns::start_with(FakeOptions::default()).await
    }

    /// # Panics
    /// If no loopback port can be bound or the throwaway certificates cannot be made.
    pub async fn start_with(options: FakeOptions) -> FakeApns {
        let (p8_pem, public_key) = new_p8();
        let (forged_p8_pem, _) = new_p8();
        let (tls, ca_pem) = tls_config();
        let mut ca_file = tempfile::NamedTempFile::new().expect("temp file for the fake CA");
        ca_file.write_all(ca_pem.as_bytes()).expect("fake CA written");
        let (listener, addr) = bind().await.expect("fake APNs binds a loopback port");
        let state = Arc::new(State { clock: options.clock, public_key, log: Mutex::default() });
        let server = AcceptLoop::spawn(listener, serve_connection(state.clone(), TlsAcceptor::from(Arc::new(tls))));
        FakeApns { state, host: format!("https://{addr}"), p8_pem, forged_p8_pem, ca_file, _server: server }
    }

    /// For [`ApnsClient::with_host`].
    pub fn host(&self) -> String {
        self.host.clone()
    }

    /// The signing key the fake trusts, as an `ApnsKey`.
    ///
    /// # Panics
    /// Never in practice: the key is the fake's own.
    pub fn key(&self) -> ApnsKey {
        ApnsKey::from_p8(&self.p8_pem, KEY_ID, TEAM_ID).expect("the fake's key parses")
    }

    /// The key id and team id of the trusted key (what an app's `apn_config` names).
    pub fn key_id(&self) -> &'static str {
        KEY_ID
    }

    pub fn team_id(&self) -> &'static str {
        TEAM_ID
    }

    /// The trusted key as `.p8` PEM, for code that loads keys from files.
    pub fn p8_pem(&self) -> String {
        self.p8_pem.clone()
    }

    /// Another P-256 key with the same key and team ids: its tokens must be refused.
    ///
    /// # Panics
    /// Never in practice: the key is the fake's own.
    pub fn forged_key(&self) -> ApnsKey {
        ApnsKey::from_p8(&self.forged_p8_pem, KEY_ID, TEAM_ID).expect("the forged key parses")
    }

    /// The fake's clock, a 5 s timeout, and the fake's CA as `ca_file`.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            clock: self.state.clock.clone(),
            timeout: Duration::from_secs(5),
            ca_file: Some(self.ca_file.path().to_owned()),
        }
    }

    /// A client with the trusted key, pointed at the fake.
    ///
    /// # Panics
    /// If the HTTP client cannot be built.
    pub fn client(&self) -> ApnsClient {
        let client = ApnsClient::new(self.key(), self.client_options()).expect("APNs client builds");
        client.with_host(&self.host)
    }

    /// Answers sends to `token` with `response` (once, or until the fake is dropped).
    pub fn respond_to_token(&self, token: &str, response: FakeResponse, times: Times) {
        self.state.log().scripts.push(token, response, times);
    }

    /// Accepted notifications, in order.
    pub fn sends(&self) -> Vec<ApnsSend> {
        self.state.log().sends.clone()
    }

    /// Distinct provider tokens that passed verification (scripted answers included), in the order first seen.
    pub fn provider_tokens(&self) -> Vec<String> {
        self.state.log().provider_tokens.clone()
    }

    /// TLS connections that negotiated `h2`.
    pub fn connections(&self) -> usize {
        self.state.log().connections
    }

    /// Why the fake refused requests or connections (scripted answers are not listed).
    pub fn rejections(&self) -> Vec<String> {
        self.state.log().rejections.clone()
    }
}

/// A fresh P-256 key as `.p8` PEM, and its public point.
fn new_p8() -> (String, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("P-256 key generated");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key parses");
    (crate::pem::encode("PRIVATE KEY", pkcs8.as_ref()), pair.public_key().as_ref().to_vec())
}

/// A throwaway CA, a certificate it signs for 127.0.0.1 and localhost, and a server config offering only h2.
fn tls_config() -> (rustls::ServerConfig, String) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "rill-push fake APNs CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let leaf_key = rcgen::KeyPair::generate().expect("server key");
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let leaf = rcgen::CertificateParams::new(names).expect("server params");
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).expect("server certificate");
    let chain = vec![leaf.der().clone(), ca.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate accepted");
    config.alpn_protocols = vec![b"h2".to_vec()];
    (config, ca.pem())
}

type Connection = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn serve_connection(state: Arc<State>, acceptor: TlsAcceptor) -> impl Fn(tokio::net::TcpStream) -> Connection {
    move |stream| {
        let (state, acceptor) = (state.clone(), acceptor.clone());
        Box::pin(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(err) => return state.reject(format!("TLS handshake failed: {err}")),
            };
            let alpn = tls.get_ref().1.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
            if alpn.as_deref() != Some("h2") {
                return state.reject(format!("connection did not negotiate h2 (ALPN {alpn:?})"));
            }
            let alpn = alpn.unwrap_or_default();
            state.log().connections += 1;
            let service = service_fn(move |request| {
                let (state, alpn) = (state.clone(), alpn.clone());
                async move { Ok::<_, std::convert::Infallible>(state.handle(request, alpn).await) }
            });
            let http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            let _ = http2.serve_connection(TokioIo::new(tls), service).await;
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

    async fn handle(&self, request: hyper::Request<hyper::body::Incoming>, alpn: String) -> Reply {
        let Some(request) = receive(request).await else {
            return apns_error(413, "PayloadTooLarge", None);
        };
        match self.accept(&request, alpn) {
            Ok(reply) => reply,
            Err((status, reason, why)) => {
                self.reject(format!("{reason}: {why}"));
                apns_error(status, reason, request.header("apns-id"))
            }
        }
    }

    /// Apple's checks in roughly Apple's order; the first failure is the answer.
    fn accept(&self, request: &Received, alpn: String) -> Result<Reply, Refusal> {
        if request.parts.version != hyper::Version::HTTP_2 {
            return Err((400, "BadRequest", format!("{:?} is not HTTP/2", request.parts.version)));
        }
        let path = request.parts.uri.path();
        let Some(device_token) = path.strip_prefix("/3/device/") else {
            return Err((404, "BadPath", path.to_owned()));
        };
        if request.parts.method != hyper::Method::POST {
            return Err((405, "MethodNotAllowed", request.parts.method.to_string()));
        }
        if device_token.is_empty() || !device_token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err((400, "BadDeviceToken", device_token.to_owned()));
        }
        let provider_token = self.check_provider_token(request.header("authorization"))?;
        let headers = check_headers(request)?;
        let payload = check_payload(request, headers.get("apns-push-type").map(String::as_str))?;
        Ok(self.record(
            request,
            ApnsSend {
                device_token: device_token.to_owned(),
                headers,
                payload,
                http_version: format!("{:?}", request.parts.version),
                alpn,
                provider_token,
            },
        ))
    }

    fn check_provider_token(&self, authorization: Option<&str>) -> Result<String, Refusal> {
        let Some(authorization) = authorization else {
            return Err((403, "MissingProviderToken", "no authorization header".into()));
        };
        let token = authorization.strip_prefix("bearer ").ok_or((
            403,
            "InvalidProviderToken",
            "authorization is not `bearer <jwt>`".to_owned(),
        ))?;
        let invalid = |why: String| (403, "InvalidProviderToken", why);
        let jwt = crate::jwt::parse(token).map_err(invalid)?;
        if jwt.header["alg"] != "ES256" || jwt.header["kid"] != KEY_ID {
            return Err(invalid(format!("header {}", jwt.header)));
        }
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.public_key)
            .verify(jwt.signed.as_bytes(), &jwt.signature)
            .map_err(|_| invalid("ES256 signature does not verify".into()))?;
        if jwt.claims["iss"] != TEAM_ID {
            return Err(invalid(format!("iss {}", jwt.claims["iss"])));
        }
        let iat = jwt.claims["iat"].as_i64().ok_or_else(|| invalid("iat is not an integer".into()))?;
        let age = self.clock.now().timestamp() - iat;
        if age >= TOKEN_MAX_AGE_SECS {
            return Err((403, "ExpiredProviderToken", format!("token is {age} s old")));
        }
        if age < -LEEWAY_SECS {
            return Err(invalid(format!("iat is {} s in the future", -age)));
        }
        Ok(token.to_owned())
    }

    fn record(&self, request: &Received, send: ApnsSend) -> Reply {
        let mut log = self.log();
        if !log.provider_tokens.contains(&send.provider_token) {
            log.provider_tokens.push(send.provider_token.clone());
        }
        if let Some(scripted) = log.scripts.take(&send.device_token) {
            return scripted_reply(&scripted, request.header("apns-id"));
        }
        let apns_id = send.headers.get("apns-id").cloned().unwrap_or_else(new_uuid);
        log.sends.push(send);
        json_reply(200, String::new(), &[("apns-id", apns_id)])
    }
}

/// The request headers by name, after checking the `apns-*` ones Apple validates.
fn check_headers(request: &Received) -> Result<BTreeMap<String, String>, Refusal> {
    let mut headers = BTreeMap::new();
    for (name, value) in &request.parts.headers {
        let value = value.to_str().map_err(|_| (400, "BadRequest", format!("header {name} is not text")))?;
        headers.insert(name.as_str().to_owned(), value.to_owned());
    }
    let get = |name: &str| headers.get(name).map(String::as_str);
    if get("apns-topic").is_none_or(str::is_empty) {
        return Err((400, "MissingTopic", "no apns-topic".into()));
    }
    match get("apns-push-type") {
        Some(kind) if PUSH_TYPES.contains(&kind) => {}
        other => return Err((400, "InvalidPushType", format!("apns-push-type {other:?}"))),
    }
    if let Some(priority) = get("apns-priority").filter(|p| !matches!(*p, "1" | "5" | "10")) {
        return Err((400, "BadPriority", format!("apns-priority {priority:?}")));
    }
    if let Some(expiration) = get("apns-expiration").filter(|e| e.parse::<i64>().is_err()) {
        return Err((400, "BadExpirationDate", format!("apns-expiration {expiration:?}")));
    }
    if let Some(collapse_id) = get("apns-collapse-id").filter(|c| c.len() > 64) {
        return Err((400, "BadCollapseId", format!("apns-collapse-id is {} bytes", collapse_id.len())));
    }
    if let Some(id) = get("apns-id").filter(|id| !is_uuid(id)) {
        return Err((400, "BadMessageId", format!("apns-id {id:?}")));
    }
    Ok(headers)
}

/// A JSON object with an `aps` dictionary, within Apple's size limit for the push type.
fn check_payload(request: &Received, push_type: Option<&str>) -> Result<Value, Refusal> {
    let limit = if push_type == Some("voip") { MAX_VOIP_PAYLOAD } else { MAX_PAYLOAD };
    if request.body.len() > limit {
        return Err((413, "PayloadTooLarge", format!("{} bytes, limit {limit}", request.body.len())));
    }
    if request.body.is_empty() {
        return Err((400, "PayloadEmpty", "no body".into()));
    }
    // Apple documents no reason for a malformed payload; `BadPayload` is the fake's own word.
    let payload: Value = serde_json::from_slice(&request.body).map_err(|_| (400, "BadPayload", "not JSON".into()))?;
    if !payload.get("aps").is_some_and(Value::is_object) {
        return Err((400, "BadPayload", "payload has no aps dictionary".into()));
    }
    Ok(payload)
}

fn scripted_reply(response: &FakeResponse, apns_id: Option<&str>) -> Reply {
    match response {
        FakeResponse::Unregistered => {
            let body = json!({"reason": "Unregistered", "timestamp": chrono::Utc::now().timestamp_millis()});
            with_id(json_reply(410, body.to_string(), &[]), apns_id)
        }
        FakeResponse::BadDeviceToken => apns_error(400, "BadDeviceToken", apns_id),
        FakeResponse::InvalidArgument => apns_error(400, "BadTopic", apns_id),
        FakeResponse::WrongSender => apns_error(400, "DeviceTokenNotForTopic", apns_id),
        FakeResponse::TooManyRequests { retry_after } => {
            with_retry_after(apns_error(429, "TooManyRequests", apns_id), *retry_after)
        }
        FakeResponse::InternalError => apns_error(500, "InternalServerError", apns_id),
        FakeResponse::Unavailable { retry_after } => {
            with_retry_after(apns_error(503, "ServiceUnavailable", apns_id), *retry_after)
        }
        FakeResponse::ExpiredAuth => apns_error(403, "ExpiredProviderToken", apns_id),
        FakeResponse::Raw { status, body } => with_id(json_reply(*status, body.clone(), &[]), apns_id),
    }
}

fn apns_error(status: u16, reason: &str, apns_id: Option<&str>) -> Reply {
    with_id(json_reply(status, json!({"reason": reason}).to_string(), &[]), apns_id)
}

/// Apple echoes `apns-id` (or makes one) on every answer.
fn with_id(mut reply: Reply, apns_id: Option<&str>) -> Reply {
    let id = apns_id.map_or_else(new_uuid, str::to_owned);
    if let Ok(value) = id.parse() {
        reply.headers_mut().insert("apns-id", value);
    }
    reply
}

fn with_retry_after(mut reply: Reply, retry_after: Option<u64>) -> Reply {
    if let Some(seconds) = retry_after {
        reply.headers_mut().insert("retry-after", seconds.into());
    }
    reply
}

/// An uppercase random UUID-shaped id, as Apple returns.
fn new_uuid() -> String {
    let hex = random_hex(16).to_uppercase();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12] && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}
