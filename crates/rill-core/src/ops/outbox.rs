//! What the outbox's deliveries read when they are made (not when the change was committed): the members a
//! webhook body lists with their unread counts, as they stand at delivery.

use crate::error::CoreResult;
use crate::model::{Channel, Member, UnreadTotals};
use crate::ops::{collect_users, Outcome};
use crate::store::selection::{members_of, Condition, Page};
use crate::store::Tx;
use chrono::{DateTime, Utc};

/// A channel's first `limit` members (in the order they joined), each with their unread totals (muted
/// channels left out, as everywhere), and the channel for their own unread count in it; `None` when the channel
/// is gone. Cost: one page of members, and the unread totals of those users.
pub async fn webhook_members(
    tx: &mut dyn Tx,
    app_id: i64,
    cid: &str,
    limit: usize,
    now: DateTime<Utc>,
) -> CoreResult<Outcome<Option<(Channel, Vec<(Member, UnreadTotals)>)>>> {
    let Some(channel) = tx.channel(app_id, cid).await? else {
        return Ok(Outcome::new(None));
    };
    let members = tx.find_members(app_id, &members_of(cid, Condition::True, Page { offset: 0, limit })).await?;
    let ids: Vec<String> = members.iter().map(|member| member.user_id.clone()).collect();
    let totals = tx.unread_totals(app_id, &ids, now).await?;
    let mut outcome = Outcome::new(None);
    collect_users(tx, app_id, &mut outcome.users, ids.iter().map(String::as_str)).await?;
    let listed = members
        .into_iter()
        .map(|member| {
            let counts = totals.get(&member.user_id).copied().unwrap_or_default();
            (member, counts)
        })
        .collect();
    outcome.value = Some((channel, listed));
    Ok(outcome)
}
