//! The webhook outbox: events written in the transaction that caused them,
//! one row per subscribed receiver, delivered in order per key (a message,
//! a number) and retried until the receiver takes them.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::unit::Tx;
use super::{Store, StoreError};

/// `now` as an RFC 3339 UTC time, as events carry it.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An event waiting to be delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    /// Outbox row.
    pub row: i64,
    /// The event's unique id (the same on every retry).
    pub event_id: String,
    /// inbound, status, optout, vote or consent.
    pub event: String,
    /// When it happened (unix ms).
    pub created_at: i64,
    /// Its data, JSON.
    pub data: String,
    /// Attempts so far.
    pub attempts: u32,
}

impl Tx<'_> {
    /// Writes `event` for every receiver subscribed to it. Events with the
    /// same `key` reach each receiver in the order written.
    pub fn emit(&mut self, event: &str, key: &str, data: &Value) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO webhook_outbox (webhook_id, event_id, event, key, data, created_at, next_at)
                 SELECT id, lower(hex(randomblob(16))), ?1, ?2, ?3, ?4, ?4 FROM webhooks
                 WHERE active AND instr(events, ',' || ?1 || ',') > 0",
            )?
            .execute(params![event, key, data.to_string(), self.now])?;
        Ok(())
    }
}

impl Store {
    /// Makes the stored receivers match the configured ones (by URL);
    /// returns each configured URL's id. A receiver no longer configured
    /// is deactivated; its undelivered events wait in case it comes back.
    pub fn sync_webhooks(&self, hooks: &[(String, Vec<String>)]) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.execute("UPDATE webhooks SET active = 0", [])?;
        let mut ids = Vec::new();
        for (url, events) in hooks {
            let events = format!(",{},", events.join(","));
            let id: i64 = tx.query_row(
                "INSERT INTO webhooks (url, events, active) VALUES (?1, ?2, 1)
                 ON CONFLICT (url) DO UPDATE SET events = excluded.events, active = 1 RETURNING id",
                params![url, events],
                |r| r.get(0),
            )?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Up to `limit` events for receiver `webhook` that are due at `now`
    /// and not behind an undelivered event with the same key.
    pub fn due_events(&self, webhook: i64, now: i64, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT o.id, o.event_id, o.event, o.created_at, o.data, o.attempts
             FROM webhook_outbox o INDEXED BY webhook_outbox_pending
             WHERE o.webhook_id = ?1 AND o.delivered_at IS NULL AND o.next_at <= ?2
               AND NOT EXISTS (SELECT 1 FROM webhook_outbox p INDEXED BY webhook_outbox_pending_key
                               WHERE p.webhook_id = o.webhook_id AND p.key = o.key
                                 AND p.delivered_at IS NULL AND p.id < o.id)
             ORDER BY o.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![webhook, now, limit as i64], |r| {
            Ok(PendingEvent {
                row: r.get(0)?,
                event_id: r.get(1)?,
                event: r.get(2)?,
                created_at: r.get(3)?,
                data: r.get(4)?,
                attempts: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When the next undelivered event of `webhook` is due, if any.
    pub fn next_event_at(&self, webhook: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(next_at) FROM webhook_outbox INDEXED BY webhook_outbox_pending
                 WHERE webhook_id = ?1 AND delivered_at IS NULL",
            )?
            .query_row([webhook], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Marks an event delivered.
    pub fn event_delivered(&self, row: i64, now: i64) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("UPDATE webhook_outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1")?
            .execute(params![row, now])?;
        Ok(())
    }

    /// Records a failed attempt; the event is tried again at `next_at`.
    pub fn event_failed(&self, row: i64, error: &str, next_at: i64) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3 WHERE id = ?1")?
            .execute(params![row, error, next_at])?;
        Ok(())
    }

    /// Forgets events delivered before `before`; returns how many.
    pub fn prune_delivered_events(&self, before: i64) -> Result<usize, StoreError> {
        Ok(self
            .writer()
            .prepare_cached("DELETE FROM webhook_outbox WHERE delivered_at < ?1")?
            .execute([before])?)
    }

    /// Undelivered events per receiver URL (for `/metrics`).
    pub fn webhook_backlog(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT w.url, (SELECT count(*) FROM webhook_outbox o WHERE o.webhook_id = w.id AND o.delivered_at IS NULL)
             FROM webhooks w WHERE w.active ORDER BY w.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
