//! `simfleet send` and `simfleet status`: clients of the local API. They
//! find its address and token through the daemon's config file.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};

use crate::config::Config;

/// Where the daemon's config is.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The daemon's configuration file (for the API address and token).
    #[arg(long, default_value = "/etc/simfleet/simfleet.toml")]
    pub config: PathBuf,
}

/// Arguments of `simfleet send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Recipient, as you have it (national numbers are read in `sending.default_region`).
    #[arg(long)]
    pub to: String,
    /// The text.
    #[arg(long, allow_hyphen_values = true)]
    pub text: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Show progress until the message is delivered, failed or unknown.
    #[arg(long)]
    pub wait: bool,
}

/// Arguments of `simfleet status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
}

/// The local API as a client sees it.
pub(crate) struct Api {
    pub(crate) base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    /// The API the daemon configured in `arg` serves.
    pub(crate) fn from_config(arg: &ConfigArg) -> anyhow::Result<Api> {
        let checked = Config::load(&arg.config)?;
        let mut addr: SocketAddr = checked.config.api.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        let token_file = &checked.config.api.token_file;
        let token = std::fs::read_to_string(token_file).with_context(|| {
            format!(
                "cannot read the API token from {} (run as the simfleet user or root)",
                token_file.display()
            )
        })?;
        let (scheme, http) = match &checked.config.api.tls_cert {
            // The daemon's own certificate, pinned: no hostname to match.
            Some(cert) => (
                "https",
                crate::tls::http_client().tls_backend_preconfigured(crate::tls::pinned_client_config(cert)?),
            ),
            None => ("http", crate::tls::http_client()),
        };
        Ok(Api {
            base: format!("{scheme}://{addr}"),
            token: token.trim().to_string(),
            http: http.timeout(Duration::from_secs(30)).build()?,
        })
    }

    /// One call; an error answer becomes its message.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.call_replay(method, path, body).await.map(|(v, _)| v)
    }

    /// One call and whether the answer is a replay of an earlier one
    /// (`Idempotent-Replayed: true`); an error answer becomes its message,
    /// and a gateway that cannot be reached is an [`Unreachable`] error.
    pub(crate) async fn call_replay(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(Value, bool)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Err(anyhow::Error::new(Unreachable(format!(
                    "cannot reach the gateway at {} — is `simfleet serve` running?",
                    self.base
                ))));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot reach the gateway at {} — is `simfleet serve` running?",
                        self.base
                    )
                });
            }
        };
        let status = resp.status();
        let replay = resp
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let text = resp.text().await?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let msg = value["error"]["message"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| value.to_string());
            bail!("{msg}");
        }
        Ok((value, replay))
    }
}

/// Whether `e` is the gateway being unreachable (down, restarting, the
/// connection dropped) rather than an answer refusing the request: what a
/// watching command rides out.
pub(crate) fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.downcast_ref::<reqwest::Error>().is_some() || c.downcast_ref::<Unreachable>().is_some())
}

/// The gateway could not be connected to (not running, wrong address):
/// the next call would fail the same way.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

const FINAL: &[&str] = &[
    "delivered",
    "failed",
    "unknown",
    "cancelled",
    "expired",
    "suppressed",
];

/// Runs `simfleet send`; returns whether the message went out (for the exit status).
pub async fn send(args: &SendArgs) -> anyhow::Result<bool> {
    let api = Api::from_config(&args.config)?;
    let accepted = api
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(json!({"to": args.to, "text": args.text})),
        )
        .await?;
    println!("{accepted}");
    let id = accepted["id"].as_str().unwrap_or_default().to_string();
    if accepted["status"] == "suppressed" {
        let m = api
            .call(reqwest::Method::GET, &format!("/v1/messages/{id}"), None)
            .await?;
        bail!(
            "not sent: {}",
            m["error"].as_str().unwrap_or("the recipient opted out")
        );
    }
    if !args.wait {
        return Ok(true);
    }
    let mut seen = 0;
    loop {
        let m = api
            .call(reqwest::Method::GET, &format!("/v1/messages/{id}"), None)
            .await?;
        let history = m["history"].as_array().cloned().unwrap_or_default();
        for h in &history[seen.min(history.len())..] {
            eprintln!(
                "{}  {:<10} {}",
                h["at"].as_str().unwrap_or(""),
                h["status"].as_str().unwrap_or(""),
                h["reason"].as_str().unwrap_or("")
            );
        }
        seen = history.len();
        let status = m["status"].as_str().unwrap_or("");
        // Without a delivery report requested, "sent" is as far as it goes.
        let done = FINAL.contains(&status) || (status == "sent" && m["status_report"] == false);
        if done {
            return Ok(matches!(status, "sent" | "delivered"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs `simfleet status`.
pub async fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    let modems = api.call(reqwest::Method::GET, "/v1/modems", None).await?;
    println!(
        "{:<28} {:<14} {:<14} {:>6} {:>12}  last error",
        "modem", "state", "operator", "signal", "sent/limit"
    );
    for m in modems.as_array().cloned().unwrap_or_default() {
        let limit = m["daily_limit"]
            .as_u64()
            .map_or("-".to_string(), |l| l.to_string());
        println!(
            "{:<28} {:<14} {:<14} {:>6} {:>12}  {}",
            m["port"].as_str().unwrap_or("?"),
            m["state"].as_str().unwrap_or("?"),
            m["operator"].as_str().unwrap_or("-"),
            m["signal_dbm"]
                .as_i64()
                .map_or("-".to_string(), |d| format!("{d}dBm")),
            format!("{}/{limit}", m["sent_today"].as_u64().unwrap_or(0)),
            m["last_error"].as_str().unwrap_or(""),
        );
    }
    let metrics = api
        .http
        .get(format!("{}/metrics", api.base))
        .bearer_auth(&api.token)
        .send()
        .await?
        .text()
        .await?;
    let queue: Vec<String> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("simfleet_messages{status=\""))
        .filter_map(|l| l.split_once("\"} "))
        .filter(|(_, n)| *n != "0")
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    println!(
        "\nmessages: {}",
        if queue.is_empty() {
            "none".to_string()
        } else {
            queue.join(", ")
        }
    );
    for line in inbound_lines(&metrics) {
        println!("{line}");
    }
    Ok(())
}

/// The inbound side's lines of `simfleet status`, from `/metrics` text:
/// replies waiting for an opt-out decision and undecodable PDUs kept.
pub fn inbound_lines(metrics: &str) -> Vec<String> {
    let gauge = |name: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    vec![
        format!(
            "opt-out replies to review: {} (GET /v1/optouts/review)",
            gauge("simfleet_optout_reviews_pending")
        ),
        format!(
            "undecodable received PDUs: {} (GET /v1/inbox, \"undecodable\": true)",
            gauge("simfleet_inbox_undecodable")
        ),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_shows_reviews_and_undecodable_from_metrics() {
        let metrics = "# HELP simfleet_optout_reviews_pending x\nsimfleet_optout_reviews_pending 3\nsimfleet_inbox_undecodable 1\n";
        assert_eq!(
            super::inbound_lines(metrics),
            [
                "opt-out replies to review: 3 (GET /v1/optouts/review)",
                "undecodable received PDUs: 1 (GET /v1/inbox, \"undecodable\": true)"
            ]
        );
    }
}
