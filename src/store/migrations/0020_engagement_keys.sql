-- Dashboard (issue 15): a survey or an automation created with an
-- idempotency key is created once; the same key again gets the first
-- answer (a double click on "Send survey" asks nobody twice), another
-- request under it a conflict. `suppressed` keeps the first answer's count.
ALTER TABLE surveys ADD COLUMN idempotency_key TEXT;
ALTER TABLE surveys ADD COLUMN request_hash TEXT;
ALTER TABLE surveys ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX surveys_by_key ON surveys (idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE automations ADD COLUMN idempotency_key TEXT;
ALTER TABLE automations ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX automations_by_key ON automations (idempotency_key) WHERE idempotency_key IS NOT NULL;
