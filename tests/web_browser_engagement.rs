//! Automations and surveys in a real Chromium: a survey asked from the
//! form, its result bars moving by themselves as votes arrive through the
//! simulator, then closed; a sequence built step by step in the form
//! (only the chosen trigger's fields shown), its figures after an event,
//! pause/resume and an edit; each page accessible and usable at phone
//! width, and in Russian.

mod common;

use common::browser::{DESKTOP, Dashboard, PHONE};
use serde_json::json;

fn fits_a_phone(b: &common::browser::Browser) {
    b.size(PHONE);
    std::thread::sleep(std::time::Duration::from_millis(300));
    if b.overflows_horizontally() {
        let culprits = b.exec(
            "return Array.from(document.querySelectorAll('main *')).filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className).join(', ');",
            vec![],
        );
        panic!("sideways scrolling at 375 px on {}: {culprits}", b.path());
    }
    b.size(DESKTOP);
}

fn vote(d: &Dashboard, from: &str, text: &str) {
    d.sim.post("/modems/0/sms", json!({"from": from, "text": text}));
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn a_surveys_bars_move_when_votes_arrive() {
    let d = Dashboard::start(1, 0, "", "en-US");
    let b = &d.browser;
    b.goto("/surveys");
    b.wait_text("main", "No surveys yet", 10);
    b.assert_accessible();
    b.click("main a[href='/surveys/new']");
    b.wait_text("h1", "New survey", 10);
    b.fill("#question", "Will you come to the open day on Friday?");
    b.fill("#option_label_0", "Yes");
    b.fill("#option_label_1", "No");
    b.fill("#option_label_2", "Not sure");
    b.fill(
        "#recipients",
        "+79160000001\n+79160000002\n8 916 000-00-03\n+79160000004",
    );
    b.assert_accessible();
    fits_a_phone(b);
    b.click("#send-survey");
    b.wait_text("[role=status]", "The question was sent to 4 numbers.", 10);
    let path = b.path();
    assert!(path.starts_with("/surveys/"), "{path}");
    b.wait_text("#survey-results", "No votes yet", 10);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while d.sim.ledger().len() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Votes come in by SMS; the page updates on its own (no reload).
    let marker = b.exec(
        "document.body.dataset.loaded = 'once'; return document.body.dataset.loaded;",
        vec![],
    );
    assert_eq!(marker, "once");
    vote(&d, "+79160000001", "1");
    b.wait_text(".eng-count[data-key='1']", "1 vote · 100", 15);
    vote(&d, "+79160000002", "yes");
    vote(&d, "+79160000003", "2");
    b.wait_text(".eng-count[data-key='1']", "2 votes · 66.7", 15);
    b.wait_text(".eng-count[data-key='2']", "1 vote · 33.3", 15);
    b.wait_text(".eng-count[data-key='3']", "0 votes · 0", 15);
    b.wait_text("#survey-responded", "3", 15);
    let meter = b.exec("return document.getElementById('bar-0').value;", vec![]);
    assert_eq!(meter.as_f64(), Some(2.0));
    let max = b.exec("return document.getElementById('bar-0').max;", vec![]);
    assert_eq!(max.as_f64(), Some(3.0));
    assert_eq!(
        b.exec("return document.body.dataset.loaded || '';", vec![]),
        "once",
        "the bars moved without reloading the page"
    );
    // A later vote moves them again; a reply that is not a vote is counted apart.
    vote(&d, "+79160000004", "maybe");
    b.wait_text("#survey-comments", "1", 15);
    b.assert_accessible();
    b.screenshots("surveys");
    fits_a_phone(b);

    // Close it: the bars stop, the results are final.
    b.exec(
        "window.confirm = function () { return true; }; return true;",
        vec![],
    );
    b.click("form[action$='/close'] button");
    b.wait_text("#survey-results", "final results", 10);
    assert!(!b.exists("form[action$='/close']"));
    b.goto("/surveys");
    b.wait_text("table", "Will you come to the open day on Friday?", 10);
    b.wait_text("table", "Closed", 10);
    b.assert_accessible();
    fits_a_phone(b);
    // In Russian.
    b.click("a[hreflang=ru]");
    b.wait_text("h1", "Опросы", 10);
    b.wait_text("table", "Завершён", 10);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn an_automation_is_built_in_the_form_paused_resumed_and_edited() {
    let d = Dashboard::start(1, 0, "", "en-US");
    let b = &d.browser;
    b.goto("/automations");
    b.wait_text("main", "No automations yet", 10);
    b.assert_accessible();
    b.click("main a[href='/automations/new?trigger=event']");
    b.wait_text("h1", "New automation", 10);
    b.assert_accessible();
    let shown = |css: &str| {
        b.exec(
            "const e = document.querySelector(arguments[0]); return !!e && e.offsetParent !== null;",
            vec![json!(css)],
        ) == json!(true)
    };
    assert!(shown("#delay") && shown("#text") && !shown("#step_text_0") && !shown("#on_date"));
    b.click("#trigger-sequence");
    assert!(!shown("#delay") && !shown("#text") && shown("#step_text_0") && shown("#on"));
    b.click("#trigger-date");
    assert!(shown("#on_date") && shown("#text") && !shown("#on"));
    b.click("#trigger-sequence");

    b.fill("#name", "Welcome series");
    b.fill("#on", "signup");
    b.fill(
        "#step_text_0",
        "Welcome to the shop, {{ name | default(\"friend\") }}!",
    );
    b.fill("#step_delay_1", "2d");
    b.fill("#step_text_1", "How do you like it so far?");
    b.fill("#step_delay_2", "5d");
    b.fill("#step_text_2", "Here is 10% off your next visit.");
    b.click("button[value=add_step]");
    b.wait_text("h1", "New automation", 10);
    assert!(b.exists("#step_text_3"), "a fourth row");
    assert_eq!(
        b.exec("return document.getElementById('step_delay_2').value;", vec![]),
        "5d",
        "what was typed is kept"
    );
    fits_a_phone(b);
    b.click("#kind-service");
    b.click("#save-automation");
    b.wait_text("h1", "Welcome series", 10);
    b.wait_text("#automation-trigger", "A series of 3 messages after “signup”", 10);
    b.wait_text("main", "Nothing scheduled yet", 10);

    // An event from the shop's system: the series starts.
    let (code, ev) = d.gw.call(
        "POST",
        "/v1/events",
        Some(json!({"contact": "+79161234567", "event": "signup"})),
    );
    assert_eq!(code, 200, "{ev}");
    b.goto(&b.path());
    b.wait_text("#fig-scheduled", "3", 10);
    b.assert_accessible();
    b.screenshots("automations-detail");
    fits_a_phone(b);

    // Pause and resume.
    b.click("form[action$='/pause'] button");
    b.wait_text(".eng-head", "Paused", 10);
    b.wait_text("main", "nothing of it is sent", 10);
    b.click("form[action$='/resume'] button");
    b.wait_text(".eng-head", "Active", 10);

    // Edit: the form shows it as saved; a change is kept.
    b.click("a[href$='/edit']");
    b.wait_text("h1", "Edit the automation", 10);
    assert_eq!(
        b.exec("return document.getElementById('step_delay_1').value;", vec![]),
        "2d"
    );
    b.assert_accessible();
    b.fill("#name", "Welcome series (new shop)");
    b.fill("#step_delay_1", "1d");
    b.click("#save-automation");
    b.wait_text("h1", "Welcome series (new shop)", 10);
    b.wait_text("main", "Step 2, after 1d", 10);
    // A template error comes back on the form, in words.
    b.click("a[href$='/edit']");
    b.fill("#step_text_1", "Hello {{ name");
    b.click("#save-automation");
    b.wait_text("[role=alert]", "Check the form", 10);
    b.wait_text("[role=alert]", "steps[1].text", 10);

    b.goto("/automations");
    b.wait_text("table", "Welcome series (new shop)", 10);
    b.assert_accessible();
    b.screenshots("automations");
    fits_a_phone(b);
    b.click("a[hreflang=es]");
    b.wait_text("h1", "Automatizaciones", 10);
    b.wait_text("table", "Una serie de 3 mensajes", 10);
    b.assert_accessible();
}
