//! Rate limits of the public listener: a keyed GCRA (generic cell rate
//! algorithm, the "virtual scheduling" form of ITU-T I.371) — each key may
//! spend `burst` requests at once, refilled at one per `interval` — with
//! memory bounded to `max_keys` keys.
//!
//! Keys are client addresses (an IPv6 address counts by its /64, what one
//! subscriber usually holds), numbers, or one key for everybody (the
//! global ceiling). Time is the monotonic clock: limits are about load
//! now, not about the calendar.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept at most per limiter; past it, keys whose budget is whole
/// again are forgotten, and if none is, a new key is refused (the global
/// ceiling still lets the known ones through).
pub const MAX_KEYS: usize = 100_000;

/// A rate limit per key.
pub struct Limiter<K> {
    interval: Duration,
    burst: u32,
    max_keys: usize,
    /// Each key's theoretical arrival time: when its budget is whole again.
    tat: Mutex<HashMap<K, Instant>>,
}

impl<K> std::fmt::Debug for Limiter<K> {
    // Not the keys: they are clients' addresses and numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("interval", &self.interval)
            .field("burst", &self.burst)
            .finish()
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `count` requests per `period` per key, all of them at once if need be.
    /// `count` 0 is read as 1.
    pub fn new(count: u32, period: Duration) -> Self {
        let count = count.max(1);
        Limiter {
            interval: period / count,
            burst: count,
            max_keys: MAX_KEYS,
            tat: Mutex::new(HashMap::new()),
        }
    }

    /// The same with at most `max_keys` keys kept.
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// Takes one request for `key` at `now`: `Ok` if it is within the
    /// limit, else `Err(wait)` with how long until one more is allowed
    /// (for `Retry-After`). A refused request spends nothing.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut map = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(key) && map.len() >= self.max_keys {
            map.retain(|_, tat| *tat > now);
            if map.len() >= self.max_keys {
                return Err(self.interval);
            }
        }
        let tat = map.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let new_tat = tat + self.interval;
        let allowed_until = now + self.interval * self.burst;
        if new_tat > allowed_until {
            return Err(new_tat - allowed_until);
        }
        map.insert(key.clone(), new_tat);
        Ok(())
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

    #[test]
    fn a_burst_is_allowed_then_refused_until_it_refills() {
        let l: Limiter<u8> = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(&1, t0).is_ok());
        }
        let wait = l.check(&1, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // Another key has its own budget.
        assert!(l.check(&2, t0).is_ok());
        // One more after one interval, not two.
        let t1 = t0 + Duration::from_secs(20);
        assert!(l.check(&1, t1).is_ok());
        assert!(l.check(&1, t1).is_err());
        // A refusal spends nothing: after the full period the burst is back.
        let t2 = t0 + Duration::from_secs(80);
        for _ in 0..3 {
            assert!(l.check(&1, t2).is_ok());
        }
    }

    #[test]
    fn memory_is_bounded_and_idle_keys_make_room() {
        let l: Limiter<u32> = Limiter::new(1, Duration::from_secs(10)).with_max_keys(2);
        let t0 = Instant::now();
        assert!(l.check(&1, t0).is_ok());
        assert!(l.check(&2, t0).is_ok());
        assert!(l.check(&3, t0).is_err(), "full of busy keys: refused");
        let later = t0 + Duration::from_secs(11);
        assert!(l.check(&3, later).is_ok(), "idle keys forgotten");
        assert!(l.tat.lock().unwrap().len() <= 2);
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
    }
}
