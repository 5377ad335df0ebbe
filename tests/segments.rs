//! Segments: a filter mixing tags, a date window and attribute comparisons
//! checked against a count made in Rust over the same generated contacts;
//! and the `/v1/segments` API on the in-process router (saved segments,
//! previews, errors naming the failing node).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use simfleet::api::{self, Accepting, AppState, Token};
use simfleet::contacts::{AttrValue, Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{DispatchConfig, Dispatcher, SystemClock};
use simfleet::store::{NewOptOut, OptOutSource, Store};

/// 2025-06-15 12:00 UTC.
const NOW: i64 = 1_749_988_800_000;

/// One generated contact, as the hand count sees it.
struct Gen {
    phone: String,
    tags: Vec<&'static str>,
    city: Option<&'static str>,
    spent: Option<f64>,
    /// Days before today (negative: in the future).
    last_purchase: Option<i64>,
    consent: ConsentStatus,
    opted_out: bool,
}

const CITIES: &[&str] = &["Kazan", "kazan", "KAZAN", "Perm", "Samara", "Kazan-2"];
const TAGS: &[&str] = &["vip", "VIP", "Vip", "staff", "newsletter"];

fn generate(n: usize, seed: u64) -> Vec<Gen> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| Gen {
            phone: format!("+7916{:07}", i + 1),
            tags: TAGS.iter().copied().filter(|_| rng.random_bool(0.3)).collect(),
            city: rng
                .random_bool(0.8)
                .then(|| CITIES[rng.random_range(0..CITIES.len())]),
            spent: rng.random_bool(0.9).then(|| rng.random_range(0..3000) as f64),
            last_purchase: rng.random_bool(0.85).then(|| rng.random_range(-5..60)),
            consent: match rng.random_range(0..3) {
                0 => ConsentStatus::OptedIn,
                1 => ConsentStatus::Pending,
                _ => ConsentStatus::None,
            },
            opted_out: rng.random_bool(0.1),
        })
        .collect()
}

fn today() -> NaiveDate {
    DateTime::from_timestamp_millis(NOW).unwrap().date_naive()
}

/// Stores the contacts through the one path contacts are written by; returns their ids.
fn store_all(store: &Store, contacts: &[Gen]) -> Vec<i64> {
    store
        .write(NOW, |tx| {
            let mut ids = Vec::new();
            for g in contacts {
                let mut ch = ContactChanges {
                    tags: Some(g.tags.iter().map(|t| t.to_string()).collect()),
                    consent: Some(Consent {
                        status: g.consent,
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                if let Some(c) = g.city {
                    ch.attributes
                        .insert("city".into(), Some(AttrValue::String(c.into())));
                }
                if let Some(s) = g.spent {
                    ch.attributes.insert("spent".into(), Some(AttrValue::Number(s)));
                }
                if let Some(d) = g.last_purchase {
                    let date = if d >= 0 {
                        today().checked_sub_days(Days::new(d as u64))
                    } else {
                        today().checked_add_days(Days::new((-d) as u64))
                    };
                    ch.attributes
                        .insert("last_purchase".into(), Some(AttrValue::Date(date.unwrap())));
                }
                ids.push(tx.upsert_contact(&g.phone, &ch, None)?.id);
                if g.opted_out {
                    tx.add_optout(&NewOptOut {
                        number: &g.phone,
                        source: OptOutSource::Api,
                        keyword: None,
                        note: None,
                        inbox_id: None,
                    })?;
                }
            }
            Ok::<_, simfleet::store::ContactError>(ids)
        })
        .unwrap()
}

#[test]
fn a_filter_of_tags_a_date_window_and_attributes_matches_a_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let contacts = generate(3000, 2026);
    let ids = store_all(&store, &contacts);
    let filter = json!({"all": [
        {"tag": "vip"},
        {"not": {"tag": "staff"}},
        {"attr": "last_purchase", "within_days": 30},
        {"attr": "spent", "gt": 1000},
        {"any": [{"attr": "city", "eq": "kazan"}, {"attr": "city", "contains": "ERM"}]}
    ]});
    let f = store.parse_filter(&filter).unwrap();

    let has = |g: &Gen, t: &str| g.tags.iter().any(|x| x.eq_ignore_ascii_case(t));
    let expected: BTreeSet<i64> = contacts
        .iter()
        .zip(&ids)
        .filter(|(g, _)| {
            has(g, "vip")
                && !has(g, "staff")
                && g.last_purchase.is_some_and(|d| (0..=30).contains(&d))
                && g.spent.is_some_and(|s| s > 1000.0)
                && g.city.is_some_and(|c| {
                    c.eq_ignore_ascii_case("kazan") || c.to_ascii_lowercase().contains("erm")
                })
        })
        .map(|(_, id)| *id)
        .collect();
    assert!(
        expected.len() > 20,
        "the generated data must exercise the filter ({} matches)",
        expected.len()
    );

    // Every match, in keyset pages of 7.
    let mut got = BTreeSet::new();
    let mut after = 0;
    for _ in 0..10_000 {
        let page = store.segment_contact_ids(&f, NOW, after, 7).unwrap();
        let Some(&last) = page.last() else { break };
        assert!(page.windows(2).all(|w| w[0] < w[1]), "ascending ids");
        got.extend(page);
        after = last;
    }
    assert_eq!(got, expected);

    // The preview splits them by what a marketing send may do.
    let by_id = |id: i64| &contacts[ids.iter().position(|x| *x == id).unwrap()];
    let reachable: Vec<i64> = expected
        .iter()
        .copied()
        .filter(|id| {
            let g = by_id(*id);
            !g.opted_out && g.consent == ConsentStatus::OptedIn
        })
        .collect();
    let opted_out = expected.iter().filter(|id| by_id(**id).opted_out).count() as u64;
    let p = store.segment_preview(&f, NOW, 10).unwrap();
    assert_eq!(p.matched, expected.len() as u64);
    assert_eq!(p.count, reachable.len() as u64);
    assert_eq!(p.excluded.opted_out, opted_out);
    assert_eq!(p.excluded.invalid, 0);
    assert_eq!(
        p.excluded.no_consent,
        expected.len() as u64 - reachable.len() as u64 - opted_out
    );
    let sample: Vec<i64> = p.sample.iter().map(|c| c.id).collect();
    assert_eq!(sample, reachable[..10.min(reachable.len())].to_vec());
    let reach = store
        .segment_contacts(&f, NOW, true, 0, 100_000)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect::<Vec<_>>();
    assert_eq!(reach, reachable);
}

// ---- the API, on the in-process router ----

const TOKEN: &str = "t0ken";

async fn serve() -> (String, Store) {
    let store = Store::open_in_memory().unwrap();
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).unwrap();
    let state = AppState {
        store: store.clone(),
        dispatcher,
        token: Token::new(TOKEN),
        clock: Arc::new(SystemClock),
        accepting: Accepting {
            validity_minutes: None,
            region: "RU".parse().unwrap(),
            status_reports: true,
            split: Default::default(),
        },
        contacts: simfleet::contacts::ContactRules::defaults("RU".parse().unwrap()),
        campaigns: simfleet::campaigns::CampaignRules::defaults("RU".parse().unwrap()),
        pricing: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api::router(state)).await });
    (base, store)
}

async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = simfleet::tls::http_client().build().unwrap();
    let mut req = client
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn add(store: &Store, phone: &str, tags: &[&str], spent: f64, consent: ConsentStatus) {
    let mut ch = ContactChanges {
        tags: Some(tags.iter().map(|t| t.to_string()).collect()),
        consent: Some(Consent {
            status: consent,
            ..Default::default()
        }),
        ..Default::default()
    };
    ch.attributes
        .insert("spent".into(), Some(AttrValue::Number(spent)));
    store.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap();
}

#[tokio::test]
async fn segments_are_saved_previewed_changed_and_deleted_over_the_api() {
    let (base, store) = serve().await;
    add(&store, "+79160000001", &["vip"], 1500.0, ConsentStatus::OptedIn);
    add(&store, "+79160000002", &["vip"], 2000.0, ConsentStatus::Pending);
    add(
        &store,
        "+79160000003",
        &["vip", "staff"],
        3000.0,
        ConsentStatus::OptedIn,
    );
    add(&store, "+79160000004", &[], 5000.0, ConsentStatus::OptedIn);

    let filter = json!({"all": [{"tag": "vip"}, {"attr": "spent", "gt": 1000}, {"not": {"tag": "staff"}}]});
    let (st, seg) = call(
        &base,
        "POST",
        "/v1/segments",
        Some(json!({"name": "Big VIPs", "filter": filter})),
    )
    .await;
    assert_eq!(st, 201, "{seg}");
    assert_eq!(seg["name"], "Big VIPs");
    assert_eq!(seg["filter"], filter);
    let id = seg["id"].as_str().unwrap().to_string();

    let (st, again) = call(
        &base,
        "POST",
        "/v1/segments",
        Some(json!({"name": "Big VIPs", "filter": {"tag": "x"}})),
    )
    .await;
    assert_eq!((st, again["error"]["code"].as_str()), (409, Some("name_taken")));

    let (st, got) = call(&base, "GET", &format!("/v1/segments/{id}"), None).await;
    assert_eq!((st, &got), (200, &seg));

    let (st, p) = call(&base, "GET", &format!("/v1/segments/{id}/preview"), None).await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["matched"], 2);
    assert_eq!(p["count"], 1);
    assert_eq!(
        p["excluded"],
        json!({"no_consent": 1, "opted_out": 0, "invalid": 0})
    );
    assert_eq!(p["sample"][0]["phone"], "+79160000001");
    assert_eq!(p["sample"][0]["tags"], json!(["vip"]));
    assert_eq!(p["sample"][0]["attributes"]["spent"], json!(1500.0));

    // An unsaved filter.
    let (st, p) = call(
        &base,
        "POST",
        "/v1/segments/preview",
        Some(json!({"filter": {"attr": "spent", "ge": 3000}})),
    )
    .await;
    assert_eq!(
        (st, &p["matched"], &p["count"]),
        (200, &json!(2), &json!(2)),
        "{p}"
    );

    // Renamed, then given another filter.
    let (st, u) = call(
        &base,
        "PATCH",
        &format!("/v1/segments/{id}"),
        Some(json!({"name": "VIPs"})),
    )
    .await;
    assert_eq!(
        (st, &u["name"], &u["filter"]),
        (200, &json!("VIPs"), &filter),
        "{u}"
    );
    let (st, u) = call(
        &base,
        "PATCH",
        &format!("/v1/segments/{id}"),
        Some(json!({"filter": {"tag": "staff"}})),
    )
    .await;
    assert_eq!((st, &u["filter"]), (200, &json!({"tag": "staff"})), "{u}");
    let (_, p) = call(&base, "GET", &format!("/v1/segments/{id}/preview"), None).await;
    assert_eq!(p["matched"], 1);

    let (st, list) = call(&base, "GET", "/v1/segments?limit=1", None).await;
    assert_eq!(st, 200);
    assert_eq!(list["segments"][0]["id"], id);
    assert_eq!(list["next"], id);

    let (st, d) = call(&base, "DELETE", &format!("/v1/segments/{id}"), None).await;
    assert_eq!((st, &d["deleted"]), (200, &json!(true)));
    for (m, p) in [
        ("GET", format!("/v1/segments/{id}")),
        ("GET", format!("/v1/segments/{id}/preview")),
        ("DELETE", format!("/v1/segments/{id}")),
        ("GET", "/v1/segments/abc".to_string()),
    ] {
        let (st, e) = call(&base, m, &p, None).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{m} {p}"
        );
    }
    let (st, e) = call(
        &base,
        "PATCH",
        &format!("/v1/segments/{id}"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(st, 404, "{e}");
}

#[tokio::test]
async fn an_invalid_filter_is_a_422_naming_the_node() {
    let (base, store) = serve().await;
    add(&store, "+79160000001", &["vip"], 1.0, ConsentStatus::OptedIn);
    for (path, body, needle) in [
        (
            "/v1/segments",
            json!({"name": "a", "filter": {"all": [{"tag": "vip"}, {"tag": "x"}, {"attr": "spent", "gt": "1000"}]}}),
            "filter.all[2].gt: expected a number for attribute \"spent\" (a number attribute)",
        ),
        (
            "/v1/segments/preview",
            json!({"filter": {"any": [{"attr": "town", "eq": "Kazan"}]}}),
            "filter.any[0].attr: unknown attribute \"town\"; known: spent",
        ),
        (
            "/v1/segments/preview",
            json!({"filter": {"clicked": {"campaign": 3}}}),
            "filter.clicked.campaign: no campaign 3",
        ),
        (
            "/v1/segments/preview",
            json!({"filter": {"voted": {"survey": 3}}}),
            "filter.voted.survey: no survey 3",
        ),
        (
            "/v1/segments/preview",
            json!({"filter": "vip"}),
            "filter: expected a filter node",
        ),
    ] {
        let (st, e) = call(&base, "POST", path, Some(body.clone())).await;
        assert_eq!(st, 422, "{body}: {e}");
        assert_eq!(e["error"]["code"], "invalid_filter", "{e}");
        let m = e["error"]["message"].as_str().unwrap();
        assert!(m.starts_with(needle), "{m}");
    }
    // Deeper than the limit: an error, not a crash.
    let mut deep = json!({"tag": "vip"});
    for _ in 0..100 {
        deep = json!({"not": deep});
    }
    let (st, e) = call(
        &base,
        "POST",
        "/v1/segments/preview",
        Some(json!({"filter": deep})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("invalid_filter")),
        "{e}"
    );
    // Names.
    let (st, e) = call(
        &base,
        "POST",
        "/v1/segments",
        Some(json!({"name": " ", "filter": {"all": []}})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("invalid_name")),
        "{e}"
    );
    let (st, e) = call(
        &base,
        "POST",
        "/v1/segments",
        Some(json!({"name": "x".repeat(201), "filter": {"all": []}})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("invalid_name")),
        "{e}"
    );
    // A PATCH with a bad filter changes nothing.
    let (_, seg) = call(
        &base,
        "POST",
        "/v1/segments",
        Some(json!({"name": "keep", "filter": {"tag": "vip"}})),
    )
    .await;
    let id = seg["id"].as_str().unwrap();
    let (st, _) = call(
        &base,
        "PATCH",
        &format!("/v1/segments/{id}"),
        Some(json!({"name": "renamed", "filter": {"tag": 1}})),
    )
    .await;
    assert_eq!(st, 422);
    let (_, now) = call(&base, "GET", &format!("/v1/segments/{id}"), None).await;
    assert_eq!(now, seg);
}

/// One raw request: (status, error code, content type).
async fn raw(
    base: &str,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value, Option<String>) {
    let client = simfleet::tls::http_client().build().unwrap();
    let mut req = client
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .body(body);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), ct)
}

#[tokio::test]
async fn request_errors_on_segment_routes_are_documented_json() {
    let (base, _store) = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    // Whether the document lists `status` for the operation.
    let listed = |method: &str, path: &str, status: u16| {
        spec["paths"][path][method.to_lowercase()]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .contains_key(&status.to_string())
    };
    let body_routes = [
        ("POST", "/v1/segments", "/v1/segments"),
        ("POST", "/v1/segments/preview", "/v1/segments/preview"),
        ("PATCH", "/v1/segments/1", "/v1/segments/{id}"),
    ];
    for (m, path, doc) in body_routes {
        for (ct, body, status, code) in [
            (None, b"{}".to_vec(), 415, "bad_content_type"),
            (Some("text/plain"), b"{}".to_vec(), 415, "bad_content_type"),
            (Some("application/json"), b"{not json".to_vec(), 400, "bad_json"),
            (
                Some("application/json"),
                br#"{"filter": 1, "extra": 2}"#.to_vec(),
                422,
                "invalid_request",
            ),
            (
                Some("application/json"),
                format!(r#"{{"name": "{}"}}"#, "x".repeat(3 << 20)).into_bytes(),
                413,
                "body_too_large",
            ),
        ] {
            let (st, e, got_ct) = raw(&base, m, path, ct, body).await;
            assert_eq!(
                (st, e["error"]["code"].as_str()),
                (status, Some(code)),
                "{m} {path}"
            );
            assert_eq!(got_ct.as_deref(), Some("application/json"));
            assert!(
                listed(m, doc, status),
                "{m} {doc} answers {status}, not documented"
            );
        }
    }
    for (m, path, doc) in [
        ("GET", "/v1/segments/%FF", "/v1/segments/{id}"),
        ("DELETE", "/v1/segments/%FF", "/v1/segments/{id}"),
        ("GET", "/v1/segments/%FF/preview", "/v1/segments/{id}/preview"),
    ] {
        let (st, e, _) = raw(&base, m, path, None, Vec::new()).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (400, Some("bad_path")),
            "{m} {path}"
        );
        assert!(listed(m, doc, 400));
    }
    for q in ["limit=0", "limit=1001", "after=-1", "after=x"] {
        let (st, e, _) = raw(&base, "GET", &format!("/v1/segments?{q}"), None, Vec::new()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (400, Some("bad_query")), "{q}");
        assert!(listed("GET", "/v1/segments", 400));
    }
}
