//! `GET /v1/messages/search`: messages newest first, by number, by words
//! in the text, by status, a bounded page at a time (the dashboard's
//! Messages page). `GET /v1/messages` stays the oldest-first feed.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::messages::MessageView;
use super::state::AppState;
use crate::phone::{Msisdn, Region};
use crate::store::{MessageFilter, SearchPage, Status};

/// Query of `GET /v1/messages/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A number (as people type it: the messages to it), digits of one,
    /// or words in the text (case ignored). Empty: every message.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only messages in this status (a message status); empty, as a
    /// search form sends "any status", is every status.
    #[param(
        value_type = Option<String>,
        pattern = r"^(|scheduled|queued|sending|sent|delivered|failed|unknown|cancelled|expired|suppressed)$"
    )]
    pub status: Option<String>,
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    pub before: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// A page of found messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnswer<'a> {
    /// Newest first.
    pub messages: Vec<MessageView<'a>>,
    /// Cursor of the next (older) page, or null when nothing older matches.
    pub next: Option<String>,
    /// A search by words reads at most 20,000 messages per page: when it
    /// stopped before filling the page, the id it read back to (older
    /// messages are searched by following `next`).
    pub searched_to: Option<String>,
}

/// How a search box's text is read: empty, a whole number (the messages
/// to it, by index), else words or digits to look for.
pub fn filter_of(q: &str, region: Region) -> MessageFilter {
    let q = q.trim();
    if q.is_empty() {
        return MessageFilter::Any;
    }
    let digits = q.chars().filter(char::is_ascii_digit).count();
    match Msisdn::parse(q, region) {
        // 3 to 6 digits read as a short code may as well be part of a number.
        Ok(n) if digits > 6 || q.starts_with('+') => MessageFilter::Recipient(n.as_str().to_string()),
        _ => MessageFilter::Words(q.to_string()),
    }
}

/// Checks a search's query and runs it: what the API answers and the page shows.
pub async fn search(app: &AppState, q: SearchQuery) -> Result<SearchPage, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", m);
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<Status>)
        .transpose()
        .map_err(bad)?;
    let text = q.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(bad("q is longer than 200 characters".into()));
    }
    let (before, limit) = super::conversations::page_query(q.before.as_deref(), q.limit)?;
    let filter = filter_of(&text, app.accepting.region);
    app.store
        .run(move |s| s.search_messages(&filter, status, before, limit))
        .await
        .map_err(ApiError::internal)
}

/// `GET /v1/messages/search?q=&status=&before=&limit=`.
#[utoipa::path(get, path = "/v1/messages/search", operation_id = "search_messages", tag = "messages",
    params(SearchQuery),
    responses(
        (status = 200, description = "Messages newest first: to a number, holding words or digits, in a status; `next` pages to older ones", body = SearchAnswer),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    let Query(q) = query?;
    let page = search(&app, q).await?;
    Ok(axum::response::IntoResponse::into_response(Json(SearchAnswer {
        messages: page.rows.iter().map(MessageView::from).collect(),
        next: page.before.map(|b| b.to_string()),
        searched_to: page.searched_to.map(|b| b.to_string()),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_box_reads_numbers_as_numbers_and_the_rest_as_words() {
        let ru = Region::default();
        assert_eq!(filter_of("  ", ru), MessageFilter::Any);
        assert_eq!(
            filter_of("8 916 123-45-67", ru),
            MessageFilter::Recipient("+79161234567".into())
        );
        assert_eq!(filter_of("4567", ru), MessageFilter::Words("4567".into()));
        assert_eq!(filter_of("order 12", ru), MessageFilter::Words("order 12".into()));
    }

    /// The documented pattern names every status there is, and empty.
    #[test]
    fn the_status_pattern_is_every_status_or_empty() {
        let doc = format!("^(|{})$", Status::ALL.map(Status::as_str).join("|"));
        let src = include_str!("message_search.rs");
        assert!(src.contains(&format!("pattern = r\"{doc}\"")), "{doc}");
    }
}
