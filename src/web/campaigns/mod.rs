//! The campaigns pages (`/campaigns…`): the list ([`list`]), the wizard
//! that writes and starts one ([`wizard`], its fields in [`form`]) and a
//! campaign's own page with live progress, its buttons and its results
//! ([`show`]). Everything goes through the API's functions
//! (`api::campaigns::{create_draft, replace_draft, apply}`, the campaign
//! view, preview, ETA and report functions): the same checks, the same
//! lifecycle, no SQL here.

pub mod form;
pub mod list;
pub mod show;
pub mod wizard;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono_tz::Tz;

use super::{Viewer, WebError, WebState};
use crate::campaigns::CampaignStatus;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/campaigns", get(list::page))
        .route("/campaigns/new", get(wizard::new_form).post(wizard::submit))
        .route("/campaigns/new/count", post(wizard::count))
        .route("/campaigns/new/preview", post(wizard::preview))
        .route("/campaigns/new/cost", post(wizard::cost))
        .route("/campaigns/{id}", get(show::page))
        .route("/campaigns/{id}/edit", get(wizard::edit_form))
        .route("/campaigns/{id}/progress", get(show::progress))
        .route("/campaigns/{id}/breakdown", get(show::breakdown))
        .route("/campaigns/{id}/compare", get(show::compare))
        .route("/campaigns/{id}/{action}", post(show::act))
}

/// A campaign id from the path; anything else is "no such campaign".
pub fn campaign_id(raw: &str) -> Result<i64, WebError> {
    crate::api::campaigns::campaign_id(raw).map_err(WebError::from)
}

/// The badge class of a status: green while it sends, grey when over.
pub fn status_class(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Running | CampaignStatus::Completed => "good",
        CampaignStatus::Scheduled | CampaignStatus::Paused => "warn",
        CampaignStatus::Cancelled => "bad",
        CampaignStatus::Draft => "muted",
    }
}

/// A 303 to `to` (after a form), or for htmx an `HX-Location` it follows.
pub fn see_other(viewer: &Viewer, to: &str) -> Response {
    if viewer.htmx {
        let mut r = axum::http::StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        return r;
    }
    Redirect::to(to).into_response()
}

/// Anything serialisable as a template value.
pub fn v<T: serde::Serialize>(x: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

/// RFC 3339 to unix ms (for the time filters), if it reads.
pub fn ms(rfc3339: Option<&str>) -> Option<i64> {
    rfc3339
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

/// A random key (hex) for a form that must act once.
pub fn random_key() -> String {
    let bytes: [u8; 16] = rand::random();
    crate::sms::hex::encode_hex(&bytes)
}

/// The ETA as a template shows it: the counts, when, what limits it, and
/// the times in ms.
pub fn eta_context(eta: &crate::campaigns::eta::Eta) -> minijinja::Value {
    minijinja::context! {
        remaining => eta.remaining,
        sendable => eta.sendable_before_deadline,
        would_expire => eta.would_expire,
        sims => eta.sims,
        sims_ready => eta.sims_ready,
        finish_ms => eta.finish_at_ms.or_else(|| ms(eta.finish_at.as_deref())),
        deadline_ms => ms(eta.deadline.as_deref()),
        limited_by => eta.limited_by.clone(),
        summary => eta.summary.clone(),
    }
}

/// The zone a viewer enters times in.
pub fn viewer_tz(viewer: &Viewer) -> Tz {
    viewer.tz
}

/// What "Start" has done for a wizard's key: the campaign it made, so a
/// second click or a resubmitted form acts on the same campaign instead
/// of making another. Kept in memory (a restart forgets it: the draft
/// list shows what was made) and bounded.
#[derive(Debug, Default)]
pub struct Once {
    done: Mutex<HashMap<String, Option<i64>>>,
}

/// What [`Once::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First use: go ahead, then [`Once::finish`] (or [`Once::release`]).
    New,
    /// Another request with this key is under way.
    Busy,
    /// This key made campaign `id`.
    Done(i64),
}

/// Most keys remembered.
const ONCE_MAX: usize = 10_000;

impl Once {
    /// Claims `key`.
    pub fn claim(&self, key: &str) -> Claim {
        let Ok(mut map) = self.done.lock() else {
            return Claim::New;
        };
        match map.get(key) {
            Some(Some(id)) => Claim::Done(*id),
            Some(None) => Claim::Busy,
            None => {
                if map.len() >= ONCE_MAX {
                    map.clear();
                }
                map.insert(key.to_string(), None);
                Claim::New
            }
        }
    }

    /// `key` made campaign `id`.
    pub fn finish(&self, key: &str, id: i64) {
        if let Ok(mut map) = self.done.lock() {
            map.insert(key.to_string(), Some(id));
        }
    }

    /// `key` made nothing (it failed): it may be tried again.
    pub fn release(&self, key: &str) {
        if let Ok(mut map) = self.done.lock()
            && map.get(key) == Some(&None)
        {
            map.remove(key);
        }
    }
}

/// The process's [`Once`].
pub static ONCE: LazyLock<Once> = LazyLock::new(Once::default);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_acts_once_and_a_failed_one_may_be_retried() {
        let once = Once::default();
        assert_eq!(once.claim("k"), Claim::New);
        assert_eq!(once.claim("k"), Claim::Busy);
        once.finish("k", 7);
        assert_eq!(once.claim("k"), Claim::Done(7));
        assert_eq!(once.claim("j"), Claim::New);
        once.release("j");
        assert_eq!(once.claim("j"), Claim::New);
        once.release("k");
        assert_eq!(once.claim("k"), Claim::Done(7), "a finished key stays");
    }

    #[test]
    fn every_text_a_template_builds_from_a_value_exists_in_every_language() {
        use crate::web::i18n::{Catalog, Lang};
        let c = Catalog::load();
        let mut ids: Vec<String> = Vec::new();
        for s in CampaignStatus::ALL {
            ids.push(format!("campaigns-status-{}", s.as_str()));
        }
        for s in form::STEPS {
            ids.push(format!("campaigns-step-{s}"));
        }
        for d in crate::campaigns::window::DAY_NAMES {
            ids.push(format!("campaigns-day-{d}"));
        }
        for m in ["reply", "click", "redeem", "delivered"] {
            ids.push(format!("campaigns-metric-{m}"));
        }
        for u in ["m", "h", "d"] {
            ids.push(format!("campaigns-unit-{u}"));
            ids.push(format!("campaigns-after-{u}"));
        }
        for l in [
            "windows",
            "held",
            "rate_per_hour",
            "send_time",
            "per_minute",
            "daily_limit",
            "monthly_limit",
            "unique_recipients",
        ] {
            ids.push(format!("campaigns-limit-{l}"));
        }
        let reasons = serde_json::to_value(crate::campaigns::metrics::ExcludedByReason::default()).unwrap();
        for r in reasons.as_object().unwrap().keys() {
            ids.push(format!("campaigns-reason-{r}"));
        }
        for code in [
            "invalid_campaign",
            "audience",
            "empty_audience",
            "timing",
            "wrong_status",
            "busy",
        ] {
            ids.push(format!("error-{code}"));
        }
        for e in [
            "name",
            "segment",
            "attr",
            "attr-number",
            "attr-bool",
            "list",
            "kind",
            "no-text",
            "weight",
            "time",
            "days",
            "number",
            "share",
            "decide",
        ] {
            ids.push(format!("campaigns-err-{e}"));
        }
        for id in &ids {
            for lang in Lang::ALL {
                assert!(c.has(lang, id), "{id} missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn statuses_have_a_badge_and_ids_are_digits() {
        assert_eq!(status_class(CampaignStatus::Running), "good");
        assert_eq!(status_class(CampaignStatus::Draft), "muted");
        assert!(campaign_id("12").is_ok());
        assert_eq!(campaign_id("x1").unwrap_err().code, "not_found");
        assert_eq!(campaign_id("-1").unwrap_err().code, "not_found");
        assert_eq!(ms(Some("1970-01-01T00:00:01Z")), Some(1000));
        assert_eq!(ms(Some("soon")), None);
    }
}
