//! When a date trigger falls for one contact: the contact's date
//! attribute, shifted by `offset_days`, on their own calendar. Pure.
//!
//! Yearly: the day and month match (the year is ignored). A 29 February
//! date falls on 28 February in a year without one (the greeting comes
//! the day before rather than not at all). Once: only the date itself.

use chrono::{Datelike, Duration, NaiveDate};

use super::spec::{DateRule, Repeat};

/// Whether `rule` falls on local day `day` for a contact whose attribute
/// holds `date`.
pub fn falls_on(rule: &DateRule, date: NaiveDate, day: NaiveDate) -> bool {
    let Some(anniversary) = day.checked_sub_signed(Duration::days(i64::from(rule.offset_days))) else {
        return false;
    };
    match rule.repeat {
        Repeat::Once => date == anniversary,
        Repeat::Yearly => {
            if (date.month(), date.day()) == (anniversary.month(), anniversary.day()) {
                return true;
            }
            // 29 February in a year without one: the 28th.
            (date.month(), date.day()) == (2, 29)
                && (anniversary.month(), anniversary.day()) == (2, 28)
                && NaiveDate::from_ymd_opt(anniversary.year(), 2, 29).is_none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn rule(offset_days: i32, repeat: Repeat) -> DateRule {
        DateRule {
            attribute: "birthday".into(),
            offset_days,
            at: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            repeat,
        }
    }

    #[test]
    fn yearly_matches_day_and_month_in_any_year() {
        let r = rule(0, Repeat::Yearly);
        assert!(falls_on(&r, d("1990-12-01"), d("2026-12-01")));
        assert!(!falls_on(&r, d("1990-12-01"), d("2026-12-02")));
    }

    #[test]
    fn february_29_falls_on_the_28th_without_a_leap_day() {
        let r = rule(0, Repeat::Yearly);
        assert!(falls_on(&r, d("2000-02-29"), d("2027-02-28")));
        assert!(!falls_on(&r, d("2000-02-29"), d("2027-03-01")));
        // In a leap year only the 29th.
        assert!(falls_on(&r, d("2000-02-29"), d("2028-02-29")));
        assert!(!falls_on(&r, d("2000-02-29"), d("2028-02-28")));
    }

    #[test]
    fn an_offset_moves_the_day_and_once_needs_the_year() {
        // Three days before a subscription ends.
        let r = rule(-3, Repeat::Once);
        assert!(falls_on(&r, d("2026-12-05"), d("2026-12-02")));
        assert!(!falls_on(&r, d("2026-12-05"), d("2027-12-02")));
        let r = rule(1, Repeat::Yearly);
        assert!(falls_on(&r, d("1980-12-31"), d("2027-01-01")));
    }
}
