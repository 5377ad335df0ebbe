//! Campaigns and their audience: create, read, list, change a draft, move
//! through the lifecycle, and fix the audience at start (one transaction:
//! a campaign is started with its whole audience or not at all).

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Store, StoreError};
use crate::campaigns::{CampaignStatus, Spec};

/// A stored campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    /// Id.
    pub id: i64,
    /// The checked request.
    pub spec: Spec,
    /// Lifecycle.
    pub status: CampaignStatus,
    /// Why it is where it is, in words.
    pub status_reason: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// When `start` fixed the audience.
    pub started_at: Option<i64>,
    /// When sending begins (set at start).
    pub start_at: Option<i64>,
    /// After this nothing is sent (set at start).
    pub deadline: Option<i64>,
    /// Completed or cancelled at.
    pub finished_at: Option<i64>,
    /// The A/B decision with its figures.
    pub decision: Option<Value>,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// Its survey (`/v1/surveys/{id}`), when the text is a survey question.
    pub survey_id: Option<i64>,
}

/// Why a lifecycle change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CampaignStoreError {
    /// No such campaign.
    #[error("no campaign {0}")]
    NotFound(i64),
    /// The campaign is not in a status the change applies to.
    #[error("campaign {id} is {status}")]
    WrongStatus {
        /// Campaign.
        id: i64,
        /// Where it is.
        status: CampaignStatus,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CampaignStoreError {
    fn from(e: rusqlite::Error) -> Self {
        CampaignStoreError::Store(e.into())
    }
}

/// One recipient fixed at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// Contact id (`None`: a listed number that is no contact).
    pub contact_id: Option<i64>,
    /// Canonical number.
    pub phone: String,
    /// IANA zone its window is read in.
    pub time_zone: String,
    /// Variant name (`None`: waits for the A/B winner).
    pub variant: Option<String>,
    /// `all`, `test` or `rest`.
    pub phase: &'static str,
    /// `None`: pending; `Some((reason, words))`: excluded.
    pub excluded: Option<(&'static str, String)>,
}

pub(super) const SELECT: &str =
    "SELECT id, spec, status, status_reason, created_at, updated_at, started_at, start_at,
        deadline, finished_at, decision, decided_at, survey_id FROM campaigns";

pub(super) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CampaignRow> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let spec: String = r.get(1)?;
    let spec: Spec = serde_json::from_str(&spec).map_err(|e| bad(1, e.to_string()))?;
    let status: String = r.get(2)?;
    let decision: Option<String> = r.get(10)?;
    Ok(CampaignRow {
        id: r.get(0)?,
        spec,
        status: status.parse().map_err(|e| bad(2, e))?,
        status_reason: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        started_at: r.get(6)?,
        start_at: r.get(7)?,
        deadline: r.get(8)?,
        finished_at: r.get(9)?,
        decision: decision.and_then(|d| serde_json::from_str(&d).ok()),
        decided_at: r.get(11)?,
        survey_id: r.get(12)?,
    })
}

pub(super) fn read(conn: &Connection, id: i64) -> Result<Option<CampaignRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

fn spec_json(spec: &Spec) -> Result<String, StoreError> {
    serde_json::to_string(spec)
        .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))
}

/// The SIM whose calls count for the campaign (`call_tracking.sim`).
fn tracking_imsi(spec: &Spec) -> Option<&str> {
    spec.call_tracking.as_ref().map(|c| c.sim.as_str())
}

impl Store {
    /// Stores a new draft.
    pub fn create_campaign(&self, spec: &Spec, now: i64) -> Result<CampaignRow, StoreError> {
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO campaigns (name, spec, status, created_at, updated_at, call_tracking_imsi)
             VALUES (?1, ?2, 'draft', ?3, ?3, ?4)",
        )?
        .execute(params![spec.name, spec_json(spec)?, now, tracking_imsi(spec)])?;
        let id = conn.last_insert_rowid();
        read(&conn, id)?.ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// One campaign.
    pub fn campaign(&self, id: i64) -> Result<Option<CampaignRow>, StoreError> {
        read(&self.reader(), id)
    }

    /// Campaigns with id after `after`, by id, at most `limit`, of one
    /// status if given.
    pub fn campaigns(
        &self,
        status: Option<CampaignStatus>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<CampaignRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT} WHERE id > ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![after, status.map(|s| s.as_str()), limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Campaigns that may send or are waiting to (scheduled, running), by id.
    pub fn active_campaigns(&self) -> Result<Vec<CampaignRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT} INDEXED BY campaigns_by_status WHERE status IN ('scheduled', 'running') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces a draft's request.
    pub fn update_campaign_draft(
        &self,
        id: i64,
        spec: &Spec,
        now: i64,
    ) -> Result<CampaignRow, CampaignStoreError> {
        let conn = self.writer();
        let changed = conn
            .prepare_cached(
                "UPDATE campaigns SET name = ?2, spec = ?3, updated_at = ?4, call_tracking_imsi = ?5
                 WHERE id = ?1 AND status = 'draft'",
            )?
            .execute(params![id, spec.name, spec_json(spec)?, now, tracking_imsi(spec)])?;
        let found = read(&conn, id)?.ok_or(CampaignStoreError::NotFound(id))?;
        if changed == 0 {
            return Err(CampaignStoreError::WrongStatus {
                id,
                status: found.status,
            });
        }
        Ok(found)
    }

    /// Moves a campaign from one of `from` to `to`, with a reason; sets
    /// `finished_at` for a final status.
    pub fn move_campaign(
        &self,
        id: i64,
        from: &[CampaignStatus],
        to: CampaignStatus,
        reason: Option<&str>,
        now: i64,
    ) -> Result<CampaignRow, CampaignStoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let out = move_in(&tx, id, from, to, reason, now)?;
        tx.commit()?;
        Ok(out)
    }

    /// Fixes a draft's audience and schedules it: stores every recipient
    /// (pending or excluded with the reason) and moves the campaign to
    /// `scheduled` with its start and deadline, in one transaction.
    pub fn start_campaign(
        &self,
        id: i64,
        recipients: &[NewRecipient],
        start_at: i64,
        deadline: i64,
        now: i64,
    ) -> Result<CampaignRow, CampaignStoreError> {
        self.start_campaign_until(id, recipients, start_at, deadline, deadline, now)
    }

    /// [`Store::start_campaign`], and when the campaign is a survey, its
    /// survey created (open until `survey_closes_at`) in the same
    /// transaction: every message it sends then asks the question.
    pub fn start_campaign_until(
        &self,
        id: i64,
        recipients: &[NewRecipient],
        start_at: i64,
        deadline: i64,
        survey_closes_at: i64,
        now: i64,
    ) -> Result<CampaignRow, CampaignStoreError> {
        self.start_campaign_noted(id, recipients, start_at, deadline, survey_closes_at, None, now)
    }

    /// [`Store::start_campaign_until`] with `note` (what the start found,
    /// in words: recipients who will be skipped) as its `status_reason`.
    #[allow(clippy::too_many_arguments)]
    pub fn start_campaign_noted(
        &self,
        id: i64,
        recipients: &[NewRecipient],
        start_at: i64,
        deadline: i64,
        survey_closes_at: i64,
        note: Option<&str>,
        now: i64,
    ) -> Result<CampaignRow, CampaignStoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let current = read(&tx, id)?.ok_or(CampaignStoreError::NotFound(id))?;
        if current.status != CampaignStatus::Draft {
            return Err(CampaignStoreError::WrongStatus {
                id,
                status: current.status,
            });
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO campaign_recipients (campaign_id, seq, contact_id, phone, time_zone, variant, phase, state, reason, reason_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (i, r) in recipients.iter().enumerate() {
                let (state, reason, words) = match &r.excluded {
                    None => ("pending", None, None),
                    Some((reason, words)) => ("excluded", Some(*reason), Some(words.as_str())),
                };
                insert.execute(params![
                    id,
                    i as i64 + 1,
                    r.contact_id,
                    r.phone,
                    r.time_zone,
                    r.variant,
                    r.phase,
                    state,
                    reason,
                    words
                ])?;
            }
        }
        let survey_id = match &current.spec.survey {
            None => None,
            Some(survey) => {
                let options = serde_json::to_string(&survey.options)
                    .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
                tx.prepare_cached(
                    "INSERT INTO surveys (question, options, count_mode, invalid_reply, closes_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    format!("campaign {id}: {}", current.spec.name),
                    options,
                    survey.count,
                    survey.invalid_reply,
                    survey_closes_at.max(deadline),
                    now
                ])?;
                Some(tx.last_insert_rowid())
            }
        };
        tx.prepare_cached(
            "UPDATE campaigns SET status = 'scheduled', status_reason = ?6, started_at = ?2, start_at = ?3,
                    deadline = ?4, updated_at = ?2, survey_id = ?5 WHERE id = ?1",
        )?
        .execute(params![id, now, start_at, deadline, survey_id, note])?;
        let out = read(&tx, id)?.ok_or(CampaignStoreError::NotFound(id))?;
        tx.commit()?;
        Ok(out)
    }

    /// How many recipients of a campaign are in each state, with reasons:
    /// `(state, reason, count)`.
    pub fn campaign_recipient_states(
        &self,
        id: i64,
    ) -> Result<Vec<(String, Option<String>, u64)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT state, reason, count(*) FROM campaign_recipients WHERE campaign_id = ?1 GROUP BY state, reason",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

pub(super) fn move_in(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    from: &[CampaignStatus],
    to: CampaignStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<CampaignRow, CampaignStoreError> {
    let current = read(tx, id)?.ok_or(CampaignStoreError::NotFound(id))?;
    if !from.contains(&current.status) {
        return Err(CampaignStoreError::WrongStatus {
            id,
            status: current.status,
        });
    }
    tx.prepare_cached(
        "UPDATE campaigns SET status = ?2, status_reason = ?3, updated_at = ?4,
                finished_at = CASE WHEN ?5 THEN ?4 ELSE finished_at END WHERE id = ?1",
    )?
    .execute(params![id, to.as_str(), reason, now, to.is_final()])?;
    read(tx, id)?.ok_or(CampaignStoreError::NotFound(id))
}
