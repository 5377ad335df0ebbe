//! The overview page (`/`): modems and SIMs at a glance, the queue by
//! status, today's traffic and what needs attention, refreshed in place
//! every few seconds (`/overview/live`, an htmx fragment). Everything
//! comes from [`crate::api::overview::overview`], the function behind
//! `GET /v1/overview`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use serde::Serialize;

use super::{Viewer, WebError, WebState};
use crate::api::overview::{Alert, Overview, Severity, overview};
use crate::store::COUNT_CAP;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(page))
        .route("/overview/live", get(live))
}

/// A modem as its card shows it.
#[derive(Debug, Serialize)]
struct ModemCard {
    port: String,
    model: Option<String>,
    state: String,
    state_id: &'static str,
    tone: &'static str,
    operator: Option<String>,
    imsi: Option<String>,
    signal_dbm: Option<i32>,
    signal_id: &'static str,
    sent_today: u64,
    daily_limit: Option<u32>,
    daily_left: Option<u64>,
    sent_month: u64,
    monthly_limit: Option<u32>,
    monthly_left: Option<u64>,
    unique_left: Option<u64>,
    warm_up_day: Option<u32>,
    last_error: Option<String>,
}

/// An alert as the page shows it.
#[derive(Debug, Serialize)]
struct AlertItem {
    kind: &'static str,
    tone: &'static str,
    subject: Option<String>,
    state_id: Option<&'static str>,
    detail: Option<String>,
    count: Option<u64>,
    /// Megabytes free, for the storage alerts.
    free_mb: Option<u64>,
    until: Option<i64>,
}

/// The colour of a modem's state badge.
fn tone(state: &str) -> &'static str {
    match state {
        "ready" | "busy" => "good",
        "connecting" | "cooling_down" => "warn",
        "disconnected" | "failed" | "no_sim" | "pin_required" | "not_registered" => "bad",
        _ => "muted",
    }
}

/// The text id of a modem's state in words.
fn state_id(state: &str) -> &'static str {
    match state {
        "connecting" => "overview-state-connecting",
        "ready" => "overview-state-ready",
        "busy" => "overview-state-busy",
        "cooling_down" => "overview-state-cooling_down",
        "no_sim" => "overview-state-no_sim",
        "pin_required" => "overview-state-pin_required",
        "not_registered" => "overview-state-not_registered",
        "disconnected" => "overview-state-disconnected",
        "failed" => "overview-state-failed",
        _ => "overview-state-other",
    }
}

/// The text id of a signal strength in words (dBm as the modem reports it).
fn signal_id(dbm: Option<i32>) -> &'static str {
    match dbm {
        None => "overview-signal-none",
        Some(d) if d >= -70 => "overview-signal-excellent",
        Some(d) if d >= -85 => "overview-signal-good",
        Some(d) if d >= -100 => "overview-signal-fair",
        Some(_) => "overview-signal-poor",
    }
}

fn card(m: &crate::dispatch::ModemView) -> ModemCard {
    let info = m.status.info.as_ref();
    let model = info
        .map(|i| format!("{} {}", i.manufacturer, i.model).trim().to_string())
        .filter(|s| !s.is_empty());
    // A modem that is not there has no signal: the last reading is stale.
    let signal_dbm = m
        .status
        .signal_dbm
        .filter(|_| !matches!(m.state.as_str(), "disconnected" | "failed"));
    ModemCard {
        port: m.status.port.to_string_lossy().into_owned(),
        model,
        state: m.state.clone(),
        state_id: state_id(&m.state),
        tone: tone(&m.state),
        operator: m.status.operator.clone(),
        imsi: info.and_then(|i| i.imsi.clone()),
        signal_dbm,
        signal_id: signal_id(signal_dbm),
        sent_today: m.sent_today,
        daily_limit: m.quota.daily_limit,
        daily_left: m.quota.daily_left,
        sent_month: m.sent_month,
        monthly_limit: m.policy.monthly_limit,
        monthly_left: m.quota.monthly_left,
        unique_left: m.quota.unique_left,
        warm_up_day: m.quota.warm_up_day,
        last_error: m.last_error.clone(),
    }
}

fn item(a: &Alert) -> AlertItem {
    let storage = matches!(a.kind, "storage_full" | "storage_low");
    AlertItem {
        kind: a.kind,
        tone: match a.severity {
            Severity::Bad => "bad",
            Severity::Warn => "warn",
        },
        subject: a.subject.clone(),
        state_id: a.state.as_deref().map(state_id),
        detail: a.detail.clone(),
        count: a.count.filter(|_| !storage),
        free_mb: a.count.filter(|_| storage).map(|b| b >> 20),
        until: a.until,
    }
}

fn page_context(o: &Overview) -> minijinja::Value {
    let q = &o.queue;
    let t = &o.today;
    let quiet = q.scheduled + q.queued + q.sending + q.unknown + t.sent + t.delivered + t.replies == 0;
    context! {
        modems => minijinja::Value::from(minijinja::value::Serde(o.modems.iter().map(card).collect::<Vec<_>>())),
        queue => [
            ("queued", q.queued, "overview-queue-queued"),
            ("scheduled", q.scheduled, "overview-queue-scheduled"),
            ("sending", q.sending, "overview-queue-sending"),
            ("unknown", q.unknown, "overview-queue-unknown"),
        ]
        .map(|(status, count, label_id)| context! { status, count, label_id }),
        today => context! { sent => t.sent, delivered => t.delivered, replies => t.replies, opt_outs => t.opt_outs },
        since => o.since,
        now => o.now,
        reviews => o.reviews_pending,
        alerts => minijinja::Value::from(minijinja::value::Serde(o.alerts.iter().map(item).collect::<Vec<_>>())),
        quiet => quiet,
        cap => COUNT_CAP,
    }
}

async fn gather(w: &WebState, viewer: &Viewer) -> Result<minijinja::Value, WebError> {
    let o = overview(&w.api, viewer.tz).await?;
    Ok(page_context(&o))
}

async fn page(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let ctx = gather(&w, &viewer).await?;
    w.page("overview.html", &viewer, ctx)
}

/// The live part alone, for the page's refresh.
async fn live(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let ctx = gather(&w, &viewer).await?;
    w.page("overview_live.html", &viewer, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_signals_in_words() {
        assert_eq!(tone("ready"), "good");
        assert_eq!(tone("cooling_down"), "warn");
        assert_eq!(tone("disconnected"), "bad");
        assert_eq!(tone("something new"), "muted");
        assert_eq!(signal_id(Some(-60)), "overview-signal-excellent");
        assert_eq!(signal_id(Some(-80)), "overview-signal-good");
        assert_eq!(signal_id(Some(-95)), "overview-signal-fair");
        assert_eq!(signal_id(Some(-110)), "overview-signal-poor");
        assert_eq!(signal_id(None), "overview-signal-none");
    }

    #[test]
    fn every_state_signal_and_queue_text_exists_in_every_language() {
        use super::super::i18n::{Catalog, Lang};
        let catalog = Catalog::load();
        let states = [
            "connecting",
            "ready",
            "busy",
            "cooling_down",
            "no_sim",
            "pin_required",
            "not_registered",
            "disconnected",
            "failed",
            "other",
        ];
        let ids: Vec<String> = states
            .iter()
            .map(|s| state_id(s).to_string())
            .chain([-60, -80, -95, -110].map(|d| signal_id(Some(d)).to_string()))
            .chain([signal_id(None).to_string()])
            .chain(["queued", "scheduled", "sending", "unknown"].map(|s| format!("overview-queue-{s}")))
            .collect();
        for id in ids {
            for lang in Lang::ALL {
                assert!(catalog.has(lang, &id), "{id} missing in {}", lang.code());
            }
        }
    }
}
