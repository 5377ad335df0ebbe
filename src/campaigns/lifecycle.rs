//! What `start`, `pause`, `resume` and `cancel` do to a campaign, for the
//! API and the CLI alike (they call these, never the store directly).
//!
//! TODO(issue 13, engine): pause/cancel must also take back queued,
//! unclaimed messages; cancel ends pending recipients.

use super::rules::CampaignRules;
use super::start::StartError;
use super::{Action, CampaignStatus};
use crate::store::{CampaignRow, CampaignStoreError, Store};

/// Starts draft `id`: fixes the audience, schedules it.
pub fn start(store: &Store, id: i64, rules: &CampaignRules, now: i64) -> Result<CampaignRow, StartError> {
    super::start::start(store, id, rules, now)
}

/// Pauses a scheduled or running campaign: nothing more leaves until it is resumed.
pub fn pause(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.move_campaign(
        id,
        Action::Pause.from_statuses(),
        CampaignStatus::Paused,
        Some("paused by the user"),
        now,
    )
}

/// Resumes a paused campaign where it stopped.
pub fn resume(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.move_campaign(
        id,
        Action::Resume.from_statuses(),
        CampaignStatus::Running,
        None,
        now,
    )
}

/// Cancels a campaign for good: what was not sent never will be.
pub fn cancel(store: &Store, id: i64, now: i64) -> Result<CampaignRow, CampaignStoreError> {
    store.move_campaign(
        id,
        Action::Cancel.from_statuses(),
        CampaignStatus::Cancelled,
        Some("cancelled by the user"),
        now,
    )
}
