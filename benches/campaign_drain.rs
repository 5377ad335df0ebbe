//! Campaign drain through 16 simulated modems (in process, the real store
//! on disk, the real dispatcher and driver): `cargo bench --bench
//! campaign_drain`.
//!
//! Half the SIMs have a daily limit (`DAILY`), half none; each simulated
//! network takes `LATENCY_MS` to accept a send. After a warm-up of
//! transactional sends (which measures the send time and uses some of the
//! limited SIMs' day), a campaign of `MESSAGES` recipients (window open
//! all day) is started and drained: the engine feeds it round by round as
//! SIMs free up, as the daemon does. Figures (from the start):
//!
//! 1. drain time against the ideal given the limits: every SIM sends one
//!    message per `LATENCY_MS` until its daily budget is spent, the others
//!    take the rest (the issue asks ≤ 1.03 × ideal);
//! 2. the ETA the capacity model (`campaigns::eta`) predicted from
//!    `Dispatcher::sim_capacities` before the drain, against the measured
//!    finish (the issue asks within 10 %).
//!
//! `DRAIN_MESSAGES=<n>` and `DRAIN_LATENCY_MS=<ms>` change the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use simfleet::campaigns::eta::{Model, model};
use simfleet::campaigns::{CampaignInput, CampaignRules, Window, lifecycle};
use simfleet::contacts::{Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{DispatchConfig, Dispatcher, SimPolicy, SystemClock};
use simfleet::modem::{self, ModemConfig, ModemState, actor::wait_for};
use simfleet::phone::Msisdn;
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{Faults, Ledger, SimModem};
use simfleet::sim::profile::SimProfile;
use simfleet::sms::Encoding;
use simfleet::store::{NewMessage, Store};

const MODEMS: usize = 16;
const DAILY: u32 = 100;
const WARM_UP_SENDS: usize = 64;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn msg(to: &str) -> NewMessage {
    NewMessage {
        recipient: Msisdn::from_canonical(to),
        text: "Sale today: 20% off everything in store".into(),
        encoding: Encoding::Gsm7,
        segments: 1,
        status_report: false,
        send_at: None,
        expires_at: None,
        kind: None,
        category: Default::default(),
        idempotency_key: None,
        request_hash: String::new(),
    }
}

/// The earliest time (s) by which SIMs with `budgets` (messages, `None`
/// unlimited), each sending one message per `latency` s, send `n` in all.
fn ideal_secs(budgets: &[Option<u64>], latency: f64, n: u64) -> f64 {
    let sent_by = |t: f64| -> f64 {
        budgets
            .iter()
            .map(|b| {
                let k = (t / latency).floor();
                b.map_or(k, |b| k.min(b as f64))
            })
            .sum()
    };
    let (mut lo, mut hi) = (0.0, latency * n as f64 + latency);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if sent_by(mid) >= n as f64 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

async fn wait_sent(ledger: &Ledger, n: usize, limit: Duration) {
    let start = Instant::now();
    while ledger.entries().len() < n {
        assert!(
            start.elapsed() < limit,
            "only {} of {n} sent",
            ledger.entries().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run() {
    let messages = env("DRAIN_MESSAGES", 2400);
    let latency_ms = env("DRAIN_LATENCY_MS", 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path).expect("store");
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).expect("dispatcher");
    let ledger = Arc::new(Ledger::default());
    let mut budgets = Vec::new();
    for i in 0..MODEMS {
        let sim = Arc::new(SimModem::new(
            i,
            SimProfile::for_index(i),
            Duration::from_millis(latency_ms),
            ledger.clone(),
        ));
        sim.set_faults(Faults {
            noise: false,
            ..Faults::default()
        });
        let handle = modem::spawn(InProcessConnector::new(sim), ModemConfig::default(), None);
        assert!(wait_for(&handle, Duration::from_secs(30), |s| s.state == ModemState::Ready).await);
        let policy = SimPolicy {
            daily_limit: (i % 2 == 0).then_some(DAILY),
            ..SimPolicy::default()
        };
        dispatcher.add_modem(handle, policy);
        budgets.push(policy.daily_limit);
    }
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(dispatcher.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));

    // Warm-up: transactional sends measure the send time.
    let now = || chrono::Utc::now().timestamp_millis();
    for i in 0..WARM_UP_SENDS {
        store
            .enqueue(&msg(&format!("+7915{i:07}")), now())
            .expect("enqueue");
    }
    dispatcher.wake();
    wait_sent(&ledger, WARM_UP_SENDS, Duration::from_secs(60)).await;
    while store
        .status_counts()
        .expect("counts")
        .iter()
        .any(|(s, n)| s.as_str() == "sending" && *n > 0)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // What the capacity model predicts for the campaign, from what the
    // dispatcher reports now.
    let sims = dispatcher.sim_capacities();
    let budgets_left: Vec<Option<u64>> = sims.iter().map(|s| s.daily_left).collect();
    let from = now();
    let always = Window {
        start: chrono::NaiveTime::MIN,
        end: chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(chrono::NaiveTime::MIN),
        days: [true; 7],
    };
    let zones = [(chrono_tz::Tz::UTC, messages, 0)];
    let eta = model(&Model {
        zones: &zones,
        sims: &sims,
        window: always,
        from,
        deadline: from + 3_600_000,
        rate_per_hour: None,
        segments_per_message: 1,
        quota_zone: None,
    });
    let mean = sims.first().and_then(|s| s.mean_send_secs).unwrap_or_default();

    // The campaign: `messages` contacts who opted in, a window open all
    // day and a cap one campaign cannot reach, started and fed by the
    // engine round by round (as many as the SIMs free can take).
    store
        .write(now(), |tx| {
            for i in 0..messages {
                let ch = ContactChanges {
                    time_zone: Some(Some("UTC".into())),
                    tags: Some(vec!["drain".into()]),
                    consent: Some(Consent {
                        status: ConsentStatus::OptedIn,
                        evidence: Some("bench".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                tx.upsert_contact(&format!("+7914{i:07}"), &ch, None)?;
            }
            Ok::<_, simfleet::store::ContactError>(())
        })
        .expect("contacts");
    let input: CampaignInput = serde_json::from_value(serde_json::json!({
        "name": "drain",
        "audience": {"filter": {"tag": "drain"}},
        "variants": [{"text": "Sale today: 20% off everything in store"}],
        "window": {"start": "00:00", "end": "24:00"},
        "frequency_cap": {"per_24h": 5, "per_7d": 10},
        "status_report": false,
    }))
    .expect("request");
    let spec = input.check().expect("checks");
    let row = store.create_campaign(&spec, now()).expect("create");
    let rules = CampaignRules::defaults(simfleet::phone::Region::default());
    let t0 = chrono::Utc::now();
    lifecycle::start(&store, row.id, &rules, now()).expect("start");
    dispatcher.wake();
    let total = WARM_UP_SENDS + messages as usize;
    wait_sent(&ledger, total, Duration::from_secs(3600)).await;
    let entries = ledger.entries();
    let last = entries.iter().map(|e| e.at).max().unwrap_or(t0);
    let measured = (last - t0).num_milliseconds() as f64 / 1000.0;
    let ideal = ideal_secs(&budgets_left, latency_ms as f64 / 1000.0, messages);
    let predicted = eta.finish_at_ms.map(|f| (f - from) as f64 / 1000.0);
    println!(
        "campaign_drain: a campaign of {messages} recipients fed by the engine over {MODEMS} simulated modems ({} with daily_limit {DAILY}, {latency_ms} ms a send)",
        MODEMS / 2
    );
    println!(
        "  daily budgets left after the warm-up: {:?}",
        budgets_left
            .iter()
            .map(|b| b.map_or(-1, |v| v as i64))
            .collect::<Vec<_>>()
    );
    println!(
        "  drain {measured:.2} s, ideal {ideal:.2} s: {:.3} × ideal (issue: ≤ 1.03)",
        measured / ideal
    );
    match predicted {
        Some(p) => println!(
            "  ETA predicted {p:.2} s (mean send {mean:.3} s measured in the warm-up; limited by {}): measured/predicted {:.3} (issue: within 10 %)",
            eta.limited_by.as_deref().unwrap_or("-"),
            measured / p
        ),
        None => println!("  ETA predicted no finish: {}", eta.summary),
    }
    println!("  summary: {}", eta.summary);
    // Where the time goes, per modem, over the campaign's sends: the
    // gateway's turnaround (answer → next AT+CMGS) and the simulated
    // modem's own time from AT+CMGS to accepting the PDU.
    let latency = latency_ms as f64 / 1000.0;
    let secs = |d: chrono::TimeDelta| d.num_microseconds().unwrap_or(0) as f64 / 1e6;
    let (mut turnaround, mut at_time) = (Vec::new(), Vec::new());
    for m in 0..MODEMS {
        let mut mine: Vec<_> = entries
            .iter()
            .filter(|e| e.modem == m && e.command_at >= t0)
            .collect();
        mine.sort_by_key(|e| e.command_at);
        for w in mine.windows(2) {
            turnaround.push((secs(w[1].command_at - w[0].at) - latency) * 1000.0);
        }
        at_time.extend(mine.iter().map(|e| secs(e.at - e.command_at) * 1000.0));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    println!(
        "  median gateway turnaround {:.2} ms (answer to next AT+CMGS), AT+CMGS to PDU accepted {:.2} ms; load average {}",
        median(&mut turnaround),
        median(&mut at_time),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}
