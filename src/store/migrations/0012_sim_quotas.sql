-- SIM quotas operators impose beyond a day's segments: segments per local
-- calendar month and distinct recipients per month (some "unlimited" plans
-- block a SIM after ~250 new numbers a month). Counted in the transaction
-- that records a send, so they survive restarts and never run behind.

ALTER TABLE sims ADD COLUMN month TEXT;                                  -- local month (YYYY-MM) of the two below
ALTER TABLE sims ADD COLUMN sent_month INTEGER NOT NULL DEFAULT 0;       -- segments sent in `month`
ALTER TABLE sims ADD COLUMN recipients_month INTEGER NOT NULL DEFAULT 0; -- distinct recipients texted in `month`

-- Who each SIM texted in a month: a SIM at its distinct-recipient limit may
-- still text these. Rows of past months are dropped when a SIM's month turns.
CREATE TABLE sim_month_recipients (
    month     TEXT NOT NULL,   -- local YYYY-MM
    recipient TEXT NOT NULL,
    imsi      TEXT NOT NULL,
    PRIMARY KEY (month, recipient, imsi)
) WITHOUT ROWID;
CREATE INDEX sim_month_recipients_by_sim ON sim_month_recipients (imsi, month);
