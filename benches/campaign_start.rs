//! Starting a campaign of 100,000 recipients: `cargo bench --bench campaign_start`.
//!
//! Generates 100,000 contacts in a file store (seeded: 90 % opted in, the
//! rest pending or without consent, 1 % opted out, a few zones), saves a
//! segment over all of them (`{"tag": "customer"}`) and a two-variant
//! draft over that segment, then starts it in a child process (this
//! binary again, so its memory is measured alone) through
//! `campaigns::lifecycle::start`: the audience read page by page,
//! exclusions with reasons, zones, variants, and one transaction storing
//! every recipient. Reports the wall time of the start and the child's
//! peak RSS (getrusage(RUSAGE_CHILDREN).ru_maxrss), against the issue's
//! ≤ 10 s and ≤ 64 MB.
//!
//! `CAMPAIGN_START_CONTACTS=N` changes the audience size (to see how the
//! figures grow).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};
use serde_json::json;
use simfleet::campaigns::{CampaignInput, CampaignRules, lifecycle};
use simfleet::store::Store;

/// 2026-12-01 06:00 UTC.
const NOW: i64 = 1_796_104_800_000;
const ZONES: &[Option<&str>] = &[
    None,
    Some("Europe/Moscow"),
    Some("Asia/Vladivostok"),
    Some("Europe/Kaliningrad"),
    Some("Asia/Yekaterinburg"),
];

/// Writes the contacts straight into the schema the store created.
fn generate(path: &Path, n: usize) {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    let mut rng = StdRng::seed_from_u64(13);
    {
        let mut contact = tx
            .prepare(
                "INSERT INTO contacts (id, phone, name, time_zone, time_zone_source, language, attributes, consent_status,
                     status, created_at, updated_at, messages_sent)
                 VALUES (?1, ?2, ?3, ?4, 'number', 'ru', '{}', ?5, 'active', 0, 0, 0)",
            )
            .unwrap();
        let mut tag = tx
            .prepare(
                "INSERT INTO contact_tags (contact_id, tag, tag_key) VALUES (?1, 'customer', 'customer')",
            )
            .unwrap();
        let mut optout = tx
            .prepare("INSERT INTO optouts (number, source, at) VALUES (?1, 'api', 0)")
            .unwrap();
        for i in 1..=n as i64 {
            let phone = format!("+7916{i:07}");
            let consent = match rng.random_range(0..100) {
                0..90 => "opted_in",
                90..95 => "pending",
                _ => "none",
            };
            let zone = ZONES[rng.random_range(0..ZONES.len())];
            contact
                .execute(params![i, phone, format!("Contact {i}"), zone, consent])
                .unwrap();
            tag.execute([i]).unwrap();
            if rng.random_bool(0.01) {
                optout.execute([&phone]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
}

fn rules() -> CampaignRules {
    CampaignRules::defaults("RU".parse().unwrap())
}

/// In the child: start campaign `id` in the store at `path`.
fn child(path: &str, id: i64) {
    let store = Store::open(Path::new(path)).unwrap();
    let t = Instant::now();
    let row = lifecycle::start(&store, id, &rules(), NOW).unwrap();
    let took = t.elapsed();
    let states = store.campaign_recipient_states(id).unwrap();
    println!(
        "{}",
        json!({"secs": took.as_secs_f64(), "status": row.status.as_str(),
               "states": states.iter().map(|(s, r, n)| json!([s, r, n])).collect::<Vec<_>>()})
    );
}

fn peak_rss_kib() -> i64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss())
        .unwrap_or(-1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let (Some("--child"), Some(path), Some(id)) = (
        args.get(1).map(String::as_str),
        args.get(2),
        args.get(3).and_then(|i| i.parse().ok()),
    ) {
        child(path, id);
        return;
    }
    // `cargo bench` passes `--bench`; anything else (a filter) is ignored.
    let n: usize = std::env::var("CAMPAIGN_START_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let store = Store::open(&db).unwrap();
    drop(store);
    let t = Instant::now();
    generate(&db, n);
    println!("generated {n} contacts in {:.1} s", t.elapsed().as_secs_f64());
    let store = Store::open(&db).unwrap();
    let filter = store.parse_filter(&json!({"tag": "customer"})).unwrap();
    store
        .write(NOW, |tx| tx.create_segment("customers", &filter))
        .unwrap();
    let seg = store.segments(0, 1).unwrap()[0].id;
    let input: CampaignInput = serde_json::from_value(json!({
        "name": "bench", "audience": {"segment": seg},
        "variants": [{"name": "A", "text": "Hi {{ name }}, -20% today", "weight": 50},
                     {"name": "B", "text": "Sale: -20% today", "weight": 50}]}))
    .unwrap();
    let spec = input.check().unwrap();
    let id = store.create_campaign(&spec, NOW).unwrap().id;
    drop(store);

    let started = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(&db)
        .arg(id.to_string())
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rss_mb = peak_rss_kib() as f64 / 1024.0;
    let secs = report["secs"].as_f64().unwrap_or(f64::NAN);
    println!(
        "campaign start over {n} contacts: {secs:.2} s for the start ({:.2} s for the process), peak RSS {rss_mb:.1} MB; status {}; recipients {}",
        wall.as_secs_f64(),
        report["status"],
        report["states"]
    );
    println!(
        "target (issue 13): <= 10 s and <= 64 MB: {}",
        if secs <= 10.0 && rss_mb <= 64.0 {
            "met"
        } else {
            "MISSED"
        }
    );
}
