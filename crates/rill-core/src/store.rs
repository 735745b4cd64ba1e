//! The store: a row-level transaction interface ([`Tx`]) that each backend implements, and the async [`Store`]
//! facade that runs operations (`crate::ops`) on a backend.
//!
//! Operations are written once, as async functions over `&mut dyn Tx`; a backend decides how to run them.
//! SQLite runs every write on one writer thread and commits concurrent writes together (group commit), so
//! durability costs one fsync per batch rather than one per message; its methods never wait, so the writer
//! drives each operation's future to completion in place. Reads run on a small pool of read connections.

pub mod sqlite;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::{App, AppSettings, Channel, Member, Message, MessageReactions, Reaction, UnreadTotals, User};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rill_protocol::limits::{MAX_ATTACHMENTS_BYTES, MAX_CUSTOM_DEPTH};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::oneshot;

/// One object's stored data as JSON text, refused (code 4) when it is over the limits of
/// `rill_protocol::limits` (size, depth, key length). Every backend writes data through this function, so no row
/// can be stored that could not be read back: a value nested thousands of levels deep would overflow the stack
/// of whoever serializes or parses it.
pub fn data_json(data: &Map<String, Value>, what: &str) -> CoreResult<String> {
    rill_protocol::limits::check_custom_data(data, what).map_err(CoreError::input)?;
    Ok(serde_json::to_string(data)?)
}

/// A message's attachments as JSON text, within [`MAX_ATTACHMENTS_BYTES`] and the custom data depth.
pub fn attachments_json(attachments: &[Value]) -> CoreResult<String> {
    let depth = attachments.iter().map(rill_protocol::limits::value_depth).max().unwrap_or(0);
    if depth > MAX_CUSTOM_DEPTH {
        return Err(CoreError::input(format!(
            "attachments are nested {depth} levels deep: the limit is {MAX_CUSTOM_DEPTH}"
        )));
    }
    let json = serde_json::to_string(attachments)?;
    if json.len() > MAX_ATTACHMENTS_BYTES {
        return Err(CoreError::input(format!(
            "attachments have {} bytes as JSON: the limit is {MAX_ATTACHMENTS_BYTES}",
            json.len()
        )));
    }
    Ok(json)
}

/// Where a page of messages starts.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageRange {
    /// The newest messages.
    Latest,
    /// Messages older than a point (`id_lt`, `id_lte`).
    Before { at: DateTime<Utc>, id: String, inclusive: bool },
    /// Messages newer than a point (`id_gt`, `id_gte`).
    After { at: DateTime<Utc>, id: String, inclusive: bool },
}

/// One transaction's rows. Every method is scoped to one app: no method can reach another app's rows, which is
/// how apps stay isolated. The methods are grouped by aggregate, one trait each; `Tx` is all of them.
pub trait Tx: AppRows + UserRows + ChannelRows + MessageRows + Send {}

impl<T: AppRows + UserRows + ChannelRows + MessageRows + Send> Tx for T {}

/// Apps and their settings.
#[async_trait]
pub trait AppRows: Send {
    async fn insert_app(&mut self, app: &App) -> CoreResult<()>;
    async fn apps(&mut self) -> CoreResult<Vec<App>>;
    async fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()>;
}

/// Users, their memberships as seen from the user, and their unread totals.
#[async_trait]
pub trait UserRows: Send {
    async fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>>;
    async fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>>;
    async fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>>;
    async fn put_user(&mut self, app_id: i64, user: &User) -> CoreResult<()>;
    async fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()>;
    /// The channels a user is a member of, with the membership.
    async fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>>;
    /// Unread totals across all channels of each named user.
    async fn unread_totals(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<HashMap<String, UnreadTotals>>;
}

/// Channels and their members.
#[async_trait]
pub trait ChannelRows: Send {
    async fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>>;
    async fn put_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<()>;
    async fn delete_channel(&mut self, app_id: i64, cid: &str) -> CoreResult<()>;
    /// Every channel of the app (server-side queries; admins).
    async fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>>;
    /// The live channels of one type (`livestream`: open to every user).
    async fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>>;
    /// The live channels a user created.
    async fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>>;
    async fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>>;
    /// Members in join order.
    async fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>>;
    async fn put_member(&mut self, app_id: i64, member: &Member) -> CoreResult<()>;
    async fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<()>;
    async fn delete_members(&mut self, app_id: i64, cid: &str) -> CoreResult<()>;
    /// Stores the activity fields a new message changes (`last_message_at`, counts, `unread_sequence`).
    async fn record_message(&mut self, app_id: i64, channel: &Channel) -> CoreResult<()>;
    /// Stores a member's read position and hidden flag.
    async fn mark_member_read(&mut self, app_id: i64, member: &Member) -> CoreResult<()>;
    /// Member ids with whether each has the channel hidden: the cheap list fan-out and un-hiding need.
    async fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>>;
}

/// Messages and their reactions.
#[async_trait]
pub trait MessageRows: Send {
    async fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>>;
    async fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>>;
    /// Fails with code 4 when the id is taken.
    async fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()>;
    async fn update_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()>;
    async fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()>;
    /// Channel messages (thread replies only with `show_in_channel`), ascending, newer than `since` if given.
    async fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Replies of a thread, ascending, newer than `since` if given.
    async fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Whether the user posted in the channel after `since` (slow mode). Scans the channel's messages since then
    /// by the channel index: with slow mode on, that is at most one message per active sender.
    async fn has_message_since(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> CoreResult<bool>;
    /// Pinned messages of a channel created after `since` if given, newest pin last.
    async fn pinned_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Deletes (hard) or blanks (soft) the channel's messages created at or before `before`; returns how many.
    async fn truncate_messages(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<usize>;
    /// Messages of the given channels, newest first, for search.
    async fn search_candidates(&mut self, app_id: i64, cids: &[String], limit: usize) -> CoreResult<Vec<Message>>;
    /// Messages that count as unread for `reader` from a point on (inclusive) in a channel: not the reader's own,
    /// not silent, system or shadowed, not thread replies hidden from the channel, newer than `since`.
    async fn count_unread_from(
        &mut self,
        app_id: i64,
        cid: &str,
        from: (DateTime<Utc>, &str),
        reader: &str,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<i64>;
    /// Distinct authors of a thread's replies, oldest first.
    async fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>>;
    async fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>>;
    async fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>>;
    async fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()>;
    async fn delete_reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<()>;
    /// Newest first.
    async fn reactions(
        &mut self,
        app_id: i64,
        message_id: &str,
        limit: usize,
        offset: usize,
    ) -> CoreResult<Vec<Reaction>>;
    /// Latest (up to `latest`) and the viewer's own reactions, per message.
    async fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>>;
}

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An operation a backend runs in a transaction. `run` may be called again on a fresh transaction when the
/// last attempt failed to serialize (PostgreSQL); `finish` is called once, with the commit's result.
pub trait Job: Send {
    fn run<'t>(&'t mut self, tx: &'t mut dyn Tx) -> BoxFuture<'t, CoreResult<()>>;
    fn finish(self: Box<Self>, result: CoreResult<()>);
}

/// What a backend must offer: transactions to run write jobs in (committed, durably, before their `finish`)
/// and read jobs in (a consistent snapshot each).
pub trait Backend: Send + Sync {
    fn submit_write(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()>;
    fn submit_read(&self, job: Box<dyn Job>) -> BoxFuture<'_, ()>;
}

/// One call of [`Store::write`] or [`Store::read`]: the operation, its input (lent to each attempt) and where
/// its result goes.
struct Operation<I, T, F> {
    input: I,
    operation: F,
    value: Option<T>,
    reply: Option<oneshot::Sender<CoreResult<T>>>,
}

impl<I, T, F> Job for Operation<I, T, F>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    F: for<'t> Fn(&'t mut dyn Tx, &'t I) -> BoxFuture<'t, CoreResult<T>> + Send + 'static,
{
    fn run<'t>(&'t mut self, tx: &'t mut dyn Tx) -> BoxFuture<'t, CoreResult<()>> {
        let Operation { input, operation, value, .. } = self;
        Box::pin(async move {
            *value = Some(operation(tx, input).await?);
            Ok(())
        })
    }

    fn finish(mut self: Box<Self>, result: CoreResult<()>) {
        let outcome = result.and_then(|()| {
            self.value.take().ok_or_else(|| CoreError::internal("a store operation finished without a value"))
        });
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(outcome);
        }
    }
}

/// The async face of the store that the transport uses.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
}

impl Store {
    pub fn new(backend: Arc<dyn Backend>, clock: Arc<dyn Clock>) -> Store {
        Store { backend, clock }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Runs `operation` with `input` in a write transaction and returns its result once the transaction is
    /// durable. An operation that fails leaves nothing behind, even when it shares a commit with others; it may
    /// run more than once (each attempt in a fresh transaction) when a backend retries a serialization failure,
    /// so it must not act outside the transaction.
    pub async fn write<I, T, F>(&self, input: I, operation: F) -> CoreResult<T>
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t mut dyn Tx, &'t I) -> BoxFuture<'t, CoreResult<T>> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.backend.submit_write(Box::new(Operation { input, operation, value: None, reply: Some(reply) })).await;
        receiver.await.map_err(|_| CoreError::internal("the write was dropped by the store (see the log)"))?
    }

    /// Runs `operation` with `input` in a read transaction.
    pub async fn read<I, T, F>(&self, input: I, operation: F) -> CoreResult<T>
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t mut dyn Tx, &'t I) -> BoxFuture<'t, CoreResult<T>> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.backend.submit_read(Box::new(Operation { input, operation, value: None, reply: Some(reply) })).await;
        receiver.await.map_err(|_| CoreError::internal("the read was dropped by the store (see the log)"))?
    }
}
