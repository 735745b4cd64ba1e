//! Rate limits: fixed one-minute windows with Stream's default limits, counted only under verified identities.
//!
//! Three kinds of window: an app's (per operation and platform), a user's within an app (per operation and
//! platform, user tokens only), and an address's, for requests that carry no valid credentials. Keys hold the
//! verified app id and user id, never text a client chose without proof, so forged tokens cannot spend someone
//! else's window. Memory is bounded: every window of a minute is dropped at once when the next minute starts,
//! and a shard that holds its share of [`MAX_RATE_LIMIT_ENTRIES`] sends new keys to one shared overflow window.

use rill_core::model::RateLimitSetting;
use rill_protocol::limits::MAX_RATE_LIMIT_ENTRIES;
use std::collections::HashMap;
use std::net::IpAddr;
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
        | "GetManyMessages"
        | "GetPinnedMessages"
        | "GetReplies"
        | "GetReactions"
        | "QueryUsers"
        | "StopWatchingChannel"
        | "UpdateMessage"
        | "UpdateMessagePartial" => 1_000,
        "Ban"
        | "Unban"
        | "Flag"
        | "Unflag"
        | "MuteUser"
        | "UnmuteUser"
        | "MuteChannel"
        | "UnmuteChannel"
        | "HideChannel"
        | "ShowChannel"
        | "Search"
        | "UpdateChannel"
        | "UpdateChannelPartial"
        | "UpdateUsers"
        | "UpdateUsersPartial" => 300,
        "UpdateApp" | "GetChannelType" | "ListChannelTypes" | "DeleteChannel" | "TruncateChannel" | "DeleteUser"
        | "DeactivateUser" | "ReactivateUser" | "GetRateLimits" | "GetUsage" => 60,
        _ => 1_000,
    }
}

/// An app's limit for an operation under its setting; `None`: unlimited.
fn app_limit(setting: RateLimitSetting, operation: &str) -> Option<u32> {
    match setting {
        RateLimitSetting::Off => None,
        RateLimitSetting::PerMinute(limit) => Some(limit),
        RateLimitSetting::StreamDefaults => Some(default_limit(operation)),
    }
}

/// The minute a time falls in, and when its window ends (Unix seconds): windows are aligned to the minute.
fn window_of(now_seconds: i64) -> (i64, i64) {
    let minute = now_seconds.div_euclid(60);
    (minute, (minute + 1) * 60)
}

/// What an unlimited window reports.
fn unlimited(reset: i64) -> Verdict {
    Verdict { limit: u64::from(u32::MAX), remaining: u64::from(u32::MAX), reset, allowed: true }
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
    pub const ALL: [Platform; 5] =
        [Platform::ServerSide, Platform::Android, Platform::Ios, Platform::Web, Platform::Unity];

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

/// The address a window of unauthenticated requests belongs to: IPv4 addresses whole, IPv6 by their /64, since
/// one host usually owns a whole /64 and could otherwise hop between addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKey {
    V4(u32),
    V6Prefix(u64),
    /// The peer address is not known (an in-process test calling the router directly).
    Unknown,
}

impl AddressKey {
    pub fn of(address: Option<IpAddr>) -> AddressKey {
        match address {
            None => AddressKey::Unknown,
            Some(IpAddr::V4(v4)) => AddressKey::V4(u32::from(v4)),
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey::V4(u32::from(v4)),
                None => AddressKey::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    App {
        app_id: i64,
        operation: &'static str,
        platform: Platform,
    },
    User {
        app_id: i64,
        operation: &'static str,
        platform: Platform,
        user_id: String,
    },
    Address(AddressKey),
    /// Where new keys go once a shard is full.
    Overflow,
}

/// Stream's per-user limit: each user, per endpoint and platform, per minute (server tokens are exempt).
pub const PER_USER_LIMIT: u32 = 60;

const SHARDS: usize = 16;
const ENTRIES_PER_SHARD: usize = MAX_RATE_LIMIT_ENTRIES / SHARDS;

/// The counts of one shard for the current minute.
#[derive(Default)]
struct Shard {
    minute: i64,
    counts: HashMap<Key, u64>,
}

/// Counting state, sharded so that concurrent requests rarely contend on one lock.
pub struct RateLimiter {
    shards: Vec<Mutex<Shard>>,
    entries_per_shard: usize,
}

impl Default for RateLimiter {
    fn default() -> RateLimiter {
        RateLimiter::with_capacity(ENTRIES_PER_SHARD)
    }
}

impl RateLimiter {
    /// A limiter that keeps at most `entries_per_shard` windows in each of its shards.
    pub fn with_capacity(entries_per_shard: usize) -> RateLimiter {
        RateLimiter { shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(), entries_per_shard }
    }

    /// Counts one request of a verified app against its window for the operation and platform.
    pub fn check_app(
        &self,
        app_id: i64,
        operation: &'static str,
        platform: Platform,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        self.count(Key::App { app_id, operation, platform }, app_limit(setting, operation), now_seconds)
    }

    /// Counts one request of a verified user token against that user's own window (60 per minute with Stream's
    /// defaults, the app's limit when it set one).
    pub fn check_user(
        &self,
        app_id: i64,
        operation: &'static str,
        platform: Platform,
        user_id: &str,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        let limit = match setting {
            RateLimitSetting::Off => None,
            RateLimitSetting::PerMinute(limit) => Some(limit),
            RateLimitSetting::StreamDefaults => Some(PER_USER_LIMIT),
        };
        let key = Key::User { app_id, operation, platform, user_id: user_id.to_owned() };
        self.count(key, limit, now_seconds)
    }

    /// Counts one request without valid credentials (or to a route that needs none) against its address, which
    /// may make `per_minute` of them.
    pub fn check_address(&self, address: AddressKey, per_minute: u32, now_seconds: i64) -> Verdict {
        self.count(Key::Address(address), Some(per_minute), now_seconds)
    }

    /// An app's window for the operation and platform as it stands, without counting a request: what `GET
    /// /rate_limits` shows.
    pub fn peek_app(
        &self,
        app_id: i64,
        operation: &'static str,
        platform: Platform,
        setting: RateLimitSetting,
        now_seconds: i64,
    ) -> Verdict {
        let (minute, reset) = window_of(now_seconds);
        let Some(limit) = app_limit(setting, operation).map(u64::from) else {
            return unlimited(reset);
        };
        let key = Key::App { app_id, operation, platform };
        let shard = self.shard_of(&key);
        let used = if shard.minute == minute { shard.counts.get(&key).copied().unwrap_or(0) } else { 0 };
        Verdict { limit, remaining: limit.saturating_sub(used), reset, allowed: used < limit }
    }

    /// How many windows are kept, over all shards.
    pub fn entries(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).counts.len()).sum()
    }

    /// The shard that keeps `key`'s window, locked: a plain mutex, held for one map access, never across an await.
    fn shard_of(&self, key: &Key) -> std::sync::MutexGuard<'_, Shard> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let index = (hasher.finish() as usize) % SHARDS;
        self.shards[index].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn count(&self, key: Key, limit: Option<u32>, now_seconds: i64) -> Verdict {
        let (minute, reset) = window_of(now_seconds);
        let Some(limit) = limit.map(u64::from) else {
            return unlimited(reset);
        };
        let mut shard = self.shard_of(&key);
        if shard.minute != minute {
            // Windows are aligned to the minute, so every window of the shard ends together: dropping them all
            // at once costs nothing per request.
            shard.counts = HashMap::new();
            shard.minute = minute;
        }
        let key = if shard.counts.len() >= self.entries_per_shard && !shard.counts.contains_key(&key) {
            Key::Overflow
        } else {
            key
        };
        let count = shard.counts.entry(key).or_insert(0);
        let allowed = *count < limit;
        if allowed {
            *count += 1;
        }
        Verdict { limit, remaining: limit.saturating_sub(*count), reset, allowed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_protocol::limits::UNAUTHENTICATED_PER_MINUTE;

    #[test]
    fn limits_per_window_and_app() {
        let limiter = RateLimiter::default();
        let setting = RateLimitSetting::PerMinute(2);
        let check = |app_id: i64, at: i64| limiter.check_app(app_id, "SendMessage", Platform::ServerSide, setting, at);
        assert_eq!(check(1, 60), Verdict { limit: 2, remaining: 1, reset: 120, allowed: true });
        assert!(check(1, 61).allowed);
        assert_eq!(check(1, 119), Verdict { limit: 2, remaining: 0, reset: 120, allowed: false });
        assert!(check(2, 119).allowed, "another app has its own window");
        assert!(check(1, 120).allowed, "a new window starts fresh");
        assert!(limiter.check_app(1, "GetApp", Platform::ServerSide, RateLimitSetting::Off, 0).allowed);
        assert_eq!(default_limit("SendMessage"), 1000);
    }

    #[test]
    fn users_have_their_own_windows() {
        let limiter = RateLimiter::default();
        let defaults = RateLimitSetting::StreamDefaults;
        for _ in 0..PER_USER_LIMIT {
            assert!(limiter.check_user(1, "SendMessage", Platform::Web, "alice", defaults, 60).allowed);
        }
        let refused = limiter.check_user(1, "SendMessage", Platform::Web, "alice", defaults, 61);
        assert_eq!((refused.allowed, refused.limit, refused.remaining), (false, 60, 0));
        assert!(limiter.check_user(1, "SendMessage", Platform::Web, "bob", defaults, 61).allowed, "bob has his own");
        assert!(limiter.check_user(1, "GetMessage", Platform::Web, "alice", defaults, 61).allowed, "per endpoint");
        assert!(limiter.check_user(2, "SendMessage", Platform::Web, "alice", defaults, 61).allowed, "per app");
        assert!(limiter.check_user(1, "SendMessage", Platform::Web, "alice", RateLimitSetting::Off, 61).allowed);
    }

    #[test]
    fn addresses_share_a_small_window_and_ipv6_counts_by_prefix() {
        let limiter = RateLimiter::default();
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_prefix: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        for _ in 0..UNAUTHENTICATED_PER_MINUTE {
            assert!(limiter.check_address(AddressKey::of(Some(one)), UNAUTHENTICATED_PER_MINUTE, 0).allowed);
        }
        assert!(
            !limiter.check_address(AddressKey::of(Some(same_prefix)), UNAUTHENTICATED_PER_MINUTE, 1).allowed,
            "the same /64"
        );
        assert!(limiter.check_address(AddressKey::of(Some(other)), UNAUTHENTICATED_PER_MINUTE, 1).allowed);
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(AddressKey::of(Some(mapped)), AddressKey::of(Some("10.0.0.1".parse().unwrap())));
    }

    #[test]
    fn memory_is_bounded_whatever_keys_arrive() {
        let limiter = RateLimiter::with_capacity(10);
        for address in 0..10_000u32 {
            limiter.check_address(AddressKey::V4(address), UNAUTHENTICATED_PER_MINUTE, 0);
        }
        assert!(limiter.entries() <= SHARDS * 10 + SHARDS, "{} entries", limiter.entries());
        // A shard's next minute starts empty, so a key refused for overflow is counted afresh.
        let fresh = limiter.check_address(AddressKey::V4(1), UNAUTHENTICATED_PER_MINUTE, 60);
        assert_eq!(fresh.remaining, u64::from(UNAUTHENTICATED_PER_MINUTE) - 1);
    }
}
