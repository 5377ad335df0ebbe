//! `simfleet campaign`: create a campaign from a file (TOML or JSON, the
//! request `POST /v1/campaigns` takes), start, pause, resume or cancel it,
//! and read its progress and figures — once, or with `--watch` as a live
//! progress bar (indicatif) until it completes, is cancelled, or Ctrl-C.
//! A client of the local API like `simfleet send`; strings from outside
//! are shown through [`shown`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::Value;

use super::client::{Api, ConfigArg};
use super::lists::shown;

/// How often `status --watch` asks the gateway for progress.
const WATCH_EVERY: Duration = Duration::from_secs(1);

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
        out.push_str(&format!(
            "  progress  {}% of {}: {} pending, {} queued, {} excluded, {} expired, {} skipped, {} cancelled\n",
            p["percent_done"].as_f64().unwrap_or(0.0),
            num(&p["audience"]),
            num(&p["pending"]),
            num(&p["queued"]),
            num(&p["excluded"]),
            num(&p["expired"]),
            num(&p["skipped"]),
            num(&p["cancelled"])
        ));
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
        out.push_str(&format!("  decision  {}\n", shown(&c["decision"].to_string())));
    }
    out
}

fn figures_line(label: &str, f: &Value) -> String {
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

fn print(value: &Value, json: bool) {
    if json {
        println!("{value}");
    } else {
        print!("{}", report(value));
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
    print(&c, args.json);
    if !args.json {
        println!(
            "created as a draft; start it with: simfleet campaign start {}",
            text(&c["id"])
        );
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
    print(&c, args.json);
    Ok(())
}

/// `simfleet campaign status ID [--watch]`.
pub async fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let api = Api::from_config(&args.config)?;
    let path = format!("/v1/campaigns/{}", args.id);
    let c = api.call(reqwest::Method::GET, &path, None).await?;
    if !args.watch {
        print(&c, args.json);
        return Ok(());
    }
    let bar = indicatif::ProgressBar::new(num(&c["progress"]["audience"]).max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} ({percent}%) {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut c = c;
    loop {
        let p = &c["progress"];
        let audience = num(&p["audience"]);
        bar.set_length(audience.max(1));
        bar.set_position(audience.saturating_sub(num(&p["pending"])));
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
        if matches!(c["status"].as_str(), Some("completed" | "cancelled")) {
            bar.finish();
            print(&c, args.json);
            return Ok(());
        }
        tokio::time::sleep(WATCH_EVERY).await;
        c = match api.call(reqwest::Method::GET, &path, None).await {
            Ok(v) => v,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
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
}
