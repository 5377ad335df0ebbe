//! Replies by email (`[email]`) against real SMTP servers on loopback: the
//! small one in `common::smtp` and, when installed, Python's aiosmtpd. The
//! whole path (the simulator's SMS → `simfleet serve` → outbox → SMTP) runs
//! through the real binary; digest, filters, login and refusals through
//! the library's own worker and inbound path with a manual clock.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{Connection, params};
use serde_json::json;
use simfleet::campaigns::{CampaignInput, CampaignRules, CampaignStatus, lifecycle};
use simfleet::config::{Config, EmailConfig};
use simfleet::contacts::{Consent, ConsentStatus, ContactChanges};
use simfleet::dispatch::{Clock, ManualClock};
use simfleet::email::{EmailRules, ReplyMail, Zone};
use simfleet::inbound::receive::{Pdu, Received, receive};
use simfleet::inbound::replies::ReplyRules;
use simfleet::phone::Msisdn;
use simfleet::sms::{self, Address, SplitOptions};
use simfleet::store::{Category, NewMessage, PartSent, Store};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use common::smtp::{Mail, ServerTls, SmtpOptions, SmtpServer};

/// 2026-12-01T09:00:00Z.
const T0: i64 = 1_796_115_600_000;
const MIN: i64 = 60_000;
const SIM_A: &str = "250010000000001";
const TEXT: &str = "Здравствуйте! Когда доставка? 🚚 Ça va?";

fn metric(gw: &Gateway, state: &str) -> i64 {
    let (_, v) = gw.call("GET", "/metrics", None);
    let text = v.as_str().unwrap_or_default().to_string();
    let key = format!("simfleet_email_outbox{{state=\"{state}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(-1)
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn a_reply_is_emailed_exactly_once_through_a_server_that_was_down_for_a_while() {
    let sim = Sim::start(1, 20);
    let dir = sim.dir.path();
    let smtp_port = free_port();
    let config = write_config(dir, free_port(), "");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[email]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"simfleet <sms@shop.example>\"\nto = [\"ops@shop.example\", \"Маша <masha@shop.example>\"]\ntime_zone = \"Europe/Moscow\"\n"
    ));
    std::fs::write(&config, text).unwrap();
    let gw = Gateway::start(&config);
    gw.wait_ready_modems(1);
    let (status, _) = gw.call(
        "POST",
        "/v1/contacts",
        Some(json!({"phone": "+79161234567", "name": "Анна"})),
    );
    assert!(status == 201 || status == 200, "{status}");

    // The SMTP server is down: the reply waits in the outbox and is retried.
    sim.post("/modems/0/sms", json!({"from": "+79161234567", "text": TEXT}));
    wait_until("a failed attempt", Duration::from_secs(30), || {
        metric(&gw, "retrying") == 1
    });
    assert_eq!(metric(&gw, "sent"), 0);
    let (status, outbox) = gw.call("GET", "/v1/email", None);
    assert_eq!(status, 200, "{outbox}");
    assert_eq!(
        (outbox["retrying"].as_i64(), outbox["sent"].as_i64()),
        (Some(1), Some(0)),
        "{outbox}"
    );
    let waiting = &outbox["waiting"][0];
    assert_eq!(waiting["state"], "retrying", "{outbox}");
    assert!(
        waiting["last_error"].as_str().unwrap().contains("connect"),
        "{outbox}"
    );
    assert!(waiting["next_attempt_at"].is_string(), "{outbox}");

    let server = SmtpServer::start(smtp_port, SmtpOptions::default());
    let got = server.wait_for(1, Duration::from_secs(60));
    assert_eq!(got.len(), 1, "the email arrives once the server is up");
    wait_until("the row marked sent", Duration::from_secs(10), || {
        metric(&gw, "sent") == 1
    });
    // Nothing else follows: exactly one email for one reply.
    std::thread::sleep(Duration::from_secs(2));
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            metric(&gw, "pending"),
            metric(&gw, "retrying"),
            metric(&gw, "failed")
        ),
        (0, 0, 0)
    );
    let (_, outbox) = gw.call("GET", "/v1/email", None);
    assert_eq!(outbox["sent"], 1, "{outbox}");
    assert_eq!(outbox["waiting"], json!([]), "{outbox}");

    let g = &got[0];
    assert_eq!(g.from, "sms@shop.example");
    assert_eq!(g.to, ["ops@shop.example", "masha@shop.example"]);
    let mail = Mail::parse(&g.data);
    assert_eq!(mail.header("subject"), "SMS reply from +79161234567 (Анна)");
    assert!(mail.header("from").contains("<sms@shop.example>"), "{mail:?}");
    assert!(
        mail.header("to").contains("ops@shop.example") && mail.header("to").contains("Маша"),
        "{mail:?}"
    );
    assert!(!mail.header("date").is_empty());
    assert!(mail.header("message-id").starts_with("<sms-reply-"), "{mail:?}");
    assert!(mail.header("message-id").ends_with("@shop.example>"), "{mail:?}");
    assert!(
        mail.header("content-type")
            .to_ascii_lowercase()
            .contains("charset=utf-8"),
        "{mail:?}"
    );
    assert!(mail.body.starts_with(TEXT), "{}", mail.body);
    assert!(mail.body.contains("From: +79161234567 (Анна)"), "{}", mail.body);
    assert!(
        mail.body.contains(" MSK (") && mail.body.contains(" UTC)"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("SIM: "), "{}", mail.body);
}

#[test]
fn a_reply_queued_before_a_crash_is_emailed_once_after_the_restart_and_never_again() {
    let sim = Sim::start(1, 20);
    let dir = sim.dir.path();
    let smtp_port = free_port();
    let config = write_config(dir, free_port(), "");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[email]\nhost = \"localhost\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"sms@shop.example\"\nto = [\"ops@shop.example\"]\n"
    ));
    std::fs::write(&config, text).unwrap();
    let mut gw = Gateway::start(&config);
    gw.wait_ready_modems(1);
    sim.post(
        "/modems/0/sms",
        json!({"from": "+79161234567", "text": "до сбоя"}),
    );
    wait_until("a failed attempt", Duration::from_secs(30), || {
        metric(&gw, "retrying") == 1
    });
    // Power cut while the server is down; the server comes back meanwhile.
    gw.kill9();
    let server = SmtpServer::start(smtp_port, SmtpOptions::default());
    let gw = Gateway::start(&config);
    assert_eq!(server.wait_for(1, Duration::from_secs(30)).len(), 1);
    wait_until("the row marked sent", Duration::from_secs(10), || {
        metric(&gw, "sent") == 1
    });
    // Killed again after sending: nothing is sent a second time.
    let mut gw = gw;
    gw.kill9();
    let gw = Gateway::start(&config);
    gw.wait_ready_modems(1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(server.messages().len(), 1);
    assert_eq!(metric(&gw, "sent"), 1);
    assert!(
        Mail::parse(&server.messages()[0].data)
            .body
            .starts_with("до сбоя")
    );
}

// ---- the library's worker over an in-process store ----

fn email_config(extra: &str) -> EmailConfig {
    Config::parse(&format!("[email]\n{extra}"), Path::new("t.toml"))
        .unwrap()
        .config
        .email
        .unwrap()
}

fn rules_of(cfg: &EmailConfig) -> ReplyRules {
    ReplyRules {
        email: Some(EmailRules {
            replies: cfg.replies,
            mode: cfg.mode,
            zone: Zone::from_config(cfg.time_zone.as_deref()),
        }),
        ..ReplyRules::default()
    }
}

fn reply(store: &Store, rules: &ReplyRules, from: &str, imsi: &str, text: &str, now: i64) -> i64 {
    let plan = sms::plan(text, &SplitOptions::default()).unwrap();
    let address = Address::parse_number(from).unwrap();
    let pdu = sms::encode_deliver(None, &address, &plan, Utc::now().fixed_offset(), 1);
    let hex = sms::hex::encode_hex(&pdu[0]);
    let got = receive(
        store,
        rules,
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

/// A store in a temporary directory and a worker for `cfg` on its own runtime.
struct Worker {
    store: Store,
    clock: Arc<ManualClock>,
    stop: tokio::sync::watch::Sender<bool>,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Worker {
    fn start(cfg: &EmailConfig, now: i64) -> Worker {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let clock = Arc::new(ManualClock::at(now));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        rt.spawn(simfleet::email::run(
            store.clone(),
            clock.clone() as Arc<dyn Clock>,
            cfg.clone(),
            stopped,
        ));
        Worker {
            store,
            clock,
            stop,
            rt,
            _dir: dir,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = &self.rt;
    }
}

fn plain(port: u16, extra: &str) -> EmailConfig {
    email_config(&format!(
        "host = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"sms@shop.example\"\nto = [\"ops@shop.example\"]\ntime_zone = \"UTC\"\n{extra}"
    ))
}

#[test]
fn an_hourly_digest_sends_the_replies_of_the_hour_in_one_email_at_the_hour() {
    let server = SmtpServer::start(0, SmtpOptions::default());
    let cfg = plain(server.port, "mode = \"hourly\"\n");
    let rules = rules_of(&cfg);
    let w = Worker::start(&cfg, T0 + 10 * MIN);
    reply(
        &w.store,
        &rules,
        "+79161230001",
        SIM_A,
        "Первый ответ",
        T0 + 10 * MIN,
    );
    reply(
        &w.store,
        &rules,
        "+79161230002",
        SIM_A,
        "Second 👍",
        T0 + 20 * MIN,
    );
    std::thread::sleep(Duration::from_millis(800));
    assert!(server.messages().is_empty(), "nothing before the hour");
    // Past 10:00: a reply arriving now wakes the worker; the digest holds
    // the two of 09:xx, the new one waits for 11:00.
    w.clock.advance(51 * MIN);
    reply(
        &w.store,
        &rules,
        "+79161230003",
        SIM_A,
        "third, next hour",
        w.clock.now_ms(),
    );
    let got = server.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1);
    let mail = Mail::parse(&got[0].data);
    assert!(
        mail.header("subject")
            .starts_with("2 SMS replies received 2026-12-01 09:10:00 UTC"),
        "{mail:?}"
    );
    assert!(mail.header("message-id").starts_with("<sms-digest-"), "{mail:?}");
    assert!(
        mail.body.contains("Первый ответ") && mail.body.contains("Second 👍"),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains("=== 1 of 2: +79161230001 ===")
            && mail.body.contains("=== 2 of 2: +79161230002 ==="),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("third"), "{}", mail.body);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.messages().len(), 1);
    let c = w.store.email_counts().unwrap();
    assert_eq!((c.sent, c.pending), (2, 1));
}

#[test]
fn login_uses_the_username_and_the_password_file_and_a_refused_login_is_retried_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("smtp-password");
    std::fs::write(&pw, "s3cret пароль\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = SmtpServer::start(
        0,
        SmtpOptions {
            credentials: Some(("relay-user".into(), "s3cret пароль".into())),
            ..Default::default()
        },
    );
    let cfg = plain(
        server.port,
        &format!(
            "username = \"relay-user\"\npassword_file = \"{}\"\n",
            pw.display()
        ),
    );
    assert!(
        !format!("{cfg:?}").contains("s3cret"),
        "the password is never shown"
    );
    let w = Worker::start(&cfg, T0);
    reply(&w.store, &rules_of(&cfg), "+79161230001", SIM_A, "hello", T0);
    let got = server.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].user.as_deref(), Some("relay-user"));

    // The wrong password: the server says 535, the reply waits for a fix.
    std::fs::write(&pw, "wrong\n").unwrap();
    let cfg = plain(
        server.port,
        &format!(
            "username = \"relay-user\"\npassword_file = \"{}\"\n",
            pw.display()
        ),
    );
    let w2 = Worker::start(&cfg, T0);
    let id = reply(
        &w2.store,
        &rules_of(&cfg),
        "+79161230001",
        SIM_A,
        "hello again",
        T0,
    );
    wait_until("a refused login", Duration::from_secs(20), || {
        w2.store.email_counts().unwrap().retrying == 1
    });
    let state = w2.store.email_state(id).unwrap().unwrap();
    assert_eq!((state.sent_at, state.failed_at), (None, None));
    assert!(
        state.last_error.as_deref().unwrap_or("").contains("login"),
        "{state:?}"
    );
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_recipient_the_server_refuses_for_good_marks_the_reply_failed_with_the_reason() {
    let server = SmtpServer::start(
        0,
        SmtpOptions {
            reject: vec!["nobody@shop.example".into()],
            ..Default::default()
        },
    );
    let cfg = email_config(&format!(
        "host = \"localhost\"\nport = {}\nsecurity = \"none\"\nfrom = \"sms@shop.example\"\nto = [\"nobody@shop.example\"]\n",
        server.port
    ));
    let w = Worker::start(&cfg, T0);
    let id = reply(&w.store, &rules_of(&cfg), "+79161230001", SIM_A, "hello", T0);
    wait_until("the reply marked failed", Duration::from_secs(20), || {
        w.store.email_counts().unwrap().failed == 1
    });
    let state = w.store.email_state(id).unwrap().unwrap();
    assert!(state.failed_at.is_some());
    let error = state.last_error.unwrap();
    assert!(error.contains("550") && error.contains("No such user"), "{error}");
    assert!(server.messages().is_empty());
}

#[test]
fn starttls_and_implicit_tls_check_the_server_against_ca_file_and_never_fall_back_to_clear_text() {
    let dir = tempfile::tempdir().unwrap();
    let pki = common::tls::ca_and_cert(dir.path());
    let server_cfg = simfleet::tls::server_config(&pki.cert, &pki.key).unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "pa55\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tls_cfg = |port: u16, security: &str, ca: bool| {
        let ca = if ca {
            format!("ca_file = \"{}\"\n", pki.ca.display())
        } else {
            String::new()
        };
        email_config(&format!(
            "host = \"localhost\"\nport = {port}\nsecurity = \"{security}\"\nusername = \"u\"\npassword_file = \"{}\"\nfrom = \"sms@shop.example\"\nto = [\"ops@shop.example\"]\n{ca}",
            pw.display()
        ))
    };
    for (security, tls) in [
        ("starttls", ServerTls::StartTls(server_cfg.clone())),
        ("tls", ServerTls::Implicit(server_cfg.clone())),
    ] {
        let server = SmtpServer::start(
            0,
            SmtpOptions {
                credentials: Some(("u".into(), "pa55".into())),
                tls: Some(tls.clone()),
                ..Default::default()
            },
        );
        let cfg = tls_cfg(server.port, security, true);
        let w = Worker::start(&cfg, T0);
        reply(&w.store, &rules_of(&cfg), "+79161234567", SIM_A, "по TLS", T0);
        let got = server.wait_for(1, Duration::from_secs(20));
        assert_eq!(got.len(), 1, "{security}");
        assert!(got[0].encrypted, "{security}: the message went over TLS");
        assert_eq!(got[0].user.as_deref(), Some("u"));

        // A server certificate no CA vouches for: not sent, kept for later.
        let cfg = tls_cfg(server.port, security, false);
        let w = Worker::start(&cfg, T0);
        let id = reply(&w.store, &rules_of(&cfg), "+79161234567", SIM_A, "по TLS", T0);
        wait_until("a refused certificate", Duration::from_secs(20), || {
            w.store.email_counts().unwrap().retrying == 1
        });
        let state = w.store.email_state(id).unwrap().unwrap();
        assert!(state.failed_at.is_none(), "{state:?}");
        assert_eq!(server.messages().len(), 1, "{security}: {state:?}");
    }
    // A server that does not offer STARTTLS gets nothing in clear.
    let server = SmtpServer::start(
        0,
        SmtpOptions {
            credentials: Some(("u".into(), "pa55".into())),
            ..Default::default()
        },
    );
    let cfg = tls_cfg(server.port, "starttls", true);
    let w = Worker::start(&cfg, T0);
    let id = reply(&w.store, &rules_of(&cfg), "+79161234567", SIM_A, "секрет", T0);
    wait_until("a refused plain server", Duration::from_secs(20), || {
        w.store.email_counts().unwrap().retrying == 1
    });
    let error = w.store.email_state(id).unwrap().unwrap().last_error.unwrap();
    assert!(error.contains("STARTTLS"), "{error}");
    assert!(server.messages().is_empty());
}

#[test]
fn a_reply_the_server_never_took_is_marked_failed_after_give_up_days() {
    let closed = free_port();
    let cfg = plain(closed, "give_up_days = 1\n");
    // Two days after the reply arrived the server is still down.
    let w = Worker::start(&cfg, T0 + 2 * 86_400_000);
    let id = reply(&w.store, &rules_of(&cfg), "+79161234567", SIM_A, "hello", T0);
    wait_until("the reply given up on", Duration::from_secs(20), || {
        w.store.email_counts().unwrap().failed == 1
    });
    let error = w.store.email_state(id).unwrap().unwrap().last_error.unwrap();
    assert!(error.starts_with("not sent in 1 days: connect"), "{error}");
}

// ---- which replies are queued ----

/// A running campaign (variants A and B) to `phone`, its message sent through SIM_A at `T0`.
fn campaign_sent(store: &Store, raw: &Connection, phone: &str) -> i64 {
    store
        .write(T0 - 86_400_000, |tx| {
            tx.upsert_contact(
                phone,
                &ContactChanges {
                    name: Some(Some("Анна".into())),
                    consent: Some(Consent {
                        status: ConsentStatus::OptedIn,
                        at: Some(T0 - 86_400_000),
                        source: Some("web form".into()),
                        evidence: None,
                    }),
                    ..Default::default()
                },
                None,
            )
        })
        .unwrap();
    let input: CampaignInput = serde_json::from_value(
        json!({"name": "Весенняя распродажа", "audience": {"contacts": [phone]},
        "variants": [{"name": "A", "text": "Sale -20% today"}, {"name": "B", "text": "Only today: -20%"}]}),
    )
    .unwrap();
    let rules = CampaignRules::defaults("RU".parse().unwrap());
    let row = store.create_campaign(&input.check().unwrap(), T0).unwrap();
    lifecycle::start(store, row.id, &rules, T0).unwrap();
    store
        .move_campaign(
            row.id,
            &[CampaignStatus::Scheduled],
            CampaignStatus::Running,
            None,
            T0,
        )
        .unwrap();
    let (seq, variant): (i64, Option<String>) = raw
        .query_row(
            "SELECT seq, variant FROM campaign_recipients WHERE campaign_id = ?1",
            [row.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let variant = variant.unwrap_or_else(|| "A".into());
    let plan = sms::plan("Sale -20% today", &SplitOptions::default()).unwrap();
    let out = store
        .enqueue(
            &NewMessage {
                recipient: Msisdn::from_canonical(phone.to_string()),
                text: plan.text.clone(),
                encoding: plan.encoding,
                segments: plan.segment_count(),
                status_report: false,
                send_at: None,
                expires_at: Some(T0 + 86_400_000),
                kind: None,
                category: Category::Marketing,
                idempotency_key: None,
                request_hash: String::new(),
            },
            T0,
        )
        .unwrap();
    raw.execute(
        "UPDATE messages SET campaign_id = ?1, variant = ?2, lane = 1 WHERE id = ?3",
        params![row.id, variant, out.id],
    )
    .unwrap();
    raw.execute(
        "UPDATE campaign_recipients SET state = 'queued', variant = ?4, message_id = ?3, queued_at = ?5 WHERE campaign_id = ?1 AND seq = ?2",
        params![row.id, seq, out.id, variant, T0],
    )
    .unwrap();
    assert!(
        store
            .claim(out.id, SIM_A, "356938035643809", "/dev/sim0", "gw", T0)
            .unwrap()
            .is_some()
    );
    store
        .record_part_sent(&PartSent {
            message_id: out.id,
            seq: 1,
            imsi: SIM_A.into(),
            concat_ref: 0,
            message_ref: Some(1),
            at: T0,
        })
        .unwrap();
    store.mark_sent(out.id, SIM_A, 1, "2026-12-01", T0).unwrap();
    row.id
}

fn queued(store: &Store) -> Vec<ReplyMail> {
    store
        .due_emails(i64::MAX, 100)
        .unwrap()
        .iter()
        .map(|p| serde_json::from_str(&p.data).unwrap())
        .collect()
}

#[test]
fn replies_campaign_queues_only_replies_credited_to_a_campaign_with_its_name_and_variant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = Store::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    raw.busy_timeout(Duration::from_secs(5)).unwrap();
    let id = campaign_sent(&store, &raw, "+79161234567");
    let cfg = plain(1, "replies = \"campaign\"\n");
    let rules = rules_of(&cfg);
    let answer = reply(
        &store,
        &rules,
        "+79161234567",
        SIM_A,
        "Да, интересно",
        T0 + 5 * MIN,
    );
    reply(
        &store,
        &rules,
        "+79160000000",
        SIM_A,
        "who is this?",
        T0 + 6 * MIN,
    );
    let q = queued(&store);
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].inbox_id, answer);
    assert_eq!(q[0].name.as_deref(), Some("Анна"));
    let c = q[0].campaign.as_ref().unwrap();
    assert_eq!((c.id, c.name.as_str()), (id, "Весенняя распродажа"));
    assert!(c.variant.is_some());
    // Its subject names the campaign and the variant.
    let composer = simfleet::email::compose::Composer::new(
        "sms@shop.example",
        &["ops@shop.example".into()],
        Zone::Named(chrono_tz::UTC),
    )
    .unwrap();
    let mail =
        Mail::parse(&String::from_utf8(composer.single(&q[0], T0 + 6 * MIN).unwrap().formatted()).unwrap());
    assert_eq!(
        mail.header("subject"),
        format!(
            "SMS reply from +79161234567 (Анна) — campaign Весенняя распродажа (variant {})",
            c.variant.as_deref().unwrap()
        )
    );
    assert!(
        mail.body
            .contains(&format!("Campaign: Весенняя распродажа (#{id})")),
        "{}",
        mail.body
    );
}

#[test]
fn replies_non_keyword_leaves_out_stop_help_and_join_but_keeps_a_persons_words() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let cfg = plain(1, "replies = \"non_keyword\"\n");
    let rules = rules_of(&cfg);
    for (i, text) in [
        "STOP",
        "HELP",
        "JOIN",
        "START",
        "Когда откроетесь?",
        "Stop by tomorrow?",
    ]
    .iter()
    .enumerate()
    {
        reply(&store, &rules, "+79161234567", SIM_A, text, T0 + i as i64 * MIN);
    }
    let texts: Vec<String> = queued(&store).into_iter().filter_map(|m| m.text).collect();
    assert_eq!(texts, ["Когда откроетесь?", "Stop by tomorrow?"]);
    // Without [email] nothing is queued at all.
    let store2 = Store::open(&dir.path().join("db2.sqlite")).unwrap();
    reply(
        &store2,
        &ReplyRules::default(),
        "+79161234567",
        SIM_A,
        "hello",
        T0,
    );
    assert!(queued(&store2).is_empty());
}

// ---- Python's aiosmtpd, a real SMTP server of another make ----

/// A python3 that can import aiosmtpd (the one on PATH, else Debian's).
fn python_with_aiosmtpd() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

const AIOSMTPD: &str = r#"
import os, sys
from aiosmtpd.controller import Controller
out, port = sys.argv[1], int(sys.argv[2])
class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(out))
        with open(os.path.join(out, "%d.eml" % n), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 OK"
c = Controller(Keep(), hostname="127.0.0.1", port=port)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

#[test]
#[ignore = "needs Python's aiosmtpd (apt-get install python3-aiosmtpd); .ci/run installs it and runs this with --ignored"]
fn a_reply_reaches_an_aiosmtpd_server_with_its_utf8_subject_and_body() {
    use std::io::BufRead;
    let python =
        python_with_aiosmtpd().expect("aiosmtpd is not importable: apt-get install python3-aiosmtpd");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail");
    std::fs::create_dir(&out).unwrap();
    let port = free_port();
    let mut child = common::gateway::Proc(
        std::process::Command::new(python)
            .args(["-c", AIOSMTPD])
            .arg(&out)
            .arg(port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let cfg = plain(port, "");
    let w = Worker::start(&cfg, T0);
    reply(&w.store, &rules_of(&cfg), "+79161234567", SIM_A, TEXT, T0);
    wait_until("the email in aiosmtpd's folder", Duration::from_secs(30), || {
        std::fs::read_dir(&out).unwrap().count() == 1
    });
    let data = std::fs::read_to_string(out.join("0.eml")).unwrap();
    let mail = Mail::parse(&data);
    assert_eq!(mail.header("subject"), "SMS reply from +79161234567");
    assert!(mail.body.starts_with(TEXT), "{}", mail.body);
    wait_until("the row marked sent", Duration::from_secs(10), || {
        w.store.email_counts().unwrap().sent == 1
    });
}
