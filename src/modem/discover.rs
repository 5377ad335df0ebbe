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

/// How a path matching a pattern showed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appeared {
    /// Never seen before: a new modem.
    New,
    /// Seen before, then gone, now back (a replug): its modem should
    /// reopen it now rather than at the end of its backoff.
    Back,
}

/// Calls `on_found(entry index, path, how)` for every path matching
/// `patterns[i]`, now and whenever one appears or comes back, until the
/// task is dropped. A pattern that matches nothing is logged (once, at
/// warn) with the directory watched for it.
pub async fn watch(patterns: Vec<String>, mut on_found: impl FnMut(usize, PathBuf, Appeared) + Send) {
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
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    let mut known: BTreeSet<PathBuf> = BTreeSet::new();
    let mut present: BTreeSet<PathBuf> = BTreeSet::new();
    let mut said_empty = vec![false; patterns.len()];
    loop {
        // The directory of a pattern may appear later (udev creates
        // /dev/simfleet with the first modem): its parent is watched until
        // then, and the directory itself from then on.
        if let Some(w) = &mut watcher {
            for dir in patterns.iter().map(|p| watch_dir(p)) {
                if !watched.contains(&dir) {
                    match w.watch(&dir, RecursiveMode::NonRecursive) {
                        Ok(()) => {
                            debug!(dir = %dir.display(), "watching for modems");
                            watched.insert(dir);
                        }
                        Err(e) => debug!(dir = %dir.display(), error = %e, "cannot watch directory"),
                    }
                }
            }
        }
        let mut now_present = BTreeSet::new();
        for (i, pattern) in patterns.iter().enumerate() {
            let found = scan(pattern);
            if found.is_empty() && known.iter().all(|k| !matches(pattern, k)) && !said_empty[i] {
                said_empty[i] = true;
                warn!(
                    port = %pattern,
                    watching = %watch_dir(pattern).display(),
                    "no device matches this modem port; waiting for one to appear"
                );
            }
            for path in found {
                if !now_present.insert(path.clone()) {
                    continue;
                }
                if known.insert(path.clone()) {
                    on_found(i, path, Appeared::New);
                } else if !present.contains(&path) {
                    on_found(i, path, Appeared::Back);
                }
            }
        }
        present = now_present;
        // Woken by the watcher, or a slow safety rescan (a directory that
        // did not exist when watching started, say).
        tokio::select! {
            r = rx.recv() => if r.is_none() { return },
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
        // Let a burst of events (a stick brings several ports) settle.
        tokio::time::sleep(SETTLE).await;
        while rx.try_recv().is_ok() {}
    }
}

/// How long a burst of directory events may take to settle before the
/// rescan (a stick brings several ports at once).
const SETTLE: Duration = Duration::from_millis(100);

fn matches(pattern: &str, path: &Path) -> bool {
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches_path(path))
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

    #[tokio::test]
    async fn a_directory_that_appears_later_is_watched_too() {
        let tmp = tempfile::tempdir().unwrap();
        let pattern = format!("{}/simfleet/*", tmp.path().display());
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(watch(vec![pattern], move |_, path, _| {
            let _ = tx.send(path);
        }));
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::create_dir(tmp.path().join("simfleet")).unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let first = tmp.path().join("simfleet/huawei-usb1-1.3");
        std::fs::write(&first, "").unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(
            got.ok().flatten(),
            Some(first),
            "not noticed within 5 s (the rescan is 60 s)"
        );
        // And a second one in the now-watched directory.
        let second = tmp.path().join("simfleet/zte-usb1-1.4");
        std::fs::write(&second, "").unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(got.ok().flatten(), Some(second));
        task.abort();
    }
}

#[cfg(test)]
mod replug_tests {
    use super::*;

    #[tokio::test]
    async fn a_path_that_comes_back_is_reported_as_back() {
        let tmp = tempfile::tempdir().unwrap();
        let pattern = format!("{}/modem*", tmp.path().display());
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(watch(vec![pattern], move |_, path, how| {
            let _ = tx.send((path, how));
        }));
        let path = tmp.path().join("modem0");
        let next = async |rx: &mut mpsc::UnboundedReceiver<(PathBuf, Appeared)>| {
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .ok()
                .flatten()
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::write(&path, "").unwrap();
        assert_eq!(next(&mut rx).await, Some((path.clone(), Appeared::New)));
        std::fs::remove_file(&path).unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        std::fs::write(&path, "").unwrap();
        assert_eq!(
            next(&mut rx).await,
            Some((path.clone(), Appeared::Back)),
            "a replug must reach the modem at once (the rescan is 60 s)"
        );
        task.abort();
    }
}
