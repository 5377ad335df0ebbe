//! A campaign's figures, as the marketing guides define them: overall and
//! per variant, audience, exclusions by reason, message outcomes, delivery
//! rate (delivered / sent), replies and reply rate, opt-outs and opt-out
//! rate (opt-outs / delivered), votes, segments and cost, and the fields
//! the attribution issue fills (clicks, CTR, conversions).
//!
//! TODO(issue 13, metrics): compute from the store.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::{Store, StoreError};

/// Recipients left out, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExcludedByReason {
    /// No recorded consent (or pending, or not a contact).
    pub no_consent: u64,
    /// Opted out (at start, or before their message left: suppressed).
    pub opted_out: u64,
    /// The number is invalid.
    pub invalid: u64,
    /// Over the frequency cap until the deadline.
    pub capped: u64,
    /// Their window did not open again before the deadline.
    pub window_missed: u64,
}

/// The figures of a campaign or of one variant (or breakdown group).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Recipients fixed at start.
    pub audience: u64,
    /// Left out, by reason.
    pub excluded: ExcludedByReason,
    /// Waiting for their window, the cap, a SIM or the A/B decision.
    pub pending: u64,
    /// Messages queued or being sent.
    pub queued: u64,
    /// Accepted by the network (delivered ones included).
    pub sent: u64,
    /// Delivery reports saying it arrived.
    pub delivered: u64,
    /// Refused or failed.
    pub failed: u64,
    /// May or may not have reached the network.
    pub unknown: u64,
    /// Not sent before the deadline.
    pub expired: u64,
    /// delivered / sent (`null` before anything is sent).
    pub delivery_rate: Option<f64>,
    /// Recipients who replied (attributed replies).
    pub replies: u64,
    /// replies / delivered.
    pub reply_rate: Option<f64>,
    /// Opt-outs attributed to it.
    pub opt_outs: u64,
    /// opt_outs / delivered.
    pub opt_out_rate: Option<f64>,
    /// Survey votes by option, when the text is a survey question.
    pub votes: BTreeMap<String, u64>,
    /// SMS segments sent.
    pub segments: u64,
    /// What the segments cost (`pricing.per_segment` × segments), decimal string.
    pub cost: String,
    /// Currency of `cost`.
    pub currency: String,
    /// Tracked-link clicks (the attribution issue fills it).
    pub clicks: u64,
    /// clicks / delivered.
    pub ctr: Option<f64>,
    /// Conversions (promo codes redeemed, tracked calls).
    pub conversions: u64,
    /// conversions / delivered.
    pub conversion_rate: Option<f64>,
}

/// Overall and per variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignFigures {
    /// The whole campaign.
    pub overall: Figures,
    /// By variant name.
    pub variants: BTreeMap<String, Figures>,
}

/// The figures of campaign `id` at `now`.
pub fn figures(
    _store: &Store,
    _id: i64,
    _rules: &super::CampaignRules,
) -> Result<CampaignFigures, StoreError> {
    Ok(CampaignFigures::default())
}
