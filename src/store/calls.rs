//! Incoming calls (call tracking): a call stored with the contact whose
//! number called, attributed to the campaign that names the SIM called in
//! its `call_tracking`, in one transaction with the thank-you SMS it may
//! earn; the calls listed for the API and counted for the campaign figures;
//! the SIMs' own numbers for `{{ tracking_number }}`.
//!
//! Attribution: among the campaigns whose `call_tracking_imsi` is the SIM
//! called, the one `running`, or `paused`/`completed`/`cancelled` with a
//! message sent within `campaigns.attribution_days` before the call; the
//! most recently started wins. The variant is the caller's own in that
//! campaign when the caller was sent its message, else none (the call
//! still counts for the campaign).

use rusqlite::{OptionalExtension, params};

use super::unit::Tx;
use super::{Store, StoreError};

/// A call to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall<'a> {
    /// SIM called.
    pub imsi: Option<&'a str>,
    /// Modem it is in.
    pub imei: &'a str,
    /// Caller as stored: canonical, or as the modem printed it when it is
    /// no valid number; `None` when withheld or not shown.
    pub caller: Option<&'a str>,
    /// The caller's canonical number, matched against contacts and
    /// recipients; `None` when withheld or unreadable (never matched).
    pub number: Option<&'a str>,
    /// First ring (unix ms).
    pub started_at: i64,
    /// End (unix ms).
    pub ended_at: i64,
    /// Rings seen.
    pub rings: u32,
    /// `rejected`, `rang` or `reject_failed`.
    pub action: &'a str,
    /// How far back a campaign's last message may be (ms), `campaigns.attribution_days`.
    pub window_ms: i64,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CallRow {
    /// Id.
    pub id: i64,
    /// SIM called.
    pub imsi: Option<String>,
    /// Caller, canonical (`null`: withheld or not shown; a caller id that
    /// is no valid number is kept as the modem printed it, matched to no
    /// contact and never thanked).
    pub caller: Option<String>,
    /// First ring, unix ms.
    pub started_at: i64,
    /// End, unix ms.
    pub ended_at: Option<i64>,
    /// Rings seen.
    pub rings: u32,
    /// `rejected` (we hung up), `rang` (left ringing until the caller gave
    /// up) or `reject_failed` (the modem would not hang up).
    pub action: String,
    /// The contact with the caller's number, if any.
    pub contact_id: Option<i64>,
    /// The campaign it counts for, if any.
    pub campaign_id: Option<i64>,
    /// The caller's variant in that campaign, if they were sent it.
    pub variant: Option<String>,
    /// The thank-you SMS queued for it, if any.
    pub thanks_message_id: Option<i64>,
}

/// Calls of one campaign, overall and by variant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Calls.
    pub calls: u64,
    /// Distinct callers (withheld ones not counted).
    pub unique_callers: u64,
    /// `(variant, calls, unique callers)` for calls with a variant.
    pub by_variant: Vec<(String, u64, u64)>,
}

const CALL_COLUMNS: &str = "id, imsi, caller, started_at, ended_at, rings, action, contact_id, campaign_id, variant, thanks_message_id";

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRow> {
    Ok(CallRow {
        id: r.get(0)?,
        imsi: r.get(1)?,
        caller: r.get(2)?,
        started_at: r.get(3)?,
        ended_at: r.get(4)?,
        rings: r.get(5)?,
        action: r.get(6)?,
        contact_id: r.get(7)?,
        campaign_id: r.get(8)?,
        variant: r.get(9)?,
        thanks_message_id: r.get(10)?,
    })
}

impl Tx<'_> {
    /// Stores call `c` with its contact and campaign attribution; returns it.
    pub fn record_call(&mut self, c: &NewCall<'_>) -> Result<CallRow, StoreError> {
        let contact_id: Option<i64> = match c.number {
            Some(caller) => self
                .tx
                .prepare_cached("SELECT id FROM contacts WHERE phone = ?1")?
                .query_row([caller], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let campaign_id: Option<i64> = match c.imsi {
            Some(imsi) => self
                .tx
                .prepare_cached(
                    "SELECT c.id FROM campaigns c
                     WHERE c.call_tracking_imsi = ?1
                       AND (c.status = 'running'
                            OR (c.status IN ('paused', 'completed', 'cancelled')
                                AND (SELECT max(m.sent_at) FROM messages m
                                     WHERE m.campaign_id = c.id AND m.sent_at <= ?2) >= ?2 - ?3))
                     ORDER BY coalesce(c.started_at, c.created_at) DESC, c.id DESC LIMIT 1",
                )?
                .query_row(params![imsi, c.started_at, c.window_ms], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let variant: Option<String> = match (campaign_id, c.number) {
            (Some(id), Some(caller)) => self
                .tx
                .prepare_cached(
                    "SELECT variant FROM campaign_recipients
                     WHERE campaign_id = ?1 AND phone = ?2 AND message_id IS NOT NULL",
                )?
                .query_row(params![id, caller], |r| r.get(0))
                .optional()?
                .flatten(),
            _ => None,
        };
        self.tx
            .prepare_cached(
                "INSERT INTO calls (imsi, imei, caller, started_at, ended_at, rings, action, contact_id, campaign_id, variant)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                c.imsi,
                c.imei,
                c.caller,
                c.started_at,
                c.ended_at,
                c.rings,
                c.action,
                contact_id,
                campaign_id,
                variant
            ])?;
        let id = self.tx.last_insert_rowid();
        Ok(CallRow {
            id,
            imsi: c.imsi.map(str::to_string),
            caller: c.caller.map(str::to_string),
            started_at: c.started_at,
            ended_at: Some(c.ended_at),
            rings: c.rings,
            action: c.action.to_string(),
            contact_id,
            campaign_id,
            variant,
            thanks_message_id: None,
        })
    }

    /// Whether `caller` was thanked for a call since `since` (unix ms).
    pub fn caller_thanked_since(&mut self, caller: &str, since: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT 1 FROM calls WHERE caller = ?1 AND started_at >= ?2 AND thanks_message_id IS NOT NULL LIMIT 1",
            )?
            .query_row(params![caller, since], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Whether `number` opted out.
    pub fn is_opted_out(&mut self, number: &str) -> Result<bool, StoreError> {
        Ok(super::optouts::lookup(&self.tx, number)?.is_some())
    }

    /// Records the thank-you SMS queued for call `id`.
    pub fn set_call_thanks(&mut self, id: i64, message_id: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE calls SET thanks_message_id = ?2 WHERE id = ?1")?
            .execute(params![id, message_id])?;
        Ok(())
    }
}

impl Store {
    /// Calls after id `after`, oldest first, at most `limit`, only
    /// campaign `campaign`'s when given.
    pub fn calls(&self, campaign: Option<i64>, after: i64, limit: usize) -> Result<Vec<CallRow>, StoreError> {
        let conn = self.reader();
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {CALL_COLUMNS} FROM calls WHERE id > ?1 AND (?2 IS NULL OR campaign_id = ?2)
                 ORDER BY id LIMIT ?3"
            ))?
            .query_map(params![after, campaign, limit as i64], call_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Campaign `id`'s calls, overall and by variant.
    pub fn campaign_calls(&self, id: i64) -> Result<CallCounts, StoreError> {
        let conn = self.reader();
        let (calls, unique_callers): (i64, i64) = conn
            .prepare_cached("SELECT count(*), count(DISTINCT caller) FROM calls WHERE campaign_id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let by_variant = conn
            .prepare_cached(
                "SELECT variant, count(*), count(DISTINCT caller) FROM calls
                 WHERE campaign_id = ?1 AND variant IS NOT NULL GROUP BY variant ORDER BY variant",
            )?
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CallCounts {
            calls: calls as u64,
            unique_callers: unique_callers as u64,
            by_variant,
        })
    }

    /// Calls per campaign, for Prometheus: `(campaign id, calls)`.
    pub fn calls_per_campaign(&self) -> Result<Vec<(i64, u64)>, StoreError> {
        let conn = self.reader();
        let rows = conn
            .prepare_cached(
                "SELECT campaign_id, count(*) FROM calls WHERE campaign_id IS NOT NULL
                 GROUP BY campaign_id ORDER BY campaign_id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records SIM `imsi`'s own number (`[[modem]] number` or `AT+CNUM`).
    pub fn set_sim_number(&self, imsi: &str, number: &str) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("UPDATE sims SET number = ?2 WHERE imsi = ?1")?
            .execute(params![imsi, number])?;
        Ok(())
    }

    /// The number of campaign `id`'s call-tracking SIM, if it has one and
    /// it is known.
    pub fn campaign_tracking_number(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT s.number FROM campaigns c JOIN sims s ON s.imsi = c.call_tracking_imsi WHERE c.id = ?1",
            )?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// SIM `imsi`'s own number, if known.
    pub fn sim_number(&self, imsi: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT number FROM sims WHERE imsi = ?1")?
            .query_row([imsi], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 100 * DAY;

    /// A campaign on SIM `imsi` started at `started`, whose one message to
    /// `phone` (variant `variant`) was sent at `sent`.
    fn campaign(
        s: &Store,
        status: &str,
        imsi: &str,
        started: i64,
        sent: i64,
        phone: &str,
        variant: &str,
    ) -> i64 {
        let conn = s.writer();
        conn.execute(
            "INSERT INTO campaigns (name, spec, status, created_at, updated_at, started_at, call_tracking_imsi)
             VALUES ('c', '{}', ?1, ?2, ?2, ?2, ?3)",
            params![status, started, imsi],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO messages (recipient, text, encoding, segments, status, status_report, created_at, updated_at, sent_at, campaign_id, variant)
             VALUES (?1, 't', 'gsm7', 1, 'sent', 0, ?2, ?2, ?2, ?3, ?4)",
            params![phone, sent, id, variant],
        )
        .unwrap();
        let m = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO campaign_recipients (campaign_id, seq, phone, time_zone, variant, phase, state, message_id)
             VALUES (?1, 1, ?2, 'UTC', ?3, 'all', 'queued', ?4)",
            params![id, phone, variant, m],
        )
        .unwrap();
        id
    }

    fn call(s: &Store, imsi: &str, caller: Option<&str>) -> CallRow {
        s.write(NOW, |tx| {
            tx.record_call(&NewCall {
                imsi: Some(imsi),
                imei: "86",
                caller,
                number: caller,
                started_at: NOW,
                ended_at: NOW,
                rings: 1,
                action: "rejected",
                window_ms: 7 * DAY,
            })
        })
        .unwrap()
    }

    #[test]
    fn a_call_counts_for_the_latest_campaign_on_that_sim_within_the_attribution_window() {
        let s = Store::open_in_memory().unwrap();
        let old = campaign(&s, "completed", "S", DAY, 2 * DAY, "+1", "A");
        let recent = campaign(&s, "cancelled", "S", 90 * DAY, NOW - DAY, "+79160000001", "B");
        campaign(&s, "running", "T", 95 * DAY, NOW - DAY, "+79160000001", "A");
        let c = call(&s, "S", Some("+79160000001"));
        assert_eq!((c.campaign_id, c.variant.as_deref()), (Some(recent), Some("B")));
        // Not a recipient: the campaign's, without a variant.
        let c = call(&s, "S", Some("+79160000009"));
        assert_eq!((c.campaign_id, c.variant), (Some(recent), None));
        // A SIM no campaign tracks.
        assert_eq!(call(&s, "U", Some("+79160000001")).campaign_id, None);
        // A running campaign started later wins, sent or not.
        let running = campaign(&s, "running", "S", 99 * DAY, NOW + DAY, "+2", "A");
        assert_eq!(call(&s, "S", Some("+79160000001")).campaign_id, Some(running));
        let _ = old;
        let counts = s.campaign_calls(recent).unwrap();
        assert_eq!((counts.calls, counts.unique_callers), (2, 2));
        assert_eq!(counts.by_variant, vec![("B".to_string(), 1, 1)]);
    }

    #[test]
    fn a_finished_campaign_whose_last_message_is_older_than_the_window_gets_no_call() {
        let s = Store::open_in_memory().unwrap();
        campaign(&s, "completed", "S", DAY, NOW - 8 * DAY, "+79160000001", "A");
        campaign(&s, "paused", "S", DAY, NOW - 9 * DAY, "+79160000001", "A");
        assert_eq!(call(&s, "S", Some("+79160000001")).campaign_id, None);
        let within = campaign(&s, "paused", "S", 2 * DAY, NOW - 6 * DAY, "+79160000001", "A");
        assert_eq!(call(&s, "S", Some("+79160000001")).campaign_id, Some(within));
    }
}
