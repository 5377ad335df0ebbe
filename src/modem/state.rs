//! What other tasks can see of a modem: its state, identity and health,
//! published through a `watch` channel on every change.

use std::path::PathBuf;

use serde::Serialize;

use crate::at::RegStatus;

/// A modem's state, as `GET /v1/modems` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModemState {
    /// Opening the port and initialising.
    Connecting,
    /// Ready to send.
    Ready,
    /// Sending.
    Busy,
    /// No SIM in the slot.
    NoSim,
    /// The SIM wants a PIN that is not configured.
    PinRequired,
    /// The SIM is not registered on a network.
    NotRegistered,
    /// The port is gone (unplugged); reopened when it comes back.
    Disconnected,
    /// Given up until someone acts (PIN rejected, PUK needed, …).
    Failed,
}

impl ModemState {
    /// The state's name in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModemState::Connecting => "connecting",
            ModemState::Ready => "ready",
            ModemState::Busy => "busy",
            ModemState::NoSim => "no_sim",
            ModemState::PinRequired => "pin_required",
            ModemState::NotRegistered => "not_registered",
            ModemState::Disconnected => "disconnected",
            ModemState::Failed => "failed",
        }
    }
}

/// Who the modem and its SIM are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModemInfo {
    /// `AT+CGMI`.
    pub manufacturer: String,
    /// `AT+CGMM`.
    pub model: String,
    /// `AT+CGMR`.
    pub revision: String,
    /// `AT+CGSN`.
    pub imei: String,
    /// `AT+CIMI`.
    pub imsi: Option<String>,
    /// SIM serial.
    pub iccid: Option<String>,
    /// Vendor family used for quirks.
    pub family: String,
    /// The SIM's own number: `[[modem]] number`, else `AT+CNUM` when the
    /// SIM stores it.
    pub number: Option<String>,
}

/// Everything published about one modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModemStatus {
    /// The port path configured.
    pub port: PathBuf,
    /// Current state.
    pub state: ModemState,
    /// Identity, once read.
    pub info: Option<ModemInfo>,
    /// Operator name.
    pub operator: Option<String>,
    /// MCC+MNC.
    pub mcc_mnc: Option<String>,
    /// Registration.
    #[serde(skip)]
    pub registration: Option<RegStatus>,
    /// Signal in dBm.
    pub signal_dbm: Option<i32>,
    /// The SIM's service centre.
    pub smsc: Option<String>,
    /// Last error in words (why it is not ready, or the last failed send).
    pub last_error: Option<String>,
    /// Whether this session's first sweep of the modem's message storage
    /// is done: false from (re)connecting until every memory was read and
    /// what it held stored. The dispatcher waits for it (read before you
    /// write: a STOP may be waiting there).
    #[serde(skip)]
    pub storage_read: bool,
    /// Opening attempts in a row whose port did not answer `AT` (each
    /// about 12 s of tries); 0 once the modem initialises. The dispatcher
    /// does not hold the other SIMs for a modem that has not answered.
    #[serde(skip)]
    pub unanswered_inits: u32,
}

impl ModemStatus {
    /// A modem not yet opened.
    pub fn new(port: PathBuf) -> Self {
        Self {
            port,
            state: ModemState::Connecting,
            info: None,
            operator: None,
            mcc_mnc: None,
            registration: None,
            signal_dbm: None,
            smsc: None,
            last_error: None,
            storage_read: false,
            unanswered_inits: 0,
        }
    }
}
