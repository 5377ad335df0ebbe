//! Pausing, resuming and cancelling a campaign, each in one transaction
//! with what it does to the queue: pause takes back the campaign's queued,
//! unclaimed messages (their recipients wait again), cancel takes them
//! back and ends every pending recipient. A send already handed to a
//! modem (`sending`, or a message some parts of which went) is not touched.

use rusqlite::params;

use super::campaign_feed::{TakeBack, take_back_campaign};
use super::campaigns::{move_in, read};
use super::{CampaignRow, CampaignStoreError, Store};
use crate::campaigns::{Action, CampaignStatus};

impl Store {
    /// Pauses scheduled or running campaign `id`, taking back its queued
    /// messages. Returns the campaign and how many messages were taken back.
    pub fn pause_campaign(&self, id: i64, now: i64) -> Result<(CampaignRow, usize), CampaignStoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let row = move_in(
            &tx,
            id,
            Action::Pause.from_statuses(),
            CampaignStatus::Paused,
            Some("paused by the user"),
            now,
        )?;
        let n = take_back_campaign(
            &tx,
            id,
            TakeBack::Pending,
            &format!("not sent: campaign {id} was paused; the recipient waits for it to resume"),
            now,
        )?;
        tx.commit()?;
        Ok((row, n))
    }

    /// Resumes paused campaign `id`: running again, or scheduled if its
    /// start is still ahead.
    pub fn resume_campaign(&self, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let current = read(&tx, id)?.ok_or(CampaignStoreError::NotFound(id))?;
        let to = match current.start_at {
            Some(at) if at > now => CampaignStatus::Scheduled,
            _ => CampaignStatus::Running,
        };
        let row = move_in(&tx, id, Action::Resume.from_statuses(), to, None, now)?;
        tx.commit()?;
        Ok(row)
    }

    /// Cancels campaign `id` for good: its queued messages are taken back
    /// and its pending recipients become `cancelled`. Returns the campaign
    /// and how many recipients were cancelled.
    pub fn cancel_campaign(&self, id: i64, now: i64) -> Result<(CampaignRow, usize), CampaignStoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let row = move_in(
            &tx,
            id,
            Action::Cancel.from_statuses(),
            CampaignStatus::Cancelled,
            Some("cancelled by the user"),
            now,
        )?;
        let taken = take_back_campaign(
            &tx,
            id,
            TakeBack::Cancelled,
            &format!("not sent: campaign {id} was cancelled"),
            now,
        )?;
        let ended = tx
            .prepare_cached(
                "UPDATE campaign_recipients INDEXED BY campaign_recipients_pending
                 SET state = 'cancelled', reason = 'cancelled',
                     reason_text = 'the campaign was cancelled before it was sent', not_before = NULL
                 WHERE campaign_id = ?1 AND state = 'pending'",
            )?
            .execute(params![id])?;
        tx.commit()?;
        Ok((row, taken + ended))
    }
}
