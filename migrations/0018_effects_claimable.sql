-- 0018_effects_claimable: the claim (saga/effect.c) takes a worker's next
-- open effect in id order. With only the primary key to follow that order,
-- PostgreSQL walked every effect ever recorded, done ones included, and
-- filtered them: a claim cost grew with the table's history (42 ms at
-- 37,000 effects, most of a transition's time). This index holds the open
-- effects alone, by owner and id, so a claim reads a handful of rows
-- whatever the history.

CREATE INDEX effects_claimable ON effects (owner, id) WHERE status IN ('pending', 'running');
