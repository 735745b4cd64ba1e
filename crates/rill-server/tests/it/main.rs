//! The engine's integration suite: one test binary, one module per area.
#![allow(clippy::unwrap_used)]

mod app;
mod auth;
mod channels;
mod errors;
mod events;
mod gateway;
mod hardening;
mod messages;
mod smoke;
mod support;
mod users;
