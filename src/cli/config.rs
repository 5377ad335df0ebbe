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

fn summary(file: &std::path::Path, checked: &Checked) -> String {
    let c = &checked.config;
    let scheme = if c.api.tls() { "https" } else { "http" };
    let mut out = format!("{}: OK\n", file.display());
    out += &format!(
        "  API       {scheme}://{}  (token in {})\n",
        c.api.listen,
        c.api.token_file.display()
    );
    out += &format!("  database  {}\n", c.storage.path.display());
    out += &format!("  region    {}\n", checked.region);
    if c.modems.is_empty() {
        out += "  modems    none configured: nothing will be sent\n";
    }
    for m in &c.modems {
        let limits = match (m.daily_limit, m.per_minute) {
            (None, None) => String::new(),
            (d, p) => format!(
                "  (limits: {}/day, {}/minute)",
                d.map_or("-".into(), |v| v.to_string()),
                p.map_or("-".into(), |v| v.to_string())
            ),
        };
        out += &format!("  modem     {}{limits}\n", m.port);
    }
    for w in &c.webhooks {
        out += &format!("  webhook   {}\n", crate::webhook::deliver::redacted(&w.url));
    }
    out
}
