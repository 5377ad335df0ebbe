//! `simfleet optouts import|export` as a user runs them: CSV in, CSV out,
//! straight on the gateway's database.

use std::process::Command;

use simfleet::phone::Msisdn;
use simfleet::sms::Encoding;
use simfleet::store::{NewMessage, Status, Store};

/// A config in `dir` for the database at `db`.
fn config_for(dir: &std::path::Path, db: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("simfleet.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"{}\"\n[sending]\ndefault_region = \"RU\"\n",
            db.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn import_suppresses_and_export_lists() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
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
                category: Default::default(),
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

#[test]
fn export_neutralises_formulas_a_stranger_could_plant() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simfleet"));
        cmd.args(args).arg("--config").arg(&config);
        if let Some(input) = stdin {
            let path = dir.path().join("in.csv");
            std::fs::write(&path, input).unwrap();
            cmd.stdin(std::fs::File::open(path).unwrap());
        }
        cmd.output().unwrap()
    };
    let planted = "number,note\n+79161234567,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"\n+79167654321,@SUM(1+1)\n";
    assert!(run(&["optouts", "import", "-"], Some(planted)).status.success());
    let out = run(&["optouts", "export"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let notes: Vec<(String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[3].to_string())
        })
        .collect();
    assert_eq!(
        notes,
        [
            (
                "+79161234567".to_string(),
                "'=HYPERLINK(\"http://evil.example\",\"click\")".to_string()
            ),
            ("+79167654321".to_string(), "'@SUM(1+1)".to_string()),
        ],
        "numbers as they are, formulas quoted: {text}"
    );
    // Read back, the export gives the same notes (the quote is ours).
    let dir2 = tempfile::tempdir().unwrap();
    let config2 = config_for(dir2.path(), &dir2.path().join("db"));
    let csv = dir2.path().join("back.csv");
    std::fs::write(&csv, &text).unwrap();
    let back = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "import"])
        .arg(&csv)
        .arg("--config")
        .arg(&config2)
        .output()
        .unwrap();
    assert!(back.status.success(), "{}", String::from_utf8_lossy(&back.stderr));
    let store = Store::open(&dir2.path().join("db")).unwrap();
    let notes: Vec<Option<String>> = store
        .optouts(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, o)| o.note)
        .collect();
    assert_eq!(
        notes[0].as_deref(),
        Some("=HYPERLINK(\"http://evil.example\",\"click\")")
    );
}

#[test]
fn an_export_with_a_note_spanning_lines_imports_as_exactly_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let note = "called on Monday:\n+79165550000 is her husband, do NOT opt him out\n89160001122,his mobile\n# not a comment";
    Store::open(&db)
        .unwrap()
        .import_optouts(
            &[
                ("+79161234567".to_string(), Some(note.to_string())),
                ("+79167654321".to_string(), Some("paper form".to_string())),
            ],
            simfleet::store::OptOutSource::Api,
            1,
        )
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "export", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success());
    let exported = dir.path().join("export.csv");
    std::fs::write(&exported, &out.stdout).unwrap();

    let dir2 = tempfile::tempdir().unwrap();
    let db2 = dir2.path().join("db.sqlite");
    let config2 = config_for(dir2.path(), &db2);
    let back = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["optouts", "import"])
        .arg(&exported)
        .arg("--config")
        .arg(&config2)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&back.stdout);
    assert!(
        back.status.success(),
        "{summary} {}",
        String::from_utf8_lossy(&back.stderr)
    );
    let imported: Vec<(String, Option<String>)> = Store::open(&db2)
        .unwrap()
        .optouts(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, o)| (o.number, o.note))
        .collect();
    assert_eq!(
        imported,
        [
            ("+79161234567".to_string(), Some(note.to_string())),
            ("+79167654321".to_string(), Some("paper form".to_string())),
        ],
        "{summary}"
    );
}
