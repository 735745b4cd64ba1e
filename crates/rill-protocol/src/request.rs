//! Request bodies. Fields are optional where Stream's are, and custom data is collected flat into `custom`.
//! Unknown built-in keys of newer clients land in `custom` too, which is what the flat wire format means.

use crate::ids::{ChannelId, ChannelType, Cid, FieldPath, MessageId, ReactionType, UserId};
use crate::types::Custom;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A user as sent to `POST /users` or in `/connect`'s `user_details`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UserRequest {
    /// Absent in `POST /users` means the map key.
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invisible: Option<bool>,
    /// `Some(Value::Null)` when the request sets it to `null` (lifting a revocation), `None` when absent.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub revoke_tokens_issued_before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_settings: Option<Value>,
    #[serde(flatten)]
    pub custom: Custom,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UpsertUsersRequest {
    pub users: BTreeMap<UserId, UserRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartialUpdate {
    pub id: UserId,
    #[serde(default)]
    pub set: BTreeMap<FieldPath, Value>,
    #[serde(default)]
    pub unset: Vec<FieldPath>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartialUpdateUsersRequest {
    pub users: Vec<PartialUpdate>,
}

/// `GET /users?payload=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryUsersRequest {
    #[serde(default)]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_deactivated_users: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// `GET /members?payload=`: a channel's members, by `type` and `id` (or, for a distinct channel, `members`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryMembersRequest {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<ChannelType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ChannelId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<UserId>>,
    #[serde(default)]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// A member as given in `data.members`: a plain user id or `{user_id, channel_role}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum MemberInput {
    Id(UserId),
    Object {
        user_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel_role: Option<String>,
    },
}

impl MemberInput {
    pub fn user_id(&self) -> &UserId {
        match self {
            MemberInput::Id(id) => id,
            MemberInput::Object { user_id, .. } => user_id,
        }
    }

    pub fn channel_role(&self) -> Option<&str> {
        match self {
            MemberInput::Id(_) => None,
            MemberInput::Object { channel_role, .. } => channel_role.as_deref(),
        }
    }
}

/// `data` of GetOrCreateChannel and UpdateChannel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChannelData {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub created_by_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberInput>>,
    /// Users invited at creation: members whose invite is pending until they accept or reject it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invites: Option<Vec<MemberInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// A reference to a user by id (`{"id": "..."}`), as in `created_by` or `user`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserRef {
    pub id: UserId,
}

/// `messages`, `members` and `watchers` paging of GetOrCreateChannel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Paging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id_lt: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id_lte: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id_gt: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id_gte: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id_around: Option<MessageId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GetOrCreateChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ChannelData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Paging>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Paging>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchers: Option<Paging>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryChannelsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// The body of `SendMessage`, `UpdateMessage` and the `message` of channel updates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MessageRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned_users: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_in_channel: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub quoted_message_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_expires: Option<Value>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(flatten)]
    pub custom: Custom,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SendMessageRequest {
    pub message: MessageRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_push: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_channel_hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_enrich_url: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PartialUpdateRequest {
    #[serde(default)]
    pub set: BTreeMap<FieldPath, Value>,
    #[serde(default)]
    pub unset: Vec<FieldPath>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionRequest {
    #[serde(rename = "type")]
    pub reaction_type: ReactionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(flatten)]
    pub custom: Custom,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SendReactionRequest {
    pub reaction: ReactionRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_unique: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_push: Option<bool>,
}

/// `UpdateChannel`: the keys present select the actions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UpdateChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ChannelData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_members: Option<Vec<MemberInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_members: Option<Vec<UserId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invites: Option<Vec<MemberInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_invite: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_invite: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_moderators: Option<Vec<UserId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demote_moderators: Option<Vec<UserId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_roles: Option<Vec<MemberInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_history: Option<bool>,
    /// With `add_members`: the new members do not see messages before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_history_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_filter_tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_filter_tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_push: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// Bodies that only name an acting user (`hide`, `show`, `truncate`, `read` ...).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ActingUserRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_history: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_by_channel: Option<BTreeMap<Cid, String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SendEventRequest {
    pub event: EventRequest,
}

/// `POST /users/{user_id}/event`: a custom event for one user's connections.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SendUserEventRequest {
    pub event: UserEventRequest,
}

/// The event of [`SendUserEventRequest`]: a type and custom fields, flat as in the classic wire.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UserEventRequest {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(flatten)]
    pub custom: Custom,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EventRequest {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(flatten)]
    pub custom: Custom,
}

/// `GET /search?payload=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// `PATCH /app`: the settings Rill keeps. Any other key is refused, naming it, rather than dropped while the
/// answer says 200.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpdateAppRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_auth_checks: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_permissions_checks: Option<bool>,
    /// RFC 3339 time, or `null` to lift an app-wide revocation; absent leaves it unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub revoke_tokens_issued_before: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_unique_usernames: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_user_creation_disabled: Option<bool>,
    /// Replaces the app's webhooks (`[]` removes them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_hooks: Option<Vec<EventHookRequest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_upload_config: Option<UploadConfigRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_upload_config: Option<UploadConfigRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_config: Option<PushConfigRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firebase_config: Option<FirebaseConfigRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_config: Option<ApnConfigRequest>,
}

/// `push_config` (`PushConfig`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushConfigRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_only: Option<bool>,
}

/// `firebase_config` (`FirebaseConfig`): the app-level Firebase provider. Keys present change; absent ones stay.
/// `credentials_json` is the service account's JSON as a string (`""` removes it); the legacy `server_key` is
/// refused (FCM HTTP v1 only).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FirebaseConfigRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn_template: Option<String>,
    #[serde(default, rename = "Disabled", skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `apn_config` (`APNConfig`): the app-level APNs provider, token authentication only (`auth_key` is the `.p8`
/// key's text; `""` removes it). Keys present change; absent ones stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApnConfigRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p12_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_template: Option<String>,
    #[serde(default, rename = "Disabled", skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `POST /push_providers` (`UpsertPushProviderRequest`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpsertPushProviderRequest {
    pub push_provider: PushProviderRequest,
}

/// A named push provider (`PushProviderRequest`): Firebase or APNs (token authentication) settings under their
/// prefixed names. The whole provider is replaced; a secret left out or empty keeps the stored one.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushProviderRequest {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub disabled_at: Option<String>,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    #[serde(default)]
    pub apn_auth_type: Option<String>,
    #[serde(default)]
    pub apn_auth_key: Option<String>,
    #[serde(default)]
    pub apn_p12_cert: Option<String>,
    #[serde(default)]
    pub apn_key_id: Option<String>,
    #[serde(default)]
    pub apn_team_id: Option<String>,
    #[serde(default)]
    pub apn_topic: Option<String>,
    #[serde(default)]
    pub apn_development: Option<bool>,
    #[serde(default)]
    pub apn_host: Option<String>,
    #[serde(default)]
    pub apn_notification_template: Option<String>,
    #[serde(default)]
    pub firebase_credentials: Option<String>,
    #[serde(default)]
    pub firebase_server_key: Option<String>,
    #[serde(default)]
    pub firebase_host: Option<String>,
    #[serde(default)]
    pub firebase_notification_template: Option<String>,
    #[serde(default)]
    pub firebase_data_template: Option<String>,
    #[serde(default)]
    pub firebase_apn_template: Option<String>,
}

/// `POST /check_push` (`CheckPushRequest`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckPushRequest {
    #[serde(default)]
    pub message_id: String,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub user: Option<UserRef>,
    #[serde(default)]
    pub skip_devices: Option<bool>,
    #[serde(default)]
    pub push_provider_type: Option<String>,
    #[serde(default)]
    pub push_provider_name: Option<String>,
    #[serde(default)]
    pub apn_template: Option<String>,
    #[serde(default)]
    pub firebase_template: Option<String>,
    #[serde(default)]
    pub firebase_data_template: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
}

/// `file_upload_config` / `image_upload_config` (`FileUploadConfig`): replaces the endpoint's rules whole.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UploadConfigRequest {
    #[serde(default)]
    pub size_limit: Option<i64>,
    #[serde(default)]
    pub allowed_file_extensions: Vec<String>,
    #[serde(default)]
    pub blocked_file_extensions: Vec<String>,
    #[serde(default)]
    pub allowed_mime_types: Vec<String>,
    #[serde(default)]
    pub blocked_mime_types: Vec<String>,
}

/// One of `PATCH /app`'s `event_hooks` (`EventHook`). Only `hook_type: "webhook"` is served; SQS, SNS and the
/// other hook types are refused by name. `created_at` and `updated_at` may come back as `GET /app` showed them
/// and are kept by Rill, not taken from the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventHookRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<i64>,
    #[serde(default, skip_serializing)]
    pub created_at: Option<Value>,
    #[serde(default, skip_serializing)]
    pub updated_at: Option<Value>,
}

/// `/connect?json=`: the `ConnectRequest`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ConnectRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub user_details: Option<UserRequest>,
    /// A push device to register for the user as they connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<CreateDeviceRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

/// Distinguishes an absent key (outer `None`) from an explicit `null` (`Some(None)`).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// `POST /channels/{type}/{id}/truncate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TruncateChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_push: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageRequest>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `POST /channels/{type}/{id}/unread`: marks the channel unread from a message (by id or timestamp).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MarkUnreadRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_timestamp: Option<String>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `deserialize_with` that tells an explicit `null` (`Some(Value::Null)`) from an absent key (`None`, through
/// `#[serde(default)]`).
pub fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// `deserialize_with` for boolean query flags: `true`/`1` and `false`/`0` (or empty).
pub fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match String::deserialize(deserializer)?.as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => {
            Err(serde::de::Error::custom(format!("expected true or false, got {:?}", crate::limits::truncated(other))))
        }
    }
}

/// `GET /channels/{type}/{id}/messages?ids=a,b&user_id=`: messages of one channel by id.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ManyMessagesQuery {
    /// Comma-separated, each a valid message id, at most [`crate::limits::MAX_MESSAGES_PER_GET`].
    #[serde(deserialize_with = "message_id_list")]
    pub ids: Vec<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
}

/// A comma-separated list of message ids, each checked, without repeats, within the limit.
fn message_id_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<MessageId>, D::Error> {
    use crate::limits::MAX_MESSAGES_PER_GET;
    let text = String::deserialize(deserializer)?;
    let mut ids: Vec<MessageId> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let id = MessageId::parse(part).map_err(serde::de::Error::custom)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() > MAX_MESSAGES_PER_GET {
            return Err(serde::de::Error::custom(format!("ids may name at most {MAX_MESSAGES_PER_GET} messages")));
        }
    }
    if ids.is_empty() {
        return Err(serde::de::Error::custom("ids must name at least one message"));
    }
    Ok(ids)
}

/// `GET /channels/{type}/{id}/pinned_messages`: a page of pins, by `pinned_at` (newest first unless `sort` says
/// `[{"field":"pinned_at","direction":1}]`), bounded by the `pinned_at_*` times.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct PinnedMessagesQuery {
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub pinned_at_before: Option<String>,
    #[serde(default)]
    pub pinned_at_before_or_equal: Option<String>,
    #[serde(default)]
    pub pinned_at_after: Option<String>,
    #[serde(default)]
    pub pinned_at_after_or_equal: Option<String>,
    /// A sort as JSON.
    #[serde(default)]
    pub sort: Option<String>,
    /// Paging Rill does not offer here yet: refused by name rather than ignored.
    #[serde(default)]
    pub offset: Option<String>,
    #[serde(default)]
    pub id_lt: Option<String>,
    #[serde(default)]
    pub id_lte: Option<String>,
    #[serde(default)]
    pub id_gt: Option<String>,
    #[serde(default)]
    pub id_gte: Option<String>,
    #[serde(default)]
    pub id_around: Option<String>,
    #[serde(default)]
    pub pinned_at_around: Option<String>,
}

impl PinnedMessagesQuery {
    /// The name of a paging parameter given that Rill does not support here, if any.
    pub fn unsupported(&self) -> Option<&'static str> {
        [
            ("offset", &self.offset),
            ("id_lt", &self.id_lt),
            ("id_lte", &self.id_lte),
            ("id_gt", &self.id_gt),
            ("id_gte", &self.id_gte),
            ("id_around", &self.id_around),
            ("pinned_at_around", &self.pinned_at_around),
        ]
        .into_iter()
        .find(|(_, value)| value.is_some())
        .map(|(name, _)| name)
    }
}

/// `GET /rate_limits?server_side=&android=&ios=&web=&unity=&endpoints=A,B`: none of the platforms named means
/// all of them; no `endpoints`, every endpoint.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct RateLimitsQuery {
    #[serde(default, deserialize_with = "flag")]
    pub server_side: bool,
    #[serde(default, deserialize_with = "flag")]
    pub android: bool,
    #[serde(default, deserialize_with = "flag")]
    pub ios: bool,
    #[serde(default, deserialize_with = "flag")]
    pub web: bool,
    #[serde(default, deserialize_with = "flag")]
    pub unity: bool,
    #[serde(default)]
    pub endpoints: Option<String>,
}

/// `POST /moderation/mute` and `/moderation/unmute`: whom to mute (`target_ids`, or the legacy `target_id`), for
/// `timeout` minutes (mute only; none: until unmuted), as `user_id` for a server-side call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MuteRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ids: Option<Vec<UserId>>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

impl MuteRequest {
    /// Every target named, the list and the legacy single id together.
    pub fn targets(&self) -> Vec<UserId> {
        let mut targets = self.target_ids.clone().unwrap_or_default();
        targets.extend(self.target_id.clone());
        targets
    }
}

/// `POST /devices` (`CreateDeviceRequest`), and the `device` of `/connect`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CreateDeviceRequest {
    /// The push token the provider gave the app.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub push_provider: String,
    #[serde(default)]
    pub push_provider_name: Option<String>,
    #[serde(default)]
    pub voip_token: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub user: Option<Value>,
}

/// `GET /devices?user_id=` and `DELETE /devices?id=&user_id=`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DeviceQuery {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
}

/// `DELETE .../file?url=` and `.../image?url=`: the upload's URL, and the acting user of a server-side call.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DeleteUploadQuery {
    #[serde(default)]
    pub url: String,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
}

/// Query parameters naming the acting user of a server-side call (`?user_id=`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct UserQuery {
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
}

/// `DELETE /messages/{id}?hard=&deleted_by=`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DeleteMessageQuery {
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub deleted_by: Option<UserId>,
    #[serde(default, deserialize_with = "flag")]
    pub hard: bool,
}

/// `DELETE /users/{id}?hard_delete=&mark_messages_deleted=`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct DeleteUserQuery {
    #[serde(default, deserialize_with = "flag")]
    pub hard_delete: bool,
    #[serde(default, deserialize_with = "flag")]
    pub mark_messages_deleted: bool,
}

/// Paging in the query of `GET /messages/{id}/replies` and `/reactions`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct PagingQuery {
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub id_lt: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub id_lte: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub id_gt: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional")]
    pub id_gte: Option<MessageId>,
}

impl PagingQuery {
    pub fn paging(&self) -> Paging {
        Paging {
            limit: self.limit,
            offset: self.offset,
            id_lt: self.id_lt.clone(),
            id_lte: self.id_lte.clone(),
            id_gt: self.id_gt.clone(),
            id_gte: self.id_gte.clone(),
            id_around: None,
        }
    }
}

/// `POST /moderation/ban`: whom to ban (`target_user_id`), where (`channel_cid`, or `type` and `id`; neither:
/// app-wide), for `timeout` minutes (none: until lifted), why, whether in shadow, and for a channel ban whether
/// the banner's future channels too. The banner is `banned_by_id`/`banned_by`, or `user_id`/`user`, on a
/// server-side call. `ip_ban`, `delete_messages` and `delete_reactions` are refused, not ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BanRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<UserId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub banned_by_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned_by: Option<UserRef>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub channel_cid: Option<Cid>,
    #[serde(
        default,
        rename = "type",
        deserialize_with = "crate::ids::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_type: Option<ChannelType>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id: Option<ChannelId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_from_future_channels: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_ban: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_messages: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_reactions: Option<bool>,
}

impl BanRequest {
    /// The channel named, by `channel_cid` or by `type` and `id`.
    pub fn channel(&self) -> Option<Cid> {
        channel_of(&self.channel_cid, &self.channel_type, &self.id)
    }
}

/// `DELETE /moderation/ban?target_user_id=&channel_cid=` (or `type` and `id`), as `created_by` on a server-side
/// call. `remove_future_channels_ban` is accepted: lifting a channel ban always lifts its future-channels part.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UnbanQuery {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<UserId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub channel_cid: Option<Cid>,
    #[serde(
        default,
        rename = "type",
        deserialize_with = "crate::ids::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_type: Option<ChannelType>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub id: Option<ChannelId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_future_channels_ban: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl UnbanQuery {
    /// The channel named, by `channel_cid` or by `type` and `id`.
    pub fn channel(&self) -> Option<Cid> {
        channel_of(&self.channel_cid, &self.channel_type, &self.id)
    }
}

fn channel_of(cid: &Option<Cid>, channel_type: &Option<ChannelType>, id: &Option<ChannelId>) -> Option<Cid> {
    match (cid, channel_type, id) {
        (Some(cid), _, _) => Some(cid.clone()),
        (None, Some(channel_type), Some(id)) => Some(Cid::new(channel_type, id)),
        _ => None,
    }
}

/// `GET /query_banned_users?payload=`: `filter_conditions` over `user_id`, `channel_cid`, `banned_by_id`,
/// `created_at` and `reason`; `sort` by `created_at` (at most one field); `limit`, `offset`;
/// `exclude_expired_bans`; as `user_id` on a server-side call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryBannedUsersRequest {
    #[serde(default)]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_expired_bans: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `POST /moderation/flag` and `/moderation/unflag`: the message (`target_message_id`) or the user
/// (`target_user_id`) reported, why (≤ 255 characters) and custom data, by `user_id`/`user` on a server-side
/// call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FlagRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_message_id: Option<MessageId>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Custom>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `GET /moderation/flags/message?payload=`: `filter_conditions` over `channel_cid`, `message_id`, `user_id`
/// (the reporter; `reporter_id` too), `created_at` and `is_reviewed`; newest first; `limit`, `offset`;
/// `show_deleted_messages`; as `user_id` on a server-side call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryMessageFlagsRequest {
    #[serde(default)]
    pub filter_conditions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_deleted_messages: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `POST /moderation/mute/channel` and `/moderation/unmute/channel`: which channels (`channel_cids`, or the
/// legacy `channel_cid`), for `expiration` milliseconds (mute only; none: until unmuted), as `user_id` on a
/// server-side call.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MuteChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_cids: Option<Vec<Cid>>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub channel_cid: Option<Cid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<i64>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

impl MuteChannelRequest {
    /// Every channel named, the list and the legacy single cid together.
    pub fn channels(&self) -> Vec<Cid> {
        let mut cids = self.channel_cids.clone().unwrap_or_default();
        cids.extend(self.channel_cid.clone());
        cids
    }
}

/// `GET /query_future_channel_bans?payload=`: the bans from future channels that `user_id` (the banner; the
/// token's user on a client call) made, optionally of `target_user_id`; paged; `exclude_expired_bans`;
/// `include_total`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryFutureChannelBansRequest {
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub target_user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_expired_bans: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_total: Option<bool>,
    #[serde(default, deserialize_with = "crate::ids::optional", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
}

/// `POST /channeltypes` (`CreateChannelTypeRequest`) and `PUT /channeltypes/{name}` (`UpdateChannelTypeRequest`):
/// the switches Rill has; a key absent keeps the type's value (for a new type, the `messaging` default).
/// `blocklist` + `blocklist_behavior` is the older form of one `blocklists` entry.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelTypeRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub typing_events: Option<bool>,
    #[serde(default)]
    pub read_events: Option<bool>,
    #[serde(default)]
    pub connect_events: Option<bool>,
    #[serde(default)]
    pub custom_events: Option<bool>,
    #[serde(default)]
    pub search: Option<bool>,
    #[serde(default)]
    pub reactions: Option<bool>,
    #[serde(default)]
    pub replies: Option<bool>,
    #[serde(default)]
    pub quotes: Option<bool>,
    #[serde(default)]
    pub mutes: Option<bool>,
    #[serde(default)]
    pub uploads: Option<bool>,
    #[serde(default)]
    pub url_enrichment: Option<bool>,
    #[serde(default)]
    pub push_notifications: Option<bool>,
    #[serde(default)]
    pub max_message_length: Option<i64>,
    #[serde(default)]
    pub automod: Option<String>,
    #[serde(default)]
    pub automod_behavior: Option<String>,
    #[serde(default)]
    pub message_retention: Option<String>,
    #[serde(default)]
    pub commands: Option<Vec<String>>,
    #[serde(default)]
    pub blocklist: Option<String>,
    #[serde(default)]
    pub blocklist_behavior: Option<String>,
    #[serde(default)]
    pub blocklists: Option<Vec<crate::types::BlocklistOption>>,
    /// Accepted only empty: Rill's permissions are its own (see `docs/protocol.md`).
    #[serde(default)]
    pub permissions: Option<Vec<Value>>,
    #[serde(default)]
    pub grants: Option<serde_json::Map<String, Value>>,
}

/// `POST /blocklists` (`CreateBlockListRequest`) and `PUT /blocklists/{name}` (`UpdateBlockListRequest`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlocklistRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub words: Option<Vec<String>>,
    #[serde(default)]
    pub is_leet_check_enabled: Option<bool>,
    #[serde(default)]
    pub is_plural_check_enabled: Option<bool>,
    #[serde(default)]
    pub is_confusable_folding_enabled: Option<bool>,
    #[serde(default)]
    pub is_substring_matching_enabled: Option<bool>,
    #[serde(default)]
    pub team: Option<String>,
}

/// `POST /guest` (`CreateGuestRequest`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreateGuestRequest {
    pub user: UserRequest,
}
