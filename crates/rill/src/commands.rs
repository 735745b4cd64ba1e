//! The `serve` and `app` commands (the `hub` commands are in `hub.rs`).

use crate::output;
use anyhow::Context as _;
use rill_core::clock::SystemClock;
use rill_core::model::RateLimitSetting;
use rill_core::store::postgres::PostgresOptions;
use rill_core::store::sqlite::SqliteOptions;
use rill_core::store::{open_backend, Database, Store};
use rill_protocol::limits::DEFAULT_CONNECTIONS_PER_ADDRESS;
use rill_protocol::response::CreatedApp;
use rill_server::app::{AppState, GatewayConfig, HttpConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the store is: every command that opens it takes these.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct StoreFlags {
    /// Where Rill keeps its data: the SQLite database (unless --database-url is given) and the key that seals
    /// app secrets (always: back it up with the database).
    #[arg(long, env = "RILL_DATA_DIR", default_value = "./rill-data")]
    pub(crate) data_dir: PathBuf,
    /// Keep the rows in PostgreSQL instead of SQLite: postgres://user:password@host:port/database. Unencrypted,
    /// so keep the database on loopback or a private network; prefer the variable to the flag, which other
    /// users of the machine can read in the process list.
    #[arg(long, env = "RILL_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The PostgreSQL schema for Rill's tables (created when missing); by default the connection's own.
    #[arg(long, env = "RILL_DATABASE_SCHEMA", requires = "database_url")]
    database_schema: Option<String>,
    /// Most PostgreSQL connections Rill opens, so most transactions at once.
    #[arg(long, env = "RILL_DATABASE_CONNECTIONS", default_value_t = 16, requires = "database_url")]
    database_connections: usize,
}

impl StoreFlags {
    fn database(&self) -> Database {
        match &self.database_url {
            None => Database::Sqlite(SqliteOptions::default()),
            Some(url) => Database::Postgres {
                url: url.clone(),
                options: PostgresOptions {
                    max_connections: self.database_connections,
                    schema: self.database_schema.clone(),
                },
            },
        }
    }

    /// The Hub's store beside the engine's: `hub.db` in the same directory, or the same PostgreSQL database and
    /// schema (its tables are prefixed `hub_`). It needs few connections: sign-ins and admin changes.
    pub(crate) fn hub_database(&self) -> rill_hub::store::HubDatabase {
        match &self.database_url {
            None => rill_hub::store::HubDatabase::Sqlite,
            Some(url) => rill_hub::store::HubDatabase::Postgres {
                url: url.clone(),
                schema: self.database_schema.clone(),
                max_connections: self.database_connections.clamp(1, 4),
            },
        }
    }

    pub(crate) fn uses_postgres(&self) -> bool {
        self.database_url.is_some()
    }

    /// Where the rows are, for people: never the URL itself, which may hold a password.
    pub(crate) fn describe(&self) -> String {
        match &self.database_url {
            None => format!("SQLite in {}", self.data_dir.display()),
            Some(_) => "PostgreSQL".to_owned(),
        }
    }
}

/// Opens (creating) the store the flags name.
pub(crate) async fn open_store(flags: &StoreFlags) -> anyhow::Result<Store> {
    let backend = open_backend(&flags.data_dir, &flags.database())
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the database ({}): {}", flags.describe(), error.detail))?;
    Ok(Store::new(backend, Arc::new(SystemClock)))
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
    /// The URL clients reach Rill at (e.g. https://chat.example.com), for the URLs of uploaded files; without
    /// it they are built from each request's Host header.
    #[arg(long = "public-url", env = "RILL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Where Firebase pushes go instead of FCM's own endpoint (a staging or test server), unless a provider
    /// names its own `firebase_host`.
    #[arg(long = "fcm-base-url", env = "RILL_FCM_BASE_URL")]
    fcm_base_url: Option<String>,
    /// A PEM file of CA certificates to trust, besides the system's, for push endpoints (test and staging
    /// servers with their own CA).
    #[arg(long = "push-ca-file", env = "RILL_PUSH_CA_FILE")]
    push_ca_file: Option<std::path::PathBuf>,
    /// Keep uploaded files in an S3-compatible bucket instead of DATA_DIR/uploads:
    /// s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:9000&region=us-east-1[&path_style=true] (the region
    /// defaults to us-east-1, the endpoint to AWS's). The keys come from RILL_S3_ACCESS_KEY_ID and
    /// RILL_S3_SECRET_ACCESS_KEY, or else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    #[arg(long = "uploads-url", env = "RILL_UPLOADS_URL")]
    uploads_url: Option<String>,
}

pub(crate) async fn serve(
    flags: &StoreFlags,
    listen: SocketAddr,
    limits: ConnectionFlags,
    hub_flags: &crate::hub::HubServeFlags,
) -> anyhow::Result<()> {
    // A bad URL or missing keys are told before anything is opened; whether the bucket answers, at start below.
    let uploads_s3 = match &limits.uploads_url {
        None => None,
        Some(url) => Some(
            rill_server::s3::S3Config::parse(url, rill_server::s3::S3Credentials::from_env())
                .map_err(|problem| anyhow::anyhow!("invalid --uploads-url (RILL_UPLOADS_URL): {problem}"))?,
        ),
    };
    let uploads = match &uploads_s3 {
        None => format!("{}", flags.data_dir.join("uploads").display()),
        Some(bucket) => bucket.describe(),
    };
    let store = open_store(flags).await?;
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
    let public_url = limits.public_url.clone();
    let trusted_proxies = limits.trusted_proxies.clone();
    let http = HttpConfig {
        max_connections: limits.max_connections,
        max_connections_per_address: limits.max_connections_per_address,
        trusted_proxies: limits.trusted_proxies,
        ..HttpConfig::default()
    };
    let gateway = GatewayConfig {
        http,
        uploads_dir: Some(flags.data_dir.join("uploads")),
        uploads_s3,
        public_url: limits.public_url,
        push: rill_server::push::PushEndpoints { fcm_base_url: limits.fcm_base_url, ca_file: limits.push_ca_file },
        ..GatewayConfig::default()
    };
    let state = AppState::new(store, gateway).await.map_err(|error| anyhow::anyhow!(error.detail))?;
    let engine = Arc::new(rill_server::local::EngineService::new(state.clone()));
    let hub =
        crate::hub::prepare(flags, hub_flags, public_url.as_deref(), trusted_proxies, engine, &default_app).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    output::line(&format!("Rill is listening on http://{address}"));
    let list_hint = match flags.database_url {
        None => format!("`rill app list --data-dir {}`", flags.data_dir.display()),
        Some(_) => "`rill app list` with the same database flags".to_owned(),
    };
    output::line(&format!(
        "Chat API: http://{address}  (app id {}, api key {}; {list_hint} shows the secret)",
        default_app.id, default_app.api_key
    ));
    hub.announce(public_url.as_deref().unwrap_or(&format!("http://{address}")), flags);
    output::line(&format!("Store: {}", flags.describe()));
    output::line(&format!("Uploads: {uploads}"));
    // The Hub's routes (`/`, `/hub/...`) come first; every other request goes to the engine's router, whose own
    // fallback answers unknown routes in Stream's error format.
    let app = rill_hub::api::router(hub.state.clone()).fallback_service(rill_server::app::router(state.clone()));
    rill_server::http::serve_app(listener, state, app, wait_for_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

pub(crate) async fn create_app(flags: &StoreFlags, name: &str, plan: &str, json: bool) -> anyhow::Result<()> {
    if rill_core::model::Plan::named(plan).is_none() {
        anyhow::bail!("unknown plan {plan:?}: use one of {}", rill_core::model::Plan::NAMES.join(", "));
    }
    let store = open_store(flags).await?;
    let now = store.now();
    let (name, plan) = (name.to_owned(), plan.to_owned());
    let app = store
        .write((name, plan, now), |tx, (name, plan, now)| {
            Box::pin(async move {
                let app = rill_core::ops::apps::create_app(tx, name, *now).await?;
                rill_core::ops::usage::set_plan(tx, app.id, plan, None, None).await
            })
        })
        .await
        .map_err(core_error)?;
    let created =
        CreatedApp { app_id: app.id, api_key: app.api_key.clone(), api_secret: app.api_secret.expose().to_owned() };
    if json {
        output::line(&serde_json::to_string(&created)?);
    } else {
        output::line(&format!(
            "app id:     {}\napi key:    {}\napi secret: {}\nplan:       {}",
            created.app_id,
            created.api_key,
            created.api_secret,
            describe_plan(&app.settings.plan)
        ));
    }
    Ok(())
}

pub(crate) async fn list_apps(flags: &StoreFlags, json: bool) -> anyhow::Result<()> {
    let store = open_store(flags).await?;
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
    flags: &StoreFlags,
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
    let store = open_store(flags).await?;
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

/// A plan in words: `free (5 monthly active users, 500000 messages a month)`.
fn describe_plan(plan: &rill_core::model::Plan) -> String {
    let limit =
        |limit: Option<u64>, what: &str| limit.map_or(format!("unlimited {what}"), |limit| format!("{limit} {what}"));
    format!(
        "{} ({}, {})",
        plan.name,
        limit(plan.max_mau, "monthly active users"),
        limit(plan.max_messages, "messages a month")
    )
}

pub(crate) async fn set_plan(
    flags: &StoreFlags,
    app_id: i64,
    plan: &str,
    max_mau: Option<u64>,
    max_messages: Option<u64>,
) -> anyhow::Result<()> {
    let store = open_store(flags).await?;
    let plan = plan.to_owned();
    let app = store
        .write((app_id, plan, max_mau, max_messages), |tx, (app_id, plan, max_mau, max_messages)| {
            Box::pin(rill_core::ops::usage::set_plan(tx, *app_id, plan, *max_mau, *max_messages))
        })
        .await
        .map_err(core_error)?;
    output::line(&format!("plan of app {app_id}: {}", describe_plan(&app.settings.plan)));
    Ok(())
}

pub(crate) async fn show_outbox(flags: &StoreFlags, app_id: i64, json: bool) -> anyhow::Result<()> {
    let store = open_store(flags).await?;
    let summary = store
        .read(app_id, |tx, app_id| {
            Box::pin(async move {
                rill_core::ops::apps::app_by_id(tx, *app_id).await?;
                tx.outbox_summary(*app_id, rill_server::outbox::LISTED_FAILURES).await
            })
        })
        .await
        .map_err(core_error)?;
    let report = rill_server::convert::outbox(app_id, &summary);
    if json {
        output::line(&serde_json::to_string(&report)?);
        return Ok(());
    }
    let oldest = report.oldest_pending_at.map(|at| format!(", the oldest from {}", rill_protocol::time::format(&at)));
    output::line(&format!(
        "app {app_id}: {} deliveries pending{}, {} failed",
        report.pending,
        oldest.unwrap_or_default(),
        report.failed
    ));
    for failure in &report.failures {
        output::line(&format!(
            "  failed {} {} to {} after {} attempts: {}",
            rill_protocol::time::format(&failure.failed_at),
            failure.event_type,
            failure.target,
            failure.attempts,
            failure.last_error
        ));
    }
    Ok(())
}

pub(crate) async fn show_usage(flags: &StoreFlags, app_id: i64, json: bool) -> anyhow::Result<()> {
    let store = open_store(flags).await?;
    let now = store.now();
    let usage = store
        .read((app_id, now), |tx, (app_id, now)| {
            Box::pin(async move {
                let app = rill_core::ops::apps::app_by_id(tx, *app_id).await?;
                rill_core::ops::usage::usage(tx, &app, *now).await
            })
        })
        .await
        .map_err(core_error)?;
    let report = rill_server::convert::usage(app_id, &usage);
    if json {
        output::line(&serde_json::to_string(&report)?);
    } else {
        let of = |count: u64, limit: Option<u64>| {
            limit.map_or(format!("{count} (unlimited)"), |limit| format!("{count} of {limit}"))
        };
        output::line(&format!(
            "app {app_id}, plan {}, {}\nmonthly active users: {}\nmessages:             {}",
            report.plan,
            report.month,
            of(report.monthly_active_users.count, report.monthly_active_users.limit),
            of(report.messages.count, report.messages.limit)
        ));
    }
    Ok(())
}
