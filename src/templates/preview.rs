//! What a template costs and how it reads, before anything is sent.
//!
//! A [`Preview`] is fed contacts one at a time (the caller streams them in
//! pages), renders each, plans the text with the codec's own planner
//! ([`crate::sms::plan`], with the gateway's [`SplitOptions`] — the very
//! function `POST /v1/messages` runs, so the segment count here is what is
//! sent) and keeps only a bounded sample and aggregates: memory does not
//! grow with the audience. [`Preview::finish`] answers counts, segments,
//! the estimated cost (decimal money, never floating point) and warnings:
//! characters that force UCS-2 (with positions and the GSM 7-bit spelling
//! that would avoid it), recipients whose text takes more parts than the
//! shortest (and the variable to blame), and missing or empty variables.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::{RenderFailure, Template};
use crate::contacts::{AttrValue, ConsentStatus, Contact, ContactStatus};
use crate::sms::alphabet::Charset;
use crate::sms::{Encoding, NationalLanguage, SplitOptions};

/// Recipients shown in full, from the start of the audience.
pub const SAMPLE: usize = 20;
/// WarningRecipient recipients kept per warning.
pub const EXAMPLES: usize = 5;
/// Distinct characters reported as forcing UCS-2.
const MAX_UCS2_CHARS: usize = 32;
/// Positions reported per character.
const MAX_POSITIONS: usize = 10;

/// Why a contact was left out of the audience (a marketing send would not
/// reach it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExcludedCounts {
    /// Consent pending or none.
    pub no_consent: u64,
    /// On the opt-out list.
    pub opted_out: u64,
    /// Status invalid (hygiene).
    pub invalid: u64,
}

/// A recipient's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecipientError {
    /// `missing_variable`, `empty_variable`, `render_failed`, or what
    /// `POST /v1/messages` would answer: `empty_text`, `invalid_text`, `too_long`.
    pub code: &'static str,
    /// In words, naming the variable and the recipient.
    pub message: String,
    /// The variable, for missing and empty ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
}

/// One recipient's text as it would be sent, or why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecipientPreview {
    /// The contact (0 for a number that is not a contact).
    pub contact_id: i64,
    /// Its number.
    pub phone: String,
    /// The text to send (after punctuation normalisation, if configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `gsm7` or `ucs2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub encoding: Option<&'static str>,
    /// SMS the text takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<usize>,
    /// Why no text (the recipient is not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RecipientError>,
}

/// A recipient named in a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WarningRecipient {
    /// The contact.
    pub contact_id: i64,
    /// Its number.
    pub phone: String,
}

/// A recipient whose text takes more parts than the shortest, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LongerExample {
    /// The contact.
    pub contact_id: i64,
    /// Its number.
    pub phone: String,
    /// SMS its text takes.
    pub segments: usize,
    /// The variable with the longest value for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// That value's length, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_chars: Option<usize>,
    /// In words: "name is 48 characters", "attributes.city has 'Ж', which forces UCS-2".
    pub reason: String,
}

/// Something to fix before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewWarning {
    /// A character no GSM 7-bit table has: the texts holding it go as
    /// UCS-2 (70 characters per SMS instead of 160).
    Ucs2 {
        /// The character.
        character: String,
        /// Its code point, `U+2019`.
        code_point: String,
        /// The GSM 7-bit spelling that would avoid UCS-2, if there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        replacement: Option<String>,
        /// `template` (in the template's own text), `variable` (in a
        /// variable's value) or `filter` (written by a filter: a date in the
        /// contact's language).
        source: &'static str,
        /// The variable whose value holds it (source `variable`).
        #[serde(skip_serializing_if = "Option::is_none")]
        variable: Option<String>,
        /// Recipients whose text holds it.
        recipients: u64,
        /// The first of them.
        contact_id: i64,
        /// Where it is in that recipient's text (character indexes, 0-based).
        positions: Vec<usize>,
    },
    /// Some recipients' texts take more SMS than the shortest.
    Longer {
        /// SMS of the shortest text.
        shortest: usize,
        /// Recipients whose text takes more.
        recipients: u64,
        /// Some of them, the longest first, with the reason.
        examples: Vec<LongerExample>,
    },
    /// A variable the template uses has no value for some recipients: they
    /// would get no text.
    MissingVariable {
        /// The variable as written.
        variable: String,
        /// Recipients without it.
        recipients: u64,
        /// The first of them.
        examples: Vec<WarningRecipient>,
    },
    /// A variable renders empty for some recipients ("Hello ,").
    EmptyVariable {
        /// The variable as written.
        variable: String,
        /// Recipients for whom it is empty.
        recipients: u64,
        /// The first of them.
        examples: Vec<WarningRecipient>,
    },
    /// The text could not be made for some recipients for another reason
    /// (too long, out of fuel, a bad date).
    Failed {
        /// Why, for the first of them.
        message: String,
        /// Recipients.
        recipients: u64,
        /// The first of them.
        examples: Vec<WarningRecipient>,
    },
}

/// The preview of a template over an audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PreviewReport {
    /// Recipients who would get a text.
    pub count: u64,
    /// Recipients in the audience whose text could not be made.
    pub failed: u64,
    /// Contacts left out: a marketing send would not reach them.
    pub excluded: ExcludedCounts,
    /// SMS for the whole audience.
    pub segments_total: u64,
    /// SMS of the shortest text (null when nobody gets one).
    pub segments_min: Option<usize>,
    /// SMS of the longest text.
    pub segments_max: Option<usize>,
    /// `pricing.per_segment`, as a decimal string.
    pub per_segment: String,
    /// `pricing.currency` (ISO 4217).
    pub currency: String,
    /// `per_segment` × `segments_total`, a decimal string ("12.35").
    pub estimated_cost: String,
    /// The first recipients, in audience order (errors included).
    pub recipients: Vec<RecipientPreview>,
    /// The recipient with the fewest SMS (the first such).
    pub fewest: Option<RecipientPreview>,
    /// The recipient with the most SMS (the first such).
    pub most: Option<RecipientPreview>,
    /// What to fix before sending.
    pub warnings: Vec<PreviewWarning>,
}

#[derive(Debug)]
struct Ucs2Seen {
    source: &'static str,
    recipients: u64,
    contact_id: i64,
    positions: Vec<usize>,
    variable: Option<String>,
}

#[derive(Debug, Default)]
struct FailureSeen {
    recipients: u64,
    message: String,
    examples: Vec<WarningRecipient>,
}

/// A preview being computed: feed it contacts with [`Preview::add`].
pub struct Preview<'a> {
    template: &'a Template,
    split: &'a SplitOptions,
    default_zone: &'a str,
    variables: Vec<String>,
    count: u64,
    failed: u64,
    excluded: ExcludedCounts,
    segments_total: u64,
    by_segments: BTreeMap<usize, u64>,
    /// Up to [`EXAMPLES`] recipients per segment count above one.
    longer: BTreeMap<usize, Vec<LongerExample>>,
    sample: Vec<RecipientPreview>,
    fewest: Option<RecipientPreview>,
    most: Option<RecipientPreview>,
    ucs2: BTreeMap<char, Ucs2Seen>,
    ucs2_order: Vec<char>,
    missing: BTreeMap<String, FailureSeen>,
    empty: BTreeMap<String, FailureSeen>,
    other: FailureSeen,
    /// What each message adds (a promo code and links of the real length).
    extras: super::Extras<'a>,
}

impl<'a> Preview<'a> {
    /// Renders with `extras` (a sample promo code, links written as the
    /// real messages' will be: [`crate::attribution::preview_extras`]), so
    /// the counts are those of the real texts.
    pub fn with_extras(mut self, extras: super::Extras<'a>) -> Self {
        self.extras = extras;
        self
    }

    /// A preview of `template`, encoded as `split` says; `default_zone`
    /// stands for contacts without a zone.
    pub fn new(template: &'a Template, split: &'a SplitOptions, default_zone: &'a str) -> Self {
        Preview {
            template,
            split,
            default_zone,
            variables: template.variables(),
            count: 0,
            failed: 0,
            excluded: ExcludedCounts::default(),
            segments_total: 0,
            by_segments: BTreeMap::new(),
            longer: BTreeMap::new(),
            sample: Vec::new(),
            fewest: None,
            most: None,
            ucs2: BTreeMap::new(),
            ucs2_order: Vec::new(),
            missing: BTreeMap::new(),
            empty: BTreeMap::new(),
            other: FailureSeen::default(),
            extras: super::Extras::default(),
        }
    }

    /// Renders `{{ tracking_number }}` as `number` (a campaign's call-tracking SIM's).
    pub fn with_tracking_number(mut self, number: Option<&'a str>) -> Self {
        self.extras.tracking_number = number;
        self
    }

    /// Adds one contact: left out (counted by reason) if a marketing send
    /// would not reach it, else rendered and planned.
    pub fn add(&mut self, contact: &Contact) {
        if !contact.may_receive_marketing() {
            if contact.opted_out.is_some() {
                self.excluded.opted_out += 1;
            } else if contact.status == ContactStatus::Invalid {
                self.excluded.invalid += 1;
            } else if contact.consent.status != ConsentStatus::OptedIn {
                self.excluded.no_consent += 1;
            }
            return;
        }
        self.add_reachable(contact);
    }

    /// Adds one contact whatever its consent (transactional texts).
    pub fn add_reachable(&mut self, contact: &Contact) {
        let rendered = self
            .template
            .render_with(contact, self.default_zone, &self.extras);
        let (text, failure) = match rendered {
            Ok(text) => (Some(text), None),
            Err(e) => (None, Some(e.failure)),
        };
        // The checks POST /v1/messages makes, in its order, with its codes.
        if let Some(t) = &text {
            let refused = if t.trim().is_empty() {
                Some(("empty_text", "the text is empty".to_string()))
            } else {
                crate::sms::check_text(t)
                    .err()
                    .map(|e| ("invalid_text", format!("the text would be refused: {e}")))
            };
            if let Some((code, message)) = refused {
                self.add_failure(contact, RenderFailure::Failed(message), code);
                return;
            }
        }
        let planned = text.map(|t| crate::sms::plan(&t, self.split).map_err(|e| (t, e)));
        match (planned, failure) {
            (Some(Ok(plan)), _) => self.add_text(contact, plan),
            (Some(Err((_, e))), _) => {
                let failure = RenderFailure::Failed(format!("the text is too long to send: {e}"));
                self.add_failure(contact, failure, "too_long");
            }
            (None, Some(f)) => {
                let code = f.code();
                self.add_failure(contact, f, code);
            }
            (None, None) => {}
        }
    }

    fn add_text(&mut self, contact: &Contact, plan: crate::sms::TextPlan) {
        let segments = plan.segment_count();
        self.count += 1;
        self.segments_total += segments as u64;
        *self.by_segments.entry(segments).or_default() += 1;
        let encoding = plan.encoding.as_str();
        let view = || RecipientPreview {
            contact_id: contact.id,
            phone: contact.phone.clone(),
            text: Some(plan.text.clone()),
            encoding: Some(encoding),
            segments: Some(segments),
            error: None,
        };
        if self.sample.len() < SAMPLE {
            self.sample.push(view());
        }
        if self
            .fewest
            .as_ref()
            .and_then(|r| r.segments)
            .is_none_or(|s| segments < s)
        {
            self.fewest = Some(view());
        }
        if self
            .most
            .as_ref()
            .and_then(|r| r.segments)
            .is_none_or(|s| segments > s)
        {
            self.most = Some(view());
        }
        let forcing = if plan.encoding == Encoding::Ucs2 {
            self.note_ucs2(contact, &plan.text)
        } else {
            None
        };
        if segments > 1 {
            let examples = self.longer.entry(segments).or_default();
            if examples.len() < EXAMPLES {
                let example = longer_example(contact, segments, &self.variables, forcing);
                self.longer.entry(segments).or_default().push(example);
            }
        }
    }

    /// Records the characters of `text` that force UCS-2; returns the first
    /// one that did not come from the template's own text, with the
    /// variable holding it (`None`: a filter wrote it).
    fn note_ucs2(&mut self, contact: &Contact, text: &str) -> Option<(char, Option<String>)> {
        let mut first_from_variable = None;
        let mut seen_here: Vec<char> = Vec::new();
        for (i, c) in text.chars().enumerate() {
            if fits_gsm7(c, &self.split.national) {
                continue;
            }
            let in_template = self.template.source().contains(c);
            let variable = if in_template {
                None
            } else {
                variable_holding(contact, &self.variables, c)
            };
            if first_from_variable.is_none() && !in_template {
                first_from_variable = Some((c, variable.clone()));
            }
            let fresh = !seen_here.contains(&c);
            if fresh {
                seen_here.push(c);
            }
            let room = self.ucs2.len() < MAX_UCS2_CHARS;
            match self.ucs2.get_mut(&c) {
                Some(seen) => {
                    if fresh {
                        seen.recipients += 1;
                    }
                    if seen.contact_id == contact.id
                        && seen.positions.len() < MAX_POSITIONS
                        && seen.recipients == 1
                    {
                        seen.positions.push(i);
                    }
                }
                None if room => {
                    self.ucs2_order.push(c);
                    self.ucs2.insert(
                        c,
                        Ucs2Seen {
                            source: match (in_template, &variable) {
                                (true, _) => "template",
                                (false, Some(_)) => "variable",
                                (false, None) => "filter",
                            },
                            recipients: 1,
                            contact_id: contact.id,
                            positions: vec![i],
                            variable,
                        },
                    );
                }
                None => {}
            }
        }
        first_from_variable
    }

    fn add_failure(&mut self, contact: &Contact, failure: RenderFailure, code: &'static str) {
        self.failed += 1;
        let message = format!("contact {} ({}): {failure}", contact.id, contact.phone);
        if self.sample.len() < SAMPLE {
            self.sample.push(RecipientPreview {
                contact_id: contact.id,
                phone: contact.phone.clone(),
                text: None,
                encoding: None,
                segments: None,
                error: Some(RecipientError {
                    code,
                    message: message.clone(),
                    variable: failure.variable().map(str::to_string),
                }),
            });
        }
        let seen = match &failure {
            RenderFailure::Missing { variable } => self.missing.entry(variable.clone()).or_default(),
            RenderFailure::Empty { variable } => self.empty.entry(variable.clone()).or_default(),
            RenderFailure::Failed(_) => &mut self.other,
        };
        seen.recipients += 1;
        if seen.message.is_empty() {
            seen.message = message;
        }
        if seen.examples.len() < EXAMPLES {
            seen.examples.push(WarningRecipient {
                contact_id: contact.id,
                phone: contact.phone.clone(),
            });
        }
    }

    /// The report, priced at `per_segment` in `currency`.
    pub fn finish(self, per_segment: Decimal, currency: &str) -> PreviewReport {
        let mut warnings = Vec::new();
        for c in &self.ucs2_order {
            if let Some(seen) = self.ucs2.get(c) {
                warnings.push(PreviewWarning::Ucs2 {
                    character: c.to_string(),
                    code_point: format!("U+{:04X}", u32::from(*c)),
                    replacement: gsm7_replacement(*c, &self.split.national),
                    source: seen.source,
                    variable: seen.variable.clone(),
                    recipients: seen.recipients,
                    contact_id: seen.contact_id,
                    positions: seen.positions.clone(),
                });
            }
        }
        let shortest = self.by_segments.keys().next().copied();
        if let Some(shortest) = shortest {
            let recipients: u64 = self.by_segments.range(shortest + 1..).map(|(_, n)| n).sum();
            if recipients > 0 {
                let examples = self
                    .longer
                    .range(shortest + 1..)
                    .rev()
                    .flat_map(|(_, v)| v.iter().cloned())
                    .take(EXAMPLES)
                    .collect();
                warnings.push(PreviewWarning::Longer {
                    shortest,
                    recipients,
                    examples,
                });
            }
        }
        for (variable, seen) in self.missing {
            warnings.push(PreviewWarning::MissingVariable {
                variable,
                recipients: seen.recipients,
                examples: seen.examples,
            });
        }
        for (variable, seen) in self.empty {
            warnings.push(PreviewWarning::EmptyVariable {
                variable,
                recipients: seen.recipients,
                examples: seen.examples,
            });
        }
        if self.other.recipients > 0 {
            warnings.push(PreviewWarning::Failed {
                message: self.other.message,
                recipients: self.other.recipients,
                examples: self.other.examples,
            });
        }
        PreviewReport {
            count: self.count,
            failed: self.failed,
            excluded: self.excluded,
            segments_total: self.segments_total,
            segments_min: shortest,
            segments_max: self.by_segments.keys().next_back().copied(),
            per_segment: money(per_segment),
            currency: currency.to_string(),
            estimated_cost: money(cost(per_segment, self.segments_total)),
            recipients: self.sample,
            fewest: self.fewest,
            most: self.most,
            warnings,
        }
    }
}

/// `per_segment` × `segments`, exact (saturating at the largest decimal).
pub fn cost(per_segment: Decimal, segments: u64) -> Decimal {
    per_segment
        .checked_mul(Decimal::from(segments))
        .unwrap_or(Decimal::MAX)
}

/// A money amount as a string with at least two decimals ("12.35", "0.0105").
pub fn money(amount: Decimal) -> String {
    let mut a = amount.normalize();
    if a.scale() < 2 {
        a.rescale(2);
    }
    a.to_string()
}

/// Whether some GSM 7-bit table simfleet may use writes `c`.
pub fn fits_gsm7(c: char, national: &[NationalLanguage]) -> bool {
    Charset::DEFAULT.code_of(c).is_some()
        || national.iter().any(|&l| {
            Charset {
                locking: l.has_locking_table().then_some(l),
                single: Some(l),
            }
            .code_of(c)
            .is_some()
        })
}

/// The GSM 7-bit spelling of `c`, if it has one: the typographic
/// replacements the codec knows (`’` → `'`), else the letter without its
/// accent when that letter fits (`á` → `a`).
pub fn gsm7_replacement(c: char, national: &[NationalLanguage]) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    if let Some(r) = crate::sms::normalize::replacement(c) {
        return Some(r.to_string());
    }
    let base: String = c
        .to_string()
        .nfd()
        .filter(|d| !unicode_normalization::char::is_combining_mark(*d))
        .collect();
    (!base.is_empty() && base != c.to_string() && base.chars().all(|b| fits_gsm7(b, national)))
        .then_some(base)
}

/// The values a template's variables take for `contact`, as text.
fn variable_values<'v>(contact: &Contact, variables: &'v [String]) -> Vec<(&'v str, String)> {
    variables
        .iter()
        .filter_map(|v| {
            let value = match v.as_str() {
                "name" => contact.name.clone(),
                "phone" => Some(contact.phone.clone()),
                "language" => contact.language.clone(),
                "time_zone" => contact.time_zone.clone(),
                "tags" => Some(contact.tags.join(", ")),
                other => other
                    .strip_prefix("attributes.")
                    .and_then(|a| contact.attributes.get(a))
                    .map(|a| match a {
                        AttrValue::String(s) => s.clone(),
                        other => other.to_json().to_string(),
                    }),
            };
            value.map(|val| (v.as_str(), val))
        })
        .collect()
}

fn variable_holding(contact: &Contact, variables: &[String], c: char) -> Option<String> {
    variable_values(contact, variables)
        .into_iter()
        .find(|(_, val)| val.contains(c))
        .map(|(v, _)| v.to_string())
}

fn longer_example(
    contact: &Contact,
    segments: usize,
    variables: &[String],
    forcing: Option<(char, Option<String>)>,
) -> LongerExample {
    let longest = variable_values(contact, variables)
        .into_iter()
        .map(|(v, val)| (v, val.chars().count()))
        .max_by_key(|(_, n)| *n);
    let (variable, value_chars, reason) = match (forcing, longest) {
        (Some((c, None)), _) => (
            None,
            None,
            format!(
                "'{c}', written by a filter (a date in the contact's language), forces UCS-2 (70 characters per SMS)"
            ),
        ),
        (Some((c, Some(v))), _) => {
            let n = variable_values(contact, std::slice::from_ref(&v))
                .first()
                .map(|(_, val)| val.chars().count());
            let reason = format!("{v} has '{c}', which forces UCS-2 (70 characters per SMS)");
            (Some(v), n, reason)
        }
        (None, Some((v, n))) => (Some(v.to_string()), Some(n), format!("{v} is {n} characters")),
        (None, None) => (None, None, "the template's own text is long".to_string()),
    };
    LongerExample {
        contact_id: contact.id,
        phone: contact.phone.clone(),
        segments,
        variable,
        value_chars,
        reason,
    }
}

#[cfg(test)]
mod tests;
