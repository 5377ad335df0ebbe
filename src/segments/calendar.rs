//! Calendar arithmetic for date filters, in UTC days: "today" is the UTC
//! date of the injected `now` (a filter does not depend on a contact's
//! zone; a day's difference at midnight is accepted for segments).

use chrono::{DateTime, Datelike, Days, NaiveDate};

/// The UTC date of `now_ms` (unix ms); the epoch for a time out of range.
pub fn today(now_ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// `today` minus `days` (saturating at the earliest date).
pub fn days_ago(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MIN)
}

/// The month-days (`"MM-DD"`) from `today` through `days` days later: the
/// anniversaries (birthdays) that fall in that window. The year wraps
/// (Dec 30 + 5 days reaches Jan 4). A Feb 29 anniversary is kept on Feb 28
/// in a year without Feb 29, so it is never skipped.
pub fn anniversary_window(today: NaiveDate, days: u32) -> Vec<String> {
    let mut out = Vec::with_capacity(days as usize + 2);
    for i in 0..=u64::from(days.min(366)) {
        let Some(d) = today.checked_add_days(Days::new(i)) else {
            break;
        };
        let md = format!("{:02}-{:02}", d.month(), d.day());
        if !out.contains(&md) {
            out.push(md);
        }
        let leap = NaiveDate::from_ymd_opt(d.year(), 2, 29).is_some();
        if d.month() == 2 && d.day() == 28 && !leap && !out.iter().any(|m| m == "02-29") {
            out.push("02-29".to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_window_wraps_over_new_year() {
        assert_eq!(
            anniversary_window(d("2025-12-30"), 3),
            vec!["12-30", "12-31", "01-01", "01-02"]
        );
        assert_eq!(anniversary_window(d("2025-05-01"), 0), vec!["05-01"]);
    }

    #[test]
    fn feb_29_is_celebrated_on_feb_28_in_common_years_only() {
        let w = anniversary_window(d("2025-02-27"), 1);
        assert_eq!(w, vec!["02-27", "02-28", "02-29"]);
        // A leap year has its own Feb 29: Feb 28 alone does not match it.
        assert_eq!(anniversary_window(d("2024-02-27"), 1), vec!["02-27", "02-28"]);
        assert_eq!(anniversary_window(d("2024-02-28"), 1), vec!["02-28", "02-29"]);
    }

    #[test]
    fn a_whole_year_covers_every_day_once() {
        let w = anniversary_window(d("2025-03-01"), 366);
        assert_eq!(w.len(), 366);
        assert_eq!(today(0), d("1970-01-01"));
        assert_eq!(days_ago(d("2025-03-01"), 1), d("2025-02-28"));
    }
}
