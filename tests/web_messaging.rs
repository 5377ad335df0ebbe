//! The Send, Messages and Conversations pages over plain HTTP against the
//! real daemon and its simulator: the live counter and number check, a
//! send that names each bad number and sends nothing, an idempotent send,
//! opt-outs honoured from the page, search and filters and the pager,
//! a message's history and cancel, replies grouped by number, a reply
//! from the page, the JSON the pages mirror, and bad input answered with
//! a page rather than a panic.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Answer, Session, request};
use serde_json::{Value, json};

fn gateway(extra: &str) -> (Sim, Gateway, Session) {
    let sim = Sim::start(1, 0);
    let config = write_config(sim.dir.path(), free_port(), extra);
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    let s = Session::login(&gw.base, "admin", PASSWORD);
    (sim, gw, s)
}

/// A plain form POST as a browser without JavaScript sends it (the
/// anti-forgery token in the body, no htmx header).
fn post_plain(base: &str, s: &Session, path: &str, fields: &[(&str, &str)]) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", &s.csrf)
        .extend_pairs(fields)
        .finish();
    request(
        base,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
}

/// The value of the hidden field `name` in a page.
fn hidden(body: &str, name: &str) -> String {
    body.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no field {name} in {body}"))
        .to_string()
}

fn messages(gw: &Gateway) -> Vec<Value> {
    let (st, page) = gw.call("GET", "/v1/messages?limit=1000", None);
    assert_eq!(st, 200);
    page["messages"].as_array().cloned().unwrap_or_default()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "waited 20 s for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_counter_and_the_number_check_answer_as_people_type() {
    let (_sim, gw, s) = gateway("[pricing]\nper_segment = 0.05\ncurrency = \"EUR\"\n");
    let page = s.get(&gw.base, "/send");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Send a message</h1>"));
    assert_eq!(
        hidden(&page.body, "idem").len(),
        32,
        "an idempotency key per form"
    );
    assert!(
        page.body.contains("read as RU numbers"),
        "the default region is named"
    );

    // GSM-7, one SMS, cost for two recipients.
    let c = s.post_form(
        &gw.base,
        "/send/counter",
        &[
            ("to", "+79161234567\n+79161234568"),
            ("text", "Your order is ready"),
        ],
    );
    assert_eq!(c.status, 200);
    assert!(c.body.contains("id=\"send-encoding\">GSM-7<"), "{}", c.body);
    assert!(c.body.contains("id=\"send-segments\">1<"), "{}", c.body);
    assert!(c.body.contains("Cost for 2 recipients"), "{}", c.body);
    assert!(c.body.contains("0.10"), "0.05 × 1 SMS × 2: {}", c.body);

    // A curly apostrophe forces UCS-2: highlighted, its spelling offered.
    let text = format!("It’s ready{}", " and waiting for you".repeat(4));
    let c = s.post_form(&gw.base, "/send/counter", &[("to", ""), ("text", &text)]);
    assert!(c.body.contains("id=\"send-encoding\">UCS-2<"), "{}", c.body);
    assert!(c.body.contains("<mark>’</mark>"), "{}", c.body);
    assert!(c.body.contains("U+2019"));
    assert!(c.body.contains("takes 1 SMS instead of 2"), "{}", c.body);
    let fixed = s.post_form(&gw.base, "/send/fix", &[("text", &text)]);
    assert!(
        fixed.body.contains("It&#x27;s ready") || fixed.body.contains("It's ready"),
        "{}",
        fixed.body
    );

    // Cyrillic: UCS-2 is right, nothing to replace.
    let c = s.post_form(&gw.base, "/send/counter", &[("text", "Ваш заказ готов")]);
    assert!(c.body.contains("no GSM-7 spelling"), "{}", c.body);
    // A control character is named in words, not a crash.
    let c = s.post_form(&gw.base, "/send/counter", &[("text", "bell\u{7}")]);
    assert!(c.body.contains("invisible control character"), "{}", c.body);

    // Each bad number named with why.
    let n = s.post_form(
        &gw.base,
        "/send/numbers",
        &[("to", "8 916 123-45-67, +7 916 123 45 67\nabc\n+7 916")],
    );
    assert!(n.body.contains("1 number ready."), "{}", n.body);
    assert!(n.body.contains("listed twice"), "{}", n.body);
    assert!(n.body.contains("Line 2"), "{}", n.body);
    assert!(n.body.contains("cannot be in a phone number"), "{}", n.body);
    assert!(n.body.contains("Line 3"), "{}", n.body);

    // The same counter as JSON.
    let (st, e) = gw.call(
        "POST",
        "/v1/messages/estimate",
        Some(json!({"text": text, "recipients": 3})),
    );
    assert_eq!(st, 200, "{e}");
    assert_eq!(
        (e["encoding"].as_str(), e["segments"].as_u64()),
        (Some("ucs2"), Some(2))
    );
    assert_eq!(e["cost"], "0.30");
    assert_eq!(e["forcing"][0]["replacement"], "'");
    let (st, e) = gw.call("POST", "/v1/messages/estimate", Some(json!({"text": "  "})));
    assert_eq!((st, e["error"]["code"].as_str()), (422, Some("empty_text")));

    // In Russian.
    let r = request(
        &gw.base,
        "GET",
        "/send",
        &[("Cookie", &format!("{}; lang=ru", s.cookie))],
        b"",
    );
    assert!(r.body.contains("Отправить сообщение"), "{}", r.body);
}

#[test]
fn a_send_names_bad_numbers_and_sends_nothing_then_sends_once_however_often_it_is_posted() {
    let (_sim, gw, s) = gateway("");
    let page = s.get(&gw.base, "/send");
    let idem = hidden(&page.body, "idem");
    let bad = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &idem),
            ("to", "+79161234567\nnot a number"),
            ("text", "Hello"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Nothing was sent."), "{}", bad.body);
    assert!(bad.body.contains("Line 2"), "{}", bad.body);
    assert!(bad.body.contains("not a number"), "what was typed is kept");
    assert!(messages(&gw).is_empty(), "nothing sent while a number is bad");

    let empty = post_plain(
        &gw.base,
        &s,
        "/send",
        &[("idem", &idem), ("to", ""), ("text", "")],
    );
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Add at least one phone number."));
    assert!(empty.body.contains("Type a message."));

    let past = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &idem),
            ("to", "+79161234567"),
            ("text", "Hi"),
            ("send_at", "2001-01-01T09:00"),
        ],
    );
    assert!(past.body.contains("That send time has passed"), "{}", past.body);
    let garbled = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &idem),
            ("to", "+79161234567"),
            ("text", "Hi"),
            ("send_at", "soon"),
        ],
    );
    assert!(garbled.body.contains("cannot be read"), "{}", garbled.body);

    let fields = [
        ("idem", idem.as_str()),
        ("to", "8 916 123-45-67\n+79161234568"),
        ("text", "Your order is ready"),
        ("send_at", "2099-01-01T09:00"),
    ];
    let ok = post_plain(&gw.base, &s, "/send", &fields);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("2 messages accepted."), "{}", ok.body);
    assert!(ok.body.contains("data-status=\"scheduled\""), "{}", ok.body);
    let sent = messages(&gw);
    assert_eq!(sent.len(), 2);
    let ids: Vec<String> = sent
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        assert!(
            ok.body.contains(&format!("href=\"/messages/{id}\"")),
            "a link to {id}"
        );
    }
    // A double click, a reload: the same messages, nothing twice.
    let again = post_plain(&gw.base, &s, "/send", &fields);
    assert!(again.body.contains("nothing was sent twice"), "{}", again.body);
    assert_eq!(messages(&gw).len(), 2);
    // The same form with another text is refused in words.
    let other = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &idem),
            ("to", "+79161234567"),
            ("text", "Something else"),
        ],
    );
    assert!(
        other.body.contains("already used to send a different text"),
        "{}",
        other.body
    );
    assert_eq!(messages(&gw).len(), 2);

    // A post without the form's key, or with a category that is neither,
    // is shown back, not sent (as transactional or otherwise).
    let keyless = post_plain(&gw.base, &s, "/send", &[("to", "+79161234567"), ("text", "Hi")]);
    assert_eq!(keyless.status, 422, "{}", keyless.body);
    assert!(keyless.body.contains("press Send again"), "{}", keyless.body);
    let page = s.get(&gw.base, "/send");
    let odd = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &hidden(&page.body, "idem")),
            ("to", "+79161234569"),
            ("text", "Sale!"),
            ("category", "Marketing "),
        ],
    );
    assert_eq!(odd.status, 422, "{}", odd.body);
    let keyless = post_plain(
        &gw.base,
        &s,
        "/conversations/%2B79161234567/reply",
        &[("text", "Hi")],
    );
    assert_eq!(keyless.status, 422, "{}", keyless.body);
    assert_eq!(messages(&gw).len(), 2);

    // A marketing message to a number that never agreed is refused, by the API's rule.
    let page = s.get(&gw.base, "/send");
    let m = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &hidden(&page.body, "idem")),
            ("to", "+79161234569"),
            ("text", "Sale!"),
            ("category", "marketing"),
        ],
    );
    assert!(m.body.contains("not among your contacts"), "{}", m.body);
    assert_eq!(messages(&gw).len(), 2);

    // An opted-out number: accepted, never sent, and said so.
    let (st, _) = gw.call("POST", "/v1/optouts", Some(json!({"number": "+79161234570"})));
    assert_eq!(st, 201);
    let page = s.get(&gw.base, "/send");
    let o = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &hidden(&page.body, "idem")),
            ("to", "+79161234570"),
            ("text", "Hello"),
        ],
    );
    assert!(o.body.contains("the number opted out"), "{}", o.body);
    assert!(o.body.contains("data-status=\"suppressed\""));
    // Marketing to it is refused for the opt-out, not for a missing consent.
    let page = s.get(&gw.base, "/send");
    let o = post_plain(
        &gw.base,
        &s,
        "/send",
        &[
            ("idem", &hidden(&page.body, "idem")),
            ("to", "+79161234570"),
            ("text", "Sale!"),
            ("category", "marketing"),
        ],
    );
    assert!(o.body.contains("this number opted out"), "{}", o.body);
}

#[test]
fn messages_are_searched_filtered_paged_shown_with_their_history_and_cancelled() {
    let (_sim, gw, s) = gateway("");
    let empty = s.get(&gw.base, "/messages");
    assert!(
        empty.body.contains("No messages yet — send one."),
        "{}",
        empty.body
    );
    let mut ids = Vec::new();
    for i in 0..55 {
        let (st, m) = gw.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": format!("+7916123{:04}", i), "text": format!("Order {i} is ready"), "send_at": "2099-01-01T09:00:00Z"})),
        );
        assert_eq!(st, 202, "{m}");
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    let (_, m) = gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79160000001", "text": "Ваш ЗАКАЗ готов"})),
    );
    let cyr = m["id"].as_str().unwrap().to_string();

    // Newest first, 50 to a page, then older.
    let p = s.get(&gw.base, "/messages");
    assert_eq!(p.status, 200);
    assert_eq!(p.body.matches("<tr>").count(), 51, "a header and 50 rows");
    let first = p.body.find(&format!("/messages/{cyr}\"")).unwrap();
    let older = p.body.find(&format!("/messages/{}\"", ids[54])).unwrap();
    assert!(first < older, "newest first");
    let next = p
        .body
        .split("id=\"messages-older\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let p2 = s.get(&gw.base, &next);
    assert_eq!(p2.body.matches("<tr>").count(), 7, "{next}: the 6 older ones");
    assert!(p2.body.contains(&format!("/messages/{}\"", ids[0])));

    // By words (any case, Cyrillic too), by a whole number, by digits.
    let w = s.get(&gw.base, "/messages?q=%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7");
    assert!(w.body.contains(&format!("/messages/{cyr}\"")), "{}", w.body);
    assert_eq!(w.body.matches("<tr>").count(), 2);
    let n = s.get(&gw.base, "/messages?q=8+916+123-00-07");
    assert_eq!(n.body.matches("<tr>").count(), 2, "{}", n.body);
    assert!(n.body.contains("Order 7 is ready"));
    let none = s.get(&gw.base, "/messages?q=nothing+like+this");
    assert!(none.body.contains("No messages match."));
    // By status.
    let q = s.get(&gw.base, "/messages?status=scheduled");
    assert_eq!(q.body.matches("<tr>").count(), 51, "50 of the scheduled ones");
    assert!(
        !q.body.contains(&format!("/messages/{cyr}\"")),
        "not the one sent at once"
    );
    // The same through the API.
    let (st, found) = gw.call("GET", "/v1/messages/search?q=order+7+is&limit=5", None);
    assert_eq!(st, 200);
    assert_eq!(found["messages"].as_array().unwrap().len(), 1, "{found}");

    // One message: its history with reasons; cancel it.
    let id = &ids[3];
    let d = s.get(&gw.base, &format!("/messages/{id}"));
    assert_eq!(d.status, 200);
    assert!(d.body.contains("Order 3 is ready"));
    assert!(d.body.contains("waiting for send_at"), "the reason: {}", d.body);
    assert!(d.body.contains("data-confirm="), "cancel asks first");
    let c = post_plain(&gw.base, &s, &format!("/messages/{id}/cancel"), &[]);
    assert_eq!(c.status, 303, "{}", c.body);
    assert_eq!(c.header("location"), Some(format!("/messages/{id}").as_str()));
    let (_, m) = gw.call("GET", &format!("/v1/messages/{id}"), None);
    assert_eq!(m["status"], "cancelled");
    let d = s.get(&gw.base, &format!("/messages/{id}"));
    assert!(
        !d.body.contains("id=\"message-cancel\""),
        "no cancel once cancelled"
    );
    assert!(
        d.body.contains("cancelled from the dashboard by admin"),
        "who cancelled it: {}",
        d.body
    );
    // Cancelling twice changes nothing (as DELETE /v1/messages/{id}).
    let again = post_plain(&gw.base, &s, &format!("/messages/{id}/cancel"), &[]);
    assert_eq!(again.status, 303);
    // A message already sent cannot be: said in words.
    wait_for("the queued one to be sent", || {
        let (_, m) = gw.call("GET", &format!("/v1/messages/{cyr}"), None);
        matches!(m["status"].as_str(), Some("sent" | "delivered"))
    });
    let late = post_plain(&gw.base, &s, &format!("/messages/{cyr}/cancel"), &[]);
    assert_eq!(late.status, 409);
    assert!(
        late.body.contains("It cannot be cancelled any more"),
        "{}",
        late.body
    );

    // Bad input is a page, not a crash.
    assert_eq!(s.get(&gw.base, "/messages/abc").status, 404);
    assert_eq!(s.get(&gw.base, "/messages/99999999").status, 404);
    assert_eq!(s.get(&gw.base, "/messages?status=bogus").status, 400);
    assert_eq!(s.get(&gw.base, "/messages?before=x1").status, 400);
    let long = format!("/messages?q={}", "a".repeat(300));
    assert_eq!(s.get(&gw.base, &long).status, 400);
}

#[test]
fn replies_are_grouped_by_number_and_answered_from_the_page_but_never_to_an_opted_out_number() {
    let (sim, gw, s) = gateway("");
    gw.wait_ready_modems(1);
    let empty = s.get(&gw.base, "/conversations");
    assert!(empty.body.contains("No replies yet."), "{}", empty.body);
    let (st, _) = gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161112233", "text": "Your table is booked for 7 pm"})),
    );
    assert_eq!(st, 202);
    sim.post(
        "/modems/0/sms",
        json!({"from": "+79161112233", "text": "Can we make it 8?"}),
    );
    sim.post("/modems/0/sms", json!({"from": "+79164445566", "text": "STOP"}));
    wait_for("two replies in the inbox", || {
        let (_, page) = gw.call("GET", "/v1/inbox", None);
        page["messages"].as_array().map_or(0, Vec::len) >= 2
    });

    let list = s.get(&gw.base, "/conversations");
    assert!(
        list.body.contains("+79161112233") && list.body.contains("Can we make it 8?"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("opted out"),
        "the STOP is marked: {}",
        list.body
    );
    let (_, api) = gw.call("GET", "/v1/conversations", None);
    assert_eq!(api["conversations"].as_array().unwrap().len(), 2, "{api}");

    let t = s.get(&gw.base, "/conversations/%2B79161112233");
    assert_eq!(t.status, 200);
    let booked = t.body.find("Your table is booked").unwrap();
    let asked = t.body.find("Can we make it 8?").unwrap();
    assert!(booked < asked, "in time order");
    let idem = hidden(&t.body, "idem");
    let r = post_plain(
        &gw.base,
        &s,
        "/conversations/%2B79161112233/reply",
        &[("idem", &idem), ("text", "Yes, 8 pm is fine")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    assert!(to.starts_with("/conversations/%2B79161112233?sent="), "{to}");
    let after = s.get(&gw.base, &to);
    assert!(after.body.contains("Reply accepted."), "{}", after.body);
    assert!(after.body.contains("Yes, 8 pm is fine"));
    // Posted twice, sent once.
    post_plain(
        &gw.base,
        &s,
        "/conversations/%2B79161112233/reply",
        &[("idem", &idem), ("text", "Yes, 8 pm is fine")],
    );
    let (_, thread) = gw.call("GET", "/v1/conversations/%2B79161112233", None);
    let out: Vec<&Value> = thread["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "out")
        .collect();
    assert_eq!(out.len(), 2, "{thread}");
    let empty = post_plain(
        &gw.base,
        &s,
        "/conversations/%2B79161112233/reply",
        &[("idem", "x1"), ("text", "   ")],
    );
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Type a message."));

    // The number that sent STOP: no form, and a reply posted anyway is not sent.
    let t = s.get(&gw.base, "/conversations/%2B79164445566");
    assert!(t.body.contains("opted out on"), "{}", t.body);
    assert!(!t.body.contains("id=\"reply-form\""));
    let r = post_plain(
        &gw.base,
        &s,
        "/conversations/%2B79164445566/reply",
        &[("idem", "abc123"), ("text", "Are you sure?")],
    );
    let after = s.get(&gw.base, r.header("location").unwrap());
    assert!(
        after.body.contains("Not sent: this number opted out."),
        "{}",
        after.body
    );
    let (_, thread) = gw.call("GET", "/v1/conversations/%2B79164445566", None);
    let mine: Vec<&Value> = thread["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "out" && e["text"] == "Are you sure?")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "suppressed");
}
