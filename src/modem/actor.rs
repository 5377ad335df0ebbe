//! One task per modem. It owns the line, initialises the modem, sends what
//! it is asked to, reads what arrives, keeps an eye on health, and
//! reconnects when the device comes back after an unplug. Others hold a
//! [`ModemHandle`]: a request channel and a `watch` of the modem's status.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{MissedTickBehavior, interval, sleep, timeout};
use tracing::{debug, info, warn};

use super::connect::{BoxedIo, Connector};
use super::error::{AtError, SendError};
use super::init::{InitError, Initialised, initialise};
use super::port::AtPort;
use super::state::{ModemState, ModemStatus};
use crate::at::command::{
    AckMessage, DeleteMessage, ListMessages, QueryRegistration, QueryStorage, ReadMessage, Reset, SetStorage,
    SignalQuality, Storage,
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
    /// Interval of the cheap health checks (signal, registration, storage).
    pub health_interval: Duration,
    /// Reconnect backoff: first and longest wait.
    pub backoff: (Duration, Duration),
    /// How long the inbound consumer may take to confirm it stored a message.
    pub ack_timeout: Duration,
}

impl Default for ModemConfig {
    fn default() -> Self {
        Self {
            pin: None,
            send_timeout: Duration::from_secs(60),
            health_interval: Duration::from_secs(30),
            backoff: (Duration::from_secs(1), Duration::from_secs(30)),
            ack_timeout: Duration::from_secs(30),
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
    storage: Storage,
    health_failures: u32,
}

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
        let storage = init.storage.clone();
        let mut s = Session {
            port,
            init,
            storage,
            health_failures: 0,
        };
        self.status.send_modify(|st| {
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
        // Whatever arrived while we were away.
        if let Err(end) = self.drain_storage(&mut s).await {
            return end;
        }
        let mut health = interval(self.config.health_interval);
        health.set_missed_tick_behavior(MissedTickBehavior::Delay);
        health.tick().await;
        loop {
            enum Next {
                Request(Option<Request>),
                Urc(Result<Urc, AtError>),
                Health,
            }
            let next = tokio::select! {
                biased;
                req = self.rx.recv() => Next::Request(req),
                urc = s.port.next_urc() => Next::Urc(urc),
                _ = health.tick() => Next::Health,
            };
            let step = match next {
                Next::Request(None) => return SessionEnd::Shutdown,
                Next::Request(Some(Request::Send { pdu, reply })) => self.send(&mut s, pdu, reply).await,
                Next::Urc(Ok(urc)) => self.handle_urc(&mut s, urc).await,
                Next::Urc(Err(e)) => Err(SessionEnd::Disconnected(e.to_string())),
                Next::Health => self.health(&mut s).await,
            };
            if let Err(end) = step {
                return end;
            }
            // URCs that arrived in the middle of commands.
            for urc in s.port.take_urcs() {
                if let Err(end) = self.handle_urc(&mut s, urc).await {
                    return end;
                }
            }
        }
    }

    async fn send(
        &mut self,
        s: &mut Session,
        pdu: EncodedPdu,
        reply: oneshot::Sender<Result<u8, SendError>>,
    ) -> Result<(), SessionEnd> {
        let registered = self
            .status
            .borrow()
            .registration
            .is_none_or(RegStatus::is_registered);
        if !registered {
            let _ = reply.send(Err(SendError::not_sent(
                SendFailure::RetryElsewhere,
                "not registered",
            )));
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
        Ok(())
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
            Urc::SimState(0 | 255) => return Err(SessionEnd::SimLost),
            Urc::Vendor(line) if line.contains("MEMFULL") || line.contains("SMSFULL") => {
                self.drain_storage(s).await?;
            }
            Urc::Vendor(line) if line == "+CPIN: NOT READY" || line == "+CPIN: NOT INSERTED" => {
                return Err(SessionEnd::SimLost);
            }
            other => debug!(imei = %s.init.info.imei, urc = ?other, "urc"),
        }
        Ok(())
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

    /// Reads one stored message, hands it over, and deletes it once stored.
    async fn read_stored(&mut self, s: &mut Session, storage: &str, index: u32) -> Result<(), SessionEnd> {
        let other = storage != s.storage.name;
        if other && let Err(e) = exec_or_end(&mut s.port, &SetStorage(storage.to_string())).await? {
            warn!(imei = %s.init.info.imei, storage, error = %e, "cannot select storage");
            return Ok(());
        }
        match exec_or_end(&mut s.port, &ReadMessage(index)).await? {
            Ok(Some(stored)) => {
                let source = InboundSource::Stored {
                    storage: storage.to_string(),
                    index,
                };
                if self.deliver(&s.init.info, source, stored.pdu).await
                    && let Err(e) = exec_or_end(&mut s.port, &DeleteMessage(index)).await?
                {
                    warn!(imei = %s.init.info.imei, index, error = %e, "cannot delete stored message");
                }
            }
            Ok(None) => {}
            Err(e) => debug!(imei = %s.init.info.imei, index, error = %e, "nothing to read"),
        }
        if other {
            let _ = exec_or_end(&mut s.port, &SetStorage(s.storage.name.clone())).await?;
        }
        Ok(())
    }

    /// Reads everything stored and hands each over; deleted once stored.
    async fn drain_storage(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        if self.inbound.is_none() {
            return Ok(());
        }
        let list = match exec_or_end(&mut s.port, &ListMessages).await? {
            Ok(list) => list,
            Err(e) => {
                warn!(imei = %s.init.info.imei, error = %e, "cannot list stored messages");
                return Ok(());
            }
        };
        for stored in list {
            let source = InboundSource::Stored {
                storage: s.storage.name.clone(),
                index: stored.index,
            };
            if self.deliver(&s.init.info, source, stored.pdu).await
                && let Err(e) = exec_or_end(&mut s.port, &DeleteMessage(stored.index)).await?
            {
                warn!(imei = %s.init.info.imei, index = stored.index, error = %e, "cannot delete stored message");
            }
        }
        if let Ok(st) = s.port.exec(&QueryStorage).await {
            s.storage.used = st.used;
            s.storage.total = st.total;
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

    async fn health(&mut self, s: &mut Session) -> Result<(), SessionEnd> {
        match s.port.exec(&SignalQuality).await {
            Ok(dbm) => {
                s.health_failures = 0;
                self.status.send_modify(|st| st.signal_dbm = dbm);
            }
            Err(e) if e.is_disconnect() => return Err(SessionEnd::Disconnected(e.to_string())),
            Err(e) => {
                s.health_failures += 1;
                warn!(imei = %s.init.info.imei, error = %e, failures = s.health_failures, "health check failed");
                if s.health_failures >= 2 {
                    // Cancel whatever it may be stuck in and ask for a reset;
                    // a modem that reboots re-enumerates and is reopened.
                    warn!(imei = %s.init.info.imei, "modem stopped answering: resetting");
                    let _ = s.port.escape().await;
                    let _ = s.port.exec_for(&Reset, Duration::from_secs(3)).await;
                    return Err(SessionEnd::Unresponsive);
                }
                return Ok(());
            }
        }
        if let Ok(reg) = s.port.exec(&QueryRegistration).await {
            self.set_registration(reg);
        }
        if let Ok(st) = s.port.exec(&QueryStorage).await
            && st.is_full()
        {
            info!(imei = %s.init.info.imei, used = st.used, "message storage full: draining");
            self.drain_storage(s).await?;
        }
        Ok(())
    }

    fn set_state(&self, state: ModemState, error: Option<String>) {
        self.status.send_modify(|st| {
            st.state = state;
            if error.is_some() {
                st.last_error = error;
            }
        });
    }
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
