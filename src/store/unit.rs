//! A unit of work: several store operations that commit together or not
//! at all. Inbound processing uses it so that a received message, the
//! opt-out it carries, the messages it suppresses, the reply it triggers
//! and the webhook events it raises are one commit.

use rusqlite::{Transaction, params};

use super::{Store, StoreError};

/// An open write transaction with the time it runs at.
pub struct Tx<'c> {
    pub(super) tx: Transaction<'c>,
    /// The time of this unit of work (unix ms).
    pub now: i64,
}

impl Store {
    /// Runs `f` in one write transaction at time `now`; commits when it
    /// returns `Ok`, rolls back otherwise.
    pub fn write<T, E: From<StoreError>>(
        &self,
        now: i64,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let mut unit = Tx { tx, now };
        let out = f(&mut unit)?;
        unit.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

impl Tx<'_> {
    /// Remembers that `number` talks to SIM `imsi`, so replies to it leave
    /// through that SIM.
    pub fn stick(&mut self, number: &str, imsi: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO recipients (recipient, sim_imsi, last_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (recipient) DO UPDATE SET sim_imsi = excluded.sim_imsi, last_at = excluded.last_at",
            )?
            .execute(params![number, imsi, self.now])?;
        Ok(())
    }
}
