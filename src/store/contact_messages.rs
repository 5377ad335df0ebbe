//! A contact's history: the messages sent to one number, newest first, a
//! page at a time (keyset: ids below the last one shown), found through
//! the recipient index, so a page costs that number's messages, never the
//! whole table.

use rusqlite::params;

use super::query::{COLUMNS, MessageRow, Page, bounded, message_text, row};
use super::{Store, StoreError};

impl Store {
    /// At most `limit` messages sent to `number` (canonical), newest
    /// first, with ids below `before` (0: from the newest), and at most
    /// about [`super::query::PAGE_BYTES`] of text.
    pub fn messages_to(
        &self,
        number: &str,
        before: i64,
        limit: usize,
    ) -> Result<Page<MessageRow>, StoreError> {
        let conn = self.reader();
        let before = if before <= 0 { i64::MAX } else { before };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages INDEXED BY messages_by_recipient
             WHERE recipient = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![number, before, limit as i64], row)?;
        Ok(bounded(rows, message_text)?)
    }
}

#[cfg(test)]
mod tests {
    use crate::phone::Msisdn;
    use crate::sms::Encoding;
    use crate::store::{Category, NewMessage, Store};

    #[test]
    fn a_numbers_messages_newest_first_in_pages() {
        let store = Store::open_in_memory().unwrap();
        for (i, to) in ["+79160000001", "+79160000002", "+79160000001", "+79160000001"]
            .iter()
            .enumerate()
        {
            let m = NewMessage {
                recipient: Msisdn::from_canonical(*to),
                text: format!("text {i}"),
                encoding: Encoding::Gsm7,
                segments: 1,
                status_report: false,
                send_at: None,
                expires_at: None,
                kind: None,
                category: Category::Transactional,
                idempotency_key: None,
                request_hash: String::new(),
            };
            store.enqueue(&m, 1_000 + i as i64).unwrap();
        }
        let first = store.messages_to("+79160000001", 0, 2).unwrap();
        let texts: Vec<&str> = first.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["text 3", "text 2"]);
        let rest = store
            .messages_to("+79160000001", first.last().unwrap().id, 2)
            .unwrap();
        let texts: Vec<&str> = rest.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["text 0"]);
        assert!(store.messages_to("+79169999999", 0, 50).unwrap().is_empty());
    }
}
