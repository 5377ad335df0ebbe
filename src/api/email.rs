//! `GET /v1/email`: where replies forwarded by email (`[email]`) stand —
//! counts by state and the replies not emailed yet or given up on, with
//! the last error (the server down, a refused login, a 5xx refusal).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::store::rfc3339;

/// Replies not emailed, at most this many in a view.
const WAITING: usize = 100;

/// The email outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailOutboxView {
    /// Replies queued, not tried yet (or due for the first time).
    pub pending: i64,
    /// Replies tried and not sent yet (the server was down or refused for now).
    pub retrying: i64,
    /// Replies emailed in the last 7 days.
    pub sent: i64,
    /// Replies given up on.
    pub failed: i64,
    /// The newest replies not emailed (pending, retrying or failed), at most 100.
    pub waiting: Vec<EmailWaitingView>,
}

/// A reply not emailed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailWaitingView {
    /// The received message (`GET /v1/inbox` id, a decimal string).
    pub inbox_id: String,
    /// `pending`, `retrying` or `failed`.
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was queued (RFC 3339).
    pub queued_at: String,
    /// When it is tried next (RFC 3339); null once failed.
    pub next_attempt_at: Option<String>,
    /// When it was given up on (RFC 3339).
    pub failed_at: Option<String>,
    /// The last attempt's error, or why it failed.
    pub last_error: Option<String>,
}

/// `GET /v1/email`.
#[utoipa::path(get, path = "/v1/email", operation_id = "email_outbox", tag = "inbox",
    responses(
        (status = 200, description = "Replies forwarded by email: counts by state and the newest replies not emailed, with the last error", body = EmailOutboxView),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn outbox(_: Authorized, State(app): State<AppState>) -> Result<Json<EmailOutboxView>, ApiError> {
    let (counts, waiting) = app
        .store
        .run(|s| Ok::<_, crate::store::StoreError>((s.email_counts()?, s.emails_waiting(WAITING)?)))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(EmailOutboxView {
        pending: counts.pending,
        retrying: counts.retrying,
        sent: counts.sent,
        failed: counts.failed,
        waiting: waiting
            .into_iter()
            .map(|w| EmailWaitingView {
                inbox_id: w.inbox_id.to_string(),
                state: match (w.failed_at, w.attempts) {
                    (Some(_), _) => "failed",
                    (None, 0) => "pending",
                    (None, _) => "retrying",
                },
                attempts: w.attempts,
                queued_at: rfc3339(w.created_at),
                next_attempt_at: w.failed_at.is_none().then(|| rfc3339(w.next_at)),
                failed_at: w.failed_at.map(rfc3339),
                last_error: w.last_error,
            })
            .collect(),
    }))
}
