//! WebSocket events (also the body of `SendEvent` responses and, later, webhooks).
//!
//! Stream's classic events are one flat object tagged by `type` whose other fields depend on the type, so one
//! struct with optional fields models every event exactly; unset fields are omitted.

use crate::error::ApiErrorBody;
use crate::time::rfc3339;
use crate::types::{Channel, Custom, Member, Message, OwnUser, Reaction, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A member in a webhook body, with the counts a server-side integration needs to notify them. A webhook body is
/// the event as watchers get it (no per-recipient counts) and, for message and channel events, `members`: the
/// channel's first [`crate::limits::WEBHOOK_MEMBERS`] members as these.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookMember {
    #[serde(flatten)]
    pub member: Member,
    pub total_unread_count: i64,
    pub unread_channels: i64,
    pub channel_unread_count: i64,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub channel_last_read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_member_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_message_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_custom: Option<Custom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<OwnUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Box<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Message>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Reaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_history: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_unread_message_id: Option<String>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_messages: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_unread_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_channels: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiErrorBody>,
    /// Who banned or unbanned (`user.banned`, `user.unbanned`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When a ban runs out.
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub expiration: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<bool>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Custom event fields, flat beside the built-in ones.
    #[serde(flatten)]
    pub custom: Custom,
}

impl Event {
    /// The wire names of the built-in fields. Custom event data may not use them: a custom `cid` or `user`
    /// would make clients route the event to another channel or show another sender.
    pub const FIELDS: &'static [&'static str] = &[
        "type",
        "connection_id",
        "cid",
        "channel_id",
        "channel_type",
        "channel_member_count",
        "channel_message_count",
        "channel_custom",
        "team",
        "user",
        "me",
        "channel",
        "message",
        "message_id",
        "member",
        "reaction",
        "hard_delete",
        "clear_history",
        "parent_id",
        "last_read_message_id",
        "first_unread_message_id",
        "last_read_at",
        "unread_messages",
        "watcher_count",
        "unread_count",
        "total_unread_count",
        "unread_channels",
        "error",
        "created_by",
        "reason",
        "expiration",
        "shadow",
        "created_at",
    ];

    /// An event of `event_type` at `created_at` with every optional field unset.
    pub fn new(event_type: impl Into<String>, created_at: DateTime<Utc>) -> Event {
        Event {
            event_type: event_type.into(),
            connection_id: None,
            cid: None,
            channel_id: None,
            channel_type: None,
            channel_member_count: None,
            channel_message_count: None,
            channel_custom: None,
            team: None,
            user: None,
            me: None,
            channel: None,
            message: None,
            message_id: None,
            member: None,
            reaction: None,
            hard_delete: None,
            clear_history: None,
            parent_id: None,
            last_read_message_id: None,
            first_unread_message_id: None,
            last_read_at: None,
            unread_messages: None,
            watcher_count: None,
            unread_count: None,
            total_unread_count: None,
            unread_channels: None,
            error: None,
            created_by: None,
            reason: None,
            expiration: None,
            shadow: None,
            created_at,
            custom: Custom::new(),
        }
    }
}

/// Event types Rill emits, as constants so that a typo cannot create a new one.
pub mod kind {
    pub const HEALTH_CHECK: &str = "health.check";
    pub const CONNECTION_ERROR: &str = "connection.error";
    pub const MESSAGE_NEW: &str = "message.new";
    pub const MESSAGE_UPDATED: &str = "message.updated";
    pub const MESSAGE_DELETED: &str = "message.deleted";
    pub const MESSAGE_READ: &str = "message.read";
    pub const REACTION_NEW: &str = "reaction.new";
    pub const REACTION_UPDATED: &str = "reaction.updated";
    pub const REACTION_DELETED: &str = "reaction.deleted";
    pub const TYPING_START: &str = "typing.start";
    pub const TYPING_STOP: &str = "typing.stop";
    pub const MEMBER_ADDED: &str = "member.added";
    pub const MEMBER_UPDATED: &str = "member.updated";
    pub const MEMBER_REMOVED: &str = "member.removed";
    pub const CHANNEL_CREATED: &str = "channel.created";
    pub const CHANNEL_UPDATED: &str = "channel.updated";
    pub const CHANNEL_FROZEN: &str = "channel.frozen";
    pub const NOTIFICATION_MUTES_UPDATED: &str = "notification.mutes_updated";
    pub const NOTIFICATION_CHANNEL_MUTES_UPDATED: &str = "notification.channel_mutes_updated";
    pub const CHANNEL_UNFROZEN: &str = "channel.unfrozen";
    pub const CHANNEL_DELETED: &str = "channel.deleted";
    pub const CHANNEL_TRUNCATED: &str = "channel.truncated";
    pub const CHANNEL_HIDDEN: &str = "channel.hidden";
    pub const CHANNEL_VISIBLE: &str = "channel.visible";
    pub const NOTIFICATION_MESSAGE_NEW: &str = "notification.message_new";
    pub const NOTIFICATION_MARK_READ: &str = "notification.mark_read";
    pub const NOTIFICATION_MARK_UNREAD: &str = "notification.mark_unread";
    pub const NOTIFICATION_INVITED: &str = "notification.invited";
    pub const NOTIFICATION_INVITE_ACCEPTED: &str = "notification.invite_accepted";
    pub const NOTIFICATION_INVITE_REJECTED: &str = "notification.invite_rejected";
    pub const NOTIFICATION_ADDED_TO_CHANNEL: &str = "notification.added_to_channel";
    pub const NOTIFICATION_REMOVED_FROM_CHANNEL: &str = "notification.removed_from_channel";
    pub const NOTIFICATION_CHANNEL_DELETED: &str = "notification.channel_deleted";
    pub const NOTIFICATION_CHANNEL_TRUNCATED: &str = "notification.channel_truncated";
    pub const USER_PRESENCE_CHANGED: &str = "user.presence.changed";
    pub const USER_UPDATED: &str = "user.updated";
    pub const USER_DEACTIVATED: &str = "user.deactivated";
    pub const USER_REACTIVATED: &str = "user.reactivated";
    pub const USER_WATCHING_START: &str = "user.watching.start";
    pub const USER_WATCHING_STOP: &str = "user.watching.stop";
    pub const USER_BANNED: &str = "user.banned";
    pub const MESSAGE_FLAGGED: &str = "message.flagged";
    pub const USER_UNBANNED: &str = "user.unbanned";

    /// Types a client may not send through `SendEvent`: they are the server's to emit.
    pub fn is_reserved(event_type: &str) -> bool {
        event_type.starts_with("message.")
            || event_type.starts_with("reaction.")
            || event_type.starts_with("member.")
            || event_type.starts_with("channel.")
            || event_type.starts_with("notification.")
            || event_type.starts_with("user.")
            || event_type.starts_with("health.")
            || event_type.starts_with("connection.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists every field of `Event` with its wire name; the destructuring stops compiling when a field is added
    /// or removed, so `Event::FIELDS` cannot fall behind the struct.
    macro_rules! wire_names {
        ($($field:ident => $wire:literal),* $(,)?) => {{
            let Event { $($field: _,)* custom: _ } = Event::new("x", chrono::Utc::now());
            vec![$($wire),*]
        }};
    }

    #[test]
    fn fields_lists_every_built_in_field() {
        let names = wire_names!(
            event_type => "type", connection_id => "connection_id", cid => "cid", channel_id => "channel_id",
            channel_type => "channel_type", channel_member_count => "channel_member_count",
            channel_message_count => "channel_message_count", channel_custom => "channel_custom", team => "team",
            user => "user", me => "me", channel => "channel", message => "message", message_id => "message_id",
            member => "member", reaction => "reaction", hard_delete => "hard_delete",
            clear_history => "clear_history", parent_id => "parent_id",
            last_read_message_id => "last_read_message_id", first_unread_message_id => "first_unread_message_id",
            last_read_at => "last_read_at", unread_messages => "unread_messages", watcher_count => "watcher_count",
            unread_count => "unread_count", total_unread_count => "total_unread_count",
            unread_channels => "unread_channels", error => "error", created_by => "created_by",
            reason => "reason", expiration => "expiration", shadow => "shadow", created_at => "created_at",
        );
        assert_eq!(names, Event::FIELDS);
        // Each listed name really is the field's wire name: set on a deserialized event, it does not land in
        // `custom`.
        for name in Event::FIELDS {
            let mut object = serde_json::json!({"type": "x", "created_at": "2026-01-01T00:00:00Z"});
            object[*name] = serde_json::Value::Null;
            if let Ok(event) = serde_json::from_value::<Event>(object) {
                assert!(!event.custom.contains_key(*name), "{name} is not a built-in field's wire name");
            }
        }
    }
}
