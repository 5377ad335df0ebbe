//! The messages pages: the queue and history (`/messages`, newest first,
//! searched by number or words, filtered by status, keyset pager) through
//! [`crate::api::message_search::search`], the API's
//! `GET /v1/messages/search`; one message (`/messages/{id}`) with its
//! history and reasons, refreshed live while it travels
//! (`/messages/{id}/live`); and cancel (`POST /messages/{id}/cancel`)
//! through [`crate::api::messages::cancel_message`], as
//! `DELETE /v1/messages/{id}`.

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Viewer, WebError, WebState};
use crate::api::message_search::{SearchQuery, search};
use crate::store::{ContactKey, MessageRow, Status};

/// Rows per page.
const PAGE: usize = 50;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/messages", get(list))
        .route("/messages/{id}", get(detail))
        .route("/messages/{id}/live", get(live))
        .route("/messages/{id}/cancel", post(cancel))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    before: Option<String>,
}

/// A message as a row of the list.
#[derive(Debug, Serialize)]
struct Row {
    id: i64,
    number: String,
    name: Option<String>,
    text: String,
    status: String,
    segments: usize,
    created_at: i64,
    send_at: Option<i64>,
    error: Option<String>,
}

/// The first `n` characters of `s`, with an ellipsis when cut.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

/// The names of the contacts with these numbers (one indexed lookup each).
async fn names(w: &WebState, numbers: Vec<String>) -> Result<Vec<Option<String>>, WebError> {
    Ok(w.api
        .store
        .run(move |s| {
            numbers
                .iter()
                .map(|n| {
                    s.contact(&ContactKey::Phone(n.clone()))
                        .map(|c| c.and_then(|c| c.name))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await?)
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|q| q.0).unwrap_or_default();
    let text = q.q.clone().unwrap_or_default();
    let status = q.status.clone().filter(|s| !s.is_empty());
    let filtered = !text.trim().is_empty() || status.is_some();
    let page = search(
        &w.api,
        SearchQuery {
            q: Some(text.clone()),
            status: status.clone(),
            before: q.before.clone(),
            limit: Some(PAGE),
        },
    )
    .await?;
    let numbers: Vec<String> = page.rows.iter().map(|m| m.recipient.clone()).collect();
    let names = names(&w, numbers).await?;
    let rows: Vec<Row> = page
        .rows
        .iter()
        .zip(names)
        .map(|(m, name)| Row {
            id: m.id,
            number: m.recipient.clone(),
            name,
            text: excerpt(&m.text, 90),
            status: m.status.as_str().to_string(),
            segments: m.segments,
            created_at: m.created_at,
            send_at: m.send_at,
            error: m.error.as_ref().map(|e| excerpt(e, 120)),
        })
        .collect();
    let pager_query = |before: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !text.is_empty() {
            s.append_pair("q", &text);
        }
        if let Some(st) = &status {
            s.append_pair("status", st);
        }
        s.append_pair("before", &before.to_string());
        s.finish()
    };
    let older = page.before.map(pager_query);
    let newest = {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !text.is_empty() {
            s.append_pair("q", &text);
        }
        if let Some(st) = &status {
            s.append_pair("status", st);
        }
        let q = s.finish();
        if q.is_empty() { q } else { format!("?{q}") }
    };
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    w.page(
        "messages.html",
        &viewer,
        context! {
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
            q => text,
            status => status,
            statuses => statuses,
            filtered => filtered,
            older => older,
            newest => newest,
            paged => q.before.as_deref().is_some_and(|b| !b.is_empty()),
            searched_to => page.searched_to,
        },
    )
}

fn read_id(path: Result<Path<String>, PathRejection>) -> Result<i64, WebError> {
    let Path(raw) = path.map_err(|_| WebError::not_found("no such message"))?;
    raw.parse()
        .map_err(|_| WebError::not_found(format!("no message {raw:?}")))
}

/// Whether a message may still change (the page keeps refreshing).
fn travelling(m: &MessageRow) -> bool {
    matches!(m.status, Status::Scheduled | Status::Queued | Status::Sending)
        || (m.status == Status::Sent && m.status_report)
}

/// The recipient's clock, as a campaign reads it: the contact's zone, else
/// the zone of the number's country when it has one, else the gateway's
/// default (`contacts.default_time_zone`).
fn recipient_zone(w: &WebState, number: &str, contact: Option<&crate::contacts::Contact>) -> String {
    contact
        .and_then(|c| c.time_zone.clone())
        .or_else(|| {
            crate::contacts::time_zone::of_number(&crate::phone::Msisdn::from_canonical(number))
                .map(str::to_string)
        })
        .unwrap_or_else(|| w.api.contacts.default_time_zone.clone())
}

async fn detail_ctx(w: &WebState, id: i64) -> Result<minijinja::Value, WebError> {
    let found = w
        .api
        .store
        .run(move |s| {
            let Some((m, history)) = s.message(id)? else {
                return Ok(None);
            };
            let contact = s.contact(&ContactKey::Phone(m.recipient.clone()))?;
            Ok::<_, crate::store::StoreError>(Some((m, history, contact)))
        })
        .await?;
    let (m, history, contact) = found.ok_or_else(|| WebError::not_found(format!("no message {id}")))?;
    let history: Vec<minijinja::Value> = history
        .iter()
        .map(|e| context! { status => e.status.as_str(), at => e.at, reason => e.reason.clone() })
        .collect();
    let cancellable = matches!(m.status, Status::Queued | Status::Scheduled);
    let live = travelling(&m);
    let zone = recipient_zone(w, &m.recipient, contact.as_ref());
    Ok(context! {
        m => context! {
            id => m.id, number_path => super::conversations::encode(&m.recipient), number => m.recipient, text => m.text, status => m.status.as_str(),
            segments => m.segments, encoding => m.encoding, status_report => m.status_report,
            send_at => m.send_at, created_at => m.created_at, sent_at => m.sent_at,
            delivered_at => m.delivered_at, attempts => m.attempts, error => m.error,
            category => m.category.as_str(), imsi => m.sim_imsi, modem => m.modem_imei,
            port => m.modem_port,
        },
        r => context! { status => m.status.as_str() },
        name => contact.as_ref().and_then(|c| c.name.clone()),
        zone => zone,
        history => history,
        cancellable => cancellable,
        live => live,
    })
}

async fn detail(
    State(w): State<WebState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let id = read_id(path)?;
    let ctx = detail_ctx(&w, id).await?;
    w.page("messages_detail.html", &viewer, ctx)
}

async fn live(
    State(w): State<WebState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let id = read_id(path)?;
    let ctx = detail_ctx(&w, id).await?;
    w.page("messages_live.html", &viewer, ctx)
}

async fn cancel(
    State(w): State<WebState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let id = read_id(path)?;
    let reason = format!("cancelled from the dashboard by {}", viewer.user);
    crate::api::messages::cancel_message(&w.api, id, &reason).await?;
    Ok(Redirect::to(&format!("/messages/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_on_characters_not_bytes() {
        assert_eq!(excerpt("Привет", 3), "При…");
        assert_eq!(excerpt("abc", 3), "abc");
    }
}
