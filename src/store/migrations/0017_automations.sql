-- Automations (issue 14): messages triggered by a contact's events (the
-- abandoned cart, an order's status), by a date in their attributes (a
-- birthday) or as a sequence of steps (a welcome series).
CREATE TABLE automations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    trigger     TEXT    NOT NULL,                -- event | date | sequence
    spec        TEXT    NOT NULL,                -- JSON: the request as given
    status      TEXT    NOT NULL DEFAULT 'active', -- active | paused
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    swept_at    INTEGER                          -- date triggers: when contacts' dates were last planned
);
CREATE INDEX automations_by_status ON automations (status, trigger);

-- What a shop told us happened to a contact (POST /v1/events).
CREATE TABLE contact_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    phone           TEXT    NOT NULL,            -- canonical number
    contact_id      INTEGER,                     -- NULL: no contact has that number
    event           TEXT    NOT NULL,
    data            TEXT    NOT NULL DEFAULT '{}', -- JSON object, for {{ event.x }}
    at              INTEGER NOT NULL,
    idempotency_key TEXT    UNIQUE,
    request_hash    TEXT    NOT NULL,
    answer          TEXT    NOT NULL DEFAULT '{}' -- the JSON answered, for repeats of the key
);
CREATE INDEX contact_events_by_phone ON contact_events (phone, at);

-- One message an automation owes one number: per trigger occurrence
-- ('event:<contact_events.id>' or 'date:YYYY-MM-DD') and step. The UNIQUE
-- key makes planning idempotent: a restart, a repeated sweep or a repeated
-- event can never owe (or send) it twice.
CREATE TABLE automation_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    automation_id INTEGER NOT NULL REFERENCES automations (id),
    phone         TEXT    NOT NULL,
    occurrence    TEXT    NOT NULL,
    step          INTEGER NOT NULL DEFAULT 0,
    event_id      INTEGER REFERENCES contact_events (id),
    due_at        INTEGER NOT NULL,              -- may leave from then (moved on by a closed window or a cap)
    expires_at    INTEGER,                       -- not queued by then: expired
    state         TEXT    NOT NULL DEFAULT 'scheduled', -- scheduled | queued | cancelled | excluded | exited | expired
    reason        TEXT,                          -- code: cancel_event, superseded, no_consent, opted_out, replied, ...
    reason_text   TEXT,                          -- in words (also why a scheduled run waits)
    message_id    INTEGER,
    created_at    INTEGER NOT NULL,              -- when the contact entered (the event, the sweep)
    updated_at    INTEGER NOT NULL,
    UNIQUE (automation_id, phone, occurrence, step)
);
CREATE INDEX automation_runs_due ON automation_runs (due_at) WHERE state = 'scheduled';
CREATE INDEX automation_runs_by_phone ON automation_runs (phone, automation_id, state);
CREATE INDEX automation_runs_by_automation ON automation_runs (automation_id, state, reason);
CREATE INDEX automation_runs_by_message ON automation_runs (message_id) WHERE message_id IS NOT NULL;

ALTER TABLE messages ADD COLUMN automation_id INTEGER;
CREATE INDEX messages_by_automation ON messages (automation_id, status) WHERE automation_id IS NOT NULL;
CREATE INDEX inbox_by_sender ON inbox (sender, received_at);
