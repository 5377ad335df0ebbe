//! `/v1/segments`: saved filters over contacts — create, list, read,
//! change, delete — and the preview of an audience (how many a marketing
//! send would reach, how many it leaves out and why, a sample), for a saved
//! segment or an unsaved filter. The filter language is in
//! `docs/segments.md`; a filter that does not validate is a 422
//! `invalid_filter` whose message names the failing node by its JSON path.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::contacts::Contact;
use crate::store::{Preview, SegmentError, SegmentRow, rfc3339};

/// Contacts shown in a preview's sample.
const SAMPLE: usize = 10;

/// `POST /v1/segments` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
    /// A unique name, 1 to 200 characters (trimmed), not only white space.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "VIPs in Kazan")]
    pub name: String,
    /// The filter (see the segments documentation), e.g.
    /// `{"all": [{"tag": "vip"}, {"attr": "city", "eq": "Kazan"}]}`.
    #[schema(value_type = Object, example = json!({"all": [{"tag": "vip"}, {"attr": "spent", "gt": 1000}, {"not": {"tag": "staff"}}]}))]
    pub filter: serde_json::Value,
}

/// `PATCH /v1/segments/{id}` body: what to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    /// A new unique name, 1 to 200 characters (trimmed), not only white space.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "VIPs")]
    pub name: Option<String>,
    /// A new filter.
    #[schema(value_type = Option<Object>, example = json!({"tag": "vip"}))]
    pub filter: Option<serde_json::Value>,
}

/// `POST /v1/segments/preview` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The filter to preview.
    #[schema(value_type = Object, example = json!({"any": [{"tag": "vip"}, {"attr": "birthday", "anniversary_within_days": 7}]}))]
    pub filter: serde_json::Value,
}

/// Query of `GET /v1/segments`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SegmentQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A saved segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    /// Segment id (a decimal string).
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// Its filter, as given.
    #[schema(value_type = Object)]
    pub filter: serde_json::Value,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<SegmentRow> for SegmentView {
    fn from(r: SegmentRow) -> Self {
        SegmentView {
            id: r.id.to_string(),
            name: r.name,
            filter: r.filter,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// A page of segments.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentPage {
    /// Segments, oldest first.
    pub segments: Vec<SegmentView>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// What deleting a segment answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentDeleted {
    /// The id deleted (a decimal string).
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

/// Matching contacts a marketing send leaves out, each counted once:
/// opted out first, then invalid, then without consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExcludedView {
    /// Consent `none` or `pending` (active, not opted out).
    pub no_consent: u64,
    /// On the opt-out list.
    pub opted_out: u64,
    /// Status `invalid` (not opted out).
    pub invalid: u64,
}

/// A contact in a preview's sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct SampleContact {
    /// Contact id (a decimal string).
    pub id: String,
    /// E.164 or a short code.
    pub phone: String,
    /// Name, if known.
    pub name: Option<String>,
    /// Language, if known.
    pub language: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Attributes: strings, numbers, booleans and dates `YYYY-MM-DD`.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Consent status: `opted_in`, `pending` or `none`.
    pub consent: &'static str,
    /// `active` or `invalid`.
    pub status: &'static str,
}

impl From<&Contact> for SampleContact {
    fn from(c: &Contact) -> Self {
        SampleContact {
            id: c.id.to_string(),
            phone: c.phone.clone(),
            name: c.name.clone(),
            language: c.language.clone(),
            tags: c.tags.clone(),
            attributes: c
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
            consent: c.consent.status.as_str(),
            status: c.status.as_str(),
        }
    }
}

/// The audience of a filter now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// Contacts a marketing send would reach: matching, opted in, active, not opted out.
    pub count: u64,
    /// Every matching contact (`count` plus the excluded).
    pub matched: u64,
    /// Matching contacts left out, and why.
    pub excluded: ExcludedView,
    /// The first 10 contacts that would be reached (by id).
    pub sample: Vec<SampleContact>,
}

impl From<&Preview> for PreviewView {
    fn from(p: &Preview) -> Self {
        PreviewView {
            count: p.count,
            matched: p.matched,
            excluded: ExcludedView {
                no_consent: p.excluded.no_consent,
                opted_out: p.excluded.opted_out,
                invalid: p.excluded.invalid,
            },
            sample: p.sample.iter().map(SampleContact::from).collect(),
        }
    }
}

impl From<SegmentError> for ApiError {
    fn from(e: SegmentError) -> Self {
        match e {
            SegmentError::Invalid(f) => ApiError::invalid("invalid_filter", f.to_string()),
            SegmentError::InvalidName(m) => ApiError::invalid("invalid_name", m),
            SegmentError::NameTaken(n) => ApiError::new(
                StatusCode::CONFLICT,
                "name_taken",
                format!("a segment named {n:?} exists; choose another name"),
            ),
            SegmentError::Store(e) => ApiError::from(e),
        }
    }
}

fn segment_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::not_found(format!("no segment {id:?}")))
}

fn no_segment(id: i64) -> ApiError {
    ApiError::not_found(format!("no segment {id}"))
}

/// `POST /v1/segments`: saves a filter under a name.
#[utoipa::path(post, path = "/v1/segments", operation_id = "create_segment", tag = "segments",
    request_body = SegmentRequest,
    responses(
        (status = 201, description = "Saved", body = SegmentView,
            links(
                ("GetSegment" = (operation_id = "get_segment", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("PreviewSegment" = (operation_id = "preview_segment", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("UpdateSegment" = (operation_id = "update_segment", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("DeleteSegment" = (operation_id = "delete_segment", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 409, description = "Another segment has that name (`name_taken`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`), a bad name (`invalid_name`), or a filter that does not validate (`invalid_filter`: the message names the node, e.g. `filter.all[2].gt: …`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<SegmentRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let now = app.clock.now_ms();
    let row = app
        .store
        .run(move |s| {
            let filter = s.parse_filter(&req.filter)?;
            s.write(now, |tx| tx.create_segment(&req.name, &filter))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(SegmentView::from(row))).into_response())
}

/// `GET /v1/segments?after=&limit=`.
#[utoipa::path(get, path = "/v1/segments", operation_id = "list_segments", tag = "segments",
    params(SegmentQuery),
    responses(
        (status = 200, description = "Segments, oldest first", body = SegmentPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<SegmentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.segments(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
    let segments = rows.into_iter().map(SegmentView::from).collect();
    Ok(Json(SegmentPage { segments, next }).into_response())
}

/// `GET /v1/segments/{id}`.
#[utoipa::path(get, path = "/v1/segments/{id}", operation_id = "get_segment", tag = "segments",
    params(("id" = String, Path, description = "Segment id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "The segment", body = SegmentView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such segment", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = segment_id(&id)?;
    let row = app.store.run(move |s| s.segment(id)).await?;
    row.map(|r| Json(SegmentView::from(r)).into_response())
        .ok_or_else(|| no_segment(id))
}

/// `PATCH /v1/segments/{id}`: renames it and/or replaces its filter.
#[utoipa::path(patch, path = "/v1/segments/{id}", operation_id = "update_segment", tag = "segments",
    params(("id" = String, Path, description = "Segment id", pattern = r"^[0-9]{1,18}$")),
    request_body = SegmentPatch,
    responses(
        (status = 200, description = "The segment as changed", body = SegmentView),
        (status = 400, description = "Not JSON (`bad_json`), or the path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such segment", body = super::ErrorResponse),
        (status = 409, description = "Another segment has that name (`name_taken`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`), a bad name (`invalid_name`), or a filter that does not validate (`invalid_filter`, naming the node)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<SegmentPatch>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = segment_id(&id)?;
    let Json(patch) = body?;
    let now = app.clock.now_ms();
    let row = app
        .store
        .run(move |s| {
            if patch.name.is_none() && patch.filter.is_none() {
                return s.segment(id).map_err(SegmentError::from);
            }
            let filter = patch.filter.as_ref().map(|f| s.parse_filter(f)).transpose()?;
            s.write(now, |tx| {
                tx.update_segment(id, patch.name.as_deref(), filter.as_ref())
            })
        })
        .await?;
    row.map(|r| Json(SegmentView::from(r)).into_response())
        .ok_or_else(|| no_segment(id))
}

/// `DELETE /v1/segments/{id}`.
#[utoipa::path(delete, path = "/v1/segments/{id}", operation_id = "delete_segment", tag = "segments",
    params(("id" = String, Path, description = "Segment id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Deleted", body = SegmentDeleted),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such segment", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = segment_id(&id)?;
    let now = app.clock.now_ms();
    let deleted = app
        .store
        .run(move |s| s.write(now, |tx| tx.delete_segment(id)))
        .await?;
    if deleted {
        Ok(Json(SegmentDeleted {
            id: id.to_string(),
            deleted: true,
        })
        .into_response())
    } else {
        Err(no_segment(id))
    }
}

/// `GET /v1/segments/{id}/preview`: the saved segment's audience now.
#[utoipa::path(get, path = "/v1/segments/{id}/preview", operation_id = "preview_segment", tag = "segments",
    params(("id" = String, Path, description = "Segment id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "The audience: `count` reachable, `excluded` by reason, a sample of 10", body = PreviewView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such segment", body = super::ErrorResponse),
        (status = 422, description = "The saved filter no longer validates (`invalid_filter`, naming the node)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn preview_saved(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = segment_id(&id)?;
    let now = app.clock.now_ms();
    let preview = app
        .store
        .run(move |s| {
            let Some(filter) = s.segment_filter(id)? else {
                return Ok(None);
            };
            s.segment_preview(&filter, now, SAMPLE)
                .map(Some)
                .map_err(SegmentError::from)
        })
        .await?;
    preview
        .map(|p| Json(PreviewView::from(&p)).into_response())
        .ok_or_else(|| no_segment(id))
}

/// `POST /v1/segments/preview`: the audience of an unsaved filter.
#[utoipa::path(post, path = "/v1/segments/preview", operation_id = "preview_filter", tag = "segments",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The audience: `count` reachable, `excluded` by reason, a sample of 10", body = PreviewView),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`) or a filter that does not validate (`invalid_filter`, naming the node)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<PreviewRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let now = app.clock.now_ms();
    let preview = app
        .store
        .run(move |s| {
            let filter = s.parse_filter(&req.filter)?;
            s.segment_preview(&filter, now, SAMPLE)
                .map_err(SegmentError::from)
        })
        .await?;
    Ok(Json(PreviewView::from(&preview)).into_response())
}
