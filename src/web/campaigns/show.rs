//! A campaign's page (`/campaigns/{id}`): its live progress (a fragment
//! htmx reloads every 3 s while it can still change), the buttons that
//! move it (start a draft, pause, resume, cancel — each asks first where
//! it cannot be undone; they call `api::campaigns::apply`, as the API's
//! endpoints do), and its results: figures, charts over time and per
//! variant ([`crate::web::charts`]), the A/B decision, a breakdown by a
//! contact attribute (`api::campaign_reports::group_by` +
//! `campaigns::metrics::grouped`) and a comparison with the campaigns
//! before it (`campaigns::metrics::figures`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::{campaign_id, eta_context, see_other, status_class};
use crate::api::campaign_view::{CampaignView, build};
use crate::api::error::ApiError;
use crate::campaigns::metrics::{self, Figures};
use crate::campaigns::{Action, CampaignStatus};
use crate::web::charts::{self, Series};
use crate::web::{Viewer, WebError, WebState, format};

/// Groups a breakdown shows at most.
const GROUPS_SHOWN: usize = 50;
/// Earlier campaigns compared with.
const COMPARED: usize = 4;

/// A breakdown row.
#[derive(Debug, Serialize)]
struct Group {
    group: Option<String>,
    figures: Figures,
}

/// A campaign in the comparison.
#[derive(Debug, Serialize)]
struct Compared {
    id: i64,
    name: String,
    status: String,
    this: bool,
    figures: Figures,
}

/// Everything the page shows, read in one go.
struct Data {
    view: CampaignView,
    status: CampaignStatus,
    times: Times,
    hours: Vec<crate::api::campaign_reports::CampaignHour>,
    attrs: Vec<String>,
    by: String,
    groups: Result<Vec<Group>, String>,
    more_groups: bool,
    compared: Vec<Compared>,
    segment_name: Option<String>,
}

/// The campaign's times in ms, for the time filters.
#[derive(Debug, Default, Serialize)]
struct Times {
    created: i64,
    started: Option<i64>,
    start_at: Option<i64>,
    deadline: Option<i64>,
    finished: Option<i64>,
    decided: Option<i64>,
}

fn query_param(q: Option<&str>, name: &str) -> Option<String> {
    q.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// What [`read`] reads beyond the campaign and its progress.
#[derive(Debug, Clone, Default)]
struct Parts {
    /// The results: the hourly series for the charts.
    results: bool,
    /// The breakdown, grouped by this (`None`: not read).
    by: Option<String>,
    /// The earlier campaigns' figures.
    compare: bool,
}

/// The breakdown shown when none was asked for: by variant, what an A/B
/// test is read by (one row for a campaign of one text).
const DEFAULT_BY: &str = "variant";

async fn read(w: &WebState, id: i64, parts: Parts) -> Result<Data, WebError> {
    let full = parts.results;
    let rules = w.api.campaigns.clone();
    let sims = w.api.dispatcher.sim_capacities();
    let now = w.now_ms();
    let data = w
        .api
        .store
        .run(move |s| {
            let row = s
                .campaign(id)?
                .ok_or_else(|| crate::api::campaigns::no_campaign(id))?;
            let times = Times {
                created: row.created_at,
                started: row.started_at,
                start_at: row.start_at.or(row.spec.start_at),
                deadline: row.deadline.or(row.spec.deadline),
                finished: row.finished_at,
                decided: row.decided_at,
            };
            let status = row.status;
            let segment_name = match &row.spec.audience {
                crate::campaigns::spec::Audience::Segment(sid) => s.segment(*sid)?.map(|r| r.name),
                _ => None,
            };
            let view = build(
                s,
                row,
                &rules,
                &sims,
                now,
                full && status == CampaignStatus::Draft,
            )?;
            let mut data = Data {
                view,
                status,
                times,
                hours: Vec::new(),
                attrs: Vec::new(),
                by: String::new(),
                groups: Ok(Vec::new()),
                more_groups: false,
                compared: Vec::new(),
                segment_name,
            };
            if status == CampaignStatus::Draft {
                return Ok::<_, ApiError>(data);
            }
            if full {
                data.hours = crate::api::campaign_reports::hours(&s.campaign_hours(id)?);
            }
            if full || parts.by.is_some() {
                data.attrs = s.attribute_types()?.into_keys().collect();
            }
            data.by = parts
                .by
                .clone()
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| DEFAULT_BY.to_string());
            data.groups = match parts.by.is_some() {
                false => Err(String::new()),
                true => match crate::api::campaign_reports::group_by(&data.by, s)? {
                    Ok(g) => {
                        let mut groups: Vec<Group> = metrics::grouped(s, id, &g, &rules)?
                            .into_iter()
                            .map(|(group, figures)| Group { group, figures })
                            .collect();
                        data.more_groups = groups.len() > GROUPS_SHOWN;
                        groups.truncate(GROUPS_SHOWN);
                        Ok(groups)
                    }
                    Err(e) => Err(e.message),
                },
            };
            if parts.compare {
                data.compared.push(Compared {
                    id,
                    name: data.view.name.clone(),
                    status: status.as_str().into(),
                    this: true,
                    figures: data.view.figures.overall.clone(),
                });
                for r in s.campaigns_started_before(id, COMPARED)? {
                    data.compared.push(Compared {
                        id: r.id,
                        name: r.spec.name.clone(),
                        status: r.status.as_str().into(),
                        this: false,
                        figures: metrics::figures(s, r.id, &rules)?.overall,
                    });
                }
            }
            Ok(data)
        })
        .await?;
    Ok(data)
}

/// Five labels along a time axis, in the viewer's zone.
fn time_labels(
    hours: &[crate::api::campaign_reports::CampaignHour],
    viewer: &Viewer,
) -> Vec<(usize, String)> {
    let n = hours.len();
    if n == 0 {
        return Vec::new();
    }
    let span = hours[n - 1].hour_ms - hours[0].hour_ms;
    let picks: Vec<usize> = if n <= 5 {
        (0..n).collect()
    } else {
        (0..5).map(|k| k * (n - 1) / 4).collect()
    };
    picks
        .into_iter()
        .map(|i| {
            let t = hours[i].hour_ms;
            let text = if span < 86_400_000 {
                format::time(t, viewer.tz)
            } else {
                format::datetime(t, viewer.tz, viewer.lang)
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            (i, text)
        })
        .collect()
}

fn text(w: &WebState, viewer: &Viewer, id: &str) -> String {
    w.shared.renderer.catalog().text(viewer.lang, id, None)
}

/// Renders the page (or, `fragment`, only its progress).
fn render(
    w: &WebState,
    viewer: &Viewer,
    d: Data,
    template: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let fragment = template != "campaigns_show.html";
    let live = !d.status.is_final() && d.status != CampaignStatus::Draft;
    let t = |id: &str| text(w, viewer, id);
    let (over_time, per_variant, variant_names) = if fragment || d.status == CampaignStatus::Draft {
        (String::new(), String::new(), Vec::new())
    } else {
        let pick = |f: fn(&crate::api::campaign_reports::CampaignHour) -> u64| -> Vec<f64> {
            d.hours.iter().map(|h| f(h) as f64).collect()
        };
        let series = vec![
            Series {
                name: t("campaigns-fig-sent"),
                values: pick(|h| h.sent),
            },
            Series {
                name: t("campaigns-fig-delivered"),
                values: pick(|h| h.delivered),
            },
            Series {
                name: t("campaigns-fig-replies"),
                values: pick(|h| h.replies),
            },
            Series {
                name: t("campaigns-fig-optouts"),
                values: pick(|h| h.opt_outs),
            },
            Series {
                name: t("campaigns-fig-clicks"),
                values: pick(|h| h.clicks),
            },
            Series {
                name: t("campaigns-fig-conversions"),
                values: pick(|h| h.conversions),
            },
        ];
        let over_time = charts::lines(
            "chart-time",
            &t("campaigns-chart-time"),
            &series,
            &time_labels(&d.hours, viewer),
            &t("campaigns-chart-empty"),
        );
        let metrics_names = vec![
            t("campaigns-rate-delivery"),
            t("campaigns-rate-reply"),
            t("campaigns-rate-optout"),
            t("campaigns-rate-ctr"),
            t("campaigns-rate-conversion"),
        ];
        let variants: Vec<Series> = d
            .view
            .figures
            .variants
            .iter()
            .map(|(name, f)| Series {
                name: name.clone(),
                values: [
                    f.delivery_rate,
                    f.reply_rate,
                    f.opt_out_rate,
                    f.ctr,
                    f.conversion_rate,
                ]
                .iter()
                .map(|r| r.unwrap_or(0.0))
                .collect(),
            })
            .collect();
        let names: Vec<String> = variants.iter().map(|s| s.name.clone()).collect();
        let nothing_sent = d.view.figures.overall.sent == 0;
        let per_variant = charts::bars(
            "chart-variants",
            &t("campaigns-chart-variants"),
            if nothing_sent { &[] } else { &metrics_names },
            &variants,
            true,
            &t("campaigns-chart-empty"),
        );
        (over_time, per_variant, names)
    };
    let time_series: Vec<String> = [
        "campaigns-fig-sent",
        "campaigns-fig-delivered",
        "campaigns-fig-replies",
        "campaigns-fig-optouts",
        "campaigns-fig-clicks",
        "campaigns-fig-conversions",
    ]
    .iter()
    .map(|id| t(id))
    .collect();
    let legend = |names: &[String]| -> Vec<(String, &'static str)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), charts::colour(i)))
            .collect()
    };
    let eta = eta_context(&d.view.eta);
    // `Err("")`: not read (loaded after the page).
    let (groups, groups_error, groups_read) = match d.groups {
        Ok(g) => (g, None, true),
        Err(e) if e.is_empty() => (Vec::new(), None, false),
        Err(e) => (Vec::new(), Some(e), true),
    };
    let compared_read = !d.compared.is_empty();
    let failed = error.is_some();
    let ab_after = d
        .view
        .ab_test
        .as_ref()
        .and_then(|a| a.get("decide_after"))
        .and_then(|a| a.as_str())
        .and_then(|a| crate::campaigns::spec::parse_duration(a).ok())
        .map(super::form::split_duration);
    let recent_hours: Vec<_> = d.hours.iter().rev().take(24).collect();
    let ctx = context! {
        c => super::v(&d.view),
        cls => status_class(d.status),
        live => live,
        final_ => d.status.is_final(),
        times => super::v(&d.times),
        eta => eta,
        error => error,
        segment_name => d.segment_name,
        chart_time => over_time,
        chart_variants => per_variant,
        legend_time => legend(&time_series),
        legend_variants => legend(&variant_names),
        hours => super::v(&recent_hours),
        attrs => d.attrs,
        by => d.by,
        groups => super::v(&groups),
        groups_error => groups_error,
        groups_read => groups_read,
        compared_read => compared_read,
        more_groups => d.more_groups,
        compared => super::v(&d.compared),
        ab_after => ab_after,
    };
    let mut r = w.page(template, viewer, ctx)?;
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /campaigns/{id}?by=…&compare=1`: the campaign's page. The
/// breakdown and the comparison (an aggregate per campaign each) are
/// loaded after the page ([`breakdown`], [`compare`]) unless asked for
/// in the address (a browser without JavaScript follows the links).
pub async fn page(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let parts = Parts {
        results: true,
        by: query_param(q.as_deref(), "by"),
        compare: query_param(q.as_deref(), "compare").is_some(),
    };
    let d = read(&w, id, parts).await?;
    render(&w, &viewer, d, "campaigns_show.html", None)
}

/// `GET /campaigns/{id}/breakdown?by=…`: the breakdown table alone.
pub async fn breakdown(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let by = query_param(q.as_deref(), "by").unwrap_or_default();
    let parts = Parts {
        by: Some(by),
        ..Parts::default()
    };
    let d = read(&w, id, parts).await?;
    render(&w, &viewer, d, "campaigns_breakdown.html", None)
}

/// `GET /campaigns/{id}/compare`: the comparison table alone.
pub async fn compare(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let parts = Parts {
        compare: true,
        ..Parts::default()
    };
    let d = read(&w, id, parts).await?;
    render(&w, &viewer, d, "campaigns_compare.html", None)
}

/// `GET /campaigns/{id}/progress`: the live part. Once the campaign is
/// over, htmx is told to reload the page so the final results show.
pub async fn progress(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let d = read(&w, id, Parts::default()).await?;
    let over = d.status.is_final();
    let mut r = render(&w, &viewer, d, "campaigns_progress.html", None)?;
    if over && viewer.htmx {
        r.headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(r)
}

/// `POST /campaigns/{id}/{start|pause|resume|cancel}`: the buttons. A
/// campaign already where the button would take it (a double click) just
/// shows its page; a start that cannot happen says why on the page.
pub async fn act(
    State(w): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let action = match action.as_str() {
        "start" => Action::Start,
        "pause" => Action::Pause,
        "resume" => Action::Resume,
        "cancel" => Action::Cancel,
        _ => return Err(WebError::not_found("no such page")),
    };
    match crate::api::campaigns::apply(&w.api, id, action).await {
        Ok(_) => Ok(see_other(&viewer, &format!("/campaigns/{id}"))),
        Err(e) if e.code == "wrong_status" => Ok(see_other(&viewer, &format!("/campaigns/{id}"))),
        Err(e) if e.status.is_client_error() && e.code != "not_found" => {
            let parts = Parts {
                results: true,
                ..Parts::default()
            };
            let d = read(&w, id, parts).await?;
            let title_id = format!("error-{}", e.code);
            let c = w.shared.renderer.catalog();
            let message = if c.has(viewer.lang, &title_id) {
                format!("{}: {}", c.text(viewer.lang, &title_id, None), e.message)
            } else {
                e.message.clone()
            };
            let viewer = Viewer {
                htmx: false,
                ..viewer
            };
            render(&w, &viewer, d, "campaigns_show.html", Some(message))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::campaigns::ms;

    #[test]
    fn the_breakdown_is_read_from_the_query() {
        assert_eq!(
            query_param(Some("by=attributes.city&x=1"), "by").as_deref(),
            Some("attributes.city")
        );
        assert_eq!(query_param(Some("by=tag"), "by").as_deref(), Some("tag"));
        assert_eq!(query_param(None, "by"), None);
        assert_eq!(ms(Some("2026-01-01T00:00:00Z")), Some(1_767_225_600_000));
    }
}
