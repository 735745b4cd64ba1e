//! Permission policy: which capabilities a user has in a channel. Pure functions over plain facts, so the whole
//! matrix is testable without a database.
//!
//! The defaults follow Stream's public permissions reference in spirit (see `docs/protocol.md` for where Rill
//! chooses): members of `messaging`, `team`, `commerce` and `gaming` channels read and write them; anyone signed in
//! reads and writes `livestream`; channel moderators, app moderators and admins moderate; the creator owns.

use crate::model::Channel;
use chrono::{DateTime, Utc};
use rill_protocol::types::{ChannelConfig, Command};

/// The default channel types every app starts with.
pub const DEFAULT_CHANNEL_TYPES: [&str; 5] = ["messaging", "team", "livestream", "commerce", "gaming"];

/// The configuration of a built-in channel type, or `None` for an unknown type.
pub fn channel_type_config(name: &str, created_at: DateTime<Utc>) -> Option<ChannelConfig> {
    // (typing, read, connect) events per type; everything else is shared.
    let (typing_events, read_events, connect_events, url_enrichment) = match name {
        "messaging" | "team" | "commerce" => (true, true, true, true),
        "livestream" => (false, false, false, false),
        "gaming" => (true, false, false, true),
        _ => return None,
    };
    Some(ChannelConfig {
        name: name.to_owned(),
        typing_events,
        read_events,
        connect_events,
        // Off until `/channels/delivered` exists: clients call it automatically when this is on.
        delivery_events: false,
        custom_events: true,
        search: true,
        reactions: true,
        replies: true,
        quotes: true,
        mutes: true,
        uploads: true,
        url_enrichment,
        push_notifications: true,
        reminders: false,
        polls: false,
        shared_locations: false,
        mark_messages_pending: false,
        user_message_reminders: false,
        count_messages: false,
        skip_last_msg_update_for_system_msgs: false,
        message_retention: "infinite".into(),
        max_message_length: 5000,
        automod: "disabled".into(),
        automod_behavior: "flag".into(),
        blocklists: Vec::new(),
        commands: vec![Command {
            name: "giphy".into(),
            description: "Post a random gif to the channel".into(),
            args: "[text]".into(),
            set: "fun_set".into(),
        }],
        created_at,
        updated_at: created_at,
    })
}

/// App-level roles that moderate every channel.
pub fn is_app_moderator(app_role: &str) -> bool {
    matches!(app_role, "admin" | "moderator")
}

/// What policy needs to know about a user and a channel.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    /// The user's app role (`user`, `admin`, `moderator`, `guest`, `anonymous`).
    pub app_role: &'a str,
    /// The user's channel role when a member.
    pub channel_role: Option<&'a str>,
    pub is_owner: bool,
    /// The app has `disable_permissions_checks` on: everyone may do everything a member may.
    pub permissions_disabled: bool,
    /// A ban (app-wide or in this channel, not in shadow) holds: they keep reading but may not post, react, edit
    /// or send events.
    pub banned: bool,
}

impl Access<'_> {
    fn is_member(&self) -> bool {
        self.channel_role.is_some()
    }

    pub fn moderates(&self) -> bool {
        is_app_moderator(self.app_role) || self.channel_role == Some("channel_moderator")
    }
}

/// The channel types any authenticated user reads without being a member.
pub const OPEN_TYPES: &[&str] = &["livestream"];

fn is_open_type(channel_type: &str) -> bool {
    OPEN_TYPES.contains(&channel_type)
}

/// Whether the user may read and watch the channel.
pub fn can_read(access: &Access<'_>, channel: &Channel) -> bool {
    if access.permissions_disabled || access.moderates() || access.is_member() || access.is_owner {
        return !channel.disabled || access.moderates();
    }
    is_open_type(&channel.channel_type) && !channel.disabled
}

/// The `own_capabilities` of a user in a channel, in the enum's spelling.
pub fn capabilities(access: &Access<'_>, channel: &Channel, config: &ChannelConfig) -> Vec<&'static str> {
    let mut capabilities = Vec::new();
    if !can_read(access, channel) {
        return capabilities;
    }
    let participates = access.permissions_disabled
        || access.is_member()
        || access.is_owner
        || access.moderates()
        || (is_open_type(&channel.channel_type) && !matches!(access.app_role, "anonymous"));
    let writes = participates && (!channel.frozen || access.moderates());
    let mut add = |capability: &'static str, enabled: bool| {
        if enabled {
            capabilities.push(capability);
        }
    };
    add("read-events", config.read_events);
    add("connect-events", config.connect_events);
    add("typing-events", config.typing_events);
    add("search-messages", config.search);
    add("send-message", writes);
    add("send-links", writes);
    add("create-mention", writes);
    add("send-reply", writes && config.replies);
    add("send-reaction", writes && config.reactions);
    add("quote-message", writes && config.quotes);
    add("send-typing-events", writes && config.typing_events);
    add("send-custom-events", writes && config.custom_events);
    add("upload-file", writes && config.uploads);
    add("create-attachment", writes && config.uploads);
    add("update-own-message", participates);
    add("delete-own-message", participates);
    add("flag-message", participates);
    add("mute-channel", participates && config.mutes);
    add("pin-message", participates && !channel.frozen || access.moderates());
    add("leave-channel", access.is_member());
    add("join-channel", is_open_type(&channel.channel_type) && !access.is_member());
    add("slow-mode", channel.cooldown > 0);
    let manages = access.moderates() || access.is_owner;
    add("update-channel", manages);
    add("update-channel-members", manages || (access.is_member() && channel.channel_type == "messaging"));
    add("delete-channel", access.is_owner || access.app_role == "admin");
    add("update-any-message", access.moderates());
    add("delete-any-message", access.moderates());
    add("ban-channel-members", access.moderates());
    add("freeze-channel", access.moderates());
    add("set-channel-cooldown", access.moderates());
    add("skip-slow-mode", access.moderates());
    if access.banned {
        capabilities.retain(|capability| !is_withheld_from_banned(capability));
    }
    capabilities.sort_unstable();
    capabilities
}

/// Capabilities a ban takes away: everything that puts content in front of others.
pub fn is_withheld_from_banned(capability: &str) -> bool {
    matches!(
        capability,
        "send-message"
            | "send-links"
            | "create-mention"
            | "send-reply"
            | "send-reaction"
            | "quote-message"
            | "send-typing-events"
            | "send-custom-events"
            | "upload-file"
            | "create-attachment"
            | "update-own-message"
            | "pin-message"
    )
}

/// Whether the capability list grants `capability`.
pub fn has(capabilities: &[&'static str], capability: &str) -> bool {
    capabilities.contains(&capability)
}

/// Truncating a channel is not in the capability enum; moderators and the owner may.
pub fn can_truncate(access: &Access<'_>) -> bool {
    access.moderates() || access.is_owner
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn channel(channel_type: &str) -> Channel {
        let at = Utc.timestamp_opt(0, 0).single().unwrap();
        Channel {
            cid: format!("{channel_type}:x"),
            channel_type: channel_type.into(),
            id: "x".into(),
            created_by: Some("owner".into()),
            data: Default::default(),
            frozen: false,
            disabled: false,
            team: None,
            cooldown: 0,
            created_at: at,
            updated_at: at,
            deleted_at: None,
            truncated_at: None,
            last_message_at: None,
            member_count: 0,
            message_count: 0,
            unread_sequence: 0,
            read_floor: 0,
        }
    }

    fn access<'a>(app_role: &'a str, channel_role: Option<&'a str>, is_owner: bool) -> Access<'a> {
        Access { app_role, channel_role, is_owner, permissions_disabled: false, banned: false }
    }

    /// What Rill cannot do yet is never offered: clients show actions from the capabilities and the type. What
    /// it can (bans, flags, mutes) is offered to those who may.
    #[test]
    fn features_not_built_are_not_advertised() {
        for name in ["messaging", "team", "livestream", "commerce", "gaming"] {
            let channel = channel(name);
            let config = channel_type_config(name, channel.created_at).unwrap();
            assert!(config.uploads && config.mutes, "{name}: uploads and mutes are on");
            for viewer in [access("admin", None, true), access("user", Some("channel_moderator"), false)] {
                let granted = capabilities(&viewer, &channel, &config);
                assert!(has(&granted, "upload-file"), "{name} grants upload-file: {granted:?}");
                assert!(has(&granted, "ban-channel-members"), "moderators ban in {name}: {granted:?}");
                assert!(has(&granted, "flag-message"), "members flag in {name}: {granted:?}");
                assert!(has(&granted, "mute-channel"), "members mute {name}: {granted:?}");
            }
        }
    }

    #[test]
    fn private_types_need_membership() {
        let team = channel("team");
        let config = channel_type_config("team", team.created_at).unwrap();
        let outsider = access("user", None, false);
        assert!(!can_read(&outsider, &team));
        assert!(capabilities(&outsider, &team, &config).is_empty());
        let member = access("user", Some("channel_member"), false);
        let granted = capabilities(&member, &team, &config);
        assert!(has(&granted, "send-message"));
        assert!(has(&granted, "read-events"));
        assert!(!has(&granted, "delete-any-message"));
        assert!(!has(&granted, "update-channel-members"), "team members do not manage members");
        let admin = access("admin", None, false);
        assert!(has(&capabilities(&admin, &team, &config), "delete-any-message"));
    }

    #[test]
    fn livestream_is_open_and_frozen_blocks_writers() {
        let mut live = channel("livestream");
        let config = channel_type_config("livestream", live.created_at).unwrap();
        let anyone = access("user", None, false);
        assert!(has(&capabilities(&anyone, &live, &config), "send-message"));
        assert!(!has(&capabilities(&anyone, &live, &config), "send-typing-events"), "typing is off on livestream");
        live.frozen = true;
        assert!(!has(&capabilities(&anyone, &live, &config), "send-message"));
        let moderator = access("user", Some("channel_moderator"), false);
        assert!(has(&capabilities(&moderator, &live, &config), "send-message"));
    }

    #[test]
    fn owner_manages_and_disabled_channels_are_closed() {
        let mut messaging = channel("messaging");
        let config = channel_type_config("messaging", messaging.created_at).unwrap();
        let owner = access("user", Some("channel_member"), true);
        assert!(has(&capabilities(&owner, &messaging, &config), "delete-channel"));
        assert!(can_truncate(&owner));
        messaging.disabled = true;
        assert!(!can_read(&owner, &messaging));
        assert!(can_read(&access("admin", None, false), &messaging));
    }

    #[test]
    fn banned_users_read_but_do_not_write() {
        let team = channel("team");
        let config = channel_type_config("team", team.created_at).unwrap();
        let banned = Access { banned: true, ..access("user", Some("channel_member"), false) };
        let granted = capabilities(&banned, &team, &config);
        assert!(can_read(&banned, &team));
        for refused in ["send-message", "send-reply", "send-reaction", "send-typing-events", "update-own-message"] {
            assert!(!has(&granted, refused), "{refused}");
        }
        assert!(has(&granted, "read-events"));
    }

    #[test]
    fn unknown_types_have_no_config() {
        assert!(channel_type_config("nope", Utc::now()).is_none());
        for name in DEFAULT_CHANNEL_TYPES {
            assert_eq!(channel_type_config(name, Utc::now()).unwrap().max_message_length, 5000);
        }
    }
}
