//! The SQLite backend: WAL mode, one writer thread with group commit, and a few reader threads.
//!
//! Durability: `synchronous = FULL` makes every commit reach the disk before it returns, and a write's caller
//! hears back only after its commit, so an acknowledged write survives `kill -9` and power loss. Throughput: the
//! writer drains every job that is waiting (up to [`MAX_BATCH`]) into one transaction, each job in its own
//! savepoint so that one failing job rolls back alone, then commits once for all of them.

use crate::error::{CoreError, CoreResult};
use crate::model::{
    App, AppSettings, Ban, Blocklist, Channel, ChannelMute, Device, Flag, Member, Message, MessageReactions, PushKind,
    PushProvider, Reaction, UnreadTotals, Upload, User, UserMute,
};
use crate::secret::{SealingKey, Secret};
use crate::store::codec::{
    collect_reaction, json_map, micros, optional_micros, optional_time, push_config_to_json, push_provider_from_row,
    settings_from_json, settings_to_json, time, RankedReaction,
};
use crate::store::selection::{
    message_index_text, render_select, user_index_words, Bound, Dialect, JsonTest, RowQuery, Scalar, WordIndex, BANS,
    CHANNELS, FLAGS, MEMBERS, MESSAGES, USERS,
};
use crate::store::{
    attachments_json, data_json, AppRows, Backend, BlocklistRows, BoxFuture, ChannelChanges, ChannelCounters,
    ChannelRows, DeviceRows, FailedJob, Job, Maintenance, MemberChanges, MessageContent, MessagePin, MessageRange,
    MessageRows, ModerationRows, NewApp, NewJob, OutboxJob, OutboxRows, OutboxSummary, PinRange, PushRows, Sight,
    UploadRows, UsageRows, UserPurge, UserRows,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most jobs one commit carries; bounds the latency a job waits behind others.
pub const MAX_BATCH: usize = 512;
const READER_THREADS: usize = 4;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, include_str!("../../migrations/sqlite/0002_counters_and_names.sql")),
    (3, include_str!("../../migrations/sqlite/0003_word_indexes.sql")),
    (4, include_str!("../../migrations/sqlite/0004_last_updated.sql")),
    (5, include_str!("../../migrations/sqlite/0005_members_by_joined.sql")),
    (6, include_str!("../../migrations/sqlite/0006_purges.sql")),
    (7, include_str!("../../migrations/sqlite/0007_read_floor.sql")),
    (8, include_str!("../../migrations/sqlite/0008_user_purges.sql")),
    (9, include_str!("../../migrations/sqlite/0009_user_mutes.sql")),
    (10, include_str!("../../migrations/sqlite/0010_bans.sql")),
    (11, include_str!("../../migrations/sqlite/0011_flags.sql")),
    (12, include_str!("../../migrations/sqlite/0012_channel_mutes.sql")),
    (13, include_str!("../../migrations/sqlite/0013_usage.sql")),
    (14, include_str!("../../migrations/sqlite/0014_outbox.sql")),
    (15, include_str!("../../migrations/sqlite/0015_uploads.sql")),
    (16, include_str!("../../migrations/sqlite/0016_devices.sql")),
    (17, include_str!("../../migrations/sqlite/0017_push.sql")),
    (18, include_str!("../../migrations/sqlite/0018_blocklists.sql")),
];

/// The versions of the migrations this backend knows, for the check that both backends know the same ones.
pub fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(version, _)| *version).collect()
}

/// How the backend runs; the defaults are production's, tests shrink the WAL bound to see it work.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// How often the checkpointer copies the write-ahead log into the database.
    pub checkpoint_interval: Duration,
    /// A WAL larger than this at a checkpoint is checkpointed in full and truncated by the writer between two
    /// batches, which holds writes back for the length of that checkpoint: the price of a bounded log. Between
    /// checks the log grows by at most one interval of writes, so it stays under this bound plus what arrives in
    /// one interval and one truncation.
    pub wal_limit_bytes: u64,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions { checkpoint_interval: Duration::from_millis(250), wal_limit_bytes: 64 * 1024 * 1024 }
    }
}

type QueuedJob = Box<dyn Job>;

pub struct SqliteBackend {
    writer: mpsc::Sender<QueuedJob>,
    readers: mpsc::Sender<QueuedJob>,
    /// Successful commits so far: with group commit, far fewer than write jobs under concurrency.
    commits: Arc<AtomicU64>,
    wal: Arc<WalState>,
    /// Dropping this stops the checkpointer thread.
    _stop_checkpoints: mpsc::Sender<()>,
}

/// What the checkpointer and the writer share about the write-ahead log.
struct WalState {
    path: PathBuf,
    /// The largest size seen, for `rill bench`.
    peak: AtomicU64,
    /// Set by the checkpointer when the log is over its limit; the writer truncates it after its next batch.
    truncate_due: std::sync::atomic::AtomicBool,
}

impl WalState {
    fn size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|metadata| metadata.len()).unwrap_or(0)
    }
}

/// Checkpoints run on their own connection and thread, passively, so they never stall a commit (a checkpoint
/// inside a commit, SQLite's default, stalled every acknowledged write for a hundred milliseconds at times). A
/// passive checkpoint cannot finish while readers keep using the log, so under steady load the log would grow
/// without end: past `wal_limit_bytes` the checkpointer asks the writer for a truncating checkpoint, which only
/// the writer can get promptly (it holds the write lock between batches; anyone else starves waiting for it).
/// Failures are logged and the loop goes on; a panic in one round does not end the thread.
fn run_checkpointer(connection: Connection, wal: Arc<WalState>, options: SqliteOptions, stop: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(options.checkpoint_interval) {
        let round = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let wal_bytes = wal.size();
            wal.peak.fetch_max(wal_bytes, Ordering::Relaxed);
            if wal_bytes > options.wal_limit_bytes {
                wal.truncate_due.store(true, Ordering::Relaxed);
            } else if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(%error, "checkpoint failed");
            }
        }));
        if round.is_err() {
            tracing::error!("a checkpoint round panicked; the checkpointer goes on");
        }
    }
}

/// Run by the writer between batches when the log is over its limit: checkpoints every frame and truncates
/// the log to nothing. Truncating waits for readers to leave the log while holding writes back, so up to four
/// times the limit it waits at most [`SOFT_TRUNCATE_WAIT`] and otherwise tries again at the next check; past
/// that it waits as long as it must (the longest running read): a bounded log is worth one such stall.
fn truncate_wal(connection: &Connection, wal: &WalState, limit: u64) {
    if !wal.truncate_due.swap(false, Ordering::Relaxed) {
        return;
    }
    let before = wal.size();
    let wait = if before > limit.saturating_mul(4) { Duration::from_secs(10) } else { SOFT_TRUNCATE_WAIT };
    let started = std::time::Instant::now();
    let _ = connection.busy_timeout(wait);
    let result = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
    let _ = connection.busy_timeout(Duration::from_secs(10));
    match result {
        Ok(busy) => tracing::info!(
            before,
            after = wal.size(),
            gave_up_waiting = busy != 0,
            millis = started.elapsed().as_millis() as u64,
            "truncated the write-ahead log"
        ),
        Err(error) => tracing::warn!(%error, "truncating the write-ahead log failed"),
    }
}

/// How long a truncation below the hard bound waits for readers to leave the log.
const SOFT_TRUNCATE_WAIT: Duration = Duration::from_millis(50);

fn open_connection(path: &Path) -> CoreResult<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk before the writer reports it, which is what "acknowledged" promises.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "OFF")?;
    connection.pragma_update(None, "cache_size", -16_000)?;
    // The hot statements (a send's dozen) must stay prepared while queries of every shape come and go; queries
    // built from filters are not cached at all.
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn migrate(connection: Connection, key: &Arc<SealingKey>) -> CoreResult<Connection> {
    let current: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let mut tx = SqliteTx { connection, key: key.clone() };
    for (version, sql) in MIGRATIONS {
        if *version > current {
            tx.connection.execute_batch(&format!("BEGIN; {sql};"))?;
            let indexed = if *version == 3 { tx.index_existing_rows() } else { Ok(()) };
            if let Err(error) = indexed {
                let _ = tx.connection.execute_batch("ROLLBACK");
                return Err(error);
            }
            tx.connection.execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
        }
    }
    Ok(tx.connection)
}

/// Creates the data directory owner-only (0700), or tightens an existing one: it holds the database and the key
/// that seals its secrets.
pub fn prepare_data_dir(data_dir: &Path) -> CoreResult<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(data_dir)
        .map_err(|error| CoreError::internal(format!("cannot create {}: {error}", data_dir.display())))?;
    restrict(data_dir, 0o700)
}

/// Sets owner-only permissions on a path that exists (Unix only; elsewhere nothing to do).
fn restrict(path: &Path, mode: u32) -> CoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .map_err(|error| CoreError::internal(format!("cannot restrict {}: {error}", path.display())))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The database file and its companions, created (or tightened) owner-only, 0600. SQLite gives the `-wal` and
/// `-shm` files the database file's permissions, so creating the database 0600 first is what keeps them private.
fn restrict_database_files(path: &Path) -> CoreResult<()> {
    if !path.exists() {
        crate::secret::write_owner_only(path, b"")?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        restrict(Path::new(&name), 0o600)?;
    }
    Ok(())
}

/// The database file inside a data directory.
pub const DATABASE_FILE: &str = "rill.db";

impl SqliteBackend {
    /// Opens the store of a data directory: creates the directory owner-only if needed, loads (or creates) its
    /// sealing key, and opens `rill.db` in it.
    pub fn open_data_dir(data_dir: &Path, options: SqliteOptions) -> CoreResult<SqliteBackend> {
        prepare_data_dir(data_dir)?;
        let key = SealingKey::load_or_create(data_dir)?;
        SqliteBackend::open_with(&data_dir.join(DATABASE_FILE), key, options)
    }

    /// Opens (creating if needed) the database at `path` with production options. See [`SqliteBackend::open_with`].
    pub fn open(path: &Path, key: SealingKey) -> CoreResult<SqliteBackend> {
        SqliteBackend::open_with(path, key, SqliteOptions::default())
    }

    /// Opens (creating if needed) the database at `path` owner-only, migrates it, seals any secret stored in the
    /// clear by an older version, and starts the writer, reader and checkpoint threads. The threads stop when the
    /// backend is dropped. `key` seals and opens the app secrets.
    pub fn open_with(path: &Path, key: SealingKey, options: SqliteOptions) -> CoreResult<SqliteBackend> {
        restrict_database_files(path)?;
        let key = Arc::new(key);
        let writer_connection = migrate(open_connection(path)?, &key)?;
        seal_plain_secrets(&writer_connection, &key)?;
        restrict_database_files(path)?;
        writer_connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoint_connection = open_connection(path)?;
        let (stop_checkpoints, checkpoint_stop) = mpsc::channel::<()>();
        let mut wal_path = path.as_os_str().to_owned();
        wal_path.push("-wal");
        let wal = Arc::new(WalState {
            path: PathBuf::from(wal_path),
            peak: AtomicU64::new(0),
            truncate_due: std::sync::atomic::AtomicBool::new(false),
        });
        let checkpoint_wal = wal.clone();
        let (idle_check, wal_limit) = (options.checkpoint_interval, options.wal_limit_bytes);
        std::thread::Builder::new()
            .name("rill-sqlite-checkpoint".into())
            .spawn(move || run_checkpointer(checkpoint_connection, checkpoint_wal, options, checkpoint_stop))
            .map_err(|error| CoreError::internal(format!("cannot start the checkpoint thread: {error}")))?;
        let (writer, writer_jobs) = mpsc::channel::<QueuedJob>();
        let commits = Arc::new(AtomicU64::new(0));
        let writer_state = Writer {
            tx: SqliteTx { connection: writer_connection, key: key.clone() },
            commits: commits.clone(),
            wal: wal.clone(),
            idle_check,
            wal_limit,
        };
        std::thread::Builder::new()
            .name("rill-sqlite-writer".into())
            .spawn(move || supervise_writer(writer_state, writer_jobs))
            .map_err(|error| CoreError::internal(format!("cannot start the writer thread: {error}")))?;

        let (readers, reader_jobs) = mpsc::channel::<QueuedJob>();
        let reader_jobs = Arc::new(Mutex::new(reader_jobs));
        for index in 0..READER_THREADS {
            let connection = open_connection(path)?;
            connection.pragma_update(None, "query_only", true)?;
            let jobs = reader_jobs.clone();
            let reader = SqliteTx { connection, key: key.clone() };
            std::thread::Builder::new()
                .name(format!("rill-sqlite-reader-{index}"))
                .spawn(move || run_reader(reader, jobs))
                .map_err(|error| CoreError::internal(format!("cannot start a reader thread: {error}")))?;
        }
        Ok(SqliteBackend { writer, readers, commits, wal, _stop_checkpoints: stop_checkpoints })
    }

    /// How many transactions the writer has committed.
    pub fn commit_count(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// The largest write-ahead log the checkpointer has seen, in bytes.
    pub fn wal_peak_bytes(&self) -> u64 {
        self.wal.peak.load(Ordering::Relaxed)
    }
}

/// Seals app secrets that an older version stored in the clear.
fn seal_plain_secrets(connection: &Connection, key: &SealingKey) -> CoreResult<()> {
    let mut statement = connection.prepare("SELECT id, api_secret FROM apps")?;
    let plain: Vec<(i64, String)> = statement
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<(i64, String)>>>()?
        .into_iter()
        .filter(|(_, stored)| !SealingKey::is_sealed(stored))
        .collect();
    for (id, stored) in plain {
        let sealed = key.seal(&Secret::new(stored), &id.to_string())?;
        connection.execute("UPDATE apps SET api_secret = ? WHERE id = ?", params![sealed, id])?;
        tracing::info!(app_id = id, "sealed an app secret stored in the clear");
    }
    Ok(())
}

impl Backend for SqliteBackend {
    fn submit_write(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()> {
        // A send fails only when the writer thread has gone (the backend is shutting down); the job is then
        // dropped unfinished and its caller sees the write fail.
        let _ = self.writer.send(job);
        Box::pin(std::future::ready(()))
    }

    fn submit_read(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()> {
        let _ = self.readers.send(job);
        Box::pin(std::future::ready(()))
    }

    fn read_slots(&self) -> usize {
        READER_THREADS
    }
}

/// Runs the writer loop for as long as the backend lives. A job that panics is caught (inside [`run_job`]),
/// rolled back alone and its caller told; if the loop itself panics, whatever batch was open is rolled back, its
/// callers see their writes fail, and the loop starts again on the same connection. The writer never stops while
/// jobs can still arrive.
fn supervise_writer(mut writer: Writer, jobs: mpsc::Receiver<QueuedJob>) {
    loop {
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| run_writer(&mut writer, &jobs)));
        match run {
            Ok(()) => return,
            Err(_) => {
                tracing::error!("the store writer panicked; its open batch is rolled back and it restarts");
                let _ = writer.tx.connection.execute_batch("ROLLBACK");
            }
        }
    }
}

/// What the writer thread owns.
struct Writer {
    tx: SqliteTx,
    commits: Arc<AtomicU64>,
    wal: Arc<WalState>,
    /// How long the writer waits for a job before it looks whether the log needs truncating.
    idle_check: Duration,
    wal_limit: u64,
}

fn run_writer(writer: &mut Writer, jobs: &mpsc::Receiver<QueuedJob>) {
    loop {
        truncate_wal(&writer.tx.connection, &writer.wal, writer.wal_limit);
        let first = match jobs.recv_timeout(writer.idle_check) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = writer.tx.connection.execute_batch("BEGIN IMMEDIATE") {
            let error = CoreError::from(error);
            // The jobs never ran against the database; tell their callers.
            for job in batch {
                job.finish(Err(error.clone()));
            }
            continue;
        }
        let mut ran = Vec::with_capacity(batch.len());
        for mut job in batch {
            // Cached statements: parsing these three on every job showed up in profiles.
            let savepoint = run_cached(&writer.tx.connection, "SAVEPOINT job");
            let result = savepoint.map_err(CoreError::from).and_then(|()| run_job(job.as_mut(), &mut writer.tx));
            let finish = if result.is_ok() {
                run_cached(&writer.tx.connection, "RELEASE job")
            } else {
                run_cached(&writer.tx.connection, "ROLLBACK TO job")
                    .and_then(|()| run_cached(&writer.tx.connection, "RELEASE job"))
            };
            if let Err(error) = finish {
                tracing::error!(%error, "savepoint failed");
            }
            ran.push((job, result));
        }
        let committed = writer.tx.connection.execute_batch("COMMIT").map_err(CoreError::from);
        match committed {
            Ok(()) => {
                writer.commits.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                let _ = writer.tx.connection.execute_batch("ROLLBACK");
            }
        }
        for (job, result) in ran {
            job.finish(committed.clone().and(result));
        }
    }
}

/// Runs one job to completion on this thread. SQLite's methods never wait, so the job's future is ready at its
/// first poll; one that is not (it waited on something outside the store) is refused. A job that panics is
/// caught: it is rolled back and its caller told.
fn run_job(job: &mut dyn Job, tx: &mut SqliteTx) -> CoreResult<()> {
    let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut future = job.run(tx);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => {
                Err(CoreError::internal("a store operation waited on something other than the store"))
            }
        }
    }));
    run.unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(detail, "a store job panicked; its changes are rolled back");
        Err(CoreError::internal("the operation failed (see the log)"))
    })
}

fn run_cached(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_reader(mut tx: SqliteTx, jobs: Arc<Mutex<mpsc::Receiver<QueuedJob>>>) {
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let job = {
            let receiver = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            receiver.recv()
        };
        let Ok(mut job) = job else { return };
        // One read transaction per job gives it a consistent snapshot.
        let result = match tx.connection.execute_batch("BEGIN") {
            Ok(()) => {
                let result = run_job(job.as_mut(), &mut tx);
                // A panicking job may leave its transaction open; ending it keeps the next job's snapshot fresh.
                let _ = tx.connection.execute_batch("COMMIT");
                result
            }
            Err(error) => Err(error.into()),
        };
        job.finish(result);
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Maps and vectors of JSON values always serialize.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(",")
}

const USER_COLUMNS: &str =
    "id, role, data, created_at, updated_at, last_active, deactivated_at, deleted_at, banned, revoke_tokens_issued_before";

/// What a read of a user selects: [`USER_COLUMNS`] and the app-wide ban's shadow flag and expiry, which only the
/// ban statements write.
const USER_READ_COLUMNS: &str = "id, role, data, created_at, updated_at, last_active, deactivated_at, deleted_at, \
    banned, revoke_tokens_issued_before, shadow_banned, ban_expires_at";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<(User, String)> {
    user_from_row_at(row, 0)
}

fn user_from_row_at(row: &Row<'_>, at: usize) -> rusqlite::Result<(User, String)> {
    Ok((
        User {
            id: row.get(at)?,
            role: row.get(at + 1)?,
            data: Map::new(),
            created_at: time(row.get(at + 3)?),
            updated_at: time(row.get(at + 4)?),
            last_active: optional_time(row.get(at + 5)?),
            deactivated_at: optional_time(row.get(at + 6)?),
            deleted_at: optional_time(row.get(at + 7)?),
            banned: row.get(at + 8)?,
            revoke_tokens_issued_before: optional_time(row.get(at + 9)?),
            shadow_banned: row.get(at + 10)?,
            ban_expires: optional_time(row.get(at + 11)?),
        },
        row.get(at + 2)?,
    ))
}

fn with_data<T>(rows: Vec<(T, String)>, set: impl Fn(&mut T, Map<String, Value>)) -> CoreResult<Vec<T>> {
    rows.into_iter()
        .map(|(mut item, data)| {
            set(&mut item, json_map(&data)?);
            Ok(item)
        })
        .collect()
}

const CHANNEL_COLUMNS: &str = "c.cid, c.type, c.id, c.created_by, c.data, c.frozen, c.disabled, c.team, c.cooldown, \
    c.created_at, c.updated_at, c.deleted_at, c.truncated_at, c.last_message_at, c.member_count, c.message_count, \
    c.unread_sequence, c.read_floor";

/// How many columns `CHANNEL_COLUMNS` names: where the columns that follow them in a row start.
const CHANNEL_COLUMN_COUNT: usize = 18;

fn channel_from_row(row: &Row<'_>) -> rusqlite::Result<(Channel, String)> {
    Ok((
        Channel {
            cid: row.get(0)?,
            channel_type: row.get(1)?,
            id: row.get(2)?,
            created_by: row.get(3)?,
            data: Map::new(),
            frozen: row.get(5)?,
            disabled: row.get(6)?,
            team: row.get(7)?,
            cooldown: row.get(8)?,
            created_at: time(row.get(9)?),
            updated_at: time(row.get(10)?),
            deleted_at: optional_time(row.get(11)?),
            truncated_at: optional_time(row.get(12)?),
            last_message_at: optional_time(row.get(13)?),
            member_count: row.get(14)?,
            message_count: row.get(15)?,
            unread_sequence: row.get(16)?,
            read_floor: row.get(17)?,
        },
        row.get(4)?,
    ))
}

/// A member whose invite is pending (see `Member::invite_status`): their channel counts nothing as unread.
/// Never NULL (a member without `invited` is 0), so sums over it never turn NULL.
/// A member's mute of their channel that holds at the bound time (`m` is the membership): muted channels add
/// nothing to unread totals.
const MUTED_BY_MEMBER: &str = "SELECT 1 FROM channel_mutes cm WHERE cm.app_id = m.app_id AND cm.user_id = m.user_id \
    AND cm.channel_cid = m.cid AND (cm.expires_at IS NULL OR cm.expires_at > ?)";

const PENDING_INVITE: &str = "(json_type(m.data, '$.invited') IS 'true' \
    AND json_type(m.data, '$.invite_accepted_at') IS NULL AND json_type(m.data, '$.invite_rejected_at') IS NULL)";

const MEMBER_COLUMNS: &str = "m.cid, m.user_id, m.channel_role, m.data, m.created_at, m.updated_at, m.hidden, \
    m.last_read_at, m.last_read_message_id, m.last_read_sequence, m.hide_messages_before";

fn member_from_row(row: &Row<'_>, offset: usize) -> rusqlite::Result<(Member, String)> {
    Ok((
        Member {
            cid: row.get(offset)?,
            user_id: row.get(offset + 1)?,
            channel_role: row.get(offset + 2)?,
            data: Map::new(),
            created_at: time(row.get(offset + 4)?),
            updated_at: time(row.get(offset + 5)?),
            hidden: row.get(offset + 6)?,
            last_read_at: time(row.get(offset + 7)?),
            last_read_message_id: row.get(offset + 8)?,
            last_read_sequence: row.get(offset + 9)?,
            hide_messages_before: optional_time(row.get(offset + 10)?),
            ban: None,
        },
        row.get(offset + 3)?,
    ))
}

/// The stored columns of a message, in the order `write_message` binds them.
const MESSAGE_STORED: &str = "id, cid, user_id, type, text, html, parent_id, show_in_channel, silent, shadowed, \
    pinned, pinned_at, pinned_by, pin_expires, quoted_message_id, attachments, mentioned_users, data, \
    reply_count, deleted_reply_count, created_at, updated_at, deleted_at, text_updated_at, sequence";

/// A message as it is read: its columns, with its reaction totals gathered from `reaction_totals` (one primary
/// key range per message).
const MESSAGE_COLUMNS: &str = "id, cid, user_id, type, text, html, parent_id, show_in_channel, silent, shadowed, \
    pinned, pinned_at, pinned_by, pin_expires, quoted_message_id, attachments, mentioned_users, data, \
    (SELECT json_group_object(t.type, t.count) FROM reaction_totals t \
     WHERE t.app_id = messages.app_id AND t.message_id = messages.id), \
    (SELECT json_group_object(t.type, t.score) FROM reaction_totals t \
     WHERE t.app_id = messages.app_id AND t.message_id = messages.id), \
    reply_count, deleted_reply_count, created_at, updated_at, deleted_at, text_updated_at, sequence";

/// The JSON columns of a message row, parsed after the row is read.
struct MessageJson {
    attachments: String,
    mentioned_users: String,
    data: String,
    reaction_counts: String,
    reaction_scores: String,
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<(Message, MessageJson)> {
    Ok((
        Message {
            id: row.get(0)?,
            cid: row.get(1)?,
            user_id: row.get(2)?,
            message_type: row.get(3)?,
            text: row.get(4)?,
            html: row.get(5)?,
            parent_id: row.get(6)?,
            show_in_channel: row.get(7)?,
            silent: row.get(8)?,
            shadowed: row.get(9)?,
            pinned: row.get(10)?,
            pinned_at: optional_time(row.get(11)?),
            pinned_by: row.get(12)?,
            pin_expires: optional_time(row.get(13)?),
            quoted_message_id: row.get(14)?,
            attachments: Vec::new(),
            mentioned_users: Vec::new(),
            data: Map::new(),
            reaction_counts: BTreeMap::new(),
            reaction_scores: BTreeMap::new(),
            reply_count: row.get(20)?,
            deleted_reply_count: row.get(21)?,
            created_at: time(row.get(22)?),
            updated_at: time(row.get(23)?),
            deleted_at: optional_time(row.get(24)?),
            text_updated_at: optional_time(row.get(25)?),
            sequence: row.get(26)?,
        },
        MessageJson {
            attachments: row.get(15)?,
            mentioned_users: row.get(16)?,
            data: row.get(17)?,
            reaction_counts: row.get(18)?,
            reaction_scores: row.get(19)?,
        },
    ))
}

fn finish_messages(rows: Vec<(Message, MessageJson)>) -> CoreResult<Vec<Message>> {
    rows.into_iter()
        .map(|(mut message, json)| {
            message.attachments = serde_json::from_str(&json.attachments)?;
            message.mentioned_users = serde_json::from_str(&json.mentioned_users)?;
            message.data = json_map(&json.data)?;
            message.reaction_counts = serde_json::from_str(&json.reaction_counts)?;
            message.reaction_scores = serde_json::from_str(&json.reaction_scores)?;
            Ok(message)
        })
        .collect()
}

const REACTION_COLUMNS: &str = "message_id, user_id, type, score, data, created_at, updated_at";

fn reaction_from_row(row: &Row<'_>) -> rusqlite::Result<(Reaction, String)> {
    Ok((
        Reaction {
            message_id: row.get(0)?,
            user_id: row.get(1)?,
            reaction_type: row.get(2)?,
            score: row.get(3)?,
            data: Map::new(),
            created_at: time(row.get(5)?),
            updated_at: time(row.get(6)?),
        },
        row.get(4)?,
    ))
}

/// A connection lent to one job (owned, so that the job's future can be `Send`), and the sealing key.
struct SqliteTx {
    connection: Connection,
    key: Arc<SealingKey>,
}

impl SqliteTx {
    fn query<T>(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> CoreResult<Vec<T>> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let rows = statement.query_map(parameters, map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    fn execute(&self, sql: &str, parameters: impl rusqlite::Params) -> CoreResult<usize> {
        Ok(self.connection.prepare_cached(sql)?.execute(parameters)?)
    }

    fn message_query(&self, sql: &str, parameters: impl rusqlite::Params) -> CoreResult<Vec<Message>> {
        finish_messages(self.query(sql, parameters, message_from_row)?)
    }

    /// Writes a message row with its full-text row's id; the outer error is the data check, the inner one
    /// SQLite's.
    fn write_message(
        &self,
        app_id: i64,
        message: &Message,
        search_rowid: i64,
    ) -> CoreResult<Result<usize, rusqlite::Error>> {
        let attachments = attachments_json(&message.attachments)?;
        let data = data_json(&message.data, "message")?;
        let sql = format!(
            "INSERT INTO messages (app_id, {MESSAGE_STORED}, search_rowid) VALUES \
             (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        );
        let mut statement = match self.connection.prepare_cached(&sql) {
            Ok(statement) => statement,
            Err(error) => return Ok(Err(error)),
        };
        Ok(statement.execute(params![
            app_id,
            message.id,
            message.cid,
            message.user_id,
            message.message_type,
            message.text,
            message.html,
            message.parent_id,
            message.show_in_channel,
            message.silent,
            message.shadowed,
            message.pinned,
            optional_micros(&message.pinned_at),
            message.pinned_by,
            optional_micros(&message.pin_expires),
            message.quoted_message_id,
            attachments,
            json_text(&message.mentioned_users),
            data,
            message.reply_count,
            message.deleted_reply_count,
            micros(&message.created_at),
            micros(&message.updated_at),
            optional_micros(&message.deleted_at),
            optional_micros(&message.text_updated_at),
            message.sequence,
            search_rowid,
        ]))
    }

    /// The next free row id of the full-text index (one writer: nobody else takes it before the commit).
    fn next_search_rowid(&self) -> CoreResult<i64> {
        Ok(self
            .connection
            .prepare_cached("SELECT COALESCE((SELECT rowid FROM message_words ORDER BY rowid DESC LIMIT 1), 0) + 1")?
            .query_row([], |row| row.get(0))?)
    }

    fn index_message_text(&self, app_id: i64, message_id: &str, search_rowid: i64, text: &str) -> CoreResult<()> {
        self.execute(
            "INSERT INTO message_words (rowid, words, app_id, message_id) VALUES (?, ?, ?, ?)",
            params![search_rowid, message_index_text(text), app_id, message_id],
        )?;
        Ok(())
    }

    /// Removes the full-text rows of the messages `condition` selects (`app_id = ?1` and the rest).
    fn unindex_messages(&self, condition: &str, parameters: impl rusqlite::Params) -> CoreResult<()> {
        self.execute(
            &format!(
                "DELETE FROM message_words WHERE rowid IN \
                 (SELECT search_rowid FROM messages WHERE {condition} AND search_rowid IS NOT NULL)"
            ),
            parameters,
        )?;
        Ok(())
    }

    /// Replaces a user's entries in the word index.
    fn index_user(&self, app_id: i64, user: &User) -> CoreResult<()> {
        self.execute("DELETE FROM user_words WHERE app_id = ? AND user_id = ?", params![app_id, user.id])?;
        let id = Value::from(user.id.as_str());
        for (field, value) in [("name", user.data.get("name")), ("id", Some(&id))] {
            for word in user_index_words(value) {
                self.execute(
                    "INSERT OR IGNORE INTO user_words (app_id, field, word, user_id) VALUES (?, ?, ?, ?)",
                    params![app_id, field, word, user.id],
                )?;
            }
        }
        Ok(())
    }

    /// Indexes the rows stored before the word indexes existed (migration 3).
    fn index_existing_rows(&mut self) -> CoreResult<()> {
        // Only the columns of version 3: this runs before the later migrations add theirs.
        let users: Vec<(i64, String, String)> =
            self.query("SELECT app_id, id, data FROM users", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        for (app_id, id, data) in users {
            let mut user = crate::ops::placeholder_user(&id, chrono::DateTime::<Utc>::UNIX_EPOCH);
            user.data = json_map(&data)?;
            self.index_user(app_id, &user)?;
        }
        let messages: Vec<(i64, String, String)> =
            self.query("SELECT app_id, id, text FROM messages", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        for (rowid, (app_id, id, text)) in (1_i64..).zip(messages) {
            self.index_message_text(app_id, &id, rowid, &text)?;
            self.execute(
                "UPDATE messages SET search_rowid = ? WHERE app_id = ? AND id = ?",
                params![rowid, app_id, id],
            )?;
        }
        Ok(())
    }

    /// Runs a query built from a filter: not cached, since its shape depends on the filter.
    fn query_built<T>(
        &self,
        sql: &str,
        parameters: &[Bound],
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> CoreResult<Vec<T>> {
        let mut statement = self.connection.prepare(sql)?;
        let rows = statement.query_map(params_from_iter(parameters.iter().map(SqliteBound)), map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    fn find_users(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<User>> {
        let (sql, parameters) = render_select(&SqliteDialect, USER_READ_COLUMNS, USERS, app_id, query);
        let rows = self.query_built(&sql, &parameters, user_from_row)?;
        with_data(rows, |user, data| user.data = data)
    }

    fn find_channels(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Channel>> {
        let (sql, parameters) = render_select(&SqliteDialect, CHANNEL_COLUMNS, CHANNELS, app_id, query);
        let rows = self.query_built(&sql, &parameters, channel_from_row)?;
        with_data(rows, |channel, data| channel.data = data)
    }

    fn find_members(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Member>> {
        let columns = MEMBER_COLUMNS.replace("m.", "mb.");
        let (sql, parameters) = render_select(&SqliteDialect, &columns, MEMBERS, app_id, query);
        let rows = self.query_built(&sql, &parameters, |row| member_from_row(row, 0))?;
        with_data(rows, |member, data| member.data = data)
    }

    fn find_messages(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Message>> {
        let (sql, parameters) = render_select(&SqliteDialect, MESSAGE_COLUMNS, MESSAGES, app_id, query);
        finish_messages(self.query_built(&sql, &parameters, message_from_row)?)
    }
}

/// SQLite's side of [`crate::store::selection`]: numbered `?N` parameters (one may be used twice), JSON through
/// `json_type`/`json_each` (which reads a scalar as one element), lists as one JSON array, FTS5 for text.
struct SqliteDialect;

impl Dialect for SqliteDialect {
    fn placeholder(&self, number: usize, _value: &Bound) -> String {
        format!("?{number}")
    }

    fn in_list(&self, column: &str, list: &str) -> String {
        format!("{column} IN (SELECT value FROM json_each({list}))")
    }

    fn json(&self, data: &str, key: &str, test: &JsonTest, value: Option<&str>) -> String {
        let path = format!("'$.\"' || {key} || '\"'");
        let value = value.unwrap_or("NULL");
        let types = |scalar: &Scalar| match scalar {
            Scalar::Text(_) => "'text'",
            Scalar::Int(_) | Scalar::Float(_) => "'integer', 'real'",
            Scalar::Bool(_) => "'true', 'false'",
        };
        let element = |scalar: &Scalar, op: &str| match scalar {
            Scalar::Bool(_) => format!("e.type = CASE WHEN {value} THEN 'true' ELSE 'false' END"),
            other => format!("e.type IN ({}) AND e.value {op} {value}", types(other)),
        };
        let some_element = |scalar: &Scalar, op: &str, arrays_only: bool| {
            let accepted = if arrays_only { "'array'".to_owned() } else { format!("{}, 'array'", types(scalar)) };
            format!(
                "COALESCE(json_type({data}, {path}) IN ({accepted}) AND EXISTS \
                 (SELECT 1 FROM json_each({data}, {path}) AS e WHERE {}), FALSE)",
                element(scalar, op)
            )
        };
        match test {
            JsonTest::Present => format!("COALESCE(json_type({data}, {path}) <> 'null', FALSE)"),
            JsonTest::Equals(scalar) => some_element(scalar, "=", false),
            JsonTest::IsArray => format!("COALESCE(json_type({data}, {path}) = 'array', FALSE)"),
            JsonTest::HoldsNull => format!(
                "COALESCE(json_type({data}, {path}) = 'array' AND EXISTS \
                 (SELECT 1 FROM json_each({data}, {path}) AS e WHERE e.type = 'null'), FALSE)"
            ),
            JsonTest::Holds(scalar) => some_element(scalar, "=", true),
            JsonTest::Compare(op, scalar) => some_element(scalar, op.sql(), false),
        }
    }

    fn words(&self, index: WordIndex, app: &str, ranges: &[(String, String)], query: Option<&str>) -> String {
        match (index, ranges.first(), query) {
            (WordIndex::MessageText, _, Some(query)) => {
                format!("SELECT message_id FROM message_words WHERE message_words MATCH {query} AND app_id = {app}")
            }
            (_, Some((start, end)), _) => format!(
                "SELECT w.user_id FROM user_words w WHERE w.app_id = {app} AND w.field = '{}' \
                 AND w.word >= {start} AND w.word < {end}",
                index.user_field()
            ),
            _ => "SELECT NULL WHERE FALSE".into(),
        }
    }

    fn order_column(&self, column: &str, text_search: bool) -> String {
        // With a text query, the full-text index's few matches are the cheapest start: a unary `+` keeps SQLite
        // from walking the whole channel in the sort's order instead (which it prefers when a LIMIT is given).
        if text_search {
            format!("+{column}")
        } else {
            column.to_owned()
        }
    }

    fn full_text_query(&self, prefixes: &[String]) -> String {
        let terms: Vec<String> =
            prefixes.iter().map(|prefix| format!("\"{}\"*", prefix.replace('"', "\"\""))).collect();
        terms.join(" AND ")
    }
}

/// A bound value as SQLite's: booleans as integers, lists as JSON arrays.
struct SqliteBound<'a>(&'a Bound);

impl rusqlite::ToSql for SqliteBound<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
        Ok(match self.0 {
            Bound::Scalar(Scalar::Text(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Bound::Scalar(Scalar::Int(integer)) => ToSqlOutput::Owned(Sql::Integer(*integer)),
            Bound::Scalar(Scalar::Float(float)) => ToSqlOutput::Owned(Sql::Real(*float)),
            Bound::Scalar(Scalar::Bool(flag)) => ToSqlOutput::Owned(Sql::Integer(i64::from(*flag))),
            Bound::TextList(values) => ToSqlOutput::Owned(Sql::Text(json_text(values))),
        })
    }
}

/// The statements behind each store method, synchronous: SQLite never waits, so the async trait methods below
/// only hand these results back.
impl SqliteTx {
    fn create_app(&mut self, app: &NewApp) -> CoreResult<App> {
        // One writer: the next id cannot be taken by anyone else before this transaction commits.
        let id: i64 =
            self.connection.query_row("SELECT COALESCE(MAX(id), 1000000) + 1 FROM apps", [], |row| row.get(0))?;
        self.execute(
            "INSERT INTO apps (id, name, api_key, api_secret, settings, created_at) VALUES (?,?,?,?,?,?)",
            params![
                id,
                app.name,
                app.api_key,
                self.key.seal(&app.api_secret, &id.to_string())?,
                settings_to_json(&app.settings).to_string(),
                micros(&app.created_at)
            ],
        )?;
        Ok(App {
            id,
            name: app.name.clone(),
            api_key: app.api_key.clone(),
            api_secret: app.api_secret.clone(),
            settings: app.settings.clone(),
            created_at: app.created_at,
        })
    }

    fn apps(&mut self) -> CoreResult<Vec<App>> {
        let rows = self.query(
            "SELECT id, name, api_key, api_secret, settings, created_at FROM apps ORDER BY id",
            [],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(id, name, api_key, api_secret, settings, created_at)| {
                Ok(App {
                    id,
                    name,
                    api_key,
                    api_secret: self.key.open(&api_secret, &id.to_string())?,
                    settings: settings_from_json(&serde_json::from_str(&settings)?),
                    created_at: time(created_at),
                })
            })
            .collect()
    }

    fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()> {
        let changed = self.execute(
            "UPDATE apps SET settings = ? WHERE id = ?",
            params![settings_to_json(settings).to_string(), app_id],
        )?;
        if changed == 0 {
            return Err(CoreError::not_found(format!("app {app_id} does not exist")));
        }
        Ok(())
    }

    fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        Ok(self.users(app_id, &[user_id.to_owned()])?.pop())
    }

    fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = Vec::with_capacity(user_ids.len());
        // SQLite limits bound parameters; 500 ids per statement stays well inside it.
        for chunk in user_ids.chunks(500) {
            let sql = format!(
                "SELECT {USER_READ_COLUMNS} FROM users WHERE app_id = ? AND id IN ({})",
                placeholders(chunk.len())
            );
            let parameters =
                std::iter::once(Value::from(app_id)).chain(chunk.iter().map(|id| Value::from(id.as_str())));
            let rows = self.query(&sql, params_from_iter(parameters.map(SqlValue)), user_from_row)?;
            found.extend(with_data(rows, |user, data| user.data = data)?);
        }
        Ok(found)
    }

    fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>> {
        let rows = self.query(
            &format!("SELECT {USER_READ_COLUMNS} FROM users WHERE app_id = ? ORDER BY created_at, id"),
            [app_id],
            user_from_row,
        )?;
        with_data(rows, |user, data| user.data = data)
    }

    fn user_for_update(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        // One writer: nobody else changes the row before this transaction commits.
        self.user(app_id, user_id)
    }

    fn insert_user_if_absent(&mut self, app_id: i64, user: &User) -> CoreResult<bool> {
        let inserted = self.execute(
            &format!("INSERT OR IGNORE INTO users (app_id, {USER_COLUMNS}, name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
            params![
                app_id,
                user.id,
                user.role,
                data_json(&user.data, "user")?,
                micros(&user.created_at),
                micros(&user.updated_at),
                optional_micros(&user.last_active),
                optional_micros(&user.deactivated_at),
                optional_micros(&user.deleted_at),
                user.banned,
                optional_micros(&user.revoke_tokens_issued_before),
                user.name(),
            ],
        )?;
        if inserted > 0 {
            self.index_user(app_id, user)?;
        }
        Ok(inserted > 0)
    }

    fn upsert_user(&mut self, app_id: i64, user: &User, unique_name: Option<&str>) -> CoreResult<()> {
        let written = self.execute(
            &format!(
                "INSERT INTO users (app_id, {USER_COLUMNS}, name, unique_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) \
                 ON CONFLICT (app_id, id) DO UPDATE SET role = excluded.role, data = excluded.data, \
                 name = excluded.name, unique_name = excluded.unique_name, updated_at = excluded.updated_at, \
                 revoke_tokens_issued_before = excluded.revoke_tokens_issued_before, deleted_at = NULL"
            ),
            params![
                app_id,
                user.id,
                user.role,
                data_json(&user.data, "user")?,
                micros(&user.created_at),
                micros(&user.updated_at),
                optional_micros(&user.last_active),
                optional_micros(&user.deactivated_at),
                Option::<i64>::None,
                user.banned,
                optional_micros(&user.revoke_tokens_issued_before),
                user.name(),
                unique_name,
            ],
        );
        match written {
            Err(error) if is_unique_violation(&error) => Err(CoreError::new(
                rill_protocol::error::ErrorCode::DuplicateUsername,
                format!("username {:?} is already taken", unique_name.unwrap_or_default()),
            )),
            Err(error) => Err(error),
            Ok(_) => self.index_user(app_id, user),
        }
    }

    fn user_name_taken(&mut self, app_id: i64, name: &str, except_user_id: &str) -> CoreResult<bool> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM users WHERE app_id = ? AND name = ? AND id <> ? AND deleted_at IS NULL)",
            )?
            .query_row(params![app_id, name, except_user_id], |row| row.get(0))?)
    }

    fn set_last_active(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET last_active = ? WHERE app_id = ? AND id = ?",
            params![micros(&at), app_id, user_id],
        )?;
        Ok(())
    }

    fn set_deactivated(
        &mut self,
        app_id: i64,
        user_id: &str,
        deactivated_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET deactivated_at = ?, updated_at = ? WHERE app_id = ? AND id = ?",
            params![optional_micros(&deactivated_at), micros(&updated_at), app_id, user_id],
        )?;
        Ok(())
    }

    fn mark_user_deleted(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET deleted_at = ?1, updated_at = ?1, unique_name = NULL WHERE app_id = ?2 AND id = ?3",
            params![micros(&at), app_id, user_id],
        )?;
        Ok(())
    }

    fn mark_all_read(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE members SET last_read_at = ?1, last_read_sequence = (SELECT c.unread_sequence FROM channels c \
             WHERE c.app_id = members.app_id AND c.cid = members.cid) \
             WHERE app_id = ?2 AND user_id = ?3 AND last_read_sequence <> (SELECT c.unread_sequence FROM channels c \
             WHERE c.app_id = members.app_id AND c.cid = members.cid)",
            params![micros(&at), app_id, user_id],
        )?;
        Ok(())
    }

    fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()> {
        self.execute("DELETE FROM user_words WHERE app_id = ? AND user_id = ?", params![app_id, user_id])?;
        self.execute("DELETE FROM users WHERE app_id = ? AND id = ?", params![app_id, user_id])?;
        Ok(())
    }

    fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        let rows = self.query(
            &format!("SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.app_id = ? AND c.cid = ?"),
            params![app_id, cid],
            channel_from_row,
        )?;
        Ok(with_data(rows, |channel, data| channel.data = data)?.pop())
    }

    fn channel_for_update(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        // One writer: nobody else changes the row before this transaction commits.
        self.channel(app_id, cid)
    }

    fn insert_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        let columns = CHANNEL_COLUMNS.replace("c.", "");
        let inserted = self.execute(
            &format!(
                "INSERT OR IGNORE INTO channels (app_id, {columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
            ),
            params![
                app_id,
                channel.cid,
                channel.channel_type,
                channel.id,
                channel.created_by,
                data_json(&channel.data, "channel")?,
                channel.frozen,
                channel.disabled,
                channel.team,
                channel.cooldown,
                micros(&channel.created_at),
                micros(&channel.updated_at),
                optional_micros(&channel.deleted_at),
                optional_micros(&channel.truncated_at),
                optional_micros(&channel.last_message_at),
                channel.member_count,
                channel.message_count,
                channel.unread_sequence,
                channel.read_floor,
            ],
        )?;
        Ok(inserted > 0)
    }

    fn update_channel(&mut self, app_id: i64, cid: &str, changes: &ChannelChanges) -> CoreResult<()> {
        let mut assignments: Vec<(&str, SqlParam)> = Vec::new();
        if let Some(data) = &changes.data {
            assignments.push(("data = ?", SqlParam::Text(data_json(data, "channel")?)));
        }
        if let Some(frozen) = changes.frozen {
            assignments.push(("frozen = ?", SqlParam::Integer(i64::from(frozen))));
        }
        if let Some(disabled) = changes.disabled {
            assignments.push(("disabled = ?", SqlParam::Integer(i64::from(disabled))));
        }
        if let Some(team) = &changes.team {
            assignments.push(("team = ?", SqlParam::from_option_text(team.clone())));
        }
        if let Some(cooldown) = changes.cooldown {
            assignments.push(("cooldown = ?", SqlParam::Integer(cooldown)));
        }
        if let Some(truncated_at) = &changes.truncated_at {
            assignments.push(("truncated_at = ?", SqlParam::Integer(micros(truncated_at))));
        }
        if changes.clear_last_message_at {
            assignments.push(("last_message_at = ?", SqlParam::Null));
        }
        if let Some(updated_at) = &changes.updated_at {
            assignments.push(("updated_at = ?", SqlParam::Integer(micros(updated_at))));
        }
        self.update_row(
            "channels",
            assignments,
            "cid = ?",
            vec![SqlParam::Integer(app_id), SqlParam::Text(cid.to_owned())],
        )
    }

    fn count_message(
        &mut self,
        app_id: i64,
        cid: &str,
        counts_unread: bool,
        shows_in_channel: bool,
        at: DateTime<Utc>,
    ) -> CoreResult<ChannelCounters> {
        let mut statement = self.connection.prepare_cached(
            "UPDATE channels SET message_count = message_count + 1, unread_sequence = unread_sequence + ?1, \
             last_message_at = CASE WHEN ?2 THEN ?3 ELSE last_message_at END \
             WHERE app_id = ?4 AND cid = ?5 RETURNING message_count, unread_sequence",
        )?;
        let counters = statement
            .query_row(params![i64::from(counts_unread), shows_in_channel, micros(&at), app_id, cid], |row| {
                Ok(ChannelCounters { message_count: row.get(0)?, unread_sequence: row.get(1)? })
            })
            .optional()?;
        counters.ok_or_else(|| CoreError::not_found(format!("channel {cid} does not exist")))
    }

    fn mark_channel_deleted(&mut self, app_id: i64, cid: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET deleted_at = ?1, updated_at = ?1, member_count = 0, \
             purge_before = MAX(COALESCE(purge_before, ?1), ?1) WHERE app_id = ?2 AND cid = ?3",
            params![micros(&at), app_id, cid],
        )?;
        Ok(())
    }

    fn revive_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        self.execute(
            "DELETE FROM members WHERE app_id = ?1 AND cid = ?2 AND EXISTS (SELECT 1 FROM channels c \
             WHERE c.app_id = ?1 AND c.cid = ?2 AND c.deleted_at IS NOT NULL)",
            params![app_id, channel.cid],
        )?;
        let revived = self.execute(
            "UPDATE channels SET type = ?, id = ?, created_by = ?, data = ?, frozen = ?, disabled = ?, team = ?, \
             cooldown = ?, created_at = ?, updated_at = ?, truncated_at = deleted_at, last_message_at = NULL, \
             member_count = 0, message_count = 0, deleted_at = NULL \
             WHERE app_id = ? AND cid = ? AND deleted_at IS NOT NULL",
            params![
                channel.channel_type,
                channel.id,
                channel.created_by,
                data_json(&channel.data, "channel")?,
                channel.frozen,
                channel.disabled,
                channel.team,
                channel.cooldown,
                micros(&channel.created_at),
                micros(&channel.updated_at),
                app_id,
                channel.cid,
            ],
        )?;
        Ok(revived > 0)
    }

    fn schedule_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET purge_before = MAX(COALESCE(purge_before, ?1), ?1) WHERE app_id = ?2 AND cid = ?3",
            params![micros(&before), app_id, cid],
        )?;
        Ok(())
    }

    fn purge_messages(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        let ids: Vec<String> = self.query(
            "SELECT id FROM messages WHERE app_id = ? AND cid = ? AND created_at <= ? ORDER BY created_at LIMIT ?",
            params![app_id, cid, micros(&before), limit as i64],
            |row| row.get(0),
        )?;
        let list = json_text(&ids);
        self.unindex_messages("app_id = ?1 AND id IN (SELECT value FROM json_each(?2))", params![app_id, list])?;
        for table in ["reactions", "reaction_totals"] {
            self.execute(
                &format!("DELETE FROM {table} WHERE app_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))"),
                params![app_id, list],
            )?;
        }
        self.execute(
            "DELETE FROM messages WHERE app_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
            params![app_id, list],
        )?;
        Ok(ids.len())
    }

    fn purge_members(&mut self, app_id: i64, cid: &str, limit: usize) -> CoreResult<usize> {
        let removed = self.execute(
            "DELETE FROM members WHERE app_id = ?1 AND cid = ?2 AND user_id IN (SELECT user_id FROM members \
             WHERE app_id = ?1 AND cid = ?2 LIMIT ?3) AND EXISTS (SELECT 1 FROM channels c \
             WHERE c.app_id = ?1 AND c.cid = ?2 AND c.deleted_at IS NOT NULL)",
            params![app_id, cid, limit as i64],
        )?;
        Ok(removed)
    }

    fn finish_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET purge_before = NULL WHERE app_id = ? AND cid = ? AND purge_before = ?",
            params![app_id, cid, micros(&before)],
        )?;
        self.execute(
            "DELETE FROM channels WHERE app_id = ? AND cid = ? AND deleted_at IS NOT NULL AND purge_before IS NULL",
            params![app_id, cid],
        )?;
        Ok(())
    }

    fn pending_purges(&mut self) -> CoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        self.query("SELECT app_id, cid, purge_before FROM channels WHERE purge_before IS NOT NULL", [], |row| {
            Ok((row.get(0)?, row.get(1)?, time(row.get(2)?)))
        })
    }

    fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>> {
        let rows = self.query(
            &format!("SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.app_id = ? AND c.deleted_at IS NULL"),
            [app_id],
            channel_from_row,
        )?;
        with_data(rows, |channel, data| channel.data = data)
    }

    fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>> {
        // A cid starts with "<type>:", so the primary key serves a range from "<type>:" to "<type>;".
        let rows = self.query(
            &format!(
                "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.app_id = ? AND c.cid >= ? AND c.cid < ? \
                 AND c.deleted_at IS NULL"
            ),
            params![app_id, format!("{channel_type}:"), format!("{channel_type};")],
            channel_from_row,
        )?;
        with_data(rows, |channel, data| channel.data = data)
    }

    fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>> {
        let rows = self.query(
            &format!(
                "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.app_id = ? AND c.created_by = ? \
                 AND c.deleted_at IS NULL"
            ),
            params![app_id, user_id],
            channel_from_row,
        )?;
        with_data(rows, |channel, data| channel.data = data)
    }

    fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS}, {MEMBER_COLUMNS} FROM members m JOIN channels c \
             ON c.app_id = m.app_id AND c.cid = m.cid \
             WHERE m.app_id = ? AND m.user_id = ? AND c.deleted_at IS NULL"
        );
        let rows = self.query(&sql, params![app_id, user_id], |row| {
            Ok((channel_from_row(row)?, member_from_row(row, CHANNEL_COLUMN_COUNT)?))
        })?;
        rows.into_iter()
            .map(|((mut channel, channel_data), (mut member, member_data))| {
                channel.data = json_map(&channel_data)?;
                member.data = json_map(&member_data)?;
                Ok((channel, member))
            })
            .collect()
    }

    fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        let rows = self.query(
            &format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.app_id = ? AND m.cid = ? AND m.user_id = ?"),
            params![app_id, cid, user_id],
            |row| member_from_row(row, 0),
        )?;
        Ok(with_data(rows, |member, data| member.data = data)?.pop())
    }

    fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>> {
        let rows = self.query(
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM members m WHERE m.app_id = ? AND m.cid = ? \
                 ORDER BY m.created_at, m.user_id"
            ),
            params![app_id, cid],
            |row| member_from_row(row, 0),
        )?;
        with_data(rows, |member, data| member.data = data)
    }

    fn insert_member(&mut self, app_id: i64, member: &Member) -> CoreResult<bool> {
        let columns = MEMBER_COLUMNS.replace("m.", "");
        let inserted = self.execute(
            &format!("INSERT OR IGNORE INTO members (app_id, {columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
            params![
                app_id,
                member.cid,
                member.user_id,
                member.channel_role,
                data_json(&member.data, "member")?,
                micros(&member.created_at),
                micros(&member.updated_at),
                member.hidden,
                micros(&member.last_read_at),
                member.last_read_message_id,
                member.last_read_sequence,
                optional_micros(&member.hide_messages_before),
            ],
        )?;
        if inserted > 0 {
            self.execute(
                "UPDATE channels SET member_count = member_count + 1 WHERE app_id = ? AND cid = ?",
                params![app_id, member.cid],
            )?;
        }
        Ok(inserted > 0)
    }

    fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        // RETURNING takes plain column names.
        let columns = MEMBER_COLUMNS.replace("m.", "");
        let rows = self.query(
            &format!("DELETE FROM members WHERE app_id = ? AND cid = ? AND user_id = ? RETURNING {columns}"),
            params![app_id, cid, user_id],
            |row| member_from_row(row, 0),
        )?;
        let removed = with_data(rows, |member, data| member.data = data)?.pop();
        if removed.is_some() {
            self.execute(
                "UPDATE channels SET member_count = MAX(member_count - 1, 0) WHERE app_id = ? AND cid = ?",
                params![app_id, cid],
            )?;
        }
        Ok(removed)
    }

    fn update_member(&mut self, app_id: i64, cid: &str, user_id: &str, changes: &MemberChanges) -> CoreResult<()> {
        let mut assignments: Vec<(&str, SqlParam)> = Vec::new();
        if let Some(role) = &changes.channel_role {
            assignments.push(("channel_role = ?", SqlParam::Text(role.clone())));
        }
        if let Some(data) = &changes.data {
            assignments.push(("data = ?", SqlParam::Text(data_json(data, "member")?)));
        }
        if let Some(hidden) = changes.hidden {
            assignments.push(("hidden = ?", SqlParam::Integer(i64::from(hidden))));
        }
        if let Some(before) = &changes.hide_messages_before {
            assignments.push(("hide_messages_before = ?", SqlParam::Integer(micros(before))));
        }
        if let Some(read) = &changes.read {
            assignments.push(("last_read_sequence = ?", SqlParam::Integer(read.sequence)));
            assignments.push(("last_read_at = ?", SqlParam::Integer(micros(&read.at))));
            assignments.push(("last_read_message_id = ?", SqlParam::from_option_text(read.message_id.clone())));
        }
        if let Some(updated_at) = &changes.updated_at {
            assignments.push(("updated_at = ?", SqlParam::Integer(micros(updated_at))));
        }
        let key = vec![SqlParam::Integer(app_id), SqlParam::Text(cid.to_owned()), SqlParam::Text(user_id.to_owned())];
        self.update_row("members", assignments, "cid = ? AND user_id = ?", key)
    }

    fn unhide_members(&mut self, app_id: i64, cid: &str, except_user_id: &str) -> CoreResult<Vec<String>> {
        self.query(
            "UPDATE members SET hidden = 0 WHERE app_id = ? AND cid = ? AND hidden = 1 AND user_id <> ? \
             RETURNING user_id",
            params![app_id, cid, except_user_id],
            |row| row.get(0),
        )
    }

    fn reset_reads(&mut self, app_id: i64, cid: &str) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET read_floor = unread_sequence WHERE app_id = ?1 AND cid = ?2",
            params![app_id, cid],
        )?;
        Ok(())
    }

    fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>> {
        self.query("SELECT user_id, hidden FROM members WHERE app_id = ? AND cid = ?", params![app_id, cid], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
    }

    fn put_user_mute(&mut self, app_id: i64, mute: &UserMute) -> CoreResult<()> {
        self.execute(
            "INSERT INTO user_mutes (app_id, user_id, target_id, created_at, updated_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app_id, user_id, target_id) \
             DO UPDATE SET updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            params![
                app_id,
                mute.user_id,
                mute.target_id,
                micros(&mute.created_at),
                micros(&mute.updated_at),
                optional_micros(&mute.expires)
            ],
        )?;
        Ok(())
    }

    fn delete_user_mute(&mut self, app_id: i64, user_id: &str, target_id: &str) -> CoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM user_mutes WHERE app_id = ? AND user_id = ? AND target_id = ?",
            params![app_id, user_id, target_id],
        )?;
        Ok(removed > 0)
    }

    fn user_mutes(&mut self, app_id: i64, user_id: &str, now: DateTime<Utc>) -> CoreResult<Vec<UserMute>> {
        self.query(
            "SELECT user_id, target_id, created_at, updated_at, expires_at FROM user_mutes \
             WHERE app_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at",
            params![app_id, user_id, micros(&now)],
            |row| {
                Ok(UserMute {
                    user_id: row.get(0)?,
                    target_id: row.get(1)?,
                    created_at: time(row.get(2)?),
                    updated_at: time(row.get(3)?),
                    expires: optional_time(row.get(4)?),
                })
            },
        )
    }

    fn unread_totals(
        &mut self,
        app_id: i64,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<HashMap<String, UnreadTotals>> {
        let mut totals = HashMap::with_capacity(user_ids.len());
        for chunk in user_ids.chunks(500) {
            let sql = format!(
                "SELECT m.user_id, \
                   SUM(CASE WHEN {PENDING_INVITE} THEN 0 \
                     ELSE MAX(c.unread_sequence - MAX(m.last_read_sequence, c.read_floor), 0) END), \
                   SUM(NOT {PENDING_INVITE} AND c.unread_sequence > MAX(m.last_read_sequence, c.read_floor)) \
                 FROM members m JOIN channels c ON c.app_id = m.app_id AND c.cid = m.cid \
                 WHERE m.app_id = ? AND c.deleted_at IS NULL AND NOT EXISTS ({MUTED_BY_MEMBER}) \
                 AND m.user_id IN ({}) GROUP BY m.user_id",
                placeholders(chunk.len())
            );
            let parameters = [Value::from(app_id), Value::from(micros(&now))]
                .into_iter()
                .chain(chunk.iter().map(|id| Value::from(id.as_str())));
            let rows = self.query(&sql, params_from_iter(parameters.map(SqlValue)), |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            })?;
            for (user_id, total_unread_count, unread_channels) in rows {
                totals.insert(user_id, UnreadTotals { total_unread_count, unread_channels });
            }
        }
        for user_id in user_ids {
            totals.entry(user_id.clone()).or_default();
        }
        Ok(totals)
    }

    fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        Ok(self
            .message_query(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = ? AND id = ?"),
                params![app_id, message_id],
            )?
            .pop())
    }

    fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>> {
        let mut found = Vec::with_capacity(message_ids.len());
        for chunk in message_ids.chunks(500) {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = ? AND id IN ({}) ORDER BY created_at, id",
                placeholders(chunk.len())
            );
            let parameters =
                std::iter::once(Value::from(app_id)).chain(chunk.iter().map(|id| Value::from(id.as_str())));
            found.extend(self.message_query(&sql, params_from_iter(parameters.map(SqlValue)))?);
        }
        Ok(found)
    }

    fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()> {
        let search_rowid = self.next_search_rowid()?;
        match self.write_message(app_id, message, search_rowid)? {
            Ok(_) => self.index_message_text(app_id, &message.id, search_rowid, &message.text),
            Err(error) if is_primary_key_conflict(&error) => {
                Err(CoreError::input(format!("a message with ID {} already exists", message.id)))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn message_for_update(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        // One writer: nobody else changes the row before this transaction commits.
        self.message(app_id, message_id)
    }

    fn update_message_content(&mut self, app_id: i64, message_id: &str, content: &MessageContent) -> CoreResult<()> {
        self.unindex_messages("app_id = ?1 AND id = ?2", params![app_id, message_id])?;
        let search_rowid = self.next_search_rowid()?;
        self.index_message_text(app_id, message_id, search_rowid, &content.text)?;
        self.execute(
            "UPDATE messages SET search_rowid = ? WHERE app_id = ? AND id = ?",
            params![search_rowid, app_id, message_id],
        )?;
        self.execute(
            "UPDATE messages SET text = ?, html = ?, attachments = ?, mentioned_users = ?, data = ?, silent = ?, \
             text_updated_at = ?, updated_at = ? WHERE app_id = ? AND id = ?",
            params![
                content.text,
                content.html,
                attachments_json(&content.attachments)?,
                json_text(&content.mentioned_users),
                data_json(&content.data, "message")?,
                content.silent,
                optional_micros(&content.text_updated_at),
                micros(&content.updated_at),
                app_id,
                message_id,
            ],
        )?;
        Ok(())
    }

    fn set_pin(
        &mut self,
        app_id: i64,
        message_id: &str,
        pin: &MessagePin,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET pinned = ?, pinned_at = ?, pinned_by = ?, pin_expires = ?, updated_at = ? \
             WHERE app_id = ? AND id = ?",
            params![
                pin.pinned,
                optional_micros(&pin.pinned_at),
                pin.pinned_by,
                optional_micros(&pin.pin_expires),
                micros(&updated_at),
                app_id,
                message_id,
            ],
        )?;
        Ok(())
    }

    fn mark_message_deleted(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET type = 'deleted', deleted_at = COALESCE(deleted_at, ?1), updated_at = ?1 \
             WHERE app_id = ?2 AND id = ?3",
            params![micros(&at), app_id, message_id],
        )?;
        Ok(())
    }

    fn touch_message(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET updated_at = ? WHERE app_id = ? AND id = ?",
            params![micros(&at), app_id, message_id],
        )?;
        Ok(())
    }

    fn add_reply_counts(&mut self, app_id: i64, parent_id: &str, replies: i64, deleted_replies: i64) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET reply_count = MAX(reply_count + ?, 0), \
             deleted_reply_count = MAX(deleted_reply_count + ?, 0) WHERE app_id = ? AND id = ?",
            params![replies, deleted_replies, app_id, parent_id],
        )?;
        Ok(())
    }

    fn schedule_user_purge(&mut self, app_id: i64, user_id: &str, hard: bool, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "INSERT INTO user_purges (app_id, user_id, hard, before) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (app_id, user_id) DO UPDATE SET hard = MAX(hard, excluded.hard), \
             before = MAX(before, excluded.before)",
            params![app_id, user_id, hard, micros(&before)],
        )?;
        Ok(())
    }

    fn messages_to_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        before: DateTime<Utc>,
        hard: bool,
        limit: usize,
    ) -> CoreResult<Vec<Message>> {
        let pending = if hard { "" } else { "AND deleted_at IS NULL" };
        self.message_query(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = ?1 AND user_id = ?2 AND created_at <= ?3 \
                 {pending} ORDER BY created_at LIMIT ?4"
            ),
            params![app_id, user_id, micros(&before), limit as i64],
        )
    }

    fn finish_user_purge(&mut self, app_id: i64, user_id: &str, hard: bool, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "DELETE FROM user_purges WHERE app_id = ?1 AND user_id = ?2 AND hard = ?3 AND before = ?4",
            params![app_id, user_id, hard, micros(&before)],
        )?;
        Ok(())
    }

    fn pending_user_purges(&mut self) -> CoreResult<Vec<UserPurge>> {
        self.query("SELECT app_id, user_id, hard, before FROM user_purges", [], |row| {
            Ok(UserPurge { app_id: row.get(0)?, user_id: row.get(1)?, hard: row.get(2)?, before: time(row.get(3)?) })
        })
    }

    fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()> {
        self.unindex_messages("app_id = ?1 AND id = ?2", params![app_id, message_id])?;
        self.execute("DELETE FROM reactions WHERE app_id = ? AND message_id = ?", params![app_id, message_id])?;
        self.execute("DELETE FROM reaction_totals WHERE app_id = ? AND message_id = ?", params![app_id, message_id])?;
        self.execute("DELETE FROM messages WHERE app_id = ? AND id = ?", params![app_id, message_id])?;
        Ok(())
    }

    fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (since, all, reader) = (sight.since_micros(), sight.all_shadowed, sight.reader_id());
        let visible = "app_id = ? AND cid = ? AND (parent_id IS NULL OR show_in_channel = 1) AND created_at > ? \
            AND (shadowed = 0 OR ? OR user_id = ?)";
        let limit = limit as i64;
        let mut messages = match range {
            MessageRange::Latest => self.message_query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} ORDER BY created_at DESC, id DESC LIMIT ?"
                ),
                params![app_id, cid, since, all, reader, limit],
            )?,
            MessageRange::Before { at, id, inclusive } => {
                let comparison = if *inclusive { "<=" } else { "<" };
                self.message_query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} AND (created_at, id) {comparison} (?, ?) \
                         ORDER BY created_at DESC, id DESC LIMIT ?"
                    ),
                    params![app_id, cid, since, all, reader, micros(at), id, limit],
                )?
            }
            MessageRange::After { at, id, inclusive } => {
                let comparison = if *inclusive { ">=" } else { ">" };
                let mut ascending = self.message_query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} AND (created_at, id) {comparison} (?, ?) \
                         ORDER BY created_at ASC, id ASC LIMIT ?"
                    ),
                    params![app_id, cid, since, all, reader, micros(at), id, limit],
                )?;
                ascending.reverse();
                ascending
            }
        };
        messages.reverse();
        Ok(messages)
    }

    fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (since, all, reader) = (sight.since_micros(), sight.all_shadowed, sight.reader_id());
        let visible = "app_id = ? AND parent_id = ? AND created_at > ? AND (shadowed = 0 OR ? OR user_id = ?)";
        let limit = limit as i64;
        let mut messages = match range {
            MessageRange::Latest => self.message_query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} ORDER BY created_at DESC, id DESC LIMIT ?"
                ),
                params![app_id, parent_id, since, all, reader, limit],
            )?,
            MessageRange::Before { at, id, inclusive } => {
                let comparison = if *inclusive { "<=" } else { "<" };
                self.message_query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} AND (created_at, id) {comparison} (?, ?) \
                         ORDER BY created_at DESC, id DESC LIMIT ?"
                    ),
                    params![app_id, parent_id, since, all, reader, micros(at), id, limit],
                )?
            }
            MessageRange::After { at, id, inclusive } => {
                let comparison = if *inclusive { ">=" } else { ">" };
                let mut ascending = self.message_query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {visible} AND (created_at, id) {comparison} (?, ?) \
                         ORDER BY created_at ASC, id ASC LIMIT ?"
                    ),
                    params![app_id, parent_id, since, all, reader, micros(at), id, limit],
                )?;
                ascending.reverse();
                ascending
            }
        };
        messages.reverse();
        Ok(messages)
    }

    fn has_message_since(&mut self, app_id: i64, cid: &str, user_id: &str, since: DateTime<Utc>) -> CoreResult<bool> {
        let mut statement = self.connection.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE app_id = ? AND cid = ? AND created_at > ? AND user_id = ?)",
        )?;
        Ok(statement.query_row(params![app_id, cid, micros(&since), user_id], |row| row.get(0))?)
    }

    fn pinned_messages(&mut self, app_id: i64, cid: &str, limit: usize, sight: &Sight) -> CoreResult<Vec<Message>> {
        let mut messages = self.message_query(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = ? AND cid = ? AND pinned = 1 \
                 AND deleted_at IS NULL AND created_at > ? AND (shadowed = 0 OR ? OR user_id = ?) \
                 ORDER BY pinned_at DESC LIMIT ?"
            ),
            params![app_id, cid, sight.since_micros(), sight.all_shadowed, sight.reader_id(), limit as i64],
        )?;
        messages.reverse();
        Ok(messages)
    }

    fn pinned_page(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &PinRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (after, before, order) = range.sql();
        let (from, to) = range.bounds();
        self.message_query(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = ?1 AND cid = ?2 AND pinned = 1 \
                 AND deleted_at IS NULL AND created_at > ?3 AND pinned_at {after} ?4 AND pinned_at {before} ?5 \
                 AND (shadowed = 0 OR ?7 OR user_id = ?8) ORDER BY {order} LIMIT ?6"
            ),
            params![app_id, cid, sight.since_micros(), from, to, limit as i64, sight.all_shadowed, sight.reader_id()],
        )
    }

    fn count_unread_from(
        &mut self,
        app_id: i64,
        cid: &str,
        from: (DateTime<Utc>, &str),
        reader: &str,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<i64> {
        let counted = self.query(
            "SELECT COUNT(*) FROM messages WHERE app_id = ? AND cid = ? AND (created_at, id) >= (?, ?) \
             AND created_at > ? AND user_id != ? AND silent = 0 AND shadowed = 0 AND type NOT IN ('system', 'error') \
             AND (parent_id IS NULL OR show_in_channel = 1)",
            params![app_id, cid, micros(&from.0), from.1, since.as_ref().map_or(i64::MIN, micros), reader],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(counted.into_iter().next().unwrap_or(0))
    }

    fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>> {
        self.query(
            "SELECT user_id FROM messages WHERE app_id = ? AND parent_id = ? AND shadowed = 0 \
             GROUP BY user_id ORDER BY MIN(created_at)",
            params![app_id, parent_id],
            |row| row.get(0),
        )
    }

    fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>> {
        let rows = self.query(
            &format!(
                "SELECT {REACTION_COLUMNS} FROM reactions WHERE app_id = ? AND message_id = ? AND user_id = ? AND type = ?"
            ),
            params![app_id, message_id, user_id, reaction_type],
            reaction_from_row,
        )?;
        Ok(with_data(rows, |reaction, data| reaction.data = data)?.pop())
    }

    fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>> {
        let rows = self.query(
            &format!(
                "SELECT {REACTION_COLUMNS} FROM reactions WHERE app_id = ? AND message_id = ? AND user_id = ? \
                 ORDER BY created_at"
            ),
            params![app_id, message_id, user_id],
            reaction_from_row,
        )?;
        with_data(rows, |reaction, data| reaction.data = data)
    }

    fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()> {
        self.execute(
            &format!("INSERT OR REPLACE INTO reactions (app_id, {REACTION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"),
            params![
                app_id,
                reaction.message_id,
                reaction.user_id,
                reaction.reaction_type,
                reaction.score,
                data_json(&reaction.data, "reaction")?,
                micros(&reaction.created_at),
                micros(&reaction.updated_at),
            ],
        )?;
        Ok(())
    }

    fn delete_reaction(&mut self, app_id: i64, message_id: &str, user_id: &str, reaction_type: &str) -> CoreResult<()> {
        self.execute(
            "DELETE FROM reactions WHERE app_id = ? AND message_id = ? AND user_id = ? AND type = ?",
            params![app_id, message_id, user_id, reaction_type],
        )?;
        Ok(())
    }

    fn add_reaction_totals(
        &mut self,
        app_id: i64,
        message_id: &str,
        reaction_type: &str,
        count: i64,
        score: i64,
    ) -> CoreResult<()> {
        self.execute(
            "INSERT INTO reaction_totals (app_id, message_id, type, count, score) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (app_id, message_id, type) DO UPDATE SET count = count + excluded.count, \
             score = score + excluded.score",
            params![app_id, message_id, reaction_type, count, score],
        )?;
        self.execute(
            "DELETE FROM reaction_totals WHERE app_id = ? AND message_id = ? AND type = ? AND count <= 0",
            params![app_id, message_id, reaction_type],
        )?;
        Ok(())
    }

    fn reactions(&mut self, app_id: i64, message_id: &str, limit: usize, offset: usize) -> CoreResult<Vec<Reaction>> {
        let rows = self.query(
            &format!(
                "SELECT {REACTION_COLUMNS} FROM reactions WHERE app_id = ? AND message_id = ? \
                 ORDER BY created_at DESC, user_id LIMIT ? OFFSET ?"
            ),
            params![app_id, message_id, limit as i64, offset as i64],
            reaction_from_row,
        )?;
        with_data(rows, |reaction, data| reaction.data = data)
    }

    fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>> {
        let mut result: HashMap<String, MessageReactions> = HashMap::new();
        for chunk in message_ids.chunks(500) {
            // Messages usually have few reactions, so one query per page of messages, ranked per message, is
            // cheaper than one query per message. The newest reaction of each type comes too (`type_rank = 1`), so
            // that every type gets its group even when none of its reactions is among the latest.
            let sql = format!(
                "SELECT {REACTION_COLUMNS}, rank, first_at, last_at FROM ( \
                   SELECT *, ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY created_at DESC, user_id) AS rank, \
                     ROW_NUMBER() OVER (PARTITION BY message_id, type ORDER BY created_at DESC, user_id) AS type_rank, \
                     MIN(created_at) OVER (PARTITION BY message_id, type) AS first_at, \
                     MAX(created_at) OVER (PARTITION BY message_id, type) AS last_at \
                   FROM reactions WHERE app_id = ? AND message_id IN ({}) \
                 ) WHERE rank <= ? OR user_id = ? OR type_rank = 1 ORDER BY created_at DESC, user_id",
                placeholders(chunk.len())
            );
            let parameters = std::iter::once(Value::from(app_id))
                .chain(chunk.iter().map(|id| Value::from(id.as_str())))
                .chain([Value::from(latest as i64), Value::from(viewer.unwrap_or(""))]);
            let rows = self.query(&sql, params_from_iter(parameters.map(SqlValue)), |row| {
                Ok((reaction_from_row(row)?, row.get::<_, i64>(7)?, row.get::<_, i64>(8)?, row.get::<_, i64>(9)?))
            })?;
            for ((mut reaction, data), rank, first_at, last_at) in rows {
                reaction.data = json_map(&data)?;
                collect_reaction(&mut result, RankedReaction { reaction, rank, first_at, last_at }, viewer, latest);
            }
        }
        Ok(result)
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(error: rusqlite::Error) -> CoreError {
        CoreError::internal(format!("sqlite: {error}"))
    }
}

/// A value bound to a statement whose columns are chosen at run time (partial updates).
#[derive(Debug, Clone)]
enum SqlParam {
    Null,
    Integer(i64),
    Text(String),
}

impl SqlParam {
    fn from_option_text(text: Option<String>) -> SqlParam {
        text.map_or(SqlParam::Null, SqlParam::Text)
    }
}

impl rusqlite::ToSql for SqlParam {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
        Ok(match self {
            SqlParam::Null => ToSqlOutput::Owned(Sql::Null),
            SqlParam::Integer(integer) => ToSqlOutput::Owned(Sql::Integer(*integer)),
            SqlParam::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        })
    }
}

impl SqliteTx {
    /// `UPDATE {table} SET {assignments} WHERE app_id = ? AND {key}`: the columns an operation changes and no
    /// others. `key_values` starts with the app id. Nothing to assign is nothing to do.
    fn update_row(
        &self,
        table: &str,
        assignments: Vec<(&str, SqlParam)>,
        key: &str,
        key_values: Vec<SqlParam>,
    ) -> CoreResult<()> {
        if assignments.is_empty() {
            return Ok(());
        }
        let set: Vec<&str> = assignments.iter().map(|(assignment, _)| *assignment).collect();
        let sql = format!("UPDATE {table} SET {} WHERE app_id = ? AND {key}", set.join(", "));
        let values = assignments.into_iter().map(|(_, value)| value).chain(key_values);
        self.execute(&sql, params_from_iter(values))?;
        Ok(())
    }
}

fn is_unique_violation(error: &CoreError) -> bool {
    error.detail.contains("UNIQUE constraint failed")
}

fn is_primary_key_conflict(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Binds a JSON scalar as a SQLite value, for statements with a variable number of parameters.
struct SqlValue(Value);

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
        Ok(match &self.0 {
            Value::Null => ToSqlOutput::Owned(Sql::Null),
            Value::Bool(flag) => ToSqlOutput::Owned(Sql::Integer(i64::from(*flag))),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => ToSqlOutput::Owned(Sql::Integer(integer)),
                None => ToSqlOutput::Owned(Sql::Real(number.as_f64().unwrap_or(0.0))),
            },
            Value::String(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            other => ToSqlOutput::Owned(Sql::Text(other.to_string())),
        })
    }
}

#[async_trait]
impl Maintenance for SqliteTx {
    async fn refresh_statistics(&mut self) -> CoreResult<()> {
        // Every connection, of this process or another, plans with the new statistics from its next transaction.
        self.connection.execute_batch("PRAGMA optimize=0x10002")?;
        Ok(())
    }
}

#[async_trait]
impl AppRows for SqliteTx {
    async fn create_app(&mut self, app: &NewApp) -> CoreResult<App> {
        SqliteTx::create_app(self, app)
    }

    async fn apps(&mut self) -> CoreResult<Vec<App>> {
        SqliteTx::apps(self)
    }

    async fn lock_app(&mut self, _app_id: i64) -> CoreResult<()> {
        // One writer (BEGIN IMMEDIATE): nobody else changes the row before this transaction commits.
        Ok(())
    }

    async fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()> {
        SqliteTx::update_app_settings(self, app_id, settings)
    }
}

#[async_trait]
impl UserRows for SqliteTx {
    async fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        SqliteTx::user(self, app_id, user_id)
    }

    async fn user_for_update(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        SqliteTx::user_for_update(self, app_id, user_id)
    }

    async fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>> {
        SqliteTx::users(self, app_id, user_ids)
    }

    async fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>> {
        SqliteTx::all_users(self, app_id)
    }

    async fn find_users(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<User>> {
        SqliteTx::find_users(self, app_id, query)
    }

    async fn insert_user_if_absent(&mut self, app_id: i64, user: &User) -> CoreResult<bool> {
        SqliteTx::insert_user_if_absent(self, app_id, user)
    }

    async fn upsert_user(&mut self, app_id: i64, user: &User, unique_name: Option<&str>) -> CoreResult<()> {
        SqliteTx::upsert_user(self, app_id, user, unique_name)
    }

    async fn user_name_taken(&mut self, app_id: i64, name: &str, except_user_id: &str) -> CoreResult<bool> {
        SqliteTx::user_name_taken(self, app_id, name, except_user_id)
    }

    async fn set_last_active(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::set_last_active(self, app_id, user_id, at)
    }

    async fn set_deactivated(
        &mut self,
        app_id: i64,
        user_id: &str,
        deactivated_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        SqliteTx::set_deactivated(self, app_id, user_id, deactivated_at, updated_at)
    }

    async fn mark_user_deleted(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::mark_user_deleted(self, app_id, user_id, at)
    }

    async fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()> {
        SqliteTx::delete_user(self, app_id, user_id)
    }

    async fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>> {
        SqliteTx::memberships(self, app_id, user_id)
    }

    async fn mark_all_read(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::mark_all_read(self, app_id, user_id, at)
    }

    async fn unread_totals(
        &mut self,
        app_id: i64,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<HashMap<String, UnreadTotals>> {
        SqliteTx::unread_totals(self, app_id, user_ids, now)
    }

    async fn put_user_mute(&mut self, app_id: i64, mute: &UserMute) -> CoreResult<()> {
        SqliteTx::put_user_mute(self, app_id, mute)
    }

    async fn delete_user_mute(&mut self, app_id: i64, user_id: &str, target_id: &str) -> CoreResult<bool> {
        SqliteTx::delete_user_mute(self, app_id, user_id, target_id)
    }

    async fn user_mutes(&mut self, app_id: i64, user_id: &str, now: DateTime<Utc>) -> CoreResult<Vec<UserMute>> {
        SqliteTx::user_mutes(self, app_id, user_id, now)
    }
}

/// The columns of a flag after its kind and target, in [`flag_from_row`]'s order.
const FLAG_COLUMNS: &str =
    "target_kind, target_id, user_id, id, channel_cid, target_user_id, reason, data, created_at, \
    updated_at, reviewed_at, reviewed_by, approved_at, rejected_at, message_deleted_at";

fn flag_from_row(row: &Row<'_>) -> rusqlite::Result<(Flag, String)> {
    let kind: String = row.get(0)?;
    let channel_cid: String = row.get(4)?;
    Ok((
        Flag {
            target_message_id: if kind == "message" { Some(row.get(1)?) } else { None },
            user_id: row.get(2)?,
            id: row.get(3)?,
            channel_cid: (!channel_cid.is_empty()).then_some(channel_cid),
            target_user_id: row.get(5)?,
            reason: row.get(6)?,
            data: Map::new(),
            created_at: time(row.get(8)?),
            updated_at: time(row.get(9)?),
            reviewed_at: optional_time(row.get(10)?),
            reviewed_by: row.get(11)?,
            approved_at: optional_time(row.get(12)?),
            rejected_at: optional_time(row.get(13)?),
            message_deleted_at: optional_time(row.get(14)?),
        },
        row.get(7)?,
    ))
}

/// The columns of a ban, in [`ban_from_row`]'s order.
const BAN_COLUMNS: &str = "user_id, channel_cid, created_by, reason, shadow, future_channels, created_at, expires_at";

fn ban_from_row(row: &Row<'_>) -> rusqlite::Result<Ban> {
    let channel_cid: String = row.get(1)?;
    Ok(Ban {
        user_id: row.get(0)?,
        channel_cid: (!channel_cid.is_empty()).then_some(channel_cid),
        created_by: row.get(2)?,
        reason: row.get(3)?,
        shadow: row.get(4)?,
        future_channels: row.get(5)?,
        created_at: time(row.get(6)?),
        expires: optional_time(row.get(7)?),
    })
}

#[async_trait]
impl ModerationRows for SqliteTx {
    async fn put_ban(&mut self, app_id: i64, ban: &Ban) -> CoreResult<()> {
        self.execute(
            &format!(
                "INSERT INTO bans (app_id, {BAN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (app_id, user_id, channel_cid) DO UPDATE SET created_by = excluded.created_by, \
                 reason = excluded.reason, shadow = excluded.shadow, future_channels = excluded.future_channels, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at"
            ),
            params![
                app_id,
                ban.user_id,
                ban.channel_cid.as_deref().unwrap_or(""),
                ban.created_by,
                ban.reason,
                ban.shadow,
                ban.future_channels,
                micros(&ban.created_at),
                optional_micros(&ban.expires)
            ],
        )?;
        if ban.channel_cid.is_none() {
            self.execute(
                "UPDATE users SET banned = ?1, shadow_banned = ?2, ban_expires_at = ?3 WHERE app_id = ?4 AND id = ?5",
                params![!ban.shadow, ban.shadow, optional_micros(&ban.expires), app_id, ban.user_id],
            )?;
        }
        Ok(())
    }

    async fn delete_ban(&mut self, app_id: i64, user_id: &str, channel_cid: Option<&str>) -> CoreResult<Option<Ban>> {
        let scope = channel_cid.unwrap_or("");
        let removed = self.query(
            &format!(
                "DELETE FROM bans WHERE app_id = ?1 AND user_id = ?2 AND channel_cid = ?3 RETURNING {BAN_COLUMNS}"
            ),
            params![app_id, user_id, scope],
            ban_from_row,
        )?;
        if channel_cid.is_none() {
            self.execute(
                "UPDATE users SET banned = 0, shadow_banned = 0, ban_expires_at = NULL WHERE app_id = ?1 AND id = ?2",
                params![app_id, user_id],
            )?;
        }
        Ok(removed.into_iter().next())
    }

    async fn bans_of(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<Ban>> {
        let mut found = Vec::new();
        for chunk in cids.chunks(500) {
            let sql = format!(
                "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = ? AND user_id = ? AND channel_cid IN ({}) \
                 AND (expires_at IS NULL OR expires_at > ?)",
                placeholders(chunk.len())
            );
            let mut parameters: Vec<rusqlite::types::Value> =
                vec![rusqlite::types::Value::Integer(app_id), rusqlite::types::Value::Text(user_id.to_owned())];
            parameters.extend(chunk.iter().map(|cid| rusqlite::types::Value::Text(cid.clone())));
            parameters.push(rusqlite::types::Value::Integer(micros(&now)));
            found.extend(self.query(&sql, params_from_iter(parameters), ban_from_row)?);
        }
        Ok(found)
    }

    async fn channel_bans(
        &mut self,
        app_id: i64,
        cids: &[String],
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<Ban>> {
        if cids.is_empty() || user_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.query(
            &format!(
                "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = ?1 AND channel_cid IN (SELECT value FROM json_each(?2)) \
                 AND user_id IN (SELECT value FROM json_each(?3)) AND (expires_at IS NULL OR expires_at > ?4)"
            ),
            params![app_id, json_text(&cids), json_text(&user_ids), micros(&now)],
            ban_from_row,
        )
    }

    async fn find_bans(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Ban>> {
        let (sql, parameters) = render_select(&SqliteDialect, BAN_COLUMNS, BANS, app_id, query);
        self.query_built(&sql, &parameters, ban_from_row)
    }

    async fn future_bans_by(&mut self, app_id: i64, created_by: &str, now: DateTime<Utc>) -> CoreResult<Vec<Ban>> {
        self.query(
            &format!(
                "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = ?1 AND created_by = ?2 AND future_channels = 1 \
                 AND (expires_at IS NULL OR expires_at > ?3) ORDER BY created_at, user_id"
            ),
            params![app_id, created_by, micros(&now)],
            ban_from_row,
        )
    }

    async fn delete_channel_bans(&mut self, app_id: i64, cid: &str) -> CoreResult<usize> {
        self.execute("DELETE FROM bans WHERE app_id = ?1 AND channel_cid = ?2", params![app_id, cid])
    }

    async fn insert_flag(&mut self, app_id: i64, flag: &Flag) -> CoreResult<bool> {
        let (kind, target_id) = flag.target();
        let inserted = self.execute(
            &format!(
                "INSERT INTO flags (app_id, {FLAG_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
                 ?13, ?14, ?15, ?16) ON CONFLICT (app_id, target_kind, target_id, user_id) DO NOTHING"
            ),
            params![
                app_id,
                kind,
                target_id,
                flag.user_id,
                flag.id,
                flag.channel_cid.as_deref().unwrap_or(""),
                flag.target_user_id,
                flag.reason,
                data_json(&flag.data, "flag")?,
                micros(&flag.created_at),
                micros(&flag.updated_at),
                optional_micros(&flag.reviewed_at),
                flag.reviewed_by,
                optional_micros(&flag.approved_at),
                optional_micros(&flag.rejected_at),
                optional_micros(&flag.message_deleted_at)
            ],
        )?;
        Ok(inserted > 0)
    }

    async fn delete_flag(
        &mut self,
        app_id: i64,
        kind: &str,
        target_id: &str,
        user_id: &str,
    ) -> CoreResult<Option<Flag>> {
        let removed = self.query(
            &format!(
                "DELETE FROM flags WHERE app_id = ?1 AND target_kind = ?2 AND target_id = ?3 AND user_id = ?4 \
                 RETURNING {FLAG_COLUMNS}"
            ),
            params![app_id, kind, target_id, user_id],
            flag_from_row,
        )?;
        with_data(removed, |flag, data| flag.data = data).map(|flags| flags.into_iter().next())
    }

    async fn find_flags(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Flag>> {
        let (sql, parameters) = render_select(&SqliteDialect, FLAG_COLUMNS, FLAGS, app_id, query);
        let rows = self.query_built(&sql, &parameters, flag_from_row)?;
        with_data(rows, |flag, data| flag.data = data)
    }

    async fn close_message_flags(
        &mut self,
        app_id: i64,
        message_id: &str,
        at: DateTime<Utc>,
        review: Option<Option<&str>>,
    ) -> CoreResult<usize> {
        self.execute(
            "UPDATE flags SET message_deleted_at = COALESCE(message_deleted_at, ?1), updated_at = ?1, \
             reviewed_by = CASE WHEN ?2 AND reviewed_at IS NULL THEN ?5 ELSE reviewed_by END, \
             rejected_at = CASE WHEN ?2 AND reviewed_at IS NULL THEN ?1 ELSE rejected_at END, \
             reviewed_at = CASE WHEN ?2 AND reviewed_at IS NULL THEN ?1 ELSE reviewed_at END \
             WHERE app_id = ?3 AND target_kind = 'message' AND target_id = ?4",
            params![micros(&at), review.is_some(), app_id, message_id, review.flatten()],
        )
    }

    async fn put_channel_mute(&mut self, app_id: i64, mute: &ChannelMute) -> CoreResult<()> {
        self.execute(
            "INSERT INTO channel_mutes (app_id, user_id, channel_cid, created_at, updated_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (app_id, user_id, channel_cid) \
             DO UPDATE SET updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            params![
                app_id,
                mute.user_id,
                mute.channel_cid,
                micros(&mute.created_at),
                micros(&mute.updated_at),
                optional_micros(&mute.expires)
            ],
        )?;
        Ok(())
    }

    async fn delete_channel_mute(&mut self, app_id: i64, user_id: &str, cid: &str) -> CoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM channel_mutes WHERE app_id = ?1 AND user_id = ?2 AND channel_cid = ?3",
            params![app_id, user_id, cid],
        )?;
        Ok(removed > 0)
    }

    async fn channel_mutes(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<ChannelMute>> {
        let among = cids.map(|cids| json_text(&cids));
        self.query(
            "SELECT user_id, channel_cid, created_at, updated_at, expires_at FROM channel_mutes \
             WHERE app_id = ?1 AND user_id = ?2 AND (expires_at IS NULL OR expires_at > ?3) \
             AND (?4 IS NULL OR channel_cid IN (SELECT value FROM json_each(?4))) ORDER BY created_at, channel_cid",
            params![app_id, user_id, micros(&now), among],
            |row| {
                Ok(ChannelMute {
                    user_id: row.get(0)?,
                    channel_cid: row.get(1)?,
                    created_at: time(row.get(2)?),
                    updated_at: time(row.get(3)?),
                    expires: optional_time(row.get(4)?),
                })
            },
        )
    }

    async fn delete_expired_channel_mutes(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        self.execute(
            "DELETE FROM channel_mutes WHERE (app_id, user_id, channel_cid) IN (SELECT app_id, user_id, channel_cid \
             FROM channel_mutes WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)",
            params![micros(&now), limit as i64],
        )
    }

    async fn clear_expired_user_bans(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        self.execute(
            "UPDATE users SET banned = 0, shadow_banned = 0, ban_expires_at = NULL WHERE (app_id, id) IN \
             (SELECT app_id, id FROM users WHERE ban_expires_at IS NOT NULL AND ban_expires_at <= ?1 LIMIT ?2)",
            params![micros(&now), limit as i64],
        )
    }
}

const UPLOAD_COLUMNS: &str =
    "token, cid, user_id, kind, content_hash, size, mime_type, file_name, width, height, thumb_hash, created_at";

fn upload_from_row(row: &Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        token: row.get(0)?,
        cid: row.get(1)?,
        user_id: row.get(2)?,
        kind: row.get(3)?,
        content_hash: row.get(4)?,
        size: row.get(5)?,
        mime_type: row.get(6)?,
        file_name: row.get(7)?,
        width: row.get(8)?,
        height: row.get(9)?,
        thumb_hash: row.get(10)?,
        created_at: time(row.get(11)?),
    })
}

#[async_trait]
impl UploadRows for SqliteTx {
    async fn insert_upload(&mut self, app_id: i64, upload: &Upload) -> CoreResult<()> {
        self.execute(
            &format!(
                "INSERT INTO uploads (app_id, {UPLOAD_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
            ),
            params![
                app_id,
                upload.token,
                upload.cid,
                upload.user_id,
                upload.kind,
                upload.content_hash,
                upload.size,
                upload.mime_type,
                upload.file_name,
                upload.width,
                upload.height,
                upload.thumb_hash,
                micros(&upload.created_at)
            ],
        )?;
        Ok(())
    }

    async fn upload(&mut self, app_id: i64, token: &str) -> CoreResult<Option<Upload>> {
        let mut found = self.query(
            &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE app_id = ?1 AND token = ?2"),
            params![app_id, token],
            upload_from_row,
        )?;
        Ok(found.pop())
    }

    async fn delete_uploads(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        tokens: &[String],
    ) -> CoreResult<Vec<Upload>> {
        let mut removed = Vec::new();
        for token in tokens {
            removed.extend(self.query(
                &format!(
                    "DELETE FROM uploads WHERE app_id = ?1 AND token = ?2 AND cid = ?3 AND user_id = ?4 \
                     RETURNING {UPLOAD_COLUMNS}"
                ),
                params![app_id, token, cid, user_id],
                upload_from_row,
            )?);
        }
        Ok(removed)
    }

    async fn blob_in_use(&mut self, app_id: i64, hash: &str) -> CoreResult<bool> {
        let found = self.query(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM uploads WHERE app_id = ?1 AND content_hash = ?2) \
             OR EXISTS (SELECT 1 FROM uploads WHERE app_id = ?1 AND thumb_hash = ?2)",
            params![app_id, hash],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(!found.is_empty())
    }
}

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        user_id: row.get(1)?,
        push_provider: row.get(2)?,
        push_provider_name: row.get(3)?,
        voip: row.get(4)?,
        disabled_reason: row.get(5)?,
        created_at: time(row.get(6)?),
    })
}

#[async_trait]
impl DeviceRows for SqliteTx {
    async fn put_device(&mut self, app_id: i64, device: &Device) -> CoreResult<()> {
        self.execute(
            "INSERT INTO devices (app_id, id, user_id, push_provider, push_provider_name, voip, disabled_reason, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7) ON CONFLICT (app_id, id) DO UPDATE SET \
             created_at = CASE WHEN devices.user_id = excluded.user_id THEN devices.created_at \
             ELSE excluded.created_at END, user_id = excluded.user_id, push_provider = excluded.push_provider, \
             push_provider_name = excluded.push_provider_name, voip = excluded.voip, disabled_reason = NULL",
            params![
                app_id,
                device.id,
                device.user_id,
                device.push_provider,
                device.push_provider_name,
                device.voip,
                micros(&device.created_at)
            ],
        )?;
        Ok(())
    }

    async fn devices_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Device>> {
        self.query(
            "SELECT id, user_id, push_provider, push_provider_name, voip, disabled_reason, created_at FROM devices \
             WHERE app_id = ?1 AND user_id = ?2 ORDER BY created_at, id",
            params![app_id, user_id],
            device_from_row,
        )
    }

    async fn delete_device(&mut self, app_id: i64, user_id: &str, id: &str) -> CoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM devices WHERE app_id = ?1 AND user_id = ?2 AND id = ?3",
            params![app_id, user_id, id],
        )?;
        Ok(removed > 0)
    }

    async fn push_devices(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<Device>> {
        let mut found = Vec::new();
        for chunk in user_ids.chunks(500) {
            let sql = format!(
                "SELECT id, user_id, push_provider, push_provider_name, voip, disabled_reason, created_at \
                 FROM devices WHERE app_id = ? AND user_id IN ({}) AND disabled_reason IS NULL \
                 ORDER BY user_id, created_at, id",
                placeholders(chunk.len())
            );
            let parameters =
                std::iter::once(Value::from(app_id)).chain(chunk.iter().map(|id| Value::from(id.as_str())));
            found.extend(self.query(&sql, params_from_iter(parameters.map(SqlValue)), device_from_row)?);
        }
        Ok(found)
    }

    async fn disable_device(&mut self, app_id: i64, id: &str, reason: &str) -> CoreResult<bool> {
        let changed = self.execute(
            "UPDATE devices SET disabled_reason = ?3 WHERE app_id = ?1 AND id = ?2",
            params![app_id, id, reason],
        )?;
        Ok(changed > 0)
    }

    async fn channel_push_devices(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Device>> {
        let sql = format!(
            "SELECT d.id, d.user_id, d.push_provider, d.push_provider_name, d.voip, d.disabled_reason, d.created_at \
             FROM members m JOIN devices d ON d.app_id = m.app_id AND d.user_id = m.user_id \
             WHERE m.app_id = ?1 AND m.cid = ?2 AND d.disabled_reason IS NULL AND NOT {PENDING_INVITE} \
             ORDER BY d.user_id, d.created_at, d.id"
        );
        self.query(&sql, params![app_id, cid], device_from_row)
    }

    async fn muted_for_push(
        &mut self,
        app_id: i64,
        cid: &str,
        sender_id: &str,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<String>> {
        let mut muted = Vec::new();
        for chunk in user_ids.chunks(400) {
            let list = placeholders(chunk.len());
            let sql = format!(
                "SELECT user_id FROM channel_mutes WHERE app_id = ? AND channel_cid = ? AND user_id IN ({list}) \
                 AND (expires_at IS NULL OR expires_at > ?) UNION SELECT user_id FROM user_mutes WHERE app_id = ? \
                 AND target_id = ? AND user_id IN ({list}) AND (expires_at IS NULL OR expires_at > ?)"
            );
            let ids = || chunk.iter().map(|id| Value::from(id.as_str()));
            let parameters = [Value::from(app_id), Value::from(cid)]
                .into_iter()
                .chain(ids())
                .chain([Value::from(micros(&now)), Value::from(app_id), Value::from(sender_id)])
                .chain(ids())
                .chain([Value::from(micros(&now))]);
            muted.extend(self.query(&sql, params_from_iter(parameters.map(SqlValue)), |row| row.get::<_, String>(0))?);
        }
        Ok(muted)
    }
}

fn blocklist_from_row(row: &Row<'_>) -> rusqlite::Result<(Blocklist, String)> {
    Ok((
        Blocklist {
            name: row.get(0)?,
            kind: row.get(1)?,
            words: Vec::new(),
            substring_matching: row.get(3)?,
            created_at: time(row.get(4)?),
            updated_at: time(row.get(5)?),
        },
        row.get(2)?,
    ))
}

fn with_words((mut blocklist, words): (Blocklist, String)) -> CoreResult<Blocklist> {
    blocklist.words = serde_json::from_str(&words)?;
    Ok(blocklist)
}

#[async_trait]
impl BlocklistRows for SqliteTx {
    async fn put_blocklist(&mut self, app_id: i64, blocklist: &Blocklist) -> CoreResult<()> {
        self.execute(
            "INSERT INTO blocklists (app_id, name, kind, words, substring_matching, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (app_id, name) DO UPDATE SET kind = excluded.kind, \
             words = excluded.words, substring_matching = excluded.substring_matching, updated_at = excluded.updated_at",
            params![
                app_id,
                blocklist.name,
                blocklist.kind,
                serde_json::to_string(&blocklist.words)?,
                blocklist.substring_matching,
                micros(&blocklist.created_at),
                micros(&blocklist.updated_at)
            ],
        )?;
        Ok(())
    }

    async fn blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<Option<Blocklist>> {
        let rows = self.query(
            "SELECT name, kind, words, substring_matching, created_at, updated_at FROM blocklists \
             WHERE app_id = ?1 AND name = ?2",
            params![app_id, name],
            blocklist_from_row,
        )?;
        rows.into_iter().next().map(with_words).transpose()
    }

    async fn blocklists(&mut self, app_id: i64) -> CoreResult<Vec<Blocklist>> {
        let rows = self.query(
            "SELECT name, kind, words, substring_matching, created_at, updated_at FROM blocklists \
             WHERE app_id = ?1 ORDER BY name",
            params![app_id],
            blocklist_from_row,
        )?;
        rows.into_iter().map(with_words).collect()
    }

    async fn delete_blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<bool> {
        Ok(self.execute("DELETE FROM blocklists WHERE app_id = ?1 AND name = ?2", params![app_id, name])? > 0)
    }
}

fn push_binding(app_id: i64, kind: PushKind, name: &str) -> String {
    format!("push:{app_id}:{}:{name}", kind.as_str())
}

#[async_trait]
impl PushRows for SqliteTx {
    async fn put_push_provider(&mut self, app_id: i64, provider: &PushProvider) -> CoreResult<()> {
        let binding = push_binding(app_id, provider.kind, &provider.name);
        let sealed = provider.credentials.as_ref().map(|secret| self.key.seal(secret, &binding)).transpose()?;
        self.execute(
            "INSERT INTO push_providers (app_id, kind, name, config, credentials, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (app_id, kind, name) DO UPDATE SET \
             config = excluded.config, credentials = excluded.credentials, updated_at = excluded.updated_at",
            params![
                app_id,
                provider.kind.as_str(),
                provider.name,
                push_config_to_json(provider),
                sealed,
                micros(&provider.created_at),
                micros(&provider.updated_at)
            ],
        )?;
        Ok(())
    }

    async fn push_providers(&mut self, app_id: i64) -> CoreResult<Vec<PushProvider>> {
        let rows = self.query(
            "SELECT kind, name, config, credentials, created_at, updated_at FROM push_providers WHERE app_id = ?1 \
             ORDER BY name, kind",
            params![app_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(kind, name, config, sealed, created_at, updated_at)| {
                let parsed = PushKind::parse(&kind).ok_or_else(|| CoreError::internal("unknown push kind"))?;
                let binding = push_binding(app_id, parsed, &name);
                let credentials = sealed.map(|sealed| self.key.open(&sealed, &binding)).transpose()?;
                push_provider_from_row(&kind, name, &config, credentials, created_at, updated_at)
            })
            .collect()
    }

    async fn delete_push_provider(&mut self, app_id: i64, kind: PushKind, name: &str) -> CoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM push_providers WHERE app_id = ?1 AND kind = ?2 AND name = ?3",
            params![app_id, kind.as_str(), name],
        )?;
        Ok(removed > 0)
    }

    async fn settle_pushes(
        &mut self,
        app_id: i64,
        message_id: &str,
        settled: &[(String, String)],
        at: DateTime<Utc>,
    ) -> CoreResult<()> {
        for (device_id, outcome) in settled {
            self.execute(
                "INSERT INTO push_deliveries (app_id, message_id, device_id, outcome, settled_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![app_id, message_id, device_id, outcome, micros(&at)],
            )?;
        }
        Ok(())
    }

    async fn settled_pushes(&mut self, app_id: i64, message_id: &str) -> CoreResult<Vec<String>> {
        self.query(
            "SELECT device_id FROM push_deliveries WHERE app_id = ?1 AND message_id = ?2",
            params![app_id, message_id],
            |row| row.get(0),
        )
    }

    async fn delete_settled_pushes(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        self.execute(
            "DELETE FROM push_deliveries WHERE rowid IN (SELECT rowid FROM push_deliveries WHERE settled_at < ?1 \
             LIMIT ?2)",
            params![micros(&before), limit as i64],
        )
    }
}

#[async_trait]
impl OutboxRows for SqliteTx {
    async fn enqueue_jobs(&mut self, app_id: i64, jobs: &[NewJob], now: DateTime<Utc>) -> CoreResult<()> {
        for job in jobs {
            self.execute(
                "INSERT INTO outbox (app_id, kind, delivery_id, target, timeout_ms, event_type, body, created_at, \
                 available_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    app_id,
                    job.kind.as_str(),
                    job.delivery_id,
                    job.target,
                    job.timeout_ms,
                    job.event_type,
                    job.body,
                    micros(&now)
                ],
            )?;
        }
        Ok(())
    }

    async fn claim_jobs(
        &mut self,
        lease: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<Vec<OutboxJob>> {
        // One writer: the statement alone excludes every other claim.
        let mut jobs = self.query(
            "UPDATE outbox SET lease_owner = ?1, available_at = ?2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NULL AND available_at <= ?3 \
             ORDER BY available_at, id LIMIT ?4) \
             RETURNING id, app_id, kind, delivery_id, target, timeout_ms, event_type, body, created_at, attempts",
            params![lease, micros(&until), micros(&now), limit as i64],
            |row| {
                Ok(OutboxJob {
                    id: row.get(0)?,
                    app_id: row.get(1)?,
                    kind: row.get(2)?,
                    delivery_id: row.get(3)?,
                    target: row.get(4)?,
                    timeout_ms: row.get(5)?,
                    event_type: row.get(6)?,
                    body: row.get(7)?,
                    created_at: time(row.get(8)?),
                    attempt: row.get(9)?,
                    lease: lease.to_owned(),
                })
            },
        )?;
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    async fn finish_job(&mut self, id: i64, lease: &str) -> CoreResult<bool> {
        Ok(self.execute("DELETE FROM outbox WHERE id = ?1 AND lease_owner = ?2", params![id, lease])? > 0)
    }

    async fn renew_lease(&mut self, id: i64, lease: &str, until: DateTime<Utc>) -> CoreResult<bool> {
        let sql = "UPDATE outbox SET available_at = ?3 WHERE id = ?1 AND lease_owner = ?2 AND failed_at IS NULL";
        Ok(self.execute(sql, params![id, lease, micros(&until)])? > 0)
    }

    async fn retry_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool> {
        let changed = self.execute(
            "UPDATE outbox SET available_at = ?3, lease_owner = NULL, last_error = ?4 \
             WHERE id = ?1 AND lease_owner = ?2",
            params![id, lease, micros(&at), error],
        )?;
        Ok(changed > 0)
    }

    async fn fail_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool> {
        let changed = self.execute(
            "UPDATE outbox SET failed_at = ?3, lease_owner = NULL, last_error = ?4 WHERE id = ?1 AND lease_owner = ?2",
            params![id, lease, micros(&at), error],
        )?;
        Ok(changed > 0)
    }

    async fn outbox_summary(&mut self, app_id: i64, failures: usize) -> CoreResult<OutboxSummary> {
        let counts = self.query(
            "SELECT COUNT(*) FILTER (WHERE failed_at IS NULL), COUNT(*) FILTER (WHERE failed_at IS NOT NULL), \
             MIN(created_at) FILTER (WHERE failed_at IS NULL) FROM outbox WHERE app_id = ?1",
            params![app_id],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, Option<i64>>(2)?)),
        )?;
        let (pending, failed, oldest) = counts.first().copied().unwrap_or((0, 0, None));
        let failures = self.query(
            "SELECT id, kind, event_type, target, attempts, COALESCE(last_error, ''), failed_at FROM outbox \
             WHERE app_id = ?1 AND failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT ?2",
            params![app_id, failures as i64],
            |row| {
                Ok(FailedJob {
                    id: row.get(0)?,
                    kind: row.get(1)?,
                    event_type: row.get(2)?,
                    target: row.get(3)?,
                    attempts: row.get(4)?,
                    last_error: row.get(5)?,
                    failed_at: time(row.get(6)?),
                })
            },
        )?;
        Ok(OutboxSummary {
            pending: pending.max(0) as u64,
            failed: failed.max(0) as u64,
            oldest_pending_at: optional_time(oldest),
            failures,
        })
    }

    async fn delete_failed_jobs(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        self.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NOT NULL AND failed_at < ?1 \
             LIMIT ?2)",
            params![micros(&before), limit as i64],
        )
    }
}

#[async_trait]
impl UsageRows for SqliteTx {
    async fn is_active_in(&mut self, app_id: i64, month: i64, user_id: &str) -> CoreResult<bool> {
        let found = self.query(
            "SELECT 1 FROM monthly_active_users WHERE app_id = ?1 AND month = ?2 AND user_id = ?3",
            params![app_id, month, user_id],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(!found.is_empty())
    }

    async fn lock_month(&mut self, app_id: i64, month: i64) -> CoreResult<()> {
        // One writer: the transaction already excludes every other admission.
        self.execute(
            "INSERT INTO monthly_messages (app_id, month, shard, messages) VALUES (?1, ?2, 0, 0) \
             ON CONFLICT (app_id, month, shard) DO NOTHING",
            params![app_id, month],
        )?;
        Ok(())
    }

    async fn active_user_count(&mut self, app_id: i64, month: i64) -> CoreResult<u64> {
        let count = self.query(
            "SELECT COUNT(*) FROM monthly_active_users WHERE app_id = ?1 AND month = ?2",
            params![app_id, month],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(count.first().copied().unwrap_or(0).max(0) as u64)
    }

    async fn add_active_user(&mut self, app_id: i64, month: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<bool> {
        let added = self.execute(
            "INSERT INTO monthly_active_users (app_id, month, user_id, first_seen) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (app_id, month, user_id) DO NOTHING",
            params![app_id, month, user_id, micros(&at)],
        )?;
        Ok(added > 0)
    }

    async fn add_month_message(&mut self, app_id: i64, month: i64, shard: i64) -> CoreResult<()> {
        self.execute(
            "INSERT INTO monthly_messages (app_id, month, shard, messages) VALUES (?1, ?2, ?3, 1) \
             ON CONFLICT (app_id, month, shard) DO UPDATE SET messages = messages + 1",
            params![app_id, month, shard],
        )?;
        Ok(())
    }

    async fn month_messages(&mut self, app_id: i64, month: i64) -> CoreResult<u64> {
        let sum = self.query(
            "SELECT COALESCE(SUM(messages), 0) FROM monthly_messages WHERE app_id = ?1 AND month = ?2",
            params![app_id, month],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(sum.first().copied().unwrap_or(0).max(0) as u64)
    }
}

#[async_trait]
impl ChannelRows for SqliteTx {
    async fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        SqliteTx::channel(self, app_id, cid)
    }

    async fn channel_type_in_use(&mut self, app_id: i64, channel_type: &str) -> CoreResult<bool> {
        let (from, to) = (format!("{channel_type}:"), format!("{channel_type};"));
        let found = self.query(
            "SELECT 1 FROM channels WHERE app_id = ?1 AND cid >= ?2 AND cid < ?3 LIMIT 1",
            params![app_id, from, to],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(!found.is_empty())
    }

    async fn channel_for_update(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        SqliteTx::channel_for_update(self, app_id, cid)
    }

    async fn insert_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        SqliteTx::insert_channel(self, app_id, channel)
    }

    async fn update_channel(&mut self, app_id: i64, cid: &str, changes: &ChannelChanges) -> CoreResult<()> {
        SqliteTx::update_channel(self, app_id, cid, changes)
    }

    async fn count_message(
        &mut self,
        app_id: i64,
        cid: &str,
        counts_unread: bool,
        shows_in_channel: bool,
        at: DateTime<Utc>,
    ) -> CoreResult<ChannelCounters> {
        SqliteTx::count_message(self, app_id, cid, counts_unread, shows_in_channel, at)
    }

    async fn mark_channel_deleted(&mut self, app_id: i64, cid: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::mark_channel_deleted(self, app_id, cid, at)
    }

    async fn revive_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        SqliteTx::revive_channel(self, app_id, channel)
    }

    async fn schedule_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::schedule_purge(self, app_id, cid, before)
    }

    async fn purge_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        before: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<usize> {
        SqliteTx::purge_messages(self, app_id, cid, before, limit)
    }

    async fn finish_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::finish_purge(self, app_id, cid, before)
    }

    async fn purge_members(&mut self, app_id: i64, cid: &str, limit: usize) -> CoreResult<usize> {
        SqliteTx::purge_members(self, app_id, cid, limit)
    }

    async fn pending_purges(&mut self) -> CoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        SqliteTx::pending_purges(self)
    }

    async fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>> {
        SqliteTx::all_channels(self, app_id)
    }

    async fn find_channels(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Channel>> {
        SqliteTx::find_channels(self, app_id, query)
    }

    async fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>> {
        SqliteTx::channels_of_type(self, app_id, channel_type)
    }

    async fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>> {
        SqliteTx::channels_created_by(self, app_id, user_id)
    }

    async fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        SqliteTx::member(self, app_id, cid, user_id)
    }

    async fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>> {
        SqliteTx::members(self, app_id, cid)
    }

    async fn find_members(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Member>> {
        SqliteTx::find_members(self, app_id, query)
    }

    async fn insert_member(&mut self, app_id: i64, member: &Member) -> CoreResult<bool> {
        SqliteTx::insert_member(self, app_id, member)
    }

    async fn delete_memberships_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<usize> {
        self.execute(
            "UPDATE channels SET member_count = MAX(member_count - 1, 0) WHERE app_id = ?1 \
             AND cid IN (SELECT cid FROM members WHERE app_id = ?1 AND user_id = ?2)",
            params![app_id, user_id],
        )?;
        self.execute("DELETE FROM members WHERE app_id = ? AND user_id = ?", params![app_id, user_id])
    }

    async fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        SqliteTx::delete_member(self, app_id, cid, user_id)
    }

    async fn update_member(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        changes: &MemberChanges,
    ) -> CoreResult<()> {
        SqliteTx::update_member(self, app_id, cid, user_id, changes)
    }

    async fn unhide_members(&mut self, app_id: i64, cid: &str, except_user_id: &str) -> CoreResult<Vec<String>> {
        SqliteTx::unhide_members(self, app_id, cid, except_user_id)
    }

    async fn reset_reads(&mut self, app_id: i64, cid: &str) -> CoreResult<()> {
        SqliteTx::reset_reads(self, app_id, cid)
    }

    async fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>> {
        SqliteTx::member_ids(self, app_id, cid)
    }

    async fn member_ids_among(&mut self, app_id: i64, cid: &str, user_ids: &[String]) -> CoreResult<Vec<String>> {
        self.query(
            "SELECT m.user_id FROM json_each(?3) AS wanted JOIN members m \
             ON m.app_id = ?1 AND m.cid = ?2 AND m.user_id = wanted.value",
            params![app_id, cid, json_text(&user_ids)],
            |row| row.get(0),
        )
    }
}

#[async_trait]
impl MessageRows for SqliteTx {
    async fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        SqliteTx::message(self, app_id, message_id)
    }

    async fn message_for_update(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        SqliteTx::message_for_update(self, app_id, message_id)
    }

    async fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>> {
        SqliteTx::messages(self, app_id, message_ids)
    }

    async fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()> {
        SqliteTx::insert_message(self, app_id, message)
    }

    async fn update_message_content(
        &mut self,
        app_id: i64,
        message_id: &str,
        content: &MessageContent,
    ) -> CoreResult<()> {
        SqliteTx::update_message_content(self, app_id, message_id, content)
    }

    async fn set_pin(
        &mut self,
        app_id: i64,
        message_id: &str,
        pin: &MessagePin,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        SqliteTx::set_pin(self, app_id, message_id, pin, updated_at)
    }

    async fn mark_message_deleted(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::mark_message_deleted(self, app_id, message_id, at)
    }

    async fn touch_message(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        SqliteTx::touch_message(self, app_id, message_id, at)
    }

    async fn add_reply_counts(
        &mut self,
        app_id: i64,
        parent_id: &str,
        replies: i64,
        deleted_replies: i64,
    ) -> CoreResult<()> {
        SqliteTx::add_reply_counts(self, app_id, parent_id, replies, deleted_replies)
    }

    async fn schedule_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()> {
        SqliteTx::schedule_user_purge(self, app_id, user_id, hard, before)
    }

    async fn messages_to_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        before: DateTime<Utc>,
        hard: bool,
        limit: usize,
    ) -> CoreResult<Vec<Message>> {
        SqliteTx::messages_to_purge(self, app_id, user_id, before, hard, limit)
    }

    async fn finish_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()> {
        SqliteTx::finish_user_purge(self, app_id, user_id, hard, before)
    }

    async fn pending_user_purges(&mut self) -> CoreResult<Vec<UserPurge>> {
        SqliteTx::pending_user_purges(self)
    }

    async fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()> {
        SqliteTx::delete_message(self, app_id, message_id)
    }

    async fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        SqliteTx::channel_messages(self, app_id, cid, range, limit, sight)
    }

    async fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        SqliteTx::replies(self, app_id, parent_id, range, limit, sight)
    }

    async fn has_message_since(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> CoreResult<bool> {
        SqliteTx::has_message_since(self, app_id, cid, user_id, since)
    }

    async fn pinned_page(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &PinRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        SqliteTx::pinned_page(self, app_id, cid, range, limit, sight)
    }

    async fn pinned_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        SqliteTx::pinned_messages(self, app_id, cid, limit, sight)
    }

    async fn find_messages(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Message>> {
        SqliteTx::find_messages(self, app_id, query)
    }

    async fn count_unread_from(
        &mut self,
        app_id: i64,
        cid: &str,
        from: (DateTime<Utc>, &str),
        reader: &str,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<i64> {
        SqliteTx::count_unread_from(self, app_id, cid, from, reader, since)
    }

    async fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>> {
        SqliteTx::thread_participants(self, app_id, parent_id)
    }

    async fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>> {
        SqliteTx::reaction(self, app_id, message_id, user_id, reaction_type)
    }

    async fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>> {
        SqliteTx::user_reactions(self, app_id, message_id, user_id)
    }

    async fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()> {
        SqliteTx::put_reaction(self, app_id, reaction)
    }

    async fn delete_reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<()> {
        SqliteTx::delete_reaction(self, app_id, message_id, user_id, reaction_type)
    }

    async fn add_reaction_totals(
        &mut self,
        app_id: i64,
        message_id: &str,
        reaction_type: &str,
        count: i64,
        score: i64,
    ) -> CoreResult<()> {
        SqliteTx::add_reaction_totals(self, app_id, message_id, reaction_type, count, score)
    }

    async fn reactions(
        &mut self,
        app_id: i64,
        message_id: &str,
        limit: usize,
        offset: usize,
    ) -> CoreResult<Vec<Reaction>> {
        SqliteTx::reactions(self, app_id, message_id, limit, offset)
    }

    async fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>> {
        SqliteTx::message_reactions(self, app_id, message_ids, viewer, latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::ops::placeholder_user;
    use crate::store::Store;

    fn open(path: &Path) -> (Arc<SqliteBackend>, Store) {
        open_with(path, SqliteOptions::default())
    }

    fn open_with(path: &Path, options: SqliteOptions) -> (Arc<SqliteBackend>, Store) {
        let backend = Arc::new(SqliteBackend::open_data_dir(path.parent().unwrap(), options).unwrap());
        let store = Store::new(backend.clone(), Arc::new(SystemClock));
        (backend, store)
    }

    fn user_with_data(id: &str, bytes: usize) -> crate::model::User {
        let mut user = placeholder_user(id, chrono::Utc::now());
        user.data.insert("padding".into(), Value::from("p".repeat(bytes)));
        user
    }

    /// Writes about 48 MiB while four readers keep the log in use (passive checkpoints alone then let it grow
    /// past 40 MiB); returns the largest WAL seen.
    async fn peak_wal_under_load(options: SqliteOptions) -> u64 {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("rill.db");
        let (backend, store) = open_with(&path, options);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..4 {
            let (store, stop) = (store.clone(), stop.clone());
            readers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let ids = vec!["u0-0".to_owned(), "u1-1".to_owned()];
                    let _ = store.read(ids, |tx, ids| tx.users(1, ids)).await;
                }
            }));
        }
        let mut wal_path = path.clone().into_os_string();
        wal_path.push("-wal");
        let mut peak = 0;
        for round in 0..64 {
            let mut writes = Vec::new();
            for index in 0..128 {
                let user = user_with_data(&format!("u{round}-{index}"), 6000);
                let store = store.clone();
                writes.push(tokio::spawn(
                    async move { store.write(user, |tx, user| tx.upsert_user(1, user, None)).await },
                ));
            }
            for write in writes {
                write.await.unwrap().unwrap();
            }
            peak = peak.max(std::fs::metadata(&wal_path).map(|metadata| metadata.len()).unwrap_or(0));
        }
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        peak.max(backend.wal_peak_bytes())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_write_ahead_log_stays_bounded_under_steady_load() {
        const LIMIT: u64 = 2 * 1024 * 1024;
        let options = SqliteOptions { checkpoint_interval: Duration::from_millis(20), wal_limit_bytes: LIMIT };
        let peak = peak_wal_under_load(options).await;
        // The bound: the limit, plus what one checkpoint interval (and one truncation's wait) lets in.
        assert!(peak < LIMIT + 8 * 1024 * 1024, "the WAL reached {peak} bytes with a limit of {LIMIT}");
    }

    #[tokio::test]
    async fn secrets_are_sealed_at_rest_and_files_are_owner_only() {
        let directory = tempfile::tempdir().unwrap();
        let data_dir = directory.path().join("data");
        let path = data_dir.join(DATABASE_FILE);
        let (backend, store) = open(&path);
        let now = chrono::Utc::now();
        let app = store.write(now, |tx, now| Box::pin(crate::ops::apps::create_app(tx, "Canary", *now))).await.unwrap();
        let secret = app.api_secret.expose().to_owned();
        drop((backend, store));

        let raw = Connection::open(&path).unwrap();
        let stored: String = raw.query_row("SELECT api_secret FROM apps", [], |row| row.get(0)).unwrap();
        assert!(SealingKey::is_sealed(&stored) && !stored.contains(&secret), "{stored}");
        let mut file = std::fs::read(&path).unwrap();
        file.extend(std::fs::read(data_dir.join("rill.db-wal")).unwrap_or_default());
        assert!(!file.windows(secret.len()).any(|window| window == secret.as_bytes()), "plain secret on disk");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data_dir), 0o700);
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&data_dir.join(crate::secret::KEY_FILE)), 0o600);
        }

        // A secret stored in the clear by an older version is sealed when the store opens.
        raw.execute("UPDATE apps SET api_secret = ?", [&secret]).unwrap();
        drop(raw);
        let (_backend, store) = open(&path);
        let apps = store.read((), |tx, ()| tx.apps()).await.unwrap();
        assert_eq!(apps[0].api_secret.expose(), secret);
        let raw = Connection::open(&path).unwrap();
        let stored: String = raw.query_row("SELECT api_secret FROM apps", [], |row| row.get(0)).unwrap();
        assert!(SealingKey::is_sealed(&stored));

        // Without its key the database's secrets do not open.
        let stranger = SqliteBackend::open(&path, SealingKey::generate().unwrap()).unwrap();
        let store = Store::new(Arc::new(stranger), Arc::new(SystemClock));
        assert!(store.read((), |tx, ()| tx.apps()).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_share_commits() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("rill.db");
        let (backend, store) = open(&path);
        let mut writes = Vec::new();
        for index in 0..400 {
            let store = store.clone();
            writes.push(tokio::spawn(async move {
                let user = placeholder_user(&format!("user{index}"), chrono::Utc::now());
                store.write(user, |tx, user| tx.upsert_user(7, user, None)).await
            }));
        }
        for write in writes {
            write.await.unwrap().unwrap();
        }
        let commits = backend.commit_count();
        assert!(commits < 400, "400 concurrent writes took {commits} commits: group commit is not grouping");
        assert!(commits >= 1);
        drop(store);
        drop(backend);

        let (_backend, store) = open(&path);
        let users = store.read((), |tx, ()| tx.all_users(7)).await.unwrap();
        assert_eq!(users.len(), 400, "every acknowledged write is in the reopened database");
    }

    #[tokio::test]
    async fn rows_stored_before_the_word_indexes_are_indexed_by_the_migration() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("rill.db");
        // A database as version 2 left it, with a user and a message.
        let raw = Connection::open(&path).unwrap();
        for (version, sql) in &MIGRATIONS[..2] {
            raw.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;")).unwrap();
        }
        raw.execute_batch(
            "INSERT INTO users (app_id, id, role, data, created_at, updated_at, banned, name) \
             VALUES (1, 'ada', 'user', '{\"name\":\"Ada Lovelace\"}', 0, 0, 0, 'Ada Lovelace'); \
             INSERT INTO messages (app_id, id, cid, user_id, type, text, html, show_in_channel, silent, shadowed, \
             pinned, attachments, mentioned_users, data, reply_count, deleted_reply_count, created_at, updated_at, \
             sequence) VALUES (1, 'm1', 'team:a', 'ada', 'regular', 'Analytical engines', '', 0, 0, 0, 0, '[]', \
             '[]', '{}', 0, 0, 0, 0, 1);",
        )
        .unwrap();
        drop(raw);
        let (_backend, store) = open(&path);
        let filter =
            rill_protocol::filter::Filter::parse(&serde_json::json!({"name": {"$autocomplete": "love"}})).unwrap();
        let compiled = crate::store::selection::compile(&filter, crate::ops::users::user_field, None);
        let query = RowQuery { condition: compiled.condition, order: Vec::new(), page: None };
        let found = store.read(query, |tx, query| tx.find_users(1, query)).await.unwrap();
        assert_eq!(found.len(), 1, "the user stored before version 3 is in the word index");
        let words = crate::store::selection::Condition::Words {
            index: crate::store::selection::WordIndex::MessageText,
            prefixes: vec!["engine".into()],
        };
        let query = RowQuery { condition: words, order: Vec::new(), page: None };
        let found = store.read(query, |tx, query| tx.find_messages(1, query)).await.unwrap();
        assert_eq!(found.len(), 1, "the message stored before version 3 is in the full-text index");
    }

    #[test]
    fn the_nullable_columns_list_is_the_schemas() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("rill.db");
        let connection = migrate(open_connection(&path).unwrap(), &Arc::new(SealingKey::generate().unwrap())).unwrap();
        let mut nullable = std::collections::BTreeSet::new();
        for table in [
            "apps",
            "users",
            "channels",
            "members",
            "messages",
            "reactions",
            "reaction_totals",
            "user_words",
            "bans",
            "flags",
        ] {
            let mut statement = connection.prepare(&format!("PRAGMA table_info({table})")).unwrap();
            let columns = statement
                .query_map([], |row| Ok((row.get::<_, String>(1)?, row.get::<_, i64>(3)?, row.get::<_, i64>(5)?)))
                .unwrap();
            for (name, not_null, key) in columns.map(Result::unwrap) {
                if not_null == 0 && key == 0 {
                    nullable.insert(name);
                }
            }
        }
        let listed: std::collections::BTreeSet<String> =
            crate::store::selection::NULLABLE_COLUMNS.iter().map(|name| (*name).to_owned()).collect();
        assert_eq!(nullable, listed, "store::selection::NULLABLE_COLUMNS must name exactly the nullable columns");
    }
}
