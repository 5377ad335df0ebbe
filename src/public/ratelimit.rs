//! Rate limits of the public listener: a keyed rate limit built on the
//! `governor` crate's GCRA (generic cell rate algorithm, the "virtual
//! scheduling" form of ITU-T I.371) — each key may spend `count` requests
//! at once, refilled at one per `period / count` — with memory bounded to
//! `max_keys` keys. The algorithm and the per-key state are governor's;
//! this module owns only the bound on keys, the client key of an address
//! and the `Retry-After` rounding.
//!
//! Keys are client addresses (an IPv6 address counts by its /64, what one
//! subscriber usually holds), numbers, or one key for everybody (the
//! global ceiling). Time is the monotonic clock: limits are about load
//! now, not about the calendar. Tests inject governor's
//! `FakeRelativeClock` instead.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{Quota, RateLimiter};

/// Keys kept at most per limiter; past it, keys idle for long enough
/// (see [`Limiter::check`]) are forgotten, and if none is, a new key is
/// refused (the known ones still get their own answer).
pub const MAX_KEYS: usize = 100_000;

/// governor's DashMap store, shared with [`Limiter`] so that it can tell a
/// known key from a new one (governor's limiter does not expose its store).
struct Store<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for Store<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        StateStore::measure_and_replace(&*self.0, key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Store<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&*self.0, drop_below)
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A rate limit per key: governor's keyed GCRA on the clock `C` (the
/// monotonic clock unless a test injects another).
pub struct Limiter<K: Hash + Eq + Clone, C: Clock = MonotonicClock> {
    quota: Quota,
    max_keys: usize,
    keys: Arc<DashMapStateStore<K>>,
    gcra: RateLimiter<K, Store<K>, C, NoOpMiddleware<C::Instant>>,
    /// Held while a new key is let in, so that concurrent new keys cannot
    /// together pass the bound.
    admit: Mutex<()>,
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for Limiter<K, C> {
    // Not the keys: they are clients' addresses and numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("interval", &self.quota.replenish_interval())
            .field("burst", &self.quota.burst_size())
            .field("max_keys", &self.max_keys)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `count` requests per `period` per key, all of them at once if need be.
    /// `count` 0 is read as 1; a `period` too short to divide (under
    /// `count` nanoseconds) as one request per nanosecond.
    pub fn new(count: u32, period: Duration) -> Self {
        Limiter::with_clock(count, period, MonotonicClock)
    }
}

impl<K: Hash + Eq + Clone, C: Clock> Limiter<K, C> {
    /// The same on `clock` (tests: governor's `FakeRelativeClock`).
    pub fn with_clock(count: u32, period: Duration, clock: C) -> Self {
        let burst = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period / burst.get())
            .or_else(|| Quota::with_period(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        let keys = Arc::new(DashMapStateStore::<K>::default());
        Limiter {
            quota,
            max_keys: MAX_KEYS,
            gcra: RateLimiter::new(quota, Store(Arc::clone(&keys)), clock),
            keys,
            admit: Mutex::new(()),
        }
    }

    /// The same with at most `max_keys` keys kept (0 is read as 1).
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// Takes one request for `key` now: `Ok` if it is within the limit,
    /// else `Err(wait)` with how long until one more is allowed (for
    /// `Retry-After`, from governor's `NotUntil::wait_time_from`). A
    /// refused request spends nothing.
    ///
    /// The bound: a key not yet kept, while `max_keys` keys are, first
    /// makes governor forget the idle keys (`retain_recent`, then
    /// `shrink_to_fit`) — those whose budget has been whole again for at
    /// least one refill interval, governor's margin; if the limiter is
    /// still full, that new key is refused with a wait of one refill
    /// interval and is not kept, while known keys go on as before. New
    /// keys are let in one at a time, so the bound holds under
    /// concurrency; a known key forgotten by a concurrent sweep may come
    /// back past it, a few at most.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.keys.contains_key(key) {
            return self.take(key);
        }
        let _admit = self.admit.lock().unwrap_or_else(|e| e.into_inner());
        if self.gcra.len() >= self.max_keys {
            self.gcra.retain_recent();
            self.gcra.shrink_to_fit();
            if self.gcra.len() >= self.max_keys {
                return Err(self.quota.replenish_interval());
            }
        }
        self.take(key)
    }

    fn take(&self, key: &K) -> Result<(), Duration> {
        self.gcra
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.gcra.clock().now()))
    }

    /// Keys kept now.
    pub fn len(&self) -> usize {
        self.gcra.len()
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.gcra.is_empty()
    }
}

/// The rate-limit key of a client address: an IPv4 address as it is, an
/// IPv6 address by its /64 (an IPv4-mapped one as the IPv4 address).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_burst_is_allowed_then_refused_until_it_refills() {
        let clock = FakeRelativeClock::default();
        let l: Limiter<u8, _> = Limiter::with_clock(3, Duration::from_secs(60), clock.clone());
        for _ in 0..3 {
            assert!(l.check(&1).is_ok());
        }
        let wait = l.check(&1).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // Another key has its own budget.
        assert!(l.check(&2).is_ok());
        // The wait shrinks as time goes on.
        clock.advance(Duration::from_secs(5));
        assert_eq!(l.check(&1).unwrap_err(), Duration::from_secs(15));
        // One more after one interval, not two.
        clock.advance(Duration::from_secs(15));
        assert!(l.check(&1).is_ok());
        assert!(l.check(&1).is_err());
        // A refusal spends nothing: after the full period the burst is back.
        clock.advance(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check(&1).is_ok());
        }
        assert!(l.check(&1).is_err());
    }

    #[test]
    fn count_zero_is_one_per_period() {
        let clock = FakeRelativeClock::default();
        let l: Limiter<(), _> = Limiter::with_clock(0, Duration::from_secs(10), clock.clone());
        assert!(l.check(&()).is_ok());
        assert_eq!(l.check(&()).unwrap_err(), Duration::from_secs(10));
        clock.advance(Duration::from_secs(10));
        assert!(l.check(&()).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_idle_keys_make_room() {
        let clock = FakeRelativeClock::default();
        let l: Limiter<u32, _> =
            Limiter::with_clock(1, Duration::from_secs(10), clock.clone()).with_max_keys(2);
        assert!(l.check(&1).is_ok());
        assert!(l.check(&2).is_ok());
        assert_eq!(
            l.check(&3).unwrap_err(),
            Duration::from_secs(10),
            "full of busy keys: a new one refused"
        );
        assert_eq!(l.len(), 2, "a refused new key is not kept");
        // A known key still gets its own answer while the limiter is full.
        assert_eq!(l.check(&1).unwrap_err(), Duration::from_secs(10));
        clock.advance(Duration::from_secs(11));
        assert!(l.check(&1).is_ok(), "a known key goes on");
        // Key 2's budget is whole again, but governor forgets a key only
        // one refill interval after that.
        assert!(l.check(&3).is_err(), "key 2 not yet forgotten");
        clock.advance(Duration::from_secs(10));
        assert!(l.check(&3).is_ok(), "an idle key forgotten makes room");
        assert_eq!(l.len(), 2, "key 1 (used at 11 s) and key 3 kept");
    }

    #[test]
    fn debug_shows_no_keys() {
        let l: Limiter<String> = Limiter::new(1, Duration::from_secs(1));
        assert!(l.check(&"+15551234567".to_string()).is_ok());
        let shown = format!("{l:?}");
        assert!(!shown.contains("5551234567"), "{shown}");
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let m: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(m), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        // Two addresses in one /64 share one budget.
        let l: Limiter<IpAddr, _> =
            Limiter::with_clock(1, Duration::from_secs(60), FakeRelativeClock::default());
        assert!(l.check(&client_key(a)).is_ok());
        assert!(l.check(&client_key(b)).is_err());
        assert!(l.check(&client_key(c)).is_ok());
    }
}
