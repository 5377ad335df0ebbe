//! A campaign's figures, counted in SQL: one aggregate query over its
//! recipients (and their messages, by primary key) per campaign and
//! grouping — overall, by variant, by time zone, by tag or by a contact
//! attribute — never one query per recipient; the hourly time series; and
//! the recipients, page by page, for the CSV export.
//!
//! Each recipient has one outcome (`o` below), so the counts partition the
//! audience: excluded by reason (at start, skipped at feed time, or its
//! message suppressed at dispatch — read from the suppression's words, which
//! `store::optouts` and `store::consent` write), pending, queued, sent
//! (delivered, failed after the network took it), failed before it, unknown,
//! expired, cancelled. Recipients left after the deadline whose window never
//! opened again are `window_missed` (excluded), the others `expired`.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{Store, StoreError};

/// How figures are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// One group: the whole campaign.
    Overall,
    /// By variant (`NULL`: a recipient still waiting for the A/B winner).
    Variant,
    /// By the zone each recipient's window was read in.
    TimeZone,
    /// By the contact's tags now (a contact in several tags counts in
    /// each; `NULL`: no tag or no contact).
    Tag,
    /// By a contact attribute's value now (`NULL`: not set).
    Attribute(String),
}

/// Raw counts of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FigureRow {
    /// The group's key (text), `None` for overall or a missing value.
    pub group: Option<String>,
    /// Recipients.
    pub audience: u64,
    /// Excluded: no consent.
    pub no_consent: u64,
    /// Excluded: opted out (at start, at feed time or suppressed at dispatch).
    pub opted_out: u64,
    /// Excluded: invalid number.
    pub invalid: u64,
    /// Skipped: over the frequency cap until the deadline.
    pub capped: u64,
    /// Expired: their window never opened again before the deadline.
    pub window_missed: u64,
    /// Skipped: the template could not be rendered for them.
    pub render_failed: u64,
    /// Not yet a message.
    pub pending: u64,
    /// A message waiting or being sent.
    pub queued: u64,
    /// Accepted by the network (delivered, and failed by a report, included).
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed (before or after the network took it).
    pub failed: u64,
    /// May or may not have reached the network.
    pub unknown: u64,
    /// Not sent by the deadline (or the message's validity).
    pub expired: u64,
    /// Cancelled with the campaign.
    pub cancelled: u64,
    /// Their message is final: sent, delivered, failed or unknown.
    pub done: u64,
    /// Recipients with an attributed reply.
    pub replies: u64,
    /// Recipients with an attributed opt-out.
    pub opt_outs: u64,
    /// Segments handed to the network (sent, delivered, failed after
    /// sending, unknown).
    pub segments: u64,
    /// Recipients who clicked one of their message's tracked links
    /// (people, not link previews or bots).
    pub clicked: u64,
    /// Clicks by people on the tracked links, all of them.
    pub total_clicks: u64,
    /// Recipients whose promo code was redeemed (its first redemption).
    pub conversions: u64,
    /// Sum of the amounts of those conversions.
    pub revenue: rust_decimal::Decimal,
}

impl FigureRow {
    /// Adds `other`'s counts to these (the group is kept).
    pub fn add(&mut self, other: &FigureRow) {
        self.audience += other.audience;
        self.no_consent += other.no_consent;
        self.opted_out += other.opted_out;
        self.invalid += other.invalid;
        self.capped += other.capped;
        self.window_missed += other.window_missed;
        self.render_failed += other.render_failed;
        self.pending += other.pending;
        self.queued += other.queued;
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.unknown += other.unknown;
        self.expired += other.expired;
        self.cancelled += other.cancelled;
        self.done += other.done;
        self.replies += other.replies;
        self.opt_outs += other.opt_outs;
        self.segments += other.segments;
        self.clicked += other.clicked;
        self.total_clicks += other.total_clicks;
        self.conversions += other.conversions;
        self.revenue += other.revenue;
    }
}

/// One hour of a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourRow {
    /// Start of the hour, unix ms.
    pub hour: i64,
    /// Messages the network accepted in it.
    pub sent: u64,
    /// Delivery reports of success in it.
    pub delivered: u64,
    /// First replies in it.
    pub replies: u64,
    /// Attributed opt-outs in it.
    pub opt_outs: u64,
    /// Recipients whose first click by a person on a tracked link was in it.
    pub clicks: u64,
    /// Promo codes first redeemed in it.
    pub conversions: u64,
}

/// One recipient, as the CSV export writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientExportRow {
    /// Place in the audience.
    pub seq: i64,
    /// Number.
    pub phone: String,
    /// Variant (none yet: waits for the A/B winner).
    pub variant: Option<String>,
    /// all | test | rest.
    pub phase: String,
    /// Where the recipient is: `pending`, `queued` (a message not yet
    /// sent), its message's outcome once it went (`sent`, `delivered`,
    /// `failed`, `unknown`, `expired`, `suppressed`, `cancelled`), or
    /// `excluded`, `skipped`, `expired`, `cancelled` without a message.
    pub state: String,
    /// Its message's status, once queued.
    pub status: Option<String>,
    /// Reason code (exclusion, skip, expiry).
    pub reason: Option<String>,
    /// The reason in words (or the message's error).
    pub reason_text: Option<String>,
    /// Unix ms.
    pub queued_at: Option<i64>,
    /// Unix ms.
    pub sent_at: Option<i64>,
    /// Unix ms.
    pub delivered_at: Option<i64>,
    /// First attributed reply, unix ms.
    pub replied_at: Option<i64>,
    /// Attributed opt-out, unix ms.
    pub opted_out_at: Option<i64>,
    /// Survey option voted.
    pub vote: Option<String>,
    /// Segments of its message.
    pub segments: Option<u64>,
    /// Its message, once queued.
    pub message_id: Option<i64>,
    /// First click by a person on one of its tracked links, unix ms.
    pub clicked_at: Option<i64>,
    /// When its promo code was first redeemed (the counted conversion), unix ms.
    pub converted_at: Option<i64>,
    /// The counted redemption's amount as recorded (exact decimal text), if given.
    pub revenue: Option<String>,
    /// Calls from this recipient's contact to the campaign's tracking SIM.
    pub calls: u64,
}

/// Each recipient, its group and what decides its outcome: the message's
/// state is the recipient's copy of it (`m_*`, kept by triggers, migration
/// 0024), so this is one range of `campaign_recipients`, no join; the
/// outcome is worked out and summed in Rust ([`outcome`]), with no sort.
/// Clicks and conversions are looked up per recipient only when the
/// campaign has tracked links or promo codes at all.
const RECIPIENTS: &str = "SELECT {group} AS g, cr.state, cr.reason, cr.m_status, cr.m_sent_at IS NOT NULL,
    cr.m_suppressed, cr.m_segments, cr.reply_id IS NOT NULL, cr.opted_out_at IS NOT NULL, {clicks}, {converted}
    FROM campaign_recipients cr {join}
    WHERE cr.campaign_id = ?1";

const CLICKS: &str = "CASE WHEN cr.message_id IS NULL THEN 0 ELSE
      (SELECT count(*) FROM links l INDEXED BY links_by_message JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
       WHERE l.message_id = cr.message_id) END";
const CONVERTED: &str = "CASE WHEN cr.message_id IS NULL THEN 0 ELSE
      EXISTS (SELECT 1 FROM promo_codes p INDEXED BY promo_codes_by_message
              JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
              WHERE p.message_id = cr.message_id) END";

/// A recipient's outcome from its state and its message's: `pending`,
/// `queued`, `sent`, `delivered`, `failed` (before the network took it),
/// `failed_sent`, `unknown`, `expired`, `cancelled`, `window_missed`, the
/// exclusions (`no_consent`, `opted_out`, `invalid`, `capped`,
/// `render_failed`…) and any other reason as stored.
fn outcome<'a>(
    state: &'a str,
    reason: Option<&'a str>,
    m_status: Option<&'a str>,
    m_sent: bool,
    m_suppressed: Option<&'a str>,
) -> &'a str {
    match state {
        "pending" => "pending",
        "cancelled" => "cancelled",
        "expired" if reason == Some("window_missed") => "window_missed",
        "expired" => "expired",
        "queued" => match m_status {
            Some("sent") => "sent",
            Some("delivered") => "delivered",
            Some("failed") if m_sent => "failed_sent",
            Some("failed") => "failed",
            Some("unknown") => "unknown",
            Some("expired") => "expired",
            Some("cancelled") => "cancelled",
            Some("suppressed") => m_suppressed.unwrap_or("no_consent"),
            _ => "queued",
        },
        other => reason.unwrap_or(other),
    }
}

/// Adds one recipient with outcome `o` to `f`.
fn count_outcome(f: &mut FigureRow, o: &str, segments: u64) {
    f.audience += 1;
    match o {
        "no_consent" => f.no_consent += 1,
        "opted_out" => f.opted_out += 1,
        "invalid" => f.invalid += 1,
        "capped" => f.capped += 1,
        "window_missed" => f.window_missed += 1,
        "render_failed" => f.render_failed += 1,
        "pending" => f.pending += 1,
        "queued" => f.queued += 1,
        "sent" => f.sent += 1,
        "delivered" => {
            f.sent += 1;
            f.delivered += 1;
        }
        "failed_sent" => {
            f.sent += 1;
            f.failed += 1;
        }
        "failed" => f.failed += 1,
        "unknown" => f.unknown += 1,
        "expired" => f.expired += 1,
        "cancelled" => f.cancelled += 1,
        _ => {}
    }
    if matches!(o, "sent" | "delivered" | "failed" | "failed_sent" | "unknown") {
        f.done += 1;
    }
    if matches!(o, "sent" | "delivered" | "failed_sent" | "unknown") {
        f.segments += segments;
    }
}

/// The SQL of a grouping: the group expression, a join, its parameter.
fn grouping(by: &GroupBy) -> (&'static str, &'static str, Option<SqlValue>) {
    match by {
        GroupBy::Overall => ("NULL", "", None),
        GroupBy::Variant => ("cr.variant", "", None),
        GroupBy::TimeZone => ("cr.time_zone", "", None),
        GroupBy::Tag => (
            "t.tag_key",
            "LEFT JOIN contact_tags t ON t.contact_id = cr.contact_id",
            None,
        ),
        GroupBy::Attribute(name) => (
            // As text, so 1 and 1.0 group alike with "1".
            "CAST(json_extract(c.attributes, ?2) AS TEXT)",
            "LEFT JOIN contacts c ON c.id = cr.contact_id",
            Some(SqlValue::Text(format!("$.\"{}\"", name.replace('"', "")))),
        ),
    }
}

fn count(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
}

fn figure_rows(conn: &Connection, id: i64, by: &GroupBy) -> Result<Vec<FigureRow>, StoreError> {
    let (group, join, param) = grouping(by);
    let tracked: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM links INDEXED BY links_by_campaign WHERE campaign_id = ?1)
                 OR EXISTS (SELECT 1 FROM promo_codes INDEXED BY promo_codes_by_campaign WHERE campaign_id = ?1)",
        )?
        .query_row(params![id], |r| r.get(0))?;
    let sql = RECIPIENTS
        .replace("{group}", group)
        .replace("{join}", join)
        .replace("{clicks}", if tracked { CLICKS } else { "0" })
        .replace("{converted}", if tracked { CONVERTED } else { "0" });
    let mut params: Vec<SqlValue> = vec![SqlValue::Integer(id)];
    params.extend(param);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(params))?;
    let mut groups: std::collections::BTreeMap<Option<String>, FigureRow> = std::collections::BTreeMap::new();
    while let Some(r) = rows.next()? {
        let g: Option<String> = r.get(0)?;
        let state = r.get_ref(1)?.as_str().unwrap_or("");
        let reason = r.get_ref(2)?.as_str_or_null().ok().flatten();
        let m_status = r.get_ref(3)?.as_str_or_null().ok().flatten();
        let m_sent: bool = r.get(4)?;
        let m_suppressed = r.get_ref(5)?.as_str_or_null().ok().flatten();
        let segments = count(r, 6)?;
        let o = outcome(state, reason, m_status, m_sent, m_suppressed);
        let f = match groups.get_mut(&g) {
            Some(f) => f,
            None => groups.entry(g.clone()).or_insert_with(|| FigureRow {
                group: g,
                ..FigureRow::default()
            }),
        };
        count_outcome(f, o, segments);
        f.replies += u64::from(r.get::<_, bool>(7)?);
        f.opt_outs += u64::from(r.get::<_, bool>(8)?);
        let clicks = count(r, 9)?;
        f.clicked += u64::from(clicks > 0);
        f.total_clicks += clicks;
        f.conversions += count(r, 10)?;
    }
    Ok(groups.into_values().collect())
}

impl Store {
    /// The counts of campaign `id`, one row per group of `by` (one row for
    /// [`GroupBy::Overall`], none for a campaign without recipients).
    pub fn campaign_figure_rows(&self, id: i64, by: &GroupBy) -> Result<Vec<FigureRow>, StoreError> {
        let mut rows = figure_rows(&self.reader(), id, by)?;
        for (group, amount) in self.campaign_revenue_amounts(id, by)? {
            let Ok(amount) = amount.parse::<rust_decimal::Decimal>() else {
                continue;
            };
            if let Some(row) = rows.iter_mut().find(|r| r.group == group) {
                row.revenue = row.revenue.saturating_add(amount);
            }
        }
        Ok(rows)
    }

    /// Survey votes of campaign `id`, by group of `by` and option:
    /// `(group, option, count)`. A campaign that asks a survey question
    /// (`campaigns.survey_id`) counts its survey's counted votes
    /// ([`Store::survey_votes`]: one per voting number, by the survey's
    /// rule, whichever SIM the reply came through), each in the group of
    /// the recipient with that number; so the campaign's votes and
    /// `/v1/surveys/{id}` agree. Without a survey: the votes attributed
    /// to its recipients.
    pub fn campaign_votes(
        &self,
        id: i64,
        by: &GroupBy,
    ) -> Result<Vec<(Option<String>, String, u64)>, StoreError> {
        let (group, join, param) = grouping(by);
        let mut params: Vec<SqlValue> = vec![SqlValue::Integer(id)];
        params.push(param.unwrap_or(SqlValue::Null));
        let survey: Option<i64> = self
            .reader()
            .prepare_cached("SELECT survey_id FROM campaigns WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten();
        let Some(survey) = survey else {
            let sql = format!(
                "SELECT {group}, cr.vote, count(*) FROM campaign_recipients cr {join}
                 WHERE cr.campaign_id = ?1 AND cr.vote IS NOT NULL AND ?2 IS ?2 GROUP BY 1, 2 ORDER BY 1, 2"
            );
            let conn = self.reader();
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), |r| {
                Ok((r.get(0)?, r.get(1)?, count(r, 2)?))
            })?;
            return Ok(rows.collect::<Result<_, _>>()?);
        };
        let votes = self.survey_votes(survey)?.unwrap_or_default();
        // Each voter's groups (several for tags), read for the voters only.
        let mut groups: std::collections::HashMap<String, Vec<Option<String>>> = Default::default();
        {
            let sql = format!(
                "SELECT cr.phone, {group} FROM campaign_recipients cr {join}
                 WHERE cr.campaign_id = ?1 AND ?2 IS ?2 AND cr.phone IN
                   (SELECT number FROM survey_responses WHERE survey_id = ?3 AND option IS NOT NULL)"
            );
            params.push(SqlValue::Integer(survey));
            let conn = self.reader();
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            for row in rows {
                let (phone, g) = row?;
                groups.entry(phone).or_default().push(g);
            }
        }
        let mut counts: std::collections::BTreeMap<(Option<String>, String), u64> = Default::default();
        for v in votes {
            match groups.get(&v.number) {
                Some(gs) => {
                    for g in gs {
                        *counts.entry((g.clone(), v.option.clone())).or_default() += 1;
                    }
                }
                None => *counts.entry((None, v.option)).or_default() += 1,
            }
        }
        Ok(counts.into_iter().map(|((g, o), n)| (g, o, n)).collect())
    }

    /// Campaign `id` hour by hour (UTC hours, unix ms), only hours with
    /// something in them, in order.
    ///
    /// Sends and reports are read from the recipients' copies of their
    /// messages (migration 0024), not by joining the messages: left to
    /// choose, SQLite walked every delivered message of the gateway
    /// (355 ms over a million).
    pub fn campaign_hours(&self, id: i64) -> Result<Vec<HourRow>, StoreError> {
        let conn = self.reader();
        let mut hours: std::collections::BTreeMap<i64, HourRow> = std::collections::BTreeMap::new();
        const HOUR: i64 = 3_600_000;
        fn at(hours: &mut std::collections::BTreeMap<i64, HourRow>, t: i64) -> &mut HourRow {
            let hour = t / HOUR * HOUR;
            hours.entry(hour).or_insert_with(|| HourRow {
                hour,
                ..HourRow::default()
            })
        }
        // Sends, reports, replies and opt-outs: one range of the recipients,
        // summed here (no sort).
        let mut stmt = conn.prepare_cached(
            "SELECT m_sent_at, m_delivered_at, m_status, replied_at, opted_out_at
               FROM campaign_recipients WHERE campaign_id = ?1",
        )?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let sent_at: Option<i64> = r.get(0)?;
            let delivered_at: Option<i64> = r.get(1)?;
            let status = r.get_ref(2)?.as_str_or_null().ok().flatten();
            if let Some(t) = sent_at
                && matches!(status, Some("sent" | "delivered" | "failed"))
            {
                at(&mut hours, t).sent += 1;
            }
            if let Some(t) = delivered_at
                && status == Some("delivered")
            {
                at(&mut hours, t).delivered += 1;
            }
            if let Some(t) = r.get::<_, Option<i64>>(3)? {
                at(&mut hours, t).replies += 1;
            }
            if let Some(t) = r.get::<_, Option<i64>>(4)? {
                at(&mut hours, t).opt_outs += 1;
            }
        }
        // First clicks by people and counted redemptions.
        let mut stmt = conn.prepare_cached(
            "SELECT h * 3600000, sum(k), sum(v) FROM (
                SELECT first / 3600000 AS h, 1 AS k, 0 AS v FROM (
                  SELECT min(k.at) AS first FROM campaign_recipients cr
                    JOIN links l INDEXED BY links_by_message ON l.message_id = cr.message_id
                    JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
                  WHERE cr.campaign_id = ?1 AND cr.message_id IS NOT NULL GROUP BY cr.message_id)
                UNION ALL
                SELECT pr.redeemed_at / 3600000, 0, 1 FROM campaign_recipients cr
                  JOIN promo_codes p INDEXED BY promo_codes_by_message ON p.message_id = cr.message_id
                  JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                  WHERE cr.campaign_id = ?1 AND cr.message_id IS NOT NULL
             ) GROUP BY h",
        )?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let h = at(&mut hours, r.get(0)?);
            h.clicks += count(r, 1)?;
            h.conversions += count(r, 2)?;
        }
        Ok(hours.into_values().collect())
    }

    /// Recipients of campaign `id` after `after_seq`, in audience order, at
    /// most `limit` (a keyset page: pass the last `seq` back).
    pub fn campaign_recipients_page(
        &self,
        id: i64,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<RecipientExportRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT cr.seq, cr.phone, cr.variant, cr.phase,
                    CASE WHEN cr.state = 'queued' AND m.status IN
                        ('sent', 'delivered', 'failed', 'unknown', 'expired', 'suppressed', 'cancelled')
                      THEN m.status ELSE cr.state END,
                    m.status, cr.reason,
                    coalesce(cr.reason_text, CASE WHEN m.status IN ('failed', 'suppressed', 'unknown', 'expired') THEN m.error END),
                    cr.queued_at, m.sent_at, m.delivered_at, cr.replied_at, cr.opted_out_at, cr.vote, m.segments,
                    cr.message_id,
                    CASE WHEN cr.message_id IS NOT NULL THEN
                      (SELECT min(k.at) FROM links l INDEXED BY links_by_message
                         JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0 WHERE l.message_id = cr.message_id) END,
                    CASE WHEN cr.message_id IS NOT NULL THEN
                      (SELECT pr.redeemed_at FROM promo_codes p INDEXED BY promo_codes_by_message
                         JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                       WHERE p.message_id = cr.message_id) END,
                    CASE WHEN cr.message_id IS NOT NULL THEN
                      (SELECT pr.amount FROM promo_codes p INDEXED BY promo_codes_by_message
                         JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                       WHERE p.message_id = cr.message_id) END,
                    CASE WHEN cr.contact_id IS NOT NULL THEN
                      (SELECT count(*) FROM calls c
                       WHERE c.campaign_id = cr.campaign_id AND c.contact_id = cr.contact_id) ELSE 0 END
             FROM campaign_recipients cr LEFT JOIN messages m ON m.id = cr.message_id
             WHERE cr.campaign_id = ?1 AND cr.seq > ?2 ORDER BY cr.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![id, after_seq, limit as i64], |r| {
            Ok(RecipientExportRow {
                seq: r.get(0)?,
                phone: r.get(1)?,
                variant: r.get(2)?,
                phase: r.get(3)?,
                state: r.get(4)?,
                status: r.get(5)?,
                reason: r.get(6)?,
                reason_text: r.get(7)?,
                queued_at: r.get(8)?,
                sent_at: r.get(9)?,
                delivered_at: r.get(10)?,
                replied_at: r.get(11)?,
                opted_out_at: r.get(12)?,
                vote: r.get(13)?,
                segments: r.get::<_, Option<i64>>(14)?.map(|n| n.max(0) as u64),
                message_id: r.get(15)?,
                clicked_at: r.get(16)?,
                converted_at: r.get(17)?,
                revenue: r.get(18)?,
                calls: r.get::<_, Option<i64>>(19)?.unwrap_or(0).max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The amounts of campaign `id`'s counted conversions, by group of
    /// `by`: `(group, amount)` as recorded (exact decimal text), for the
    /// revenue (summed exactly by the caller).
    pub fn campaign_revenue_amounts(
        &self,
        id: i64,
        by: &GroupBy,
    ) -> Result<Vec<(Option<String>, String)>, StoreError> {
        let (group, join, param) = grouping(by);
        let sql = format!(
            "SELECT {group}, pr.amount FROM campaign_recipients cr
               JOIN promo_codes p INDEXED BY promo_codes_by_message ON p.message_id = cr.message_id
               JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1 {join}
             WHERE cr.campaign_id = ?1 AND cr.message_id IS NOT NULL AND pr.amount IS NOT NULL AND ?2 IS ?2"
        );
        let params: Vec<SqlValue> = vec![SqlValue::Integer(id), param.unwrap_or(SqlValue::Null)];
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of campaigns Prometheus shows: scheduled, running or paused, and
    /// those finished since `since` (unix ms), by id, with their names.
    pub fn campaigns_for_metrics(&self, since: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name FROM campaigns
             WHERE status IN ('scheduled', 'running', 'paused')
                OR (status IN ('completed', 'cancelled') AND finished_at >= ?1)
             ORDER BY id",
        )?;
        let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
