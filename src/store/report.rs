//! Applying a delivery report: matched to the sent part with the same SIM,
//! message reference (it wraps at 256) and recipient, sent before the
//! report came and closest to the time the network says it took it; the
//! message is `delivered` when all its parts are, `failed` when one fails.
//! A report that matches nothing is kept, and applied when the part it
//! belongs to is recorded: a report read quickly can reach the store
//! before the send that it reports on does.

use rusqlite::{Connection, OptionalExtension, params};

use super::types::Status;
use super::{Store, StoreError};

/// A delivery report as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIn {
    /// SIM it arrived on.
    pub imsi: Option<String>,
    /// TP-MR.
    pub message_ref: u8,
    /// TP-RA, canonical where possible.
    pub recipient: String,
    /// TP-ST.
    pub status_code: u8,
    /// Delivered, pending or failed.
    pub category: crate::sms::StatusCategory,
    /// TP-ST in words.
    pub description: String,
    /// TP-SCTS: when the network took the message (unix ms); matches the
    /// part sent closest to it when a reference was reused.
    pub submitted_at: Option<i64>,
    /// TP-DT (unix ms).
    pub discharge_at: Option<i64>,
    /// The PDU.
    pub pdu: String,
}

/// What a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// It matched a part of this message, which now has this status.
    Matched {
        /// Message id.
        message_id: i64,
        /// The message's status afterwards.
        status: Status,
    },
    /// It matched nothing and was kept.
    Kept,
}

/// Digits only, last nine: national and international forms of one number agree.
fn tail(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(9)..].to_string()
}

impl ReportIn {
    /// The report in a stored PDU (as kept in `status_reports`), for `imsi`.
    fn from_pdu(imsi: Option<String>, pdu: &str) -> Option<ReportIn> {
        let crate::sms::Tpdu::StatusReport(r) = crate::sms::decode_hex_pdu(pdu).ok()?.tpdu else {
            return None;
        };
        Some(ReportIn {
            imsi,
            message_ref: r.message_ref,
            recipient: r.recipient.to_string(),
            status_code: r.status.code,
            category: r.status.category,
            description: r.status.description().to_string(),
            submitted_at: r.sc_timestamp.map(|t| t.timestamp_millis()),
            discharge_at: r.discharge_time.map(|t| t.timestamp_millis()),
            pdu: pdu.to_string(),
        })
    }
}

impl Store {
    /// Applies a delivery report received at `now`.
    pub fn apply_report(&self, r: &ReportIn, now: i64) -> Result<ReportOutcome, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let out = match find_part(&tx, r, now)? {
            Some(part) => apply_to_part(&tx, r, part, now)?,
            None => {
                tx.prepare_cached(
                    "INSERT INTO status_reports (sim_imsi, message_ref, recipient, status_code, discharge_at, received_at, pdu)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![r.imsi, r.message_ref, r.recipient, r.status_code, r.discharge_at, now, r.pdu])?;
                ReportOutcome::Kept
            }
        };
        tx.commit()?;
        Ok(out)
    }
}

/// The sent part `r` reports on: (message id, seq, SIM).
fn find_part(tx: &Connection, r: &ReportIn, now: i64) -> Result<Option<(i64, i64, String)>, StoreError> {
    // Clocks differ (the network's, ours): ten minutes of slack.
    Ok(tx
        .prepare_cached(
            "SELECT p.message_id, p.seq, p.sim_imsi FROM message_parts p JOIN messages m ON m.id = p.message_id
             WHERE p.sim_imsi = coalesce(?1, p.sim_imsi) AND p.message_ref = ?2 AND p.status = 'sent'
               AND substr(replace(m.recipient, '+', ''), -9) = ?3 AND p.sent_at <= ?5 + 600000
             ORDER BY CASE WHEN ?4 IS NULL THEN -p.sent_at ELSE abs(p.sent_at - ?4) END LIMIT 1",
        )?
        .query_row(
            params![r.imsi, r.message_ref, tail(&r.recipient), r.submitted_at, now],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?)
}

/// How much earlier than its part's recorded send a kept report may have
/// been received (both times are ours: the report is read after the send
/// returned, the part recorded just after). Older kept reports belong to
/// an earlier use of the reference (TP-MR wraps at 256).
const KEPT_SLACK_MS: i64 = 60_000;

/// Kept reports that match a part of `message_id` now that it is recorded
/// (sent through `imsi`) are applied, in the caller's transaction, and
/// marked as matched.
pub(super) fn apply_kept(tx: &Connection, message_id: i64, imsi: &str, now: i64) -> Result<(), StoreError> {
    let kept: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT r.id, r.pdu FROM status_reports r
             WHERE r.message_id IS NULL AND r.sim_imsi = ?2
               AND EXISTS (SELECT 1 FROM message_parts p
                           WHERE p.message_id = ?1 AND p.status = 'sent' AND p.message_ref = r.message_ref
                             AND r.received_at >= p.sent_at - ?3)
             ORDER BY r.id",
        )?
        .query_map(params![message_id, imsi, KEPT_SLACK_MS], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    for (id, pdu) in kept {
        let Some(report) = ReportIn::from_pdu(Some(imsi.to_string()), &pdu) else {
            continue;
        };
        match find_part(tx, &report, now)? {
            Some(part) if part.0 == message_id => {
                apply_to_part(tx, &report, part, now)?;
                tx.prepare_cached("UPDATE status_reports SET message_id = ?2 WHERE id = ?1")?
                    .execute(params![id, message_id])?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Applies `r` to the part it matched, and the message's status follows.
fn apply_to_part(
    tx: &Connection,
    r: &ReportIn,
    (message_id, seq, part_imsi): (i64, i64, String),
    now: i64,
) -> Result<ReportOutcome, StoreError> {
    use crate::sms::StatusCategory::*;
    let part_status = match r.category {
        Delivered => "delivered",
        Failed => "failed",
        Pending => "sent",
    };
    tx.prepare_cached("UPDATE message_parts SET status = ?3 WHERE message_id = ?1 AND seq = ?2")?
        .execute(params![message_id, seq, part_status])?;
    // What the report says about the number, for its contact.
    let recipient: String = tx
        .prepare_cached("SELECT recipient FROM messages WHERE id = ?1")?
        .query_row([message_id], |row| row.get(0))?;
    match r.category {
        Delivered => super::contact_activity::delivered(tx, &recipient, r.discharge_at.unwrap_or(now))?,
        Failed => {
            if let Some(fault) = crate::contacts::hygiene::RecipientFault::of_status(r.status_code) {
                let why = format!(
                    "delivery report: {} (status {:#04x})",
                    r.description, r.status_code
                );
                super::contact_activity::failed(tx, &recipient, fault, &why, message_id, now)?;
            }
        }
        Pending => {}
    }
    match r.category {
        Delivered => tx
            .prepare_cached("UPDATE sims SET delivered_total = delivered_total + 1 WHERE imsi = ?1")?
            .execute([&part_imsi])?,
        Failed => tx
            .prepare_cached("UPDATE sims SET undelivered_total = undelivered_total + 1 WHERE imsi = ?1")?
            .execute([&part_imsi])?,
        Pending => 0,
    };
    let (segments, delivered, failed): (i64, i64, i64) = tx
        .prepare_cached(
            "SELECT m.segments,
                    (SELECT count(*) FROM message_parts WHERE message_id = m.id AND status = 'delivered'),
                    (SELECT count(*) FROM message_parts WHERE message_id = m.id AND status = 'failed')
             FROM messages m WHERE m.id = ?1",
        )?
        .query_row([message_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let when = r.discharge_at.unwrap_or(now);
    let (status, reason) = if failed > 0 {
        (
            Status::Failed,
            format!("not delivered: {} (status {:#04x})", r.description, r.status_code),
        )
    } else if delivered == segments {
        (Status::Delivered, format!("delivery report: {}", r.description))
    } else {
        let current: String = tx
            .prepare_cached("SELECT status FROM messages WHERE id = ?1")?
            .query_row([message_id], |row| row.get(0))?;
        return Ok(ReportOutcome::Matched {
            message_id,
            status: current.parse().unwrap_or(Status::Sent),
        });
    };
    tx.prepare_cached(
        "UPDATE messages SET status = ?2, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 ELSE delivered_at END,
                error = CASE WHEN ?2 = 'failed' THEN ?4 ELSE error END, updated_at = ?5
         WHERE id = ?1 AND status IN ('sent', 'delivered', 'unknown')",
    )?
    .execute(params![message_id, status.as_str(), when, reason, now])?;
    tx.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![message_id, status.as_str(), now, reason])?;
    Ok(ReportOutcome::Matched { message_id, status })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Msisdn;
    use crate::sms::{Encoding, StatusCategory};
    use crate::store::{NewMessage, PartSent};

    fn report(mr: u8, to: &str, category: StatusCategory) -> ReportIn {
        ReportIn {
            imsi: Some("A".into()),
            message_ref: mr,
            recipient: to.into(),
            status_code: if category == StatusCategory::Delivered {
                0
            } else {
                0x46
            },
            category,
            description: "x".into(),
            submitted_at: None,
            discharge_at: Some(9_000),
            pdu: "00".into(),
        }
    }

    #[test]
    fn delivered_when_all_parts_are_failed_when_one_is() {
        let s = Store::open_in_memory().unwrap();
        let m = NewMessage {
            recipient: Msisdn::from_canonical("+79161234567"),
            text: "t".into(),
            encoding: Encoding::Gsm7,
            segments: 2,
            status_report: true,
            send_at: None,
            expires_at: None,
            kind: None,
            category: Default::default(),
            idempotency_key: None,
            request_hash: String::new(),
        };
        let id = s.enqueue(&m, 1).unwrap().id;
        s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
        for (seq, mr) in [(1, 7u8), (2, 8)] {
            s.record_part_sent(&PartSent {
                message_id: id,
                seq,
                imsi: "A".into(),
                concat_ref: 1,
                message_ref: Some(mr),
                at: 3,
            })
            .unwrap();
        }
        s.mark_sent(id, "A", 2, "d", 4).unwrap();
        // A national-form recipient still matches.
        let out = s
            .apply_report(&report(7, "89161234567", StatusCategory::Delivered), 10)
            .unwrap();
        assert_eq!(
            out,
            ReportOutcome::Matched {
                message_id: id,
                status: Status::Sent
            }
        );
        let out = s
            .apply_report(&report(8, "+79161234567", StatusCategory::Delivered), 11)
            .unwrap();
        assert_eq!(
            out,
            ReportOutcome::Matched {
                message_id: id,
                status: Status::Delivered
            }
        );
        assert_eq!(s.message(id).unwrap().unwrap().0.delivered_at, Some(9_000));
        // Unmatched: kept.
        assert_eq!(
            s.apply_report(&report(99, "+79161234567", StatusCategory::Failed), 12)
                .unwrap(),
            ReportOutcome::Kept
        );
    }

    fn report_pdu(mr: u8, to: &str, status: u8) -> ReportIn {
        let recipient = crate::sms::Address::parse_number(to).unwrap();
        let at = chrono::DateTime::from_timestamp(5, 0).unwrap().fixed_offset();
        let pdu = crate::sms::hex::encode_hex(&crate::sms::encode_status_report(
            None, mr, &recipient, at, at, status,
        ));
        ReportIn::from_pdu(Some("A".into()), &pdu).unwrap()
    }

    #[test]
    fn a_report_stored_before_its_send_was_recorded_applies_when_it_is() {
        let s = Store::open_in_memory().unwrap();
        let m = NewMessage {
            recipient: Msisdn::from_canonical("+79161234567"),
            text: "t".into(),
            encoding: Encoding::Gsm7,
            segments: 2,
            status_report: true,
            send_at: None,
            expires_at: None,
            kind: None,
            category: Default::default(),
            idempotency_key: None,
            request_hash: String::new(),
        };
        let id = s.enqueue(&m, 1).unwrap().id;
        let other = s.enqueue(&m, 1).unwrap().id;
        s.claim(id, "A", "i", "p", "gw", 2).unwrap().unwrap();
        // Both parts' reports are read before the dispatcher records the
        // parts (and one for a reference nobody used): all kept.
        for mr in [7u8, 8, 9] {
            assert_eq!(
                s.apply_report(&report_pdu(mr, "+79161234567", 0), 3).unwrap(),
                ReportOutcome::Kept
            );
        }
        let part = |seq, mr| PartSent {
            message_id: id,
            seq,
            imsi: "A".into(),
            concat_ref: 1,
            message_ref: Some(mr),
            at: 2,
        };
        s.record_part_sent(&part(1, 7)).unwrap();
        let sent = crate::store::SentRecord {
            id,
            imsi: "A".into(),
            segments: 2,
            today: "d".into(),
            last_part: Some(part(2, 8)),
            unknown_parts: Vec::new(),
        };
        s.finish_and_claim(Some(&sent), &[], "gw", 4).unwrap();
        assert_eq!(s.message(id).unwrap().unwrap().0.status, Status::Delivered);
        // The report of reference 9 is still kept for whoever sent it; the
        // other message is untouched.
        assert_eq!(s.message(other).unwrap().unwrap().0.status, Status::Queued);
        let matched: Vec<Option<i64>> = s
            .writer()
            .prepare("SELECT message_id FROM status_reports ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(matched, [Some(id), Some(id), None]);
        // A kept report from long before a part with its reference was sent
        // is an earlier use of that reference, not this part's.
        s.claim(other, "A", "i", "p", "gw", 200_000).unwrap().unwrap();
        s.record_part_sent(&PartSent {
            message_id: other,
            seq: 1,
            imsi: "A".into(),
            concat_ref: 2,
            message_ref: Some(9),
            at: 200_000,
        })
        .unwrap();
        let still_kept: i64 = s
            .writer()
            .query_row(
                "SELECT count(*) FROM status_reports WHERE message_id IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(still_kept, 1);
    }
}
