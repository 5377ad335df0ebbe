//! A campaign's reports: its figures broken down by a contact attribute,
//! tag, time zone or variant (`/breakdown`), several campaigns side by side
//! (`/compare`), an hourly time series for charts (`/timeseries`) and
//! every recipient as CSV (`/recipients.csv`, streamed, safe to open in a
//! spreadsheet). The figures are `campaigns::metrics`'s, counted by one
//! aggregate query per campaign and grouping.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::contacts_csv::{CHUNK, Chunks, Stream};
use super::error::ApiError;
use super::state::AppState;
use crate::campaigns::metrics::{self, CampaignFigures, Figures};
use crate::export::SafeCsv;
use crate::store::{GroupBy, Store, StoreError, rfc3339};

/// Most campaigns one comparison takes.
pub const MAX_COMPARE: usize = 20;
/// Recipients read per page of the CSV export.
const PAGE: usize = 1000;
/// Longest run of hours the time series fills with zeros (100 days).
const MAX_FILLED_HOURS: i64 = 2400;

use super::campaigns::{campaign_id, no_campaign};

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message)
}

/// The campaign's name and status, or 404.
async fn known(app: &AppState, id: i64) -> Result<(String, String), ApiError> {
    let row = app.store.run(move |s| s.campaign(id)).await?;
    row.map(|r| (r.spec.name, r.status.as_str().to_string()))
        .ok_or_else(|| no_campaign(id))
}

/// Query of `/breakdown`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// `variant` (the default), `time_zone`, `tag` or `attributes.NAME` (a
    /// contact attribute, e.g. `attributes.city`).
    #[param(max_length = 200, example = "attributes.city")]
    by: Option<String>,
}

/// One group of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownGroup {
    /// The group's value: the variant, zone, tag (folded) or attribute
    /// value as text; `null` for none (no tag, attribute not set, or a
    /// recipient still waiting for the A/B winner).
    pub group: Option<String>,
    /// Its figures.
    pub figures: Figures,
}

/// A campaign's figures by group.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignBreakdown {
    /// Campaign id.
    pub campaign_id: String,
    /// What it is grouped by, as asked.
    pub by: String,
    /// Groups in order of their value (`null` first). A contact in several
    /// tags counts in each; tags and attributes are the contacts' now.
    pub groups: Vec<BreakdownGroup>,
}

/// Reads `by` (`variant`, `time_zone`, `tag`, `attributes.NAME`) into a
/// grouping; the inner error is the API's answer to a bad one.
pub fn group_by(by: &str, store: &Store) -> Result<Result<GroupBy, ApiError>, StoreError> {
    Ok(match by {
        "variant" => Ok(GroupBy::Variant),
        "time_zone" => Ok(GroupBy::TimeZone),
        "tag" => Ok(GroupBy::Tag),
        other => match other.strip_prefix("attributes.") {
            Some(name) => {
                if store.attribute_types()?.contains_key(name) {
                    Ok(GroupBy::Attribute(name.to_string()))
                } else {
                    Err(ApiError::invalid(
                        "unknown_attribute",
                        format!("no contact has an attribute {name:?}"),
                    ))
                }
            }
            None => Err(bad_query(format!(
                "by {other:?}: expected variant, time_zone, tag or attributes.NAME"
            ))),
        },
    })
}

/// `GET /v1/campaigns/{id}/breakdown?by=…`: the campaign's figures per
/// group (the guides' "compare segments").
#[utoipa::path(get, path = "/v1/campaigns/{id}/breakdown", operation_id = "campaign_breakdown", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$"), BreakdownQuery),
    responses(
        (status = 200, description = "Figures per group", body = CampaignBreakdown),
        (status = 400, description = "`by` missing or not one of variant, time_zone, tag, attributes.NAME, or an unknown parameter (`bad_query`); an unreadable path (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 422, description = "`attributes.NAME` names an attribute no contact has (`unknown_attribute`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn breakdown(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<BreakdownQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    let Query(q) = query?;
    let by = q.by.unwrap_or_else(|| "variant".to_string());
    known(&app, id).await?;
    let rules = app.campaigns.clone();
    let asked = by.clone();
    let groups = app
        .store
        .run(
            move |s| -> Result<Result<Vec<BreakdownGroup>, ApiError>, StoreError> {
                let grouping = match group_by(&asked, s)? {
                    Ok(g) => g,
                    Err(e) => return Ok(Err(e)),
                };
                Ok(Ok(metrics::grouped(s, id, &grouping, &rules)?
                    .into_iter()
                    .map(|(group, figures)| BreakdownGroup { group, figures })
                    .collect()))
            },
        )
        .await??;
    Ok(Json(CampaignBreakdown {
        campaign_id: id.to_string(),
        by,
        groups,
    })
    .into_response())
}

/// Query of `/compare`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Campaign ids, comma-separated (1 to 20).
    #[param(
        max_length = 400,
        example = "1,2,3",
        pattern = r"^[0-9]{1,18}(,[0-9]{1,18}){0,19}$"
    )]
    ids: String,
}

/// One campaign in a comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedCampaign {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Lifecycle status.
    pub status: String,
    /// Its figures, overall and per variant.
    pub figures: CampaignFigures,
}

/// Campaigns side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignComparison {
    /// In the order asked.
    pub campaigns: Vec<ComparedCampaign>,
}

fn compare_ids(ids: Option<&str>) -> Result<Vec<i64>, ApiError> {
    let ids = ids.ok_or_else(|| bad_query("ids is required: campaign ids, comma-separated (1,2,3)"))?;
    let mut out: Vec<i64> = Vec::new();
    for part in ids.split(',') {
        let p = part.trim();
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_query(format!("ids: {p:?} is not a campaign id")));
        }
        // Digits that name no campaign (0, or past any id) are unknown
        // campaigns, read as in a path: 404 like any other.
        let id = campaign_id(p)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > MAX_COMPARE {
        return Err(bad_query(format!("ids: at most {MAX_COMPARE} campaigns")));
    }
    Ok(out)
}

/// `GET /v1/campaigns/compare?ids=1,2,3`: the figures of several campaigns
/// side by side.
#[utoipa::path(get, path = "/v1/campaigns/compare", operation_id = "compare_campaigns", tag = "campaigns",
    params(CompareQuery),
    responses(
        (status = 200, description = "The campaigns' figures, in the order asked (an id given twice once)", body = CampaignComparison),
        (status = 400, description = "`ids` missing, not comma-separated positive integers, or more than 20 (`bad_query`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "One of the campaigns does not exist (the message names it)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn compare(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let ids = compare_ids(Some(&q.ids))?;
    let rules = app.campaigns.clone();
    let campaigns = app
        .store
        .run(
            move |s| -> Result<Result<Vec<ComparedCampaign>, ApiError>, StoreError> {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let Some(row) = s.campaign(id)? else {
                        return Ok(Err(no_campaign(id)));
                    };
                    out.push(ComparedCampaign {
                        id: id.to_string(),
                        name: row.spec.name,
                        status: row.status.as_str().to_string(),
                        figures: metrics::figures(s, id, &rules)?,
                    });
                }
                Ok(Ok(out))
            },
        )
        .await??;
    Ok(Json(CampaignComparison { campaigns }).into_response())
}

/// One hour of a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignHour {
    /// Start of the hour, RFC 3339 (UTC).
    pub hour: String,
    /// `hour` in unix ms.
    #[serde(skip)]
    pub hour_ms: i64,
    /// Messages the network accepted in it.
    pub sent: u64,
    /// Delivered (by delivery report) in it.
    pub delivered: u64,
    /// First replies in it.
    pub replies: u64,
    /// Opt-outs attributed to the campaign in it.
    pub opt_outs: u64,
    /// Recipients whose first click on a tracked link (by a person) was in it.
    pub clicks: u64,
    /// Promo codes first redeemed in it (conversions).
    pub conversions: u64,
}

/// A campaign hour by hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignTimeSeries {
    /// Campaign id.
    pub campaign_id: String,
    /// From the first hour with anything to the last, hours with nothing in
    /// between included as zeros (only hours with something when they span
    /// more than 100 days).
    pub hours: Vec<CampaignHour>,
}

/// `GET /v1/campaigns/{id}/timeseries`: sent, delivered, replies and
/// opt-outs per hour, for charts.
#[utoipa::path(get, path = "/v1/campaigns/{id}/timeseries", operation_id = "campaign_timeseries", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Hourly counts (UTC hours)", body = CampaignTimeSeries),
        (status = 400, description = "An unreadable path (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn timeseries(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    known(&app, id).await?;
    let rows = app.store.run(move |s| s.campaign_hours(id)).await?;
    Ok(Json(CampaignTimeSeries {
        campaign_id: id.to_string(),
        hours: hours(&rows),
    })
    .into_response())
}

/// The hours of `rows` (as `Store::campaign_hours` reads them) for a
/// chart: the hours with nothing between them filled with zeros, unless
/// they span more than 100 days.
pub fn hours(rows: &[crate::store::HourRow]) -> Vec<CampaignHour> {
    let hour = |r: &crate::store::HourRow| CampaignHour {
        hour: rfc3339(r.hour),
        hour_ms: r.hour,
        sent: r.sent,
        delivered: r.delivered,
        replies: r.replies,
        opt_outs: r.opt_outs,
        clicks: r.clicks,
        conversions: r.conversions,
    };
    let fill = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => (b.hour - a.hour) / 3_600_000 < MAX_FILLED_HOURS,
        _ => false,
    };
    let mut hours = Vec::with_capacity(rows.len());
    let mut prev: Option<i64> = None;
    for r in rows {
        if fill && let Some(p) = prev {
            let mut t = p + 3_600_000;
            while t < r.hour {
                hours.push(CampaignHour {
                    hour: rfc3339(t),
                    hour_ms: t,
                    sent: 0,
                    delivered: 0,
                    replies: 0,
                    opt_outs: 0,
                    clicks: 0,
                    conversions: 0,
                });
                t += 3_600_000;
            }
        }
        hours.push(hour(r));
        prev = Some(r.hour);
    }
    hours
}

/// The export's header.
pub const CSV_COLUMNS: [&str; 23] = [
    "seq",
    "phone",
    "variant",
    "phase",
    "state",
    "status",
    "reason",
    "reason_text",
    "queued_at",
    "sent_at",
    "delivered_at",
    "replied",
    "replied_at",
    "opted_out",
    "opted_out_at",
    "vote",
    "segments",
    "clicked",
    "clicked_at",
    "converted",
    "converted_at",
    "revenue",
    "calls",
];

fn time(t: Option<i64>) -> String {
    t.map(rfc3339).unwrap_or_default()
}

/// Writes every recipient of campaign `id` as CSV to `out`, a page at a time.
pub fn write_recipients(store: &Store, id: i64, out: impl std::io::Write) -> Result<usize, String> {
    let mut w = SafeCsv::new(out);
    w.row(CSV_COLUMNS).map_err(|e| e.to_string())?;
    let (mut after, mut total) = (0i64, 0usize);
    loop {
        let page = store
            .campaign_recipients_page(id, after, PAGE)
            .map_err(|e| e.to_string())?;
        for r in &page {
            let cells = [
                r.seq.to_string(),
                r.phone.clone(),
                r.variant.clone().unwrap_or_default(),
                r.phase.clone(),
                r.state.clone(),
                r.status.clone().unwrap_or_default(),
                r.reason.clone().unwrap_or_default(),
                r.reason_text.clone().unwrap_or_default(),
                time(r.queued_at),
                time(r.sent_at),
                time(r.delivered_at),
                r.replied_at.is_some().to_string(),
                time(r.replied_at),
                r.opted_out_at.is_some().to_string(),
                time(r.opted_out_at),
                r.vote.clone().unwrap_or_default(),
                r.segments.map(|n| n.to_string()).unwrap_or_default(),
                r.clicked_at.is_some().to_string(),
                time(r.clicked_at),
                r.converted_at.is_some().to_string(),
                time(r.converted_at),
                r.revenue.clone().unwrap_or_default(),
                r.calls.to_string(),
            ];
            w.row(cells.iter().map(String::as_str))
                .map_err(|e| e.to_string())?;
        }
        total += page.len();
        match page.last() {
            Some(r) if page.len() == PAGE => after = r.seq,
            _ => break,
        }
    }
    w.flush().map_err(|e| e.to_string())?;
    Ok(total)
}

/// `GET /v1/campaigns/{id}/recipients.csv`: every recipient with its
/// variant, state, message status, reason, times, reply, opt-out, vote and
/// segments, streamed a page at a time; cells safe to open in a spreadsheet.
#[utoipa::path(get, path = "/v1/campaigns/{id}/recipients.csv", operation_id = "campaign_recipients_csv", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "CSV: seq, phone, variant, phase, state, status, reason, reason_text, queued_at, sent_at, delivered_at, replied, replied_at, opted_out, opted_out_at, vote, segments, clicked, clicked_at (first click by a person on a tracked link), converted, converted_at (promo code first redeemed), revenue (the counted redemption's amount), calls (from the recipient to the campaign's tracking SIM) (times RFC 3339)", body = String, content_type = "text/csv"),
        (status = 400, description = "An unreadable path (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn recipients_csv(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    known(&app, id).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Chunks {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write_recipients(&store, id, &mut out) {
            // The status is sent: cut the transfer so the client sees it.
            tracing::warn!(campaign = id, error = %e, "campaign export stopped");
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"campaign-{id}-recipients.csv\""),
            ),
        ],
        Body::new(Stream { rx }),
    )
        .into_response())
}
