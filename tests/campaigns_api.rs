//! Campaigns through the API end to end: the real daemon (`simfleet
//! serve`) over simulated modems (`simfleet sim`). Create, read, list and
//! patch a draft; the lifecycle's answers (start fixes the audience and
//! counts exclusions, actions in the wrong status are 409s naming it,
//! starts that cannot happen are 422s saying why); refusals naming their
//! field; hostile bodies that are refused, never a 500.

mod common;

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

/// Campaigns in these tests start in the future so that nothing is sent
/// and their status stays where the lifecycle put it: 09:00 UTC about 200
/// days from now (a start may be at most 366 days away).
fn later() -> chrono::DateTime<chrono::Utc> {
    let day = (chrono::Utc::now() + chrono::Duration::days(200)).date_naive();
    day.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc()
}

/// [`later`] as the API writes it, `hours` after.
fn later_ms(hours: i64) -> String {
    (later() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

fn start() -> (Sim, Gateway) {
    let s = Sim::start(1, 20);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    (s, g)
}

fn contact(g: &Gateway, phone: &str, tags: &[&str], consent: &str) -> String {
    let (code, c) = g.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": phone, "tags": tags,
            "consent": {"status": consent, "source": "web form", "at": "2026-01-02T03:04:05Z"}})),
    );
    assert!(code == 201 || code == 200, "{c}");
    c["id"].as_str().unwrap().to_string()
}

fn segment(g: &Gateway, name: &str, filter: Value) -> i64 {
    let (code, s) = g.call(
        "POST",
        "/v1/segments",
        Some(json!({"name": name, "filter": filter})),
    );
    assert_eq!(code, 201, "{s}");
    s["id"].as_str().unwrap().parse().unwrap()
}

/// Three VIPs with consent, one without, one opted out.
fn audience(g: &Gateway) -> i64 {
    contact(g, "+79160000001", &["vip"], "opted_in");
    contact(g, "+79160000002", &["vip"], "opted_in");
    contact(g, "+79160000003", &["vip"], "opted_in");
    contact(g, "+79160000004", &["vip"], "none");
    contact(g, "+79160000005", &["vip"], "opted_in");
    let (code, o) = g.call("POST", "/v1/optouts", Some(json!({"number": "+79160000005"})));
    assert!(code < 300, "{o}");
    segment(g, "vips", json!({"tag": "vip"}))
}

fn campaign(seg: i64) -> Value {
    json!({"name": "Black Friday", "audience": {"segment": seg}, "start_at": later().to_rfc3339(),
           "variants": [{"name": "A", "text": "Hi {{ name | default('friend') }}, -20% today", "weight": 50},
                        {"name": "B", "text": "Sale: -20%", "weight": 50}]})
}

fn create(g: &Gateway, body: Value) -> String {
    let (code, c) = g.call("POST", "/v1/campaigns", Some(body));
    assert_eq!(code, 201, "{c}");
    c["id"].as_str().unwrap().to_string()
}

/// The error's (status, code, message).
fn error(g: &Gateway, method: &str, path: &str, body: Option<Value>) -> (u16, String, String) {
    let (code, r) = g.call(method, path, body);
    (
        code,
        r["error"]["code"].as_str().unwrap_or_default().to_string(),
        r["error"]["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn a_draft_is_created_read_listed_and_patched_with_defaults_filled() {
    let (_s, g) = start();
    let seg = audience(&g);
    let (code, c) = g.call("POST", "/v1/campaigns", Some(campaign(seg)));
    assert_eq!(code, 201, "{c}");
    assert_eq!(c["status"], "draft");
    assert_eq!(c["name"], "Black Friday");
    assert_eq!(c["audience"], json!({"segment": seg}));
    assert_eq!(c["variants"][1]["name"], "B");
    // The effective window and cap: `[campaigns]` defaults.
    assert_eq!(c["window"], json!({"start": "09:00", "end": "20:00"}));
    assert_eq!(c["frequency_cap"], json!({"per_24h": 1, "per_7d": 4}));
    assert_eq!(c["start_at"], later_ms(0));
    assert_eq!(c["status_report"], true);
    // Who a start now would reach: 3 of 5, one without consent, one opted out.
    assert_eq!(
        c["draft_audience"],
        json!({"count": 3, "matched": 5, "excluded": {"no_consent": 1, "opted_out": 1, "invalid": 0}})
    );
    assert_eq!(c["progress"]["audience"], 0);
    assert!(c["figures"]["overall"].is_object(), "{c}");
    assert!(c["eta"].is_object(), "{c}");
    assert!(c["decision"].is_null());
    let id = c["id"].as_str().unwrap().to_string();

    let (code, got) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(code, 200);
    assert_eq!(got["name"], "Black Friday");

    // Patch: a merge over the request as given, re-checked.
    let (code, p) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"name": "Cyber Monday", "window": {"start": "10:00", "end": "19:00", "days": ["mon", "sat"]},
                    "frequency_cap": {"per_24h": 2, "per_7d": 5}})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["name"], "Cyber Monday");
    assert_eq!(
        p["window"],
        json!({"start": "10:00", "end": "19:00", "days": ["mon", "sat"]})
    );
    assert_eq!(p["frequency_cap"], json!({"per_24h": 2, "per_7d": 5}));
    assert_eq!(
        p["variants"].as_array().unwrap().len(),
        2,
        "untouched fields stay"
    );
    // null returns a field to its default.
    let (code, p) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"window": null})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["window"], json!({"start": "09:00", "end": "20:00"}));
    // A patch that breaks it is refused, naming the field; nothing changes.
    let (code, ecode, msg) = error(
        &g,
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"variants": [{"name": "A", "text": "Hi {{ oops"}]})),
    );
    assert_eq!((code, ecode.as_str()), (422, "invalid_campaign"), "{msg}");
    assert!(msg.starts_with("variants[0].text: "), "{msg}");
    let (_, got) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(got["variants"].as_array().unwrap().len(), 2);

    // Lists: by status, paged.
    let second = create(&g, campaign(seg));
    let (code, page) = g.call("GET", "/v1/campaigns?limit=1", None);
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["campaigns"].as_array().unwrap().len(), 1);
    assert_eq!(page["campaigns"][0]["id"], id.as_str());
    let next = page["next"].as_str().unwrap();
    let (_, page) = g.call("GET", &format!("/v1/campaigns?limit=1&after={next}"), None);
    assert_eq!(page["campaigns"][0]["id"], second.as_str());
    let (code, _) = g.call("POST", &format!("/v1/campaigns/{second}/start"), None);
    assert_eq!(code, 200);
    let (_, drafts) = g.call("GET", "/v1/campaigns?status=draft", None);
    let ids: Vec<&str> = drafts["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let (code, ecode, _) = error(&g, "GET", "/v1/campaigns?status=sending", None);
    assert_eq!((code, ecode.as_str()), (400, "bad_query"));
    // Started: no longer a draft, so no longer changeable.
    let (code, ecode, msg) = error(
        &g,
        "PATCH",
        &format!("/v1/campaigns/{second}"),
        Some(json!({"name": "x"})),
    );
    assert_eq!((code, ecode.as_str()), (409, "wrong_status"), "{msg}");
    assert!(msg.contains("scheduled"), "{msg}");
}

#[test]
fn the_lifecycle_moves_as_documented_and_answers_409_naming_the_status() {
    let (_s, g) = start();
    let seg = audience(&g);
    let id = create(&g, campaign(seg));
    let path = |a: &str| format!("/v1/campaigns/{id}/{a}");
    for action in ["pause", "resume"] {
        let (code, ecode, msg) = error(&g, "POST", &path(action), None);
        assert_eq!((code, ecode.as_str()), (409, "wrong_status"), "{action}: {msg}");
        assert!(msg.contains("draft"), "{msg}");
    }
    // Start fixes the audience: 5 recipients, 3 pending, 2 left out with reasons.
    let (code, c) = g.call("POST", &path("start"), None);
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["status"], "scheduled");
    assert!(c["started_at"].is_string());
    assert_eq!(c["start_at"], later_ms(0));
    // Default deadline: the start plus 24 hours.
    assert_eq!(c["deadline"], later_ms(24));
    let p = &c["progress"];
    assert_eq!(
        (
            p["audience"].as_u64(),
            p["pending"].as_u64(),
            p["excluded"].as_u64()
        ),
        (Some(5), Some(3), Some(2)),
        "{p}"
    );
    assert_eq!(p["by_reason"]["no_consent"], 1);
    assert_eq!(p["by_reason"]["opted_out"], 1);
    assert!(c["draft_audience"].is_null());
    // A contact added after the start is not in it.
    contact(&g, "+79160000006", &["vip"], "opted_in");
    let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(c["progress"]["audience"], 5);

    let (code, ecode, msg) = error(&g, "POST", &path("start"), None);
    assert_eq!((code, ecode.as_str()), (409, "wrong_status"));
    assert!(msg.contains("scheduled"), "{msg}");
    let (code, ecode, msg) = error(&g, "POST", &path("resume"), None);
    assert_eq!((code, ecode.as_str()), (409, "wrong_status"), "{msg}");

    let (code, c) = g.call("POST", &path("pause"), None);
    assert_eq!((code, c["status"].as_str()), (200, Some("paused")), "{c}");
    assert_eq!(c["status_reason"], "paused by the user");
    let (code, ecode, msg) = error(&g, "POST", &path("pause"), None);
    assert_eq!((code, ecode.as_str()), (409, "wrong_status"));
    assert!(msg.contains("paused"), "{msg}");
    let (code, c) = g.call("POST", &path("resume"), None);
    assert_eq!(code, 200, "{c}");
    assert!(
        matches!(c["status"].as_str(), Some("running" | "scheduled")),
        "{c}"
    );
    let (code, c) = g.call("POST", &path("cancel"), None);
    assert_eq!((code, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    assert!(c["finished_at"].is_string());
    for action in ["start", "pause", "resume", "cancel"] {
        let (code, ecode, msg) = error(&g, "POST", &path(action), None);
        assert_eq!((code, ecode.as_str()), (409, "wrong_status"), "{action}");
        assert!(msg.contains("cancelled"), "{msg}");
    }
    // Unknown ids.
    for action in ["start", "pause", "resume", "cancel"] {
        let (code, ecode, _) = error(&g, "POST", &format!("/v1/campaigns/999/{action}"), None);
        assert_eq!((code, ecode.as_str()), (404, "not_found"), "{action}");
    }
    for path in ["/v1/campaigns/999", "/v1/campaigns/abc", "/v1/campaigns/-1"] {
        assert_eq!(error(&g, "GET", path, None).0, 404, "{path}");
    }
    assert_eq!(
        error(&g, "PATCH", "/v1/campaigns/999", Some(json!({"name": "x"}))).0,
        404
    );
}

#[test]
fn a_start_that_cannot_happen_says_why() {
    let (_s, g) = start();
    let seg = audience(&g);
    // Nobody with consent.
    let nobody = segment(&g, "no consent", json!({"not": {"tag": "vip"}}));
    contact(&g, "+79160000010", &["walk-in"], "none");
    let id = create(&g, campaign(nobody));
    let (code, ecode, msg) = error(&g, "POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!((code, ecode.as_str()), (422, "empty_audience"), "{msg}");
    assert!(msg.contains("no consent"), "{msg}");
    // The deadline has passed.
    let mut late = campaign(seg);
    late.as_object_mut().unwrap().remove("start_at");
    late["deadline"] = json!("2020-01-01T00:00:00Z");
    let id = create(&g, late);
    let (code, ecode, msg) = error(&g, "POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!((code, ecode.as_str()), (422, "timing"), "{msg}");
    assert!(msg.contains("deadline"), "{msg}");
    // The segment was deleted after the draft was made.
    let gone = segment(&g, "soon gone", json!({"tag": "vip"}));
    let id = create(&g, campaign(gone));
    let (code, _) = g.call("DELETE", &format!("/v1/segments/{gone}"), None);
    assert_eq!(code, 200);
    let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert!(c["draft_audience"].is_null(), "{c}");
    let (code, ecode, msg) = error(&g, "POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!((code, ecode.as_str()), (422, "audience"), "{msg}");
    assert!(msg.contains(&format!("segment {gone}")), "{msg}");
    // Each stays a draft.
    let (_, drafts) = g.call("GET", "/v1/campaigns?status=draft", None);
    assert_eq!(drafts["campaigns"].as_array().unwrap().len(), 3);
}

#[test]
fn refusals_name_the_field() {
    let (_s, g) = start();
    let seg = audience(&g);
    // Ids are JSON numbers in an audience (a string is a phone number).
    let vip: i64 = contact(&g, "+79160000020", &[], "opted_in").parse().unwrap();
    let with = |k: &str, v: Value| {
        let mut c = campaign(seg);
        c[k] = v;
        c
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with("audience", json!({"segment": 999})),
            "audience.segment: no segment 999",
        ),
        (with("audience", json!({"segment": "vips"})), "audience.segment: "),
        (with("audience", json!({"filter": {"tag": 5}})), "audience.filter"),
        (
            with(
                "audience",
                json!({"filter": {"all": [{"tag": "vip"}, {"attr": "city", "gt": "x", "lt": 1}]}}),
            ),
            "audience.filter.all[1]",
        ),
        (
            with(
                "audience",
                json!({"contacts": [vip, "+79161234567", "not a number"]}),
            ),
            "audience.contacts[2]: ",
        ),
        (
            with("audience", json!({"contacts": [999999]})),
            "audience.contacts[0]: no contact 999999",
        ),
        (with("audience", json!({"everyone": true})), "audience.everyone: "),
        (
            with("variants", json!([{"text": "ok"}, {"text": "{% if %}"}])),
            "variants[1].text: ",
        ),
        (
            with("variants", json!([{"text": "ok", "weight": -1}])),
            "variants[0].weight",
        ),
        (
            with("variants", json!([{"text": "ok", "colour": "red"}])),
            "variants[0]",
        ),
        (with("rate_per_hour", json!("fast")), "rate_per_hour: "),
        (with("rate_per_hour", json!(0)), "rate_per_hour: "),
        (with("deadline", json!("tomorrow")), "deadline: "),
        (
            with("window", json!({"start": "25:00", "end": "20:00"})),
            "window",
        ),
        (
            with("frequency_cap", json!({"per_24h": 3, "per_7d": 2})),
            "frequency_cap",
        ),
        (
            with(
                "ab_test",
                json!({"test_share": 0.2, "decide_after": "4h", "metric": "vibes"}),
            ),
            "ab_test",
        ),
        (with("status_report", json!("yes")), "status_report: "),
        (with("surprise", json!(1)), "surprise"),
        (
            json!({"audience": {"segment": seg}, "variants": [{"text": "x"}]}),
            "name: ",
        ),
    ];
    for (body, field) in cases {
        let (code, ecode, msg) = error(&g, "POST", "/v1/campaigns", Some(body.clone()));
        assert_eq!(
            (code, ecode.as_str()),
            (422, "invalid_campaign"),
            "{body} → {msg}"
        );
        assert!(
            msg.starts_with(field) || msg.contains(field),
            "{body}: {msg} does not name {field}"
        );
    }
    let (_, all) = g.call("GET", "/v1/campaigns", None);
    assert_eq!(
        all["campaigns"].as_array().unwrap().len(),
        0,
        "nothing refused was stored"
    );
    // Listed contacts by id and number are taken, deduplicated at start.
    let id = create(
        &g,
        with(
            "audience",
            json!({"contacts": [vip, "+79160000020", "8 916 000-00-01"]}),
        ),
    );
    let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(c["draft_audience"]["count"], 2, "{c}");
}

#[test]
fn hostile_bodies_are_refused_never_a_500() {
    let (_s, g) = start();
    let seg = audience(&g);
    let id = create(&g, campaign(seg));
    let huge: Vec<String> = (0..100_001).map(|i| format!("+7916{i:07}")).collect();
    let mut deep = json!({"tag": "vip"});
    for _ in 0..200 {
        deep = json!({"not": deep});
    }
    let bodies: Vec<Value> = vec![
        json!({"name": "x", "audience": {"contacts": huge}, "variants": [{"text": "x"}]}),
        json!({"name": "x", "audience": {"filter": deep}, "variants": [{"text": "x"}]}),
        json!({"name": "x", "audience": {"segment": 1e300}, "variants": [{"text": "x"}]}),
        json!({"name": "x", "audience": {"segment": u64::MAX}, "variants": [{"text": "x"}]}),
        json!({"name": "x".repeat(10_000), "audience": {"segment": seg}, "variants": [{"text": "x"}]}),
        json!({"name": "\u{1b}[31m", "audience": {"segment": seg}, "variants": [{"text": "x"}]}),
        json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "x".repeat(100_000)}]}),
        json!({"name": "x", "audience": {"segment": seg}, "variants": (0..50).map(|i| json!({"name": format!("v{i}"), "text": "x"})).collect::<Vec<_>>()}),
        json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "x"}], "start_at": "+999999-01-01T00:00:00Z"}),
        json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "x"}], "rate_per_hour": 1e20}),
        json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "x"}], "ab_test": {"test_share": -0.0, "decide_after": "99999999999999999999d", "metric": "reply"}}),
        json!({"name": null, "audience": null, "variants": null}),
        json!({"name": ["x"], "audience": [], "variants": {}}),
    ];
    for body in bodies {
        let shown: String = body.to_string().chars().take(200).collect();
        let (code, r) = g.call("POST", "/v1/campaigns", Some(body.clone()));
        assert!((400..500).contains(&code), "{shown} → {code} {r}");
        assert!(r["error"]["code"].is_string(), "{shown} → {r}");
        let (code, r) = g.call("PATCH", &format!("/v1/campaigns/{id}"), Some(body));
        assert!((400..500).contains(&code), "patch {shown} → {code} {r}");
    }
    // A template that would loop for ever compiles (rendering is bounded by
    // fuel, and a render that fails skips its recipient): taken, not a 500.
    let (code, r) = g.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "{% for i in range(99999999) %}{% for j in range(99999999) %}x{% endfor %}{% endfor %}"}]})),
    );
    assert_eq!(code, 201, "{r}");
    for raw in [
        "[]",
        "null",
        "\"x\"",
        "{",
        "{\"name\": \"x\", \"name\": \"y\"}",
        &"[".repeat(10_000),
    ] {
        let (code, r) = g.post_raw("/v1/campaigns", raw.to_string());
        assert!((400..500).contains(&code), "{raw:.40} → {code} {r}");
    }
    // Over the body limit (8 MiB): a documented 413, in tests/api_contract.rs.
    // The draft is unharmed.
    let (code, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!((code, c["name"].as_str()), (200, Some("Black Friday")));
}

#[test]
fn a_preview_renders_each_variant_for_its_share_with_the_cost() {
    let s = Sim::start(1, 20);
    let g = Gateway::start(&write_config(
        s.dir.path(),
        free_port(),
        "[pricing]\nper_segment = \"0.05\"\ncurrency = \"EUR\"\n",
    ));
    let seg = audience(&g);
    let mut body = campaign(seg);
    // B is two segments for everyone (UCS-2 over 70 characters).
    body["variants"][1]["text"] = json!("Распродажа: ".repeat(7));
    let id = create(&g, body);
    let (code, p) = g.call("GET", &format!("/v1/campaigns/{id}/preview"), None);
    assert_eq!(code, 200, "{p}");
    let (a, b) = (&p["variants"]["A"], &p["variants"]["B"]);
    assert_eq!(p["count"], 3, "{p}");
    assert_eq!(a["count"].as_u64().unwrap() + b["count"].as_u64().unwrap(), 3);
    let b_count = b["count"].as_u64().unwrap();
    assert_eq!(b["segments_total"].as_u64().unwrap(), 2 * b_count, "{b}");
    assert_eq!(
        p["segments_total"].as_u64().unwrap(),
        a["count"].as_u64().unwrap() + 2 * b_count
    );
    let cents = 5 * p["segments_total"].as_u64().unwrap();
    assert_eq!(p["estimated_cost"], format!("{}.{:02}", cents / 100, cents % 100));
    assert_eq!(p["currency"], "EUR");
    // A preview changes nothing: the draft starts with the same audience.
    let (_, started) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(started["progress"]["pending"], 3, "{started}");
    let (code, _) = g.call("GET", "/v1/campaigns/999/preview", None);
    assert_eq!(code, 404);
}

#[test]
fn a_partial_nested_patch_merges_over_the_window_and_cap_get_shows() {
    let (_s, g) = start();
    let seg = audience(&g);
    let id = create(&g, campaign(seg));
    let path = format!("/v1/campaigns/{id}");
    // The window is the default: GET shows it whole, a patch of one key works.
    let (code, p) = g.call("PATCH", &path, Some(json!({"window": {"start": "10:00"}})));
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["window"], json!({"start": "10:00", "end": "20:00"}));
    let (code, p) = g.call("PATCH", &path, Some(json!({"frequency_cap": {"per_7d": 2}})));
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["frequency_cap"], json!({"per_24h": 1, "per_7d": 2}));
    // Over a window already set: the other keys stay.
    let (code, p) = g.call(
        "PATCH",
        &path,
        Some(json!({"window": {"end": "18:00", "days": ["mon", "tue"]}})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(
        p["window"],
        json!({"start": "10:00", "end": "18:00", "days": ["mon", "tue"]})
    );
    // null inside removes a key: it is back to its default.
    let (code, p) = g.call(
        "PATCH",
        &path,
        Some(json!({"window": {"start": null, "days": null}, "frequency_cap": {"per_7d": null}})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["window"], json!({"start": "09:00", "end": "18:00"}));
    assert_eq!(p["frequency_cap"], json!({"per_24h": 1, "per_7d": 4}));
}

#[test]
fn errors_are_worded_for_a_shop_owner() {
    let (_s, g) = start();
    let seg = audience(&g);
    let mut body = campaign(seg);
    body["ab_test"] = json!({"test_share": 0.2, "decide_after": "4h", "metric": "likes"});
    let (code, ecode, msg) = error(&g, "POST", "/v1/campaigns", Some(body));
    assert_eq!((code, ecode.as_str()), (422, "invalid_campaign"), "{msg}");
    assert_eq!(
        msg,
        "ab_test.metric: unknown value \"likes\": expected reply, click, redeem or delivered"
    );
    let id = create(&g, campaign(seg));
    let path = |a: &str| format!("/v1/campaigns/{id}/{a}");
    let (_, _, msg) = error(&g, "POST", &path("resume"), None);
    assert_eq!(
        msg,
        format!("campaign {id} is draft: only a paused campaign can be resumed")
    );
    let (_, _, msg) = error(&g, "POST", &path("pause"), None);
    assert_eq!(
        msg,
        format!("campaign {id} is draft: only a scheduled or running campaign can be paused")
    );
    assert_eq!(g.call("POST", &path("cancel"), None).0, 200);
    let (_, _, msg) = error(&g, "POST", &path("cancel"), None);
    assert!(
        msg.ends_with("a completed or cancelled campaign cannot be cancelled"),
        "{msg}"
    );
}

#[test]
fn a_long_contacts_audience_is_shown_cut_with_its_count_and_kept_whole() {
    let (_s, g) = start();
    let phones: Vec<String> = (0..1500).map(|i| format!("+7916{:07}", 1_000_000 + i)).collect();
    let body = json!({"name": "Many", "audience": {"contacts": phones}, "start_at": later().to_rfc3339(),
                      "variants": [{"name": "A", "text": "Sale"}]});
    let (code, c) = g.call("POST", "/v1/campaigns", Some(body));
    assert_eq!(code, 201, "{c}");
    let shown = |c: &Value| {
        (
            c["audience"]["contacts"].as_array().map(Vec::len),
            c["audience"]["contacts_count"].as_u64(),
        )
    };
    assert_eq!(shown(&c), (Some(100), Some(1500)));
    assert_eq!(c["audience"]["contacts"][0], "+79161000000");
    let id = c["id"].as_str().unwrap().to_string();
    let (_, got) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    assert_eq!(shown(&got), (Some(100), Some(1500)));
    let (_, page) = g.call("GET", "/v1/campaigns", None);
    assert_eq!(shown(&page["campaigns"][0]), (Some(100), Some(1500)));
    // PATCH works on the stored request: the whole list is kept.
    let (code, p) = g.call(
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"name": "Many more"})),
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(shown(&p), (Some(100), Some(1500)));
    assert_eq!(p["draft_audience"]["matched"], 1500, "{p}");
}

#[test]
fn a_bad_literal_link_is_refused_at_create_and_patch_naming_where_and_why() {
    let (_s, g) = start();
    let seg = audience(&g);
    for (url, why) in [
        ("javascript:alert(1)", "javascript: URL"),
        ("//evil.example", "no scheme"),
        ("shop.example/x", "no scheme"),
        ("data:text/html,hi", "data: URL"),
        ("https://shop.example/\r\nX: y", "control characters"),
        ("http://user:pw@shop.example/", "user name or password"),
    ] {
        let text = format!("Sale: {{{{ link({}) }}}}", serde_json::to_string(url).unwrap());
        let mut c = campaign(seg);
        c["variants"][1]["text"] = json!(text);
        let (code, kind, msg) = error(&g, "POST", "/v1/campaigns", Some(c));
        assert_eq!((code, kind.as_str()), (422, "invalid_campaign"), "{url}: {msg}");
        assert!(
            msg.starts_with("variants[1].text: link at line 1, column 10"),
            "{url}: {msg}"
        );
        assert!(msg.contains(why), "{url}: {msg}");
        let auto = json!({"name": "cart", "on": "cart_abandoned", "delay": "3h", "text": text});
        let (code, _, msg) = error(&g, "POST", "/v1/automations", Some(auto));
        assert_eq!(code, 422, "{url}: {msg}");
        assert!(
            msg.contains("link at line 1, column 10") && msg.contains(why),
            "{url}: {msg}"
        );
    }
    let id = create(&g, campaign(seg));
    let (code, _, msg) = error(
        &g,
        "PATCH",
        &format!("/v1/campaigns/{id}"),
        Some(json!({"variants": [{"name": "A", "text": "{{ link('//evil.example') }}"}]})),
    );
    assert_eq!(code, 422, "{msg}");
    assert!(
        msg.starts_with("variants[0].text: link at line 1, column 4"),
        "{msg}"
    );
    // A link built from a variable is checked when rendered, not here.
    let mut c = campaign(seg);
    c["variants"][0]["text"] = json!("{{ link(attributes.url) }} {{ link(\"https://shop.example/sale\") }}");
    create(&g, c);
}

#[test]
fn without_a_base_url_the_preview_says_clicks_will_not_be_tracked() {
    let (_s, g) = start();
    let seg = audience(&g);
    let plain = create(&g, campaign(seg));
    let (code, p) = g.call("GET", &format!("/v1/campaigns/{plain}/preview"), None);
    assert_eq!(code, 200, "{p}");
    assert!(!p["notes"].to_string().contains("clicks"), "{p}");
    let mut c = campaign(seg);
    c["variants"][1]["text"] = json!("Sale: {{ link(\"https://shop.example/sale\") }}");
    let id = create(&g, c);
    let (code, p) = g.call("GET", &format!("/v1/campaigns/{id}/preview"), None);
    assert_eq!(code, 200, "{p}");
    let notes = p["notes"].to_string();
    assert!(
        notes.contains(
            "clicks will not be tracked: links go out as long UTM links; set public.base_url to count clicks"
        ),
        "{notes}"
    );
}
