//! Segment preview over 100,000 contacts: `cargo bench --bench segment_preview`.
//!
//! Generates 100,000 contacts (seeded: tags, typed attributes, consent,
//! status, opt-outs, activity) with one bulk insert, then times
//! `Store::segment_preview` (count, exclusions and a sample of 10) for
//! several filters, the mixed one first (tag + date window +
//! attribute comparison + not tag). The target is ≤ 200 ms here.
//!
//! Then the same with the schema changed, to see what indexes buy:
//! without the `contact_tags_by_tag` index, and (raw SQL) an attribute
//! test with and without an expression index on that attribute.

use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use simfleet::store::Store;

const CONTACTS: usize = 100_000;
/// 2025-06-15 12:00 UTC.
const NOW: i64 = 1_749_988_800_000;
const DAY: i64 = 86_400_000;
const RUNS: usize = 15;

const CITIES: &[&str] = &[
    "Kazan", "Moscow", "Samara", "Perm", "Ufa", "Tver", "Omsk", "Sochi",
];

fn date(days_before_now: i64) -> String {
    chrono::DateTime::from_timestamp_millis(NOW - days_before_now * DAY)
        .unwrap()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// Writes the contacts straight into the schema the store created.
fn generate(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    for (name, t) in [
        ("city", "string"),
        ("spent", "number"),
        ("last_purchase", "date"),
        ("birthday", "date"),
        ("vip", "boolean"),
    ] {
        tx.execute(
            "INSERT INTO attribute_types (name, type) VALUES (?1, ?2)",
            params![name, t],
        )
        .unwrap();
    }
    let mut rng = StdRng::seed_from_u64(12);
    {
        let mut contact = tx
            .prepare(
                "INSERT INTO contacts (id, phone, name, time_zone_source, language, attributes, consent_status,
                     status, created_at, updated_at, last_sent_at, last_reply_at, messages_sent)
                 VALUES (?1, ?2, ?3, 'number', ?4, ?5, ?6, ?7, 0, 0, ?8, ?9, 0)",
            )
            .unwrap();
        let mut tag = tx
            .prepare("INSERT INTO contact_tags (contact_id, tag, tag_key) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut optout = tx
            .prepare("INSERT INTO optouts (number, source, at) VALUES (?1, 'api', 0)")
            .unwrap();
        for i in 1..=CONTACTS as i64 {
            let phone = format!("+7916{:07}", i);
            let mut attrs = serde_json::Map::new();
            attrs.insert("city".into(), json!(CITIES[rng.random_range(0..CITIES.len())]));
            attrs.insert("spent".into(), json!(rng.random_range(0..5000) as f64));
            if rng.random_bool(0.8) {
                attrs.insert("last_purchase".into(), json!(date(rng.random_range(0..365))));
            }
            if rng.random_bool(0.6) {
                attrs.insert(
                    "birthday".into(),
                    json!(date(rng.random_range(365 * 18..365 * 70))),
                );
            }
            attrs.insert("vip".into(), json!(rng.random_bool(0.1)));
            let consent = match rng.random_range(0..100) {
                0..70 => "opted_in",
                70..85 => "pending",
                _ => "none",
            };
            let status = if rng.random_bool(0.02) {
                "invalid"
            } else {
                "active"
            };
            let lang = if rng.random_bool(0.7) { "ru" } else { "en" };
            let sent = rng.random_bool(0.5).then(|| NOW - rng.random_range(0..90) * DAY);
            let reply = rng.random_bool(0.2).then(|| NOW - rng.random_range(0..200) * DAY);
            contact
                .execute(params![
                    i,
                    phone,
                    format!("Contact {i}"),
                    lang,
                    Value::Object(attrs).to_string(),
                    consent,
                    status,
                    sent,
                    reply
                ])
                .unwrap();
            for (t, p) in [
                ("vip", 0.1),
                ("staff", 0.03),
                ("newsletter", 0.5),
                ("wholesale", 0.05),
            ] {
                if rng.random_bool(p) {
                    tag.execute(params![i, t, simfleet::contacts::fold(t)]).unwrap();
                }
            }
            if rng.random_bool(0.01) {
                optout.execute([&phone]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    // No ANALYZE: the gateway never runs it, so plans are measured as
    // they run there.
}

/// Median and worst of `RUNS` runs of `f`.
fn time(mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm the cache
    let mut v: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    (v[RUNS / 2], v[RUNS - 1])
}

fn filters() -> Vec<(&'static str, Value)> {
    vec![
        (
            "mixed (issue)",
            json!({"all": [{"tag": "vip"}, {"attr": "last_purchase", "within_days": 30}, {"attr": "spent", "gt": 1000}, {"not": {"tag": "staff"}}]}),
        ),
        (
            "mixed, attributes first",
            json!({"all": [{"attr": "city", "in": ["Kazan", "Perm"]}, {"attr": "last_purchase", "within_days": 90}, {"attr": "spent", "ge": 2500}, {"not": {"tag": "staff"}}, {"tag": "newsletter"}]}),
        ),
        ("one attribute", json!({"attr": "city", "eq": "Kazan"})),
        ("everyone", json!({"all": []})),
        (
            "birthdays this week",
            json!({"attr": "birthday", "anniversary_within_days": 7}),
        ),
        (
            "behaviour",
            json!({"all": [{"sent_within_days": 30}, {"no_reply_for_days": 60}, {"language": "ru"}]}),
        ),
        (
            "any of tags or vip",
            json!({"any": [{"tag": "wholesale"}, {"attr": "vip", "eq": true}, {"not": {"attr": "city", "ne": "Sochi"}}]}),
        ),
    ]
}

fn run_previews(store: &Store, label: &str) {
    println!("-- {label}");
    for (name, f) in filters() {
        let filter = store.parse_filter(&f).unwrap();
        let mut p = None;
        let (median, worst) = time(|| p = Some(store.segment_preview(&filter, NOW, 10).unwrap()));
        let p = p.unwrap();
        println!(
            "{name:<26} median {:>7.1} ms  worst {:>7.1} ms  (matched {}, count {}, excluded {}/{}/{})",
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3,
            p.matched,
            p.count,
            p.excluded.opted_out,
            p.excluded.invalid,
            p.excluded.no_consent
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    drop(Store::open(&path).unwrap());
    let t = Instant::now();
    generate(&path);
    println!(
        "generated {CONTACTS} contacts in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let store = Store::open(&path).unwrap();
    run_previews(
        &store,
        "schema as migrated (tag index, attributes in the JSON column)",
    );
    drop(store);

    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP INDEX contact_tags_by_tag").unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    run_previews(&store, "without the contact_tags_by_tag index");
    drop(store);

    // What an expression index on one attribute would buy (the compiled
    // SQL binds the path, so it could only use one through generated
    // columns or literal paths).
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE INDEX contact_tags_by_tag ON contact_tags (tag_key, contact_id)")
        .unwrap();
    let q = "SELECT count(*) FROM contacts WHERE json_extract(attributes, '$.\"city\"') = 'Kazan'";
    let count = |c: &Connection| c.query_row(q, [], |r| r.get::<_, i64>(0)).unwrap();
    let (m, w) = time(|| {
        count(&conn);
    });
    println!("-- raw count of one attribute ({} rows)", count(&conn));
    println!(
        "json_extract, no index      median {:>7.1} ms  worst {:>7.1} ms",
        m.as_secs_f64() * 1e3,
        w.as_secs_f64() * 1e3
    );
    conn.execute_batch(
        "CREATE INDEX contacts_city ON contacts (json_extract(attributes, '$.\"city\"')); ANALYZE",
    )
    .unwrap();
    let (m, w) = time(|| {
        count(&conn);
    });
    println!(
        "json_extract, expr. index   median {:>7.1} ms  worst {:>7.1} ms",
        m.as_secs_f64() * 1e3,
        w.as_secs_f64() * 1e3
    );
}
