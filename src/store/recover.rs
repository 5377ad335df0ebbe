//! Start-up recovery. A message found `sending` was being written to a
//! modem when the gateway stopped. Its recorded parts certainly reached the
//! network; the part after them may have (its write may have begun), so it
//! is recorded `unknown` and never written again; the parts after that
//! certainly did not, so the message goes back to the queue pinned to its
//! SIM and reference to send them. When the uncertain part is the last
//! one, the message is `unknown` and nothing is sent again.

use rusqlite::params;

use super::record::describe_parts;
use super::{Store, StoreError};

/// What start-up recovery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Messages whose last written part may or may not have gone: `unknown`.
    pub unknown: usize,
    /// Messages with parts certainly not sent: queued again for their SIM.
    pub resumed: usize,
}

/// A message without a recorded reference (claimed before part progress
/// was kept) cannot be resumed identically.
const WHOLE: &str =
    "the gateway stopped while this message was being sent; it may have been sent, so it is not sent again";

impl Store {
    /// Settles every `sending` message as described in the module docs.
    pub fn recover(&self, now: i64) -> Result<Recovered, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let sending: Vec<(i64, i64, Option<String>, Option<i64>)> = tx
            .prepare_cached(
                "SELECT id, segments, sim_imsi, concat_ref FROM messages INDEXED BY messages_by_status
                 WHERE status = 'sending'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Recovered::default();
        for (id, total, imsi, concat_ref) in sending {
            let total = total.max(1) as usize;
            let (next, mut unknown) = super::record::progress(&tx, id)?;
            let (Some(imsi), Some(concat_ref)) = (imsi, concat_ref) else {
                settle(&tx, id, "unknown", WHOLE, now)?;
                out.unknown += 1;
                continue;
            };
            let cut = next.min(total);
            tx.prepare_cached(
                "INSERT OR IGNORE INTO message_parts (message_id, seq, sim_imsi, concat_ref, message_ref, sent_at, status)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5, 'unknown')",
            )?
            .execute(params![id, cut as i64, imsi, concat_ref, now])?;
            if !unknown.contains(&cut) {
                unknown.push(cut);
                unknown.sort_unstable();
            }
            let parts = describe_parts(total, &unknown, cut + 1);
            if cut >= total {
                let reason = if total == 1 {
                    WHOLE.to_string()
                } else {
                    format!(
                        "the gateway stopped while part {cut} of {total} was being sent: {parts}; it is not sent again"
                    )
                };
                settle(&tx, id, "unknown", &reason, now)?;
                out.unknown += 1;
            } else {
                let reason = format!(
                    "the gateway stopped while part {cut} of {total} was being sent: {parts}; the rest will go through SIM {imsi} with reference {concat_ref}"
                );
                tx.prepare_cached(
                    "UPDATE messages SET pinned_imsi = ?2, expires_at = coalesce(expires_at, ?3) WHERE id = ?1",
                )?
                .execute(params![id, imsi, now + super::record::HOLD_LIMIT_MS])?;
                settle(&tx, id, "queued", &reason, now)?;
                out.resumed += 1;
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

fn settle(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    status: &str,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE messages SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, status, reason, now])?;
    tx.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, status, now, reason])?;
    Ok(())
}
