//! The local HTTP API (axum). Thin: every route is in [`router`], handlers
//! live in modules named after their paths, auth is an extractor, and one
//! [`ApiError`](error::ApiError) becomes the JSON error response.

pub mod auth;
pub mod error;
pub mod inbox;
pub mod messages;
pub mod metrics;
pub mod modems;
pub mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use auth::Token;
pub use state::{Accepting, AppState};

/// Largest single-message request body.
const MESSAGE_BODY_LIMIT: usize = 256 * 1024;
/// Largest batch body (100,000 short messages fit).
const BATCH_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/v1/messages",
            post(messages::create)
                .get(messages::list)
                .layer(DefaultBodyLimit::max(MESSAGE_BODY_LIMIT)),
        )
        .route(
            "/v1/messages/batch",
            post(messages::batch).layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT)),
        )
        .route("/v1/messages/{id}", get(messages::get).delete(messages::cancel))
        .route("/v1/modems", get(modems::list))
        .route("/v1/inbox", get(inbox::list))
        .fallback(|| async { error::ApiError::not_found("no such route") })
        .with_state(state)
}
