//! `POST /v1/messages/estimate`: what a text would cost and how it would
//! be sent, before sending it (the dashboard's live counter asks the same).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::templates::estimate::{TextEstimate, estimate};

/// `POST /v1/messages/estimate` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// The text, as it would be given to `POST /v1/messages`.
    #[schema(min_length = 1, pattern = r"\S", example = "It’s ready: order 1042")]
    pub text: String,
    /// How many numbers it would go to (default 1), for the cost.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub recipients: Option<u64>,
}

/// Counts a text with the gateway's own encoder, as `POST /v1/messages`
/// would send it.
pub fn estimate_text(app: &AppState, text: &str, recipients: u64) -> Result<TextEstimate, ApiError> {
    estimate(
        text,
        recipients,
        &app.accepting.split,
        app.pricing.per_segment,
        &app.pricing.currency,
    )
    .map_err(|e| ApiError::invalid(e.code(), e.to_string()))
}

/// `POST /v1/messages/estimate`.
#[utoipa::path(post, path = "/v1/messages/estimate", operation_id = "estimate_message", tag = "messages",
    request_body = EstimateRequest,
    responses(
        (status = 200, description = "Characters, encoding (and national table), segments, cost (`pricing.per_segment` × segments × recipients), the characters that force UCS-2 with their GSM 7-bit spelling, and the whole text so spelled when that saves segments", body = TextEstimate),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "What `POST /v1/messages` would refuse: `empty_text`, `invalid_text`, `too_long`; or `recipients` out of range, an unknown field", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<EstimateRequest>, JsonRejection>,
) -> Result<Json<TextEstimate>, ApiError> {
    let Json(req) = body?;
    let recipients = req.recipients.unwrap_or(1);
    if !(1..=1_000_000).contains(&recipients) {
        return Err(ApiError::invalid(
            "invalid_recipients",
            "recipients must be between 1 and 1000000",
        ));
    }
    Ok(Json(estimate_text(&app, &req.text, recipients)?))
}
