//! The SQL of the campaign engine's feeding (`campaigns::feed` plans, this
//! reads and writes): campaigns moving from scheduled to running to
//! completed, pending recipients expiring at the deadline, the recipients
//! due now read zone by zone through the pending index, each campaign's
//! rate, and materialising a recipient — the frequency cap checked, the
//! message enqueued (consent rechecked) and the recipient marked `queued`
//! in ONE transaction, so a crash between the two can neither send twice
//! nor skip anyone. Also the claim-time check that takes back a queued
//! campaign message that may no longer go.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::enqueue::{EnqueueError, NewMessage};
use super::{Store, StoreError};
use crate::campaigns::CampaignStatus;
use crate::campaigns::spec::{FrequencyCap, FrequencyCapInput, Variant};
use crate::campaigns::window::WindowSpec;

/// A week, in ms (the longest frequency cap window).
const WEEK: i64 = 7 * 24 * 3_600_000;

/// What feeding needs of a campaign: its times and the parts of its
/// request that say how to send, without its audience (a listed audience
/// can hold 100,000 numbers; it is not read each round).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedCampaign {
    /// Id.
    pub id: i64,
    /// Its name (`utm_campaign` is its slug).
    pub name: String,
    /// Scheduled, running or paused.
    pub status: CampaignStatus,
    /// When sending begins (unix ms).
    pub start_at: Option<i64>,
    /// When it was started.
    pub started_at: Option<i64>,
    /// After this nothing more is sent (unix ms).
    pub deadline: Option<i64>,
    /// Its own window, if it set one.
    pub window: Option<WindowSpec>,
    /// Its variants.
    pub variants: Vec<Variant>,
    /// Its rate, if limited.
    pub rate_per_hour: Option<u32>,
    /// Its own frequency cap, if it set one.
    pub frequency_cap: Option<FrequencyCapInput>,
    /// Ask for delivery reports.
    pub status_report: bool,
}

type SendParts = (
    Option<WindowSpec>,
    Vec<Variant>,
    Option<u32>,
    Option<FrequencyCapInput>,
    Option<bool>,
);

/// A pending recipient that may be due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecipient {
    /// Campaign.
    pub campaign_id: i64,
    /// Place in the audience.
    pub seq: i64,
    /// Its contact (`None` once erased).
    pub contact_id: Option<i64>,
    /// Canonical number.
    pub phone: String,
    /// Its zone.
    pub time_zone: String,
    /// Its variant (due recipients always have one).
    pub variant: String,
}

/// What to do with one due recipient, in [`Store::campaign_materialise`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedItem {
    /// Queue this message for it (unless capped or refused).
    Queue {
        /// Campaign.
        campaign_id: i64,
        /// Recipient.
        seq: i64,
        /// The message (category marketing, `expires_at` the deadline).
        message: NewMessage,
        /// Its variant.
        variant: String,
        /// The frequency cap that applies.
        cap: FrequencyCap,
        /// The campaign's deadline (unix ms): capped past it is skipped.
        deadline: i64,
        /// When its window closes on the recipient's clock (unix ms).
        window_closes_at: Option<i64>,
        /// Its promo code and short links, recorded with the message.
        attribution: Box<crate::attribution::Records>,
    },
    /// Skip it for good with a reason (`render_failed`…) and words.
    Skip {
        /// Campaign.
        campaign_id: i64,
        /// Recipient.
        seq: i64,
        /// Reason code.
        reason: &'static str,
        /// In words.
        words: String,
    },
}

/// What became of a [`FeedItem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// A message was queued.
    Queued {
        /// Its id.
        message_id: i64,
    },
    /// Over the frequency cap until then (unix ms); pending till then.
    Deferred {
        /// When the cap frees.
        until: i64,
    },
    /// Skipped for good with this reason.
    Skipped {
        /// Reason code.
        reason: &'static str,
    },
    /// No longer pending, or its campaign no longer running: nothing done.
    Gone,
}

impl Store {
    /// Campaigns feeding looks at (scheduled, running, paused), by id: one
    /// indexed query, nothing when no campaign is active.
    pub fn feed_campaigns(&self) -> Result<Vec<FeedCampaign>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, status, start_at, started_at, deadline,
                    json_extract(spec, '$.window', '$.variants', '$.rate_per_hour', '$.frequency_cap', '$.status_report'),
                    name
             FROM campaigns INDEXED BY campaigns_by_status
             WHERE status IN ('scheduled', 'running', 'paused') ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let bad = |i: usize, e: String| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            };
            let status: String = r.get(1)?;
            let parts: String = r.get(5)?;
            let (window, variants, rate_per_hour, frequency_cap, status_report): SendParts =
                serde_json::from_str(&parts).map_err(|e| bad(5, e.to_string()))?;
            Ok(FeedCampaign {
                id: r.get(0)?,
                name: r.get(6)?,
                status: status.parse().map_err(|e| bad(1, e))?,
                start_at: r.get(2)?,
                started_at: r.get(3)?,
                deadline: r.get(4)?,
                window,
                variants,
                rate_per_hour,
                frequency_cap,
                status_report: status_report.unwrap_or(true),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves scheduled campaign `id` to running; false if it was not scheduled.
    pub fn campaign_begin(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        Ok(self
            .writer()
            .prepare_cached(
                "UPDATE campaigns SET status = 'running', updated_at = ?2
                 WHERE id = ?1 AND status = 'scheduled'",
            )?
            .execute(params![id, now])?
            == 1)
    }

    /// The zones campaign `id` has pending recipients in, walked through
    /// the pending index one zone at a time (cost: zones, not recipients).
    pub fn campaign_pending_zones(&self, id: i64) -> Result<Vec<String>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT time_zone FROM campaign_recipients INDEXED BY campaign_recipients_pending
             WHERE campaign_id = ?1 AND state = 'pending' AND time_zone > ?2 ORDER BY time_zone LIMIT 1",
        )?;
        let mut zones: Vec<String> = Vec::new();
        // Bounded: no audience spans more zones than the IANA database has.
        for _ in 0..1000 {
            let after = zones.last().map_or("", String::as_str);
            let next: Option<String> = stmt.query_row(params![id, after], |r| r.get(0)).optional()?;
            match next {
                Some(z) => zones.push(z),
                None => break,
            }
        }
        Ok(zones)
    }

    /// Expires campaign `id`'s pending recipients at its deadline: those in
    /// `missed_zones` with reason `window_missed` (`missed_words`), the
    /// rest `deadline` (`deadline_words`). Returns how many, in one
    /// transaction.
    pub fn campaign_expire_pending(
        &self,
        id: i64,
        missed_zones: &[(String, String)],
        deadline_words: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut n = 0;
        for (zone, words) in missed_zones {
            n += tx
                .prepare_cached(
                    "UPDATE campaign_recipients INDEXED BY campaign_recipients_pending
                     SET state = 'expired', reason = 'window_missed', reason_text = ?3, not_before = NULL
                     WHERE campaign_id = ?1 AND state = 'pending' AND time_zone = ?2",
                )?
                .execute(params![id, zone, words])?;
        }
        n += tx
            .prepare_cached(
                "UPDATE campaign_recipients INDEXED BY campaign_recipients_pending
                 SET state = 'expired', reason = 'deadline', reason_text = ?2, not_before = NULL
                 WHERE campaign_id = ?1 AND state = 'pending'",
            )?
            .execute(params![id, deadline_words])?;
        if n > 0 {
            tx.prepare_cached("UPDATE campaigns SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![id, now])?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Completes running campaign `id` if nothing of it is left to send
    /// (no pending recipient, no message queued, scheduled or sending).
    pub fn campaign_finish_if_done(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        Ok(self
            .writer()
            .prepare_cached(
                "UPDATE campaigns SET status = 'completed', status_reason = ?2, updated_at = ?3, finished_at = ?3
                 WHERE id = ?1 AND status = 'running'
                   AND NOT EXISTS (SELECT 1 FROM campaign_recipients INDEXED BY campaign_recipients_pending
                                   WHERE campaign_id = ?1 AND state = 'pending')
                   AND NOT EXISTS (SELECT 1 FROM messages INDEXED BY messages_by_campaign
                                   WHERE campaign_id = ?1 AND status IN ('queued', 'scheduled', 'sending'))",
            )?
            .execute(params![
                id,
                "every recipient was sent, expired, skipped or excluded",
                now
            ])?
            == 1)
    }

    /// Campaign `id`'s recipients queued after `since` (its rate), and the
    /// last time one was queued at all.
    pub fn campaign_queued_since(&self, id: i64, since: i64) -> Result<(u64, Option<i64>), StoreError> {
        let conn = self.reader();
        let count: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM campaign_recipients INDEXED BY campaign_recipients_by_queued
                 WHERE campaign_id = ?1 AND message_id IS NOT NULL AND queued_at > ?2",
            )?
            .query_row(params![id, since], |r| r.get(0))?;
        let last: Option<i64> = conn
            .prepare_cached(
                "SELECT max(queued_at) FROM campaign_recipients INDEXED BY campaign_recipients_by_queued
                 WHERE campaign_id = ?1 AND message_id IS NOT NULL",
            )?
            .query_row([id], |r| r.get(0))?;
        Ok((count.max(0) as u64, last))
    }

    /// The soonest `not_before` after `now` of campaign `id`'s deferred
    /// recipients.
    pub fn campaign_next_deferred(&self, id: i64, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(not_before) FROM campaign_recipients INDEXED BY campaign_recipients_deferred
                 WHERE campaign_id = ?1 AND state = 'pending' AND not_before IS NOT NULL AND not_before > ?2",
            )?
            .query_row(params![id, now], |r| r.get(0))?)
    }

    /// Up to `limit` recipients of campaign `id` due at `now` in `zones`
    /// (zones whose window is open): pending, with a variant, not deferred
    /// past `now`; by `seq`. One index range per zone.
    pub fn campaign_due(
        &self,
        id: i64,
        zones: &[String],
        now: i64,
        limit: usize,
    ) -> Result<Vec<DueRecipient>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, contact_id, phone, variant FROM campaign_recipients INDEXED BY campaign_recipients_pending
             WHERE campaign_id = ?1 AND state = 'pending' AND time_zone = ?2 AND variant IS NOT NULL
               AND (not_before IS NULL OR not_before <= ?3)
             ORDER BY seq LIMIT ?4",
        )?;
        let mut out = Vec::new();
        for zone in zones {
            let rows = stmt.query_map(params![id, zone, now, limit as i64], |r| {
                Ok(DueRecipient {
                    campaign_id: id,
                    seq: r.get(0)?,
                    contact_id: r.get(1)?,
                    phone: r.get(2)?,
                    time_zone: zone.clone(),
                    variant: r.get(3)?,
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|r| r.seq);
        out.truncate(limit);
        Ok(out)
    }

    /// Campaign messages queued and not yet claimed (lane 1): what the
    /// SIMs already have waiting from campaigns.
    pub fn campaign_messages_queued(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .reader()
            .prepare_cached(
                "SELECT count(*) FROM messages INDEXED BY messages_queued_by_lane WHERE status = 'queued' AND lane = 1",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Carries out `items` in ONE transaction: each queued recipient's
    /// message and its `queued` mark commit together; a capped one is
    /// deferred (`not_before`) or skipped `capped` if the cap frees only
    /// after the deadline; consent refused by enqueue skips it with the
    /// reason (`opted_out`, `invalid`, `no_consent`).
    pub fn campaign_materialise(&self, items: &[FeedItem], now: i64) -> Result<Vec<FeedOutcome>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(materialise_one(&tx, item, now)?);
        }
        tx.commit()?;
        Ok(out)
    }
}

fn still_pending(tx: &Transaction<'_>, campaign_id: i64, seq: i64) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
             WHERE r.campaign_id = ?1 AND r.seq = ?2 AND r.state = 'pending' AND c.status = 'running'",
        )?
        .query_row(params![campaign_id, seq], |_| Ok(()))
        .optional()?
        .is_some())
}

fn skip(
    tx: &Transaction<'_>,
    campaign_id: i64,
    seq: i64,
    reason: &str,
    words: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE campaign_recipients SET state = 'skipped', reason = ?3, reason_text = ?4, not_before = NULL
         WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
    )?
    .execute(params![campaign_id, seq, reason, words])?;
    Ok(())
}

/// The statuses of a marketing message that count against its number's
/// frequency cap: every one that went or may go (the feeding and the ETA
/// count the same ones).
pub(super) const CAP_COUNTED: &str = "('queued', 'sending', 'sent', 'delivered', 'unknown')";

/// The marketing messages to `number` that count against its cap, created
/// after `since`.
pub(super) fn counted_marketing(conn: &Connection, number: &str, since: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT created_at FROM messages INDEXED BY messages_marketing_by_recipient
         WHERE recipient = ?1 AND category = 'marketing' AND created_at > ?2
           AND status IN {CAP_COUNTED}"
    ))?;
    let rows = stmt.query_map(params![number, since], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Why enqueue refused a marketing message, as a recipient reason code.
pub(super) fn refusal_code(conn: &Connection, number: &str) -> Result<&'static str, StoreError> {
    if super::optouts::lookup(conn, number)?.is_some() {
        return Ok("opted_out");
    }
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM contacts WHERE phone = ?1")?
        .query_row([number], |r| r.get(0))
        .optional()?;
    Ok(match status.as_deref() {
        Some("invalid") => "invalid",
        _ => "no_consent",
    })
}

fn materialise_one(tx: &Transaction<'_>, item: &FeedItem, now: i64) -> Result<FeedOutcome, StoreError> {
    match item {
        FeedItem::Skip {
            campaign_id,
            seq,
            reason,
            words,
        } => {
            if !still_pending(tx, *campaign_id, *seq)? {
                return Ok(FeedOutcome::Gone);
            }
            skip(tx, *campaign_id, *seq, reason, words)?;
            Ok(FeedOutcome::Skipped { reason })
        }
        FeedItem::Queue {
            campaign_id,
            seq,
            message,
            variant,
            cap,
            deadline,
            window_closes_at,
            attribution,
        } => {
            let (campaign_id, seq) = (*campaign_id, *seq);
            if !still_pending(tx, campaign_id, seq)? {
                return Ok(FeedOutcome::Gone);
            }
            let number = message.recipient.as_str();
            let times = counted_marketing(tx, number, now - WEEK)?;
            if let Some(until) = crate::campaigns::feed::cap_frees_at(&times, *cap, now) {
                if until >= *deadline {
                    let words = if until == i64::MAX {
                        format!(
                            "the frequency cap ({} in 24 h, {} in 7 days) allows no marketing message",
                            cap.per_24h, cap.per_7d
                        )
                    } else {
                        format!(
                            "over the frequency cap ({} in 24 h, {} in 7 days) until {}, after the campaign's deadline {}",
                            cap.per_24h,
                            cap.per_7d,
                            super::rfc3339(until),
                            super::rfc3339(*deadline)
                        )
                    };
                    skip(tx, campaign_id, seq, "capped", &words)?;
                    return Ok(FeedOutcome::Skipped { reason: "capped" });
                }
                // The reason in words only: `reason` stays NULL, so the
                // figures do not count a deferred recipient as excluded.
                let words = format!(
                    "over the frequency cap ({} in 24 h, {} in 7 days) until {}",
                    cap.per_24h,
                    cap.per_7d,
                    chrono::DateTime::from_timestamp_millis(until)
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| super::rfc3339(until))
                );
                tx.prepare_cached(
                    "UPDATE campaign_recipients SET not_before = ?3, reason_text = ?4
                     WHERE campaign_id = ?1 AND seq = ?2",
                )?
                .execute(params![campaign_id, seq, until, words])?;
                return Ok(FeedOutcome::Deferred { until });
            }
            match super::enqueue::insert(tx, message, now) {
                Ok(o) => {
                    tx.prepare_cached(
                        "UPDATE messages SET campaign_id = ?2, variant = ?3, lane = 1 WHERE id = ?1",
                    )?
                    .execute(params![o.id, campaign_id, variant])?;
                    tx.prepare_cached(
                        "UPDATE campaign_recipients SET state = 'queued', message_id = ?3, queued_at = ?4,
                                not_before = NULL, window_closes_at = ?5, reason_text = NULL
                         WHERE campaign_id = ?1 AND seq = ?2",
                    )?
                    .execute(params![campaign_id, seq, o.id, now, window_closes_at])?;
                    // A survey campaign's message asks its question: a reply is a vote.
                    tx.prepare_cached(
                        "INSERT INTO survey_recipients (survey_id, number, message_id)
                         SELECT survey_id, ?2, ?3 FROM campaigns WHERE id = ?1 AND survey_id IS NOT NULL
                         ON CONFLICT (survey_id, number) DO UPDATE SET message_id = excluded.message_id",
                    )?
                    .execute(params![campaign_id, number, o.id])?;
                    if !attribution.is_empty() {
                        super::attribution::record(tx, attribution, o.id, now)?;
                    }
                    Ok(FeedOutcome::Queued { message_id: o.id })
                }
                Err(EnqueueError::NoConsent(words)) => {
                    let reason = refusal_code(tx, number)?;
                    skip(tx, campaign_id, seq, reason, &words)?;
                    Ok(FeedOutcome::Skipped { reason })
                }
                Err(EnqueueError::Store(e)) => Err(e),
                Err(EnqueueError::Conflict(key)) => {
                    Err(StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(
                        format!("campaign message with idempotency key {key:?}").into(),
                    )))
                }
            }
        }
    }
}

/// How a queued campaign message is taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TakeBack {
    /// Its recipient waits again (`pending`, no message).
    Pending,
    /// Its recipient is `cancelled` with the campaign.
    Cancelled,
}

/// Takes back queued message `id` (lane 1, no part sent): the message is
/// `cancelled` with `why`, its recipient pending again or cancelled.
pub(super) fn take_back(
    tx: &Transaction<'_>,
    id: i64,
    how: TakeBack,
    why: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = tx
        .prepare_cached(
            "UPDATE messages SET status = 'cancelled', updated_at = ?2, error = ?3
             WHERE id = ?1 AND status = 'queued' AND pinned_imsi IS NULL",
        )?
        .execute(params![id, now, why])?;
    if n == 0 {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'cancelled', ?2, ?3)",
    )?
    .execute(params![id, now, why])?;
    let sql = match how {
        TakeBack::Pending => {
            "UPDATE campaign_recipients INDEXED BY campaign_recipients_by_message
             SET state = 'pending', message_id = NULL, queued_at = NULL, window_closes_at = NULL
             WHERE message_id = ?1"
        }
        TakeBack::Cancelled => {
            "UPDATE campaign_recipients INDEXED BY campaign_recipients_by_message
             SET state = 'cancelled', reason = 'cancelled', reason_text = 'the campaign was cancelled before it was sent',
                 message_id = NULL, queued_at = NULL, window_closes_at = NULL
             WHERE message_id = ?1"
        }
    };
    tx.prepare_cached(sql)?.execute([id])?;
    Ok(true)
}

/// At claim: a queued campaign message whose campaign is no longer
/// running, or whose recipient's window has closed, does not go; it is
/// taken back (see [`take_back`]). True if it was.
pub(super) fn take_back_if_stale(tx: &Transaction<'_>, id: i64, now: i64) -> Result<bool, StoreError> {
    let row: Option<(i64, String, Option<i64>)> = tx
        .prepare_cached(
            "SELECT c.id, c.status, r.window_closes_at
             FROM campaign_recipients r INDEXED BY campaign_recipients_by_message
                  JOIN campaigns c ON c.id = r.campaign_id
             WHERE r.message_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((campaign, status, closes)) = row else {
        return Ok(false);
    };
    let (how, why) = match status.as_str() {
        "running" => match closes {
            Some(c) if c <= now => (
                TakeBack::Pending,
                format!(
                    "not sent: the recipient's window closed at {} before a SIM was free; they wait for their next window",
                    super::rfc3339(c)
                ),
            ),
            _ => return Ok(false),
        },
        "cancelled" => (
            TakeBack::Cancelled,
            format!("not sent: campaign {campaign} was cancelled"),
        ),
        other => (
            TakeBack::Pending,
            format!("not sent: campaign {campaign} is {other}; the recipient waits to be sent when it runs"),
        ),
    };
    take_back(tx, id, how, &why, now)
}

/// Takes back every queued, unclaimed message of campaign `id`; returns how many.
pub(super) fn take_back_campaign(
    tx: &Transaction<'_>,
    id: i64,
    how: TakeBack,
    why: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let ids: Vec<i64> = tx
        .prepare_cached(
            "SELECT id FROM messages INDEXED BY messages_by_campaign
             WHERE campaign_id = ?1 AND status = 'queued' AND pinned_imsi IS NULL",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for m in ids {
        if take_back(tx, m, how, why, now)? {
            n += 1;
        }
    }
    Ok(n)
}
