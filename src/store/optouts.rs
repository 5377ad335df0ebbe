//! Opt-outs: numbers that must never be texted again (but for the one
//! confirmation). Adding one suppresses whatever is queued for it, in the
//! same transaction; enqueue and claim check again.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::json;

use super::types::Status;
use super::unit::Tx;
use super::{Store, StoreError};

/// How a number came to be opted out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutSource {
    /// It replied with an opt-out keyword.
    Keyword,
    /// Added through the API.
    Api,
    /// Imported from a file.
    Import,
    /// A person read a reply that mentioned an opt-out keyword and decided
    /// it was one (`POST /v1/optouts/review/{id}`).
    Review,
}

impl OptOutSource {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OptOutSource::Keyword => "keyword",
            OptOutSource::Api => "api",
            OptOutSource::Import => "import",
            OptOutSource::Review => "review",
        }
    }
}

/// A stored opt-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    /// The number, canonical.
    pub number: String,
    /// keyword, api, import or review.
    pub source: String,
    /// The reply that opted out, for `keyword`.
    pub keyword: Option<String>,
    /// A note from the API or the file.
    pub note: Option<String>,
    /// When (unix ms).
    pub at: i64,
}

impl OptOut {
    /// Why messages to this number are not sent, in words.
    pub fn reason(&self) -> String {
        let when = DateTime::<Utc>::from_timestamp_millis(self.at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        match (self.source.as_str(), &self.keyword) {
            ("keyword", Some(k)) => format!("recipient opted out (replied {k:?} on {when})"),
            ("api", _) => format!("recipient opted out (added through the API on {when})"),
            ("import", _) => format!("recipient opted out (imported on {when})"),
            ("review", Some(k)) => {
                format!("recipient opted out (replied {k:?}, read as an opt-out on review on {when})")
            }
            _ => format!("recipient opted out ({when})"),
        }
    }
}

/// An opt-out to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOptOut<'a> {
    /// Canonical number.
    pub number: &'a str,
    /// How.
    pub source: OptOutSource,
    /// The reply, for keyword opt-outs.
    pub keyword: Option<&'a str>,
    /// A note.
    pub note: Option<&'a str>,
    /// The received message that opted out.
    pub inbox_id: Option<i64>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OptOut> {
    Ok(OptOut {
        number: r.get(0)?,
        source: r.get(1)?,
        keyword: r.get(2)?,
        note: r.get(3)?,
        at: r.get(4)?,
    })
}

/// The opt-outs of the numbers in `numbers_json` (a JSON array of strings).
pub(super) fn lookup_many(conn: &Connection, numbers_json: &str) -> Result<Vec<OptOut>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, source, keyword, note, at FROM optouts
         WHERE number IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([numbers_json], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The opt-out of `number`, if it has one.
pub(super) fn lookup(conn: &Connection, number: &str) -> Result<Option<OptOut>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT number, source, keyword, note, at FROM optouts WHERE number = ?1")?
        .query_row([number], row)
        .optional()?)
}

/// The opt-out that forbids message `id`, with the message's status; none
/// for an opt-out confirmation, which is always allowed.
fn forbidding(conn: &Connection, id: i64) -> Result<Option<(OptOut, String)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT o.number, o.source, o.keyword, o.note, o.at, m.status FROM messages m
             JOIN optouts o ON o.number = m.recipient
             WHERE m.id = ?1 AND coalesce(m.kind, '') != 'optout_confirmation'",
        )?
        .query_row([id], |r| Ok((row(r)?, r.get(5)?)))
        .optional()?)
}

/// Suppresses a queued message whose recipient opted out, just before it
/// would be claimed. Returns whether it did.
pub(super) fn suppress_if_opted_out(tx: &Transaction<'_>, id: i64, now: i64) -> Result<bool, StoreError> {
    match forbidding(tx, id)? {
        Some((o, status)) if status == "queued" => {
            suppress(tx, id, &o.reason(), now)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub(super) fn suppress(tx: &Transaction<'_>, id: i64, reason: &str, now: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE messages SET status = 'suppressed', error = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, reason, now])?;
    tx.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            id,
            Status::Suppressed.as_str(),
            now,
            format!("not sent: {reason}")
        ])?;
    Ok(())
}

impl Tx<'_> {
    /// The opt-out of `number`, if any.
    pub fn optout(&mut self, number: &str) -> Result<Option<OptOut>, StoreError> {
        lookup(&self.tx, number)
    }

    /// Records an opt-out (a number already opted out keeps its first
    /// record) and suppresses everything queued or scheduled for it.
    /// Returns whether the number was newly opted out.
    pub fn add_optout(&mut self, o: &NewOptOut<'_>) -> Result<bool, StoreError> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT INTO optouts (number, source, keyword, note, at, inbox_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (number) DO NOTHING",
            )?
            .execute(params![o.number, o.source.as_str(), o.keyword, o.note, self.now, o.inbox_id])?
            == 1;
        if !added {
            return Ok(false);
        }
        self.close_reviews_of(o.number)?;
        let stored = lookup(&self.tx, o.number)?;
        let reason = stored.as_ref().map(OptOut::reason).unwrap_or_default();
        let ids: Vec<i64> = self
            .tx
            .prepare_cached(
                "SELECT id FROM messages WHERE recipient = ?1 AND status IN ('queued', 'scheduled')
                 AND coalesce(kind, '') != 'optout_confirmation'",
            )?
            .query_map([o.number], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            suppress(&self.tx, *id, &reason, self.now)?;
        }
        self.emit(
            "optout",
            &format!("number:{}", o.number),
            &json!({"number": o.number, "opted_out": true, "source": o.source.as_str(),
                    "keyword": o.keyword, "note": o.note, "suppressed": ids.len(), "at": super::webhooks::rfc3339(self.now)}),
        )?;
        Ok(true)
    }

    /// Removes the opt-out of `number`; returns whether there was one.
    pub fn remove_optout(&mut self, number: &str, source: OptOutSource) -> Result<bool, StoreError> {
        let removed = self
            .tx
            .prepare_cached("DELETE FROM optouts WHERE number = ?1")?
            .execute([number])?
            == 1;
        if removed {
            self.emit(
                "optout",
                &format!("number:{number}"),
                &json!({"number": number, "opted_out": false, "source": source.as_str(), "at": super::webhooks::rfc3339(self.now)}),
            )?;
        }
        Ok(removed)
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Newly opted out.
    pub added: usize,
    /// Already opted out.
    pub existing: usize,
}

impl Store {
    /// Why message `id` must not go out after all (its recipient opted out
    /// since it was claimed; or, for marketing, its contact no longer
    /// qualifies), if so: checked right before the first byte.
    pub fn suppression(&self, id: i64) -> Result<Option<String>, StoreError> {
        let conn = self.reader();
        if let Some((o, _)) = forbidding(&conn, id)? {
            return Ok(Some(o.reason()));
        }
        super::consent::refusal_of_message(&conn, id)
    }

    /// Marks a claimed message suppressed instead of sending it.
    pub fn mark_suppressed(&self, id: i64, reason: &str, now: i64) -> Result<(), StoreError> {
        self.write(now, |tx| suppress(&tx.tx, id, reason, now))
    }

    /// The opt-out of `number`, if any.
    pub fn optout(&self, number: &str) -> Result<Option<OptOut>, StoreError> {
        lookup(&self.reader(), number)
    }

    /// A page of opt-outs after the cursor `after` (a row id), oldest first,
    /// with each row's cursor.
    pub fn optouts(&self, after: i64, limit: usize) -> Result<Vec<(i64, OptOut)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT number, source, keyword, note, at, rowid FROM optouts WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| Ok((r.get(5)?, row(r)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records many opt-outs in one transaction (an import).
    pub fn import_optouts(
        &self,
        entries: &[(String, Option<String>)],
        source: OptOutSource,
        now: i64,
    ) -> Result<ImportCounts, StoreError> {
        self.write(now, |tx| {
            let mut counts = ImportCounts::default();
            for (number, note) in entries {
                let added = tx.add_optout(&NewOptOut {
                    number,
                    source,
                    keyword: None,
                    note: note.as_deref(),
                    inbox_id: None,
                })?;
                if added {
                    counts.added += 1;
                } else {
                    counts.existing += 1;
                }
            }
            Ok::<_, StoreError>(counts)
        })
    }
}
