//! Bulk data for benchmarks (`benches/web_pages.rs`): a shop's contacts
//! and months of history — messages with their histories, replies, votes,
//! opt-outs, campaign and automation sends, SIM counters, a failing
//! webhook — written in a few large transactions straight into the
//! schema, as the gateway would have left them. Far faster than going
//! through the queue one message at a time, and kept here so no SQL
//! lives outside `store/`.
//!
//! Not part of the gateway: hidden from the docs, used only by benches,
//! meant for an empty database (contact ids are given, `1..=n`).
//! Deterministic: the same plan gives the same rows.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::params;

use super::{Store, StoreError};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// The number of seeded contact `i` (1-based): seven in ten Russian, two
/// Spanish, one British, all distinct.
#[doc(hidden)]
pub fn seed_phone(i: usize) -> String {
    match i % 10 {
        0..=6 => format!("+7916{i:07}"),
        7 | 8 => format!("+346{i:08}"),
        _ => format!("+447700{i:06}"),
    }
}

fn seed_zone(i: usize) -> &'static str {
    match i % 10 {
        0..=3 => "Europe/Moscow",
        4 => "Asia/Yekaterinburg",
        5 => "Asia/Novosibirsk",
        6 => "Asia/Vladivostok",
        7 | 8 => "Europe/Madrid",
        _ => "Europe/London",
    }
}

fn seed_language(i: usize) -> &'static str {
    match i % 10 {
        0..=6 => "ru",
        7 | 8 => "es",
        _ => "en",
    }
}

const RU_FIRST: &[&str] = &[
    "Анна",
    "Борис",
    "Вера",
    "Глеб",
    "Дарья",
    "Егор",
    "Жанна",
    "Илья",
    "Ксения",
    "Лев",
    "Мария",
    "Никита",
    "Ольга",
    "Павел",
    "Светлана",
    "Тимур",
];
const RU_LAST: &[&str] = &[
    "Иванова",
    "Петров",
    "Смирнова",
    "Кузнецов",
    "Попова",
    "Соколов",
    "Лебедева",
    "Козлов",
    "Новикова",
    "Морозов",
];
const ES_FIRST: &[&str] = &[
    "Lucía", "Pedro", "Carmen", "Javier", "Sofía", "Diego", "Elena", "Marta",
];
const ES_LAST: &[&str] = &["García", "López", "Martínez", "Sánchez", "Romero", "Navarro"];
const EN_FIRST: &[&str] = &["Olivia", "James", "Amelia", "Harry", "Isla", "Jack"];
const EN_LAST: &[&str] = &["Smith", "Jones", "Taylor", "Brown", "Evans"];
const CITIES: &[&str] = &[
    "Казань",
    "Москва",
    "Самара",
    "Пермь",
    "Madrid",
    "Sevilla",
    "London",
];

fn seed_name(i: usize) -> String {
    let (first, last) = match i % 10 {
        0..=6 => (RU_FIRST, RU_LAST),
        7 | 8 => (ES_FIRST, ES_LAST),
        _ => (EN_FIRST, EN_LAST),
    };
    format!(
        "{} {}",
        first[i % first.len()],
        last[(i / first.len()) % last.len()]
    )
}

/// Writes `count` contacts with ids `1..=count` (numbers [`seed_phone`]):
/// names, zones and languages by country, typed attributes (city, spent,
/// last purchase, VIP), tags (`newsletter` half, `vip` one in ten,
/// `wholesale`), consent (70% opted in with its evidence, 15% pending),
/// 1% invalid numbers.
#[doc(hidden)]
pub fn seed_contacts(store: &Store, count: usize, now: i64) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(15);
    store.write(now, |tx| {
        for (name, t) in [
            ("city", "string"),
            ("spent", "number"),
            ("last_purchase", "date"),
            ("vip", "boolean"),
        ] {
            tx.tx
                .prepare_cached("INSERT OR IGNORE INTO attribute_types (name, type) VALUES (?1, ?2)")?
                .execute(params![name, t])?;
        }
        let mut contact = tx.tx.prepare_cached(
            "INSERT INTO contacts (id, phone, name, time_zone, time_zone_source, language, attributes,
                 consent_status, consent_at, consent_source, consent_evidence, status, status_reason,
                 created_at, updated_at, messages_sent)
             VALUES (?1, ?2, ?3, ?4, 'number', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, 0)",
        )?;
        let mut tag = tx
            .tx
            .prepare_cached("INSERT INTO contact_tags (contact_id, tag, tag_key) VALUES (?1, ?2, ?3)")?;
        for i in 1..=count {
            let created = now - rng.random_range(30..720) * DAY;
            let last_purchase = chrono::DateTime::from_timestamp_millis(now - rng.random_range(1..400) * DAY)
                .map(|d| d.date_naive().format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let attrs = serde_json::json!({
                "city": CITIES[rng.random_range(0..CITIES.len())],
                "spent": rng.random_range(0..50_000),
                "last_purchase": last_purchase,
                "vip": i % 10 == 3,
            });
            let (consent, source, evidence) = match rng.random_range(0..100) {
                0..70 => (
                    "opted_in",
                    Some("shop counter"),
                    Some("Signed the loyalty card form: \"Send me offers by SMS\""),
                ),
                70..85 => ("pending", Some("web form"), None),
                _ => ("none", None, None),
            };
            let invalid = i % 100 == 42;
            contact.execute(params![
                i as i64,
                seed_phone(i),
                seed_name(i),
                seed_zone(i),
                seed_language(i),
                attrs.to_string(),
                consent,
                (consent != "none").then_some(created),
                source,
                evidence,
                if invalid { "invalid" } else { "active" },
                invalid.then_some("the network says this number does not exist"),
                created,
            ])?;
            for (t, every) in [
                ("newsletter", 2),
                ("vip", 10),
                ("wholesale", 25),
                ("Постоянный клиент", 7),
            ] {
                if i % every == 0 {
                    tag.execute(params![i as i64, t, crate::contacts::fold(t)])?;
                }
            }
        }
        Ok(())
    })
}

/// A started campaign whose recipients `1..=recipients` are seeded
/// contacts `first_contact..`; the first `sent` of them get a message.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SeedCampaign {
    /// The campaign (created and started through the store).
    pub id: i64,
    /// Contact index of recipient 1.
    pub first_contact: usize,
    /// Recipients that got their message.
    pub sent: usize,
    /// Their variants, assigned in turn.
    pub variants: Vec<String>,
    /// Text of each variant (same order).
    pub texts: Vec<String>,
    /// First and last send (unix ms).
    pub from: i64,
    /// Last send.
    pub until: i64,
}

/// A survey (created through the store) asked of `asked` contacts from
/// `first_contact`, at `at`; about six in ten vote.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SeedSurvey {
    /// The survey.
    pub id: i64,
    /// Its question as sent.
    pub question: String,
    /// Option keys.
    pub options: Vec<String>,
    /// Contact index of the first one asked.
    pub first_contact: usize,
    /// How many were asked.
    pub asked: usize,
    /// When it was sent.
    pub at: i64,
}

/// An automation (created through the store) that texted `sent` contacts
/// from `first_contact` over the history, with `scheduled` runs to come.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SeedAutomation {
    /// The automation.
    pub id: i64,
    /// Its text.
    pub text: String,
    /// Contact index of the first one.
    pub first_contact: usize,
    /// Messages it sent.
    pub sent: usize,
    /// Runs waiting.
    pub scheduled: usize,
}

/// What [`seed_history`] writes.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SeedHistory {
    /// "Now" (unix ms): the history ends here; a few messages are scheduled after it.
    pub now: i64,
    /// Days of history.
    pub days: i64,
    /// Messages in all (campaign, survey and automation ones included).
    pub messages: usize,
    /// Contacts seeded by [`seed_contacts`].
    pub contacts: usize,
    /// Campaigns to fill.
    pub campaigns: Vec<SeedCampaign>,
    /// A survey to fill.
    pub survey: Option<SeedSurvey>,
    /// An automation to fill.
    pub automation: Option<SeedAutomation>,
}

/// What [`seed_history`] wrote.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Messages.
    pub messages: usize,
    /// Status events.
    pub events: usize,
    /// Replies stored (votes and opt-outs included).
    pub replies: usize,
    /// Opt-outs (by keyword and imported).
    pub optouts: usize,
    /// A delivered campaign message (for a message page).
    pub sample_message: i64,
    /// A contact with messages and replies (for a conversation).
    pub sample_contact: i64,
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Plain(usize),
    Campaign(usize, usize),
    Survey(usize),
    Automation(usize),
}

struct Template {
    text: String,
    encoding: &'static str,
    segments: i64,
}

const PLAIN: &[&str] = &[
    "Ваш заказ №{n} готов к выдаче. Магазин «Уют», ул. Ленина 5, с 10 до 20.",
    "Напоминаем: приём у врача завтра в {h}:30, кабинет 214. Возьмите паспорт и полис ОМС. Если не сможете прийти, ответьте ОТМЕНА — предложим другое время.",
    "Your order #{n} is ready for pickup. Reply STOP to opt out.",
    "Hola, su cita es el lunes a las {h}:00. Responda BAJA para no recibir más mensajes.",
    "Код подтверждения: {n}",
    "Reunión del comité mañana a las {h}:00 en la escuela. ¡Gracias!",
];

const REPLIES: &[&str] = &[
    "Спасибо, приду!",
    "Можно перенести на пятницу?",
    "Ок",
    "Gracias, allí estaré",
    "¿A qué hora cierran?",
    "Thanks!",
    "Is it open on Sunday?",
];

fn template(text: &str) -> Template {
    let sample = text.replace("{n}", "104217").replace("{h}", "10");
    let (encoding, segments) = match crate::sms::split::plan(&sample, &Default::default()) {
        Ok(p) => (
            match p.encoding {
                crate::sms::dcs::Encoding::Gsm7 => "gsm7",
                _ => "ucs2",
            },
            p.segment_count() as i64,
        ),
        Err(_) => ("ucs2", 1),
    };
    Template {
        text: text.to_string(),
        encoding,
        segments,
    }
}

/// Writes the history of [`SeedHistory`] after [`seed_contacts`]: see the
/// module's note. About a minute for a million messages.
#[doc(hidden)]
pub fn seed_history(store: &Store, h: &SeedHistory) -> Result<Seeded, StoreError> {
    let mut rng = StdRng::seed_from_u64(151);
    let now = h.now;
    let start = now - h.days * DAY;
    // Every message's time and source, oldest first (ids follow time).
    let mut plan: Vec<(i64, Source)> = Vec::with_capacity(h.messages);
    for (ci, c) in h.campaigns.iter().enumerate() {
        let span = (c.until - c.from).max(1);
        for k in 0..c.sent {
            plan.push((
                c.from + span * k as i64 / c.sent.max(1) as i64,
                Source::Campaign(ci, k),
            ));
        }
    }
    if let Some(s) = &h.survey {
        for k in 0..s.asked {
            plan.push((s.at + k as i64 * 500, Source::Survey(k)));
        }
    }
    if let Some(a) = &h.automation {
        for k in 0..a.sent {
            plan.push((
                start + (now - start) * k as i64 / a.sent.max(1) as i64,
                Source::Automation(k),
            ));
        }
    }
    let plain = h.messages.saturating_sub(plan.len());
    let scheduled = plain.min(2_000);
    for k in 0..plain {
        let at = if k >= plain - scheduled {
            now + rng.random_range(HOUR..3 * DAY)
        } else {
            start + (now - start) * k as i64 / plain.max(1) as i64 + rng.random_range(0..MINUTE)
        };
        plan.push((at, Source::Plain(k)));
    }
    plan.sort_by_key(|(at, _)| *at);

    let plain_templates: Vec<Template> = PLAIN.iter().map(|t| template(t)).collect();
    let campaign_templates: Vec<Vec<Template>> = h
        .campaigns
        .iter()
        .map(|c| c.texts.iter().map(|t| template(t)).collect())
        .collect();
    let survey_template = h.survey.as_ref().map(|s| template(&s.question));
    let automation_template = h.automation.as_ref().map(|a| template(&a.text));

    let contacts = h.contacts.max(1);
    let mut sent_count = vec![0i64; contacts + 1];
    let mut last_sent = vec![None::<i64>; contacts + 1];
    let mut last_delivered = vec![None::<i64>; contacts + 1];
    let mut last_reply = vec![None::<i64>; contacts + 1];
    let mut out = Seeded::default();
    let imsis = [
        "250010000000001",
        "250010000000002",
        "250020000000003",
        "214070000000004",
    ];
    let mut stopped: std::collections::HashSet<usize> = Default::default();

    store.write(now, |tx| {
        let t = &tx.tx;
        let mut msg = t.prepare_cached(
            "INSERT INTO messages (recipient, text, encoding, segments, status, status_report, send_at,
                 created_at, updated_at, sent_at, delivered_at, attempts, sim_imsi, error, expires_at, kind,
                 category, campaign_id, variant, lane, automation_id)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )?;
        let mut event =
            t.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?;
        let mut inbox = t.prepare_cached(
            "INSERT INTO inbox (sender, text, received_at, sim_imsi, pdu, kind) VALUES (?1, ?2, ?3, ?4, '', ?5)",
        )?;
        let mut optout = t.prepare_cached(
            "INSERT OR IGNORE INTO optouts (number, source, keyword, at, inbox_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut recipient = t.prepare_cached(
            "UPDATE campaign_recipients SET state = 'queued', message_id = ?3, queued_at = ?4,
                 reply_id = ?5, replied_at = ?6, opted_out_at = ?7, vote = NULL
             WHERE campaign_id = ?1 AND seq = ?2",
        )?;
        let mut response = t.prepare_cached(
            "INSERT INTO survey_responses (survey_id, number, option, at, inbox_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut asked = t.prepare_cached(
            "INSERT OR IGNORE INTO survey_recipients (survey_id, number, message_id) VALUES (?1, ?2, ?3)",
        )?;
        let mut run = t.prepare_cached(
            "INSERT INTO automation_runs (automation_id, phone, occurrence, step, due_at, state, message_id,
                 created_at, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?4, ?4)",
        )?;
        for (at, source) in &plan {
            let at = *at;
            let (contact, tmpl, n, campaign, variant, category, lane, automation, kind) = match *source {
                Source::Plain(k) => {
                    let c = 1 + (k.wrapping_mul(7919) + k / 3) % contacts;
                    let tm = &plain_templates[k % plain_templates.len()];
                    let cat = if k % 10 == 0 { "marketing" } else { "transactional" };
                    (c, tm, k, None, None, cat, 0, None, None)
                }
                Source::Campaign(ci, k) => {
                    let c = &h.campaigns[ci];
                    let vi = k % c.variants.len().max(1);
                    (
                        (c.first_contact + k - 1) % contacts + 1,
                        &campaign_templates[ci][vi],
                        k,
                        Some(c.id),
                        c.variants.get(vi).cloned(),
                        "marketing",
                        1,
                        None,
                        None,
                    )
                }
                Source::Survey(k) => {
                    let s = h.survey.as_ref().ok_or(StoreError::Sqlite(rusqlite::Error::InvalidQuery))?;
                    let tm = survey_template
                        .as_ref()
                        .ok_or(StoreError::Sqlite(rusqlite::Error::InvalidQuery))?;
                    (
                        (s.first_contact + k - 1) % contacts + 1,
                        tm,
                        k,
                        None,
                        None,
                        "transactional",
                        0,
                        None,
                        Some("survey"),
                    )
                }
                Source::Automation(k) => {
                    let a = h
                        .automation
                        .as_ref()
                        .ok_or(StoreError::Sqlite(rusqlite::Error::InvalidQuery))?;
                    let tm = automation_template
                        .as_ref()
                        .ok_or(StoreError::Sqlite(rusqlite::Error::InvalidQuery))?;
                    (
                        (a.first_contact + k - 1) % contacts + 1,
                        tm,
                        k,
                        None,
                        None,
                        "marketing",
                        1,
                        Some(a.id),
                        None,
                    )
                }
            };
            let phone = seed_phone(contact);
            let text = tmpl
                .text
                .replace("{n}", &format!("{:06}", 100_000 + n % 900_000))
                .replace("{h}", &format!("{}", 9 + n % 9));
            let age = now - at;
            let roll = rng.random_range(0..1000);
            let status = if at > now {
                "scheduled"
            } else if stopped.contains(&contact) && category == "marketing" {
                "suppressed"
            } else if age < 10 * MINUTE {
                match roll {
                    0..400 => "queued",
                    400..420 => "sending",
                    420..700 => "sent",
                    _ => "delivered",
                }
            } else {
                match roll {
                    0..860 => "delivered",
                    860..910 => "sent",
                    910..950 => "failed",
                    950..965 => "unknown",
                    965..975 => "expired",
                    975..990 => "suppressed",
                    _ => "cancelled",
                }
            };
            let sent_at = matches!(status, "sent" | "delivered" | "unknown").then_some(at + 2_000);
            let delivered_at = (status == "delivered").then(|| at + rng.random_range(5_000..120_000));
            let imsi = sent_at.map(|_| imsis[contact % imsis.len()]);
            let error = match status {
                "failed" => Some("the network refused it: unassigned number (CMS 1)"),
                "unknown" => Some("no answer from the modem after the last part; it may have been sent"),
                "expired" => Some("still queued after 1440 minutes (sending.validity_minutes)"),
                "suppressed" => Some("the number opted out (STOP)"),
                "cancelled" => Some("cancelled through the API"),
                _ => None,
            };
            let updated = delivered_at.or(sent_at).unwrap_or(at);
            msg.execute(params![
                phone,
                text,
                tmpl.encoding,
                tmpl.segments,
                status,
                (status == "scheduled").then_some(at),
                if status == "scheduled" { now - HOUR } else { at },
                updated,
                sent_at,
                delivered_at,
                i64::from(sent_at.is_some() || status == "failed"),
                imsi,
                error,
                matches!(status, "queued" | "scheduled").then_some(at + DAY),
                kind,
                category,
                campaign,
                variant,
                lane,
                automation,
            ])?;
            let id = t.last_insert_rowid();
            out.messages += 1;
            let accepted = if status == "scheduled" { now - HOUR } else { at };
            let first = if status == "scheduled" { "scheduled" } else { "queued" };
            let mut history: Vec<(&str, i64, Option<String>)> = vec![(first, accepted, None)];
            if let Some(s) = sent_at {
                history.push((
                    "sent",
                    s,
                    imsi.map(|i| format!("accepted by the network through SIM {i}")),
                ));
            }
            if let Some(d) = delivered_at {
                history.push(("delivered", d, Some("delivery report: delivered".into())));
            }
            if let Some(e) = error {
                history.push((status, updated, Some(e.to_string())));
            }
            for (st, when, reason) in &history {
                event.execute(params![id, st, when, reason])?;
                out.events += 1;
            }
            if status != "scheduled" && status != "suppressed" && status != "cancelled" {
                sent_count[contact] += 1;
                last_sent[contact] = Some(last_sent[contact].map_or(at, |x: i64| x.max(at)));
            }
            if let Some(d) = delivered_at {
                last_delivered[contact] = Some(d);
            }
            // Replies: about 3 in 100 delivered messages, some STOPs.
            let mut reply = None;
            let mut opted = None;
            let mut vote = None;
            if let Some(d) = delivered_at {
                let got_at = d + rng.random_range(MINUTE..6 * HOUR);
                if got_at < now {
                    let r = rng.random_range(0..1000);
                    if let Source::Survey(_) = source {
                        if r < 600 {
                            let s = h.survey.as_ref().ok_or(StoreError::Sqlite(rusqlite::Error::InvalidQuery))?;
                            let option = s.options[r % s.options.len().max(1)].clone();
                            vote = Some((s.id, option, got_at));
                        }
                    } else if r < 4 && !stopped.contains(&contact) {
                        reply = Some(("STOP", got_at, Some("optout")));
                    } else if r < 34 {
                        reply = Some((REPLIES[r % REPLIES.len()], got_at, None));
                    }
                }
            }
            if let Some((survey, option, got_at)) = vote {
                inbox.execute(params![phone, option, got_at, imsi, "vote"])?;
                let inbox_id = t.last_insert_rowid();
                out.replies += 1;
                last_reply[contact] = Some(got_at);
                response.execute(params![survey, phone, option, got_at, inbox_id])?;
            }
            let mut reply_id = None;
            if let Some((text, got_at, kind)) = reply {
                inbox.execute(params![phone, text, got_at, imsi, kind])?;
                let inbox_id = t.last_insert_rowid();
                out.replies += 1;
                reply_id = Some((inbox_id, got_at));
                last_reply[contact] = Some(got_at);
                if kind == Some("optout") {
                    optout.execute(params![phone, "keyword", "STOP", got_at, inbox_id])?;
                    out.optouts += 1;
                    stopped.insert(contact);
                    opted = Some(got_at);
                }
                if campaign.is_some() && status == "delivered" && out.sample_message == 0 {
                    out.sample_message = id;
                    out.sample_contact = contact as i64;
                }
            }
            match *source {
                Source::Campaign(ci, k) => {
                    recipient.execute(params![
                        h.campaigns[ci].id,
                        k as i64 + 1,
                        id,
                        at,
                        reply_id.map(|r| r.0),
                        reply_id.map(|r| r.1),
                        opted
                    ])?;
                }
                Source::Survey(_) => {
                    if let Some(s) = &h.survey {
                        asked.execute(params![s.id, phone, id])?;
                    }
                }
                Source::Automation(k) => {
                    if let Some(a) = &h.automation {
                        run.execute(params![a.id, phone, format!("seed-{k}"), at, "queued", id])?;
                    }
                }
                Source::Plain(_) => {}
            }
        }
        drop((msg, event, inbox, recipient, response, asked));
        if let Some(a) = &h.automation {
            for k in 0..a.scheduled {
                let c = (a.first_contact + a.sent + k) % contacts + 1;
                run.execute(params![
                    a.id,
                    seed_phone(c),
                    format!("seed-next-{k}"),
                    now + rng.random_range(MINUTE..2 * DAY),
                    "scheduled",
                    None::<i64>
                ])?;
            }
        }
        drop(run);
        // Numbers imported from an old system's list: not contacts.
        for k in 0..1_500 {
            optout.execute(params![format!("+7903{:07}", k * 37), "import", None::<String>, now - 200 * DAY, None::<i64>])?;
            out.optouts += 1;
        }
        drop(optout);
        // Replies that mention a keyword without being one: the review list.
        for k in 0..25usize {
            let c = (k * 3_331) % contacts + 1;
            let phone = seed_phone(c);
            let at = now - (k as i64 + 1) * 3 * HOUR;
            let text = ["Stop by tomorrow?", "Можно не присылать стоп-слово?", "¿Cómo doy de baja a mi madre?"][k % 3];
            t.prepare_cached(
                "INSERT INTO inbox (sender, text, received_at, pdu, kind) VALUES (?1, ?2, ?3, '', 'optout_review')",
            )?
            .execute(params![phone, text, at])?;
            let inbox_id = t.last_insert_rowid();
            t.prepare_cached(
                "INSERT INTO optout_reviews (inbox_id, number, text, keyword, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![inbox_id, phone, text, "STOP", at])?;
            out.replies += 1;
        }
        let mut upd = t.prepare_cached(
            "UPDATE contacts SET messages_sent = ?2, last_sent_at = ?3, last_delivered_at = ?4, last_reply_at = ?5
             WHERE id = ?1",
        )?;
        for c in 1..=contacts {
            if sent_count[c] > 0 || last_reply[c].is_some() {
                upd.execute(params![c as i64, sent_count[c], last_sent[c], last_delivered[c], last_reply[c]])?;
            }
        }
        drop(upd);
        // The SIMs, their counters today and this month; one cooling down.
        let day = chrono::DateTime::from_timestamp_millis(now)
            .map(|d| d.date_naive())
            .unwrap_or_default();
        for (k, imsi) in imsis.iter().enumerate() {
            t.prepare_cached(
                "INSERT OR REPLACE INTO sims (imsi, iccid, imei, port, first_seen, last_seen, day, sent_today,
                     sent_total, failed_total, delivered_total, month, sent_month, recipients_month, number,
                     cooldown_until, cooldown_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                imsi,
                format!("8970101000000000{k:03}"),
                format!("86123404000{k:04}"),
                format!("/dev/simfleet/modem{k}"),
                start,
                now,
                day.format("%Y-%m-%d").to_string(),
                120 + 40 * k as i64,
                out.messages as i64 / 4,
                out.messages as i64 / 100,
                out.messages as i64 / 5,
                day.format("%Y-%m").to_string(),
                2_000 + 300 * k as i64,
                1_500 + 200 * k as i64,
                format!("+7916555000{k}"),
                (k == 2).then_some(now + 20 * MINUTE),
                (k == 2).then_some("half of the last 10 sends failed"),
            ])?;
        }
        // A webhook that has been failing for an hour.
        t.prepare_cached("INSERT OR IGNORE INTO webhooks (url, events, active) VALUES (?1, ',inbound,status,', 1)")?
            .execute(params!["https://crm.example/simfleet"])?;
        let webhook = t.last_insert_rowid();
        for k in 0..40i64 {
            t.prepare_cached(
                "INSERT INTO webhook_outbox (webhook_id, event_id, event, key, data, created_at, attempts, next_at, last_error)
                 VALUES (?1, ?2, 'status', ?3, '{}', ?4, 6, ?5, 'connection refused')",
            )?
            .execute(params![webhook, format!("seed-{k}"), format!("message:{k}"), now - HOUR + k * MINUTE, now + 5 * MINUTE])?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_history_is_consistent_with_what_the_store_reads() {
        let store = Store::open_in_memory().unwrap();
        let now = 1_796_115_600_000;
        seed_contacts(&store, 200, now).unwrap();
        let spec = serde_json::from_value::<crate::campaigns::CampaignInput>(serde_json::json!({
            "name": "c", "audience": {"filter": {"tag": "newsletter"}},
            "variants": [{"name": "A", "text": "a"}]
        }))
        .unwrap()
        .check()
        .unwrap();
        let c = store.create_campaign(&spec, now - DAY).unwrap().id;
        let recipients: Vec<_> = (1..=50)
            .map(|i| super::super::NewRecipient {
                contact_id: Some(i),
                phone: seed_phone(i as usize),
                time_zone: "Europe/Moscow".into(),
                variant: Some("A".into()),
                phase: "all",
                excluded: None,
            })
            .collect();
        store
            .start_campaign(c, &recipients, now - DAY, now + DAY, now - DAY)
            .unwrap();
        let seeded = seed_history(
            &store,
            &SeedHistory {
                now,
                days: 30,
                messages: 3_000,
                contacts: 200,
                campaigns: vec![SeedCampaign {
                    id: c,
                    first_contact: 1,
                    sent: 40,
                    variants: vec!["A".into()],
                    texts: vec!["Sale!".into()],
                    from: now - DAY,
                    until: now - DAY + HOUR,
                }],
                survey: None,
                automation: None,
            },
        )
        .unwrap();
        assert_eq!(seeded.messages, 3_000);
        assert!(seeded.events >= 3_000);
        let counts = store.status_counts().unwrap();
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 3_000);
        // A message reads back with its history.
        let (m, history) = store.message(1).unwrap().unwrap();
        assert!(m.recipient.starts_with('+'));
        assert!(!history.is_empty());
        // The campaign's sent recipients point at their messages.
        let states = store.campaign_recipient_states(c).unwrap();
        assert!(states.contains(&("queued".to_string(), None, 40)), "{states:?}");
        assert!(states.contains(&("pending".to_string(), None, 10)), "{states:?}");
        assert!(store.optouts(0, 10_000).unwrap().len() >= 1_500);
    }
}
