-- Dashboard sessions (src/web/session.rs). The cookie holds a random id;
-- only its SHA-256 is stored, so a copy of the database opens no session.
-- `csrf` is the session's anti-forgery token, sent back with every form.
CREATE TABLE web_sessions (
    id_hash BLOB PRIMARY KEY,
    user TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
