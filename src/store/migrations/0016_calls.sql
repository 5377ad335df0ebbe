-- Call tracking (issue 14): incoming voice calls to the SIMs, each counted
-- for the campaign that names the SIM called in its `call_tracking`.
CREATE TABLE calls (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    imsi              TEXT,                    -- SIM called (NULL: the SIM would not say)
    imei              TEXT,                    -- modem it is in
    caller            TEXT,                    -- canonical number; NULL when withheld or not shown
    started_at        INTEGER NOT NULL,        -- first RING (unix ms)
    ended_at          INTEGER,                 -- hung up by us or the caller (unix ms)
    rings             INTEGER NOT NULL DEFAULT 0,
    action            TEXT    NOT NULL,        -- rejected | rang | reject_failed
    contact_id        INTEGER,                 -- the contact with the caller's number, if any
    campaign_id       INTEGER,                 -- attributed campaign (call_tracking names this SIM)
    variant           TEXT,                    -- the caller's variant in it, if they were a recipient
    thanks_message_id INTEGER                  -- the thank-you SMS queued, if any
);
CREATE INDEX calls_by_campaign ON calls (campaign_id, variant) WHERE campaign_id IS NOT NULL;
CREATE INDEX calls_by_caller ON calls (caller, started_at) WHERE caller IS NOT NULL;

-- The SIM a campaign's calls are counted on (its spec's call_tracking.sim).
ALTER TABLE campaigns ADD COLUMN call_tracking_imsi TEXT;
CREATE INDEX campaigns_by_tracking_sim ON campaigns (call_tracking_imsi) WHERE call_tracking_imsi IS NOT NULL;

-- The SIM's own number ([[modem]] number, else AT+CNUM), for {{ tracking_number }}.
ALTER TABLE sims ADD COLUMN number TEXT;
