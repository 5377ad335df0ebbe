//! The filter language: a typed tree read from JSON by hand (a walk over
//! `serde_json::Value`, so each error names the node that failed by its
//! JSON path, `filter.all[2].gt`), checked against the attribute types
//! known to the store. Pure: no database, no clock. References to surveys
//! and campaigns are checked by the store (`Store::parse_filter`), which
//! knows which exist.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::contacts::{AttrType, ConsentStatus, ContactStatus};

/// Deepest nesting of nodes (`{"not": {"not": …}}` counts each level).
pub const MAX_DEPTH: usize = 16;
/// Most nodes in one filter.
pub const MAX_NODES: usize = 200;
/// Most values in one `in` list (and languages or consents in a list).
pub const MAX_IN: usize = 1000;
/// Longest string value, in characters.
pub const MAX_STRING: usize = 1000;
/// Largest day count (`within_days`, `sent_within_days`…): 100 years.
pub const MAX_DAYS: u32 = 36_500;

/// A filter that does not parse or validate: `path` names the failing node
/// (`filter.all[2].gt`), `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct FilterError {
    /// JSON path of the node, from `filter`.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl FilterError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FilterError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A validated filter: the tree and the JSON it was read from (kept as
/// given, stored with a segment).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    root: Node,
    json: Value,
}

/// One node of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Every child matches (`[]`: every contact).
    All(Vec<Node>),
    /// At least one child matches (never empty).
    Any(Vec<Node>),
    /// The child does not match.
    Not(Box<Node>),
    /// Has this tag (case-insensitive).
    Tag(String),
    /// A test on an attribute of a known type.
    Attr {
        /// The attribute's name.
        name: String,
        /// Its type (from `attribute_types`).
        ty: AttrType,
        /// The test.
        test: AttrTest,
    },
    /// A message was sent to the contact within the last N days.
    SentWithinDays(u32),
    /// No reply for N days (never replied counts as no reply).
    NoReplyForDays(u32),
    /// Something the contact did in a survey or a campaign.
    Activity {
        /// What.
        event: Event,
        /// Where.
        target: Target,
        /// For `voted`: the option key voted (the counted vote).
        option: Option<String>,
        /// Its JSON path, for errors found by the store.
        at: String,
    },
    /// Consent status is one of these.
    Consent(Vec<ConsentStatus>),
    /// Language (lower case) is one of these.
    Language(Vec<String>),
    /// Status is this.
    Status(ContactStatus),
    /// On the opt-out list (true) or not (false).
    OptedOut(bool),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// Equal.
    Eq,
    /// Not equal; a contact without the attribute is "not equal" too.
    Ne,
    /// Less than.
    Lt,
    /// Less or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater or equal.
    Ge,
}

/// A test on an attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrTest {
    /// Compared with a value of the attribute's type.
    Cmp(Cmp, Scalar),
    /// Equal to one of these.
    In(Vec<Scalar>),
    /// A string attribute containing this text.
    Contains(String),
    /// Has the attribute (true) or not (false).
    Exists(bool),
    /// A date strictly before this one.
    Before(NaiveDate),
    /// A date strictly after this one.
    After(NaiveDate),
    /// A date within the last N days, today included (not in the future).
    WithinDays(u32),
    /// A date more than N days ago.
    OlderThanDays(u32),
    /// A date in this month (1-12), any year: birthdays.
    Month(u32),
    /// A date on this month and day, any year.
    MonthDay(u32, u32),
    /// A date whose month and day come within the next N days, today
    /// included (its anniversary: a birthday this week).
    AnniversaryWithinDays(u32),
}

/// A value to compare an attribute with.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Text.
    String(String),
    /// Number.
    Number(f64),
    /// Boolean.
    Boolean(bool),
    /// Date.
    Date(NaiveDate),
}

/// What a contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Voted in a survey (its counted vote).
    Voted,
    /// Replied (a survey: a vote or a comment).
    RepliedTo,
    /// Its message was delivered.
    Delivered,
    /// Clicked a link (campaigns).
    Clicked,
    /// Redeemed an offer (campaigns).
    Redeemed,
}

impl Event {
    /// The key in the filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Voted => "voted",
            Event::RepliedTo => "replied_to",
            Event::Delivered => "delivered",
            Event::Clicked => "clicked",
            Event::Redeemed => "redeemed",
        }
    }
}

/// Where an event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A survey (`/v1/surveys`).
    Survey(i64),
    /// A campaign (`delivered`, `replied_to`, `clicked` a tracked link, `redeemed` its promo code).
    Campaign(i64),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Survey(id) => write!(f, "survey {id}"),
            Target::Campaign(id) => write!(f, "campaign {id}"),
        }
    }
}

impl Filter {
    /// Reads and validates `json` against the attribute types known
    /// (`Store::attribute_types`). Survey and campaign ids are not checked
    /// here (see `Store::parse_filter`).
    pub fn parse(json: &Value, types: &BTreeMap<String, AttrType>) -> Result<Filter, FilterError> {
        let mut p = Parser { types, nodes: 0 };
        let root = p.node(json, "filter", 1)?;
        Ok(Filter {
            root,
            json: json.clone(),
        })
    }

    /// The tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The JSON it was read from.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Every survey or campaign it names, with the node's path and, for
    /// `voted`, the option.
    pub fn references(&self) -> Vec<(&str, Event, Target, Option<&str>)> {
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }
}

fn collect<'a>(n: &'a Node, out: &mut Vec<(&'a str, Event, Target, Option<&'a str>)>) {
    match n {
        Node::All(v) | Node::Any(v) => v.iter().for_each(|c| collect(c, out)),
        Node::Not(c) => collect(c, out),
        Node::Activity {
            event,
            target,
            option,
            at,
        } => out.push((at, *event, *target, option.as_deref())),
        _ => {}
    }
}

struct Parser<'t> {
    types: &'t BTreeMap<String, AttrType>,
    nodes: usize,
}

/// The JSON type of a value, in words.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

const NODE_KEYS: &str = "all, any, not, tag, attr, sent_within_days, no_reply_for_days, voted, replied_to, delivered, clicked, redeemed, consent, language, status, opted_out";

fn string<'v>(v: &'v Value, path: &str, what: &str) -> Result<&'v str, FilterError> {
    let s = v
        .as_str()
        .ok_or_else(|| FilterError::new(path, format!("expected {what} (a string), got {}", kind(v))))?;
    if s.chars().count() > MAX_STRING {
        return Err(FilterError::new(
            path,
            format!("longer than {MAX_STRING} characters"),
        ));
    }
    Ok(s)
}

fn days(v: &Value, path: &str) -> Result<u32, FilterError> {
    v.as_u64()
        .filter(|d| *d <= u64::from(MAX_DAYS))
        .map(|d| d as u32)
        .ok_or_else(|| {
            FilterError::new(
                path,
                format!("expected a whole number of days from 0 to {MAX_DAYS}, got {v}"),
            )
        })
}

fn date(v: &Value, path: &str) -> Result<NaiveDate, FilterError> {
    let s = string(v, path, "a date YYYY-MM-DD")?;
    let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    ok.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FilterError::new(path, format!("{s:?} is not a date YYYY-MM-DD")))
}

/// One or several strings (`"ru"` or `["ru", "uk"]`).
fn one_or_many<'v>(v: &'v Value, path: &str, what: &str) -> Result<Vec<(String, &'v str)>, FilterError> {
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(FilterError::new(
                    path,
                    format!("expected at least one value: {what} or a list of them"),
                ));
            }
            if items.len() > MAX_IN {
                return Err(FilterError::new(path, format!("more than {MAX_IN} values")));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{path}[{i}]");
                    string(item, &p, what).map(|s| (p, s))
                })
                .collect()
        }
        _ => Ok(vec![(path.to_string(), string(v, path, what)?)]),
    }
}

impl Parser<'_> {
    fn node(&mut self, v: &Value, path: &str, depth: usize) -> Result<Node, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::new(
                path,
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(FilterError::new(
                path,
                format!("a filter has at most {MAX_NODES} nodes"),
            ));
        }
        let Value::Object(obj) = v else {
            return Err(FilterError::new(
                path,
                format!(
                    "expected a filter node (an object such as {{\"tag\": \"vip\"}}), got {}",
                    kind(v)
                ),
            ));
        };
        if obj.contains_key("attr") {
            return self.attr(obj, path);
        }
        let mut keys = obj.keys();
        let (Some(key), None) = (keys.next(), keys.next()) else {
            let found: Vec<&str> = obj.keys().map(String::as_str).collect();
            return Err(FilterError::new(
                path,
                if found.is_empty() {
                    format!("an empty node; expected one of {NODE_KEYS}")
                } else {
                    format!(
                        "a node has exactly one key (or \"attr\" with one operator); got {}",
                        found.join(", ")
                    )
                },
            ));
        };
        let val = &obj[key];
        let at = format!("{path}.{key}");
        match key.as_str() {
            "all" | "any" => {
                let Value::Array(items) = val else {
                    return Err(FilterError::new(
                        at,
                        format!("expected a list of filter nodes, got {}", kind(val)),
                    ));
                };
                if key == "any" && items.is_empty() {
                    return Err(FilterError::new(at, "\"any\" needs at least one node"));
                }
                let mut children = Vec::with_capacity(items.len().min(MAX_NODES));
                for (i, item) in items.iter().enumerate() {
                    children.push(self.node(item, &format!("{at}[{i}]"), depth + 1)?);
                }
                Ok(if key == "all" {
                    Node::All(children)
                } else {
                    Node::Any(children)
                })
            }
            "not" => Ok(Node::Not(Box::new(self.node(val, &at, depth + 1)?))),
            "tag" => {
                let t = string(val, &at, "a tag")?.trim();
                if t.is_empty() {
                    return Err(FilterError::new(at, "the tag is empty"));
                }
                Ok(Node::Tag(t.to_string()))
            }
            "sent_within_days" => Ok(Node::SentWithinDays(days(val, &at)?)),
            "no_reply_for_days" => Ok(Node::NoReplyForDays(days(val, &at)?)),
            "voted" | "replied_to" | "delivered" | "clicked" | "redeemed" => self.activity(key, val, &at),
            "consent" => {
                let mut out = Vec::new();
                for (p, s) in one_or_many(val, &at, "a consent status")? {
                    out.push(s.parse::<ConsentStatus>().map_err(|e| FilterError::new(p, e.0))?);
                }
                Ok(Node::Consent(out))
            }
            "language" => {
                let mut out = Vec::new();
                for (p, s) in one_or_many(val, &at, "a language")? {
                    // Contacts keep a tag's primary language subtag ("ru-RU" → "ru").
                    let l = s
                        .trim()
                        .split(['-', '_'])
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if !(2..=3).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(FilterError::new(
                            p,
                            format!("{s:?} is not a language tag (such as \"ru\" or \"en\")"),
                        ));
                    }
                    out.push(l);
                }
                Ok(Node::Language(out))
            }
            "status" => {
                let s = string(val, &at, "a status")?;
                Ok(Node::Status(s.parse().map_err(
                    |e: crate::contacts::InvalidValue| FilterError::new(&at, e.0),
                )?))
            }
            "opted_out" => match val {
                Value::Bool(b) => Ok(Node::OptedOut(*b)),
                _ => Err(FilterError::new(
                    at,
                    format!("expected true or false, got {}", kind(val)),
                )),
            },
            other => Err(FilterError::new(
                at,
                format!("unknown node {other:?}; expected one of {NODE_KEYS}"),
            )),
        }
    }

    fn activity(&mut self, key: &str, val: &Value, at: &str) -> Result<Node, FilterError> {
        let event = match key {
            "voted" => Event::Voted,
            "replied_to" => Event::RepliedTo,
            "delivered" => Event::Delivered,
            "clicked" => Event::Clicked,
            _ => Event::Redeemed,
        };
        let Value::Object(obj) = val else {
            return Err(FilterError::new(
                at,
                format!(
                    "expected {{\"survey\": ID}} or {{\"campaign\": ID}}, got {}",
                    kind(val)
                ),
            ));
        };
        let id = |k: &str| -> Result<i64, FilterError> {
            let p = format!("{at}.{k}");
            // As the API shows ids ("12") or as a number (12).
            let given = obj[k].as_i64().or_else(|| {
                obj[k]
                    .as_str()
                    .filter(|t| t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|t| t.parse().ok())
            });
            given.filter(|id| *id > 0).ok_or_else(|| {
                FilterError::new(
                    p,
                    format!("expected an id (a positive whole number), got {}", obj[k]),
                )
            })
        };
        let target = match (obj.contains_key("survey"), obj.contains_key("campaign")) {
            (true, false) => Target::Survey(id("survey")?),
            (false, true) => Target::Campaign(id("campaign")?),
            _ => {
                return Err(FilterError::new(
                    at,
                    "name exactly one of \"survey\" or \"campaign\"",
                ));
            }
        };
        let allowed = match (event, target) {
            (Event::Clicked | Event::Redeemed, Target::Survey(_)) => Some(format!(
                "\"{}\" is about campaigns: use {{\"campaign\": ID}}",
                event.as_str()
            )),
            (Event::Voted, Target::Campaign(_)) => {
                Some("\"voted\" is about surveys: use {\"survey\": ID}".to_string())
            }
            _ => None,
        };
        if let Some(m) = allowed {
            return Err(FilterError::new(at, m));
        }
        let mut option = None;
        for (k, v) in obj {
            match k.as_str() {
                "survey" | "campaign" => {}
                "option" if event == Event::Voted => {
                    let s = string(v, &format!("{at}.option"), "an option key")?;
                    option = Some(s.to_string());
                }
                other => {
                    return Err(FilterError::new(
                        format!("{at}.{other}"),
                        format!(
                            "unknown key {other:?}; expected \"survey\" or \"campaign\"{}",
                            if event == Event::Voted {
                                " and optionally \"option\""
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
        Ok(Node::Activity {
            event,
            target,
            option,
            at: at.to_string(),
        })
    }

    fn attr(&mut self, obj: &Map<String, Value>, path: &str) -> Result<Node, FilterError> {
        let name_path = format!("{path}.attr");
        let name = string(&obj["attr"], &name_path, "an attribute name")?;
        let Some(&ty) = self.types.get(name) else {
            let known: Vec<&str> = self.types.keys().map(String::as_str).collect();
            return Err(FilterError::new(
                name_path,
                format!(
                    "unknown attribute {name:?}; known: {}",
                    if known.is_empty() {
                        "none yet (an attribute exists once a contact has it)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        };
        let ops: Vec<&String> = obj.keys().filter(|k| *k != "attr").collect();
        let [op] = ops.as_slice() else {
            return Err(FilterError::new(
                path,
                format!(
                    "an attribute test has exactly one operator (eq, ne, lt, le, gt, ge, in, contains, exists, before, after, within_days, older_than_days, month, month_day, anniversary_within_days); got {}",
                    if ops.is_empty() {
                        "none".to_string()
                    } else {
                        ops.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    }
                ),
            ));
        };
        let op = op.as_str();
        let v = &obj[op];
        let at = format!("{path}.{op}");
        let wrong_type = |ops_for: &str| {
            FilterError::new(
                &at,
                format!("{op:?} does not apply to {name:?} (a {ty} attribute); {ops_for}"),
            )
        };
        let ops_for = match ty {
            AttrType::String => "a string attribute takes eq, ne, in, contains, exists",
            AttrType::Number => "a number attribute takes eq, ne, lt, le, gt, ge, in, exists",
            AttrType::Boolean => "a boolean attribute takes eq, ne, exists",
            AttrType::Date => {
                "a date attribute takes eq, ne, lt, le, gt, ge, in, exists, before, after, within_days, older_than_days, month, month_day, anniversary_within_days"
            }
        };
        let test = match op {
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                let cmp = match op {
                    "eq" => Cmp::Eq,
                    "ne" => Cmp::Ne,
                    "lt" => Cmp::Lt,
                    "le" => Cmp::Le,
                    "gt" => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                if matches!(ty, AttrType::Boolean | AttrType::String) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(wrong_type(ops_for));
                }
                AttrTest::Cmp(cmp, scalar(v, &at, name, ty)?)
            }
            "in" => {
                if ty == AttrType::Boolean {
                    return Err(wrong_type(ops_for));
                }
                let Value::Array(items) = v else {
                    return Err(FilterError::new(
                        at,
                        format!("expected a list of values, got {}", kind(v)),
                    ));
                };
                if items.is_empty() {
                    return Err(FilterError::new(at, "expected at least one value"));
                }
                if items.len() > MAX_IN {
                    return Err(FilterError::new(at, format!("more than {MAX_IN} values")));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(scalar(item, &format!("{at}[{i}]"), name, ty)?);
                }
                AttrTest::In(out)
            }
            "contains" => {
                if ty != AttrType::String {
                    return Err(wrong_type(ops_for));
                }
                let s = string(v, &at, "text to look for")?;
                if s.is_empty() {
                    return Err(FilterError::new(at, "the text to look for is empty"));
                }
                AttrTest::Contains(s.to_string())
            }
            "exists" => match v {
                Value::Bool(b) => AttrTest::Exists(*b),
                _ => {
                    return Err(FilterError::new(
                        at,
                        format!("expected true or false, got {}", kind(v)),
                    ));
                }
            },
            "before"
            | "after"
            | "within_days"
            | "older_than_days"
            | "month"
            | "month_day"
            | "anniversary_within_days" => {
                if ty != AttrType::Date {
                    return Err(wrong_type(ops_for));
                }
                match op {
                    "before" => AttrTest::Before(date(v, &at)?),
                    "after" => AttrTest::After(date(v, &at)?),
                    "within_days" => AttrTest::WithinDays(days(v, &at)?),
                    "older_than_days" => AttrTest::OlderThanDays(days(v, &at)?),
                    "anniversary_within_days" => {
                        let d = days(v, &at)?;
                        if d > 366 {
                            return Err(FilterError::new(at, "expected at most 366 days"));
                        }
                        AttrTest::AnniversaryWithinDays(d)
                    }
                    "month" => AttrTest::Month(
                        v.as_u64()
                            .filter(|m| (1..=12).contains(m))
                            .map(|m| m as u32)
                            .ok_or_else(|| {
                                FilterError::new(&at, format!("expected a month 1 to 12, got {v}"))
                            })?,
                    ),
                    _ => {
                        let s = string(v, &at, "a month and day MM-DD")?;
                        let (m, d) = month_day(s).ok_or_else(|| {
                            FilterError::new(
                                &at,
                                format!("{s:?} is not a month and day MM-DD (such as \"05-01\")"),
                            )
                        })?;
                        AttrTest::MonthDay(m, d)
                    }
                }
            }
            other => {
                return Err(FilterError::new(
                    at,
                    format!("unknown operator {other:?}; {ops_for}"),
                ));
            }
        };
        Ok(Node::Attr {
            name: name.to_string(),
            ty,
            test,
        })
    }
}

/// `MM-DD` of a day that exists in some year (02-29 included).
fn month_day(s: &str) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b'-' || !s[..2].bytes().chain(s[3..].bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (m, d) = (s[..2].parse().ok()?, s[3..].parse().ok()?);
    NaiveDate::from_ymd_opt(2000, m, d).map(|_| (m, d))
}

/// A value of the attribute's type.
fn scalar(v: &Value, path: &str, name: &str, ty: AttrType) -> Result<Scalar, FilterError> {
    let wrong = || {
        let what = match ty {
            AttrType::String => "a string",
            AttrType::Number => "a number",
            AttrType::Boolean => "true or false",
            AttrType::Date => "a date YYYY-MM-DD",
        };
        FilterError::new(
            path,
            format!(
                "expected {what} for attribute {name:?} (a {ty} attribute), got {}",
                kind(v)
            ),
        )
    };
    match (ty, v) {
        (AttrType::String, Value::String(_)) => Ok(Scalar::String(string(v, path, "a string")?.to_string())),
        (AttrType::Number, Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Scalar::Number)
            .ok_or_else(wrong),
        (AttrType::Boolean, Value::Bool(b)) => Ok(Scalar::Boolean(*b)),
        (AttrType::Date, Value::String(_)) => Ok(Scalar::Date(date(v, path)?)),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types() -> BTreeMap<String, AttrType> {
        [
            ("city", AttrType::String),
            ("spent", AttrType::Number),
            ("vip", AttrType::Boolean),
            ("birthday", AttrType::Date),
            ("last_purchase", AttrType::Date),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect()
    }

    fn err(v: Value) -> FilterError {
        Filter::parse(&v, &types()).expect_err("must be refused")
    }

    #[test]
    fn the_issue_example_parses_into_its_tree() {
        let f = Filter::parse(
            &json!({"all": [{"tag": "vip"}, {"attr": "city", "eq": "Kazan"}, {"attr": "last_purchase", "within_days": 30}, {"attr": "spent", "gt": 1000}, {"not": {"tag": "staff"}}]}),
            &types(),
        )
        .unwrap();
        let Node::All(children) = f.root() else { panic!() };
        assert_eq!(children.len(), 5);
        assert_eq!(children[0], Node::Tag("vip".into()));
        assert_eq!(
            children[3],
            Node::Attr {
                name: "spent".into(),
                ty: AttrType::Number,
                test: AttrTest::Cmp(Cmp::Gt, Scalar::Number(1000.0))
            }
        );
        assert_eq!(children[4], Node::Not(Box::new(Node::Tag("staff".into()))));
    }

    #[test]
    fn a_wrong_value_type_names_its_node_and_the_attribute_type() {
        let e = err(json!({"all": [{"tag": "a"}, {"tag": "b"}, {"attr": "spent", "gt": "1000"}]}));
        assert_eq!(e.path, "filter.all[2].gt");
        assert_eq!(
            e.to_string(),
            "filter.all[2].gt: expected a number for attribute \"spent\" (a number attribute), got a string"
        );
    }

    #[test]
    fn an_unknown_attribute_is_named_with_the_known_ones() {
        let e = err(json!({"any": [{"attr": "town", "eq": "Kazan"}]}));
        assert_eq!(e.path, "filter.any[0].attr");
        assert!(e.message.contains("\"town\""), "{e}");
        assert!(
            e.message.contains("birthday, city, last_purchase, spent, vip"),
            "{e}"
        );
    }

    #[test]
    fn an_operator_that_does_not_fit_the_type_is_refused() {
        for (v, path) in [
            (json!({"attr": "city", "gt": "A"}), "filter.gt"),
            (json!({"attr": "spent", "contains": "1"}), "filter.contains"),
            (json!({"attr": "vip", "lt": true}), "filter.lt"),
            (json!({"attr": "vip", "in": [true]}), "filter.in"),
            (json!({"attr": "city", "within_days": 3}), "filter.within_days"),
            (json!({"not": {"attr": "spent", "month": 5}}), "filter.not.month"),
        ] {
            let e = err(v.clone());
            assert_eq!(e.path, path, "{v}: {e}");
            assert!(e.message.contains("does not apply"), "{e}");
        }
        assert!(
            err(json!({"attr": "city", "lt": "M"}))
                .message
                .contains("a string attribute takes eq, ne, in, contains, exists")
        );
    }

    #[test]
    fn malformed_nodes_are_named() {
        let cases = [
            (json!([]), "filter", "expected a filter node"),
            (json!({}), "filter", "an empty node"),
            (
                json!({"tag": "a", "not": {"tag": "b"}}),
                "filter",
                "exactly one key",
            ),
            (json!({"all": {"tag": "a"}}), "filter.all", "expected a list"),
            (json!({"any": []}), "filter.any", "at least one"),
            (
                json!({"all": [{"tagg": "a"}]}),
                "filter.all[0].tagg",
                "unknown node",
            ),
            (json!({"tag": ""}), "filter.tag", "empty"),
            (json!({"tag": 5}), "filter.tag", "a string"),
            (json!({"attr": "city"}), "filter", "exactly one operator"),
            (
                json!({"attr": "city", "eq": "a", "ne": "b"}),
                "filter",
                "exactly one operator",
            ),
            (
                json!({"attr": "city", "like": "a"}),
                "filter.like",
                "unknown operator",
            ),
            (json!({"attr": 5, "eq": "a"}), "filter.attr", "an attribute name"),
            (
                json!({"attr": "birthday", "after": "2020-02-30"}),
                "filter.after",
                "not a date",
            ),
            (
                json!({"attr": "birthday", "eq": "01.02.2020"}),
                "filter.eq",
                "not a date",
            ),
            (
                json!({"attr": "birthday", "month": 13}),
                "filter.month",
                "month 1 to 12",
            ),
            (
                json!({"attr": "birthday", "month_day": "02-30"}),
                "filter.month_day",
                "MM-DD",
            ),
            (
                json!({"attr": "birthday", "anniversary_within_days": 400}),
                "filter.anniversary_within_days",
                "366",
            ),
            (
                json!({"attr": "last_purchase", "within_days": -1}),
                "filter.within_days",
                "whole number",
            ),
            (json!({"attr": "spent", "in": []}), "filter.in", "at least one"),
            (
                json!({"attr": "spent", "in": [1, "2"]}),
                "filter.in[1]",
                "expected a number",
            ),
            (
                json!({"attr": "vip", "exists": "yes"}),
                "filter.exists",
                "true or false",
            ),
            (
                json!({"sent_within_days": 1.5}),
                "filter.sent_within_days",
                "whole number",
            ),
            (json!({"consent": "yes"}), "filter.consent", "opted_in"),
            (
                json!({"consent": ["opted_in", "maybe"]}),
                "filter.consent[1]",
                "opted_in",
            ),
            (json!({"language": "russian"}), "filter.language", "language tag"),
            (
                json!({"language": ["ru", "r u"]}),
                "filter.language[1]",
                "language tag",
            ),
            (json!({"status": "gone"}), "filter.status", "active or invalid"),
            (json!({"opted_out": "no"}), "filter.opted_out", "true or false"),
            (
                json!({"voted": {"survey": "x"}}),
                "filter.voted.survey",
                "positive whole number",
            ),
            (json!({"voted": {}}), "filter.voted", "exactly one of"),
            (json!({"voted": {"campaign": 1}}), "filter.voted", "about surveys"),
            (
                json!({"clicked": {"survey": 1}}),
                "filter.clicked",
                "about campaigns",
            ),
            (
                json!({"replied_to": {"survey": 1, "option": "A"}}),
                "filter.replied_to.option",
                "unknown key",
            ),
            (
                json!({"voted": {"survey": 1, "option": 1}}),
                "filter.voted.option",
                "an option key",
            ),
        ];
        for (v, path, needle) in cases {
            let e = err(v.clone());
            assert_eq!(e.path, path, "{v}: {e}");
            assert!(e.message.contains(needle), "{v}: {e}");
        }
    }

    #[test]
    fn limits_are_errors_not_crashes() {
        // Depth: 16 nots above a tag (17 levels) is refused, and far deeper
        // up to what serde_json reads at all (128 levels).
        for n in [MAX_DEPTH, 100, 126] {
            let mut v = json!({"tag": "x"});
            for _ in 0..n {
                v = json!({"not": v});
            }
            let e = err(v);
            assert!(e.message.contains("deeper than 16"), "{e}");
            assert_eq!(e.path.matches(".not").count(), MAX_DEPTH);
        }
        let mut ok = json!({"tag": "x"});
        for _ in 0..MAX_DEPTH - 1 {
            ok = json!({"not": ok});
        }
        Filter::parse(&ok, &types()).unwrap();
        // Nodes.
        let many: Vec<Value> = (0..MAX_NODES).map(|_| json!({"tag": "x"})).collect();
        let e = err(json!({"all": many}));
        assert_eq!(e.path, format!("filter.all[{}]", MAX_NODES - 1));
        let fits: Vec<Value> = (0..MAX_NODES - 1).map(|_| json!({"tag": "x"})).collect();
        Filter::parse(&json!({"all": fits}), &types()).unwrap();
        // In lists and strings.
        let e = err(json!({"attr": "spent", "in": vec![1; MAX_IN + 1]}));
        assert_eq!(e.path, "filter.in");
        Filter::parse(&json!({"attr": "spent", "in": vec![1; MAX_IN]}), &types()).unwrap();
        let e = err(json!({"attr": "city", "eq": "я".repeat(MAX_STRING + 1)}));
        assert!(e.message.contains("longer than 1000"), "{e}");
        Filter::parse(&json!({"attr": "city", "eq": "я".repeat(MAX_STRING)}), &types()).unwrap();
    }

    #[test]
    fn behaviour_consent_and_language_nodes_parse() {
        let f = Filter::parse(
            &json!({"all": [
                {"sent_within_days": 30}, {"no_reply_for_days": 60},
                {"voted": {"survey": 3, "option": "A"}}, {"replied_to": {"campaign": 9}},
                {"consent": ["opted_in", "pending"]}, {"language": "RU"},
                {"status": "invalid"}, {"opted_out": false},
                {"attr": "birthday", "month_day": "02-29"}
            ]}),
            &types(),
        )
        .unwrap();
        let Node::All(c) = f.root() else { panic!() };
        assert_eq!(
            c[4],
            Node::Consent(vec![ConsentStatus::OptedIn, ConsentStatus::Pending])
        );
        assert_eq!(c[5], Node::Language(vec!["ru".into()]));
        assert_eq!(
            f.references(),
            vec![
                ("filter.all[2].voted", Event::Voted, Target::Survey(3), Some("A")),
                (
                    "filter.all[3].replied_to",
                    Event::RepliedTo,
                    Target::Campaign(9),
                    None
                ),
            ]
        );
    }
}
