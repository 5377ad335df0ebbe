//! The modem driver against the simulated modem, in process: init across
//! vendor profiles, sends and their failure kinds, SIM and PIN states,
//! inbound delivery with acknowledgement, full storage, unplug and hang;
//! stored messages and reports found in every memory whatever happened to
//! their notification, and stored outgoing messages left alone.

use std::sync::Arc;
use std::time::Duration;

use simfleet::at::SendFailure;
use simfleet::modem::{self, Inbound, ModemConfig, ModemHandle, ModemState, SendError, actor::wait_for};
use simfleet::sim::in_process::InProcessConnector;
use simfleet::sim::modem::{Faults, Ledger, SimModem};
use simfleet::sim::profile::SimProfile;
use simfleet::sms::{self, Address, SplitOptions, SubmitOptions, Tpdu};
use tokio::sync::mpsc;

struct Rig {
    sim: Arc<SimModem>,
    ledger: Arc<Ledger>,
    connector: Arc<InProcessConnector>,
    handle: ModemHandle,
}

fn config() -> ModemConfig {
    ModemConfig {
        pin: None,
        send_timeout: Duration::from_millis(800),
        health_interval: Duration::from_millis(300),
        storage_check: Duration::from_millis(300),
        quiet_probe: Duration::from_millis(500),
        backoff: (Duration::from_millis(50), Duration::from_millis(200)),
        ack_timeout: Duration::from_secs(2),
        ..ModemConfig::default()
    }
}

fn rig_with(
    index: usize,
    faults: Faults,
    config: ModemConfig,
    inbound: Option<mpsc::Sender<Inbound>>,
) -> Rig {
    let ledger = Arc::new(Ledger::default());
    let sim = Arc::new(SimModem::new(
        index,
        SimProfile::for_index(index),
        Duration::from_millis(5),
        ledger.clone(),
    ));
    sim.set_faults(Faults {
        noise: false,
        report_delay_ms: 20,
        ..faults
    });
    let connector = InProcessConnector::new(sim.clone());
    let handle = modem::spawn(connector.clone(), config, inbound);
    Rig {
        sim,
        ledger,
        connector,
        handle,
    }
}

fn rig(index: usize) -> Rig {
    rig_with(index, Faults::default(), config(), None)
}

async fn ready(h: &ModemHandle) {
    let ok = wait_for(h, Duration::from_secs(10), |s| s.state == ModemState::Ready).await;
    assert!(ok, "modem not ready: {:?}", h.status());
}

fn pdus(to: &str, text: &str, report: bool) -> Vec<sms::EncodedPdu> {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    let opts = SubmitOptions {
        status_report: report,
        ..Default::default()
    };
    sms::encode_submit(&Address::parse_number(to).unwrap(), &plan, &opts, 7).unwrap()
}

#[tokio::test]
async fn init_reads_identity_across_vendor_profiles() {
    for index in 0..4 {
        let r = rig(index);
        ready(&r.handle).await;
        let st = r.handle.status();
        let info = st.info.unwrap();
        let p = SimProfile::for_index(index);
        assert_eq!(info.imei, p.imei, "{}", p.manufacturer);
        assert_eq!(info.imsi.as_deref(), Some(p.imsi.as_str()));
        // Huawei's swapped ^ICCID and Quectel's trailing F both normalise.
        assert_eq!(
            info.iccid.as_deref(),
            Some(p.iccid.as_str()),
            "{}",
            p.manufacturer
        );
        assert_eq!(st.operator.as_deref(), Some(p.operator.as_str()));
        assert_eq!(st.mcc_mnc.as_deref(), Some(p.mcc_mnc.as_str()));
        assert_eq!(st.smsc.as_deref(), Some(p.smsc.as_str()));
        assert_eq!(st.signal_dbm, Some(-71));
    }
}

#[tokio::test]
async fn send_all_parts_in_order_reach_the_network() {
    let r = rig(0);
    ready(&r.handle).await;
    let parts = pdus("+79161234567", &"Длинное сообщение. ".repeat(8), false);
    assert_eq!(parts.len(), 3);
    let mut refs = Vec::new();
    for p in parts {
        refs.push(r.handle.send(p).await.unwrap());
    }
    assert_eq!(refs, [0, 1, 2]);
    let ledger = r.ledger.entries();
    assert_eq!(ledger.len(), 3);
    let seqs: Vec<u8> = ledger.iter().map(|e| e.concat.unwrap().2).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(ledger.iter().all(|e| e.recipient == "+79161234567"));
    let text: String = ledger.iter().map(|e| e.text.clone().unwrap()).collect();
    assert_eq!(text, "Длинное сообщение. ".repeat(8));
}

#[tokio::test]
async fn cms_errors_are_not_sent_with_their_category() {
    let r = rig_with(
        1,
        Faults {
            cms_error_rate: 1.0,
            cms_error_code: 42,
            ..Faults::default()
        },
        config(),
        None,
    );
    ready(&r.handle).await;
    let err = r
        .handle
        .send(pdus("+1555", "hi", false).remove(0))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SendError::NotSent {
            failure: SendFailure::RetryElsewhere,
            reason: "+CMS ERROR 42: congestion".into()
        }
    );
    r.sim.set_faults(Faults {
        noise: false,
        cms_error_rate: 1.0,
        cms_error_code: 1,
        ..Faults::default()
    });
    let err = r
        .handle
        .send(pdus("+1555", "hi", false).remove(0))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::NotSent {
                failure: SendFailure::Permanent,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(r.ledger.entries().is_empty());
    // The failure is visible on the modem's status.
    assert!(r.handle.status().last_error.unwrap().contains("unassigned"));
}

#[tokio::test]
async fn operator_limit_refusal_is_left_for_a_second_sim_to_judge() {
    let r = rig_with(
        2,
        Faults {
            limit_after: Some(2),
            ..Faults::default()
        },
        config(),
        None,
    );
    ready(&r.handle).await;
    for _ in 0..2 {
        r.handle.send(pdus("+1555", "ok", false).remove(0)).await.unwrap();
    }
    let err = r
        .handle
        .send(pdus("+1555", "no", false).remove(0))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::NotSent {
                failure: SendFailure::RecipientOrSim,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(r.ledger.entries().len(), 2);
}

#[tokio::test]
async fn silence_after_the_pdu_is_ambiguous_not_retried() {
    let r = rig_with(
        3,
        Faults {
            hang_after_pdu: true,
            ..Faults::default()
        },
        config(),
        None,
    );
    ready(&r.handle).await;
    let err = r
        .handle
        .send(pdus("+1555", "maybe", false).remove(0))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Ambiguous { .. }), "{err:?}");
    // It did reach the network: exactly once, and the driver did not resend.
    assert_eq!(r.ledger.entries().len(), 1);
    // The line was resynchronised: the next send works.
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    r.handle
        .send(pdus("+1555", "next", false).remove(0))
        .await
        .unwrap();
    assert_eq!(r.ledger.entries().len(), 2);
}

#[tokio::test]
async fn sim_and_registration_states() {
    let r = rig_with(
        0,
        Faults {
            sim_missing: true,
            ..Faults::default()
        },
        config(),
        None,
    );
    assert!(
        wait_for(&r.handle, Duration::from_secs(10), |s| s.state
            == ModemState::NoSim)
        .await
    );
    let err = r
        .handle
        .send(pdus("+1555", "x", false).remove(0))
        .await
        .unwrap_err();
    assert!(err.is_not_sent());

    let r = rig_with(
        0,
        Faults {
            pin_required: true,
            ..Faults::default()
        },
        config(),
        None,
    );
    assert!(
        wait_for(&r.handle, Duration::from_secs(10), |s| s.state
            == ModemState::PinRequired)
        .await
    );

    let r = rig_with(
        0,
        Faults {
            pin_required: true,
            ..Faults::default()
        },
        ModemConfig {
            pin: Some("1234".into()),
            ..config()
        },
        None,
    );
    ready(&r.handle).await;

    let r = rig_with(
        0,
        Faults {
            not_registered: true,
            ..Faults::default()
        },
        config(),
        None,
    );
    assert!(
        wait_for(&r.handle, Duration::from_secs(10), |s| s.state
            == ModemState::NotRegistered)
        .await
    );
    let err = r
        .handle
        .send(pdus("+1555", "x", false).remove(0))
        .await
        .unwrap_err();
    assert!(err.is_not_sent());
    // Registration comes back: the health check notices.
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    ready(&r.handle).await;
}

#[tokio::test]
async fn rejected_pin_is_never_tried_again() {
    let r = rig_with(
        0,
        Faults {
            pin_required: true,
            ..Faults::default()
        },
        ModemConfig {
            pin: Some("0000".into()),
            ..config()
        },
        None,
    );
    assert!(
        wait_for(&r.handle, Duration::from_secs(10), |s| s.state
            == ModemState::Failed)
        .await
    );
    let st = r.handle.status();
    assert!(
        st.last_error.unwrap().contains("PIN rejected"),
        "{:?}",
        r.handle.status()
    );
    // Several reconnect rounds later, still exactly one wrong try was spent:
    // two are left, so a phone can still unlock the SIM without its PUK.
    let commands = r.sim.counters().commands;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        r.sim.counters().commands > commands,
        "the driver stopped reconnecting"
    );
    assert_eq!(r.sim.counters().wrong_pins, 1);
    assert_eq!(r.handle.status().state, ModemState::Failed);
}

#[tokio::test]
async fn inbound_is_deleted_only_after_the_consumer_confirms() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(0, Faults::default(), config(), Some(tx));
    ready(&r.handle).await;
    let parts = r
        .sim
        .deliver_text("+79990001122", &"Ответ из деревни. ".repeat(6), true, false)
        .unwrap();
    assert_eq!(parts, 2);
    let mut texts = Vec::new();
    for _ in 0..2 {
        let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        let Tpdu::Deliver(d) = sms::decode_hex_pdu(&m.pdu).unwrap().tpdu else {
            panic!()
        };
        assert_eq!(d.sender.to_string(), "+79990001122");
        texts.push((
            d.user_data.header.unwrap().concat.unwrap().seq,
            d.user_data.content.text().unwrap(),
        ));
        // Not yet confirmed: still on the SIM.
        assert_eq!(r.sim.stored().len(), 3 - texts.len());
        m.ack.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reverse order on arrival, both parts present.
    texts.sort();
    assert_eq!(
        texts.into_iter().map(|t| t.1).collect::<String>(),
        "Ответ из деревни. ".repeat(6)
    );
    assert!(r.sim.stored().is_empty());
}

#[tokio::test]
async fn unconfirmed_inbound_stays_on_the_sim_and_comes_again() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        1,
        Faults::default(),
        ModemConfig {
            ack_timeout: Duration::from_millis(200),
            ..config()
        },
        Some(tx),
    );
    ready(&r.handle).await;
    r.sim.deliver_text("+15550001", "hello", false, false).unwrap();
    let m = rx.recv().await.unwrap();
    drop(m.ack); // consumer crashed before storing
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(r.sim.stored().len(), 1);
    // The storage check finds it again (more stored than known).
    let again = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.pdu, m.pdu);
    drop(again.ack);
    // After a reconnect the stored message is offered again and then deleted.
    r.connector.unplug();
    assert!(
        wait_for(&r.handle, Duration::from_secs(5), |s| s.state
            == ModemState::Disconnected)
        .await
    );
    while rx.try_recv().is_ok() {}
    r.connector.replug();
    loop {
        let again = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.pdu, m.pdu);
        // An offer still in the channel may have timed out already.
        if again.ack.send(()).is_ok() {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(r.sim.stored().is_empty());
}

#[tokio::test]
async fn full_storage_is_drained_and_nothing_is_lost() {
    let (tx, mut rx) = mpsc::channel(64);
    // Messages arrive while nobody listens: 40 for a SIM that holds 30.
    let r = rig_with(2, Faults::default(), config(), Some(tx));
    r.connector.unplug();
    for i in 0..40 {
        r.sim
            .deliver_text("+15550002", &format!("msg {i}"), false, false)
            .unwrap();
    }
    assert_eq!(r.sim.stored().len(), 30);
    assert_eq!(r.sim.queued_at_network(), 10);
    r.connector.replug();
    let mut got = Vec::new();
    while got.len() < 40 {
        let m = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("lost messages")
            .unwrap();
        let Tpdu::Deliver(d) = sms::decode_hex_pdu(&m.pdu).unwrap().tpdu else {
            panic!()
        };
        got.push(d.user_data.content.text().unwrap());
        m.ack.send(()).unwrap();
    }
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 40);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(r.sim.stored().is_empty());
    assert_eq!(r.sim.queued_at_network(), 0);
}

#[tokio::test]
async fn status_reports_arrive_as_inbound() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(3, Faults::default(), config(), Some(tx));
    ready(&r.handle).await;
    let mr = r
        .handle
        .send(pdus("+447700900123", "report me", true).remove(0))
        .await
        .unwrap();
    let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let pdu = sms::decode_hex_pdu(&m.pdu).unwrap();
    let Tpdu::StatusReport(report) = pdu.tpdu else {
        panic!("{pdu:?}")
    };
    assert_eq!(report.message_ref, mr);
    assert_eq!(report.recipient.to_string(), "+447700900123");
    assert_eq!(report.status.category, sms::StatusCategory::Delivered);
    m.ack.send(()).unwrap();
}

#[tokio::test]
async fn unplug_disconnects_and_replug_comes_back_as_the_same_modem() {
    let r = rig(0);
    ready(&r.handle).await;
    let imei = r.handle.status().info.unwrap().imei;
    r.connector.unplug();
    assert!(
        wait_for(&r.handle, Duration::from_secs(5), |s| s.state
            == ModemState::Disconnected)
        .await
    );
    let err = r
        .handle
        .send(pdus("+1555", "x", false).remove(0))
        .await
        .unwrap_err();
    assert!(err.is_not_sent(), "{err:?}");
    r.connector.replug();
    ready(&r.handle).await;
    assert_eq!(r.handle.status().info.unwrap().imei, imei);
    r.handle
        .send(pdus("+1555", "back", false).remove(0))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_modem_ready_again_after_a_replug_shows_no_stale_error() {
    let r = rig(0);
    ready(&r.handle).await;
    r.connector.unplug();
    // Reopening finds the port gone: "cannot open …".
    assert!(
        wait_for(&r.handle, Duration::from_secs(5), |s| s
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot open")))
        .await
    );
    r.connector.replug();
    ready(&r.handle).await;
    let st = r.handle.status();
    assert_eq!(st.state, ModemState::Ready);
    assert_eq!(st.last_error, None);
}

#[tokio::test]
async fn a_hung_modem_is_detected_and_reopened() {
    let r = rig(1);
    ready(&r.handle).await;
    r.sim.set_faults(Faults {
        noise: false,
        hang: true,
        ..Faults::default()
    });
    assert!(
        wait_for(&r.handle, Duration::from_secs(20), |s| s.state
            != ModemState::Ready
            && s.state != ModemState::Busy)
        .await,
        "hang not noticed"
    );
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    ready(&r.handle).await;
}

#[tokio::test]
async fn a_chatty_modem_loses_nothing_either_way() {
    let (tx, mut rx) = mpsc::channel(64);
    let r = rig_with(0, Faults::default(), config(), Some(tx));
    ready(&r.handle).await;
    r.sim.set_faults(Faults {
        noise: true,
        chatter_ms: Some(3),
        report_delay_ms: 20,
        ..Faults::default()
    });
    let sim = r.sim.clone();
    let injector = tokio::spawn(async move {
        for i in 0..15 {
            sim.deliver_text("+15550003", &format!("reply {i}"), false, false)
                .unwrap();
            tokio::time::sleep(Duration::from_millis(7)).await;
        }
    });
    let receiver = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < 15 {
            let m = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("inbound lost")
                .unwrap();
            let Tpdu::Deliver(d) = sms::decode_hex_pdu(&m.pdu).unwrap().tpdu else {
                panic!()
            };
            got.push(d.user_data.content.text().unwrap());
            m.ack.send(()).unwrap();
        }
        got
    });
    for i in 0..30u8 {
        let mr = r
            .handle
            .send(pdus("+1555", &format!("out {i}"), false).remove(0))
            .await
            .unwrap();
        assert_eq!(mr, i);
    }
    injector.await.unwrap();
    let mut got = receiver.await.unwrap();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 15);
    assert_eq!(r.ledger.entries().len(), 30);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(r.sim.stored().is_empty());
    // The modem really did talk over itself throughout.
    assert!(r.sim.counters().noise_bursts > 50, "{:?}", r.sim.counters());
}

#[tokio::test]
async fn a_wedged_modem_is_reset_and_comes_back() {
    let r = rig(2);
    ready(&r.handle).await;
    // Only a reset brings this modem back: the driver must send one.
    r.sim.set_faults(Faults {
        noise: false,
        wedged: true,
        ..Faults::default()
    });
    assert!(
        wait_for(&r.handle, Duration::from_secs(30), |s| s.state
            == ModemState::Failed)
        .await
    );
    ready(&r.handle).await;
    assert_eq!(r.sim.counters().resets, 1);
    r.handle
        .send(pdus("+1555", "after reset", false).remove(0))
        .await
        .unwrap();
}

// Storage: everything stored is read, wherever the modem keeps it and
// whatever happened to its notification; nothing that is not inbound is.

async fn next_inbound(rx: &mut mpsc::Receiver<Inbound>, secs: u64) -> Inbound {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("nothing handed over in time")
        .expect("channel closed")
}

fn report_of(m: &Inbound) -> sms::StatusReport {
    match sms::decode_hex_pdu(&m.pdu).unwrap().tpdu {
        Tpdu::StatusReport(r) => r,
        other => panic!("not a status report: {other:?}"),
    }
}

fn text_of(m: &Inbound) -> String {
    match sms::decode_hex_pdu(&m.pdu).unwrap().tpdu {
        Tpdu::Deliver(d) => d.user_data.content.text().unwrap(),
        other => panic!("not an SMS-DELIVER: {other:?}"),
    }
}

#[tokio::test]
async fn reports_in_an_sr_memory_readable_only_as_mem1_are_read() {
    // Telit: reports kept in "SR", which AT+CPMS accepts only as <mem1>
    // ("SR","SR","SR" gets +CMS ERROR: 302).
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        3,
        Faults {
            reports_in_sr: true,
            sr_read_only: true,
            ..Faults::default()
        },
        config(),
        Some(tx),
    );
    ready(&r.handle).await;
    let mr = r
        .handle
        .send(pdus("+447700900123", "report me", true).remove(0))
        .await
        .unwrap();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(
        m.source,
        modem::InboundSource::Stored {
            storage: "SR".into(),
            index: 0
        }
    );
    let report = report_of(&m);
    assert_eq!(report.message_ref, mr);
    assert_eq!(report.status.category, sms::StatusCategory::Delivered);
    m.ack.send(()).unwrap();
    // Replies still land in, and are read from, the storage in use.
    r.sim
        .deliver_text("+15550009", "after the report", false, false)
        .unwrap();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(text_of(&m), "after the report");
    m.ack.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(r.sim.stored().is_empty(), "{:?}", r.sim.stored());
}

#[tokio::test]
async fn a_report_announced_in_one_memory_and_kept_in_another_is_found() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        0,
        Faults {
            reports_in_sr: true,
            cdsi_memory: Some("SM".into()),
            ..Faults::default()
        },
        config(),
        Some(tx),
    );
    ready(&r.handle).await;
    let mr = r
        .handle
        .send(pdus("+447700900124", "where is my report", true).remove(0))
        .await
        .unwrap();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(report_of(&m).message_ref, mr);
    m.ack.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(r.sim.stored_in("SR").is_empty());
}

#[tokio::test]
async fn an_sr_memory_holding_a_handful_never_loses_a_report() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        1,
        Faults {
            reports_in_sr: true,
            sr_read_only: true,
            sr_capacity: 2,
            // Sends take a while, as on a network; the reports of the
            // earlier ones come meanwhile.
            latency_ms: Some(150),
            ..Faults::default()
        },
        config(),
        Some(tx),
    );
    ready(&r.handle).await;
    let consumer = tokio::spawn(async move {
        let mut refs = Vec::new();
        while refs.len() < 6 {
            let m = next_inbound(&mut rx, 10).await;
            refs.push(report_of(&m).message_ref);
            m.ack.send(()).unwrap();
        }
        refs
    });
    let mut sent = Vec::new();
    for i in 0..6 {
        sent.push(
            r.handle
                .send(pdus("+447700900125", &format!("n{i}"), true).remove(0))
                .await
                .unwrap(),
        );
    }
    let mut got = consumer.await.unwrap();
    got.sort_unstable();
    assert_eq!(got, sent);
    assert_eq!(r.sim.counters().reports_lost, 0);
}

#[tokio::test]
async fn messages_and_reports_whose_notification_was_lost_are_read_by_the_storage_check() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        2,
        Faults {
            drop_notifications: true,
            reports_in_sr: true,
            ..Faults::default()
        },
        config(),
        Some(tx),
    );
    ready(&r.handle).await;
    r.sim
        .deliver_text("+15550010", "nobody told you", false, false)
        .unwrap();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(text_of(&m), "nobody told you");
    m.ack.send(()).unwrap();
    let mr = r
        .handle
        .send(pdus("+447700900126", "silent report", true).remove(0))
        .await
        .unwrap();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(report_of(&m).message_ref, mr);
    m.ack.send(()).unwrap();
    assert!(r.sim.counters().notifications_lost >= 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(r.sim.stored().is_empty());
}

#[tokio::test]
async fn once_notifications_prove_lost_reports_are_read_after_each_send_and_a_small_sr_never_overflows() {
    // Reports kept in an "SR" holding three, never announced; the storage
    // check is far apart compared with the sends (as 10 s is to 300 ms).
    let (tx, mut rx) = mpsc::channel(64);
    let r = rig_with(
        2,
        Faults {
            drop_notifications: true,
            reports_in_sr: true,
            sr_capacity: 3,
            report_delay_ms: 20,
            latency_ms: Some(30),
            ..Faults::default()
        },
        ModemConfig {
            storage_check: Duration::from_millis(1500),
            ..config()
        },
        Some(tx),
    );
    ready(&r.handle).await;
    let total = 25;
    let consumer = tokio::spawn(async move {
        let mut refs = Vec::new();
        while refs.len() < total {
            let m = next_inbound(&mut rx, 10).await;
            refs.push(report_of(&m).message_ref);
            m.ack.send(()).unwrap();
        }
        refs
    });
    let mut sent = Vec::new();
    // The first report is found by a storage check: never announced.
    sent.push(
        r.handle
            .send(pdus("+447700900127", "first", true).remove(0))
            .await
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    // Steady traffic: many reports between two storage checks.
    for i in 1..total {
        sent.push(
            r.handle
                .send(pdus("+447700900127", &format!("n{i}"), true).remove(0))
                .await
                .unwrap(),
        );
    }
    assert_eq!(r.sim.counters().reports_lost, 0);
    let mut got = consumer.await.unwrap();
    got.sort_unstable();
    sent.sort_unstable();
    assert_eq!(got, sent);
    assert_eq!(r.sim.counters().reports_lost, 0);
}

#[tokio::test]
async fn a_message_stored_while_the_modem_hung_is_read_before_the_next_send() {
    // No periodic check will come to the rescue: only the send path.
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        0,
        Faults::default(),
        ModemConfig {
            health_interval: Duration::from_secs(600),
            storage_check: Duration::from_secs(600),
            ..config()
        },
        Some(tx),
    );
    ready(&r.handle).await;
    r.sim.set_faults(Faults {
        noise: false,
        hang: true,
        ..Faults::default()
    });
    r.sim.deliver_text("+15550011", "STOP", false, false).unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    let ledger = r.ledger.clone();
    let consumer = tokio::spawn(async move {
        let m = next_inbound(&mut rx, 5).await;
        let sent_before = ledger.entries().len();
        let text = text_of(&m);
        m.ack.send(()).unwrap();
        (text, sent_before)
    });
    r.handle
        .send(pdus("+15550011", "offer", false).remove(0))
        .await
        .unwrap();
    let (text, sent_before) = consumer.await.unwrap();
    assert_eq!(text, "STOP");
    assert_eq!(
        sent_before, 0,
        "the send went out before the stored reply was read"
    );
}

#[tokio::test]
async fn a_notification_already_on_the_line_is_read_before_the_next_send() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(
        1,
        Faults {
            urcs_after_reply: true,
            latency_ms: Some(300),
            ..Faults::default()
        },
        config(),
        Some(tx),
    );
    ready(&r.handle).await;
    let ledger = r.ledger.clone();
    let consumer = tokio::spawn(async move {
        let m = next_inbound(&mut rx, 5).await;
        let sent_before = ledger.entries().len();
        m.ack.send(()).unwrap();
        sent_before
    });
    let sim = r.sim.clone();
    let sends = r.ledger.clone();
    let inject = tokio::spawn(async move {
        // During the first send (accepted, its answer not yet written): its
        // +CMTI comes right after that send's OK.
        for _ in 0..200 {
            if !sends.entries().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sim.deliver_text("+15550012", "STOP", false, false).unwrap();
    });
    let (a, b) = tokio::join!(
        r.handle.send(pdus("+15550012", "first", false).remove(0)),
        r.handle.send(pdus("+15550012", "second", false).remove(0)),
    );
    a.unwrap();
    b.unwrap();
    inject.await.unwrap();
    assert_eq!(
        consumer.await.unwrap(),
        1,
        "the second send went out before the announced reply was read"
    );
}

#[tokio::test]
async fn stored_outgoing_messages_stay_on_the_sim_and_are_never_inbound() {
    let (tx, mut rx) = mpsc::channel(16);
    let r = rig_with(0, Faults::default(), config(), Some(tx));
    r.connector.unplug();
    let sent = pdus("+79160000001", "kept by a phone", false).remove(0).hex();
    let unsent = pdus("+79160000002", "draft", false).remove(0).hex();
    r.sim.put_stored("SM", 3, &sent).unwrap();
    r.sim.put_stored("SM", 2, &unsent).unwrap();
    r.sim.put_stored("ME", 3, &sent).unwrap();
    r.sim
        .deliver_text("+15550013", "a real reply", false, false)
        .unwrap();
    r.connector.replug();
    let m = next_inbound(&mut rx, 5).await;
    assert_eq!(text_of(&m), "a real reply");
    m.ack.send(()).unwrap();
    // Several storage checks later: nothing else was handed over, the
    // outgoing ones are where they were.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(rx.try_recv().is_err(), "an outgoing message was handed over");
    let stats = |mem| {
        r.sim
            .stored_in(mem)
            .into_iter()
            .map(|(_, stat, _)| stat)
            .collect::<Vec<_>>()
    };
    assert_eq!(stats("SM"), [3, 2]);
    assert_eq!(stats("ME"), [3]);
}

#[tokio::test]
async fn operator_fields_follow_the_format_the_modem_answered_in() {
    let r = rig_with(
        0,
        Faults {
            cops_format_ignored: true,
            ..Faults::default()
        },
        config(),
        None,
    );
    ready(&r.handle).await;
    let st = r.handle.status();
    // The long name is never taken for an MCC/MNC.
    assert_eq!(st.mcc_mnc, None);
    assert_eq!(st.operator.as_deref(), Some("MTS RUS"));
}

#[tokio::test]
async fn a_hung_modem_is_noticed_long_before_the_send_timeout() {
    // The real intervals: health every 30 s, storage check every 10 s,
    // 60 s to wait for a send's answer.
    let r = rig_with(1, Faults::default(), ModemConfig::default(), None);
    ready(&r.handle).await;
    r.sim.set_faults(Faults {
        noise: false,
        hang: true,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert!(
        wait_for(&r.handle, Duration::from_secs(20), |s| s.state
            != ModemState::Ready)
        .await,
        "hang not noticed within 20 s"
    );
    let noticed = started.elapsed();
    // No send is even tried while it does not answer.
    let err = r
        .handle
        .send(pdus("+1555", "x", false).remove(0))
        .await
        .unwrap_err();
    assert!(err.is_not_sent(), "{err:?}");
    assert!(r.ledger.entries().is_empty());
    eprintln!("hang noticed after {noticed:?}");
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    ready(&r.handle).await;
}

#[tokio::test]
async fn a_sim_full_of_stored_outgoing_messages_is_reported() {
    let (tx, _rx) = mpsc::channel(16);
    let r = rig_with(3, Faults::default(), config(), Some(tx));
    r.connector.unplug();
    let sent = pdus("+79160000001", "kept by a phone", false).remove(0).hex();
    for _ in 0..30 {
        r.sim.put_stored("SM", 3, &sent).unwrap();
    }
    r.connector.replug();
    assert!(
        wait_for(&r.handle, Duration::from_secs(10), |s| s
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("full of stored outgoing messages")))
        .await,
        "{:?}",
        r.handle.status()
    );
    // Left where they were, and the modem still sends.
    assert_eq!(r.sim.stored_in("SM").len(), 30);
    r.handle
        .send(pdus("+1555", "still sending", false).remove(0))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_port_that_never_answers_at_fails_after_a_few_attempts_and_is_retried_slowly() {
    // A "mute" port: something that never answers AT.
    let mut config = config();
    config.backoff = (Duration::from_secs(1), Duration::from_secs(30));
    let r = rig_with(
        0,
        Faults {
            hang: true,
            ..Faults::default()
        },
        config,
        None,
    );
    let mut rx = r.handle.watch();
    // Each attempt is ~12 s of unanswered ATs; three attempts, then failed.
    let failed = wait_for(&r.handle, Duration::from_secs(120), |s| {
        s.state == ModemState::Failed
    })
    .await;
    assert!(failed, "still {:?}", r.handle.status());
    let status = r.handle.status();
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .contains("does not answer AT after 3 attempts"),
        "{status:?}"
    );
    // Retried, but stays `failed` while it does not answer.
    rx.mark_unchanged();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(120), async {
        while rx.changed().await.is_ok() {
            seen.push(rx.borrow_and_update().state.clone());
        }
    })
    .await;
    assert!(!seen.is_empty(), "not retried");
    assert!(seen.iter().all(|s| *s == ModemState::Failed), "{seen:?}");
    // Once it answers, the slow retry finds it.
    r.sim.set_faults(Faults {
        noise: false,
        ..Faults::default()
    });
    let ok = wait_for(&r.handle, Duration::from_secs(60), |s| {
        s.state == ModemState::Ready
    })
    .await;
    assert!(ok, "never ready: {:?}", r.handle.status());
}

/// Log lines captured for one test (the runtime is single-threaded, so a
/// thread-local default subscriber sees the modem task's events).
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_stored_outgoing_message_is_logged_once_per_slot_not_at_every_reconnect() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (tx, _rx) = mpsc::channel(16);
    let r = rig_with(0, Faults::default(), config(), Some(tx));
    r.connector.unplug();
    let sent = pdus("+79160000003", "kept by a phone", false).remove(0).hex();
    r.sim.put_stored("SM", 3, &sent).unwrap();
    for _ in 0..3 {
        r.connector.replug();
        assert!(
            wait_for(&r.handle, Duration::from_secs(5), |s| s.state
                == ModemState::Ready
                && s.storage_read)
            .await
        );
        r.connector.unplug();
        assert!(
            wait_for(&r.handle, Duration::from_secs(5), |s| s.state
                == ModemState::Disconnected)
            .await
        );
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.matches("stored outgoing message left on the SIM").count(),
        1,
        "{text}"
    );
}
