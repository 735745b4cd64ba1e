//! Moderation by users and moderators. A mute is the muter's own (it hides nothing from anyone else); it lasts
//! `timeout` minutes or until the muter unmutes. A ban is a moderator's: app-wide or in one channel, it keeps
//! the user reading but not posting, reacting or sending events there until it runs out or is lifted; a shadow
//! ban instead lets them post what only they see.

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::model::{Ban, Channel, ChannelMute, Flag, MessageView, User, UserDirectory, UserMute};
use crate::ops::{collect_users, load_channel, page_offset, page_size, standing, Context, Notice, Outcome};
use crate::policy::is_app_moderator;
use crate::query;
use crate::store::selection::{self, Comparison, Condition, FieldKind, OrderKey, Page, RowQuery, Scalar};
use crate::store::Tx;
use rill_protocol::filter::{parse_sort, Filter, Operator, SortDirection};
use rill_protocol::ids::Cid;
use rill_protocol::limits::{
    MAX_BANS_PER_PAGE, MAX_BAN_MINUTES, MAX_CHANNELS_PER_MUTE, MAX_CHANNEL_MUTE_MILLIS, MAX_FLAGS_PER_PAGE,
    MAX_MODERATION_REASON_CHARS, MAX_MUTES_PER_USER, MAX_MUTE_MINUTES, MAX_USERS_PER_CALL,
};
use rill_protocol::request::{
    BanRequest, FlagRequest, MuteChannelRequest, QueryBannedUsersRequest, QueryFutureChannelBansRequest,
    QueryMessageFlagsRequest, UnbanQuery,
};
use serde_json::{Map, Value};

/// What muting or unmuting users leaves: the muter, their mutes now, the mutes this call made, and the targets
/// that do not exist.
#[derive(Debug, Clone)]
pub struct Mutes {
    pub muter: User,
    pub own: OwnMutes,
    pub made: Vec<UserMute>,
    pub non_existing: Vec<String>,
}

/// A user's mutes as `me` shows them: of users and of channels (with the channels, to render them).
#[derive(Debug, Clone, Default)]
pub struct OwnMutes {
    pub users: Vec<UserMute>,
    pub channels: Vec<ChannelMute>,
    pub muted_channels: Vec<Channel>,
}

impl OwnMutes {
    /// The user's mutes that hold now, and the users and channels they name (users into `directory`). Cost:
    /// the user's mutes (at most `MAX_MUTES_PER_USER` of each kind) and one query for their channels.
    pub(crate) async fn of(
        tx: &mut dyn Tx,
        ctx: &Context,
        user_id: &str,
        directory: &mut UserDirectory,
    ) -> CoreResult<OwnMutes> {
        let users = tx.user_mutes(ctx.app_id(), user_id, ctx.now).await?;
        let channels = tx.channel_mutes(ctx.app_id(), user_id, None, ctx.now).await?;
        let targets: Vec<&str> = users.iter().map(|mute| mute.target_id.as_str()).collect();
        collect_users(tx, ctx.app_id(), directory, targets).await?;
        let muted_channels = load_channels(tx, ctx, channels.iter().map(|mute| mute.channel_cid.clone())).await?;
        Ok(OwnMutes { users, channels, muted_channels })
    }
}

/// The acting user and the existing targets among `targets` (1 to `MAX_USERS_PER_CALL`, never the muter).
async fn muter_and_targets(
    tx: &mut dyn Tx,
    ctx: &Context,
    targets: &[UserId],
) -> CoreResult<(User, Vec<String>, Vec<String>)> {
    let muter_id = ctx.acting_user_id("Mute")?.to_owned();
    if targets.is_empty() || targets.len() > MAX_USERS_PER_CALL {
        return Err(CoreError::input(format!("target_ids must name 1 to {MAX_USERS_PER_CALL} users")));
    }
    if targets.iter().any(|target| target.as_str() == muter_id) {
        return Err(CoreError::input("a user cannot mute themselves"));
    }
    let muter = crate::ops::acting_user(tx, ctx).await?.ok_or_else(|| CoreError::input("user_id is required"))?;
    let mut wanted: Vec<String> = targets.iter().map(UserId::to_string).collect();
    wanted.sort();
    wanted.dedup();
    let found: Vec<String> = tx.users(ctx.app_id(), &wanted).await?.into_iter().map(|user| user.id).collect();
    let non_existing = wanted.iter().filter(|id| !found.contains(id)).cloned().collect();
    Ok((muter, found, non_existing))
}

/// `POST /moderation/mute`: the acting user mutes the targets, for `timeout` minutes (1 to `MAX_MUTE_MINUTES`) or
/// until they unmute; muting again renews the mute. Targets that do not exist are reported, not muted.
pub async fn mute_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    targets: &[UserId],
    timeout_minutes: Option<i64>,
) -> CoreResult<Outcome<Mutes>> {
    let expires = match timeout_minutes {
        None | Some(0) => None,
        Some(minutes) if (1..=MAX_MUTE_MINUTES).contains(&minutes) => {
            Some(ctx.now + chrono::Duration::minutes(minutes))
        }
        Some(_) => return Err(CoreError::input(format!("timeout must be 1 to {MAX_MUTE_MINUTES} minutes"))),
    };
    let (muter, found, non_existing) = muter_and_targets(tx, ctx, targets).await?;
    let earlier = tx.user_mutes(ctx.app_id(), &muter.id, ctx.now).await?;
    let fresh = found.iter().filter(|target| !earlier.iter().any(|mute| &mute.target_id == *target)).count();
    refuse_too_many_mutes(earlier.len() + fresh, "users")?;
    let mut made = Vec::new();
    for target_id in found {
        let created_at =
            earlier.iter().find(|mute| mute.target_id == target_id).map_or(ctx.now, |mute| mute.created_at);
        let mute = UserMute { user_id: muter.id.clone(), target_id, created_at, updated_at: ctx.now, expires };
        tx.put_user_mute(ctx.app_id(), &mute).await?;
        made.push(mute);
    }
    finish(tx, ctx, muter, made, non_existing).await
}

/// `POST /moderation/unmute`: the acting user lifts their mutes of the targets (an absent mute is no error).
pub async fn unmute_users(tx: &mut dyn Tx, ctx: &Context, targets: &[UserId]) -> CoreResult<Outcome<Mutes>> {
    let (muter, found, non_existing) = muter_and_targets(tx, ctx, targets).await?;
    for target_id in &found {
        tx.delete_user_mute(ctx.app_id(), &muter.id, target_id).await?;
    }
    finish(tx, ctx, muter, Vec::new(), non_existing).await
}

async fn finish(
    tx: &mut dyn Tx,
    ctx: &Context,
    muter: User,
    made: Vec<UserMute>,
    non_existing: Vec<String>,
) -> CoreResult<Outcome<Mutes>> {
    let mut users = UserDirectory::new();
    users.insert(muter.id.clone(), muter.clone());
    let own = OwnMutes::of(tx, ctx, &muter.id, &mut users).await?;
    Ok(Outcome { value: Mutes { muter, own, made, non_existing }, notices: Vec::new(), users })
}

/// `POST /moderation/ban`: bans `target_user_id` app-wide or in one channel. App-wide bans are for the app's
/// admins and moderators (and server calls); a channel ban needs `ban-channel-members` there. Banning again
/// replaces the ban in that scope.
pub async fn ban_user(tx: &mut dyn Tx, ctx: &Context, request: &BanRequest) -> CoreResult<Outcome<Ban>> {
    for (refused, what) in [
        (request.ip_ban == Some(true), "ip_ban"),
        (request.delete_messages.is_some(), "delete_messages (delete the user's messages with DELETE /users/{id})"),
        (request.delete_reactions == Some(true), "delete_reactions"),
    ] {
        if refused {
            return Err(CoreError::input(format!("{what} is not supported by this server")));
        }
    }
    let target_id = request.target_user_id.as_ref().ok_or_else(|| CoreError::input("target_user_id is required"))?;
    let expires = match request.timeout {
        None | Some(0) => None,
        Some(minutes) if (1..=MAX_BAN_MINUTES).contains(&minutes) => Some(ctx.now + chrono::Duration::minutes(minutes)),
        Some(_) => return Err(CoreError::input(format!("timeout must be 1 to {MAX_BAN_MINUTES} minutes"))),
    };
    let reason = request.reason.clone().filter(|reason| !reason.is_empty());
    if reason.as_ref().is_some_and(|reason| reason.chars().count() > MAX_MODERATION_REASON_CHARS) {
        return Err(CoreError::input(format!("reason must be at most {MAX_MODERATION_REASON_CHARS} characters")));
    }
    let channel_cid = request.channel();
    let future_channels = request.ban_from_future_channels.unwrap_or(false);
    if future_channels && channel_cid.is_none() {
        return Err(CoreError::input("ban_from_future_channels needs a channel ban: pass channel_cid"));
    }
    let scope = BanScope::authorize(tx, ctx, channel_cid.as_ref(), "ban").await?;
    let target = ban_target(tx, ctx, target_id, &scope).await?;
    let ban = Ban {
        user_id: target.id.clone(),
        channel_cid: channel_cid.map(Cid::into_string),
        created_by: scope.moderator.as_ref().map(|user| user.id.clone()),
        reason,
        shadow: request.shadow.unwrap_or(false),
        future_channels,
        created_at: ctx.now,
        expires,
    };
    tx.put_ban(ctx.app_id(), &ban).await?;
    let mut outcome = Outcome::new(ban.clone());
    outcome.users.insert(target.id.clone(), target);
    if let Some(moderator) = scope.moderator {
        outcome.users.insert(moderator.id.clone(), moderator);
    }
    if !ban.shadow {
        outcome.notices.push(Notice::UserBanned { ban, channel: scope.channel, lifted: false });
    }
    Ok(outcome)
}

/// `DELETE /moderation/ban`: lifts the target's ban in the scope (none there is no error), by whoever may
/// ban there.
pub async fn unban_user(tx: &mut dyn Tx, ctx: &Context, query: &UnbanQuery) -> CoreResult<Outcome<Option<Ban>>> {
    let target_id = query.target_user_id.as_ref().ok_or_else(|| CoreError::input("target_user_id is required"))?;
    let channel_cid = query.channel();
    let scope = BanScope::authorize(tx, ctx, channel_cid.as_ref(), "unban").await?;
    let lifted = tx.delete_ban(ctx.app_id(), target_id.as_str(), channel_cid.as_ref().map(Cid::as_str)).await?;
    let mut outcome = Outcome::new(lifted.clone());
    collect_users(tx, ctx.app_id(), &mut outcome.users, [target_id.as_str()]).await?;
    if let Some(moderator) = scope.moderator {
        outcome.users.insert(moderator.id.clone(), moderator);
    }
    if let Some(mut ban) = lifted.filter(|ban| !ban.shadow) {
        ban.created_by = ctx.actor.user_id().map(str::to_owned);
        outcome.notices.push(Notice::UserBanned { ban, channel: scope.channel, lifted: true });
    }
    Ok(outcome)
}

/// Where a ban or unban applies and who makes it, once they are found allowed to.
struct BanScope {
    channel: Option<Channel>,
    moderator: Option<User>,
}

impl BanScope {
    /// Refuses (code 17) a ban the actor may not make: app-wide needs an admin or moderator of the app, a channel
    /// ban `ban-channel-members` in that channel. Server calls may do both.
    async fn authorize(tx: &mut dyn Tx, ctx: &Context, cid: Option<&Cid>, action: &str) -> CoreResult<BanScope> {
        let moderator = crate::ops::acting_user(tx, ctx).await?;
        let channel = match cid {
            Some(cid) => {
                let (channel, config) = load_channel(tx, ctx, cid.as_str()).await?;
                let standing = standing(tx, ctx, &channel, &config, moderator.as_ref()).await?;
                standing.require("ban-channel-members", &format!("{action} members of channel {cid}"))?;
                Some(channel)
            }
            None => {
                let allowed =
                    ctx.actor.is_server() || moderator.as_ref().is_some_and(|user| is_app_moderator(&user.role));
                if !allowed {
                    return Err(CoreError::not_allowed(format!(
                        "only an admin or moderator of the app may {action} users app-wide"
                    )));
                }
                None
            }
        };
        Ok(BanScope { channel, moderator })
    }
}

/// The user to ban: they exist, are not the moderator, and (for a user token) are not an admin.
async fn ban_target(tx: &mut dyn Tx, ctx: &Context, target_id: &UserId, scope: &BanScope) -> CoreResult<User> {
    let target = tx
        .user(ctx.app_id(), target_id.as_str())
        .await?
        .ok_or_else(|| CoreError::input(format!("target user {target_id} does not exist")))?;
    if scope.moderator.as_ref().is_some_and(|moderator| moderator.id == target.id) {
        return Err(CoreError::input("a user cannot ban themselves"));
    }
    if !ctx.actor.is_server() && target.role == "admin" {
        return Err(CoreError::not_allowed(format!("user {target_id} is an admin of the app and cannot be banned")));
    }
    Ok(target)
}

/// A channel its creator just made: the bans they made "from future channels" apply in it too.
pub(crate) async fn carry_future_bans(tx: &mut dyn Tx, ctx: &Context, channel: &Channel) -> CoreResult<()> {
    let Some(creator) = &channel.created_by else { return Ok(()) };
    for ban in tx.future_bans_by(ctx.app_id(), creator, ctx.now).await? {
        let carried =
            Ban { channel_cid: Some(channel.cid.clone()), future_channels: false, created_at: ctx.now, ..ban };
        tx.put_ban(ctx.app_id(), &carried).await?;
    }
    Ok(())
}

/// The order of bans: newest first unless asked otherwise, ties by user and channel.
fn ban_order(descending: bool) -> Vec<OrderKey> {
    ["created_at", "user_id", "channel_cid"].into_iter().map(|column| OrderKey { column, descending }).collect()
}

fn ban_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "user_id" => FieldKind::Text { column: "user_id", nullable: false },
        "channel_cid" => FieldKind::Text { column: "channel_cid", nullable: false },
        "banned_by_id" => FieldKind::Text { column: "created_by", nullable: true },
        "reason" => FieldKind::Text { column: "reason", nullable: true },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        _ => return None,
    })
}

fn ban_filter_allows(field: &str, operator: Operator) -> bool {
    use Operator::*;
    match field {
        "user_id" | "banned_by_id" | "created_at" | "reason" => {
            matches!(operator, Eq | Gt | Gte | Lt | Lte | In | Exists)
        }
        "channel_cid" => matches!(operator, Eq | In),
        _ => false,
    }
}

/// The document a ban filter is checked against in memory (for conditions SQL cannot judge exactly).
fn ban_document(ban: &Ban) -> Map<String, Value> {
    let mut document = Map::new();
    document.insert("user_id".into(), Value::from(ban.user_id.as_str()));
    document.insert("channel_cid".into(), Value::from(ban.channel_cid.as_deref().unwrap_or("")));
    if let Some(by) = &ban.created_by {
        document.insert("banned_by_id".into(), Value::from(by.as_str()));
    }
    if let Some(reason) = &ban.reason {
        document.insert("reason".into(), Value::from(reason.as_str()));
    }
    document.insert("created_at".into(), Value::from(rill_protocol::time::format(&ban.created_at)));
    document
}

/// The bans a page holds, with the channels of its channel bans.
#[derive(Debug, Clone, Default)]
pub struct BanPage {
    pub bans: Vec<Ban>,
    pub channels: Vec<Channel>,
}

/// `GET /query_banned_users`: the bans the filter selects, newest first (or by `created_at` as sorted), paged.
/// Server calls and the app's admins and moderators see every ban; a channel moderator sees the bans of a
/// channel they moderate, named by `channel_cid`. Cost: the index range the filter names, plus the page.
pub async fn query_banned_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryBannedUsersRequest,
) -> CoreResult<Outcome<BanPage>> {
    let fields = "bans filter on user_id, channel_cid, banned_by_id, created_at and reason";
    let (filter, sort) = parse_filter(&request.filter_conditions, &request.sort, &ban_filter_allows, fields)?;
    let descending = newest_first(&sort, "bans")?;
    let page = Page {
        limit: page_size(request.limit, 25, MAX_BANS_PER_PAGE, "limit")?,
        offset: page_offset(request.offset, 10_000, "offset")?,
    };
    authorize_moderator_query(tx, ctx, &filter, "bans").await?;
    let compiled = selection::compile(&filter, ban_field, None);
    let mut conditions = vec![compiled.condition];
    if request.exclude_expired_bans == Some(true) {
        conditions.push(unexpired(ctx));
    }
    let query = RowQuery { condition: Condition::All(conditions), order: ban_order(descending), page: Some(page) };
    let keep = |ban: &Ban| query::matches(&filter, &ban_document(ban));
    let bans =
        select_page(tx, ctx, query, compiled.exact, |tx, app_id, query| tx.find_bans(app_id, query), keep).await?;
    let mut outcome = Outcome::new(BanPage::default());
    let mut mentioned: Vec<String> = Vec::with_capacity(bans.len() * 2);
    for ban in &bans {
        mentioned.push(ban.user_id.clone());
        mentioned.extend(ban.created_by.clone());
    }
    collect_users(tx, ctx.app_id(), &mut outcome.users, mentioned.iter().map(String::as_str)).await?;
    outcome.value.channels = load_channels(tx, ctx, bans.iter().filter_map(|ban| ban.channel_cid.clone())).await?;
    outcome.value.bans = bans;
    Ok(outcome)
}

/// Refuses (code 17) a query of `what` (bans, flags) by someone who is neither a server call, an app admin or
/// moderator, nor a moderator of the one channel the filter names with `channel_cid: {$eq: ...}` at its top
/// level.
async fn authorize_moderator_query(tx: &mut dyn Tx, ctx: &Context, filter: &Filter, what: &str) -> CoreResult<()> {
    if ctx.actor.is_server() {
        return Ok(());
    }
    let viewer = crate::ops::acting_user(tx, ctx).await?;
    if viewer.as_ref().is_some_and(|user| is_app_moderator(&user.role)) {
        return Ok(());
    }
    let refused = || {
        CoreError::not_allowed(format!(
            "only moderators may query {what}: the app's admins and moderators, or a channel's moderators with \
             filter_conditions.channel_cid naming that channel"
        ))
    };
    let cid = named_channel(filter).ok_or_else(refused)?;
    let (channel, config) = load_channel(tx, ctx, &cid).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    if standing.moderates {
        Ok(())
    } else {
        Err(refused())
    }
}

/// The channel a filter pins with a top-level `channel_cid` equality (alone or in a top-level `$and`).
fn named_channel(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Condition { field, op: Operator::Eq, value } if field == "channel_cid" => {
            value.as_str().map(str::to_owned)
        }
        Filter::And(children) => children.iter().find_map(named_channel),
        _ => None,
    }
}

/// What flagging or unflagging leaves: the flag, and for a message its view and channel.
#[derive(Debug, Clone)]
pub struct Flagged {
    pub flag: Flag,
    pub message: Option<(Channel, MessageView)>,
}

/// `POST /moderation/flag`: the acting user reports a message they can read (not their own) or another user,
/// once per target, with a reason (≤ 255 characters) and custom data.
pub async fn flag(tx: &mut dyn Tx, ctx: &Context, request: &FlagRequest) -> CoreResult<Outcome<Flagged>> {
    let reporter_id = ctx.acting_user_id("Flag")?.to_owned();
    let reason = request.reason.clone().filter(|reason| !reason.is_empty());
    if reason.as_ref().is_some_and(|reason| reason.chars().count() > MAX_MODERATION_REASON_CHARS) {
        return Err(CoreError::input(format!("reason must be at most {MAX_MODERATION_REASON_CHARS} characters")));
    }
    let data = request.custom.clone().unwrap_or_default();
    let target = flag_target(tx, ctx, request, &reporter_id).await?;
    let flag = Flag {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: reporter_id.clone(),
        target_message_id: target.message.as_ref().map(|(_, view)| view.message.id.clone()),
        target_user_id: target.user_id.clone(),
        channel_cid: target.message.as_ref().map(|(channel, _)| channel.cid.clone()),
        reason,
        data,
        created_at: ctx.now,
        updated_at: ctx.now,
        reviewed_at: None,
        reviewed_by: None,
        approved_at: None,
        rejected_at: None,
        message_deleted_at: None,
    };
    if !tx.insert_flag(ctx.app_id(), &flag).await? {
        let (kind, id) = flag.target();
        return Err(CoreError::input(format!("{kind} {id} is already flagged by user {reporter_id}")));
    }
    let mut outcome = Outcome::new(Flagged { flag: flag.clone(), message: target.message.clone() });
    collect_users(tx, ctx.app_id(), &mut outcome.users, [reporter_id.as_str(), target.user_id.as_str()]).await?;
    if let Some((channel, view)) = target.message {
        collect_users(tx, ctx.app_id(), &mut outcome.users, crate::ops::message_user_ids(&view)).await?;
        outcome.notices.push(Notice::MessageFlagged { channel, message: view, flag });
    }
    Ok(outcome)
}

/// `POST /moderation/unflag`: the acting user withdraws their report of the target (404 when there is none).
pub async fn unflag(tx: &mut dyn Tx, ctx: &Context, request: &FlagRequest) -> CoreResult<Outcome<Flagged>> {
    let reporter_id = ctx.acting_user_id("Unflag")?.to_owned();
    let (kind, target_id) = match (&request.target_message_id, &request.target_user_id) {
        (Some(message_id), None) => ("message", message_id.to_string()),
        (None, Some(user_id)) => ("user", user_id.to_string()),
        _ => return Err(CoreError::input("name one of target_message_id and target_user_id")),
    };
    let removed = tx.delete_flag(ctx.app_id(), kind, &target_id, &reporter_id).await?;
    let flag = removed
        .ok_or_else(|| CoreError::not_found(format!("{kind} {target_id} is not flagged by user {reporter_id}")))?;
    let mut outcome = Outcome::new(Flagged { flag, message: None });
    let target_user = outcome.value.flag.target_user_id.clone();
    collect_users(tx, ctx.app_id(), &mut outcome.users, [reporter_id.as_str(), target_user.as_str()]).await?;
    Ok(outcome)
}

/// What a flag reports: a message (with its channel; its author is `user_id`) or a user.
struct FlagTarget {
    user_id: String,
    message: Option<(Channel, MessageView)>,
}

async fn flag_target(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &FlagRequest,
    reporter_id: &str,
) -> CoreResult<FlagTarget> {
    match (&request.target_message_id, &request.target_user_id) {
        (Some(message_id), None) => {
            let (message, channel, _config, standing, _user) =
                crate::ops::messages::message_context(tx, ctx, message_id).await?;
            standing.require("flag-message", "flag messages")?;
            if message.user_id == reporter_id {
                return Err(CoreError::input("a user cannot flag their own message"));
            }
            if message.deleted_at.is_some() {
                return Err(CoreError::input(format!("message {message_id} is deleted")));
            }
            let user_id = message.user_id.clone();
            let mut views =
                crate::ops::messages::message_views(tx, ctx, vec![message], Some(reporter_id), false).await?;
            let view = views.pop().ok_or_else(|| CoreError::internal("flagged message view missing"))?;
            Ok(FlagTarget { user_id, message: Some((channel, view)) })
        }
        (None, Some(user_id)) => {
            if user_id.as_str() == reporter_id {
                return Err(CoreError::input("a user cannot flag themselves"));
            }
            if tx.user(ctx.app_id(), user_id.as_str()).await?.is_none() {
                return Err(CoreError::input(format!("target user {user_id} does not exist")));
            }
            Ok(FlagTarget { user_id: user_id.to_string(), message: None })
        }
        _ => Err(CoreError::input("name one of target_message_id and target_user_id")),
    }
}

fn flag_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "channel_cid" => FieldKind::Text { column: "channel_cid", nullable: false },
        "message_id" => FieldKind::Text { column: "target_id", nullable: false },
        "user_id" | "reporter_id" => FieldKind::Text { column: "user_id", nullable: false },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        _ => return None,
    })
}

fn flag_filter_allows(field: &str, operator: Operator) -> bool {
    use Operator::*;
    match field {
        "channel_cid" | "message_id" | "user_id" => matches!(operator, Eq | In),
        "reporter_id" | "is_reviewed" => operator == Eq,
        "created_at" => matches!(operator, Eq | Gt | Gte | Lt | Lte),
        _ => false,
    }
}

fn flag_document(flag: &Flag) -> Map<String, Value> {
    let mut document = Map::new();
    document.insert("channel_cid".into(), Value::from(flag.channel_cid.as_deref().unwrap_or("")));
    document.insert("message_id".into(), Value::from(flag.target_message_id.as_deref().unwrap_or("")));
    document.insert("user_id".into(), Value::from(flag.user_id.as_str()));
    document.insert("reporter_id".into(), Value::from(flag.user_id.as_str()));
    document.insert("created_at".into(), Value::from(rill_protocol::time::format(&flag.created_at)));
    document.insert("is_reviewed".into(), Value::from(flag.reviewed_at.is_some()));
    document
}

/// Takes a top-level `is_reviewed: bool` out of a flags filter (it is a column's presence, not a value); the
/// condition it stands for is returned beside the rest. Anywhere else it is refused.
fn split_reviewed(filter: Filter) -> CoreResult<(Filter, Option<Condition>)> {
    let reviewed = |value: &Value| -> CoreResult<Condition> {
        let reviewed = value.as_bool().ok_or_else(|| CoreError::input("is_reviewed must be true or false"))?;
        let null = Condition::Null { column: "reviewed_at" };
        Ok(if reviewed { Condition::Not(Box::new(null)) } else { null })
    };
    let nested = |filter: &Filter| filter.to_json().to_string().contains("\"is_reviewed\"");
    match filter {
        Filter::Condition { field, value, .. } if field == "is_reviewed" => {
            Ok((Filter::And(Vec::new()), Some(reviewed(&value)?)))
        }
        Filter::And(children) => {
            let mut condition = None;
            let mut rest = Vec::with_capacity(children.len());
            for child in children {
                match child {
                    Filter::Condition { field, value, .. } if field == "is_reviewed" => {
                        condition = Some(reviewed(&value)?)
                    }
                    other if nested(&other) => {
                        return Err(CoreError::input("is_reviewed is supported at the top level only"))
                    }
                    other => rest.push(other),
                }
            }
            Ok((Filter::And(rest), condition))
        }
        other if nested(&other) => Err(CoreError::input("is_reviewed is supported at the top level only")),
        other => Ok((other, None)),
    }
}

/// The queue's page: flags with their messages (as moderators see them: deleted content too) and channels.
#[derive(Debug, Clone, Default)]
pub struct FlagPage {
    pub flags: Vec<Flag>,
    pub messages: Vec<MessageView>,
    pub channels: Vec<Channel>,
}

/// `GET /moderation/flags/message`: message flags, newest first (or by `created_at` as sorted), paged; without
/// `show_deleted_messages`, only those whose message still stands. Who may: as for bans. Cost: the index range
/// the filter names, plus the page and its messages.
pub async fn query_message_flags(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryMessageFlagsRequest,
) -> CoreResult<Outcome<FlagPage>> {
    let fields = "message flags filter on channel_cid, message_id, user_id, reporter_id, created_at and is_reviewed";
    let (filter, sort) = parse_filter(&request.filter_conditions, &request.sort, &flag_filter_allows, fields)?;
    let descending = newest_first(&sort, "message flags")?;
    let page = Page {
        limit: page_size(request.limit, 25, MAX_FLAGS_PER_PAGE, "limit")?,
        offset: page_offset(request.offset, 10_000, "offset")?,
    };
    authorize_moderator_query(tx, ctx, &filter, "message flags").await?;
    let (rest, reviewed) = split_reviewed(filter.clone())?;
    let compiled = selection::compile(&rest, flag_field, None);
    let kind = Condition::Column { column: "target_kind", op: Comparison::Eq, value: Scalar::Text("message".into()) };
    let mut conditions = vec![kind, compiled.condition];
    conditions.extend(reviewed);
    if request.show_deleted_messages != Some(true) {
        conditions.push(Condition::Null { column: "message_deleted_at" });
    }
    let order: Vec<OrderKey> =
        ["created_at", "target_id", "user_id"].into_iter().map(|column| OrderKey { column, descending }).collect();
    let query = RowQuery { condition: Condition::All(conditions), order, page: Some(page) };
    let keep = |flag: &Flag| query::matches(&filter, &flag_document(flag));
    let flags =
        select_page(tx, ctx, query, compiled.exact, |tx, app_id, query| tx.find_flags(app_id, query), keep).await?;
    let mut ids: Vec<String> = flags.iter().filter_map(|flag| flag.target_message_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let messages = tx.messages(ctx.app_id(), &ids).await?;
    let messages = crate::ops::messages::message_views(tx, ctx, messages, ctx.actor.user_id(), true).await?;
    let mut outcome = Outcome::new(FlagPage::default());
    outcome.value.channels = load_channels(tx, ctx, messages.iter().map(|view| view.message.cid.clone())).await?;
    let mut mentioned: Vec<String> = Vec::new();
    for flag in &flags {
        mentioned.push(flag.user_id.clone());
        mentioned.extend(flag.reviewed_by.clone());
    }
    for view in &messages {
        mentioned.extend(crate::ops::message_user_ids(view).into_iter().map(str::to_owned));
    }
    collect_users(tx, ctx.app_id(), &mut outcome.users, mentioned.iter().map(String::as_str)).await?;
    outcome.value.flags = flags;
    outcome.value.messages = messages;
    Ok(outcome)
}

/// Refuses a mute that would give a user more than `MAX_MUTES_PER_USER` of a kind: `me` carries them all.
fn refuse_too_many_mutes(count: usize, what: &str) -> CoreResult<()> {
    if count > MAX_MUTES_PER_USER {
        return Err(CoreError::input(format!(
            "a user can mute at most {MAX_MUTES_PER_USER} {what}: unmute some first"
        )));
    }
    Ok(())
}

/// What muting or unmuting channels leaves: the muter, their mutes now, and the mutes this call made.
#[derive(Debug, Clone)]
pub struct ChannelMutes {
    pub muter: User,
    pub own: OwnMutes,
    pub made: Vec<ChannelMute>,
}

/// The acting user and the channels named (1 to `MAX_CHANNELS_PER_MUTE`, each one they may mute).
async fn channel_muter(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &MuteChannelRequest,
) -> CoreResult<(User, Vec<String>)> {
    ctx.acting_user_id("MuteChannel")?;
    let mut cids: Vec<String> = request.channels().into_iter().map(Cid::into_string).collect();
    cids.sort_unstable();
    cids.dedup();
    if cids.is_empty() || cids.len() > MAX_CHANNELS_PER_MUTE {
        return Err(CoreError::input(format!("channel_cids must name 1 to {MAX_CHANNELS_PER_MUTE} channels")));
    }
    let muter = crate::ops::acting_user(tx, ctx).await?.ok_or_else(|| CoreError::input("user_id is required"))?;
    for cid in &cids {
        let (channel, config) = load_channel(tx, ctx, cid).await?;
        let standing = standing(tx, ctx, &channel, &config, Some(&muter)).await?;
        standing.require_read(cid)?;
        if !config.mutes {
            return Err(CoreError::new(
                rill_protocol::error::ErrorCode::ChannelFeatureNotSupported,
                format!("mutes are disabled for channel type {}", channel.channel_type),
            ));
        }
        standing.require("mute-channel", &format!("mute channel {cid}"))?;
    }
    Ok((muter, cids))
}

/// `POST /moderation/mute/channel`: the acting user mutes the channels for `expiration` milliseconds (up to a
/// year) or until they unmute; muting again renews the mute. A muted channel adds nothing to their unread totals.
pub async fn mute_channels(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &MuteChannelRequest,
) -> CoreResult<Outcome<ChannelMutes>> {
    let expires = match request.expiration {
        None | Some(0) => None,
        Some(millis) if (1..=MAX_CHANNEL_MUTE_MILLIS).contains(&millis) => {
            Some(ctx.now + chrono::Duration::milliseconds(millis))
        }
        Some(_) => {
            return Err(CoreError::input(format!("expiration must be 1 to {MAX_CHANNEL_MUTE_MILLIS} milliseconds")))
        }
    };
    let (muter, cids) = channel_muter(tx, ctx, request).await?;
    let earlier = tx.channel_mutes(ctx.app_id(), &muter.id, None, ctx.now).await?;
    let fresh = cids.iter().filter(|cid| !earlier.iter().any(|mute| &mute.channel_cid == *cid)).count();
    refuse_too_many_mutes(earlier.len() + fresh, "channels")?;
    let mut made = Vec::with_capacity(cids.len());
    for cid in cids {
        let created_at = earlier.iter().find(|mute| mute.channel_cid == cid).map_or(ctx.now, |mute| mute.created_at);
        let mute =
            ChannelMute { user_id: muter.id.clone(), channel_cid: cid, created_at, updated_at: ctx.now, expires };
        tx.put_channel_mute(ctx.app_id(), &mute).await?;
        made.push(mute);
    }
    finish_channel_mutes(tx, ctx, muter, made).await
}

/// `POST /moderation/unmute/channel`: the acting user lifts their mutes of the channels (an absent mute is no
/// error).
pub async fn unmute_channels(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &MuteChannelRequest,
) -> CoreResult<Outcome<ChannelMutes>> {
    let (muter, cids) = channel_muter(tx, ctx, request).await?;
    for cid in &cids {
        tx.delete_channel_mute(ctx.app_id(), &muter.id, cid).await?;
    }
    finish_channel_mutes(tx, ctx, muter, Vec::new()).await
}

async fn finish_channel_mutes(
    tx: &mut dyn Tx,
    ctx: &Context,
    muter: User,
    made: Vec<ChannelMute>,
) -> CoreResult<Outcome<ChannelMutes>> {
    let mut users = UserDirectory::new();
    users.insert(muter.id.clone(), muter.clone());
    let own = OwnMutes::of(tx, ctx, &muter.id, &mut users).await?;
    Ok(Outcome { value: ChannelMutes { muter, own, made }, notices: Vec::new(), users })
}

/// `GET /query_future_channel_bans`: the bans from future channels the banner made (of one target, if named),
/// newest first, paged. A user token sees its own user's; a server call names the banner with `user_id`.
/// Cost: the banner's future bans (by a partial index), plus the page; with `include_total`, all of them.
pub async fn query_future_channel_bans(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryFutureChannelBansRequest,
) -> CoreResult<Outcome<(Vec<Ban>, Option<u64>)>> {
    let banner = ctx.acting_user_id("QueryFutureChannelBans")?.to_owned();
    let page = Page {
        limit: page_size(request.limit, 25, MAX_BANS_PER_PAGE, "limit")?,
        offset: page_offset(request.offset, 10_000, "offset")?,
    };
    let text = |column: &'static str, value: &str| Condition::Column {
        column,
        op: Comparison::Eq,
        value: Scalar::Text(value.to_owned()),
    };
    let mut conditions = vec![
        text("created_by", &banner),
        Condition::Column { column: "future_channels", op: Comparison::Eq, value: Scalar::Bool(true) },
    ];
    conditions.extend(request.target_user_id.as_ref().map(|target| text("user_id", target.as_str())));
    if request.exclude_expired_bans == Some(true) {
        conditions.push(unexpired(ctx));
    }
    let condition = Condition::All(conditions);
    let total = if request.include_total == Some(true) {
        let all = RowQuery { condition: condition.clone(), order: Vec::new(), page: None };
        Some(tx.find_bans(ctx.app_id(), &all).await?.len() as u64)
    } else {
        None
    };
    let bans = tx.find_bans(ctx.app_id(), &RowQuery { condition, order: ban_order(true), page: Some(page) }).await?;
    let mut mentioned: Vec<String> = vec![banner];
    mentioned.extend(bans.iter().map(|ban| ban.user_id.clone()));
    let mut outcome = Outcome::new((bans, total));
    collect_users(tx, ctx.app_id(), &mut outcome.users, mentioned.iter().map(String::as_str)).await?;
    Ok(outcome)
}

/// A ban that has not run out at the request's time.
fn unexpired(ctx: &Context) -> Condition {
    let now = Scalar::Int(crate::store::codec::micros(&ctx.now));
    Condition::Any(vec![
        Condition::Null { column: "expires_at" },
        Condition::Column { column: "expires_at", op: Comparison::Gt, value: now },
    ])
}

/// A moderators' query's filter (validated against `allows`; a refusal names the `fields` there are) and sort.
fn parse_filter(
    filter_conditions: &Option<Value>,
    sort: &Option<Value>,
    allows: &dyn Fn(&str, Operator) -> bool,
    fields: &str,
) -> CoreResult<(Filter, Vec<rill_protocol::filter::SortField>)> {
    let filter_value = filter_conditions.clone().unwrap_or_else(|| Value::Object(Map::new()));
    let filter = Filter::parse(&filter_value).map_err(|error| CoreError::input(error.message))?;
    filter.validate(allows).map_err(|error| CoreError::input(format!("{} ({fields})", error.message)))?;
    let sort = parse_sort(sort.as_ref().unwrap_or(&Value::Null)).map_err(|error| CoreError::input(error.message))?;
    Ok((filter, sort))
}

/// Whether a sort of `what` by `created_at` (the only one it has) is newest first, as it is by default.
fn newest_first(sort: &[rill_protocol::filter::SortField], what: &str) -> CoreResult<bool> {
    match sort {
        [] => Ok(true),
        [only] if only.field == "created_at" => Ok(only.direction == SortDirection::Descending),
        _ => Err(CoreError::input(format!("{what} can be sorted by created_at only"))),
    }
}

/// Reads one kind of row of the store for [`select_page`].
type Finder<T> = for<'t> fn(&'t mut dyn Tx, i64, &'t RowQuery) -> crate::store::BoxFuture<'t, CoreResult<Vec<T>>>;

/// The page `query` asks for: in SQL when the filter compiled `exact`, else by scanning the rows its condition
/// selects, `SCAN_BATCH` at a time, and keeping those `keep` passes until the page is full.
async fn select_page<T>(
    tx: &mut dyn Tx,
    ctx: &Context,
    query: RowQuery,
    exact: bool,
    find: Finder<T>,
    keep: impl Fn(&T) -> bool,
) -> CoreResult<Vec<T>> {
    if exact {
        return find(tx, ctx.app_id(), &query).await;
    }
    let page = query.page.unwrap_or(Page { offset: 0, limit: usize::MAX });
    let mut kept = Vec::new();
    let mut scanned = 0;
    loop {
        let batch = RowQuery { page: Some(Page { offset: scanned, limit: crate::ops::SCAN_BATCH }), ..query.clone() };
        let rows = find(tx, ctx.app_id(), &batch).await?;
        scanned += rows.len();
        let done = rows.len() < crate::ops::SCAN_BATCH;
        kept.extend(rows.into_iter().filter(|row| keep(row)));
        if done || kept.len() >= page.offset.saturating_add(page.limit) {
            break;
        }
    }
    Ok(kept.into_iter().skip(page.offset).take(page.limit).collect())
}

/// The channels named (duplicates once), in one query. Cost: a primary-key probe per channel.
async fn load_channels(tx: &mut dyn Tx, ctx: &Context, cids: impl Iterator<Item = String>) -> CoreResult<Vec<Channel>> {
    let mut values: Vec<String> = cids.collect();
    values.sort_unstable();
    values.dedup();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let condition = Condition::InList { column: "cid", values };
    tx.find_channels(ctx.app_id(), &RowQuery { condition, order: Vec::new(), page: None }).await
}
