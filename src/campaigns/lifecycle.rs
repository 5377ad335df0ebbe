//! What `start`, `pause`, `resume` and `cancel` do to a campaign, for the
//! API and the CLI alike (they call these, never the store directly).
//! Pause and cancel also take back the campaign's queued messages no SIM
//! has claimed; cancel ends its pending recipients.

use super::rules::CampaignRules;
use super::start::StartError;
use crate::store::{CampaignRow, CampaignStoreError, Store};

/// Starts draft `id`: fixes the audience, schedules it.
pub fn start(store: &Store, id: i64, rules: &CampaignRules, now: i64) -> Result<CampaignRow, StartError> {
    super::start::start(store, id, rules, now)
}

/// Pauses a scheduled or running campaign: nothing more leaves until it is
/// resumed. Its queued messages no SIM has taken yet are taken back
/// (cancelled, their recipients pending again), in the same transaction;
/// sends already handed to a modem finish.
pub fn pause(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.pause_campaign(id, now).map(|(row, _)| row)
}

/// Resumes a paused campaign where it stopped: running, or scheduled again
/// if its start is still ahead. Nobody sent is sent again; nobody pending
/// is skipped.
pub fn resume(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.resume_campaign(id, now)
}

/// Cancels a campaign for good: what was not sent never will be. Its
/// queued messages no SIM has taken yet are cancelled and its pending
/// recipients become `cancelled`, in one transaction.
pub fn cancel(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.cancel_campaign(id, now).map(|(row, _)| row)
}
