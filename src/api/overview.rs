//! `GET /v1/overview`: the gateway at a glance — modems and SIMs, the
//! queue by status, today's traffic and what needs attention (a SIM
//! cooling down and why, a modem disconnected, storage running out, a
//! webhook or email forwarding failing, replies to review). [`overview`]
//! gathers it; this route and the dashboard's overview page both call it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::modems::ModemView;
use super::state::AppState;
use crate::store::{DiskSpace, EmailCounts, QueueCounts, TodayCounts, WebhookState, rfc3339};

/// Below this free share (or [`DISK_FULL_BYTES`]) the database's disk is full.
const DISK_FULL_RATIO: f64 = 0.02;
/// Below this many free bytes the database's disk is full.
const DISK_FULL_BYTES: u64 = 50 << 20;
/// Below this free share (or [`DISK_LOW_BYTES`]) it is running out.
const DISK_LOW_RATIO: f64 = 0.05;
/// Below this many free bytes it is running out.
const DISK_LOW_BYTES: u64 = 200 << 20;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something works less well than it should; look soon.
    Warn,
    /// Something does not work; look now.
    Bad,
}

/// Something that needs a person's attention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `sim_cooling_down`, `modem_disconnected`, `modem_not_ready`,
    /// `modem_storage_full`, `storage_full`, `storage_low`,
    /// `webhook_failing`, `email_failing` or `optouts_to_review`.
    pub kind: &'static str,
    /// How urgent.
    pub severity: Severity,
    /// What it is about: a modem's port, a webhook's URL (redacted).
    pub subject: Option<String>,
    /// The modem's state, for modem alerts.
    pub state: Option<String>,
    /// Why, in the gateway's words (a cool-down's reason, the last error).
    pub detail: Option<String>,
    /// How many (events waiting, replies to review, bytes free).
    pub count: Option<u64>,
    /// Until when (unix ms), for a cool-down.
    pub until: Option<i64>,
}

/// Everything the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// When it was gathered (unix ms).
    pub now: i64,
    /// The midnight "today" starts at, in the zone asked for (unix ms).
    pub since: i64,
    /// Every modem, as the dispatcher sees it.
    pub modems: Vec<crate::dispatch::ModemView>,
    /// Messages waiting or in flight.
    pub queue: QueueCounts,
    /// Traffic since `since`.
    pub today: TodayCounts,
    /// Replies waiting for an opt-out decision.
    pub reviews_pending: u64,
    /// Webhook receivers (URLs redacted).
    pub webhooks: Vec<WebhookState>,
    /// Replies forwarded by email, by state.
    pub email: EmailCounts,
    /// The last error of the newest reply not emailed yet.
    pub email_error: Option<String>,
    /// Space where the database lives.
    pub disk: Option<DiskSpace>,
    /// What needs attention, most urgent first.
    pub alerts: Vec<Alert>,
}

/// A URL fit to show: no user, password, query or fragment
/// ([`crate::webhook::deliver::redacted`]), and any long path segment
/// (a token some receivers put there) replaced by `…`.
pub fn shown_url(url: &str) -> String {
    let r = crate::webhook::deliver::redacted(url);
    let Some((scheme, rest)) = r.split_once("://") else {
        return r;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|seg| if seg.chars().count() >= 16 { "…" } else { seg })
        .collect();
    format!("{scheme}://{host}/{}", path.join("/"))
}

/// Unix ms of the midnight starting the day `now` falls in, in `tz`.
pub fn start_of_day(now: i64, tz: Tz) -> i64 {
    let local = DateTime::<Utc>::from_timestamp_millis(now)
        .unwrap_or_default()
        .with_timezone(&tz);
    let midnight = local.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or(now - 86_400_000, |t| t.timestamp_millis())
}

/// A time zone name as the API and the pages take it.
pub fn parse_zone(name: &str) -> Result<Tz, ApiError> {
    name.parse().map_err(|_| {
        ApiError::invalid(
            "invalid_time_zone",
            format!("{name:?} is not an IANA time zone (like \"Europe/Moscow\")"),
        )
    })
}

fn modem_alerts(
    m: &crate::dispatch::ModemView,
    cooldowns: &HashMap<String, Option<i64>>,
    out: &mut Vec<Alert>,
) {
    let subject = Some(m.status.port.to_string_lossy().into_owned());
    let alert = |kind, severity, until| Alert {
        kind,
        severity,
        subject: subject.clone(),
        state: Some(m.state.clone()),
        detail: m.last_error.clone(),
        count: None,
        until,
    };
    match m.state.as_str() {
        "cooling_down" => {
            let imsi = m.status.info.as_ref().and_then(|i| i.imsi.clone());
            let until = imsi.and_then(|i| cooldowns.get(&i).copied().flatten());
            out.push(alert("sim_cooling_down", Severity::Warn, until));
        }
        "disconnected" => out.push(alert("modem_disconnected", Severity::Bad, None)),
        "failed" | "no_sim" | "pin_required" | "not_registered" => {
            out.push(alert("modem_not_ready", Severity::Bad, None))
        }
        _ => {
            // The modem's own words (src/modem/actor.rs) when its message
            // storage holds only outgoing messages: replies cannot arrive.
            let full = m
                .last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("message storage") && e.contains("is full"));
            if full {
                out.push(alert("modem_storage_full", Severity::Bad, None));
            }
        }
    }
}

fn disk_alert(disk: &DiskSpace) -> Option<Alert> {
    let (kind, severity) = if disk.free_bytes < DISK_FULL_BYTES || disk.free_ratio() < DISK_FULL_RATIO {
        ("storage_full", Severity::Bad)
    } else if disk.free_bytes < DISK_LOW_BYTES || disk.free_ratio() < DISK_LOW_RATIO {
        ("storage_low", Severity::Warn)
    } else {
        return None;
    };
    Some(Alert {
        kind,
        severity,
        subject: None,
        state: None,
        detail: None,
        count: Some(disk.free_bytes),
        until: None,
    })
}

/// Gathers the overview, "today" starting at midnight in `tz`. Every
/// count is an index range (see `store::overview`), so this stays fast
/// with a million messages stored.
pub async fn overview(app: &AppState, tz: Tz) -> Result<Overview, ApiError> {
    let now = app.clock.now_ms();
    let since = start_of_day(now, tz);
    let (queue, today, reviews, webhooks, email, waiting, sims, disk) = app
        .store
        .run(move |s| {
            Ok::<_, crate::store::StoreError>((
                s.queue_counts()?,
                s.today_counts(since)?,
                s.pending_review_count()?,
                s.webhook_states()?,
                s.email_counts()?,
                s.emails_waiting(1)?,
                s.sims()?,
                s.disk_space(),
            ))
        })
        .await?;
    let dispatcher = app.dispatcher.clone();
    let modems = tokio::task::spawn_blocking(move || dispatcher.modems())
        .await
        .map_err(ApiError::internal)?;
    let cooldowns: HashMap<String, Option<i64>> = sims
        .into_iter()
        .map(|s| (s.imsi, s.cooldown_until.filter(|&u| u > now)))
        .collect();
    let webhooks: Vec<WebhookState> = webhooks
        .into_iter()
        .map(|w| WebhookState {
            url: shown_url(&w.url),
            ..w
        })
        .collect();
    let email_error = waiting.into_iter().next().and_then(|w| w.last_error);

    let mut alerts = Vec::new();
    for m in &modems {
        modem_alerts(m, &cooldowns, &mut alerts);
    }
    alerts.extend(disk.as_ref().and_then(disk_alert));
    for w in webhooks.iter().filter(|w| w.failing()) {
        alerts.push(Alert {
            kind: "webhook_failing",
            severity: Severity::Bad,
            subject: Some(w.url.clone()),
            state: None,
            detail: w.last_error.clone(),
            count: Some(w.pending),
            until: None,
        });
    }
    if email.retrying > 0 {
        alerts.push(Alert {
            kind: "email_failing",
            severity: Severity::Warn,
            subject: None,
            state: None,
            detail: email_error.clone(),
            count: Some(email.retrying as u64),
            until: None,
        });
    }
    if reviews > 0 {
        alerts.push(Alert {
            kind: "optouts_to_review",
            severity: Severity::Warn,
            subject: None,
            state: None,
            detail: None,
            count: Some(reviews as u64),
            until: None,
        });
    }
    alerts.sort_by_key(|a| a.severity != Severity::Bad);
    Ok(Overview {
        now,
        since,
        modems,
        queue,
        today,
        reviews_pending: reviews.max(0) as u64,
        webhooks,
        email,
        email_error,
        disk,
        alerts,
    })
}

/// Query of `GET /v1/overview`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// IANA time zone whose midnight starts "today" (default
    /// `contacts.default_time_zone`).
    #[param(example = "Europe/Moscow")]
    tz: Option<String>,
}

/// Messages waiting or in flight (each counted up to 100,000).
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    /// Waiting for their `send_at`.
    pub scheduled: u64,
    /// Waiting for a SIM.
    pub queued: u64,
    /// Being written to a modem.
    pub sending: u64,
    /// May or may not have reached the network (not re-sent).
    pub unknown: u64,
}

/// Traffic since midnight (each counted up to 100,000).
#[derive(Debug, Serialize, ToSchema)]
pub struct TodayView {
    /// The midnight counted from (RFC 3339).
    pub since: String,
    /// Messages the network accepted.
    pub sent: u64,
    /// Messages delivered (delivery reports).
    pub delivered: u64,
    /// Messages received.
    pub replies: u64,
    /// Numbers that opted out (and still are).
    pub opt_outs: u64,
}

/// A webhook receiver's delivery state.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// The receiver, without credentials, query or long path segments.
    pub url: String,
    /// Events not delivered yet (up to 100,000).
    pub pending: u64,
    /// Whether deliveries are failing (the oldest event was refused).
    pub failing: bool,
    /// Attempts at the oldest undelivered event.
    pub attempts: u32,
    /// Its last error.
    pub last_error: Option<String>,
    /// When the oldest undelivered event happened (RFC 3339).
    pub oldest_at: Option<String>,
    /// When it is tried next (RFC 3339).
    pub next_at: Option<String>,
}

/// Replies forwarded by email, by state (see `GET /v1/email`).
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSummary {
    /// Not tried yet.
    pub pending: i64,
    /// Tried and not sent yet.
    pub retrying: i64,
    /// Emailed in the last 7 days.
    pub sent: i64,
    /// Given up on.
    pub failed: i64,
    /// The last error of the newest reply not emailed.
    pub last_error: Option<String>,
}

/// Space on the disk holding the database.
#[derive(Debug, Serialize, ToSchema)]
pub struct StorageView {
    /// Bytes free.
    pub free_bytes: u64,
    /// Bytes in all.
    pub total_bytes: u64,
}

/// Something that needs attention.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    /// `sim_cooling_down`, `modem_disconnected`, `modem_not_ready`,
    /// `modem_storage_full`, `storage_full`, `storage_low`,
    /// `webhook_failing`, `email_failing` or `optouts_to_review`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// `bad` (look now) or `warn` (look soon).
    pub severity: Severity,
    /// A modem's port or a webhook's URL.
    pub subject: Option<String>,
    /// The modem's state, for modem alerts.
    pub state: Option<String>,
    /// Why, in words.
    pub detail: Option<String>,
    /// Events waiting, replies to review, bytes free.
    pub count: Option<u64>,
    /// Until when (RFC 3339), for a cool-down.
    pub until: Option<String>,
}

/// The gateway at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewView<'a> {
    /// Every modem (as `GET /v1/modems`).
    pub modems: Vec<ModemView<'a>>,
    /// Messages waiting or in flight.
    pub queue: QueueView,
    /// Traffic since midnight.
    pub today: TodayView,
    /// Replies waiting for an opt-out decision (`GET /v1/optouts/review`).
    pub optout_reviews: u64,
    /// Webhook receivers.
    pub webhooks: Vec<WebhookView>,
    /// Replies forwarded by email.
    pub email: EmailSummary,
    /// The database's disk, when known.
    pub storage: Option<StorageView>,
    /// What needs attention, most urgent first.
    pub alerts: Vec<AlertView>,
}

/// `GET /v1/overview?tz=`.
#[utoipa::path(get, path = "/v1/overview", operation_id = "overview", tag = "operations",
    params(OverviewQuery),
    responses(
        (status = 200, description = "Modems, the queue by status, today's traffic and what needs attention", body = OverviewView),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 422, description = "`tz` is not an IANA time zone (`invalid_time_zone`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<OverviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let zone = q.tz.as_deref().unwrap_or(&app.contacts.default_time_zone);
    let tz = parse_zone(zone)?;
    let o = overview(&app, tz).await?;
    let view = OverviewView {
        modems: o.modems.iter().map(ModemView::from).collect(),
        queue: QueueView {
            scheduled: o.queue.scheduled,
            queued: o.queue.queued,
            sending: o.queue.sending,
            unknown: o.queue.unknown,
        },
        today: TodayView {
            since: rfc3339(o.since),
            sent: o.today.sent,
            delivered: o.today.delivered,
            replies: o.today.replies,
            opt_outs: o.today.opt_outs,
        },
        optout_reviews: o.reviews_pending,
        webhooks: o
            .webhooks
            .iter()
            .map(|w| WebhookView {
                url: w.url.clone(),
                pending: w.pending,
                failing: w.failing(),
                attempts: w.attempts,
                last_error: w.last_error.clone(),
                oldest_at: w.oldest_at.map(rfc3339),
                next_at: w.next_at.map(rfc3339),
            })
            .collect(),
        email: EmailSummary {
            pending: o.email.pending,
            retrying: o.email.retrying,
            sent: o.email.sent,
            failed: o.email.failed,
            last_error: o.email_error.clone(),
        },
        storage: o.disk.map(|d| StorageView {
            free_bytes: d.free_bytes,
            total_bytes: d.total_bytes,
        }),
        alerts: o
            .alerts
            .iter()
            .map(|a| AlertView {
                kind: a.kind,
                severity: a.severity,
                subject: a.subject.clone(),
                state: a.state.clone(),
                detail: a.detail.clone(),
                count: a.count,
                until: a.until.map(rfc3339),
            })
            .collect(),
    };
    Ok(Json(view).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_keeps_no_credentials_or_tokens() {
        assert_eq!(
            shown_url("https://user:pw@hooks.example.com/services/T0123456789ABCDEFGH/x?token=abc"),
            "https://hooks.example.com/services/…/x"
        );
        assert_eq!(shown_url("http://127.0.0.1:9000/h"), "http://127.0.0.1:9000/h");
        assert_eq!(shown_url("not a url"), "(invalid url)");
    }

    #[test]
    fn today_starts_at_local_midnight() {
        // 2024-03-10 15:00 UTC is 18:00 in Moscow: the day began 21:00 UTC the day before.
        let now = 1_710_082_800_000;
        let moscow: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(rfc3339(start_of_day(now, moscow)), "2024-03-09T21:00:00.000Z");
        assert_eq!(rfc3339(start_of_day(now, Tz::UTC)), "2024-03-10T00:00:00.000Z");
    }

    #[test]
    fn the_disk_is_full_low_or_fine() {
        let gib = 1u64 << 30;
        let d = |free, total| DiskSpace {
            free_bytes: free,
            total_bytes: total,
        };
        assert_eq!(disk_alert(&d(10 << 20, 32 * gib)).unwrap().kind, "storage_full");
        assert_eq!(disk_alert(&d(gib, 32 * gib)).unwrap().kind, "storage_low");
        assert_eq!(disk_alert(&d(150 << 20, 2 * gib)).unwrap().kind, "storage_low");
        assert!(disk_alert(&d(8 * gib, 32 * gib)).is_none());
    }
}
