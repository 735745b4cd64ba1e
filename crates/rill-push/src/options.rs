//! What both clients are configured with: the clock that ages cached credentials, the request timeout, and an
//! extra root CA for test and staging servers.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The time source for JWT claims and credential expiry, injectable so tests can move time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; share it (in an `Arc`) between a client and a fake server.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned clock still holds a valid instant.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// Settings shared by [`crate::fcm::FcmClient`] and [`crate::apns::ApnsClient`].
#[derive(Clone)]
pub struct ClientOptions {
    pub clock: Arc<dyn Clock>,
    /// Bounds each HTTP request as a whole (connect, send, response).
    pub timeout: Duration,
    /// A PEM file of extra root CAs trusted besides the public web roots.
    pub ca_file: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { clock: Arc::new(SystemClock), timeout: Duration::from_secs(10), ca_file: None }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions").field("timeout", &self.timeout).field("ca_file", &self.ca_file).finish()
    }
}
