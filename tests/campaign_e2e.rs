//! Campaigns end to end through the real daemon and simulator: a campaign
//! survives kill -9 sending nothing twice and skipping nobody, and its
//! figures match what the simulator's ledger and injected replies say.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

/// Windows open all day (the test must not depend on the hour it runs at)
/// and a cap that one campaign cannot reach.
fn config(s: &Sim) -> PathBuf {
    write_config(
        s.dir.path(),
        free_port(),
        "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\ncap_per_24h = 5\ncap_per_7d = 10\n",
    )
}

fn phone(i: usize) -> String {
    format!("+7916555{i:04}")
}

/// `with_consent` contacts who opted in, then `without` who did not.
fn contacts(g: &Gateway, with_consent: usize, without: usize) -> Vec<String> {
    let mut all = Vec::new();
    for i in 0..with_consent + without {
        let mut body = json!({"phone": phone(i), "name": format!("Client {i}")});
        if i < with_consent {
            body["consent"] = json!({"status": "opted_in", "source": "shop counter"});
        }
        let (code, r) = g.call("POST", "/v1/contacts", Some(body));
        assert!(code == 201 || code == 200, "{code} {r}");
        all.push(phone(i));
    }
    all
}

fn create_and_start(g: &Gateway, phones: &[String]) -> String {
    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "Winter sale", "audience": {"contacts": phones},
                    "variants": [{"name": "A", "text": "Hi {{ name }}, winter sale A"},
                                 {"name": "B", "text": "Hi {{ name }}, winter sale B"}]})),
    );
    assert_eq!(code, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (code, s) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{s}");
    id
}

fn wait_status(g: &Gateway, id: &str, status: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
        if c["status"] == status {
            return c;
        }
        assert!(Instant::now() < deadline, "campaign not {status}: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ledger entries by recipient.
fn sent_by_recipient(s: &Sim) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for e in s.ledger() {
        out.entry(e["recipient"].as_str().unwrap_or("").to_string())
            .or_default()
            .push(e);
    }
    out
}

/// `(phone, state, message status)` of every recipient, from the database.
fn recipients(db: &std::path::Path, id: &str) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.prepare(
        "SELECT r.phone, r.state, m.status FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
         WHERE r.campaign_id = ?1 ORDER BY r.seq",
    )
    .unwrap()
    .query_map([id.parse::<i64>().unwrap()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn kill_9_mid_campaign_then_restart_sends_nothing_twice_and_skips_nobody() {
    let s = Sim::start(2, 150);
    let cfg = config(&s);
    let db = s.dir.path().join("db.sqlite");
    let mut g = Gateway::start(&cfg);
    g.wait_ready_modems(2);
    let phones = contacts(&g, 40, 0);
    let id = create_and_start(&g, &phones);
    // Kill it hard while it is sending.
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.ledger().len() < 8 {
        assert!(Instant::now() < deadline, "nothing sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    g.kill9();
    let before = s.ledger().len();
    assert!(
        before < 40,
        "it finished before the kill ({before} sent): the test proves nothing"
    );
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(2);
    let c = wait_status(&g, &id, "completed", Duration::from_secs(60));
    drop(g);

    let sent = sent_by_recipient(&s);
    let rows = recipients(&db, &id);
    assert_eq!(rows.len(), 40);
    for (p, state, status) in &rows {
        let times = sent.get(p).map_or(0, Vec::len);
        assert!(times <= 1, "{p} got the campaign {times} times");
        assert_eq!(state, "queued", "{p} was skipped: {state}");
        match status.as_deref() {
            // Sent (reports off in this config): exactly once at the network.
            Some("sent" | "delivered") => assert_eq!(times, 1, "{p}: {status:?}"),
            // Cut mid-send by the kill: never re-sent, whether or not it went.
            Some("unknown") => {}
            other => panic!("{p}: message {other:?}"),
        }
    }
    assert_eq!(c["progress"]["pending"], 0, "{c}");
}

#[test]
fn the_figures_match_the_ledger_and_the_replies() {
    let s = Sim::start(2, 20);
    let cfg = config(&s);
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(2);
    let phones = contacts(&g, 30, 6);
    // One of the consenting contacts opts out before the start.
    let (code, r) = g.call("POST", "/v1/optouts", Some(json!({"number": phones[29]})));
    assert!(code < 300, "{code} {r}");
    let id = create_and_start(&g, &phones);
    wait_status(&g, &id, "completed", Duration::from_secs(60));

    let sent = sent_by_recipient(&s);
    assert_eq!(
        sent.len(),
        29,
        "29 may receive it: {:?}",
        sent.keys().collect::<Vec<_>>()
    );
    // By hand from the ledger: the variant of each (its text says) and the modem it left through.
    let mut by_variant: BTreeMap<String, u64> = BTreeMap::new();
    let mut modem_of: HashMap<String, u64> = HashMap::new();
    for (p, entries) in &sent {
        let text = entries[0]["text"].as_str().unwrap_or("");
        let v = if text.ends_with("sale A") { "A" } else { "B" };
        *by_variant.entry(v.into()).or_default() += 1;
        modem_of.insert(p.clone(), entries[0]["modem"].as_u64().unwrap());
    }
    // Replies: three thank-yous and one STOP through the SIM each was
    // texted from (attributed), and one through the other SIM (not).
    let sent_phones: Vec<String> = {
        let mut v: Vec<String> = sent.keys().cloned().collect();
        v.sort();
        v
    };
    for p in &sent_phones[0..3] {
        s.post(
            &format!("/modems/{}/sms", modem_of[p]),
            json!({"from": p, "text": "Thanks!"}),
        );
    }
    s.post(
        &format!("/modems/{}/sms", modem_of[&sent_phones[3]]),
        json!({"from": sent_phones[3], "text": "STOP"}),
    );
    s.post(
        &format!("/modems/{}/sms", 1 - modem_of[&sent_phones[4]]),
        json!({"from": sent_phones[4], "text": "Who is this?"}),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let f = loop {
        let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
        let f = c["figures"]["overall"].clone();
        // Three replies; the STOP is an opt-out, not a reply; the answer on
        // the other SIM is not this campaign's.
        if f["replies"] == 3 && f["opt_outs"] == 1 {
            break f;
        }
        assert!(Instant::now() < deadline, "replies not attributed: {c}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(f["audience"], 36, "{f}");
    assert_eq!(f["excluded"]["no_consent"], 6, "{f}");
    assert_eq!(f["excluded"]["opted_out"], 1, "{f}");
    assert_eq!(f["sent"], 29, "{f}");
    assert_eq!(f["failed"], 0, "{f}");
    assert_eq!(f["segments"], 29, "{f}");
    let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    for (v, n) in &by_variant {
        assert_eq!(c["figures"]["variants"][v]["sent"], *n, "variant {v}: {c}");
    }
    // Rates as the guides define them, from the same counts.
    let delivered = f["delivered"].as_u64().unwrap();
    if delivered > 0 {
        let rate = f["opt_out_rate"].as_f64().unwrap();
        assert!((rate - 1.0 / delivered as f64).abs() < 1e-9, "{f}");
    }
}

#[test]
fn a_survey_campaign_counts_the_votes_its_messages_receive() {
    let s = Sim::start(1, 20);
    let cfg = config(&s);
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(1);
    let phones = contacts(&g, 5, 0);
    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "Open day", "audience": {"contacts": phones},
                    "variants": [{"text": "Open day on Friday: will you come? Reply 1 for yes, 2 for no"}],
                    "survey": {"options": {"1": "Yes", "2": "No"}}})),
    );
    assert_eq!(code, 201, "{c}");
    assert_eq!(c["survey"]["options"]["1"], "Yes", "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (code, started) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{started}");
    let survey = started["survey_id"]
        .as_str()
        .expect("a started survey campaign has its survey")
        .to_string();
    wait_status(&g, &id, "completed", Duration::from_secs(60));
    for (p, vote) in phones.iter().zip(["1", "2", "1", "maybe"]) {
        s.post("/modems/0/sms", json!({"from": p, "text": vote}));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let f = loop {
        let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
        let f = c["figures"]["overall"].clone();
        if f["replies"] == 4 {
            break f;
        }
        assert!(Instant::now() < deadline, "replies not attributed: {c}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(f["votes"], json!({"1": 2, "2": 1}), "{f}");
    let (code, sv) = g.call("GET", &format!("/v1/surveys/{survey}"), None);
    assert_eq!(code, 200, "{sv}");
    assert_eq!(sv["results"]["1"]["votes"], 2, "{sv}");
    assert_eq!(sv["results"]["2"]["votes"], 1, "{sv}");
    // A survey that cannot work is refused before anything is stored.
    let (code, e) = g.call(
        "POST",
        "/v1/campaigns",
        Some(
            json!({"name": "x", "audience": {"contacts": phones}, "variants": [{"text": "?"}],
                    "survey": {"options": {"only one": "x"}}}),
        ),
    );
    assert_eq!(code, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("survey.options"),
        "{e}"
    );
}

#[test]
fn the_preview_splits_the_variants_as_the_start_does() {
    let s = Sim::start(1, 20);
    let cfg = config(&s);
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(1);
    let phones = contacts(&g, 7, 2);
    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(
            json!({"name": "Split", "audience": {"contacts": phones}, "start_at": "2099-01-01T09:00:00Z",
                    "variants": [{"name": "A", "text": "Hi {{ name }} A", "weight": 3},
                                 {"name": "B", "text": "Hi {{ name }} B", "weight": 4}]}),
        ),
    );
    assert_eq!(code, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (code, p) = g.call("GET", &format!("/v1/campaigns/{id}/preview"), None);
    assert_eq!(code, 200, "{p}");
    // Exactly by weight: 3 and 4 of the 7 who may receive it.
    assert_eq!(p["variants"]["A"]["count"], 3, "{p}");
    assert_eq!(p["variants"]["B"]["count"], 4, "{p}");
    let db = s.dir.path().join("db.sqlite");
    let (code, started) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"start_at": null})),
    );
    assert_eq!(code, 200, "{started}");
    let (code, started) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{started}");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let pending_by_variant: BTreeMap<String, i64> = conn
        .prepare(
            "SELECT variant, count(*) FROM campaign_recipients WHERE campaign_id = ?1 AND reason IS NULL GROUP BY variant",
        )
        .unwrap()
        .query_map([id.parse::<i64>().unwrap()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        pending_by_variant,
        BTreeMap::from([("A".into(), 3), ("B".into(), 4)])
    );
}
