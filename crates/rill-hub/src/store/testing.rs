//! Hub stores for tests, on both databases, as the engine's store testing module does: SQLite in a
//! temporary directory, or a schema of its own in the PostgreSQL cluster at `RILL_TEST_DATABASE_URL` (which
//! `scripts/test` starts; `source scripts/postgres.sh && start_postgres` starts one by hand). Without that
//! variable a PostgreSQL test panics saying so: it never passes silently.

use crate::store::{open_with_key, HubDatabase, HubStore};
use rill_core::secret::SealingKey;

/// The variable with the URL of the PostgreSQL cluster for tests (the engine's tests read the same one).
pub const URL_VARIABLE: &str = "RILL_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
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

/// A fresh, empty Hub store on `backend`, with the directory that holds its SQLite file (keep it alive).
pub async fn fresh_store(backend: TestBackend) -> (tempfile::TempDir, HubStore) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let database = match backend {
        TestBackend::Sqlite => HubDatabase::Sqlite,
        TestBackend::Postgres => HubDatabase::Postgres {
            url: postgres_url(),
            schema: Some(format!("hub_{}", uuid::Uuid::new_v4().simple())),
            max_connections: 4,
        },
    };
    let key = SealingKey::generate().expect("a sealing key");
    match open_with_key(directory.path(), &database, key).await {
        Ok(store) => (directory, store),
        Err(error) => panic!("cannot open the {backend:?} Hub store: {error}"),
    }
}

/// Declares `<name>::on_sqlite` and `<name>::on_postgres` for an `async fn(TestBackend)`.
#[cfg(test)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name($crate::store::testing::TestBackend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$name($crate::store::testing::TestBackend::Postgres).await;
            }
        }
    )*};
}
#[cfg(test)]
pub(crate) use on_both_backends;
