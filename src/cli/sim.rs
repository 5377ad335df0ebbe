//! `simfleet sim`: run the modem simulator until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use crate::sim::{Fleet, FleetConfig, control};

/// Arguments of `simfleet sim`.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// How many modems to simulate.
    #[arg(long, default_value_t = 4)]
    pub modems: usize,
    /// Directory for the modem links (DIR/modem0, DIR/modem1, …).
    #[arg(long)]
    pub dir: PathBuf,
    /// Time the simulated network takes to accept a send, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub latency_ms: u64,
    /// Address of the control API (loopback), e.g. 127.0.0.1:8099; port 0 picks one.
    #[arg(long)]
    pub control: Option<SocketAddr>,
}

/// Runs the simulator until `shutdown` completes. Prints one JSON line
/// with the modem paths and the control URL once everything is up.
pub async fn run(args: &SimArgs, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    if args.modems == 0 || args.modems > 256 {
        anyhow::bail!("--modems must be between 1 and 256");
    }
    if let Some(addr) = args.control
        && !addr.ip().is_loopback()
    {
        anyhow::bail!("--control must be a loopback address (the simulator has no authentication)");
    }
    let fleet = Arc::new(Fleet::start(&FleetConfig {
        modems: args.modems,
        dir: args.dir.clone(),
        latency: Duration::from_millis(args.latency_ms),
    })?);
    let mut control_url = None;
    let mut server = None;
    if let Some(addr) = args.control {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        control_url = Some(format!("http://{}", listener.local_addr()?));
        let app = control::router(fleet.clone());
        server = Some(tokio::spawn(async move { axum::serve(listener, app).await }));
    }
    println!("{}", json!({"modems": fleet.paths(), "control": control_url}));
    shutdown.await;
    fleet.shutdown().await;
    if let Some(server) = server {
        server.abort();
    }
    Ok(())
}
