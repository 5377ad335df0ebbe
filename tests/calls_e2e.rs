//! Call tracking end to end through the real daemon and simulator: a
//! campaign names a SIM whose number (read with `AT+CNUM`) fills
//! `{{ tracking_number }}`; a call to that SIM (`POST /call` on the
//! simulator) is rejected with `AT+CHUP`, counted for the campaign and the
//! caller's variant, and thanked once a day by SMS from that SIM.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

const THANKS: &str = "Thanks for calling! We will call you back.";

fn config(s: &Sim) -> PathBuf {
    write_config(
        s.dir.path(),
        free_port(),
        &format!(
            "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\n[calls]\naction = \"reject\"\n[calls.thanks]\ndefault = \"{THANKS}\"\n"
        ),
    )
}

fn phone(i: usize) -> String {
    format!("+7916444{i:04}")
}

fn wait_for<T>(within: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn figures(g: &Gateway, id: &str) -> Value {
    let (code, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(code, 200, "{c}");
    c["figures"].clone()
}

fn calls(g: &Gateway, id: &str) -> Vec<Value> {
    let (code, v) = g.call("GET", &format!("/v1/calls?campaign={id}"), None);
    assert_eq!(code, 200, "{v}");
    v["calls"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_call_to_a_tracking_sim_is_rejected_counted_for_its_campaign_and_variant_and_thanked_once_a_day() {
    let s = Sim::start(2, 30);
    let g = Gateway::start(&config(&s));
    g.wait_ready_modems(2);

    // The tracking SIM: modem 1 of the simulator, its number read from the SIM.
    let sim_modems = s.get("/modems");
    let imsi = sim_modems[1]["profile"]["imsi"].as_str().unwrap().to_string();
    let msisdn = sim_modems[1]["profile"]["msisdn"].as_str().unwrap().to_string();
    let shown = wait_for(Duration::from_secs(10), "the SIM's number in /v1/modems", || {
        let (_, m) = g.call("GET", "/v1/modems", None);
        m.as_array()?
            .iter()
            .find(|m| m["imsi"] == imsi.as_str())
            .and_then(|m| m["number"].as_str().map(str::to_string))
    });
    assert_eq!(shown, msisdn);

    for i in 0..4 {
        let (code, r) = g.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": phone(i), "name": format!("Client {i}"),
                        "consent": {"status": "opted_in", "source": "shop counter"}})),
        );
        assert!(code == 200 || code == 201, "{code} {r}");
    }
    let phones: Vec<String> = (0..4).map(phone).collect();
    let variants = json!([{"name": "A", "text": "Sale A: call {{ tracking_number }}"},
                          {"name": "B", "text": "Sale B: call {{ tracking_number }}"}]);

    // The number in the text needs call tracking.
    let (code, e) = g.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "No tracking", "audience": {"contacts": phones}, "variants": variants})),
    );
    assert_eq!(code, 422, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("call_tracking"),
        "{e}"
    );

    // A SIM whose number is unknown: preview and start say so; PATCH of
    // the draft's call_tracking to the SIM whose number is known fixes it
    // (the draft is left a draft: it counts no call).
    let (code, d) = g.call(
        "POST",
        "/v1/campaigns",
        Some(
            json!({"name": "Unknown number", "audience": {"contacts": phones}, "variants": variants,
                    "call_tracking": {"sim": "250019999999"}}),
        ),
    );
    assert_eq!(code, 201, "{d}");
    let draft = d["id"].as_str().unwrap().to_string();
    for (method, path) in [
        ("GET", format!("/v1/campaigns/{draft}/preview")),
        ("POST", format!("/v1/campaigns/{draft}/start")),
    ] {
        let (code, e) = g.call(method, &path, None);
        assert_eq!(
            (code, e["error"]["code"].as_str()),
            (422, Some("call_tracking")),
            "{path}: {e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("250019999999"),
            "{e}"
        );
    }
    let (code, e) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{draft}"),
        Some(json!({"call_tracking": {"sim": "12x"}})),
    );
    assert_eq!(code, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("call_tracking.sim"),
        "{e}"
    );
    let (code, p) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{draft}"),
        Some(json!({"call_tracking": {"sim": imsi}})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["call_tracking"]["sim"], imsi.as_str(), "{p}");
    let preview = wait_for(Duration::from_secs(10), "a preview with the number", || {
        let (code, p) = g.call("GET", &format!("/v1/campaigns/{draft}/preview"), None);
        (code == 200).then_some(p)
    });
    let sample = &preview["variants"]["A"]["recipients"][0]["text"];
    assert!(sample.as_str().unwrap_or("").ends_with(&msisdn), "{preview}");

    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(
            json!({"name": "Call us", "audience": {"contacts": phones}, "variants": variants,
                    "call_tracking": {"sim": imsi}}),
        ),
    );
    assert_eq!(code, 201, "{c}");
    assert_eq!(c["call_tracking"]["sim"], imsi.as_str(), "shown as given: {c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (code, st) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{st}");
    wait_for(Duration::from_secs(60), "the campaign to complete", || {
        let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
        (c["status"] == "completed").then_some(())
    });

    // Every text carries the tracking SIM's number; client 0's says its variant.
    let ledger = s.ledger();
    let texts: Vec<&Value> = ledger
        .iter()
        .filter(|e| phones.contains(&e["recipient"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(texts.len(), 4, "{ledger:?}");
    assert!(
        texts
            .iter()
            .all(|e| e["text"].as_str().unwrap().ends_with(&msisdn)),
        "{texts:?}"
    );
    let caller = phone(0);
    let variant = texts
        .iter()
        .find(|e| e["recipient"] == caller.as_str())
        .map(|e| {
            if e["text"].as_str().unwrap().starts_with("Sale A") {
                "A"
            } else {
                "B"
            }
        })
        .unwrap();
    let other = if variant == "A" { "B" } else { "A" };

    // Client 0 calls the number.
    let r = s.post(
        "/call",
        json!({"modem": imsi, "from": caller, "rings": 5, "interval_ms": 1000}),
    );
    assert_eq!(r["modem"], 1, "{r}");
    let first = wait_for(Duration::from_secs(15), "the call recorded", || {
        calls(&g, &id).first().cloned()
    });
    assert_eq!(first["caller"], caller.as_str(), "{first}");
    assert_eq!(first["variant"], variant, "{first}");
    assert_eq!(first["action"], "rejected", "{first}");
    assert_eq!(first["imsi"], imsi.as_str(), "{first}");
    assert!(first["contact_id"].is_string(), "{first}");
    assert!(first["thanks_message_id"].is_string(), "{first}");

    // The simulator saw the hang-up: rejected at the first rings, not rung out.
    let sim_calls = s.get("/modems/1/calls");
    assert_eq!(sim_calls[0]["outcome"], "hung_up", "{sim_calls}");
    assert_eq!(sim_calls[0]["hangup_command"], "AT+CHUP", "{sim_calls}");
    assert!(sim_calls[0]["rings"].as_u64().unwrap() <= 2, "{sim_calls}");

    let f = figures(&g, &id);
    assert_eq!(
        (
            f["overall"]["calls"].as_u64(),
            f["overall"]["unique_callers"].as_u64()
        ),
        (Some(1), Some(1)),
        "{f}"
    );
    assert_eq!(f["variants"][variant]["calls"], 1, "{f}");
    assert_eq!(f["variants"][other]["calls"], 0, "{f}");

    // The thank-you leaves from the SIM called.
    let thanks = wait_for(Duration::from_secs(15), "the thank-you SMS", || {
        s.ledger()
            .into_iter()
            .find(|e| e["recipient"] == caller.as_str() && e["text"] == THANKS)
    });
    assert_eq!(thanks["imsi"], imsi.as_str(), "{thanks}");

    // The same caller again the same day: counted, not thanked twice.
    let r = s.post(
        "/call",
        json!({"modem": 1, "from": caller, "rings": 5, "interval_ms": 1000}),
    );
    assert_eq!(r["call"], 2, "{r}");
    let second = wait_for(Duration::from_secs(15), "the second call recorded", || {
        calls(&g, &id).get(1).cloned()
    });
    assert!(second["thanks_message_id"].is_null(), "{second}");
    // A withheld caller counts for the campaign, without a variant.
    s.post(
        "/call",
        json!({"modem": 1, "from": null, "rings": 5, "interval_ms": 1000}),
    );
    let third = wait_for(Duration::from_secs(15), "the withheld call recorded", || {
        calls(&g, &id).get(2).cloned()
    });
    assert!(third["caller"].is_null() && third["variant"].is_null(), "{third}");
    let f = figures(&g, &id);
    assert_eq!(
        (
            f["overall"]["calls"].as_u64(),
            f["overall"]["unique_callers"].as_u64()
        ),
        (Some(3), Some(1)),
        "{f}"
    );
    assert_eq!(f["variants"][variant]["calls"], 2, "{f}");

    // A call to the other SIM counts for no campaign.
    s.post(
        "/call",
        json!({"modem": 0, "from": phone(1), "rings": 5, "interval_ms": 1000}),
    );
    let all = wait_for(Duration::from_secs(15), "the call to the other SIM", || {
        let (_, v) = g.call("GET", "/v1/calls", None);
        let calls = v["calls"].as_array()?.clone();
        (calls.len() == 4).then_some(calls)
    });
    assert!(all[3]["campaign_id"].is_null(), "{:?}", all[3]);
    let (_, metrics) = g.call("GET", "/metrics", None);
    let line = format!("simfleet_campaign_calls_total{{campaign=\"{id}\",name=\"Call us\"}} 3");
    assert!(metrics.as_str().unwrap_or("").contains(&line), "{metrics}");
    let thanked = s
        .ledger()
        .iter()
        .filter(|e| e["recipient"] == caller.as_str() && e["text"] == THANKS)
        .count();
    assert_eq!(thanked, 1, "one thank-you a day");
}

#[test]
fn a_caller_id_in_the_00_form_is_read_as_the_number_so_an_opt_out_holds_and_an_unreadable_one_is_never_thanked()
 {
    let s = Sim::start(1, 30);
    let g = Gateway::start(&config(&s));
    g.wait_ready_modems(1);
    // +79161110002 opts out by STOP (and gets its one confirmation).
    s.post("/modems/0/sms", json!({"from": "+79161110002", "text": "STOP"}));
    wait_for(Duration::from_secs(15), "the opt-out", || {
        let (code, _) = g.call("GET", "/v1/optouts/+79161110002", None);
        (code == 200).then_some(())
    });
    let (code, c) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+79161110003", "name": "Ira"})),
    );
    assert_eq!(code, 201, "{c}");

    // The network shows the callers with the international prefix 00.
    let mut recorded = Vec::new();
    for (n, from) in ["0079161110002", "0079161110003", "+7916"]
        .into_iter()
        .enumerate()
    {
        s.post(
            "/call",
            json!({"modem": 0, "from": from, "rings": 2, "interval_ms": 300}),
        );
        recorded = wait_for(Duration::from_secs(15), "the call recorded", || {
            let (_, v) = g.call("GET", "/v1/calls", None);
            let calls = v["calls"].as_array()?.clone();
            (calls.len() == n + 1).then_some(calls)
        });
    }
    // The opted-out caller: read as its number, recorded, not thanked.
    assert_eq!(recorded[0]["caller"], "+79161110002", "{:?}", recorded[0]);
    assert!(recorded[0]["thanks_message_id"].is_null(), "{:?}", recorded[0]);
    // The contact: matched and thanked at the canonical number.
    assert_eq!(recorded[1]["caller"], "+79161110003", "{:?}", recorded[1]);
    assert_eq!(recorded[1]["contact_id"], c["id"], "{:?}", recorded[1]);
    assert!(!recorded[1]["thanks_message_id"].is_null(), "{:?}", recorded[1]);
    // No valid number: kept for the record, like a withheld caller otherwise.
    assert_eq!(recorded[2]["caller"], "+7916", "{:?}", recorded[2]);
    assert!(
        recorded[2]["contact_id"].is_null() && recorded[2]["thanks_message_id"].is_null(),
        "{:?}",
        recorded[2]
    );
    wait_for(Duration::from_secs(15), "the thank-you to +79161110003", || {
        s.ledger()
            .into_iter()
            .find(|e| e["recipient"] == "+79161110003" && e["text"] == THANKS)
    });
    std::thread::sleep(Duration::from_secs(2));
    let ledger = s.ledger();
    let thanked = |to: &str| ledger.iter().any(|e| e["text"] == THANKS && e["recipient"] == to);
    for to in ["+79161110002", "0079161110002", "79161110002", "+7916"] {
        assert!(!thanked(to), "thanked {to}: {ledger:?}");
    }
}
