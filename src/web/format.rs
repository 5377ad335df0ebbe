//! Numbers, percentages, money and times as the viewer's language writes
//! them: grouping from CLDR through `num-format` ("12,345" · "12 345" ·
//! "12.345"), decimal commas in Russian and Spanish, month names from
//! chrono's locales, times in the viewer's zone (or a recipient's).

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use num_format::{Locale, ToFormattedString};

use super::i18n::Lang;

fn locale(lang: Lang) -> Locale {
    match lang {
        Lang::En => Locale::en,
        Lang::Ru => Locale::ru,
        Lang::Es => Locale::es,
    }
}

fn decimal_sep(lang: Lang) -> char {
    match lang {
        Lang::En => '.',
        Lang::Ru | Lang::Es => ',',
    }
}

/// An integer with the language's grouping: `1,234,567` · `1 234 567` · `1.234.567`.
pub fn integer(n: i64, lang: Lang) -> String {
    n.to_formatted_string(&locale(lang))
}

/// A number with `places` decimals (rounded), grouped: `1,234.50` · `1 234,50`.
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{:.*}", places, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let int: i64 = int.parse().unwrap_or(0);
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{}", integer(int, lang));
    if !frac.is_empty() {
        out.push(decimal_sep(lang));
        out.push_str(frac);
    }
    out
}

/// A ratio (0.125) as a percentage with one decimal: `12.5%` · `12,5 %`.
pub fn percent(ratio: f64, lang: Lang) -> String {
    let n = decimal(ratio * 100.0, 1, lang);
    match lang {
        Lang::En => format!("{n}%"),
        Lang::Ru | Lang::Es => format!("{n}\u{a0}%"),
    }
}

/// A money amount with its currency code: `1,234.50 RUB` · `1 234,50 RUB`.
pub fn money(amount: f64, currency: &str, lang: Lang) -> String {
    format!("{}\u{a0}{currency}", decimal(amount, 2, lang))
}

/// A time (unix ms) in `zone`, as the language writes a date and a time:
/// `Dec 1, 2026, 14:05` · `1 дек. 2026, 14:05` · `1 dic 2026, 14:05`.
pub fn datetime(ms: i64, zone: Tz, lang: Lang) -> String {
    let Some(utc) = Utc.timestamp_millis_opt(ms).single() else {
        return "—".into();
    };
    let local = utc.with_timezone(&zone);
    match lang {
        Lang::En => local
            .format_localized("%b %-d, %Y, %H:%M", chrono::Locale::en_US)
            .to_string(),
        Lang::Ru => local
            .format_localized("%-d %b %Y, %H:%M", chrono::Locale::ru_RU)
            .to_string(),
        Lang::Es => local
            .format_localized("%-d %b %Y, %H:%M", chrono::Locale::es_ES)
            .to_string(),
    }
}

/// Only the time of day (unix ms) in `zone`: `14:05`.
pub fn time(ms: i64, zone: Tz) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&zone).format("%H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_each_language_writes_them() {
        assert_eq!(integer(1_234_567, Lang::En), "1,234,567");
        assert_eq!(integer(1_234_567, Lang::Ru), "1\u{a0}234\u{a0}567");
        assert_eq!(integer(1_234_567, Lang::Es), "1.234.567");
        assert_eq!(decimal(1234.5, 2, Lang::En), "1,234.50");
        assert_eq!(decimal(1234.5, 2, Lang::Ru), "1\u{a0}234,50");
        assert_eq!(decimal(-0.001, 2, Lang::En), "0.00");
        assert_eq!(decimal(-2.5, 1, Lang::Es), "-2,5");
        assert_eq!(percent(0.125, Lang::En), "12.5%");
        assert_eq!(percent(0.125, Lang::Ru), "12,5\u{a0}%");
        assert_eq!(money(3.5, "RUB", Lang::En), "3.50\u{a0}RUB");
        assert_eq!(decimal(f64::NAN, 2, Lang::En), "—");
    }

    #[test]
    fn times_in_the_zone_and_language_asked() {
        // 2026-12-01 11:05 UTC.
        let ms = 1_796_123_100_000;
        let moscow: Tz = "Europe/Moscow".parse().unwrap();
        let madrid: Tz = "Europe/Madrid".parse().unwrap();
        assert_eq!(datetime(ms, moscow, Lang::En), "Dec 1, 2026, 14:05");
        assert!(
            datetime(ms, moscow, Lang::Ru).starts_with("1 дек"),
            "{}",
            datetime(ms, moscow, Lang::Ru)
        );
        assert!(datetime(ms, madrid, Lang::Es).ends_with("2026, 12:05"));
        assert_eq!(time(ms, moscow), "14:05");
    }
}
