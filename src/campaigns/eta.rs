//! Honest capacity: how many of a campaign's remaining recipients the
//! ready SIMs can reach before the deadline, given their daily, monthly,
//! distinct-recipient and per-minute limits, the latency so far, the
//! campaign's `rate_per_hour` and each recipient's window.
//!
//! The model ([`model`]) is pure: a fluid simulation from `from` to the
//! deadline in steps of at most a minute, jumping over stretches where
//! nothing can move (every window closed, every SIM at a limit) to the next
//! change (a window opening or closing in some zone, the gateway's local
//! midnight or month start). In each step every ready SIM offers what it can
//! send — one message per mean send time, no more than `per_minute` allows,
//! no more than its day's, month's and new-recipient budgets — the campaign's
//! rate caps the sum, and the messages go to the zones whose window is open,
//! in proportion to what each has left (the feed takes recipients in
//! audience order, where zones are mixed). Daily budgets refill at the
//! gateway's local midnight (with the SIM's `warm_up` for the coming days),
//! monthly ones at the month's start. Transactional traffic sharing the
//! SIMs is not modelled: it only makes the estimate later.
//!
//! Recipients come in groups of (zone, count, available from): one held
//! back — deferred by the frequency cap (`not_before`), over the cap by the
//! marketing messages its number already had, or in the rest of an A/B
//! test waiting for the decision — cannot go before its group is
//! available, and expires if that is after the deadline. The SIMs counted
//! are those that can send any of them before the deadline (a SIM at its
//! distinct-recipient limit for the month cannot take new numbers).

use chrono_tz::Tz;
use serde::Serialize;

use super::window::Window;
use crate::store::{CampaignRow, Store, StoreError};

/// Send time assumed per message before any send was measured, seconds
/// (a USB modem's `AT+CMGS` round trip is typically 2–6 s).
pub const DEFAULT_SEND_SECS: f64 = 4.0;

/// Longest stretch simulated: a deadline further away is cut here.
pub const MAX_HORIZON_MS: i64 = 92 * 86_400_000;

const STEP_MS: i64 = 60_000;

/// The estimate shown before start and while running.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Eta {
    /// Recipients still to send.
    pub remaining: u64,
    /// Of them, how many can be sent before the deadline.
    pub sendable_before_deadline: u64,
    /// And how many would expire.
    pub would_expire: u64,
    /// SIMs that can send to these recipients before the deadline (ready,
    /// and not held by a limit — distinct recipients, month, day — until
    /// then).
    pub sims: u32,
    /// SIMs ready to send (some may be at a limit: see `sims`).
    pub sims_ready: u32,
    /// When the last would be sent (RFC 3339), if all can be.
    pub finish_at: Option<String>,
    /// In words: "18,400 of 20,000 can be sent before the deadline with 4 SIMs; 1,600 would expire".
    pub summary: String,
    /// What holds the pace back most of the time: `windows` (recipients'
    /// windows closed), `held` (recipients held back: by the frequency cap
    /// or until the A/B decision), `rate_per_hour`, `send_time`, `per_minute`,
    /// `daily_limit`, `monthly_limit` or `unique_recipients`; null when
    /// nothing is left or no SIM is ready.
    pub limited_by: Option<String>,
    /// The deadline the estimate is for (RFC 3339).
    pub deadline: Option<String>,
    /// `finish_at` in unix ms.
    #[serde(skip)]
    pub finish_at_ms: Option<i64>,
}

/// What one SIM can still send, as the dispatcher sees it now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimCapacity {
    /// IMSI.
    pub imsi: String,
    /// Ready to send (registered, not cooling down).
    pub ready: bool,
    /// Segments left today under `daily_limit` (with `warm_up`), if limited.
    pub daily_left: Option<u64>,
    /// `per_minute`, if limited.
    pub per_minute: Option<u32>,
    /// Segments left this month under `monthly_limit`, if limited.
    pub monthly_left: Option<u64>,
    /// New recipients left this month under `unique_recipients_per_month`, if limited.
    pub unique_left: Option<u64>,
    /// Mean seconds per message so far (claim to verdict).
    pub mean_send_secs: Option<f64>,
    /// `daily_limit` as configured: each later day's, once warmed up.
    pub daily_limit: Option<u32>,
    /// While warming up: the daily limits of the coming days (tomorrow
    /// first), `warm_up` capped by `daily_limit`; then `daily_limit`.
    pub warm_up_ahead: Vec<u32>,
    /// `monthly_limit` as configured (next month's budget).
    pub monthly_limit: Option<u32>,
    /// `unique_recipients_per_month` as configured (next month's budget).
    pub unique_limit: Option<u32>,
}

/// Everything the model needs, all counts and instants (unix ms).
#[derive(Debug, Clone)]
pub struct Model<'a> {
    /// Recipients left: (zone, count, available from — unix ms; earlier
    /// than `from` for those that may go at once). A zone may come in
    /// several groups.
    pub zones: &'a [(Tz, u64, i64)],
    /// The SIMs (those not ready are ignored).
    pub sims: &'a [SimCapacity],
    /// The window, read in each zone.
    pub window: Window,
    /// When sending may begin (now, or the campaign's start).
    pub from: i64,
    /// When it must stop.
    pub deadline: i64,
    /// The campaign's messages per hour, if limited.
    pub rate_per_hour: Option<u32>,
    /// Segments each message takes (≥ 1).
    pub segments_per_message: u32,
    /// The zone SIM days and months turn in: `None` for the gateway's own
    /// (as the dispatcher counts them).
    pub quota_zone: Option<Tz>,
}

/// Which constraint held a step back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Windows,
    Held,
    Rate,
    SendTime,
    PerMinute,
    Daily,
    Monthly,
    Unique,
}

impl Bound {
    fn name(self) -> &'static str {
        match self {
            Bound::Windows => "windows",
            Bound::Held => "held",
            Bound::Rate => "rate_per_hour",
            Bound::SendTime => "send_time",
            Bound::PerMinute => "per_minute",
            Bound::Daily => "daily_limit",
            Bound::Monthly => "monthly_limit",
            Bound::Unique => "unique_recipients",
        }
    }
}

const BOUNDS: [Bound; 8] = [
    Bound::Windows,
    Bound::Held,
    Bound::Rate,
    Bound::SendTime,
    Bound::PerMinute,
    Bound::Daily,
    Bound::Monthly,
    Bound::Unique,
];

struct SimState<'a> {
    cap: &'a SimCapacity,
    /// Messages per ms at most (send time, per-minute).
    speed: f64,
    speed_bound: Bound,
    daily: f64,
    monthly: f64,
    unique: f64,
    /// Days turned since `from`.
    days: usize,
}

impl SimState<'_> {
    /// Messages it can send in `dt` ms, and what limits it.
    fn offer(&self, dt: f64, segs: f64) -> (f64, Bound) {
        let mut best = (self.speed * dt, self.speed_bound);
        for (v, b) in [
            (self.daily / segs, Bound::Daily),
            (self.monthly / segs, Bound::Monthly),
            (self.unique, Bound::Unique),
        ] {
            if v < best.0 {
                best = (v.max(0.0), b);
            }
        }
        best
    }

    fn next_day(&mut self) {
        self.days += 1;
        let limit = self
            .cap
            .warm_up_ahead
            .get(self.days - 1)
            .copied()
            .or(self.cap.daily_limit);
        self.daily = limit.map_or(f64::INFINITY, f64::from);
    }

    fn next_month(&mut self) {
        self.monthly = self.cap.monthly_limit.map_or(f64::INFINITY, f64::from);
        self.unique = self.cap.unique_limit.map_or(f64::INFINITY, f64::from);
    }
}

/// A group's window state and when it next changes.
struct ZoneState {
    tz: Tz,
    left: f64,
    /// Available from (unix ms).
    avail: i64,
    open: bool,
    until: i64,
}

impl ZoneState {
    fn refresh(&mut self, window: &Window, at: i64, horizon: i64) {
        if at < self.avail {
            // Held back until then, window or not.
            self.open = false;
            self.until = self.avail;
            return;
        }
        self.open = window.is_open(self.tz, at);
        self.until = if self.open {
            window.closes_at(self.tz, at).unwrap_or(horizon)
        } else {
            window.next_open(self.tz, at).unwrap_or(horizon)
        }
        .max(at + 1);
    }
}

fn next_midnight(zone: Option<Tz>, at: i64) -> i64 {
    use crate::dispatch::Clock;
    match zone {
        Some(tz) => chrono::DateTime::from_timestamp_millis(at)
            .map(|t| t.with_timezone(&tz).date_naive())
            .and_then(|d| d.succ_opt())
            .and_then(|d| super::window::instant(tz, d, chrono::NaiveTime::MIN))
            .unwrap_or(at + 86_400_000),
        None => crate::dispatch::SystemClock.next_midnight(at),
    }
}

fn next_month(zone: Option<Tz>, at: i64) -> i64 {
    use crate::dispatch::Clock;
    use chrono::Datelike;
    match zone {
        Some(tz) => chrono::DateTime::from_timestamp_millis(at)
            .map(|t| t.with_timezone(&tz).date_naive())
            .and_then(|d| {
                let (y, m) = if d.month() == 12 {
                    (d.year() + 1, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                chrono::NaiveDate::from_ymd_opt(y, m, 1)
            })
            .and_then(|d| super::window::instant(tz, d, chrono::NaiveTime::MIN))
            .unwrap_or(at + 31 * 86_400_000),
        None => crate::dispatch::SystemClock.next_month_start(at),
    }
}

/// The estimate from counts: the pure model (see the module's docs).
pub fn model(m: &Model<'_>) -> Eta {
    let remaining: u64 = m.zones.iter().map(|(_, n, _)| n).sum();
    let deadline = m.deadline.min(m.from.saturating_add(MAX_HORIZON_MS));
    let segs = f64::from(m.segments_per_message.max(1));
    let mut sims: Vec<SimState<'_>> = m
        .sims
        .iter()
        .filter(|s| s.ready)
        .map(|cap| {
            let secs = cap
                .mean_send_secs
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(DEFAULT_SEND_SECS);
            let mut speed = (1.0 / (secs * 1000.0), Bound::SendTime);
            if let Some(pm) = cap.per_minute {
                let v = f64::from(pm) / segs / 60_000.0;
                if v < speed.0 {
                    speed = (v, Bound::PerMinute);
                }
            }
            SimState {
                cap,
                speed: speed.0,
                speed_bound: speed.1,
                daily: cap.daily_left.map_or(f64::INFINITY, |v| v as f64),
                monthly: cap.monthly_left.map_or(f64::INFINITY, |v| v as f64),
                unique: cap.unique_left.map_or(f64::INFINITY, |v| v as f64),
                days: 0,
            }
        })
        .collect();
    let ready = sims.len() as u32;
    let mut zones: Vec<ZoneState> = m
        .zones
        .iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|&(tz, n, avail)| ZoneState {
            tz,
            left: n as f64,
            avail,
            open: false,
            until: m.from,
        })
        .collect();
    let rate = m.rate_per_hour.map(|r| f64::from(r) / 3_600_000.0);
    let mut midnight = next_midnight(m.quota_zone, m.from);
    let mut month = next_month(m.quota_zone, m.from);
    let mut weight = [0f64; BOUNDS.len()];
    let mut sent = 0f64;
    let mut finish: Option<i64> = None;
    let mut t = m.from;
    let total = remaining as f64;
    // Per SIM: could it send in some step, and if not, what stopped it.
    let mut able = vec![false; sims.len()];
    let mut stuck: Vec<Option<Bound>> = vec![None; sims.len()];
    let mut stepped = false;
    while t < deadline && !sims.is_empty() && total - sent > 1e-6 {
        if t >= midnight {
            sims.iter_mut().for_each(SimState::next_day);
            midnight = next_midnight(m.quota_zone, t);
        }
        if t >= month {
            sims.iter_mut().for_each(SimState::next_month);
            month = next_month(m.quota_zone, t);
        }
        for z in zones.iter_mut().filter(|z| t >= z.until) {
            z.refresh(&m.window, t, deadline);
        }
        // The next change: a zone, a day or month turning, the deadline.
        let change = zones
            .iter()
            .filter(|z| z.left > 1e-9)
            .map(|z| z.until)
            .chain([midnight, month, deadline])
            .min()
            .unwrap_or(deadline);
        let demand: f64 = zones.iter().filter(|z| z.open).map(|z| z.left).sum();
        // Steps end on whole minutes (windows and limits turn there).
        let dt_end = (t - t.rem_euclid(STEP_MS) + STEP_MS).min(change);
        let dt = (dt_end - t) as f64;
        let offers: Vec<(f64, Bound)> = sims.iter().map(|s| s.offer(dt, segs)).collect();
        stepped = true;
        for ((a, st), o) in able.iter_mut().zip(stuck.iter_mut()).zip(&offers) {
            if o.0 > 1e-12 {
                *a = true;
            } else {
                *st = Some(o.1);
            }
        }
        let supply: f64 = offers.iter().map(|o| o.0).sum();
        let rate_cap = rate.map_or(f64::INFINITY, |r| r * dt);
        let amount = supply.min(rate_cap).min(demand);
        let idx = |b: Bound| BOUNDS.iter().position(|x| *x == b).unwrap_or(0);
        // What holds the pace back, in SIM-time: each SIM's share of the
        // step at its speed (send time or per-minute) and the rest at the
        // budget it ran out of; the campaign's rate when that binds; closed
        // windows when nobody can be texted.
        if amount <= 1e-9 {
            // Nothing moves until the next change.
            let span = (change - t) as f64;
            if demand <= 1e-9 {
                // Closed windows, or recipients held back (open or not).
                let held = zones.iter().any(|z| z.left > 1e-9 && t < z.avail);
                let b = if held { Bound::Held } else { Bound::Windows };
                weight[idx(b)] += span * sims.len() as f64;
            } else {
                for o in &offers {
                    weight[idx(o.1)] += span;
                }
            }
            t = change;
            continue;
        }
        let busy = (amount / supply.min(rate_cap)).min(1.0) * dt;
        if rate_cap < supply {
            weight[idx(Bound::Rate)] += busy * sims.len() as f64;
        } else {
            for (s, o) in sims.iter().zip(&offers) {
                let full = s.speed * dt;
                let f = if full > 0.0 { (o.0 / full).min(1.0) } else { 0.0 };
                weight[idx(s.speed_bound)] += f * busy;
                weight[idx(o.1)] += (1.0 - f) * busy;
            }
        }
        // Take it from the open zones in proportion, from SIMs by their offers.
        for z in zones.iter_mut().filter(|z| z.open) {
            z.left -= amount * z.left / demand;
        }
        let share = amount / supply;
        for (s, o) in sims.iter_mut().zip(&offers) {
            let n = o.0 * share;
            s.daily -= n * segs;
            s.monthly -= n * segs;
            s.unique -= n;
        }
        let before = sent;
        sent += amount;
        if total - sent <= 1e-6 && finish.is_none() {
            // The last message leaves within this step, at the step's pace.
            let part = ((total - before) / supply.min(rate_cap)).clamp(0.0, 1.0);
            finish = Some(t + (dt * part).ceil() as i64);
        }
        t = dt_end;
    }
    let sendable = if remaining == 0 {
        0
    } else if finish.is_some() {
        remaining
    } else {
        (sent + 1e-6).floor().min(remaining as f64) as u64
    };
    let limited_by = (remaining > 0 && ready > 0)
        .then(|| {
            weight
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| BOUNDS[i].name().to_string())
        })
        .flatten();
    let would_expire = remaining - sendable;
    let finish_at = finish.map(crate::store::rfc3339);
    // Not simulated (nothing left, or already past the deadline): every
    // ready SIM counts.
    let can = if stepped {
        able.iter().filter(|a| **a).count() as u32
    } else {
        ready
    };
    let stuck = able
        .iter()
        .zip(&stuck)
        .find(|(a, _)| !**a)
        .and_then(|(_, b)| *b)
        .map(Bound::name)
        .filter(|_| can < ready);
    let summary = summary(remaining, sendable, (can, ready, stuck), finish_at.as_deref());
    Eta {
        remaining,
        sendable_before_deadline: sendable,
        would_expire,
        sims: can,
        sims_ready: ready,
        finish_at,
        summary,
        limited_by,
        deadline: Some(crate::store::rfc3339(m.deadline)),
        finish_at_ms: finish,
    }
}

/// `20000` as `20,000`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn sims_word(n: u32) -> String {
    if n == 1 {
        "1 SIM".to_string()
    } else {
        format!("{n} SIMs")
    }
}

/// In words; `sims` is (those that can send, those ready, what stops the
/// others: a [`Bound`] name).
fn summary(remaining: u64, sendable: u64, sims: (u32, u32, Option<&str>), finish: Option<&str>) -> String {
    let (can, ready, stuck) = sims;
    if remaining == 0 {
        return "nothing left to send".into();
    }
    let why = stuck.unwrap_or("limits");
    if ready > 0 && can == 0 {
        return format!(
            "none of {} can be sent before the deadline: the {} ready {} can send none of them ({why}); {} would expire",
            thousands(remaining),
            ready,
            if ready == 1 { "SIM" } else { "SIMs" },
            thousands(remaining)
        );
    }
    let mut with = sims_word(can);
    if ready > can {
        let more = ready - can;
        with.push_str(&format!(
            " ({more} more {} ready but can send none of them before the deadline: {why})",
            if more == 1 { "is" } else { "are" }
        ));
    }
    if ready == 0 {
        return format!(
            "no SIM is ready: none of {} can be sent before the deadline; {} would expire unless a modem becomes ready",
            thousands(remaining),
            thousands(remaining)
        );
    }
    let mut s = format!(
        "{} of {} can be sent before the deadline with {with}",
        thousands(sendable),
        thousands(remaining)
    );
    match finish {
        Some(at) if sendable == remaining => s.push_str(&format!("; the last at {at}")),
        _ => s.push_str(&format!("; {} would expire", thousands(remaining - sendable))),
    }
    s
}

/// Segments one message of the campaign takes: the most any variant's
/// text takes as written (placeholders filled in may change it a little).
fn segments_per_message(campaign: &CampaignRow, rules: &super::CampaignRules) -> u32 {
    campaign
        .spec
        .variants
        .iter()
        .filter_map(|v| crate::sms::plan(&v.text, &rules.split).ok())
        .map(|p| p.segment_count() as u32)
        .max()
        .unwrap_or(1)
        .max(1)
}

/// Recipients left alike, as the store counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// IANA zone their window is read in (one that is not read as the
    /// rules' default zone).
    pub zone: String,
    /// How many.
    pub count: u64,
    /// Held back until (unix ms, rounded up to the minute): deferred by the
    /// frequency cap; `None` if they may go now.
    pub not_before: Option<i64>,
    /// In the rest of an A/B test: no variant until the decision.
    pub waits_decision: bool,
}

/// Most groups handed to the model: beyond, times are rounded up further
/// (10 min, 1 h, 6 h, a day) so a spread of deferrals stays cheap.
const MAX_GROUPS: usize = 256;

/// The window, start and deadline of `campaign` at `now`: as fixed at its
/// start, or as [`super::start`] would fix them now for a draft.
fn timing(campaign: &CampaignRow, rules: &super::CampaignRules, now: i64) -> (Window, i64, i64) {
    let window = campaign
        .spec
        .window
        .as_ref()
        .and_then(|w| w.parse().ok())
        .unwrap_or(rules.window);
    let from = campaign
        .start_at
        .or(campaign.spec.start_at)
        .unwrap_or(now)
        .max(now);
    let deadline = campaign
        .deadline
        .or(campaign.spec.deadline)
        .unwrap_or(from + i64::from(rules.deadline_hours) * 3_600_000);
    (window, from, deadline)
}

/// `at` rounded up to a multiple of `step` ms (`i64::MAX` stays).
fn ceil_to(at: i64, step: i64) -> i64 {
    match at.checked_add(step - 1) {
        Some(v) => v - v.rem_euclid(step),
        None => i64::MAX,
    }
}

/// The estimate for `campaign` at `now` with `sims`, given its recipients
/// left in groups: those held (`not_before`) wait until then, the rest of
/// an A/B test until the decision (start + `decide_after`).
pub fn estimate_groups(
    groups: &[Left],
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Eta {
    let default_tz: Tz = rules.default_time_zone.parse().unwrap_or(Tz::UTC);
    let (window, from, deadline) = timing(campaign, rules, now);
    let decides_at = campaign
        .spec
        .ab_test
        .as_ref()
        .map(|ab| campaign.start_at.unwrap_or(from) + ab.decide_after_secs.saturating_mul(1000));
    let avail = |g: &Left| {
        let mut at = g.not_before.unwrap_or(i64::MIN);
        if g.waits_decision {
            at = at.max(decides_at.unwrap_or(i64::MIN));
        }
        at
    };
    let mut step = 60_000;
    let zones = loop {
        let mut merged: std::collections::BTreeMap<(&str, i64), (Tz, u64)> = Default::default();
        for g in groups.iter().filter(|g| g.count > 0) {
            let tz: Tz = g.zone.parse().unwrap_or(default_tz);
            let at = avail(g);
            let at = if at <= from { i64::MIN } else { ceil_to(at, step) };
            merged.entry((tz.name(), at)).or_insert((tz, 0)).1 += g.count;
        }
        if merged.len() <= MAX_GROUPS || step >= 86_400_000 {
            break merged
                .into_iter()
                .map(|((_, at), (tz, n))| (tz, n, at))
                .collect::<Vec<_>>();
        }
        step = match step {
            60_000 => 600_000,
            600_000 => 3_600_000,
            3_600_000 => 21_600_000,
            _ => 86_400_000,
        };
    };
    model(&Model {
        zones: &zones,
        sims,
        window,
        from,
        deadline,
        rate_per_hour: campaign.spec.rate_per_hour,
        segments_per_message: segments_per_message(campaign, rules),
        quota_zone: None,
    })
}

/// The estimate for `campaign` at `now` with `sims`, given the recipients
/// left per zone (IANA names; one that is not read as the rules' default
/// zone), none held back. For a draft the window, start and deadline
/// default as [`super::start`] would fix them.
pub fn estimate_counts(
    zones: &[(String, u64)],
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Eta {
    let groups: Vec<Left> = zones
        .iter()
        .map(|(zone, n)| Left {
            zone: zone.clone(),
            count: *n,
            not_before: None,
            waits_decision: false,
        })
        .collect();
    estimate_groups(&groups, campaign, sims, rules, now)
}

/// The estimate for a draft `campaign` at `now` with `sims`, as if it
/// started now (or at its `start_at`): its audience's reachable contacts
/// (active, consent, not opted out) counted per resolved zone (the
/// contact's, else the rules' default), the A/B test's rest (by
/// `test_share`) waiting for the decision. Nothing to send if the
/// audience cannot be read (its segment was deleted). Contacts capped by
/// earlier marketing are not counted as held here (they are once started).
pub fn estimate_draft(
    store: &Store,
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Result<Eta, StoreError> {
    use super::spec::{Audience, ContactRef};
    use crate::store::{ContactKey, SegmentError};
    let filter = match &campaign.spec.audience {
        Audience::Segment(id) => match store.segment_filter(*id) {
            Ok(f) => f,
            Err(SegmentError::Store(e)) => return Err(e),
            Err(_) => None,
        },
        Audience::Filter(json) => match store.parse_filter(json) {
            Ok(f) => Some(f),
            Err(SegmentError::Store(e)) => return Err(e),
            Err(_) => None,
        },
        Audience::Contacts(_) => None,
    };
    let mut zones: std::collections::BTreeMap<String, u64> = Default::default();
    let default_zone = || rules.default_time_zone.clone();
    if let Some(f) = filter {
        for (zone, n) in store.reachable_by_zone(&f, now)? {
            *zones.entry(zone.unwrap_or_else(default_zone)).or_default() += n;
        }
    } else if let Audience::Contacts(list) = &campaign.spec.audience {
        let mut seen = std::collections::HashSet::new();
        for entry in list {
            let contact = match entry {
                ContactRef::Id(id) => store.contact(&ContactKey::Id(*id))?,
                ContactRef::Phone(p) => match crate::phone::Msisdn::parse(p, rules.region) {
                    Ok(n) => store.contact(&ContactKey::Phone(n.as_str().to_string()))?,
                    Err(_) => None,
                },
            };
            let Some(c) = contact else { continue };
            if !seen.insert(c.phone.clone()) || super::start::exclusion(&c).is_some() {
                continue;
            }
            let zone = c
                .time_zone
                .filter(|z| z.parse::<Tz>().is_ok())
                .unwrap_or_else(default_zone);
            *zones.entry(zone).or_default() += 1;
        }
    }
    let share = campaign.spec.ab_test.as_ref().map(|ab| ab.test_share);
    let mut groups = Vec::new();
    for (zone, n) in zones {
        let test = share.map_or(n, |s| ((n as f64) * s).round() as u64).min(n);
        groups.push(Left {
            zone: zone.clone(),
            count: test,
            not_before: None,
            waits_decision: false,
        });
        groups.push(Left {
            zone,
            count: n - test,
            not_before: None,
            waits_decision: true,
        });
    }
    Ok(estimate_groups(&groups, campaign, sims, rules, now))
}

/// The estimate for `campaign` at `now` with `sims`: its recipients still
/// to send (pending, or queued and not yet handed to a SIM) per zone and
/// when they may go, read from the store; see [`model`]. A pending
/// recipient not yet deferred whose number already had marketing messages
/// inside the campaign's frequency cap waits until the cap frees it, as
/// the feed would defer it; the summary says how many the cap holds.
pub fn estimate(
    store: &Store,
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Result<Eta, StoreError> {
    const WEEK: i64 = 7 * 86_400_000;
    let mut groups = store.campaign_left(campaign.id, now)?;
    let mut held: u64 = groups
        .iter()
        .filter(|g| g.not_before.is_some())
        .map(|g| g.count)
        .sum();
    // Numbers over the cap by earlier marketing: one fewer free, one more
    // held until the cap frees it.
    let cap = super::feed::cap_of(&campaign.spec, rules);
    let mut times: std::collections::HashMap<String, (String, bool, Vec<i64>)> = Default::default();
    for (zone, waits, phone, at) in store.campaign_left_marketing_history(campaign.id, now, now - WEEK)? {
        times
            .entry(phone)
            .or_insert_with(|| (zone, waits, Vec::new()))
            .2
            .push(at);
    }
    let mut extra: Vec<Left> = Vec::new();
    for (zone, waits, list) in times.into_values() {
        let Some(until) = super::feed::cap_frees_at(&list, cap, now) else {
            continue;
        };
        let Some(free) = groups
            .iter_mut()
            .find(|g| g.zone == zone && g.waits_decision == waits && g.not_before.is_none() && g.count > 0)
        else {
            continue;
        };
        free.count -= 1;
        held += 1;
        extra.push(Left {
            zone,
            count: 1,
            not_before: Some(ceil_to(until, 60_000)),
            waits_decision: waits,
        });
    }
    groups.extend(extra);
    let mut eta = estimate_groups(&groups, campaign, sims, rules, now);
    if held > 0 && eta.remaining > 0 {
        eta.summary.push_str(&format!(
            "; {} {} held by the frequency cap",
            thousands(held),
            if held == 1 { "is" } else { "are" }
        ));
    }
    Ok(eta)
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

    /// A SIM that sends one message every `secs` seconds, with no limit.
    fn sim(secs: f64) -> SimCapacity {
        SimCapacity {
            imsi: "001".into(),
            ready: true,
            mean_send_secs: Some(secs),
            ..SimCapacity::default()
        }
    }

    fn run(zones: &[(Tz, u64)], sims: &[SimCapacity], from: &str, deadline: &str) -> Eta {
        let zones: Vec<(Tz, u64, i64)> = zones.iter().map(|&(z, n)| (z, n, 0)).collect();
        model(&Model {
            zones: &zones,
            sims,
            window: Window::default(),
            from: ms(from),
            deadline: ms(deadline),
            rate_per_hour: None,
            segments_per_message: 1,
            quota_zone: Some(Tz::UTC),
        })
    }

    #[test]
    fn latency_binds_a_sim_without_limits() {
        // One SIM at 6 s per message: 600 an hour. 09:00–20:00 UTC.
        // 1,000 recipients from 09:00: 1 h 40 min, the last at 10:40.
        let e = run(
            &[(Tz::UTC, 1000)],
            &[sim(6.0)],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(
            (e.remaining, e.sendable_before_deadline, e.would_expire),
            (1000, 1000, 0)
        );
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T10:40:00Z")));
        assert_eq!(e.limited_by.as_deref(), Some("send_time"));
        assert_eq!(
            e.summary,
            "1,000 of 1,000 can be sent before the deadline with 1 SIM; the last at 2026-12-01T10:40:00.000Z"
        );
        // 10,000 in 11 h at 600/h: 6,600 go, 3,400 expire.
        let e = run(
            &[(Tz::UTC, 10_000)],
            &[
                sim(6.0),
                SimCapacity {
                    ready: false,
                    ..sim(1.0)
                },
            ],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(
            (e.sendable_before_deadline, e.would_expire, e.sims),
            (6600, 3400, 1)
        );
        assert_eq!(
            e.summary,
            "6,600 of 10,000 can be sent before the deadline with 1 SIM; 3,400 would expire"
        );
        assert_eq!(e.finish_at, None);
    }

    #[test]
    fn a_drain_shorter_than_a_step_still_names_what_binds() {
        // Two SIMs at 1 s: 30 recipients take 15 s.
        let e = run(
            &[(Tz::UTC, 30)],
            &[sim(1.0), sim(1.0)],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T09:00:15Z")));
        assert_eq!(e.limited_by.as_deref(), Some("send_time"));
    }

    #[test]
    fn zones_whose_windows_do_not_overlap_are_served_one_after_the_other() {
        // Vladivostok (UTC+10) is open 23:00–10:00 UTC, São Paulo (UTC−3)
        // 12:00–23:00 UTC. From 08:00 UTC to 14:00 UTC with one SIM at
        // 600/h: Vladivostok gets 2 h (1,200 of 2,000), São Paulo 2 h
        // (1,200 of 2,000): 2,400 of 4,000.
        let zones = [(tz("Asia/Vladivostok"), 2000), (tz("America/Sao_Paulo"), 2000)];
        let e = run(
            &zones,
            &[sim(6.0)],
            "2026-12-01T08:00:00Z",
            "2026-12-01T14:00:00Z",
        );
        assert_eq!((e.sendable_before_deadline, e.would_expire), (2400, 1600));
        // Until 23:00 UTC São Paulo's window holds all of it: 1,200 +
        // 2,000, and Vladivostok opens again at 23:00 for the rest: 800
        // more by 23:00 + 80 min.
        let e = run(
            &zones,
            &[sim(6.0)],
            "2026-12-01T08:00:00Z",
            "2026-12-02T08:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 4000);
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-02T00:20:00Z")));
        // Closed windows (10:00–12:00, 15:20–23:00) held it longer than sending did.
        assert_eq!(e.limited_by.as_deref(), Some("windows"));
    }

    #[test]
    fn a_daily_limit_binds_until_midnight() {
        // Two SIMs at 1 s per message but 500 segments a day each, 300
        // left today: 600 today, then 1,000 tomorrow from 09:00 (the
        // window), at 2 per second: 2,000 recipients need until
        // tomorrow 09:00 + 400/2 s = 09:03:20.
        let s = SimCapacity {
            daily_left: Some(300),
            daily_limit: Some(500),
            ..sim(1.0)
        };
        let zones = [(Tz::UTC, 2000)];
        let e = run(
            &zones,
            &[s.clone(), s.clone()],
            "2026-12-01T10:00:00Z",
            "2026-12-02T20:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 1600);
        assert_eq!(e.would_expire, 400);
        assert_eq!(e.limited_by.as_deref(), Some("daily_limit"));
        // With a warm-up ramp tomorrow's limit is 400 instead: 600 + 800.
        let w = SimCapacity {
            warm_up_ahead: vec![400],
            ..s.clone()
        };
        let e = run(
            &zones,
            &[w.clone(), w],
            "2026-12-01T10:00:00Z",
            "2026-12-02T20:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 1400);
        // Three days: 600 + 1,000 + 400 (the last at 09:03:20 on day 3).
        let e = run(
            &zones,
            &[s.clone(), s],
            "2026-12-01T10:00:00Z",
            "2026-12-03T20:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 2000);
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-03T09:03:20Z")));
    }

    #[test]
    fn per_minute_and_segments_bind() {
        // 4 SIMs at 6 per minute, 2-segment messages: 3 messages a minute
        // each, 12 a minute, 720 an hour. 1,800 take 2 h 30 min.
        let s = SimCapacity {
            per_minute: Some(6),
            ..sim(1.0)
        };
        let e = model(&Model {
            zones: &[(Tz::UTC, 1800, 0)],
            sims: &[s.clone(), s.clone(), s.clone(), s],
            window: Window::default(),
            from: ms("2026-12-01T09:00:00Z"),
            deadline: ms("2026-12-01T20:00:00Z"),
            rate_per_hour: None,
            segments_per_message: 2,
            quota_zone: Some(Tz::UTC),
        });
        assert_eq!(e.sendable_before_deadline, 1800);
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T11:30:00Z")));
        assert_eq!(e.limited_by.as_deref(), Some("per_minute"));
        assert_eq!(e.sims, 4);
        assert!(e.summary.contains("with 4 SIMs"), "{}", e.summary);
    }

    #[test]
    fn the_campaigns_rate_binds() {
        // Two fast SIMs, but 1,000 an hour: from 19:00 to 20:00 UTC only
        // 1,000 of 1,500 go before the window closes.
        let e = model(&Model {
            zones: &[(Tz::UTC, 1500, 0)],
            sims: &[sim(1.0), sim(1.0)],
            window: Window::default(),
            from: ms("2026-12-01T19:00:00Z"),
            deadline: ms("2026-12-01T20:30:00Z"),
            rate_per_hour: Some(1000),
            segments_per_message: 1,
            quota_zone: Some(Tz::UTC),
        });
        assert_eq!((e.sendable_before_deadline, e.would_expire), (1000, 500));
        assert_eq!(e.limited_by.as_deref(), Some("rate_per_hour"));
    }

    #[test]
    fn monthly_and_unique_budgets_bind_until_the_month_turns() {
        // One SIM with 100 new recipients left this month (250 next), 1 s
        // per message, from 30 Nov 10:00 to 1 Dec 20:00: 100 on the 30th,
        // 250 on the 1st.
        let s = SimCapacity {
            unique_left: Some(100),
            unique_limit: Some(250),
            ..sim(1.0)
        };
        let e = run(
            &[(Tz::UTC, 1000)],
            &[s],
            "2026-11-30T10:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 350);
        assert_eq!(e.limited_by.as_deref(), Some("unique_recipients"));
        let s = SimCapacity {
            monthly_left: Some(50),
            ..sim(1.0)
        };
        let e = run(
            &[(Tz::UTC, 1000)],
            &[s],
            "2026-11-30T10:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(e.sendable_before_deadline, 1000, "no monthly limit next month");
    }

    #[test]
    fn held_groups_wait_until_available_or_expire() {
        // One SIM at 6 s (600 an hour), window 09:00–20:00 UTC. 600 may go
        // at once (09:00–10:00), 300 only from 12:00 (12:00–12:30), 100
        // only from 21:00, after the window and the deadline: they expire.
        let groups = [
            (Tz::UTC, 600, 0),
            (Tz::UTC, 300, ms("2026-12-01T12:00:00Z")),
            (Tz::UTC, 100, ms("2026-12-01T21:00:00Z")),
        ];
        let m = |groups: &[(Tz, u64, i64)]| {
            model(&Model {
                zones: groups,
                sims: &[sim(6.0)],
                window: Window::default(),
                from: ms("2026-12-01T09:00:00Z"),
                deadline: ms("2026-12-01T20:00:00Z"),
                rate_per_hour: None,
                segments_per_message: 1,
                quota_zone: Some(Tz::UTC),
            })
        };
        let e = m(&groups);
        assert_eq!(
            (e.remaining, e.sendable_before_deadline, e.would_expire),
            (1000, 900, 100)
        );
        let e = m(&groups[..2]);
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T12:30:00Z")));
        // Waiting 10:00–12:00 (2 h) held it back longer than sending (1.5 h).
        assert_eq!(e.limited_by.as_deref(), Some("held"));
        // Held until 19:50: 100 of the 300 go before the window closes.
        let e = m(&[(Tz::UTC, 600, 0), (Tz::UTC, 300, ms("2026-12-01T19:50:00Z"))]);
        assert_eq!((e.sendable_before_deadline, e.would_expire), (700, 200));
        // A group held until a window that is closed then waits for both:
        // São Paulo's opens at 12:00 UTC; held until 11:00, they go at 12:00.
        let e = m(&[(tz("America/Sao_Paulo"), 60, ms("2026-12-01T11:00:00Z"))]);
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T12:06:00Z")));
    }

    #[test]
    fn only_sims_that_can_take_new_recipients_are_counted() {
        // Two ready SIMs at 1 s, but one has no new recipient left this
        // month (the month does not turn before the deadline): 10 go in
        // 10 s on the other one.
        let full = SimCapacity {
            unique_left: Some(0),
            unique_limit: Some(250),
            ..sim(1.0)
        };
        let e = run(
            &[(Tz::UTC, 10)],
            &[sim(1.0), full.clone()],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(e.finish_at_ms, Some(ms("2026-12-01T09:00:10Z")));
        assert_eq!(e.sims, 1);
        assert_eq!(
            e.summary,
            "10 of 10 can be sent before the deadline with 1 SIM (1 more is ready but can send none of them before the deadline: unique_recipients); the last at 2026-12-01T09:00:10.000Z"
        );
        // Only that one: none can go.
        let e = run(
            &[(Tz::UTC, 10)],
            &[full],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!((e.sendable_before_deadline, e.sims), (0, 0));
        assert_eq!(
            e.summary,
            "none of 10 can be sent before the deadline: the 1 ready SIM can send none of them (unique_recipients); 10 would expire"
        );
    }

    #[test]
    fn nothing_left_or_no_sim() {
        let e = run(&[], &[sim(1.0)], "2026-12-01T09:00:00Z", "2026-12-01T20:00:00Z");
        assert_eq!((e.remaining, e.sendable_before_deadline), (0, 0));
        assert_eq!(e.summary, "nothing left to send");
        let e = run(
            &[(Tz::UTC, 20_000)],
            &[],
            "2026-12-01T09:00:00Z",
            "2026-12-01T20:00:00Z",
        );
        assert_eq!(
            (e.sendable_before_deadline, e.would_expire, e.sims),
            (0, 20_000, 0)
        );
        assert!(e.summary.starts_with("no SIM is ready"), "{}", e.summary);
        assert_eq!(thousands(18_400), "18,400");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_far_deadline_is_cut_and_still_quick() {
        let started = std::time::Instant::now();
        let zones: Vec<(Tz, u64)> = [
            "Asia/Vladivostok",
            "Europe/Kaliningrad",
            "America/Sao_Paulo",
            "UTC",
        ]
        .iter()
        .map(|z| (tz(z), 1_000_000))
        .collect();
        let s = SimCapacity {
            daily_limit: Some(100),
            daily_left: Some(100),
            ..sim(5.0)
        };
        let e = run(&zones, &[s], "2026-12-01T09:00:00Z", "2028-12-01T09:00:00Z");
        // 100 a (UTC) day over the 92 days simulated, 09:00 1 Dec to
        // 09:00 3 Mar, which touch 93 days: on 3 Mar Vladivostok's window
        // (23:00–10:00 UTC) is open from midnight.
        assert_eq!(e.sendable_before_deadline, 9_300);
        assert_eq!(e.would_expire, 4_000_000 - 9_300);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_store_wrapper_counts_what_is_left_per_zone() {
        let store = Store::open_in_memory().unwrap();
        let input: super::super::CampaignInput = serde_json::from_value(serde_json::json!({
            "name": "sale", "audience": {"contacts": ["+491510000001"]},
            "variants": [{"text": "Sale today"}], "rate_per_hour": 100,
            "window": {"start": "09:00", "end": "20:00"}
        }))
        .unwrap();
        let row = store.create_campaign(&input.check().unwrap(), 0).unwrap();
        let rec = |i: usize, zone: &str, excluded: bool| crate::store::NewRecipient {
            contact_id: None,
            phone: format!("+49151000{i:04}"),
            time_zone: zone.into(),
            variant: Some("A".into()),
            phase: "all",
            excluded: excluded.then(|| ("no_consent", "no consent".to_string())),
        };
        let mut recipients: Vec<_> = (0..30).map(|i| rec(i, "Europe/Berlin", false)).collect();
        recipients.extend((30..50).map(|i| rec(i, "Asia/Vladivostok", false)));
        recipients.push(rec(50, "UTC", true));
        let from = ms("2026-12-01T09:00:00Z");
        let row = store
            .start_campaign(row.id, &recipients, from, from + 2 * 3_600_000, 0)
            .unwrap();
        assert_eq!(
            store.campaign_left_by_zone(row.id).unwrap(),
            [
                ("Asia/Vladivostok".to_string(), 20),
                ("Europe/Berlin".to_string(), 30)
            ]
        );
        // 100 an hour for 2 h; Berlin is open (10:00 local), Vladivostok
        // too (19:00 local) but only for its first hour: 50 all the same.
        let rules = super::super::CampaignRules::defaults(crate::phone::Region::default());
        let e = estimate(&store, &row, &[sim(1.0)], &rules, from).unwrap();
        assert_eq!((e.remaining, e.sendable_before_deadline, e.sims), (50, 50, 1));
        assert_eq!(e.limited_by.as_deref(), Some("rate_per_hour"));
        // 30 minutes in: 50 at 100/h.
        assert_eq!(e.finish_at_ms, Some(from + 30 * 60_000));
        // A draft's preview: counts given, start and deadline by default.
        let draft = store.create_campaign(&input.check().unwrap(), 0).unwrap();
        let e = estimate_counts(
            &[("Europe/Berlin".into(), 500)],
            &draft,
            &[sim(1.0)],
            &rules,
            from,
        );
        assert_eq!(e.remaining, 500);
        assert_eq!(
            e.deadline,
            Some(crate::store::rfc3339(
                from + i64::from(rules.deadline_hours) * 3_600_000
            ))
        );
    }
}
