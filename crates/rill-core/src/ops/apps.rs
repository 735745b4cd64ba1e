//! Creating apps and changing their settings.

use crate::error::{CoreError, CoreResult};
use crate::model::{App, AppSettings, RateLimitSetting};
use crate::secret::Secret;
use crate::store::{NewApp, Tx};
use chrono::{DateTime, Utc};
use rill_protocol::request::UpdateAppRequest;

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

/// Applies `PATCH /app`.
pub async fn update_app(tx: &mut dyn Tx, app: &App, request: &UpdateAppRequest) -> CoreResult<App> {
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
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CoreError::input(format!("webhook_url {url:?} must be an http or https URL")));
        }
        settings.webhook_url = url.clone();
    }
    if let Some(events) = &request.webhook_events {
        settings.webhook_events = events.clone();
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
    tx.update_app_settings(app.id, &settings).await?;
    Ok(App { settings, ..app.clone() })
}

/// Sets an app's rate limits (`rill app set-rate-limits`).
pub async fn set_rate_limits(tx: &mut dyn Tx, app_id: i64, setting: RateLimitSetting) -> CoreResult<App> {
    let mut app = app_by_id(tx, app_id).await?;
    app.settings.rate_limits = setting;
    tx.update_app_settings(app.id, &app.settings).await?;
    Ok(app)
}

/// The app with this id (for the command line; requests find theirs by API key). Cost: the apps' rows.
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
