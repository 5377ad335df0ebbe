//! The SQL of feeding automations (`automations::feed` plans, this reads
//! and writes): the runs due now, the next due time, planning a date
//! trigger's occurrences (INSERT OR IGNORE on the run's unique key: never
//! twice for the same date, across restarts), and materialising a run —
//! opt-out and reply checked, the frequency cap checked, the message
//! enqueued (consent rechecked) and the run marked `queued` in ONE
//! transaction, so a crash between the two can neither send twice nor
//! skip anyone.

use rusqlite::{OptionalExtension, Transaction, params};

use super::campaign_feed::{counted_marketing, refusal_code};

use super::enqueue::{EnqueueError, NewMessage};
use super::{Store, StoreError};
use crate::campaigns::spec::FrequencyCap;

/// A week, in ms (the longest frequency cap window).
const WEEK: i64 = 7 * 24 * 3_600_000;

/// A run due now, with what rendering it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueRun {
    /// Run id.
    pub id: i64,
    /// Its automation.
    pub automation_id: i64,
    /// Canonical number.
    pub phone: String,
    /// Step (0 for a single message).
    pub step: usize,
    /// Not queued by then: expired (unix ms).
    pub expires_at: Option<i64>,
    /// When the contact entered (unix ms).
    pub entered_at: i64,
    /// The triggering event's data.
    pub event: Option<serde_json::Value>,
}

/// A date occurrence to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRun {
    /// Canonical number.
    pub phone: String,
    /// `date:YYYY-MM-DD` (the local day it falls on).
    pub occurrence: String,
    /// When it may leave (unix ms).
    pub due_at: i64,
    /// The end of that local day (unix ms).
    pub expires_at: i64,
}

/// What to do with one due run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunItem {
    /// Queue this message (unless the contact left, is capped or refused).
    Queue {
        /// Run.
        run_id: i64,
        /// Its automation.
        automation_id: i64,
        /// The message.
        message: NewMessage,
        /// Its promo code and tracked links, recorded with the message.
        attribution: Box<crate::attribution::Records>,
        /// Marketing: the frequency cap.
        cap: Option<FrequencyCap>,
        /// A reply since `entered_at` ends the contact's runs.
        exit_on_reply: bool,
        /// When the contact entered.
        entered_at: i64,
        /// A sequence: leaving ends the later steps too (`exited`).
        sequence: bool,
    },
    /// Not yet: due again at `until`, waiting for the reason in words.
    Defer {
        /// Run.
        run_id: i64,
        /// Unix ms.
        until: i64,
        /// Why, in words.
        words: String,
    },
    /// Ends it: `state` (`excluded`, `expired`, `cancelled`) with a reason.
    Close {
        /// Run.
        run_id: i64,
        /// New state.
        state: &'static str,
        /// Reason code.
        reason: &'static str,
        /// In words.
        words: String,
    },
}

/// What became of a [`RunItem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Queued as this message.
    Queued {
        /// Message id.
        message_id: i64,
    },
    /// Waits until then.
    Deferred {
        /// Unix ms.
        until: i64,
    },
    /// Ended with this reason.
    Closed {
        /// Reason code.
        reason: &'static str,
    },
    /// No longer scheduled, or its automation paused: nothing done.
    Gone,
}

impl Store {
    /// Up to `limit` runs due at `now` of active automations, soonest first.
    pub fn automation_due_runs(&self, now: i64, limit: usize) -> Result<Vec<DueRun>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT r.id, r.automation_id, r.phone, r.step, r.expires_at, r.created_at, e.data
             FROM automation_runs r INDEXED BY automation_runs_due
                  JOIN automations a ON a.id = r.automation_id
                  LEFT JOIN contact_events e ON e.id = r.event_id
             WHERE r.state = 'scheduled' AND r.due_at <= ?1 AND a.status = 'active'
             ORDER BY r.due_at LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now, limit as i64], |r| {
            let data: Option<String> = r.get(6)?;
            Ok(DueRun {
                id: r.get(0)?,
                automation_id: r.get(1)?,
                phone: r.get(2)?,
                step: r.get::<_, i64>(3)?.max(0) as usize,
                expires_at: r.get(4)?,
                entered_at: r.get(5)?,
                event: data.and_then(|d| serde_json::from_str(&d).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The soonest due time after `now` of an active automation's scheduled run.
    pub fn automation_next_due(&self, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(
                "SELECT min(r.due_at) FROM automation_runs r INDEXED BY automation_runs_due
                      JOIN automations a ON a.id = r.automation_id
                 WHERE r.state = 'scheduled' AND r.due_at > ?1 AND a.status = 'active'",
            )?
            .query_row([now], |r| r.get(0))?)
    }

    /// Contacts with the date attribute `attribute`: number, zone, the value.
    pub fn contacts_with_date(
        &self,
        attribute: &str,
    ) -> Result<Vec<(String, Option<String>, String)>, StoreError> {
        let conn = self.reader();
        let path = format!("$.\"{}\"", attribute.replace('"', ""));
        let mut stmt = conn.prepare_cached(
            "SELECT phone, time_zone, json_extract(attributes, ?1) FROM contacts
             WHERE status = 'active' AND json_type(attributes, ?1) = 'text'",
        )?;
        let rows = stmt.query_map([path], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Plans date automation `id`'s occurrences (a run already planned for
    /// the same number and date is left as it is) and records the sweep.
    /// Returns how many were new.
    pub fn plan_date_runs(&self, id: i64, runs: &[PlannedRun], now: i64) -> Result<usize, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut n = 0;
        for r in runs {
            n += tx
                .prepare_cached(
                    "INSERT INTO automation_runs (automation_id, phone, occurrence, step, due_at, expires_at,
                                                  state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 0, ?4, ?5, 'scheduled', ?6, ?6)
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![id, r.phone, r.occurrence, r.due_at, r.expires_at, now])?;
        }
        tx.prepare_cached("UPDATE automations SET swept_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
        tx.commit()?;
        Ok(n)
    }

    /// Carries out `items` in ONE transaction (see the module).
    pub fn automation_materialise(&self, items: &[RunItem], now: i64) -> Result<Vec<RunOutcome>, StoreError> {
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

fn still_scheduled(tx: &Transaction<'_>, run_id: i64) -> Result<Option<(i64, String, String)>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT r.automation_id, r.phone, r.occurrence FROM automation_runs r JOIN automations a ON a.id = r.automation_id
             WHERE r.id = ?1 AND r.state = 'scheduled' AND a.status = 'active'",
        )?
        .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

fn close(
    tx: &Transaction<'_>,
    run_id: i64,
    state: &str,
    reason: &str,
    words: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE automation_runs SET state = ?2, reason = ?3, reason_text = ?4, updated_at = ?5
         WHERE id = ?1 AND state = 'scheduled'",
    )?
    .execute(params![run_id, state, reason, words, now])?;
    Ok(())
}

/// The contact leaves: this run and the later steps of the same entry.
fn leave(
    tx: &Transaction<'_>,
    automation_id: i64,
    phone: &str,
    occurrence: &str,
    reason: &str,
    words: &str,
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE automation_runs SET state = 'exited', reason = ?4, reason_text = ?5, updated_at = ?6
         WHERE automation_id = ?1 AND phone = ?2 AND occurrence = ?3 AND state = 'scheduled'",
    )?
    .execute(params![automation_id, phone, occurrence, reason, words, now])?;
    Ok(())
}

fn materialise_one(tx: &Transaction<'_>, item: &RunItem, now: i64) -> Result<RunOutcome, StoreError> {
    match item {
        RunItem::Close {
            run_id,
            state,
            reason,
            words,
        } => {
            if still_scheduled(tx, *run_id)?.is_none() {
                return Ok(RunOutcome::Gone);
            }
            close(tx, *run_id, state, reason, words, now)?;
            Ok(RunOutcome::Closed { reason })
        }
        RunItem::Defer { run_id, until, words } => {
            if still_scheduled(tx, *run_id)?.is_none() {
                return Ok(RunOutcome::Gone);
            }
            tx.prepare_cached(
                "UPDATE automation_runs SET due_at = ?2, reason_text = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![run_id, until, words, now])?;
            Ok(RunOutcome::Deferred { until: *until })
        }
        RunItem::Queue {
            run_id,
            automation_id,
            message,
            attribution,
            cap,
            exit_on_reply,
            entered_at,
            sequence,
        } => {
            let Some((_, phone, occurrence)) = still_scheduled(tx, *run_id)? else {
                return Ok(RunOutcome::Gone);
            };
            let ends = |reason: &'static str, words: String| -> Result<RunOutcome, StoreError> {
                if *sequence {
                    leave(tx, *automation_id, &phone, &occurrence, reason, &words, now)?;
                } else {
                    close(tx, *run_id, "excluded", reason, &words, now)?;
                }
                Ok(RunOutcome::Closed { reason })
            };
            // Opt-out is law: a service message is not even stored.
            if let Some(o) = super::optouts::lookup(tx, &phone)? {
                return ends("opted_out", format!("the number opted out: {}", o.reason()));
            }
            if *exit_on_reply {
                let replied: Option<i64> = tx
                    .prepare_cached(
                        "SELECT received_at FROM inbox INDEXED BY inbox_by_sender
                         WHERE sender = ?1 AND received_at > ?2 ORDER BY received_at LIMIT 1",
                    )?
                    .query_row(params![phone, entered_at], |r| r.get(0))
                    .optional()?;
                if let Some(at) = replied {
                    let words = format!("the contact replied at {}", super::rfc3339(at));
                    if *sequence {
                        leave(tx, *automation_id, &phone, &occurrence, "replied", &words, now)?;
                    } else {
                        close(tx, *run_id, "exited", "replied", &words, now)?;
                    }
                    return Ok(RunOutcome::Closed { reason: "replied" });
                }
            }
            if let Some(cap) = cap {
                let times = counted_marketing(tx, &phone, now - WEEK)?;
                if let Some(until) = crate::campaigns::feed::cap_frees_at(&times, *cap, now) {
                    if until == i64::MAX {
                        close(
                            tx,
                            *run_id,
                            "excluded",
                            "capped",
                            &format!(
                                "the frequency cap ({} in 24 h, {} in 7 days) allows no marketing message",
                                cap.per_24h, cap.per_7d
                            ),
                            now,
                        )?;
                        return Ok(RunOutcome::Closed { reason: "capped" });
                    }
                    let words = format!(
                        "over the frequency cap ({} in 24 h, {} in 7 days) until {}",
                        cap.per_24h,
                        cap.per_7d,
                        super::rfc3339(until)
                    );
                    tx.prepare_cached(
                        "UPDATE automation_runs SET due_at = ?2, reason_text = ?3, updated_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![run_id, until, words, now])?;
                    return Ok(RunOutcome::Deferred { until });
                }
            }
            match super::enqueue::insert(tx, message, now) {
                Ok(o) => {
                    tx.prepare_cached("UPDATE messages SET automation_id = ?2 WHERE id = ?1")?
                        .execute(params![o.id, automation_id])?;
                    super::attribution::record(tx, attribution, o.id, now)?;
                    tx.prepare_cached(
                        "UPDATE automation_runs SET state = 'queued', message_id = ?2, reason_text = NULL, updated_at = ?3
                         WHERE id = ?1",
                    )?
                    .execute(params![run_id, o.id, now])?;
                    Ok(RunOutcome::Queued { message_id: o.id })
                }
                Err(EnqueueError::NoConsent(words)) => {
                    let reason = refusal_code(tx, &phone)?;
                    close(tx, *run_id, "excluded", reason, &words, now)?;
                    Ok(RunOutcome::Closed { reason })
                }
                Err(EnqueueError::Store(e)) => Err(e),
                Err(EnqueueError::Conflict(key)) => {
                    Err(StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(
                        format!("automation message with idempotency key {key:?}").into(),
                    )))
                }
            }
        }
    }
}
