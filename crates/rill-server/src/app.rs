//! The engine's HTTP application: shared state, the router, the per-request middleware (operation name,
//! duration, rate limits, CORS) and `serve` with graceful shutdown.

use crate::bus::{Batch, Bus, LocalBus};
use crate::error::ApiError;
use crate::extract::{authenticate, query_map, Auth, ConnectAuth, Credentials};
use crate::limiter::{AddressKey, Platform, RateLimiter, Verdict};
use crate::registry::Registry;
use crate::request::{self, RequestInfo};
use crate::{fanout, routes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::FutureExt;
use rill_core::auth::Identity;
use rill_core::error::CoreResult;
use rill_core::ids::ConnectionId;
use rill_core::model::{App, UserDirectory};
use rill_core::ops::{Notice, Outcome};
use rill_core::store::{BoxFuture, Store, Tx};
use rill_protocol::error::ErrorCode;
use rill_protocol::limits::{
    BODY_READ_SECONDS, DEFAULT_CONNECTIONS_PER_ADDRESS, HEADER_READ_SECONDS, MAX_HEADER_BYTES, MAX_URI_BYTES,
    UNAUTHENTICATED_PER_MINUTE, WS_HANDSHAKE_SECONDS, WS_IDLE_SECONDS, WS_QUEUE_FRAMES,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Tunables of the gateway: the WebSocket's here, the HTTP server's in [`HttpConfig`].
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Frames a connection may have queued before it is closed as too slow.
    pub queue_capacity: usize,
    /// Interval of the server's own `health.check` frames.
    pub health_interval: Duration,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// From the upgrade to the first `health.check`.
    pub handshake_timeout: Duration,
    pub http: HttpConfig,
    /// Where uploaded files are kept (`{data dir}/uploads`); `None` refuses uploads. With `uploads_s3` only their
    /// temporary copies are.
    pub uploads_dir: Option<std::path::PathBuf>,
    /// The bucket that holds the uploads' blobs instead of `uploads_dir` (`--uploads-url`); checked at start.
    pub uploads_s3: Option<crate::s3::S3Config>,
    /// The URL clients reach this server at (`--public-url`), for the URLs of uploads; without it they are
    /// built from the request's `Host`.
    pub public_url: Option<String>,
    /// Where pushes go beyond each provider's settings (`--fcm-base-url`, a CA file for test endpoints).
    pub push: crate::push::PushEndpoints,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            queue_capacity: WS_QUEUE_FRAMES,
            health_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(WS_IDLE_SECONDS),
            handshake_timeout: Duration::from_secs(WS_HANDSHAKE_SECONDS),
            http: HttpConfig::default(),
            uploads_dir: None,
            uploads_s3: None,
            public_url: None,
            push: crate::push::PushEndpoints::default(),
        }
    }
}

/// Tunables of the HTTP server (`crate::http`).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time to send a complete request head; also how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// Time to send a request body.
    pub body_read_timeout: Duration,
    /// Open connections in all (HTTP and WebSocket); `None` derives it from the descriptor limit at start.
    pub max_connections: Option<usize>,
    /// Open connections from one address (an IPv6 /64 counts as one).
    pub max_connections_per_address: usize,
    /// Requests without valid credentials one address may make per minute.
    pub unauthenticated_per_minute: u32,
    /// Reverse proxies in front of Rill. A request from one of them counts against the address its
    /// `X-Forwarded-For` names (the proxy's own entry, the last one), and their connections are not capped per
    /// address. No other peer's `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            header_read_timeout: Duration::from_secs(HEADER_READ_SECONDS),
            body_read_timeout: Duration::from_secs(BODY_READ_SECONDS),
            max_connections: None,
            max_connections_per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            unauthenticated_per_minute: UNAUTHENTICATED_PER_MINUTE,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Apps by API key, cached in memory: every request resolves its app, and apps change rarely.
///
/// Two kinds of writers: [`put`](AppDirectory::put) after this process changed an app in the store, and
/// [`reload`](AppDirectory::reload) with every app read from the store (changes by other processes). Neither
/// may bring back an older copy (a reload whose read began before a `put`, or two `put`s of concurrent changes
/// landing out of order), so a copy replaces the cached one only when its settings' revision (counted by every
/// write, under the app's row lock) is not lower.
#[derive(Default)]
pub struct AppDirectory {
    // A plain lock: held for a map lookup or insert, never across an await.
    apps: RwLock<HashMap<String, Arc<App>>>,
}

impl AppDirectory {
    pub fn by_key(&self, api_key: &str) -> Option<Arc<App>> {
        self.apps.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(api_key).cloned()
    }

    /// Stores an app this process has just written to the store, unless a newer copy is cached.
    pub fn put(&self, app: App) -> Arc<App> {
        let app = Arc::new(app);
        let mut apps = self.apps.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        keep_newest(&mut apps, app.clone());
        app
    }

    /// The app with this id (the outbox's jobs name their app by id). Cost: a scan of the apps, which are few.
    pub fn by_id(&self, app_id: i64) -> Option<Arc<App>> {
        let apps = self.apps.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        apps.values().find(|app| app.id == app_id).cloned()
    }

    /// Stores apps read from the store, each unless a newer copy is cached.
    pub fn reload(&self, fresh: Vec<App>) {
        let mut apps = self.apps.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for app in fresh {
            keep_newest(&mut apps, Arc::new(app));
        }
    }
}

fn keep_newest(apps: &mut HashMap<String, Arc<App>>, app: Arc<App>) {
    let older = apps.get(&app.api_key).is_some_and(|cached| cached.settings.revision > app.settings.revision);
    if !older {
        apps.insert(app.api_key.clone(), app);
    }
}

pub(crate) struct Shared {
    store: Store,
    /// Wakes this node's outbox worker after a commit wrote webhook jobs.
    outbox: crate::outbox::OutboxSignal,
    /// Uploaded files, when an uploads directory is configured.
    blobs: Option<crate::uploads::Blobs>,
    /// This node's push clients, reused across jobs for their tokens.
    push_clients: crate::push::PushClients,
    apps: AppDirectory,
    limiter: RateLimiter,
    registry: Arc<Registry>,
    bus: Arc<dyn Bus>,
    gateway: GatewayConfig,
    shutdown: watch::Receiver<bool>,
    shutdown_sender: watch::Sender<bool>,
    /// Live WebSocket tasks; shutdown waits for it to reach zero.
    live_sockets: Arc<AtomicUsize>,
    /// When the app directory was last reloaded on a cache miss (`None`: not yet, so the first miss reloads).
    last_reload: std::sync::Mutex<Option<Instant>>,
    /// The background purge of deleted and hard-truncated channels' messages.
    purger: crate::purge::Purger,
    /// Users this node has recorded as active this month, so that only their first request in a month writes.
    active_users: std::sync::Mutex<ActiveUsers>,
}

/// The (app, user) pairs recorded active in `month`; a new month starts empty.
#[derive(Debug, Default)]
struct ActiveUsers {
    month: i64,
    seen: std::collections::HashSet<(i64, String)>,
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

/// The most expired app-wide bans, and channel mutes, one sweep clears (one short transaction; the next sweep
/// takes the rest).
const SWEEP_BATCH: usize = 500;

impl AppState {
    /// Builds the state over a store, loading its apps, and starts this node's event dispatcher.
    /// Fails when the uploads bucket does not answer (with what to fix), before any task starts.
    pub async fn new(store: Store, gateway: GatewayConfig) -> Result<AppState, ApiError> {
        let blobs = match (gateway.uploads_dir.clone(), gateway.uploads_s3.clone()) {
            (None, _) => None,
            (Some(dir), None) => Some(crate::uploads::Blobs::new(dir)),
            (Some(dir), Some(bucket)) => {
                Some(crate::uploads::Blobs::with_s3(dir, bucket).await.map_err(|problem| {
                    ApiError::new(ErrorCode::Internal, format!("cannot keep uploads in S3: {problem}"))
                })?)
            }
        };
        let apps = AppDirectory::default();
        for app in store.read((), |tx, ()| tx.apps()).await? {
            apps.put(app);
        }
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::default());
        let refresh_store = store.clone();
        let registry = Arc::new(Registry::default());
        tokio::spawn(fanout::run_dispatcher(registry.clone(), store.clone(), bus.subscribe()));
        let purger = crate::purge::Purger::start(store.clone());
        let (shutdown_sender, shutdown) = watch::channel(false);
        let state = AppState {
            shared: Arc::new(Shared {
                store,
                apps,
                limiter: RateLimiter::default(),
                registry,
                bus,
                gateway,
                shutdown,
                shutdown_sender,
                live_sockets: Arc::new(AtomicUsize::new(0)),
                last_reload: std::sync::Mutex::new(None),
                purger,
                active_users: std::sync::Mutex::new(ActiveUsers::default()),
                outbox: crate::outbox::OutboxSignal::default(),
                blobs,
                push_clients: crate::push::PushClients::default(),
            }),
        };
        tokio::spawn(crate::outbox::run(Arc::downgrade(&state.shared), state.shared.outbox.clone()));
        // The query planner's statistics, refreshed soon after start and then every ten minutes: indexes are
        // only chosen well on statistics that match the data (a no-op when no table grew much).
        let statistics_store = state.shared.store.clone();
        let statistics_owner = Arc::downgrade(&state.shared);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval_at(
                tokio::time::Instant::now() + Duration::from_secs(10),
                Duration::from_secs(600),
            );
            loop {
                interval.tick().await;
                if statistics_owner.upgrade().is_none() {
                    return;
                }
                let started = Instant::now();
                match statistics_store.write((), |tx, ()| tx.refresh_statistics()).await {
                    Ok(()) => {
                        tracing::debug!(millis = started.elapsed().as_millis() as u64, "refreshed planner statistics")
                    }
                    Err(error) => tracing::warn!(error = %error.detail, "refreshing planner statistics failed"),
                }
            }
        });
        // App-wide bans that ran out leave the users' rows within seconds, so `banned` filters on users match
        // what enforcement (which judges the expiry itself) already does; channel mutes that ran out go too.
        let sweep_store = state.shared.store.clone();
        let sweep_owner = Arc::downgrade(&state.shared);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(5));
            loop {
                interval.tick().await;
                if sweep_owner.upgrade().is_none() {
                    return;
                }
                let now = sweep_store.now();
                let swept = sweep_store.write(now, |tx, now| {
                    Box::pin(async move {
                        tx.clear_expired_user_bans(*now, SWEEP_BATCH).await?;
                        tx.delete_expired_channel_mutes(*now, SWEEP_BATCH).await
                    })
                });
                if let Err(error) = swept.await {
                    tracing::warn!(error = %error.detail, "clearing expired bans and channel mutes failed");
                }
            }
        });
        // Apps created or changed by another process (`rill app create`, `set-rate-limits`) appear within seconds.
        let weak = Arc::downgrade(&state.shared);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(2));
            loop {
                interval.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                if let Ok(apps) = refresh_store.read((), |tx, ()| tx.apps()).await {
                    shared.apps.reload(apps);
                }
            }
        });
        Ok(state)
    }

    /// Resolves an API key, reloading the apps from the store (at most once a second) on a miss, so a key
    /// created moments ago by another process works at once.
    pub async fn resolve_app(&self, api_key: &str) -> Option<Arc<App>> {
        if let Some(app) = self.shared.apps.by_key(api_key) {
            return Some(app);
        }
        let due = {
            let mut last = self.shared.last_reload.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let due = last.is_none_or(|last| last.elapsed() > Duration::from_secs(1));
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            if let Ok(apps) = self.store().read((), |tx, ()| tx.apps()).await {
                self.shared.apps.reload(apps);
            }
        }
        self.shared.apps.by_key(api_key)
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The state, while something else still holds it (background tasks hold it weakly, so they end with it).
    pub(crate) fn upgrade(shared: &std::sync::Weak<Shared>) -> Option<AppState> {
        shared.upgrade().map(|shared| AppState { shared })
    }

    /// Runs an operation in a write transaction and publishes its notices after the commit. When the app has
    /// webhooks, the events are rendered inside the transaction and their webhook jobs written in it (so a
    /// committed change always gets its webhooks, even across a crash), then published as rendered.
    pub async fn commit<I, V, F>(&self, app: &Arc<App>, input: I, operation: F) -> Result<Outcome<V>, ApiError>
    where
        I: Send + Sync + 'static,
        V: Send + 'static,
        F: for<'t> Fn(&'t mut dyn Tx, &'t I) -> BoxFuture<'t, CoreResult<Outcome<V>>> + Send + Sync + 'static,
    {
        if !app.settings.has_webhooks() {
            let outcome = self.store().write(input, operation).await?;
            self.publish(app, &outcome.notices, &outcome.users);
            self.release_blobs(&outcome.notices);
            if !app.settings.push.enabled.is_empty() {
                // A new message wrote its push job in the same transaction.
                self.shared.outbox.wake();
            }
            return Ok(outcome);
        }
        let context = (app.clone(), self.shared.registry.clone(), self.store().clock());
        let (outcome, deliveries) = self
            .store()
            .write((input, operation, context), |tx, (input, operation, (app, registry, clock))| {
                Box::pin(async move {
                    let outcome = operation(tx, input).await?;
                    let now = clock.now();
                    let deliveries = fanout::deliveries(app, &outcome.notices, &outcome.users, registry, now);
                    let jobs = crate::outbox::webhook_jobs(app, &deliveries);
                    tx.enqueue_jobs(app.id, &jobs, now).await?;
                    Ok((outcome, deliveries))
                })
            })
            .await?;
        self.publish_deliveries(app.id, deliveries);
        self.release_blobs(&outcome.notices);
        self.shared.outbox.wake();
        Ok(outcome)
    }

    /// Records a user of a user token as active this month, as the plan allows (see `ops::usage::activate`).
    /// After a user's first request in a month this is a set lookup on this node. Without a MAU limit there is
    /// nothing to refuse, so the record is written in the background and no request waits on the writer; under
    /// a limit, a user already active is found by a read, and only a new one waits for their admission.
    pub async fn note_active(&self, app: &Arc<App>, user_id: &str) -> Result<(), ApiError> {
        let now = self.shared.store.now();
        let month = rill_core::ops::usage::month_of(now);
        let key = (app.id, user_id.to_owned());
        if !self.mark_active(month, &key) {
            return Ok(());
        }
        let actor = rill_core::model::Actor::User { user_id: user_id.to_owned() };
        let ctx = rill_core::ops::Context { app: app.clone(), actor, now };
        let activate = |store: Store, ctx: rill_core::ops::Context, user_id: String| async move {
            store
                .write((ctx, user_id), |tx, (ctx, user_id)| Box::pin(rill_core::ops::usage::activate(tx, ctx, user_id)))
                .await
        };
        if app.settings.plan.max_mau.is_none() {
            let (state, user_id) = (self.clone(), user_id.to_owned());
            tokio::spawn(async move {
                if let Err(error) = activate(state.shared.store.clone(), ctx, user_id).await {
                    tracing::warn!(error = %error.detail, "recording a monthly active user failed; the next request retries");
                    state.forget_active(month, &key);
                }
            });
            return Ok(());
        }
        let (app_id, lookup) = (app.id, user_id.to_owned());
        let known = self
            .shared
            .store
            .read((app_id, month, lookup), |tx, (app_id, month, lookup)| tx.is_active_in(*app_id, *month, lookup))
            .await;
        let admitted = match known {
            Ok(true) => Ok(()),
            _ => activate(self.shared.store.clone(), ctx, user_id.to_owned()).await.map_err(ApiError::from),
        };
        if admitted.is_err() {
            self.forget_active(month, &key);
        }
        admitted
    }

    /// Marks the user seen in `month`; whether they were not yet (a new month forgets the last one's).
    fn mark_active(&self, month: i64, key: &(i64, String)) -> bool {
        let mut active = self.shared.active_users.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if active.month != month {
            *active = ActiveUsers { month, seen: Default::default() };
        }
        active.seen.insert(key.clone())
    }

    fn forget_active(&self, month: i64, key: &(i64, String)) {
        let mut active = self.shared.active_users.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if active.month == month {
            active.seen.remove(key);
        }
    }

    pub fn blobs(&self) -> Option<&crate::uploads::Blobs> {
        self.shared.blobs.as_ref()
    }

    pub(crate) fn push_clients(&self) -> &crate::push::PushClients {
        &self.shared.push_clients
    }

    /// Removes the blobs of uploads a committed change removed (`Notice::UploadsRemoved`), in the background.
    fn release_blobs(&self, notices: &[Notice]) {
        for notice in notices {
            if let Notice::UploadsRemoved { app_id, uploads } = notice {
                let (state, app_id, uploads) = (self.clone(), *app_id, uploads.clone());
                tokio::spawn(async move {
                    if let Some(blobs) = state.blobs() {
                        blobs.release(&state, app_id, &uploads).await;
                    }
                });
            }
        }
    }

    pub fn purger(&self) -> &crate::purge::Purger {
        &self.shared.purger
    }

    pub fn apps(&self) -> &AppDirectory {
        &self.shared.apps
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.shared.registry
    }

    pub fn gateway(&self) -> &GatewayConfig {
        &self.shared.gateway
    }

    pub fn http_config(&self) -> &HttpConfig {
        &self.shared.gateway.http
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.shared.limiter
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shared.shutdown.clone()
    }

    /// Tells every WebSocket to close (1001).
    pub(crate) fn announce_shutdown(&self) {
        let _ = self.shared.shutdown_sender.send(true);
    }

    /// Counts a WebSocket task as live until the returned guard drops.
    pub(crate) fn socket_guard(&self) -> SocketGuard {
        self.shared.live_sockets.fetch_add(1, Ordering::SeqCst);
        SocketGuard(self.shared.live_sockets.clone())
    }

    /// Publishes a committed operation's notices.
    pub fn publish(&self, app: &App, notices: &[Notice], users: &UserDirectory) {
        if notices.is_empty() {
            return;
        }
        let deliveries = fanout::deliveries(app, notices, users, &self.shared.registry, self.store().now());
        self.publish_deliveries(app.id, deliveries);
    }

    pub fn publish_deliveries(&self, app_id: i64, deliveries: Vec<crate::bus::Delivery>) {
        if !deliveries.is_empty() {
            self.shared.bus.publish(Batch { app_id, deliveries });
        }
    }

    /// Tells every WebSocket to close (1001) and waits up to `timeout` for them to finish.
    pub async fn close_connections(&self, timeout: Duration) {
        self.announce_shutdown();
        let deadline = Instant::now() + timeout;
        while self.shared.live_sockets.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Marks one live WebSocket task.
pub(crate) struct SocketGuard(Arc<AtomicUsize>);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The engine's router: the Stream REST API at the root and the WebSocket at `/connect`. Every response,
/// including those of unknown routes and of a handler that panicked, is answered in Stream's error format.
pub fn router(state: AppState) -> Router {
    routes::api_routes()
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(middleware::from_fn_with_state(state.clone(), request_middleware))
        .layer(middleware::from_fn(cors_middleware))
        .layer(middleware::from_fn(catch_panic))
        .with_state(state)
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::DoesNotExist,
        format!("route {method} {} does not exist", rill_protocol::limits::truncated(uri.path())),
    )
}

/// The outermost layer: a panic anywhere below (a handler, an extractor, a middleware) answers 500 in Stream's
/// format instead of dropping the connection. The request middleware catches handler panics itself, inside the
/// request's scope, so their error names the operation; this catches the rest.
pub async fn catch_panic(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => panic_response(panic.as_ref()),
    }
}

fn panic_response(panic: &(dyn std::any::Any + Send)) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".to_owned());
    ApiError::new(ErrorCode::Internal, format!("panic: {detail}")).into_response()
}

fn set_rate_headers(headers: &mut HeaderMap, verdict: &Verdict) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset));
}

/// Refuses request heads over [`MAX_URI_BYTES`] or [`MAX_HEADER_BYTES`] (hyper refuses far larger ones itself,
/// and `crate::http` gives those answers Stream's format too).
fn check_head(request: &Request) -> Result<(), ApiError> {
    let uri_bytes = request.uri().path_and_query().map_or(0, |path| path.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Err(ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!("the request line has {uri_bytes} bytes: the limit is {MAX_URI_BYTES}"),
        ));
    }
    let header_bytes: usize =
        request.headers().iter().map(|(name, value)| name.as_str().len() + value.as_bytes().len() + 4).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!("the request headers have {header_bytes} bytes: the limit is {MAX_HEADER_BYTES}"),
        ));
    }
    Ok(())
}

/// Sets the request's operation and start time, authenticates it, counts it against the rate limit of the
/// identity it proved (or of its address, when it proved none), and stamps the `X-RateLimit-*` headers on
/// whatever the handler answers.
async fn request_middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let unserved = request::unserved_operation(request.method(), request.uri().path(), route.as_deref());
    let operation = route.as_deref().and_then(|path| request::operation_name(request.method(), path));
    let operation = if unserved.is_some() { None } else { operation };
    let created_status = matches!(*request.method(), Method::POST | Method::PUT);
    let named = operation.or(unserved.map(|unserved| unserved.operation.as_str()));
    let info = RequestInfo { operation: named.unwrap_or("Request"), started, created_status };
    request::scope(info, async move {
        match AssertUnwindSafe(admit_and_run(&state, operation, unserved, request, next)).catch_unwind().await {
            Ok(response) => response,
            Err(panic) => panic_response(panic.as_ref()),
        }
    })
    .await
}

/// The client address a request counts against: the peer's, or for a trusted proxy the address it forwards for.
fn client_address(state: &AppState, request: &Request) -> AddressKey {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let forwarded = || {
        let header = request.headers().get("x-forwarded-for")?.to_str().ok()?;
        header.rsplit(',').next()?.trim().parse::<std::net::IpAddr>().ok()
    };
    match peer {
        Some(peer) if state.http_config().trusted_proxies.contains(&peer) => AddressKey::of(forwarded().or(Some(peer))),
        peer => AddressKey::of(peer),
    }
}

async fn admit_and_run(
    state: &AppState,
    operation: Option<&'static str>,
    unserved: Option<&'static rill_protocol::operations::Operation>,
    request: Request,
    next: Next,
) -> Response {
    let address = client_address(state, &request);
    let now = state.store().now().timestamp();
    if let Err(error) = check_head(&request) {
        let verdict = state.limiter().check_address(address, state.http_config().unauthenticated_per_minute, now);
        return with_rate_headers(error.into_response(), &verdict);
    }
    // Routes outside the API (the error page, unknown paths) and operations Rill does not serve need no
    // credentials and count per address.
    let Some(operation) = operation else {
        let verdict = state.limiter().check_address(address, state.http_config().unauthenticated_per_minute, now);
        if !verdict.allowed {
            return with_rate_headers(address_limited(&verdict).into_response(), &verdict);
        }
        if let Some(unserved) = unserved {
            let refusal = ApiError::new(
                ErrorCode::DoesNotExist,
                format!(
                    "{} ({} {}) is part of Stream's API but Rill does not serve it yet",
                    unserved.operation, unserved.method, unserved.path
                ),
            );
            return with_rate_headers(refusal.into_response(), &verdict);
        }
        return with_rate_headers(next.run(request).await, &verdict);
    };
    if operation == "CreateGuest" {
        return admit_guest(state, address, now, request, next).await;
    }
    let (mut parts, body) = request.into_parts();
    let authenticated = authenticate_request(state, operation, &parts).await;
    let (verdict, scope) = match &authenticated {
        Ok(auth) => limit_identity(state, operation, auth, &parts.headers, now),
        Err(_) => {
            (state.limiter().check_address(address, state.http_config().unauthenticated_per_minute, now), "address")
        }
    };
    if !verdict.allowed {
        let refusal = match scope {
            "address" => address_limited(&verdict),
            scope => ApiError::new(
                ErrorCode::RateLimited,
                format!("too many requests: {operation} allows {} per minute for {scope}", verdict.limit),
            ),
        };
        return with_rate_headers(refusal.into_response(), &verdict);
    }
    match authenticated {
        Ok(auth) if operation == "Connect" => {
            parts.extensions.insert(ConnectAuth(Ok(auth)));
        }
        Ok(auth) => {
            parts.extensions.insert(auth);
        }
        // A socket reports a failed handshake in its first frame, as Stream's clients expect.
        Err(error) if operation == "Connect" => {
            parts.extensions.insert(ConnectAuth(Err(error)));
        }
        Err(error) => return with_rate_headers(error.into_response(), &verdict),
    }
    with_rate_headers(next.run(Request::from_parts(parts, body)).await, &verdict)
}

/// `POST /guest` needs the API key only (any token is ignored) and counts per client address, so one address
/// cannot create guests faster than it may send requests without credentials.
async fn admit_guest(state: &AppState, address: AddressKey, now: i64, request: Request, next: Next) -> Response {
    let verdict = state.limiter().check_address(address, state.http_config().unauthenticated_per_minute, now);
    if !verdict.allowed {
        return with_rate_headers(address_limited(&verdict).into_response(), &verdict);
    }
    let (mut parts, body) = request.into_parts();
    let query = query_map(&parts);
    match crate::extract::app_for_key(state, query.get("api_key").map(String::as_str)).await {
        Ok(app) => {
            parts.extensions.insert(crate::extract::GuestApp(app));
            with_rate_headers(next.run(Request::from_parts(parts, body)).await, &verdict)
        }
        Err(error) => with_rate_headers(error.into_response(), &verdict),
    }
}

fn with_rate_headers(mut response: Response, verdict: &Verdict) -> Response {
    set_rate_headers(response.headers_mut(), verdict);
    response
}

fn address_limited(verdict: &Verdict) -> ApiError {
    ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "too many requests without valid credentials from this address: {} per minute are allowed",
            verdict.limit
        ),
    )
}

/// Authenticates a request from its credentials: for REST the `api_key` parameter and the `Authorization`
/// header; for `/connect` the query alone (browsers cannot set headers on a WebSocket).
async fn authenticate_request(
    state: &AppState,
    operation: &str,
    parts: &axum::http::request::Parts,
) -> Result<Auth, ApiError> {
    let query = query_map(parts);
    let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok());
    let from_query = operation == "Connect";
    let credentials = Credentials {
        api_key: query.get("api_key").map(String::as_str),
        auth_type: if from_query {
            query.get("stream-auth-type").map(String::as_str)
        } else {
            header("stream-auth-type")
        },
        token: if from_query { query.get("authorization").map(String::as_str) } else { header("authorization") },
    };
    let (app, identity) = authenticate(state, credentials).await?;
    let connection_id = match query.get("connection_id").filter(|id| !id.is_empty()) {
        Some(id) => Some(ConnectionId::parse(id.as_str()).map_err(|error| ApiError::input(error.0))?),
        None => None,
    };
    Ok(Auth { app, identity, connection_id })
}

/// Counts an authenticated request: server tokens against the app's server-side window, user tokens against
/// the app's window for their platform and their own per-user window. The headers describe whichever window is
/// closer to its limit, which the second value names.
fn limit_identity(
    state: &AppState,
    operation: &'static str,
    auth: &Auth,
    headers: &HeaderMap,
    now: i64,
) -> (Verdict, &'static str) {
    const APP: &str = "this app and platform";
    let setting = auth.app.settings.rate_limits;
    let limiter = state.limiter();
    match &auth.identity {
        Identity::Server => (limiter.check_app(auth.app.id, operation, Platform::ServerSide, setting, now), APP),
        Identity::User { user_id, .. } => {
            let platform =
                Platform::from_client_header(headers.get("x-stream-client").and_then(|value| value.to_str().ok()));
            let app_window = limiter.check_app(auth.app.id, operation, platform, setting, now);
            if !app_window.allowed {
                return (app_window, APP);
            }
            let user_window = limiter.check_user(auth.app.id, operation, platform, user_id, setting, now);
            if !user_window.allowed || user_window.remaining < app_window.remaining {
                (user_window, "this user and platform")
            } else {
                (app_window, APP)
            }
        }
    }
}

/// Browser clients send a CORS preflight: answer it, reflecting the requested headers.
async fn cors_middleware(request: Request, next: Next) -> Response {
    let origin = request.headers().get("origin").cloned();
    let requested_headers = request.headers().get("access-control-request-headers").cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", origin.unwrap_or_else(|| HeaderValue::from_static("*")));
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"));
    headers.insert(
        "access-control-allow-headers",
        requested_headers.unwrap_or_else(|| {
            HeaderValue::from_static(
                "authorization, content-type, stream-auth-type, x-stream-client, x-client-request-id",
            )
        }),
    );
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("86400"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_core::model::AppSettings;
    use rill_core::secret::Secret;

    fn app(key: &str, disable_auth_checks: bool) -> App {
        App {
            id: 1,
            name: "Test".into(),
            api_key: key.into(),
            api_secret: Secret::new("secret"),
            settings: AppSettings { disable_auth_checks, ..AppSettings::default() },
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_streams_format() {
        use tower::ServiceExt;
        let router: Router = Router::new()
            .route("/boom", axum::routing::get(|| async { panic!("a handler bug") as &'static str }))
            .layer(middleware::from_fn(catch_panic));
        let request = axum::http::Request::get("/boom").body(axum::body::Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((body["code"].as_i64(), body["StatusCode"].as_i64()), (Some(-1), Some(500)));
        let message = body["message"].as_str().unwrap();
        assert!(message.ends_with("\"internal error\""), "the panic's text is logged, not sent: {message}");
    }

    #[test]
    fn neither_a_reload_nor_a_late_put_brings_back_an_older_copy() {
        let revised = |key: &str, flag: bool, revision: u64| {
            let mut app = app(key, flag);
            app.settings.revision = revision;
            app
        };
        let directory = AppDirectory::default();
        directory.put(revised("k", false, 1));
        // A reload reads the store, then this process changes the app and puts it, then the reload lands.
        directory.put(revised("k", true, 2));
        directory.reload(vec![revised("k", false, 1), app("new", false)]);
        assert!(directory.by_key("k").unwrap().settings.disable_auth_checks, "the stale row came back");
        assert!(directory.by_key("new").is_some(), "apps created elsewhere still appear");
        // Two concurrent changes commit as revisions 3 and 4; their puts land in the other order.
        directory.put(revised("k", false, 4));
        directory.put(revised("k", true, 3));
        assert!(!directory.by_key("k").unwrap().settings.disable_auth_checks, "revision 3 replaced revision 4");
        // A change by another process (a higher revision) applies at the next reload.
        directory.reload(vec![revised("k", true, 5)]);
        assert_eq!(directory.by_key("k").unwrap().settings.revision, 5);
    }
}
