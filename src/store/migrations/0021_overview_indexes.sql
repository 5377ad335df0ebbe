-- The dashboard's overview counts today's traffic (sent, delivered,
-- replies, opt-outs since midnight) on every refresh: these indexes make
-- each count a range over today's rows instead of a scan of everything.
CREATE INDEX messages_by_sent_at ON messages (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX messages_by_delivered_at ON messages (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX inbox_by_received_at ON inbox (received_at);
CREATE INDEX optouts_by_at ON optouts (at);
