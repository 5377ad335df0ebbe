//! Webhooks over HTTPS to a receiver whose certificate comes from its own
//! CA: delivered when the webhook names that CA (`ca_file`), refused
//! without it, never sent on through a redirect; every request signed over
//! its timestamp and body.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::json;

type Hits = Arc<Mutex<Vec<(String, String, HeaderMap, String)>>>;

async fn hook(
    State(hits): State<Hits>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let r = q.get("r").cloned().unwrap_or_default();
    hits.lock().unwrap().push(("hook".into(), r, headers, body));
    StatusCode::OK
}

async fn moved(State(hits): State<Hits>, headers: HeaderMap, body: String) -> impl IntoResponse {
    hits.lock()
        .unwrap()
        .push(("moved".into(), String::new(), headers, body));
    (StatusCode::TEMPORARY_REDIRECT, [("location", "/hook?r=followed")])
}

#[test]
fn https_receiver_with_its_own_ca_gets_signed_events_and_redirects_are_not_followed() {
    let s = Sim::start(1, 20);
    let dir = s.dir.path();
    // The receiver's CA and its certificate for localhost.
    let pki = common::tls::ca_and_cert(dir);

    let hits: Hits = Arc::default();
    let port = free_port();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let receiver = {
        let hits = hits.clone();
        let (cert, key) = (pki.cert.clone(), pki.key.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let app = axum::Router::new()
                    .route("/hook", axum::routing::post(hook))
                    .route("/moved", axum::routing::post(moved))
                    .with_state(hits);
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                let tls = simfleet::tls::server_config(&cert, &key).unwrap();
                simfleet::gateway::http::serve(listener, app, Some(tls), Default::default(), stop_rx)
                    .await
                    .unwrap();
            });
        })
    };

    let secret = "0123456789abcdef-secret";
    let ca = pki.ca.display().to_string();
    let webhooks = format!(
        "[[webhook]]\nurl = \"https://localhost:{port}/hook?r=trusted\"\nsecret = \"{secret}\"\nca_file = \"{ca}\"\nevents = [\"status\"]\n\
         [[webhook]]\nurl = \"https://localhost:{port}/moved\"\nsecret = \"{secret}\"\nca_file = \"{ca}\"\nevents = [\"status\"]\n\
         [[webhook]]\nurl = \"https://localhost:{port}/hook?r=untrusted\"\nsecret = \"{secret}\"\nevents = [\"status\"]\n"
    );
    let g = Gateway::start(&write_config(dir, free_port(), &webhooks));
    g.wait_ready_modems(1);
    for to in ["+79161234567", "+79161234568", "+79161234569"] {
        let (code, m) = g.call("POST", "/v1/messages", Some(json!({"to": to, "text": "hi"})));
        assert_eq!(code, 202, "{m}");
    }

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = hits.lock().unwrap().iter().filter(|h| h.1 == "trusted").count();
        // One `sent` event per message.
        if got >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "events never reached the HTTPS receiver: {got}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let hits = hits.lock().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    for (_, _, headers, body) in hits.iter().filter(|h| h.1 == "trusted") {
        let ts = headers["x-simfleet-timestamp"].to_str().unwrap();
        let sig = headers["x-simfleet-signature"].to_str().unwrap();
        assert!(
            simfleet::webhook::sign::verify(secret.as_bytes(), ts, body.as_bytes(), sig, now, 300),
            "bad signature on {body}"
        );
        // The signature covers the timestamp: the same body at another time fails.
        let other = (ts.parse::<i64>().unwrap() + 1).to_string();
        assert!(!simfleet::webhook::sign::verify(
            secret.as_bytes(),
            &other,
            body.as_bytes(),
            sig,
            now,
            300
        ));
    }
    assert!(
        hits.iter().any(|h| h.0 == "moved"),
        "the redirecting receiver was tried"
    );
    assert!(
        !hits.iter().any(|h| h.1 == "followed"),
        "a signed body was sent on through a redirect"
    );
    assert!(
        !hits.iter().any(|h| h.1 == "untrusted"),
        "delivered to a receiver whose CA the webhook does not trust"
    );
    drop(hits);
    let _ = stop_tx.send(true);
    let _ = receiver.join();
}
