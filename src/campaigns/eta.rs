//! Honest capacity: how many of a campaign's remaining recipients the
//! ready SIMs can reach before the deadline, given their daily and
//! per-minute limits, the latency so far and each recipient's window.
//!
//! TODO(issue 13, capacity): the model.

use serde::Serialize;

/// The estimate shown before start and while running.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Eta {
    /// Recipients still to send.
    pub remaining: u64,
    /// Of them, how many can be sent before the deadline.
    pub sendable_before_deadline: u64,
    /// And how many would expire.
    pub would_expire: u64,
    /// SIMs counted (ready to send).
    pub sims: u32,
    /// When the last would be sent (RFC 3339), if all can be.
    pub finish_at: Option<String>,
    /// In words: "18,400 of 20,000 can be sent before the deadline with 4 SIMs; 1,600 would expire".
    pub summary: String,
}

/// What one SIM can still send, as the dispatcher sees it now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimCapacity {
    /// IMSI.
    pub imsi: String,
    /// Ready to send (registered, not cooling down).
    pub ready: bool,
    /// Segments left today under `daily_limit` (with `warm_up`), if limited.
    pub daily_left: Option<u64>,
    /// `per_minute`, if limited.
    pub per_minute: Option<u32>,
    /// Segments left this month under `monthly_limit`, if limited.
    pub monthly_left: Option<u64>,
    /// New recipients left this month under `unique_recipients_per_month`, if limited.
    pub unique_left: Option<u64>,
    /// Mean seconds per message so far (claim to verdict).
    pub mean_send_secs: Option<f64>,
    /// `daily_limit` as configured: each later day's, once warmed up.
    pub daily_limit: Option<u32>,
    /// While warming up: the daily limits of the coming days (tomorrow
    /// first), `warm_up` capped by `daily_limit`; then `daily_limit`.
    pub warm_up_ahead: Vec<u32>,
}

/// The estimate for `campaign` at `now` with `sims`.
pub fn estimate(
    _store: &crate::store::Store,
    _campaign: &crate::store::CampaignRow,
    _sims: &[SimCapacity],
    _rules: &super::CampaignRules,
    _now: i64,
) -> Result<Eta, crate::store::StoreError> {
    Ok(Eta::default())
}
