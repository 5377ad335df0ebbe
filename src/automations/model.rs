//! What the automation routes answer: an event's outcome and an
//! automation's figures. Shared by the store (which writes them) and the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A message an event scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledRun {
    /// The automation.
    pub automation_id: i64,
    /// The scheduled send (`run`).
    pub run_id: i64,
    /// Its step (0 for a single message).
    pub step: u32,
    /// When it may leave (RFC 3339; a closed window or a cap can move it later).
    pub due_at: String,
}

/// What an event stopped in one automation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CancelledRuns {
    /// The automation.
    pub automation_id: i64,
    /// Scheduled sends cancelled (or sequence steps the contact left).
    pub runs: u64,
    /// `cancel_event` (its `cancel_on`), for a sequence left on an
    /// `exit_on` event what happened (`converted`, `event:<name>`), or
    /// `superseded` (a newer event of the same kind replaced the earlier
    /// reminder).
    pub reason: String,
}

/// An automation the event starts that did not schedule anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotScheduled {
    /// The automation.
    pub automation_id: i64,
    /// Why: `paused`, or `already_in_sequence` (the contact has steps still to come).
    pub reason: String,
}

/// The answer of `POST /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventAnswer {
    /// The recorded event (a decimal string).
    pub id: String,
    /// Its name.
    pub event: String,
    /// The contact's number, canonical.
    pub contact: String,
    /// The contact with that number, if any (marketing needs one who opted in).
    pub contact_id: Option<i64>,
    /// When it was recorded (RFC 3339).
    pub at: String,
    /// Messages it scheduled.
    pub scheduled: Vec<ScheduledRun>,
    /// What it cancelled.
    pub cancelled: Vec<CancelledRuns>,
    /// Automations it starts that scheduled nothing, with why.
    pub not_scheduled: Vec<NotScheduled>,
}

/// An automation's figures: its scheduled sends by outcome and its
/// messages' fate, like a campaign's (rates `null` when their
/// denominator is 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct AutomationFigures {
    /// Sends ever scheduled (every run: one per trigger occurrence and step).
    pub scheduled: u64,
    /// Waiting for their time, the recipient's window or the cap.
    pub waiting: u64,
    /// Cancelled before they left, by reason (`cancel_event`, `superseded`, `step_removed`).
    pub cancelled: BTreeMap<String, u64>,
    /// Sequence steps the contact left before, by what happened:
    /// `converted` (a promo code redeemed), `event:<name>` (another
    /// `exit_on` event), `replied`, `opted_out`.
    pub exited: BTreeMap<String, u64>,
    /// Left out, by reason (`no_consent`, `opted_out`, `invalid`, `render_failed`).
    pub excluded: BTreeMap<String, u64>,
    /// Not sent in time (`expired`: past `expire_after`; `window_missed`).
    pub expired: BTreeMap<String, u64>,
    /// Messages queued or being sent.
    pub queued: u64,
    /// Accepted by the network (delivered included).
    pub sent: u64,
    /// Delivery reports saying it arrived.
    pub delivered: u64,
    /// Refused or failed.
    pub failed: u64,
    /// May or may not have reached the network.
    pub unknown: u64,
    /// Segments sent.
    pub segments: u64,
    /// delivered / sent.
    pub delivery_rate: Option<f64>,
    /// Recipients who replied within `campaigns.attribution_days` of a message.
    pub replies: u64,
    /// replies / delivered.
    pub reply_rate: Option<f64>,
    /// Recipients who opted out within `campaigns.attribution_days` of a message.
    pub opt_outs: u64,
    /// opt_outs / delivered.
    pub opt_out_rate: Option<f64>,
    /// Messages whose short links a person followed (link previews and
    /// bots not counted; see `docs/campaign_metrics.md`).
    pub clicks: u64,
    /// Every counted click.
    pub total_clicks: u64,
    /// clicks / delivered.
    pub ctr: Option<f64>,
    /// Messages whose promo code was redeemed (first redemption of a code).
    pub conversions: u64,
    /// conversions / delivered.
    pub conversion_rate: Option<f64>,
    /// Sum of the counted redemptions' amounts (exact decimal string), in
    /// `pricing.currency`.
    pub revenue: String,
}

/// `num / den`, `None` when `den` is 0.
pub fn rate(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}
