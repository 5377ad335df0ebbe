//! The send page (`/send`): a message to one or more numbers.
//!
//! - `GET /send[?to=…]`: the form, with an idempotency key made when it is
//!   rendered (a double click or a resubmit sends nothing twice);
//! - `POST /send/numbers`, `POST /send/counter`: live fragments as the
//!   numbers and the text are typed — each bad number named with why; the
//!   counter from the gateway's own encoder ([`crate::api::estimate`]):
//!   characters, encoding, SMS, cost, the characters forcing UCS-2
//!   highlighted with their GSM 7-bit spelling;
//! - `POST /send/fix`: the text spelled without them (the textarea again);
//! - `POST /send`: every message through [`crate::api::messages::accept`],
//!   the path of `POST /v1/messages` (checks, opt-outs, consent,
//!   idempotency), then the messages created, with links.

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::{Viewer, WebError, WebState};
use crate::api::messages::{MessageRequest, accept};
use crate::phone::{NumberList, NumberProblem, parse_list};
use crate::store::{Category, ContactKey, EnqueueOutcome};
use crate::templates::estimate::TextEstimate;

/// Most numbers one form sends to; more is a campaign's work.
pub const MAX_RECIPIENTS: usize = 500;
/// Rows of the result shown (the rest are on the Messages page).
const RESULT_ROWS: usize = 50;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/send", get(page).post(send))
        .route("/send/numbers", post(numbers))
        .route("/send/counter", post(counter))
        .route("/send/fix", post(fix))
}

/// What the form holds.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SendForm {
    /// The numbers, as typed.
    #[serde(default)]
    pub to: String,
    /// The text.
    #[serde(default)]
    pub text: String,
    /// `YYYY-MM-DDTHH:MM` in the viewer's zone, or empty.
    #[serde(default)]
    pub send_at: String,
    /// Checkbox: ask for a delivery report.
    #[serde(default)]
    pub status_report: Option<String>,
    /// `transactional` or `marketing`.
    #[serde(default)]
    pub category: String,
    /// The form's idempotency key.
    #[serde(default)]
    pub idem: String,
    /// `fix`: spell the text in GSM 7-bit instead of sending.
    #[serde(default)]
    pub action: String,
}

#[derive(Debug, Deserialize)]
struct Prefill {
    to: Option<String>,
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    crate::sms::hex::encode_hex(&bytes)
}

/// A bad entry of the numbers field, in the viewer's words.
#[derive(Debug, Serialize)]
struct BadNumber {
    line: usize,
    input: String,
    why: String,
}

fn number_problem(w: &WebState, lang: Lang, p: &NumberProblem) -> String {
    let c = w.shared.renderer.catalog();
    let mut args = fluent_bundle::FluentArgs::new();
    let id = match p {
        NumberProblem::Empty => "send-number-empty",
        NumberProblem::Character { character, position } => {
            args.set("character", character.to_string());
            args.set("position", *position as f64);
            "send-number-character"
        }
        NumberProblem::Unreadable => "send-number-unreadable",
        NumberProblem::NotValid => {
            args.set("region", w.api.accepting.region.to_string());
            "send-number-not-valid"
        }
    };
    c.text(lang, id, Some(&args))
}

fn bad_numbers(w: &WebState, lang: Lang, list: &NumberList) -> Vec<BadNumber> {
    list.bad
        .iter()
        .map(|(line, e)| BadNumber {
            line: *line,
            input: e.input.trim().to_string(),
            why: number_problem(w, lang, &e.problem),
        })
        .collect()
}

/// The text's problem or error code in the viewer's words.
fn error_text(w: &WebState, lang: Lang, code: &str, detail: &str) -> String {
    let c = w.shared.renderer.catalog();
    // A refused marketing message says which refusal it was: opted out
    // beats consent, and a number that is nobody's contact is told apart.
    // (The API's message is "not accepted: …; <the store's reason>".)
    let reason = detail.rsplit("; ").next().unwrap_or(detail);
    let code = match code {
        "no_consent" if reason.starts_with("recipient opted out") => "opted_out",
        "no_consent" if reason.starts_with("no contact with number") => "no_contact",
        "no_consent" if reason.starts_with("consent pending") => "consent_pending",
        other => other,
    };
    let id = format!("send-error-{code}");
    if c.has(lang, &id) {
        c.text(lang, &id, None)
    } else {
        detail.to_string()
    }
}

/// The counter's context for `text` to `recipients` numbers.
fn counter_ctx(w: &WebState, lang: Lang, text: &str, recipients: usize) -> minijinja::Value {
    if text.trim().is_empty() {
        return context! { empty => true };
    }
    match crate::api::estimate::estimate_text(&w.api, text, recipients.max(1) as u64) {
        Ok(e) => {
            let pieces = marked(text, &e);
            context! { est => minijinja::Value::from(minijinja::value::Serde(&e)), pieces => pieces, recipients => recipients }
        }
        Err(e) => context! { problem => error_text(w, lang, e.code, &e.message) },
    }
}

/// The text cut into runs, each flagged when its characters force UCS-2.
fn marked(text: &str, e: &TextEstimate) -> Vec<(String, bool)> {
    if e.forcing.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for c in text.chars() {
        let forcing = e.forcing.iter().any(|f| f.character.starts_with(c));
        match out.last_mut() {
            Some((run, f)) if *f == forcing => run.push(c),
            _ => out.push((c.to_string(), forcing)),
        }
    }
    out
}

fn form_ctx(w: &WebState, viewer: &Viewer, form: &SendForm) -> minijinja::Value {
    let list = parse_list(&form.to, w.api.accepting.region);
    context! {
        form => minijinja::Value::from(minijinja::value::Serde(form)),
        numbers => context! {
            ok => list.numbers.len(),
            repeated => list.repeated,
            bad => minijinja::Value::from(minijinja::value::Serde(&bad_numbers(w, viewer.lang, &list))),
            typed => !form.to.trim().is_empty(),
        },
        counter => counter_ctx(w, viewer.lang, &form.text, list.numbers.len()),
        region => w.api.accepting.region.to_string(),
        max_recipients => MAX_RECIPIENTS,
        default_report => w.api.accepting.status_reports,
    }
}

async fn page(
    State(w): State<WebState>,
    viewer: Viewer,
    query: Result<Query<Prefill>, QueryRejection>,
) -> Result<Response, WebError> {
    let to = query.ok().and_then(|q| q.0.to).unwrap_or_default();
    let form = SendForm {
        to,
        idem: new_key(),
        category: "transactional".into(),
        status_report: w.api.accepting.status_reports.then(|| "on".to_string()),
        ..SendForm::default()
    };
    w.page("send.html", &viewer, context! { ..form_ctx(&w, &viewer, &form) })
}

fn read_form(form: Result<Form<SendForm>, FormRejection>) -> Result<SendForm, WebError> {
    form.map(|f| f.0)
        .map_err(|e| WebError::invalid("bad_form", e.to_string()))
}

async fn numbers(
    State(w): State<WebState>,
    viewer: Viewer,
    form: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, WebError> {
    let form = read_form(form)?;
    w.page("send_numbers.html", &viewer, form_ctx(&w, &viewer, &form))
}

async fn counter(
    State(w): State<WebState>,
    viewer: Viewer,
    form: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, WebError> {
    let form = read_form(form)?;
    w.page("send_counter.html", &viewer, form_ctx(&w, &viewer, &form))
}

/// The text spelled without the characters that force UCS-2, when that helps.
fn spelled(w: &WebState, text: &str) -> String {
    crate::api::estimate::estimate_text(&w.api, text, 1)
        .ok()
        .and_then(|e| e.gsm7_spelling)
        .map(|s| s.text)
        .unwrap_or_else(|| text.to_string())
}

async fn fix(
    State(w): State<WebState>,
    viewer: Viewer,
    form: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, WebError> {
    let mut form = read_form(form)?;
    form.text = spelled(&w, &form.text);
    w.page("send_text.html", &viewer, form_ctx(&w, &viewer, &form))
}

/// Reads the `datetime-local` value in `tz` as unix ms.
fn read_time(s: &str, tz: Tz) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// One row of the result.
#[derive(Debug, Serialize)]
struct SentRow {
    number: String,
    name: Option<String>,
    zone: Option<String>,
    id: Option<i64>,
    status: Option<String>,
    existing: bool,
    send_at: Option<i64>,
    error: Option<String>,
}

/// The form again, as typed, with why nothing was sent (422).
fn not_sent(
    w: &WebState,
    viewer: &Viewer,
    form: &SendForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let mut r = w.page(
        "send.html",
        viewer,
        context! { errors => errors, ..form_ctx(w, viewer, form) },
    )?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

async fn send(
    State(w): State<WebState>,
    viewer: Viewer,
    form: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, WebError> {
    let mut form = read_form(form)?;
    let keyed = !form.idem.is_empty()
        && form.idem.len() <= 64
        && form.idem.bytes().all(|b| b.is_ascii_alphanumeric());
    if !keyed {
        form.idem = new_key();
    }
    if form.action == "fix" {
        form.text = spelled(&w, &form.text);
        return w.page("send.html", &viewer, form_ctx(&w, &viewer, &form));
    }
    let lang = viewer.lang;
    let c = w.shared.renderer.catalog();
    // Only a form the page made is sent: without its key a repeated post
    // could not be told from a new one. The form comes back with a key.
    if !keyed {
        return not_sent(&w, &viewer, &form, vec![c.text(lang, "send-error-no-key", None)]);
    }
    let list = parse_list(&form.to, w.api.accepting.region);
    let mut errors: Vec<String> = Vec::new();
    if list.numbers.is_empty() && list.bad.is_empty() {
        errors.push(c.text(lang, "send-error-no-numbers", None));
    }
    if !list.bad.is_empty() {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("count", list.bad.len() as f64);
        errors.push(c.text(lang, "send-error-bad-numbers", Some(&args)));
    }
    if list.numbers.len() > MAX_RECIPIENTS {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("max", MAX_RECIPIENTS as f64);
        args.set("count", list.numbers.len() as f64);
        errors.push(c.text(lang, "send-error-too-many", Some(&args)));
    }
    if let Err(e) = crate::api::estimate::estimate_text(&w.api, &form.text, 1) {
        errors.push(error_text(&w, lang, e.code, &e.message));
    }
    let now = w.now_ms();
    let send_at = match form.send_at.trim() {
        "" => None,
        s => match read_time(s, viewer.tz) {
            Some(t) if t >= now - 60_000 => Some(t),
            Some(_) => {
                errors.push(c.text(lang, "send-error-past", None));
                None
            }
            None => {
                errors.push(c.text(lang, "send-error-time", None));
                None
            }
        },
    };
    let category = match form.category.as_str() {
        "marketing" => Category::Marketing,
        "transactional" | "" => Category::Transactional,
        _ => {
            errors.push(c.text(lang, "send-error-category", None));
            Category::Transactional
        }
    };
    if !errors.is_empty() {
        return not_sent(&w, &viewer, &form, errors);
    }
    let send_at_text = send_at
        .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339());
    let status_report = form.status_report.is_some();
    let reqs: Vec<MessageRequest> = list
        .numbers
        .iter()
        .map(|n| MessageRequest {
            to: n.as_str().to_string(),
            text: form.text.clone(),
            send_at: send_at_text.clone(),
            idempotency_key: Some(format!("web-send-{}-{}", form.idem, n.as_str())),
            status_report: Some(status_report),
            category: Some(category),
        })
        .collect();
    let outcomes = accept(&w.api, reqs).await?;
    let shown: Vec<(String, Result<EnqueueOutcome, crate::api::error::ApiError>)> = list
        .numbers
        .iter()
        .map(|n| n.as_str().to_string())
        .zip(outcomes)
        .collect();
    let accepted = shown.iter().filter(|(_, r)| r.is_ok()).count();
    let suppressed = shown
        .iter()
        .filter(|(_, r)| matches!(r, Ok(o) if o.status == crate::store::Status::Suppressed))
        .count();
    let refused = shown.len() - accepted;
    let repeated = shown.iter().any(|(_, r)| matches!(r, Ok(o) if o.existing));
    let first: Vec<(String, Result<EnqueueOutcome, crate::api::error::ApiError>)> =
        shown.into_iter().take(RESULT_ROWS).collect();
    let numbers: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
    let contacts = w
        .api
        .store
        .run(move |s| {
            numbers
                .iter()
                .map(|n| s.contact(&ContactKey::Phone(n.clone())))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let rows: Vec<SentRow> = first
        .into_iter()
        .zip(contacts)
        .map(|((number, r), contact)| {
            let (name, zone) = contact.map(|c| (c.name, c.time_zone)).unwrap_or((None, None));
            match r {
                Ok(o) => SentRow {
                    number,
                    name,
                    zone,
                    id: Some(o.id),
                    status: Some(o.status.as_str().to_string()),
                    existing: o.existing,
                    send_at,
                    error: None,
                },
                Err(e) => SentRow {
                    number,
                    name,
                    zone,
                    id: None,
                    status: None,
                    existing: false,
                    send_at,
                    error: Some(error_text(&w, lang, e.code, &e.message)),
                },
            }
        })
        .collect();
    let total = list.numbers.len();
    let mut r = w.page(
        "send_result.html",
        &viewer,
        context! {
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)), total => total, accepted => accepted, refused => refused,
            suppressed => suppressed, repeated => repeated, more => total.saturating_sub(RESULT_ROWS),
            text => form.text, send_at => send_at,
        },
    )?;
    if viewer.htmx {
        r.headers_mut()
            .insert("hx-push-url", axum::http::HeaderValue::from_static("false"));
    }
    Ok(r.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_typed_in_the_viewers_zone_is_read_in_it() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(read_time("2030-01-01T09:00", tz), Some(1_893_477_600_000));
        assert_eq!(read_time("2030-01-01T09:00:30", tz), Some(1_893_477_630_000));
        assert_eq!(read_time("tomorrow", tz), None);
        assert_eq!(read_time("", tz), None);
    }
}
