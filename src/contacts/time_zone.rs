//! A contact's time zone: given (IANA), or the zone of the number's country
//! when it has a single one, or `contacts.default_time_zone`.
//!
//! The country of a number comes from libphonenumber's metadata (the
//! `phonenumber` crate: +7 916… is RU, +7 701… is KZ). The zones of each
//! country come from the tz database's `zone.tab` (tzdata 2025b, public
//! domain; embedded here as `zone.tab`): one row per country and zone, the
//! most populous zone first. It is the per-country table (Norway is
//! `Europe/Oslo`, not the `Europe/Berlin` that `zone1970.tab` merges it
//! into), which is what a person reading a contact expects.
//!
//! A country "has a single zone" when every zone it lists keeps the same
//! clock as its first one over the coming year (UTC offsets compared
//! daily, with chrono-tz's rules): Germany's `Europe/Busingen` keeps Berlin
//! time, so +49 is `Europe/Berlin`; Kazakhstan's zones all keep UTC+5 since
//! March 2024, so +7 7xx is `Asia/Almaty`; Russia, the US, Mexico, Brazil,
//! Australia, Canada, Indonesia (and Spain, with the Canaries an hour
//! behind) have clocks that differ: no zone from the number, the configured
//! default applies.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::phone::Msisdn;

/// tzdata's `zone.tab` (public domain), version 2025b.
const ZONE_TAB: &str = include_str!("zone.tab");

/// Days ahead over which a country's zones must agree.
const HORIZON_DAYS: i64 = 366;

/// Country (ISO 3166 alpha-2) → its single zone, for countries whose zones
/// all keep one clock.
static SINGLE: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| single_zones(ZONE_TAB));

/// Zones by country, in the table's order (most populous first).
fn zones_by_country(tab: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in tab.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(country), Some(_coords), Some(zone)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        out.entry(country).or_default().push(zone);
    }
    out
}

/// Whether `a` and `b` show the same local time every day of the horizon.
fn same_clock(a: Tz, b: Tz) -> bool {
    let start = Utc::now();
    (0..HORIZON_DAYS).all(|d| {
        let t = (start + Duration::days(d)).naive_utc();
        a.offset_from_utc_datetime(&t).fix() == b.offset_from_utc_datetime(&t).fix()
    })
}

fn single_zones(tab: &str) -> BTreeMap<&str, &str> {
    zones_by_country(tab)
        .into_iter()
        .filter_map(|(country, zones)| {
            let first = *zones.first()?;
            let tz: Tz = first.parse().ok()?;
            zones
                .iter()
                .skip(1)
                .all(|z| z.parse::<Tz>().is_ok_and(|other| same_clock(tz, other)))
                .then_some((country, first))
        })
        .collect()
}

/// The IANA zone of `number`'s country when that country keeps a single
/// clock (see the module docs), e.g. `+4915…` → `Europe/Berlin`; `None`
/// for a country with several (`+7916…`, Russia), a short code or a number
/// whose country is not known.
pub fn of_number(number: &Msisdn) -> Option<&'static str> {
    let s = number.as_str();
    if !s.starts_with('+') {
        return None;
    }
    let parsed = phonenumber::parse(None, s).ok()?;
    let country = parsed.country().id()?;
    let code = format!("{country:?}");
    SINGLE.get(code.as_str()).copied()
}

/// Checks an IANA zone name (`Europe/Berlin`), as chrono-tz knows them;
/// the error says what is wrong.
pub fn check(zone: &str) -> Result<(), String> {
    zone.parse::<Tz>().map(|_| ()).map_err(|_| {
        format!("{zone:?} is not an IANA time zone (such as \"Europe/Berlin\" or \"America/New_York\")")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(n: &str) -> Option<&'static str> {
        of_number(&Msisdn::from_canonical(n))
    }

    #[test]
    fn a_country_with_one_clock_gives_its_zone() {
        assert_eq!(zone("+4915123456789"), Some("Europe/Berlin"));
        assert_eq!(zone("+33612345678"), Some("Europe/Paris"));
        assert_eq!(zone("+447400123456"), Some("Europe/London"));
        assert_eq!(zone("+380501234567"), None, "Crimea keeps Moscow time");
    }

    #[test]
    fn countries_with_several_clocks_give_none() {
        for n in [
            "+79161234567",   // RU
            "+12025550123",   // US
            "+525512345678",  // MX
            "+5511987654321", // BR
            "+61412345678",   // AU
            "+14165550123",   // CA
            "+6281234567890", // ID
            "+34612345678",   // ES: the Canaries
        ] {
            assert_eq!(zone(n), None, "{n}");
        }
    }

    #[test]
    fn kazakhstan_keeps_one_clock_since_2024() {
        assert_eq!(zone("+77011234567"), Some("Asia/Almaty"));
    }

    #[test]
    fn short_codes_and_unknown_numbers_give_none() {
        assert_eq!(zone("900"), None);
        assert_eq!(zone("+999"), None);
    }

    #[test]
    fn every_single_zone_is_known_to_chrono_tz() {
        assert!(SINGLE.len() > 150, "{}", SINGLE.len());
        for z in SINGLE.values() {
            assert!(check(z).is_ok(), "{z}");
        }
        assert!(check("Mars/Olympus").is_err());
        assert!(check("").is_err());
    }
}
