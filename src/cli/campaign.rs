//! `simfleet campaign`: create a campaign from a file (TOML or JSON, the
//! request `POST /v1/campaigns` takes), start, pause, resume or cancel it,
//! and read its progress and figures — once, or with `--watch` as a live
//! progress bar (indicatif) until it completes, is cancelled, or Ctrl-C.
//! A client of the local API like `simfleet send`; strings from outside
//! are shown through [`shown`].
//!
//! Output that goes nowhere (`… | head`) ends the command quietly with
//! exit 0; `--watch` with stdout not a terminal prints a plain line each
//! time the progress changes (and the report at the end), and rides out a
//! daemon restart for [`RECONNECT_FOR`] before giving up.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::Value;

use super::client::{Api, ConfigArg};
use super::lists::shown;

/// How often `status --watch` asks the gateway for progress.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// How long `status --watch` keeps trying to reach a gateway that went
/// away (a restart) before it gives up.
pub const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// Writes `text` to stdout; `Ok(false)` when stdout is closed (a reader
/// like `head` went away), which callers treat as a quiet end.
fn emit(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}

/// `simfleet campaign …`.
#[derive(Debug, Clone, Subcommand)]
pub enum CampaignCommand {
    /// Create a draft from a file (TOML or JSON: name, audience, variants, …).
    Create(CreateArgs),
    /// Fix the audience and start sending (from `start_at` if it is later).
    Start(IdArgs),
    /// Stop sending until resumed.
    Pause(IdArgs),
    /// Go on after a pause.
    Resume(IdArgs),
    /// Stop for good: what was not sent never will be.
    Cancel(IdArgs),
    /// Progress and figures; `--watch` follows with a live progress bar.
    Status(StatusArgs),
}

/// Arguments of `simfleet campaign create`.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// The campaign file: `.toml` or `.json` (other names: read by their content).
    pub file: PathBuf,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the gateway's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of the lifecycle commands.
#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    /// Campaign id.
    pub id: u64,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print the gateway's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `simfleet campaign status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Campaign id.
    pub id: u64,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Follow with a live progress bar until it completes or is cancelled (Ctrl-C stops watching).
    #[arg(long)]
    pub watch: bool,
    /// Print the gateway's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads a campaign file: JSON for `.json`, TOML for `.toml`, otherwise
/// JSON if it starts with `{`, else TOML. A mistake names the file and,
/// for TOML, the line and column.
pub fn read_file(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let json = match ext.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    let value = if json {
        serde_json::from_str::<Value>(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not valid JSON at line {}, column {}: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?
    } else {
        let v = toml::from_str::<Value>(&text).map_err(|e| {
            anyhow::anyhow!("{}: not valid TOML: {}", path.display(), e.to_string().trim_end())
        })?;
        toml_times(v)
    };
    if !value.is_object() {
        bail!(
            "{}: a campaign is an object (name, audience, variants, …)",
            path.display()
        );
    }
    Ok(value)
}

/// TOML dates and times read into JSON come as
/// `{"$__toml_private_datetime": "…"}`; the API takes them as strings.
fn toml_times(v: Value) -> Value {
    const KEY: &str = "$__toml_private_datetime";
    match v {
        Value::Object(m) => {
            if m.len() == 1
                && let Some(Value::String(s)) = m.get(KEY)
            {
                return Value::String(s.clone());
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, toml_times(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(toml_times).collect()),
        other => other,
    }
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn text(v: &Value) -> String {
    shown(v.as_str().unwrap_or("-"))
}

fn rate(v: &Value) -> String {
    v.as_f64()
        .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// One line: id, name, status (and why).
pub fn headline(c: &Value) -> String {
    let reason = c["status_reason"]
        .as_str()
        .map(|r| format!(" ({})", shown(r)))
        .unwrap_or_default();
    format!(
        "campaign {} {:?}: {}{reason}",
        text(&c["id"]),
        shown(c["name"].as_str().unwrap_or("")),
        text(&c["status"])
    )
}

/// The campaign in words: status, times, audience, progress, figures
/// overall and per variant, the ETA and the A/B decision.
pub fn report(c: &Value) -> String {
    let mut out = headline(c);
    out.push('\n');
    for (label, key) in [
        ("start", "start_at"),
        ("deadline", "deadline"),
        ("finished", "finished_at"),
    ] {
        if let Some(t) = c[key].as_str() {
            out.push_str(&format!("  {label:<9} {}\n", shown(t)));
        }
    }
    if let Some(d) = c["draft_audience"].as_object() {
        let ex = &d["excluded"];
        out.push_str(&format!(
            "  audience  {} would receive it now, of {} (left out: {} no consent, {} opted out, {} invalid)\n",
            num(&d["count"]),
            num(&d["matched"]),
            num(&ex["no_consent"]),
            num(&ex["opted_out"]),
            num(&ex["invalid"])
        ));
    }
    let p = &c["progress"];
    if num(&p["audience"]) > 0 {
        out.push_str(&format!("  progress  {}\n", progress_line(p)));
        let reasons: Vec<String> = p["by_reason"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, n)| num(n) > 0)
                    .map(|(k, n)| format!("{} {}", num(n), k.replace('_', " ")))
                    .collect()
            })
            .unwrap_or_default();
        if !reasons.is_empty() {
            out.push_str(&format!("  left out  {}\n", reasons.join(", ")));
        }
    }
    let f = &c["figures"];
    out.push_str(&figures_line("overall", &f["overall"]));
    if let Some(vs) = f["variants"].as_object() {
        for (name, v) in vs {
            out.push_str(&figures_line(&format!("variant {}", shown(name)), v));
        }
    }
    if let Some(s) = c["eta"]["summary"].as_str().filter(|s| !s.is_empty()) {
        out.push_str(&format!("  eta       {}\n", shown(s)));
    }
    if !c["decision"].is_null() {
        out.push_str(&format!("  decision  {}\n", decision(&c["decision"])));
    }
    if let Some(votes) = c["figures"]["overall"]["votes"]
        .as_object()
        .filter(|v| !v.is_empty())
    {
        let list: Vec<String> = votes
            .iter()
            .map(|(option, n)| match c["survey"]["options"][option].as_str() {
                Some(label) => format!("{} ({}): {}", shown(label), shown(option), num(n)),
                None => format!("{}: {}", shown(option), num(n)),
            })
            .collect();
        out.push_str(&format!("  votes     {}\n", list.join(", ")));
    }
    out
}

/// The A/B decision in words: what was decided, then each variant's rate
/// by the metric and the p-value.
pub fn decision(d: &Value) -> String {
    let metric = d["metric"].as_str().unwrap_or("metric");
    let mut out = match d["words"].as_str() {
        Some(w) => shown(w),
        None => format!("winner {}", text(&d["winner"])),
    };
    let arms: Vec<String> = d["variants"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    format!(
                        "{} {} of {} sent ({})",
                        shown(v["name"].as_str().unwrap_or("?")),
                        num(&v["successes"]),
                        num(&v["sent"]),
                        rate(&v["rate"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !arms.is_empty() {
        out.push_str(&format!(" — by {}: {}", shown(metric), arms.join(", ")));
    }
    if let Some(p) = d["p_value"].as_f64() {
        out.push_str(&format!("; p = {p:.3}"));
    }
    out
}

/// `50% of 4: 1 pending, 1 queued, 1 done, 1 excluded, 0 expired, 0 cancelled`.
fn progress_line(p: &Value) -> String {
    format!(
        "{}% of {}: {} pending, {} queued, {} done, {} excluded, {} expired, {} cancelled",
        p["percent_done"].as_f64().unwrap_or(0.0),
        num(&p["audience"]),
        num(&p["pending"]),
        num(&p["queued"]),
        num(&p["done"]),
        num(&p["excluded"]),
        num(&p["expired"]),
        num(&p["cancelled"])
    )
}

fn figures_line(label: &str, f: &Value) -> String {
    let mut line = figures_base(label, f);
    // Attribution, once there is any.
    if num(&f["total_clicks"]) > 0 || num(&f["conversions"]) > 0 {
        line.pop();
        line.push_str(&format!(
            "; clicks {} ({}), conversions {} ({}), revenue {} {}\n",
            num(&f["clicks"]),
            rate(&f["ctr"]),
            num(&f["conversions"]),
            rate(&f["conversion_rate"]),
            shown(f["revenue"].as_str().unwrap_or("0")),
            shown(f["currency"].as_str().unwrap_or("")),
        ));
    }
    // Calls to the tracking SIM, once there are any.
    if num(&f["calls"]) > 0 {
        line.pop();
        line.push_str(&format!(
            "; calls {} ({} callers)\n",
            num(&f["calls"]),
            num(&f["unique_callers"])
        ));
    }
    line
}

fn figures_base(label: &str, f: &Value) -> String {
    format!(
        "  {label}: sent {}, delivered {} ({}), failed {}, unknown {}, expired {}; replies {} ({}), opt-outs {} ({}); {} segments, cost {} {}\n",
        num(&f["sent"]),
        num(&f["delivered"]),
        rate(&f["delivery_rate"]),
        num(&f["failed"]),
        num(&f["unknown"]),
        num(&f["expired"]),
        num(&f["replies"]),
        rate(&f["reply_rate"]),
        num(&f["opt_outs"]),
        rate(&f["opt_out_rate"]),
        num(&f["segments"]),
        shown(f["cost"].as_str().unwrap_or("0")),
        shown(f["currency"].as_str().unwrap_or("")),
    )
}

/// Prints the answer; `Ok(false)` when stdout is closed.
fn print(value: &Value, json: bool) -> anyhow::Result<bool> {
    if json {
        emit(&format!("{value}\n"))
    } else {
        emit(&report(value))
    }
}

/// `simfleet campaign create FILE`.
pub async fn create(args: &CreateArgs) -> anyhow::Result<()> {
    let body = read_file(&args.file)?;
    let api = Api::from_config(&args.config)?;
    let c = api
        .call(reqwest::Method::POST, "/v1/campaigns", Some(body))
        .await
        .with_context(|| format!("{} was not accepted", args.file.display()))?;
    if print(&c, args.json)? && !args.json {
        emit(&format!(
            "created as a draft; start it with: simfleet campaign start {}\n",
            text(&c["id"])
        ))?;
    }
    Ok(())
}

/// `simfleet campaign start|pause|resume|cancel ID`.
pub async fn act(action: &str, args: &IdArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    let c = api
        .call(
            reqwest::Method::POST,
            &format!("/v1/campaigns/{}/{action}", args.id),
            None,
        )
        .await?;
    print(&c, args.json)?;
    Ok(())
}

/// The line `--watch` prints (or shows beside the bar) for `c`.
fn watch_line(c: &Value) -> String {
    let o = &c["figures"]["overall"];
    format!(
        "campaign {} {}: {}; sent {}, delivered {}, failed {}, replies {}, opt-outs {}",
        text(&c["id"]),
        text(&c["status"]),
        progress_line(&c["progress"]),
        num(&o["sent"]),
        num(&o["delivered"]),
        num(&o["failed"]),
        num(&o["replies"]),
        num(&o["opt_outs"])
    )
}

/// `simfleet campaign status ID [--watch]`.
pub async fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    let path = format!("/v1/campaigns/{}", args.id);
    let c = api.call(reqwest::Method::GET, &path, None).await?;
    if !args.watch {
        print(&c, args.json)?;
        return Ok(());
    }
    // A live bar on a terminal; plain lines (or JSON lines) otherwise.
    let live = !args.json && std::io::stdout().is_terminal();
    let bar = if live {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(num(&c["progress"]["audience"]).max(1)),
            indicatif::ProgressDrawTarget::stdout(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} ({percent}%) {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Some(bar)
    } else {
        None
    };
    let mut c = c;
    let mut last = String::new();
    loop {
        let finished = matches!(c["status"].as_str(), Some("completed" | "cancelled"));
        let line = watch_line(&c);
        if let Some(bar) = &bar {
            let p = &c["progress"];
            let audience = num(&p["audience"]);
            bar.set_length(audience.max(1));
            bar.set_position(audience.saturating_sub(num(&p["pending"]) + num(&p["queued"])));
            bar.set_prefix(format!("campaign {} {}", text(&c["id"]), text(&c["status"])));
            let o = &c["figures"]["overall"];
            bar.set_message(format!(
                "sent {} delivered {} failed {} replies {} opt-outs {}",
                num(&o["sent"]),
                num(&o["delivered"]),
                num(&o["failed"]),
                num(&o["replies"]),
                num(&o["opt_outs"])
            ));
        } else if line != last && !finished {
            let shown = if args.json { c.to_string() } else { line.clone() };
            if !emit(&format!("{shown}\n"))? {
                return Ok(());
            }
        }
        last = line;
        if finished {
            if let Some(bar) = &bar {
                bar.finish();
            }
            print(&c, args.json)?;
            return Ok(());
        }
        tokio::time::sleep(WATCH_EVERY).await;
        c = match next(&api, &path, bar.as_ref()).await {
            Ok(v) => v,
            Err(e) => {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                return Err(e);
            }
        };
    }
}

/// The next view for `--watch`: a gateway that cannot be reached is
/// retried every [`WATCH_EVERY`] for [`RECONNECT_FOR`] (saying so on
/// stderr) before the error is returned; an error answer is returned at once.
async fn next(api: &Api, path: &str, bar: Option<&indicatif::ProgressBar>) -> anyhow::Result<Value> {
    let mut since: Option<Instant> = None;
    loop {
        match api.call(reqwest::Method::GET, path, None).await {
            Ok(v) => {
                if since.is_some() {
                    say(bar, "reconnected to the gateway");
                }
                return Ok(v);
            }
            Err(e) if super::client::is_unreachable(&e) => {
                let first = *since.get_or_insert_with(Instant::now);
                if first.elapsed() >= RECONNECT_FOR {
                    return Err(e.context(format!(
                        "gave up after trying to reconnect for {} s",
                        RECONNECT_FOR.as_secs()
                    )));
                }
                if first.elapsed() < WATCH_EVERY {
                    say(
                        bar,
                        &format!(
                            "lost the gateway ({e}); reconnecting for up to {} s…",
                            RECONNECT_FOR.as_secs()
                        ),
                    );
                }
                tokio::time::sleep(WATCH_EVERY).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A note on stderr (above the bar when there is one).
fn say(bar: Option<&indicatif::ProgressBar>, note: &str) {
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{note}")),
        None => eprintln!("{note}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        (dir, path)
    }

    #[test]
    fn toml_reads_with_times_as_strings() {
        let (_d, p) = file(
            "c.toml",
            "name = \"Sale\"\nstart_at = 2026-12-01T09:00:00+03:00\naudience = { segment = 3 }\n[[variants]]\nname = \"A\"\ntext = \"Hi {{ name }}\"\nweight = 50\n",
        );
        let v = read_file(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["start_at"], "2026-12-01T09:00:00+03:00");
        assert_eq!(v["audience"]["segment"], 3);
        assert_eq!(v["variants"][0]["weight"], 50);
    }

    #[test]
    fn a_toml_mistake_names_the_line() {
        let (_d, p) = file(
            "c.toml",
            "name = \"Sale\"\naudience = { segment = 3 }\nvariants = [\n",
        );
        let e = read_file(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") || e.contains("line 4"), "{e}");
        let (_d, p) = file("c.json", "{\"name\": \"x\",\n \"audience\": }");
        let e = read_file(&p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn content_decides_without_an_extension() {
        let (_d, p) = file("campaign", "{\"name\": \"x\"}");
        assert_eq!(read_file(&p).ok().map(|v| v["name"].clone()), Some("x".into()));
        let (_d, p) = file("campaign", "name = \"y\"\n");
        assert_eq!(read_file(&p).ok().map(|v| v["name"].clone()), Some("y".into()));
    }

    #[test]
    fn calls_show_once_there_are_any() {
        let mut f =
            serde_json::json!({"sent": 10, "delivered": 8, "calls": 0, "unique_callers": 0, "cost": "0.50"});
        assert!(!figures_line("overall", &f).contains("calls"));
        f["calls"] = 3.into();
        f["unique_callers"] = 2.into();
        let line = figures_line("overall", &f);
        assert!(line.ends_with("; calls 3 (2 callers)\n"), "{line}");
    }

    #[test]
    fn clicks_conversions_and_revenue_show_once_there_are_any() {
        let mut f = serde_json::json!({"sent": 10, "delivered": 8, "clicks": 0, "total_clicks": 0,
            "conversions": 0, "revenue": "0.00", "currency": "EUR", "cost": "0.50"});
        assert!(!figures_line("overall", &f).contains("clicks"));
        f["clicks"] = 2.into();
        f["total_clicks"] = 3.into();
        f["ctr"] = 0.25.into();
        f["conversions"] = 1.into();
        f["conversion_rate"] = 0.125.into();
        f["revenue"] = "49.90".into();
        let line = figures_line("overall", &f);
        assert!(
            line.ends_with("; clicks 2 (25.0%), conversions 1 (12.5%), revenue 49.90 EUR\n"),
            "{line}"
        );
    }

    #[test]
    fn the_decision_and_votes_read_as_words() {
        let c = serde_json::json!({
            "id": "3", "name": "Sale", "status": "running",
            "progress": {"audience": 0},
            "figures": {"overall": {"votes": {"1": 4, "2": 7}}, "variants": {}},
            "survey": {"options": {"1": "Pizza"}},
            "decision": {"metric": "reply", "winner": "B", "p_value": 0.0123,
                "words": "B wins: 12.0% replied against 4.0% (p = 0.012)",
                "variants": [{"name": "A", "sent": 100, "successes": 4, "rate": 0.04},
                             {"name": "B", "sent": 100, "successes": 12, "rate": 0.12}]}
        });
        let r = report(&c);
        assert!(
            r.contains("  decision  B wins: 12.0% replied against 4.0% (p = 0.012) — by reply: A 4 of 100 sent (4.0%), B 12 of 100 sent (12.0%); p = 0.012\n"),
            "{r}"
        );
        assert!(!r.contains('{'), "no raw JSON: {r}");
        assert!(r.contains("  votes     Pizza (1): 4, 2: 7\n"), "{r}");
    }
}
