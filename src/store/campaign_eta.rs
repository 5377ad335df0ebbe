//! What a campaign's capacity estimate reads: its recipients still to send
//! per time zone.

use super::{Store, StoreError};

impl Store {
    /// Recipients of campaign `id` still to send, per IANA zone: pending
    /// (not yet a message), or queued whose message has not gone to a SIM.
    pub fn campaign_left_by_zone(&self, id: i64) -> Result<Vec<(String, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT r.time_zone, count(*) FROM campaign_recipients r
                    LEFT JOIN messages m ON r.state = 'queued' AND m.id = r.message_id
             WHERE r.campaign_id = ?1
               AND (r.state = 'pending' OR (r.state = 'queued' AND m.status IN ('queued', 'scheduled')))
             GROUP BY r.time_zone ORDER BY r.time_zone",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
