//! The campaign as the API shows it (`GET /v1/campaigns/{id}`, every
//! lifecycle answer, lists): the request with the effective defaults
//! filled, the lifecycle times, `progress` (recipients by state and
//! reason, from `Store::campaign_recipient_states`), `figures`
//! ([`crate::campaigns::metrics`]), `eta` ([`crate::campaigns::eta`]), the
//! A/B `decision`, and for a draft who a start now would reach.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::campaigns::eta::{self, Eta, SimCapacity};
use crate::campaigns::metrics::{self, CampaignFigures, ExcludedByReason, Figures};
use crate::campaigns::spec::{Audience, ContactRef, FrequencyCap};
use crate::campaigns::start::exclusion;
use crate::campaigns::window::WindowSpec;
use crate::campaigns::{CampaignRules, CampaignStatus, Spec};
use crate::phone::{Msisdn, Region};
use crate::store::{CampaignRow, ContactKey, SegmentError, Store, StoreError, rfc3339};

/// Where the recipients fixed at start are, one stage each, in the same
/// words and counts as `figures.overall`: `audience` = `pending` + `queued`
/// + `done` + `excluded` + `expired` + `cancelled`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, ToSchema)]
pub struct Progress {
    /// Recipients fixed at start (0 before).
    pub audience: u64,
    /// Not yet a message: waiting for their window, the cap, a SIM or the A/B decision.
    pub pending: u64,
    /// Their message exists but has not been sent yet.
    pub queued: u64,
    /// Their message is final: sent (delivered included), failed or unknown.
    pub done: u64,
    /// Left out, whenever it was found (at start, at their turn, or their
    /// message suppressed at dispatch): the sum of `by_reason`.
    pub excluded: u64,
    /// Not sent by the deadline though their window was open (the SIMs
    /// did not get to them), or their message's validity ran out.
    pub expired: u64,
    /// Cancelled with the campaign before their message left.
    pub cancelled: u64,
    /// `excluded` by reason (no consent, opted out, invalid, capped,
    /// window missed, render failed).
    pub by_reason: ExcludedByReason,
    /// Share of the audience at a final stage (not pending or queued), 0 to 100 (one decimal).
    pub percent_done: f64,
}

impl Progress {
    /// The stages of the campaign's overall figures.
    pub fn from_figures(f: &Figures) -> Progress {
        let r = f.excluded.clone();
        let excluded = r.no_consent + r.opted_out + r.invalid + r.capped + r.window_missed + r.render_failed;
        let mut p = Progress {
            audience: f.audience,
            pending: f.pending,
            queued: f.queued,
            done: f.done,
            excluded,
            expired: f.expired,
            cancelled: f.cancelled,
            by_reason: r,
            percent_done: 0.0,
        };
        if p.audience > 0 {
            let finished = p.audience.saturating_sub(p.pending + p.queued);
            p.percent_done = (finished as f64 / p.audience as f64 * 1000.0).round() / 10.0;
        }
        p
    }
}

/// Who a draft would reach if started now (the audience is fixed only at
/// start; a contact added or opted out before then changes it).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DraftAudience {
    /// Recipients a start now would message (consent, active, not opted out).
    pub count: u64,
    /// Everyone the audience names (`count` plus the excluded).
    pub matched: u64,
    /// Left out, and why.
    pub excluded: DraftExcluded,
}

/// Who a start now would leave out.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DraftExcluded {
    /// No consent (or not a contact).
    pub no_consent: u64,
    /// Opted out.
    pub opted_out: u64,
    /// Invalid number.
    pub invalid: u64,
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// Campaign id (a decimal string).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is in its lifecycle.
    pub status: CampaignStatus,
    /// Why it is there, in words (paused by the user, completed, …).
    pub status_reason: Option<String>,
    /// The audience as given; a `contacts` list shows at most its first
    /// [`AUDIENCE_SHOWN`] (100) entries, with `contacts_count` the whole
    /// list's length (the stored request keeps them all).
    #[schema(value_type = Object)]
    pub audience: Value,
    /// The variants as checked: name, text, weight.
    pub variants: Vec<VariantView>,
    /// The window each recipient's clock must be in (the campaign's, or the `[campaigns]` default).
    pub window: WindowSpec,
    /// Most messages per hour, if limited.
    pub rate_per_hour: Option<u32>,
    /// Caps per contact across marketing (the campaign's, or the `[campaigns]` default).
    pub frequency_cap: FrequencyCap,
    /// The A/B test as given.
    #[schema(value_type = Option<Object>)]
    pub ab_test: Option<Value>,
    /// Delivery reports asked for.
    pub status_report: bool,
    /// The survey the text asks, as given (options, count, invalid_reply).
    pub survey: Option<crate::campaigns::spec::SurveyInput>,
    /// Call tracking as given: the SIM whose calls count for it.
    pub call_tracking: Option<crate::campaigns::spec::CallTrackingInput>,
    /// Its survey's id once started (`/v1/surveys/{id}`).
    pub survey_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// When the audience was fixed (RFC 3339).
    pub started_at: Option<String>,
    /// When sending begins: as given for a draft, as fixed once started (RFC 3339).
    pub start_at: Option<String>,
    /// After this nothing is sent: as given for a draft, as fixed once started (RFC 3339).
    pub deadline: Option<String>,
    /// Completed or cancelled at (RFC 3339).
    pub finished_at: Option<String>,
    /// For a draft: who a start now would reach (null once started, in lists, or when it cannot be read).
    pub draft_audience: Option<DraftAudience>,
    /// Recipients by state.
    pub progress: Progress,
    /// Figures, overall and per variant.
    pub figures: CampaignFigures,
    /// What the ready SIMs can send before the deadline.
    pub eta: Eta,
    /// The A/B decision with its figures and p-value, once made.
    #[schema(value_type = Option<Object>)]
    pub decision: Option<Value>,
    /// When it was decided (RFC 3339).
    pub decided_at: Option<String>,
}

/// One variant.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    /// Its name.
    pub name: String,
    /// Its template.
    pub text: String,
    /// Its relative weight.
    pub weight: u32,
}

/// A page of campaigns.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignPage {
    /// Campaigns, oldest first.
    pub campaigns: Vec<CampaignView>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// Builds the view of `row` at `now`.
pub fn view(
    s: &Store,
    row: CampaignRow,
    rules: &CampaignRules,
    sims: &[SimCapacity],
    now: i64,
) -> Result<CampaignView, StoreError> {
    build(s, row, rules, sims, now, true)
}

/// The view; `with_draft_audience` false leaves `draft_audience` null (in
/// lists: reading a listed audience of 100,000 numbers for every draft on
/// a page would make a list slow).
pub fn build(
    s: &Store,
    row: CampaignRow,
    rules: &CampaignRules,
    sims: &[SimCapacity],
    now: i64,
    with_draft_audience: bool,
) -> Result<CampaignView, StoreError> {
    let figures = metrics::figures(s, row.id, rules)?;
    let progress = Progress::from_figures(&figures.overall);
    let eta = if with_draft_audience && row.status == CampaignStatus::Draft {
        eta::estimate_draft(s, &row, sims, rules, now)?
    } else {
        eta::estimate(s, &row, sims, rules, now)?
    };
    let draft_audience = if with_draft_audience && row.status == CampaignStatus::Draft {
        draft_audience(s, &row.spec, rules.region, now)?
    } else {
        None
    };
    let spec = row.spec;
    let window = spec.window_or(rules.window).spec();
    Ok(CampaignView {
        id: row.id.to_string(),
        name: spec.name,
        status: row.status,
        status_reason: row.status_reason,
        audience: shown_audience(spec.input.audience.as_ref()),
        variants: spec
            .variants
            .into_iter()
            .map(|v| VariantView {
                name: v.name,
                text: v.text,
                weight: v.weight,
            })
            .collect(),
        window,
        rate_per_hour: spec.rate_per_hour,
        frequency_cap: spec.frequency_cap.map_or(rules.cap, |c| c.resolve(rules.cap)),
        ab_test: spec
            .input
            .ab_test
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok()),
        status_report: spec.status_report,
        survey: spec.input.survey.clone(),
        call_tracking: spec.input.call_tracking.clone(),
        survey_id: row.survey_id.map(|id| id.to_string()),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        started_at: row.started_at.map(rfc3339),
        start_at: row.start_at.or(spec.start_at).map(rfc3339),
        deadline: row.deadline.or(spec.deadline).map(rfc3339),
        finished_at: row.finished_at.map(rfc3339),
        draft_audience,
        progress,
        figures,
        eta,
        decision: row.decision,
        decided_at: row.decided_at.map(rfc3339),
    })
}

/// Most entries of a `contacts` audience a view shows.
pub const AUDIENCE_SHOWN: usize = 100;

/// The audience as a view shows it: a `contacts` list cut to its first
/// [`AUDIENCE_SHOWN`] entries, plus `contacts_count`.
fn shown_audience(audience: Option<&Value>) -> Value {
    let Some(audience) = audience else {
        return Value::Null;
    };
    match audience.get("contacts").and_then(Value::as_array) {
        Some(list) => {
            let mut shown = serde_json::Map::new();
            if let Value::Object(o) = audience {
                for (k, v) in o {
                    if k != "contacts" {
                        shown.insert(k.clone(), v.clone());
                    }
                }
            }
            shown.insert(
                "contacts".to_string(),
                Value::Array(list.iter().take(AUDIENCE_SHOWN).cloned().collect()),
            );
            shown.insert("contacts_count".to_string(), Value::from(list.len()));
            Value::Object(shown)
        }
        None => audience.clone(),
    }
}

/// Who a draft would reach now; `None` when its audience cannot be read
/// (its segment was deleted since: the start will say so).
pub fn draft_audience(
    s: &Store,
    spec: &Spec,
    region: Region,
    now: i64,
) -> Result<Option<DraftAudience>, StoreError> {
    let filter = match &spec.audience {
        Audience::Segment(id) => match s.segment_filter(*id) {
            Ok(Some(f)) => f,
            Ok(None) | Err(SegmentError::Invalid(_)) => return Ok(None),
            Err(SegmentError::Store(e)) => return Err(e),
            Err(_) => return Ok(None),
        },
        Audience::Filter(json) => match s.parse_filter(json) {
            Ok(f) => f,
            Err(SegmentError::Store(e)) => return Err(e),
            Err(_) => return Ok(None),
        },
        Audience::Contacts(list) => {
            let mut out = DraftAudience::default();
            let mut seen = std::collections::HashSet::new();
            for entry in list {
                let contact = match entry {
                    ContactRef::Id(id) => s.contact(&ContactKey::Id(*id))?,
                    ContactRef::Phone(p) => match Msisdn::parse(p, region) {
                        Ok(n) => s.contact(&ContactKey::Phone(n.as_str().to_string()))?,
                        Err(_) => return Ok(None),
                    },
                };
                let key = match &contact {
                    Some(c) => c.phone.clone(),
                    None => format!("{entry:?}"),
                };
                if !seen.insert(key) {
                    continue;
                }
                out.matched += 1;
                match contact.as_ref().map(exclusion) {
                    Some(None) => out.count += 1,
                    Some(Some(("opted_out", _))) => out.excluded.opted_out += 1,
                    Some(Some(("invalid", _))) => out.excluded.invalid += 1,
                    _ => out.excluded.no_consent += 1,
                }
            }
            return Ok(Some(out));
        }
    };
    let p = s.segment_preview(&filter, now, 0)?;
    Ok(Some(DraftAudience {
        count: p.count,
        matched: p.matched,
        excluded: DraftExcluded {
            no_consent: p.excluded.no_consent,
            opted_out: p.excluded.opted_out,
            invalid: p.excluded.invalid,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_uses_the_figures_stages_and_reasons() {
        let mut f = Figures {
            audience: 10,
            pending: 2,
            queued: 1,
            done: 3,
            expired: 1,
            cancelled: 0,
            ..Figures::default()
        };
        f.excluded.no_consent = 1;
        f.excluded.opted_out = 1;
        f.excluded.window_missed = 1;
        let p = Progress::from_figures(&f);
        assert_eq!(
            (p.audience, p.pending, p.queued, p.done, p.excluded, p.expired),
            (10, 2, 1, 3, 3, 1)
        );
        assert_eq!(p.by_reason, f.excluded);
        assert_eq!(p.percent_done, 70.0);
    }

    #[test]
    fn a_long_contacts_audience_shows_its_first_hundred_and_the_count() {
        let list: Vec<Value> = (0..250).map(|i| Value::from(format!("+7916{i:07}"))).collect();
        let a = shown_audience(Some(&serde_json::json!({"contacts": list})));
        assert_eq!(a["contacts"].as_array().map(Vec::len), Some(AUDIENCE_SHOWN));
        assert_eq!(a["contacts"][0], "+79160000000");
        assert_eq!(a["contacts_count"], 250);
        let seg = serde_json::json!({"segment": 3});
        assert_eq!(shown_audience(Some(&seg)), seg);
    }
}
