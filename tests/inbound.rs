//! Inbound handling on the library with an in-memory store and an injected
//! clock: reassembly (8- and 16-bit references, any order, duplicates),
//! incomplete messages after the timeout, senders, and what a reply means.

use chrono::Utc;
use simfleet::inbound::keywords::Keywords;
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
        flush_stale(&store, &Keywords::default(), 10_000 + day - day, 10_000 + day - 1)
            .unwrap()
            .is_empty()
    );
    let ids = flush_stale(&store, &Keywords::default(), 10_001, 10_000 + day + 1).unwrap();
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
    assert_eq!(senders, ["MyBank", "+79161234567", "", ""]);
    assert_eq!(inbox[0].text.as_deref(), Some("Your code is 1234"));
    assert_eq!(
        inbox[2].error.as_deref(),
        Some("truncated SMSC address: need 6 octets, have 2")
    );
    assert_eq!(inbox[3].pdu.as_deref(), Some("not hex at all"));
    assert!(inbox[..2].iter().all(|m| m.error.is_none() && m.pdu.is_none()));
}

#[test]
fn an_incomplete_message_mentioning_stop_waits_for_review_not_ignored() {
    let store = Store::open_in_memory().unwrap();
    let anna = Address::parse_number("+79035551234").unwrap();
    let bank = Address {
        kind: AddressKind::Alphanumeric,
        value: "MyBank".into(),
        toa: 0xD0,
    };
    let text = format!("STOP sending these. {}", "x".repeat(300));
    let p = pdus(&anna, &text, false, 7);
    let b = pdus(&bank, &text, false, 8);
    got(&store, &p[0], "S", 1_000);
    got(&store, &b[0], "S", 1_000);
    let ids = flush_stale(&store, &Keywords::default(), 2_000, 90_000_000).unwrap();
    assert_eq!(ids.len(), 2);
    // Not opted out (a fragment could be misread), but not ignored either.
    assert_eq!(store.optout("+79035551234").unwrap(), None);
    let reviews = store.pending_reviews(0, 10).unwrap();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(
        (reviews[0].number.as_str(), reviews[0].keyword.as_str()),
        ("+79035551234", "STOP")
    );
    let inbox = store.inbox(0, 10).unwrap();
    let kinds: Vec<Option<&str>> = inbox.iter().map(|m| m.kind.as_deref()).collect();
    assert!(
        kinds.contains(&Some("optout_review")) && kinds.contains(&None),
        "{kinds:?}"
    );
}

/// mm pdu3 (from +18005551212) with TP-UDL 161: more septets than a PDU
/// holds. The first septets read "STOP".
fn over_long_stop() -> String {
    let stop = sms::septets::pack_user_data(&[], &sms::Charset::DEFAULT.encode("STOP").unwrap()).0;
    let mut ud = sms::hex::encode_hex(&stop);
    ud.push_str(&"20".repeat(141 - stop.len()));
    format!("07912143658709F1040B918100551512F2000011101021436500A1{ud}")
}

#[test]
fn an_undecodable_pdu_is_kept_raw_with_the_reason_and_never_read_as_a_keyword() {
    let store = Store::open_in_memory().unwrap();
    let hooks = store
        .sync_webhooks(&[(
            "http://127.0.0.1:9/hook".into(),
            vec!["inbound".into(), "optout".into()],
        )])
        .unwrap();
    let hex = over_long_stop();
    let r = got(&store, &hex, "250010000000001", 5_000);
    let Received::Undecodable { inbox_id } = r else {
        panic!("{r:?}")
    };
    let m = &store.inbox(0, 10).unwrap()[0];
    assert_eq!(m.id, inbox_id);
    assert_eq!(
        m.error.as_deref(),
        Some("invalid TP-UDL: 161 septets, more than the 160 a message can hold")
    );
    assert_eq!(m.pdu.as_deref(), Some(hex.as_str()));
    // The sender still reads cleanly, so it is shown; nothing else is done.
    assert_eq!(m.sender, "+18005551212");
    assert_eq!((m.text.as_deref(), m.kind.as_deref()), (None, None));
    assert_eq!(store.optout("+18005551212").unwrap(), None);
    let events = store.due_events(hooks[0], 10_000, 10).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event, "inbound");
    let data: serde_json::Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(data["undecodable"], true);
    assert_eq!(data["pdu"], hex.as_str());
    assert_eq!(data["from"], "+18005551212");
    assert!(data["error"].as_str().unwrap().starts_with("invalid TP-UDL"));
}

#[test]
fn an_undecodable_status_report_and_a_stored_submit_are_kept_too() {
    let store = Store::open_in_memory().unwrap();
    // A status report whose discharge time is not digits.
    let report = "0006070B919471123456F81110321123348011103211FF5480";
    assert!(matches!(
        got(&store, report, "S", 1),
        Received::Undecodable { .. }
    ));
    // An SMS-SUBMIT a modem listed from its storage.
    let submit = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
    assert!(matches!(
        got(&store, submit, "S", 2),
        Received::Undecodable { .. }
    ));
    let inbox = store.inbox(0, 10).unwrap();
    assert_eq!(
        inbox[0].error.as_deref(),
        Some("invalid TP-DT: minute semi-octets FF are not decimal digits")
    );
    assert_eq!(inbox[0].sender, "");
    assert_eq!(
        inbox[1].error.as_deref(),
        Some("an SMS-SUBMIT to +46708251358, not a received message")
    );
    assert_eq!(inbox[1].text.as_deref(), Some("hellohello"));
}

#[test]
fn a_pdu_offered_again_after_it_was_stored_is_stored_once() {
    // The modem offers a stored message again when its deletion did not
    // follow (a late acknowledgement, a dropped port); the network resends
    // one whose acknowledgement it missed. Same PDU: one message.
    let store = Store::open_in_memory().unwrap();
    let anna = Address::parse_number("+79035551234").unwrap();
    let single = pdus(&anna, "See you at 10", false, 0).remove(0);
    assert!(matches!(
        got(&store, &single, "250011", 1_000),
        Received::Message { .. }
    ));
    assert!(matches!(
        got(&store, &single, "250011", 20_000),
        Received::Duplicate
    ));
    assert_eq!(store.inbox(0, 10).unwrap().len(), 1);
    // The same PDU through another SIM is another delivery, kept.
    assert!(matches!(
        got(&store, &single, "250022", 21_000),
        Received::Message { .. }
    ));

    // A part offered again after its message was joined does not start a
    // new message that would be flushed later as an incomplete one.
    let long = pdus(&anna, &"x".repeat(300), false, 7);
    assert_eq!(long.len(), 2);
    assert!(matches!(got(&store, &long[0], "250011", 30_000), Received::Part));
    assert!(matches!(
        got(&store, &long[1], "250011", 31_000),
        Received::Message { .. }
    ));
    assert!(matches!(
        got(&store, &long[0], "250011", 40_000),
        Received::Duplicate
    ));
    let flushed = flush_stale(&store, &Keywords::default(), i64::MAX / 2, 50_000).unwrap();
    assert!(
        flushed.is_empty(),
        "a re-offered part became a message: {flushed:?}"
    );
    assert_eq!(store.inbox(0, 10).unwrap().len(), 3);
}
