//! Automations with the real store, the real dispatcher and simulated
//! modems in process, on an injected clock: a cart reminder cancelled by
//! an order, another sent 3 h later inside the recipient's window, a
//! birthday greeting once on the day at 10:00 local across a restart, a
//! sequence left on a reply and on an opt-out, a service message outside
//! the window but never to an opted-out number, idempotent events — all
//! checked against the simulator's ledger.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::DateTime;
use chrono_tz::Tz;
use common::clocked::Fleet;
use serde_json::{Value, json};
use simfleet::automations::{AutomationInput, AutomationRules};
use simfleet::contacts::model::AttrValue;
use simfleet::contacts::{Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{DispatchConfig, ManualClock, SimPolicy};
use simfleet::sim::modem::Ledger;
use simfleet::store::{EventError, NewEvent, NewInbound, NewOptOut, OptOutSource, Status, Store};

const HOUR: i64 = 3_600_000;
const BERLIN: &str = "Europe/Berlin";

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn local(at: i64, zone: &str) -> String {
    let tz: Tz = zone.parse().unwrap();
    DateTime::from_timestamp_millis(at)
        .unwrap()
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A contact who opted in, in `zone`, with date attributes.
fn contact(store: &Store, phone: &str, zone: &str, dates: &[(&str, &str)]) {
    let mut attributes = BTreeMap::new();
    for (k, v) in dates {
        let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").unwrap();
        attributes.insert(k.to_string(), Some(AttrValue::Date(d)));
    }
    let ch = ContactChanges {
        name: Some(Some("Ana".into())),
        time_zone: Some(Some(zone.into())),
        attributes,
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            evidence: Some("web form".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    store.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap();
}

fn automation(store: &Store, req: Value, now: i64) -> i64 {
    let input: AutomationInput = serde_json::from_value(req).unwrap();
    store.create_automation(&input.check().unwrap(), now).unwrap().id
}

fn event(
    store: &Store,
    phone: &str,
    name: &str,
    data: Value,
    key: Option<&str>,
    now: i64,
) -> Result<simfleet::automations::model::EventAnswer, EventError> {
    store.record_event(
        &NewEvent {
            phone: phone.into(),
            event: name.into(),
            data: data.clone(),
            idempotency_key: key.map(String::from),
            request_hash: format!("{phone}/{name}/{data}"),
        },
        now,
    )
}

fn run_states(store: &Store, id: i64) -> BTreeMap<String, u64> {
    let f = store.automation_figures(id, 7).unwrap();
    let mut out = BTreeMap::new();
    for (prefix, map) in [
        ("cancelled", &f.cancelled),
        ("exited", &f.exited),
        ("excluded", &f.excluded),
        ("expired", &f.expired),
    ] {
        for (k, v) in map {
            out.insert(format!("{prefix}:{k}"), *v);
        }
    }
    if f.waiting > 0 {
        out.insert("waiting".into(), f.waiting);
    }
    out
}

async fn fleet(store: Store, clock: Arc<ManualClock>, ledger: Arc<Ledger>, rules: AutomationRules) -> Fleet {
    let config = DispatchConfig {
        automations: rules,
        ..DispatchConfig::default()
    };
    common::clocked::start(store, clock, ledger, config, 1, 1, SimPolicy::default()).await
}

impl Fleet {
    /// (local time, text) of what `phone` got.
    fn got(&self, phone: &str, zone: &str) -> Vec<(String, String)> {
        self.sent
            .iter()
            .filter(|(_, e)| e.recipient == phone)
            .map(|(t, e)| (local(*t, zone), e.text.clone().unwrap_or_default()))
            .collect()
    }
}

fn cart() -> Value {
    json!({"name": "abandoned cart", "on": "cart_abandoned", "delay": "3h",
           "text": "Your {{ event.item }} is still in the cart", "cancel_on": ["order_placed"],
           "kind": "marketing", "status_report": false})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_reminder_is_cancelled_by_an_order_placed_before_it_leaves() {
    let store = Store::open_in_memory().unwrap();
    // 10:00 in Berlin (UTC+1 in December).
    let start = ms("2026-12-01T09:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
    let id = automation(&store, cart(), start);
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        Arc::new(Ledger::default()),
        AutomationRules::default(),
    )
    .await;
    let a = event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        None,
        start,
    )
    .unwrap();
    assert_eq!(a.scheduled.len(), 1);
    f.run_until(start + HOUR).await;
    let o = event(&store, "+4915123400001", "order_placed", json!({}), None, f.now()).unwrap();
    assert_eq!(o.cancelled.len(), 1, "{o:?}");
    assert_eq!(o.cancelled[0].automation_id, id);
    assert_eq!(o.cancelled[0].reason, "cancel_event");
    f.dispatcher.automations_changed();
    f.run_until(start + 6 * HOUR).await;
    assert!(f.got("+4915123400001", BERLIN).is_empty(), "{:?}", f.sent);
    assert_eq!(
        run_states(&store, id),
        BTreeMap::from([("cancelled:cancel_event".to_string(), 1)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_reminder_goes_3_hours_later_inside_the_recipients_window() {
    let store = Store::open_in_memory().unwrap();
    // 10:00 in Berlin: due 13:00, inside 09:00–20:00.
    let start = ms("2026-12-01T09:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
    contact(&store, "+4915123400002", BERLIN, &[]);
    let id = automation(&store, cart(), start);
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        Arc::new(Ledger::default()),
        AutomationRules::default(),
    )
    .await;
    event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        None,
        start,
    )
    .unwrap();
    f.dispatcher.automations_changed();
    // 18:30 in Berlin: due 21:30, after the window closes: 09:00 next day.
    let evening = ms("2026-12-01T17:30:00Z");
    f.run_until(evening).await;
    assert_eq!(
        f.got("+4915123400001", BERLIN),
        vec![(
            "2026-12-01 13:00".to_string(),
            "Your kettle is still in the cart".to_string()
        )]
    );
    event(
        &store,
        "+4915123400002",
        "cart_abandoned",
        json!({"item": "lamp"}),
        None,
        evening,
    )
    .unwrap();
    f.dispatcher.automations_changed();
    f.run_until(ms("2026-12-03T00:00:00Z")).await;
    assert_eq!(
        f.got("+4915123400002", BERLIN),
        vec![(
            "2026-12-02 09:00".to_string(),
            "Your lamp is still in the cart".to_string()
        )]
    );
    let figures = store.automation_figures(id, 7).unwrap();
    assert_eq!((figures.scheduled, figures.sent, figures.waiting), (2, 2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birthday_greeting_is_sent_once_on_the_day_at_10_local_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("simfleet.db");
    // 2027-02-28 06:00 in Vladivostok (UTC+10); born 29 February: in 2027
    // (no 29th) the greeting is on the 28th.
    let start = ms("2027-02-27T20:00:00Z");
    let zone = "Asia/Vladivostok";
    let clock = Arc::new(ManualClock::at(start));
    let ledger = Arc::new(Ledger::default());
    {
        let store = Store::open(&db).unwrap();
        contact(&store, "+79141234567", zone, &[("birthday", "1992-02-29")]);
        let id = automation(
            &store,
            json!({"name": "birthday", "on_date": "attributes.birthday", "offset_days": 0, "at": "10:00",
                   "repeat": "yearly", "text": "Happy birthday, {{ name }}!", "status_report": false}),
            start,
        );
        assert_eq!(id, 1);
        let mut f = fleet(store, clock.clone(), ledger.clone(), AutomationRules::default()).await;
        f.run_until(ms("2027-02-28T01:00:00Z")).await;
        assert_eq!(
            f.got("+79141234567", zone),
            vec![("2027-02-28 10:00".to_string(), "Happy birthday, Ana!".to_string())]
        );
    }
    // A restart the same day (the database reopened, a new dispatcher that
    // sweeps the dates again at once): nothing more, that day or the next.
    let store = Store::open(&db).unwrap();
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        ledger.clone(),
        AutomationRules::default(),
    )
    .await;
    f.run_until(ms("2027-03-02T00:00:00Z")).await;
    let all: Vec<_> = ledger
        .entries()
        .into_iter()
        .filter(|e| e.recipient == "+79141234567")
        .collect();
    assert_eq!(all.len(), 1, "{all:?}");
    // Planned once: the occurrence (its date) is the run's key, so the
    // sweeps after the restart found it already there.
    let figures = store.automation_figures(1, 7).unwrap();
    assert_eq!((figures.scheduled, figures.sent), (1, 1), "{figures:?}");
    let queued = store.status_counts().unwrap();
    assert!(
        queued.iter().all(|(s, n)| *s != Status::Queued || *n == 0),
        "{queued:?}"
    );
}

fn welcome() -> Value {
    json!({"name": "welcome", "on": "signed_up", "kind": "marketing", "status_report": false,
           "steps": [{"delay": "0s", "text": "Welcome!"}, {"delay": "1d", "text": "Day two"}, {"delay": "1d", "text": "Day three"}],
           "exit_on_reply": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_is_left_on_a_reply_and_on_an_opt_out() {
    let store = Store::open_in_memory().unwrap();
    let start = ms("2026-12-01T09:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
    contact(&store, "+4915123400002", BERLIN, &[]);
    contact(&store, "+4915123400003", BERLIN, &[]);
    let id = automation(&store, welcome(), start);
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        Arc::new(Ledger::default()),
        AutomationRules::default(),
    )
    .await;
    for p in ["+4915123400001", "+4915123400002", "+4915123400003"] {
        event(&store, p, "signed_up", json!({}), None, start).unwrap();
    }
    f.dispatcher.automations_changed();
    f.run_until(start + HOUR).await;
    // One replies, one opts out; the third stays in.
    store
        .write(f.now(), |tx| {
            tx.store_inbound(&NewInbound {
                sender: "+4915123400001".into(),
                text: Some("thanks, who is this?".into()),
                received_at: start + HOUR,
                modem_imei: None,
                sim_imsi: None,
                pdu: String::new(),
                parts: 1,
                incomplete: false,
                error: None,
            })
        })
        .unwrap();
    store
        .write(f.now(), |tx| {
            tx.add_optout(&NewOptOut {
                number: "+4915123400002",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
    f.run_until(start + 3 * 24 * HOUR).await;
    let texts = |p: &str| f.got(p, BERLIN).into_iter().map(|(_, t)| t).collect::<Vec<_>>();
    assert_eq!(texts("+4915123400001"), vec!["Welcome!"]);
    assert_eq!(texts("+4915123400002"), vec!["Welcome!"]);
    assert_eq!(texts("+4915123400003"), vec!["Welcome!", "Day two", "Day three"]);
    // Each leaver's two later steps ended with the reason.
    assert_eq!(
        run_states(&store, id),
        BTreeMap::from([
            ("exited:replied".to_string(), 2),
            ("exited:opted_out".to_string(), 2)
        ])
    );
    // Having finished, a new sign-up enters again.
    let again = event(&store, "+4915123400003", "signed_up", json!({}), None, f.now()).unwrap();
    assert_eq!(again.scheduled.len(), 3, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_is_left_on_conversion() {
    let store = Store::open_in_memory().unwrap();
    let start = ms("2026-12-01T09:00:00Z");
    contact(&store, "+4915123400001", BERLIN, &[]);
    let id = automation(&store, welcome(), start);
    event(&store, "+4915123400001", "signed_up", json!({}), None, start).unwrap();
    let again = event(&store, "+4915123400001", "signed_up", json!({}), None, start + 1).unwrap();
    assert_eq!(again.not_scheduled[0].reason, "already_in_sequence");
    let c = event(
        &store,
        "+4915123400001",
        "converted",
        json!({"code": "X7K2"}),
        None,
        start + 2,
    )
    .unwrap();
    assert_eq!(
        (c.cancelled[0].runs, c.cancelled[0].reason.as_str()),
        (3, "converted")
    );
    assert_eq!(
        run_states(&store, id),
        BTreeMap::from([("exited:converted".to_string(), 3)]),
        "labelled by what happened"
    );
    // Another exit_on event is named as such.
    let mut spec = welcome();
    spec["exit_on"] = json!(["converted", "unsubscribed_web"]);
    let other = automation(&store, spec, start + 3);
    event(&store, "+4915123400001", "signed_up", json!({}), None, start + 4).unwrap();
    let u = event(
        &store,
        "+4915123400001",
        "unsubscribed_web",
        json!({}),
        None,
        start + 5,
    )
    .unwrap();
    assert!(
        u.cancelled.iter().any(|c| c.reason == "event:unsubscribed_web"),
        "{u:?}"
    );
    assert_eq!(
        run_states(&store, other),
        BTreeMap::from([("exited:event:unsubscribed_web".to_string(), 3)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_message_skips_the_window_when_configured_but_never_reaches_an_opted_out_number() {
    let store = Store::open_in_memory().unwrap();
    // 23:00 in Berlin, outside 09:00–20:00.
    let start = ms("2026-12-01T22:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
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
    let id = automation(
        &store,
        json!({"name": "shipped", "on": "order_shipped", "kind": "service", "status_report": false,
               "text": "Order {{ event.order_id }} is on its way"}),
        start,
    );
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        Arc::new(Ledger::default()),
        AutomationRules::default(),
    )
    .await;
    event(
        &store,
        "+4915123400001",
        "order_shipped",
        json!({"order_id": 1042}),
        None,
        start,
    )
    .unwrap();
    // A number no contact has still gets a service message.
    event(
        &store,
        "+4915123400003",
        "order_shipped",
        json!({"order_id": 1043}),
        None,
        start,
    )
    .unwrap();
    event(
        &store,
        "+4915123400002",
        "order_shipped",
        json!({"order_id": 1044}),
        None,
        start,
    )
    .unwrap();
    f.dispatcher.automations_changed();
    f.run_until(start + HOUR).await;
    assert_eq!(
        f.got("+4915123400001", BERLIN),
        vec![(
            "2026-12-01 23:00".to_string(),
            "Order 1042 is on its way".to_string()
        )]
    );
    assert_eq!(f.got("+4915123400003", BERLIN).len(), 1);
    assert!(f.got("+4915123400002", BERLIN).is_empty());
    assert_eq!(
        run_states(&store, id),
        BTreeMap::from([("excluded:opted_out".to_string(), 1)])
    );

    // Configured not to skip: the same event waits for 09:00.
    let store = Store::open_in_memory().unwrap();
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
    automation(
        &store,
        json!({"name": "shipped", "on": "order_shipped", "kind": "service", "status_report": false,
               "text": "Order {{ event.order_id }} is on its way"}),
        start,
    );
    let mut f = fleet(
        store.clone(),
        clock,
        Arc::new(Ledger::default()),
        AutomationRules {
            service_skips_window: false,
        },
    )
    .await;
    event(
        &store,
        "+4915123400001",
        "order_shipped",
        json!({"order_id": 1042}),
        None,
        start,
    )
    .unwrap();
    f.dispatcher.automations_changed();
    f.run_until(start + 12 * HOUR).await;
    assert_eq!(f.got("+4915123400001", BERLIN)[0].0, "2026-12-02 09:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketing_automation_needs_consent_and_a_paused_one_sends_nothing_until_resumed() {
    let store = Store::open_in_memory().unwrap();
    let start = ms("2026-12-01T09:00:00Z");
    let clock = Arc::new(ManualClock::at(start));
    contact(&store, "+4915123400001", BERLIN, &[]);
    let id = automation(&store, cart(), start);
    let mut f = fleet(
        store.clone(),
        clock.clone(),
        Arc::new(Ledger::default()),
        AutomationRules::default(),
    )
    .await;
    // No contact, no consent: excluded with the reason.
    event(
        &store,
        "+4915123400009",
        "cart_abandoned",
        json!({"item": "x"}),
        None,
        start,
    )
    .unwrap();
    event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        None,
        start,
    )
    .unwrap();
    store
        .set_automation_status(id, "active", "paused", start)
        .unwrap();
    // While paused, events do not start it, and say so.
    let p = event(
        &store,
        "+4915123400002",
        "cart_abandoned",
        json!({"item": "y"}),
        None,
        start,
    )
    .unwrap();
    assert_eq!(p.not_scheduled[0].reason, "paused", "{p:?}");
    f.dispatcher.automations_changed();
    f.run_until(start + 5 * HOUR).await;
    assert!(f.sent.is_empty());
    store
        .set_automation_status(id, "paused", "active", f.now())
        .unwrap();
    f.dispatcher.automations_changed();
    f.run_until(start + 6 * HOUR).await;
    assert_eq!(
        f.got("+4915123400001", BERLIN),
        vec![(
            "2026-12-01 15:00".to_string(),
            "Your kettle is still in the cart".to_string()
        )]
    );
    assert!(f.got("+4915123400009", BERLIN).is_empty());
    assert_eq!(
        run_states(&store, id),
        BTreeMap::from([("excluded:no_consent".to_string(), 1)])
    );
}

#[test]
fn the_same_event_posted_twice_with_its_key_schedules_once() {
    let store = Store::open_in_memory().unwrap();
    let start = ms("2026-12-01T09:00:00Z");
    contact(&store, "+4915123400001", BERLIN, &[]);
    let id = automation(&store, cart(), start);
    let first = event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        Some("cart-77"),
        start,
    )
    .unwrap();
    let again = event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        Some("cart-77"),
        start + 5,
    )
    .unwrap();
    assert_eq!(first, again);
    assert_eq!(store.automation_figures(id, 7).unwrap().scheduled, 1);
    let other = event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "lamp"}),
        Some("cart-77"),
        start + 6,
    );
    assert!(matches!(other, Err(EventError::Conflict(_))), "{other:?}");
    // Without a key a new event replaces the earlier reminder (superseded).
    let newer = event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "lamp"}),
        None,
        start + 7,
    )
    .unwrap();
    assert_eq!(newer.cancelled[0].reason, "superseded");
}

/// One feeding round without SIMs: what the dispatcher does before a SIM takes the message.
fn feed_once(store: &Store, now: i64) -> Option<i64> {
    let campaigns = simfleet::campaigns::CampaignRules::defaults(simfleet::phone::Region::default());
    simfleet::automations::feed::feed(store, &campaigns, &AutomationRules::default(), now).unwrap()
}

#[test]
fn an_order_placed_after_the_reminder_was_queued_but_before_a_sim_took_it_cancels_the_message() {
    let store = Store::open_in_memory().unwrap();
    let start = ms("2026-12-01T09:00:00Z");
    contact(&store, "+4915123400001", BERLIN, &[]);
    let mut req = cart();
    req["delay"] = json!("0s");
    let id = automation(&store, req, start);
    event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        None,
        start,
    )
    .unwrap();
    feed_once(&store, start);
    assert_eq!(store.automation_figures(id, 7).unwrap().queued, 1);
    let o = event(
        &store,
        "+4915123400001",
        "order_placed",
        json!({}),
        None,
        start + 1000,
    )
    .unwrap();
    assert_eq!(o.cancelled[0].runs, 1, "{o:?}");
    let counts = store.status_counts().unwrap();
    assert!(counts.contains(&(Status::Cancelled, 1)), "{counts:?}");
    assert!(
        !counts.iter().any(|(s, n)| *s == Status::Queued && *n > 0),
        "{counts:?}"
    );
}

#[test]
fn a_capped_marketing_send_waits_until_the_cap_frees() {
    let store = Store::open_in_memory().unwrap();
    // 10:00 in Berlin; a campaign-style marketing message went at 09:30.
    let start = ms("2026-12-01T09:00:00Z");
    contact(&store, "+4915123400001", BERLIN, &[]);
    let earlier = simfleet::store::NewMessage {
        recipient: simfleet::phone::Msisdn::from_canonical("+4915123400001"),
        text: "Sale".into(),
        encoding: simfleet::sms::Encoding::Gsm7,
        segments: 1,
        status_report: false,
        send_at: None,
        expires_at: None,
        kind: None,
        category: simfleet::store::Category::Marketing,
        idempotency_key: None,
        request_hash: String::new(),
    };
    store.enqueue(&earlier, start - HOUR / 2).unwrap();
    let mut req = cart();
    req["delay"] = json!("0s");
    let id = automation(&store, req, start);
    event(
        &store,
        "+4915123400001",
        "cart_abandoned",
        json!({"item": "kettle"}),
        None,
        start,
    )
    .unwrap();
    // The default cap (1 in 24 h) holds it until 24 h after the earlier one.
    let next = feed_once(&store, start);
    assert_eq!(next, Some(start - HOUR / 2 + 24 * HOUR));
    let f = store.automation_figures(id, 7).unwrap();
    assert_eq!((f.waiting, f.queued), (1, 0), "{f:?}");
}
