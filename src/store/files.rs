//! The database's files are the owner's alone, whatever the umask the
//! daemon was started with: messages, replies and opt-outs are personal
//! data. A missing directory is created 0700 and a missing database 0600
//! before SQLite opens it; SQLite then gives its `-wal` and `-shm` files
//! the database's own mode (its unix VFS copies it). An existing database
//! or journal open to group or others is tightened to 0600, and that is
//! logged: it was readable by other users until now.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tracing::warn;

/// Creates `db`'s directory (0700) and the file itself (0600) if missing,
/// and tightens an existing database and its journals to 0600.
pub(super) fn prepare(db: &Path) -> io::Result<()> {
    if let Some(dir) = db.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    } else if let Some(dir) = db.parent()
        && let Ok(meta) = std::fs::metadata(dir)
        && meta.permissions().mode() & 0o022 != 0
    {
        // Not ours to change (it may be shared on purpose), but others can
        // replace the database's files there: say so.
        warn!(
            dir = %dir.display(),
            mode = format!("{:04o}", meta.permissions().mode() & 0o7777),
            "the database's directory can be written by other users: make it 0700"
        );
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db)
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for file in [db.to_path_buf(), with_suffix(db, "-wal"), with_suffix(db, "-shm")] {
        tighten(&file)?;
    }
    Ok(())
}

fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn tighten(file: &Path) -> io::Result<()> {
    let meta = match std::fs::metadata(file) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mode = meta.permissions().mode() & 0o777;
    if meta.is_file() && mode & 0o077 != 0 {
        std::fs::set_permissions(file, Permissions::from_mode(0o600))?;
        warn!(file = %file.display(), was = format!("{mode:04o}"), "database file was open to other users; now 0600");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_database_and_directory_are_owner_only_under_a_loose_umask() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("data/sub/simfleet.db");
        // SAFETY: umask only changes this process's file creation mask.
        let old = unsafe { nix::libc::umask(0o000) };
        let lock = crate::gateway::lock::DbLock::acquire(&db);
        let result = crate::store::Store::open(&db).map(|s| s.ping());
        unsafe { nix::libc::umask(old) };
        result.unwrap().unwrap();
        drop(lock.unwrap());
        assert_eq!(
            mode(&crate::gateway::lock::lock_path(&db)),
            0o600,
            "the lock file"
        );
        assert_eq!(mode(&tmp.path().join("data/sub")), 0o700);
        assert_eq!(mode(&db), 0o600);
        for suffix in ["-wal", "-shm"] {
            let f = with_suffix(&db, suffix);
            if f.exists() {
                assert_eq!(mode(&f), 0o600, "{suffix}");
            }
        }
    }

    #[test]
    fn an_existing_database_open_to_others_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("simfleet.db");
        drop(crate::store::Store::open(&db).unwrap());
        std::fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        std::fs::write(with_suffix(&db, "-wal"), b"").unwrap();
        std::fs::set_permissions(with_suffix(&db, "-wal"), Permissions::from_mode(0o666)).unwrap();
        prepare(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&with_suffix(&db, "-wal")), 0o600);
    }
}
