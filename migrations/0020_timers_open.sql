-- 0020_timers_open: each transition cancels the deployment's open timers
-- (saga/deployment_apply.c). Without an index by deployment, PostgreSQL
-- read every open timer of every deployment through timers_due and
-- filtered them: a cancel's cost grew with the deployments in flight
-- (1,228 index entries and 133 heap pages at 300 in flight). This index
-- holds the open timers alone, by deployment.

CREATE INDEX timers_open ON timers (deployment_id) WHERE fired_at IS NULL AND cancelled_at IS NULL;
