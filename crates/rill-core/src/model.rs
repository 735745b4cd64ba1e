//! The domain's entities as the store keeps them. None of them is `Serialize`: the transport converts them into
//! `rill_protocol` types in one place (`rill_server::convert`).
//!
//! Flexible data (custom fields, attachments, a user's name and teams) is a JSON object, because the wire format
//! keeps custom data flat and open-ended; everything a rule or an index needs is a typed field.

use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A chat app: the unit of isolation. Nothing of one app is reachable with another's key or tokens.
#[derive(Debug, Clone)]
pub struct App {
    pub id: i64,
    pub name: String,
    pub api_key: String,
    pub api_secret: Secret,
    pub settings: AppSettings,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppSettings {
    pub disable_auth_checks: bool,
    pub disable_permissions_checks: bool,
    pub revoke_tokens_issued_before: Option<DateTime<Utc>>,
    pub webhook_url: String,
    pub webhook_events: Vec<String>,
    pub enforce_unique_usernames: String,
    pub guest_user_creation_disabled: bool,
    pub suspended: bool,
    pub rate_limits: RateLimitSetting,
    pub plan: Plan,
    pub event_hooks: Vec<EventHook>,
    /// `file_upload_config`: what `.../file` accepts.
    pub file_uploads: UploadRules,
    /// `image_upload_config`: what `.../image` accepts.
    pub image_uploads: UploadRules,
    /// `push_config`, and which push providers can send.
    pub push: PushSettings,
    /// Channel types created with `POST /channeltypes`, and built-in ones changed with `PUT`: these configs
    /// take the place of the defaults (`policy::channel_type_config`).
    pub channel_types: Vec<rill_protocol::types::ChannelConfig>,
    /// Counts the writes of these settings (`ops::apps::save_settings`), so a cache keeps the newest copy.
    pub revision: u64,
}

/// `push_config` (`version`, `offline_only`) and the providers able to send (kind and name, `""` for the app-level
/// `firebase_config` / `apn_config`), kept beside the providers' rows so a send knows from the app alone whether a
/// push job is worth writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    pub version: String,
    /// Push only to members with no live connection (Rill's default for new apps).
    pub offline_only: bool,
    pub enabled: Vec<(PushKind, String)>,
}

impl Default for PushSettings {
    fn default() -> PushSettings {
        PushSettings { version: "v3".into(), offline_only: true, enabled: Vec::new() }
    }
}

/// A blocklist: words a channel type's messages may not contain. Words are kept lowercase; a message matches
/// when one of its words is one of them (with `substring_matching`, when its text contains one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocklist {
    pub name: String,
    /// `word` (the only kind Rill matches).
    pub kind: String,
    pub words: Vec<String>,
    pub substring_matching: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The push services Rill sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PushKind {
    Firebase,
    Apn,
}

impl PushKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PushKind::Firebase => "firebase",
            PushKind::Apn => "apn",
        }
    }

    pub fn parse(text: &str) -> Option<PushKind> {
        match text {
            "firebase" => Some(PushKind::Firebase),
            "apn" => Some(PushKind::Apn),
            _ => None,
        }
    }
}

/// A push configuration: the app-level `firebase_config` or `apn_config` (`name` empty), or a named provider of
/// `/push_providers` that devices select by `push_provider_name`.
#[derive(Debug, Clone, PartialEq)]
pub struct PushProvider {
    pub kind: PushKind,
    pub name: String,
    pub description: String,
    /// Firebase: the service account's JSON; APNs: the `.p8` signing key. Sealed at rest, never shown.
    pub credentials: Option<Secret>,
    /// APNs: the key's id, the team, the topic (bundle id) and whether to use the development environment.
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
    pub development: bool,
    /// Where requests go instead of the provider's own endpoint (staging, tests); empty for the default.
    pub host: String,
    /// Templates of the payload (Firebase: notification, data and the APNs part; APNs: the notification).
    pub notification_template: String,
    pub data_template: String,
    pub apn_template: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PushProvider {
    pub fn new(kind: PushKind, name: &str, now: DateTime<Utc>) -> PushProvider {
        PushProvider {
            kind,
            name: name.to_owned(),
            description: String::new(),
            credentials: None,
            key_id: String::new(),
            team_id: String::new(),
            topic: String::new(),
            development: false,
            host: String::new(),
            notification_template: String::new(),
            data_template: String::new(),
            apn_template: String::new(),
            disabled_at: None,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether it can send: not disabled, with credentials (and, for APNs, the key id, team and topic).
    pub fn enabled(&self) -> bool {
        let complete = match self.kind {
            PushKind::Firebase => true,
            PushKind::Apn => !self.key_id.is_empty() && !self.team_id.is_empty() && !self.topic.is_empty(),
        };
        self.disabled_at.is_none() && self.credentials.is_some() && complete
    }
}

/// What an upload endpoint accepts (`FileUploadConfig`): at most `size_limit` bytes (0: Stream's 100 MB),
/// extensions and MIME types allowed (none listed: any) and blocked. Extensions are compared without the dot
/// and case; MIME types case-insensitively, a `type/*` entry covering its whole type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadRules {
    pub size_limit: u64,
    pub allowed_file_extensions: Vec<String>,
    pub blocked_file_extensions: Vec<String>,
    pub allowed_mime_types: Vec<String>,
    pub blocked_mime_types: Vec<String>,
}

pub use rill_protocol::limits::MAX_UPLOAD_BYTES;

impl UploadRules {
    /// The largest upload accepted, in bytes.
    pub fn limit(&self) -> u64 {
        if self.size_limit == 0 {
            MAX_UPLOAD_BYTES
        } else {
            self.size_limit.min(MAX_UPLOAD_BYTES)
        }
    }

    /// Why a file of this name and type may not be uploaded, if it may not.
    pub fn refusal(&self, file_name: &str, mime_type: &str) -> Option<String> {
        let extension =
            file_name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default();
        let listed =
            |list: &[String]| list.iter().any(|entry| entry.trim_start_matches('.').eq_ignore_ascii_case(&extension));
        let mime = mime_type.to_ascii_lowercase();
        let covers = |list: &[String]| {
            list.iter().any(|entry| {
                let entry = entry.to_ascii_lowercase();
                match entry.strip_suffix("/*") {
                    Some(kind) => mime.split('/').next() == Some(kind),
                    None => entry == mime,
                }
            })
        };
        if listed(&self.blocked_file_extensions)
            || (!self.allowed_file_extensions.is_empty() && !listed(&self.allowed_file_extensions))
        {
            return Some(format!("files with the extension {extension:?} are not allowed in this app"));
        }
        if covers(&self.blocked_mime_types)
            || (!self.allowed_mime_types.is_empty() && !covers(&self.allowed_mime_types))
        {
            return Some(format!("files of type {mime:?} are not allowed in this app"));
        }
        None
    }
}

/// A stored upload: a file or an image posted to a channel (or to the app, `cid` empty), served at an unguessable
/// URL that names its `token`. Its bytes are a blob named by their SHA-256 (`content_hash`), shared by every
/// upload of the same bytes in the app; an image may have a thumbnail blob too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub token: String,
    pub cid: String,
    pub user_id: String,
    /// `file` or `image`.
    pub kind: String,
    pub content_hash: String,
    pub size: i64,
    pub mime_type: String,
    pub file_name: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumb_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One webhook of `event_hooks`: where events of the listed types (all when empty) are POSTed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHook {
    pub id: String,
    pub webhook_url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub timeout_ms: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where one event goes: a webhook's URL and its attempt timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookTarget {
    pub url: String,
    pub timeout_ms: i64,
}

impl AppSettings {
    /// Whether any webhook is configured (enabled), so a write needs to look at its events at all.
    pub fn has_webhooks(&self) -> bool {
        !self.webhook_url.is_empty() || self.event_hooks.iter().any(|hook| hook.enabled)
    }

    /// The webhooks that take events of this type: `webhook_url` (for `webhook_events`, all when empty) and each
    /// enabled hook of `event_hooks` (for its `event_types`, all when empty). One URL is posted to once.
    pub fn hook_targets(&self, event_type: &str) -> Vec<HookTarget> {
        let wants = |types: &[String]| types.is_empty() || types.iter().any(|wanted| wanted == event_type);
        let mut targets: Vec<HookTarget> = Vec::new();
        if !self.webhook_url.is_empty() && wants(&self.webhook_events) {
            let timeout_ms = rill_protocol::limits::WEBHOOK_TIMEOUT_MS.2;
            targets.push(HookTarget { url: self.webhook_url.clone(), timeout_ms });
        }
        for hook in self.event_hooks.iter().filter(|hook| hook.enabled && wants(&hook.event_types)) {
            if !targets.iter().any(|target| target.url == hook.webhook_url) {
                targets.push(HookTarget { url: hook.webhook_url.clone(), timeout_ms: hook.timeout_ms });
            }
        }
        targets
    }
}

impl Default for AppSettings {
    fn default() -> AppSettings {
        AppSettings {
            disable_auth_checks: false,
            disable_permissions_checks: false,
            revoke_tokens_issued_before: None,
            webhook_url: String::new(),
            webhook_events: Vec::new(),
            enforce_unique_usernames: "no".into(),
            guest_user_creation_disabled: false,
            suspended: false,
            rate_limits: RateLimitSetting::StreamDefaults,
            plan: Plan::named("enterprise").unwrap_or_default(),
            event_hooks: Vec::new(),
            file_uploads: UploadRules::default(),
            image_uploads: UploadRules::default(),
            push: PushSettings::default(),
            channel_types: Vec::new(),
            revision: 0,
        }
    }
}

/// An app's plan: its name and its monthly limits (`None`: unlimited). The named plans carry their usual
/// limits; `rill app set-plan` may override either (a `custom` plan is only overrides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    /// Monthly active users: distinct users who connected or made a request in the calendar month (UTC).
    pub max_mau: Option<u64>,
    /// Messages stored in the calendar month (UTC).
    pub max_messages: Option<u64>,
}

impl Plan {
    /// The plans by name: `free` (5 MAU, 500,000 messages a month), `startup` (1,000 MAU), `growth` (10,000
    /// MAU), `enterprise` (unlimited), `custom` (unlimited until given limits).
    pub const NAMES: [&'static str; 5] = ["free", "startup", "growth", "enterprise", "custom"];

    pub fn named(name: &str) -> Option<Plan> {
        let (max_mau, max_messages) = match name {
            "free" => (Some(5), Some(500_000)),
            "startup" => (Some(1_000), None),
            "growth" => (Some(10_000), None),
            "enterprise" | "custom" => (None, None),
            _ => return None,
        };
        Some(Plan { name: name.to_owned(), max_mau, max_messages })
    }
}

/// How an app's requests are rate limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitSetting {
    /// Stream's per-endpoint defaults.
    StreamDefaults,
    /// One limit per minute for every endpoint.
    PerMinute(u32),
    /// No limit (benchmarks, trusted deployments).
    Off,
}

/// A chat user. `data` holds `name`, `image`, `language`, `teams`, `invisible`, `privacy_settings` and custom
/// fields, flat, exactly as the wire shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub role: String,
    pub data: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_active: Option<DateTime<Utc>>,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Banned app-wide (not in shadow), until `ban_expires` if set: the user keeps reading but may not post.
    pub banned: bool,
    pub revoke_tokens_issued_before: Option<DateTime<Utc>>,
    /// Shadow-banned app-wide, until `ban_expires` if set: their messages are shown only to them.
    pub shadow_banned: bool,
    /// When the app-wide ban (shadow or not) runs out.
    pub ban_expires: Option<DateTime<Utc>>,
}

impl User {
    /// Whether an app-wide ban (not in shadow) holds at `now`.
    pub fn banned_at(&self, now: DateTime<Utc>) -> bool {
        self.banned && self.ban_expires.is_none_or(|expires| expires > now)
    }

    /// Whether an app-wide shadow ban holds at `now`.
    pub fn shadow_banned_at(&self, now: DateTime<Utc>) -> bool {
        self.shadow_banned && self.ban_expires.is_none_or(|expires| expires > now)
    }

    pub fn name(&self) -> Option<&str> {
        self.data.get("name").and_then(Value::as_str)
    }

    pub fn invisible(&self) -> bool {
        self.data.get("invisible").and_then(Value::as_bool).unwrap_or(false)
    }

    /// Whether this user's typing indicators may be shown (`privacy_settings.typing_indicators.enabled`).
    pub fn shares_typing(&self) -> bool {
        privacy_flag(&self.data, "typing_indicators")
    }

    /// Whether this user's read receipts may be shown (`privacy_settings.read_receipts.enabled`).
    pub fn shares_read_receipts(&self) -> bool {
        privacy_flag(&self.data, "read_receipts")
    }
}

fn privacy_flag(data: &Map<String, Value>, setting: &str) -> bool {
    data.get("privacy_settings")
        .and_then(|settings| settings.get(setting))
        .and_then(|setting| setting.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// Users referenced by a result, by id, so the transport can render each one once.
pub type UserDirectory = HashMap<String, User>;

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub cid: String,
    pub channel_type: String,
    pub id: String,
    pub created_by: Option<String>,
    /// Custom data (`name`, `image`, `project_id`, ...).
    pub data: Map<String, Value>,
    pub frozen: bool,
    pub disabled: bool,
    pub team: Option<String>,
    pub cooldown: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub truncated_at: Option<DateTime<Utc>>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub member_count: i64,
    pub message_count: i64,
    /// How many messages that count toward unread have ever been posted; a member's unread count is this minus
    /// the value it had when the member last read. Deriving counts this way keeps them exact with one write per
    /// message instead of one per member.
    pub unread_sequence: i64,
    /// Every member has read at least this far: the channel's `unread_sequence` when it was last truncated, so a
    /// truncation writes one row rather than one per member.
    pub read_floor: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub cid: String,
    pub user_id: String,
    pub channel_role: String,
    pub data: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub hidden: bool,
    pub last_read_at: DateTime<Utc>,
    pub last_read_message_id: Option<String>,
    /// The channel's `unread_sequence` when this member last read it.
    pub last_read_sequence: i64,
    /// Set by hiding with `clear_history`: older messages are not shown to this member.
    pub hide_messages_before: Option<DateTime<Utc>>,
    /// The member's ban in this channel, when one holds: filled in by the operations that show members (the
    /// store leaves it `None`).
    pub ban: Option<Ban>,
}

impl Member {
    pub fn is_moderator(&self) -> bool {
        self.channel_role == "channel_moderator"
    }

    /// Unread messages in this channel for this member; none while an invite is pending.
    pub fn unread_in(&self, channel: &Channel) -> i64 {
        if self.invite_status() == Some(InviteStatus::Pending) {
            return 0;
        }
        (channel.unread_sequence - self.last_read_sequence.max(channel.read_floor)).max(0)
    }

    /// The member's invite, if they were invited. Kept in `data` under the wire's own field names (`invited`,
    /// `invite_accepted_at`, `invite_rejected_at`), so members render with them as they are.
    pub fn invite_status(&self) -> Option<InviteStatus> {
        if self.data.get("invited").and_then(Value::as_bool) != Some(true) {
            return None;
        }
        Some(if self.data.contains_key("invite_accepted_at") {
            InviteStatus::Accepted
        } else if self.data.contains_key("invite_rejected_at") {
            InviteStatus::Rejected
        } else {
            InviteStatus::Pending
        })
    }
}

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteStatus {
    Pending,
    Accepted,
    Rejected,
}

impl InviteStatus {
    /// The value of the `invite` filter field.
    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Pending => "pending",
            InviteStatus::Accepted => "accepted",
            InviteStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub cid: String,
    pub user_id: String,
    pub message_type: String,
    pub text: String,
    pub html: String,
    pub parent_id: Option<String>,
    pub show_in_channel: bool,
    pub silent: bool,
    pub shadowed: bool,
    pub pinned: bool,
    pub pinned_at: Option<DateTime<Utc>>,
    pub pinned_by: Option<String>,
    pub pin_expires: Option<DateTime<Utc>>,
    pub quoted_message_id: Option<String>,
    pub attachments: Vec<Value>,
    pub mentioned_users: Vec<String>,
    /// Custom data.
    pub data: Map<String, Value>,
    pub reaction_counts: BTreeMap<String, i64>,
    pub reaction_scores: BTreeMap<String, i64>,
    pub reply_count: i64,
    pub deleted_reply_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub text_updated_at: Option<DateTime<Utc>>,
    /// The channel's `unread_sequence` right after this message was posted; marking read up to this message
    /// sets the reader's position to it.
    pub sequence: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub message_id: String,
    pub user_id: String,
    pub reaction_type: String,
    pub score: i64,
    pub data: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The reactions shown with a message: the newest ones and the viewer's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageReactions {
    pub latest: Vec<Reaction>,
    pub own: Vec<Reaction>,
    /// First and last reaction time per type, for `reaction_groups`.
    pub groups: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>,
}

/// A message with everything needed to render it for one viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    pub message: Message,
    pub reactions: MessageReactions,
    pub quoted: Option<Box<Message>>,
    pub thread_participants: Vec<String>,
}

/// A channel as one viewer sees it: the payload of GetOrCreateChannel and of each QueryChannels element.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    pub channel: Channel,
    pub members: Vec<Member>,
    pub messages: Vec<MessageView>,
    pub pinned_messages: Vec<MessageView>,
    /// Every member's read state (the `read` array).
    pub reads: Vec<Member>,
    pub membership: Option<Member>,
    pub own_capabilities: Vec<&'static str>,
    pub hidden: bool,
    /// The viewer's mute of the channel, when one holds.
    pub muted: Option<ChannelMute>,
}

/// A user's unread totals across all their channels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnreadTotals {
    pub total_unread_count: i64,
    pub unread_channels: i64,
}

/// The acting party of a request, after authentication.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// A server token; `acting_user` is the user named in the request, when one is.
    Server { acting_user: Option<String> },
    /// A user token.
    User { user_id: String },
}

impl Actor {
    /// The user the action is attributed to, if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::Server { acting_user } => acting_user.as_deref(),
            Actor::User { user_id } => Some(user_id),
        }
    }

    pub fn is_server(&self) -> bool {
        matches!(self, Actor::Server { .. })
    }
}

/// A ban of a user, app-wide (`channel_cid` `None`) or in one channel, until `expires` (or until lifted). A
/// shadow ban lets the user post, but only they see what they post; `future_channels` (channel bans) also bans
/// them from the channels `created_by` creates later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub user_id: String,
    pub channel_cid: Option<String>,
    pub created_by: Option<String>,
    pub reason: Option<String>,
    pub shadow: bool,
    pub future_channels: bool,
    pub created_at: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}

impl Ban {
    /// Whether the ban holds at `now`.
    pub fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_none_or(|expires| expires > now)
    }
}

/// A user's report of a message (`target_message_id`, with its channel and author as `target_user_id`) or of a
/// user (`target_user_id` alone), once per reporter and target. A moderator's review marks it `reviewed_at`
/// and, for a message they removed, `rejected_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Stable id, answered as `review_queue_item_id`.
    pub id: String,
    pub user_id: String,
    pub target_message_id: Option<String>,
    pub target_user_id: String,
    pub channel_cid: Option<String>,
    pub reason: Option<String>,
    pub data: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub message_deleted_at: Option<DateTime<Utc>>,
}

impl Flag {
    /// The flag's target as stored: its kind and id.
    pub fn target(&self) -> (&'static str, &str) {
        match &self.target_message_id {
            Some(message_id) => ("message", message_id),
            None => ("user", &self.target_user_id),
        }
    }
}

/// A user's mute of a channel: it adds nothing to their unread totals until `expires` (or until they unmute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMute {
    pub user_id: String,
    pub channel_cid: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}

/// A device registered for push: its push token (`id`, unique in the app: registering it again moves it to the
/// new user), provider and, when the provider reported the token invalid, why it is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub user_id: String,
    pub push_provider: String,
    pub push_provider_name: Option<String>,
    pub voip: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A user's mute of another user: the muter's own, until `expires` (or until they unmute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMute {
    pub user_id: String,
    pub target_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}
