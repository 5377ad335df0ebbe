//! The automations and surveys pages over plain HTTP against the real
//! daemon: empty states, the forms (what they create is what the API
//! shows; a resubmitted form creates nothing twice; a bad field comes
//! back as a message in the viewer's language with the form as typed),
//! a survey's live results fragment, closing, pause/resume, editing
//! without losing what the form does not show, and `GET /v1/surveys`.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Answer, Session, request};
use serde_json::{Value, json};

fn gateway() -> (Sim, Gateway, Session) {
    let sim = Sim::start(1, 0);
    let config = write_config(sim.dir.path(), free_port(), "");
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    gw.wait_ready_modems(1);
    let s = Session::login(&gw.base, "admin", PASSWORD);
    (sim, gw, s)
}

/// A plain form POST (as the browser sends it without htmx).
fn post(gw: &Gateway, s: &Session, path: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("_csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(all)
        .finish();
    request(
        &gw.base,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("Origin", &gw.base),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
}

fn get_in(gw: &Gateway, s: &Session, path: &str, lang: &str) -> Answer {
    request(
        &gw.base,
        "GET",
        path,
        &[("Cookie", &s.cookie), ("Accept-Language", lang)],
        b"",
    )
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// The hidden idempotency key a form was rendered with.
fn form_key(page: &str) -> String {
    page.split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the form carries an idempotency key")
        .to_string()
}

#[test]
fn a_survey_is_created_once_from_the_form_and_its_results_follow_the_votes() {
    let (sim, gw, s) = gateway();
    // Empty state, in the viewer's language.
    let page = s.get(&gw.base, "/surveys");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No surveys yet"), "{}", page.body);
    assert!(
        get_in(&gw, &s, "/surveys", "ru")
            .body
            .contains("Опросов пока нет")
    );
    // One number opted out before.
    assert_eq!(
        gw.call("POST", "/v1/optouts", Some(json!({"number": "+79160000003"})))
            .0,
        201
    );

    let form = s.get(&gw.base, "/surveys/new");
    assert_eq!(form.status, 200);
    let key = form_key(&form.body);
    // A number that is not one: the form comes back with the reason and what was typed.
    let bad = post(
        &gw,
        &s,
        "/surveys",
        &[
            ("idempotency_key", &key),
            ("question", "Will you come on Friday?"),
            ("option_key_0", "1"),
            ("option_label_0", "Yes"),
            ("option_key_1", "2"),
            ("option_label_1", "No"),
            ("recipients", "+79160000001\nnot a number"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("A number cannot be read"), "{}", bad.body);
    assert!(bad.body.contains("recipients[1]"), "{}", bad.body);
    assert!(bad.body.contains("Will you come on Friday?"), "kept as typed");
    assert!(bad.body.contains("not a number"), "kept as typed");
    assert_eq!(
        gw.call("GET", "/v1/surveys", None).1["surveys"],
        json!([]),
        "nothing created"
    );
    // Fewer than two answers, in Russian.
    let bad = request(
        &gw.base,
        "POST",
        "/surveys",
        &[
            ("Cookie", &s.cookie),
            ("Origin", &gw.base),
            ("Accept-Language", "ru"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!(
            "_csrf={}&question=Q&option_key_0=1&option_label_0=Yes&recipients=%2B79160000001",
            s.csrf
        )
        .as_bytes(),
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Проверьте варианты ответа"), "{}", bad.body);

    let fields = [
        ("idempotency_key", key.as_str()),
        ("question", "Will you come on Friday?"),
        ("option_key_0", "1"),
        ("option_label_0", "Yes"),
        ("option_key_1", "2"),
        ("option_label_1", "No"),
        ("option_key_2", "3"),
        ("option_label_2", ""),
        ("recipients", "+79160000001\n8 916 000-00-02, +79160000003"),
        ("count", "first"),
        ("invalid_reply", "Please reply 1 or 2."),
    ];
    let created = post(&gw, &s, "/surveys", &fields);
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.header("location").unwrap().to_string();
    assert!(location.ends_with("?sent=2&suppressed=1"), "{location}");
    let id = location
        .trim_start_matches("/surveys/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // The same form again (a double click, a reload): the same survey, nobody asked twice.
    let again = post(&gw, &s, "/surveys", &fields);
    assert_eq!(again.header("location"), Some(location.as_str()));
    let list = gw.call("GET", "/v1/surveys", None).1;
    assert_eq!(list["surveys"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["surveys"][0]["id"], id.as_str());
    assert_eq!(list["surveys"][0]["recipients"], 2);
    // The same key with other answers is a conflict, said in words.
    let mut changed = fields;
    changed[1] = ("question", "Something else?");
    let conflict = post(&gw, &s, "/surveys", &changed);
    assert_eq!(conflict.status, 422, "{}", conflict.body);
    assert!(conflict.body.contains("already sent"), "{}", conflict.body);

    let page = s.get(&gw.base, &location);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("The question was sent to 2 numbers."),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 number had opted out"), "{}", page.body);
    assert!(page.body.contains(&format!("hx-get=\"/surveys/{id}/results\"")));
    assert!(page.body.contains("hx-trigger=\"every 3s\""));
    assert!(page.body.contains("<meter"));
    let list = s.get(&gw.base, "/surveys");
    assert!(list.body.contains(&format!("href=\"/surveys/{id}\"")));
    assert!(list.body.contains("Will you come on Friday?"));

    // Votes arrive: the fragment counts them.
    let results = |gw: &Gateway| s.get(&gw.base, &format!("/surveys/{id}/results")).body;
    wait_for("the questions to go out", 30, || sim.ledger().len() >= 2);
    sim.post("/modems/0/sms", json!({"from": "+79160000001", "text": "1"}));
    sim.post("/modems/0/sms", json!({"from": "+79160000002", "text": "yes"}));
    wait_for("two votes", 30, || results(&gw).contains("2 votes · 100"));
    let r = results(&gw);
    assert!(r.contains("value=\"2\""), "{r}");
    assert!(r.contains("0 votes · 0"), "{r}");
    assert!(!r.contains("<html"), "a fragment");

    // Closing: the results stop refreshing.
    let closed = post(&gw, &s, &format!("/surveys/{id}/close"), &[]);
    assert_eq!(closed.status, 303);
    let r = results(&gw);
    assert!(!r.contains("hx-trigger"), "{r}");
    assert!(r.contains("final results"), "{r}");
    assert_eq!(
        gw.call("GET", &format!("/v1/surveys/{id}"), None).1["status"],
        "closed"
    );
    // Unknown surveys.
    assert_eq!(s.get(&gw.base, "/surveys/999").status, 404);
    assert_eq!(s.get(&gw.base, "/surveys/-1").status, 404);
    assert_eq!(s.get(&gw.base, "/surveys?before=x").status, 404);
    assert_eq!(post(&gw, &s, "/surveys/999/close", &[]).status, 404);
    // The form without the anti-forgery token is refused.
    let r = request(
        &gw.base,
        "POST",
        "/surveys",
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"question=x",
    );
    assert_eq!(r.status, 403);
}

#[test]
fn automations_are_created_edited_paused_and_show_their_figures() {
    let (_sim, gw, s) = gateway();
    let page = s.get(&gw.base, "/automations");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No automations yet"), "{}", page.body);
    assert!(
        get_in(&gw, &s, "/automations", "es")
            .body
            .contains("Todavía no hay automatizaciones")
    );

    let form = s.get(&gw.base, "/automations/new?trigger=sequence");
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("id=\"trigger-sequence\" name=\"trigger\" value=\"sequence\" checked")
    );
    let key = form_key(&form.body);
    // A template error: the field, line and column, and the form as typed.
    let bad = post(
        &gw,
        &s,
        "/automations",
        &[
            ("idempotency_key", &key),
            ("name", "Cart reminder"),
            ("trigger", "event"),
            ("on", "cart_abandoned"),
            ("delay", "2h"),
            ("text", "Hello {{ name "),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Check the form"), "{}", bad.body);
    assert!(bad.body.contains("text: "), "{}", bad.body);
    assert!(bad.body.contains("value=\"cart_abandoned\""));

    let fields = [
        ("idempotency_key", key.as_str()),
        ("name", "Cart reminder"),
        ("kind", "service"),
        ("trigger", "event"),
        ("on", "cart_abandoned"),
        ("delay", "2h"),
        (
            "text",
            "You left something in your cart, {{ name | default(\"friend\") }}",
        ),
        ("cancel_on", "order_placed, cart_emptied"),
        ("exit_on_reply", ""),
        ("on_date", "ignored for an event"),
        ("step_text_0", "ignored too"),
    ];
    let created = post(&gw, &s, "/automations", &fields);
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.header("location").unwrap().to_string();
    let id = location.trim_start_matches("/automations/").to_string();
    let again = post(&gw, &s, "/automations", &fields);
    assert_eq!(again.header("location"), Some(location.as_str()), "created once");
    let (_, list) = gw.call("GET", "/v1/automations", None);
    assert_eq!(list["automations"].as_array().unwrap().len(), 1, "{list}");
    let a = &list["automations"][0];
    assert_eq!(a["trigger"], "event");
    assert_eq!(a["spec"]["delay"], "2h");
    assert_eq!(a["spec"]["kind"], "service");
    assert_eq!(a["spec"]["cancel_on"], json!(["order_placed", "cart_emptied"]));
    assert!(a["spec"].get("on_date").is_none() && a["spec"].get("steps").is_none());

    // What the form does not show survives an edit.
    let (code, _) = gw.call(
        "PATCH",
        &format!("/v1/automations/{id}"),
        Some(json!({"status_report": false})),
    );
    assert_eq!(code, 200);
    let edit = s.get(&gw.base, &format!("/automations/{id}/edit"));
    assert_eq!(edit.status, 200);
    assert!(
        edit.body.contains("value=\"order_placed, cart_emptied\""),
        "{}",
        edit.body
    );
    assert!(!edit.body.contains("name=\"idempotency_key\""));
    let saved = post(
        &gw,
        &s,
        &format!("/automations/{id}"),
        &[
            ("name", "Cart reminder"),
            ("kind", "service"),
            ("trigger", "event"),
            ("on", "cart_abandoned"),
            ("delay", "3h"),
            ("text", "Your cart is waiting"),
            ("cancel_on", ""),
            ("exit_on_reply", "yes"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, a) = gw.call("GET", &format!("/v1/automations/{id}"), None);
    assert_eq!(a["spec"]["delay"], "3h");
    assert_eq!(a["spec"]["status_report"], false, "{a}");
    assert!(a["spec"].get("cancel_on").is_none(), "cleared: {a}");
    assert_eq!(a["spec"]["exit_on_reply"], true);

    // An event through the API: its page shows the scheduled send.
    let (code, ev) = gw.call(
        "POST",
        "/v1/events",
        Some(json!({"contact": "+79161234567", "event": "cart_abandoned"})),
    );
    assert_eq!(code, 200, "{ev}");
    let page = s.get(&gw.base, &location);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("3h after “cart_abandoned”"), "{}", page.body);
    assert!(page.body.contains("id=\"fig-waiting\">1<"), "{}", page.body);
    let list = s.get(&gw.base, "/automations");
    assert!(list.body.contains("Cart reminder"));
    assert!(list.body.contains("badge good"));

    // Pause (twice: no error), then resume.
    for _ in 0..2 {
        let r = post(&gw, &s, &format!("/automations/{id}/pause"), &[]);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    assert_eq!(
        gw.call("GET", &format!("/v1/automations/{id}"), None).1["status"],
        "paused"
    );
    let page = s.get(&gw.base, &location);
    assert!(
        page.body
            .contains(&format!("action=\"/automations/{id}/resume\""))
    );
    assert!(post(&gw, &s, &format!("/automations/{id}/resume"), &[]).status == 303);
    assert_eq!(
        gw.call("GET", &format!("/v1/automations/{id}"), None).1["status"],
        "active"
    );

    // A sequence and a date trigger from the form.
    let seq = post(
        &gw,
        &s,
        "/automations",
        &[
            ("idempotency_key", "seq-1"),
            ("name", "Welcome"),
            ("trigger", "sequence"),
            ("on", "signup"),
            ("step_delay_0", ""),
            ("step_text_0", "Welcome!"),
            ("step_delay_1", "2d"),
            ("step_text_1", "How is it going?"),
            ("step_delay_2", ""),
            ("step_text_2", ""),
        ],
    );
    assert_eq!(seq.status, 303, "{}", seq.body);
    let date = post(
        &gw,
        &s,
        "/automations",
        &[
            ("idempotency_key", "date-1"),
            ("name", "Birthday"),
            ("trigger", "date"),
            ("on_date", "birthday"),
            ("offset_days", "-3"),
            ("at", "11:30"),
            ("repeat", "yearly"),
            ("text", "Happy birthday soon!"),
            ("window_start", "09:00"),
            ("window_end", "21:00"),
        ],
    );
    assert_eq!(date.status, 303, "{}", date.body);
    let list = s.get(&gw.base, "/automations");
    assert!(
        list.body.contains("A series of 2 messages after “signup”"),
        "{}",
        list.body
    );
    assert!(
        list.body
            .contains("3 days before the contact&#x27;s birthday, at 11:30, every year"),
        "{}",
        list.body
    );
    let ru = get_in(&gw, &s, "/automations", "ru");
    assert!(ru.body.contains("За 3 дня до «birthday» клиента"), "{}", ru.body);
    let (_, all) = gw.call("GET", "/v1/automations", None);
    let d: &Value = &all["automations"][2];
    assert_eq!(d["spec"]["window"], json!({"start": "09:00", "end": "21:00"}));
    // Unknown ids.
    assert_eq!(s.get(&gw.base, "/automations/999").status, 404);
    assert_eq!(s.get(&gw.base, "/automations/x/edit").status, 404);
    assert_eq!(post(&gw, &s, "/automations/999/pause", &[]).status, 404);
}

#[test]
fn the_api_lists_surveys_newest_first_and_honours_idempotency_keys() {
    let (_sim, gw, _s) = gateway();
    let survey = |q: &str, key: Option<&str>| {
        let mut body =
            json!({"question": q, "options": {"1": "Yes", "2": "No"}, "recipients": ["+79160000001"]});
        if let Some(k) = key {
            body["idempotency_key"] = json!(k);
        }
        gw.call("POST", "/v1/surveys", Some(body))
    };
    let (code, first) = survey("First?", Some("k-1"));
    assert_eq!(code, 201, "{first}");
    let (code, again) = survey("First?", Some("k-1"));
    assert_eq!((code, &again), (201, &first), "the first answer again");
    let (code, e) = survey("Other?", Some("k-1"));
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    let (code, e) = survey("Other?", Some(""));
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_idempotency_key"))
    );
    let (_, second) = survey("Second?", None);
    let (_, third) = survey("Third?", None);
    let (code, page) = gw.call("GET", "/v1/surveys?limit=2", None);
    assert_eq!(code, 200, "{page}");
    let ids: Vec<&Value> = page["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, vec![&third["id"], &second["id"]], "newest first");
    assert_eq!(page["surveys"][0]["status"], "open");
    assert_eq!(page["surveys"][0]["recipients"], 1);
    let next = page["next"].as_str().unwrap();
    let (_, older) = gw.call("GET", &format!("/v1/surveys?limit=2&before={next}"), None);
    assert_eq!(older["surveys"].as_array().unwrap().len(), 1);
    assert_eq!(older["surveys"][0]["id"], first["id"]);
    assert_eq!(older["next"], Value::Null);
    assert_eq!(gw.call("GET", "/v1/surveys?before=-1", None).0, 400);
    assert_eq!(gw.call("GET", "/v1/surveys?limit=0", None).0, 400);

    let automation = json!({"name": "A", "on": "signup", "text": "Hi", "idempotency_key": "a-1"});
    let (code, a) = gw.call("POST", "/v1/automations", Some(automation.clone()));
    assert_eq!(code, 201, "{a}");
    assert!(
        a["spec"].get("idempotency_key").is_none(),
        "not part of the automation"
    );
    let (code, b) = gw.call("POST", "/v1/automations", Some(automation));
    assert_eq!((code, &b["id"]), (201, &a["id"]));
    let (code, e) = gw.call(
        "POST",
        "/v1/automations",
        Some(json!({"name": "B", "on": "signup", "text": "Hi", "idempotency_key": "a-1"})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    let (code, e) = gw.call(
        "POST",
        "/v1/automations",
        Some(json!({"name": "B", "on": "signup", "text": "Hi", "idempotency_key": 5})),
    );
    assert_eq!(
        (code, e["error"]["code"].as_str()),
        (422, Some("invalid_idempotency_key"))
    );
    assert_eq!(
        gw.call("GET", "/v1/automations", None).1["automations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
