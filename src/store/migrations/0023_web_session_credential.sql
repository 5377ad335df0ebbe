-- Which secret admitted a session: a fingerprint of the user's password
-- hash or of the API token (src/web/session.rs). A session whose secret
-- has changed since (`simfleet passwd`, a new token) ends at its next
-- request. Sessions from before this column read '' and end too.
ALTER TABLE web_sessions ADD COLUMN credential TEXT NOT NULL DEFAULT '';
