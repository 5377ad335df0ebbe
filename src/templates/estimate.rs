//! What one text costs as it is typed: the live counter of the send page
//! and `POST /v1/messages/estimate`.
//!
//! The text is checked and planned exactly as `POST /v1/messages` does
//! ([`plan_text`] is the check that route runs), so the encoding and
//! segments shown are what is sent. On top, the estimate names the
//! characters that force UCS-2 (70 characters per SMS instead of 160),
//! with the GSM 7-bit spelling that avoids each when there is one, and
//! the whole text so spelled when that saves segments.

use rust_decimal::Decimal;
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

use super::preview::{cost, fits_gsm7, gsm7_replacement, money};
use crate::sms::{self, Encoding, SplitOptions, TextPlan};

/// Distinct characters named as forcing UCS-2.
const MAX_FORCING: usize = 32;

/// Why a text cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextProblem {
    /// Nothing but white space.
    #[error("text is empty")]
    Empty,
    /// A control character no handset shows.
    #[error(transparent)]
    Control(#[from] sms::ControlCharacter),
    /// More segments than one message may have.
    #[error("{0}")]
    TooLong(String),
}

impl TextProblem {
    /// The API's error code for it (`empty_text`, `invalid_text`, `too_long`).
    pub fn code(&self) -> &'static str {
        match self {
            TextProblem::Empty => "empty_text",
            TextProblem::Control(_) => "invalid_text",
            TextProblem::TooLong(_) => "too_long",
        }
    }
}

/// Checks `text` as `POST /v1/messages` does and plans it with `split`.
pub fn plan_text(text: &str, split: &SplitOptions) -> Result<TextPlan, TextProblem> {
    if text.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    sms::check_text(text)?;
    sms::plan(text, split).map_err(|e| TextProblem::TooLong(e.to_string()))
}

/// A character that makes the text go as UCS-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ForcingCharacter {
    /// The character.
    pub character: String,
    /// Its code point, `U+2019`.
    pub code_point: String,
    /// The GSM 7-bit spelling that avoids it, if there is one (`’` → `'`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// How many times the text has it.
    pub count: usize,
    /// Where it first is (characters, 0-based).
    pub first_position: usize,
}

/// The text spelled without the characters that force UCS-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Gsm7Spelling {
    /// The text with each replaceable character replaced.
    pub text: String,
    /// Segments it takes.
    pub segments: usize,
}

/// What a text costs and how it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TextEstimate {
    /// Characters (Unicode scalar values) as typed.
    pub characters: usize,
    /// `gsm7` or `ucs2`.
    #[schema(value_type = String)]
    pub encoding: &'static str,
    /// The national table used (`es`, `pt`, `tr`), when one saves segments
    /// and `sending.national_languages` allows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub national: Option<&'static str>,
    /// SMS (segments) per recipient.
    pub segments: usize,
    /// Whether typographic punctuation is replaced when sent
    /// (`sending.normalize_punctuation`), keeping it GSM 7-bit.
    pub normalized: bool,
    /// Recipients counted.
    pub recipients: u64,
    /// `pricing.per_segment` × segments × recipients, a decimal string.
    pub cost: String,
    /// `pricing.currency`.
    pub currency: String,
    /// The characters that force UCS-2 (empty unless `encoding` is `ucs2`).
    pub forcing: Vec<ForcingCharacter>,
    /// The text spelled in GSM 7-bit, when every forcing character has a
    /// spelling and that takes fewer segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gsm7_spelling: Option<Gsm7Spelling>,
}

/// The estimate of `text` sent to `recipients` numbers under `split`, at
/// `per_segment` in `currency`.
pub fn estimate(
    text: &str,
    recipients: u64,
    split: &SplitOptions,
    per_segment: Decimal,
    currency: &str,
) -> Result<TextEstimate, TextProblem> {
    let plan = plan_text(text, split)?;
    let segments = plan.segment_count();
    let mut forcing: Vec<ForcingCharacter> = Vec::new();
    if plan.encoding == Encoding::Ucs2 {
        for (i, c) in plan.text.chars().enumerate() {
            if fits_gsm7(c, &split.national) {
                continue;
            }
            let s = c.to_string();
            let room = forcing.len() < MAX_FORCING;
            match forcing.iter_mut().find(|f| f.character == s) {
                Some(f) => f.count += 1,
                None if room => forcing.push(ForcingCharacter {
                    code_point: format!("U+{:04X}", u32::from(c)),
                    replacement: gsm7_replacement(c, &split.national),
                    character: s,
                    count: 1,
                    first_position: i,
                }),
                None => {}
            }
        }
    }
    let gsm7_spelling = if !forcing.is_empty() && forcing.iter().all(|f| f.replacement.is_some()) {
        let spelled: String = plan
            .text
            .chars()
            .map(|c| {
                if fits_gsm7(c, &split.national) {
                    c.to_string()
                } else {
                    gsm7_replacement(c, &split.national).unwrap_or_else(|| c.to_string())
                }
            })
            .collect();
        match sms::plan(&spelled, split) {
            Ok(p) if p.encoding == Encoding::Gsm7 && p.segment_count() <= segments => Some(Gsm7Spelling {
                text: spelled,
                segments: p.segment_count(),
            }),
            _ => None,
        }
    } else {
        None
    };
    let national = plan.charset.locking.or(plan.charset.single).map(|l| l.code());
    Ok(TextEstimate {
        characters: text.chars().count(),
        encoding: plan.encoding.as_str(),
        national: if plan.encoding == Encoding::Gsm7 {
            national
        } else {
            None
        },
        segments,
        normalized: plan.normalized,
        recipients,
        cost: money(cost(per_segment, segments as u64 * recipients)),
        currency: currency.to_string(),
        forcing,
        gsm7_spelling,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::NationalLanguage;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_plain_text_is_one_gsm7_segment_and_costs_the_price_per_recipient() {
        let e = estimate(
            "Your order is ready",
            3,
            &SplitOptions::default(),
            d("0.05"),
            "EUR",
        )
        .unwrap();
        assert_eq!((e.encoding, e.segments, e.characters), ("gsm7", 1, 19));
        assert_eq!((e.cost.as_str(), e.currency.as_str()), ("0.15", "EUR"));
        assert!(e.forcing.is_empty() && e.gsm7_spelling.is_none());
    }

    #[test]
    fn a_curly_quote_forces_ucs2_and_its_plain_spelling_is_offered() {
        let text = format!("It’s ready{}", " and waiting for you".repeat(4));
        let e = estimate(&text, 1, &SplitOptions::default(), Decimal::ZERO, "USD").unwrap();
        assert_eq!((e.encoding, e.segments), ("ucs2", 2));
        assert_eq!(e.forcing.len(), 1);
        let f = &e.forcing[0];
        assert_eq!(
            (
                f.character.as_str(),
                f.code_point.as_str(),
                f.replacement.as_deref()
            ),
            ("’", "U+2019", Some("'"))
        );
        assert_eq!((f.count, f.first_position), (1, 2));
        let s = e.gsm7_spelling.unwrap();
        assert!(s.text.starts_with("It's ready"));
        assert_eq!(s.segments, 1);
    }

    #[test]
    fn cyrillic_has_no_gsm7_spelling_and_each_letter_is_counted() {
        let e = estimate("Привет мир", 1, &SplitOptions::default(), Decimal::ZERO, "RUB").unwrap();
        assert_eq!(e.encoding, "ucs2");
        assert_eq!(e.forcing.len(), 7, "и and р are listed once: {:?}", e.forcing);
        let i = e.forcing.iter().find(|f| f.character == "и").unwrap();
        assert_eq!((i.count, i.first_position), (2, 2));
        assert!(e.forcing.iter().all(|f| f.replacement.is_none()));
        assert!(e.gsm7_spelling.is_none());
    }

    #[test]
    fn a_national_table_is_named_when_it_is_used() {
        let split = SplitOptions {
            national: vec![NationalLanguage::Spanish],
            ..SplitOptions::default()
        };
        let e = estimate(&"ñandú ".repeat(30), 1, &split, Decimal::ZERO, "USD").unwrap();
        if e.encoding == "gsm7" {
            assert_eq!(e.national, Some("es"));
        }
    }

    #[test]
    fn what_the_api_refuses_is_refused_with_its_code() {
        let split = SplitOptions::default();
        assert_eq!(plan_text("  \n", &split).unwrap_err().code(), "empty_text");
        assert_eq!(plan_text("a\u{7}b", &split).unwrap_err().code(), "invalid_text");
        assert_eq!(
            plan_text(&"Ж".repeat(20_000), &split).unwrap_err().code(),
            "too_long"
        );
    }
}
