//! The store: a row-level transaction interface ([`Tx`]) that each backend implements, and the async [`Store`]
//! facade that runs operations (`crate::ops`) on a backend.
//!
//! Operations are written once, synchronously, against `&mut dyn Tx`; a backend decides how to run them. SQLite
//! runs every write on one writer thread and commits concurrent writes together (group commit), so durability
//! costs one fsync per batch rather than one per message. Reads run on a small pool of read connections.

pub mod sqlite;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::{App, AppSettings, Channel, Member, Message, MessageReactions, Reaction, UnreadTotals, User};
use chrono::{DateTime, Utc};
use rill_protocol::limits::{MAX_ATTACHMENTS_BYTES, MAX_CUSTOM_DEPTH};
use serde_json::{Map, Value};
use std::collections::HashMap;
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

/// Row-level access inside one transaction. Every method is scoped to one app: no method can reach another app's
/// rows, which is how apps stay isolated.
pub trait Tx {
    fn insert_app(&mut self, app: &App) -> CoreResult<()>;
    fn apps(&mut self) -> CoreResult<Vec<App>>;
    fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()>;

    fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>>;
    fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>>;
    fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>>;
    fn put_user(&mut self, app_id: i64, user: &User) -> CoreResult<()>;
    fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()>;

    fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>>;
    fn put_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<()>;
    fn delete_channel(&mut self, app_id: i64, cid: &str) -> CoreResult<()>;
    /// Every channel of the app (server-side queries; admins).
    fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>>;
    /// The live channels of one type (`livestream`: open to every user).
    fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>>;
    /// The live channels a user created.
    fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>>;
    /// The channels a user is a member of, with the membership.
    fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>>;

    fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>>;
    /// Members in join order.
    fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>>;
    fn put_member(&mut self, app_id: i64, member: &Member) -> CoreResult<()>;
    fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<()>;
    fn delete_members(&mut self, app_id: i64, cid: &str) -> CoreResult<()>;
    /// Stores the activity fields a new message changes (`last_message_at`, counts, `unread_sequence`).
    fn record_message(&mut self, app_id: i64, channel: &Channel) -> CoreResult<()>;
    /// Stores a member's read position and hidden flag.
    fn mark_member_read(&mut self, app_id: i64, member: &Member) -> CoreResult<()>;
    /// Member ids with whether each has the channel hidden: the cheap list fan-out and un-hiding need.
    fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>>;
    /// Unread totals across all channels of each named user.
    fn unread_totals(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<HashMap<String, UnreadTotals>>;

    fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>>;
    fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>>;
    /// Fails with code 4 when the id is taken.
    fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()>;
    fn update_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()>;
    fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()>;
    /// Channel messages (thread replies only with `show_in_channel`), ascending, newer than `since` if given.
    fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Replies of a thread, ascending, newer than `since` if given.
    fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Whether the user posted in the channel after `since` (slow mode). Scans the channel's messages since then
    /// by the channel index: with slow mode on, that is at most one message per active sender.
    fn has_message_since(&mut self, app_id: i64, cid: &str, user_id: &str, since: DateTime<Utc>) -> CoreResult<bool>;
    /// Pinned messages of a channel created after `since` if given, newest pin last.
    fn pinned_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        limit: usize,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<Vec<Message>>;
    /// Deletes (hard) or blanks (soft) the channel's messages created at or before `before`; returns how many.
    fn truncate_messages(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<usize>;
    /// Messages of the given channels, newest first, for search.
    fn search_candidates(&mut self, app_id: i64, cids: &[String], limit: usize) -> CoreResult<Vec<Message>>;
    /// Messages that count as unread for `reader` from a point on (inclusive) in a channel: not the reader's own,
    /// not silent, system or shadowed, not thread replies hidden from the channel, newer than `since`.
    fn count_unread_from(
        &mut self,
        app_id: i64,
        cid: &str,
        from: (DateTime<Utc>, &str),
        reader: &str,
        since: Option<DateTime<Utc>>,
    ) -> CoreResult<i64>;
    /// Distinct authors of a thread's replies, oldest first.
    fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>>;

    fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>>;
    fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>>;
    fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()>;
    fn delete_reaction(&mut self, app_id: i64, message_id: &str, user_id: &str, reaction_type: &str) -> CoreResult<()>;
    /// Newest first.
    fn reactions(&mut self, app_id: i64, message_id: &str, limit: usize, offset: usize) -> CoreResult<Vec<Reaction>>;
    /// Latest (up to `latest`) and the viewer's own reactions, per message.
    fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>>;
}

/// What runs once a job's commit is known.
pub type Completion = Box<dyn FnOnce(CoreResult<()>) + Send>;
/// A job handed to a backend: it runs inside a transaction and returns what to do once the commit is known.
/// It receives the transaction, or the error that kept one from starting.
pub type Job = Box<dyn FnOnce(Result<&mut dyn Tx, CoreError>) -> (bool, Completion) + Send>;

/// What a backend must offer: somewhere to run write jobs (committed, durably, before their completion runs) and
/// read jobs.
pub trait Backend: Send + Sync {
    fn submit_write(&self, job: Job);
    fn submit_read(&self, job: Job);
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

    /// Runs `operation` in a write transaction and returns its result once the transaction is durable. An
    /// operation that fails leaves nothing behind, even when it shares a commit with others.
    pub async fn write<T, F>(&self, operation: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tx) -> CoreResult<T> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.backend.submit_write(Box::new(move |tx: Result<&mut dyn Tx, CoreError>| {
            let result = tx.and_then(operation);
            let succeeded = result.is_ok();
            let completion: Completion = Box::new(move |commit: CoreResult<()>| {
                let _ = sender.send(commit.and(result));
            });
            (succeeded, completion)
        }));
        receiver.await.map_err(|_| CoreError::internal("the write was dropped by the store (see the log)"))?
    }

    /// Runs `operation` on a read connection.
    pub async fn read<T, F>(&self, operation: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tx) -> CoreResult<T> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.backend.submit_read(Box::new(move |tx: Result<&mut dyn Tx, CoreError>| {
            let result = tx.and_then(operation);
            let completion: Completion = Box::new(move |_| {
                let _ = sender.send(result);
            });
            (true, completion)
        }));
        receiver.await.map_err(|_| CoreError::internal("the read was dropped by the store (see the log)"))?
    }
}
