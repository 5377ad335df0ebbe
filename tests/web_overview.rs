//! The overview, opt-outs and settings pages over plain HTTP against the
//! real daemon and simulator: what each shows, that their actions go
//! through the same rules as the API (an opt-out suppresses what is
//! queued; a review decided twice is refused), that bad input gets a clear
//! answer in the viewer's language, and `GET /v1/overview`.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Session, request};
use serde_json::{Value, json};

fn gateway(modems: usize, extra: &str) -> (Sim, Gateway, Session) {
    let sim = Sim::start(modems, 0);
    let config = write_config(sim.dir.path(), free_port(), extra);
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    gw.wait_ready_modems(modems);
    let s = Session::login(&gw.base, "admin", PASSWORD);
    (sim, gw, s)
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn overview(gw: &Gateway) -> Value {
    let (st, v) = gw.call("GET", "/v1/overview?tz=Europe/Moscow", None);
    assert_eq!(st, 200, "{v}");
    v
}

#[test]
fn the_overview_shows_modems_traffic_and_alerts_as_they_happen() {
    let (sim, gw, s) = gateway(2, "daily_limit = 500\n");
    // Nothing sent yet: the empty state points to the send page.
    let r = s.get(&gw.base, "/");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h1>Overview</h1>"), "{}", r.body);
    assert!(r.body.contains("No messages yet"), "empty state");
    assert!(r.body.contains("href=\"/send\""));
    assert!(r.body.contains("Everything is working."));
    assert_eq!(r.body.matches("<article class=\"card modem\">").count(), 2);
    assert!(r.body.contains(">Ready</span>"), "state in words");
    assert!(r.body.contains("0 of 500"), "sent today against the daily limit");
    assert!(r.body.contains("hx-trigger=\"every 5s\""), "refreshes itself");

    // A message goes out; a STOP and an unclear reply come in.
    let (st, m) = gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "Your order is ready"})),
    );
    assert_eq!(st, 202, "{m}");
    wait_for("the message sent", 30, || {
        (overview(&gw)["today"]["sent"] == 1).then_some(())
    });
    sim.post("/modems/0/sms", json!({"from": "+79169990001", "text": "STOP"}));
    sim.post(
        "/modems/1/sms",
        json!({"from": "+79169990002", "text": "please stop texting me on weekends"}),
    );
    let v = wait_for("the STOP and the review", 30, || {
        let v = overview(&gw);
        (v["today"]["opt_outs"] == 1 && v["optout_reviews"] == 1).then_some(v)
    });
    assert_eq!(v["today"]["replies"], 2, "{v}");
    assert_eq!(v["modems"].as_array().unwrap().len(), 2);
    assert_eq!(v["queue"]["queued"], 0);
    assert!(
        v["today"]["since"].as_str().unwrap().ends_with("T21:00:00.000Z"),
        "Moscow midnight: {v}"
    );
    let alerts = v["alerts"].as_array().unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a["kind"] == "optouts_to_review" && a["count"] == 1),
        "{v}"
    );

    // The live fragment says the same, without the layout.
    let r = request(
        &gw.base,
        "GET",
        "/overview/live",
        &[("Cookie", &s.cookie), ("HX-Request", "true")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("<html"), "a fragment");
    assert!(r.body.contains("id=\"overview-live\""));
    assert!(
        r.body.contains("1 reply looks like a request to stop messages."),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"/optouts#review\""));
    assert!(!r.body.contains("No messages yet"));

    // A modem pulled out is an alert at once, in words.
    sim.post("/modems/1/unplug", json!({}));
    let v = wait_for("the disconnected modem", 30, || {
        let v = overview(&gw);
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "modem_disconnected")
            .then_some(v)
    });
    assert_eq!(v["alerts"][0]["severity"], "bad", "most urgent first: {v}");
    let r = s.get(&gw.base, "/");
    assert!(
        r.body.contains("is disconnected. Check that it is plugged in."),
        "{}",
        r.body
    );
    assert!(r.body.contains(">Disconnected</span>"));

    // In Russian, with Russian plurals.
    let ru = request(
        &gw.base,
        "GET",
        "/",
        &[("Cookie", &format!("{}; lang=ru", s.cookie))],
        b"",
    );
    assert!(ru.body.contains("<h1>Обзор</h1>"), "{}", ru.body);
    assert!(ru.body.contains("1 ответ похож на просьбу больше не писать."));
    assert!(ru.body.contains("Отключён"));

    // A zone that does not exist is a clear 422.
    let (st, e) = gw.call("GET", "/v1/overview?tz=Mars/Olympus", None);
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("invalid_time_zone")),
        "{e}"
    );
}

#[test]
fn opting_out_searching_resubscribing_and_reviewing_from_the_page() {
    let (sim, gw, s) = gateway(1, "");
    let r = s.get(&gw.base, "/optouts");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Nobody has opted out yet."), "{}", r.body);
    assert!(r.body.contains("No replies to review."));

    // A bad number is refused on the page, in words, with the form refilled.
    let r = s.post_form(
        &gw.base,
        "/optouts",
        &[("number", "call me maybe"), ("note", "x")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("is not a phone number we can read"), "{}", r.body);
    assert!(r.body.contains("value=\"call me maybe\""));
    let r = s.post_form(&gw.base, "/optouts", &[("number", "😀")]);
    assert_eq!(r.status, 422, "no panic on odd input");

    // Something is scheduled for a number; opting it out from the page
    // suppresses it, exactly as the API would.
    let (st, m) = gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161112233", "text": "Sale tomorrow", "send_at": "2099-01-01T10:00:00Z"})),
    );
    assert_eq!(st, 202, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let r = s.post_form(
        &gw.base,
        "/optouts",
        &[("number", "8 916 111-22-33"), ("note", "asked by phone")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    assert!(
        to.starts_with("/optouts?done=added&number=%2B79161112233"),
        "{to}"
    );
    let (_, msg) = gw.call("GET", &format!("/v1/messages/{id}"), None);
    assert_eq!(msg["status"], "suppressed", "{msg}");
    let page = s.get(&gw.base, &to);
    assert!(page.body.contains("+79161112233 is opted out."), "{}", page.body);
    assert!(page.body.contains("asked by phone"));
    assert!(page.body.contains("Added by hand or through the API"));
    // Twice is harmless.
    let r = s.post_form(&gw.base, "/optouts", &[("number", "+79161112233")]);
    assert!(r.header("location").unwrap().contains("done=already"));

    // A STOP by text shows up too, newest first.
    sim.post("/modems/0/sms", json!({"from": "+79035550101", "text": "STOP"}));
    wait_for("the STOP", 30, || {
        (gw.call("GET", "/v1/optouts/+79035550101", None).0 == 200).then_some(())
    });
    let page = s.get(&gw.base, "/optouts");
    let stop = page.body.find("+79035550101").expect("the STOP listed");
    let hand = page.body.find("+79161112233").expect("the one added");
    assert!(stop < hand, "newest first");
    assert!(page.body.contains("<q>STOP</q>"));

    // Search: by first digits (live results fragment) and by the whole number in national form.
    let r = s.get(&gw.base, "/optouts/results?q=7903");
    assert!(
        r.body.contains("+79035550101") && !r.body.contains("+79161112233"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<html"));
    let r = s.get(&gw.base, "/optouts?q=8+916+111-22-33");
    assert!(
        r.body.contains("+79161112233") && !r.body.contains("+79035550101"),
        "{}",
        r.body
    );
    let r = s.get(&gw.base, "/optouts/results?q=7999");
    assert!(r.body.contains("No opted-out number matches"));
    let r = s.get(&gw.base, "/optouts/results?q=%3Cscript%3E");
    assert!(r.body.contains("Type digits only"), "{}", r.body);
    assert!(!r.body.contains("<script>"));

    // Resubscribing asks first, and refuses without the box ticked.
    let r = s.get(&gw.base, "/optouts/remove?number=%2B79035550101");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Only do this if the person asked"), "{}", r.body);
    let r = s.post_form(&gw.base, "/optouts/remove", &[("number", "+79035550101")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tick the box"));
    assert_eq!(
        gw.call("GET", "/v1/optouts/+79035550101", None).0,
        200,
        "still opted out"
    );
    let r = s.post_form(
        &gw.base,
        "/optouts/remove",
        &[("number", "+79035550101"), ("confirm", "yes")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(gw.call("GET", "/v1/optouts/+79035550101", None).0, 404, "removed");
    let r = s.get(&gw.base, "/optouts/remove?number=%2B79035550101");
    assert_eq!(r.status, 404, "nothing to resubscribe");

    // The review list: an unclear reply, decided once.
    sim.post(
        "/modems/0/sms",
        json!({"from": "+79035550202", "text": "Stop by tomorrow? The shop is closed"}),
    );
    let review = wait_for("the review", 30, || {
        let (_, v) = gw.call("GET", "/v1/optouts/review", None);
        v["reviews"].as_array().and_then(|a| a.first().cloned())
    });
    let rid = review["id"].as_str().unwrap();
    let page = s.get(&gw.base, "/optouts");
    assert!(page.body.contains("Replies to review (1)"), "{}", page.body);
    assert!(page.body.contains("Stop by tomorrow? The shop is closed"));
    let r = s.post_form(
        &gw.base,
        &format!("/optouts/review/{rid}"),
        &[("action", "dismiss")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().contains("done=dismissed"));
    assert_eq!(
        gw.call("GET", "/v1/optouts/+79035550202", None).0,
        404,
        "not opted out"
    );
    let r = s.post_form(
        &gw.base,
        &format!("/optouts/review/{rid}"),
        &[("action", "opt_out")],
    );
    assert_eq!(r.status, 409, "decided once");
    assert!(r.body.contains("Already decided"), "{}", r.body);
    let r = s.post_form(&gw.base, "/optouts/review/nope", &[("action", "dismiss")]);
    assert_eq!(r.status, 404);
    let r = s.post_form(
        &gw.base,
        &format!("/optouts/review/{rid}"),
        &[("action", "maybe")],
    );
    assert_eq!(r.status, 422);

    // No form goes through without its anti-forgery token.
    let r = request(
        &gw.base,
        "POST",
        "/optouts",
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"number=%2B79160000000",
    );
    assert_eq!(r.status, 403);
    assert_eq!(gw.call("GET", "/v1/optouts/+79160000000", None).0, 404);
}

#[test]
fn settings_show_the_configuration_without_its_secrets() {
    let sim_secret = "pin = \"4321\"\n[[webhook]]\nurl = \"http://bob:hunter2@127.0.0.1:9/hook/ABCDEFGHIJKLMNOPQRST?token=qwerty\"\nsecret = \"webhook-signing-secret-1234\"\n";
    let (sim, gw, s) = gateway(1, sim_secret);
    // An event for the webhook, which nobody receives: deliveries fail.
    sim.post("/modems/0/sms", json!({"from": "+79169990001", "text": "hello"}));
    let v = wait_for("the failing webhook", 60, || {
        let v = overview(&gw);
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "webhook_failing")
            .then_some(v)
    });
    assert_eq!(v["webhooks"][0]["url"], "http://127.0.0.1:9/hook/…", "{v}");

    let r = s.get(&gw.base, "/settings");
    assert_eq!(r.status, 200);
    let token = std::fs::read_to_string(sim.dir.path().join("token")).unwrap();
    for secret in [
        "4321",
        "hunter2",
        "qwerty",
        "ABCDEFGHIJKLMNOPQRST",
        "webhook-signing-secret",
        token.trim(),
        "$argon2",
    ] {
        assert!(!r.body.contains(secret), "{secret} shown on the settings page");
    }
    assert!(r.body.contains("set, hidden"), "{}", r.body);
    assert!(r.body.contains("<code>modem[1].pin</code>"));
    assert!(
        r.body.contains("127.0.0.1:9&#x2f;hook&#x2f;…"),
        "the receiver, redacted"
    );
    assert!(r.body.contains("Failing"), "webhook delivery state");
    assert!(r.body.contains("Replies are not forwarded by email."));
    assert!(
        r.body
            .contains("<li>admin <span class=\"muted\">(you)</span></li>"),
        "users by name"
    );

    let page = s.get(&gw.base, "/");
    assert!(page.body.contains("is not accepting events"), "{}", page.body);
    assert!(!page.body.contains("hunter2"));
}
