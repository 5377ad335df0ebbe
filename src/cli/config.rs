//! `simfleet config check FILE`: reads and validates a configuration
//! exactly as `serve` would, and says what it would do, without opening
//! the database, a port or a modem.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::{Checked, Config, ConfigError};

/// `simfleet config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file without starting anything.
    Check(CheckArgs),
}

/// Arguments of `simfleet config check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The configuration file.
    pub file: PathBuf,
}

/// Why a configuration would not start.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file itself.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file it names (token, certificate, key) that `serve` would refuse.
    #[error("{key} {path}: {why}")]
    File {
        /// The config key naming the file.
        key: &'static str,
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
}

/// Checks the file and the files it names as `serve` would; on success a
/// short summary of what `serve` would do. A token file this user may not
/// read is noted in the summary (run it with sudo to check it), not refused.
pub fn check(args: &CheckArgs) -> Result<String, CheckError> {
    let checked = Config::load(&args.file)?;
    let api = &checked.config.api;
    let mut notes = Vec::new();
    match crate::api::Token::load(&api.token_file) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && e.raw_os_error().is_some() => notes
            .push(format!(
                "  note      cannot read {} as this user: run with sudo to check it",
                api.token_file.display()
            )),
        Err(e) => {
            return Err(CheckError::File {
                key: "api.token_file",
                path: api.token_file.display().to_string(),
                why: e.to_string(),
            });
        }
    }
    if let (Some(cert), Some(key)) = (&api.tls_cert, &api.tls_key) {
        crate::tls::server_config(cert, key).map_err(|e| CheckError::File {
            key: "api.tls_cert/api.tls_key",
            path: cert.display().to_string(),
            why: e.to_string(),
        })?;
    }
    let public = &checked.config.public;
    if let (Some(cert), Some(key)) = (&public.tls_cert, &public.tls_key) {
        crate::tls::server_config(cert, key).map_err(|e| CheckError::File {
            key: "public.tls_cert/public.tls_key",
            path: cert.display().to_string(),
            why: e.to_string(),
        })?;
    }
    if public.listen.is_some() {
        let key_file = public.secret_file(api);
        match crate::api::Token::load(&key_file) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && e.raw_os_error().is_some() => {}
            Err(e) => {
                return Err(CheckError::File {
                    key: "public.secret_file",
                    path: key_file.display().to_string(),
                    why: e.to_string(),
                });
            }
        }
    }
    notes.extend(link_notes(public));
    if api.tls_cert.is_none() && !api.listen.ip().is_loopback() {
        notes.push("  warning   plain HTTP beyond loopback (api.allow_plain_http): the token and every message travel in clear".into());
    }
    let mut out = summary(&args.file, &checked);
    for n in notes {
        out += &n;
        out.push('\n');
    }
    Ok(out)
}

/// What `public.base_url` left unset means for `{{ link(…) }}`: a
/// warning when `public.listen` is set without it (the listener serves
/// `/l/…` but no text points at it), a note otherwise.
fn link_notes(public: &crate::config::PublicConfig) -> Vec<String> {
    if public.base_url.is_some() {
        return Vec::new();
    }
    if public.listen.is_some() {
        vec!["  warning   public.listen is set without public.base_url: {{ link(…) }} links go out as long UTM links and clicks will not be tracked; set public.base_url to the address people reach public.listen at to count clicks".into()]
    } else {
        vec!["  note      public.base_url is not set: {{ link(…) }} links go out as long UTM links and clicks will not be tracked; set public.base_url to count clicks".into()]
    }
}

/// A modem entry's limits in words, each one set:
/// `  (limits: 300/day, 10/minute, 5000/month, 250 recipients/month, warm-up 50, 100, 200/day)`;
/// empty when none is set.
fn limits(m: &crate::config::ModemEntry) -> String {
    let mut parts = Vec::new();
    if m.daily_limit.is_some() || m.per_minute.is_some() {
        let or_dash = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
        parts.push(format!("{}/day", or_dash(m.daily_limit)));
        parts.push(format!("{}/minute", or_dash(m.per_minute)));
    }
    if let Some(n) = m.monthly_limit {
        parts.push(format!("{n}/month"));
    }
    if let Some(n) = m.unique_recipients_per_month {
        parts.push(format!("{n} recipients/month"));
    }
    if !m.warm_up.is_empty() {
        let days: Vec<String> = m.warm_up.iter().map(u32::to_string).collect();
        parts.push(format!("warm-up {}/day", days.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  (limits: {})", parts.join(", "))
    }
}

fn summary(file: &std::path::Path, checked: &Checked) -> String {
    let c = &checked.config;
    let scheme = if c.api.tls() { "https" } else { "http" };
    let mut out = format!("{}: OK\n", file.display());
    out += &format!(
        "  API       {scheme}://{}  (token in {})\n",
        c.api.listen,
        c.api.token_file.display()
    );
    if let Some(listen) = c.public.listen {
        let scheme = if c.public.tls() { "https" } else { "http" };
        out += &format!(
            "  public    {scheme}://{listen}  (links, subscribe form{})\n",
            c.public
                .base_url
                .as_deref()
                .map(|b| format!("; reached at {b}"))
                .unwrap_or_default()
        );
    }
    out += &format!("  database  {}\n", c.storage.path.display());
    out += &format!("  region    {}\n", checked.region);
    if c.modems.is_empty() {
        out += "  modems    none configured: nothing will be sent\n";
    }
    for m in &c.modems {
        out += &format!("  modem     {}{}\n", m.port, limits(m));
    }
    for w in &c.webhooks {
        out += &format!("  webhook   {}\n", crate::webhook::deliver::redacted(&w.url));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(toml_text: &str) -> crate::config::ModemEntry {
        toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn limits_show_the_monthly_recipient_and_warm_up_quotas() {
        let m = entry(
            "port = \"/dev/ttyUSB0\"\ndaily_limit = 300\nper_minute = 10\nmonthly_limit = 5000\nunique_recipients_per_month = 250\nwarm_up = [50, 100, 200]\n",
        );
        assert_eq!(
            limits(&m),
            "  (limits: 300/day, 10/minute, 5000/month, 250 recipients/month, warm-up 50, 100, 200/day)"
        );
        let m = entry("port = \"/dev/ttyUSB0\"\nmonthly_limit = 900\n");
        assert_eq!(limits(&m), "  (limits: 900/month)");
        assert_eq!(limits(&entry("port = \"/dev/ttyUSB0\"\n")), "");
    }

    #[test]
    fn without_a_base_url_config_check_says_clicks_are_not_tracked() {
        let parse = |t: &str| Config::parse(t, std::path::Path::new("t.toml")).unwrap();
        let none = link_notes(&parse("").config.public);
        assert_eq!(none.len(), 1);
        assert!(
            none[0].contains("note") && none[0].contains("set public.base_url to count clicks"),
            "{none:?}"
        );
        let listen = link_notes(&parse("[public]\nlisten = \"127.0.0.1:8081\"\n").config.public);
        assert!(listen[0].trim_start().starts_with("warning"), "{listen:?}");
        assert!(listen[0].contains("clicks will not be tracked"), "{listen:?}");
        let set = link_notes(
            &parse("[public]\nlisten = \"127.0.0.1:8081\"\nbase_url = \"https://sms.shop.example/\"\n")
                .config
                .public,
        );
        assert!(set.is_empty(), "{set:?}");
    }

    #[test]
    fn the_summary_names_the_public_listener_when_there_is_one() {
        let parse = |t: &str| Config::parse(t, std::path::Path::new("t.toml")).unwrap();
        let off = summary(std::path::Path::new("t.toml"), &parse(""));
        assert!(!off.contains("public"), "{off}");
        let on = summary(
            std::path::Path::new("t.toml"),
            &parse("[public]\nlisten = \"127.0.0.1:8081\"\nbase_url = \"https://sms.shop.example/\"\n"),
        );
        assert!(
            on.contains("  public    http://127.0.0.1:8081  (links, subscribe form; reached at https://sms.shop.example)"),
            "{on}"
        );
    }
}
