//! Chaos with the real binaries: `simfleet serve` is killed with SIGKILL
//! again and again while it sends long and short messages through
//! `simfleet sim`, and restarted each time. The simulator's ledger (what
//! reached the "network") is then checked against the database: nothing
//! lost, no part twice, every message's parts through one SIM with one
//! reference, and no message that reached the network in part left
//! incomplete unless the part in flight at a kill was itself lost.
//!
//! Also: `+CMS ERROR` on part 3 of 4, set through the simulator's control
//! API, against the real daemon.
//!
//! `chaos_run_like_issue_10` is the issue's run (2,000 messages, a third
//! of them multi-part, 20 kills); it is `#[ignore]`d because it takes a few
//! minutes. Run it with
//! `cargo test --release --test chaos -- --ignored --nocapture`.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

/// What a run came to.
#[derive(Debug, Default)]
struct Figures {
    messages: usize,
    multi_part: usize,
    kills: usize,
    /// Accepted but not settled at the end, `failed` (no fault was
    /// injected), or `sent` with parts missing from the network.
    lost: usize,
    /// Parts that reached the network more than once.
    duplicated_parts: usize,
    /// Messages whose parts went through more than one SIM or reference.
    split: usize,
    /// Messages `unknown` at the end.
    unknown: usize,
    /// Of those, multi-part ones.
    unknown_multi_part: usize,
    /// Of those, ones of which nothing reached the network.
    unknown_none_at_network: usize,
    /// Reached the network in part and incomplete, not counting a missing
    /// part that was the one in flight at a kill (recorded `unknown`).
    left_partial: usize,
    /// Reached the network in part and incomplete only because the part in
    /// flight at a kill was itself lost.
    partial_lost_in_flight: usize,
    /// Messages cut by a kill whose remaining parts were sent after a restart.
    resumed: usize,
    secs: f64,
}

/// A GSM 7-bit text of `parts` segments, unique by `i`.
fn text(i: usize, parts: usize) -> String {
    let tag = format!("chaos {i} ");
    if parts == 1 {
        return format!("{tag}short");
    }
    let body: String = (0..parts * 153 - tag.len() - 3)
        .map(|k| char::from(b'a' + ((k / 153 + i) % 26) as u8))
        .collect();
    format!("{tag}{body}")
}

fn recipient(i: usize) -> String {
    format!("+7916{:07}", 3_000_000 + i)
}

/// Digits only, last nine (the ledger and the store may differ in form).
fn tail(n: &str) -> String {
    let d: String = n.chars().filter(char::is_ascii_digit).collect();
    d[d.len().saturating_sub(9)..].to_string()
}

/// xorshift: reproducible kill times.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Waits until `n` modems are ready or busy sending.
fn working(g: &Gateway, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let (_, v) = g.call("GET", "/v1/modems", None);
        if v.as_array().is_some_and(|a| {
            a.iter()
                .filter(|m| m["state"] == "ready" || m["state"] == "busy")
                .count()
                >= n
        }) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("modems not working: {:?}", g.call("GET", "/v1/modems", None));
}

fn settled(db: &std::path::Path) -> Option<usize> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row(
        "SELECT count(*) FROM messages WHERE status IN ('queued', 'scheduled', 'sending')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .ok()
    .map(|n| n as usize)
}

/// `messages` messages (every `multi_every`-th one of 2–4 parts), `kills`
/// SIGKILLs at random moments `run_ms` apart on average, over `modems`
/// simulated modems answering after `latency_ms`.
fn chaos(
    messages: usize,
    multi_every: usize,
    kills: usize,
    run_ms: u64,
    modems: usize,
    latency_ms: u64,
) -> Figures {
    let started = Instant::now();
    let s = Sim::start(modems, latency_ms);
    let config = write_config(s.dir.path(), free_port(), "");
    let db = s.dir.path().join("db.sqlite");
    let mut g = Gateway::start(&config);
    g.wait_ready_modems(modems);
    let plan: Vec<usize> = (0..messages)
        .map(|i| {
            if i % multi_every == 0 {
                2 + i / multi_every % 3
            } else {
                1
            }
        })
        .collect();
    for chunk in (0..messages).collect::<Vec<_>>().chunks(500) {
        let items: Vec<Value> = chunk
            .iter()
            .map(|&i| json!({"to": recipient(i), "text": text(i, plan[i])}))
            .collect();
        let (code, r) = g.call("POST", "/v1/messages/batch", Some(json!({"messages": items})));
        assert_eq!(code, 202, "{r}");
    }
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut done = 0;
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(run_ms / 2 + rng.below(run_ms)));
        g.kill9();
        done += 1;
        eprintln!(
            "kill {done} at {:.1} s: {} parts at the network, {:?} to settle",
            started.elapsed().as_secs_f64(),
            s.ledger().len(),
            settled(&db)
        );
        if settled(&db) == Some(0) {
            break;
        }
        g = Gateway::start(&g.config);
        working(&g, modems);
    }
    if g.proc.is_none() {
        g = Gateway::start(&g.config);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while settled(&db) != Some(0) {
        assert!(
            Instant::now() < deadline,
            "messages did not settle: {:?}",
            g.call("GET", "/v1/status", None)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Reports may still be arriving; what matters is what reached the network.
    let ledger = s.ledger();
    drop(g);

    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<(i64, String, i64, String)> = conn
        .prepare("SELECT id, recipient, segments, status FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut unknown_parts: HashMap<i64, BTreeSet<u8>> = HashMap::new();
    for (id, seq) in conn
        .prepare("SELECT message_id, seq FROM message_parts WHERE status = 'unknown'")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(Result::unwrap)
    {
        unknown_parts.entry(id).or_default().insert(seq as u8);
    }
    let resumed: i64 = conn
        .query_row(
            "SELECT count(DISTINCT message_id) FROM message_events WHERE reason LIKE '% with reference %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Ledger by recipient: (modem, reference, seq) of each part.
    let mut sent: BTreeMap<String, Vec<(u64, u64, u8)>> = BTreeMap::new();
    for e in &ledger {
        let to = tail(e["recipient"].as_str().unwrap_or(""));
        let (r, seq) = match e["concat"].as_array() {
            Some(c) => (c[0].as_u64().unwrap_or(0), c[2].as_u64().unwrap_or(0) as u8),
            None => (0, 1),
        };
        sent.entry(to)
            .or_default()
            .push((e["modem"].as_u64().unwrap_or(0), r, seq));
    }
    assert_eq!(rows.len(), messages);
    let mut f = Figures {
        messages,
        multi_part: plan.iter().filter(|&&p| p > 1).count(),
        kills: done,
        resumed: resumed as usize,
        ..Figures::default()
    };
    for (id, to, segments, status) in &rows {
        let parts = sent.get(&tail(to)).cloned().unwrap_or_default();
        let seqs: BTreeSet<u8> = parts.iter().map(|p| p.2).collect();
        f.duplicated_parts += parts.len() - seqs.len();
        if parts.iter().any(|p| (p.0, p.1) != (parts[0].0, parts[0].1)) {
            f.split += 1;
        }
        let all = seqs.len() == *segments as usize;
        match status.as_str() {
            "sent" | "delivered" if !all => f.lost += 1,
            "sent" | "delivered" => {}
            "unknown" => {
                f.unknown += 1;
                f.unknown_multi_part += usize::from(*segments > 1);
                f.unknown_none_at_network += usize::from(seqs.is_empty());
            }
            _ => f.lost += 1,
        }
        if !seqs.is_empty() && !all {
            let missing: BTreeSet<u8> = (1..=*segments as u8).filter(|p| !seqs.contains(p)).collect();
            let in_flight = unknown_parts.get(id).cloned().unwrap_or_default();
            if missing.is_subset(&in_flight) {
                f.partial_lost_in_flight += 1;
            } else {
                f.left_partial += 1;
                eprintln!(
                    "left partial: message {id} ({status}) {segments} parts, went {seqs:?}, in flight {in_flight:?}"
                );
            }
        }
    }
    f.secs = started.elapsed().as_secs_f64();
    f
}

fn print(f: &Figures) {
    println!(
        "chaos: messages {} ({} multi-part), kills {}, lost {}, duplicated parts {}, unknown {} ({} multi-part, {} with nothing at the network), left partial {} (plus {} whose part in flight was itself lost), resumed after a kill {}, split across SIMs {}, {:.0} s",
        f.messages,
        f.multi_part,
        f.kills,
        f.lost,
        f.duplicated_parts,
        f.unknown,
        f.unknown_multi_part,
        f.unknown_none_at_network,
        f.left_partial,
        f.partial_lost_in_flight,
        f.resumed,
        f.split,
        f.secs
    );
}

#[test]
fn kill_9_during_long_messages_leaves_none_partial_lost_or_repeated() {
    // Every message is long (2–4 parts), so the kills land inside them.
    let f = chaos(300, 1, 6, 600, 4, 50);
    print(&f);
    assert_eq!(f.kills, 6, "the run ended before the kills: {f:?}");
    assert_eq!((f.lost, f.duplicated_parts, f.split), (0, 0, 0), "{f:?}");
    assert_eq!(f.left_partial, 0, "{f:?}");
    // At most the message in flight on each modem at each kill.
    assert!(f.unknown <= f.kills * 4, "{f:?}");
    assert!(f.resumed > 0, "no kill landed inside a long message: {f:?}");
}

#[test]
#[ignore = "the issue's full chaos run: a few minutes; run with --ignored --nocapture for its figures"]
fn chaos_run_like_issue_10() {
    let f = chaos(2_000, 3, 20, 600, 4, 60);
    print(&f);
    assert_eq!(f.kills, 20, "the run ended before the kills: {f:?}");
    assert_eq!(
        (f.lost, f.duplicated_parts, f.split, f.left_partial),
        (0, 0, 0, 0),
        "{f:?}"
    );
}

#[test]
fn cms_error_on_part_3_of_4_through_the_control_api_is_retried_on_the_same_sim() {
    // Three refusals: more than a few quick retries would survive; the
    // daemon's own backoff (2 s, 4 s, 8 s) waits them out.
    let s = Sim::start(2, 20);
    for m in 0..2 {
        let f = s.post(
            &format!("/modems/{m}/faults"),
            json!({"part_fault": {"part": 3, "times": 3}}),
        );
        assert_eq!(
            f["part_fault"],
            json!({"part": 3, "times": 3, "code": 500, "unanswered": false})
        );
    }
    let config = write_config(s.dir.path(), free_port(), "");
    let g = Gateway::start(&config);
    g.wait_ready_modems(2);
    let to = recipient(999_999);
    let (code, r) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": to, "text": text(7, 4)})),
    );
    assert_eq!(code, 202, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let m = loop {
        let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
        if m["status"] != "queued" && m["status"] != "sending" && m["status"] != "scheduled" {
            break m;
        }
        assert!(Instant::now() < deadline, "not settled: {m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(m["status"], "sent", "{m}");
    let parts: Vec<(u64, u64, u64)> = s
        .ledger()
        .iter()
        .filter(|e| tail(e["recipient"].as_str().unwrap_or("")) == tail(&to))
        .map(|e| {
            (
                e["modem"].as_u64().unwrap(),
                e["concat"][0].as_u64().unwrap(),
                e["concat"][2].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts.len(), 4, "{parts:?}");
    assert!(
        parts.iter().all(|p| (p.0, p.1) == (parts[0].0, parts[0].1)),
        "{parts:?}"
    );
    let mut seqs: Vec<u64> = parts.iter().map(|p| p.2).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let history = m["history"].to_string();
    assert!(history.contains("part 3 of 4 not sent"), "{history}");
}

#[test]
fn sigterm_mid_long_message_stops_between_parts_and_the_restart_sends_the_rest() {
    let s = Sim::start(1, 300);
    let config = write_config(s.dir.path(), free_port(), "");
    let db = s.dir.path().join("db.sqlite");
    let mut g = Gateway::start(&config);
    g.wait_ready_modems(1);
    let to = recipient(888_888);
    let (code, r) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": to, "text": text(8, 6)})),
    );
    assert_eq!(code, 202, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.ledger().len() < 2 {
        assert!(Instant::now() < deadline, "parts did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut child = g.proc.take().unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    // It stopped between parts: the rest waits, on disk, for the same SIM.
    let at_stop = s.ledger().len();
    assert!(at_stop < 6, "it sent the whole message before stopping");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (status, pinned): (String, Option<String>) = conn
        .query_row(
            "SELECT status, pinned_imsi FROM messages WHERE id = ?1",
            [id.parse::<i64>().unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "queued");
    assert!(pinned.is_some());
    drop(conn);
    let g = Gateway::start(&config);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
        if m["status"] == "sent" {
            break;
        }
        assert!(Instant::now() < deadline, "not sent: {m}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut seqs: Vec<(u64, u64)> = s
        .ledger()
        .iter()
        .map(|e| (e["concat"][0].as_u64().unwrap(), e["concat"][2].as_u64().unwrap()))
        .collect();
    seqs.sort_unstable();
    let r = seqs[0].0;
    assert_eq!(seqs, (1..=6).map(|k| (r, k)).collect::<Vec<_>>());
}
