//! Commits by other processes. The daemon learns of its own webhook events
//! from SQLite's update hook and of its own enqueues from its callers, but
//! `simfleet optouts import` and `simfleet contacts import` (run beside it)
//! write through their own connections, which no hook of ours sees: opt-out
//! events, and double opt-in requests queued for pending contacts, would
//! wait for the daemon's next event or dispatch round (on a quiet gateway,
//! until they expire). The database's directory is watched (inotify); a
//! change to the database or its WAL makes the store compare `PRAGMA
//! data_version`, which moves only for other connections' commits, and
//! wake the webhook workers (the store does) and the dispatcher
//! (`on_commit`). Always on, webhooks or not.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::store::Store;

/// Watches `db` (and its `-wal`) until the task is dropped; calls
/// `on_commit` after each burst of commits by another process.
pub async fn watch(store: Store, db: PathBuf, on_commit: impl Fn() + Send + 'static) {
    let Some(file) = db.file_name() else { return };
    let names: Vec<std::ffi::OsString> = ["", "-wal"]
        .iter()
        .map(|suffix| {
            let mut n = file.to_owned();
            n.push(suffix);
            n
        })
        .collect();
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let watched = names.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && e.kind.is_modify()
            && e.paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| watched.iter().any(|w| w == n)))
        {
            let _ = tx.try_send(());
        }
    });
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let _watcher = match watcher.and_then(|mut w| w.watch(dir, RecursiveMode::NonRecursive).map(|()| w)) {
        Ok(w) => w,
        Err(e) => {
            warn!(dir = %dir.display(), error = %e, "cannot watch the database for other writers; what they queue waits for the gateway's next round");
            return;
        }
    };
    // The baseline.
    let _ = store.run(|s| s.notice_other_writers()).await;
    while rx.recv().await.is_some() {
        // Our own commits touch the WAL too: one check per burst.
        tokio::time::sleep(Duration::from_millis(20)).await;
        while rx.try_recv().is_ok() {}
        match store.run(|s| s.notice_other_writers()).await {
            Ok(true) => {
                debug!("another process wrote to the database; dispatcher and webhook workers told");
                on_commit();
            }
            Ok(false) => {}
            Err(e) => debug!(error = %e, "cannot read the database's data_version"),
        }
    }
}
