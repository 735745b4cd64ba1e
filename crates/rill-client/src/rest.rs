//! The REST half: authentication headers, the `api_key` query parameter, the `APIError` envelope, and typed calls
//! for the endpoints Rill's own code uses. `raw` gives status, headers and JSON for everything else.

use reqwest::Method;
use rill_protocol::error::ApiErrorBody;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an `APIError`.
    #[error("API error {}: {}", .0.code, .0.message)]
    Api(ApiErrorBody),
    /// The server answered something that is not the protocol.
    #[error("unexpected response ({status}): {body}")]
    Protocol { status: u16, body: String },
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The Stream error code, when the server sent one.
    pub fn code(&self) -> Option<i32> {
        match self {
            ClientError::Api(body) => Some(body.code),
            _ => None,
        }
    }
}

/// A file to upload: its name, its declared type and its bytes.
#[derive(Debug, Clone)]
pub struct UploadFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A response as it came.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// How long until a rate-limited request may be tried again: `X-RateLimit-Reset` (Unix seconds) from
    /// `now`, at least a second (the window may end within the current one); `None` unless the answer is 429.
    pub fn rate_limit_wait(&self, now: i64) -> Option<std::time::Duration> {
        if self.status != 429 {
            return None;
        }
        let reset = self.header("x-ratelimit-reset").and_then(|value| value.trim().parse::<i64>().ok());
        let seconds = reset.map_or(1, |reset| (reset - now).max(1));
        Some(std::time::Duration::from_secs(seconds as u64))
    }
}

/// How long [`Client::raw_patiently`] waits for rate limits in all before it gives the 429 back.
pub const MAX_RATE_LIMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// A client for one app, acting with one token.
#[derive(Debug, Clone)]
pub struct Client {
    transport: crate::transport::Transport,
    base_url: String,
    api_key: String,
    token: Option<String>,
    connection_id: Option<String>,
}

impl Client {
    /// A client with the app's server token (full access).
    pub fn server(base_url: &str, api_key: &str, secret: &str) -> Client {
        Client::with_token(base_url, api_key, Some(crate::token::server_token(secret)))
    }

    /// A client acting as a user, with a token the server issued.
    pub fn with_token(base_url: &str, api_key: &str, token: Option<String>) -> Client {
        Client {
            transport: crate::transport::Transport::Http(reqwest::Client::new()),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            token,
            connection_id: None,
        }
    }

    /// A client of a Stream API served in this process (the built-in engine), acting with `token`: requests
    /// go to `service` without a socket. Its base URL reads `local:`.
    pub fn local(
        service: std::sync::Arc<dyn crate::transport::LocalService>,
        api_key: &str,
        token: Option<String>,
    ) -> Client {
        Client {
            transport: crate::transport::Transport::Local(service),
            base_url: "local:".into(),
            api_key: api_key.to_owned(),
            token,
            connection_id: None,
        }
    }

    /// [`Client::local`] with the app's server token.
    pub fn server_local(
        service: std::sync::Arc<dyn crate::transport::LocalService>,
        api_key: &str,
        secret: &str,
    ) -> Client {
        Client::local(service, api_key, Some(crate::token::server_token(secret)))
    }

    /// The same client, passing `connection_id` so `watch` and `presence` subscribe that socket.
    pub fn on_connection(&self, connection_id: &str) -> Client {
        Client { connection_id: Some(connection_id.to_owned()), ..self.clone() }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Sends a request and returns whatever came back.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<RawResponse, ClientError> {
        let http = match &self.transport {
            crate::transport::Transport::Local(service) => {
                return self.call_local(service.as_ref(), method, path, query, body).await
            }
            crate::transport::Transport::Http(http) => http,
        };
        let mut request = self.request(http, method, path, query);
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::send_raw(request).await
    }

    async fn call_local(
        &self,
        service: &dyn crate::transport::LocalService,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<RawResponse, ClientError> {
        let local_error = |detail: String| ClientError::Protocol { status: 0, body: detail };
        let mut url = reqwest::Url::parse("http://local").map_err(|error| local_error(error.to_string()))?;
        url.set_path(path);
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("api_key", &self.api_key).extend_pairs(query);
            if let Some(connection_id) = &self.connection_id {
                pairs.append_pair("connection_id", connection_id);
            }
        }
        let target = format!("{}?{}", url.path(), url.query().unwrap_or_default());
        let mut request =
            http::Request::builder().method(method).uri(target).header("X-Stream-Client", "rill-client-rust");
        request = match &self.token {
            Some(token) => request.header("Authorization", token).header("stream-auth-type", "jwt"),
            None => request.header("stream-auth-type", "anonymous"),
        };
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                serde_json::to_vec(body).map_err(|error| local_error(error.to_string()))?
            }
            None => Vec::new(),
        };
        let request = request.body(bytes).map_err(|error| local_error(error.to_string()))?;
        let response = service.call(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = serde_json::from_slice(response.body()).map_err(|_| ClientError::Protocol {
            status,
            body: String::from_utf8_lossy(response.body()).chars().take(500).collect(),
        })?;
        Ok(RawResponse { status, headers, body })
    }

    /// [`Client::raw`], waiting out rate limits: a 429 is tried again when its window resets
    /// (`X-RateLimit-Reset`), for up to [`MAX_RATE_LIMIT_WAIT`] in all; then the 429 is the answer. For
    /// batch work (provisioning) that must finish rather than fail.
    pub async fn raw_patiently(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<RawResponse, ClientError> {
        let mut waited = std::time::Duration::ZERO;
        loop {
            let response = self.raw(method.clone(), path, query, body).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs() as i64);
            match response.rate_limit_wait(now) {
                Some(wait) if waited + wait <= MAX_RATE_LIMIT_WAIT => {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
                _ => return Ok(response),
            }
        }
    }

    /// Uploads a file as Stream's upload endpoints take it: a multipart body with the `file` part and, for a
    /// server call, the uploader as the `user` part (`{"id": ...}`).
    pub async fn upload_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        file: &UploadFile,
        user_id: Option<&str>,
    ) -> Result<RawResponse, ClientError> {
        let crate::transport::Transport::Http(http) = &self.transport else {
            return Err(ClientError::Protocol { status: 0, body: "uploads need an HTTP transport".into() });
        };
        let part = reqwest::multipart::Part::bytes(file.bytes.clone())
            .file_name(file.name.clone())
            .mime_str(&file.content_type)
            .map_err(|error| ClientError::Protocol { status: 0, body: error.to_string() })?;
        let mut form = reqwest::multipart::Form::new().part("file", part);
        if let Some(user_id) = user_id {
            form = form.text("user", serde_json::json!({ "id": user_id }).to_string());
        }
        Self::send_raw(self.request(http, method, path, query).multipart(form)).await
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut request = http
            .request(method, format!("{}{path}", self.base_url))
            .query(&[("api_key", self.api_key.as_str())])
            .query(query)
            .header("X-Stream-Client", "rill-client-rust");
        if let Some(connection_id) = &self.connection_id {
            request = request.query(&[("connection_id", connection_id.as_str())]);
        }
        match &self.token {
            Some(token) => request.header("Authorization", token).header("stream-auth-type", "jwt"),
            None => request.header("stream-auth-type", "anonymous"),
        }
    }

    async fn send_raw(request: reqwest::RequestBuilder) -> Result<RawResponse, ClientError> {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).map_err(|_| ClientError::Protocol {
            status,
            body: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
        })?;
        Ok(RawResponse { status, headers, body })
    }

    /// Sends a request and decodes a 2xx body as `T`, or the `APIError`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, ClientError> {
        let response = self.raw(method, path, query, body).await?;
        if !(200..300).contains(&response.status) {
            return Err(match serde_json::from_value::<ApiErrorBody>(response.body.clone()) {
                Ok(error) => ClientError::Api(error),
                Err(_) => ClientError::Protocol { status: response.status, body: response.body.to_string() },
            });
        }
        serde_json::from_value(response.body.clone()).map_err(|error| ClientError::Protocol {
            status: response.status,
            body: format!("{error}: {}", response.body),
        })
    }

    pub async fn get_app(&self) -> Result<rill_protocol::response::GetAppResponse, ClientError> {
        self.call(Method::GET, "/app", &[], None).await
    }

    pub async fn upsert_users(
        &self,
        users: &[Value],
    ) -> Result<rill_protocol::response::UsersMapResponse, ClientError> {
        let map: serde_json::Map<String, Value> =
            users.iter().filter_map(|user| Some((user.get("id")?.as_str()?.to_owned(), user.clone()))).collect();
        self.call(Method::POST, "/users", &[], Some(&serde_json::json!({ "users": map }))).await
    }

    pub async fn get_or_create_channel(
        &self,
        channel_type: &str,
        id: &str,
        body: &Value,
    ) -> Result<rill_protocol::types::ChannelState, ClientError> {
        self.call(Method::POST, &format!("/channels/{channel_type}/{id}/query"), &[], Some(body)).await
    }

    pub async fn query_channels(
        &self,
        body: &Value,
    ) -> Result<rill_protocol::response::QueryChannelsResponse, ClientError> {
        self.call(Method::POST, "/channels", &[], Some(body)).await
    }

    pub async fn send_message(
        &self,
        channel_type: &str,
        id: &str,
        message: &Value,
    ) -> Result<rill_protocol::types::Message, ClientError> {
        let body = serde_json::json!({ "message": message });
        let response: rill_protocol::response::MessageBody =
            self.call(Method::POST, &format!("/channels/{channel_type}/{id}/message"), &[], Some(&body)).await?;
        Ok(response.message)
    }

    pub async fn mark_read(&self, channel_type: &str, id: &str, body: &Value) -> Result<Value, ClientError> {
        self.call(Method::POST, &format!("/channels/{channel_type}/{id}/read"), &[], Some(body)).await
    }
}
