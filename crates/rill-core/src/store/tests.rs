//! The store's contract, on both backends: each test runs once on SQLite and once on PostgreSQL.

use crate::clock::SystemClock;
use crate::error::{CoreError, CoreResult};
use crate::ops::placeholder_user;
use crate::store::testing::{BackendKind, TestDatabase};
use crate::store::{Sight, Store};
use std::path::Path;
use std::sync::Arc;

/// Declares `<name>::on_sqlite` and `<name>::on_postgres` for an `async fn(BackendKind)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name(super::BackendKind::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$name(super::BackendKind::Postgres).await;
            }
        }
    )*};
}

on_both_backends!(
    a_panicking_job_rolls_back_alone_and_the_store_goes_on,
    a_failing_write_rolls_back_alone,
    concurrent_writes_all_land_and_survive_reopening,
    apps_never_see_each_others_rows,
    counters_stay_exact_under_concurrent_writers,
    taken_names_and_duplicate_ids_are_refused,
    app_secrets_round_trip_sealed,
    text_the_database_cannot_hold_is_refused_cleanly,
    updates_change_every_named_column_and_no_other,
    compiled_filters_agree_with_the_evaluator,
    compiled_message_filters_agree_with_the_evaluator,
    compiled_channel_filters_agree_with_the_evaluator,
    batched_reads_agree_with_one_at_a_time,
    one_apps_slow_reads_leave_a_slot_for_other_apps,
    user_mutes_renew_expire_and_lift,
    bans_scope_expire_page_and_lift,
    flags_once_per_reporter_review_and_withdraw,
    muted_channels_leave_the_unread_totals,
    monthly_usage_admits_exactly_the_plans_users,
    a_standing_reads_membership_and_ban_together,
    outbox_jobs_are_leased_once_retried_failed_and_kept_apart,
    devices_belong_to_one_user_and_disable_until_registered_again,
    push_providers_keep_credentials_sealed_and_apart,
    push_targets_are_members_with_devices_and_settle_once,
);

async fn open(database: &TestDatabase, data_dir: &Path) -> Store {
    Store::new(database.open(data_dir).await, Arc::new(SystemClock))
}

async fn fresh(kind: BackendKind) -> (tempfile::TempDir, TestDatabase, Store) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::new(kind);
    let store = open(&database, directory.path()).await;
    (directory, database, store)
}

async fn user_ids(store: &Store, app_id: i64) -> Vec<String> {
    let mut ids: Vec<String> = store
        .read(app_id, |tx, app_id| tx.all_users(*app_id))
        .await
        .expect("read users")
        .into_iter()
        .map(|user| user.id)
        .collect();
    ids.sort();
    ids
}

async fn a_panicking_job_rolls_back_alone_and_the_store_goes_on(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let (first, panicking, last) = tokio::join!(
        store.write(placeholder_user("a", now), |tx, user| tx.upsert_user(1, user, None)),
        store.write::<_, (), _>(placeholder_user("b", now), |tx, user| Box::pin(async move {
            tx.upsert_user(1, user, None).await?;
            panic!("a job that panics halfway")
        })),
        store.write(placeholder_user("c", now), |tx, user| tx.upsert_user(1, user, None)),
    );
    assert!(first.is_ok() && last.is_ok(), "{first:?} {last:?}");
    assert_eq!(panicking.unwrap_err().code, rill_protocol::error::ErrorCode::Internal);
    // The store still writes, and the panicking job left nothing behind.
    store.write(placeholder_user("d", now), |tx, user| tx.upsert_user(1, user, None)).await.expect("write");
    let read_panic: CoreResult<()> = store.read((), |_tx, ()| panic!("a read that panics")).await;
    assert!(read_panic.is_err());
    assert_eq!(user_ids(&store, 1).await, ["a", "c", "d"]);
}

async fn a_failing_write_rolls_back_alone(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let (first, failing, last) = tokio::join!(
        store.write(placeholder_user("a", now), |tx, user| tx.upsert_user(1, user, None)),
        store.write(placeholder_user("b", now), |tx, user| Box::pin(async move {
            tx.upsert_user(1, user, None).await?;
            Err::<(), _>(CoreError::input("refused after writing"))
        })),
        store.write(placeholder_user("c", now), |tx, user| tx.upsert_user(1, user, None)),
    );
    assert!(first.is_ok() && last.is_ok());
    assert_eq!(failing.unwrap_err().detail, "refused after writing");
    assert_eq!(user_ids(&store, 1).await, ["a", "c"]);
}

async fn concurrent_writes_all_land_and_survive_reopening(kind: BackendKind) {
    let (directory, database, store) = fresh(kind).await;
    let mut writes = Vec::new();
    for index in 0..300 {
        let store = store.clone();
        writes.push(tokio::spawn(async move {
            let user = placeholder_user(&format!("user{index:03}"), chrono::Utc::now());
            store.write(user, |tx, user| tx.upsert_user(7, user, None)).await
        }));
    }
    for write in writes {
        write.await.expect("task").expect("write");
    }
    drop(store);
    let reopened = open(&database, directory.path()).await;
    assert_eq!(user_ids(&reopened, 7).await.len(), 300, "every acknowledged write is in the reopened store");
}

async fn apps_never_see_each_others_rows(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    store.write(placeholder_user("shared-id", now), |tx, user| tx.upsert_user(1, user, None)).await.expect("write");
    assert!(store.read((), |tx, ()| tx.user(2, "shared-id")).await.expect("read").is_none());
    assert!(store.read((), |tx, ()| tx.user(1, "shared-id")).await.expect("read").is_some());
}

/// Many transactions at once change one channel's counters and one message's reaction totals: on PostgreSQL
/// they really run concurrently, and every change must count.
async fn counters_stay_exact_under_concurrent_writers(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    store
        .write((), |tx, ()| {
            Box::pin(async move {
                tx.insert_channel(1, &placeholder_channel()).await?;
                tx.insert_message(1, &placeholder_message()).await
            })
        })
        .await
        .expect("channel and message");
    let mut writes = Vec::new();
    for index in 0..64 {
        let store = store.clone();
        writes.push(tokio::spawn(async move {
            store
                .write(index, |tx, index| {
                    Box::pin(async move {
                        tx.count_message(1, "messaging:busy", index % 2 == 0, true, chrono::Utc::now()).await?;
                        tx.add_reaction_totals(1, "m1", "like", 1, 2).await
                    })
                })
                .await
        }));
    }
    for write in writes {
        write.await.expect("task").expect("write");
    }
    let channel = store.read((), |tx, ()| tx.channel(1, "messaging:busy")).await.expect("read").expect("channel");
    assert_eq!((channel.message_count, channel.unread_sequence), (64, 32));
    let message = store.read((), |tx, ()| tx.message(1, "m1")).await.expect("read").expect("message");
    assert_eq!(message.reaction_counts.get("like"), Some(&64));
    assert_eq!(message.reaction_scores.get("like"), Some(&128));
}

fn placeholder_channel() -> crate::model::Channel {
    let now = chrono::Utc::now();
    crate::model::Channel {
        cid: "messaging:busy".into(),
        channel_type: "messaging".into(),
        id: "busy".into(),
        created_by: Some("a".into()),
        data: serde_json::Map::new(),
        frozen: false,
        disabled: false,
        team: None,
        cooldown: 0,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        truncated_at: None,
        last_message_at: None,
        member_count: 0,
        message_count: 0,
        unread_sequence: 0,
        read_floor: 0,
    }
}

pub(crate) fn placeholder_message() -> crate::model::Message {
    let now = chrono::Utc::now();
    crate::model::Message {
        id: "m1".into(),
        cid: "messaging:busy".into(),
        user_id: "a".into(),
        message_type: "regular".into(),
        text: "hello".into(),
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
        created_at: now,
        updated_at: now,
        deleted_at: None,
        text_updated_at: None,
        sequence: 1,
    }
}

async fn taken_names_and_duplicate_ids_are_refused(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    store.write(placeholder_user("a", now), |tx, user| tx.upsert_user(1, user, Some("alice"))).await.expect("a");
    let taken = store.write(placeholder_user("b", now), |tx, user| tx.upsert_user(1, user, Some("alice"))).await;
    assert_eq!(taken.unwrap_err().code, rill_protocol::error::ErrorCode::DuplicateUsername);
    // The same name in another app is free.
    store.write(placeholder_user("b", now), |tx, user| tx.upsert_user(2, user, Some("alice"))).await.expect("b");

    store
        .write((), |tx, ()| Box::pin(async move { tx.insert_message(1, &placeholder_message()).await }))
        .await
        .expect("first");
    let again =
        store.write((), |tx, ()| Box::pin(async move { tx.insert_message(1, &placeholder_message()).await })).await;
    let error = again.unwrap_err();
    assert_eq!(error.code, rill_protocol::error::ErrorCode::InputError);
    assert!(error.detail.contains("already exists"), "{}", error.detail);
}

async fn app_secrets_round_trip_sealed(kind: BackendKind) {
    let (directory, database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let first = store.write(now, |tx, now| Box::pin(crate::ops::apps::create_app(tx, "One", *now))).await.expect("one");
    let second =
        store.write(now, |tx, now| Box::pin(crate::ops::apps::create_app(tx, "Two", *now))).await.expect("two");
    assert_eq!((first.id, second.id), (1_000_001, 1_000_002), "app ids start after a million, one by one");
    drop(store);
    let reopened = open(&database, directory.path()).await;
    let apps = reopened.read((), |tx, ()| tx.apps()).await.expect("apps");
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0].api_secret.expose(), first.api_secret.expose());
    assert_eq!(apps[1].api_key, second.api_key);
}

async fn text_the_database_cannot_hold_is_refused_cleanly(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let mut message = placeholder_message();
    message.text = "nul \u{0} inside".into();
    let written =
        store.write(message, |tx, message| Box::pin(async move { tx.insert_message(1, message).await })).await;
    // SQLite holds the NUL character; PostgreSQL cannot, and says so as the caller's mistake, not a crash.
    match kind {
        BackendKind::Sqlite => written.expect("sqlite keeps NUL characters"),
        BackendKind::Postgres => {
            let error = written.unwrap_err();
            assert_eq!(error.code, rill_protocol::error::ErrorCode::InputError, "{}", error.detail);
        }
    }
    // The store is fine afterwards.
    store
        .write(placeholder_user("after", chrono::Utc::now()), |tx, user| tx.upsert_user(1, user, None))
        .await
        .expect("write after");
}

/// Every column an update can name, at once (the largest statements the backends build), then one alone.
async fn updates_change_every_named_column_and_no_other(kind: BackendKind) {
    use crate::store::{ChannelChanges, MemberChanges, ReadPosition};
    let (_directory, _database, store) = fresh(kind).await;
    let mut member = crate::model::Member {
        cid: "messaging:busy".into(),
        user_id: "a".into(),
        channel_role: "channel_member".into(),
        data: serde_json::Map::new(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        hidden: false,
        last_read_at: chrono::Utc::now(),
        last_read_message_id: None,
        last_read_sequence: 0,
        hide_messages_before: None,
        ban: None,
    };
    let inserted = member.clone();
    store
        .write(inserted, |tx, member| {
            Box::pin(async move {
                tx.insert_channel(1, &placeholder_channel()).await?;
                tx.insert_member(1, member).await.map(drop)
            })
        })
        .await
        .expect("channel and member");
    // Whole microseconds: both backends keep times to the microsecond.
    let at = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time");
    let mut data = serde_json::Map::new();
    data.insert("color".into(), "teal".into());
    let channel_changes = ChannelChanges {
        data: Some(data.clone()),
        frozen: Some(true),
        disabled: Some(true),
        team: Some(Some("blue".into())),
        cooldown: Some(30),
        truncated_at: Some(at),
        clear_last_message_at: true,
        updated_at: Some(at),
    };
    let member_changes = MemberChanges {
        channel_role: Some("channel_moderator".into()),
        data: Some(data.clone()),
        hidden: Some(true),
        hide_messages_before: Some(at),
        read: Some(ReadPosition { sequence: 9, at, message_id: Some("m9".into()) }),
        updated_at: Some(at),
    };
    store
        .write((channel_changes, member_changes), |tx, (channel, member)| {
            Box::pin(async move {
                tx.update_channel(1, "messaging:busy", channel).await?;
                tx.update_member(1, "messaging:busy", "a", member).await
            })
        })
        .await
        .expect("updates");
    let channel = store.read((), |tx, ()| tx.channel(1, "messaging:busy")).await.expect("read").expect("channel");
    assert_eq!(channel.data, data);
    assert!(channel.frozen && channel.disabled);
    assert_eq!((channel.team.as_deref(), channel.cooldown), (Some("blue"), 30));
    assert_eq!((channel.truncated_at, channel.last_message_at, channel.updated_at), (Some(at), None, at));
    assert_eq!(channel.member_count, 1, "the counter is not among the columns an update names");
    member.channel_role = "channel_moderator".into();
    member.data = data;
    member.hidden = true;
    member.hide_messages_before = Some(at);
    member.last_read_sequence = 9;
    member.last_read_at = at;
    member.last_read_message_id = Some("m9".into());
    member.updated_at = at;
    let stored = store.read((), |tx, ()| tx.member(1, "messaging:busy", "a")).await.expect("read").expect("member");
    assert_eq!(stored.created_at.timestamp_micros(), member.created_at.timestamp_micros());
    member.created_at = stored.created_at;
    assert_eq!(stored, member);

    // One column alone leaves the rest as they are.
    let only_hidden = MemberChanges { hidden: Some(false), ..MemberChanges::default() };
    store.write(only_hidden, |tx, changes| tx.update_member(1, "messaging:busy", "a", changes)).await.expect("update");
    let stored = store.read((), |tx, ()| tx.member(1, "messaging:busy", "a")).await.expect("read").expect("member");
    assert_eq!(stored, crate::model::Member { hidden: false, ..member });
}

/// A small deterministic generator (xorshift), so that a failing case can be replayed from its number.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] =
    &["alpha", "Beta gamma", "delta-epsilon", "Ünïcode Straße", "2024-01-01T00:00:00Z", "", "al", "zeta"];

fn random_scalar(random: &mut Random) -> serde_json::Value {
    use serde_json::json;
    match random.below(6) {
        0 | 1 => json!(random.pick(WORDS)),
        2 => json!(random.pick(&[0, 1, -3, 42])),
        3 => json!(random.pick(&[1.5, 0.0, 42.0])),
        4 => json!(random.below(2) == 0),
        _ => serde_json::Value::Null,
    }
}

fn random_value(random: &mut Random) -> serde_json::Value {
    if random.below(4) == 0 {
        (0..random.below(3)).map(|_| random_scalar(random)).collect()
    } else {
        random_scalar(random)
    }
}

/// A random filter over `fields`, with operands of the types each operator takes.
fn random_filter(random: &mut Random, fields: &[&str], depth: usize) -> rill_protocol::filter::Filter {
    use rill_protocol::filter::{Filter, Operator};
    if depth > 0 && random.below(3) == 0 {
        let children = (0..1 + random.below(3)).map(|_| random_filter(random, fields, depth - 1)).collect();
        return match random.below(3) {
            0 => Filter::And(children),
            1 => Filter::Or(children),
            _ => Filter::Nor(children),
        };
    }
    let field = (*random.pick(fields)).to_owned();
    let operators = [
        Operator::Eq,
        Operator::Ne,
        Operator::In,
        Operator::Nin,
        Operator::Exists,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Contains,
        Operator::Autocomplete,
        Operator::Q,
    ];
    let op = *random.pick(&operators);
    let value = match op {
        Operator::In | Operator::Nin => (0..random.below(4)).map(|_| random_scalar(random)).collect(),
        Operator::Exists => serde_json::Value::from(random.below(2) == 0),
        Operator::Autocomplete | Operator::Q => serde_json::Value::from(*random.pick(WORDS)),
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => match random.below(3) {
            0 => serde_json::Value::from(*random.pick(&[0, 1, 42])),
            1 => serde_json::Value::from(*random.pick(WORDS)),
            _ => serde_json::Value::from(*random.pick(&["2023-11-14T22:13:25Z", "2023-11-14T22:13:30.000001Z"])),
        },
        _ => random_value(random),
    };
    Filter::Condition { field, op, value }
}

/// Every filter means the same in SQL as in memory: an exact compilation selects exactly the matching rows, an
/// inexact one at least those (and the caller checks them).
async fn compiled_filters_agree_with_the_evaluator(kind: BackendKind) {
    use crate::store::selection::{compile, OrderKey, RowQuery};
    let (_directory, _database, store) = fresh(kind).await;
    let mut random = Random(0x5eed_1234_abcd_0001);
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let mut users = Vec::new();
    for index in 0..40 {
        let mut user = placeholder_user(&format!("user-{index}"), base + chrono::Duration::seconds(index));
        for key in ["name", "k1", "k2", "teams"] {
            if random.below(5) > 0 {
                user.data.insert(key.into(), random_value(&mut random));
            }
        }
        user.role = (*random.pick(&["user", "admin", "2024-01-01T00:00:00Z"])).into();
        user.banned = random.below(3) == 0;
        user.last_active = (random.below(2) == 0).then(|| base + chrono::Duration::seconds(5));
        users.push(user);
    }
    let stored = users.clone();
    store
        .write(stored, |tx, users| {
            Box::pin(async move {
                for user in users {
                    tx.upsert_user(1, user, None).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("users");
    let fields = ["id", "name", "role", "banned", "k1", "k2", "teams", "created_at", "last_active", "online"];
    let order = vec![OrderKey { column: "id", descending: false }];
    let mut exact_cases = 0;
    for case in 0..800 {
        let filter = random_filter(&mut random, &fields, 2);
        let compiled = compile(&filter, crate::ops::users::user_field, None);
        let mut expected: Vec<String> = users
            .iter()
            .filter(|user| crate::query::matches(&filter, &crate::ops::users::user_document(user, false)))
            .map(|user| user.id.clone())
            .collect();
        expected.sort();
        let query = RowQuery { condition: compiled.condition.clone(), order: order.clone(), page: None };
        let found: Vec<String> = store
            .read(query, |tx, query| tx.find_users(1, query))
            .await
            .unwrap_or_else(|error| panic!("case {case}: {filter:?} failed in SQL: {error}"))
            .into_iter()
            .map(|user| user.id)
            .collect();
        if compiled.exact {
            exact_cases += 1;
            assert_eq!(found, expected, "case {case}: {} compiled to {:?}", filter.to_json(), compiled.condition);
        } else {
            let missing: Vec<&String> = expected.iter().filter(|id| !found.contains(id)).collect();
            assert!(missing.is_empty(), "case {case}: {} lost {missing:?}", filter.to_json());
        }
    }
    assert!(exact_cases > 300, "only {exact_cases} of 800 random filters compiled exactly");
}

/// The same agreement for message filters, whose text goes through the full-text index.
async fn compiled_message_filters_agree_with_the_evaluator(kind: BackendKind) {
    use crate::store::selection::{compile, OrderKey, RowQuery};
    let (_directory, _database, store) = fresh(kind).await;
    let mut random = Random(0x0dd5_eed5_0000_0042);
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let mut messages = Vec::new();
    for index in 0..40 {
        let mut message = placeholder_message();
        message.id = format!("m{index:02}");
        message.user_id = (*random.pick(&["alice", "bob"])).into();
        let words: Vec<&str> = (0..random.below(4)).map(|_| *random.pick(WORDS)).collect();
        message.text = words.join(" ");
        message.reply_count = random.below(3) as i64;
        message.pinned = random.below(2) == 0;
        message.created_at = base + chrono::Duration::seconds(index);
        if random.below(2) == 0 {
            message.data.insert("k1".into(), random_value(&mut random));
        }
        messages.push(message);
    }
    let stored = messages.clone();
    store
        .write(stored, |tx, messages| {
            Box::pin(async move {
                for message in messages {
                    tx.insert_message(1, message).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("messages");
    // Edit one text: the index follows.
    let edited = crate::store::MessageContent {
        text: "Gamma ray".into(),
        html: String::new(),
        attachments: Vec::new(),
        mentioned_users: Vec::new(),
        data: messages[0].data.clone(),
        silent: false,
        text_updated_at: None,
        updated_at: messages[0].updated_at,
    };
    store.write(edited, |tx, content| tx.update_message_content(1, "m00", content)).await.expect("edit");
    messages[0].text = "Gamma ray".into();
    let users = crate::model::UserDirectory::new();
    let fields = ["id", "text", "user.id", "reply_count", "pinned", "k1", "created_at"];
    let order = vec![OrderKey { column: "id", descending: false }];
    let mut exact_cases = 0;
    for case in 0..800 {
        let filter = random_filter(&mut random, &fields, 2);
        let compiled = compile(&filter, crate::ops::messages::message_field, None);
        let expected: Vec<String> = messages
            .iter()
            .filter(|message| crate::query::matches(&filter, &crate::ops::messages::message_document(message, &users)))
            .map(|message| message.id.clone())
            .collect();
        let query = RowQuery { condition: compiled.condition.clone(), order: order.clone(), page: None };
        let found: Vec<String> = store
            .read(query, |tx, query| tx.find_messages(1, query))
            .await
            .unwrap_or_else(|error| panic!("case {case}: {filter:?} failed in SQL: {error}"))
            .into_iter()
            .map(|message| message.id)
            .collect();
        if compiled.exact {
            exact_cases += 1;
            assert_eq!(found, expected, "case {case}: {} compiled to {:?}", filter.to_json(), compiled.condition);
        } else {
            let missing: Vec<&String> = expected.iter().filter(|id| !found.contains(id)).collect();
            assert!(missing.is_empty(), "case {case}: {} lost {missing:?}", filter.to_json());
        }
    }
    assert!(exact_cases > 300, "only {exact_cases} of 800 random filters compiled exactly");
}

/// The same agreement for channel filters as a viewer sees them: members, the viewer's hidden and joined.
async fn compiled_channel_filters_agree_with_the_evaluator(kind: BackendKind) {
    use crate::store::selection::{compile, OrderKey, RowQuery};
    let (_directory, _database, store) = fresh(kind).await;
    let mut random = Random(0xc4a2_2e15_0000_0007);
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let people = ["alpha", "al", "zeta", "Beta gamma", "viewer"];
    let mut channels = Vec::new();
    let mut memberships: Vec<crate::model::Member> = Vec::new();
    for index in 0..30 {
        let mut channel = placeholder_channel();
        channel.id = format!("c{index:02}");
        channel.cid = format!("messaging:c{index:02}");
        channel.disabled = random.below(4) == 0;
        channel.team = (random.below(2) == 0).then(|| (*random.pick(WORDS)).to_owned());
        channel.created_at = base + chrono::Duration::seconds(index);
        channel.updated_at = channel.created_at;
        if random.below(2) == 0 {
            channel.data.insert("k1".into(), random_value(&mut random));
        }
        for person in people {
            if random.below(3) == 0 {
                let mut member = crate::model::Member {
                    cid: channel.cid.clone(),
                    user_id: person.into(),
                    channel_role: "channel_member".into(),
                    data: serde_json::Map::new(),
                    created_at: base,
                    updated_at: base,
                    hidden: random.below(3) == 0,
                    last_read_at: base,
                    last_read_message_id: None,
                    last_read_sequence: 0,
                    hide_messages_before: None,
                    ban: None,
                };
                if random.below(4) == 0 {
                    member.data.insert("invited".into(), true.into());
                }
                memberships.push(member);
            }
        }
        channel.member_count = memberships.iter().filter(|member| member.cid == channel.cid).count() as i64;
        channels.push(channel);
    }
    let rows = (channels.clone(), memberships.clone());
    store
        .write(rows, |tx, (channels, memberships)| {
            Box::pin(async move {
                for channel in channels {
                    let mut empty = channel.clone();
                    empty.member_count = 0;
                    tx.insert_channel(1, &empty).await?;
                }
                for member in memberships {
                    tx.insert_member(1, member).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("channels");
    let fields = ["cid", "team", "disabled", "members", "hidden", "joined", "member_count", "k1", "invite", "muted"];
    let order = vec![OrderKey { column: "cid", descending: false }];
    let mut exact_cases = 0;
    for case in 0..800 {
        let mut filter = random_filter(&mut random, &fields, 2);
        // Member lists and ids as operands.
        if let rill_protocol::filter::Filter::Condition { field, value, .. } = &mut filter {
            if field == "members" && random.below(2) == 0 {
                *value = serde_json::json!([people[random.below(5)], people[random.below(5)]]);
            }
        }
        let compiled = compile(&filter, crate::ops::channels::channel_field, Some("viewer"));
        let expected: Vec<String> = channels
            .iter()
            .filter(|channel| {
                let member = memberships.iter().find(|member| member.cid == channel.cid && member.user_id == "viewer");
                let ids: Vec<String> = memberships
                    .iter()
                    .filter(|member| member.cid == channel.cid)
                    .map(|member| member.user_id.clone())
                    .collect();
                let document = crate::ops::channels::channel_document(channel, member, Some(&ids), false);
                crate::query::matches(&filter, &document)
            })
            .map(|channel| channel.cid.clone())
            .collect();
        let query = RowQuery { condition: compiled.condition.clone(), order: order.clone(), page: None };
        let found: Vec<String> = store
            .read(query, |tx, query| tx.find_channels(1, query))
            .await
            .unwrap_or_else(|error| panic!("case {case}: {filter:?} failed in SQL: {error}"))
            .into_iter()
            .map(|channel| channel.cid)
            .collect();
        if compiled.exact {
            exact_cases += 1;
            assert_eq!(found, expected, "case {case}: {} compiled to {:?}", filter.to_json(), compiled.condition);
        } else {
            let missing: Vec<&String> = expected.iter().filter(|cid| !found.contains(cid)).collect();
            assert!(missing.is_empty(), "case {case}: {} lost {missing:?}", filter.to_json());
        }
    }
    assert!(exact_cases > 300, "only {exact_cases} of 800 random filters compiled exactly");
}

/// The reads that serve a page of channel views at once (one round trip each on PostgreSQL) return what the
/// one-channel reads return, channel by channel.
async fn batched_reads_agree_with_one_at_a_time(kind: BackendKind) {
    use crate::store::selection::{members_of, Condition, Page};
    use crate::store::{ChannelScope, MessageRange};
    let (_directory, _database, store) = fresh(kind).await;
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let cids = ["messaging:a", "messaging:b", "messaging:empty"];
    let mut channels = Vec::new();
    let mut members = Vec::new();
    let mut messages = Vec::new();
    for (number, cid) in cids.iter().enumerate() {
        let mut channel = placeholder_channel();
        channel.cid = (*cid).into();
        channel.id = cid.trim_start_matches("messaging:").into();
        channels.push(channel);
        if *cid == "messaging:empty" {
            continue;
        }
        for index in 0..7_i64 {
            // Joined out of id order, two at the same instant: the page is in joining order, then by id.
            let joined = base + chrono::Duration::seconds((7 - index) / 2);
            members.push(member_of(cid, &format!("u{}", (index * 3 + number as i64) % 7), joined));
        }
        for index in 0..12_i64 {
            let mut message = placeholder_message();
            message.id = format!("{}-{index:02}", channel_key(cid));
            message.cid = (*cid).into();
            message.user_id = format!("u{}", index % 3);
            message.created_at = base + chrono::Duration::seconds(index);
            message.pinned = index % 4 == 1;
            message.pinned_at = message.pinned.then(|| base + chrono::Duration::seconds(100 - index));
            if index >= 9 {
                // Replies: two shown in the channel.
                message.parent_id = Some(format!("{}-00", channel_key(cid)));
                message.show_in_channel = index != 9;
            }
            messages.push(message);
        }
    }
    store
        .write((channels, members, messages), |tx, (channels, members, messages)| {
            Box::pin(async move {
                for channel in channels.iter() {
                    tx.insert_channel(1, channel).await?;
                }
                for member in members.iter() {
                    tx.insert_member(1, member).await?;
                }
                for message in messages.iter() {
                    tx.insert_message(1, message).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("rows");
    let since = Some(base + chrono::Duration::seconds(5));
    let scopes: Vec<ChannelScope> = cids
        .iter()
        .map(|cid| ChannelScope {
            cid: (*cid).into(),
            sight: Sight::after(if *cid == "messaging:b" { since } else { None }),
        })
        .collect();
    let page = Page { offset: 2, limit: 3 };
    let all_cids: Vec<String> = cids.iter().map(|cid| (*cid).to_owned()).collect();
    let parents = vec!["a-00".to_owned(), "b-00".to_owned(), "a-05".to_owned()];
    let (latest, pages, participants) = store
        .read((scopes.clone(), all_cids.clone(), parents.clone()), move |tx, (scopes, cids, parents)| {
            Box::pin(async move {
                Ok((
                    tx.latest_messages_of(1, scopes, 4, 2).await?,
                    tx.member_pages(1, cids, page).await?,
                    tx.thread_participants_of(1, parents).await?,
                ))
            })
        })
        .await
        .expect("batched reads");
    for scope in &scopes {
        let (messages, pinned, members) = store
            .read(scope.clone(), move |tx, scope| {
                Box::pin(async move {
                    Ok((
                        tx.channel_messages(1, &scope.cid, &MessageRange::Latest, 4, &scope.sight).await?,
                        tx.pinned_messages(1, &scope.cid, 2, &scope.sight).await?,
                        tx.find_members(1, &members_of(&scope.cid, Condition::True, page)).await?,
                    ))
                })
            })
            .await
            .expect("one channel's reads");
        let batched = latest.get(&scope.cid).cloned().unwrap_or_default();
        assert_eq!(batched.messages, messages, "latest messages of {}", scope.cid);
        assert_eq!(batched.pinned, pinned, "pins of {}", scope.cid);
        assert_eq!(pages.get(&scope.cid).cloned().unwrap_or_default(), members, "members of {}", scope.cid);
    }
    // What the one-channel reads return is what the view needs: the newest channel messages ascending (a hidden
    // reply left out), the newest pins, newer than the viewer's horizon, and the page of members.
    let ids = |messages: &[crate::model::Message]| messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&latest["messaging:a"].messages), ["a-07", "a-08", "a-10", "a-11"]);
    assert_eq!(ids(&latest["messaging:a"].pinned), ["a-05", "a-01"]);
    assert_eq!(ids(&latest["messaging:b"].pinned), ["b-09"]);
    assert!(latest.get("messaging:empty").is_none_or(|page| page.messages.is_empty() && page.pinned.is_empty()));
    assert_eq!(pages["messaging:a"].len(), 3);
    assert!(!pages.contains_key("messaging:empty"));
    assert_eq!(
        participants.get("a-00").map(Vec::as_slice),
        Some(&["u0".to_owned(), "u1".to_owned(), "u2".to_owned()][..])
    );
    assert!(!participants.contains_key("a-05"), "a message without replies has no participants");
}

fn member_of(cid: &str, user_id: &str, joined: chrono::DateTime<chrono::Utc>) -> crate::model::Member {
    crate::model::Member {
        cid: cid.into(),
        user_id: user_id.into(),
        channel_role: "channel_member".into(),
        data: serde_json::Map::new(),
        created_at: joined,
        updated_at: joined,
        hidden: false,
        last_read_at: joined,
        last_read_message_id: None,
        last_read_sequence: 0,
        hide_messages_before: None,
        ban: None,
    }
}

fn channel_key(cid: &str) -> &str {
    cid.trim_start_matches("messaging:")
}

/// An app whose reads hold every slot it may have still leaves one to other apps; its next read waits for one
/// of its own to finish.
async fn one_apps_slow_reads_leave_a_slot_for_other_apps(kind: BackendKind) {
    let (_directory, _database, store) = fresh(kind).await;
    let share = store.read_share();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let (started, mut running) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut slow = Vec::new();
    for _ in 0..share {
        let (store, released, started) = (store.clone(), released.clone(), started.clone());
        slow.push(tokio::spawn(async move {
            store
                .read_for_app(1, (), move |_tx, ()| {
                    let _ = started.send(());
                    // A slow query: the job holds its slot (a reader thread, a connection) until released.
                    tokio::task::block_in_place(|| {
                        let _ = released.lock().expect("lock").recv();
                    });
                    Box::pin(async { Ok(()) })
                })
                .await
        }));
    }
    for _ in 0..share {
        running.recv().await.expect("a slow read started");
    }
    let quick = |app_id: i64| {
        let store = store.clone();
        async move { store.read_for_app(app_id, (), move |tx, ()| tx.user(app_id, "nobody")).await }
    };
    let other_app = tokio::time::timeout(std::time::Duration::from_secs(5), quick(2)).await;
    assert!(matches!(other_app, Ok(Ok(None))), "another app's read is served: {other_app:?}");
    let same_app = tokio::spawn(quick(1));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!same_app.is_finished(), "the app's next read waits for one of its own");
    for _ in 0..share {
        release.send(()).expect("release");
    }
    for read in slow {
        read.await.expect("task").expect("slow read");
    }
    let waited = tokio::time::timeout(std::time::Duration::from_secs(5), same_app).await;
    assert!(matches!(waited, Ok(Ok(Ok(None)))), "and then it is served: {waited:?}");
}

/// A mute stored again renews its expiry and keeps its creation; an expired one is left out; lifting one removes
/// it alone; another app's rows never show.
async fn user_mutes_renew_expire_and_lift(kind: BackendKind) {
    use crate::model::UserMute;
    let (_directory, _database, store) = fresh(kind).await;
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let mute = |target: &str, at: i64, expires: Option<i64>| UserMute {
        user_id: "alice".into(),
        target_id: target.into(),
        created_at: base + chrono::Duration::seconds(at),
        updated_at: base + chrono::Duration::seconds(at),
        expires: expires.map(|seconds| base + chrono::Duration::seconds(seconds)),
    };
    let rows =
        vec![mute("bob", 0, Some(100)), mute("carol", 1, None), mute("dave", 2, Some(50)), mute("bob", 10, Some(500))];
    store
        .write(rows, |tx, rows| {
            Box::pin(async move {
                for row in rows {
                    tx.put_user_mute(1, row).await?;
                }
                let mut elsewhere = row_for_other_app();
                elsewhere.target_id = "erin".into();
                tx.put_user_mute(2, &elsewhere).await
            })
        })
        .await
        .expect("mutes");
    let at = |seconds: i64| base + chrono::Duration::seconds(seconds);
    let read = |now: chrono::DateTime<chrono::Utc>| {
        let store = store.clone();
        async move { store.read(now, |tx, now| tx.user_mutes(1, "alice", *now)).await.expect("read") }
    };
    let now = read(at(200)).await;
    let targets: Vec<&str> = now.iter().map(|mute| mute.target_id.as_str()).collect();
    assert_eq!(targets, ["bob", "carol"], "dave's mute ran out at 50; bob's was renewed to 500");
    assert_eq!(now[0].created_at, at(0), "a renewed mute keeps when it was made");
    assert_eq!(now[0].updated_at, at(10));
    assert_eq!(now[0].expires, Some(at(500)));
    assert_eq!(read(at(600)).await.len(), 1, "only the mute without an end is left after 500");
    let lifted = store.write((), |tx, ()| tx.delete_user_mute(1, "alice", "bob")).await.expect("lift");
    assert!(lifted);
    let again = store.write((), |tx, ()| tx.delete_user_mute(1, "alice", "bob")).await.expect("lift again");
    assert!(!again, "nothing left to lift");
    let targets: Vec<String> = read(at(200)).await.into_iter().map(|mute| mute.target_id).collect();
    assert_eq!(targets, ["carol"]);
}

fn row_for_other_app() -> crate::model::UserMute {
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    crate::model::UserMute {
        user_id: "alice".into(),
        target_id: String::new(),
        created_at: at,
        updated_at: at,
        expires: None,
    }
}

/// Bans: one per user and scope (a new one replaces it); an app-wide one is also on the user's row until it is
/// lifted or swept after expiry; lookups leave out expired bans and other apps' rows; a query pages them by
/// time; future-channel bans are found by their author.
async fn bans_scope_expire_page_and_lift(kind: BackendKind) {
    use crate::model::Ban;
    use crate::store::selection::{Comparison, Condition, OrderKey, Page, RowQuery, Scalar};
    let (_directory, _database, store) = fresh(kind).await;
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let at = move |seconds: i64| base + chrono::Duration::seconds(seconds);
    let ban = move |user: &str, cid: Option<&str>, created: i64, expires: Option<i64>| Ban {
        user_id: user.into(),
        channel_cid: cid.map(str::to_owned),
        created_by: Some("mod".into()),
        reason: Some(format!("{user} in {cid:?}")),
        shadow: false,
        future_channels: false,
        created_at: at(created),
        expires: expires.map(at),
    };
    let rows = vec![
        ban("alice", None, 0, Some(100)),
        ban("alice", Some("team:a"), 1, None),
        ban("bob", Some("team:a"), 2, Some(50)),
        Ban { future_channels: true, ..ban("carol", Some("team:b"), 3, None) },
        Ban { shadow: true, ..ban("dave", None, 4, None) },
        ban("bob", Some("team:a"), 5, Some(500)),
    ];
    let elsewhere = ban("alice", Some("team:a"), 9, None);
    store
        .write((rows, elsewhere), move |tx, (rows, elsewhere)| {
            Box::pin(async move {
                for user in ["alice", "bob", "carol", "dave"] {
                    tx.upsert_user(1, &placeholder_user(user, base), None).await?;
                }
                for row in rows {
                    tx.put_ban(1, row).await?;
                }
                tx.put_ban(2, elsewhere).await
            })
        })
        .await
        .expect("bans");
    let user = |id: &'static str| {
        let store = store.clone();
        async move { store.read((), move |tx, ()| tx.user(1, id)).await.expect("user").expect("exists") }
    };
    let alice = user("alice").await;
    assert!(alice.banned && !alice.shadow_banned && alice.ban_expires == Some(at(100)), "{alice:?}");
    assert!(alice.banned_at(at(99)) && !alice.banned_at(at(100)), "an app-wide ban ends at its expiry");
    let dave = user("dave").await;
    assert!(!dave.banned && dave.shadow_banned_at(at(10_000)), "{dave:?}");

    let cids = vec!["team:a".to_owned(), "team:b".to_owned()];
    let of = |user: &'static str, now: i64| {
        let (store, cids) = (store.clone(), cids.clone());
        async move { store.read(cids, move |tx, cids| tx.bans_of(1, user, cids, at(now))).await.expect("read") }
    };
    assert_eq!(of("alice", 200).await.len(), 1, "the channel ban has no end; the app-wide one is not a channel's");
    let bob = of("bob", 200).await;
    assert_eq!((bob.len(), bob[0].created_at, bob[0].expires), (1, at(5), Some(at(500))), "replaced, not added");
    assert!(of("bob", 600).await.is_empty(), "expired bans are left out");
    let users = vec!["alice".to_owned(), "bob".to_owned(), "carol".to_owned()];
    let shown = store
        .read((cids.clone(), users), move |tx, (cids, users)| tx.channel_bans(1, cids, users, at(200)))
        .await
        .expect("channel bans");
    let mut pairs: Vec<(String, Option<String>)> =
        shown.into_iter().map(|ban| (ban.user_id, ban.channel_cid)).collect();
    pairs.sort();
    let expected = [("alice", "team:a"), ("bob", "team:a"), ("carol", "team:b")];
    let expected: Vec<(String, Option<String>)> =
        expected.iter().map(|(user, cid)| ((*user).to_owned(), Some((*cid).to_owned()))).collect();
    assert_eq!(pairs, expected);
    let future = store.read((), move |tx, ()| tx.future_bans_by(1, "mod", at(200))).await.expect("future");
    assert_eq!(future.iter().map(|ban| ban.user_id.as_str()).collect::<Vec<_>>(), ["carol"]);

    // Newest first, paged; the filter by channel and the app-wide scope ('').
    let page = |condition: Condition, offset: usize| {
        let store = store.clone();
        let order = ["created_at", "user_id", "channel_cid"]
            .into_iter()
            .map(|column| OrderKey { column, descending: true })
            .collect();
        let query = RowQuery { condition, order, page: Some(Page { offset, limit: 2 }) };
        async move {
            let found = store.read(query, |tx, query| tx.find_bans(1, query)).await.expect("find");
            found.into_iter().map(|ban| (ban.user_id, ban.created_at)).collect::<Vec<_>>()
        }
    };
    let first = page(Condition::True, 0).await;
    assert_eq!(first, [("bob".to_owned(), at(5)), ("dave".to_owned(), at(4))]);
    let third = page(Condition::True, 4).await;
    assert_eq!(third, [("alice".to_owned(), at(0))], "five bans in all: bob's second replaced his first");
    let in_a = Condition::Column { column: "channel_cid", op: Comparison::Eq, value: Scalar::Text("team:a".into()) };
    assert_eq!(page(in_a, 0).await, [("bob".to_owned(), at(5)), ("alice".to_owned(), at(1))]);
    let app_wide = Condition::Column { column: "channel_cid", op: Comparison::Eq, value: Scalar::Text(String::new()) };
    assert_eq!(page(app_wide, 0).await, [("dave".to_owned(), at(4)), ("alice".to_owned(), at(0))]);

    // The sweep clears alice's expired app-wide ban from her row (and leaves dave's, which has no end).
    let cleared = store.write((), move |tx, ()| tx.clear_expired_user_bans(at(150), 10)).await.expect("sweep");
    assert_eq!(cleared, 1);
    let alice = user("alice").await;
    assert!(!alice.banned && alice.ban_expires.is_none(), "{alice:?}");
    assert!(user("dave").await.shadow_banned);
    // Lifting removes the ban and, app-wide, the row's flags.
    let lifted = store.write((), |tx, ()| tx.delete_ban(1, "dave", None)).await.expect("lift");
    assert_eq!(lifted.map(|ban| ban.shadow), Some(true));
    assert!(!user("dave").await.shadow_banned);
    let again = store.write((), |tx, ()| tx.delete_ban(1, "dave", None)).await.expect("lift again");
    assert!(again.is_none());
    let removed = store.write((), |tx, ()| tx.delete_channel_bans(1, "team:a")).await.expect("channel deleted");
    assert_eq!(removed, 2, "alice's and bob's bans in team:a; the other app's stays");
}

/// A reporter flags a target once (a second insert writes nothing); a query pages message flags by time and
/// channel, with their data; closing a message's flags marks them deleted and, for a moderator, reviewed and
/// rejected, once; withdrawing removes the reporter's flag alone.
async fn flags_once_per_reporter_review_and_withdraw(kind: BackendKind) {
    use crate::model::Flag;
    use crate::store::selection::{Comparison, Condition, OrderKey, Page, RowQuery, Scalar};
    let (_directory, _database, store) = fresh(kind).await;
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let at = move |seconds: i64| base + chrono::Duration::seconds(seconds);
    let flag = move |reporter: &str, message: Option<&str>, created: i64| Flag {
        id: format!("{reporter}-{message:?}"),
        user_id: reporter.into(),
        target_message_id: message.map(str::to_owned),
        target_user_id: "bob".into(),
        channel_cid: message.map(|_| "team:a".to_owned()),
        reason: Some("spam".into()),
        data: serde_json::json!({"severity": created}).as_object().cloned().unwrap_or_default(),
        created_at: at(created),
        updated_at: at(created),
        reviewed_at: None,
        reviewed_by: None,
        approved_at: None,
        rejected_at: None,
        message_deleted_at: None,
    };
    let rows = vec![
        flag("alice", Some("m1"), 1),
        flag("carol", Some("m1"), 2),
        flag("alice", Some("m2"), 3),
        flag("alice", None, 4),
    ];
    let again = flag("alice", Some("m1"), 9);
    let inserted = store
        .write((rows, again), |tx, (rows, again)| {
            Box::pin(async move {
                let mut inserted = Vec::new();
                for row in rows.iter() {
                    inserted.push(tx.insert_flag(1, row).await?);
                }
                inserted.push(tx.insert_flag(1, again).await?);
                inserted.push(tx.insert_flag(2, again).await?);
                Ok(inserted)
            })
        })
        .await
        .expect("flags");
    assert_eq!(inserted, [true, true, true, true, false, true], "once per reporter and target, per app");
    let messages = |extra: Option<Condition>| {
        let store = store.clone();
        let mut all = vec![Condition::Column {
            column: "target_kind",
            op: Comparison::Eq,
            value: Scalar::Text("message".into()),
        }];
        all.extend(extra);
        let order = ["created_at", "target_id", "user_id"]
            .into_iter()
            .map(|column| OrderKey { column, descending: true })
            .collect();
        let query = RowQuery { condition: Condition::All(all), order, page: Some(Page { offset: 0, limit: 10 }) };
        async move { store.read(query, |tx, query| tx.find_flags(1, query)).await.expect("find") }
    };
    let found = messages(None).await;
    let order: Vec<(&str, &str)> =
        found.iter().map(|f| (f.target_message_id.as_deref().unwrap(), f.user_id.as_str())).collect();
    assert_eq!(order, [("m2", "alice"), ("m1", "carol"), ("m1", "alice")]);
    assert_eq!(found[2].data.get("severity"), Some(&serde_json::json!(1)), "the first report stays as it was");
    assert_eq!(found[2].channel_cid.as_deref(), Some("team:a"));

    let closed = store.write((), move |tx, ()| tx.close_message_flags(1, "m1", at(20), Some(Some("mod")))).await;
    assert_eq!(closed.expect("close"), 2);
    let later = store.write((), move |tx, ()| tx.close_message_flags(1, "m1", at(30), Some(Some("other")))).await;
    later.expect("close again");
    let open = Condition::Null { column: "message_deleted_at" };
    let standing = messages(Some(open)).await;
    assert_eq!(standing.iter().map(|f| f.target_message_id.as_deref().unwrap()).collect::<Vec<_>>(), ["m2"]);
    let closed: Vec<Flag> =
        messages(None).await.into_iter().filter(|f| f.target_message_id.as_deref() == Some("m1")).collect();
    for flag in &closed {
        assert_eq!(
            (flag.reviewed_by.as_deref(), flag.reviewed_at, flag.rejected_at),
            (Some("mod"), Some(at(20)), Some(at(20)))
        );
        assert_eq!(flag.message_deleted_at, Some(at(20)), "the first deletion is the one recorded");
    }

    let withdrawn = store.write((), |tx, ()| tx.delete_flag(1, "message", "m2", "alice")).await.expect("withdraw");
    assert_eq!(withdrawn.map(|flag| flag.id), Some("alice-Some(\"m2\")".to_owned()));
    let none = store.write((), |tx, ()| tx.delete_flag(1, "message", "m2", "alice")).await.expect("again");
    assert!(none.is_none());
    let user_flag = store.write((), |tx, ()| tx.delete_flag(1, "user", "bob", "alice")).await.expect("user flag");
    assert!(user_flag.is_some_and(|flag| flag.target_message_id.is_none() && flag.target_user_id == "bob"));
}

/// A channel mute renews keeping its creation, lists among the user's mutes while it holds, takes its channel
/// out of the user's unread totals (and only the user's), and counts again once lifted or run out; the sweep
/// removes the ones that ran out.
async fn muted_channels_leave_the_unread_totals(kind: BackendKind) {
    use crate::model::ChannelMute;
    let (_directory, _database, store) = fresh(kind).await;
    let base = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("time");
    let at = move |seconds: i64| base + chrono::Duration::seconds(seconds);
    store
        .write((), move |tx, ()| {
            Box::pin(async move {
                for id in ["busy", "quiet"] {
                    let channel = crate::model::Channel {
                        cid: format!("messaging:{id}"),
                        id: id.into(),
                        ..placeholder_channel()
                    };
                    tx.insert_channel(1, &channel).await?;
                    for user in ["alice", "bob"] {
                        tx.insert_member(1, &member_of(&channel.cid, user, base)).await?;
                    }
                    for _ in 0..3 {
                        tx.count_message(1, &channel.cid, true, true, base).await?;
                    }
                }
                Ok(())
            })
        })
        .await
        .expect("channels");
    let mute = move |cid: &str, created: i64, expires: Option<i64>| ChannelMute {
        user_id: "alice".into(),
        channel_cid: cid.into(),
        created_at: at(created),
        updated_at: at(created),
        expires: expires.map(at),
    };
    let rows = vec![mute("messaging:busy", 0, Some(100)), mute("messaging:busy", 10, Some(500))];
    store
        .write(rows, |tx, rows| {
            Box::pin(async move {
                for row in rows {
                    tx.put_channel_mute(1, row).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("mutes");
    let totals = |seconds: i64| {
        let store = store.clone();
        async move {
            let users = vec!["alice".to_owned(), "bob".to_owned()];
            let totals =
                store.read(users, move |tx, users| tx.unread_totals(1, users, at(seconds))).await.expect("read");
            let of = |user: &str| totals.get(user).map(|t| (t.total_unread_count, t.unread_channels));
            (of("alice"), of("bob"))
        }
    };
    assert_eq!(totals(200).await, (Some((3, 1)), Some((6, 2))), "alice muted busy; bob did not");
    assert_eq!(totals(600).await, (Some((6, 2)), Some((6, 2))), "the renewed mute ran out at 500");
    let listed = store.read((), move |tx, ()| tx.channel_mutes(1, "alice", None, at(200))).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].created_at, listed[0].expires), (at(0), Some(at(500))), "renewed, keeping its creation");
    let among = vec!["messaging:quiet".to_owned()];
    let none = store.read(among, move |tx, among| tx.channel_mutes(1, "alice", Some(among), at(200))).await;
    assert!(none.expect("among").is_empty());
    let swept = store.write((), move |tx, ()| tx.delete_expired_channel_mutes(at(600), 10)).await.expect("sweep");
    assert_eq!(swept, 1);
    store.write(mute("messaging:quiet", 20, None), |tx, mute| tx.put_channel_mute(1, mute)).await.expect("forever");
    assert_eq!(totals(10_000).await.0, Some((3, 1)));
    let lifted = store.write((), |tx, ()| tx.delete_channel_mute(1, "alice", "messaging:quiet")).await.expect("lift");
    assert!(lifted);
    assert_eq!(totals(10_000).await.0, Some((6, 2)));
}

/// Twenty users become active at once on a plan that allows five: exactly five are admitted on either backend
/// (admissions queue on the month's lock), an admitted user is admitted again, and the month counts its
/// messages over every shard; another month starts from nothing.
async fn monthly_usage_admits_exactly_the_plans_users(kind: BackendKind) {
    use crate::ops::usage::{activate, check_message_quota, month_of};
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let plan = crate::model::Plan::named("free").expect("plan");
    let settings = crate::model::AppSettings { plan, ..Default::default() };
    let app = Arc::new(crate::model::App {
        id: 1,
        name: "test".into(),
        api_key: "key".into(),
        api_secret: crate::secret::Secret::new("secret"),
        settings,
        created_at: now,
    });
    let context = |user: &str, at: chrono::DateTime<chrono::Utc>| crate::ops::Context {
        app: app.clone(),
        actor: crate::model::Actor::User { user_id: user.into() },
        now: at,
    };
    let mut admissions = Vec::new();
    for index in 0..20 {
        let (store, ctx) = (store.clone(), context(&format!("u{index}"), now));
        admissions.push(tokio::spawn(async move {
            store
                .write(ctx, |tx, ctx| {
                    Box::pin(async move { activate(tx, ctx, ctx.actor.user_id().unwrap_or_default()).await })
                })
                .await
        }));
    }
    let mut admitted = Vec::new();
    for (index, admission) in admissions.into_iter().enumerate() {
        match admission.await.expect("task") {
            Ok(()) => admitted.push(format!("u{index}")),
            Err(error) => assert_eq!(error.code, rill_protocol::error::ErrorCode::NotAllowed, "{error:?}"),
        }
    }
    assert_eq!(admitted.len(), 5, "exactly the plan's five: {admitted:?}");
    let again = context(&admitted[0], now);
    store
        .write(again, |tx, ctx| {
            Box::pin(async move { activate(tx, ctx, ctx.actor.user_id().unwrap_or_default()).await })
        })
        .await
        .expect("an admitted user stays admitted");
    let month = month_of(now);
    let count = store.read(month, |tx, month| tx.active_user_count(1, *month)).await.expect("count");
    assert_eq!(count, 5);

    for index in 0..12 {
        let ctx = context("u0", now);
        let cid = format!("team:{index}");
        store
            .write((ctx, cid), |tx, (ctx, cid)| {
                Box::pin(async move {
                    let counted = check_message_quota(tx, ctx, cid).await?;
                    tx.add_month_message(1, counted.month, counted.shard).await
                })
            })
            .await
            .expect("count message");
    }
    assert_eq!(store.read(month, |tx, month| tx.month_messages(1, *month)).await.expect("sum"), 12);
    let next = month_of(now + chrono::Duration::days(40));
    assert_eq!(store.read(next, |tx, month| tx.month_messages(1, *month)).await.expect("sum"), 0);
    assert_eq!(store.read(next, |tx, month| tx.active_user_count(1, *month)).await.expect("count"), 0);
}

/// `member_and_ban` (one round trip on PostgreSQL) answers as the membership and ban lookups do one by one:
/// with or without each, an expired ban as none.
async fn a_standing_reads_membership_and_ban_together(kind: BackendKind) {
    use crate::model::Ban;
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("time");
    let ban = move |user: &str, expires: Option<i64>| Ban {
        user_id: user.into(),
        channel_cid: Some("messaging:busy".into()),
        created_by: None,
        reason: Some("why".into()),
        shadow: false,
        future_channels: false,
        created_at: now,
        expires: expires.map(|seconds| now + chrono::Duration::seconds(seconds)),
    };
    store
        .write((), move |tx, ()| {
            Box::pin(async move {
                tx.insert_channel(1, &placeholder_channel()).await?;
                for user in ["alice", "carol"] {
                    tx.insert_member(1, &member_of("messaging:busy", user, now)).await?;
                }
                tx.put_ban(1, &ban("alice", Some(60))).await?;
                tx.put_ban(1, &ban("bob", Some(-60))).await?;
                tx.put_ban(1, &ban("dave", None)).await
            })
        })
        .await
        .expect("rows");
    for user in ["alice", "bob", "carol", "dave", "erin"] {
        let (together, apart) = store
            .read(user, move |tx, user| {
                Box::pin(async move {
                    let together = tx.member_and_ban(1, "messaging:busy", user, now).await?;
                    let member = tx.member(1, "messaging:busy", user).await?;
                    let ban = tx.bans_of(1, user, &["messaging:busy".to_owned()], now).await?.pop();
                    Ok((together, (member, ban)))
                })
            })
            .await
            .expect("read");
        assert_eq!(together, apart, "{user}");
        let expected = match user {
            "alice" => (true, true),
            "carol" => (true, false),
            "dave" => (false, true),
            _ => (false, false),
        };
        assert_eq!((together.0.is_some(), together.1.is_some()), expected, "{user}");
    }
}

fn webhook_job(index: usize) -> crate::store::NewJob {
    crate::store::NewJob {
        kind: crate::store::JobKind::Webhook,
        delivery_id: format!("delivery-{index}"),
        target: format!("http://127.0.0.1:9/{index}"),
        timeout_ms: 6000,
        event_type: "message.new".into(),
        body: format!("{{\"n\":{index}}}"),
    }
}

/// Concurrent claims lease every due job exactly once; a leased job is not due until its lease ends (then it is
/// claimed again, its attempt counted); only the claim that holds a job finishes, returns or fails it; a
/// returned job is due at its new time; summaries are per app and failed jobs leave with the retention sweep.
async fn outbox_jobs_are_leased_once_retried_failed_and_kept_apart(kind: BackendKind) {
    use chrono::Duration;
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let jobs: Vec<_> = (0..30).map(webhook_job).collect();
    store.write((jobs, now), |tx, (jobs, now)| tx.enqueue_jobs(1, jobs, *now)).await.expect("enqueue");
    let others: Vec<_> = (30..35).map(webhook_job).collect();
    store.write((others, now), |tx, (jobs, now)| tx.enqueue_jobs(2, jobs, *now)).await.expect("enqueue");

    let until = now + Duration::seconds(60);
    let mut claims = Vec::new();
    for claim in 0..6 {
        let store = store.clone();
        claims.push(tokio::spawn(async move {
            let lease = format!("lease-{claim}");
            store.write((lease, now, until), |tx, (lease, now, until)| tx.claim_jobs(lease, *now, *until, 10)).await
        }));
    }
    let mut leased = Vec::new();
    for claim in claims {
        leased.extend(claim.await.expect("task").expect("claim"));
    }
    let mut ids: Vec<i64> = leased.iter().map(|job| job.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 35, "every job leased exactly once");
    assert_eq!(leased.len(), 35);
    assert!(leased.iter().all(|job| job.attempt == 1));
    let again = store
        .write(now, |tx, now| tx.claim_jobs("late", *now, *now + Duration::seconds(60), 100))
        .await
        .expect("claim");
    assert!(again.is_empty(), "leased jobs are not due");

    let of_app = |app: i64| leased.iter().filter(|job| job.app_id == app).cloned().collect::<Vec<_>>();
    let (first, second, third) = (of_app(1)[0].clone(), of_app(1)[1].clone(), of_app(1)[2].clone());
    assert_eq!(of_app(1).len(), 30);
    assert!(of_app(2).iter().all(|job| job.body.starts_with("{\"n\":3")));
    let wrong = store.write(first.id, |tx, id| tx.finish_job(*id, "someone-else")).await.expect("finish");
    assert!(!wrong, "another claim cannot finish a job");
    let job = first.clone();
    assert!(store.write(job, |tx, job| tx.finish_job(job.id, &job.lease)).await.expect("finish"));
    let job = second.clone();
    let retry_at = now + Duration::seconds(1);
    let returned = store
        .write((job, retry_at), |tx, (job, at)| tx.retry_job(job.id, &job.lease, *at, "503 Service Unavailable"))
        .await
        .expect("retry");
    assert!(returned);
    let job = third.clone();
    let failed =
        store.write((job, now), |tx, (job, now)| tx.fail_job(job.id, &job.lease, *now, "400 Bad Request")).await;
    assert!(failed.expect("fail"));

    let before_due = store
        .write(now, |tx, now| {
            tx.claim_jobs("early", *now + Duration::milliseconds(500), *now + Duration::seconds(60), 100)
        })
        .await
        .expect("claim");
    assert!(before_due.is_empty(), "a returned job waits for its time");
    let due = store
        .write(now, |tx, now| tx.claim_jobs("retry", *now + Duration::seconds(2), *now + Duration::seconds(120), 100))
        .await
        .expect("claim");
    assert_eq!(due.iter().map(|job| (job.id, job.attempt)).collect::<Vec<_>>(), vec![(second.id, 2)]);
    assert_eq!(due[0].delivery_id, second.delivery_id, "the delivery id stays the same on every attempt");

    let summary = store.read((), |tx, _| tx.outbox_summary(1, 10)).await.expect("summary");
    assert_eq!((summary.pending, summary.failed), (28, 1));
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].id, third.id);
    assert_eq!(summary.failures[0].last_error, "400 Bad Request");
    assert_eq!(summary.failures[0].attempts, 1);
    assert!(summary.oldest_pending_at.is_some());
    let other = store.read((), |tx, _| tx.outbox_summary(2, 10)).await.expect("summary");
    assert_eq!((other.pending, other.failed), (5, 0));

    // Once the first leases run out, their unfinished jobs are due again (a worker that died).
    let expired = store
        .write(until, |tx, until| tx.claim_jobs("after", *until, *until + Duration::seconds(60), 100))
        .await
        .expect("claim");
    assert_eq!(expired.len(), 32, "every job still leased to the first claims, not the finished or failed one");
    assert!(expired.iter().all(|job| job.attempt == 2));
    let swept = store.write(now, |tx, now| tx.delete_failed_jobs(*now + Duration::seconds(1), 100)).await;
    assert_eq!(swept.expect("sweep"), 1);
    let summary = store.read((), |tx, _| tx.outbox_summary(1, 10)).await.expect("summary");
    assert_eq!(summary.failed, 0);

    // A renewed lease keeps the job from other claims past its first end; only its holder can renew it.
    let held = due[0].clone();
    let stolen = store.write(held.id, move |tx, id| tx.renew_lease(*id, "someone-else", now + Duration::seconds(900)));
    assert!(!stolen.await.expect("renew"), "another claim cannot renew a lease");
    let renewed = store
        .write(held.clone(), move |tx, job| tx.renew_lease(job.id, &job.lease, now + Duration::seconds(600)))
        .await
        .expect("renew");
    assert!(renewed);
    let later = store
        .write(now, |tx, now| tx.claim_jobs("later", *now + Duration::seconds(300), *now + Duration::seconds(400), 100))
        .await
        .expect("claim");
    assert!(later.iter().all(|job| job.id != held.id), "the renewed job stays leased");
    assert!(!later.is_empty(), "the jobs whose leases ran out are claimed");
}

fn device(id: &str, user_id: &str, provider: &str, at: chrono::DateTime<chrono::Utc>) -> crate::model::Device {
    crate::model::Device {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        push_provider: provider.to_owned(),
        push_provider_name: None,
        voip: false,
        disabled_reason: None,
        created_at: at,
    }
}

/// A push token belongs to one user: registering it again keeps its age, another user's registration moves it;
/// a disabled device is listed but not pushed to until registered again; apps never share devices.
async fn devices_belong_to_one_user_and_disable_until_registered_again(kind: BackendKind) {
    use chrono::Duration;
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::Utc::now();
    let put = |app: i64, device: crate::model::Device| {
        let store = store.clone();
        async move { store.write(device, move |tx, device| tx.put_device(app, device)).await.expect("put device") }
    };
    put(1, device("phone-a", "alice", "firebase", now)).await;
    put(1, device("tablet-a", "alice", "apn", now + Duration::seconds(1))).await;
    put(1, device("phone-b", "bob", "apn", now)).await;
    put(2, device("phone-a", "mallory", "firebase", now)).await;
    // Registering again keeps its place; the provider fields change.
    let mut again = device("phone-a", "alice", "apn", now + Duration::seconds(5));
    again.push_provider_name = Some("production".into());
    put(1, again).await;
    let of = |app: i64, user: &'static str| {
        let store = store.clone();
        async move { store.read(app, move |tx, app| tx.devices_of(*app, user)).await.expect("devices of") }
    };
    let alice = of(1, "alice").await;
    let ids: Vec<&str> = alice.iter().map(|device| device.id.as_str()).collect();
    assert_eq!(ids, ["phone-a", "tablet-a"], "oldest first, the re-registration kept its age");
    assert_eq!(alice[0].push_provider, "apn");
    assert_eq!(alice[0].push_provider_name.as_deref(), Some("production"));
    assert_eq!(alice[0].created_at.timestamp_micros(), now.timestamp_micros());
    assert_eq!(of(2, "mallory").await.len(), 1, "the other app's token of the same id is its own");

    // Bob signs in on Alice's phone: the token moves to him.
    put(1, device("phone-a", "bob", "firebase", now + Duration::seconds(9))).await;
    assert_eq!(of(1, "alice").await.iter().map(|device| device.id.as_str()).collect::<Vec<_>>(), ["tablet-a"]);
    assert_eq!(of(1, "bob").await.len(), 2);

    let users = vec!["alice".to_owned(), "bob".to_owned(), "carol".to_owned()];
    let push = |users: Vec<String>| {
        let store = store.clone();
        async move { store.read(users, |tx, users| tx.push_devices(1, users)).await.expect("push devices") }
    };
    assert_eq!(push(users.clone()).await.len(), 3);
    let disabled =
        store.write((), |tx, _| tx.disable_device(1, "phone-b", "unregistered")).await.expect("disable device");
    assert!(disabled);
    let missing = store.write((), |tx, _| tx.disable_device(1, "nope", "unregistered")).await.expect("disable");
    assert!(!missing);
    let enabled: Vec<String> = push(users.clone()).await.into_iter().map(|device| device.id).collect();
    assert!(!enabled.contains(&"phone-b".to_owned()), "a disabled device gets no push: {enabled:?}");
    let bob = of(1, "bob").await;
    let listed = bob.iter().find(|device| device.id == "phone-b").expect("still listed");
    assert_eq!(listed.disabled_reason.as_deref(), Some("unregistered"));
    put(1, device("phone-b", "bob", "apn", now)).await;
    assert_eq!(push(users).await.len(), 3, "registering again enables it");
    assert!(push(Vec::new()).await.is_empty());

    let by_alice = store.write((), |tx, _| tx.delete_device(1, "alice", "phone-b")).await.expect("delete");
    assert!(!by_alice, "another user's device is not theirs to remove");
    assert!(store.write((), |tx, _| tx.delete_device(1, "bob", "phone-b")).await.expect("delete"));
    assert_eq!(of(1, "bob").await.iter().map(|device| device.id.as_str()).collect::<Vec<_>>(), ["phone-a"]);
}

/// Providers round-trip with their credentials (sealed in the row, bound to it), replace the same kind and name,
/// stay per app, and go when removed.
async fn push_providers_keep_credentials_sealed_and_apart(kind: BackendKind) {
    use crate::model::{PushKind, PushProvider};
    use crate::secret::Secret;
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("time");
    let mut firebase = PushProvider::new(PushKind::Firebase, "", now);
    firebase.credentials = Some(Secret::new("{\"private_key\": \"canary-key-material\"}"));
    firebase.notification_template = "{\"title\": \"{{ sender.name }}\"}".into();
    let mut apn = PushProvider::new(PushKind::Apn, "staging", now);
    apn.credentials = Some(Secret::new("-----BEGIN PRIVATE KEY-----canary"));
    (apn.key_id, apn.team_id, apn.topic, apn.development) = ("KEY".into(), "TEAM".into(), "app.rill".into(), true);
    apn.disabled_at = Some(now);
    apn.disabled_reason = Some("paused".into());
    let put = |app: i64, provider: PushProvider| {
        let store = store.clone();
        async move { store.write(provider, move |tx, provider| tx.put_push_provider(app, provider)).await.expect("put") }
    };
    put(1, firebase.clone()).await;
    put(1, apn.clone()).await;
    put(2, PushProvider::new(PushKind::Firebase, "", now)).await;
    let read = |app: i64| {
        let store = store.clone();
        async move { store.read(app, |tx, app| tx.push_providers(*app)).await.expect("providers") }
    };
    assert_eq!(read(1).await, vec![firebase.clone(), apn.clone()], "app-level first, every field kept");
    assert!(read(1).await[1].disabled_at.is_some() && !read(1).await[1].enabled());
    assert!(read(1).await[0].enabled());
    assert_eq!(read(2).await.len(), 1);
    assert_eq!(read(2).await[0].credentials, None);

    let mut replaced = firebase.clone();
    replaced.credentials = Some(Secret::new("{}"));
    replaced.updated_at = now + chrono::Duration::seconds(5);
    put(1, replaced.clone()).await;
    assert_eq!(read(1).await[0], replaced);
    let removed = store.write((), |tx, _| tx.delete_push_provider(1, PushKind::Apn, "staging")).await.expect("rm");
    assert!(removed);
    let again = store.write((), |tx, _| tx.delete_push_provider(1, PushKind::Apn, "staging")).await.expect("rm");
    assert!(!again);
    assert_eq!(read(1).await, vec![replaced]);
}

/// A channel's push targets are its members' enabled devices (not outsiders', not pending invitees', not
/// disabled ones); mutes of the channel or of the sender are found for a batch of users; a settled push is
/// recorded once and swept by age.
async fn push_targets_are_members_with_devices_and_settle_once(kind: BackendKind) {
    use crate::model::{ChannelMute, UserMute};
    let (_directory, _database, store) = fresh(kind).await;
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).expect("time");
    store
        .write((), move |tx, ()| {
            Box::pin(async move {
                let channel =
                    crate::model::Channel { cid: "team:ops".into(), id: "ops".into(), ..placeholder_channel() };
                tx.insert_channel(1, &channel).await?;
                for user in ["alice", "bob", "carol", "dave"] {
                    let mut member = member_of(&channel.cid, user, now);
                    if user == "dave" {
                        member.data.insert("invited".into(), true.into());
                    }
                    tx.insert_member(1, &member).await?;
                }
                for (id, user) in [("a1", "alice"), ("a2", "alice"), ("b1", "bob"), ("c1", "carol")] {
                    tx.put_device(1, &device(id, user, "firebase", now)).await?;
                }
                tx.put_device(1, &device("d1", "dave", "apn", now)).await?;
                tx.put_device(1, &device("e1", "erin", "apn", now)).await?;
                tx.disable_device(1, "c1", "unregistered").await?;
                let expired = Some(now - chrono::Duration::seconds(1));
                tx.put_channel_mute(
                    1,
                    &ChannelMute {
                        user_id: "alice".into(),
                        channel_cid: "team:ops".into(),
                        created_at: now,
                        updated_at: now,
                        expires: None,
                    },
                )
                .await?;
                for (user, target, expires) in [("bob", "carol", None), ("carol", "alice", expired)] {
                    let mute = UserMute {
                        user_id: user.into(),
                        target_id: target.into(),
                        created_at: now,
                        updated_at: now,
                        expires,
                    };
                    tx.put_user_mute(1, &mute).await?;
                }
                Ok(())
            })
        })
        .await
        .expect("fixture");
    let targets = store.read((), |tx, _| tx.channel_push_devices(1, "team:ops")).await.expect("targets");
    let ids: Vec<&str> = targets.iter().map(|device| device.id.as_str()).collect();
    assert_eq!(ids, ["a1", "a2", "b1"], "members' enabled devices only");
    assert!(store.read((), |tx, _| tx.channel_push_devices(2, "team:ops")).await.expect("other app").is_empty());

    let everyone: Vec<String> = ["alice", "bob", "carol", "dave"].map(String::from).to_vec();
    let muted = |sender: &'static str| {
        let (store, everyone) = (store.clone(), everyone.clone());
        async move {
            let mut muted = store
                .read(everyone, move |tx, users| tx.muted_for_push(1, "team:ops", sender, users, now))
                .await
                .expect("muted");
            muted.sort();
            muted
        }
    };
    assert_eq!(muted("carol").await, ["alice", "bob"], "alice muted the channel, bob muted carol");
    assert_eq!(muted("alice").await, ["alice"], "carol's mute of alice ran out");

    let settle = |devices: Vec<(&str, &str)>, at: chrono::DateTime<chrono::Utc>| {
        let store = store.clone();
        let settled: Vec<(String, String)> =
            devices.into_iter().map(|(device, outcome)| (device.to_owned(), outcome.to_owned())).collect();
        async move { store.write(settled, move |tx, settled| tx.settle_pushes(1, "m1", settled, at)).await.expect("settle") }
    };
    settle(vec![("a1", "sent"), ("b1", "unregistered")], now - chrono::Duration::days(8)).await;
    settle(vec![("a1", "sent"), ("a2", "sent")], now).await;
    let mut settled = store.read((), |tx, _| tx.settled_pushes(1, "m1")).await.expect("settled");
    settled.sort();
    assert_eq!(settled, ["a1", "a2", "b1"], "one row per device, the first kept");
    assert!(store.read((), |tx, _| tx.settled_pushes(2, "m1")).await.expect("other app").is_empty());
    let before = now - chrono::Duration::days(7);
    let swept = store.write(before, |tx, before| tx.delete_settled_pushes(*before, 100)).await.expect("sweep");
    assert_eq!(swept, 2, "the week-old rows go");
    assert_eq!(store.read((), |tx, _| tx.settled_pushes(1, "m1")).await.expect("settled"), ["a2"]);
}
