//! The dispatcher: assigns queued messages to idle SIMs and sends them.
//!
//! Event-driven: it sleeps until an enqueue, a finished send or a modem
//! status change wakes it, or until the next known deadline (a `send_at`,
//! the end of a cool-down, a per-minute window). Each round is
//! [`Dispatcher::dispatch_once`], which tests can drive directly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::assign::{SimView, assign};
use super::clock::Clock;
use super::limits::{ErrorRate, MinuteWindow, SimPolicy};
use crate::at::SendFailure;
use crate::modem::{ModemHandle, ModemState, ModemStatus, SendError};
use crate::sms::{self, Address, SplitOptions, SubmitOptions};
use crate::store::{ClaimRequest, PartSent, SentRecord, SimSeen, Store, StoreError};

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// Attempts that were certainly not sent, before a message fails.
    pub max_attempts: u32,
    /// Validity asked of the network.
    pub validity_minutes: Option<u32>,
    /// Encoding options.
    pub split: SplitOptions,
    /// Name of this gateway in claims.
    pub gateway_id: String,
    /// Rest for a SIM with an account problem (no credit, barred, limit).
    pub sim_problem_cooldown: Duration,
    /// Rest for a SIM whose error rate climbed.
    pub error_rate_cooldown: Duration,
    /// Read before you write: while a modem that is (re)connecting has not
    /// read what is stored on it (a STOP may be waiting there), no SIM
    /// sends; each modem holds the others at most this long per
    /// appearance, so a dead one cannot hold everything.
    pub storage_read_grace: Duration,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            validity_minutes: Some(1440),
            split: SplitOptions::default(),
            gateway_id: "simfleet".into(),
            sim_problem_cooldown: Duration::from_secs(30 * 60),
            error_rate_cooldown: Duration::from_secs(10 * 60),
            storage_read_grace: Duration::from_secs(30),
        }
    }
}

/// What the API shows of a modem.
#[derive(Debug, Clone)]
pub struct ModemView {
    /// Slot id (stable while the daemon runs).
    pub id: u64,
    /// The modem's own status.
    pub status: ModemStatus,
    /// State as the gateway sees it (`cooling_down` included).
    pub state: String,
    /// Segments sent today through its SIM.
    pub sent_today: u64,
    /// Configured daily limit.
    pub daily_limit: Option<u32>,
    /// Last error in words (cool-down reason first).
    pub last_error: Option<String>,
}

struct Slot {
    id: u64,
    handle: ModemHandle,
    policy: SimPolicy,
    busy: bool,
}

#[derive(Default)]
struct SimRuntime {
    minute: MinuteWindow,
    errors: ErrorRate,
    cooldown_until: Option<i64>,
    cooldown_reason: Option<String>,
}

#[derive(Default)]
struct State {
    slots: Vec<Slot>,
    sims: HashMap<String, SimRuntime>,
    cursor: usize,
    next_slot: u64,
    stopping: bool,
    in_flight: usize,
    /// Slots whose modem has not read its storage since it appeared: when
    /// that hold began (unix ms). See [`DispatchConfig::storage_read_grace`].
    unread_since: HashMap<u64, i64>,
}

struct Shared {
    store: Store,
    clock: Arc<dyn Clock>,
    config: DispatchConfig,
    wake: Notify,
    idle: Notify,
    state: Mutex<State>,
    /// Time from claim to verdict of every send.
    durations: Mutex<super::histogram::Histogram>,
}

/// The dispatcher. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

/// One message handed to a SIM.
struct Job {
    slot: u64,
    handle: ModemHandle,
    imsi: String,
    claimed: crate::store::ClaimedMessage,
    segments: usize,
    started: std::time::Instant,
}

impl Dispatcher {
    /// A dispatcher over `store`. Cool-downs recorded in the store are
    /// honoured after a restart.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: DispatchConfig) -> Result<Self, StoreError> {
        let mut state = State::default();
        let now = clock.now_ms();
        for sim in store.sims()? {
            if let Some(until) = sim.cooldown_until.filter(|&u| u > now) {
                state.sims.insert(
                    sim.imsi,
                    SimRuntime {
                        cooldown_until: Some(until),
                        cooldown_reason: sim.cooldown_reason,
                        ..SimRuntime::default()
                    },
                );
            }
        }
        Ok(Self {
            shared: Arc::new(Shared {
                store,
                clock,
                config,
                wake: Notify::new(),
                idle: Notify::new(),
                state: Mutex::new(state),
                durations: Mutex::new(super::histogram::Histogram::default()),
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks for a dispatch round soon (after an enqueue, say).
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// Adds a modem; its status changes wake the dispatcher. Returns its slot id.
    pub fn add_modem(&self, handle: ModemHandle, policy: SimPolicy) -> u64 {
        let id = {
            let mut st = self.state();
            st.next_slot += 1;
            let id = st.next_slot;
            st.slots.push(Slot {
                id,
                handle: handle.clone(),
                policy,
                busy: false,
            });
            id
        };
        let me = self.clone();
        let mut rx = handle.watch();
        tokio::spawn(async move {
            let mut seen: Option<String> = None;
            let mut last_state: Option<ModemState> = None;
            let mut last_read: Option<bool> = None;
            loop {
                let status = rx.borrow_and_update().clone();
                // Ready <-> Busy flips come from our own sends, whose end
                // wakes the dispatcher anyway; only other changes can make a
                // SIM newly able (or unable) to send.
                let own_flip = matches!(
                    (&last_state, &status.state),
                    (Some(ModemState::Ready), ModemState::Busy) | (Some(ModemState::Busy), ModemState::Ready)
                );
                let state_changed = last_state.as_ref() != Some(&status.state);
                last_state = Some(status.state.clone());
                // Its storage read may release the read-before-write hold.
                let read_changed = last_read.replace(status.storage_read) != Some(status.storage_read);
                if let Some(info) = &status.info
                    && let Some(imsi) = &info.imsi
                    && seen.as_deref() != Some(imsi.as_str())
                {
                    seen = Some(imsi.clone());
                    let sim = SimSeen {
                        imsi: imsi.clone(),
                        iccid: info.iccid.clone(),
                        imei: info.imei.clone(),
                        port: status.port.display().to_string(),
                    };
                    let now = me.shared.clock.now_ms();
                    if let Err(e) = me.shared.store.run(move |s| s.sim_seen(&sim, now)).await {
                        warn!(error = %e, "cannot record SIM");
                    }
                    me.forget_duplicates(id, &info.imei);
                    me.wake();
                }
                if (state_changed && !own_flip) || read_changed {
                    me.wake();
                }
                if rx.changed().await.is_err() {
                    break;
                }
            }
        });
        self.wake();
        id
    }

    /// A stick that came back on another port is the same modem: drop the
    /// old, disconnected slot with the same IMEI.
    fn forget_duplicates(&self, keep: u64, imei: &str) {
        self.state().slots.retain(|s| {
            let st = s.handle.status();
            s.id == keep
                || s.busy
                || st.state != ModemState::Disconnected
                || st.info.as_ref().is_none_or(|i| i.imei != imei)
        });
    }

    /// Removes a modem (its port went away for good).
    pub fn remove_modem(&self, id: u64) {
        self.state().slots.retain(|s| s.id != id || s.busy);
    }

    /// Send durations so far (claim to verdict).
    pub fn send_durations(&self) -> super::histogram::Histogram {
        self.shared
            .durations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// What the API shows of every modem.
    pub fn modems(&self) -> Vec<ModemView> {
        let now = self.shared.clock.now_ms();
        let today = self.shared.clock.local_date(now).to_string();
        let sims = self.shared.store.sims().unwrap_or_default();
        let st = self.state();
        st.slots
            .iter()
            .map(|slot| {
                let status = slot.handle.status();
                let imsi = status.info.as_ref().and_then(|i| i.imsi.clone());
                let runtime = imsi.as_ref().and_then(|i| st.sims.get(i));
                let cooling = runtime.and_then(|r| {
                    r.cooldown_until
                        .filter(|&u| u > now)
                        .map(|_| r.cooldown_reason.clone())
                });
                let sent_today = imsi
                    .as_ref()
                    .and_then(|i| sims.iter().find(|s| &s.imsi == i))
                    .map_or(0, |s| s.sent_on(&today));
                let daily_full = slot
                    .policy
                    .daily_limit
                    .is_some_and(|l| sent_today >= u64::from(l));
                let state = match (&status.state, &cooling) {
                    (ModemState::Ready | ModemState::Busy, Some(_)) => "cooling_down".to_string(),
                    (ModemState::Ready, None) if daily_full => "cooling_down".to_string(),
                    (ModemState::Ready, None) if slot.busy => "busy".to_string(),
                    (s, _) => s.as_str().to_string(),
                };
                let last_error = cooling
                    .flatten()
                    .or_else(|| {
                        daily_full.then(|| {
                            format!(
                                "daily limit of {} segments reached",
                                slot.policy.daily_limit.unwrap_or(0)
                            )
                        })
                    })
                    .or(status.last_error.clone());
                ModemView {
                    id: slot.id,
                    status,
                    state,
                    sent_today,
                    daily_limit: slot.policy.daily_limit,
                    last_error,
                }
            })
            .collect()
    }

    /// Runs until `shutdown` resolves; then stops taking work and waits (at
    /// most `drain`) for sends in flight to finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>, drain: Duration) {
        tokio::pin!(shutdown);
        loop {
            let me = self.clone();
            let deadline = match tokio::task::spawn_blocking(move || me.dispatch_once()).await {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    warn!(error = %e, "dispatch round failed");
                    Some(self.shared.clock.now_ms() + 1_000)
                }
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            let sleep =
                deadline.map(|d| Duration::from_millis((d - self.shared.clock.now_ms()).max(0) as u64));
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.shared.wake.notified() => {}
                _ = async { match sleep { Some(s) => tokio::time::sleep(s).await, None => std::future::pending().await } } => {}
            }
        }
        self.state().stopping = true;
        let wait = async {
            while self.state().in_flight > 0 {
                self.shared.idle.notified().await;
            }
        };
        if tokio::time::timeout(drain, wait).await.is_err() {
            warn!("stopping with sends still in flight; they will be marked unknown at the next start");
        }
    }

    /// One round: promote due messages, assign queued ones to idle SIMs,
    /// claim them durably and start the sends. Returns when the dispatcher
    /// must look again even if nothing happens (unix ms), if ever.
    pub fn dispatch_once(&self) -> Result<Option<i64>, StoreError> {
        self.dispatch_round(None, None).map(|(deadline, _)| deadline)
    }

    /// A round that also records a send that just finished, in the same
    /// transaction as the claims it leads to (committed alone if the round
    /// claims nothing).
    /// `finishing` is the slot that sent it: still marked busy (so no other
    /// round can give it work on a stale day count), but idle to this round.
    /// Returns the next deadline and whether that slot got a new message.
    fn dispatch_round(
        &self,
        finished: Option<SentRecord>,
        finishing: Option<u64>,
    ) -> Result<(Option<i64>, bool), StoreError> {
        let mut finished = finished;
        let result = self.round(&mut finished, finishing);
        if let Some(f) = finished.take() {
            let now = self.shared.clock.now_ms();
            self.shared
                .store
                .finish_and_claim(Some(&f), &[], &self.shared.config.gateway_id, now)?;
        }
        result
    }

    fn round(
        &self,
        finished: &mut Option<SentRecord>,
        finishing: Option<u64>,
    ) -> Result<(Option<i64>, bool), StoreError> {
        let store = &self.shared.store;
        let clock = &self.shared.clock;
        let now = clock.now_ms();
        let today = clock.local_date(now).to_string();
        let mut next_expiry = store.next_expiry()?;
        if next_expiry.is_some_and(|t| t <= now) {
            for id in store.expire_due(now)? {
                info!(msg_id = id, "expired: not sent before its validity ran out");
            }
            next_expiry = store.next_expiry()?;
        }
        let mut deadline = store.next_scheduled()?;
        if deadline.is_some_and(|t| t <= now) {
            store.promote_due(now)?;
            deadline = store.next_scheduled()?;
        }
        let sims_db = store.sims()?;
        let mut soonest = |t: i64| deadline = Some(deadline.map_or(t, |d: i64| d.min(t)));
        if let Some(t) = next_expiry {
            soonest(t);
        }

        let mut st = self.state();
        if st.stopping {
            return Ok((None, false));
        }
        if let Some(until) = self.storage_read_hold(&mut st, now) {
            soonest(until);
            return Ok((deadline, false));
        }
        // What each slot can do right now.
        let mut views = Vec::new();
        let mut slot_of_view = Vec::new();
        for (i, slot) in st.slots.iter().enumerate() {
            let status = slot.handle.status();
            let Some(imsi) = status.info.as_ref().and_then(|info| info.imsi.clone()) else {
                continue;
            };
            // Busy is the modem between parts of our own job: still the SIM's.
            let ready = matches!(status.state, ModemState::Ready | ModemState::Busy);
            let pending = finished
                .as_ref()
                .filter(|f| f.imsi == imsi)
                .map_or(0, |f| f.segments as u64);
            let sent_today = pending
                + sims_db
                    .iter()
                    .find(|s| s.imsi == imsi)
                    .map_or(0, |s| s.sent_on(&today));
            let policy = slot.policy;
            let rt = st.sims.get(&imsi);
            let cooling = rt.and_then(|r| r.cooldown_until).filter(|&u| u > now);
            if let Some(u) = cooling {
                soonest(u);
            }
            let mut capacity: Option<u64> = None;
            if let Some(limit) = policy.daily_limit {
                let left = u64::from(limit).saturating_sub(sent_today);
                if left == 0 {
                    soonest(clock.next_midnight(now));
                }
                capacity = Some(left);
            }
            views.push(SimView {
                imsi: imsi.clone(),
                usable: ready && cooling.is_none(),
                idle: !slot.busy || Some(slot.id) == finishing,
                capacity,
            });
            slot_of_view.push(i);
        }
        // Per-minute caps need the runtime windows (mutable).
        for (v, &i) in views.iter_mut().zip(&slot_of_view) {
            if let Some(cap) = st.slots[i].policy.per_minute {
                let rt = st.sims.entry(v.imsi.clone()).or_default();
                let left = u64::from(cap).saturating_sub(u64::from(rt.minute.used(now)));
                if left == 0 {
                    let free = rt.minute.free_at(now, cap, 1);
                    deadline = Some(deadline.map_or(free, |d: i64| d.min(free)));
                }
                v.capacity = Some(v.capacity.map_or(left, |c| c.min(left)));
            }
        }
        if !views.iter().any(|v| v.usable && v.idle) {
            return Ok((deadline, false));
        }
        let idle = views.iter().filter(|v| v.usable && v.idle).count();
        let candidates = store.candidates((idle * 8).max(256))?;
        if candidates.is_empty() {
            return Ok((deadline, false));
        }
        let mut cursor = st.cursor;
        let assignments = assign(&candidates, &mut views, &mut cursor);
        st.cursor = cursor;
        // Claim the whole round in one transaction: durable before any
        // modem sees a byte, with one disk sync rather than one per SIM.
        let picked: Vec<(i64, usize, String, String, String, usize)> = assignments
            .iter()
            .map(|&(message_id, view_index)| {
                let slot_index = slot_of_view[view_index];
                let status = st.slots[slot_index].handle.status();
                let imei = status.info.as_ref().map(|i| i.imei.clone()).unwrap_or_default();
                let segments = candidates
                    .iter()
                    .find(|c| c.id == message_id)
                    .map_or(1, |c| c.segments);
                (
                    message_id,
                    slot_index,
                    views[view_index].imsi.clone(),
                    imei,
                    status.port.display().to_string(),
                    segments,
                )
            })
            .collect();
        let requests: Vec<ClaimRequest<'_>> = picked
            .iter()
            .map(|(id, _, imsi, imei, port, _)| ClaimRequest {
                id: *id,
                imsi,
                imei,
                port,
            })
            .collect();
        let claims = store.finish_and_claim(
            finished.take().as_ref(),
            &requests,
            &self.shared.config.gateway_id,
            now,
        )?;
        let mut jobs = Vec::new();
        for ((_, slot_index, imsi, _, _, segments), claimed) in picked.into_iter().zip(claims) {
            let Some(claimed) = claimed else { continue };
            let slot = &mut st.slots[slot_index];
            slot.busy = true;
            if slot.policy.per_minute.is_some() {
                st.sims
                    .entry(imsi.clone())
                    .or_default()
                    .minute
                    .record(now, segments as u32);
            }
            let slot = &st.slots[slot_index];
            jobs.push(Job {
                slot: slot.id,
                handle: slot.handle.clone(),
                imsi,
                claimed,
                segments,
                started: std::time::Instant::now(),
            });
        }
        let reassigned = finishing.is_some_and(|f| jobs.iter().any(|j| j.slot == f));
        st.in_flight += jobs.len();
        drop(st);
        for job in jobs {
            let me = self.clone();
            tokio::runtime::Handle::current().spawn(async move { me.send(job).await });
        }
        Ok((deadline, reassigned))
    }

    /// Read before you write: a modem that is connecting, or connected but
    /// has not yet read its stored messages, may hold a STOP for a number
    /// some other SIM is about to text. Until it has read them (or
    /// [`DispatchConfig::storage_read_grace`] has passed since it
    /// appeared) nothing is claimed for any SIM. Returns when the hold
    /// ends at the latest, if there is one. A modem whose port went away
    /// starts a new hold when it comes back; one that cannot get ready
    /// (no SIM, failed) holds nobody and does not restart its hold.
    fn storage_read_hold(&self, st: &mut State, now: i64) -> Option<i64> {
        let grace = self.shared.config.storage_read_grace.as_millis() as i64;
        let mut hold: Option<i64> = None;
        let slots: Vec<(u64, ModemStatus)> = st.slots.iter().map(|s| (s.id, s.handle.status())).collect();
        st.unread_since.retain(|id, _| slots.iter().any(|(s, _)| s == id));
        for (id, status) in slots {
            let reading = !status.storage_read
                && matches!(
                    status.state,
                    ModemState::Connecting | ModemState::Ready | ModemState::Busy | ModemState::NotRegistered
                );
            if reading {
                let until = *st.unread_since.entry(id).or_insert(now) + grace;
                if until > now {
                    debug!(port = %status.port.display(), "waiting for the modem to read its stored messages");
                    hold = Some(hold.map_or(until, |h: i64| h.max(until)));
                }
            } else if status.storage_read || status.state == ModemState::Disconnected {
                st.unread_since.remove(&id);
            }
        }
        hold
    }

    async fn send(&self, job: Job) {
        let (outcome, last_part) = self.send_parts(&job).await;
        self.shared
            .durations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(job.started.elapsed().as_secs_f64());
        let now = self.shared.clock.now_ms();
        let config = &self.shared.config;
        let store = self.shared.store.clone();
        let id = job.claimed.id;
        let imsi = job.imsi.clone();
        let mut cool: Option<(Duration, String)> = None;
        let ok = matches!(outcome, Outcome::Sent);
        // Not the SIM's doing: does not count for or against it.
        let judged = !matches!(outcome, Outcome::Suppressed(_));
        let mut finished: Option<SentRecord> = None;
        let result = match outcome {
            Outcome::Sent => {
                // Recorded below, together with this SIM's next claim.
                info!(msg_id = id, imsi = %imsi, segments = job.segments, "message sent");
                finished = Some(SentRecord {
                    id,
                    imsi,
                    segments: job.segments,
                    today: self.shared.clock.local_date(now).to_string(),
                    last_part,
                });
                Ok(())
            }
            Outcome::Suppressed(reason) => {
                info!(msg_id = id, reason = %reason, "not sent: the recipient opted out");
                store.run(move |s| s.mark_suppressed(id, &reason, now)).await
            }
            Outcome::Unknown(reason) => {
                warn!(msg_id = id, imsi = %imsi, reason = %reason, "message outcome unknown; not re-sending");
                store
                    .run(move |s| s.mark_unknown(id, Some(&imsi), &reason, now))
                    .await
            }
            Outcome::Failed(reason) => {
                warn!(msg_id = id, imsi = %imsi, reason = %reason, "message failed");
                store
                    .run(move |s| s.mark_failed(id, Some(&imsi), &reason, now))
                    .await
            }
            Outcome::NotSent { failure, reason } => {
                if failure == SendFailure::SimProblem {
                    cool = Some((config.sim_problem_cooldown, format!("SIM problem: {reason}")));
                }
                if job.claimed.attempts >= config.max_attempts {
                    let reason = format!("not sent after {} attempts; last: {reason}", job.claimed.attempts);
                    warn!(msg_id = id, reason = %reason, "message failed");
                    store
                        .run(move |s| s.mark_failed(id, Some(&imsi), &reason, now))
                        .await
                } else {
                    debug!(msg_id = id, imsi = %imsi, reason = %reason, "retrying on another SIM");
                    store.run(move |s| s.requeue(id, &imsi, &reason, now)).await
                }
            }
        };
        if let Err(e) = result {
            warn!(msg_id = id, error = %e, "cannot record the outcome");
        }
        {
            let mut st = self.state();
            let rt = st.sims.entry(job.imsi.clone()).or_default();
            if judged {
                rt.errors.record(ok);
            }
            if cool.is_none() && rt.errors.too_high() {
                cool = Some((
                    config.error_rate_cooldown,
                    format!("{} of the last 10 sends failed", rt.errors.failures()),
                ));
            }
            if let Some((wait, reason)) = &cool {
                let until = now + wait.as_millis() as i64;
                rt.cooldown_until = Some(until);
                rt.cooldown_reason = Some(reason.clone());
                rt.errors.reset();
                warn!(imsi = %job.imsi, reason = %reason, "SIM cooling down");
            }
            if finished.is_none() {
                if let Some(slot) = st.slots.iter_mut().find(|s| s.id == job.slot) {
                    slot.busy = false;
                }
                st.in_flight -= 1;
            }
        }
        if finished.is_some() {
            // The verdict and the SIM's next message, in one transaction;
            // still counted in flight until it is on disk.
            let me = self.clone();
            let slot_id = job.slot;
            let reassigned =
                match tokio::task::spawn_blocking(move || me.dispatch_round(finished, Some(slot_id))).await {
                    Ok(Ok((_, reassigned))) => reassigned,
                    Ok(Err(e)) => {
                        warn!(msg_id = id, error = %e, "cannot record the outcome");
                        false
                    }
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                };
            let mut st = self.state();
            if !reassigned && let Some(slot) = st.slots.iter_mut().find(|s| s.id == slot_id) {
                slot.busy = false;
            }
            st.in_flight -= 1;
        }
        if let Some((wait, reason)) = cool {
            let until = now + wait.as_millis() as i64;
            let imsi = job.imsi.clone();
            let _ = store
                .run(move |s| s.set_cooldown(&imsi, Some(until), Some(&reason)))
                .await;
        }
        self.shared.idle.notify_waiters();
        self.wake();
    }

    /// Sends every part; returns the outcome and, when all went out, the
    /// last part's record (stored together with the verdict).
    async fn send_parts(&self, job: &Job) -> (Outcome, Option<PartSent>) {
        let c = &job.claimed;
        // Opt-out is law: checked again right before the first byte.
        let id = c.id;
        match self.shared.store.run(move |s| s.suppression(id)).await {
            Ok(Some(reason)) => return (Outcome::Suppressed(reason), None),
            Ok(None) => {}
            Err(e) => {
                return (
                    Outcome::NotSent {
                        failure: SendFailure::RetryElsewhere,
                        reason: format!("cannot check the opt-out list: {e}"),
                    },
                    None,
                );
            }
        }
        let to = match Address::parse_number(&c.recipient) {
            Ok(a) => a,
            Err(e) => return (Outcome::Failed(e.to_string()), None),
        };
        let plan = match sms::plan(&c.text, &self.shared.config.split) {
            Ok(p) => p,
            Err(e) => return (Outcome::Failed(e.to_string()), None),
        };
        let options = SubmitOptions {
            status_report: c.status_report,
            validity_minutes: remaining_validity(
                self.shared.config.validity_minutes,
                c.expires_at,
                self.shared.clock.now_ms(),
            ),
            ..SubmitOptions::default()
        };
        let pdus = match sms::encode_submit(&to, &plan, &options, c.concat_ref) {
            Ok(p) => p,
            Err(e) => return (Outcome::Failed(e.to_string()), None),
        };
        let total = pdus.len();
        let mut last = None;
        for (i, pdu) in pdus.into_iter().enumerate() {
            // A later part that fails is retried through the same SIM, so
            // the handset can still join the parts.
            let mut tries = 0;
            loop {
                tries += 1;
                match job.handle.send(pdu.clone()).await {
                    Ok(mr) => {
                        let part = PartSent {
                            message_id: c.id,
                            seq: i + 1,
                            imsi: job.imsi.clone(),
                            concat_ref: c.concat_ref,
                            message_ref: Some(mr),
                            at: self.shared.clock.now_ms(),
                        };
                        if i + 1 == total {
                            last = Some(part);
                        } else if let Err(e) = self.shared.store.run(move |s| s.record_part_sent(&part)).await
                        {
                            warn!(msg_id = c.id, error = %e, "cannot record a sent part");
                        }
                        break;
                    }
                    Err(SendError::Ambiguous { reason }) => {
                        return (
                            Outcome::Unknown(format!("part {} of {total}: {reason}", i + 1)),
                            None,
                        );
                    }
                    Err(SendError::NotSent { failure, reason }) if i == 0 => {
                        let outcome = match failure {
                            SendFailure::Permanent => Outcome::Failed(reason),
                            _ => Outcome::NotSent { failure, reason },
                        };
                        return (outcome, None);
                    }
                    Err(SendError::NotSent { failure, reason }) => {
                        if failure == SendFailure::Permanent || tries >= 3 {
                            let reason = format!(
                                "part {} of {total} not sent ({reason}); earlier parts were, so the recipient may see an incomplete message",
                                i + 1
                            );
                            return (Outcome::Failed(reason), None);
                        }
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        }
        (Outcome::Sent, last)
    }
}

enum Outcome {
    /// The recipient opted out after the claim: nothing was written.
    Suppressed(String),
    Sent,
    NotSent {
        failure: SendFailure,
        reason: String,
    },
    Failed(String),
    Unknown(String),
}
/// The validity to give the network: what is left of the message's own
/// (it waited in the queue), never more than configured, at least the
/// spec's 5 minutes.
fn remaining_validity(configured: Option<u32>, expires_at: Option<i64>, now: i64) -> Option<u32> {
    let configured = configured?;
    let Some(expires_at) = expires_at else {
        return Some(configured);
    };
    let left = ((expires_at - now).max(0) + 59_999) / 60_000;
    Some((left.min(i64::from(configured)) as u32).max(5))
}

#[cfg(test)]
mod tests {
    use super::remaining_validity;

    #[test]
    fn the_network_gets_what_is_left_of_the_validity() {
        let min = 60_000;
        assert_eq!(remaining_validity(None, Some(10 * min), 0), None);
        assert_eq!(remaining_validity(Some(1440), None, 0), Some(1440));
        assert_eq!(remaining_validity(Some(1440), Some(1440 * min), 0), Some(1440));
        assert_eq!(
            remaining_validity(Some(1440), Some(1440 * min), 1000 * min),
            Some(440)
        );
        assert_eq!(remaining_validity(Some(1440), Some(100 * min + 1), 0), Some(101));
        assert_eq!(remaining_validity(Some(1440), Some(min), 0), Some(5));
        // Clocks disagree: never more than configured.
        assert_eq!(remaining_validity(Some(60), Some(1440 * min), 0), Some(60));
    }
}
