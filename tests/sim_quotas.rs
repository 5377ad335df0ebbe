//! SIM quotas operators impose beyond a day's segments — `monthly_limit`,
//! `unique_recipients_per_month`, `warm_up` — with the real store and driver
//! against simulated modems (in process) on an injected clock, and as the
//! API shows them (the real binary over `simfleet sim`).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Local, NaiveDate, TimeZone};
use serde_json::json;
use simfleet::dispatch::limits::WarmUp;
use simfleet::dispatch::{Clock, DispatchConfig, Dispatcher, ManualClock, SimPolicy};
use simfleet::modem::{self, ModemConfig, ModemState, actor::wait_for};
use simfleet::phone::Msisdn;
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{Faults, Ledger, SimModem};
use simfleet::sim::profile::SimProfile;
use simfleet::sms::Encoding;
use simfleet::store::{NewMessage, Status, Store};

/// Local noon on `date` (`YYYY-MM-DD`), unix ms: the dispatcher counts
/// days and months on the gateway's clock.
fn local_noon(date: &str) -> i64 {
    let d: NaiveDate = date.parse().unwrap();
    Local
        .from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp_millis()
}

struct Rig {
    store: Store,
    clock: Arc<ManualClock>,
    dispatcher: Dispatcher,
    ledger: Arc<Ledger>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn modems(n: usize, ledger: &Arc<Ledger>) -> Vec<modem::ModemHandle> {
    modems_with(n, ledger, Faults::default()).await
}

async fn modems_with(n: usize, ledger: &Arc<Ledger>, faults: Faults) -> Vec<modem::ModemHandle> {
    let mut handles = Vec::new();
    for i in 0..n {
        let sim = Arc::new(SimModem::new(
            i,
            SimProfile::for_index(i),
            Duration::from_millis(2),
            ledger.clone(),
        ));
        sim.set_faults(Faults {
            noise: false,
            ..faults.clone()
        });
        let handle = modem::spawn(
            InProcessConnector::new(sim),
            ModemConfig {
                send_timeout: Duration::from_millis(500),
                health_interval: Duration::from_millis(500),
                backoff: (Duration::from_millis(50), Duration::from_millis(200)),
                ..ModemConfig::default()
            },
            None,
        );
        assert!(wait_for(&handle, Duration::from_secs(10), |s| s.state == ModemState::Ready).await);
        handles.push(handle);
    }
    handles
}

/// A dispatcher over `store` at `clock` with `handles` under `policies`.
async fn rig_over(
    store: Store,
    clock: Arc<ManualClock>,
    handles: Vec<modem::ModemHandle>,
    ledger: Arc<Ledger>,
    policies: &[SimPolicy],
) -> Rig {
    let dispatcher = Dispatcher::new(store.clone(), clock.clone(), DispatchConfig::default()).unwrap();
    for (h, p) in handles.iter().zip(policies) {
        dispatcher.add_modem(h.clone(), *p);
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(dispatcher.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(2),
    ));
    let rig = Rig {
        store,
        clock,
        dispatcher,
        ledger,
        _stop: stop,
    };
    // Every SIM recorded (its first day is the clock's today).
    let deadline = Instant::now() + Duration::from_secs(10);
    while rig.store.sims().unwrap().len() < policies.len() {
        assert!(Instant::now() < deadline, "SIMs not recorded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    rig
}

async fn rig(policies: &[SimPolicy], at: i64) -> Rig {
    let ledger = Arc::new(Ledger::default());
    let handles = modems(policies.len(), &ledger).await;
    rig_over(
        Store::open_in_memory().unwrap(),
        Arc::new(ManualClock::at(at)),
        handles,
        ledger,
        policies,
    )
    .await
}

fn msg(to: &str) -> NewMessage {
    NewMessage {
        recipient: Msisdn::from_canonical(to),
        text: "hi".into(),
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

impl Rig {
    fn enqueue(&self, to: &str) -> i64 {
        let id = self.store.enqueue(&msg(to), self.clock.now_ms()).unwrap().id;
        self.dispatcher.wake();
        id
    }

    fn status(&self, id: i64) -> Status {
        self.store.message(id).unwrap().unwrap().0.status
    }

    /// Waits until no message is being sent and `sent` are sent, then a
    /// little more to see that nothing else goes.
    async fn quiet(&self, sent: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let counts = self.store.status_counts().unwrap();
            let n = |s: &str| {
                counts
                    .iter()
                    .find(|(k, _)| k.as_str() == s)
                    .map_or(0, |(_, n)| *n)
            };
            if n("sent") as usize >= sent && n("sending") == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "not settled: {counts:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    /// Waits until nothing has been sending for half a second (bounded).
    async fn idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut quiet_since = Instant::now();
        while quiet_since.elapsed() < Duration::from_millis(500) {
            let counts = self.store.status_counts().unwrap();
            if counts.iter().any(|(k, n)| k.as_str() == "sending" && *n > 0) {
                quiet_since = Instant::now();
            }
            assert!(Instant::now() < deadline, "still sending: {counts:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Moves the clock to `ms` and lets the dispatcher look.
    fn set_clock(&self, ms: i64) {
        self.clock.advance(ms - self.clock.now_ms());
        self.dispatcher.wake();
    }

    /// Recipients each simulated modem texted.
    fn recipients_by_modem(&self) -> HashMap<usize, Vec<String>> {
        let mut out: HashMap<usize, Vec<String>> = HashMap::new();
        for e in self.ledger.entries() {
            out.entry(e.modem).or_default().push(e.recipient.clone());
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_limit_stops_a_sim_until_the_month_turns_and_it_resumes_after() {
    let policy = SimPolicy {
        monthly_limit: Some(3),
        ..SimPolicy::default()
    };
    let r = rig(&[policy], local_noon("2026-11-30")).await;
    let ids: Vec<i64> = (0..5).map(|i| r.enqueue(&format!("+7916300{i:04}"))).collect();
    r.quiet(3).await;
    assert_eq!(r.ledger.entries().len(), 3);
    assert_eq!(
        ids.iter().filter(|&&id| r.status(id) == Status::Queued).count(),
        2
    );
    let view = &r.dispatcher.modems()[0];
    assert_eq!(view.state, "cooling_down");
    assert_eq!(view.quota.monthly_left, Some(0));
    assert!(
        view.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("monthly limit"),
        "{view:?}"
    );
    // No polling: the dispatcher's next look is when the month turns.
    let month_start = r.clock.next_month_start(r.clock.now_ms());
    assert_eq!(month_start, local_noon("2026-12-01") - 12 * 3_600_000);
    assert_eq!(r.dispatcher.dispatch_once().unwrap(), Some(month_start));
    // A day later (still November) nothing more goes; on 1 December it does.
    r.set_clock(month_start - 60_000);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.ledger.entries().len(), 3);
    r.set_clock(month_start);
    r.quiet(5).await;
    assert!(ids.iter().all(|&id| r.status(id) == Status::Sent));
    assert_eq!(r.dispatcher.modems()[0].quota.monthly_left, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_numbers_go_to_other_sims_at_the_recipient_limit_and_known_ones_still_go_through_it() {
    let limited = SimPolicy {
        unique_recipients_per_month: Some(2),
        ..SimPolicy::default()
    };
    let ledger = Arc::new(Ledger::default());
    let handles = modems(2, &ledger).await;
    let store = Store::open_in_memory().unwrap();
    let imsi0 = handles[0].status().info.unwrap().imsi.unwrap();
    let november = local_noon("2026-11-20");
    let old = store.enqueue(&msg(LAST_MONTH), november).unwrap().id;
    store.mark_sent(old, &imsi0, 1, "2026-11-20", november).unwrap();
    let r = rig_over(
        store,
        Arc::new(ManualClock::at(local_noon("2026-12-10"))),
        handles,
        ledger,
        &[limited, SimPolicy::default()],
    )
    .await;
    let ids: Vec<i64> = (0..8).map(|i| r.enqueue(&format!("+7916400{i:04}"))).collect();
    r.quiet(8).await;
    let by_modem = r.recipients_by_modem();
    let first: HashSet<String> = by_modem
        .get(&0)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    assert_eq!(first.len(), 2, "the limited SIM texted {first:?}");
    assert_eq!(by_modem.get(&1).map_or(0, Vec::len), 6);
    let view = &r.dispatcher.modems()[0];
    assert_eq!(view.quota.unique_left, Some(0));
    assert_eq!(view.state, "ready", "it still texts numbers it knows");
    assert!(
        view.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("2 distinct recipients this month reached"),
        "{view:?}"
    );
    // Numbers it knows still go through it (they stick to it), again and again.
    let known: Vec<String> = first.iter().cloned().collect();
    let again: Vec<i64> = (0..4).map(|i| r.enqueue(&known[i % 2])).collect();
    r.quiet(12).await;
    assert!(again.iter().all(|&id| r.status(id) == Status::Sent));
    let by_modem = r.recipients_by_modem();
    assert_eq!(by_modem[&0].len(), 6, "{by_modem:?}");
    let first_now: HashSet<&String> = by_modem[&0].iter().collect();
    assert_eq!(first_now.len(), 2);
    // A number it texted last month sticks to it, but is new this month:
    // it goes through the other SIM rather than wait.
    let moved = r.enqueue(LAST_MONTH);
    r.quiet(13).await;
    assert_eq!(r.status(moved), Status::Sent);
    let through: Vec<usize> = r
        .ledger
        .entries()
        .iter()
        .filter(|e| e.recipient == LAST_MONTH)
        .map(|e| e.modem)
        .collect();
    assert_eq!(through, [1]);
    assert!(ids.iter().all(|&id| r.status(id) == Status::Sent));
}

/// Texted through the limited SIM in November.
const LAST_MONTH: &str = "+79164999999";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_quota_keeps_a_sim_from_its_operators_block() {
    // The simulated operator blocks a SIM that texts a fourth number.
    let faults = Faults {
        block_after_recipients: Some(3),
        ..Faults::default()
    };
    let at = local_noon("2026-12-10");
    let run = |policy: SimPolicy| {
        let faults = faults.clone();
        async move {
            let ledger = Arc::new(Ledger::default());
            let handles = modems_with(1, &ledger, faults).await;
            let r = rig_over(
                Store::open_in_memory().unwrap(),
                Arc::new(ManualClock::at(at)),
                handles,
                ledger,
                &[policy],
            )
            .await;
            let new: Vec<i64> = (0..5).map(|i| r.enqueue(&format!("+7916700{i:04}"))).collect();
            r.quiet(3).await;
            let known = r.enqueue("+79167000000");
            r.idle().await;
            (
                r.status(known),
                new.iter().map(|&id| r.status(id)).collect::<Vec<_>>(),
            )
        }
    };
    // Without the quota the fourth number gets the SIM blocked: even a
    // number it knows is refused after that.
    let (known, _) = run(SimPolicy::default()).await;
    assert_ne!(known, Status::Sent);
    // With it, the SIM stops at three new numbers and keeps texting them.
    let (known, new) = run(SimPolicy {
        unique_recipients_per_month: Some(3),
        ..SimPolicy::default()
    })
    .await;
    assert_eq!(known, Status::Sent);
    assert_eq!(
        new,
        [
            Status::Sent,
            Status::Sent,
            Status::Sent,
            Status::Queued,
            Status::Queued
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_up_ramps_a_new_sims_daily_limit_over_its_first_days() {
    let policy = SimPolicy {
        daily_limit: Some(5),
        warm_up: WarmUp::new(&[1, 3]).unwrap(),
        ..SimPolicy::default()
    };
    let day1 = local_noon("2026-12-07");
    let r = rig(&[policy], day1).await;
    let ids: Vec<i64> = (0..12).map(|i| r.enqueue(&format!("+7916500{i:04}"))).collect();
    r.quiet(1).await;
    assert_eq!(r.ledger.entries().len(), 1, "day 1: 1");
    let v = &r.dispatcher.modems()[0];
    assert_eq!((v.quota.warm_up_day, v.quota.daily_limit), (Some(1), Some(1)));
    // What the campaign estimate is told: none left today, 3 tomorrow, then 5.
    let cap = &r.dispatcher.sim_capacities()[0];
    assert!(cap.ready, "at its daily limit is still ready for tomorrow");
    assert_eq!(
        (cap.daily_left, cap.warm_up_ahead.as_slice(), cap.daily_limit),
        (Some(0), &[3][..], Some(5))
    );
    assert!(cap.mean_send_secs.is_some_and(|s| s > 0.0));
    assert_eq!(
        r.dispatcher.dispatch_once().unwrap(),
        Some(r.clock.next_midnight(day1)),
        "it looks again at midnight"
    );
    r.set_clock(local_noon("2026-12-08"));
    r.quiet(4).await;
    assert_eq!(r.ledger.entries().len(), 4, "day 2: 3 more");
    assert_eq!(r.dispatcher.modems()[0].quota.warm_up_day, Some(2));
    r.set_clock(local_noon("2026-12-09"));
    r.quiet(9).await;
    assert_eq!(r.ledger.entries().len(), 9, "day 3: daily_limit, 5 more");
    let v = &r.dispatcher.modems()[0];
    assert_eq!((v.quota.warm_up_day, v.quota.daily_limit), (None, Some(5)));
    assert_eq!(
        ids.iter().filter(|&&id| r.status(id) == Status::Queued).count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_counters_survive_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let policy = SimPolicy {
        unique_recipients_per_month: Some(2),
        monthly_limit: Some(10),
        ..SimPolicy::default()
    };
    let at = local_noon("2026-12-15");
    let ledger = Arc::new(Ledger::default());
    let handles = modems(1, &ledger).await;
    {
        let r = rig_over(
            Store::open(&path).unwrap(),
            Arc::new(ManualClock::at(at)),
            handles.clone(),
            ledger.clone(),
            &[policy],
        )
        .await;
        r.enqueue("+79166000001");
        r.enqueue("+79166000002");
        r.enqueue("+79166000001");
        r.quiet(3).await;
    }
    // A new gateway over the same file: the month's counts are there.
    let store = Store::open(&path).unwrap();
    let row = store.sims().unwrap().remove(0);
    assert_eq!((row.sent_month, row.recipients_month), (3, 2));
    let r = rig_over(
        store,
        Arc::new(ManualClock::at(at + 3_600_000)),
        handles,
        ledger,
        &[policy],
    )
    .await;
    let new = r.enqueue("+79166000003");
    let known = r.enqueue("+79166000002");
    r.quiet(4).await;
    assert_eq!(r.status(known), Status::Sent);
    assert_eq!(r.status(new), Status::Queued, "a third number this month");
    let q = r.dispatcher.modems()[0].quota;
    assert_eq!((q.monthly_left, q.unique_left), (Some(6), Some(0)));
}

#[test]
fn the_api_and_metrics_show_what_is_left_of_each_quota() {
    use common::Sim;
    use common::gateway::{Gateway, free_port, write_config};
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "daily_limit = 20\nmonthly_limit = 100\nunique_recipients_per_month = 3\nwarm_up = [5, 10]\n",
    ));
    g.wait_ready_modems(1);
    for to in ["+79161230001", "+79161230002", "+79161230001"] {
        let (code, m) = g.call("POST", "/v1/messages", Some(json!({"to": to, "text": "hi"})));
        assert_eq!(code, 202, "{m}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let modem = loop {
        let (_, v) = g.call("GET", "/v1/modems", None);
        let m = v[0].clone();
        if m["sent_month"] == 3 || Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(modem["sent_month"], 3, "{modem}");
    assert_eq!(modem["daily_limit"], 20);
    assert_eq!(modem["daily_limit_today"], 5, "day 1 of the warm-up");
    assert_eq!(modem["warm_up_day"], 1);
    assert_eq!(modem["daily_left"], 2);
    assert_eq!(modem["monthly_limit"], 100);
    assert_eq!(modem["monthly_left"], 97);
    assert_eq!(modem["recipients_month"], 2);
    assert_eq!(modem["unique_recipients_per_month"], 3);
    assert_eq!(modem["unique_recipients_left"], 1);
    let imsi = modem["imsi"].as_str().unwrap();
    let (_, text) = g.call("GET", "/metrics", None);
    let text = text.as_str().unwrap_or_default();
    for line in [
        format!("simfleet_sim_daily_left{{imsi=\"{imsi}\"}} 2"),
        format!("simfleet_sim_monthly_left{{imsi=\"{imsi}\"}} 97"),
        format!("simfleet_sim_unique_recipients_left{{imsi=\"{imsi}\"}} 1"),
        format!("simfleet_sim_warm_up_day{{imsi=\"{imsi}\"}} 1"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
}
