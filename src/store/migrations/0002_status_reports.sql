-- Delivery reports that matched no sent part (kept, never dropped).
CREATE TABLE status_reports (
    id           INTEGER PRIMARY KEY,
    sim_imsi     TEXT,
    message_ref  INTEGER NOT NULL,
    recipient    TEXT    NOT NULL,
    status_code  INTEGER NOT NULL,
    discharge_at INTEGER,
    received_at  INTEGER NOT NULL,
    pdu          TEXT    NOT NULL,
    message_id   INTEGER                         -- set when matched later
);
