//! The engine's integration suite: one test binary, one module per area.
#![allow(clippy::unwrap_used)]

mod app;
mod auth;
mod authorization;
mod channels;
mod concurrency;
mod devices;
mod errors;
mod events;
mod gateway;
mod guests;
mod hardening;
mod messages;
mod moderation;
mod moderation_config;
mod probe;
mod properties;
mod push;
mod smoke;
mod support;
mod uploads;
mod uploads_s3;
mod usage;
mod users;
mod webhooks;
