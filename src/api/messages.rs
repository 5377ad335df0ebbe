//! `/v1/messages`: accept one or a batch, read one or a page, cancel one.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::batch_items::{self, WalkError};
use super::error::ApiError;
use super::state::{Accepting, AppState};
use crate::phone::Msisdn;
use crate::sms;
use crate::store::{Category, EnqueueError, EnqueueOutcome, MessageRow, NewMessage, Status};

/// `POST /v1/messages` body (and one batch item).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// Recipient, as the user has it (read in the default region); 422
    /// `invalid_number` when it is not a phone number or a short code.
    #[schema(
        min_length = 1,
        pattern = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$",
        example = "+79161234567"
    )]
    pub to: String,
    /// The text: not only white space (422 `empty_text`), at most what
    /// fits the segment limit in its encoding (422 `too_long`).
    #[schema(min_length = 1, pattern = r"\S", example = "Your order 1042 is ready")]
    pub text: String,
    /// Not before (RFC 3339).
    #[schema(format = DateTime, example = "2030-01-01T09:00:00+03:00")]
    pub send_at: Option<String>,
    /// Makes a retried request safe: 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "order-1042")]
    pub idempotency_key: Option<String>,
    /// Ask for a delivery report (default from config).
    pub status_report: Option<bool>,
    /// `transactional` (default: receipts, codes, reminders) or
    /// `marketing`: only to a contact whose consent is `opted_in`, status
    /// `active`, not opted out — else 422 `no_consent` naming why; checked
    /// again when it is sent (then `suppressed` with the reason).
    pub category: Option<Category>,
}

/// `POST /v1/messages/batch` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The messages (at most 100,000), each like the body of `POST /v1/messages`
    /// ([`MessageRequest`]). Items are checked one by one: an item that is not a valid
    /// message gets its own error in the answer and spoils nothing, so any JSON value is
    /// taken here. Kept as raw JSON until each is read, so a large batch is not held twice.
    #[schema(value_type = Vec<serde_json::Value>)]
    pub messages: Vec<Box<serde_json::value::RawValue>>,
}

/// What accepting a message returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Message id.
    pub id: String,
    /// Status now.
    pub status: Status,
    /// Segments.
    pub segments: usize,
    /// Encoding.
    pub encoding: String,
}

impl From<EnqueueOutcome> for Accepted {
    fn from(o: EnqueueOutcome) -> Self {
        Accepted {
            id: o.id.to_string(),
            status: o.status,
            segments: o.segments,
            encoding: o.encoding,
        }
    }
}

/// One item of a batch answer: the accepted message, or why it was not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// Accepted (or the original for a repeated idempotency key).
    Accepted(Accepted),
    /// Refused: this item only.
    Refused(super::ErrorResponse),
}

/// What `POST /v1/messages/batch` answers (written as the items are
/// stored; this type is its shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// Per item, in order.
    pub results: Vec<BatchItem>,
}

/// What cancelling a message answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    /// Message id (a decimal string).
    pub id: String,
    /// Always `cancelled`.
    pub status: Status,
}

/// Longest idempotency key accepted, in characters (as JSON Schema's
/// `maxLength` counts them).
const MAX_KEY: usize = 200;

/// Checks a request and turns it into a message to store.
pub fn prepare(req: &MessageRequest, rules: &Accepting, now: i64) -> Result<NewMessage, ApiError> {
    let recipient = Msisdn::parse(&req.to, rules.region)
        .map_err(|e| ApiError::invalid("invalid_number", e.to_string()))?;
    let plan = crate::templates::estimate::plan_text(&req.text, &rules.split)
        .map_err(|e| ApiError::invalid(e.code(), e.to_string()))?;
    let send_at = match &req.send_at {
        None => None,
        Some(s) => {
            let t = DateTime::parse_from_rfc3339(s).map_err(|e| {
                ApiError::invalid(
                    "invalid_send_at",
                    format!("send_at {s:?} is not an RFC 3339 time: {e}"),
                )
            })?;
            Some(t.timestamp_millis())
        }
    };
    if let Some(key) = &req.idempotency_key
        && (key.is_empty() || key.chars().count() > MAX_KEY)
    {
        return Err(ApiError::invalid(
            "invalid_idempotency_key",
            format!("idempotency_key must have 1 to {MAX_KEY} characters"),
        ));
    }
    let status_report = req.status_report.unwrap_or(rules.status_reports);
    let category = req.category.unwrap_or_default();
    // The request as the client meant it: what a retry must repeat. The
    // category only when marketing, so that retries of transactional
    // messages accepted before it existed still match.
    let mut digest = Sha256::new();
    let marketing = (category == Category::Marketing).then_some("marketing");
    for part in [
        recipient.as_str(),
        &req.text,
        &format!("{send_at:?}"),
        &status_report.to_string(),
    ]
    .into_iter()
    .chain(marketing)
    {
        digest.update(part.as_bytes());
        digest.update([0]);
    }
    Ok(NewMessage {
        recipient,
        text: plan.text.clone(),
        encoding: plan.encoding,
        segments: plan.segment_count(),
        status_report,
        send_at,
        expires_at: rules
            .validity_minutes
            .map(|v| send_at.unwrap_or(now).max(now) + i64::from(v) * 60_000),
        kind: None,
        category,
        idempotency_key: req.idempotency_key.clone(),
        request_hash: sms::hex::encode_hex(&digest.finalize()),
    })
}

/// The API's answer for a message the store would not take.
pub fn enqueue_error(e: EnqueueError) -> ApiError {
    match e {
        EnqueueError::Conflict(_) => {
            ApiError::new(StatusCode::CONFLICT, "idempotency_conflict", e.to_string())
        }
        EnqueueError::NoConsent(reason) => ApiError::invalid(
            "no_consent",
            format!("not accepted: a marketing message needs the recipient's consent; {reason}"),
        ),
        EnqueueError::Store(e) => ApiError::internal(e),
    }
}

/// `POST /v1/messages`.
#[utoipa::path(post, path = "/v1/messages", operation_id = "create_message", tag = "messages",
    request_body = MessageRequest,
    responses(
        (status = 202, description = "Accepted (or the original message for a repeated idempotency key)", body = Accepted,
            links(
                ("GetMessage" = (operation_id = "get_message", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 409, description = "Idempotency key used for a different message", body = super::ErrorResponse),
        (status = 413, description = "Body over 256 KiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Invalid number, empty text, too long, unknown field or a field of the wrong type; `no_consent`: a marketing message to a number without a contact who opted in (the message says why: no contact, consent pending or none, contact invalid, opted out)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body?;
    let outcome = accept(&app, vec![req])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no outcome for the message"))??;
    Ok((StatusCode::ACCEPTED, Json(Accepted::from(outcome))))
}

/// Checks `reqs` and stores the good ones in one transaction, as
/// `POST /v1/messages` does one (the dashboard's send and reply forms
/// come here too): the same checks, idempotency, consent and opt-out
/// suppression. Answers, per request in order, what was stored (or the
/// original message for a repeated idempotency key) or why it was not.
pub async fn accept(
    app: &AppState,
    reqs: Vec<MessageRequest>,
) -> Result<Vec<Result<EnqueueOutcome, ApiError>>, ApiError> {
    let now = app.clock.now_ms();
    let prepared: Vec<Result<NewMessage, ApiError>> =
        reqs.iter().map(|r| prepare(r, &app.accepting, now)).collect();
    let good: Vec<NewMessage> = prepared.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let any = !good.is_empty();
    let mut stored = if any {
        app.store
            .run(move |s| s.enqueue_batch(&good, now))
            .await
            .map_err(ApiError::internal)?
    } else {
        Vec::new()
    }
    .into_iter();
    if any {
        app.dispatcher.wake();
    }
    Ok(prepared
        .into_iter()
        .map(|p| {
            p.and_then(|_| match stored.next() {
                Some(r) => r.map_err(enqueue_error),
                None => Err(ApiError::internal("no outcome for the message")),
            })
        })
        .collect())
}

/// `POST /v1/messages/batch`: one transaction; a bad item gets its own
/// error and spoils nothing.
#[utoipa::path(post, path = "/v1/messages/batch", operation_id = "create_messages_batch", tag = "messages",
    request_body = BatchRequest,
    responses(
        (status = 202, description = "Per item, in order, the accepted message or `{\"error\": {...}}`; a bad item spoils only itself", body = BatchAnswer),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 32 MiB (`body_too_large`) or more than 100,000 items (`batch_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "JSON, but not `{\"messages\": [...]}` (`invalid_request`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn batch(
    _: Authorized,
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<impl IntoResponse, ApiError> {
    super::body::require_json(&headers)?;
    let body = super::body::read_limited(&headers, body, super::BATCH_BODY_LIMIT).await?;
    let now = app.clock.now_ms();
    let rules = app.accepting.clone();
    let body = app
        .store
        .run(move |s| {
            // Each item is read, checked and stored in turn inside one
            // transaction as the body is parsed; the answer is written as it
            // is produced. Nothing is committed unless the whole body is
            // well-formed.
            let mut out = String::with_capacity(body.len().min(1 << 20) + 16);
            out.push_str("{\"results\":[");
            s.write(now, |tx| {
                let mut first = true;
                batch_items::walk(&body, MAX_BATCH_ITEMS, &mut |item| {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    let parsed = serde_json::from_str::<MessageRequest>(item.get())
                        .map_err(|e| ApiError::invalid("invalid_request", e.to_string()))
                        .and_then(|r| prepare(&r, &rules, now));
                    let item = match parsed {
                        Err(e) => serde_json::to_string(&e.body()),
                        Ok(m) => match tx.enqueue(&m) {
                            Ok(o) => serde_json::to_string(&Accepted::from(o)),
                            Err(EnqueueError::Store(e)) => return Err(ApiError::internal(e)),
                            Err(e) => serde_json::to_string(&enqueue_error(e).body()),
                        },
                    };
                    out.push_str(&item.unwrap_or_else(|_| "null".into()));
                    Ok(())
                })
                // Any error rolls back: a body that is not a whole batch stores nothing.
                .map_err(walk_error)
            })?;
            out.push_str("]}");
            Ok::<_, ApiError>(out)
        })
        .await?;
    app.dispatcher.wake();
    super::memory::release_free_memory();
    Ok((
        StatusCode::ACCEPTED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    ))
}

/// Most items one batch request may carry; more gets a 413.
pub const MAX_BATCH_ITEMS: usize = 100_000;

fn walk_error(e: WalkError<ApiError>) -> ApiError {
    match e {
        WalkError::Syntax(e) => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", e.to_string()),
        WalkError::Shape(e) => ApiError::invalid("invalid_request", e.to_string()),
        WalkError::TooMany(max) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("a batch carries at most {max} messages; split it into several requests"),
        ),
        WalkError::Callback(e) => e,
    }
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339())
}

/// The SIM (and modem) a message went through last.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimUsed<'a> {
    /// IMSI of the SIM.
    #[schema(value_type = String)]
    pub imsi: &'a str,
    /// IMEI of the modem holding it then.
    #[schema(value_type = Option<String>)]
    pub modem: Option<&'a str>,
    /// Its port then.
    #[schema(value_type = Option<String>)]
    pub port: Option<&'a str>,
}

/// A message as the API shows it. Serialized straight from the stored row
/// (no intermediate JSON tree), so a page of 1,000 costs little memory.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView<'a> {
    /// Message id (a decimal string).
    pub id: String,
    /// Recipient, E.164 or a short code.
    #[schema(value_type = String)]
    pub to: &'a str,
    /// The text as it is sent.
    #[schema(value_type = String)]
    pub text: &'a str,
    /// Status now.
    pub status: Status,
    /// Segments (parts) it takes.
    pub segments: usize,
    /// `gsm7`, `ucs2` or a national table.
    #[schema(value_type = String)]
    pub encoding: &'a str,
    /// The SIM of the last attempt, if any.
    pub sim: Option<SimUsed<'a>>,
    /// Whether a delivery report was asked for.
    pub status_report: bool,
    /// Attempts so far.
    pub attempts: u32,
    /// Not before (RFC 3339).
    pub send_at: Option<String>,
    /// Accepted (RFC 3339).
    pub created_at: Option<String>,
    /// Handed to the network (RFC 3339).
    pub sent_at: Option<String>,
    /// Delivered to the handset (RFC 3339).
    pub delivered_at: Option<String>,
    /// Why it is not (yet) sent, in words.
    #[schema(value_type = Option<String>)]
    pub error: Option<&'a str>,
    /// `transactional` or `marketing`.
    pub category: Category,
}

impl<'a> From<&'a MessageRow> for MessageView<'a> {
    fn from(m: &'a MessageRow) -> Self {
        MessageView {
            id: m.id.to_string(),
            to: &m.recipient,
            text: &m.text,
            status: m.status,
            segments: m.segments,
            encoding: &m.encoding,
            sim: m.sim_imsi.as_deref().map(|imsi| SimUsed {
                imsi,
                modem: m.modem_imei.as_deref(),
                port: m.modem_port.as_deref(),
            }),
            status_report: m.status_report,
            attempts: m.attempts,
            send_at: time(m.send_at),
            created_at: time(Some(m.created_at)),
            sent_at: time(m.sent_at),
            delivered_at: time(m.delivered_at),
            error: m.error.as_deref(),
            category: m.category,
        }
    }
}

/// One entry of a message's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry<'a> {
    /// The status it entered.
    #[schema(value_type = String)]
    pub status: &'a str,
    /// When (RFC 3339).
    pub at: Option<String>,
    /// Why, in words.
    #[schema(value_type = Option<String>)]
    pub reason: Option<&'a str>,
}

/// A message with its history (`GET /v1/messages/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDetail<'a> {
    /// The message.
    #[serde(flatten)]
    pub message: MessageView<'a>,
    /// Every status change with its reason, oldest first.
    pub history: Vec<HistoryEntry<'a>>,
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage<'a> {
    /// The messages, oldest first.
    pub messages: Vec<MessageView<'a>>,
    /// Cursor of the next page (`after`), or null on the last. A page
    /// stops early, with fewer than `limit` messages, once their texts add
    /// up to about 1 MiB; `next` is then set: page on until it is null.
    pub next: Option<String>,
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("no message {id:?}")))
}

/// `GET /v1/messages/{id}`.
#[utoipa::path(get, path = "/v1/messages/{id}", operation_id = "get_message", tag = "messages",
    params(("id" = String, Path, description = "Message id")),
    responses(
        (status = 200, description = "The message with its history", body = MessageDetail),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such message", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::response::Response, ApiError> {
    let Path(id) = path?;
    let id = parse_id(&id)?;
    let found = app
        .store
        .run(move |s| s.message(id))
        .await
        .map_err(ApiError::internal)?;
    let (m, history) = found.ok_or_else(|| ApiError::not_found(format!("no message {id}")))?;
    let body = MessageDetail {
        message: MessageView::from(&m),
        history: history
            .iter()
            .map(|e| HistoryEntry {
                status: e.status.as_str(),
                at: time(Some(e.at)),
                reason: e.reason.as_deref(),
            })
            .collect(),
    };
    Ok(Json(body).into_response())
}

/// Query of `GET /v1/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only messages in this status.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
}

/// `GET /v1/messages?status=&limit=&after=`.
#[utoipa::path(get, path = "/v1/messages", operation_id = "list_messages", tag = "messages",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of messages, oldest first", body = MessagePage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    let Query(q) = query?;
    let status = q
        .status
        .as_deref()
        .map(str::parse::<Status>)
        .transpose()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e))?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app
        .store
        .run(move |s| s.messages(status, after, limit))
        .await
        .map_err(ApiError::internal)?;
    let next = super::page::next_cursor(rows.rows.iter().map(|m| m.id), limit, rows.cut);
    Ok(Json(MessagePage {
        messages: rows.rows.iter().map(MessageView::from).collect(),
        next,
    })
    .into_response())
}

/// `DELETE /v1/messages/{id}`: cancels a message not yet being sent. The
/// message is not erased: `GET /v1/messages/{id}` still shows it, status
/// `cancelled`, with its history.
#[utoipa::path(delete, path = "/v1/messages/{id}", operation_id = "cancel_message", tag = "messages",
    params(("id" = String, Path, description = "Message id")),
    responses(
        (status = 200, description = "Cancelled; the message stays readable (status `cancelled`, with its history), it is not erased", body = Cancelled),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such message", body = super::ErrorResponse),
        (status = 409, description = "Already being sent or finished", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Cancelled>, ApiError> {
    let Path(id) = path?;
    let id = parse_id(&id)?;
    cancel_message(&app, id, "cancelled through the API")
        .await
        .map(Json)
}

/// Cancels message `id` if it is still queued or scheduled (what
/// `DELETE /v1/messages/{id}` and the dashboard's cancel button do):
/// 404 when there is no such message, 409 `not_cancellable` when it is
/// being sent or finished.
pub async fn cancel_message(app: &AppState, id: i64, reason: &str) -> Result<Cancelled, ApiError> {
    let now = app.clock.now_ms();
    let reason = reason.to_string();
    match app
        .store
        .run(move |s| s.cancel(id, now, &reason))
        .await
        .map_err(ApiError::internal)?
    {
        None => Err(ApiError::not_found(format!("no message {id}"))),
        Some(Status::Cancelled) => Ok(Cancelled {
            id: id.to_string(),
            status: Status::Cancelled,
        }),
        Some(other) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_cancellable",
            format!("message {id} is {other}; only queued or scheduled messages can be cancelled"),
        )),
    }
}
