//! `simfleet pdu encode|decode` run as a user runs them: the real binary,
//! arguments, stdin, stdout, exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn simfleet(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn encode_prints_one_object_per_segment() {
    let text = "Привет! ".repeat(20); // 160 UCS-2 units: 3 segments of 67.
    let out = simfleet(
        &[
            "pdu",
            "encode",
            "--to",
            "+79161234567",
            "--text",
            &text,
            "--concat-ref",
            "7",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    let raw = String::from_utf8(out.stdout.clone()).unwrap();
    for (i, (line, raw)) in lines.iter().zip(raw.lines()).enumerate() {
        // The documented shape, in the documented order.
        assert!(raw.starts_with(r#"{"pdu":""#), "{raw}");
        assert!(raw.contains(r#","tpdu_length":"#) && raw.ends_with('}'));
        let mut keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["encoding", "pdu", "segment", "segments", "tpdu_length"]);
        assert_eq!(line["encoding"], "ucs2");
        assert_eq!(line["segment"], i + 1);
        assert_eq!(line["segments"], 3);
        let pdu = line["pdu"].as_str().unwrap();
        // SMSC field "00" first; tpdu_length counts what follows it.
        assert!(pdu.starts_with("00"));
        assert_eq!(line["tpdu_length"].as_u64().unwrap() as usize, pdu.len() / 2 - 1);
    }
}

#[test]
fn encode_then_decode_round_trips_through_the_cli() {
    let text = "Hello {world} — it’s 5€";
    let enc = simfleet(
        &[
            "pdu",
            "encode",
            "--to",
            "+447700900123",
            "--text",
            text,
            "--smsc",
            "+447785016005",
            "--status-report",
            "--validity-minutes",
            "1440",
            "--normalize-punctuation",
        ],
        None,
    );
    assert!(enc.status.success());
    let lines = json_lines(&enc);
    assert_eq!(lines[0]["encoding"], "gsm7");
    assert_eq!(lines[0]["normalized"], true);
    let pdu = lines[0]["pdu"].as_str().unwrap().to_string();
    assert_eq!(
        lines[0]["tpdu_length"].as_u64().unwrap() as usize,
        pdu.len() / 2 - 8
    );

    let dec = simfleet(&["pdu", "decode", &pdu], None);
    assert!(dec.status.success());
    let d = &json_lines(&dec)[0];
    assert_eq!(d["type"], "submit");
    assert_eq!(d["smsc"], "+447785016005");
    assert_eq!(d["recipient"], "+447700900123");
    assert_eq!(d["text"], "Hello {world} - it's 5€");
    assert_eq!(d["encoding"], "gsm7");
    assert_eq!(d["message_ref"], 0);
    assert_eq!(d["concat"], Value::Null);
    assert_eq!(d["class"], Value::Null);
}

#[test]
fn encode_reads_text_from_stdin() {
    let out = simfleet(
        &["pdu", "encode", "--to", "12345", "--text", "-"],
        Some("from stdin\n"),
    );
    assert!(out.status.success());
    let pdu = json_lines(&out)[0]["pdu"].as_str().unwrap().to_string();
    let d = &json_lines(&simfleet(&["pdu", "decode", &pdu], None))[0];
    assert_eq!(d["text"], "from stdin");
    assert_eq!(d["recipient"], "12345");
}

#[test]
fn encode_national_and_ref16_and_flash() {
    let text = "Günaydın! Bugün şehirde çok güzel bir gün, ığdır ve İzmir. ".repeat(4);
    let out = simfleet(
        &[
            "pdu",
            "encode",
            "--to",
            "+905321234567",
            "--text",
            &text,
            "--national",
            "es,pt,tr",
            "--ref16",
            "--flash",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["encoding"], "gsm7");
    assert_eq!(lines.len(), 2);
    let pdus: Vec<String> = lines
        .iter()
        .map(|l| l["pdu"].as_str().unwrap().to_string())
        .collect();
    let mut args = vec!["pdu", "decode"];
    args.extend(pdus.iter().map(String::as_str));
    let decoded = json_lines(&simfleet(&args, None));
    let joined: String = decoded.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert_eq!(joined, text);
    assert_eq!(decoded[0]["class"], 0);
    assert_eq!(decoded[0]["concat"]["total"], decoded.len());
    // Without national tables the same text needs more (UCS-2) segments.
    let plain = json_lines(&simfleet(
        &["pdu", "encode", "--to", "+905321234567", "--text", &text],
        None,
    ));
    assert!(plain.len() > lines.len());
    assert_eq!(plain[0]["encoding"], "ucs2");
}

#[test]
fn encode_rejects_bad_input_with_a_clear_error() {
    for (args, needle) in [
        (vec!["--to", "+7abc", "--text", "x"], "invalid number"),
        (
            vec!["--to", "+1", "--text", "x", "--validity-minutes", "0"],
            "validity",
        ),
        (
            vec!["--to", "+1", "--text", "x", "--national", "de"],
            "unknown national language",
        ),
    ] {
        let mut all = vec!["pdu", "encode"];
        all.extend(args);
        let out = simfleet(&all, None);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{all:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let too_long = "a".repeat(153 * 255 + 1);
    let out = simfleet(&["pdu", "encode", "--to", "+1", "--text", "-"], Some(&too_long));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("256 segments"));
}

#[test]
fn decode_stdin_lines_one_bad_others_fine_exit_1() {
    let input = "\
+CMGL: 1,0,,39
07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442
07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37

07914356060013F1065A098136397339F7219011700463802190117004638030
OK
";
    let out = simfleet(&["pdu", "decode"], Some(input));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);

    let d = &lines[0];
    assert_eq!(d["type"], "deliver");
    assert_eq!(d["smsc"], "+79037011111");
    assert_eq!(d["sender"], "InternetSMS");
    assert_eq!(d["text"], "тест");
    assert_eq!(d["encoding"], "ucs2");
    assert_eq!(d["timestamp"], "2011-03-29T19:20:04+04:00");
    assert_eq!(d["data_hex"], Value::Null);
    assert!(d.get("recipient").is_none() && d.get("status").is_none());

    assert_eq!(lines[1]["error"], "truncated user data: need 10 octets, have 9");

    let r = &lines[2];
    assert_eq!(r["type"], "status-report");
    assert_eq!(r["recipient"], "639337937");
    assert_eq!(r["message_ref"], 90);
    assert_eq!(r["status"]["code"], 48);
    assert_eq!(r["status"]["category"], "pending");
    assert_eq!(r["discharge_time"], "2012-09-11T07:40:36+02:00");
    assert_eq!(r["text"], Value::Null);
}

#[test]
fn decode_8bit_concat_and_garbage() {
    let out = simfleet(
        &[
            "pdu",
            "decode",
            "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE",
            "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D44479741F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10",
            "zz",
            "",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["encoding"], "8bit");
    assert_eq!(lines[0]["data_hex"], "E8329BFD4697D9EC37DE");
    assert_eq!(lines[0]["text"], Value::Null);
    assert_eq!(
        lines[1]["concat"],
        serde_json::json!({"ref": 76, "total": 2, "seq": 2})
    );
    assert_eq!(lines[1]["text"], "that the parts are related to one another. ");
    assert_eq!(lines[2]["error"], "invalid hex digit 'z' at position 0");
    assert_eq!(lines[3]["error"], "empty PDU");
}

#[test]
fn help_reads_well() {
    let out = simfleet(&["--help"], None);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("pdu"), "{help}");
    let out = simfleet(&["pdu", "encode", "--help"], None);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--to",
        "--text",
        "--smsc",
        "--status-report",
        "--validity-minutes",
        "--ref16",
        "--national",
        "--flash",
        "--normalize-punctuation",
    ] {
        assert!(help.contains(flag), "missing {flag}");
    }
}
