//! The gateway daemon (`simfleet serve`) as a child process, for tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http;

/// A child process killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on localhost.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a config for the gateway over `dir/sim/modem*`; `extra` is
/// appended after the `[[modem]]` table (more modem keys, or more tables).
pub fn write_config(dir: &Path, port: u16, extra_modem: &str) -> PathBuf {
    let path = dir.join("simfleet.toml");
    std::fs::write(
        &path,
        format!(
            "[api]\nlisten = \"127.0.0.1:{port}\"\ntoken_file = \"{d}/token\"\n[storage]\npath = \"{d}/db.sqlite\"\n[sending]\ndefault_region = \"RU\"\nstatus_reports = false\nsend_timeout_secs = 5\n[[modem]]\nport = \"{d}/sim/modem*\"\n{extra_modem}",
            d = dir.display()
        ),
    )
    .unwrap();
    path
}

/// A running `simfleet serve`.
pub struct Gateway {
    /// API base URL.
    pub base: String,
    /// API token.
    pub token: String,
    /// The process.
    pub proc: Option<Proc>,
    /// Its config file.
    pub config: PathBuf,
}

impl Gateway {
    /// Starts the daemon and waits for its API.
    pub fn start(config: &Path) -> Gateway {
        Gateway::start_with_stderr(config, std::process::Stdio::inherit())
    }

    /// [`Gateway::start`] with the daemon's log (stderr) sent to `stderr`.
    pub fn start_with_stderr(config: &Path, stderr: std::process::Stdio) -> Gateway {
        let text = std::fs::read_to_string(config).unwrap();
        let port: u16 = text.split("127.0.0.1:").nth(1).unwrap()[..5]
            .trim_end_matches('"')
            .parse()
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", std::env::var("GW_LOG").unwrap_or("warn".into()))
            .stderr(stderr)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http("GET", &format!("{base}/healthz"), None, None).0 == 200 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let token_file = text
            .split("token_file = \"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let token = std::fs::read_to_string(token_file).unwrap().trim().to_string();
        Gateway {
            base,
            token,
            proc: Some(Proc(child)),
            config: config.to_path_buf(),
        }
    }

    /// An authorised API call.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        http(method, &format!("{}{path}", self.base), Some(&self.token), body)
    }

    /// An authorised POST of `body` exactly as given (not re-encoded JSON).
    pub fn post_raw(&self, path: &str, body: String) -> (u16, Value) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = simfleet::tls::http_client()
                .build()
                .unwrap()
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    }

    /// Kills the daemon hard.
    pub fn kill9(&mut self) {
        if let Some(mut p) = self.proc.take() {
            let pid = p.0.id();
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            let _ = p.0.wait();
        }
    }

    /// Waits until `n` modems are ready.
    pub fn wait_ready_modems(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let (_, v) = self.call("GET", "/v1/modems", None);
            if v.as_array()
                .is_some_and(|a| a.iter().filter(|m| m["state"] == "ready").count() >= n)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("modems not ready: {:?}", self.call("GET", "/v1/modems", None));
    }
}

/// The simulator's ledger.
pub fn ledger(control: &str) -> Vec<Value> {
    http("GET", &format!("{control}/ledger"), None, None)
        .1
        .as_array()
        .cloned()
        .unwrap_or_default()
}
