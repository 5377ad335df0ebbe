//! The campaign list (`/campaigns`): newest first, 50 a page with an
//! "older" keyset link, filtered by status. It reads the campaigns table
//! only — how far an active campaign has got comes from its recipients'
//! state counts, and only for the few scheduled, running or paused ones.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::status_class;
use crate::campaigns::CampaignStatus;
use crate::campaigns::spec::Audience;
use crate::web::{Viewer, WebError, WebState};

/// Campaigns a page shows.
pub const PAGE: usize = 50;

/// One row of the list.
#[derive(Debug, Serialize)]
struct Item {
    id: i64,
    name: String,
    status: &'static str,
    cls: &'static str,
    created: i64,
    started: Option<i64>,
    start_at: Option<i64>,
    finished: Option<i64>,
    /// `segment`, `filter` or `list`.
    audience: &'static str,
    segment_name: Option<String>,
    listed: usize,
    variants: usize,
    ab: bool,
    /// Share of the audience done, 0–100 (active campaigns).
    percent: Option<f64>,
    audience_size: Option<u64>,
}

/// `GET /campaigns?status=&before=`.
pub async fn page(
    State(w): State<WebState>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    let param = |name: &str| {
        q.as_deref().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
    };
    let status = param("status").and_then(|s| s.parse::<CampaignStatus>().ok());
    let before = param("before")
        .and_then(|b| b.parse::<i64>().ok())
        .filter(|b| *b > 0)
        .unwrap_or(0);
    let (items, older) = w
        .api
        .store
        .run(move |s| {
            let mut rows = s.campaigns_newest_first(status, before, PAGE + 1)?;
            let older = (rows.len() > PAGE).then(|| rows[PAGE - 1].id);
            rows.truncate(PAGE);
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                let (audience, segment_name, listed) = match &r.spec.audience {
                    Audience::Segment(id) => ("segment", s.segment(*id)?.map(|g| g.name), 0),
                    Audience::Filter(_) => ("filter", None, 0),
                    Audience::Contacts(l) => ("list", None, l.len()),
                };
                let active = matches!(
                    r.status,
                    CampaignStatus::Scheduled | CampaignStatus::Running | CampaignStatus::Paused
                );
                let (percent, audience_size) = if active {
                    let states = s.campaign_recipient_states(r.id)?;
                    let total: u64 = states.iter().map(|(_, _, n)| n).sum();
                    let open: u64 = states
                        .iter()
                        .filter(|(st, _, _)| st == "pending")
                        .map(|(_, _, n)| n)
                        .sum();
                    let p = if total > 0 {
                        ((total - open) as f64 / total as f64 * 1000.0).round() / 10.0
                    } else {
                        0.0
                    };
                    (Some(p), Some(total))
                } else {
                    (None, None)
                };
                items.push(Item {
                    id: r.id,
                    name: r.spec.name.clone(),
                    status: r.status.as_str(),
                    cls: status_class(r.status),
                    created: r.created_at,
                    started: r.started_at,
                    start_at: r.start_at.or(r.spec.start_at),
                    finished: r.finished_at,
                    audience,
                    segment_name,
                    listed,
                    variants: r.spec.variants.len(),
                    ab: r.spec.ab_test.is_some(),
                    percent,
                    audience_size,
                });
            }
            Ok::<_, crate::store::StoreError>((items, older))
        })
        .await?;
    let statuses: Vec<&str> = CampaignStatus::ALL.iter().map(|s| s.as_str()).collect();
    w.page(
        "campaigns_list.html",
        &viewer,
        context! {
            items => super::v(&items),
            older => older,
            paged => before > 0,
            status => status.map(|s| s.as_str()),
            statuses => statuses,
        },
    )
}
