//! `simfleet optouts import|export` as a user runs them: CSV in, CSV out,
//! straight on the gateway's database.

use std::process::Command;

use simfleet::phone::Msisdn;
use simfleet::sms::Encoding;
use simfleet::store::{NewMessage, Status, Store};

#[test]
fn import_suppresses_and_export_lists() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = dir.path().join("simfleet.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"{}\"\n[sending]\ndefault_region = \"RU\"\n",
            db.display()
        ),
    )
    .unwrap();
    let store = Store::open(&db).unwrap();
    let queued = store
        .enqueue(
            &NewMessage {
                recipient: Msisdn::from_canonical("+79161234567"),
                text: "promo".into(),
                encoding: Encoding::Gsm7,
                segments: 1,
                status_report: false,
                send_at: None,
                expires_at: None,
                kind: None,
                idempotency_key: None,
                request_hash: String::new(),
            },
            1,
        )
        .unwrap();
    let csv = dir.path().join("list.csv");
    std::fs::write(
        &csv,
        "phone,note\n8 916 123-45-67,paper form\n+7 916 765 43 21,\nnonsense,x\n+79161234567,again\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "import"])
        .arg(&csv)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one line was not a number");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["added"], 2);
    assert_eq!(
        summary["invalid"][0].as_str().unwrap().split(':').next(),
        Some("line 4")
    );
    assert_eq!(
        store.message(queued.id).unwrap().unwrap().0.status,
        Status::Suppressed
    );

    // Again: nothing new.
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "import", "-", "--config"])
        .arg(&config)
        .stdin(std::fs::File::open(&csv).unwrap())
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (summary["added"].as_u64(), summary["already_opted_out"].as_u64()),
        (Some(0), Some(2))
    );

    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "export", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "number,source,keyword,note,at");
    assert!(
        lines[1].starts_with("+79161234567,import,,paper form,20"),
        "{text}"
    );
    assert!(lines[2].starts_with("+79167654321,import,,,"), "{text}");
    assert_eq!(lines.len(), 3);
}
