//! The history of every message, in the order it was written: what
//! `GET /v1/events`, `simfleet messages --watch` and the demo follow.

use rusqlite::params;

use super::types::status_from_sql;
use super::{Status, Store, StoreError};

/// One status change of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    /// Position in the history of all messages (the cursor).
    pub id: i64,
    /// The message.
    pub message_id: i64,
    /// Its recipient.
    pub recipient: String,
    /// The status it entered.
    pub status: Status,
    /// When (unix ms).
    pub at: i64,
    /// Why, in words.
    pub reason: Option<String>,
}

impl Store {
    /// Up to `limit` status changes written after event `after`, oldest first.
    pub fn message_events(&self, after: i64, limit: usize) -> Result<Vec<MessageEvent>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT e.id, e.message_id, m.recipient, e.status, e.at, e.reason
             FROM message_events e JOIN messages m ON m.id = e.message_id
             WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok(MessageEvent {
                id: r.get(0)?,
                message_id: r.get(1)?,
                recipient: r.get(2)?,
                status: status_from_sql(r.get(3)?)?,
                at: r.get(4)?,
                reason: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest event's position (0 when there is none): where a
    /// follower that only wants what happens from now on starts.
    pub fn last_message_event(&self) -> Result<i64, StoreError> {
        Ok(self
            .reader()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM message_events", [], |r| {
                r.get(0)
            })?)
    }
}

#[cfg(test)]
mod tests {
    use crate::phone::Msisdn;
    use crate::sms::Encoding;
    use crate::store::{NewMessage, Status, Store};

    #[test]
    fn events_follow_in_order_from_a_cursor() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.last_message_event().unwrap(), 0);
        let new = |to: &str| NewMessage {
            recipient: Msisdn::from_canonical(to),
            text: "hi".into(),
            encoding: Encoding::Gsm7,
            segments: 1,
            status_report: false,
            send_at: None,
            expires_at: None,
            kind: None,
            category: Default::default(),
            idempotency_key: None,
            request_hash: String::new(),
        };
        let a = store.enqueue(&new("+79161234567"), 1).unwrap();
        let b = store.enqueue(&new("+79167654321"), 2).unwrap();
        let all = store.message_events(0, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].message_id, all[0].status), (a.id, Status::Queued));
        assert_eq!(all[1].recipient, "+79167654321");
        assert_eq!(store.message_events(all[0].id, 10).unwrap()[0].message_id, b.id);
        assert!(store.message_events(all[1].id, 10).unwrap().is_empty());
        assert_eq!(store.last_message_event().unwrap(), all[1].id);
    }
}
