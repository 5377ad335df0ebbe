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
use super::limits::{ErrorRate, MinuteWindow, QuotaLeft, SimPolicy, SimUsage, day_since};
use crate::at::SendFailure;
use crate::modem::{ModemHandle, ModemState, ModemStatus, SendError};
use crate::sms::{self, Address, SplitOptions, SubmitOptions};
use crate::store::{
    ClaimRequest, PartSent, SentRecord, SimSeen, Store, StoreError, describe_parts, month_of,
};

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
    /// Wait before the rest of a message whose later part the SIM refused
    /// is tried again through that SIM: doubling per attempt from the first
    /// value up to the second (until the message's validity runs out).
    pub part_retry_backoff: (Duration, Duration),
    /// Read before you write: while a modem that is (re)connecting has not
    /// read what is stored on it (a STOP may be waiting there), no SIM
    /// sends; each modem holds the others at most this long per
    /// appearance, so a dead one cannot hold everything.
    pub storage_read_grace: Duration,
    /// Campaign defaults (`[campaigns]`): windows, caps, deadlines.
    pub campaigns: crate::campaigns::CampaignRules,
    /// Automation rules (`[automations]`).
    pub automations: crate::automations::AutomationRules,
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
            part_retry_backoff: (Duration::from_secs(2), Duration::from_secs(60)),
            storage_read_grace: Duration::from_secs(30),
            campaigns: crate::campaigns::CampaignRules::defaults(crate::phone::Region::default()),
            automations: crate::automations::AutomationRules::default(),
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
    /// Its limits as configured.
    pub policy: SimPolicy,
    /// Segments sent this local month through its SIM.
    pub sent_month: u64,
    /// Distinct recipients its SIM texted this local month.
    pub recipients_month: u64,
    /// What is left of each quota now (warm-up applied).
    pub quota: QuotaLeft,
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
    /// The local date its reaching the daily limit was last logged.
    limit_logged_on: Option<String>,
    /// Which monthly quota's reaching was last logged, and in which month.
    quota_logged: Option<String>,
}

#[derive(Default)]
struct State {
    slots: Vec<Slot>,
    sims: HashMap<String, SimRuntime>,
    /// Recipients refused through one SIM in words that fit both.
    suspects: HashMap<String, Suspect>,
    /// The queue note last written (`None` until known): why queued
    /// messages wait, `Some(None)` when nothing holds them back.
    wait_note: Option<Option<String>>,
    cursor: usize,
    next_slot: u64,
    stopping: bool,
    in_flight: usize,
    /// When campaigns need looking at next, as the last feeding said
    /// (`None`: not known, look now; `Some(None)`: not until something
    /// changes). See [`Dispatcher::campaigns_changed`].
    campaigns_next: Option<Option<i64>>,
    /// When automations need looking at next, as the last feeding said
    /// (same meaning as `campaigns_next`). See [`Dispatcher::automations_changed`].
    automations_next: Option<Option<i64>>,
    /// Slots whose modem has not read its storage since it appeared: when
    /// that hold began (unix ms). See [`DispatchConfig::storage_read_grace`].
    unread_since: HashMap<u64, i64>,
    /// Slots not holding the others because their modem did not answer
    /// (logged once per silence).
    mute_not_holding: std::collections::HashSet<u64>,
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
        let mut state = State {
            wait_note: store.last_queue_note()?,
            ..State::default()
        };
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
            let mut last_mute: Option<bool> = None;
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
                // So may a port found not answering.
                let mute = status.unanswered_inits > 0;
                let mute_changed = last_mute.replace(mute) != Some(mute);
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
                    let number = info.number.clone();
                    if let Err(e) = me
                        .shared
                        .store
                        .run(move |s| {
                            s.sim_seen(&sim, now)?;
                            match &number {
                                Some(n) => s.set_sim_number(&sim.imsi, n),
                                None => Ok(()),
                            }
                        })
                        .await
                    {
                        warn!(error = %e, "cannot record SIM");
                    }
                    me.forget_duplicates(id, &info.imei);
                    me.wake();
                }
                if (state_changed && !own_flip) || read_changed || mute_changed {
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
        let clock = self.shared.clock.as_ref();
        let now = clock.now_ms();
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
                let row = imsi.as_ref().and_then(|i| sims.iter().find(|s| &s.imsi == i));
                let used = usage(row, clock, now);
                let quota = slot.policy.left(&used);
                let daily_full = quota.daily_left == Some(0);
                let monthly_full = quota.monthly_left == Some(0);
                let state = match (&status.state, &cooling) {
                    (ModemState::Ready | ModemState::Busy, Some(_)) => "cooling_down".to_string(),
                    (ModemState::Ready, None) if daily_full || monthly_full => "cooling_down".to_string(),
                    (ModemState::Ready, None) if slot.busy => "busy".to_string(),
                    (s, _) => s.as_str().to_string(),
                };
                let last_error = cooling
                    .flatten()
                    .or_else(|| {
                        daily_full.then(|| {
                            format!(
                                "daily limit of {} segments reached",
                                quota.daily_limit.unwrap_or(0)
                            )
                        })
                    })
                    .or_else(|| {
                        monthly_full.then(|| {
                            format!(
                                "monthly limit of {} segments reached until {}",
                                slot.policy.monthly_limit.unwrap_or(0),
                                local_day(clock.next_month_start(now))
                            )
                        })
                    })
                    .or_else(|| {
                        (quota.unique_left == Some(0)).then(|| {
                            format!(
                                "{} distinct recipients this month reached: it texts only numbers it already texted until {}",
                                slot.policy.unique_recipients_per_month.unwrap_or(0),
                                local_day(clock.next_month_start(now))
                            )
                        })
                    })
                    .or(status.last_error.clone());
                ModemView {
                    id: slot.id,
                    status,
                    state,
                    sent_today: used.sent_today,
                    daily_limit: slot.policy.daily_limit,
                    last_error,
                    policy: slot.policy,
                    sent_month: used.sent_month,
                    recipients_month: used.recipients_month,
                    quota,
                }
            })
            .collect()
    }

    /// What each SIM can still send, for campaign estimates: one per modem
    /// with a SIM, its quotas as [`Dispatcher::modems`] shows them, and the
    /// mean send time so far (all SIMs together).
    pub fn sim_capacities(&self) -> Vec<crate::campaigns::eta::SimCapacity> {
        let durations = self.send_durations();
        let mean = (durations.count > 0).then(|| durations.sum / durations.count as f64);
        self.modems()
            .into_iter()
            .filter_map(|m| {
                let imsi = m.status.info.as_ref().and_then(|i| i.imsi.clone())?;
                // At a quota is still ready (it sends again when the day
                // or month turns); cooling down after errors is not.
                let at_quota = m.quota.daily_left == Some(0) || m.quota.monthly_left == Some(0);
                let ready = matches!(m.status.state, ModemState::Ready | ModemState::Busy)
                    && (m.state != "cooling_down" || at_quota);
                Some(crate::campaigns::eta::SimCapacity {
                    imsi,
                    ready,
                    daily_left: m.quota.daily_left,
                    per_minute: m.policy.per_minute,
                    monthly_left: m.quota.monthly_left,
                    unique_left: m.quota.unique_left,
                    mean_send_secs: mean,
                    daily_limit: m.policy.daily_limit,
                    monthly_limit: m.policy.monthly_limit,
                    unique_limit: m.policy.unique_recipients_per_month,
                    warm_up_ahead: m
                        .quota
                        .warm_up_day
                        .map(|d| {
                            (d + 1..)
                                .map_while(|k| m.policy.warm_up.limit_on(k).and(m.policy.daily_limit_on(k)))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
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
            loop {
                // Registered before the count is read: a send finishing in
                // between (notify_waiters keeps no permit) still wakes us.
                let notified = self.shared.idle.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.state().in_flight == 0 {
                    break;
                }
                notified.await;
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

    /// Feeds campaign messages for the SIMs in `views` free now: when the
    /// idle, usable SIMs with capacity left outnumber the campaign messages
    /// already queued, enough for them and one more per usable SIM.
    /// Returns when to look again (A/B decision, a window, a cap, a rate
    /// slot, a start or a deadline). With no room and nothing due since the
    /// last look (and no campaign started, paused, resumed or cancelled
    /// since: [`Dispatcher::campaigns_changed`]) it reads nothing: a round
    /// that only records a send costs no campaign queries.
    /// A failure is logged and retried shortly: it must not stop
    /// transactional sending.
    fn feed_campaigns(&self, st: &mut State, views: &[SimView], now: i64) -> Option<i64> {
        let store = &self.shared.store;
        let able = |v: &&SimView| v.usable && v.capacity != Some(0);
        let free = views.iter().filter(able).filter(|v| v.idle).count() as u64;
        let usable = views.iter().filter(able).count() as u64;
        let nothing_due = st.campaigns_next.is_some_and(|next| next.is_none_or(|t| t > now));
        if free == 0 && nothing_due {
            return st.campaigns_next.flatten();
        }
        let decide = crate::campaigns::ab_test::decide_due(store, now).unwrap_or_else(|e| {
            warn!(error = %e, "A/B decisions failed");
            Some(now + 5_000)
        });
        // Refilled in batches, one disk sync for many messages: when the
        // SIMs free now would find too few waiting, enough for them and one
        // more per SIM. Never more: the queue holds at most about two per
        // SIM of a campaign, always behind transactional messages.
        let room = if free == 0 {
            0
        } else {
            match store.campaign_messages_queued() {
                Ok(q) if q >= free => 0,
                Ok(q) => (free + usable).saturating_sub(q) as usize,
                Err(e) => {
                    warn!(error = %e, "cannot count queued campaign messages");
                    0
                }
            }
        };
        if room == 0 && nothing_due {
            return st.campaigns_next.flatten();
        }
        let fed = crate::campaigns::feed::feed(store, &self.shared.config.campaigns, room, now)
            .map(|f| {
                if f.queued > 0 {
                    debug!(queued = f.queued, room, "campaign messages queued");
                }
                f.next_at
            })
            .unwrap_or_else(|e| {
                warn!(error = %e, "feeding campaigns failed");
                Some(now + 5_000)
            });
        let next = [decide, fed].into_iter().flatten().min();
        st.campaigns_next = Some(next);
        next
    }

    /// Turns automation runs due now into messages (date triggers planned
    /// first); returns when a run is due next. Reads nothing while the
    /// last feeding's next time is ahead and nothing changed since
    /// ([`Dispatcher::automations_changed`]). A failure is logged and
    /// retried shortly.
    fn feed_automations(&self, st: &mut State, now: i64) -> Option<i64> {
        if let Some(next) = st.automations_next
            && next.is_none_or(|t| t > now)
        {
            return next;
        }
        let config = &self.shared.config;
        let next =
            crate::automations::feed::feed(&self.shared.store, &config.campaigns, &config.automations, now)
                .unwrap_or_else(|e| {
                    warn!(error = %e, "feeding automations failed");
                    Some(now + 5_000)
                });
        st.automations_next = Some(next);
        next
    }

    /// An event was recorded or an automation created, changed, paused or
    /// resumed: the next round looks at the automations again.
    pub fn automations_changed(&self) {
        self.state().automations_next = None;
        self.wake();
    }

    /// A campaign was started, paused, resumed or cancelled: the next
    /// round reads the campaigns again (whatever it knew of their times).
    pub fn campaigns_changed(&self) {
        self.state().campaigns_next = None;
        self.wake();
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
        let mut soonest = |t: i64| deadline = Some(deadline.map_or(t, |d: i64| d.min(t)));
        if let Some(t) = next_expiry {
            soonest(t);
        }

        let mut st = self.state();
        if st.stopping {
            return Ok((None, false));
        }
        // The day counts are read under the state lock: a round that
        // finishes a send commits its count while holding it, so a slot
        // seen idle here has its count on disk. Read before the lock, a
        // concurrent finish could leave this round a stale count and let
        // it overshoot a SIM's daily limit.
        let sims_db = store.sims()?;
        if let Some((until, ports)) = self.storage_read_hold(&mut st, now) {
            soonest(until);
            // Said in the queued messages' history (not only at debug):
            // the note keeps the wording it had when this hold began.
            let same = st.wait_note.as_ref().and_then(|n| n.as_deref()).is_some_and(|n| {
                n.starts_with("waiting up to ") && n.contains(&format!(" for {ports} to read"))
            });
            if !same {
                let secs = (until - now + 999) / 1000;
                let why = format!(
                    "waiting up to {secs} s for {ports} to read its stored messages (a STOP may be waiting there)"
                );
                info!(reason = %why, "queued messages wait");
                store.note_queue_wait(now, Some(&why))?;
                st.wait_note = Some(Some(why));
            }
            return Ok((deadline, false));
        }
        // What each slot can do right now, and why those that cannot.
        let mut views = Vec::new();
        let mut slot_of_view = Vec::new();
        let mut held: Vec<String> = Vec::new();
        let mut any_able = false;
        let mut reached_limit: Vec<(String, u32)> = Vec::new();
        let mut reached_quota: Vec<(String, String, bool)> = Vec::new();
        for (i, slot) in st.slots.iter().enumerate() {
            let status = slot.handle.status();
            let Some(imsi) = status.info.as_ref().and_then(|info| info.imsi.clone()) else {
                held.push(held_label(&status.state));
                continue;
            };
            // Busy is the modem between parts of our own job: still the SIM's.
            let ready = matches!(status.state, ModemState::Ready | ModemState::Busy);
            let pending = finished
                .as_ref()
                .filter(|f| f.imsi == imsi)
                .map_or(0, |f| f.segments as u64);
            let policy = slot.policy;
            let rt = st.sims.get(&imsi);
            let cooling = rt.and_then(|r| r.cooldown_until).filter(|&u| u > now);
            if let Some(u) = cooling {
                soonest(u);
            }
            // Quotas: the send being recorded counts, its recipient as new
            // (at worst one round too careful; the next reads the store).
            let mut used = usage(sims_db.iter().find(|s| s.imsi == imsi), clock.as_ref(), now);
            used.sent_today += pending;
            used.sent_month += pending;
            let stored_unique = policy.left(&used).unique_left;
            used.recipients_month += u64::from(pending > 0);
            let quota = policy.left(&used);
            let capacity = quota.segments();
            let at_limit = quota.daily_left == Some(0);
            let at_month_limit = quota.monthly_left == Some(0);
            if at_limit {
                soonest(clock.next_midnight(now));
                if rt.and_then(|r| r.limit_logged_on.as_deref()) != Some(today.as_str()) {
                    reached_limit.push((imsi.clone(), quota.daily_limit.unwrap_or(0)));
                }
            }
            if at_month_limit || quota.unique_left == Some(0) {
                soonest(clock.next_month_start(now));
                let key = format!("{} {}", at_month_limit, month_of(&today));
                let reached = at_month_limit || stored_unique == Some(0);
                if reached && rt.and_then(|r| r.quota_logged.as_deref()) != Some(key.as_str()) {
                    reached_quota.push((imsi.clone(), key, at_month_limit));
                }
            }
            // Busy or at a per-minute cap is waiting one's turn; these are not.
            if !ready {
                held.push(held_label(&status.state));
            } else if let Some(u) = cooling {
                held.push(format!("cooling down until {}", local_hhmm(u)));
            } else if at_limit {
                held.push(format!(
                    "at the daily limit until {}",
                    local_hhmm(clock.next_midnight(now))
                ));
            } else if at_month_limit {
                held.push(format!(
                    "at the monthly limit until {}",
                    local_day(clock.next_month_start(now))
                ));
            } else {
                any_able = true;
            }
            views.push(SimView {
                imsi: imsi.clone(),
                usable: ready && cooling.is_none(),
                idle: !slot.busy || Some(slot.id) == finishing,
                capacity,
                unique_left: quota.unique_left,
                known: Default::default(),
            });
            slot_of_view.push(i);
        }
        for (imsi, limit) in reached_limit {
            warn!(imsi = %imsi, limit, resumes = %local_hhmm(clock.next_midnight(now)), "SIM reached its daily limit; resting until midnight");
            st.sims.entry(imsi).or_default().limit_logged_on = Some(today.clone());
        }
        for (imsi, key, monthly) in reached_quota {
            let resumes = local_day(clock.next_month_start(now));
            if monthly {
                warn!(imsi = %imsi, resumes = %resumes, "SIM reached its monthly limit; resting until the month turns");
            } else {
                warn!(imsi = %imsi, resumes = %resumes, "SIM reached its distinct recipients for the month; it texts only numbers it already texted until the month turns");
            }
            st.sims.entry(imsi).or_default().quota_logged = Some(key);
        }
        // Why the queue waits, written only when that changes.
        let waiting = (!any_able).then(|| waiting_reason(&held));
        if st.wait_note.as_ref() != Some(&waiting) {
            match &waiting {
                Some(why) => warn!(reason = %why, "queued messages wait"),
                None if st.wait_note.as_ref().is_some_and(Option::is_some) => {
                    info!("a SIM can send again")
                }
                None => {}
            }
            store.note_queue_wait(now, waiting.as_deref())?;
            st.wait_note = Some(waiting);
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
        // Campaigns: due A/B decisions, then as many campaign messages as
        // the SIMs can take now (never a backlog ahead of transactional
        // messages); sleep until the next window, cap, rate slot or deadline.
        if let Some(t) = self.feed_campaigns(&mut st, &views, now) {
            deadline = Some(deadline.map_or(t, |d: i64| d.min(t)));
        }
        // Automations: runs due now become messages (their windows, caps
        // and consent checked); sleep until the next is due.
        if let Some(t) = self.feed_automations(&mut st, now) {
            deadline = Some(deadline.map_or(t, |d: i64| d.min(t)));
        }
        if !views.iter().any(|v| v.usable && v.idle) {
            return Ok((deadline, false));
        }
        let idle = views.iter().filter(|v| v.usable && v.idle).count();
        let candidates = store.candidates((idle * 8).max(256))?;
        if candidates.is_empty() {
            return Ok((deadline, false));
        }
        // SIMs with a distinct-recipient quota: which of these numbers each
        // already texted this month (those it may still text at the limit).
        if views.iter().any(|v| v.unique_left.is_some()) {
            let recipients: Vec<&str> = candidates.iter().map(|c| c.recipient.as_str()).collect();
            for (imsi, recipient) in store.known_recipients(month_of(&today), &recipients)? {
                if let Some(v) = views
                    .iter_mut()
                    .find(|v| v.imsi == imsi && v.unique_left.is_some())
                {
                    v.known.insert(recipient);
                }
            }
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
    ///
    /// Nor does one whose port did not answer its last opening attempt
    /// ([`ModemStatus::unanswered_inits`]): its storage cannot be read
    /// anyway, and it is read when it answers, before it sends (a new hold
    /// starts then). The accepted cost, bounded by that silence and logged:
    /// meanwhile the others may text a number whose STOP sits on it.
    ///
    /// Returns when the hold ends at the latest and the ports holding
    /// ("/dev/ttyUSB0, /dev/ttyUSB2"), if there is a hold.
    fn storage_read_hold(&self, st: &mut State, now: i64) -> Option<(i64, String)> {
        let grace = self.shared.config.storage_read_grace.as_millis() as i64;
        let mut hold: Option<i64> = None;
        let mut ports: Vec<String> = Vec::new();
        let slots: Vec<(u64, ModemStatus)> = st.slots.iter().map(|s| (s.id, s.handle.status())).collect();
        st.unread_since.retain(|id, _| slots.iter().any(|(s, _)| s == id));
        st.mute_not_holding
            .retain(|id| slots.iter().any(|(s, _)| s == id));
        for (id, status) in slots {
            let mute = status.unanswered_inits > 0 && status.state == ModemState::Connecting;
            if mute {
                st.unread_since.remove(&id);
                if st.mute_not_holding.insert(id) {
                    warn!(
                        port = %status.port.display(),
                        failed_attempts = status.unanswered_inits,
                        "modem does not answer: the other SIMs send without waiting for it to read its stored messages (a STOP stored on it is read when it answers)"
                    );
                }
                continue;
            }
            if status.unanswered_inits == 0 {
                st.mute_not_holding.remove(&id);
            }
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
                    ports.push(status.port.display().to_string());
                }
            } else if status.storage_read || status.state == ModemState::Disconnected {
                st.unread_since.remove(&id);
            }
        }
        hold.map(|h| (h, ports.join(", ")))
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
        let recipient = job.claimed.recipient.clone();
        // SIMs to rest: (imsi, how long, why).
        let mut cool: Vec<(String, Duration, String)> = Vec::new();
        // What this attempt says about the SIM, if anything.
        let mut verdict = Verdict::Failed;
        let mut finished: Option<SentRecord> = None;
        let result = match outcome {
            Outcome::Sent { unknown } => {
                // A part without an answer counts against the SIM.
                if unknown.is_empty() {
                    verdict = Verdict::Ok;
                }
                // A SIM that was refused for this recipient in words that
                // could have meant either was the one at fault.
                let blamed = {
                    let mut st = self.state();
                    st.suspects
                        .remove(&recipient)
                        .filter(|s| !s.convicted && s.imsi != imsi)
                };
                if let Some(s) = blamed {
                    warn!(imsi = %s.imsi, msg_id = id, reason = %s.reason, "refused by the network through one SIM, sent through another: the SIM's problem");
                    cool.push((
                        s.imsi,
                        config.sim_problem_cooldown,
                        format!(
                            "SIM problem: {}; the recipient got a message through SIM {imsi}",
                            s.reason
                        ),
                    ));
                }
                // Recorded below, together with this SIM's next claim.
                if unknown.is_empty() {
                    info!(msg_id = id, imsi = %imsi, segments = job.segments, "message sent");
                } else {
                    warn!(msg_id = id, imsi = %imsi, unknown = ?unknown, "message written; some parts' outcome unknown");
                }
                finished = Some(SentRecord {
                    id,
                    imsi,
                    segments: job.segments,
                    today: self.shared.clock.local_date(now).to_string(),
                    last_part,
                    unknown_parts: unknown,
                });
                Ok(())
            }
            Outcome::Hold {
                reason,
                failure,
                retry_at,
            } => {
                // Not the SIM's doing when the SIM is merely gone; a
                // refusal that fits the recipient as well is doubtful.
                verdict = match failure {
                    None => Verdict::NotTheSims,
                    Some(SendFailure::RecipientOrSim) => Verdict::Doubtful,
                    Some(_) => Verdict::Failed,
                };
                if failure == Some(SendFailure::SimProblem) {
                    cool.push((
                        imsi.clone(),
                        config.sim_problem_cooldown,
                        format!("SIM problem: {reason}"),
                    ));
                }
                // A SIM that is gone comes back with a status change, which
                // wakes the dispatcher: no timer needed then.
                let present = matches!(job.handle.status().state, ModemState::Ready | ModemState::Busy);
                let retry_at = retry_at.filter(|_| present);
                info!(msg_id = id, imsi = %imsi, reason = %reason, "rest of the message waits for its SIM");
                let sim_error = failure.is_some();
                store
                    .run(move |s| s.hold_for_sim(id, &imsi, &reason, retry_at, sim_error, now))
                    .await
            }
            Outcome::Suppressed(reason) => {
                verdict = Verdict::NotTheSims;
                info!(msg_id = id, reason = %reason, "not sent: the recipient opted out (or, for marketing, has no consent)");
                store.run(move |s| s.mark_suppressed(id, &reason, now)).await
            }
            Outcome::Unknown(reason) => {
                warn!(msg_id = id, imsi = %imsi, reason = %reason, "message outcome unknown; not re-sending");
                store
                    .run(move |s| s.mark_unknown(id, Some(&imsi), &reason, now))
                    .await
            }
            Outcome::Failed { reason, sims_fault } => {
                if !sims_fault {
                    verdict = Verdict::NotTheSims;
                }
                warn!(msg_id = id, imsi = %imsi, reason = %reason, "message failed");
                // The SIM's failure count (a metric) only when it says something about the SIM.
                if sims_fault {
                    store
                        .run(move |s| s.mark_failed(id, Some(&imsi), &reason, now))
                        .await
                } else {
                    // The recipient's or the message's: its contact learns.
                    store.run(move |s| s.mark_refused(id, &reason, now)).await
                }
            }
            Outcome::NotSent { failure, reason } => {
                if failure == SendFailure::SimProblem {
                    cool.push((
                        imsi.clone(),
                        config.sim_problem_cooldown,
                        format!("SIM problem: {reason}"),
                    ));
                }
                // Refused in words that fit the recipient as well as the
                // SIM: the same refusal through a second SIM settles it.
                let recipients_fault = if failure == SendFailure::RecipientOrSim {
                    verdict = Verdict::Doubtful;
                    self.suspect(&recipient, &imsi, &reason, now)
                } else {
                    None
                };
                if let Some(other) = recipients_fault {
                    verdict = Verdict::NotTheSims;
                    let reason = if other == imsi {
                        format!("refused for this recipient, as through other SIMs before: {reason}")
                    } else {
                        format!("refused for this recipient through SIM {other} and SIM {imsi}: {reason}")
                    };
                    warn!(msg_id = id, reason = %reason, "message failed: the recipient's fault, not the SIMs'");
                    store.run(move |s| s.mark_refused(id, &reason, now)).await
                } else if job.claimed.attempts >= config.max_attempts {
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
            match verdict {
                Verdict::Ok => rt.errors.record(true),
                Verdict::Failed => rt.errors.record(false),
                Verdict::Doubtful => rt.errors.record_doubtful(&recipient),
                Verdict::NotTheSims => {}
            }
            if !cool.iter().any(|(i, _, _)| *i == job.imsi) && rt.errors.too_high() {
                cool.push((
                    job.imsi.clone(),
                    config.error_rate_cooldown,
                    format!("{} of the last 10 sends failed", rt.errors.failures()),
                ));
            }
            for (sim, wait, reason) in &cool {
                let until = now + wait.as_millis() as i64;
                let rt = st.sims.entry(sim.clone()).or_default();
                rt.cooldown_until = Some(until);
                rt.cooldown_reason = Some(reason.clone());
                rt.errors.reset();
                warn!(imsi = %sim, reason = %reason, "SIM cooling down");
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
        for (sim, wait, reason) in cool {
            let until = now + wait.as_millis() as i64;
            let _ = store
                .run(move |s| s.set_cooldown(&sim, Some(until), Some(&reason)))
                .await;
        }
        self.shared.idle.notify_waiters();
        self.wake();
    }

    /// Remembers that `recipient` was refused through SIM `imsi` with
    /// `reason`; returns the other SIM if it was refused the same way
    /// through another one (then the recipient is at fault: neither SIM's
    /// error rate keeps those failures).
    fn suspect(&self, recipient: &str, imsi: &str, reason: &str, now: i64) -> Option<String> {
        let mut st = self.state();
        let other = st
            .suspects
            .get(recipient)
            .filter(|s| (s.convicted || s.imsi != imsi) && s.reason == reason)
            .map(|s| s.imsi.clone());
        if let Some(other) = &other {
            // Settled: the next refusal in these words, through any SIM,
            // is the recipient's at once (until a message gets through).
            if let Some(s) = st.suspects.get_mut(recipient) {
                s.convicted = true;
                s.at = now;
            }
            for sim in [imsi, other.as_str()] {
                if let Some(rt) = st.sims.get_mut(sim) {
                    rt.errors.forgive(recipient);
                }
            }
            return Some(other.clone());
        }
        // Bounded: doubts older than an hour are dropped first.
        if st.suspects.len() >= MAX_SUSPECTS {
            st.suspects.retain(|_, s| s.at > now - 3_600_000);
            if st.suspects.len() >= MAX_SUSPECTS {
                st.suspects.clear();
            }
        }
        st.suspects.insert(
            recipient.to_string(),
            Suspect {
                imsi: imsi.to_string(),
                reason: reason.to_string(),
                at: now,
                convicted: false,
            },
        );
        None
    }

    /// Sends the parts from `resume_from` on; returns the outcome and, when
    /// all were written, the last part's record (stored together with the
    /// verdict).
    ///
    /// Each part but the last is recorded durably before the next is
    /// written, which also marks the next one in flight (see
    /// `store::recover`). Once any part went (or may have), the rest only
    /// ever go through this SIM with this reference: a refused later part
    /// is held for the SIM ([`Outcome::Hold`]), a part without an answer is
    /// recorded `unknown` and the parts after it are still sent, and a
    /// shutdown stops between parts rather than in one.
    async fn send_parts(&self, job: &Job) -> (Outcome, Option<PartSent>) {
        let c = &job.claimed;
        // Opt-out is law: checked again right before the first byte (with a
        // marketing message's consent).
        let id = c.id;
        match self.shared.store.run(move |s| s.suppression(id)).await {
            Ok(Some(reason)) => return (Outcome::Suppressed(reason), None),
            Ok(None) => {}
            Err(e) => {
                let reason = format!("cannot check the opt-out list: {e}");
                return (
                    self.not_sent_yet(
                        c,
                        SendFailure::RetryElsewhere,
                        reason,
                        c.resume_from,
                        &c.unknown_parts,
                    ),
                    None,
                );
            }
        }
        let to = match Address::parse_number(&c.recipient) {
            Ok(a) => a,
            Err(e) => return (not_the_sims(e.to_string()), None),
        };
        let plan = match sms::plan(&c.text, &self.shared.config.split) {
            Ok(p) => p,
            Err(e) => return (not_the_sims(e.to_string()), None),
        };
        // A resumed message must be cut exactly as its first parts were.
        if c.resuming() && (plan.segment_count() != c.segments || plan.encoding.as_str() != c.encoding) {
            let parts = describe_parts(c.segments, &c.unknown_parts, c.resume_from);
            return (
                not_the_sims(format!(
                    "{parts}: the encoding options changed since (now {} segments in {}, was {} in {}), so the rest cannot be sent to join them",
                    plan.segment_count(),
                    plan.encoding.as_str(),
                    c.segments,
                    c.encoding
                )),
                None,
            );
        }
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
            Err(e) => return (not_the_sims(e.to_string()), None),
        };
        let total = pdus.len();
        let mut unknown = c.unknown_parts.clone();
        let mut last = None;
        for (i, pdu) in pdus.into_iter().enumerate().skip(c.resume_from.saturating_sub(1)) {
            let seq = i + 1;
            if seq > c.resume_from && self.state().stopping {
                let parts = describe_parts(total, &unknown, seq);
                return (
                    Outcome::Hold {
                        reason: format!(
                            "the gateway is stopping: {parts}; the rest will go through SIM {} with reference {} after the restart",
                            job.imsi, c.concat_ref
                        ),
                        failure: None,
                        retry_at: None,
                    },
                    None,
                );
            }
            match job.handle.send(pdu).await {
                Ok(mr) => {
                    let part = PartSent {
                        message_id: c.id,
                        seq,
                        imsi: job.imsi.clone(),
                        concat_ref: c.concat_ref,
                        message_ref: Some(mr),
                        at: self.shared.clock.now_ms(),
                    };
                    if seq == total {
                        last = Some(part);
                    } else if let Err(e) = self.shared.store.run(move |s| s.record_part_sent(&part)).await {
                        // Going on would leave the next part looking
                        // unsent after a crash: stop here.
                        return (
                            Outcome::Unknown(format!(
                                "part {seq} of {total} was sent but could not be recorded ({e}); the rest is not sent"
                            )),
                            None,
                        );
                    }
                }
                Err(SendError::Ambiguous { reason }) if total == 1 => {
                    return (Outcome::Unknown(format!("part 1 of 1: {reason}")), None);
                }
                Err(SendError::Ambiguous { reason }) => {
                    // It may have gone: never written again. The parts
                    // after it certainly did not, and still follow.
                    warn!(msg_id = c.id, imsi = %job.imsi, part = seq, total, reason = %reason, "part outcome unknown; sending the rest");
                    let (imsi, concat_ref, at) = (job.imsi.clone(), c.concat_ref, self.shared.clock.now_ms());
                    if let Err(e) = self
                        .shared
                        .store
                        .run(move |s| s.record_part_unknown(id, seq, &imsi, concat_ref, at))
                        .await
                    {
                        return (
                            Outcome::Unknown(format!(
                                "part {seq} of {total}: {reason}; it could not be recorded ({e}), so the rest is not sent"
                            )),
                            None,
                        );
                    }
                    unknown.push(seq);
                }
                Err(SendError::NotSent { failure, reason }) => {
                    return (self.not_sent_yet(c, failure, reason, seq, &unknown), None);
                }
            }
        }
        (Outcome::Sent { unknown }, last)
    }

    /// Part `seq` was certainly not sent. Before any part went, the message
    /// may go anywhere; after, it waits for this SIM (with a backoff while
    /// the SIM is there and refusing), unless the refusal is permanent.
    /// `unknown` lists the parts recorded `unknown` so far, this run's
    /// included (not only those the claim started with), so the history
    /// says which parts may have reached the network.
    fn not_sent_yet(
        &self,
        c: &crate::store::ClaimedMessage,
        failure: SendFailure,
        reason: String,
        seq: usize,
        unknown: &[usize],
    ) -> Outcome {
        if seq == 1 {
            return match failure {
                SendFailure::Permanent => not_the_sims(reason),
                _ => Outcome::NotSent { failure, reason },
            };
        }
        let parts = describe_parts(c.segments, unknown, seq);
        if failure == SendFailure::Permanent {
            return not_the_sims(format!(
                "part {seq} of {} refused ({reason}): {parts}, so the recipient may see an incomplete message",
                c.segments
            ));
        }
        // Doubling by attempt, unless the modem is gone: then its return
        // (a status change) is what wakes the dispatcher (see `send`).
        let (first, most) = self.shared.config.part_retry_backoff;
        let backoff = first
            .saturating_mul(1 << c.attempts.saturating_sub(1).min(16))
            .min(most);
        let retry_at = Some(self.shared.clock.now_ms() + backoff.as_millis() as i64);
        Outcome::Hold {
            reason: format!(
                "part {seq} of {} not sent ({reason}): {parts}; waiting to send the rest through the same SIM",
                c.segments
            ),
            failure: Some(failure),
            retry_at,
        }
    }
}

enum Outcome {
    /// The recipient opted out after the claim: nothing was written.
    Suppressed(String),
    /// Every part was written; `unknown` are those that may not have
    /// reached the network (then the message is `unknown`, naming them).
    Sent {
        unknown: Vec<usize>,
    },
    /// Parts went; the rest certainly did not and wait for the same SIM
    /// (`failure`: its refusal, if it refused; `retry_at`: not before).
    Hold {
        reason: String,
        failure: Option<SendFailure>,
        retry_at: Option<i64>,
    },
    NotSent {
        failure: SendFailure,
        reason: String,
    },
    Failed {
        reason: String,
        /// Whether it says something about the SIM (not a refused
        /// recipient or message).
        sims_fault: bool,
    },
    Unknown(String),
}

/// What one attempt says about its SIM's health.
enum Verdict {
    Ok,
    Failed,
    /// Failed, but maybe the recipient's doing.
    Doubtful,
    /// Nothing: the recipient's or the message's doing, or not sent at all.
    NotTheSims,
}

/// A recipient refused through one SIM in words that fit both.
struct Suspect {
    /// The SIM it was first refused through.
    imsi: String,
    /// The refusal, in words.
    reason: String,
    at: i64,
    /// Refused the same way through a second SIM: the recipient's fault.
    convicted: bool,
}

/// Recipients under suspicion kept at most.
const MAX_SUSPECTS: usize = 4096;
/// Why a modem in `state` cannot send, as counted in a queue note.
fn held_label(state: &ModemState) -> String {
    match state {
        ModemState::NoSim => "without a SIM".into(),
        ModemState::PinRequired => "waiting for a SIM PIN".into(),
        other => other.as_str().replace('_', " "),
    }
}

/// "no SIM ready: 2 disconnected, 1 at the daily limit until 00:00".
fn waiting_reason(held: &[String]) -> String {
    if held.is_empty() {
        return "no modem found yet (check each [[modem]] port)".into();
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for h in held {
        match counts.iter_mut().find(|(l, _)| *l == h.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((h, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
    format!("no SIM ready: {}", parts.join(", "))
}

/// What the store counts of a SIM's use at `now` (local day and month).
fn usage(row: Option<&crate::store::SimRow>, clock: &dyn Clock, now: i64) -> SimUsage {
    let today = clock.local_date(now);
    let day = today.to_string();
    let month = month_of(&day);
    SimUsage {
        sent_today: row.map_or(0, |r| r.sent_on(&day)),
        sent_month: row.map_or(0, |r| r.sent_in_month(month)),
        recipients_month: row.map_or(0, |r| r.recipients_in_month(month)),
        day: row.map_or(1, |r| day_since(clock.local_date(r.first_seen), today)),
    }
}

/// `ms` as a local date, `1 Jan`.
fn local_day(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&chrono::Local)
        .format("%-d %b")
        .to_string()
}

/// `ms` as local `HH:MM`.
fn local_hhmm(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&chrono::Local)
        .format("%H:%M")
        .to_string()
}

/// A failure that is the message's or the recipient's, not the SIM's.
fn not_the_sims(reason: String) -> Outcome {
    Outcome::Failed {
        reason,
        sims_fault: false,
    }
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
