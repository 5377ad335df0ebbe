//! Templates through the real binary: save and check, preview over an
//! audience, and the preview's segments and cost against what the
//! simulated network receives when the rendered texts are sent.

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, ledger, write_config};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use simfleet::contacts::{AttrValue, Consent, ConsentStatus, ContactChanges};
use simfleet::store::{NewOptOut, OptOutSource, Store};

const PRICING: &str = "[pricing]\nper_segment = \"0.05\"\ncurrency = \"eur\"\n";

struct Person {
    phone: &'static str,
    name: Option<String>,
    language: Option<&'static str>,
    attrs: Vec<(&'static str, AttrValue)>,
    consent: ConsentStatus,
    tags: Vec<&'static str>,
}

fn person(phone: &'static str, name: &str) -> Person {
    Person {
        phone,
        name: Some(name.to_string()),
        language: Some("en"),
        attrs: Vec::new(),
        consent: ConsentStatus::OptedIn,
        tags: vec!["promo"],
    }
}

/// Writes contacts straight into the gateway's database before it starts.
fn seed(db: &std::path::Path, people: &[Person], opted_out: &[&str]) -> Vec<i64> {
    let store = Store::open(db).unwrap();
    let mut ids = Vec::new();
    for p in people {
        let mut ch = ContactChanges {
            name: Some(p.name.clone()),
            language: Some(p.language.map(str::to_string)),
            tags: Some(p.tags.iter().map(|t| t.to_string()).collect()),
            consent: Some(Consent {
                status: p.consent,
                at: Some(1),
                source: Some("test".into()),
                evidence: Some("web form".into()),
            }),
            ..Default::default()
        };
        for (k, v) in &p.attrs {
            ch.attributes.insert(k.to_string(), Some(v.clone()));
        }
        let u = store
            .write(1, |tx| tx.upsert_contact(p.phone, &ch, Some("Europe/Moscow")))
            .unwrap();
        ids.push(u.id);
    }
    for n in opted_out {
        store
            .write(2, |tx| {
                tx.add_optout(&NewOptOut {
                    number: n,
                    source: OptOutSource::Api,
                    keyword: None,
                    note: None,
                    inbox_id: None,
                })
            })
            .unwrap();
    }
    ids
}

fn wait_sent(g: &Gateway, ids: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in ids {
        loop {
            let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
            if m["status"] == "sent" {
                break;
            }
            assert!(Instant::now() < deadline, "not sent in time: {m}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn template_preview_cost_and_segments_match_what_the_simulator_receives() {
    let s = Sim::start(2, 5);
    let config = write_config(s.dir.path(), free_port(), PRICING);
    let mut people = vec![
        person("+79160000001", "Ann"),
        person("+79160000002", &"Maximilian-Alexander ".repeat(4)),
        person("+79160000003", "Жанна"),
        person("+79160000004", "Bob"),
        person("+79160000005", "Eve"),
        person("+79160000006", "Pending Pete"),
        person("+79160000007", "Gone Gary"),
    ];
    people[1].attrs.push(("city", AttrValue::String("Kazan".into())));
    people[3].language = Some("ru");
    people[3].attrs.push((
        "birthday",
        AttrValue::Date(chrono::NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()),
    ));
    people[4]
        .attrs
        .push(("city", AttrValue::String("[Berlin] €".into())));
    people[5].consent = ConsentStatus::Pending;
    seed(&s.dir.path().join("db.sqlite"), &people, &["+79160000007"]);
    let g = Gateway::start(&config);
    g.wait_ready_modems(2);

    let text = "Hi {{ name }}! Our {{ attributes.city | default('city') }} store has 20% off{% if attributes.birthday is defined %} on {{ attributes.birthday | date }}{% endif %}. {{ 'x' * 100 }} Reply STOP to opt out.";
    let (code, t) = g.call(
        "POST",
        "/v1/templates",
        Some(json!({"name": "sale", "text": text})),
    );
    assert_eq!(code, 201, "{t}");
    let (code, p) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"template": t["id"], "filter": {"tag": "promo"}})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["count"], 5, "{p}");
    assert_eq!(
        p["excluded"],
        json!({"no_consent": 1, "opted_out": 1, "invalid": 0})
    );
    assert_eq!(
        (p["currency"].as_str(), p["per_segment"].as_str()),
        (Some("EUR"), Some("0.05"))
    );
    let recipients = p["recipients"].as_array().unwrap().clone();
    assert_eq!(recipients.len(), 5);
    // Russian date in the Russian speaker's text.
    assert!(
        recipients[3]["text"].as_str().unwrap().contains("1 мая"),
        "{}",
        recipients[3]
    );
    // Not every text takes the same number of SMS: the test covers GSM 7-bit,
    // escapes and UCS-2, one part and several.
    let segs: Vec<u64> = recipients
        .iter()
        .map(|r| r["segments"].as_u64().unwrap())
        .collect();
    assert!(segs.iter().min() < segs.iter().max(), "{segs:?}");
    assert!(recipients.iter().any(|r| r["encoding"] == "ucs2"));
    assert!(recipients.iter().any(|r| r["encoding"] == "gsm7"));

    // The same audience listed by id and number previews the same.
    let listed: Vec<Value> = recipients
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i % 2 == 0 {
                r["contact_id"].clone()
            } else {
                r["phone"].clone()
            }
        })
        .collect();
    let (code, p2) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"text": text, "contacts": listed})),
    );
    assert_eq!(code, 200, "{p2}");
    assert_eq!(p2["segments_total"], p["segments_total"]);
    assert_eq!(p2["recipients"], p["recipients"]);

    // Send each rendered text as it would go out.
    let mut ids = Vec::new();
    for r in &recipients {
        let (code, m) = g.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": r["phone"], "text": r["text"]})),
        );
        assert_eq!(code, 202, "{m}");
        assert_eq!(m["segments"], r["segments"], "the API plans as the preview did");
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    wait_sent(&g, &ids);

    let entries = ledger(&s.control);
    let mut by_phone: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for e in &entries {
        by_phone
            .entry(e["recipient"].as_str().unwrap().to_string())
            .or_default()
            .push(e);
    }
    for r in &recipients {
        let phone = r["phone"].as_str().unwrap();
        let parts = by_phone.get(phone).cloned().unwrap_or_default();
        assert_eq!(
            parts.len() as u64,
            r["segments"].as_u64().unwrap(),
            "PDUs received for {phone}"
        );
        let mut parts = parts.clone();
        parts.sort_by_key(|e| e["concat"].get(2).and_then(Value::as_u64).unwrap_or(1));
        let joined: String = parts.iter().map(|e| e["text"].as_str().unwrap_or("")).collect();
        assert_eq!(
            joined,
            r["text"].as_str().unwrap(),
            "the text received is the text previewed"
        );
    }
    assert_eq!(entries.len() as u64, p["segments_total"].as_u64().unwrap());
    assert_eq!(p["segments_min"], segs.iter().min().copied().unwrap());
    assert_eq!(p["segments_max"], segs.iter().max().copied().unwrap());
    let cost = Decimal::from_str("0.05").unwrap() * Decimal::from(entries.len() as u64);
    assert_eq!(
        Decimal::from_str(p["estimated_cost"].as_str().unwrap()).unwrap(),
        cost,
        "cost = per_segment × SMS received"
    );
    // Nothing reached the excluded contacts.
    assert!(!by_phone.contains_key("+79160000006") && !by_phone.contains_key("+79160000007"));
}

#[test]
fn templates_are_checked_at_save_and_managed_by_id() {
    let s = Sim::start(1, 5);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    let (code, e) = g.call(
        "POST",
        "/v1/templates",
        Some(json!({"name": "broken", "text": "Hello\n{{ name }"})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_template")),
        "{e}"
    );
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("line 2") && msg.contains("column"), "{msg}");
    let (code, e) = g.call(
        "POST",
        "/v1/templates",
        Some(json!({"name": "sneaky", "text": "{% include 'other' %}"})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_template")),
        "{e}"
    );

    // A struct is read from an object only, not from an array of its fields.
    let (code, e) = g.call("POST", "/v1/templates", Some(json!(["hello", "Hi"])));
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_request")),
        "{e}"
    );
    let (code, a) = g.call(
        "POST",
        "/v1/templates",
        Some(json!({"name": "hello", "text": "Hi {{ name | default('friend') }} in {{ attributes.city }}"})),
    );
    assert_eq!(code, 201, "{a}");
    assert_eq!(a["variables"], json!(["attributes.city", "name"]));
    let (code, e) = g.call(
        "POST",
        "/v1/templates",
        Some(json!({"name": "hello", "text": "x"})),
    );
    assert_eq!((code, e["error"]["code"].as_str()), (409, Some("name_taken")));
    let id = a["id"].as_str().unwrap();
    let (code, u) = g.call(
        "PATCH",
        &format!("/v1/templates/{id}"),
        Some(json!({"text": "Hello {{ name }}"})),
    );
    assert_eq!((code, u["text"].as_str()), (200, Some("Hello {{ name }}")));
    let (code, e) = g.call(
        "PATCH",
        &format!("/v1/templates/{id}"),
        Some(json!({"text": "{{"})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_template"))
    );
    let (code, page) = g.call("GET", "/v1/templates?limit=10", None);
    assert_eq!((code, page["templates"].as_array().unwrap().len()), (200, 1));
    let (code, got) = g.call("GET", &format!("/v1/templates/{id}"), None);
    assert_eq!((code, got["name"].as_str()), (200, Some("hello")));

    // Preview shape errors are named.
    let (code, e) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"text": "x", "template": id, "contacts": [1]})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_request"))
    );
    let (code, e) = g.call("POST", "/v1/templates/preview", Some(json!({"text": "x"})));
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_request"))
    );
    let (code, e) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"text": "x", "contacts": ["+79160000999"]})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("unknown_contact")),
        "{e}"
    );
    let (code, e) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"template": "999", "contacts": []})),
    );
    assert_eq!(code, 404, "{e}");

    let (code, d) = g.call("DELETE", &format!("/v1/templates/{id}"), None);
    assert_eq!((code, d["deleted"].as_bool()), (200, Some(true)));
    assert_eq!(g.call("GET", &format!("/v1/templates/{id}"), None).0, 404);
}

#[test]
fn a_missing_variable_is_reported_per_recipient_at_preview() {
    let s = Sim::start(1, 5);
    let config = write_config(s.dir.path(), free_port(), "");
    let mut people = vec![person("+79160000001", "Ann"), person("+79160000002", "Bob")];
    people[0].attrs.push(("city", AttrValue::String("Kazan".into())));
    people[1].name = None;
    let ids = seed(&s.dir.path().join("db.sqlite"), &people, &[]);
    let g = Gateway::start(&config);
    let (code, p) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"text": "Hello {{ name }}, see you in {{ attributes.city }}", "contacts": ids})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!((p["count"].as_u64(), p["failed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(p["recipients"][1]["error"]["code"], "missing_variable");
    assert_eq!(p["recipients"][1]["error"]["variable"], "name");
    assert!(
        p["recipients"][1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("+79160000002")
    );
    let w = p["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w["kind"] == "missing_variable" && w["variable"] == "name" && w["recipients"] == 1),
        "{p}"
    );
    assert_eq!(p["estimated_cost"], "0.00");
    // Ids as the API shows them (strings of digits) name the same contacts.
    let as_text: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let (code, q) = g.call(
        "POST",
        "/v1/templates/preview",
        Some(json!({"text": "Hello {{ name }}, see you in {{ attributes.city }}", "contacts": as_text})),
    );
    assert_eq!(code, 200, "{q}");
    assert_eq!((q["count"].as_u64(), q["failed"].as_u64()), (Some(1), Some(1)));
}
