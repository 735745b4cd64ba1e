//! Tests of the `rill` binary as operators and clients meet it: the command line, process signals and crash
//! durability. Each test runs the real executable.
#![allow(clippy::unwrap_used)]

mod cli;
mod durability;
mod hub;
mod hub_integration;
mod hub_moderation;
mod provision;
mod secrets;
mod support;
mod tidy;
