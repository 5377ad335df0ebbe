//! The overview, opt-outs and settings pages in a real Chromium: the
//! overview refreshing itself as traffic and alerts arrive; a STOP sent
//! through the simulator showing up in the opt-outs; searching, adding,
//! reviewing and resubscribing there; the settings page; each page
//! accessible and usable at phone width.

mod common;

use std::time::{Duration, Instant};

use common::browser::{DESKTOP, Dashboard, PHONE};
use serde_json::json;

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn fits_a_phone(d: &Dashboard) {
    let b = &d.browser;
    b.size(PHONE);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !b.overflows_horizontally(),
        "{} scrolls sideways at 375 px",
        b.path()
    );
    b.size(DESKTOP);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn the_overview_shows_the_fleet_and_refreshes_itself() {
    let d = Dashboard::start(2, 0, "daily_limit = 300\nmonthly_limit = 5000\n", "en-US");
    let b = &d.browser;
    b.wait_text("h1", "Overview", 10);
    b.wait_text("#overview-live", "No messages yet", 10);
    assert!(b.text("#overview-live").contains("Everything is working."));
    b.assert_accessible();

    // Traffic arrives while the page is open: it updates without a reload.
    for (i, to) in ["+79161234501", "+79161234502", "+79161234503"]
        .iter()
        .enumerate()
    {
        let (st, v) = d.gw.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": to, "text": format!("Your order #{i} is ready")})),
        );
        assert_eq!(st, 202, "{v}");
    }
    d.sim
        .post("/modems/0/sms", json!({"from": "+79169990001", "text": "STOP"}));
    d.sim.post(
        "/modems/1/sms",
        json!({"from": "+79169990002", "text": "please stop texting me on weekends"}),
    );
    let live = b.wait_text(
        "#overview-live",
        "1 reply looks like a request to stop messages.",
        20,
    );
    assert!(!live.contains("No messages yet"), "{live}");
    b.wait_text("#overview-live", "of 300", 10);
    b.click("a[href='/optouts#review']");
    b.wait_text("h1", "Opt-outs", 10);
    assert!(b.text("#review").contains("please stop texting me on weekends"));
    b.goto("/");
    b.wait_text("#overview-live", "Ready", 10);
    b.assert_accessible();
    b.screenshots("overview");
    fits_a_phone(&d);

    // A modem pulled out: the alert appears on its own, in words.
    d.sim.post("/modems/1/unplug", json!({}));
    b.wait_text(
        "#overview-live",
        "is disconnected. Check that it is plugged in.",
        30,
    );
    b.assert_accessible();
    fits_a_phone(&d);

    // And in Russian.
    b.click("a[hreflang=ru]");
    b.wait_text("h1", "Обзор", 10);
    b.wait_text("#overview-live", "отключён", 10);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn a_stop_by_text_shows_in_opt_outs_which_can_be_searched_added_reviewed_and_undone() {
    let d = Dashboard::start(1, 0, "", "en-US");
    let b = &d.browser;
    b.goto("/optouts");
    b.wait_text("h1", "Opt-outs", 10);
    assert!(b.text("#optout-results").contains("Nobody has opted out yet."));
    b.assert_accessible();

    // A STOP through the simulator.
    d.sim
        .post("/modems/0/sms", json!({"from": "+79035550101", "text": "STOP"}));
    wait_for("the STOP stored", 30, || {
        d.gw.call("GET", "/v1/optouts/+79035550101", None).0 == 200
    });
    b.goto("/optouts");
    let list = b.wait_text("#optout-results", "+79035550101", 10);
    assert!(
        list.contains("Replied: “STOP”") || list.contains("STOP"),
        "{list}"
    );

    // Added by hand, with a note.
    b.fill("#add-number", "+7 916 111-22-33");
    b.fill("#add-note", "asked by phone");
    b.click("#add-form button[type=submit]");
    b.wait_text("[role=status]", "+79161112233 is opted out.", 10);
    assert!(b.text("#optout-results").contains("asked by phone"));

    // A number that is not one is explained, not a crash.
    b.fill("#add-number", "call me");
    b.click("#add-form button[type=submit]");
    b.wait_text("#add-error", "is not a phone number we can read", 10);
    b.assert_accessible();

    // Live search by the first digits.
    b.fill("#optout-q", "7903");
    wait_for("the live results", 10, || {
        let t = b.text("#optout-results");
        t.contains("+79035550101") && !t.contains("+79161112233")
    });

    // An unclear reply waits for a decision; it is not an opt-out.
    d.sim.post(
        "/modems/0/sms",
        json!({"from": "+79035550202", "text": "Stop by tomorrow? The shop is closed"}),
    );
    wait_for("the review", 30, || {
        let (_, v) = d.gw.call("GET", "/v1/optouts/review", None);
        v["reviews"].as_array().is_some_and(|a| !a.is_empty())
    });
    b.goto("/optouts");
    b.wait_text("#review", "Stop by tomorrow? The shop is closed", 10);
    b.assert_accessible();
    b.screenshots("optouts");
    fits_a_phone(&d);
    b.click("#review button:not(.danger)");
    b.wait_text("[role=status]", "stays a normal reply", 10);
    assert!(b.text("#review").contains("No replies to review."));
    assert_eq!(d.gw.call("GET", "/v1/optouts/+79035550202", None).0, 404);

    // Resubscribing: a confirmation page first, and the box must be ticked.
    b.goto("/optouts?q=%2B79035550101");
    b.wait_text("#optout-results", "+79035550101", 10);
    b.click("#optout-results a[href^='/optouts/remove']");
    b.wait_text("h1", "Resubscribe a number", 10);
    b.assert_accessible();
    fits_a_phone(&d);
    b.click("#confirm");
    b.click("form[action='/optouts/remove'] button[type=submit]");
    b.wait_text("[role=status]", "+79035550101 may get messages again.", 10);
    assert_eq!(d.gw.call("GET", "/v1/optouts/+79035550101", None).0, 404);

    // In Spanish.
    b.click("a[hreflang=es]");
    b.wait_text("h1", "Bajas", 10);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn settings_show_the_configuration_and_delivery_state_without_secrets() {
    let extra = "pin = \"4321\"\n[[webhook]]\nurl = \"http://bob:hunter2@127.0.0.1:9/hook\"\nsecret = \"webhook-signing-secret-1234\"\n";
    let d = Dashboard::start(1, 0, extra, "en-US");
    let b = &d.browser;
    d.sim
        .post("/modems/0/sms", json!({"from": "+79169990001", "text": "hello"}));
    wait_for("the webhook failing", 60, || {
        let (_, v) = d.gw.call("GET", "/v1/overview", None);
        v["webhooks"][0]["failing"] == true
    });
    b.goto("/settings");
    b.wait_text("h1", "Settings", 10);
    let page = b.body();
    for secret in ["4321", "hunter2", "webhook-signing-secret"] {
        assert!(!page.contains(secret), "{secret} shown");
    }
    assert!(b.text("#webhooks").contains("Failing"));
    assert!(b.text("#users").contains("admin"));
    assert!(b.text("#config").contains("set, hidden"));
    b.assert_accessible();
    b.screenshots("settings");
    fits_a_phone(&d);
    b.goto("/");
    b.wait_text("#overview-live", "is not accepting events", 10);
}
