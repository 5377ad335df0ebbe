-- Progress of a long message part by part, so that a send cut by a crash,
-- an unplug or a refused part resumes with the parts the network certainly
-- did not get, through the same SIM and with the same reference.
--
-- message_parts rows are the parts that certainly went (`sent`, later
-- `delivered`/`failed` by reports) or may have gone (`unknown`: its write
-- had begun when the send was cut; never written again). The part after
-- the highest recorded one is the one being written while the message is
-- `sending`: recording part k is what marks part k+1 in flight, in one
-- transaction.
ALTER TABLE messages ADD COLUMN concat_ref INTEGER;  -- reference of the current (or last) claim
ALTER TABLE messages ADD COLUMN pinned_imsi TEXT;    -- parts went through this SIM: the rest must too
