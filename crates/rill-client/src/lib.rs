//! Rill's own Stream Chat client, written from the public API description: REST over reqwest, the WebSocket
//! over tokio-tungstenite, and HS256 token signing. The Hub, the test suites and the benchmark all talk to a
//! chat backend through it, so they work the same against Rill or any other Stream-protocol server.

pub mod probe;
pub mod rest;
pub mod socket;
pub mod token;
pub mod transport;

pub use rest::{Client, ClientError, RawResponse, UploadFile};
pub use socket::{Socket, SocketError};
pub use transport::{LocalService, Transport};
