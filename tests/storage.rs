//! What is stored on the modems, end to end: the real daemon (`simfleet
//! serve`) over simulated modems (`simfleet sim`). Replies stored while
//! the daemon was down are read before any SIM sends; delivery reports
//! are found where the modem keeps them; stored outgoing messages are not
//! replies.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};
use simfleet::sms::{self, Address, SplitOptions, SubmitOptions};

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status(g: &Gateway, id: &str) -> Value {
    g.call("GET", &format!("/v1/messages/{id}"), None).1
}

fn submit_hex(to: &str, text: &str) -> String {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    sms::encode_submit(
        &Address::parse_number(to).unwrap(),
        &plan,
        &SubmitOptions::default(),
        1,
    )
    .unwrap()
    .remove(0)
    .hex()
}

#[test]
fn a_stop_stored_while_the_daemon_was_down_is_read_before_any_sim_sends() {
    // Modem 2 is a SIMCom: it needs a few seconds after the SIM is ready
    // before SMS commands work, so the other two are ready well before it
    // has read what it holds.
    let s = Sim::start(3, 20);
    let number = "+79161234567";
    s.post("/modems/2/sms", json!({"from": number, "text": "STOP"}));
    // A sent message a phone left on another SIM: not a reply.
    let kept = submit_hex("+79160000001", "sent from a phone");
    s.post("/modems/0/stored", json!({"pdu": kept, "stat": 3}));
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "[optout]\nconfirmation = \"\"\n",
    ));
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": number, "text": "Скидка дня"})),
    );
    assert_eq!(code, 202, "{m}");
    // Accepted before the STOP was known, or the test proves nothing.
    assert_eq!(m["status"], "queued", "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let (_, other) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79167654321", "text": "Скидка дня"})),
    );
    let other = other["id"].as_str().unwrap().to_string();

    let m = wait_for("the message to be settled", 30, || {
        let m = status(&g, &id);
        (m["status"] != "queued" && m["status"] != "sending").then_some(m)
    });
    assert_eq!(m["status"], "suppressed", "{m}");
    assert!(
        s.ledger().iter().all(|e| e["recipient"] != number),
        "sent to a number that had opted out: {:?}",
        s.ledger()
    );
    // Dispatch resumed once every modem had read its storage.
    wait_for("the other message to be sent", 30, || {
        let m = status(&g, &other);
        (m["status"] == "sent").then_some(())
    });
    // The stored sent message is not in the inbox and is still on the SIM.
    let inbox = g.call("GET", "/v1/inbox", None).1;
    let messages = inbox["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{inbox}");
    assert_eq!(messages[0]["from"], number);
    let stored = s.get("/modems/0/stored");
    assert_eq!(stored["SM"][0]["stat"], 3, "{stored}");
    assert_eq!(stored["SM"][0]["pdu"], kept.as_str());
}

#[test]
fn a_report_kept_in_sr_only_memory_makes_the_message_delivered() {
    // Telit: reports in "SR", which AT+CPMS takes only as <mem1>.
    let s = Sim::start(1, 10);
    s.post(
        "/modems/0/faults",
        json!({"reports_in_sr": true, "sr_read_only": true, "report_delay_ms": 50}),
    );
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79165550001", "text": "report me", "status_report": true})),
    );
    assert_eq!(code, 202, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let m = wait_for("the message to be delivered", 30, || {
        let m = status(&g, &id);
        (m["status"] == "delivered").then_some(m)
    });
    assert!(m["delivered_at"].is_string(), "{m}");
    let stored = s.get("/modems/0/stored");
    assert_eq!(stored["SR"], json!([]), "{stored}");
}

fn modem_state(g: &Gateway, link: &str) -> String {
    let (_, modems) = g.call("GET", "/v1/modems", None);
    modems
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["port"].as_str().is_some_and(|p| p.ends_with(link)))
        .map(|m| m["state"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[test]
fn a_stop_on_a_modem_that_comes_back_is_read_before_any_sim_sends() {
    let s = Sim::start(3, 20);
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "[optout]\nconfirmation = \"\"\n",
    ));
    g.wait_ready_modems(3);
    // Modem 2 (a SIMCom: seconds of initialisation) is pulled out, a STOP
    // reaches its SIM meanwhile, and it is plugged back in.
    s.post("/modems/2/unplug", json!({}));
    wait_for("the modem to be gone", 15, || {
        (modem_state(&g, "modem2") == "disconnected").then_some(())
    });
    let number = "+79161234568";
    s.post("/modems/2/sms", json!({"from": number, "text": "STOP"}));
    s.post("/modems/2/replug", json!({}));
    wait_for("the modem to be initialising again", 30, || {
        if modem_state(&g, "modem2") != "connecting" {
            return None;
        }
        // Not a failed attempt from before the replug: still at it.
        std::thread::sleep(Duration::from_millis(300));
        (modem_state(&g, "modem2") == "connecting").then_some(())
    });
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": number, "text": "Скидка дня"})),
    );
    assert_eq!(code, 202, "{m}");
    assert_eq!(m["status"], "queued", "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let m = wait_for("the message to be settled", 30, || {
        let m = status(&g, &id);
        (m["status"] != "queued" && m["status"] != "sending").then_some(m)
    });
    assert_eq!(m["status"], "suppressed", "{m}");
    assert!(s.ledger().iter().all(|e| e["recipient"] != number));
}
