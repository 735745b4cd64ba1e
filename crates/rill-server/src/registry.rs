//! The registry of live WebSocket connections on this node: who is connected, which channels each connection
//! watches, and whose presence it follows. It is the only state the server keeps between requests.
//!
//! Delivery never waits on a socket: frames go into each connection's bounded queue with `try_send`. A
//! connection whose queue is full is told to close (1011), so it reconnects and resyncs, and one slow client
//! can never stall a channel.

use axum::extract::ws::Utf8Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// A frame queued for a connection.
pub type Frame = Utf8Bytes;

#[derive(Debug)]
struct Connection {
    app_id: i64,
    user_id: String,
    sender: mpsc::Sender<Frame>,
    overflow: Arc<Notify>,
    watching: HashSet<String>,
    following: HashSet<String>,
}

#[derive(Debug, Default)]
struct WatchSet {
    connections: HashMap<String, String>,
    /// Watching connections per user, so `watcher_count` (distinct users) is O(1).
    users: HashMap<String, usize>,
}

/// A map keyed by app and a string (a user id or a cid), nested so that a lookup by `&str` allocates nothing:
/// fan-out looks up every member of a channel for every message.
#[derive(Debug)]
struct AppMap<V> {
    apps: HashMap<i64, HashMap<String, V>>,
}

impl<V> Default for AppMap<V> {
    fn default() -> AppMap<V> {
        AppMap { apps: HashMap::new() }
    }
}

impl<V: Default> AppMap<V> {
    fn get(&self, app_id: i64, key: &str) -> Option<&V> {
        self.apps.get(&app_id)?.get(key)
    }

    fn get_mut(&mut self, app_id: i64, key: &str) -> Option<&mut V> {
        self.apps.get_mut(&app_id)?.get_mut(key)
    }

    fn entry(&mut self, app_id: i64, key: &str) -> &mut V {
        let map = self.apps.entry(app_id).or_default();
        if !map.contains_key(key) {
            map.insert(key.to_owned(), V::default());
        }
        map.get_mut(key).expect("inserted above")
    }

    fn remove(&mut self, app_id: i64, key: &str) {
        if let Some(map) = self.apps.get_mut(&app_id) {
            map.remove(key);
            if map.is_empty() {
                self.apps.remove(&app_id);
            }
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    connections: HashMap<String, Connection>,
    by_user: AppMap<Vec<String>>,
    watchers: AppMap<WatchSet>,
    followers: AppMap<HashSet<String>>,
}

/// What closing a connection changed.
#[derive(Debug, Default, PartialEq)]
pub struct Closed {
    pub app_id: i64,
    pub user_id: String,
    /// It was the user's last connection on this node: they go offline.
    pub last_connection: bool,
    /// Channels the user no longer watches at all, with the new watcher count.
    pub stopped_watching: Vec<(String, i64)>,
}

/// Where a delivery goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Audience {
    /// Connections watching a channel.
    Watchers { cid: String },
    /// Connections of these users that do not watch the channel.
    MembersNotWatching { cid: String, members: Vec<String>, except: Option<String> },
    /// Every connection of one user.
    User { user_id: String },
    /// Connections following a user's presence, and the user's own.
    Presence { user_id: String },
    /// No connection: the event is for the app's webhooks only.
    Webhooks,
}

#[derive(Debug, Default)]
pub struct Registry {
    // A plain mutex: every critical section is a few map operations and non-blocking sends, never an await.
    inner: Mutex<Inner>,
}

/// The per-user connection cap.
pub const MAX_CONNECTIONS_PER_USER: usize = 50;

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a connection; returns whether it is the user's first (they come online), or `None` when the user
    /// already has the maximum number of connections.
    pub fn register(
        &self,
        connection_id: &str,
        app_id: i64,
        user_id: &str,
        sender: mpsc::Sender<Frame>,
        overflow: Arc<Notify>,
    ) -> Option<bool> {
        let mut inner = self.lock();
        let connections = inner.by_user.entry(app_id, user_id);
        if connections.len() >= MAX_CONNECTIONS_PER_USER {
            return None;
        }
        connections.push(connection_id.to_owned());
        let first = connections.len() == 1;
        inner.connections.insert(
            connection_id.to_owned(),
            Connection {
                app_id,
                user_id: user_id.to_owned(),
                sender,
                overflow,
                watching: HashSet::new(),
                following: HashSet::new(),
            },
        );
        Some(first)
    }

    /// Removes a connection and everything it subscribed to.
    pub fn unregister(&self, connection_id: &str) -> Option<Closed> {
        let mut inner = self.lock();
        let connection = inner.connections.remove(connection_id)?;
        let mut last_connection = false;
        if let Some(connections) = inner.by_user.get_mut(connection.app_id, &connection.user_id) {
            connections.retain(|id| id != connection_id);
            if connections.is_empty() {
                inner.by_user.remove(connection.app_id, &connection.user_id);
                last_connection = true;
            }
        }
        let mut stopped_watching = Vec::new();
        for cid in &connection.watching {
            if let Some((stopped, count)) =
                remove_watch(&mut inner, connection.app_id, cid, connection_id, &connection.user_id)
            {
                if stopped {
                    stopped_watching.push((cid.clone(), count));
                }
            }
        }
        for followed in &connection.following {
            if let Some(followers) = inner.followers.get_mut(connection.app_id, followed) {
                followers.remove(connection_id);
                if followers.is_empty() {
                    inner.followers.remove(connection.app_id, followed);
                }
            }
        }
        Some(Closed { app_id: connection.app_id, user_id: connection.user_id, last_connection, stopped_watching })
    }

    /// The owner of a connection, if it is live.
    pub fn owner(&self, connection_id: &str) -> Option<(i64, String)> {
        self.lock().connections.get(connection_id).map(|connection| (connection.app_id, connection.user_id.clone()))
    }

    /// Adds a connection to a channel's watchers; returns `Some((user_started_watching, watcher_count))`.
    pub fn watch(&self, connection_id: &str, cid: &str) -> Option<(bool, i64)> {
        let mut inner = self.lock();
        let connection = inner.connections.get_mut(connection_id)?;
        if !connection.watching.insert(cid.to_owned()) {
            let app_id = connection.app_id;
            let count = inner.watchers.get(app_id, cid).map_or(0, |set| set.users.len() as i64);
            return Some((false, count));
        }
        let (app_id, user_id) = (connection.app_id, connection.user_id.clone());
        let set = inner.watchers.entry(app_id, cid);
        set.connections.insert(connection_id.to_owned(), user_id.clone());
        let watching = set.users.entry(user_id).or_insert(0);
        *watching += 1;
        Some((*watching == 1, set.users.len() as i64))
    }

    /// Removes a connection from a channel's watchers; returns `Some((user_stopped_watching, watcher_count))`.
    pub fn unwatch(&self, connection_id: &str, cid: &str) -> Option<(bool, i64)> {
        let mut inner = self.lock();
        let connection = inner.connections.get_mut(connection_id)?;
        if !connection.watching.remove(cid) {
            return None;
        }
        let (app_id, user_id) = (connection.app_id, connection.user_id.clone());
        remove_watch(&mut inner, app_id, cid, connection_id, &user_id)
    }

    /// Makes a connection follow these users' presence.
    pub fn follow(&self, connection_id: &str, user_ids: &[String]) {
        let mut inner = self.lock();
        let Some(connection) = inner.connections.get_mut(connection_id) else { return };
        let app_id = connection.app_id;
        let new: Vec<String> =
            user_ids.iter().filter(|id| connection.following.insert((*id).clone())).cloned().collect();
        for user_id in new {
            inner.followers.entry(app_id, &user_id).insert(connection_id.to_owned());
        }
    }

    pub fn is_online(&self, app_id: i64, user_id: &str) -> bool {
        self.lock().by_user.get(app_id, user_id).is_some()
    }

    /// Distinct users watching a channel, and up to `limit` of their ids.
    pub fn watchers(&self, app_id: i64, cid: &str, limit: usize) -> (i64, Vec<String>) {
        let inner = self.lock();
        match inner.watchers.get(app_id, cid) {
            Some(set) => {
                let mut users: Vec<String> = set.users.keys().cloned().collect();
                users.sort_unstable();
                users.truncate(limit);
                (set.users.len() as i64, users)
            }
            None => (0, Vec::new()),
        }
    }

    pub fn watcher_count(&self, app_id: i64, cid: &str) -> i64 {
        self.lock().watchers.get(app_id, cid).map_or(0, |set| set.users.len() as i64)
    }

    /// How many users of an app have a connection on this node.
    pub fn connected_user_count(&self, app_id: i64) -> usize {
        self.lock().by_user.apps.get(&app_id).map_or(0, HashMap::len)
    }

    /// The users of an app with a connection on this node.
    pub fn connected_users(&self, app_id: i64) -> Vec<String> {
        self.lock().by_user.apps.get(&app_id).map(|users| users.keys().cloned().collect()).unwrap_or_default()
    }

    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }

    /// The users with at least one connection in the audience.
    pub fn recipient_users(&self, app_id: i64, audience: &Audience) -> Vec<String> {
        let inner = self.lock();
        let mut users: Vec<String> = targets(&inner, app_id, audience)
            .into_iter()
            .filter_map(|connection_id| {
                inner.connections.get(connection_id).map(|connection| connection.user_id.clone())
            })
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Queues a frame for each connection of the audience; `render` gives the frame for a recipient user, or
    /// `None` to skip them. Returns how many frames were queued.
    pub fn deliver(&self, app_id: i64, audience: &Audience, render: &mut dyn FnMut(&str) -> Option<Frame>) -> usize {
        let inner = self.lock();
        let targets = targets(&inner, app_id, audience);
        let mut delivered = 0;
        for connection_id in targets {
            let Some(connection) = inner.connections.get(connection_id) else { continue };
            let Some(frame) = render(&connection.user_id) else { continue };
            match connection.sender.try_send(frame) {
                Ok(()) => delivered += 1,
                Err(mpsc::error::TrySendError::Full(_)) => connection.overflow.notify_one(),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        delivered
    }
}

/// The connections an audience reaches.
fn targets<'a>(inner: &'a Inner, app_id: i64, audience: &Audience) -> Vec<&'a str> {
    let mut targets: Vec<&str> = Vec::new();
    match audience {
        Audience::Watchers { cid } => {
            if let Some(set) = inner.watchers.get(app_id, cid) {
                targets.extend(set.connections.keys().map(String::as_str));
            }
        }
        Audience::MembersNotWatching { cid, members, except } => {
            for member in members {
                if except.as_deref() == Some(member.as_str()) {
                    continue;
                }
                if let Some(connections) = inner.by_user.get(app_id, member) {
                    for connection_id in connections {
                        let watching = inner
                            .connections
                            .get(connection_id)
                            .is_some_and(|connection| connection.watching.contains(cid));
                        if !watching {
                            targets.push(connection_id);
                        }
                    }
                }
            }
        }
        Audience::User { user_id } => {
            if let Some(connections) = inner.by_user.get(app_id, user_id) {
                targets.extend(connections.iter().map(String::as_str));
            }
        }
        Audience::Presence { user_id } => {
            let mut seen: HashSet<&str> = HashSet::new();
            if let Some(followers) = inner.followers.get(app_id, user_id) {
                seen.extend(followers.iter().map(String::as_str));
            }
            if let Some(connections) = inner.by_user.get(app_id, user_id) {
                seen.extend(connections.iter().map(String::as_str));
            }
            targets.extend(seen);
        }
        Audience::Webhooks => {}
    }
    targets
}

fn remove_watch(inner: &mut Inner, app_id: i64, cid: &str, connection_id: &str, user_id: &str) -> Option<(bool, i64)> {
    let set = inner.watchers.get_mut(app_id, cid)?;
    set.connections.remove(connection_id);
    let mut stopped = false;
    if let Some(count) = set.users.get_mut(user_id) {
        *count -= 1;
        if *count == 0 {
            set.users.remove(user_id);
            stopped = true;
        }
    }
    let remaining = set.users.len() as i64;
    if set.connections.is_empty() {
        inner.watchers.remove(app_id, cid);
    }
    Some((stopped, remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(registry: &Registry, id: &str, user: &str) -> (mpsc::Receiver<Frame>, Arc<Notify>) {
        let (sender, receiver) = mpsc::channel(2);
        let overflow = Arc::new(Notify::new());
        registry.register(id, 1, user, sender, overflow.clone()).unwrap();
        (receiver, overflow)
    }

    #[test]
    fn watchers_count_distinct_users_and_clean_up() {
        let registry = Registry::default();
        let _a1 = connect(&registry, "a1", "alice");
        let _a2 = connect(&registry, "a2", "alice");
        let _b1 = connect(&registry, "b1", "bob");
        assert_eq!(registry.watch("a1", "team:x"), Some((true, 1)));
        assert_eq!(registry.watch("a2", "team:x"), Some((false, 1)));
        assert_eq!(registry.watch("b1", "team:x"), Some((true, 2)));
        assert_eq!(registry.unwatch("a1", "team:x"), Some((false, 2)));
        let closed = registry.unregister("a2").unwrap();
        assert_eq!(closed.stopped_watching, vec![("team:x".to_owned(), 1)]);
        assert!(!closed.last_connection, "a1 is still connected");
        assert!(registry.unregister("a1").unwrap().last_connection);
        assert!(!registry.is_online(1, "alice"));
        assert_eq!(registry.watcher_count(1, "team:x"), 1);
    }

    #[test]
    fn audiences_reach_exactly_their_connections() {
        let registry = Registry::default();
        let (mut alice, _) = connect(&registry, "a", "alice");
        let (mut bob, _) = connect(&registry, "b", "bob");
        let (mut carol, _) = connect(&registry, "c", "carol");
        registry.watch("a", "team:x");
        let frame = |text: &str| Some(Frame::from(text.to_owned()));
        registry.deliver(1, &Audience::Watchers { cid: "team:x".into() }, &mut |_| frame("w"));
        let members = vec!["alice".to_owned(), "bob".to_owned(), "carol".to_owned()];
        let audience = Audience::MembersNotWatching { cid: "team:x".into(), members, except: Some("carol".into()) };
        registry.deliver(1, &audience, &mut |_| frame("m"));
        assert_eq!(alice.try_recv().unwrap().as_str(), "w");
        assert!(alice.try_recv().is_err(), "a watcher gets no member notification");
        assert_eq!(bob.try_recv().unwrap().as_str(), "m");
        assert!(carol.try_recv().is_err(), "the excepted user gets nothing");
    }

    #[tokio::test]
    async fn a_full_queue_signals_overflow_instead_of_blocking() {
        let registry = Registry::default();
        let (_receiver, overflow) = connect(&registry, "a", "alice");
        let audience = Audience::User { user_id: "alice".into() };
        for _ in 0..2 {
            assert_eq!(registry.deliver(1, &audience, &mut |_| Some(Frame::from("x"))), 1);
        }
        assert_eq!(registry.deliver(1, &audience, &mut |_| Some(Frame::from("x"))), 0);
        // notify_one stored a permit, so waiting completes at once.
        let notified = tokio::time::timeout(std::time::Duration::from_millis(50), overflow.notified()).await;
        assert!(notified.is_ok(), "overflow was not signalled");
    }
}
