//! A campaign's figures, attribution and A/B decision through the real
//! store: campaigns are created and started by `campaigns::lifecycle`, their
//! messages materialised as the engine does (enqueue, then the message
//! tagged with its campaign and lane and the recipient linked), sent,
//! reported and answered through the store's and the inbound path's own
//! functions (real PDUs into `inbound::receive`). Every figure is checked
//! against a count kept by hand.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use simfleet::campaigns::metrics::{self, Figures};
use simfleet::campaigns::{CampaignInput, CampaignRules, CampaignStatus, ab_test, lifecycle};
use simfleet::contacts::{AttrValue, Consent, ConsentStatus, ContactChanges};
use simfleet::inbound::receive::{Pdu, Received, flush_stale_attributing, receive};
use simfleet::inbound::replies::ReplyRules;
use simfleet::phone::Msisdn;
use simfleet::sms::{self, Address, SplitOptions, StatusCategory};
use simfleet::store::{
    Category, CountMode, GroupBy, NewMessage, NewOptOut, NewSurvey, OptOutSource, PartSent, ReportIn, Store,
};

/// A name Prometheus must escape.
const NAME: &str = r#"Black "Friday" \ sale"#;
const SIM_A: &str = "250010000000001";
const SIM_B: &str = "250010000000002";
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// 2026-12-01T09:00:00Z.
const T0: i64 = 1_796_115_600_000;

struct World {
    store: Store,
    raw: Connection,
    rules: CampaignRules,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    raw.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let mut rules = CampaignRules::defaults("RU".parse().unwrap());
    rules.per_segment = "0.05".parse().unwrap();
    rules.currency = "EUR".into();
    World {
        store,
        raw,
        rules,
        _dir: dir,
    }
}

fn phone(prefix: u32, i: usize) -> String {
    format!("+7916{prefix:03}{i:04}")
}

fn contact(w: &World, phone: &str, opted_in: bool, city: Option<&str>, tags: &[&str]) {
    let mut changes = ContactChanges {
        tags: Some(tags.iter().map(|t| t.to_string()).collect()),
        ..Default::default()
    };
    if opted_in {
        changes.consent = Some(Consent {
            status: ConsentStatus::OptedIn,
            at: Some(T0 - DAY),
            source: Some("web form".into()),
            evidence: None,
        });
    }
    if let Some(city) = city {
        changes
            .attributes
            .insert("city".into(), Some(AttrValue::String(city.into())));
    }
    w.store
        .write(T0 - DAY, |tx| tx.upsert_contact(phone, &changes, None))
        .unwrap();
}

/// Creates and starts a campaign to `phones`; moves it to running as the
/// engine does when its start comes.
fn campaign(w: &World, name: &str, phones: &[String], extra: Value) -> i64 {
    let mut v = json!({"name": name, "audience": {"contacts": phones},
        "variants": [{"name": "A", "text": "Sale -20% today"}, {"name": "B", "text": "Only today: -20%"}]});
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    let input: CampaignInput = serde_json::from_value(v).unwrap();
    let spec = input.check().unwrap();
    let row = w.store.create_campaign(&spec, T0).unwrap();
    lifecycle::start(&w.store, row.id, &w.rules, T0).unwrap();
    w.store
        .move_campaign(
            row.id,
            &[CampaignStatus::Scheduled],
            CampaignStatus::Running,
            None,
            T0,
        )
        .unwrap();
    row.id
}

#[derive(Debug, Clone)]
struct Recipient {
    seq: i64,
    phone: String,
    variant: Option<String>,
    state: String,
    phase: String,
}

fn recipients(w: &World, id: i64) -> Vec<Recipient> {
    let mut stmt = w
        .raw
        .prepare("SELECT seq, phone, variant, state, phase FROM campaign_recipients WHERE campaign_id = ?1 ORDER BY seq")
        .unwrap();
    stmt.query_map([id], |r| {
        Ok(Recipient {
            seq: r.get(0)?,
            phone: r.get(1)?,
            variant: r.get(2)?,
            state: r.get(3)?,
            phase: r.get(4)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// What the engine does for a recipient that may leave now: enqueue its
/// message and link it, in one go.
fn materialise(w: &World, id: i64, r: &Recipient, text: &str, expires_at: Option<i64>, now: i64) -> i64 {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    let out = w
        .store
        .enqueue(
            &NewMessage {
                recipient: Msisdn::from_canonical(r.phone.clone()),
                text: plan.text.clone(),
                encoding: plan.encoding,
                segments: plan.segment_count(),
                status_report: true,
                send_at: None,
                expires_at: Some(expires_at.unwrap_or(now + DAY)),
                kind: None,
                category: Category::Marketing,
                idempotency_key: None,
                request_hash: String::new(),
            },
            now,
        )
        .unwrap();
    w.raw
        .execute(
            "UPDATE messages SET campaign_id = ?1, variant = ?2, lane = 1 WHERE id = ?3",
            params![id, r.variant, out.id],
        )
        .unwrap();
    w.raw
        .execute(
            "UPDATE campaign_recipients SET state = 'queued', message_id = ?3, queued_at = ?4 WHERE campaign_id = ?1 AND seq = ?2",
            params![id, r.seq, out.id, now],
        )
        .unwrap();
    out.id
}

/// Enqueues a transactional one-part message `text` to `to`; its id.
fn transactional(w: &World, to: &str, text: &str, now: i64) -> i64 {
    w.store
        .enqueue(
            &NewMessage {
                recipient: Msisdn::from_canonical(to),
                text: text.into(),
                encoding: sms::Encoding::Gsm7,
                segments: 1,
                status_report: false,
                send_at: None,
                expires_at: None,
                kind: None,
                category: Category::Transactional,
                idempotency_key: None,
                request_hash: String::new(),
            },
            now,
        )
        .unwrap()
        .id
}

/// Claims and sends message `id` through `imsi`, its one part with TP-MR `mr`.
fn send(w: &World, id: i64, imsi: &str, mr: u8, now: i64) {
    let segments = w.store.message(id).unwrap().unwrap().0.segments;
    assert!(
        w.store
            .claim(id, imsi, "356938035643809", "/dev/sim0", "gw", now)
            .unwrap()
            .is_some(),
        "claim {id}"
    );
    for seq in 1..=segments {
        w.store
            .record_part_sent(&PartSent {
                message_id: id,
                seq,
                imsi: imsi.into(),
                concat_ref: 0,
                message_ref: Some(mr.wrapping_add(seq as u8 - 1)),
                at: now,
            })
            .unwrap();
    }
    w.store.mark_sent(id, imsi, segments, "2026-12-01", now).unwrap();
}

/// A delivery report for each part of a message sent with `mr`.
fn report(w: &World, to: &str, imsi: &str, mr: u8, parts: usize, delivered: bool, now: i64) {
    for k in 0..parts {
        w.store
            .apply_report(
                &ReportIn {
                    imsi: Some(imsi.into()),
                    message_ref: mr.wrapping_add(k as u8),
                    recipient: to.into(),
                    status_code: if delivered { 0 } else { 0x46 },
                    category: if delivered {
                        StatusCategory::Delivered
                    } else {
                        StatusCategory::Failed
                    },
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

/// A reply from `from` arriving on `imsi` at `now`, through the inbound path.
fn reply(w: &World, from: &str, imsi: &str, text: &str, now: i64) -> i64 {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    let address = Address::parse_number(from).unwrap();
    let pdu = sms::encode_deliver(None, &address, &plan, Utc::now().fixed_offset(), 1);
    let hex = sms::hex::encode_hex(&pdu[0]);
    let got = receive(
        &w.store,
        &ReplyRules::default(),
        "RU".parse().unwrap(),
        &Pdu {
            hex: &hex,
            imsi: Some(imsi),
            imei: "356938035643809",
        },
        now,
    )
    .unwrap();
    match got {
        Received::Message { inbox_id, .. } => inbox_id,
        other => panic!("{other:?}"),
    }
}

/// The figures counted by hand.
#[derive(Debug, Default, Clone, PartialEq)]
struct Hand {
    audience: u64,
    no_consent: u64,
    opted_out: u64,
    invalid: u64,
    capped: u64,
    window_missed: u64,
    pending: u64,
    queued: u64,
    sent: u64,
    delivered: u64,
    failed: u64,
    unknown: u64,
    expired: u64,
    replies: u64,
    opt_outs: u64,
    segments: u64,
    votes: BTreeMap<String, u64>,
}

fn of(f: &Figures) -> Hand {
    Hand {
        audience: f.audience,
        no_consent: f.excluded.no_consent,
        opted_out: f.excluded.opted_out,
        invalid: f.excluded.invalid,
        capped: f.excluded.capped,
        window_missed: f.excluded.window_missed,
        pending: f.pending,
        queued: f.queued,
        sent: f.sent,
        delivered: f.delivered,
        failed: f.failed,
        unknown: f.unknown,
        expired: f.expired,
        replies: f.replies,
        opt_outs: f.opt_outs,
        segments: f.segments,
        votes: f.votes.clone(),
    }
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// What happens to each recipient that is not excluded at start, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    DeliveredReplied,
    DeliveredStop,
    Delivered,
    DeliveredReplyOtherSim,
    SentReplyTooLate,
    FailedAfterSent,
    FailedBefore,
    Unknown,
    MessageExpired,
    SuppressedOptOut,
    Queued,
    Pending,
    Capped,
    WindowMissed,
    Deadline,
    LongDeliveredVoted,
}

const FATES: [Fate; 16] = [
    Fate::DeliveredReplied,
    Fate::DeliveredStop,
    Fate::Delivered,
    Fate::DeliveredReplyOtherSim,
    Fate::SentReplyTooLate,
    Fate::FailedAfterSent,
    Fate::FailedBefore,
    Fate::Unknown,
    Fate::MessageExpired,
    Fate::SuppressedOptOut,
    Fate::Queued,
    Fate::Pending,
    Fate::Capped,
    Fate::WindowMissed,
    Fate::Deadline,
    Fate::LongDeliveredVoted,
];

/// Plays `fate` for recipient `r` and adds what it should count to `h`.
fn play(w: &World, id: i64, r: &Recipient, fate: Fate, mr: u8, h: &mut Hand) {
    let t = T0 + HOUR;
    let short = "Sale -20% today";
    h.audience += 1;
    match fate {
        Fate::Pending => {
            h.pending += 1;
            return;
        }
        Fate::Capped | Fate::WindowMissed | Fate::Deadline => {
            // As the engine records them.
            let (state, reason) = match fate {
                Fate::Capped => ("skipped", "capped"),
                Fate::WindowMissed => ("expired", "window_missed"),
                _ => ("expired", "deadline"),
            };
            w.raw
                .execute(
                    "UPDATE campaign_recipients SET state = ?3, reason = ?4, reason_text = ?5 WHERE campaign_id = ?1 AND seq = ?2",
                    // Words a spreadsheet would read as a formula.
                    params![id, r.seq, state, reason, "=cmd|' /C calc'!A0"],
                )
                .unwrap();
            match fate {
                Fate::Capped => h.capped += 1,
                Fate::WindowMissed => h.window_missed += 1,
                _ => h.expired += 1,
            }
            return;
        }
        _ => {}
    }
    let long = "x".repeat(200);
    let text = if fate == Fate::LongDeliveredVoted {
        long.as_str()
    } else {
        short
    };
    let expires = (fate == Fate::MessageExpired).then_some(t + 1);
    let m = materialise(w, id, r, text, expires, t);
    match fate {
        Fate::MessageExpired => {
            assert_eq!(w.store.expire_due(t + 2).unwrap(), vec![m]);
            h.expired += 1;
        }
        Fate::SuppressedOptOut => {
            w.store
                .write(t, |tx| {
                    tx.add_optout(&NewOptOut {
                        number: &r.phone,
                        source: OptOutSource::Api,
                        keyword: None,
                        note: None,
                        inbox_id: None,
                    })
                })
                .unwrap();
            h.opted_out += 1;
        }
        Fate::Queued => h.queued += 1,
        Fate::FailedBefore => {
            w.store
                .claim(m, SIM_A, "356938035643809", "/dev/sim0", "gw", t)
                .unwrap()
                .unwrap();
            w.store
                .mark_failed(m, Some(SIM_A), "refused: unassigned number", t)
                .unwrap();
            h.failed += 1;
        }
        Fate::Unknown => {
            w.store
                .claim(m, SIM_A, "356938035643809", "/dev/sim0", "gw", t)
                .unwrap()
                .unwrap();
            w.store.mark_unknown(m, Some(SIM_A), "no answer", t).unwrap();
            h.unknown += 1;
            h.segments += 1;
        }
        _ => {
            send(w, m, SIM_A, mr, t);
            h.sent += 1;
            let parts = if fate == Fate::LongDeliveredVoted { 2 } else { 1 };
            h.segments += parts as u64;
            match fate {
                Fate::SentReplyTooLate => {
                    // Eight days later: past the 7-day window.
                    reply(w, &r.phone, SIM_A, "thanks!", t + 8 * DAY);
                }
                Fate::FailedAfterSent => {
                    report(w, &r.phone, SIM_A, mr, 1, false, t + 60_000);
                    h.failed += 1;
                }
                _ => {
                    report(w, &r.phone, SIM_A, mr, parts, true, t + 60_000);
                    h.delivered += 1;
                    match fate {
                        Fate::DeliveredReplied => {
                            reply(w, &r.phone, SIM_A, "How much is the blue one?", t + 2 * HOUR);
                            h.replies += 1;
                        }
                        Fate::DeliveredStop => {
                            // An opt-out, not a reply: it never counts for a variant.
                            reply(w, &r.phone, SIM_A, "STOP", t + 2 * HOUR);
                            h.opt_outs += 1;
                        }
                        Fate::DeliveredReplyOtherSim => {
                            // Another SIM is another number to them: not this message's reply.
                            reply(w, &r.phone, SIM_B, "yes", t + 2 * HOUR);
                        }
                        Fate::LongDeliveredVoted => {
                            // A survey asked with this very message.
                            w.store
                                .write(t, |tx| {
                                    let s = tx.create_survey(&NewSurvey {
                                        question: long.clone(),
                                        options: vec![
                                            ("1".into(), "Pizza".into()),
                                            ("2".into(), "Sushi".into()),
                                        ],
                                        count_mode: CountMode::First,
                                        invalid_reply: None,
                                        closes_at: None,
                                    })?;
                                    tx.add_survey_recipient(s, &r.phone, m)
                                })
                                .unwrap();
                            reply(w, &r.phone, SIM_A, "1", t + 3 * HOUR);
                            h.replies += 1;
                            *h.votes.entry("1".into()).or_default() += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Builds the campaign every figure test reads: 20 listed numbers, 4
/// excluded at start (a contact without consent, a number that is no
/// contact, an opted-out contact, an invalid one), 16 with a fate each
/// played twice over two variants where the split allows. Returns the
/// campaign, the hand counts overall and per variant, and the recipients.
fn built() -> (World, i64, Hand, BTreeMap<String, Hand>, Vec<Recipient>) {
    let w = world();
    let mut phones = Vec::new();
    for i in 0..16 {
        let p = phone(555, i);
        let city = if i % 2 == 0 { "Kazan" } else { "Moscow" };
        contact(&w, &p, true, Some(city), if i < 4 { &["vip"] } else { &[] });
        phones.push(p);
    }
    let no_consent = phone(555, 100);
    contact(&w, &no_consent, false, None, &[]);
    let stranger = phone(555, 101);
    let opted_out = phone(555, 102);
    contact(&w, &opted_out, true, None, &[]);
    w.store
        .write(T0 - DAY, |tx| {
            tx.add_optout(&NewOptOut {
                number: &opted_out,
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
    let invalid = phone(555, 103);
    contact(&w, &invalid, true, None, &[]);
    w.raw
        .execute(
            "UPDATE contacts SET status = 'invalid', status_reason = 'unassigned number' WHERE phone = ?1",
            [&invalid],
        )
        .unwrap();
    phones.extend([no_consent.clone(), stranger, opted_out, invalid]);
    let id = campaign(&w, NAME, &phones, json!({}));
    let all = recipients(&w, id);
    assert_eq!(all.len(), 20);
    let mut overall = Hand::default();
    let mut by_variant: BTreeMap<String, Hand> = BTreeMap::new();
    let mut fates = FATES.iter();
    for (k, r) in all.iter().enumerate() {
        let v = r.variant.clone().unwrap();
        let mut h = Hand::default();
        if r.state == "excluded" {
            h.audience = 1;
            match k {
                16 | 17 => h.no_consent = 1,
                18 => h.opted_out = 1,
                19 => h.invalid = 1,
                _ => unreachable!(),
            }
        } else {
            let fate = *fates.next().unwrap();
            play(&w, id, r, fate, 10 + 4 * k as u8, &mut h);
        }
        add(&mut overall, &h);
        add(by_variant.entry(v).or_default(), &h);
    }
    (w, id, overall, by_variant, all)
}

fn add(to: &mut Hand, h: &Hand) {
    to.audience += h.audience;
    to.no_consent += h.no_consent;
    to.opted_out += h.opted_out;
    to.invalid += h.invalid;
    to.capped += h.capped;
    to.window_missed += h.window_missed;
    to.pending += h.pending;
    to.queued += h.queued;
    to.sent += h.sent;
    to.delivered += h.delivered;
    to.failed += h.failed;
    to.unknown += h.unknown;
    to.expired += h.expired;
    to.replies += h.replies;
    to.opt_outs += h.opt_outs;
    to.segments += h.segments;
    for (k, n) in &h.votes {
        *to.votes.entry(k.clone()).or_default() += n;
    }
}

fn check(f: &Figures, h: &Hand, what: &str) {
    assert_eq!(of(f), *h, "{what}");
    assert_eq!(
        f.delivery_rate,
        ratio(h.delivered, h.sent),
        "{what} delivery rate"
    );
    assert_eq!(f.reply_rate, ratio(h.replies, h.delivered), "{what} reply rate");
    assert_eq!(
        f.opt_out_rate,
        ratio(h.opt_outs, h.delivered),
        "{what} opt-out rate"
    );
    let cost = rust_decimal::Decimal::from(h.segments) * "0.05".parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(
        f.cost.parse::<rust_decimal::Decimal>().unwrap(),
        cost,
        "{what} cost {}",
        f.cost
    );
    assert_eq!(f.currency, "EUR");
    // No tracked links or codes in these texts: none, rates over delivered.
    assert_eq!(
        (f.clicks, f.total_clicks, f.ctr, f.conversions, f.conversion_rate),
        (0, 0, ratio(0, h.delivered), 0, ratio(0, h.delivered))
    );
    assert_eq!(f.revenue, "0.00");
}

#[test]
fn every_figure_matches_the_outcomes_counted_by_hand_overall_and_per_variant() {
    let (w, id, overall, by_variant, _) = built();
    // The scenario as designed: 20 in the audience.
    assert_eq!(
        (
            overall.audience,
            overall.sent,
            overall.delivered,
            overall.replies,
            overall.opt_outs
        ),
        // Replies: two; the STOP is the one opt-out.
        (20, 7, 5, 2, 1)
    );
    assert_eq!(
        (overall.no_consent, overall.opted_out, overall.invalid),
        (2, 2, 1)
    );
    assert_eq!(
        (overall.failed, overall.unknown, overall.expired, overall.segments),
        (2, 1, 2, 9)
    );
    let f = metrics::figures(&w.store, id, &w.rules).unwrap();
    check(&f.overall, &overall, "overall");
    assert_eq!(f.overall.cost, "0.45");
    assert_eq!(f.overall.delivery_rate, Some(5.0 / 7.0));
    assert_eq!(f.overall.reply_rate, Some(2.0 / 5.0));
    assert_eq!(f.overall.opt_out_rate, Some(1.0 / 5.0));
    assert_eq!(
        f.variants.keys().collect::<Vec<_>>(),
        by_variant.keys().collect::<Vec<_>>()
    );
    assert!(by_variant.len() == 2, "both variants drawn: {by_variant:?}");
    for (v, h) in &by_variant {
        check(&f.variants[v], h, v);
    }
    // Every recipient has one outcome: the parts add up to the audience.
    let o = &f.overall;
    let e = &o.excluded;
    let failed_before = 1;
    assert_eq!(
        e.no_consent
            + e.opted_out
            + e.invalid
            + e.capped
            + e.window_missed
            + e.render_failed
            + o.pending
            + o.queued
            + o.sent
            + failed_before
            + o.unknown
            + o.expired
            + o.cancelled,
        o.audience
    );
}

#[test]
fn breakdowns_group_by_city_tag_and_zone() {
    let (w, id, overall, _, all) = built();
    let by_city = metrics::grouped(&w.store, id, &GroupBy::Attribute("city".into()), &w.rules).unwrap();
    let cities: Vec<Option<String>> = by_city.iter().map(|(g, _)| g.clone()).collect();
    assert_eq!(
        cities,
        [None, Some("Kazan".to_string()), Some("Moscow".to_string())]
    );
    // Kazan: the even ones of the 16 (8), none of the excluded.
    let kazan = &by_city[1].1;
    assert_eq!(kazan.audience, 8);
    // Fates at even places: DeliveredReplied, Delivered, SentReplyTooLate,
    // FailedBefore, MessageExpired, Queued, Capped, Deadline.
    assert_eq!(
        (
            kazan.sent,
            kazan.delivered,
            kazan.replies,
            kazan.failed,
            kazan.expired,
            kazan.queued
        ),
        (3, 2, 1, 1, 2, 1)
    );
    assert_eq!(by_city[0].1.audience, 4);
    let by_tag = metrics::grouped(&w.store, id, &GroupBy::Tag, &w.rules).unwrap();
    let vip = by_tag.iter().find(|(g, _)| g.as_deref() == Some("vip")).unwrap();
    // The first four: replied, STOP (an opt-out, not a reply), delivered,
    // replied on another SIM.
    assert_eq!(
        (vip.1.audience, vip.1.delivered, vip.1.replies, vip.1.opt_outs),
        (4, 4, 1, 1)
    );
    let by_zone = metrics::grouped(&w.store, id, &GroupBy::TimeZone, &w.rules).unwrap();
    let total: u64 = by_zone.iter().map(|(_, f)| f.audience).sum();
    assert_eq!(total, overall.audience);
    assert_eq!(all.len() as u64, overall.audience);
}

#[test]
fn hours_count_sends_reports_replies_and_opt_outs_where_they_happened() {
    let (w, id, overall, _, _) = built();
    let hours = w.store.campaign_hours(id).unwrap();
    let at = |h: i64| hours.iter().find(|r| r.hour == h).cloned().unwrap_or_default();
    // Sent and reported in T0+1h (the report a minute later), replies at +3h
    // and +4h; the late reply (8 days) is not attributed and counts nowhere.
    let h1 = at(T0 + HOUR);
    assert_eq!((h1.sent, h1.delivered), (overall.sent, overall.delivered));
    assert_eq!((at(T0 + 3 * HOUR).replies, at(T0 + 3 * HOUR).opt_outs), (1, 1));
    assert_eq!(at(T0 + 4 * HOUR).replies, 1);
    assert_eq!(hours.len(), 3, "{hours:?}");
}

#[test]
fn segment_nodes_select_who_got_and_answered_a_campaign() {
    let (w, id, _, _, all) = built();
    let ids = |filter: Value| -> Vec<String> {
        let f = w.store.parse_filter(&filter).unwrap();
        let ids = w.store.segment_contact_ids(&f, T0 + 10 * DAY, 0, 1000).unwrap();
        let mut phones: Vec<String> = w
            .store
            .contacts_by_ids(&ids)
            .unwrap()
            .into_iter()
            .map(|c| c.phone)
            .collect();
        phones.sort();
        phones
    };
    let pending: Vec<&Recipient> = all.iter().filter(|r| r.state == "pending").collect();
    let at = |places: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = places.iter().map(|&i| pending[i].phone.clone()).collect();
        v.sort();
        v
    };
    // The STOP at place 1 opted out; it did not answer.
    assert_eq!(ids(json!({"replied_to": {"campaign": id}})), at(&[0, 15]));
    assert_eq!(ids(json!({"delivered": {"campaign": id}})), at(&[0, 1, 2, 3, 15]));
    assert!(ids(json!({"clicked": {"campaign": id}})).is_empty());
    assert!(ids(json!({"redeemed": {"campaign": id}})).is_empty());
    let e = w
        .store
        .parse_filter(&json!({"replied_to": {"campaign": id + 100}}))
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("no campaign {}", id + 100)), "{e}");
}

#[test]
fn a_reply_goes_to_the_latest_campaign_message_from_its_sim_within_the_window() {
    let w = world();
    let n = phone(777, 1);
    contact(&w, &n, true, None, &[]);
    let c1 = campaign(&w, "one", std::slice::from_ref(&n), json!({}));
    let c2 = campaign(&w, "two", std::slice::from_ref(&n), json!({}));
    let c3 = campaign(&w, "three", std::slice::from_ref(&n), json!({}));
    let r = |c: i64| recipients(&w, c).remove(0);
    let first = |c: i64| -> (Option<i64>, Option<i64>, Option<i64>) {
        w.raw
            .query_row(
                "SELECT reply_id, replied_at, opted_out_at FROM campaign_recipients WHERE campaign_id = ?1",
                [c],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    // Campaign 1 from SIM A at +1h; campaign 2 from SIM B at +2h.
    let m1 = materialise(&w, c1, &r(c1), "one", None, T0 + HOUR);
    send(&w, m1, SIM_A, 1, T0 + HOUR);
    let m2 = materialise(&w, c2, &r(c2), "two", None, T0 + 2 * HOUR);
    send(&w, m2, SIM_B, 2, T0 + 2 * HOUR);
    // A transactional message from SIM A after both is no campaign's.
    let t = transactional(&w, &n, "Your code is 1234", T0 + 2 * HOUR);
    send(&w, t, SIM_A, 3, T0 + 2 * HOUR + 1);
    // A reply on SIM A: campaign 1's, although campaign 2's message is newer.
    let r1 = reply(&w, &n, SIM_A, "what shop is this?", T0 + 3 * HOUR);
    assert_eq!(first(c1), (Some(r1), Some(T0 + 3 * HOUR), None));
    assert_eq!(first(c2), (None, None, None));
    // Campaign 3 from SIM A at +4h: the next reply on SIM A is its.
    let m3 = materialise(&w, c3, &r(c3), "three", None, T0 + 4 * HOUR);
    send(&w, m3, SIM_A, 4, T0 + 4 * HOUR);
    // A STOP is its opt-out, not its reply.
    reply(&w, &n, SIM_A, "stop", T0 + 5 * HOUR);
    assert_eq!(first(c3), (None, None, Some(T0 + 5 * HOUR)));
    // Campaign 1 keeps its first reply.
    assert_eq!(first(c1), (Some(r1), Some(T0 + 3 * HOUR), None));
    // A reply on SIM B 7 days and an hour after campaign 2's message: too old.
    reply(&w, &n, SIM_B, "hello?", T0 + 2 * HOUR + 7 * DAY + HOUR);
    assert_eq!(first(c2), (None, None, None));
    // Within the window on SIM B: campaign 2's.
    let r3 = reply(&w, &n, SIM_B, "hi", T0 + 2 * HOUR + 7 * DAY - 1);
    assert_eq!(first(c2), (Some(r3), Some(T0 + 2 * HOUR + 7 * DAY - 1), None));
}

#[test]
fn a_vote_in_a_survey_another_message_asked_is_not_the_campaigns_reply() {
    let w = world();
    let n = phone(779, 1);
    contact(&w, &n, true, None, &[]);
    let c = campaign(&w, "offer", std::slice::from_ref(&n), json!({}));
    let r = recipients(&w, c).remove(0);
    let m = materialise(&w, c, &r, "offer", None, T0 + HOUR);
    send(&w, m, SIM_A, 1, T0 + HOUR);
    // Later, from the same SIM, a survey of its own asks a question.
    let q = transactional(&w, &n, "How was your visit? 1 good, 2 bad", T0 + 2 * HOUR);
    send(&w, q, SIM_A, 2, T0 + 2 * HOUR);
    let survey = w
        .store
        .write(T0 + 2 * HOUR, |tx| {
            let s = tx.create_survey(&NewSurvey {
                question: "How was your visit?".into(),
                options: vec![("1".into(), "Good".into()), ("2".into(), "Bad".into())],
                count_mode: CountMode::First,
                invalid_reply: None,
                closes_at: None,
            })?;
            tx.add_survey_recipient(s, &n, q)?;
            Ok::<_, simfleet::store::StoreError>(s)
        })
        .unwrap();
    reply(&w, &n, SIM_A, "2", T0 + 3 * HOUR);
    let got: (Option<i64>, Option<String>) = w
        .raw
        .query_row(
            "SELECT reply_id, vote FROM campaign_recipients WHERE campaign_id = ?1",
            [c],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(got, (None, None), "the survey's vote, not the campaign's reply");
    let votes = w.store.survey_votes(survey).unwrap().unwrap();
    let got: Vec<(&str, &str)> = votes
        .iter()
        .map(|v| (v.number.as_str(), v.option.as_str()))
        .collect();
    assert_eq!(got, [(n.as_str(), "2")]);
    // A plain reply afterwards is the campaign's again (its last message).
    let r2 = reply(&w, &n, SIM_A, "is the offer still on?", T0 + 4 * HOUR);
    let again: Option<i64> = w
        .raw
        .query_row(
            "SELECT reply_id FROM campaign_recipients WHERE campaign_id = ?1",
            [c],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(again, Some(r2));
}

#[test]
fn a_reply_stored_incomplete_is_still_credited_at_the_time_it_arrived() {
    let w = world();
    let n = phone(778, 1);
    contact(&w, &n, true, None, &[]);
    let c = campaign(&w, "long reply", std::slice::from_ref(&n), json!({}));
    let r = recipients(&w, c).remove(0);
    let m = materialise(&w, c, &r, "offer", None, T0 + HOUR);
    send(&w, m, SIM_A, 1, T0 + HOUR);
    // The first of two parts arrives at +2h; the second never does.
    let plan = sms::plan(&"w".repeat(300), &SplitOptions::default()).unwrap();
    let address = Address::parse_number(&n).unwrap();
    let pdus = sms::encode_deliver(None, &address, &plan, Utc::now().fixed_offset(), 9);
    let hex = sms::hex::encode_hex(&pdus[0]);
    let got = receive(
        &w.store,
        &ReplyRules::default(),
        "RU".parse().unwrap(),
        &Pdu {
            hex: &hex,
            imsi: Some(SIM_A),
            imei: "356938035643809",
        },
        T0 + 2 * HOUR,
    )
    .unwrap();
    assert_eq!(got, Received::Part);
    // Flushed a day later: credited as a reply at +2h, never an opt-out.
    let ids = flush_stale_attributing(
        &w.store,
        &Default::default(),
        Some(7),
        T0 + 2 * HOUR + 1,
        T0 + 26 * HOUR,
    )
    .unwrap();
    assert_eq!(ids.len(), 1);
    let (reply_id, replied_at, opted): (Option<i64>, Option<i64>, Option<i64>) = w
        .raw
        .query_row(
            "SELECT reply_id, replied_at, opted_out_at FROM campaign_recipients WHERE campaign_id = ?1",
            [c],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (reply_id, replied_at, opted),
        (Some(ids[0]), Some(T0 + 2 * HOUR), None)
    );
}

/// Sends `n` test-share messages of variant `v` and gets `replies` replies.
fn test_arm(w: &World, id: i64, v: &str, n: usize, replies: usize, mr: &mut u8) {
    let arm: Vec<Recipient> = recipients(w, id)
        .into_iter()
        .filter(|r| r.phase == "test" && r.variant.as_deref() == Some(v))
        .take(n)
        .collect();
    assert_eq!(arm.len(), n, "not enough of {v} in the test share");
    for (k, r) in arm.iter().enumerate() {
        let m = materialise(w, id, r, "offer", None, T0 + HOUR);
        *mr = mr.wrapping_add(1);
        send(w, m, SIM_A, *mr, T0 + HOUR);
        if k < replies {
            reply(w, &r.phone, SIM_A, "interested", T0 + 2 * HOUR);
        }
    }
}

fn ab_campaign(w: &World, prefix: u32) -> i64 {
    let phones: Vec<String> = (0..300).map(|i| phone(prefix, i)).collect();
    for p in &phones {
        contact(w, p, true, None, &[]);
    }
    campaign(
        w,
        &format!("ab {prefix}"),
        &phones,
        json!({"ab_test": {"test_share": 0.5, "decide_after": "4h", "metric": "reply"}}),
    )
}

fn rest_variants(w: &World, id: i64) -> BTreeMap<Option<String>, usize> {
    let mut out = BTreeMap::new();
    for r in recipients(w, id).into_iter().filter(|r| r.phase == "rest") {
        *out.entry(r.variant).or_default() += 1;
    }
    out
}

#[test]
fn the_ab_winner_is_the_one_a_hand_computed_z_test_picks_and_the_rest_gets_it() {
    let w = world();
    let id = ab_campaign(&w, 601);
    let mut mr = 0u8;
    // A: 4 replies of 40; B: 14 of 40.
    test_arm(&w, id, "A", 40, 4, &mut mr);
    test_arm(&w, id, "B", 40, 14, &mut mr);
    let rest = rest_variants(&w, id);
    assert!(rest.get(&None).copied().unwrap_or(0) > 100, "{rest:?}");
    // Before start + 4h: nothing decided, the decision time returned.
    assert_eq!(
        ab_test::decide_due(&w.store, T0 + 3 * HOUR).unwrap(),
        Some(T0 + 4 * HOUR)
    );
    assert!(w.store.campaign(id).unwrap().unwrap().decision.is_none());
    assert_eq!(ab_test::decide_due(&w.store, T0 + 4 * HOUR).unwrap(), None);
    let row = w.store.campaign(id).unwrap().unwrap();
    let d = row.decision.unwrap();
    // By hand: pooled 18/80 = 0.225, SE = sqrt(0.225·0.775·(1/40 + 1/40))
    // = sqrt(0.00871875) = 0.0933743; z = (0.35 − 0.10)/0.0933743 = 2.67740;
    // p = 2·(1 − Φ(2.6774)) = 2·0.003710 = 0.007420 (normal tables).
    assert_eq!(d["winner"], "B", "{d}");
    assert_eq!(d["significant"], true);
    assert!((d["z"].as_f64().unwrap() - 2.677_398).abs() < 1e-5, "{d}");
    assert!((d["p_value"].as_f64().unwrap() - 0.007_420).abs() < 2e-5, "{d}");
    assert_eq!(d["metric"], "reply");
    assert_eq!(d["variants"][0]["name"], "A");
    assert_eq!(d["variants"][0]["sent"], 40);
    assert_eq!(d["variants"][0]["successes"], 4);
    assert_eq!(d["variants"][1]["successes"], 14);
    assert!(d["words"].as_str().unwrap().starts_with("B wins"), "{d}");
    assert_eq!(row.decided_at, Some(T0 + 4 * HOUR));
    // Every rest recipient now gets B.
    let rest_after = rest_variants(&w, id);
    assert_eq!(rest_after.len(), 1, "{rest_after:?}");
    assert_eq!(
        rest_after.get(&Some("B".to_string())).copied(),
        rest.get(&None).copied()
    );
    // Decided once: a later round changes nothing.
    assert_eq!(ab_test::decide_due(&w.store, T0 + 5 * HOUR).unwrap(), None);
    assert_eq!(
        w.store.campaign(id).unwrap().unwrap().decided_at,
        Some(T0 + 4 * HOUR)
    );
}

#[test]
fn no_significant_difference_keeps_a_even_when_b_is_ahead() {
    let w = world();
    let id = ab_campaign(&w, 602);
    let mut mr = 100u8;
    // A: 10 of 40; B: 12 of 40 — B ahead, not significantly:
    // pooled 22/80 = 0.275, SE = sqrt(0.275·0.725·0.05) = 0.099844,
    // z = 0.05/0.099844 = 0.50078, p = 0.6165.
    test_arm(&w, id, "A", 40, 10, &mut mr);
    test_arm(&w, id, "B", 40, 12, &mut mr);
    ab_test::decide_due(&w.store, T0 + 4 * HOUR).unwrap();
    let d = w.store.campaign(id).unwrap().unwrap().decision.unwrap();
    assert_eq!(d["winner"], "A", "{d}");
    assert_eq!(d["significant"], false);
    assert_eq!(d["compared"], json!(["B", "A"]));
    assert!((d["z"].as_f64().unwrap() - 0.500_784).abs() < 1e-5, "{d}");
    assert!((d["p_value"].as_f64().unwrap() - 0.6165).abs() < 1e-3, "{d}");
    assert!(
        d["words"]
            .as_str()
            .unwrap()
            .starts_with("no significant difference: kept A"),
        "{d}"
    );
    let rest = rest_variants(&w, id);
    assert_eq!(rest.keys().collect::<Vec<_>>(), [&Some("A".to_string())]);
}

async fn serve(store: Store, rules: CampaignRules) -> String {
    use simfleet::api::{self, Accepting, AppState, Token};
    use simfleet::dispatch::{DispatchConfig, Dispatcher, SystemClock};
    use std::sync::Arc;
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).unwrap();
    let state = AppState {
        store,
        dispatcher,
        token: Token::new("t0ken"),
        clock: Arc::new(SystemClock),
        accepting: Accepting {
            validity_minutes: None,
            region: "RU".parse().unwrap(),
            status_reports: true,
            split: Default::default(),
        },
        contacts: simfleet::contacts::ContactRules::defaults("RU".parse().unwrap()),
        campaigns: rules,
        pricing: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api::router(state)).await });
    base
}

#[tokio::test]
async fn the_reports_over_http_breakdown_compare_timeseries_csv_and_prometheus() {
    let (w, id, overall, by_variant, all) = built();
    let other = campaign(&w, "other", &[phone(555, 0)], json!({}));
    let base = serve(w.store.clone(), w.rules.clone()).await;
    let client = simfleet::tls::http_client().build().unwrap();
    let get = |path: String| {
        let req = client.get(format!("{base}{path}")).bearer_auth("t0ken");
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap())
        }
    };
    let json_of = |body: &str| -> Value { serde_json::from_str(body).unwrap() };

    let (status, body) = get(format!("/v1/campaigns/{id}/breakdown?by=variant")).await;
    assert_eq!(status, 200, "{body}");
    let b = json_of(&body);
    assert_eq!(b["by"], "variant");
    for g in b["groups"].as_array().unwrap() {
        let v = g["group"].as_str().unwrap();
        assert_eq!(g["figures"]["sent"], by_variant[v].sent, "{v}");
        assert_eq!(g["figures"]["replies"], by_variant[v].replies, "{v}");
        assert_eq!(g["figures"]["audience"], by_variant[v].audience, "{v}");
    }
    let (status, body) = get(format!("/v1/campaigns/{id}/breakdown?by=attributes.city")).await;
    assert_eq!(status, 200, "{body}");
    let groups: Vec<Value> = json_of(&body)["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].clone())
        .collect();
    assert_eq!(groups, [Value::Null, json!("Kazan"), json!("Moscow")]);
    // Without `by`, the breakdown is by variant.
    let (status, plain) = get(format!("/v1/campaigns/{id}/breakdown")).await;
    assert_eq!(status, 200, "{plain}");
    let (_, by_variant) = get(format!("/v1/campaigns/{id}/breakdown?by=variant")).await;
    assert_eq!(json_of(&plain)["groups"], json_of(&by_variant)["groups"]);
    for (path, want, code) in [
        (format!("/v1/campaigns/{id}/breakdown?by=city"), 400, "bad_query"),
        (
            format!("/v1/campaigns/{id}/breakdown?by=attributes.shoe_size"),
            422,
            "unknown_attribute",
        ),
        (
            "/v1/campaigns/999/breakdown?by=variant".to_string(),
            404,
            "not_found",
        ),
        ("/v1/campaigns/x1/timeseries".to_string(), 404, "not_found"),
        ("/v1/campaigns/compare?ids=1,abc".to_string(), 400, "bad_query"),
        ("/v1/campaigns/compare?ids=".to_string(), 400, "bad_query"),
        ("/v1/campaigns/compare".to_string(), 400, "bad_query"),
        (format!("/v1/campaigns/compare?ids={id},999"), 404, "not_found"),
        ("/v1/campaigns/compare?ids=0".to_string(), 404, "not_found"),
        ("/v1/campaigns/999/recipients.csv".to_string(), 404, "not_found"),
    ] {
        let (status, body) = get(path.clone()).await;
        assert_eq!(status, want, "{path}: {body}");
        assert_eq!(json_of(&body)["error"]["code"], code, "{path}: {body}");
    }

    let (status, body) = get(format!("/v1/campaigns/compare?ids={id},{other}")).await;
    assert_eq!(status, 200, "{body}");
    let c = json_of(&body);
    assert_eq!(c["campaigns"][0]["id"], id.to_string());
    assert_eq!(
        c["campaigns"][0]["figures"]["overall"]["delivered"],
        overall.delivered
    );
    assert_eq!(c["campaigns"][0]["figures"]["overall"]["cost"], "0.45");
    assert_eq!(c["campaigns"][1]["name"], "other");
    assert_eq!(c["campaigns"][1]["figures"]["overall"]["audience"], 1);
    assert_eq!(
        c["campaigns"][1]["figures"]["overall"]["delivery_rate"],
        Value::Null
    );

    let (status, body) = get(format!("/v1/campaigns/{id}/timeseries")).await;
    assert_eq!(status, 200, "{body}");
    let hours = json_of(&body)["hours"].as_array().unwrap().clone();
    // +1h (sent, delivered), +2h (nothing: filled), +3h, +4h (replies).
    let counts: Vec<(u64, u64, u64, u64)> = hours
        .iter()
        .map(|h| {
            let n = |k: &str| h[k].as_u64().unwrap();
            (n("sent"), n("delivered"), n("replies"), n("opt_outs"))
        })
        .collect();
    assert_eq!(counts, [(7, 5, 0, 0), (0, 0, 0, 0), (0, 0, 1, 1), (0, 0, 1, 0)]);
    assert_eq!(hours[0]["hour"], simfleet::store::rfc3339(T0 + HOUR));

    let (status, body) = get(format!("/v1/campaigns/{id}/recipients.csv")).await;
    assert_eq!(status, 200, "{body}");
    let mut rd = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..3], ["seq", "phone", "variant"]);
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), all.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let replied = rows.iter().filter(|r| &r[col("replied")] == "true").count() as u64;
    let opted = rows.iter().filter(|r| &r[col("opted_out")] == "true").count() as u64;
    assert_eq!((replied, opted), (overall.replies, overall.opt_outs));
    let capped = rows.iter().find(|r| &r[col("reason")] == "capped").unwrap();
    assert!(capped[col("reason_text")].starts_with("'="), "{capped:?}");
    let voted = rows.iter().find(|r| &r[col("vote")] == "1").unwrap();
    assert_eq!(&voted[col("segments")], "2");
    assert_eq!(
        &voted[col("phone")],
        all.iter()
            .filter(|r| r.state != "excluded")
            .nth(15)
            .unwrap()
            .phone
            .as_str()
    );

    let (status, body) = get("/metrics".to_string()).await;
    assert_eq!(status, 200, "{body}");
    let name = r#"name="Black \"Friday\" \\ sale""#;
    for (what, n) in [
        ("sent", overall.sent),
        ("delivered", overall.delivered),
        ("replied", overall.replies),
        ("opted_out", overall.opt_outs),
    ] {
        let line = format!("simfleet_campaign_{what}_total{{campaign=\"{id}\",{name}}} {n}");
        assert!(body.lines().any(|l| l == line), "{line} not in\n{body}");
    }
}

#[test]
fn progress_and_figures_count_the_same_stages_in_the_same_words() {
    let (w, id, overall, _, _) = built();
    let row = w.store.campaign(id).unwrap().unwrap();
    let v = simfleet::api::campaign_view::view(&w.store, row, &w.rules, &[], T0 + 2 * HOUR).unwrap();
    let (p, o) = (&v.progress, &v.figures.overall);
    // Queued is a message not yet sent; excluded covers every reason,
    // whenever found (start, feed time, suppressed), window-missed
    // included; expired is the deadline with no window problem.
    assert_eq!(
        (
            p.audience,
            p.pending,
            p.queued,
            p.done,
            p.excluded,
            p.expired,
            p.cancelled
        ),
        (20, 1, 1, 9, 7, 2, 0),
        "{p:?}"
    );
    assert_eq!(
        (p.pending, p.queued, p.expired, p.cancelled),
        (o.pending, o.queued, o.expired, o.cancelled)
    );
    assert_eq!(p.by_reason, o.excluded);
    assert_eq!(p.done, o.done);
    assert_eq!(
        o.done,
        overall.sent + 1 + overall.unknown,
        "sent, failed before sending, unknown"
    );
    assert_eq!(
        p.pending + p.queued + p.done + p.excluded + p.expired + p.cancelled,
        p.audience
    );
    assert_eq!(p.percent_done, 90.0);
}

#[test]
fn the_csv_state_is_the_messages_outcome_once_it_went() {
    let (w, id, _, _, _) = built();
    let rows = w.store.campaign_recipients_page(id, 0, 100).unwrap();
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *states.entry(r.state.clone()).or_default() += 1;
        if let Some(status) = &r.status
            && status != "queued"
            && status != "sending"
        {
            assert_eq!(&r.state, status, "{r:?}");
        }
    }
    // One message still waits; every other queued recipient shows its outcome.
    assert_eq!(states.get("queued"), Some(&1), "{states:?}");
    assert_eq!(states.get("delivered"), Some(&5), "{states:?}");
    assert_eq!(states.get("suppressed"), Some(&1), "{states:?}");
}

#[test]
fn a_survey_campaigns_votes_are_its_surveys_counted_votes_whatever_the_sim() {
    let w = world();
    let phones: Vec<String> = (0..4).map(|i| phone(777, i)).collect();
    for p in &phones {
        contact(&w, p, true, None, &[]);
    }
    let id = campaign(
        &w,
        "Poll",
        &phones,
        json!({"variants": [{"name": "A", "text": "Pizza (1) or sushi (2)?"}],
               "survey": {"options": {"1": "Pizza", "2": "Sushi"}}}),
    );
    let survey = w.store.campaign(id).unwrap().unwrap().survey_id.unwrap();
    let t = T0 + HOUR;
    for (k, r) in recipients(&w, id).iter().enumerate() {
        let m = materialise(&w, id, r, "Pizza (1) or sushi (2)?", None, t);
        w.store
            .write(t, |tx| tx.add_survey_recipient(survey, &r.phone, m))
            .unwrap();
        send(&w, m, SIM_A, 50 + k as u8, t);
        report(&w, &r.phone, SIM_A, 50 + k as u8, 1, true, t + 60_000);
    }
    // Two vote through the SIM that texted them, one through another SIM
    // (the survey is per number: it counts), one votes twice (first counts).
    reply(&w, &phones[0], SIM_A, "1", t + HOUR);
    reply(&w, &phones[1], SIM_A, "2", t + HOUR);
    reply(&w, &phones[2], SIM_B, "2", t + HOUR);
    reply(&w, &phones[1], SIM_A, "1", t + 2 * HOUR);
    let survey_counts: BTreeMap<String, u64> = w
        .store
        .survey_votes(survey)
        .unwrap()
        .unwrap()
        .into_iter()
        .fold(BTreeMap::new(), |mut m, v| {
            *m.entry(v.option).or_default() += 1;
            m
        });
    let expected: BTreeMap<String, u64> = [("1".to_string(), 1), ("2".to_string(), 2)].into();
    assert_eq!(survey_counts, expected);
    let f = metrics::figures(&w.store, id, &w.rules).unwrap();
    assert_eq!(f.overall.votes, expected);
    assert_eq!(f.variants["A"].votes, expected);
    let by_variant = metrics::grouped(&w.store, id, &GroupBy::Variant, &w.rules).unwrap();
    assert_eq!(by_variant[0].1.votes, expected);
}
