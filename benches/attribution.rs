//! What attribution costs per message and per click:
//! `cargo bench --bench attribution`.
//!
//! - a promo code: the keyed permutation (Feistel, HMAC-SHA256 rounds)
//!   of a serial and its encoding, and reserving one from the store
//!   (serials are taken in blocks, so most reservations write nothing);
//! - a click: telling a link-preview fetcher from a person by its headers,
//!   looking the slug up and recording the click (one small write).
//!
//! Prints per-operation times (best of 5 runs) and the throughput they
//! imply on this machine.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue};
use simfleet::attribution::CodeFormat;
use simfleet::attribution::permute::Permutation;
use simfleet::store::Store;

const RUNS: usize = 5;

fn best(what: &str, n: usize, mut f: impl FnMut()) {
    let mut best = f64::MAX;
    for _ in 0..RUNS {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let per = best / n as f64;
    println!(
        "{what:<48} {:>9.2} µs each, {:>9.0} per second",
        per * 1e6,
        1.0 / per
    );
}

fn main() {
    let format = CodeFormat::default();
    let perm = match Permutation::new(&[7u8; 32], &format.domain(), format.space()) {
        Some(p) => p,
        None => {
            eprintln!("the default code space is not a valid permutation domain");
            return;
        }
    };
    let mut serial = 0u64;
    best("promo code from a serial (permute + encode)", 100_000, || {
        serial += 1;
        std::hint::black_box(format.code(&perm, serial));
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db.sqlite")).expect("store");
    best("promo code reserved from the store", 10_000, || {
        std::hint::black_box(store.reserve_promo_code(&format).expect("reserve"));
    });

    let mut person = HeaderMap::new();
    person.insert(
        "user-agent",
        HeaderValue::from_static(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
        ),
    );
    let mut preview = HeaderMap::new();
    preview.insert("user-agent", HeaderValue::from_static("WhatsApp/2.23.20.0 A"));
    best("bot check of a phone browser's headers", 100_000, || {
        std::hint::black_box(simfleet::attribution::bots::machine(&person));
    });
    best("bot check of a link-preview fetcher's headers", 100_000, || {
        std::hint::black_box(simfleet::attribution::bots::machine(&preview));
    });
    // A link as a campaign message leaves it, then clicks on it.
    let records = simfleet::attribution::Records {
        links: vec![(
            "Bench01".into(),
            "https://shop.example/sale?utm_source=sms".into(),
        )],
        ..Default::default()
    };
    store
        .write(0, |tx| tx.record_attribution(&records, 1))
        .expect("link stored");
    best("click: slug looked up and recorded", 2_000, || {
        let link = store.link("Bench01").expect("lookup").expect("the link");
        std::hint::black_box(link);
        store
            .record_click("Bench01", 0, None, Some("bench"))
            .expect("click recorded");
    });
}
