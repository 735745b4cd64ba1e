//! Development tasks for the Rill workspace, run as `cargo xtask <task>`.
//!
//! Tasks:
//!
//! - `schemas`: extract the Stream OpenAPI component schemas that Rill's tests validate against into
//!   `crates/rill-protocol/schemas/stream.json` (see `schemas.rs`).

// The xtask is a command-line tool: printing to stdout is its user interface.
#![allow(clippy::print_stdout)]

mod schemas;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let mut arguments = std::env::args().skip(1);
    let task = arguments.next();
    match task.as_deref() {
        Some("schemas") => {
            if let Some(unexpected) = arguments.next() {
                bail!("`cargo xtask schemas` takes no arguments, got `{unexpected}`");
            }
            schemas::run(&workspace_root()?)
        }
        None | Some("help" | "--help" | "-h") => {
            print_help();
            Ok(())
        }
        Some(unknown) => {
            print_help();
            bail!("unknown task `{unknown}`")
        }
    }
}

fn print_help() {
    println!("Usage: cargo xtask <task>");
    println!();
    println!("Tasks:");
    println!("  schemas   extract Stream OpenAPI schemas into crates/rill-protocol/schemas/stream.json");
    println!("            (reads ../shared/reference/stream-openapi/ or $RILL_OPENAPI_DIR)");
}

/// The workspace root is the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("the xtask manifest directory has no parent")
}
