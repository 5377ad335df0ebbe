//! Helpers shared by the tests that run the real binaries: a `simfleet sim`
//! process and blocking HTTP calls.
#![allow(dead_code)] // each test crate uses a different subset

pub mod browser;
pub mod clocked;
pub mod gateway;
pub mod smtp;
pub mod tls;
pub mod web;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running `simfleet sim` with its links under `dir/sim`, killed on drop.
pub struct Sim {
    child: Child,
    /// Control API base URL.
    pub control: String,
    /// `dir/sim/modemN` links.
    pub paths: Vec<PathBuf>,
    /// Temporary directory holding the links (and whatever a test adds).
    pub dir: tempfile::TempDir,
}

impl Sim {
    /// Starts `modems` simulated modems answering sends after `latency_ms`.
    pub fn start(modems: usize, latency_ms: u64) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args([
                "sim",
                "--modems",
                &modems.to_string(),
                "--latency-ms",
                &latency_ms.to_string(),
            ])
            .args(["--control", "127.0.0.1:0", "--dir"])
            .arg(dir.path().join("sim"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line).expect("sim prints its paths");
        Sim {
            control: ready["control"].as_str().unwrap().to_string(),
            paths: ready["modems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| PathBuf::from(p.as_str().unwrap()))
                .collect(),
            child,
            dir,
        }
    }

    /// `GET` on the control API.
    pub fn get(&self, path: &str) -> Value {
        http("GET", &format!("{}{path}", self.control), None, None).1
    }

    /// `POST` on the control API.
    pub fn post(&self, path: &str, body: Value) -> Value {
        http("POST", &format!("{}{path}", self.control), None, Some(body)).1
    }

    /// Every send the simulated network accepted.
    pub fn ledger(&self) -> Vec<Value> {
        self.get("/ledger").as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP call: (status, JSON body or the text as a string); status 0 if unreachable.
pub fn http(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = simfleet::tls::http_client()
            .build()
            .unwrap()
            .request(method.parse().unwrap(), url)
            .timeout(Duration::from_secs(30));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            Err(_) => (0, Value::Null),
        }
    })
}
