//! Dates in the contact's language: the `date` filter of templates.
//!
//! Month and weekday names come from the CLDR/glibc locale data that
//! chrono carries (`unstable-locales`, the `pure-rust-locales` crate); this
//! module only picks the locale for a language and the order of day and
//! month for each style. Styles:
//! - `"long"` (the default): day and month, as people write a birthday:
//!   "May 1" (en), "1 мая" (ru), "1 de mayo" (es);
//! - `"full"`: with the year: "May 1, 1990", "1 мая 1990", "1 de mayo de 1990";
//! - `"short"`: the locale's numeric date: "05/01/1990", "01.05.1990";
//! - anything containing `%`: a chrono `strftime` pattern, localized.

use chrono::{Locale, NaiveDate};

/// The locale for a language (primary subtag, `ru`, `es`, …): the most
/// common region for it, then `xx_XX`; English (US) when chrono has none.
pub fn locale_for(language: Option<&str>) -> Locale {
    let lang = language
        .map(|l| {
            l.split(['-', '_'])
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let preferred = match lang.as_str() {
        "en" | "" => "en_US",
        "pt" => "pt_BR",
        "uk" => "uk_UA",
        "kk" => "kk_KZ",
        "be" => "be_BY",
        "sv" => "sv_SE",
        "da" => "da_DK",
        "el" => "el_GR",
        "cs" => "cs_CZ",
        "ja" => "ja_JP",
        "zh" => "zh_CN",
        "ko" => "ko_KR",
        "he" => "he_IL",
        "hy" => "hy_AM",
        "ka" => "ka_GE",
        "ar" => "ar_EG",
        "hi" => "hi_IN",
        "vi" => "vi_VN",
        "fa" => "fa_IR",
        _ => "",
    };
    if let Ok(l) = Locale::try_from(preferred) {
        return l;
    }
    let guess = format!("{lang}_{}", lang.to_ascii_uppercase());
    Locale::try_from(guess.as_str()).unwrap_or(Locale::en_US)
}

/// The pattern of a named style for a language (None: not a style name).
fn style_pattern(style: &str, language: &str) -> Option<&'static str> {
    // Day-and-month order and the little words around them are grammar,
    // not locale data chrono has; the names themselves are the locale's.
    let long = match language {
        "en" | "" => "%B %-d",
        "es" | "pt" | "gl" => "%-d de %B",
        "de" | "da" | "nb" | "no" | "fi" | "cs" | "sk" => "%-d. %B",
        "ja" | "zh" => "%-m月%-d日",
        "ko" => "%-m월 %-d일",
        "hu" => "%B %-d.",
        _ => "%-d %B",
    };
    let full = match language {
        "en" | "" => "%B %-d, %Y",
        "es" | "pt" | "gl" => "%-d de %B de %Y",
        "de" | "da" | "nb" | "no" | "fi" | "cs" | "sk" => "%-d. %B %Y",
        "ja" | "zh" => "%Y年%-m月%-d日",
        "ko" => "%Y년 %-m월 %-d일",
        "hu" => "%Y. %B %-d.",
        _ => "%-d %B %Y",
    };
    match style {
        "long" => Some(long),
        "full" => Some(full),
        "short" => Some("%x"),
        _ => None,
    }
}

/// Why a date could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The style is neither a known name nor a `%` pattern.
    #[error("date style {0:?} is not one of long, full, short or a strftime pattern with %")]
    Style(String),
    /// The pattern has an unknown or unsupported `%` directive.
    #[error("date pattern {0:?} is not valid")]
    Pattern(String),
}

/// Formats `date` in `language` with `style` (see the module doc).
pub fn format_date(date: NaiveDate, language: Option<&str>, style: &str) -> Result<String, DateError> {
    use std::fmt::Write;
    let lang = language
        .and_then(|l| l.split(['-', '_']).next())
        .unwrap_or("")
        .to_ascii_lowercase();
    let pattern = match style_pattern(style, &lang) {
        Some(p) => p,
        None if style.contains('%') => style,
        None => return Err(DateError::Style(style.to_string())),
    };
    let items = chrono::format::StrftimeItems::new_with_locale(pattern, locale_for(language));
    // Refuse a bad pattern here rather than let Display fail (or panic).
    if items.clone().any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(DateError::Pattern(style.to_string()));
    }
    let mut out = String::new();
    write!(
        out,
        "{}",
        date.format_localized_with_items(items, locale_for(language))
    )
    .map_err(|_| DateError::Pattern(style.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may_first() -> NaiveDate {
        NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()
    }

    #[test]
    fn day_and_month_in_the_contacts_language() {
        assert_eq!(format_date(may_first(), Some("ru"), "long").unwrap(), "1 мая");
        assert_eq!(format_date(may_first(), Some("es"), "long").unwrap(), "1 de mayo");
        assert_eq!(format_date(may_first(), Some("en"), "long").unwrap(), "May 1");
        assert_eq!(format_date(may_first(), None, "long").unwrap(), "May 1");
        assert_eq!(format_date(may_first(), Some("de"), "long").unwrap(), "1. Mai");
        assert_eq!(format_date(may_first(), Some("xx"), "long").unwrap(), "1 May");
    }

    #[test]
    fn full_short_and_patterns() {
        assert_eq!(
            format_date(may_first(), Some("ru"), "full").unwrap(),
            "1 мая 1990"
        );
        assert_eq!(
            format_date(may_first(), Some("es"), "full").unwrap(),
            "1 de mayo de 1990"
        );
        assert_eq!(
            format_date(may_first(), Some("en"), "full").unwrap(),
            "May 1, 1990"
        );
        assert_eq!(
            format_date(may_first(), Some("ru"), "short").unwrap(),
            "01.05.1990"
        );
        assert_eq!(format_date(may_first(), Some("ru"), "%A").unwrap(), "Вторник");
        assert!(matches!(
            format_date(may_first(), Some("ru"), "weird"),
            Err(DateError::Style(_))
        ));
        assert!(matches!(
            format_date(may_first(), Some("ru"), "%Q"),
            Err(DateError::Pattern(_))
        ));
    }
}
