//! `simfleet sim` and `simfleet modem probe|send|inbox` as a user runs them:
//! the real binary, real PTYs, the control API over HTTP.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Sim;
use serde_json::{Value, json};

fn simfleet(args: &[&str], port: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(&args[..2])
        .arg(port)
        .args(&args[2..])
        .output()
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn sim_links_point_at_ptys() {
    let sim = Sim::start(3, 20);
    assert_eq!(sim.paths.len(), 3);
    for p in &sim.paths {
        let target = std::fs::read_link(p).unwrap();
        assert!(target.starts_with("/dev/pts/"), "{target:?}");
    }
    assert_eq!(sim.get("/modems").as_array().unwrap().len(), 3);
}

#[test]
fn probe_reports_identity_as_json() {
    let sim = Sim::start(2, 20);
    for (i, path) in sim.paths.iter().enumerate() {
        let out = simfleet(&["modem", "probe"], path);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let p = &json_lines(&out)[0];
        let profile = &sim.get("/modems")[i]["profile"];
        for key in [
            "manufacturer",
            "model",
            "revision",
            "imei",
            "imsi",
            "iccid",
            "operator",
            "mcc_mnc",
            "smsc",
        ] {
            assert_eq!(p[key], profile[key], "{key}");
        }
        assert_eq!(p["port"], path.to_str().unwrap());
        assert_eq!(p["registration"], "home");
        assert_eq!(p["signal_dbm"], -71);
        assert_eq!(p["storage"], json!({"used": 0, "total": 30}));
    }
}

#[test]
fn send_prints_message_refs_and_reaches_the_ledger() {
    let sim = Sim::start(1, 20);
    let text =
        "Напоминание: приём у врача завтра в 10:30. Ответьте 1 для подтверждения или 2 для отмены. Спасибо!";
    let out = simfleet(
        &[
            "modem",
            "send",
            "--to",
            "+79161234567",
            "--text",
            text,
            "--status-report",
        ],
        &sim.paths[0],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let parts = json_lines(&out)[0]["parts"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 2);
    let ledger = sim.get("/ledger");
    let ledger = ledger.as_array().unwrap();
    assert_eq!(ledger.len(), 2);
    for (part, entry) in parts.iter().zip(ledger) {
        assert_eq!(part["message_ref"], entry["message_ref"]);
        assert_eq!(entry["recipient"], "+79161234567");
        assert_eq!(entry["status_report"], true);
    }
    let joined: String = ledger.iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert_eq!(joined, text);
}

#[test]
fn send_failure_exits_nonzero_and_says_why() {
    let sim = Sim::start(1, 20);
    sim.post(
        "/modems/0/faults",
        json!({"cms_error_rate": 1.0, "cms_error_code": 21}),
    );
    let out = simfleet(
        &["modem", "send", "--to", "+15550001", "--text", "hi"],
        &sim.paths[0],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not sent") && err.contains("short message transfer rejected"),
        "{err}"
    );

    sim.post(
        "/modems/0/faults",
        json!({"cms_error_rate": 0.0, "not_registered": true}),
    );
    let out = simfleet(
        &["modem", "send", "--to", "+15550001", "--text", "hi"],
        &sim.paths[0],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no network service"));
    assert!(sim.get("/ledger").as_array().unwrap().is_empty());
}

#[test]
fn inbox_joins_parts_and_delete_empties_the_sim() {
    let sim = Sim::start(1, 20);
    let long = "Ответ: да, я приду. ".repeat(12);
    let r = sim.post(
        "/modems/0/sms",
        json!({"from": "+79990001122", "text": long, "reverse": true}),
    );
    assert_eq!(r["parts"], 4);
    sim.post("/modems/0/sms", json!({"from": "+15550009", "text": "STOP"}));
    let out = simfleet(&["modem", "inbox", "--delete"], &sim.paths[0]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let msgs = json_lines(&out);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["text"], long);
    assert_eq!(msgs[0]["from"], "+79990001122");
    assert_eq!(msgs[0]["complete"], true);
    assert_eq!(msgs[0]["parts"], 4);
    assert_eq!(msgs[1]["text"], "STOP");
    let out = simfleet(&["modem", "inbox"], &sim.paths[0]);
    assert!(json_lines(&out).is_empty());
    assert_eq!(sim.get("/modems")[0]["stored"], 0);
}

#[test]
fn probe_of_an_unplugged_modem_fails_clearly() {
    let sim = Sim::start(1, 20);
    sim.post("/modems/0/unplug", json!({}));
    let out = simfleet(&["modem", "probe"], &sim.paths[0]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));
    let r = sim.post("/modems/0/replug", json!({}));
    assert!(r["pts"].as_str().unwrap().starts_with("/dev/pts/"));
    assert!(simfleet(&["modem", "probe"], &sim.paths[0]).status.success());
}

#[test]
fn sim_missing_and_pin_are_reported_in_words() {
    let sim = Sim::start(1, 20);
    sim.post("/modems/0/faults", json!({"sim_missing": true}));
    let out = simfleet(&["modem", "probe"], &sim.paths[0]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SIM card"));
    sim.post(
        "/modems/0/faults",
        json!({"sim_missing": false, "pin_required": true}),
    );
    let out = simfleet(&["modem", "probe"], &sim.paths[0]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIN required"));
    let out = simfleet(&["modem", "probe", "--pin", "1234"], &sim.paths[0]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn control_api_rejects_bad_input_with_json_errors() {
    let sim = Sim::start(1, 20);
    let r = sim.post("/modems/0/faults", json!({"no_such_fault": 1}));
    assert_eq!(r["error"]["code"], "bad_faults");
    let r = sim.post("/modems/9/sms", json!({"from": "+1", "text": "x"}));
    assert_eq!(r["error"]["code"], "no_such_modem");
    let r = sim.post("/modems/0/sms", json!({"pdus": ["ZZ"]}));
    assert_eq!(r["error"]["code"], "bad_pdu");
}

#[test]
fn modem_list_says_which_ports_answer_at() {
    let s = Sim::start(1, 5);
    let port = s.paths[0].display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["modem", "list", "--json", "--port", &port, "--port", "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let ports = json_lines(&out);
    let find = |p: &str| ports.iter().find(|v| v["port"] == p).unwrap().clone();
    assert_eq!(find(&port)["answers_at"], true);
    assert_eq!(find("/dev/null")["answers_at"], Value::Null);
    assert!(
        find("/dev/null")["note"]
            .as_str()
            .unwrap()
            .contains("cannot open")
    );
    // The table for people, from an empty system.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["modem", "list", "--root"])
        .arg(empty.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No serial ports found"), "{text}");
    assert!(text.contains("usb_modeswitch"), "{text}");
}
