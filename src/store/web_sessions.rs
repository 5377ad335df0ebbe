//! Dashboard sessions: created at sign-in, found by the SHA-256 of the
//! cookie's id, slid forward while used, deleted at sign-out or expiry.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Who signed in (a name from the users file, or `token` for the API token).
    pub user: String,
    /// The anti-forgery token every form of this session carries.
    pub csrf: String,
    /// When it was created (unix ms).
    pub created_at: i64,
    /// Last request seen (unix ms), updated at most once a minute.
    pub seen_at: i64,
    /// When it ends unless used again (unix ms).
    pub expires_at: i64,
    /// A fingerprint of the secret that admitted it (the password hash or
    /// the API token); the session ends when that secret changes.
    pub credential: String,
}

impl Store {
    /// Stores a new session under `id_hash`; drops expired ones on the way.
    pub fn create_web_session(&self, now: i64, id_hash: &[u8], s: &WebSession) -> Result<(), StoreError> {
        self.write(now, |tx| {
            tx.tx
                .prepare_cached("DELETE FROM web_sessions WHERE expires_at <= ?1")?
                .execute(params![now])?;
            tx.tx
                .prepare_cached(
                    "INSERT INTO web_sessions (id_hash, user, csrf, created_at, seen_at, expires_at, credential)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    id_hash,
                    s.user,
                    s.csrf,
                    s.created_at,
                    s.seen_at,
                    s.expires_at,
                    s.credential
                ])?;
            Ok(())
        })
    }

    /// The session under `id_hash` if it has not expired at `now`.
    pub fn web_session(&self, now: i64, id_hash: &[u8]) -> Result<Option<WebSession>, StoreError> {
        let conn = self.reader();
        let row = conn
            .prepare_cached(
                "SELECT user, csrf, created_at, seen_at, expires_at, credential FROM web_sessions
                 WHERE id_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![id_hash, now], |r| {
                Ok(WebSession {
                    user: r.get(0)?,
                    csrf: r.get(1)?,
                    created_at: r.get(2)?,
                    seen_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    credential: r.get(5)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    /// Slides a session's expiry to `expires_at` (seen at `now`).
    pub fn touch_web_session(&self, now: i64, id_hash: &[u8], expires_at: i64) -> Result<(), StoreError> {
        self.write(now, |tx| {
            tx.tx
                .prepare_cached("UPDATE web_sessions SET seen_at = ?2, expires_at = ?3 WHERE id_hash = ?1")?
                .execute(params![id_hash, now, expires_at])?;
            Ok(())
        })
    }

    /// Ends a session (sign-out).
    pub fn delete_web_session(&self, now: i64, id_hash: &[u8]) -> Result<(), StoreError> {
        self.write(now, |tx| {
            tx.tx
                .prepare_cached("DELETE FROM web_sessions WHERE id_hash = ?1")?
                .execute(params![id_hash])?;
            Ok(())
        })
    }

    /// Ends every session of `user` (a changed password signs them out).
    pub fn delete_web_sessions_of(&self, now: i64, user: &str) -> Result<usize, StoreError> {
        self.write(now, |tx| {
            Ok(tx
                .tx
                .prepare_cached("DELETE FROM web_sessions WHERE user = ?1")?
                .execute(params![user])?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_until_it_expires_or_is_deleted() {
        let s = Store::open_in_memory().unwrap();
        let session = WebSession {
            user: "admin".into(),
            csrf: "c".into(),
            created_at: 0,
            seen_at: 0,
            expires_at: 100,
            credential: "u:0123".into(),
        };
        s.create_web_session(0, b"h1", &session).unwrap();
        assert_eq!(s.web_session(50, b"h1").unwrap(), Some(session.clone()));
        assert_eq!(s.web_session(50, b"h2").unwrap(), None);
        assert_eq!(s.web_session(100, b"h1").unwrap(), None, "expired");
        s.touch_web_session(60, b"h1", 200).unwrap();
        assert_eq!(s.web_session(150, b"h1").unwrap().unwrap().seen_at, 60);
        s.delete_web_session(160, b"h1").unwrap();
        assert_eq!(s.web_session(160, b"h1").unwrap(), None);
        s.create_web_session(0, b"a", &session).unwrap();
        s.create_web_session(0, b"b", &session).unwrap();
        assert_eq!(s.delete_web_sessions_of(1, "admin").unwrap(), 2);
    }
}
