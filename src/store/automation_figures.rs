//! An automation's figures (`GET /v1/automations/{id}`): its runs by state
//! and reason, its messages (`messages.automation_id`) by status, and the
//! replies and opt-outs of their recipients within the attribution window
//! after a message was sent. A few aggregate queries over indexes.

use rusqlite::params;

use super::{Store, StoreError};
use crate::automations::model::{AutomationFigures, rate};

impl Store {
    /// Figures of automation `id`; replies and opt-outs count within
    /// `attribution_days` after a message was sent.
    pub fn automation_figures(
        &self,
        id: i64,
        attribution_days: u32,
    ) -> Result<AutomationFigures, StoreError> {
        let conn = self.reader();
        let mut f = AutomationFigures::default();
        let mut stmt = conn.prepare_cached(
            "SELECT state, coalesce(reason, ''), count(*) FROM automation_runs INDEXED BY automation_runs_by_automation
             WHERE automation_id = ?1 GROUP BY state, reason",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (state, reason, n) = row?;
            let n = n.max(0) as u64;
            f.scheduled += n;
            let map = match state.as_str() {
                "scheduled" => {
                    f.waiting += n;
                    continue;
                }
                "queued" => continue,
                "cancelled" => &mut f.cancelled,
                "exited" => &mut f.exited,
                "excluded" => &mut f.excluded,
                _ => &mut f.expired,
            };
            *map.entry(if reason.is_empty() { state } else { reason })
                .or_default() += n;
        }
        let mut stmt = conn.prepare_cached(
            "SELECT status, count(*), coalesce(sum(segments), 0) FROM messages INDEXED BY messages_by_automation
             WHERE automation_id = ?1 GROUP BY status",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (status, n, segments) = row?;
            let n = n.max(0) as u64;
            match status.as_str() {
                "queued" | "scheduled" | "sending" => f.queued += n,
                "sent" => f.sent += n,
                "delivered" => {
                    f.sent += n;
                    f.delivered += n;
                }
                "failed" => f.failed += n,
                "unknown" => f.unknown += n,
                "suppressed" => *f.excluded.entry("opted_out".into()).or_default() += n,
                "expired" => *f.expired.entry("window_missed".into()).or_default() += n,
                "cancelled" => {}
                _ => {}
            }
            if matches!(status.as_str(), "sent" | "delivered") {
                f.segments += segments.max(0) as u64;
            }
        }
        let span = i64::from(attribution_days) * 86_400_000;
        let (replies, opt_outs): (i64, i64) = conn
            .prepare_cached(
                "WITH sent AS (
                     SELECT recipient, min(sent_at) AS first, max(sent_at) AS last FROM messages INDEXED BY messages_by_automation
                     WHERE automation_id = ?1 AND status IN ('sent', 'delivered') AND sent_at IS NOT NULL
                     GROUP BY recipient)
                 SELECT
                   (SELECT count(*) FROM sent s WHERE EXISTS (
                        SELECT 1 FROM inbox i INDEXED BY inbox_by_sender
                        WHERE i.sender = s.recipient AND i.received_at > s.first AND i.received_at <= s.last + ?2)),
                   (SELECT count(*) FROM sent s JOIN optouts o ON o.number = s.recipient
                     WHERE o.at > s.first AND o.at <= s.last + ?2)",
            )?
            .query_row(params![id, span], |r| Ok((r.get(0)?, r.get(1)?)))?;
        f.replies = replies.max(0) as u64;
        f.opt_outs = opt_outs.max(0) as u64;
        // What its messages brought: clicks through their short links
        // (machines not counted) and conversions of their promo codes.
        let (clicked, total_clicks, conversions): (i64, i64, i64) = conn
            .prepare_cached(
                "SELECT
                   (SELECT count(DISTINCT l.message_id) FROM messages m INDEXED BY messages_by_automation
                      JOIN links l INDEXED BY links_by_message ON l.message_id = m.id
                      JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
                    WHERE m.automation_id = ?1),
                   (SELECT count(*) FROM messages m INDEXED BY messages_by_automation
                      JOIN links l INDEXED BY links_by_message ON l.message_id = m.id
                      JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
                    WHERE m.automation_id = ?1),
                   (SELECT count(*) FROM messages m INDEXED BY messages_by_automation
                      JOIN promo_codes p INDEXED BY promo_codes_by_message ON p.message_id = m.id
                      JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                    WHERE m.automation_id = ?1)",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let mut stmt = conn.prepare_cached(
            "SELECT pr.amount FROM messages m INDEXED BY messages_by_automation
               JOIN promo_codes p INDEXED BY promo_codes_by_message ON p.message_id = m.id
               JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
             WHERE m.automation_id = ?1 AND pr.amount IS NOT NULL",
        )?;
        let amounts = stmt.query_map([id], |r| r.get::<_, String>(0))?;
        let mut revenue = rust_decimal::Decimal::ZERO;
        for a in amounts {
            if let Ok(d) = a?.parse::<rust_decimal::Decimal>() {
                revenue += d;
            }
        }
        f.clicks = clicked.max(0) as u64;
        f.total_clicks = total_clicks.max(0) as u64;
        f.conversions = conversions.max(0) as u64;
        f.revenue = crate::templates::preview::money(revenue);
        f.ctr = rate(f.clicks, f.delivered);
        f.conversion_rate = rate(f.conversions, f.delivered);
        f.delivery_rate = rate(f.delivered, f.sent);
        f.reply_rate = rate(f.replies, f.delivered);
        f.opt_out_rate = rate(f.opt_outs, f.delivered);
        Ok(f)
    }
}
