//! Tests against a real modem. They always compile; they run only with
//! `--ignored` and a port in the environment:
//!
//! ```sh
//! SIMFLEET_HW_PORT=/dev/ttyUSB2 [SIMFLEET_HW_PIN=1234] [SIMFLEET_HW_TO=+447700900123] \
//!     cargo test --test hw -- --ignored --nocapture --test-threads=1
//! ```
//!
//! See hw-tests/README.md for the runbook.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use simfleet::modem::connect::Connector;
use simfleet::modem::init::initialise;
use simfleet::modem::port::AtPort;
use simfleet::modem::{self, ModemConfig, ModemState, SerialConnector, actor::wait_for};
use simfleet::sms::{self, Address, SplitOptions, SubmitOptions, Tpdu};
use tokio::sync::mpsc;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn port() -> Option<PathBuf> {
    let port = env("SIMFLEET_HW_PORT").map(PathBuf::from);
    if port.is_none() {
        eprintln!("skipped: set SIMFLEET_HW_PORT=/dev/ttyUSBn to run the hardware tests");
    }
    port
}

fn connector(port: PathBuf) -> Arc<SerialConnector> {
    let baud = env("SIMFLEET_HW_BAUD")
        .and_then(|b| b.parse().ok())
        .unwrap_or(115_200);
    Arc::new(SerialConnector { path: port, baud })
}

#[tokio::test]
#[ignore = "needs a modem: SIMFLEET_HW_PORT"]
async fn hw_probe() {
    let Some(port) = port() else { return };
    let io = connector(port.clone()).connect().await.expect("open port");
    let mut at = AtPort::new(io, port.display().to_string());
    let init = initialise(&mut at, env("SIMFLEET_HW_PIN").as_deref(), false)
        .await
        .expect("modem initialises");
    eprintln!("{init:#?}");
    assert!(!init.info.imei.is_empty());
    assert!(
        init.info.imsi.is_some(),
        "no IMSI: is a SIM inserted and unlocked?"
    );
    assert!(
        init.registration.is_registered(),
        "not registered: {:?}",
        init.registration
    );
    assert!(init.storage.total > 0);
}

#[tokio::test]
#[ignore = "needs a modem and a phone: SIMFLEET_HW_PORT, SIMFLEET_HW_TO"]
async fn hw_send_report_and_reply() {
    let Some(port) = port() else { return };
    let Some(to) = env("SIMFLEET_HW_TO") else {
        eprintln!("skipped: set SIMFLEET_HW_TO=+<your phone> to test sending and receiving");
        return;
    };
    let wait = Duration::from_secs(
        env("SIMFLEET_HW_WAIT_SECS")
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );
    let (tx, mut rx) = mpsc::channel(16);
    let config = ModemConfig {
        pin: env("SIMFLEET_HW_PIN"),
        ..ModemConfig::default()
    };
    let handle = modem::spawn(connector(port), config, Some(tx));
    assert!(
        wait_for(&handle, Duration::from_secs(90), |s| s.state == ModemState::Ready).await,
        "modem not ready: {:?}",
        handle.status()
    );
    let status = handle.status();
    let own = status
        .info
        .as_ref()
        .and_then(|i| i.imsi.clone())
        .unwrap_or_default();

    let text = format!("simfleet hardware test (SIM {own}). Reply to this message with any text. Ünïcödé ✓");
    let plan = sms::plan(&text, &SplitOptions::default()).unwrap();
    let opts = SubmitOptions {
        status_report: true,
        ..SubmitOptions::default()
    };
    let recipient = Address::parse_number(&to).expect("SIMFLEET_HW_TO is a number");
    let mut refs = Vec::new();
    for pdu in sms::encode_submit(&recipient, &plan, &opts, rand::random()).unwrap() {
        refs.push(handle.send(pdu).await.expect("the network accepts the message"));
    }
    eprintln!(
        "sent, message refs {refs:?}; waiting up to {wait:?} for a status report and a reply from {to}"
    );

    let (mut report, mut reply) = (false, false);
    let deadline = tokio::time::Instant::now() + wait;
    while !(report && reply) {
        let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        let decoded = sms::decode_hex_pdu(&m.pdu);
        let _ = m.ack.send(());
        match decoded.map(|p| p.tpdu) {
            Ok(Tpdu::StatusReport(r)) if refs.contains(&r.message_ref) => {
                eprintln!(
                    "status report: {} ({:#04x})",
                    r.status.description(),
                    r.status.code
                );
                report = true;
            }
            Ok(Tpdu::Deliver(d)) => {
                eprintln!("received from {}: {:?}", d.sender, d.user_data.content.text());
                reply |= d
                    .sender
                    .to_string()
                    .ends_with(to.trim_start_matches('+').trim_start_matches('0'));
            }
            other => eprintln!("other inbound: {other:?}"),
        }
    }
    assert!(
        report,
        "no status report within {wait:?} (some networks never send them)"
    );
    assert!(reply, "no reply from {to} within {wait:?}");
}
