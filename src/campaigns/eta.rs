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
    /// SIMs counted (ready to send).
    pub sims: u32,
    /// When the last would be sent (RFC 3339), if all can be.
    pub finish_at: Option<String>,
    /// In words: "18,400 of 20,000 can be sent before the deadline with 4 SIMs; 1,600 would expire".
    pub summary: String,
    /// What holds the pace back most of the time: `windows` (recipients'
    /// windows closed), `rate_per_hour`, `send_time`, `per_minute`,
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
    /// Recipients left per zone.
    pub zones: &'a [(Tz, u64)],
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
            Bound::Rate => "rate_per_hour",
            Bound::SendTime => "send_time",
            Bound::PerMinute => "per_minute",
            Bound::Daily => "daily_limit",
            Bound::Monthly => "monthly_limit",
            Bound::Unique => "unique_recipients",
        }
    }
}

const BOUNDS: [Bound; 7] = [
    Bound::Windows,
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

/// A zone's window state and when it next changes.
struct ZoneState {
    tz: Tz,
    left: f64,
    open: bool,
    until: i64,
}

impl ZoneState {
    fn refresh(&mut self, window: &Window, at: i64, horizon: i64) {
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
    let remaining: u64 = m.zones.iter().map(|(_, n)| n).sum();
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
        .filter(|(_, n)| *n > 0)
        .map(|&(tz, n)| ZoneState {
            tz,
            left: n as f64,
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
                weight[idx(Bound::Windows)] += span * sims.len() as f64;
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
    let summary = summary(remaining, sendable, ready, finish_at.as_deref());
    Eta {
        remaining,
        sendable_before_deadline: sendable,
        would_expire,
        sims: ready,
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

fn summary(remaining: u64, sendable: u64, sims: u32, finish: Option<&str>) -> String {
    let with = if sims == 1 {
        "1 SIM".to_string()
    } else {
        format!("{sims} SIMs")
    };
    if remaining == 0 {
        return "nothing left to send".into();
    }
    if sims == 0 {
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

/// The estimate for `campaign` at `now` with `sims`, given the recipients
/// left per zone (IANA names; one that is not read as the rules' default
/// zone). For a draft, `zones` may be the audience's count in the default
/// zone (the API's preview); the window, start and deadline default as
/// [`super::start`] would fix them.
pub fn estimate_counts(
    zones: &[(String, u64)],
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Eta {
    let default_tz: Tz = rules.default_time_zone.parse().unwrap_or(Tz::UTC);
    let zones: Vec<(Tz, u64)> = zones
        .iter()
        .map(|(name, n)| (name.parse().unwrap_or(default_tz), *n))
        .collect();
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

/// The estimate for `campaign` at `now` with `sims`: its recipients still
/// to send (pending, or queued and not yet handed to a SIM) per zone, read
/// from the store; see [`model`].
pub fn estimate(
    store: &Store,
    campaign: &CampaignRow,
    sims: &[SimCapacity],
    rules: &super::CampaignRules,
    now: i64,
) -> Result<Eta, StoreError> {
    let zones = store.campaign_left_by_zone(campaign.id)?;
    Ok(estimate_counts(&zones, campaign, sims, rules, now))
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
        model(&Model {
            zones,
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
            zones: &[(Tz::UTC, 1800)],
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
            zones: &[(Tz::UTC, 1500)],
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
