//! The conversations pages: the numbers that replied, latest first
//! (`/conversations`, as `GET /v1/conversations`), one number's thread —
//! its replies and the messages sent to it in time order
//! (`/conversations/{number}`, as `GET /v1/conversations/{number}`) — and
//! a reply from the page (`POST /conversations/{number}/reply`) through
//! [`crate::api::messages::accept`], the path of `POST /v1/messages`: a
//! number that opted out gets nothing, consent and idempotency hold.

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Viewer, WebError, WebState};
use crate::api::conversations::{page_query, thread_number};
use crate::api::messages::{MessageRequest, accept};
use crate::store::{ContactKey, ThreadItem};

/// Rows per page.
const PAGE: usize = 50;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/{number}", get(thread))
        .route("/conversations/{number}/reply", post(reply))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    before: Option<String>,
    sent: Option<String>,
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|q| q.0).unwrap_or_default();
    let (before, limit) = page_query(q.before.as_deref(), Some(PAGE))?;
    let (rows, next) = w.api.store.run(move |s| s.conversations(before, limit)).await?;
    let rows: Vec<minijinja::Value> = rows
        .into_iter()
        .map(|c| {
            context! {
                path => encode(&c.number), number => c.number, name => c.name,
                text => c.last_text.as_deref().map(|t| excerpt(t, 120)),
                at => c.last_at, kind => c.last_kind, replies => c.replies, opted_out => c.opted_out,
            }
        })
        .collect();
    w.page(
        "conversations.html",
        &viewer,
        context! { rows => rows, older => next, paged => before.is_some() },
    )
}

/// A number as one segment of a path (`+` and anything unusual escaped).
pub fn encode(number: &str) -> String {
    url::form_urlencoded::byte_serialize(number.as_bytes()).collect()
}

fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

/// One entry of the thread as the page shows it.
#[derive(Debug, Serialize)]
struct Entry {
    incoming: bool,
    id: i64,
    text: Option<String>,
    at: i64,
    status: Option<String>,
    kind: Option<String>,
    error: Option<String>,
}

/// The reply form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
struct ReplyForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    idem: String,
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    crate::sms::hex::encode_hex(&bytes)
}

async fn thread_ctx(
    w: &WebState,
    raw: &str,
    before: Option<i64>,
    sent: Option<i64>,
) -> Result<minijinja::Value, WebError> {
    let number = thread_number(raw, &w.api);
    let n = number.clone();
    let (page, contact, optout, sent) = w
        .api
        .store
        .run(move |s| {
            let page = s.thread(&n, before, PAGE)?;
            let contact = s.contact(&ContactKey::Phone(n.clone()))?;
            let optout = s.optout(&n)?;
            let sent = match sent {
                Some(id) => s.message(id)?.map(|(m, _)| m).filter(|m| m.recipient == n),
                None => None,
            };
            Ok::<_, crate::store::StoreError>((page, contact, optout, sent))
        })
        .await?;
    let entries: Vec<Entry> = page
        .items
        .iter()
        .map(|i| match i {
            ThreadItem::Received(m) => Entry {
                incoming: true,
                id: m.id,
                text: m.text.clone(),
                at: m.received_at,
                status: None,
                kind: m.kind.clone(),
                error: None,
            },
            ThreadItem::Sent(m) => Entry {
                incoming: false,
                id: m.id,
                text: Some(m.text.clone()),
                at: m.created_at,
                status: Some(m.status.as_str().to_string()),
                kind: None,
                error: m.error.clone(),
            },
        })
        .collect();
    let now = w.now_ms();
    Ok(context! {
        number_path => encode(&number),
        number => number,
        name => contact.as_ref().and_then(|c| c.name.clone()),
        zone => contact.as_ref().and_then(|c| c.time_zone.clone()),
        now => now,
        entries => minijinja::Value::from(minijinja::value::Serde(&entries)),
        older => page.before,
        paged => before.is_some(),
        opted_out => optout.as_ref().map(|o| context! { at => o.at, source => o.source.clone(), keyword => o.keyword.clone() }),
        sent => sent.map(|m| context! { id => m.id, status => m.status.as_str(), error => m.error }),
    })
}

fn read_number(path: Result<Path<String>, PathRejection>) -> Result<String, WebError> {
    path.map(|p| p.0)
        .map_err(|_| WebError::not_found("no such conversation"))
}

async fn thread(
    State(w): State<WebState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let raw = read_number(path)?;
    let q = query.map(|q| q.0).unwrap_or_default();
    let (before, _) = page_query(q.before.as_deref(), Some(PAGE))?;
    let sent = q.sent.as_deref().and_then(|s| s.parse().ok());
    let ctx = thread_ctx(&w, &raw, before, sent).await?;
    let form = ReplyForm {
        text: String::new(),
        idem: new_key(),
    };
    w.page(
        "conversations_thread.html",
        &viewer,
        context! { form => minijinja::Value::from(minijinja::value::Serde(&form)), ..ctx },
    )
}

async fn reply(
    State(w): State<WebState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<ReplyForm>, FormRejection>,
) -> Result<Response, WebError> {
    let raw = read_number(path)?;
    let Form(mut form) = form.map_err(|e| WebError::invalid("bad_form", e.to_string()))?;
    let keyed = !form.idem.is_empty()
        && form.idem.len() <= 64
        && form.idem.bytes().all(|b| b.is_ascii_alphanumeric());
    if !keyed {
        // Not a form this page made: shown back with a key, not sent (a
        // repeated post without one could not be told from a new reply).
        form.idem = new_key();
        let problem = w
            .shared
            .renderer
            .catalog()
            .text(viewer.lang, "send-error-no-key", None);
        return refused(&w, &viewer, &raw, &form, problem).await;
    }
    let number = thread_number(&raw, &w.api);
    let req = MessageRequest {
        to: number.clone(),
        text: form.text.clone(),
        send_at: None,
        idempotency_key: Some(format!("web-reply-{}", form.idem)),
        status_report: None,
        category: None,
    };
    let outcome = accept(&w.api, vec![req])
        .await?
        .pop()
        .ok_or_else(|| WebError::internal("no outcome for the reply"))?;
    match outcome {
        Ok(o) => {
            let to = format!("/conversations/{}?sent={}", encode(&number), o.id);
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            // Shown on the page, the text kept, in the viewer's words.
            let c = w.shared.renderer.catalog();
            let id = format!("send-error-{}", e.code);
            let problem = if c.has(viewer.lang, &id) {
                c.text(viewer.lang, &id, None)
            } else {
                e.message.clone()
            };
            refused(&w, &viewer, &raw, &form, problem).await
        }
    }
}

/// The thread again with the reply not sent, its text kept, and why.
async fn refused(
    w: &WebState,
    viewer: &Viewer,
    raw: &str,
    form: &ReplyForm,
    problem: String,
) -> Result<Response, WebError> {
    let ctx = thread_ctx(w, raw, None, None).await?;
    let mut r = w.page(
        "conversations_thread.html",
        viewer,
        context! { form => minijinja::Value::from(minijinja::value::Serde(form)), problem => problem, ..ctx },
    )?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}
