//! The public listener and its subscribe form, end to end: the real daemon
//! (`simfleet serve`) with `[public] listen` over simulated modems
//! (`simfleet sim`); a browser's requests made by hand (cookies, form
//! bodies, `Accept-Language`), the confirmation read from the simulator's
//! ledger, the YES injected the way a network delivers it, contacts read
//! from the store beside the daemon.

mod common;

use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};
use simfleet::contacts::{ConsentStatus, Contact};
use simfleet::store::{ContactKey, Store};

/// A plain HTTP answer.
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Resp {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<String>) -> Resp {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = simfleet::tls::http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .request(method.parse().unwrap(), url)
            .timeout(Duration::from_secs(30));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = req.send().await.expect("public listener answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        Resp {
            status,
            headers,
            text: r.text().await.unwrap_or_default(),
        }
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The daemon with a public listener; `extra` adds `[public]` keys.
struct Public {
    sim: Sim,
    gw: Gateway,
    base: String,
}

impl Public {
    fn start(extra: &str) -> Public {
        Public::start_with(Sim::start(1, 10), extra)
    }

    fn start_with(sim: Sim, extra: &str) -> Public {
        let port = free_port();
        let cfg = write_config(
            sim.dir.path(),
            free_port(),
            &format!(
                "[public]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"https://sms.shop.example/\"\nbrand = \"Florista\"\ntrust_forwarded_for = true\nembed_origins = [\"https://shop.example\"]\n{extra}\n"
            ),
        );
        let gw = Gateway::start(&cfg);
        gw.wait_ready_modems(1);
        Public {
            sim,
            gw,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        send("GET", &format!("{}{path}", self.base), headers, None)
    }

    /// A page load from `ip` as a browser does it: (cookie, token).
    fn load_form(&self, ip: &str) -> (String, String) {
        let r = self.get(
            "/subscribe",
            &[("x-forwarded-for", ip), ("accept", "application/json")],
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let cookie = r.header("set-cookie");
        let cookie = cookie.split(';').next().unwrap().to_string();
        (cookie, r.json()["csrf_token"].as_str().unwrap().to_string())
    }

    fn post(&self, ip: &str, cookie: &str, fields: &[(&str, &str)], accept: &str) -> Resp {
        send(
            "POST",
            &format!("{}/subscribe", self.base),
            &[
                ("x-forwarded-for", ip),
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", accept),
                ("user-agent", "Mozilla/5.0 (test phone)"),
            ],
            Some(form_body(fields)),
        )
    }

    /// Loads the form and submits `phone` with consent, from `ip`.
    fn subscribe(&self, ip: &str, phone: &str, lang: &str, accept: &str) -> Resp {
        let (cookie, token) = self.load_form(ip);
        self.post(
            ip,
            &cookie,
            &[
                ("csrf_token", &token),
                ("phone", phone),
                ("name", "Анна"),
                ("consent", "yes"),
                ("lang", lang),
                ("website", ""),
            ],
            accept,
        )
    }

    fn store(&self) -> Store {
        Store::open(&self.sim.dir.path().join("db.sqlite")).unwrap()
    }

    fn contact(&self, number: &str) -> Option<Contact> {
        self.store().contact(&ContactKey::Phone(number.into())).unwrap()
    }

    fn messages_to(&self, number: &str) -> Vec<Value> {
        self.gw.call("GET", "/v1/messages?limit=1000", None).1["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["to"] == number)
            .collect()
    }

    fn received(&self, number: &str) -> String {
        self.sim
            .ledger()
            .iter()
            .filter(|e| e["recipient"] == number)
            .filter_map(|e| e["text"].as_str().map(str::to_string))
            .collect()
    }
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_form_speaks_the_browsers_language_and_the_listener_exposes_nothing_else() {
    let p = Public::start("");
    for (accept_language, query, lang, words) in [
        (
            "ru-RU,ru;q=0.9,en;q=0.5",
            "",
            "ru",
            ["Подписаться", "от Florista по SMS"],
        ),
        ("es-MX,es;q=0.9", "", "es", ["Suscribirme", "de Florista por SMS"]),
        ("de-DE,de;q=0.9", "", "en", ["Subscribe", "from Florista by SMS"]),
        ("ru-RU", "?lang=es", "es", ["Suscribirme", "Acepto"]),
    ] {
        let r = p.get(
            &format!("/subscribe{query}"),
            &[
                ("accept-language", accept_language),
                ("x-forwarded-for", "198.51.100.1"),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            r.header("content-type").starts_with("text/html"),
            "{}",
            r.header("content-type")
        );
        assert!(
            r.text.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}: {}",
            r.text
        );
        for w in words {
            assert!(r.text.contains(w), "{lang}: {w:?} not in {}", r.text);
        }
        // Accessible and self-contained: labels for the fields, the honeypot
        // out of sight, no script, nothing from elsewhere.
        for w in [
            "<label for=\"phone\">",
            "<label for=\"name\">",
            "name=\"csrf_token\"",
            "name=\"website\" type=\"text\" tabindex=\"-1\"",
            "name=\"viewport\" content=\"width=device-width",
        ] {
            assert!(r.text.contains(w), "{w:?} not in {}", r.text);
        }
        assert!(!r.text.contains("<script") && !r.text.contains("http://") && !r.text.contains("https://"));
        let csp = r.header("content-security-policy");
        assert!(csp.contains("frame-ancestors https://shop.example"), "{csp}");
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert_eq!(r.header("referrer-policy"), "no-referrer");
        let cookie = r.header("set-cookie");
        assert!(
            cookie.starts_with("simfleet_csrf=") && cookie.contains("HttpOnly") && cookie.contains("Secure"),
            "{cookie}"
        );
    }
    let css = p.get("/subscribe.css", &[]);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));

    // The API is not there, token or not.
    for path in [
        "/v1/messages",
        "/v1/openapi.json",
        "/metrics",
        "/healthz",
        "/v1/contacts",
        "/",
    ] {
        let r = p.get(path, &[("authorization", &format!("Bearer {}", p.gw.token))]);
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert!(!r.text.contains("openapi"), "{path}");
    }
    let r = send(
        "POST",
        &format!("{}/v1/messages", p.base),
        &[
            ("authorization", &format!("Bearer {}", p.gw.token)),
            ("content-type", "application/json"),
        ],
        Some(json!({"to": "+79161234567", "text": "hi"}).to_string()),
    );
    assert_eq!(r.status, 404);
    assert!(p.messages_to("+79161234567").is_empty());
    // And the API's listener does not serve the form: to a stranger it is
    // the dashboard's, which sends them to sign in.
    let r = send("GET", &format!("{}/subscribe", p.gw.base), &[], None);
    assert!(matches!(r.status, 303 | 404), "{}", r.status);
    assert!(!r.text.contains("<form"), "{}", r.text);
}

#[test]
fn subscribe_then_yes_makes_an_opted_in_contact_with_the_form_as_evidence() {
    let p = Public::start("");
    let number = "+79161234567";
    let r = p.subscribe("203.0.113.7", "8 916 123-45-67", "ru", "text/html");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text
            .contains("Спасибо! Если на этот номер можно отправлять наши сообщения"),
        "{}",
        r.text
    );
    let c = p.contact(number).expect("the form made a contact");
    assert_eq!(c.consent.status, ConsentStatus::Pending);
    assert_eq!(
        c.consent.source.as_deref(),
        Some("web form https://sms.shop.example/subscribe")
    );
    assert_eq!(c.name.as_deref(), Some("Анна"));
    assert_eq!(c.language.as_deref(), Some("ru"));
    let evidence = c.consent.evidence.clone().unwrap();
    for part in [
        "consent text shown (ru): \"Я согласен(на) получать новости и предложения от Florista",
        "from 203.0.113.7",
        "user agent \"Mozilla/5.0 (test phone)\"",
    ] {
        assert!(evidence.contains(part), "{part:?} not in {evidence:?}");
    }
    // One request, in Russian, reaches the network.
    wait_for("the confirmation request", 20, || {
        p.received(number).starts_with("Ответьте ДА").then_some(())
    });

    // Submitted again before the YES: no second request.
    let first_answer = p
        .subscribe("203.0.113.10", "+79161239999", "en", "application/json")
        .json();
    let again = p.subscribe("203.0.113.8", "+7 916 123 45 67", "en", "application/json");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json(), first_answer, "the same answer whatever the state");
    assert_eq!(p.messages_to(number).len(), 1, "exactly one request");

    // The YES, from that number, through the network.
    p.sim.post("/modems/0/sms", json!({"from": number, "text": "Да"}));
    let c = wait_for("the contact to opt in", 20, || {
        p.contact(number)
            .filter(|c| c.consent.status == ConsentStatus::OptedIn)
    });
    assert_eq!(
        c.consent.source.as_deref(),
        Some("double opt-in (web form https://sms.shop.example/subscribe)")
    );
    let evidence = c.consent.evidence.unwrap();
    assert!(evidence.starts_with("consent text shown (ru)"), "{evidence}");
    assert!(evidence.contains("\"Ответьте ДА"), "{evidence}");
    assert!(evidence.ends_with("\"Да\""), "{evidence}");

    // Now it is subscribed: said so, nothing more asked.
    let r = p.subscribe("203.0.113.9", number, "es", "application/json");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "received", "{}", r.text);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("¡Gracias! Si este número")
    );
    assert!(
        !r.text.contains("suscrito"),
        "nothing said about the number: {}",
        r.text
    );
    wait_for("the welcome", 20, || {
        p.received(number)
            .ends_with("Вы подписаны. Ответьте СТОП, чтобы отказаться.")
            .then_some(())
    });
    let requests = p
        .messages_to(number)
        .iter()
        .filter(|m| m["text"].as_str().unwrap_or("").starts_with("Ответьте ДА"))
        .count();
    assert_eq!(requests, 1);
}

#[test]
fn a_post_without_its_token_or_with_the_honeypot_filled_stores_nothing() {
    let p = Public::start("");
    let number = "+79161230001";
    let ip = "192.0.2.10";
    let (cookie, token) = p.load_form(ip);
    let fields = |token: &str| {
        vec![
            ("csrf_token", token.to_string()),
            ("phone", number.to_string()),
            ("consent", "yes".to_string()),
            ("lang", "en".to_string()),
        ]
    };
    let post = |cookie: &str, f: Vec<(&str, String)>, accept: &str| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        p.post(ip, cookie, &f, accept)
    };
    // No token; a token made for another page load's cookie; a forged one; no cookie.
    let (other_cookie, _) = p.load_form(ip);
    let forged = format!("{}0", &token[..token.len() - 1]);
    for (cookie, token) in [
        (cookie.as_str(), ""),
        (other_cookie.as_str(), token.as_str()),
        (cookie.as_str(), forged.as_str()),
        ("", token.as_str()),
    ] {
        let r = post(cookie, fields(token), "application/json");
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.json()["error"]["code"], "invalid_csrf_token");
    }
    // In HTML: the form again, with a fresh token and the reason.
    let r = post("", fields(""), "text/html");
    assert_eq!(r.status, 403);
    assert!(r.text.contains("This form has expired") && r.text.contains("name=\"csrf_token\""));
    assert!(p.contact(number).is_none());

    // A bot fills the hidden field: answered like a person, nothing stored or sent.
    let mut f = fields(&token);
    f.push(("website", "http://spam.example".to_string()));
    let r = post(&cookie, f, "application/json");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "received");
    assert!(p.contact(number).is_none(), "a honeypot stores nothing");
    assert!(p.messages_to(number).is_empty());

    // The same token with the field empty is taken.
    let r = post(&cookie, fields(&token), "application/json");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "received");
    assert!(p.contact(number).is_some());
}

#[test]
fn bad_submissions_are_refused_in_words_and_store_nothing() {
    let p = Public::start("");
    let ip = "192.0.2.20";
    let (cookie, token) = p.load_form(ip);
    for (phone, consent, name, status, code) in [
        ("8 916 ABC-45-67", "yes", "", 422, "invalid_number"),
        ("12345", "yes", "", 422, "invalid_number"),
        ("", "yes", "", 422, "invalid_number"),
        ("+79161230002", "", "", 422, "no_consent"),
        ("+79161230002", "yes", "bad\u{1b}name", 422, "invalid_name"),
    ] {
        let r = p.post(
            ip,
            &cookie,
            &[
                ("csrf_token", &token),
                ("phone", phone),
                ("consent", consent),
                ("name", name),
                ("lang", "es"),
            ],
            "application/json",
        );
        assert_eq!(r.status, status, "{phone:?}: {}", r.text);
        assert_eq!(r.json()["error"]["code"], code, "{phone:?}: {}", r.text);
    }
    // In HTML, in the form's language, with what was typed kept.
    let r = p.post(
        ip,
        &cookie,
        &[
            ("csrf_token", &token),
            ("phone", "8 916 ABC"),
            ("consent", "yes"),
            ("lang", "es"),
        ],
        "text/html",
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text.contains("no parece un número") && r.text.contains("value=\"8 916 ABC\""),
        "{}",
        r.text
    );
    assert!(p.contact("+79161230002").is_none());
    // Not a form; too large.
    let r = send(
        "POST",
        &format!("{}/subscribe", p.base),
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", ip),
            ("accept", "application/json"),
        ],
        Some("{\"phone\": \"+79161230002\"}".into()),
    );
    assert_eq!(r.status, 415, "{}", r.text);
    let big = format!("phone=%2B79161230002&name={}", "a".repeat(20_000));
    let r = send(
        "POST",
        &format!("{}/subscribe", p.base),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-forwarded-for", ip),
            ("accept", "application/json"),
        ],
        Some(big),
    );
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(p.contact("+79161230002").is_none());
}

#[test]
fn an_opted_out_number_is_sent_nothing_and_told_how_to_come_back() {
    let p = Public::start("");
    let number = "+79161230003";
    let (code, _) = p.gw.call("POST", "/v1/optouts", Some(json!({"number": number})));
    assert_eq!(code, 201);
    let r = p.subscribe("192.0.2.30", number, "ru", "text/html");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("отправьте СТАРТ"), "{}", r.text);
    let r = p.subscribe("192.0.2.30", number, "en", "application/json");
    // Told exactly what a new number is told: nothing reveals the opt-out.
    assert_eq!(
        r.json(),
        p.subscribe("192.0.2.31", "+79161230004", "en", "application/json")
            .json()
    );
    assert_eq!(r.json()["status"], "received");
    assert!(
        r.json()["note"].as_str().unwrap().contains("text START"),
        "{}",
        r.text
    );
    assert!(p.contact(number).is_none(), "nothing stored");
    assert!(
        p.messages_to(number).is_empty(),
        "nothing sent, not even suppressed"
    );
}

#[test]
fn subscriptions_are_limited_per_address_and_per_number() {
    let p = Public::start(
        "subscribe_per_ip_per_hour = 3\nsubscribe_per_number_per_day = 2\nper_ip_per_minute = 30\n",
    );
    // Per address: the fourth subscription from one address in the hour.
    for i in 0..3 {
        let r = p.subscribe("192.0.2.40", &format!("+7916123100{i}"), "en", "application/json");
        assert_eq!(r.status, 200, "{i}: {}", r.text);
    }
    let r = p.subscribe("192.0.2.40", "+79161231009", "en", "application/json");
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "rate_limited");
    let retry: u64 = r.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((1..=3600).contains(&retry), "{retry}");
    assert!(p.contact("+79161231009").is_none());
    // Another address is not held back.
    assert_eq!(
        p.subscribe("192.0.2.41", "+79161231009", "en", "application/json")
            .status,
        200
    );

    // Per number: whatever the address, a number is taken twice a day.
    let number = "+79161231100";
    for ip in ["192.0.2.50", "192.0.2.51"] {
        assert_eq!(p.subscribe(ip, number, "en", "application/json").status, 200);
    }
    let r = p.subscribe("192.0.2.52", number, "en", "text/html");
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.text.contains("submitted too often today"), "{}", r.text);
    assert!(!r.header("retry-after").is_empty());
    let requests = p.messages_to(number).len();
    assert_eq!(requests, 1, "one request for the number");

    // Every route: past per_ip_per_minute, 429 with Retry-After; others go on.
    let mut refused = None;
    for i in 0..40 {
        let r = p.get("/subscribe", &[("x-forwarded-for", "192.0.2.60")]);
        if r.status == 429 {
            refused = Some((i, r));
            break;
        }
        assert_eq!(r.status, 200);
    }
    let (i, r) = refused.expect("the per-address limit answers 429");
    assert!(i <= 30, "{i}");
    assert!(!r.header("retry-after").is_empty());
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    // A browser gets the page in its language, a JSON client the JSON error.
    assert!(
        r.header("content-type").starts_with("text/html"),
        "{}",
        r.header("content-type")
    );
    assert!(r.text.contains("Too many attempts"), "{}", r.text);
    let r = p.post("192.0.2.60", "", &[("phone", "+79161231200")], "application/json");
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "rate_limited", "{}", r.text);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Too many attempts")
    );
    assert!(!r.header("retry-after").is_empty());
    assert_eq!(p.get("/l/abc", &[("x-forwarded-for", "192.0.2.60")]).status, 429);
    assert_eq!(
        p.get("/subscribe", &[("x-forwarded-for", "192.0.2.61")]).status,
        200
    );
}

#[test]
fn the_public_listener_speaks_https_with_its_own_certificate() {
    let sim = Sim::start(1, 10);
    let pki = common::tls::ca_and_cert(sim.dir.path());
    let p = Public::start_with(
        sim,
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"",
            pki.cert.display(),
            pki.key.display()
        ),
    );
    let https = p.base.replace("http://", "https://");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, cookie) = rt.block_on(async {
        let client = simfleet::tls::http_client()
            .tls_backend_preconfigured(simfleet::tls::client_config(&[("ca", pki.ca.as_path())]).unwrap())
            .build()
            .unwrap();
        let r = client
            .get(format!("{https}/subscribe"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("HTTPS answers");
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (r.status().as_u16(), cookie)
    });
    assert_eq!(status, 200);
    assert!(
        cookie.contains("Secure") && cookie.contains("SameSite=None"),
        "{cookie}"
    );
    // Plain HTTP on that port gets no page.
    let plain = rt.block_on(async {
        simfleet::tls::http_client()
            .build()
            .unwrap()
            .get(format!("{}/subscribe", p.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    });
    assert_ne!(plain, 200);
}

#[test]
fn config_check_refuses_a_public_listener_facing_the_network_in_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("simfleet.toml");
    std::fs::write(
        &config,
        format!(
            "[api]\ntoken_file = \"{d}/token\"\n[storage]\npath = \"{d}/db\"\n[public]\nlisten = \"0.0.0.0:8081\"\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    for args in [&["config", "check"][..], &["serve", "--config"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(args)
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("public.listen") && err.contains("reverse proxy"),
            "{err}"
        );
    }
    assert!(!dir.path().join("db").exists(), "nothing started");
}

#[test]
fn a_pending_contact_whose_request_never_went_out_is_asked_again_and_the_daily_cap_holds() {
    let p = Public::start("[optout]\nmax_auto_replies_per_day = 1\n");
    // Made pending while it was opted out: its request was suppressed.
    let number = "+79161232001";
    assert_eq!(
        p.gw.call("POST", "/v1/optouts", Some(json!({"number": number})))
            .0,
        201
    );
    let (code, c) = p.gw.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": number, "consent": {"status": "pending", "source": "import"}})),
    );
    assert_eq!(code, 201, "{c}");
    assert_eq!(p.messages_to(number)[0]["status"], "suppressed");
    // While opted out the form changes nothing.
    assert_eq!(
        p.subscribe("192.0.2.70", number, "en", "application/json").json()["status"],
        "received"
    );
    assert_eq!(
        p.contact(number).unwrap().consent.source.as_deref(),
        Some("import")
    );
    // The opt-out lifted, the form is a new request to join: asked again.
    assert_eq!(p.gw.call("DELETE", &format!("/v1/optouts/{number}"), None).0, 200);
    let r = p.subscribe("192.0.2.70", number, "en", "application/json");
    assert_eq!(r.json()["status"], "received", "{}", r.text);
    let c = p.contact(number).unwrap();
    assert_eq!(
        c.consent.source.as_deref(),
        Some("web form https://sms.shop.example/subscribe")
    );
    wait_for("the new request", 20, || {
        p.received(number).starts_with("Reply YES").then_some(())
    });
    // A YES answers it.
    p.sim
        .post("/modems/0/sms", json!({"from": number, "text": "yes"}));
    wait_for("the contact to opt in", 20, || {
        p.contact(number)
            .filter(|c| c.consent.status == ConsentStatus::OptedIn)
    });

    // A number that already had its day's share of the gateway's own
    // messages (here one: a HELP reply) is not asked: told to come back.
    let other = "+79161232002";
    p.sim
        .post("/modems/0/sms", json!({"from": other, "text": "HELP"}));
    wait_for("the help reply", 20, || {
        (!p.received(other).is_empty()).then_some(())
    });
    let r = p.subscribe("192.0.2.71", other, "en", "application/json");
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "number_rate_limited");
    assert!(p.contact(other).is_none(), "nothing stored");
    assert_eq!(p.messages_to(other).len(), 1, "only the help reply");
}

/// A campaign's tracked link followed through the real public listener:
/// a 302 to the destination with its UTM parameters, one click for the
/// contact however often they follow it, none for a link-preview fetcher,
/// and the campaign's figures say so.
#[test]
fn a_campaign_link_is_followed_through_the_public_listener_and_counted_once() {
    let p = Public::start("[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\n");
    let (code, r) = p.gw.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+79165551111", "consent": {"status": "opted_in", "source": "shop"}})),
    );
    assert!(code == 200 || code == 201, "{code} {r}");
    let (code, c) = p.gw.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "Spring sale", "audience": {"contacts": ["+79165551111"]},
            "variants": [{"name": "A", "text": "Sale! {{ link(\"https://shop.example/sale?ref=sms#top\") }}"}]})),
    );
    assert_eq!(code, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let (code, r) = p.gw.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{r}");
    let text = wait_for("the campaign message", 60, || {
        let t = p.received("+79165551111");
        (!t.is_empty()).then_some(t)
    });
    let slug = text
        .split("https://sms.shop.example/l/")
        .nth(1)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no short link in {text:?}"));
    let path = format!("/l/{slug}");
    let preview = p.get(
        &path,
        &[
            ("user-agent", "WhatsApp/2.23.20.0 A"),
            ("x-forwarded-for", "198.51.100.7"),
        ],
    );
    assert_eq!(preview.status, 302);
    let browser = [
        (
            "user-agent",
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
        ),
        ("x-forwarded-for", "198.51.100.8"),
    ];
    let first = p.get(&path, &browser);
    assert_eq!(first.status, 302, "{}", first.text);
    let location = first.header("location");
    assert!(
        location.starts_with(
            "https://shop.example/sale?ref=sms&utm_source=sms&utm_medium=sms&utm_campaign=spring-sale"
        ),
        "{location}"
    );
    assert!(
        location.contains("utm_content=A") && location.ends_with("#top"),
        "{location}"
    );
    assert_eq!(p.get(&path, &browser).status, 302);
    assert_eq!(p.get("/l/zzzzzzz", &browser).status, 404);
    let f = wait_for("the click in the figures", 30, || {
        let (_, v) = p.gw.call("GET", &format!("/v1/campaigns/{id}"), None);
        (v["figures"]["overall"]["total_clicks"] == 2).then_some(v["figures"]["overall"].clone())
    });
    assert_eq!(f["clicks"], 1, "{f}");
}

#[test]
fn the_form_texts_only_mobile_numbers_of_the_allowed_regions() {
    // Against SMS pumping: premium-rate (+1 900), satellite (+882) and
    // foreign numbers are refused; default region RU.
    let p = Public::start("");
    for number in ["+19005551234", "+882161234567", "+12015550123", "+74951234567"] {
        let r = p.subscribe("192.0.2.80", number, "en", "application/json");
        assert_eq!(r.status, 422, "{number}: {}", r.text);
        assert_eq!(
            r.json()["error"]["code"],
            "number_not_allowed",
            "{number}: {}",
            r.text
        );
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only send to mobile numbers in RU"),
            "{}",
            r.text
        );
        assert!(p.contact(number).is_none(), "{number}");
        assert!(p.messages_to(number).is_empty(), "{number}");
    }
    let r = p.subscribe("192.0.2.81", "+19005551234", "ru", "text/html");
    assert_eq!(r.status, 422);
    assert!(r.text.contains("только на мобильные номера (RU)"), "{}", r.text);
    let r = p.subscribe("192.0.2.80", "+79161230080", "en", "application/json");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(p.contact("+79161230080").is_some());
}
