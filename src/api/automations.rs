//! `/v1/automations`: create, list, read (with figures), change (a JSON
//! merge patch over the request as given), `pause` and `resume`; and
//! `POST /v1/events`, a contact's event that starts or stops them. The
//! work is in [`crate::automations`] and the store; this reads requests.
//!
//! Errors: a request that does not check is a 422 `invalid_automation`
//! whose message starts with the field (`steps[1].text: syntax error at
//! line 1, column 9: …`); an action in the wrong status is a 409
//! `wrong_status`; an event is a 422 `invalid_event` naming the field, and
//! a reused `idempotency_key` with another body a 409 `idempotency_conflict`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::campaigns::{merge_patch, plain_serde_message};
use super::error::ApiError;
use super::state::AppState;
use crate::automations::model::{AutomationFigures, EventAnswer};
use crate::automations::spec::{AutomationInput, Trigger, check_event_name};
use crate::phone::Msisdn;
use crate::store::{AutomationRow, AutomationStoreError, CreateKey, EventError, NewEvent, Store, StoreError};

/// Largest event `data`, serialised.
pub const MAX_EVENT_DATA: usize = 16 * 1024;
/// Longest idempotency key.
const MAX_KEY: usize = 200;

/// An automation as the API shows it: the request as given (`name`,
/// `kind`, `on`, …), its status, trigger and figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationView {
    /// Id (a decimal string, like a campaign's).
    pub id: String,
    /// `active` or `paused`.
    pub status: String,
    /// `event`, `date` or `sequence`.
    pub trigger: Trigger,
    /// The request as given.
    pub spec: AutomationInput,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
    /// What it scheduled and what became of it.
    pub figures: AutomationFigures,
    /// Notes on a spec that is accepted but probably not meant: a
    /// `service` automation whose text gives a promo code or a tracked link
    /// (`"text: service messages are sent without consent: …"`). Absent
    /// when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A page of automations.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationPage {
    /// Automations, oldest first.
    pub automations: Vec<AutomationView>,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
}

/// Query of `GET /v1/automations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AutomationQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The body of `POST /v1/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// The contact's number (a number no contact has is recorded too: a
    /// service automation still texts it; a marketing one excludes it,
    /// `no_consent`).
    #[schema(
        pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$",
        example = "+79161234567"
    )]
    pub contact: String,
    /// The event's name: 1 to 64 of `a-z`, `0-9`, `_`, `.`, `-`.
    #[schema(pattern = r"^[a-z0-9_.-]{1,64}$", example = "cart_abandoned")]
    pub event: String,
    /// Its data (an object, at most 16 KiB), for `{{ event.x }}` in texts.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// Makes a retried request safe: 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "order-1042-abandoned")]
    pub idempotency_key: Option<String>,
}

fn invalid(field: impl std::fmt::Display, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_automation", format!("{field}: {message}"))
}

fn invalid_event(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("invalid_event", format!("{field}: {message}"))
}

fn no_automation(id: impl std::fmt::Debug) -> ApiError {
    ApiError::not_found(format!("no automation {id:?}"))
}

fn automation_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| no_automation(id))
}

impl From<AutomationStoreError> for ApiError {
    fn from(e: AutomationStoreError) -> Self {
        match e {
            AutomationStoreError::NotFound(id) => ApiError::not_found(format!("no automation {id}")),
            AutomationStoreError::WrongStatus { id, status } => ApiError::new(
                StatusCode::CONFLICT,
                "wrong_status",
                format!("automation {id} is {status}"),
            ),
            e @ AutomationStoreError::KeyConflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "idempotency_conflict", e.to_string())
            }
            AutomationStoreError::Store(e) => ApiError::from(e),
        }
    }
}

/// Reads and checks a request object; a wrong type, an unknown field or a
/// text that does not compile is a 422 naming the field.
pub fn read_input(
    map: serde_json::Map<String, Value>,
) -> Result<crate::automations::AutomationSpec, ApiError> {
    let input: AutomationInput = serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_string() } else { path };
        invalid(field, plain_serde_message(&e.into_inner().to_string()))
    })?;
    input.check().map_err(|e| invalid(e.field, e.message))
}

fn view(s: &Store, row: AutomationRow, attribution_days: u32) -> Result<AutomationView, StoreError> {
    let figures = s.automation_figures(row.id, attribution_days)?;
    let warnings = row.spec.warnings();
    Ok(AutomationView {
        warnings,
        id: row.id.to_string(),
        status: row.status,
        trigger: row.spec.trigger,
        spec: row.spec.input,
        created_at: crate::store::rfc3339(row.created_at),
        updated_at: crate::store::rfc3339(row.updated_at),
        figures,
    })
}

/// `POST /v1/automations`: stores an automation, active at once.
#[utoipa::path(post, path = "/v1/automations", operation_id = "create_automation", tag = "automations",
    request_body = AutomationInput,
    responses(
        (status = 201, description = "Saved and active", body = AutomationView,
            links(
                ("GetAutomation" = (operation_id = "get_automation", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("PauseAutomation" = (operation_id = "pause_automation", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 409, description = "The `idempotency_key` (an optional string of 1 to 200 characters beside the automation's fields; the same key with the same request answers the automation it created) was used for a different automation (`idempotency_conflict`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "The request does not check (`invalid_automation`: the message starts with the field, e.g. `steps[1].text: syntax error at line 1, column 9: …`), or a bad `idempotency_key` (`invalid_idempotency_key`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(map) = body?;
    let view = create_automation(&app, map).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Checks a request object (with an optional `idempotency_key` beside
/// the automation's fields) and stores the automation, active at once:
/// what `POST /v1/automations` and the dashboard's form do. The same key
/// with the same request answers the automation it created first; with
/// another request, a 409 `idempotency_conflict`.
pub async fn create_automation(
    app: &AppState,
    mut map: serde_json::Map<String, Value>,
) -> Result<AutomationView, ApiError> {
    let key = match map.remove("idempotency_key") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) if !k.is_empty() && k.chars().count() <= MAX_KEY => Some(k),
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_idempotency_key",
                format!("idempotency_key must be a string of 1 to {MAX_KEY} characters"),
            ));
        }
    };
    let spec = read_input(map)?;
    let key = key.map(|key| {
        let json = serde_json::to_string(&spec.input).unwrap_or_default();
        CreateKey {
            key,
            request_hash: crate::sms::hex::encode_hex(&Sha256::digest(json.as_bytes())),
        }
    });
    let now = app.clock.now_ms();
    let days = app.campaigns.attribution_days;
    let (view, created) = app
        .store
        .run(move |s| {
            let (row, created) = s.create_automation_once(&spec, now, key.as_ref())?;
            Ok::<_, ApiError>((view(s, row, days)?, created))
        })
        .await?;
    if created {
        tracing::info!(
            automation = view.id,
            trigger = view.trigger.as_str(),
            "automation created"
        );
        app.dispatcher.automations_changed();
    }
    Ok(view)
}

/// A page of automations after id `after`, oldest first, with their
/// figures: what `GET /v1/automations` and the dashboard list.
pub async fn list_automations(app: &AppState, after: i64, limit: usize) -> Result<AutomationPage, ApiError> {
    let days = app.campaigns.attribution_days;
    Ok(app
        .store
        .run(move |s| {
            let rows = s.automations(after, limit)?;
            let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
            let automations = rows
                .into_iter()
                .map(|r| view(s, r, days))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, StoreError>(AutomationPage { automations, next })
        })
        .await?)
}

/// One automation with its figures (404 when there is none): what
/// `GET /v1/automations/{id}` and the dashboard show.
pub async fn automation_view(app: &AppState, id: i64) -> Result<AutomationView, ApiError> {
    let days = app.campaigns.attribution_days;
    app.store
        .run(move |s| {
            let row = s.automation(id)?.ok_or_else(|| no_automation(id))?;
            Ok::<_, ApiError>(view(s, row, days)?)
        })
        .await
}

/// `GET /v1/automations?after=&limit=`.
#[utoipa::path(get, path = "/v1/automations", operation_id = "list_automations", tag = "automations",
    params(AutomationQuery),
    responses(
        (status = 200, description = "Automations, oldest first, with their figures", body = AutomationPage),
        (status = 400, description = "Bad query (`bad_query`): a bad cursor or limit", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<AutomationQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    Ok(Json(list_automations(&app, after, limit).await?).into_response())
}

/// `GET /v1/automations/{id}`: the automation with its figures.
#[utoipa::path(get, path = "/v1/automations/{id}", operation_id = "get_automation", tag = "automations",
    params(("id" = String, Path, description = "Automation id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "The automation", body = AutomationView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such automation", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = automation_id(&id)?;
    Ok(Json(automation_view(&app, id).await?).into_response())
}

/// `PATCH /v1/automations/{id}`: a JSON merge patch over the request as
/// given (a field set to `null` returns to its default). Sends already
/// scheduled keep their time and leave with the new text.
#[utoipa::path(patch, path = "/v1/automations/{id}", operation_id = "update_automation", tag = "automations",
    params(("id" = String, Path, description = "Automation id", pattern = r"^[0-9]{1,18}$")),
    request_body(content = Object, description = "A JSON merge patch (RFC 7386) over the automation request", content_type = "application/json"),
    responses(
        (status = 200, description = "The automation as changed", body = AutomationView),
        (status = 400, description = "Not JSON (`bad_json`), or the path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such automation", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "The changed request does not check (`invalid_automation`, naming the field)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = automation_id(&id)?;
    let Json(patch) = body?;
    Ok(Json(update_automation(&app, id, Value::Object(patch)).await?).into_response())
}

/// Applies a JSON merge patch to automation `id`'s request and stores it
/// if the result checks: what `PATCH /v1/automations/{id}` and the
/// dashboard's edit form do.
pub async fn update_automation(app: &AppState, id: i64, patch: Value) -> Result<AutomationView, ApiError> {
    let now = app.clock.now_ms();
    let days = app.campaigns.attribution_days;
    let view = app
        .store
        .run(move |s| {
            let row = s.automation(id)?.ok_or_else(|| no_automation(id))?;
            let mut merged = serde_json::to_value(&row.spec.input).map_err(ApiError::internal)?;
            merge_patch(&mut merged, &patch);
            let Value::Object(map) = merged else {
                return Err(invalid("body", "must be an object"));
            };
            let spec = read_input(map)?;
            let row = s.update_automation(id, &spec, now)?;
            Ok(view(s, row, days)?)
        })
        .await?;
    app.dispatcher.automations_changed();
    Ok(view)
}

async fn act(app: AppState, id: &str, from: &'static str, to: &'static str) -> Result<Response, ApiError> {
    let id = automation_id(id)?;
    Ok(Json(set_status(&app, id, from, to).await?).into_response())
}

/// Moves automation `id` from `from` to `to` (`active` ⇄ `paused`; 409
/// `wrong_status` when it is not `from`): what `pause`/`resume` and the
/// dashboard's buttons do.
pub async fn set_status(
    app: &AppState,
    id: i64,
    from: &'static str,
    to: &'static str,
) -> Result<AutomationView, ApiError> {
    let now = app.clock.now_ms();
    let days = app.campaigns.attribution_days;
    let view = app
        .store
        .run(move |s| {
            let row = s.set_automation_status(id, from, to, now).map_err(|e| match e {
                AutomationStoreError::WrongStatus { id, status } => ApiError::new(
                    StatusCode::CONFLICT,
                    "wrong_status",
                    format!(
                        "automation {id} is {status}: only an automation that is {from} can be made {to}"
                    ),
                ),
                e => ApiError::from(e),
            })?;
            Ok::<_, ApiError>(view(s, row, days)?)
        })
        .await?;
    tracing::info!(automation = id, status = to, "automation");
    app.dispatcher.automations_changed();
    Ok(view)
}

/// `POST /v1/automations/{id}/pause`: nothing of it leaves until resumed;
/// events no longer start it (cancelling events still cancel).
#[utoipa::path(post, path = "/v1/automations/{id}/pause", operation_id = "pause_automation", tag = "automations",
    params(("id" = String, Path, description = "Automation id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Paused", body = AutomationView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such automation", body = super::ErrorResponse),
        (status = 409, description = "Not active (`wrong_status`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn pause(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, "active", "paused").await
}

/// `POST /v1/automations/{id}/resume`: what is due goes (in its window),
/// what expired while paused does not.
#[utoipa::path(post, path = "/v1/automations/{id}/resume", operation_id = "resume_automation", tag = "automations",
    params(("id" = String, Path, description = "Automation id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Active again", body = AutomationView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such automation", body = super::ErrorResponse),
        (status = 409, description = "Not paused (`wrong_status`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn resume(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    act(app, &id, "paused", "active").await
}

/// Checks an event request into what the store records.
pub fn prepare_event(req: &EventRequest, region: crate::phone::Region) -> Result<NewEvent, ApiError> {
    let phone = Msisdn::parse(&req.contact, region)
        .map_err(|e| ApiError::invalid("invalid_number", e.to_string()))?;
    check_event_name(&req.event).map_err(|m| invalid_event("event", m))?;
    let data = match &req.data {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(invalid_event("data", "must be an object")),
    };
    let encoded = data.to_string();
    if encoded.len() > MAX_EVENT_DATA {
        return Err(invalid_event(
            "data",
            format!("is {} bytes; at most {MAX_EVENT_DATA}", encoded.len()),
        ));
    }
    if let Some(key) = &req.idempotency_key
        && (key.is_empty() || key.chars().count() > MAX_KEY)
    {
        return Err(ApiError::invalid(
            "invalid_idempotency_key",
            format!("idempotency_key must have 1 to {MAX_KEY} characters"),
        ));
    }
    let mut digest = Sha256::new();
    for part in [phone.as_str(), req.event.as_str(), encoded.as_str()] {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    Ok(NewEvent {
        phone: phone.as_str().to_string(),
        event: req.event.clone(),
        data,
        idempotency_key: req.idempotency_key.clone(),
        request_hash: crate::sms::hex::encode_hex(&digest.finalize()),
    })
}

/// `POST /v1/events`: records a contact's event; automations it starts
/// schedule their messages, those it stops (`cancel_on`, `exit_on`) cancel
/// what has not left. The answer lists both.
#[utoipa::path(post, path = "/v1/events", operation_id = "record_event", tag = "automations",
    request_body = EventRequest,
    responses(
        (status = 200, description = "Recorded (or, for a repeated idempotency_key with the same body, the first answer)", body = EventAnswer),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 409, description = "The idempotency_key was used for a different event (`idempotency_conflict`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "An invalid number (`invalid_number`), event name or data (`invalid_event`, naming the field), an unknown field, or a bad idempotency_key", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn record_event(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<EventRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let ev = prepare_event(&req, app.accepting.region)?;
    let now = app.clock.now_ms();
    let answer = app
        .store
        .run(move |s| s.record_event(&ev, now))
        .await
        .map_err(|e| match e {
            e @ EventError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "idempotency_conflict", e.to_string())
            }
            EventError::Store(e) => ApiError::from(e),
        })?;
    if !answer.scheduled.is_empty() || !answer.cancelled.is_empty() {
        app.dispatcher.automations_changed();
    }
    Ok(Json(answer).into_response())
}
