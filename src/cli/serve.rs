//! `simfleet serve --config FILE`: the daemon.

use std::path::PathBuf;

use clap::Args;

use crate::config::{Checked, Config, ConfigError};
use crate::gateway;

/// Arguments of `simfleet serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Configuration file.
    #[arg(long, default_value = "/etc/simfleet/simfleet.toml")]
    pub config: PathBuf,
}

/// Reads the configuration (the caller exits 2 on error).
pub fn load(args: &ServeArgs) -> Result<Checked, ConfigError> {
    Config::load(&args.config)
}

/// Runs the daemon until `shutdown`.
pub async fn run(
    checked: Checked,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    // The database first: a second daemon is told who owns it, not that
    // the address is taken.
    let owned = gateway::lock::DbLock::acquire(&checked.config.storage.path)?;
    let addr = checked.config.api.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (api.listen): {e}"))?;
    gateway::serve_locked(owned, checked, listener, shutdown, |_| {
        tracing::info!(%addr, "API listening");
        gateway::systemd::ready(&format!("API on {addr}"));
    })
    .await?;
    Ok(())
}
