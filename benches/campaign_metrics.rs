//! A campaign's figures and reports over 100,000 recipients:
//! `cargo bench --bench campaign_metrics`.
//!
//! Stores a started campaign of 100,000 recipients (two variants, 2% excluded)
//! with one bulk insert, gives 90% of them a message with a spread of
//! outcomes, replies and opt-outs, then times what the API and the
//! dispatcher call: the figures (overall and per variant), a breakdown by
//! time zone, the hourly series, the CSV export, the A/B round when nothing
//! is due, attributing one reply, and the segment `{"replied_to":
//! {"campaign": ID}}` over 100,000 contacts. Each is one aggregate query (or one
//! indexed lookup), so the figures take well under a second here.

use std::time::Instant;

use rusqlite::{Connection, params};
use serde_json::json;
use simfleet::campaigns::{CampaignInput, CampaignRules, ab_test, metrics};
use simfleet::store::{CampaignReply, GroupBy, NewRecipient, Store};

const RECIPIENTS: usize = 100_000;
/// 2026-12-01T09:00:00Z.
const T0: i64 = 1_796_115_600_000;
const RUNS: usize = 5;
const ZONES: &[&str] = &[
    "Europe/Moscow",
    "Europe/Kaliningrad",
    "Asia/Vladivostok",
    "America/Sao_Paulo",
];

fn phone(i: usize) -> String {
    format!("+7916{i:07}")
}

fn time<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut out = None;
    let mut best = f64::MAX;
    for _ in 0..RUNS {
        let t = Instant::now();
        out = Some(f());
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("{what:<44} {best:>9.1} ms (best of {RUNS})");
    out.unwrap_or_else(|| unreachable!())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path).unwrap();
    let input: CampaignInput = serde_json::from_value(json!({"name": "bench", "audience": {"segment": 1},
        "variants": [{"name": "A", "text": "a"}, {"name": "B", "text": "b"}]}))
    .unwrap();
    let row = store.create_campaign(&input.check().unwrap(), T0).unwrap();
    let recipients: Vec<NewRecipient> = (0..RECIPIENTS)
        .map(|i| NewRecipient {
            contact_id: None,
            phone: phone(i),
            time_zone: ZONES[i % ZONES.len()].into(),
            variant: Some(if i % 2 == 0 { "A" } else { "B" }.into()),
            phase: "all",
            excluded: (i % 50 == 0).then(|| ("no_consent", "no consent recorded".to_string())),
        })
        .collect();
    let t = Instant::now();
    store
        .start_campaign(row.id, &recipients, T0, T0 + 86_400_000, T0)
        .unwrap();
    println!(
        "stored {RECIPIENTS} recipients in {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    // Messages for 90% of them, as the engine and the SIMs would leave them.
    {
        let mut raw = Connection::open(&path).unwrap();
        let tx = raw.transaction().unwrap();
        {
            let mut msg = tx
                .prepare(
                    "INSERT INTO messages (recipient, text, encoding, segments, status, status_report, created_at, updated_at,
                        sent_at, delivered_at, sim_imsi, category, campaign_id, variant, lane)
                     VALUES (?1, 'offer', 'gsm7', ?2, ?3, 1, ?4, ?4, ?5, ?6, '250010000000001', 'marketing', ?7, ?8, 1)",
                )
                .unwrap();
            let mut link = tx
                .prepare(
                    "UPDATE campaign_recipients SET state = 'queued', message_id = ?3, queued_at = ?4,
                        reply_id = ?5, replied_at = ?6, opted_out_at = ?7
                     WHERE campaign_id = ?1 AND seq = ?2",
                )
                .unwrap();
            let mut contact = tx
                .prepare(
                    "INSERT INTO contacts (phone, time_zone_source, consent_status, created_at, updated_at)
                     VALUES (?1, 'default', 'opted_in', ?2, ?2)",
                )
                .unwrap();
            for i in 0..RECIPIENTS {
                contact.execute(params![phone(i), T0]).unwrap();
                if i % 50 == 0 || i % 10 == 9 {
                    continue;
                }
                let at = T0 + (i as i64 % 12) * 3_600_000;
                let status = match i % 20 {
                    0..=13 => "delivered",
                    14..=15 => "sent",
                    16 => "failed",
                    17 => "unknown",
                    _ => "queued",
                };
                let sent = (status != "queued").then_some(at);
                let delivered = (status == "delivered").then_some(at + 60_000);
                msg.execute(params![
                    phone(i),
                    1 + (i % 3 == 0) as i64,
                    status,
                    at,
                    sent,
                    delivered,
                    row.id,
                    if i % 2 == 0 { "A" } else { "B" }
                ])
                .unwrap();
                let id = tx.last_insert_rowid();
                let replied = (status == "delivered" && i % 7 == 0).then_some(at + 3_600_000);
                let opted = (replied.is_some() && i % 5 == 0).then_some(at + 3_600_000);
                link.execute(params![
                    row.id,
                    i as i64 + 1,
                    id,
                    at,
                    replied.map(|_| i as i64),
                    replied,
                    opted
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let rules = CampaignRules::defaults("RU".parse().unwrap());
    let f = time("figures (overall + per variant)", || {
        metrics::figures(&store, row.id, &rules).unwrap()
    });
    println!(
        "  audience {} sent {} delivered {} replies {} opt-outs {} segments {}",
        f.overall.audience,
        f.overall.sent,
        f.overall.delivered,
        f.overall.replies,
        f.overall.opt_outs,
        f.overall.segments
    );
    time("breakdown by time zone", || {
        metrics::grouped(&store, row.id, &GroupBy::TimeZone, &rules).unwrap()
    });
    let hours = time("hourly series", || store.campaign_hours(row.id).unwrap());
    println!("  {} hours", hours.len());
    time("recipients.csv (to a sink)", || {
        simfleet::api::campaign_reports::write_recipients(&store, row.id, std::io::sink()).unwrap()
    });
    let filter = store
        .parse_filter(&json!({"replied_to": {"campaign": row.id}}))
        .unwrap();
    let ids = time("segment replied_to (100,000 contacts, one read)", || {
        store.segment_contact_ids(&filter, T0, 0, RECIPIENTS + 1).unwrap()
    });
    println!("  {} contacts", ids.len());
    time("A/B round, nothing due", || {
        ab_test::decide_due(&store, T0).unwrap()
    });
    time("attribute one reply", || {
        store
            .write(T0 + 7_200_000, |tx| {
                tx.attribute_campaign_reply(&CampaignReply {
                    inbox_id: 1,
                    sender: &phone(12_345),
                    sim_imsi: Some("250010000000001"),
                    opted_out: false,
                    window_ms: 7 * 86_400_000,
                    received_at: T0 + 7_200_000,
                })
            })
            .unwrap()
    });
}
