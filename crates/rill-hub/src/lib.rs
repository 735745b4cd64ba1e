//! The Hub: the agency workspace (members, projects, sign-in) on top of the chat engine. This crate holds its
//! store (its own `hub_` tables, SQLite or PostgreSQL), its rules ([`workspace`]), its HTTP API under
//! `/hub/api/` ([`api::router`]) and its first run ([`bootstrap`]).
//!
//! It never depends on `rill-server` and uses nothing from `rill-core` but `secret` (`Secret`, `SealingKey`):
//! the chat backend will be reached only through the Stream protocol, so pointing the Hub at hosted Stream stays
//! a settings change. The Stream integration (settings, provisioning, chat tokens) comes later, behind
//! [`hooks::ChangeHook`].

pub mod api;
pub mod bootstrap;
pub mod clock;
pub mod error;
pub mod hooks;
pub mod limiter;
pub mod model;
pub mod passwords;
pub mod store;
pub mod tokens;
pub mod workspace;
