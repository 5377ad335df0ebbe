//! `Authorization: Bearer <token>` on every route but `/healthz`, checked
//! in constant time. The token is never logged.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::error::ApiError;

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

    /// Reads the token file, creating it with a random token (mode 0600)
    /// when it does not exist. Returns the token and whether it was created.
    pub fn load_or_create(path: &Path) -> std::io::Result<(Token, bool)> {
        match std::fs::read_to_string(path) {
            Ok(s) if !s.trim().is_empty() => return Ok((Token::new(&s), false)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let token: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
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
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
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
