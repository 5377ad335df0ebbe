//! Inbound handling on the library with an in-memory store and an injected
//! clock: reassembly (8- and 16-bit references, any order, duplicates),
//! incomplete messages after the timeout, senders, and what a reply means.

use chrono::Utc;
use simfleet::inbound::receive::{Pdu, Received, flush_stale, receive};
use simfleet::inbound::replies::ReplyRules;
use simfleet::phone::Region;
use simfleet::sms::{self, Address, AddressKind, SplitOptions};
use simfleet::store::Store;

fn ru() -> Region {
    "RU".parse().unwrap()
}

fn pdus(from: &Address, text: &str, wide: bool, reference: u16) -> Vec<String> {
    let plan = sms::plan(
        text,
        &SplitOptions {
            wide_ref: wide,
            ..Default::default()
        },
    )
    .unwrap();
    sms::encode_deliver(None, from, &plan, Utc::now().fixed_offset(), reference)
        .iter()
        .map(|p| sms::hex::encode_hex(p))
        .collect()
}

fn got(store: &Store, hex: &str, imsi: &str, now: i64) -> Received {
    let rules = ReplyRules::default();
    receive(
        store,
        &rules,
        ru(),
        &Pdu {
            hex,
            imsi: Some(imsi),
            imei: "356938035643809",
        },
        now,
    )
    .unwrap()
}

#[test]
fn parts_join_in_any_order_per_sender_and_reference() {
    let store = Store::open_in_memory().unwrap();
    let anna = Address::parse_number("+79035551234").unwrap();
    let boris = Address::parse_number("+79035554321").unwrap();
    let a_text = "А".repeat(150); // 3 UCS-2 parts
    let b_text = "b".repeat(400); // 3 GSM parts, 16-bit reference
    let a = pdus(&anna, &a_text, false, 42);
    // Same reference number from another sender: a different message.
    let b = pdus(&boris, &b_text, true, 42);
    assert_eq!((a.len(), b.len()), (3, 3));
    let order = [(&a, 2), (&b, 0), (&a, 0), (&b, 2), (&a, 0), (&b, 1)];
    let mut results = Vec::new();
    for (i, (msg, part)) in order.iter().enumerate() {
        results.push(got(&store, &msg[*part], "250010000000001", 1_000 + i as i64));
    }
    assert_eq!(results[4], Received::Duplicate);
    assert!(matches!(results[5], Received::Message { .. }), "{results:?}");
    assert!(
        results[..5]
            .iter()
            .all(|r| !matches!(r, Received::Message { .. }))
    );
    let last = got(&store, &a[1], "250010000000001", 2_000);
    assert!(matches!(last, Received::Message { .. }));
    let inbox = store.inbox(0, 10).unwrap();
    assert_eq!(inbox.len(), 2);
    assert_eq!(
        (inbox[0].sender.as_str(), inbox[0].text.as_deref()),
        ("+79035554321", Some(b_text.as_str()))
    );
    assert_eq!(
        (inbox[1].sender.as_str(), inbox[1].text.as_deref()),
        ("+79035551234", Some(a_text.as_str()))
    );
    assert_eq!(inbox[1].parts, 3);
    assert!(!inbox[1].incomplete);
    assert_eq!(store.oldest_waiting_part().unwrap(), None);
}

#[test]
fn parts_on_different_sims_are_different_messages() {
    let store = Store::open_in_memory().unwrap();
    let anna = Address::parse_number("+79035551234").unwrap();
    let a = pdus(&anna, &"x".repeat(200), false, 9);
    got(&store, &a[0], "SIM-A", 1);
    got(&store, &a[1], "SIM-B", 2);
    assert!(store.inbox(0, 10).unwrap().is_empty());
    assert!(matches!(got(&store, &a[1], "SIM-A", 3), Received::Message { .. }));
}

#[test]
fn missing_parts_are_given_up_on_after_the_timeout_and_flagged() {
    let store = Store::open_in_memory().unwrap();
    let anna = Address::parse_number("+79035551234").unwrap();
    let text = "The first part. ".repeat(20);
    let p = pdus(&anna, &text, false, 300);
    assert_eq!(p.len(), 3);
    got(&store, &p[0], "S", 10_000);
    got(&store, &p[2], "S", 70_000);
    assert_eq!(store.oldest_waiting_part().unwrap(), Some(10_000));
    let day = 24 * 3600 * 1000;
    // Not yet: the first part is younger than the timeout.
    assert!(
        flush_stale(&store, 10_000 + day - day, 10_000 + day - 1)
            .unwrap()
            .is_empty()
    );
    let ids = flush_stale(&store, 10_001, 10_000 + day + 1).unwrap();
    assert_eq!(ids.len(), 1);
    let m = &store.inbox(0, 10).unwrap()[0];
    assert!(m.incomplete);
    assert_eq!(m.parts, 3);
    let t = m.text.as_deref().unwrap();
    assert!(t.starts_with("The first part.") && t.len() < text.len(), "{t}");
    assert_eq!(store.oldest_waiting_part().unwrap(), None);
    // The missing part arriving later is a fragment on its own, not lost.
    got(&store, &p[1], "S", 10_000 + day + 5);
    assert_eq!(store.oldest_waiting_part().unwrap(), Some(10_000 + day + 5));
}

#[test]
fn alphanumeric_and_national_senders_and_garbage() {
    let store = Store::open_in_memory().unwrap();
    let bank = Address {
        kind: AddressKind::Alphanumeric,
        value: "MyBank".into(),
        toa: 0xD0,
    };
    got(&store, &pdus(&bank, "Your code is 1234", false, 0)[0], "S", 1);
    let national = Address {
        kind: AddressKind::National,
        value: "89161234567".into(),
        toa: 0xA1,
    };
    got(&store, &pdus(&national, "hi", false, 0)[0], "S", 2);
    got(&store, "0791FFFF", "S", 3);
    got(&store, "not hex at all", "S", 4);
    let inbox = store.inbox(0, 10).unwrap();
    let senders: Vec<&str> = inbox.iter().map(|m| m.sender.as_str()).collect();
    assert_eq!(senders, ["MyBank", "+79161234567", "unknown", "unknown"]);
    assert_eq!(inbox[0].text.as_deref(), Some("Your code is 1234"));
}
