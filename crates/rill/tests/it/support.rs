//! Running `rill` as a child process.

use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) const RILL: &str = env!("CARGO_BIN_EXE_rill");

/// Runs a `rill` command to completion and returns stdout; panics with stderr on failure.
pub(crate) async fn run(arguments: &[&str]) -> String {
    let output = Command::new(RILL).args(arguments).env("RILL_LOG", "warn").output().await.unwrap();
    assert!(output.status.success(), "rill {arguments:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A running `rill serve`.
pub(crate) struct Served {
    pub child: Child,
    pub base_url: String,
}

/// Starts `rill serve` on a free port and waits until it prints its address.
pub(crate) async fn serve(data_dir: &Path) -> Served {
    let mut child = Command::new(RILL)
        .args(["serve", "--data-dir", data_dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("RILL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base_url = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("rill serve exited before listening");
            if let Some(address) = line.strip_prefix("Rill is listening on ") {
                return address.trim().to_owned();
            }
        }
    })
    .await
    .expect("rill serve did not start within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served { child, base_url }
}

/// Creates an app with `rill app create --json`.
pub(crate) async fn create_app(data_dir: &Path) -> Value {
    serde_json::from_str(
        &run(&["app", "create", "--data-dir", data_dir.to_str().unwrap(), "--name", "Test", "--json"]).await,
    )
    .unwrap()
}
