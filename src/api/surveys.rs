//! `/v1/surveys`: reply-to-vote surveys — send a question, count the
//! answers, list the votes, close.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::inbound::vote::{Choice, question_text, sort_choices};
use crate::phone::Msisdn;
use crate::sms;
use crate::store::{CountMode, MessageKind, NewMessage, NewSurvey, Status, SurveyReport, rfc3339};

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
        (status = 201, description = "Created: `messages` questions queued; `suppressed` recipients had opted out", body = SurveyCreated,
            links(
                ("GetSurvey" = (operation_id = "get_survey", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("ListSurveyVotes" = (operation_id = "list_survey_votes", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("CloseSurvey" = (operation_id = "close_survey", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
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
    let now = app.clock.now_ms();
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
    let (id, queued, suppressed) = app
        .store
        .run(move |s| {
            s.write(now, |tx| {
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
                Ok::<_, ApiError>((id, queued, suppressed))
            })
        })
        .await?;
    app.dispatcher.wake();
    Ok((
        StatusCode::CREATED,
        Json(SurveyCreated {
            id: id.to_string(),
            status: "open",
            messages: queued,
            suppressed,
            question: text,
        }),
    ))
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
    let now = app.clock.now_ms();
    let report = app.store.run(move |s| s.survey(id, now)).await?;
    report
        .map(|r| Json(SurveyView::from(&r)).into_response())
        .ok_or_else(|| ApiError::not_found(format!("no survey {id}")))
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
    let now = app.clock.now_ms();
    match app.store.run(move |s| s.close_survey(id, now)).await? {
        None => Err(ApiError::not_found(format!("no survey {id}"))),
        Some(_) => Ok(Json(SurveyClosed {
            id: id.to_string(),
            status: "closed",
        })
        .into_response()),
    }
}
