//! Feeding a preview from the store: a segment's contacts read in keyset
//! pages, so memory holds one page, never the audience.

use super::preview::Preview;
use crate::segments::Filter;
use crate::store::{Store, StoreError};

/// Contacts read per page.
pub const PAGE: usize = 500;

/// Adds every contact `filter` matches at `now` (unix ms) to `preview`,
/// [`PAGE`] at a time, in id order. Consent is judged by the preview (it
/// counts the contacts it leaves out), so all matches are read.
pub fn feed_segment(
    store: &Store,
    filter: &Filter,
    now: i64,
    preview: &mut Preview<'_>,
) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let page = store.segment_contacts(filter, now, false, after, PAGE)?;
        for c in &page {
            preview.add(c);
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = last.id,
            _ => return Ok(()),
        }
    }
}
