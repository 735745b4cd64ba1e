//! Moderation by users and moderators: for now, muting users. A mute is the muter's own (it hides nothing from
//! anyone else); it lasts `timeout` minutes or until the muter unmutes.

use crate::error::{CoreError, CoreResult};
use crate::ids::UserId;
use crate::model::{User, UserMute};
use crate::ops::{collect_users, Context, Outcome};
use crate::store::Tx;
use rill_protocol::limits::{MAX_MUTE_MINUTES, MAX_USERS_PER_CALL};

/// What muting or unmuting leaves: the muter, their mutes now, the mutes this call made, and the targets that
/// do not exist.
#[derive(Debug, Clone)]
pub struct Mutes {
    pub muter: User,
    pub all: Vec<UserMute>,
    pub made: Vec<UserMute>,
    pub non_existing: Vec<String>,
}

/// The acting user and the existing targets among `targets` (1 to `MAX_USERS_PER_CALL`, never the muter).
async fn muter_and_targets(
    tx: &mut dyn Tx,
    ctx: &Context,
    targets: &[UserId],
) -> CoreResult<(User, Vec<String>, Vec<String>)> {
    let muter_id = ctx.acting_user_id("Mute")?.to_owned();
    if targets.is_empty() || targets.len() > MAX_USERS_PER_CALL {
        return Err(CoreError::input(format!("target_ids must name 1 to {MAX_USERS_PER_CALL} users")));
    }
    if targets.iter().any(|target| target.as_str() == muter_id) {
        return Err(CoreError::input("a user cannot mute themselves"));
    }
    let muter = crate::ops::acting_user(tx, ctx).await?.ok_or_else(|| CoreError::input("user_id is required"))?;
    let mut wanted: Vec<String> = targets.iter().map(UserId::to_string).collect();
    wanted.sort();
    wanted.dedup();
    let found: Vec<String> = tx.users(ctx.app_id(), &wanted).await?.into_iter().map(|user| user.id).collect();
    let non_existing = wanted.iter().filter(|id| !found.contains(id)).cloned().collect();
    Ok((muter, found, non_existing))
}

/// `POST /moderation/mute`: the acting user mutes the targets, for `timeout` minutes (1 to `MAX_MUTE_MINUTES`) or
/// until they unmute; muting again renews the mute. Targets that do not exist are reported, not muted.
pub async fn mute_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    targets: &[UserId],
    timeout_minutes: Option<i64>,
) -> CoreResult<Outcome<Mutes>> {
    let expires = match timeout_minutes {
        None | Some(0) => None,
        Some(minutes) if (1..=MAX_MUTE_MINUTES).contains(&minutes) => {
            Some(ctx.now + chrono::Duration::minutes(minutes))
        }
        Some(_) => return Err(CoreError::input(format!("timeout must be 1 to {MAX_MUTE_MINUTES} minutes"))),
    };
    let (muter, found, non_existing) = muter_and_targets(tx, ctx, targets).await?;
    let earlier = tx.user_mutes(ctx.app_id(), &muter.id, ctx.now).await?;
    let mut made = Vec::new();
    for target_id in found {
        let created_at =
            earlier.iter().find(|mute| mute.target_id == target_id).map_or(ctx.now, |mute| mute.created_at);
        let mute = UserMute { user_id: muter.id.clone(), target_id, created_at, updated_at: ctx.now, expires };
        tx.put_user_mute(ctx.app_id(), &mute).await?;
        made.push(mute);
    }
    finish(tx, ctx, muter, made, non_existing).await
}

/// `POST /moderation/unmute`: the acting user lifts their mutes of the targets (an absent mute is no error).
pub async fn unmute_users(tx: &mut dyn Tx, ctx: &Context, targets: &[UserId]) -> CoreResult<Outcome<Mutes>> {
    let (muter, found, non_existing) = muter_and_targets(tx, ctx, targets).await?;
    for target_id in &found {
        tx.delete_user_mute(ctx.app_id(), &muter.id, target_id).await?;
    }
    finish(tx, ctx, muter, Vec::new(), non_existing).await
}

async fn finish(
    tx: &mut dyn Tx,
    ctx: &Context,
    muter: User,
    made: Vec<UserMute>,
    non_existing: Vec<String>,
) -> CoreResult<Outcome<Mutes>> {
    let all = tx.user_mutes(ctx.app_id(), &muter.id, ctx.now).await?;
    let mut outcome = Outcome::new(Mutes { muter: muter.clone(), all, made, non_existing });
    outcome.users.insert(muter.id.clone(), muter);
    let targets: Vec<String> = outcome.value.all.iter().map(|mute| mute.target_id.clone()).collect();
    collect_users(tx, ctx.app_id(), &mut outcome.users, targets.iter().map(String::as_str)).await?;
    Ok(outcome)
}
