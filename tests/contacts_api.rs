//! Contacts end to end: the real daemon (`simfleet serve`) over simulated
//! modems (`simfleet sim`). Create and update by number, zones derived
//! from the number, refusals naming their field, lists, merge patches,
//! erasure that keeps the opt-out; activity and hygiene learned from what
//! the simulated network does with the messages.

mod common;

use std::time::{Duration, Instant};

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

const CONTACTS: &str = "[contacts]\ndefault_time_zone = \"Asia/Yekaterinburg\"\n";

fn start(modems: usize) -> (Sim, Gateway) {
    let s = Sim::start(modems, 20);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), CONTACTS));
    (s, g)
}

/// The refusal's code and message, asserting a 422.
fn refused(g: &Gateway, method: &str, path: &str, body: Value) -> (String, String) {
    let (code, r) = g.call(method, path, Some(body.clone()));
    assert_eq!(code, 422, "{body} → {r}");
    (
        r["error"]["code"].as_str().unwrap().to_string(),
        r["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn contacts_are_one_per_number_whatever_its_form_with_zones_from_the_number() {
    let (_s, g) = start(1);
    let (code, a) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({
            "phone": "8 916 123-45-67", "name": "Анна", "tags": ["vip"],
            "attributes": {"city": "Kazan", "spent": 1500, "birthday": "1990-05-17"},
            "consent": {"status": "opted_in", "source": "web form", "at": "2026-01-02T03:04:05Z"}
        })),
    );
    assert_eq!(code, 201, "{a}");
    assert_eq!(a["phone"], "+79161234567");
    // Russia keeps eleven clocks: the configured default, said so.
    assert_eq!(a["time_zone"], "Asia/Yekaterinburg");
    assert_eq!(a["time_zone_source"], "default");
    assert_eq!(a["consent"]["status"], "opted_in");
    assert_eq!(a["consent"]["at"], "2026-01-02T03:04:05.000Z");
    assert_eq!(a["marketing"]["allowed"], true);
    assert_eq!(a["status"], "active");
    assert_eq!(a["attributes"]["birthday"], "1990-05-17");
    assert_eq!(a["messages_sent"], 0);

    // The same number in another form updates the same contact.
    let (code, b) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+7 (916) 123-45-67", "language": "RU"})),
    );
    assert_eq!(code, 200, "{b}");
    assert_eq!(b["id"], a["id"]);
    assert_eq!(b["name"], "Анна", "fields not given are kept");
    assert_eq!(b["language"], "ru");

    // Germany keeps one clock: the number says where.
    let (code, de) = g.call("POST", "/v1/contacts", Some(json!({"phone": "+49 1512 3456789"})));
    assert_eq!(code, 201, "{de}");
    assert_eq!(
        (&de["time_zone"], &de["time_zone_source"]),
        (&json!("Europe/Berlin"), &json!("number"))
    );
    assert_eq!(de["consent"]["status"], "none");
    assert_eq!(de["marketing"]["allowed"], false);
    assert_eq!(de["marketing"]["reason"], "no consent to marketing");

    // Read by id, or by the number in any form.
    let id = a["id"].as_str().unwrap();
    for key in [id, "89161234567", "+79161234567"] {
        let (code, c) = g.call("GET", &format!("/v1/contacts/{key}"), None);
        assert_eq!((code, &c["id"]), (200, &a["id"]), "{key}: {c}");
    }
    assert_eq!(g.call("GET", "/v1/contacts/999999", None).0, 404);
    assert_eq!(g.call("GET", "/v1/contacts/+79169999999", None).0, 404);

    // Every refusal names its field.
    for (body, field) in [
        (json!({"phone": "12"}), "invalid number"),
        (json!({"name": "x"}), "phone:"),
        (
            json!({"phone": "+79161234567", "time_zone": "Moscow"}),
            "time_zone:",
        ),
        (
            json!({"phone": "+79161234567", "language": "russian"}),
            "language:",
        ),
        (json!({"phone": "+79161234567", "tags": ["ok", ""]}), "tags[1]:"),
        (
            json!({"phone": "+79161234567", "attributes": {"spent": "a lot"}}),
            "attributes.spent:",
        ),
        (
            json!({"phone": "+79161234567", "attributes": {"my.city": "x"}}),
            "attributes.my.city:",
        ),
        (
            json!({"phone": "+79161234567", "consent": {"status": "maybe"}}),
            "consent.status:",
        ),
        (
            json!({"phone": "+79161234567", "consent": {"status": "none", "at": "soon"}}),
            "consent.at:",
        ),
        (json!({"phone": "+79161234567", "colour": "red"}), "colour:"),
    ] {
        let (_, message) = refused(&g, "POST", "/v1/contacts", body.clone());
        assert!(message.contains(field), "{body}: {message}");
    }
    // Consent must be proven.
    let (code, message) = refused(
        &g,
        "POST",
        "/v1/contacts",
        json!({"phone": "+79161110000", "consent": {"status": "opted_in"}}),
    );
    assert_eq!(code, "unproven_consent", "{message}");
    assert_eq!(
        g.call("GET", "/v1/contacts/+79161110000", None).0,
        404,
        "nothing stored"
    );
}

#[test]
fn lists_page_by_id_and_narrow_by_tag_and_search() {
    let (_s, g) = start(1);
    let mut ids = Vec::new();
    for (i, (name, tags)) in [
        ("Анна Петрова", vec!["VIP"]),
        ("Bob", vec!["vip", "staff"]),
        ("Carla 100%", vec![]),
        ("Dmitry", vec!["vip"]),
    ]
    .into_iter()
    .enumerate()
    {
        let (code, c) = g.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": format!("+7916123450{i}"), "name": name, "tags": tags})),
        );
        assert_eq!(code, 201, "{c}");
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let page = |q: &str| -> (Vec<String>, Value) {
        let (code, r) = g.call("GET", &format!("/v1/contacts?{q}"), None);
        assert_eq!(code, 200, "{q}: {r}");
        let got = r["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        (got, r["next"].clone())
    };
    let (first, next) = page("limit=3");
    assert_eq!(first, ids[..3]);
    let (rest, last) = page(&format!("limit=3&after={}", next.as_str().unwrap()));
    assert_eq!(rest, ids[3..]);
    assert_eq!(last, Value::Null);
    assert_eq!(page("tag=vip").0, [ids[0].as_str(), &ids[1], &ids[3]]);
    assert_eq!(page("tag=staff").0, [ids[1].as_str()]);
    assert_eq!(
        page("q=%D0%B0%D0%BD%D0%BD%D0%B0").0,
        [ids[0].as_str()],
        "анна finds Анна"
    );
    assert_eq!(page("q=1234503").0, [ids[3].as_str()], "digits of the number");
    assert_eq!(
        page("q=%25").0,
        [ids[2].as_str()],
        "% is a character, not a wildcard"
    );
    assert_eq!(page("tag=vip&q=bob").0, [ids[1].as_str()]);
    assert_eq!(page("tag=vip&limit=1").1, json!(ids[0]));
    let (code, r) = g.call("GET", "/v1/contacts?segment=424242", None);
    assert_eq!(
        (code, r["error"]["code"].as_str()),
        (422, Some("unknown_segment"))
    );
    // A saved segment narrows the list, and tag and search narrow it further.
    let (code, seg) = g.call(
        "POST",
        "/v1/segments",
        Some(json!({"name": "vip but not staff", "filter": {"all": [{"tag": "vip"}, {"not": {"tag": "staff"}}]}})),
    );
    assert_eq!(code, 201, "{seg}");
    let seg = seg["id"].as_str().unwrap();
    assert_eq!(page(&format!("segment={seg}")).0, [ids[0].as_str(), &ids[3]]);
    assert_eq!(page(&format!("segment={seg}&q=dmitry")).0, [ids[3].as_str()]);
    let (first, next) = page(&format!("segment={seg}&limit=1"));
    assert_eq!((first, next), (vec![ids[0].clone()], json!(ids[0])));
    assert_eq!(
        page(&format!("segment={seg}&limit=1&after={}", ids[0])).0,
        [ids[3].as_str()]
    );
}

#[test]
fn a_patch_merges_and_null_clears() {
    let (_s, g) = start(1);
    let (_, c) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({
            "phone": "+79161234567", "name": "Anna", "language": "ru", "time_zone": "Europe/Samara",
            "tags": ["a", "b"], "attributes": {"city": "Kazan", "spent": 10}
        })),
    );
    assert_eq!(c["time_zone_source"], "given");
    let (code, p) = g.call(
        "PATCH",
        "/v1/contacts/89161234567",
        Some(json!({
            "name": null, "time_zone": null, "tags": ["c"],
            "attributes": {"city": null, "spent": 20, "vip_since": "2024-02-29"}
        })),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["name"], Value::Null);
    assert_eq!(p["language"], "ru", "absent: kept");
    assert_eq!(
        (&p["time_zone"], &p["time_zone_source"]),
        (&json!("Asia/Yekaterinburg"), &json!("default"))
    );
    assert_eq!(p["tags"], json!(["c"]));
    assert_eq!(p["attributes"], json!({"spent": 20.0, "vip_since": "2024-02-29"}));
    let (code, p) = g.call(
        "PATCH",
        &format!("/v1/contacts/{}", c["id"].as_str().unwrap()),
        Some(json!({"attributes": null, "tags": null})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!((&p["attributes"], &p["tags"]), (&json!({}), &json!([])));
    let (_, message) = refused(
        &g,
        "PATCH",
        "/v1/contacts/89161234567",
        json!({"phone": "+79160000000"}),
    );
    assert!(message.starts_with("phone:"), "{message}");
    let (_, message) = refused(
        &g,
        "PATCH",
        "/v1/contacts/89161234567",
        json!({"attributes": {"spent": true}}),
    );
    assert!(message.starts_with("attributes.spent:"), "{message}");
    assert_eq!(
        g.call("PATCH", "/v1/contacts/+79169999999", Some(json!({"name": "x"})))
            .0,
        404
    );
}

#[test]
fn an_erased_contact_keeps_its_optout_and_stays_suppressed_when_created_again() {
    let (s, g) = start(1);
    g.wait_ready_modems(1);
    let contact = json!({
        "phone": "+79161234567", "name": "Anna", "tags": ["vip"], "attributes": {"city": "Kazan"},
        "consent": {"status": "opted_in", "evidence": "I agree to receive offers"}
    });
    let (code, c) = g.call("POST", "/v1/contacts", Some(contact.clone()));
    assert_eq!(code, 201, "{c}");
    let (code, _) = g.call("POST", "/v1/optouts", Some(json!({"number": "89161234567"})));
    assert_eq!(code, 201);
    let (_, c) = g.call("GET", "/v1/contacts/+79161234567", None);
    assert_eq!(c["opted_out"]["source"], "api");
    assert_eq!(c["marketing"]["allowed"], false, "the opt-out wins over consent");
    assert!(
        c["marketing"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("opted out")
    );

    let (code, erased) = g.call("DELETE", "/v1/contacts/8 916 123 45 67", None);
    assert_eq!(code, 200, "{erased}");
    assert_eq!(erased["erased"], true);
    assert_eq!(erased["opted_out"]["source"], "api", "kept");
    assert_eq!(g.call("GET", "/v1/contacts/+79161234567", None).0, 404);
    assert_eq!(g.call("DELETE", "/v1/contacts/+79161234567", None).0, 404);
    assert_eq!(g.call("GET", "/v1/optouts/+79161234567", None).0, 200);

    // Created again (an import of an old file, say): still opted out, and
    // nothing reaches it.
    let (code, again) = g.call("POST", "/v1/contacts", Some(contact));
    assert_eq!(code, 201, "{again}");
    assert_ne!(again["id"], c["id"]);
    assert_eq!(again["marketing"]["allowed"], false);
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "Sale!"})),
    );
    assert_eq!(code, 202, "{m}");
    assert_eq!(m["status"], "suppressed");
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.ledger().is_empty());
}

fn contact(g: &Gateway, phone: &str) -> Value {
    let (code, c) = g.call("GET", &format!("/v1/contacts/{phone}"), None);
    assert_eq!(code, 200, "{c}");
    c
}

fn send(g: &Gateway, to: &str) -> String {
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": to, "text": "Hello", "status_report": true})),
    );
    assert_eq!(code, 202, "{m}");
    m["id"].as_str().unwrap().to_string()
}

fn wait_status(g: &Gateway, id: &str, want: &str) -> Value {
    wait_for(&format!("message {id} {want}"), 30, || {
        let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
        (m["status"] == want).then_some(m)
    })
}

#[test]
fn activity_and_hygiene_follow_what_the_network_does() {
    let (s, g) = start(1);
    g.wait_ready_modems(1);
    let (ok, unassigned, gone) = ("+79161234567", "+79160000001", "+79160000002");
    s.post(
        "/modems/0/faults",
        json!({
            "report_delay_ms": 20,
            "reject_recipients": {unassigned: 1},
            "report_status_for": {gone: 0x43}
        }),
    );
    for phone in [ok, unassigned, gone] {
        let (code, c) = g.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": phone, "consent": {"status": "opted_in", "source": "shop"}})),
        );
        assert_eq!(code, 201, "{c}");
    }

    // Sent and delivered: counted, dated.
    let id = send(&g, ok);
    wait_status(&g, &id, "delivered");
    let c = contact(&g, ok);
    assert_eq!(c["messages_sent"], 1);
    assert!(
        c["last_sent_at"].is_string() && c["last_delivered_at"].is_string(),
        "{c}"
    );
    assert_eq!(c["status"], "active");

    // "Unassigned number" when sending: invalid at once, left out of marketing.
    let id = send(&g, unassigned);
    wait_status(&g, &id, "failed");
    let c = contact(&g, unassigned);
    assert_eq!(c["status"], "invalid", "{c}");
    assert!(c["status_reason"].as_str().unwrap().contains("unassigned"), "{c}");
    assert_eq!(c["marketing"]["allowed"], false);
    assert_eq!(c["messages_sent"], 0);

    // Accepted, then reported "not obtainable": invalid too.
    let id = send(&g, gone);
    wait_status(&g, &id, "failed");
    let c = contact(&g, gone);
    assert_eq!(c["status"], "invalid", "{c}");
    assert_eq!(
        (&c["messages_sent"], &c["last_delivered_at"]),
        (&json!(1), &Value::Null)
    );

    // A reply proves the number works.
    s.post(
        "/modems/0/sms",
        json!({"from": unassigned, "text": "who is this?"}),
    );
    let c = wait_for("the reply to revive the contact", 30, || {
        let c = contact(&g, unassigned);
        (c["status"] == "active").then_some(c)
    });
    assert!(c["last_reply_at"].is_string(), "{c}");
    assert_eq!(c["status_reason"], Value::Null);
    assert_eq!(c["marketing"]["allowed"], true);

    // An update by a person does too.
    let (code, c) = g.call(
        "PATCH",
        &format!("/v1/contacts/{gone}"),
        Some(json!({"name": "Gone"})),
    );
    assert_eq!((code, &c["status"]), (200, &json!("active")), "{c}");
}
