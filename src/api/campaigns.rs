//! `/v1/campaigns`: create a campaign (a draft), list, read, change a
//! draft (JSON merge patch over the request as given), and move it through
//! its lifecycle (`start`, `pause`, `resume`, `cancel`). The campaign view
//! is [`super::campaign_view`]; the cost preview
//! [`super::campaign_preview`]. The work is in [`crate::campaigns`]; this
//! module reads requests and answers with views.
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
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::auth::Authorized;
use super::campaign_view::{CampaignPage, CampaignView, build, view};
use super::error::ApiError;
use super::state::AppState;
use crate::campaigns::spec::{Audience, ContactRef, SpecError};
use crate::campaigns::start::StartError;
use crate::campaigns::{CampaignInput, CampaignStatus, Spec, lifecycle};
use crate::phone::{Msisdn, Region};
use crate::store::{CampaignRow, CampaignStoreError, ContactKey, SegmentError, Store, StoreError};

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

pub(super) fn invalid(field: impl std::fmt::Display, message: impl std::fmt::Display) -> ApiError {
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
            e @ StartError::RenderFailed { .. } => ApiError::invalid("render_failed", e.to_string()),
            StartError::CallTracking(m) => ApiError::invalid("call_tracking", m),
            StartError::Store(e) => ApiError::from(e),
        }
    }
}

/// What `action` needs, in words (the tail of its `wrong_status` message).
fn allowed(action: crate::campaigns::Action) -> &'static str {
    use crate::campaigns::Action;
    match action {
        Action::Start => "only a draft can be started",
        Action::Pause => "only a scheduled or running campaign can be paused",
        Action::Resume => "only a paused campaign can be resumed",
        Action::Cancel => "a completed or cancelled campaign cannot be cancelled",
    }
}

/// A serde message in words a shop owner reads: "unknown variant `likes`,
/// expected one of `reply`, `click`" → `unknown value "likes": expected
/// reply or click`; "missing field `per_7d`" → "missing: per_7d"; "unknown
/// field `x`, expected …" likewise. Other messages are kept.
pub fn plain_serde_message(message: &str) -> String {
    fn ticked(s: &str) -> Vec<&str> {
        s.split('`').skip(1).step_by(2).collect()
    }
    fn words(list: &[&str]) -> String {
        match list {
            [] => "nothing".to_string(),
            [one] => (*one).to_string(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
    for (prefix, what) in [("unknown variant `", "value"), ("unknown field `", "field")] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let full = format!("`{rest}");
            let names = ticked(&full);
            if let Some((given, allowed)) = names.split_first() {
                if allowed.is_empty() {
                    return format!("unknown {what} \"{given}\": none is allowed here");
                }
                return format!("unknown {what} \"{given}\": expected {}", words(allowed));
            }
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return format!("missing: {}", rest.trim_end_matches('`'));
    }
    message.to_string()
}

fn wrong_status(id: i64, status: CampaignStatus, why: Option<&str>) -> ApiError {
    let message = match why {
        Some(why) => format!("campaign {id} is {status}: {why}"),
        None => format!("campaign {id} is {status}"),
    };
    ApiError::new(StatusCode::CONFLICT, "wrong_status", message)
}

pub fn no_campaign(id: i64) -> ApiError {
    ApiError::not_found(format!("no campaign {id}"))
}

pub fn campaign_id(id: &str) -> Result<i64, ApiError> {
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
        invalid(field, plain_serde_message(&e.into_inner().to_string()))
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

/// Merges `patch[key]`, when it is an object, over `effective` (the object
/// as GET shows it) into `merged[key]`; a key the patch removes (`null`)
/// takes its value from `default`.
pub fn merge_nested(merged: &mut Value, patch: &Value, key: &str, effective: Value, default: &Value) {
    let Some(p @ Value::Object(_)) = patch.get(key) else {
        return;
    };
    let mut obj = effective;
    merge_patch(&mut obj, p);
    if let (Value::Object(o), Value::Object(d)) = (&mut obj, default) {
        for (k, v) in d {
            if !v.is_null() && !o.contains_key(k) {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    if let Value::Object(m) = merged {
        m.insert(key.to_string(), obj);
    }
}

/// Checks `input` (and its audience against the store) and stores it as
/// a new draft: what `POST /v1/campaigns` and the dashboard's wizard do.
pub fn create_draft(
    s: &Store,
    input: &CampaignInput,
    rules: &crate::campaigns::CampaignRules,
    now: i64,
) -> Result<CampaignRow, ApiError> {
    let spec = check(s, input, rules.region)?;
    Ok(s.create_campaign(&spec, now)?)
}

/// Replaces draft `id`'s request with `input`, checked as a new one; a
/// campaign that is no longer a draft is a 409 `wrong_status`.
pub fn replace_draft(
    s: &Store,
    id: i64,
    input: &CampaignInput,
    rules: &crate::campaigns::CampaignRules,
    now: i64,
) -> Result<CampaignRow, ApiError> {
    let row = s.campaign(id)?.ok_or_else(|| no_campaign(id))?;
    if row.status != CampaignStatus::Draft {
        return Err(wrong_status(id, row.status, Some("only a draft can be changed")));
    }
    let spec = check(s, input, rules.region)?;
    Ok(s.update_campaign_draft(id, &spec, now)?)
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
            let row = create_draft(s, &input, &rules, now)?;
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
            // `window` and `frequency_cap` patch the object GET shows
            // (defaults filled), so `{"window": {"start": "10:00"}}` works.
            let nested = [
                (
                    "window",
                    serde_json::to_value(row.spec.window_or(rules.window).spec()),
                    serde_json::to_value(rules.window.spec()),
                ),
                (
                    "frequency_cap",
                    serde_json::to_value(row.spec.cap_or(rules.cap)),
                    serde_json::to_value(rules.cap),
                ),
            ];
            for (key, effective, default) in nested {
                let effective = effective.map_err(ApiError::internal)?;
                let default = default.map_err(ApiError::internal)?;
                merge_nested(&mut merged, &patch, key, effective, &default);
            }
            let map = match merged {
                Value::Object(m) => m,
                _ => return Err(invalid("body", "must be an object")),
            };
            let input = read_input(map)?;
            let row = replace_draft(s, id, &input, &rules, now)?;
            Ok(view(s, row, &rules, &sims, now)?)
        })
        .await?;
    Ok(Json(view).into_response())
}

async fn act(app: AppState, id: &str, action: crate::campaigns::Action) -> Result<Response, ApiError> {
    let id = campaign_id(id)?;
    let row = apply(&app, id, action).await?;
    let now = app.clock.now_ms();
    let sims = app.dispatcher.sim_capacities();
    let rules = app.campaigns.clone();
    let view = app.store.run(move |s| view(s, row, &rules, &sims, now)).await?;
    Ok(Json(view).into_response())
}

/// Moves campaign `id` through its lifecycle (`action`), as the API's
/// `start`/`pause`/`resume`/`cancel` do, and tells the dispatcher; the
/// campaign as moved. The dashboard's buttons call this too.
pub async fn apply(
    app: &AppState,
    id: i64,
    action: crate::campaigns::Action,
) -> Result<CampaignRow, ApiError> {
    use crate::campaigns::Action;
    let now = app.clock.now_ms();
    let rules = app.campaigns.clone();
    let row = app
        .store
        .run(move |s| {
            let moved = match action {
                Action::Start => return Ok::<_, ApiError>(lifecycle::start(s, id, &rules, now)?),
                Action::Pause => lifecycle::pause(s, id, now),
                Action::Resume => lifecycle::resume(s, id, now),
                Action::Cancel => lifecycle::cancel(s, id, now),
            };
            moved.map_err(|e| match e {
                CampaignStoreError::WrongStatus { id, status } => {
                    wrong_status(id, status, Some(allowed(action)))
                }
                e => ApiError::from(e),
            })
        })
        .await?;
    tracing::info!(campaign = id, action = action.as_str(), status = %row.status, "campaign");
    app.dispatcher.campaigns_changed();
    Ok(row)
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
        (status = 422, description = "Cannot start: its audience cannot be read (`audience`: a deleted segment, a contact gone), its times do not work now (`timing`: the deadline has passed, no time for the A/B test), or nobody in it may be messaged (`empty_audience`, with the exclusions by reason), or its `{{ tracking_number }}` cannot be filled (`call_tracking`: no call_tracking, or that SIM's number unknown)", body = super::ErrorResponse),
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

    #[test]
    fn serde_wording_reads_like_a_person_wrote_it() {
        let m = |v: Value| v.as_object().cloned().unwrap_or_default();
        let e = read_input(m(
            json!({"name": "x", "ab_test": {"test_share": 0.2, "decide_after": "4h", "metric": "likes"}}),
        ))
        .unwrap_err();
        assert_eq!(
            e.message,
            "ab_test.metric: unknown value \"likes\": expected reply, click, redeem or delivered"
        );
        assert_eq!(plain_serde_message("missing field `per_7d`"), "missing: per_7d");
        assert_eq!(
            plain_serde_message("unknown field `colour`, expected `name` or `text`"),
            "unknown field \"colour\": expected name or text"
        );
        assert_eq!(
            plain_serde_message("unknown variant `x`, there are no variants"),
            "unknown value \"x\": none is allowed here"
        );
        assert_eq!(
            plain_serde_message("invalid type: string"),
            "invalid type: string"
        );
    }

    #[test]
    fn a_nested_patch_merges_over_the_object_get_shows() {
        let shown = json!({"start": "09:00", "end": "20:00"});
        let default = json!({"start": "09:00", "end": "20:00", "days": null});
        let mut merged = json!({"name": "x", "window": {"start": "10:00"}});
        merge_nested(
            &mut merged,
            &json!({"window": {"start": "10:00"}}),
            "window",
            shown.clone(),
            &default,
        );
        assert_eq!(merged["window"], json!({"start": "10:00", "end": "20:00"}));
        // null removes the key: it takes its default.
        let mut merged = json!({"window": {}});
        merge_nested(
            &mut merged,
            &json!({"window": {"end": null, "start": "11:00"}}),
            "window",
            json!({"start": "09:00", "end": "18:00"}),
            &default,
        );
        assert_eq!(merged["window"], json!({"start": "11:00", "end": "20:00"}));
        // Not in the patch: untouched.
        let mut merged = json!({"name": "y"});
        merge_nested(&mut merged, &json!({"name": "y"}), "window", shown, &default);
        assert_eq!(merged, json!({"name": "y"}));
    }

    #[test]
    fn each_action_says_what_it_needs() {
        use crate::campaigns::Action;
        let e = wrong_status(8, CampaignStatus::Running, Some(allowed(Action::Resume)));
        assert_eq!(
            e.message,
            "campaign 8 is running: only a paused campaign can be resumed"
        );
        assert!(allowed(Action::Pause).contains("scheduled or running"));
        assert!(allowed(Action::Cancel).contains("cannot be cancelled"));
    }
}
