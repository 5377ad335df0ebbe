//! `simfleet contacts import|export` and `POST /v1/contacts/import`,
//! `GET /v1/contacts/export` as a user runs them: files as spreadsheets
//! write them (Windows-1251 with `;`, UTF-8 with a BOM), each with a bad
//! row and a repeated phone, on the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use simfleet::contacts::{AttrType, AttrValue, ConsentStatus, Contact};
use simfleet::store::{ContactKey, Store};

fn config_for(dir: &Path, db: &Path) -> PathBuf {
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

fn simfleet(args: &[&str], config: &Path, stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simfleet"));
    cmd.args(args).arg("--config").arg(config);
    match stdin {
        None => cmd.output().unwrap(),
        Some(bytes) => {
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), bytes).unwrap();
            child.wait_with_output().unwrap()
        }
    }
}

fn import(file: &Path, config: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["contacts", "import", file.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = simfleet(&args, config, None);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

fn contact(store: &Store, phone: &str) -> Contact {
    store
        .contact(&ContactKey::Phone(phone.into()))
        .unwrap()
        .unwrap_or_else(|| panic!("{phone} not stored"))
}

fn errors(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn windows_1251_semicolon_file_with_a_bad_row_and_a_repeated_phone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    // As Excel in a Russian locale saves "CSV (разделители — точки с запятой)".
    let text = "Телефон;Имя;Теги;Согласие;consent_source;Город;Потрачено;День рождения\r\n\
                +7 916 123-45-67;Анна Иванова;\"vip;опт\";да;форма на сайте;Казань;1 500,50;01.02.1990\r\n\
                8 (916) 765-43-21;Борис;розница;;;Москва;20;1985-03-04\r\n\
                телефон не указан;Никто;;;;;;\r\n\
                \r\n\
                89161234567;;новые;;;Казань;;\r\n\
                +79160000003;Ольга;;да;;;;\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let file = dir.path().join("клиенты.csv");
    std::fs::write(&file, &bytes).unwrap();

    let (code, report) = import(&file, &config, &[]);
    assert_eq!(code, Some(1), "some rows were bad: {report}");
    assert_eq!(report["encoding"], "windows-1251");
    assert_eq!(report["delimiter"], ";");
    assert_eq!(report["rows"], 5);
    assert_eq!(report["created"], 2);
    assert_eq!(report["updated"], 0);
    assert_eq!(report["merged_duplicates"], 1);
    assert_eq!(report["bad_rows"], 2);
    let errs = errors(&report);
    assert_eq!(errs[0].0, 4);
    assert!(errs[0].1.contains("телефон не указан"), "{errs:?}");
    // The blank line 5 counts: Ольга is on line 7.
    assert_eq!(errs[1].0, 7);
    assert!(errs[1].1.contains("without proof"), "{errs:?}");

    let store = Store::open(&db).unwrap();
    let anna = contact(&store, "+79161234567");
    assert_eq!(
        anna.name.as_deref(),
        Some("Анна Иванова"),
        "decoded from Windows-1251"
    );
    assert_eq!(anna.tags, ["vip", "новые", "опт"], "tags of both rows");
    assert_eq!(anna.attributes["Город"], AttrValue::String("Казань".into()));
    assert_eq!(anna.attributes["Потрачено"], AttrValue::Number(1500.5));
    assert_eq!(
        anna.attributes["День_рождения"],
        AttrValue::Date(chrono::NaiveDate::from_ymd_opt(1990, 2, 1).unwrap())
    );
    assert_eq!(anna.consent.status, ConsentStatus::OptedIn);
    assert_eq!(anna.consent.source.as_deref(), Some("форма на сайте"));
    assert_eq!(anna.consent.evidence, None, "no evidence is made up");
    let boris = contact(&store, "+79167654321");
    assert_eq!(boris.name.as_deref(), Some("Борис"));
    assert_eq!(boris.consent.status, ConsentStatus::None);
    let types = store.attribute_types().unwrap();
    assert_eq!(types["Потрачено"], AttrType::Number);
    assert_eq!(types["День_рождения"], AttrType::Date);
    assert!(
        store
            .contact(&ContactKey::Phone("+79160000003".into()))
            .unwrap()
            .is_none()
    );
}

#[test]
fn utf8_file_with_a_bom_a_bad_row_and_a_repeated_phone_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        "phone,name,tags,consent,consent_at,city,vip,visits\n\
         +34 612 345 678,María López,\"vip;es\",opted_in,2025-06-01,Madrid,sí,3\n\
         +79161234567,Анна,,pending,,Казань,no,12\n\
         +34612345678,María L.,newsletter,,,,,\n\
         +79161234568,Bad Visits,,,,Kazan,yes,many\n"
            .as_bytes(),
    );
    let out = simfleet(
        &["contacts", "import", "-", "--json", "--types", "visits=number"],
        &config,
        Some(&bytes),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["encoding"], "utf-8");
    assert_eq!(report["created"], 2);
    assert_eq!(report["merged_duplicates"], 1);
    assert_eq!(
        report["confirmations_queued"], 1,
        "a new pending contact is asked"
    );
    let errs = errors(&report);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, 5);
    assert!(
        errs[0].1.contains("visits") && errs[0].1.contains("many"),
        "{errs:?}"
    );

    let store = Store::open(&db).unwrap();
    let maria = contact(&store, "+34612345678");
    assert_eq!(maria.name.as_deref(), Some("María L."), "the later cell wins");
    assert_eq!(maria.tags, ["es", "newsletter", "vip"]);
    assert_eq!(maria.attributes["vip"], AttrValue::Boolean(true));
    assert_eq!(maria.attributes["visits"], AttrValue::Number(3.0));
    assert_eq!(maria.consent.status, ConsentStatus::OptedIn);
    assert_eq!(maria.consent.at, Some(1_748_736_000_000));
    assert_eq!(maria.consent.evidence, None, "no evidence is made up");
    assert_eq!(
        maria.consent.source.as_deref(),
        Some("import standard input line 2")
    );
    let anna = contact(&store, "+79161234567");
    assert_eq!(anna.consent.status, ConsentStatus::Pending);
    // The first column is "phone", not "\u{feff}phone".
    assert!(
        !store
            .attribute_types()
            .unwrap()
            .keys()
            .any(|k| k.contains('\u{feff}'))
    );
}

#[test]
fn dry_run_reports_the_same_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        "phone,name,spent\n+79161234567,Anna,10\n+79161234568,Boris,x\n+79161234567,,\n",
    )
    .unwrap();
    let (code, dry) = import(&file, &config, &["--dry-run"]);
    assert_eq!(code, Some(0), "{dry}");
    assert_eq!(dry["dry_run"], true);
    let store = Store::open(&db).unwrap();
    assert!(store.export_contacts_page(0, 10).unwrap().is_empty());
    assert!(store.attribute_types().unwrap().is_empty(), "not even a type");
    let (_, real) = import(&file, &config, &[]);
    let mut dry = dry;
    dry["dry_run"] = Value::Bool(false);
    assert_eq!(dry, real, "a dry run reports what the import does");
    assert_eq!(store.export_contacts_page(0, 10).unwrap().len(), 2);
}

#[test]
fn export_neutralises_formulas_and_imports_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let config = config_for(dir.path(), &db);
    let file = dir.path().join("in.csv");
    std::fs::write(
        &file,
        "phone,name,time_zone,language,tags,consent,consent_at,consent_source,consent_evidence,city,spent,birthday,vip\n\
         +79161234567,\"=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",Europe/Samara,ru-RU,vip;@team,opted_in,2025-01-02T03:04:05.678Z,shop,\"signed, paper\",-Kazan,1500,1990-02-01,true\n\
         +79161234568,Boris,,en,,none,,,,Moscow,2.5,,false\n\
         +79161234569,,,,,,,,,,,,\n",
    )
    .unwrap();
    let (code, report) = import(&file, &config, &[]);
    assert_eq!(code, Some(0), "{report}");
    let out = simfleet(&["contacts", "export"], &config, None);
    assert!(out.status.success());
    let first = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines[0],
        "phone,name,time_zone,language,tags,consent,consent_at,consent_source,consent_evidence,status,opted_out,birthday,city,spent,vip"
    );
    assert!(
        lines[1].starts_with("+79161234567,\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",Europe/Samara,ru,'@team;vip,opted_in,2025-01-02T03:04:05.678Z,shop,\"signed, paper\",active,,1990-02-01,'-Kazan,1500,true"),
        "{}",
        lines[1]
    );

    // Into a fresh database, and out again: the same file.
    let db2 = dir.path().join("b.sqlite");
    let dir2 = dir.path().join("b");
    std::fs::create_dir(&dir2).unwrap();
    let config2 = config_for(&dir2, &db2);
    let exported = dir.path().join("exported.csv");
    std::fs::write(&exported, &first).unwrap();
    let (code, report) = import(&exported, &config2, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["created"], 3);
    let again = String::from_utf8(simfleet(&["contacts", "export"], &config2, None).stdout).unwrap();
    assert_eq!(again, first);
    let store = Store::open(&db2).unwrap();
    let c = contact(&store, "+79161234567");
    assert_eq!(c.name.as_deref(), Some("=HYPERLINK(\"http://evil\",\"click\")"));
    assert_eq!(c.attributes["city"], AttrValue::String("-Kazan".into()));
}

#[test]
fn an_export_imported_into_another_gateway_keeps_its_opt_outs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let config = config_for(dir.path(), &db);
    let file = dir.path().join("in.csv");
    std::fs::write(
        &file,
        "phone,name,consent,consent_source\n+79161234567,Anna,opted_in,shop\n+79161234568,Boris,opted_in,shop\n",
    )
    .unwrap();
    assert_eq!(import(&file, &config, &[]).0, Some(0));
    // Anna said STOP on gateway A.
    {
        let store = Store::open(&db).unwrap();
        store
            .import_optouts(
                &[("+79161234567".into(), Some("STOP".into()))],
                simfleet::store::OptOutSource::Api,
                1_700_000_000_000,
            )
            .unwrap();
    }
    let out = simfleet(&["contacts", "export"], &config, None);
    assert!(out.status.success());
    let exported = dir.path().join("exported.csv");
    std::fs::write(&exported, &out.stdout).unwrap();

    let dir2 = dir.path().join("b");
    std::fs::create_dir(&dir2).unwrap();
    let db2 = dir2.join("b.sqlite");
    let config2 = config_for(&dir2, &db2);
    let (code, report) = import(&exported, &config2, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["optouts_imported"], 1, "{report}");
    let store = Store::open(&db2).unwrap();
    let anna = contact(&store, "+79161234567");
    let o = anna.opted_out.expect("Anna's STOP crossed over");
    assert_eq!(o.source, "import");
    assert_eq!(o.note.as_deref(), Some("import exported.csv line 2"));
    assert!(contact(&store, "+79161234568").opted_out.is_none());
    // And gateway B's export says so too.
    let again = String::from_utf8(simfleet(&["contacts", "export"], &config2, None).stdout).unwrap();
    let anna_line = again.lines().find(|l| l.starts_with("+79161234567")).unwrap();
    assert!(!anna_line.ends_with(','), "{anna_line}");
}

#[test]
fn a_file_without_a_phone_column_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let file = dir.path().join("list.csv");
    std::fs::write(&file, "name,city\nAnna,Kazan\n").unwrap();
    let out = simfleet(&["contacts", "import", file.to_str().unwrap()], &config, None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no phone column"), "{err}");
    assert!(err.contains("\"name\""), "{err}");
}

#[test]
fn the_text_report_is_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let config = config_for(dir.path(), &db);
    let file = dir.path().join("list.csv");
    std::fs::write(&file, "phone,name\n\u{1b}[2J123abc,x\n+79161234567,Anna\n").unwrap();
    let out = simfleet(&["contacts", "import", file.to_str().unwrap()], &config, None);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 contacts created"), "{text}");
    assert!(text.contains("line 2:"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no escape sequence from the file reaches the terminal: {text}"
    );
}

mod api {
    use super::*;
    use common::gateway::{Gateway, free_port, write_config};

    async fn post(g: &Gateway, query: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = simfleet::tls::http_client()
            .build()
            .unwrap()
            .post(format!("{}/v1/contacts/import{query}", g.base))
            .bearer_auth(&g.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    #[test]
    fn import_and_export_over_the_api() {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), free_port(), "");
        let g = Gateway::start(&config);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let token = g.token.clone();
        rt.block_on(async {
            let csv = "Телефон;Имя;Город\n+79161234567;Анна;Казань\nxx;Bad;\n89161234567;;Москва\n";
            let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(csv);
            let (status, report) =
                post(&g, "?dry_run=true", "text/csv; charset=windows-1251", bytes.to_vec()).await;
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["dry_run"], true);
            assert_eq!(report["created"], 1);
            let (status, report) = post(&g, "?file_name=shop.csv", "text/csv", bytes.to_vec()).await;
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["encoding"], "windows-1251", "detected");
            assert_eq!((report["created"].as_u64(), report["merged_duplicates"].as_u64()), (Some(1), Some(1)));
            assert_eq!(errors(&report)[0].0, 3);

            let (status, err) = post(&g, "", "application/json", b"{}".to_vec()).await;
            assert_eq!((status, err["error"]["code"].as_str()), (415, Some("bad_content_type")));
            let (status, err) = post(&g, "", "text/csv", b"name\nAnna\n".to_vec()).await;
            assert_eq!((status, err["error"]["code"].as_str()), (422, Some("no_phone_column")));
            let (status, err) = post(&g, "?types=city=money", "text/csv", b"phone,city\n".to_vec()).await;
            assert_eq!((status, err["error"]["code"].as_str()), (422, Some("invalid_options")));
            let (status, err) = post(&g, "?delimiter=pipe", "text/csv", b"phone\n".to_vec()).await;
            assert_eq!(status, 400, "{err}");
            // Refused from its declared length, before a byte of it is read.
            let addr = g.base.trim_start_matches("http://").to_string();
            let answer = tokio::task::spawn_blocking(move || {
                use std::io::{Read, Write};
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
                write!(
                    s,
                    "POST /v1/contacts/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\nphone\n",
                    token,
                    64 * 1024 * 1024 + 1
                )
                .unwrap();
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).unwrap();
                String::from_utf8_lossy(&buf[..n]).into_owned()
            })
            .await
            .unwrap();
            assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
            assert!(answer.contains("body_too_large"), "{answer}");

            let r = simfleet::tls::http_client()
                .build()
                .unwrap()
                .get(format!("{}/v1/contacts/export", g.base))
                .bearer_auth(&g.token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
            let text = r.text().await.unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(lines[0].ends_with(",opted_out,Город"), "{text}");
            assert!(lines[1].starts_with("+79161234567,Анна,"), "{text}");
            assert!(lines[1].ends_with(",Москва"), "{text}");
        });
    }

    #[test]
    fn export_streams_many_pages() {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), free_port(), "");
        let mut csv = String::from("phone,n\n");
        for i in 0..2500 {
            csv.push_str(&format!("+7916{i:07},{i}\n"));
        }
        let file = dir.path().join("many.csv");
        std::fs::write(&file, csv).unwrap();
        let (code, report) = import(&file, &config, &[]);
        assert_eq!(code, Some(0), "{report}");
        let g = Gateway::start(&config);
        let (status, body) = g.call("GET", "/v1/contacts/export", None);
        assert_eq!(status, 200);
        let text = body.as_str().unwrap();
        assert_eq!(text.lines().count(), 2501);
        assert!(text.lines().last().unwrap().starts_with("+79160002499,"));
    }
}
