//! Push delivery (protocol notes §11): a new message's push job, claimed from the outbox, becomes one request
//! per recipient device to Firebase (FCM HTTP v1) or APNs, through `rill-push`'s clients.
//!
//! Recipients are read when the job runs (`ops::push::plan`), so a message deleted meanwhile pushes nothing and
//! a member who muted the channel a second ago is spared. Every device whose push is settled (sent, or refused
//! for good) is recorded before the job ends, so an attempt after a crash or a provider's 5xx sends only what
//! is still owed: nothing twice for one message and device once a provider has acknowledged it. A device whose
//! token the provider no longer knows is disabled. The job's lease is renewed while a large fan-out runs.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::outbox::Attempt;
use rill_core::model::{App, Device, PushKind, PushProvider, UnreadTotals, User};
use rill_core::ops::push::{self as push_ops, PushPlan, PushTarget};
use rill_core::store::OutboxJob;
use rill_protocol::request::{CheckPushRequest, PushProviderRequest, UpdateAppRequest};
use rill_protocol::response::{CheckPushResponse, DeviceError};
use rill_push::apns::{ApnsClient, ApnsKey, ApnsRequest};
use rill_push::fcm::{FcmClient, ServiceAccount};
use rill_push::options::ClientOptions;
use rill_push::PushError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Sends one job makes at once.
const SENDS_IN_FLIGHT: usize = 16;
/// How often a running job renews its lease, and by how much.
const RENEW_EVERY: Duration = Duration::from_secs(3);
const RENEW_FOR: Duration = Duration::from_secs(15);
/// Attempts of a job whose devices keep failing with retryable errors.
const PUSH_ATTEMPTS: i64 = 5;

/// Where push requests go, beyond each provider's own settings: `--fcm-base-url` and a CA file to trust for a
/// staging or test endpoint.
#[derive(Debug, Clone, Default)]
pub struct PushEndpoints {
    pub fcm_base_url: Option<String>,
    pub ca_file: Option<std::path::PathBuf>,
}

/// The clients of this node, one per provider version (a provider changed gets new ones), so that access and
/// provider tokens are reused across jobs.
#[derive(Default)]
pub(crate) struct PushClients {
    fcm: Mutex<HashMap<ClientKey, Arc<FcmClient>>>,
    apns: Mutex<HashMap<ClientKey, Arc<ApnsClient>>>,
}

type ClientKey = (i64, PushKind, String, i64);

fn client_key(app_id: i64, provider: &PushProvider) -> ClientKey {
    (app_id, provider.kind, provider.name.clone(), provider.updated_at.timestamp_micros())
}

/// A client that cannot be built: the provider's credentials or settings are wrong.
fn unusable(error: PushError) -> String {
    format!("the push provider cannot be used: {error}")
}

impl PushClients {
    fn options(endpoints: &PushEndpoints) -> ClientOptions {
        ClientOptions { ca_file: endpoints.ca_file.clone(), ..ClientOptions::default() }
    }

    fn fcm(&self, app_id: i64, provider: &PushProvider, endpoints: &PushEndpoints) -> Result<Arc<FcmClient>, String> {
        let key = client_key(app_id, provider);
        let mut clients = self.fcm.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let credentials = provider.credentials.as_ref().ok_or("the provider has no credentials")?;
        let account = ServiceAccount::from_json(credentials.expose()).map_err(unusable)?;
        let mut client = FcmClient::new(account, Self::options(endpoints)).map_err(unusable)?;
        let base =
            if provider.host.is_empty() { endpoints.fcm_base_url.as_deref() } else { Some(provider.host.as_str()) };
        if let Some(base) = base {
            client = client.with_base_url(base);
        }
        clients.retain(|(app, kind, name, _), _| !(*app == app_id && *kind == provider.kind && *name == provider.name));
        let client = Arc::new(client);
        clients.insert(key, client.clone());
        Ok(client)
    }

    fn apns(&self, app_id: i64, provider: &PushProvider, endpoints: &PushEndpoints) -> Result<Arc<ApnsClient>, String> {
        let key = client_key(app_id, provider);
        let mut clients = self.apns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let credentials = provider.credentials.as_ref().ok_or("the provider has no credentials")?;
        let key_material =
            ApnsKey::from_p8(credentials.expose(), &provider.key_id, &provider.team_id).map_err(unusable)?;
        let mut client = ApnsClient::new(key_material, Self::options(endpoints)).map_err(unusable)?;
        let host = if !provider.host.is_empty() {
            provider.host.clone()
        } else if provider.development {
            "https://api.sandbox.push.apple.com".to_owned()
        } else {
            "https://api.push.apple.com".to_owned()
        };
        client = client.with_host(&host);
        clients.retain(|(app, kind, name, _), _| !(*app == app_id && *kind == provider.kind && *name == provider.name));
        let client = Arc::new(client);
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// Refuses, before anything is stored, credentials the clients could not use (a key that does not parse).
pub(crate) fn check_app_credentials(request: &UpdateAppRequest) -> ApiResult<()> {
    if let Some(json) = request.firebase_config.as_ref().and_then(|config| config.credentials_json.as_deref()) {
        check_service_account(json, "firebase_config.credentials_json")?;
    }
    if let Some(key) = request.apn_config.as_ref().and_then(|config| config.auth_key.as_deref()) {
        check_p8(key, "apn_config.auth_key")?;
    }
    Ok(())
}

/// [`check_app_credentials`] for a named provider.
pub(crate) fn check_credentials_provider(request: &PushProviderRequest) -> ApiResult<()> {
    if let Some(json) = request.firebase_credentials.as_deref() {
        check_service_account(json, "push_provider.firebase_credentials")?;
    }
    if let Some(key) = request.apn_auth_key.as_deref() {
        check_p8(key, "push_provider.apn_auth_key")?;
    }
    Ok(())
}

fn check_service_account(json: &str, what: &str) -> ApiResult<()> {
    if json.is_empty() {
        return Ok(());
    }
    ServiceAccount::from_json(json).map(drop).map_err(|error| ApiError::input(format!("{what}: {error}")))
}

fn check_p8(key: &str, what: &str) -> ApiResult<()> {
    if key.is_empty() {
        return Ok(());
    }
    ApnsKey::from_p8(key, "KEYID", "TEAMID").map(drop).map_err(|error| ApiError::input(format!("{what}: {error}")))
}

/// What a device is sent: Firebase's `message` object or an APNs request.
#[derive(Debug, Clone)]
enum Payload {
    Firebase(Value),
    Apn(ApnsRequest),
}

/// Renders a target's payload for one device through its provider, with optional template overrides
/// (`/check_push`).
fn payload(
    plan: &PushPlan,
    receiver: &User,
    unread: UnreadTotals,
    device: &Device,
    provider: &PushProvider,
    overrides: &Overrides,
) -> Result<Payload, String> {
    let context = push_ops::template_context(&plan.message, &plan.sender, &plan.channel, receiver, unread);
    let pick = |over: &Option<String>, stored: &str, default: &'static str| -> String {
        over.clone().filter(|text| !text.is_empty()).unwrap_or_else(|| {
            if stored.is_empty() {
                default.to_owned()
            } else {
                stored.to_owned()
            }
        })
    };
    match provider.kind {
        PushKind::Firebase => {
            let notification =
                pick(&overrides.firebase, &provider.notification_template, push_ops::DEFAULT_FIREBASE_NOTIFICATION);
            let data = pick(&overrides.firebase_data, &provider.data_template, push_ops::DEFAULT_FIREBASE_DATA);
            let mut message = Map::new();
            message.insert("token".into(), device.id.clone().into());
            message.insert("notification".into(), Value::Object(push_ops::render(&notification, &context)?));
            // FCM's `data` holds strings only.
            let data: Map<String, Value> = push_ops::render(&data, &context)?
                .into_iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, Value::String(text))
                })
                .collect();
            message.insert("data".into(), Value::Object(data));
            message.insert("android".into(), json!({"priority": "high"}));
            let apn = overrides
                .apn
                .clone()
                .filter(|text| !text.is_empty())
                .or_else(|| (!provider.apn_template.is_empty()).then(|| provider.apn_template.clone()));
            if let Some(apn) = apn {
                message.insert("apns".into(), json!({"payload": push_ops::render(&apn, &context)?}));
            }
            Ok(Payload::Firebase(Value::Object(message)))
        }
        PushKind::Apn => {
            let template = pick(&overrides.apn, &provider.notification_template, push_ops::DEFAULT_APN);
            let payload = Value::Object(push_ops::render(&template, &context)?);
            let (push_type, topic) = if device.voip {
                ("voip", format!("{}.voip", provider.topic))
            } else {
                ("alert", provider.topic.clone())
            };
            Ok(Payload::Apn(ApnsRequest {
                device_token: device.id.clone(),
                topic,
                push_type: push_type.into(),
                priority: 10,
                expiration: None,
                collapse_id: None,
                id: None,
                payload,
            }))
        }
    }
}

/// Template overrides of `/check_push`.
#[derive(Debug, Default, Clone)]
struct Overrides {
    firebase: Option<String>,
    firebase_data: Option<String>,
    apn: Option<String>,
}

/// What became of one device's push.
#[derive(Debug)]
enum Sent {
    Delivered,
    /// The provider no longer knows the token: the device is disabled.
    Unregistered(String),
    /// Refused for good (the payload, the credentials): not tried again.
    Refused(String),
    /// Worth another attempt, after `after` if the provider said so.
    Later(String, Option<Duration>),
}

async fn send(state: &AppState, app_id: i64, provider: &PushProvider, payload: &Payload) -> Sent {
    let clients = state.push_clients();
    let endpoints = &state.gateway().push;
    let result = match payload {
        Payload::Firebase(message) => match clients.fcm(app_id, provider, endpoints) {
            Ok(client) => client.send(message).await.map(drop),
            Err(error) => return Sent::Refused(error),
        },
        Payload::Apn(request) => match clients.apns(app_id, provider, endpoints) {
            Ok(client) => client.send(request).await.map(drop),
            Err(error) => return Sent::Refused(error),
        },
    };
    match result {
        Ok(()) => Sent::Delivered,
        Err(PushError::Unregistered { reason }) => Sent::Unregistered(reason),
        Err(PushError::Retryable { reason, retry_after }) => Sent::Later(reason, retry_after),
        Err(PushError::Network { reason }) => Sent::Later(reason, None),
        Err(error) => Sent::Refused(error.to_string()),
    }
}

/// One device to send to.
struct Outgoing {
    device: Device,
    provider: PushProvider,
    payload: Payload,
}

/// The sends a plan makes: each target's devices with a provider that can send, leaving out (with
/// `offline_only`) users connected right now.
fn sends(state: &AppState, app: &App, plan: &PushPlan) -> Vec<Outgoing> {
    let online = |user: &User| app.settings.push.offline_only && state.registry().is_online(app.id, &user.id);
    let mut sends = Vec::new();
    for PushTarget { user, devices, unread } in plan.targets.iter().filter(|target| !online(&target.user)) {
        for device in devices {
            let Some(provider) = push_ops::provider_for(&plan.providers, device) else { continue };
            match payload(plan, user, *unread, device, provider, &Overrides::default()) {
                Ok(payload) => sends.push(Outgoing { device: device.clone(), provider: provider.clone(), payload }),
                Err(error) => {
                    tracing::warn!(app_id = app.id, %error, "a push template does not render; that device gets nothing")
                }
            }
        }
    }
    sends
}

/// Runs a push job: plans, sends with bounded concurrency while renewing the lease, records what settled.
pub(crate) async fn deliver(state: &AppState, job: &OutboxJob) -> Attempt {
    let Some(app) = state.apps().by_id(job.app_id) else {
        return Attempt::Fail { error: "the app no longer exists".into() };
    };
    let Some(message_id) = serde_json::from_str::<Value>(&job.body)
        .ok()
        .and_then(|body| body.get("message_id").and_then(Value::as_str).map(str::to_owned))
    else {
        return Attempt::Fail { error: "the push job names no message".into() };
    };
    let now = state.store().now();
    let planned = state
        .store()
        .read_for_app(app.id, (app.id, message_id.clone(), now), |tx, (app_id, message_id, now)| {
            Box::pin(push_ops::plan(tx, *app_id, message_id, *now))
        })
        .await;
    let plan = match planned {
        Ok(Some(plan)) => plan,
        Ok(None) => return Attempt::Delivered,
        Err(error) => {
            return Attempt::Retry {
                error: format!("reading the push's recipients failed: {}", error.detail),
                attempts: PUSH_ATTEMPTS,
                after: None,
            }
        }
    };
    let sends = sends(state, &app, &plan);
    let results = send_all(state, job, app.id, &sends).await;
    settle(state, app.id, &message_id, &sends, results).await
}

/// Sends everything, at most [`SENDS_IN_FLIGHT`] at a time, renewing the job's lease meanwhile.
async fn send_all(state: &AppState, job: &OutboxJob, app_id: i64, sends: &[Outgoing]) -> Vec<Sent> {
    use futures_util::stream::{self, StreamExt};
    type Sending = std::pin::Pin<Box<dyn std::future::Future<Output = Sent> + Send>>;
    let each: Vec<Sending> = sends
        .iter()
        .map(|outgoing| {
            let (state, provider, payload) = (state.clone(), outgoing.provider.clone(), outgoing.payload.clone());
            Box::pin(async move { send(&state, app_id, &provider, &payload).await }) as Sending
        })
        .collect();
    let work = stream::iter(each).buffered(SENDS_IN_FLIGHT).collect::<Vec<_>>();
    tokio::pin!(work);
    let mut renew = tokio::time::interval(RENEW_EVERY);
    renew.tick().await;
    loop {
        tokio::select! {
            results = &mut work => return results,
            _ = renew.tick() => {
                let until = state.store().now() + chrono::Duration::from_std(RENEW_FOR).unwrap_or_default();
                let renewed = state.store().write((job.id, job.lease.clone(), until), |tx, (id, lease, until)| tx.renew_lease(*id, lease, *until)).await;
                if !matches!(renewed, Ok(true)) {
                    tracing::warn!(job = job.id, "a push job's lease could not be renewed; another worker may take it over");
                }
            }
        }
    }
}

/// Records the settled devices (and disables unregistered ones) in one write; the job is done when nothing is
/// owed any more, else tried again.
async fn settle(state: &AppState, app_id: i64, message_id: &str, sends: &[Outgoing], results: Vec<Sent>) -> Attempt {
    let mut settled = Vec::new();
    let mut unregistered = Vec::new();
    let mut later: Option<(String, Option<Duration>)> = None;
    let mut owed = 0;
    for (send, result) in sends.iter().zip(results) {
        match result {
            Sent::Delivered => settled.push((send.device.id.clone(), "sent".to_owned())),
            Sent::Unregistered(reason) => {
                settled.push((send.device.id.clone(), "unregistered".to_owned()));
                unregistered.push((send.device.id.clone(), reason));
            }
            Sent::Refused(reason) => {
                tracing::warn!(app_id, provider = send.provider.kind.as_str(), %reason, "a push was refused; not tried again");
                settled.push((send.device.id.clone(), "rejected".to_owned()));
            }
            Sent::Later(reason, after) => {
                owed += 1;
                let after = later.as_ref().and_then(|(_, old)| *old).max(after);
                later = Some((reason, after));
            }
        }
    }
    let now = state.store().now();
    let recorded = state
        .store()
        .write(
            (app_id, message_id.to_owned(), settled, unregistered, now),
            |tx, (app_id, message_id, settled, unregistered, now)| {
                Box::pin(async move {
                    for (device_id, reason) in unregistered.iter() {
                        tx.disable_device(*app_id, device_id, &format!("unregistered: {reason}")).await?;
                    }
                    tx.settle_pushes(*app_id, message_id, settled, *now).await
                })
            },
        )
        .await;
    if let Err(error) = recorded {
        return Attempt::Retry {
            error: format!("recording the pushes failed: {}", error.detail),
            attempts: PUSH_ATTEMPTS,
            after: None,
        };
    }
    match later {
        None => Attempt::Delivered,
        Some((reason, after)) => {
            Attempt::Retry { error: format!("{owed} device(s) to try again: {reason}"), attempts: PUSH_ATTEMPTS, after }
        }
    }
}

/// `POST /check_push`: renders the message's push for the user with the app's templates (or those given) and,
/// unless `skip_devices`, sends it to their devices (of the named provider type and name, if given), reporting
/// each device's failure. It pushes regardless of mutes and connections: it is a test.
pub(crate) async fn check_push(
    state: &AppState,
    app: &Arc<App>,
    request: CheckPushRequest,
) -> ApiResult<CheckPushResponse> {
    let (event_type, user_id) = check_request(&request)?;
    let subject = read_subject(state, app.id, &request.message_id, &user_id).await?;
    let overrides = Overrides {
        firebase: request.firebase_template.clone(),
        firebase_data: request.firebase_data_template.clone(),
        apn: request.apn_template.clone(),
    };
    let wanted = Wanted {
        kind: request.push_provider_type.as_deref().filter(|kind| !kind.is_empty()),
        name: request.push_provider_name.as_deref().filter(|name| !name.is_empty()),
    };
    let mut response = CheckPushResponse {
        skip_devices: request.skip_devices.unwrap_or(false),
        event_type,
        ..CheckPushResponse::default()
    };
    render_previews(&subject, &overrides, wanted, state.store().now(), &mut response);
    if !response.skip_devices {
        send_to_devices(state, app.id, &subject, &overrides, wanted, &mut response).await;
    }
    Ok(response)
}

/// The event type (only `message.new` pushes) and the user a `/check_push` names, its templates checked.
fn check_request(request: &CheckPushRequest) -> ApiResult<(String, String)> {
    let event_type = request.event_type.clone().unwrap_or_else(|| "message.new".into());
    if event_type != "message.new" {
        return Err(ApiError::input(format!(
            "event_type {:?} does not push (only message.new does)",
            rill_protocol::limits::truncated(&event_type)
        )));
    }
    let user_id = request
        .user_id
        .clone()
        .map(|id| id.into_string())
        .or_else(|| request.user.as_ref().map(|user| user.id.to_string()))
        .ok_or_else(|| ApiError::input("user_id is required"))?;
    if request.message_id.is_empty() {
        return Err(ApiError::input("message_id is required"));
    }
    for (template, what) in [
        (&request.apn_template, "apn_template"),
        (&request.firebase_template, "firebase_template"),
        (&request.firebase_data_template, "firebase_data_template"),
    ] {
        if let Some(template) = template {
            push_ops::check_template(template, what)?;
        }
    }
    Ok((event_type, user_id))
}

/// What a test push is about: the message's plan (without its recipients), the user, their devices and their
/// unread totals.
struct Subject {
    plan: PushPlan,
    receiver: User,
    devices: Vec<Device>,
    unread: UnreadTotals,
}

/// The provider type and name a `/check_push` is limited to.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    kind: Option<&'a str>,
    name: Option<&'a str>,
}

async fn read_subject(state: &AppState, app_id: i64, message_id: &str, user_id: &str) -> ApiResult<Subject> {
    let now = state.store().now();
    let input = (app_id, message_id.to_owned(), user_id.to_owned(), now);
    let subject = state
        .store()
        .read_for_app(app_id, input, |tx, (app_id, message_id, user_id, now)| {
            Box::pin(async move {
                let not_found = rill_core::error::CoreError::not_found;
                let Some(mut plan) = push_ops::plan(tx, *app_id, message_id, *now).await? else {
                    return Err(not_found(format!("message {message_id} does not exist or does not push")));
                };
                let Some(receiver) = tx.user(*app_id, user_id).await? else {
                    return Err(not_found(format!("user {user_id} does not exist")));
                };
                let devices = tx.devices_of(*app_id, user_id).await?;
                let mut totals = tx.unread_totals(*app_id, std::slice::from_ref(user_id), *now).await?;
                plan.targets.clear();
                Ok(Subject { plan, receiver, devices, unread: totals.remove(user_id.as_str()).unwrap_or_default() })
            })
        })
        .await?;
    Ok(subject)
}

/// Renders the payload each wanted provider would send, into the response.
fn render_previews(
    subject: &Subject,
    overrides: &Overrides,
    wanted: Wanted<'_>,
    now: chrono::DateTime<chrono::Utc>,
    response: &mut CheckPushResponse,
) {
    let samples = preview_providers(&subject.plan.providers, wanted.kind, wanted.name);
    if samples.is_empty() {
        response.general_errors.push("no push provider of the app can send".into());
    }
    for provider in samples {
        let sample = Device {
            id: "preview".into(),
            user_id: subject.receiver.id.clone(),
            push_provider: provider.kind.as_str().into(),
            push_provider_name: None,
            voip: false,
            disabled_reason: None,
            created_at: now,
        };
        match payload(&subject.plan, &subject.receiver, subject.unread, &sample, provider, overrides) {
            Ok(Payload::Firebase(message)) => {
                response.rendered_firebase_template = message.get("notification").map(Value::to_string);
                if let Some(data) = message.get("data").and_then(Value::as_object) {
                    response.rendered_message = data.clone();
                }
            }
            Ok(Payload::Apn(request)) => response.rendered_apn_template = Some(request.payload.to_string()),
            Err(error) => response.general_errors.push(format!("{}: {error}", provider.kind.as_str())),
        }
    }
}

/// Sends the test push to each of the user's enabled devices the request wants, reporting each failure.
async fn send_to_devices(
    state: &AppState,
    app_id: i64,
    subject: &Subject,
    overrides: &Overrides,
    wanted: Wanted<'_>,
    response: &mut CheckPushResponse,
) {
    let is_wanted = |device: &&Device| {
        device.disabled_reason.is_none()
            && wanted.kind.is_none_or(|kind| kind == device.push_provider)
            && wanted.name.is_none_or(|name| Some(name) == device.push_provider_name.as_deref())
    };
    for device in subject.devices.iter().filter(is_wanted) {
        let report = |message: String| DeviceError {
            provider: device.push_provider.clone(),
            provider_name: device.push_provider_name.clone().unwrap_or_default(),
            error_message: message,
        };
        let Some(provider) = push_ops::provider_for(&subject.plan.providers, device) else {
            let error = report("no push provider of the app can send to this device".into());
            response.device_errors.insert(device.id.clone(), error);
            continue;
        };
        let sent = match payload(&subject.plan, &subject.receiver, subject.unread, device, provider, overrides) {
            Ok(payload) => send(state, app_id, provider, &payload).await,
            Err(error) => Sent::Refused(error),
        };
        let error = match sent {
            Sent::Delivered => continue,
            Sent::Unregistered(reason) => format!("the provider no longer knows this token: {reason}"),
            Sent::Refused(reason) | Sent::Later(reason, _) => reason,
        };
        response.device_errors.insert(device.id.clone(), report(error));
    }
}

/// The providers `/check_push` renders for: of the type and name asked for, else the app-level ones.
fn preview_providers<'a>(
    providers: &'a [PushProvider],
    kind: Option<&str>,
    name: Option<&str>,
) -> Vec<&'a PushProvider> {
    providers
        .iter()
        .filter(|provider| kind.is_none_or(|kind| kind == provider.kind.as_str()))
        .filter(|provider| provider.name == name.unwrap_or_default())
        .collect()
}
