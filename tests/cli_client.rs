//! The command line a new user meets, with the real binaries: `config
//! check`, `messages`, `inbox`, `send` to an opted-out number, and the
//! demo following everything that happens, the user's own sends included.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::gateway::{Gateway, free_port, write_config};
use common::{Sim, http};
use serde_json::json;

fn simfleet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn config_check_says_ok_or_names_the_key_without_starting_anything() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "[storage]\npath = \"{d}/db\"\n[[modem]]\nport = \"/dev/simfleet/*\"\ndaily_limit = 100\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    let out = simfleet(&["config", "check", good.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("OK") && text.contains("/dev/simfleet/*") && text.contains("100/day"),
        "{text}"
    );
    assert!(
        !dir.path().join("db").exists(),
        "config check opened the database"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[sending]\nmax_attempts = 0\n").unwrap();
    let out = simfleet(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sending.max_attempts"), "{err}");

    // The files it names are checked as `serve` would: a token file others
    // can read, a key that is not the certificate's.
    let token = dir.path().join("token");
    std::fs::write(&token, "t".repeat(40)).unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let with_token = dir.path().join("token.toml");
    std::fs::write(
        &with_token,
        format!("[api]\ntoken_file = \"{}\"\n", token.display()),
    )
    .unwrap();
    let out = simfleet(&["config", "check", with_token.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("api.token_file") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let pki = common::tls::ca_and_cert(dir.path());
    let tls = dir.path().join("tls.toml");
    std::fs::write(
        &tls,
        format!(
            "[api]\ntoken_file = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
            token.display(),
            pki.cert.display(),
            pki.ca.display()
        ),
    )
    .unwrap();
    let out = simfleet(&["config", "check", tls.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("tls_key"));
}

#[test]
fn messages_inbox_and_send_to_an_opted_out_number() {
    let s = Sim::start(1, 20);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let config = g.config.to_str().unwrap().to_string();
    let (code, _) = g.call("POST", "/v1/optouts", Some(json!({"number": "+79167654321"})));
    assert!(code == 200 || code == 201, "{code}");
    let out = simfleet(&[
        "send",
        "--config",
        &config,
        "--to",
        "+79167654321",
        "--text",
        "promo",
    ]);
    assert!(!out.status.success(), "send to an opted-out number exited 0");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not sent") && err.contains("opted out"), "{err}");

    let out = simfleet(&[
        "send",
        "--config",
        &config,
        "--to",
        "+79161234567",
        "--text",
        "hello",
        "--wait",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = simfleet(&["messages", "--config", &config]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.lines()
            .any(|l| l.contains("suppressed") && l.contains("+79167654321")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("sent") && l.contains("+79161234567")),
        "{text}"
    );
    let out = simfleet(&["messages", "--config", &config, "--status", "suppressed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");

    http(
        "POST",
        &format!("{}/modems/0/sms", s.control),
        None,
        Some(json!({"from": "+79161234567", "text": "Thanks, see you"})),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = simfleet(&["inbox", "--config", &config]);
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("Thanks, see you") {
            assert!(text.contains("+79161234567"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "reply never listed: {text}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_demo_prints_its_config_and_follows_the_users_own_sends_and_stops() {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args([
            "demo",
            "--modems",
            "2",
            "--latency-ms",
            "50",
            "--port",
            &free_port().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = demo.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut until = |want: &dyn Fn(&str) -> bool, what: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no {what} in the demo's output:\n{}", seen.join("\n")),
            }
        }
    };
    let value = |line: &str| line.split_whitespace().nth(1).unwrap_or_default().to_string();
    let base = value(&until(&|l| l.trim_start().starts_with("API "), "API line"));
    let token = value(&until(&|l| l.trim_start().starts_with("token "), "token line"));
    let config = value(&until(&|l| l.trim_start().starts_with("config "), "config line"));
    let control = value(&until(
        &|l| l.trim_start().starts_with("simulator "),
        "simulator line",
    ));
    assert!(std::path::Path::new(&config).exists(), "{config}");
    let out = simfleet(&["status", "--config", &config]);
    assert!(
        out.status.success(),
        "status against the demo's config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let create = until(&|l| l.contains("simfleet campaign create"), "campaign line");
    let ledger_hint = until(&|l| l.contains("/ledger"), "where to read a promo code");
    assert!(
        ledger_hint.contains(&format!("{control}/ledger")),
        "{ledger_hint}"
    );
    let reminder = until(&|l| l.contains("Cart reminder"), "the cart reminder");
    assert!(
        reminder.contains(r#""kind": "marketing""#),
        "a cart reminder is marketing: {reminder}"
    );
    until(&|l| l.contains("All samples delivered"), "settled line");

    // The sample campaign, as printed: created from its file and started
    // over the demo's six contacts who opted in.
    let file = create.split_whitespace().nth(3).unwrap_or_default().to_string();
    let out = simfleet(&["campaign", "create", &file, "--config", &config]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = simfleet(&["campaign", "start", "1", "--config", &config]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, c) = http("GET", &format!("{base}/v1/campaigns/1"), Some(&token), None);
    assert_eq!(c["figures"]["overall"]["audience"], 6, "{c}");
    // Its calls are counted on the first SIM: the printed call is the campaign's.
    let (_, modems) = http("GET", &format!("{control}/modems"), None, None);
    let first_sim = modems[0]["profile"]["imsi"].as_str().unwrap_or("?").to_string();
    assert_eq!(c["call_tracking"]["sim"], first_sim.as_str(), "{c}");
    http(
        "POST",
        &format!("{control}/call"),
        None,
        Some(json!({"modem": 0, "from": "+79161234567"})),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, calls) = http("GET", &format!("{base}/v1/calls?campaign=1"), Some(&token), None);
        if calls["calls"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "the demo's call not counted: {calls}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The user's own send, as curl would: shown queued, sending, sent…
    let (_, m) = http(
        "POST",
        &format!("{base}/v1/messages"),
        Some(&token),
        Some(json!({"to": "+79990001122", "text": "mine"})),
    );
    let id = m["id"].as_str().unwrap().to_string();
    until(
        &|l| l.starts_with("message") && l.contains(&format!("#{id} ")) && l.contains("delivered"),
        "delivery of the user's own message",
    );
    // A STOP through the simulated network.
    http(
        "POST",
        &format!("{control}/modems/0/sms"),
        None,
        Some(json!({"from": "+79990001122", "text": "STOP"})),
    );
    until(
        &|l| l.starts_with("reply") && l.contains("+79990001122") && l.contains("[optout]"),
        "the STOP",
    );
    let _ = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while demo.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "demo did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `simfleet <args>`, its stdout and stderr lines on one channel
/// (`"out: …"`, `"err: …"`); killed on drop.
fn follow(args: &[&str]) -> (common::gateway::Proc, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(format!("out: {l}"));
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(format!("err: {l}"));
        }
    });
    (common::gateway::Proc(child), rx)
}

/// Lines from `rx` until one satisfies `want` (returned with all seen), within `secs`.
fn until(rx: &mpsc::Receiver<String>, secs: u64, want: impl Fn(&str) -> bool) -> (bool, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(l) => {
                let hit = want(&l);
                seen.push(l);
                if hit {
                    return (true, seen);
                }
            }
            Err(_) => break,
        }
    }
    (false, seen)
}

#[test]
fn watching_survives_a_daemon_restart_and_shows_control_characters_escaped() {
    let s = Sim::start(1, 20);
    let mut g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    g.wait_ready_modems(1);
    let config = g.config.to_str().unwrap().to_string();
    let (_inbox, inbox) = follow(&["inbox", "--watch", "--config", &config]);
    let (_messages, messages) = follow(&["messages", "--watch", "--config", &config]);
    for rx in [&inbox, &messages] {
        let (ok, seen) = until(rx, 20, |l| l.contains("-- following"));
        assert!(ok, "{seen:?}");
    }

    g.kill9();
    for rx in [&inbox, &messages] {
        let (ok, seen) = until(rx, 20, |l| l.starts_with("err: cannot reach the gateway"));
        assert!(ok, "watcher did not say the gateway is gone: {seen:?}");
    }
    // Down for a while: said once, not once per try.
    std::thread::sleep(Duration::from_secs(3));
    let g = Gateway::start(&g.config.clone());
    g.wait_ready_modems(1);

    http(
        "POST",
        &format!("{}/modems/0/sms", s.control),
        None,
        Some(
            json!({"from": "+79161234567", "text": "\u{1b}[2J\u{1b}]52;c;cm0gLXJm\u{7}after restart\u{202e}"}),
        ),
    );
    let (ok, seen) = until(&inbox, 30, |l| l.contains("after restart"));
    assert!(ok, "inbox --watch stopped following: {seen:?}");
    let gone = seen.iter().filter(|l| l.contains("cannot reach")).count();
    assert_eq!(gone, 0, "said more than once: {seen:?}");
    let line = seen.last().unwrap();
    assert!(
        line.contains("\\e[2J\\e]52;c;cm0gLXJm\\x07after restart\\u{202e}"),
        "{line:?}"
    );
    assert!(!line.contains('\u{1b}') && !line.contains('\u{202e}'), "{line:?}");

    let (code, sent) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "hi"})),
    );
    assert!(code == 200 || code == 201 || code == 202, "{code} {sent}");
    let id = sent["id"].as_str().unwrap().to_string();
    let (ok, seen) = until(&messages, 30, |l| l.contains(&format!("#{id}")));
    assert!(ok, "messages --watch stopped following: {seen:?}");
    let gone = seen.iter().filter(|l| l.contains("cannot reach")).count();
    assert_eq!(gone, 0, "said more than once: {seen:?}");
}
