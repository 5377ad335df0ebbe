-- Received PDUs that could not be decoded are kept raw with the reason,
-- never deleted from the SIM unseen; and replies that mention an opt-out
-- keyword anywhere but at the start wait for a person to decide.

-- Why the PDU could not be read (NULL: it was). `pdu` holds it as received.
ALTER TABLE inbox ADD COLUMN error TEXT;
CREATE INDEX inbox_undecodable ON inbox (id) WHERE error IS NOT NULL;

CREATE TABLE optout_reviews (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
    number      TEXT    NOT NULL,                -- the sender, canonical
    text        TEXT    NOT NULL,
    keyword     TEXT    NOT NULL,                -- the configured keyword found, as configured
    received_at INTEGER NOT NULL,
    resolved_at INTEGER,
    decision    TEXT                             -- opt_out | dismiss | opted_out (by another way first)
);
CREATE INDEX optout_reviews_pending ON optout_reviews (id) WHERE resolved_at IS NULL;
