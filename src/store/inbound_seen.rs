//! PDUs already stored, so one offered again is stored once. A modem
//! offers a stored message again whenever its deletion did not follow
//! (the consumer's acknowledgement came too late, the port dropped between
//! storing and deleting); a network retransmits a message whose
//! acknowledgement it did not get. Either way it is the same PDU, byte for
//! byte — a new message from the same person has a new service-centre
//! time stamp — so its digest identifies it. Kept a week.

use rusqlite::params;

use super::{StoreError, Tx};

/// How long a stored PDU is remembered.
const KEEP_MS: i64 = 7 * 24 * 3600 * 1000;

impl Tx<'_> {
    /// Records that the PDU `hex` from SIM `imsi` is being stored; false
    /// when it already was (then it must not be stored again). Part of the
    /// transaction that stores it, so a crash forgets both or neither.
    pub fn first_sight(&mut self, imsi: Option<&str>, hex: &str) -> Result<bool, StoreError> {
        use sha2::{Digest, Sha256};
        let digest = crate::sms::hex::encode_hex(&Sha256::digest(hex.trim().to_ascii_uppercase().as_bytes()));
        self.tx
            .prepare_cached("DELETE FROM inbound_seen WHERE at < ?1")?
            .execute(params![self.now - KEEP_MS])?;
        let added = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO inbound_seen (sim_imsi, digest, at) VALUES (?1, ?2, ?3)")?
            .execute(params![imsi.unwrap_or(""), digest, self.now])?;
        Ok(added == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn the_same_pdu_is_seen_once_per_sim_for_a_week() {
        let s = Store::open_in_memory().unwrap();
        let day = 24 * 3600 * 1000;
        let sight =
            |imsi: Option<&str>, hex: &str, now: i64| s.write(now, |tx| tx.first_sight(imsi, hex)).unwrap();
        assert!(sight(Some("A"), "0791AB", 0));
        assert!(!sight(Some("A"), "0791ab", day), "same PDU, any case");
        assert!(sight(Some("B"), "0791AB", day), "another SIM");
        assert!(sight(Some("A"), "0791AC", day), "another PDU");
        assert!(sight(Some("A"), "0791AB", 8 * day), "forgotten after a week");
        // Rolled back with its transaction: a PDU not stored is not seen.
        let _ = s.write(9 * day, |tx| -> Result<(), crate::store::StoreError> {
            assert!(tx.first_sight(Some("A"), "FFFF").unwrap());
            Err(crate::store::StoreError::TooNew { found: 0, known: 0 })
        });
        assert!(sight(Some("A"), "FFFF", 9 * day));
    }
}
