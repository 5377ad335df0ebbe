-- The queue by status (overview, messages page, /v1/queue) was a count
-- over every message ever stored: ~100 ms with a million. Triggers keep
-- one row per status instead, so reading the counts costs a few rows
-- whatever the history; a status change costs two more row writes.
CREATE TABLE message_status_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO message_status_counts (status, n)
    SELECT status, count(*) FROM messages GROUP BY status;

CREATE TRIGGER message_status_counts_insert AFTER INSERT ON messages
BEGIN
    INSERT OR IGNORE INTO message_status_counts (status, n) VALUES (NEW.status, 0);
    UPDATE message_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER message_status_counts_update AFTER UPDATE OF status ON messages
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE message_status_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT OR IGNORE INTO message_status_counts (status, n) VALUES (NEW.status, 0);
    UPDATE message_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER message_status_counts_delete AFTER DELETE ON messages
BEGIN
    UPDATE message_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
