//! How values are stored, the same on every backend: times as microseconds since the Unix epoch (UTC), app
//! settings as one JSON object, and the assembly of a page's ranked reactions.

use crate::error::{CoreError, CoreResult};
use crate::model::{
    AppSettings, EventHook, MessageReactions, Plan, PushKind, PushProvider, PushSettings, RateLimitSetting, Reaction,
    UploadRules,
};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub(crate) fn micros(time: &DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn optional_micros(time: &Option<DateTime<Utc>>) -> Option<i64> {
    time.as_ref().map(micros)
}

pub(crate) fn time(micros: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

pub(crate) fn optional_time(micros: Option<i64>) -> Option<DateTime<Utc>> {
    micros.map(time)
}

pub(crate) fn json_map(text: &str) -> CoreResult<Map<String, Value>> {
    Ok(serde_json::from_str(text)?)
}

pub(crate) fn settings_to_json(settings: &AppSettings) -> Value {
    let rate_limits = match settings.rate_limits {
        RateLimitSetting::StreamDefaults => json!("defaults"),
        RateLimitSetting::Off => json!("off"),
        RateLimitSetting::PerMinute(limit) => json!(limit),
    };
    json!({
        "disable_auth_checks": settings.disable_auth_checks,
        "disable_permissions_checks": settings.disable_permissions_checks,
        "revoke_tokens_issued_before": optional_micros(&settings.revoke_tokens_issued_before),
        "webhook_url": settings.webhook_url,
        "webhook_events": settings.webhook_events,
        "event_hooks": settings.event_hooks.iter().map(|hook| json!({
            "id": hook.id,
            "webhook_url": hook.webhook_url,
            "event_types": hook.event_types,
            "enabled": hook.enabled,
            "timeout_ms": hook.timeout_ms,
            "created_at": micros(&hook.created_at),
            "updated_at": micros(&hook.updated_at),
        })).collect::<Vec<_>>(),
        "file_uploads": rules_to_json(&settings.file_uploads),
        "image_uploads": rules_to_json(&settings.image_uploads),
        "channel_types": settings.channel_types,
        "push": {
            "version": settings.push.version,
            "offline_only": settings.push.offline_only,
            "enabled": settings.push.enabled.iter().map(|(kind, name)| json!([kind.as_str(), name])).collect::<Vec<_>>(),
        },
        "enforce_unique_usernames": settings.enforce_unique_usernames,
        "guest_user_creation_disabled": settings.guest_user_creation_disabled,
        "suspended": settings.suspended,
        "rate_limits": rate_limits,
        "plan": {"name": settings.plan.name, "max_mau": settings.plan.max_mau, "max_messages": settings.plan.max_messages},
        "revision": settings.revision,
    })
}

pub(crate) fn settings_from_json(value: &Value) -> AppSettings {
    let defaults = AppSettings::default();
    let flag = |key: &str| value.get(key).and_then(Value::as_bool).unwrap_or(false);
    let rate_limits = match value.get("rate_limits") {
        Some(Value::String(text)) if text == "off" => RateLimitSetting::Off,
        Some(Value::Number(limit)) => {
            RateLimitSetting::PerMinute(limit.as_u64().unwrap_or(0).min(u64::from(u32::MAX)) as u32)
        }
        _ => RateLimitSetting::StreamDefaults,
    };
    AppSettings {
        disable_auth_checks: flag("disable_auth_checks"),
        disable_permissions_checks: flag("disable_permissions_checks"),
        revoke_tokens_issued_before: value.get("revoke_tokens_issued_before").and_then(Value::as_i64).map(time),
        webhook_url: value.get("webhook_url").and_then(Value::as_str).unwrap_or_default().to_owned(),
        webhook_events: value
            .get("webhook_events")
            .and_then(Value::as_array)
            .map(|events| events.iter().filter_map(|event| event.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        enforce_unique_usernames: value
            .get("enforce_unique_usernames")
            .and_then(Value::as_str)
            .unwrap_or(&defaults.enforce_unique_usernames)
            .to_owned(),
        guest_user_creation_disabled: flag("guest_user_creation_disabled"),
        suspended: flag("suspended"),
        revision: value.get("revision").and_then(Value::as_u64).unwrap_or(0),
        rate_limits,
        // Apps stored before plans existed are unlimited, as they were.
        plan: match value.get("plan") {
            Some(plan) => Plan {
                name: plan.get("name").and_then(Value::as_str).unwrap_or("custom").to_owned(),
                max_mau: plan.get("max_mau").and_then(Value::as_u64),
                max_messages: plan.get("max_messages").and_then(Value::as_u64),
            },
            None => defaults.plan.clone(),
        },
        event_hooks: value
            .get("event_hooks")
            .and_then(Value::as_array)
            .map(|hooks| hooks.iter().map(hook_from_json).collect())
            .unwrap_or_default(),
        file_uploads: rules_from_json(value.get("file_uploads")),
        image_uploads: rules_from_json(value.get("image_uploads")),
        push: push_from_json(value.get("push")),
        // A stored type that no longer reads (an older shape) is dropped rather than failing the app.
        channel_types: value
            .get("channel_types")
            .and_then(Value::as_array)
            .map(|types| types.iter().filter_map(|config| serde_json::from_value(config.clone()).ok()).collect())
            .unwrap_or_default(),
    }
}

fn rules_to_json(rules: &UploadRules) -> Value {
    json!({
        "size_limit": rules.size_limit,
        "allowed_file_extensions": rules.allowed_file_extensions,
        "blocked_file_extensions": rules.blocked_file_extensions,
        "allowed_mime_types": rules.allowed_mime_types,
        "blocked_mime_types": rules.blocked_mime_types,
    })
}

fn push_from_json(value: Option<&Value>) -> PushSettings {
    let defaults = PushSettings::default();
    let Some(value) = value else { return defaults };
    let enabled = value.get("enabled").and_then(Value::as_array).map(|pairs| {
        pairs
            .iter()
            .filter_map(|pair| {
                let kind = PushKind::parse(pair.get(0)?.as_str()?)?;
                Some((kind, pair.get(1)?.as_str()?.to_owned()))
            })
            .collect()
    });
    PushSettings {
        version: value.get("version").and_then(Value::as_str).unwrap_or(&defaults.version).to_owned(),
        offline_only: value.get("offline_only").and_then(Value::as_bool).unwrap_or(defaults.offline_only),
        enabled: enabled.unwrap_or_default(),
    }
}

/// A push provider's settings other than its credentials, as its row's `config` column holds them.
pub(crate) fn push_config_to_json(provider: &PushProvider) -> String {
    json!({
        "description": provider.description,
        "key_id": provider.key_id,
        "team_id": provider.team_id,
        "topic": provider.topic,
        "development": provider.development,
        "host": provider.host,
        "notification_template": provider.notification_template,
        "data_template": provider.data_template,
        "apn_template": provider.apn_template,
        "disabled_at": optional_micros(&provider.disabled_at),
        "disabled_reason": provider.disabled_reason,
    })
    .to_string()
}

/// A provider from its row: kind, name, `config`, the opened credentials and the times.
pub(crate) fn push_provider_from_row(
    kind: &str,
    name: String,
    config: &str,
    credentials: Option<crate::secret::Secret>,
    created_at: i64,
    updated_at: i64,
) -> CoreResult<PushProvider> {
    let kind = PushKind::parse(kind).ok_or_else(|| CoreError::internal(format!("unknown push kind {kind:?}")))?;
    let config: Value = serde_json::from_str(config).map_err(|error| CoreError::internal(error.to_string()))?;
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(PushProvider {
        kind,
        name,
        description: text("description"),
        credentials,
        key_id: text("key_id"),
        team_id: text("team_id"),
        topic: text("topic"),
        development: config.get("development").and_then(Value::as_bool).unwrap_or(false),
        host: text("host"),
        notification_template: text("notification_template"),
        data_template: text("data_template"),
        apn_template: text("apn_template"),
        disabled_at: config.get("disabled_at").and_then(Value::as_i64).map(time),
        disabled_reason: config.get("disabled_reason").and_then(Value::as_str).map(str::to_owned),
        created_at: time(created_at),
        updated_at: time(updated_at),
    })
}

fn rules_from_json(value: Option<&Value>) -> UploadRules {
    let Some(value) = value else { return UploadRules::default() };
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    UploadRules {
        size_limit: value.get("size_limit").and_then(Value::as_u64).unwrap_or(0),
        allowed_file_extensions: list("allowed_file_extensions"),
        blocked_file_extensions: list("blocked_file_extensions"),
        allowed_mime_types: list("allowed_mime_types"),
        blocked_mime_types: list("blocked_mime_types"),
    }
}

fn hook_from_json(hook: &Value) -> EventHook {
    let text = |key: &str| hook.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let at = |key: &str| time(hook.get(key).and_then(Value::as_i64).unwrap_or(0));
    EventHook {
        id: text("id"),
        webhook_url: text("webhook_url"),
        event_types: hook
            .get("event_types")
            .and_then(Value::as_array)
            .map(|types| types.iter().filter_map(|event| event.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        enabled: hook.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        timeout_ms: hook
            .get("timeout_ms")
            .and_then(Value::as_i64)
            .unwrap_or(rill_protocol::limits::WEBHOOK_TIMEOUT_MS.2),
        created_at: at("created_at"),
        updated_at: at("updated_at"),
    }
}

/// One row of a page's ranked reactions (see `message_reactions` in each backend): the reaction, its rank
/// among its message's newest, and when its type was first and last used on the message.
pub(crate) struct RankedReaction {
    pub(crate) reaction: Reaction,
    pub(crate) rank: i64,
    pub(crate) first_at: i64,
    pub(crate) last_at: i64,
}

/// Files a ranked row into its message's reactions: its type's group, the viewer's own, the latest few.
pub(crate) fn collect_reaction(
    result: &mut HashMap<String, MessageReactions>,
    row: RankedReaction,
    viewer: Option<&str>,
    latest: usize,
) {
    let RankedReaction { reaction, rank, first_at, last_at } = row;
    let entry = result.entry(reaction.message_id.clone()).or_default();
    entry.groups.insert(reaction.reaction_type.clone(), (time(first_at), time(last_at)));
    if viewer == Some(reaction.user_id.as_str()) {
        entry.own.push(reaction.clone());
    }
    if rank as usize <= latest {
        entry.latest.push(reaction);
    }
}
