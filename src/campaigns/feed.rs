//! Feeding the queue from running campaigns: each dispatch round turns as
//! many pending recipients into messages as there are SIMs free to send
//! them, fairly across campaigns, only inside each recipient's window,
//! under the frequency caps and each campaign's rate; moves campaigns from
//! scheduled to running to completed; expires what the deadline passes.
//!
//! TODO(issue 13, engine).

use super::rules::CampaignRules;
use crate::store::{Store, StoreError};

/// What a round of feeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fed {
    /// Messages queued.
    pub queued: usize,
    /// When feeding must look again even if nothing happens (a window
    /// opens, a cap frees, the rate allows, a start or deadline), unix ms.
    pub next_at: Option<i64>,
}

/// Queues at most `room` campaign messages at `now`.
pub fn feed(_store: &Store, _rules: &CampaignRules, _room: usize, _now: i64) -> Result<Fed, StoreError> {
    Ok(Fed::default())
}
