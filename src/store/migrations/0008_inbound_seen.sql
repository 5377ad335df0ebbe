-- Every PDU stored from a SIM, by digest, for a week: the same PDU offered
-- again (its acknowledgement lost, re-read after a timeout, a network
-- retransmission) is acknowledged and counted once.
CREATE TABLE inbound_seen (
    sim_imsi TEXT    NOT NULL,                   -- '' when unknown
    digest   TEXT    NOT NULL,                   -- SHA-256 of the PDU's hex, upper case
    at       INTEGER NOT NULL,
    PRIMARY KEY (sim_imsi, digest)
) WITHOUT ROWID;
CREATE INDEX inbound_seen_by_age ON inbound_seen (at);
