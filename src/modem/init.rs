//! Bringing a modem from "port opened" to "ready to send and receive":
//! a fixed sequence of commands, with fallbacks where modems differ.

use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{debug, info, warn};

use super::error::AtError;
use super::port::AtPort;
use super::quirks::{self, Quirks};
use super::state::ModemInfo;
use crate::at::command::{
    Attention, EchoOff, EnableCallerId, EnterPin, Identity, NumericErrors, OperatorName, OwnNumber, PduMode,
    PinState, QueryOperator, QueryPin, QueryRegistration, QuerySmsc, QueryStorage, QueryStorageSupport, Raw,
    SetIndications, SetOperatorFormat, SetStorage, SignalQuality, Storage, StorageSupport,
};
use crate::at::{FinalResult, RegStatus};

/// What initialisation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialised {
    /// Identity of modem and SIM.
    pub info: ModemInfo,
    /// The vendor quirks in use.
    pub quirks: Quirks,
    /// Message storage in use and how full it is.
    pub storage: Storage,
    /// Every memory where messages or status reports can land, to be
    /// swept: the storage in use first, then the others the modem can read
    /// from (`AT+CPMS=?` `<mem1>`): "SM", "ME", "SR", or "MT" where it is
    /// not just "SM" and "ME" together.
    pub memories: Vec<String>,
    /// Indication settings accepted (`AT+CNMI`).
    pub indications: SetIndications,
    /// Network registration.
    pub registration: RegStatus,
    /// Operator name.
    pub operator: Option<String>,
    /// MCC+MNC.
    pub mcc_mnc: Option<String>,
    /// Signal in dBm.
    pub signal_dbm: Option<i32>,
    /// The SIM's service centre.
    pub smsc: Option<String>,
    /// `AT+CLIP=1` was accepted: calls come with the caller's number.
    pub caller_id: bool,
}

/// Why a modem could not be made ready.
#[derive(Debug, Error)]
pub enum InitError {
    /// The modem does not answer `AT`.
    #[error("modem does not answer AT")]
    Unresponsive,
    /// No SIM in the slot.
    #[error("no SIM card")]
    NoSim,
    /// The SIM wants a PIN and none is configured.
    #[error("SIM PIN required; set `pin` for this modem")]
    PinRequired,
    /// The configured PIN was refused; it is not tried again.
    #[error("SIM PIN rejected ({0}); not retrying, as three wrong tries lock the SIM")]
    PinRejected(String),
    /// The SIM is locked and needs its PUK.
    #[error("SIM locked: PUK required (enter it in a phone)")]
    PukRequired,
    /// A required step failed.
    #[error("{step}: {source}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// The error.
        source: AtError,
    },
}

impl InitError {
    /// Whether the device went away during initialisation.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, InitError::Step { source, .. } if source.is_disconnect())
    }
}

/// Indication settings to try, best first: store messages and announce
/// them with `+CMTI`; status reports stored (`+CDSI`) or routed (`+CDS`).
const INDICATIONS: &[SetIndications] = &[
    SetIndications {
        mode: 2,
        mt: 1,
        ds: 2,
    },
    SetIndications {
        mode: 2,
        mt: 1,
        ds: 1,
    },
    SetIndications {
        mode: 1,
        mt: 1,
        ds: 2,
    },
    SetIndications {
        mode: 1,
        mt: 1,
        ds: 1,
    },
    SetIndications {
        mode: 2,
        mt: 1,
        ds: 0,
    },
    SetIndications {
        mode: 1,
        mt: 1,
        ds: 0,
    },
];

const STORAGES: &[&str] = &["SM", "MT", "ME"];

/// Initialises the modem behind `port`. A PIN is entered at most once per
/// call, and never when `pin_rejected` says an earlier attempt failed.
pub async fn initialise<T: AsyncRead + AsyncWrite + Unpin>(
    port: &mut AtPort<T>,
    pin: Option<&str>,
    pin_rejected: bool,
) -> Result<Initialised, InitError> {
    synchronise(port).await?;
    if let Err(e) = port.exec(&EchoOff).await {
        check_disconnect(e, "ATE0")?;
    }
    if let Err(e) = port.exec(&NumericErrors).await {
        check_disconnect(e, "AT+CMEE=1")?;
    }
    unlock_sim(port, pin, pin_rejected).await?;

    let step = |step| move |source| InitError::Step { step, source };
    let manufacturer = port
        .exec(&Identity::Manufacturer)
        .await
        .map_err(step("manufacturer"))?;
    let quirks = quirks::for_manufacturer(&manufacturer);
    let model = port.exec(&Identity::Model).await.unwrap_or_default();
    let revision = port.exec(&Identity::Revision).await.unwrap_or_default();
    let imei = port.exec(&Identity::Imei).await.map_err(step("IMEI"))?;
    let imsi = port.exec(&Identity::Imsi).await.ok();
    let mut iccid = None;
    for cmd in quirks.iccid {
        if let Ok(v) = port.exec(cmd).await {
            iccid = Some(v);
            break;
        }
    }
    for text in quirks.init {
        if let Err(e) = port.exec(&Raw(text.to_string())).await {
            check_disconnect(e, "vendor init")?;
        }
    }
    if !quirks.sim_ready_delay.is_zero() {
        tokio::time::sleep(quirks.sim_ready_delay).await;
    }

    retry(port, &PduMode, 5)
        .await
        .map_err(step("AT+CMGF=0 (PDU mode)"))?;
    let storage = choose_storage(port).await?;
    let support = match port.exec(&QueryStorageSupport).await {
        Ok(s) => Some(s),
        Err(e) => {
            check_disconnect(e, "AT+CPMS=?")?;
            None
        }
    };
    let memories = memories_to_sweep(&storage.name, support.as_ref());
    debug!(memories = ?memories, "message memories");
    let indications = choose_indications(port).await?;

    // Operator (TS 27.007 §7.3): the numeric MCC/MNC with `AT+COPS=3,2`,
    // then the long name with `AT+COPS=3,0`, which is also the format the
    // modem is left in. Each answer is taken for what its `<format>` field
    // says it is: firmware that ignores `AT+COPS=3,2`, or refuses it,
    // answers in the long format, which is never an MCC/MNC.
    let (mut operator, mut mcc_mnc) = (None, None);
    let mut take = |answer: Option<OperatorName>| {
        let Some(answer) = answer else { return };
        if let Some(numeric) = answer.mcc_mnc() {
            mcc_mnc.get_or_insert_with(|| numeric.to_string());
        } else if let Some(name) = answer.alphanumeric() {
            operator.get_or_insert_with(|| name.to_string());
        }
    };
    if port.exec(&SetOperatorFormat { format: 2 }).await.is_ok() {
        take(port.exec(&QueryOperator).await.ok().flatten());
    }
    let _ = port.exec(&SetOperatorFormat { format: 0 }).await;
    take(port.exec(&QueryOperator).await.ok().flatten());
    let registration = port.exec(&QueryRegistration).await.unwrap_or(RegStatus::Unknown);
    let signal_dbm = port.exec(&SignalQuality).await.ok().flatten();
    let smsc = port.exec(&QuerySmsc).await.ok().flatten();
    // Calls (TS 27.007 §7.6, §7.1): the caller's number with each RING, and
    // the SIM's own number where the SIM stores it. Neither is required.
    let caller_id = match port.exec(&EnableCallerId).await {
        Ok(()) => true,
        Err(e) => {
            check_disconnect(e, "AT+CLIP=1")?;
            false
        }
    };
    let number = match port.exec(&OwnNumber).await {
        Ok(n) => n,
        Err(e) => {
            check_disconnect(e, "AT+CNUM")?;
            None
        }
    };

    let info = ModemInfo {
        manufacturer,
        model,
        revision,
        imei,
        imsi,
        iccid,
        family: quirks.family.to_string(),
        number,
    };
    info!(imei = %info.imei, imsi = info.imsi.as_deref(), model = %info.model, "modem initialised");
    Ok(Initialised {
        info,
        quirks,
        storage,
        memories,
        indications,
        registration,
        operator,
        mcc_mnc,
        signal_dbm,
        smsc,
        caller_id,
    })
}

/// Cancels any half-typed input (a PDU from a crashed session) and waits
/// for `AT` to answer `OK`.
pub async fn synchronise<T: AsyncRead + AsyncWrite + Unpin>(port: &mut AtPort<T>) -> Result<(), InitError> {
    port.escape()
        .await
        .map_err(|source| InitError::Step { step: "AT", source })?;
    for attempt in 0..6 {
        match port.exec_for(&Attention, Duration::from_secs(2)).await {
            Ok(()) => {
                // That OK may have been a late one from a previous session's
                // command: swallow any further output, then confirm.
                port.drain(Duration::from_millis(150), Duration::from_secs(2))
                    .await;
                if port.exec_for(&Attention, Duration::from_secs(2)).await.is_ok() {
                    return Ok(());
                }
            }
            Err(e) if e.is_disconnect() => {
                return Err(InitError::Step {
                    step: "AT",
                    source: e,
                });
            }
            Err(e) => debug!(attempt, error = %e, "waiting for the modem to answer"),
        }
    }
    Err(InitError::Unresponsive)
}

async fn unlock_sim<T: AsyncRead + AsyncWrite + Unpin>(
    port: &mut AtPort<T>,
    pin: Option<&str>,
    pin_rejected: bool,
) -> Result<(), InitError> {
    let mut entered = false;
    // The SIM may need a moment after power-up or after the PIN.
    for _ in 0..10 {
        match port.exec(&QueryPin).await {
            Ok(PinState::Ready) => return Ok(()),
            Ok(PinState::SimPin) if entered => {}
            Ok(PinState::SimPin) => {
                let Some(pin) = pin else {
                    return Err(InitError::PinRequired);
                };
                if pin_rejected {
                    return Err(InitError::PinRejected("earlier attempt".into()));
                }
                entered = true;
                if let Err(e) = port.exec(&EnterPin(pin.to_string())).await {
                    check_disconnect_init(&e)?;
                    return Err(InitError::PinRejected(e.to_string()));
                }
            }
            Ok(PinState::SimPuk) => return Err(InitError::PukRequired),
            Ok(PinState::Other(s)) => debug!(state = %s, "SIM not ready yet"),
            Err(AtError::Rejected {
                result: FinalResult::Cme(e),
                ..
            }) if matches!(e.code, Some(10 | 13 | 15)) => return Err(InitError::NoSim),
            Err(AtError::Rejected {
                result: FinalResult::Cme(e),
                ..
            }) if e.code == Some(12) => return Err(InitError::PukRequired),
            Err(e) => {
                check_disconnect_init(&e)?;
                debug!(error = %e, "SIM state unknown yet");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(InitError::NoSim)
}

async fn choose_storage<T: AsyncRead + AsyncWrite + Unpin>(
    port: &mut AtPort<T>,
) -> Result<Storage, InitError> {
    for name in STORAGES {
        match retry(port, &SetStorage(name.to_string()), 3).await {
            Ok(s) => return Ok(s),
            Err(e) => check_disconnect(e, "AT+CPMS")?,
        }
    }
    port.exec(&QueryStorage).await.map_err(|source| InitError::Step {
        step: "AT+CPMS (message storage)",
        source,
    })
}

/// The memories to sweep for messages and status reports, `primary`
/// first. "MT" is "any storage associated with the ME" (TS 27.005
/// §3.2.2), i.e. "SM" and "ME" together on the modems that list all
/// three: swept only when it is the storage in use or one of those two is
/// missing, so nothing is read twice. Without `AT+CPMS=?` only the
/// storage in use is known.
pub fn memories_to_sweep(primary: &str, support: Option<&StorageSupport>) -> Vec<String> {
    let primary = primary.to_ascii_uppercase();
    let mut out = vec![primary.clone()];
    let Some(support) = support else {
        return out;
    };
    let listed = |m: &str| support.read.iter().any(|r| r == m);
    let mt_covers = primary == "MT" || (listed("MT") && !(listed("SM") && listed("ME")));
    for m in ["SM", "ME", "MT", "SR"] {
        let skip = out.iter().any(|o| o == m)
            || !listed(m)
            || (m == "MT" && !mt_covers)
            || (matches!(m, "SM" | "ME") && primary == "MT");
        if !skip {
            out.push(m.to_string());
        }
    }
    out
}

async fn choose_indications<T: AsyncRead + AsyncWrite + Unpin>(
    port: &mut AtPort<T>,
) -> Result<SetIndications, InitError> {
    for cnmi in INDICATIONS {
        match port.exec(cnmi).await {
            Ok(()) => return Ok(*cnmi),
            Err(e) => {
                check_disconnect(e, "AT+CNMI")?;
            }
        }
    }
    warn!("modem refuses every AT+CNMI setting; new messages are found by the periodic inbox check");
    Ok(SetIndications {
        mode: 0,
        mt: 0,
        ds: 0,
    })
}

/// Retries a command that modems refuse while they finish booting.
async fn retry<T, C>(port: &mut AtPort<T>, cmd: &C, attempts: u32) -> Result<C::Output, AtError>
where
    T: AsyncRead + AsyncWrite + Unpin,
    C: crate::at::command::Command,
{
    let mut last = None;
    for attempt in 0..attempts {
        match port.exec(cmd).await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_disconnect() => return Err(e),
            Err(e) => {
                debug!(attempt, error = %e, "retrying");
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    Err(last.unwrap_or(AtError::Closed))
}

fn check_disconnect(e: AtError, step: &'static str) -> Result<(), InitError> {
    if e.is_disconnect() {
        Err(InitError::Step { step, source: e })
    } else {
        debug!(step, error = %e, "optional step failed");
        Ok(())
    }
}

fn check_disconnect_init(e: &AtError) -> Result<(), InitError> {
    if e.is_disconnect() {
        Err(InitError::Step {
            step: "SIM",
            source: AtError::Closed,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn support(read: &[&str]) -> StorageSupport {
        StorageSupport {
            read: read.iter().map(|s| s.to_string()).collect(),
            ..StorageSupport::default()
        }
    }

    #[test]
    fn every_memory_where_messages_or_reports_land_is_swept_once() {
        // Telit: reports in SR, readable only as <mem1>.
        assert_eq!(
            memories_to_sweep("SM", Some(&support(&["ME", "SM", "SR"]))),
            ["SM", "ME", "SR"]
        );
        // MT is SM and ME together: not read a second time.
        assert_eq!(
            memories_to_sweep("SM", Some(&support(&["SM", "ME", "MT", "SR", "BM"]))),
            ["SM", "ME", "SR"]
        );
        // MT in use: it covers SM and ME.
        assert_eq!(
            memories_to_sweep("MT", Some(&support(&["SM", "ME", "MT", "SR"]))),
            ["MT", "SR"]
        );
        assert_eq!(memories_to_sweep("sm", None), ["SM"]);
    }
}
