//! `GET /v1/events`: every message's status changes in the order they
//! happened, for clients that follow the gateway (`simfleet messages
//! --watch`, the demo, a dashboard) without fetching each message.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::store::Status;

/// Query of `GET /v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Cursor: the `next` of the previous answer; `now` starts from the
    /// newest event (only what happens next); absent: from the beginning.
    #[param(pattern = "^([0-9]{0,18}|now)$")]
    after: Option<String>,
}

/// One status change.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Position (a decimal string).
    pub id: String,
    /// The message (a decimal string).
    pub message_id: String,
    /// Its recipient.
    pub to: String,
    /// The status it entered.
    pub status: Status,
    /// When (RFC 3339).
    pub at: Option<String>,
    /// Why, in words.
    pub reason: Option<String>,
}

/// An answer of `GET /v1/events`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Status changes, oldest first.
    pub events: Vec<EventView>,
    /// Where to continue: always set, so a follower asks again with it
    /// (the same cursor when nothing happened).
    pub next: String,
}

/// `GET /v1/events?after=&limit=`.
#[utoipa::path(get, path = "/v1/events", operation_id = "list_events", tag = "messages",
    params(EventsQuery),
    responses(
        (status = 200, description = "Status changes after the cursor, oldest first", body = EventPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let now = q.after.as_deref() == Some("now");
    let (after, limit) = super::page::page(if now { None } else { q.after.as_deref() }, q.limit)?;
    let rows = app
        .store
        .run(move |s| {
            let after = if now { s.last_message_event()? } else { after };
            Ok::<_, crate::store::StoreError>((after, s.message_events(after, limit)?))
        })
        .await
        .map_err(ApiError::internal)?;
    let (after, rows) = rows;
    let next = rows.last().map_or(after, |e| e.id).to_string();
    let events = rows
        .into_iter()
        .map(|e| EventView {
            id: e.id.to_string(),
            message_id: e.message_id.to_string(),
            to: e.recipient,
            status: e.status,
            at: DateTime::<Utc>::from_timestamp_millis(e.at).map(|t| t.to_rfc3339()),
            reason: e.reason,
        })
        .collect();
    Ok(Json(EventPage { events, next }).into_response())
}
