//! The HTTP server under the router: an accept loop that bounds open connections (in all, below the process's
//! file-descriptor limit, and per address), hyper configured with a header read timeout and a bounded request
//! head, Stream-format bodies for the answers hyper writes on its own, and graceful shutdown.
//!
//! Why not `axum::serve`: it offers none of these bounds, and an idle or slowloris client could then hold a
//! descriptor forever; a few hundred of them stopped the server answering anyone.

use crate::app::{router, AppState, HttpConfig};
use crate::limiter::AddressKey;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use rill_protocol::error::{format_duration, ApiErrorBody, ErrorCode};
use rill_protocol::limits::{MAX_HEADERS, MAX_HEADER_BYTES, MAX_URI_BYTES, RESERVED_FILE_DESCRIPTORS};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// The process's limit on open file descriptors, from `/proc/self/limits` (Linux); `None` elsewhere.
pub fn file_descriptor_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection limits a server runs with, resolved from its configuration and the descriptor limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_address: usize,
    pub file_descriptors: Option<usize>,
}

impl ConnectionLimits {
    /// The configured limits, with the total kept [`RESERVED_FILE_DESCRIPTORS`] below the descriptor limit so the
    /// database, the log and the listener always have descriptors left.
    pub fn resolve(config: &HttpConfig, file_descriptors: Option<usize>) -> ConnectionLimits {
        let ceiling = file_descriptors.map(|limit| limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(16));
        let total = match (config.max_connections, ceiling) {
            (Some(configured), Some(ceiling)) => configured.min(ceiling),
            (Some(configured), None) => configured,
            (None, Some(ceiling)) => ceiling,
            (None, None) => 1024,
        };
        ConnectionLimits { total, per_address: config.max_connections_per_address.min(total), file_descriptors }
    }
}

/// Open connections, in all and per address (except from trusted proxies, which carry everyone's). A
/// [`ConnectionSlot`] holds one place until it drops, which is when
/// the socket closes (it lives inside the connection's I/O, so an upgraded WebSocket keeps it).
struct ConnectionCounter {
    limits: ConnectionLimits,
    trusted_proxies: Vec<std::net::IpAddr>,
    // A plain lock: held for a counter update, never across an await.
    open: Mutex<(usize, HashMap<AddressKey, usize>)>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Total,
    PerAddress,
}

impl ConnectionCounter {
    fn admit(self: &Arc<Self>, peer: std::net::IpAddr) -> Result<ConnectionSlot, Refusal> {
        let address = AddressKey::of(Some(peer));
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if open.0 >= self.limits.total {
            return Err(Refusal::Total);
        }
        let proxy = self.trusted_proxies.contains(&peer);
        let from_address = open.1.entry(address).or_insert(0);
        if *from_address >= self.limits.per_address && !proxy {
            return Err(Refusal::PerAddress);
        }
        *from_address += 1;
        open.0 += 1;
        Ok(ConnectionSlot { counter: self.clone(), address })
    }

    fn open_connections(&self) -> usize {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).0
    }
}

struct ConnectionSlot {
    counter: Arc<ConnectionCounter>,
    address: AddressKey,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.0 = open.0.saturating_sub(1);
        if let Some(count) = open.1.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.1.remove(&self.address);
            }
        }
    }
}

/// A complete HTTP/1.1 response carrying a Stream `APIError`, for answers written below the router.
fn error_response_bytes(status: u16, reason: &str, code: ErrorCode, detail: &str) -> Vec<u8> {
    let body = ApiErrorBody::new(code, "Request", detail, format_duration(Duration::ZERO));
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut bytes = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        json.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&json);
    bytes
}

/// The Stream-format replacement of an answer hyper writes by itself when it cannot parse a request head
/// (`400`, `414` or `431` with an empty body); `None` for anything else. The router's own errors always carry
/// `content-type`, so they never match.
fn replacement_for(head: &[u8]) -> Option<Vec<u8>> {
    let (status, reason, code, detail) = if head.starts_with(b"HTTP/1.1 431 ") || head.starts_with(b"HTTP/1.1 414 ") {
        let detail = format!(
            "the request head is too large: at most {MAX_URI_BYTES} bytes of request line, {MAX_HEADER_BYTES} \
             bytes and {MAX_HEADERS} headers"
        );
        (431, "Request Header Fields Too Large", ErrorCode::HeadersTooLarge, detail)
    } else if head.starts_with(b"HTTP/1.1 400 ") {
        (400, "Bad Request", ErrorCode::InputError, "the request is not valid HTTP/1.1".to_owned())
    } else {
        return None;
    };
    let end = head.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    let empty = head.contains("\r\ncontent-length: 0") && !head.contains("\r\ncontent-type:");
    empty.then(|| error_response_bytes(status, reason, code, &detail))
}

/// The connection's I/O: holds its [`ConnectionSlot`], and rewrites hyper's own bodiless error answers into
/// Stream's format. It stops looking once the connection switches protocols (a WebSocket's frames are never
/// inspected).
struct ConnectionIo {
    stream: TcpStream,
    _slot: ConnectionSlot,
    /// Replacement bytes still to be written.
    pending: Vec<u8>,
    inspecting: bool,
}

impl ConnectionIo {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = std::task::ready!(Pin::new(&mut self.stream).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ConnectionIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnectionIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if self.inspecting {
            if buf.starts_with(b"HTTP/1.1 101 ") {
                self.inspecting = false;
            } else if let Some(replacement) = replacement_for(buf) {
                // The whole original is reported written; the replacement goes out before anything else.
                self.pending = replacement;
                self.inspecting = false;
                std::task::ready!(self.poll_pending(cx))?;
                return Poll::Ready(Ok(buf.len()));
            }
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Answers a connection that is over a limit with 429 (code 9) and closes it, without waiting long for a
/// client that does not read.
async fn refuse(mut stream: TcpStream, refusal: Refusal, limits: ConnectionLimits) {
    use tokio::io::AsyncWriteExt;
    let detail = match refusal {
        Refusal::Total => format!("the server has its limit of {} connections open: retry shortly", limits.total),
        Refusal::PerAddress => {
            format!("this address has its limit of {} connections open", limits.per_address)
        }
    };
    let bytes = error_response_bytes(429, "Too Many Requests", ErrorCode::RateLimited, &detail);
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&bytes)).await;
}

/// Serves until `shutdown` resolves: then stops accepting, lets in-flight requests finish, closes every
/// WebSocket with 1001 and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = router(state.clone());
    serve_app(listener, state, app, shutdown).await
}

/// [`serve`] with the router given: the binary puts other routes (the Hub's) in front of the engine's
/// [`router`], which it passes as their fallback. The connection limits, timeouts and shutdown are the same for
/// every route.
pub async fn serve_app(
    listener: TcpListener,
    state: AppState,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = ConnectionLimits::resolve(state.http_config(), file_descriptor_limit());
    tracing::info!(
        file_descriptors = limits.file_descriptors,
        max_connections = limits.total,
        max_connections_per_address = limits.per_address,
        "connection limits"
    );
    let counter = Arc::new(ConnectionCounter {
        limits,
        trusted_proxies: state.http_config().trusted_proxies.clone(),
        open: Mutex::new((0, HashMap::new())),
    });
    // Each connection task holds a receiver; shutdown waits for the last one to go (`closed`), so no set of
    // task handles has to be kept and reaped.
    let (closing_sender, closing) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of descriptors (or another transient failure): back off instead of spinning.
                        tracing::warn!(%error, open = counter.open_connections(), "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match counter.admit(peer.ip()) {
                    Ok(slot) => {
                        let connection = serve_connection(stream, peer, slot, app.clone(), state.clone(), closing.clone());
                        tokio::spawn(connection);
                    }
                    Err(refusal) => {
                        tracing::debug!(%peer, ?refusal, "connection refused");
                        tokio::spawn(refuse(stream, refusal, limits));
                    }
                }
            }
        }
    }
    // Sockets do not count as in-flight requests: tell them to close so the server can finish.
    state.announce_shutdown();
    let _ = closing_sender.send(true);
    drop(closing);
    closing_sender.closed().await;
    state.close_connections(Duration::from_secs(5)).await;
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    slot: ConnectionSlot,
    app: axum::Router,
    state: AppState,
    mut closing: watch::Receiver<bool>,
) {
    // Without TCP_NODELAY, Nagle's algorithm holds back a small WebSocket frame until the previous one is
    // acknowledged, which the peer's delayed ACK stretches to about 40 ms.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY");
    }
    let io = TokioIo::new(ConnectionIo { stream, _slot: slot, pending: Vec::new(), inspecting: true });
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(state.http_config().header_read_timeout)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_URI_BYTES + MAX_HEADER_BYTES)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        }
        _ = closing.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_answers_get_a_stream_body_and_ours_are_left_alone() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let replaced = String::from_utf8(replacement_for(hyper_431).unwrap()).unwrap();
        assert!(replaced.starts_with("HTTP/1.1 431 "), "{replaced}");
        let body: serde_json::Value = serde_json::from_str(replaced.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!((body["code"].as_i64(), body["StatusCode"].as_i64()), (Some(24), Some(431)));
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement_for(hyper_400).is_some());
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement_for(ours).is_none());
        assert!(replacement_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }

    #[test]
    fn limits_stay_below_the_descriptor_limit() {
        let config = HttpConfig { max_connections: None, max_connections_per_address: 512, ..HttpConfig::default() };
        let limits = ConnectionLimits::resolve(&config, Some(256));
        assert_eq!((limits.total, limits.per_address), (128, 128));
        let limits = ConnectionLimits::resolve(&HttpConfig { max_connections: Some(10), ..config }, Some(20_000));
        assert_eq!((limits.total, limits.per_address), (10, 10));
        assert!(file_descriptor_limit().is_some_and(|limit| limit > 0));
    }

    #[test]
    fn slots_count_per_address_and_free_on_drop() {
        let limits = ConnectionLimits { total: 3, per_address: 2, file_descriptors: None };
        let proxy: std::net::IpAddr = "10.0.0.9".parse().unwrap();
        let counter =
            Arc::new(ConnectionCounter { limits, trusted_proxies: vec![proxy], open: Mutex::new((0, HashMap::new())) });
        let one: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let first = counter.admit(one).unwrap();
        let _second = counter.admit(one).unwrap();
        assert_eq!(counter.admit(one).err(), Some(Refusal::PerAddress));
        let _third = counter.admit(proxy).unwrap();
        assert_eq!(counter.admit("10.0.0.3".parse().unwrap()).err(), Some(Refusal::Total));
        drop(first);
        assert!(counter.admit(one).is_ok());
        let limits = ConnectionLimits { total: 10, per_address: 1, file_descriptors: None };
        let counter =
            Arc::new(ConnectionCounter { limits, trusted_proxies: vec![proxy], open: Mutex::new((0, HashMap::new())) });
        let proxied: Vec<_> = (0..5).map(|_| counter.admit(proxy)).collect();
        assert!(proxied.iter().all(Result::is_ok), "a trusted proxy is not capped per address");
    }
}
