//! The background purge of the messages of deleted and hard-truncated channels, and of deleted channels'
//! memberships. The request that deletes or truncates hides the messages at once and records `purge_before`; this
//! task removes them in batches of `ops::channels::PURGE_BATCH` (memberships `PURGE_MEMBERS_BATCH` at a time,
//! once their grace is over), one transaction each, so that every other write waits at most one batch behind it.
//! At start it resumes every purge a previous run left unfinished.

use rill_core::ops::channels::PurgeStep;
use rill_core::store::Store;
use std::time::Duration;
use tokio::sync::mpsc;

/// One channel's messages to remove: those created up to `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purge {
    pub app_id: i64,
    pub cid: String,
    pub before: chrono::DateTime<chrono::Utc>,
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
    match store.read((), |tx, ()| tx.pending_purges()).await {
        Ok(pending) => {
            for (app_id, cid, before) in pending {
                purge(&store, &Purge { app_id, cid, before }).await;
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

/// Removes one channel's messages, batch by batch. A failing batch is tried again after a pause, a few times;
/// what is left then waits for the next start.
async fn purge(store: &Store, purge: &Purge) {
    let mut batches = 0_u64;
    let mut failures = 0;
    loop {
        let now = store.now();
        let step = store
            .write(purge.clone(), move |tx, purge| {
                Box::pin(rill_core::ops::channels::purge_channel(tx, purge.app_id, &purge.cid, purge.before, now))
            })
            .await;
        match step {
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
                tracing::info!(app_id = purge.app_id, cid = %purge.cid, batches = batches + 1, "purged a channel's messages");
                return;
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(app_id = purge.app_id, cid = %purge.cid, error = %error.detail, "a purge batch failed");
                if failures >= 5 {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
