//! SIMs by identity, with their counters and cool-downs. A stick that comes
//! back on another port is the same SIM, with the same counters.

use rusqlite::params;

use super::{Store, StoreError};

/// A SIM as a modem reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSeen {
    /// IMSI.
    pub imsi: String,
    /// ICCID.
    pub iccid: Option<String>,
    /// IMEI of the modem it is in.
    pub imei: String,
    /// Port of that modem.
    pub port: String,
}

/// A SIM's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRow {
    /// IMSI.
    pub imsi: String,
    /// ICCID.
    pub iccid: Option<String>,
    /// Last modem.
    pub imei: Option<String>,
    /// Last port.
    pub port: Option<String>,
    /// Local date of `sent_today`.
    pub day: Option<String>,
    /// Segments sent on `day`.
    pub sent_today: u64,
    /// Segments ever sent.
    pub sent_total: u64,
    /// Failed attempts ever.
    pub failed_total: u64,
    /// Parts the network reported delivered.
    pub delivered_total: u64,
    /// Parts the network reported undeliverable.
    pub undelivered_total: u64,
    /// Cooling down until (unix ms).
    pub cooldown_until: Option<i64>,
    /// Why.
    pub cooldown_reason: Option<String>,
    /// When it was first seen (unix ms): day 1 of its `warm_up`.
    pub first_seen: i64,
    /// Local month (`YYYY-MM`) of `sent_month` and `recipients_month`.
    pub month: Option<String>,
    /// Segments sent in `month`.
    pub sent_month: u64,
    /// Distinct recipients texted in `month`.
    pub recipients_month: u64,
}

impl SimRow {
    /// Segments sent on the local date `today`.
    pub fn sent_on(&self, today: &str) -> u64 {
        if self.day.as_deref() == Some(today) {
            self.sent_today
        } else {
            0
        }
    }

    /// Segments sent in the local month `month` (`YYYY-MM`).
    pub fn sent_in_month(&self, month: &str) -> u64 {
        if self.month.as_deref() == Some(month) {
            self.sent_month
        } else {
            0
        }
    }

    /// Distinct recipients texted in the local month `month` (`YYYY-MM`).
    pub fn recipients_in_month(&self, month: &str) -> u64 {
        if self.month.as_deref() == Some(month) {
            self.recipients_month
        } else {
            0
        }
    }
}

/// The local month (`YYYY-MM`) of a local date written `YYYY-MM-DD`.
pub fn month_of(date: &str) -> &str {
    date.get(..7).unwrap_or(date)
}

/// Counts a send through `imsi` to `recipient` against the SIM's month,
/// inside the caller's transaction (the one recording the send): `segments`
/// more this month, and `recipient` among this month's distinct ones if it
/// is new. A SIM whose month turns starts both counts afresh and forgets
/// its past months' recipients.
pub(super) fn count_send_in(
    tx: &rusqlite::Transaction<'_>,
    imsi: &str,
    recipient: &str,
    segments: u64,
    month: &str,
) -> Result<(), StoreError> {
    let turned = tx
        .prepare_cached(
            "UPDATE sims SET month = ?2, sent_month = 0, recipients_month = 0
             WHERE imsi = ?1 AND month IS NOT ?2",
        )?
        .execute(params![imsi, month])?;
    if turned > 0 {
        tx.prepare_cached("DELETE FROM sim_month_recipients WHERE imsi = ?1 AND month <> ?2")?
            .execute(params![imsi, month])?;
    }
    let new = tx
        .prepare_cached(
            "INSERT INTO sim_month_recipients (month, recipient, imsi) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![month, recipient, imsi])?;
    tx.prepare_cached(
        "UPDATE sims SET sent_month = sent_month + ?2, recipients_month = recipients_month + ?3 WHERE imsi = ?1",
    )?
    .execute(params![imsi, segments as i64, new as i64])?;
    Ok(())
}

impl Store {
    /// Records that a SIM is present in a modem.
    pub fn sim_seen(&self, s: &SimSeen, now: i64) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached(
                "INSERT INTO sims (imsi, iccid, imei, port, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (imsi) DO UPDATE SET iccid = coalesce(excluded.iccid, iccid),
                    imei = excluded.imei, port = excluded.port, last_seen = excluded.last_seen",
            )?
            .execute(params![s.imsi, s.iccid, s.imei, s.port, now])?;
        Ok(())
    }

    /// Every SIM ever seen.
    pub fn sims(&self) -> Result<Vec<SimRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT imsi, iccid, imei, port, day, sent_today, sent_total, failed_total, cooldown_until, cooldown_reason,
                    delivered_total, undelivered_total, first_seen, month, sent_month, recipients_month
             FROM sims ORDER BY imsi",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SimRow {
                imsi: r.get(0)?,
                iccid: r.get(1)?,
                imei: r.get(2)?,
                port: r.get(3)?,
                day: r.get(4)?,
                sent_today: r.get::<_, i64>(5)? as u64,
                sent_total: r.get::<_, i64>(6)? as u64,
                failed_total: r.get::<_, i64>(7)? as u64,
                cooldown_until: r.get(8)?,
                cooldown_reason: r.get(9)?,
                delivered_total: r.get::<_, i64>(10)? as u64,
                undelivered_total: r.get::<_, i64>(11)? as u64,
                first_seen: r.get(12)?,
                month: r.get(13)?,
                sent_month: r.get::<_, i64>(14)? as u64,
                recipients_month: r.get::<_, i64>(15)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Which of `recipients` each SIM already texted in the local month
    /// `month` (`YYYY-MM`): `(imsi, recipient)` pairs. A SIM at its
    /// distinct-recipient limit may still text these.
    pub fn known_recipients(
        &self,
        month: &str,
        recipients: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        if recipients.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(recipients)
            .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT imsi, recipient FROM sim_month_recipients
             WHERE month = ?1 AND recipient IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![month, list], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets or clears a SIM's cool-down (it survives restarts).
    pub fn set_cooldown(
        &self,
        imsi: &str,
        until: Option<i64>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("UPDATE sims SET cooldown_until = ?2, cooldown_reason = ?3 WHERE imsi = ?1")?
            .execute(params![imsi, until, reason])?;
        Ok(())
    }
}
