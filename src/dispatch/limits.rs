//! Per-SIM limits and health, pure: how many segments a SIM may still send
//! this minute, today and this month, to how many new recipients, and
//! whether its recent error rate says "rest".
//!
//! The quotas are the operator's, kept by us so that a SIM is never blocked:
//! `daily_limit` (ramped up by `warm_up` over a new SIM's first days),
//! `monthly_limit` (segments per local calendar month) and
//! `unique_recipients_per_month` (distinct numbers per local month; a SIM at
//! that limit may still text numbers it already texted this month).

use std::collections::VecDeque;

use chrono::NaiveDate;

/// Most days a `warm_up` ramp may have.
pub const MAX_WARM_UP_DAYS: usize = 31;

/// A new SIM's daily limits over its first days: `[50, 100, 200]` is 50
/// segments on the local day it was first seen, 100 the next, 200 the day
/// after, then `daily_limit` (or no limit). Never above `daily_limit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarmUp {
    days: [u32; MAX_WARM_UP_DAYS],
    len: u8,
}

impl WarmUp {
    /// The ramp, day 1 first; `None` if longer than [`MAX_WARM_UP_DAYS`].
    pub fn new(days: &[u32]) -> Option<Self> {
        if days.len() > MAX_WARM_UP_DAYS {
            return None;
        }
        let mut w = WarmUp {
            len: days.len() as u8,
            ..WarmUp::default()
        };
        w.days[..days.len()].copy_from_slice(days);
        Some(w)
    }

    /// The ramp, day 1 first (empty: none).
    pub fn days(&self) -> &[u32] {
        &self.days[..usize::from(self.len)]
    }

    /// The limit on `day` (1: the day the SIM was first seen), while warming up.
    pub fn limit_on(&self, day: u32) -> Option<u32> {
        let i = usize::try_from(day.checked_sub(1)?).ok()?;
        self.days().get(i).copied()
    }
}

/// Limits configured for a modem's SIM (`[[modem]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimPolicy {
    /// Segments per local day.
    pub daily_limit: Option<u32>,
    /// Segments per minute.
    pub per_minute: Option<u32>,
    /// Segments per local calendar month.
    pub monthly_limit: Option<u32>,
    /// Distinct recipients per local calendar month.
    pub unique_recipients_per_month: Option<u32>,
    /// Daily limits over the SIM's first days.
    pub warm_up: WarmUp,
}

/// What a SIM has used, as the store counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimUsage {
    /// Segments today (local).
    pub sent_today: u64,
    /// Segments this month (local).
    pub sent_month: u64,
    /// Distinct recipients this month (local).
    pub recipients_month: u64,
    /// Days since first seen, 1 on that local day.
    pub day: u32,
}

/// What a SIM may still send under its quotas (`None`: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLeft {
    /// Today's daily limit (`warm_up` applied).
    pub daily_limit: Option<u32>,
    /// Segments left today.
    pub daily_left: Option<u64>,
    /// Segments left this month.
    pub monthly_left: Option<u64>,
    /// New recipients left this month.
    pub unique_left: Option<u64>,
    /// The warm-up day it is on (1-based), while warming up.
    pub warm_up_day: Option<u32>,
}

impl QuotaLeft {
    /// Segments it may still send (today and this month), if limited.
    pub fn segments(&self) -> Option<u64> {
        match (self.daily_left, self.monthly_left) {
            (Some(d), Some(m)) => Some(d.min(m)),
            (d, m) => d.or(m),
        }
    }
}

impl SimPolicy {
    /// The daily limit on `day` since first seen (1-based): the warm-up
    /// step while there is one (never above `daily_limit`), else `daily_limit`.
    pub fn daily_limit_on(&self, day: u32) -> Option<u32> {
        match self.warm_up.limit_on(day) {
            Some(w) => Some(self.daily_limit.map_or(w, |d| d.min(w))),
            None => self.daily_limit,
        }
    }

    /// What is left of each quota after `used`.
    pub fn left(&self, used: &SimUsage) -> QuotaLeft {
        let daily_limit = self.daily_limit_on(used.day);
        QuotaLeft {
            daily_limit,
            daily_left: daily_limit.map(|l| u64::from(l).saturating_sub(used.sent_today)),
            monthly_left: self
                .monthly_limit
                .map(|l| u64::from(l).saturating_sub(used.sent_month)),
            unique_left: self
                .unique_recipients_per_month
                .map(|l| u64::from(l).saturating_sub(used.recipients_month)),
            warm_up_day: self.warm_up.limit_on(used.day).map(|_| used.day),
        }
    }
}

/// The day of a SIM's life on `today` (1 on `first_seen`, both local dates).
pub fn day_since(first_seen: NaiveDate, today: NaiveDate) -> u32 {
    u32::try_from((today - first_seen).num_days().max(0) + 1).unwrap_or(u32::MAX)
}

/// Send times of the last minute, for the per-minute cap.
#[derive(Debug, Clone, Default)]
pub struct MinuteWindow {
    sends: VecDeque<(i64, u32)>,
}

impl MinuteWindow {
    fn prune(&mut self, now: i64) {
        while self.sends.front().is_some_and(|&(t, _)| t <= now - 60_000) {
            self.sends.pop_front();
        }
    }

    /// Records `segments` sent at `now`.
    pub fn record(&mut self, now: i64, segments: u32) {
        self.prune(now);
        self.sends.push_back((now, segments));
    }

    /// Segments sent in the minute before `now`.
    pub fn used(&mut self, now: i64) -> u32 {
        self.prune(now);
        self.sends.iter().map(|&(_, n)| n).sum()
    }

    /// When enough segments leave the window for `needed` more under `cap`.
    pub fn free_at(&mut self, now: i64, cap: u32, needed: u32) -> i64 {
        self.prune(now);
        let mut used = self.used(now);
        for &(t, n) in &self.sends {
            if used + needed <= cap {
                break;
            }
            used -= n;
            if used + needed <= cap {
                return t + 60_000;
            }
        }
        now
    }
}

/// Outcomes of recent attempts through a SIM. Only attempts that say
/// something about the SIM are recorded (never a recipient's or a
/// message's refusal); a failure may name the recipient it happened with,
/// so that it can be forgiven once that recipient turns out to be at fault.
#[derive(Debug, Clone, Default)]
pub struct ErrorRate {
    /// `(ok, recipient of a failure still open to doubt)`.
    recent: VecDeque<(bool, Option<String>)>,
}

/// Attempts considered.
pub const ERROR_WINDOW: usize = 10;
/// Failures among them that cool the SIM down.
pub const ERROR_THRESHOLD: usize = 5;

impl ErrorRate {
    /// Records an attempt: `ok` if the network accepted it.
    pub fn record(&mut self, ok: bool) {
        self.push(ok, None);
    }

    /// Records a failure that may yet prove to be `recipient`'s fault; one
    /// per recipient in the window (retrying one refused number through
    /// the same SIM says nothing new about the SIM).
    pub fn record_doubtful(&mut self, recipient: &str) {
        if self.recent.iter().any(|(_, r)| r.as_deref() == Some(recipient)) {
            return;
        }
        self.push(false, Some(recipient.to_string()));
    }

    fn push(&mut self, ok: bool, recipient: Option<String>) {
        if self.recent.len() == ERROR_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back((ok, recipient));
    }

    /// Drops the failures with `recipient`: they were its fault.
    pub fn forgive(&mut self, recipient: &str) {
        self.recent.retain(|(_, r)| r.as_deref() != Some(recipient));
    }

    /// Failures in the window.
    pub fn failures(&self) -> usize {
        self.recent.iter().filter(|(ok, _)| !*ok).count()
    }

    /// Whether the SIM should rest.
    pub fn too_high(&self) -> bool {
        self.failures() >= ERROR_THRESHOLD
    }

    /// Starts afresh (after a cool-down).
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_ramps_the_daily_limit_then_hands_over_to_it() {
        let p = SimPolicy {
            daily_limit: Some(150),
            warm_up: WarmUp::new(&[50, 100, 200]).unwrap_or_default(),
            ..SimPolicy::default()
        };
        assert_eq!(p.daily_limit_on(1), Some(50));
        assert_eq!(p.daily_limit_on(2), Some(100));
        assert_eq!(p.daily_limit_on(3), Some(150), "never above daily_limit");
        assert_eq!(p.daily_limit_on(4), Some(150));
        let open = SimPolicy {
            warm_up: WarmUp::new(&[10]).unwrap_or_default(),
            ..SimPolicy::default()
        };
        assert_eq!(open.daily_limit_on(1), Some(10));
        assert_eq!(open.daily_limit_on(2), None);
        let left = p.left(&SimUsage {
            sent_today: 30,
            day: 1,
            ..SimUsage::default()
        });
        assert_eq!((left.daily_left, left.warm_up_day), (Some(20), Some(1)));
        assert_eq!(
            p.left(&SimUsage {
                day: 9,
                ..SimUsage::default()
            })
            .warm_up_day,
            None
        );
        assert!(WarmUp::new(&[1; MAX_WARM_UP_DAYS + 1]).is_none());
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(day_since(d("2026-11-30"), d("2026-12-02")), 3);
        assert_eq!(day_since(d("2026-12-02"), d("2026-12-02")), 1);
    }

    #[test]
    fn monthly_and_unique_quotas_are_what_is_left() {
        let p = SimPolicy {
            daily_limit: Some(100),
            monthly_limit: Some(1000),
            unique_recipients_per_month: Some(250),
            ..SimPolicy::default()
        };
        let left = p.left(&SimUsage {
            sent_today: 10,
            sent_month: 960,
            recipients_month: 251,
            day: 40,
        });
        assert_eq!(left.daily_left, Some(90));
        assert_eq!(left.monthly_left, Some(40));
        assert_eq!(left.segments(), Some(40));
        assert_eq!(left.unique_left, Some(0));
        assert_eq!(SimPolicy::default().left(&SimUsage::default()).segments(), None);
    }

    #[test]
    fn minute_window_counts_and_frees() {
        let mut w = MinuteWindow::default();
        w.record(0, 2);
        w.record(10_000, 3);
        assert_eq!(w.used(30_000), 5);
        // Cap 6: one more segment fits now, three more once the first send ages out.
        assert_eq!(w.free_at(30_000, 6, 1), 30_000);
        assert_eq!(w.free_at(30_000, 6, 3), 60_000);
        assert_eq!(w.used(60_000), 3);
        assert_eq!(w.used(70_001), 0);
    }

    #[test]
    fn error_rate_over_window() {
        let mut e = ErrorRate::default();
        for _ in 0..4 {
            e.record(false);
        }
        assert!(!e.too_high());
        e.record(false);
        assert!(e.too_high());
        for _ in 0..10 {
            e.record(true);
        }
        assert!(!e.too_high());
    }

    #[test]
    fn a_recipients_failures_are_forgiven() {
        let mut e = ErrorRate::default();
        e.record(false);
        for i in 0..4 {
            e.record_doubtful(&format!("+7916000000{i}"));
            e.record_doubtful(&format!("+7916000000{i}"));
        }
        assert_eq!(e.failures(), 5, "once per recipient");
        assert!(e.too_high());
        e.forgive("+79160000001");
        assert_eq!(e.failures(), 4);
        assert!(!e.too_high());
    }
}
