//! Wire types of the Stream Chat API as Rill speaks it: REST bodies, WebSocket events, the `APIError` shape and
//! the error-code table, JWT claims and the filter language.
//!
//! This crate is the only place that defines wire serialization. It does no I/O and knows no framework: statuses
//! are plain `u16`, times are `chrono` values, and every shape that crosses a process boundary lives here.

pub mod error;
pub mod event;
pub mod filter;
pub mod ids;
pub mod jwt;
pub mod limits;
pub mod operations;
#[cfg(test)]
mod properties;
pub mod request;
pub mod response;
pub mod schema;
pub mod time;
pub mod types;
