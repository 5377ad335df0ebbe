//! The email outbox: replies to forward by email, written in the
//! transaction that stores the reply (one row per inbox id: a reply is
//! never queued twice), sent alone or grouped into an hourly digest,
//! retried while the server is down and marked sent or failed.

use rusqlite::{OptionalExtension, params};

use super::unit::Tx;
use super::{Store, StoreError};

/// A reply waiting to be emailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmail {
    /// Outbox row.
    pub row: i64,
    /// The received message.
    pub inbox_id: i64,
    /// What the email shows, JSON ([`crate::email::ReplyMail`]).
    pub data: String,
    /// When it was queued (unix ms).
    pub created_at: i64,
    /// Attempts so far.
    pub attempts: u32,
}

/// Where one reply's email stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailState {
    /// When the server accepted it.
    pub sent_at: Option<i64>,
    /// When it was given up on.
    pub failed_at: Option<i64>,
    /// The last attempt's error (the reason, when failed).
    pub last_error: Option<String>,
}

/// A reply whose email has not gone (waiting, retrying or failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailWaiting {
    /// The received message.
    pub inbox_id: i64,
    /// When it was queued (unix ms).
    pub created_at: i64,
    /// When it is tried next (unix ms); for a failed one, its last due time.
    pub next_at: i64,
    /// Attempts so far.
    pub attempts: u32,
    /// The last attempt's error, or why it failed.
    pub last_error: Option<String>,
    /// When it was given up on.
    pub failed_at: Option<i64>,
}

/// Outbox rows by state (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailCounts {
    /// Not sent yet, never tried or due for the first time.
    pub pending: i64,
    /// Not sent yet, tried and failed at least once (the server was down or said "later").
    pub retrying: i64,
    /// Accepted by the server (kept a week).
    pub sent: i64,
    /// Given up on, with the reason.
    pub failed: i64,
}

impl Tx<'_> {
    /// Queues inbox message `inbox_id` for email, due at `next_at`.
    /// Returns false if it was queued already.
    pub fn queue_email(&mut self, inbox_id: i64, data: &str, next_at: i64) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT INTO email_outbox (inbox_id, data, created_at, next_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (inbox_id) DO NOTHING",
            )?
            .execute(params![inbox_id, data, self.now, next_at])?;
        Ok(n > 0)
    }

    /// The name of campaign `campaign_id` and the variant its recipient
    /// `seq` got, for an email about a reply to it.
    pub fn campaign_label(
        &mut self,
        campaign_id: i64,
        seq: i64,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT c.name, cr.variant FROM campaigns c
                 LEFT JOIN campaign_recipients cr ON cr.campaign_id = c.id AND cr.seq = ?2
                 WHERE c.id = ?1",
            )?
            .query_row(params![campaign_id, seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

impl Store {
    /// Up to `limit` replies not yet sent nor failed and due at `now`, oldest first.
    pub fn due_emails(&self, now: i64, limit: usize) -> Result<Vec<PendingEmail>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, inbox_id, data, created_at, attempts FROM email_outbox INDEXED BY email_outbox_pending
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ?1
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            Ok(PendingEmail {
                row: r.get(0)?,
                inbox_id: r.get(1)?,
                data: r.get(2)?,
                created_at: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When the next unsent reply is due, if any.
    pub fn next_email_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(next_at) FROM email_outbox INDEXED BY email_outbox_pending
                 WHERE sent_at IS NULL AND failed_at IS NULL",
            )?
            .query_row([], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Marks rows sent (one email carried them all).
    pub fn emails_sent(&self, rows: &[i64], now: i64) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        for row in rows {
            tx.prepare_cached(
                "UPDATE email_outbox SET sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            )?
            .execute(params![row, now])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt on rows; they are tried again at `next_at`.
    pub fn emails_retry(&self, rows: &[i64], error: &str, next_at: i64) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        for row in rows {
            tx.prepare_cached(
                "UPDATE email_outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3 WHERE id = ?1",
            )?
            .execute(params![row, error, next_at])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Gives up on rows with `error` as the reason.
    pub fn emails_failed(&self, rows: &[i64], error: &str, now: i64) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        for row in rows {
            tx.prepare_cached(
                "UPDATE email_outbox SET attempts = attempts + 1, last_error = ?2, failed_at = ?3 WHERE id = ?1",
            )?
            .execute(params![row, error, now])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets rows sent before `before`; returns how many.
    pub fn prune_sent_emails(&self, before: i64) -> Result<usize, StoreError> {
        Ok(self
            .writer()
            .prepare_cached("DELETE FROM email_outbox WHERE sent_at < ?1")?
            .execute([before])?)
    }

    /// Rows by state.
    pub fn email_counts(&self) -> Result<EmailCounts, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT
                count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL AND attempts = 0),
                count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL AND attempts > 0),
                count(*) FILTER (WHERE sent_at IS NOT NULL),
                count(*) FILTER (WHERE failed_at IS NOT NULL)
             FROM email_outbox",
            )?
            .query_row([], |r| {
                Ok(EmailCounts {
                    pending: r.get(0)?,
                    retrying: r.get(1)?,
                    sent: r.get(2)?,
                    failed: r.get(3)?,
                })
            })?)
    }

    /// Up to `limit` replies not emailed (waiting, retrying, failed), newest first.
    pub fn emails_waiting(&self, limit: usize) -> Result<Vec<EmailWaiting>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT inbox_id, created_at, next_at, attempts, last_error, failed_at FROM email_outbox
             WHERE sent_at IS NULL ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(EmailWaiting {
                inbox_id: r.get(0)?,
                created_at: r.get(1)?,
                next_at: r.get(2)?,
                attempts: r.get(3)?,
                last_error: r.get(4)?,
                failed_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where the email of inbox message `inbox_id` stands, if it was queued.
    pub fn email_state(&self, inbox_id: i64) -> Result<Option<EmailState>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT sent_at, failed_at, last_error FROM email_outbox WHERE inbox_id = ?1")?
            .query_row([inbox_id], |r| {
                Ok(EmailState {
                    sent_at: r.get(0)?,
                    failed_at: r.get(1)?,
                    last_error: r.get(2)?,
                })
            })
            .optional()?)
    }
}
