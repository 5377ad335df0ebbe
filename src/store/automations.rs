//! Automations as stored (create, read, list, change, pause/resume) and
//! recording a contact's event (`POST /v1/events`): in ONE transaction the
//! event is stored, the runs its `cancel_on`/`exit_on` automations owe
//! the number are cancelled (and a message of theirs still queued is taken
//! back), and the automations it starts get their runs. Idempotent per
//! key: the same request gets the first answer, another body a conflict.

use rusqlite::{OptionalExtension, Transaction, params};
use thiserror::Error;

use super::{Store, StoreError, rfc3339};
use crate::automations::model::{CancelledRuns, EventAnswer, NotScheduled, ScheduledRun};
use crate::automations::spec::{AutomationInput, AutomationSpec, Trigger};

/// An automation as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationRow {
    /// Id.
    pub id: i64,
    /// `active` or `paused`.
    pub status: String,
    /// Checked request.
    pub spec: AutomationSpec,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// Date triggers: when contacts' dates were last planned.
    pub swept_at: Option<i64>,
}

/// Why an automation action failed.
#[derive(Debug, Error)]
pub enum AutomationStoreError {
    /// No automation with that id.
    #[error("no automation {0}")]
    NotFound(i64),
    /// Not in a status the action needs.
    #[error("automation {id} is {status}")]
    WrongStatus {
        /// Id.
        id: i64,
        /// Its status.
        status: String,
    },
    /// The idempotency key was used for a different automation.
    #[error("idempotency key {0:?} was already used for a different automation")]
    KeyConflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A creation's idempotency: the client's key and the digest of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKey {
    /// The client's key (1 to 200 characters, checked by the caller).
    pub key: String,
    /// Digest of the request it came with.
    pub request_hash: String,
}

/// Why an event was not recorded.
#[derive(Debug, Error)]
pub enum EventError {
    /// The idempotency key was used for a different event.
    #[error("idempotency key {0:?} was already used for a different event")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for EventError {
    fn from(e: rusqlite::Error) -> Self {
        EventError::Store(e.into())
    }
}

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Canonical number.
    pub phone: String,
    /// Its name (checked).
    pub event: String,
    /// Its data (a JSON object).
    pub data: serde_json::Value,
    /// Client's key.
    pub idempotency_key: Option<String>,
    /// Digest of the request.
    pub request_hash: String,
}

fn bad(i: usize, e: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
}

const COLUMNS: &str = "id, status, spec, created_at, updated_at, swept_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AutomationRow> {
    let spec: String = r.get(2)?;
    let input: AutomationInput = serde_json::from_str(&spec).map_err(|e| bad(2, e.to_string()))?;
    let spec = input
        .check()
        .map_err(|e| bad(2, format!("{}: {}", e.field, e.message)))?;
    Ok(AutomationRow {
        id: r.get(0)?,
        status: r.get(1)?,
        spec,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
        swept_at: r.get(5)?,
    })
}

fn spec_json(spec: &AutomationSpec) -> Result<String, StoreError> {
    serde_json::to_string(&spec.input)
        .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(e.into())))
}

impl Store {
    /// Stores a new automation, `active`.
    pub fn create_automation(&self, spec: &AutomationSpec, now: i64) -> Result<AutomationRow, StoreError> {
        match self.create_automation_once(spec, now, None) {
            Ok((row, _)) => Ok(row),
            Err(AutomationStoreError::Store(e)) => Err(e),
            Err(e) => Err(StoreError::Sqlite(bad(0, e.to_string()))),
        }
    }

    /// Stores a new automation, `active`, once per `key`: the same key
    /// with the same request answers the automation it created first
    /// (`false`: nothing new), with another request
    /// [`AutomationStoreError::KeyConflict`].
    pub fn create_automation_once(
        &self,
        spec: &AutomationSpec,
        now: i64,
        key: Option<&CreateKey>,
    ) -> Result<(AutomationRow, bool), AutomationStoreError> {
        let json = spec_json(spec)?;
        let id = {
            let conn = self.writer();
            if let Some(k) = key {
                let found: Option<(i64, Option<String>)> = conn
                    .prepare_cached("SELECT id, request_hash FROM automations WHERE idempotency_key = ?1")
                    .map_err(StoreError::from)?
                    .query_row([&k.key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(StoreError::from)?;
                if let Some((id, hash)) = found {
                    if hash.as_deref() != Some(k.request_hash.as_str()) {
                        return Err(AutomationStoreError::KeyConflict(k.key.clone()));
                    }
                    drop(conn);
                    let row = self.automation(id)?.ok_or(AutomationStoreError::NotFound(id))?;
                    return Ok((row, false));
                }
            }
            conn.prepare_cached(
                "INSERT INTO automations (name, trigger, spec, status, created_at, updated_at, idempotency_key, request_hash)
                 VALUES (?1, ?2, ?3, 'active', ?4, ?4, ?5, ?6)",
            )
            .map_err(StoreError::from)?
            .execute(params![
                spec.input.name.trim(),
                spec.trigger.as_str(),
                json,
                now,
                key.map(|k| &k.key),
                key.map(|k| &k.request_hash)
            ])
            .map_err(StoreError::from)?;
            conn.last_insert_rowid()
        };
        let row = self.automation(id)?.ok_or(AutomationStoreError::NotFound(id))?;
        Ok((row, true))
    }

    /// One automation.
    pub fn automation(&self, id: i64) -> Result<Option<AutomationRow>, StoreError> {
        Ok(self
            .reader()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM automations WHERE id = ?1"))?
            .query_row([id], row)
            .optional()?)
    }

    /// Automations after id `after`, by id, at most `limit`.
    pub fn automations(&self, after: i64, limit: usize) -> Result<Vec<AutomationRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM automations WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after, limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Active automations with a date trigger.
    pub fn date_automations(&self) -> Result<Vec<AutomationRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM automations INDEXED BY automations_by_status
             WHERE status = 'active' AND trigger = 'date' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces automation `id`'s request. What is scheduled keeps its
    /// time; it is written with the new text when it leaves (a removed
    /// step is cancelled then). A date trigger plans its contacts again.
    pub fn update_automation(
        &self,
        id: i64,
        spec: &AutomationSpec,
        now: i64,
    ) -> Result<AutomationRow, AutomationStoreError> {
        let json = spec_json(spec)?;
        let n = self
            .writer()
            .prepare_cached(
                "UPDATE automations SET name = ?2, trigger = ?3, spec = ?4, updated_at = ?5, swept_at = NULL
                 WHERE id = ?1",
            )
            .map_err(StoreError::from)?
            .execute(params![
                id,
                spec.input.name.trim(),
                spec.trigger.as_str(),
                json,
                now
            ])
            .map_err(StoreError::from)?;
        if n == 0 {
            return Err(AutomationStoreError::NotFound(id));
        }
        self.automation(id)?.ok_or(AutomationStoreError::NotFound(id))
    }

    /// Moves automation `id` from `from` to `to` (`active` ⇄ `paused`).
    pub fn set_automation_status(
        &self,
        id: i64,
        from: &str,
        to: &str,
        now: i64,
    ) -> Result<AutomationRow, AutomationStoreError> {
        let n = self
            .writer()
            .prepare_cached(
                "UPDATE automations SET status = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?2",
            )
            .map_err(StoreError::from)?
            .execute(params![id, from, to, now])
            .map_err(StoreError::from)?;
        let row = self.automation(id)?.ok_or(AutomationStoreError::NotFound(id))?;
        if n == 0 {
            return Err(AutomationStoreError::WrongStatus {
                id,
                status: row.status,
            });
        }
        Ok(row)
    }

    /// Records an event and what it does to the automations (see the
    /// module). The same `idempotency_key` with the same request returns
    /// the first answer and changes nothing.
    pub fn record_event(&self, ev: &NewEvent, now: i64) -> Result<EventAnswer, EventError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        if let Some(key) = &ev.idempotency_key {
            let found: Option<(String, String)> = tx
                .prepare_cached("SELECT request_hash, answer FROM contact_events WHERE idempotency_key = ?1")?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((hash, answer)) = found {
                if hash != ev.request_hash {
                    return Err(EventError::Conflict(key.clone()));
                }
                return serde_json::from_str(&answer)
                    .map_err(|e| EventError::Store(StoreError::Sqlite(bad(1, e.to_string()))));
            }
        }
        let contact_id: Option<i64> = tx
            .prepare_cached("SELECT id FROM contacts WHERE phone = ?1")?
            .query_row([&ev.phone], |r| r.get(0))
            .optional()?;
        tx.prepare_cached(
            "INSERT INTO contact_events (phone, contact_id, event, data, at, idempotency_key, request_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            ev.phone,
            contact_id,
            ev.event,
            ev.data.to_string(),
            now,
            ev.idempotency_key,
            ev.request_hash
        ])?;
        let event_id = tx.last_insert_rowid();
        let mut answer = EventAnswer {
            id: event_id.to_string(),
            event: ev.event.clone(),
            contact: ev.phone.clone(),
            contact_id,
            at: rfc3339(now),
            scheduled: Vec::new(),
            cancelled: Vec::new(),
            not_scheduled: Vec::new(),
        };
        let autos: Vec<AutomationRow> = {
            let mut stmt = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM automations ORDER BY id"))?;
            let rows = stmt.query_map([], row)?;
            rows.filter_map(Result::ok).collect()
        };
        for a in &autos {
            if a.spec.stop_on.contains(&ev.event) {
                // A sequence is left for what happened (`converted`,
                // `event:<name>`); an event or date trigger's send is
                // cancelled by its `cancel_on` (`cancel_event`).
                let (state, reason) = if a.spec.trigger == Trigger::Sequence {
                    ("exited", exit_reason(&ev.event))
                } else {
                    ("cancelled", "cancel_event".to_string())
                };
                let words = format!("{} (event {event_id}) arrived before it was sent", ev.event);
                let n = stop_runs(&tx, a.id, &ev.phone, state, &reason, &words, now)?;
                if n > 0 {
                    answer.cancelled.push(CancelledRuns {
                        automation_id: a.id,
                        runs: n,
                        reason,
                    });
                }
            }
        }
        for a in &autos {
            if a.spec.on.as_deref() != Some(ev.event.as_str()) {
                continue;
            }
            if a.status != "active" {
                answer.not_scheduled.push(NotScheduled {
                    automation_id: a.id,
                    reason: "paused".into(),
                });
                continue;
            }
            match a.spec.trigger {
                Trigger::Event => {
                    let words = format!("a newer {} (event {event_id}) replaced it", ev.event);
                    let n = stop_runs(&tx, a.id, &ev.phone, "cancelled", "superseded", &words, now)?;
                    if n > 0 {
                        answer.cancelled.push(CancelledRuns {
                            automation_id: a.id,
                            runs: n,
                            reason: "superseded".into(),
                        });
                    }
                }
                Trigger::Sequence => {
                    let inside: bool = tx
                        .prepare_cached(
                            "SELECT 1 FROM automation_runs INDEXED BY automation_runs_by_phone
                             WHERE phone = ?1 AND automation_id = ?2 AND state = 'scheduled' LIMIT 1",
                        )?
                        .query_row(params![ev.phone, a.id], |_| Ok(()))
                        .optional()?
                        .is_some();
                    if inside {
                        answer.not_scheduled.push(NotScheduled {
                            automation_id: a.id,
                            reason: "already_in_sequence".into(),
                        });
                        continue;
                    }
                }
                Trigger::Date => continue,
            }
            let mut due = now;
            for (step, s) in a.spec.steps.iter().enumerate() {
                due = due.saturating_add(s.delay_ms);
                tx.prepare_cached(
                    "INSERT INTO automation_runs (automation_id, phone, occurrence, step, event_id, due_at, expires_at,
                                                  state, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'scheduled', ?8, ?8)
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    a.id,
                    ev.phone,
                    format!("event:{event_id}"),
                    step as i64,
                    event_id,
                    due,
                    due.saturating_add(a.spec.expire_after_ms),
                    now
                ])?;
                answer.scheduled.push(ScheduledRun {
                    automation_id: a.id,
                    run_id: tx.last_insert_rowid(),
                    step: step as u32,
                    due_at: rfc3339(due),
                });
            }
        }
        let json = serde_json::to_string(&answer)
            .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(e.into())))?;
        tx.prepare_cached("UPDATE contact_events SET answer = ?2 WHERE id = ?1")?
            .execute(params![event_id, json])?;
        tx.commit()?;
        Ok(answer)
    }
}

/// Ends automation `id`'s runs for `phone` that have not left: scheduled
/// ones, and queued ones whose message no SIM has taken yet (the message
/// is cancelled). Returns how many.
pub(super) fn stop_runs(
    tx: &Transaction<'_>,
    id: i64,
    phone: &str,
    state: &str,
    reason: &str,
    words: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let queued: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT id, message_id FROM automation_runs INDEXED BY automation_runs_by_phone
             WHERE phone = ?1 AND automation_id = ?2 AND state = 'queued' AND message_id IS NOT NULL",
        )?
        .query_map(params![phone, id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut n = 0u64;
    for (run, message) in queued {
        let why = format!("not sent: {words}");
        let taken = tx
            .prepare_cached(
                "UPDATE messages SET status = 'cancelled', updated_at = ?2, error = ?3
                 WHERE id = ?1 AND status IN ('queued', 'scheduled') AND pinned_imsi IS NULL",
            )?
            .execute(params![message, now, why])?;
        if taken == 1 {
            tx.prepare_cached(
                "INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, 'cancelled', ?2, ?3)",
            )?
            .execute(params![message, now, why])?;
            tx.prepare_cached(
                "UPDATE automation_runs SET state = ?2, reason = ?3, reason_text = ?4, updated_at = ?5 WHERE id = ?1",
            )?
            .execute(params![run, state, reason, words, now])?;
            n += 1;
        }
    }
    n += tx
        .prepare_cached(
            "UPDATE automation_runs INDEXED BY automation_runs_by_phone
             SET state = ?3, reason = ?4, reason_text = ?5, updated_at = ?6
             WHERE phone = ?1 AND automation_id = ?2 AND state = 'scheduled'",
        )?
        .execute(params![phone, id, state, reason, words, now])? as u64;
    Ok(n)
}

/// Why a contact left a sequence on event `event` (one of its `exit_on`):
/// `converted` for the event a promo-code redemption raises, else
/// `event:<name>`.
pub fn exit_reason(event: &str) -> String {
    if event == crate::automations::spec::CONVERTED {
        "converted".into()
    } else {
        format!("event:{event}")
    }
}
