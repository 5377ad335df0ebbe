//! `/v1/optouts`: the numbers that must never be texted again — list, look
//! up, add (suppressing what is queued for them) and remove; and
//! `/v1/optouts/review`: replies that mention an opt-out keyword without
//! starting with one, waiting for a person to decide.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::phone::Msisdn;
use crate::store::{NewOptOut, OptOut, OptOutReview, OptOutSource, Resolved, ReviewAction, rfc3339};

/// `POST /v1/optouts` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutRequest {
    /// The number, as the user has it.
    pub number: String,
    /// Why, for the record.
    pub note: Option<String>,
}

/// Query of `GET /v1/optouts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OptOutQuery {
    /// Cursor: the `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

/// An opt-out as the API shows it.
pub fn optout_json(o: &OptOut) -> Value {
    json!({"number": o.number, "source": o.source, "keyword": o.keyword, "note": o.note, "at": rfc3339(o.at)})
}

fn number(app: &AppState, input: &str) -> Result<Msisdn, ApiError> {
    Msisdn::parse(input, app.accepting.region).map_err(|e| ApiError::invalid("invalid_number", e.to_string()))
}

/// `GET /v1/optouts?after=&limit=`.
#[utoipa::path(get, path = "/v1/optouts", operation_id = "list_optouts", tag = "optouts",
    params(OptOutQuery),
    responses(
        (status = 200, description = "`{\"optouts\": [{number, source, keyword, note, at}], \"next\": cursor|null}`, oldest first; source is keyword, api, import or review", body = Object),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<OptOutQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.optouts(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|(c, _)| *c), limit);
    let list: Vec<Value> = rows.iter().map(|(_, o)| optout_json(o)).collect();
    Ok(Json(json!({"optouts": list, "next": next})))
}

/// `GET /v1/optouts/{number}`.
#[utoipa::path(get, path = "/v1/optouts/{number}", operation_id = "get_optout", tag = "optouts",
    params(("number" = String, Path, description = "The number, in any form the default region reads")),
    responses(
        (status = 200, description = "`{number, source, keyword, note, at}`", body = Object),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "The number has not opted out", body = super::ErrorResponse),
        (status = 422, description = "Not a number", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    Path(input): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = number(&app, &input)?;
    let key = n.as_str().to_string();
    let found = app.store.run(move |s| s.optout(&key)).await?;
    found
        .map(|o| Json(optout_json(&o)))
        .ok_or_else(|| ApiError::not_found(format!("{n} has not opted out")))
}

/// `POST /v1/optouts`: opts a number out (and suppresses what is queued
/// for it). 201 when added, 200 when it already was.
#[utoipa::path(post, path = "/v1/optouts", operation_id = "create_optout", tag = "optouts",
    request_body = OptOutRequest,
    responses(
        (status = 201, description = "Opted out now: `{number, source, keyword, note, at}`; whatever was queued for it is suppressed", body = Object),
        (status = 200, description = "Had already opted out: the existing record", body = Object),
        (status = 400, description = "Bad JSON", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 422, description = "Not a number", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<OptOutRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body?;
    let n = number(&app, &req.number)?;
    let now = app.clock.now_ms();
    let key = n.as_str().to_string();
    let (added, stored) = app
        .store
        .run(move |s| {
            s.write(now, |tx| {
                let added = tx.add_optout(&NewOptOut {
                    number: &key,
                    source: OptOutSource::Api,
                    keyword: None,
                    note: req.note.as_deref(),
                    inbox_id: None,
                })?;
                Ok::<_, crate::store::StoreError>((added, tx.optout(&key)?))
            })
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::internal("opt-out vanished"))?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(optout_json(&stored))))
}

/// `DELETE /v1/optouts/{number}`: the number may be texted again.
#[utoipa::path(delete, path = "/v1/optouts/{number}", operation_id = "delete_optout", tag = "optouts",
    params(("number" = String, Path, description = "The number")),
    responses(
        (status = 200, description = "`{\"number\", \"opted_out\": false}`", body = Object),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "The number had not opted out", body = super::ErrorResponse),
        (status = 422, description = "Not a number", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    _: Authorized,
    State(app): State<AppState>,
    Path(input): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = number(&app, &input)?;
    let now = app.clock.now_ms();
    let key = n.as_str().to_string();
    let removed = app
        .store
        .run(move |s| s.write(now, |tx| tx.remove_optout(&key, OptOutSource::Api)))
        .await?;
    if removed {
        Ok(Json(json!({"number": n.as_str(), "opted_out": false})))
    } else {
        Err(ApiError::not_found(format!("{n} had not opted out")))
    }
}

/// Query of `GET /v1/optouts/review`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Cursor: the `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

/// `POST /v1/optouts/review/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// `opt_out` (the reply was an opt-out: record it, source `review`) or `dismiss`.
    pub action: String,
}

/// A review as the API shows it.
pub fn review_json(r: &OptOutReview) -> Value {
    json!({"id": r.id.to_string(), "number": r.number, "text": r.text, "keyword": r.keyword,
           "received_at": rfc3339(r.received_at), "inbox_id": r.inbox_id.to_string(),
           "resolved_at": r.resolved_at.map(rfc3339), "decision": r.decision})
}

/// `GET /v1/optouts/review?after=&limit=`: replies waiting for a decision.
#[utoipa::path(get, path = "/v1/optouts/review", operation_id = "list_optout_reviews", tag = "optouts",
    params(ReviewQuery),
    responses(
        (status = 200, description = "`{\"reviews\": [{id, number, text, keyword, received_at, inbox_id, resolved_at, decision}], \"next\": cursor|null}`: replies from people that mention an opt-out keyword (`keyword`, as configured) without starting with one, not yet decided, oldest first", body = Object),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn review_list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ReviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.pending_reviews(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit);
    let list: Vec<Value> = rows.iter().map(review_json).collect();
    Ok(Json(json!({"reviews": list, "next": next})))
}

/// `POST /v1/optouts/review/{id}`: decides a review.
#[utoipa::path(post, path = "/v1/optouts/review/{id}", operation_id = "resolve_optout_review", tag = "optouts",
    params(("id" = String, Path, description = "The review's id")),
    request_body = ReviewDecision,
    responses(
        (status = 200, description = "`{\"review\": {id, number, text, keyword, received_at, inbox_id, resolved_at, decision}, \"optout\": {number, source, keyword, note, at}|null}`. `opt_out` records the opt-out (source `review`, the reply as its keyword), suppresses what is queued for the number and closes its other pending reviews; no confirmation is sent. `dismiss` leaves the number as it is", body = Object),
        (status = 400, description = "Bad JSON", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such review", body = super::ErrorResponse),
        (status = 409, description = "Already decided (`already_resolved`); the body's message says how", body = super::ErrorResponse),
        (status = 422, description = "`action` is not `opt_out` or `dismiss` (`invalid_action`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn review_resolve(
    _: Authorized,
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ReviewDecision>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no review {id:?}")))?;
    let Json(req) = body?;
    let action = match req.action.as_str() {
        "opt_out" => ReviewAction::OptOut,
        "dismiss" => ReviewAction::Dismiss,
        other => {
            return Err(ApiError::invalid(
                "invalid_action",
                format!("action {other:?} is not \"opt_out\" or \"dismiss\""),
            ));
        }
    };
    let now = app.clock.now_ms();
    match app.store.run(move |s| s.resolve_review(id, action, now)).await? {
        Resolved::Done(review, optout) => Ok(Json(
            json!({"review": review_json(&review), "optout": optout.as_ref().map(optout_json)}),
        )),
        Resolved::AlreadyResolved(r) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_resolved",
            format!(
                "review {} was already decided ({}) at {}",
                r.id,
                r.decision.as_deref().unwrap_or("?"),
                r.resolved_at.map(rfc3339).unwrap_or_default()
            ),
        )),
        Resolved::NotFound => Err(ApiError::not_found(format!("no review {id}"))),
    }
}
