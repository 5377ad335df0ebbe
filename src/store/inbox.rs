//! Received messages, stored before they are deleted from the SIM.

use rusqlite::params;

use super::{Store, StoreError};

/// A received message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// Sender as received (E.164 for international numbers).
    pub sender: String,
    /// Text, if it is text.
    pub text: Option<String>,
    /// When it arrived (unix ms).
    pub received_at: i64,
    /// Modem it arrived on.
    pub modem_imei: Option<String>,
    /// SIM it arrived for.
    pub sim_imsi: Option<String>,
    /// The PDU as the modem printed it.
    pub pdu: String,
}

/// A stored received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    /// Id.
    pub id: i64,
    /// Sender.
    pub sender: String,
    /// Text.
    pub text: Option<String>,
    /// Arrival (unix ms).
    pub received_at: i64,
    /// Modem.
    pub modem_imei: Option<String>,
    /// SIM.
    pub sim_imsi: Option<String>,
}

impl Store {
    /// Stores a received message durably; returns its id.
    pub fn store_inbound(&self, m: &NewInbound) -> Result<i64, StoreError> {
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO inbox (sender, text, received_at, modem_imei, sim_imsi, pdu) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![m.sender, m.text, m.received_at, m.modem_imei, m.sim_imsi, m.pdu])?;
        Ok(conn.last_insert_rowid())
    }

    /// A page of received messages after id `after`, oldest first.
    pub fn inbox(&self, after: i64, limit: usize) -> Result<Vec<InboxRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, sender, text, received_at, modem_imei, sim_imsi FROM inbox WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok(InboxRow {
                id: r.get(0)?,
                sender: r.get(1)?,
                text: r.get(2)?,
                received_at: r.get(3)?,
                modem_imei: r.get(4)?,
                sim_imsi: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
