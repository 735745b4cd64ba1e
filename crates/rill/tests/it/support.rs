//! Running `rill` as a child process, over a store of its own on the backend `RILL_TEST_DB` names.

use rill_core::store::testing::{postgres_url, BackendKind, TestDatabase};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) const RILL: &str = env!("CARGO_BIN_EXE_rill");

/// Where one test's `rill` keeps its rows: a data directory and, on PostgreSQL, a schema of its own.
pub(crate) struct Place {
    directory: tempfile::TempDir,
    database: TestDatabase,
}

impl Place {
    pub(crate) fn new() -> Place {
        Place { directory: tempfile::tempdir().unwrap(), database: TestDatabase::new(BackendKind::from_env()) }
    }

    pub(crate) fn path(&self) -> &Path {
        self.directory.path()
    }

    pub(crate) fn dir(&self) -> &str {
        self.path().to_str().unwrap()
    }

    /// `rill`, told where the database is through the environment (as an operator would).
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(RILL);
        command.env("RILL_LOG", "warn");
        if self.database.kind == BackendKind::Postgres {
            command.env("RILL_DATABASE_URL", postgres_url()).env("RILL_DATABASE_SCHEMA", self.database.schema());
        }
        command
    }
}

/// Runs a `rill` command to completion and returns stdout; panics with stderr on failure.
pub(crate) async fn run(place: &Place, arguments: &[&str]) -> String {
    let output = place.command().args(arguments).output().await.unwrap();
    assert!(output.status.success(), "rill {arguments:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A running `rill serve`.
pub(crate) struct Served {
    pub child: Child,
    pub base_url: String,
}

/// Starts `rill serve` on a free port and waits until it prints its address.
pub(crate) async fn serve(place: &Place) -> Served {
    serve_with(place, &[]).await
}

/// `rill serve` with extra flags.
pub(crate) async fn serve_with(place: &Place, flags: &[&str]) -> Served {
    serve_with_env(place, flags, &[]).await
}

/// `rill serve` with extra flags and environment variables.
pub(crate) async fn serve_with_env(place: &Place, flags: &[&str], env: &[(&str, &str)]) -> Served {
    let mut child = place
        .command()
        .envs(env.iter().copied())
        .args(["serve", "--data-dir", place.dir(), "--listen", "127.0.0.1:0"])
        .args(flags)
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

/// A `rill serve` whose every output line (stdout and stderr, at `RILL_LOG=debug`) is kept, for tests that
/// read the logs.
pub(crate) struct LoggedServe {
    pub served: Served,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) async fn serve_logged(place: &Place, flags: &[&str]) -> LoggedServe {
    let mut child = place
        .command()
        .env("RILL_LOG", "debug")
        .args(["serve", "--data-dir", place.dir(), "--listen", "127.0.0.1:0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let kept = lines.clone();
    tokio::spawn(async move {
        let mut errors = errors;
        while let Ok(Some(line)) = errors.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let kept = lines.clone();
    let base_url = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = out.next_line().await.unwrap().expect("rill serve exited before listening");
            kept.lock().unwrap().push(line.clone());
            if let Some(address) = line.strip_prefix("Rill is listening on ") {
                return address.trim().to_owned();
            }
        }
    })
    .await
    .expect("rill serve did not start within 30 s");
    let kept = lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = out.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    LoggedServe { served: Served { child, base_url }, lines }
}

/// Creates an app with `rill app create --json`.
pub(crate) async fn create_app(place: &Place) -> Value {
    serde_json::from_str(&run(place, &["app", "create", "--data-dir", place.dir(), "--name", "Test", "--json"]).await)
        .unwrap()
}
