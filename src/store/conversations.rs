//! Conversations: the replies received, grouped by the number they came
//! from (latest first), and one number's thread — its replies and the
//! messages sent to it, in time order. Bounded pages, keyset cursors:
//! replies through `inbox_by_sender`, messages through
//! `messages_by_recipient`.

use rusqlite::{Connection, OptionalExtension, params};

use super::query::{COLUMNS, MessageRow, row};
use super::{InboxRow, Store, StoreError};

/// A number that replied, with its latest reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    /// The number (as received: E.164 for international numbers).
    pub number: String,
    /// Its contact's name, if it is a contact with one.
    pub name: Option<String>,
    /// Id of its latest reply (the page's cursor).
    pub last_id: i64,
    /// The latest reply's text.
    pub last_text: Option<String>,
    /// When it arrived (unix ms).
    pub last_at: i64,
    /// What the gateway read it as (`optout`, `vote`, …).
    pub last_kind: Option<String>,
    /// Replies from this number in all.
    pub replies: u64,
    /// Whether the number opted out.
    pub opted_out: bool,
}

/// One entry of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadItem {
    /// A reply from the number.
    Received(InboxRow),
    /// A message sent to it.
    Sent(MessageRow),
}

impl ThreadItem {
    /// When it happened (unix ms): received, or accepted for sending.
    pub fn at(&self) -> i64 {
        match self {
            ThreadItem::Received(m) => m.received_at,
            ThreadItem::Sent(m) => m.created_at,
        }
    }
}

/// A page of a thread, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPage {
    /// The entries, oldest first.
    pub items: Vec<ThreadItem>,
    /// Cursor of the older page (a time, unix ms), if there is more.
    pub before: Option<i64>,
}

fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxRow> {
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
        error: None,
        pdu: None,
    })
}

fn name_of(conn: &Connection, number: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT name FROM contacts WHERE phone = ?1")?
        .query_row([number], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

impl Store {
    /// At most `limit` numbers that replied, each with its latest reply,
    /// latest first; `before` is the `last_id` of the previous page's last.
    /// Returns the page and the next cursor.
    pub fn conversations(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<ConversationRow>, Option<i64>), StoreError> {
        let conn = self.reader();
        // A reply is a number's latest when no later one from it exists
        // (a seek on inbox_by_sender); undecodable PDUs are not replies.
        let mut stmt = conn.prepare_cached(
            "SELECT i.id, i.sender, i.text, i.received_at, i.kind FROM inbox i
             WHERE i.id < ?1 AND i.error IS NULL AND i.sender != ''
               AND NOT EXISTS (SELECT 1 FROM inbox j
                               WHERE j.sender = i.sender AND j.received_at > i.received_at)
             ORDER BY i.id DESC LIMIT ?2",
        )?;
        let found = stmt.query_map(params![before.unwrap_or(i64::MAX), limit as i64 + 1], |r| {
            Ok(ConversationRow {
                last_id: r.get(0)?,
                number: r.get(1)?,
                last_text: r.get(2)?,
                last_at: r.get(3)?,
                last_kind: r.get(4)?,
                name: None,
                replies: 0,
                opted_out: false,
            })
        })?;
        let mut rows: Vec<ConversationRow> = Vec::new();
        for r in found {
            let r = r?;
            // Two replies of one number in the same millisecond: the later one only.
            if !rows.iter().any(|x| x.number == r.number) {
                rows.push(r);
            }
        }
        let more = rows.len() > limit;
        rows.truncate(limit);
        let mut count = conn.prepare_cached("SELECT count(*) FROM inbox WHERE sender = ?1")?;
        for r in &mut rows {
            r.name = name_of(&conn, &r.number)?;
            r.replies = count.query_row([&r.number], |x| x.get::<_, i64>(0))? as u64;
            r.opted_out = super::optouts::lookup(&conn, &r.number)?.is_some();
        }
        let next = rows.last().filter(|_| more).map(|r| r.last_id);
        Ok((rows, next))
    }

    /// The thread with `number`: its replies and the messages sent to it
    /// before `before` (unix ms; all when `None`), at most about `limit`
    /// of the latest (entries sharing the boundary's millisecond stay
    /// together), oldest first.
    pub fn thread(&self, number: &str, before: Option<i64>, limit: usize) -> Result<ThreadPage, StoreError> {
        let conn = self.reader();
        let before = before.unwrap_or(i64::MAX);
        let take = limit as i64 + 1;
        let mut items: Vec<ThreadItem> = conn
            .prepare_cached(
                "SELECT id, sender, text, received_at, modem_imei, sim_imsi, parts, incomplete, kind
                 FROM inbox WHERE sender = ?1 AND received_at < ?2 AND error IS NULL
                 ORDER BY received_at DESC, id DESC LIMIT ?3",
            )?
            .query_map(params![number, before, take], inbox_row)?
            .map(|r| r.map(ThreadItem::Received))
            .collect::<Result<_, _>>()?;
        let sent = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages WHERE recipient = ?1 AND created_at < ?2
                 ORDER BY created_at DESC, id DESC LIMIT ?3"
            ))?
            .query_map(params![number, before, take], row)?
            .map(|r| r.map(ThreadItem::Sent))
            .collect::<Result<Vec<_>, _>>()?;
        items.extend(sent);
        // Newest first; a reply after a message sent in the same millisecond.
        items.sort_by_key(|i| std::cmp::Reverse((i.at(), matches!(i, ThreadItem::Received(_)))));
        let mut next = None;
        if items.len() > limit {
            let boundary = items[limit - 1].at();
            let keep = items.iter().take_while(|i| i.at() >= boundary).count();
            items.truncate(keep);
            next = Some(boundary);
        }
        items.reverse();
        Ok(ThreadPage { items, before: next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Msisdn;
    use crate::sms::Encoding;
    use crate::store::{Category, MessageFilter, NewInbound, NewMessage, Status};

    fn msg(to: &str, text: &str) -> NewMessage {
        NewMessage {
            recipient: Msisdn::from_canonical(to),
            text: text.into(),
            encoding: Encoding::Gsm7,
            segments: 1,
            status_report: false,
            send_at: None,
            expires_at: None,
            kind: None,
            category: Category::Transactional,
            idempotency_key: None,
            request_hash: String::new(),
        }
    }

    fn reply(s: &Store, from: &str, text: &str, at: i64) {
        s.write(at, |tx| {
            tx.store_inbound(&NewInbound {
                sender: from.into(),
                text: Some(text.into()),
                received_at: at,
                modem_imei: None,
                sim_imsi: None,
                pdu: String::new(),
                parts: 1,
                incomplete: false,
                error: None,
            })
        })
        .unwrap();
    }

    #[test]
    fn replies_are_grouped_by_number_latest_first_and_paged() {
        let s = Store::open_in_memory().unwrap();
        reply(&s, "+79160000001", "one", 1_000);
        reply(&s, "+79160000002", "two", 2_000);
        reply(&s, "+79160000001", "one again", 3_000);
        reply(&s, "+79160000003", "three", 4_000);
        let (page, next) = s.conversations(None, 2).unwrap();
        let got: Vec<(&str, &str, u64)> = page
            .iter()
            .map(|c| (c.number.as_str(), c.last_text.as_deref().unwrap(), c.replies))
            .collect();
        assert_eq!(
            got,
            [("+79160000003", "three", 1), ("+79160000001", "one again", 2)]
        );
        let (page, next2) = s.conversations(next, 2).unwrap();
        let got: Vec<&str> = page.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(
            got,
            ["+79160000002"],
            "the older reply of …001 is not listed again"
        );
        assert_eq!(next2, None);
    }

    #[test]
    fn a_thread_interleaves_replies_and_messages_in_time_order() {
        let s = Store::open_in_memory().unwrap();
        let n = "+79160000001";
        s.enqueue(&msg(n, "Your order is ready"), 1_000).unwrap();
        reply(&s, n, "Thanks! Can I come at 5?", 2_000);
        s.enqueue(&msg(n, "Yes, see you"), 3_000).unwrap();
        s.enqueue(&msg("+79160000002", "someone else"), 3_500).unwrap();
        reply(&s, n, "Great", 4_000);
        let t = s.thread(n, None, 50).unwrap();
        let got: Vec<i64> = t.items.iter().map(ThreadItem::at).collect();
        assert_eq!(got, [1_000, 2_000, 3_000, 4_000]);
        assert!(t.before.is_none());
        let t = s.thread(n, None, 2).unwrap();
        let got: Vec<i64> = t.items.iter().map(ThreadItem::at).collect();
        assert_eq!((got, t.before), (vec![3_000, 4_000], Some(3_000)));
        let t = s.thread(n, Some(3_000), 2).unwrap();
        let got: Vec<i64> = t.items.iter().map(ThreadItem::at).collect();
        assert_eq!((got, t.before), (vec![1_000, 2_000], None));
    }

    #[test]
    fn messages_are_found_newest_first_by_status_number_and_words() {
        let s = Store::open_in_memory().unwrap();
        for i in 0..5 {
            s.enqueue(
                &msg(&format!("+7916000000{i}"), &format!("Заказ номер {i} готов")),
                1_000 + i,
            )
            .unwrap();
        }
        let all = s.search_messages(&MessageFilter::Any, None, None, 3).unwrap();
        let ids: Vec<i64> = all.rows.iter().map(|m| m.id).collect();
        assert_eq!((ids, all.before), (vec![5, 4, 3], Some(3)));
        let rest = s
            .search_messages(&MessageFilter::Any, None, all.before, 3)
            .unwrap();
        assert_eq!(rest.rows.len(), 2);
        assert_eq!(rest.before, None);
        let one = s
            .search_messages(
                &MessageFilter::Recipient("+79160000002".into()),
                Some(Status::Queued),
                None,
                50,
            )
            .unwrap();
        assert_eq!(one.rows.len(), 1);
        let words = s
            .search_messages(&MessageFilter::Words("ЗАКАЗ номер 3".into()), None, None, 50)
            .unwrap();
        assert_eq!(words.rows.len(), 1, "case is ignored, Cyrillic too");
        let digits = s
            .search_messages(&MessageFilter::Words("0004".into()), None, None, 50)
            .unwrap();
        assert_eq!(digits.rows[0].recipient, "+79160000004");
        let none = s
            .search_messages(&MessageFilter::Any, Some(Status::Delivered), None, 50)
            .unwrap();
        assert!(none.rows.is_empty());
    }
}
