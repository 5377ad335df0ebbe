//! One worker per receiver: takes due events from the outbox, POSTs them
//! one at a time, marks each delivered on a 2xx answer, and backs off the
//! whole receiver after a failure (one attempt per backoff while it is
//! down, not one per event). Woken by new events, not by polling.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::sign::signature;
use crate::dispatch::Clock;
use crate::store::{PendingEvent, Store, rfc3339};

/// A configured receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Its id in the store.
    pub id: i64,
    /// Where events go.
    pub url: String,
    /// The signing key.
    pub secret: String,
    /// A CA to trust for this receiver besides the system's.
    pub ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish()
    }
}

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
    data: &'a RawValue,
}

/// The request body of `e`.
pub fn body(e: &PendingEvent) -> String {
    let null = RawValue::NULL;
    let data: &RawValue = serde_json::from_str(&e.data).unwrap_or(null);
    serde_json::to_string(&Body {
        id: &e.event_id,
        kind: &e.event,
        created_at: rfc3339(e.created_at),
        data,
    })
    .unwrap_or_default()
}

/// Backoff after `failures` failures in a row: 1 s doubling to 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(9)).min(Duration::from_secs(300))
}

const BATCH: usize = 64;
const KEEP_DELIVERED_MS: i64 = 7 * 24 * 3600 * 1000;

/// A URL as logs and metrics may show it: without credentials or query.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "(invalid url)".into(),
    }
}

/// The HTTP client of one receiver: TLS trusting the system's roots and
/// the receiver's `ca_file`; no redirects (a signed body is not sent on to
/// wherever a 3xx points: the receiver must name its final URL).
pub fn client(receiver: &Receiver) -> Result<reqwest::Client, String> {
    let extra: Vec<(&'static str, &std::path::Path)> = receiver
        .ca_file
        .iter()
        .map(|p| ("webhook ca_file", p.as_path()))
        .collect();
    let builder = crate::tls::http_client()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("simfleet/", env!("CARGO_PKG_VERSION")));
    let builder = match crate::tls::client_config(&extra) {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // No CA anywhere: plain http:// receivers still work.
        Err(crate::tls::TlsError::NoRoots) if !receiver.url.starts_with("https:") => builder,
        Err(e) => return Err(e.to_string()),
    };
    builder.build().map_err(|e| e.to_string())
}

/// Delivers `receiver`'s events until `stop` turns true.
pub async fn run(store: Store, clock: Arc<dyn Clock>, receiver: Receiver, mut stop: watch::Receiver<bool>) {
    let http = match client(&receiver) {
        Ok(c) => c,
        Err(e) => {
            warn!(url = %redacted(&receiver.url), error = %e, "cannot make an HTTP client; webhook disabled");
            return;
        }
    };
    let mut changes = store.outbox_changes();
    let mut failures = 0u32;
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        // Delivered events are kept a week for inspection, then dropped;
        // checked at most hourly, when there is work anyway.
        if pruned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            pruned_at = Some(std::time::Instant::now());
            let before = clock.now_ms() - KEEP_DELIVERED_MS;
            if let Ok(n) = store.run(move |s| s.prune_delivered_events(before)).await
                && n > 0
            {
                debug!(count = n, "forgot delivered webhook events older than a week");
            }
        }
        changes.mark_unchanged();
        let id = receiver.id;
        let now = clock.now_ms();
        let due = store
            .run(move |s| s.due_events(id, now, BATCH))
            .await
            .unwrap_or_else(|e| {
                warn!(error = %e, "cannot read the webhook outbox");
                Vec::new()
            });
        let mut paused = None;
        for e in &due {
            if *stop.borrow() {
                return;
            }
            match post(&http, &receiver, e, clock.now_ms()).await {
                Ok(()) => {
                    failures = 0;
                    let (row, now) = (e.row, clock.now_ms());
                    if let Err(err) = store.run(move |s| s.event_delivered(row, now)).await {
                        warn!(error = %err, "cannot record a delivered webhook event");
                    }
                    debug!(url = %redacted(&receiver.url), event_id = %e.event_id, "webhook delivered");
                }
                Err(why) => {
                    failures += 1;
                    let wait = backoff(failures);
                    let next = clock.now_ms() + wait.as_millis() as i64;
                    let row = e.row;
                    let why_stored = why.clone();
                    if let Err(err) = store.run(move |s| s.event_failed(row, &why_stored, next)).await {
                        warn!(error = %err, "cannot record a failed webhook attempt");
                    }
                    info!(url = %redacted(&receiver.url), event_id = %e.event_id, error = %why, retry_in_s = wait.as_secs(), "webhook not delivered; will retry");
                    paused = Some(wait);
                    break;
                }
            }
        }
        if paused.is_none() && due.len() == BATCH {
            continue;
        }
        let sleep = match paused {
            Some(wait) => Some(wait),
            None => {
                let next = store.run(move |s| s.next_event_at(id)).await.ok().flatten();
                next.map(|t| Duration::from_millis((t - clock.now_ms()).max(0) as u64))
            }
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            // New events only matter when not backing off.
            _ = changes.changed(), if paused.is_none() => {}
            _ = async { match sleep { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {}
        }
    }
}

async fn post(http: &reqwest::Client, r: &Receiver, e: &PendingEvent, now_ms: i64) -> Result<(), String> {
    let body = body(e);
    let timestamp = now_ms.div_euclid(1000);
    let sig = signature(r.secret.as_bytes(), timestamp, body.as_bytes());
    let res = http
        .post(&r.url)
        .header("content-type", "application/json")
        .header("x-simfleet-event", &e.event)
        .header("x-simfleet-event-id", &e.event_id)
        .header("x-simfleet-timestamp", timestamp.to_string())
        .header("x-simfleet-signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|err| error_chain(&err.without_url()))?;
    if res.status().is_success() {
        Ok(())
    } else if res.status().is_redirection() {
        Err(format!(
            "receiver answered {} (redirects are not followed with a signed body: set the webhook's url to where it points)",
            res.status()
        ))
    } else {
        Err(format!("receiver answered {}", res.status()))
    }
}

/// An error with its causes, for a log a person can act on ("error
/// sending request: … invalid peer certificate: UnknownIssuer").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets_in_logs() {
        assert_eq!(
            redacted("https://user:pw@example.com/hook?token=abc#x"),
            "https://example.com/hook"
        );
        assert_eq!(redacted("http://127.0.0.1:9000/h"), "http://127.0.0.1:9000/h");
    }

    #[test]
    fn backoff_doubles_to_five_minutes() {
        let secs: Vec<u64> = (1..=12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }

    #[test]
    fn body_wraps_the_data() {
        let e = PendingEvent {
            row: 1,
            event_id: "abc".into(),
            event: "vote".into(),
            created_at: 0,
            data: r#"{"option":"1"}"#.into(),
            attempts: 0,
        };
        let v: serde_json::Value = serde_json::from_str(&body(&e)).unwrap();
        assert_eq!(v["id"], "abc");
        assert_eq!(v["type"], "vote");
        assert_eq!(v["created_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["data"]["option"], "1");
    }
}
