//! One daemon per database. Start-up recovery marks every `sending`
//! message `unknown`, and the dispatcher claims queued ones: both are only
//! right when no other process is sending from the same database. The
//! daemon (and the demo) therefore hold an exclusive `flock(2)` on
//! `<database>.lock` for their whole life, with their pid written in it
//! for the error a second one prints. The kernel drops the lock when the
//! process dies, however it dies, so a crash never leaves a stale lock.
//!
//! Commands that only read or make short writes (`optouts import/export`,
//! `status`, `send`) never run recovery and do not take the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use thiserror::Error;

/// Why the database could not be made ours.
#[derive(Debug, Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error("database {} is in use by simfleet ({}); stop it first", path.display(), holder(*pid))]
    InUse {
        /// The database.
        path: PathBuf,
        /// The holder's pid, as it wrote it (absent if it had not yet).
        pid: Option<u32>,
    },
    /// The lock file could not be opened or written.
    #[error("lock file {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn holder(pid: Option<u32>) -> String {
    pid.map_or_else(|| "pid unknown".to_string(), |p| format!("pid {p}"))
}

/// The lock file next to `db`: `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The exclusive ownership of one database; released when dropped (or
/// when the process ends).
#[derive(Debug)]
pub struct DbLock {
    _file: Flock<File>,
    path: PathBuf,
}

impl DbLock {
    /// Takes the lock of database `db` without waiting.
    ///
    /// Errors: [`LockError::InUse`] naming the database and the holder's
    /// pid when another process has it; [`LockError::Io`] when the lock
    /// file cannot be created (directory missing or read-only).
    pub fn acquire(db: &Path) -> Result<DbLock, LockError> {
        let path = lock_path(db);
        // The data directory is the owner's alone (as the store makes it).
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            use std::os::unix::fs::DirBuilderExt;
            let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir);
        }
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // A link in its place could point the pid write at any file.
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| {
                if e.raw_os_error() == Some(nix::libc::ELOOP) {
                    io(std::io::Error::other(
                        "is a symbolic link; simfleet does not follow links for its lock: remove it",
                    ))
                } else {
                    io(e)
                }
            })?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, errno)) if errno == nix::errno::Errno::EWOULDBLOCK => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::InUse {
                    path: db.to_path_buf(),
                    pid: text.trim().parse().ok(),
                });
            }
            Err((_, errno)) => return Err(io(std::io::Error::from(errno))),
        };
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(DbLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_in_the_lock_files_place_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, lock_path(&db)).unwrap();
        let err = DbLock::acquire(&db).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn a_second_owner_is_refused_with_the_database_and_pid() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        let first = DbLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("db.sqlite.lock"));
        let err = DbLock::acquire(&db).unwrap_err();
        assert!(
            matches!(&err, LockError::InUse { pid: Some(p), .. } if *p == std::process::id()),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "database {} is in use by simfleet (pid {}); stop it first",
                db.display(),
                std::process::id()
            )
        );
        drop(first);
        // Released: the next owner gets it.
        assert!(DbLock::acquire(&db).is_ok());
    }
}
