//! The segments pages: the list (`/segments`, each segment's audience
//! counted as it scrolls into view), the builder for a new segment
//! (`/segments/new`) or a saved one (`/segments/{id}`) with its live
//! count and sample, and save, rename, change and delete.
//!
//! The builder ([`builder`]) turns its form into the filter language;
//! validation, counting and storage are the store's, called as the API
//! calls them (`parse_filter`, `segment_preview`, `create_segment`,
//! `update_segment`, `delete_segment`), so a page refuses what the API
//! refuses, with the same words.

pub mod builder;

use std::collections::BTreeMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::contacts::{error_view, ser};
use super::{Viewer, WebError, WebState};
use crate::api::error::ApiError;
use crate::contacts::AttrType;
use crate::store::{Preview, SegmentError, SegmentRow};
use builder::{Builder, KINDS, ops};

/// Segments on a page of the list.
pub const PAGE: usize = 50;
/// Contacts in a preview's sample (as the API's).
pub const SAMPLE: usize = 10;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/segments", get(list).post(create))
        .route("/segments/new", get(new))
        .route("/segments/build", post(build))
        .route("/segments/preview", post(preview))
        .route("/segments/{id}", get(show).post(update))
        .route("/segments/{id}/count", get(count))
        .route("/segments/{id}/delete", post(delete))
}

fn segment_id(id: &str) -> Result<i64, WebError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| WebError::not_found(format!("no segment {id:?}")))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    after: Option<String>,
    deleted: Option<String>,
}

#[derive(Debug, Serialize)]
struct SegmentItem {
    id: i64,
    name: String,
    updated_at: i64,
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let (after, limit) = crate::api::page::page(q.after.as_deref(), Some(PAGE))?;
    let rows = w.api.store.run(move |s| s.segments(after, limit)).await?;
    let next = crate::api::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
    let items: Vec<SegmentItem> = rows
        .into_iter()
        .map(|r| SegmentItem {
            id: r.id,
            name: r.name,
            updated_at: r.updated_at,
        })
        .collect();
    w.page(
        "segments.html",
        &viewer,
        context! { segments => ser(&items), after => after, next => next, deleted => q.deleted },
    )
}

/// A preview as the page shows it.
#[derive(Debug, Serialize)]
struct PreviewView {
    count: u64,
    matched: u64,
    no_consent: u64,
    opted_out: u64,
    invalid: u64,
    sample: Vec<super::contacts::Row>,
}

impl From<&Preview> for PreviewView {
    fn from(p: &Preview) -> Self {
        PreviewView {
            count: p.count,
            matched: p.matched,
            no_consent: p.excluded.no_consent,
            opted_out: p.excluded.opted_out,
            invalid: p.excluded.invalid,
            sample: p.sample.iter().map(super::contacts::Row::from).collect(),
        }
    }
}

/// The attribute types known, for the builder's choices and typing.
async fn types(w: &WebState) -> Result<BTreeMap<String, AttrType>, WebError> {
    Ok(w.api.store.run(|s| s.attribute_types()).await?)
}

/// The audience of `filter` now, or the refusal of the filter.
async fn audience(w: &WebState, filter: serde_json::Value) -> Result<Result<Preview, ApiError>, WebError> {
    let now = w.now_ms();
    let r = w
        .api
        .store
        .run(move |s| {
            let f = s.parse_filter(&filter)?;
            s.segment_preview(&f, now, SAMPLE).map_err(SegmentError::from)
        })
        .await;
    match r {
        Ok(p) => Ok(Ok(p)),
        Err(SegmentError::Store(e)) => Err(e.into()),
        Err(e) => Ok(Err(ApiError::from(e))),
    }
}

/// Everything the builder's templates need.
fn builder_ctx(b: &Builder, types: &BTreeMap<String, AttrType>) -> minijinja::Value {
    let groups: Vec<minijinja::Value> = b
        .groups
        .iter()
        .map(|g| {
            let conds: Vec<minijinja::Value> = g
                .conditions
                .iter()
                .map(|c| {
                    let ty = types.get(&c.attr).copied();
                    context! {
                        kind => c.kind.clone(), attr => c.attr.clone(), op => c.op.clone(),
                        value => c.value.clone(), needs_value => c.needs_value(),
                        ops => ops(&c.kind, ty).to_vec(),
                        attr_type => ty.map(AttrType::as_str),
                    }
                })
                .collect();
            context! { combine => ser(&g.combine), conditions => conds }
        })
        .collect();
    let attrs: Vec<(String, &str)> = types.iter().map(|(k, t)| (k.clone(), t.as_str())).collect();
    context! {
        combine => ser(&b.combine),
        groups => groups,
        kinds => KINDS.to_vec(),
        attrs => attrs,
        max_groups => builder::MAX_GROUPS,
        max_conditions => builder::MAX_CONDITIONS,
    }
}

fn preview_ctx(
    w: &WebState,
    viewer: &Viewer,
    r: &Result<Preview, ApiError>,
    json: &serde_json::Value,
) -> minijinja::Value {
    let filter_json = serde_json::to_string_pretty(json).unwrap_or_default();
    match r {
        Ok(p) => context! { preview => ser(&PreviewView::from(p)), filter_json => filter_json },
        // A condition still waiting for its value (a new form): no error
        // yet, just what to do.
        Err(e) if e.code == "invalid_filter" && e.message.ends_with(" is empty") => {
            context! { preview_incomplete => true, filter_json => filter_json }
        }
        Err(e) => context! { preview_error => error_view(w, viewer, e), filter_json => filter_json },
    }
}

/// What the builder page shows.
struct Editing<'a> {
    segment: Option<&'a SegmentRow>,
    name: String,
    builder: Option<Builder>,
    error: Option<ApiError>,
    saved: bool,
}

async fn render(w: &WebState, viewer: &Viewer, e: Editing<'_>) -> Result<Response, WebError> {
    let types = types(w).await?;
    let json = match (&e.builder, e.segment) {
        (Some(b), _) => b.to_json(&types),
        (None, Some(s)) => s.filter.clone(),
        (None, None) => serde_json::json!({"all": []}),
    };
    let r = audience(w, json.clone()).await?;
    let status = match &e.error {
        Some(err) => err.status,
        None => StatusCode::OK,
    };
    let mut resp = w.page(
        "segment.html",
        viewer,
        context! {
            segment => e.segment.map(|s| context! { id => s.id, name => s.name.clone(), updated_at => s.updated_at }),
            name => e.name,
            builder => e.builder.as_ref().map(|b| builder_ctx(b, &types)),
            error => e.error.as_ref().map(|err| error_view(w, viewer, err)),
            saved => e.saved,
            ..preview_ctx(w, viewer, &r, &json)
        },
    )?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn new(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let types = types(&w).await?;
    render(
        &w,
        &viewer,
        Editing {
            segment: None,
            name: String::new(),
            builder: Some(Builder::new(&types)),
            error: None,
            saved: false,
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

async fn saved_segment(w: &WebState, id: i64) -> Result<SegmentRow, WebError> {
    w.api
        .store
        .run(move |s| s.segment(id))
        .await?
        .ok_or_else(|| WebError::not_found(format!("no segment {id}")))
}

async fn show(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let seg = saved_segment(&w, segment_id(&id)?).await?;
    let types = types(&w).await?;
    let builder = Builder::from_json(&seg.filter, &types);
    render(
        &w,
        &viewer,
        Editing {
            segment: Some(&seg),
            name: seg.name.clone(),
            builder,
            error: None,
            saved: q.saved.is_some(),
        },
    )
    .await
}

/// The builder re-drawn after a kind, an attribute, an added or removed
/// condition or group (htmx), with the preview out of band.
async fn build(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let types = types(&w).await?;
    let b = Builder::from_form(&fields, &types);
    let json = b.to_json(&types);
    let r = audience(&w, json.clone()).await?;
    w.page(
        "segments_builder.html",
        &viewer,
        context! { builder => builder_ctx(&b, &types), oob => true, ..preview_ctx(&w, &viewer, &r, &json) },
    )
}

/// The live count and sample of the form as it is (htmx, as one types).
async fn preview(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let types = types(&w).await?;
    let json = Builder::from_form(&fields, &types).to_json(&types);
    let r = audience(&w, json.clone()).await?;
    w.page(
        "segments_preview.html",
        &viewer,
        preview_ctx(&w, &viewer, &r, &json),
    )
}

fn name_of(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

async fn create(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let types = types(&w).await?;
    let b = Builder::from_form(&fields, &types);
    let json = b.to_json(&types);
    let name = name_of(&fields);
    let now = w.now_ms();
    let n = name.clone();
    let r = w
        .api
        .store
        .run(move |s| {
            let filter = s.parse_filter(&json)?;
            s.write(now, |tx| tx.create_segment(&n, &filter))
        })
        .await;
    match r {
        Ok(row) => Ok(Redirect::to(&format!("/segments/{}?saved=1", row.id)).into_response()),
        Err(SegmentError::Store(e)) => Err(e.into()),
        Err(e) => {
            render(
                &w,
                &viewer,
                Editing {
                    segment: None,
                    name,
                    builder: Some(b),
                    error: Some(e.into()),
                    saved: false,
                },
            )
            .await
        }
    }
}

async fn update(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = segment_id(&id)?;
    let seg = saved_segment(&w, id).await?;
    let types = types(&w).await?;
    // A filter the builder cannot show is kept; only the name changes.
    let editable = fields.iter().any(|(k, _)| k.starts_with('g') || k == "combine");
    let b = editable.then(|| Builder::from_form(&fields, &types));
    let json = b.as_ref().map(|b| b.to_json(&types));
    let name = name_of(&fields);
    let now = w.now_ms();
    let n = name.clone();
    let r = w
        .api
        .store
        .run(move |s| {
            let filter = json.as_ref().map(|j| s.parse_filter(j)).transpose()?;
            s.write(now, |tx| tx.update_segment(id, Some(&n), filter.as_ref()))
        })
        .await;
    match r {
        Ok(Some(row)) => Ok(Redirect::to(&format!("/segments/{}?saved=1", row.id)).into_response()),
        Ok(None) => Err(WebError::not_found(format!("no segment {id}"))),
        Err(SegmentError::Store(e)) => Err(e.into()),
        Err(e) => {
            render(
                &w,
                &viewer,
                Editing {
                    segment: Some(&seg),
                    name,
                    builder: b.or_else(|| Builder::from_json(&seg.filter, &types)),
                    error: Some(e.into()),
                    saved: false,
                },
            )
            .await
        }
    }
}

async fn delete(State(w): State<WebState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = segment_id(&id)?;
    let seg = saved_segment(&w, id).await?;
    let now = w.now_ms();
    let deleted = w
        .api
        .store
        .run(move |s| s.write(now, |tx| tx.delete_segment(id)))
        .await?;
    if !deleted {
        return Err(WebError::not_found(format!("no segment {id}")));
    }
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("deleted", &seg.name)
        .finish();
    Ok(Redirect::to(&format!("/segments?{q}")).into_response())
}

/// A saved segment's reachable count, for the list (loaded as it shows).
async fn count(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = segment_id(&id)?;
    let now = w.now_ms();
    let r = w
        .api
        .store
        .run(move |s| {
            let Some(filter) = s.segment_filter(id)? else {
                return Ok(None);
            };
            s.segment_preview(&filter, now, 0)
                .map(Some)
                .map_err(SegmentError::from)
        })
        .await;
    let text = match r {
        Ok(Some(p)) => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("count", p.count as f64);
            args.set("n", super::format::integer(p.count as i64, viewer.lang));
            w.shared
                .renderer
                .catalog()
                .text(viewer.lang, "segments-count-short", Some(&args))
        }
        Ok(None) => return Err(WebError::not_found(format!("no segment {id}"))),
        Err(SegmentError::Store(e)) => return Err(e.into()),
        Err(_) => w
            .shared
            .renderer
            .catalog()
            .text(viewer.lang, "segments-count-invalid", None),
    };
    Ok(axum::response::Html(minijinja::HtmlEscape(&text).to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_the_builder_builds_from_a_value_exists() {
        use crate::web::i18n::{Catalog, Lang};
        let catalog = Catalog::load();
        let mut ids: Vec<String> = Vec::new();
        for k in KINDS {
            ids.push(format!("segments-kind-{k}"));
            let types: &[Option<AttrType>] = if k == "attr" {
                &[
                    Some(AttrType::String),
                    Some(AttrType::Number),
                    Some(AttrType::Boolean),
                    Some(AttrType::Date),
                ]
            } else {
                &[None]
            };
            for ty in types {
                for op in ops(k, *ty) {
                    ids.push(format!("segments-op-{k}-{op}"));
                }
            }
        }
        for m in 1..=12 {
            ids.push(format!("segments-month-{m}"));
        }
        for id in ids {
            for lang in Lang::ALL {
                assert!(catalog.has(lang, &id), "{id} missing in {}", lang.code());
            }
        }
    }
}
