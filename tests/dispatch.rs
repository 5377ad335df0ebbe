//! The dispatcher with the real store and driver against simulated modems
//! (in process): spreading, stickiness, limits, retries, cool-downs,
//! ambiguous sends and unplugged modems — checked against the ledger.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use simfleet::dispatch::{DispatchConfig, Dispatcher, SimPolicy, SystemClock};
use simfleet::modem::{self, ModemConfig, ModemState, actor::wait_for};
use simfleet::phone::Msisdn;
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{Faults, Ledger, PartFault, SimModem};
use simfleet::sim::profile::SimProfile;
use simfleet::sms::Encoding;
use simfleet::store::{NewMessage, Status, Store};

struct Gateway {
    store: Store,
    dispatcher: Dispatcher,
    ledger: Arc<Ledger>,
    sims: Vec<Arc<SimModem>>,
    connectors: Vec<Arc<InProcessConnector>>,
    handles: Vec<modem::ModemHandle>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    run: tokio::task::JoinHandle<()>,
}

async fn gateway(n: usize, policy: SimPolicy, config: DispatchConfig) -> Gateway {
    let store = Store::open_in_memory().unwrap();
    let dispatcher = Dispatcher::new(store.clone(), Arc::new(SystemClock), config).unwrap();
    let ledger = Arc::new(Ledger::default());
    let mut sims = Vec::new();
    let mut connectors = Vec::new();
    let mut handles = Vec::new();
    for i in 0..n {
        let sim = Arc::new(SimModem::new(
            i,
            SimProfile::for_index(i),
            Duration::from_millis(5),
            ledger.clone(),
        ));
        sim.set_faults(Faults {
            noise: false,
            report_delay_ms: 20,
            ..Faults::default()
        });
        let connector = InProcessConnector::new(sim.clone());
        let handle = modem::spawn(
            connector.clone(),
            ModemConfig {
                send_timeout: Duration::from_millis(500),
                health_interval: Duration::from_millis(500),
                backoff: (Duration::from_millis(50), Duration::from_millis(200)),
                ..ModemConfig::default()
            },
            None,
        );
        assert!(wait_for(&handle, Duration::from_secs(10), |s| s.state == ModemState::Ready).await);
        dispatcher.add_modem(handle.clone(), policy);
        handles.push(handle);
        sims.push(sim);
        connectors.push(connector);
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(dispatcher.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    Gateway {
        store,
        dispatcher,
        ledger,
        sims,
        connectors,
        handles,
        stop: Some(stop),
        run,
    }
}

fn msg(to: &str, text: &str) -> NewMessage {
    NewMessage {
        recipient: Msisdn::from_canonical(to),
        text: text.into(),
        encoding: Encoding::Gsm7,
        segments: simfleet::sms::plan(text, &Default::default())
            .unwrap()
            .segment_count(),
        status_report: false,
        send_at: None,
        expires_at: None,
        kind: None,
        category: Default::default(),
        idempotency_key: None,
        request_hash: String::new(),
    }
}

impl Gateway {
    fn enqueue(&self, to: &str, text: &str) -> i64 {
        let id = self.store.enqueue(&msg(to, text), now()).unwrap().id;
        self.dispatcher.wake();
        id
    }

    async fn settle(&self, ids: &[i64]) {
        let ok = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let done = ids.iter().all(|id| {
                    let st = self.store.message(*id).unwrap().unwrap().0.status;
                    !matches!(st, Status::Queued | Status::Sending | Status::Scheduled)
                });
                if done {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(
            ok.is_ok(),
            "messages did not settle: {:?}",
            self.store.status_counts().unwrap()
        );
    }

    fn status(&self, id: i64) -> Status {
        self.store.message(id).unwrap().unwrap().0.status
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spreads_evenly_and_sends_each_exactly_once() {
    let g = gateway(4, SimPolicy::default(), DispatchConfig::default()).await;
    let ids: Vec<i64> = (0..40)
        .map(|i| g.enqueue(&format!("+7916000{:04}", i), &format!("message {i}")))
        .collect();
    g.settle(&ids).await;
    assert!(ids.iter().all(|&id| g.status(id) == Status::Sent));
    let ledger = g.ledger.entries();
    assert_eq!(ledger.len(), 40);
    let mut texts: Vec<_> = ledger.iter().map(|e| e.text.clone().unwrap()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 40, "a message was sent twice");
    let mut per_modem: HashMap<usize, usize> = HashMap::new();
    for e in &ledger {
        *per_modem.entry(e.modem).or_default() += 1;
    }
    assert_eq!(per_modem.len(), 4);
    assert!(
        per_modem.values().all(|&n| (8..=12).contains(&n)),
        "uneven: {per_modem:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_keeps_hearing_from_the_same_sim_and_parts_stay_together() {
    let g = gateway(3, SimPolicy::default(), DispatchConfig::default()).await;
    let first = g.enqueue("+79161112233", "hello");
    g.settle(&[first]).await;
    let long = "Длинное сообщение из нескольких частей. ".repeat(5);
    let ids: Vec<i64> = (0..4).map(|_| g.enqueue("+79161112233", &long)).collect();
    g.settle(&ids).await;
    let ledger = g.ledger.entries();
    let modems: std::collections::HashSet<_> = ledger.iter().map(|e| e.modem).collect();
    assert_eq!(modems.len(), 1, "recipient moved between SIMs");
    // Each message's parts: one reference, in order.
    for chunk in ledger[1..].chunks(3) {
        let refs: Vec<_> = chunk.iter().map(|e| e.concat.unwrap().0).collect();
        assert!(refs.iter().all(|r| *r == refs[0]));
        let seqs: Vec<_> = chunk.iter().map(|e| e.concat.unwrap().2).collect();
        assert_eq!(seqs, [1, 2, 3]);
    }
    // References are not reused between messages on the SIM.
    let mut refs: Vec<_> = ledger[1..].iter().map(|e| e.concat.unwrap().0).collect();
    refs.dedup();
    assert_eq!(refs.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_limit_is_honoured_and_the_rest_waits() {
    let g = gateway(
        2,
        SimPolicy {
            daily_limit: Some(3),
            per_minute: None,
            ..SimPolicy::default()
        },
        DispatchConfig::default(),
    )
    .await;
    let ids: Vec<i64> = (0..10)
        .map(|i| g.enqueue(&format!("+7916100{:04}", i), "hi"))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(g.ledger.entries().len(), 6);
    let queued = ids.iter().filter(|&&id| g.status(id) == Status::Queued).count();
    assert_eq!(queued, 4);
    let views = g.dispatcher.modems();
    assert!(
        views
            .iter()
            .all(|v| v.state == "cooling_down" && v.sent_today == 3),
        "{views:?}"
    );
    assert!(views[0].last_error.as_deref().unwrap().contains("daily limit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_outlives_its_validity_expires_unsent() {
    let g = gateway(
        2,
        SimPolicy {
            daily_limit: Some(2),
            per_minute: None,
            ..SimPolicy::default()
        },
        DispatchConfig::default(),
    )
    .await;
    let t0 = now();
    let ids: Vec<i64> = (0..7)
        .map(|i| {
            let m = NewMessage {
                expires_at: Some(t0 + 1_500),
                ..msg(&format!("+7916200{i:04}"), "today only")
            };
            g.store.enqueue(&m, t0).unwrap().id
        })
        .collect();
    g.dispatcher.wake();
    // No new enqueue wakes the dispatcher: the expiry itself must.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(g.ledger.entries().len(), 4);
    let expired: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|&id| g.status(id) == Status::Expired)
        .collect();
    assert_eq!(expired.len(), 3, "{:?}", g.store.status_counts().unwrap());
    let (row, history) = g.store.message(expired[0]).unwrap().unwrap();
    assert!(row.error.unwrap().contains("validity"));
    let last = history.last().unwrap();
    assert_eq!(last.status, Status::Expired);
    assert!(last.reason.as_deref().unwrap().contains("will not be sent"));
    // A new day's quota later would not resurrect them.
    assert!(g.store.candidates(10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_minute_cap_holds() {
    let g = gateway(
        1,
        SimPolicy {
            daily_limit: None,
            per_minute: Some(4),
            ..SimPolicy::default()
        },
        DispatchConfig::default(),
    )
    .await;
    for i in 0..10 {
        g.enqueue(&format!("+7916200{:04}", i), "hi");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(g.ledger.entries().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_sent_moves_to_another_sim_and_a_sim_problem_cools_it_down() {
    let g = gateway(2, SimPolicy::default(), DispatchConfig::default()).await;
    g.sims[0].set_faults(Faults {
        noise: false,
        cms_error_rate: 1.0,
        cms_error_code: 21,
        ..Faults::default()
    });
    let ids: Vec<i64> = (0..6)
        .map(|i| g.enqueue(&format!("+7916300{:04}", i), &format!("m{i}")))
        .collect();
    g.settle(&ids).await;
    assert!(ids.iter().all(|&id| g.status(id) == Status::Sent));
    assert!(g.ledger.entries().iter().all(|e| e.modem == 1));
    let views = g.dispatcher.modems();
    let cooled = views
        .iter()
        .find(|v| v.state == "cooling_down")
        .expect("SIM 0 cools down");
    assert!(
        cooled
            .last_error
            .as_deref()
            .unwrap()
            .contains("transfer rejected")
    );
    // The retried message's history says why.
    let retried = ids
        .iter()
        .map(|&id| g.store.message(id).unwrap().unwrap())
        .find(|(m, _)| m.attempts == 2)
        .unwrap();
    assert!(retried.1.iter().any(|e| {
        e.reason
            .as_deref()
            .unwrap_or("")
            .contains("retrying on another SIM")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_fail_and_attempts_are_bounded() {
    let g = gateway(
        1,
        SimPolicy::default(),
        DispatchConfig {
            max_attempts: 2,
            ..DispatchConfig::default()
        },
    )
    .await;
    g.sims[0].set_faults(Faults {
        noise: false,
        cms_error_rate: 1.0,
        cms_error_code: 1,
        ..Faults::default()
    });
    let a = g.enqueue("+79164000001", "to nobody");
    g.settle(&[a]).await;
    let (m, _) = g.store.message(a).unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (Status::Failed, 1));
    assert!(m.error.unwrap().contains("unassigned"));
    g.sims[0].set_faults(Faults {
        noise: false,
        cms_error_rate: 1.0,
        cms_error_code: 42,
        ..Faults::default()
    });
    let b = g.enqueue("+79164000002", "congested");
    g.settle(&[b]).await;
    let (m, _) = g.store.message(b).unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (Status::Failed, 2));
    assert!(g.ledger.entries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_sends_become_unknown_and_are_not_repeated() {
    let g = gateway(2, SimPolicy::default(), DispatchConfig::default()).await;
    g.sims[0].set_faults(Faults {
        noise: false,
        hang_after_pdu: true,
        ..Faults::default()
    });
    g.sims[1].set_faults(Faults {
        noise: false,
        hang_after_pdu: true,
        ..Faults::default()
    });
    let a = g.enqueue("+79165000001", "maybe");
    g.settle(&[a]).await;
    assert_eq!(g.status(a), Status::Unknown);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(g.ledger.entries().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplugged_modem_work_is_finished_by_the_others() {
    let g = gateway(3, SimPolicy::default(), DispatchConfig::default()).await;
    for s in &g.sims {
        s.set_faults(Faults {
            noise: false,
            latency_ms: Some(30),
            ..Faults::default()
        });
    }
    let ids: Vec<i64> = (0..60)
        .map(|i| g.enqueue(&format!("+7916600{:04}", i), &format!("n{i}")))
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    g.connectors[1].unplug();
    g.settle(&ids).await;
    let statuses: Vec<_> = ids.iter().map(|&id| g.status(id)).collect();
    // Nothing lost: every message is sent, or unknown if it was in flight at the unplug.
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, Status::Sent | Status::Unknown)),
        "{statuses:?}"
    );
    let ledger = g.ledger.entries();
    let mut texts: Vec<_> = ledger.iter().map(|e| e.text.clone().unwrap()).collect();
    texts.sort();
    let before = texts.len();
    texts.dedup();
    assert_eq!(before, texts.len(), "duplicate in the ledger");
    let sent = statuses.iter().filter(|s| **s == Status::Sent).count();
    assert!(sent >= 59, "only {sent} sent");
    assert!(ledger.iter().filter(|e| e.modem != 1).count() >= 40);
}

/// Quick retries for tests: a refused later part is tried again after 50 ms.
fn fast_retries() -> DispatchConfig {
    DispatchConfig {
        part_retry_backoff: (Duration::from_millis(50), Duration::from_millis(200)),
        ..DispatchConfig::default()
    }
}

/// A GSM 7-bit text of exactly `parts` segments (153 characters each).
fn long_text(parts: usize, tag: &str) -> String {
    let body: String = (0..parts * 153 - tag.len() - 5)
        .map(|i| char::from(b'a' + (i / 153 % 26) as u8))
        .collect();
    let text = format!("{tag} {body}");
    assert_eq!(
        simfleet::sms::plan(&text, &Default::default())
            .unwrap()
            .segment_count(),
        parts
    );
    text
}

/// The parts of the message to `to` that reached the network:
/// (modem, reference, total, seq), in order of acceptance.
fn parts_to(ledger: &Ledger, to: &str) -> Vec<(usize, u16, u8, u8)> {
    ledger
        .entries()
        .iter()
        .filter(|e| e.recipient == to)
        .map(|e| {
            let (r, total, seq) = e.concat.expect("a part");
            (e.modem, r, total, seq)
        })
        .collect()
}

/// Every part at most once, all through one SIM with one reference.
fn one_sim_one_ref_no_repeats(parts: &[(usize, u16, u8, u8)]) -> Vec<u8> {
    assert!(
        parts.iter().all(|p| (p.0, p.1) == (parts[0].0, parts[0].1)),
        "parts went through different SIMs or references: {parts:?}"
    );
    let mut seqs: Vec<u8> = parts.iter().map(|p| p.3).collect();
    seqs.sort_unstable();
    let n = seqs.len();
    seqs.dedup();
    assert_eq!(n, seqs.len(), "a part was sent twice: {parts:?}");
    seqs
}

fn history_says(g: &Gateway, id: i64, words: &str) -> bool {
    let (_, history) = g.store.message(id).unwrap().unwrap();
    history
        .iter()
        .any(|e| e.reason.as_deref().unwrap_or("").contains(words))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_part_refused_again_and_again_is_retried_through_the_same_sim_with_the_same_reference() {
    let g = gateway(2, SimPolicy::default(), fast_retries()).await;
    for s in &g.sims {
        // More refusals than a few quick tries would survive.
        s.set_faults(Faults {
            noise: false,
            part_fault: Some(PartFault {
                part: 3,
                times: 4,
                code: 500,
                unanswered: false,
            }),
            ..Faults::default()
        });
    }
    let to = "+79167000001";
    let id = g.enqueue(to, &long_text(4, "refused"));
    g.settle(&[id]).await;
    let (m, _) = g.store.message(id).unwrap().unwrap();
    assert_eq!(m.status, Status::Sent, "{:?}", m.error);
    let parts = parts_to(&g.ledger, to);
    assert_eq!(one_sim_one_ref_no_repeats(&parts), [1, 2, 3, 4]);
    assert!(history_says(&g, id, "part 3 of 4 not sent"));
    assert!(history_says(&g, id, "parts 1–2 of 4 reached the network"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_of_a_later_part_fails_naming_the_parts_that_went() {
    let g = gateway(2, SimPolicy::default(), fast_retries()).await;
    for s in &g.sims {
        s.set_faults(Faults {
            noise: false,
            part_fault: Some(PartFault {
                part: 2,
                times: 1,
                code: 1, // unassigned number: no SIM will do better
                unanswered: false,
            }),
            ..Faults::default()
        });
    }
    let to = "+79167000002";
    let id = g.enqueue(to, &long_text(3, "permanent"));
    g.settle(&[id]).await;
    let (m, _) = g.store.message(id).unwrap().unwrap();
    assert_eq!(m.status, Status::Failed);
    let error = m.error.unwrap();
    assert!(
        error.contains("part 2 of 3 refused") && error.contains("part 1 of 3 reached the network"),
        "{error}"
    );
    assert_eq!(one_sim_one_ref_no_repeats(&parts_to(&g.ledger, to)), [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_middle_part_is_not_repeated_and_the_parts_after_it_still_go() {
    let g = gateway(2, SimPolicy::default(), fast_retries()).await;
    for s in &g.sims {
        s.set_faults(Faults {
            noise: false,
            part_fault: Some(PartFault {
                part: 2,
                times: 1,
                code: 500,
                unanswered: true,
            }),
            ..Faults::default()
        });
    }
    let to = "+79167000003";
    let id = g.enqueue(to, &long_text(3, "ambiguous"));
    g.settle(&[id]).await;
    let (m, _) = g.store.message(id).unwrap().unwrap();
    assert_eq!(m.status, Status::Unknown);
    let error = m.error.unwrap();
    assert!(error.contains("part 2 may have"), "{error}");
    assert_eq!(one_sim_one_ref_no_repeats(&parts_to(&g.ledger, to)), [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_part_refused_after_an_unanswered_one_says_the_unanswered_part_may_have_gone() {
    let g = gateway(1, SimPolicy::default(), fast_retries()).await;
    g.sims[0].set_faults(Faults {
        noise: false,
        part_fault: Some(PartFault {
            part: 2,
            times: 1,
            code: 500,
            unanswered: true,
        }),
        ..Faults::default()
    });
    let to = "+79167000013";
    let id = g.enqueue(to, &long_text(4, "interim"));
    // Part 2 reached the ledger but gets no answer (for the 500 ms send
    // timeout): now make part 3 refused once, so the message is held.
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while parts_to(&g.ledger, to).len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(seen.is_ok(), "part 2 never reached the network");
    g.sims[0].set_faults(Faults {
        noise: false,
        part_fault: Some(PartFault {
            part: 3,
            times: 1,
            code: 500,
            unanswered: false,
        }),
        ..Faults::default()
    });
    g.settle(&[id]).await;
    let (_, history) = g.store.message(id).unwrap().unwrap();
    let interim = history
        .iter()
        .filter_map(|e| e.reason.as_deref())
        .find(|r| r.contains("part 3 of 4 not sent"))
        .unwrap_or_else(|| panic!("no interim entry: {history:?}"));
    assert!(
        interim.contains("part 1 of 4 reached the network") && interim.contains("part 2 may have"),
        "{interim}"
    );
    assert!(!interim.contains("parts 1–2 of 4 reached"), "{interim}");
    assert_eq!(one_sim_one_ref_no_repeats(&parts_to(&g.ledger, to)), [1, 2, 3, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplug_mid_message_waits_for_the_same_sim_and_sends_the_rest_when_it_returns() {
    let g = gateway(2, SimPolicy::default(), fast_retries()).await;
    for s in &g.sims {
        s.set_faults(Faults {
            noise: false,
            latency_ms: Some(80),
            ..Faults::default()
        });
    }
    let to = "+79167000004";
    let id = g.enqueue(to, &long_text(6, "unplug"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while parts_to(&g.ledger, to).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "parts did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let modem = parts_to(&g.ledger, to)[0].0;
    g.connectors[modem].unplug();
    // Longer than a few quick retries: the rest waits, nowhere else.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        matches!(g.status(id), Status::Queued | Status::Scheduled),
        "{:?}",
        g.store.message(id).unwrap().unwrap()
    );
    let before = parts_to(&g.ledger, to);
    assert!(before.len() < 6);
    g.connectors[modem].replug();
    g.settle(&[id]).await;
    let parts = parts_to(&g.ledger, to);
    let seqs = one_sim_one_ref_no_repeats(&parts);
    assert_eq!(parts[0].0, modem);
    match g.status(id) {
        Status::Sent => assert_eq!(seqs, [1, 2, 3, 4, 5, 6]),
        // The part being written when the line went may be lost; never
        // the ones after it.
        Status::Unknown => {
            assert!(seqs.len() >= 5 && seqs.contains(&6), "{seqs:?}");
        }
        other => panic!("ended {other:?}: {:?}", g.store.message(id).unwrap().unwrap().1),
    }
    assert!(history_says(&g, id, "through the same SIM"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_mid_message_stops_between_parts_and_the_next_start_sends_the_rest() {
    let mut g = gateway(1, SimPolicy::default(), fast_retries()).await;
    g.sims[0].set_faults(Faults {
        noise: false,
        latency_ms: Some(150),
        ..Faults::default()
    });
    let to = "+79167000005";
    let id = g.enqueue(to, &long_text(8, "shutdown"));
    while parts_to(&g.ledger, to).len() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // It stops between parts rather than racing the drain with the rest.
    drop(g.stop.take());
    tokio::time::timeout(Duration::from_secs(7), &mut g.run)
        .await
        .expect("the dispatcher stops")
        .unwrap();
    let sent_by_then = parts_to(&g.ledger, to).len();
    let (m, _) = g.store.message(id).unwrap().unwrap();
    assert_eq!(
        m.status,
        Status::Queued,
        "{:?}",
        g.store.message(id).unwrap().unwrap().1
    );
    assert!(sent_by_then < 8);
    assert!(history_says(&g, id, "the gateway is stopping"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        parts_to(&g.ledger, to).len(),
        sent_by_then,
        "a part went after the stop"
    );

    // The next start: nothing to recover, the rest goes through the same SIM.
    assert_eq!(g.store.recover(now()).unwrap(), Default::default());
    let next = Dispatcher::new(g.store.clone(), Arc::new(SystemClock), fast_retries()).unwrap();
    next.add_modem(g.handles[0].clone(), SimPolicy::default());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(next.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    next.wake();
    g.settle(&[id]).await;
    assert_eq!(g.status(id), Status::Sent);
    let parts = parts_to(&g.ledger, to);
    assert_eq!(one_sim_one_ref_no_repeats(&parts), [1, 2, 3, 4, 5, 6, 7, 8]);
}

/// Every simulated modem's network refuses `to` with `code`.
fn refuse_everywhere(g: &Gateway, to: &str, code: u16) {
    for sim in &g.sims {
        sim.set_faults(Faults {
            noise: false,
            report_delay_ms: 20,
            reject_recipients: [(to.to_string(), code)].into(),
            ..Faults::default()
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unassigned_number_never_cools_the_only_sim_or_holds_good_messages() {
    let g = gateway(1, SimPolicy::default(), DispatchConfig::default()).await;
    refuse_everywhere(&g, "+79164100000", 1);
    let bad: Vec<i64> = (0..6)
        .map(|i| g.enqueue("+79164100000", &format!("nobody {i}")))
        .collect();
    g.settle(&bad).await;
    for &id in &bad {
        let (m, _) = g.store.message(id).unwrap().unwrap();
        assert_eq!((m.status, m.attempts), (Status::Failed, 1));
        assert!(m.error.unwrap().contains("unassigned"));
    }
    let views = g.dispatcher.modems();
    // Not cooling down (it may still be `busy` finishing its last round).
    assert!(
        matches!(views[0].state.as_str(), "ready" | "busy"),
        "{}: {:?}",
        views[0].state,
        views[0].last_error
    );
    // Nor in its failure count (simfleet_sim_failed_total).
    assert_eq!(g.store.sims().unwrap()[0].failed_total, 0);
    let good = g.enqueue("+79164100001", "a good one");
    g.settle(&[good]).await;
    assert_eq!(g.status(good), Status::Sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_refused_the_same_way_through_two_sims_is_the_recipients_fault() {
    let g = gateway(2, SimPolicy::default(), DispatchConfig::default()).await;
    // "Short message transfer rejected" fits a SIM's account as well as a
    // recipient; here every SIM gets it for this one number.
    refuse_everywhere(&g, "+79164200000", 21);
    let bad: Vec<i64> = (0..5)
        .map(|i| g.enqueue("+79164200000", &format!("refused {i}")))
        .collect();
    g.settle(&bad).await;
    for &id in &bad {
        let (m, history) = g.store.message(id).unwrap().unwrap();
        assert_eq!(m.status, Status::Failed, "{history:?}");
        // Not max_attempts (3): two SIMs settle it, or one once it is known.
        assert!(m.attempts <= 2, "{history:?}");
        assert!(
            m.error.as_deref().unwrap().contains("refused for this recipient"),
            "{:?}",
            m.error
        );
    }
    let views = g.dispatcher.modems();
    assert!(
        views.iter().all(|v| v.state == "ready"),
        "{:?}",
        views
            .iter()
            .map(|v| (&v.state, &v.last_error))
            .collect::<Vec<_>>()
    );
    let good: Vec<i64> = (0..4)
        .map(|i| g.enqueue(&format!("+7916420{:04}", i + 1), "fine"))
        .collect();
    g.settle(&good).await;
    assert!(good.iter().all(|&id| g.status(id) == Status::Sent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_through_one_sim_that_another_sim_gets_through_is_that_sims_fault() {
    let g = gateway(2, SimPolicy::default(), DispatchConfig::default()).await;
    // Only SIM 0's network refuses this recipient.
    g.sims[0].set_faults(Faults {
        noise: false,
        reject_recipients: [("+79164300000".to_string(), 29)].into(),
        ..Faults::default()
    });
    // Round-robin starts at SIM 0: the first message goes there, is
    // refused, and goes through SIM 1.
    let id = g.enqueue("+79164300000", "x");
    g.settle(&[id]).await;
    let (m, history) = g.store.message(id).unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (Status::Sent, 2), "{history:?}");
    let views = g.dispatcher.modems();
    let cooled = views
        .iter()
        .find(|v| v.state == "cooling_down")
        .expect("SIM 0 cools down");
    assert_eq!(cooled.id, views[0].id);
    assert!(
        cooled
            .last_error
            .as_deref()
            .unwrap()
            .contains("facility rejected"),
        "{:?}",
        cooled.last_error
    );
}

/// The "waiting: …" entries of a message's history.
fn waits(g: &Gateway, id: i64) -> Vec<String> {
    g.store
        .message(id)
        .unwrap()
        .unwrap()
        .1
        .into_iter()
        .filter_map(|e| e.reason.filter(|r| r.starts_with("waiting: ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_says_why_it_waits_once_per_change() {
    let g = gateway(
        2,
        SimPolicy {
            daily_limit: Some(1),
            per_minute: None,
            ..SimPolicy::default()
        },
        DispatchConfig::default(),
    )
    .await;
    let sent: Vec<i64> = (0..2)
        .map(|i| g.enqueue(&format!("+7916450{:04}", i), "hi"))
        .collect();
    g.settle(&sent).await;
    let waiting = g.enqueue("+79164509999", "waits");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let midnight = "until 00:00";
    assert_eq!(
        waits(&g, waiting),
        [format!("waiting: no SIM ready: 2 at the daily limit {midnight}")]
    );
    // More rounds with nothing new: nothing more is written.
    for _ in 0..5 {
        g.enqueue("+79164509998", "also waits");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waits(&g, waiting).len(), 1);
    // A change is: one modem goes away.
    g.connectors[1].unplug();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while waits(&g, waiting).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "{:?}", waits(&g, waiting));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        waits(&g, waiting)[1],
        format!("waiting: no SIM ready: 1 at the daily limit {midnight}, 1 disconnected")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(waits(&g, waiting).len(), 2, "{:?}", waits(&g, waiting));
    assert_eq!(g.status(waiting), Status::Queued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refused_recipient_does_not_cool_the_only_sim() {
    let g = gateway(1, SimPolicy::default(), DispatchConfig::default()).await;
    // With one SIM a refusal that fits both cannot be settled by a second
    // SIM; its retries through the same SIM count once, not per attempt.
    refuse_everywhere(&g, "+79164600000", 21);
    let bad: Vec<i64> = (0..3)
        .map(|i| g.enqueue("+79164600000", &format!("refused {i}")))
        .collect();
    g.settle(&bad).await;
    assert!(bad.iter().all(|&id| g.status(id) == Status::Failed));
    let views = g.dispatcher.modems();
    // Not cooling down (it may still be `busy` finishing its last round).
    assert!(
        matches!(views[0].state.as_str(), "ready" | "busy"),
        "{}: {:?}",
        views[0].state,
        views[0].last_error
    );
    let good = g.enqueue("+79164600001", "fine");
    g.settle(&[good]).await;
    assert_eq!(g.status(good), Status::Sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_never_answers_holds_the_others_only_until_its_first_attempt_fails_and_says_so() {
    let store = Store::open_in_memory().unwrap();
    let config = DispatchConfig {
        storage_read_grace: Duration::from_secs(25),
        ..DispatchConfig::default()
    };
    let dispatcher = Dispatcher::new(store.clone(), Arc::new(SystemClock), config).unwrap();
    let ledger = Arc::new(Ledger::default());
    let mut handles = Vec::new();
    for i in 0..2 {
        let sim = Arc::new(SimModem::new(
            i,
            SimProfile::for_index(i),
            Duration::from_millis(5),
            ledger.clone(),
        ));
        // The second port is hung before the gateway opens it.
        sim.set_faults(Faults {
            noise: false,
            hang: i == 1,
            ..Faults::default()
        });
        let handle = modem::spawn(
            InProcessConnector::new(sim.clone()),
            ModemConfig {
                send_timeout: Duration::from_millis(500),
                ..ModemConfig::default()
            },
            None,
        );
        dispatcher.add_modem(handle.clone(), SimPolicy::default());
        handles.push((handle, sim));
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(dispatcher.clone().run(
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    assert!(
        wait_for(&handles[0].0, Duration::from_secs(10), |s| s.state
            == ModemState::Ready)
        .await
    );
    let id = store.enqueue(&msg("+79167000099", "hello"), now()).unwrap().id;
    dispatcher.wake();
    // While the hold lasts, the history says what the message waits for.
    let said = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (_, history) = store.message(id).unwrap().unwrap();
            if let Some(r) = history
                .iter()
                .filter_map(|e| e.reason.clone())
                .find(|r| r.contains("to read its stored messages"))
            {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("no note saying what the queue waits for");
    assert!(
        said.contains("waiting up to") && said.contains("sim:modem1"),
        "{said}"
    );
    // Sent once the hung port's first attempt failed (~12 s), well before
    // the 25 s grace.
    let sent = tokio::time::timeout(Duration::from_secs(20), async {
        while store.message(id).unwrap().unwrap().0.status != Status::Sent {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let hung = handles[1].0.status();
    assert!(sent.is_ok(), "still held; hung modem: {hung:?}");
    assert!(!hung.storage_read && hung.unanswered_inits >= 1, "{hung:?}");
    assert_eq!(ledger.entries().iter().filter(|e| e.modem == 0).count(), 1);
    let _ = stop.send(());
    let _ = run.await;
}
