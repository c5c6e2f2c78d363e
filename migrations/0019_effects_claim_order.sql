-- 0019_effects_claim_order: the claim (saga/effect.c) takes a worker's
-- next effect in id order: first one whose lease ran out, else the first
-- pending one. 0018's index (owner, id) over the open effects did not hold
-- at scale: its order is the owner's, which PostgreSQL's statistics see as
-- scattered over the table, so with thousands of effects pending it chose
-- to walk the primary key instead, expecting an early match; the pending
-- effects were the newest, and a claim read every effect ever recorded
-- (40,000 rows, 8 to 35 ms). These indexes follow id order, the order the
-- primary key's statistics vouch for, with the owner checked in the index:
-- one for pending effects, one for running ones (held, or their lease ran
-- out). lease_until is left out of them, so a held effect's renewal stays
-- a HOT update.

DROP INDEX effects_claimable;
CREATE INDEX effects_pending ON effects (id, owner) WHERE status = 'pending';
CREATE INDEX effects_running ON effects (id, owner) WHERE status = 'running';
