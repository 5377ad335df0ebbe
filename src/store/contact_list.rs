//! Listing contacts: pages in id order (keyset, `after` the last id seen),
//! narrowed by a tag (exact, case-insensitive, through the tag index), by
//! a search text and by a set of ids (a segment's page).
//!
//! The search matches a name containing the text, case-insensitively in
//! any script ("анна" finds "Анна": SQLite's `LIKE` folds ASCII only, so
//! names are compared here with Unicode lower case), or a number containing
//! the text's digits ("916 123" finds +79161234567). Rows are read in id
//! order and stop at a full page, so a page costs what it scans.

use rusqlite::params;

use super::contacts::{SELECT, contact_row, fill_page};
use super::{Store, StoreError};
use crate::contacts::Contact;

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Only contacts with this tag (case-insensitive).
    pub tag: Option<String>,
    /// Only contacts whose name contains this (any case) or whose number
    /// contains its digits.
    pub q: Option<String>,
}

/// Whether `c` matches the search text `q` (`q_lower`: `q` in lower case;
/// `digits`: its digits).
fn matches(c: &Contact, q_lower: &str, digits: &str) -> bool {
    let by_name = c
        .name
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains(q_lower));
    let by_phone = !digits.is_empty() && c.phone.contains(digits);
    by_name || by_phone
}

impl Store {
    /// Contacts with an id above `after`, in id order, at most `limit`,
    /// matching `filter`.
    pub fn list_contacts(
        &self,
        filter: &ContactFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        let conn = self.reader();
        let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let q_lower = q.map(str::to_lowercase).unwrap_or_default();
        let digits: String = q
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let sql = format!(
            "{SELECT} WHERE id > ?1
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM contact_tags t
                                          WHERE t.tag_key = ?2 AND t.contact_id = contacts.id))
             ORDER BY id"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let tag = filter.tag.as_deref().map(crate::contacts::fold);
        let mut rows = stmt.query(params![after, tag])?;
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(row) = rows.next()? else { break };
            let c = contact_row(row)?;
            if q.is_none() || matches(&c, &q_lower, &digits) {
                out.push(c);
            }
        }
        drop(rows);
        drop(stmt);
        fill_page(&conn, &mut out)?;
        Ok(out)
    }
}

impl ContactFilter {
    /// Whether `c` passes the tag and the search (for contacts already
    /// read, such as a segment's).
    fn passes(&self, c: &Contact) -> bool {
        let tag_ok = self
            .tag
            .as_deref()
            .is_none_or(|t| c.tags.iter().any(|x| x.eq_ignore_ascii_case(t)));
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let q_ok = q.is_none_or(|q| {
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            matches(c, &q.to_lowercase(), &digits)
        });
        tag_ok && q_ok
    }
}

/// How many of a segment's ids are read at a time while a page fills.
const SEGMENT_CHUNK: usize = 500;

impl Store {
    /// The contacts of `segment` (at `now`) with an id above `after`, in id
    /// order, at most `limit`, that also match `filter`.
    pub fn list_segment_contacts(
        &self,
        segment: &crate::segments::Filter,
        now: i64,
        filter: &ContactFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut out = Vec::new();
        let mut cursor = after;
        while out.len() < limit {
            let ids = self.segment_contact_ids(segment, now, cursor, SEGMENT_CHUNK)?;
            let Some(&last) = ids.last() else { break };
            for c in self.contacts_by_ids(&ids)? {
                if out.len() < limit && filter.passes(&c) {
                    out.push(c);
                }
            }
            cursor = last;
            if ids.len() < SEGMENT_CHUNK {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactChanges;

    fn add(s: &Store, phone: &str, name: &str, tags: &[&str]) -> i64 {
        let ch = ContactChanges {
            name: Some(Some(name.into())),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..Default::default()
        };
        s.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap().id
    }

    #[test]
    fn tag_search_and_pages() {
        let s = Store::open_in_memory().unwrap();
        let anna = add(&s, "+79161234567", "Анна Петрова", &["VIP"]);
        let bob = add(&s, "+79161110000", "Bob 50%_off", &["vip", "staff"]);
        let carl = add(&s, "+4915123456789", "Carl", &[]);
        let ids = |f: &ContactFilter, after, limit| -> Vec<i64> {
            s.list_contacts(f, after, limit)
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect()
        };
        let all = ContactFilter::default();
        assert_eq!(ids(&all, 0, 10), [anna, bob, carl]);
        assert_eq!(ids(&all, 0, 2), [anna, bob]);
        assert_eq!(ids(&all, bob, 2), [carl]);
        let vip = ContactFilter {
            tag: Some("vIp".into()),
            ..Default::default()
        };
        assert_eq!(ids(&vip, 0, 10), [anna, bob]);
        let search = |q: &str| ContactFilter {
            q: Some(q.into()),
            ..Default::default()
        };
        assert_eq!(ids(&search("анна"), 0, 10), [anna], "Cyrillic case folds");
        assert_eq!(ids(&search("916 123"), 0, 10), [anna], "digits of the number");
        assert_eq!(ids(&search("%"), 0, 10), [bob], "no wildcard");
        assert_eq!(ids(&search("_"), 0, 10), [bob], "no wildcard");
        assert_eq!(ids(&search("nobody"), 0, 10), Vec::<i64>::new());
        // A page is full before the rows run out, and the tags come along.
        let page = s.list_contacts(&search("o"), 0, 1).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].tags, ["staff", "vip"]);
    }
}
