//! `Authorization: Bearer <token>` on every route but `/healthz`, checked
//! in constant time. The token is never logged.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::error::ApiError;

/// Shortest token accepted from a token file: 32 characters (the
/// generated ones are 64 hex digits, 256 bits).
pub const MIN_TOKEN_LEN: usize = 32;

/// A refusal of the token file; callers name the file (`path` is for the
/// fix it suggests, which is in `why`).
fn refused(_path: &Path, why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, format!("the file {why}"))
}

/// The API token. `Debug` does not show it.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(****)")
    }
}

impl Token {
    /// A token from text (surrounding whitespace dropped).
    pub fn new(s: &str) -> Self {
        Token(s.trim().to_string())
    }

    /// The secret, for the one place that must show it (the demo).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Reads the token file with the checks of [`Token::load_or_create`];
    /// `None` when it does not exist or is empty (one will be made).
    pub fn load(path: &Path) -> std::io::Result<Option<Token>> {
        match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)
        {
            Ok(mut f) => {
                let meta = f.metadata()?;
                let mode = meta.permissions().mode() & 0o777;
                if !meta.is_file() {
                    return Err(refused(path, "is not a regular file".into()));
                }
                if mode & 0o027 != 0 {
                    return Err(refused(
                        path,
                        format!(
                            "can be read or changed by other users (mode {mode:04o}); run: chmod 600 {}",
                            path.display()
                        ),
                    ));
                }
                let mut s = String::new();
                f.read_to_string(&mut s)?;
                let token = Token::new(&s);
                if token.0.is_empty() {
                    return Ok(None);
                }
                if token.0.chars().count() < MIN_TOKEN_LEN {
                    return Err(refused(
                        path,
                        format!(
                            "holds a token of {} characters; use at least {MIN_TOKEN_LEN} (delete the file and a random one is made at the next start)",
                            token.0.chars().count()
                        ),
                    ));
                }
                Ok(Some(token))
            }
            Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => Err(refused(
                path,
                "is a symbolic link; simfleet does not follow links for its token: put the file itself there"
                    .into(),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads the token file, creating it with a random token (mode 0600)
    /// when it does not exist. Returns the token and whether it was created.
    ///
    /// A token file must be the owner's: a symbolic link in its place is
    /// not followed (someone could point it at a file they control), and a
    /// file that other users can read or write, or a token shorter than
    /// [`MIN_TOKEN_LEN`] characters, is refused with an error saying how
    /// to fix it.
    pub fn load_or_create(path: &Path) -> std::io::Result<(Token, bool)> {
        if let Some(token) = Token::load(path)? {
            return Ok((token, false));
        }
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let token: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .mode(0o600)
            .open(path)?;
        // An empty file that was already there keeps its own mode.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(f, "{token}")?;
        Ok((Token(token), true))
    }

    fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

/// Proof that a request carried the token.
pub struct Authorized;

impl<S> FromRequestParts<S> for Authorized
where
    Token: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = Token::from_ref(state);
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            // The scheme is case-insensitive (RFC 7235 §2.1).
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(rest)
            })
            .map(str::trim);
        match presented {
            Some(p) if token.matches(p) => Ok(Authorized),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or wrong API token: send Authorization: Bearer <token from the token file>",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::Permissions;

    #[test]
    fn a_new_token_file_is_owner_only_and_long() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state/token");
        let (token, created) = Token::load_or_create(&path).unwrap();
        assert!(created);
        assert_eq!(token.reveal().len(), 64);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(tmp.path().join("state"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        let (again, created) = Token::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.reveal(), token.reveal());
    }

    #[test]
    fn readable_by_others_short_or_a_link_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("token");
        std::fs::write(&path, "x".repeat(40)).unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        let e = Token::load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");

        std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "short-secret\n").unwrap();
        let e = Token::load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("12 characters") && e.contains("at least 32"), "{e}");

        let target = tmp.path().join("elsewhere");
        std::fs::write(&target, "y".repeat(40)).unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = Token::load_or_create(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "y".repeat(40),
            "the link's target untouched"
        );
        // A dangling link is not followed to create a file either.
        let dangling = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        assert!(Token::load_or_create(&dangling).is_err());
        assert!(!tmp.path().join("nowhere").exists());
    }

    #[tokio::test]
    async fn the_bearer_scheme_is_matched_case_insensitively() {
        let token = Token::new(&"t".repeat(40));
        for (header, ok) in [
            (format!("Bearer {}", "t".repeat(40)), true),
            (format!("bearer {}", "t".repeat(40)), true),
            (format!("BEARER {}", "t".repeat(40)), true),
            (format!("BeArEr {}", "t".repeat(40)), true),
            (format!("Basic {}", "t".repeat(40)), false),
            (format!("Bearer {}", "u".repeat(40)), false),
            ("t".repeat(40), false),
        ] {
            let (mut parts, _) = axum::http::Request::builder()
                .header("authorization", &header)
                .body(())
                .unwrap()
                .into_parts();
            let got = Authorized::from_request_parts(&mut parts, &token).await.is_ok();
            assert_eq!(got, ok, "{header}");
        }
    }
}
