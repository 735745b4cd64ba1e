//! The test harness: a real engine on `127.0.0.1:0` over a fresh store (SQLite in WAL mode, as in production, or
//! a schema of its own on PostgreSQL when `RILL_TEST_DB=postgres`: see `rill_core::store::testing`), with a chat
//! app, typed clients and sockets. Every response and event a test reads can be checked against the
//! public schemas with [`assert_schema`].

use crate::app::{AppState, GatewayConfig};
use crate::http::serve;
use rill_client::{Client, Socket};
use rill_core::clock::{Clock, SystemClock};
use rill_core::store::testing::{BackendKind, TestDatabase};
use rill_core::store::Store;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Credentials of an app.
#[derive(Debug, Clone)]
pub struct TestApp {
    pub id: i64,
    pub api_key: String,
    pub api_secret: String,
}

pub struct TestServer {
    pub base_url: String,
    pub app: TestApp,
    pub state: AppState,
    database: TestDatabase,
    data_dir: Option<tempfile::TempDir>,
    path: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The S3-compatible server for tests: an `s3://` URL naming a bucket there, which `scripts/test` starts
/// (`source scripts/s3.sh && start_s3` starts one by hand), with the keys in the two variables after it.
pub const S3_URL_VARIABLE: &str = "RILL_TEST_S3_URL";
pub const S3_ACCESS_KEY_VARIABLE: &str = "RILL_TEST_S3_ACCESS_KEY_ID";
pub const S3_SECRET_KEY_VARIABLE: &str = "RILL_TEST_S3_SECRET_ACCESS_KEY";

/// The test bucket, under a prefix of its own (so tests sharing the bucket never see each other's objects).
/// Panics saying how to get one when the variables are unset: a test that needs S3 fails, never skips.
pub fn test_s3_config() -> crate::s3::S3Config {
    let read = |name: &str| match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set: this test needs an S3-compatible server. Run scripts/test, or start one with \
             `source scripts/s3.sh && start_s3`"
        ),
    };
    let credentials = crate::s3::S3Credentials {
        access_key_id: read(S3_ACCESS_KEY_VARIABLE),
        secret_access_key: rill_core::secret::Secret::new(read(S3_SECRET_KEY_VARIABLE)),
    };
    let mut config = crate::s3::S3Config::parse(&read(S3_URL_VARIABLE), Ok(credentials))
        .unwrap_or_else(|problem| panic!("{S3_URL_VARIABLE} is not a usable uploads URL: {problem}"));
    let own = format!("t-{}", uuid::Uuid::new_v4().simple());
    config.prefix = if config.prefix.is_empty() { own } else { format!("{}/{own}", config.prefix) };
    config
}

/// Panics with every problem when `value` does not match the named public schema.
pub fn assert_schema(schema: &str, value: &Value) {
    if let Err(problems) = rill_protocol::schema::validate(schema, value) {
        panic!("{schema} does not match the schema:\n  {}\nvalue: {value:#}", problems.join("\n  "));
    }
}

impl TestServer {
    /// A server over a fresh data directory, with one app.
    pub async fn start() -> TestServer {
        TestServer::start_with(GatewayConfig::default()).await
    }

    pub async fn start_with(gateway: GatewayConfig) -> TestServer {
        TestServer::start_with_clock(gateway, Arc::new(SystemClock)).await
    }

    /// A server whose store tells time by `clock` (a `ManualClock` moves it across a month, say).
    pub async fn start_with_clock(gateway: GatewayConfig, clock: Arc<dyn Clock>) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let path = data_dir.path().to_path_buf();
        let database = TestDatabase::new(BackendKind::from_env());
        let mut server = TestServer::open(&path, database, gateway, None, clock).await;
        server.data_dir = Some(data_dir);
        server
    }

    async fn open(
        path: &Path,
        database: TestDatabase,
        gateway: GatewayConfig,
        app: Option<TestApp>,
        clock: Arc<dyn Clock>,
    ) -> TestServer {
        let store = Store::new(database.open(path).await, clock);
        let app = match app {
            Some(app) => app,
            None => {
                let now = store.now();
                let created = store
                    .write((now,), |tx, (now,)| Box::pin(rill_core::ops::apps::create_app(tx, "Test", *now)))
                    .await
                    .expect("create app");
                TestApp {
                    id: created.id,
                    api_key: created.api_key.clone(),
                    api_secret: created.api_secret.expose().to_owned(),
                }
            }
        };
        let gateway =
            GatewayConfig { uploads_dir: gateway.uploads_dir.or_else(|| Some(path.join("uploads"))), ..gateway };
        let state = AppState::new(store, gateway).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        TestServer {
            base_url,
            app,
            state,
            database,
            data_dir: None,
            path: path.to_path_buf(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops gracefully and starts a new server on the same data directory: only what was stored survives.
    pub async fn restart(mut self) -> TestServer {
        self.shutdown().await;
        let data_dir = self.data_dir.take();
        let database = self.database.clone();
        let clock = self.state.store().clock();
        let gateway = GatewayConfig::default();
        let mut server = TestServer::open(&self.path, database, gateway, Some(self.app.clone()), clock).await;
        server.data_dir = data_dir;
        server
    }

    /// Stops the server: in-flight requests finish and sockets close with 1001.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Creates another app on the same server.
    pub async fn create_app(&self, name: &str) -> TestApp {
        let name = name.to_owned();
        let now = self.state.store().now();
        let created = self
            .state
            .store()
            .write((name, now), |tx, (name, now)| Box::pin(rill_core::ops::apps::create_app(tx, name, *now)))
            .await
            .expect("create app");
        let app = TestApp {
            id: created.id,
            api_key: created.api_key.clone(),
            api_secret: created.api_secret.expose().to_owned(),
        };
        // Known to the server at once, however many apps a test creates in a row.
        self.state.apps().put(created);
        app
    }

    /// Changes an app's rate limits directly in the store.
    pub async fn set_rate_limits(&self, setting: rill_core::model::RateLimitSetting) {
        let app_id = self.app.id;
        let app = self
            .state
            .store()
            .write((app_id, setting), |tx, (app_id, setting)| {
                Box::pin(rill_core::ops::apps::set_rate_limits(tx, *app_id, *setting))
            })
            .await
            .expect("set rate limits");
        self.state.apps().put(app);
    }

    /// Puts the app on a plan (with either limit overridden) directly in the store.
    pub async fn set_plan(&self, plan: &str, max_mau: Option<u64>, max_messages: Option<u64>) {
        let (app_id, plan) = (self.app.id, plan.to_owned());
        let app = self
            .state
            .store()
            .write((app_id, plan, max_mau, max_messages), |tx, (app_id, plan, max_mau, max_messages)| {
                Box::pin(rill_core::ops::usage::set_plan(tx, *app_id, plan, *max_mau, *max_messages))
            })
            .await
            .expect("set plan");
        self.state.apps().put(app);
    }

    /// Bans a user app-wide, for good, straight in the store (no events).
    pub async fn set_banned(&self, user_id: &str) {
        let app_id = self.app.id;
        let ban = rill_core::model::Ban {
            user_id: user_id.to_owned(),
            channel_cid: None,
            created_by: None,
            reason: None,
            shadow: false,
            future_channels: false,
            created_at: chrono::Utc::now(),
            expires: None,
        };
        self.state.store().write(ban, move |tx, ban| tx.put_ban(app_id, ban)).await.expect("ban");
    }

    /// Stores regular messages straight into a channel's rows, in one transaction, newest last: volume for
    /// tests of queries at scale (no events, no counters; the channel must exist).
    pub async fn insert_messages_directly(&self, cid: &str, user_id: &str, messages: Vec<(String, String)>) {
        let (app_id, cid, user_id) = (self.app.id, cid.to_owned(), user_id.to_owned());
        // A millisecond apart, the last one now: all in the past, as stored messages are.
        let start = chrono::Utc::now() - chrono::Duration::milliseconds(messages.len() as i64);
        let rows: Vec<rill_core::model::Message> = messages
            .into_iter()
            .enumerate()
            .map(|(index, (id, text))| {
                let at = start + chrono::Duration::milliseconds(index as i64);
                rill_core::model::Message {
                    id,
                    cid: cid.clone(),
                    user_id: user_id.clone(),
                    message_type: "regular".into(),
                    html: String::new(),
                    text,
                    parent_id: None,
                    show_in_channel: false,
                    silent: false,
                    shadowed: false,
                    pinned: false,
                    pinned_at: None,
                    pinned_by: None,
                    pin_expires: None,
                    quoted_message_id: None,
                    attachments: Vec::new(),
                    mentioned_users: Vec::new(),
                    data: serde_json::Map::new(),
                    reaction_counts: Default::default(),
                    reaction_scores: Default::default(),
                    reply_count: 0,
                    deleted_reply_count: 0,
                    created_at: at,
                    updated_at: at,
                    deleted_at: None,
                    text_updated_at: None,
                    sequence: 0,
                }
            })
            .collect();
        self.state
            .store()
            .write(rows, move |tx, rows| {
                Box::pin(async move {
                    for message in rows {
                        tx.insert_message(app_id, message).await?;
                    }
                    Ok(())
                })
            })
            .await
            .expect("insert messages");
    }

    /// The backend the server's store runs on.
    /// The server's data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn backend_kind(&self) -> BackendKind {
        self.database.kind
    }

    pub fn server_client(&self) -> Client {
        Client::server(&self.base_url, &self.app.api_key, &self.app.api_secret)
    }

    /// A user token without expiry, issued now.
    pub fn token(&self, user_id: &str) -> String {
        rill_client::token::user_token(user_id, &self.app.api_secret, chrono::Utc::now().timestamp(), None)
    }

    pub fn user_client(&self, user_id: &str) -> Client {
        Client::with_token(&self.base_url, &self.app.api_key, Some(self.token(user_id)))
    }

    /// Creates users with the given ids (role `user`, name = capitalized id).
    pub async fn create_users(&self, ids: &[&str]) {
        let users: Vec<Value> = ids.iter().map(|id| json!({"id": id, "name": id.to_uppercase()})).collect();
        self.server_client().upsert_users(&users).await.expect("create users");
    }

    /// Opens a socket for a user; it has already received `health.check`.
    pub async fn connect(&self, user_id: &str) -> Socket {
        Socket::connect(&self.base_url, &self.app.api_key, &self.token(user_id), user_id, &json!({"id": user_id}))
            .await
            .expect("connect")
    }

    /// Creates a `team` channel with members, created by the first member.
    pub async fn team_channel(&self, id: &str, members: &[&str]) -> Value {
        let body = json!({"data": {"created_by_id": members[0], "members": members, "name": id}});
        let response = self
            .server_client()
            .raw(reqwest::Method::POST, &format!("/channels/team/{id}/query"), &[], Some(&body))
            .await
            .expect("channel");
        assert_eq!(response.status, 201, "{}", response.body);
        response.body
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
