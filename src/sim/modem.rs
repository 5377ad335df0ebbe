//! One simulated modem: a SIM, its storage, and the AT command set simfleet
//! and common clients (gammu) use, served over any byte stream. Faults can
//! be switched on at any time through [`SimModem::set_faults`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use super::profile::SimProfile;
use crate::sms::{self, Address, Tpdu};

/// Faults to inject, all off by default except the vendor noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction (0–1) of sends answered with `+CMS ERROR: cms_error_code`.
    pub cms_error_rate: f64,
    /// The code used by `cms_error_rate` (default 500, "unknown error").
    pub cms_error_code: u16,
    /// The modem stops answering anything; set from the start, a "mute"
    /// port (a GPS or diagnostics port, a modem stuck in boot) that never
    /// answers `AT`.
    pub hang: bool,
    /// Firmware wedged: nothing is answered except `AT+CFUN=1,1`, which
    /// resets the modem and clears the wedge.
    pub wedged: bool,
    /// Sends are accepted (they reach the ledger) but never answered.
    pub hang_after_pdu: bool,
    /// No SIM in the slot.
    pub sim_missing: bool,
    /// The SIM asks for its PIN ("1234").
    pub pin_required: bool,
    /// Not registered on the network.
    pub not_registered: bool,
    /// The operator refuses sends after this many accepted ones.
    pub limit_after: Option<u32>,
    /// The `+CMS ERROR` of the operator limit (default 21, "transfer rejected").
    pub limit_code: u16,
    /// The operator blocks the SIM when it texts more distinct recipients
    /// than this (some "unlimited" plans allow ~250 a month): the send to
    /// the first recipient beyond it, and every send after, is refused with
    /// `limit_code`. What `unique_recipients_per_month` keeps a SIM from.
    pub block_after_recipients: Option<u32>,
    /// Occasional vendor chatter, as the real modems send it by default:
    /// Huawei `^RSSI` until `AT^CURC=0`; Quectel `+QIND` once enabled.
    pub noise: bool,
    /// A burst of unsolicited lines (`^RSSI`, `+CREG`, `^BOOT`, `RING`…)
    /// every this many milliseconds, whatever the vendor settings: a modem
    /// that talks over its own replies.
    pub chatter_ms: Option<u64>,
    /// Send latency override, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Delay before a requested status report, in milliseconds.
    pub report_delay_ms: u64,
    /// TP-ST of status reports (0 delivered, 0x46 expired, …).
    pub report_status: u8,
    /// Recipients whose status reports say otherwise, with their TP-ST
    /// (international form as in the ledger): `{"+491700000001": 70}`
    /// (0x46, validity expired) for an absent subscriber whose phone stays
    /// off, 0x43 ("not obtainable") for a number not in service.
    pub report_status_for: BTreeMap<String, u8>,
    /// Refuses to store status reports (`AT+CNMI` with `<ds>` 2 is an
    /// error), so they come directly as `+CDS`, as on modems without `SR`
    /// storage.
    pub direct_reports: bool,
    /// `+CDS` carries only the TPDU, without the SMSC field, as some
    /// modems print it (`<length>` then equals the octets shown).
    pub cds_without_smsc: bool,
    /// A fault on one part of concatenated messages (e.g. `+CMS ERROR` on
    /// part 3 after parts 1–2 were accepted), for a number of sends.
    pub part_fault: Option<PartFault>,
    /// Recipients the network refuses, each with the `+CMS ERROR` cause it
    /// answers (international form as in the ledger, e.g.
    /// `{"+79160000000": 1}` for "unassigned number"): set it on every
    /// modem for a number no SIM can reach, on one for a SIM-side refusal.
    pub reject_recipients: BTreeMap<String, u16>,
    /// Stored status reports (`AT+CNMI=…,2`) are kept in the "SR" memory
    /// and announced `+CDSI: "SR",<n>`, as Telit, Sierra and many Huawei
    /// firmwares do; otherwise they go where received messages go (`<mem3>`).
    pub reports_in_sr: bool,
    /// "SR" may only be the read memory: `AT+CPMS` naming it as `<mem2>` or
    /// `<mem3>` is refused with `+CMS ERROR: 302` (operation not allowed),
    /// as Telit's AT manuals document.
    pub sr_read_only: bool,
    /// How many reports "SR" holds (a handful on some modules); reports
    /// arriving while it is full are lost, as on the real thing.
    pub sr_capacity: usize,
    /// `+CDSI` names this memory whatever memory the report is kept in
    /// (firmware that announces reports in one memory and keeps them in another).
    pub cdsi_memory: Option<String>,
    /// Messages and reports are stored but never announced: `+CMTI`/`+CDSI`
    /// lost (URCs routed to another USB interface, dropped while busy).
    pub drop_notifications: bool,
    /// `AT+COPS=3,<format>` is accepted but `+COPS?` keeps answering in
    /// the long alphanumeric format, the format field saying so.
    pub cops_format_ignored: bool,
    /// Notifications that come while a send is in progress are held and
    /// written right after its final result, in the same burst (the
    /// buffering of `AT+CNMI` `<mode>` 2, TS 27.005 §3.4.1, as many
    /// modems do it).
    pub urcs_after_reply: bool,
    /// `AT+CLIP=1` is refused (`ERROR`): calls ring without the caller's
    /// number, as on modems or networks without caller id.
    pub no_caller_id: bool,
    /// The SIM stores no own number: `AT+CNUM` answers a bare `OK`.
    pub no_own_number: bool,
    /// `AT+CHUP` is refused (`ERROR`), as on firmware that only knows `ATH`.
    pub no_chup: bool,
}

/// A fault on the `part`-th part of concatenated messages, the next `times`
/// times such a part is submitted; then it clears itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartFault {
    /// 1-based part number (the UDH sequence number).
    pub part: u8,
    /// How many times it fires (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// The `+CMS ERROR` answered (default 500, "unknown error": not sent,
    /// try again); ignored when `unanswered`.
    #[serde(default = "cms_unknown")]
    pub code: u16,
    /// Accept the part (it reaches the ledger) but never answer: the
    /// sender cannot know it went.
    #[serde(default)]
    pub unanswered: bool,
}

fn one() -> u32 {
    1
}

fn cms_unknown() -> u16 {
    500
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            cms_error_rate: 0.0,
            cms_error_code: 500,
            hang: false,
            wedged: false,
            hang_after_pdu: false,
            sim_missing: false,
            pin_required: false,
            not_registered: false,
            limit_after: None,
            limit_code: 21,
            block_after_recipients: None,
            noise: true,
            chatter_ms: None,
            latency_ms: None,
            report_delay_ms: 500,
            report_status: 0,
            report_status_for: BTreeMap::new(),
            direct_reports: false,
            cds_without_smsc: false,
            part_fault: None,
            reject_recipients: BTreeMap::new(),
            reports_in_sr: false,
            sr_read_only: false,
            sr_capacity: 20,
            cdsi_memory: None,
            drop_notifications: false,
            cops_format_ignored: false,
            urcs_after_reply: false,
            no_caller_id: false,
            no_own_number: false,
            no_chup: false,
        }
    }
}

/// The PIN of every simulated SIM.
pub const SIM_PIN: &str = "1234";

/// One SMS-SUBMIT the simulated network accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Order of acceptance across the fleet.
    pub seq: u64,
    /// Simulated modem index.
    pub modem: usize,
    /// Its IMEI.
    pub imei: String,
    /// Its SIM's IMSI.
    pub imsi: String,
    /// TP-MR assigned.
    pub message_ref: u8,
    /// TP-DA.
    pub recipient: String,
    /// Text of this part.
    pub text: Option<String>,
    /// Concatenation `(reference, total, seq)`, if a part.
    pub concat: Option<(u16, u8, u8)>,
    /// Whether a status report was requested.
    pub status_report: bool,
    /// The PDU as written.
    pub pdu: String,
    /// When `AT+CMGS` arrived (the first byte of this send).
    pub command_at: DateTime<Utc>,
    /// When it was accepted.
    pub at: DateTime<Utc>,
}

/// Every accepted submit of a fleet.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Mutex<Vec<LedgerEntry>>,
}

impl Ledger {
    /// A copy of the entries, oldest first.
    pub fn entries(&self) -> Vec<LedgerEntry> {
        lock(&self.entries).clone()
    }

    fn push(&self, mut entry: LedgerEntry) {
        let mut entries = lock(&self.entries);
        entry.seq = entries.len() as u64 + 1;
        entries.push(entry);
    }
}

/// One incoming call the simulated network put through to a modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// 1.. per modem.
    pub id: u64,
    /// Simulated modem index.
    pub modem: usize,
    /// Its SIM's IMSI.
    pub imsi: String,
    /// The caller (`None`: withheld).
    pub from: Option<String>,
    /// `RING`s written.
    pub rings: u32,
    /// Whether `+CLIP` went with them (`AT+CLIP=1` was on).
    pub caller_id_shown: bool,
    /// `ringing`, `hung_up` (the modem's client hung up: `ATH`/`AT+CHUP`),
    /// or `caller_gave_up` (every ring went unanswered: `NO CARRIER`).
    pub outcome: String,
    /// The command that hung up, if any (`AT+CHUP` or `ATH`).
    pub hangup_command: Option<String>,
    /// When the first `RING` was due.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Counters of one simulated modem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Command lines received.
    pub commands: u64,
    /// Sends accepted.
    pub sends_accepted: u64,
    /// Sends refused with an error.
    pub sends_refused: u64,
    /// Messages put into SIM storage.
    pub inbound_stored: u64,
    /// Messages delivered directly (`+CMT`).
    pub inbound_direct: u64,
    /// Status reports generated.
    pub reports: u64,
    /// Status reports lost because their memory was full.
    pub reports_lost: u64,
    /// Notifications (`+CMTI`, `+CDSI`, `+CMT`, `+CDS`) that were never
    /// written (modem hung or `drop_notifications`).
    pub notifications_lost: u64,
    /// Wrong PINs entered.
    pub wrong_pins: u64,
    /// Resets (`AT+CFUN=1,1`) received.
    pub resets: u64,
    /// Bursts of vendor noise or chatter written.
    pub noise_bursts: u64,
}

#[derive(Debug, Clone)]
struct Session {
    echo: bool,
    cmee: u8,
    cmgf: u8,
    cnmi: [u8; 5],
    creg: u8,
    cops_format: u8,
    curc: bool,
    qind_csq: bool,
    /// `AT+CLIP=1`: `+CLIP` after each `RING`.
    clip: bool,
    /// `AT+CPMS` `<mem1>` (read, list, delete), `<mem2>` (write, send),
    /// `<mem3>` (received messages), as indices into [`MEMORIES`].
    cpms: [usize; 3],
}

impl Default for Session {
    fn default() -> Self {
        Self {
            echo: true,
            cmee: 0,
            cmgf: 0,
            cnmi: [0, 0, 0, 0, 0],
            creg: 0,
            cops_format: 0,
            curc: true,
            qind_csq: false,
            clip: false,
            cpms: [0, 0, 0],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Stored {
    stat: u8,
    pdu: String,
}

/// The message memories a simulated modem has (TS 27.005 §3.2.2 `<mem>`):
/// the SIM, the modem's own memory, and the status-report memory.
pub const MEMORIES: [&str; 3] = ["SM", "ME", "SR"];

fn memory_index(name: &str) -> Option<usize> {
    MEMORIES.iter().position(|m| m.eq_ignore_ascii_case(name))
}

#[derive(Debug)]
struct State {
    profile: SimProfile,
    faults: Faults,
    session: Session,
    pin_ok: bool,
    pin_tries: u8,
    /// Contents of each of [`MEMORIES`].
    memories: [BTreeMap<u32, Stored>; 3],
    network_queue: VecDeque<String>,
    next_mr: u8,
    accepted: u32,
    /// Distinct recipients accepted, for `block_after_recipients`.
    recipients: std::collections::HashSet<String>,
    /// Blocked by the operator for too many recipients.
    blocked: bool,
    /// Notifications held while a send is in progress (`urcs_after_reply`).
    held: Option<Vec<String>>,
    counters: Counters,
    rng: u64,
    /// Every call put through, oldest first; the last may be ringing.
    calls: Vec<CallRecord>,
}

/// One simulated modem. Cheap to share; the line task and the control API
/// both hold it.
#[derive(Debug)]
pub struct SimModem {
    /// Index in the fleet.
    pub index: usize,
    latency: Duration,
    state: Mutex<State>,
    ledger: Arc<Ledger>,
    out: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    /// Wakes the noise task when the faults change.
    faults_changed: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a command line asks of the line task.
enum Action {
    Reply(String),
    Prompt(usize),
    /// Say nothing at all, not even the echo.
    Ignore,
}

/// What a submitted PDU leads to.
struct PduOutcome {
    reply: Option<String>,
    delay: Duration,
    report: Option<(u8, Address)>,
}

impl SimModem {
    /// A modem with `profile`, answering sends after `latency`.
    pub fn new(index: usize, profile: SimProfile, latency: Duration, ledger: Arc<Ledger>) -> Self {
        Self {
            index,
            latency,
            state: Mutex::new(State {
                profile,
                faults: Faults::default(),
                session: Session::default(),
                pin_ok: false,
                pin_tries: 3,
                memories: Default::default(),
                network_queue: VecDeque::new(),
                next_mr: 0,
                accepted: 0,
                recipients: Default::default(),
                blocked: false,
                held: None,
                counters: Counters::default(),
                rng: 0x9E37_79B9_7F4A_7C15 ^ index as u64,
                calls: Vec::new(),
            }),
            ledger,
            out: Mutex::new(None),
            faults_changed: tokio::sync::Notify::new(),
        }
    }

    /// The modem's identity.
    pub fn profile(&self) -> SimProfile {
        lock(&self.state).profile.clone()
    }

    /// Current faults.
    pub fn faults(&self) -> Faults {
        lock(&self.state).faults.clone()
    }

    /// Replaces the faults.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.state).faults = faults;
        self.faults_changed.notify_waiters();
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        lock(&self.state).counters.clone()
    }

    /// Every call put through to this modem, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        lock(&self.state).calls.clone()
    }

    /// An incoming call from `from` (`None`: number withheld): `RING`
    /// (with `+CLIP: "<from>",145,,,,0` once `AT+CLIP=1` is on; a withheld
    /// caller's is `+CLIP: "",128,,,,1`) every `interval`, `rings` times,
    /// until the line hangs up (`ATH`/`AT+CHUP` answer `OK`, nothing
    /// more is written) or the caller gives up after the last ring
    /// (`NO CARRIER`). Returns the call's id; refused while another call
    /// rings on this modem.
    pub fn incoming_call(
        self: &Arc<Self>,
        from: Option<&str>,
        rings: u32,
        interval: Duration,
    ) -> Result<u64, String> {
        let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
            None => None,
            Some(f) => Some(Address::parse_number(f).map_err(|e| e.to_string())?.to_string()),
        };
        let id = {
            let mut st = lock(&self.state);
            if st.calls.last().is_some_and(|c| c.ended_at.is_none()) {
                return Err("a call is already ringing on this modem".into());
            }
            let id = st.calls.len() as u64 + 1;
            let record = CallRecord {
                id,
                modem: self.index,
                imsi: st.profile.imsi.clone(),
                from,
                rings: 0,
                caller_id_shown: st.session.clip,
                outcome: "ringing".into(),
                hangup_command: None,
                started_at: Utc::now(),
                ended_at: None,
            };
            st.calls.push(record);
            id
        };
        let me = self.clone();
        tokio::spawn(async move {
            for _ in 0..rings {
                let urc = {
                    let mut st = lock(&me.state);
                    let clip = st.session.clip;
                    let hung = st.faults.hang;
                    let Some(call) = st.calls.last_mut().filter(|c| c.id == id && c.ended_at.is_none())
                    else {
                        return;
                    };
                    call.rings += 1;
                    call.caller_id_shown |= clip;
                    let mut out = String::from("\r\nRING\r\n");
                    if clip {
                        match &call.from {
                            Some(f) => {
                                let toa = if f.starts_with('+') { 145 } else { 129 };
                                out.push_str(&format!("\r\n+CLIP: \"{f}\",{toa},,,,0\r\n"));
                            }
                            None => out.push_str("\r\n+CLIP: \"\",128,,,,1\r\n"),
                        }
                    }
                    (!hung).then_some(out)
                };
                if let Some(urc) = urc {
                    me.write_urc(urc);
                }
                tokio::time::sleep(interval).await;
            }
            let gave_up = {
                let mut st = lock(&me.state);
                let hung = st.faults.hang;
                match st.calls.last_mut().filter(|c| c.id == id && c.ended_at.is_none()) {
                    Some(call) => {
                        call.outcome = "caller_gave_up".into();
                        call.ended_at = Some(Utc::now());
                        !hung
                    }
                    None => false,
                }
            };
            if gave_up {
                me.write_urc("\r\nNO CARRIER\r\n".into());
            }
        });
        Ok(id)
    }

    /// Messages in every memory (SIM, modem, status reports): (index, PDU hex).
    pub fn stored(&self) -> Vec<(u32, String)> {
        lock(&self.state)
            .memories
            .iter()
            .flat_map(|m| m.iter().map(|(i, s)| (*i, s.pdu.clone())))
            .collect()
    }

    /// What one memory ("SM", "ME", "SR") holds: (index, `<stat>`, PDU hex).
    pub fn stored_in(&self, memory: &str) -> Vec<(u32, u8, String)> {
        let st = lock(&self.state);
        memory_index(memory).map_or_else(Vec::new, |m| {
            st.memories[m]
                .iter()
                .map(|(i, s)| (*i, s.stat, s.pdu.clone()))
                .collect()
        })
    }

    /// Puts a PDU into `memory` with `<stat>` (0 unread, 1 read, 2 unsent,
    /// 3 sent) without any notification, as if it had been there before
    /// the line was opened (written by a phone, another program, or
    /// received while nobody listened). Returns its index, or `None` when
    /// the memory is unknown or full.
    pub fn put_stored(&self, memory: &str, stat: u8, pdu_hex: &str) -> Option<u32> {
        let mut st = lock(&self.state);
        let m = memory_index(memory)?;
        st.store_in(m, stat, pdu_hex.to_string())
    }

    /// Messages the network holds because the SIM is full.
    pub fn queued_at_network(&self) -> usize {
        lock(&self.state).network_queue.len()
    }

    /// Whether a client line is attached.
    pub fn attached(&self) -> bool {
        lock(&self.out).is_some()
    }

    /// Delivers an SMS-DELIVER PDU (hex, SMSC first) as the network would:
    /// stored with `+CMTI`, or directly with `+CMT`, as `AT+CNMI` asked;
    /// held by the network while the SIM is full.
    pub fn deliver(&self, pdu_hex: &str) {
        let urc = {
            let mut st = lock(&self.state);
            st.network_deliver(pdu_hex.to_string())
        };
        if let Some(urc) = urc {
            self.write_notification(urc);
        }
    }

    /// Delivers a text from `from`, split into parts as a network would,
    /// optionally in reverse order.
    pub fn deliver_text(
        &self,
        from: &str,
        text: &str,
        reverse: bool,
        wide_ref: bool,
    ) -> Result<usize, String> {
        let sender = Address::parse_number(from).map_err(|e| e.to_string())?;
        let plan = sms::plan(
            text,
            &sms::SplitOptions {
                wide_ref,
                ..Default::default()
            },
        )
        .map_err(|e| e.to_string())?;
        let (smsc, reference) = {
            let mut st = lock(&self.state);
            (Address::parse_number(&st.profile.smsc).ok(), st.random() as u16)
        };
        let now: DateTime<FixedOffset> = Utc::now().fixed_offset();
        let mut pdus = sms::encode_deliver(smsc.as_ref(), &sender, &plan, now, reference);
        if reverse {
            pdus.reverse();
        }
        let n = pdus.len();
        for pdu in pdus {
            self.deliver(&sms::hex::encode_hex(&pdu));
        }
        Ok(n)
    }

    /// Writes a new-message or status-report indication, unless the modem
    /// is hung or drops them: then it is lost for good, as on a real modem.
    fn write_notification(&self, bytes: String) {
        {
            let mut st = lock(&self.state);
            if st.faults.hang || st.faults.drop_notifications {
                st.counters.notifications_lost += 1;
                return;
            }
            if let Some(held) = &mut st.held {
                held.push(bytes);
                return;
            }
        }
        self.write_urc(bytes);
    }

    fn write_urc(&self, bytes: String) {
        if let Some(tx) = lock(&self.out).as_ref() {
            let _ = tx.try_send(bytes.into_bytes());
        }
    }

    /// Serves the AT line over `io` until it closes or `stop` fires.
    pub async fn serve<IO>(self: Arc<Self>, io: IO, mut stop: watch::Receiver<bool>)
    where
        IO: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (mut rd, mut wr) = tokio::io::split(io);
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(1024);
        *lock(&self.out) = Some(tx.clone());
        let writer = tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if wr.write_all(&bytes).await.is_err() || wr.flush().await.is_err() {
                    break;
                }
            }
        });
        let noise = {
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    // Listening before the faults are read: a change in
                    // between is not missed (notify_waiters keeps no permit).
                    let changed = me.faults_changed.notified();
                    tokio::pin!(changed);
                    changed.as_mut().enable();
                    let chatter = lock(&me.state).faults.chatter_ms;
                    let pause = Duration::from_millis(chatter.unwrap_or(7000).max(1));
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {
                            if let Some(line) = me.noise_line() {
                                me.write_urc(line);
                            }
                        }
                        _ = changed => {}
                    }
                }
            })
        };

        let mut buf = [0u8; 1024];
        let mut line: Vec<u8> = Vec::new();
        let mut pdu: Option<(usize, Vec<u8>)> = None;
        let mut command_at = Utc::now();
        'outer: loop {
            let n = tokio::select! {
                r = rd.read(&mut buf) => match r { Ok(0) | Err(_) => break, Ok(n) => n },
                _ = stop.changed() => break,
            };
            if lock(&self.state).faults.hang {
                continue;
            }
            let echo = lock(&self.state).session.echo;
            for &b in &buf[..n] {
                if let Some((len, data)) = &mut pdu {
                    match b {
                        0x1A => {
                            let hex = String::from_utf8_lossy(data).trim().to_string();
                            let len = *len;
                            pdu = None;
                            if echo {
                                let _ = tx.send(b"\x1a".to_vec()).await;
                            }
                            let outcome = self.submit(&hex, len, command_at);
                            {
                                let mut st = lock(&self.state);
                                if st.faults.urcs_after_reply {
                                    st.held = Some(Vec::new());
                                }
                            }
                            tokio::select! {
                                _ = tokio::time::sleep(outcome.delay) => {}
                                _ = stop.changed() => break 'outer,
                            }
                            let held = lock(&self.state).held.take().unwrap_or_default();
                            let mut out = outcome.reply.unwrap_or_default();
                            out.extend(held);
                            if !out.is_empty() {
                                let _ = tx.send(out.into_bytes()).await;
                            }
                            if let Some((mr, to)) = outcome.report {
                                self.schedule_report(mr, to);
                            }
                        }
                        0x1B => pdu = None,
                        b'\r' | b'\n' => {}
                        _ if data.len() < 1024 => {
                            data.push(b);
                            if echo {
                                let _ = tx.send(vec![b]).await;
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match b {
                    b'\r' => {
                        let received_at = Utc::now();
                        let text = String::from_utf8_lossy(&line).trim().to_string();
                        line.clear();
                        if text.is_empty() {
                            continue;
                        }
                        let (echoed, action) = {
                            let mut st = lock(&self.state);
                            let echoed = st.session.echo;
                            (echoed, st.command(&text))
                        };
                        let mut out = if echoed {
                            format!("{text}\r")
                        } else {
                            String::new()
                        };
                        match action {
                            Action::Reply(r) => out.push_str(&r),
                            Action::Prompt(len) => {
                                out.push_str("\r\n> ");
                                pdu = Some((len, Vec::new()));
                                command_at = received_at;
                            }
                            Action::Ignore => out.clear(),
                        }
                        if !out.is_empty() {
                            let _ = tx.send(out.into_bytes()).await;
                        }
                    }
                    b'\n' | 0x00 => {}
                    0x1B => line.clear(),
                    0x08 => {
                        line.pop();
                    }
                    _ if line.len() < 4096 => line.push(b),
                    _ => line.clear(),
                }
            }
        }
        *lock(&self.out) = None;
        noise.abort();
        drop(tx);
        let _ = writer.await;
    }

    /// Accepts or refuses a submitted PDU.
    fn submit(&self, hex: &str, tpdu_len: usize, command_at: DateTime<Utc>) -> PduOutcome {
        let mut st = lock(&self.state);
        let refuse = |st: &mut State, code: u16| {
            st.counters.sends_refused += 1;
            PduOutcome {
                reply: Some(format!("\r\n+CMS ERROR: {code}\r\n")),
                delay: Duration::from_millis(20),
                report: None,
            }
        };
        let Ok(bytes) = sms::hex::decode_hex(hex) else {
            return refuse(&mut st, 304);
        };
        let smsc_len = bytes.first().map_or(0, |&l| usize::from(l) + 1);
        if bytes.len() != smsc_len + tpdu_len {
            return refuse(&mut st, 304);
        }
        let Ok(pdu) = sms::decode(&bytes) else {
            return refuse(&mut st, 304);
        };
        let Tpdu::Submit(submit) = pdu.tpdu else {
            return refuse(&mut st, 304);
        };
        if st.faults.sim_missing {
            return refuse(&mut st, 310);
        }
        if st.faults.not_registered {
            return refuse(&mut st, 331);
        }
        if let Some(&code) = st.faults.reject_recipients.get(&submit.recipient.to_string()) {
            return refuse(&mut st, code);
        }
        if st.faults.limit_after.is_some_and(|n| st.accepted >= n) {
            let code = st.faults.limit_code;
            return refuse(&mut st, code);
        }
        let to = submit.recipient.to_string();
        if let Some(n) = st.faults.block_after_recipients
            && (st.blocked || (!st.recipients.contains(&to) && st.recipients.len() >= n as usize))
        {
            st.blocked = true;
            let code = st.faults.limit_code;
            return refuse(&mut st, code);
        }
        let part = submit
            .user_data
            .header
            .as_ref()
            .and_then(|h| h.concat)
            .map(|c| c.seq);
        let mut unanswered = false;
        if let Some(f) = st.faults.part_fault.clone()
            && f.times > 0
            && part == Some(f.part)
        {
            st.faults.part_fault = (f.times > 1).then(|| PartFault {
                times: f.times - 1,
                ..f.clone()
            });
            if f.unanswered {
                unanswered = true;
            } else {
                return refuse(&mut st, f.code);
            }
        }
        if st.faults.cms_error_rate > 0.0 {
            let roll = (st.random() % 1_000_000) as f64 / 1_000_000.0;
            if roll < st.faults.cms_error_rate {
                let code = st.faults.cms_error_code;
                return refuse(&mut st, code);
            }
        }
        let mr = st.next_mr;
        st.next_mr = st.next_mr.wrapping_add(1);
        st.accepted += 1;
        st.counters.sends_accepted += 1;
        if st.faults.block_after_recipients.is_some() {
            st.recipients.insert(to);
        }
        let ud = &submit.user_data;
        self.ledger.push(LedgerEntry {
            seq: 0,
            modem: self.index,
            imei: st.profile.imei.clone(),
            imsi: st.profile.imsi.clone(),
            message_ref: mr,
            recipient: submit.recipient.to_string(),
            text: ud.content.text(),
            concat: ud
                .header
                .as_ref()
                .and_then(|h| h.concat)
                .map(|c| (c.reference, c.total, c.seq)),
            status_report: submit.status_report_request,
            pdu: hex.to_string(),
            command_at,
            at: Utc::now(),
        });
        let delay = st.faults.latency_ms.map_or(self.latency, Duration::from_millis);
        if st.faults.hang_after_pdu || unanswered {
            return PduOutcome {
                reply: None,
                delay: Duration::ZERO,
                report: None,
            };
        }
        PduOutcome {
            reply: Some(format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n")),
            delay,
            report: submit.status_report_request.then_some((mr, submit.recipient)),
        }
    }

    fn schedule_report(self: &Arc<Self>, mr: u8, recipient: Address) {
        let me = self.clone();
        let delay = Duration::from_millis(lock(&self.state).faults.report_delay_ms);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let urc = {
                let mut st = lock(&me.state);
                st.counters.reports += 1;
                let now = Utc::now().fixed_offset();
                let smsc = Address::parse_number(&st.profile.smsc).ok();
                let pdu = sms::encode_status_report(
                    smsc.as_ref(),
                    mr,
                    &recipient,
                    now,
                    now,
                    st.faults
                        .report_status_for
                        .get(&recipient.to_string())
                        .copied()
                        .unwrap_or(st.faults.report_status),
                );
                let hex = sms::hex::encode_hex(&pdu);
                let tpdu = &pdu[smsc_field_len(&pdu).min(pdu.len())..];
                match st.session.cnmi[3] {
                    1 if st.faults.cds_without_smsc => Some(format!(
                        "\r\n+CDS: {}\r\n{}\r\n",
                        tpdu.len(),
                        sms::hex::encode_hex(tpdu)
                    )),
                    1 => Some(format!("\r\n+CDS: {}\r\n{hex}\r\n", tpdu.len())),
                    2 => {
                        let memory = if st.faults.reports_in_sr {
                            2
                        } else {
                            st.session.cpms[2]
                        };
                        match st.store_in(memory, 0, hex) {
                            Some(i) => {
                                let named = st
                                    .faults
                                    .cdsi_memory
                                    .clone()
                                    .unwrap_or_else(|| MEMORIES[memory].to_string());
                                Some(format!("\r\n+CDSI: \"{named}\",{i}\r\n"))
                            }
                            None => {
                                st.counters.reports_lost += 1;
                                None
                            }
                        }
                    }
                    _ => None,
                }
            };
            if let Some(urc) = urc {
                me.write_notification(urc);
            }
        });
    }

    fn noise_line(&self) -> Option<String> {
        let mut st = lock(&self.state);
        if !st.faults.noise || st.faults.hang {
            return None;
        }
        let rssi = 15 + (st.random() % 10) as u8;
        if st.faults.chatter_ms.is_some() {
            st.counters.noise_bursts += 1;
            return Some(format!(
                "\r\n^RSSI: {rssi}\r\n\r\n+CREG: 1,\"00C3\",\"0000507E\"\r\n^BOOT:20952832,0,0,0,75\r\n\r\nRING\r\n"
            ));
        }
        let family = st.profile.manufacturer.to_ascii_lowercase();
        let line = if family.contains("huawei") && st.session.curc {
            format!("\r\n^RSSI: {rssi}\r\n")
        } else if family.contains("quectel") && st.session.qind_csq {
            format!("\r\n+QIND: \"csq\",{rssi},99\r\n")
        } else {
            return None;
        };
        st.counters.noise_bursts += 1;
        Some(line)
    }
}

fn smsc_field_len(pdu: &[u8]) -> usize {
    pdu.first().map_or(0, |&l| usize::from(l) + 1)
}

impl State {
    fn random(&mut self) -> u64 {
        // xorshift64*: deterministic per modem, good enough for fault rolls.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn sim_usable(&self) -> Result<(), u16> {
        if self.faults.sim_missing {
            Err(10)
        } else if self.faults.pin_required && !self.pin_ok {
            Err(11)
        } else {
            Ok(())
        }
    }

    fn cme(&self, code: u16) -> String {
        match self.session.cmee {
            0 => "\r\nERROR\r\n".into(),
            2 => format!(
                "\r\n+CME ERROR: {}\r\n",
                crate::at::CmeError {
                    code: Some(code),
                    text: None
                }
                .description()
            ),
            _ => format!("\r\n+CME ERROR: {code}\r\n"),
        }
    }

    fn capacity(&self, memory: usize) -> usize {
        match memory {
            0 => self.profile.capacity,
            1 => 2 * self.profile.capacity,
            _ => self.faults.sr_capacity,
        }
    }

    fn store_in(&mut self, memory: usize, stat: u8, pdu: String) -> Option<u32> {
        if self.memories[memory].len() >= self.capacity(memory) {
            return None;
        }
        let index = (0u32..).find(|i| !self.memories[memory].contains_key(i))?;
        self.memories[memory].insert(index, Stored { stat, pdu });
        Some(index)
    }

    /// The `+CPMS` counts of the three selected memories.
    fn cpms_counts(&self) -> [(usize, usize); 3] {
        self.session
            .cpms
            .map(|m| (self.memories[m].len(), self.capacity(m)))
    }

    fn network_deliver(&mut self, pdu: String) -> Option<String> {
        if self.session.cnmi[1] >= 2 {
            self.counters.inbound_direct += 1;
            let len = sms::hex::decode_hex(&pdu).map_or(0, |b| b.len() - smsc_field_len(&b));
            return Some(format!("\r\n+CMT: ,{len}\r\n{pdu}\r\n"));
        }
        let memory = self.session.cpms[2];
        match self.store_in(memory, 0, pdu.clone()) {
            Some(index) => {
                self.counters.inbound_stored += 1;
                (self.session.cnmi[1] == 1)
                    .then(|| format!("\r\n+CMTI: \"{}\",{index}\r\n", MEMORIES[memory]))
            }
            None => {
                self.network_queue.push_back(pdu);
                None
            }
        }
    }

    /// Delivers what the network held while the SIM was full.
    fn flush_network_queue(&mut self) -> String {
        let mut out = String::new();
        let memory = self.session.cpms[2];
        while self.memories[memory].len() < self.capacity(memory) {
            let Some(pdu) = self.network_queue.pop_front() else {
                break;
            };
            if let Some(urc) = self.network_deliver(pdu)
                && !self.faults.drop_notifications
            {
                out.push_str(&urc);
            }
        }
        out
    }

    fn command(&mut self, line: &str) -> Action {
        self.counters.commands += 1;
        let upper = line.to_ascii_uppercase();
        if self.faults.wedged {
            if upper != "AT+CFUN=1,1" {
                return Action::Ignore;
            }
            self.faults.wedged = false;
        }
        let Some(body) = upper.strip_prefix("AT") else {
            return Action::Reply("\r\nERROR\r\n".into());
        };
        // Keep the original case for arguments (PIN, numbers).
        let body_orig = &line[2..];
        if body.contains(';') {
            let mut out = String::new();
            for (part, orig) in body.split(';').zip(body_orig.split(';')) {
                match self.one(part, orig) {
                    Action::Reply(r) if r.ends_with("OK\r\n") => {
                        out.push_str(r.trim_end_matches("\r\nOK\r\n"));
                    }
                    Action::Reply(r) => return Action::Reply(out + &r),
                    Action::Prompt(_) | Action::Ignore => return Action::Reply("\r\nERROR\r\n".into()),
                }
            }
            return Action::Reply(out + "\r\nOK\r\n");
        }
        self.one(body, body_orig)
    }

    fn one(&mut self, cmd: &str, orig: &str) -> Action {
        let ok = |info: &[String]| -> Action {
            let mut out = String::new();
            for l in info {
                out.push_str("\r\n");
                out.push_str(l);
                out.push_str("\r\n");
            }
            out.push_str("\r\nOK\r\n");
            Action::Reply(out)
        };
        let arg = |prefix: &str| -> Option<String> { orig.get(prefix.len()..).map(|s| s.trim().to_string()) };
        let p = self.profile.clone();
        let registered = !self.faults.not_registered && self.sim_usable().is_ok();
        match cmd {
            ""
            | "E1"
            | "Z"
            | "&F"
            | "V1"
            | "Q0"
            | "+CRC=1"
            | "+CGEREP=0"
            | "+CSCS=\"GSM\""
            | "+CSCS=\"IRA\""
            | "+QURCCFG=\"URCPORT\",\"USBAT\""
            | "+ZCDRUN=8"
            | "+CMGF=0" => {
                if cmd == "E1" || cmd == "Z" || cmd == "&F" {
                    self.session.echo = true;
                }
                if cmd == "+CMGF=0" {
                    self.session.cmgf = 0;
                }
                ok(&[])
            }
            "E0" | "E" => {
                self.session.echo = false;
                ok(&[])
            }
            "I" => ok(&[
                format!("Manufacturer: {}", p.manufacturer),
                format!("Model: {}", p.model),
                format!("Revision: {}", p.revision),
                format!("IMEI: {}", p.imei),
                "+GCAP: +CGSM,+DS,+ES".into(),
            ]),
            "+GCAP" => ok(&["+GCAP: +CGSM,+DS,+ES".into()]),
            "+CLIP=1" | "+CLIP=0" => {
                if self.faults.no_caller_id {
                    return Action::Reply("\r\nERROR\r\n".into());
                }
                self.session.clip = cmd.ends_with('1');
                ok(&[])
            }
            "+CLIP?" => ok(&[format!("+CLIP: {},1", u8::from(self.session.clip))]),
            "+CNUM" => match self.sim_usable() {
                Err(code) => Action::Reply(self.cme(code)),
                Ok(()) if self.faults.no_own_number => ok(&[]),
                Ok(()) => ok(&[format!("+CNUM: \"\",\"{}\",145", p.msisdn)]),
            },
            "H" | "H0" | "+CHUP" => {
                if cmd == "+CHUP" && self.faults.no_chup {
                    return Action::Reply("\r\nERROR\r\n".into());
                }
                if let Some(call) = self.calls.last_mut().filter(|c| c.ended_at.is_none()) {
                    call.outcome = "hung_up".into();
                    call.hangup_command = Some(format!("AT{cmd}"));
                    call.ended_at = Some(Utc::now());
                }
                ok(&[])
            }
            "+CGMI" | "+GMI" => ok(&[p.manufacturer]),
            "+CGMM" | "+GMM" => ok(&[p.model]),
            "+CGMR" | "+GMR" => ok(&[p.revision]),
            "+CGSN" | "+GSN" | "+CGSN=1" => ok(&[p.imei]),
            "+CMEE=0" | "+CMEE=1" | "+CMEE=2" => {
                self.session.cmee = cmd.as_bytes()[6] - b'0';
                ok(&[])
            }
            "+CMEE?" => ok(&[format!("+CMEE: {}", self.session.cmee)]),
            "+CMGF=1" => Action::Reply(self.cme(4)),
            "+CMGF?" => ok(&[format!("+CMGF: {}", self.session.cmgf)]),
            "+CMGF=?" => ok(&["+CMGF: (0)".into()]),
            "+CSCS?" => ok(&["+CSCS: \"GSM\"".into()]),
            "+CSCS=?" => ok(&["+CSCS: (\"GSM\",\"IRA\")".into()]),
            "+CFUN?" => ok(&["+CFUN: 1".into()]),
            "+CFUN=1" => ok(&[]),
            "+CFUN=1,1" => {
                self.counters.resets += 1;
                self.session = Session::default();
                self.pin_ok = false;
                ok(&[])
            }
            "^CURC=0" => {
                self.session.curc = false;
                ok(&[])
            }
            // Huawei: which USB interface gets URCs (gammu insists on it).
            "^PORTSEL=0" | "^PORTSEL=1" if p.manufacturer == "huawei" => ok(&[]),
            // ZTE: network mode selection (gammu sends it).
            "+ZOPRT=5" if p.manufacturer.starts_with("ZTE") => ok(&[]),
            // Quectel: optional URCs, off by default as on real modules.
            _ if cmd.starts_with("+QINDCFG=\"CSQ\",") && p.manufacturer == "Quectel" => {
                self.session.qind_csq = cmd.ends_with(",1");
                ok(&[])
            }
            "+CPIN?" => {
                if self.faults.sim_missing {
                    Action::Reply(self.cme(10))
                } else if self.pin_tries == 0 {
                    ok(&["+CPIN: SIM PUK".into()])
                } else if self.faults.pin_required && !self.pin_ok {
                    ok(&["+CPIN: SIM PIN".into()])
                } else {
                    ok(&["+CPIN: READY".into()])
                }
            }
            _ if cmd.starts_with("+CPIN=") => {
                if self.faults.sim_missing {
                    return Action::Reply(self.cme(10));
                }
                if !self.faults.pin_required || self.pin_ok {
                    return Action::Reply(self.cme(3));
                }
                if self.pin_tries == 0 {
                    return Action::Reply(self.cme(12));
                }
                let pin = arg("+CPIN=").unwrap_or_default();
                if pin.trim_matches('"') == SIM_PIN {
                    self.pin_ok = true;
                    self.pin_tries = 3;
                    ok(&[])
                } else {
                    self.pin_tries -= 1;
                    self.counters.wrong_pins += 1;
                    Action::Reply(self.cme(16))
                }
            }
            "+CIMI" => match self.sim_usable() {
                Ok(()) => ok(&[p.imsi]),
                Err(code) => Action::Reply(self.cme(code)),
            },
            "+CCID" | "+ICCID" | "^ICCID?" | "+QCCID" => match self.sim_usable() {
                Err(code) => Action::Reply(self.cme(code)),
                Ok(()) => {
                    let family = p.manufacturer.to_ascii_lowercase();
                    match cmd {
                        "^ICCID?" if family.contains("huawei") => {
                            // Older Huawei firmware prints EF_ICCID nibble-swapped.
                            let padded = format!("{}F", p.iccid);
                            let swapped: String = padded
                                .as_bytes()
                                .chunks(2)
                                .flat_map(|c| [c.get(1).copied().unwrap_or(b'F') as char, c[0] as char])
                                .collect();
                            ok(&[format!("^ICCID: {swapped}")])
                        }
                        "+QCCID" if family.contains("quectel") => ok(&[format!("+QCCID: {}F", p.iccid)]),
                        "+CCID" => ok(&[format!("+CCID: {}", p.iccid)]),
                        _ => Action::Reply("\r\nERROR\r\n".into()),
                    }
                }
            },
            "+CSMS?" => ok(&["+CSMS: 0,1,1,1".into()]),
            "+CSMS=0" => ok(&["+CSMS: 1,1,1".into()]),
            "+CPMS=?" => {
                let all = "(\"SM\",\"ME\",\"SR\")";
                let writable = if self.faults.sr_read_only {
                    "(\"SM\",\"ME\")"
                } else {
                    all
                };
                ok(&[format!("+CPMS: {all},{writable},{writable}")])
            }
            "+CPMS?" => match self.sim_usable() {
                Err(_) => Action::Reply("\r\n+CMS ERROR: 310\r\n".into()),
                Ok(()) => {
                    let counts = self.cpms_counts();
                    let fields: Vec<String> = self
                        .session
                        .cpms
                        .iter()
                        .zip(counts)
                        .map(|(&m, (u, t))| format!("\"{}\",{u},{t}", MEMORIES[m]))
                        .collect();
                    ok(&[format!("+CPMS: {}", fields.join(","))])
                }
            },
            _ if cmd.starts_with("+CPMS=") => match self.sim_usable() {
                Err(code) => Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code)),
                Ok(()) => {
                    // TS 27.005 §3.2.2: `<mem1>[,<mem2>[,<mem3>]]`; an omitted
                    // (or empty) one keeps its setting.
                    let args = arg("+CPMS=").unwrap_or_default();
                    let given: Vec<&str> = args.split(',').map(|m| m.trim().trim_matches('"')).collect();
                    if given.len() > 3 {
                        return Action::Reply("\r\n+CMS ERROR: 302\r\n".into());
                    }
                    let mut cpms = self.session.cpms;
                    for (slot, name) in given.iter().enumerate() {
                        if name.is_empty() && slot > 0 {
                            continue;
                        }
                        let Some(m) = memory_index(name) else {
                            return Action::Reply("\r\n+CMS ERROR: 302\r\n".into());
                        };
                        if m == 2 && slot > 0 && self.faults.sr_read_only {
                            return Action::Reply("\r\n+CMS ERROR: 302\r\n".into());
                        }
                        cpms[slot] = m;
                    }
                    self.session.cpms = cpms;
                    let c = self.cpms_counts();
                    ok(&[format!(
                        "+CPMS: {},{},{},{},{},{}",
                        c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1
                    )])
                }
            },
            "+CNMI?" => {
                let c = self.session.cnmi;
                ok(&[format!("+CNMI: {},{},{},{},{}", c[0], c[1], c[2], c[3], c[4])])
            }
            "+CNMI=?" => ok(&["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)".into()]),
            _ if cmd.starts_with("+CNMI=") => {
                let values: Vec<Option<u8>> = cmd[6..].split(',').map(|v| v.trim().parse().ok()).collect();
                if values.is_empty() || values.len() > 5 || values.iter().any(Option::is_none) {
                    return Action::Reply("\r\n+CMS ERROR: 303\r\n".into());
                }
                if self.faults.direct_reports && values.get(3) == Some(&Some(2)) {
                    return Action::Reply("\r\n+CMS ERROR: 303\r\n".into());
                }
                for (i, v) in values.into_iter().enumerate() {
                    self.session.cnmi[i] = v.unwrap_or(0);
                }
                ok(&[])
            }
            "+CREG?" | "+CGREG?" | "+CEREG?" => {
                let stat = if registered { 1 } else { 0 };
                let name = &cmd[..cmd.len() - 1];
                ok(&[format!("{name}: {},{stat}", self.session.creg)])
            }
            "+CREG=0" | "+CREG=1" | "+CREG=2" => {
                self.session.creg = cmd.as_bytes()[6] - b'0';
                ok(&[])
            }
            "+COPS=3,0" | "+COPS=3,2" => {
                self.session.cops_format = cmd.as_bytes()[8] - b'0';
                ok(&[])
            }
            "+COPS?" => {
                if !registered {
                    return ok(&["+COPS: 0".into()]);
                }
                let format = if self.faults.cops_format_ignored {
                    0
                } else {
                    self.session.cops_format
                };
                let name = if format == 2 { &p.mcc_mnc } else { &p.operator };
                ok(&[format!("+COPS: 0,{format},\"{name}\",7")])
            }
            "+CSQ" => {
                let rssi = if registered { 21 } else { 99 };
                ok(&[format!("+CSQ: {rssi},99")])
            }
            "+CSCA?" => match self.sim_usable() {
                Err(code) => Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code)),
                Ok(()) => ok(&[format!("+CSCA: \"{}\",145", p.smsc)]),
            },
            _ if cmd.starts_with("+CSCA=") => ok(&[]),
            "+CNMA" => ok(&[]),
            "+CMGL=?" => ok(&["+CMGL: (0-4)".into()]),
            _ if cmd.starts_with("+CMGL") => {
                if let Err(code) = self.sim_usable() {
                    return Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code));
                }
                let filter: u8 = match arg("+CMGL=").as_deref() {
                    None | Some("") => 0,
                    Some(v) => match v.parse() {
                        Ok(v) if v <= 4 => v,
                        _ => return Action::Reply("\r\n+CMS ERROR: 302\r\n".into()),
                    },
                };
                let mut lines = Vec::new();
                let memory = self.session.cpms[0];
                for (index, m) in self.memories[memory].iter_mut() {
                    if filter == 4 || m.stat == filter {
                        let len = sms::hex::decode_hex(&m.pdu).map_or(0, |b| b.len() - smsc_field_len(&b));
                        lines.push(format!("+CMGL: {index},{},,{len}", m.stat));
                        lines.push(m.pdu.clone());
                        if m.stat == 0 {
                            m.stat = 1;
                        }
                    }
                }
                ok(&lines)
            }
            _ if cmd.starts_with("+CMGR=") => {
                if let Err(code) = self.sim_usable() {
                    return Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code));
                }
                let memory = self.session.cpms[0];
                let capacity = self.capacity(memory);
                let index: u32 = match cmd[6..].trim().parse() {
                    Ok(i) if (i as usize) < capacity => i,
                    _ => return Action::Reply("\r\n+CMS ERROR: 321\r\n".into()),
                };
                match self.memories[memory].get_mut(&index) {
                    None => ok(&[]),
                    Some(m) => {
                        let len = sms::hex::decode_hex(&m.pdu).map_or(0, |b| b.len() - smsc_field_len(&b));
                        let reply = vec![format!("+CMGR: {},,{len}", m.stat), m.pdu.clone()];
                        if m.stat == 0 {
                            m.stat = 1;
                        }
                        ok(&reply)
                    }
                }
            }
            _ if cmd.starts_with("+CMGD=") => {
                if let Err(code) = self.sim_usable() {
                    return Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code));
                }
                let mut args = cmd[6..].split(',');
                let index: Option<u32> = args.next().and_then(|v| v.trim().parse().ok());
                let flag: u8 = args.next().and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                let memory = self.session.cpms[0];
                let capacity = self.capacity(memory);
                let slots = &mut self.memories[memory];
                match (index, flag) {
                    (_, 4) => slots.clear(),
                    (_, 3) => slots.retain(|_, m| m.stat == 0),
                    (_, 2) => slots.retain(|_, m| m.stat == 0 || m.stat == 2),
                    (_, 1) => slots.retain(|_, m| m.stat != 1),
                    (Some(i), _) if (i as usize) < capacity => {
                        slots.remove(&i);
                    }
                    _ => return Action::Reply("\r\n+CMS ERROR: 321\r\n".into()),
                }
                let urcs = self.flush_network_queue();
                Action::Reply(format!("\r\nOK\r\n{urcs}"))
            }
            _ if cmd.starts_with("+CMGS=") => {
                if self.session.cmgf != 0 {
                    return Action::Reply("\r\n+CMS ERROR: 302\r\n".into());
                }
                if let Err(code) = self.sim_usable() {
                    return Action::Reply(format!("\r\n+CMS ERROR: {}\r\n", 300 + code));
                }
                match cmd[6..].trim().parse::<usize>() {
                    Ok(len) if (7..=164).contains(&len) => Action::Prompt(len),
                    _ => Action::Reply("\r\n+CMS ERROR: 304\r\n".into()),
                }
            }
            _ => Action::Reply("\r\nERROR\r\n".into()),
        }
    }
}
