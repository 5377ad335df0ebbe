//! The systemd unit verifies and scores "OK" or better with
//! `systemd-analyze` (a test reported as ignored by `cargo test`, since it
//! needs that tool; `.ci/run` runs it), it sets the limits the daemon's
//! own caps rely on, and the daemon speaks the notify
//! protocol the unit relies on: READY once the API listens, WATCHDOG while
//! healthy, STOPPING on SIGTERM.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Proc, free_port, write_config};

const UNIT: &str = include_str!("../systemd/simfleet.service");

fn systemd_analyze() -> bool {
    Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The unit with ExecStart pointing at the binary under test.
fn unit_here(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("simfleet.service");
    std::fs::write(
        &path,
        UNIT.replace("/usr/bin/simfleet", env!("CARGO_BIN_EXE_simfleet")),
    )
    .unwrap();
    path
}

#[test]
#[ignore = "needs systemd-analyze (apt-get install systemd); .ci/run runs this with --ignored"]
fn the_unit_verifies_and_is_rated_ok_or_better() {
    assert!(
        systemd_analyze(),
        "systemd-analyze is not installed (apt-get install systemd)"
    );
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_here(dir.path());
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("simfleet.service"),
        "verify complained: {stderr}"
    );

    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no rating in {text}"));
    let rating = line.split(':').nth(1).unwrap().trim();
    let score: f64 = rating.split_whitespace().next().unwrap().parse().unwrap();
    assert!(score < 4.0, "{line}");
    let word = rating.split_whitespace().nth(1).unwrap();
    assert!(["OK", "SAFE", "PERFECT"].contains(&word), "{line}");
}

#[test]
fn the_unit_spells_out_what_the_daemon_needs_and_its_limits() {
    for key in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "SupplementaryGroups=dialout",
        "StateDirectory=simfleet",
        "ConfigurationDirectory=simfleet",
        "UMask=0077",
        "DevicePolicy=closed",
        "DeviceAllow=char-ttyUSB rw",
        "DeviceAllow=char-ttyACM rw",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "MemoryHigh=",
        "MemoryMax=",
    ] {
        assert!(UNIT.lines().any(|l| l.starts_with(key)), "missing {key}");
    }
    // The open-file limit leaves room for the API's connection cap (256 by
    // default) above what the daemon keeps for modems and the database.
    let nofile: u64 = UNIT
        .lines()
        .find_map(|l| l.strip_prefix("LimitNOFILE="))
        .expect("LimitNOFILE set")
        .parse()
        .unwrap();
    assert!(
        nofile >= 256 + simfleet::gateway::http::RESERVED_FDS,
        "LimitNOFILE={nofile}"
    );
}

fn recv_until(sock: &UnixDatagram, want: &str, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        sock.set_read_timeout(Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        ))
        .unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                let done = msg.lines().any(|l| l == want);
                got.push(msg);
                if done {
                    return got;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no {want} within {within:?}; got {got:?}");
}

#[test]
fn the_daemon_notifies_ready_feeds_the_watchdog_and_says_stopping() {
    let s = Sim::start(1, 5);
    let config = write_config(s.dir.path(), free_port(), "");
    let socket_path = s.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket_path).unwrap();
    // systemd names the watched process: the shell's pid, kept by exec.
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "WATCHDOG_PID=$$ exec '{}' serve --config '{}'",
            env!("CARGO_BIN_EXE_simfleet"),
            config.display()
        ))
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let mut child = Proc(child);
    let ready = recv_until(&sock, "READY=1", Duration::from_secs(20));
    assert!(
        ready.iter().any(|m| m.contains("STATUS=API on 127.0.0.1:")),
        "{ready:?}"
    );
    // Fed every 200 ms while the store answers.
    let t = Instant::now();
    recv_until(&sock, "WATCHDOG=1", Duration::from_secs(2));
    recv_until(&sock, "WATCHDOG=1", Duration::from_secs(2));
    assert!(t.elapsed() < Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status();
    recv_until(&sock, "STOPPING=1", Duration::from_secs(10));
    assert!(child.0.wait().unwrap().success());
}
