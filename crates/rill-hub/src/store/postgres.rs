//! The Hub on PostgreSQL: the engine's database (and schema, when `--database-schema` names one), the Hub's
//! `hub_` tables beside the engine's, a small pool of connections, one transaction per job in a task of its own
//! (a caller that goes away does not cut a transaction short). Writes run at READ COMMITTED, with the rows that
//! decide a change locked (`Tx::for_update`); reads at REPEATABLE READ READ ONLY, one snapshot per job.

use crate::error::{HubError, HubResult};
use crate::store::{Answer, Backend, Cell, Job, Mode, Param, Row, Tx};
use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::FutureExt as _;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_initial.sql")),
    (2, include_str!("../../migrations/postgres/0002_chat_token_months.sql")),
    (3, include_str!("../../migrations/postgres/0003_sign_in_limits.sql")),
];

/// The advisory lock that keeps two processes from migrating the Hub's tables at once (not the engine's).
const MIGRATION_LOCK: i64 = 0x4855_4221;

pub(crate) fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(version, _)| *version).collect()
}

impl From<tokio_postgres::Error> for HubError {
    fn from(error: tokio_postgres::Error) -> HubError {
        if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            return HubError::conflict("conflict", "the row exists");
        }
        match error.as_db_error() {
            Some(db) => HubError::internal(format!("postgres: {}: {}", db.code().code(), db.message())),
            None => HubError::internal(format!("postgres: {error}")),
        }
    }
}

fn valid_schema_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

struct Pool {
    config: tokio_postgres::Config,
    schema: Option<String>,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
}

/// A connection lent to one job; back to the pool only when its transaction ended cleanly.
struct Lease {
    client: Option<Client>,
    pool: Arc<Pool>,
    reusable: bool,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if self.reusable && !client.is_closed() {
                self.pool.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(client);
            }
        }
    }
}

impl Pool {
    async fn lease(self: &Arc<Pool>) -> HubResult<Lease> {
        let permit =
            self.permits.clone().acquire_owned().await.map_err(|_| HubError::internal("the Hub's pool is closed"))?;
        let idle = loop {
            let next = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
            match next {
                Some(client) if client.is_closed() => continue,
                other => break other,
            }
        };
        let client = match idle {
            Some(client) => client,
            None => self.connect().await?,
        };
        Ok(Lease { client: Some(client), pool: self.clone(), reusable: false, _permit: permit })
    }

    async fn connect(&self) -> HubResult<Client> {
        // The error never carries the password, and the URL is never logged.
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|error| HubError::internal(format!("cannot connect to PostgreSQL: {error}")))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "a Hub PostgreSQL connection closed with an error");
            }
        });
        if let Some(schema) = &self.schema {
            // Checked to be [a-z0-9_]+ when the backend was made.
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}")).await?;
        }
        let synchronous: String = client.query_one("SHOW synchronous_commit", &[]).await?.try_get(0)?;
        if synchronous == "off" {
            client.batch_execute("SET synchronous_commit TO on").await?;
        }
        Ok(client)
    }
}

pub(crate) struct PostgresBackend {
    pool: Arc<Pool>,
}

impl PostgresBackend {
    pub(crate) async fn connect(
        url: &str,
        schema: Option<String>,
        max_connections: usize,
    ) -> HubResult<PostgresBackend> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|error| HubError::bad_request("invalid_database_url", format!("the database URL: {error}")))?;
        if config.get_application_name().is_none() {
            config.application_name("rill-hub");
        }
        if let Some(schema) = &schema {
            if !valid_schema_name(schema) {
                return Err(HubError::bad_request(
                    "invalid_schema",
                    format!("{schema:?} is not a schema name (a-z, 0-9, _)"),
                ));
            }
        }
        let permits = Arc::new(Semaphore::new(max_connections.max(1)));
        let pool = Arc::new(Pool { config, schema, idle: Mutex::new(Vec::new()), permits });
        let backend = PostgresBackend { pool };
        backend.migrate().await?;
        Ok(backend)
    }

    async fn migrate(&self) -> HubResult<()> {
        let mut lease = self.pool.lease().await?;
        let client = lease.client.as_ref().ok_or_else(|| HubError::internal("an empty lease"))?;
        client.batch_execute("BEGIN").await?;
        let result = async {
            client.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
            client.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT NOT NULL)").await?;
            let current: i64 =
                client.query_one("SELECT COALESCE(MAX(version), 0) FROM hub_schema", &[]).await?.try_get(0)?;
            for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current) {
                client.batch_execute(sql).await?;
                client.execute("DELETE FROM hub_schema", &[]).await?;
                client.execute("INSERT INTO hub_schema (version) VALUES ($1)", &[version]).await?;
            }
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(error) = result {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(error.into());
        }
        lease.reusable = true;
        Ok(())
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    async fn run(&self, mode: Mode, job: Job) -> HubResult<Answer> {
        let begin = match mode {
            Mode::Write => "BEGIN",
            Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let pool = self.pool.clone();
        tokio::spawn(async move { run_once(&pool, job, begin).await })
            .await
            .map_err(|_| HubError::internal("a Hub store task failed"))?
    }
}

async fn run_once(pool: &Arc<Pool>, job: Job, begin: &str) -> HubResult<Answer> {
    let lease = pool.lease().await?;
    let mut tx = PgTx { lease };
    tx.client()?.batch_execute(begin).await?;
    let Ok(result) = AssertUnwindSafe(job(&mut tx)).catch_unwind().await else {
        tracing::error!("a Hub store job panicked; its changes are rolled back");
        // The lease is dropped unusable: closing the connection rolls the transaction back.
        return Err(HubError::internal("a Hub store job panicked"));
    };
    let ended = match &result {
        Ok(_) => tx.client()?.batch_execute("COMMIT").await,
        Err(_) => tx.client()?.batch_execute("ROLLBACK").await,
    };
    ended?;
    tx.lease.reusable = true;
    result
}

struct PgTx {
    lease: Lease,
}

impl PgTx {
    fn client(&self) -> HubResult<&Client> {
        self.lease.client.as_ref().ok_or_else(|| HubError::internal("an empty lease"))
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...` (the Hub's SQL has no `?` inside literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut number = 0;
    for character in sql.chars() {
        if character == '?' {
            number += 1;
            out.push_str(&format!("${number}"));
        } else {
            out.push(character);
        }
    }
    out
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(value) if *ty == Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
            Param::Int(value) => value.to_sql(ty, out),
            Param::Text(text) => text.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME)
    }

    to_sql_checked!();
}

fn cell(row: &tokio_postgres::Row, index: usize) -> HubResult<Cell> {
    let ty = row.columns()[index].type_().clone();
    let cell = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Cell::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(index)?.map(|value| Cell::Int(value.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(index)?.map(|value| Cell::Int(value.into())),
        _ => row.try_get::<_, Option<String>>(index)?.map(Cell::Text),
    };
    Ok(cell.unwrap_or(Cell::Null))
}

#[async_trait]
impl Tx for PgTx {
    async fn query(&mut self, sql: &str, params: &[Param]) -> HubResult<Vec<Row>> {
        let references: Vec<&(dyn ToSql + Sync)> = params.iter().map(|param| param as &(dyn ToSql + Sync)).collect();
        let rows = self.client()?.query(&numbered(sql), &references).await?;
        rows.iter()
            .map(|row| (0..row.len()).map(|index| cell(row, index)).collect::<HubResult<Vec<_>>>().map(Row))
            .collect()
    }

    async fn execute(&mut self, sql: &str, params: &[Param]) -> HubResult<u64> {
        let references: Vec<&(dyn ToSql + Sync)> = params.iter().map(|param| param as &(dyn ToSql + Sync)).collect();
        Ok(self.client()?.execute(&numbered(sql), &references).await?)
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }
}
