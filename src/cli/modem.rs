//! `simfleet modem probe|send|inbox`: talk to one modem directly, without
//! the daemon — to find the right port, test a SIM, or read what it holds.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use thiserror::Error;

use crate::at::command::{DeleteMessage, ListMessages};
use crate::modem::connect::{BoxedIo, Connector, SerialConnector};
use crate::modem::init::{InitError, Initialised, initialise};
use crate::modem::port::AtPort;
use crate::modem::{AtError, SendError};
use crate::sms::{self, Address, SplitOptions, SubmitOptions, Tpdu, reassemble};

/// `simfleet modem` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModemCommand {
    /// List the serial ports present (from sysfs) with their USB identity
    /// and stable name, and which of them answer AT.
    List(ListArgs),
    /// Identify the modem and SIM on PORT and print them as JSON.
    Probe(ProbeArgs),
    /// Send a text through the modem on PORT.
    Send(SendArgs),
    /// List the messages stored on the SIM, concatenated ones joined.
    Inbox(InboxArgs),
}

/// The port and how to open it.
#[derive(Debug, Clone, Args)]
pub struct PortArgs {
    /// Serial port of the modem's AT interface, e.g. /dev/ttyUSB2.
    pub port: PathBuf,
    /// Baud rate (USB modems ignore it).
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// SIM PIN, entered once if the SIM asks for it.
    #[arg(long)]
    pub pin: Option<String>,
}

/// Arguments of `modem list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Do not open the ports to try `AT` (only read sysfs).
    #[arg(long)]
    pub no_probe: bool,
    /// One JSON object per port instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Milliseconds to wait for an answer to `AT`.
    #[arg(long, default_value_t = 1500)]
    pub timeout_ms: u64,
    /// Root of the file system to read (for tests and chroots).
    #[arg(long, default_value = "/", hide = true)]
    pub root: PathBuf,
    /// Also try these ports (e.g. a simulator's PTYs, which sysfs does not list).
    #[arg(long = "port")]
    pub extra: Vec<PathBuf>,
}

/// Arguments of `modem probe`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub port: PortArgs,
}

/// Arguments of `modem send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub port: PortArgs,
    /// Destination: +international or national digits.
    #[arg(long)]
    pub to: String,
    /// The text.
    #[arg(long, allow_hyphen_values = true)]
    pub text: String,
    /// Ask for a delivery report.
    #[arg(long)]
    pub status_report: bool,
    /// Seconds to wait for the network to accept each part.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

/// Arguments of `modem inbox`.
#[derive(Debug, Clone, Args)]
pub struct InboxArgs {
    #[command(flatten)]
    pub port: PortArgs,
    /// Delete the listed messages from the SIM afterwards.
    #[arg(long)]
    pub delete: bool,
}

/// Why a `modem` command failed.
#[derive(Debug, Error)]
pub enum ModemCliError {
    /// The port could not be opened.
    #[error("cannot open {port}: {source}")]
    Open {
        /// The port.
        port: String,
        /// Why.
        source: std::io::Error,
    },
    /// The modem could not be made ready.
    #[error("{0}")]
    Init(#[from] InitError),
    /// A command failed.
    #[error("{0}")]
    At(#[from] AtError),
    /// The text cannot be sent as given.
    #[error("{0}")]
    Encode(#[from] sms::EncodeError),
    /// A part was not sent.
    #[error("part {part} of {parts}: {error}{hint}")]
    Send {
        /// 1-based part number.
        part: usize,
        /// Parts in the message.
        parts: usize,
        /// What happened.
        error: SendError,
        /// Advice in words.
        hint: &'static str,
    },
}

async fn open(args: &PortArgs) -> Result<(AtPort<BoxedIo>, Initialised), ModemCliError> {
    let connector = Arc::new(SerialConnector {
        path: args.port.clone(),
        baud: args.baud,
    });
    let io = connector.connect().await.map_err(|source| ModemCliError::Open {
        port: args.port.display().to_string(),
        source,
    })?;
    let mut port = AtPort::new(io, args.port.display().to_string());
    let init = initialise(&mut port, args.pin.as_deref(), false).await?;
    Ok((port, init))
}

/// Runs `modem probe`; returns the JSON to print.
pub async fn probe(args: &ProbeArgs) -> Result<Value, ModemCliError> {
    let (_, init) = open(&args.port).await?;
    Ok(json!({
        "port": args.port.port,
        "manufacturer": init.info.manufacturer,
        "model": init.info.model,
        "revision": init.info.revision,
        "imei": init.info.imei,
        "imsi": init.info.imsi,
        "iccid": init.info.iccid,
        "operator": init.operator,
        "mcc_mnc": init.mcc_mnc,
        "registration": init.registration.as_str(),
        "signal_dbm": init.signal_dbm,
        "smsc": init.smsc,
        "storage": {"used": init.storage.used, "total": init.storage.total},
    }))
}

/// Runs `modem send`; returns the JSON to print.
pub async fn send(args: &SendArgs) -> Result<Value, ModemCliError> {
    let to = Address::parse_number(&args.to)?;
    let plan = sms::plan(&args.text, &SplitOptions::default())?;
    let options = SubmitOptions {
        status_report: args.status_report,
        ..SubmitOptions::default()
    };
    let pdus = sms::encode_submit(&to, &plan, &options, rand::random())?;
    let (mut port, _) = open(&args.port).await?;
    let mut parts = Vec::new();
    let n = pdus.len();
    for (i, pdu) in pdus.iter().enumerate() {
        match port.send_pdu(pdu, Duration::from_secs(args.timeout)).await {
            Ok(mr) => parts.push(json!({"message_ref": mr})),
            Err(error) => {
                let hint = match &error {
                    SendError::Ambiguous { .. } => {
                        " — it may still have been delivered, so it was not sent again"
                    }
                    SendError::NotSent { .. } if i > 0 => " — earlier parts were sent",
                    SendError::NotSent { .. } => "",
                };
                return Err(ModemCliError::Send {
                    part: i + 1,
                    parts: n,
                    error,
                    hint,
                });
            }
        }
    }
    Ok(json!({"parts": parts}))
}

/// Runs `modem inbox`; returns one JSON value per message.
pub async fn inbox(args: &InboxArgs) -> Result<Vec<Value>, ModemCliError> {
    let (mut port, init) = open(&args.port).await?;
    let stored = port.exec(&ListMessages).await?;
    let mut out = Vec::new();
    let mut parts = Vec::new();
    let mut decoded = Vec::new();
    for s in &stored {
        match sms::decode_hex_pdu(&s.pdu) {
            Ok(pdu) => decoded.push((s.index, pdu)),
            Err(e) => out.push(json!({"index": [s.index], "error": e.to_string(), "pdu": s.pdu})),
        }
    }
    let mut reports = Vec::new();
    for (index, pdu) in &decoded {
        match &pdu.tpdu {
            Tpdu::Deliver(d) => parts.push((
                *index,
                d.timestamp,
                reassemble::Part::of(d, d.sender.to_string()),
            )),
            Tpdu::StatusReport(r) => reports.push(json!({
                "index": [index],
                "type": "status-report",
                "recipient": r.recipient.to_string(),
                "message_ref": r.message_ref,
                "status": {"code": r.status.code, "category": r.status.category.as_str(), "description": r.status.description()},
                "discharge_time": r.discharge_time.map(|t| t.to_rfc3339()),
            })),
            Tpdu::Submit(s) => reports.push(json!({
                "index": [index],
                "type": "submit",
                "recipient": s.recipient.to_string(),
                "text": s.user_data.content.text(),
            })),
        }
    }
    let only: Vec<reassemble::Part> = parts.iter().map(|p| p.2.clone()).collect();
    for j in reassemble::join(&only) {
        let first = &parts[j.parts[0]];
        out.push(json!({
            "index": j.parts.iter().map(|&i| parts[i].0).collect::<Vec<_>>(),
            "type": "deliver",
            "from": j.sender,
            "text": j.text,
            "data_hex": j.data.map(|d| sms::hex::encode_hex(&d)),
            "timestamp": first.1.map(|t| t.to_rfc3339()),
            "parts": j.parts.len(),
            "total": j.total,
            "complete": j.complete,
        }));
    }
    out.extend(reports);
    if args.delete {
        for s in &stored {
            port.exec(&DeleteMessage(s.index)).await?;
        }
    }
    let _ = init;
    Ok(out)
}

/// What trying `AT` on a port found.
async fn answers_at(path: &std::path::Path, timeout: Duration) -> (Option<bool>, String) {
    let connector = SerialConnector {
        path: path.to_path_buf(),
        baud: 115_200,
    };
    let io = match tokio::time::timeout(timeout, connector.connect()).await {
        Err(_) => return (None, "opening it timed out".into()),
        Ok(Err(e)) if matches!(e.raw_os_error(), Some(nix::libc::EBUSY | nix::libc::EWOULDBLOCK)) => {
            return (
                None,
                "busy: open in another program (the gateway? ModemManager?)".into(),
            );
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return (
                None,
                "permission denied: join group dialout, or run as root".into(),
            );
        }
        Ok(Err(e)) => return (None, format!("cannot open: {e}")),
        Ok(Ok(io)) => io,
    };
    let mut port = AtPort::new(io, path.display().to_string());
    // A first AT may meet leftovers of an earlier session; one retry.
    for _ in 0..2 {
        match port.exec_for(&crate::at::command::Attention, timeout).await {
            Ok(_) => return (Some(true), "answers AT".into()),
            Err(AtError::Timeout { .. }) => break,
            Err(_) => continue,
        }
    }
    (
        Some(false),
        "no answer to AT (not the AT interface, or the modem is off)".into(),
    )
}

/// Runs `modem list`; one JSON object per port.
pub async fn list(args: &ListArgs) -> Vec<Value> {
    let mut ports = crate::modem::sysfs::serial_ports(&args.root);
    for extra in &args.extra {
        if !ports.iter().any(|p| &p.port == extra) {
            ports.push(crate::modem::sysfs::SerialPort {
                port: extra.clone(),
                bus: "other".into(),
                ..Default::default()
            });
        }
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    let probes = ports.iter().map(|p| {
        let path = p.port.clone();
        let probe = !args.no_probe;
        async move {
            if probe {
                answers_at(&path, timeout).await
            } else {
                (None, "not tried".to_string())
            }
        }
    });
    let results = futures_join_all(probes).await;
    ports
        .into_iter()
        .zip(results)
        .map(|(p, (at, note))| {
            let mut v = serde_json::to_value(&p).unwrap_or_default();
            v["answers_at"] = json!(at);
            v["note"] = json!(note);
            v
        })
        .collect()
}

/// Runs futures concurrently, results in order.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        match h.await {
            Ok(v) => out.push(v),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out
}

/// `modem list` as a table for people.
pub fn list_table(ports: &[Value]) -> String {
    if ports.is_empty() {
        return "No serial ports found. Is the modem plugged in? A stick that shows up as a CD-ROM or \
                storage needs usb_modeswitch (see docs/install.md).\n"
            .into();
    }
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let mut rows = vec![[
        "PORT".to_string(),
        "STABLE NAME".into(),
        "USB ID".into(),
        "IF".into(),
        "PRODUCT".into(),
        "SERIAL".into(),
        "AT".into(),
    ]];
    for p in ports {
        let id = match (p["vendor_id"].as_str(), p["product_id"].as_str()) {
            (Some(v), Some(pr)) => format!("{v}:{pr}"),
            _ => s(&p["bus"]),
        };
        let stable = p["stable"]
            .as_array()
            .and_then(|a| a.first())
            .map(s)
            .unwrap_or_else(|| "-".into());
        let product = [s(&p["manufacturer"]), s(&p["product"])]
            .into_iter()
            .filter(|x| x != "-")
            .collect::<Vec<_>>()
            .join(" ");
        let at = match p["answers_at"].as_bool() {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => s(&p["note"]),
        };
        rows.push([
            s(&p["port"]),
            stable,
            id,
            s(&p["interface"]),
            if product.is_empty() { "-".into() } else { product },
            s(&p["serial"]),
            at,
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == 6 {
                    cell.clone()
                } else {
                    format!("{cell}{}", " ".repeat(widths[i] - cell.chars().count()))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(
        "\nUse a port that answers AT (its stable name if it has one) as [[modem]] port in the config.\n",
    );
    out
}
