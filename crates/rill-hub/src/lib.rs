//! The Hub: the agency workspace (members, projects, sign-in) and its Stream Chat integration. This crate holds
//! its store (its own `hub_` tables, SQLite or PostgreSQL), its rules ([`workspace`]), its HTTP API under
//! `/hub/api/` ([`api::router`]), its first run ([`bootstrap`]), and what it does on the chat backend
//! ([`provision`], [`moderation`], [`push`], [`usage`], [`integration`], [`chat_tokens`]).
//!
//! It never depends on `rill-server` and uses nothing from `rill-core` but `secret` (`Secret`, `SealingKey`):
//! the chat backend is reached only through the Stream protocol with `rill-client`, so pointing the Hub at
//! hosted Stream stays a settings change.

pub mod api;
pub mod bootstrap;
pub mod chat_tokens;
pub mod clock;
pub mod connector;
pub mod error;
pub mod hooks;
pub mod integration;
pub mod limiter;
pub mod model;
pub mod moderation;
pub mod passwords;
pub mod provision;
pub mod provisioner;
pub mod push;
pub mod store;
pub mod tokens;
pub mod usage;
pub mod workspace;
