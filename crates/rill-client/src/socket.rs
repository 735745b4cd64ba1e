//! The WebSocket half: connect (resolving on `health.check`), read events, and the test-facing waits, which
//! always time out and report every event they saw.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// The server refused the connection with a `connection.error` frame.
    #[error("connection refused: {0}")]
    Refused(Value),
    #[error("websocket: {0}")]
    Transport(String),
    #[error("timed out {0}")]
    Timeout(String),
}

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub connection_id: String,
    /// The `me` object of the first `health.check`.
    pub me: Value,
    /// Every event received so far, for failure messages.
    pub seen: Vec<Value>,
    /// The close code, once the server closed the socket.
    pub close_code: Option<u16>,
}

fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The `/connect` URL for a REST base URL.
pub fn connect_url(base_url: &str, api_key: &str, token: &str, user_id: &str, user_details: &Value) -> String {
    let ws_base = base_url.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
    let json = serde_json::json!({ "user_id": user_id, "user_details": user_details, "server_determines_connection_id": true });
    format!(
        "{ws_base}/connect?json={}&api_key={}&authorization={}&stream-auth-type=jwt&X-Stream-Client=rill-client-rust",
        encode(&json.to_string()),
        encode(api_key),
        encode(token)
    )
}

impl Socket {
    /// Connects and waits for the first frame: `health.check` resolves, `connection.error` refuses.
    pub async fn connect(
        base_url: &str,
        api_key: &str,
        token: &str,
        user_id: &str,
        user_details: &Value,
    ) -> Result<Socket, SocketError> {
        let url = connect_url(base_url, api_key, token, user_id, user_details);
        let mut socket = Socket::open(&url).await?;
        let first = socket
            .next_frame(Duration::from_secs(10))
            .await?
            .ok_or_else(|| SocketError::Transport("closed before the first frame".into()))?;
        match first.get("type").and_then(Value::as_str) {
            Some("health.check") => {
                socket.connection_id =
                    first.get("connection_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                socket.me = first.get("me").cloned().unwrap_or(Value::Null);
                Ok(socket)
            }
            _ => Err(SocketError::Refused(first)),
        }
    }

    /// Opens the WebSocket at `url` without reading anything, for tests that inspect the first frames and the
    /// close code themselves (a refused connection's `connection.error`, then the close).
    pub async fn open(url: &str) -> Result<Socket, SocketError> {
        let (stream, _) =
            tokio_tungstenite::connect_async(url).await.map_err(|error| SocketError::Transport(error.to_string()))?;
        Ok(Socket { stream, connection_id: String::new(), me: Value::Null, seen: Vec::new(), close_code: None })
    }

    /// The next JSON frame (health checks included), `None` once closed.
    pub async fn next_frame(&mut self, within: Duration) -> Result<Option<Value>, SocketError> {
        loop {
            let message = tokio::time::timeout(within, self.stream.next())
                .await
                .map_err(|_| SocketError::Timeout(format!("after {within:?} waiting for a frame")))?;
            match message {
                None => return Ok(None),
                Some(Err(error)) => return Err(SocketError::Transport(error.to_string())),
                Some(Ok(Message::Text(text))) => {
                    let value: Value =
                        serde_json::from_str(&text).map_err(|error| SocketError::Transport(error.to_string()))?;
                    self.seen.push(value.clone());
                    return Ok(Some(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    self.close_code = Some(frame.map_or(1005, |frame| u16::from(frame.code)));
                    return Ok(None);
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Waits for an event (not a health check) that satisfies `predicate`; on failure, lists what was seen.
    pub async fn wait_for(
        &mut self,
        within: Duration,
        predicate: impl Fn(&Value) -> bool,
    ) -> Result<Value, SocketError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = match self.next_frame(remaining).await {
                Ok(Some(frame)) => frame,
                Ok(None) => return Err(SocketError::Transport(format!("socket closed; saw {}", self.describe_seen()))),
                Err(SocketError::Timeout(_)) => {
                    return Err(SocketError::Timeout(format!("after {within:?}; saw {}", self.describe_seen())))
                }
                Err(error) => return Err(error),
            };
            if frame.get("type").and_then(Value::as_str) != Some("health.check") && predicate(&frame) {
                return Ok(frame);
            }
        }
    }

    /// Waits for an event of `event_type`.
    pub async fn wait_for_type(&mut self, event_type: &str) -> Result<Value, SocketError> {
        self.wait_for(Duration::from_secs(5), |event| event.get("type").and_then(Value::as_str) == Some(event_type))
            .await
    }

    /// Proves that no event satisfying `predicate` arrives within `within`; returns the offending event if one does.
    pub async fn expect_none(&mut self, within: Duration, predicate: impl Fn(&Value) -> bool) -> Result<(), Value> {
        match self.wait_for(within, predicate).await {
            Ok(event) => Err(event),
            Err(_) => Ok(()),
        }
    }

    /// Sends a client health check.
    pub async fn send_health_check(&mut self, user_id: &str) -> Result<(), SocketError> {
        let frame =
            serde_json::json!([{ "type": "health.check", "client_id": format!("{user_id}--{}", self.connection_id) }]);
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .map_err(|error| SocketError::Transport(error.to_string()))
    }

    /// Sends a text frame as it is (tests send odd or oversized frames with it).
    pub async fn send_text(&mut self, text: &str) -> Result<(), SocketError> {
        self.stream.send(Message::Text(text.into())).await.map_err(|error| SocketError::Transport(error.to_string()))
    }

    /// Closes the socket from the client side.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    fn describe_seen(&self) -> String {
        let types: Vec<&str> = self.seen.iter().filter_map(|event| event.get("type").and_then(Value::as_str)).collect();
        format!("{} frame(s): {types:?}", self.seen.len())
    }
}
