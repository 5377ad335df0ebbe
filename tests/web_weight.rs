//! What a page costs to load: against the real daemon, every dashboard
//! page with everything it references (stylesheets, scripts, images,
//! and what the stylesheets reference) weighs at most 300 KB,
//! uncompressed (the issue's budget; a phone on a weak signal pays for
//! every byte). Pages are the navigation's, the sign-in page, and every
//! same-site page linked from them (two clicks deep), so detail pages
//! (a message, a campaign) are weighed as soon as a list links to them.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Session, request};
use serde_json::json;

/// The issue's budget: a page and its assets, uncompressed.
const BUDGET: usize = 300 * 1024;

/// Where the navigation leads.
const NAV: &[&str] = &[
    "/",
    "/send",
    "/messages",
    "/conversations",
    "/contacts",
    "/segments",
    "/campaigns",
    "/automations",
    "/surveys",
    "/optouts",
    "/settings",
];

/// The values of `attr="…"` in the tags named `tags` (`<script`, `<link`, `<img`…).
fn attr_values(html: &str, tags: &[&str], attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags {
        for (i, _) in html.match_indices(tag) {
            let rest = &html[i..];
            let Some(end) = rest.find('>') else { continue };
            let el = &rest[..end];
            let needle = format!(" {attr}=\"");
            if let Some(at) = el.find(&needle) {
                let v = &el[at + needle.len()..];
                if let Some(close) = v.find('"') {
                    out.push(unescape(&v[..close]));
                }
            }
        }
    }
    out
}

/// An attribute's text as the browser reads it (the templates escape `/` as `&#x2f;`).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            e => e
                .strip_prefix("#x")
                .or_else(|| e.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `url(…)` references in a stylesheet (not `data:` ones, which are inside it).
fn css_urls(css: &str) -> Vec<String> {
    css.match_indices("url(")
        .filter_map(|(i, _)| {
            let v = &css[i + 4..];
            let end = v.find(')')?;
            let u = v[..end].trim().trim_matches(['"', '\'']).to_string();
            (!u.starts_with("data:")).then_some(u)
        })
        .collect()
}

/// A page's path with its ids blurred, so one message page stands for all.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|s| {
            if s.chars().filter(char::is_ascii_digit).count() >= 3 || s.parse::<u64>().is_ok() {
                "N"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Same-site pages a page links to (not downloads, sign-out or the language switch).
fn links(html: &str) -> Vec<String> {
    attr_values(html, &["<a "], "href")
        .into_iter()
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .filter(|h| {
            !h.starts_with("/assets/")
                && !h.starts_with("/logout")
                && !h.contains("lang=")
                && !h.contains("export")
                && !h.contains(".csv")
                && !h.contains("download")
        })
        .map(|h| h.split('#').next().unwrap_or("").to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

struct Weight {
    status: u16,
    html: usize,
    assets: Vec<(String, usize)>,
}

impl Weight {
    fn total(&self) -> usize {
        self.html + self.assets.iter().map(|(_, n)| n).sum::<usize>()
    }
}

fn weigh(base: &str, s: Option<&Session>, path: &str) -> (Weight, String) {
    let get = |p: &str| match s {
        Some(s) => s.get(base, p),
        None => request(base, "GET", p, &[], b""),
    };
    let page = get(path);
    let mut seen = BTreeSet::new();
    let mut assets = Vec::new();
    let mut queue: Vec<String> = attr_values(&page.body, &["<script", "<img", "<source"], "src")
        .into_iter()
        .chain(attr_values(&page.body, &["<link"], "href"))
        .chain(css_urls(&page.body))
        .collect();
    while let Some(url) = queue.pop() {
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "{path} loads {url}: everything must come from the gateway itself"
        );
        if !seen.insert(url.clone()) {
            continue;
        }
        let a = get(&url);
        assert_eq!(
            a.status, 200,
            "{path} references {url}, which answers {}",
            a.status
        );
        if url.split('?').next().unwrap_or("").ends_with(".css") {
            queue.extend(css_urls(&a.body));
        }
        assets.push((url, a.body.len()));
    }
    (
        Weight {
            status: page.status,
            html: page.body.len(),
            assets,
        },
        page.body,
    )
}

#[test]
fn every_page_with_its_assets_weighs_at_most_300_kb() {
    let sim = Sim::start(2, 0);
    let config = write_config(sim.dir.path(), free_port(), "");
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    // Enough data that every list is full: more rows than a page shows.
    for i in 0..60 {
        let (status, _) = gw.call(
            "POST",
            "/v1/contacts",
            Some(
                json!({"phone": format!("+7916555{i:04}"), "name": format!("Анна Иванова {i}"),
                        "tags": ["vip", "newsletter"], "attributes": {"city": "Казань"},
                        "consent": {"status": "opted_in", "source": "shop counter"}}),
            ),
        );
        assert!(status < 300, "contact {i}: {status}");
        let (status, _) = gw.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": format!("+7916555{i:04}"),
                        "text": format!("Здравствуйте! Ваш заказ №{i} готов к выдаче, магазин на ул. Ленина 5 открыт с 10 до 20. Ответьте STOP, чтобы отписаться.")})),
        );
        assert!(status < 300, "message {i}: {status}");
    }
    sim.post(
        "/modems/0/sms",
        json!({"from": "+79165550001", "text": "Спасибо, приду!"}),
    );
    sim.post("/modems/0/sms", json!({"from": "+79165550002", "text": "STOP"}));
    let session = Session::login(&gw.base, "admin", PASSWORD);

    let mut weighed: BTreeMap<String, (String, Weight)> = BTreeMap::new();
    let (login, _) = weigh(&gw.base, None, "/login");
    assert_eq!(login.status, 200);
    weighed.insert("/login".into(), ("/login".into(), login));
    let mut frontier: Vec<String> = NAV.iter().map(|p| p.to_string()).collect();
    for depth in 0..3 {
        let mut next = Vec::new();
        for path in frontier {
            let key = shape(&path);
            if weighed.contains_key(&key) || weighed.len() >= 150 {
                continue;
            }
            let (w, body) = weigh(&gw.base, Some(&session), &path);
            if depth == 0 {
                assert_eq!(w.status, 200, "{path}");
            }
            if w.status == 200 {
                next.extend(links(&body));
            }
            weighed.insert(key, (path, w));
        }
        frontier = next;
    }

    let mut over = Vec::new();
    println!(
        "{:<40} {:>6} {:>9} {:>9} {:>9}",
        "page", "status", "HTML", "assets", "total"
    );
    for (path, w) in weighed.values() {
        let assets: usize = w.assets.iter().map(|(_, n)| n).sum();
        println!(
            "{path:<40} {:>6} {:>7.1} K {:>7.1} K {:>7.1} K",
            w.status,
            w.html as f64 / 1024.0,
            assets as f64 / 1024.0,
            w.total() as f64 / 1024.0
        );
        if w.total() > BUDGET {
            let list: Vec<String> = w.assets.iter().map(|(u, n)| format!("{u} {n} B")).collect();
            over.push(format!(
                "{path}: {} B (HTML {} B; {})",
                w.total(),
                w.html,
                list.join(", ")
            ));
        }
    }
    assert!(
        weighed.len() > NAV.len(),
        "every navigation page and the sign-in page were weighed"
    );
    assert!(over.is_empty(), "over {BUDGET} B: {over:#?}");
}

#[test]
fn the_weight_finder_sees_what_a_browser_would_load() {
    let html = r#"<link rel="stylesheet" href="/assets/app.css?v=1"><script src="/assets/htmx.min.js?v=2" defer></script>
        <img alt="" src="/assets/logo.svg"><a href="/messages/17">x</a><a href="?lang=ru">RU</a><a href="/contacts/export.csv">csv</a>"#;
    assert_eq!(
        attr_values(html, &["<script", "<img"], "src"),
        ["/assets/htmx.min.js?v=2", "/assets/logo.svg"]
    );
    assert_eq!(attr_values(html, &["<link"], "href"), ["/assets/app.css?v=1"]);
    assert_eq!(links(html), ["/messages/17"]);
    assert_eq!(
        css_urls("a{background:url('/assets/x.png')} b{background:url(data:image/png;base64,AA)}"),
        ["/assets/x.png"]
    );
    assert_eq!(shape("/messages/17"), "/messages/N");
    assert_eq!(
        unescape("&#x2f;assets&#x2f;app.css?v=1&amp;x=2&bogus"),
        "/assets/app.css?v=1&x=2&bogus"
    );
    assert_eq!(shape("/conversations/%2B79161234567?x=1"), "/conversations/N");
}
