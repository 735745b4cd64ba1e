//! Push: the app's providers (`firebase_config` and `apn_config` in `PATCH /app`, the named ones of
//! `/push_providers`), who gets a new message's push (the notes' §11) and what it carries (templates).

use crate::error::{CoreError, CoreResult};
use crate::model::{App, Channel, Device, Message, PushKind, PushProvider, PushSettings, UnreadTotals, User};
use crate::ops::{Context, Outcome};
use crate::secret::Secret;
use crate::store::{JobKind, NewJob, Tx};
use chrono::{DateTime, Utc};
use rill_protocol::limits::{truncated, MAX_PUSH_PROVIDER_NAME_BYTES, MAX_PUSH_SECRET_BYTES, MAX_PUSH_TEMPLATE_BYTES};
use rill_protocol::request::{ApnConfigRequest, FirebaseConfigRequest, PushConfigRequest, PushProviderRequest};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// How long a push job may take per attempt before its lease is renewed, and how long the worker waits on a
/// provider (the delivery's `timeout_ms`).
pub const PUSH_TIMEOUT_MS: i64 = 10_000;

/// Applies `push_config`, `firebase_config` and `apn_config` of `PATCH /app`, and brings `settings.enabled` up to
/// date with the providers' rows.
pub async fn apply_app_config(
    tx: &mut dyn Tx,
    app_id: i64,
    settings: &mut PushSettings,
    push: Option<&PushConfigRequest>,
    firebase: Option<&FirebaseConfigRequest>,
    apn: Option<&ApnConfigRequest>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    if let Some(push) = push {
        if let Some(version) = &push.version {
            if !matches!(version.as_str(), "v1" | "v2" | "v3") {
                return Err(CoreError::input(format!(
                    "push_config.version must be v1, v2 or v3, got {:?}",
                    truncated(version)
                )));
            }
            settings.version = version.clone();
        }
        if let Some(offline_only) = push.offline_only {
            settings.offline_only = offline_only;
        }
    }
    if firebase.is_none() && apn.is_none() {
        return Ok(());
    }
    let providers = tx.push_providers(app_id).await?;
    let existing =
        |kind: PushKind| providers.iter().find(|provider| provider.kind == kind && provider.name.is_empty()).cloned();
    if let Some(request) = firebase {
        let mut provider =
            existing(PushKind::Firebase).unwrap_or_else(|| PushProvider::new(PushKind::Firebase, "", now));
        apply_firebase(&mut provider, request, "firebase_config")?;
        provider.updated_at = now;
        tx.put_push_provider(app_id, &provider).await?;
    }
    if let Some(request) = apn {
        let mut provider = existing(PushKind::Apn).unwrap_or_else(|| PushProvider::new(PushKind::Apn, "", now));
        apply_apn(&mut provider, request, now)?;
        provider.updated_at = now;
        tx.put_push_provider(app_id, &provider).await?;
    }
    refresh_enabled(tx, app_id, settings).await
}

/// Records which providers can send, from their rows. Cost: the app's providers.
async fn refresh_enabled(tx: &mut dyn Tx, app_id: i64, settings: &mut PushSettings) -> CoreResult<()> {
    settings.enabled = tx
        .push_providers(app_id)
        .await?
        .into_iter()
        .filter(PushProvider::enabled)
        .map(|provider| (provider.kind, provider.name))
        .collect();
    Ok(())
}

fn apply_firebase(provider: &mut PushProvider, request: &FirebaseConfigRequest, what: &str) -> CoreResult<()> {
    if request.server_key.as_deref().is_some_and(|key| !key.is_empty()) {
        return Err(CoreError::input(format!(
            "{what}.server_key (the legacy FCM API) is not supported: give credentials_json, a service account for FCM HTTP v1"
        )));
    }
    if let Some(credentials) = &request.credentials_json {
        provider.credentials = if credentials.is_empty() {
            None
        } else {
            check_service_account(credentials, &format!("{what}.credentials_json"))?;
            Some(Secret::new(credentials.clone()))
        };
    }
    set_template(
        &mut provider.notification_template,
        request.notification_template.as_ref(),
        what,
        "notification_template",
    )?;
    set_template(&mut provider.data_template, request.data_template.as_ref(), what, "data_template")?;
    set_template(&mut provider.apn_template, request.apn_template.as_ref(), what, "apn_template")?;
    if let Some(disabled) = request.disabled {
        set_disabled(provider, disabled);
    }
    Ok(())
}

fn apply_apn(provider: &mut PushProvider, request: &ApnConfigRequest, _now: DateTime<Utc>) -> CoreResult<()> {
    let what = "apn_config";
    check_token_auth(request.auth_type.as_deref(), request.p12_cert.as_deref(), what)?;
    if let Some(key) = &request.auth_key {
        provider.credentials = if key.is_empty() {
            None
        } else {
            check_p8(key, &format!("{what}.auth_key"))?;
            Some(Secret::new(key.clone()))
        };
    }
    set_field(&mut provider.key_id, request.key_id.as_ref(), &format!("{what}.key_id"), 64)?;
    set_field(&mut provider.team_id, request.team_id.as_ref(), &format!("{what}.team_id"), 64)?;
    set_field(&mut provider.topic, request.bundle_id.as_ref(), &format!("{what}.bundle_id"), 255)?;
    if let Some(host) = &request.host {
        check_host(host, &format!("{what}.host"))?;
        provider.host = host.clone();
    }
    if let Some(development) = request.development {
        provider.development = development;
    }
    set_template(
        &mut provider.notification_template,
        request.notification_template.as_ref(),
        what,
        "notification_template",
    )?;
    if let Some(disabled) = request.disabled {
        set_disabled(provider, disabled);
    }
    Ok(())
}

fn set_disabled(provider: &mut PushProvider, disabled: bool) {
    if disabled {
        provider.disabled_at.get_or_insert(provider.updated_at);
        provider.disabled_reason.get_or_insert_with(|| "disabled in the app settings".into());
    } else {
        provider.disabled_at = None;
        provider.disabled_reason = None;
    }
}

/// Only token (`.p8`) authentication: certificates (`p12`) are not served.
fn check_token_auth(auth_type: Option<&str>, p12: Option<&str>, what: &str) -> CoreResult<()> {
    if p12.is_some_and(|cert| !cert.is_empty()) || auth_type.is_some_and(|kind| kind != "token") {
        return Err(CoreError::input(format!(
            "{what}: only token authentication (auth_type \"token\" with a .p8 auth_key) is supported, not certificates"
        )));
    }
    Ok(())
}

fn set_field(field: &mut String, value: Option<&String>, what: &str, max: usize) -> CoreResult<()> {
    let Some(value) = value else { return Ok(()) };
    if value.len() > max || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(CoreError::input(format!("{what} must have at most {max} bytes and no spaces")));
    }
    *field = value.clone();
    Ok(())
}

fn set_template(field: &mut String, value: Option<&String>, what: &str, name: &str) -> CoreResult<()> {
    let Some(template) = value else { return Ok(()) };
    check_template(template, &format!("{what}.{name}"))?;
    *field = template.clone();
    Ok(())
}

/// A service account's JSON, as Google issues it: what the FCM client needs must be there.
fn check_service_account(credentials: &str, what: &str) -> CoreResult<()> {
    if credentials.len() > MAX_PUSH_SECRET_BYTES {
        return Err(CoreError::input(format!("{what} is longer than {MAX_PUSH_SECRET_BYTES} bytes")));
    }
    let account: Value = serde_json::from_str(credentials)
        .map_err(|_| CoreError::input(format!("{what} must be a service account's JSON (it does not parse)")))?;
    if account.get("type").and_then(Value::as_str) != Some("service_account") {
        return Err(CoreError::input(format!(
            "{what} must be a service account's JSON (\"type\": \"service_account\")"
        )));
    }
    for field in ["project_id", "client_email", "private_key", "token_uri"] {
        if account.get(field).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(CoreError::input(format!("{what} lacks {field}")));
        }
    }
    if !account["private_key"].as_str().unwrap_or_default().contains("-----BEGIN PRIVATE KEY-----") {
        return Err(CoreError::input(format!("{what}: private_key must be a PEM PKCS#8 key")));
    }
    check_host(account["token_uri"].as_str().unwrap_or_default(), &format!("{what}: token_uri"))
}

fn check_p8(key: &str, what: &str) -> CoreResult<()> {
    if key.len() > MAX_PUSH_SECRET_BYTES || !key.contains("-----BEGIN PRIVATE KEY-----") {
        return Err(CoreError::input(format!("{what} must be the text of a .p8 key (a PEM PKCS#8 private key)")));
    }
    Ok(())
}

/// An absolute http(s) URL without credentials (an endpoint override or a token URI).
fn check_host(url: &str, what: &str) -> CoreResult<()> {
    if url.is_empty() {
        return Ok(());
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !host.contains('@') && url.len() <= 1024 => Ok(()),
        _ => Err(CoreError::input(format!("{what} must be an absolute http(s) URL with a host and no credentials"))),
    }
}

/// `GET /push_providers`: the named providers.
pub async fn list_providers(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<Vec<PushProvider>> {
    Ok(tx.push_providers(ctx.app_id()).await?.into_iter().filter(|provider| !provider.name.is_empty()).collect())
}

/// A provider change and the app settings it leaves (whose `push.enabled` changed with it).
#[derive(Debug, Clone)]
pub struct ProviderChange {
    pub provider: Option<PushProvider>,
    pub app: App,
}

/// `POST /push_providers`: creates or replaces a named provider; a secret left out keeps the stored one.
pub async fn upsert_provider(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &PushProviderRequest,
) -> CoreResult<Outcome<ProviderChange>> {
    let kind = provider_kind(&request.kind)?;
    let name = request.name.trim();
    if name.is_empty()
        || name.len() > MAX_PUSH_PROVIDER_NAME_BYTES
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(CoreError::input(format!(
            "push_provider.name must have 1 to {MAX_PUSH_PROVIDER_NAME_BYTES} letters, digits, '-', '_' or '.'"
        )));
    }
    let stored = tx.push_providers(ctx.app_id()).await?.into_iter().find(|old| old.kind == kind && old.name == name);
    let mut provider = PushProvider::new(kind, name, ctx.now);
    if let Some(stored) = &stored {
        provider.created_at = stored.created_at;
        provider.credentials = stored.credentials.clone();
    }
    provider.description = request.description.clone().unwrap_or_default();
    if provider.description.len() > 1024 {
        return Err(CoreError::input("push_provider.description is longer than 1024 bytes"));
    }
    match kind {
        PushKind::Firebase => {
            let config = FirebaseConfigRequest {
                credentials_json: request.firebase_credentials.clone().filter(|text| !text.is_empty()),
                server_key: request.firebase_server_key.clone(),
                notification_template: request.firebase_notification_template.clone(),
                data_template: request.firebase_data_template.clone(),
                apn_template: request.firebase_apn_template.clone(),
                disabled: None,
            };
            apply_firebase(&mut provider, &config, "push_provider")?;
            if let Some(host) = &request.firebase_host {
                check_host(host, "push_provider.firebase_host")?;
                provider.host = host.clone();
            }
        }
        PushKind::Apn => {
            let config = ApnConfigRequest {
                auth_type: request.apn_auth_type.clone(),
                auth_key: request.apn_auth_key.clone().filter(|text| !text.is_empty()),
                p12_cert: request.apn_p12_cert.clone(),
                key_id: request.apn_key_id.clone(),
                team_id: request.apn_team_id.clone(),
                bundle_id: request.apn_topic.clone(),
                development: request.apn_development,
                host: request.apn_host.clone(),
                notification_template: request.apn_notification_template.clone(),
                disabled: None,
            };
            apply_apn(&mut provider, &config, ctx.now)?;
        }
    }
    if let Some(at) = request.disabled_at.as_deref().filter(|at| !at.is_empty()) {
        let at = rill_protocol::time::parse(at).ok_or_else(|| {
            CoreError::input(format!("push_provider.disabled_at {:?} is not an RFC 3339 time", truncated(at)))
        })?;
        provider.disabled_at = Some(at);
        provider.disabled_reason = request.disabled_reason.clone().or_else(|| Some("disabled".into()));
    }
    if provider.credentials.is_none() {
        let secret = if kind == PushKind::Firebase { "firebase_credentials" } else { "apn_auth_key" };
        return Err(CoreError::input(format!("push_provider.{secret} is required")));
    }
    tx.put_push_provider(ctx.app_id(), &provider).await?;
    let app = app_with_refreshed_push(tx, ctx).await?;
    Ok(Outcome::new(ProviderChange { provider: Some(provider), app }))
}

/// `DELETE /push_providers/{type}/{name}`.
pub async fn delete_provider(
    tx: &mut dyn Tx,
    ctx: &Context,
    kind: &str,
    name: &str,
) -> CoreResult<Outcome<ProviderChange>> {
    let kind = provider_kind(kind)?;
    if name.is_empty() || !tx.delete_push_provider(ctx.app_id(), kind, name).await? {
        return Err(CoreError::not_found(format!("there is no {} push provider {:?}", kind.as_str(), truncated(name))));
    }
    let app = app_with_refreshed_push(tx, ctx).await?;
    Ok(Outcome::new(ProviderChange { provider: None, app }))
}

fn provider_kind(kind: &str) -> CoreResult<PushKind> {
    PushKind::parse(kind).ok_or_else(|| match kind {
        "huawei" | "xiaomi" => {
            CoreError::input(format!("push provider type {kind} is not served by Rill (firebase and apn are)"))
        }
        other => CoreError::input(format!("push provider type must be firebase or apn, got {:?}", truncated(other))),
    })
}

async fn app_with_refreshed_push(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<App> {
    let mut app = crate::ops::apps::app_for_update(tx, ctx.app_id()).await?;
    refresh_enabled(tx, app.id, &mut app.settings.push).await?;
    crate::ops::apps::save_settings(tx, &mut app).await?;
    Ok(app)
}

/// The push job of a new message, written with it, when the message is one that pushes (§11: not `skip_push`,
/// not silent, not a shadow-banned sender's, not a system message, in a type with push on) and the app has a
/// provider that can send. Who gets it is decided when the job runs.
pub async fn enqueue_message_push(
    tx: &mut dyn Tx,
    ctx: &Context,
    message: &Message,
    skip_push: bool,
    type_pushes: bool,
) -> CoreResult<()> {
    let pushes = !skip_push
        && !message.silent
        && !message.shadowed
        && matches!(message.message_type.as_str(), "regular" | "reply")
        && type_pushes;
    if !pushes || ctx.app.settings.push.enabled.is_empty() {
        return Ok(());
    }
    let job = NewJob {
        kind: JobKind::Push,
        delivery_id: format!("push-{}", message.id),
        target: message.cid.clone(),
        timeout_ms: PUSH_TIMEOUT_MS,
        event_type: "message.new".into(),
        body: json!({"message_id": message.id}).to_string(),
    };
    tx.enqueue_jobs(ctx.app_id(), std::slice::from_ref(&job), ctx.now).await
}

/// One recipient of a push: the user, their devices not yet pushed to, and their unread totals (the badge).
#[derive(Debug, Clone)]
pub struct PushTarget {
    pub user: User,
    pub devices: Vec<Device>,
    pub unread: UnreadTotals,
}

/// Everything a push of one message needs, read when the job runs.
#[derive(Debug, Clone)]
pub struct PushPlan {
    pub message: Message,
    pub channel: Channel,
    pub sender: User,
    pub targets: Vec<PushTarget>,
    /// The app's providers that can send.
    pub providers: Vec<PushProvider>,
}

/// Who gets the push of a message now (§11): members of its channel with enabled devices, never the sender,
/// not deactivated, deleted or banned (app-wide or in the channel), not having muted the channel or the sender,
/// for a thread reply only the thread's participants and the users it mentions, and only devices whose push of
/// this message is not settled yet. `None` when the message is gone or no longer pushes. Online recipients are
/// left to the caller, which knows the connections. Cost: the channel's members (an index join to devices),
/// then lookups for those with devices.
pub async fn plan(tx: &mut dyn Tx, app_id: i64, message_id: &str, now: DateTime<Utc>) -> CoreResult<Option<PushPlan>> {
    let Some(message) = tx.message(app_id, message_id).await? else { return Ok(None) };
    if message.deleted_at.is_some() || message.shadowed || message.silent {
        return Ok(None);
    }
    let Some(channel) = tx.channel(app_id, &message.cid).await? else { return Ok(None) };
    let Some(sender) = tx.user(app_id, &message.user_id).await? else { return Ok(None) };
    let mut devices = tx.channel_push_devices(app_id, &channel.cid).await?;
    devices.retain(|device| device.user_id != message.user_id);
    if let Some(parent_id) = &message.parent_id {
        let mut involved: HashSet<String> = tx.thread_participants(app_id, parent_id).await?.into_iter().collect();
        if let Some(parent) = tx.message(app_id, parent_id).await? {
            involved.insert(parent.user_id);
        }
        involved.extend(message.mentioned_users.iter().cloned());
        devices.retain(|device| involved.contains(&device.user_id));
    }
    let settled: HashSet<String> = tx.settled_pushes(app_id, message_id).await?.into_iter().collect();
    devices.retain(|device| !settled.contains(&device.id));
    let mut owners: Vec<String> = devices.iter().map(|device| device.user_id.clone()).collect();
    owners.dedup();
    let users = tx.users(app_id, &owners).await?;
    let muted: HashSet<String> =
        tx.muted_for_push(app_id, &channel.cid, &sender.id, &owners, now).await?.into_iter().collect();
    let banned: HashSet<String> = tx
        .channel_bans(app_id, std::slice::from_ref(&channel.cid), &owners, now)
        .await?
        .into_iter()
        .map(|ban| ban.user_id)
        .collect();
    let mut unread = tx.unread_totals(app_id, &owners, now).await?;
    let mut by_owner: BTreeMap<String, Vec<Device>> = BTreeMap::new();
    for device in devices {
        by_owner.entry(device.user_id.clone()).or_default().push(device);
    }
    let targets = users
        .into_iter()
        .filter(|user| {
            user.deactivated_at.is_none()
                && user.deleted_at.is_none()
                && !user.banned_at(now)
                && !muted.contains(&user.id)
                && !banned.contains(&user.id)
        })
        .filter_map(|user| {
            let devices = by_owner.remove(&user.id)?;
            let unread = unread.remove(&user.id).unwrap_or_default();
            Some(PushTarget { user, devices, unread })
        })
        .collect();
    let providers = tx.push_providers(app_id).await?.into_iter().filter(PushProvider::enabled).collect();
    Ok(Some(PushPlan { message, channel, sender, targets, providers }))
}

/// The provider a device is pushed through: the one its `push_provider_name` names, else the app-level one of
/// its type. A name that matches no provider that can send gets nothing (a wrong bundle would refuse it).
pub fn provider_for<'a>(providers: &'a [PushProvider], device: &Device) -> Option<&'a PushProvider> {
    let kind = PushKind::parse(&device.push_provider)?;
    let name = device.push_provider_name.as_deref().unwrap_or_default();
    providers.iter().find(|provider| provider.kind == kind && provider.name == name)
}

/// What templates can name about a push: `message`, `sender`, `channel`, `receiver`, `unread_count` and
/// `unread_channels`.
pub fn template_context(
    message: &Message,
    sender: &User,
    channel: &Channel,
    receiver: &User,
    unread: UnreadTotals,
) -> Value {
    let name = |user: &User| user.data.get("name").and_then(Value::as_str).unwrap_or(&user.id).to_owned();
    let channel_name = channel.data.get("name").and_then(Value::as_str).unwrap_or(&channel.id).to_owned();
    json!({
        "message": {
            "id": message.id,
            "text": shortened(&message.text, 1000),
            "type": message.message_type,
            "parent_id": message.parent_id,
            "attachments_count": message.attachments.len(),
        },
        "sender": {"id": sender.id, "name": name(sender), "image": sender.data.get("image").cloned().unwrap_or(Value::Null)},
        "channel": {
            "id": channel.id,
            "type": channel.channel_type,
            "cid": channel.cid,
            "name": channel_name,
            "member_count": channel.member_count,
        },
        "receiver": {"id": receiver.id, "name": name(receiver)},
        "unread_count": unread.total_unread_count,
        "unread_channels": unread.unread_channels,
    })
}

/// At most `max` bytes of `text`, cut at a character boundary, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub const DEFAULT_FIREBASE_NOTIFICATION: &str =
    r#"{"title": "{{ sender.name }} @ {{ channel.name }}", "body": "{{ message.text }}"}"#;
pub const DEFAULT_FIREBASE_DATA: &str = r#"{"sender": "stream.chat", "type": "message.new", "version": "v2", "id": "{{ message.id }}", "channel_type": "{{ channel.type }}", "channel_id": "{{ channel.id }}", "cid": "{{ channel.cid }}", "receiver_id": "{{ receiver.id }}"}"#;
pub const DEFAULT_APN: &str = r#"{"aps": {"alert": {"title": "{{ sender.name }} @ {{ channel.name }}", "body": "{{ message.text }}"}, "badge": {{ unread_count }}, "sound": "default", "mutable-content": 1, "category": "stream.chat"}, "stream": {"sender": "stream.chat", "type": "message.new", "version": "v2", "id": "{{ message.id }}", "cid": "{{ channel.cid }}"}}"#;

/// Refuses a template that is too long or uses more than `{{ path }}` substitutions, or that does not render to
/// a JSON object with a sample context.
pub fn check_template(template: &str, what: &str) -> CoreResult<()> {
    if template.is_empty() {
        return Ok(());
    }
    if template.len() > MAX_PUSH_TEMPLATE_BYTES {
        return Err(CoreError::input(format!("{what} is longer than {MAX_PUSH_TEMPLATE_BYTES} bytes")));
    }
    let sample = json!({"message": {"id": "m", "text": "t"}, "sender": {"name": "s"}, "channel": {"name": "c"}, "unread_count": 1});
    render(template, &sample).map_err(|error| CoreError::input(format!("{what}: {error}")))?;
    Ok(())
}

/// Renders a JSON template: each `{{ path }}` becomes the value at that dotted path of `context` (a string JSON-
/// escaped without its quotes, so it may sit inside a string; a number or boolean as itself; absent as empty).
/// The result must be a JSON object. No helpers, blocks or partials: a template with `{{#`, `{{/` or `{{>` is
/// refused rather than rendered wrong.
pub fn render(template: &str, context: &Value) -> Result<Map<String, Value>, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let (raw, after) = match after.strip_prefix('{') {
            Some(inner) => (true, inner),
            None => (false, after),
        };
        let close = if raw { "}}}" } else { "}}" };
        let end = after.find(close).ok_or("a {{ is never closed")?;
        let path = after[..end].trim();
        if path.starts_with(['#', '/', '>', '^', '!']) || path.contains(' ') {
            return Err(format!("only {{{{ field.path }}}} substitutions are supported, not {{{{{path}}}}}"));
        }
        let value = path.split('.').try_fold(context, |value, key| value.get(key)).unwrap_or(&Value::Null);
        match value {
            Value::String(text) => {
                let quoted = Value::String(text.clone()).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    match serde_json::from_str::<Value>(&out) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("the template must render to a JSON object".into()),
        Err(error) => Err(format!("the template does not render to JSON ({error})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_substitute_escaped_values_and_refuse_blocks() {
        let context =
            json!({"sender": {"name": "Ann \"A\" <b>"}, "unread_count": 3, "message": {"text": "line\nnext"}});
        let rendered = render(
            r#"{"t": "{{ sender.name }}", "b": {{ unread_count }}, "x": "{{ message.text }}{{ missing.path }}"}"#,
            &context,
        )
        .unwrap();
        assert_eq!(rendered["t"], "Ann \"A\" <b>");
        assert_eq!(rendered["b"], 3);
        assert_eq!(rendered["x"], "line\nnext");
        assert!(render(r#"{"t": "{{#each members}}x{{/each}}"}"#, &context).unwrap_err().contains("only"));
        assert!(render(r#"{"t": "{{ sender.name"}"#, &context).is_err());
        assert!(render(r#"["{{ sender.name }}"]"#, &context).unwrap_err().contains("object"));
        for template in [DEFAULT_APN, DEFAULT_FIREBASE_DATA, DEFAULT_FIREBASE_NOTIFICATION] {
            check_template(template, "default").unwrap();
        }
    }

    #[test]
    fn long_texts_are_cut_at_a_character() {
        let text = "é".repeat(600);
        let cut = shortened(&text, 1001);
        assert!(cut.ends_with('…') && cut.len() <= 1003);
        assert_eq!(shortened("short", 10), "short");
    }
}
