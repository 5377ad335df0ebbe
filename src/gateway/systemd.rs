//! Telling systemd how the daemon is doing (`Type=notify`): ready once
//! storage is open and the API listens, stopping on shutdown, and a
//! watchdog fed only while the store still answers — a daemon wedged on
//! its database gets restarted. Without systemd (no `NOTIFY_SOCKET`) all
//! of this does nothing.

use std::time::Duration;

use sd_notify::NotifyState;
use tracing::{debug, warn};

use crate::store::Store;

/// Ready, with a one-line status for `systemctl status`.
pub fn ready(status: &str) {
    if let Err(e) = sd_notify::notify(false, &[NotifyState::Ready, NotifyState::Status(status)]) {
        warn!(error = %e, "cannot tell systemd we are ready");
    }
}

/// Stopping (sends in flight may take a while).
pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// How often to feed the watchdog, if systemd asked for one: half its
/// timeout, as systemd recommends.
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec / 2))
}

/// Feeds the watchdog every `interval` while the store answers a trivial
/// query within it. Runs until the task is dropped.
pub async fn feed_watchdog(store: Store, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = store.clone();
        match tokio::time::timeout(interval, s.run(|s| s.ping())).await {
            Ok(Ok(())) => {
                let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
                debug!("watchdog fed");
            }
            Ok(Err(e)) => warn!(error = %e, "store does not answer; not feeding the watchdog"),
            Err(_) => warn!("store too slow to answer; not feeding the watchdog"),
        }
    }
}
