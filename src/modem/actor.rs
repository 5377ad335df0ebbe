//! One task per modem. It owns the line, initialises the modem, sends what
//! it is asked to, reads what arrives, keeps an eye on health, and
//! reconnects when the device comes back after an unplug. Others hold a
//! [`ModemHandle`]: a request channel and a `watch` of the modem's status.
//!
//! What is stored on the modem is read whatever happened to its
//! notification: every memory where messages or reports land is swept at
//! (re)connect (before `storage_read` lets the dispatcher send), after any
//! command timed out, and whenever the cheap storage check (`AT+CPMS?`
//! counts against what is known to be left) finds more; a `+CMTI` on the
//! line is read before the next send. Measured over the simulator with the
//! default intervals: a message stored with no notification reaches the
//! consumer within the 10 s storage check (2.8–9.3 s in twelve tries,
//! `scripts/measure-unannounced.sh`); a hang is noticed within 15 s idle
//! (storage check plus its 5 s timeout), 2 s before a send that follows
//! 5 s of silence, 5 s after `AT+CMGS` (no prompt;
//! then up to three `AT` tries at 2 s each bring it back to command
//! mode, so the send is answered "not sent" within about 11 s) otherwise
//! — all well inside the 60 s send timeout.
//!
//! A modem whose notifications cannot be trusted is watched more closely:
//! once a periodic storage check (or the check before a send) finds
//! messages or status reports that were never announced, every memory's
//! count is checked after each send for the rest of the session (a few
//! `AT+CPMS?`, milliseconds each), so reports are read as fast as the
//! sends produce them and a report memory holding a handful (Telit's
//! "SR") never overflows under steady traffic. It is kept for the session
//! rather than dropped when a notification is seen again: a modem that
//! loses some notifications would flap, and each lapse back to the 10 s
//! check could lose reports. A reconnect starts trusting it again.
//!
//! Incoming calls: `RING`/`+CLIP` feed the session's [`CallTracker`]; the
//! call is rejected (`AT+CHUP`, else `ATH`) or left ringing per
//! [`ModemConfig::call_action`], never answered, and one [`CallEvent`] per
//! call goes to [`ModemConfig::calls`] when it is over (a timer wakes the
//! loop for the `+CLIP` wait and the silence that ends a ringing call).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};
use tracing::{debug, info, warn};

use super::calls::{CallAction, CallDue, CallEnd, CallEvent, CallTracker, Ringing};
use super::connect::{BoxedIo, Connector};
use super::error::{AtError, SendError};
use super::init::{InitError, Initialised, initialise};
use super::port::AtPort;
use super::state::{ModemState, ModemStatus};
use crate::at::command::{
    AckMessage, Attention, DeleteMessage, HangUp, HangUpV250, ListMessages, QueryMemories, QueryRegistration,
    ReadMessage, Reset, SelectReadStorage, SignalQuality, Storage,
};
use crate::at::{RegStatus, SendFailure, Urc};
use crate::sms::EncodedPdu;

/// How a modem is driven.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    /// SIM PIN, entered once if the SIM asks for it.
    pub pin: Option<String>,
    /// How long to wait for `+CMGS` after the PDU (networks can take tens of seconds).
    pub send_timeout: Duration,
    /// Interval of the health checks (signal, registration). A modem that
    /// stops answering is reset after twice this.
    pub health_interval: Duration,
    /// Interval of the storage check: `AT+CPMS?` counts against what is
    /// known, so a message whose notification was lost is read within
    /// about this long; also notices a hung modem.
    pub storage_check: Duration,
    /// A modem that has said nothing for this long must answer
    /// `AT+CPMS?` within [`PROBE_TIMEOUT`] before a send: a hung one is
    /// found there with nothing sent (not after the send timeout), and a
    /// message stored meanwhile without a notification is read first.
    pub quiet_probe: Duration,
    /// Reconnect backoff: first and longest wait.
    pub backoff: (Duration, Duration),
    /// How long the inbound consumer may take to confirm it stored a message.
    pub ack_timeout: Duration,
    /// The SIM's own number (`[[modem]] number`), shown instead of what
    /// `AT+CNUM` says.
    pub number: Option<String>,
    /// What to do with incoming calls (`[calls] action`).
    pub call_action: CallAction,
    /// Where one [`CallEvent`] per incoming call goes; without it calls are
    /// still rejected (or left ringing) and logged.
    pub calls: Option<mpsc::Sender<CallEvent>>,
}

impl Default for ModemConfig {
    fn default() -> Self {
        Self {
            pin: None,
            send_timeout: Duration::from_secs(60),
            health_interval: Duration::from_secs(30),
            storage_check: Duration::from_secs(10),
            quiet_probe: Duration::from_secs(5),
            backoff: (Duration::from_secs(1), Duration::from_secs(30)),
            ack_timeout: Duration::from_secs(30),
            number: None,
            call_action: CallAction::Reject,
            calls: None,
        }
    }
}

/// Where a received PDU came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundSource {
    /// Stored on the SIM/modem at this storage and index; deleted after the ack.
    Stored {
        /// Storage name.
        storage: String,
        /// Index in it.
        index: u32,
    },
    /// Delivered directly (`+CMT`/`+CDS`); acknowledged to the network after the ack.
    Direct,
}

/// A received PDU handed to the consumer, who must confirm with `ack`
/// once it is stored durably. Without the confirmation the message stays
/// on the SIM (or unacknowledged at the network) and comes again.
#[derive(Debug)]
pub struct Inbound {
    /// Port of the modem it arrived on.
    pub port: std::path::PathBuf,
    /// IMEI of that modem.
    pub imei: String,
    /// IMSI of the SIM it arrived for.
    pub imsi: Option<String>,
    /// Where it came from.
    pub source: InboundSource,
    /// The PDU in hex as the modem printed it.
    pub pdu: String,
    /// Send `()` once stored.
    pub ack: oneshot::Sender<()>,
}

enum Request {
    Send {
        pdu: EncodedPdu,
        reply: oneshot::Sender<Result<u8, SendError>>,
    },
}

/// A handle on a running modem actor. Dropping every handle stops it.
#[derive(Clone)]
pub struct ModemHandle {
    requests: mpsc::Sender<Request>,
    status: watch::Receiver<ModemStatus>,
    appeared: Arc<tokio::sync::Notify>,
}

impl ModemHandle {
    /// Sends one PDU; parts of a message are sent one after another through
    /// the same handle, in order.
    pub async fn send(&self, pdu: EncodedPdu) -> Result<u8, SendError> {
        let (reply, rx) = oneshot::channel();
        if self.requests.send(Request::Send { pdu, reply }).await.is_err() {
            return Err(SendError::not_sent(
                SendFailure::RetryElsewhere,
                "modem task stopped",
            ));
        }
        rx.await.unwrap_or_else(|_| {
            Err(SendError::not_sent(
                SendFailure::RetryElsewhere,
                "modem task stopped",
            ))
        })
    }

    /// The current status.
    pub fn status(&self) -> ModemStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn watch(&self) -> watch::Receiver<ModemStatus> {
        self.status.clone()
    }

    /// Says the port's path appeared again (a replug): a modem waiting to
    /// reopen it tries at once instead of at the end of its backoff.
    pub fn port_appeared(&self) {
        self.appeared.notify_one();
    }

    /// What [`ModemHandle::port_appeared`] notifies, for a watcher that must
    /// not keep the modem alive (a handle does; this does not).
    pub fn appeared_signal(&self) -> Arc<tokio::sync::Notify> {
        self.appeared.clone()
    }
}

/// Starts the actor for the modem `connector` opens. Received PDUs go to
/// `inbound`; without a consumer they stay on the SIM.
pub fn spawn(
    connector: Arc<dyn Connector>,
    config: ModemConfig,
    inbound: Option<mpsc::Sender<Inbound>>,
) -> ModemHandle {
    let (requests, rx) = mpsc::channel(16);
    let (status_tx, status) = watch::channel(ModemStatus::new(connector.describe()));
    let appeared = Arc::new(tokio::sync::Notify::new());
    let actor = Actor {
        connector,
        config,
        inbound,
        rx,
        status: status_tx,
        pin_rejected: false,
        appeared: appeared.clone(),
        left_logged: BTreeSet::new(),
        caller_id_refused_logged: false,
    };
    tokio::spawn(actor.run());
    ModemHandle {
        requests,
        status,
        appeared,
    }
}

/// Opening attempts that find a port not answering `AT` before the modem
/// is `failed` (each attempt is [`init::synchronise`]'s 6 tries, ~12 s).
///
/// [`init::synchronise`]: super::init::synchronise
pub const MUTE_ATTEMPTS: u32 = 3;

/// Logs `why` at warn unless it is the reason already logged.
fn warn_once(warned: &mut Option<String>, port: &str, why: &str) {
    if warned.as_deref() != Some(why) {
        warn!(port = %port, reason = %why, "modem not ready");
        *warned = Some(why.to_string());
    }
}

struct Actor {
    connector: Arc<dyn Connector>,
    config: ModemConfig,
    inbound: Option<mpsc::Sender<Inbound>>,
    rx: mpsc::Receiver<Request>,
    status: watch::Sender<ModemStatus>,
    /// A PIN was refused once: never enter it again (three tries lock the SIM).
    pin_rejected: bool,
    /// Notified when discovery sees the port's path (re)appear.
    appeared: Arc<tokio::sync::Notify>,
    /// Stored outgoing messages already logged as left on the SIM
    /// (memory, index): logged once per slot per daemon run, not at every
    /// reconnect.
    left_logged: BTreeSet<(String, u32)>,
    /// `AT+CLIP=1` refused: said once per daemon run, not per reconnect.
    caller_id_refused_logged: bool,
}

/// Why a session with an initialised modem ended.
enum SessionEnd {
    /// Every handle was dropped.
    Shutdown,
    /// The device went away.
    Disconnected(String),
    /// It stopped answering.
    Unresponsive,
    /// The SIM went away.
    SimLost,
}

struct Session {
    port: AtPort<BoxedIo>,
    init: Initialised,
    /// The storage in use: `<mem1>` between reads of other memories, and
    /// where new messages land (`<mem3>`).
    storage: Storage,
    /// Every memory to sweep, the storage in use first.
    memories: Vec<String>,
    /// The memory `<mem1>` names right now (the storage in use, except
    /// while another memory is being read).
    mem1: String,
    /// Memories the modem refused to read from (logged once).
    unreadable: BTreeSet<String>,
    /// Stored outgoing messages left on the modem on purpose: (memory, index).
    left: BTreeSet<(String, u32)>,
    /// Something may be stored unread: sweep before the next send.
    sweep_due: bool,
    /// The storage was found full of outgoing messages (warned once).
    full_warned: bool,
    /// [`AtPort::timeouts`] when last looked at.
    timeouts_seen: u64,
    /// Since when the modem has not answered; no sends meanwhile.
    stalled_since: Option<Instant>,
    /// When a stalled modem is asked `AT` again.
    next_probe: Instant,
    /// Inbound messages and reports taken from storage by sweeps so far.
    taken: u64,
    /// A storage check found messages or reports never announced: every
    /// memory is checked before each send, for the rest of the session.
    unannounced: bool,
    /// The incoming call in progress, if any.
    call: CallTracker,
}

impl Session {
    /// Messages known to be left in `memory` on purpose.
    fn known_in(&self, memory: &str) -> u32 {
        self.left.iter().filter(|(m, _)| m == memory).count() as u32
    }
}

/// How long the check before a send, and a stalled modem's probes, may
/// take: a modem answers `AT` or `AT+CPMS?` in milliseconds.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a modem that stopped answering is probed.
const STALL_PROBE_EVERY: Duration = Duration::from_secs(2);

impl Actor {
    async fn run(mut self) {
        let port_name = self.connector.describe().display().to_string();
        let mut backoff = self.config.backoff.0;
        // Each reason the modem is not ready is logged once, at warn, until
        // it is ready again: a port retried every 30 s does not fill the log.
        let mut warned: Option<String> = None;
        // Opening attempts in a row that found a port which does not answer.
        let mut mute = 0u32;
        loop {
            let io = match self.connector.connect().await {
                Ok(io) => {
                    // `connecting` is initialising an open port; a port still
                    // missing stays `disconnected`, and a modem already given
                    // up on keeps its `failed` while retried.
                    // A new session either way: what is stored on it has
                    // not been read yet (the dispatcher waits for that).
                    self.status.send_modify(|st| st.storage_read = false);
                    if self.status.borrow().state != ModemState::Failed {
                        self.set_state(ModemState::Connecting, None);
                    }
                    io
                }
                Err(e) => {
                    // Gone (unplugged, not yet created) is `disconnected`;
                    // there but unusable (not a serial port, no permission)
                    // is `failed` until someone acts.
                    let (state, why) = if e.kind() == std::io::ErrorKind::NotFound {
                        (ModemState::Disconnected, format!("cannot open {port_name}: {e}"))
                    } else {
                        (ModemState::Failed, format!("cannot open {port_name}: {e}"))
                    };
                    warn_once(&mut warned, &port_name, &why);
                    self.set_state(state, Some(why));
                    let wait = backoff;
                    backoff = (backoff * 2).min(self.config.backoff.1);
                    if !self.wait_serving(wait).await {
                        return;
                    }
                    continue;
                }
            };
            let mut port = AtPort::new(io, port_name.clone());
            let outcome = initialise(&mut port, self.config.pin.as_deref(), self.pin_rejected).await;
            let wait = match outcome {
                Ok(init) => {
                    backoff = self.config.backoff.0;
                    mute = 0;
                    self.status.send_modify(|st| st.unanswered_inits = 0);
                    if warned.take().is_some() {
                        info!(port = %port_name, "modem answers again");
                    }
                    match self.session(port, init).await {
                        SessionEnd::Shutdown => return,
                        SessionEnd::Disconnected(why) => {
                            self.set_state(ModemState::Disconnected, Some(why));
                            self.config.backoff.0
                        }
                        SessionEnd::Unresponsive => {
                            self.set_state(ModemState::Failed, Some("stopped answering; reopening".into()));
                            self.config.backoff.0
                        }
                        SessionEnd::SimLost => {
                            self.set_state(ModemState::NoSim, Some("SIM removed".into()));
                            self.config.backoff.1
                        }
                    }
                }
                Err(e) => {
                    let mut why = e.to_string();
                    let (state, wait) = match &e {
                        InitError::NoSim => (ModemState::NoSim, self.config.backoff.1),
                        InitError::PinRequired => (ModemState::PinRequired, self.config.backoff.1),
                        InitError::PinRejected(_) => {
                            self.pin_rejected = true;
                            (ModemState::Failed, self.config.backoff.1)
                        }
                        InitError::PukRequired => (ModemState::Failed, self.config.backoff.1),
                        InitError::Unresponsive => {
                            // Something else sits on the path (a GPS port,
                            // a modem stuck in boot): after a few tries it is
                            // `failed`, retried slowly.
                            mute += 1;
                            self.status.send_modify(|st| st.unanswered_inits = mute);
                            if mute >= MUTE_ATTEMPTS {
                                why = format!(
                                    "{port_name} does not answer AT after {MUTE_ATTEMPTS} attempts: not a modem's AT port, or the modem is stuck; retrying every {} s",
                                    self.config.backoff.1.as_secs()
                                );
                                (ModemState::Failed, self.config.backoff.1)
                            } else {
                                (ModemState::Connecting, backoff)
                            }
                        }
                        e if e.is_disconnect() => (ModemState::Disconnected, backoff),
                        _ => (ModemState::Failed, backoff),
                    };
                    if matches!(e, InitError::Unresponsive) {
                        // Once, at the first failure, saying what follows.
                        let said = format!(
                            "{port_name} does not answer AT: not a modem's AT port, or the modem is stuck; `failed` after {MUTE_ATTEMPTS} attempts, then retried every {} s",
                            self.config.backoff.1.as_secs()
                        );
                        warn_once(&mut warned, &port_name, &said);
                    } else {
                        warn_once(&mut warned, &port_name, &why);
                    }
                    self.set_state(state, Some(why));
                    backoff = (backoff * 2).min(self.config.backoff.1);
                    wait
                }
            };
            if !self.wait_serving(wait).await {
                return;
            }
        }
    }

    /// Waits, answering send requests with "not sent" meanwhile; cut short
    /// when the port reappears ([`ModemHandle::port_appeared`]). Returns
    /// false when every handle is gone.
    async fn wait_serving(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return true,
                _ = self.appeared.notified() => return true,
                req = self.rx.recv() => match req {
                    None => return false,
                    Some(Request::Send { reply, .. }) => {
                        let state = self.status.borrow().state.as_str();
                        let _ = reply.send(Err(SendError::not_sent(
                            SendFailure::RetryElsewhere,
                            format!("modem is {state}"),
                        )));
                    }
                }
            }
        }
    }

    async fn session(&mut self, port: AtPort<BoxedIo>, init: Initialised) -> SessionEnd {
        let registered = init.registration.is_registered();
        let mut storage = init.storage.clone();
        storage.name = storage.name.to_ascii_uppercase();
        let memories = init.memories.clone();
        let mem1 = storage.name.clone();
        let timeouts = port.timeouts();
        let mut s = Session {
            port,
            init,
            storage,
            memories,
            mem1,
            unreadable: BTreeSet::new(),
            left: BTreeSet::new(),
            sweep_due: true,
            full_warned: false,
            timeouts_seen: timeouts,
            stalled_since: None,
            next_probe: Instant::now(),
            taken: 0,
            unannounced: false,
            call: CallTracker::default(),
        };
        s.call = CallTracker::new(s.init.caller_id);
        if !s.init.caller_id && !self.caller_id_refused_logged {
            self.caller_id_refused_logged = true;
            warn!(imei = %s.init.info.imei, "modem refuses AT+CLIP=1: its incoming calls have no caller number");
        }
        if self.config.number.is_some() {
            s.init.info.number = self.config.number.clone();
        }
        self.status.send_modify(|st| {
            // What kept it from being ready before (cannot open, not
            // answering) is over: a ready modem shows no stale error.
            st.last_error = None;
            st.info = Some(s.init.info.clone());
            st.operator = s.init.operator.clone();
            st.mcc_mnc = s.init.mcc_mnc.clone();
            st.registration = Some(s.init.registration);
            st.signal_dbm = s.init.signal_dbm;
            st.smsc = s.init.smsc.clone();
        });
        self.set_state(
            if registered {
                ModemState::Ready
            } else {
                ModemState::NotRegistered
            },
            (!registered).then(|| format!("registration: {}", s.init.registration.as_str())),
        );
        // Whatever arrived while we were away, before anything is sent
        // (the dispatcher waits for `storage_read`).
        let first = self.sweep(&mut s).await;
        if let Err(end) = self.settle(&mut s, first).await {
            return end;
        }
        let mut health = interval(self.config.health_interval);
        health.set_missed_tick_behavior(MissedTickBehavior::Delay);
        health.tick().await;
        let mut storage_check = interval(self.config.storage_check);
        storage_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        storage_check.tick().await;
        loop {
            enum Next {
                Request(Option<Request>),
                Urc(Result<Urc, AtError>),
                Health,
                StorageCheck,
                Probe,
                Call,
            }
            let stalled = s.stalled_since.is_some();
            let call_deadline = s.call.deadline();
            // What the modem said comes before new work: a `+CMTI` already
            // on the line is read before the next send.
            let next = tokio::select! {
                biased;
                urc = s.port.next_urc() => Next::Urc(urc),
                req = self.rx.recv() => Next::Request(req),
                _ = sleep_until(s.next_probe), if stalled => Next::Probe,
                _ = health.tick(), if !stalled => Next::Health,
                _ = storage_check.tick(), if !stalled => Next::StorageCheck,
                _ = sleep_until(call_deadline.unwrap_or_else(Instant::now)), if call_deadline.is_some() => Next::Call,
            };
            let step = match next {
                Next::Request(None) => return SessionEnd::Shutdown,
                Next::Request(Some(Request::Send { pdu, reply })) => self.send(&mut s, pdu, reply).await,
                Next::Urc(Ok(urc)) => self.handle_urc(&mut s, urc).await,
                Next::Urc(Err(e)) => Err(SessionEnd::Disconnected(e.to_string())),
                Next::Health => self.health(&mut s).await,
                Next::StorageCheck => {
                    let before = s.taken;
                    let step = self.sweep(&mut s).await;
                    if s.taken > before {
                        self.notifications_unreliable(&mut s);
                    }
                    step
                }
                Next::Probe => self.probe(&mut s).await,
                Next::Call => self.call_step(&mut s).await,
            };
            if let Err(end) = self.settle(&mut s, step).await {
                return end;
            }
        }
    }

    /// After each step: URCs that arrived in the middle of commands are
    /// handled; a command that timed out means the modem was stuck for a
    /// while and may have stored messages without announcing them, so its
    /// storage is swept (before it sends again); a modem that stopped
    /// answering is marked stalled and probed, and reset once it has been
    /// silent for two health intervals. Only the ends of the session
    /// (unplugged, SIM gone, shutdown, reset) come back as `Err`.
    async fn settle(&mut self, s: &mut Session, mut step: Result<(), SessionEnd>) -> Result<(), SessionEnd> {
        for _ in 0..8 {
            match step {
                Ok(()) => {}
                Err(SessionEnd::Unresponsive) => {
                    let reset_after = self.config.health_interval * 2;
                    if s.stalled_since.is_some_and(|t| t.elapsed() >= reset_after) {
                        // Cancel whatever it may be stuck in and ask for a reset;
                        // a modem that reboots re-enumerates and is reopened.
                        warn!(imei = %s.init.info.imei, "modem stopped answering: resetting");
                        let _ = s.port.escape().await;
                        let _ = s.port.exec_for(&Reset, Duration::from_secs(3)).await;
                        return Err(SessionEnd::Unresponsive);
                    }
                    self.stall(s);
                }
                Err(end) => return Err(end),
            }
            if s.port.timeouts() != s.timeouts_seen {
                s.timeouts_seen = s.port.timeouts();
                s.sweep_due = true;
            }
            let urcs = s.port.take_urcs();
            step = Ok(());
            for urc in urcs {
                if let Err(end) = self.handle_urc(s, urc).await {
                    step = Err(end);
                    break;
                }
            }
            if step.is_ok() && s.sweep_due && s.stalled_since.is_none() {
                step = self.sweep(s).await;
            }
            if step.is_ok() && !s.port.has_urcs() {
                return Ok(());
            }
        }
        step
    }

    /// The modem stopped answering: no sends, a probe every
    /// [`STALL_PROBE_EVERY`] until it answers again.
    fn stall(&mut self, s: &mut Session) {
        s.sweep_due = true;
        s.next_probe = Instant::now() + STALL_PROBE_EVERY;
        if s.stalled_since.is_none() {
            s.stalled_since = Some(Instant::now());
            warn!(imei = %s.init.info.imei, "modem stopped answering: no sends until it does");
            self.set_state(ModemState::Failed, Some("not answering; probing".into()));
        }
    }

    /// Storage held messages or reports nobody announced: from now on every
    /// memory is checked before each send (see the module doc).
    fn notifications_unreliable(&self, s: &mut Session) {
        if !s.unannounced {
            s.unannounced = true;
            warn!(
                imei = %s.init.info.imei,
                "stored messages or reports were not announced: checking storage before each send"
            );
        }
    }

    /// A stalled modem is asked `AT`; once it answers it is back, and its
    /// storage is swept before anything else.
    async fn probe(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        match s.port.exec_for(&Attention, PROBE_TIMEOUT).await {
            Ok(()) => {
                let since = s.stalled_since.take();
                info!(imei = %s.init.info.imei, silent = ?since.map(|t| t.elapsed()), "modem answers again");
                let registered = self
                    .status
                    .borrow()
                    .registration
                    .is_none_or(RegStatus::is_registered);
                self.status.send_modify(|st| st.last_error = None);
                self.set_state(
                    if registered {
                        ModemState::Ready
                    } else {
                        ModemState::NotRegistered
                    },
                    None,
                );
                s.sweep_due = true;
                Ok(())
            }
            Err(e) if e.is_disconnect() => Err(SessionEnd::Disconnected(e.to_string())),
            Err(_) => Err(SessionEnd::Unresponsive),
        }
    }

    async fn send(
        &mut self,
        s: &mut Session,
        pdu: EncodedPdu,
        reply: oneshot::Sender<Result<u8, SendError>>,
    ) -> Result<(), SessionEnd> {
        let not_sent = |reply: oneshot::Sender<Result<u8, SendError>>, why: &str| {
            let _ = reply.send(Err(SendError::not_sent(SendFailure::RetryElsewhere, why)));
        };
        if s.stalled_since.is_some() {
            not_sent(reply, "modem not answering");
            return Ok(());
        }
        let registered = self
            .status
            .borrow()
            .registration
            .is_none_or(RegStatus::is_registered);
        if !registered {
            not_sent(reply, "not registered");
            return Ok(());
        }
        if let Err(end) = self.before_send(s).await {
            not_sent(reply, "modem not ready to send");
            return Err(end);
        }
        if s.stalled_since.is_some() {
            not_sent(reply, "modem not answering");
            return Ok(());
        }
        self.set_state(ModemState::Busy, None);
        let result = s.port.send_pdu(&pdu, self.config.send_timeout).await;
        let error = result.as_ref().err().map(ToString::to_string);
        match &result {
            Ok(mr) => debug!(imei = %s.init.info.imei, mr, "part sent"),
            Err(e) => warn!(imei = %s.init.info.imei, error = %e, "send failed"),
        }
        let _ = reply.send(result);
        self.status.send_modify(|st| {
            st.state = ModemState::Ready;
            if error.is_some() {
                st.last_error = error;
            }
        });
        if s.unannounced {
            // Notifications proved unreliable: every memory is checked
            // after each send (one count per memory, listed only when it
            // holds more than known), once the dispatcher has its answer,
            // so what arrived is read before the next request is taken
            // and not between a request's opt-out check and its write.
            s.sweep_due = true;
        }
        Ok(())
    }

    /// Before a send: what the modem already said is read (a `+CMTI` is
    /// read before the send); a modem silent for
    /// [`ModemConfig::quiet_probe`] must answer `AT+CPMS?` within
    /// [`PROBE_TIMEOUT`] (a hung one is found there, with nothing sent,
    /// rather than after the send timeout), and more stored than known is
    /// read first; a storage sweep that is due (after a timeout or a
    /// failed read) is done.
    async fn before_send(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        if let Err(e) = s.port.poll_pending().await {
            return Err(SessionEnd::Disconnected(e.to_string()));
        }
        if s.port.silent_for() >= self.config.quiet_probe {
            match s.port.exec_for(&QueryMemories, PROBE_TIMEOUT).await {
                Ok(counts) => {
                    if counts
                        .first()
                        .is_some_and(|m| m.used > s.known_in(&s.storage.name))
                    {
                        // Nothing on the line announced it.
                        s.sweep_due = true;
                        self.notifications_unreliable(s);
                    }
                }
                Err(e) if e.is_disconnect() => return Err(SessionEnd::Disconnected(e.to_string())),
                Err(AtError::Timeout { .. }) => {
                    warn!(imei = %s.init.info.imei, "no answer before a send: not sending");
                    self.stall(s);
                    return Ok(());
                }
                Err(e) => debug!(imei = %s.init.info.imei, error = %e, "storage count refused"),
            }
        }
        self.settle(s, Ok(())).await
    }

    async fn handle_urc(&mut self, s: &mut Session, urc: Urc) -> Result<(), SessionEnd> {
        match urc {
            Urc::NewMessage { storage, index } | Urc::NewStatusReport { storage, index } => {
                self.read_stored(s, &storage, index).await?;
            }
            Urc::Message { pdu, length } | Urc::StatusReport { pdu, length } => {
                let pdu = crate::at::urc::with_smsc_field(length, pdu);
                if self.deliver(&s.init.info, InboundSource::Direct, pdu).await {
                    // Phase 2+ modems want an acknowledgement; others answer 340, which is fine.
                    let _ = s.port.exec(&AckMessage).await;
                }
            }
            Urc::Registration {
                domain: crate::at::Domain::Cs,
                status,
            } => self.set_registration(status),
            Urc::Rssi(rssi) => self.status.send_modify(|st| {
                st.signal_dbm = crate::at::command::SignalQuality::dbm(rssi);
            }),
            Urc::Ring => {
                s.call.ring(Instant::now());
                self.call_step(s).await?;
            }
            Urc::CallerId { number } => {
                let now = Instant::now();
                if let Some(previous) = s.call.caller(&number, now) {
                    // Another caller: the call that rang before is over.
                    self.report_call(s, previous, CallEnd::CallerHungUp, now);
                }
                self.call_step(s).await?;
            }
            Urc::CallEnded(line) => {
                debug!(imei = %s.init.info.imei, line, "call ended");
                self.call_over(s, CallEnd::CallerHungUp);
            }
            Urc::SimState(0 | 255) => return Err(SessionEnd::SimLost),
            Urc::Vendor(line) if line.contains("MEMFULL") || line.contains("SMSFULL") => {
                s.sweep_due = true;
            }
            Urc::Vendor(line) if line == "+CPIN: NOT READY" || line == "+CPIN: NOT INSERTED" => {
                return Err(SessionEnd::SimLost);
            }
            other => debug!(imei = %s.init.info.imei, urc = ?other, "urc"),
        }
        Ok(())
    }

    /// Whatever the call in progress needs now: the decision (reject with
    /// `AT+CHUP`, falling back to `ATH`; or let it ring), or its end after
    /// [`super::calls::SILENT_END`] without a `RING`.
    async fn call_step(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        match s.call.due(Instant::now()) {
            CallDue::Wait => Ok(()),
            CallDue::Silent => {
                self.call_over(s, CallEnd::CallerHungUp);
                Ok(())
            }
            CallDue::Decide => {
                s.call.decided();
                if self.config.call_action == CallAction::Ring {
                    info!(imei = %s.init.info.imei, imsi = s.init.info.imsi.as_deref(), "incoming call: left ringing");
                    return Ok(());
                }
                let end = match exec_or_end(&mut s.port, &HangUp).await? {
                    Ok(()) => CallEnd::Rejected,
                    Err(e) => {
                        debug!(imei = %s.init.info.imei, error = %e, "AT+CHUP refused: trying ATH");
                        match exec_or_end(&mut s.port, &HangUpV250).await? {
                            Ok(()) => CallEnd::Rejected,
                            Err(e) => {
                                warn!(imei = %s.init.info.imei, error = %e, "cannot reject the incoming call: it rings out");
                                return Ok(());
                            }
                        }
                    }
                };
                self.call_over(s, end);
                Ok(())
            }
        }
    }

    /// The call is over: its one event goes to the consumer.
    fn call_over(&mut self, s: &mut Session, end: CallEnd) {
        let now = Instant::now();
        if let Some(call) = s.call.end(now, end) {
            self.report_call(s, call, end, now);
        }
    }

    /// Sends the one event of `call`, over at `now`.
    fn report_call(&mut self, s: &Session, call: Ringing, end: CallEnd, now: Instant) {
        let decided_reject = self.config.call_action == CallAction::Reject && end == CallEnd::CallerHungUp;
        let end = if decided_reject && call.is_decided() {
            // It was to be rejected and the hang-up failed: it rang out.
            CallEnd::RejectFailed
        } else {
            end
        };
        let event = call.into_event(now, end, s.init.info.imsi.clone(), &s.init.info.imei);
        info!(
            imei = %event.imei,
            imsi = event.imsi.as_deref(),
            rings = event.rings,
            outcome = event.end.as_str(),
            caller_id = event.caller.is_some(),
            "incoming call"
        );
        if let Some(tx) = &self.config.calls
            && let Err(e) = tx.try_send(event)
        {
            warn!(imei = %s.init.info.imei, error = %e, "call not recorded: the consumer is not keeping up");
        }
    }

    fn set_registration(&self, status: RegStatus) {
        self.status.send_modify(|st| {
            st.registration = Some(status);
            if matches!(st.state, ModemState::Ready | ModemState::NotRegistered) {
                st.state = if status.is_registered() {
                    ModemState::Ready
                } else {
                    ModemState::NotRegistered
                };
                st.last_error =
                    (!status.is_registered()).then(|| format!("registration: {}", status.as_str()));
            }
        });
    }

    /// Makes `memory` the one messages are read from (`<mem1>` only:
    /// `<mem2>`/`<mem3>` keep the storage in use, so new messages still
    /// land there). Falls back to naming all three for firmware that wants
    /// three. `Ok(None)` when the modem refuses to read that memory.
    async fn select_read(&mut self, s: &mut Session, memory: &str) -> Result<Option<Storage>, SessionEnd> {
        let short = SelectReadStorage {
            memory: memory.to_string(),
            keep: None,
        };
        if let Ok(st) = exec_or_end(&mut s.port, &short).await? {
            s.mem1 = memory.to_string();
            return Ok(Some(st));
        }
        let primary = s.storage.name.clone();
        let long = SelectReadStorage {
            memory: memory.to_string(),
            keep: Some((primary.clone(), primary)),
        };
        match exec_or_end(&mut s.port, &long).await? {
            Ok(st) => {
                s.mem1 = memory.to_string();
                Ok(Some(st))
            }
            Err(e) => {
                if s.unreadable.insert(memory.to_string()) {
                    warn!(imei = %s.init.info.imei, memory, error = %e, "cannot read this message memory");
                }
                Ok(None)
            }
        }
    }

    /// Reads one stored message a notification named, hands it over, and
    /// deletes it once stored. An index that turns out empty, or a memory
    /// that cannot be read, means the notification named the wrong place
    /// (reports announced in one memory and kept in another): the storage
    /// is swept. Either way the counts are checked afterwards, so a
    /// message whose own notification was lost is read now too.
    async fn read_stored(&mut self, s: &mut Session, storage: &str, index: u32) -> Result<(), SessionEnd> {
        let storage = storage.to_ascii_uppercase();
        if storage != s.mem1 && self.select_read(s, &storage).await?.is_none() {
            s.sweep_due = true;
            return Ok(());
        }
        match exec_or_end(&mut s.port, &ReadMessage(index)).await? {
            Ok(Some(stored)) if is_outgoing(stored.stat) => self.leave(s, &storage, stored.index),
            Ok(Some(stored)) => {
                let source = InboundSource::Stored {
                    storage: storage.clone(),
                    index,
                };
                if self.deliver(&s.init.info, source, stored.pdu).await
                    && let Err(e) = exec_or_end(&mut s.port, &DeleteMessage(index)).await?
                {
                    warn!(imei = %s.init.info.imei, index, error = %e, "cannot delete stored message");
                }
            }
            Ok(None) => {
                debug!(imei = %s.init.info.imei, storage, index, "announced message not there: sweeping");
                s.sweep_due = true;
            }
            Err(e) => {
                debug!(imei = %s.init.info.imei, index, error = %e, "cannot read announced message: sweeping");
                s.sweep_due = true;
            }
        }
        if s.mem1 != s.storage.name {
            self.restore_read(s).await?;
        }
        if !s.sweep_due && s.mem1 == s.storage.name {
            // One `AT+CPMS?`: anything more than known means a notification was lost.
            if let Ok(counts) = exec_or_end(&mut s.port, &QueryMemories).await?
                && let Some(mem1) = counts.first()
                && mem1.used > s.known_in(&s.storage.name)
            {
                s.sweep_due = true;
            }
        }
        Ok(())
    }

    /// Back to reading from the storage in use.
    async fn restore_read(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        let primary = s.storage.name.clone();
        if let Some(st) = self.select_read(s, &primary).await? {
            s.storage.used = st.used;
            s.storage.total = st.total;
        }
        Ok(())
    }

    /// A stored message that is not inbound (`<stat>` 2 "unsent" or 3
    /// "sent": an outgoing message a phone or another program kept on the
    /// SIM) stays where it is and is never handed over; logged once.
    /// Logged at info once per slot per daemon run.
    fn leave(&mut self, s: &mut Session, memory: &str, index: u32) {
        if s.left.insert((memory.to_string(), index)) {
            if self.left_logged.insert((memory.to_string(), index)) {
                info!(imei = %s.init.info.imei, memory, index, "stored outgoing message left on the SIM");
            } else {
                debug!(imei = %s.init.info.imei, memory, index, "stored outgoing message still on the SIM");
            }
        }
    }

    /// Sweeps every memory where messages or status reports can land
    /// ([`Initialised::memories`]): each one's count (`AT+CPMS?` for the
    /// storage in use, selecting the others as `<mem1>`) is compared with
    /// what is known to be left there, and a memory holding more is listed
    /// (`AT+CMGL=4`): inbound messages and reports are handed over and
    /// deleted once stored, outgoing ones left. Cheap when nothing is new:
    /// one command per memory, plus one to come back. Also the periodic
    /// liveness check: a timeout here stalls the modem.
    async fn sweep(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        let consumer = self.inbound.is_some();
        let memories = s.memories.clone();
        for memory in &memories {
            let primary = *memory == s.storage.name;
            if !primary && s.unreadable.contains(memory) {
                continue;
            }
            if primary && s.mem1 != s.storage.name {
                // Left elsewhere by a read that was cut short.
                self.restore_read(s).await?;
            }
            let used = if primary && s.mem1 == s.storage.name {
                match exec_or_end(&mut s.port, &QueryMemories).await? {
                    Ok(counts) => counts.first().map(|c| {
                        s.storage.total = c.total;
                        c.used
                    }),
                    Err(e) => {
                        debug!(imei = %s.init.info.imei, error = %e, "cannot count stored messages");
                        None
                    }
                }
            } else {
                match self.select_read(s, memory).await? {
                    Some(st) => Some(st.used),
                    None => continue,
                }
            };
            if primary && let Some(used) = used {
                s.storage.used = used;
            }
            let new = used.is_none_or(|u| u > s.known_in(memory));
            if consumer && new {
                self.list_and_take(s, memory).await?;
            }
        }
        if s.mem1 != s.storage.name {
            self.restore_read(s).await?;
        }
        s.sweep_due = false;
        let primary = s.storage.name.clone();
        if consumer && s.storage.is_full() && s.known_in(&primary) >= s.storage.used && !s.full_warned {
            // Only outgoing messages there, which are left alone: nothing new can arrive.
            s.full_warned = true;
            let why = format!(
                "message storage {primary} is full of stored outgoing messages: replies cannot arrive; \
                 delete them (simfleet modem inbox --delete)"
            );
            warn!(imei = %s.init.info.imei, "{why}");
            self.status.send_modify(|st| st.last_error = Some(why));
        }
        if !self.status.borrow().storage_read {
            self.status.send_modify(|st| st.storage_read = true);
        }
        Ok(())
    }

    /// Lists one memory (already selected for reading) and takes what is inbound.
    async fn list_and_take(&mut self, s: &mut Session, memory: &str) -> Result<(), SessionEnd> {
        let list = match exec_or_end(&mut s.port, &ListMessages).await? {
            Ok(list) => list,
            Err(e) => {
                warn!(imei = %s.init.info.imei, memory, error = %e, "cannot list stored messages");
                return Ok(());
            }
        };
        // What is left there is what this listing shows (someone may have
        // deleted a kept message meanwhile).
        s.left
            .retain(|(m, i)| m != memory || list.iter().any(|l| l.index == *i));
        for stored in list {
            if is_outgoing(stored.stat) {
                self.leave(s, memory, stored.index);
                continue;
            }
            let source = InboundSource::Stored {
                storage: memory.to_string(),
                index: stored.index,
            };
            s.taken += 1;
            if self.deliver(&s.init.info, source, stored.pdu).await
                && let Err(e) = exec_or_end(&mut s.port, &DeleteMessage(stored.index)).await?
            {
                warn!(imei = %s.init.info.imei, index = stored.index, error = %e, "cannot delete stored message");
            }
        }
        Ok(())
    }

    /// Hands a PDU to the consumer; true once it confirmed storing it.
    async fn deliver(&mut self, info: &super::state::ModemInfo, source: InboundSource, pdu: String) -> bool {
        let Some(inbound) = &self.inbound else {
            return false;
        };
        let (ack, confirmed) = oneshot::channel();
        let message = Inbound {
            port: self.connector.describe(),
            imei: info.imei.clone(),
            imsi: info.imsi.clone(),
            source,
            pdu,
            ack,
        };
        if inbound.send(message).await.is_err() {
            return false;
        }
        matches!(timeout(self.config.ack_timeout, confirmed).await, Ok(Ok(())))
    }

    /// Signal and registration. A timeout stalls the modem (see [`Self::settle`]).
    async fn health(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        match exec_or_end(&mut s.port, &SignalQuality).await? {
            Ok(dbm) => self.status.send_modify(|st| st.signal_dbm = dbm),
            Err(e) => warn!(imei = %s.init.info.imei, error = %e, "signal query refused"),
        }
        if let Ok(reg) = exec_or_end(&mut s.port, &QueryRegistration).await? {
            self.set_registration(reg);
        }
        Ok(())
    }

    fn set_state(&self, state: ModemState, error: Option<String>) {
        self.status.send_modify(|st| {
            if state == ModemState::Connecting {
                // A new session: what is stored on it has not been read yet.
                st.storage_read = false;
            }
            st.state = state;
            if error.is_some() {
                st.last_error = error;
            }
        });
    }
}

/// `<stat>` 2 ("stored unsent") and 3 ("stored sent"), TS 27.005 §3.1:
/// messages written to the SIM for sending, not received.
fn is_outgoing(stat: u8) -> bool {
    matches!(stat, 2 | 3)
}

/// Runs a command; a timeout or a lost device ends the session, while a
/// plain refusal (an empty index, say) is the caller's to handle.
async fn exec_or_end<C: crate::at::command::Command>(
    port: &mut AtPort<BoxedIo>,
    cmd: &C,
) -> Result<Result<C::Output, AtError>, SessionEnd> {
    match port.exec(cmd).await {
        Err(e) if e.is_disconnect() => Err(SessionEnd::Disconnected(e.to_string())),
        Err(AtError::Timeout { .. }) => Err(SessionEnd::Unresponsive),
        other => Ok(other),
    }
}

/// Convenience for tests and the CLI: waits until `f` holds for the status.
pub async fn wait_for(handle: &ModemHandle, within: Duration, f: impl Fn(&ModemStatus) -> bool) -> bool {
    let mut rx = handle.watch();
    timeout(within, async {
        loop {
            if f(&rx.borrow_and_update()) {
                return;
            }
            if rx.changed().await.is_err() {
                sleep(Duration::MAX).await;
            }
        }
    })
    .await
    .is_ok()
}
