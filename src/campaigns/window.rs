//! A campaign's sending window read in each recipient's own time zone:
//! "09:00–20:00, Monday to Saturday" means those hours on the recipient's
//! wall clock, whatever the zone and across daylight-saving changes
//! (chrono-tz, the IANA database). Pure: every function takes the instant.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Hours of the day and days of the week a message may arrive, on the
/// recipient's wall clock. `start` is inclusive, `end` exclusive; `start`
/// is before `end` (a window does not span midnight: nobody is texted at
/// night).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Opens at (local time).
    pub start: NaiveTime,
    /// Closes at (local time).
    pub end: NaiveTime,
    /// Days it opens on, Monday first.
    pub days: [bool; 7],
}

/// Day names as the API writes them, Monday first.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// How a window is written in the API, the config and the stored spec:
/// `{"start": "09:00", "end": "20:00", "days": ["mon", ..., "sat"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Local time it opens, `HH:MM` (24-hour).
    pub start: String,
    /// Local time it closes, `HH:MM`, after `start`; `"24:00"` is the end
    /// of the day (open until midnight) and reads back as `"24:00"`.
    pub end: String,
    /// Days it opens on (`mon` … `sun`); every day if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
}

/// The end of a window written `"24:00"`.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

impl Default for Window {
    /// 09:00–20:00 every day.
    fn default() -> Self {
        Window {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(NaiveTime::MIN),
            days: [true; 7],
        }
    }
}

/// Reads `HH:MM` (or `H:MM`).
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    let t = s.trim();
    let (h, m) = t
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not a time of day written HH:MM"))?;
    let num = |x: &str| -> Option<u32> {
        (!x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse().ok())
            .flatten()
    };
    match (num(h), num(m)) {
        (Some(h), Some(m)) if m < 60 => NaiveTime::from_hms_opt(h, m, 0)
            .ok_or_else(|| format!("{s:?} is not a time of day (00:00 to 23:59)")),
        _ => Err(format!("{s:?} is not a time of day written HH:MM")),
    }
}

impl WindowSpec {
    /// Checks and reads it.
    pub fn parse(&self) -> Result<Window, String> {
        let start = parse_hhmm(&self.start).map_err(|e| format!("start: {e}"))?;
        // "24:00" is the end of the day.
        let end = if self.end.trim() == "24:00" {
            END_OF_DAY
        } else {
            parse_hhmm(&self.end).map_err(|e| format!("end: {e}"))?
        };
        if end <= start {
            return Err(format!(
                "end {} is not after start {}: a window opens and closes on the same day",
                self.end.trim(),
                self.start.trim()
            ));
        }
        let mut days = [false; 7];
        match &self.days {
            None => days = [true; 7],
            Some(list) => {
                if list.is_empty() {
                    return Err("days is empty: name at least one day (mon … sun)".into());
                }
                for d in list {
                    let key = d.trim().to_lowercase();
                    let i = DAY_NAMES
                        .iter()
                        .position(|n| key == *n || (key.len() > 3 && full_day(n).starts_with(&key)))
                        .ok_or_else(|| {
                            format!("days: {d:?} is not a day (mon, tue, wed, thu, fri, sat, sun)")
                        })?;
                    days[i] = true;
                }
            }
        }
        Ok(Window { start, end, days })
    }
}

fn full_day(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

impl Window {
    /// As the API writes it.
    pub fn spec(&self) -> WindowSpec {
        let days = (!self.days.iter().all(|d| *d)).then(|| {
            DAY_NAMES
                .iter()
                .zip(self.days)
                .filter(|(_, on)| *on)
                .map(|(n, _)| n.to_string())
                .collect()
        });
        WindowSpec {
            start: self.start.format("%H:%M").to_string(),
            end: if self.end == END_OF_DAY {
                "24:00".to_string()
            } else {
                self.end.format("%H:%M").to_string()
            },
            days,
        }
    }

    fn opens_on(&self, day: Weekday) -> bool {
        self.days[day.num_days_from_monday() as usize]
    }

    /// Whether a message may arrive at `at` (unix ms) in `tz`.
    pub fn is_open(&self, tz: Tz, at: i64) -> bool {
        let Some(local) = local(tz, at) else {
            return false;
        };
        let t = local.time();
        self.opens_on(local.weekday()) && t >= self.start && t < self.end
    }

    /// The first instant at or after `at` (unix ms) when the window is open
    /// in `tz`: `at` itself when open. `None` if it never opens (no days).
    pub fn next_open(&self, tz: Tz, at: i64) -> Option<i64> {
        if self.is_open(tz, at) {
            return Some(at);
        }
        let today = local(tz, at)?.date_naive();
        (0..=8)
            .filter_map(|d| today.checked_add_signed(Duration::days(d)))
            .filter(|day| self.opens_on(day.weekday()))
            .filter_map(|day| instant(tz, day, self.start))
            .find(|&t| t > at)
    }

    /// When the open window around `at` closes (unix ms), if it is open.
    pub fn closes_at(&self, tz: Tz, at: i64) -> Option<i64> {
        if !self.is_open(tz, at) {
            return None;
        }
        let day = local(tz, at)?.date_naive();
        instant(tz, day, self.end)
    }

    /// Milliseconds the window is open in `tz` between `from` and `to`
    /// (unix ms), for capacity estimates.
    pub fn open_ms_between(&self, tz: Tz, from: i64, to: i64) -> i64 {
        let mut total = 0;
        let mut at = from;
        while at < to {
            let Some(open) = self.next_open(tz, at) else {
                break;
            };
            if open >= to {
                break;
            }
            let close = self.closes_at(tz, open).unwrap_or(to).min(to);
            total += (close - open).max(0);
            // Past the close (at least a minute on, so a zero-length window cannot loop).
            at = close.max(open + 60_000);
        }
        total
    }
}

fn local(tz: Tz, at: i64) -> Option<DateTime<Tz>> {
    DateTime::from_timestamp_millis(at).map(|utc| utc.with_timezone(&tz))
}

/// The instant the wall clock in `tz` shows `time` on `day`: the earlier
/// of two when clocks go back, and the first minute after the gap when they
/// go forward past it (09:00 that does not exist is when 09:00 would have
/// been, a shifted 10:00 — never skipped).
pub fn instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<i64> {
    let at = NaiveDateTime::new(day, time);
    match tz.from_local_datetime(&at) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(a, _) => Some(a.timestamp_millis()),
        LocalResult::None => (1..=240).find_map(|m| {
            tz.from_local_datetime(&(at + Duration::minutes(m)))
                .earliest()
                .map(|t| t.timestamp_millis())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc).timestamp_millis())
            .unwrap_or(0)
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    #[test]
    fn the_same_instant_is_open_in_one_zone_and_closed_in_another() {
        let w = Window::default();
        // 2026-12-01 07:00 UTC: 17:00 in Vladivostok (UTC+10), 09:00 in
        // Kaliningrad (UTC+2), 04:00 in São Paulo (UTC-3).
        let at = ms("2026-12-01T07:00:00Z");
        assert!(w.is_open(tz("Asia/Vladivostok"), at));
        assert!(w.is_open(tz("Europe/Kaliningrad"), at));
        assert!(!w.is_open(tz("America/Sao_Paulo"), at));
        assert_eq!(
            w.next_open(tz("America/Sao_Paulo"), at),
            Some(ms("2026-12-01T12:00:00Z"))
        );
        // Vladivostok closes at 20:00 local = 10:00 UTC.
        assert_eq!(
            w.closes_at(tz("Asia/Vladivostok"), at),
            Some(ms("2026-12-01T10:00:00Z"))
        );
    }

    #[test]
    fn after_closing_the_next_window_is_tomorrow_morning() {
        let w = Window::default();
        let at = ms("2026-12-01T18:30:00Z"); // 21:30 in Moscow
        assert!(!w.is_open(tz("Europe/Moscow"), at));
        assert_eq!(
            w.next_open(tz("Europe/Moscow"), at),
            Some(ms("2026-12-02T06:00:00Z"))
        );
    }

    #[test]
    fn windows_follow_daylight_saving_changes() {
        let w = Window::default();
        // São Paulo kept DST until 2019: clocks went forward at 00:00 on
        // 2018-11-04 (UTC-3 → UTC-2). 09:00 local is 12:00 UTC the day
        // before, 11:00 UTC the day after.
        let sp = tz("America/Sao_Paulo");
        assert_eq!(
            w.next_open(sp, ms("2018-11-03T02:00:00Z")),
            Some(ms("2018-11-03T12:00:00Z"))
        );
        assert_eq!(
            w.next_open(sp, ms("2018-11-04T02:00:00Z")),
            Some(ms("2018-11-04T11:00:00Z"))
        );
        assert!(!w.is_open(sp, ms("2018-11-04T11:30:00Z") - 3_600_000));
        // Berlin goes back on 2026-10-25: 20:00 local is 18:00 UTC before, 19:00 UTC after.
        let berlin = tz("Europe/Berlin");
        assert_eq!(
            w.closes_at(berlin, ms("2026-10-24T12:00:00Z")),
            Some(ms("2026-10-24T18:00:00Z"))
        );
        assert_eq!(
            w.closes_at(berlin, ms("2026-10-25T12:00:00Z")),
            Some(ms("2026-10-25T19:00:00Z"))
        );
    }

    #[test]
    fn a_start_in_the_spring_gap_opens_when_the_clock_jumps() {
        // Berlin 2026-03-29: 02:00 jumps to 03:00. A 02:30 start opens at 03:00 local (01:00 UTC).
        let w = WindowSpec {
            start: "02:30".into(),
            end: "05:00".into(),
            days: None,
        }
        .parse()
        .unwrap_or_default();
        let berlin = tz("Europe/Berlin");
        assert_eq!(
            w.next_open(berlin, ms("2026-03-28T23:00:00Z")),
            Some(ms("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn days_restrict_the_window() {
        let w = WindowSpec {
            start: "09:00".into(),
            end: "20:00".into(),
            days: Some(vec!["mon".into(), "Saturday".into()]),
        }
        .parse()
        .unwrap_or_default();
        assert_eq!(w.days, [true, false, false, false, false, true, false]);
        // Tuesday 2026-12-01 10:00 UTC in UTC: closed; next is Saturday 09:00.
        assert!(!w.is_open(Tz::UTC, ms("2026-12-01T10:00:00Z")));
        assert_eq!(
            w.next_open(Tz::UTC, ms("2026-12-01T10:00:00Z")),
            Some(ms("2026-12-05T09:00:00Z"))
        );
        assert_eq!(w.spec().days, Some(vec!["mon".to_string(), "sat".to_string()]));
    }

    #[test]
    fn bad_windows_are_named() {
        let bad = |s: &str, e: &str, days: Option<Vec<&str>>| {
            WindowSpec {
                start: s.into(),
                end: e.into(),
                days: days.map(|d| d.into_iter().map(String::from).collect()),
            }
            .parse()
            .err()
            .unwrap_or_default()
        };
        assert!(bad("20:00", "09:00", None).contains("not after start"));
        assert!(bad("9", "20:00", None).contains("HH:MM"));
        assert!(bad("25:00", "26:00", None).contains("00:00 to 23:59"));
        assert!(bad("09:60", "20:00", None).contains("HH:MM"));
        assert!(bad("09:00", "20:00", Some(vec![])).contains("empty"));
        assert!(bad("09:00", "20:00", Some(vec!["funday"])).contains("funday"));
        assert!(bad("+9:00", "20:00", None).contains("HH:MM"));
    }

    #[test]
    fn open_time_between_counts_each_days_hours() {
        let w = Window::default();
        let from = ms("2026-12-01T00:00:00Z");
        let to = ms("2026-12-03T00:00:00Z");
        assert_eq!(w.open_ms_between(Tz::UTC, from, to), 2 * 11 * 3_600_000);
        // Starting mid-window counts only what is left.
        assert_eq!(
            w.open_ms_between(Tz::UTC, ms("2026-12-01T19:00:00Z"), to),
            12 * 3_600_000
        );
    }

    #[test]
    fn an_end_of_24_00_reads_back_as_24_00() {
        let w = WindowSpec {
            start: "08:00".into(),
            end: "24:00".into(),
            days: None,
        };
        let back = w.parse().map(|w| w.spec());
        assert_eq!(back.as_ref().map(|s| s.end.as_str()), Ok("24:00"));
        assert_eq!(back.map(|s| s.parse()), Ok(w.parse()));
    }
}
