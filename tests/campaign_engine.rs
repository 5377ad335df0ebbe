//! The campaign engine with the real store, the real dispatcher and
//! simulated modems in process, on an injected clock: each recipient's
//! window on their own clock (across a DST change), deadlines, frequency
//! caps, transactional priority, fairness, rates, pause/resume/cancel and a
//! restart mid-campaign — all checked against the simulator's ledger.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Timelike};
use chrono_tz::Tz;
use common::clocked::Fleet;
use serde_json::{Value, json};
use simfleet::campaigns::feed::feed;
use simfleet::campaigns::{CampaignInput, CampaignRules, CampaignStatus, lifecycle};
use simfleet::contacts::{Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{DispatchConfig, ManualClock, SimPolicy};
use simfleet::phone::{Msisdn, Region};
use simfleet::sim::modem::Ledger;
use simfleet::sms::Encoding;
use simfleet::store::{Category, ClaimRequest, NewMessage, NewOptOut, OptOutSource, Status, Store};

const HOUR: i64 = 3_600_000;

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn rules() -> CampaignRules {
    CampaignRules::defaults(Region::default())
}

/// A contact who opted in, in `zone`.
fn contact(store: &Store, phone: &str, name: &str, zone: &str) {
    let ch = ContactChanges {
        name: Some(Some(name.into())),
        time_zone: Some(Some(zone.into())),
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            evidence: Some("web form".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    store.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap();
}

/// Creates and starts a campaign to `phones` at `now`; extra fields merge
/// into the request.
fn campaign(store: &Store, name: &str, phones: &[&str], text: &str, extra: Value, now: i64) -> i64 {
    let mut req = json!({
        "name": name,
        "audience": {"contacts": phones},
        "variants": [{"name": "A", "text": text}],
        "status_report": false,
    });
    if let (Some(r), Value::Object(e)) = (req.as_object_mut(), extra) {
        r.extend(e);
    }
    let input: CampaignInput = serde_json::from_value(req).unwrap();
    let spec = input.check().unwrap();
    let row = store.create_campaign(&spec, now).unwrap();
    lifecycle::start(store, row.id, &rules(), now).unwrap();
    row.id
}

fn states(store: &Store, id: i64) -> HashMap<String, u64> {
    store
        .campaign_recipient_states(id)
        .unwrap()
        .into_iter()
        .map(|(s, r, n)| (r.map_or(s.clone(), |r| format!("{s}:{r}")), n))
        .collect()
}

fn status(store: &Store, id: i64) -> CampaignStatus {
    store.campaign(id).unwrap().unwrap().status
}

async fn fleet(
    store: Store,
    clock: Arc<ManualClock>,
    sims: usize,
    latency_ms: u64,
    policy: SimPolicy,
) -> Fleet {
    let ledger = Arc::new(Ledger::default());
    common::clocked::start(
        store,
        clock,
        ledger,
        DispatchConfig::default(),
        sims,
        latency_ms,
        policy,
    )
    .await
}

impl Fleet {
    /// Sends per recipient, with the injected times.
    fn times_of(&self, phone: &str) -> Vec<i64> {
        self.sent
            .iter()
            .filter(|(_, e)| e.recipient == phone)
            .map(|(t, _)| *t)
            .collect()
    }
}

fn local_hour(at: i64, zone: &str) -> (u32, u32) {
    let tz: Tz = zone.parse().unwrap();
    let t = DateTime::from_timestamp_millis(at).unwrap().with_timezone(&tz);
    (t.hour(), t.minute())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_zone_gets_the_campaign_inside_its_own_window_across_a_dst_change() {
    // 2018-11-04 00:00 UTC: 10:00 in Vladivostok (UTC+10), 02:00 in
    // Kaliningrad (UTC+2), and in São Paulo 21:00 the evening before the
    // clocks went forward (UTC-3 → UTC-2 at local midnight).
    let start = ms("2018-11-04T00:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let zones = [
        ("Asia/Vladivostok", "+7914000000"),
        ("Europe/Kaliningrad", "+7911000000"),
        ("America/Sao_Paulo", "+551191234000"),
    ];
    let mut phones = Vec::new();
    for (zone, prefix) in zones {
        for i in 1..=3 {
            let phone = format!("{prefix}{i}");
            contact(&store, &phone, &format!("{zone} {i}"), zone);
            phones.push(phone);
        }
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let id = campaign(
        &store,
        "weekend",
        &refs,
        "Hi {{ name }}: -20% today",
        json!({}),
        start,
    );
    let mut f = fleet(store, clock, 2, 5, SimPolicy::default()).await;
    f.run_until(start + 30 * HOUR).await;
    // Everyone got it once, inside 09:00–20:00 on their own clock.
    for (zone, prefix) in zones {
        for i in 1..=3 {
            let phone = format!("{prefix}{i}");
            let times = f.times_of(&phone);
            assert_eq!(times.len(), 1, "{phone} in {zone}: {times:?}");
            let (h, _) = local_hour(times[0], zone);
            assert!((9..20).contains(&h), "{phone} got it at {h}:xx in {zone}");
        }
    }
    // Each zone at its window's opening: Vladivostok at once, Kaliningrad
    // at 09:00 local (07:00 UTC), São Paulo at 09:00 of the first DST day
    // — 11:00 UTC, not 12:00 as the day before.
    let first = |prefix: &str| {
        (1..=3)
            .flat_map(|i| f.times_of(&format!("{prefix}{i}")))
            .min()
            .unwrap()
    };
    assert_eq!(first("+7914000000"), start);
    assert_eq!(first("+7911000000"), ms("2018-11-04T07:00:00Z"));
    assert_eq!(first("+551191234000"), ms("2018-11-04T11:00:00Z"));
    // The text was rendered for each contact.
    assert!(
        f.sent
            .iter()
            .any(|(_, e)| e.text.as_deref() == Some("Hi America/Sao_Paulo 2: -20% today"))
    );
    assert_eq!(status(&f.store, id), CampaignStatus::Completed);
    assert_eq!(states(&f.store, id).get("queued"), Some(&9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_deadline_a_campaign_expires_the_rest_instead_of_sending_next_morning() {
    // 19:00 UTC; deadline 21:00 the same evening; 2 per hour (one every
    // 30 minutes). Five in UTC: two go, at 19:00 and 19:30; the next slot
    // (20:00) is when their window closes.
    // One in Vladivostok, whose window (23:00–10:00 UTC) never opens
    // before the deadline.
    let start = ms("2026-12-01T19:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let mut phones: Vec<String> = (1..=5).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    contact(&store, "+79140000099", "Ivan", "Asia/Vladivostok");
    phones.push("+79140000099".into());
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let id = campaign(
        &store,
        "today only",
        &refs,
        "Today only: -50%",
        json!({"deadline": "2026-12-01T21:00:00Z", "rate_per_hour": 2}),
        start,
    );
    let mut f = fleet(store, clock, 2, 5, SimPolicy::default()).await;
    f.run_until(ms("2026-12-02T12:00:00Z")).await;
    assert_eq!(
        f.sent.len(),
        2,
        "sent: {:?}",
        f.sent.iter().map(|(t, e)| (*t, &e.recipient)).collect::<Vec<_>>()
    );
    let times: Vec<i64> = f.sent.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![start, start + HOUR / 2]);
    let s = states(&f.store, id);
    assert_eq!(s.get("queued"), Some(&2));
    assert_eq!(s.get("expired:deadline"), Some(&3), "{s:?}");
    assert_eq!(s.get("expired:window_missed"), Some(&1), "{s:?}");
    assert_eq!(status(&f.store, id), CampaignStatus::Completed);
}

#[tokio::test]
async fn a_queued_campaign_message_expires_at_the_deadline_naming_the_campaign() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    let id = campaign(
        &store,
        "flash",
        &["+4915123400001"],
        "Flash sale",
        json!({"deadline": "2026-12-01T13:00:00Z"}),
        start,
    );
    let fed = feed(&store, &rules(), 1, start).unwrap();
    assert_eq!(fed.queued, 1);
    assert_eq!(fed.next_at, Some(ms("2026-12-01T13:00:00Z")));
    let expired = store.expire_due(ms("2026-12-01T13:00:00Z")).unwrap();
    assert_eq!(expired.len(), 1);
    let (m, events) = store.message(expired[0]).unwrap().unwrap();
    assert_eq!(m.status, Status::Expired);
    let last = events.last().unwrap();
    assert!(
        last.reason
            .as_deref()
            .is_some_and(|r| r.contains(&format!("deadline of campaign {id}"))),
        "{last:?}"
    );
    // Nothing left: the campaign completes.
    feed(&store, &rules(), 1, ms("2026-12-01T13:00:00Z")).unwrap();
    assert_eq!(status(&store, id), CampaignStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_contact_gets_a_second_marketing_message_inside_the_cap() {
    // Two campaigns to the same four contacts, the default cap (1 in 24 h):
    // whichever comes second for a contact waits a day; a third whose
    // deadline comes before the cap frees skips them all.
    let start = ms("2026-12-01T10:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=4).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let long = json!({"deadline": "2026-12-04T10:00:00Z"});
    let a = campaign(&store, "A", &refs, "First offer", long.clone(), start);
    let b = campaign(&store, "B", &refs, "Second offer", long, start);
    let mut f = fleet(store, clock, 2, 5, SimPolicy::default()).await;
    f.run_until(start + HOUR).await;
    for p in &phones {
        assert_eq!(f.times_of(p).len(), 1, "{p}: one on the first day");
    }
    let c = campaign(
        &f.store,
        "C",
        &refs,
        "Third offer",
        json!({"deadline": "2026-12-01T22:00:00Z"}),
        f.now(),
    );
    f.run_until(ms("2026-12-04T12:00:00Z")).await;
    for p in &phones {
        let times = f.times_of(p);
        assert_eq!(times.len(), 2, "{p}: {times:?}");
        // The second went as soon as the cap freed (it slept until then).
        assert_eq!(times[1], times[0] + 24 * HOUR, "{p}: {times:?}");
    }
    assert_eq!(status(&f.store, a), CampaignStatus::Completed);
    assert_eq!(status(&f.store, b), CampaignStatus::Completed);
    assert_eq!(states(&f.store, c).get("skipped:capped"), Some(&4));
}

fn transactional(to: &str) -> NewMessage {
    NewMessage {
        recipient: Msisdn::from_canonical(to),
        text: "Your code is 4711".into(),
        encoding: Encoding::Gsm7,
        segments: 1,
        status_report: false,
        send_at: None,
        expires_at: None,
        kind: None,
        category: Category::Transactional,
        idempotency_key: None,
        request_hash: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_message_overtakes_a_running_campaign_on_a_busy_sim() {
    let start = ms("2026-12-01T12:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=6).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    campaign(&store, "bulk", &refs, "Bulk offer", json!({}), start);
    // One SIM, slow enough to be busy when the code arrives.
    let mut f = fleet(store, clock, 1, 300, SimPolicy::default()).await;
    f.round().await;
    assert_eq!(
        f.busy(),
        (1, 1),
        "the SIM took the first campaign message, the next waits"
    );
    // Fed only what the SIM could take and one more waiting for it: no
    // campaign backlog in the queue.
    assert_eq!(f.store.campaign_messages_queued().unwrap(), 1);
    // Two more campaign messages are already waiting (as when a SIM counted
    // free went away) before the code is accepted.
    assert_eq!(feed(&f.store, &rules(), 2, start).unwrap().queued, 2);
    f.store.enqueue(&transactional("+4917012345678"), start).unwrap();
    f.dispatcher.wake();
    f.quiet().await;
    f.settle().await;
    let order: Vec<&str> = f.sent.iter().map(|(_, e)| e.recipient.as_str()).collect();
    assert_eq!(order.len(), 7);
    assert_eq!(order[1], "+4917012345678", "the code went next: {order:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_campaigns_share_the_sims_evenly() {
    let start = ms("2026-12-01T12:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let a: Vec<String> = (1..=6).map(|i| format!("+49151234{i:05}")).collect();
    let b: Vec<String> = (1..=6).map(|i| format!("+49152234{i:05}")).collect();
    for p in a.iter().chain(&b) {
        contact(&store, p, "Ann", "UTC");
    }
    let ra: Vec<&str> = a.iter().map(String::as_str).collect();
    let rb: Vec<&str> = b.iter().map(String::as_str).collect();
    // A is started first and is as large: without fairness it would go first.
    campaign(&store, "A", &ra, "Offer A", json!({}), start);
    campaign(&store, "B", &rb, "Offer B", json!({}), start);
    let mut f = fleet(store, clock, 1, 5, SimPolicy::default()).await;
    f.settle().await;
    let texts: Vec<&str> = f.sent.iter().filter_map(|(_, e)| e.text.as_deref()).collect();
    assert_eq!(texts.len(), 12);
    // Every pair of consecutive sends is one of each.
    for pair in texts.chunks(2) {
        assert_ne!(pair[0], pair[1], "not interleaved: {texts:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_per_hour_holds_and_the_next_slot_wakes_the_dispatcher() {
    let start = ms("2026-12-01T09:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=7).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    campaign(
        &store,
        "slow",
        &refs,
        "Slowly",
        json!({"rate_per_hour": 3}),
        start,
    );
    let mut f = fleet(store, clock, 4, 5, SimPolicy::default()).await;
    f.run_until(start + 5 * HOUR).await;
    // A pace, not a burst: 3 an hour is one every 20 minutes, each slot
    // waking the dispatcher.
    let times: Vec<i64> = f.sent.iter().map(|(t, _)| *t).collect();
    let expected: Vec<i64> = (0..7).map(|i| start + i * HOUR / 3).collect();
    assert_eq!(times, expected);
}

#[tokio::test]
async fn pause_takes_back_queued_messages_resume_goes_on_and_cancel_ends_the_rest() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=4).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let id = campaign(&store, "p", &refs, "Offer", json!({}), start);
    let r = rules();
    assert_eq!(feed(&store, &r, 2, start).unwrap().queued, 2);
    // One of them is handed to a modem.
    let queued = store.candidates(10).unwrap();
    assert_eq!(queued.len(), 2);
    let claimed = store
        .claim(
            queued[0].id,
            "250990000000001",
            "350000000000001",
            "/dev/sim0",
            "gw",
            start,
        )
        .unwrap();
    assert!(claimed.is_some());
    lifecycle::pause(&store, id, start + 1000).unwrap();
    assert_eq!(status(&store, id), CampaignStatus::Paused);
    // The unclaimed one is taken back; the one sending is not touched.
    assert_eq!(
        store.message(queued[1].id).unwrap().unwrap().0.status,
        Status::Cancelled
    );
    assert_eq!(
        store.message(queued[0].id).unwrap().unwrap().0.status,
        Status::Sending
    );
    let s = states(&store, id);
    assert_eq!((s.get("pending"), s.get("queued")), (Some(&3), Some(&1)), "{s:?}");
    // Paused: nothing is fed.
    assert_eq!(feed(&store, &r, 10, start + 2000).unwrap().queued, 0);
    lifecycle::resume(&store, id, start + 3000).unwrap();
    assert_eq!(status(&store, id), CampaignStatus::Running);
    assert_eq!(feed(&store, &r, 1, start + 4000).unwrap().queued, 1);
    let again = store.candidates(10).unwrap();
    assert_eq!(again.len(), 1);
    lifecycle::cancel(&store, id, start + 5000).unwrap();
    assert_eq!(
        store.message(again[0].id).unwrap().unwrap().0.status,
        Status::Cancelled
    );
    let s = states(&store, id);
    assert_eq!(s.get("cancelled:cancelled"), Some(&3), "{s:?}");
    assert_eq!(s.get("queued"), Some(&1), "the one sent stays: {s:?}");
    assert_eq!(status(&store, id), CampaignStatus::Cancelled);
    assert_eq!(feed(&store, &r, 10, start + 6000).unwrap(), Default::default());
}

#[tokio::test]
async fn a_campaign_message_is_taken_back_at_claim_when_its_window_closed_or_its_campaign_stopped() {
    let r = rules();
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    contact(&store, "+4915123400002", "Bob", "UTC");
    // Queued at 19:59:30 UTC, claimed after 20:00: it waits for tomorrow.
    let at = ms("2026-12-01T19:59:30Z");
    let id = campaign(
        &store,
        "late",
        &["+4915123400001"],
        "Offer",
        json!({"deadline": "2026-12-03T00:00:00Z"}),
        at,
    );
    assert_eq!(feed(&store, &r, 1, at).unwrap().queued, 1);
    let m = store.candidates(1).unwrap()[0].id;
    let late = at + 31_000;
    assert!(
        store
            .claim(m, "250990000000001", "350000000000001", "/dev/sim0", "gw", late)
            .unwrap()
            .is_none()
    );
    let (row, events) = store.message(m).unwrap().unwrap();
    assert_eq!(row.status, Status::Cancelled);
    assert!(
        events
            .last()
            .unwrap()
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("window closed")),
        "{:?}",
        events.last()
    );
    assert_eq!(states(&store, id).get("pending"), Some(&1));
    // Fed again only when the window reopens, which is when it wakes.
    let fed = feed(&store, &r, 1, late).unwrap();
    assert_eq!((fed.queued, fed.next_at), (0, Some(ms("2026-12-02T09:00:00Z"))));
    assert_eq!(feed(&store, &r, 1, ms("2026-12-02T09:00:00Z")).unwrap().queued, 1);

    // A queued message whose campaign stopped (a pause racing the round) does not go.
    let noon = ms("2026-12-01T12:00:00Z");
    let other = campaign(&store, "race", &["+4915123400002"], "Offer", json!({}), noon);
    assert_eq!(feed(&store, &r, 1, noon).unwrap().queued, 1);
    let m2 = store
        .candidates(10)
        .unwrap()
        .into_iter()
        .find(|c| c.recipient == "+4915123400002")
        .unwrap()
        .id;
    store
        .move_campaign(
            other,
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
            None,
            noon,
        )
        .unwrap();
    let req = ClaimRequest {
        id: m2,
        imsi: "250990000000001",
        imei: "350000000000001",
        port: "/dev/sim0",
    };
    assert_eq!(store.claim_many(&[req], "gw", noon).unwrap(), vec![None]);
    assert_eq!(store.message(m2).unwrap().unwrap().0.status, Status::Cancelled);
    assert_eq!(states(&store, other).get("pending"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_the_store_mid_campaign_sends_nothing_twice_and_skips_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("simfleet.db");
    let start = ms("2026-12-01T12:00:00Z");
    let phones: Vec<String> = (1..=8).map(|i| format!("+49151234{i:05}")).collect();
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let (id, in_flight) = {
        // The process dies with one campaign message handed to a modem
        // (it may have gone) and two more queued: no drain, no cleanup.
        let store = Store::open(&path).unwrap();
        for p in &phones {
            contact(&store, p, "Ann", "UTC");
        }
        let id = campaign(&store, "crash", &refs, "Offer", json!({}), start);
        assert_eq!(feed(&store, &rules(), 3, start).unwrap().queued, 3);
        let first = store.candidates(1).unwrap().remove(0);
        store
            .claim(
                first.id,
                "250990000000001",
                "350000000000001",
                "/dev/sim0",
                "gw",
                start,
            )
            .unwrap()
            .unwrap();
        (id, first.recipient)
    };
    let store = Store::open(&path).unwrap();
    store.recover(start + 1000).unwrap();
    let clock = Arc::new(ManualClock::at(start + 1000));
    let mut f = fleet(store, clock, 2, 5, SimPolicy::default()).await;
    f.settle().await;
    let mut got: Vec<String> = f.sent.iter().map(|(_, e)| e.recipient.clone()).collect();
    got.sort();
    let want: Vec<String> = phones.iter().filter(|p| **p != in_flight).cloned().collect();
    // Every other recipient exactly once; the one in flight never again
    // (it is `unknown`: it may have reached the network).
    assert_eq!(got, want);
    let s = states(&f.store, id);
    assert_eq!(s.get("queued"), Some(&8), "nobody skipped: {s:?}");
    assert_eq!(status(&f.store, id), CampaignStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_active_campaign_the_dispatcher_does_not_wake_for_campaigns() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    assert_eq!(feed(&store, &rules(), 4, start).unwrap(), Default::default());
    // A finished campaign leaves nothing to wake for either.
    contact(&store, "+4915123400001", "Ann", "UTC");
    let id = campaign(&store, "done", &["+4915123400001"], "Offer", json!({}), start);
    let clock = Arc::new(ManualClock::at(start));
    let mut f = fleet(store, clock, 1, 5, SimPolicy::default()).await;
    assert_eq!(f.settle().await, None, "it sleeps until woken");
    assert_eq!(status(&f.store, id), CampaignStatus::Completed);
    assert_eq!(f.sent.len(), 1);
}

#[tokio::test]
async fn feeding_skips_with_the_reason_who_opted_out_since_the_start_or_whose_text_does_not_render() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    contact(&store, "+4915123400002", "Bob", "UTC");
    // No name: "{{ name }}" cannot be rendered for her.
    let ch = ContactChanges {
        time_zone: Some(Some("UTC".into())),
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            evidence: Some("web form".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    store
        .write(1, |tx| tx.upsert_contact("+4915123400003", &ch, None))
        .unwrap();
    let id = campaign(
        &store,
        "names",
        &["+4915123400001", "+4915123400002", "+4915123400003"],
        "Hi {{ name }}",
        json!({}),
        start,
    );
    // Bob opts out after the audience was fixed.
    store
        .write(start, |tx| {
            tx.add_optout(&NewOptOut {
                number: "+4915123400002",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
    assert_eq!(feed(&store, &rules(), 10, start).unwrap().queued, 1);
    let s = states(&store, id);
    assert_eq!(s.get("queued"), Some(&1), "{s:?}");
    assert_eq!(s.get("skipped:opted_out"), Some(&1), "{s:?}");
    assert_eq!(s.get("skipped:render_failed"), Some(&1), "{s:?}");
    let queued = store.candidates(10).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].recipient, "+4915123400001");
}

#[tokio::test]
async fn the_rest_of_an_ab_test_waits_for_the_winner() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=20).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let mut req = json!({
        "name": "ab",
        "audience": {"contacts": refs},
        "variants": [{"name": "A", "text": "Offer A"}, {"name": "B", "text": "Offer B"}],
        "ab_test": {"test_share": 0.5, "decide_after": "1h", "metric": "reply"},
    });
    req["status_report"] = json!(false);
    let input: CampaignInput = serde_json::from_value(req).unwrap();
    let row = store.create_campaign(&input.check().unwrap(), start).unwrap();
    lifecycle::start(&store, row.id, &rules(), start).unwrap();
    let before = states(&store, row.id);
    let pending = before.get("pending").copied().unwrap_or(0);
    let fed = feed(&store, &rules(), 100, start).unwrap();
    let after = states(&store, row.id);
    let waiting = after.get("pending").copied().unwrap_or(0);
    assert!(fed.queued > 0 && waiting > 0, "{after:?}");
    assert_eq!(fed.queued as u64 + waiting, pending);
    // Those who wait are exactly the rest (no variant yet).
    let candidates = store.candidates(100).unwrap();
    assert_eq!(candidates.len(), fed.queued);
}

#[tokio::test]
async fn a_paused_campaign_still_expires_at_its_deadline_and_resumed_sends_nothing_stale() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    contact(&store, "+4915123400002", "Bob", "UTC");
    let id = campaign(
        &store,
        "flash",
        &["+4915123400001", "+4915123400002"],
        "Flash sale",
        json!({"deadline": "2026-12-01T14:00:00Z"}),
        start,
    );
    let r = rules();
    lifecycle::pause(&store, id, start).unwrap();
    // Paused, it still wakes for its deadline.
    let fed = feed(&store, &r, 10, start).unwrap();
    assert_eq!((fed.queued, fed.next_at), (0, Some(ms("2026-12-01T14:00:00Z"))));
    feed(&store, &r, 10, ms("2026-12-01T14:00:00Z")).unwrap();
    assert_eq!(states(&store, id).get("expired:deadline"), Some(&2));
    lifecycle::resume(&store, id, ms("2026-12-02T09:00:00Z")).unwrap();
    let fed = feed(&store, &r, 10, ms("2026-12-02T09:00:00Z")).unwrap();
    assert_eq!(fed, Default::default());
    assert_eq!(status(&store, id), CampaignStatus::Completed);
    assert!(store.candidates(10).unwrap().is_empty());
}

#[tokio::test]
async fn a_start_at_more_than_366_days_away_is_a_timing_error() {
    let now = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    let input: CampaignInput = serde_json::from_value(json!({
        "name": "far",
        "audience": {"contacts": ["+4915123400001"]},
        "variants": [{"text": "Hello"}],
        "start_at": "2028-01-01T12:00:00Z",
    }))
    .unwrap();
    let row = store.create_campaign(&input.check().unwrap(), now).unwrap();
    let e = lifecycle::start(&store, row.id, &rules(), now).unwrap_err();
    assert!(
        matches!(&e, simfleet::campaigns::start::StartError::Timing(m) if m.contains("366 days")),
        "{e:?}"
    );
    assert_eq!(status(&store, row.id), CampaignStatus::Draft);
}

#[tokio::test]
async fn a_recipient_deferred_by_the_cap_says_why_until_queued() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    let long = json!({"deadline": "2026-12-04T12:00:00Z"});
    let a = campaign(&store, "A", &["+4915123400001"], "First", long.clone(), start);
    assert_eq!(feed(&store, &rules(), 10, start).unwrap().queued, 1);
    let b = campaign(&store, "B", &["+4915123400001"], "Second", long, start);
    assert_eq!(feed(&store, &rules(), 10, start).unwrap().queued, 0);
    let rows = store.campaign_recipients_page(b, 0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "pending");
    assert_eq!(rows[0].reason, None, "a deferral is not an exclusion");
    assert_eq!(
        rows[0].reason_text.as_deref(),
        Some("over the frequency cap (1 in 24 h, 4 in 7 days) until 2026-12-02 12:00 UTC")
    );
    // A day later the second is queued and the reason is gone.
    let later = start + 24 * HOUR;
    assert_eq!(feed(&store, &rules(), 10, later).unwrap().queued, 1);
    let rows = store.campaign_recipients_page(b, 0, 10).unwrap();
    assert_eq!(rows[0].state, "queued");
    assert_eq!(rows[0].reason_text, None);
    let _ = a;
}

/// Creates `name` to `phones` with two 50/50 variants and `extra`, and
/// starts it at `now`.
fn ab_campaign(
    store: &Store,
    phones: &[&str],
    extra: Value,
    now: i64,
) -> Result<i64, simfleet::campaigns::start::StartError> {
    let mut req = json!({
        "name": "ab",
        "audience": {"contacts": phones},
        "variants": [{"name": "A", "text": "Offer A"}, {"name": "B", "text": "Offer B"}],
        "status_report": false,
    });
    if let (Some(r), Value::Object(e)) = (req.as_object_mut(), extra) {
        r.extend(e);
    }
    let input: CampaignInput = serde_json::from_value(req).unwrap();
    let row = store.create_campaign(&input.check().unwrap(), now).unwrap();
    lifecycle::start(store, row.id, &rules(), now).map(|_| row.id)
}

#[tokio::test]
async fn a_small_ab_test_share_splits_exactly_by_weight() {
    // 30 recipients, test share 0.2: exactly 6 test the variants, 3 each,
    // in every campaign (each draws differently); without an A/B test the
    // whole audience splits 15/15.
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=30).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    for round in 0..20 {
        let ab = json!({"ab_test": {"test_share": 0.2, "decide_after": "1h", "metric": "reply"}});
        let (extra, phase, each) = if round % 2 == 0 {
            (ab, "test", 3)
        } else {
            (json!({}), "all", 15)
        };
        let id = ab_campaign(&store, &refs, extra, start).unwrap();
        let rows = store.campaign_recipients_page(id, 0, 100).unwrap();
        let count = |v: &str| {
            rows.iter()
                .filter(|r| r.phase == phase && r.variant.as_deref() == Some(v))
                .count()
        };
        assert_eq!((count("A"), count("B")), (each, each), "campaign {id} ({phase})");
    }
}

#[tokio::test]
async fn a_test_share_smaller_than_the_variants_refuses_the_start() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    let phones: Vec<String> = (1..=10).map(|i| format!("+49151234{i:05}")).collect();
    for p in &phones {
        contact(&store, p, "Ann", "UTC");
    }
    let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let e = ab_campaign(
        &store,
        &refs,
        json!({"ab_test": {"test_share": 0.1, "decide_after": "1h", "metric": "reply"}}),
        start,
    )
    .unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(e, simfleet::campaigns::start::StartError::Audience(_))
            && m.contains("test share of 1 recipient")
            && m.contains("cannot test 2 variants")
            && m.contains("raise ab_test.test_share or drop ab_test"),
        "{m}"
    );
}

/// A contact who opted in, with no name and no attributes.
fn bare_contact(store: &Store, phone: &str) {
    let ch = ContactChanges {
        time_zone: Some(Some("UTC".into())),
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            evidence: Some("web form".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    store.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap();
}

#[tokio::test]
async fn a_start_whose_variant_renders_for_nobody_is_refused_and_partial_failures_are_counted() {
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    contact(&store, "+4915123400002", "Bob", "UTC");
    bare_contact(&store, "+4915123400003");
    let phones = ["+4915123400001", "+4915123400002", "+4915123400003"];
    let create = |text: &str| {
        let input: CampaignInput = serde_json::from_value(json!({
            "name": "shoes",
            "audience": {"contacts": phones},
            "variants": [{"name": "A", "text": text}],
        }))
        .unwrap();
        store.create_campaign(&input.check().unwrap(), start).unwrap().id
    };
    let id = create("Your size {{ attributes.shoe_size }} is back");
    let e = lifecycle::start(&store, id, &rules(), start).unwrap_err();
    let m = e.to_string();
    assert!(
        matches!(e, simfleet::campaigns::start::StartError::RenderFailed { .. })
            && m.contains("variant \"A\"")
            && m.contains("attributes.shoe_size is missing"),
        "{m}"
    );
    assert_eq!(status(&store, id), CampaignStatus::Draft);
    // One of three has no name: it starts and says one will be skipped.
    let id = create("Hi {{ name }}");
    let row = lifecycle::start(&store, id, &rules(), start).unwrap();
    let reason = row.status_reason.unwrap_or_default();
    assert!(
        reason.contains("1 recipient will be skipped") && reason.contains("name is missing"),
        "{reason}"
    );
    assert_eq!(states(&store, id).get("pending"), Some(&3));
}

#[tokio::test]
async fn a_campaign_cap_giving_only_per_24h_takes_the_weekly_default() {
    // {"per_24h": 2}: two a day for this contact; the weekly 4 stays.
    let start = ms("2026-12-01T12:00:00Z");
    let store = Store::open_in_memory().unwrap();
    contact(&store, "+4915123400001", "Ann", "UTC");
    let cap = json!({"frequency_cap": {"per_24h": 2}, "deadline": "2026-12-04T12:00:00Z"});
    for name in ["one", "two", "three"] {
        campaign(&store, name, &["+4915123400001"], name, cap.clone(), start);
    }
    assert_eq!(feed(&store, &rules(), 10, start).unwrap().queued, 2);
    let queued = store.candidates(10).unwrap();
    assert_eq!(queued.len(), 2);
}
