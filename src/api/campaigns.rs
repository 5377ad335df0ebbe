//! `/v1/campaigns`: create a campaign (a draft), list, read, change a
//! draft (JSON merge patch over the request as given), and move it through
//! its lifecycle (`start`, `pause`, `resume`, `cancel`). The campaign view
//! is the request as given with the effective defaults filled, the
//! lifecycle times, progress (recipients by state and exclusion reason),
//! the figures, the ETA and the A/B decision. The work is in
//! [`crate::campaigns`]; this module reads requests and renders views.
//!
//! Errors: a request that does not check is a 422 `invalid_campaign` whose
//! message starts with the field (`variants[1].text: …`); an action in the
//! wrong status is a 409 `wrong_status` naming the current status; a start
//! that cannot happen is a 422 `audience`, `timing` or `empty_audience`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::campaigns::eta::{self, Eta, SimCapacity};
use crate::campaigns::metrics::{self, CampaignFigures};
use crate::campaigns::spec::{Audience, ContactRef, FrequencyCap, SpecError};
use crate::campaigns::start::{StartError, exclusion};
use crate::campaigns::window::WindowSpec;
use crate::campaigns::{CampaignInput, CampaignRules, CampaignStatus, Spec, lifecycle};
use crate::phone::{Msisdn, Region};
use crate::store::{CampaignRow, CampaignStoreError, ContactKey, SegmentError, Store, StoreError, rfc3339};

/// Largest create or patch body: an audience may list 100,000 numbers.
pub(crate) const CAMPAIGN_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Deepest JSON a request may nest (a filter's `all`/`any`/`not`): deeper
/// is a 422 naming the field rather than work for the filter parser.
const MAX_DEPTH: usize = 64;

/// Query of `GET /v1/campaigns`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns in this status.
    #[param(pattern = r"^(draft|scheduled|running|paused|completed|cancelled)?$")]
    status: Option<String>,
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Recipients left out, by reason (at start, or found at send time).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExclusionCounts {
    /// No recorded consent (or pending, or not a contact).
    pub no_consent: u64,
    /// Opted out.
    pub opted_out: u64,
    /// The number is invalid.
    pub invalid: u64,
    /// Over the frequency cap until the deadline.
    pub capped: u64,
    /// Their window did not open again before the deadline.
    pub window_missed: u64,
    /// Not sent by the deadline although their window was open.
    pub deadline: u64,
    /// The text could not be rendered for them.
    pub render_failed: u64,
    /// Any other reason.
    pub other: u64,
}

impl ExclusionCounts {
    fn add(&mut self, reason: Option<&str>, n: u64) {
        let slot = match reason {
            Some("no_consent") => &mut self.no_consent,
            Some("opted_out") => &mut self.opted_out,
            Some("invalid") => &mut self.invalid,
            Some("capped") => &mut self.capped,
            Some("window_missed") => &mut self.window_missed,
            Some("deadline") => &mut self.deadline,
            Some("render_failed") => &mut self.render_failed,
            _ => &mut self.other,
        };
        *slot += n;
    }
}

/// Where the recipients fixed at start are.
#[derive(Debug, Default, Clone, PartialEq, Serialize, ToSchema)]
pub struct Progress {
    /// Recipients fixed at start (0 before).
    pub audience: u64,
    /// Not yet a message: waiting for their window, the cap, a SIM or the A/B decision.
    pub pending: u64,
    /// A message exists for them (its status tells the rest; see `figures`).
    pub queued: u64,
    /// Left out at start, by reason.
    pub excluded: u64,
    /// Not sent before the deadline.
    pub expired: u64,
    /// Skipped when their turn came (capped, opted out since, render failed).
    pub skipped: u64,
    /// Still pending when the campaign was cancelled.
    pub cancelled: u64,
    /// Excluded, expired and skipped recipients by reason.
    pub by_reason: ExclusionCounts,
    /// Share of the audience no longer pending, 0 to 100 (one decimal).
    pub percent_done: f64,
}

impl Progress {
    /// From `(state, reason, count)` rows.
    pub fn from_states(rows: &[(String, Option<String>, u64)]) -> Progress {
        let mut p = Progress::default();
        for (state, reason, n) in rows {
            let n = *n;
            p.audience += n;
            match state.as_str() {
                "pending" => p.pending += n,
                "queued" => p.queued += n,
                "excluded" => {
                    p.excluded += n;
                    p.by_reason.add(reason.as_deref(), n);
                }
                "expired" => {
                    p.expired += n;
                    p.by_reason.add(reason.as_deref(), n);
                }
                "skipped" => {
                    p.skipped += n;
                    p.by_reason.add(reason.as_deref(), n);
                }
                "cancelled" => p.cancelled += n,
                _ => p.by_reason.add(reason.as_deref(), n),
            }
        }
        if p.audience > 0 {
            let done = (p.audience - p.pending) as f64 / p.audience as f64;
            p.percent_done = (done * 1000.0).round() / 10.0;
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
    /// The audience as given.
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
fn build(
    s: &Store,
    row: CampaignRow,
    rules: &CampaignRules,
    sims: &[SimCapacity],
    now: i64,
    with_draft_audience: bool,
) -> Result<CampaignView, StoreError> {
    let progress = Progress::from_states(&s.campaign_recipient_states(row.id)?);
    let figures = metrics::figures(s, row.id, rules)?;
    let eta = eta::estimate(s, &row, sims, rules, now)?;
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
        audience: spec.input.audience.clone().unwrap_or(Value::Null),
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
        frequency_cap: spec.frequency_cap.unwrap_or(rules.cap),
        ab_test: spec
            .input
            .ab_test
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok()),
        status_report: spec.status_report,
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

/// Who a draft would reach now; `None` when its audience cannot be read
/// (its segment was deleted since: the start will say so).
fn draft_audience(
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

fn invalid(field: impl std::fmt::Display, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_campaign", format!("{field}: {message}"))
}

impl From<SpecError> for ApiError {
    fn from(e: SpecError) -> Self {
        invalid(e.field, e.message)
    }
}

impl From<CampaignStoreError> for ApiError {
    fn from(e: CampaignStoreError) -> Self {
        match e {
            CampaignStoreError::NotFound(id) => no_campaign(id),
            CampaignStoreError::WrongStatus { id, status } => wrong_status(id, status, None),
            CampaignStoreError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::NotFound(id) => no_campaign(id),
            StartError::WrongStatus { id, status } => {
                wrong_status(id, status, Some("only a draft can be started"))
            }
            StartError::Audience(m) => ApiError::invalid("audience", format!("audience: {m}")),
            StartError::Timing(m) => ApiError::invalid("timing", m),
            e @ StartError::EmptyAudience(_) => ApiError::invalid("empty_audience", e.to_string()),
            StartError::Store(e) => ApiError::from(e),
        }
    }
}

fn wrong_status(id: i64, status: CampaignStatus, why: Option<&str>) -> ApiError {
    let message = match why {
        Some(why) => format!("campaign {id} is {status}: {why}"),
        None => format!("campaign {id} is {status}"),
    };
    ApiError::new(StatusCode::CONFLICT, "wrong_status", message)
}

fn no_campaign(id: i64) -> ApiError {
    ApiError::not_found(format!("no campaign {id}"))
}

fn campaign_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::not_found(format!("no campaign {id:?}")))
}

/// How deep `v` nests, stopping once past `max`.
fn too_deep(v: &Value, max: usize) -> bool {
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        if d > max {
            return true;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    false
}

/// Reads a request object into a [`CampaignInput`]; a wrong type or an
/// unknown field is a 422 `invalid_campaign` naming the field.
pub fn read_input(map: serde_json::Map<String, Value>) -> Result<CampaignInput, ApiError> {
    let value = Value::Object(map);
    if too_deep(&value, MAX_DEPTH) {
        return Err(invalid("body", format!("nests deeper than {MAX_DEPTH} levels")));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_string() } else { path };
        invalid(field, e.into_inner())
    })
}

/// Checks the request, then its audience against the store: the segment
/// exists, the filter validates, listed numbers parse, listed ids exist.
pub fn check(s: &Store, input: &CampaignInput, region: Region) -> Result<Spec, ApiError> {
    let spec = input.check()?;
    match &spec.audience {
        Audience::Segment(id) => {
            if s.segment(*id)?.is_none() {
                return Err(invalid("audience.segment", format!("no segment {id}")));
            }
        }
        Audience::Filter(json) => match s.parse_filter(json) {
            Ok(_) => {}
            Err(SegmentError::Invalid(f)) => return Err(invalid(format!("audience.{}", f.path), f.message)),
            Err(SegmentError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(invalid("audience.filter", e)),
        },
        Audience::Contacts(list) => {
            for (i, entry) in list.iter().enumerate() {
                match entry {
                    ContactRef::Id(id) => {
                        if s.contact(&ContactKey::Id(*id))?.is_none() {
                            return Err(invalid(
                                format!("audience.contacts[{i}]"),
                                format!("no contact {id}"),
                            ));
                        }
                    }
                    ContactRef::Phone(p) => {
                        if let Err(e) = Msisdn::parse(p, region) {
                            return Err(invalid(format!("audience.contacts[{i}]"), e));
                        }
                    }
                }
            }
        }
    }
    Ok(spec)
}

/// RFC 7386 JSON merge patch: `patch` over `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// `POST /v1/campaigns`: stores a draft.
#[utoipa::path(post, path = "/v1/campaigns", operation_id = "create_campaign", tag = "campaigns",
    request_body = CampaignInput,
    responses(
        (status = 201, description = "Saved as a draft", body = CampaignView,
            links(
                ("GetCampaign" = (operation_id = "get_campaign", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("UpdateCampaign" = (operation_id = "update_campaign", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("StartCampaign" = (operation_id = "start_campaign", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 8 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "The request does not check (`invalid_campaign`: the message starts with the field, e.g. `variants[1].text: …`, `audience.segment: no segment 7`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(map) = body?;
    let input = read_input(map)?;
    let now = app.clock.now_ms();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let view = app
        .store
        .run(move |s| {
            let spec = check(s, &input, rules.region)?;
            let row = s.create_campaign(&spec, now)?;
            Ok::<_, ApiError>(view(s, row, &rules, &sims, now)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /v1/campaigns?status=&after=&limit=`.
#[utoipa::path(get, path = "/v1/campaigns", operation_id = "list_campaigns", tag = "campaigns",
    params(CampaignQuery),
    responses(
        (status = 200, description = "Campaigns, oldest first", body = CampaignPage),
        (status = 400, description = "Bad query (`bad_query`): an unknown status, a bad cursor or limit", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<CampaignQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(st) => Some(
            st.parse::<CampaignStatus>()
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", format!("status: {e}")))?,
        ),
    };
    let now = app.clock.now_ms();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let page = app
        .store
        .run(move |s| {
            let rows = s.campaigns(status, after, limit)?;
            let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
            let campaigns = rows
                .into_iter()
                .map(|r| build(s, r, &rules, &sims, now, false))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, StoreError>(CampaignPage { campaigns, next })
        })
        .await?;
    Ok(Json(page).into_response())
}

/// `GET /v1/campaigns/{id}`: the campaign with its progress, figures and ETA.
#[utoipa::path(get, path = "/v1/campaigns/{id}", operation_id = "get_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "The campaign", body = CampaignView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    let now = app.clock.now_ms();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let view = app
        .store
        .run(move |s| {
            let row = s.campaign(id)?.ok_or_else(|| no_campaign(id))?;
            Ok::<_, ApiError>(view(s, row, &rules, &sims, now)?)
        })
        .await?;
    Ok(Json(view).into_response())
}

/// `PATCH /v1/campaigns/{id}`: changes a draft (a JSON merge patch over the
/// request as given: a field set to `null` returns to its default).
#[utoipa::path(patch, path = "/v1/campaigns/{id}", operation_id = "update_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    request_body(content = Object, description = "A JSON merge patch (RFC 7386) over the campaign request", content_type = "application/json"),
    responses(
        (status = 200, description = "The campaign as changed", body = CampaignView),
        (status = 400, description = "Not JSON (`bad_json`), or the path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 409, description = "Not a draft (`wrong_status`, naming its status)", body = super::ErrorResponse),
        (status = 413, description = "Body over 8 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "The changed request does not check (`invalid_campaign`, naming the field)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    let Json(patch) = body?;
    let patch = Value::Object(patch);
    if too_deep(&patch, MAX_DEPTH) {
        return Err(invalid("body", format!("nests deeper than {MAX_DEPTH} levels")));
    }
    let now = app.clock.now_ms();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let view = app
        .store
        .run(move |s| {
            let row = s.campaign(id)?.ok_or_else(|| no_campaign(id))?;
            if row.status != CampaignStatus::Draft {
                return Err(wrong_status(id, row.status, Some("only a draft can be changed")));
            }
            let mut merged = serde_json::to_value(&row.spec.input).map_err(ApiError::internal)?;
            merge_patch(&mut merged, &patch);
            let map = match merged {
                Value::Object(m) => m,
                _ => return Err(invalid("body", "must be an object")),
            };
            let input = read_input(map)?;
            let spec = check(s, &input, rules.region)?;
            let row = s.update_campaign_draft(id, &spec, now)?;
            Ok(view(s, row, &rules, &sims, now)?)
        })
        .await?;
    Ok(Json(view).into_response())
}

async fn act(app: AppState, id: &str, action: crate::campaigns::Action) -> Result<Response, ApiError> {
    use crate::campaigns::Action;
    let id = campaign_id(id)?;
    let now = app.clock.now_ms();
    let rules = app.campaigns.clone();
    let row = app
        .store
        .run(move |s| {
            Ok::<_, ApiError>(match action {
                Action::Start => lifecycle::start(s, id, &rules, now)?,
                Action::Pause => lifecycle::pause(s, id, now)?,
                Action::Resume => lifecycle::resume(s, id, now)?,
                Action::Cancel => lifecycle::cancel(s, id, now)?,
            })
        })
        .await?;
    tracing::info!(campaign = id, action = action.as_str(), status = %row.status, "campaign");
    app.dispatcher.wake();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let view = app.store.run(move |s| view(s, row, &rules, &sims, now)).await?;
    Ok(Json(view).into_response())
}

/// `POST /v1/campaigns/{id}/start`: fixes the audience and schedules the
/// send; the answer shows who was left out and the ETA.
#[utoipa::path(post, path = "/v1/campaigns/{id}/start", operation_id = "start_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Started (`scheduled`, running from `start_at`): progress, ETA", body = CampaignView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 409, description = "Not a draft (`wrong_status`, naming its status)", body = super::ErrorResponse),
        (status = 422, description = "Cannot start: its audience cannot be read (`audience`: a deleted segment, a contact gone), its times do not work now (`timing`: the deadline has passed, no time for the A/B test), or nobody in it may be messaged (`empty_audience`, with the exclusions by reason)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn start(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, crate::campaigns::Action::Start).await
}

/// `POST /v1/campaigns/{id}/pause`: nothing more leaves until resumed.
#[utoipa::path(post, path = "/v1/campaigns/{id}/pause", operation_id = "pause_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Paused", body = CampaignView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 409, description = "Not scheduled or running (`wrong_status`, naming its status)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn pause(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, crate::campaigns::Action::Pause).await
}

/// `POST /v1/campaigns/{id}/resume`: goes on where it stopped.
#[utoipa::path(post, path = "/v1/campaigns/{id}/resume", operation_id = "resume_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Running again", body = CampaignView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 409, description = "Not paused (`wrong_status`, naming its status)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn resume(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, crate::campaigns::Action::Resume).await
}

/// `POST /v1/campaigns/{id}/cancel`: stops for good; what was not sent never will be.
#[utoipa::path(post, path = "/v1/campaigns/{id}/cancel", operation_id = "cancel_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Cancelled", body = CampaignView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 409, description = "Already completed or cancelled (`wrong_status`, naming its status)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, crate::campaigns::Action::Cancel).await
}

/// What a campaign's texts would cost for its audience as read now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignPreview {
    /// Campaign id (a decimal string).
    pub id: String,
    /// Recipients a start now would message, across variants.
    pub count: u64,
    /// SMS segments of every recipient's text, across variants.
    pub segments_total: u64,
    /// `pricing.per_segment` × `segments_total` (exact decimal).
    pub estimated_cost: String,
    /// Price of one segment (exact decimal).
    pub per_segment: String,
    /// Currency of the prices.
    pub currency: String,
    /// Each variant rendered for the recipients it would go to (drawn by
    /// weight, as the start draws them): counts, segments, cost, a sample,
    /// warnings (UCS-2, longer texts, missing variables).
    pub variants: std::collections::BTreeMap<String, crate::templates::preview::PreviewReport>,
    /// Caveats in words (an A/B test's rest gets the winner, unknown yet:
    /// previewed with the variant each recipient would draw).
    pub notes: Vec<String>,
}

/// Renders each variant for its share of the audience as read now.
fn preview_campaign(
    s: &Store,
    row: &CampaignRow,
    rules: &CampaignRules,
    now: i64,
) -> Result<CampaignPreview, ApiError> {
    use crate::templates::Template;
    use crate::templates::preview::Preview;
    let spec = &row.spec;
    let templates = spec
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| Template::compile(&v.text).map_err(|e| invalid(format!("variants[{i}].text"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut previews: Vec<Preview<'_>> = templates
        .iter()
        .map(|t| Preview::new(t, &rules.split, &rules.default_time_zone))
        .collect();
    let mut add = |c: &crate::contacts::Contact| {
        let i = crate::campaigns::variant::pick(row.id, &c.phone, &spec.variants);
        if let Some(p) = previews.get_mut(i) {
            p.add(c);
        }
    };
    let audience_error = |m: String| ApiError::invalid("audience", format!("audience: {m}"));
    match &spec.audience {
        Audience::Segment(id) => {
            let filter = match s.segment_filter(*id) {
                Ok(Some(f)) => f,
                Ok(None) => return Err(audience_error(format!("segment {id} no longer exists"))),
                Err(SegmentError::Store(e)) => return Err(e.into()),
                Err(e) => return Err(audience_error(e.to_string())),
            };
            each_contact(s, &filter, now, &mut add)?;
        }
        Audience::Filter(json) => {
            let filter = match s.parse_filter(json) {
                Ok(f) => f,
                Err(SegmentError::Store(e)) => return Err(e.into()),
                Err(e) => return Err(audience_error(e.to_string())),
            };
            each_contact(s, &filter, now, &mut add)?;
        }
        Audience::Contacts(list) => {
            let mut seen = std::collections::HashSet::new();
            for entry in list {
                let contact = match entry {
                    ContactRef::Id(id) => s.contact(&ContactKey::Id(*id))?,
                    ContactRef::Phone(p) => match Msisdn::parse(p, rules.region) {
                        Ok(n) => s.contact(&ContactKey::Phone(n.as_str().to_string()))?,
                        Err(e) => return Err(audience_error(format!("{p:?}: {e}"))),
                    },
                };
                if let Some(c) = contact
                    && seen.insert(c.id)
                {
                    add(&c);
                }
            }
        }
    }
    let mut out = CampaignPreview {
        id: row.id.to_string(),
        count: 0,
        segments_total: 0,
        estimated_cost: String::new(),
        per_segment: crate::templates::preview::money(rules.per_segment),
        currency: rules.currency.clone(),
        variants: Default::default(),
        notes: Vec::new(),
    };
    for (v, p) in spec.variants.iter().zip(previews) {
        let report = p.finish(rules.per_segment, &rules.currency);
        out.count += report.count;
        out.segments_total += report.segments_total;
        out.variants.insert(v.name.clone(), report);
    }
    out.estimated_cost = crate::templates::preview::money(crate::templates::preview::cost(
        rules.per_segment,
        out.segments_total,
    ));
    if let Some(ab) = &spec.ab_test {
        out.notes.push(format!(
            "A/B test: {:.0}% of the audience gets the variants; the rest gets the winner, previewed here with the variant each would draw",
            ab.test_share * 100.0
        ));
    }
    if row.status != CampaignStatus::Draft {
        out.notes.push(format!(
            "the campaign is {}: its audience was fixed at start; this reads the audience as it is now",
            row.status
        ));
    }
    Ok(out)
}

/// Every contact `filter` matches, a page at a time.
fn each_contact(
    s: &Store,
    filter: &crate::segments::Filter,
    now: i64,
    f: &mut impl FnMut(&crate::contacts::Contact),
) -> Result<(), StoreError> {
    let page_size = crate::templates::audience::PAGE;
    let mut after = 0;
    loop {
        let page = s.segment_contacts(filter, now, false, after, page_size)?;
        for c in &page {
            f(c);
        }
        match page.last() {
            Some(last) if page.len() == page_size => after = last.id,
            _ => return Ok(()),
        }
    }
}

/// `GET /v1/campaigns/{id}/preview`: each variant rendered for the
/// recipients it would go to, with segments, cost and warnings; nothing is sent.
#[utoipa::path(get, path = "/v1/campaigns/{id}/preview", operation_id = "preview_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Per variant: recipients, segments, estimated cost, a sample and warnings; the totals", body = CampaignPreview),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 422, description = "Its audience cannot be read now (`audience`: a deleted segment, a filter naming something gone)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    let now = app.clock.now_ms();
    let rules = app.campaigns.clone();
    let preview = app
        .store
        .run(move |s| {
            let row = s.campaign(id)?.ok_or_else(|| no_campaign(id))?;
            preview_campaign(s, &row, &rules, now)
        })
        .await?;
    Ok(Json(preview).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_removes_and_recurses() {
        let mut t = json!({"name": "a", "window": {"start": "09:00", "end": "20:00"}, "rate_per_hour": 5});
        merge_patch(
            &mut t,
            &json!({"name": "b", "window": {"end": "21:00"}, "rate_per_hour": null}),
        );
        assert_eq!(
            t,
            json!({"name": "b", "window": {"start": "09:00", "end": "21:00"}})
        );
    }

    #[test]
    fn progress_counts_states_and_reasons() {
        let rows = vec![
            ("pending".to_string(), None, 5),
            ("queued".to_string(), None, 3),
            ("excluded".to_string(), Some("no_consent".to_string()), 1),
            ("expired".to_string(), Some("window_missed".to_string()), 1),
        ];
        let p = Progress::from_states(&rows);
        assert_eq!(
            (p.audience, p.pending, p.queued, p.excluded, p.expired),
            (10, 5, 3, 1, 1)
        );
        assert_eq!((p.by_reason.no_consent, p.by_reason.window_missed), (1, 1));
        assert_eq!(p.percent_done, 50.0);
    }

    #[test]
    fn a_wrong_type_or_unknown_field_names_the_field() {
        let m = |v: Value| v.as_object().cloned().unwrap_or_default();
        let e = read_input(m(json!({"name": "x", "rate_per_hour": "fast"}))).unwrap_err();
        assert_eq!(e.code, "invalid_campaign");
        assert!(e.message.starts_with("rate_per_hour: "), "{}", e.message);
        let e = read_input(m(json!({"name": "x", "variants": [{"text": "a", "colour": 1}]}))).unwrap_err();
        assert!(e.message.starts_with("variants[0]"), "{}", e.message);
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({"not": deep});
        }
        let e = read_input(m(json!({"name": "x", "audience": {"filter": deep}}))).unwrap_err();
        assert_eq!(e.code, "invalid_campaign");
    }
}
