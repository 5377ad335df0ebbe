//! `GET /v1/calls`: incoming calls to the SIMs (call tracking), oldest
//! first, by cursor, optionally one campaign's: who called which SIM when,
//! the contact and the campaign and variant it counts for, what was done
//! (rejected or left ringing) and the thank-you SMS queued.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::store::CallRow;

/// Query of `GET /v1/calls`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallsQuery {
    /// Only the calls counted for this campaign (its id).
    #[param(pattern = r"^[0-9]{1,18}$")]
    campaign: Option<String>,
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A call as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView<'a> {
    /// Id (a decimal string).
    pub id: String,
    /// IMSI of the SIM called.
    #[schema(value_type = Option<String>)]
    pub imsi: Option<&'a str>,
    /// The caller's number (null: withheld, or the modem shows no caller id).
    #[schema(value_type = Option<String>)]
    pub caller: Option<&'a str>,
    /// First ring, RFC 3339.
    pub started_at: Option<String>,
    /// End (our hang-up or the caller's), RFC 3339.
    pub ended_at: Option<String>,
    /// Rings seen.
    pub rings: u32,
    /// `rejected` (hung up at once), `rang` (left ringing until the caller
    /// gave up) or `reject_failed` (the modem would not hang up).
    #[schema(value_type = String)]
    pub action: &'a str,
    /// The contact with the caller's number (a decimal string), if any.
    pub contact_id: Option<String>,
    /// The campaign it counts for (a decimal string), if any.
    pub campaign_id: Option<String>,
    /// The caller's variant in that campaign, if they were sent it.
    #[schema(value_type = Option<String>)]
    pub variant: Option<&'a str>,
    /// The thank-you SMS queued for it (a message id), if any.
    pub thanks_message_id: Option<String>,
}

fn time(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

impl<'a> From<&'a CallRow> for CallView<'a> {
    fn from(c: &'a CallRow) -> Self {
        CallView {
            id: c.id.to_string(),
            imsi: c.imsi.as_deref(),
            caller: c.caller.as_deref(),
            started_at: time(c.started_at),
            ended_at: c.ended_at.and_then(time),
            rings: c.rings,
            action: &c.action,
            contact_id: c.contact_id.map(|i| i.to_string()),
            campaign_id: c.campaign_id.map(|i| i.to_string()),
            variant: c.variant.as_deref(),
            thanks_message_id: c.thanks_message_id.map(|i| i.to_string()),
        }
    }
}

/// A page of calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallsPage<'a> {
    /// Calls, oldest first.
    pub calls: Vec<CallView<'a>>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// `GET /v1/calls?campaign=&after=&limit=`.
#[utoipa::path(get, path = "/v1/calls", operation_id = "list_calls", tag = "calls",
    params(CallsQuery),
    responses(
        (status = 200, description = "Incoming calls to the SIMs, oldest first, with the contact, campaign and variant they count for", body = CallsPage),
        (status = 400, description = "Bad query (`bad_query`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<CallsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let campaign = match q.campaign.as_deref() {
        None => None,
        Some(c) if (1..=18).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()) => c.parse().ok(),
        Some(c) => {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "bad_query",
                format!("campaign {c:?} is not a campaign id"),
            ));
        }
    };
    let rows = app
        .store
        .run(move |s| s.calls(campaign, after, limit))
        .await
        .map_err(ApiError::internal)?;
    let next = super::page::next_cursor(rows.iter().map(|c| c.id), limit, false);
    Ok(Json(CallsPage {
        calls: rows.iter().map(CallView::from).collect(),
        next,
    })
    .into_response())
}
