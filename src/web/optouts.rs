//! The opt-outs page (`/optouts`): who gets no messages any more, newest
//! first or found by number; adding a number; resubscribing one only
//! after a confirmation; and the review list (replies that mention an
//! opt-out word without being one) with its two decisions. Actions call
//! the functions behind `/v1/optouts` ([`crate::api::optouts`]), so they
//! suppress what is queued exactly as the API does.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Viewer, WebError, WebState};
use crate::api::optouts as api;
use crate::phone::Msisdn;
use crate::store::{OptOut, ReviewAction};

/// Rows on a page.
const PAGE: usize = 50;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/optouts", get(page).post(add))
        .route("/optouts/results", get(results))
        .route("/optouts/remove", get(confirm_remove).post(remove))
        .route("/optouts/review/{id}", post(review))
}

/// The page's query: a search, a pager cursor, and what was just done.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// A number, or the first digits of one.
    #[serde(default)]
    q: String,
    /// Newest-first cursor: rows before this one.
    before: Option<String>,
    /// Search cursor: numbers after this one.
    after: Option<String>,
    /// What the last action did: `added`, `already`, `removed`,
    /// `opted_out`, `dismissed`.
    done: Option<String>,
    /// The number it was about.
    number: Option<String>,
}

/// An opt-out as a row shows it.
#[derive(Debug, Serialize)]
struct Row {
    number: String,
    source_id: &'static str,
    keyword: Option<String>,
    note: Option<String>,
    at: i64,
    /// The confirmation page of its removal.
    remove_href: String,
}

/// A URL `base` (ending in `?`) to which query pairs are appended.
fn query(base: &str) -> url::form_urlencoded::Serializer<'static, String> {
    url::form_urlencoded::Serializer::for_suffix(base.to_string(), base.len())
}

/// The text id of how a number came to be opted out.
fn source_id(source: &str) -> &'static str {
    match source {
        "keyword" => "optouts-source-keyword",
        "api" => "optouts-source-api",
        "import" => "optouts-source-import",
        "review" => "optouts-source-review",
        _ => "optouts-source-other",
    }
}

fn row(o: &OptOut) -> Row {
    Row {
        number: o.number.clone(),
        source_id: source_id(&o.source),
        keyword: o.keyword.clone(),
        note: o.note.clone(),
        at: o.at,
        remove_href: query("/optouts/remove?")
            .append_pair("number", &o.number)
            .finish(),
    }
}

/// A list to show: its rows, the link to the next page, and what was searched.
struct Listing {
    rows: Vec<Row>,
    next: Option<String>,
    searched: bool,
    bad_search: bool,
}

/// What a search for `q` reads: the whole number (exact) and, from its
/// digits, the numbers starting with them in international form.
async fn list(w: &WebState, q: &ListQuery) -> Result<Listing, WebError> {
    let text = q.q.trim().to_string();
    if text.is_empty() {
        let before = q.before.as_deref().and_then(|b| b.parse::<i64>().ok());
        let rows = w.api.store.run(move |s| s.optouts_newest(before, PAGE)).await?;
        let next = (rows.len() == PAGE)
            .then(|| rows.last().map(|(c, _)| format!("/optouts?before={c}")))
            .flatten();
        return Ok(Listing {
            rows: rows.iter().map(|(_, o)| row(o)).collect(),
            next,
            searched: false,
            bad_search: false,
        });
    }
    let typed_ok = text
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (i == 0 && c == '+'));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if !typed_ok || digits.is_empty() || digits.len() > 15 {
        return Ok(Listing {
            rows: Vec::new(),
            next: None,
            searched: true,
            bad_search: true,
        });
    }
    let exact = Msisdn::parse(&text, w.api.accepting.region)
        .ok()
        .map(|n| n.as_str().to_string());
    let prefix = format!("+{digits}");
    let after = q.after.clone();
    let found = w
        .api
        .store
        .run(move |s| {
            let mut rows: Vec<OptOut> = Vec::new();
            if after.is_none()
                && let Some(n) = &exact
                && let Some(o) = s.optout(n)?
            {
                rows.push(o);
            }
            for (_, o) in s.optouts_starting(&prefix, after.as_deref(), PAGE)? {
                if !rows.iter().any(|r| r.number == o.number) {
                    rows.push(o);
                }
            }
            Ok::<_, crate::store::StoreError>(rows)
        })
        .await?;
    let next = (found.len() >= PAGE)
        .then(|| {
            found.last().map(|o| {
                query("/optouts?")
                    .append_pair("q", &text)
                    .append_pair("after", &o.number)
                    .finish()
            })
        })
        .flatten();
    Ok(Listing {
        rows: found.iter().map(row).collect(),
        next,
        searched: true,
        bad_search: false,
    })
}

async fn list_context(w: &WebState, q: &ListQuery) -> Result<minijinja::Value, WebError> {
    let l = list(w, q).await?;
    Ok(context! {
        rows => minijinja::Value::from(minijinja::value::Serde(l.rows)),
        next => l.next,
        searched => l.searched,
        bad_search => l.bad_search,
        q => q.q.trim(),
        paged => q.before.is_some() || q.after.is_some(),
    })
}

/// The full page; `add_error`/`add_number`/`add_note` refill the form after a refusal.
async fn render_page(
    w: &WebState,
    viewer: &Viewer,
    q: &ListQuery,
    add_error: Option<String>,
    add_number: &str,
    add_note: &str,
) -> Result<Response, WebError> {
    let listing = list_context(w, q).await?;
    let reviews = w.api.store.run(|s| s.pending_reviews(0, PAGE)).await?;
    let pending = if reviews.len() < PAGE {
        reviews.len() as i64
    } else {
        w.api.store.run(|s| s.pending_review_count()).await?
    };
    let reviews: Vec<_> = reviews
        .iter()
        .map(|r| {
            context! { id => r.id, number => r.number.clone(), text => r.text.clone(),
            keyword => r.keyword.clone(), received_at => r.received_at }
        })
        .collect();
    let ctx = context! {
        reviews => reviews,
        pending => pending,
        done => q.done.clone(),
        done_number => q.number.clone(),
        add_error => add_error,
        add_number => add_number,
        add_note => add_note,
        ..listing
    };
    w.page("optouts.html", viewer, ctx)
}

async fn page(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    render_page(&w, &viewer, &q, None, "", "").await
}

/// The list alone, for the search box's live results.
async fn results(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let ctx = list_context(&w, &q).await?;
    w.page("optouts_results.html", &viewer, ctx)
}

/// Where to go after an action: the page, saying what was done to `number`.
fn back(done: &str, number: &str, anchor: &str) -> Response {
    let to = query("/optouts?")
        .append_pair("done", done)
        .append_pair("number", number)
        .finish();
    Redirect::to(&format!("{to}{anchor}")).into_response()
}

/// The add form.
#[derive(Debug, Deserialize)]
struct AddForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    note: String,
}

async fn add(
    State(w): State<WebState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<AddForm>,
) -> Result<Response, WebError> {
    let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(WebError::invalid(
            "note_too_long",
            "the note is over 500 characters",
        ));
    }
    match api::add(&w.api, &form.number, note).await {
        Ok((added, stored)) => Ok(back(if added { "added" } else { "already" }, &stored.number, "")),
        Err(e) if e.code == "invalid_number" => {
            let catalog = w.shared.renderer.catalog();
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("number", form.number.trim().to_string());
            let msg = catalog.text(viewer.lang, "optouts-invalid-number", Some(&args));
            let mut r = render_page(
                &w,
                &viewer,
                &ListQuery::default(),
                Some(msg),
                &form.number,
                &form.note,
            )
            .await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// The number a confirmation is about.
#[derive(Debug, Deserialize)]
struct NumberQuery {
    #[serde(default)]
    number: String,
}

/// The opt-out of `input`, or a page-ready error.
async fn find(w: &WebState, input: &str) -> Result<OptOut, WebError> {
    let n = api::number(&w.api, input)?;
    let key = n.as_str().to_string();
    w.api
        .store
        .run(move |s| s.optout(&key))
        .await?
        .ok_or_else(|| WebError::not_found(format!("{n} has not opted out")))
}

async fn confirm_page(
    w: &WebState,
    viewer: &Viewer,
    o: &OptOut,
    unconfirmed: bool,
) -> Result<Response, WebError> {
    w.page(
        "optouts_remove.html",
        viewer,
        context! { o => minijinja::Value::from(minijinja::value::Serde(row(o))), unconfirmed => unconfirmed },
    )
}

/// "Resubscribe": first a page that says what it means and asks to confirm.
async fn confirm_remove(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<NumberQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let input = query.map(|Query(q)| q.number).unwrap_or_default();
    let o = find(&w, &input).await?;
    confirm_page(&w, &viewer, &o, false).await
}

/// The confirmation form.
#[derive(Debug, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    number: String,
    /// The box "the person asked to get messages again": `yes` when ticked.
    #[serde(default)]
    confirm: String,
}

async fn remove(
    State(w): State<WebState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Result<Response, WebError> {
    if form.confirm != "yes" {
        let o = find(&w, &form.number).await?;
        let mut r = confirm_page(&w, &viewer, &o, true).await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let n = api::remove(&w.api, &form.number).await?;
    Ok(back("removed", n.as_str(), ""))
}

/// A decision on a review.
#[derive(Debug, Deserialize)]
struct ReviewForm {
    #[serde(default)]
    action: String,
}

async fn review(
    State(w): State<WebState>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, WebError> {
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::not_found(format!("no review {id:?}")))?;
    let action = match form.action.as_str() {
        "opt_out" => ReviewAction::OptOut,
        "dismiss" => ReviewAction::Dismiss,
        other => {
            return Err(WebError::invalid(
                "invalid_action",
                format!("{other:?} is not a decision"),
            ));
        }
    };
    let (r, _) = api::resolve(&w.api, id, action).await?;
    let done = match action {
        ReviewAction::OptOut => "opted_out",
        ReviewAction::Dismiss => "dismissed",
    };
    Ok(back(done, &r.number, "#review"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_has_words_in_every_language() {
        use super::super::i18n::{Catalog, Lang};
        let catalog = Catalog::load();
        for s in ["keyword", "api", "import", "review", "other"] {
            for lang in Lang::ALL {
                assert!(catalog.has(lang, source_id(s)), "{s} in {}", lang.code());
            }
        }
    }
}
