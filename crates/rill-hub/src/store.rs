//! The Hub's store: its own `hub_` tables, on SQLite (`DATA_DIR/hub.db`) or PostgreSQL (the engine's database,
//! beside the engine's tables, which the Hub never reads).
//!
//! Every operation is one transaction. The SQL is written once, in [`rows`], over the small [`Tx`] trait (run a
//! statement with plain parameters, read plain cells); each backend implements `Tx` and runs jobs its way:
//! SQLite on one writer thread (so writes are serialized) and two reader threads, PostgreSQL on a small pool of
//! connections. The Hub's traffic is sign-ins and admin changes, so one statement shape for both is worth more
//! than per-backend tuning.

pub(crate) mod postgres;
pub(crate) mod rows;
pub(crate) mod sqlite;
pub mod testing;
#[cfg(test)]
mod tests;

use crate::error::{HubError, HubResult};
use crate::model::{AuditEntry, Link, Member, MemberChanges, NewAudit, Project, ProjectChanges, Session, Setting};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use rill_core::secret::{SealingKey, Secret};
use std::any::Any;
use std::path::Path;
use std::sync::Arc;

/// The SQLite file of the Hub inside a data directory, beside the engine's `rill.db`.
pub const DATABASE_FILE: &str = "hub.db";

/// Where the Hub's rows are.
#[derive(Debug, Clone)]
pub enum HubDatabase {
    /// `DATA_DIR/hub.db`.
    Sqlite,
    /// The same database (and schema, if one is named) as the engine's `--database-url`.
    Postgres { url: String, schema: Option<String>, max_connections: usize },
}

/// A statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Null,
    Int(i64),
    Text(String),
}

impl From<&str> for Param {
    fn from(text: &str) -> Param {
        Param::Text(text.to_owned())
    }
}

impl From<&String> for Param {
    fn from(text: &String) -> Param {
        Param::Text(text.clone())
    }
}

impl From<String> for Param {
    fn from(text: String) -> Param {
        Param::Text(text)
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Int(value)
    }
}

impl From<DateTime<Utc>> for Param {
    fn from(at: DateTime<Utc>) -> Param {
        Param::Int(at.timestamp_micros())
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(value: Option<T>) -> Param {
        value.map_or(Param::Null, Into::into)
    }
}

/// A cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// A result row, read by position.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Cell>);

impl Row {
    fn cell(&self, index: usize) -> HubResult<&Cell> {
        self.0.get(index).ok_or_else(|| HubError::internal(format!("no column {index}")))
    }

    pub(crate) fn text(&self, index: usize) -> HubResult<String> {
        self.optional_text(index)?.ok_or_else(|| HubError::internal(format!("column {index} is null")))
    }

    pub(crate) fn optional_text(&self, index: usize) -> HubResult<Option<String>> {
        match self.cell(index)? {
            Cell::Null => Ok(None),
            Cell::Text(text) => Ok(Some(text.clone())),
            Cell::Int(_) => Err(HubError::internal(format!("column {index} is not text"))),
        }
    }

    pub(crate) fn int(&self, index: usize) -> HubResult<i64> {
        self.optional_int(index)?.ok_or_else(|| HubError::internal(format!("column {index} is null")))
    }

    pub(crate) fn optional_int(&self, index: usize) -> HubResult<Option<i64>> {
        match self.cell(index)? {
            Cell::Null => Ok(None),
            Cell::Int(value) => Ok(Some(*value)),
            Cell::Text(_) => Err(HubError::internal(format!("column {index} is not an integer"))),
        }
    }

    pub(crate) fn time(&self, index: usize) -> HubResult<DateTime<Utc>> {
        time(self.int(index)?)
    }

    pub(crate) fn optional_time(&self, index: usize) -> HubResult<Option<DateTime<Utc>>> {
        self.optional_int(index)?.map(time).transpose()
    }
}

fn time(micros: i64) -> HubResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| HubError::internal(format!("bad time {micros}")))
}

/// One transaction of either backend. Statements use `?` placeholders; PostgreSQL's backend numbers them.
#[async_trait]
pub(crate) trait Tx: Send {
    async fn query(&mut self, sql: &str, params: &[Param]) -> HubResult<Vec<Row>>;
    async fn execute(&mut self, sql: &str, params: &[Param]) -> HubResult<u64>;
    /// `" FOR UPDATE"` where the backend locks rows read to be rewritten (PostgreSQL), else nothing (SQLite,
    /// whose single writer already serializes every write).
    fn for_update(&self) -> &'static str;
}

/// What a job returns, its type erased so that the backends stay object-safe.
pub(crate) type Answer = Box<dyn Any + Send>;
pub(crate) type Job = Box<dyn for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, HubResult<Answer>> + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
}

#[async_trait]
pub(crate) trait Backend: Send + Sync {
    /// Runs the job in one transaction, committed when it succeeds (and only then answered) and rolled back when
    /// it fails or panics.
    async fn run(&self, mode: Mode, job: Job) -> HubResult<Answer>;
}

/// The Hub's store. Cheap to clone.
#[derive(Clone)]
pub struct HubStore {
    backend: Arc<dyn Backend>,
    key: Arc<SealingKey>,
}

/// Opens the Hub's store next to the engine's: `DATA_DIR/hub.db`, or the PostgreSQL database of `--database-url`;
/// migrates it. Secrets in settings are sealed with the data directory's `secret.key` (created if missing).
pub async fn open(data_dir: &Path, database: &HubDatabase) -> HubResult<HubStore> {
    sqlite::prepare_data_dir(data_dir)?;
    let key = SealingKey::load_or_create(data_dir)?;
    open_with_key(data_dir, database, key).await
}

/// [`open`] with a given sealing key.
pub async fn open_with_key(data_dir: &Path, database: &HubDatabase, key: SealingKey) -> HubResult<HubStore> {
    let backend: Arc<dyn Backend> = match database {
        HubDatabase::Sqlite => Arc::new(sqlite::SqliteBackend::open(&data_dir.join(DATABASE_FILE))?),
        HubDatabase::Postgres { url, schema, max_connections } => {
            Arc::new(postgres::PostgresBackend::connect(url, schema.clone(), *max_connections).await?)
        }
    };
    Ok(HubStore { backend, key: Arc::new(key) })
}

/// The versions of the migrations each backend runs, for the check that both run the same ones.
pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
    (sqlite::migration_versions(), postgres::migration_versions())
}

/// The binding a sealed setting is tied to: a sealed value copied to another key does not open.
fn setting_binding(key: &str) -> String {
    format!("hub_settings:{key}")
}

impl HubStore {
    async fn run<T, F>(&self, mode: Mode, work: F) -> HubResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, HubResult<T>> + Send + 'static,
    {
        let job: Job =
            Box::new(move |tx| Box::pin(async move { work(tx).await.map(|value| Box::new(value) as Answer) }));
        let answer = self.backend.run(mode, job).await?;
        answer.downcast::<T>().map(|value| *value).map_err(|_| HubError::internal("a job answered the wrong type"))
    }

    async fn write<T, F>(&self, work: F) -> HubResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, HubResult<T>> + Send + 'static,
    {
        self.run(Mode::Write, work).await
    }

    async fn read<T, F>(&self, work: F) -> HubResult<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, HubResult<T>> + Send + 'static,
    {
        self.run(Mode::Read, work).await
    }

    // Members.

    /// Adds a member; `email_taken` (409) when a member who is not removed has the same email in any case.
    pub async fn insert_member(&self, member: Member) -> HubResult<()> {
        self.write(move |tx| Box::pin(async move { rows::insert_member(tx, &member).await })).await
    }

    /// A member who is not removed.
    pub async fn member(&self, id: &str) -> HubResult<Option<Member>> {
        let id = id.to_owned();
        self.read(move |tx| Box::pin(async move { rows::member(tx, &id).await })).await
    }

    /// The member (not removed) with this email, in any case.
    pub async fn member_by_email(&self, email: &str) -> HubResult<Option<Member>> {
        let key = crate::model::email_key(email);
        self.read(move |tx| Box::pin(async move { rows::member_by_email(tx, &key).await })).await
    }

    /// Members who are not removed, by email.
    pub async fn members(&self) -> HubResult<Vec<Member>> {
        self.read(|tx| Box::pin(rows::members(tx))).await
    }

    /// Removed members, most recently removed first.
    pub async fn former_members(&self) -> HubResult<Vec<Member>> {
        self.read(|tx| Box::pin(rows::former_members(tx))).await
    }

    /// Changes a member's name or role; `None` when there is no such member, `last_admin` (409) when it would
    /// leave the workspace without an admin.
    pub async fn update_member(&self, id: &str, changes: MemberChanges) -> HubResult<Option<Member>> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(async move { rows::update_member(tx, &id, &changes).await })).await
    }

    /// Sets a member's password hash; false when there is no such member.
    pub async fn set_password(&self, id: &str, hash: Secret) -> HubResult<bool> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(async move { rows::set_password(tx, &id, &hash).await })).await
    }

    /// Marks a member removed and, in the same transaction, ends their sessions, voids their links and takes them
    /// out of every project. `None` when there is no such member; `last_admin` (409) for the last admin.
    pub async fn remove_member(&self, id: &str, at: DateTime<Utc>) -> HubResult<Option<Member>> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(async move { rows::remove_member(tx, &id, at).await })).await
    }

    // Sessions.

    pub async fn insert_session(&self, session: Session) -> HubResult<()> {
        self.write(move |tx| Box::pin(async move { rows::insert_session(tx, &session).await })).await
    }

    /// The session with this token hash and its member, if it has not expired at `now` and the member is not
    /// removed.
    pub async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<(Session, Member)>> {
        let token_hash = token_hash.to_owned();
        self.read(move |tx| Box::pin(async move { rows::session(tx, &token_hash, now).await })).await
    }

    /// Ends a session; false when there was none.
    pub async fn delete_session(&self, token_hash: &str) -> HubResult<bool> {
        let token_hash = token_hash.to_owned();
        self.write(move |tx| Box::pin(async move { rows::delete_session(tx, &token_hash).await })).await
    }

    /// Deletes sessions and links that expired before `now`; how many rows went.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> HubResult<u64> {
        self.write(move |tx| Box::pin(rows::delete_expired(tx, now))).await
    }

    // One-time links.

    pub async fn insert_link(&self, link: Link) -> HubResult<()> {
        self.write(move |tx| Box::pin(async move { rows::insert_link(tx, &link).await })).await
    }

    /// A link that can still be used at `now` (unused, unexpired, its member not removed).
    pub async fn usable_link(&self, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<Link>> {
        let token_hash = token_hash.to_owned();
        self.read(move |tx| Box::pin(async move { rows::usable_link(tx, &token_hash, now).await })).await
    }

    /// Uses a link once: marks it used and, in the same transaction, sets the member's password when one is
    /// given. `None` when the link is unknown, used, expired, or its member removed; two callers racing for one
    /// link get one member between them.
    pub async fn consume_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        password_hash: Option<Secret>,
    ) -> HubResult<Option<(Link, Member)>> {
        let token_hash = token_hash.to_owned();
        self.write(move |tx| {
            Box::pin(async move { rows::consume_link(tx, &token_hash, now, password_hash.as_ref()).await })
        })
        .await
    }

    // Projects.

    /// Adds a project; `name_taken` (409) for a name in use in any case, `unknown_member` (400) for a member id
    /// that is not a current member.
    pub async fn insert_project(&self, project: Project) -> HubResult<()> {
        self.write(move |tx| Box::pin(async move { rows::insert_project(tx, &project).await })).await
    }

    pub async fn project(&self, id: &str) -> HubResult<Option<Project>> {
        let id = id.to_owned();
        self.read(move |tx| Box::pin(async move { rows::project(tx, &id).await })).await
    }

    pub async fn project_by_name(&self, name: &str) -> HubResult<Option<Project>> {
        let key = crate::model::project_key(name);
        self.read(move |tx| Box::pin(async move { rows::project_by_name(tx, &key).await })).await
    }

    /// Every project, by name.
    pub async fn projects(&self) -> HubResult<Vec<Project>> {
        self.read(|tx| Box::pin(rows::projects(tx))).await
    }

    /// Changes a project; `None` when there is no such project.
    pub async fn update_project(
        &self,
        id: &str,
        changes: ProjectChanges,
        at: DateTime<Utc>,
    ) -> HubResult<Option<Project>> {
        let id = id.to_owned();
        self.write(move |tx| Box::pin(async move { rows::update_project(tx, &id, &changes, at).await })).await
    }

    // Settings.

    /// A settings row, its secret opened.
    pub async fn setting(&self, key: &str) -> HubResult<Option<Setting>> {
        let name = key.to_owned();
        let stored = self.read(move |tx| Box::pin(async move { rows::setting(tx, &name).await })).await?;
        let Some((value, sealed, updated_at)) = stored else { return Ok(None) };
        let secret = sealed.map(|sealed| self.key.open(&sealed, &setting_binding(key))).transpose()?;
        Ok(Some(Setting { value: serde_json::from_str(&value)?, secret, updated_at }))
    }

    /// Writes a settings row; its secret is sealed, bound to the row's key.
    pub async fn put_setting(
        &self,
        key: &str,
        value: &serde_json::Value,
        secret: Option<&Secret>,
        at: DateTime<Utc>,
    ) -> HubResult<()> {
        let sealed = secret.map(|secret| self.key.seal(secret, &setting_binding(key))).transpose()?;
        let (key, value) = (key.to_owned(), value.to_string());
        self.write(move |tx| Box::pin(async move { rows::put_setting(tx, &key, &value, sealed, at).await })).await
    }

    /// Slides a session's expiry forward to `expires_at` (never back).
    pub async fn extend_session(&self, token_hash: &str, expires_at: DateTime<Utc>) -> HubResult<bool> {
        let hash = token_hash.to_owned();
        self.write(move |tx| Box::pin(async move { rows::extend_session(tx, &hash, expires_at).await })).await
    }

    // Sign-in limits.

    /// Counts a sign-in attempt against each key; each key's `(attempts, window_start)` after it.
    pub async fn count_sign_in_attempt(
        &self,
        keys: Vec<String>,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> HubResult<Vec<(i64, DateTime<Utc>)>> {
        let window_micros = window.num_microseconds().unwrap_or(i64::MAX);
        self.write(move |tx| Box::pin(async move { rows::count_sign_in_attempt(tx, &keys, window_micros, now).await }))
            .await
    }

    /// Takes back a successful attempt: the account's count ends, the address's (if given) goes down by one.
    pub async fn forgive_sign_in(&self, account_key: String, address_key: Option<String>) -> HubResult<()> {
        self.write(move |tx| {
            Box::pin(async move { rows::forgive_sign_in(tx, &account_key, address_key.as_deref()).await })
        })
        .await
    }

    /// Drops sign-in counts whose window started before `before`.
    pub async fn prune_sign_in_limits(&self, before: DateTime<Utc>) -> HubResult<u64> {
        self.write(move |tx| Box::pin(async move { rows::prune_sign_in_limits(tx, before).await })).await
    }

    // The usage estimate.

    /// Records that the member got a chat token in `month` (`YYYY-MM`); true the first time that month.
    pub async fn note_chat_token(&self, month: &str, member_id: &str, at: DateTime<Utc>) -> HubResult<bool> {
        let (month, member_id) = (month.to_owned(), member_id.to_owned());
        self.write(move |tx| Box::pin(async move { rows::note_chat_token(tx, &month, &member_id, at).await })).await
    }

    /// How many members got a chat token in `month`.
    pub async fn chat_tokens_in(&self, month: &str) -> HubResult<u64> {
        let month = month.to_owned();
        self.read(move |tx| Box::pin(async move { rows::chat_tokens_in(tx, &month).await })).await
    }

    // Audit.

    /// Appends an audit line; its id.
    pub async fn append_audit(&self, entry: NewAudit) -> HubResult<i64> {
        self.write(move |tx| Box::pin(async move { rows::append_audit(tx, &entry).await })).await
    }

    /// The latest audit lines, newest first.
    pub async fn audit(&self, limit: u32) -> HubResult<Vec<AuditEntry>> {
        self.read(move |tx| Box::pin(rows::audit(tx, limit))).await
    }

    // First run.

    /// On a store without a workspace: creates it (the `workspace` settings row), its first admin and that
    /// admin's one-time link, in one transaction. False (and nothing written) when a workspace exists.
    pub async fn initialize(&self, workspace: serde_json::Value, admin: Member, link: Link) -> HubResult<bool> {
        let value = workspace.to_string();
        self.write(move |tx| Box::pin(async move { rows::initialize(tx, &value, &admin, &link).await })).await
    }
}
