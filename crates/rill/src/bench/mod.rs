//! `rill bench`: measures the engine on loopback and prints figures.
//!
//! It starts `rill serve` as a child process (this same binary) on a fresh data directory with rate limits
//! lifted, pins it to one core and the load generator to the other (when the machine has two or more), and runs
//! bounded scenarios:
//!
//! 1. durable REST sends/s with N concurrent senders (each acknowledged send is committed with fsync);
//! 2. fan-out deliveries/s into one channel watched by M members over real WebSockets;
//! 3. send-to-delivery latency p50/p99 at a fixed delivery rate;
//! 4. memory per idle WebSocket (server RSS growth over W idle connections);
//! 5. the server's CPU time per operation, read from /proc;
//! 6. the storage floor: as many messages posted straight into the same database by as many concurrent writers,
//!    one transaction each (the store's part of a send, nothing else), so that sends/s reads as a ratio to what
//!    the disk and database allow;
//! 7. queries at scale (`scale.rs`): QueryUsers autocomplete, QueryChannels, Search at a small and a large
//!    size, and a send's latency while a large channel is deleted.
//!
//! With `--database-url` every engine keeps its rows in a fresh schema of that PostgreSQL database. Every loop is
//! bounded in count and time. Nothing here asserts a duration: it prints what it measured.

mod scale;

use crate::output;
use anyhow::{bail, Context as _};
use clap::Args;
use futures_util::StreamExt;
use rill_client::Client;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

#[derive(Args, Debug, Clone)]
pub(crate) struct BenchArgs {
    /// Concurrent senders in the durable-send scenario.
    #[arg(long, env = "RILL_BENCH_SENDERS", default_value_t = 64)]
    senders: usize,
    /// Messages sent in the durable-send scenario.
    #[arg(long, env = "RILL_BENCH_MESSAGES", default_value_t = 20_000)]
    messages: usize,
    /// Watching members in the fan-out scenario.
    #[arg(long, env = "RILL_BENCH_WATCHERS", default_value_t = 1_000)]
    watchers: usize,
    /// Messages sent into the watched channel in the fan-out scenario.
    #[arg(long, env = "RILL_BENCH_FANOUT_MESSAGES", default_value_t = 200)]
    fanout_messages: usize,
    /// Concurrent senders in the fan-out scenario.
    #[arg(long, env = "RILL_BENCH_FANOUT_SENDERS", default_value_t = 8)]
    fanout_senders: usize,
    /// Target deliveries per second in the latency scenario.
    #[arg(long, env = "RILL_BENCH_LATENCY_RATE", default_value_t = 10_000)]
    latency_rate: usize,
    /// Seconds the latency scenario runs.
    #[arg(long, env = "RILL_BENCH_LATENCY_SECONDS", default_value_t = 5)]
    latency_seconds: u64,
    /// Idle WebSockets opened to measure memory per connection.
    #[arg(long, env = "RILL_BENCH_IDLE_SOCKETS", default_value_t = 2_000)]
    idle_sockets: usize,
    /// Run the engines on this PostgreSQL database (a fresh schema each) instead of SQLite.
    #[arg(long, env = "RILL_BENCH_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(flatten)]
    scale: scale::ScaleArgs,
    /// Skip the throughput, latency and memory scenarios (only the storage floor and the scale scenarios).
    #[arg(long, env = "RILL_BENCH_SKIP_THROUGHPUT")]
    skip_throughput: bool,
    /// Print the figures as one JSON object instead of text.
    #[arg(long, env = "RILL_JSON")]
    json: bool,
}

/// Where an engine keeps its rows: a fresh data directory and, with `--database-url`, a fresh schema.
/// The PostgreSQL schemas this run made, dropped when it ends.
static SCHEMAS_MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Drops the schemas this run made in the PostgreSQL database, if it used one.
async fn drop_schemas_made(url: Option<&str>) {
    let schemas = std::mem::take(&mut *SCHEMAS_MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    if let (Some(url), false) = (url, schemas.is_empty()) {
        output::progress(&format!("dropping the {} schemas this run made", schemas.len()));
        if let Err(error) = rill_core::store::postgres::drop_schemas(url, &schemas).await {
            output::progress(&format!("could not drop them ({}): {}", error.detail, schemas.join(", ")));
        }
    }
}

pub(crate) struct Place {
    directory: tempfile::TempDir,
    url: Option<String>,
    schema: String,
}

impl Place {
    fn new(url: Option<&str>) -> anyhow::Result<Place> {
        let schema = format!("rill_bench_{}", uuid::Uuid::new_v4().simple());
        if url.is_some() {
            SCHEMAS_MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(schema.clone());
        }
        Ok(Place { directory: tempfile::tempdir()?, url: url.map(str::to_owned), schema })
    }

    fn dir(&self) -> String {
        self.directory.path().to_string_lossy().into_owned()
    }

    /// The same store, opened by this process (to load data, or to measure the floor).
    async fn open_store(&self) -> anyhow::Result<rill_core::store::Store> {
        use rill_core::store::{postgres::PostgresOptions, sqlite::SqliteOptions, Database};
        let database = match &self.url {
            None => Database::Sqlite(SqliteOptions::default()),
            Some(url) => Database::Postgres {
                url: url.clone(),
                options: PostgresOptions { max_connections: 16, schema: Some(self.schema.clone()) },
            },
        };
        let backend = rill_core::store::open_backend(self.directory.path(), &database)
            .await
            .map_err(|error| anyhow::anyhow!("cannot open the bench store: {}", error.detail))?;
        Ok(rill_core::store::Store::new(backend, Arc::new(rill_core::clock::SystemClock)))
    }

    fn configure(&self, command: &mut tokio::process::Command) {
        if let Some(url) = &self.url {
            command.env("RILL_DATABASE_URL", url).env("RILL_DATABASE_SCHEMA", &self.schema);
        }
    }

    fn backend_name(&self) -> &'static str {
        if self.url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

/// The engine under test, as a child process.
struct Engine {
    child: tokio::process::Child,
    pid: u32,
    base_url: String,
    api_key: String,
    api_secret: String,
    /// The largest write-ahead log seen while the engine ran, sampled every 20 ms.
    wal_peak: Arc<AtomicU64>,
    app_id: i64,
    place: Place,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// CPU time (user + system) of a process in seconds, from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks per second are 100 on Linux for every architecture Rill targets.
    Some((user + system) / 100.0)
}

/// Resident set size of a process in bytes.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

static PINNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Pins this process (the load generator) to core 1 when the machine has two or more cores. Called before the
/// runtime starts, so its worker threads inherit the affinity.
pub(crate) fn pin_generator() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let machine = machine_description(cores);
    if cores >= 2 {
        let pinned = std::process::Command::new("taskset")
            .args(["-cp", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        PINNED.store(pinned, Ordering::SeqCst);
    }
    machine
}

fn pinned_generator() -> bool {
    PINNED.load(Ordering::SeqCst)
}

async fn run_rill(place: &Place, executable: &Path, arguments: &[&str]) -> anyhow::Result<String> {
    let mut command = tokio::process::Command::new(executable);
    place.configure(&mut command);
    let output = command.args(arguments).env("RILL_LOG", "warn").output().await?;
    if !output.status.success() {
        bail!("rill {} failed: {}", arguments.join(" "), String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

async fn start_engine(place: Place) -> anyhow::Result<Engine> {
    let executable = std::env::current_exe().context("cannot find the rill executable")?;
    let data = place.dir();
    let created: Value = serde_json::from_str(
        &run_rill(&place, &executable, &["app", "create", "--data-dir", &data, "--name", "bench", "--json"]).await?,
    )?;
    let app_id = created["app_id"].as_i64().context("app id")?;
    let id = app_id.to_string();
    run_rill(&place, &executable, &["app", "set-rate-limits", "--data-dir", &data, "--app-id", &id, "--off"]).await?;
    // With two or more cores the engine gets core 0 from its start, so its runtime sizes itself to one core;
    // the load generator pinned itself to core 1 before its runtime started (see `main`).
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut command = if cores >= 2 || pinned_generator() {
        let mut command = tokio::process::Command::new("taskset");
        command.arg("-c").arg("0").arg(&executable);
        command
    } else {
        tokio::process::Command::new(&executable)
    };
    place.configure(&mut command);
    let mut child = command
        // Every simulated client connects from 127.0.0.1, so the per-address cap is lifted.
        .args(["serve", "--data-dir", &data, "--listen", "127.0.0.1:0", "--max-connections-per-address", "1000000"])
        .env("RILL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start rill serve")?;
    let pid = child.id().context("engine pid")?;
    let stdout = child.stdout.take().context("engine stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let base_url = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .context("the engine did not start within 30 s")??
            .context("the engine exited before listening")?;
        if let Some(rest) = line.strip_prefix("Rill is listening on ") {
            break rest.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let wal_peak = Arc::new(AtomicU64::new(0));
    let sampled = wal_peak.clone();
    let wal_path = place.directory.path().join("rill.db-wal");
    tokio::spawn(async move {
        loop {
            let size = std::fs::metadata(&wal_path).map(|metadata| metadata.len()).unwrap_or(0);
            sampled.fetch_max(size, Ordering::Relaxed);
            if Arc::strong_count(&sampled) == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    Ok(Engine {
        child,
        pid,
        base_url,
        api_key: created["api_key"].as_str().context("api key")?.to_owned(),
        api_secret: created["api_secret"].as_str().context("api secret")?.to_owned(),
        wal_peak,
        app_id,
        place,
    })
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn create_users(client: &Client, prefix: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let ids: Vec<String> = (0..count).map(|index| format!("{prefix}{index}")).collect();
    for chunk in ids.chunks(100) {
        let users: Vec<Value> = chunk.iter().map(|id| json!({"id": id, "name": id})).collect();
        client.upsert_users(&users).await.map_err(|error| anyhow::anyhow!("creating users: {error}"))?;
    }
    Ok(ids)
}

async fn create_channel(client: &Client, id: &str, members: &[String]) -> anyhow::Result<()> {
    let first: Vec<&String> = members.iter().take(100).collect();
    client
        .get_or_create_channel("team", id, &json!({"data": {"created_by_id": members[0], "members": first}}))
        .await
        .map_err(|error| anyhow::anyhow!("creating channel {id}: {error}"))?;
    for chunk in members[first.len().min(members.len())..].chunks(100) {
        let response = client
            .raw(reqwest::Method::POST, &format!("/channels/team/{id}"), &[], Some(&json!({"add_members": chunk})))
            .await?;
        if response.status != 201 {
            bail!("adding members: {}", response.body);
        }
    }
    Ok(())
}

/// Scenario 1: durable sends/s.
async fn durable_sends(engine: &Engine, args: &BenchArgs) -> anyhow::Result<(f64, f64)> {
    let server = Client::server(&engine.base_url, &engine.api_key, &engine.api_secret);
    let senders = create_users(&server, "sender", args.senders.max(1)).await?;
    create_channel(&server, "sends", &senders).await?;
    let remaining = Arc::new(AtomicU64::new(args.messages as u64));
    let cpu_before = cpu_seconds(engine.pid).unwrap_or(0.0);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for sender in senders.clone() {
        let client = server.clone();
        let remaining = remaining.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            while remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok() {
                let message = json!({"text": "durable benchmark message", "user_id": sender});
                client
                    .send_message("team", "sends", &message)
                    .await
                    .map_err(|error| anyhow::anyhow!("send: {error}"))?;
                sent += 1;
            }
            anyhow::Ok(sent)
        }));
    }
    let mut sent = 0u64;
    for task in tasks {
        sent += task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(engine.pid).unwrap_or(0.0) - cpu_before;
    Ok((sent as f64 / elapsed, cpu / sent.max(1) as f64))
}

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket and returns it with its connection id.
async fn open_socket(engine: &Engine, user_id: &str) -> anyhow::Result<(WsStream, String)> {
    let token = rill_client::token::user_token(user_id, &engine.api_secret, chrono::Utc::now().timestamp(), None);
    let url =
        rill_client::socket::connect_url(&engine.base_url, &engine.api_key, &token, user_id, &json!({"id": user_id}));
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.context("websocket connect")?;
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text)?;
                if frame["type"] == "health.check" {
                    let connection_id = frame["connection_id"].as_str().unwrap_or_default().to_owned();
                    return Ok((stream, connection_id));
                }
                bail!("connect refused: {frame}");
            }
            Some(Ok(_)) => continue,
            other => bail!("socket closed during connect: {other:?}"),
        }
    }
}

/// Opens one watching socket per member, each counting (and timestamping) the `message.new` frames it gets.
async fn open_watchers(
    engine: &Engine,
    members: &[String],
    channel: &str,
    delivered: Arc<AtomicU64>,
    latencies: Option<Arc<std::sync::Mutex<Vec<f64>>>>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut readers = Vec::new();
    for (index, member) in members.iter().enumerate() {
        let (mut stream, connection_id) = open_socket(engine, member).await?;
        let token = rill_client::token::user_token(member, &engine.api_secret, chrono::Utc::now().timestamp(), None);
        let client = Client::with_token(&engine.base_url, &engine.api_key, Some(token)).on_connection(&connection_id);
        let watched = client
            .raw(
                reqwest::Method::POST,
                &format!("/channels/team/{channel}/query"),
                &[],
                Some(&json!({"watch": true, "messages": {"limit": 1}})),
            )
            .await?;
        if watched.status != 201 {
            bail!("watch failed: {}", watched.body);
        }
        let delivered = delivered.clone();
        let latencies = latencies.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Text(text) = message {
                    if !text.contains("\"type\":\"message.new\"") {
                        continue;
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                    if let Some(latencies) = &latencies {
                        if let Ok(frame) = serde_json::from_str::<Value>(&text) {
                            if let Some(sent_at) = frame["message"]["sent_at_micros"].as_i64() {
                                let micros = chrono::Utc::now().timestamp_micros() - sent_at;
                                latencies
                                    .lock()
                                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                                    .push(micros as f64 / 1000.0);
                            }
                        }
                    }
                }
            }
        }));
        if (index + 1) % 250 == 0 {
            output::progress(&format!("    {} of {} watchers connected", index + 1, members.len()));
        }
    }
    Ok(readers)
}

/// Scenario 2: fan-out deliveries/s.
async fn fanout(engine: &Engine, args: &BenchArgs) -> anyhow::Result<(f64, f64)> {
    let server = Client::server(&engine.base_url, &engine.api_key, &engine.api_secret);
    let members = create_users(&server, "watcher", args.watchers.max(2)).await?;
    create_channel(&server, "fanout", &members).await?;
    let delivered = Arc::new(AtomicU64::new(0));
    let readers = open_watchers(engine, &members, "fanout", delivered.clone(), None).await?;
    let expected = (args.fanout_messages * members.len()) as u64;
    let cpu_before = cpu_seconds(engine.pid).unwrap_or(0.0);
    let started = Instant::now();
    // Concurrent senders keep the engine busy; each socket's queue (1024 frames) holds far more than they have
    // in flight, so no watcher is dropped as too slow.
    let sender_count = args.fanout_senders.max(1);
    let per_sender = args.fanout_messages.div_ceil(sender_count);
    let mut senders = Vec::new();
    for sender_index in 0..sender_count {
        let client = server.clone();
        let author = members[sender_index % members.len()].clone();
        let count = per_sender.min(args.fanout_messages.saturating_sub(sender_index * per_sender));
        senders.push(tokio::spawn(async move {
            for _ in 0..count {
                let message = json!({"text": "fan-out", "user_id": author});
                client
                    .send_message("team", "fanout", &message)
                    .await
                    .map_err(|error| anyhow::anyhow!("send: {error}"))?;
            }
            anyhow::Ok(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(engine.pid).unwrap_or(0.0) - cpu_before;
    let got = delivered.load(Ordering::Relaxed);
    if got < expected {
        output::progress(&format!("    warning: {got} of {expected} deliveries arrived within 60 s"));
    }
    for reader in readers {
        reader.abort();
    }
    Ok((got as f64 / elapsed, cpu / got.max(1) as f64))
}

/// Scenario 3: latency at a fixed delivery rate.
async fn latency(engine: &Engine, args: &BenchArgs) -> anyhow::Result<(f64, f64, usize)> {
    let server = Client::server(&engine.base_url, &engine.api_key, &engine.api_secret);
    let watchers = 100usize;
    let members = create_users(&server, "latency", watchers).await?;
    create_channel(&server, "latency", &members).await?;
    let delivered = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let readers = open_watchers(engine, &members, "latency", delivered.clone(), Some(latencies.clone())).await?;
    let messages_per_second = (args.latency_rate / watchers).max(1);
    let total = messages_per_second * args.latency_seconds as usize;
    let interval = Duration::from_secs_f64(1.0 / messages_per_second as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sends = Vec::new();
    for index in 0..total {
        ticker.tick().await;
        let client = server.clone();
        let author = members[index % members.len()].clone();
        sends.push(tokio::spawn(async move {
            let message =
                json!({"text": "latency", "user_id": author, "sent_at_micros": chrono::Utc::now().timestamp_micros()});
            client.send_message("team", "latency", &message).await.map_err(|error| anyhow::anyhow!("send: {error}"))
        }));
    }
    for send in sends {
        send.await??;
    }
    let expected = (total * watchers) as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for reader in readers {
        reader.abort();
    }
    let mut samples = latencies.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 0.50), percentile(&samples, 0.99), samples.len()))
}

/// Scenario 4: memory per idle WebSocket.
async fn idle_memory(engine: &Engine, args: &BenchArgs) -> anyhow::Result<f64> {
    let server = Client::server(&engine.base_url, &engine.api_key, &engine.api_secret);
    // Users hold at most 50 connections each; 25 per user stays clear of the cap.
    let users = create_users(&server, "idle", (args.idle_sockets / 25).max(50)).await?;
    // Warm up: the first connections allocate the runtime's and the allocator's per-thread structures, which
    // are not per-socket costs.
    let mut warmup = Vec::new();
    for user in users.iter().take(20) {
        warmup.push(open_socket(engine, user).await?.0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_bytes(engine.pid).context("cannot read the engine's memory")?;
    let mut sockets = Vec::with_capacity(args.idle_sockets);
    for index in 0..args.idle_sockets {
        let (stream, _) = open_socket(engine, &users[index % users.len()]).await?;
        sockets.push(stream);
        if (index + 1) % 500 == 0 {
            output::progress(&format!("    {} of {} idle sockets open", index + 1, args.idle_sockets));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes(engine.pid).context("cannot read the engine's memory")?;
    drop(sockets);
    drop(warmup);
    Ok(after.saturating_sub(before) as f64 / args.idle_sockets.max(1) as f64)
}

/// Lets the engine finish the previous scenario's aftermath (closing sockets, checkpointing the log) so that it
/// does not bleed into the next scenario's figures.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}

fn machine_description(cores: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {cores} cores")
}

pub(crate) async fn run(args: BenchArgs, machine: String) -> anyhow::Result<()> {
    let measured = measure(&args, machine).await;
    drop_schemas_made(args.database_url.as_deref()).await;
    measured
}

async fn measure(args: &BenchArgs, machine: String) -> anyhow::Result<()> {
    let args = args.clone();
    if cfg!(debug_assertions) {
        output::progress("warning: this is a debug build; run `cargo run --release -p rill -- bench` for real figures");
    }
    let url = args.database_url.as_deref();
    let backend = Place::new(url)?.backend_name();
    output::progress(&format!("backend: {backend}"));
    let mut figures = json!({
        "machine": machine,
        "date": chrono::Utc::now().format("%Y-%m-%d").to_string(),
        "backend": backend,
    });
    let mut lines = vec![format!("machine: {machine}"), format!("backend: {backend}")];
    if !args.skip_throughput {
        throughput(&args, url, &mut figures, &mut lines).await?;
        settle().await;
    }
    output::progress(&format!(
        "storage floor: {} messages posted straight into the store by {} writers",
        args.messages, args.senders
    ));
    let floor = scale::storage_floor(url, args.messages, args.senders.max(1)).await?;
    figures["storage_floor_messages_per_second"] = json!(floor.round());
    lines.push(format!("storage floor (messages/s, {} writers): {floor:.0}", args.senders));
    if let Some(sends) = figures["durable_sends_per_second"].as_f64() {
        let ratio = sends / floor;
        figures["durable_sends_to_floor"] = json!((ratio * 1000.0).round() / 1000.0);
        lines.push(format!("durable sends / floor:         {:.0} %", ratio * 100.0));
    }
    settle().await;
    scale::run(&args.scale, url, &mut figures, &mut lines).await?;
    if args.json {
        output::line(&figures.to_string());
    } else {
        for line in lines {
            output::line(&line);
        }
    }
    Ok(())
}

/// The throughput, latency and memory scenarios (each on a fresh engine where it matters).
async fn throughput(
    args: &BenchArgs,
    url: Option<&str>,
    figures: &mut Value,
    lines: &mut Vec<String>,
) -> anyhow::Result<()> {
    // Memory first, on an engine of its own: the other scenarios leave freed memory the allocator would reuse,
    // and closing thousands of sockets keeps an engine busy for a while afterwards.
    output::progress("starting an engine for the memory scenario (fresh store)");
    let engine = start_engine(Place::new(url)?).await?;
    output::progress(&format!("[1/4] memory: {} idle WebSockets", args.idle_sockets));
    let per_socket = idle_memory(&engine, args).await?;
    drop(engine);
    settle().await;

    output::progress("starting an engine for the throughput scenarios (rate limits off, fresh store)");
    let engine = start_engine(Place::new(url)?).await?;
    output::progress(&format!("engine pid {} at {}", engine.pid, engine.base_url));
    output::progress(&format!(
        "[2/4] durable sends: {} messages from {} concurrent senders",
        args.messages, args.senders
    ));
    let (sends_per_second, cpu_per_send) = durable_sends(&engine, args).await?;
    settle().await;
    output::progress(&format!(
        "[3/4] latency at {} deliveries/s for {} s (100 watchers)",
        args.latency_rate, args.latency_seconds
    ));
    let (p50, p99, samples) = latency(&engine, args).await?;
    settle().await;
    output::progress(&format!(
        "[4/4] fan-out: {} messages into a channel with {} watching members",
        args.fanout_messages, args.watchers
    ));
    let (deliveries_per_second, cpu_per_delivery) = fanout(&engine, args).await?;
    let wal_peak = engine.wal_peak.load(Ordering::Relaxed);
    let measured = json!({
        "durable_sends_per_second": sends_per_second.round(),
        "senders": args.senders,
        "fanout_deliveries_per_second": deliveries_per_second.round(),
        "watchers": args.watchers,
        "fanout_senders": args.fanout_senders,
        "latency_p50_ms": (p50 * 100.0).round() / 100.0,
        "latency_p99_ms": (p99 * 100.0).round() / 100.0,
        "latency_rate_deliveries_per_second": args.latency_rate,
        "latency_samples": samples,
        "bytes_per_idle_websocket": per_socket.round(),
        "server_cpu_microseconds_per_send": (cpu_per_send * 1e6 * 10.0).round() / 10.0,
        "server_cpu_microseconds_per_delivery": (cpu_per_delivery * 1e6 * 100.0).round() / 100.0,
        "wal_peak_bytes": wal_peak,
    });
    if let (Some(target), Some(source)) = (figures.as_object_mut(), measured.as_object()) {
        target.extend(source.clone());
    }
    lines.push(format!("durable sends/s ({} senders):   {:.0}", args.senders, sends_per_second));
    lines.push(format!(
        "fan-out deliveries/s ({} watchers, {} senders): {:.0}",
        args.watchers, args.fanout_senders, deliveries_per_second
    ));
    lines.push(format!(
        "latency at {}/s: p50 {:.2} ms, p99 {:.2} ms ({} samples)",
        args.latency_rate, p50, p99, samples
    ));
    lines.push(format!("memory per idle WebSocket:     {:.1} KiB", per_socket / 1024.0));
    lines.push(format!("server CPU per send:           {:.1} µs", cpu_per_send * 1e6));
    lines.push(format!("server CPU per delivery:       {:.2} µs", cpu_per_delivery * 1e6));
    if url.is_none() {
        // SQLite's log in the data directory; PostgreSQL's is the server's own business.
        lines.push(format!("peak write-ahead log:          {:.1} MiB", wal_peak as f64 / (1024.0 * 1024.0)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles_pick_ranked_samples() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(super::percentile(&samples, 0.5), 51.0);
        assert_eq!(super::percentile(&samples, 0.99), 99.0);
        assert!(super::percentile(&[], 0.5).is_nan());
    }
}
