//! Channels: get-or-create (including distinct channels), state, query, update, partial update, delete,
//! truncate, members and moderators, hide and show, read state, and authorizing client events.

use crate::error::{CoreError, CoreResult};
use crate::ids::{check_client_channel_id, distinct_channel_id, ChannelId, ChannelType, Cid, UserId};
use crate::model::{
    Actor, Channel, ChannelView, InviteStatus, Member, Message, MessageView, UnreadTotals, User, UserDirectory,
};
use crate::ops::messages::{message_range, message_views, post_message, SendOptions};
use crate::ops::{
    acting_user, collect_users, config_of, flatten_custom, load_channel, load_channel_for_update, message_user_ids,
    page_offset, page_size, save_channel, save_member, set_path, standing, standing_of, unset_path, Context, Notice,
    Outcome, Standing,
};
use crate::ops::{refuse_unsortable, MAX_SORTED_IN_MEMORY, SCAN_BATCH};
use crate::policy;
use crate::query;
use crate::store::selection::members_of;
use crate::store::selection::{
    self, Comparison, Condition, FieldKind, MembershipTest, OrderKey, Page, RowQuery, Scalar, WordIndex,
    MEMBERS_BY_JOINING,
};
use crate::store::{ChannelScope, MessageRange, Sight, Tx};
use rill_protocol::error::ErrorCode;
use rill_protocol::filter::{parse_sort, Filter, SortField};
use rill_protocol::limits::{
    CHANNEL_MESSAGES_LIMIT, MAX_CHANNELS_PER_READ, MAX_COOLDOWN_SECONDS, MAX_EVENT_TYPE_BYTES, MAX_FILTER_TAGS,
    MAX_FILTER_TAG_BYTES, MAX_MEMBERS_PER_CALL,
};
use rill_protocol::request::{
    ChannelData, GetOrCreateChannelRequest, MemberInput, Paging, PartialUpdateRequest, QueryChannelsRequest,
    QueryMembersRequest, UpdateChannelRequest,
};
use rill_protocol::types::ChannelConfig;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Fields of the channel object that custom data may not use.
const RESERVED: &[&str] = &[
    "id",
    "cid",
    "type",
    "created_at",
    "updated_at",
    "deleted_at",
    "members",
    "config",
    "created_by",
    "created_by_id",
    "frozen",
    "disabled",
    "team",
    "cooldown",
    "last_message_at",
    "member_count",
    "message_count",
    "own_capabilities",
    "truncated_at",
    "truncated_by",
    "hidden",
    "muted",
    "messages",
    "read",
    "watchers",
    "watcher_count",
    "membership",
    "pinned_messages",
];

const MEMBER_PAGE_MAX: usize = 300;

/// How much state a channel view carries.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub messages: Paging,
    pub member_limit: usize,
    pub member_offset: usize,
}

impl Default for ViewOptions {
    fn default() -> ViewOptions {
        ViewOptions { messages: Paging::default(), member_limit: 100, member_offset: 0 }
    }
}

/// Pinned messages in a channel view (the newest pins).
const PINNED_IN_VIEW: usize = 10;

/// Builds what one viewer sees of a channel.
pub(crate) async fn channel_view(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: Channel,
    config: &ChannelConfig,
    standing: &Standing,
    options: &ViewOptions,
    users: &mut UserDirectory,
) -> CoreResult<ChannelView> {
    let messages = view_messages(tx, ctx, &channel, standing, &options.messages).await?;
    let pinned = tx.pinned_messages(ctx.app_id(), &channel.cid, PINNED_IN_VIEW, &standing.sight()).await?;
    let part = ViewParts { channel, standing: standing.clone(), read_events: config.read_events, messages, pinned };
    let page = Page { offset: options.member_offset, limit: options.member_limit.min(MEMBER_PAGE_MAX) };
    let mut views = assemble_views(tx, ctx, vec![part], page, users).await?;
    views.pop().ok_or_else(|| CoreError::internal("channel view missing"))
}

/// The page of a channel's messages a view asks for (newest by default, or around, before or after one).
async fn view_messages(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    standing: &Standing,
    paging: &Paging,
) -> CoreResult<Vec<Message>> {
    let (default, max) = CHANNEL_MESSAGES_LIMIT;
    let limit = page_size(paging.limit, default, max, "messages.limit")?;
    let since = &standing.sight();
    let Some(around) = &paging.id_around else {
        return match message_range(tx, ctx, paging).await? {
            Some(range) => tx.channel_messages(ctx.app_id(), &channel.cid, &range, limit, since).await,
            None => Ok(Vec::new()),
        };
    };
    match tx.message(ctx.app_id(), around).await? {
        Some(center) if center.cid == channel.cid => {
            let half = (limit / 2).max(1);
            let before = MessageRange::Before { at: center.created_at, id: center.id.clone(), inclusive: true };
            let after = MessageRange::After { at: center.created_at, id: center.id.clone(), inclusive: false };
            let mut messages = tx.channel_messages(ctx.app_id(), &channel.cid, &before, half + 1, since).await?;
            let rest = limit.saturating_sub(half + 1).max(1);
            messages.extend(tx.channel_messages(ctx.app_id(), &channel.cid, &after, rest, since).await?);
            Ok(messages)
        }
        _ => Ok(Vec::new()),
    }
}

/// What a channel view is built from: the channel, the viewer's standing in it, and the messages it shows.
struct ViewParts {
    channel: Channel,
    standing: Standing,
    read_events: bool,
    messages: Vec<Message>,
    pinned: Vec<Message>,
}

/// Renders channel views for one viewer: the messages with their reactions, quotes and threads, a page of
/// members in the order they joined (however large the channel; the rest through QueryMembers), the reads of
/// those members and the viewer's own, and every user they name.
///
/// Cost: a fixed number of queries for the whole list, whatever its length (QueryChannels renders a page of
/// channels at once), each reading the rows it returns.
async fn assemble_views(
    tx: &mut dyn Tx,
    ctx: &Context,
    mut parts: Vec<ViewParts>,
    member_page: Page,
    users: &mut UserDirectory,
) -> CoreResult<Vec<ChannelView>> {
    let rendered = render_view_messages(tx, ctx, &mut parts).await?;
    let cids: Vec<String> = parts.iter().map(|part| part.channel.cid.clone()).collect();
    let mut pages = tx.member_pages(ctx.app_id(), &cids, member_page).await?;
    let shown: Vec<&mut Member> = pages.values_mut().flatten().collect();
    crate::ops::attach_bans(tx, ctx, shown).await?;
    let mut mutes = match ctx.actor.user_id() {
        Some(user_id) => tx.channel_mutes(ctx.app_id(), user_id, Some(&cids), ctx.now).await?,
        None => Vec::new(),
    };
    let mut views = Vec::with_capacity(parts.len());
    for (part, (messages, pinned_messages)) in parts.into_iter().zip(rendered) {
        let members = pages.remove(&part.channel.cid).unwrap_or_default();
        let membership = part.standing.member;
        let mut reads: Vec<Member> = if part.read_events { members.clone() } else { Vec::new() };
        if let Some(own) = membership.as_ref().filter(|own| part.read_events && !members.contains(own)) {
            reads.push(own.clone());
        }
        let hidden = membership.as_ref().is_some_and(|member| member.hidden);
        let muted =
            mutes.iter().position(|mute| mute.channel_cid == part.channel.cid).map(|index| mutes.swap_remove(index));
        views.push(ChannelView {
            channel: part.channel,
            members,
            messages,
            pinned_messages,
            reads,
            membership,
            own_capabilities: part.standing.capabilities,
            hidden,
            muted,
        });
    }
    let mut ids: Vec<&str> = Vec::new();
    for view in &views {
        ids.extend(view.members.iter().chain(&view.reads).map(|member| member.user_id.as_str()));
        ids.extend(view.channel.created_by.as_deref());
        for message in view.messages.iter().chain(&view.pinned_messages) {
            ids.extend(message_user_ids(message));
        }
    }
    collect_users(tx, ctx.app_id(), users, ids).await?;
    Ok(views)
}

/// Each part's messages and pins as views, in at most two batches: the channels where the viewer sees deleted
/// content and those where they do not.
async fn render_view_messages(
    tx: &mut dyn Tx,
    ctx: &Context,
    parts: &mut [ViewParts],
) -> CoreResult<Vec<(Vec<MessageView>, Vec<MessageView>)>> {
    let mut rendered: Vec<(Vec<MessageView>, Vec<MessageView>)> = parts.iter().map(|_| Default::default()).collect();
    for sees in [false, true] {
        let mut batch = Vec::new();
        let mut lengths = Vec::new();
        for (index, part) in parts.iter_mut().enumerate().filter(|(_, part)| part.standing.sees_deleted() == sees) {
            lengths.push((index, part.messages.len(), part.pinned.len()));
            batch.append(&mut part.messages);
            batch.append(&mut part.pinned);
        }
        if batch.is_empty() {
            continue;
        }
        let mut views = message_views(tx, ctx, batch, ctx.actor.user_id(), sees).await?.into_iter();
        for (index, messages, pinned) in lengths {
            let messages = views.by_ref().take(messages).collect();
            rendered[index] = (messages, views.by_ref().take(pinned).collect());
        }
    }
    Ok(rendered)
}

/// Where each member filter field is in the store (see `store::selection`); any other field is the member's
/// custom data.
pub(crate) fn member_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "user_id" | "id" => FieldKind::Text { column: "user_id", nullable: false },
        "cid" => FieldKind::Text { column: "cid", nullable: false },
        "channel_role" => FieldKind::Text { column: "channel_role", nullable: false },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        "updated_at" => FieldKind::Time { column: "updated_at", nullable: false },
        "is_moderator" => FieldKind::ColumnIs { column: "channel_role", value: "channel_moderator" },
        "name" => FieldKind::WordsOnly { index: WordIndex::UserName },
        "notifications_muted" => FieldKind::AlwaysFalse,
        // From the member's user, or their invite.
        "banned" | "invite" | "joined" | "last_active" => FieldKind::Computed,
        _ if field.starts_with("user.") => FieldKind::Computed,
        _ => return None,
    })
}

fn member_filter_allows(field: &str, operator: rill_protocol::filter::Operator) -> bool {
    use rill_protocol::filter::Operator::*;
    match field {
        "user_id" | "id" | "created_at" | "updated_at" => {
            matches!(operator, Eq | Ne | In | Nin | Gt | Gte | Lt | Lte | Exists)
        }
        "cid" | "invite" => matches!(operator, Eq | Ne | In | Nin),
        "channel_role" => matches!(operator, Eq | Ne | In | Nin),
        "name" => matches!(operator, Eq | In | Autocomplete | Q),
        "banned" | "is_moderator" | "joined" | "notifications_muted" => matches!(operator, Eq | Ne),
        "last_active" => matches!(operator, Eq | Gt | Gte | Lt | Lte),
        _ => true,
    }
}

/// The document a member filter is evaluated against.
pub(crate) fn member_document(member: &Member, cid: &str, user: Option<&User>) -> Map<String, Value> {
    use rill_protocol::time::format;
    let mut document = member.data.clone();
    document.insert("user_id".into(), Value::from(member.user_id.as_str()));
    document.insert("id".into(), Value::from(member.user_id.as_str()));
    document.insert("cid".into(), Value::from(cid));
    document.insert("channel_role".into(), Value::from(member.channel_role.as_str()));
    document.insert("created_at".into(), Value::from(format(&member.created_at)));
    document.insert("updated_at".into(), Value::from(format(&member.updated_at)));
    document.insert("is_moderator".into(), Value::from(member.is_moderator()));
    document.insert("notifications_muted".into(), Value::from(false));
    let invite = member.invite_status();
    if let Some(status) = invite {
        document.insert("invite".into(), Value::from(status.as_str()));
    }
    document.insert("joined".into(), Value::from(invite.is_none_or(|status| status == InviteStatus::Accepted)));
    // Banned in this channel (as the member response shows it); a shadow ban is not visible.
    document.insert("banned".into(), Value::from(member.ban.as_ref().is_some_and(|ban| !ban.shadow)));
    if let Some(user) = user {
        if let Some(name) = user.data.get("name") {
            document.insert("name".into(), name.clone());
        }
        if let Some(last_active) = &user.last_active {
            document.insert("last_active".into(), Value::from(format(last_active)));
        }
        let mut profile = user.data.clone();
        profile.insert("id".into(), Value::from(user.id.as_str()));
        profile.insert("role".into(), Value::from(user.role.as_str()));
        document.insert("user".into(), Value::Object(profile));
    }
    document
}

/// The member fields a sort can order by in SQL.
fn member_sort_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "created_at" => "created_at",
        "updated_at" => "updated_at",
        "user_id" => "user_id",
        _ => return None,
    })
}

/// `GET /members`: filters, sorts and pages a channel's members, for whoever may read the channel.
///
/// Cost: as QueryUsers' (see `query_users`), over the channel's members: an exact filter pages in SQL along the
/// channel's member index.
pub async fn query_members(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryMembersRequest,
) -> CoreResult<Outcome<(Channel, Vec<Member>)>> {
    let channel_type = request.channel_type.as_ref().ok_or_else(|| CoreError::input("type is required"))?;
    let id = match (&request.id, &request.members) {
        (Some(id), _) => id.clone(),
        (None, Some(members)) => {
            let mut distinct: Vec<&UserId> = members.iter().collect();
            check_member_count(distinct.len(), "members")?;
            distinct.sort_unstable();
            distinct.dedup();
            distinct_channel_id(&distinct)
        }
        (None, None) => return Err(CoreError::input("id (or members, for a distinct channel) is required")),
    };
    let cid = Cid::new(channel_type, &id);
    let config = config_of(channel_type, &ctx.app)?;
    let channel = tx
        .channel(ctx.app_id(), &cid)
        .await?
        .filter(|channel| channel.deleted_at.is_none())
        .ok_or_else(|| CoreError::not_found(format!("channel {cid} does not exist")))?;
    let viewer = acting_user(tx, ctx).await?;
    standing(tx, ctx, &channel, &config, viewer.as_ref()).await?.require_read(&channel.cid)?;

    let filter_value =
        request.filter_conditions.as_ref().ok_or_else(|| CoreError::input("filter_conditions is required"))?;
    let filter = Filter::parse(filter_value).map_err(|error| CoreError::input(error.message))?;
    filter.validate(&member_filter_allows).map_err(|error| CoreError::input(error.message))?;
    let sort =
        parse_sort(request.sort.as_ref().unwrap_or(&Value::Null)).map_err(|error| CoreError::input(error.message))?;
    if sort.len() > 1 {
        return Err(CoreError::input("members can be sorted by one field only"));
    }
    let page = Page {
        limit: page_size(request.limit, 100, MEMBER_PAGE_MAX, "limit")?,
        offset: page_offset(request.offset, 10_000, "offset")?,
    };
    let compiled = selection::compile(&filter, member_field, None);
    let order = if sort.is_empty() {
        Some(MEMBERS_BY_JOINING.to_vec())
    } else {
        selection::sql_order(&sort, member_sort_column, &MEMBERS_BY_JOINING)
    };
    let mut outcome = Outcome::new(());
    let members = match order {
        Some(order) if compiled.exact => {
            let mut query = members_of(&cid, compiled.condition, page);
            query.order = order;
            tx.find_members(ctx.app_id(), &query).await?
        }
        Some(order) => {
            let mut kept = Vec::new();
            let mut scanned = 0;
            loop {
                let mut query =
                    members_of(&cid, compiled.condition.clone(), Page { offset: scanned, limit: SCAN_BATCH });
                query.order = order.clone();
                let mut rows = tx.find_members(ctx.app_id(), &query).await?;
                crate::ops::attach_bans(tx, ctx, rows.iter_mut().collect()).await?;
                scanned += rows.len();
                let done = rows.len() < SCAN_BATCH;
                collect_users(tx, ctx.app_id(), &mut outcome.users, rows.iter().map(|m| m.user_id.as_str())).await?;
                kept.extend(rows.into_iter().filter(|member| {
                    query::matches(&filter, &member_document(member, &cid, outcome.users.get(&member.user_id)))
                }));
                if done || kept.len() >= page.offset + page.limit {
                    break;
                }
            }
            apply_page(kept, Some(page))
        }
        None => {
            let everything = Page { offset: 0, limit: MAX_SORTED_IN_MEMORY + 1 };
            let mut rows = tx.find_members(ctx.app_id(), &members_of(&cid, compiled.condition, everything)).await?;
            refuse_unsortable(rows.len(), &sort)?;
            crate::ops::attach_bans(tx, ctx, rows.iter_mut().collect()).await?;
            collect_users(tx, ctx.app_id(), &mut outcome.users, rows.iter().map(|m| m.user_id.as_str())).await?;
            let mut matching: Vec<(Member, Map<String, Value>)> = rows
                .into_iter()
                .map(|member| {
                    let document = member_document(&member, &cid, outcome.users.get(&member.user_id));
                    (member, document)
                })
                .filter(|(_, document)| query::matches(&filter, document))
                .collect();
            matching.sort_by(|(_, a), (_, b)| query::compare(a, b, &sort));
            apply_page(matching.into_iter().map(|(member, _)| member).collect(), Some(page))
        }
    };
    let mut members = members;
    crate::ops::attach_bans(tx, ctx, members.iter_mut().collect()).await?;
    collect_users(tx, ctx.app_id(), &mut outcome.users, members.iter().map(|m| m.user_id.as_str())).await?;
    Ok(Outcome { value: (channel, members), notices: outcome.notices, users: outcome.users })
}

fn channel_data_custom(data: &ChannelData) -> CoreResult<Map<String, Value>> {
    flatten_custom(&data.custom, RESERVED, "channel")
}

fn check_channel_role(role: &str, actor: &Actor) -> CoreResult<()> {
    match role {
        "channel_member" => Ok(()),
        "channel_moderator" if actor.is_server() => Ok(()),
        "channel_moderator" => {
            Err(CoreError::not_allowed("only server-side calls may assign channel_moderator on creation"))
        }
        other => Err(CoreError::input(format!(
            "channel_role {other:?} is not known: use channel_member or channel_moderator"
        ))),
    }
}

/// Creates member rows for users who are not members yet; fails naming users that do not exist.
async fn add_members(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &mut Channel,
    inputs: &[MemberInput],
    hide_messages_before: Option<chrono::DateTime<chrono::Utc>>,
    invited: bool,
) -> CoreResult<Vec<Member>> {
    check_member_count(inputs.len(), "members")?;
    let mut ids: Vec<String> = Vec::new();
    for input in inputs {
        if !ids.iter().any(|id| id == input.user_id().as_str()) {
            ids.push(input.user_id().to_string());
        }
    }
    let known: Vec<String> = tx.users(ctx.app_id(), &ids).await?.into_iter().map(|user| user.id).collect();
    let missing: Vec<&String> = ids.iter().filter(|id| !known.contains(id)).collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|id| id.as_str()).collect();
        return Err(CoreError::input(format!(
            "the following users are involved in the channel operation but do not exist: [{}]",
            names.join(", ")
        )));
    }
    let mut added = Vec::new();
    for input in inputs {
        if added.iter().any(|member: &Member| member.user_id == input.user_id().as_str()) {
            continue;
        }
        let role = input.channel_role().unwrap_or("channel_member");
        check_channel_role(role, &ctx.actor)?;
        let mut data = Map::new();
        if invited {
            data.insert("invited".into(), Value::from(true));
        }
        let member = Member {
            cid: channel.cid.clone(),
            user_id: input.user_id().to_string(),
            channel_role: role.to_owned(),
            data,
            created_at: ctx.now,
            updated_at: ctx.now,
            hidden: false,
            last_read_at: ctx.now,
            last_read_message_id: None,
            // New members start with nothing unread: history before joining is not news to them.
            last_read_sequence: channel.unread_sequence,
            hide_messages_before,
            ban: None,
        };
        // An existing member (or one a concurrent request just added) stays as they are.
        if tx.insert_member(ctx.app_id(), &member).await? {
            channel.member_count += 1;
            added.push(member);
        }
    }
    Ok(added)
}

/// The id of the distinct channel of `data.members`. A user may only open a distinct channel they are a member
/// of: otherwise anyone could create (and own) the conversation of two other people before they do, and read it.
fn distinct_id_of(ctx: &Context, data: &ChannelData) -> CoreResult<ChannelId> {
    let members: Vec<&UserId> = data.members.iter().flatten().map(MemberInput::user_id).collect();
    check_member_count(members.len(), "data.members")?;
    let mut distinct = members.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(CoreError::input("a distinct channel needs at least 2 members in data.members"));
    }
    if let Actor::User { user_id } = &ctx.actor {
        if !distinct.iter().any(|member| member.as_str() == user_id) {
            return Err(CoreError::not_allowed(format!(
                "user {user_id} may only open distinct channels they are a member of"
            )));
        }
    }
    Ok(distinct_channel_id(&distinct))
}

/// Refuses member lists over Stream's limit of [`MAX_MEMBERS_PER_CALL`] user ids per call.
fn check_member_count(count: usize, field: &str) -> CoreResult<()> {
    if count > MAX_MEMBERS_PER_CALL {
        return Err(CoreError::input(format!(
            "{field} names {count} users: the limit is {MAX_MEMBERS_PER_CALL} per call"
        )));
    }
    Ok(())
}

/// Creates a channel from a get-or-create request's `data`, with its members and invites; the notices go into
/// `outcome`. A channel created meanwhile by a concurrent request is returned as it is.
#[allow(clippy::too_many_arguments)]
async fn create_channel(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel_type: &ChannelType,
    id: &ChannelId,
    cid: &Cid,
    client_chosen: bool,
    data: &ChannelData,
    outcome: &mut Outcome<()>,
) -> CoreResult<Channel> {
    if client_chosen {
        check_client_channel_id(id)?;
    }
    let creator_id = match &ctx.actor {
        Actor::User { user_id } => user_id.clone(),
        Actor::Server { acting_user } => acting_user
            .clone()
            .or_else(|| data.created_by_id.as_ref().map(UserId::to_string))
            .or_else(|| data.created_by.as_ref().map(|user| user.id.to_string()))
            .ok_or_else(|| {
                CoreError::input(
                    "either data.created_by or data.created_by_id must be provided when using server side auth.",
                )
            })?,
    };
    let creator = match tx.user(ctx.app_id(), &creator_id).await? {
        Some(user) => user,
        None if ctx.actor.is_server() => {
            return Err(CoreError::input(format!("creator {creator_id} does not exist")));
        }
        None => crate::ops::placeholder_user(&creator_id, ctx.now),
    };
    if matches!(creator.role.as_str(), "guest" | "anonymous") && !ctx.actor.is_server() {
        return Err(CoreError::not_allowed(format!(
            "user {creator_id} with role {} may not create channels",
            creator.role
        )));
    }
    let mut channel = Channel {
        cid: cid.to_string(),
        channel_type: channel_type.to_string(),
        id: id.to_string(),
        created_by: Some(creator_id.clone()),
        data: channel_data_custom(data)?,
        frozen: data.frozen.unwrap_or(false),
        disabled: data.disabled.unwrap_or(false),
        team: data.team.clone(),
        cooldown: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
        deleted_at: None,
        truncated_at: None,
        last_message_at: None,
        member_count: 0,
        message_count: 0,
        unread_sequence: 0,
        read_floor: 0,
    };
    // The cid is the primary key: of two concurrent creations one stores the channel, the other gets it. A
    // deleted channel whose messages are still being purged comes back as this new one.
    if !tx.insert_channel(ctx.app_id(), &channel).await? {
        let stored = tx.channel(ctx.app_id(), cid.as_ref()).await?;
        if !tx.revive_channel(ctx.app_id(), &channel).await? {
            return stored.ok_or_else(|| CoreError::internal("a channel that exists could not be read"));
        }
        // Its old messages, until they are purged, lie behind the truncation at its deletion.
        channel.truncated_at = stored.and_then(|old| old.deleted_at);
    }
    crate::ops::moderation::carry_future_bans(tx, ctx, &channel).await?;
    let inputs = data.members.clone().unwrap_or_default();
    let added = add_members(tx, ctx, &mut channel, &inputs, None, false).await?;
    let invites = data.invites.clone().unwrap_or_default();
    let invited = add_members(tx, ctx, &mut channel, &invites, None, true).await?;
    collect_users(tx, ctx.app_id(), &mut outcome.users, invited.iter().map(|member| member.user_id.as_str())).await?;
    if !invited.is_empty() {
        let by = Some(creator_id.clone());
        outcome.notices.push(Notice::MembersInvited { channel: channel.clone(), members: invited, by });
    }
    collect_users(tx, ctx.app_id(), &mut outcome.users, added.iter().map(|member| member.user_id.as_str())).await?;
    outcome.notices.push(Notice::ChannelCreated { channel: channel.clone(), by: Some(creator_id.clone()) });
    // The creator already knows; everyone else added is told.
    let others: Vec<Member> = added.into_iter().filter(|member| member.user_id != creator_id).collect();
    if !others.is_empty() {
        outcome.notices.push(Notice::MembersAdded { channel: channel.clone(), members: others, by: Some(creator_id) });
    }
    Ok(channel)
}

/// Whether GetOrCreateChannel may create the channel: it first runs as a read (an existing channel changes
/// nothing), and as a write only when the channel is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Answer `None` for a missing channel.
    ReadOnly,
    Allowed,
}

/// `POST /channels/{type}/{id}/query` and, with `channel_id` absent, the distinct-channel form. `None` when the
/// channel does not exist and `creation` is [`Creation::ReadOnly`].
pub async fn get_or_create_channel(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel_type: &ChannelType,
    channel_id: Option<&ChannelId>,
    request: &GetOrCreateChannelRequest,
    creation: Creation,
) -> CoreResult<Option<Outcome<ChannelView>>> {
    let config = config_of(channel_type, &ctx.app)?;
    let data = request.data.clone().unwrap_or_default();
    let (id, client_chosen) = match channel_id {
        Some(id) => (id.clone(), true),
        None => (distinct_id_of(ctx, &data)?, false),
    };
    let cid = Cid::new(channel_type, &id);
    let mut outcome = Outcome::new(());
    let existing = tx.channel(ctx.app_id(), &cid).await?.filter(|channel| channel.deleted_at.is_none());
    let channel = match (existing, creation) {
        (Some(channel), _) => channel,
        (None, Creation::ReadOnly) => return Ok(None),
        (None, Creation::Allowed) => {
            create_channel(tx, ctx, channel_type, &id, &cid, client_chosen, &data, &mut outcome).await?
        }
    };
    let viewer = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    standing.require_read(&channel.cid)?;
    let options = ViewOptions {
        messages: request.messages.clone().unwrap_or_default(),
        member_limit: page_size(
            request.members.as_ref().and_then(|page| page.limit),
            100,
            MEMBER_PAGE_MAX,
            "members.limit",
        )?,
        member_offset: page_offset(request.members.as_ref().and_then(|page| page.offset), 10_000, "members.offset")?,
    };
    let mut users = std::mem::take(&mut outcome.users);
    let view = channel_view(tx, ctx, channel, &config, &standing, &options, &mut users).await?;
    if let Some(viewer) = viewer {
        users.insert(viewer.id.clone(), viewer);
    }
    Ok(Some(Outcome { value: view, notices: outcome.notices, users }))
}

fn channel_filter_allows(field: &str, operator: rill_protocol::filter::Operator) -> bool {
    use rill_protocol::filter::Operator::*;
    match field {
        "cid" | "id" | "type" | "team" | "created_by_id" => {
            matches!(operator, Eq | Ne | In | Nin | Exists | Autocomplete)
        }
        "members" => matches!(operator, Eq | In | Nin | Contains),
        "frozen" | "disabled" | "hidden" | "joined" | "muted" => matches!(operator, Eq | Ne | Exists),
        "invite" => matches!(operator, Eq | Ne | In | Nin | Exists),
        "created_at" | "updated_at" | "last_message_at" | "last_updated" | "member_count" => {
            matches!(operator, Eq | Ne | Gt | Gte | Lt | Lte | Exists)
        }
        _ => true,
    }
}

fn mentions_field(filter: &Filter, field: &str) -> bool {
    match filter {
        Filter::And(parts) | Filter::Or(parts) | Filter::Nor(parts) => {
            parts.iter().any(|part| mentions_field(part, field))
        }
        Filter::Condition { field: name, .. } => name == field,
    }
}

/// The document a channel filter is evaluated against, as seen by one viewer.
pub(crate) fn channel_document(
    channel: &Channel,
    member: Option<&Member>,
    member_ids: Option<&[String]>,
    muted: bool,
) -> Map<String, Value> {
    use rill_protocol::time::format;
    let mut document = channel.data.clone();
    document.insert("cid".into(), Value::from(channel.cid.as_str()));
    document.insert("id".into(), Value::from(channel.id.as_str()));
    document.insert("type".into(), Value::from(channel.channel_type.as_str()));
    document.insert("frozen".into(), Value::from(channel.frozen));
    document.insert("disabled".into(), Value::from(channel.disabled));
    if let Some(team) = &channel.team {
        document.insert("team".into(), Value::from(team.as_str()));
    }
    if let Some(creator) = &channel.created_by {
        document.insert("created_by_id".into(), Value::from(creator.as_str()));
    }
    document.insert("created_at".into(), Value::from(format(&channel.created_at)));
    document.insert("updated_at".into(), Value::from(format(&channel.updated_at)));
    if let Some(last) = &channel.last_message_at {
        document.insert("last_message_at".into(), Value::from(format(last)));
    }
    let last_updated = channel.last_message_at.map_or(channel.updated_at, |last| last.max(channel.updated_at));
    document.insert("last_updated".into(), Value::from(format(&last_updated)));
    document.insert("member_count".into(), Value::from(channel.member_count));
    document.insert("hidden".into(), Value::from(member.is_some_and(|member| member.hidden)));
    document.insert("joined".into(), Value::from(member.is_some()));
    if let Some(status) = member.and_then(Member::invite_status) {
        document.insert("invite".into(), Value::from(status.as_str()));
    }
    document.insert("muted".into(), Value::from(muted));
    for always_false in ["pinned", "archived"] {
        document.insert(always_false.into(), Value::from(false));
    }
    if let Some(member) = member {
        let unread = member.unread_in(channel);
        document.insert("unread_count".into(), Value::from(unread));
        document.insert("has_unread".into(), Value::from(unread > 0));
    }
    if let Some(ids) = member_ids {
        document.insert("members".into(), Value::from(ids.to_vec()));
    }
    document
}

/// Where each channel filter field is in the store (see `store::selection`); any other field is custom data.
pub(crate) fn channel_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "cid" => FieldKind::Text { column: "cid", nullable: false },
        "id" => FieldKind::Text { column: "id", nullable: false },
        "type" => FieldKind::Text { column: "type", nullable: false },
        "team" => FieldKind::Text { column: "team", nullable: true },
        "created_by_id" => FieldKind::Text { column: "created_by", nullable: true },
        "frozen" => FieldKind::Bool { column: "frozen" },
        "disabled" => FieldKind::Bool { column: "disabled" },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        "updated_at" => FieldKind::Time { column: "updated_at", nullable: false },
        "last_message_at" => FieldKind::Time { column: "last_message_at", nullable: true },
        "last_updated" => FieldKind::Time { column: "last_updated", nullable: false },
        "member_count" => FieldKind::Integer { column: "member_count" },
        "members" => FieldKind::Members,
        "hidden" => FieldKind::ViewerHidden,
        "joined" => FieldKind::ViewerJoined,
        "muted" => FieldKind::ViewerMuted,
        // Pins and archives are not kept per member yet: every channel reads as neither.
        "pinned" | "archived" => FieldKind::AlwaysFalse,
        // Computed from the viewer's membership, or the members' profiles.
        "invite" | "unread_count" | "has_unread" => FieldKind::Computed,
        _ if field.starts_with("member.") => FieldKind::Computed,
        _ => return None,
    })
}

/// The channel fields a sort can order by in SQL.
fn channel_sort_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "last_updated" => "last_updated",
        "last_message_at" => "last_message_at",
        "updated_at" => "updated_at",
        "created_at" => "created_at",
        "member_count" => "member_count",
        "cid" => "cid",
        "id" => "id",
        _ => return None,
    })
}

/// The tiebreak of every channel order: newest first, then by cid.
const CHANNEL_TIEBREAK: [OrderKey; 2] =
    [OrderKey { column: "created_at", descending: true }, OrderKey { column: "cid", descending: false }];

/// The channels `viewer` may read (see `policy::can_read`) as a condition: with no viewer (a server token without
/// `user_id`) and for app moderators every channel; for others their channels, the ones they created and open
/// ones, unless disabled (which channel moderators still read).
fn readable_condition(ctx: &Context, viewer: Option<&User>) -> Condition {
    let Some(user) = viewer else { return Condition::True };
    if policy::is_app_moderator(&user.role) {
        return Condition::True;
    }
    let membership = |test| Condition::Membership { user_id: user.id.clone(), test };
    let enabled = Condition::Column { column: "disabled", op: Comparison::Eq, value: Scalar::Bool(false) };
    let moderates = membership(MembershipTest::Role("channel_moderator".into()));
    if ctx.app.settings.disable_permissions_checks {
        return Condition::Any(vec![moderates, enabled]);
    }
    let own = Condition::Any(vec![
        membership(MembershipTest::Exists),
        Condition::Column { column: "created_by", op: Comparison::Eq, value: Scalar::Text(user.id.clone()) },
        Condition::InList {
            column: "type",
            values: policy::OPEN_TYPES.iter().map(|kind| (*kind).to_owned()).collect(),
        },
    ]);
    Condition::Any(vec![moderates, Condition::All(vec![enabled, own])])
}

/// Channels matching `filter` that the viewer may read, each with the viewer's membership, in `sort` order
/// (last updated first by default), the page asked for or all of them.
///
/// Cost: an exact filter with a sort on a column runs in SQL: the page plus the index ranges it names (for a
/// user, their memberships). Otherwise the selected channels are checked in memory in batches, or all of them
/// sorted in memory (at most `MAX_SORTED_IN_MEMORY`) for a sort SQL cannot order by.
pub(crate) async fn readable_channels(
    tx: &mut dyn Tx,
    ctx: &Context,
    filter_value: &Value,
    viewer: Option<&User>,
) -> CoreResult<Vec<(Channel, Option<Member>)>> {
    matching_channels(tx, ctx, filter_value, viewer, &[], None).await
}

async fn matching_channels(
    tx: &mut dyn Tx,
    ctx: &Context,
    filter_value: &Value,
    viewer: Option<&User>,
    sort: &[SortField],
    page: Option<Page>,
) -> CoreResult<Vec<(Channel, Option<Member>)>> {
    let filter = Filter::parse(filter_value).map_err(|error| CoreError::input(error.message))?;
    filter.validate(&channel_filter_allows).map_err(|error| CoreError::input(error.message))?;
    let viewer_id = viewer.map(|user| user.id.as_str());
    let compiled = selection::compile(&filter, channel_field, viewer_id);
    let mut conditions =
        vec![Condition::Null { column: "deleted_at" }, readable_condition(ctx, viewer), compiled.condition];
    if let Some(user_id) = viewer_id {
        if !mentions_field(&filter, "hidden") {
            // A hidden channel is left out unless the filter asks about `hidden`.
            let hidden = Condition::Membership { user_id: user_id.to_owned(), test: MembershipTest::Hidden };
            conditions.push(Condition::Not(Box::new(hidden)));
        }
    }
    let condition = Condition::All(conditions);
    let order = if sort.is_empty() {
        let latest = OrderKey { column: "last_updated", descending: true };
        Some([latest].into_iter().chain(CHANNEL_TIEBREAK).collect())
    } else {
        selection::sql_order(sort, channel_sort_column, &CHANNEL_TIEBREAK)
    };
    let needs_members = mentions_field(&filter, "members");
    let channels = match order {
        Some(order) if compiled.exact => tx.find_channels(ctx.app_id(), &RowQuery { condition, order, page }).await?,
        Some(order) => {
            let wanted = page.map(|page| page.offset + page.limit);
            let mut kept = Vec::new();
            let mut scanned = 0;
            loop {
                let batch = Page { offset: scanned, limit: SCAN_BATCH };
                let query = RowQuery { condition: condition.clone(), order: order.clone(), page: Some(batch) };
                let rows = tx.find_channels(ctx.app_id(), &query).await?;
                scanned += rows.len();
                let done = rows.len() < SCAN_BATCH;
                for channel in rows {
                    if channel_passes(tx, ctx, &filter, &channel, viewer_id, needs_members).await? {
                        kept.push(channel);
                    }
                }
                if done || wanted.is_some_and(|wanted| kept.len() >= wanted) {
                    break;
                }
            }
            apply_page(kept, page)
        }
        None => {
            let everything = Page { offset: 0, limit: MAX_SORTED_IN_MEMORY + 1 };
            let order = CHANNEL_TIEBREAK.to_vec();
            let rows = tx.find_channels(ctx.app_id(), &RowQuery { condition, order, page: Some(everything) }).await?;
            refuse_unsortable(rows.len(), sort)?;
            let mut matching = Vec::new();
            for channel in rows {
                let member = viewer_membership(tx, ctx, &channel, viewer_id).await?;
                let member_ids = if needs_members { Some(member_ids(tx, ctx, &channel).await?) } else { None };
                let muted = viewer_muted(tx, ctx, &channel, viewer_id).await?;
                let document = channel_document(&channel, member.as_ref(), member_ids.as_deref(), muted);
                if query::matches(&filter, &document) {
                    matching.push((channel, document));
                }
            }
            // Stable: ties keep the tiebreak order they were read in.
            matching.sort_by(|(_, a), (_, b)| query::compare(a, b, sort));
            apply_page(matching.into_iter().map(|(channel, _)| channel).collect(), page)
        }
    };
    viewer_memberships(tx, ctx, channels, viewer_id).await
}

/// Each channel with the viewer's membership, in one query: a primary-key probe per channel.
async fn viewer_memberships(
    tx: &mut dyn Tx,
    ctx: &Context,
    channels: Vec<Channel>,
    viewer_id: Option<&str>,
) -> CoreResult<Vec<(Channel, Option<Member>)>> {
    let Some(user_id) = viewer_id.filter(|_| !channels.is_empty()) else {
        return Ok(channels.into_iter().map(|channel| (channel, None)).collect());
    };
    let by_user = Condition::Column { column: "user_id", op: Comparison::Eq, value: Scalar::Text(user_id.to_owned()) };
    let in_channels =
        Condition::InList { column: "cid", values: channels.iter().map(|channel| channel.cid.clone()).collect() };
    let order = vec![OrderKey { column: "cid", descending: false }];
    let query = RowQuery { condition: Condition::All(vec![by_user, in_channels]), order, page: None };
    let mut found: HashMap<String, Member> =
        tx.find_members(ctx.app_id(), &query).await?.into_iter().map(|member| (member.cid.clone(), member)).collect();
    Ok(channels
        .into_iter()
        .map(|channel| {
            let member = found.remove(&channel.cid);
            (channel, member)
        })
        .collect())
}

fn apply_page<T>(rows: Vec<T>, page: Option<Page>) -> Vec<T> {
    match page {
        Some(page) => rows.into_iter().skip(page.offset).take(page.limit).collect(),
        None => rows,
    }
}

async fn viewer_membership(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    viewer_id: Option<&str>,
) -> CoreResult<Option<Member>> {
    match viewer_id {
        Some(user_id) => tx.member(ctx.app_id(), &channel.cid, user_id).await,
        None => Ok(None),
    }
}

async fn member_ids(tx: &mut dyn Tx, ctx: &Context, channel: &Channel) -> CoreResult<Vec<String>> {
    Ok(tx.member_ids(ctx.app_id(), &channel.cid).await?.into_iter().map(|(user_id, _)| user_id).collect())
}

/// The in-memory check of a channel the SQL selected for an inexact filter.
async fn channel_passes(
    tx: &mut dyn Tx,
    ctx: &Context,
    filter: &Filter,
    channel: &Channel,
    viewer_id: Option<&str>,
    needs_members: bool,
) -> CoreResult<bool> {
    let member = viewer_membership(tx, ctx, channel, viewer_id).await?;
    let member_ids = if needs_members { Some(member_ids(tx, ctx, channel).await?) } else { None };
    let muted = viewer_muted(tx, ctx, channel, viewer_id).await?;
    Ok(query::matches(filter, &channel_document(channel, member.as_ref(), member_ids.as_deref(), muted)))
}

/// Whether the viewer has a mute row for the channel, as the SQL of the `muted` filter reads it (a mute that
/// ran out counts until the sweep removes it, within seconds).
async fn viewer_muted(tx: &mut dyn Tx, ctx: &Context, channel: &Channel, viewer_id: Option<&str>) -> CoreResult<bool> {
    let Some(user_id) = viewer_id else { return Ok(false) };
    let cids = [channel.cid.clone()];
    Ok(!tx
        .channel_mutes(ctx.app_id(), user_id, Some(&cids), chrono::DateTime::<chrono::Utc>::MIN_UTC)
        .await?
        .is_empty())
}

/// `POST /channels`: filters, sorts and pages the channels the acting user may read.
pub async fn query_channels(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryChannelsRequest,
) -> CoreResult<Outcome<Vec<ChannelView>>> {
    let filter_value = request.filter_conditions.clone().unwrap_or_else(|| Value::Object(Map::new()));
    let sort =
        parse_sort(request.sort.as_ref().unwrap_or(&Value::Null)).map_err(|error| CoreError::input(error.message))?;
    let page = Page {
        limit: page_size(request.limit, 10, 30, "limit")?,
        offset: page_offset(request.offset, 10_000, "offset")?,
    };
    let message_limit = page_size(request.message_limit, 25, 300, "message_limit")?;
    let member_limit = page_size(request.member_limit, 100, 100, "member_limit")?;
    let viewer = acting_user(tx, ctx).await?;
    let channels = matching_channels(tx, ctx, &filter_value, viewer.as_ref(), &sort, Some(page)).await?;
    // The page's views in a fixed number of queries: its messages and pins at once, then the rest.
    let mut parts = Vec::with_capacity(channels.len());
    let bans = match &viewer {
        Some(user) if !ctx.actor.is_server() => {
            let cids: Vec<String> = channels.iter().map(|(channel, _)| channel.cid.clone()).collect();
            tx.bans_of(ctx.app_id(), &user.id, &cids, ctx.now).await?
        }
        _ => Vec::new(),
    };
    for (channel, member) in channels {
        let config = config_of(&channel.channel_type, &ctx.app)?;
        let ban = bans.iter().find(|ban| ban.channel_cid.as_deref() == Some(channel.cid.as_str()));
        let standing = standing_of(ctx, &channel, &config, viewer.as_ref(), member, ban);
        parts.push(ViewParts { channel, standing, read_events: config.read_events, messages: vec![], pinned: vec![] });
    }
    let scopes: Vec<ChannelScope> =
        parts.iter().map(|part| ChannelScope { cid: part.channel.cid.clone(), sight: part.standing.sight() }).collect();
    let mut latest = tx.latest_messages_of(ctx.app_id(), &scopes, message_limit, PINNED_IN_VIEW).await?;
    for part in &mut parts {
        let page = latest.remove(&part.channel.cid).unwrap_or_default();
        (part.messages, part.pinned) = (page.messages, page.pinned);
    }
    let mut users = UserDirectory::new();
    let views = assemble_views(tx, ctx, parts, Page { offset: 0, limit: member_limit }, &mut users).await?;
    let mut outcome = Outcome::new(views);
    outcome.users = users;
    Ok(outcome)
}

/// What an update returns: the channel, its members, and the system message if one was posted.
#[derive(Debug, Clone)]
pub struct ChannelUpdate {
    pub channel: Channel,
    pub members: Vec<Member>,
    pub message: Option<MessageView>,
}

async fn finish_channel_update(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: Channel,
    mut outcome: Outcome<Option<MessageView>>,
) -> CoreResult<Outcome<ChannelUpdate>> {
    // The first page of members, as in a channel view: the rest through QueryMembers.
    let page = Page { offset: 0, limit: ViewOptions::default().member_limit };
    let members = tx.find_members(ctx.app_id(), &members_of(&channel.cid, Condition::True, page)).await?;
    let mut ids: Vec<&str> = members.iter().map(|member| member.user_id.as_str()).collect();
    ids.extend(channel.created_by.as_deref());
    ids.extend(ctx.actor.user_id());
    collect_users(tx, ctx.app_id(), &mut outcome.users, ids).await?;
    Ok(Outcome {
        value: ChannelUpdate { channel, members, message: outcome.value },
        notices: outcome.notices,
        users: outcome.users,
    })
}

fn apply_flags(
    channel: &mut Channel,
    frozen: Option<bool>,
    disabled: Option<bool>,
    standing: &Standing,
) -> CoreResult<()> {
    if let Some(frozen) = frozen {
        if frozen != channel.frozen {
            standing.require("freeze-channel", "freeze or unfreeze channels")?;
            channel.frozen = frozen;
        }
    }
    if let Some(disabled) = disabled {
        if disabled != channel.disabled {
            standing.require("freeze-channel", "disable or enable channels")?;
            channel.disabled = disabled;
        }
    }
    Ok(())
}

/// `POST /channels/{type}/{id}`: the keys present choose the actions.
pub async fn update_channel(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    request: UpdateChannelRequest,
) -> CoreResult<Outcome<ChannelUpdate>> {
    let (mut channel, config) = load_channel_for_update(tx, ctx, cid).await?;
    let before = channel.clone();
    let viewer = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    standing.require_read(cid)?;
    let by = ctx.actor.user_id().map(str::to_owned);
    let mut outcome: Outcome<Option<MessageView>> = Outcome::new(None);
    let mut channel_changed = false;

    if let Some(data) = &request.data {
        standing.require("update-channel", &format!("update channel {cid}"))?;
        channel.data = channel_data_custom(data)?;
        apply_flags(&mut channel, data.frozen, data.disabled, &standing)?;
        if data.team.is_some() {
            channel.team = data.team.clone();
        }
        channel_changed = true;
    }
    if let Some(cooldown) = request.cooldown {
        standing.require("set-channel-cooldown", "set the channel cooldown")?;
        if !(0..=MAX_COOLDOWN_SECONDS).contains(&cooldown) {
            return Err(CoreError::input(format!("cooldown must be between 0 and {MAX_COOLDOWN_SECONDS} seconds")));
        }
        channel.cooldown = cooldown;
        channel_changed = true;
    }
    if let Some(inputs) = &request.add_members {
        standing.require("update-channel-members", &format!("add members to channel {cid}"))?;
        // `hide_history` hides everything before the members joined; `hide_history_before` up to a given time.
        let hide_before = match (&request.hide_history_before, request.hide_history) {
            (Some(text), _) => Some(
                rill_protocol::time::parse(text)
                    .ok_or_else(|| CoreError::input(format!("hide_history_before {text:?} is not an RFC 3339 time")))?,
            ),
            (None, Some(true)) => Some(ctx.now),
            (None, _) => None,
        };
        let added = add_members(tx, ctx, &mut channel, inputs, hide_before, false).await?;
        collect_users(tx, ctx.app_id(), &mut outcome.users, added.iter().map(|member| member.user_id.as_str())).await?;
        if !added.is_empty() {
            outcome.notices.push(Notice::MembersAdded { channel: channel.clone(), members: added, by: by.clone() });
        }
    }
    if let Some(inputs) = &request.invites {
        standing.require("update-channel-members", &format!("invite members to channel {cid}"))?;
        let invited = add_members(tx, ctx, &mut channel, inputs, None, true).await?;
        collect_users(tx, ctx.app_id(), &mut outcome.users, invited.iter().map(|member| member.user_id.as_str()))
            .await?;
        if !invited.is_empty() {
            outcome.notices.push(Notice::MembersInvited { channel: channel.clone(), members: invited, by: by.clone() });
        }
    }
    if request.accept_invite == Some(true) || request.reject_invite == Some(true) {
        if request.accept_invite == Some(true) && request.reject_invite == Some(true) {
            return Err(CoreError::input("accept_invite and reject_invite cannot both be set"));
        }
        let user_id = ctx.acting_user_id("answering an invite")?;
        let mut member = tx
            .member(ctx.app_id(), cid, user_id)
            .await?
            .filter(|member| member.invite_status() == Some(crate::model::InviteStatus::Pending))
            .ok_or_else(|| CoreError::input(format!("user {user_id} has no pending invite to channel {cid}")))?;
        let before = member.clone();
        let accepted = request.accept_invite == Some(true);
        let field = if accepted { "invite_accepted_at" } else { "invite_rejected_at" };
        member.data.insert(field.into(), Value::from(rill_protocol::time::format(&ctx.now)));
        // Nothing from the time of the invite counts as unread once the invite is answered.
        member.last_read_sequence = channel.unread_sequence;
        member.last_read_at = ctx.now;
        member.updated_at = ctx.now;
        save_member(tx, ctx, &before, &member).await?;
        collect_users(tx, ctx.app_id(), &mut outcome.users, [member.user_id.as_str()]).await?;
        outcome.notices.push(Notice::InviteAnswered { channel: channel.clone(), member, accepted });
    }
    if let Some(user_ids) = &request.remove_members {
        check_member_count(user_ids.len(), "remove_members")?;
        let only_self = user_ids.iter().all(|id| Some(id.as_str()) == ctx.actor.user_id());
        if only_self && !standing.server {
            standing.require("leave-channel", &format!("leave channel {cid}"))?;
        } else {
            standing.require("update-channel-members", &format!("remove members from channel {cid}"))?;
        }
        let mut removed = Vec::new();
        for user_id in user_ids {
            if let Some(member) = tx.delete_member(ctx.app_id(), cid, user_id).await? {
                channel.member_count = (channel.member_count - 1).max(0);
                removed.push(member);
            }
        }
        collect_users(tx, ctx.app_id(), &mut outcome.users, removed.iter().map(|member| member.user_id.as_str()))
            .await?;
        if !removed.is_empty() {
            outcome.notices.push(Notice::MembersRemoved { channel: channel.clone(), members: removed, by: by.clone() });
        }
    }
    check_member_count(request.add_moderators.as_ref().map_or(0, Vec::len), "add_moderators")?;
    check_member_count(request.demote_moderators.as_ref().map_or(0, Vec::len), "demote_moderators")?;
    check_member_count(request.assign_roles.as_ref().map_or(0, Vec::len), "assign_roles")?;
    let mut role_changes: Vec<(String, String)> = Vec::new();
    for user_id in request.add_moderators.iter().flatten() {
        role_changes.push((user_id.to_string(), "channel_moderator".into()));
    }
    for user_id in request.demote_moderators.iter().flatten() {
        role_changes.push((user_id.to_string(), "channel_member".into()));
    }
    for input in request.assign_roles.iter().flatten() {
        let role = input.channel_role().ok_or_else(|| CoreError::input("assign_roles entries need a channel_role"))?;
        if !matches!(role, "channel_member" | "channel_moderator") {
            return Err(CoreError::input(format!("channel_role {role:?} is not known")));
        }
        role_changes.push((input.user_id().to_string(), role.to_owned()));
    }
    if !role_changes.is_empty() {
        let moderates = standing.server || standing.moderates;
        let owns = channel.created_by.as_deref() == ctx.actor.user_id();
        if !moderates && !owns {
            return Err(CoreError::not_allowed(format!("user is not allowed to change member roles in channel {cid}")));
        }
        let mut updated = Vec::new();
        for (user_id, role) in role_changes {
            let mut member = tx
                .member(ctx.app_id(), cid, &user_id)
                .await?
                .ok_or_else(|| CoreError::input(format!("user {user_id} is not a member of channel {cid}")))?;
            if member.channel_role != role {
                let before = member.clone();
                member.channel_role = role;
                member.updated_at = ctx.now;
                save_member(tx, ctx, &before, &member).await?;
                updated.push(member);
            }
        }
        collect_users(tx, ctx.app_id(), &mut outcome.users, updated.iter().map(|member| member.user_id.as_str()))
            .await?;
        if !updated.is_empty() {
            outcome.notices.push(Notice::MembersUpdated { channel: channel.clone(), members: updated, by: by.clone() });
        }
    }
    if (request.hide_history.is_some() || request.hide_history_before.is_some()) && request.add_members.is_none() {
        return Err(CoreError::input("hide_history is only valid together with add_members"));
    }
    if request.add_filter_tags.is_some() || request.remove_filter_tags.is_some() {
        standing.require("update-channel", &format!("change the filter tags of channel {cid}"))?;
        let mut tags: Vec<String> = match channel.data.get("filter_tags") {
            Some(Value::Array(values)) => values.iter().filter_map(|value| value.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        for tag in request.add_filter_tags.iter().flatten() {
            if tag.is_empty() || tag.len() > MAX_FILTER_TAG_BYTES {
                return Err(CoreError::input(format!("filter tags have 1 to {MAX_FILTER_TAG_BYTES} bytes")));
            }
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        let removed = request.remove_filter_tags.clone().unwrap_or_default();
        tags.retain(|tag| !removed.contains(tag));
        if tags.len() > MAX_FILTER_TAGS {
            return Err(CoreError::input(format!("a channel keeps at most {MAX_FILTER_TAGS} filter tags")));
        }
        channel.data.insert("filter_tags".into(), Value::from(tags));
        channel_changed = true;
    }
    if channel_changed {
        channel.updated_at = ctx.now;
    }
    save_channel(tx, ctx, &before, &channel).await?;
    if let Some(message) = request.message.clone() {
        let options = SendOptions { skip_push: request.skip_push.unwrap_or(false), keep_channel_hidden: false };
        let posted = post_message(tx, ctx, channel.clone(), &config, message, &options, Some("system")).await?;
        channel = tx.channel(ctx.app_id(), cid).await?.unwrap_or(channel);
        outcome.notices.extend(posted.notices);
        outcome.users.extend(posted.users);
        outcome.value = Some(posted.value);
    }
    if channel_changed {
        outcome.notices.push(Notice::ChannelUpdated { channel: channel.clone(), by, message: outcome.value.clone() });
    }
    announce_freezing(&before, &channel, &mut outcome.notices);
    finish_channel_update(tx, ctx, channel, outcome).await
}

/// `PATCH /channels/{type}/{id}`: sets and unsets custom fields (dotted paths) and `frozen`, `disabled`, `team`,
/// `cooldown`.
pub async fn partial_update_channel(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    request: PartialUpdateRequest,
) -> CoreResult<Outcome<ChannelUpdate>> {
    let (mut channel, config) = load_channel_for_update(tx, ctx, cid).await?;
    let before = channel.clone();
    let viewer = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    standing.require_read(cid)?;
    // Freezing is a moderator's action with its own capability; everything else, including an empty update
    // (which still announces `channel.updated`), needs `update-channel`.
    let only_flags = !request.set.is_empty()
        && request.set.keys().all(|key| key == "frozen" || key == "disabled")
        && request.unset.is_empty();
    if !only_flags {
        standing.require("update-channel", &format!("update channel {cid}"))?;
    }
    for (path, value) in &request.set {
        match path.as_str() {
            "frozen" => apply_flags(&mut channel, Some(as_bool(value, "frozen")?), None, &standing)?,
            "disabled" => apply_flags(&mut channel, None, Some(as_bool(value, "disabled")?), &standing)?,
            "team" => channel.team = value.as_str().map(str::to_owned),
            "cooldown" => {
                standing.require("set-channel-cooldown", "set the channel cooldown")?;
                let cooldown = value.as_i64().filter(|cooldown| (0..=MAX_COOLDOWN_SECONDS).contains(cooldown));
                channel.cooldown = cooldown.ok_or_else(|| {
                    CoreError::input(format!("cooldown must be between 0 and {MAX_COOLDOWN_SECONDS} seconds"))
                })?;
            }
            _ if RESERVED.contains(&path.head()) => {
                return Err(CoreError::input(format!("field {path:?} cannot be set")));
            }
            _ => set_path(&mut channel.data, path, value.clone()),
        }
    }
    for path in &request.unset {
        match path.as_str() {
            "team" => channel.team = None,
            "cooldown" => {
                standing.require("set-channel-cooldown", "set the channel cooldown")?;
                channel.cooldown = 0;
            }
            _ if RESERVED.contains(&path.head()) => {
                return Err(CoreError::input(format!("field {path:?} cannot be unset")));
            }
            _ => unset_path(&mut channel.data, path),
        }
    }
    channel.updated_at = ctx.now;
    save_channel(tx, ctx, &before, &channel).await?;
    let by = ctx.actor.user_id().map(str::to_owned);
    let mut outcome: Outcome<Option<MessageView>> = Outcome::new(None);
    outcome.notices.push(Notice::ChannelUpdated { channel: channel.clone(), by, message: None });
    announce_freezing(&before, &channel, &mut outcome.notices);
    finish_channel_update(tx, ctx, channel, outcome).await
}

/// `channel.frozen` or `channel.unfrozen` when an update changed `frozen`.
fn announce_freezing(before: &Channel, after: &Channel, notices: &mut Vec<Notice>) {
    if before.frozen != after.frozen {
        notices.push(Notice::ChannelFrozen { channel: after.clone(), frozen: after.frozen });
    }
}

fn as_bool(value: &Value, field: &str) -> CoreResult<bool> {
    value.as_bool().ok_or_else(|| CoreError::input(format!("{field} must be a boolean")))
}

/// `DELETE /channels/{type}/{id}`: the channel, its members and messages are removed; the response shows the
/// channel with `deleted_at`.
pub async fn delete_channel(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<Outcome<Channel>> {
    let (mut channel, config) = load_channel(tx, ctx, cid).await?;
    let viewer = acting_user(tx, ctx).await?;
    standing(tx, ctx, &channel, &config, viewer.as_ref())
        .await?
        .require("delete-channel", &format!("delete channel {cid}"))?;
    // Hidden from everyone at once; the messages and then the memberships are purged afterwards, in batches (see
    // `purge_channel`), and the members to tell are found at delivery: the request costs the same however large
    // the channel.
    tx.mark_channel_deleted(ctx.app_id(), cid, ctx.now).await?;
    tx.delete_channel_bans(ctx.app_id(), cid).await?;
    channel.deleted_at = Some(ctx.now);
    channel.updated_at = ctx.now;
    let mut outcome = Outcome::new(channel.clone());
    collect_users(tx, ctx.app_id(), &mut outcome.users, channel.created_by.as_deref()).await?;
    outcome.notices.push(Notice::ChannelDeleted { channel });
    Ok(outcome)
}

/// How many messages one purge transaction removes: small enough that other writes wait a few milliseconds.
pub const PURGE_BATCH: usize = 100;

/// How many memberships of a deleted channel one purge transaction removes (a membership is a much smaller row
/// than a message, with no reactions or word index).
pub const PURGE_MEMBERS_BATCH: usize = 1_000;

/// How long a deleted channel's memberships outlive it before the purge removes them: the dispatcher finds the
/// members to tell of the deletion from them, just after the commit.
pub const MEMBERSHIP_GRACE: chrono::Duration = chrono::Duration::seconds(5);

/// What one purge step left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeStep {
    /// More to remove: run another step.
    More,
    /// The memberships of a deleted channel wait for their grace to end, at this time.
    WaitUntil(chrono::DateTime<chrono::Utc>),
    /// Nothing left; the purge is over.
    Done,
}

/// One step of purging a channel's messages created up to `before` (a deleted or hard-truncated channel), then a
/// deleted channel's memberships: removes a batch, or ends the purge when nothing is left. Run by a background
/// task, one batch per transaction, so that other writes go between batches.
pub async fn purge_channel(
    tx: &mut dyn Tx,
    app_id: i64,
    cid: &str,
    before: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> CoreResult<PurgeStep> {
    if tx.purge_messages(app_id, cid, before, PURGE_BATCH).await? == PURGE_BATCH {
        return Ok(PurgeStep::More);
    }
    // A channel revived meanwhile took its old memberships away itself; a truncated one keeps its members.
    if let Some(deleted_at) = tx.channel(app_id, cid).await?.and_then(|channel| channel.deleted_at) {
        if now < deleted_at + MEMBERSHIP_GRACE {
            return Ok(PurgeStep::WaitUntil(deleted_at + MEMBERSHIP_GRACE));
        }
        if tx.purge_members(app_id, cid, PURGE_MEMBERS_BATCH).await? == PURGE_MEMBERS_BATCH {
            return Ok(PurgeStep::More);
        }
    }
    tx.finish_purge(app_id, cid, before).await?;
    Ok(PurgeStep::Done)
}

/// Options of `TruncateChannel`.
#[derive(Debug, Clone, Default)]
pub struct TruncateOptions {
    pub hard_delete: bool,
    pub truncated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub message: Option<rill_protocol::request::MessageRequest>,
    pub skip_push: bool,
}

/// `POST /channels/{type}/{id}/truncate`: hides (or, hard, deletes) every message up to now, and clears unread.
pub async fn truncate_channel(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    options: TruncateOptions,
) -> CoreResult<Outcome<ChannelUpdate>> {
    let (mut channel, config) = load_channel_for_update(tx, ctx, cid).await?;
    let viewer = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    let is_owner = channel.created_by.as_deref() == ctx.actor.user_id();
    let moderates = standing.moderates;
    if !standing.server && !is_owner && !moderates {
        return Err(CoreError::not_allowed(format!("user is not allowed to truncate channel {cid}")));
    }
    let truncated_at = options.truncated_at.unwrap_or(ctx.now).min(ctx.now);
    if options.hard_delete {
        // Hidden at once by the truncation; removed afterwards, in batches (see `purge_channel`).
        tx.schedule_purge(ctx.app_id(), cid, truncated_at).await?;
    }
    let before = channel.clone();
    channel.truncated_at = Some(truncated_at);
    channel.updated_at = ctx.now;
    channel.last_message_at = None;
    save_channel(tx, ctx, &before, &channel).await?;
    tx.reset_reads(ctx.app_id(), cid).await?;
    channel.read_floor = channel.unread_sequence;
    let mut outcome: Outcome<Option<MessageView>> = Outcome::new(None);
    if let Some(message) = options.message {
        let send = SendOptions { skip_push: options.skip_push, keep_channel_hidden: false };
        let posted = post_message(tx, ctx, channel.clone(), &config, message, &send, Some("system")).await?;
        channel = tx.channel(ctx.app_id(), cid).await?.unwrap_or(channel);
        outcome.notices.extend(posted.notices);
        outcome.users.extend(posted.users);
        outcome.value = Some(posted.value);
    }
    outcome.notices.push(Notice::ChannelTruncated {
        channel: channel.clone(),
        by: ctx.actor.user_id().map(str::to_owned),
        message: outcome.value.clone(),
    });
    finish_channel_update(tx, ctx, channel, outcome).await
}

async fn own_membership(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    action: &str,
) -> CoreResult<(Channel, ChannelConfig, Member)> {
    let (channel, config) = load_channel(tx, ctx, cid).await?;
    let user_id = ctx.acting_user_id(action)?;
    let member = tx
        .member(ctx.app_id(), cid, user_id)
        .await?
        .ok_or_else(|| CoreError::not_allowed(format!("user {user_id} is not a member of channel {cid}")))?;
    Ok((channel, config, member))
}

/// `POST .../hide`: hides the channel for the acting user until a new message arrives; `clear_history` also
/// hides the messages so far.
pub async fn hide_channel(tx: &mut dyn Tx, ctx: &Context, cid: &str, clear_history: bool) -> CoreResult<Outcome<()>> {
    let (channel, _config, mut member) = own_membership(tx, ctx, cid, "HideChannel").await?;
    let before = member.clone();
    member.hidden = true;
    if clear_history {
        member.hide_messages_before = Some(ctx.now);
        member.last_read_sequence = channel.unread_sequence;
    }
    member.updated_at = ctx.now;
    save_member(tx, ctx, &before, &member).await?;
    let mut outcome = Outcome::new(());
    collect_users(tx, ctx.app_id(), &mut outcome.users, [member.user_id.as_str()]).await?;
    outcome.notices.push(Notice::ChannelHidden { channel, user_id: member.user_id, clear_history });
    Ok(outcome)
}

/// `POST .../show`.
pub async fn show_channel(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<Outcome<()>> {
    let (channel, _config, mut member) = own_membership(tx, ctx, cid, "ShowChannel").await?;
    let mut outcome = Outcome::new(());
    if member.hidden {
        let before = member.clone();
        member.hidden = false;
        member.updated_at = ctx.now;
        save_member(tx, ctx, &before, &member).await?;
        collect_users(tx, ctx.app_id(), &mut outcome.users, [member.user_id.as_str()]).await?;
        outcome.notices.push(Notice::ChannelVisible { channel, user_id: member.user_id });
    }
    Ok(outcome)
}

/// What a mark-read returns for its `event`.
#[derive(Debug, Clone)]
pub struct ReadMark {
    pub channel: Channel,
    pub user_id: String,
    pub last_read_message_id: Option<String>,
    pub totals: UnreadTotals,
}

/// `POST .../read`: marks the channel read for the acting user, up to `message_id` or to the newest message.
pub async fn mark_read(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    message_id: Option<&str>,
) -> CoreResult<Outcome<ReadMark>> {
    let (channel, config, mut member) = own_membership(tx, ctx, cid, "MarkRead").await?;
    let before = member.clone();
    if !config.read_events && !ctx.actor.is_server() {
        return Err(CoreError::new(
            ErrorCode::ChannelFeatureNotSupported,
            "read events are disabled for this channel type",
        ));
    }
    match message_id {
        Some(message_id) => {
            let message =
                tx.message(ctx.app_id(), message_id).await?.filter(|message| message.cid == cid).ok_or_else(|| {
                    CoreError::not_found(format!("message {message_id} does not exist in channel {cid}"))
                })?;
            member.last_read_sequence = message.sequence;
            member.last_read_message_id = Some(message.id);
        }
        None => {
            member.last_read_sequence = channel.unread_sequence;
            let newest = tx
                .channel_messages(ctx.app_id(), cid, &MessageRange::Latest, 1, &Sight::after(channel.truncated_at))
                .await?;
            member.last_read_message_id =
                newest.into_iter().next().map(|message| message.id).or(member.last_read_message_id);
        }
    }
    member.last_read_at = ctx.now;
    save_member(tx, ctx, &before, &member).await?;
    let totals = tx
        .unread_totals(ctx.app_id(), &[member.user_id.clone()], ctx.now)
        .await?
        .remove(&member.user_id)
        .unwrap_or_default();
    let mut outcome = Outcome::new(ReadMark {
        channel: channel.clone(),
        user_id: member.user_id.clone(),
        last_read_message_id: member.last_read_message_id.clone(),
        totals,
    });
    collect_users(tx, ctx.app_id(), &mut outcome.users, [member.user_id.as_str()]).await?;
    outcome.notices.push(Notice::MessageRead {
        channel,
        user_id: member.user_id,
        last_read_message_id: member.last_read_message_id,
        totals,
    });
    Ok(outcome)
}

/// `POST .../unread`: marks the channel unread for the acting user from a message on (named by id, or the first
/// message at or after a timestamp). The member's read position moves back so exactly the messages from there
/// that count for them are unread.
pub async fn mark_unread(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    message_id: Option<&str>,
    message_timestamp: Option<chrono::DateTime<chrono::Utc>>,
) -> CoreResult<Outcome<crate::ops::UnreadMark>> {
    let (channel, _config, mut member) = own_membership(tx, ctx, cid, "MarkUnread").await?;
    let first = match (message_id, message_timestamp) {
        (Some(message_id), _) => tx
            .message(ctx.app_id(), message_id)
            .await?
            .filter(|message| message.cid == cid)
            .ok_or_else(|| CoreError::not_found(format!("message {message_id} does not exist in channel {cid}")))?,
        (None, Some(at)) => {
            let range = MessageRange::After { at, id: String::new(), inclusive: true };
            tx.channel_messages(ctx.app_id(), cid, &range, 1, &Sight::after(channel.truncated_at))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| CoreError::input(format!("no message in channel {cid} at or after {at}")))?
        }
        (None, None) => return Err(CoreError::input("either message_id or message_timestamp is required")),
    };
    let unread = tx
        .count_unread_from(ctx.app_id(), cid, (first.created_at, &first.id), &member.user_id, channel.truncated_at)
        .await?;
    let earlier = MessageRange::Before { at: first.created_at, id: first.id.clone(), inclusive: false };
    let previous = tx
        .channel_messages(ctx.app_id(), cid, &earlier, 1, &Sight::after(channel.truncated_at))
        .await?
        .into_iter()
        .next();
    let before = member.clone();
    member.last_read_sequence = (channel.unread_sequence - unread).max(0);
    member.last_read_at =
        previous.as_ref().map_or(first.created_at - chrono::Duration::microseconds(1), |message| message.created_at);
    member.last_read_message_id = previous.map(|message| message.id);
    member.updated_at = ctx.now;
    save_member(tx, ctx, &before, &member).await?;
    let totals = tx
        .unread_totals(ctx.app_id(), std::slice::from_ref(&member.user_id), ctx.now)
        .await?
        .remove(&member.user_id)
        .unwrap_or_default();
    let mark = crate::ops::UnreadMark {
        first_unread_message_id: first.id,
        last_read_at: member.last_read_at,
        last_read_message_id: member.last_read_message_id.clone(),
        unread_messages: unread,
    };
    let mut outcome = Outcome::new(mark.clone());
    collect_users(tx, ctx.app_id(), &mut outcome.users, [member.user_id.as_str()]).await?;
    outcome.notices.push(Notice::MessageUnread { channel, user_id: member.user_id, mark, totals });
    Ok(outcome)
}

/// `POST /channels/read`: marks the named channels (or all of the user's channels) read.
pub async fn mark_channels_read(
    tx: &mut dyn Tx,
    ctx: &Context,
    read_by_channel: Option<&std::collections::BTreeMap<Cid, String>>,
) -> CoreResult<Outcome<UnreadTotals>> {
    let user_id = ctx.acting_user_id("MarkChannelsRead")?.to_owned();
    let mut outcome = Outcome::new(UnreadTotals::default());
    match read_by_channel {
        Some(map) if !map.is_empty() => {
            if map.len() > MAX_CHANNELS_PER_READ {
                return Err(CoreError::input(format!(
                    "read_by_channel may name at most {MAX_CHANNELS_PER_READ} channels"
                )));
            }
            for (cid, message_id) in map {
                let marked = mark_read(tx, ctx, cid, Some(message_id.as_str()).filter(|id| !id.is_empty())).await?;
                outcome.notices.extend(marked.notices);
                outcome.users.extend(marked.users);
            }
        }
        _ => {
            tx.mark_all_read(ctx.app_id(), &user_id, ctx.now).await?;
            outcome.notices.push(Notice::AllRead { user_id: user_id.clone(), totals: UnreadTotals::default() });
        }
    }
    outcome.value = tx
        .unread_totals(ctx.app_id(), std::slice::from_ref(&user_id), ctx.now)
        .await?
        .remove(&user_id)
        .unwrap_or_default();
    collect_users(tx, ctx.app_id(), &mut outcome.users, [user_id.as_str()]).await?;
    Ok(outcome)
}

/// What an authorized client event needs for fan-out.
#[derive(Debug, Clone)]
pub struct EventGrant {
    pub channel: Channel,
    pub user: User,
    pub member_count: i64,
}

/// Checks that the acting user may send `event_type` with `custom` data into the channel (`SendEvent`). Typing
/// and custom events touch no rows, so this is a read.
pub async fn authorize_event(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    event_type: &str,
    custom: &Map<String, Value>,
) -> CoreResult<EventGrant> {
    crate::ops::check_custom_keys(custom, rill_protocol::event::Event::FIELDS, "event")?;
    rill_protocol::limits::check_custom_data(custom, "event").map_err(CoreError::input)?;
    let (channel, config) = load_channel(tx, ctx, cid).await?;
    let user = acting_user(tx, ctx).await?.ok_or_else(|| CoreError::input("event.user_id is required"))?;
    let standing = standing(tx, ctx, &channel, &config, Some(&user)).await?;
    standing.require_read(cid)?;
    match event_type {
        "typing.start" | "typing.stop" => {
            if !config.typing_events {
                return Err(CoreError::new(
                    ErrorCode::EventNotSupported,
                    "typing events are disabled for this channel type",
                ));
            }
            standing.require("send-typing-events", "send typing events")?;
        }
        other if rill_protocol::event::kind::is_reserved(other) => {
            return Err(CoreError::input(format!("event type {other:?} is reserved for the server")));
        }
        other => {
            if other.is_empty() || other.len() > MAX_EVENT_TYPE_BYTES {
                return Err(CoreError::input(format!("event type must have 1 to {MAX_EVENT_TYPE_BYTES} bytes")));
            }
            if !config.custom_events {
                return Err(CoreError::new(
                    ErrorCode::EventNotSupported,
                    "custom events are disabled for this channel type",
                ));
            }
            standing.require("send-custom-events", "send custom events")?;
        }
    }
    let member_count = channel.member_count;
    Ok(EventGrant { channel, user, member_count })
}

/// Checks that the acting user may watch a channel (used when a connection subscribes).
pub async fn can_watch(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<bool> {
    let (channel, config) = load_channel(tx, ctx, cid).await?;
    let viewer = acting_user(tx, ctx).await?;
    Ok(standing(tx, ctx, &channel, &config, viewer.as_ref()).await?.can_read || ctx.actor.is_server())
}

/// The channel ids (cids) a user is a member of, for routing member notifications.
pub async fn member_cids(tx: &mut dyn Tx, ctx: &Context, user_id: &str) -> CoreResult<Vec<String>> {
    Ok(tx.memberships(ctx.app_id(), user_id).await?.into_iter().map(|(channel, _)| channel.cid).collect())
}

/// A channel's members, for fan-out of events that do not carry them.
pub async fn channel_member_ids(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<Vec<String>> {
    Ok(tx.members(ctx.app_id(), cid).await?.into_iter().map(|member| member.user_id).collect())
}
