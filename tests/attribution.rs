//! Promo codes and tracked links end to end in process: an A/B campaign
//! fed by the real engine (codes and short links recorded in each
//! message's transaction), its messages sent and delivered through the
//! store, clicks through the public router (`/l/{slug}`, tower `oneshot`)
//! by people and by a link-preview fetcher, redemptions through the API
//! router, and the campaign's figures.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use simfleet::api::{self, Accepting, AppState, Token};
use simfleet::campaigns::feed::feed;
use simfleet::campaigns::metrics;
use simfleet::campaigns::{CampaignInput, CampaignRules, CampaignStatus, lifecycle};
use simfleet::contacts::{Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{DispatchConfig, Dispatcher, ManualClock};
use simfleet::public::{self, PublicState};
use simfleet::sms::StatusCategory;
use simfleet::store::{PartSent, ReportIn, Store};
use tower::ServiceExt;

const HOUR: i64 = 3_600_000;
/// 2026-12-01T09:00:00Z: 12:00 in Moscow, inside the default window.
const T0: i64 = 1_796_115_600_000;
const SIM: &str = "250010000000001";
const BASE: &str = "https://go.shop.example";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

struct World {
    store: Store,
    rules: CampaignRules,
    clock: Arc<ManualClock>,
    api: axum::Router,
    public: axum::Router,
}

fn world() -> World {
    world_with(Some(BASE))
}

fn world_with(base_url: Option<&str>) -> World {
    let store = Store::open_in_memory().unwrap();
    let mut rules = CampaignRules::defaults("RU".parse().unwrap());
    rules.currency = "EUR".into();
    rules.attribution.base_url = base_url.map(str::to_string);
    let clock = Arc::new(ManualClock::at(T0));
    let dispatcher = Dispatcher::new(store.clone(), clock.clone(), DispatchConfig::default()).unwrap();
    let contacts = simfleet::contacts::ContactRules::defaults("RU".parse().unwrap());
    let api = api::router(AppState {
        store: store.clone(),
        dispatcher: dispatcher.clone(),
        token: Token::new("t0ken"),
        clock: clock.clone(),
        accepting: Accepting {
            validity_minutes: None,
            region: "RU".parse().unwrap(),
            status_reports: true,
            split: Default::default(),
        },
        contacts: contacts.clone(),
        campaigns: rules.clone(),
        pricing: Default::default(),
    });
    let public = public::router(PublicState {
        store: store.clone(),
        dispatcher,
        clock: clock.clone(),
        contacts,
        base_url: base_url.map(str::to_string),
        form: std::sync::Arc::new(public::FormSettings::new(
            &Default::default(),
            b"attribution-test-key",
        )),
    });
    World {
        store,
        rules,
        clock,
        api,
        public,
    }
}

fn contact(w: &World, phone: &str) {
    let changes = ContactChanges {
        time_zone: Some(Some("Europe/Moscow".into())),
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            at: Some(T0 - HOUR),
            source: Some("web form".into()),
            evidence: None,
        }),
        ..Default::default()
    };
    w.store
        .write(T0 - HOUR, |tx| tx.upsert_contact(phone, &changes, None))
        .unwrap();
}

/// An A/B campaign (no test share: each recipient draws A or B by weight)
/// to `phones`, started and fed until every recipient has a message.
fn campaign(w: &World, phones: &[String], text_a: &str, text_b: &str) -> i64 {
    let input: CampaignInput = serde_json::from_value(json!({
        "name": "Black Friday Распродажа",
        "audience": {"contacts": phones},
        "variants": [{"name": "A", "text": text_a}, {"name": "B", "text": text_b}],
        "status_report": true,
    }))
    .unwrap();
    let spec = input.check().unwrap();
    let row = w.store.create_campaign(&spec, T0).unwrap();
    lifecycle::start(&w.store, row.id, &w.rules, T0).unwrap();
    let fed = feed(&w.store, &w.rules, 1000, T0).unwrap();
    assert_eq!(fed.queued, phones.len());
    assert_eq!(
        w.store.campaign(row.id).unwrap().unwrap().status,
        CampaignStatus::Running
    );
    row.id
}

/// The campaign's messages: phone → (message id, variant, text).
fn messages(w: &World, id: i64) -> HashMap<String, (i64, String, String)> {
    let mut out = HashMap::new();
    for r in w.store.campaign_recipients_page(id, 0, 1000).unwrap() {
        let Some(mid) = r.message_id else { continue };
        let (m, _) = w.store.message(mid).unwrap().unwrap();
        out.insert(
            r.phone.clone(),
            (m.id, r.variant.clone().unwrap(), m.text.clone()),
        );
    }
    out
}

/// Sends message `id` and reports it delivered.
fn deliver(w: &World, id: i64, to: &str, mr: u8) {
    let now = w.clock_now();
    let segments = w.store.message(id).unwrap().unwrap().0.segments;
    assert!(
        w.store
            .claim(id, SIM, "356938035643809", "/dev/sim0", "gw", now)
            .unwrap()
            .is_some()
    );
    for seq in 1..=segments {
        w.store
            .record_part_sent(&PartSent {
                message_id: id,
                seq,
                imsi: SIM.into(),
                concat_ref: 0,
                message_ref: Some(mr.wrapping_add(seq as u8 - 1)),
                at: now,
            })
            .unwrap();
    }
    w.store.mark_sent(id, SIM, segments, "2026-12-01", now).unwrap();
    for k in 0..segments {
        w.store
            .apply_report(
                &ReportIn {
                    imsi: Some(SIM.into()),
                    message_ref: mr.wrapping_add(k as u8),
                    recipient: to.into(),
                    status_code: 0,
                    category: StatusCategory::Delivered,
                    description: "x".into(),
                    submitted_at: None,
                    discharge_at: Some(now),
                    pdu: "00".into(),
                },
                now,
            )
            .unwrap();
    }
}

impl World {
    /// The numbers a segment filter matches now.
    fn matching(&self, filter: Value) -> Vec<String> {
        let f = self.store.parse_filter(&filter).unwrap();
        let mut v: Vec<String> = self
            .store
            .segment_contacts(&f, self.clock_now(), false, 0, 100)
            .unwrap()
            .into_iter()
            .map(|c| c.phone)
            .collect();
        v.sort();
        v
    }

    fn clock_now(&self) -> i64 {
        use simfleet::dispatch::Clock;
        self.clock.now_ms()
    }

    async fn follow(&self, method: &str, slug: &str, ua: Option<&str>) -> (StatusCode, Option<String>) {
        let mut req = Request::builder().method(method).uri(format!("/l/{slug}"));
        if let Some(ua) = ua {
            req = req.header("user-agent", ua);
        }
        let resp = self
            .public
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (resp.status(), location)
    }

    async fn text(&self, path: &str) -> String {
        let req = Request::builder()
            .uri(path)
            .header("authorization", "Bearer t0ken")
            .body(Body::empty())
            .unwrap();
        let resp = self.api.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value, bool) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", "Bearer t0ken");
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let resp = self.api.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            replayed,
        )
    }
}

fn short_slug(text: &str) -> String {
    let at = text
        .find(&format!("{BASE}/l/"))
        .expect("a short link in the text");
    text[at + BASE.len() + 3..at + BASE.len() + 10].to_string()
}

fn code_in(text: &str) -> String {
    text.rsplit("code ").next().unwrap().trim().to_string()
}

#[tokio::test]
async fn a_click_through_l_is_counted_once_per_contact_and_not_for_a_preview_bot() {
    let w = world();
    let phones: Vec<String> = (0..4).map(|i| format!("+7916555000{i}")).collect();
    for p in &phones {
        contact(&w, p);
    }
    let text = "Sale -20%: {{ link(\"https://shop.example/sale?ref=sms#top\") }}";
    let id = campaign(&w, &phones, text, text);
    let msgs = messages(&w, id);
    for (i, p) in phones.iter().enumerate() {
        deliver(&w, msgs[p].0, p, i as u8 * 4);
    }
    // Every text holds a short link of its own; its row leads to the URL
    // with the UTM parameters of the campaign and the recipient's variant.
    let mut slugs = HashMap::new();
    for p in &phones {
        let (mid, variant, text) = &msgs[p];
        let slug = short_slug(text);
        let links = w.store.links_of_message(*mid).unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].0, slug);
        assert_eq!(
            links[0].1,
            format!(
                "https://shop.example/sale?ref=sms&utm_source=sms&utm_medium=sms&utm_campaign=black-friday-rasprodazha&utm_content={variant}#top"
            )
        );
        slugs.insert(p.clone(), slug);
    }
    assert_eq!(slugs.values().collect::<std::collections::HashSet<_>>().len(), 4);
    let first = &slugs[&phones[0]];
    // A person, twice: two clicks, one unique click.
    for _ in 0..2 {
        let (status, location) = w.follow("GET", first, Some(IPHONE)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(
            location.as_deref(),
            Some(w.store.link(first).unwrap().unwrap().destination.as_str())
        );
    }
    // WhatsApp drawing the preview of the second recipient's link, a HEAD
    // and a request without a user agent: redirected, none counted.
    let second = &slugs[&phones[1]];
    let (status, _) = w.follow("GET", second, Some("WhatsApp/2.23.20.0 A")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(w.follow("HEAD", second, Some(IPHONE)).await.0, StatusCode::FOUND);
    assert_eq!(w.follow("GET", second, None).await.0, StatusCode::FOUND);
    assert_eq!(w.store.link_clicks(second).unwrap(), (0, 2));
    // Unknown or malformed slugs: 404 page.
    assert_eq!(
        w.follow("GET", "zzzzzzz", Some(IPHONE)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.follow("GET", "..%2F", Some(IPHONE)).await.0,
        StatusCode::NOT_FOUND
    );

    // The reports: the time series, the recipients' CSV, Prometheus.
    let (status, ts, _) = w
        .api("GET", &format!("/v1/campaigns/{id}/timeseries"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let clicks: u64 = ts["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["clicks"].as_u64().unwrap())
        .sum();
    assert_eq!(clicks, 1, "{ts}");
    let csv = w.text(&format!("/v1/campaigns/{id}/recipients.csv")).await;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let clicked = header.iter().position(|h| *h == "clicked").unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let clicked_rows: Vec<&str> = rows
        .iter()
        .filter(|r| r[clicked] == "true")
        .map(|r| r[1])
        .collect();
    assert_eq!(clicked_rows, vec![phones[0].as_str()], "{csv}");
    let prom = w.text("/metrics").await;
    assert!(
        prom.lines().any(
            |l| l.starts_with(&format!("simfleet_campaign_clicks_total{{campaign=\"{id}\""))
                && l.ends_with(" 1")
        ),
        "{prom}"
    );

    // Segments: who clicked (a person) in this campaign.
    assert_eq!(
        w.matching(json!({"clicked": {"campaign": id}})),
        vec![phones[0].clone()]
    );

    let f = metrics::figures(&w.store, id, &w.rules).unwrap();
    assert_eq!(f.overall.delivered, 4);
    assert_eq!((f.overall.clicks, f.overall.total_clicks), (1, 2));
    assert_eq!(f.overall.ctr, Some(0.25));
    let v = &msgs[&phones[0]].1;
    assert_eq!(f.variants[v].clicks, 1);
    let other = if v == "A" { "B" } else { "A" };
    assert_eq!(f.variants.get(other).map_or(0, |x| x.clicks), 0);
}

#[tokio::test]
async fn a_redemption_is_attributed_to_the_right_variant_once_per_order() {
    let w = world();
    let phones: Vec<String> = (0..6).map(|i| format!("+7916666000{i}")).collect();
    for p in &phones {
        contact(&w, p);
    }
    let id = campaign(
        &w,
        &phones,
        "A: -20% with code {{ promo_code }}",
        "B: take 20% off, code {{ promo_code }}",
    );
    let msgs = messages(&w, id);
    for (i, p) in phones.iter().enumerate() {
        deliver(&w, msgs[p].0, p, i as u8 * 4);
    }
    let variants: std::collections::BTreeSet<&str> = msgs.values().map(|m| m.1.as_str()).collect();
    assert_eq!(variants.len(), 2, "both variants drawn: {msgs:?}");
    let buyer = &phones[0];
    let (_, variant, text) = &msgs[buyer];
    let code = code_in(text);
    assert_eq!(code.len(), 8);
    // Typed in lower case with a space.
    let typed = format!("{} {}", &code[..4].to_lowercase(), &code[4..]);
    let path = format!("/v1/codes/{}/redeem", typed.replace(' ', "%20"));
    let (status, a, replayed) = w
        .api(
            "POST",
            &path,
            Some(json!({"order_id": "SO-1001", "amount": "49.90"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert!(!replayed);
    assert_eq!(a["code"], json!(code));
    assert_eq!(a["variant"], json!(variant));
    assert_eq!(a["campaign_id"], json!(id.to_string()));
    assert_eq!(a["duplicate"], json!(false));
    assert_eq!(a["redemption"]["amount"], json!("49.9"));
    assert_eq!(a["redemption"]["currency"], json!("EUR"));
    // The same order again: the same answer, marked replayed, counted once.
    w.clock.advance(60_000);
    let (status, again, replayed) = w
        .api(
            "POST",
            &path,
            Some(json!({"order_id": "SO-1001", "amount": 49.9})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(replayed);
    assert_eq!(again, a);
    // The same order with another amount: 409.
    let (status, e, _) = w
        .api(
            "POST",
            &path,
            Some(json!({"order_id": "SO-1001", "amount": "10"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], json!("order_conflict"));
    // Another order with the same code: reported, not counted again.
    let (status, dup, _) = w
        .api(
            "POST",
            &path,
            Some(json!({"order_id": "SO-2002", "amount": "100"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dup["duplicate"], json!(true));
    assert!(
        dup["message"]
            .as_str()
            .unwrap()
            .starts_with("already redeemed at "),
        "{dup}"
    );
    // Unknown code: 404 JSON.
    let (status, e, _) = w.api("POST", "/v1/codes/ZZZZ2222/redeem", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["code"], json!("not_found"));
    let (status, view, _) = w.api("GET", &format!("/v1/codes/{code}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["redemptions"].as_array().unwrap().len(), 2);

    assert_eq!(
        w.matching(json!({"redeemed": {"campaign": id}})),
        vec![buyer.clone()]
    );
    let f = metrics::figures(&w.store, id, &w.rules).unwrap();
    assert_eq!(f.overall.conversions, 1);
    assert_eq!(f.overall.revenue, "49.90");
    assert_eq!(f.overall.conversion_rate, Some(1.0 / 6.0));
    assert_eq!(f.variants[variant.as_str()].conversions, 1);
    assert_eq!(f.variants[variant.as_str()].revenue, "49.90");
    let other = if variant == "A" { "B" } else { "A" };
    assert_eq!(f.variants[other].conversions, 0);
    assert_eq!(f.variants[other].revenue, "0.00");
    // Each recipient got a code of their own.
    let codes: std::collections::HashSet<String> = msgs.values().map(|m| code_in(&m.2)).collect();
    assert_eq!(codes.len(), 6);
    // The recipients' CSV ends with the counted redemption's amount and calls.
    let csv = w.text(&format!("/v1/campaigns/{id}/recipients.csv")).await;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[header.len() - 2..], ["revenue", "calls"], "{csv}");
    for row in csv.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        let revenue = if cells[1] == buyer { "49.9" } else { "" };
        assert_eq!(cells[cells.len() - 2..], [revenue, "0"], "{row}");
    }
}

#[tokio::test]
async fn previews_count_the_short_link_and_the_code_at_their_real_length() {
    let text = "Winter sale: -20% on everything, code {{ promo_code }}. See {{ link(\"https://shop.example/collections/winter-sale-2026/everything?sort=price\") }}";
    let mut segments = Vec::new();
    for base in [None, Some(BASE)] {
        let w = world_with(base);
        contact(&w, "+79165550100");
        let (status, p, _) = w
            .api(
                "POST",
                "/v1/templates/preview",
                Some(json!({"text": text, "contacts": ["+79165550100"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        let sample = p["recipients"][0]["text"].as_str().unwrap().to_string();
        assert!(sample.contains("code 22222222."), "{sample}");
        segments.push((p["segments_total"].as_u64().unwrap(), sample));
    }
    // The URL with its UTM parameters makes two segments; the short link one.
    assert_eq!(segments[0].0, 2, "{:?}", segments[0]);
    assert!(
        segments[0].1.contains("utm_campaign=preview"),
        "{:?}",
        segments[0]
    );
    assert_eq!(segments[1].0, 1, "{:?}", segments[1]);
    assert!(
        segments[1].1.ends_with(&format!("{BASE}/l/xxxxxxx")),
        "{:?}",
        segments[1]
    );
}

#[tokio::test]
async fn an_ab_test_by_redemptions_picks_the_variant_whose_codes_were_redeemed() {
    let w = world();
    let phones: Vec<String> = (0..40).map(|i| format!("+791688800{i:02}")).collect();
    for p in &phones {
        contact(&w, p);
    }
    let input: CampaignInput = serde_json::from_value(json!({
        "name": "AB by codes",
        "audience": {"contacts": phones},
        "variants": [{"name": "A", "text": "A code {{ promo_code }}"}, {"name": "B", "text": "B code {{ promo_code }}"}],
        "ab_test": {"test_share": 0.5, "decide_after": "4h", "metric": "redeem"},
    }))
    .unwrap();
    let row = w.store.create_campaign(&input.check().unwrap(), T0).unwrap();
    lifecycle::start(&w.store, row.id, &w.rules, T0).unwrap();
    let fed = feed(&w.store, &w.rules, 1000, T0).unwrap();
    assert_eq!(fed.queued, 20, "the test share only");
    let msgs = messages(&w, row.id);
    for (i, (p, (mid, variant, text))) in msgs.iter().enumerate() {
        deliver(&w, *mid, p, (i as u8).wrapping_mul(4));
        // Every B recipient redeems; no A recipient does.
        if variant == "B" {
            let (status, _, _) = w
                .api("POST", &format!("/v1/codes/{}/redeem", code_in(text)), None)
                .await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    simfleet::campaigns::ab_test::decide_due(&w.store, T0 + 4 * HOUR).unwrap();
    let decision = w.store.campaign(row.id).unwrap().unwrap().decision.unwrap();
    assert_eq!(decision["winner"], json!("B"), "{decision}");
    assert_eq!(decision["metric"], json!("redeem"), "{decision}");
}
