//! The event bus. Every delivery goes through it, even on one node, so there is no local shortcut that a
//! multi-node deployment would not exercise. [`LocalBus`] serves one node; a NATS bus is planned behind the
//! same trait.

use crate::registry::Audience;
use rill_protocol::event::Event;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// Per-recipient unread fields of `message.new`, `notification.message_new` and read events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnreadFields {
    pub total_unread_count: i64,
    pub unread_channels: i64,
}

/// One event for one audience.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub audience: Audience,
    pub event: Event,
    /// Unread fields per recipient user; users absent here get none.
    pub unread: HashMap<String, UnreadFields>,
    /// Attach unread totals, read at delivery, for these users (the channel's members) when they receive it.
    pub unread_of: Option<Vec<String>>,
    /// Fill `watcher_count` from the registry at delivery time for this channel.
    pub watcher_count_of: Option<String>,
    /// Find, at delivery, which of this node's connected users are members of this channel: they become
    /// `unread_of`, and the members of a `MembersNotWatching` audience. The operation never reads the member list.
    pub members_of: Option<MembersOf>,
}

/// A channel whose connected members a delivery needs, with its member count (to choose how to look).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersOf {
    pub cid: String,
    pub member_count: i64,
}

impl Delivery {
    /// An event for an audience, with nothing per recipient.
    pub fn new(audience: Audience, event: Event) -> Delivery {
        Delivery { audience, event, unread: HashMap::new(), unread_of: None, watcher_count_of: None, members_of: None }
    }
}

/// What one committed operation publishes: its deliveries, in order.
#[derive(Debug, Clone)]
pub struct Batch {
    pub app_id: i64,
    pub deliveries: Vec<Delivery>,
}

pub trait Bus: Send + Sync {
    fn publish(&self, batch: Batch);
    fn subscribe(&self) -> mpsc::UnboundedReceiver<Batch>;
}

/// The one-node bus: batches go to every subscriber of this process in publish order.
#[derive(Default)]
pub struct LocalBus {
    // A plain mutex: held only to clone or push a sender.
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Batch>>>,
}

impl Bus for LocalBus {
    fn publish(&self, batch: Batch) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        subscribers.retain(|subscriber| !subscriber.is_closed());
        if let Some((last, others)) = subscribers.split_last() {
            for subscriber in others {
                let _ = subscriber.send(batch.clone());
            }
            let _ = last.send(batch);
        }
    }

    fn subscribe(&self) -> mpsc::UnboundedReceiver<Batch> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(sender);
        receiver
    }
}
