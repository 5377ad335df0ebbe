//! Double opt-in and consent for marketing, end to end: the real daemon
//! (`simfleet serve`) over simulated modems (`simfleet sim`), replies
//! injected the way a network delivers them, what reaches the network read
//! from the simulator's ledger. Contacts are read (and, where the issue's
//! API is not needed, written) through the store beside the daemon, as
//! `simfleet contacts import` would.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};
use simfleet::contacts::{self, Consent, ConsentStatus, Contact, ContactChanges, ContactRules};
use simfleet::phone::Msisdn;
use simfleet::store::{ContactKey, Store};

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

fn inbox(g: &Gateway) -> Vec<Value> {
    g.call("GET", "/v1/inbox?limit=1000", None).1["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Injects a text and waits until the gateway stored (and handled) it: it
/// is read in the transaction that stores it.
fn reply(s: &Sim, g: &Gateway, from: &str, text: &str) -> Value {
    let before = inbox(g).len();
    s.post("/modems/0/sms", json!({"from": from, "text": text}));
    wait_for("the reply to be stored", 30, || {
        let all = inbox(g);
        (all.len() > before).then(|| all[before].clone())
    })
}

/// The texts that reached the network for `number`, parts joined in order.
fn received(s: &Sim, number: &str) -> String {
    s.ledger()
        .iter()
        .filter(|e| e["recipient"] == number)
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

fn messages(g: &Gateway) -> Vec<Value> {
    g.call("GET", "/v1/messages?limit=1000", None).1["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn store(s: &Sim) -> Store {
    Store::open(&s.dir.path().join("db.sqlite")).unwrap()
}

fn contact(db: &Store, number: &str) -> Option<Contact> {
    db.contact(&ContactKey::Phone(number.into())).unwrap()
}

fn save(db: &Store, number: &str, status: ConsentStatus) -> i64 {
    let changes = ContactChanges {
        consent: Some(Consent {
            status,
            source: Some("web form".into()),
            evidence: Some("ticked \"send me offers\"".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let rules = ContactRules::defaults("RU".parse().unwrap());
    beside_the_daemon(|| {
        db.write(now(), |tx| {
            contacts::save(tx, &rules, &Msisdn::from_canonical(number), &changes)
        })
        .map(|u| u.id)
        .map_err(|e| e.to_string())
    })
}

/// A write beside the daemon: a transaction that read before the daemon
/// wrote cannot upgrade (SQLite answers busy at once); tried again, a few
/// times.
fn beside_the_daemon<T>(mut f: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..50 {
        match f() {
            Ok(v) => return v,
            Err(e) if e.contains("locked") || e.contains("busy") => {
                last = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("still busy: {last}")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn marketing(g: &Gateway, to: &str, text: &str) -> (u16, Value) {
    g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": to, "text": text, "category": "marketing"})),
    )
}

fn start(sim: &Sim, extra: &str) -> Gateway {
    let g = Gateway::start(&write_config(sim.dir.path(), free_port(), extra));
    g.wait_ready_modems(1);
    g
}

#[test]
fn join_then_yes_makes_an_opted_in_contact_with_the_exchange_as_evidence() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let number = "+79161234567";

    let join = reply(&s, &g, number, "Join please!");
    assert_eq!(join["kind"], "join");
    let request = wait_for("the confirmation request", 15, || {
        let got = received(&s, number);
        (!got.is_empty()).then_some(got)
    });
    // JOIN is English: the default text.
    assert_eq!(
        request,
        "Reply YES to receive our news and offers by SMS. Reply STOP to opt out."
    );
    let c = contact(&db, number).expect("the join made a contact");
    assert_eq!(c.consent.status, ConsentStatus::Pending);
    assert_eq!(c.consent.source.as_deref(), Some("keyword JOIN"));
    assert_eq!(c.language.as_deref(), Some("en"));

    // No marketing reaches a pending contact.
    let (code, r) = marketing(&g, "8 916 123-45-67", "Sale today");
    assert_eq!(code, 422, "{r}");
    assert_eq!(r["error"]["code"], "no_consent");
    let why = r["error"]["message"].as_str().unwrap();
    assert!(why.contains("consent pending: waiting for contact"), "{why}");

    // A sentence that merely starts with yes is not consent.
    let q = reply(&s, &g, number, "Yes but who is this?");
    assert_ne!(q["kind"], "consent");
    assert_eq!(
        contact(&db, number).unwrap().consent.status,
        ConsentStatus::Pending
    );
    // Nor is a second JOIN a second request.
    reply(&s, &g, number, "JOIN");
    let requests = messages(&g)
        .iter()
        .filter(|m| m["to"] == number && m["text"] == request)
        .count();
    assert_eq!(requests, 1, "exactly one request");

    let yes = reply(&s, &g, number, "yes please");
    assert_eq!(yes["kind"], "consent");
    let c = contact(&db, number).unwrap();
    assert_eq!(c.consent.status, ConsentStatus::OptedIn);
    assert_eq!(c.consent.source.as_deref(), Some("double opt-in (keyword JOIN)"));
    let evidence = c.consent.evidence.unwrap();
    let request_id = messages(&g).iter().find(|m| m["text"] == request).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for part in [
        format!("(inbox {}): \"Join please!\"", join["id"].as_str().unwrap()),
        format!("(message {request_id}): \"{request}\""),
        format!("(inbox {}): \"yes please\"", yes["id"].as_str().unwrap()),
    ] {
        assert!(evidence.contains(&part), "{part:?} not in {evidence:?}");
    }
    wait_for("the welcome", 15, || {
        received(&s, number)
            .ends_with("You are subscribed. Reply STOP to opt out.")
            .then_some(())
    });

    // Now marketing goes, and says so.
    let (code, r) = marketing(&g, number, "Sale today");
    assert_eq!(code, 202, "{r}");
    let id = r["id"].as_str().unwrap();
    let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
    assert_eq!(m["category"], "marketing");
    wait_for("the offer", 15, || {
        received(&s, number).ends_with("Sale today").then_some(())
    });

    // Consent withdrawn (by the business, say): a later YES — to a survey,
    // to anything — does not bring it back.
    save(&db, number, ConsentStatus::None);
    let r = reply(&s, &g, number, "Yes");
    assert_ne!(r["kind"], "consent");
    assert_eq!(contact(&db, number).unwrap().consent.status, ConsentStatus::None);
    assert_eq!(marketing(&g, number, "Sale today").0, 422);
}

#[test]
fn russian_join_is_asked_in_russian_and_da_confirms() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let number = "+79031112233";
    reply(&s, &g, number, "  Подписка.");
    wait_for("the Russian request", 15, || {
        received(&s, number)
            .starts_with("Ответьте ДА, чтобы получать")
            .then_some(())
    });
    assert_eq!(contact(&db, number).unwrap().language.as_deref(), Some("ru"));
    let r = reply(&s, &g, number, "Да!");
    assert_eq!(r["kind"], "consent");
    let c = contact(&db, number).unwrap();
    assert_eq!(c.consent.status, ConsentStatus::OptedIn);
    assert!(c.consent.evidence.unwrap().ends_with("\"Да!\""));
    wait_for("the Russian welcome", 15, || {
        received(&s, number)
            .ends_with("Вы подписаны. Ответьте СТОП, чтобы отказаться.")
            .then_some(())
    });
}

#[test]
fn yes_from_a_number_that_is_not_pending_is_a_vote_not_consent() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let voter = "+79165550001";
    let joiner = "+79165550002";
    reply(&s, &g, joiner, "JOIN");
    wait_for("the request", 15, || {
        (!received(&s, joiner).is_empty()).then_some(())
    });
    let (code, created) = g.call(
        "POST",
        "/v1/surveys",
        Some(
            json!({"question": "Did the nurse visit you?", "options": {"1": "Yes", "2": "No"},
                    "recipients": [voter, joiner]}),
        ),
    );
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    wait_for("the question", 15, || {
        received(&s, voter).starts_with("Did the nurse").then_some(())
    });
    wait_for("the question", 15, || {
        received(&s, joiner).contains("Did the nurse").then_some(())
    });

    // Not pending: YES is a vote, and no consent is made of it.
    let r = reply(&s, &g, voter, "YES");
    assert_eq!(r["kind"], "vote");
    assert!(contact(&db, voter).is_none(), "a YES makes no contact");
    // Pending with an open survey: consent first.
    let r = reply(&s, &g, joiner, "yes");
    assert_eq!(r["kind"], "consent");
    assert_eq!(
        contact(&db, joiner).unwrap().consent.status,
        ConsentStatus::OptedIn
    );
    let votes = g.call("GET", &format!("/v1/surveys/{id}/votes"), None).1;
    let votes = votes["votes"].as_array().cloned().unwrap_or_default();
    assert_eq!(votes.len(), 1, "{votes:?}");
    assert_eq!(votes[0]["number"], voter);
    // A stranger's YES: nothing at all.
    let r = reply(&s, &g, "+79165550003", "Yes");
    assert!(r["kind"].is_null(), "{r}");
    assert!(contact(&db, "+79165550003").is_none());
}

#[test]
fn consent_withdrawn_between_enqueue_and_claim_suppresses_the_offer() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let number = "+79161230000";
    save(&db, number, ConsentStatus::OptedIn);
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (code, r) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": number, "text": "Offer", "category": "marketing", "send_at": at.to_rfc3339()})),
    );
    assert_eq!(code, 202, "{r}");
    assert_eq!(r["status"], "scheduled");
    let id = r["id"].as_str().unwrap().to_string();
    save(&db, number, ConsentStatus::None);
    let m = wait_for("the offer to be suppressed", 20, || {
        let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
        (m["status"] == "suppressed").then_some(m)
    });
    let error = m["error"].as_str().unwrap();
    assert!(
        error.contains("has not consented to marketing (consent none)"),
        "{error}"
    );
    assert!(received(&s, number).is_empty());
}

#[test]
fn an_opted_out_contact_gets_no_marketing_even_erased_and_re_created_until_it_joins() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let number = "+79161239999";
    save(&db, number, ConsentStatus::OptedIn);
    reply(&s, &g, number, "STOP");
    wait_for("the opt-out confirmation", 15, || {
        (!received(&s, number).is_empty()).then_some(())
    });
    let refused = |g: &Gateway| {
        let (code, r) = marketing(g, number, "Offer");
        assert_eq!(code, 422, "{r}");
        assert_eq!(r["error"]["code"], "no_consent");
        r["error"]["message"].as_str().unwrap().to_string()
    };
    assert!(refused(&g).contains("recipient opted out (replied \"STOP\""));
    // Erased: personal data gone, the opt-out stays.
    assert!(beside_the_daemon(|| {
        db.write(now(), |tx| tx.erase_contact(&ContactKey::Phone(number.into())))
            .map_err(|e| e.to_string())
    }));
    assert!(refused(&g).contains("opted out"));
    // Re-created pending (an import, say): its request is suppressed, and
    // marketing still refused.
    let id = save(&db, number, ConsentStatus::Pending);
    assert!(refused(&g).contains("opted out"));
    let request = messages(&g)
        .into_iter()
        .find(|m| m["to"] == number && m["text"].as_str().unwrap().starts_with("Reply YES"))
        .expect("the request was recorded");
    assert_eq!(request["status"], "suppressed");
    let before = received(&s, number);
    // The person texts JOIN: an explicit request, which lifts the opt-out
    // (as START does) and asks again since the first request never went.
    let r = reply(&s, &g, number, "join");
    assert_eq!(r["kind"], "join");
    wait_for("a request that goes", 15, || {
        received(&s, number)[before.len()..]
            .starts_with("Reply YES")
            .then_some(())
    });
    assert_eq!(g.call("GET", &format!("/v1/optouts/{number}"), None).0, 404);
    assert_eq!(contact(&db, number).unwrap().id, id);
    reply(&s, &g, number, "Y");
    assert_eq!(
        contact(&db, number).unwrap().consent.status,
        ConsentStatus::OptedIn
    );
    // The suppressed request never went: it does not use up the day's
    // auto-replies (confirmation, request, welcome: 3).
    wait_for("the welcome", 15, || {
        received(&s, number)
            .ends_with("You are subscribed. Reply STOP to opt out.")
            .then_some(())
    });
    assert_eq!(marketing(&g, number, "Welcome back offer").0, 202);
}

#[test]
fn join_and_its_request_count_against_the_auto_reply_cap() {
    let s = Sim::start(1, 10);
    let g = start(&s, "[optout]\nmax_auto_replies_per_day = 1\n");
    let db = store(&s);
    let number = "+79161238888";
    reply(&s, &g, number, "HELP");
    wait_for("the help reply", 15, || {
        (!received(&s, number).is_empty()).then_some(())
    });
    // A robot answering "JOIN" to whatever it gets: not answered past the cap.
    reply(&s, &g, number, "JOIN");
    assert!(contact(&db, number).is_none(), "nothing changes at the cap");
    assert_eq!(
        messages(&g).iter().filter(|m| m["to"] == number).count(),
        1,
        "only the help reply"
    );
}

#[test]
fn category_is_checked_per_batch_item_and_part_of_the_idempotency_check() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let pending = "+79161237777";
    let opted_in = "+79161236666";
    save(&db, pending, ConsentStatus::Pending);
    save(&db, opted_in, ConsentStatus::OptedIn);
    let (code, r) = g.call(
        "POST",
        "/v1/messages/batch",
        Some(json!({"messages": [
            {"to": pending, "text": "Offer", "category": "marketing"},
            {"to": pending, "text": "Your order is ready"},
            {"to": opted_in, "text": "Offer", "category": "marketing"},
            {"to": "+79161235555", "text": "Offer", "category": "marketing"},
            {"to": opted_in, "text": "Offer", "category": "promo"},
        ]})),
    );
    assert_eq!(code, 202, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results[0]["error"]["code"], "no_consent");
    assert!(
        results[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("consent pending")
    );
    assert_eq!(results[1]["status"], "queued");
    assert_eq!(results[2]["status"], "queued");
    assert_eq!(results[3]["error"]["code"], "no_consent");
    assert!(
        results[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no contact with number +79161235555")
    );
    assert_eq!(results[4]["error"]["code"], "invalid_request");
    let (_, m) = g.call(
        "GET",
        &format!("/v1/messages/{}", results[1]["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(m["category"], "transactional");

    // The same key for the same text, once transactional and once
    // marketing: not the same request.
    let body =
        |category: &str| json!({"to": opted_in, "text": "Hi", "idempotency_key": "k1", "category": category});
    assert_eq!(g.call("POST", "/v1/messages", Some(body("transactional"))).0, 202);
    assert_eq!(g.call("POST", "/v1/messages", Some(body("transactional"))).0, 202);
    let (code, r) = g.call("POST", "/v1/messages", Some(body("marketing")));
    assert_eq!(code, 409, "{r}");
}

/// Waits (at most `secs`) for a request to `number` in the simulator's
/// ledger, with nothing else happening on the gateway.
fn request_reaches_the_network_alone(s: &Sim, number: &str, secs: u64) {
    wait_for("the request to reach the network on its own", secs, || {
        received(s, number).starts_with("Reply YES").then_some(())
    });
}

#[test]
fn a_pending_contact_created_through_the_api_is_asked_at_once() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    // Let the start-up rounds pass: what sends the request must be the API.
    std::thread::sleep(Duration::from_millis(500));
    let number = "+79161110001";
    let (code, r) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": number, "consent": {"status": "pending"}})),
    );
    assert_eq!(code, 201, "{r}");
    request_reaches_the_network_alone(&s, number, 5);
    // Confirmed, its source says where the double opt-in began.
    assert_eq!(reply(&s, &g, number, "yes")["kind"], "consent");
    let c = contact(&store(&s), number).unwrap();
    assert_eq!(c.consent.status, ConsentStatus::OptedIn);
    assert_eq!(c.consent.source.as_deref(), Some("double opt-in (api)"));
    // A PATCH that makes a contact pending asks at once too.
    let other = "+79161110002";
    assert_eq!(
        g.call("POST", "/v1/contacts", Some(json!({"phone": other}))).0,
        201
    );
    std::thread::sleep(Duration::from_millis(300));
    let (code, r) = g.call(
        "PATCH",
        &format!("/v1/contacts/{other}"),
        Some(json!({"consent": {"status": "pending"}})),
    );
    assert_eq!(code, 200, "{r}");
    request_reaches_the_network_alone(&s, other, 5);
}

#[test]
fn a_pending_contact_imported_by_the_cli_beside_the_daemon_is_asked_at_once() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    std::thread::sleep(Duration::from_millis(500));
    let number = "+79161110003";
    let csv = s.dir.path().join("pending.csv");
    std::fs::write(
        &csv,
        format!("phone,consent,consent_source\n{number},pending,shop counter\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["contacts", "import", "--config"])
        .arg(&g.config)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    request_reaches_the_network_alone(&s, number, 5);
}

#[test]
fn contacts_import_help_says_the_config_is_for_the_database() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["contacts", "import", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(!help.contains("API address"), "{help}");
    assert!(help.contains("database"), "{help}");
}

#[test]
fn join_after_stop_asks_again_and_the_yes_is_evidenced_by_the_new_exchange() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let number = "+79161110004";
    let request = "Reply YES to receive our news and offers by SMS. Reply STOP to opt out.";
    reply(&s, &g, number, "JOIN");
    wait_for("the first request", 15, || {
        (received(&s, number) == request).then_some(())
    });
    reply(&s, &g, number, "STOP");
    wait_for("the opt-out confirmation", 15, || {
        (received(&s, number).len() > request.len()).then_some(())
    });
    let before = received(&s, number);
    // Pending with a request sent before the STOP: the join lifts the
    // opt-out and asks again.
    let rejoin = reply(&s, &g, number, "join");
    assert_eq!(rejoin["kind"], "join");
    wait_for("a second request", 15, || {
        (received(&s, number)[before.len()..] == *request).then_some(())
    });
    assert_eq!(g.call("GET", &format!("/v1/optouts/{number}"), None).0, 404);
    let ids: Vec<String> = messages(&g)
        .iter()
        .filter(|m| m["to"] == number && m["text"] == request)
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let yes = reply(&s, &g, number, "YES");
    assert_eq!(yes["kind"], "consent");
    let c = contact(&db, number).unwrap();
    assert_eq!(c.consent.status, ConsentStatus::OptedIn);
    let evidence = c.consent.evidence.unwrap();
    let ids: Vec<i64> = ids.iter().map(|i| i.parse().unwrap()).collect();
    let (old, new) = (ids[0].min(ids[1]), ids[0].max(ids[1]));
    for part in [
        format!("(inbox {}): \"join\"", rejoin["id"].as_str().unwrap()),
        format!("(message {new}): \"{request}\""),
        format!("(inbox {}): \"YES\"", yes["id"].as_str().unwrap()),
    ] {
        assert!(evidence.contains(&part), "{part:?} not in {evidence:?}");
    }
    assert!(
        !evidence.contains(&format!("(message {old})")),
        "the stale request is not the evidence: {evidence}"
    );
    assert_eq!(marketing(&g, number, "Offer").0, 202);
}

#[test]
fn a_join_from_a_short_code_or_an_alphanumeric_sender_is_not_a_join() {
    let s = Sim::start(1, 10);
    let g = start(&s, "");
    let db = store(&s);
    let alpha = simfleet::sms::Address {
        kind: simfleet::sms::AddressKind::Alphanumeric,
        value: "SHOP".into(),
        toa: 0xD0,
    };
    let plan = simfleet::sms::plan("JOIN", &Default::default()).unwrap();
    let pdus = simfleet::sms::encode_deliver(None, &alpha, &plan, chrono::Utc::now().fixed_offset(), 1);
    let before = inbox(&g).len();
    s.post(
        "/modems/0/sms",
        json!({"pdus": [simfleet::sms::hex::encode_hex(&pdus[0])]}),
    );
    let from_alpha = wait_for("the alphanumeric JOIN to be stored", 30, || {
        let all = inbox(&g);
        (all.len() > before).then(|| all[before].clone())
    });
    assert!(from_alpha["kind"].is_null(), "{from_alpha}");
    let from_short_code = reply(&s, &g, "900", "JOIN");
    assert!(from_short_code["kind"].is_null(), "{from_short_code}");
    assert!(contact(&db, "900").is_none());
    assert!(messages(&g).is_empty(), "nothing is sent to either");
}
