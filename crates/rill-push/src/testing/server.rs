//! What both fakes share: an accept loop that dies with its fake, body reading, and JSON responses.

use std::future::Future;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub(super) type Reply = Response<Full<Bytes>>;

/// A request with its body read (at most 1 MiB: enough to see an oversize payload, small enough to be safe).
pub(super) struct Received {
    pub(super) parts: hyper::http::request::Parts,
    pub(super) body: Bytes,
}

pub(super) async fn receive(request: Request<Incoming>) -> Option<Received> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, 1 << 20).collect().await.ok()?.to_bytes();
    Some(Received { parts, body })
}

impl Received {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Accepts connections until dropped; dropping also ends every open connection (they live in the JoinSet).
pub(super) struct AcceptLoop(JoinHandle<()>);

impl AcceptLoop {
    pub(super) fn spawn<F, Fut>(listener: TcpListener, serve: F) -> AcceptLoop
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        AcceptLoop(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                connections.spawn(serve(stream));
            }
        }))
    }
}

impl Drop for AcceptLoop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) fn json_reply(status: u16, body: String, headers: &[(&str, String)]) -> Reply {
    let mut builder = Response::builder().status(status).header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    // Status codes and header names here are all literals the fakes control, so building cannot fail.
    builder.body(Full::new(Bytes::from(body))).unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

pub(super) async fn bind() -> std::io::Result<(TcpListener, std::net::SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
