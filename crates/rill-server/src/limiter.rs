//! Rate limits: fixed one-minute windows per app × operation × platform, with Stream's default limits.
//!
//! The window key uses the API key text, so even requests with an unknown key are counted (and answered with
//! headers), and nothing of one app's traffic affects another's.

use rill_core::model::RateLimitSetting;
use std::collections::HashMap;
use std::sync::Mutex;

/// Stream's default per-minute limit of an operation (docs: rate_limits).
pub fn default_limit(operation: &str) -> u32 {
    match operation {
        "Connect"
        | "GetOrCreateChannel"
        | "GetOrCreateDistinctChannel"
        | "GetApp"
        | "MarkRead"
        | "MarkChannelsRead"
        | "QueryChannels"
        | "SendEvent" => 10_000,
        "SendMessage"
        | "SendReaction"
        | "DeleteMessage"
        | "DeleteReaction"
        | "GetMessage"
        | "GetReplies"
        | "GetReactions"
        | "QueryUsers"
        | "StopWatchingChannel"
        | "UpdateMessage"
        | "UpdateMessagePartial" => 1_000,
        "HideChannel"
        | "ShowChannel"
        | "Search"
        | "UpdateChannel"
        | "UpdateChannelPartial"
        | "UpdateUsers"
        | "UpdateUsersPartial" => 300,
        "UpdateApp" | "GetChannelType" | "ListChannelTypes" | "DeleteChannel" | "TruncateChannel" | "DeleteUser"
        | "DeactivateUser" | "ReactivateUser" | "GetRateLimits" => 60,
        _ => 1_000,
    }
}

/// The platform a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    ServerSide,
    Web,
    Android,
    Ios,
    Unity,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::ServerSide => "server_side",
            Platform::Web => "web",
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Unity => "unity",
        }
    }

    /// The client platform named by `X-Stream-Client` (`stream-chat-android-...`, ...); browsers by default.
    pub fn from_client_header(header: Option<&str>) -> Platform {
        let header = header.unwrap_or_default().to_ascii_lowercase();
        if header.contains("android") {
            Platform::Android
        } else if header.contains("ios") || header.contains("swift") {
            Platform::Ios
        } else if header.contains("unity") {
            Platform::Unity
        } else {
            Platform::Web
        }
    }
}

/// What the limiter decided, for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds when the window ends.
    pub reset: i64,
    pub allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    api_key: String,
    operation: &'static str,
    platform: Platform,
    /// Set for the per-user window of a user token's requests.
    user_id: Option<String>,
}

/// Stream's per-user limit: each user, per endpoint and platform, per minute (server tokens are exempt).
pub const PER_USER_LIMIT: u32 = 60;

/// Counting state, sharded so that concurrent requests rarely contend on one lock.
pub struct RateLimiter {
    shards: Vec<Mutex<HashMap<Key, (i64, u64)>>>,
}

const SHARDS: usize = 16;

impl Default for RateLimiter {
    fn default() -> RateLimiter {
        RateLimiter { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect() }
    }
}

impl RateLimiter {
    /// Counts one request at `now_seconds` against the app's window for the operation and platform.
    pub fn check(
        &self,
        api_key: &str,
        operation: &'static str,
        platform: Platform,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        self.check_window(api_key, operation, platform, None, setting, now_seconds)
    }

    /// Counts one request of a user token against that user's own window (60 per minute with Stream's defaults,
    /// the app's limit when it set one).
    pub fn check_user(
        &self,
        api_key: &str,
        operation: &'static str,
        platform: Platform,
        user_id: &str,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        self.check_window(api_key, operation, platform, Some(user_id), setting, now_seconds)
    }

    fn check_window(
        &self,
        api_key: &str,
        operation: &'static str,
        platform: Platform,
        user_id: Option<&str>,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        let limit = match (setting, user_id) {
            (RateLimitSetting::Off, _) => None,
            (RateLimitSetting::PerMinute(limit), _) => Some(limit),
            (RateLimitSetting::StreamDefaults, None) => Some(default_limit(operation)),
            (RateLimitSetting::StreamDefaults, Some(_)) => Some(PER_USER_LIMIT),
        };
        let key = Key { api_key: api_key.to_owned(), operation, platform, user_id: user_id.map(str::to_owned) };
        self.count(key, limit, now_seconds)
    }

    fn count(&self, key: Key, limit: Option<u32>, now_seconds: i64) -> Verdict {
        let window = now_seconds.div_euclid(60);
        let reset = (window + 1) * 60;
        let Some(limit) = limit.map(u64::from) else {
            return Verdict { limit: u64::from(u32::MAX), remaining: u64::from(u32::MAX), reset, allowed: true };
        };
        let shard = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut hasher);
            (hasher.finish() as usize) % SHARDS
        };
        // A plain mutex: held for one map update, never across an await.
        let mut counts = self.shards[shard].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.len() > 100_000 {
            counts.retain(|_, (counted_window, _)| *counted_window == window);
        }
        let entry = counts.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        Verdict { limit, remaining: limit.saturating_sub(entry.1), reset, allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_window_and_key() {
        let limiter = RateLimiter::default();
        let setting = RateLimitSetting::PerMinute(2);
        let check = |key: &str, at: i64| limiter.check(key, "SendMessage", Platform::ServerSide, setting, at);
        assert_eq!(check("a", 60), Verdict { limit: 2, remaining: 1, reset: 120, allowed: true });
        assert!(check("a", 61).allowed);
        assert_eq!(check("a", 119), Verdict { limit: 2, remaining: 0, reset: 120, allowed: false });
        assert!(check("b", 119).allowed, "another app has its own window");
        assert!(check("a", 120).allowed, "a new window starts fresh");
        assert!(limiter.check("a", "GetApp", Platform::ServerSide, RateLimitSetting::Off, 0).allowed);
        assert_eq!(default_limit("SendMessage"), 1000);
    }

    #[test]
    fn users_have_their_own_windows() {
        let limiter = RateLimiter::default();
        let defaults = RateLimitSetting::StreamDefaults;
        for _ in 0..PER_USER_LIMIT {
            assert!(limiter.check_user("a", "SendMessage", Platform::Web, "alice", defaults, 60).allowed);
        }
        let refused = limiter.check_user("a", "SendMessage", Platform::Web, "alice", defaults, 61);
        assert_eq!((refused.allowed, refused.limit, refused.remaining), (false, 60, 0));
        assert!(limiter.check_user("a", "SendMessage", Platform::Web, "bob", defaults, 61).allowed, "bob has his own");
        assert!(limiter.check_user("a", "GetMessage", Platform::Web, "alice", defaults, 61).allowed, "per endpoint");
        assert!(limiter.check_user("a", "SendMessage", Platform::Web, "alice", RateLimitSetting::Off, 61).allowed);
    }
}
