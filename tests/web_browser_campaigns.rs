//! Campaigns in a real Chromium: an A/B campaign built through the wizard
//! (a saved segment, two texts with their live preview, the test's share,
//! metric and decision time, the review with the ETA and the exact cost),
//! started, watched as the live progress counts it out and a reply comes
//! in, paused, resumed and cancelled with the page's confirmations, then
//! its results and the list — accessible, and usable at phone width.

mod common;

use std::time::{Duration, Instant};

use common::browser::{BROWSER, Browser, Dashboard, PHONE};
use serde_json::json;

const CAMPAIGNS: &str = "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\ncap_per_24h = 5\ncap_per_7d = 10\n[pricing]\nper_segment = \"0.50\"\ncurrency = \"RUB\"\n";

fn phone(i: usize) -> String {
    format!("+7916555{i:04}")
}

/// Waits until the number in `css` is at least `n`.
fn wait_at_least(b: &Browser, css: &str, n: u64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    while Instant::now() < deadline {
        if b.exists(css) {
            last = b.text(css);
            let digits: String = last.chars().filter(char::is_ascii_digit).collect();
            if digits.parse::<u64>().is_ok_and(|v| v >= n) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("{css} did not reach {n} in {secs} s: {last:?}");
}

fn no_overflow_at_phone_width(b: &Browser, path: &str) {
    b.size(PHONE);
    b.goto(path);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!b.overflows_horizontally(), "{path} scrolls sideways at 375 px");
    b.size(common::browser::DESKTOP);
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn an_ab_campaign_through_the_wizard_then_watched_paused_resumed_and_cancelled() {
    let _ = BROWSER;
    let d = Dashboard::start(2, 200, CAMPAIGNS, "en-US");
    let b = &d.browser;
    // The empty list says what to do.
    b.goto("/campaigns");
    b.wait_text("main", "No campaigns yet", 10);
    b.assert_accessible();
    for i in 0..12 {
        let (code, r) = d.gw.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": phone(i), "name": format!("Client {i}"),
                        "attributes": {"city": if i % 3 == 0 { "Sochi" } else { "Kazan" }},
                        "consent": {"status": "opted_in", "source": "shop counter"}})),
        );
        assert!(code == 201 || code == 200, "{code} {r}");
    }
    let (code, seg) = d.gw.call(
        "POST",
        "/v1/segments",
        Some(json!({"name": "Kazan shoppers", "filter": {"attr": "city", "eq": "Kazan"}})),
    );
    assert_eq!(code, 201, "{seg}");
    let seg_id = seg["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| seg["id"].to_string());

    // Step 1: who. The live count answers the segment chosen.
    b.goto("/campaigns");
    b.click("a.button.primary[href='/campaigns/new']");
    b.wait_text("h1", "New campaign", 10);
    b.fill("#name", "Spring sale");
    b.click("#kind-segment");
    b.select("#segment", &seg_id);
    b.wait_text("#audience-count", "8 people can get it", 10);
    b.assert_accessible();
    b.screenshots("campaigns-wizard-audience");
    b.click(".wizard-nav button.primary");

    // Step 2: two texts, each previewed for real recipients with its cost.
    b.wait_text("ol.steps [aria-current=step]", "Texts", 10);
    b.fill("#v_text_0", "Hi {{ name }}, spring sale: -20% today");
    b.fill("#v_text_1", "{{ name }}, spring is here: -20% at our shop");
    b.wait_text("#variant-preview", "Hi Client 1, spring sale", 10);
    b.wait_text("#variant-preview", "Client 1, spring is here", 10);
    b.wait_text("#variant-preview", "In total about 8 messages, 8 SMS", 10);
    b.assert_accessible();
    b.screenshots("campaigns-wizard-texts");
    b.click(".wizard-nav button.primary");

    // Step 3: an A/B test on half the audience, decided by replies after an hour.
    b.wait_text("ol.steps [aria-current=step]", "When and how often", 10);
    b.click("#ab");
    b.fill("#ab_share", "50");
    b.select("#ab_metric", "reply");
    b.fill("#ab_after", "1");
    b.select("#ab_unit", "h");
    b.assert_accessible();
    b.click(".wizard-nav button.primary");

    // Step 4: the review with the ETA and the exact cost.
    b.wait_text("ol.steps [aria-current=step]", "Check and start", 10);
    b.wait_text("main", "people will get it if you start now", 10);
    b.wait_text("main", "How long it takes", 10);
    b.wait_text("#cost", "Total", 15);
    b.assert_accessible();
    b.screenshots("campaigns-wizard-review");
    b.click(".wizard-nav button[value=start]");

    // Its page: the test half goes out, counted live.
    b.wait_text("h1", "Spring sale", 10);
    assert!(b.path().starts_with("/campaigns/"), "{}", b.path());
    let page = b.path();
    wait_at_least(b, "#fig-sent", 4, 60);
    // Two recipients reply: their replies count for the campaign.
    let id = page.trim_start_matches("/campaigns/").to_string();
    // (A person answers the number that texted them: the SIM that sent it.)
    let sent_to: Vec<(String, u64)> = d
        .sim
        .ledger()
        .iter()
        .filter_map(|e| Some((e["recipient"].as_str()?.to_string(), e["modem"].as_u64()?)))
        .take(2)
        .collect();
    assert_eq!(sent_to.len(), 2, "{:?}", d.sim.ledger());
    for ((from, modem), text) in sent_to
        .iter()
        .zip(["Thanks, coming tomorrow", "Is it for shoes too?"])
    {
        d.sim.post(
            &format!("/modems/{modem}/sms"),
            json!({"from": from, "text": text}),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, c) = d.gw.call("GET", &format!("/v1/campaigns/{id}"), None);
        if c["figures"]["overall"]["replies"].as_u64() == Some(2) {
            break;
        }
        assert!(Instant::now() < deadline, "replies not counted: {c}");
        std::thread::sleep(Duration::from_millis(200));
    }
    b.goto(&page);
    b.wait_text("#res-replies", "2", 10);
    assert!(b.exists("svg.chart"), "charts drawn on the server");
    b.assert_accessible();
    b.screenshots("campaign");

    // Pause (it asks first), resume, cancel.
    b.exec("window.confirm = function () { return true; };", vec![]);
    b.click("#pause");
    b.wait_text("#campaign-status", "Paused", 10);
    b.click("#resume");
    b.wait_text("#campaign-status", "Sending", 10);
    // Declining the question leaves it running.
    b.exec("window.confirm = function () { return false; };", vec![]);
    b.click("#cancel");
    std::thread::sleep(Duration::from_millis(500));
    assert!(b.text("#campaign-status").contains("Sending"));
    b.exec("window.confirm = function () { return true; };", vec![]);
    b.click("#cancel");
    b.wait_text("#campaign-status", "Cancelled", 10);
    // The results: replies attributed, rates per variant, a breakdown by
    // variant (loaded after the page, with the comparison), then by city.
    b.goto(&page);
    b.wait_text("#breakdown-box", "B", 10);
    b.wait_text("#compare-box", "No earlier campaign", 10);
    b.select("#by", "attributes.city");
    b.click(".breakdown-form button[type=submit]");
    b.wait_text("#breakdown-box", "Kazan", 10);
    b.goto(&format!("{page}?by=attributes.city"));
    b.wait_text("#breakdown", "Kazan", 10);
    b.assert_accessible();

    // The list, and every campaigns page at phone width.
    b.goto("/campaigns");
    b.wait_text("table", "Spring sale", 10);
    b.assert_accessible();
    b.screenshots("campaigns");
    for path in ["/campaigns", "/campaigns/new", page.as_str()] {
        no_overflow_at_phone_width(b, path);
    }
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn the_wizard_speaks_russian_and_says_what_is_missing() {
    let d = Dashboard::start(1, 0, CAMPAIGNS, "ru-RU");
    let b = &d.browser;
    b.goto("/campaigns/new");
    b.wait_text("h1", "Новая рассылка", 10);
    b.fill("#name", "Распродажа");
    b.click("#kind-list");
    b.fill("#list", "+79161234567");
    // Not a contact who agreed: nobody may get it, and the page says so.
    b.wait_text("#audience-count", "никто", 10);
    b.assert_accessible();
    b.click(".wizard-nav button.primary");
    b.wait_text("ol.steps [aria-current=step]", "Тексты", 10);
    b.click(".wizard-nav button.primary");
    b.wait_text("[role=alert]", "Напишите текст хотя бы одного варианта", 10);
    b.assert_accessible();
}
