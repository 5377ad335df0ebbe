//! Opt-outs as a person browses them: newest first a page at a time, and
//! the numbers starting with the digits typed (a range of the primary
//! key, never a scan).

use rusqlite::params;

use super::optouts::OptOut;
use super::{Store, StoreError};

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, OptOut)> {
    Ok((
        r.get(5)?,
        OptOut {
            number: r.get(0)?,
            source: r.get(1)?,
            keyword: r.get(2)?,
            note: r.get(3)?,
            at: r.get(4)?,
        },
    ))
}

/// The first string after every string starting with `prefix` (`prefix`
/// with its last character moved one up), for a key range.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    chars.push(char::from_u32(last as u32 + 1)?);
    Some(chars.into_iter().collect())
}

impl Store {
    /// A page of opt-outs, newest first, before the cursor `before` (a row
    /// id; `None`: from the newest), with each row's cursor.
    pub fn optouts_newest(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, OptOut)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT number, source, keyword, note, at, rowid FROM optouts
             WHERE rowid < ?1 ORDER BY rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` opt-outs whose number starts with `prefix` (as stored:
    /// `+7916…`), in number order after the number `after`.
    pub fn optouts_starting(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(i64, OptOut)>, StoreError> {
        let Some(end) = prefix_end(prefix) else {
            return Ok(Vec::new());
        };
        let from = match after {
            Some(a) if a > prefix => a,
            _ => prefix,
        };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT number, source, keyword, note, at, rowid FROM optouts
             WHERE number >= ?1 AND number < ?2 AND number > ?3 ORDER BY number LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![from, end, after.unwrap_or(""), limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_by_pages_and_by_the_first_digits() {
        let store = Store::open_in_memory().unwrap();
        let numbers = ["+79160000001", "+79160000002", "+79260000003", "+34600000004"];
        let entries: Vec<(String, Option<String>)> = numbers.iter().map(|n| (n.to_string(), None)).collect();
        store
            .import_optouts(&entries, crate::store::OptOutSource::Import, 1)
            .unwrap();
        let page = store.optouts_newest(None, 3).unwrap();
        let got: Vec<&str> = page.iter().map(|(_, o)| o.number.as_str()).collect();
        assert_eq!(got, ["+34600000004", "+79260000003", "+79160000002"]);
        let rest = store.optouts_newest(Some(page[2].0), 3).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].1.number, "+79160000001");

        let found = store.optouts_starting("+7916", None, 10).unwrap();
        let got: Vec<&str> = found.iter().map(|(_, o)| o.number.as_str()).collect();
        assert_eq!(got, ["+79160000001", "+79160000002"]);
        let next = store.optouts_starting("+7916", Some("+79160000001"), 10).unwrap();
        assert_eq!(next.len(), 1);
        assert!(store.optouts_starting("+1", None, 10).unwrap().is_empty());
        assert!(store.optouts_starting("", None, 10).unwrap().is_empty());
        assert_eq!(prefix_end("+79"), Some("+7:".to_string()));
    }
}
