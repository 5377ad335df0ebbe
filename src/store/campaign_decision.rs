//! A/B tests waiting for their decision, the test share's counts per
//! variant, and storing a decision: the campaign's `decision` and every
//! `rest` recipient's variant in one transaction, once.

use rusqlite::params;

use super::{Store, StoreError};

/// A campaign whose A/B test has no decision yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbDue {
    /// Campaign.
    pub id: i64,
    /// When the test is decided: start + `decide_after` (unix ms).
    pub due_at: i64,
    /// Whether it is running (only a running campaign is decided).
    pub running: bool,
}

/// The test share of one variant: `(variant, sent, delivered, replied,
/// clicked, redeemed)`, where sent counts messages the network accepted
/// (delivered and failed by a report included) and the others count those
/// recipients among them with an attributed reply, a click by a person on
/// a tracked link, a redeemed promo code.
pub type TestCounts = (String, u64, u64, u64, u64, u64);

impl Store {
    /// Campaigns (scheduled, running or paused) with an A/B test and no
    /// decision. Reads the campaigns' index by status only: cheap each
    /// dispatch round.
    pub fn ab_tests_undecided(&self) -> Result<Vec<AbDue>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, start_at + 1000 * json_extract(spec, '$.ab_test.decide_after_secs'), status = 'running'
             FROM campaigns INDEXED BY campaigns_by_status
             WHERE status IN ('scheduled', 'running', 'paused') AND decision IS NULL AND start_at IS NOT NULL
               AND json_extract(spec, '$.ab_test.decide_after_secs') IS NOT NULL
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AbDue {
                id: r.get(0)?,
                due_at: r.get(1)?,
                running: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Campaign `id`'s test share, per variant (by name).
    pub fn ab_test_counts(&self, id: i64) -> Result<Vec<TestCounts>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT cr.variant,
                    count(*),
                    sum(m.status = 'delivered'),
                    count(cr.reply_id),
                    sum(EXISTS (SELECT 1 FROM links l INDEXED BY links_by_message
                                JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
                                WHERE l.message_id = cr.message_id)),
                    sum(EXISTS (SELECT 1 FROM promo_codes p INDEXED BY promo_codes_by_message
                                JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                                WHERE p.message_id = cr.message_id))
             FROM campaign_recipients cr JOIN messages m ON m.id = cr.message_id
             WHERE cr.campaign_id = ?1 AND cr.phase = 'test' AND cr.variant IS NOT NULL
               AND (m.status IN ('sent', 'delivered') OR (m.status = 'failed' AND m.sent_at IS NOT NULL))
             GROUP BY cr.variant ORDER BY cr.variant",
        )?;
        let rows = stmt.query_map([id], |r| {
            let n = |i: usize| -> rusqlite::Result<u64> {
                Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
            };
            Ok((r.get(0)?, n(1)?, n(2)?, n(3)?, n(4)?, n(5)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores campaign `id`'s A/B decision (JSON) and gives every `rest`
    /// recipient still without a variant the `winner`, in one transaction.
    /// Returns false (and changes nothing) if it was decided already.
    pub fn store_ab_decision(
        &self,
        id: i64,
        decision: &serde_json::Value,
        winner: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let changed = tx
            .prepare_cached(
                "UPDATE campaigns SET decision = ?2, decided_at = ?3, updated_at = ?3
                 WHERE id = ?1 AND decision IS NULL",
            )?
            .execute(params![id, decision.to_string(), now])?;
        if changed == 0 {
            return Ok(false);
        }
        tx.prepare_cached(
            "UPDATE campaign_recipients SET variant = ?2
             WHERE campaign_id = ?1 AND phase = 'rest' AND variant IS NULL",
        )?
        .execute(params![id, winner])?;
        tx.commit()?;
        Ok(true)
    }
}
