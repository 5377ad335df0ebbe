//! `/v1/optouts`: the numbers that must never be texted again — list, look
//! up, add (suppressing what is queued for them) and remove.

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
use crate::store::{NewOptOut, OptOut, OptOutSource, rfc3339};

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
        (status = 200, description = "`{\"optouts\": [{number, source, keyword, note, at}], \"next\": cursor|null}`, oldest first; source is keyword, api or import", body = Object),
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
