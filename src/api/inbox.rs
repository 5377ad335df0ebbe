//! `GET /v1/inbox`: received messages, oldest first, by cursor, and the
//! received PDUs that could not be decoded (flagged, with the reason and
//! the PDU as received).

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;

/// Query of `GET /v1/inbox`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Cursor: the `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

/// `GET /v1/inbox?after=&limit=`.
#[utoipa::path(get, path = "/v1/inbox", operation_id = "list_inbox", tag = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "`{\"messages\": [{id, from, text, received_at, modem, imsi, parts, incomplete, kind, undecodable, error, pdu}], \"next\": cursor|null}`: whole messages (joined from their parts); `incomplete` when parts never came; `kind` optout, optin, help, vote, comment or null; `undecodable` true for a received PDU that could not be decoded, kept as received: `error` says why, `pdu` is its hex (null otherwise), `from` the sender when it could still be read, else null", body = Object),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app
        .store
        .run(move |s| s.inbox(after, limit))
        .await
        .map_err(ApiError::internal)?;
    let next = super::page::next_cursor(rows.iter().map(|m| m.id), limit);
    let messages: Vec<Value> = rows
        .iter()
        .map(|m| {
            json!({
                "id": m.id.to_string(),
                "from": (!m.sender.is_empty()).then_some(&m.sender),
                "text": m.text,
                "received_at": DateTime::<Utc>::from_timestamp_millis(m.received_at).map(|t| t.to_rfc3339()),
                "modem": m.modem_imei,
                "imsi": m.sim_imsi,
                "parts": m.parts,
                "incomplete": m.incomplete,
                "kind": m.kind,
                "undecodable": m.error.is_some(),
                "error": m.error,
                "pdu": m.pdu,
            })
        })
        .collect();
    Ok(Json(json!({"messages": messages, "next": next})))
}
