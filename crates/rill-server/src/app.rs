//! The engine's HTTP application: shared state, the router, the per-request middleware (operation name,
//! duration, rate limits, CORS) and `serve` with graceful shutdown.

use crate::bus::{Batch, Bus, LocalBus};
use crate::error::ApiError;
use crate::extract::query_map;
use crate::limiter::{Platform, RateLimiter, Verdict};
use crate::registry::Registry;
use crate::request::{self, RequestInfo};
use crate::{fanout, routes, ws};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rill_core::model::{App, UserDirectory};
use rill_core::ops::Notice;
use rill_core::store::Store;
use rill_protocol::error::ErrorCode;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Tunables of the WebSocket gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Frames a connection may have queued before it is closed as too slow.
    pub queue_capacity: usize,
    /// Interval of the server's own `health.check` frames.
    pub health_interval: Duration,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            queue_capacity: 1024,
            health_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(90),
        }
    }
}

/// Apps by API key, cached in memory: every request resolves its app, and apps change rarely.
///
/// Two kinds of writers: [`put`](AppDirectory::put) after this process changed an app in the store, and
/// [`reload`](AppDirectory::reload) with every app read from the store (changes by other processes). A reload
/// whose read began before a `put` must not bring the older row back, so each `put` is numbered and a reload
/// skips the apps put after its read began.
#[derive(Default)]
pub struct AppDirectory {
    // A plain lock: held for a map lookup or insert, never across an await. Each app is kept with the number of
    // the `put` that wrote it (0 for a reload).
    apps: RwLock<HashMap<String, (Arc<App>, u64)>>,
    puts: AtomicU64,
}

impl AppDirectory {
    pub fn by_key(&self, api_key: &str) -> Option<Arc<App>> {
        self.apps.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(api_key).map(|(app, _)| app.clone())
    }

    /// Stores an app this process has just written to the store.
    pub fn put(&self, app: App) -> Arc<App> {
        let app = Arc::new(app);
        let mut apps = self.apps.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let number = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
        apps.insert(app.api_key.clone(), (app.clone(), number));
        app
    }

    /// Taken before reading the apps from the store, for [`reload`](AppDirectory::reload).
    pub fn read_mark(&self) -> u64 {
        self.puts.load(Ordering::SeqCst)
    }

    /// Stores apps read from the store after `mark` was taken, except those put since (the read may predate them).
    pub fn reload(&self, fresh: Vec<App>, mark: u64) {
        let mut apps = self.apps.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for app in fresh {
            if apps.get(&app.api_key).is_some_and(|(_, number)| *number > mark) {
                continue;
            }
            apps.insert(app.api_key.clone(), (Arc::new(app), 0));
        }
    }
}

struct Shared {
    store: Store,
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
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

impl AppState {
    /// Builds the state over a store, loading its apps, and starts this node's event dispatcher.
    pub async fn new(store: Store, gateway: GatewayConfig) -> Result<AppState, ApiError> {
        let apps = AppDirectory::default();
        for app in store.read(|tx| tx.apps()).await? {
            apps.put(app);
        }
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::default());
        let refresh_store = store.clone();
        let registry = Arc::new(Registry::default());
        tokio::spawn(fanout::run_dispatcher(registry.clone(), store.clone(), bus.subscribe()));
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
            }),
        };
        // Apps created or changed by another process (`rill app create`, `set-rate-limits`) appear within seconds.
        let weak = Arc::downgrade(&state.shared);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(2));
            loop {
                interval.tick().await;
                let Some(shared) = weak.upgrade() else { return };
                let mark = shared.apps.read_mark();
                if let Ok(apps) = refresh_store.read(|tx| tx.apps()).await {
                    shared.apps.reload(apps, mark);
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
            let mark = self.shared.apps.read_mark();
            if let Ok(apps) = self.store().read(|tx| tx.apps()).await {
                self.shared.apps.reload(apps, mark);
            }
        }
        self.shared.apps.by_key(api_key)
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
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

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shared.shutdown.clone()
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
        let _ = self.shared.shutdown_sender.send(true);
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

/// The engine's router: the Stream REST API at the root and the WebSocket at `/connect`.
pub fn router(state: AppState) -> Router {
    routes::api_routes()
        .route("/connect", axum::routing::get(ws::connect))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(middleware::from_fn_with_state(state.clone(), request_middleware))
        .layer(middleware::from_fn(cors_middleware))
        .with_state(state)
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(ErrorCode::DoesNotExist, format!("route {method} {} does not exist", uri.path()))
}

/// Who a request claims to be, for choosing rate-limit windows before authentication: server tokens count
/// server-side, user tokens by `X-Stream-Client` and also per user.
fn limit_subject(headers: &HeaderMap) -> (Platform, Option<String>) {
    let token = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default();
    let client_platform =
        || Platform::from_client_header(headers.get("x-stream-client").and_then(|value| value.to_str().ok()));
    match token_hint::read(token) {
        token_hint::Hint::Server => (Platform::ServerSide, None),
        token_hint::Hint::User(user_id) => (client_platform(), Some(user_id)),
        token_hint::Hint::None => (client_platform(), None),
    }
}

fn set_rate_headers(headers: &mut HeaderMap, verdict: &Verdict) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset));
}

/// Sets the request's operation and start time, counts it against its rate limit, and stamps the
/// `X-RateLimit-*` headers on whatever the handler answers.
async fn request_middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let operation = path.as_deref().map_or("Request", |path| request::operation_name(request.method(), path));
    let created_status = matches!(*request.method(), Method::POST | Method::PUT);
    let info = RequestInfo { operation, started, created_status };

    let query = {
        let (parts, body) = request.into_parts();
        let query = query_map(&parts);
        (Request::from_parts(parts, body), query)
    };
    let (request, query) = query;
    let api_key = query.get("api_key").cloned().unwrap_or_default();
    let setting = state
        .apps()
        .by_key(&api_key)
        .map(|app| app.settings.rate_limits)
        .unwrap_or(rill_core::model::RateLimitSetting::StreamDefaults);
    let (platform, user_id) = limit_subject(request.headers());
    let now = state.store().now().timestamp();
    let mut verdict = state.shared.limiter.check(&api_key, operation, platform, setting, now);
    let mut scope = "this app and platform";
    if let (true, Some(user_id)) = (verdict.allowed, user_id) {
        let per_user = state.shared.limiter.check_user(&api_key, operation, platform, &user_id, setting, now);
        // The headers describe whichever window is closer to its limit.
        if !per_user.allowed || per_user.remaining < verdict.remaining {
            verdict = per_user;
            scope = "this user and platform";
        }
    }

    let mut response = if verdict.allowed {
        request::scope(info, next.run(request)).await
    } else {
        request::scope(info, async {
            ApiError::new(
                ErrorCode::RateLimited,
                format!("too many requests: {operation} allows {} per minute for {scope}", verdict.limit),
            )
            .into_response()
        })
        .await
    };
    set_rate_headers(response.headers_mut(), &verdict);
    response
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

/// Serves until `shutdown` resolves: then stops accepting, finishes in-flight requests, closes every WebSocket
/// with 1001 and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let closing = state.clone();
    // Without TCP_NODELAY, Nagle's algorithm holds back a small WebSocket frame until the previous one is
    // acknowledged, which the peer's delayed ACK stretches to about 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream: &mut tokio::net::TcpStream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Sockets do not count as in-flight requests: tell them to close so the server can finish.
            let _ = closing.shared.shutdown_sender.send(true);
        })
        .await?;
    state.close_connections(Duration::from_secs(5)).await;
    Ok(())
}

/// Reads just enough of a JWT to see who it claims to be, for choosing rate-limit windows before
/// authentication. Nothing is trusted from it: authentication verifies the token afterwards, and a forged claim
/// only moves a request between windows of the same app.
mod token_hint {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::Value;

    pub(super) enum Hint {
        Server,
        User(String),
        None,
    }

    pub(super) fn read(token: &str) -> Hint {
        let token = token.strip_prefix("Bearer ").unwrap_or(token);
        let Some(payload) = token.split('.').nth(1) else { return Hint::None };
        let claims = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        match claims {
            Some(claims) if claims.get("server").and_then(Value::as_bool) == Some(true) => Hint::Server,
            Some(claims) => match claims.get("user_id").and_then(Value::as_str) {
                Some(user_id) if !user_id.is_empty() && user_id.len() <= 255 => Hint::User(user_id.to_owned()),
                _ => Hint::None,
            },
            None => Hint::None,
        }
    }
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

    #[test]
    fn a_reload_never_undoes_a_newer_put() {
        let directory = AppDirectory::default();
        directory.put(app("k", false));
        // A reload reads the store, then this process changes the app and puts it, then the reload lands.
        let mark = directory.read_mark();
        directory.put(app("k", true));
        directory.reload(vec![app("k", false), app("new", false)], mark);
        assert!(directory.by_key("k").unwrap().settings.disable_auth_checks, "the stale row came back");
        assert!(directory.by_key("new").is_some(), "apps created elsewhere still appear");
        // A reload that began after the put is current and applies.
        let mark = directory.read_mark();
        directory.reload(vec![app("k", false)], mark);
        assert!(!directory.by_key("k").unwrap().settings.disable_auth_checks);
    }
}
