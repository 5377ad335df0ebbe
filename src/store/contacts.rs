//! Contacts: create or update by phone (one row per number), read with
//! tags, attributes and opt-out, erase. Attribute types are fixed by their
//! first value (`attribute_types`), so a later value of another type is an
//! error naming the attribute, not a silent mix of numbers and text.
//!
//! Consent moves by rules, applied here where the current state is known:
//! `none` → `pending` (the caller then asks for confirmation, once);
//! anything → `opted_in` (with its evidence); anything → `none`
//! (withdrawn). A contact already `opted_in` asked to be `pending` stays
//! `opted_in`, and a `pending` one is not asked twice.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;

use super::unit::Tx;
use super::{Store, StoreError};
use crate::contacts::{
    AttrType, AttrValue, Attributes, Consent, ConsentStatus, Contact, ContactChanges, ContactStatus,
    TimeZoneSource,
};

/// Why a contact could not be written.
#[derive(Debug, Error)]
pub enum ContactError {
    /// A field's value is not acceptable; `field` names it
    /// (`attributes.spent`, `tags`).
    #[error("{field}: {message}")]
    Invalid {
        /// The field, dotted.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ContactError {
    fn from(e: rusqlite::Error) -> Self {
        ContactError::Store(e.into())
    }
}

/// What writing a contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upserted {
    /// Its id.
    pub id: i64,
    /// Whether it is new.
    pub created: bool,
    /// Whether it just became `pending`: a confirmation must be asked for
    /// (the caller enqueues it and records it with
    /// [`Tx::set_confirmation`]).
    pub confirm: bool,
}

/// A contact's key: its id, or its number (canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// Row id.
    Id(i64),
    /// Canonical phone number.
    Phone(String),
}

pub(super) const SELECT: &str = "SELECT id, phone, name, time_zone, time_zone_source, language, attributes,
        consent_status, consent_at, consent_source, consent_evidence, status, status_reason,
        created_at, updated_at, last_sent_at, last_delivered_at, last_reply_at, messages_sent
    FROM contacts";

impl Tx<'_> {
    /// Creates the contact `phone` or applies `changes` to it. `number_zone`
    /// is the zone of the number's country when it has a single one
    /// (`contacts::time_zone`), used when no zone is given.
    pub fn upsert_contact(
        &mut self,
        phone: &str,
        changes: &ContactChanges,
        number_zone: Option<&str>,
    ) -> Result<Upserted, ContactError> {
        upsert(&self.tx, phone, changes, number_zone, self.now)
    }

    /// Records the double opt-in request sent to a pending contact.
    pub fn set_confirmation(&mut self, contact: i64, message_id: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE contacts SET confirmation_id = ?2 WHERE id = ?1")?
            .execute(params![contact, message_id])?;
        Ok(())
    }

    /// Reads a contact inside the transaction.
    pub fn contact(&mut self, key: &ContactKey) -> Result<Option<Contact>, StoreError> {
        read(&self.tx, key)
    }

    /// Erases a contact: its row, name, attributes and tags go; its
    /// opt-out (kept by number) stays. Returns whether it existed.
    pub fn erase_contact(&mut self, key: &ContactKey) -> Result<bool, StoreError> {
        let n = match key {
            ContactKey::Id(id) => self.tx.execute("DELETE FROM contacts WHERE id = ?1", [id])?,
            ContactKey::Phone(p) => self.tx.execute("DELETE FROM contacts WHERE phone = ?1", [p])?,
        };
        Ok(n > 0)
    }
}

impl Store {
    /// A contact by id or number, with its opt-out.
    pub fn contact(&self, key: &ContactKey) -> Result<Option<Contact>, StoreError> {
        read(&self.reader(), key)
    }

    /// Contacts by id, in the order given (missing ones skipped).
    pub fn contacts_by_ids(&self, ids: &[i64]) -> Result<Vec<Contact>, StoreError> {
        let conn = self.reader();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = read(&conn, &ContactKey::Id(*id))? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The attribute types known (name → type).
    pub fn attribute_types(&self) -> Result<BTreeMap<String, AttrType>, StoreError> {
        attribute_types(&self.reader())
    }
}

pub(super) fn attribute_types(conn: &Connection) -> Result<BTreeMap<String, AttrType>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT name, type FROM attribute_types")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (name, t) = row?;
        if let Ok(t) = t.parse() {
            out.insert(name, t);
        }
    }
    Ok(out)
}

/// Fixes the type of `name` if it has none; an error if it has another.
pub(super) fn check_attribute_type(conn: &Connection, name: &str, t: AttrType) -> Result<(), ContactError> {
    let known: Option<String> = conn
        .prepare_cached("SELECT type FROM attribute_types WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    match known {
        None => {
            conn.prepare_cached("INSERT INTO attribute_types (name, type) VALUES (?1, ?2)")?
                .execute(params![name, t.as_str()])?;
            Ok(())
        }
        Some(k) if k == t.as_str() => Ok(()),
        Some(k) => Err(ContactError::Invalid {
            field: format!("attributes.{name}"),
            message: format!("{name} is a {k} attribute (fixed by its first value); got a {t}"),
        }),
    }
}

fn upsert(
    tx: &Connection,
    phone: &str,
    changes: &ContactChanges,
    number_zone: Option<&str>,
    now: i64,
) -> Result<Upserted, ContactError> {
    for (name, value) in &changes.attributes {
        if let Some(v) = value {
            check_attribute_type(tx, name, v.attr_type())?;
        }
    }
    let existing = read(tx, &ContactKey::Phone(phone.to_string()))?;
    let created = existing.is_none();
    let mut c = existing.unwrap_or_else(|| Contact {
        id: 0,
        phone: phone.to_string(),
        name: None,
        time_zone: None,
        time_zone_source: TimeZoneSource::Default,
        language: None,
        tags: Vec::new(),
        attributes: Attributes::new(),
        consent: Consent::default(),
        status: ContactStatus::Active,
        status_reason: None,
        created_at: now,
        updated_at: now,
        last_sent_at: None,
        last_delivered_at: None,
        last_reply_at: None,
        messages_sent: 0,
        opted_out: None,
    });
    if let Some(name) = &changes.name {
        c.name = name.clone();
    }
    if let Some(lang) = &changes.language {
        c.language = lang.clone();
    }
    match &changes.time_zone {
        Some(Some(z)) => {
            c.time_zone = Some(z.clone());
            c.time_zone_source = TimeZoneSource::Given;
        }
        Some(None) => {
            c.time_zone = None;
            c.time_zone_source = TimeZoneSource::Default;
        }
        None => {}
    }
    if c.time_zone_source != TimeZoneSource::Given {
        c.time_zone = number_zone.map(str::to_string);
        c.time_zone_source = if number_zone.is_some() {
            TimeZoneSource::Number
        } else {
            TimeZoneSource::Default
        };
    }
    for (name, value) in &changes.attributes {
        match value {
            Some(v) => c.attributes.insert(name.clone(), v.clone()),
            None => c.attributes.remove(name),
        };
    }
    let mut confirm = false;
    if let Some(want) = &changes.consent {
        match (c.consent.status, want.status) {
            // Unchanged, and the writer keeps what is recorded.
            (have, status) if have == status && changes.keep_same_consent => {}
            // Already in, or already asked: nothing new to ask.
            (ConsentStatus::OptedIn | ConsentStatus::Pending, ConsentStatus::Pending) => {}
            (ConsentStatus::None, ConsentStatus::Pending) => {
                c.consent = Consent {
                    status: ConsentStatus::Pending,
                    at: Some(want.at.unwrap_or(now)),
                    source: want.source.clone(),
                    evidence: want.evidence.clone(),
                };
                confirm = true;
            }
            (_, status) => {
                c.consent = Consent {
                    status,
                    at: Some(want.at.unwrap_or(now)),
                    source: want.source.clone(),
                    evidence: want.evidence.clone(),
                };
            }
        }
    }
    // An update by a person (or a file) makes an invalid contact worth trying again.
    c.status = ContactStatus::Active;
    c.status_reason = None;
    let attributes = serde_json::Value::Object(
        c.attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect(),
    )
    .to_string();
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO contacts (phone, name, time_zone, time_zone_source, language, attributes,
                 consent_status, consent_at, consent_source, consent_evidence, status, status_reason,
                 unreachable_since, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'active', NULL, NULL, ?11, ?11)
             ON CONFLICT (phone) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,
                 time_zone_source = excluded.time_zone_source, language = excluded.language,
                 attributes = excluded.attributes, consent_status = excluded.consent_status,
                 consent_at = excluded.consent_at, consent_source = excluded.consent_source,
                 consent_evidence = excluded.consent_evidence, status = 'active', status_reason = NULL,
                 unreachable_since = NULL, updated_at = excluded.updated_at
             RETURNING id",
        )?
        .query_row(
            params![
                phone,
                c.name,
                c.time_zone,
                c.time_zone_source.as_str(),
                c.language,
                attributes,
                c.consent.status.as_str(),
                c.consent.at,
                c.consent.source,
                c.consent.evidence,
                now
            ],
            |r| r.get(0),
        )?;
    if let Some(tags) = &changes.tags {
        tx.prepare_cached("DELETE FROM contact_tags WHERE contact_id = ?1")?
            .execute([id])?;
        for tag in tags {
            add_tag(tx, id, tag)?;
        }
    }
    for tag in &changes.add_tags {
        add_tag(tx, id, tag)?;
    }
    Ok(Upserted { id, created, confirm })
}

fn add_tag(tx: &Connection, id: i64, tag: &str) -> Result<(), ContactError> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Ok(());
    }
    tx.prepare_cached("INSERT OR IGNORE INTO contact_tags (contact_id, tag, tag_key) VALUES (?1, ?2, ?3)")?
        .execute(params![id, tag, crate::contacts::fold(tag)])?;
    Ok(())
}

pub(super) fn read(conn: &Connection, key: &ContactKey) -> Result<Option<Contact>, StoreError> {
    let (sql, arg): (String, rusqlite::types::Value) = match key {
        ContactKey::Id(id) => (format!("{SELECT} WHERE id = ?1"), (*id).into()),
        ContactKey::Phone(p) => (format!("{SELECT} WHERE phone = ?1"), p.clone().into()),
    };
    let found = conn
        .prepare_cached(&sql)?
        .query_row([arg], contact_row)
        .optional()?;
    let Some(mut c) = found else {
        return Ok(None);
    };
    fill(conn, &mut c)?;
    Ok(Some(c))
}

/// Fills what a contact row does not hold: tags and opt-out.
fn fill(conn: &Connection, c: &mut Contact) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("SELECT tag FROM contact_tags WHERE contact_id = ?1 ORDER BY tag")?;
    c.tags = stmt.query_map([c.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    c.opted_out = super::optouts::lookup(conn, &c.phone)?;
    Ok(())
}

/// [`fill`] for a page of contacts: two queries for the page, not two per
/// contact (a preview or an export walks 100,000 of them).
pub(super) fn fill_page(conn: &Connection, page: &mut [Contact]) -> Result<(), StoreError> {
    if page.is_empty() {
        return Ok(());
    }
    let ids = serde_json::Value::from(page.iter().map(|c| c.id).collect::<Vec<_>>()).to_string();
    let phones =
        serde_json::Value::from(page.iter().map(|c| c.phone.clone()).collect::<Vec<_>>()).to_string();
    let mut tags: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT contact_id, tag FROM contact_tags
             WHERE contact_id IN (SELECT value FROM json_each(?1)) ORDER BY contact_id, tag",
        )?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            tags.entry(r.get(0)?).or_default().push(r.get(1)?);
        }
    }
    let mut optouts: std::collections::HashMap<String, crate::store::OptOut> =
        std::collections::HashMap::new();
    for o in super::optouts::lookup_many(conn, &phones)? {
        optouts.insert(o.number.clone(), o);
    }
    for c in page {
        c.tags = tags.remove(&c.id).unwrap_or_default();
        c.opted_out = optouts.remove(&c.phone);
    }
    Ok(())
}

/// One row of [`SELECT`] (tags and opt-out left empty: see [`fill`]).
pub(super) fn contact_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Contact> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let attrs: String = r.get(6)?;
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&attrs).map_err(|e| bad(6, e.to_string()))?;
    let mut attributes = Attributes::new();
    for (k, v) in json {
        // Dates are stored as "YYYY-MM-DD" strings; read them back as dates.
        if let Ok(value) = AttrValue::from_json(&v, None) {
            attributes.insert(k, value);
        }
    }
    Ok(Contact {
        id: r.get(0)?,
        phone: r.get(1)?,
        name: r.get(2)?,
        time_zone: r.get(3)?,
        time_zone_source: r
            .get::<_, String>(4)?
            .parse()
            .map_err(|e: crate::contacts::InvalidValue| bad(4, e.0))?,
        language: r.get(5)?,
        tags: Vec::new(),
        attributes,
        consent: Consent {
            status: r
                .get::<_, String>(7)?
                .parse()
                .map_err(|e: crate::contacts::InvalidValue| bad(7, e.0))?,
            at: r.get(8)?,
            source: r.get(9)?,
            evidence: r.get(10)?,
        },
        status: r
            .get::<_, String>(11)?
            .parse()
            .map_err(|e: crate::contacts::InvalidValue| bad(11, e.0))?,
        status_reason: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        last_sent_at: r.get(15)?,
        last_delivered_at: r.get(16)?,
        last_reply_at: r.get(17)?,
        messages_sent: r.get(18)?,
        opted_out: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn upsert_merges_by_phone_and_reads_back() {
        let (_d, s) = store();
        let mut ch = ContactChanges {
            name: Some(Some("Anna".into())),
            tags: Some(vec!["vip".into(), " staff ".into()]),
            ..Default::default()
        };
        ch.attributes
            .insert("spent".into(), Some(AttrValue::Number(1200.0)));
        let a = s
            .write(1, |tx| {
                tx.upsert_contact("+79161234567", &ch, Some("Europe/Moscow"))
            })
            .unwrap();
        assert!(a.created);
        let mut ch2 = ContactChanges::default();
        ch2.attributes
            .insert("city".into(), Some(AttrValue::String("Kazan".into())));
        let b = s
            .write(2, |tx| {
                tx.upsert_contact("+79161234567", &ch2, Some("Europe/Moscow"))
            })
            .unwrap();
        assert_eq!((b.id, b.created), (a.id, false));
        let c = s.contact(&ContactKey::Id(a.id)).unwrap().unwrap();
        assert_eq!(c.name.as_deref(), Some("Anna"));
        assert_eq!(c.tags, vec!["staff".to_string(), "vip".to_string()]);
        assert_eq!(c.attributes.len(), 2);
        assert_eq!(c.time_zone_source, TimeZoneSource::Number);
        assert_eq!((c.created_at, c.updated_at), (1, 2));
    }

    #[test]
    fn an_attribute_keeps_its_first_type() {
        let (_d, s) = store();
        let mut ch = ContactChanges::default();
        ch.attributes.insert("spent".into(), Some(AttrValue::Number(1.0)));
        s.write(1, |tx| tx.upsert_contact("+79161234567", &ch, None))
            .unwrap();
        let mut ch = ContactChanges::default();
        ch.attributes
            .insert("spent".into(), Some(AttrValue::String("lots".into())));
        let err = s
            .write(1, |tx| tx.upsert_contact("+79161234568", &ch, None))
            .unwrap_err();
        assert!(err.to_string().contains("attributes.spent"), "{err}");
    }

    #[test]
    fn consent_is_asked_once_and_never_downgraded_to_pending() {
        let (_d, s) = store();
        let pending = ContactChanges {
            consent: Some(Consent {
                status: ConsentStatus::Pending,
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = s
            .write(1, |tx| tx.upsert_contact("+79161234567", &pending, None))
            .unwrap();
        assert!(u.confirm);
        let u = s
            .write(2, |tx| tx.upsert_contact("+79161234567", &pending, None))
            .unwrap();
        assert!(!u.confirm, "a pending contact is not asked twice");
        let yes = ContactChanges {
            consent: Some(Consent {
                status: ConsentStatus::OptedIn,
                evidence: Some("replied YES".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        s.write(3, |tx| tx.upsert_contact("+79161234567", &yes, None))
            .unwrap();
        let u = s
            .write(4, |tx| tx.upsert_contact("+79161234567", &pending, None))
            .unwrap();
        assert!(!u.confirm);
        let c = s
            .contact(&ContactKey::Phone("+79161234567".into()))
            .unwrap()
            .unwrap();
        assert_eq!(c.consent.status, ConsentStatus::OptedIn);
        assert_eq!(c.consent.at, Some(3));
    }

    #[test]
    fn erasing_keeps_the_optout() {
        let (_d, s) = store();
        s.write(1, |tx| {
            tx.upsert_contact("+79161234567", &ContactChanges::default(), None)
        })
        .unwrap();
        s.write(1, |tx| {
            tx.add_optout(&crate::store::NewOptOut {
                number: "+79161234567",
                source: crate::store::OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        assert!(
            s.write(2, |tx| tx
                .erase_contact(&ContactKey::Phone("+79161234567".into())))
                .unwrap()
        );
        assert!(
            s.contact(&ContactKey::Phone("+79161234567".into()))
                .unwrap()
                .is_none()
        );
        assert!(s.optout("+79161234567").unwrap().is_some());
    }
}
