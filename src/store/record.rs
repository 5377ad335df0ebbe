//! Recording what happened to a claimed message: each part handed to the
//! network (or whose fate is unknown), then the verdict — sent, back to the
//! queue, held for its SIM (parts went: the rest must follow them), failed
//! or unknown.
//!
//! Recording part k is also what marks part k+1 in flight: while a message
//! is `sending`, the part after the highest recorded one is the one whose
//! write may have begun. One commit per part, none extra.

use rusqlite::{OptionalExtension, Transaction, params};

use super::types::Status;
use super::{Store, StoreError};

/// How long the rest of a long message may wait for its SIM when the
/// message has no validity of its own (`sending.validity_minutes = 0`): a
/// handset does not keep a partial message for ever either. 24 h, in ms.
pub const HOLD_LIMIT_MS: i64 = 24 * 60 * 60 * 1000;

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

fn insert_unknown_part(
    conn: &rusqlite::Connection,
    id: i64,
    seq: usize,
    imsi: &str,
    concat_ref: u16,
    at: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO message_parts (message_id, seq, sim_imsi, concat_ref, message_ref, sent_at, status)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, 'unknown')",
    )?
    .execute(params![id, seq as i64, imsi, concat_ref, at])?;
    Ok(())
}

/// "1–3", "1, 3–4": 1-based part numbers (sorted) in words.
fn ranges(parts: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let mut j = i;
        while j + 1 < parts.len() && parts[j + 1] == parts[j] + 1 {
            j += 1;
        }
        out.push(if j == i {
            parts[i].to_string()
        } else {
            format!("{}–{}", parts[i], parts[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

fn some_parts(parts: &[usize]) -> String {
    if parts.len() == 1 {
        format!("part {}", parts[0])
    } else {
        format!("parts {}", ranges(parts))
    }
}

/// Which parts of a `total`-part message went, in words: those before
/// `next` reached the network except `unknown` ones (which may have), those
/// from `next` on were not sent. E.g. "parts 1–2 of 4 reached the network,
/// part 3 may have, part 4 was not sent".
pub fn describe_parts(total: usize, unknown: &[usize], next: usize) -> String {
    let sent: Vec<usize> = (1..next.min(total + 1))
        .filter(|p| !unknown.contains(p))
        .collect();
    let not_sent: Vec<usize> = (next.max(1)..=total).collect();
    let mut out = Vec::new();
    if sent.is_empty() {
        out.push(format!("no part of {total} certainly reached the network"));
    } else {
        out.push(format!("{} of {total} reached the network", some_parts(&sent)));
    }
    if !unknown.is_empty() {
        out.push(format!("{} may have", some_parts(unknown)));
    }
    if !not_sent.is_empty() {
        let verb = if not_sent.len() == 1 { "was" } else { "were" };
        out.push(format!("{} {verb} not sent", some_parts(&not_sent)));
    }
    out.join(", ")
}

/// The recorded parts of message `id`: (next part to write, unknown parts).
pub(super) fn progress(conn: &rusqlite::Connection, id: i64) -> Result<(usize, Vec<usize>), StoreError> {
    let parts: Vec<(i64, String)> = conn
        .prepare_cached("SELECT seq, status FROM message_parts WHERE message_id = ?1 ORDER BY seq")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let next = parts.last().map_or(1, |(seq, _)| *seq as usize + 1);
    let unknown = parts
        .iter()
        .filter(|(_, st)| st == "unknown")
        .map(|(seq, _)| *seq as usize)
        .collect();
    Ok((next, unknown))
}

/// [`describe_parts`] from what is recorded of message `id`.
pub(super) fn parts_summary(
    conn: &rusqlite::Connection,
    id: i64,
    total: usize,
) -> Result<String, StoreError> {
    let (next, unknown) = progress(conn, id)?;
    Ok(describe_parts(total, &unknown, next))
}

/// The body of [`Store::mark_sent`], inside a caller's transaction (which
/// may also record the last part and claim the SIM's next message). With
/// `unknown_parts`, every part was written but those may not have reached
/// the network: the message is `unknown`, naming them.
#[allow(clippy::too_many_arguments)]
pub(super) fn mark_sent_in(
    tx: &Transaction<'_>,
    id: i64,
    imsi: &str,
    segments: usize,
    today: &str,
    now: i64,
    last_part: Option<&PartSent>,
    unknown_parts: &[usize],
) -> Result<(), StoreError> {
    if let Some(p) = last_part {
        insert_part(tx, p)?;
    }
    let (status, reason) = if unknown_parts.is_empty() {
        (Status::Sent, None)
    } else {
        let total: i64 = tx
            .prepare_cached("SELECT segments FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let total = total.max(1) as usize;
        let words = describe_parts(total, unknown_parts, total + 1);
        (
            Status::Unknown,
            Some(format!(
                "{words} (its send was cut; it is not sent again); the recipient may see an incomplete message"
            )),
        )
    };
    let recipient: String = tx
        .prepare_cached(
            "UPDATE messages SET status = ?3, sent_at = ?2, updated_at = ?2, error = ?4
             WHERE id = ?1 RETURNING recipient",
        )?
        .query_row(params![id, now, status.as_str(), reason], |r| r.get(0))?;
    tx.prepare_cached(
        "UPDATE sims SET sent_today = CASE WHEN day = ?2 THEN sent_today + ?3 ELSE ?3 END,
                         day = ?2, sent_total = sent_total + ?3
         WHERE imsi = ?1",
    )?
    .execute(params![imsi, today, segments as i64])?;
    // The operator's quotas count what reached it (or may have).
    super::sims::count_send_in(
        tx,
        imsi,
        &recipient,
        segments as u64,
        super::sims::month_of(today),
    )?;
    tx.prepare_cached(
        "INSERT INTO recipients (recipient, sim_imsi, last_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (recipient) DO UPDATE SET sim_imsi = excluded.sim_imsi, last_at = excluded.last_at",
    )?
    .execute(params![recipient, imsi, now])?;
    if reason.is_none() {
        super::contact_activity::sent(tx, &recipient, now)?;
    }
    match reason {
        None => event(
            tx,
            id,
            Status::Sent,
            now,
            &format!("accepted by the network via SIM {imsi}"),
        )?,
        Some(reason) => event(tx, id, status, now, &reason)?,
    }
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

    /// Records part `seq` of message `id` as written but unanswered: it may
    /// or may not have reached the network, and is never written again.
    /// The parts after it are certainly not sent.
    pub fn record_part_unknown(
        &self,
        id: i64,
        seq: usize,
        imsi: &str,
        concat_ref: u16,
        at: i64,
    ) -> Result<(), StoreError> {
        insert_unknown_part(&self.writer(), id, seq, imsi, concat_ref, at)
    }

    /// Parts of message `id` went through SIM `imsi`; the rest certainly did
    /// not and must follow through the same SIM with the same reference.
    /// The message waits for that SIM: `queued` now, or `scheduled` until
    /// `retry_at` (a backoff after a refusal). `sim_error`: the SIM's
    /// refusal counts against it. It expires (`failed`, naming the parts)
    /// if the SIM cannot send the rest before `expires_at`; a message
    /// without one gets [`HOLD_LIMIT_MS`] from now.
    pub fn hold_for_sim(
        &self,
        id: i64,
        imsi: &str,
        reason: &str,
        retry_at: Option<i64>,
        sim_error: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let status = if retry_at.is_some() {
            Status::Scheduled
        } else {
            Status::Queued
        };
        tx.prepare_cached(
            "UPDATE messages SET status = ?2, pinned_imsi = ?3, error = ?4, updated_at = ?5,
                    send_at = coalesce(?6, send_at), expires_at = coalesce(expires_at, ?7)
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            status.as_str(),
            imsi,
            reason,
            now,
            retry_at,
            now + HOLD_LIMIT_MS
        ])?;
        if sim_error {
            tx.prepare_cached("UPDATE sims SET failed_total = failed_total + 1 WHERE imsi = ?1")?
                .execute([imsi])?;
        }
        event(&tx, id, status, now, reason)?;
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
        mark_sent_in(&tx, id, imsi, segments, today, now, None, &[])?;
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

    /// The message will not be delivered, by the recipient's or the
    /// message's doing (no SIM is to blame): the network's refusal in
    /// `reason` (`+CMS ERROR <n>` as the driver words it) tells the
    /// contact's hygiene whether the number is out of service or absent
    /// (see [`crate::contacts::hygiene`]), in the same transaction.
    pub fn mark_refused(&self, id: i64, reason: &str, now: i64) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let recipient: Option<String> = tx
            .prepare_cached(
                "UPDATE messages SET status = 'failed', error = ?2, updated_at = ?3 WHERE id = ?1 RETURNING recipient",
            )?
            .query_row(params![id, reason, now], |r| r.get(0))
            .optional()?;
        event(&tx, id, Status::Failed, now, reason)?;
        if let (Some(recipient), Some(fault)) = (
            recipient,
            crate::contacts::hygiene::RecipientFault::of_refusal(reason),
        ) {
            super::contact_activity::failed(&tx, &recipient, fault, reason, id, now)?;
        }
        tx.commit()?;
        Ok(())
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
            // An ambiguous send may have reached the recipient: the
            // operator may count it among the SIM's distinct recipients.
            if status == Status::Unknown {
                let recipient: Option<String> = tx
                    .prepare_cached("SELECT recipient FROM messages WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                if let Some(recipient) = recipient {
                    let month = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now)
                        .unwrap_or_default()
                        .with_timezone(&chrono::Local)
                        .format("%Y-%m")
                        .to_string();
                    super::sims::count_send_in(&tx, imsi, &recipient, 0, &month)?;
                }
            }
        }
        event(&tx, id, status, now, reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Cancels a message not yet handed to a modem, recording `reason` in
    /// its history (who cancelled it, in words). Returns the status it has
    /// afterwards, or `None` if there is no such message.
    pub fn cancel(&self, id: i64, now: i64, reason: &str) -> Result<Option<Status>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let n = tx
            .prepare_cached(
                "UPDATE messages SET status = 'cancelled', updated_at = ?2
                 WHERE id = ?1 AND status IN ('queued', 'scheduled')",
            )?
            .execute(params![id, now])?;
        if n == 1 {
            event(&tx, id, Status::Cancelled, now, reason)?;
        }
        let status: Option<String> = tx
            .prepare_cached("SELECT status FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .ok();
        tx.commit()?;
        Ok(status.and_then(|s| s.parse().ok()))
    }
}
