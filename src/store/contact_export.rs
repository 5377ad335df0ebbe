//! Reading every contact in pages by id, for an export (CSV): keyset
//! pages, so an export of any size holds one page at a time.

use super::contacts::contact_row;
use super::{Store, StoreError};
use crate::contacts::Contact;

impl Store {
    /// Up to `limit` contacts with an id above `after`, by id, with their
    /// tags and opt-outs.
    pub fn export_contacts_page(&self, after: i64, limit: usize) -> Result<Vec<Contact>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, phone, name, time_zone, time_zone_source, language, attributes,
                    consent_status, consent_at, consent_source, consent_evidence, status, status_reason,
                    created_at, updated_at, last_sent_at, last_delivered_at, last_reply_at, messages_sent
             FROM contacts WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut page: Vec<Contact> = stmt
            .query_map(rusqlite::params![after, limit], contact_row)?
            .collect::<Result<_, _>>()?;
        super::contacts::fill_page(&conn, &mut page)?;
        Ok(page)
    }
}
