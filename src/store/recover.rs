//! Start-up recovery. A message found `sending` was handed to a modem when
//! the gateway stopped: it may have reached the network, so it becomes
//! `unknown` and is never re-sent automatically.

use rusqlite::params;

use super::{Store, StoreError};

impl Store {
    /// Marks every `sending` message `unknown`; returns how many.
    pub fn recover(&self, now: i64) -> Result<usize, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let reason = "the gateway stopped while this message was being sent; it may have been sent, so it is not sent again";
        let ids: Vec<i64> = tx
            .prepare_cached(
                "UPDATE messages SET status = 'unknown', error = ?2, updated_at = ?1
                 WHERE status = 'sending' RETURNING id",
            )?
            .query_map(params![now, reason], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            tx.prepare_cached(
                "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'unknown', ?2, ?3)",
            )?
            .execute(params![id, now, reason])?;
        }
        tx.commit()?;
        Ok(ids.len())
    }
}
