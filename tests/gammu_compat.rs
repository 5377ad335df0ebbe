//! A real client against the simulator: gammu, unchanged, must identify
//! every simulated vendor and send through it. Needs gammu
//! (`apt-get install gammu`), so `cargo test` reports it as ignored with
//! that reason; `.ci/run` installs gammu and runs it with `--ignored`,
//! where a missing gammu is a failure, not a pass.

mod common;

use std::process::{Command, Stdio};

use common::Sim;
use serde_json::Value;

fn gammu_available() -> bool {
    Command::new("gammu")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
#[ignore = "needs gammu (apt-get install gammu); .ci/run installs it and runs this with --ignored"]
fn gammu_identifies_and_sends_through_every_vendor_profile() {
    assert!(
        gammu_available(),
        "gammu is not installed (apt-get install gammu): the simulator cannot be checked against it"
    );
    let sim = Sim::start(4, 20);
    let dir = &sim.dir;

    for i in 0..4 {
        let rc = dir.path().join(format!("gammurc{i}"));
        std::fs::write(
            &rc,
            format!("[gammu]\ndevice = {}\nconnection = at\n", sim.paths[i].display()),
        )
        .unwrap();
        let out = Command::new("gammu")
            .arg("-c")
            .arg(&rc)
            .arg("--identify")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "modem{i}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("IMEI"), "modem{i}: {text}");

        let out = Command::new("gammu")
            .arg("-c")
            .arg(&rc)
            .args([
                "sendsms",
                "TEXT",
                "+79161234567",
                "-unicode",
                "-text",
                &format!("Привет от gammu {i}"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "modem{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let ledger = Value::Array(sim.ledger());
    let texts: Vec<(u64, String)> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["modem"].as_u64().unwrap(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        texts,
        (0..4)
            .map(|i| (i, format!("Привет от gammu {i}")))
            .collect::<Vec<_>>()
    );
}
