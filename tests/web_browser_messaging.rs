//! Send, Messages and Conversations in a real Chromium: a message typed
//! with a character that forces UCS-2, fixed from the counter's
//! suggestion, sent with a delivery report and watched until it is
//! `delivered`; a reply received and answered from the page. Every page
//! is checked with axe and at phone width.

mod common;

use std::time::{Duration, Instant};

use common::browser::{BROWSER, DESKTOP, PHONE};
use common::browser::{Browser, Dashboard};
use serde_json::json;

/// Phone width: no sideways scrolling; back to desktop.
fn fits_a_phone(b: &Browser) {
    b.size(PHONE);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !b.overflows_horizontally(),
        "{} scrolls sideways at 375 px",
        b.path()
    );
    b.size(DESKTOP);
}

/// Reloads `path` until its body holds `needle` (up to `secs`).
fn reload_until(b: &Browser, path: &str, needle: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        b.goto(path);
        if b.body().contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed {needle:?}: {}",
            b.body()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn send_a_message_and_watch_it_reach_delivered() {
    let _ = BROWSER;
    let d = Dashboard::start(
        2,
        0,
        "[pricing]\nper_segment = 0.05\ncurrency = \"EUR\"\n",
        "en-US",
    );
    let b = &d.browser;
    b.goto("/messages");
    b.wait_text("#messages-empty", "No messages yet", 10);
    b.assert_accessible();

    b.goto("/send");
    b.wait_text("h1", "Send a message", 10);
    // An error answer to a live request shows in the page, not nowhere:
    // a stale anti-forgery token is refused and said so.
    b.exec(
        "document.body.setAttribute('hx-headers', '{\"X-CSRF-Token\": \"stale\"}');",
        vec![],
    );
    b.fill("#send-to", "+7 916 123 45 67");
    b.wait_text("#errors [role=alert]", "reload it", 10);
    b.goto("/send");
    b.wait_text("h1", "Send a message", 10);
    b.fill("#send-to", "8 916 123-45-67\nabc");
    b.wait_text("#send-numbers", "Line 2", 10);
    b.fill("#send-to", "8 916 123-45-67");
    b.wait_text("#send-numbers", "1 number ready", 10);
    b.fill(
        "#send-text",
        "It’s ready: your order 1042 is waiting at the counter, open till 8 pm.",
    );
    b.wait_text("#send-counter", "UCS-2", 10);
    assert!(
        b.exists("#send-counter mark"),
        "the character forcing UCS-2 is highlighted"
    );
    b.wait_text("#send-forcing", "instead of", 10);
    b.assert_accessible();
    b.screenshots("send");
    fits_a_phone(b);
    // The suggestion: plain spelling, back to GSM-7.
    b.click("#send-fix");
    b.wait_text("#send-counter", "GSM-7", 10);
    let text = b.exec("return document.getElementById('send-text').value;", vec![]);
    assert!(text.as_str().unwrap_or("").starts_with("It's ready"), "{text}");
    b.click("#send-report");
    b.click("#send-submit");
    b.wait_text("#send-summary", "1 message accepted", 10);
    b.assert_accessible();
    fits_a_phone(b);
    b.click("#send-results a[href^='/messages/']");
    b.wait_text("h1", "Message #", 10);
    // The page refreshes itself until the delivery report arrives.
    b.wait_text("#message-status", "delivered", 60);
    assert!(b.text("#message-history").contains("delivered"));
    b.assert_accessible();
    b.screenshots("message");
    fits_a_phone(b);

    b.goto("/messages");
    b.wait_text("#messages-table", "It's ready", 10);
    b.fill("#messages-q", "order 1042");
    b.click("form[role=search] button[type=submit]");
    b.wait_text("#messages-table", "delivered", 10);
    b.assert_accessible();
    b.screenshots("messages");
    fits_a_phone(b);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn reply_to_an_incoming_message() {
    let d = Dashboard::start(1, 0, "", "en-US");
    let b = &d.browser;
    b.goto("/conversations");
    b.wait_text("#conversations-empty", "No replies yet", 10);
    b.assert_accessible();
    let (st, _) = d.gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161112233", "text": "Your table is booked for 7 pm tonight."})),
    );
    assert_eq!(st, 202);
    d.sim.post(
        "/modems/0/sms",
        json!({"from": "+79161112233", "text": "Thanks! Can we make it 8 instead?"}),
    );
    d.sim
        .post("/modems/0/sms", json!({"from": "+79164445566", "text": "STOP"}));
    reload_until(b, "/conversations", "Can we make it 8", 30);
    reload_until(b, "/conversations", "+79164445566", 30);
    b.assert_accessible();
    b.screenshots("conversations");
    fits_a_phone(b);

    b.click("a.conversations-who[href='/conversations/%2B79161112233']");
    b.wait_text("#thread", "Can we make it 8", 10);
    b.fill("#reply-text", "Yes, 8 pm is fine. See you!");
    b.click("#reply-submit");
    b.wait_text("#reply-result", "Reply accepted", 10);
    b.wait_text("#thread", "See you!", 10);
    b.assert_accessible();
    b.screenshots("conversation");
    fits_a_phone(b);

    // The number that sent STOP cannot be answered from the page.
    b.goto("/conversations/%2B79164445566");
    b.wait_text("#reply-opted-out", "opted out", 10);
    assert!(!b.exists("#reply-form"));
    b.assert_accessible();
}
