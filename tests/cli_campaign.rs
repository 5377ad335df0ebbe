//! `simfleet campaign` as a user runs it against the real daemon over
//! simulated modems: create from a TOML file, start, status, status
//! --watch until the campaign is cancelled; a bad file names its line; a
//! daemon that is down is said so.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::json;

fn simfleet(args: &[&str], config: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn setup() -> (Sim, Gateway, i64) {
    let s = Sim::start(1, 20);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    for (phone, consent) in [
        ("+79160000001", "opted_in"),
        ("+79160000002", "opted_in"),
        ("+79160000003", "none"),
    ] {
        let (code, c) = g.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": phone, "tags": ["vip"],
                "consent": {"status": consent, "source": "web form", "at": "2026-01-02T03:04:05Z"}})),
        );
        assert_eq!(code, 201, "{c}");
    }
    let (code, seg) = g.call(
        "POST",
        "/v1/segments",
        Some(json!({"name": "vips", "filter": {"tag": "vip"}})),
    );
    assert_eq!(code, 201, "{seg}");
    (s, g, seg["id"].as_str().unwrap().parse().unwrap())
}

#[test]
fn create_from_toml_then_start_and_read_status() {
    let (s, g, seg) = setup();
    let later = (chrono::Utc::now() + chrono::Duration::days(200))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let later_toml = later.format("%Y-%m-%dT%H:%M:%SZ");
    let file = s.dir.path().join("black-friday.toml");
    std::fs::write(
        &file,
        format!(
            r#"name = "Black Friday"
# In the future (a start may be at most 366 days away): nothing is
# sent while the test looks.
start_at = {later_toml}
audience = {{ segment = {seg} }}
window = {{ start = "10:00", end = "19:00" }}

[[variants]]
name = "A"
text = "Hi {{{{ name | default('friend') }}}}, -20% today"
weight = 50

[[variants]]
name = "B"
text = "Sale: -20% today"
weight = 50
"#
        ),
    )
    .unwrap();
    let out = simfleet(&["campaign", "create", file.to_str().unwrap()], &g.config);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("campaign 1 \"Black Friday\": draft"), "{stdout}");
    assert!(stdout.contains("2 would receive it now, of 3"), "{stdout}");
    assert!(stdout.contains("simfleet campaign start 1"), "{stdout}");
    let (_, c) = g.call("GET", "/v1/campaigns/1", None);
    assert_eq!(c["window"], json!({"start": "10:00", "end": "19:00"}));
    assert_eq!(c["start_at"], later.format("%Y-%m-%dT%H:%M:%S.000Z").to_string());

    let out = simfleet(&["campaign", "start", "1"], &g.config);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(": scheduled"), "{stdout}");
    assert!(stdout.contains("of 3: 2 pending"), "{stdout}");
    assert!(stdout.contains("1 no consent"), "{stdout}");

    let out = simfleet(&["campaign", "status", "1", "--json"], &g.config);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["progress"]["audience"], 3);

    // The wrong status is said in words, with a failing exit status.
    let out = simfleet(&["campaign", "resume", "1"], &g.config);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("campaign 1 is scheduled"),
        "{}",
        text(&out.stderr)
    );

    // --watch follows until the campaign ends.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["campaign", "status", "1", "--watch", "--config"])
        .arg(&g.config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        watch.try_wait().unwrap().is_none(),
        "--watch ended before the campaign did"
    );
    let out = simfleet(&["campaign", "cancel", "1"], &g.config);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = watch.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = watch.kill();
            panic!("--watch did not end after the campaign was cancelled");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = watch.wait_with_output().unwrap();
    assert!(status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(": cancelled"), "{}", text(&out.stdout));
}

#[test]
fn bad_files_and_a_stopped_daemon_are_said_plainly() {
    let (s, mut g, seg) = setup();
    let bad = s.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\naudience = { segment = 1 }\nvariants = [ { text = \"a\" \n",
    )
    .unwrap();
    let out = simfleet(&["campaign", "create", bad.to_str().unwrap()], &g.config);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("line 3"), "{err}");

    // A file the gateway refuses: its message names the field.
    let refused = s.dir.path().join("refused.json");
    std::fs::write(
        &refused,
        json!({"name": "x", "audience": {"segment": seg}, "variants": [{"text": "{{ oops"}]}).to_string(),
    )
    .unwrap();
    let out = simfleet(&["campaign", "create", refused.to_str().unwrap()], &g.config);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("variants[0].text"), "{err}");

    let missing = s.dir.path().join("nope.toml");
    let out = simfleet(&["campaign", "create", missing.to_str().unwrap()], &g.config);
    assert!(text(&out.stderr).contains("cannot read"), "{}", text(&out.stderr));

    g.kill9();
    let out = simfleet(&["campaign", "status", "1"], &g.config);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is `simfleet serve` running?"),
        "{}",
        text(&out.stderr)
    );
}

/// A started campaign (200 days ahead, the furthest a start may be is 366:
/// nothing is sent) to the setup's segment.
fn started(g: &Gateway, seg: i64) {
    let later = (chrono::Utc::now() + chrono::Duration::days(200)).to_rfc3339();
    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(
            json!({"name": "Later", "audience": {"segment": seg}, "start_at": later,
                    "variants": [{"name": "A", "text": "Sale"}]}),
        ),
    );
    assert_eq!(code, 201, "{c}");
    let (code, c) = g.call("POST", "/v1/campaigns/1/start", None);
    assert_eq!(code, 200, "{c}");
}

#[test]
fn a_closed_stdout_ends_quietly_with_success() {
    let (_s, g, seg) = setup();
    started(&g, seg);
    for args in [
        &["campaign", "status", "1", "--json"][..],
        &["campaign", "status", "1"][..],
        &["campaign", "pause", "1"][..],
        &["campaign", "status", "1", "--watch"][..],
    ] {
        // The reader is gone before the command writes (`… | head -c 0`).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(args)
            .arg("--config")
            .arg(&g.config)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

fn watch(g: &Gateway) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["campaign", "status", "1", "--watch", "--config"])
        .arg(&g.config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_end(mut child: std::process::Child, within: Duration) -> (std::process::ExitStatus, String, String) {
    let deadline = Instant::now() + within;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("--watch did not end");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    (out.status, text(&out.stdout), text(&out.stderr))
}

#[test]
fn watch_without_a_terminal_prints_progress_lines_and_rides_out_a_restart() {
    let (_s, mut g, seg) = setup();
    started(&g, seg);
    let child = watch(&g);
    std::thread::sleep(Duration::from_millis(1500));
    // The daemon restarts (kill -9, then up again on the same database).
    g.kill9();
    std::thread::sleep(Duration::from_millis(2500));
    let g = Gateway::start(&g.config);
    std::thread::sleep(Duration::from_millis(1500));
    let out = simfleet(&["campaign", "cancel", "1"], &g.config);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (status, stdout, stderr) = wait_end(child, Duration::from_secs(20));
    assert!(status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("reconnecting"), "{stderr}");
    // A plain line while it ran, and the final report.
    assert!(
        stdout.contains("campaign 1 scheduled: 33.3% of 3: 2 pending, 0 queued, 0 done, 1 excluded"),
        "{stdout}"
    );
    assert!(stdout.contains("\"Later\": cancelled"), "{stdout}");
}
