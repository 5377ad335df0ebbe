-- The audience layer: contacts with their consent, tags and typed
-- attributes; saved segments (filters) and named templates; the category
-- of a message (marketing needs consent, transactional does not).

CREATE TABLE contacts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    phone              TEXT    NOT NULL UNIQUE,      -- E.164 (or a short code), canonical as /v1/messages reads it
    name               TEXT,
    time_zone          TEXT,                         -- IANA; NULL: contacts.default_time_zone applies
    time_zone_source   TEXT    NOT NULL,             -- given | number | default
    language           TEXT,                         -- BCP 47 primary tag, lower case (ru, es, en)
    attributes         TEXT    NOT NULL DEFAULT '{}',-- JSON object: string | number | boolean | "YYYY-MM-DD"
    consent_status     TEXT    NOT NULL DEFAULT 'none', -- opted_in | pending | none
    consent_at         INTEGER,                      -- unix ms of the consent (or of the request, pending)
    consent_source     TEXT,                         -- where it was given: "web form", "keyword JOIN", "import shop.csv"
    consent_evidence   TEXT,                         -- the text agreed to, or the message exchange
    confirmation_id    INTEGER,                      -- the double opt-in request sent (messages.id)
    status             TEXT    NOT NULL DEFAULT 'active', -- active | invalid
    status_reason      TEXT,                         -- why invalid, in words
    unreachable_since  INTEGER,                      -- first 'absent subscriber' failure since the last delivery
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    last_sent_at       INTEGER,
    last_delivered_at  INTEGER,
    last_reply_at      INTEGER,
    messages_sent      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contacts_by_consent ON contacts (consent_status, status);
CREATE INDEX contacts_by_name ON contacts (name COLLATE NOCASE);

-- Tags, one row each (indexed both ways: "contacts with tag" and "tags of contact").
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,                     -- as first given, trimmed
    tag_key    TEXT    NOT NULL,                     -- contacts::fold(tag): matched ignoring case in any script
    PRIMARY KEY (contact_id, tag_key)
) WITHOUT ROWID;
CREATE INDEX contact_tags_by_tag ON contact_tags (tag_key, contact_id);

-- The type of each attribute, fixed by its first value or an import's --types,
-- so comparisons mean one thing across contacts.
CREATE TABLE attribute_types (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL                              -- string | number | boolean | date
) WITHOUT ROWID;

CREATE TABLE segments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    filter     TEXT    NOT NULL,                     -- JSON, validated (segments::Filter)
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    text       TEXT    NOT NULL,                     -- minijinja source
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- transactional (default: reminders, receipts) or marketing (needs consent).
ALTER TABLE messages ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional';
