//! What a new user meets in the first hour, with the real binaries: the
//! daemon's log as a file or a journal collector sees it, and the API's
//! refusal of input that would text a stranger or send garbage.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::json;

#[test]
fn log_to_a_file_has_no_colour_codes_plain_values_and_a_final_stopped_line() {
    let s = Sim::start(1, 20);
    let config = write_config(s.dir.path(), free_port(), "");
    let log = s.dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG")
        .env_remove("JOURNAL_STREAM")
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("modem initialised")
    {
        assert!(
            Instant::now() < deadline,
            "no modem came up:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\x1b'), "colour codes in a log file:\n{text}");
    assert!(
        !text.contains("Some("),
        "a field printed as a debug value:\n{text}"
    );
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("stopped"), "last line is {last:?}:\n{text}");
}

#[test]
fn letters_in_numbers_and_control_characters_in_texts_are_refused_by_name() {
    let s = Sim::start(1, 20);
    let g = Gateway::start(&write_config(s.dir.path(), free_port(), ""));
    let (code, body) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+7916ABC4567", "text": "hello"})),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_number");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'A'") && message.contains("position 6"),
        "{message}"
    );

    for (text, position) in [("a\u{0}b", 2), ("ring\u{7}", 5), ("\u{1b}[31m", 1)] {
        let (code, body) = g.call(
            "POST",
            "/v1/messages",
            Some(json!({"to": "+79161234567", "text": text})),
        );
        assert_eq!(code, 422, "{text:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_text");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("character {position} ")), "{message}");
    }
    // The same rule for every item of a batch and for a survey question.
    let (code, body) = g.call(
        "POST",
        "/v1/messages/batch",
        Some(json!({"messages": [{"to": "+79161234567", "text": "fine"}, {"to": "+79161234567", "text": "bell\u{7}"}]})),
    );
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["results"][1]["error"]["code"], "invalid_text", "{body}");
    let (code, body) = g.call(
        "POST",
        "/v1/surveys",
        Some(json!({"question": "Q\u{0}?", "options": {"1": "yes", "2": "no"}, "recipients": ["+79161234567"]})),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_text", "{body}");
    // Option keys are sent too ("1 - Yes"): the same rule.
    for key in ["\u{0}", "\u{1b}[2J", "1\u{7}"] {
        let (code, body) = g.call(
            "POST",
            "/v1/surveys",
            Some(
                json!({"question": "Q?", "options": {key: "Yes", "2": "No"}, "recipients": ["+79161234567"]}),
            ),
        );
        assert_eq!(code, 422, "{key:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_text", "{body}");
    }
    // Line breaks, tab and form feed are text.
    let (code, body) = g.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "line\nbreak\ttab\u{c}ff"})),
    );
    assert_eq!(code, 202, "{body}");
    // Nothing refused was stored.
    let (_, list) = g.call("GET", "/v1/messages", None);
    assert_eq!(
        list["messages"].as_array().map(Vec::len),
        Some(2),
        "the batch's good item and the last: {list}"
    );
}

#[test]
fn a_refused_start_says_what_is_wrong_once() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "x".repeat(40)).unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let pki = common::tls::ca_and_cert(dir.path());
    let other = common::tls::ca_and_cert(&{
        let d = dir.path().join("other");
        std::fs::create_dir_all(&d).unwrap();
        d
    });
    let config = dir.path().join("simfleet.toml");
    let run = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "[api]\nlisten = \"127.0.0.1:{}\"\ntoken_file = \"{}\"\n{extra}[storage]\npath = \"{}/db\"\n",
                common::gateway::free_port(),
                token.display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(["serve", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run("");
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.matches("chmod 600").count(), 1, "{err}");
    assert_eq!(
        err.matches(&token.display().to_string()).count(),
        2,
        "the file and the fix: {err}"
    );

    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // A key that is not the certificate's.
    let (code, err) = run(&format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
        pki.cert.display(),
        other.key.display()
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tls_key"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    let words: Vec<&str> = lines[0].split(": ").collect();
    let mut seen = std::collections::HashSet::new();
    assert!(words.iter().all(|w| seen.insert(*w)), "a cause repeated: {err}");
}
