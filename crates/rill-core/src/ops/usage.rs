//! Monthly usage against the app's plan: who was active this month (MAU) and how many messages were stored.
//! A user becomes active the first time in a calendar month (UTC) they connect or make a request with their
//! token; past the plan's MAU limit a user not yet active this month is refused, one already active never is.
//! Past the message limit a send is refused before anything is written.

use crate::error::{CoreError, CoreResult};
use crate::model::{App, Plan};
use crate::ops::Context;
use crate::store::{MonthShard, Tx};
use chrono::{DateTime, Datelike, Utc};

/// A calendar month (UTC) as stored: YYYYMM.
pub fn month_of(at: DateTime<Utc>) -> i64 {
    i64::from(at.year()) * 100 + i64::from(at.month())
}

/// A stored month as people write it: `2026-12`.
pub fn month_label(month: i64) -> String {
    format!("{:04}-{:02}", month / 100, month % 100)
}

/// How many shards a month's message count has: sends in different channels rarely touch the same row.
const MESSAGE_SHARDS: u64 = 8;

/// This month's usage of an app, with its plan's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub month: i64,
    pub plan: Plan,
    pub monthly_active_users: u64,
    pub messages: u64,
}

/// Counts the app's usage in the month of `ctx.now`. Cost: the month's active users (an index range) and its
/// message shards.
pub async fn usage(tx: &mut dyn Tx, app: &App, now: DateTime<Utc>) -> CoreResult<Usage> {
    let month = month_of(now);
    Ok(Usage {
        month,
        plan: app.settings.plan.clone(),
        monthly_active_users: tx.active_user_count(app.id, month).await?,
        messages: tx.month_messages(app.id, month).await?,
    })
}

/// Records `user_id` as active this month, refusing (403, code 17) a user not yet active when the plan's MAU
/// limit is reached. Under a limit, admissions take the month's lock one at a time, so the limit is exact on
/// both backends.
pub async fn activate(tx: &mut dyn Tx, ctx: &Context, user_id: &str) -> CoreResult<()> {
    let (app_id, month) = (ctx.app_id(), month_of(ctx.now));
    let Some(limit) = ctx.app.settings.plan.max_mau else {
        tx.add_active_user(app_id, month, user_id, ctx.now).await?;
        return Ok(());
    };
    if tx.is_active_in(app_id, month, user_id).await? {
        return Ok(());
    }
    tx.lock_month(app_id, month).await?;
    let active = tx.active_user_count(app_id, month).await?;
    if active >= limit && !tx.is_active_in(app_id, month, user_id).await? {
        return Err(CoreError::not_allowed(format!(
            "the app's {} plan allows {limit} monthly active users and {active} are active in {}: user {user_id} \
             cannot be added this month",
            ctx.app.settings.plan.name,
            month_label(month)
        )));
    }
    tx.add_active_user(app_id, month, user_id, ctx.now).await?;
    Ok(())
}

/// Checks that a message may still be stored in `cid` this month, refusing (403, code 17) past the plan's
/// message limit; the send then adds it to the shard returned, in the same transaction (`PostEffects`). The
/// check reads the month's count in the send's transaction: exact on SQLite's one writer; on PostgreSQL
/// concurrent sends may pass the limit by at most the sends in flight. Without a limit it reads nothing.
pub async fn check_message_quota(tx: &mut dyn Tx, ctx: &Context, cid: &str) -> CoreResult<MonthShard> {
    let (app_id, month) = (ctx.app_id(), month_of(ctx.now));
    if let Some(limit) = ctx.app.settings.plan.max_messages {
        let stored = tx.month_messages(app_id, month).await?;
        if stored >= limit {
            return Err(CoreError::not_allowed(format!(
                "the app's {} plan allows {limit} messages a month and {stored} were sent in {}",
                ctx.app.settings.plan.name,
                month_label(month)
            )));
        }
    }
    Ok(MonthShard { month, shard: shard_of(cid) })
}

/// The message shard of a channel: a stable hash of its cid (FNV-1a, the same on every node and version).
fn shard_of(cid: &str) -> i64 {
    let hash = cid
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    (hash % MESSAGE_SHARDS) as i64
}

/// `rill app set-plan`: the named plan, with either limit overridden.
pub async fn set_plan(
    tx: &mut dyn Tx,
    app_id: i64,
    name: &str,
    max_mau: Option<u64>,
    max_messages: Option<u64>,
) -> CoreResult<App> {
    let mut plan = Plan::named(name)
        .ok_or_else(|| CoreError::input(format!("unknown plan {name:?}: use one of {}", Plan::NAMES.join(", "))))?;
    plan.max_mau = max_mau.or(plan.max_mau);
    plan.max_messages = max_messages.or(plan.max_messages);
    let mut app = crate::ops::apps::app_for_update(tx, app_id).await?;
    app.settings.plan = plan;
    crate::ops::apps::save_settings(tx, &mut app).await?;
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_shards_are_stable() {
        use chrono::TimeZone;
        let last_second = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(month_of(last_second), 202612);
        assert_eq!(month_of(last_second + chrono::Duration::seconds(1)), 202701, "months are UTC calendar months");
        assert_eq!(month_label(202612), "2026-12");
        assert_eq!(month_label(202701), "2027-01");
        assert_eq!(shard_of("team:general"), shard_of("team:general"));
        let shards: std::collections::BTreeSet<i64> = (0..64).map(|index| shard_of(&format!("team:{index}"))).collect();
        assert_eq!(shards.len(), MESSAGE_SHARDS as usize, "channels spread over every shard");
    }
}
