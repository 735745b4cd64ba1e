//! Rill's chat engine transport: the Stream REST API and WebSocket gateway over axum, the connection registry,
//! fan-out, rate limits, and the error and response envelopes.

pub mod app;
pub mod bus;
pub mod convert;
pub mod error;
pub mod extract;
pub mod fanout;
pub mod http;
pub mod limiter;
pub mod local;
pub mod outbox;
pub mod purge;
pub mod push;
pub mod registry;
pub mod reply;
pub mod request;
mod routes;
pub mod s3;

#[cfg(feature = "testing")]
pub mod testing;
pub mod uploads;
pub mod ws;
