//! Incoming calls through the modem driver against the simulated modem, in
//! process: one event per burst of rings, rejected with `AT+CHUP` (or
//! `ATH` where `AT+CHUP` is refused), left ringing until the caller gives
//! up, without caller id where `AT+CLIP=1` is refused, withheld callers;
//! the SIM's own number from `AT+CNUM` or the configuration.

use std::sync::Arc;
use std::time::Duration;

use simfleet::modem::{
    self, CallAction, CallEnd, CallEvent, ModemConfig, ModemHandle, ModemState, actor::wait_for,
};
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{CallRecord, Faults, Ledger, SimModem};
use simfleet::sim::profile::SimProfile;
use tokio::sync::mpsc;

struct Rig {
    sim: Arc<SimModem>,
    handle: ModemHandle,
    calls: mpsc::Receiver<CallEvent>,
}

fn rig(faults: Faults, action: CallAction, number: Option<&str>) -> Rig {
    let sim = Arc::new(SimModem::new(
        2,
        SimProfile::for_index(2),
        Duration::from_millis(5),
        Arc::new(Ledger::default()),
    ));
    sim.set_faults(Faults {
        noise: false,
        ..faults
    });
    let (tx, calls) = mpsc::channel(8);
    let handle = modem::spawn(
        InProcessConnector::new(sim.clone()),
        ModemConfig {
            backoff: (Duration::from_millis(50), Duration::from_millis(200)),
            call_action: action,
            calls: Some(tx),
            number: number.map(str::to_string),
            ..ModemConfig::default()
        },
        None,
    );
    Rig { sim, handle, calls }
}

async fn ready(h: &ModemHandle) {
    let ok = wait_for(h, Duration::from_secs(10), |s| s.state == ModemState::Ready).await;
    assert!(ok, "modem not ready: {:?}", h.status());
}

async fn next_call(rx: &mut mpsc::Receiver<CallEvent>, within: Duration) -> CallEvent {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("no call event in time")
        .expect("channel closed")
}

async fn ended(sim: &SimModem, within: Duration) -> CallRecord {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(c) = sim.calls().last().filter(|c| c.ended_at.is_some()) {
            return c.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "call not over: {:?}",
            sim.calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_call_is_rejected_with_chup_once_the_caller_is_known_and_reported_once() {
    let mut r = rig(Faults::default(), CallAction::Reject, None);
    ready(&r.handle).await;
    r.sim
        .incoming_call(Some("+79161234567"), 5, Duration::from_millis(300))
        .unwrap();
    let e = next_call(&mut r.calls, Duration::from_secs(5)).await;
    assert_eq!(e.caller.as_deref(), Some("+79161234567"));
    assert_eq!(e.end, CallEnd::Rejected);
    assert_eq!(e.imsi.as_deref(), Some(SimProfile::for_index(2).imsi.as_str()));
    let c = ended(&r.sim, Duration::from_secs(2)).await;
    assert_eq!(c.outcome, "hung_up");
    assert_eq!(c.hangup_command.as_deref(), Some("AT+CHUP"));
    assert!(c.rings <= 2, "rejected at the first ring: {c:?}");
    // One event per call: nothing more comes.
    assert!(
        tokio::time::timeout(Duration::from_millis(800), r.calls.recv())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_modem_refusing_chup_is_hung_up_with_ath() {
    let mut r = rig(
        Faults {
            no_chup: true,
            ..Faults::default()
        },
        CallAction::Reject,
        None,
    );
    ready(&r.handle).await;
    r.sim
        .incoming_call(Some("+79161234567"), 5, Duration::from_millis(300))
        .unwrap();
    let e = next_call(&mut r.calls, Duration::from_secs(5)).await;
    assert_eq!(e.end, CallEnd::Rejected);
    let c = ended(&r.sim, Duration::from_secs(2)).await;
    assert_eq!(c.hangup_command.as_deref(), Some("ATH"));
}

#[tokio::test]
async fn a_ringing_call_ends_when_the_caller_gives_up_as_one_event() {
    let mut r = rig(Faults::default(), CallAction::Ring, None);
    ready(&r.handle).await;
    r.sim
        .incoming_call(Some("+79161234567"), 3, Duration::from_millis(200))
        .unwrap();
    let e = next_call(&mut r.calls, Duration::from_secs(5)).await;
    assert_eq!(e.end, CallEnd::CallerHungUp);
    assert_eq!(e.rings, 3);
    assert_eq!(e.caller.as_deref(), Some("+79161234567"));
    let c = ended(&r.sim, Duration::from_secs(1)).await;
    assert_eq!((c.outcome.as_str(), c.hangup_command), ("caller_gave_up", None));
}

#[tokio::test]
async fn without_caller_id_or_with_a_withheld_number_the_call_has_no_caller() {
    let mut r = rig(
        Faults {
            no_caller_id: true,
            ..Faults::default()
        },
        CallAction::Reject,
        None,
    );
    ready(&r.handle).await;
    r.sim
        .incoming_call(Some("+79161234567"), 5, Duration::from_millis(300))
        .unwrap();
    let e = next_call(&mut r.calls, Duration::from_secs(5)).await;
    assert_eq!((e.caller, e.end), (None, CallEnd::Rejected));
    assert!(!ended(&r.sim, Duration::from_secs(2)).await.caller_id_shown);

    let mut r = rig(Faults::default(), CallAction::Reject, None);
    ready(&r.handle).await;
    r.sim.incoming_call(None, 5, Duration::from_millis(300)).unwrap();
    let e = next_call(&mut r.calls, Duration::from_secs(5)).await;
    assert_eq!((e.caller, e.end), (None, CallEnd::Rejected));
}

#[tokio::test]
async fn the_sims_number_comes_from_cnum_or_the_configuration() {
    let r = rig(Faults::default(), CallAction::Reject, None);
    ready(&r.handle).await;
    let number = r.handle.status().info.and_then(|i| i.number);
    assert_eq!(number, Some(SimProfile::for_index(2).msisdn));

    let r = rig(
        Faults {
            no_own_number: true,
            ..Faults::default()
        },
        CallAction::Reject,
        None,
    );
    ready(&r.handle).await;
    assert_eq!(r.handle.status().info.and_then(|i| i.number), None);

    let r = rig(
        Faults {
            no_own_number: true,
            ..Faults::default()
        },
        CallAction::Reject,
        Some("+79260000001"),
    );
    ready(&r.handle).await;
    assert_eq!(
        r.handle.status().info.and_then(|i| i.number).as_deref(),
        Some("+79260000001")
    );
}

/// The simulator's side alone, line by line: what a real modem prints.
mod simulator_lines {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    fn sim(faults: Faults) -> (Arc<SimModem>, DuplexStream, tokio::sync::watch::Sender<bool>) {
        let sim = Arc::new(SimModem::new(
            0,
            SimProfile::for_index(0),
            Duration::from_millis(5),
            Arc::new(Ledger::default()),
        ));
        sim.set_faults(Faults {
            noise: false,
            ..faults
        });
        let (ours, theirs) = tokio::io::duplex(4096);
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(sim.clone().serve(theirs, stop_rx));
        (sim, ours, stop)
    }

    /// Reads until `until` appears (or 3 s pass); returns what was read.
    async fn read_until(io: &mut DuplexStream, until: &str) -> String {
        let mut out = String::new();
        let mut buf = [0u8; 512];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while !out.contains(until) {
            match tokio::time::timeout_at(deadline, io.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => out.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => break,
            }
        }
        out
    }

    async fn command(io: &mut DuplexStream, text: &str) -> String {
        io.write_all(format!("{text}\r").as_bytes()).await.unwrap();
        read_until(io, "OK\r\n").await
    }

    #[tokio::test]
    async fn rings_with_clip_until_the_caller_gives_up_with_no_carrier() {
        let (sim, mut io, _stop) = sim(Faults::default());
        assert!(command(&mut io, "ATE0").await.contains("OK"));
        assert!(command(&mut io, "AT+CLIP=1").await.contains("OK"));
        sim.incoming_call(Some("+79161234567"), 2, Duration::from_millis(100))
            .unwrap();
        let lines = read_until(&mut io, "NO CARRIER").await;
        assert_eq!(lines.matches("RING").count(), 2, "{lines:?}");
        assert_eq!(
            lines.matches("+CLIP: \"+79161234567\",145,,,,0").count(),
            2,
            "{lines:?}"
        );
        let c = &sim.calls()[0];
        assert_eq!(
            (c.outcome.as_str(), c.rings, c.caller_id_shown),
            ("caller_gave_up", 2, true)
        );
        // Another call may come now; none while one rings.
        sim.incoming_call(None, 3, Duration::from_millis(500)).unwrap();
        assert!(sim.incoming_call(None, 3, Duration::from_millis(500)).is_err());
        let lines = read_until(&mut io, "+CLIP").await + &read_until(&mut io, "\r\n").await;
        assert!(lines.contains("+CLIP: \"\",128,,,,1"), "withheld: {lines:?}");
    }

    #[tokio::test]
    async fn a_hang_up_ends_the_call_and_nothing_more_is_written() {
        let (sim, mut io, _stop) = sim(Faults::default());
        assert!(command(&mut io, "ATE0").await.contains("OK"));
        sim.incoming_call(Some("+79161234567"), 5, Duration::from_millis(150))
            .unwrap();
        let first = read_until(&mut io, "RING").await;
        assert!(!first.contains("+CLIP"), "no +CLIP without AT+CLIP=1: {first:?}");
        assert!(command(&mut io, "ATH").await.contains("OK"));
        let after = read_until(&mut io, "RING").await;
        assert!(
            after.is_empty() || !after.contains("RING"),
            "rang after ATH: {after:?}"
        );
        let c = &sim.calls()[0];
        assert_eq!(
            (c.outcome.as_str(), c.hangup_command.as_deref()),
            ("hung_up", Some("ATH"))
        );
        assert!(c.ended_at.is_some());
    }

    #[tokio::test]
    async fn a_modem_without_caller_id_refuses_clip_and_a_sim_without_its_number_answers_cnum_empty() {
        let (_sim, mut io, _stop) = sim(Faults {
            no_caller_id: true,
            no_own_number: true,
            no_chup: true,
            ..Faults::default()
        });
        assert!(command(&mut io, "ATE0").await.contains("OK"));
        io.write_all(b"AT+CLIP=1\r").await.unwrap();
        assert!(read_until(&mut io, "ERROR").await.contains("ERROR"));
        io.write_all(b"AT+CHUP\r").await.unwrap();
        assert!(read_until(&mut io, "ERROR").await.contains("ERROR"));
        let cnum = command(&mut io, "AT+CNUM").await;
        assert!(!cnum.contains("+CNUM"), "{cnum:?}");
        let (_sim, mut io, _stop) = sim(Faults::default());
        assert!(command(&mut io, "ATE0").await.contains("OK"));
        let cnum = command(&mut io, "AT+CNUM").await;
        assert!(
            cnum.contains(&format!(
                "+CNUM: \"\",\"{}\",145",
                SimProfile::for_index(0).msisdn
            )),
            "{cnum:?}"
        );
    }
}

#[tokio::test]
async fn rapid_successive_calls_from_different_numbers_are_all_recorded() {
    let mut r = rig(Faults::default(), CallAction::Reject, None);
    ready(&r.handle).await;
    let callers: Vec<String> = (0..8).map(|i| format!("+7916555{i:04}")).collect();
    for c in &callers {
        // Each call rings twice 100 ms apart; the next follows 0.6 s later,
        // well inside the grace after the last hang-up.
        let mut tries = 0;
        while r
            .sim
            .incoming_call(Some(c), 2, Duration::from_millis(100))
            .is_err()
        {
            tries += 1;
            assert!(tries < 50, "the simulator's previous call never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let mut seen = Vec::new();
    while seen.len() < callers.len() {
        let e = tokio::time::timeout(Duration::from_secs(3), r.calls.recv()).await;
        match e {
            Ok(Some(e)) => seen.push(e),
            _ => break,
        }
    }
    let got: Vec<_> = seen
        .iter()
        .map(|e| e.caller.clone().unwrap_or_default())
        .collect();
    assert_eq!(got, callers, "every call recorded once, in order");
    assert!(
        seen.iter().all(|e| e.end == CallEnd::Rejected && e.rings == 1),
        "{seen:?}"
    );
}

#[tokio::test]
async fn calls_left_ringing_back_to_back_are_separate_calls() {
    let mut r = rig(Faults::default(), CallAction::Ring, None);
    ready(&r.handle).await;
    for i in 0..4 {
        let from = format!("+7916666{i:04}");
        r.sim
            .incoming_call(Some(&from), 2, Duration::from_millis(100))
            .unwrap();
        // NO CARRIER ends it at once: reported well before SILENT_END.
        let e = next_call(&mut r.calls, Duration::from_secs(2)).await;
        assert_eq!(
            (e.caller.as_deref(), e.rings, e.end),
            (Some(from.as_str()), 2, CallEnd::CallerHungUp)
        );
        ended(&r.sim, Duration::from_secs(1)).await;
    }
}
