//! Recording what happened to a claimed message: each part handed to the
//! network, then the verdict — sent, back to the queue, failed or unknown.

use rusqlite::{Transaction, params};

use super::types::Status;
use super::{Store, StoreError};

/// One part accepted by the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSent {
    /// Message id.
    pub message_id: i64,
    /// 1-based part number.
    pub seq: usize,
    /// SIM it left through.
    pub imsi: String,
    /// Concatenation reference used.
    pub concat_ref: u16,
    /// TP-MR the network assigned.
    pub message_ref: Option<u8>,
    /// When, unix ms.
    pub at: i64,
}

fn insert_part(conn: &rusqlite::Connection, p: &PartSent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO message_parts (message_id, seq, sim_imsi, concat_ref, message_ref, sent_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sent')",
    )?
    .execute(params![p.message_id, p.seq as i64, p.imsi, p.concat_ref, p.message_ref, p.at])?;
    Ok(())
}

/// The body of [`Store::mark_sent`], inside a caller's transaction (which
/// may also record the last part and claim the SIM's next message).
pub(super) fn mark_sent_in(
    tx: &Transaction<'_>,
    id: i64,
    imsi: &str,
    segments: usize,
    today: &str,
    now: i64,
    last_part: Option<&PartSent>,
) -> Result<(), StoreError> {
    if let Some(p) = last_part {
        insert_part(tx, p)?;
    }
    let recipient: String = tx
        .prepare_cached(
            "UPDATE messages SET status = 'sent', sent_at = ?2, updated_at = ?2, error = NULL
             WHERE id = ?1 RETURNING recipient",
        )?
        .query_row(params![id, now], |r| r.get(0))?;
    tx.prepare_cached(
        "UPDATE sims SET sent_today = CASE WHEN day = ?2 THEN sent_today + ?3 ELSE ?3 END,
                         day = ?2, sent_total = sent_total + ?3
         WHERE imsi = ?1",
    )?
    .execute(params![imsi, today, segments as i64])?;
    tx.prepare_cached(
        "INSERT INTO recipients (recipient, sim_imsi, last_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (recipient) DO UPDATE SET sim_imsi = excluded.sim_imsi, last_at = excluded.last_at",
    )?
    .execute(params![recipient, imsi, now])?;
    event(
        tx,
        id,
        Status::Sent,
        now,
        &format!("accepted by the network via SIM {imsi}"),
    )?;
    // Reports read before the send was recorded (a fast network, a modem
    // read at once) apply now.
    super::report::apply_kept(tx, id, imsi, now)?;
    Ok(())
}

fn event(tx: &Transaction<'_>, id: i64, status: Status, now: i64, reason: &str) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, status.as_str(), now, reason])?;
    Ok(())
}

impl Store {
    /// Records a part the network accepted (durably, before the next part).
    pub fn record_part_sent(&self, p: &PartSent) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        insert_part(&tx, p)?;
        // A report read before this part was recorded applies now.
        super::report::apply_kept(&tx, p.message_id, &p.imsi, p.at)?;
        tx.commit()?;
        Ok(())
    }

    /// Every part is with the network: the message is `sent`. Counts the
    /// segments against the SIM's day (`today`, local date) and remembers
    /// the SIM for this recipient.
    pub fn mark_sent(
        &self,
        id: i64,
        imsi: &str,
        segments: usize,
        today: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        mark_sent_in(&tx, id, imsi, segments, today, now, None)?;
        tx.commit()?;
        Ok(())
    }

    /// The message certainly did not leave: back to the queue, to be tried
    /// on another SIM than `avoid_imsi`.
    pub fn requeue(&self, id: i64, avoid_imsi: &str, reason: &str, now: i64) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "UPDATE messages SET status = 'queued', avoid_imsi = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![id, avoid_imsi, reason, now])?;
        tx.prepare_cached("UPDATE sims SET failed_total = failed_total + 1 WHERE imsi = ?1")?
            .execute([avoid_imsi])?;
        event(
            &tx,
            id,
            Status::Queued,
            now,
            &format!("not sent via SIM {avoid_imsi} ({reason}); retrying on another SIM"),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The message will not be delivered.
    pub fn mark_failed(&self, id: i64, imsi: Option<&str>, reason: &str, now: i64) -> Result<(), StoreError> {
        self.finish(id, imsi, Status::Failed, reason, now)
    }

    /// The message may or may not have reached the network; it is not re-sent.
    pub fn mark_unknown(
        &self,
        id: i64,
        imsi: Option<&str>,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.finish(id, imsi, Status::Unknown, reason, now)
    }

    fn finish(
        &self,
        id: i64,
        imsi: Option<&str>,
        status: Status,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached("UPDATE messages SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1")?
            .execute(params![id, status.as_str(), reason, now])?;
        if let Some(imsi) = imsi {
            tx.prepare_cached("UPDATE sims SET failed_total = failed_total + 1 WHERE imsi = ?1")?
                .execute([imsi])?;
        }
        event(&tx, id, status, now, reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Cancels a message not yet handed to a modem. Returns the status it
    /// has afterwards, or `None` if there is no such message.
    pub fn cancel(&self, id: i64, now: i64) -> Result<Option<Status>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let n = tx
            .prepare_cached(
                "UPDATE messages SET status = 'cancelled', updated_at = ?2
                 WHERE id = ?1 AND status IN ('queued', 'scheduled')",
            )?
            .execute(params![id, now])?;
        if n == 1 {
            event(&tx, id, Status::Cancelled, now, "cancelled through the API")?;
        }
        let status: Option<String> = tx
            .prepare_cached("SELECT status FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .ok();
        tx.commit()?;
        Ok(status.and_then(|s| s.parse().ok()))
    }
}
