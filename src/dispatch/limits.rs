//! Per-SIM limits and health, pure: how many segments a SIM may still send
//! this minute and today, and whether its recent error rate says "rest".

use std::collections::VecDeque;

/// Limits configured for a modem's SIM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimPolicy {
    /// Segments per local day.
    pub daily_limit: Option<u32>,
    /// Segments per minute.
    pub per_minute: Option<u32>,
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
