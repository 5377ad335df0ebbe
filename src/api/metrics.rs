//! `GET /metrics`: Prometheus text exposition — queue depth by status,
//! segments sent and attempts failed per SIM, modem states, how long
//! sends take, and per campaign (active ones and those finished in the
//! last [`CAMPAIGN_METRICS_DAYS`] days, so the series stay bounded) its
//! messages sent and delivered and its attributed replies and opt-outs.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;

/// Days a finished campaign stays in `/metrics`.
pub const CAMPAIGN_METRICS_DAYS: i64 = 7;

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text: simfleet_messages{status}, simfleet_sim_sent_segments_total{imsi}, simfleet_sim_failed_total{imsi}, simfleet_sim_delivery_reports_total{imsi,outcome}, simfleet_delivery_rate{imsi} (imsi=\"\" overall), simfleet_webhook_pending{url}, simfleet_email_outbox{state} (replies forwarded by email: pending, retrying, sent in the last 7 days, failed), simfleet_modem_state{port,imei,state}, simfleet_sim_daily_left{imsi}, simfleet_sim_monthly_left{imsi}, simfleet_sim_unique_recipients_left{imsi}, simfleet_sim_warm_up_day{imsi}, simfleet_send_duration_seconds histogram, simfleet_optout_reviews_pending, simfleet_inbox_undecodable, simfleet_campaign_{sent,delivered,replied,opted_out,calls,clicks,conversions}_total{campaign,name} (scheduled, running and paused campaigns and those finished in the last 7 days)", content_type = "text/plain", body = String),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn metrics(_: Authorized, State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let (counts, sims, backlog, email) = app
        .store
        .run(|s| {
            Ok::<_, crate::store::StoreError>((
                s.status_counts()?,
                s.sims()?,
                s.webhook_backlog()?,
                s.email_counts()?,
            ))
        })
        .await
        .map_err(ApiError::internal)?;
    let dispatcher = app.dispatcher.clone();
    let (modems, durations) =
        tokio::task::spawn_blocking(move || (dispatcher.modems(), dispatcher.send_durations()))
            .await
            .map_err(ApiError::internal)?;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# HELP simfleet_messages Messages by status.\n# TYPE simfleet_messages gauge"
    );
    for (status, n) in counts {
        let _ = writeln!(w, "simfleet_messages{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_sim_sent_segments_total Segments accepted by the network, per SIM."
    );
    let _ = writeln!(w, "# TYPE simfleet_sim_sent_segments_total counter");
    for s in &sims {
        let _ = writeln!(
            w,
            "simfleet_sim_sent_segments_total{{imsi=\"{}\"}} {}",
            label(&s.imsi),
            s.sent_total
        );
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_sim_failed_total Attempts that failed, per SIM."
    );
    let _ = writeln!(w, "# TYPE simfleet_sim_failed_total counter");
    for s in &sims {
        let _ = writeln!(
            w,
            "simfleet_sim_failed_total{{imsi=\"{}\"}} {}",
            label(&s.imsi),
            s.failed_total
        );
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_sim_delivery_reports_total Delivery reports per SIM by outcome (parts).\n# TYPE simfleet_sim_delivery_reports_total counter"
    );
    for s in &sims {
        let imsi = label(&s.imsi);
        let _ = writeln!(
            w,
            "simfleet_sim_delivery_reports_total{{imsi=\"{imsi}\",outcome=\"delivered\"}} {}",
            s.delivered_total
        );
        let _ = writeln!(
            w,
            "simfleet_sim_delivery_reports_total{{imsi=\"{imsi}\",outcome=\"failed\"}} {}",
            s.undelivered_total
        );
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_delivery_rate Delivered parts over parts with a final report, per SIM and overall (imsi=\"\").\n# TYPE simfleet_delivery_rate gauge"
    );
    let rate = |d: u64, f: u64| {
        if d + f == 0 {
            None
        } else {
            Some(d as f64 / (d + f) as f64)
        }
    };
    for s in &sims {
        if let Some(r) = rate(s.delivered_total, s.undelivered_total) {
            let _ = writeln!(w, "simfleet_delivery_rate{{imsi=\"{}\"}} {r:.4}", label(&s.imsi));
        }
    }
    let (d, f) = sims.iter().fold((0, 0), |(d, f), s| {
        (d + s.delivered_total, f + s.undelivered_total)
    });
    if let Some(r) = rate(d, f) {
        let _ = writeln!(w, "simfleet_delivery_rate{{imsi=\"\"}} {r:.4}");
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_webhook_pending Webhook events not yet delivered, per receiver.\n# TYPE simfleet_webhook_pending gauge"
    );
    for (url, n) in &backlog {
        let url = crate::webhook::deliver::redacted(url);
        let _ = writeln!(w, "simfleet_webhook_pending{{url=\"{}\"}} {n}", label(&url));
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_email_outbox Replies forwarded by email, by state (sent: kept a week).\n# TYPE simfleet_email_outbox gauge"
    );
    for (state, n) in [
        ("pending", email.pending),
        ("retrying", email.retrying),
        ("sent", email.sent),
        ("failed", email.failed),
    ] {
        let _ = writeln!(w, "simfleet_email_outbox{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(w, "# HELP simfleet_modem_state 1 for the state each modem is in.");
    let _ = writeln!(w, "# TYPE simfleet_modem_state gauge");
    for m in &modems {
        let imei = m.status.info.as_ref().map(|i| i.imei.clone()).unwrap_or_default();
        let _ = writeln!(
            w,
            "simfleet_modem_state{{port=\"{}\",imei=\"{}\",state=\"{}\"}} 1",
            label(&m.status.port.display().to_string()),
            label(&imei),
            m.state
        );
    }
    // Quotas left per SIM (only those that are limited).
    type Left = fn(&crate::dispatch::ModemView) -> Option<u64>;
    let quotas: [(&str, &str, Left); 3] = [
        (
            "simfleet_sim_daily_left",
            "Segments each SIM may still send today (daily_limit with warm_up).",
            |m| m.quota.daily_left,
        ),
        (
            "simfleet_sim_monthly_left",
            "Segments each SIM may still send this month (monthly_limit).",
            |m| m.quota.monthly_left,
        ),
        (
            "simfleet_sim_unique_recipients_left",
            "New recipients each SIM may still text this month (unique_recipients_per_month).",
            |m| m.quota.unique_left,
        ),
    ];
    for (name, help, value) in quotas {
        let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} gauge");
        for m in &modems {
            let imsi = m.status.info.as_ref().and_then(|i| i.imsi.clone());
            if let (Some(imsi), Some(v)) = (imsi, value(m)) {
                let _ = writeln!(w, "{name}{{imsi=\"{}\"}} {v}", label(&imsi));
            }
        }
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_sim_warm_up_day Day of its warm-up each SIM is on (1 = first seen), while warming up.\n# TYPE simfleet_sim_warm_up_day gauge"
    );
    for m in &modems {
        let imsi = m.status.info.as_ref().and_then(|i| i.imsi.clone());
        if let (Some(imsi), Some(d)) = (imsi, m.quota.warm_up_day) {
            let _ = writeln!(w, "simfleet_sim_warm_up_day{{imsi=\"{}\"}} {d}", label(&imsi));
        }
    }
    let _ = writeln!(
        w,
        "# HELP simfleet_send_duration_seconds Time from claiming a message to the network's verdict."
    );
    let _ = writeln!(w, "# TYPE simfleet_send_duration_seconds histogram");
    for (le, n) in durations.cumulative() {
        let _ = writeln!(w, "simfleet_send_duration_seconds_bucket{{le=\"{le}\"}} {n}");
    }
    let _ = writeln!(
        w,
        "simfleet_send_duration_seconds_bucket{{le=\"+Inf\"}} {}",
        durations.count
    );
    let _ = writeln!(w, "simfleet_send_duration_seconds_sum {}", durations.sum);
    let _ = writeln!(w, "simfleet_send_duration_seconds_count {}", durations.count);
    let (reviews, undecodable) = app
        .store
        .run(|s| Ok::<_, crate::store::StoreError>((s.pending_review_count()?, s.undecodable_count()?)))
        .await
        .map_err(ApiError::internal)?;
    let _ = writeln!(
        w,
        "# HELP simfleet_optout_reviews_pending Replies mentioning an opt-out keyword waiting for a decision (GET /v1/optouts/review).\n# TYPE simfleet_optout_reviews_pending gauge\nsimfleet_optout_reviews_pending {reviews}"
    );
    let _ = writeln!(
        w,
        "# HELP simfleet_inbox_undecodable Received PDUs that could not be decoded, kept raw in the inbox.\n# TYPE simfleet_inbox_undecodable gauge\nsimfleet_inbox_undecodable {undecodable}"
    );
    let since = app.clock.now_ms() - CAMPAIGN_METRICS_DAYS * 86_400_000;
    let campaigns = app
        .store
        .run(move |s| {
            let mut out = Vec::new();
            for (id, name) in s.campaigns_for_metrics(since)? {
                let row = s
                    .campaign_figure_rows(id, &crate::store::GroupBy::Overall)?
                    .pop()
                    .unwrap_or_default();
                out.push((id, name, row));
            }
            Ok::<_, crate::store::StoreError>(out)
        })
        .await
        .map_err(ApiError::internal)?;
    type Pick = fn(&crate::store::FigureRow) -> u64;
    let series: [(&str, &str, Pick); 6] = [
        (
            "sent",
            "Campaign messages the network accepted (delivered ones included).",
            |r| r.sent,
        ),
        (
            "delivered",
            "Campaign messages delivered (delivery reports).",
            |r| r.delivered,
        ),
        ("replied", "Campaign recipients with an attributed reply.", |r| {
            r.replies
        }),
        (
            "opted_out",
            "Campaign recipients whose opt-out is attributed to the campaign.",
            |r| r.opt_outs,
        ),
        (
            "clicks",
            "Campaign recipients who clicked a tracked link (unique clicks by people; previews and bots not counted).",
            |r| r.clicked,
        ),
        (
            "conversions",
            "Campaign recipients whose promo code was redeemed (once per code).",
            |r| r.conversions,
        ),
    ];
    for (what, help, pick) in series {
        let _ = writeln!(
            w,
            "# HELP simfleet_campaign_{what}_total {help}\n# TYPE simfleet_campaign_{what}_total counter"
        );
        for (id, name, row) in &campaigns {
            let _ = writeln!(
                w,
                "simfleet_campaign_{what}_total{{campaign=\"{id}\",name=\"{}\"}} {}",
                label(name),
                pick(row)
            );
        }
    }
    // Calls to each campaign's call-tracking SIM counted for it.
    let calls: std::collections::HashMap<i64, u64> = app
        .store
        .run(|s| s.calls_per_campaign())
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .collect();
    let _ = writeln!(
        w,
        "# HELP simfleet_campaign_calls_total Incoming calls to the campaign's call-tracking SIM counted for it.\n# TYPE simfleet_campaign_calls_total counter"
    );
    for (id, name, _) in &campaigns {
        let _ = writeln!(
            w,
            "simfleet_campaign_calls_total{{campaign=\"{id}\",name=\"{}\"}} {}",
            label(name),
            calls.get(id).copied().unwrap_or(0)
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
