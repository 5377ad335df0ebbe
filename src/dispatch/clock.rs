//! The clock, injected: wall time for the store and local dates for daily
//! limits. Tests use [`ManualClock`].

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Local, NaiveDate, TimeZone, Utc};

/// Where the dispatcher gets the time from.
pub trait Clock: Send + Sync + 'static {
    /// Unix milliseconds.
    fn now_ms(&self) -> i64;

    /// The local calendar date of `ms` (daily limits reset at local midnight).
    fn local_date(&self, ms: i64) -> NaiveDate {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&Local)
            .date_naive()
    }

    /// Unix milliseconds of the next local midnight after `ms`.
    fn next_midnight(&self, ms: i64) -> i64 {
        let tomorrow = self.local_date(ms).succ_opt().unwrap_or_default();
        Local
            .from_local_datetime(&tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(ms + 86_400_000, |t| t.timestamp_millis())
    }

    /// Unix milliseconds of the next local month's first midnight after
    /// `ms` (monthly quotas reset then).
    fn next_month_start(&self, ms: i64) -> i64 {
        let d = self.local_date(ms);
        let (y, m) = if d.month() == 12 {
            (d.year() + 1, 1)
        } else {
            (d.year(), d.month() + 1)
        };
        let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
        Local
            .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(ms + 31 * 86_400_000, |t| t.timestamp_millis())
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `ms`.
    pub fn at(ms: i64) -> Self {
        Self(AtomicI64::new(ms))
    }

    /// Moves the clock forward.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
