//! Feeding the queue from running campaigns: each dispatch round turns as
//! many pending recipients into messages as there are SIMs free to send
//! them, fairly across campaigns, only inside each recipient's window,
//! under the frequency caps and each campaign's rate; moves campaigns from
//! scheduled to running to completed; expires what the deadline passes.
//!
//! Lazy on purpose: a recipient becomes a message only when it may leave
//! now, so a 20,000-recipient campaign never sits in the queue ahead of a
//! one-time code, and a stale "today only" text is never queued for the
//! next morning. The planning here is pure; every read and write is in
//! `store::campaign_feed` (materialising a recipient is one transaction).
//! Cheap when no campaign is active: one indexed query.

use std::collections::HashMap;

use chrono_tz::Tz;
use tracing::{debug, info};

use super::CampaignStatus;
use super::rules::CampaignRules;
use super::spec::{FrequencyCap, Spec};
use super::window::Window;
use crate::contacts::Contact;
use crate::phone::Msisdn;
use crate::store::{
    Category, ContactKey, DueRecipient, FeedCampaign, FeedItem, FeedOutcome, NewMessage, Store, StoreError,
};
use crate::templates::Template;

/// An hour, in ms.
const HOUR: i64 = 3_600_000;
/// A week, in ms.
const WEEK: i64 = 7 * 24 * HOUR;
/// Rounds of fetching within one call when recipients turn out capped or
/// refused (each round fills what they left of the room).
const MAX_PASSES: usize = 8;

/// What a round of feeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fed {
    /// Messages queued.
    pub queued: usize,
    /// When feeding must look again even if nothing happens (a window
    /// opens, a cap frees, the rate allows, a start or deadline), unix ms.
    pub next_at: Option<i64>,
}

/// The window a campaign uses: its own, else the configured default.
pub fn window_of(spec: &Spec, rules: &CampaignRules) -> Window {
    spec.window_or(rules.window)
}

/// The frequency cap a campaign uses: its own, else the configured default.
pub fn cap_of(spec: &Spec, rules: &CampaignRules) -> FrequencyCap {
    spec.cap_or(rules.cap)
}

/// A recipient zone's clock (the default zone, then UTC, if it is not an
/// IANA name — zones are checked at start, so this is a fallback).
pub fn zone(name: &str, rules: &CampaignRules) -> Tz {
    name.parse()
        .or_else(|_| rules.default_time_zone.parse())
        .unwrap_or(Tz::UTC)
}

/// Whether `window` opens at all in `tz` between `from` and `to` (unix ms):
/// a recipient whose window never did expires `window_missed`, not `deadline`.
pub fn window_opens_between(window: &Window, tz: Tz, from: i64, to: i64) -> bool {
    window.next_open(tz, from).is_some_and(|t| t < to)
}

/// Splits `zones` into those whose window is open at `now` and the soonest
/// opening of the others (unix ms).
pub fn open_zones(window: &Window, zones: &[(String, Tz)], now: i64) -> (Vec<String>, Option<i64>) {
    let mut open = Vec::new();
    let mut next: Option<i64> = None;
    for (name, tz) in zones {
        if window.is_open(*tz, now) {
            open.push(name.clone());
        } else if let Some(t) = window.next_open(*tz, now) {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
    }
    (open, next)
}

/// Round-robin over lists of lengths `lens` (campaigns in turn order), at
/// most `room` picks: `(list, index)` — the first of each, then the
/// second of each, and so on, so campaigns share the SIMs evenly.
pub fn round_robin(lens: &[usize], room: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let longest = lens.iter().copied().max().unwrap_or(0);
    for i in 0..longest {
        for (l, &len) in lens.iter().enumerate() {
            if out.len() >= room {
                return out;
            }
            if i < len {
                out.push((l, i));
            }
        }
    }
    out
}

/// `rate_per_hour` is a pace, not a burst: one message every
/// 3600 / rate seconds, the next allowed at the last one's `queued_at`
/// (unix ms, `None` if none yet) plus that interval. Returns how many may
/// be queued at `now` (at most one; unlimited without a rate) and, when
/// none may, when the next may.
pub fn rate_allowance(
    rate_per_hour: Option<u32>,
    last_queued: Option<i64>,
    now: i64,
) -> (usize, Option<i64>) {
    let Some(rate) = rate_per_hour.filter(|r| *r > 0) else {
        return (usize::MAX, None);
    };
    let interval = (HOUR / i64::from(rate)).max(1);
    match last_queued {
        Some(last) if last.saturating_add(interval) > now => (0, Some(last + interval)),
        _ => (1, None),
    }
}

/// When the frequency cap lets one more marketing message go to a number
/// whose counted messages were created at `times` (unix ms, any order):
/// `None` if it may go at `now`; `Some(i64::MAX)` if never (a cap of 0).
pub fn cap_frees_at(times: &[i64], cap: FrequencyCap, now: i64) -> Option<i64> {
    let mut free: Option<i64> = None;
    for (limit, span) in [(cap.per_24h, 24 * HOUR), (cap.per_7d, WEEK)] {
        let mut recent: Vec<i64> = times.iter().copied().filter(|&t| t > now - span).collect();
        if recent.len() < limit as usize {
            continue;
        }
        recent.sort_unstable();
        // The (len - limit + 1)-th oldest must leave the window.
        let at = match recent.len().checked_sub(limit as usize) {
            Some(i) if limit > 0 => recent[i] + span,
            _ => i64::MAX,
        };
        free = Some(free.map_or(at, |f| f.max(at)));
    }
    free
}

/// The soonest of several instants strictly after `now`.
struct Soonest {
    now: i64,
    at: Option<i64>,
}

impl Soonest {
    fn at(&mut self, t: i64) {
        if t > self.now {
            self.at = Some(self.at.map_or(t, |a| a.min(t)));
        }
    }
}

/// A running campaign this round may feed.
struct Lane {
    row: FeedCampaign,
    window: Window,
    cap: FrequencyCap,
    deadline: i64,
    open: Vec<String>,
    allowance: usize,
    /// Turn order: least recently fed first.
    order: (Option<i64>, u64, i64),
    /// Its call-tracking SIM's number, for `{{ tracking_number }}`.
    tracking_number: Option<String>,
    exhausted: bool,
}

/// Queues at most `room` campaign messages at `now`.
pub fn feed(store: &Store, rules: &CampaignRules, room: usize, now: i64) -> Result<Fed, StoreError> {
    let active = store.feed_campaigns()?;
    if active.is_empty() {
        return Ok(Fed::default());
    }
    let mut next = Soonest { now, at: None };
    let mut lanes = Vec::new();
    for mut row in active {
        let window = row
            .window
            .as_ref()
            .and_then(|w| w.parse().ok())
            .unwrap_or(rules.window);
        let deadline = row.deadline.unwrap_or(i64::MAX);
        match row.status {
            CampaignStatus::Scheduled => match row.start_at {
                Some(at) if at > now => {
                    next.at(at);
                    continue;
                }
                _ => {
                    if !store.campaign_begin(row.id, now)? {
                        continue;
                    }
                    row.status = CampaignStatus::Running;
                    info!(campaign = row.id, "campaign running: its start time has come");
                }
            },
            // Paused: nothing is sent, but the deadline still expires the
            // rest (a resumed campaign never sends a stale text).
            CampaignStatus::Paused => {
                if deadline <= now {
                    expire(store, &row, &window, rules, deadline, now)?;
                } else {
                    next.at(deadline);
                }
                continue;
            }
            _ => {}
        }
        if deadline <= now {
            expire(store, &row, &window, rules, deadline, now)?;
        }
        if store.campaign_finish_if_done(row.id, now)? {
            info!(campaign = row.id, "campaign completed");
            continue;
        }
        if deadline <= now {
            // Messages still being sent finish; queued ones expire with
            // their `expires_at` (the deadline).
            continue;
        }
        next.at(deadline);
        let zones: Vec<(String, Tz)> = store
            .campaign_pending_zones(row.id)?
            .into_iter()
            .map(|z| {
                let tz = zone(&z, rules);
                (z, tz)
            })
            .collect();
        if zones.is_empty() {
            continue;
        }
        let (open, opens_at) = open_zones(&window, &zones, now);
        if let Some(t) = opens_at {
            next.at(t);
        }
        if let Some(t) = store.campaign_next_deferred(row.id, now)? {
            next.at(t);
        }
        let (_, last) = store.campaign_queued_since(row.id, now)?;
        let (allowance, slot) = rate_allowance(row.rate_per_hour, last, now);
        if let Some(t) = slot
            && !open.is_empty()
        {
            next.at(t);
        }
        let at_last = match last {
            Some(l) => store.campaign_queued_since(row.id, l - 1)?.0,
            None => 0,
        };
        let tracking_number = store.campaign_tracking_number(row.id)?;
        lanes.push(Lane {
            tracking_number,
            cap: row.frequency_cap.map_or(rules.cap, |c| c.resolve(rules.cap)),
            order: (last, at_last, row.id),
            row,
            window,
            deadline,
            open,
            allowance,
            exhausted: false,
        });
    }
    lanes.sort_by_key(|l| l.order);
    let mut queued = 0;
    let mut room_left = room;
    let mut templates: HashMap<(i64, String), Result<Template, String>> = HashMap::new();
    for _ in 0..MAX_PASSES {
        if room_left == 0 {
            break;
        }
        let mut lists: Vec<Vec<DueRecipient>> = Vec::with_capacity(lanes.len());
        for lane in &mut lanes {
            let want = room_left.min(lane.allowance);
            if lane.exhausted || want == 0 || lane.open.is_empty() {
                lists.push(Vec::new());
                continue;
            }
            let due = store.campaign_due(lane.row.id, &lane.open, now, want)?;
            if due.len() < want {
                lane.exhausted = true;
            }
            lists.push(due);
        }
        let lens: Vec<usize> = lists.iter().map(Vec::len).collect();
        let picks = round_robin(&lens, room_left);
        if picks.is_empty() {
            break;
        }
        let mut items = Vec::with_capacity(picks.len());
        let mut owners = Vec::with_capacity(picks.len());
        for (l, i) in picks {
            let lane = &lanes[l];
            let r = &lists[l][i];
            items.push(item(store, lane, r, rules, &mut templates, now)?);
            owners.push(l);
        }
        let outcomes = store.campaign_materialise(&items, now)?;
        let mut all_queued = true;
        for (outcome, l) in outcomes.into_iter().zip(owners) {
            match outcome {
                FeedOutcome::Queued { message_id } => {
                    debug!(
                        campaign = lanes[l].row.id,
                        msg_id = message_id,
                        "campaign message queued"
                    );
                    queued += 1;
                    room_left = room_left.saturating_sub(1);
                    lanes[l].allowance = lanes[l].allowance.saturating_sub(1);
                }
                FeedOutcome::Deferred { until } => {
                    all_queued = false;
                    next.at(until);
                }
                FeedOutcome::Skipped { reason } => {
                    all_queued = false;
                    debug!(campaign = lanes[l].row.id, reason, "campaign recipient skipped");
                }
                FeedOutcome::Gone => all_queued = false,
            }
        }
        if all_queued {
            break;
        }
    }
    Ok(Fed {
        queued,
        next_at: next.at,
    })
}

/// What to do with due recipient `r`: its message, or a skip with the reason.
fn item(
    store: &Store,
    lane: &Lane,
    r: &DueRecipient,
    rules: &CampaignRules,
    templates: &mut HashMap<(i64, String), Result<Template, String>>,
    now: i64,
) -> Result<FeedItem, StoreError> {
    let skip = |reason: &'static str, words: String| FeedItem::Skip {
        campaign_id: r.campaign_id,
        seq: r.seq,
        reason,
        words,
    };
    let contact: Option<Contact> = match r.contact_id {
        Some(id) => store.contact(&ContactKey::Id(id))?,
        None => None,
    };
    let Some(contact) = contact else {
        return Ok(skip(
            "no_consent",
            "the contact was erased: no consent recorded".into(),
        ));
    };
    let template = templates
        .entry((lane.row.id, r.variant.clone()))
        .or_insert_with(|| match lane.row.variants.iter().find(|v| v.name == r.variant) {
            None => Err(format!("variant {:?} is not in the campaign", r.variant)),
            Some(v) => Template::compile(&v.text).map_err(|e| format!("variant {:?}: {e}", v.name)),
        });
    let template = match template {
        Ok(t) => t,
        Err(e) => return Ok(skip("render_failed", e.clone())),
    };
    // Its promo code and tracked links (nothing reserved unless the text uses them).
    let prepared = crate::attribution::prepare(
        store,
        &rules.attribution,
        template,
        crate::attribution::Target {
            campaign_id: Some(r.campaign_id),
            automation_id: None,
            contact_id: Some(contact.id),
            variant: r.variant.clone(),
            utm_campaign: crate::attribution::links::campaign_slug(&lane.row.name, lane.row.id),
        },
    )?;
    let extras = crate::templates::Extras {
        tracking_number: lane.tracking_number.as_deref(),
        ..prepared.extras()
    };
    let text = match template.render_with(&contact, &rules.default_time_zone, &extras) {
        Ok(t) => t,
        Err(e) => return Ok(skip("render_failed", e.to_string())),
    };
    if crate::templates::blank(&text) {
        return Ok(skip(
            "render_failed",
            format!("variant {:?} rendered an empty text", r.variant),
        ));
    }
    let plan = match crate::sms::check_text(&text)
        .map_err(|e| e.to_string())
        .and_then(|()| crate::sms::plan(&text, &rules.split).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            return Ok(skip(
                "render_failed",
                format!("variant {:?} rendered a text that cannot be sent: {e}", r.variant),
            ));
        }
    };
    let tz = zone(&r.time_zone, rules);
    Ok(FeedItem::Queue {
        campaign_id: r.campaign_id,
        seq: r.seq,
        message: NewMessage {
            recipient: Msisdn::from_canonical(&r.phone),
            text: plan.text.clone(),
            encoding: plan.encoding,
            segments: plan.segment_count(),
            status_report: lane.row.status_report,
            send_at: None,
            expires_at: Some(lane.deadline),
            kind: None,
            category: Category::Marketing,
            idempotency_key: None,
            request_hash: String::new(),
        },
        variant: r.variant.clone(),
        cap: lane.cap,
        deadline: lane.deadline,
        window_closes_at: lane.window.closes_at(tz, now),
        attribution: Box::new(prepared.records()),
    })
}

/// At the deadline: the campaign's pending recipients expire, `window_missed`
/// in zones whose window never opened between the start and the deadline.
fn expire(
    store: &Store,
    row: &FeedCampaign,
    window: &Window,
    rules: &CampaignRules,
    deadline: i64,
    now: i64,
) -> Result<(), StoreError> {
    let zones = store.campaign_pending_zones(row.id)?;
    if zones.is_empty() {
        return Ok(());
    }
    let start = row.start_at.or(row.started_at).unwrap_or(deadline);
    let spec = window.spec();
    let days = spec
        .days
        .map(|d| format!(" on {}", d.join(", ")))
        .unwrap_or_default();
    let missed: Vec<(String, String)> = zones
        .into_iter()
        .filter(|z| !window_opens_between(window, zone(z, rules), start, deadline))
        .map(|z| {
            let words = format!(
                "their window {}–{}{days} in {z} did not open between the start {} and the deadline {}",
                spec.start,
                spec.end,
                crate::store::rfc3339(start),
                crate::store::rfc3339(deadline)
            );
            (z, words)
        })
        .collect();
    let words = format!(
        "not sent before the campaign's deadline {}; it will not be sent",
        crate::store::rfc3339(deadline)
    );
    let n = store.campaign_expire_pending(row.id, &missed, &words, now)?;
    if n > 0 {
        info!(
            campaign = row.id,
            expired = n,
            "campaign deadline passed: pending recipients expired"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    #[test]
    fn round_robin_alternates_campaigns_up_to_the_room() {
        assert_eq!(round_robin(&[3, 3], 4), vec![(0, 0), (1, 0), (0, 1), (1, 1)]);
        // A short list drops out; the others go on.
        assert_eq!(round_robin(&[1, 3, 0], 10), vec![(0, 0), (1, 0), (1, 1), (1, 2)]);
        assert!(round_robin(&[5], 0).is_empty());
    }

    #[test]
    fn open_zones_and_the_next_opening() {
        let w = Window::default();
        // 07:00 UTC: 17:00 Vladivostok, 09:00 Kaliningrad, 04:00 São Paulo.
        let at = ms("2026-12-01T07:00:00Z");
        let zones: Vec<(String, Tz)> = ["America/Sao_Paulo", "Asia/Vladivostok", "Europe/Kaliningrad"]
            .iter()
            .map(|z| (z.to_string(), tz(z)))
            .collect();
        let (open, next) = open_zones(&w, &zones, at);
        assert_eq!(
            open,
            vec!["Asia/Vladivostok".to_string(), "Europe/Kaliningrad".to_string()]
        );
        assert_eq!(next, Some(ms("2026-12-01T12:00:00Z")));
    }

    #[test]
    fn a_window_that_never_opens_before_the_deadline_is_missed() {
        let w = Window::default();
        let start = ms("2026-12-01T07:00:00Z");
        // São Paulo opens at 12:00 UTC: a deadline at 11:00 misses it, 13:00 does not.
        assert!(!window_opens_between(
            &w,
            tz("America/Sao_Paulo"),
            start,
            ms("2026-12-01T11:00:00Z")
        ));
        assert!(window_opens_between(
            &w,
            tz("America/Sao_Paulo"),
            start,
            ms("2026-12-01T13:00:00Z")
        ));
        // Open at the start counts as opened.
        assert!(window_opens_between(&w, tz("Asia/Vladivostok"), start, start + 1));
    }

    #[test]
    fn the_rate_is_a_pace_of_one_message_every_interval() {
        let t = 1_000_000_000;
        assert_eq!(rate_allowance(None, Some(t), t), (usize::MAX, None));
        assert_eq!(rate_allowance(Some(10), None, t), (1, None));
        // 10 an hour: one every 6 minutes.
        assert_eq!(
            rate_allowance(Some(10), Some(t), t + 60_000),
            (0, Some(t + 360_000))
        );
        assert_eq!(rate_allowance(Some(10), Some(t), t + 360_000), (1, None));
        assert_eq!(rate_allowance(Some(10), Some(t - 5 * HOUR), t), (1, None));
    }

    #[test]
    fn soonest_ignores_the_past() {
        let mut s = Soonest { now: 100, at: None };
        s.at(50);
        s.at(100);
        assert_eq!(s.at, None);
        s.at(300);
        s.at(200);
        assert_eq!(s.at, Some(200));
    }

    const CAP: FrequencyCap = FrequencyCap {
        per_24h: 1,
        per_7d: 4,
    };

    #[test]
    fn an_empty_history_is_not_capped() {
        assert_eq!(cap_frees_at(&[], CAP, 1_000_000_000), None);
    }

    #[test]
    fn one_in_24_hours_frees_a_day_after_the_last() {
        let now = 10 * 24 * HOUR;
        let sent = now - 5 * HOUR;
        assert_eq!(cap_frees_at(&[sent], CAP, now), Some(sent + 24 * HOUR));
        // A day and a minute later it is free.
        assert_eq!(cap_frees_at(&[now - 24 * HOUR - 60_000], CAP, now), None);
    }

    #[test]
    fn four_in_seven_days_frees_when_the_oldest_leaves_the_week() {
        let now = 30 * 24 * HOUR;
        let times = [
            now - 6 * 24 * HOUR,
            now - 5 * 24 * HOUR,
            now - 3 * 24 * HOUR,
            now - 2 * 24 * HOUR,
        ];
        assert_eq!(cap_frees_at(&times, CAP, now), Some(times[0] + WEEK));
        // Both caps: the later of the two frees it.
        let cap = FrequencyCap {
            per_24h: 1,
            per_7d: 2,
        };
        let times = [now - 6 * 24 * HOUR, now - HOUR];
        assert_eq!(cap_frees_at(&times, cap, now), Some(times[0] + WEEK));
    }

    #[test]
    fn a_cap_of_zero_never_frees() {
        let cap = FrequencyCap {
            per_24h: 0,
            per_7d: 4,
        };
        assert_eq!(cap_frees_at(&[], cap, 0), Some(i64::MAX));
    }
}
