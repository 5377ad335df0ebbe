//! `/v1/optouts`: the numbers that must never be texted again — list, look
//! up, add (suppressing what is queued for them) and remove; and
//! `/v1/optouts/review`: replies that mention an opt-out keyword without
//! starting with one, waiting for a person to decide.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
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
    #[schema(
        min_length = 1,
        pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$",
        example = "+79161234567"
    )]
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
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// An opt-out as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutView<'a> {
    /// The number, E.164 or a short code.
    #[schema(value_type = String)]
    pub number: &'a str,
    /// How it came: `keyword`, `api`, `import` or `review`.
    #[schema(value_type = String)]
    pub source: &'a str,
    /// The reply that opted it out (source `keyword` or `review`).
    #[schema(value_type = Option<String>)]
    pub keyword: Option<&'a str>,
    /// A note from the API or the file.
    #[schema(value_type = Option<String>)]
    pub note: Option<&'a str>,
    /// When (RFC 3339).
    pub at: String,
}

impl<'a> From<&'a OptOut> for OptOutView<'a> {
    fn from(o: &'a OptOut) -> Self {
        OptOutView {
            number: &o.number,
            source: &o.source,
            keyword: o.keyword.as_deref(),
            note: o.note.as_deref(),
            at: rfc3339(o.at),
        }
    }
}

/// A page of opt-outs.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutPage<'a> {
    /// Opt-outs, oldest first.
    pub optouts: Vec<OptOutView<'a>>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// What removing an opt-out answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutRemoved<'a> {
    /// The number, canonical.
    #[schema(value_type = String)]
    pub number: &'a str,
    /// Always false: the number may be texted again.
    pub opted_out: bool,
}

/// The number `input` (in any form the default region reads) in its
/// canonical form, as opt-outs are stored; or 422 `invalid_number`.
pub fn number(app: &AppState, input: &str) -> Result<Msisdn, ApiError> {
    Msisdn::parse(input, app.accepting.region).map_err(|e| ApiError::invalid("invalid_number", e.to_string()))
}

/// `GET /v1/optouts?after=&limit=`.
#[utoipa::path(get, path = "/v1/optouts", operation_id = "list_optouts", tag = "optouts",
    params(OptOutQuery),
    responses(
        (status = 200, description = "Opt-outs, oldest first", body = OptOutPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<OptOutQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.optouts(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|(c, _)| *c), limit, false);
    let optouts = rows.iter().map(|(_, o)| OptOutView::from(o)).collect();
    Ok(Json(OptOutPage { optouts, next }).into_response())
}

/// `GET /v1/optouts/{number}`.
#[utoipa::path(get, path = "/v1/optouts/{number}", operation_id = "get_optout", tag = "optouts",
    params(("number" = String, Path, description = "The number, in any form the default region reads", pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567")),
    responses(
        (status = 200, description = "The opt-out", body = OptOutView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "The number has not opted out", body = super::ErrorResponse),
        (status = 422, description = "Not a number", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    let n = number(&app, &input)?;
    let key = n.as_str().to_string();
    let found = app.store.run(move |s| s.optout(&key)).await?;
    found
        .map(|o| Json(OptOutView::from(&o)).into_response())
        .ok_or_else(|| ApiError::not_found(format!("{n} has not opted out")))
}

/// Opts the number `input` (in any form the default region reads) out
/// with source `api` and `note`, suppressing what is queued for it; the
/// same for the API and the dashboard. Returns whether it was added now
/// (false: it had opted out already) and the stored record.
pub async fn add(app: &AppState, input: &str, note: Option<String>) -> Result<(bool, OptOut), ApiError> {
    let n = number(app, input)?;
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
                    note: note.as_deref(),
                    inbox_id: None,
                })?;
                Ok::<_, crate::store::StoreError>((added, tx.optout(&key)?))
            })
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::internal("opt-out vanished"))?;
    Ok((added, stored))
}

/// Removes the opt-out of `input` (the number may be texted again); the
/// same for the API and the dashboard. 404 `not_found` if it had none.
pub async fn remove(app: &AppState, input: &str) -> Result<Msisdn, ApiError> {
    let n = number(app, input)?;
    let now = app.clock.now_ms();
    let key = n.as_str().to_string();
    let removed = app
        .store
        .run(move |s| s.write(now, |tx| tx.remove_optout(&key, OptOutSource::Api)))
        .await?;
    if removed {
        Ok(n)
    } else {
        Err(ApiError::not_found(format!("{n} had not opted out")))
    }
}

/// Decides review `id`; the same for the API and the dashboard. 404 for
/// no such review, 409 `already_resolved` for one decided before.
pub async fn resolve(
    app: &AppState,
    id: i64,
    action: ReviewAction,
) -> Result<(OptOutReview, Option<OptOut>), ApiError> {
    let now = app.clock.now_ms();
    match app.store.run(move |s| s.resolve_review(id, action, now)).await? {
        Resolved::Done(review, optout) => Ok((review, optout)),
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

/// `POST /v1/optouts`: opts a number out (and suppresses what is queued
/// for it). 201 when added, 200 when it already was.
#[utoipa::path(post, path = "/v1/optouts", operation_id = "create_optout", tag = "optouts",
    request_body = OptOutRequest,
    responses(
        (status = 200, description = "Had already opted out: the existing record", body = OptOutView),
        (status = 201, description = "Opted out now; whatever was queued for it is suppressed", body = OptOutView,
            links(
                ("GetOptOut" = (operation_id = "get_optout", parameters(("number" = "$response.body#/number")), description = "The same number")),
                ("DeleteOptOut" = (operation_id = "delete_optout", parameters(("number" = "$response.body#/number")), description = "The same number")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Not a number, an unknown field or a field of the wrong type", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<OptOutRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body?;
    let (added, stored) = add(&app, &req.number, req.note).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(OptOutView::from(&stored))).into_response())
}

/// `DELETE /v1/optouts/{number}`: the number may be texted again.
#[utoipa::path(delete, path = "/v1/optouts/{number}", operation_id = "delete_optout", tag = "optouts",
    params(("number" = String, Path, description = "The number, in any form the default region reads", pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$", example = "+79161234567")),
    responses(
        (status = 200, description = "Removed: the number may be texted again", body = OptOutRemoved),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "The number had not opted out", body = super::ErrorResponse),
        (status = 422, description = "Not a number", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(input) = path?;
    let n = remove(&app, &input).await?;
    Ok(Json(OptOutRemoved {
        number: n.as_str(),
        opted_out: false,
    })
    .into_response())
}

/// Query of `GET /v1/optouts/review`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// `POST /v1/optouts/review/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// `opt_out` (the reply was an opt-out: record it, source `review`) or `dismiss`.
    #[schema(value_type = DecisionAction)]
    pub action: String,
}

/// The decisions `POST /v1/optouts/review/{id}` takes (for the document;
/// the handler reads the name itself to answer `invalid_action`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DecisionAction {
    /// The reply was an opt-out: record it (source `review`).
    OptOut,
    /// It was not.
    Dismiss,
}

/// A review as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView<'a> {
    /// Id (a decimal string).
    pub id: String,
    /// The sender, canonical.
    #[schema(value_type = String)]
    pub number: &'a str,
    /// The reply.
    #[schema(value_type = String)]
    pub text: &'a str,
    /// The opt-out keyword found in it, as configured.
    #[schema(value_type = String)]
    pub keyword: &'a str,
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// The received message (a decimal string; see `GET /v1/inbox`).
    pub inbox_id: String,
    /// When it was decided (RFC 3339), or null.
    pub resolved_at: Option<String>,
    /// `opt_out`, `dismiss`, `opted_out` (the number opted out some other way first), or null.
    #[schema(value_type = Option<String>)]
    pub decision: Option<&'a str>,
}

impl<'a> From<&'a OptOutReview> for ReviewView<'a> {
    fn from(r: &'a OptOutReview) -> Self {
        ReviewView {
            id: r.id.to_string(),
            number: &r.number,
            text: &r.text,
            keyword: &r.keyword,
            received_at: rfc3339(r.received_at),
            inbox_id: r.inbox_id.to_string(),
            resolved_at: r.resolved_at.map(rfc3339),
            decision: r.decision.as_deref(),
        }
    }
}

/// A page of replies waiting for a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage<'a> {
    /// Reviews, oldest first.
    pub reviews: Vec<ReviewView<'a>>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// A decided review, with the opt-out it recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDecided<'a> {
    /// The review, now decided.
    pub review: ReviewView<'a>,
    /// The opt-out recorded (`opt_out`), or null (`dismiss`).
    pub optout: Option<OptOutView<'a>>,
}

/// `GET /v1/optouts/review?after=&limit=`: replies waiting for a decision.
#[utoipa::path(get, path = "/v1/optouts/review", operation_id = "list_optout_reviews", tag = "optouts",
    params(ReviewQuery),
    responses(
        (status = 200, description = "Replies from people that hold an opt-out keyword (`keyword`, as configured) without being an opt-out (a keyword alone or followed only by words that reinforce it), not yet decided, oldest first", body = ReviewPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn review_list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ReviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.pending_reviews(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
    let reviews = rows.iter().map(ReviewView::from).collect();
    Ok(Json(ReviewPage { reviews, next }).into_response())
}

/// `POST /v1/optouts/review/{id}`: decides a review.
#[utoipa::path(post, path = "/v1/optouts/review/{id}", operation_id = "resolve_optout_review", tag = "optouts",
    params(("id" = String, Path, description = "The review's id")),
    request_body = ReviewDecision,
    responses(
        (status = 200, description = "The decided review and the opt-out recorded (or null). `opt_out` records the opt-out (source `review`, the reply as its keyword), suppresses what is queued for the number and closes its other pending reviews; no confirmation is sent. `dismiss` leaves the number as it is", body = ReviewDecided),
        (status = 400, description = "Not JSON (`bad_json`), or a path that is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such review", body = super::ErrorResponse),
        (status = 409, description = "Already decided (`already_resolved`); the body's message says how", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "`action` is not `opt_out` or `dismiss` (`invalid_action`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn review_resolve(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<ReviewDecision>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
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
    let (review, optout) = resolve(&app, id, action).await?;
    Ok(Json(ReviewDecided {
        review: ReviewView::from(&review),
        optout: optout.as_ref().map(OptOutView::from),
    })
    .into_response())
}
