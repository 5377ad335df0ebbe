//! The surveys pages: the list (`/surveys`, newest first, 20 a page),
//! the form asking a question (`/surveys/new` → `POST /surveys`), a
//! survey's page with its result bars (`/surveys/{id}`, refreshed by htmx
//! from `/surveys/{id}/results` every few seconds while it is open) and
//! closing it (`POST /surveys/{id}/close`).
//!
//! Everything goes through the functions `/v1/surveys` uses
//! ([`crate::api::surveys`]): the same checks, the opt-out suppression of
//! the queue, and the form's idempotency key (made when the form is
//! shown), so a double click asks nobody twice.

use std::collections::BTreeMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Viewer, WebError, WebState};
use crate::api::error::ApiError;
use crate::api::surveys::{SurveyRequest, close_survey, create_survey, list_surveys, survey_report};
use crate::store::SurveyReport;

/// Surveys on one page of the list.
const PAGE: usize = 20;
/// Option rows the form offers at first (more with "Add an option").
const OPTION_ROWS: usize = 4;
/// Most option rows the form shows.
const MAX_OPTION_ROWS: usize = 20;
/// How often an open survey's page refreshes its results.
pub const REFRESH_SECS: u32 = 3;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/surveys", get(list).post(create))
        .route("/surveys/new", get(new_form))
        .route("/surveys/{id}", get(show))
        .route("/surveys/{id}/results", get(results))
        .route("/surveys/{id}/close", post(close))
}

/// A path id: digits only, else "no such survey".
pub(super) fn path_id(id: &str) -> Result<i64, WebError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| WebError::not_found(format!("no survey {id:?}")))
}

/// A fresh idempotency key for a form.
pub(super) fn form_key() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    crate::sms::hex::encode_hex(&bytes)
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    before: Option<String>,
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let before = match q.before.as_deref() {
        None | Some("") => 0,
        Some(b) => path_id(b)?,
    };
    let (rows, next) = list_surveys(&w.api, before, PAGE).await?;
    let surveys: Vec<_> = rows
        .iter()
        .map(|s| {
            context! {
                id => s.id,
                title => headline(&s.question),
                open => s.open,
                recipients => s.recipients,
                created_at => s.created_at,
                closes_at => s.closes_at,
                closed_at => s.closed_at,
            }
        })
        .collect();
    w.page(
        "surveys.html",
        &viewer,
        context! { surveys => surveys, next => next, paged => before != 0 },
    )
}

/// The question's first line (the text sent also lists the options).
fn headline(question: &str) -> &str {
    question.lines().next().unwrap_or(question)
}

/// What the form holds, as typed (shown again when it does not check).
#[derive(Debug, Default, Serialize)]
struct SurveyForm {
    question: String,
    options: Vec<(String, String)>,
    recipients: String,
    count: String,
    closes_at: String,
    invalid_reply: String,
    idempotency_key: String,
}

impl SurveyForm {
    fn blank() -> SurveyForm {
        SurveyForm {
            options: (1..=OPTION_ROWS)
                .map(|i| (i.to_string(), String::new()))
                .collect(),
            count: "first".into(),
            idempotency_key: form_key(),
            ..Default::default()
        }
    }

    fn read(fields: Vec<(String, String)>) -> (SurveyForm, Option<String>) {
        let mut f = SurveyForm::default();
        let mut keys = BTreeMap::new();
        let mut labels = BTreeMap::new();
        let mut action = None;
        for (k, v) in fields {
            match k.as_str() {
                "question" => f.question = v,
                "recipients" => f.recipients = v,
                "count" => f.count = v,
                "closes_at" => f.closes_at = v,
                "invalid_reply" => f.invalid_reply = v,
                "idempotency_key" => f.idempotency_key = v,
                "action" => action = Some(v),
                _ => {
                    let row = |p: &str| k.strip_prefix(p).and_then(|i| i.parse::<usize>().ok());
                    if let Some(i) = row("option_key_").filter(|i| *i < MAX_OPTION_ROWS) {
                        keys.insert(i, v);
                    } else if let Some(i) = row("option_label_").filter(|i| *i < MAX_OPTION_ROWS) {
                        labels.insert(i, v);
                    }
                }
            }
        }
        let rows = keys
            .keys()
            .chain(labels.keys())
            .copied()
            .max()
            .map_or(0, |m| m + 1);
        f.options = (0..rows)
            .map(|i| {
                (
                    keys.get(&i).cloned().unwrap_or_default(),
                    labels.get(&i).cloned().unwrap_or_default(),
                )
            })
            .collect();
        if f.idempotency_key.trim().is_empty() {
            f.idempotency_key = form_key();
        }
        (f, action)
    }

    /// The API request; a field that cannot be read is an error naming it.
    fn request(&self, viewer: &Viewer) -> Result<SurveyRequest, ApiError> {
        let mut options = BTreeMap::new();
        for (key, label) in &self.options {
            let (key, label) = (key.trim(), label.trim());
            if label.is_empty() && key.is_empty() {
                continue;
            }
            if label.is_empty() {
                // A reply key with no answer next to it: a row left half-filled.
                if key.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                return Err(ApiError::invalid(
                    "invalid_options",
                    format!("option {key:?} has no label"),
                ));
            }
            if key.is_empty() {
                return Err(ApiError::invalid(
                    "invalid_options",
                    format!("option {label:?} has no reply key"),
                ));
            }
            if options.insert(key.to_string(), label.to_string()).is_some() {
                return Err(ApiError::invalid(
                    "invalid_options",
                    format!("the reply key {key:?} is given twice"),
                ));
            }
        }
        let recipients: Vec<String> = self
            .recipients
            .split(['\n', '\r', ',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let closes_at = match self.closes_at.trim() {
            "" => None,
            t => Some(local_to_rfc3339(t, viewer.tz).ok_or_else(|| {
                ApiError::invalid("invalid_closes_at", format!("{t:?} is not a date and time"))
            })?),
        };
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(SurveyRequest {
            question: self.question.trim().to_string(),
            options,
            recipients,
            closes_at,
            count: optional(&self.count),
            invalid_reply: optional(&self.invalid_reply),
            idempotency_key: optional(&self.idempotency_key),
        })
    }
}

/// A `datetime-local` value (`2024-05-03T18:00`) in `zone` as RFC 3339.
fn local_to_rfc3339(value: &str, zone: chrono_tz::Tz) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let at = zone.from_local_datetime(&naive).earliest()?;
    Some(at.to_rfc3339())
}

/// The error a form shows: its title in the viewer's language (this
/// page's `surveys-error-<code>`, else the shared `error-<code>`) and the
/// detail naming the field.
pub(super) fn form_error(w: &WebState, viewer: &Viewer, page: &str, e: &ApiError) -> minijinja::Value {
    let catalog = w.shared.renderer.catalog();
    let title = [format!("{page}-error-{}", e.code), format!("error-{}", e.code)]
        .into_iter()
        .find(|id| catalog.has(viewer.lang, id))
        .map(|id| catalog.text(viewer.lang, &id, None))
        .unwrap_or_else(|| catalog.text(viewer.lang, "error-generic", None));
    context! { title => title, detail => e.message.clone(), code => e.code }
}

fn form_page(
    w: &WebState,
    viewer: &Viewer,
    form: &SurveyForm,
    error: Option<minijinja::Value>,
) -> Result<Response, WebError> {
    let invalid = error.is_some();
    let mut r = w.page(
        "surveys_new.html",
        viewer,
        context! { form => minijinja::Value::from(minijinja::value::Serde(form)), error => error, max_rows => MAX_OPTION_ROWS },
    )?;
    if invalid {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn new_form(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    form_page(&w, &viewer, &SurveyForm::blank(), None)
}

async fn create(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (mut form, action) = SurveyForm::read(fields);
    if action.as_deref() == Some("add_option") {
        if form.options.len() < MAX_OPTION_ROWS {
            let next = form.options.len() + 1;
            form.options.push((next.to_string(), String::new()));
        }
        return form_page(&w, &viewer, &form, None);
    }
    let req = match form.request(&viewer) {
        Ok(r) => r,
        Err(e) => {
            let error = form_error(&w, &viewer, "surveys", &e);
            return form_page(&w, &viewer, &form, Some(error));
        }
    };
    match create_survey(&w.api, req).await {
        Ok(created) => Ok(Redirect::to(&format!(
            "/surveys/{}?sent={}&suppressed={}",
            created.id, created.messages, created.suppressed
        ))
        .into_response()),
        Err(e) if e.status.is_client_error() => {
            let error = form_error(&w, &viewer, "surveys", &e);
            form_page(&w, &viewer, &form, Some(error))
        }
        Err(e) => Err(e.into()),
    }
}

/// One option's bar: its label, votes and share of the counted votes.
fn bars(r: &SurveyReport) -> Vec<minijinja::Value> {
    r.results
        .iter()
        .enumerate()
        .map(|(i, (key, label, votes))| {
            let share = if r.responded == 0 {
                0.0
            } else {
                *votes as f64 / r.responded as f64
            };
            context! { n => i, key => key, label => label, votes => votes, share => share }
        })
        .collect()
}

fn report_context(r: &SurveyReport) -> minijinja::Value {
    let rate = if r.recipients == 0 {
        None
    } else {
        Some(r.responded as f64 / r.recipients as f64)
    };
    context! {
        id => r.id,
        title => headline(&r.question),
        question => r.question.clone(),
        open => r.open,
        count_mode => r.count_mode.clone(),
        recipients => r.recipients,
        delivered => r.delivered,
        responded => r.responded,
        comments => r.comments,
        response_rate => rate,
        created_at => r.created_at,
        closes_at => r.closes_at,
        closed_at => r.closed_at,
        bars => bars(r),
        max => r.responded.max(1),
        refresh => REFRESH_SECS,
    }
}

#[derive(Debug, Deserialize)]
struct ShowQuery {
    sent: Option<u64>,
    suppressed: Option<u64>,
}

async fn show(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let id = path_id(&id)?;
    let report = survey_report(&w.api, id).await?;
    w.page(
        "surveys_show.html",
        &viewer,
        context! { s => report_context(&report), sent => q.sent, suppressed => q.suppressed },
    )
}

async fn results(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = path_id(&id)?;
    let report = survey_report(&w.api, id).await?;
    let mut r = w.page(
        "surveys_results.html",
        &viewer,
        context! { s => report_context(&report) },
    )?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

async fn close(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let _ = viewer;
    let id = path_id(&id)?;
    close_survey(&w.api, id).await?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_digits_only() {
        assert_eq!(path_id("42").unwrap(), 42);
        for bad in ["", "+5", "-1", "1e3", "x", "1234567890123456789"] {
            assert_eq!(path_id(bad).unwrap_err().code, "not_found", "{bad}");
        }
    }

    #[test]
    fn a_local_time_reads_in_the_viewers_zone() {
        let moscow: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(
            local_to_rfc3339("2030-05-03T18:00", moscow).as_deref(),
            Some("2030-05-03T18:00:00+03:00")
        );
        assert_eq!(local_to_rfc3339("tomorrow", moscow), None);
    }

    fn viewer() -> Viewer {
        Viewer {
            user: "admin".into(),
            csrf: "t".into(),
            lang: crate::web::i18n::Lang::En,
            tz: chrono_tz::Tz::UTC,
            htmx: false,
            path: "/surveys".into(),
        }
    }

    #[test]
    fn the_form_reads_rows_numbers_and_skips_untouched_options() {
        let fields = [
            ("question", "Will you come?"),
            ("option_key_0", "1"),
            ("option_label_0", "Yes"),
            ("option_key_1", "2"),
            ("option_label_1", " No "),
            ("option_key_2", "3"),
            ("option_label_2", ""),
            ("recipients", "+79161234567\n8 916 765-43-21, +79160000000;\n\n"),
            ("count", "last"),
            ("idempotency_key", "k"),
        ];
        let (form, action) = SurveyForm::read(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(action, None);
        let req = form.request(&viewer()).unwrap();
        assert_eq!(req.options.len(), 2);
        assert_eq!(req.options["2"], "No");
        assert_eq!(req.recipients.len(), 3);
        assert_eq!(req.count.as_deref(), Some("last"));
        assert_eq!(req.idempotency_key.as_deref(), Some("k"));
    }

    #[test]
    fn a_label_without_a_key_or_a_key_twice_is_refused() {
        let read = |pairs: &[(&str, &str)]| {
            SurveyForm::read(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
            .0
            .request(&viewer())
        };
        let e = read(&[("option_key_0", ""), ("option_label_0", "Yes")]).unwrap_err();
        assert_eq!(e.code, "invalid_options");
        let e = read(&[
            ("option_key_0", "1"),
            ("option_label_0", "Yes"),
            ("option_key_1", "1"),
            ("option_label_1", "No"),
        ])
        .unwrap_err();
        assert_eq!(e.code, "invalid_options");
        let e = read(&[("closes_at", "soon")]).unwrap_err();
        assert_eq!(e.code, "invalid_closes_at");
    }
}
