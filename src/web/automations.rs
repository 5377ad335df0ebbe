//! The automations pages: the list (`/automations`, state, trigger and
//! counts, pause/resume), the form that creates or changes one without
//! writing JSON (`/automations/new`, `/automations/{id}/edit`: an event
//! trigger with its delay and cancelling events, a date trigger with its
//! offset, time and repeat, or a sequence of steps), an automation's page
//! with its figures (`/automations/{id}`), and pause/resume.
//!
//! The form becomes the very request `/v1/automations` takes and goes
//! through the API's functions ([`crate::api::automations`]): the same
//! checks (a template error names the field, line and column), the same
//! store, the dispatcher told. Creating carries an idempotency key made
//! when the form is shown; changing is a merge patch over the fields the
//! form shows, so what it does not show (delivery reports…) is kept.

use std::collections::BTreeMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::surveys::{form_error, form_key};
use super::{Viewer, WebError, WebState};
use crate::api::automations::{
    AutomationView, automation_view, create_automation, list_automations, set_status, update_automation,
};
use crate::api::error::ApiError;
use crate::automations::spec::{AutomationInput, MAX_STEPS, Repeat, Trigger};

/// Automations on one page of the list.
const PAGE: usize = 20;
/// Step rows a new sequence form offers.
const STEP_ROWS: usize = 3;

/// The request fields the form manages; changing an automation sets the
/// ones left empty to `null` (their default) and keeps every other field.
const MANAGED: &[&str] = &[
    "name",
    "kind",
    "on",
    "delay",
    "text",
    "cancel_on",
    "on_date",
    "offset_days",
    "at",
    "repeat",
    "steps",
    "exit_on",
    "exit_on_reply",
    "window",
    "expire_after",
];

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/automations", get(list).post(create))
        .route("/automations/new", get(new_form))
        .route("/automations/{id}", get(show).post(update))
        .route("/automations/{id}/edit", get(edit_form))
        .route("/automations/{id}/pause", post(pause))
        .route("/automations/{id}/resume", post(resume))
}

fn path_id(id: &str) -> Result<i64, WebError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| WebError::not_found(format!("no automation {id:?}")))
}

/// What the list and the page show of an automation's trigger.
fn trigger_context(v: &AutomationView) -> minijinja::Value {
    let s = &v.spec;
    let steps = s.steps.as_ref().map_or(0, Vec::len);
    context! {
        kind => v.trigger.as_str(),
        on => s.on.clone(),
        delay => s.delay.clone().filter(|d| !is_zero(d)),
        attribute => s.on_date.as_deref().map(|d| d.strip_prefix("attributes.").unwrap_or(d).to_string()),
        offset_days => s.offset_days.unwrap_or(0),
        before_days => -s.offset_days.unwrap_or(0),
        at => s.at.clone().unwrap_or_else(|| "10:00".into()),
        yearly => s.repeat.unwrap_or_default() == Repeat::Yearly,
        steps => steps,
    }
}

fn is_zero(d: &str) -> bool {
    crate::automations::spec::parse_delay(d) == Ok(0)
}

/// Reasons with their counts, each named as the page says it in the
/// viewer's language (`automations-reason-<reason>`; `event:<name>` as
/// "event <name>"), or as stored when the catalogue does not know it.
fn reasons(w: &WebState, viewer: &Viewer, map: &BTreeMap<String, u64>) -> Vec<minijinja::Value> {
    let catalog = w.shared.renderer.catalog();
    map.iter()
        .map(|(reason, n)| {
            let label = match reason.strip_prefix("event:") {
                Some(event) => {
                    let mut args = fluent_bundle::FluentArgs::new();
                    args.set("event", event.to_string());
                    catalog.text(viewer.lang, "automations-reason-event", Some(&args))
                }
                None => {
                    let id = format!("automations-reason-{reason}");
                    if catalog.has(viewer.lang, &id) {
                        catalog.text(viewer.lang, &id, None)
                    } else {
                        reason.clone()
                    }
                }
            };
            context! { label => label, n => n }
        })
        .collect()
}

fn view_context(w: &WebState, viewer: &Viewer, v: &AutomationView) -> minijinja::Value {
    let f = &v.figures;
    let sum = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
    context! {
        id => v.id.clone(),
        name => v.spec.name.clone(),
        status => v.status.clone(),
        active => v.status == "active",
        service => v.spec.kind == crate::automations::AutomationKind::Service,
        trigger => trigger_context(v),
        warnings => v.warnings.clone(),
        spec => minijinja::Value::from(minijinja::value::Serde(&v.spec)),
        window => v.spec.window.as_ref().map(|w| context! { start => w.start.clone(), end => w.end.clone(), days => w.days.clone() }),
        figures => minijinja::Value::from(minijinja::value::Serde(f)),
        cancelled => reasons(w, viewer, &f.cancelled),
        exited => reasons(w, viewer, &f.exited),
        excluded => reasons(w, viewer, &f.excluded),
        expired => reasons(w, viewer, &f.expired),
        stopped => sum(&f.cancelled) + sum(&f.exited) + sum(&f.excluded) + sum(&f.expired),
        created_at => ms(&v.created_at),
        updated_at => ms(&v.updated_at),
    }
}

/// An RFC 3339 time of the API's answer as unix ms (for the `when` filter).
fn ms(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    after: Option<String>,
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(a) => path_id(a)?,
    };
    let page = list_automations(&w.api, after, PAGE).await?;
    let rows: Vec<_> = page
        .automations
        .iter()
        .map(|v| view_context(&w, &viewer, v))
        .collect();
    w.page(
        "automations.html",
        &viewer,
        context! { automations => rows, next => page.next, paged => after != 0 },
    )
}

async fn show(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = path_id(&id)?;
    let v = automation_view(&w.api, id).await?;
    let currency = w.shared.config.pricing.currency.clone();
    w.page(
        "automations_show.html",
        &viewer,
        context! { a => view_context(&w, &viewer, &v), currency => currency },
    )
}

/// Pauses or resumes, then shows the automation. Already in the state
/// asked (a second click, another tab) is no error: the page shows it.
async fn toggle(w: &WebState, id: &str, from: &'static str, to: &'static str) -> Result<Response, WebError> {
    let id = path_id(id)?;
    match set_status(&w.api, id, from, to).await {
        Ok(_) => {}
        Err(e) if e.code == "wrong_status" => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/automations/{id}")).into_response())
}

async fn pause(State(w): State<WebState>, Path(id): Path<String>) -> Result<Response, WebError> {
    toggle(&w, &id, "active", "paused").await
}

async fn resume(State(w): State<WebState>, Path(id): Path<String>) -> Result<Response, WebError> {
    toggle(&w, &id, "paused", "active").await
}

/// One step row of the form.
#[derive(Debug, Default, Clone, Serialize)]
struct StepRow {
    delay: String,
    text: String,
}

/// The form, as typed (shown again when it does not check).
#[derive(Debug, Default, Serialize)]
struct AutomationForm {
    name: String,
    kind: String,
    trigger: String,
    on: String,
    delay: String,
    text: String,
    cancel_on: String,
    on_date: String,
    offset_days: String,
    at: String,
    repeat: String,
    steps: Vec<StepRow>,
    exit_on: String,
    exit_on_reply: String,
    window_start: String,
    window_end: String,
    window_days: String,
    expire_after: String,
    idempotency_key: String,
}

fn words(list: &Option<Vec<String>>) -> String {
    list.as_deref().unwrap_or_default().join(", ")
}

fn split_words(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n', '\r', '\t', ';'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl AutomationForm {
    fn blank(trigger: &str) -> AutomationForm {
        let trigger = match trigger {
            "date" | "sequence" => trigger,
            _ => "event",
        };
        AutomationForm {
            kind: "marketing".into(),
            trigger: trigger.into(),
            at: "10:00".into(),
            repeat: "yearly".into(),
            steps: vec![StepRow::default(); STEP_ROWS],
            idempotency_key: form_key(),
            ..Default::default()
        }
    }

    fn from_input(s: &AutomationInput, trigger: Trigger) -> AutomationForm {
        let mut steps: Vec<StepRow> = s
            .steps
            .iter()
            .flatten()
            .map(|st| StepRow {
                delay: st.delay.clone(),
                text: st.text.clone(),
            })
            .collect();
        if steps.len() < MAX_STEPS {
            steps.push(StepRow::default());
        }
        AutomationForm {
            name: s.name.clone(),
            kind: match s.kind {
                crate::automations::AutomationKind::Service => "service".into(),
                crate::automations::AutomationKind::Marketing => "marketing".into(),
            },
            trigger: trigger.as_str().into(),
            on: s.on.clone().unwrap_or_default(),
            delay: s.delay.clone().unwrap_or_default(),
            text: s.text.clone().unwrap_or_default(),
            cancel_on: words(&s.cancel_on),
            on_date: s
                .on_date
                .as_deref()
                .map(|d| d.strip_prefix("attributes.").unwrap_or(d).to_string())
                .unwrap_or_default(),
            offset_days: s.offset_days.map(|d| d.to_string()).unwrap_or_default(),
            at: s.at.clone().unwrap_or_else(|| "10:00".into()),
            repeat: match s.repeat.unwrap_or_default() {
                Repeat::Once => "once".into(),
                Repeat::Yearly => "yearly".into(),
            },
            steps,
            exit_on: words(&s.exit_on),
            exit_on_reply: match s.exit_on_reply {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            window_start: s.window.as_ref().map(|w| w.start.clone()).unwrap_or_default(),
            window_end: s.window.as_ref().map(|w| w.end.clone()).unwrap_or_default(),
            window_days: s
                .window
                .as_ref()
                .and_then(|w| w.days.as_ref())
                .map(|d| d.join(","))
                .unwrap_or_default(),
            expire_after: s.expire_after.clone().unwrap_or_default(),
            idempotency_key: String::new(),
        }
    }

    /// Reads the posted fields; the second value is the button pressed
    /// (`add_step`), if not the one that saves.
    fn read(fields: Vec<(String, String)>) -> (AutomationForm, Option<String>) {
        let mut f = AutomationForm::default();
        let mut delays = BTreeMap::new();
        let mut texts = BTreeMap::new();
        let mut action = None;
        for (k, v) in fields {
            match k.as_str() {
                "name" => f.name = v,
                "kind" => f.kind = v,
                "trigger" => f.trigger = v,
                "on" => f.on = v,
                "delay" => f.delay = v,
                "text" => f.text = v,
                "cancel_on" => f.cancel_on = v,
                "on_date" => f.on_date = v,
                "offset_days" => f.offset_days = v,
                "at" => f.at = v,
                "repeat" => f.repeat = v,
                "exit_on" => f.exit_on = v,
                "exit_on_reply" => f.exit_on_reply = v,
                "window_start" => f.window_start = v,
                "window_end" => f.window_end = v,
                "window_days" => f.window_days = v,
                "expire_after" => f.expire_after = v,
                "idempotency_key" => f.idempotency_key = v,
                "action" => action = Some(v),
                _ => {
                    let row = |p: &str| {
                        k.strip_prefix(p)
                            .and_then(|i| i.parse::<usize>().ok())
                            .filter(|i| *i < MAX_STEPS)
                    };
                    if let Some(i) = row("step_delay_") {
                        delays.insert(i, v);
                    } else if let Some(i) = row("step_text_") {
                        texts.insert(i, v);
                    }
                }
            }
        }
        let rows = delays
            .keys()
            .chain(texts.keys())
            .copied()
            .max()
            .map_or(0, |m| m + 1);
        f.steps = (0..rows)
            .map(|i| StepRow {
                delay: delays.get(&i).cloned().unwrap_or_default(),
                text: texts.get(&i).cloned().unwrap_or_default(),
            })
            .collect();
        (f, action)
    }

    /// The request object for `/v1/automations` (only what is filled in,
    /// for the chosen trigger); an unreadable field is an
    /// `invalid_automation` naming it, as the API would.
    fn request(&self) -> Result<Map<String, Value>, ApiError> {
        let bad = |field: &str, m: &str| ApiError::invalid("invalid_automation", format!("{field}: {m}"));
        let filled = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name.trim()));
        m.insert(
            "kind".into(),
            json!(if self.kind == "service" {
                "service"
            } else {
                "marketing"
            }),
        );
        let trigger = self.trigger.as_str();
        if trigger != "date" {
            if let Some(on) = filled(&self.on) {
                m.insert("on".into(), json!(on));
            } else {
                return Err(bad("on", "missing: the event that starts it"));
            }
        }
        match trigger {
            "sequence" => {
                let mut steps = Vec::new();
                for s in &self.steps {
                    let (delay, text) = (s.delay.trim(), s.text.trim());
                    if delay.is_empty() && text.is_empty() {
                        continue;
                    }
                    if text.is_empty() {
                        return Err(bad(
                            &format!("steps[{}].text", steps.len()),
                            "missing: the message",
                        ));
                    }
                    steps.push(json!({"delay": if delay.is_empty() { "0s" } else { delay }, "text": s.text.trim_end()}));
                }
                if steps.is_empty() {
                    return Err(bad("steps", "add at least one step with its message"));
                }
                m.insert("steps".into(), Value::Array(steps));
                let exit_on = split_words(&self.exit_on);
                if !exit_on.is_empty() {
                    m.insert("exit_on".into(), json!(exit_on));
                }
            }
            _ => {
                if self.text.trim().is_empty() {
                    return Err(bad("text", "missing: the message"));
                }
                m.insert("text".into(), json!(self.text.trim_end()));
                let cancel_on = split_words(&self.cancel_on);
                if !cancel_on.is_empty() {
                    m.insert("cancel_on".into(), json!(cancel_on));
                }
            }
        }
        if trigger == "event"
            && let Some(d) = filled(&self.delay)
        {
            m.insert("delay".into(), json!(d));
        }
        if trigger == "date" {
            let Some(attr) = filled(&self.on_date) else {
                return Err(bad(
                    "on_date",
                    "missing: the contact's date field, such as birthday",
                ));
            };
            let path = if attr.starts_with("attributes.") {
                attr
            } else {
                format!("attributes.{attr}")
            };
            m.insert("on_date".into(), json!(path));
            if let Some(d) = filled(&self.offset_days) {
                let n: i32 = d
                    .trim_start_matches('+')
                    .parse()
                    .map_err(|_| bad("offset_days", &format!("{d:?} is not a whole number of days")))?;
                m.insert("offset_days".into(), json!(n));
            }
            if let Some(at) = filled(&self.at) {
                m.insert("at".into(), json!(at));
            }
            m.insert(
                "repeat".into(),
                json!(if self.repeat == "once" { "once" } else { "yearly" }),
            );
        }
        match self.exit_on_reply.as_str() {
            "yes" => {
                m.insert("exit_on_reply".into(), json!(true));
            }
            "no" => {
                m.insert("exit_on_reply".into(), json!(false));
            }
            _ => {}
        }
        match (filled(&self.window_start), filled(&self.window_end)) {
            (None, None) => {}
            (Some(start), Some(end)) => {
                let mut w = json!({"start": start, "end": end});
                let days = split_words(&self.window_days);
                if !days.is_empty() {
                    w["days"] = json!(days);
                }
                m.insert("window".into(), w);
            }
            (None, Some(_)) => return Err(bad("window.start", "give the time sending may start too")),
            (Some(_), None) => return Err(bad("window.end", "give the time sending must stop too")),
        }
        if let Some(e) = filled(&self.expire_after) {
            m.insert("expire_after".into(), json!(e));
        }
        Ok(m)
    }
}

fn form_page(
    w: &WebState,
    viewer: &Viewer,
    form: &AutomationForm,
    editing: Option<&str>,
    error: Option<minijinja::Value>,
) -> Result<Response, WebError> {
    let invalid = error.is_some();
    let mut r = w.page(
        "automations_form.html",
        viewer,
        context! {
            form => minijinja::Value::from(minijinja::value::Serde(form)),
            editing => editing,
            error => error,
            max_steps => MAX_STEPS,
        },
    )?;
    if invalid {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    trigger: Option<String>,
}

async fn new_form(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let form = AutomationForm::blank(q.trigger.as_deref().unwrap_or("event"));
    form_page(&w, &viewer, &form, None, None)
}

async fn edit_form(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = path_id(&id)?;
    let v = automation_view(&w.api, id).await?;
    let form = AutomationForm::from_input(&v.spec, v.trigger);
    form_page(&w, &viewer, &form, Some(&v.id), None)
}

/// Adds a step row when asked; `true` if the form is to be shown again.
fn add_step(form: &mut AutomationForm, action: Option<&str>) -> bool {
    if action != Some("add_step") {
        return false;
    }
    if form.steps.len() < MAX_STEPS {
        form.steps.push(StepRow::default());
    }
    true
}

async fn create(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (mut form, action) = AutomationForm::read(fields);
    if form.idempotency_key.trim().is_empty() {
        form.idempotency_key = form_key();
    }
    if add_step(&mut form, action.as_deref()) {
        return form_page(&w, &viewer, &form, None, None);
    }
    let result = match form.request() {
        Ok(mut map) => {
            map.insert("idempotency_key".into(), json!(form.idempotency_key.trim()));
            create_automation(&w.api, map).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/automations/{}", v.id)).into_response()),
        Err(e) if e.status.is_client_error() => {
            let error = form_error(&w, &viewer, "automations", &e);
            form_page(&w, &viewer, &form, None, Some(error))
        }
        Err(e) => Err(e.into()),
    }
}

async fn update(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = path_id(&id)?;
    let (mut form, action) = AutomationForm::read(fields);
    let editing = id.to_string();
    if add_step(&mut form, action.as_deref()) {
        return form_page(&w, &viewer, &form, Some(&editing), None);
    }
    let result = match form.request() {
        Ok(mut map) => {
            for key in MANAGED {
                map.entry(key.to_string()).or_insert(Value::Null);
            }
            update_automation(&w.api, id, Value::Object(map)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/automations/{}", v.id)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let error = form_error(&w, &viewer, "automations", &e);
            form_page(&w, &viewer, &form, Some(&editing), Some(error))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> AutomationForm {
        AutomationForm::read(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .0
    }

    fn checked(m: Map<String, Value>) -> Result<crate::automations::AutomationSpec, ApiError> {
        crate::api::automations::read_input(m)
    }

    #[test]
    fn an_event_trigger_becomes_the_api_request() {
        let f = form(&[
            ("name", "Cart reminder"),
            ("trigger", "event"),
            ("on", "cart_abandoned"),
            ("delay", "2h"),
            ("text", "You left something in your cart"),
            ("cancel_on", "order_placed, cart_emptied"),
            ("exit_on_reply", ""),
            ("step_delay_0", "1d"),
            ("on_date", "birthday"),
        ]);
        let m = f.request().unwrap();
        assert_eq!(m["cancel_on"], json!(["order_placed", "cart_emptied"]));
        assert!(
            !m.contains_key("steps") && !m.contains_key("on_date"),
            "only the chosen trigger's fields"
        );
        let spec = checked(m).unwrap();
        assert_eq!(spec.trigger, Trigger::Event);
        assert_eq!(spec.steps[0].delay_ms, 7_200_000);
    }

    #[test]
    fn a_date_trigger_and_a_sequence_check_too() {
        let m = form(&[
            ("name", "Birthday"),
            ("trigger", "date"),
            ("on_date", "birthday"),
            ("offset_days", "-3"),
            ("at", "11:30"),
            ("repeat", "yearly"),
            ("text", "Happy birthday soon!"),
        ])
        .request()
        .unwrap();
        assert_eq!(m["on_date"], "attributes.birthday");
        let spec = checked(m).unwrap();
        assert_eq!(spec.date.unwrap().offset_days, -3);
        let m = form(&[
            ("name", "Welcome"),
            ("trigger", "sequence"),
            ("on", "signup"),
            ("step_delay_0", ""),
            ("step_text_0", "Welcome!"),
            ("step_delay_1", ""),
            ("step_text_1", ""),
            ("step_delay_2", "2d"),
            ("step_text_2", "How is it going?"),
            ("exit_on_reply", "no"),
        ])
        .request()
        .unwrap();
        let spec = checked(m).unwrap();
        assert_eq!(spec.steps.len(), 2, "the empty row is skipped");
        assert!(!spec.exit_on_reply);
    }

    #[test]
    fn what_cannot_be_read_names_the_field() {
        let e = form(&[("name", "x"), ("trigger", "event"), ("text", "hi")])
            .request()
            .unwrap_err();
        assert!(e.message.starts_with("on:"), "{}", e.message);
        let e = form(&[
            ("name", "x"),
            ("trigger", "date"),
            ("on_date", "birthday"),
            ("offset_days", "three"),
            ("text", "hi"),
        ])
        .request()
        .unwrap_err();
        assert!(e.message.starts_with("offset_days:"), "{}", e.message);
        let e = form(&[
            ("name", "x"),
            ("trigger", "sequence"),
            ("on", "signup"),
            ("step_delay_0", "1d"),
        ])
        .request()
        .unwrap_err();
        assert!(e.message.starts_with("steps[0].text"), "{}", e.message);
        let e = form(&[
            ("name", "x"),
            ("on", "a"),
            ("text", "hi"),
            ("window_end", "20:00"),
        ])
        .request()
        .unwrap_err();
        assert!(e.message.starts_with("window.start"), "{}", e.message);
    }

    #[test]
    fn an_automation_reads_back_into_the_form() {
        let input: AutomationInput = serde_json::from_value(json!({
            "name": "Welcome", "on": "signup",
            "steps": [{"delay": "0s", "text": "Hi"}, {"delay": "2d", "text": "Still there?"}],
            "exit_on": ["converted", "unsubscribed"],
            "window": {"start": "09:00", "end": "20:00", "days": ["mon", "tue"]}
        }))
        .unwrap();
        let f = AutomationForm::from_input(&input, Trigger::Sequence);
        assert_eq!(f.steps.len(), 3, "the steps and an empty row");
        assert_eq!(f.exit_on, "converted, unsubscribed");
        let m = f.request().unwrap();
        assert_eq!(m["window"]["days"], json!(["mon", "tue"]));
        assert_eq!(checked(m).unwrap().input.steps, input.steps);
    }
}
