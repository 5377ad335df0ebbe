-- Why queued messages wait, for the whole queue: one row each time the
-- reason changes (NULL: nothing holds the queue back any more). A queued
-- message's history shows the notes of the time it was queued, so a
-- million waiting messages cost one row per change, not a million.
CREATE TABLE queue_notes (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    reason TEXT
);
CREATE INDEX queue_notes_at ON queue_notes (at);
