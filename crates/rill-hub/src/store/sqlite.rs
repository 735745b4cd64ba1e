//! The Hub on SQLite: `DATA_DIR/hub.db` in WAL mode with `synchronous = FULL` (a commit is on disk before its
//! caller hears back), one writer thread that runs every write in turn, and two reader threads that read
//! alongside it. Other processes (the `rill hub` commands while the server runs) open the same file; SQLite's
//! own lock, with a busy timeout, serializes their writes with ours.

use crate::error::{HubError, HubResult};
use crate::store::{Answer, Backend, Cell, Job, Mode, Param, Row, Tx};
use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, include_str!("../../migrations/sqlite/0002_chat_token_months.sql")),
    (3, include_str!("../../migrations/sqlite/0003_sign_in_limits.sql")),
];
const READER_THREADS: usize = 2;

pub(crate) fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(version, _)| *version).collect()
}

struct Queued {
    job: Job,
    reply: oneshot::Sender<HubResult<Answer>>,
}

pub(crate) struct SqliteBackend {
    writer: mpsc::Sender<Queued>,
    readers: mpsc::Sender<Queued>,
}

impl From<rusqlite::Error> for HubError {
    fn from(error: rusqlite::Error) -> HubError {
        if let rusqlite::Error::SqliteFailure(failure, _) = &error {
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            {
                return HubError::conflict("conflict", "the row exists");
            }
        }
        HubError::internal(format!("sqlite: {error}"))
    }
}

/// Creates the data directory owner-only (0700) if needed: it holds the databases and the sealing key.
pub(crate) fn prepare_data_dir(data_dir: &Path) -> HubResult<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(data_dir)
        .map_err(|error| HubError::internal(format!("cannot create {}: {error}", data_dir.display())))
}

fn open_connection(path: &Path) -> HubResult<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is durable before the writer reports it.
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(connection)
}

fn migrate(connection: &Connection) -> HubResult<()> {
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> HubResult<()> {
        let current: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
            connection.execute_batch(sql)?;
            connection.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(connection.execute_batch("COMMIT")?),
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

/// Creates the database file owner-only (0600) before SQLite does, which gives its `-wal` and `-shm` files the
/// same mode.
fn create_owner_only(path: &Path) -> HubResult<()> {
    if !path.exists() {
        match rill_core::secret::write_owner_only(path, b"") {
            Ok(()) => {}
            // Another process created it first.
            Err(_) if path.exists() => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

impl SqliteBackend {
    pub(crate) fn open(path: &Path) -> HubResult<SqliteBackend> {
        create_owner_only(path)?;
        let writer_connection = open_connection(path)?;
        migrate(&writer_connection)?;
        let (writer, writer_jobs) = mpsc::channel::<Queued>();
        spawn("rill-hub-writer", move || {
            run_jobs(writer_connection, Arc::new(Mutex::new(writer_jobs)), "BEGIN IMMEDIATE")
        })?;
        let (readers, reader_jobs) = mpsc::channel::<Queued>();
        let reader_jobs = Arc::new(Mutex::new(reader_jobs));
        for index in 0..READER_THREADS {
            let connection = open_connection(path)?;
            connection.pragma_update(None, "query_only", true)?;
            let jobs = reader_jobs.clone();
            spawn(&format!("rill-hub-reader-{index}"), move || run_jobs(connection, jobs, "BEGIN"))?;
        }
        Ok(SqliteBackend { writer, readers })
    }
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> HubResult<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .map(drop)
        .map_err(|error| HubError::internal(format!("cannot start the thread {name}: {error}")))
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn run(&self, mode: Mode, job: Job) -> HubResult<Answer> {
        let (reply, answer) = oneshot::channel();
        let queue = if mode == Mode::Write { &self.writer } else { &self.readers };
        queue.send(Queued { job, reply }).map_err(|_| HubError::internal("the Hub's store is closed"))?;
        answer.await.map_err(|_| HubError::internal("the Hub's store dropped a job"))?
    }
}

/// Runs jobs one after another, each in its own transaction, until the backend is dropped.
fn run_jobs(connection: Connection, jobs: Arc<Mutex<mpsc::Receiver<Queued>>>, begin: &str) {
    let mut tx = SqliteTx { connection };
    loop {
        // The lock is held while waiting for a job, never while running one.
        let next = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
        let Ok(Queued { job, reply }) = next else { return };
        let result = run_in_transaction(&mut tx, job, begin);
        let _ = reply.send(result);
    }
}

fn run_in_transaction(tx: &mut SqliteTx, job: Job, begin: &str) -> HubResult<Answer> {
    tx.connection.execute_batch(begin)?;
    let result = run_job(tx, job);
    let ended = match &result {
        Ok(_) => tx.connection.execute_batch("COMMIT"),
        Err(_) => tx.connection.execute_batch("ROLLBACK"),
    };
    if let Err(error) = ended {
        let _ = tx.connection.execute_batch("ROLLBACK");
        return Err(error.into());
    }
    result
}

/// Runs a job's future to completion on this thread. SQLite's calls never wait, so it is ready at its first
/// poll; one that is not waited on something outside the store and is refused. A panic is caught: the job
/// fails and its transaction is rolled back.
fn run_job(tx: &mut SqliteTx, job: Job) -> HubResult<Answer> {
    let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut future = job(tx);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => Err(HubError::internal("a Hub store job waited on something else")),
        }
    }));
    run.unwrap_or_else(|_| {
        tracing::error!("a Hub store job panicked; its changes are rolled back");
        Err(HubError::internal("a Hub store job panicked"))
    })
}

struct SqliteTx {
    connection: Connection,
}

struct Bound<'a>(&'a Param);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Param::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Param::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        })
    }
}

fn cell(value: ValueRef<'_>) -> rusqlite::Result<Cell> {
    match value {
        ValueRef::Null => Ok(Cell::Null),
        ValueRef::Integer(value) => Ok(Cell::Int(value)),
        ValueRef::Text(bytes) => Ok(Cell::Text(String::from_utf8_lossy(bytes).into_owned())),
        ValueRef::Real(_) | ValueRef::Blob(_) => Err(rusqlite::Error::InvalidQuery),
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn query(&mut self, sql: &str, params: &[Param]) -> HubResult<Vec<Row>> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let width = statement.column_count();
        let rows = statement.query_map(rusqlite::params_from_iter(params.iter().map(Bound)), |row| {
            (0..width).map(|index| cell(row.get_ref(index)?)).collect::<rusqlite::Result<Vec<Cell>>>().map(Row)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<Row>>>()?)
    }

    async fn execute(&mut self, sql: &str, params: &[Param]) -> HubResult<u64> {
        let mut statement = self.connection.prepare_cached(sql)?;
        Ok(statement.execute(rusqlite::params_from_iter(params.iter().map(Bound)))? as u64)
    }

    fn for_update(&self) -> &'static str {
        ""
    }
}
