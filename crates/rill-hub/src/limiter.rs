//! Limits on failed sign-ins: per account (5 in 15 minutes) and per client address (20 in 15 minutes). A
//! success clears the account's count. The counts live in memory, so each node of a cluster counts its own
//! (an attacker spreading attempts over N nodes gets N times the budget); a restart forgets them.

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { per_account: 5, per_address: 20, window: Duration::minutes(15) }
    }
}

/// Above this many keys a table drops the ones whose failures have all left the window.
const PRUNE_ABOVE: usize = 10_000;

/// Failure times per key, oldest first.
#[derive(Debug)]
struct Failures<K>(HashMap<K, VecDeque<DateTime<Utc>>>);

impl<K> Default for Failures<K> {
    fn default() -> Failures<K> {
        Failures(HashMap::new())
    }
}

impl<K: Hash + Eq + Clone> Failures<K> {
    /// How long until `key` may try again, if it is at its limit.
    fn wait(&mut self, key: &K, limit: usize, window: Duration, now: DateTime<Utc>) -> Option<Duration> {
        let times = self.0.get_mut(key)?;
        while times.front().is_some_and(|at| *at + window <= now) {
            times.pop_front();
        }
        let oldest = *times.front()?;
        (times.len() >= limit).then(|| oldest + window - now)
    }

    fn record(&mut self, key: &K, window: Duration, now: DateTime<Utc>) {
        if self.0.len() > PRUNE_ABOVE {
            self.0.retain(|_, times| times.back().is_some_and(|at| *at + window > now));
        }
        self.0.entry(key.clone()).or_default().push_back(now);
    }
}

#[derive(Debug, Default)]
struct Tables {
    accounts: Failures<String>,
    addresses: Failures<IpAddr>,
}

/// The sign-in limits of one node.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    limits: Limits,
    // A plain lock: held for a few map operations, never across an await.
    tables: Mutex<Tables>,
}

/// An IPv6 address counts by its /64, which one client usually holds whole.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
    }
}

impl SignInLimiter {
    pub fn new(limits: Limits) -> SignInLimiter {
        SignInLimiter { limits, tables: Mutex::default() }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Seconds to wait before another attempt for this account from this address, if either is at its limit.
    pub fn retry_after(&self, account: &str, address: IpAddr, now: DateTime<Utc>) -> Option<u64> {
        let Limits { per_account, per_address, window } = self.limits;
        let mut tables = self.tables();
        let account_wait = tables.accounts.wait(&account.to_owned(), per_account, window, now);
        let address_wait = tables.addresses.wait(&address_key(address), per_address, window, now);
        let wait = account_wait.into_iter().chain(address_wait).max()?;
        Some(u64::try_from(wait.num_seconds()).unwrap_or(0) + 1)
    }

    pub fn record_failure(&self, account: &str, address: IpAddr, now: DateTime<Utc>) {
        let window = self.limits.window;
        let mut tables = self.tables();
        tables.accounts.record(&account.to_owned(), window, now);
        tables.addresses.record(&address_key(address), window, now);
    }

    /// After a successful sign-in: the account starts again from nothing (the address keeps its count).
    pub fn record_success(&self, account: &str) {
        self.tables().accounts.0.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_held_after_five_failures_until_the_oldest_leaves_the_window() {
        let limiter = SignInLimiter::new(Limits::default());
        let (address, start) = ("127.0.0.1".parse().unwrap(), Utc::now());
        for minute in 0..5 {
            assert_eq!(limiter.retry_after("a@x", address, start + Duration::minutes(minute)), None);
            limiter.record_failure("a@x", address, start + Duration::minutes(minute));
        }
        let wait = limiter.retry_after("a@x", address, start + Duration::minutes(5)).unwrap();
        assert_eq!(wait, 10 * 60 + 1);
        assert_eq!(limiter.retry_after("b@x", address, start + Duration::minutes(5)), None, "another account");
        assert_eq!(limiter.retry_after("a@x", address, start + Duration::minutes(15)), None, "the oldest left");
        limiter.record_success("a@x");
        assert_eq!(limiter.retry_after("a@x", address, start + Duration::minutes(6)), None, "cleared");
    }

    #[test]
    fn an_address_is_held_after_twenty_failures_and_ipv6_counts_by_its_64() {
        let limiter = SignInLimiter::new(Limits::default());
        let now = Utc::now();
        for index in 0..20 {
            let address: IpAddr = format!("2001:db8::{index:x}").parse().unwrap();
            limiter.record_failure(&format!("user{index}@x"), address, now);
        }
        assert!(limiter.retry_after("new@x", "2001:db8::ffff".parse().unwrap(), now).is_some());
        assert!(limiter.retry_after("new@x", "2001:db9::1".parse().unwrap(), now).is_none());
    }
}
