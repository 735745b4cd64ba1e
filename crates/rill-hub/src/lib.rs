//! The Hub: the agency workspace (members, projects) and its Stream Chat integration. It reaches its chat
//! backend only through the Stream protocol with `rill-client`, never through engine internals or tables, so
//! the built-in engine and hosted Stream are interchangeable.

pub mod integration;
pub mod moderation;
pub mod provision;
pub mod push;
pub mod tokens;
pub mod usage;
