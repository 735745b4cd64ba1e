//! The objects inside responses and events: users, channels, members, messages, reactions and read state.
//!
//! Custom data is flat on the wire: custom keys sit beside built-in keys, which is what `#[serde(flatten)] custom`
//! gives in both directions. Optional fields are omitted when unset, except the pin fields, which Stream sends as
//! `null` when a message is not pinned.

use crate::time::{rfc3339, rfc3339_option};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Custom data: the keys an object carries beyond its built-in fields.
pub type Custom = Map<String, Value>;

/// `UserResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub language: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub banned: bool,
    #[serde(default)]
    pub online: bool,
    #[serde(default)]
    pub blocked_user_ids: Vec<String>,
    #[serde(default)]
    pub shadow_banned: bool,
    #[serde(default)]
    pub invisible: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub last_active: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub revoke_tokens_issued_before: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_settings: Option<Value>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// `UserMuteResponse`: one user's mute of another, in `me.mutes` and the mute responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserMute {
    pub user: User,
    pub target: User,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
}

/// `DeviceResponse`: a device registered for push.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Device {
    pub id: String,
    pub push_provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_provider_name: Option<String>,
    pub user_id: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub voip: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

/// `PushProviderResponse`: a push provider as read back, its secrets (`apn_auth_key`, `firebase_credentials`)
/// never included.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PushProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_team_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_development: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firebase_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firebase_notification_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firebase_data_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firebase_apn_template: Option<String>,
}

/// `BanResponse`: one ban, in `GET /query_banned_users`. `channel` is absent for an app-wide ban.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ban {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Box<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default)]
    pub shadow: bool,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// `FlagResponse`: one report, as flagging answers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flag {
    pub created_by_automod: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub custom: Map<String, Value>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<DateTime<Utc>>,
}

/// `MessageFlagResponse`: one report of a message in the review queue, with the message (its author and
/// channel) and the reporter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageFlag {
    pub created_by_automod: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Box<Message>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub custom: Map<String, Value>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<User>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<DateTime<Utc>>,
}

/// `ChannelMute`: one user's mute of a channel, in `me.channel_mutes` and the mute responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelMute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Box<Channel>>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
}

/// `FutureChannelBanResponse`: a ban that carries into the channels its author creates later.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FutureChannelBan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default)]
    pub shadow: bool,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// `OwnUserResponse` (the `me` object) and `FullUserResponse`: a user with its own devices, mutes and unread totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OwnUser {
    #[serde(flatten)]
    pub user: User,
    #[serde(default)]
    pub devices: Vec<Device>,
    #[serde(default)]
    pub mutes: Vec<UserMute>,
    #[serde(default)]
    pub channel_mutes: Vec<ChannelMute>,
    #[serde(default)]
    pub unread_count: i64,
    #[serde(default)]
    pub total_unread_count: i64,
    #[serde(default)]
    pub unread_channels: i64,
    #[serde(default)]
    pub unread_threads: i64,
}

/// `BlockListOptions`: a blocklist a channel type checks, and its `behavior`: `flag` (kept and flagged for
/// review), `block` (refused) or `shadow_block` (kept, shown to its author only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlocklistOption {
    pub blocklist: String,
    pub behavior: String,
}

/// `BlockListResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Blocklist {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub words: Vec<String>,
    pub is_leet_check_enabled: bool,
    pub is_plural_check_enabled: bool,
    pub is_confusable_folding_enabled: bool,
    pub is_substring_matching_enabled: bool,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// A command available in a channel type (`Command`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Command {
    pub name: String,
    pub description: String,
    pub args: String,
    pub set: String,
}

impl ChannelConfig {
    /// The config as `GET /app` lists it (the schema's `ChannelConfig`): commands by name.
    pub fn as_listed_in_app(&self) -> serde_json::Value {
        let mut listed = serde_json::to_value(self).unwrap_or_default();
        let names: Vec<&str> = self.commands.iter().map(|command| command.name.as_str()).collect();
        listed["commands"] = serde_json::json!(names);
        listed
    }
}

/// `ChannelConfigWithInfo`: the feature switches of a channel type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelConfig {
    pub name: String,
    pub typing_events: bool,
    pub read_events: bool,
    pub connect_events: bool,
    pub delivery_events: bool,
    pub custom_events: bool,
    pub search: bool,
    pub reactions: bool,
    pub replies: bool,
    pub quotes: bool,
    pub mutes: bool,
    pub uploads: bool,
    pub url_enrichment: bool,
    pub push_notifications: bool,
    pub reminders: bool,
    pub polls: bool,
    pub shared_locations: bool,
    pub mark_messages_pending: bool,
    pub user_message_reminders: bool,
    pub count_messages: bool,
    pub skip_last_msg_update_for_system_msgs: bool,
    pub message_retention: String,
    pub max_message_length: i64,
    pub automod: String,
    pub automod_behavior: String,
    /// The blocklists checked on every message of the type, each with what happens to a message that matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocklists: Vec<BlocklistOption>,
    pub commands: Vec<Command>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `ChannelResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Channel {
    pub id: String,
    #[serde(rename = "type")]
    pub channel_type: String,
    pub cid: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub frozen: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ChannelConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub truncated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
    /// Whether the viewer muted the channel, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub mute_expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<Member>>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// `ChannelMemberResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Member {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub banned: bool,
    #[serde(default)]
    pub shadow_banned: bool,
    /// When the member's ban in this channel runs out.
    #[serde(default, with = "crate::time::rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub ban_expires: Option<DateTime<Utc>>,
    pub channel_role: String,
    #[serde(default)]
    pub notifications_muted: bool,
    /// Deprecated role name (`member`, `moderator`, `owner`), still read by older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_moderator: Option<bool>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// `ReadStateResponse`: one member's read position in a channel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Read {
    pub user: User,
    #[serde(with = "rfc3339")]
    pub last_read: DateTime<Utc>,
    pub unread_messages: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_message_id: Option<String>,
}

/// `ReactionResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reaction {
    pub message_id: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(rename = "type")]
    pub reaction_type: String,
    pub score: i64,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// One entry of `reaction_groups`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionGroup {
    pub count: i64,
    pub sum_scores: i64,
    #[serde(with = "rfc3339")]
    pub first_reaction_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub last_reaction_at: DateTime<Utc>,
    /// The latest users who reacted with this type, newest first.
    #[serde(default)]
    pub latest_reactions_by: Vec<ReactionGroupUser>,
}

/// One entry of `reaction_groups[type].latest_reactions_by`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionGroupUser {
    pub user_id: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

/// `MessageResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub id: String,
    pub text: String,
    pub html: String,
    #[serde(rename = "type")]
    pub message_type: String,
    pub user: User,
    pub attachments: Vec<Value>,
    pub latest_reactions: Vec<Reaction>,
    pub own_reactions: Vec<Reaction>,
    pub reaction_counts: BTreeMap<String, i64>,
    pub reaction_scores: BTreeMap<String, i64>,
    #[serde(default)]
    pub reaction_groups: BTreeMap<String, ReactionGroup>,
    pub reply_count: i64,
    pub deleted_reply_count: i64,
    pub cid: String,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub shadowed: bool,
    pub mentioned_users: Vec<User>,
    pub mentioned_channel: bool,
    pub mentioned_here: bool,
    pub silent: bool,
    pub pinned: bool,
    pub restricted_visibility: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_in_channel: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_participants: Option<Vec<User>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_message: Option<Box<Message>>,
    #[serde(default, with = "rfc3339_option")]
    pub pinned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pinned_by: Option<User>,
    #[serde(default, with = "rfc3339_option")]
    pub pin_expires: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub message_text_updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Box<Channel>>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// `ChannelStateResponse` without its `duration` (QueryChannels lists these; GetOrCreateChannel wraps one).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelState {
    pub channel: Channel,
    pub messages: Vec<Message>,
    pub pinned_messages: Vec<Message>,
    pub members: Vec<Member>,
    pub threads: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<Member>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<Read>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchers: Option<Vec<User>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}
