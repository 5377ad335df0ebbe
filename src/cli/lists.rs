//! `simfleet messages` and `simfleet inbox`: the queue, the history and
//! the replies without curl. `--watch` keeps following: every status
//! change of every message (from `GET /v1/events`), every new reply.

use std::time::Duration;

use clap::Args;
use serde_json::Value;

use super::client::{Api, ConfigArg};

/// How often a watching client asks the gateway for news.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Arguments of `simfleet messages`.
#[derive(Debug, Clone, Args)]
pub struct MessagesArgs {
    /// Only messages in this status (queued, sending, sent, delivered, failed, unknown, …).
    #[arg(long)]
    pub status: Option<String>,
    /// How many (newest last).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Then follow every status change until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Arguments of `simfleet inbox`.
#[derive(Debug, Clone, Args)]
pub struct InboxArgs {
    /// How many (newest last).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Then follow new replies until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// One line per message: id, status, recipient, segments, when, why.
pub fn message_line(m: &Value) -> String {
    format!(
        "#{:<6} {:<10} {:<16} {:>2} seg  {}  {}",
        s(&m["id"]),
        s(&m["status"]),
        s(&m["to"]),
        m["segments"].as_u64().unwrap_or(0),
        s(&m["created_at"]),
        s(&m["error"]),
    )
}

/// One line per status change.
pub fn event_line(e: &Value) -> String {
    format!(
        "{}  #{:<6} {:<16} {:<10} {}",
        s(&e["at"]),
        s(&e["message_id"]),
        s(&e["to"]),
        s(&e["status"]),
        s(&e["reason"]),
    )
}

/// One line per reply.
pub fn reply_line(m: &Value) -> String {
    let kind = m["kind"].as_str().map(|k| format!(" [{k}]")).unwrap_or_default();
    format!(
        "{}  from {:<16} SIM {}{kind}: {}",
        s(&m["received_at"]),
        s(&m["from"]),
        s(&m["imsi"]),
        s(&m["text"]),
    )
}

/// Pages through `path` (a list route) and returns its last `limit` items.
async fn last_items(api: &Api, path: &str, key: &str, limit: usize) -> anyhow::Result<Vec<Value>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut after: Option<String> = None;
    let mut tail: std::collections::VecDeque<Value> = std::collections::VecDeque::new();
    loop {
        let url = match &after {
            Some(a) => format!("{path}{sep}limit=1000&after={a}"),
            None => format!("{path}{sep}limit=1000"),
        };
        let page = api.call(reqwest::Method::GET, &url, None).await?;
        for item in page[key].as_array().cloned().unwrap_or_default() {
            tail.push_back(item);
            if tail.len() > limit {
                tail.pop_front();
            }
        }
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => return Ok(tail.into()),
        }
    }
}

/// Runs `simfleet messages`.
pub async fn messages(args: &MessagesArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    // Where the history stands now: only what happens after the list.
    let mut cursor = if args.watch {
        let now = api
            .call(reqwest::Method::GET, "/v1/events?after=now&limit=1", None)
            .await?;
        Some(s(&now["next"]).to_string())
    } else {
        None
    };
    let path = match &args.status {
        Some(st) => format!("/v1/messages?status={st}"),
        None => "/v1/messages".to_string(),
    };
    let list = last_items(&api, &path, "messages", args.limit).await?;
    if list.is_empty() {
        println!("no messages");
    }
    for m in &list {
        println!("{}", message_line(m));
    }
    let Some(cursor) = cursor.as_mut() else {
        return Ok(());
    };
    println!("-- following every status change (Ctrl-C to stop)");
    loop {
        let page = api
            .call(
                reqwest::Method::GET,
                &format!("/v1/events?after={cursor}&limit=1000"),
                None,
            )
            .await?;
        for e in page["events"].as_array().cloned().unwrap_or_default() {
            if args.status.as_deref().is_none_or(|st| st == s(&e["status"])) {
                println!("{}", event_line(&e));
            }
        }
        *cursor = s(&page["next"]).to_string();
        if page["events"].as_array().is_none_or(|a| a.len() < 1000) {
            tokio::time::sleep(WATCH_EVERY).await;
        }
    }
}

/// Runs `simfleet inbox`.
pub async fn inbox(args: &InboxArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    let list = last_items(&api, "/v1/inbox", "messages", args.limit).await?;
    if list.is_empty() && !args.watch {
        println!("no replies");
    }
    for m in &list {
        println!("{}", reply_line(m));
    }
    if !args.watch {
        return Ok(());
    }
    println!("-- following new replies (Ctrl-C to stop)");
    let mut after: i64 = list.last().and_then(|m| s(&m["id"]).parse().ok()).unwrap_or(0);
    loop {
        let page = api
            .call(
                reqwest::Method::GET,
                &format!("/v1/inbox?after={after}&limit=1000"),
                None,
            )
            .await?;
        let items = page["messages"].as_array().cloned().unwrap_or_default();
        for m in &items {
            println!("{}", reply_line(m));
            if let Ok(id) = s(&m["id"]).parse::<i64>() {
                after = after.max(id);
            }
        }
        if items.len() < 1000 {
            tokio::time::sleep(WATCH_EVERY).await;
        }
    }
}
