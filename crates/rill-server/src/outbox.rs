//! Webhooks through the durable outbox (protocol notes §10).
//!
//! A change's webhook jobs are written in the change's own transaction ([`webhook_jobs`], called by
//! `AppState::commit`), so a committed change always gets its deliveries, even across a crash. This node's
//! worker ([`run`]) claims due jobs under a lease, POSTs each one signed with the app's secret, and deletes it on
//! a 2xx; a failed attempt returns the job with a backoff, or fails it for good when it is out of attempts. A
//! worker that dies leaves its leased jobs to be claimed again when the lease ends: deliveries are at least
//! once, and `X-Webhook-Id` is the same on every attempt so receivers can drop repeats.

use crate::app::AppState;
use crate::bus::Delivery;
use crate::convert::Renderer;
use hmac::{Hmac, Mac};
use rill_core::model::App;
use rill_core::store::{JobKind, NewJob, OutboxJob};
use rill_protocol::event::{kind, WebhookMember};
use rill_protocol::limits::WEBHOOK_MEMBERS;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Deliveries one node makes at once: a slow receiver holds one of them for up to its timeout.
const MAX_IN_FLIGHT: usize = 32;
/// How often the worker looks for due jobs when nothing wakes it (returned jobs coming due, other nodes' jobs).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// A lease outlasts an attempt (at most `timeout_ms`, 6 s, and the members' read) with room to spare; a job
/// whose worker died is claimed again when it ends, 11 s after its claim at most.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// Failed jobs stay visible to the operator this long.
const FAILED_RETENTION_DAYS: i64 = 7;
/// What an operator's summary lists of the latest failures.
pub const LISTED_FAILURES: usize = 10;

/// Event types that never go to webhooks: per-recipient notifications (their channel event goes instead) and
/// what lives only on connections.
fn is_webhook_event(event_type: &str) -> bool {
    let connection_only = ["notification.", "typing.", "user.watching.", "health.", "connection."];
    !(connection_only.iter().any(|prefix| event_type.starts_with(prefix)) || event_type == kind::USER_PRESENCE_CHANGED)
}

/// The webhook jobs of a change's deliveries: each event once (an event sent to several audiences is one
/// event), to every webhook of the app that takes its type. Shadowed messages' events go too: the receiver is
/// the app's own backend, and the message says `shadowed`.
pub(crate) fn webhook_jobs(app: &App, deliveries: &[Delivery]) -> Vec<NewJob> {
    // An event is its type, channel, message and user: the copies of one event for different audiences agree.
    type Identity = (String, Option<String>, Option<String>, Option<String>);
    let mut seen: Vec<Identity> = Vec::new();
    let mut jobs = Vec::new();
    for delivery in deliveries {
        let event = &delivery.event;
        if !is_webhook_event(&event.event_type) {
            continue;
        }
        let identity = (
            event.event_type.clone(),
            event.cid.clone(),
            event.message_id.clone(),
            event.user.as_ref().map(|user| user.id.clone()),
        );
        if seen.contains(&identity) {
            continue;
        }
        seen.push(identity);
        let targets = app.settings.hook_targets(&event.event_type);
        if targets.is_empty() {
            continue;
        }
        let Ok(body) = serde_json::to_string(event) else { continue };
        for target in targets {
            jobs.push(NewJob {
                kind: JobKind::Webhook,
                delivery_id: uuid::Uuid::new_v4().to_string(),
                target: target.url,
                timeout_ms: target.timeout_ms,
                event_type: event.event_type.clone(),
                body: body.clone(),
            });
        }
    }
    jobs
}

/// Wakes this node's outbox worker after a commit wrote jobs.
#[derive(Debug, Default, Clone)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// This node's outbox worker: claims due jobs while fewer than [`MAX_IN_FLIGHT`] deliveries run, and delivers
/// them. Ends when the state is dropped.
pub(crate) async fn run(state: std::sync::Weak<crate::app::Shared>, signal: OutboxSignal) {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rill-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "the webhook client cannot start: webhooks stay in the outbox");
            return;
        }
    };
    let lease = uuid::Uuid::new_v4().to_string();
    let mut in_flight = JoinSet::new();
    let mut last_sweep = std::time::Instant::now();
    loop {
        let Some(state) = AppState::upgrade(&state) else { return };
        let room = MAX_IN_FLIGHT - in_flight.len();
        if room > 0 {
            for job in claim(&state, &lease, room).await {
                in_flight.spawn(deliver(state.clone(), client.clone(), job));
            }
        }
        if last_sweep.elapsed() > Duration::from_secs(60) {
            last_sweep = std::time::Instant::now();
            sweep_failed(&state).await;
        }
        drop(state);
        tokio::select! {
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            () = signal.0.notified() => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

async fn claim(state: &AppState, lease: &str, room: usize) -> Vec<OutboxJob> {
    let now = state.store().now();
    let until = now + chrono::Duration::from_std(LEASE_MARGIN + Duration::from_secs(6)).unwrap_or_default();
    let claimed = state
        .store()
        .write((lease.to_owned(), now, until, room), |tx, (lease, now, until, room)| {
            tx.claim_jobs(lease, *now, *until, *room)
        })
        .await;
    match claimed {
        Ok(jobs) => jobs,
        Err(error) => {
            tracing::warn!(error = %error.detail, "claiming outbox jobs failed; retrying shortly");
            Vec::new()
        }
    }
}

/// Forgets failed jobs and the record of settled pushes after the retention time (a push job older than that
/// has long been done).
async fn sweep_failed(state: &AppState) {
    let before = state.store().now() - chrono::Duration::days(FAILED_RETENTION_DAYS);
    if let Err(error) = state.store().write(before, |tx, before| tx.delete_failed_jobs(*before, 1000)).await {
        tracing::warn!(error = %error.detail, "removing old failed outbox jobs failed");
    }
    if let Err(error) = state.store().write(before, |tx, before| tx.delete_settled_pushes(*before, 10_000)).await {
        tracing::warn!(error = %error.detail, "removing old records of settled pushes failed");
    }
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    Delivered,
    /// Worth trying again, up to `attempts` in all, after at least `after` when the receiver said so.
    Retry {
        error: String,
        attempts: i64,
        after: Option<Duration>,
    },
    /// Not worth trying again (a 4xx other than 408 and 429, or no app to sign with).
    Fail {
        error: String,
    },
}

async fn deliver(state: AppState, client: reqwest::Client, job: OutboxJob) {
    let outcome = match JobKind::parse(&job.kind) {
        Some(JobKind::Webhook) => post_webhook(&state, &client, &job).await,
        Some(JobKind::Push) => crate::push::deliver(&state, &job).await,
        None => Attempt::Fail { error: format!("unknown job kind {:?}", job.kind) },
    };
    let now = state.store().now();
    let settled = match outcome {
        Attempt::Delivered => state.store().write(job.clone(), |tx, job| tx.finish_job(job.id, &job.lease)).await,
        Attempt::Retry { error, attempts, after } if job.attempt < attempts => {
            let at =
                now + chrono::Duration::from_std(after.unwrap_or_else(|| backoff(job.attempt))).unwrap_or_default();
            tracing::info!(app_id = job.app_id, kind = %job.kind, event = %job.event_type, target = %shown(&job), attempt = job.attempt, %error, "outbox attempt failed; retrying");
            state
                .store()
                .write((job.clone(), at, error), |tx, (job, at, error)| tx.retry_job(job.id, &job.lease, *at, error))
                .await
        }
        Attempt::Retry { error, .. } | Attempt::Fail { error } => {
            tracing::warn!(app_id = job.app_id, kind = %job.kind, event = %job.event_type, target = %shown(&job), attempt = job.attempt, %error, "outbox job failed for good");
            state
                .store()
                .write((job.clone(), now, error), |tx, (job, now, error)| tx.fail_job(job.id, &job.lease, *now, error))
                .await
        }
    };
    if let Err(error) = settled {
        // The lease runs out and the job is claimed again: at least once, never lost.
        tracing::warn!(error = %error.detail, job = job.id, "settling an outbox job failed; it will be tried again");
    }
}

/// The wait before the attempt after `attempt`: about 1 s, then 3 s (so three attempts fit in Stream's 15 s
/// with 6 s timeouts), with up to 25% jitter so that receivers coming back are not hit all at once.
fn backoff(attempt: i64) -> Duration {
    let base = if attempt <= 1 { 1000 } else { 3000 };
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * base / 1024;
    Duration::from_millis(base + jitter)
}

/// A job's target for the log: of a URL the scheme and host only, since a path or query may carry a
/// receiver's token; a push job's channel as it is.
fn shown(job: &OutboxJob) -> String {
    if job.kind != JobKind::Webhook.as_str() {
        return job.target.clone();
    }
    match reqwest::Url::parse(&job.target) {
        Ok(url) => format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default()),
        Err(_) => "(invalid URL)".into(),
    }
}

/// Lowercase hex HMAC-SHA256 of the exact body, keyed with the app's API secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn post_webhook(state: &AppState, client: &reqwest::Client, job: &OutboxJob) -> Attempt {
    let Some(app) = state.apps().by_id(job.app_id) else {
        return Attempt::Fail { error: "the app no longer exists".into() };
    };
    let body = match body_with_members(state, &app, job).await {
        Ok(body) => body,
        Err(error) => return Attempt::Retry { error, attempts: 3, after: None },
    };
    let response = client
        .post(&job.target)
        .timeout(Duration::from_millis(job.timeout_ms.max(1) as u64))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Signature", signature(app.api_secret.expose(), body.as_bytes()))
        .header("X-Api-Key", &app.api_key)
        .header("X-Webhook-Id", &job.delivery_id)
        .header("X-Webhook-Attempt", job.attempt.to_string())
        .body(body)
        .send()
        .await;
    classify(response)
}

/// The notes' retry rules: 408, 429 and 5xx up to 3 attempts; a timeout 3; another network error 2; other
/// statuses none.
fn classify(response: Result<reqwest::Response, reqwest::Error>) -> Attempt {
    match response {
        Ok(response) if response.status().is_success() => Attempt::Delivered,
        Ok(response) => {
            let status = response.status();
            let error = format!("the receiver answered {status}");
            if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
                let after = retry_after(response.headers());
                Attempt::Retry { error, attempts: 3, after }
            } else {
                Attempt::Fail { error }
            }
        }
        Err(error) if error.is_timeout() => {
            Attempt::Retry { error: "the receiver timed out".into(), attempts: 3, after: None }
        }
        Err(error) => Attempt::Retry {
            error: format!("could not reach the receiver: {}", root_cause(&error)),
            attempts: 2,
            after: None,
        },
    }
}

/// A `Retry-After` of up to 10 seconds (a longer one would outlast the attempts anyway).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(10)))
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The stored event, with `members` (each with their unread counts, read now) added to message and channel
/// events. The event was serialized by serde as an object, so it ends with `}`.
async fn body_with_members(state: &AppState, app: &Arc<App>, job: &OutboxJob) -> Result<String, String> {
    let wants_members = job.event_type.starts_with("message.") || job.event_type.starts_with("channel.");
    let cid = serde_json::from_str::<serde_json::Value>(&job.body)
        .ok()
        .and_then(|event| event.get("cid").and_then(|cid| cid.as_str()).map(str::to_owned));
    let (true, Some(cid)) = (wants_members, cid) else { return Ok(job.body.clone()) };
    let now = state.store().now();
    let outcome = state
        .store()
        .read_for_app(app.id, (app.id, cid, now), |tx, (app_id, cid, now)| {
            Box::pin(rill_core::ops::outbox::webhook_members(tx, *app_id, cid, WEBHOOK_MEMBERS, *now))
        })
        .await
        .map_err(|error| format!("reading the channel's members failed: {}", error.detail))?;
    let Some((channel, members)) = &outcome.value else { return Ok(job.body.clone()) };
    let is_online = |user_id: &str| state.registry().is_online(app.id, user_id);
    let renderer = Renderer { users: &outcome.users, is_online: &is_online, now };
    let listed: Vec<WebhookMember> = members
        .iter()
        .map(|(member, totals)| WebhookMember {
            member: renderer.member(member, channel),
            total_unread_count: totals.total_unread_count,
            unread_channels: totals.unread_channels,
            channel_unread_count: member.unread_in(channel),
            channel_last_read_at: Some(member.last_read_at),
        })
        .collect();
    let members = serde_json::to_string(&listed).map_err(|error| error.to_string())?;
    let Some(open) = job.body.strip_suffix('}') else { return Ok(job.body.clone()) };
    let separator = if open.trim_end().ends_with('{') { "" } else { "," };
    Ok(format!("{open}{separator}\"members\":{members}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_lowercase_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn connection_only_events_do_not_go_to_webhooks() {
        for event_type in
            ["notification.message_new", "typing.start", "user.watching.start", "health.check", "user.presence.changed"]
        {
            assert!(!is_webhook_event(event_type), "{event_type}");
        }
        for event_type in ["message.new", "reaction.new", "member.added", "channel.updated", "user.banned"] {
            assert!(is_webhook_event(event_type), "{event_type}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_within_a_quarter_of_jitter() {
        for _ in 0..100 {
            let first = backoff(1).as_millis();
            let second = backoff(2).as_millis();
            assert!((1000..1250).contains(&first), "{first}");
            assert!((3000..3750).contains(&second), "{second}");
        }
    }

    fn job(kind: JobKind, target: &str) -> OutboxJob {
        OutboxJob {
            id: 1,
            app_id: 1,
            kind: kind.as_str().into(),
            delivery_id: "d".into(),
            target: target.into(),
            timeout_ms: 1,
            event_type: "message.new".into(),
            body: "{}".into(),
            created_at: chrono::Utc::now(),
            attempt: 1,
            lease: "l".into(),
        }
    }

    #[test]
    fn logs_show_a_urls_scheme_and_host_only() {
        let hook = job(JobKind::Webhook, "https://hooks.example.com/in/secret-token?key=abc");
        assert_eq!(shown(&hook), "https://hooks.example.com");
        assert_eq!(shown(&job(JobKind::Webhook, "not a url")), "(invalid URL)");
        assert_eq!(shown(&job(JobKind::Push, "team:general")), "team:general", "a push job's channel is no secret");
    }
}
