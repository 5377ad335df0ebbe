-- The campaign engine: what feeding each dispatch round needs to stay
-- cheap on a large audience, and what the claim needs to know of a
-- queued campaign message without reading the campaign's request.

-- When the recipient's window closes (unix ms) on their clock, for the
-- message now queued for them: claimed later, it is taken back and waits
-- for their next window.
ALTER TABLE campaign_recipients ADD COLUMN window_closes_at INTEGER;

-- A campaign's rate (messages queued in the last hour) and which campaign
-- was fed least recently, without reading its whole audience.
CREATE INDEX campaign_recipients_by_queued ON campaign_recipients (campaign_id, queued_at)
    WHERE message_id IS NOT NULL;

-- When the next deferred (frequency-capped) recipient may go.
CREATE INDEX campaign_recipients_deferred ON campaign_recipients (campaign_id, not_before)
    WHERE state = 'pending' AND not_before IS NOT NULL;
