//! The PostgreSQL backend: a small pool of connections, one transaction per job, many jobs at once.
//!
//! Writes run at PostgreSQL's default isolation, READ COMMITTED, which is enough because of how the operations
//! are written (see [`crate::store::Tx`]): rows read to be rewritten are locked (`FOR UPDATE`), counters change by
//! amounts, inserts that may race say what to do on conflict. A job that deadlocks or fails to serialize is run
//! again on a fresh transaction, a few times. Reads run in `REPEATABLE READ READ ONLY` transactions: one snapshot
//! per job, as on SQLite. Commits are durable when the server's `synchronous_commit` is (the backend turns it on
//! for its sessions when the server has it off), so an acknowledged write survives a crash of either process.
//!
//! Every job runs in its own task: a caller that goes away (a closed HTTP connection) does not cut a transaction
//! short, and a connection whose job panicked is closed rather than reused, so PostgreSQL rolls its transaction
//! back.

use crate::error::{CoreError, CoreResult};
use crate::model::{
    App, AppSettings, Ban, Blocklist, Channel, ChannelMute, Device, Flag, Member, Message, MessageReactions, PushKind,
    PushProvider, Reaction, UnreadTotals, Upload, User, UserMute,
};
use crate::secret::SealingKey;
use crate::store::codec::{
    collect_reaction, micros, optional_micros, optional_time, push_config_to_json, push_provider_from_row,
    settings_from_json, settings_to_json, time, RankedReaction,
};
use crate::store::selection::{
    message_index_text, render_select, user_index_words, Bound, Dialect, JsonTest, Page, RowQuery, Scalar, WordIndex,
    BANS, CHANNELS, FLAGS, MEMBERS, MESSAGES, USERS,
};
use crate::store::{
    attachments_json, data_json, AppRows, Backend, BlocklistRows, BoxFuture, ChannelChanges, ChannelCounters,
    ChannelRows, ChannelScope, DeviceRows, FailedJob, Job, LatestMessages, Maintenance, MemberChanges, MessageContent,
    MessagePin, MessageRange, MessageRows, ModerationRows, MonthShard, NewApp, NewJob, OutboxJob, OutboxRows,
    OutboxSummary, PinRange, PostEffects, Posted, PushRows, Sight, UploadRows, UsageRows, UserPurge, UserRows,
};
use async_trait::async_trait;
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use futures_util::FutureExt as _;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_initial.sql")),
    (2, include_str!("../../migrations/postgres/0002_counters_and_names.sql")),
    (3, include_str!("../../migrations/postgres/0003_word_indexes.sql")),
    (4, include_str!("../../migrations/postgres/0004_last_updated.sql")),
    (5, include_str!("../../migrations/postgres/0005_members_by_joined.sql")),
    (6, include_str!("../../migrations/postgres/0006_purges.sql")),
    (7, include_str!("../../migrations/postgres/0007_read_floor.sql")),
    (8, include_str!("../../migrations/postgres/0008_user_purges.sql")),
    (9, include_str!("../../migrations/postgres/0009_user_mutes.sql")),
    (10, include_str!("../../migrations/postgres/0010_bans.sql")),
    (11, include_str!("../../migrations/postgres/0011_flags.sql")),
    (12, include_str!("../../migrations/postgres/0012_channel_mutes.sql")),
    (13, include_str!("../../migrations/postgres/0013_usage.sql")),
    (14, include_str!("../../migrations/postgres/0014_outbox.sql")),
    (15, include_str!("../../migrations/postgres/0015_uploads.sql")),
    (16, include_str!("../../migrations/postgres/0016_devices.sql")),
    (17, include_str!("../../migrations/postgres/0017_push.sql")),
    (18, include_str!("../../migrations/postgres/0018_blocklists.sql")),
];

/// The versions of the migrations this backend knows, for the check that both backends know the same ones.
pub fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(version, _)| *version).collect()
}

/// How often a job that deadlocked or failed to serialize is tried in all.
const MAX_ATTEMPTS: u32 = 8;

/// Any fixed number: the advisory lock that keeps two processes from migrating one database at once.
const MIGRATION_LOCK: i64 = 0x5249_4c4c;

/// How the backend connects.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Most connections open at once, so most jobs running at once; others wait their turn, first come first
    /// served.
    pub max_connections: usize,
    /// A schema to keep the tables in (created when missing) instead of the connection's default: lets several
    /// stores share one database, as the tests do.
    pub schema: Option<String>,
}

impl Default for PostgresOptions {
    fn default() -> PostgresOptions {
        PostgresOptions { max_connections: 16, schema: None }
    }
}

pub struct PostgresBackend {
    pool: Arc<Pool>,
    key: Arc<SealingKey>,
    /// Connections at most: jobs running at once.
    slots: usize,
}

impl PostgresBackend {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`), creates the schema if
    /// asked to, and migrates it. Connections are unencrypted: keep the database on loopback or a private network.
    /// `key` seals and opens the app secrets, as on SQLite.
    pub async fn connect(url: &str, key: SealingKey, options: PostgresOptions) -> CoreResult<PostgresBackend> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|error| CoreError::input(format!("the database URL is not valid: {error}")))?;
        if config.get_application_name().is_none() {
            config.application_name("rill");
        }
        if let Some(schema) = &options.schema {
            if !valid_schema_name(schema) {
                return Err(CoreError::input(format!("{schema:?} is not a schema name Rill uses (a-z, 0-9, _)")));
            }
        }
        let pool = Arc::new(Pool {
            config,
            schema: options.schema.clone(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(options.max_connections.max(1))),
        });
        let slots = options.max_connections.max(1);
        let backend = PostgresBackend { pool, key: Arc::new(key), slots };
        backend.migrate().await?;
        Ok(backend)
    }

    async fn migrate(&self) -> CoreResult<()> {
        let mut lease = self.pool.lease().await?;
        let client = &lease.connection().client;
        client.batch_execute("BEGIN").await.map_err(postgres_error)?;
        let result = async {
            client.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
            client.batch_execute("CREATE TABLE IF NOT EXISTS rill_schema (version BIGINT NOT NULL)").await?;
            let current: i64 =
                client.query_one("SELECT COALESCE(MAX(version), 0) FROM rill_schema", &[]).await?.try_get(0)?;
            for (version, sql) in MIGRATIONS {
                if *version > current {
                    client.batch_execute(sql).await?;
                    if *version == 3 {
                        index_existing_rows(client).await?;
                    }
                    client.execute("DELETE FROM rill_schema", &[]).await?;
                    client.execute("INSERT INTO rill_schema (version) VALUES ($1)", &[version]).await?;
                    tracing::info!(version, "migrated the PostgreSQL schema");
                }
            }
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(error) = result {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(postgres_error(error));
        }
        lease.reusable = true;
        Ok(())
    }
}

/// Indexes the rows stored before the word indexes existed (migration 3).
async fn index_existing_rows(client: &Client) -> Result<(), tokio_postgres::Error> {
    for row in client.query("SELECT app_id, id, data FROM users", &[]).await? {
        let (app_id, id, data): (i64, String, Value) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let (fields, words) = user_word_rows(&id, data.get("name"));
        client.execute(INSERT_USER_WORDS, &[&app_id, &id, &fields, &words]).await?;
    }
    for row in client.query("SELECT app_id, id, text FROM messages", &[]).await? {
        let (app_id, id, text): (i64, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        client.execute(INSERT_MESSAGE_WORDS, &[&app_id, &id, &message_index_text(&text)]).await?;
    }
    Ok(())
}

const INSERT_USER_WORDS: &str = "INSERT INTO user_words (app_id, field, word, user_id) \
    SELECT $1, field, word, $2 FROM unnest($3::text[], $4::text[]) AS entry(field, word) ON CONFLICT DO NOTHING";

const INSERT_MESSAGE_WORDS: &str = "INSERT INTO message_words (app_id, message_id, words) \
    VALUES ($1, $2, to_tsvector('simple', $3)) \
    ON CONFLICT (app_id, message_id) DO UPDATE SET words = excluded.words";

/// A user's word index entries as two parallel lists (field, word), for one `unnest` insert.
fn user_word_rows(user_id: &str, name: Option<&Value>) -> (Vec<&'static str>, Vec<String>) {
    let id = Value::from(user_id);
    let mut fields = Vec::new();
    let mut words = Vec::new();
    for (field, value) in [("name", name), ("id", Some(&id))] {
        for word in user_index_words(value) {
            fields.push(field);
            words.push(word);
        }
    }
    (fields, words)
}

/// Drops schemas and everything in them (`rill bench` removes the ones it made). Only names Rill would use.
pub async fn drop_schemas(url: &str, schemas: &[String]) -> CoreResult<()> {
    let config = tokio_postgres::Config::from_str(url)
        .map_err(|_| CoreError::input("the database URL is not a PostgreSQL connection URL"))?;
    let (client, connection) = config.connect(NoTls).await.map_err(postgres_error)?;
    let driver = tokio::spawn(connection);
    for schema in schemas.iter().filter(|schema| valid_schema_name(schema)) {
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.map_err(postgres_error)?;
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}

fn valid_schema_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// One connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// The connections: at most `permits` lent at once, idle ones kept for the next job.
struct Pool {
    config: tokio_postgres::Config,
    schema: Option<String>,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    /// A connection for one job: an idle one, or a new one when none is idle.
    async fn lease(self: &Arc<Pool>) -> CoreResult<Lease> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| CoreError::internal("the PostgreSQL pool is closed"))?;
        let idle = loop {
            let next = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
            match next {
                Some(connection) if connection.client.is_closed() => continue,
                other => break other,
            }
        };
        let connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        Ok(Lease { connection: Some(connection), pool: self.clone(), reusable: false, _permit: permit })
    }

    async fn connect(&self) -> CoreResult<Connection> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|error| {
            // The error never carries the password; the URL is not logged at all.
            CoreError::internal(format!("cannot connect to PostgreSQL: {error}"))
        })?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "a PostgreSQL connection closed with an error");
            }
        });
        if let Some(schema) = &self.schema {
            // The name was checked to be [a-z0-9_]+ when the backend was made.
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"))
                .await
                .map_err(postgres_error)?;
        }
        let synchronous: String =
            client.query_one("SHOW synchronous_commit", &[]).await.map_err(postgres_error)?.try_get(0)?;
        if synchronous == "off" {
            tracing::warn!("the server has synchronous_commit off; Rill turns it on for its connections");
            client.batch_execute("SET synchronous_commit TO on").await.map_err(postgres_error)?;
        }
        Ok(Connection { client, statements: HashMap::new() })
    }
}

/// A connection lent to one job. It goes back to the pool only when the job's transaction ended cleanly
/// (`reusable`); otherwise it is closed, which rolls back whatever it left open.
struct Lease {
    connection: Option<Connection>,
    pool: Arc<Pool>,
    reusable: bool,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    fn connection(&mut self) -> &mut Connection {
        // Present from the lease until the drop.
        self.connection.as_mut().unwrap_or_else(|| unreachable!("a lease holds its connection until it is dropped"))
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if self.reusable && !connection.client.is_closed() {
                self.pool.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
            }
        }
    }
}

impl Backend for PostgresBackend {
    fn submit_write(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()> {
        self.spawn(job, "BEGIN");
        Box::pin(std::future::ready(()))
    }

    fn submit_read(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()> {
        self.spawn(job, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        Box::pin(std::future::ready(()))
    }

    fn read_slots(&self) -> usize {
        self.slots
    }
}

impl PostgresBackend {
    fn spawn(&self, mut job: Box<dyn Job>, begin: &'static str) {
        let (pool, key) = (self.pool.clone(), self.key.clone());
        tokio::spawn(async move {
            let result = run_with_retries(&pool, &key, job.as_mut(), begin).await;
            job.finish(result);
        });
    }
}

/// Runs a job in a transaction, and again on a fresh one when it deadlocked or failed to serialize.
async fn run_with_retries(pool: &Arc<Pool>, key: &Arc<SealingKey>, job: &mut dyn Job, begin: &str) -> CoreResult<()> {
    let mut attempt = 1;
    loop {
        match run_once(pool, key, job, begin).await {
            Err(Attempt::Retry(error)) if attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, %error, "a transaction conflicted; running it again");
                // A little longer each time, so that two transactions that keep colliding drift apart.
                tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 2)).await;
                attempt += 1;
            }
            Err(Attempt::Retry(error) | Attempt::Failed(error)) => return Err(error),
            Ok(()) => return Ok(()),
        }
    }
}

/// How one attempt ended when it did not commit.
enum Attempt {
    Retry(CoreError),
    Failed(CoreError),
}

async fn run_once(pool: &Arc<Pool>, key: &Arc<SealingKey>, job: &mut dyn Job, begin: &str) -> Result<(), Attempt> {
    let lease = pool.lease().await.map_err(Attempt::Failed)?;
    let mut tx = PgTx { lease, key: key.clone(), conflicted: false };
    tx.lease.connection().client.batch_execute(begin).await.map_err(|error| Attempt::Failed(postgres_error(error)))?;
    let outcome = AssertUnwindSafe(job.run(&mut tx)).catch_unwind().await;
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(detail, "a store job panicked; its changes are rolled back");
            // The lease is dropped unusable: closing the connection rolls the transaction back.
            return Err(Attempt::Failed(CoreError::internal("the operation failed (see the log)")));
        }
    };
    let client = &tx.lease.connection().client;
    match result {
        Ok(()) => match client.batch_execute("COMMIT").await {
            Ok(()) => {
                tx.lease.reusable = true;
                Ok(())
            }
            Err(error) if is_conflict(&error) => {
                tx.lease.reusable = true;
                Err(Attempt::Retry(postgres_error(error)))
            }
            Err(error) => Err(Attempt::Failed(postgres_error(error))),
        },
        Err(error) => {
            tx.lease.reusable = client.batch_execute("ROLLBACK").await.is_ok();
            if tx.conflicted {
                Err(Attempt::Retry(error))
            } else {
                Err(Attempt::Failed(error))
            }
        }
    }
}

fn is_conflict(error: &tokio_postgres::Error) -> bool {
    matches!(error.code(), Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED)
}

fn is_unique_violation(error: &tokio_postgres::Error, constraint: &str) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
        && error.as_db_error().and_then(|db| db.constraint()) == Some(constraint)
}

/// A database error as the core's: text PostgreSQL cannot hold (the NUL character) is the caller's mistake,
/// anything else is internal and stays in the log.
fn postgres_error(error: tokio_postgres::Error) -> CoreError {
    let code = error.code();
    if code == Some(&SqlState::UNTRANSLATABLE_CHARACTER) || code == Some(&SqlState::CHARACTER_NOT_IN_REPERTOIRE) {
        return CoreError::input("text may not contain the NUL character (\\u0000)");
    }
    match error.as_db_error() {
        Some(db) => CoreError::internal(format!("postgres: {}: {}", db.code().code(), db.message())),
        None => CoreError::internal(format!("postgres: {error}")),
    }
}

impl From<tokio_postgres::Error> for CoreError {
    fn from(error: tokio_postgres::Error) -> CoreError {
        postgres_error(error)
    }
}

/// JSON text checked by [`data_json`] or [`attachments_json`], bound to a JSONB parameter as it is: serialized
/// once, for the check and the database both.
#[derive(Debug)]
struct Jsonb(String);

impl ToSql for Jsonb {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            // JSONB's binary format: a version byte, then the text.
            out.extend_from_slice(&[1]);
        }
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }

    to_sql_checked!();
}

/// [`MessageRows::post_message`] in one statement: `$1` the app id, `$2` to `$25` the message's columns
/// ([`message_columns`]), then the effects.
static POST_MESSAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH counted AS (UPDATE channels SET message_count = message_count + 1, \
         unread_sequence = unread_sequence + $26, \
         last_message_at = CASE WHEN $27 THEN $28::bigint ELSE last_message_at END \
         WHERE app_id = $1 AND cid = $3 RETURNING message_count, unread_sequence), \
         stored AS (INSERT INTO messages (app_id, {MESSAGE_STORED}) \
         VALUES ({}, (SELECT unread_sequence FROM counted)) RETURNING id), \
         indexed AS (INSERT INTO message_words (app_id, message_id, words) \
         SELECT $1, id, to_tsvector('simple', $29::text) FROM stored), \
         sender_read AS (UPDATE members SET last_read_sequence = counted.unread_sequence, last_read_at = $28, \
         last_read_message_id = $2, hidden = CASE WHEN $31 THEN FALSE ELSE hidden END FROM counted \
         WHERE $30 AND members.app_id = $1 AND members.cid = $3 AND members.user_id = $4), \
         shown AS (UPDATE members SET hidden = FALSE WHERE $31 AND app_id = $1 AND cid = $3 AND hidden \
         AND user_id <> $4 RETURNING user_id), \
         used AS (INSERT INTO monthly_messages (app_id, month, shard, messages) SELECT $1, $33::bigint, \
         $34::bigint, 1 WHERE $32 ON CONFLICT (app_id, month, shard) \
         DO UPDATE SET messages = monthly_messages.messages + 1) \
         SELECT message_count, unread_sequence, ARRAY(SELECT user_id FROM shown) FROM counted",
        placeholders(1..=25)
    )
});

/// `$first, ..., $last`.
fn placeholders(numbers: std::ops::RangeInclusive<usize>) -> String {
    numbers.map(|number| format!("${number}")).collect::<Vec<_>>().join(",")
}

/// A message's stored columns from `id` to `text_updated_at` (as `MESSAGE_STORED`, less `sequence`), as
/// parameters `$2` to `$25` after the app id.
fn message_columns(message: &Message) -> CoreResult<Vec<Box<dyn ToSql + Sync + Send>>> {
    Ok(vec![
        Box::new(message.id.clone()),
        Box::new(message.cid.clone()),
        Box::new(message.user_id.clone()),
        Box::new(message.message_type.clone()),
        Box::new(message.text.clone()),
        Box::new(message.html.clone()),
        Box::new(message.parent_id.clone()),
        Box::new(message.show_in_channel),
        Box::new(message.silent),
        Box::new(message.shadowed),
        Box::new(message.pinned),
        Box::new(optional_micros(&message.pinned_at)),
        Box::new(message.pinned_by.clone()),
        Box::new(optional_micros(&message.pin_expires)),
        Box::new(message.quoted_message_id.clone()),
        Box::new(Jsonb(attachments_json(&message.attachments)?)),
        Box::new(json_string(&message.mentioned_users)),
        Box::new(Jsonb(data_json(&message.data, "message")?)),
        Box::new(message.reply_count),
        Box::new(message.deleted_reply_count),
        Box::new(micros(&message.created_at)),
        Box::new(micros(&message.updated_at)),
        Box::new(optional_micros(&message.deleted_at)),
        Box::new(optional_micros(&message.text_updated_at)),
    ])
}

/// A failed message insert: a taken id is the client's error (code 4).
fn message_insert_error(error: tokio_postgres::Error, message_id: &str) -> CoreError {
    if is_unique_violation(&error, "messages_pkey") {
        CoreError::input(format!("a message with ID {message_id} already exists"))
    } else {
        postgres_error(error)
    }
}

fn json_string<T: serde::Serialize>(value: &T) -> Jsonb {
    // Vectors of strings always serialize.
    Jsonb(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

type Param<'a> = &'a (dyn ToSql + Sync);

/// A transaction on one leased connection, and the sealing key.
struct PgTx {
    lease: Lease,
    key: Arc<SealingKey>,
    /// Set when a statement deadlocked or failed to serialize: the job is worth running again.
    conflicted: bool,
}

impl PgTx {
    /// The statement for `sql`, prepared once per connection.
    async fn statement(&mut self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        let connection = self.lease.connection();
        if let Some(statement) = connection.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = connection.client.prepare(sql).await?;
        connection.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn note(&mut self, error: &tokio_postgres::Error) {
        if is_conflict(error) {
            self.conflicted = true;
        }
    }

    async fn try_rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql).await;
        let result = match statement {
            Ok(statement) => self.lease.connection().client.query(&statement, params).await,
            Err(error) => Err(error),
        };
        if let Err(error) = &result {
            self.note(error);
        }
        result
    }

    async fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> CoreResult<Vec<Row>> {
        self.try_rows(sql, params).await.map_err(postgres_error)
    }

    async fn try_execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, tokio_postgres::Error> {
        let statement = self.statement(sql).await;
        let result = match statement {
            Ok(statement) => self.lease.connection().client.execute(&statement, params).await,
            Err(error) => Err(error),
        };
        if let Err(error) = &result {
            self.note(error);
        }
        result
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> CoreResult<u64> {
        self.try_execute(sql, params).await.map_err(postgres_error)
    }

    /// Runs a query built from a filter: prepared afresh (unnamed), since its shape depends on the filter and the
    /// connection's statement cache must not grow with every shape.
    async fn rows_built(&mut self, sql: &str, params: &[Bound]) -> CoreResult<Vec<Row>> {
        let values: Vec<Box<dyn ToSql + Sync + Send>> = params.iter().map(postgres_value).collect();
        let refs: Vec<Param<'_>> = values.iter().map(|value| value.as_ref() as Param<'_>).collect();
        let result = self.lease.connection().client.query(sql, &refs).await;
        if let Err(error) = &result {
            self.note(error);
        }
        result.map_err(postgres_error)
    }

    async fn index_user(&mut self, app_id: i64, user: &User) -> CoreResult<()> {
        self.execute("DELETE FROM user_words WHERE app_id = $1 AND user_id = $2", &[&app_id, &user.id]).await?;
        let (fields, words) = user_word_rows(&user.id, user.data.get("name"));
        self.execute(INSERT_USER_WORDS, &[&app_id, &user.id, &fields, &words]).await?;
        Ok(())
    }

    async fn index_message_text(&mut self, app_id: i64, message_id: &str, text: &str) -> CoreResult<()> {
        self.execute(INSERT_MESSAGE_WORDS, &[&app_id, &message_id, &message_index_text(text)]).await?;
        Ok(())
    }

    async fn exists(&mut self, sql: &str, params: &[Param<'_>]) -> CoreResult<bool> {
        let rows = self.rows(sql, params).await?;
        Ok(match rows.first() {
            Some(row) => row.try_get(0)?,
            None => false,
        })
    }

    async fn users_where(&mut self, condition: &str, params: &[Param<'_>]) -> CoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_READ_COLUMNS} FROM users WHERE {condition}");
        self.rows(&sql, params).await?.iter().map(user_from_row).collect()
    }

    async fn channels_where(&mut self, condition: &str, params: &[Param<'_>]) -> CoreResult<Vec<Channel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels c WHERE {condition}");
        self.rows(&sql, params).await?.iter().map(channel_from_row).collect()
    }

    async fn members_where(&mut self, condition: &str, params: &[Param<'_>]) -> CoreResult<Vec<Member>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE {condition}");
        self.rows(&sql, params).await?.iter().map(|row| member_from_row(row, 0)).collect()
    }

    async fn messages_where(&mut self, condition: &str, params: &[Param<'_>]) -> CoreResult<Vec<Message>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE {condition}");
        self.rows(&sql, params).await?.iter().map(message_from_row).collect()
    }

    async fn reactions_where(&mut self, condition: &str, params: &[Param<'_>]) -> CoreResult<Vec<Reaction>> {
        let sql = format!("SELECT {REACTION_COLUMNS} FROM reactions WHERE {condition}");
        self.rows(&sql, params).await?.iter().map(reaction_from_row).collect()
    }

    /// `UPDATE {table} SET {columns} WHERE {key columns} = {key values}`: the columns an operation changes and no
    /// others. Nothing to assign is nothing to do.
    async fn update_columns(
        &mut self,
        table: &str,
        assignments: Vec<(&str, Box<dyn ToSql + Sync + Send>)>,
        key_columns: &[&str],
        key_values: &[Param<'_>],
    ) -> CoreResult<()> {
        if assignments.is_empty() {
            return Ok(());
        }
        let placeholders = (1..).map(|number| format!("${number}"));
        let columns = assignments.iter().map(|(column, _)| *column).chain(key_columns.iter().copied());
        let mut conditions: Vec<String> =
            columns.zip(placeholders).map(|(column, at)| format!("{column} = {at}")).collect();
        let key = conditions.split_off(assignments.len());
        let sql = format!("UPDATE {table} SET {} WHERE {}", conditions.join(", "), key.join(" AND "));
        let mut params: Vec<Param<'_>> = assignments.iter().map(|(_, value)| value.as_ref() as Param<'_>).collect();
        params.extend_from_slice(key_values);
        self.execute(&sql, &params).await?;
        Ok(())
    }

    /// A page of a channel's messages or of a thread's replies, oldest first.
    async fn message_page(
        &mut self,
        app_id: i64,
        scope: PageScope<'_>,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (since, all, reader) = (sight.since_micros(), sight.all_shadowed, sight.reader_id());
        let limit = limit as i64;
        let PageScope { column, key, visible } = scope;
        let base = format!(
            "app_id = $1 AND {column} = $2 {visible} AND created_at > $3 AND (NOT shadowed OR $4 OR user_id = $5)"
        );
        let mut messages = match range {
            MessageRange::Latest => {
                self.messages_where(
                    &format!("{base} ORDER BY created_at DESC, id DESC LIMIT $6"),
                    &[&app_id, &key, &since, &all, &reader, &limit],
                )
                .await?
            }
            MessageRange::Before { at, id, inclusive } => {
                let comparison = if *inclusive { "<=" } else { "<" };
                self.messages_where(
                    &format!(
                        "{base} AND (created_at, id) {comparison} ($6, $7) ORDER BY created_at DESC, id DESC LIMIT $8"
                    ),
                    &[&app_id, &key, &since, &all, &reader, &micros(at), id, &limit],
                )
                .await?
            }
            MessageRange::After { at, id, inclusive } => {
                let comparison = if *inclusive { ">=" } else { ">" };
                let mut ascending = self
                    .messages_where(
                        &format!("{base} AND (created_at, id) {comparison} ($6, $7) ORDER BY created_at, id LIMIT $8"),
                        &[&app_id, &key, &since, &all, &reader, &micros(at), id, &limit],
                    )
                    .await?;
                ascending.reverse();
                ascending
            }
        };
        messages.reverse();
        Ok(messages)
    }
}

fn postgres_value(bound: &Bound) -> Box<dyn ToSql + Sync + Send> {
    match bound {
        Bound::Scalar(Scalar::Text(text)) => Box::new(text.clone()),
        Bound::Scalar(Scalar::Int(integer)) => Box::new(*integer),
        Bound::Scalar(Scalar::Float(float)) => Box::new(*float),
        Bound::Scalar(Scalar::Bool(flag)) => Box::new(*flag),
        Bound::TextList(values) => Box::new(values.clone()),
    }
}

/// PostgreSQL's side of [`crate::store::selection`]: typed `$N` parameters, JSONB operators (an element test
/// reads a scalar as a one-element array), lists as one array, a tsvector under GIN for text.
struct PostgresDialect;

impl Dialect for PostgresDialect {
    fn placeholder(&self, number: usize, value: &Bound) -> String {
        let kind = match value {
            Bound::Scalar(Scalar::Text(_)) => "text",
            Bound::Scalar(Scalar::Int(_)) => "int8",
            Bound::Scalar(Scalar::Float(_)) => "float8",
            Bound::Scalar(Scalar::Bool(_)) => "bool",
            Bound::TextList(_) => "text[]",
        };
        format!("${number}::{kind}")
    }

    fn in_list(&self, column: &str, list: &str) -> String {
        format!("{column} = ANY({list})")
    }

    fn json(&self, data: &str, key: &str, test: &JsonTest, value: Option<&str>) -> String {
        let field = format!("({data} -> {key})");
        let value = value.unwrap_or("NULL");
        let some_element = |scalar: &Scalar, op: &str| {
            let (kind, element, operand) = match scalar {
                Scalar::Text(_) => ("string", "(e.v #>> '{}') COLLATE \"C\"".to_owned(), value.to_owned()),
                _ => ("number", "(e.v)::numeric".to_owned(), format!("({value})::numeric")),
            };
            format!(
                "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({field}) = 'array' THEN {field} \
                 ELSE jsonb_build_array({field}) END) AS e(v) \
                 WHERE CASE WHEN jsonb_typeof(e.v) = '{kind}' THEN {element} {op} {operand} ELSE FALSE END)"
            )
        };
        match test {
            JsonTest::Present => format!("COALESCE(jsonb_typeof({field}) <> 'null', FALSE)"),
            JsonTest::Equals(_) => format!(
                "COALESCE({field} = to_jsonb({value}) OR (jsonb_typeof({field}) = 'array' \
                 AND {field} @> jsonb_build_array({value})), FALSE)"
            ),
            JsonTest::IsArray => format!("COALESCE(jsonb_typeof({field}) = 'array', FALSE)"),
            JsonTest::HoldsNull => {
                format!("COALESCE(jsonb_typeof({field}) = 'array' AND {field} @> '[null]'::jsonb, FALSE)")
            }
            JsonTest::Holds(_) => {
                format!("COALESCE(jsonb_typeof({field}) = 'array' AND {field} @> jsonb_build_array({value}), FALSE)")
            }
            JsonTest::Compare(op, scalar) => some_element(scalar, op.sql()),
        }
    }

    fn words(&self, index: WordIndex, app: &str, ranges: &[(String, String)], query: Option<&str>) -> String {
        match (index, ranges.first(), query) {
            (WordIndex::MessageText, _, Some(query)) => format!(
                "SELECT w.message_id FROM message_words w WHERE w.app_id = {app} \
                 AND w.words @@ to_tsquery('simple', {query})"
            ),
            (_, Some((start, end)), _) => format!(
                "SELECT w.user_id FROM user_words w WHERE w.app_id = {app} AND w.field = '{}' \
                 AND w.word >= {start} AND w.word < {end}",
                index.user_field()
            ),
            _ => "SELECT NULL WHERE FALSE".into(),
        }
    }

    fn full_text_query(&self, prefixes: &[String]) -> String {
        // The words are runs of letters and digits: nothing in them is tsquery syntax.
        let terms: Vec<String> = prefixes.iter().map(|prefix| format!("{prefix}:*")).collect();
        terms.join(" & ")
    }
}

/// Whose messages a page holds: `column = key`, and which of them show.
struct PageScope<'a> {
    column: &'static str,
    key: &'a str,
    visible: &'static str,
}

const USER_COLUMNS: &str =
    "id, role, data, created_at, updated_at, last_active, deactivated_at, deleted_at, banned, revoke_tokens_issued_before";

/// What a read of a user selects: [`USER_COLUMNS`] and the app-wide ban's shadow flag and expiry, which only the
/// ban statements write.
const USER_READ_COLUMNS: &str = "id, role, data, created_at, updated_at, last_active, deactivated_at, deleted_at, \
    banned, revoke_tokens_issued_before, shadow_banned, ban_expires_at";

fn user_from_row(row: &Row) -> CoreResult<User> {
    Ok(User {
        id: row.try_get(0)?,
        role: row.try_get(1)?,
        data: object(row.try_get(2)?),
        created_at: time(row.try_get(3)?),
        updated_at: time(row.try_get(4)?),
        last_active: optional_time(row.try_get(5)?),
        deactivated_at: optional_time(row.try_get(6)?),
        deleted_at: optional_time(row.try_get(7)?),
        banned: row.try_get(8)?,
        revoke_tokens_issued_before: optional_time(row.try_get(9)?),
        shadow_banned: row.try_get(10)?,
        ban_expires: optional_time(row.try_get(11)?),
    })
}

const CHANNEL_COLUMNS: &str = "c.cid, c.type, c.id, c.created_by, c.data, c.frozen, c.disabled, c.team, c.cooldown, \
    c.created_at, c.updated_at, c.deleted_at, c.truncated_at, c.last_message_at, c.member_count, c.message_count, \
    c.unread_sequence, c.read_floor";

/// How many columns `CHANNEL_COLUMNS` names: where the columns that follow them in a row start.
const CHANNEL_COLUMN_COUNT: usize = 18;

fn channel_from_row(row: &Row) -> CoreResult<Channel> {
    Ok(Channel {
        cid: row.try_get(0)?,
        channel_type: row.try_get(1)?,
        id: row.try_get(2)?,
        created_by: row.try_get(3)?,
        data: object(row.try_get(4)?),
        frozen: row.try_get(5)?,
        disabled: row.try_get(6)?,
        team: row.try_get(7)?,
        cooldown: row.try_get(8)?,
        created_at: time(row.try_get(9)?),
        updated_at: time(row.try_get(10)?),
        deleted_at: optional_time(row.try_get(11)?),
        truncated_at: optional_time(row.try_get(12)?),
        last_message_at: optional_time(row.try_get(13)?),
        member_count: row.try_get(14)?,
        message_count: row.try_get(15)?,
        unread_sequence: row.try_get(16)?,
        read_floor: row.try_get(17)?,
    })
}

/// A member whose invite is pending (see `Member::invite_status`): their channel counts nothing as unread.
/// Never NULL (a member without `invited` is not pending), so `NOT` and sums over it never turn NULL.
const PENDING_INVITE: &str = "(COALESCE(m.data->'invited' = 'true'::jsonb, FALSE) \
    AND NOT m.data ? 'invite_accepted_at' AND NOT m.data ? 'invite_rejected_at')";

const MEMBER_COLUMNS: &str = "m.cid, m.user_id, m.channel_role, m.data, m.created_at, m.updated_at, m.hidden, \
    m.last_read_at, m.last_read_message_id, m.last_read_sequence, m.hide_messages_before";

fn member_from_row(row: &Row, offset: usize) -> CoreResult<Member> {
    Ok(Member {
        cid: row.try_get(offset)?,
        user_id: row.try_get(offset + 1)?,
        channel_role: row.try_get(offset + 2)?,
        data: object(row.try_get(offset + 3)?),
        created_at: time(row.try_get(offset + 4)?),
        updated_at: time(row.try_get(offset + 5)?),
        hidden: row.try_get(offset + 6)?,
        last_read_at: time(row.try_get(offset + 7)?),
        last_read_message_id: row.try_get(offset + 8)?,
        last_read_sequence: row.try_get(offset + 9)?,
        hide_messages_before: optional_time(row.try_get(offset + 10)?),
        ban: None,
    })
}

/// The stored columns of a message, in the order `insert_message` binds them.
const MESSAGE_STORED: &str = "id, cid, user_id, type, text, html, parent_id, show_in_channel, silent, shadowed, \
    pinned, pinned_at, pinned_by, pin_expires, quoted_message_id, attachments, mentioned_users, data, \
    reply_count, deleted_reply_count, created_at, updated_at, deleted_at, text_updated_at, sequence";

/// A message as it is read: its columns, with its reaction totals gathered from `reaction_totals` (one primary
/// key range per message).
const MESSAGE_COLUMNS: &str = "id, cid, user_id, type, text, html, parent_id, show_in_channel, silent, shadowed, \
    pinned, pinned_at, pinned_by, pin_expires, quoted_message_id, attachments, mentioned_users, data, \
    (SELECT COALESCE(jsonb_object_agg(t.type, t.count), '{}'::jsonb) FROM reaction_totals t \
     WHERE t.app_id = messages.app_id AND t.message_id = messages.id), \
    (SELECT COALESCE(jsonb_object_agg(t.type, t.score), '{}'::jsonb) FROM reaction_totals t \
     WHERE t.app_id = messages.app_id AND t.message_id = messages.id), \
    reply_count, deleted_reply_count, created_at, updated_at, deleted_at, text_updated_at, sequence";

fn message_from_row(row: &Row) -> CoreResult<Message> {
    let totals = |index: usize| -> CoreResult<BTreeMap<String, i64>> {
        Ok(serde_json::from_value(row.try_get::<_, Value>(index)?)?)
    };
    Ok(Message {
        id: row.try_get(0)?,
        cid: row.try_get(1)?,
        user_id: row.try_get(2)?,
        message_type: row.try_get(3)?,
        text: row.try_get(4)?,
        html: row.try_get(5)?,
        parent_id: row.try_get(6)?,
        show_in_channel: row.try_get(7)?,
        silent: row.try_get(8)?,
        shadowed: row.try_get(9)?,
        pinned: row.try_get(10)?,
        pinned_at: optional_time(row.try_get(11)?),
        pinned_by: row.try_get(12)?,
        pin_expires: optional_time(row.try_get(13)?),
        quoted_message_id: row.try_get(14)?,
        attachments: serde_json::from_value(row.try_get(15)?)?,
        mentioned_users: serde_json::from_value(row.try_get(16)?)?,
        data: object(row.try_get(17)?),
        reaction_counts: totals(18)?,
        reaction_scores: totals(19)?,
        reply_count: row.try_get(20)?,
        deleted_reply_count: row.try_get(21)?,
        created_at: time(row.try_get(22)?),
        updated_at: time(row.try_get(23)?),
        deleted_at: optional_time(row.try_get(24)?),
        text_updated_at: optional_time(row.try_get(25)?),
        sequence: row.try_get(26)?,
    })
}

const REACTION_COLUMNS: &str = "message_id, user_id, type, score, data, created_at, updated_at";

fn reaction_from_row(row: &Row) -> CoreResult<Reaction> {
    Ok(Reaction {
        message_id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        reaction_type: row.try_get(2)?,
        score: row.try_get(3)?,
        data: object(row.try_get(4)?),
        created_at: time(row.try_get(5)?),
        updated_at: time(row.try_get(6)?),
    })
}

#[async_trait]
impl Maintenance for PgTx {
    async fn refresh_statistics(&mut self) -> CoreResult<()> {
        // Autovacuum analyzes too, but only after a tenth of a table changed, and a while later.
        self.execute("ANALYZE", &[]).await?;
        Ok(())
    }
}

#[async_trait]
impl AppRows for PgTx {
    async fn create_app(&mut self, app: &NewApp) -> CoreResult<App> {
        // The id comes first: it is the associated data the secret is sealed with.
        let id: i64 = self.rows("SELECT nextval('app_ids')", &[]).await?[0].try_get(0)?;
        let sealed = self.key.seal(&app.api_secret, &id.to_string())?;
        let settings = Jsonb(settings_to_json(&app.settings).to_string());
        self.execute(
            "INSERT INTO apps (id, name, api_key, api_secret, settings, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id, &app.name, &app.api_key, &sealed, &settings, &micros(&app.created_at)],
        )
        .await?;
        Ok(App {
            id,
            name: app.name.clone(),
            api_key: app.api_key.clone(),
            api_secret: app.api_secret.clone(),
            settings: app.settings.clone(),
            created_at: app.created_at,
        })
    }

    async fn apps(&mut self) -> CoreResult<Vec<App>> {
        let rows =
            self.rows("SELECT id, name, api_key, api_secret, settings, created_at FROM apps ORDER BY id", &[]).await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get(0)?;
                let sealed: String = row.try_get(3)?;
                Ok(App {
                    id,
                    name: row.try_get(1)?,
                    api_key: row.try_get(2)?,
                    api_secret: self.key.open(&sealed, &id.to_string())?,
                    settings: settings_from_json(&row.try_get::<_, Value>(4)?),
                    created_at: time(row.try_get(5)?),
                })
            })
            .collect()
    }

    async fn lock_app(&mut self, app_id: i64) -> CoreResult<()> {
        self.rows("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE", &[&app_id]).await.map(drop)
    }

    async fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()> {
        let settings = Jsonb(settings_to_json(settings).to_string());
        let changed = self.execute("UPDATE apps SET settings = $1 WHERE id = $2", &[&settings, &app_id]).await?;
        if changed == 0 {
            return Err(CoreError::not_found(format!("app {app_id} does not exist")));
        }
        Ok(())
    }
}

#[async_trait]
impl UserRows for PgTx {
    async fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        Ok(self.users_where("app_id = $1 AND id = $2", &[&app_id, &user_id]).await?.pop())
    }

    async fn user_for_update(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>> {
        Ok(self.users_where("app_id = $1 AND id = $2 FOR UPDATE", &[&app_id, &user_id]).await?.pop())
    }

    async fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.users_where("app_id = $1 AND id = ANY($2)", &[&app_id, &user_ids]).await
    }

    async fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>> {
        self.users_where("app_id = $1 ORDER BY created_at, id", &[&app_id]).await
    }

    async fn find_users(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<User>> {
        let (sql, params) = render_select(&PostgresDialect, USER_READ_COLUMNS, USERS, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(user_from_row).collect()
    }

    async fn insert_user_if_absent(&mut self, app_id: i64, user: &User) -> CoreResult<bool> {
        let inserted = self
            .execute(
                &format!(
                    "INSERT INTO users (app_id, {USER_COLUMNS}, name) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) \
                     ON CONFLICT (app_id, id) DO NOTHING"
                ),
                &[
                    &app_id,
                    &user.id,
                    &user.role,
                    &Jsonb(data_json(&user.data, "user")?),
                    &micros(&user.created_at),
                    &micros(&user.updated_at),
                    &optional_micros(&user.last_active),
                    &optional_micros(&user.deactivated_at),
                    &optional_micros(&user.deleted_at),
                    &user.banned,
                    &optional_micros(&user.revoke_tokens_issued_before),
                    &user.name(),
                ],
            )
            .await?;
        if inserted > 0 {
            self.index_user(app_id, user).await?;
        }
        Ok(inserted > 0)
    }

    async fn upsert_user(&mut self, app_id: i64, user: &User, unique_name: Option<&str>) -> CoreResult<()> {
        let sql = format!(
            "INSERT INTO users (app_id, {USER_COLUMNS}, name, unique_name) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL,$9,$10,$11,$12) \
             ON CONFLICT (app_id, id) DO UPDATE SET role = excluded.role, data = excluded.data, \
             name = excluded.name, unique_name = excluded.unique_name, updated_at = excluded.updated_at, \
             revoke_tokens_issued_before = excluded.revoke_tokens_issued_before, deleted_at = NULL"
        );
        let data = Jsonb(data_json(&user.data, "user")?);
        let written = self
            .try_execute(
                &sql,
                &[
                    &app_id,
                    &user.id,
                    &user.role,
                    &data,
                    &micros(&user.created_at),
                    &micros(&user.updated_at),
                    &optional_micros(&user.last_active),
                    &optional_micros(&user.deactivated_at),
                    &user.banned,
                    &optional_micros(&user.revoke_tokens_issued_before),
                    &user.name(),
                    &unique_name,
                ],
            )
            .await;
        match written {
            Err(error) if is_unique_violation(&error, "users_unique_name") => Err(CoreError::new(
                rill_protocol::error::ErrorCode::DuplicateUsername,
                format!("username {:?} is already taken", unique_name.unwrap_or_default()),
            )),
            Err(error) => Err(postgres_error(error)),
            Ok(_) => self.index_user(app_id, user).await,
        }
    }

    async fn user_name_taken(&mut self, app_id: i64, name: &str, except_user_id: &str) -> CoreResult<bool> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM users WHERE app_id = $1 AND name = $2 AND id <> $3 AND deleted_at IS NULL)",
            &[&app_id, &name, &except_user_id],
        )
        .await
    }

    async fn set_last_active(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET last_active = $1 WHERE app_id = $2 AND id = $3",
            &[&micros(&at), &app_id, &user_id],
        )
        .await?;
        Ok(())
    }

    async fn set_deactivated(
        &mut self,
        app_id: i64,
        user_id: &str,
        deactivated_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET deactivated_at = $1, updated_at = $2 WHERE app_id = $3 AND id = $4",
            &[&optional_micros(&deactivated_at), &micros(&updated_at), &app_id, &user_id],
        )
        .await?;
        Ok(())
    }

    async fn mark_user_deleted(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE users SET deleted_at = $1, updated_at = $1, unique_name = NULL WHERE app_id = $2 AND id = $3",
            &[&micros(&at), &app_id, &user_id],
        )
        .await?;
        Ok(())
    }

    async fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()> {
        self.execute("DELETE FROM user_words WHERE app_id = $1 AND user_id = $2", &[&app_id, &user_id]).await?;
        self.execute("DELETE FROM users WHERE app_id = $1 AND id = $2", &[&app_id, &user_id]).await?;
        Ok(())
    }

    async fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS}, {MEMBER_COLUMNS} FROM members m JOIN channels c \
             ON c.app_id = m.app_id AND c.cid = m.cid \
             WHERE m.app_id = $1 AND m.user_id = $2 AND c.deleted_at IS NULL"
        );
        let rows = self.rows(&sql, &[&app_id, &user_id]).await?;
        rows.iter().map(|row| Ok((channel_from_row(row)?, member_from_row(row, CHANNEL_COLUMN_COUNT)?))).collect()
    }

    async fn mark_all_read(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE members m SET last_read_at = $1, last_read_sequence = c.unread_sequence FROM channels c \
             WHERE c.app_id = m.app_id AND c.cid = m.cid AND m.app_id = $2 AND m.user_id = $3 \
             AND m.last_read_sequence <> c.unread_sequence",
            &[&micros(&at), &app_id, &user_id],
        )
        .await?;
        Ok(())
    }

    async fn put_user_mute(&mut self, app_id: i64, mute: &UserMute) -> CoreResult<()> {
        self.execute(
            "INSERT INTO user_mutes (app_id, user_id, target_id, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, user_id, target_id) \
             DO UPDATE SET updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            &[
                &app_id,
                &mute.user_id,
                &mute.target_id,
                &micros(&mute.created_at),
                &micros(&mute.updated_at),
                &optional_micros(&mute.expires),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_user_mute(&mut self, app_id: i64, user_id: &str, target_id: &str) -> CoreResult<bool> {
        let removed = self
            .execute(
                "DELETE FROM user_mutes WHERE app_id = $1 AND user_id = $2 AND target_id = $3",
                &[&app_id, &user_id, &target_id],
            )
            .await?;
        Ok(removed > 0)
    }

    async fn user_mutes(&mut self, app_id: i64, user_id: &str, now: DateTime<Utc>) -> CoreResult<Vec<UserMute>> {
        let rows = self
            .rows(
                "SELECT user_id, target_id, created_at, updated_at, expires_at FROM user_mutes \
                 WHERE app_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at",
                &[&app_id, &user_id, &micros(&now)],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(UserMute {
                    user_id: row.try_get(0)?,
                    target_id: row.try_get(1)?,
                    created_at: time(row.try_get(2)?),
                    updated_at: time(row.try_get(3)?),
                    expires: optional_time(row.try_get(4)?),
                })
            })
            .collect()
    }

    async fn unread_totals(
        &mut self,
        app_id: i64,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<HashMap<String, UnreadTotals>> {
        let sql = format!(
            "SELECT m.user_id, \
               COALESCE(SUM(CASE WHEN {PENDING_INVITE} THEN 0 \
                 ELSE GREATEST(c.unread_sequence - GREATEST(m.last_read_sequence, c.read_floor), 0) END), 0)::bigint, \
               COUNT(*) FILTER (WHERE NOT {PENDING_INVITE} \
                 AND c.unread_sequence > GREATEST(m.last_read_sequence, c.read_floor)) \
             FROM members m JOIN channels c ON c.app_id = m.app_id AND c.cid = m.cid \
             WHERE m.app_id = $1 AND c.deleted_at IS NULL AND m.user_id = ANY($2) AND NOT EXISTS (SELECT 1 \
               FROM channel_mutes cm WHERE cm.app_id = m.app_id AND cm.user_id = m.user_id AND cm.channel_cid = m.cid \
               AND (cm.expires_at IS NULL OR cm.expires_at > $3)) GROUP BY m.user_id"
        );
        let mut totals = HashMap::with_capacity(user_ids.len());
        for row in self.rows(&sql, &[&app_id, &user_ids, &micros(&now)]).await? {
            let user_id: String = row.try_get(0)?;
            totals.insert(
                user_id,
                UnreadTotals { total_unread_count: row.try_get(1)?, unread_channels: row.try_get(2)? },
            );
        }
        for user_id in user_ids {
            totals.entry(user_id.clone()).or_default();
        }
        Ok(totals)
    }
}

/// The columns of a flag after its kind and target, in [`flag_from_row`]'s order.
const FLAG_COLUMNS: &str =
    "target_kind, target_id, user_id, id, channel_cid, target_user_id, reason, data, created_at, \
    updated_at, reviewed_at, reviewed_by, approved_at, rejected_at, message_deleted_at";

fn flag_from_row(row: &Row) -> CoreResult<Flag> {
    let kind: String = row.try_get(0)?;
    let channel_cid: String = row.try_get(4)?;
    Ok(Flag {
        target_message_id: if kind == "message" { Some(row.try_get(1)?) } else { None },
        user_id: row.try_get(2)?,
        id: row.try_get(3)?,
        channel_cid: (!channel_cid.is_empty()).then_some(channel_cid),
        target_user_id: row.try_get(5)?,
        reason: row.try_get(6)?,
        data: object(row.try_get(7)?),
        created_at: time(row.try_get(8)?),
        updated_at: time(row.try_get(9)?),
        reviewed_at: optional_time(row.try_get(10)?),
        reviewed_by: row.try_get(11)?,
        approved_at: optional_time(row.try_get(12)?),
        rejected_at: optional_time(row.try_get(13)?),
        message_deleted_at: optional_time(row.try_get(14)?),
    })
}

/// The columns of a ban, in [`ban_from_row`]'s order.
const BAN_COLUMNS: &str = "user_id, channel_cid, created_by, reason, shadow, future_channels, created_at, expires_at";

fn ban_from_row(row: &Row) -> CoreResult<Ban> {
    ban_from_row_at(row, 0)
}

fn ban_from_row_at(row: &Row, at: usize) -> CoreResult<Ban> {
    let channel_cid: String = row.try_get(at + 1)?;
    Ok(Ban {
        user_id: row.try_get(at)?,
        channel_cid: (!channel_cid.is_empty()).then_some(channel_cid),
        created_by: row.try_get(at + 2)?,
        reason: row.try_get(at + 3)?,
        shadow: row.try_get(at + 4)?,
        future_channels: row.try_get(at + 5)?,
        created_at: time(row.try_get(at + 6)?),
        expires: optional_time(row.try_get(at + 7)?),
    })
}

/// How many columns `MEMBER_COLUMNS` names.
const MEMBER_COLUMN_COUNT: usize = 11;

/// [`ModerationRows::member_and_ban`] in one round trip: both rows are primary-key lookups, joined to one row.
static MEMBER_AND_BAN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let ban_columns: Vec<String> = BAN_COLUMNS.split(", ").map(|column| format!("b.{column}")).collect();
    format!(
        "SELECT {MEMBER_COLUMNS}, {} FROM (SELECT 1) AS one \
         LEFT JOIN members m ON m.app_id = $1 AND m.cid = $2 AND m.user_id = $3 \
         LEFT JOIN bans b ON b.app_id = $1 AND b.channel_cid = $2 AND b.user_id = $3 \
         AND (b.expires_at IS NULL OR b.expires_at > $4)",
        ban_columns.join(", ")
    )
});

#[async_trait]
impl ModerationRows for PgTx {
    async fn member_and_ban(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(Option<Member>, Option<Ban>)> {
        let rows = self.rows(&MEMBER_AND_BAN, &[&app_id, &cid, &user_id, &micros(&now)]).await?;
        let Some(row) = rows.first() else { return Ok((None, None)) };
        let member = match row.try_get::<_, Option<String>>(1)? {
            Some(_) => Some(member_from_row(row, 0)?),
            None => None,
        };
        let ban = match row.try_get::<_, Option<String>>(MEMBER_COLUMN_COUNT)? {
            Some(_) => Some(ban_from_row_at(row, MEMBER_COLUMN_COUNT)?),
            None => None,
        };
        Ok((member, ban))
    }

    async fn put_ban(&mut self, app_id: i64, ban: &Ban) -> CoreResult<()> {
        let scope = ban.channel_cid.as_deref().unwrap_or("");
        self.execute(
            &format!(
                "INSERT INTO bans (app_id, {BAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (app_id, user_id, channel_cid) DO UPDATE SET created_by = excluded.created_by, \
                 reason = excluded.reason, shadow = excluded.shadow, future_channels = excluded.future_channels, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at"
            ),
            &[
                &app_id,
                &ban.user_id,
                &scope,
                &ban.created_by,
                &ban.reason,
                &ban.shadow,
                &ban.future_channels,
                &micros(&ban.created_at),
                &optional_micros(&ban.expires),
            ],
        )
        .await?;
        if ban.channel_cid.is_none() {
            self.execute(
                "UPDATE users SET banned = $1, shadow_banned = $2, ban_expires_at = $3 WHERE app_id = $4 AND id = $5",
                &[&!ban.shadow, &ban.shadow, &optional_micros(&ban.expires), &app_id, &ban.user_id],
            )
            .await?;
        }
        Ok(())
    }

    async fn delete_ban(&mut self, app_id: i64, user_id: &str, channel_cid: Option<&str>) -> CoreResult<Option<Ban>> {
        let scope = channel_cid.unwrap_or("");
        let sql =
            format!("DELETE FROM bans WHERE app_id = $1 AND user_id = $2 AND channel_cid = $3 RETURNING {BAN_COLUMNS}");
        let removed = self.rows(&sql, &[&app_id, &user_id, &scope]).await?;
        if channel_cid.is_none() {
            self.execute(
                "UPDATE users SET banned = FALSE, shadow_banned = FALSE, ban_expires_at = NULL \
                 WHERE app_id = $1 AND id = $2",
                &[&app_id, &user_id],
            )
            .await?;
        }
        removed.first().map(ban_from_row).transpose()
    }

    async fn bans_of(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<Ban>> {
        let sql = format!(
            "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = $1 AND user_id = $2 AND channel_cid = ANY($3) \
             AND (expires_at IS NULL OR expires_at > $4)"
        );
        let rows = self.rows(&sql, &[&app_id, &user_id, &cids, &micros(&now)]).await?;
        rows.iter().map(ban_from_row).collect()
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
        let sql = format!(
            "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = $1 AND channel_cid = ANY($2) AND user_id = ANY($3) \
             AND (expires_at IS NULL OR expires_at > $4)"
        );
        let rows = self.rows(&sql, &[&app_id, &cids, &user_ids, &micros(&now)]).await?;
        rows.iter().map(ban_from_row).collect()
    }

    async fn find_bans(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Ban>> {
        let (sql, params) = render_select(&PostgresDialect, BAN_COLUMNS, BANS, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(ban_from_row).collect()
    }

    async fn future_bans_by(&mut self, app_id: i64, created_by: &str, now: DateTime<Utc>) -> CoreResult<Vec<Ban>> {
        let sql = format!(
            "SELECT {BAN_COLUMNS} FROM bans WHERE app_id = $1 AND created_by = $2 AND future_channels \
             AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at, user_id"
        );
        let rows = self.rows(&sql, &[&app_id, &created_by, &micros(&now)]).await?;
        rows.iter().map(ban_from_row).collect()
    }

    async fn delete_channel_bans(&mut self, app_id: i64, cid: &str) -> CoreResult<usize> {
        let removed = self.execute("DELETE FROM bans WHERE app_id = $1 AND channel_cid = $2", &[&app_id, &cid]).await?;
        Ok(removed as usize)
    }

    async fn insert_flag(&mut self, app_id: i64, flag: &Flag) -> CoreResult<bool> {
        let (kind, target_id) = flag.target();
        let inserted = self
            .execute(
                &format!(
                    "INSERT INTO flags (app_id, {FLAG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                     $12, $13, $14, $15, $16) ON CONFLICT (app_id, target_kind, target_id, user_id) DO NOTHING"
                ),
                &[
                    &app_id,
                    &kind,
                    &target_id,
                    &flag.user_id,
                    &flag.id,
                    &flag.channel_cid.as_deref().unwrap_or(""),
                    &flag.target_user_id,
                    &flag.reason,
                    &Jsonb(data_json(&flag.data, "flag")?),
                    &micros(&flag.created_at),
                    &micros(&flag.updated_at),
                    &optional_micros(&flag.reviewed_at),
                    &flag.reviewed_by,
                    &optional_micros(&flag.approved_at),
                    &optional_micros(&flag.rejected_at),
                    &optional_micros(&flag.message_deleted_at),
                ],
            )
            .await?;
        Ok(inserted > 0)
    }

    async fn delete_flag(
        &mut self,
        app_id: i64,
        kind: &str,
        target_id: &str,
        user_id: &str,
    ) -> CoreResult<Option<Flag>> {
        let sql = format!(
            "DELETE FROM flags WHERE app_id = $1 AND target_kind = $2 AND target_id = $3 AND user_id = $4 \
             RETURNING {FLAG_COLUMNS}"
        );
        let removed = self.rows(&sql, &[&app_id, &kind, &target_id, &user_id]).await?;
        removed.first().map(flag_from_row).transpose()
    }

    async fn find_flags(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Flag>> {
        let (sql, params) = render_select(&PostgresDialect, FLAG_COLUMNS, FLAGS, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(flag_from_row).collect()
    }

    async fn close_message_flags(
        &mut self,
        app_id: i64,
        message_id: &str,
        at: DateTime<Utc>,
        review: Option<Option<&str>>,
    ) -> CoreResult<usize> {
        let closed = self
            .execute(
                "UPDATE flags SET message_deleted_at = COALESCE(message_deleted_at, $1), updated_at = $1, \
                 reviewed_by = CASE WHEN $2 AND reviewed_at IS NULL THEN $5 ELSE reviewed_by END, \
                 rejected_at = CASE WHEN $2 AND reviewed_at IS NULL THEN $1 ELSE rejected_at END, \
                 reviewed_at = CASE WHEN $2 AND reviewed_at IS NULL THEN $1 ELSE reviewed_at END \
                 WHERE app_id = $3 AND target_kind = 'message' AND target_id = $4",
                &[&micros(&at), &review.is_some(), &app_id, &message_id, &review.flatten()],
            )
            .await?;
        Ok(closed as usize)
    }

    async fn put_channel_mute(&mut self, app_id: i64, mute: &ChannelMute) -> CoreResult<()> {
        self.execute(
            "INSERT INTO channel_mutes (app_id, user_id, channel_cid, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, user_id, channel_cid) \
             DO UPDATE SET updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            &[
                &app_id,
                &mute.user_id,
                &mute.channel_cid,
                &micros(&mute.created_at),
                &micros(&mute.updated_at),
                &optional_micros(&mute.expires),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_channel_mute(&mut self, app_id: i64, user_id: &str, cid: &str) -> CoreResult<bool> {
        let removed = self
            .execute(
                "DELETE FROM channel_mutes WHERE app_id = $1 AND user_id = $2 AND channel_cid = $3",
                &[&app_id, &user_id, &cid],
            )
            .await?;
        Ok(removed > 0)
    }

    async fn channel_mutes(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<ChannelMute>> {
        let among: Option<Vec<String>> = cids.map(<[String]>::to_vec);
        let rows = self
            .rows(
                "SELECT user_id, channel_cid, created_at, updated_at, expires_at FROM channel_mutes \
                 WHERE app_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > $3) \
                 AND ($4::text[] IS NULL OR channel_cid = ANY($4)) ORDER BY created_at, channel_cid",
                &[&app_id, &user_id, &micros(&now), &among],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ChannelMute {
                    user_id: row.try_get(0)?,
                    channel_cid: row.try_get(1)?,
                    created_at: time(row.try_get(2)?),
                    updated_at: time(row.try_get(3)?),
                    expires: optional_time(row.try_get(4)?),
                })
            })
            .collect()
    }

    async fn delete_expired_channel_mutes(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        let removed = self
            .execute(
                "DELETE FROM channel_mutes WHERE (app_id, user_id, channel_cid) IN (SELECT app_id, user_id, \
                 channel_cid FROM channel_mutes WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2 \
                 FOR UPDATE SKIP LOCKED)",
                &[&micros(&now), &(limit as i64)],
            )
            .await?;
        Ok(removed as usize)
    }

    async fn clear_expired_user_bans(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        let cleared = self
            .execute(
                "UPDATE users SET banned = FALSE, shadow_banned = FALSE, ban_expires_at = NULL \
                 WHERE (app_id, id) IN (SELECT app_id, id FROM users WHERE ban_expires_at IS NOT NULL \
                 AND ban_expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                &[&micros(&now), &(limit as i64)],
            )
            .await?;
        Ok(cleared as usize)
    }
}

const UPLOAD_COLUMNS: &str =
    "token, cid, user_id, kind, content_hash, size, mime_type, file_name, width, height, thumb_hash, created_at";

fn upload_from_row(row: &Row) -> CoreResult<Upload> {
    Ok(Upload {
        token: row.try_get(0)?,
        cid: row.try_get(1)?,
        user_id: row.try_get(2)?,
        kind: row.try_get(3)?,
        content_hash: row.try_get(4)?,
        size: row.try_get(5)?,
        mime_type: row.try_get(6)?,
        file_name: row.try_get(7)?,
        width: row.try_get(8)?,
        height: row.try_get(9)?,
        thumb_hash: row.try_get(10)?,
        created_at: time(row.try_get(11)?),
    })
}

#[async_trait]
impl UploadRows for PgTx {
    async fn insert_upload(&mut self, app_id: i64, upload: &Upload) -> CoreResult<()> {
        self.execute(
            &format!(
                "INSERT INTO uploads (app_id, {UPLOAD_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
            ),
            &[
                &app_id,
                &upload.token,
                &upload.cid,
                &upload.user_id,
                &upload.kind,
                &upload.content_hash,
                &upload.size,
                &upload.mime_type,
                &upload.file_name,
                &upload.width,
                &upload.height,
                &upload.thumb_hash,
                &micros(&upload.created_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn upload(&mut self, app_id: i64, token: &str) -> CoreResult<Option<Upload>> {
        let rows = self
            .rows(&format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE app_id = $1 AND token = $2"), &[&app_id, &token])
            .await?;
        rows.first().map(upload_from_row).transpose()
    }

    async fn delete_uploads(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        tokens: &[String],
    ) -> CoreResult<Vec<Upload>> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .rows(
                &format!(
                    "DELETE FROM uploads WHERE app_id = $1 AND token = ANY($2) AND cid = $3 AND user_id = $4 \
                     RETURNING {UPLOAD_COLUMNS}"
                ),
                &[&app_id, &tokens, &cid, &user_id],
            )
            .await?;
        rows.iter().map(upload_from_row).collect()
    }

    async fn blob_in_use(&mut self, app_id: i64, hash: &str) -> CoreResult<bool> {
        let rows = self
            .rows(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE app_id = $1 AND content_hash = $2) \
                 OR EXISTS (SELECT 1 FROM uploads WHERE app_id = $1 AND thumb_hash = $2)",
                &[&app_id, &hash],
            )
            .await?;
        Ok(rows.first().map(|row| row.try_get::<_, bool>(0)).transpose()?.unwrap_or(false))
    }
}

fn device_from_row(row: &Row) -> CoreResult<Device> {
    Ok(Device {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        push_provider: row.try_get(2)?,
        push_provider_name: row.try_get(3)?,
        voip: row.try_get(4)?,
        disabled_reason: row.try_get(5)?,
        created_at: time(row.try_get(6)?),
    })
}

#[async_trait]
impl DeviceRows for PgTx {
    async fn put_device(&mut self, app_id: i64, device: &Device) -> CoreResult<()> {
        self.execute(
            "INSERT INTO devices (app_id, id, user_id, push_provider, push_provider_name, voip, disabled_reason, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7) ON CONFLICT (app_id, id) DO UPDATE SET \
             created_at = CASE WHEN devices.user_id = excluded.user_id THEN devices.created_at \
             ELSE excluded.created_at END, user_id = excluded.user_id, push_provider = excluded.push_provider, \
             push_provider_name = excluded.push_provider_name, voip = excluded.voip, disabled_reason = NULL",
            &[
                &app_id,
                &device.id,
                &device.user_id,
                &device.push_provider,
                &device.push_provider_name,
                &device.voip,
                &micros(&device.created_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn devices_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Device>> {
        let rows = self
            .rows(
                "SELECT id, user_id, push_provider, push_provider_name, voip, disabled_reason, created_at \
                 FROM devices WHERE app_id = $1 AND user_id = $2 ORDER BY created_at, id",
                &[&app_id, &user_id],
            )
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn delete_device(&mut self, app_id: i64, user_id: &str, id: &str) -> CoreResult<bool> {
        let removed = self
            .execute("DELETE FROM devices WHERE app_id = $1 AND user_id = $2 AND id = $3", &[&app_id, &user_id, &id])
            .await?;
        Ok(removed > 0)
    }

    async fn push_devices(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<Device>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .rows(
                "SELECT id, user_id, push_provider, push_provider_name, voip, disabled_reason, created_at \
                 FROM devices WHERE app_id = $1 AND user_id = ANY($2) AND disabled_reason IS NULL \
                 ORDER BY user_id, created_at, id",
                &[&app_id, &user_ids],
            )
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn disable_device(&mut self, app_id: i64, id: &str, reason: &str) -> CoreResult<bool> {
        let changed = self
            .execute("UPDATE devices SET disabled_reason = $3 WHERE app_id = $1 AND id = $2", &[&app_id, &id, &reason])
            .await?;
        Ok(changed > 0)
    }
    async fn channel_push_devices(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Device>> {
        let sql = format!(
            "SELECT d.id, d.user_id, d.push_provider, d.push_provider_name, d.voip, d.disabled_reason, d.created_at \
             FROM members m JOIN devices d ON d.app_id = m.app_id AND d.user_id = m.user_id \
             WHERE m.app_id = $1 AND m.cid = $2 AND d.disabled_reason IS NULL AND NOT {PENDING_INVITE} \
             ORDER BY d.user_id, d.created_at, d.id"
        );
        let rows = self.rows(&sql, &[&app_id, &cid]).await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn muted_for_push(
        &mut self,
        app_id: i64,
        cid: &str,
        sender_id: &str,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<String>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .rows(
                "SELECT user_id FROM channel_mutes WHERE app_id = $1 AND channel_cid = $2 AND user_id = ANY($4) \
                 AND (expires_at IS NULL OR expires_at > $5) UNION SELECT user_id FROM user_mutes WHERE app_id = $1 \
                 AND target_id = $3 AND user_id = ANY($4) AND (expires_at IS NULL OR expires_at > $5)",
                &[&app_id, &cid, &sender_id, &user_ids, &micros(&now)],
            )
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }
}

fn blocklist_from_row(row: &Row) -> CoreResult<Blocklist> {
    let words: String = row.try_get(2)?;
    Ok(Blocklist {
        name: row.try_get(0)?,
        kind: row.try_get(1)?,
        words: serde_json::from_str(&words)?,
        substring_matching: row.try_get(3)?,
        created_at: time(row.try_get(4)?),
        updated_at: time(row.try_get(5)?),
    })
}

#[async_trait]
impl BlocklistRows for PgTx {
    async fn put_blocklist(&mut self, app_id: i64, blocklist: &Blocklist) -> CoreResult<()> {
        self.execute(
            "INSERT INTO blocklists (app_id, name, kind, words, substring_matching, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (app_id, name) DO UPDATE SET kind = excluded.kind, \
             words = excluded.words, substring_matching = excluded.substring_matching, updated_at = excluded.updated_at",
            &[
                &app_id,
                &blocklist.name,
                &blocklist.kind,
                &serde_json::to_string(&blocklist.words)?,
                &blocklist.substring_matching,
                &micros(&blocklist.created_at),
                &micros(&blocklist.updated_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<Option<Blocklist>> {
        let rows = self
            .rows(
                "SELECT name, kind, words, substring_matching, created_at, updated_at FROM blocklists \
                 WHERE app_id = $1 AND name = $2",
                &[&app_id, &name],
            )
            .await?;
        rows.first().map(blocklist_from_row).transpose()
    }

    async fn blocklists(&mut self, app_id: i64) -> CoreResult<Vec<Blocklist>> {
        let rows = self
            .rows(
                "SELECT name, kind, words, substring_matching, created_at, updated_at FROM blocklists \
                 WHERE app_id = $1 ORDER BY name",
                &[&app_id],
            )
            .await?;
        rows.iter().map(blocklist_from_row).collect()
    }

    async fn delete_blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<bool> {
        let removed = self.execute("DELETE FROM blocklists WHERE app_id = $1 AND name = $2", &[&app_id, &name]).await?;
        Ok(removed > 0)
    }
}

fn push_binding(app_id: i64, kind: PushKind, name: &str) -> String {
    format!("push:{app_id}:{}:{name}", kind.as_str())
}

#[async_trait]
impl PushRows for PgTx {
    async fn put_push_provider(&mut self, app_id: i64, provider: &PushProvider) -> CoreResult<()> {
        let binding = push_binding(app_id, provider.kind, &provider.name);
        let sealed = provider.credentials.as_ref().map(|secret| self.key.seal(secret, &binding)).transpose()?;
        self.execute(
            "INSERT INTO push_providers (app_id, kind, name, config, credentials, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (app_id, kind, name) DO UPDATE SET \
             config = excluded.config, credentials = excluded.credentials, updated_at = excluded.updated_at",
            &[
                &app_id,
                &provider.kind.as_str(),
                &provider.name,
                &push_config_to_json(provider),
                &sealed,
                &micros(&provider.created_at),
                &micros(&provider.updated_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn push_providers(&mut self, app_id: i64) -> CoreResult<Vec<PushProvider>> {
        let rows = self
            .rows(
                "SELECT kind, name, config, credentials, created_at, updated_at FROM push_providers \
                 WHERE app_id = $1 ORDER BY name, kind",
                &[&app_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get(0)?;
                let name: String = row.try_get(1)?;
                let config: String = row.try_get(2)?;
                let sealed: Option<String> = row.try_get(3)?;
                let parsed = PushKind::parse(&kind).ok_or_else(|| CoreError::internal("unknown push kind"))?;
                let binding = push_binding(app_id, parsed, &name);
                let credentials = sealed.map(|sealed| self.key.open(&sealed, &binding)).transpose()?;
                push_provider_from_row(&kind, name, &config, credentials, row.try_get(4)?, row.try_get(5)?)
            })
            .collect()
    }

    async fn delete_push_provider(&mut self, app_id: i64, kind: PushKind, name: &str) -> CoreResult<bool> {
        let removed = self
            .execute(
                "DELETE FROM push_providers WHERE app_id = $1 AND kind = $2 AND name = $3",
                &[&app_id, &kind.as_str(), &name],
            )
            .await?;
        Ok(removed > 0)
    }

    async fn settle_pushes(
        &mut self,
        app_id: i64,
        message_id: &str,
        settled: &[(String, String)],
        at: DateTime<Utc>,
    ) -> CoreResult<()> {
        if settled.is_empty() {
            return Ok(());
        }
        let devices: Vec<&str> = settled.iter().map(|(device, _)| device.as_str()).collect();
        let outcomes: Vec<&str> = settled.iter().map(|(_, outcome)| outcome.as_str()).collect();
        self.execute(
            "INSERT INTO push_deliveries (app_id, message_id, device_id, outcome, settled_at) \
             SELECT $1, $2, device, outcome, $5 FROM UNNEST($3::text[], $4::text[]) AS settled (device, outcome) \
             ON CONFLICT DO NOTHING",
            &[&app_id, &message_id, &devices, &outcomes, &micros(&at)],
        )
        .await?;
        Ok(())
    }

    async fn settled_pushes(&mut self, app_id: i64, message_id: &str) -> CoreResult<Vec<String>> {
        let rows = self
            .rows(
                "SELECT device_id FROM push_deliveries WHERE app_id = $1 AND message_id = $2",
                &[&app_id, &message_id],
            )
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    async fn delete_settled_pushes(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        let removed = self
            .execute(
                "DELETE FROM push_deliveries WHERE ctid IN (SELECT ctid FROM push_deliveries WHERE settled_at < $1 \
                 LIMIT $2)",
                &[&micros(&before), &(limit as i64)],
            )
            .await?;
        Ok(removed as usize)
    }
}

#[async_trait]
impl OutboxRows for PgTx {
    async fn enqueue_jobs(&mut self, app_id: i64, jobs: &[NewJob], now: DateTime<Utc>) -> CoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        // One statement for all of a change's jobs: one round trip however many hooks there are.
        let kinds: Vec<&str> = jobs.iter().map(|job| job.kind.as_str()).collect();
        let ids: Vec<&str> = jobs.iter().map(|job| job.delivery_id.as_str()).collect();
        let targets: Vec<&str> = jobs.iter().map(|job| job.target.as_str()).collect();
        let timeouts: Vec<i64> = jobs.iter().map(|job| job.timeout_ms).collect();
        let types: Vec<&str> = jobs.iter().map(|job| job.event_type.as_str()).collect();
        let bodies: Vec<&str> = jobs.iter().map(|job| job.body.as_str()).collect();
        self.execute(
            "INSERT INTO outbox (app_id, kind, delivery_id, target, timeout_ms, event_type, body, created_at, \
             available_at) SELECT $1, kind, delivery_id, target, timeout_ms, event_type, body, $8, $8 \
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) \
             AS job (kind, delivery_id, target, timeout_ms, event_type, body)",
            &[&app_id, &kinds, &ids, &targets, &timeouts, &types, &bodies, &micros(&now)],
        )
        .await?;
        Ok(())
    }

    async fn claim_jobs(
        &mut self,
        lease: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<Vec<OutboxJob>> {
        let rows = self
            .rows(
                "UPDATE outbox SET lease_owner = $1, available_at = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NULL AND available_at <= $3 \
                 ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, app_id, kind, delivery_id, target, timeout_ms, event_type, body, created_at, attempts",
                &[&lease, &micros(&until), &micros(&now), &(limit as i64)],
            )
            .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            jobs.push(OutboxJob {
                id: row.try_get(0)?,
                app_id: row.try_get(1)?,
                kind: row.try_get(2)?,
                delivery_id: row.try_get(3)?,
                target: row.try_get(4)?,
                timeout_ms: row.try_get(5)?,
                event_type: row.try_get(6)?,
                body: row.try_get(7)?,
                created_at: time(row.try_get(8)?),
                attempt: row.try_get(9)?,
                lease: lease.to_owned(),
            });
        }
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    async fn finish_job(&mut self, id: i64, lease: &str) -> CoreResult<bool> {
        Ok(self.execute("DELETE FROM outbox WHERE id = $1 AND lease_owner = $2", &[&id, &lease]).await? > 0)
    }

    async fn renew_lease(&mut self, id: i64, lease: &str, until: DateTime<Utc>) -> CoreResult<bool> {
        let sql = "UPDATE outbox SET available_at = $3 WHERE id = $1 AND lease_owner = $2 AND failed_at IS NULL";
        Ok(self.execute(sql, &[&id, &lease, &micros(&until)]).await? > 0)
    }

    async fn retry_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE outbox SET available_at = $3, lease_owner = NULL, last_error = $4 \
                 WHERE id = $1 AND lease_owner = $2",
                &[&id, &lease, &micros(&at), &error],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn fail_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool> {
        let changed = self
            .execute(
                "UPDATE outbox SET failed_at = $3, lease_owner = NULL, last_error = $4 \
                 WHERE id = $1 AND lease_owner = $2",
                &[&id, &lease, &micros(&at), &error],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn outbox_summary(&mut self, app_id: i64, failures: usize) -> CoreResult<OutboxSummary> {
        let rows = self
            .rows(
                "SELECT COUNT(*) FILTER (WHERE failed_at IS NULL), COUNT(*) FILTER (WHERE failed_at IS NOT NULL), \
                 MIN(created_at) FILTER (WHERE failed_at IS NULL) FROM outbox WHERE app_id = $1",
                &[&app_id],
            )
            .await?;
        let (pending, failed, oldest) = match rows.first() {
            Some(row) => (row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?, row.try_get::<_, Option<i64>>(2)?),
            None => (0, 0, None),
        };
        let rows = self
            .rows(
                "SELECT id, kind, event_type, target, attempts, COALESCE(last_error, ''), failed_at FROM outbox \
                 WHERE app_id = $1 AND failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $2",
                &[&app_id, &(failures as i64)],
            )
            .await?;
        let mut failed_jobs = Vec::with_capacity(rows.len());
        for row in rows {
            failed_jobs.push(FailedJob {
                id: row.try_get(0)?,
                kind: row.try_get(1)?,
                event_type: row.try_get(2)?,
                target: row.try_get(3)?,
                attempts: row.try_get(4)?,
                last_error: row.try_get(5)?,
                failed_at: time(row.try_get(6)?),
            });
        }
        Ok(OutboxSummary {
            pending: pending.max(0) as u64,
            failed: failed.max(0) as u64,
            oldest_pending_at: optional_time(oldest),
            failures: failed_jobs,
        })
    }

    async fn delete_failed_jobs(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize> {
        let removed = self
            .execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE failed_at IS NOT NULL \
                 AND failed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                &[&micros(&before), &(limit as i64)],
            )
            .await?;
        Ok(removed as usize)
    }
}

#[async_trait]
impl UsageRows for PgTx {
    async fn is_active_in(&mut self, app_id: i64, month: i64, user_id: &str) -> CoreResult<bool> {
        let rows = self
            .rows(
                "SELECT 1 FROM monthly_active_users WHERE app_id = $1 AND month = $2 AND user_id = $3",
                &[&app_id, &month, &user_id],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn lock_month(&mut self, app_id: i64, month: i64) -> CoreResult<()> {
        // The upsert locks the row until the commit: admissions of new active users queue on it.
        self.execute(
            "INSERT INTO monthly_messages (app_id, month, shard, messages) VALUES ($1, $2, 0, 0) \
             ON CONFLICT (app_id, month, shard) DO UPDATE SET messages = monthly_messages.messages",
            &[&app_id, &month],
        )
        .await?;
        Ok(())
    }

    async fn active_user_count(&mut self, app_id: i64, month: i64) -> CoreResult<u64> {
        let rows = self
            .rows("SELECT COUNT(*) FROM monthly_active_users WHERE app_id = $1 AND month = $2", &[&app_id, &month])
            .await?;
        let count: i64 = rows.first().map(|row| row.try_get(0)).transpose()?.unwrap_or(0);
        Ok(count.max(0) as u64)
    }

    async fn add_active_user(&mut self, app_id: i64, month: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<bool> {
        let added = self
            .execute(
                "INSERT INTO monthly_active_users (app_id, month, user_id, first_seen) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (app_id, month, user_id) DO NOTHING",
                &[&app_id, &month, &user_id, &micros(&at)],
            )
            .await?;
        Ok(added > 0)
    }

    async fn add_month_message(&mut self, app_id: i64, month: i64, shard: i64) -> CoreResult<()> {
        self.execute(
            "INSERT INTO monthly_messages (app_id, month, shard, messages) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (app_id, month, shard) DO UPDATE SET messages = monthly_messages.messages + 1",
            &[&app_id, &month, &shard],
        )
        .await?;
        Ok(())
    }

    async fn month_messages(&mut self, app_id: i64, month: i64) -> CoreResult<u64> {
        let rows = self
            .rows(
                "SELECT COALESCE(SUM(messages), 0)::bigint FROM monthly_messages WHERE app_id = $1 AND month = $2",
                &[&app_id, &month],
            )
            .await?;
        let sum: i64 = rows.first().map(|row| row.try_get(0)).transpose()?.unwrap_or(0);
        Ok(sum.max(0) as u64)
    }
}

#[async_trait]
impl ChannelRows for PgTx {
    async fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        Ok(self.channels_where("c.app_id = $1 AND c.cid = $2", &[&app_id, &cid]).await?.pop())
    }

    async fn channel_type_in_use(&mut self, app_id: i64, channel_type: &str) -> CoreResult<bool> {
        let (from, to) = (format!("{channel_type}:"), format!("{channel_type};"));
        let sql = "SELECT 1 FROM channels WHERE app_id = $1 AND cid >= $2 AND cid < $3 LIMIT 1";
        Ok(!self.rows(sql, &[&app_id, &from, &to]).await?.is_empty())
    }

    async fn channel_for_update(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>> {
        Ok(self.channels_where("c.app_id = $1 AND c.cid = $2 FOR UPDATE", &[&app_id, &cid]).await?.pop())
    }

    async fn insert_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        let columns = CHANNEL_COLUMNS.replace("c.", "");
        let inserted = self
            .execute(
                &format!(
                    "INSERT INTO channels (app_id, {columns}) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) \
                     ON CONFLICT (app_id, cid) DO NOTHING"
                ),
                &[
                    &app_id,
                    &channel.cid,
                    &channel.channel_type,
                    &channel.id,
                    &channel.created_by,
                    &Jsonb(data_json(&channel.data, "channel")?),
                    &channel.frozen,
                    &channel.disabled,
                    &channel.team,
                    &channel.cooldown,
                    &micros(&channel.created_at),
                    &micros(&channel.updated_at),
                    &optional_micros(&channel.deleted_at),
                    &optional_micros(&channel.truncated_at),
                    &optional_micros(&channel.last_message_at),
                    &channel.member_count,
                    &channel.message_count,
                    &channel.unread_sequence,
                    &channel.read_floor,
                ],
            )
            .await?;
        Ok(inserted > 0)
    }

    async fn update_channel(&mut self, app_id: i64, cid: &str, changes: &ChannelChanges) -> CoreResult<()> {
        let mut assignments: Vec<(&str, Box<dyn ToSql + Sync + Send>)> = Vec::new();
        if let Some(data) = &changes.data {
            assignments.push(("data", Box::new(Jsonb(data_json(data, "channel")?))));
        }
        if let Some(frozen) = changes.frozen {
            assignments.push(("frozen", Box::new(frozen)));
        }
        if let Some(disabled) = changes.disabled {
            assignments.push(("disabled", Box::new(disabled)));
        }
        if let Some(team) = &changes.team {
            assignments.push(("team", Box::new(team.clone())));
        }
        if let Some(cooldown) = changes.cooldown {
            assignments.push(("cooldown", Box::new(cooldown)));
        }
        if let Some(truncated_at) = &changes.truncated_at {
            assignments.push(("truncated_at", Box::new(micros(truncated_at))));
        }
        if changes.clear_last_message_at {
            assignments.push(("last_message_at", Box::new(Option::<i64>::None)));
        }
        if let Some(updated_at) = &changes.updated_at {
            assignments.push(("updated_at", Box::new(micros(updated_at))));
        }
        self.update_columns("channels", assignments, &["app_id", "cid"], &[&app_id, &cid]).await
    }

    async fn count_message(
        &mut self,
        app_id: i64,
        cid: &str,
        counts_unread: bool,
        shows_in_channel: bool,
        at: DateTime<Utc>,
    ) -> CoreResult<ChannelCounters> {
        let rows = self
            .rows(
                "UPDATE channels SET message_count = message_count + 1, unread_sequence = unread_sequence + $1, \
                 last_message_at = CASE WHEN $2 THEN $3::bigint ELSE last_message_at END \
                 WHERE app_id = $4 AND cid = $5 RETURNING message_count, unread_sequence",
                &[&i64::from(counts_unread), &shows_in_channel, &micros(&at), &app_id, &cid],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(ChannelCounters { message_count: row.try_get(0)?, unread_sequence: row.try_get(1)? }),
            None => Err(CoreError::not_found(format!("channel {cid} does not exist"))),
        }
    }

    async fn mark_channel_deleted(&mut self, app_id: i64, cid: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET deleted_at = $1, updated_at = $1, member_count = 0, \
             purge_before = GREATEST(purge_before, $1) WHERE app_id = $2 AND cid = $3",
            &[&micros(&at), &app_id, &cid],
        )
        .await?;
        Ok(())
    }

    async fn revive_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool> {
        self.execute(
            "DELETE FROM members WHERE app_id = $1 AND cid = $2 AND EXISTS (SELECT 1 FROM channels c \
             WHERE c.app_id = $1 AND c.cid = $2 AND c.deleted_at IS NOT NULL)",
            &[&app_id, &channel.cid],
        )
        .await?;
        let revived = self
            .execute(
                "UPDATE channels SET type = $1, id = $2, created_by = $3, data = $4, frozen = $5, disabled = $6, \
                 team = $7, cooldown = $8, created_at = $9, updated_at = $10, truncated_at = deleted_at, \
                 last_message_at = NULL, member_count = 0, message_count = 0, deleted_at = NULL \
                 WHERE app_id = $11 AND cid = $12 AND deleted_at IS NOT NULL",
                &[
                    &channel.channel_type,
                    &channel.id,
                    &channel.created_by,
                    &Jsonb(data_json(&channel.data, "channel")?),
                    &channel.frozen,
                    &channel.disabled,
                    &channel.team,
                    &channel.cooldown,
                    &micros(&channel.created_at),
                    &micros(&channel.updated_at),
                    &app_id,
                    &channel.cid,
                ],
            )
            .await?;
        Ok(revived > 0)
    }

    async fn schedule_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET purge_before = GREATEST(purge_before, $1) WHERE app_id = $2 AND cid = $3",
            &[&micros(&before), &app_id, &cid],
        )
        .await?;
        Ok(())
    }

    async fn purge_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        before: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<usize> {
        let rows = self
            .rows(
                "SELECT id FROM messages WHERE app_id = $1 AND cid = $2 AND created_at <= $3 \
                 ORDER BY created_at LIMIT $4",
                &[&app_id, &cid, &micros(&before), &(limit as i64)],
            )
            .await?;
        let ids: Vec<String> = rows.iter().map(|row| row.try_get(0)).collect::<Result<_, _>>()?;
        for table in ["message_words", "reactions", "reaction_totals"] {
            self.execute(&format!("DELETE FROM {table} WHERE app_id = $1 AND message_id = ANY($2)"), &[&app_id, &ids])
                .await?;
        }
        self.execute("DELETE FROM messages WHERE app_id = $1 AND id = ANY($2)", &[&app_id, &ids]).await?;
        Ok(ids.len())
    }

    async fn purge_members(&mut self, app_id: i64, cid: &str, limit: usize) -> CoreResult<usize> {
        let removed = self
            .execute(
                "DELETE FROM members WHERE app_id = $1 AND cid = $2 AND user_id IN (SELECT user_id FROM members \
                 WHERE app_id = $1 AND cid = $2 LIMIT $3) AND EXISTS (SELECT 1 FROM channels c \
                 WHERE c.app_id = $1 AND c.cid = $2 AND c.deleted_at IS NOT NULL)",
                &[&app_id, &cid, &(limit as i64)],
            )
            .await?;
        Ok(removed as usize)
    }

    async fn finish_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET purge_before = NULL WHERE app_id = $1 AND cid = $2 AND purge_before = $3",
            &[&app_id, &cid, &micros(&before)],
        )
        .await?;
        self.execute(
            "DELETE FROM channels WHERE app_id = $1 AND cid = $2 AND deleted_at IS NOT NULL AND purge_before IS NULL",
            &[&app_id, &cid],
        )
        .await?;
        Ok(())
    }

    async fn pending_purges(&mut self) -> CoreResult<Vec<(i64, String, DateTime<Utc>)>> {
        let rows =
            self.rows("SELECT app_id, cid, purge_before FROM channels WHERE purge_before IS NOT NULL", &[]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?, time(row.try_get(2)?)))).collect()
    }

    async fn find_members(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Member>> {
        let columns = MEMBER_COLUMNS.replace("m.", "mb.");
        let (sql, params) = render_select(&PostgresDialect, &columns, MEMBERS, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(|row| member_from_row(row, 0)).collect()
    }

    async fn find_channels(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Channel>> {
        let (sql, params) = render_select(&PostgresDialect, CHANNEL_COLUMNS, CHANNELS, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(channel_from_row).collect()
    }

    async fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>> {
        self.channels_where("c.app_id = $1 AND c.deleted_at IS NULL", &[&app_id]).await
    }

    async fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>> {
        // A cid starts with "<type>:", so the primary key serves a range from "<type>:" to "<type>;" (bytewise:
        // the column's collation is "C").
        let (from, to) = (format!("{channel_type}:"), format!("{channel_type};"));
        self.channels_where(
            "c.app_id = $1 AND c.cid >= $2 AND c.cid < $3 AND c.deleted_at IS NULL",
            &[&app_id, &from, &to],
        )
        .await
    }

    async fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>> {
        self.channels_where("c.app_id = $1 AND c.created_by = $2 AND c.deleted_at IS NULL", &[&app_id, &user_id]).await
    }

    async fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        Ok(self
            .members_where("m.app_id = $1 AND m.cid = $2 AND m.user_id = $3", &[&app_id, &cid, &user_id])
            .await?
            .pop())
    }

    async fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>> {
        self.members_where("m.app_id = $1 AND m.cid = $2 ORDER BY m.created_at, m.user_id", &[&app_id, &cid]).await
    }

    async fn insert_member(&mut self, app_id: i64, member: &Member) -> CoreResult<bool> {
        let columns = MEMBER_COLUMNS.replace("m.", "");
        let inserted = self
            .execute(
                &format!(
                    "INSERT INTO members (app_id, {columns}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) \
                     ON CONFLICT (app_id, cid, user_id) DO NOTHING"
                ),
                &[
                    &app_id,
                    &member.cid,
                    &member.user_id,
                    &member.channel_role,
                    &Jsonb(data_json(&member.data, "member")?),
                    &micros(&member.created_at),
                    &micros(&member.updated_at),
                    &member.hidden,
                    &micros(&member.last_read_at),
                    &member.last_read_message_id,
                    &member.last_read_sequence,
                    &optional_micros(&member.hide_messages_before),
                ],
            )
            .await?;
        if inserted > 0 {
            self.execute(
                "UPDATE channels SET member_count = member_count + 1 WHERE app_id = $1 AND cid = $2",
                &[&app_id, &member.cid],
            )
            .await?;
        }
        Ok(inserted > 0)
    }

    async fn delete_memberships_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<usize> {
        let rows = self
            .rows(
                "WITH gone AS (DELETE FROM members WHERE app_id = $1 AND user_id = $2 RETURNING cid), \
                 counted AS (UPDATE channels c SET member_count = GREATEST(c.member_count - 1, 0) FROM gone \
                 WHERE c.app_id = $1 AND c.cid = gone.cid) SELECT COUNT(*) FROM gone",
                &[&app_id, &user_id],
            )
            .await?;
        Ok(rows.first().map(|row| row.try_get::<_, i64>(0)).transpose()?.unwrap_or(0) as usize)
    }

    async fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>> {
        let columns = MEMBER_COLUMNS.replace("m.", "");
        let rows = self
            .rows(
                &format!("DELETE FROM members WHERE app_id = $1 AND cid = $2 AND user_id = $3 RETURNING {columns}"),
                &[&app_id, &cid, &user_id],
            )
            .await?;
        let removed = rows.first().map(|row| member_from_row(row, 0)).transpose()?;
        if removed.is_some() {
            self.execute(
                "UPDATE channels SET member_count = GREATEST(member_count - 1, 0) WHERE app_id = $1 AND cid = $2",
                &[&app_id, &cid],
            )
            .await?;
        }
        Ok(removed)
    }

    async fn update_member(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        changes: &MemberChanges,
    ) -> CoreResult<()> {
        let mut assignments: Vec<(&str, Box<dyn ToSql + Sync + Send>)> = Vec::new();
        if let Some(role) = &changes.channel_role {
            assignments.push(("channel_role", Box::new(role.clone())));
        }
        if let Some(data) = &changes.data {
            assignments.push(("data", Box::new(Jsonb(data_json(data, "member")?))));
        }
        if let Some(hidden) = changes.hidden {
            assignments.push(("hidden", Box::new(hidden)));
        }
        if let Some(before) = &changes.hide_messages_before {
            assignments.push(("hide_messages_before", Box::new(micros(before))));
        }
        if let Some(read) = &changes.read {
            assignments.push(("last_read_sequence", Box::new(read.sequence)));
            assignments.push(("last_read_at", Box::new(micros(&read.at))));
            assignments.push(("last_read_message_id", Box::new(read.message_id.clone())));
        }
        if let Some(updated_at) = &changes.updated_at {
            assignments.push(("updated_at", Box::new(micros(updated_at))));
        }
        self.update_columns("members", assignments, &["app_id", "cid", "user_id"], &[&app_id, &cid, &user_id]).await
    }

    async fn unhide_members(&mut self, app_id: i64, cid: &str, except_user_id: &str) -> CoreResult<Vec<String>> {
        let rows = self
            .rows(
                "UPDATE members SET hidden = FALSE WHERE app_id = $1 AND cid = $2 AND hidden AND user_id <> $3 \
                 RETURNING user_id",
                &[&app_id, &cid, &except_user_id],
            )
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    async fn reset_reads(&mut self, app_id: i64, cid: &str) -> CoreResult<()> {
        self.execute(
            "UPDATE channels SET read_floor = unread_sequence WHERE app_id = $1 AND cid = $2",
            &[&app_id, &cid],
        )
        .await?;
        Ok(())
    }

    async fn member_ids_among(&mut self, app_id: i64, cid: &str, user_ids: &[String]) -> CoreResult<Vec<String>> {
        let rows = self
            .rows(
                "SELECT user_id FROM members WHERE app_id = $1 AND cid = $2 AND user_id = ANY($3)",
                &[&app_id, &cid, &user_ids],
            )
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    async fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>> {
        let rows =
            self.rows("SELECT user_id, hidden FROM members WHERE app_id = $1 AND cid = $2", &[&app_id, &cid]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    async fn member_pages(
        &mut self,
        app_id: i64,
        cids: &[String],
        page: Page,
    ) -> CoreResult<HashMap<String, Vec<Member>>> {
        // One index range per channel (members_by_joined), in one round trip.
        let sql = format!(
            "SELECT l.* FROM unnest($2::text[]) AS s(cid) CROSS JOIN LATERAL (SELECT {MEMBER_COLUMNS} FROM members m \
             WHERE m.app_id = $1 AND m.cid = s.cid COLLATE \"C\" ORDER BY m.created_at, m.user_id LIMIT $3 OFFSET $4) l"
        );
        let rows = self.rows(&sql, &[&app_id, &cids, &(page.limit as i64), &(page.offset as i64)]).await?;
        let mut pages: HashMap<String, Vec<Member>> = HashMap::new();
        for row in &rows {
            let member = member_from_row(row, 0)?;
            pages.entry(member.cid.clone()).or_default().push(member);
        }
        // A join's rows come in no promised order: each page is put in its own.
        for members in pages.values_mut() {
            members.sort_by(|a, b| (a.created_at, &a.user_id).cmp(&(b.created_at, &b.user_id)));
        }
        Ok(pages)
    }
}

#[async_trait]
impl MessageRows for PgTx {
    async fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        Ok(self.messages_where("app_id = $1 AND id = $2", &[&app_id, &message_id]).await?.pop())
    }

    async fn message_for_update(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>> {
        Ok(self.messages_where("app_id = $1 AND id = $2 FOR UPDATE", &[&app_id, &message_id]).await?.pop())
    }

    async fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.messages_where("app_id = $1 AND id = ANY($2) ORDER BY created_at, id", &[&app_id, &message_ids]).await
    }

    async fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()> {
        let columns = message_columns(message)?;
        let mut params: Vec<Param<'_>> = vec![&app_id];
        params.extend(columns.iter().map(|value| value.as_ref() as Param<'_>));
        params.push(&message.sequence);
        let sql = format!("INSERT INTO messages (app_id, {MESSAGE_STORED}) VALUES ({})", placeholders(1..=26));
        match self.try_execute(&sql, &params).await {
            Ok(_) => self.index_message_text(app_id, &message.id, &message.text).await,
            Err(error) => Err(message_insert_error(error, &message.id)),
        }
    }

    async fn post_message(
        &mut self,
        app_id: i64,
        message: &mut Message,
        effects: PostEffects,
        at: DateTime<Utc>,
    ) -> CoreResult<Posted> {
        // One statement, so the channel's row is locked for one round trip and the commit. Its parts touch
        // different rows: the sender's membership and the others' hidden ones.
        let sql: &str = &POST_MESSAGE;
        let columns = message_columns(message)?;
        let (counts, at, text) = (i64::from(effects.counts_unread), micros(&at), message_index_text(&message.text));
        let (counted, month, shard) = match effects.counted_in {
            Some(MonthShard { month, shard }) => (true, month, shard),
            None => (false, 0, 0),
        };
        let mut params: Vec<Param<'_>> = vec![&app_id];
        params.extend(columns.iter().map(|value| value.as_ref() as Param<'_>));
        params.extend([
            &counts as Param<'_>,
            &effects.shows_in_channel,
            &at,
            &text,
            &effects.sender_is_member,
            &effects.unhide,
            &counted,
            &month,
            &shard,
        ]);
        let rows = self.try_rows(sql, &params).await.map_err(|error| message_insert_error(error, &message.id))?;
        let Some(row) = rows.first() else {
            return Err(CoreError::not_found(format!("channel {} does not exist", message.cid)));
        };
        let counters = ChannelCounters { message_count: row.try_get(0)?, unread_sequence: row.try_get(1)? };
        message.sequence = counters.unread_sequence;
        Ok(Posted { counters, unhidden: row.try_get(2)? })
    }

    async fn update_message_content(
        &mut self,
        app_id: i64,
        message_id: &str,
        content: &MessageContent,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET text = $1, html = $2, attachments = $3, mentioned_users = $4, data = $5, \
             silent = $6, text_updated_at = $7, updated_at = $8 WHERE app_id = $9 AND id = $10",
            &[
                &content.text,
                &content.html,
                &Jsonb(attachments_json(&content.attachments)?),
                &json_string(&content.mentioned_users),
                &Jsonb(data_json(&content.data, "message")?),
                &content.silent,
                &optional_micros(&content.text_updated_at),
                &micros(&content.updated_at),
                &app_id,
                &message_id,
            ],
        )
        .await?;
        self.index_message_text(app_id, message_id, &content.text).await
    }

    async fn set_pin(
        &mut self,
        app_id: i64,
        message_id: &str,
        pin: &MessagePin,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET pinned = $1, pinned_at = $2, pinned_by = $3, pin_expires = $4, updated_at = $5 \
             WHERE app_id = $6 AND id = $7",
            &[
                &pin.pinned,
                &optional_micros(&pin.pinned_at),
                &pin.pinned_by,
                &optional_micros(&pin.pin_expires),
                &micros(&updated_at),
                &app_id,
                &message_id,
            ],
        )
        .await?;
        Ok(())
    }

    async fn mark_message_deleted(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET type = 'deleted', deleted_at = COALESCE(deleted_at, $1), updated_at = $1 \
             WHERE app_id = $2 AND id = $3",
            &[&micros(&at), &app_id, &message_id],
        )
        .await?;
        Ok(())
    }

    async fn touch_message(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET updated_at = $1 WHERE app_id = $2 AND id = $3",
            &[&micros(&at), &app_id, &message_id],
        )
        .await?;
        Ok(())
    }

    async fn add_reply_counts(
        &mut self,
        app_id: i64,
        parent_id: &str,
        replies: i64,
        deleted_replies: i64,
    ) -> CoreResult<()> {
        self.execute(
            "UPDATE messages SET reply_count = GREATEST(reply_count + $1, 0), \
             deleted_reply_count = GREATEST(deleted_reply_count + $2, 0) WHERE app_id = $3 AND id = $4",
            &[&replies, &deleted_replies, &app_id, &parent_id],
        )
        .await?;
        Ok(())
    }

    async fn schedule_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "INSERT INTO user_purges (app_id, user_id, hard, before) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app_id, user_id) DO UPDATE SET hard = user_purges.hard OR excluded.hard, \
             before = GREATEST(user_purges.before, excluded.before)",
            &[&app_id, &user_id, &hard, &micros(&before)],
        )
        .await?;
        Ok(())
    }

    async fn messages_to_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        before: DateTime<Utc>,
        hard: bool,
        limit: usize,
    ) -> CoreResult<Vec<Message>> {
        let pending = if hard { "" } else { "AND deleted_at IS NULL" };
        self.messages_where(
            &format!("app_id = $1 AND user_id = $2 AND created_at <= $3 {pending} ORDER BY created_at LIMIT $4"),
            &[&app_id, &user_id, &micros(&before), &(limit as i64)],
        )
        .await
    }

    async fn finish_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()> {
        self.execute(
            "DELETE FROM user_purges WHERE app_id = $1 AND user_id = $2 AND hard = $3 AND before = $4",
            &[&app_id, &user_id, &hard, &micros(&before)],
        )
        .await?;
        Ok(())
    }

    async fn pending_user_purges(&mut self) -> CoreResult<Vec<UserPurge>> {
        let rows = self.rows("SELECT app_id, user_id, hard, before FROM user_purges", &[]).await?;
        rows.iter()
            .map(|row| {
                let before = time(row.try_get(3)?);
                Ok(UserPurge { app_id: row.try_get(0)?, user_id: row.try_get(1)?, hard: row.try_get(2)?, before })
            })
            .collect()
    }

    async fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()> {
        for sql in [
            "DELETE FROM message_words WHERE app_id = $1 AND message_id = $2",
            "DELETE FROM reactions WHERE app_id = $1 AND message_id = $2",
            "DELETE FROM reaction_totals WHERE app_id = $1 AND message_id = $2",
            "DELETE FROM messages WHERE app_id = $1 AND id = $2",
        ] {
            self.execute(sql, &[&app_id, &message_id]).await?;
        }
        Ok(())
    }

    async fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let scope = PageScope { column: "cid", key: cid, visible: "AND (parent_id IS NULL OR show_in_channel)" };
        self.message_page(app_id, scope, range, limit, sight).await
    }

    async fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let scope = PageScope { column: "parent_id", key: parent_id, visible: "" };
        self.message_page(app_id, scope, range, limit, sight).await
    }

    async fn has_message_since(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> CoreResult<bool> {
        self.exists(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE app_id = $1 AND cid = $2 AND created_at > $3 \
             AND user_id = $4)",
            &[&app_id, &cid, &micros(&since), &user_id],
        )
        .await
    }

    async fn pinned_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (since, all, reader) = (sight.since_micros(), sight.all_shadowed, sight.reader_id());
        let mut messages = self
            .messages_where(
                "app_id = $1 AND cid = $2 AND pinned AND deleted_at IS NULL AND created_at > $3 \
                 AND (NOT shadowed OR $5 OR user_id = $6) ORDER BY pinned_at DESC LIMIT $4",
                &[&app_id, &cid, &since, &(limit as i64), &all, &reader],
            )
            .await?;
        messages.reverse();
        Ok(messages)
    }

    async fn pinned_page(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &PinRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>> {
        let (after, before, order) = range.sql();
        let (from, to) = range.bounds();
        let (since, all, reader) = (sight.since_micros(), sight.all_shadowed, sight.reader_id());
        self.messages_where(
            &format!(
                "app_id = $1 AND cid = $2 AND pinned AND deleted_at IS NULL AND created_at > $3 \
                 AND pinned_at {after} $4 AND pinned_at {before} $5 AND (NOT shadowed OR $7 OR user_id = $8) \
                 ORDER BY {order} LIMIT $6"
            ),
            &[&app_id, &cid, &since, &from, &to, &(limit as i64), &all, &reader],
        )
        .await
    }

    async fn find_messages(&mut self, app_id: i64, query: &RowQuery) -> CoreResult<Vec<Message>> {
        let (sql, params) = render_select(&PostgresDialect, MESSAGE_COLUMNS, MESSAGES, app_id, query);
        self.rows_built(&sql, &params).await?.iter().map(message_from_row).collect()
    }

    async fn count_unread_from(
        &mut self,
        app_id: i64,
        cid: &str,
        from: (DateTime<Utc>, &str),
        reader: &str,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<i64> {
        let rows = self
            .rows(
                "SELECT COUNT(*) FROM messages WHERE app_id = $1 AND cid = $2 AND (created_at, id) >= ($3, $4) \
                 AND created_at > $5 AND user_id <> $6 AND NOT silent AND NOT shadowed \
                 AND type NOT IN ('system', 'error') AND (parent_id IS NULL OR show_in_channel)",
                &[&app_id, &cid, &micros(&from.0), &from.1, &since.as_ref().map_or(i64::MIN, micros), &reader],
            )
            .await?;
        Ok(rows.first().map(|row| row.try_get(0)).transpose()?.unwrap_or(0))
    }

    async fn thread_participants_of(
        &mut self,
        app_id: i64,
        parent_ids: &[String],
    ) -> CoreResult<HashMap<String, Vec<String>>> {
        let rows = self
            .rows(
                "SELECT parent_id, user_id FROM messages WHERE app_id = $1 AND parent_id = ANY($2) AND NOT shadowed \
                 GROUP BY parent_id, user_id ORDER BY parent_id, MIN(created_at)",
                &[&app_id, &parent_ids],
            )
            .await?;
        let mut participants: HashMap<String, Vec<String>> = HashMap::new();
        for row in &rows {
            participants.entry(row.try_get(0)?).or_default().push(row.try_get(1)?);
        }
        Ok(participants)
    }

    async fn latest_messages_of(
        &mut self,
        app_id: i64,
        scopes: &[ChannelScope],
        limit: usize,
        pinned: usize,
    ) -> CoreResult<HashMap<String, LatestMessages>> {
        // One index range per channel (messages_by_channel, messages_pinned) for each of the two pages: two round
        // trips for the whole list, as many rows as the pages hold.
        let cids: Vec<&str> = scopes.iter().map(|scope| scope.cid.as_str()).collect();
        let since: Vec<i64> = scopes.iter().map(|scope| scope.sight.since_micros()).collect();
        let all: Vec<bool> = scopes.iter().map(|scope| scope.sight.all_shadowed).collect();
        let readers: Vec<&str> = scopes.iter().map(|scope| scope.sight.reader_id()).collect();
        let mut latest: HashMap<String, LatestMessages> =
            scopes.iter().map(|scope| (scope.cid.clone(), LatestMessages::default())).collect();
        let lateral = |condition: &str, order: &str| {
            format!(
                "SELECT l.* FROM unnest($2::text[], $3::int8[], $5::bool[], $6::text[]) AS s(cid, since, all_shadowed, \
                 reader) CROSS JOIN LATERAL (SELECT {MESSAGE_COLUMNS} FROM messages WHERE app_id = $1 \
                 AND cid = s.cid COLLATE \"C\" AND created_at > s.since \
                 AND (NOT shadowed OR s.all_shadowed OR user_id = s.reader COLLATE \"C\") AND {condition} \
                 ORDER BY {order} LIMIT $4) l"
            )
        };
        if limit > 0 {
            let sql = lateral("(parent_id IS NULL OR show_in_channel)", "created_at DESC, id DESC");
            for row in self.rows(&sql, &[&app_id, &cids, &since, &(limit as i64), &all, &readers]).await? {
                let message = message_from_row(&row)?;
                latest.entry(message.cid.clone()).or_default().messages.push(message);
            }
        }
        if pinned > 0 {
            let sql = lateral("pinned AND deleted_at IS NULL", "pinned_at DESC");
            for row in self.rows(&sql, &[&app_id, &cids, &since, &(pinned as i64), &all, &readers]).await? {
                let message = message_from_row(&row)?;
                latest.entry(message.cid.clone()).or_default().pinned.push(message);
            }
        }
        // A join's rows come in no promised order: each page is put in its own.
        for page in latest.values_mut() {
            page.messages.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            page.pinned.sort_by_key(|message| message.pinned_at);
        }
        Ok(latest)
    }

    async fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>> {
        let rows = self
            .rows(
                "SELECT user_id FROM messages WHERE app_id = $1 AND parent_id = $2 AND NOT shadowed \
                 GROUP BY user_id ORDER BY MIN(created_at)",
                &[&app_id, &parent_id],
            )
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    async fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>> {
        Ok(self
            .reactions_where(
                "app_id = $1 AND message_id = $2 AND user_id = $3 AND type = $4",
                &[&app_id, &message_id, &user_id, &reaction_type],
            )
            .await?
            .pop())
    }

    async fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>> {
        self.reactions_where(
            "app_id = $1 AND message_id = $2 AND user_id = $3 ORDER BY created_at",
            &[&app_id, &message_id, &user_id],
        )
        .await
    }

    async fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()> {
        self.execute(
            &format!(
                "INSERT INTO reactions (app_id, {REACTION_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) \
                 ON CONFLICT (app_id, message_id, user_id, type) DO UPDATE SET score = excluded.score, \
                 data = excluded.data, created_at = excluded.created_at, updated_at = excluded.updated_at"
            ),
            &[
                &app_id,
                &reaction.message_id,
                &reaction.user_id,
                &reaction.reaction_type,
                &reaction.score,
                &Jsonb(data_json(&reaction.data, "reaction")?),
                &micros(&reaction.created_at),
                &micros(&reaction.updated_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<()> {
        self.execute(
            "DELETE FROM reactions WHERE app_id = $1 AND message_id = $2 AND user_id = $3 AND type = $4",
            &[&app_id, &message_id, &user_id, &reaction_type],
        )
        .await?;
        Ok(())
    }

    async fn add_reaction_totals(
        &mut self,
        app_id: i64,
        message_id: &str,
        reaction_type: &str,
        count: i64,
        score: i64,
    ) -> CoreResult<()> {
        self.execute(
            "INSERT INTO reaction_totals (app_id, message_id, type, count, score) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (app_id, message_id, type) DO UPDATE SET count = reaction_totals.count + excluded.count, \
             score = reaction_totals.score + excluded.score",
            &[&app_id, &message_id, &reaction_type, &count, &score],
        )
        .await?;
        self.execute(
            "DELETE FROM reaction_totals WHERE app_id = $1 AND message_id = $2 AND type = $3 AND count <= 0",
            &[&app_id, &message_id, &reaction_type],
        )
        .await?;
        Ok(())
    }

    async fn reactions(
        &mut self,
        app_id: i64,
        message_id: &str,
        limit: usize,
        offset: usize,
    ) -> CoreResult<Vec<Reaction>> {
        self.reactions_where(
            "app_id = $1 AND message_id = $2 ORDER BY created_at DESC, user_id LIMIT $3 OFFSET $4",
            &[&app_id, &message_id, &(limit as i64), &(offset as i64)],
        )
        .await
    }

    async fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>> {
        // As on SQLite: one query per page of messages, ranked per message, with the newest reaction of each type
        // (`type_rank = 1`) so that every type gets its group.
        let sql = format!(
            "SELECT {REACTION_COLUMNS}, rank, first_at, last_at FROM ( \
               SELECT r.*, ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY created_at DESC, user_id) AS rank, \
                 ROW_NUMBER() OVER (PARTITION BY message_id, type ORDER BY created_at DESC, user_id) AS type_rank, \
                 MIN(created_at) OVER (PARTITION BY message_id, type) AS first_at, \
                 MAX(created_at) OVER (PARTITION BY message_id, type) AS last_at \
               FROM reactions r WHERE app_id = $1 AND message_id = ANY($2) \
             ) AS ranked WHERE rank <= $3 OR user_id = $4 OR type_rank = 1 ORDER BY created_at DESC, user_id"
        );
        let mut result: HashMap<String, MessageReactions> = HashMap::new();
        if message_ids.is_empty() {
            return Ok(result);
        }
        let rows = self.rows(&sql, &[&app_id, &message_ids, &(latest as i64), &viewer.unwrap_or("")]).await?;
        for row in rows {
            let ranked = RankedReaction {
                reaction: reaction_from_row(&row)?,
                rank: row.try_get(7)?,
                first_at: row.try_get(8)?,
                last_at: row.try_get(9)?,
            };
            collect_reaction(&mut result, ranked, viewer, latest);
        }
        Ok(result)
    }
}
