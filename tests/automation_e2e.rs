//! Automations end to end through the real daemon and simulator: an
//! automation created over the API, an event posted (idempotent per key)
//! becomes a message in the simulator's ledger with the event's data, and
//! the automation's figures count it.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

fn wait_for(what: &str, within: Duration, mut f: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_event_posted_to_the_api_becomes_a_message_in_the_simulator() {
    let s = Sim::start(1, 20);
    // Windows open all day: the test must not depend on the hour it runs at.
    let cfg = write_config(
        s.dir.path(),
        free_port(),
        "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\n",
    );
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(1);
    let (code, r) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+79165550001", "name": "Ana", "consent": {"status": "opted_in", "source": "shop"}})),
    );
    assert!(code == 200 || code == 201, "{code} {r}");

    // A template that does not compile is refused naming the field, line and column.
    let (code, e) = g.call(
        "POST",
        "/v1/automations",
        Some(json!({"name": "cart", "on": "cart_abandoned", "text": "Hi {{ name"})),
    );
    assert_eq!(code, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid_automation");
    let m = e["error"]["message"].as_str().unwrap_or("");
    assert!(m.starts_with("text: ") && m.contains("line 1"), "{m}");

    let (code, a) = g.call(
        "POST",
        "/v1/automations",
        Some(
            json!({"name": "cart", "on": "cart_abandoned", "delay": "0s", "kind": "marketing",
                    "text": "{{ name }}, your {{ event.item }} is waiting", "cancel_on": ["order_placed"]}),
        ),
    );
    assert_eq!(code, 201, "{a}");
    assert_eq!(a["status"], "active");
    assert_eq!(a["trigger"], "event");
    let id = a["id"].as_str().unwrap().to_string();
    let (code, e) = g.call("POST", &format!("/v1/automations/{id}/resume"), None);
    assert_eq!(
        (code, e["error"]["code"].clone()),
        (409, json!("wrong_status")),
        "{e}"
    );

    let body = json!({"contact": "8 916 555-00-01", "event": "cart_abandoned", "data": {"item": "kettle"},
                      "idempotency_key": "cart-1"});
    let (code, first) = g.call("POST", "/v1/events", Some(body.clone()));
    assert_eq!(code, 200, "{first}");
    assert_eq!(first["contact"], "+79165550001");
    assert_eq!(first["scheduled"].as_array().map(Vec::len), Some(1), "{first}");
    let (code, again) = g.call("POST", "/v1/events", Some(body));
    assert_eq!((code, &again), (200, &first));
    let (code, e) = g.call(
        "POST",
        "/v1/events",
        Some(
            json!({"contact": "+79165550001", "event": "cart_abandoned", "data": {"item": "lamp"},
                    "idempotency_key": "cart-1"}),
        ),
    );
    assert_eq!(
        (code, e["error"]["code"].clone()),
        (409, json!("idempotency_conflict")),
        "{e}"
    );
    let (code, e) = g.call(
        "POST",
        "/v1/events",
        Some(json!({"contact": "+79165550001", "event": "Cart Abandoned"})),
    );
    assert_eq!(
        (code, e["error"]["code"].clone()),
        (422, json!("invalid_event")),
        "{e}"
    );

    let entry = wait_for("the reminder in the ledger", Duration::from_secs(30), || {
        s.ledger().into_iter().find(|e| e["recipient"] == "+79165550001")
    });
    assert_eq!(entry["text"], "Ana, your kettle is waiting");
    let view = wait_for("the figures", Duration::from_secs(30), || {
        let (_, v) = g.call("GET", &format!("/v1/automations/{id}"), None);
        (v["figures"]["sent"] == 1).then_some(v)
    });
    assert_eq!(view["figures"]["scheduled"], 1);
    // Exactly one message: the repeated post scheduled nothing more.
    std::thread::sleep(Duration::from_millis(500));
    let n = s
        .ledger()
        .into_iter()
        .filter(|e| e["recipient"] == "+79165550001")
        .count();
    assert_eq!(n, 1);
    let (code, list) = g.call("GET", "/v1/automations", None);
    assert_eq!(code, 200);
    assert_eq!(list["automations"].as_array().map(Vec::len), Some(1));

    // A patch merges over the request; one that no longer checks names the field.
    let path = format!("/v1/automations/{id}");
    let (code, p) = g.call("PATCH", &path, Some(json!({"delay": "1h"})));
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["spec"]["delay"], "1h");
    assert_eq!(p["spec"]["text"], "{{ name }}, your {{ event.item }} is waiting");
    assert!(p["warnings"].is_null(), "{p}");
    // A service text with a promo code is accepted, with a warning saying why it is marketing.
    let (code, w) = g.call(
        "PATCH",
        &path,
        Some(json!({"kind": "service", "text": "Your {{ event.item }} ships today, 10% off next time: {{ promo_code }}"})),
    );
    assert_eq!(code, 200, "{w}");
    let warning = w["warnings"][0].as_str().unwrap_or("");
    assert!(
        warning.starts_with("text gives a promo code: service messages are sent without consent"),
        "{w}"
    );
    let (code, p) = g.call(
        "PATCH",
        &path,
        Some(json!({"kind": p["spec"]["kind"].clone(), "text": p["spec"]["text"].clone()})),
    );
    assert_eq!(code, 200, "{p}");
    assert!(p["warnings"].is_null(), "{p}");
    let (code, e) = g.call("PATCH", &path, Some(json!({"delay": "soon"})));
    assert_eq!(code, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("delay: "),
        "{e}"
    );
    let (code, p) = g.call("POST", &format!("{path}/pause"), None);
    assert_eq!((code, p["status"].clone()), (200, json!("paused")), "{p}");
    let (code, e) = g.call("POST", &format!("{path}/pause"), None);
    assert_eq!(
        (code, e["error"]["code"].clone()),
        (409, json!("wrong_status")),
        "{e}"
    );
    let (code, e) = g.call("GET", "/v1/automations/77", None);
    assert_eq!(code, 404, "{e}");
}

/// A welcome series whose first step carries a promo code and a tracked
/// link: the code redeemed is the contact's `converted` event, so the
/// later step is never sent, and the automation's figures count the
/// conversion and its revenue.
#[test]
fn a_redeemed_code_from_a_sequence_step_ends_the_sequence_and_counts_as_its_conversion() {
    let s = Sim::start(1, 20);
    let cfg = write_config(
        s.dir.path(),
        free_port(),
        "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\n[pricing]\ncurrency = \"EUR\"\n[public]\nbase_url = \"https://go.shop.example\"\n",
    );
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(1);
    let (code, r) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+79165550002", "name": "Ivan", "consent": {"status": "opted_in", "source": "shop"}})),
    );
    assert!(code == 200 || code == 201, "{code} {r}");
    let (code, a) = g.call(
        "POST",
        "/v1/automations",
        Some(json!({"name": "Welcome", "on": "signed_up", "kind": "marketing",
            "steps": [
                {"delay": "0s", "text": "Welcome {{ name }}! -10% with {{ promo_code }} {{ link(\"https://shop.example/new\") }}"},
                {"delay": "2s", "text": "Still thinking, {{ name }}?"}]})),
    );
    assert_eq!(code, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    let (code, r) = g.call(
        "POST",
        "/v1/events",
        Some(json!({"contact": "+79165550002", "event": "signed_up"})),
    );
    assert_eq!(code, 200, "{r}");
    let entry = wait_for("the first step in the ledger", Duration::from_secs(30), || {
        s.ledger().into_iter().find(|e| e["recipient"] == "+79165550002")
    });
    let text = entry["text"].as_str().unwrap_or("").to_string();
    assert!(text.contains("https://go.shop.example/l/"), "{text}");
    let promo = text
        .split("with ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap_or("")
        .to_string();
    assert_eq!(promo.len(), 8, "{text}");
    let (code, r) = g.call(
        "POST",
        &format!("/v1/codes/{promo}/redeem"),
        Some(json!({"order_id": "W-1", "amount": "12.50"})),
    );
    assert_eq!(code, 200, "{r}");
    let view = wait_for("the sequence left on conversion", Duration::from_secs(30), || {
        let (_, v) = g.call("GET", &format!("/v1/automations/{id}"), None);
        (v["figures"]["exited"].as_object().is_some_and(|m| !m.is_empty())).then_some(v)
    });
    let f = &view["figures"];
    assert_eq!(f["conversions"], 1, "{f}");
    assert_eq!(f["revenue"], "12.50", "{f}");
    assert_eq!(f["sent"], 1, "{f}");
    // The second step's time passes; it never leaves.
    std::thread::sleep(Duration::from_secs(3));
    let n = s
        .ledger()
        .into_iter()
        .filter(|e| e["recipient"] == "+79165550002")
        .count();
    assert_eq!(n, 1, "the step after the conversion was sent");
}
