//! `simfleet messages` and `simfleet inbox`: the queue, the history and
//! the replies without curl. `--watch` keeps following: every status
//! change of every message (from `GET /v1/events`), every new reply —
//! through a daemon restart: while the gateway cannot be reached it says
//! so once on stderr and retries. Every string from outside (a reply's
//! text, a sender, an error) is shown through [`shown`], so no phone can
//! put control sequences on the operator's terminal.

use std::time::Duration;

use clap::Args;
use serde_json::Value;

use super::client::{Api, ConfigArg};

/// How often a watching client asks the gateway for news.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// The longest wait between two tries while the gateway is unreachable.
const RETRY_AT_MOST: Duration = Duration::from_secs(5);

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

/// `text` safe to print on a terminal: control characters (C0, DEL, C1)
/// and bidirectional-text controls (U+061C, U+200E/F, U+202A–202E,
/// U+2066–2069) made visible — ESC as `\e`, others as `\xNN` (below
/// U+0100) or `\u{NNNN}` — so a received text cannot clear the screen,
/// write the clipboard (OSC 52) or reorder what is shown. Everything else
/// is kept as is.
pub fn shown(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c == '\u{1b}' {
            out.push_str("\\e");
        } else if c.is_control() && (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else if c.is_control() || bidi {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// A string field of `v`, [`shown`].
fn t(v: &Value) -> String {
    shown(s(v))
}

/// One line per message: id, status, recipient, segments, when, why.
pub fn message_line(m: &Value) -> String {
    format!(
        "#{:<6} {:<10} {:<16} {:>2} seg  {}  {}",
        t(&m["id"]),
        t(&m["status"]),
        t(&m["to"]),
        m["segments"].as_u64().unwrap_or(0),
        t(&m["created_at"]),
        t(&m["error"]),
    )
}

/// One line per status change.
pub fn event_line(e: &Value) -> String {
    format!(
        "{}  #{:<6} {:<16} {:<10} {}",
        t(&e["at"]),
        t(&e["message_id"]),
        t(&e["to"]),
        t(&e["status"]),
        t(&e["reason"]),
    )
}

/// One line per reply; an undecodable one as `[undecodable: why] <pdu hex>`.
pub fn reply_line(m: &Value) -> String {
    let kind = m["kind"]
        .as_str()
        .map(|k| format!(" [{}]", shown(k)))
        .unwrap_or_default();
    let body = if m["undecodable"].as_bool() == Some(true) {
        format!("[undecodable: {}] {}", t(&m["error"]), t(&m["pdu"]))
    } else {
        t(&m["text"])
    };
    format!(
        "{}  from {:<16} SIM {}{kind}: {body}",
        t(&m["received_at"]),
        t(&m["from"]),
        t(&m["imsi"]),
    )
}

/// One call while following: while the gateway cannot be reached (it is
/// restarting, say) says so once on stderr and tries again, waiting up to
/// [`RETRY_AT_MOST`] in between. An answer that is an error ends the watch.
async fn follow(api: &Api, path: &str, unreachable: &mut bool) -> anyhow::Result<Value> {
    let mut wait = Duration::from_millis(250);
    loop {
        match api.call(reqwest::Method::GET, path, None).await {
            Ok(v) => {
                if std::mem::take(unreachable) {
                    eprintln!("gateway at {} is back; following again", api.base);
                }
                return Ok(v);
            }
            Err(e) if super::client::is_unreachable(&e) => {
                if !*unreachable {
                    eprintln!(
                        "cannot reach the gateway at {} ({}); retrying until it is back (Ctrl-C to stop)",
                        api.base,
                        shown(&format!("{:#}", e.root_cause()))
                    );
                    *unreachable = true;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_AT_MOST);
            }
            Err(e) => return Err(e),
        }
    }
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
    let mut unreachable = false;
    loop {
        let page = follow(
            &api,
            &format!("/v1/events?after={cursor}&limit=1000"),
            &mut unreachable,
        )
        .await?;
        for e in page["events"].as_array().cloned().unwrap_or_default() {
            if args.status.as_deref().is_none_or(|st| st == s(&e["status"])) {
                println!("{}", event_line(&e));
            }
        }
        if let Some(next) = page["next"].as_str() {
            *cursor = next.to_string();
        }
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
    let mut unreachable = false;
    loop {
        let page = follow(
            &api,
            &format!("/v1/inbox?after={after}&limit=1000"),
            &mut unreachable,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_and_bidi_characters_are_made_visible() {
        assert_eq!(
            shown("\u{1b}[2J\u{1b}]52;c;aGk=\u{7}"),
            "\\e[2J\\e]52;c;aGk=\\x07"
        );
        assert_eq!(shown("a\rb\nc\td\u{7f}\u{9b}"), "a\\x0db\\x0ac\\x09d\\x7f\\x9b");
        assert_eq!(
            shown("\u{202e}txt.exe\u{2066}\u{2069}\u{200f}\u{061c}"),
            "\\u{202e}txt.exe\\u{2066}\\u{2069}\\u{200f}\\u{061c}"
        );
        assert_eq!(shown("Привет, ¡hola! 😀 \\e"), "Привет, ¡hola! 😀 \\e");
    }

    #[test]
    fn every_line_shows_outside_strings_escaped() {
        let evil = "\u{1b}[2J\u{202e}";
        let seen = "\\e[2J\\u{202e}";
        let reply = json!({"received_at": "t", "from": evil, "imsi": evil, "text": evil, "kind": evil});
        let message = json!({"id": "1", "status": "failed", "to": evil, "created_at": "t", "error": evil});
        let event = json!({"at": "t", "message_id": "1", "to": evil, "status": "failed", "reason": evil});
        for line in [reply_line(&reply), message_line(&message), event_line(&event)] {
            assert!(!line.contains('\u{1b}') && !line.contains('\u{202e}'), "{line:?}");
            assert!(line.contains(seen), "{line:?}");
        }
    }

    #[test]
    fn an_undecodable_reply_is_shown_as_such() {
        let m = json!({"received_at": "t", "from": null, "imsi": "250", "text": null,
                       "undecodable": true, "error": "bad \u{1b}length", "pdu": "0791AB"});
        let line = reply_line(&m);
        assert!(line.ends_with(": [undecodable: bad \\elength] 0791AB"), "{line}");
    }
}
