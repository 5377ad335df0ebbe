-- Contact hygiene: how long (ms) 'absent subscriber' failures must span,
-- with no delivery between, before a contact becomes invalid
-- (contacts.invalid_after_days, written by the gateway at start-up), kept
-- in the database so that every writer of delivery reports applies it.
CREATE TABLE contact_hygiene (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    invalid_after_ms INTEGER NOT NULL
);
INSERT INTO contact_hygiene (id, invalid_after_ms) VALUES (1, 30 * 86400000);
