//! Template preview over a large segment: time and memory.
//!
//! `cargo bench --bench template_preview` (SIMFLEET_BENCH_CONTACTS=N for
//! another size; default 100,000). Seeds a store with opted-in contacts
//! (names, a city, a birthday, languages en/ru/es), then previews a
//! personalised template over all of them through the same path as
//! `POST /v1/templates/preview` with a filter, and prints the time and the
//! peak RSS reached during the preview (reset before it starts).

use std::str::FromStr;
use std::time::Instant;

use rust_decimal::Decimal;
use simfleet::contacts::{AttrValue, Consent, ConsentStatus, ContactChanges};
use simfleet::sms::SplitOptions;
use simfleet::store::Store;
use simfleet::templates::Template;
use simfleet::templates::audience::feed_segment;
use simfleet::templates::preview::Preview;

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("SIMFLEET_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db.sqlite")).expect("store");
    let t0 = Instant::now();
    store
        .write(1, |tx| {
            for i in 0..n {
                let lang = ["en", "ru", "es"][i % 3];
                let mut ch = ContactChanges {
                    name: Some(Some(if i % 97 == 0 {
                        format!("Maximilian-Alexander von Contact {i}")
                    } else {
                        format!("Ann {i}")
                    })),
                    language: Some(Some(lang.into())),
                    tags: Some(vec!["all".into()]),
                    consent: Some(Consent {
                        status: if i % 10 == 0 {
                            ConsentStatus::None
                        } else {
                            ConsentStatus::OptedIn
                        },
                        at: Some(1),
                        source: Some("bench".into()),
                        evidence: Some("bench".into()),
                    }),
                    ..Default::default()
                };
                ch.attributes.insert(
                    "city".into(),
                    Some(AttrValue::String(["Kazan", "Madrid", "Boston"][i % 3].into())),
                );
                ch.attributes.insert(
                    "birthday".into(),
                    Some(AttrValue::Date(
                        chrono::NaiveDate::from_ymd_opt(1990, (i % 12) as u32 + 1, (i % 28) as u32 + 1)
                            .expect("date"),
                    )),
                );
                tx.upsert_contact(&format!("+7916{:07}", i), &ch, Some("Europe/Moscow"))?;
            }
            Ok::<_, simfleet::store::ContactError>(())
        })
        .expect("seed");
    eprintln!("seeded {n} contacts in {:.1} s", t0.elapsed().as_secs_f64());

    let filter = store
        .parse_filter(&serde_json::json!({"tag": "all"}))
        .expect("filter");
    let template = Template::compile(
        "Hi {{ name }}! {{ attributes.city }} store: 20% off on {{ attributes.birthday | date }}. Reply STOP to opt out.",
    )
    .expect("template");
    let split = SplitOptions::default();
    // The store's share: the same pages read with nothing done to them.
    let t = Instant::now();
    let (mut after, mut read) = (0, 0usize);
    loop {
        let page = store
            .segment_contacts(&filter, 2, false, after, simfleet::templates::audience::PAGE)
            .expect("page");
        read += page.len();
        match page.last() {
            Some(last) if page.len() == simfleet::templates::audience::PAGE => after = last.id,
            _ => break,
        }
    }
    eprintln!(
        "reading {read} contacts in pages: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    // Reset the peak RSS (Linux: clear_refs 5) so it covers the preview only.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_kb("VmRSS:");
    let t = Instant::now();
    let mut preview = Preview::new(&template, &split, "Europe/Moscow");
    feed_segment(&store, &filter, 2, &mut preview).expect("preview");
    let report = preview.finish(Decimal::from_str("0.05").expect("price"), "USD");
    let took = t.elapsed();
    let peak = rss_kb("VmHWM:");
    println!(
        "template preview: {n} contacts ({} counted, {} excluded) in {:.2} s ({:.1} µs/contact); segments {} (min {:?}, max {:?}), cost {} {}; RSS {} MB before, peak {} MB during",
        report.count,
        report.excluded.no_consent,
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64,
        report.segments_total,
        report.segments_min,
        report.segments_max,
        report.estimated_cost,
        report.currency,
        before / 1024,
        peak / 1024,
    );
}
