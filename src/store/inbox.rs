//! Received messages, whole (joined from their parts) or flagged
//! incomplete, stored before their last part is deleted from the SIM; and
//! PDUs that could not be decoded, kept raw with the reason.

use rusqlite::params;

use super::unit::Tx;
use super::{Store, StoreError};

/// A received message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// Sender as received (E.164 for international numbers).
    pub sender: String,
    /// Text, if it is text.
    pub text: Option<String>,
    /// When it arrived (unix ms): its last part.
    pub received_at: i64,
    /// Modem it arrived on.
    pub modem_imei: Option<String>,
    /// SIM it arrived for.
    pub sim_imsi: Option<String>,
    /// The PDU (one per line for a joined message).
    pub pdu: String,
    /// Parts it was joined from (expected, for an incomplete one).
    pub parts: u8,
    /// Some parts never came.
    pub incomplete: bool,
    /// Why the PDU could not be decoded; `None` for a message that was.
    pub error: Option<String>,
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
    /// Parts.
    pub parts: u8,
    /// Some parts never came.
    pub incomplete: bool,
    /// What the gateway read it as: optout, optin, help, vote, comment.
    pub kind: Option<String>,
    /// Why it could not be decoded (then `pdu` holds it as received).
    pub error: Option<String>,
    /// The PDU in hex, for an undecodable one only.
    pub pdu: Option<String>,
}

impl Tx<'_> {
    /// Stores a received message; returns its id.
    pub fn store_inbound(&mut self, m: &NewInbound) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO inbox (sender, text, received_at, modem_imei, sim_imsi, pdu, parts, incomplete, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                m.sender,
                m.text,
                m.received_at,
                m.modem_imei,
                m.sim_imsi,
                m.pdu,
                m.parts,
                m.incomplete,
                m.error
            ])?;
        let id = self.tx.last_insert_rowid();
        // The number answers: its contact is reachable.
        super::contact_activity::replied(&self.tx, &m.sender, m.received_at)?;
        Ok(id)
    }

    /// Records what a received message was read as.
    pub fn set_inbox_kind(&mut self, id: i64, kind: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE inbox SET kind = ?2 WHERE id = ?1")?
            .execute(params![id, kind])?;
        Ok(())
    }
}

impl Store {
    /// A page of at most `limit` received messages after id `after`,
    /// oldest first, and at most about [`super::query::PAGE_BYTES`] of
    /// text (texts, PDUs, errors).
    pub fn inbox(&self, after: i64, limit: usize) -> Result<super::query::Page<InboxRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, sender, text, received_at, modem_imei, sim_imsi, parts, incomplete, kind, error,
                    CASE WHEN error IS NOT NULL THEN pdu END
             FROM inbox WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok(InboxRow {
                id: r.get(0)?,
                sender: r.get(1)?,
                text: r.get(2)?,
                received_at: r.get(3)?,
                modem_imei: r.get(4)?,
                sim_imsi: r.get(5)?,
                parts: r.get(6)?,
                incomplete: r.get(7)?,
                kind: r.get(8)?,
                error: r.get(9)?,
                pdu: r.get(10)?,
            })
        })?;
        Ok(super::query::bounded(rows, |m: &InboxRow| {
            [&m.text, &m.error, &m.pdu]
                .iter()
                .map(|t| t.as_ref().map_or(0, String::len))
                .sum()
        })?)
    }

    /// How many received PDUs could not be decoded (kept raw in the inbox).
    pub fn undecodable_count(&self) -> Result<i64, StoreError> {
        Ok(self.reader().query_row(
            "SELECT count(*) FROM inbox INDEXED BY inbox_undecodable WHERE error IS NOT NULL",
            [],
            |r| r.get(0),
        )?)
    }
}
