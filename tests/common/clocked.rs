//! The dispatcher on a manual clock over in-process simulated modems:
//! rounds run by hand, the clock moved to each deadline the dispatcher
//! names (no sleeping, no polling), and every send noted with the
//! injected time it left at. For the campaign engine and automations.

use std::sync::Arc;
use std::time::Duration;

use simfleet::dispatch::{Clock, DispatchConfig, Dispatcher, ManualClock, SimPolicy};
use simfleet::modem::{self, ModemConfig, ModemState, actor::wait_for};
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{Faults, Ledger, LedgerEntry, SimModem};
use simfleet::sim::profile::SimProfile;
use simfleet::store::{Status, Store};

/// The dispatcher, its modems and what they sent.
pub struct Fleet {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dispatcher: Dispatcher,
    pub ledger: Arc<Ledger>,
    pub handles: Vec<modem::ModemHandle>,
    /// Ledger entries with the injected time they were sent at (those
    /// already in `ledger` at the start: time 0).
    pub sent: Vec<(i64, LedgerEntry)>,
}

/// `sims` modems answering after `latency_ms`, each with `policy`, ready.
pub async fn start(
    store: Store,
    clock: Arc<ManualClock>,
    ledger: Arc<Ledger>,
    config: DispatchConfig,
    sims: usize,
    latency_ms: u64,
    policy: SimPolicy,
) -> Fleet {
    let dispatcher = Dispatcher::new(store.clone(), clock.clone(), config).unwrap();
    let mut handles = Vec::new();
    for i in 0..sims {
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
        let handle = modem::spawn(
            InProcessConnector::new(sim),
            ModemConfig {
                send_timeout: Duration::from_millis(2_000),
                health_interval: Duration::from_millis(500),
                backoff: (Duration::from_millis(50), Duration::from_millis(200)),
                ..ModemConfig::default()
            },
            None,
        );
        assert!(
            wait_for(&handle, Duration::from_secs(10), |s| s.state == ModemState::Ready
                && s.storage_read)
            .await
        );
        dispatcher.add_modem(handle.clone(), policy);
        handles.push(handle);
    }
    let sent = ledger.entries().into_iter().map(|e| (0, e)).collect();
    Fleet {
        store,
        clock,
        dispatcher,
        ledger,
        handles,
        sent,
    }
}

impl Fleet {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// One dispatcher round; its next deadline.
    pub async fn round(&self) -> Option<i64> {
        let d = self.dispatcher.clone();
        tokio::task::spawn_blocking(move || d.dispatch_once())
            .await
            .unwrap()
            .unwrap()
    }

    /// (queued, sending) messages.
    pub fn busy(&self) -> (u64, u64) {
        let counts = self.store.status_counts().unwrap();
        let n = |s: Status| counts.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
        (n(Status::Queued), n(Status::Sending))
    }

    /// Waits until nothing is queued or being sent.
    pub async fn quiet(&self) {
        for _ in 0..4000 {
            if self.busy() == (0, 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("sends did not finish: {:?}", self.store.status_counts().unwrap());
    }

    /// Notes the ledger's new entries at the current time.
    pub fn collect(&mut self) {
        let now = self.now();
        for e in self.ledger.entries().into_iter().skip(self.sent.len()) {
            self.sent.push((now, e));
        }
    }

    /// Rounds at this instant until nothing more goes; the dispatcher's
    /// next deadline.
    pub async fn settle(&mut self) -> Option<i64> {
        for _ in 0..500 {
            let before = self.ledger.entries().len();
            let next = self.round().await;
            self.quiet().await;
            self.collect();
            if self.ledger.entries().len() == before {
                return next;
            }
        }
        panic!("the dispatcher never settled");
    }

    /// Follows the dispatcher's own deadlines (it sleeps until the next
    /// window, cap, rate slot or due send) up to `until`.
    pub async fn run_until(&mut self, until: i64) {
        for _ in 0..500 {
            let next = self.settle().await;
            let now = self.now();
            match next {
                Some(t) if t <= until => {
                    assert!(
                        t > now,
                        "a deadline in the past would make the dispatcher spin: {t} ≤ {now}"
                    );
                    self.clock.advance(t - now);
                }
                _ => {
                    self.clock.advance((until - now).max(0));
                    self.settle().await;
                    return;
                }
            }
        }
        panic!("too many wake-ups before {until}");
    }
}
