//! What a campaign is asked to do, as `POST /v1/campaigns` (or a file for
//! `simfleet campaign create`) writes it, checked into a [`Spec`]: the
//! audience, the variants (templates with weights), when it may send
//! (start, deadline, each recipient's window), how fast and how often
//! (rate, frequency cap) and the optional A/B test. The store keeps the
//! [`Spec`] as JSON; unset options take `[campaigns]` defaults when the
//! campaign starts, so a draft follows the configuration until then.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::window::{Window, WindowSpec};
use crate::templates::Template;

/// Longest campaign name, in characters.
pub const MAX_NAME: usize = 100;
/// Most variants in one campaign.
pub const MAX_VARIANTS: usize = 10;
/// Longest variant name, in characters.
pub const MAX_VARIANT_NAME: usize = 32;
/// Most numbers listed in an audience of `contacts`.
pub const MAX_LISTED_CONTACTS: usize = 100_000;

/// A campaign as the API takes it: every field optional here so that a
/// missing one is named in a [`SpecError`] rather than a serde message,
/// and so that `PATCH` can merge into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// A name for people (1–100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who gets it: `{"segment": ID}`, `{"filter": {...}}` (a segment
    /// filter) or `{"contacts": ["+4915…", 17, …]}` (numbers or contact ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub audience: Option<Value>,
    /// One or more texts (templates), split by weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<Vec<VariantInput>>,
    /// When sending begins, RFC 3339 (default: when started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// After this nothing more is sent, RFC 3339 (default: the start plus
    /// `campaigns.deadline_hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Hours each recipient may get it, on their own clock (default
    /// `campaigns.window_start`–`window_end` on `campaigns.window_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSpec>,
    /// Most messages per hour for this campaign, across all SIMs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_hour: Option<u32>,
    /// Most marketing messages a contact may get; each field left out
    /// takes `campaigns.cap_per_24h` / `cap_per_7d` when the campaign
    /// starts and feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_cap: Option<FrequencyCapInput>,
    /// Test the variants on a share of the audience, then send the winner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ab_test: Option<AbTestInput>,
    /// Ask for delivery reports (default true: the delivery rate needs them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_report: Option<bool>,
    /// The text is a survey question: replies that match an option are
    /// counted as votes (in the campaign's figures and at
    /// `/v1/surveys/{survey_id}`). The text itself should list the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveyInput>,
    /// Call tracking: incoming calls to this SIM count for the campaign
    /// (overall and per variant), and its number is `{{ tracking_number }}`
    /// in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_tracking: Option<CallTrackingInput>,
}

/// `call_tracking`, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallTrackingInput {
    /// IMSI of the SIM whose calls are counted (6 to 15 digits, as
    /// `GET /v1/modems` shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9]{6,15}$")]
    pub sim: Option<String>,
}

/// A campaign's call tracking, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTracking {
    /// IMSI of the SIM called.
    pub sim: String,
}

/// A campaign's survey, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// Reply key → label, e.g. `{"1": "Yes", "2": "No"}`: at least two; a
    /// key has 1 to 16 characters without spaces, a label is not empty.
    pub options: std::collections::BTreeMap<String, String>,
    /// Which vote of a voter counts: `first` (default) or `last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// Sent once to a recipient whose reply is not a vote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reply: Option<String>,
}

/// A campaign's survey, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSurvey {
    /// `(key, label)`, keys as given, labels trimmed.
    pub options: Vec<(String, String)>,
    /// `first` or `last`.
    pub count: String,
    /// Clarification sent once to a reply that is not a vote.
    pub invalid_reply: Option<String>,
}

/// Longest survey option key, in characters (as `/v1/surveys`).
pub const MAX_OPTION_KEY: usize = 16;

impl SurveyInput {
    /// Checks it (the rules of `/v1/surveys`).
    pub fn check(&self) -> Result<CampaignSurvey, SpecError> {
        if self.options.len() < 2 || self.options.len() > 20 {
            return Err(err("survey.options", "from 2 to 20 options"));
        }
        let mut options = Vec::with_capacity(self.options.len());
        for (key, label) in &self.options {
            if key.is_empty() || key.chars().count() > MAX_OPTION_KEY || key.chars().any(char::is_whitespace)
            {
                return Err(err(
                    "survey.options",
                    format!("option key {key:?} must be 1 to {MAX_OPTION_KEY} characters without spaces"),
                ));
            }
            crate::sms::check_text(key)
                .map_err(|e| err("survey.options", format!("option key {key:?}: {e}")))?;
            if label.trim().is_empty() {
                return Err(err("survey.options", format!("option {key:?} has no label")));
            }
            crate::sms::check_text(label)
                .map_err(|e| err("survey.options", format!("option {key:?}: {e}")))?;
            options.push((key.clone(), label.trim().to_string()));
        }
        let count = match self.count.as_deref() {
            None | Some("first") => "first",
            Some("last") => "last",
            Some(other) => {
                return Err(err(
                    "survey.count",
                    format!("{other:?} must be \"first\" or \"last\""),
                ));
            }
        };
        let invalid_reply = match self.invalid_reply.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => {
                crate::sms::check_text(t).map_err(|e| err("survey.invalid_reply", e.to_string()))?;
                Some(t.to_string())
            }
        };
        Ok(CampaignSurvey {
            options,
            count: count.into(),
            invalid_reply,
        })
    }
}

/// One variant as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    /// Its name (`A`, `B`, `discount`…), unique in the campaign.
    #[serde(default)]
    pub name: Option<String>,
    /// The template (minijinja, as `/v1/templates`).
    #[serde(default)]
    pub text: Option<String>,
    /// Its share of the audience relative to the others' (default 1).
    #[serde(default)]
    pub weight: Option<u32>,
}

/// Per-contact caps on marketing messages, across campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCap {
    /// Most in any 24 hours.
    pub per_24h: u32,
    /// Most in any 7 days.
    pub per_7d: u32,
}

/// Per-contact caps as a campaign gives them: `{"per_24h": 2}` alone is
/// fine, each field left out taking the `[campaigns]` default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCapInput {
    /// Most in any 24 hours (default `campaigns.cap_per_24h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_24h: Option<u32>,
    /// Most in any 7 days (default `campaigns.cap_per_7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_7d: Option<u32>,
}

impl FrequencyCapInput {
    /// The cap in force: each field given, else `default`'s.
    pub fn resolve(&self, default: FrequencyCap) -> FrequencyCap {
        FrequencyCap {
            per_24h: self.per_24h.unwrap_or(default.per_24h),
            per_7d: self.per_7d.unwrap_or(default.per_7d),
        }
    }

    /// Checks the fields given (each at least 1, per_24h at most 1000,
    /// per_7d at most 7000 and not below per_24h when both are given).
    pub fn check(&self) -> Result<(), String> {
        if self.per_24h.is_none() && self.per_7d.is_none() {
            return Err("give per_24h, per_7d or both (or leave frequency_cap out)".into());
        }
        // Stand-ins that pass for the fields not given.
        check_cap(&FrequencyCap {
            per_24h: self.per_24h.unwrap_or(1),
            per_7d: self.per_7d.unwrap_or(self.per_24h.unwrap_or(1).max(1)),
        })
    }
}

/// A/B test-then-winner, as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbTestInput {
    /// Share of the audience that gets the variants (0 < share < 1).
    pub test_share: f64,
    /// How long after the start the winner is chosen: `30m`, `4h`, `1d`.
    pub decide_after: String,
    /// What counts as success.
    pub metric: Metric,
}

/// What an A/B test compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Replies per message sent.
    Reply,
    /// Link clicks per message sent.
    Click,
    /// Promo codes redeemed per message sent.
    Redeem,
    /// Delivery reports per message sent.
    Delivered,
}

impl Metric {
    /// Its API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Reply => "reply",
            Metric::Click => "click",
            Metric::Redeem => "redeem",
            Metric::Delivered => "delivered",
        }
    }
}

/// Who gets it, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A saved segment, read when the campaign starts.
    Segment(i64),
    /// A filter (validated against the store when given).
    Filter(Value),
    /// Numbers (canonical E.164 or short codes) or contact ids, as given.
    Contacts(Vec<ContactRef>),
}

/// One entry of a `contacts` audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRef {
    /// A contact id.
    Id(i64),
    /// A number as given (read like `/v1/messages` reads `to` at start).
    Phone(String),
}

/// A variant, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Unique name.
    pub name: String,
    /// Template source (compiles).
    pub text: String,
    /// Relative weight, ≥ 1.
    pub weight: u32,
}

/// The A/B test, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AbTest {
    /// 0 < share < 1.
    pub test_share: f64,
    /// Seconds after the start.
    pub decide_after_secs: i64,
    /// Success.
    pub metric: Metric,
}

/// A campaign's checked request. Times are unix ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Name.
    pub name: String,
    /// Who.
    pub audience: Audience,
    /// What, at least one.
    pub variants: Vec<Variant>,
    /// Not before (default: when started).
    pub start_at: Option<i64>,
    /// Not after (default: start + `campaigns.deadline_hours`).
    pub deadline: Option<i64>,
    /// Window (default `[campaigns]`).
    pub window: Option<WindowSpec>,
    /// Messages per hour, if limited.
    pub rate_per_hour: Option<u32>,
    /// Caps as given (each missing field: `[campaigns]`).
    pub frequency_cap: Option<FrequencyCapInput>,
    /// A/B test-then-winner.
    pub ab_test: Option<AbTest>,
    /// Ask for delivery reports.
    pub status_report: bool,
    /// The text is a survey question with these options.
    #[serde(default)]
    pub survey: Option<CampaignSurvey>,
    /// Calls to this SIM count for the campaign.
    #[serde(default)]
    pub call_tracking: Option<CallTracking>,
    /// The request as given (what `GET` shows and `PATCH` merges into).
    pub input: CampaignInput,
}

/// What is wrong with a campaign request: the field (`variants[1].text`)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// JSON path of the field.
    pub field: String,
    /// Why, in words.
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError {
        field: field.into(),
        message: message.into(),
    }
}

/// Reads an RFC 3339 time into unix ms.
/// Refuses times after the year 9000 (a deadline derived from them must
/// stay writable in RFC 3339, whose years have four digits).
pub fn parse_time(field: &str, s: &str) -> Result<i64, SpecError> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim()).map_err(|e| {
        err(
            field,
            format!("{s:?} is not an RFC 3339 time (2026-12-01T09:00:00+03:00): {e}"),
        )
    })?;
    if chrono::Datelike::year(&t.naive_utc()) > MAX_YEAR {
        return Err(err(
            field,
            format!("{s:?} is too far in the future: give a time before the year {MAX_YEAR}"),
        ));
    }
    Ok(t.timestamp_millis())
}

/// Latest year a campaign time may fall in.
const MAX_YEAR: i32 = 9000;

/// Reads a duration written `90s`, `30m`, `4h`, `2d`, compound `1h30m`
/// or `1d 12h` (units in any case), or a number of seconds, into seconds
/// (1 s to 366 days).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is not a duration such as 30m, 4h, 1h30m or 2d");
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t.as_str();
    let mut total: i64 = 0;
    let mut parts = 0;
    while !rest.is_empty() {
        let split = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (num, after) = rest.split_at(split);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let mult = match unit {
            "" if parts == 0 && next.is_empty() => 1,
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{s:?} is out of range (1 s to 366 days)"))?;
        parts += 1;
        rest = next.trim_start();
    }
    Some(total)
        .filter(|v| *v > 0 && *v <= 366 * 86_400)
        .ok_or_else(|| format!("{s:?} is out of range (1 s to 366 days)"))
}

impl CampaignInput {
    /// Checks it into a [`Spec`]. The audience's segment, filter and
    /// contacts are checked against the store by the caller
    /// (`campaigns::create`); templates compile here.
    pub fn check(&self) -> Result<Spec, SpecError> {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| err("name", "missing: give the campaign a name"))?;
        if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(err(
                "name",
                format!("at most {MAX_NAME} characters, no control characters"),
            ));
        }
        let audience = self.check_audience()?;
        let variants = self.check_variants()?;
        let start_at = self
            .start_at
            .as_deref()
            .map(|s| parse_time("start_at", s))
            .transpose()?;
        let deadline = self
            .deadline
            .as_deref()
            .map(|s| parse_time("deadline", s))
            .transpose()?;
        if let (Some(s), Some(d)) = (start_at, deadline)
            && d <= s
        {
            return Err(err("deadline", "must be after start_at"));
        }
        if let Some(w) = &self.window {
            w.parse().map_err(|e| err("window", e))?;
        }
        if self.rate_per_hour == Some(0) {
            return Err(err("rate_per_hour", "must be at least 1 (omit it for no limit)"));
        }
        if let Some(cap) = &self.frequency_cap {
            cap.check().map_err(|e| err("frequency_cap", e))?;
        }
        let ab_test = match &self.ab_test {
            None => None,
            Some(ab) => {
                if !(ab.test_share > 0.0 && ab.test_share < 1.0) {
                    return Err(err(
                        "ab_test.test_share",
                        "must be between 0 and 1 (0.2: a fifth of the audience tests the variants)",
                    ));
                }
                if variants.len() < 2 {
                    return Err(err("ab_test", "an A/B test needs at least two variants"));
                }
                let secs = parse_duration(&ab.decide_after).map_err(|e| err("ab_test.decide_after", e))?;
                Some(AbTest {
                    test_share: ab.test_share,
                    decide_after_secs: secs,
                    metric: ab.metric,
                })
            }
        };
        Ok(Spec {
            name: name.to_string(),
            audience,
            variants,
            start_at,
            deadline,
            window: self.window.clone(),
            rate_per_hour: self.rate_per_hour,
            frequency_cap: self.frequency_cap,
            ab_test,
            status_report: self.status_report.unwrap_or(true),
            survey: self.survey.as_ref().map(SurveyInput::check).transpose()?,
            call_tracking: self.check_call_tracking()?,
            input: self.clone(),
        })
    }

    /// `call_tracking.sim` is an IMSI; a text using `{{ tracking_number }}`
    /// needs call tracking (whether that SIM's number is known is checked
    /// at preview and start: it may be configured later).
    fn check_call_tracking(&self) -> Result<Option<CallTracking>, SpecError> {
        let Some(ct) = &self.call_tracking else {
            for (i, v) in self.variants.iter().flatten().enumerate() {
                let uses = v
                    .text
                    .as_deref()
                    .and_then(|t| crate::templates::Template::compile(t).ok())
                    .is_some_and(|t| t.uses("tracking_number"));
                if uses {
                    return Err(err(
                        "call_tracking",
                        format!(
                            "variants[{i}].text uses {{{{ tracking_number }}}}: name the SIM whose number it is with \"call_tracking\": {{\"sim\": IMSI}}"
                        ),
                    ));
                }
            }
            return Ok(None);
        };
        let sim = ct
            .sim
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                err(
                    "call_tracking.sim",
                    "missing: the IMSI of the SIM whose calls count",
                )
            })?;
        if !(6..=15).contains(&sim.len()) || !sim.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "call_tracking.sim",
                "an IMSI: 6 to 15 digits, as GET /v1/modems shows it",
            ));
        }
        Ok(Some(CallTracking { sim: sim.to_string() }))
    }

    fn check_audience(&self) -> Result<Audience, SpecError> {
        let Some(a) = &self.audience else {
            return Err(err(
                "audience",
                "missing: {\"segment\": ID}, {\"filter\": {...}} or {\"contacts\": [...]}",
            ));
        };
        let obj = a.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            err(
                "audience",
                "must be exactly one of {\"segment\": ID}, {\"filter\": {...}}, {\"contacts\": [...]}",
            )
        })?;
        let (key, value) = obj.iter().next().ok_or_else(|| err("audience", "empty"))?;
        match key.as_str() {
            "segment" => value
                .as_i64()
                .filter(|id| *id > 0)
                .map(Audience::Segment)
                .ok_or_else(|| err("audience.segment", "must be a segment id (a positive integer)")),
            "filter" => {
                if !value.is_object() {
                    return Err(err(
                        "audience.filter",
                        "must be a filter object, as /v1/segments takes",
                    ));
                }
                Ok(Audience::Filter(value.clone()))
            }
            "contacts" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| err("audience.contacts", "must be a list of numbers or contact ids"))?;
                if list.is_empty() {
                    return Err(err("audience.contacts", "is empty"));
                }
                if list.len() > MAX_LISTED_CONTACTS {
                    return Err(err(
                        "audience.contacts",
                        format!("at most {MAX_LISTED_CONTACTS} entries; use a segment for more"),
                    ));
                }
                let mut out = Vec::with_capacity(list.len());
                for (i, v) in list.iter().enumerate() {
                    out.push(match v {
                        Value::Number(n) => n
                            .as_i64()
                            .filter(|id| *id > 0)
                            .map(ContactRef::Id)
                            .ok_or_else(|| err(format!("audience.contacts[{i}]"), "not a contact id"))?,
                        Value::String(s) if !s.trim().is_empty() && s.len() <= 64 => {
                            ContactRef::Phone(s.trim().to_string())
                        }
                        _ => {
                            return Err(err(
                                format!("audience.contacts[{i}]"),
                                "must be a phone number or a contact id",
                            ));
                        }
                    });
                }
                Ok(Audience::Contacts(out))
            }
            other => Err(err(
                format!("audience.{other}"),
                "unknown: the audience is a segment, a filter or contacts",
            )),
        }
    }

    fn check_variants(&self) -> Result<Vec<Variant>, SpecError> {
        let Some(list) = &self.variants else {
            return Err(err("variants", "missing: at least one {\"name\", \"text\"}"));
        };
        if list.is_empty() {
            return Err(err("variants", "is empty: at least one {\"name\", \"text\"}"));
        }
        if list.len() > MAX_VARIANTS {
            return Err(err("variants", format!("at most {MAX_VARIANTS}")));
        }
        let mut out: Vec<Variant> = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let at = |f: &str| format!("variants[{i}].{f}");
            let default_name = ((b'A' + i as u8) as char).to_string();
            let name = match v.name.as_deref().map(str::trim) {
                None => default_name,
                Some("") => return Err(err(at("name"), "is blank")),
                Some(n) if n.chars().count() > MAX_VARIANT_NAME || n.chars().any(char::is_control) => {
                    return Err(err(
                        at("name"),
                        format!("at most {MAX_VARIANT_NAME} characters, no control characters"),
                    ));
                }
                Some(n) => n.to_string(),
            };
            if out.iter().any(|o| o.name == name) {
                return Err(err(at("name"), format!("{name:?} is used twice")));
            }
            let text = v
                .text
                .as_deref()
                .ok_or_else(|| err(at("text"), "missing: the text to send (a template)"))?;
            if crate::templates::blank(text) {
                return Err(err(at("text"), "is blank"));
            }
            crate::sms::check_text(text).map_err(|e| err(at("text"), e.to_string()))?;
            Template::compile(text)
                .map_err(|e| err(at("text"), e.to_string()))?
                .check_links()
                .map_err(|e| err(at("text"), e))?;
            let weight = v.weight.unwrap_or(1);
            if weight == 0 || weight > 1_000_000 {
                return Err(err(at("weight"), "must be from 1 to 1000000"));
            }
            out.push(Variant {
                name,
                text: text.to_string(),
                weight,
            });
        }
        Ok(out)
    }
}

/// Checks a frequency cap.
pub fn check_cap(cap: &FrequencyCap) -> Result<(), String> {
    if cap.per_24h == 0 || cap.per_7d == 0 {
        return Err("per_24h and per_7d must be at least 1".into());
    }
    if cap.per_24h > 1000 || cap.per_7d > 7000 {
        return Err("per_24h at most 1000, per_7d at most 7000".into());
    }
    if cap.per_7d < cap.per_24h {
        return Err(format!(
            "per_7d ({}) is below per_24h ({}): a week holds every day, so per_7d must be at least per_24h",
            cap.per_7d, cap.per_24h
        ));
    }
    Ok(())
}

impl Spec {
    /// The frequency cap in force, each field not given taking `default`'s.
    pub fn cap_or(&self, default: FrequencyCap) -> FrequencyCap {
        self.frequency_cap.map_or(default, |c| c.resolve(default))
    }

    /// The window, or `default` when the campaign gives none.
    pub fn window_or(&self, default: Window) -> Window {
        self.window
            .as_ref()
            .and_then(|w| w.parse().ok())
            .unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> CampaignInput {
        serde_json::from_value(v).unwrap_or_default()
    }

    fn base() -> Value {
        json!({"name": "Black Friday", "audience": {"segment": 1},
               "variants": [{"name": "A", "text": "Hi {{ name }}, -20% today", "weight": 50},
                            {"name": "B", "text": "Sale: -20%", "weight": 50}]})
    }

    #[test]
    fn a_full_request_checks() {
        let mut v = base();
        v["window"] = json!({"start": "10:00", "end": "19:30", "days": ["mon", "sat"]});
        v["ab_test"] = json!({"test_share": 0.2, "decide_after": "4h", "metric": "reply"});
        v["start_at"] = json!("2026-12-01T09:00:00+03:00");
        v["deadline"] = json!("2026-12-01T21:00:00+03:00");
        v["frequency_cap"] = json!({"per_24h": 1, "per_7d": 3});
        let s = input(v).check();
        let s = s.as_ref().map_err(ToString::to_string);
        assert!(s.is_ok(), "{s:?}");
        let s = s.ok().cloned().unwrap_or_else(|| unreachable!());
        assert_eq!(s.variants.len(), 2);
        assert_eq!(s.ab_test.map(|a| a.decide_after_secs), Some(4 * 3600));
        assert_eq!(
            s.deadline.zip(s.start_at).map(|(d, st)| d - st),
            Some(12 * 3_600_000)
        );
        assert!(s.status_report);
    }

    #[test]
    fn mistakes_name_their_field() {
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"audience": {"segment": 1}, "variants": [{"text": "x"}]}),
                "name",
            ),
            (json!({"name": "x", "variants": [{"text": "x"}]}), "audience"),
            (
                json!({"name": "x", "audience": {"segment": 1, "filter": {}}, "variants": [{"text": "x"}]}),
                "audience",
            ),
            (
                json!({"name": "x", "audience": {"segment": -1}, "variants": [{"text": "x"}]}),
                "audience.segment",
            ),
            (
                json!({"name": "x", "audience": {"contacts": []}, "variants": [{"text": "x"}]}),
                "audience.contacts",
            ),
            (
                json!({"name": "x", "audience": {"contacts": [true]}, "variants": [{"text": "x"}]}),
                "audience.contacts[0]",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": []}),
                "variants",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "{{ oops"}]}),
                "variants[0].text",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "  "}]}),
                "variants[0].text",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a", "weight": 0}]}),
                "variants[0].weight",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"name": "A", "text": "a"}, {"name": "A", "text": "b"}]}),
                "variants[1].name",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}], "rate_per_hour": 0}),
                "rate_per_hour",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}], "window": {"start": "20:00", "end": "09:00"}}),
                "window",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}], "start_at": "tomorrow"}),
                "start_at",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}],
                    "start_at": "2026-12-01T10:00:00Z", "deadline": "2026-12-01T09:00:00Z"}),
                "deadline",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}],
                    "ab_test": {"test_share": 0.2, "decide_after": "4h", "metric": "reply"}}),
                "ab_test",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}, {"text": "b"}],
                    "ab_test": {"test_share": 1.5, "decide_after": "4h", "metric": "reply"}}),
                "ab_test.test_share",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}, {"text": "b"}],
                    "ab_test": {"test_share": 0.5, "decide_after": "soon", "metric": "reply"}}),
                "ab_test.decide_after",
            ),
            (
                json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}], "frequency_cap": {"per_24h": 0, "per_7d": 1}}),
                "frequency_cap",
            ),
        ];
        for (v, field) in cases {
            let e = input(v.clone()).check().err();
            assert_eq!(e.as_ref().map(|e| e.field.as_str()), Some(field), "{v}: {e:?}");
        }
    }

    #[test]
    fn unnamed_variants_are_lettered() {
        let s = input(
            json!({"name": "x", "audience": {"segment": 1}, "variants": [{"text": "a"}, {"text": "b"}]}),
        )
        .check()
        .ok();
        let names: Vec<String> = s
            .map(|s| s.variants.into_iter().map(|v| v.name).collect())
            .unwrap_or_default();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn durations_read_units() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("4h"), Ok(14_400));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
        assert!(parse_duration("-4h").is_err());
    }

    #[test]
    fn durations_take_upper_case_and_compound_units() {
        assert_eq!(parse_duration("4H"), Ok(14_400));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("1D 12h"), Ok(129_600));
        assert_eq!(parse_duration("3600"), Ok(3_600));
        assert!(parse_duration("1h30").is_err());
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("200d200d").is_err());
    }

    #[test]
    fn control_characters_in_a_variant_text_are_refused_naming_the_field() {
        let mut v = base();
        v["variants"] = json!([{"name": "A", "text": "Hi"}, {"name": "B", "text": "Sale\u{7} now"}]);
        let e = input(v).check().unwrap_err();
        assert_eq!(e.field, "variants[1].text", "{e:?}");
        let mut v = base();
        v["variants"] = json!([{"text": "a\u{0}b"}]);
        assert_eq!(input(v).check().unwrap_err().field, "variants[0].text");
    }

    #[test]
    fn a_weekly_cap_below_the_daily_cap_is_refused() {
        let mut v = base();
        v["frequency_cap"] = json!({"per_24h": 3, "per_7d": 2});
        let e = input(v).check().unwrap_err();
        assert_eq!(e.field, "frequency_cap");
        assert!(e.message.contains("per_7d"), "{e:?}");
        assert!(
            check_cap(&FrequencyCap {
                per_24h: 2,
                per_7d: 2
            })
            .is_ok()
        );
    }

    #[test]
    fn times_after_the_year_9000_are_refused() {
        let mut v = base();
        v["deadline"] = json!("9999-12-31T23:00:00Z");
        let e = input(v).check().unwrap_err();
        assert_eq!(e.field, "deadline");
        assert!(e.message.contains("9000"), "{e:?}");
        let mut v = base();
        v["start_at"] = json!("9500-01-01T00:00:00Z");
        assert_eq!(input(v).check().unwrap_err().field, "start_at");
        assert!(parse_time("start_at", "8999-01-01T00:00:00Z").is_ok());
    }

    #[test]
    fn a_frequency_cap_may_give_one_field_the_other_taking_the_default() {
        let default = FrequencyCap {
            per_24h: 1,
            per_7d: 4,
        };
        let mut v = base();
        v["frequency_cap"] = json!({"per_24h": 2});
        let spec = input(v.clone()).check().unwrap();
        assert_eq!(
            spec.cap_or(default),
            FrequencyCap {
                per_24h: 2,
                per_7d: 4
            }
        );
        v["frequency_cap"] = json!({"per_7d": 9});
        assert_eq!(
            input(v.clone()).check().unwrap().cap_or(default),
            FrequencyCap {
                per_24h: 1,
                per_7d: 9
            }
        );
        v["frequency_cap"] = json!({});
        assert_eq!(input(v.clone()).check().unwrap_err().field, "frequency_cap");
        v["frequency_cap"] = json!({"per_24h": 0});
        assert_eq!(input(v).check().unwrap_err().field, "frequency_cap");
        assert_eq!(base_spec().cap_or(default), default);
    }

    #[test]
    fn call_tracking_names_an_imsi_and_is_needed_by_the_tracking_number() {
        let mut v = base();
        v["call_tracking"] = json!({"sim": "250011000002"});
        let spec = input(v.clone()).check().unwrap();
        assert_eq!(spec.call_tracking.unwrap().sim, "250011000002");
        for (bad, field) in [
            (json!({}), "call_tracking.sim"),
            (json!({"sim": "12ab"}), "call_tracking.sim"),
            (json!({"sim": "1234567890123456"}), "call_tracking.sim"),
        ] {
            v["call_tracking"] = bad.clone();
            assert_eq!(input(v.clone()).check().unwrap_err().field, field, "{bad}");
        }
        v["call_tracking"] = json!({"imsi": "250011000002"});
        assert!(
            serde_json::from_value::<CampaignInput>(v).is_err(),
            "unknown field"
        );
        let mut v = base();
        v["variants"] = json!([{"text": "Call {{ tracking_number }} today"}]);
        let e = input(v.clone()).check().unwrap_err();
        assert_eq!(e.field, "call_tracking");
        assert!(e.message.contains("variants[0].text"), "{e}");
        v["call_tracking"] = json!({"sim": "250011000002"});
        assert!(input(v).check().is_ok());
    }

    fn base_spec() -> Spec {
        input(base()).check().unwrap()
    }
}
