//! Creating apps and changing their settings.

use crate::error::{CoreError, CoreResult};
use crate::model::{App, AppSettings, EventHook, RateLimitSetting, UploadRules};
use crate::secret::Secret;
use crate::store::{NewApp, Tx};
use chrono::{DateTime, Utc};
use rill_protocol::limits;
use rill_protocol::request::{EventHookRequest, UpdateAppRequest, UploadConfigRequest};

/// Random lowercase letters and digits, from the operating system's randomness (through uuid v4).
fn random_token(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = String::with_capacity(length);
    while token.len() < length {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if token.len() == length {
                break;
            }
            // 252 is the largest multiple of 36 below 256: rejecting larger bytes keeps the draw unbiased.
            if *byte < 252 {
                token.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
            }
        }
    }
    token
}

/// Creates an app with a fresh API key (12 characters, like Stream's) and secret (64 characters).
pub async fn create_app(tx: &mut dyn Tx, name: &str, now: DateTime<Utc>) -> CoreResult<App> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(CoreError::input("app name must have 1 to 100 characters"));
    }
    let app = NewApp {
        name: name.to_owned(),
        api_key: random_token(12),
        api_secret: Secret::new(random_token(64)),
        settings: AppSettings::default(),
        created_at: now,
    };
    tx.create_app(&app).await
}

/// Applies `PATCH /app` to the app as stored (`cached` names it).
pub async fn update_app(
    tx: &mut dyn Tx,
    cached: &App,
    request: &UpdateAppRequest,
    now: DateTime<Utc>,
) -> CoreResult<App> {
    let mut app = app_for_update(tx, cached.id).await?;
    let mut settings = app.settings.clone();
    if let Some(value) = request.disable_auth_checks {
        settings.disable_auth_checks = value;
    }
    if let Some(value) = request.disable_permissions_checks {
        settings.disable_permissions_checks = value;
    }
    if let Some(value) = &request.revoke_tokens_issued_before {
        settings.revoke_tokens_issued_before = match value {
            None => None,
            Some(text) => Some(rill_protocol::time::parse(text).ok_or_else(|| {
                CoreError::input(format!("revoke_tokens_issued_before {text:?} is not an RFC 3339 time"))
            })?),
        };
    }
    if let Some(url) = &request.webhook_url {
        if !url.is_empty() {
            check_webhook_url(url, "webhook_url")?;
        }
        settings.webhook_url = url.clone();
    }
    if let Some(events) = &request.webhook_events {
        check_event_types(events, "webhook_events")?;
        settings.webhook_events = events.clone();
    }
    if let Some(rules) = &request.file_upload_config {
        settings.file_uploads = upload_rules(rules, "file_upload_config")?;
    }
    if let Some(rules) = &request.image_upload_config {
        settings.image_uploads = upload_rules(rules, "image_upload_config")?;
    }
    if let Some(hooks) = &request.event_hooks {
        settings.event_hooks = event_hooks(&app.settings.event_hooks, hooks, now)?;
    }
    if let Some(mode) = &request.enforce_unique_usernames {
        if !matches!(mode.as_str(), "no" | "app" | "team") {
            return Err(CoreError::input(format!(
                "enforce_unique_usernames must be one of no, app, team; got {mode:?}"
            )));
        }
        settings.enforce_unique_usernames = mode.clone();
    }
    if let Some(value) = request.guest_user_creation_disabled {
        settings.guest_user_creation_disabled = value;
    }
    crate::ops::push::apply_app_config(
        tx,
        app.id,
        &mut settings.push,
        request.push_config.as_ref(),
        request.firebase_config.as_ref(),
        request.apn_config.as_ref(),
        now,
    )
    .await?;
    app.settings = settings;
    save_settings(tx, &mut app).await?;
    Ok(app)
}

fn upload_rules(request: &UploadConfigRequest, what: &str) -> CoreResult<UploadRules> {
    let size_limit = request.size_limit.unwrap_or(0);
    let largest = crate::model::MAX_UPLOAD_BYTES as i64;
    if !(0..=largest).contains(&size_limit) {
        return Err(CoreError::input(format!("{what}.size_limit must be 0 (the default, 100 MB) to {largest} bytes")));
    }
    let lists = [
        &request.allowed_file_extensions,
        &request.blocked_file_extensions,
        &request.allowed_mime_types,
        &request.blocked_mime_types,
    ];
    if lists.iter().any(|list| list.len() > 100 || list.iter().any(|entry| entry.is_empty() || entry.len() > 100)) {
        return Err(CoreError::input(format!("{what} lists at most 100 entries of 1 to 100 bytes each")));
    }
    Ok(UploadRules {
        size_limit: size_limit as u64,
        allowed_file_extensions: request.allowed_file_extensions.clone(),
        blocked_file_extensions: request.blocked_file_extensions.clone(),
        allowed_mime_types: request.allowed_mime_types.clone(),
        blocked_mime_types: request.blocked_mime_types.clone(),
    })
}

/// An absolute http(s) URL with a host and no credentials, within [`limits::MAX_WEBHOOK_URL_BYTES`].
fn check_webhook_url(url: &str, what: &str) -> CoreResult<()> {
    let shown = limits::truncated(url);
    if url.len() > limits::MAX_WEBHOOK_URL_BYTES {
        return Err(CoreError::input(format!("{what} is longer than {} bytes", limits::MAX_WEBHOOK_URL_BYTES)));
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let authority = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match authority {
        Some(authority) if !authority.is_empty() && !authority.contains('@') && !url.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(CoreError::input(format!(
            "{what} {shown:?} must be an absolute http or https URL with a host and no user name or password"
        ))),
    }
}

fn check_event_types(types: &[String], what: &str) -> CoreResult<()> {
    if types.len() > limits::MAX_HOOK_EVENT_TYPES {
        return Err(CoreError::input(format!("{what} names more than {} event types", limits::MAX_HOOK_EVENT_TYPES)));
    }
    match types.iter().find(|name| name.is_empty() || name.len() > 64) {
        Some(name) => {
            Err(CoreError::input(format!("{what} names {:?}, which is not an event type", limits::truncated(name))))
        }
        None => Ok(()),
    }
}

/// The app's new `event_hooks`: each validated; a hook keeps its id and `created_at` when the request names an
/// existing id, and gets a fresh id otherwise.
fn event_hooks(existing: &[EventHook], hooks: &[EventHookRequest], now: DateTime<Utc>) -> CoreResult<Vec<EventHook>> {
    if hooks.len() > limits::MAX_EVENT_HOOKS {
        return Err(CoreError::input(format!("event_hooks holds more than {} hooks", limits::MAX_EVENT_HOOKS)));
    }
    let mut out: Vec<EventHook> = Vec::with_capacity(hooks.len());
    for (index, hook) in hooks.iter().enumerate() {
        let what = format!("event_hooks[{index}]");
        match hook.hook_type.as_deref().unwrap_or("webhook") {
            "webhook" => {}
            other => {
                return Err(CoreError::input(format!(
                    "{what}.hook_type {:?} is not served by Rill (only \"webhook\")",
                    limits::truncated(other)
                )))
            }
        }
        let url = hook.webhook_url.as_deref().unwrap_or_default();
        check_webhook_url(url, &format!("{what}.webhook_url"))?;
        let event_types = hook.event_types.clone().unwrap_or_default();
        check_event_types(&event_types, &format!("{what}.event_types"))?;
        let (low, high, default) = limits::WEBHOOK_TIMEOUT_MS;
        let timeout_ms = hook.timeout_ms.unwrap_or(default);
        if !(low..=high).contains(&timeout_ms) {
            return Err(CoreError::input(format!("{what}.timeout_ms must be {low} to {high}, got {timeout_ms}")));
        }
        let known = hook.id.as_deref().and_then(|id| existing.iter().find(|old| old.id == id));
        if hook.id.as_deref().is_some_and(|id| out.iter().any(|done| done.id == id)) {
            return Err(CoreError::input(format!("{what}.id names a hook listed twice")));
        }
        out.push(EventHook {
            id: known.map_or_else(|| uuid::Uuid::new_v4().to_string(), |old| old.id.clone()),
            webhook_url: url.to_owned(),
            event_types,
            enabled: hook.enabled.unwrap_or(true),
            timeout_ms,
            created_at: known.map_or(now, |old| old.created_at),
            updated_at: now,
        });
    }
    Ok(out)
}

/// Sets an app's rate limits (`rill app set-rate-limits`).
pub async fn set_rate_limits(tx: &mut dyn Tx, app_id: i64, setting: RateLimitSetting) -> CoreResult<App> {
    let mut app = app_for_update(tx, app_id).await?;
    app.settings.rate_limits = setting;
    save_settings(tx, &mut app).await?;
    Ok(app)
}

/// The app with this id (for the command line; requests find theirs by API key). Cost: the apps' rows.
/// The app as stored, its row locked until the commit: the start of every change to its settings (the cached
/// app may miss a change made a moment ago by another request, node or command).
pub async fn app_for_update(tx: &mut dyn Tx, app_id: i64) -> CoreResult<App> {
    tx.lock_app(app_id).await?;
    app_by_id(tx, app_id).await
}

/// Writes the app's settings as its next revision (which the app cache uses to keep the newest copy).
pub async fn save_settings(tx: &mut dyn Tx, app: &mut App) -> CoreResult<()> {
    app.settings.revision += 1;
    tx.update_app_settings(app.id, &app.settings).await
}

pub async fn app_by_id(tx: &mut dyn Tx, app_id: i64) -> CoreResult<App> {
    tx.apps()
        .await?
        .into_iter()
        .find(|app| app.id == app_id)
        .ok_or_else(|| CoreError::not_found(format!("app {app_id} does not exist")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_have_the_requested_shape() {
        let token = super::random_token(64);
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()));
        assert_ne!(super::random_token(12), super::random_token(12));
    }
}
