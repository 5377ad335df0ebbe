//! The contact as stored and shown, and a change to one.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use thiserror::Error;

/// Whether a contact agreed to marketing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsentStatus {
    /// Agreed, with evidence: marketing may reach it.
    OptedIn,
    /// Asked to confirm (double opt-in) and has not yet: no marketing.
    Pending,
    /// Never agreed (or withdrew): no marketing.
    #[default]
    None,
}

impl ConsentStatus {
    /// The name used in the API, CSV files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::OptedIn => "opted_in",
            ConsentStatus::Pending => "pending",
            ConsentStatus::None => "none",
        }
    }
}

impl fmt::Display for ConsentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConsentStatus {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "opted_in" => Ok(ConsentStatus::OptedIn),
            "pending" => Ok(ConsentStatus::Pending),
            "none" => Ok(ConsentStatus::None),
            other => Err(InvalidValue(format!(
                "consent status {other:?} is not one of opted_in, pending, none"
            ))),
        }
    }
}

/// A contact's consent to marketing, with its proof.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consent {
    /// opted_in, pending or none.
    pub status: ConsentStatus,
    /// When it was given (or asked for, while pending), unix ms.
    pub at: Option<i64>,
    /// Where: "web form", "keyword JOIN", "import customers.csv".
    pub source: Option<String>,
    /// The text agreed to, or the message exchange (double opt-in).
    pub evidence: Option<String>,
}

/// Whether a contact can be reached at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ContactStatus {
    /// Reachable as far as we know.
    #[default]
    Active,
    /// Its messages fail for recipient reasons (unassigned number, absent
    /// for days): left out of campaigns until it replies or is updated.
    Invalid,
}

impl ContactStatus {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Active => "active",
            ContactStatus::Invalid => "invalid",
        }
    }
}

impl FromStr for ContactStatus {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(ContactStatus::Active),
            "invalid" => Ok(ContactStatus::Invalid),
            other => Err(InvalidValue(format!(
                "contact status {other:?} is not active or invalid"
            ))),
        }
    }
}

/// Where a contact's time zone comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeZoneSource {
    /// Given for the contact (API, import).
    Given,
    /// Derived from the number: its country has a single zone.
    Number,
    /// `contacts.default_time_zone`: the number's country has several zones.
    Default,
}

impl TimeZoneSource {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeZoneSource::Given => "given",
            TimeZoneSource::Number => "number",
            TimeZoneSource::Default => "default",
        }
    }
}

impl FromStr for TimeZoneSource {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "given" => Ok(TimeZoneSource::Given),
            "number" => Ok(TimeZoneSource::Number),
            "default" => Ok(TimeZoneSource::Default),
            other => Err(InvalidValue(format!("time zone source {other:?}"))),
        }
    }
}

/// The type of an attribute, fixed across contacts by its first value (or
/// an import's `--types`), so that `{"attr": "spent", "gt": 1000}` means one
/// thing for everybody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// Text.
    String,
    /// A number (integer or decimal).
    Number,
    /// true or false.
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl AttrType {
    /// The name used in `--types`, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Number => "number",
            AttrType::Boolean => "boolean",
            AttrType::Date => "date",
        }
    }
}

impl fmt::Display for AttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttrType {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "string" | "text" => Ok(AttrType::String),
            "number" => Ok(AttrType::Number),
            "boolean" | "bool" => Ok(AttrType::Boolean),
            "date" => Ok(AttrType::Date),
            other => Err(InvalidValue(format!(
                "attribute type {other:?} is not one of string, number, boolean, date"
            ))),
        }
    }
}

/// One attribute value. Stored in the contact's JSON object as a JSON
/// string, number, boolean, or (a date) a `"YYYY-MM-DD"` string, so that
/// SQLite's `json_extract` compares dates as text in calendar order.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Text.
    String(String),
    /// A finite number.
    Number(f64),
    /// true or false.
    Boolean(bool),
    /// A date.
    Date(NaiveDate),
}

impl AttrValue {
    /// Its type.
    pub fn attr_type(&self) -> AttrType {
        match self {
            AttrValue::String(_) => AttrType::String,
            AttrValue::Number(_) => AttrType::Number,
            AttrValue::Boolean(_) => AttrType::Boolean,
            AttrValue::Date(_) => AttrType::Date,
        }
    }

    /// As JSON (dates as `"YYYY-MM-DD"`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttrValue::String(s) => serde_json::Value::String(s.clone()),
            AttrValue::Number(n) => serde_json::Number::from_f64(*n)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            AttrValue::Boolean(b) => serde_json::Value::Bool(*b),
            AttrValue::Date(d) => serde_json::Value::String(d.format("%Y-%m-%d").to_string()),
        }
    }

    /// Reads a JSON value (API, stored object). A string of the form
    /// `YYYY-MM-DD` that is a real date is a date; `as_type` forces a type
    /// (an attribute known to be a string stays a string even when it looks
    /// like a date). Arrays, objects, null and non-finite numbers are refused.
    pub fn from_json(v: &serde_json::Value, as_type: Option<AttrType>) -> Result<AttrValue, InvalidValue> {
        use serde_json::Value;
        let value = match v {
            Value::String(s) => match as_type {
                Some(AttrType::String) => AttrValue::String(s.clone()),
                Some(t) => AttrValue::parse(s, t)?,
                None => match parse_date(s) {
                    Some(d) => AttrValue::Date(d),
                    None => AttrValue::String(s.clone()),
                },
            },
            Value::Number(n) => match n.as_f64().filter(|f| f.is_finite()) {
                Some(f) => AttrValue::Number(f),
                None => return Err(InvalidValue(format!("number {n} is out of range"))),
            },
            Value::Bool(b) => AttrValue::Boolean(*b),
            Value::Null => return Err(InvalidValue("null is not a value (omit the attribute)".into())),
            Value::Array(_) | Value::Object(_) => {
                return Err(InvalidValue(
                    "an attribute is a string, a number, a boolean or a date \"YYYY-MM-DD\"; not a list or an object"
                        .into(),
                ));
            }
        };
        match as_type {
            Some(t) if t != value.attr_type() => Err(InvalidValue(format!(
                "is a {t} attribute; got a {}",
                value.attr_type()
            ))),
            _ => Ok(value),
        }
    }

    /// Reads text (a CSV cell, a query) as a value of type `t`. Numbers
    /// take `.` or `,` as the decimal mark ("1 500,50" as spreadsheets in
    /// Russia write it); booleans take true/false, yes/no, 1/0, да/нет,
    /// sí/no; dates `YYYY-MM-DD` or `DD.MM.YYYY`.
    pub fn parse(text: &str, t: AttrType) -> Result<AttrValue, InvalidValue> {
        let s = text.trim();
        match t {
            AttrType::String => Ok(AttrValue::String(s.to_string())),
            AttrType::Number => parse_number(s)
                .map(AttrValue::Number)
                .ok_or_else(|| InvalidValue(format!("{s:?} is not a number"))),
            AttrType::Boolean => parse_bool(s)
                .map(AttrValue::Boolean)
                .ok_or_else(|| InvalidValue(format!("{s:?} is not true or false"))),
            AttrType::Date => parse_date(s)
                .map(AttrValue::Date)
                .ok_or_else(|| InvalidValue(format!("{s:?} is not a date (YYYY-MM-DD)"))),
        }
    }
}

/// `YYYY-MM-DD` or `DD.MM.YYYY`, a real calendar date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let iso = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let dotted = s.len() == 10 && s.as_bytes()[2] == b'.' && s.as_bytes()[5] == b'.';
    if iso {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else if dotted {
        NaiveDate::parse_from_str(s, "%d.%m.%Y").ok()
    } else {
        None
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let cleaned: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let decimal = if cleaned.contains('.') {
        // "1,500.50": the comma groups thousands.
        cleaned.replace(',', "")
    } else if cleaned.matches(',').count() == 1 {
        cleaned.replace(',', ".")
    } else {
        cleaned
    };
    // Only plain decimal notation: not "inf", "NaN", "0x10".
    if !decimal
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')))
    {
        return None;
    }
    decimal.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "да" | "sí" | "si" | "t" => Some(true),
        "false" | "no" | "n" | "0" | "нет" | "f" => Some(false),
        _ => None,
    }
}

/// A text as compared ignoring case, in any script: NFKC, then Unicode
/// lower case ("Казань" and "КАЗАНЬ" match, as do "MÁLAGA" and "málaga").
/// Tags and string attributes are matched by it (SQL: `simfleet_fold`).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect::<String>().to_lowercase()
}

/// Attributes by name.
pub type Attributes = BTreeMap<String, AttrValue>;

/// A value that is not acceptable, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// A contact as stored, with its opt-out (from the opt-out list).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Id.
    pub id: i64,
    /// E.164 or a short code.
    pub phone: String,
    /// Name, if known.
    pub name: Option<String>,
    /// IANA zone given or derived from the number; `None`: the configured default.
    pub time_zone: Option<String>,
    /// Where `time_zone` comes from.
    pub time_zone_source: TimeZoneSource,
    /// Language (primary subtag, lower case).
    pub language: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Attributes.
    pub attributes: Attributes,
    /// Consent to marketing.
    pub consent: Consent,
    /// active or invalid.
    pub status: ContactStatus,
    /// Why invalid.
    pub status_reason: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Last message sent to it (unix ms).
    pub last_sent_at: Option<i64>,
    /// Last delivery report saying it arrived.
    pub last_delivered_at: Option<i64>,
    /// Last message received from it.
    pub last_reply_at: Option<i64>,
    /// Messages sent to it.
    pub messages_sent: i64,
    /// Its opt-out, if it opted out: wins over any consent.
    pub opted_out: Option<crate::store::OptOut>,
}

impl Contact {
    /// Whether a marketing message may go to it now: opted in, active, not
    /// opted out.
    pub fn may_receive_marketing(&self) -> bool {
        self.opted_out.is_none()
            && self.status == ContactStatus::Active
            && self.consent.status == ConsentStatus::OptedIn
    }
}

/// A change to a contact, or a new one: `None` leaves a field as it is.
/// Attributes are merged: a name mapped to `None` is removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactChanges {
    /// `Some(None)` clears it.
    pub name: Option<Option<String>>,
    /// `Some(None)` clears it (the zone is derived again).
    pub time_zone: Option<Option<String>>,
    /// `Some(None)` clears it.
    pub language: Option<Option<String>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Adds tags (imports merge tags).
    pub add_tags: Vec<String>,
    /// Merged into the attributes; `None` removes one.
    pub attributes: BTreeMap<String, Option<AttrValue>>,
    /// A new consent (its rules: `store` applies it).
    pub consent: Option<Consent>,
    /// When the contact's consent already has the status of `consent`,
    /// leave its time, source and evidence as they are (an import: a file
    /// read back in, or read twice, does not rewrite how consent was given).
    pub keep_same_consent: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_spreadsheets_write_them() {
        assert_eq!(parse_number("1 500,50"), Some(1500.5));
        assert_eq!(parse_number("1,500.50"), Some(1500.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("12abc"), None);
    }

    #[test]
    fn dates_must_be_real() {
        assert_eq!(parse_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(parse_date("29.02.2024"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-2-1"), None);
    }

    #[test]
    fn json_values_keep_their_type() {
        let v = AttrValue::from_json(&serde_json::json!("2020-01-31"), None).unwrap();
        assert_eq!(v.attr_type(), AttrType::Date);
        let v = AttrValue::from_json(&serde_json::json!("2020-01-31"), Some(AttrType::String)).unwrap();
        assert_eq!(v.attr_type(), AttrType::String);
        assert!(AttrValue::from_json(&serde_json::json!("abc"), Some(AttrType::Number)).is_err());
        assert!(AttrValue::from_json(&serde_json::json!(5), Some(AttrType::String)).is_err());
        assert!(AttrValue::from_json(&serde_json::json!([1]), None).is_err());
    }
}
