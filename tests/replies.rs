//! What comes back, end to end: the real daemon (`simfleet serve`) over
//! simulated modems (`simfleet sim`), replies injected the way a network
//! delivers them. Opt-outs, reassembly across a restart, surveys, delivery
//! reports and webhooks.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

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

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn inbox(g: &Gateway) -> Vec<Value> {
    g.call("GET", "/v1/inbox?limit=1000", None).1["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Injects a text and waits until the gateway stored it.
fn reply(s: &Sim, g: &Gateway, modem: usize, from: &str, text: &str) {
    let before = inbox(g).len();
    s.post(
        &format!("/modems/{modem}/sms"),
        json!({"from": from, "text": text}),
    );
    wait_for("the reply to be stored", 30, || {
        (inbox(g).len() > before).then_some(())
    });
}

#[test]
fn a_stop_while_a_campaign_is_queued_stops_it_and_is_confirmed_once() {
    let s = Sim::start(1, 100);
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "[optout]\nconfirmation = \"Отписка оформлена. START - подписаться снова.\"\n",
    ));
    g.wait_ready_modems(1);
    let number = "+79161234567";
    let items: Vec<Value> = (0..100)
        .map(|i| json!({"to": "8 916 123-45-67", "text": format!("Скидка дня №{i}")}))
        .collect();
    let (code, r) = g.call("POST", "/v1/messages/batch", Some(json!({"messages": items})));
    assert_eq!(code, 202, "{r}");
    let ids: Vec<String> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    wait_for("the campaign to start", 10, || {
        (s.ledger().len() >= 3).then_some(())
    });

    s.post("/modems/0/sms", json!({"from": number, "text": "  СТОП."}));
    let optout = wait_for("the opt-out", 15, || {
        let (code, o) = g.call("GET", "/v1/optouts/89161234567", None);
        (code == 200).then_some(o)
    });
    // Seen stored (committed) by now; `at` is when its transaction began.
    let seen_at = Utc::now();
    assert_eq!(optout["source"], "keyword");
    assert_eq!(optout["keyword"], "СТОП.");
    let began_at = time(&optout["at"]);
    // A second STOP is not confirmed again.
    std::thread::sleep(Duration::from_millis(300));
    reply(&s, &g, 0, number, "stop");
    std::thread::sleep(Duration::from_secs(2));

    let ledger = s.ledger();
    let campaign: Vec<&Value> = ledger
        .iter()
        .filter(|e| e["text"].as_str().unwrap_or_default().starts_with("Скидка"))
        .collect();
    // Nothing starts after the opt-out is stored; at most the one send
    // already checked and under way while it was being stored overlaps.
    for e in &campaign {
        assert!(
            time(&e["command_at"]) <= seen_at,
            "campaign message sent after the opt-out was stored: {e}"
        );
    }
    let overlapping = campaign
        .iter()
        .filter(|e| time(&e["command_at"]) > began_at)
        .count();
    assert!(overlapping <= 1, "{overlapping} sends overlapped the opt-out");
    let confirmations: Vec<&Value> = ledger
        .iter()
        .filter(|e| e["text"].as_str().unwrap_or_default().starts_with("Отписка"))
        .collect();
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");
    assert_eq!(confirmations[0]["recipient"], number);

    let mut by_status: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
        *by_status
            .entry(m["status"].as_str().unwrap().to_string())
            .or_default() += 1;
        if m["status"] == "suppressed" {
            let last = m["history"].as_array().unwrap().last().unwrap().clone();
            assert!(last["reason"].as_str().unwrap().contains("opted out"), "{last}");
        }
    }
    assert_eq!(
        by_status.get("sent").copied().unwrap_or(0),
        campaign.len(),
        "{by_status:?}"
    );
    assert_eq!(
        by_status.get("suppressed").copied().unwrap_or(0),
        100 - campaign.len(),
        "{by_status:?}"
    );
    assert!(campaign.len() < 50, "the opt-out came too late to mean anything");

    // Suppressed at enqueue too, visibly, single and batch.
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": number, "text": "one more?"})),
    );
    assert_eq!((code, m["status"].as_str()), (202, Some("suppressed")));
    let (_, b) = g.call(
        "POST",
        "/v1/messages/batch",
        Some(json!({"messages": [{"to": number, "text": "x"}, {"to": "+79160000001", "text": "y"}]})),
    );
    assert_eq!(b["results"][0]["status"], "suppressed");
    assert_eq!(b["results"][1]["status"], "queued");
    let kinds: Vec<Value> = inbox(&g).iter().map(|m| m["kind"].clone()).collect();
    assert_eq!(kinds, [json!("optout"), json!("optout")]);

    // START opts back in; the API can remove and add too.
    reply(&s, &g, 0, number, "Start");
    assert_eq!(g.call("GET", &format!("/v1/optouts/{number}"), None).0, 404);
    let (code, o) = g.call(
        "POST",
        "/v1/optouts",
        Some(json!({"number": "89161234567", "note": "asked by phone"})),
    );
    assert_eq!((code, o["source"].as_str()), (201, Some("api")));
    assert_eq!(
        g.call("POST", "/v1/optouts", Some(json!({"number": number}))).0,
        200
    );
    let (_, list) = g.call("GET", "/v1/optouts", None);
    assert_eq!(list["optouts"].as_array().unwrap().len(), 1);
    assert_eq!(g.call("DELETE", &format!("/v1/optouts/{number}"), None).0, 200);
    assert_eq!(g.call("DELETE", &format!("/v1/optouts/{number}"), None).0, 404);
    assert_eq!(
        g.call("POST", "/v1/optouts", Some(json!({"number": "call me"})))
            .1["error"]["code"],
        "invalid_number"
    );
}

#[test]
fn no_auto_replies_to_robots_and_at_most_a_few_per_day() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "[optout]\nmax_auto_replies_per_day = 2\n",
    ));
    g.wait_ready_modems(1);
    // An alphanumeric sender and a short code asking for HELP get nothing.
    let pdu = |sender: &simfleet::sms::Address, text: &str| {
        let plan = simfleet::sms::plan(text, &Default::default()).unwrap();
        let pdus = simfleet::sms::encode_deliver(None, sender, &plan, Utc::now().fixed_offset(), 1);
        simfleet::sms::hex::encode_hex(&pdus[0])
    };
    let alpha = simfleet::sms::Address {
        kind: simfleet::sms::AddressKind::Alphanumeric,
        value: "BANK".into(),
        toa: 0xD0,
    };
    s.post("/modems/0/sms", json!({"pdus": [pdu(&alpha, "HELP")]}));
    reply(&s, &g, 0, "900", "HELP");
    // A person asking four times gets two answers. (Four different texts:
    // the same PDU offered twice is one message, stored once.)
    for text in ["help", "help?", "Help", "HELP!"] {
        reply(&s, &g, 0, "+79161112233", text);
    }
    std::thread::sleep(Duration::from_secs(1));
    let sent: Vec<Value> = s.ledger();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|e| e["recipient"] == "+79161112233"));
    let senders: Vec<Value> = inbox(&g).iter().map(|m| m["from"].clone()).collect();
    assert_eq!(senders[0], "BANK");
    assert_eq!(senders[1], "900");
}

#[test]
fn a_long_reply_arriving_out_of_order_across_a_restart_is_joined() {
    let s = Sim::start(1, 10);
    let config = write_config(s.dir.path(), free_port(), "");
    let mut g = Gateway::start(&config);
    g.wait_ready_modems(1);
    let text = "Здравствуйте! Спасибо за напоминание о приёме. К сожалению, в четверг я не смогу прийти: \
                уезжаю к дочери в город. Можно ли перенести визит на следующую неделю, лучше на вторник \
                или среду после обеда? Если нужно, могу приехать и в пятницу утром. С уважением, Анна Петровна.";
    let plan = simfleet::sms::plan(text, &Default::default()).unwrap();
    let sender = simfleet::sms::Address::parse_number("+79035551234").unwrap();
    let pdus: Vec<String> =
        simfleet::sms::encode_deliver(None, &sender, &plan, Utc::now().fixed_offset(), 0xBEEF)
            .iter()
            .map(|p| simfleet::sms::hex::encode_hex(p))
            .collect();
    assert!(pdus.len() >= 4, "{} parts", pdus.len());
    let n = pdus.len();
    let drained = |s: &Sim| {
        let m = &s.get("/modems")[0];
        (m["stored"] == 0 && m["queued_at_network"] == 0).then_some(())
    };
    // The last part and the first arrive, are stored and deleted from the SIM...
    s.post("/modems/0/sms", json!({"pdus": [pdus[n - 1], pdus[0]]}));
    wait_for("the SIM to be emptied", 15, || drained(&s));
    assert!(inbox(&g).is_empty(), "a part shown as a message");
    // ...the gateway dies...
    g.kill9();
    let g = Gateway::start(&config);
    g.wait_ready_modems(1);
    // ...and the rest arrive, backwards.
    let rest: Vec<&String> = pdus[1..n - 1].iter().rev().collect();
    s.post("/modems/0/sms", json!({"pdus": rest}));
    let msgs = wait_for("the whole message", 15, || {
        let m = inbox(&g);
        (!m.is_empty()).then_some(m)
    });
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0]["text"], text);
    assert_eq!(msgs[0]["from"], "+79035551234");
    assert_eq!(msgs[0]["parts"], n as u64);
    assert_eq!(msgs[0]["incomplete"], false);
    wait_for("the SIM to be emptied", 15, || drained(&s));
}

#[test]
fn a_survey_counts_valid_votes_once_and_nothing_else() {
    let s = Sim::start(2, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(2);
    for m in 0..2 {
        s.post(
            &format!("/modems/{m}/faults"),
            json!({"report_delay_ms": 10, "report_status": 0}),
        );
    }
    let numbers: Vec<String> = (0..50).map(|i| format!("+7916555{i:04}")).collect();
    let (code, created) = g.call(
        "POST",
        "/v1/surveys",
        Some(json!({
            "question": "Did the nurse visit you this week?",
            "options": {"1": "Yes", "2": "No"},
            "recipients": numbers,
            "count": "first",
            "invalid_reply": "Please reply 1 for Yes or 2 for No.",
        })),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["messages"], 50);
    let id = created["id"].as_str().unwrap().to_string();
    let survey = |g: &Gateway| g.call("GET", &format!("/v1/surveys/{id}"), None).1;
    wait_for("the question to be delivered to all", 60, || {
        (survey(&g)["delivered"] == 50).then_some(())
    });
    let asked: Vec<Value> = s.ledger();
    assert_eq!(asked.len(), 50);
    assert_eq!(
        asked[0]["text"],
        "Did the nurse visit you this week?\n1 - Yes, 2 - No"
    );

    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    // 0..20: a valid vote in one of the accepted forms.
    let forms = ["1", " 1.", "1)", "#1", "yes", "2", "No!", "#2", "2)", " no "];
    for (i, n) in numbers.iter().enumerate().take(20) {
        let form = forms[i % forms.len()];
        reply(&s, &g, i % 2, n, form);
        *expected
            .entry(if i % forms.len() < 5 { "1" } else { "2" })
            .or_default() += 1;
    }
    // 20..25: vote twice; the first counts.
    for n in &numbers[20..25] {
        reply(&s, &g, 0, n, "1");
        reply(&s, &g, 0, n, "2");
        *expected.entry("1").or_default() += 1;
    }
    // 25..30: an invalid reply (clarified once, even when repeated), then a vote.
    for n in &numbers[25..30] {
        reply(&s, &g, 1, n, "maybe tomorrow");
        reply(&s, &g, 1, n, "what?");
        reply(&s, &g, 1, n, "2");
        *expected.entry("2").or_default() += 1;
    }
    // 30: STOP is an opt-out, never a vote.
    reply(&s, &g, 0, &numbers[30], "STOP");
    // Someone never asked.
    reply(&s, &g, 0, "+79990001122", "1");
    // Closed; then late votes.
    assert_eq!(g.call("POST", &format!("/v1/surveys/{id}/close"), None).0, 200);
    for n in &numbers[31..36] {
        reply(&s, &g, 0, n, "1");
    }

    let r = survey(&g);
    assert_eq!(r["status"], "closed");
    assert_eq!(r["recipients"], 50);
    assert_eq!(r["delivered"], 50);
    assert_eq!(r["results"]["1"]["label"], "Yes");
    assert_eq!(r["results"]["1"]["votes"], expected["1"], "{r}");
    assert_eq!(r["results"]["2"]["votes"], expected["2"], "{r}");
    assert_eq!(r["responded"], 30);
    assert_eq!(r["response_rate"], 0.6);
    let votes = g.call("GET", &format!("/v1/surveys/{id}/votes"), None).1;
    let votes = votes["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 30);
    let v20 = votes.iter().find(|v| v["number"] == numbers[20]).unwrap();
    assert_eq!(
        (v20["answer"].as_str(), v20["label"].as_str()),
        (Some("1"), Some("Yes"))
    );
    // One clarification per confused voter, none to anybody else.
    std::thread::sleep(Duration::from_secs(1));
    let clarifications: Vec<Value> = s
        .ledger()
        .into_iter()
        .filter(|e| e["text"] == "Please reply 1 for Yes or 2 for No.")
        .map(|e| e["recipient"].clone())
        .collect();
    let mut want: Vec<Value> = numbers[25..30].iter().map(|n| json!(n)).collect();
    let mut got = clarifications.clone();
    want.sort_by_key(|v| v.to_string());
    got.sort_by_key(|v| v.to_string());
    assert_eq!(got, want);
    assert_eq!(g.call("GET", "/v1/surveys/999", None).0, 404);
    let (code, e) = g.call(
        "POST",
        "/v1/surveys",
        Some(json!({"question": "?", "options": {"1": "Yes"}, "recipients": ["+79161234567"]})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_options"))
    );
    let (code, e) = g.call(
        "POST",
        "/v1/surveys",
        Some(json!({"question": "?", "options": {"1": "Yes", "2": "No"}, "recipients": ["+79161234567", "nobody"]})),
    );
    assert_eq!((code, e["error"]["code"].as_str()), (422, Some("invalid_number")));
    assert!(e["error"]["message"].as_str().unwrap().contains("recipients[1]"));
}

#[test]
fn delivery_reports_make_messages_delivered_or_failed() {
    let s = Sim::start(2, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(2);
    s.post(
        "/modems/0/faults",
        json!({"report_delay_ms": 50, "report_status": 0}),
    );
    // 0x41: incompatible destination, a permanent failure.
    s.post(
        "/modems/1/faults",
        json!({"report_delay_ms": 50, "report_status": 0x41}),
    );
    let mut ids = Vec::new();
    for i in 0..8 {
        let text = if i % 2 == 0 {
            "short".to_string()
        } else {
            "long ".repeat(60)
        };
        let (code, m) = g.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": format!("+7916777{i:04}"), "text": text, "status_report": true})),
        );
        assert_eq!(code, 202);
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    let done = wait_for("final statuses", 30, || {
        let all: Vec<Value> = ids
            .iter()
            .map(|id| g.call("GET", &format!("/v1/messages/{id}"), None).1)
            .collect();
        all.iter()
            .all(|m| m["status"] == "delivered" || m["status"] == "failed")
            .then_some(all)
    });
    let ledger = s.ledger();
    for m in &done {
        let modem = ledger.iter().find(|e| e["recipient"] == m["to"]).unwrap()["modem"]
            .as_u64()
            .unwrap();
        if modem == 0 {
            assert_eq!(m["status"], "delivered", "{m}");
            assert!(m["delivered_at"].is_string());
        } else {
            assert_eq!(m["status"], "failed", "{m}");
            assert!(m["error"].as_str().unwrap().contains("0x41"), "{m}");
        }
    }
    let text = common::http("GET", &format!("{}/metrics", g.base), Some(&g.token), None).1;
    let text = text.as_str().unwrap();
    assert!(text.contains("simfleet_delivery_rate{imsi=\"\"}"), "{text}");
    let rate: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("simfleet_delivery_rate{imsi=\"\"} "))
        .unwrap()
        .parse()
        .unwrap();
    let parts = |modem: u64| ledger.iter().filter(|e| e["modem"] == modem).count() as f64;
    assert!((rate - parts(0) / (parts(0) + parts(1))).abs() < 0.001, "{rate}");
}

/// A webhook receiver that refuses connections until started, then
/// answers 503 for a while, then 200; it records what it accepted.
struct Receiver {
    port: u16,
    accepted: Arc<Mutex<Vec<(String, String, Value)>>>,
    failures_left: Arc<Mutex<u32>>,
}

impl Receiver {
    fn new(failures: u32) -> Receiver {
        Receiver {
            port: free_port(),
            accepted: Arc::default(),
            failures_left: Arc::new(Mutex::new(failures)),
        }
    }

    fn start(&self) {
        use axum::http::{HeaderMap, StatusCode};
        let accepted = self.accepted.clone();
        let failures = self.failures_left.clone();
        let port = self.port;
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = axum::Router::new().route(
                    "/hook",
                    axum::routing::post(move |headers: HeaderMap, body: String| {
                        let accepted = accepted.clone();
                        let failures = failures.clone();
                        async move {
                            {
                                let mut left = failures.lock().unwrap();
                                if *left > 0 {
                                    *left -= 1;
                                    return StatusCode::SERVICE_UNAVAILABLE;
                                }
                            }
                            let sig = headers["x-simfleet-signature"].to_str().unwrap().to_string();
                            let ts = headers["x-simfleet-timestamp"].to_str().unwrap().to_string();
                            let now = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .unwrap()
                                .as_secs() as i64;
                            assert!(
                                simfleet::webhook::sign::verify(
                                    b"0123456789abcdef-secret",
                                    &ts,
                                    body.as_bytes(),
                                    &sig,
                                    now,
                                    300
                                ),
                                "bad signature"
                            );
                            let mut v: Value = serde_json::from_str(&body).unwrap();
                            v["_arrived_ms"] = json!(Utc::now().timestamp_millis());
                            let id = headers["x-simfleet-event-id"].to_str().unwrap().to_string();
                            assert_eq!(v["id"], id.as_str());
                            accepted
                                .lock()
                                .unwrap()
                                .push((id, v["type"].as_str().unwrap().to_string(), v));
                            StatusCode::OK
                        }
                    }),
                );
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
    }
}

#[test]
fn webhooks_arrive_once_per_event_after_the_receiver_was_down() {
    let s = Sim::start(1, 10);
    s.post(
        "/modems/0/faults",
        json!({"report_delay_ms": 20, "report_status": 0}),
    );
    let receiver = Receiver::new(3);
    let config = write_config(
        s.dir.path(),
        free_port(),
        &format!(
            "[[webhook]]\nurl = \"http://127.0.0.1:{}/hook\"\nevents = [\"inbound\", \"status\", \"optout\"]\nsecret = \"0123456789abcdef-secret\"\n",
            receiver.port
        ),
    );
    let mut g = Gateway::start(&config);
    g.wait_ready_modems(1);
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, m) = g.call(
            "POST",
            "/v1/messages",
            Some(
                json!({"to": format!("+7916888{i:04}"), "text": format!("hello {i}"), "status_report": true}),
            ),
        );
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    wait_for("deliveries", 20, || {
        ids.iter()
            .all(|id| g.call("GET", &format!("/v1/messages/{id}"), None).1["status"] == "delivered")
            .then_some(())
    });
    reply(&s, &g, 0, "+79168880000", "STOP please");
    // The receiver was down all along; the gateway restarts meanwhile.
    g.kill9();
    let g = Gateway::start(&config);
    g.wait_ready_modems(1);
    reply(&s, &g, 0, "+79168880001", "thanks!");
    receiver.start();
    // 5 × (sent, delivered) + the opt-out confirmation's one + 2 inbound + 1 opt-out.
    let got = wait_for("all events", 60, || {
        let got = receiver.accepted.lock().unwrap().clone();
        (got.len() >= 14).then_some(got)
    });
    std::thread::sleep(Duration::from_secs(2));
    let got_now = receiver.accepted.lock().unwrap().clone();
    assert_eq!(got_now.len(), got.len(), "more events than expected");
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for (id, _, _) in &got_now {
        *per_id.entry(id).or_default() += 1;
    }
    assert!(per_id.values().all(|&n| n == 1), "an event id arrived twice");
    let count = |t: &str| got_now.iter().filter(|(_, kind, _)| kind == t).count();
    assert_eq!((count("status"), count("inbound"), count("optout")), (11, 2, 1));
    // Per message, sent before delivered.
    for id in &ids {
        let order: Vec<&str> = got_now
            .iter()
            .filter(|(_, k, v)| k == "status" && v["data"]["message_id"] == id.as_str())
            .map(|(_, _, v)| v["data"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["sent", "delivered"], "message {id}");
    }
    let optout = &got_now.iter().find(|(_, k, _)| k == "optout").unwrap().2;
    assert_eq!(optout["data"]["number"], "+79168880000");
    assert_eq!(optout["data"]["opted_out"], true);
    let inbound: Vec<&Value> = got_now
        .iter()
        .filter(|(_, k, _)| k == "inbound")
        .map(|(_, _, v)| v)
        .collect();
    assert_eq!(inbound[0]["data"]["kind"], "optout");
    assert_eq!(inbound[1]["data"]["text"], "thanks!");
}

#[test]
fn an_undecodable_pdu_is_kept_and_shown_before_it_leaves_the_sim() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    // mm pdu3 from +18005551212 with TP-UDL 161 (over the maximum); its
    // first septets read "STOP". Once decoded as garbage (and an opt-out).
    let stop = "53EA130A"; // "STOP" packed (4 septets)
    let hex = format!(
        "07912143658709F1040B918100551512F2000011101021436500A1{stop}{}",
        "20".repeat(137)
    );
    s.post("/modems/0/sms", json!({"pdus": [hex]}));
    let m = wait_for("the undecodable PDU in the inbox", 30, || {
        inbox(&g).into_iter().next()
    });
    assert_eq!(m["undecodable"], true);
    assert_eq!(m["pdu"], hex.as_str());
    assert_eq!(
        m["error"],
        "invalid TP-UDL: 161 septets, more than the 160 a message can hold"
    );
    assert_eq!(m["from"], "+18005551212");
    assert_eq!((m["text"].clone(), m["kind"].clone()), (Value::Null, Value::Null));
    // Kept first, then deleted from the SIM; nobody was opted out.
    wait_for("the SIM to be emptied", 10, || {
        (s.get("/modems")[0]["stored"] == 0).then_some(())
    });
    assert_eq!(g.call("GET", "/v1/optouts", None).1["optouts"], json!([]));
    let metrics = metrics(&g);
    assert!(metrics.contains("simfleet_inbox_undecodable 1"), "{metrics}");
}

fn metrics(g: &Gateway) -> String {
    let (_, v) = g.call("GET", "/metrics", None);
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

#[test]
fn opt_out_phrases_opt_out_and_a_stop_elsewhere_waits_for_review() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    reply(&s, &g, 0, "+79161112233", "Opt out please");
    reply(&s, &g, 0, "+79164445566", "Dar de baja, gracias");
    for n in ["+79161112233", "+79164445566"] {
        let (code, o) = g.call("GET", &format!("/v1/optouts/{n}"), None);
        assert_eq!((code, o["source"].as_str()), (200, Some("keyword")), "{n}");
    }
    // Later in the reply: not opted out, waiting for a person.
    reply(&s, &g, 0, "+79161234567", "please stop texting me");
    reply(&s, &g, 0, "+79167778899", "Don't stop, I love these");
    assert_eq!(g.call("GET", "/v1/optouts/+79161234567", None).0, 404);
    let (code, list) = g.call("GET", "/v1/optouts/review", None);
    assert_eq!(code, 200);
    let reviews = list["reviews"].as_array().unwrap().clone();
    assert_eq!(reviews.len(), 2, "{list}");
    assert_eq!(reviews[0]["number"], "+79161234567");
    assert_eq!(reviews[0]["text"], "please stop texting me");
    assert_eq!(reviews[0]["keyword"], "STOP");
    assert!(reviews[0]["received_at"].is_string() && reviews[0]["decision"].is_null());
    let stored = inbox(&g);
    let asked = stored.iter().find(|m| m["from"] == "+79161234567").unwrap();
    assert_eq!(asked["id"], reviews[0]["inbox_id"]);
    assert_eq!(asked["kind"], "optout_review");
    assert!(metrics(&g).contains("simfleet_optout_reviews_pending 2"));

    let path = |r: &Value| format!("/v1/optouts/review/{}", r["id"].as_str().unwrap());
    let (code, e) = g.call("POST", &path(&reviews[0]), Some(json!({"action": "maybe"})));
    assert_eq!((code, e["error"]["code"].as_str()), (422, Some("invalid_action")));
    let (code, done) = g.call("POST", &path(&reviews[0]), Some(json!({"action": "opt_out"})));
    assert_eq!(code, 200, "{done}");
    assert_eq!(done["review"]["decision"], "opt_out");
    assert_eq!(done["optout"]["source"], "review");
    assert_eq!(done["optout"]["keyword"], "please stop texting me");
    let (code, e) = g.call("POST", &path(&reviews[0]), Some(json!({"action": "dismiss"})));
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (409, Some("already_resolved"))
    );
    let (code, done) = g.call("POST", &path(&reviews[1]), Some(json!({"action": "dismiss"})));
    assert_eq!((code, done["optout"].clone()), (200, Value::Null));
    assert_eq!(g.call("GET", "/v1/optouts/+79167778899", None).0, 404);
    let (code, o) = g.call("GET", "/v1/optouts/+79161234567", None);
    assert_eq!((code, o["source"].as_str()), (200, Some("review")));
    assert_eq!(g.call("GET", "/v1/optouts/review", None).1["reviews"], json!([]));
    assert!(metrics(&g).contains("simfleet_optout_reviews_pending 0"));
    let (code, e) = g.call(
        "POST",
        "/v1/optouts/review/999",
        Some(json!({"action": "dismiss"})),
    );
    assert_eq!((code, e["error"]["code"].as_str()), (404, Some("not_found")));
    // Nothing is sent to the reviewed number afterwards.
    let (_, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "promo"})),
    );
    assert_eq!(m["status"], "suppressed");
}

#[test]
fn a_reply_starting_with_an_opt_out_word_that_says_more_waits_for_review_unconfirmed() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let said = [
        ("+79160000001", "End of the week is fine", "END"),
        ("+79160000002", "Stop by tomorrow?", "STOP"),
        ("+79160000003", "can you opt me out", "OPT OUT"),
    ];
    for (n, text, _) in said {
        reply(&s, &g, 0, n, text);
    }
    reply(&s, &g, 0, "+79160000004", "Stop texting me, thanks");
    let (code, o) = g.call("GET", "/v1/optouts/+79160000004", None);
    assert_eq!((code, o["source"].as_str()), (200, Some("keyword")));
    let reviews = g.call("GET", "/v1/optouts/review", None).1["reviews"].clone();
    for (i, (n, text, keyword)) in said.iter().enumerate() {
        assert_eq!(g.call("GET", &format!("/v1/optouts/{n}"), None).0, 404, "{text}");
        assert_eq!(
            (&reviews[i]["number"], &reviews[i]["text"], &reviews[i]["keyword"]),
            (&json!(n), &json!(text), &json!(keyword)),
            "{reviews}"
        );
    }
    assert_eq!(reviews.as_array().map(Vec::len), Some(3), "{reviews}");
    // One confirmation, to the one opt-out; nothing to the others.
    let sent = g.call("GET", "/v1/messages?limit=1000", None).1["messages"].clone();
    let to: Vec<&str> = sent
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["to"].as_str())
        .collect();
    assert_eq!(to, ["+79160000004"], "{sent}");
}

#[test]
fn direct_status_reports_without_an_smsc_field_are_applied() {
    // A modem that cannot store reports and prints +CDS with the TPDU only.
    let s = Sim::start(1, 10);
    s.post(
        "/modems/0/faults",
        json!({"report_delay_ms": 20, "direct_reports": true, "cds_without_smsc": true}),
    );
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let (_, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "hello", "status_report": true})),
    );
    let id = m["id"].as_str().unwrap().to_string();
    wait_for("the delivery report", 20, || {
        (g.call("GET", &format!("/v1/messages/{id}"), None).1["status"] == "delivered").then_some(())
    });
    assert_eq!(s.get("/modems")[0]["counters"]["reports"], 1);
    assert!(inbox(&g).is_empty(), "{:?}", inbox(&g));
}

#[test]
fn every_event_is_posted_within_a_second_while_clients_poll_the_api() {
    let s = Sim::start(2, 10);
    let receiver = Receiver::new(0);
    receiver.start();
    let config = write_config(
        s.dir.path(),
        free_port(),
        &format!(
            "[[webhook]]\nurl = \"http://127.0.0.1:{}/hook\"\nevents = [\"status\"]\nsecret = \"0123456789abcdef-secret\"\n",
            receiver.port
        ),
    );
    let g = Gateway::start(&config);
    g.wait_ready_modems(2);
    // Ten clients reading the API continuously, for at most 60 s.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..10)
        .map(|i| {
            let (base, token, stop) = (g.base.clone(), g.token.clone(), stop.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let http = reqwest::Client::new();
                    let deadline = Instant::now() + Duration::from_secs(60);
                    let path = if i % 2 == 0 {
                        "/v1/messages?limit=20"
                    } else {
                        "/v1/modems"
                    };
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                        let _ = http
                            .get(format!("{base}{path}"))
                            .bearer_auth(&token)
                            .timeout(Duration::from_secs(5))
                            .send()
                            .await;
                        // Busy clients, not a load test: ~50 requests a second each.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                });
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut ids = Vec::new();
    for round in 0..6 {
        let items: Vec<Value> = (0..10)
            .map(|i| json!({"to": format!("+7916777{round}{i:03}"), "text": format!("burst {round} {i}")}))
            .collect();
        let (code, r) = g.call("POST", "/v1/messages/batch", Some(json!({"messages": items})));
        assert_eq!(code, 202, "{r}");
        for m in r["results"].as_array().unwrap() {
            ids.push(m["id"].as_str().unwrap().to_string());
        }
        // Longer than the bound: a lost wake-up is not hidden by the next burst.
        std::thread::sleep(Duration::from_millis(1500));
    }
    // Every message's "sent" event, the last of the burst included.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for("a sent event for every message", 30, || {
            let got = receiver.accepted.lock().unwrap().clone();
            let posted: Vec<&str> = got
                .iter()
                .filter_map(|(_, _, v)| v["data"]["message_id"].as_str())
                .collect();
            ids.iter().all(|id| posted.contains(&id.as_str())).then_some(())
        })
    }));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for p in pollers {
        p.join().unwrap();
    }
    let got = receiver.accepted.lock().unwrap().clone();
    assert!(
        result.is_ok(),
        "events never posted; got {} of {}",
        got.len(),
        ids.len()
    );
    let late: Vec<String> = got
        .iter()
        .filter_map(|(_, _, v)| {
            let created = time(&v["created_at"]).timestamp_millis();
            let waited = v["_arrived_ms"].as_i64().unwrap() - created;
            (waited > 1000).then(|| format!("{} after {waited} ms", v["data"]["message_id"]))
        })
        .collect();
    assert!(late.is_empty(), "posted late: {late:?}");
}

#[test]
fn events_written_by_an_import_beside_the_daemon_are_posted_at_once() {
    let s = Sim::start(1, 10);
    let receiver = Receiver::new(0);
    receiver.start();
    let config = write_config(
        s.dir.path(),
        free_port(),
        &format!(
            "[[webhook]]\nurl = \"http://127.0.0.1:{}/hook\"\nevents = [\"optout\"]\nsecret = \"0123456789abcdef-secret\"\n",
            receiver.port
        ),
    );
    let g = Gateway::start(&config);
    g.wait_ready_modems(1);
    let csv = s.dir.path().join("stop.csv");
    std::fs::write(&csv, "number\n+79164700001\n+79164700002\n+79164700003\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "import"])
        .arg(&csv)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Another process wrote them: the daemon's own hook never saw them.
    let got = wait_for("the imported opt-outs' events", 10, || {
        let got = receiver.accepted.lock().unwrap().clone();
        (got.len() >= 3).then_some(got)
    });
    for (_, _, v) in &got {
        let waited = v["_arrived_ms"].as_i64().unwrap() - time(&v["created_at"]).timestamp_millis();
        assert!(waited <= 1000, "posted {waited} ms after it was stored: {v}");
    }
    drop(g);
}
