//! Finding messages for a person reading them: newest first, optionally of
//! one status, to one number, or holding some words, one bounded page at
//! a time (keyset on the id, never an OFFSET).
//!
//! A number is found through `messages_by_recipient`; a status through
//! `messages_by_status`. Words have no index: each page reads at most
//! [`SEARCH_WINDOW`] messages back from its cursor (a range of the primary
//! key) and says where it stopped, so a search over a million messages
//! costs the same per page and the reader pages on to older ones.

use rusqlite::{Connection, params};

use super::query::{COLUMNS, MessageRow, row};
use super::types::Status;
use super::{Store, StoreError};

/// Messages one page of a word search reads at most.
pub const SEARCH_WINDOW: i64 = 20_000;

/// Which messages to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFilter {
    /// All.
    Any,
    /// To this number (canonical).
    Recipient(String),
    /// Whose text holds these words (ignoring case), or whose number holds
    /// these digits.
    Words(String),
}

/// A page of messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The messages, newest first.
    pub rows: Vec<MessageRow>,
    /// The cursor of the next (older) page: messages with a smaller id.
    pub before: Option<i64>,
    /// For a word search: the oldest id this page read, when it stopped
    /// there before filling the page (older messages were not read yet).
    pub searched_to: Option<i64>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl Store {
    /// At most `limit` messages with an id below `before` (all when `None`),
    /// newest first, of `status` if given, matching `filter`.
    pub fn search_messages(
        &self,
        filter: &MessageFilter,
        status: Option<Status>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<SearchPage, StoreError> {
        let conn = self.reader();
        let before = before.unwrap_or(i64::MAX);
        let take = limit as i64 + 1;
        let st = status.map(Status::as_str);
        let mut rows: Vec<MessageRow> = match filter {
            MessageFilter::Any => match st {
                Some(st) => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM messages WHERE status = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
                    ))?
                    .query_map(params![st, before, take], row)?
                    .collect::<Result<_, _>>()?,
                None => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM messages WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
                    ))?
                    .query_map(params![before, take], row)?
                    .collect::<Result<_, _>>()?,
            },
            MessageFilter::Recipient(number) => match st {
                Some(st) => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM messages WHERE recipient = ?1 AND status = ?2 AND id < ?3
                         ORDER BY id DESC LIMIT ?4"
                    ))?
                    .query_map(params![number, st, before, take], row)?
                    .collect::<Result<_, _>>()?,
                None => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM messages WHERE recipient = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
                    ))?
                    .query_map(params![number, before, take], row)?
                    .collect::<Result<_, _>>()?,
            },
            MessageFilter::Words(words) => {
                return search_words(&conn, words, st, before, limit);
            }
        };
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok(SearchPage {
            before: rows.last().filter(|_| more).map(|m| m.id),
            rows,
            searched_to: None,
        })
    }
}

fn search_words(
    conn: &Connection,
    words: &str,
    status: Option<&str>,
    before: i64,
    limit: usize,
) -> Result<SearchPage, StoreError> {
    let needle = words.trim().to_lowercase();
    let number = digits(&needle);
    // Digits (and the separators of a number) only: also a part of a number.
    let numberish = !number.is_empty()
        && needle
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let top: i64 = if before == i64::MAX {
        conn.prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM messages")?
            .query_row([], |r| r.get(0))?
    } else {
        before
    };
    let floor = top.saturating_sub(SEARCH_WINDOW).max(0);
    let mut ids: Vec<i64> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, recipient, text FROM messages
                 WHERE id < ?1 AND id >= ?2 AND (?3 IS NULL OR status = ?3) ORDER BY id DESC",
        )?;
        let mut found = stmt.query(params![top, floor, status])?;
        while let Some(r) = found.next()? {
            let id: i64 = r.get(0)?;
            let recipient: String = r.get(1)?;
            let text: String = r.get(2)?;
            let hit = (numberish && recipient.contains(&number)) || text.to_lowercase().contains(&needle);
            if hit {
                ids.push(id);
                if ids.len() > limit {
                    break;
                }
            }
        }
    }
    let full = ids.len() > limit;
    ids.truncate(limit);
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(m) = stmt.query_map([id], row)?.next() {
            rows.push(m?);
        }
    }
    let (before, searched_to) = if full {
        (ids.last().copied(), None)
    } else if floor > 1 {
        // Stopped at the window: older messages are still to be read.
        (Some(floor), Some(floor))
    } else {
        (None, None)
    };
    Ok(SearchPage {
        rows,
        before,
        searched_to,
    })
}
