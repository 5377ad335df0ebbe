-- Whether a campaign has tracked links or promo codes at all, asked before
-- its figures look them up per recipient: an index probe, not a walk of
-- its recipients.
CREATE INDEX links_by_campaign ON links (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX promo_codes_by_campaign ON promo_codes (campaign_id) WHERE campaign_id IS NOT NULL;
