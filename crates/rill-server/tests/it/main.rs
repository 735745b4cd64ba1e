//! The engine's integration suite: one test binary, one module per area.
#![allow(clippy::unwrap_used)]

mod smoke;
