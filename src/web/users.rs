//! The dashboard's users: a file of `name:$argon2id$…` lines (PHC strings,
//! RFC 9106 Argon2id with the `argon2` crate's defaults), written by
//! `simfleet passwd` with mode 0600 and read at each sign-in, so a changed
//! password holds at once without a restart.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What can go wrong with the users file or a password.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Others may read or change the file.
    #[error("{path} can be read or changed by other users (mode {mode:04o}); run: chmod 600 {path}")]
    Mode {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// A user name that cannot be stored.
    #[error("user name {0:?}: use 1 to 64 letters, digits, '.', '_' or '-'")]
    BadName(String),
    /// A password too short.
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    /// Hashing failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Whether `name` may be a user name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UsersError::ShortPassword);
    }
    // A fresh random salt from the OS.
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

/// Whether `password` is the one behind `phc` (false for a malformed hash).
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// The users file's lines as `(name, hash)`; a missing file is no users.
/// Blank lines and `#` comments are skipped, so are malformed lines.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, UsersError> {
    let io = |source| UsersError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(UsersError::Mode {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(n, h)| (n.trim().to_string(), h.trim().to_string()))
        .collect())
}

/// The hash of `user`, if the file has them.
pub fn find(path: &Path, user: &str) -> Result<Option<String>, UsersError> {
    Ok(read(path)?.into_iter().find(|(n, _)| n == user).map(|(_, h)| h))
}

/// Sets `user`'s password (adding the user if new): the file is rewritten
/// whole beside itself and renamed over, mode 0600 whatever the umask.
/// Returns whether the user was new.
pub fn set_password(path: &Path, user: &str, password: &str) -> Result<bool, UsersError> {
    if !valid_name(user) {
        return Err(UsersError::BadName(user.to_string()));
    }
    let hash = hash_password(password)?;
    let io = |source| UsersError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut users = read(path)?;
    let new = match users.iter_mut().find(|(n, _)| n == user) {
        Some(entry) => {
            entry.1 = hash;
            false
        }
        None => {
            users.push((user.to_string(), hash));
            true
        }
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("web-users")
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    let mut text =
        String::from("# simfleet dashboard users: name:argon2id hash (written by `simfleet passwd`)\n");
    for (n, h) in &users {
        text.push_str(&format!("{n}:{h}\n"));
    }
    f.write_all(text.as_bytes()).map_err(io)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    f.sync_all().map_err(io)?;
    // Written by root for a daemon that runs as its own user (the
    // systemd unit's `User=simfleet`): the file belongs to whoever owns
    // the directory it is in, as the token file does.
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::fs::MetadataExt;
        let dir_meta = std::fs::metadata(dir).map_err(io)?;
        nix::unistd::chown(
            &tmp,
            Some(nix::unistd::Uid::from_raw(dir_meta.uid())),
            Some(nix::unistd::Gid::from_raw(dir_meta.gid())),
        )
        .map_err(|e| io(std::io::Error::from(e)))?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_set_is_verified_and_the_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        assert!(set_password(&path, "admin", "correct horse").unwrap());
        assert!(!set_password(&path, "admin", "battery staple").unwrap());
        assert!(set_password(&path, "clinic", "another one").unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let hash = find(&path, "admin").unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "battery staple"));
        assert!(!verify_password(&hash, "correct horse"));
        assert!(!verify_password("not a hash", "x"));
        assert_eq!(read(&path).unwrap().len(), 2);
    }

    #[test]
    fn short_passwords_bad_names_and_open_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        assert!(matches!(
            set_password(&path, "admin", "short"),
            Err(UsersError::ShortPassword)
        ));
        assert!(matches!(
            set_password(&path, "a:b", "long enough"),
            Err(UsersError::BadName(_))
        ));
        set_password(&path, "admin", "long enough").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        assert!(read(&dir.path().join("none")).unwrap().is_empty());
    }
}
