//! The storage floor and the scenarios at scale: QueryUsers autocomplete, QueryChannels and Search, each at a
//! small and a large size (the goal: less than 3x slower at the large one), and a send's latency while a large
//! channel is deleted. The data is written straight into the engine's store by this process (through the same
//! store code), so that loading a million messages takes a minute rather than an hour of REST calls; the queries
//! go through the engine's REST API like a client's.

use super::{settle, start_engine, Engine, Place};
use crate::output;
use clap::Args;
use rill_client::Client;
use rill_core::model::{Channel, Member, Message, User};
use rill_core::store::{PostEffects, Store};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub(crate) struct ScaleArgs {
    /// Users at the large size of the QueryUsers scenario (the small size is 1,000).
    #[arg(long = "scale-users", env = "RILL_BENCH_SCALE_USERS", default_value_t = 100_000)]
    scale_users: usize,
    /// Channels of one user at the large size of the QueryChannels scenario (the small size is 30, one page).
    #[arg(long = "scale-channels", env = "RILL_BENCH_SCALE_CHANNELS", default_value_t = 1_000)]
    scale_channels: usize,
    /// Messages at the large size of the Search scenario (the small size is 10,000).
    #[arg(long = "scale-messages", env = "RILL_BENCH_SCALE_MESSAGES", default_value_t = 1_000_000)]
    scale_messages: usize,
    /// Messages of the channel deleted while sends are timed.
    #[arg(long = "scale-purge-messages", env = "RILL_BENCH_SCALE_PURGE_MESSAGES", default_value_t = 200_000)]
    scale_purge_messages: usize,
    /// Skip the scenarios at scale.
    #[arg(long = "skip-scale", env = "RILL_BENCH_SKIP_SCALE")]
    skip_scale: bool,
}

/// How many rows one loading transaction writes.
const LOAD_BATCH: usize = 5_000;

/// How many times each query is timed; the median is printed.
const QUERY_RUNS: usize = 30;

fn message_row(id: String, cid: &str, user_id: &str, text: String, at: chrono::DateTime<chrono::Utc>) -> Message {
    Message {
        id,
        cid: cid.to_owned(),
        user_id: user_id.to_owned(),
        message_type: "regular".into(),
        text,
        html: String::new(),
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
}

/// Writes message rows in one transaction.
async fn write_messages(store: &Store, app_id: i64, rows: Vec<Message>) -> anyhow::Result<()> {
    store
        .write(rows, move |tx, rows| {
            Box::pin(async move {
                for row in rows {
                    tx.insert_message(app_id, row).await?;
                }
                Ok(())
            })
        })
        .await
        .map_err(|error| anyhow::anyhow!("writing messages: {}", error.detail))
}

/// The storage floor: what the store itself allows for sends, with no HTTP, authentication, JSON or fan-out.
/// `rows` messages posted into one channel by `writers` concurrent writers, as the engine's senders do: one
/// durable transaction each, which counts the message in its channel, stores it and moves its sender's read
/// position (`post_message`, the same store call a send makes last). Messages per second.
pub(crate) async fn storage_floor(url: Option<&str>, rows: usize, writers: usize) -> anyhow::Result<f64> {
    let place = Place::new(url)?;
    let store = place.open_store().await?;
    load_channels(&store, 1, "floor", 0..1, &["floor"]).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= rows {
                    return anyhow::Ok(());
                }
                let now = chrono::Utc::now();
                let text = "durable benchmark message".to_owned();
                let message = message_row(format!("floor{index}"), "team:floor0", "floor", text, now);
                store
                    .write(message, move |tx, message| {
                        let mut message = message.clone();
                        Box::pin(async move {
                            let effects = PostEffects {
                                counts_unread: true,
                                shows_in_channel: true,
                                sender_is_member: true,
                                unhide: true,
                                counted_in: Some(rill_core::store::MonthShard {
                                    month: rill_core::ops::usage::month_of(now),
                                    shard: 0,
                                }),
                            };
                            tx.post_message(1, &mut message, effects, now).await.map(drop)
                        })
                    })
                    .await
                    .map_err(|error| anyhow::anyhow!("posting: {}", error.detail))?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

/// A name drawn from syllables, deterministic in `seed`: a few hundred first and last names, as in a company.
fn name_of(seed: usize) -> (String, String) {
    const SYLLABLES: [&str; 16] =
        ["ka", "lo", "mi", "ra", "ten", "vo", "zu", "shi", "an", "el", "dor", "in", "sa", "be", "ri", "ko"];
    let mix = seed.wrapping_mul(2_654_435_761) ^ (seed >> 7);
    let syllable = |shift: usize| SYLLABLES[(mix >> shift) % SYLLABLES.len()];
    (format!("{}{}", syllable(0), syllable(4)), format!("{}{}{}", syllable(8), syllable(12), syllable(16)))
}

fn user_row(index: usize, now: chrono::DateTime<chrono::Utc>) -> User {
    let (first, last) = name_of(index);
    let mut data = serde_json::Map::new();
    data.insert("name".into(), Value::from(format!("{first} {last}")));
    User {
        id: format!("u{index}"),
        role: "user".into(),
        data,
        created_at: now + chrono::Duration::microseconds(index as i64),
        updated_at: now,
        last_active: None,
        deactivated_at: None,
        deleted_at: None,
        banned: false,
        revoke_tokens_issued_before: None,
        shadow_banned: false,
        ban_expires: None,
    }
}

async fn load_users(store: &Store, app_id: i64, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let total = range.len();
    for (done, start) in range.clone().step_by(LOAD_BATCH).enumerate() {
        let rows: Vec<User> = (start..(start + LOAD_BATCH).min(range.end)).map(|index| user_row(index, now)).collect();
        store
            .write(rows, move |tx, rows| {
                Box::pin(async move {
                    for user in rows {
                        tx.upsert_user(app_id, user, None).await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(|error| anyhow::anyhow!("writing users: {}", error.detail))?;
        if (done + 1) % 4 == 0 {
            output::progress(&format!("    {} of {total} users loaded", ((done + 1) * LOAD_BATCH).min(total)));
        }
    }
    Ok(())
}

fn member_row(cid: &str, user_id: &str, now: chrono::DateTime<chrono::Utc>) -> Member {
    Member {
        cid: cid.to_owned(),
        user_id: user_id.to_owned(),
        channel_role: "channel_member".into(),
        data: serde_json::Map::new(),
        created_at: now,
        updated_at: now,
        hidden: false,
        last_read_at: now,
        last_read_message_id: None,
        last_read_sequence: 0,
        hide_messages_before: None,
        ban: None,
    }
}

/// Team channels `{prefix}{index}`, each with `members`.
async fn load_channels(
    store: &Store,
    app_id: i64,
    prefix: &str,
    range: std::ops::Range<usize>,
    members: &[&str],
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let members: Vec<String> = members.iter().map(|member| (*member).to_owned()).collect();
    for start in range.clone().step_by(LOAD_BATCH / 5) {
        let ids: Vec<String> =
            (start..(start + LOAD_BATCH / 5).min(range.end)).map(|index| format!("{prefix}{index}")).collect();
        let members = members.clone();
        store
            .write((ids, members), move |tx, (ids, members)| {
                Box::pin(async move {
                    for (offset, id) in ids.iter().enumerate() {
                        let at = now + chrono::Duration::milliseconds(offset as i64);
                        let channel = Channel {
                            cid: format!("team:{id}"),
                            channel_type: "team".into(),
                            id: id.clone(),
                            created_by: members.first().cloned(),
                            data: serde_json::Map::new(),
                            frozen: false,
                            disabled: false,
                            team: None,
                            cooldown: 0,
                            created_at: at,
                            updated_at: at,
                            deleted_at: None,
                            truncated_at: None,
                            last_message_at: None,
                            member_count: 0,
                            message_count: 0,
                            unread_sequence: 0,
                            read_floor: 0,
                        };
                        tx.insert_channel(app_id, &channel).await?;
                        for member in members {
                            tx.insert_member(app_id, &member_row(&channel.cid, member, at)).await?;
                        }
                    }
                    Ok(())
                })
            })
            .await
            .map_err(|error| anyhow::anyhow!("writing channels: {}", error.detail))?;
    }
    Ok(())
}

/// Messages `{prefix}{index}` in a channel: "entry N topicK", one in 50,000 with "needle" too.
async fn load_messages(
    store: &Store,
    app_id: i64,
    cid: &str,
    prefix: &str,
    range: std::ops::Range<usize>,
) -> anyhow::Result<()> {
    let start_at = chrono::Utc::now() - chrono::Duration::seconds(range.end as i64 / 1000 + 1);
    let total = range.len();
    for (done, start) in range.clone().step_by(LOAD_BATCH).enumerate() {
        let rows = (start..(start + LOAD_BATCH).min(range.end))
            .map(|index| {
                let needle = if index % 50_000 == 7 { " needle" } else { "" };
                // Topics of a fixed width: none is a prefix of another, so a topic matches one message in 1,000.
                let text = format!("entry {index} topic{:03}{needle}", index % 1000);
                let at = start_at + chrono::Duration::milliseconds(index as i64);
                message_row(format!("{prefix}{index}"), cid, "writer", text, at)
            })
            .collect();
        write_messages(store, app_id, rows).await?;
        if (done + 1) % 20 == 0 {
            output::progress(&format!("    {} of {total} messages loaded", ((done + 1) * LOAD_BATCH).min(total)));
        }
    }
    Ok(())
}

/// Refreshes the planner's statistics after a load, as the engine's periodic upkeep would.
async fn analyze(store: &Store) -> anyhow::Result<()> {
    store.write((), |tx, ()| tx.refresh_statistics()).await.map_err(|error| anyhow::anyhow!(error.detail))
}

/// The median of `QUERY_RUNS` timings of one request that must succeed, in milliseconds.
async fn median_ms(
    client: &Client,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> anyhow::Result<f64> {
    let mut timings = Vec::with_capacity(QUERY_RUNS);
    for _ in 0..QUERY_RUNS {
        let started = Instant::now();
        let response = client.raw(method.clone(), path, query, body).await?;
        if !(200..300).contains(&response.status) {
            anyhow::bail!("{path} answered {}: {}", response.status, response.body);
        }
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    timings.sort_by(f64::total_cmp);
    Ok(super::percentile(&timings, 0.5))
}

fn user_client(engine: &Engine, user_id: &str) -> Client {
    let token = rill_client::token::user_token(user_id, &engine.api_secret, chrono::Utc::now().timestamp(), None);
    Client::with_token(&engine.base_url, &engine.api_key, Some(token))
}

/// Records a small/large pair of timings, with their ratio.
fn record(figures: &mut Value, lines: &mut Vec<String>, key: &str, label: &str, small: f64, large: f64) {
    let ratio = large / small;
    figures[key] = json!({
        "small_ms": (small * 100.0).round() / 100.0,
        "large_ms": (large * 100.0).round() / 100.0,
        "ratio": (ratio * 100.0).round() / 100.0,
    });
    lines.push(format!("{label}: {small:.2} ms -> {large:.2} ms ({ratio:.2}x)"));
}

pub(crate) async fn run(
    args: &ScaleArgs,
    url: Option<&str>,
    figures: &mut Value,
    lines: &mut Vec<String>,
) -> anyhow::Result<()> {
    if args.skip_scale {
        return Ok(());
    }
    output::progress("starting an engine for the scenarios at scale (fresh store)");
    let engine = start_engine(Place::new(url)?).await?;
    let store = engine.place.open_store().await?;
    let app_id = engine.app_id;
    let server = Client::server(&engine.base_url, &engine.api_key, &engine.api_secret);

    // QueryUsers: a mention picker's query, three letters of a first name, and a whole name.
    output::progress(&format!("[scale 1/4] QueryUsers autocomplete at 1,000 and {} users", args.scale_users));
    let small_users = 1_000.min(args.scale_users);
    load_users(&store, app_id, 0..small_users).await?;
    analyze(&store).await?;
    let (first, last) = name_of(7);
    let prefix: String = first.chars().take(3).collect();
    let picker = json!({"filter_conditions": {"name": {"$autocomplete": prefix}}, "limit": 10}).to_string();
    let whole =
        json!({"filter_conditions": {"name": {"$autocomplete": format!("{first} {last}")}}, "limit": 10}).to_string();
    let time_users = |payload: String| {
        let server = server.clone();
        async move { median_ms(&server, reqwest::Method::GET, "/users", &[("payload", payload.as_str())], None).await }
    };
    let (picker_small, whole_small) = (time_users(picker.clone()).await?, time_users(whole.clone()).await?);
    load_users(&store, app_id, small_users..args.scale_users.max(small_users)).await?;
    analyze(&store).await?;
    let (picker_large, whole_large) = (time_users(picker).await?, time_users(whole).await?);
    record(
        figures,
        lines,
        "query_users_autocomplete_3_letters",
        "QueryUsers $autocomplete, 3 letters",
        picker_small,
        picker_large,
    );
    record(
        figures,
        lines,
        "query_users_autocomplete_name",
        "QueryUsers $autocomplete, whole name",
        whole_small,
        whole_large,
    );

    // QueryChannels: one user's channels, newest first.
    // The small size fills one page, so both sizes answer the same 30 channels.
    output::progress(&format!("[scale 2/4] QueryChannels for a user in 30 and {} channels", args.scale_channels));
    let hub = user_client(&engine, "u1");
    let body = json!({"filter_conditions": {"members": {"$in": ["u1"]}}, "limit": 30, "state": true});
    load_channels(&store, app_id, "hub", 0..30, &["u1", "u2"]).await?;
    analyze(&store).await?;
    let channels_small = median_ms(&hub, reqwest::Method::POST, "/channels", &[], Some(&body)).await?;
    load_channels(&store, app_id, "hub", 30..args.scale_channels.max(30), &["u1", "u2"]).await?;
    analyze(&store).await?;
    let channels_large = median_ms(&hub, reqwest::Method::POST, "/channels", &[], Some(&body)).await?;
    record(figures, lines, "query_channels_member", "QueryChannels members $in [me]", channels_small, channels_large);

    // Search: a rare word, a word in one message of a thousand, and the newest messages by a filter.
    output::progress(&format!("[scale 3/4] Search over 10,000 and {} messages", args.scale_messages));
    load_channels(&store, app_id, "archive", 0..1, &["u1", "writer"]).await?;
    let reader = hub.clone();
    let search = |document: Value| {
        let reader = reader.clone();
        async move {
            let payload = document.to_string();
            median_ms(&reader, reqwest::Method::GET, "/search", &[("payload", payload.as_str())], None).await
        }
    };
    let scope = json!({"cid": "team:archive0"});
    let rare = json!({"filter_conditions": scope, "query": "needle", "limit": 20});
    let common = json!({"filter_conditions": scope, "query": "topic007", "limit": 20});
    let newest = json!({"filter_conditions": scope, "message_filter_conditions": {"user_id": "writer"}, "limit": 20});
    let small_messages = 10_000.min(args.scale_messages);
    load_messages(&store, app_id, "team:archive0", "m", 0..small_messages).await?;
    analyze(&store).await?;
    let small = (search(rare.clone()).await?, search(common.clone()).await?, search(newest.clone()).await?);
    load_messages(&store, app_id, "team:archive0", "m", small_messages..args.scale_messages.max(small_messages))
        .await?;
    analyze(&store).await?;
    let large = (search(rare).await?, search(common).await?, search(newest).await?);
    record(figures, lines, "search_rare_word", "Search a rare word", small.0, large.0);
    record(figures, lines, "search_common_word", "Search a word in 1 of 1,000", small.1, large.1);
    record(figures, lines, "search_newest_by_filter", "Search newest 20 by a filter", small.2, large.2);

    // A send's latency while a large channel is deleted (its messages purged in the background).
    output::progress(&format!(
        "[scale 4/4] send latency while a channel of {} messages is deleted",
        args.scale_purge_messages
    ));
    load_channels(&store, app_id, "bulk", 0..1, &["u1", "writer"]).await?;
    load_messages(&store, app_id, "team:bulk0", "b", 0..args.scale_purge_messages).await?;
    analyze(&store).await?;
    settle().await;
    let send = |index: usize| {
        let server = server.clone();
        async move {
            let message = json!({"text": format!("while purging {index}"), "user_id": "u1"});
            let started = Instant::now();
            server
                .send_message("team", "archive0", &message)
                .await
                .map_err(|error| anyhow::anyhow!("send: {error}"))?;
            anyhow::Ok(started.elapsed().as_secs_f64() * 1000.0)
        }
    };
    let mut baseline = Vec::new();
    for index in 0..200 {
        baseline.push(send(index).await?);
    }
    let deleted = server.raw(reqwest::Method::DELETE, "/channels/team/bulk0", &[], None).await?;
    anyhow::ensure!(deleted.status == 200, "deleting the bulk channel: {}", deleted.body);
    let purge_started = Instant::now();
    let mut during = Vec::new();
    let deadline = purge_started + Duration::from_secs(600);
    loop {
        during.push(send(during.len()).await?);
        if during.len() % 50 == 0 {
            let pending =
                store.read((), |tx, ()| tx.pending_purges()).await.map_err(|error| anyhow::anyhow!(error.detail))?;
            if pending.is_empty() || Instant::now() > deadline {
                break;
            }
        }
    }
    let purge_seconds = purge_started.elapsed().as_secs_f64();
    baseline.sort_by(f64::total_cmp);
    during.sort_by(f64::total_cmp);
    let (p50, p99) = (super::percentile(&baseline, 0.5), super::percentile(&baseline, 0.99));
    let (during_p50, during_p99) = (super::percentile(&during, 0.5), super::percentile(&during, 0.99));
    figures["send_latency_while_purging"] = json!({
        "purged_messages": args.scale_purge_messages,
        "purge_seconds": (purge_seconds * 10.0).round() / 10.0,
        "baseline_p50_ms": (p50 * 100.0).round() / 100.0,
        "baseline_p99_ms": (p99 * 100.0).round() / 100.0,
        "during_p50_ms": (during_p50 * 100.0).round() / 100.0,
        "during_p99_ms": (during_p99 * 100.0).round() / 100.0,
        "sends_during": during.len(),
    });
    lines.push(format!(
        "send latency, idle: p50 {p50:.2} ms, p99 {p99:.2} ms; while purging {} messages ({purge_seconds:.1} s, {} sends): p50 {during_p50:.2} ms, p99 {during_p99:.2} ms",
        args.scale_purge_messages,
        during.len()
    ));
    drop(store);
    drop(engine);
    Ok(())
}
