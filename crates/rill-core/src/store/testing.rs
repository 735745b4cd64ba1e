//! Backends for tests, on both databases. Which one a test suite uses comes from `RILL_TEST_DB` (`sqlite`, the
//! default, or `postgres`); PostgreSQL is the cluster at `RILL_TEST_DATABASE_URL`, which `scripts/test` starts
//! (`source scripts/postgres.sh && start_postgres` starts one by hand). Each store gets a schema of its own there,
//! so tests never see each other's rows and need no cleaning up: the cluster is thrown away afterwards.

use crate::store::postgres::PostgresOptions;
use crate::store::sqlite::SqliteOptions;
use crate::store::{open_backend, Backend, Database};
use std::path::Path;
use std::sync::Arc;

/// The variable that picks the backend of a test run.
pub const BACKEND_VARIABLE: &str = "RILL_TEST_DB";
/// The variable with the URL of the PostgreSQL cluster for tests.
pub const URL_VARIABLE: &str = "RILL_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// The backend `RILL_TEST_DB` names; panics on a name it does not know, so a typo cannot run the suite on
    /// the wrong backend unnoticed.
    pub fn from_env() -> BackendKind {
        match std::env::var(BACKEND_VARIABLE).as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => BackendKind::Sqlite,
            Ok("postgres") => BackendKind::Postgres,
            Ok(other) => panic!("{BACKEND_VARIABLE}={other:?}: expected sqlite or postgres"),
        }
    }
}

/// A store's place in a test: its data directory and, on PostgreSQL, its schema. Opening it again (after a
/// restart) finds the same rows.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub kind: BackendKind,
    schema: String,
}

impl TestDatabase {
    /// A fresh, empty place on `kind`.
    pub fn new(kind: BackendKind) -> TestDatabase {
        TestDatabase { kind, schema: format!("t_{}", uuid::Uuid::new_v4().simple()) }
    }

    /// The database choice, as `rill serve` would be given it. Panics with what to do when PostgreSQL is asked
    /// for and there is none.
    pub fn database(&self) -> Database {
        match self.kind {
            BackendKind::Sqlite => Database::Sqlite(SqliteOptions::default()),
            BackendKind::Postgres => Database::Postgres {
                url: postgres_url(),
                options: PostgresOptions { max_connections: 8, schema: Some(self.schema.clone()) },
            },
        }
    }

    /// The schema a separate process (the `rill` binary) is given, with `--database-schema`, to reach this place.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Opens the backend over `data_dir`.
    pub async fn open(&self, data_dir: &Path) -> Arc<dyn Backend> {
        match open_backend(data_dir, &self.database()).await {
            Ok(backend) => backend,
            Err(error) => panic!("cannot open the {:?} test store: {}", self.kind, error.detail),
        }
    }
}

/// The test cluster's URL, or a panic that says how to get one.
pub fn postgres_url() -> String {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{URL_VARIABLE} is not set: this test needs PostgreSQL. Run scripts/test, or start a throwaway cluster \
             with `source scripts/postgres.sh && start_postgres`"
        ),
    }
}
