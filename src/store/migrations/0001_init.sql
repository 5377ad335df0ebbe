-- Messages to send, one row each; parts and history hang off it.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT    NOT NULL,            -- E.164 or short code
    text            TEXT    NOT NULL,
    encoding        TEXT    NOT NULL,            -- gsm7 | ucs2
    segments        INTEGER NOT NULL,
    status          TEXT    NOT NULL,            -- scheduled queued sending sent delivered failed unknown cancelled expired suppressed
    status_report   INTEGER NOT NULL,
    send_at         INTEGER,                     -- unix ms; NULL = as soon as possible
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    delivered_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sim_imsi        TEXT,                        -- SIM of the last attempt
    modem_imei      TEXT,
    modem_port      TEXT,
    error           TEXT,                        -- why it is not (yet) sent, in words
    avoid_imsi      TEXT,                        -- SIM that just failed it
    idempotency_key TEXT UNIQUE,
    request_hash    TEXT,
    claimed_by      TEXT                         -- gateway that claimed it (for a shared database later)
);
CREATE INDEX messages_by_status ON messages (status, id);
CREATE INDEX messages_scheduled ON messages (send_at) WHERE status = 'scheduled';

-- Every status change, with its reason.
CREATE TABLE message_events (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    status     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    reason     TEXT
);
CREATE INDEX message_events_by_message ON message_events (message_id, id);

-- Parts handed to the network.
CREATE TABLE message_parts (
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    seq          INTEGER NOT NULL,
    sim_imsi     TEXT    NOT NULL,
    concat_ref   INTEGER NOT NULL,
    message_ref  INTEGER,
    sent_at      INTEGER NOT NULL,
    status       TEXT    NOT NULL,               -- sent delivered failed
    PRIMARY KEY (message_id, seq)
);
CREATE INDEX message_parts_by_ref ON message_parts (sim_imsi, message_ref);

-- SIMs by identity, with their counters.
CREATE TABLE sims (
    imsi            TEXT PRIMARY KEY,
    iccid           TEXT,
    imei            TEXT,
    port            TEXT,
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    next_ref        INTEGER NOT NULL DEFAULT 0,  -- next concatenation reference
    day             TEXT,                        -- local date of sent_today
    sent_today      INTEGER NOT NULL DEFAULT 0,  -- segments
    sent_total      INTEGER NOT NULL DEFAULT 0,
    failed_total    INTEGER NOT NULL DEFAULT 0,
    cooldown_until  INTEGER,
    cooldown_reason TEXT
);

-- Which SIM a number hears from (replies come back to the number it knows).
CREATE TABLE recipients (
    recipient TEXT PRIMARY KEY,
    sim_imsi  TEXT    NOT NULL,
    last_at   INTEGER NOT NULL
);

-- Received messages.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sender      TEXT    NOT NULL,
    text        TEXT,
    received_at INTEGER NOT NULL,
    modem_imei  TEXT,
    sim_imsi    TEXT,
    pdu         TEXT    NOT NULL
);
