//! The `serve` and `app` commands.

use crate::output;
use anyhow::Context as _;
use rill_core::clock::SystemClock;
use rill_core::model::RateLimitSetting;
use rill_core::store::sqlite::{SqliteBackend, SqliteOptions};
use rill_core::store::Store;
use rill_protocol::limits::DEFAULT_CONNECTIONS_PER_ADDRESS;
use rill_protocol::response::CreatedApp;
use rill_server::app::{AppState, GatewayConfig, HttpConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Opens (creating) the store in a data directory.
pub(crate) fn open_store(data_dir: &Path) -> anyhow::Result<Store> {
    let backend = SqliteBackend::open_data_dir(data_dir, SqliteOptions::default())
        .map_err(|error| anyhow::anyhow!("cannot open the database in {}: {}", data_dir.display(), error.detail))?;
    Ok(Store::new(Arc::new(backend), Arc::new(SystemClock)))
}

fn core_error(error: rill_core::error::CoreError) -> anyhow::Error {
    anyhow::anyhow!("{}", error.detail)
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests and closing sockets");
}

/// Connection limits of `rill serve`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ConnectionFlags {
    /// Most open connections (HTTP and WebSocket) in all; by default the descriptor limit less 128.
    #[arg(long, env = "RILL_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Most open connections from one address (an IPv6 /64 counts as one).
    #[arg(long, env = "RILL_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = DEFAULT_CONNECTIONS_PER_ADDRESS)]
    max_connections_per_address: usize,
    /// A reverse proxy in front of Rill (repeat, or comma-separated): its requests count against the address in
    /// `X-Forwarded-For`, and its connections are not capped per address.
    #[arg(long = "trusted-proxy", env = "RILL_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
}

pub(crate) async fn serve(data_dir: &Path, listen: SocketAddr, limits: ConnectionFlags) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let apps = store.read((), |tx, ()| tx.apps()).await.map_err(core_error)?;
    let default_app = match apps.into_iter().next() {
        Some(app) => app,
        None => {
            let now = store.now();
            let app = store
                .write((now,), |tx, (now,)| Box::pin(rill_core::ops::apps::create_app(tx, "Rill", *now)))
                .await
                .map_err(core_error)?;
            output::progress(&format!("created the default chat app (id {})", app.id));
            app
        }
    };
    let http = HttpConfig {
        max_connections: limits.max_connections,
        max_connections_per_address: limits.max_connections_per_address,
        trusted_proxies: limits.trusted_proxies,
        ..HttpConfig::default()
    };
    let gateway = GatewayConfig { http, ..GatewayConfig::default() };
    let state = AppState::new(store, gateway).await.map_err(|error| anyhow::anyhow!(error.detail))?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    output::line(&format!("Rill is listening on http://{address}"));
    output::line(&format!(
        "Chat API: http://{address}  (app id {}, api key {}; `rill app list --data-dir {}` shows the secret)",
        default_app.id,
        default_app.api_key,
        data_dir.display()
    ));
    rill_server::http::serve(listener, state, wait_for_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

pub(crate) async fn create_app(data_dir: &Path, name: &str, json: bool) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let now = store.now();
    let name = name.to_owned();
    let app = store
        .write((name, now), |tx, (name, now)| Box::pin(rill_core::ops::apps::create_app(tx, name, *now)))
        .await
        .map_err(core_error)?;
    let created =
        CreatedApp { app_id: app.id, api_key: app.api_key.clone(), api_secret: app.api_secret.expose().to_owned() };
    if json {
        output::line(&serde_json::to_string(&created)?);
    } else {
        output::line(&format!(
            "app id:     {}\napi key:    {}\napi secret: {}",
            created.app_id, created.api_key, created.api_secret
        ));
    }
    Ok(())
}

pub(crate) async fn list_apps(data_dir: &Path, json: bool) -> anyhow::Result<()> {
    let store = open_store(data_dir)?;
    let apps = store.read((), |tx, ()| tx.apps()).await.map_err(core_error)?;
    if json {
        let list: Vec<CreatedApp> = apps
            .iter()
            .map(|app| CreatedApp {
                app_id: app.id,
                api_key: app.api_key.clone(),
                api_secret: app.api_secret.expose().to_owned(),
            })
            .collect();
        output::line(&serde_json::to_string(&list)?);
    } else {
        for app in apps {
            output::line(&format!("{}\t{}\t{}\t{}", app.id, app.name, app.api_key, app.api_secret.expose()));
        }
    }
    Ok(())
}

pub(crate) async fn set_rate_limits(
    data_dir: &Path,
    app_id: i64,
    off: bool,
    per_minute: Option<u32>,
) -> anyhow::Result<()> {
    let setting = match (off, per_minute) {
        (true, _) => RateLimitSetting::Off,
        (false, Some(0)) => anyhow::bail!("--per-minute must be at least 1 (use --off to lift limits)"),
        (false, Some(limit)) => RateLimitSetting::PerMinute(limit),
        (false, None) => RateLimitSetting::StreamDefaults,
    };
    let store = open_store(data_dir)?;
    store
        .write((app_id, setting), |tx, (app_id, setting)| {
            Box::pin(rill_core::ops::apps::set_rate_limits(tx, *app_id, *setting))
        })
        .await
        .map_err(core_error)?;
    let described = match setting {
        RateLimitSetting::Off => "off".to_owned(),
        RateLimitSetting::PerMinute(limit) => format!("{limit} per minute per endpoint"),
        RateLimitSetting::StreamDefaults => "Stream's defaults".to_owned(),
    };
    output::line(&format!("rate limits for app {app_id}: {described}"));
    Ok(())
}
