//! Reading messages back: one with its history, pages of them, and counts.

use rusqlite::{OptionalExtension, Row, params};

use super::types::{Category, Event, Status, status_from_sql};
use super::{Store, StoreError};

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Id.
    pub id: i64,
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
    /// Status.
    pub status: Status,
    /// Segments.
    pub segments: usize,
    /// Encoding.
    pub encoding: String,
    /// Delivery report requested.
    pub status_report: bool,
    /// Not before (unix ms).
    pub send_at: Option<i64>,
    /// SIM of the last attempt.
    pub sim_imsi: Option<String>,
    /// Modem of the last attempt.
    pub modem_imei: Option<String>,
    /// Port of that modem.
    pub modem_port: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
    /// Accepted (unix ms).
    pub created_at: i64,
    /// Sent (unix ms).
    pub sent_at: Option<i64>,
    /// Delivered (unix ms).
    pub delivered_at: Option<i64>,
    /// Why it is not (yet) sent.
    pub error: Option<String>,
    /// Transactional or marketing.
    pub category: Category,
}

/// The columns [`row`] reads, in order.
pub(super) const COLUMNS: &str =
    "id, recipient, text, status, segments, encoding, status_report, send_at, sim_imsi, modem_imei,
     modem_port, attempts, created_at, sent_at, delivered_at, error, category";

/// A message row from [`COLUMNS`].
pub(super) fn row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        recipient: r.get(1)?,
        text: r.get(2)?,
        status: status_from_sql(r.get(3)?)?,
        segments: r.get::<_, i64>(4)? as usize,
        encoding: r.get(5)?,
        status_report: r.get(6)?,
        send_at: r.get(7)?,
        sim_imsi: r.get(8)?,
        modem_imei: r.get(9)?,
        modem_port: r.get(10)?,
        attempts: r.get(11)?,
        created_at: r.get(12)?,
        sent_at: r.get(13)?,
        delivered_at: r.get(14)?,
        error: r.get(15)?,
        category: r.get::<_, String>(16)?.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(16, rusqlite::types::Type::Text, e.into())
        })?,
    })
}

/// Bytes of free text (message texts, PDUs, errors) one list page
/// collects at most, on top of its row limit: 1,000 messages of 39,000
/// characters would otherwise make a 39 MB page. Rows stop once this much
/// is collected (at least one row is always returned); the rest of the
/// query is never read.
pub const PAGE_BYTES: usize = 1 << 20;

/// A page of rows; `cut` when it stopped at [`PAGE_BYTES`] before its row
/// limit, so more rows may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, oldest first.
    pub rows: Vec<T>,
    /// Stopped early by size.
    pub cut: bool,
}

impl<T> std::ops::Deref for Page<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.rows
    }
}

/// Takes rows until `text` of them adds up to [`PAGE_BYTES`].
pub(crate) fn bounded<T>(
    rows: impl Iterator<Item = rusqlite::Result<T>>,
    text: impl Fn(&T) -> usize,
) -> rusqlite::Result<Page<T>> {
    let mut page = Vec::new();
    let mut bytes = 0;
    let mut rows = rows.peekable();
    while let Some(r) = rows.next() {
        let r = r?;
        bytes += text(&r);
        page.push(r);
        if bytes >= PAGE_BYTES {
            // Cut only if a row actually follows: the statement is stepped
            // once more, the row read, and dropped.
            let more = rows.peek().is_some();
            return Ok(Page {
                rows: page,
                cut: more,
            });
        }
    }
    Ok(Page {
        rows: page,
        cut: false,
    })
}

/// The free text of a message, for [`bounded`].
pub(super) fn message_text(m: &MessageRow) -> usize {
    m.text.len() + m.error.as_ref().map_or(0, String::len)
}

/// Messages per status.
pub type StatusCounts = Vec<(Status, u64)>;

impl Store {
    /// One message and its history.
    pub fn message(&self, id: i64) -> Result<Option<(MessageRow, Vec<Event>)>, StoreError> {
        let conn = self.reader();
        let Some(m) = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
            .query_row([id], row)
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT status, at, reason FROM message_events WHERE message_id = ?1 ORDER BY id",
        )?;
        let history = stmt
            .query_map([id], |r| {
                Ok(Event {
                    status: status_from_sql(r.get(0)?)?,
                    at: r.get(1)?,
                    reason: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let history = super::queue_notes::with_queue_notes(&conn, history)?;
        Ok(Some((m, history)))
    }

    /// A page of at most `limit` messages after id `after`, oldest first,
    /// optionally of one status, and at most about [`PAGE_BYTES`] of text.
    pub fn messages(
        &self,
        status: Option<Status>,
        after: i64,
        limit: usize,
    ) -> Result<Page<MessageRow>, StoreError> {
        let conn = self.reader();
        let rows = match status {
            Some(st) => conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages WHERE status = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                ))?
                .query_map(params![st.as_str(), after, limit as i64], row)
                .and_then(|rows| bounded(rows, message_text))?,
            None => conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2"
                ))?
                .query_map(params![after, limit as i64], row)
                .and_then(|rows| bounded(rows, message_text))?,
        };
        Ok(rows)
    }

    /// How many messages are in each status (every status listed).
    pub fn status_counts(&self) -> Result<StatusCounts, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT status, n FROM message_status_counts")?;
        let found: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Status::ALL
            .into_iter()
            .map(|st| {
                let n = found
                    .iter()
                    .find(|(s, _)| s == st.as_str())
                    .map_or(0, |(_, n)| *n as u64);
                (st, n)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Msisdn;
    use crate::sms::Encoding;
    use crate::store::{Category, NewMessage};

    fn msg(to: &str, send_at: Option<i64>) -> NewMessage {
        NewMessage {
            recipient: Msisdn::from_canonical(to),
            text: "x".into(),
            encoding: Encoding::Gsm7,
            segments: 1,
            status_report: false,
            send_at,
            expires_at: None,
            kind: None,
            category: Category::Transactional,
            idempotency_key: None,
            request_hash: String::new(),
        }
    }

    /// The counts kept by triggers agree with counting the messages.
    #[test]
    fn status_counts_follow_inserts_changes_and_deletes() {
        let s = Store::open_in_memory().unwrap();
        let counted = |s: &Store| -> StatusCounts {
            let conn = s.reader();
            let mut stmt = conn
                .prepare("SELECT status, count(*) FROM messages GROUP BY status")
                .unwrap();
            let found: Vec<(String, i64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            Status::ALL
                .into_iter()
                .map(|st| {
                    let n = found.iter().find(|(x, _)| x == st.as_str());
                    (st, n.map_or(0, |(_, n)| *n as u64))
                })
                .collect()
        };
        let mut ids = Vec::new();
        for i in 0..5 {
            let send_at = (i % 2 == 0).then_some(10_000_000);
            ids.push(
                s.enqueue(&msg(&format!("+7916000000{i}"), send_at), 1_000)
                    .unwrap()
                    .id,
            );
        }
        let by = |c: &StatusCounts, st: Status| c.iter().find(|(x, _)| *x == st).unwrap().1;
        let c = s.status_counts().unwrap();
        assert_eq!(c, counted(&s));
        assert_eq!((by(&c, Status::Queued), by(&c, Status::Scheduled)), (2, 3));
        s.cancel(ids[0], 2_000, "test").unwrap();
        s.cancel(ids[1], 2_000, "test").unwrap();
        s.cancel(ids[1], 2_100, "test").unwrap(); // already cancelled: no change
        let c = s.status_counts().unwrap();
        assert_eq!(c, counted(&s));
        assert_eq!(by(&c, Status::Cancelled), 2);
        {
            // Nothing deletes messages today; the trigger is ready for it.
            let w = s.writer();
            w.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            w.execute("DELETE FROM messages WHERE id = ?1", [ids[0]]).unwrap();
            w.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        }
        assert_eq!(s.status_counts().unwrap(), counted(&s));
        assert_eq!(by(&s.status_counts().unwrap(), Status::Cancelled), 1);
    }

    fn sizes(n: &[usize]) -> Page<usize> {
        bounded(n.iter().map(|&s| Ok(s)), |&s| s).unwrap()
    }

    #[test]
    fn a_page_stops_at_its_byte_bound_and_says_so_only_when_rows_follow() {
        // Under the bound: every row, not cut.
        assert_eq!(
            sizes(&[10, 20, 30]),
            Page {
                rows: vec![10, 20, 30],
                cut: false
            }
        );
        // The row that reaches the bound is the last one taken.
        let half = PAGE_BYTES / 2;
        assert_eq!(
            sizes(&[half, half, 1, 1]),
            Page {
                rows: vec![half, half],
                cut: true
            }
        );
        // Reaching it with the last row there is: nothing follows.
        assert_eq!(
            sizes(&[half, half]),
            Page {
                rows: vec![half, half],
                cut: false
            }
        );
        // One row larger than the bound still makes a page.
        let huge = PAGE_BYTES * 3;
        assert_eq!(
            sizes(&[huge, 1]),
            Page {
                rows: vec![huge],
                cut: true
            }
        );
    }
}
