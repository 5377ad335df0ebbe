//! Campaigns newest first, a keyset page at a time: the dashboard's list
//! and its "earlier campaigns" for a comparison. Reads the `campaigns`
//! table only (by its primary key, or `campaigns_by_status`), never the
//! recipients.

use rusqlite::params;

use super::campaigns::{SELECT, row};
use super::{CampaignRow, Store, StoreError};
use crate::campaigns::CampaignStatus;

impl Store {
    /// Campaigns with id below `before` (`0`: from the newest), newest
    /// first, at most `limit`, of one status if given.
    pub fn campaigns_newest_first(
        &self,
        status: Option<CampaignStatus>,
        before: i64,
        limit: usize,
    ) -> Result<Vec<CampaignRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT} WHERE (?1 = 0 OR id < ?1) AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![before, status.map(|s| s.as_str()), limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` campaigns started before campaign `id` (not drafts),
    /// newest first: what a campaign is compared with.
    pub fn campaigns_started_before(&self, id: i64, limit: usize) -> Result<Vec<CampaignRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT} WHERE id < ?1 AND status != 'draft' ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![id, limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::campaigns::CampaignInput;
    use crate::store::Store;

    fn draft(s: &Store, name: &str) -> i64 {
        let input: CampaignInput = serde_json::from_value(serde_json::json!({
            "name": name, "audience": {"contacts": ["+79161234567"]}, "variants": [{"text": "hi"}]
        }))
        .unwrap();
        s.create_campaign(&input.check().unwrap(), 1_000).unwrap().id
    }

    #[test]
    fn newest_first_in_keyset_pages_and_earlier_started_ones() {
        let s = Store::open_in_memory().unwrap();
        let ids: Vec<i64> = (0..5).map(|i| draft(&s, &format!("c{i}"))).collect();
        let page = s.campaigns_newest_first(None, 0, 2).unwrap();
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[4], ids[3]]);
        let next = s.campaigns_newest_first(None, ids[3], 10).unwrap();
        assert_eq!(
            next.iter().map(|r| r.id).collect::<Vec<_>>(),
            [ids[2], ids[1], ids[0]]
        );
        assert!(
            s.campaigns_newest_first(Some(crate::campaigns::CampaignStatus::Running), 0, 10)
                .unwrap()
                .is_empty()
        );
        assert!(
            s.campaigns_started_before(ids[4], 5).unwrap().is_empty(),
            "drafts are not compared"
        );
    }
}
