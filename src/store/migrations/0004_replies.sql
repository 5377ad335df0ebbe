-- Replies: reassembly, opt-outs, surveys, webhooks, delivery counters.

-- Parts of concatenated messages waiting for their siblings (durable
-- across restarts; joined when the last arrives, or flushed incomplete).
CREATE TABLE inbound_parts (
    id          INTEGER PRIMARY KEY,
    sim_imsi    TEXT    NOT NULL,               -- '' when unknown
    sender      TEXT    NOT NULL,
    ref         INTEGER NOT NULL,
    wide_ref    INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    modem_imei  TEXT,
    pdu         TEXT    NOT NULL,
    UNIQUE (sim_imsi, sender, ref, wide_ref, total, seq)
);
CREATE INDEX inbound_parts_by_age ON inbound_parts (received_at);

ALTER TABLE inbox ADD COLUMN parts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inbox ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN kind TEXT;        -- optout optin help vote comment; NULL: plain

-- What kind of message we send: NULL (the API's), auto_reply,
-- optout_confirmation (the only kind an opted-out number may get), survey.
ALTER TABLE messages ADD COLUMN kind TEXT;
CREATE INDEX messages_by_recipient ON messages (recipient, status);

-- Numbers that said STOP (or were added by the API or an import): never texted again.
CREATE TABLE optouts (
    number   TEXT PRIMARY KEY,                   -- E.164 (or short code as given)
    source   TEXT    NOT NULL,                   -- keyword | api | import
    keyword  TEXT,                               -- the reply that opted out
    note     TEXT,
    at       INTEGER NOT NULL,
    inbox_id INTEGER
);

CREATE TABLE surveys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    question      TEXT    NOT NULL,              -- as sent, options included
    options       TEXT    NOT NULL,              -- JSON [{"key", "label"}] in order
    count_mode    TEXT    NOT NULL,              -- first | last
    invalid_reply TEXT,
    closes_at     INTEGER,
    closed_at     INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE TABLE survey_recipients (
    survey_id          INTEGER NOT NULL REFERENCES surveys (id),
    number             TEXT    NOT NULL,
    message_id         INTEGER NOT NULL REFERENCES messages (id),
    invalid_reply_sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, number)
);
CREATE INDEX survey_recipients_by_number ON survey_recipients (number, survey_id);
-- Every reply from a recipient: a vote (option set) or a comment.
CREATE TABLE survey_responses (
    id        INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    number    TEXT    NOT NULL,
    option    TEXT,
    text      TEXT,
    at        INTEGER NOT NULL,
    inbox_id  INTEGER
);
CREATE INDEX survey_responses_by_survey ON survey_responses (survey_id, number, id);

-- Webhook receivers (synced from the config at start) and the durable outbox.
CREATE TABLE webhooks (
    id     INTEGER PRIMARY KEY,
    url    TEXT    NOT NULL UNIQUE,
    events TEXT    NOT NULL,                     -- ",inbound,status,"
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE webhook_outbox (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks (id),
    event_id     TEXT    NOT NULL UNIQUE,
    event        TEXT    NOT NULL,               -- inbound status optout vote
    key          TEXT    NOT NULL,               -- events with one key are delivered in order
    data         TEXT    NOT NULL,               -- JSON
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error   TEXT
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (webhook_id, id) WHERE delivered_at IS NULL;
CREATE INDEX webhook_outbox_pending_key ON webhook_outbox (webhook_id, key, id) WHERE delivered_at IS NULL;

-- Every status change worth telling is an outbox row for each subscribed
-- webhook, in the transaction that made it: none is lost, none invented.
CREATE TRIGGER message_status_webhook AFTER INSERT ON message_events
WHEN NEW.status IN ('sent', 'delivered', 'failed', 'unknown', 'expired', 'suppressed', 'cancelled')
BEGIN
    INSERT INTO webhook_outbox (webhook_id, event_id, event, key, data, created_at, next_at)
    SELECT w.id, lower(hex(randomblob(16))), 'status', 'message:' || NEW.message_id,
           json_object('message_id', CAST(NEW.message_id AS TEXT),
                       'to', (SELECT recipient FROM messages WHERE id = NEW.message_id),
                       'status', NEW.status,
                       'reason', NEW.reason,
                       'at', strftime('%Y-%m-%dT%H:%M:%fZ', NEW.at / 1000.0, 'unixepoch')),
           NEW.at, NEW.at
    FROM webhooks w WHERE w.active AND instr(w.events, ',status,') > 0;
END;

-- Delivery reports per SIM, for the delivery rate.
ALTER TABLE sims ADD COLUMN delivered_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sims ADD COLUMN undelivered_total INTEGER NOT NULL DEFAULT 0;
