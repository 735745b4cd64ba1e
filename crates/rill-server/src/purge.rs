//! The background purge of the messages of deleted and hard-truncated channels, and of deleted channels'
//! memberships. The request that deletes or truncates hides the messages at once and records `purge_before`; this
//! task removes them in batches of `ops::channels::PURGE_BATCH` (memberships `PURGE_MEMBERS_BATCH` at a time,
//! once their grace is over), one transaction each, so that every other write waits at most one batch behind it.
//! A deleted user's messages go the same way (`ops::users::USER_PURGE_BATCH` at a time). At start it resumes
//! every purge a previous run left unfinished.

use rill_core::ops::channels::PurgeStep;
use rill_core::store::Store;
use std::time::Duration;
use tokio::sync::mpsc;

/// What to purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purge {
    /// A deleted or hard-truncated channel's messages created up to `before` (and a deleted one's memberships).
    Channel { app_id: i64, cid: String, before: chrono::DateTime<chrono::Utc> },
    /// A deleted user's messages created up to `before`: marked deleted, or removed when `hard`.
    UserMessages { app_id: i64, user_id: String, hard: bool, before: chrono::DateTime<chrono::Utc> },
}

/// Where purges are sent; cloning it is cheap.
#[derive(Debug, Clone)]
pub struct Purger {
    sender: mpsc::UnboundedSender<Purge>,
}

impl Purger {
    /// Starts the purge task over `store`; it resumes the unfinished purges first, and stops when every
    /// `Purger` is dropped.
    pub fn start(store: Store) -> Purger {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(store, receiver));
        Purger { sender }
    }

    /// Queues a purge that a committed operation scheduled. The queue holds a few entries at most: deletes and
    /// truncations are rate-limited to a few per minute.
    pub fn schedule(&self, purge: Purge) {
        // The task is gone only at shutdown; the next start resumes the purge from the store.
        let _ = self.sender.send(purge);
    }
}

async fn run(store: Store, mut queue: mpsc::UnboundedReceiver<Purge>) {
    let pending = store
        .read((), |tx, ()| {
            Box::pin(async move {
                let channels = tx.pending_purges().await?;
                let users = tx.pending_user_purges().await?;
                Ok((channels, users))
            })
        })
        .await;
    match pending {
        Ok((channels, users)) => {
            for (app_id, cid, before) in channels {
                purge(&store, &Purge::Channel { app_id, cid, before }).await;
            }
            for rill_core::store::UserPurge { app_id, user_id, hard, before } in users {
                purge(&store, &Purge::UserMessages { app_id, user_id, hard, before }).await;
            }
        }
        Err(error) => {
            tracing::error!(error = %error.detail, "cannot list unfinished purges; they resume at the next start")
        }
    }
    while let Some(next) = queue.recv().await {
        purge(&store, &next).await;
    }
}

/// One batch of a purge, in its own transaction.
async fn step(
    store: &Store,
    purge: &Purge,
    now: chrono::DateTime<chrono::Utc>,
) -> rill_core::error::CoreResult<PurgeStep> {
    store
        .write(purge.clone(), move |tx, purge| match purge {
            Purge::Channel { app_id, cid, before } => {
                Box::pin(rill_core::ops::channels::purge_channel(tx, *app_id, cid, *before, now))
            }
            Purge::UserMessages { app_id, user_id, hard, before } => {
                Box::pin(rill_core::ops::users::purge_user_messages(tx, *app_id, user_id, *hard, *before, now))
            }
        })
        .await
}

/// Runs one purge, batch by batch. A failing batch is tried again after a pause, a few times; what is left then
/// waits for the next start.
async fn purge(store: &Store, purge: &Purge) {
    let mut batches = 0_u64;
    let mut failures = 0;
    loop {
        let now = store.now();
        match step(store, purge, now).await {
            Ok(PurgeStep::More) => {
                batches += 1;
                // Let the writes that queued behind this batch go first.
                tokio::task::yield_now().await;
            }
            Ok(PurgeStep::WaitUntil(at)) => {
                // Nothing else runs meanwhile: the grace is short, and purges come a few per minute at most.
                tokio::time::sleep((at - now).to_std().unwrap_or_default()).await;
            }
            Ok(PurgeStep::Done) => {
                tracing::info!(?purge, batches = batches + 1, "purged");
                return;
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(?purge, error = %error.detail, "a purge batch failed");
                if failures >= 5 {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
