//! Core types to wire types, in one place. Every response and event body is built from these functions, so the
//! wire shape of an object is decided exactly once.

use rill_core::model::{
    Channel as CoreChannel, ChannelView, Member as CoreMember, Message as CoreMessage, MessageView,
    Reaction as CoreReaction, UnreadTotals, User as CoreUser, UserDirectory,
};
use rill_protocol::types::{
    Channel, ChannelConfig, ChannelState, Member, Message, OwnUser, Reaction, ReactionGroup, ReactionGroupUser, Read,
    User,
};
use serde_json::Value;

/// Renders a user as of `now` (an app-wide ban that ran out shows as none); `online` comes from the connection
/// registry. A shadow ban never shows: the user it hides is not to learn of it.
pub fn user(user: &CoreUser, online: bool, now: chrono::DateTime<chrono::Utc>) -> User {
    let mut custom = user.data.clone();
    let name = custom.remove("name").and_then(|value| value.as_str().map(str::to_owned));
    let image = custom.remove("image").and_then(|value| value.as_str().map(str::to_owned));
    let language = custom.remove("language").and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default();
    let teams = custom
        .remove("teams")
        .and_then(|value| value.as_array().cloned())
        .map(|teams| teams.into_iter().filter_map(|team| team.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let invisible = custom.remove("invisible").and_then(|value| value.as_bool()).unwrap_or(false);
    let privacy_settings = custom.remove("privacy_settings");
    User {
        id: user.id.clone(),
        role: user.role.clone(),
        teams,
        language,
        created_at: user.created_at,
        updated_at: user.updated_at,
        banned: user.banned_at(now),
        online: online && !invisible,
        blocked_user_ids: Vec::new(),
        shadow_banned: false,
        invisible,
        name,
        image,
        last_active: user.last_active,
        deactivated_at: user.deactivated_at,
        deleted_at: user.deleted_at,
        // A user's revocation point is theirs and the server's business: only `own_user` shows it.
        revoke_tokens_issued_before: None,
        privacy_settings,
        custom,
    }
}

/// The `me` object and `FullUserResponse`.
pub fn own_user(
    user_record: &CoreUser,
    online: bool,
    totals: UnreadTotals,
    now: chrono::DateTime<chrono::Utc>,
) -> OwnUser {
    let mut public = user(user_record, online, now);
    public.revoke_tokens_issued_before = user_record.revoke_tokens_issued_before;
    OwnUser {
        user: public,
        devices: Vec::new(),
        mutes: Vec::new(),
        channel_mutes: Vec::new(),
        unread_count: totals.total_unread_count,
        total_unread_count: totals.total_unread_count,
        unread_channels: totals.unread_channels,
        unread_threads: 0,
    }
}

/// Another user as a `FullUserResponse`, for a user token's query: the public profile, with the private fields
/// (devices, mutes, unread totals, revocation) empty.
pub fn other_user(user_record: &CoreUser, online: bool, now: chrono::DateTime<chrono::Utc>) -> OwnUser {
    let mut full = own_user(user_record, online, UnreadTotals::default(), now);
    full.user.revoke_tokens_issued_before = None;
    full
}

/// A mute as the wire shows it (`UserMuteResponse`), its users from the renderer's directory.
pub fn user_mute(renderer: &Renderer<'_>, mute: &rill_core::model::UserMute) -> rill_protocol::types::UserMute {
    rill_protocol::types::UserMute {
        user: renderer.user(&mute.user_id),
        target: renderer.user(&mute.target_id),
        created_at: mute.created_at,
        updated_at: mute.updated_at,
        expires: mute.expires,
    }
}

/// A channel mute as the wire shows it (`ChannelMute`), its channel from `channels` when there.
pub fn channel_mute(
    renderer: &Renderer<'_>,
    mute: &rill_core::model::ChannelMute,
    channels: &[CoreChannel],
) -> rill_protocol::types::ChannelMute {
    let channel = channels.iter().find(|channel| channel.cid == mute.channel_cid);
    rill_protocol::types::ChannelMute {
        user: Some(renderer.user(&mute.user_id)),
        channel: channel.map(|channel| Box::new(renderer.channel(channel, None, None))),
        created_at: mute.created_at,
        updated_at: mute.updated_at,
        expires: mute.expires,
    }
}

/// A push provider as `PushProviderResponse`, without its credentials.
pub fn push_provider(provider: &rill_core::model::PushProvider) -> rill_protocol::types::PushProvider {
    use rill_core::model::PushKind;
    let apn = provider.kind == PushKind::Apn;
    let firebase = provider.kind == PushKind::Firebase;
    let text = |value: &String, shown: bool| (shown && !value.is_empty()).then(|| value.clone());
    rill_protocol::types::PushProvider {
        name: provider.name.clone(),
        kind: provider.kind.as_str().to_owned(),
        description: provider.description.clone(),
        created_at: provider.created_at,
        updated_at: provider.updated_at,
        disabled_at: provider.disabled_at,
        disabled_reason: provider.disabled_reason.clone(),
        apn_auth_type: apn.then(|| "token".to_owned()),
        apn_key_id: text(&provider.key_id, apn),
        apn_team_id: text(&provider.team_id, apn),
        apn_topic: text(&provider.topic, apn),
        apn_development: apn.then_some(provider.development),
        apn_host: text(&provider.host, apn),
        firebase_host: text(&provider.host, firebase),
        firebase_notification_template: text(&provider.notification_template, firebase),
        firebase_data_template: text(&provider.data_template, firebase),
        firebase_apn_template: text(&provider.apn_template, firebase),
    }
}

/// `GET /app`'s `push_notifications` (`PushNotificationFields`): whether each service can send, and to a server
/// its settings, never its credentials (`auth_key` and `credentials_json` are always empty).
pub fn push_notifications(
    settings: &rill_core::model::PushSettings,
    providers: &[rill_core::model::PushProvider],
    server: bool,
) -> serde_json::Value {
    use rill_core::model::PushKind;
    let app_level =
        |kind: PushKind| providers.iter().find(|provider| provider.kind == kind && provider.name.is_empty());
    let apn = app_level(PushKind::Apn);
    let firebase = app_level(PushKind::Firebase);
    let mut apn_fields = serde_json::json!({
        "enabled": apn.is_some_and(|provider| provider.enabled()),
        "development": apn.is_some_and(|provider| provider.development),
    });
    let mut firebase_fields = serde_json::json!({"enabled": firebase.is_some_and(|provider| provider.enabled())});
    if server {
        if let Some(apn) = apn {
            apn_fields["auth_type"] = "token".into();
            apn_fields["auth_key"] = "".into();
            apn_fields["key_id"] = apn.key_id.clone().into();
            apn_fields["team_id"] = apn.team_id.clone().into();
            apn_fields["bundle_id"] = apn.topic.clone().into();
            apn_fields["host"] = apn.host.clone().into();
            apn_fields["notification_template"] = apn.notification_template.clone().into();
        }
        if let Some(firebase) = firebase {
            firebase_fields["credentials_json"] = "".into();
            firebase_fields["notification_template"] = firebase.notification_template.clone().into();
            firebase_fields["data_template"] = firebase.data_template.clone().into();
            firebase_fields["apn_template"] = firebase.apn_template.clone().into();
        }
    }
    let named: Vec<_> = if server {
        providers.iter().filter(|provider| !provider.name.is_empty()).map(push_provider).collect()
    } else {
        Vec::new()
    };
    serde_json::json!({
        "version": settings.version,
        "offline_only": settings.offline_only,
        "apn": apn_fields,
        "firebase": firebase_fields,
        "huawei": {"enabled": false},
        "xiaomi": {"enabled": false},
        "providers": named,
    })
}

/// A push device as `DeviceResponse`.
pub fn device(device: &rill_core::model::Device) -> rill_protocol::types::Device {
    rill_protocol::types::Device {
        id: device.id.clone(),
        push_provider: device.push_provider.clone(),
        push_provider_name: device.push_provider_name.clone(),
        user_id: device.user_id.clone(),
        created_at: device.created_at,
        voip: device.voip,
        disabled: device.disabled_reason.is_some(),
        disabled_reason: device.disabled_reason.clone(),
    }
}

/// The `me` object with the user's mutes of users and of channels.
pub fn own_user_with_mutes(
    renderer: &Renderer<'_>,
    user_record: &CoreUser,
    online: bool,
    totals: UnreadTotals,
    own: &rill_core::ops::moderation::OwnMutes,
) -> OwnUser {
    let mut me = own_user(user_record, online, totals, renderer.now);
    me.mutes = own.users.iter().map(|mute| user_mute(renderer, mute)).collect();
    me.channel_mutes = own.channels.iter().map(|mute| channel_mute(renderer, mute, &own.muted_channels)).collect();
    me
}

/// Renders users by id from a directory; an id missing from it (a deleted user) renders as a bare user.
pub struct Renderer<'a> {
    pub users: &'a UserDirectory,
    pub is_online: &'a dyn Fn(&str) -> bool,
    /// What bans and other expiries are judged against.
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Renderer<'_> {
    pub fn user(&self, user_id: &str) -> User {
        match self.users.get(user_id) {
            Some(record) => user(record, (self.is_online)(user_id), self.now),
            None => {
                let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
                User {
                    id: user_id.to_owned(),
                    role: "user".into(),
                    teams: Vec::new(),
                    language: String::new(),
                    created_at: epoch,
                    updated_at: epoch,
                    banned: false,
                    online: false,
                    blocked_user_ids: Vec::new(),
                    shadow_banned: false,
                    invisible: false,
                    name: None,
                    image: None,
                    last_active: None,
                    deactivated_at: None,
                    deleted_at: Some(epoch),
                    revoke_tokens_issued_before: None,
                    privacy_settings: None,
                    custom: Default::default(),
                }
            }
        }
    }

    pub fn reaction(&self, reaction: &CoreReaction) -> Reaction {
        Reaction {
            message_id: reaction.message_id.clone(),
            user_id: reaction.user_id.clone(),
            user: Some(self.user(&reaction.user_id)),
            reaction_type: reaction.reaction_type.clone(),
            score: reaction.score,
            created_at: reaction.created_at,
            updated_at: reaction.updated_at,
            custom: reaction.data.clone(),
        }
    }

    fn bare_message(&self, message: &CoreMessage) -> Message {
        Message {
            id: message.id.clone(),
            text: message.text.clone(),
            html: message.html.clone(),
            message_type: message.message_type.clone(),
            user: self.user(&message.user_id),
            attachments: message.attachments.clone(),
            latest_reactions: Vec::new(),
            own_reactions: Vec::new(),
            reaction_counts: message.reaction_counts.clone(),
            reaction_scores: message.reaction_scores.clone(),
            reaction_groups: Default::default(),
            reply_count: message.reply_count,
            deleted_reply_count: message.deleted_reply_count,
            cid: message.cid.clone(),
            created_at: message.created_at,
            updated_at: message.updated_at,
            shadowed: message.shadowed,
            mentioned_users: message.mentioned_users.iter().map(|id| self.user(id)).collect(),
            mentioned_channel: false,
            mentioned_here: false,
            silent: message.silent,
            pinned: message.pinned,
            restricted_visibility: Vec::new(),
            parent_id: message.parent_id.clone(),
            show_in_channel: message.parent_id.as_ref().map(|_| message.show_in_channel),
            thread_participants: None,
            quoted_message_id: message.quoted_message_id.clone(),
            quoted_message: None,
            pinned_at: message.pinned_at,
            pinned_by: message.pinned_by.as_deref().map(|id| self.user(id)),
            pin_expires: message.pin_expires,
            deleted_at: message.deleted_at,
            message_text_updated_at: message.text_updated_at,
            channel: None,
            custom: message.data.clone(),
        }
    }

    pub fn message(&self, view: &MessageView) -> Message {
        let mut message = self.bare_message(&view.message);
        message.latest_reactions = view.reactions.latest.iter().map(|reaction| self.reaction(reaction)).collect();
        message.own_reactions = view.reactions.own.iter().map(|reaction| self.reaction(reaction)).collect();
        message.reaction_groups = view
            .message
            .reaction_counts
            .iter()
            .filter_map(|(reaction_type, count)| {
                let (first, last) = view.reactions.groups.get(reaction_type).copied()?;
                Some((
                    reaction_type.clone(),
                    ReactionGroup {
                        count: *count,
                        sum_scores: view.message.reaction_scores.get(reaction_type).copied().unwrap_or(*count),
                        first_reaction_at: first,
                        last_reaction_at: last,
                        // The reactors of this type among `latest_reactions` (already newest first).
                        latest_reactions_by: view
                            .reactions
                            .latest
                            .iter()
                            .filter(|reaction| &reaction.reaction_type == reaction_type)
                            .map(|reaction| ReactionGroupUser {
                                user_id: reaction.user_id.clone(),
                                created_at: reaction.created_at,
                                user: Some(self.user(&reaction.user_id)),
                            })
                            .collect(),
                    },
                ))
            })
            .collect();
        if !view.thread_participants.is_empty() {
            message.thread_participants = Some(view.thread_participants.iter().map(|id| self.user(id)).collect());
        }
        message.quoted_message = view.quoted.as_ref().map(|quoted| Box::new(self.bare_message(quoted)));
        message
    }

    pub fn member(&self, member: &CoreMember, channel: &CoreChannel) -> Member {
        let is_moderator = member.is_moderator();
        let legacy_role = if channel.created_by.as_deref() == Some(member.user_id.as_str()) {
            "owner"
        } else if is_moderator {
            "moderator"
        } else {
            "member"
        };
        Member {
            user_id: member.user_id.clone(),
            user: Some(self.user(&member.user_id)),
            created_at: member.created_at,
            updated_at: member.updated_at,
            banned: member.ban.as_ref().is_some_and(|ban| !ban.shadow),
            // A shadow ban never shows: the member it hides is not to learn of it.
            shadow_banned: false,
            ban_expires: member.ban.as_ref().filter(|ban| !ban.shadow).and_then(|ban| ban.expires),
            channel_role: member.channel_role.clone(),
            notifications_muted: false,
            role: Some(legacy_role.to_owned()),
            is_moderator: is_moderator.then_some(true),
            custom: member.data.clone(),
        }
    }

    pub fn channel(
        &self,
        channel: &CoreChannel,
        config: Option<ChannelConfig>,
        capabilities: Option<Vec<String>>,
    ) -> Channel {
        Channel {
            id: channel.id.clone(),
            channel_type: channel.channel_type.clone(),
            cid: channel.cid.clone(),
            created_at: channel.created_at,
            updated_at: channel.updated_at,
            frozen: channel.frozen,
            disabled: channel.disabled,
            created_by: channel.created_by.as_deref().map(|id| self.user(id)),
            deleted_at: channel.deleted_at,
            last_message_at: channel.last_message_at,
            member_count: Some(channel.member_count),
            message_count: None,
            config,
            own_capabilities: capabilities,
            cooldown: (channel.cooldown > 0).then_some(channel.cooldown),
            team: channel.team.clone(),
            truncated_at: channel.truncated_at,
            hidden: None,
            muted: None,
            mute_expires_at: None,
            members: None,
            custom: channel.data.clone(),
        }
    }

    pub fn read(&self, member: &CoreMember, channel: &CoreChannel) -> Read {
        Read {
            user: self.user(&member.user_id),
            last_read: member.last_read_at,
            unread_messages: member.unread_in(channel),
            last_read_message_id: member.last_read_message_id.clone(),
        }
    }

    /// A channel state for one viewer; `watchers` comes from the connection registry.
    pub fn channel_state(
        &self,
        view: &ChannelView,
        config: ChannelConfig,
        watchers: Option<(i64, Vec<String>)>,
    ) -> ChannelState {
        let capabilities = view.own_capabilities.iter().map(|capability| (*capability).to_owned()).collect();
        let mut channel = self.channel(&view.channel, Some(config), Some(capabilities));
        if view.hidden {
            channel.hidden = Some(true);
        }
        channel.muted = Some(view.muted.is_some());
        channel.mute_expires_at = view.muted.as_ref().and_then(|mute| mute.expires);
        let (watcher_count, watcher_users) = match watchers {
            Some((count, ids)) => (Some(count), Some(ids.iter().map(|id| self.user(id)).collect())),
            None => (None, None),
        };
        ChannelState {
            members: view.members.iter().map(|member| self.member(member, &view.channel)).collect(),
            messages: view.messages.iter().map(|message| self.message(message)).collect(),
            pinned_messages: view.pinned_messages.iter().map(|message| self.message(message)).collect(),
            threads: Vec::new(),
            membership: view.membership.as_ref().map(|member| self.member(member, &view.channel)),
            read: Some(view.reads.iter().map(|member| self.read(member, &view.channel)).collect()),
            watcher_count,
            watchers: watcher_users,
            hidden: Some(view.hidden),
            channel,
        }
    }
}

/// `channel_custom` of events: the channel's custom data, nested.
pub fn channel_custom(channel: &CoreChannel) -> serde_json::Map<String, Value> {
    channel.data.clone()
}

/// An app's usage this month against its plan, as `GET /usage` answers and `rill app usage --json` prints it.
pub fn usage(app_id: i64, usage: &rill_core::ops::usage::Usage) -> rill_protocol::response::UsageResponse {
    use rill_protocol::response::{UsageCount, UsageResponse};
    UsageResponse {
        app_id,
        plan: usage.plan.name.clone(),
        month: rill_core::ops::usage::month_label(usage.month),
        monthly_active_users: UsageCount { count: usage.monthly_active_users, limit: usage.plan.max_mau },
        messages: UsageCount { count: usage.messages, limit: usage.plan.max_messages },
    }
}

/// An app's outbox for the operator (`rill app outbox`).
pub fn outbox(app_id: i64, summary: &rill_core::store::OutboxSummary) -> rill_protocol::response::OutboxReport {
    use rill_protocol::response::{OutboxFailure, OutboxReport};
    let failures = summary
        .failures
        .iter()
        .map(|job| OutboxFailure {
            id: job.id,
            kind: job.kind.clone(),
            event_type: job.event_type.clone(),
            target: job.target.split(['?', '#']).next().unwrap_or_default().to_owned(),
            attempts: job.attempts,
            last_error: job.last_error.clone(),
            failed_at: job.failed_at,
        })
        .collect();
    OutboxReport {
        app_id,
        pending: summary.pending,
        failed: summary.failed,
        oldest_pending_at: summary.oldest_pending_at,
        failures,
    }
}

/// One of the app's webhooks as `GET /app` shows it.
pub(crate) fn event_hook(hook: &rill_core::model::EventHook) -> rill_protocol::response::EventHook {
    rill_protocol::response::EventHook {
        id: hook.id.clone(),
        hook_type: "webhook".into(),
        webhook_url: hook.webhook_url.clone(),
        event_types: hook.event_types.clone(),
        enabled: hook.enabled,
        timeout_ms: hook.timeout_ms,
        created_at: Some(hook.created_at),
        updated_at: Some(hook.updated_at),
    }
}
