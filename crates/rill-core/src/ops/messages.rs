//! Messages: send, get, update, partial update, delete, thread replies, reactions and search.

use crate::error::{CoreError, CoreResult};
use crate::ids::{MessageId, ReactionType, UserId};
use crate::model::{Channel, Message, MessageReactions, MessageView, Reaction, User, UserDirectory};
use crate::ops::{
    acting_user, check_custom_keys, collect_users, config_of, flatten_custom, load_channel, message_user_ids,
    page_offset, page_size, set_path, standing, unset_path, Context, Notice, Outcome, Standing,
};
use crate::ops::{refuse_unsortable, MAX_SORTED_IN_MEMORY, SCAN_BATCH};
use crate::store::selection::{self, Comparison, Condition, FieldKind, OrderKey, Page, RowQuery, Scalar, WordIndex};
use crate::store::{MessageContent, MessagePin, MessageRange, PostEffects, Tx};
use crate::{markdown, query};
use chrono::{DateTime, Utc};
use rill_protocol::error::ErrorCode;
use rill_protocol::filter::{parse_sort, Filter, Operator};
use rill_protocol::limits::{
    MAX_ATTACHMENTS, MAX_MENTIONED_USERS, MAX_OFFSET, MAX_REACTION_SCORE, MAX_SEARCH_QUERY_BYTES, REACTIONS_LIMIT,
    REPLIES_LIMIT, SEARCH_LIMIT, SEARCH_MAX_OFFSET,
};
use rill_protocol::request::{MessageRequest, Paging, PartialUpdateRequest, SearchRequest, SendMessageRequest};
use rill_protocol::types::ChannelConfig;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Fields of the message object that custom data may not use.
const RESERVED: &[&str] = &[
    "id",
    "cid",
    "type",
    "text",
    "html",
    "user",
    "user_id",
    "created_at",
    "updated_at",
    "deleted_at",
    "attachments",
    "latest_reactions",
    "own_reactions",
    "reaction_counts",
    "reaction_scores",
    "reaction_groups",
    "reply_count",
    "deleted_reply_count",
    "parent_id",
    "show_in_channel",
    "mentioned_users",
    "silent",
    "pinned",
    "pinned_at",
    "pinned_by",
    "pin_expires",
    "quoted_message_id",
    "quoted_message",
    "shadowed",
    "channel",
    "members",
    "config",
    "thread_participants",
    "i18n",
    "command",
    "restricted_visibility",
    "mentioned_channel",
    "mentioned_here",
    "message_text_updated_at",
    "member",
];

/// How many reactions `latest_reactions` carries.
pub const LATEST_REACTIONS: usize = 10;

async fn load_message(tx: &mut dyn Tx, ctx: &Context, message_id: &str) -> CoreResult<Message> {
    tx.message(ctx.app_id(), message_id)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("message {message_id} does not exist")))
}

/// Renders messages for one viewer: reactions (latest and own), quoted messages and thread participants; soft-
/// deleted content is blanked for viewers who cannot moderate.
pub(crate) async fn message_views(
    tx: &mut dyn Tx,
    ctx: &Context,
    messages: Vec<Message>,
    viewer: Option<&str>,
    sees_deleted_content: bool,
) -> CoreResult<Vec<MessageView>> {
    let ids: Vec<String> = messages.iter().map(|message| message.id.clone()).collect();
    let reactions = if messages.iter().any(|message| !message.reaction_counts.is_empty()) {
        tx.message_reactions(ctx.app_id(), &ids, viewer, LATEST_REACTIONS).await?
    } else {
        Default::default()
    };
    let quoted_ids: Vec<String> = messages.iter().filter_map(|message| message.quoted_message_id.clone()).collect();
    let quoted: Vec<Message> =
        if quoted_ids.is_empty() { Vec::new() } else { tx.messages(ctx.app_id(), &quoted_ids).await? };
    let threads: Vec<String> =
        messages.iter().filter(|message| message.reply_count > 0).map(|message| message.id.clone()).collect();
    let participants =
        if threads.is_empty() { HashMap::new() } else { tx.thread_participants_of(ctx.app_id(), &threads).await? };
    let mut views = Vec::with_capacity(messages.len());
    for mut message in messages {
        if message.deleted_at.is_some() && !sees_deleted_content {
            blank(&mut message);
        }
        // A message can be in the list twice (among the latest and among the pins): each copy gets its own.
        let thread_participants = participants.get(&message.id).cloned().unwrap_or_default();
        let quoted = message
            .quoted_message_id
            .as_ref()
            .and_then(|id| quoted.iter().find(|candidate| &candidate.id == id))
            .cloned()
            .map(|mut quoted| {
                if quoted.deleted_at.is_some() && !sees_deleted_content {
                    blank(&mut quoted);
                }
                Box::new(quoted)
            });
        views.push(MessageView {
            reactions: reactions.get(&message.id).cloned().unwrap_or_default(),
            message,
            quoted,
            thread_participants,
        });
    }
    Ok(views)
}

fn blank(message: &mut Message) {
    message.text.clear();
    message.html.clear();
    message.attachments.clear();
}

async fn add_view_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    users: &mut UserDirectory,
    view: &MessageView,
) -> CoreResult<()> {
    collect_users(tx, ctx.app_id(), users, message_user_ids(view)).await
}

/// A message view for one message, rendered for the acting user.
async fn single_view(tx: &mut dyn Tx, ctx: &Context, message: Message, standing: &Standing) -> CoreResult<MessageView> {
    let mut views = message_views(tx, ctx, vec![message], ctx.actor.user_id(), standing.sees_deleted()).await?;
    views.pop().ok_or_else(|| CoreError::internal("message view missing"))
}

fn parse_optional_time(value: &Option<Value>, field: &str) -> CoreResult<Option<chrono::DateTime<chrono::Utc>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => rill_protocol::time::parse(text)
            .map(Some)
            .ok_or_else(|| CoreError::input(format!("{field} {text:?} is not an RFC 3339 time"))),
        Some(other) => Err(CoreError::input(format!("{field} must be an RFC 3339 time, got {other}"))),
    }
}

fn mentioned_ids(values: &Option<Vec<Value>>) -> CoreResult<Vec<String>> {
    let Some(values) = values else { return Ok(Vec::new()) };
    if values.len() > MAX_MENTIONED_USERS {
        return Err(CoreError::input(format!("mentioned_users may name at most {MAX_MENTIONED_USERS} users")));
    }
    let mut ids = Vec::with_capacity(values.len());
    for value in values {
        let id = match value {
            Value::String(id) => id.as_str(),
            Value::Object(object) => object
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| CoreError::input("each mentioned user needs an id"))?,
            _ => return Err(CoreError::input("mentioned_users entries must be user ids")),
        };
        let id = UserId::parse(id)?.into_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn check_attachments(attachments: &Option<Vec<Value>>) -> CoreResult<Vec<Value>> {
    let attachments = attachments.clone().unwrap_or_default();
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(CoreError::input(format!("a message may have at most {MAX_ATTACHMENTS} attachments")));
    }
    if attachments.iter().any(|attachment| !attachment.is_object()) {
        return Err(CoreError::input("attachments must be objects"));
    }
    // Size and depth are checked where every message is stored (`crate::store::check_attachments`).
    Ok(attachments)
}

fn check_text(text: &str, config: &ChannelConfig) -> CoreResult<()> {
    let length = text.chars().count() as i64;
    if length > config.max_message_length {
        return Err(CoreError::new(
            ErrorCode::MessageTooLong,
            format!("message is too long: {length} characters, the maximum is {}", config.max_message_length),
        ));
    }
    Ok(())
}

fn custom_of(request: &MessageRequest) -> CoreResult<Map<String, Value>> {
    flatten_custom(&request.custom, RESERVED, "message")
}

/// A message with its channel, the acting user's standing there, and the user: the start of every operation on
/// an existing message.
///
/// Whoever cannot read the channel is refused, and a message the viewer cannot see (truncated away, or before
/// their `hide_history` point) does not exist for them: every operation on a message starts with both checks, so
/// none can forget them.
pub(crate) async fn message_context(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &str,
) -> CoreResult<(Message, Channel, ChannelConfig, Standing, Option<User>)> {
    message_context_with(tx, ctx, message_id, false).await
}

/// [`message_context`] for an operation that changes the message: the message is locked until the commit, so
/// concurrent changes to it (edits, reactions, deletion) apply one after the other.
async fn message_context_for_update(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &str,
) -> CoreResult<(Message, Channel, ChannelConfig, Standing, Option<User>)> {
    message_context_with(tx, ctx, message_id, true).await
}

async fn message_context_with(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &str,
    for_update: bool,
) -> CoreResult<(Message, Channel, ChannelConfig, Standing, Option<User>)> {
    let message = if for_update {
        tx.message_for_update(ctx.app_id(), message_id).await?
    } else {
        tx.message(ctx.app_id(), message_id).await?
    };
    let message = message.ok_or_else(|| CoreError::not_found(format!("message {message_id} does not exist")))?;
    let (channel, config) = load_channel(tx, ctx, &message.cid).await?;
    let user = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, user.as_ref()).await?;
    standing.require_read(&channel.cid)?;
    if !standing.sees(&message) {
        return Err(CoreError::not_found(format!("message {message_id} does not exist")));
    }
    Ok((message, channel, config, standing, user))
}

/// Whether a message counts toward its channel's unread counts.
fn counts_as_unread(message: &Message) -> bool {
    !message.silent
        && message.message_type != "system"
        && !message.shadowed
        && (message.parent_id.is_none() || message.show_in_channel)
}

/// Options of a send beyond the message itself.
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    pub skip_push: bool,
    pub keep_channel_hidden: bool,
}

/// `POST /channels/{type}/{id}/message`.
pub async fn send_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    request: SendMessageRequest,
) -> CoreResult<Outcome<MessageView>> {
    let options = SendOptions {
        skip_push: request.skip_push.unwrap_or(false),
        keep_channel_hidden: request.keep_channel_hidden.unwrap_or(false),
    };
    let (channel, config) = load_channel(tx, ctx, cid).await?;
    post_message(tx, ctx, channel, &config, request.message, &options, None).await
}

/// Posts a message into a loaded channel; `forced_type` is used for system messages of channel updates.
pub(crate) async fn post_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    mut channel: Channel,
    config: &ChannelConfig,
    request: MessageRequest,
    options: &SendOptions,
    forced_type: Option<&str>,
) -> CoreResult<Outcome<MessageView>> {
    let user = acting_user(tx, ctx).await?.ok_or_else(|| CoreError::input("message.user_id is required"))?;
    let standing = standing(tx, ctx, &channel, config, Some(&user)).await?;
    standing.require_read(&channel.cid)?;
    standing.require_not_banned("send messages")?;
    let text = request.text.clone().unwrap_or_default();
    check_text(&text, config)?;
    let message_type = message_type_of(ctx, &request, forced_type)?;
    // A frozen channel answers non-moderators with an error message rather than an HTTP error (Stream's
    // documented behaviour); the error message is never stored or broadcast.
    let moderates = standing.server || crate::policy::has(&standing.capabilities, "freeze-channel");
    if channel.frozen && !moderates {
        let mut outcome = Outcome::new(error_message(ctx, &channel, &user.id, &request, text, "channel is frozen"));
        outcome.users.insert(user.id.clone(), user);
        return Ok(outcome);
    }
    authorize_post(tx, ctx, &channel, config, &standing, &request).await?;
    let verdict = crate::ops::blocklists::screen(tx, &ctx.app, config, &text).await?;
    if verdict.as_ref().is_some_and(|verdict| verdict.behavior == "block") {
        // Bounced like Stream does: the sender gets an error message, nothing is stored or sent.
        let bounced = "Message was blocked by moderation policies".to_owned();
        let mut outcome = Outcome::new(error_message(ctx, &channel, &user.id, &request, bounced, "blocklist"));
        outcome.users.insert(user.id.clone(), user);
        return Ok(outcome);
    }
    let counted_in = crate::ops::usage::check_message_quota(tx, ctx, &channel.cid).await?;
    let parent = thread_parent(tx, ctx, &channel, &standing, &request).await?;
    let quoted = quoted_message(tx, ctx, &channel, config, &standing, &request).await?;
    let mut message = new_message(tx, ctx, &channel, &user.id, message_type, text, &request).await?;
    // A shadow-banned sender's message is theirs alone: it moves no counter or position anyone else sees. So is
    // one a blocklist shadow-blocks.
    message.shadowed = standing.shadowed || verdict.as_ref().is_some_and(|verdict| verdict.behavior == "shadow_block");
    if let Some(parent) = parent.as_ref().filter(|_| !message.shadowed) {
        tx.add_reply_counts(ctx.app_id(), &parent.id, 1, 0).await?;
    }
    // The channel's counters move in SQL, so concurrent sends each get their own sequence number; its row stays
    // locked until the commit, so this is the send's last write.
    let shows_in_channel = (message.parent_id.is_none() || message.show_in_channel) && !message.shadowed;
    let effects = PostEffects {
        counts_unread: counts_as_unread(&message),
        shows_in_channel,
        sender_is_member: standing.member.is_some(),
        unhide: !options.keep_channel_hidden && !message.shadowed,
        counted_in: Some(counted_in),
    };
    let posted = tx.post_message(ctx.app_id(), &mut message, effects, ctx.now).await?;
    crate::ops::push::enqueue_message_push(tx, ctx, &message, options.skip_push, config.push_notifications).await?;
    channel.message_count = posted.counters.message_count;
    channel.unread_sequence = posted.counters.unread_sequence;
    if shows_in_channel {
        channel.last_message_at = Some(ctx.now);
    }
    let mut outcome = Outcome::new(MessageView {
        message,
        reactions: MessageReactions::default(),
        quoted: quoted.map(Box::new),
        thread_participants: Vec::new(),
    });
    for user_id in posted.unhidden {
        outcome.notices.push(Notice::ChannelVisible { channel: channel.clone(), user_id });
    }
    outcome.users.insert(user.id.clone(), user);
    add_view_users(tx, ctx, &mut outcome.users, &outcome.value).await?;
    if let Some(verdict) = verdict.filter(|verdict| verdict.behavior == "flag") {
        let flag = crate::ops::blocklists::automod_flag(&outcome.value.message, &verdict, ctx.now);
        tx.insert_flag(ctx.app_id(), &flag).await?;
        outcome.notices.push(Notice::MessageFlagged { channel: channel.clone(), message: outcome.value.clone(), flag });
    }
    outcome.notices.push(Notice::MessageNew { channel, message: outcome.value.clone() });
    Ok(outcome)
}

/// Checks an edit's new text against the type's blocklists: a text they block is refused; one they flag (or
/// shadow-block: an edit does not hide a message already seen) is flagged for review once.
async fn screen_edit(
    tx: &mut dyn Tx,
    ctx: &Context,
    config: &ChannelConfig,
    message: &Message,
    text: &str,
) -> CoreResult<()> {
    let Some(verdict) = crate::ops::blocklists::screen(tx, &ctx.app, config, text).await? else { return Ok(()) };
    if verdict.behavior == "block" {
        return Err(CoreError::input(format!(
            "the new text contains {:?}, which blocklist {} blocks",
            verdict.word, verdict.blocklist
        )));
    }
    let mut edited = message.clone();
    edited.text = text.to_owned();
    tx.insert_flag(ctx.app_id(), &crate::ops::blocklists::automod_flag(&edited, &verdict, ctx.now)).await?;
    Ok(())
}

/// The stored type of a new message: `regular` or `reply`, `system` only server-side or when forced.
fn message_type_of(ctx: &Context, request: &MessageRequest, forced_type: Option<&str>) -> CoreResult<String> {
    match (forced_type, request.message_type.as_deref(), &request.parent_id) {
        (Some(forced), _, _) => Ok(forced.to_owned()),
        (None, None | Some("") | Some("regular"), None) => Ok("regular".to_owned()),
        (None, None | Some("") | Some("regular") | Some("reply"), Some(_)) => Ok("reply".to_owned()),
        (None, Some("system"), _) if ctx.actor.is_server() => Ok("system".to_owned()),
        (None, Some(other), _) => Err(CoreError::input(format!(
            "message type {:?} cannot be sent: use regular (or system server-side)",
            rill_protocol::limits::truncated(other)
        ))),
    }
}

/// Refuses a post the sender may not make: the capability for a message or a reply, pinning, and slow mode.
async fn authorize_post(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    config: &ChannelConfig,
    standing: &Standing,
    request: &MessageRequest,
) -> CoreResult<()> {
    if request.parent_id.is_some() {
        if !config.replies {
            return Err(CoreError::new(
                ErrorCode::ChannelFeatureNotSupported,
                "replies are disabled for this channel type",
            ));
        }
        standing.require("send-reply", "send thread replies")?;
    } else {
        standing.require("send-message", &format!("send messages in channel {}", channel.cid))?;
    }
    if request.pinned == Some(true) {
        standing.require("pin-message", "pin messages")?;
    }
    let skips_slow_mode = standing.server || crate::policy::has(&standing.capabilities, "skip-slow-mode");
    if channel.cooldown > 0 && !skips_slow_mode {
        let user_id = ctx.acting_user_id("SendMessage")?;
        let window_start = ctx.now - chrono::Duration::seconds(channel.cooldown);
        if tx.has_message_since(ctx.app_id(), &channel.cid, user_id, window_start).await? {
            return Err(CoreError::new(
                ErrorCode::Cooldown,
                format!("slow mode is on: users may send one message every {} seconds", channel.cooldown),
            ));
        }
    }
    Ok(())
}

/// The parent of a reply: a top-level message of the same channel that the sender can see.
async fn thread_parent(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    standing: &Standing,
    request: &MessageRequest,
) -> CoreResult<Option<Message>> {
    let Some(parent_id) = &request.parent_id else { return Ok(None) };
    let parent = tx
        .message(ctx.app_id(), parent_id)
        .await?
        .filter(|parent| parent.cid == channel.cid && standing.sees(parent))
        .ok_or_else(|| {
            CoreError::input(format!("parent message {parent_id} does not exist in channel {}", channel.cid))
        })?;
    if parent.parent_id.is_some() {
        return Err(CoreError::new(ErrorCode::MultipleNestingLevel, "replies cannot be nested: the parent is a reply"));
    }
    Ok(Some(parent))
}

/// The message a new one quotes: of the same channel, visible to the sender, and not deleted. A deleted
/// message's text must not come back through a quote, to the sender or to anyone watching.
async fn quoted_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    config: &ChannelConfig,
    standing: &Standing,
    request: &MessageRequest,
) -> CoreResult<Option<Message>> {
    let Some(quoted_id) = &request.quoted_message_id else { return Ok(None) };
    if !config.quotes {
        return Err(CoreError::new(ErrorCode::ChannelFeatureNotSupported, "quotes are disabled for this channel type"));
    }
    tx.message(ctx.app_id(), quoted_id)
        .await?
        .filter(|quoted| quoted.cid == channel.cid && quoted.deleted_at.is_none() && standing.sees(quoted))
        .map(Some)
        .ok_or_else(|| {
            CoreError::input(format!("quoted message {quoted_id} does not exist in channel {}", channel.cid))
        })
}

/// Builds the row of a new message from the request (not yet stored, sequence not yet assigned).
async fn new_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: &Channel,
    user_id: &str,
    message_type: String,
    text: String,
    request: &MessageRequest,
) -> CoreResult<Message> {
    let pinned = request.pinned.unwrap_or(false);
    let html = match (&request.html, ctx.actor.is_server()) {
        (Some(html), true) => html.clone(),
        _ => markdown::render(&text),
    };
    let mut mentioned_users = mentioned_ids(&request.mentioned_users)?;
    // Keep only mentions of users that exist; unknown ids would render as nothing.
    if !mentioned_users.is_empty() {
        let known: Vec<String> =
            tx.users(ctx.app_id(), &mentioned_users).await?.into_iter().map(|user| user.id).collect();
        mentioned_users.retain(|id| known.contains(id));
    }
    Ok(Message {
        id: request.id.as_ref().map_or_else(|| uuid::Uuid::new_v4().to_string(), MessageId::to_string),
        cid: channel.cid.clone(),
        user_id: user_id.to_owned(),
        message_type,
        text,
        html,
        parent_id: request.parent_id.as_ref().map(MessageId::to_string),
        show_in_channel: request.parent_id.is_some() && request.show_in_channel.unwrap_or(false),
        silent: request.silent.unwrap_or(false),
        shadowed: false,
        pinned,
        pinned_at: pinned.then_some(ctx.now),
        pinned_by: pinned.then(|| user_id.to_owned()),
        pin_expires: if pinned { parse_optional_time(&request.pin_expires, "pin_expires")? } else { None },
        quoted_message_id: request.quoted_message_id.as_ref().map(MessageId::to_string),
        attachments: check_attachments(&request.attachments)?,
        mentioned_users,
        data: custom_of(request)?,
        reaction_counts: Default::default(),
        reaction_scores: Default::default(),
        reply_count: 0,
        deleted_reply_count: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
        deleted_at: None,
        text_updated_at: None,
        sequence: channel.unread_sequence,
    })
}

/// The `type: "error"` message returned to a sender whose message was refused without an HTTP error.
fn error_message(
    ctx: &Context,
    channel: &Channel,
    user_id: &str,
    request: &MessageRequest,
    text: String,
    reason: &str,
) -> MessageView {
    let mut data = Map::new();
    data.insert("error_reason".into(), Value::from(reason));
    MessageView {
        message: Message {
            id: request.id.as_ref().map_or_else(|| uuid::Uuid::new_v4().to_string(), MessageId::to_string),
            cid: channel.cid.clone(),
            user_id: user_id.to_owned(),
            message_type: "error".into(),
            html: markdown::render(&text),
            text,
            parent_id: request.parent_id.as_ref().map(MessageId::to_string),
            show_in_channel: false,
            silent: false,
            shadowed: false,
            pinned: false,
            pinned_at: None,
            pinned_by: None,
            pin_expires: None,
            quoted_message_id: None,
            attachments: Vec::new(),
            mentioned_users: Vec::new(),
            data,
            reaction_counts: Default::default(),
            reaction_scores: Default::default(),
            reply_count: 0,
            deleted_reply_count: 0,
            created_at: ctx.now,
            updated_at: ctx.now,
            deleted_at: None,
            text_updated_at: None,
            sequence: 0,
        },
        reactions: MessageReactions::default(),
        quoted: None,
        thread_participants: Vec::new(),
    }
}

/// `GET /messages/{id}`: the message with its channel.
pub async fn get_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
) -> CoreResult<Outcome<(MessageView, Channel)>> {
    let (message, channel, _config, standing, _viewer) = message_context(tx, ctx, message_id).await?;
    let view = single_view(tx, ctx, message, &standing).await?;
    let mut outcome = Outcome::new((view, channel));
    add_view_users(tx, ctx, &mut outcome.users, &outcome.value.0).await?;
    Ok(outcome)
}

/// The acting user's standing in a channel they must be able to read.
async fn reader_standing(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<Standing> {
    let (channel, config) = crate::ops::load_channel(tx, ctx, cid).await?;
    let viewer = acting_user(tx, ctx).await?;
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    standing.require_read(cid)?;
    Ok(standing)
}

/// Messages rendered for the acting user (deleted content blanked unless they may see it), with every user the
/// views name.
async fn views_for_reader(
    tx: &mut dyn Tx,
    ctx: &Context,
    standing: &Standing,
    messages: Vec<Message>,
) -> CoreResult<Outcome<Vec<MessageView>>> {
    let views = message_views(tx, ctx, messages, ctx.actor.user_id(), standing.sees_deleted()).await?;
    let mut outcome = Outcome::new(views);
    collect_users(tx, ctx.app_id(), &mut outcome.users, outcome.value.iter().flat_map(message_user_ids)).await?;
    Ok(outcome)
}

/// `GET /channels/{type}/{id}/messages?ids=`: the channel's messages among `ids` that the viewer may see (not
/// before their horizon; a shadowed one only to its author), oldest first. Ids of other channels' messages, or
/// of none, are left out. Cost: one primary-key probe per id.
pub async fn many_messages(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    ids: &[MessageId],
) -> CoreResult<Outcome<Vec<MessageView>>> {
    let standing = reader_standing(tx, ctx, cid).await?;
    let ids: Vec<String> = ids.iter().map(MessageId::to_string).collect();
    // `sees` also hides someone else's shadowed message.
    let visible: Vec<Message> = tx
        .messages(ctx.app_id(), &ids)
        .await?
        .into_iter()
        .filter(|message| message.cid == cid && standing.sees(message))
        .collect();
    views_for_reader(tx, ctx, &standing, visible).await
}

/// `GET /channels/{type}/{id}/pinned_messages`: a page of the channel's pins the viewer may see, by `pinned_at`
/// (newest first by default), within the `pinned_at_*` bounds. Cost: the page, by the pinned index.
pub async fn pinned_messages(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    query: &rill_protocol::request::PinnedMessagesQuery,
) -> CoreResult<Outcome<Vec<MessageView>>> {
    if let Some(name) = query.unsupported() {
        return Err(CoreError::input(format!("{name} is not supported for pinned messages: page by pinned_at")));
    }
    let (default, max) = rill_protocol::limits::PINNED_MESSAGES_LIMIT;
    let limit = page_size(query.limit, default, max, "limit")?;
    let bound = |value: &Option<String>, field: &str, inclusive: bool| {
        parse_optional_time(&value.clone().map(Value::from), field).map(|at| at.map(|at| (at, inclusive)))
    };
    let after = bound(&query.pinned_at_after_or_equal, "pinned_at_after_or_equal", true)?.or(bound(
        &query.pinned_at_after,
        "pinned_at_after",
        false,
    )?);
    let before = bound(&query.pinned_at_before_or_equal, "pinned_at_before_or_equal", true)?.or(bound(
        &query.pinned_at_before,
        "pinned_at_before",
        false,
    )?);
    let sort = match &query.sort {
        None => Vec::new(),
        Some(text) => {
            let value: Value =
                serde_json::from_str(text).map_err(|_| CoreError::input("sort must be a JSON sort array"))?;
            parse_sort(&value).map_err(|error| CoreError::input(error.message))?
        }
    };
    if let Some(other) = sort.iter().find(|field| field.field != "pinned_at") {
        return Err(CoreError::input(format!("pinned messages sort by pinned_at only, not {:?}", other.field)));
    }
    let ascending =
        sort.first().is_some_and(|field| field.direction == rill_protocol::filter::SortDirection::Ascending);
    let standing = reader_standing(tx, ctx, cid).await?;
    let range = crate::store::PinRange { after, before, ascending };
    let pins = tx.pinned_page(ctx.app_id(), cid, &range, limit, &standing.sight()).await?;
    views_for_reader(tx, ctx, &standing, pins).await
}

/// Checks that the acting user may edit `message`: their own (`update-own-message`) or any
/// (`update-any-message`).
fn require_edit(standing: &Standing, message: &Message, user_id: Option<&str>) -> CoreResult<()> {
    if user_id == Some(message.user_id.as_str()) {
        standing.require("update-own-message", "update their own messages")
    } else {
        standing.require("update-any-message", &format!("update message {} of another user", message.id))
    }
}

/// Stores an edit (the content, and the pin when it changed) and renders the result.
async fn finish_update(
    tx: &mut dyn Tx,
    ctx: &Context,
    channel: Channel,
    before: &Message,
    message: Message,
    standing: &Standing,
) -> CoreResult<Outcome<MessageView>> {
    let content = MessageContent {
        text: message.text.clone(),
        html: message.html.clone(),
        attachments: message.attachments.clone(),
        mentioned_users: message.mentioned_users.clone(),
        data: message.data.clone(),
        silent: message.silent,
        text_updated_at: message.text_updated_at,
        updated_at: message.updated_at,
    };
    tx.update_message_content(ctx.app_id(), &message.id, &content).await?;
    let mut notices = Vec::new();
    crate::ops::uploads::release_dropped(
        tx,
        ctx,
        &channel.cid,
        &message.user_id,
        &before.attachments,
        &message.attachments,
        &mut notices,
    )
    .await?;
    let pin = MessagePin {
        pinned: message.pinned,
        pinned_at: message.pinned_at,
        pinned_by: message.pinned_by.clone(),
        pin_expires: message.pin_expires,
    };
    let pinned_before = (before.pinned, before.pinned_at, &before.pinned_by, before.pin_expires);
    if pinned_before != (pin.pinned, pin.pinned_at, &pin.pinned_by, pin.pin_expires) {
        tx.set_pin(ctx.app_id(), &message.id, &pin, message.updated_at).await?;
    }
    let view = single_view(tx, ctx, message, standing).await?;
    let mut outcome = Outcome::new(view.clone());
    outcome.notices = notices;
    add_view_users(tx, ctx, &mut outcome.users, &view).await?;
    outcome.notices.push(Notice::MessageUpdated { channel, message: view, by: ctx.actor.user_id().map(str::to_owned) });
    Ok(outcome)
}

/// `POST /messages/{id}`: replaces text, attachments, mentions and custom data.
pub async fn update_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    request: MessageRequest,
) -> CoreResult<Outcome<MessageView>> {
    let (mut message, channel, config, standing, _user) = message_context_for_update(tx, ctx, message_id).await?;
    if message.deleted_at.is_some() {
        return Err(CoreError::input(format!("message {message_id} is deleted and cannot be updated")));
    }
    require_edit(&standing, &message, ctx.actor.user_id())?;
    let before = message.clone();
    let text = request.text.clone().unwrap_or_default();
    check_text(&text, &config)?;
    if text != message.text {
        screen_edit(tx, ctx, &config, &message, &text).await?;
    }
    if text != message.text {
        message.text_updated_at = Some(ctx.now);
    }
    message.html = match (&request.html, ctx.actor.is_server()) {
        (Some(html), true) => html.clone(),
        _ => markdown::render(&text),
    };
    message.text = text;
    message.attachments = check_attachments(&request.attachments)?;
    message.mentioned_users = mentioned_ids(&request.mentioned_users)?;
    message.data = custom_of(&request)?;
    if let Some(pinned) = request.pinned {
        apply_pin(&mut message, pinned, &request.pin_expires, ctx, &standing)?;
    }
    message.updated_at = ctx.now;
    finish_update(tx, ctx, channel, &before, message, &standing).await
}

fn apply_pin(
    message: &mut Message,
    pinned: bool,
    expires: &Option<Value>,
    ctx: &Context,
    standing: &Standing,
) -> CoreResult<()> {
    if pinned == message.pinned {
        return Ok(());
    }
    standing.require("pin-message", "pin or unpin messages")?;
    message.pinned = pinned;
    if pinned {
        message.pinned_at = Some(ctx.now);
        message.pinned_by = ctx.actor.user_id().map(str::to_owned);
        message.pin_expires = parse_optional_time(expires, "pin_expires")?;
    } else {
        message.pinned_at = None;
        message.pinned_by = None;
        message.pin_expires = None;
    }
    Ok(())
}

/// `PUT /messages/{id}`: sets and unsets fields; `pinned` pins and unpins.
pub async fn partial_update_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    request: PartialUpdateRequest,
) -> CoreResult<Outcome<MessageView>> {
    let (mut message, channel, config, standing, _user) = message_context_for_update(tx, ctx, message_id).await?;
    if message.deleted_at.is_some() {
        return Err(CoreError::input(format!("message {message_id} is deleted and cannot be updated")));
    }
    let before = message.clone();
    // Pinning has its own capability (apply_pin checks it); any other change, and an empty update (which still
    // announces `message.updated`), is an edit.
    let pin_field = |path: &str| path == "pinned" || path == "pin_expires";
    let only_pinning = (!request.set.is_empty() || !request.unset.is_empty())
        && request.set.keys().all(|path| pin_field(path))
        && request.unset.iter().all(|path| pin_field(path));
    if !only_pinning {
        require_edit(&standing, &message, ctx.actor.user_id())?;
    }
    for (path, value) in &request.set {
        match path.as_str() {
            "text" => {
                let text = value.as_str().ok_or_else(|| CoreError::input("text must be a string"))?;
                check_text(text, &config)?;
                if text != message.text {
                    screen_edit(tx, ctx, &config, &message, text).await?;
                }
                if text != message.text {
                    message.text_updated_at = Some(ctx.now);
                }
                message.text = text.to_owned();
                message.html = markdown::render(text);
            }
            "attachments" => message.attachments = check_attachments(&Some(as_array(value, "attachments")?))?,
            "mentioned_users" => message.mentioned_users = mentioned_ids(&Some(as_array(value, "mentioned_users")?))?,
            "pinned" => {
                let pinned = value.as_bool().ok_or_else(|| CoreError::input("pinned must be a boolean"))?;
                apply_pin(&mut message, pinned, &request.set.get("pin_expires").cloned(), ctx, &standing)?;
            }
            "pin_expires" => {}
            "silent" => message.silent = value.as_bool().ok_or_else(|| CoreError::input("silent must be a boolean"))?,
            _ if RESERVED.contains(&path.head()) => {
                return Err(CoreError::input(format!("field {path:?} cannot be set")));
            }
            _ => set_path(&mut message.data, path, value.clone()),
        }
    }
    for path in &request.unset {
        match path.as_str() {
            "pinned" => apply_pin(&mut message, false, &None, ctx, &standing)?,
            "pin_expires" => message.pin_expires = None,
            _ if RESERVED.contains(&path.head()) => {
                return Err(CoreError::input(format!("field {path:?} cannot be unset")));
            }
            _ => unset_path(&mut message.data, path),
        }
    }
    message.updated_at = ctx.now;
    finish_update(tx, ctx, channel, &before, message, &standing).await
}

fn as_array(value: &Value, field: &str) -> CoreResult<Vec<Value>> {
    value.as_array().cloned().ok_or_else(|| CoreError::input(format!("{field} must be an array")))
}

/// `DELETE /messages/{id}`: soft delete keeps the row as `type: "deleted"`; hard delete removes it.
pub async fn delete_message(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    hard: bool,
) -> CoreResult<Outcome<MessageView>> {
    let (mut message, channel, _config, standing, _user) = message_context_for_update(tx, ctx, message_id).await?;
    if ctx.actor.user_id() == Some(message.user_id.as_str()) {
        standing.require("delete-own-message", "delete their own messages")?;
    } else {
        standing.require("delete-any-message", &format!("delete message {message_id} of another user"))?;
    }
    let already_deleted = message.deleted_at.is_some();
    let mut notices = Vec::new();
    let attachments = std::mem::take(&mut message.attachments);
    crate::ops::uploads::release_dropped(tx, ctx, &channel.cid, &message.user_id, &attachments, &[], &mut notices)
        .await?;
    message.attachments = attachments;
    message.deleted_at = Some(message.deleted_at.unwrap_or(ctx.now));
    message.message_type = "deleted".into();
    message.updated_at = ctx.now;
    if hard {
        tx.delete_message(ctx.app_id(), message_id).await?;
    } else {
        tx.mark_message_deleted(ctx.app_id(), message_id, ctx.now).await?;
    }
    // Its reports are settled: removed by a moderator (or a server call), they are reviewed and rejected.
    let by_author = ctx.actor.user_id() == Some(message.user_id.as_str());
    let review = (!by_author).then(|| ctx.actor.user_id());
    tx.close_message_flags(ctx.app_id(), message_id, ctx.now, review).await?;
    if let Some(parent_id) = &message.parent_id {
        uncount_reply(tx, ctx.app_id(), parent_id, hard, already_deleted).await?;
    }
    // Deleted messages never show their content to others, whoever asks.
    blank(&mut message);
    let view =
        MessageView { message, reactions: MessageReactions::default(), quoted: None, thread_participants: Vec::new() };
    let mut outcome = Outcome::new(view.clone());
    outcome.notices = notices;
    add_view_users(tx, ctx, &mut outcome.users, &view).await?;
    outcome.notices.push(Notice::MessageDeleted {
        channel,
        message: view,
        hard,
        by: ctx.actor.user_id().map(str::to_owned),
    });
    Ok(outcome)
}

/// Moves a thread's reply counts for a reply being deleted: one deleted reply more (soft), or one reply fewer,
/// uncounted from the deleted ones too if it was one (hard). A reply deleted softly again changes nothing.
pub(crate) async fn uncount_reply(
    tx: &mut dyn Tx,
    app_id: i64,
    parent_id: &str,
    hard: bool,
    already_deleted: bool,
) -> CoreResult<()> {
    match (hard, already_deleted) {
        (true, already) => tx.add_reply_counts(app_id, parent_id, -1, -i64::from(already)).await,
        (false, false) => tx.add_reply_counts(app_id, parent_id, 0, 1).await,
        (false, true) => Ok(()),
    }
}

/// Resolves `id_lt`-style paging into a range; `None` means the reference message does not exist.
pub(crate) async fn message_range(tx: &mut dyn Tx, ctx: &Context, paging: &Paging) -> CoreResult<Option<MessageRange>> {
    let reference = [
        (&paging.id_lt, false, false),
        (&paging.id_lte, false, true),
        (&paging.id_gt, true, false),
        (&paging.id_gte, true, true),
    ];
    for (id, after, inclusive) in reference {
        if let Some(id) = id {
            let Some(message) = tx.message(ctx.app_id(), id).await? else { return Ok(None) };
            let at = message.created_at;
            return Ok(Some(if after {
                MessageRange::After { at, id: id.to_string(), inclusive }
            } else {
                MessageRange::Before { at, id: id.to_string(), inclusive }
            }));
        }
    }
    Ok(Some(MessageRange::Latest))
}

/// `GET /messages/{parent_id}/replies`.
pub async fn replies(
    tx: &mut dyn Tx,
    ctx: &Context,
    parent_id: &MessageId,
    paging: &Paging,
) -> CoreResult<Outcome<Vec<MessageView>>> {
    let (_parent, _channel, _config, standing, _viewer) = message_context(tx, ctx, parent_id).await?;
    let (default, max) = REPLIES_LIMIT;
    let limit = page_size(paging.limit, default, max, "limit")?;
    let messages = match message_range(tx, ctx, paging).await? {
        Some(range) => tx.replies(ctx.app_id(), parent_id, &range, limit, &standing.sight()).await?,
        None => Vec::new(),
    };
    views_for_reader(tx, ctx, &standing, messages).await
}

/// Options of `SendReaction`.
#[derive(Debug, Clone)]
pub struct ReactionInput {
    pub reaction_type: ReactionType,
    pub score: Option<i64>,
    pub custom: Map<String, Value>,
    pub enforce_unique: bool,
}

async fn reaction_context(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &str,
) -> CoreResult<(Message, Channel, ChannelConfig, User, Standing)> {
    let (message, channel, config, standing, user) = message_context_for_update(tx, ctx, message_id).await?;
    let user = user.ok_or_else(|| CoreError::input("reaction.user_id is required"))?;
    if !config.reactions {
        return Err(CoreError::new(
            ErrorCode::ChannelFeatureNotSupported,
            "reactions are disabled for this channel type",
        ));
    }
    if channel.frozen && !standing.server && !crate::policy::has(&standing.capabilities, "freeze-channel") {
        return Err(CoreError::not_allowed(format!("channel {} is frozen: reactions are not allowed", channel.cid)));
    }
    Ok((message, channel, config, user, standing))
}

/// The message re-read after a reaction change, rendered for the acting user.
async fn reaction_result(
    tx: &mut dyn Tx,
    ctx: &Context,
    message: Message,
    standing: &Standing,
    reaction: Reaction,
    channel: Channel,
    event_type: &'static str,
) -> CoreResult<Outcome<(MessageView, Reaction)>> {
    let view = single_view(tx, ctx, message, standing).await?;
    let mut outcome = Outcome::new((view.clone(), reaction.clone()));
    add_view_users(tx, ctx, &mut outcome.users, &view).await?;
    collect_users(tx, ctx.app_id(), &mut outcome.users, [reaction.user_id.as_str()]).await?;
    outcome.notices.push(Notice::Reaction { event_type, channel, message: view, reaction });
    Ok(outcome)
}

/// `POST /messages/{id}/reaction`.
pub async fn send_reaction(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    input: ReactionInput,
) -> CoreResult<Outcome<(MessageView, Reaction)>> {
    let (_message, channel, _config, user, standing) = reaction_context(tx, ctx, message_id).await?;
    standing.require("send-reaction", "send reactions")?;
    check_custom_keys(
        &input.custom,
        &["message_id", "user_id", "user", "type", "score", "created_at", "updated_at"],
        "reaction",
    )?;
    let score = input.score.unwrap_or(1);
    if !(1..=MAX_REACTION_SCORE).contains(&score) {
        return Err(CoreError::input(format!("reaction score must be between 1 and {MAX_REACTION_SCORE}")));
    }
    if input.enforce_unique {
        for other in tx.user_reactions(ctx.app_id(), message_id, &user.id).await? {
            if other.reaction_type != input.reaction_type.as_str() {
                tx.delete_reaction(ctx.app_id(), message_id, &user.id, &other.reaction_type).await?;
                tx.add_reaction_totals(ctx.app_id(), message_id, &other.reaction_type, -1, -other.score).await?;
            }
        }
    }
    let existing = tx.reaction(ctx.app_id(), message_id, &user.id, &input.reaction_type).await?;
    let reaction = Reaction {
        message_id: message_id.to_string(),
        user_id: user.id.clone(),
        reaction_type: input.reaction_type.to_string(),
        score,
        data: input.custom,
        created_at: existing.as_ref().map_or(ctx.now, |existing| existing.created_at),
        updated_at: ctx.now,
    };
    let (count, added_score) = match &existing {
        Some(existing) => (0, score - existing.score),
        None => (1, score),
    };
    tx.put_reaction(ctx.app_id(), &reaction).await?;
    tx.add_reaction_totals(ctx.app_id(), message_id, &reaction.reaction_type, count, added_score).await?;
    tx.touch_message(ctx.app_id(), message_id, ctx.now).await?;
    let message = load_message(tx, ctx, message_id).await?;
    let event_type = if existing.is_some() { "reaction.updated" } else { "reaction.new" };
    reaction_result(tx, ctx, message, &standing, reaction, channel, event_type).await
}

/// `DELETE /messages/{id}/reaction/{type}`.
pub async fn delete_reaction(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    reaction_type: &ReactionType,
) -> CoreResult<Outcome<(MessageView, Reaction)>> {
    let (_message, channel, _config, user, standing) = reaction_context(tx, ctx, message_id).await?;
    let reaction = tx
        .reaction(ctx.app_id(), message_id, &user.id, reaction_type)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("reaction {reaction_type} of user {} does not exist", user.id)))?;
    tx.delete_reaction(ctx.app_id(), message_id, &user.id, reaction_type).await?;
    tx.add_reaction_totals(ctx.app_id(), message_id, reaction_type, -1, -reaction.score).await?;
    tx.touch_message(ctx.app_id(), message_id, ctx.now).await?;
    let message = load_message(tx, ctx, message_id).await?;
    reaction_result(tx, ctx, message, &standing, reaction, channel, "reaction.deleted").await
}

/// `GET /messages/{id}/reactions`.
pub async fn reactions(
    tx: &mut dyn Tx,
    ctx: &Context,
    message_id: &MessageId,
    limit: Option<i64>,
    offset: Option<i64>,
) -> CoreResult<Outcome<Vec<Reaction>>> {
    message_context(tx, ctx, message_id).await?;
    let (default, max) = REACTIONS_LIMIT;
    let limit = page_size(limit, default, max, "limit")?;
    let offset = page_offset(offset, MAX_OFFSET, "offset")?;
    let reactions = tx.reactions(ctx.app_id(), message_id, limit, offset).await?;
    let mut outcome = Outcome::new(reactions);
    let ids: Vec<String> = outcome.value.iter().map(|reaction| reaction.user_id.clone()).collect();
    collect_users(tx, ctx.app_id(), &mut outcome.users, ids.iter().map(String::as_str)).await?;
    Ok(outcome)
}

/// The document a message filter is evaluated against.
pub(crate) fn message_document(message: &Message, users: &UserDirectory) -> Map<String, Value> {
    let mut document = message.data.clone();
    document.insert("id".into(), Value::from(message.id.as_str()));
    document.insert("text".into(), Value::from(message.text.as_str()));
    document.insert("type".into(), Value::from(message.message_type.as_str()));
    document.insert("cid".into(), Value::from(message.cid.as_str()));
    if let Some(parent_id) = &message.parent_id {
        document.insert("parent_id".into(), Value::from(parent_id.as_str()));
    }
    document.insert("reply_count".into(), Value::from(message.reply_count));
    document.insert("pinned".into(), Value::from(message.pinned));
    document.insert("created_at".into(), Value::from(rill_protocol::time::format(&message.created_at)));
    document.insert("updated_at".into(), Value::from(rill_protocol::time::format(&message.updated_at)));
    let mut user = Map::new();
    user.insert("id".into(), Value::from(message.user_id.as_str()));
    if let Some(name) = users.get(&message.user_id).and_then(User::name) {
        user.insert("name".into(), Value::from(name));
    }
    document.insert("user".into(), Value::Object(user));
    document.insert("user_id".into(), Value::from(message.user_id.as_str()));
    let mentioned: Vec<Value> = message.mentioned_users.iter().map(|id| serde_json::json!({ "id": id })).collect();
    document.insert("mentioned_users".into(), Value::Array(mentioned));
    if !message.attachments.is_empty() {
        document.insert("attachments".into(), Value::Array(message.attachments.clone()));
    }
    document
}

/// Where each message filter field is in the store (see `store::selection`); any other field is custom data.
pub(crate) fn message_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "id" => FieldKind::Text { column: "id", nullable: false },
        "text" => FieldKind::TextWithWords { column: "text", index: WordIndex::MessageText },
        "type" => FieldKind::Text { column: "type", nullable: false },
        "cid" => FieldKind::Text { column: "cid", nullable: false },
        "parent_id" => FieldKind::Text { column: "parent_id", nullable: true },
        "user_id" | "user.id" => FieldKind::Text { column: "user_id", nullable: false },
        "reply_count" => FieldKind::Integer { column: "reply_count" },
        "pinned" => FieldKind::Bool { column: "pinned" },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        "updated_at" => FieldKind::Time { column: "updated_at", nullable: false },
        // Built when the document is: the author's profile, mentions as objects, attachments.
        _ if field == "user" || field.starts_with("user.") => FieldKind::Computed,
        _ if field.starts_with("mentioned_users") || field.starts_with("attachments") => FieldKind::Computed,
        _ => return None,
    })
}

/// The message fields a search can be sorted by in SQL.
fn message_sort_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "id" => "id",
        "created_at" => "created_at",
        "updated_at" => "updated_at",
        "reply_count" => "reply_count",
        _ => return None,
    })
}

/// Search's own order, and the tiebreak of any other.
const NEWEST_FIRST: [OrderKey; 2] =
    [OrderKey { column: "created_at", descending: true }, OrderKey { column: "id", descending: true }];

/// The messages a search may find: those of the searchable channels, each after its viewer's horizon.
fn search_scope(cids: &[String], horizons: &HashMap<String, Option<DateTime<Utc>>>) -> Condition {
    let mut open = Vec::new();
    let mut bounded = Vec::new();
    for cid in cids {
        match horizons.get(cid).copied().flatten() {
            None => open.push(cid.clone()),
            Some(after) => bounded.push(Condition::All(vec![
                Condition::Column { column: "cid", op: Comparison::Eq, value: Scalar::Text(cid.clone()) },
                Condition::Column {
                    column: "created_at",
                    op: Comparison::Gt,
                    value: Scalar::Int(after.timestamp_micros()),
                },
            ])),
        }
    }
    bounded.push(Condition::InList { column: "cid", values: open });
    Condition::Any(bounded)
}

/// `GET /search`: messages matching a text query or message filter, in channels matching a channel filter that
/// the acting user may read.
pub async fn search(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &SearchRequest,
) -> CoreResult<Outcome<Vec<(MessageView, Channel)>>> {
    let channel_filter =
        request.filter_conditions.as_ref().ok_or_else(|| CoreError::input("filter_conditions is required"))?;
    let has_query = request.query.as_deref().is_some_and(|query| !query.trim().is_empty());
    if request.query.as_deref().is_some_and(|query| query.len() > MAX_SEARCH_QUERY_BYTES) {
        return Err(CoreError::input(format!("query is longer than the limit of {MAX_SEARCH_QUERY_BYTES} bytes")));
    }
    if !has_query && request.message_filter_conditions.is_none() {
        return Err(CoreError::input("either query or message_filter_conditions is required"));
    }
    if request.offset.unwrap_or(0) > 0 && (request.next.is_some() || request.sort.is_some()) {
        return Err(CoreError::input("offset cannot be combined with sort or next"));
    }
    let message_filter = match &request.message_filter_conditions {
        Some(value) => Some(Filter::parse(value).map_err(|error| CoreError::input(error.message))?),
        None => None,
    };
    let sort =
        parse_sort(request.sort.as_ref().unwrap_or(&Value::Null)).map_err(|error| CoreError::input(error.message))?;
    let (default, max) = SEARCH_LIMIT;
    let limit = page_size(request.limit, default, max, "limit")?;
    let offset = match &request.next {
        Some(next) => next
            .parse::<usize>()
            .ok()
            .filter(|offset| *offset <= SEARCH_MAX_OFFSET + max)
            .ok_or_else(|| CoreError::input("next is not a valid cursor"))?,
        None => page_offset(request.offset, SEARCH_MAX_OFFSET, "offset")?,
    };

    let viewer = acting_user(tx, ctx).await?;
    let readable = crate::ops::channels::readable_channels(tx, ctx, channel_filter, viewer.as_ref()).await?;
    // What each channel hides from this viewer: its truncation, and their own hide_history point.
    let horizons: HashMap<String, Option<DateTime<Utc>>> = readable
        .iter()
        .map(|(channel, member)| {
            let hidden = member.as_ref().and_then(|member| member.hide_messages_before);
            (channel.cid.clone(), channel.truncated_at.max(hidden))
        })
        .collect();
    let channels: Vec<Channel> = readable.into_iter().map(|(channel, _)| channel).collect();
    let cids: Vec<String> = channels
        .iter()
        .filter(|channel| config_of(&channel.channel_type, &ctx.app).is_ok_and(|config| config.search))
        .map(|channel| channel.cid.clone())
        .collect();
    let mut filters = Vec::new();
    if has_query {
        let query = Value::from(request.query.as_deref().unwrap_or_default());
        filters.push(Filter::Condition { field: "text".into(), op: Operator::Q, value: query });
    }
    filters.extend(message_filter);
    let filter = Filter::And(filters);
    let compiled = selection::compile(&filter, message_field, None);
    let condition = Condition::All(vec![
        search_scope(&cids, &horizons),
        Condition::Null { column: "deleted_at" },
        Condition::Not(Box::new(Condition::InList { column: "type", values: vec!["system".into(), "deleted".into()] })),
        // Shadowed messages are found only by their author.
        Condition::Any(vec![
            Condition::Column { column: "shadowed", op: Comparison::Eq, value: Scalar::Bool(false) },
            match ctx.actor.user_id() {
                Some(viewer) => {
                    Condition::Column { column: "user_id", op: Comparison::Eq, value: Scalar::Text(viewer.into()) }
                }
                None => Condition::False,
            },
        ]),
        compiled.condition,
    ]);
    let page = Page { offset, limit };
    let order = if sort.is_empty() {
        Some(NEWEST_FIRST.to_vec())
    } else {
        selection::sql_order(&sort, message_sort_column, &NEWEST_FIRST)
    };
    let mut users = UserDirectory::new();
    let page: Vec<Message> = match order {
        Some(order) if compiled.exact => {
            tx.find_messages(ctx.app_id(), &RowQuery { condition, order, page: Some(page) }).await?
        }
        Some(order) => {
            let mut kept = Vec::new();
            let mut scanned = 0;
            loop {
                let batch = Page { offset: scanned, limit: SCAN_BATCH };
                let query = RowQuery { condition: condition.clone(), order: order.clone(), page: Some(batch) };
                let rows = tx.find_messages(ctx.app_id(), &query).await?;
                scanned += rows.len();
                let done = rows.len() < SCAN_BATCH;
                collect_users(tx, ctx.app_id(), &mut users, rows.iter().map(|message| message.user_id.as_str()))
                    .await?;
                kept.extend(
                    rows.into_iter().filter(|message| query::matches(&filter, &message_document(message, &users))),
                );
                if done || kept.len() >= page.offset + page.limit {
                    break;
                }
            }
            kept.into_iter().skip(page.offset).take(page.limit).collect()
        }
        None => {
            let everything = Page { offset: 0, limit: MAX_SORTED_IN_MEMORY + 1 };
            let query = RowQuery { condition, order: NEWEST_FIRST.to_vec(), page: Some(everything) };
            let rows = tx.find_messages(ctx.app_id(), &query).await?;
            refuse_unsortable(rows.len(), &sort)?;
            collect_users(tx, ctx.app_id(), &mut users, rows.iter().map(|message| message.user_id.as_str())).await?;
            let mut matching: Vec<(Message, Map<String, Value>)> = rows
                .into_iter()
                .map(|message| {
                    let document = message_document(&message, &users);
                    (message, document)
                })
                .filter(|(_, document)| query::matches(&filter, document))
                .collect();
            matching.sort_by(|(_, a), (_, b)| query::compare(a, b, &sort));
            matching.into_iter().skip(page.offset).take(page.limit).map(|(message, _)| message).collect()
        }
    };
    let views = message_views(tx, ctx, page, ctx.actor.user_id(), ctx.actor.is_server()).await?;
    // Every user the page names, in one lookup.
    collect_users(tx, ctx.app_id(), &mut users, views.iter().flat_map(message_user_ids)).await?;
    let by_cid: HashMap<&str, &Channel> = channels.iter().map(|channel| (channel.cid.as_str(), channel)).collect();
    let mut results = Vec::with_capacity(views.len());
    for view in views {
        let channel = by_cid
            .get(view.message.cid.as_str())
            .map(|channel| (*channel).clone())
            .ok_or_else(|| CoreError::internal("search result outside its channels"))?;
        results.push((view, channel));
    }
    let mut outcome = Outcome::new(results);
    outcome.users = users;
    Ok(outcome)
}

/// The `next` cursor of a search page, when more results follow.
pub fn search_next(request: &SearchRequest, returned: usize) -> Option<String> {
    let (default, max) = SEARCH_LIMIT;
    let limit = match request.limit {
        Some(limit) if limit > 0 => (limit as usize).min(max),
        _ => default,
    };
    if returned < limit {
        return None;
    }
    let offset = request
        .next
        .as_deref()
        .and_then(|next| next.parse::<usize>().ok())
        .unwrap_or(request.offset.unwrap_or(0).max(0) as usize);
    Some((offset + returned).to_string())
}
