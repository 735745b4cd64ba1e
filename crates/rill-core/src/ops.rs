//! Use cases: each public function is one API operation, run inside one store transaction, that checks policy,
//! changes rows and returns an [`Outcome`]: the value for the response, the notices for fan-out, and the users
//! both refer to. Nothing here sends anything; the transport publishes notices after the commit.

pub mod apps;
pub mod blocklists;
pub mod channel_types;
pub mod channels;
pub mod devices;
pub mod messages;
pub mod moderation;
pub mod outbox;
pub mod push;
pub mod uploads;
pub mod usage;
pub mod users;

use crate::error::{CoreError, CoreResult};
use crate::ids::FieldPath;
use crate::model::{Actor, App, Ban, Channel, Member, MessageView, Reaction, UnreadTotals, User, UserDirectory};
use crate::policy::{self, Access};
use crate::store::{ChannelChanges, MemberChanges, Sight, Tx};
use chrono::{DateTime, Utc};
use rill_protocol::types::ChannelConfig;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Who is acting, in which app, and when.
#[derive(Debug, Clone)]
pub struct Context {
    pub app: Arc<App>,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl Context {
    pub fn app_id(&self) -> i64 {
        self.app.id
    }

    /// The acting user, required: server-side calls must name one.
    pub fn acting_user_id(&self, what: &str) -> CoreResult<&str> {
        self.actor.user_id().ok_or_else(|| {
            CoreError::input(format!("{what} requires a user: pass user_id (or user.id) when using server side auth"))
        })
    }
}

/// A result plus what the transport must tell whom.
#[derive(Debug, Clone, Default)]
pub struct Outcome<T> {
    pub value: T,
    pub notices: Vec<Notice>,
    /// Every user the value and the notices mention, for rendering.
    pub users: UserDirectory,
}

impl<T> Outcome<T> {
    pub fn new(value: T) -> Outcome<T> {
        Outcome { value, notices: Vec::new(), users: UserDirectory::new() }
    }
}

/// Where a member's read position was moved back to by MarkUnread.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadMark {
    pub first_unread_message_id: String,
    pub last_read_at: DateTime<Utc>,
    pub last_read_message_id: Option<String>,
    pub unread_messages: i64,
}

/// Something that happened, with what fan-out needs to choose recipients and render events.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// `message.new` to watchers, `notification.message_new` to members not watching. Recipients' unread totals
    /// are read at delivery time, for connected recipients only: most members of a large channel are offline.
    /// Its recipients (members and watchers) are found at delivery, not by the operation.
    MessageNew {
        channel: Channel,
        message: MessageView,
    },
    MessageUpdated {
        channel: Channel,
        message: MessageView,
        by: Option<String>,
    },
    MessageDeleted {
        channel: Channel,
        message: MessageView,
        hard: bool,
        by: Option<String>,
    },
    /// `reaction.new`, `reaction.updated` or `reaction.deleted`.
    Reaction {
        event_type: &'static str,
        channel: Channel,
        message: MessageView,
        reaction: Reaction,
    },
    /// `message.read` to watchers, `notification.mark_read` to the reader.
    MessageRead {
        channel: Channel,
        user_id: String,
        last_read_message_id: Option<String>,
        totals: UnreadTotals,
    },
    /// `member.added` to watchers, `notification.invited` to each invitee.
    MembersInvited {
        channel: Channel,
        members: Vec<Member>,
        by: Option<String>,
    },
    /// `member.updated` to watchers, `notification.invite_accepted` or `_rejected` to the invitee.
    InviteAnswered {
        channel: Channel,
        member: Member,
        accepted: bool,
    },
    /// `notification.mark_unread` to the reader.
    MessageUnread {
        channel: Channel,
        user_id: String,
        mark: UnreadMark,
        totals: UnreadTotals,
    },
    /// `notification.mark_read` without a channel, after marking everything read.
    AllRead {
        user_id: String,
        totals: UnreadTotals,
    },
    MembersAdded {
        channel: Channel,
        members: Vec<Member>,
        by: Option<String>,
    },
    MembersRemoved {
        channel: Channel,
        members: Vec<Member>,
        by: Option<String>,
    },
    MembersUpdated {
        channel: Channel,
        members: Vec<Member>,
        by: Option<String>,
    },
    ChannelUpdated {
        channel: Channel,
        by: Option<String>,
        message: Option<MessageView>,
    },
    /// Its members are found at delivery (the connected ones), from memberships that outlive the channel by
    /// `ops::channels::MEMBERSHIP_GRACE`.
    ChannelDeleted {
        channel: Channel,
    },
    /// A moderator froze or unfroze the channel (`channel.frozen` / `channel.unfrozen`, to its watchers).
    ChannelFrozen {
        channel: Channel,
        frozen: bool,
    },
    /// Its members are found at delivery (the connected ones).
    ChannelTruncated {
        channel: Channel,
        by: Option<String>,
        message: Option<MessageView>,
    },
    ChannelHidden {
        channel: Channel,
        user_id: String,
        clear_history: bool,
    },
    ChannelVisible {
        channel: Channel,
        user_id: String,
    },
    UserUpdated {
        user: User,
    },
    /// A user reported a message: `message.flagged` to the reporter's own connections (moderators read the
    /// queue; nobody else learns who reported).
    MessageFlagged {
        channel: Channel,
        message: MessageView,
        flag: crate::model::Flag,
    },
    /// A ban (not in shadow) was made, or `lifted`: `user.banned` / `user.unbanned` to the user, and to the
    /// channel's watchers for a channel ban.
    UserBanned {
        ban: Ban,
        channel: Option<Channel>,
        lifted: bool,
    },
    /// A channel was created: `channel.created`, for webhooks only (members hear `notification.added_to_channel`).
    ChannelCreated {
        channel: Channel,
        by: Option<String>,
    },
    /// `user.deactivated` or `user.reactivated`, for webhooks only: the user's own connections are closed.
    UserActivation {
        user: crate::model::User,
        deactivated: bool,
    },
    /// Uploads whose rows are gone (deleted, or dropped from their message): after the commit the server
    /// removes their blobs that no upload names any more. Nobody is told.
    UploadsRemoved {
        app_id: i64,
        uploads: Vec<crate::model::Upload>,
    },
}

/// The configuration of a channel's type.
pub(crate) fn config_of(channel_type: &str, app: &App) -> CoreResult<ChannelConfig> {
    channel_types::config_for(app, channel_type)
        .ok_or_else(|| CoreError::not_found(format!("channel type {channel_type} does not exist")))
}

/// A viewer's standing in a channel: membership, capabilities, and whether checks are bypassed (server tokens).
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    pub cid: String,
    /// The user the request acts as, if any.
    pub viewer_id: Option<String>,
    pub member: Option<Member>,
    pub capabilities: Vec<&'static str>,
    pub can_read: bool,
    pub server: bool,
    /// The ban (not in shadow) that keeps the viewer from posting here, app-wide or in this channel; a server
    /// call is never banned.
    pub ban: Option<BanScope>,
    /// The viewer is shadow-banned here: what they post is stored `shadowed`, shown only to them, and they are
    /// never told.
    pub shadowed: bool,
    /// The viewer moderates the channel: an admin or moderator of the app, or a moderator of the channel.
    pub moderates: bool,
    /// Messages created at or before this time are hidden from the viewer: the channel's truncation and the
    /// member's own `hide_history`/`clear_history` point, whichever is later.
    pub visible_after: Option<DateTime<Utc>>,
}

/// Where a ban holds, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BanScope {
    pub app_wide: bool,
    pub expires: Option<DateTime<Utc>>,
}

impl BanScope {
    /// "banned from this app until ..." or "banned in channel X", for a code-17 message.
    fn describe(&self, cid: &str) -> String {
        let scope = if self.app_wide { "from this app".to_owned() } else { format!("in channel {cid}") };
        match self.expires {
            Some(expires) => format!("banned {scope} until {}", rill_protocol::time::format(&expires)),
            None => format!("banned {scope}"),
        }
    }
}

impl Standing {
    /// Fails with code 17 naming the refused action unless the viewer may do it.
    pub(crate) fn require(&self, capability: &str, action: &str) -> CoreResult<()> {
        if self.server || policy::has(&self.capabilities, capability) {
            return Ok(());
        }
        match &self.ban {
            Some(ban) if policy::is_withheld_from_banned(capability) => Err(CoreError::not_allowed(format!(
                "user is {}: they may read this channel but not {action}",
                ban.describe(&self.cid)
            ))),
            _ => Err(CoreError::not_allowed(format!(
                "user is not allowed to {action} (missing capability {capability})"
            ))),
        }
    }

    /// Fails with code 17 when a ban keeps the viewer from posting here.
    pub(crate) fn require_not_banned(&self, action: &str) -> CoreResult<()> {
        match &self.ban {
            Some(ban) => Err(CoreError::not_allowed(format!(
                "user is {}: they may read this channel but not {action}",
                ban.describe(&self.cid)
            ))),
            None => Ok(()),
        }
    }

    /// Whether the viewer can see a message of this channel: not truncated away or hidden from them, and not
    /// someone else's shadowed message (unless a server call).
    pub(crate) fn sees(&self, message: &crate::model::Message) -> bool {
        self.visible_after.is_none_or(|after| message.created_at > after)
            && (!message.shadowed || self.server || self.viewer_id.as_deref() == Some(message.user_id.as_str()))
    }

    /// The messages the viewer sees, as the store selects them.
    pub(crate) fn sight(&self) -> Sight {
        Sight { since: self.visible_after, reader: self.viewer_id.clone(), all_shadowed: self.server }
    }

    /// Whether the viewer sees deleted messages' content: server calls and those who may delete any message.
    pub(crate) fn sees_deleted(&self) -> bool {
        self.server || policy::has(&self.capabilities, "delete-any-message")
    }

    pub(crate) fn require_read(&self, cid: &str) -> CoreResult<()> {
        if self.server || self.can_read {
            Ok(())
        } else {
            Err(CoreError::not_allowed(format!("user is not allowed to read channel {cid}")))
        }
    }
}

/// Works out a viewer's standing in a channel; `viewer` is the user the request acts as, if any. Costs the
/// membership's lookup, with the channel ban's for a user token (one round trip on PostgreSQL).
pub(crate) async fn standing(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    config: &ChannelConfig,
    viewer: Option<&User>,
) -> CoreResult<Standing> {
    let (member, channel_ban) = match viewer {
        Some(user) if ctx.actor.is_server() => (tx.member(ctx.app_id(), &channel.cid, &user.id).await?, None),
        Some(user) => tx.member_and_ban(ctx.app_id(), &channel.cid, &user.id, ctx.now).await?,
        None => (None, None),
    };
    Ok(standing_of(ctx, channel, config, viewer, member, channel_ban.as_ref()))
}

/// A viewer's standing in a channel, given their membership and their ban in the channel (already read).
pub(crate) fn standing_of(
    ctx: &Context,
    channel: &Channel,
    config: &ChannelConfig,
    viewer: Option<&User>,
    member: Option<Member>,
    channel_ban: Option<&Ban>,
) -> Standing {
    let server = ctx.actor.is_server();
    let mut member = member;
    if let Some(member) = member.as_mut() {
        member.ban = channel_ban.filter(|ban| ban.holds_at(ctx.now)).cloned();
    }
    let (ban, shadowed) = match viewer {
        Some(_) if server => (None, false),
        Some(user) => ban_standing(user, channel_ban, ctx.now),
        None => (None, false),
    };
    let (capabilities, can_read, moderates) = match viewer {
        Some(user) => {
            let access = Access {
                app_role: &user.role,
                channel_role: member.as_ref().map(|member| member.channel_role.as_str()),
                is_owner: channel.created_by.as_deref() == Some(user.id.as_str()),
                permissions_disabled: ctx.app.settings.disable_permissions_checks,
                banned: ban.is_some(),
            };
            (policy::capabilities(&access, channel, config), policy::can_read(&access, channel), access.moderates())
        }
        None => (Vec::new(), false, false),
    };
    let hidden_before = member.as_ref().and_then(|member| member.hide_messages_before);
    let visible_after = match (channel.truncated_at, hidden_before) {
        (Some(truncated), Some(hidden)) => Some(truncated.max(hidden)),
        (truncated, hidden) => truncated.or(hidden),
    };
    let (cid, viewer_id) = (channel.cid.clone(), viewer.map(|user| user.id.clone()));
    Standing { cid, viewer_id, member, capabilities, can_read, server, ban, shadowed, moderates, visible_after }
}

/// The ban that holds for a user in a channel at `now` (app-wide first), and whether they are shadow-banned
/// there.
fn ban_standing(user: &User, channel_ban: Option<&Ban>, now: DateTime<Utc>) -> (Option<BanScope>, bool) {
    let channel_ban = channel_ban.filter(|ban| ban.holds_at(now));
    let ban = if user.banned_at(now) {
        Some(BanScope { app_wide: true, expires: user.ban_expires })
    } else {
        channel_ban.filter(|ban| !ban.shadow).map(|ban| BanScope { app_wide: false, expires: ban.expires })
    };
    let shadowed = user.shadow_banned_at(now) || channel_ban.is_some_and(|ban| ban.shadow);
    (ban, shadowed)
}

/// Sets each member's `ban` to their ban in their channel that holds now, if any. Cost: one query for all.
pub(crate) async fn attach_bans(tx: &mut dyn Tx, ctx: &Context, mut members: Vec<&mut Member>) -> CoreResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let mut cids: Vec<String> = members.iter().map(|member| member.cid.clone()).collect();
    let mut user_ids: Vec<String> = members.iter().map(|member| member.user_id.clone()).collect();
    for list in [&mut cids, &mut user_ids] {
        list.sort_unstable();
        list.dedup();
    }
    let bans = tx.channel_bans(ctx.app_id(), &cids, &user_ids, ctx.now).await?;
    for member in members.iter_mut() {
        member.ban = bans
            .iter()
            .find(|ban| ban.user_id == member.user_id && ban.channel_cid.as_deref() == Some(member.cid.as_str()))
            .cloned();
    }
    Ok(())
}

/// Loads the acting user, if the request names one. A user token's user always exists (connect or upsert
/// created it), but a server call may name a user that does not.
pub(crate) async fn acting_user(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<Option<User>> {
    match ctx.actor.user_id() {
        None => Ok(None),
        Some(user_id) => match tx.user(ctx.app_id(), user_id).await? {
            Some(user) => Ok(Some(user)),
            None if ctx.actor.is_server() => Err(CoreError::input(format!("user {user_id} does not exist"))),
            None => Ok(Some(placeholder_user(user_id, ctx.now))),
        },
    }
}

/// A user row for a token whose user has not been stored yet (REST before the first connect).
pub(crate) fn placeholder_user(user_id: &str, now: DateTime<Utc>) -> User {
    User {
        id: user_id.to_owned(),
        role: "user".into(),
        data: Map::new(),
        created_at: now,
        updated_at: now,
        last_active: None,
        deactivated_at: None,
        deleted_at: None,
        banned: false,
        revoke_tokens_issued_before: None,
        shadow_banned: false,
        ban_expires: None,
    }
}

/// Adds the named users to a directory, loading the ones it lacks.
pub(crate) async fn collect_users<'a>(
    tx: &mut dyn Tx,
    app_id: i64,
    directory: &mut UserDirectory,
    user_ids: impl IntoIterator<Item = &'a str>,
) -> CoreResult<()> {
    let mut missing: Vec<String> = Vec::new();
    for user_id in user_ids {
        if !directory.contains_key(user_id) && !missing.iter().any(|known| known == user_id) {
            missing.push(user_id.to_owned());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    for user in tx.users(app_id, &missing).await? {
        directory.insert(user.id.clone(), user);
    }
    Ok(())
}

/// Every user id a message view mentions (author, mentions, pinner, reactors, quoted author, thread).
pub(crate) fn message_user_ids(view: &MessageView) -> Vec<&str> {
    let message = &view.message;
    let mut ids = vec![message.user_id.as_str()];
    ids.extend(message.mentioned_users.iter().map(String::as_str));
    ids.extend(message.pinned_by.as_deref());
    ids.extend(view.reactions.latest.iter().map(|reaction| reaction.user_id.as_str()));
    ids.extend(view.reactions.own.iter().map(|reaction| reaction.user_id.as_str()));
    ids.extend(view.thread_participants.iter().map(String::as_str));
    if let Some(quoted) = &view.quoted {
        ids.push(quoted.user_id.as_str());
    }
    ids
}

/// A live channel and its type's configuration; 404 when the channel does not exist or was deleted.
pub(crate) async fn load_channel(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<(Channel, ChannelConfig)> {
    let channel = tx
        .channel(ctx.app_id(), cid)
        .await?
        .filter(|channel| channel.deleted_at.is_none())
        .ok_or_else(|| CoreError::not_found(format!("channel {cid} does not exist")))?;
    let config = config_of(&channel.channel_type, &ctx.app)?;
    Ok((channel, config))
}

/// Writes the columns of a membership that `after` changed of `before`.
pub(crate) async fn save_member(tx: &mut dyn Tx, ctx: &Context, before: &Member, after: &Member) -> CoreResult<()> {
    let changes = MemberChanges::between(before, after);
    tx.update_member(ctx.app_id(), &after.cid, &after.user_id, &changes).await
}

/// Writes the columns of a channel that `after` changed of `before`.
pub(crate) async fn save_channel(tx: &mut dyn Tx, ctx: &Context, before: &Channel, after: &Channel) -> CoreResult<()> {
    let changes = ChannelChanges::between(before, after);
    if changes == ChannelChanges::default() {
        return Ok(());
    }
    tx.update_channel(ctx.app_id(), &after.cid, &changes).await
}

/// A live channel, locked for read-modify-write, and its type's configuration.
pub(crate) async fn load_channel_for_update(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
) -> CoreResult<(Channel, ChannelConfig)> {
    let channel = tx
        .channel_for_update(ctx.app_id(), cid)
        .await?
        .filter(|channel| channel.deleted_at.is_none())
        .ok_or_else(|| CoreError::not_found(format!("channel {cid} does not exist")))?;
    let config = config_of(&channel.channel_type, &ctx.app)?;
    Ok((channel, config))
}

/// Custom data from a request, flat: a nested `custom` object is merged in (the v2 shape), and keys that collide
/// with the object's built-in fields are refused.
pub(crate) fn flatten_custom(
    custom: &Map<String, Value>,
    reserved: &[&str],
    object: &str,
) -> CoreResult<Map<String, Value>> {
    let mut flat = Map::new();
    for (key, value) in custom {
        match (key.as_str(), value) {
            ("custom", Value::Object(nested)) => flat.extend(nested.clone()),
            _ => {
                flat.insert(key.clone(), value.clone());
            }
        }
    }
    check_custom_keys(&flat, reserved, object)?;
    Ok(flat)
}

/// Keys that custom data may not use, because they collide with built-in fields.
pub(crate) fn check_custom_keys(custom: &Map<String, Value>, reserved: &[&str], object: &str) -> CoreResult<()> {
    for key in custom.keys() {
        if reserved.contains(&key.as_str()) {
            return Err(CoreError::input(format!("{object} custom field {key:?} is reserved: it is a built-in field")));
        }
    }
    Ok(())
}

/// Sets `value` at a dotted path (`detail.topic`) inside a JSON object, creating objects along the way. The path
/// has at most `MAX_FIELD_PATH_SEGMENTS` segments by construction, so this nests at most that deep.
pub(crate) fn set_path(target: &mut Map<String, Value>, path: &FieldPath, value: Value) {
    let mut segments = path.segments().peekable();
    let mut current = target;
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            current.insert(segment.to_owned(), value);
            return;
        }
        let entry = current.entry(segment.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else { return };
        current = inner;
    }
}

/// Removes the value at a dotted path, if present.
pub(crate) fn unset_path(target: &mut Map<String, Value>, path: &FieldPath) {
    let mut current = target;
    let mut segments = path.segments().peekable();
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            current.remove(segment);
            return;
        }
        match current.get_mut(segment) {
            Some(Value::Object(inner)) => current = inner,
            _ => return,
        }
    }
}

/// Clamps a client-supplied page size into `1..=max`, with `default` when absent.
/// How many rows a query that checks rows in memory reads at a time.
pub(crate) const SCAN_BATCH: usize = 500;

/// The most rows a query sorts in memory (a sort on a field SQL cannot order by); more is refused, never cut.
pub const MAX_SORTED_IN_MEMORY: usize = 20_000;

/// Refuses a query whose rows to sort in memory number more than [`MAX_SORTED_IN_MEMORY`].
pub(crate) fn refuse_unsortable(rows: usize, sort: &[rill_protocol::filter::SortField]) -> CoreResult<()> {
    if rows <= MAX_SORTED_IN_MEMORY {
        return Ok(());
    }
    let fields: Vec<&str> = sort.iter().map(|field| field.field.as_str()).collect();
    Err(CoreError::input(format!(
        "more than {MAX_SORTED_IN_MEMORY} results to sort by {fields:?}, which is not an indexed field: narrow the \
         filter or sort by an indexed field"
    )))
}

pub(crate) fn page_size(limit: Option<i64>, default: usize, max: usize, what: &str) -> CoreResult<usize> {
    match limit {
        None => Ok(default),
        Some(limit) if limit < 0 => Err(CoreError::input(format!("{what} must be a positive number"))),
        Some(0) => Ok(default),
        Some(limit) => Ok((limit as usize).min(max)),
    }
}

/// Checks a client-supplied offset against its maximum.
pub(crate) fn page_offset(offset: Option<i64>, max: usize, what: &str) -> CoreResult<usize> {
    match offset {
        None => Ok(0),
        Some(offset) if offset < 0 => Err(CoreError::input(format!("{what} must not be negative"))),
        Some(offset) if offset as usize > max => Err(CoreError::input(format!("{what} must be at most {max}"))),
        Some(offset) => Ok(offset as usize),
    }
}
