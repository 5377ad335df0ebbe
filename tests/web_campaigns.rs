//! The campaigns pages over plain HTTP against the real daemon and
//! simulator (no browser, no JavaScript: the plain-form path): the list's
//! empty state, the wizard checking each step in the viewer's language,
//! its live count and preview, "Start" acting once for a double submit,
//! the campaign page's progress, buttons and results (charts, breakdown,
//! comparison), and bad input answered with a page, never a panic.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Answer, Session, request};
use serde_json::{Value, json};

/// Windows open all day, so the test does not depend on the hour.
const CAMPAIGNS: &str = "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\ncap_per_24h = 5\ncap_per_7d = 10\n[pricing]\nper_segment = \"0.50\"\ncurrency = \"RUB\"\n";

fn gateway(latency_ms: u64) -> (Sim, Gateway, Session) {
    let sim = Sim::start(1, latency_ms);
    let config = write_config(sim.dir.path(), free_port(), CAMPAIGNS);
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    gw.wait_ready_modems(1);
    let s = Session::login(&gw.base, "admin", PASSWORD);
    (sim, gw, s)
}

fn phone(i: usize) -> String {
    format!("+7916555{i:04}")
}

/// `n` contacts who opted in (cities alternate), then one who did not.
fn contacts(gw: &Gateway, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..=n {
        let mut body = json!({"phone": phone(i), "name": format!("Client {i}"),
            "attributes": {"city": if i % 2 == 0 { "Kazan" } else { "Sochi" }}});
        if i < n {
            body["consent"] = json!({"status": "opted_in", "source": "shop counter"});
        }
        let (code, r) = gw.call("POST", "/v1/contacts", Some(body));
        assert!(code == 201 || code == 200, "{code} {r}");
        out.push(phone(i));
    }
    out
}

/// A plain form POST as a browser without JavaScript sends it (the
/// anti-forgery token as a field).
fn post_plain(s: &Session, base: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(all)
        .finish();
    request(
        base,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("Origin", base),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
}

fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

fn wait_status(gw: &Gateway, id: &str, status: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, c) = gw.call("GET", &format!("/v1/campaigns/{id}"), None);
        if c["status"] == status {
            return c;
        }
        assert!(Instant::now() < deadline, "campaign not {status}: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_wizard_checks_each_step_previews_and_starts_once() {
    let (_sim, gw, s) = gateway(0);
    let base = gw.base.as_str();
    // Empty state first.
    let list = s.get(base, "/campaigns");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No campaigns yet"), "{}", list.body);
    assert!(list.body.contains("href=\"/campaigns/new\""));
    let phones = contacts(&gw, 4);
    let new = s.get(base, "/campaigns/new");
    assert_eq!(new.status, 200);
    let key = hidden(&new.body, "key");
    assert_eq!(key.len(), 32, "a key made when the wizard opened");
    assert_eq!(new.body.matches("<h1").count(), 1);

    // Step 1 without a name: the same step again, said in words.
    let r = post_plain(
        &s,
        base,
        "/campaigns/new",
        &[
            ("key", &key),
            ("step", "audience"),
            ("go", "variants"),
            ("audience_kind", "list"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Give the campaign a name."), "{}", r.body);
    assert!(
        r.body
            .contains("aria-current=\"step\" class=\"current\">Who gets it")
    );
    // A number that cannot be read is named by the API's own check.
    let r = post_plain(
        &s,
        base,
        "/campaigns/new",
        &[
            ("key", &key),
            ("step", "audience"),
            ("go", "variants"),
            ("name", "Spring"),
            ("audience_kind", "list"),
            ("list", "not a number"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Who gets it: "), "{}", r.body);

    // The live count: four may get it, one is left out for consent.
    let list_text = phones.join("\n");
    let r = s.post_form(
        base,
        "/campaigns/new/count",
        &[("audience_kind", "list"), ("list", &list_text)],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("4 people can get it"), "{}", r.body);
    assert!(r.body.contains("1 without consent"), "{}", r.body);
    // Built from conditions: the attribute's type is respected.
    let r = s.post_form(
        base,
        "/campaigns/new/count",
        &[
            ("audience_kind", "filter"),
            ("f_attr", "city"),
            ("f_value", "Kazan"),
        ],
    );
    assert!(r.body.contains("2 people can get it"), "{}", r.body);

    // Step 1 → 2.
    let step1 = [
        ("key", key.as_str()),
        ("name", "Spring sale"),
        ("audience_kind", "list"),
        ("list", list_text.as_str()),
    ];
    let mut f: Vec<(&str, &str)> = step1.to_vec();
    f.extend([("step", "audience"), ("go", "variants")]);
    let r = post_plain(&s, base, "/campaigns/new", &f);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("name=\"v_text_0\""), "{}", r.body);
    assert!(
        r.body.contains("name=\"name\" value=\"Spring sale\""),
        "step 1 rides along hidden"
    );

    // The live preview: each variant for the first recipients, with SMS and cost.
    let texts = [
        ("v_name_0", "A"),
        ("v_text_0", "Hi {{ name }}, spring sale A"),
        ("v_weight_0", "1"),
        ("v_name_1", "B"),
        ("v_text_1", "Привет, {{ name }}! Весенняя распродажа B"),
        ("v_weight_1", "1"),
    ];
    let mut f = step1.to_vec();
    f.extend(texts);
    let r = s.post_form(base, "/campaigns/new/preview", &f);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Hi Client 0, spring sale A"), "{}", r.body);
    assert!(
        r.body.contains("UCS2"),
        "the Cyrillic variant is Unicode: {}",
        r.body
    );
    assert!(r.body.contains("In total about 4 messages, 4 SMS"), "{}", r.body);
    assert!(
        r.body.contains("2.00") || r.body.contains("2,00"),
        "4 SMS at 0.50: {}",
        r.body
    );

    // Step 3 with a time that cannot be read: stays, names it.
    let mut f = step1.to_vec();
    f.extend(texts);
    f.extend([
        ("step", "schedule"),
        ("go", "review"),
        ("start_mode", "at"),
        ("start_at", "soon"),
        ("days_set", "1"),
        ("day", "mon"),
    ]);
    let r = post_plain(&s, base, "/campaigns/new", &f);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("This time cannot be read"), "{}", r.body);
    // An A/B test, every day: the review with who, the ETA and the schedule.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut f = step1.to_vec();
    f.extend(texts);
    f.extend([
        ("step", "schedule"),
        ("go", "review"),
        ("start_mode", "now"),
        ("days_set", "1"),
        ("ab", "on"),
        ("ab_share", "50"),
        ("ab_metric", "reply"),
        ("ab_after", "1"),
        ("ab_unit", "h"),
        ("cap_24h", "3"),
    ]);
    f.extend(days.iter().map(|d| ("day", *d)));
    let review = post_plain(&s, base, "/campaigns/new", &f);
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(
        review.body.contains("people will get it if you start now"),
        "{}",
        review.body
    );
    assert!(review.body.contains("How long it takes"));
    assert!(
        review
            .body
            .contains("of the recipients test the variants; the one with the most replies after 1 hour goes"),
        "{}",
        review.body
    );
    assert!(review.body.contains("At most 3 a day"), "{}", review.body);
    // The exact cost, loaded after the page.
    let mut cf = f.clone();
    cf.retain(|(k, _)| *k != "go" && *k != "step");
    let cost = s.post_form(base, "/campaigns/new/cost", &cf);
    assert_eq!(cost.status, 200);
    assert!(cost.body.contains("<td class=\"num\">4</td>"), "{}", cost.body);
    assert!(!cost.body.contains("reaches nobody"), "{}", cost.body);
    // A variant whose text cannot be written for anyone is said before starting.
    let mut nobody = cf.clone();
    for (k, v) in nobody.iter_mut() {
        if *k == "v_text_1" {
            *v = "Привет из {{ attributes.nowhere }}";
        }
    }
    let cost = s.post_form(base, "/campaigns/new/cost", &nobody);
    assert_eq!(cost.status, 200);
    assert!(cost.body.contains("Variant B reaches nobody"), "{}", cost.body);

    // Start, twice (a double click): one campaign, started once.
    let mut sf = f.clone();
    sf.retain(|(k, _)| *k != "go" && *k != "step");
    sf.extend([("step", "review"), ("go", "start")]);
    let first = post_plain(&s, base, "/campaigns/new", &sf);
    assert_eq!(first.status, 303, "{}", first.body);
    let to = first.header("location").unwrap().to_string();
    let again = post_plain(&s, base, "/campaigns/new", &sf);
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), Some(to.as_str()));
    let (_, all) = gw.call("GET", "/v1/campaigns", None);
    assert_eq!(all["campaigns"].as_array().map(Vec::len), Some(1), "{all}");
    let id = to.trim_start_matches("/campaigns/").to_string();
    let c = &all["campaigns"][0];
    assert_eq!(c["ab_test"]["test_share"], 0.5, "{c}");
    assert_eq!(c["frequency_cap"]["per_24h"], 3);
    assert_ne!(c["status"], "draft");

    // Its page while it goes, the live fragment, then the results.
    let page = s.get(base, &to);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Spring sale"));
    let fragment = s.get(base, &format!("{to}/progress"));
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.contains("id=\"progress\""));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    // The A/B test's rest waits an hour for the decision: cancel it from the page.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, c) = gw.call("GET", &format!("/v1/campaigns/{id}"), None);
        if c["figures"]["overall"]["sent"].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the test share was not sent: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = post_plain(&s, base, &format!("{to}/cancel"), &[]);
    assert_eq!((r.status, r.header("location")), (303, Some(to.as_str())));
    wait_status(&gw, &id, "cancelled", Duration::from_secs(10));
    let page = s.get(base, &to);
    assert!(page.body.contains("Cancelled"));
    assert!(
        page.body.contains("<svg class=\"chart\""),
        "charts drawn on the server"
    );
    assert!(page.body.contains("Rates by variant"));
    assert!(
        !page.body.contains("hx-trigger=\"every 3s\""),
        "nothing more to watch"
    );
    let by_city = s.get(base, &format!("{to}?by=attributes.city"));
    assert!(
        by_city.body.contains("<th scope=\"row\">Kazan</th>"),
        "{}",
        by_city.body
    );
    // A second click on cancel, or pause on a cancelled one: just the page.
    let r = post_plain(&s, base, &format!("{to}/pause"), &[]);
    assert_eq!(r.status, 303);
    // The list shows it.
    let list = s.get(base, "/campaigns");
    assert!(list.body.contains("Spring sale") && list.body.contains("Cancelled"));
    // In Russian.
    let ru = request(
        base,
        "GET",
        "/campaigns",
        &[("Cookie", &format!("{}; lang=ru", s.cookie))],
        b"",
    );
    assert!(
        ru.body.contains("Рассылки") && ru.body.contains("Отменена"),
        "{}",
        ru.body
    );
}

#[test]
fn the_buttons_pause_resume_and_cancel_a_running_campaign_and_compare_it() {
    let (_sim, gw, s) = gateway(300);
    let base = gw.base.as_str();
    let phones = contacts(&gw, 6);
    let create = |name: &str| {
        let (code, c) = gw.call(
            "POST",
            "/v1/campaigns",
            Some(json!({"name": name, "audience": {"contacts": phones},
                        "variants": [{"name": "A", "text": "Hi {{ name }} A"}, {"name": "B", "text": "Hi B"}]})),
        );
        assert_eq!(code, 201, "{c}");
        c["id"].as_str().unwrap().to_string()
    };
    let first = create("First");
    let (code, _) = gw.call("POST", &format!("/v1/campaigns/{first}/start"), None);
    assert_eq!(code, 200);
    wait_status(&gw, &first, "completed", Duration::from_secs(60));
    // A draft: its page offers to edit and start it; the wizard opens it.
    let second = create("Second");
    let page = s.get(base, &format!("/campaigns/{second}"));
    assert!(page.body.contains(&format!("/campaigns/{second}/edit")));
    assert!(page.body.contains("nothing is sent until you start it"));
    let edit = s.get(base, &format!("/campaigns/{second}/edit"));
    assert_eq!(edit.status, 200);
    assert_eq!(hidden(&edit.body, "draft"), second);
    assert!(edit.body.contains("value=\"Second\""));
    let r = post_plain(&s, base, &format!("/campaigns/{second}/start"), &[]);
    assert_eq!(r.status, 303);
    wait_status(&gw, &second, "running", Duration::from_secs(10));
    let r = post_plain(&s, base, &format!("/campaigns/{second}/pause"), &[]);
    assert_eq!(r.status, 303);
    wait_status(&gw, &second, "paused", Duration::from_secs(5));
    let page = s.get(base, &format!("/campaigns/{second}"));
    assert!(
        page.body.contains("id=\"resume\""),
        "a paused campaign offers resume"
    );
    assert!(!page.body.contains("id=\"pause\""));
    // The earlier campaign is in the comparison, loaded after the page
    // (or in it, for a browser without JavaScript following the link).
    assert!(
        page.body
            .contains(&format!("hx-get=\"/campaigns/{second}/compare\""))
    );
    let cmp = s.get(base, &format!("/campaigns/{second}/compare"));
    assert_eq!(cmp.status, 200);
    assert!(!cmp.body.contains("<html"), "a fragment");
    assert!(
        cmp.body
            .contains(&format!("href=\"/campaigns/{first}\">First</a>")),
        "{}",
        cmp.body
    );
    let inline = s.get(base, &format!("/campaigns/{second}?compare=1"));
    assert!(
        inline
            .body
            .contains(&format!("href=\"/campaigns/{first}\">First</a>"))
    );
    let by_zone = s.get(base, &format!("/campaigns/{second}/breakdown?by=time_zone"));
    assert!(
        by_zone.body.contains("<table id=\"breakdown\">"),
        "{}",
        by_zone.body
    );
    let unknown = s.get(base, &format!("/campaigns/{second}/breakdown?by=attributes.nope"));
    assert!(
        unknown.body.contains("no contact has an attribute"),
        "{}",
        unknown.body
    );
    let r = post_plain(&s, base, &format!("/campaigns/{second}/resume"), &[]);
    assert_eq!(r.status, 303);
    wait_status(&gw, &second, "running", Duration::from_secs(5));
    // The fragment of a finished campaign tells htmx to reload the page.
    let r = post_plain(&s, base, &format!("/campaigns/{second}/cancel"), &[]);
    assert_eq!(r.status, 303);
    wait_status(&gw, &second, "cancelled", Duration::from_secs(5));
    let r = request(
        base,
        "GET",
        &format!("/campaigns/{second}/progress"),
        &[("Cookie", &s.cookie), ("HX-Request", "true")],
        b"",
    );
    assert_eq!(r.header("hx-refresh"), Some("true"));
    // A started campaign cannot be edited: its page instead.
    let r = s.get(base, &format!("/campaigns/{second}/edit"));
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some(format!("/campaigns/{second}").as_str()))
    );
}

#[test]
fn bad_input_gets_a_page_never_a_panic() {
    let (_sim, gw, s) = gateway(0);
    let base = gw.base.as_str();
    for path in [
        "/campaigns/abc",
        "/campaigns/99999",
        "/campaigns/-1/progress",
        "/campaigns/1/edit",
    ] {
        let r = s.get(base, path);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert!(r.body.contains("Not found"), "{path}");
    }
    let r = s.get(base, "/campaigns?status=bogus&before=x");
    assert_eq!(r.status, 200);
    let r = post_plain(&s, base, "/campaigns/1/explode", &[]);
    assert_eq!(r.status, 404);
    // Garbage in every field of the wizard.
    let long = "x".repeat(5000);
    let r = post_plain(
        &s,
        base,
        "/campaigns/new",
        &[
            ("step", "nowhere"),
            ("go", "start"),
            ("name", &long),
            ("audience_kind", "segment"),
            ("segment", "99999999999999999999"),
            ("v_text_9", "{{ oops"),
            ("v_weight_9", "-3"),
            ("v_name_123456789012345678901234567890", "x"),
            ("draft", "abc"),
            ("ab", "on"),
            ("ab_share", "NaN"),
            ("start_mode", "at"),
            ("start_at", "9999-99-99T99:99"),
        ],
    );
    assert!(r.status == 422 || r.status == 200, "{}: {}", r.status, r.body);
    assert!(r.body.contains("class=\"alert bad\""), "{}", r.body);
    let r = post_plain(
        &s,
        base,
        "/campaigns/new",
        &[
            ("step", "variants"),
            ("go", "review"),
            ("name", "x"),
            ("audience_kind", "list"),
            ("list", "+79161234567"),
            ("v_text_0", "{{ oops"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Variant A: "), "the variant is named: {}", r.body);
    let r = s.post_form(base, "/campaigns/new/preview", &[("v_text_0", "{% for %}")]);
    assert_eq!(r.status, 200);
    let r = s.post_form(base, "/campaigns/new/cost", &[("name", "x")]);
    assert_eq!(r.status, 200);
    // Starting a draft nobody may receive says why on its page.
    let (_, c) = gw.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "Nobody", "audience": {"contacts": ["+79160000001"]}, "variants": [{"text": "x"}]})),
    );
    let id = c["id"].as_str().unwrap();
    let r = post_plain(&s, base, &format!("/campaigns/{id}/start"), &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Nobody may receive this campaign"), "{}", r.body);
    // Without the anti-forgery token: refused.
    let r = request(
        base,
        "POST",
        &format!("/campaigns/{id}/start"),
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"",
    );
    assert_eq!(r.status, 403);
}
