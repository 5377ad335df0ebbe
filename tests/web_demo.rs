//! `simfleet demo` opens the dashboard to whoever tries it: it prints the
//! dashboard's URL, user `admin` and a password made for the demo, and
//! that password signs in (plain HTTP against the demo's own daemon).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::gateway::{Proc, free_port};
use common::web::{Session, request};

#[test]
fn the_demo_prints_a_dashboard_password_that_signs_in() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args([
            "demo",
            "--modems",
            "1",
            "--latency-ms",
            "50",
            "--port",
            &free_port().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut demo = Proc(child);
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut value_of = |label: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    let mut words = line.split_whitespace();
                    if words.next() == Some(label) {
                        return words.next().unwrap_or_default().to_string();
                    }
                }
                Err(_) => panic!("no {label} line in the demo's output:\n{}", seen.join("\n")),
            }
        }
    };
    let dashboard = value_of("dashboard");
    let user = value_of("user");
    let password = value_of("password");
    let api = value_of("API");
    assert_eq!(user, "admin");
    assert_eq!(
        dashboard,
        format!("{api}/"),
        "the dashboard is on the API's listener"
    );
    assert!(password.len() >= 12, "{password}");

    // The printed URL leads to the sign-in page, and the password opens it.
    let r = request(&api, "GET", "/", &[("Accept", "text/html")], b"");
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap_or_default().starts_with("/login"));
    let session = Session::login(&api, &user, &password);
    let page = session.get(&api, "/");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1"), "{}", page.body);
    // Not any other password.
    let form = request(&api, "GET", "/login", &[], b"");
    let login = form.cookie("simfleet_login").unwrap();
    let body = format!("_login={login}&user=admin&password=not-the-demo-password");
    let cookie = format!("simfleet_login={login}");
    let r = request(
        &api,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401);

    // Ctrl-C stops it as before.
    let _ = Command::new("kill")
        .args(["-INT", &demo.0.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while demo.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "demo did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}
