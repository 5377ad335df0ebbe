-- Campaigns: a marketing send to a fixed audience, with variants, each
-- recipient's local window, frequency caps, a deadline and an optional A/B
-- test. The audience is copied into campaign_recipients when the campaign
-- starts; a recipient becomes a message only when it may leave (window
-- open, not capped, the campaign's rate allows, a SIM is free), so a
-- campaign never floods the queue ahead of transactional messages.

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    spec          TEXT    NOT NULL,                 -- JSON, validated (campaigns::Spec): audience, variants, window, caps, ab_test
    status        TEXT    NOT NULL,                 -- draft scheduled running paused completed cancelled
    status_reason TEXT,                             -- why it is where it is, in words
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    started_at    INTEGER,                          -- when `start` fixed the audience
    start_at      INTEGER,                          -- when sending begins (unix ms)
    deadline      INTEGER,                          -- after this nothing more is sent (unix ms)
    finished_at   INTEGER,                          -- completed or cancelled
    decision      TEXT,                             -- JSON: the A/B decision with its figures
    decided_at    INTEGER
);
CREATE INDEX campaigns_by_status ON campaigns (status, id);

-- The audience, fixed at start: one row per contact, in a stable order.
CREATE TABLE campaign_recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    seq          INTEGER NOT NULL,                  -- 1.. in audience order
    contact_id   INTEGER,                           -- NULL once the contact is erased
    phone        TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL,                  -- IANA zone its window is read in, resolved at start
    variant      TEXT,                              -- NULL: waits for the A/B winner
    phase        TEXT    NOT NULL,                  -- all | test | rest (A/B test-then-winner)
    state        TEXT    NOT NULL,                  -- pending | queued | excluded | expired | skipped | cancelled
    reason       TEXT,                              -- no_consent opted_out invalid capped window_missed deadline cancelled
    reason_text  TEXT,                              -- the reason in words
    not_before   INTEGER,                           -- deferred (frequency cap) until, unix ms
    message_id   INTEGER REFERENCES messages (id),  -- once queued: the message tells the rest
    queued_at    INTEGER,
    reply_id     INTEGER,                           -- inbox.id of the first reply attributed to it
    replied_at   INTEGER,
    opted_out_at INTEGER,                           -- an opt-out attributed to it
    vote         TEXT,                              -- survey option its reply chose, if a survey
    PRIMARY KEY (campaign_id, seq)
) WITHOUT ROWID;
CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, time_zone, seq) WHERE state = 'pending';
CREATE INDEX campaign_recipients_by_message ON campaign_recipients (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX campaign_recipients_by_phone ON campaign_recipients (phone, queued_at) WHERE message_id IS NOT NULL;

-- A campaign's message, and its lane: 0 (transactional, the API's and the
-- gateway's own) goes ahead of 1 (campaign bulk) on every SIM.
ALTER TABLE messages ADD COLUMN campaign_id INTEGER;
ALTER TABLE messages ADD COLUMN variant TEXT;
ALTER TABLE messages ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_queued_by_lane ON messages (lane, id) WHERE status = 'queued';
CREATE INDEX messages_marketing_by_recipient ON messages (recipient, created_at) WHERE category = 'marketing';
CREATE INDEX messages_by_campaign ON messages (campaign_id, status) WHERE campaign_id IS NOT NULL;
