//! `/v1/contacts`: create or update a contact by its number, list them (by
//! segment, tag or search), read, change (a JSON merge patch) and erase
//! one. `{id}` is a contact's id or its number in any form the default
//! region reads.
//!
//! Bodies are read field by field here so that every refusal names its
//! field (`attributes.city: …`) and `null` can mean "clear it" (RFC 7396):
//! Names, tags, languages and attributes follow [`crate::contacts::fields`]
//! (the import's rules too):
//! - `name`: at most 200 characters, no control characters, trimmed (empty
//!   clears it);
//! - `time_zone`: an IANA zone (null: derived again from the number);
//! - `language`: a BCP 47 tag (`ru-RU`, `pt_BR`), its primary subtag stored
//!   in lower case;
//! - `tags`: at most 100, each 1–64 characters without `;` or control
//!   characters, trimmed, duplicates (any ASCII case) merged; they replace
//!   the contact's tags;
//! - `attributes`: at most 100 per contact, names of 1–64 letters (any
//!   script), digits and `_`, not starting with a digit, spaces and `-`
//!   read as `_` (so a template can say `attributes.city`); values are
//!   strings (at most 1000 characters, no control characters),
//!   numbers, booleans or dates `YYYY-MM-DD`, of the type the attribute
//!   has across contacts; `null` removes one, `"attributes": null` all;
//! - `consent`: replaced whole; `opted_in` must be proven by a `source` or
//!   `evidence` (consent must be provable, not asserted).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::contacts::{
    AttrType, AttrValue, Consent, ConsentStatus, Contact, ContactChanges, ContactStatus, TimeZoneSource,
};
use crate::phone::Msisdn;
use crate::store::{ContactError, ContactFilter, ContactKey, OptOut, rfc3339};

use crate::contacts::fields;
pub use crate::contacts::fields::{MAX_ATTRIBUTE_NAME, MAX_ATTRIBUTE_VALUE, MAX_NAME, MAX_TAG};
/// Most tags on a contact.
pub const MAX_TAGS: usize = 100;
/// Most attributes on a contact.
pub const MAX_ATTRIBUTES: usize = 100;
/// The consent source of a contact made `pending` through the API without
/// one: where its double opt-in began.
pub const API_SOURCE: &str = "api";

/// Longest consent source, in characters.
pub const MAX_CONSENT_SOURCE: usize = 200;
/// Longest consent evidence, in characters.
pub const MAX_CONSENT_EVIDENCE: usize = 10_000;
/// Longest search text of `GET /v1/contacts?q=`, in characters.
pub const MAX_QUERY: usize = 200;
/// How far in the future a consent time may be (clock skew), in ms.
const CONSENT_SKEW_MS: i64 = 24 * 60 * 60 * 1000;

/// `POST /v1/contacts` body (for the document; read field by field).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ContactInput {
    /// The number, as the user has it (read in the default region): the
    /// contact is created, or updated if one has this number.
    #[schema(
        min_length = 1,
        pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$",
        example = "+79161234567"
    )]
    phone: String,
    /// Name; null or empty clears it.
    #[schema(max_length = 200, example = "Anna Petrova")]
    name: Option<String>,
    /// IANA zone; null: derived from the number (its country's zone when
    /// it has one, else `contacts.default_time_zone`).
    #[schema(max_length = 64, example = "Europe/Moscow")]
    time_zone: Option<String>,
    /// Language: a BCP 47 tag (`ru`, `ru-RU`); its primary subtag is stored.
    #[schema(pattern = r"^[A-Za-z]{2,3}$", example = "ru")]
    language: Option<String>,
    /// Tags, replacing the contact's: at most 100, each 1–64 characters
    /// (trimmed; not only white space).
    #[schema(max_items = 100, example = json!(["vip", "kazan"]))]
    tags: Option<Vec<TagInput>>,
    /// Attributes merged into the contact's: string (≤ 1000 characters),
    /// number, boolean or date `YYYY-MM-DD`; null removes one; null for the
    /// whole object removes them all. Names: letters (any script), digits
    /// and `_`, 1–64, not starting with a digit; spaces and `-` read as `_`.
    #[schema(value_type = Option<Object>, example = json!({"city": "Kazan", "spent": 1500, "birthday": "1990-05-17"}))]
    attributes: Option<Map<String, Value>>,
    /// Consent to marketing, replaced whole.
    consent: Option<ConsentInput>,
}

/// A tag (for the document).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"\S")]
pub struct TagInput(#[allow(dead_code)] String);

/// `PATCH /v1/contacts/{id}` body: a JSON merge patch (RFC 7396) of the
/// fields of `POST /v1/contacts` except `phone` (a number is the contact:
/// create one for a new number). An absent field is left as it is; null
/// clears it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ContactPatch {
    /// Name; null or empty clears it.
    #[schema(max_length = 200)]
    name: Option<String>,
    /// IANA zone; null: derived from the number again.
    #[schema(max_length = 64)]
    time_zone: Option<String>,
    /// A BCP 47 tag (`ru`, `ru-RU`), its primary subtag stored; null clears it.
    #[schema(pattern = r"^[A-Za-z]{2,3}$")]
    language: Option<String>,
    /// Tags, replacing the contact's; null removes them all.
    #[schema(max_items = 100)]
    tags: Option<Vec<TagInput>>,
    /// Attributes merged into the contact's (null removes one; null for the object removes all).
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
    /// Consent, replaced whole.
    consent: Option<ConsentInput>,
}

/// Consent as given.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ConsentInput {
    /// `opted_in` (needs `source` or `evidence`), `pending` (a double
    /// opt-in: the contact is asked to confirm) or `none` (withdrawn).
    status: ConsentStatusName,
    /// When it was given (RFC 3339; default: now). Not in the future.
    #[schema(format = DateTime, example = "2026-11-30T12:00:00Z")]
    at: Option<String>,
    /// Where: "web form", "shop counter", "keyword JOIN" (default for
    /// `pending`: `api`; a confirmed double opt-in's source is
    /// `double opt-in (<this>)`).
    #[schema(max_length = 200, example = "web form example.com/subscribe")]
    source: Option<String>,
    /// The text agreed to, or the exchange.
    #[schema(max_length = 10000, example = "I agree to receive news and offers by SMS")]
    evidence: Option<String>,
}

/// A consent status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatusName {
    /// Agreed, with proof.
    OptedIn,
    /// Asked to confirm.
    Pending,
    /// No consent.
    None,
}

impl From<ConsentStatus> for ConsentStatusName {
    fn from(s: ConsentStatus) -> Self {
        match s {
            ConsentStatus::OptedIn => ConsentStatusName::OptedIn,
            ConsentStatus::Pending => ConsentStatusName::Pending,
            ConsentStatus::None => ConsentStatusName::None,
        }
    }
}

/// Whether the contact can be reached.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatusName {
    /// Reachable as far as the gateway knows.
    Active,
    /// Its messages fail for the number's reasons (`status_reason`): left
    /// out of marketing until it replies, a message is delivered, or it is updated.
    Invalid,
}

/// Where the time zone comes from.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeZoneSourceName {
    /// Given (API, import).
    Given,
    /// The number's country has a single zone.
    Number,
    /// `contacts.default_time_zone`.
    Default,
}

/// Consent as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    /// opted_in, pending or none.
    pub status: ConsentStatusName,
    /// When it was given (or asked for, pending), RFC 3339.
    pub at: Option<String>,
    /// Where.
    pub source: Option<String>,
    /// The text agreed to, or the exchange.
    pub evidence: Option<String>,
}

/// The number's opt-out, which wins over any consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptedOutView {
    /// How it came: keyword, api, import or review.
    pub source: String,
    /// When (RFC 3339).
    pub at: String,
    /// The reply that opted it out, if it was one.
    pub keyword: Option<String>,
}

impl From<&OptOut> for OptedOutView {
    fn from(o: &OptOut) -> Self {
        OptedOutView {
            source: o.source.clone(),
            at: rfc3339(o.at),
            keyword: o.keyword.clone(),
        }
    }
}

/// Whether a marketing message may go to the contact now.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketingView {
    /// Opted in, active and not opted out.
    pub allowed: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// A contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    /// Id (a decimal string).
    pub id: String,
    /// The number, E.164 or a short code.
    pub phone: String,
    /// Name.
    pub name: Option<String>,
    /// IANA zone (the configured default when `time_zone_source` is `default`).
    pub time_zone: String,
    /// given, number or default.
    pub time_zone_source: TimeZoneSourceName,
    /// Language (BCP 47 primary subtag).
    pub language: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Attributes: strings, numbers, booleans, dates `YYYY-MM-DD`.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Consent to marketing.
    pub consent: ConsentView,
    /// active or invalid.
    pub status: ContactStatusName,
    /// Why invalid.
    pub status_reason: Option<String>,
    /// The number's opt-out, if it opted out: it wins over consent.
    pub opted_out: Option<OptedOutView>,
    /// Whether a marketing message may go now, and why not.
    pub marketing: MarketingView,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The last message recorded sent to it (RFC 3339).
    pub last_sent_at: Option<String>,
    /// The last delivery report saying a message arrived (RFC 3339).
    pub last_delivered_at: Option<String>,
    /// The last message received from it (RFC 3339).
    pub last_reply_at: Option<String>,
    /// Messages sent to it.
    #[schema(minimum = 0)]
    pub messages_sent: i64,
}

/// Why a marketing message may not go to `c` now, or `None` if it may
/// (the same rule as [`Contact::may_receive_marketing`]).
pub fn marketing_refusal(c: &Contact) -> Option<String> {
    if let Some(o) = &c.opted_out {
        return Some(format!("opted out ({}) at {}", o.source, rfc3339(o.at)));
    }
    if c.status == ContactStatus::Invalid {
        return Some(format!(
            "invalid: {}",
            c.status_reason.as_deref().unwrap_or("its messages fail")
        ));
    }
    match c.consent.status {
        ConsentStatus::OptedIn => None,
        ConsentStatus::Pending => Some("consent pending: the contact has not confirmed yet".into()),
        ConsentStatus::None => Some("no consent to marketing".into()),
    }
}

impl ContactView {
    /// The view of `c`; `default_zone` is `contacts.default_time_zone`.
    pub fn new(c: &Contact, default_zone: &str) -> Self {
        let refusal = marketing_refusal(c);
        ContactView {
            id: c.id.to_string(),
            phone: c.phone.clone(),
            name: c.name.clone(),
            time_zone: c.time_zone.clone().unwrap_or_else(|| default_zone.to_string()),
            time_zone_source: match c.time_zone_source {
                TimeZoneSource::Given => TimeZoneSourceName::Given,
                TimeZoneSource::Number => TimeZoneSourceName::Number,
                TimeZoneSource::Default => TimeZoneSourceName::Default,
            },
            language: c.language.clone(),
            tags: c.tags.clone(),
            attributes: c
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
            consent: ConsentView {
                status: c.consent.status.into(),
                at: c.consent.at.map(rfc3339),
                source: c.consent.source.clone(),
                evidence: c.consent.evidence.clone(),
            },
            status: match c.status {
                ContactStatus::Active => ContactStatusName::Active,
                ContactStatus::Invalid => ContactStatusName::Invalid,
            },
            status_reason: c.status_reason.clone(),
            opted_out: c.opted_out.as_ref().map(OptedOutView::from),
            marketing: MarketingView {
                allowed: refusal.is_none(),
                reason: refusal,
            },
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            last_sent_at: c.last_sent_at.map(rfc3339),
            last_delivered_at: c.last_delivered_at.map(rfc3339),
            last_reply_at: c.last_reply_at.map(rfc3339),
            messages_sent: c.messages_sent,
        }
    }
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    /// Contacts by id.
    pub contacts: Vec<ContactView>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// What erasing a contact answers: what is gone and what was kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactErased {
    /// The erased contact's id.
    pub id: String,
    /// Its number.
    pub phone: String,
    /// Always true: its row, name, attributes, tags and consent are gone.
    pub erased: bool,
    /// The number's opt-out, kept (it outlives the contact: the number
    /// still gets nothing), or null if it had none.
    pub opted_out: Option<OptedOutView>,
}

/// Query of `GET /v1/contacts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only the contacts of this saved segment (its id; empty: any).
    #[param(pattern = r"^[0-9]{0,18}$")]
    segment: Option<String>,
    /// Only contacts with this tag (ASCII case ignored).
    #[param(max_length = 64)]
    tag: Option<String>,
    /// Only contacts whose name contains this (any case) or whose number
    /// contains its digits.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

fn field_error(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_contact", format!("{field}: {message}"))
}

fn contact_error(e: ContactError) -> ApiError {
    match e {
        ContactError::Invalid { field, message } => field_error(&field, message),
        ContactError::Store(e) => ApiError::internal(e),
    }
}

fn number(app: &AppState, input: &str) -> Result<Msisdn, ApiError> {
    Msisdn::parse(input, app.contacts.region).map_err(|e| ApiError::invalid("invalid_number", e.to_string()))
}

/// A contact's key from a path segment: digits are an id (up to 18);
/// anything else is a number read in the default region. `fallback` is
/// the number digits would be, tried when no contact has that id.
fn key_of(app: &AppState, input: &str) -> Result<(ContactKey, Option<ContactKey>), ApiError> {
    let trimmed = input.trim();
    if !trimmed.is_empty() && trimmed.len() <= 18 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let id: i64 = trimmed
            .parse()
            .map_err(|_| ApiError::not_found(format!("no contact {input:?}")))?;
        let fallback = Msisdn::parse(trimmed, app.contacts.region)
            .ok()
            .map(|n| ContactKey::Phone(n.as_str().to_string()));
        return Ok((ContactKey::Id(id), fallback));
    }
    Ok((ContactKey::Phone(number(app, input)?.as_str().to_string()), None))
}

/// Finds the contact `input` names inside a transaction.
fn find(
    tx: &mut crate::store::Tx<'_>,
    keys: &(ContactKey, Option<ContactKey>),
) -> Result<Option<Contact>, ApiError> {
    if let Some(c) = tx.contact(&keys.0)? {
        return Ok(Some(c));
    }
    match &keys.1 {
        Some(k) => Ok(tx.contact(k)?),
        None => Ok(None),
    }
}

fn text<'a>(field: &str, v: &'a Value) -> Result<&'a str, ApiError> {
    v.as_str().ok_or_else(|| field_error(field, "must be a string"))
}

/// An optional text field: `None` absent, `Some(None)` null, else the text.
fn nullable<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<Option<&'a str>>, ApiError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => text(field, v).map(|s| Some(Some(s))),
    }
}

/// Whether `name` may name an attribute as written
/// ([`fields::attribute_name`], spaces and `-` not folded).
pub fn attribute_name_ok(name: &str) -> bool {
    fields::attribute_name(name).is_ok_and(|n| n == name)
}

/// A body read into changes.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The changes.
    pub changes: ContactChanges,
    /// `"attributes": null`: remove every attribute first.
    pub clear_attributes: bool,
}

/// Reads the fields of a contact body (`phone` excepted) into changes.
/// `types`: the attribute types known; `now`: unix ms. Every error names
/// its field.
pub fn parse_fields(
    obj: &Map<String, Value>,
    types: &BTreeMap<String, AttrType>,
    now: i64,
) -> Result<Parsed, ApiError> {
    const KNOWN: [&str; 7] = [
        "phone",
        "name",
        "time_zone",
        "language",
        "tags",
        "attributes",
        "consent",
    ];
    if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(field_error(
            unknown,
            format!("unknown field; a contact has {}", KNOWN.join(", ")),
        ));
    }
    let mut p = Parsed::default();
    if let Some(name) = nullable(obj, "name")? {
        let name = name
            .map(|n| fields::name(n).map_err(|m| field_error("name", m)))
            .transpose()?;
        // A name of spaces or invisible characters alone is no name.
        p.changes.name = Some(name.filter(|n| !crate::templates::blank(n)));
    }
    if let Some(zone) = nullable(obj, "time_zone")? {
        if let Some(z) = zone {
            crate::contacts::time_zone::check(z).map_err(|m| field_error("time_zone", m))?;
        }
        p.changes.time_zone = Some(zone.map(str::to_string));
    }
    if let Some(lang) = nullable(obj, "language")? {
        let lang = match lang {
            Some(l) => Some(fields::language(l).map_err(|m| field_error("language", m))?),
            None => None,
        };
        p.changes.language = Some(lang);
    }
    match obj.get("tags") {
        None => {}
        Some(Value::Null) => p.changes.tags = Some(Vec::new()),
        Some(Value::Array(items)) => {
            if items.len() > MAX_TAGS {
                return Err(field_error("tags", format!("more than {MAX_TAGS} tags")));
            }
            let mut tags: Vec<String> = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let field = format!("tags[{i}]");
                let t = fields::tag(text(&field, item)?).map_err(|m| field_error(&field, m))?;
                if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    tags.push(t);
                }
            }
            p.changes.tags = Some(tags);
        }
        Some(_) => return Err(field_error("tags", "must be a list of strings")),
    }
    match obj.get("attributes") {
        None => {}
        Some(Value::Null) => p.clear_attributes = true,
        Some(Value::Object(attrs)) => {
            if attrs.len() > MAX_ATTRIBUTES {
                return Err(field_error(
                    "attributes",
                    format!("more than {MAX_ATTRIBUTES} attributes"),
                ));
            }
            for (raw, v) in attrs {
                let field = format!("attributes.{raw}");
                let name = fields::attribute_name(raw).map_err(|m| field_error(&field, m))?;
                if v.is_null() {
                    p.changes.attributes.insert(name, None);
                    continue;
                }
                if let Some(s) = v.as_str() {
                    fields::check_attribute_string(s).map_err(|m| field_error(&field, m))?;
                }
                let value =
                    AttrValue::from_json(v, types.get(&name).copied()).map_err(|e| field_error(&field, e))?;
                p.changes.attributes.insert(name, Some(value));
            }
        }
        Some(_) => return Err(field_error("attributes", "must be an object")),
    }
    match obj.get("consent") {
        None => {}
        Some(Value::Object(c)) => p.changes.consent = Some(parse_consent(c, now)?),
        Some(_) => {
            return Err(field_error(
                "consent",
                "must be an object {\"status\", \"at\", \"source\", \"evidence\"}; to withdraw give {\"status\": \"none\"}",
            ));
        }
    }
    Ok(p)
}

fn parse_consent(c: &Map<String, Value>, now: i64) -> Result<Consent, ApiError> {
    const KNOWN: [&str; 4] = ["status", "at", "source", "evidence"];
    if let Some(unknown) = c.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(field_error(
            &format!("consent.{unknown}"),
            "unknown field; consent has status, at, source, evidence",
        ));
    }
    let status: ConsentStatus = match c.get("status") {
        None | Some(Value::Null) => {
            return Err(field_error(
                "consent.status",
                "missing: opted_in, pending or none",
            ));
        }
        Some(v) => text("consent.status", v)?
            .parse()
            .map_err(|e| field_error("consent.status", e))?,
    };
    let at = match nullable(c, "at")?.flatten() {
        None => None,
        Some(s) => {
            let t = DateTime::parse_from_rfc3339(s)
                .map_err(|e| field_error("consent.at", format!("{s:?} is not an RFC 3339 time ({e})")))?
                .timestamp_millis();
            if t > now + CONSENT_SKEW_MS {
                return Err(field_error(
                    "consent.at",
                    "is in the future: consent is recorded once given",
                ));
            }
            Some(t)
        }
    };
    let bounded = |field: &str, max: usize| -> Result<Option<String>, ApiError> {
        match nullable(c, field)?.flatten() {
            Some(s) if s.chars().count() > max => Err(field_error(
                &format!("consent.{field}"),
                format!("longer than {max} characters"),
            )),
            Some(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            None => Ok(None),
        }
    };
    let source = bounded("source", MAX_CONSENT_SOURCE)?;
    let evidence = bounded("evidence", MAX_CONSENT_EVIDENCE)?;
    if status == ConsentStatus::OptedIn && source.is_none() && evidence.is_none() {
        return Err(ApiError::invalid(
            "unproven_consent",
            "consent: opted_in must be proven: give consent.source (where it was given: \"web form example.com/join\") or consent.evidence (the text agreed to); or use \"pending\" to have the contact confirm by SMS",
        ));
    }
    // A double opt-in begun here says so when confirmed: `double opt-in (api)`.
    let source = match status {
        ConsentStatus::Pending => source.or_else(|| Some(API_SOURCE.to_string())),
        _ => source,
    };
    Ok(Consent {
        status,
        at,
        source,
        evidence,
    })
}

fn object(body: Value) -> Result<Map<String, Value>, ApiError> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::invalid(
            "invalid_request",
            "the body must be a JSON object",
        )),
    }
}

/// Writes `parsed` to the contact `phone` in one transaction (attribute
/// count checked against what it has) and reads it back, with whether it
/// was created and whether a double opt-in request was queued (the caller
/// then wakes the dispatcher).
fn save(
    tx: &mut crate::store::Tx<'_>,
    rules: &crate::contacts::ContactRules,
    phone: &Msisdn,
    mut parsed: Parsed,
) -> Result<(Contact, bool, bool), ApiError> {
    {
        let existing = tx.contact(&ContactKey::Phone(phone.as_str().to_string()))?;
        let mut names: std::collections::BTreeSet<String> = existing
            .as_ref()
            .map(|c| c.attributes.keys().cloned().collect())
            .unwrap_or_default();
        if parsed.clear_attributes {
            for n in &names {
                parsed.changes.attributes.entry(n.clone()).or_insert(None);
            }
        }
        for (n, v) in &parsed.changes.attributes {
            if v.is_some() {
                names.insert(n.clone());
            } else {
                names.remove(n);
            }
        }
        if names.len() > MAX_ATTRIBUTES {
            return Err(field_error(
                "attributes",
                format!(
                    "the contact would have {} attributes; at most {MAX_ATTRIBUTES} (remove some with null)",
                    names.len()
                ),
            ));
        }
        let saved = crate::contacts::save(tx, rules, phone, &parsed.changes).map_err(contact_error)?;
        let c = tx
            .contact(&ContactKey::Id(saved.id))?
            .ok_or_else(|| ApiError::internal("contact vanished"))?;
        Ok((c, saved.created, saved.confirm))
    }
}

/// `POST /v1/contacts`: creates the contact with this number, or updates
/// it (the fields given; tags replace, attributes merge).
#[utoipa::path(post, path = "/v1/contacts", operation_id = "upsert_contact", tag = "contacts",
    request_body = ContactInput,
    responses(
        (status = 200, description = "Updated: a contact had this number", body = ContactView),
        (status = 201, description = "Created", body = ContactView,
            links(
                ("GetContact" = (operation_id = "get_contact", parameters(("id" = "$response.body#/id")), description = "The same contact")),
                ("DeleteContact" = (operation_id = "delete_contact", parameters(("id" = "$response.body#/id")), description = "The same contact")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body too large (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "`invalid_number`; `invalid_contact` (the message starts with the field: `time_zone: …`, `attributes.spent: …`); `unproven_consent` (opted_in without source or evidence); `invalid_request` (not an object)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn upsert(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let (c, created) = upsert_contact(&app, object(body)?).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(ContactView::new(&c, &app.contacts.default_time_zone)),
    )
        .into_response())
}

/// Creates the contact with the body's `phone`, or updates the one that
/// has it (the fields given; tags replace, attributes merge): `POST
/// /v1/contacts` and the dashboard's "add a contact". Answers the contact
/// and whether it was created; a double opt-in request it queued is sent
/// at once.
pub async fn upsert_contact(app: &AppState, obj: Map<String, Value>) -> Result<(Contact, bool), ApiError> {
    let phone = match obj.get("phone") {
        None | Some(Value::Null) => return Err(field_error("phone", "missing: the contact's number")),
        Some(v) => number(app, text("phone", v)?)?,
    };
    let now = app.clock.now_ms();
    let rules = app.contacts.clone();
    let (c, created, asked) = app
        .store
        .run(move |s| {
            let types = s.attribute_types()?;
            let parsed = parse_fields(&obj, &types, now)?;
            s.write(now, |tx| save(tx, &rules, &phone, parsed))
        })
        .await?;
    if asked {
        // The double opt-in request is queued: send it now, not whenever
        // something else wakes the dispatcher.
        app.dispatcher.wake();
    }
    Ok((c, created))
}

/// `GET /v1/contacts?segment=&tag=&q=&after=&limit=`.
#[utoipa::path(get, path = "/v1/contacts", operation_id = "list_contacts", tag = "contacts",
    params(ContactQuery),
    responses(
        (status = 200, description = "Contacts by id, narrowed by segment, tag and search together", body = ContactPage),
        (status = 400, description = "Bad query (`bad_query`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 422, description = "No such segment (`unknown_segment`), or its filter no longer validates (`invalid_segment`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ContactQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let segment = match q.segment.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("segment {s:?} is not a segment id"),
            )
        })?),
    };
    let filter = ContactFilter { tag: q.tag, q: q.q };
    let rows = list_contacts(&app, filter, segment, after, limit).await?;
    let next = super::page::next_cursor(rows.iter().map(|c| c.id), limit, false);
    let contacts = rows
        .iter()
        .map(|c| ContactView::new(c, &app.contacts.default_time_zone))
        .collect();
    Ok(Json(ContactPage { contacts, next }).into_response())
}

/// A page of contacts (ids above `after`, at most `limit`, in id order)
/// narrowed by `filter` and a saved `segment`: what `GET /v1/contacts`
/// lists, and the dashboard's contact list. A tag or search text too long
/// is a 400 `bad_query`.
pub async fn list_contacts(
    app: &AppState,
    filter: ContactFilter,
    segment: Option<i64>,
    after: i64,
    limit: usize,
) -> Result<Vec<Contact>, ApiError> {
    for (name, value, max) in [("tag", &filter.tag, MAX_TAG), ("q", &filter.q, MAX_QUERY)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("{name} is longer than {max} characters"),
            ));
        }
    }
    // A number written the local way ("8 916 123-45-67") is searched as
    // the gateway stores it (+79161234567), as everywhere else.
    let mut filter = filter;
    if let Some(q) = &filter.q
        && q.chars().any(|c| c.is_ascii_digit())
        && !q.chars().any(char::is_alphabetic)
        && let Ok(number) = Msisdn::parse(q, app.contacts.region)
    {
        filter.q = Some(number.as_str().to_string());
    }
    let now = app.clock.now_ms();
    app.store
        .run(move |s| -> Result<Vec<Contact>, ApiError> {
            match segment {
                None => Ok(s.list_contacts(&filter, after, limit)?),
                Some(id) => {
                    let seg = s.segment_filter(id).map_err(|e| match e {
                        crate::store::SegmentError::Store(e) => ApiError::internal(e),
                        other => ApiError::invalid(
                            "invalid_segment",
                            format!("segment {id}: its filter no longer validates: {other}"),
                        ),
                    })?;
                    let seg = seg.ok_or_else(|| {
                        ApiError::invalid("unknown_segment", format!("segment: no segment {id}"))
                    })?;
                    Ok(s.list_segment_contacts(&seg, now, &filter, after, limit)?)
                }
            }
        })
        .await
}

/// `GET /v1/contacts/{id}`.
#[utoipa::path(get, path = "/v1/contacts/{id}", operation_id = "get_contact", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id, or its number in any form the default region reads", min_length = 1, pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567")),
    responses(
        (status = 200, description = "The contact", body = ContactView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such contact", body = super::ErrorResponse),
        (status = 422, description = "Neither an id nor a number (`invalid_number`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    let found = find_contact(&app, &input).await?;
    found
        .map(|c| Json(ContactView::new(&c, &app.contacts.default_time_zone)).into_response())
        .ok_or_else(|| ApiError::not_found(format!("no contact {input:?}")))
}

/// The contact `input` names (its id, or its number in any form the
/// default region reads): what `GET /v1/contacts/{id}` answers, and the
/// dashboard's contact page.
pub async fn find_contact(app: &AppState, input: &str) -> Result<Option<Contact>, ApiError> {
    let keys = key_of(app, input)?;
    app.store
        .run(move |s| -> Result<Option<Contact>, ApiError> {
            match s.contact(&keys.0)? {
                Some(c) => Ok(Some(c)),
                None => match &keys.1 {
                    Some(k) => Ok(s.contact(k)?),
                    None => Ok(None),
                },
            }
        })
        .await
}

/// `PATCH /v1/contacts/{id}`: a JSON merge patch (RFC 7396).
#[utoipa::path(patch, path = "/v1/contacts/{id}", operation_id = "patch_contact", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id, or its number in any form the default region reads", min_length = 1, pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567")),
    request_body(content = ContactPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The contact, changed (an invalid contact is active again)", body = ContactView),
        (status = 400, description = "Not JSON (`bad_json`), or a path that is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such contact", body = super::ErrorResponse),
        (status = 413, description = "Body too large (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "`invalid_contact` (naming the field; `phone` cannot change), `unproven_consent`, `invalid_number`, `invalid_request`", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn patch(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    key_of(&app, &input)?;
    let Json(body) = body?;
    let c = update_contact(&app, &input, object(body)?).await?;
    Ok(Json(ContactView::new(&c, &app.contacts.default_time_zone)).into_response())
}

/// Changes the contact `input` names by the merge patch `obj` (the
/// fields of a contact, `phone` unchanged), found and changed in one
/// transaction: `PATCH /v1/contacts/{id}` and the dashboard's contact
/// form. Every refusal names its field.
pub async fn update_contact(
    app: &AppState,
    input: &str,
    obj: Map<String, Value>,
) -> Result<Contact, ApiError> {
    let keys = key_of(app, input)?;
    let input = input.to_string();
    let given_phone = match obj.get("phone") {
        None => None,
        Some(v) => Some(number(app, text("phone", v)?)?),
    };
    let now = app.clock.now_ms();
    let rules = app.contacts.clone();
    let (c, asked) = app
        .store
        .run(move |s| -> Result<(Contact, bool), ApiError> {
            let types = s.attribute_types()?;
            let parsed = parse_fields(&obj, &types, now)?;
            // Found and changed in one transaction: a contact erased
            // meanwhile is not brought back.
            s.write(now, |tx| {
                let Some(c) = find(tx, &keys)? else {
                    return Err(ApiError::not_found(format!("no contact {input:?}")));
                };
                if given_phone.as_ref().is_some_and(|p| p.as_str() != c.phone) {
                    return Err(field_error(
                        "phone",
                        "a contact's number cannot change: create a contact with the new number (and delete this one)",
                    ));
                }
                let (c, _, asked) = save(tx, &rules, &Msisdn::from_canonical(c.phone), parsed)?;
                Ok((c, asked))
            })
        })
        .await?;
    if asked {
        app.dispatcher.wake();
    }
    Ok(c)
}

/// Query of `GET /v1/contacts/{id}/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactMessagesQuery {
    /// Cursor: the `next` of the previous page (messages older than it).
    #[param(pattern = r"^[0-9]{0,18}$")]
    before: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A page of the messages sent to a contact, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactMessagesPage<'a> {
    /// The messages, newest first.
    pub messages: Vec<super::messages::MessageView<'a>>,
    /// Cursor of the next (older) page (`before`), or null on the last.
    pub next: Option<String>,
}

/// The messages sent to the contact `input` names, newest first, with
/// ids below `before` (0: the newest): its history on the dashboard and
/// through the API. `None` when there is no such contact.
pub async fn contact_messages(
    app: &AppState,
    input: &str,
    before: i64,
    limit: usize,
) -> Result<Option<(Contact, crate::store::Page<crate::store::MessageRow>)>, ApiError> {
    let Some(c) = find_contact(app, input).await? else {
        return Ok(None);
    };
    let phone = c.phone.clone();
    let page = app
        .store
        .run(move |s| s.messages_to(&phone, before, limit))
        .await?;
    Ok(Some((c, page)))
}

/// `GET /v1/contacts/{id}/messages?before=&limit=`.
#[utoipa::path(get, path = "/v1/contacts/{id}/messages", operation_id = "list_contact_messages", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id, or its number in any form the default region reads", min_length = 1, pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567"),
        ContactMessagesQuery),
    responses(
        (status = 200, description = "Messages sent to the contact's number, newest first", body = ContactMessagesPage),
        (status = 400, description = "Bad query (`bad_query`), or a path that is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such contact", body = super::ErrorResponse),
        (status = 422, description = "Neither an id nor a number (`invalid_number`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn messages(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ContactMessagesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    let Query(q) = query?;
    let (before, limit) = super::page::page(q.before.as_deref(), q.limit)?;
    let (_, page) = contact_messages(&app, &input, before, limit)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no contact {input:?}")))?;
    let next = super::page::next_cursor(page.iter().map(|m| m.id), limit, page.cut);
    Ok(Json(ContactMessagesPage {
        messages: page.iter().map(super::messages::MessageView::from).collect(),
        next,
    })
    .into_response())
}

/// Erases the contact `input` names (its row, name, attributes, tags and
/// consent) and answers it with the number's opt-out, which is kept:
/// `DELETE /v1/contacts/{id}` and the dashboard's "delete". `None` when
/// there is no such contact.
pub async fn erase_contact(
    app: &AppState,
    input: &str,
) -> Result<Option<(Contact, Option<OptOut>)>, ApiError> {
    let keys = key_of(app, input)?;
    let now = app.clock.now_ms();
    app.store
        .run(move |s| {
            s.write(now, |tx| -> Result<Option<(Contact, Option<OptOut>)>, ApiError> {
                let Some(c) = find(tx, &keys)? else {
                    return Ok(None);
                };
                tx.erase_contact(&ContactKey::Id(c.id))?;
                let kept = tx.optout(&c.phone)?;
                Ok(Some((c, kept)))
            })
        })
        .await
}

/// `DELETE /v1/contacts/{id}`: erases the contact's personal data; its
/// opt-out is kept.
#[utoipa::path(delete, path = "/v1/contacts/{id}", operation_id = "delete_contact", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id, or its number in any form the default region reads", min_length = 1, pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567")),
    responses(
        (status = 200, description = "Erased: the row, name, attributes, tags and consent are gone; the number's opt-out (if any) is kept and shown, so the number still gets nothing", body = ContactErased),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such contact", body = super::ErrorResponse),
        (status = 422, description = "Neither an id nor a number (`invalid_number`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    let erased = erase_contact(&app, &input).await?;
    let Some((c, kept)) = erased else {
        return Err(ApiError::not_found(format!("no contact {input:?}")));
    };
    Ok(Json(ContactErased {
        id: c.id.to_string(),
        phone: c.phone,
        erased: true,
        opted_out: kept.as_ref().map(OptedOutView::from),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Parsed, ApiError> {
        let types = BTreeMap::from([("spent".to_string(), AttrType::Number)]);
        parse_fields(v.as_object().unwrap(), &types, 1_800_000_000_000)
    }

    fn refused(v: Value) -> String {
        let e = parse(v).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        e.message
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert!(refused(json!({"name": 5})).starts_with("name:"));
        assert!(refused(json!({"name": "x".repeat(201)})).starts_with("name:"));
        assert!(refused(json!({"time_zone": "Mars/Olympus"})).starts_with("time_zone:"));
        assert!(refused(json!({"language": "english"})).starts_with("language:"));
        assert!(refused(json!({"language": "e1"})).starts_with("language:"));
        assert!(refused(json!({"tags": "vip"})).starts_with("tags:"));
        assert!(refused(json!({"tags": ["ok", "  "]})).starts_with("tags[1]:"));
        assert!(refused(json!({"tags": ["x".repeat(65)]})).starts_with("tags[0]:"));
        assert!(refused(json!({"tags": vec!["t"; 101]})).starts_with("tags:"));
        assert!(refused(json!({"attributes": {"1st": "x"}})).starts_with("attributes.1st:"));
        assert!(refused(json!({"attributes": {"ci.ty": "x"}})).starts_with("attributes.ci.ty:"));
        assert!(refused(json!({"attributes": {"spent": "lots"}})).starts_with("attributes.spent:"));
        assert!(refused(json!({"attributes": {"list": [1]}})).starts_with("attributes.list:"));
        assert!(refused(json!({"attributes": {"s": "x".repeat(1001)}})).starts_with("attributes.s:"));
        assert!(refused(json!({"consent": null})).starts_with("consent:"));
        assert!(refused(json!({"consent": {"status": "yes"}})).starts_with("consent.status:"));
        assert!(
            refused(json!({"consent": {"status": "none", "at": "yesterday"}})).starts_with("consent.at:")
        );
        assert!(
            refused(json!({"consent": {"status": "none", "at": "2099-01-01T00:00:00Z"}}))
                .starts_with("consent.at:")
        );
        assert!(refused(json!({"nickname": "x"})).starts_with("nickname:"));
    }

    #[test]
    fn fields_follow_the_rules_the_import_follows() {
        // What an export could not carry back, or a spreadsheet would break.
        assert!(refused(json!({"tags": ["a;b"]})).starts_with("tags[0]:"));
        assert!(refused(json!({"tags": ["ok", "a\nb"]})).starts_with("tags[1]:"));
        assert!(refused(json!({"name": "Anna\u{7}"})).starts_with("name:"));
        assert!(refused(json!({"attributes": {"note": "a\u{0}b"}})).starts_with("attributes.note:"));
        // What the import accepts, the API accepts, stored the same way.
        let p = parse(json!({
            "language": "ru-RU",
            "attributes": {"День рождения": "1990-02-01", "last-purchase": "x", "город": "Казань"}
        }))
        .unwrap();
        assert_eq!(p.changes.language, Some(Some("ru".into())));
        assert_eq!(
            parse(json!({"language": "pt_BR"})).unwrap().changes.language,
            Some(Some("pt".into()))
        );
        let names: Vec<&str> = p.changes.attributes.keys().map(String::as_str).collect();
        assert_eq!(names, ["last_purchase", "День_рождения", "город"]);
    }

    #[test]
    fn the_marketing_answer_follows_the_models_rule() {
        let store = crate::store::Store::open_in_memory().unwrap();
        store
            .write(1, |tx| {
                tx.upsert_contact("+79161234567", &ContactChanges::default(), None)
            })
            .unwrap();
        let base = store
            .contact(&ContactKey::Phone("+79161234567".into()))
            .unwrap()
            .unwrap();
        let optout = OptOut {
            number: base.phone.clone(),
            source: "keyword".into(),
            keyword: Some("STOP".into()),
            note: None,
            at: 5,
        };
        for consent in [
            ConsentStatus::OptedIn,
            ConsentStatus::Pending,
            ConsentStatus::None,
        ] {
            for status in [ContactStatus::Active, ContactStatus::Invalid] {
                for opted_out in [None, Some(optout.clone())] {
                    let mut c = base.clone();
                    c.consent.status = consent;
                    c.status = status;
                    c.opted_out = opted_out.clone();
                    let refusal = marketing_refusal(&c);
                    assert_eq!(refusal.is_none(), c.may_receive_marketing(), "{c:?}");
                    if opted_out.is_some() {
                        assert!(refusal.unwrap().starts_with("opted out"), "the opt-out wins");
                    }
                }
            }
        }
    }

    #[test]
    fn pending_without_a_source_began_at_the_api() {
        let p = parse(json!({"consent": {"status": "pending"}})).unwrap();
        assert_eq!(p.changes.consent.unwrap().source.as_deref(), Some(API_SOURCE));
        let p = parse(json!({"consent": {"status": "pending", "source": "web form"}})).unwrap();
        assert_eq!(p.changes.consent.unwrap().source.as_deref(), Some("web form"));
        let p = parse(json!({"consent": {"status": "none"}})).unwrap();
        assert_eq!(p.changes.consent.unwrap().source, None);
    }

    #[test]
    fn opted_in_must_be_proven() {
        let e = parse(json!({"consent": {"status": "opted_in"}})).unwrap_err();
        assert_eq!(e.code, "unproven_consent");
        assert!(e.message.contains("source") && e.message.contains("evidence"));
        let e = parse(json!({"consent": {"status": "opted_in", "source": "  "}})).unwrap_err();
        assert_eq!(e.code, "unproven_consent", "white space proves nothing");
        let ok = parse(json!({"consent": {"status": "opted_in", "source": "web form", "at": "2026-01-02T03:04:05+03:00"}}))
            .unwrap();
        let consent = ok.changes.consent.unwrap();
        assert_eq!(consent.status, ConsentStatus::OptedIn);
        assert_eq!(consent.at, Some(1_767_312_245_000));
    }

    #[test]
    fn values_are_normalised_and_null_clears() {
        let p = parse(json!({
            "name": "  Anna ", "language": "RU", "time_zone": null,
            "tags": [" vip ", "VIP", "kazan"],
            "attributes": {"spent": 1500, "birthday": "1990-05-17", "city": "Kazan", "old": null}
        }))
        .unwrap();
        assert_eq!(p.changes.name, Some(Some("Anna".into())));
        assert_eq!(p.changes.language, Some(Some("ru".into())));
        assert_eq!(p.changes.time_zone, Some(None));
        assert_eq!(p.changes.tags, Some(vec!["vip".into(), "kazan".into()]));
        assert_eq!(
            p.changes.attributes["birthday"]
                .as_ref()
                .map(AttrValue::attr_type),
            Some(AttrType::Date)
        );
        assert_eq!(p.changes.attributes["old"], None);
        let p = parse(json!({"name": "\u{200b}\u{feff} "})).unwrap();
        assert_eq!(p.changes.name, Some(None), "an invisible name is no name");
        let p = parse(json!({"name": "", "tags": null, "attributes": null})).unwrap();
        assert_eq!(p.changes.name, Some(None));
        assert_eq!(p.changes.tags, Some(vec![]));
        assert!(p.clear_attributes);
    }
}
