-- A queued message not sent by this time is expired, not sent late.
ALTER TABLE messages ADD COLUMN expires_at INTEGER;  -- unix ms; NULL = never
CREATE INDEX messages_expiring ON messages (expires_at) WHERE status IN ('queued', 'scheduled');
