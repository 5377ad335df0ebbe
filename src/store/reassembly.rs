//! Parts of concatenated messages, kept durably until the last one
//! arrives (in any order, over minutes or a restart), or until they are
//! given up on and stored as an incomplete message.

use rusqlite::params;

use super::unit::Tx;
use super::{Store, StoreError};

/// One part of a concatenated message, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPart<'a> {
    /// SIM it arrived for ('' when unknown).
    pub sim_imsi: &'a str,
    /// Sender as received.
    pub sender: &'a str,
    /// Concatenation reference.
    pub reference: u16,
    /// 16-bit reference form.
    pub wide_ref: bool,
    /// Parts in the message.
    pub total: u8,
    /// This part's number.
    pub seq: u8,
    /// Modem it arrived on.
    pub modem_imei: Option<&'a str>,
    /// The PDU.
    pub pdu: &'a str,
}

/// A stored part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// Its number.
    pub seq: u8,
    /// The PDU.
    pub pdu: String,
    /// Arrival (unix ms).
    pub received_at: i64,
    /// Modem.
    pub modem_imei: Option<String>,
}

/// What adding a part did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartAdded {
    /// Kept; others are missing.
    Waiting {
        /// Parts present.
        have: u32,
    },
    /// This part was already here (the network or modem sent it twice).
    Duplicate,
    /// The message is whole: its parts in order, removed from waiting.
    Complete(Vec<StoredPart>),
}

/// The parts of one message given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleGroup {
    /// SIM.
    pub sim_imsi: String,
    /// Sender.
    pub sender: String,
    /// Parts expected.
    pub total: u8,
    /// Parts present, in order.
    pub parts: Vec<StoredPart>,
}

fn stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPart> {
    Ok(StoredPart {
        seq: r.get(0)?,
        pdu: r.get(1)?,
        received_at: r.get(2)?,
        modem_imei: r.get(3)?,
    })
}

/// Removes the parts of one message (`key`: SIM, sender, reference,
/// wide, total) and returns them in order.
fn take_group(
    tx: &rusqlite::Transaction<'_>,
    key: &[&dyn rusqlite::ToSql],
) -> Result<Vec<StoredPart>, StoreError> {
    let mut parts: Vec<StoredPart> = tx
        .prepare_cached(
            "DELETE FROM inbound_parts
             WHERE sim_imsi = ?1 AND sender = ?2 AND ref = ?3 AND wide_ref = ?4 AND total = ?5
             RETURNING seq, pdu, received_at, modem_imei",
        )?
        .query_map(key, stored)?
        .collect::<Result<_, _>>()?;
    parts.sort_by_key(|p| p.seq);
    Ok(parts)
}

impl Tx<'_> {
    /// Keeps a part; when it completes its message, returns all the parts.
    pub fn add_part(&mut self, p: &NewPart<'_>) -> Result<PartAdded, StoreError> {
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO inbound_parts (sim_imsi, sender, ref, wide_ref, total, seq, received_at, modem_imei, pdu)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                p.sim_imsi, p.sender, p.reference, p.wide_ref, p.total, p.seq, self.now, p.modem_imei, p.pdu
            ])?;
        if inserted == 0 {
            return Ok(PartAdded::Duplicate);
        }
        let key = params![p.sim_imsi, p.sender, p.reference, p.wide_ref, p.total];
        let have: u32 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM inbound_parts
                 WHERE sim_imsi = ?1 AND sender = ?2 AND ref = ?3 AND wide_ref = ?4 AND total = ?5",
            )?
            .query_row(key, |r| r.get(0))?;
        if have < u32::from(p.total) {
            return Ok(PartAdded::Waiting { have });
        }
        let parts = take_group(&self.tx, key)?;
        Ok(PartAdded::Complete(parts))
    }

    /// Removes and returns every waiting message whose first part arrived
    /// before `before`.
    pub fn take_stale_parts(&mut self, before: i64) -> Result<Vec<StaleGroup>, StoreError> {
        let keys: Vec<(String, String, u16, bool, u8)> = self
            .tx
            .prepare_cached(
                "SELECT sim_imsi, sender, ref, wide_ref, total FROM inbound_parts
                 GROUP BY sim_imsi, sender, ref, wide_ref, total HAVING min(received_at) < ?1",
            )?
            .query_map([before], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut groups = Vec::with_capacity(keys.len());
        for (sim_imsi, sender, reference, wide, total) in keys {
            let parts = take_group(&self.tx, params![sim_imsi, sender, reference, wide, total])?;
            groups.push(StaleGroup {
                sim_imsi,
                sender,
                total,
                parts,
            });
        }
        Ok(groups)
    }
}

impl Store {
    /// When the oldest waiting part arrived, if any part waits.
    pub fn oldest_waiting_part(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT min(received_at) FROM inbound_parts")?
            .query_row([], |r| r.get(0))?)
    }
}
