//! Feeding the queue from automations, each dispatch round: date triggers
//! plan their contacts' occurrences (every [`SWEEP_MS`], for today and
//! tomorrow on each contact's clock), then every run due now becomes a
//! message — or waits for the recipient's window or the frequency cap, or
//! ends with a reason (opted out, replied, no consent, render failed,
//! expired). Returns when to look again (the next due run or sweep), so
//! the dispatcher sleeps until then: no polling. The SQL is in
//! `store::automation_runs`.

use std::collections::HashMap;

use chrono::{Duration, NaiveTime};
use chrono_tz::Tz;
use tracing::{debug, info, warn};

use super::dates::falls_on;
use super::spec::{AutomationKind, AutomationSpec, Trigger};
use crate::campaigns::CampaignRules;
use crate::campaigns::window::{Window, instant};
use crate::contacts::Contact;
use crate::phone::Msisdn;
use crate::store::{
    AutomationRow, Category, ContactKey, DueRun, NewMessage, PlannedRun, RunItem, RunOutcome, Store,
    StoreError,
};
use crate::templates::{Extras, Template};

/// How often a date trigger plans its contacts again (a contact's date
/// added or changed is picked up within this).
pub const SWEEP_MS: i64 = 6 * 3_600_000;
/// Runs materialised per round; more are looked at at once in the next.
const BATCH: usize = 200;
/// How long a queued message may wait for a SIM when no window bounds it.
const QUEUE_VALIDITY_MS: i64 = 24 * 3_600_000;

/// `[automations]`: how automation messages are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutomationRules {
    /// Service automations (order status) ignore the default window (an
    /// automation's own `window` still applies). Caps never apply to them.
    pub service_skips_window: bool,
}

impl Default for AutomationRules {
    fn default() -> Self {
        AutomationRules {
            service_skips_window: true,
        }
    }
}

/// The window an automation's messages wait for, if any.
pub fn window_of(
    spec: &AutomationSpec,
    campaigns: &CampaignRules,
    rules: &AutomationRules,
) -> Option<Window> {
    match (spec.window, spec.input.kind) {
        (Some(w), _) => Some(w),
        (None, AutomationKind::Service) if rules.service_skips_window => None,
        (None, _) => Some(campaigns.window),
    }
}

fn zone(name: Option<&str>, campaigns: &CampaignRules) -> Tz {
    name.and_then(|n| n.parse().ok())
        .or_else(|| campaigns.default_time_zone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// One round: plans date triggers whose sweep is due, then materialises
/// due runs. Returns when to look again (unix ms).
pub fn feed(
    store: &Store,
    campaigns: &CampaignRules,
    rules: &AutomationRules,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let mut next: Option<i64> = None;
    let mut soonest = |t: i64| next = Some(next.map_or(t, |n: i64| n.min(t)));
    for a in store.date_automations()? {
        let due = a.swept_at.map_or(now, |s| s + SWEEP_MS);
        if due <= now {
            sweep(store, &a, campaigns, now)?;
            soonest(now + SWEEP_MS);
        } else {
            soonest(due);
        }
    }
    let due = store.automation_due_runs(now, BATCH)?;
    if due.len() == BATCH {
        soonest(now);
    }
    if !due.is_empty() {
        let mut autos: HashMap<i64, Option<AutomationRow>> = HashMap::new();
        let mut templates: HashMap<(i64, usize), Result<Template, String>> = HashMap::new();
        let mut items = Vec::with_capacity(due.len());
        for run in &due {
            let auto = match autos.entry(run.automation_id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(store.automation(run.automation_id)?)
                }
            };
            let Some(auto) = auto.as_ref() else { continue };
            items.push(item(store, auto, run, campaigns, rules, &mut templates, now)?);
        }
        let outcomes = store.automation_materialise(&items, now)?;
        for (run, outcome) in due.iter().zip(outcomes) {
            match outcome {
                RunOutcome::Queued { message_id } => {
                    debug!(
                        automation = run.automation_id,
                        run = run.id,
                        msg_id = message_id,
                        "automation message queued"
                    )
                }
                RunOutcome::Deferred { until } => soonest(until),
                RunOutcome::Closed { reason } => {
                    debug!(
                        automation = run.automation_id,
                        run = run.id,
                        reason,
                        "automation run ended"
                    )
                }
                RunOutcome::Gone => {}
            }
        }
    }
    if let Some(t) = store.automation_next_due(now)? {
        soonest(t);
    }
    Ok(next)
}

/// Plans date automation `a` for every contact with its attribute: the
/// occurrences on today's and tomorrow's local date not yet over.
fn sweep(store: &Store, a: &AutomationRow, campaigns: &CampaignRules, now: i64) -> Result<(), StoreError> {
    let Some(rule) = a.spec.date.as_ref() else {
        return Ok(());
    };
    let mut planned = Vec::new();
    for (phone, tz_name, value) in store.contacts_with_date(&rule.attribute)? {
        let Some(date) = crate::contacts::model::parse_date(&value) else {
            continue;
        };
        let tz = zone(tz_name.as_deref(), campaigns);
        let Some(today) =
            chrono::DateTime::from_timestamp_millis(now).map(|t| t.with_timezone(&tz).date_naive())
        else {
            continue;
        };
        for d in 0..2 {
            let Some(day) = today.checked_add_signed(Duration::days(d)) else {
                continue;
            };
            if !falls_on(rule, date, day) {
                continue;
            }
            let (Some(due), Some(end)) = (
                instant(tz, day, rule.at),
                day.succ_opt().and_then(|next| instant(tz, next, NaiveTime::MIN)),
            ) else {
                continue;
            };
            if end <= now {
                continue;
            }
            planned.push(PlannedRun {
                phone: phone.clone(),
                occurrence: format!("date:{}", day.format("%Y-%m-%d")),
                due_at: due,
                expires_at: end,
            });
        }
    }
    let n = store.plan_date_runs(a.id, &planned, now)?;
    if n > 0 {
        info!(automation = a.id, planned = n, "date trigger planned");
    }
    Ok(())
}

/// A stand-in for a number no contact has (an event for a customer not
/// yet saved): its templates see only the number.
fn unknown_contact(phone: &str) -> Contact {
    Contact {
        id: 0,
        phone: phone.to_string(),
        name: None,
        time_zone: None,
        time_zone_source: crate::contacts::model::TimeZoneSource::Default,
        language: None,
        tags: Vec::new(),
        attributes: Default::default(),
        consent: Default::default(),
        status: Default::default(),
        status_reason: None,
        created_at: 0,
        updated_at: 0,
        last_sent_at: None,
        last_delivered_at: None,
        last_reply_at: None,
        messages_sent: 0,
        opted_out: None,
    }
}

/// What one message adds to its contact: the triggering event's data.
///
/// The message's extras: the event's data, and its promo code and tracked
/// links (`prepared`; attributed to the automation, `utm_campaign` = the
/// automation's slug, `utm_content` = the step, `step-1` …).
pub fn extras_for<'a>(run: &'a DueRun, prepared: &'a crate::attribution::Prepared) -> Extras<'a> {
    Extras {
        event: run.event.as_ref(),
        ..prepared.extras()
    }
}

fn item(
    store: &Store,
    auto: &AutomationRow,
    run: &DueRun,
    campaigns: &CampaignRules,
    rules: &AutomationRules,
    templates: &mut HashMap<(i64, usize), Result<Template, String>>,
    now: i64,
) -> Result<RunItem, StoreError> {
    let spec = &auto.spec;
    let close = |state: &'static str, reason: &'static str, words: String| RunItem::Close {
        run_id: run.id,
        state,
        reason,
        words,
    };
    if let Some(exp) = run.expires_at
        && exp <= now
    {
        return Ok(close(
            "expired",
            "expired",
            format!("not sent by {}; it will not be sent", crate::store::rfc3339(exp)),
        ));
    }
    let Some(step) = spec.steps.get(run.step) else {
        return Ok(close(
            "cancelled",
            "step_removed",
            format!("step {} is no longer in the automation", run.step),
        ));
    };
    let contact = store.contact(&ContactKey::Phone(run.phone.clone()))?;
    let tz = zone(contact.as_ref().and_then(|c| c.time_zone.as_deref()), campaigns);
    let window = window_of(spec, campaigns, rules);
    if let Some(w) = window
        && !w.is_open(tz, now)
    {
        let opens = w.next_open(tz, now);
        return Ok(match opens {
            Some(t) if run.expires_at.is_none_or(|e| t < e) => {
                let ws = w.spec();
                RunItem::Defer {
                    run_id: run.id,
                    until: t,
                    words: format!(
                        "waiting for the recipient's window {}–{} ({tz}), opening {}",
                        ws.start,
                        ws.end,
                        crate::store::rfc3339(t)
                    ),
                }
            }
            _ => close(
                "expired",
                "window_missed",
                format!("the recipient's window ({tz}) does not open before it expires"),
            ),
        });
    }
    let template = templates
        .entry((auto.id, run.step))
        .or_insert_with(|| Template::compile(&step.text).map_err(|e| e.to_string()));
    let template = match template {
        Ok(t) => t,
        Err(e) => {
            warn!(
                automation = auto.id,
                run = run.id,
                "automation run excluded: render_failed (text does not compile)"
            );
            return Ok(close("excluded", "render_failed", e.clone()));
        }
    };
    let stand_in;
    let who = match &contact {
        Some(c) => c,
        None => {
            stand_in = unknown_contact(&run.phone);
            &stand_in
        }
    };
    let prepared = crate::attribution::prepare(
        store,
        &campaigns.attribution,
        template,
        crate::attribution::Target {
            campaign_id: None,
            automation_id: Some(auto.id),
            contact_id: contact.as_ref().map(|c| c.id),
            variant: format!("step-{}", run.step + 1),
            utm_campaign: crate::attribution::links::campaign_slug(&spec.input.name, auto.id),
        },
    )?;
    let text = match template.render_with(who, &campaigns.default_time_zone, &extras_for(run, &prepared)) {
        Ok(t) if !crate::templates::blank(&t) => t,
        Ok(_) => {
            warn!(
                automation = auto.id,
                run = run.id,
                "automation run excluded: render_failed (rendered empty)"
            );
            return Ok(close(
                "excluded",
                "render_failed",
                "the text rendered empty".into(),
            ));
        }
        Err(e) => {
            warn!(
                automation = auto.id,
                run = run.id,
                reason = e.failure.code(),
                "automation run excluded: render_failed"
            );
            return Ok(close("excluded", "render_failed", e.failure.to_string()));
        }
    };
    let plan = match crate::sms::check_text(&text)
        .map_err(|e| e.to_string())
        .and_then(|()| crate::sms::plan(&text, &campaigns.split).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            warn!(automation = auto.id, run = run.id, error = %e, "automation text cannot be sent");
            return Ok(close(
                "excluded",
                "render_failed",
                format!("the text cannot be sent: {e}"),
            ));
        }
    };
    let marketing = spec.input.kind == AutomationKind::Marketing;
    // A message bound by a window that no SIM sent before it closed
    // expires rather than arriving at night.
    let expires_at = window
        .and_then(|w| w.closes_at(tz, now))
        .unwrap_or(now + QUEUE_VALIDITY_MS);
    Ok(RunItem::Queue {
        run_id: run.id,
        automation_id: auto.id,
        message: NewMessage {
            recipient: Msisdn::from_canonical(&run.phone),
            text: plan.text.clone(),
            encoding: plan.encoding,
            segments: plan.segment_count(),
            status_report: spec.input.status_report.unwrap_or(true),
            send_at: None,
            expires_at: Some(expires_at),
            kind: None,
            category: if marketing {
                Category::Marketing
            } else {
                Category::Transactional
            },
            idempotency_key: None,
            request_hash: String::new(),
        },
        attribution: Box::new(prepared.records()),
        cap: marketing.then_some(campaigns.cap),
        exit_on_reply: spec.exit_on_reply,
        entered_at: run.entered_at,
        sequence: spec.trigger == Trigger::Sequence,
    })
}
