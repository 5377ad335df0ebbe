//! Why the queue waits: gateway-wide notes ("no SIM ready: 2 disconnected,
//! 1 at the daily limit until 00:00"), written by the dispatcher only when
//! the reason changes, and read into each queued message's history for the
//! time it was queued.

use rusqlite::{Connection, OptionalExtension, params};

use super::types::{Event, Status};
use super::{Store, StoreError};

impl Store {
    /// Records that from `now` the queue waits because of `reason` (`None`:
    /// it no longer waits for anything but its turn).
    pub fn note_queue_wait(&self, now: i64, reason: Option<&str>) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("INSERT INTO queue_notes (at, reason) VALUES (?1, ?2)")?
            .execute(params![now, reason])?;
        Ok(())
    }

    /// The latest note, if any was ever written: `Some(None)` when the
    /// queue was last noted as not held back.
    pub fn last_queue_note(&self) -> Result<Option<Option<String>>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached("SELECT reason FROM queue_notes ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }
}

/// `history` (one message's, oldest first) with the queue's notes added to
/// each stretch it spent `queued`: the note in force when the stretch began
/// (shown at its start) and those written during it. Entries only ever
/// join the end while the message waits, so a client following the history
/// by index (`send --wait`) sees them in order.
pub(super) fn with_queue_notes(conn: &Connection, history: Vec<Event>) -> Result<Vec<Event>, StoreError> {
    if !history.iter().any(|e| e.status == Status::Queued) {
        return Ok(history);
    }
    let mut at_start = conn
        .prepare_cached("SELECT reason FROM queue_notes WHERE at <= ?1 ORDER BY at DESC, id DESC LIMIT 1")?;
    let mut during = conn.prepare_cached(
        "SELECT at, reason FROM queue_notes WHERE at > ?1 AND at < ?2 AND reason IS NOT NULL ORDER BY at, id",
    )?;
    let mut out = Vec::with_capacity(history.len() + 2);
    for (i, e) in history.iter().enumerate() {
        out.push(e.clone());
        if e.status != Status::Queued {
            continue;
        }
        // The stretch ends with the next event that is not another queued one.
        let end = history[i + 1..]
            .iter()
            .find(|n| n.status != Status::Queued)
            .map_or(i64::MAX, |n| n.at);
        if history.get(i + 1).is_some_and(|n| n.status == Status::Queued) {
            continue;
        }
        let start = e.at;
        let first: Option<Option<String>> = at_start.query_row([start], |r| r.get(0)).optional()?;
        if let Some(Some(reason)) = first {
            out.push(waiting(start, &reason));
        }
        let notes = during
            .query_map(params![start, end], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (at, reason) in notes {
            out.push(waiting(at, &reason));
        }
    }
    Ok(out)
}

fn waiting(at: i64, reason: &str) -> Event {
    Event {
        status: Status::Queued,
        at,
        reason: Some(format!("waiting: {reason}")),
    }
}
