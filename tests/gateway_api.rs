//! The gateway's HTTP API, served by the real binary (`simfleet serve`)
//! over simulated modems (`simfleet sim`), as a client would use it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::gateway::{Gateway, free_port, ledger, write_config};
use common::{Sim, http};
use serde_json::{Value, json};

#[test]
fn auth_required_everywhere_but_healthz() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    assert_eq!(http("GET", &format!("{}/healthz", g.base), None, None).0, 200);
    for path in ["/v1/messages", "/v1/modems", "/v1/inbox", "/v1/messages/1"] {
        let (code, body) = http("GET", &format!("{}{path}", g.base), None, None);
        assert_eq!(code, 401, "{path}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(
            http("GET", &format!("{}{path}", g.base), Some("wrong"), None).0,
            401
        );
    }
    let (code, _) = http(
        "POST",
        &format!("{}/v1/messages", g.base),
        None,
        Some(json!({"to": "+79161234567", "text": "x"})),
    );
    assert_eq!(code, 401);
}

#[test]
fn send_read_list_cancel_and_errors() {
    let s = Sim::start(2, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(2);
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "8 916 123-45-67", "text": "Привет 👋"})),
    );
    assert_eq!(code, 202, "{m}");
    assert_eq!(
        (m["segments"].as_u64(), m["encoding"].as_str()),
        (Some(1), Some("ucs2"))
    );
    let id = m["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let msg = loop {
        let (_, msg) = g.call("GET", &format!("/v1/messages/{id}"), None);
        if msg["status"] == "sent" || Instant::now() > deadline {
            break msg;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(msg["status"], "sent", "{msg}");
    assert_eq!(msg["to"], "+79161234567");
    assert!(msg["sim"]["imsi"].is_string());
    assert!(msg["sent_at"].is_string());
    let history: Vec<&str> = msg["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["queued", "sending", "sent"]);
    assert!(
        msg["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["reason"].is_string())
    );
    assert_eq!(ledger(&s.control)[0]["text"], "Привет 👋");

    // Scheduled, then cancelled; a sent one cannot be.
    let (_, later) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "later", "send_at": "2099-01-01T00:00:00Z"})),
    );
    assert_eq!(later["status"], "scheduled");
    let lid = later["id"].as_str().unwrap();
    let (code, c) = g.call("DELETE", &format!("/v1/messages/{lid}"), None);
    assert_eq!((code, c["status"].as_str()), (200, Some("cancelled")));
    let (code, c) = g.call("DELETE", &format!("/v1/messages/{id}"), None);
    assert_eq!(
        (code, c["error"]["code"].as_str()),
        (409, Some("not_cancellable"))
    );

    // Listing with a cursor.
    let (_, page) = g.call("GET", "/v1/messages?limit=1", None);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    let next = page["next"].as_str().unwrap();
    let (_, page2) = g.call("GET", &format!("/v1/messages?limit=1&after={next}"), None);
    assert_eq!(page2["messages"][0]["id"], lid);
    let (_, sent) = g.call("GET", "/v1/messages?status=sent", None);
    assert_eq!(sent["messages"].as_array().unwrap().len(), 1);

    // Errors: JSON with a code and the right status.
    let cases = [
        (json!({"to": "12", "text": "x"}), 422, "invalid_number"),
        (json!({"to": "+79161234567", "text": "  "}), 422, "empty_text"),
        (
            json!({"to": "+79161234567", "text": "a".repeat(153 * 255 + 1)}),
            422,
            "too_long",
        ),
        (
            json!({"to": "+79161234567", "txt": "typo"}),
            422,
            "invalid_request",
        ),
        (
            json!({"to": "+79161234567", "text": "x", "send_at": "tomorrow"}),
            422,
            "invalid_send_at",
        ),
    ];
    for (body, status, code) in cases {
        let (got, err) = g.call("POST", "/v1/messages", Some(body.clone()));
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(err["error"]["message"].is_string());
    }
    let raw = |body: &str| g.post_raw("/v1/messages", body.to_string());
    let (code, err) = raw("{not json");
    assert_eq!((code, err["error"]["code"].as_str()), (400, Some("bad_json")));
    let (code, err) = raw(&format!(
        "{{\"to\":\"+79161234567\",\"text\":\"{}\"}}",
        "x".repeat(300_000)
    ));
    assert_eq!(
        (code, err["error"]["code"].as_str()),
        (413, Some("body_too_large"))
    );
    let (code, _) = g.call("GET", "/v1/messages/999999", None);
    assert_eq!(code, 404);
}

#[test]
fn idempotency_key_returns_the_original_or_409() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    let body = json!({"to": "+79161234567", "text": "once", "idempotency_key": "order-1042"});
    let (c1, a) = g.call("POST", "/v1/messages", Some(body.clone()));
    let (c2, b) = g.call("POST", "/v1/messages", Some(body));
    assert_eq!((c1, c2), (202, 202));
    assert_eq!(a["id"], b["id"]);
    let (c3, e) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "twice?", "idempotency_key": "order-1042"})),
    );
    assert_eq!(
        (c3, e["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(ledger(&s.control).len(), 1);
}

/// Found by an outside trial and kept: 50 identical requests with one
/// idempotency key, all at once, create exactly one message (each answer
/// names it) and one send.
#[test]
fn fifty_concurrent_identical_idempotent_requests_create_one_message() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let body = json!({"to": "+79161234567", "text": "exactly once", "idempotency_key": "race-50"});
    let barrier = std::sync::Barrier::new(50);
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (g, body, barrier) = (&g, body.clone(), &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    g.call("POST", "/v1/messages", Some(body))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(code, a)| {
            assert_eq!(*code, 202, "{a}");
            a["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let (_, page) = g.call("GET", "/v1/messages?limit=1000", None);
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while ledger(&s.control).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ledger(&s.control).len(), 1);
}

#[test]
fn batch_items_are_answered_in_order() {
    let s = Sim::start(2, 5);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    let mut items: Vec<Value> = (0..1000)
        .map(|i| json!({"to": format!("+7916{:07}", 1_000_000 + i), "text": format!("batch {i}")}))
        .collect();
    items[3] = json!({"to": "bad", "text": "x"});
    items[7] = json!({"to": "+79161234567"});
    let (code, r) = g.call("POST", "/v1/messages/batch", Some(json!({"messages": items})));
    assert_eq!(code, 202);
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    assert_eq!(results[3]["error"]["code"], "invalid_number");
    assert_eq!(results[7]["error"]["code"], "invalid_request");
    assert_eq!(results.iter().filter(|x| x["id"].is_string()).count(), 998);
    assert_eq!(results[0]["status"], "queued");
}

#[test]
fn a_batch_that_is_not_whole_stores_nothing() {
    let s = Sim::start(1, 5);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    let post = |body: String| g.post_raw("/v1/messages/batch", body);
    let item = |i: usize| format!(r#"{{"to":"+7916{:07}","text":"n {i}"}}"#, 1_000_000 + i);
    // Good items, then the body breaks off.
    let items: Vec<String> = (0..50).map(item).collect();
    let (code, err) = post(format!(r#"{{"messages":[{},{{"to""#, items.join(",")));
    assert_eq!((code, err["error"]["code"].as_str()), (400, Some("bad_json")));
    // Good items, then an unknown top-level field.
    let (code, err) = post(format!(r#"{{"messages":[{}],"extra":1}}"#, items.join(",")));
    assert_eq!(
        (code, err["error"]["code"].as_str()),
        (422, Some("invalid_request"))
    );
    // One item over the limit.
    let many: Vec<String> = (0..100_001).map(item).collect();
    let (code, err) = post(format!(r#"{{"messages":[{}]}}"#, many.join(",")));
    assert_eq!(
        (code, err["error"]["code"].as_str()),
        (413, Some("batch_too_large"))
    );
    let (_, page) = g.call("GET", "/v1/messages?limit=10", None);
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "{page}");
    // The same good items as a whole batch are stored.
    let (code, r) = post(format!(r#"{{"messages":[{}]}}"#, items.join(",")));
    assert_eq!(code, 202);
    assert_eq!(r["results"].as_array().unwrap().len(), 50);
}

#[test]
fn modems_and_inbox() {
    let s = Sim::start(2, 5);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), "daily_limit = 100\n"));
    g.wait_ready_modems(2);
    let (_, modems) = g.call("GET", "/v1/modems", None);
    let m = &modems[0];
    for key in [
        "id",
        "port",
        "state",
        "manufacturer",
        "model",
        "imei",
        "imsi",
        "iccid",
        "operator",
        "signal_dbm",
        "sent_today",
        "daily_limit",
        "last_error",
    ] {
        assert!(m.get(key).is_some(), "missing {key}: {m}");
    }
    assert_eq!(m["daily_limit"], 100);
    http(
        "POST",
        &format!("{}/modems/1/sms", s.control),
        None,
        Some(json!({"from": "+79990001122", "text": "Спасибо!"})),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, inbox) = g.call("GET", "/v1/inbox", None);
        if let Some(first) = inbox["messages"].as_array().and_then(|a| a.first()) {
            assert_eq!(first["from"], "+79990001122");
            assert_eq!(first["text"], "Спасибо!");
            assert!(first["received_at"].is_string() && first["imsi"].is_string());
            break;
        }
        assert!(Instant::now() < deadline, "reply never reached the inbox");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Stored before it was deleted from the SIM.
    std::thread::sleep(Duration::from_millis(300));
    let (_, sims) = http("GET", &format!("{}/modems", s.control), None, None);
    assert_eq!(sims[1]["stored"], 0);
}

#[test]
fn bad_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[sending]\nmax_attempts = 0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sending.max_attempts") && err.contains("at least 1"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["serve", "--config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn kill_9_mid_run_then_restart_sends_each_message_at_most_once_and_loses_none() {
    let s = Sim::start(4, 40);
    let config = write_config(s.dir.path(), free_port(), "");
    let mut g = Gateway::start(&config);
    g.wait_ready_modems(4);
    let items: Vec<Value> = (0..200)
        .map(|i| json!({"to": format!("+7916{:07}", 2_000_000 + i), "text": format!("durable {i}")}))
        .collect();
    let (code, r) = g.call("POST", "/v1/messages/batch", Some(json!({"messages": items})));
    assert_eq!(code, 202);
    let ids: Vec<String> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    // Let some go out, then pull the plug.
    std::thread::sleep(Duration::from_millis(600));
    g.kill9();
    let sent_before = ledger(&s.control).len();
    assert!(
        sent_before > 0 && sent_before < 200,
        "kill landed at {sent_before}"
    );

    let g = Gateway::start(&g.config);
    let deadline = Instant::now() + Duration::from_secs(60);
    let statuses = loop {
        let statuses: Vec<String> = ids
            .iter()
            .map(|id| {
                g.call("GET", &format!("/v1/messages/{id}"), None).1["status"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        if statuses.iter().all(|s| s == "sent" || s == "unknown") || Instant::now() > deadline {
            break statuses;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let entries = ledger(&s.control);
    for (i, status) in statuses.iter().enumerate() {
        let copies = entries
            .iter()
            .filter(|e| e["text"] == format!("durable {i}"))
            .count();
        match status.as_str() {
            "sent" => assert_eq!(copies, 1, "message {i} sent {copies} times"),
            "unknown" => assert!(copies <= 1, "unknown message {i} sent {copies} times"),
            other => panic!("message {i} ended {other}: lost"),
        }
    }
    let unknown = statuses.iter().filter(|s| *s == "unknown").count();
    assert!(unknown <= 4, "{unknown} unknown: at most one in flight per modem");
    // Nothing else reached the network.
    assert!(
        entries
            .iter()
            .all(|e| e["text"].as_str().is_some_and(|t| t.starts_with("durable ")))
    );
    assert!(entries.len() <= 200);
}

#[test]
fn send_wait_follows_to_delivered_and_status_and_metrics_show_it() {
    let s = Sim::start(2, 20);
    let config = write_config(s.dir.path(), free_port(), "daily_limit = 50\n");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("status_reports = false", "status_reports = true");
    std::fs::write(&config, text).unwrap();
    let g = Gateway::start(&config);
    g.wait_ready_modems(2);
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args([
            "send",
            "--to",
            "8 916 555-12-34",
            "--text",
            "Ваш код: 4821",
            "--wait",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{progress}");
    let accepted: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(accepted["status"], "queued");
    for step in ["queued", "sending", "sent", "delivered"] {
        assert!(progress.contains(step), "missing {step}: {progress}");
    }
    let (_, m) = g.call(
        "GET",
        &format!("/v1/messages/{}", accepted["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(m["status"], "delivered");
    assert!(m["delivered_at"].is_string());

    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["status", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("ready") && text.contains("MTS RUS") && text.contains("/50"),
        "{text}"
    );
    assert!(text.contains("delivered 1"), "{text}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let metrics = rt.block_on(async {
        simfleet::tls::http_client()
            .build()
            .unwrap()
            .get(format!("{}/metrics", g.base))
            .bearer_auth(&g.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    for needle in [
        "simfleet_messages{status=\"delivered\"} 1",
        "simfleet_sim_sent_segments_total{imsi=",
        "simfleet_modem_state{",
        "simfleet_send_duration_seconds_count 1",
    ] {
        assert!(metrics.contains(needle), "missing {needle}:\n{metrics}");
    }
    assert_eq!(http("GET", &format!("{}/metrics", g.base), None, None).0, 401);
}

#[test]
fn sigterm_stops_serve_cleanly_with_exit_0() {
    let s = Sim::start(1, 300);
    let mut g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let (_, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "in flight at SIGTERM"})),
    );
    let id = m["id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(100));
    let mut child = g.proc.take().unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    // The send in flight was let finish: it is in the ledger and the store says sent.
    assert_eq!(ledger(&s.control).len(), 1);
    let g = Gateway::start(&g.config);
    let (_, m) = g.call("GET", &format!("/v1/messages/{id}"), None);
    assert_eq!(m["status"], "sent", "{m}");
}

#[test]
fn a_second_daemon_on_the_same_database_exits_2_and_recovers_nothing() {
    // Sends take 3 s, so the first daemon has one in flight when the second starts.
    let s = Sim::start(1, 3000);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let (code, m) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "in flight"})),
    );
    assert_eq!(code, 202, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while g.call("GET", &format!("/v1/messages/{id}"), None).1["status"] != "sending" {
        assert!(Instant::now() < deadline, "never sending");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The same database, another API port.
    let other = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&g.config).unwrap().replace(
        g.base.trim_start_matches("http://"),
        &format!("127.0.0.1:{}", free_port()),
    );
    let second = other.path().join("second.toml");
    std::fs::write(&second, text).unwrap();
    let mut child = common::gateway::Proc(
        Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(["serve", "--config"])
            .arg(&second)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.0.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, Some(2), "the second daemon kept running: {stderr}");
    let pid = g.proc.as_ref().unwrap().0.id();
    let db = s.dir.path().join("db.sqlite");
    assert!(
        stderr.contains(&format!(
            "database {} is in use by simfleet (pid {pid})",
            db.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("gateway ready"), "{stderr}");

    // Short commands still work beside the daemon.
    let export = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "export", "--config"])
        .arg(&g.config)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let status = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["status", "--config"])
        .arg(&g.config)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    // The first daemon's message was left alone and went out.
    let deadline = Instant::now() + Duration::from_secs(15);
    let msg = loop {
        let (_, msg) = g.call("GET", &format!("/v1/messages/{id}"), None);
        if msg["status"] != "sending" || Instant::now() > deadline {
            break msg;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(msg["status"], "sent", "{msg}");
    let statuses: Vec<&str> = msg["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "sending", "sent"], "{msg}");
}

#[test]
fn what_is_wrong_with_each_port_is_logged_once_in_words() {
    let s = Sim::start(2, 10);
    // Modem 1 is a "mute" port: it never answers AT.
    s.post("/modems/1/faults", json!({"hang": true}));
    let d = s.dir.path();
    std::fs::write(d.join("notes.txt"), "not a modem").unwrap();
    let extra = format!(
        "[[modem]]\nport = \"{d}/usb/ttyACM*\"\n[[modem]]\nport = \"/dev/null\"\n[[modem]]\nport = \"{d}/notes.txt\"\n",
        d = d.display()
    );
    let log_path = d.join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let g = Gateway::start_with_stderr(&write_config(d, free_port(), &extra), log.into());
    // The mute port's first attempt gives up after ~12 s of unanswered ATs;
    // the others are retried meanwhile (1, 2, 4, 8 s).
    let deadline = Instant::now() + Duration::from_secs(40);
    let modems = loop {
        let (_, v) = g.call("GET", "/v1/modems", None);
        let mute = v
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["port"] == s.paths[1].display().to_string())
            .cloned();
        if mute.is_some_and(|m| {
            m["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("does not answer AT"))
        }) {
            break v;
        }
        assert!(Instant::now() < deadline, "the mute port never said so: {v}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let by_port = |port: &str| {
        modems
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["port"] == port)
            .cloned()
            .unwrap_or_else(|| panic!("no modem {port}: {modems}"))
    };
    let null = by_port("/dev/null");
    assert_eq!(null["state"], "failed", "{null}");
    assert!(
        null["last_error"].as_str().unwrap().contains("not a serial port"),
        "{null}"
    );
    let file = by_port(&d.join("notes.txt").display().to_string());
    assert_eq!(file["state"], "failed", "{file}");
    assert!(
        file["last_error"].as_str().unwrap().contains("a regular file"),
        "{file}"
    );
    drop(g);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let count = |needle: &str| {
        log.lines()
            .filter(|l| l.contains(needle) && l.contains("WARN"))
            .count()
    };
    assert_eq!(count("no device matches this modem port"), 1, "{log}");
    assert_eq!(
        count("not a serial port: a character device that is not a terminal"),
        1,
        "{log}"
    );
    assert_eq!(count("not a serial port: a regular file"), 1, "{log}");
    assert_eq!(count("does not answer AT"), 1, "{log}");
}

#[test]
fn a_replugged_modem_is_ready_within_2_s() {
    let s = Sim::start(1, 10);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let state = || g.call("GET", "/v1/modems", None).1[0]["state"].clone();
    s.post("/modems/0/unplug", json!({}));
    let deadline = Instant::now() + Duration::from_secs(10);
    while state() == "ready" {
        assert!(Instant::now() < deadline, "unplug not noticed");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Long enough for the reconnect backoff to have grown past 2 s.
    std::thread::sleep(Duration::from_secs(5));
    s.post("/modems/0/replug", json!({}));
    let replugged = Instant::now();
    while state() != "ready" {
        assert!(
            replugged.elapsed() < Duration::from_secs(2),
            "not ready 2 s after the replug: {}",
            g.call("GET", "/v1/modems", None).1
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_sim_reaching_its_daily_limit_is_logged_once_and_waiting_messages_say_why() {
    let s = Sim::start(1, 10);
    let log_path = s.dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let g = Gateway::start_with_stderr(
        &write_config(s.dir.path(), free_port(), "daily_limit = 1\n"),
        log.into(),
    );
    g.wait_ready_modems(1);
    let ids: Vec<String> = (0..3)
        .map(|i| {
            let (code, m) = g.call(
                "POST",
                "/v1/messages",
                Some(json!({"to": format!("+7916480000{i}"), "text": "hi"})),
            );
            assert_eq!(code, 202, "{m}");
            m["id"].as_str().unwrap().to_string()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let waiting = loop {
        let waiting: Vec<Value> = ids
            .iter()
            .map(|id| g.call("GET", &format!("/v1/messages/{id}"), None).1)
            .filter(|m| m["status"] == "queued")
            .collect();
        let said = waiting.len() == 2
            && waiting.iter().all(|m| {
                m["history"].as_array().unwrap().iter().any(|h| {
                    h["reason"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("waiting: no SIM ready: 1 at the daily limit until"))
                })
            });
        if said {
            break waiting;
        }
        assert!(Instant::now() < deadline, "{waiting:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(waiting.len(), 2);
    drop(g);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let count = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(count("SIM reached its daily limit"), 1, "{log}");
}
