//! Finding modems: every path matching a configured port glob is a modem,
//! now or when it appears. Watches the glob's directory (inotify) so a
//! plugged-in stick is noticed at once; a slow rescan covers directories
//! that do not exist yet.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Paths matching `pattern` now (a plain path matches itself if it exists).
pub fn scan(pattern: &str) -> Vec<PathBuf> {
    match glob::glob(pattern) {
        Ok(paths) => paths.filter_map(Result::ok).collect(),
        Err(_) => Vec::new(),
    }
}

/// The directory to watch for a pattern: its longest prefix without glob characters.
pub fn watch_dir(pattern: &str) -> PathBuf {
    let mut dir = PathBuf::new();
    for part in Path::new(pattern).components() {
        let s = part.as_os_str().to_string_lossy();
        if s.contains(['*', '?', '[']) {
            break;
        }
        dir.push(part);
    }
    if dir == Path::new(pattern) {
        dir.pop();
    }
    // Watch the nearest directory that exists.
    while !dir.as_os_str().is_empty() && !dir.is_dir() {
        dir.pop();
    }
    dir
}

/// Calls `on_new(entry index, path)` for every path matching `patterns[i]`,
/// now and whenever one appears, until the receiver side is dropped.
pub async fn watch(patterns: Vec<String>, mut on_new: impl FnMut(usize, PathBuf) + Send) {
    let (tx, mut rx) = mpsc::channel::<()>(16);
    let watcher_tx = tx.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            let _ = watcher_tx.try_send(());
        }
    });
    let mut watcher = match watcher {
        Ok(w) => Some(w),
        Err(e) => {
            warn!(error = %e, "cannot watch for new modems; rescanning every minute instead");
            None
        }
    };
    let dirs: BTreeSet<PathBuf> = patterns.iter().map(|p| watch_dir(p)).collect();
    if let Some(w) = &mut watcher {
        for dir in &dirs {
            if let Err(e) = w.watch(dir, RecursiveMode::NonRecursive) {
                debug!(dir = %dir.display(), error = %e, "cannot watch directory");
            }
        }
    }
    let mut known: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        for (i, pattern) in patterns.iter().enumerate() {
            for path in scan(pattern) {
                if known.insert(path.clone()) {
                    on_new(i, path);
                }
            }
        }
        // Woken by the watcher, or a slow safety rescan (a directory that
        // did not exist when watching started, say).
        tokio::select! {
            r = rx.recv() => if r.is_none() { return },
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
        // Let a burst of events (a stick brings several ports) settle.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while rx.try_recv().is_ok() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_dir_is_the_glob_free_prefix() {
        let tmp = std::env::temp_dir();
        let pattern = format!("{}/modem*", tmp.display());
        assert_eq!(watch_dir(&pattern), tmp);
        assert_eq!(watch_dir("/dev/ttyUSB2"), PathBuf::from("/dev"));
        assert_eq!(watch_dir("/no/such/dir/*"), PathBuf::from("/"));
    }
}
