//! The store: a row-level transaction interface ([`Tx`]) that each backend implements, and the async [`Store`]
//! facade that runs operations (`crate::ops`) on a backend.
//!
//! Operations are written once, as async functions over `&mut dyn Tx`; a backend decides how to run them.
//! SQLite runs every write on one writer thread and commits concurrent writes together (group commit), so
//! durability costs one fsync per batch rather than one per message; its methods never wait, so the writer
//! drives each operation's future to completion in place. Reads run on a small pool of read connections.

pub(crate) mod codec;
pub mod postgres;
pub mod selection;
pub mod sqlite;
pub mod testing;
#[cfg(test)]
mod tests;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::{
    App, AppSettings, Ban, Blocklist, Channel, ChannelMute, Device, Flag, Member, Message, MessageReactions, PushKind,
    PushProvider, Reaction, UnreadTotals, Upload, User, UserMute,
};
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
///
/// Writes change the columns they name, never a whole row; counters change by an amount in SQL (`SET n = n +
/// ?`), never by writing back a value read earlier; rows that operations read and then rewrite (a user's, a
/// channel's or a message's custom data) are read `..._for_update`, which locks them until the commit on a
/// backend with concurrent writers. So operations stay correct when transactions run concurrently at
/// PostgreSQL's default isolation, as they do on SQLite's single writer.
pub trait Tx:
    AppRows
    + UserRows
    + ChannelRows
    + MessageRows
    + ModerationRows
    + UsageRows
    + OutboxRows
    + UploadRows
    + DeviceRows
    + PushRows
    + BlocklistRows
    + Maintenance
    + Send
{
}

/// Upkeep of the database itself, across apps.
#[async_trait]
pub trait Maintenance: Send {
    /// Refreshes the statistics the query planner chooses indexes by (tables that grew much since they were
    /// last analyzed, or never were). Cost: a read of those tables' indexes; run it rarely, and after loading
    /// much data at once.
    async fn refresh_statistics(&mut self) -> CoreResult<()>;
}

impl<
        T: AppRows
            + UserRows
            + ChannelRows
            + MessageRows
            + ModerationRows
            + UsageRows
            + OutboxRows
            + UploadRows
            + DeviceRows
            + PushRows
            + BlocklistRows
            + Maintenance
            + Send,
    > Tx for T
{
}

/// Devices registered for push.
#[async_trait]
pub trait DeviceRows: Send {
    /// Registers a device for its user: a new token is added; a token the user has already changes nothing but
    /// its provider fields (and is enabled again); another user's token moves to this user.
    async fn put_device(&mut self, app_id: i64, device: &Device) -> CoreResult<()>;
    /// The user's devices, oldest first. Cost: the user's devices (an index range).
    async fn devices_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Device>>;
    /// Removes one of the user's devices; whether it was theirs.
    async fn delete_device(&mut self, app_id: i64, user_id: &str, id: &str) -> CoreResult<bool>;
    /// The enabled devices of these users, for a push fan-out. Cost: one index range per user.
    async fn push_devices(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<Device>>;
    /// Marks a device disabled (its provider refused the token): it stays listed, and receives nothing until it
    /// is registered again. Whether the device exists.
    async fn disable_device(&mut self, app_id: i64, id: &str, reason: &str) -> CoreResult<bool>;
    /// The enabled devices of a channel's members, by owner. Cost: the channel's members, with an index lookup
    /// of each one's devices.
    async fn channel_push_devices(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Device>>;
    /// Which of `user_ids` muted the channel or the sender, as of `now`. Cost: two primary-key lookups per user.
    async fn muted_for_push(
        &mut self,
        app_id: i64,
        cid: &str,
        sender_id: &str,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<String>>;
}

/// Blocklists by name.
#[async_trait]
pub trait BlocklistRows: Send {
    /// Stores a blocklist, replacing the one of that name (its `created_at` stays).
    async fn put_blocklist(&mut self, app_id: i64, blocklist: &Blocklist) -> CoreResult<()>;
    /// The blocklist of that name. Cost: a primary-key lookup (and its words).
    async fn blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<Option<Blocklist>>;
    /// The app's blocklists by name. Cost: the app's blocklists.
    async fn blocklists(&mut self, app_id: i64) -> CoreResult<Vec<Blocklist>>;
    /// Removes a blocklist; whether there was one.
    async fn delete_blocklist(&mut self, app_id: i64, name: &str) -> CoreResult<bool>;
}

/// Push configurations (credentials sealed at rest) and the record of pushes settled per message and device.
#[async_trait]
pub trait PushRows: Send {
    /// Stores a provider, replacing the one of the same kind and name.
    async fn put_push_provider(&mut self, app_id: i64, provider: &PushProvider) -> CoreResult<()>;
    /// The app's providers, the app-level ones (name '') first. Cost: the app's providers.
    async fn push_providers(&mut self, app_id: i64) -> CoreResult<Vec<PushProvider>>;
    /// Removes a provider; whether there was one.
    async fn delete_push_provider(&mut self, app_id: i64, kind: PushKind, name: &str) -> CoreResult<bool>;
    /// Records the pushes of a message settled for these devices (`outcome`: `sent`, `unregistered`, `rejected`).
    async fn settle_pushes(
        &mut self,
        app_id: i64,
        message_id: &str,
        settled: &[(String, String)],
        at: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// The devices whose push of this message is settled. Cost: that message's rows (primary-key range).
    async fn settled_pushes(&mut self, app_id: i64, message_id: &str) -> CoreResult<Vec<String>>;
    /// Forgets settled pushes older than `before`, at most `limit`; how many. Cost: those rows, by time.
    async fn delete_settled_pushes(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize>;
}

/// Uploaded files and images (their rows; the bytes are blobs the server keeps).
#[async_trait]
pub trait UploadRows: Send {
    async fn insert_upload(&mut self, app_id: i64, upload: &Upload) -> CoreResult<()>;
    /// The upload with this token. Cost: a primary-key lookup.
    async fn upload(&mut self, app_id: i64, token: &str) -> CoreResult<Option<Upload>>;
    /// Removes the named uploads of `user_id` in `cid` (those of a message's attachments); the removed ones.
    /// Cost: one primary-key lookup per token.
    async fn delete_uploads(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        tokens: &[String],
    ) -> CoreResult<Vec<Upload>>;
    /// Whether any upload of the app still names this blob, as its bytes or its thumbnail. Cost: two index lookups.
    async fn blob_in_use(&mut self, app_id: i64, hash: &str) -> CoreResult<bool>;
}

/// What an outbox job delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// An event POSTed to a webhook URL.
    Webhook,
    /// A new message's push notifications (its recipients are found when the job runs).
    Push,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Webhook => "webhook",
            JobKind::Push => "push",
        }
    }

    pub fn parse(text: &str) -> Option<JobKind> {
        match text {
            "webhook" => Some(JobKind::Webhook),
            "push" => Some(JobKind::Push),
            _ => None,
        }
    }
}

/// A job for the outbox, written in the transaction of the change that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: JobKind,
    /// Stays the same on every attempt (a webhook's `X-Webhook-Id`), so receivers can drop repeats.
    pub delivery_id: String,
    /// Where it goes (a webhook's URL).
    pub target: String,
    pub timeout_ms: i64,
    pub event_type: String,
    pub body: String,
}

/// A job leased to a worker: `lease` names the claim, and only that claim may finish or return the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxJob {
    pub id: i64,
    pub app_id: i64,
    pub kind: String,
    pub delivery_id: String,
    pub target: String,
    pub timeout_ms: i64,
    pub event_type: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// This attempt's number: 1 for the first.
    pub attempt: i64,
    pub lease: String,
}

/// An app's outbox as an operator sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    /// Jobs waiting for an attempt or in one.
    pub pending: u64,
    /// Jobs that ran out of attempts (kept until the retention sweep).
    pub failed: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// The latest failures, newest first.
    pub failures: Vec<FailedJob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedJob {
    pub id: i64,
    pub kind: String,
    pub event_type: String,
    pub target: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: DateTime<Utc>,
}

/// The durable outbox of deliveries (webhooks). A job is due when its `available_at` has come; a claim leases it
/// by moving that time to the lease's end, so a worker that dies leaves its jobs to be claimed again then.
#[async_trait]
pub trait OutboxRows: Send {
    /// Adds jobs, due at `now`. Cost: one row each.
    async fn enqueue_jobs(&mut self, app_id: i64, jobs: &[NewJob], now: DateTime<Utc>) -> CoreResult<()>;
    /// Leases up to `limit` due jobs of any app, the longest due first, to the claim `lease` until `until`, and
    /// counts the attempt. Concurrent claims never lease one job twice (PostgreSQL skips rows another claim has
    /// locked). Cost: the leased rows (a range of the due index).
    async fn claim_jobs(
        &mut self,
        lease: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<Vec<OutboxJob>>;
    /// Deletes a delivered job if the claim still holds it; whether it did.
    async fn finish_job(&mut self, id: i64, lease: &str) -> CoreResult<bool>;
    /// Keeps a job leased until `until` (a long push fan-out renews its lease as it goes); whether the claim
    /// still held it.
    async fn renew_lease(&mut self, id: i64, lease: &str, until: DateTime<Utc>) -> CoreResult<bool>;
    /// Returns a job after a failed attempt, due again at `at`, with the attempt's error; whether the claim still
    /// held it.
    async fn retry_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool>;
    /// Marks a job failed for good (out of attempts, or refused by its receiver).
    async fn fail_job(&mut self, id: i64, lease: &str, at: DateTime<Utc>, error: &str) -> CoreResult<bool>;
    /// The app's backlog and its latest `failures`. Cost: the app's rows in the outbox.
    async fn outbox_summary(&mut self, app_id: i64, failures: usize) -> CoreResult<OutboxSummary>;
    /// Deletes up to `limit` jobs of any app that failed before `before`; how many.
    async fn delete_failed_jobs(&mut self, before: DateTime<Utc>, limit: usize) -> CoreResult<usize>;
}

/// Monthly usage against the app's plan; `month` is YYYYMM (UTC).
#[async_trait]
pub trait UsageRows: Send {
    /// Whether the user was already active in the month. Cost: a primary-key lookup.
    async fn is_active_in(&mut self, app_id: i64, month: i64, user_id: &str) -> CoreResult<bool>;
    /// Takes the month's admission lock (the shard-0 message row, created if missing) until the commit, so
    /// that concurrent admissions of new active users count one after another.
    async fn lock_month(&mut self, app_id: i64, month: i64) -> CoreResult<()>;
    /// The month's active users. Cost: their count (a primary-key range), at most the plan's limit when
    /// one is enforced.
    async fn active_user_count(&mut self, app_id: i64, month: i64) -> CoreResult<u64>;
    /// Records the user as active in the month (first seen at `at`); whether they were not yet.
    async fn add_active_user(&mut self, app_id: i64, month: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<bool>;
    /// Adds one message to the month's count, in `shard`.
    async fn add_month_message(&mut self, app_id: i64, month: i64, shard: i64) -> CoreResult<()>;
    /// The month's message count (the sum of its shards). Cost: the shards' rows.
    async fn month_messages(&mut self, app_id: i64, month: i64) -> CoreResult<u64>;
}

/// Bans (app-wide, scope `None`, or in one channel), flags and channel mutes.
#[async_trait]
pub trait ModerationRows: ChannelRows + Send {
    /// The user's membership of a channel and their ban there that holds at `now`: what a viewer's standing
    /// needs. The default asks twice; a backend whose queries cost a round trip answers in one.
    async fn member_and_ban(
        &mut self,
        app_id: i64,
        cid: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<(Option<Member>, Option<Ban>)> {
        let member = self.member(app_id, cid, user_id).await?;
        let ban = self.bans_of(app_id, user_id, &[cid.to_owned()], now).await?.pop();
        Ok((member, ban))
    }
    /// Stores a ban, replacing the user's ban in the same scope. An app-wide ban is also written to the user's
    /// row (`banned` or `shadow_banned`, and `ban_expires`).
    async fn put_ban(&mut self, app_id: i64, ban: &Ban) -> CoreResult<()>;
    /// Lifts the user's ban in the scope (clearing the user's row for an app-wide one); the ban there was.
    async fn delete_ban(&mut self, app_id: i64, user_id: &str, channel_cid: Option<&str>) -> CoreResult<Option<Ban>>;
    /// The user's bans in these channels that hold at `now`. Cost: a primary-key lookup per channel.
    async fn bans_of(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<Ban>>;
    /// The bans in these channels of these users that hold at `now` (for members shown). Cost: a primary-key
    /// lookup per user and channel.
    async fn channel_bans(
        &mut self,
        app_id: i64,
        cids: &[String],
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<Ban>>;
    /// The bans a query selects (see [`selection`]; app-wide bans have `channel_cid` ''). Cost: the index range
    /// the condition names (by time, by channel or by user), plus the page.
    async fn find_bans(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<Ban>>;
    /// The channel bans `created_by` made with `ban_from_future_channels`, holding at `now`. Cost: theirs, by a
    /// partial index.
    async fn future_bans_by(&mut self, app_id: i64, created_by: &str, now: DateTime<Utc>) -> CoreResult<Vec<Ban>>;
    /// Removes every ban in a channel (it was deleted). Cost: its bans, by the channel index.
    async fn delete_channel_bans(&mut self, app_id: i64, cid: &str) -> CoreResult<usize>;
    /// Stores a new flag; `false` (and nothing written) when the reporter already flagged that target.
    async fn insert_flag(&mut self, app_id: i64, flag: &Flag) -> CoreResult<bool>;
    /// Removes the reporter's flag of a target (`kind` `message` or `user`); the flag there was.
    async fn delete_flag(
        &mut self,
        app_id: i64,
        kind: &str,
        target_id: &str,
        user_id: &str,
    ) -> CoreResult<Option<Flag>>;
    /// The flags a query selects (see [`selection`]). Cost: the index range the condition names (by kind and
    /// time, or by channel and time), plus the page.
    async fn find_flags(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<Flag>>;
    /// A message was deleted at `at`: its flags say so, and with `review` (a moderator or a server call deleted
    /// it; the moderator's id if any) those not yet reviewed are reviewed and rejected. Cost: the message's
    /// flags (primary-key range).
    async fn close_message_flags(
        &mut self,
        app_id: i64,
        message_id: &str,
        at: DateTime<Utc>,
        review: Option<Option<&str>>,
    ) -> CoreResult<usize>;
    /// Stores a channel mute, or renews it (its expiry and `updated_at`; `created_at` stays).
    async fn put_channel_mute(&mut self, app_id: i64, mute: &ChannelMute) -> CoreResult<()>;
    /// Removes a channel mute; whether there was one.
    async fn delete_channel_mute(&mut self, app_id: i64, user_id: &str, cid: &str) -> CoreResult<bool>;
    /// The user's channel mutes that hold at `now` (all, or those among `cids`), oldest first. Cost: the user's
    /// mutes (primary-key range).
    async fn channel_mutes(
        &mut self,
        app_id: i64,
        user_id: &str,
        cids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<ChannelMute>>;
    /// Removes channel mutes that ran out by `now`, in every app, at most `limit`; how many. Cost: those rows,
    /// by the expiry index.
    async fn delete_expired_channel_mutes(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize>;
    /// Clears app-wide bans that ran out by `now` from the users' rows, in every app, at most `limit`; how many.
    /// Cost: those rows, by the expiry index.
    async fn clear_expired_user_bans(&mut self, now: DateTime<Utc>, limit: usize) -> CoreResult<usize>;
}

/// An app as `create_app` stores it; the store assigns its id.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: String,
    pub api_key: String,
    pub api_secret: crate::secret::Secret,
    pub settings: AppSettings,
    pub created_at: DateTime<Utc>,
}

/// Apps and their settings.
#[async_trait]
pub trait AppRows: Send {
    /// Stores a new app under the next app id (from 1,000,001, as a sequence: never reused).
    async fn create_app(&mut self, app: &NewApp) -> CoreResult<App>;
    async fn apps(&mut self) -> CoreResult<Vec<App>>;
    /// Locks the app's row until the commit, so that a read-modify-write of its settings sees every earlier
    /// change and none lands between its read and its write.
    async fn lock_app(&mut self, app_id: i64) -> CoreResult<()>;
    async fn update_app_settings(&mut self, app_id: i64, settings: &AppSettings) -> CoreResult<()>;
}

/// Users, their memberships as seen from the user, and their unread totals.
#[async_trait]
pub trait UserRows: Send {
    async fn user(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>>;
    /// The user, locked until the commit: for read-modify-write of their data.
    async fn user_for_update(&mut self, app_id: i64, user_id: &str) -> CoreResult<Option<User>>;
    async fn users(&mut self, app_id: i64, user_ids: &[String]) -> CoreResult<Vec<User>>;
    async fn all_users(&mut self, app_id: i64) -> CoreResult<Vec<User>>;
    /// The users a query selects (see [`selection`]). Cost: the page plus the index ranges the condition names
    /// (a word prefix, an id list); a condition on custom data alone reads every user of the app.
    async fn find_users(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<User>>;
    /// Creates the user unless one with the id exists; whether it did.
    async fn insert_user_if_absent(&mut self, app_id: i64, user: &User) -> CoreResult<bool>;
    /// Creates the user, or replaces the profile of the existing one (role, data, revocation, `updated_at`;
    /// undeleting it), keeping what the profile does not own (`created_at`, `last_active`, deactivation, bans).
    /// `unique_name` is the name to hold unique in the app, when the app enforces unique usernames (a taken one
    /// fails with code 6).
    async fn upsert_user(&mut self, app_id: i64, user: &User, unique_name: Option<&str>) -> CoreResult<()>;
    /// Whether another user of the app has this name.
    async fn user_name_taken(&mut self, app_id: i64, name: &str, except_user_id: &str) -> CoreResult<bool>;
    async fn set_last_active(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()>;
    async fn set_deactivated(
        &mut self,
        app_id: i64,
        user_id: &str,
        deactivated_at: Option<DateTime<Utc>>,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()>;
    async fn mark_user_deleted(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()>;
    async fn delete_user(&mut self, app_id: i64, user_id: &str) -> CoreResult<()>;
    /// The channels a user is a member of, with the membership.
    async fn memberships(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<(Channel, Member)>>;
    /// Marks every channel of the user read, up to each channel's newest message.
    async fn mark_all_read(&mut self, app_id: i64, user_id: &str, at: DateTime<Utc>) -> CoreResult<()>;
    /// Stores a mute, or renews it (its expiry and `updated_at`; `created_at` stays).
    async fn put_user_mute(&mut self, app_id: i64, mute: &UserMute) -> CoreResult<()>;
    /// Removes a mute; whether there was one.
    async fn delete_user_mute(&mut self, app_id: i64, user_id: &str, target_id: &str) -> CoreResult<bool>;
    /// The user's mutes that have not expired at `now`, oldest first. Cost: the user's mutes (primary key range).
    async fn user_mutes(&mut self, app_id: i64, user_id: &str, now: DateTime<Utc>) -> CoreResult<Vec<UserMute>>;
    /// Unread totals across all channels of each named user, leaving out the channels they muted (as of `now`).
    async fn unread_totals(
        &mut self,
        app_id: i64,
        user_ids: &[String],
        now: DateTime<Utc>,
    ) -> CoreResult<HashMap<String, UnreadTotals>>;
}

/// Columns of a channel an update changes; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelChanges {
    pub data: Option<Map<String, Value>>,
    pub frozen: Option<bool>,
    pub disabled: Option<bool>,
    pub team: Option<Option<String>>,
    pub cooldown: Option<i64>,
    pub truncated_at: Option<DateTime<Utc>>,
    /// Clears `last_message_at` (a truncation).
    pub clear_last_message_at: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ChannelChanges {
    /// The columns `after` changes of `before` (the counters are not among them: they change by amounts).
    pub fn between(before: &Channel, after: &Channel) -> ChannelChanges {
        let differs = |same: bool| !same;
        ChannelChanges {
            data: differs(before.data == after.data).then(|| after.data.clone()),
            frozen: differs(before.frozen == after.frozen).then_some(after.frozen),
            disabled: differs(before.disabled == after.disabled).then_some(after.disabled),
            team: differs(before.team == after.team).then(|| after.team.clone()),
            cooldown: differs(before.cooldown == after.cooldown).then_some(after.cooldown),
            truncated_at: if before.truncated_at == after.truncated_at { None } else { after.truncated_at },
            clear_last_message_at: before.last_message_at.is_some() && after.last_message_at.is_none(),
            updated_at: differs(before.updated_at == after.updated_at).then_some(after.updated_at),
        }
    }
}

/// A channel's counters right after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelCounters {
    pub message_count: i64,
    pub unread_sequence: i64,
}

/// Columns of a membership an update changes; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChanges {
    pub channel_role: Option<String>,
    pub data: Option<Map<String, Value>>,
    pub hidden: Option<bool>,
    pub hide_messages_before: Option<DateTime<Utc>>,
    pub read: Option<ReadPosition>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl MemberChanges {
    /// The columns `after` changes of `before`.
    pub fn between(before: &Member, after: &Member) -> MemberChanges {
        let read_changed = before.last_read_sequence != after.last_read_sequence
            || before.last_read_at != after.last_read_at
            || before.last_read_message_id != after.last_read_message_id;
        MemberChanges {
            channel_role: (before.channel_role != after.channel_role).then(|| after.channel_role.clone()),
            data: (before.data != after.data).then(|| after.data.clone()),
            hidden: (before.hidden != after.hidden).then_some(after.hidden),
            hide_messages_before: if before.hide_messages_before == after.hide_messages_before {
                None
            } else {
                after.hide_messages_before
            },
            read: read_changed.then(|| ReadPosition {
                sequence: after.last_read_sequence,
                at: after.last_read_at,
                message_id: after.last_read_message_id.clone(),
            }),
            updated_at: (before.updated_at != after.updated_at).then_some(after.updated_at),
        }
    }
}

/// Where a member has read up to.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPosition {
    pub sequence: i64,
    pub at: DateTime<Utc>,
    pub message_id: Option<String>,
}

/// Channels and their members.
#[async_trait]
pub trait ChannelRows: Send {
    async fn channel(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>>;
    /// Whether any channel (deleted ones whose rows remain included) is of this type. Cost: one seek of the
    /// primary key, since a cid begins with its type.
    async fn channel_type_in_use(&mut self, app_id: i64, channel_type: &str) -> CoreResult<bool>;
    /// The channel, locked until the commit: for read-modify-write of its data.
    async fn channel_for_update(&mut self, app_id: i64, cid: &str) -> CoreResult<Option<Channel>>;
    /// Stores a new channel unless one with the cid exists (a concurrent creation); whether it did.
    async fn insert_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool>;
    async fn update_channel(&mut self, app_id: i64, cid: &str, changes: &ChannelChanges) -> CoreResult<()>;
    /// Counts a new message: one more message, one more that counts toward unread when `counts_unread`, and
    /// `last_message_at` when it shows in the channel. Returns the counters after the change.
    async fn count_message(
        &mut self,
        app_id: i64,
        cid: &str,
        counts_unread: bool,
        shows_in_channel: bool,
        at: DateTime<Utc>,
    ) -> CoreResult<ChannelCounters>;
    /// Deletes a channel as its readers see it: marks it deleted (every read of channels and memberships leaves
    /// deleted channels out) and schedules its messages, then its memberships, for purging
    /// ([`ChannelRows::purge_messages`], [`ChannelRows::purge_members`]). Cost: one row.
    async fn mark_channel_deleted(&mut self, app_id: i64, cid: &str, at: DateTime<Utc>) -> CoreResult<()>;
    /// Brings back a deleted channel as `channel` (a new one under the same cid): its old messages, not purged
    /// yet, stay hidden behind its truncation at the time it was deleted; its old memberships, not purged yet,
    /// are removed (cost: as many as are left). Whether a deleted channel was there.
    async fn revive_channel(&mut self, app_id: i64, channel: &Channel) -> CoreResult<bool>;
    /// Removes up to `limit` memberships of a deleted channel (none of a live one); how many. Cost: `limit` rows.
    async fn purge_members(&mut self, app_id: i64, cid: &str, limit: usize) -> CoreResult<usize>;
    /// Schedules the removal of a channel's messages created up to `before` (a hard truncation).
    async fn schedule_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()>;
    /// Removes up to `limit` of the channel's messages created up to `before`, with their reactions and index
    /// entries; how many. Cost: `limit` messages.
    async fn purge_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        before: DateTime<Utc>,
        limit: usize,
    ) -> CoreResult<usize>;
    /// Ends a purge that found nothing more to remove: clears `purge_before` (unless a later purge was scheduled
    /// meanwhile) and removes a deleted channel's row.
    async fn finish_purge(&mut self, app_id: i64, cid: &str, before: DateTime<Utc>) -> CoreResult<()>;
    /// Every scheduled purge of every app, for the task that resumes them after a restart: with [`AppRows::apps`]
    /// the only reads across apps.
    async fn pending_purges(&mut self) -> CoreResult<Vec<(i64, String, DateTime<Utc>)>>;
    /// Every channel of the app (server-side queries; admins).
    async fn all_channels(&mut self, app_id: i64) -> CoreResult<Vec<Channel>>;
    /// The channels a query selects (see [`selection`]), as `c`. Cost: the page plus the index ranges the
    /// condition names (the viewer's memberships, a member list, a cid list).
    async fn find_channels(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<Channel>>;
    /// The live channels of one type (`livestream`: open to every user).
    async fn channels_of_type(&mut self, app_id: i64, channel_type: &str) -> CoreResult<Vec<Channel>>;
    /// The live channels a user created.
    async fn channels_created_by(&mut self, app_id: i64, user_id: &str) -> CoreResult<Vec<Channel>>;
    async fn member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>>;
    /// Members in join order.
    async fn members(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<Member>>;
    /// The memberships a query selects (see [`selection`]), as `mb`. Cost: the page plus the index ranges the
    /// condition names (a channel's members in the order they joined).
    async fn find_members(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<Member>>;
    /// Adds a member unless the user is one already (and counts it in `member_count`); whether it did.
    async fn insert_member(&mut self, app_id: i64, member: &Member) -> CoreResult<bool>;
    /// Removes every membership of a user (uncounting each from its channel): a user deleted for good. Cost: the
    /// user's memberships, in two statements whatever their number.
    async fn delete_memberships_of(&mut self, app_id: i64, user_id: &str) -> CoreResult<usize>;
    /// Removes a member (and uncounts it); the membership removed, if there was one.
    async fn delete_member(&mut self, app_id: i64, cid: &str, user_id: &str) -> CoreResult<Option<Member>>;
    async fn update_member(&mut self, app_id: i64, cid: &str, user_id: &str, changes: &MemberChanges)
        -> CoreResult<()>;
    /// Shows the channel again to the members who had hidden it, except `except_user_id`; returns who they are.
    /// Costs as many rows as were hidden, whatever the channel's size.
    async fn unhide_members(&mut self, app_id: i64, cid: &str, except_user_id: &str) -> CoreResult<Vec<String>>;
    /// Leaves nothing unread for any member (a truncation): the channel's `read_floor` moves to its current
    /// sequence. Cost: one row, however many members.
    async fn reset_reads(&mut self, app_id: i64, cid: &str) -> CoreResult<()>;
    /// Member ids with whether each has the channel hidden: the cheap list fan-out needs.
    async fn member_ids(&mut self, app_id: i64, cid: &str) -> CoreResult<Vec<(String, bool)>>;
    /// Which of these users are members of a channel. Cost: one primary-key probe per user.
    async fn member_ids_among(&mut self, app_id: i64, cid: &str, user_ids: &[String]) -> CoreResult<Vec<String>>;
    /// A page of each channel's members in the order they joined, by cid (channels without members are left
    /// out). Cost: the page per channel. The default asks channel by channel; a backend whose queries cost a
    /// round trip answers in one.
    async fn member_pages(
        &mut self,
        app_id: i64,
        cids: &[String],
        page: selection::Page,
    ) -> CoreResult<HashMap<String, Vec<Member>>> {
        let mut pages = HashMap::new();
        for cid in cids {
            let members =
                self.find_members(app_id, &selection::members_of(cid, selection::Condition::True, page)).await?;
            if !members.is_empty() {
                pages.insert(cid.clone(), members);
            }
        }
        Ok(pages)
    }
}

/// One channel's messages as one viewer sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelScope {
    pub cid: String,
    pub sight: Sight,
}

/// Which messages a reader sees: those created after `since` (a truncation or the reader's hidden history), if
/// given; and of the shadowed ones (a shadow-banned sender's), only the reader's own, or all for a server call.
/// Shadowed messages are rare, so a page filtered so in SQL still reads about as many rows as it returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sight {
    pub since: Option<DateTime<Utc>>,
    pub reader: Option<String>,
    pub all_shadowed: bool,
}

impl Sight {
    /// Everything after `since` that is not shadowed.
    pub fn after(since: Option<DateTime<Utc>>) -> Sight {
        Sight { since, reader: None, all_shadowed: false }
    }

    /// The lower bound in microseconds (`i64::MIN` for none).
    pub fn since_micros(&self) -> i64 {
        self.since.as_ref().map_or(i64::MIN, codec::micros)
    }

    /// The user whose shadowed messages are shown ("" for nobody: no user id is empty).
    pub fn reader_id(&self) -> &str {
        self.reader.as_deref().unwrap_or("")
    }
}

/// Content columns of a message an edit changes.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageContent {
    pub text: String,
    pub html: String,
    pub attachments: Vec<Value>,
    pub mentioned_users: Vec<String>,
    pub data: Map<String, Value>,
    pub silent: bool,
    pub text_updated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A message's pin.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePin {
    pub pinned: bool,
    pub pinned_at: Option<DateTime<Utc>>,
    pub pinned_by: Option<String>,
    pub pin_expires: Option<DateTime<Utc>>,
}

/// What posting a message changes besides its own row, in the same step (see [`MessageRows::post_message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostEffects {
    /// The message counts toward unread counts (`unread_sequence` moves).
    pub counts_unread: bool,
    /// The message shows in the channel (not a reply kept in its thread): `last_message_at` moves.
    pub shows_in_channel: bool,
    /// The sender is a member: their read position moves to the message.
    pub sender_is_member: bool,
    /// The channel shows again to every member who had hidden it, the sender included.
    pub unhide: bool,
    /// The month's message count (and its shard) the message adds one to, if counted.
    pub counted_in: Option<MonthShard>,
}

/// One shard of a month's message count (see [`UsageRows::add_month_message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthShard {
    pub month: i64,
    pub shard: i64,
}

/// A user's messages to delete: those created up to `before`, marked deleted or, `hard`, removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPurge {
    pub app_id: i64,
    pub user_id: String,
    pub hard: bool,
    pub before: DateTime<Utc>,
}

/// What [`MessageRows::post_message`] changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// The channel's counters after counting the message.
    pub counters: ChannelCounters,
    /// Members other than the sender who had hidden the channel and see it again.
    pub unhidden: Vec<String>,
}

/// Messages and their reactions.
#[async_trait]
pub trait MessageRows: ChannelRows + UsageRows + Send {
    /// Posts a new message: counts it in its channel ([`ChannelRows::count_message`]), stores it with the
    /// channel's `unread_sequence` after the count as its `sequence` ([`MessageRows::insert_message`]), applies
    /// `effects` to the members' rows and to the month's message count, all at `at`. The channel's row is locked from here to the commit on a
    /// backend with concurrent writers, so this is the last write of a send: the shorter the lock, the more sends
    /// a busy channel takes. The default makes one call per change; a backend whose calls cost a round trip
    /// makes them all in one statement.
    async fn post_message(
        &mut self,
        app_id: i64,
        message: &mut Message,
        effects: PostEffects,
        at: DateTime<Utc>,
    ) -> CoreResult<Posted> {
        let cid = message.cid.clone();
        let counters = self.count_message(app_id, &cid, effects.counts_unread, effects.shows_in_channel, at).await?;
        message.sequence = counters.unread_sequence;
        self.insert_message(app_id, message).await?;
        if effects.sender_is_member {
            let changes = MemberChanges {
                read: Some(ReadPosition {
                    sequence: counters.unread_sequence,
                    at,
                    message_id: Some(message.id.clone()),
                }),
                hidden: effects.unhide.then_some(false),
                ..MemberChanges::default()
            };
            self.update_member(app_id, &cid, &message.user_id, &changes).await?;
        }
        let unhidden =
            if effects.unhide { self.unhide_members(app_id, &cid, &message.user_id).await? } else { Vec::new() };
        if let Some(MonthShard { month, shard }) = effects.counted_in {
            self.add_month_message(app_id, month, shard).await?;
        }
        Ok(Posted { counters, unhidden })
    }
    async fn message(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>>;
    /// The message, locked until the commit: for read-modify-write of its data and its reactions.
    async fn message_for_update(&mut self, app_id: i64, message_id: &str) -> CoreResult<Option<Message>>;
    async fn messages(&mut self, app_id: i64, message_ids: &[String]) -> CoreResult<Vec<Message>>;
    /// Fails with code 4 when the id is taken.
    async fn insert_message(&mut self, app_id: i64, message: &Message) -> CoreResult<()>;
    async fn update_message_content(
        &mut self,
        app_id: i64,
        message_id: &str,
        content: &MessageContent,
    ) -> CoreResult<()>;
    async fn set_pin(
        &mut self,
        app_id: i64,
        message_id: &str,
        pin: &MessagePin,
        updated_at: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// Soft delete: the row stays with `type: deleted` and `deleted_at`.
    async fn mark_message_deleted(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()>;
    async fn touch_message(&mut self, app_id: i64, message_id: &str, at: DateTime<Utc>) -> CoreResult<()>;
    /// Adds to a thread parent's reply counts.
    async fn add_reply_counts(
        &mut self,
        app_id: i64,
        parent_id: &str,
        replies: i64,
        deleted_replies: i64,
    ) -> CoreResult<()>;
    async fn delete_message(&mut self, app_id: i64, message_id: &str) -> CoreResult<()>;
    /// Channel messages (thread replies only with `show_in_channel`), ascending, as `sight` sees them.
    async fn channel_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>>;
    /// Replies of a thread, ascending, as `sight` sees them.
    async fn replies(
        &mut self,
        app_id: i64,
        parent_id: &str,
        range: &MessageRange,
        limit: usize,
        sight: &Sight,
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
    /// Pinned messages of a channel as `sight` sees them, newest pin last.
    async fn pinned_messages(
        &mut self,
        app_id: i64,
        cid: &str,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>>;
    /// A page of the channel's pins (not deleted, as `sight` sees them) within `range`, by `pinned_at` in the
    /// order asked. Cost: the page, by the pinned index.
    async fn pinned_page(
        &mut self,
        app_id: i64,
        cid: &str,
        range: &PinRange,
        limit: usize,
        sight: &Sight,
    ) -> CoreResult<Vec<Message>>;
    /// The messages a query selects (see [`selection`]), for search. Cost: the word index's matches for a text
    /// query, else the channels' index ranges, plus the page.
    async fn find_messages(&mut self, app_id: i64, query: &selection::RowQuery) -> CoreResult<Vec<Message>>;
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
    /// Distinct authors of a thread's replies (shadowed ones left out: nobody else sees them), oldest first.
    async fn thread_participants(&mut self, app_id: i64, parent_id: &str) -> CoreResult<Vec<String>>;
    /// [`MessageRows::thread_participants`] of several threads, by parent id (threads without replies are left
    /// out). Cost: the threads' replies. The default asks thread by thread; a backend whose queries cost a
    /// round trip answers in one.
    async fn thread_participants_of(
        &mut self,
        app_id: i64,
        parent_ids: &[String],
    ) -> CoreResult<HashMap<String, Vec<String>>> {
        let mut participants = HashMap::new();
        for parent_id in parent_ids {
            let users = self.thread_participants(app_id, parent_id).await?;
            if !users.is_empty() {
                participants.insert(parent_id.clone(), users);
            }
        }
        Ok(participants)
    }
    /// The newest `limit` channel messages of each channel (as [`MessageRows::channel_messages`] with
    /// [`MessageRange::Latest`]), ascending, by cid; and, with `pinned`, the newest `pinned` pins of each (as
    /// [`MessageRows::pinned_messages`]). Cost: the two pages per channel, by index. The default asks channel by
    /// channel; a backend whose queries cost a round trip answers in two.
    async fn latest_messages_of(
        &mut self,
        app_id: i64,
        scopes: &[ChannelScope],
        limit: usize,
        pinned: usize,
    ) -> CoreResult<HashMap<String, LatestMessages>> {
        let mut latest = HashMap::new();
        for scope in scopes {
            let messages = if limit == 0 {
                Vec::new()
            } else {
                self.channel_messages(app_id, &scope.cid, &MessageRange::Latest, limit, &scope.sight).await?
            };
            let pinned = if pinned == 0 {
                Vec::new()
            } else {
                self.pinned_messages(app_id, &scope.cid, pinned, &scope.sight).await?
            };
            latest.insert(scope.cid.clone(), LatestMessages { messages, pinned });
        }
        Ok(latest)
    }
    async fn reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<Option<Reaction>>;
    async fn user_reactions(&mut self, app_id: i64, message_id: &str, user_id: &str) -> CoreResult<Vec<Reaction>>;
    /// Stores a reaction (a user's reaction of a type replaces their earlier one of that type).
    async fn put_reaction(&mut self, app_id: i64, reaction: &Reaction) -> CoreResult<()>;
    async fn delete_reaction(
        &mut self,
        app_id: i64,
        message_id: &str,
        user_id: &str,
        reaction_type: &str,
    ) -> CoreResult<()>;
    /// Adds to a message's totals of one reaction type (its count and score); totals that reach zero go.
    async fn add_reaction_totals(
        &mut self,
        app_id: i64,
        message_id: &str,
        reaction_type: &str,
        count: i64,
        score: i64,
    ) -> CoreResult<()>;
    /// Newest first.
    async fn reactions(
        &mut self,
        app_id: i64,
        message_id: &str,
        limit: usize,
        offset: usize,
    ) -> CoreResult<Vec<Reaction>>;
    /// Schedules the deletion of a user's messages created up to `before` (soft, or `hard`: removed); a second
    /// schedule widens the first (the later point, hard if either is).
    async fn schedule_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// Up to `limit` of the user's messages created up to `before` that a purge still has to delete (all of
    /// them when `hard`, those not deleted yet otherwise), oldest first. Cost: `limit` rows, by `messages_by_user`.
    async fn messages_to_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        before: DateTime<Utc>,
        hard: bool,
        limit: usize,
    ) -> CoreResult<Vec<Message>>;
    /// Ends a user's purge that found nothing more to delete (unless a wider one was scheduled meanwhile).
    async fn finish_user_purge(
        &mut self,
        app_id: i64,
        user_id: &str,
        hard: bool,
        before: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// Every scheduled user purge of every app, for the task that resumes them.
    async fn pending_user_purges(&mut self) -> CoreResult<Vec<UserPurge>>;
    /// Latest (up to `latest`) and the viewer's own reactions, per message.
    async fn message_reactions(
        &mut self,
        app_id: i64,
        message_ids: &[String],
        viewer: Option<&str>,
        latest: usize,
    ) -> CoreResult<HashMap<String, MessageReactions>>;
}

/// Which pins a page holds: `pinned_at` after and before points (each inclusive or not), in which order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PinRange {
    pub after: Option<(DateTime<Utc>, bool)>,
    pub before: Option<(DateTime<Utc>, bool)>,
    pub ascending: bool,
}

impl PinRange {
    /// The SQL condition and order over `pinned_at` (its two bounds are parameters, `i64::MIN`/`i64::MAX` when
    /// absent): the same on both backends.
    pub fn sql(&self) -> (&'static str, &'static str, &'static str) {
        let after = if self.after.is_some_and(|(_, inclusive)| inclusive) { ">=" } else { ">" };
        let before = if self.before.is_some_and(|(_, inclusive)| inclusive) { "<=" } else { "<" };
        let order = if self.ascending { "pinned_at, id" } else { "pinned_at DESC, id DESC" };
        (after, before, order)
    }

    /// The bounds in microseconds.
    pub fn bounds(&self) -> (i64, i64) {
        let after = self.after.map_or(i64::MIN, |(at, _)| at.timestamp_micros());
        let before = self.before.map_or(i64::MAX, |(at, _)| at.timestamp_micros());
        (after, before)
    }
}

/// A channel's newest messages and pins, each ascending (the newest last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatestMessages {
    pub messages: Vec<Message>,
    pub pinned: Vec<Message>,
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
    /// How many read jobs run at once (reader threads, connections); more wait their turn.
    fn read_slots(&self) -> usize;
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
    shares: Arc<ReadShares>,
}

/// Each app's share of the backend's read slots: all of them but one, so however many slow reads one app has
/// in flight, another app's read finds a slot free (or the next one to free up) rather than queueing behind
/// them all. One semaphore per app that has read: as many as the apps, which operators create.
struct ReadShares {
    per_app: usize,
    apps: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Semaphore>>>,
}

impl ReadShares {
    fn new(slots: usize) -> ReadShares {
        ReadShares { per_app: slots.saturating_sub(1).max(1), apps: std::sync::Mutex::new(HashMap::new()) }
    }

    async fn enter(&self, app_id: i64) -> tokio::sync::OwnedSemaphorePermit {
        let share = {
            let mut apps = self.apps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            apps.entry(app_id).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.per_app))).clone()
        };
        // Never closed, so acquiring only waits.
        share.acquire_owned().await.expect("an app's read share is never closed")
    }
}

impl Store {
    pub fn new(backend: Arc<dyn Backend>, clock: Arc<dyn Clock>) -> Store {
        let shares = Arc::new(ReadShares::new(backend.read_slots()));
        Store { backend, clock, shares }
    }

    /// How many reads one app may have running at once ([`Store::read_for_app`]).
    pub fn read_share(&self) -> usize {
        self.shares.per_app
    }

    /// [`Store::read`] for a request of one app, within that app's share of the read slots (all but one): one
    /// app's slow queries cannot hold every slot while other apps wait.
    pub async fn read_for_app<I, T, F>(&self, app_id: i64, input: I, operation: F) -> CoreResult<T>
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t mut dyn Tx, &'t I) -> BoxFuture<'t, CoreResult<T>> + Send + 'static,
    {
        let _share = self.shares.enter(app_id).await;
        self.read(input, operation).await
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

/// Where a store keeps its rows. The data directory holds the key that seals app secrets either way (and, for
/// SQLite, the database itself): back it up with the database.
#[derive(Debug, Clone)]
pub enum Database {
    /// `rill.db` in the data directory: the embedded default.
    Sqlite(sqlite::SqliteOptions),
    /// A PostgreSQL database, by URL.
    Postgres { url: String, options: postgres::PostgresOptions },
}

/// Opens the backend a data directory and a database choice name: creates the directory owner-only if needed,
/// loads (or creates) its sealing key, connects and migrates.
pub async fn open_backend(data_dir: &std::path::Path, database: &Database) -> CoreResult<Arc<dyn Backend>> {
    match database {
        Database::Sqlite(options) => Ok(Arc::new(sqlite::SqliteBackend::open_data_dir(data_dir, options.clone())?)),
        Database::Postgres { url, options } => {
            sqlite::prepare_data_dir(data_dir)?;
            let key = crate::secret::SealingKey::load_or_create(data_dir)?;
            Ok(Arc::new(postgres::PostgresBackend::connect(url, key, options.clone()).await?))
        }
    }
}
