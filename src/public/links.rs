//! `GET /l/{slug}`: a tracked short link followed — a 302 to its
//! destination (with its UTM parameters) and the request recorded against
//! the link's contact, campaign and variant: as a click when a person
//! asked, as a machine's request with why when a link-preview fetcher,
//! bot, HTTP library or browser prefetch did
//! ([`crate::attribution::bots`]), which the figures do not count.
//! `HEAD` is answered the same without recording anything. An unknown
//! slug is a small 404 page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::{debug, warn};

use super::PublicState;
use crate::attribution::{bots, links};

const NOT_FOUND_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Link not found</title></head><body><p>This link does not exist or has expired.</p></body></html>";

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        NOT_FOUND_PAGE,
    )
        .into_response()
}

/// Follows a short link: 302 to its URL, 404 for an unknown slug.
pub async fn follow(
    State(state): State<PublicState>,
    method: Method,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !links::is_slug(&slug) {
        return not_found();
    }
    let now = state.clock.now_ms();
    let machine = bots::machine(&headers);
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let count = method != Method::HEAD;
    let found = state
        .store
        .run(move |s| -> Result<_, crate::store::StoreError> {
            let Some(link) = s.link(&slug)? else {
                return Ok(None);
            };
            if count {
                s.record_click(&slug, now, machine.as_deref(), user_agent.as_deref())?;
            }
            Ok(Some((link, machine)))
        })
        .await;
    match found {
        Ok(Some((link, machine))) => {
            debug!(
                msg_id = link.message_id,
                campaign = link.campaign_id,
                machine = machine.as_deref(),
                "short link followed"
            );
            let Ok(location) = HeaderValue::from_str(&link.destination) else {
                return not_found();
            };
            (
                StatusCode::FOUND,
                [
                    (header::LOCATION, location),
                    // Each follow must reach us to be counted.
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
                ],
            )
                .into_response()
        }
        Ok(None) => not_found(),
        Err(e) => {
            warn!(error = %e, "short link lookup failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}
