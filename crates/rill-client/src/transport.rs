//! Where a client's requests go: over HTTP (reqwest), or to a service in the same process, such as the
//! built-in engine's router, which the binary hands over. A local request takes the whole Stream path
//! (authentication, JSON, the error envelope, rate limits) without a socket.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a local service returns.
pub type LocalFuture<'a> = Pin<Box<dyn Future<Output = http::Response<Vec<u8>>> + Send + 'a>>;

/// A Stream API served in this process: a request in, a response out, bodies whole.
pub trait LocalService: Send + Sync {
    fn call(&self, request: http::Request<Vec<u8>>) -> LocalFuture<'_>;
}

/// How a client reaches its backend.
#[derive(Clone)]
pub enum Transport {
    Http(reqwest::Client),
    Local(Arc<dyn LocalService>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Transport::Http(_) => "Transport::Http",
            Transport::Local(_) => "Transport::Local",
        })
    }
}
