//! Rill's chat domain: apps, users, channels, members, messages, reactions and read state; authentication and
//! permission policy; and the store that keeps them.
//!
//! This crate does no network I/O beyond its database. Operations return what changed and who must be told
//! ([`store::Outcome`]); the transport crate publishes those events after the commit.

pub mod auth;
pub mod clock;
pub mod error;
pub mod ids;
pub mod markdown;
pub mod model;
pub mod ops;
pub mod policy;
#[cfg(test)]
mod properties;
pub mod query;
pub mod secret;
pub mod store;
