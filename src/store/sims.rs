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
                    delivered_total, undelivered_total
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
            })
        })?;
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
