-- Replies forwarded by email ([email]): one row per received message that
-- the rules select, written in the transaction that stores the message, so
-- a crash neither loses one nor writes one twice (one row per inbox id).
-- `data` is a snapshot (JSON) of what the email shows: sender, contact
-- name, text, times, SIM, the campaign and variant it answers.
CREATE TABLE email_outbox (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL UNIQUE,
    data        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,            -- when the reply was stored (unix ms)
    next_at     INTEGER NOT NULL,            -- due: at once, at the top of the hour (digest), or the next retry
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    sent_at     INTEGER,                     -- the server accepted it
    failed_at   INTEGER                      -- given up: a permanent refusal, or retried past email.give_up_days
);
CREATE INDEX email_outbox_pending ON email_outbox (next_at) WHERE sent_at IS NULL AND failed_at IS NULL;
