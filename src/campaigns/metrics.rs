//! A campaign's figures, as the marketing guides define them: overall and
//! per variant, audience, exclusions by reason, message outcomes, delivery
//! rate (delivered / sent), replies and reply rate, opt-outs and opt-out
//! rate (opt-outs / delivered), votes, segments and cost, unique and
//! total clicks on tracked links, CTR (unique clicks / delivered),
//! conversions (promo codes redeemed, one per recipient), conversion rate
//! (conversions / delivered) and revenue (their amounts).
//!
//! Counted by one aggregate query per campaign and grouping
//! (`store/campaign_metrics.rs`); each recipient has exactly one outcome,
//! so `excluded` + pending + queued + sent + failed before sending +
//! unknown + expired + cancelled = audience (`sent` includes delivered and
//! those failed after the network took them, which `failed` also counts).
//! Rates are `null` when their denominator is 0. Replies, opt-outs and
//! votes are the ones attributed to the campaign's messages
//! (`store/campaign_attribution.rs`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::CampaignRules;
use crate::store::{FigureRow, GroupBy, Store, StoreError};
use crate::templates::preview::{cost, money};

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
    /// Their text could not be rendered (a template error for their data).
    pub render_failed: u64,
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
    /// Not sent before the deadline though their window was open (the
    /// SIMs did not get to them), or their message's validity ran out.
    pub expired: u64,
    /// Cancelled with the campaign before their message left.
    pub cancelled: u64,
    /// Their message is final: sent (delivered included), failed or unknown.
    pub done: u64,
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
    /// Unique clicks: recipients who followed one of their message's
    /// tracked links at least once (people; link previews and bots are not
    /// counted).
    pub clicks: u64,
    /// Every click by people on the tracked links (a recipient clicking
    /// twice counts twice).
    pub total_clicks: u64,
    /// clicks (unique) / delivered.
    pub ctr: Option<f64>,
    /// Conversions: recipients whose promo code was redeemed (once each,
    /// however often the code was used).
    pub conversions: u64,
    /// conversions / delivered.
    pub conversion_rate: Option<f64>,
    /// Incoming calls to the campaign's call-tracking SIM counted for it
    /// (per variant: calls from recipients sent that variant; overall also
    /// callers who were no recipient, and withheld callers).
    pub calls: u64,
    /// Distinct callers among `calls` (withheld ones not counted).
    pub unique_callers: u64,
    /// Sum of the amounts of the counted conversions (exact decimal
    /// string), in `currency` (`pricing.currency`).
    pub revenue: String,
}

/// Overall and per variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignFigures {
    /// The whole campaign.
    pub overall: Figures,
    /// By variant name.
    pub variants: BTreeMap<String, Figures>,
}

fn rate(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

impl Figures {
    /// The figures of one group's counts, `votes` by option, priced at
    /// `rules.per_segment`.
    pub fn from_row(row: &FigureRow, votes: BTreeMap<String, u64>, rules: &CampaignRules) -> Figures {
        Figures {
            audience: row.audience,
            excluded: ExcludedByReason {
                no_consent: row.no_consent,
                opted_out: row.opted_out,
                invalid: row.invalid,
                capped: row.capped,
                window_missed: row.window_missed,
                render_failed: row.render_failed,
            },
            pending: row.pending,
            queued: row.queued,
            sent: row.sent,
            delivered: row.delivered,
            failed: row.failed,
            unknown: row.unknown,
            expired: row.expired,
            cancelled: row.cancelled,
            done: row.done,
            delivery_rate: rate(row.delivered, row.sent),
            replies: row.replies,
            reply_rate: rate(row.replies, row.delivered),
            opt_outs: row.opt_outs,
            opt_out_rate: rate(row.opt_outs, row.delivered),
            votes,
            segments: row.segments,
            cost: money(cost(rules.per_segment, row.segments)),
            currency: rules.currency.clone(),
            calls: 0,
            unique_callers: 0,
            clicks: row.clicked,
            total_clicks: row.total_clicks,
            ctr: rate(row.clicked, row.delivered),
            conversions: row.conversions,
            conversion_rate: rate(row.conversions, row.delivered),
            revenue: money(row.revenue),
        }
    }

    /// Nothing yet (a campaign without recipients), priced in `rules`' currency.
    pub fn empty(rules: &CampaignRules) -> Figures {
        Figures::from_row(&FigureRow::default(), BTreeMap::new(), rules)
    }
}

/// The figures of campaign `id`'s recipients grouped by `by`: `(group,
/// figures)` in group order (`None`: no value, or a recipient still waiting
/// for the A/B winner when grouped by variant).
pub fn grouped(
    store: &Store,
    id: i64,
    by: &GroupBy,
    rules: &CampaignRules,
) -> Result<Vec<(Option<String>, Figures)>, StoreError> {
    let rows = store.campaign_figure_rows(id, by)?;
    let mut votes: BTreeMap<Option<String>, BTreeMap<String, u64>> = BTreeMap::new();
    for (group, option, n) in store.campaign_votes(id, by)? {
        votes.entry(group).or_default().insert(option, n);
    }
    let mut out: Vec<(Option<String>, Figures)> = rows
        .iter()
        .map(|row| {
            let v = votes.remove(&row.group).unwrap_or_default();
            (row.group.clone(), Figures::from_row(row, v, rules))
        })
        .collect();
    // Calls are known overall and by variant (a call is from a number, not
    // from a recipient's zone or tags): other breakdowns show none.
    if matches!(by, GroupBy::Overall | GroupBy::Variant) {
        let counts = store.campaign_calls(id)?;
        for (group, f) in &mut out {
            let found = match (by, group.as_deref()) {
                (GroupBy::Overall, _) => Some((counts.calls, counts.unique_callers)),
                (_, Some(g)) => counts
                    .by_variant
                    .iter()
                    .find(|(v, ..)| v == g)
                    .map(|(_, c, u)| (*c, *u)),
                (_, None) => None,
            };
            if let Some((calls, unique)) = found {
                f.calls = calls;
                f.unique_callers = unique;
            }
        }
    }
    Ok(out)
}

/// The figures of campaign `id`, overall and per variant: one aggregate
/// query by variant (and one over the votes), the overall figures being
/// their sums (every count is additive). Recipients waiting for the A/B
/// winner count overall only.
pub fn figures(store: &Store, id: i64, rules: &CampaignRules) -> Result<CampaignFigures, StoreError> {
    let rows = store.campaign_figure_rows(id, &GroupBy::Variant)?;
    let mut total = FigureRow::default();
    for r in &rows {
        total.add(r);
    }
    let mut votes: BTreeMap<Option<String>, BTreeMap<String, u64>> = BTreeMap::new();
    let mut all_votes: BTreeMap<String, u64> = BTreeMap::new();
    for (group, option, n) in store.campaign_votes(id, &GroupBy::Variant)? {
        *all_votes.entry(option.clone()).or_default() += n;
        votes.entry(group).or_default().insert(option, n);
    }
    let variants = rows
        .iter()
        .filter_map(|r| {
            let name = r.group.clone()?;
            let v = votes.remove(&r.group).unwrap_or_default();
            Some((name, Figures::from_row(r, v, rules)))
        })
        .collect();
    let mut out = CampaignFigures {
        overall: Figures::from_row(&total, all_votes, rules),
        variants,
    };
    add_calls(store, id, &mut out)?;
    Ok(out)
}

/// Fills `calls` and `unique_callers` from the calls attributed to campaign `id`.
pub fn add_calls(store: &Store, id: i64, figures: &mut CampaignFigures) -> Result<(), StoreError> {
    let counts = store.campaign_calls(id)?;
    figures.overall.calls = counts.calls;
    figures.overall.unique_callers = counts.unique_callers;
    for (variant, calls, unique) in counts.by_variant {
        let f = figures.variants.entry(variant).or_insert_with(|| Figures {
            currency: figures.overall.currency.clone(),
            ..Figures::default()
        });
        f.calls = calls;
        f.unique_callers = unique;
    }
    Ok(())
}
