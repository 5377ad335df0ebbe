//! Every dashboard page over a busy shop's database:
//! `cargo bench --bench web_pages`.
//!
//! Seeds a store with 100,000 contacts and 1,000,000 messages (with their
//! histories) through the store's seeding helpers (`store::seed`): three
//! big campaigns (one finished, one running with two variants, one draft)
//! and 30 small finished ones, replies, STOP opt-outs and an imported
//! opt-out list, opt-outs to review, a survey with votes, an automation
//! with runs to come, SIM counters (one SIM cooling down), a failing
//! webhook, saved segments. Then it renders every page through the
//! in-process `web::router` (the same router the daemon mounts) with a
//! real session created through the store, and reports each page's
//! median and p95 over [`RUNS`] renders (after two warm-ups).
//!
//! It fails (exit status 1) when a page's median is over 50 ms (the
//! issue's budget), when a page does not answer 200, or when a GET route
//! in `src/web/` is neither measured nor exempted.
//!
//! Adding a page: routes are found by reading `src/web/**/*.rs` for
//! `.route("/path", get(…))`; a route without parameters is measured by
//! itself. A route with parameters (`/messages/{id}`) gets a seeded id by
//! its first path segment (see [`sample_for`]); when that guess does not
//! give a 200, add a line to [`PAGES`] with a path that does. Searches and
//! filters are lines in [`PAGES`] too (`/messages?q=…`); their parameter
//! names are the pages' own.
//!
//! `WEB_BENCH_DB=/path/file.db` keeps the seeded database (seeding takes
//! a minute or two) and reuses it on the next run; `WEB_BENCH_RUNS=n`
//! changes the number of renders; `WEB_BENCH_ONLY=messages` measures only
//! the pages whose name or path contains that text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use sha2::{Digest, Sha256};
use simfleet::api::{Accepting, AppState, Token};
use simfleet::campaigns::{CampaignInput, CampaignRules, CampaignStatus};
use simfleet::dispatch::{Clock, DispatchConfig, Dispatcher, SystemClock};
use simfleet::store::seed::{self, SeedAutomation, SeedCampaign, SeedHistory, SeedSurvey};
use simfleet::store::{CountMode, NewRecipient, NewSurvey, Store, WebSession};
use simfleet::web::{WebState, router};
use tower::ServiceExt;

const CONTACTS: usize = 100_000;
const MESSAGES: usize = 1_000_000;
/// The budget for one page, server-side.
const BUDGET_MS: f64 = 50.0;
/// Renders per page (after two warm-ups).
const RUNS: usize = 25;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// One request to measure.
struct Page {
    /// A name for the report.
    name: &'static str,
    /// `GET` or `POST` (a live fragment htmx posts to).
    method: &'static str,
    /// Path and query; `{message}`, `{contact}`, `{phone}`, `{campaign}`,
    /// `{running}`, `{draft}`, `{segment}`, `{survey}`, `{automation}`
    /// are replaced by seeded ids.
    path: &'static str,
    /// Form fields of a POST (urlencoded), else empty.
    form: &'static str,
}

const fn get(name: &'static str, path: &'static str) -> Page {
    Page {
        name,
        method: "GET",
        path,
        form: "",
    }
}

/// The pages, searches and filters measured by name; every other GET
/// route found in `src/web/` is measured too (see the module's note).
const PAGES: &[Page] = &[
    get("login", "/login"),
    get("overview", "/"),
    get("send", "/send"),
    get("messages", "/messages"),
    get("messages: failed", "/messages?status=failed"),
    get("messages: queued", "/messages?status=queued"),
    get("messages: scheduled", "/messages?status=scheduled"),
    get("messages: search number", "/messages?q=%2B7916000"),
    get("messages: search exact number", "/messages?q={phone}"),
    get(
        "messages: search text",
        "/messages?q=%D0%BF%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82",
    ),
    get("messages: search rare text", "/messages?q=nonexistent-word"),
    get("conversations", "/conversations"),
    get("contacts", "/contacts"),
    get(
        "contacts: search name",
        "/contacts?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0",
    ),
    get("contacts: search number", "/contacts?q=%2B34600"),
    get("contacts: tag", "/contacts?tag=vip"),
    get("segments", "/segments"),
    get("campaigns", "/campaigns"),
    get("campaigns: running", "/campaigns?status=running"),
    get("automations", "/automations"),
    get("surveys", "/surveys"),
    get("optouts", "/optouts"),
    get("optouts: search", "/optouts?q=%2B7903"),
    get("settings", "/settings"),
    get("campaign: finished", "/campaigns/{campaign}"),
    get("campaign: running", "/campaigns/{running}"),
    get("campaign: draft edited", "/campaigns/{draft}/edit"),
    get(
        "optouts: remove (confirm)",
        "/optouts/remove?number=%2B79030000037",
    ),
];

/// GET routes not measured here, and why.
const EXEMPT: &[(&str, &str)] = &[
    ("/assets/{name}", "static files: weighed by tests/web_weight.rs"),
    ("/favicon.ico", "an empty answer"),
];

/// Whether a route is a download (CSV, export): streamed, timed once, no budget.
fn is_download(path: &str) -> bool {
    path.contains("export") || path.contains(".csv") || path.contains("download")
}

/// The ids a page path may name.
struct Samples(BTreeMap<&'static str, String>);

impl Samples {
    fn fill(&self, path: &str) -> String {
        let mut out = path.to_string();
        for (k, v) in &self.0 {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

/// A seeded value for a route parameter: by the parameter's name when it
/// says a number, else by the route's first segment.
fn sample_for(route: &str, param: &str, s: &Samples) -> Option<String> {
    let p = param.to_ascii_lowercase();
    let key = if p.contains("phone") || p.contains("number") {
        "phone"
    } else {
        match route.trim_start_matches('/').split('/').next().unwrap_or("") {
            "messages" => "message",
            "conversations" | "contacts" => "contact",
            "campaigns" => "campaign",
            "segments" => "segment",
            "surveys" => "survey",
            "automations" => "automation",
            _ => return None,
        }
    };
    s.0.get(key).cloned()
}

/// Every `.route("…", …)` in `src/web/**/*.rs` with whether it answers GET.
fn routes_in_source() -> Vec<(String, bool, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let file = f
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&f)
            .display()
            .to_string();
        for (i, _) in text.match_indices(".route(") {
            let rest = &text[i + 7..];
            let Some(start) = rest.find('"') else { continue };
            let Some(len) = rest[start + 1..].find('"') else {
                continue;
            };
            let path = rest[start + 1..start + 1 + len].to_string();
            // The handlers: up to the next builder call.
            let after = &rest[start + 1 + len..];
            let end = [
                ".route(",
                ".merge(",
                ".layer(",
                ".nest(",
                ".fallback(",
                ".with_state(",
                "\n}",
            ]
            .iter()
            .filter_map(|m| after.find(m))
            .min()
            .unwrap_or(after.len());
            let handlers = &after[..end];
            let is_get = handlers.contains("get(") && !handlers.contains("_get(");
            found.push((path, is_get, file.clone()));
        }
    }
    found
}

fn matches_route(route: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let r: Vec<&str> = route.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    r.len() == p.len()
        && r.iter()
            .zip(&p)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')))
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn phone_url(p: &str) -> String {
    url::form_urlencoded::byte_serialize(p.as_bytes()).collect()
}

fn campaign(store: &Store, name: &str, texts: &[&str], now: i64) -> i64 {
    let variants: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"name": if i % 2 == 0 { "A" } else { "B" }, "text": t}))
        .collect();
    let input: CampaignInput = serde_json::from_value(json!({
        "name": name, "audience": {"filter": {"tag": "newsletter"}}, "variants": variants
    }))
    .expect("campaign input");
    store
        .create_campaign(&input.check().expect("campaign spec"), now)
        .expect("campaign")
        .id
}

fn start(store: &Store, id: i64, first: usize, n: usize, variants: usize, at: i64) {
    let recipients: Vec<NewRecipient> = (0..n)
        .map(|k| {
            let c = first + k;
            NewRecipient {
                contact_id: Some(c as i64),
                phone: seed::seed_phone(c),
                time_zone: "Europe/Moscow".into(),
                variant: Some(["A", "B"][k % variants].into()),
                phase: "all",
                excluded: (k % 40 == 7).then(|| ("no_consent", "no consent recorded".to_string())),
            }
        })
        .collect();
    store
        .start_campaign(id, &recipients, at, at + 2 * DAY, at)
        .expect("campaign starts");
    store
        .move_campaign(
            id,
            &[CampaignStatus::Scheduled],
            CampaignStatus::Running,
            None,
            at,
        )
        .expect("campaign runs");
}

/// Seeds `store`; returns the ids pages may name.
fn seed_store(store: &Store, now: i64) -> Samples {
    let t = Instant::now();
    seed::seed_contacts(store, CONTACTS, now).expect("contacts");
    println!("seeded {CONTACTS} contacts in {:.1} s", t.elapsed().as_secs_f64());
    let sale = campaign(
        store,
        "Весенняя распродажа",
        &["{{ name }}, весенняя распродажа: −20% на всё до воскресенья! Отписаться: STOP"],
        now - 40 * DAY,
    );
    start(store, sale, 1, 30_000, 1, now - 40 * DAY);
    let friday = campaign(
        store,
        "Black Friday",
        &[
            "{{ name }}, Black Friday: -30% on boots this weekend. Reply STOP to opt out",
            "Black Friday! Boots 30% off until Sunday. STOP to opt out",
        ],
        now - DAY,
    );
    start(store, friday, 30_001, 20_000, 2, now - 3 * HOUR);
    let draft = campaign(
        store,
        "New collection",
        &["New collection is in: come and see!"],
        now - HOUR,
    );
    let mut small = Vec::new();
    for k in 0..30 {
        let id = campaign(
            store,
            &format!("Weekly offer {}", k + 1),
            &["This week's offer: tea and coffee 2 for 1"],
            now - (300 - 9 * k as i64) * DAY,
        );
        start(
            store,
            id,
            60_001 + 100 * k,
            100,
            1,
            now - (300 - 9 * k as i64) * DAY,
        );
        small.push(id);
    }
    let survey = store
        .write(now - 5 * DAY, |tx| {
            tx.create_survey(&NewSurvey {
                question: "How did you like your visit? Reply 1 great, 2 fine, 3 poor".into(),
                options: vec![
                    ("1".into(), "Great".into()),
                    ("2".into(), "Fine".into()),
                    ("3".into(), "Poor".into()),
                ],
                count_mode: CountMode::Last,
                invalid_reply: Some("Please reply 1, 2 or 3".into()),
                closes_at: Some(now + 2 * DAY),
            })
        })
        .expect("survey");
    let automation_input: simfleet::automations::spec::AutomationInput = serde_json::from_value(json!({
        "name": "Cart reminder", "on": "cart_abandoned", "delay": "1h", "kind": "marketing",
        "text": "Your {{ event.item }} is still in your cart", "cancel_on": ["order_placed"]
    }))
    .expect("automation input");
    let automation = store
        .create_automation(
            &automation_input.check().expect("automation spec"),
            now - 90 * DAY,
        )
        .expect("automation")
        .id;
    let mut campaigns = vec![
        SeedCampaign {
            id: sale,
            first_contact: 1,
            sent: 29_000,
            variants: vec!["A".into()],
            texts: vec!["Анна, весенняя распродажа: −20% на всё до воскресенья! Отписаться: STOP".into()],
            from: now - 40 * DAY,
            until: now - 40 * DAY + 6 * HOUR,
        },
        SeedCampaign {
            id: friday,
            first_contact: 30_001,
            sent: 12_000,
            variants: vec!["A".into(), "B".into()],
            texts: vec![
                "Boris, Black Friday: -30% on boots this weekend. Reply STOP to opt out".into(),
                "Black Friday! Boots 30% off until Sunday. STOP to opt out".into(),
            ],
            from: now - 3 * HOUR,
            until: now - MINUTE_MS,
        },
    ];
    for (k, id) in small.iter().enumerate() {
        let from = now - (300 - 9 * k as i64) * DAY;
        campaigns.push(SeedCampaign {
            id: *id,
            first_contact: 60_001 + 100 * k,
            sent: 100,
            variants: vec!["A".into()],
            texts: vec!["This week's offer: tea and coffee 2 for 1".into()],
            from,
            until: from + HOUR,
        });
    }
    let t = Instant::now();
    let seeded = seed::seed_history(
        store,
        &SeedHistory {
            now,
            days: 365,
            messages: MESSAGES,
            contacts: CONTACTS,
            campaigns,
            survey: Some(SeedSurvey {
                id: survey,
                question: "How did you like your visit? Reply 1 great, 2 fine, 3 poor".into(),
                options: vec!["1".into(), "2".into(), "3".into()],
                first_contact: 70_001,
                asked: 3_000,
                at: now - 5 * DAY,
            }),
            automation: Some(SeedAutomation {
                id: automation,
                text: "Your kettle is still in your cart".into(),
                first_contact: 80_001,
                sent: 5_000,
                scheduled: 200,
            }),
        },
    )
    .expect("history");
    println!(
        "seeded {} messages, {} status events, {} replies, {} opt-outs in {:.1} s",
        seeded.messages,
        seeded.events,
        seeded.replies,
        seeded.optouts,
        t.elapsed().as_secs_f64()
    );
    // Finished campaigns are finished.
    for id in std::iter::once(sale).chain(small.iter().copied()) {
        store
            .move_campaign(
                id,
                &[CampaignStatus::Running],
                CampaignStatus::Completed,
                None,
                now - DAY,
            )
            .expect("campaign completes");
    }
    let filters: Vec<_> = [
        (
            "Newsletter in Moscow",
            json!({"all": [{"tag": "newsletter"}, {"attr": "city", "eq": "Москва"}]}),
        ),
        ("Big spenders", json!({"attr": "spent", "gt": 30000})),
        ("VIP", json!({"tag": "vip"})),
    ]
    .into_iter()
    .map(|(name, f)| (name, store.parse_filter(&f).expect("segment filter")))
    .collect();
    let segment = store
        .write(now, |tx| {
            let mut last = 0;
            for (name, f) in &filters {
                last = tx.create_segment(name, f)?.id;
            }
            Ok::<_, simfleet::store::SegmentError>(last)
        })
        .expect("segments");
    let sample_contact = seeded.sample_contact.max(1) as usize;
    let mut s = BTreeMap::new();
    s.insert("message", seeded.sample_message.max(1).to_string());
    s.insert("contact", sample_contact.to_string());
    s.insert("phone", phone_url(&seed::seed_phone(sample_contact)));
    s.insert("campaign", sale.to_string());
    s.insert("running", friday.to_string());
    s.insert("draft", draft.to_string());
    s.insert("segment", segment.to_string());
    s.insert("survey", survey.to_string());
    s.insert("automation", automation.to_string());
    Samples(s)
}

const MINUTE_MS: i64 = 60_000;

/// Ids of an already seeded database (`WEB_BENCH_DB` reused).
fn samples_of(store: &Store) -> Samples {
    // The seeded layout is fixed: ids are found again the way they were made.
    let mut s = BTreeMap::new();
    let find = |name: &str| -> String {
        store
            .campaigns(None, 0, 100)
            .ok()
            .and_then(|rows| {
                rows.into_iter()
                    .find(|c| c.spec.name == name)
                    .map(|c| c.id.to_string())
            })
            .unwrap_or_else(|| "1".into())
    };
    s.insert("campaign", find("Весенняя распродажа"));
    s.insert("running", find("Black Friday"));
    s.insert("draft", find("New collection"));
    let (msg, contact) = sample_message(store);
    s.insert("message", msg.to_string());
    s.insert("contact", contact.to_string());
    s.insert("phone", phone_url(&seed::seed_phone(contact as usize)));
    s.insert("segment", "3".into());
    s.insert("survey", "1".into());
    s.insert("automation", "1".into());
    Samples(s)
}

fn sample_message(store: &Store) -> (i64, i64) {
    // A message of the first campaign with a history; its contact.
    for id in 1..2_000 {
        if let Ok(Some((m, history))) = store.message(id)
            && history.len() >= 3
            && let Some(c) = (1..=CONTACTS).find(|&c| seed::seed_phone(c) == m.recipient)
        {
            return (id, c as i64);
        }
    }
    (1, 1)
}

fn main() {
    let runs: usize = std::env::var("WEB_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(RUNS)
        .max(1);
    let only = std::env::var("WEB_BENCH_ONLY").ok();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (path, reuse) = match std::env::var_os("WEB_BENCH_DB") {
        Some(p) => {
            let p = PathBuf::from(p);
            let exists = p.exists();
            (p, exists)
        }
        None => (tmp.path().join("simfleet.db"), false),
    };
    let clock = Arc::new(SystemClock);
    let now = clock.now_ms();
    let store = Store::open(&path).expect("store");
    let samples = if reuse {
        println!("reusing {}", path.display());
        samples_of(&store)
    } else {
        seed_store(&store, now)
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("database: {:.0} MB", size as f64 / 1e6);

    let region = "RU".parse().expect("region");
    let dispatcher =
        Dispatcher::new(store.clone(), clock.clone(), DispatchConfig::default()).expect("dispatcher");
    let api = AppState {
        store: store.clone(),
        dispatcher,
        token: Token::new("bench-token-bench-token-bench-token"),
        clock: clock.clone(),
        accepting: Accepting {
            region,
            status_reports: true,
            split: Default::default(),
            validity_minutes: Some(1440),
        },
        contacts: simfleet::contacts::ContactRules::defaults(region),
        pricing: Default::default(),
        campaigns: CampaignRules::defaults(region),
    };
    let mut config = simfleet::config::Config::default();
    config.api.token_file = tmp.path().join("api-token");
    let app = router(WebState::new(api, &config));

    // A session, as a sign-in leaves it.
    let id = "b".repeat(64);
    let csrf = "c".repeat(64);
    // A database kept from an earlier run has it already.
    let _ = store.delete_web_session(now, &Sha256::digest(id.as_bytes()));
    store
        .create_web_session(
            now,
            &Sha256::digest(id.as_bytes()),
            &WebSession {
                user: "admin".into(),
                csrf: csrf.clone(),
                created_at: now,
                seen_at: now,
                expires_at: now + 7 * DAY,
                credential: simfleet::web::session::token_credential("bench-token-bench-token-bench-token"),
            },
        )
        .expect("session");
    let cookie = format!("simfleet={id}; tz=Europe%2FMoscow");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let render = |method: &str, path: &str, form: &str| -> (u16, usize, f64) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1:8080")
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.8");
        if method != "GET" {
            req = req
                .header("x-csrf-token", &csrf)
                .header("hx-request", "true")
                .header("content-type", "application/x-www-form-urlencoded");
        }
        let req = req.body(Body::from(form.to_string())).expect("request");
        let t = Instant::now();
        let (status, len) = rt.block_on(async {
            let r = app.clone().oneshot(req).await.expect("infallible");
            let status = r.status().as_u16();
            let body = axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .map(|b| b.len())
                .unwrap_or(0);
            (status, body)
        });
        (status, len, t.elapsed().as_secs_f64() * 1000.0)
    };

    // What to measure: the table, then every other GET route in the source.
    let mut todo: Vec<(String, &str, String, &str, bool)> = PAGES
        .iter()
        .map(|p| (p.name.to_string(), p.method, samples.fill(p.path), p.form, false))
        .collect();
    let mut problems: Vec<String> = Vec::new();
    for (route, is_get, file) in routes_in_source() {
        if !is_get || EXEMPT.iter().any(|(r, _)| *r == route) {
            continue;
        }
        if PAGES
            .iter()
            .any(|p| p.method == "GET" && matches_route(&route, p.path))
        {
            continue;
        }
        let mut path = String::new();
        let mut missing = None;
        for seg in route.split('/').skip(1) {
            path.push('/');
            if let Some(param) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                match sample_for(&route, param, &samples) {
                    Some(v) => path.push_str(&v),
                    None => missing = Some(param.to_string()),
                }
            } else {
                path.push_str(seg);
            }
        }
        if route == "/" {
            path = "/".into();
        }
        match missing {
            Some(param) => problems.push(format!(
                "{route} ({file}): no seeded value for {{{param}}}: add it to PAGES in benches/web_pages.rs"
            )),
            None => todo.push((route.clone(), "GET", path, "", true)),
        }
    }
    if let Some(o) = &only {
        todo.retain(|(name, _, path, _, _)| name.contains(o.as_str()) || path.contains(o.as_str()));
    }

    println!(
        "\n{:<34} {:<46} {:>7} {:>9} {:>9} {:>8}",
        "page", "path", "status", "median", "p95", "KB"
    );
    let mut over = Vec::new();
    for (name, method, path, form, auto) in &todo {
        let download = is_download(path);
        let n = if download { 1 } else { runs };
        let (status, len, _) = render(method, path, form);
        let _ = render(method, path, form);
        let mut times: Vec<f64> = (0..n).map(|_| render(method, path, form).2).collect();
        times.sort_by(f64::total_cmp);
        let median = percentile(&times, 0.5);
        let p95 = percentile(&times, 0.95);
        let shown_path: String = if path.len() > 46 {
            format!(
                "{}…",
                &path[..path.char_indices().nth(44).map_or(path.len(), |(i, _)| i)]
            )
        } else {
            path.clone()
        };
        let mark = if download {
            "  (download, no budget)"
        } else if median > BUDGET_MS {
            "  OVER BUDGET"
        } else {
            ""
        };
        println!(
            "{:<34} {:<46} {:>7} {:>6.1} ms {:>6.1} ms {:>8.1}{mark}",
            if *auto {
                format!("{name} (found)")
            } else {
                name.clone()
            },
            shown_path,
            status,
            median,
            p95,
            len as f64 / 1024.0
        );
        if !download && median > BUDGET_MS {
            over.push(format!("{name} ({path}): median {median:.1} ms > {BUDGET_MS} ms"));
        }
        if status != 200 {
            problems.push(format!(
                "{name} ({path}) answered {status}: {}",
                if *auto {
                    "give it a realistic path in PAGES"
                } else {
                    "fix the path in PAGES or the page"
                }
            ));
        }
    }
    println!();
    for e in EXEMPT {
        println!("not measured: {} — {}", e.0, e.1);
    }
    if over.is_empty() && problems.is_empty() {
        println!(
            "every page's median is within {BUDGET_MS} ms ({} measured)",
            todo.len()
        );
        return;
    }
    for o in &over {
        println!("OVER BUDGET: {o}");
    }
    for p in &problems {
        println!("PROBLEM: {p}");
    }
    std::process::exit(1);
}
