//! `/v1/surveys`: reply-to-vote surveys — send a question, count the
//! answers, list the votes, close.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::inbound::vote::{Choice, question_text, sort_choices};
use crate::phone::Msisdn;
use crate::sms;
use crate::store::{
    CountMode, MessageKind, NewMessage, NewSurvey, Status, SurveyReport, SurveySummary, rfc3339,
};

/// `POST /v1/surveys` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequest {
    /// The question: not only white space (422 `empty_text`).
    #[schema(min_length = 1, pattern = r"\S", example = "Will you come on Friday?")]
    pub question: String,
    /// Reply key → label, e.g. `{"1": "Yes", "2": "No"}`: at least two; a key has
    /// 1 to 16 characters without spaces, a label is not empty.
    #[schema(schema_with = options_schema)]
    pub options: BTreeMap<String, String>,
    /// Numbers to ask (1 to 100,000; more is 413).
    #[schema(min_items = 1, example = json!(["+79161234567", "8 916 765-43-21"]))]
    pub recipients: Vec<String>,
    /// Closes by itself then (RFC 3339, in the future).
    #[schema(format = DateTime)]
    pub closes_at: Option<String>,
    /// Which vote of a voter counts: `first` (default) or `last`.
    #[schema(value_type = Option<CountName>)]
    pub count: Option<String>,
    /// Sent once to a recipient whose reply is not a vote.
    pub invalid_reply: Option<String>,
    /// Makes a retried request safe (1 to 200 characters): the same key
    /// with the same request answers the first survey and asks nobody
    /// again; with another request it is a 409 `idempotency_conflict`.
    #[schema(min_length = 1, max_length = 200, example = "friday-visit-2024-05")]
    pub idempotency_key: Option<String>,
}

/// Longest option key, in characters.
const MAX_KEY: usize = 16;

/// `options` as the handler checks it: at least two, keys of 1 to 16
/// characters with no white space, labels not only white space.
fn options_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .min_properties(Some(2))
        .examples([serde_json::json!({"1": "Yes", "2": "No"})])
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^\S{1,16}$")),
        ))
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .pattern(Some(r"\S")),
        ))
        .description(Some(
            "Reply key → label, e.g. `{\"1\": \"Yes\", \"2\": \"No\"}`: at least two; a key has 1 to 16 characters and no white space, a label is not only white space.",
        ))
        .build()
}

/// The values of `count` (for the document; the handler reads the name
/// itself to answer `invalid_count`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CountName {
    /// The first valid vote counts; later ones are kept but not counted.
    First,
    /// The last valid vote while the survey is open counts.
    Last,
}

/// What creating a survey answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyCreated {
    /// Survey id (a decimal string).
    pub id: String,
    /// `open`.
    pub status: &'static str,
    /// Questions queued.
    pub messages: usize,
    /// Recipients that had opted out (nothing queued for them).
    pub suppressed: usize,
    /// The text sent: the question with its options.
    pub question: String,
}

/// One option's count.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionResult<'a> {
    /// The option's label.
    #[schema(value_type = String)]
    pub label: &'a str,
    /// Counted votes.
    pub votes: u64,
}

/// A survey's state and counts (`GET /v1/surveys/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyView<'a> {
    /// Survey id (a decimal string).
    pub id: String,
    /// The text sent.
    #[schema(value_type = String)]
    pub question: &'a str,
    /// `open` or `closed`.
    pub status: &'static str,
    /// Which vote counts: `first` or `last`.
    #[schema(value_type = String)]
    pub count: &'a str,
    /// Numbers asked.
    pub recipients: u64,
    /// Numbers whose question was delivered (delivery report).
    pub delivered: u64,
    /// Numbers with a counted vote.
    pub responded: u64,
    /// Option key → its label and counted votes, in the options' order.
    pub results: BTreeMap<String, OptionResult<'a>>,
    /// Replies that were not votes.
    pub comments: u64,
    /// `responded / recipients`, 0 to 1, four decimals.
    pub response_rate: f64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Closes by itself then (RFC 3339), or null.
    pub closes_at: Option<String>,
    /// Closed then (RFC 3339), or null.
    pub closed_at: Option<String>,
}

/// One voter's counted vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView<'a> {
    /// The voter.
    #[schema(value_type = String)]
    pub number: &'a str,
    /// The option key.
    #[schema(value_type = String)]
    pub answer: &'a str,
    /// Its label.
    #[schema(value_type = String)]
    pub label: &'a str,
    /// What they wrote.
    #[schema(value_type = Option<String>)]
    pub text: Option<&'a str>,
    /// When (RFC 3339).
    pub at: String,
}

/// A survey's counted votes.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteList<'a> {
    /// Each voter's counted vote, in time order.
    pub votes: Vec<VoteView<'a>>,
}

/// What closing a survey answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyClosed {
    /// Survey id (a decimal string).
    pub id: String,
    /// `closed`.
    pub status: &'static str,
}

/// Most numbers one survey asks.
const MAX_RECIPIENTS: usize = 100_000;

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(code, message)
}

fn survey_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("no survey {id:?}")))
}

/// `POST /v1/surveys`: sends the question to every recipient.
#[utoipa::path(post, path = "/v1/surveys", operation_id = "create_survey", tag = "surveys",
    request_body = SurveyRequest,
    responses(
        (status = 201, description = "Created: `messages` questions queued; `suppressed` recipients had opted out (or, for a repeated idempotency_key with the same request, the first answer)", body = SurveyCreated,
            links(
                ("GetSurvey" = (operation_id = "get_survey", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("ListSurveyVotes" = (operation_id = "list_survey_votes", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("CloseSurvey" = (operation_id = "close_survey", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 409, description = "The `idempotency_key` was used for a different survey (`idempotency_conflict`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`) or more than 100,000 recipients (`too_many_recipients`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Invalid question, options, recipients or closes_at", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<SurveyRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body?;
    let created = create_survey(&app, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Longest idempotency key, in characters.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The digest an idempotency key is checked against: the request as the
/// client sent it, every field in a fixed order.
fn request_hash(req: &SurveyRequest) -> String {
    let mut digest = Sha256::new();
    let mut part = |s: &str| {
        digest.update((s.len() as u64).to_le_bytes());
        digest.update(s.as_bytes());
    };
    part(&req.question);
    for (k, l) in &req.options {
        part(k);
        part(l);
    }
    part("|recipients");
    for r in &req.recipients {
        part(r);
    }
    for opt in [&req.closes_at, &req.count, &req.invalid_reply] {
        part(opt.as_deref().unwrap_or("\u{0}none"));
    }
    crate::sms::hex::encode_hex(&digest.finalize())
}

/// Checks a survey request and sends its question to every recipient
/// (opted-out numbers are suppressed by the queue, as for any send):
/// what `POST /v1/surveys` and the dashboard's survey form do. With an
/// `idempotency_key` seen before, the first survey's answer.
pub async fn create_survey(app: &AppState, req: SurveyRequest) -> Result<SurveyCreated, ApiError> {
    let now = app.clock.now_ms();
    if let Some(key) = &req.idempotency_key
        && (key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY)
    {
        return Err(invalid(
            "invalid_idempotency_key",
            format!("idempotency_key must have 1 to {MAX_IDEMPOTENCY_KEY} characters"),
        ));
    }
    let keyed = req.idempotency_key.clone().map(|k| (k, request_hash(&req)));
    if req.question.trim().is_empty() {
        return Err(invalid("empty_text", "question is empty"));
    }
    sms::check_text(&req.question).map_err(|e| invalid("invalid_text", format!("question: {e}")))?;
    if let Some(t) = &req.invalid_reply {
        sms::check_text(t).map_err(|e| invalid("invalid_text", format!("invalid_reply: {e}")))?;
    }
    if req.options.len() < 2 {
        return Err(invalid("invalid_options", "a survey needs at least two options"));
    }
    let mut choices = Vec::with_capacity(req.options.len());
    for (key, label) in &req.options {
        // Not trimmed: `"1"` and `" 1"` would be one reply key twice.
        let k = key.as_str();
        if k.is_empty() || k.chars().count() > MAX_KEY || k.chars().any(char::is_whitespace) {
            return Err(invalid(
                "invalid_options",
                format!("option key {key:?} must be 1 to {MAX_KEY} characters without spaces"),
            ));
        }
        sms::check_text(k).map_err(|e| invalid("invalid_text", format!("option key {key:?}: {e}")))?;
        if label.trim().is_empty() {
            return Err(invalid("invalid_options", format!("option {key:?} has no label")));
        }
        sms::check_text(label).map_err(|e| invalid("invalid_text", format!("option {key:?}: {e}")))?;
        choices.push(Choice {
            key: k.to_string(),
            label: label.trim().to_string(),
        });
    }
    sort_choices(&mut choices);
    let count_mode = match req.count.as_deref() {
        None | Some("first") => CountMode::First,
        Some("last") => CountMode::Last,
        Some(other) => {
            return Err(invalid(
                "invalid_count",
                format!("count {other:?} must be \"first\" or \"last\""),
            ));
        }
    };
    let closes_at = match &req.closes_at {
        None => None,
        Some(s) => {
            let t = DateTime::parse_from_rfc3339(s)
                .map_err(|e| {
                    invalid(
                        "invalid_closes_at",
                        format!("closes_at {s:?} is not an RFC 3339 time: {e}"),
                    )
                })?
                .timestamp_millis();
            if t <= now {
                return Err(invalid("invalid_closes_at", "closes_at is in the past"));
            }
            Some(t)
        }
    };
    if req.recipients.is_empty() {
        return Err(invalid("invalid_recipients", "no recipients"));
    }
    if req.recipients.len() > MAX_RECIPIENTS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_recipients",
            format!("a survey asks at most {MAX_RECIPIENTS} numbers"),
        ));
    }
    let mut numbers = Vec::with_capacity(req.recipients.len());
    let mut seen = HashSet::new();
    let mut bad = Vec::new();
    for (i, r) in req.recipients.iter().enumerate() {
        match Msisdn::parse(r, app.accepting.region) {
            Ok(n) => {
                if seen.insert(n.as_str().to_string()) {
                    numbers.push(n);
                }
            }
            Err(e) => bad.push(format!("recipients[{i}]: {e}")),
        }
    }
    if !bad.is_empty() {
        let more = if bad.len() > 5 {
            format!(" (and {} more)", bad.len() - 5)
        } else {
            String::new()
        };
        bad.truncate(5);
        return Err(invalid("invalid_number", format!("{}{more}", bad.join("; "))));
    }
    let text = question_text(&req.question, &choices);
    let plan = sms::plan(&text, &app.accepting.split).map_err(|e| invalid("too_long", e.to_string()))?;
    let survey = NewSurvey {
        question: plan.text.clone(),
        options: choices.iter().map(|c| (c.key.clone(), c.label.clone())).collect(),
        count_mode,
        invalid_reply: req.invalid_reply.filter(|t| !t.trim().is_empty()),
        closes_at,
    };
    let expires_at = app
        .accepting
        .validity_minutes
        .map(|v| now + i64::from(v) * 60_000);
    let (id, queued, suppressed, text) = app
        .store
        .run(move |s| {
            s.write(now, |tx| {
                if let Some((key, hash)) = &keyed
                    && let Some(first) = tx.survey_by_key(key)?
                {
                    if first.request_hash != *hash {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            "idempotency_conflict",
                            format!("idempotency key {key:?} was already used for a different survey"),
                        ));
                    }
                    return Ok((
                        first.id,
                        first.messages as usize,
                        first.suppressed as usize,
                        first.question,
                    ));
                }
                let id = tx.create_survey(&survey)?;
                let (mut queued, mut suppressed) = (0usize, 0usize);
                for n in numbers {
                    let msg = NewMessage {
                        recipient: n.clone(),
                        text: plan.text.clone(),
                        encoding: plan.encoding,
                        segments: plan.segment_count(),
                        // "delivered" is part of the survey's result.
                        status_report: true,
                        send_at: None,
                        expires_at,
                        kind: Some(MessageKind::Survey),
                        category: Default::default(),
                        idempotency_key: None,
                        request_hash: String::new(),
                    };
                    // No idempotency key: only the store itself can fail.
                    let out = tx.enqueue(&msg).map_err(|e| match e {
                        crate::store::EnqueueError::Store(e) => ApiError::from(e),
                        other => ApiError::internal(other),
                    })?;
                    if out.status == Status::Suppressed {
                        suppressed += 1;
                    } else {
                        queued += 1;
                        tx.add_survey_recipient(id, n.as_str(), out.id)?;
                    }
                }
                if let Some((key, hash)) = &keyed {
                    tx.keep_survey_key(id, key, hash, suppressed as u64)?;
                }
                Ok::<_, ApiError>((id, queued, suppressed, text))
            })
        })
        .await?;
    app.dispatcher.wake();
    Ok(SurveyCreated {
        id: id.to_string(),
        status: "open",
        messages: queued,
        suppressed,
        question: text,
    })
}

impl<'a> From<&'a SurveyReport> for SurveyView<'a> {
    fn from(r: &'a SurveyReport) -> Self {
        let results = r
            .results
            .iter()
            .map(|(k, l, n)| (k.clone(), OptionResult { label: l, votes: *n }))
            .collect();
        let response_rate = if r.recipients == 0 {
            0.0
        } else {
            (r.responded as f64 / r.recipients as f64 * 10_000.0).round() / 10_000.0
        };
        SurveyView {
            id: r.id.to_string(),
            question: &r.question,
            status: if r.open { "open" } else { "closed" },
            count: &r.count_mode,
            recipients: r.recipients,
            delivered: r.delivered,
            responded: r.responded,
            results,
            comments: r.comments,
            response_rate,
            created_at: rfc3339(r.created_at),
            closes_at: r.closes_at.map(rfc3339),
            closed_at: r.closed_at.map(rfc3339),
        }
    }
}

/// `GET /v1/surveys/{id}`.
#[utoipa::path(get, path = "/v1/surveys/{id}", operation_id = "get_survey", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "The survey with its counts", body = SurveyView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such survey", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = survey_id(&id)?;
    let report = survey_report(&app, id).await?;
    Ok(Json(SurveyView::from(&report)).into_response())
}

/// A survey's state and counts now (404 `not_found` when there is no
/// such survey): what `GET /v1/surveys/{id}` shows and the dashboard's
/// result bars.
pub async fn survey_report(app: &AppState, id: i64) -> Result<SurveyReport, ApiError> {
    let now = app.clock.now_ms();
    app.store
        .run(move |s| s.survey(id, now))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no survey {id}")))
}

/// Closes survey `id` (no more votes are counted; closing a closed one
/// is no error): what `POST /v1/surveys/{id}/close` and the dashboard do.
pub async fn close_survey(app: &AppState, id: i64) -> Result<(), ApiError> {
    let now = app.clock.now_ms();
    match app.store.run(move |s| s.close_survey(id, now)).await? {
        None => Err(ApiError::not_found(format!("no survey {id}"))),
        Some(closed) => {
            if closed {
                tracing::info!(survey = id, "survey closed");
            }
            Ok(())
        }
    }
}

/// Query of `GET /v1/surveys`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurveyQuery {
    /// Cursor: the `next` of the previous page (surveys older than it).
    #[param(pattern = r"^[0-9]{0,18}$")]
    pub before: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A survey in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveySummaryView {
    /// Survey id (a decimal string).
    pub id: String,
    /// The text sent.
    pub question: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// Which vote counts: `first` or `last`.
    pub count: String,
    /// Numbers asked.
    pub recipients: u64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Closes by itself then (RFC 3339), or null.
    pub closes_at: Option<String>,
    /// Closed then (RFC 3339), or null.
    pub closed_at: Option<String>,
}

impl From<&SurveySummary> for SurveySummaryView {
    fn from(s: &SurveySummary) -> Self {
        SurveySummaryView {
            id: s.id.to_string(),
            question: s.question.clone(),
            status: if s.open { "open" } else { "closed" },
            count: s.count_mode.clone(),
            recipients: s.recipients,
            created_at: rfc3339(s.created_at),
            closes_at: s.closes_at.map(rfc3339),
            closed_at: s.closed_at.map(rfc3339),
        }
    }
}

/// A page of surveys.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyPage {
    /// Surveys, newest first.
    pub surveys: Vec<SurveySummaryView>,
    /// Cursor of the next (older) page, if any.
    pub next: Option<String>,
}

/// Surveys older than id `before` (0: the newest), newest first, at most
/// `limit`, and the cursor of the page after: what `GET /v1/surveys` and
/// the dashboard list.
pub async fn list_surveys(
    app: &AppState,
    before: i64,
    limit: usize,
) -> Result<(Vec<SurveySummary>, Option<String>), ApiError> {
    let now = app.clock.now_ms();
    let rows = app.store.run(move |s| s.surveys_page(before, limit, now)).await?;
    let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
    Ok((rows, next))
}

/// `GET /v1/surveys?before=&limit=`.
#[utoipa::path(get, path = "/v1/surveys", operation_id = "list_surveys", tag = "surveys",
    params(SurveyQuery),
    responses(
        (status = 200, description = "Surveys, newest first, with how many numbers each asked", body = SurveyPage),
        (status = 400, description = "Bad query (`bad_query`): a bad cursor or limit", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<SurveyQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (before, limit) = super::page::page(q.before.as_deref(), q.limit)?;
    let (rows, next) = list_surveys(&app, before, limit).await?;
    Ok(Json(SurveyPage {
        surveys: rows.iter().map(SurveySummaryView::from).collect(),
        next,
    })
    .into_response())
}

/// `GET /v1/surveys/{id}/votes`.
#[utoipa::path(get, path = "/v1/surveys/{id}/votes", operation_id = "list_survey_votes", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "Each voter's counted vote, in time order", body = VoteList),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such survey", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn votes(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = survey_id(&id)?;
    let votes = app
        .store
        .run(move |s| s.survey_votes(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no survey {id}")))?;
    let votes = votes
        .iter()
        .map(|v| VoteView {
            number: &v.number,
            answer: &v.option,
            label: &v.label,
            text: v.text.as_deref(),
            at: rfc3339(v.at),
        })
        .collect();
    Ok(Json(VoteList { votes }).into_response())
}

/// `POST /v1/surveys/{id}/close`: no more votes are counted.
#[utoipa::path(post, path = "/v1/surveys/{id}/close", operation_id = "close_survey", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "Closed (also when it was closed already)", body = SurveyClosed),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such survey", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn close(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = survey_id(&id)?;
    close_survey(&app, id).await?;
    Ok(Json(SurveyClosed {
        id: id.to_string(),
        status: "closed",
    })
    .into_response())
}
