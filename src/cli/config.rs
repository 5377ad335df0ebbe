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

/// Checks the file; on success a short summary of what `serve` would do.
pub fn check(args: &CheckArgs) -> Result<String, ConfigError> {
    Config::load(&args.file).map(|c| summary(&args.file, &c))
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
