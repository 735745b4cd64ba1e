//! Response bodies. Every 2xx body is an object ending with `duration`, which [`WithDuration`] appends.

use crate::event::Event;
use crate::time::rfc3339_option;
use crate::types::{Channel, ChannelState, Member, Message, OwnUser, Reaction};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// The `app` object of `GetApplicationResponse` (`AppResponseFields`): every field the schema requires. Reading
/// it back (our own client, against any Stream backend) takes what is there and defaults the rest, so a backend
/// that adds or omits a field still parses.
/// One of the app's webhooks, as `GET /app` shows it (`EventHook`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EventHook {
    pub id: String,
    pub hook_type: String,
    pub webhook_url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub timeout_ms: i64,
    #[serde(with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct App {
    /// Stream's app ids are integers; clients and the Hub's Connect and Test read it as one.
    pub id: i64,
    pub name: String,
    pub organization: String,
    pub placement: String,
    pub disable_auth_checks: bool,
    pub disable_permissions_checks: bool,
    pub permission_version: String,
    /// Each channel type's `ChannelConfig`, commands by name ([`crate::types::ChannelConfig::as_listed_in_app`]).
    pub channel_configs: BTreeMap<String, Value>,
    pub push_notifications: Value,
    pub webhook_url: String,
    pub webhook_events: Vec<String>,
    pub moderation_webhook_url: String,
    pub event_hooks: Vec<EventHook>,
    pub use_hook_v2: bool,
    #[serde(with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub revoke_tokens_issued_before: Option<DateTime<Utc>>,
    pub enforce_unique_usernames: String,
    pub suspended: bool,
    pub suspended_explanation: String,
    pub guest_user_creation_disabled: bool,
    pub call_types: Map<String, Value>,
    pub policies: Map<String, Value>,
    pub grants: BTreeMap<String, Vec<String>>,
    pub user_search_disallowed_roles: Vec<String>,
    pub multi_tenant_enabled: bool,
    pub allow_multi_user_devices: bool,
    pub image_moderation_enabled: bool,
    pub async_url_enrich_enabled: bool,
    pub auto_translation_enabled: bool,
    pub custom_action_handler_url: String,
    pub sqs_url: String,
    pub sqs_key: String,
    /// Never a secret on the wire: always empty.
    pub sqs_secret: String,
    pub sns_topic_arn: String,
    pub sns_key: String,
    /// Never a secret on the wire: always empty.
    pub sns_secret: String,
    pub file_upload_config: Value,
    pub image_upload_config: Value,
    pub campaign_enabled: bool,
    pub reminders_interval: i64,
    pub cdn_expiration_seconds: i64,
    pub moderation_enabled: bool,
    pub moderation_multitenant_blocklist_enabled: bool,
    pub moderation_llm_configurability_enabled: bool,
    pub moderation_video_call_moderation_enabled: bool,
    pub moderation_audio_call_moderation_enabled: bool,
    pub user_response_time_enabled: bool,
    pub max_aggregated_activities_length: i64,
    pub feed_audit_logs_enabled: bool,
    pub member_custom_on_messages_enabled: bool,
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

/// One window of `GET /rate_limits` (`LimitInfoResponse`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LimitInfo {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds when the window ends.
    pub reset: i64,
}

/// `GetRateLimitsResponse`: per platform asked for, each endpoint's window.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RateLimitsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side: Option<BTreeMap<String, LimitInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<BTreeMap<String, LimitInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ios: Option<BTreeMap<String, LimitInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<BTreeMap<String, LimitInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unity: Option<BTreeMap<String, LimitInfo>>,
}

/// `MuteUserResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MuteResponse {
    /// The mute made, when the call named one target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<crate::types::UserMute>,
    /// The mutes made.
    #[serde(default)]
    pub mutes: Vec<crate::types::UserMute>,
    pub own_user: OwnUser,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_existing_users: Option<Vec<String>>,
}

/// `FlagMessageResponse` (and the unflag answer): the report and its review-queue id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlagResponse {
    pub flag: crate::types::Flag,
    pub review_queue_item_id: String,
}

/// `QueryMessageFlagsResponse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryMessageFlagsResponse {
    pub flags: Vec<crate::types::MessageFlag>,
}

/// `GET /usage` (Rill's own, server-side only): this month's usage of the app against its plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UsageResponse {
    pub app_id: i64,
    pub plan: String,
    /// The calendar month (UTC) counted, as `2026-12`.
    pub month: String,
    pub monthly_active_users: UsageCount,
    pub messages: UsageCount,
}

/// A count and the plan's limit for it (absent: unlimited).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UsageCount {
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// `POST /guest` (`CreateGuestResponse`): the guest and a token for them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateGuestResponse {
    pub user: crate::types::User,
    pub access_token: String,
}

/// `GET /blocklists` (`ListBlockListResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListBlocklistsResponse {
    pub blocklists: Vec<crate::types::Blocklist>,
}

/// `GET`, `POST` and `PUT` of one blocklist (`GetBlockListResponse`, `CreateBlockListResponse`, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlocklistResponse {
    pub blocklist: crate::types::Blocklist,
}

/// `GET /push_providers` (`ListPushProvidersResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListPushProvidersResponse {
    pub push_providers: Vec<crate::types::PushProvider>,
}

/// `POST /push_providers` (`UpsertPushProviderResponse`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpsertPushProviderResponse {
    pub push_provider: crate::types::PushProvider,
}

/// `POST /check_push` (`CheckPushResponse`): what a push of the message to the user would carry, and what went
/// wrong sending it to each of their devices.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckPushResponse {
    pub rendered_message: serde_json::Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_apn_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_firebase_template: Option<String>,
    pub device_errors: std::collections::BTreeMap<String, DeviceError>,
    pub general_errors: Vec<String>,
    pub skip_devices: bool,
    pub event_type: String,
}

/// `DeviceErrorInfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DeviceError {
    pub provider: String,
    pub provider_name: String,
    pub error_message: String,
}

/// `GET /devices` (`ListDevicesResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListDevicesResponse {
    pub devices: Vec<crate::types::Device>,
}

/// An upload's answer (`FileUploadResponse`, `ImageUploadResponse`): its URL and, for an image that could be
/// decoded, its thumbnail's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UploadResponse {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    /// Rill's own: an image's size in pixels, for the attachment's `original_width` / `original_height`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
}

/// `rill app outbox --json`: the app's webhook deliveries waiting or in an attempt, and those that failed for
/// good (kept seven days), the latest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OutboxReport {
    pub app_id: i64,
    pub pending: u64,
    pub failed: u64,
    #[serde(default, with = "rfc3339_option", skip_serializing_if = "Option::is_none")]
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub failures: Vec<OutboxFailure>,
}

/// A delivery that ran out of attempts or was refused by its receiver.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OutboxFailure {
    pub id: i64,
    pub kind: String,
    pub event_type: String,
    /// Where it went, without the URL's query (which may carry a receiver's token).
    pub target: String,
    pub attempts: i64,
    pub last_error: String,
    #[serde(with = "crate::time::rfc3339")]
    pub failed_at: DateTime<Utc>,
}

/// `QueryFutureChannelBansResponse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryFutureChannelBansResponse {
    pub bans: Vec<crate::types::FutureChannelBan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// `QueryBannedUsersResponse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct QueryBannedUsersResponse {
    pub bans: Vec<crate::types::Ban>,
}

/// `MuteChannelResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MuteChannelResponse {
    /// The mute made, when the call named one channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_mute: Option<crate::types::ChannelMute>,
    #[serde(default)]
    pub channel_mutes: Vec<crate::types::ChannelMute>,
    pub own_user: OwnUser,
}

/// `UnmuteResponse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UnmuteResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_existing_users: Option<Vec<String>>,
}
