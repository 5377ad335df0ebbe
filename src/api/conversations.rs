//! `GET /v1/conversations`: the numbers that replied, latest first, with
//! their latest reply; `GET /v1/conversations/{number}`: one number's
//! replies and the messages sent to it, in time order. What the
//! dashboard's Conversations page shows.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::inbox::InboxView;
use super::messages::MessageView;
use super::state::AppState;
use crate::phone::Msisdn;
use crate::store::{ConversationRow, ThreadItem};

/// Largest page of conversations or of a thread.
pub const MAX_LIMIT: usize = 100;

/// Query of both routes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    before: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
}

/// Reads `before` and `limit` (400 `bad_query` naming the parameter).
pub fn page_query(before: Option<&str>, limit: Option<usize>) -> Result<(Option<i64>, usize), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", m);
    let limit = match limit {
        None => 50,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(n) => return Err(bad(format!("limit {n} is not between 1 and {MAX_LIMIT}"))),
    };
    let before = match before {
        None | Some("") => None,
        Some(b) if b.len() <= 18 && b.bytes().all(|c| c.is_ascii_digit()) => Some(
            b.parse()
                .map_err(|_| bad(format!("before {b:?} is not a cursor")))?,
        ),
        Some(b) => {
            return Err(bad(format!(
                "before {b:?} is not a cursor (the `next` of a page)"
            )));
        }
    };
    Ok((before, limit))
}

fn time(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

/// A number that replied.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    /// The number.
    pub number: String,
    /// Its contact's name.
    pub name: Option<String>,
    /// Its latest reply.
    pub last_text: Option<String>,
    /// When that arrived (RFC 3339).
    pub last_at: Option<String>,
    /// What the gateway read it as (`optout`, `vote`, …), or null.
    pub last_kind: Option<String>,
    /// Replies from it in all.
    pub replies: u64,
    /// Whether it opted out (nothing more is sent to it).
    pub opted_out: bool,
}

impl From<ConversationRow> for ConversationView {
    fn from(c: ConversationRow) -> Self {
        ConversationView {
            last_at: time(c.last_at),
            number: c.number,
            name: c.name,
            last_text: c.last_text,
            last_kind: c.last_kind,
            replies: c.replies,
            opted_out: c.opted_out,
        }
    }
}

/// A page of conversations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    /// Latest reply first.
    pub conversations: Vec<ConversationView>,
    /// Cursor of the next page (`before`), or null on the last.
    pub next: Option<String>,
}

/// `GET /v1/conversations?before=&limit=`.
#[utoipa::path(get, path = "/v1/conversations", operation_id = "list_conversations", tag = "inbox",
    params(ConversationQuery),
    responses(
        (status = 200, description = "The numbers that replied, the one with the latest reply first, each with that reply, its count of replies and whether it opted out", body = ConversationPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ConversationQuery>, QueryRejection>,
) -> Result<Json<ConversationPage>, ApiError> {
    let Query(q) = query?;
    let (before, limit) = page_query(q.before.as_deref(), q.limit)?;
    let (rows, next) = app
        .store
        .run(move |s| s.conversations(before, limit))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ConversationPage {
        conversations: rows.into_iter().map(ConversationView::from).collect(),
        next: next.map(|n| n.to_string()),
    }))
}

/// One entry of a thread: a reply (`direction` `in`) or a message sent (`out`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum ThreadEntry<'a> {
    /// A reply from the number.
    In(InboxView<'a>),
    /// A message sent to it.
    Out(MessageView<'a>),
}

/// A page of one number's thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView<'a> {
    /// The number.
    pub number: String,
    /// Oldest first.
    pub entries: Vec<ThreadEntry<'a>>,
    /// Cursor of the older page (`before`), or null when this is the start.
    pub next: Option<String>,
}

/// The number a path names: canonical when it reads as one, else as given
/// (an alphanumeric sender).
pub fn thread_number(raw: &str, app: &AppState) -> String {
    Msisdn::parse(raw, app.accepting.region)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|_| raw.trim().to_string())
}

/// `GET /v1/conversations/{number}?before=&limit=`.
#[utoipa::path(get, path = "/v1/conversations/{number}", operation_id = "get_conversation", tag = "inbox",
    params(("number" = String, Path, description = "The number (read in the default region), or an alphanumeric sender as received"), ConversationQuery),
    responses(
        (status = 200, description = "Replies from the number and messages sent to it, oldest first; `next` pages to older ones (empty when nothing was exchanged)", body = ThreadView),
        (status = 400, description = "Bad query or path", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ConversationQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    let Path(raw) = path?;
    let Query(q) = query?;
    let (before, limit) = page_query(q.before.as_deref(), q.limit)?;
    let number = thread_number(&raw, &app);
    let n = number.clone();
    let page = app
        .store
        .run(move |s| s.thread(&n, before, limit))
        .await
        .map_err(ApiError::internal)?;
    let body = ThreadView {
        number,
        entries: page
            .items
            .iter()
            .map(|i| match i {
                ThreadItem::Received(m) => ThreadEntry::In(InboxView::from(m)),
                ThreadItem::Sent(m) => ThreadEntry::Out(MessageView::from(m)),
            })
            .collect(),
        next: page.before.map(|b| b.to_string()),
    };
    Ok(axum::response::IntoResponse::into_response(Json(body)))
}
