//! Response bodies. Every 2xx body is an object ending with `duration`, which [`WithDuration`] appends.

use crate::event::Event;
use crate::time::rfc3339_option;
use crate::types::{Channel, ChannelConfig, ChannelState, Member, Message, OwnUser, Reaction};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A response body followed by `"duration":"1.23ms"` as its last key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithDuration<T> {
    #[serde(flatten)]
    pub body: T,
    pub duration: String,
}

/// `{}` plus `duration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Empty {}

/// The `app` object of `GetApplicationResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct App {
    /// Stream's app ids are integers; clients and the Hub's Connect and Test read it as one.
    pub id: i64,
    pub name: String,
    pub organization: String,
    pub disable_auth_checks: bool,
    pub disable_permissions_checks: bool,
    pub permission_version: String,
    pub channel_configs: BTreeMap<String, ChannelConfig>,
    pub push_notifications: Value,
    pub webhook_url: String,
    pub webhook_events: Vec<String>,
    pub event_hooks: Vec<Value>,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub revoke_tokens_issued_before: Option<DateTime<Utc>>,
    pub enforce_unique_usernames: String,
    pub suspended: bool,
    pub guest_user_creation_disabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GetAppResponse {
    pub app: App,
}

/// `UpdateUsersResponse` (POST and PATCH `/users`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UsersMapResponse {
    pub users: BTreeMap<String, OwnUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueryUsersResponse {
    pub users: Vec<OwnUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserResponseBody {
    pub user: OwnUser,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueryChannelsResponse {
    pub channels: Vec<ChannelState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageBody {
    pub message: Message,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessagesBody {
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionBody {
    pub message: Message,
    pub reaction: Reaction,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionsBody {
    pub reactions: Vec<Reaction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpdateChannelResponse {
    pub channel: Channel,
    pub members: Vec<Member>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelBody {
    pub channel: Channel,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventBody {
    pub event: Event,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SearchResult {
    pub message: Message,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SearchResponse {
    pub results: Vec<SearchResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// `GET /members`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MembersResponse {
    pub members: Vec<Member>,
}

/// Output of `rill app create --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreatedApp {
    pub app_id: i64,
    pub api_key: String,
    pub api_secret: String,
}
