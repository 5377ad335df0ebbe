//! `GET /v1/inbox`: received messages, oldest first, by cursor, and the
//! received PDUs that could not be decoded (flagged, with the reason and
//! the PDU as received).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::store::InboxRow;

/// Query of `GET /v1/inbox`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A received message as the API shows it: whole (joined from its parts),
/// or a PDU that could not be decoded, kept as received.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxView<'a> {
    /// Id (a decimal string).
    pub id: String,
    /// The sender; null when an undecodable PDU did not even show it.
    #[schema(value_type = Option<String>)]
    pub from: Option<&'a str>,
    /// The text; null for an undecodable PDU.
    #[schema(value_type = Option<String>)]
    pub text: Option<&'a str>,
    /// Arrival (RFC 3339).
    pub received_at: Option<String>,
    /// IMEI of the modem it came through.
    #[schema(value_type = Option<String>)]
    pub modem: Option<&'a str>,
    /// IMSI of the SIM it came to.
    #[schema(value_type = Option<String>)]
    pub imsi: Option<&'a str>,
    /// Parts it was sent in.
    pub parts: u8,
    /// Some parts never came.
    pub incomplete: bool,
    /// What the gateway read it as: `optout`, `optin`, `help`, `join` (a join keyword: double opt-in),
    /// `consent` (a pending contact's YES), `vote`, `comment`, `optout_review`, or null.
    #[schema(value_type = Option<String>)]
    pub kind: Option<&'a str>,
    /// A received PDU that could not be decoded.
    pub undecodable: bool,
    /// Why it could not be decoded.
    #[schema(value_type = Option<String>)]
    pub error: Option<&'a str>,
    /// The undecodable PDU in hex, as received (null otherwise).
    #[schema(value_type = Option<String>)]
    pub pdu: Option<&'a str>,
}

impl<'a> From<&'a InboxRow> for InboxView<'a> {
    fn from(m: &'a InboxRow) -> Self {
        InboxView {
            id: m.id.to_string(),
            from: (!m.sender.is_empty()).then_some(m.sender.as_str()),
            text: m.text.as_deref(),
            received_at: DateTime::<Utc>::from_timestamp_millis(m.received_at).map(|t| t.to_rfc3339()),
            modem: m.modem_imei.as_deref(),
            imsi: m.sim_imsi.as_deref(),
            parts: m.parts,
            incomplete: m.incomplete,
            kind: m.kind.as_deref(),
            undecodable: m.error.is_some(),
            error: m.error.as_deref(),
            pdu: m.pdu.as_deref(),
        }
    }
}

/// A page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage<'a> {
    /// Received messages, oldest first.
    pub messages: Vec<InboxView<'a>>,
    /// Cursor of the next page (`after`), or null on the last. A page
    /// stops early, with fewer than `limit` messages, once their texts add
    /// up to about 1 MiB; `next` is then set: page on until it is null.
    pub next: Option<String>,
}

/// `GET /v1/inbox?after=&limit=`.
#[utoipa::path(get, path = "/v1/inbox", operation_id = "list_inbox", tag = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "Received messages, oldest first: whole messages (joined from their parts); `incomplete` when parts never came; `undecodable` for a received PDU that could not be decoded, kept as received (`error` says why, `pdu` is its hex)", body = InboxPage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app
        .store
        .run(move |s| s.inbox(after, limit))
        .await
        .map_err(ApiError::internal)?;
    let next = super::page::next_cursor(rows.rows.iter().map(|m| m.id), limit, rows.cut);
    Ok(Json(InboxPage {
        messages: rows.rows.iter().map(InboxView::from).collect(),
        next,
    })
    .into_response())
}
