//! Taking work: promoting scheduled messages, listing candidates, and
//! claiming one for a SIM. A claim commits `sending` before the caller
//! may write a byte to a modem.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A queued message the dispatcher may assign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Message id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Segments it takes.
    pub segments: usize,
    /// The SIM this recipient last heard from.
    pub sticky_imsi: Option<String>,
    /// A SIM that just failed this message.
    pub avoid_imsi: Option<String>,
    /// Parts of it already went through this SIM: only this SIM may send
    /// the rest (the handset joins parts by sender and reference).
    pub pinned_imsi: Option<String>,
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Message id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
    /// Request a report.
    pub status_report: bool,
    /// Attempts including this one.
    pub attempts: u32,
    /// Concatenation reference allocated on the SIM.
    pub concat_ref: u16,
    /// When it expires (unix ms), if ever: the network gets only what is left.
    pub expires_at: Option<i64>,
    /// Segments of the whole message, as planned at enqueue.
    pub segments: usize,
    /// Its encoding as planned at enqueue (`gsm7`, `ucs2`): a resumed
    /// message is re-planned and checked against it.
    pub encoding: String,
    /// First part (1-based) to write: 1 for a fresh message; after an
    /// interruption, the part after the last one recorded.
    pub resume_from: usize,
    /// Parts of an earlier, interrupted attempt that may or may not have
    /// reached the network (never written again).
    pub unknown_parts: Vec<usize>,
}

impl Claimed {
    /// Whether parts of this message already went (or may have): the rest
    /// must go through the same SIM with the same reference.
    pub fn resuming(&self) -> bool {
        self.resume_from > 1
    }
}

impl Store {
    /// Moves scheduled messages whose time has come to the queue.
    pub fn promote_due(&self, now: i64) -> Result<usize, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let ids: Vec<i64> = tx
            .prepare_cached(
                "UPDATE messages INDEXED BY messages_scheduled SET status = 'queued', updated_at = ?1
                 WHERE status = 'scheduled' AND send_at <= ?1 RETURNING id",
            )?
            .query_map([now], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            tx.prepare_cached(
                "INSERT INTO message_events (message_id, status, at, reason)
                 VALUES (?1, 'queued', ?2, 'send_at reached; waiting for a SIM')",
            )?
            .execute(params![id, now])?;
        }
        tx.commit()?;
        Ok(ids.len())
    }

    /// Expires queued and scheduled messages whose time ran out; returns
    /// their ids.
    pub fn expire_due(&self, now: i64) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        // Part of it reached the network: not `expired` (that says nothing
        // was sent) but `failed`, naming the parts that went.
        let partial: Vec<(i64, Option<String>, i64)> = tx
            .prepare_cached(
                "SELECT id, pinned_imsi, segments FROM messages INDEXED BY messages_expiring
                 WHERE status IN ('queued', 'scheduled') AND expires_at <= ?1 AND pinned_imsi IS NOT NULL",
            )?
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, imsi, segments) in &partial {
            let parts = super::record::parts_summary(&tx, *id, *segments as usize)?;
            let reason = format!(
                "{parts}; SIM {} could not send the rest before the validity ran out, so the recipient may see an incomplete message",
                imsi.as_deref().unwrap_or("?")
            );
            tx.prepare_cached(
                "UPDATE messages SET status = 'failed', updated_at = ?2, error = ?3 WHERE id = ?1",
            )?
            .execute(params![id, now, reason])?;
            tx.prepare_cached(
                "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'failed', ?2, ?3)",
            )?
            .execute(params![id, now, reason])?;
        }
        let ids: Vec<(i64, i64, Option<i64>)> = tx
            .prepare_cached(
                // The partial index, not the status one: a million queued
                // messages must not be scanned each round.
                // A campaign message's validity is its campaign's deadline.
                "UPDATE messages INDEXED BY messages_expiring SET status = 'expired', updated_at = ?1,
                        error = CASE WHEN campaign_id IS NULL THEN 'not sent before its validity ran out'
                                     ELSE 'not sent before the deadline of campaign ' || campaign_id END
                 WHERE status IN ('queued', 'scheduled') AND expires_at <= ?1
                 RETURNING id, created_at, campaign_id",
            )?
            .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, created, campaign) in &ids {
            let waited = (now - created).max(0) / 60_000;
            let reason = match campaign {
                None => {
                    format!("not sent before its validity ran out (waited {waited} min); it will not be sent")
                }
                Some(c) => format!(
                    "not sent before the deadline of campaign {c} (waited {waited} min); it will not be sent"
                ),
            };
            tx.prepare_cached(
                "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'expired', ?2, ?3)",
            )?
            .execute(params![id, now, reason])?;
        }
        tx.commit()?;
        Ok(partial
            .into_iter()
            .map(|(id, _, _)| id)
            .chain(ids.into_iter().map(|(id, _, _)| id))
            .collect())
    }

    /// When the next queued or scheduled message expires.
    pub fn next_expiry(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(expires_at) FROM messages INDEXED BY messages_expiring
                 WHERE status IN ('queued', 'scheduled')",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// When the next scheduled message is due.
    pub fn next_scheduled(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(send_at) FROM messages INDEXED BY messages_scheduled WHERE status = 'scheduled'",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// Queued messages in the order they should go, at most `limit`:
    /// lane 0 (transactional: the API's and the gateway's own) before
    /// lane 1 (campaign bulk), oldest first within a lane.
    pub fn candidates(&self, limit: usize) -> Result<Vec<Candidate>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            // A resumed message takes only the segments left.
            "SELECT m.id, m.recipient,
                    CASE WHEN m.pinned_imsi IS NULL THEN m.segments
                         ELSE m.segments - (SELECT count(*) FROM message_parts p WHERE p.message_id = m.id) END,
                    r.sim_imsi, m.avoid_imsi, m.pinned_imsi
             FROM messages m INDEXED BY messages_queued_by_lane
                  LEFT JOIN recipients r ON r.recipient = m.recipient
             WHERE m.status = 'queued' ORDER BY m.lane, m.id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Candidate {
                id: r.get(0)?,
                recipient: r.get(1)?,
                segments: r.get::<_, i64>(2)?.max(1) as usize,
                sticky_imsi: r.get(3)?,
                avoid_imsi: r.get(4)?,
                pinned_imsi: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Claims message `id` for the SIM `imsi` in modem `imei` at `port`:
    /// marks it `sending` and allocates the SIM's next concatenation
    /// reference, durably. `None` if it is no longer queued.
    pub fn claim(
        &self,
        id: i64,
        imsi: &str,
        imei: &str,
        port: &str,
        gateway: &str,
        now: i64,
    ) -> Result<Option<Claimed>, StoreError> {
        let mut out = self.claim_many(&[ClaimRequest { id, imsi, imei, port }], gateway, now)?;
        Ok(out.pop().flatten())
    }

    /// Claims several messages in one transaction (one disk sync for a
    /// whole dispatch round); each is `None` if it was no longer queued.
    pub fn claim_many(
        &self,
        requests: &[ClaimRequest<'_>],
        gateway: &str,
        now: i64,
    ) -> Result<Vec<Option<Claimed>>, StoreError> {
        self.finish_and_claim(None, requests, gateway, now)
    }

    /// Records a message as `sent` (if given) and claims `requests`, all in
    /// one transaction: a SIM that just finished gets its next message with
    /// one disk sync instead of two.
    pub fn finish_and_claim(
        &self,
        sent: Option<&SentRecord>,
        requests: &[ClaimRequest<'_>],
        gateway: &str,
        now: i64,
    ) -> Result<Vec<Option<Claimed>>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        if let Some(s) = sent {
            super::record::mark_sent_in(
                &tx,
                s.id,
                &s.imsi,
                s.segments,
                &s.today,
                now,
                s.last_part.as_ref(),
                &s.unknown_parts,
            )?;
        }
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            out.push(claim_one(&tx, r, gateway, now)?);
        }
        tx.commit()?;
        Ok(out)
    }
}

/// A message every part of which was written (and, but for
/// `unknown_parts`, accepted by the network), to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    /// Message id.
    pub id: i64,
    /// SIM it left through.
    pub imsi: String,
    /// Segments to count against the SIM's day.
    pub segments: usize,
    /// The local date.
    pub today: String,
    /// The last part, recorded with the verdict.
    pub last_part: Option<super::PartSent>,
    /// Parts written whose fate is unknown: the message is `unknown`
    /// (naming them) rather than `sent`.
    pub unknown_parts: Vec<usize>,
}

/// One message to claim for one SIM.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    /// Message id.
    pub id: i64,
    /// SIM.
    pub imsi: &'a str,
    /// Modem.
    pub imei: &'a str,
    /// Port.
    pub port: &'a str,
}

fn claim_one(
    tx: &rusqlite::Transaction<'_>,
    r: &ClaimRequest<'_>,
    gateway: &str,
    now: i64,
) -> Result<Option<Claimed>, StoreError> {
    let (id, imsi, imei, port) = (r.id, r.imsi, r.imei, r.port);
    // A campaign message goes only while its campaign runs and its
    // recipient's window is open; otherwise it is taken back (the
    // recipient waits again, or is cancelled with the campaign).
    if super::campaign_feed::take_back_if_stale(tx, id, now)? {
        return Ok(None);
    }
    // Checked again just before sending: an opt-out may have arrived since
    // the message was queued.
    if super::optouts::suppress_if_opted_out(tx, id, now)? {
        return Ok(None);
    }
    // And a marketing message's consent: withdrawn, pending again, or the
    // contact erased or invalid since it was accepted.
    if super::consent::suppress_if_no_consent(tx, id, now)? {
        return Ok(None);
    }
    {
        struct Row {
            recipient: String,
            text: String,
            status_report: bool,
            attempts: u32,
            expires_at: Option<i64>,
            segments: usize,
            encoding: String,
            pinned: bool,
            concat_ref: Option<i64>,
        }
        // A message some parts of which went is claimed only by their SIM.
        let claimed = tx
            .prepare_cached(
                "UPDATE messages SET status = 'sending', sim_imsi = ?2, modem_imei = ?3, modem_port = ?4,
                        claimed_by = ?5, attempts = attempts + 1, updated_at = ?6
                 WHERE id = ?1 AND status = 'queued' AND (expires_at IS NULL OR expires_at > ?6)
                   AND (pinned_imsi IS NULL OR pinned_imsi = ?2)
                 RETURNING recipient, text, status_report, attempts, expires_at, segments, encoding,
                           pinned_imsi IS NOT NULL, concat_ref",
            )?
            .query_row(params![id, imsi, imei, port, gateway, now], |r| {
                Ok(Row {
                    recipient: r.get(0)?,
                    text: r.get(1)?,
                    status_report: r.get(2)?,
                    attempts: r.get(3)?,
                    expires_at: r.get(4)?,
                    segments: r.get::<_, i64>(5)?.max(1) as usize,
                    encoding: r.get(6)?,
                    pinned: r.get(7)?,
                    concat_ref: r.get(8)?,
                })
            })
            .optional()?;
        let Some(row) = claimed else {
            return Ok(None);
        };
        let (concat_ref, resume_from, unknown_parts) = match (row.pinned, row.concat_ref) {
            // Resuming: the same reference, from the part after the last
            // one recorded.
            (true, Some(concat_ref)) => {
                let (next, unknown) = super::record::progress(tx, id)?;
                (concat_ref, next, unknown)
            }
            _ => {
                // The SIM's row may not exist yet if the claim races its discovery.
                tx.prepare_cached(
                    "INSERT INTO sims (imsi, imei, port, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
                     ON CONFLICT (imsi) DO NOTHING",
                )?
                .execute(params![imsi, imei, port, now])?;
                let concat_ref: i64 = tx
                    .prepare_cached(
                        "UPDATE sims SET next_ref = (next_ref + 1) % 65536 WHERE imsi = ?1 RETURNING next_ref",
                    )?
                    .query_row([imsi], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0);
                tx.prepare_cached("UPDATE messages SET concat_ref = ?2 WHERE id = ?1")?
                    .execute(params![id, concat_ref])?;
                (concat_ref, 1, Vec::new())
            }
        };
        let attempts = row.attempts;
        let reason = if resume_from > 1 {
            let rest = if resume_from >= row.segments {
                format!("part {resume_from}")
            } else {
                format!("parts {resume_from}–{}", row.segments)
            };
            format!(
                "attempt {attempts} via SIM {imsi} (modem {imei} at {port}): {rest} of {} with reference {concat_ref}",
                row.segments
            )
        } else {
            format!("attempt {attempts} via SIM {imsi} (modem {imei} at {port})")
        };
        tx.prepare_cached(
            "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'sending', ?2, ?3)",
        )?
        .execute(params![id, now, reason])?;
        Ok(Some(Claimed {
            id,
            recipient: row.recipient,
            text: row.text,
            status_report: row.status_report,
            attempts,
            concat_ref: concat_ref as u16,
            expires_at: row.expires_at,
            segments: row.segments,
            encoding: row.encoding,
            resume_from,
            unknown_parts,
        }))
    }
}
