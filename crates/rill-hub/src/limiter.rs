//! Limits on failed sign-ins: per account (5 in 15 minutes) and per client address (20 in 15 minutes),
//! counted in the Hub's store, so every node of a cluster shares them and a restart keeps them. Each attempt is
//! counted before its password is checked, in one atomic upsert per key, so parallel attempts cannot overrun a
//! limit; a success takes its attempt back (the account starts again from nothing, the address loses one), so
//! an office behind one address is not held by its own sign-ins.

use crate::error::HubResult;
use crate::store::HubStore;
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;

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

/// Counts older than this are dropped by [`SignInLimiter::prune`] (far longer than any window).
const KEEP: Duration = Duration::days(1);

/// The sign-in limits, over the Hub's store.
#[derive(Clone)]
pub struct SignInLimiter {
    limits: Limits,
    store: HubStore,
}

/// An attempt that was let through: report its outcome with [`SignInLimiter::succeeded`] when it succeeds.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: String,
}

/// An IPv6 address counts by its /64, which one client usually holds whole.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(_) => format!("address:{address}"),
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            format!("address:{}", std::net::Ipv6Addr::from(segments))
        }
    }
}

fn account_key(account: &str) -> String {
    format!("account:{account}")
}

impl SignInLimiter {
    pub fn new(limits: Limits, store: HubStore) -> SignInLimiter {
        SignInLimiter { limits, store }
    }

    /// Counts an attempt for `account` from `address`: `Ok(Err(seconds))` to wait when either is past its
    /// limit, else the attempt.
    pub async fn attempt(&self, account: &str, address: IpAddr, now: DateTime<Utc>) -> HubResult<Result<Attempt, u64>> {
        let attempt = Attempt { account: account_key(account), address: address_key(address) };
        let keys = vec![attempt.account.clone(), attempt.address.clone()];
        let counts = self.store.count_sign_in_attempt(keys, self.limits.window, now).await?;
        let limits = [self.limits.per_account, self.limits.per_address];
        let wait = counts
            .iter()
            .zip(limits)
            .filter(|((attempts, _), limit)| usize::try_from(*attempts).unwrap_or(usize::MAX) > *limit)
            .map(|((_, window_start), _)| *window_start + self.limits.window - now)
            .max();
        Ok(match wait {
            Some(wait) => Err(u64::try_from(wait.num_seconds()).unwrap_or(0) + 1),
            None => Ok(attempt),
        })
    }

    /// The attempt succeeded: the account starts again, the address gets its attempt back.
    pub async fn succeeded(&self, attempt: Attempt) -> HubResult<()> {
        self.store.forgive_sign_in(attempt.account, Some(attempt.address)).await
    }

    /// A one-time link signed `account` in: its failed attempts are forgotten.
    pub async fn forgive(&self, account: &str) -> HubResult<()> {
        self.store.forgive_sign_in(account_key(account), None).await
    }

    /// Drops counts from long past windows (run now and then).
    pub async fn prune(&self, now: DateTime<Utc>) -> HubResult<u64> {
        self.store.prune_sign_in_limits(now - KEEP).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{fresh_store, on_both_backends, TestBackend};

    on_both_backends!(
        an_account_is_held_after_five_failures_until_its_window_ends,
        an_address_is_held_after_twenty_failures_and_ipv6_counts_by_its_64,
        parallel_attempts_cannot_overrun_the_limit,
        successes_from_one_address_do_not_hold_it,
    );

    async fn limiter(backend: TestBackend) -> (tempfile::TempDir, SignInLimiter) {
        let (directory, store) = fresh_store(backend).await;
        (directory, SignInLimiter::new(Limits::default(), store))
    }

    async fn an_account_is_held_after_five_failures_until_its_window_ends(backend: TestBackend) {
        let (_directory, limiter) = limiter(backend).await;
        // Whole microseconds, as the store keeps times.
        let start = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap();
        let address = "127.0.0.1".parse().unwrap();
        for minute in 0..5 {
            assert!(limiter.attempt("a@x", address, start + Duration::minutes(minute)).await.unwrap().is_ok());
        }
        let wait = limiter.attempt("a@x", address, start + Duration::minutes(5)).await.unwrap().unwrap_err();
        assert_eq!(wait, 10 * 60 + 1, "until 15 minutes after the first attempt");
        assert!(
            limiter.attempt("b@x", address, start + Duration::minutes(5)).await.unwrap().is_ok(),
            "another account"
        );
        let later = start + Duration::minutes(15);
        assert!(limiter.attempt("a@x", address, later).await.unwrap().is_ok(), "a new window");
        limiter.forgive("a@x").await.unwrap();
        for _ in 0..5 {
            assert!(limiter.attempt("a@x", address, later).await.unwrap().is_ok(), "forgiven, it starts again");
        }
        assert!(limiter.attempt("a@x", address, later).await.unwrap().is_err());
    }

    async fn an_address_is_held_after_twenty_failures_and_ipv6_counts_by_its_64(backend: TestBackend) {
        let (_directory, limiter) = limiter(backend).await;
        let now = Utc::now();
        for index in 0..20 {
            let address: IpAddr = format!("2001:db8::{index:x}").parse().unwrap();
            assert!(limiter.attempt(&format!("user{index}@x"), address, now).await.unwrap().is_ok());
        }
        assert!(limiter.attempt("new@x", "2001:db8::ffff".parse().unwrap(), now).await.unwrap().is_err());
        assert!(limiter.attempt("new@x", "2001:db9::1".parse().unwrap(), now).await.unwrap().is_ok());
        // 21 accounts and two /64s.
        assert_eq!(limiter.prune(now + Duration::days(2)).await.unwrap(), 23, "every count is long past");
    }

    async fn parallel_attempts_cannot_overrun_the_limit(backend: TestBackend) {
        let (_directory, limiter) = limiter(backend).await;
        let now = Utc::now();
        let attempts = (0..16).map(|index| {
            let limiter = limiter.clone();
            let address: IpAddr = format!("10.0.0.{index}").parse().unwrap();
            tokio::spawn(async move { limiter.attempt("a@x", address, now).await.unwrap().is_ok() })
        });
        let mut let_through = 0;
        for attempt in attempts.collect::<Vec<_>>() {
            let_through += usize::from(attempt.await.unwrap());
        }
        assert_eq!(let_through, 5, "exactly the account's limit, however many arrive at once");
    }

    async fn successes_from_one_address_do_not_hold_it(backend: TestBackend) {
        let (_directory, limiter) = limiter(backend).await;
        let (address, now) = ("192.0.2.7".parse().unwrap(), Utc::now());
        for index in 0..40 {
            let attempt = limiter.attempt(&format!("colleague{index}@x"), address, now).await.unwrap().unwrap();
            limiter.succeeded(attempt).await.unwrap();
        }
        assert!(limiter.attempt("late@x", address, now).await.unwrap().is_ok(), "forty sign-ins, no hold");
    }
}
