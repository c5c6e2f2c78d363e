-- 0004_rollback_ready: the instant-rollback guarantee. From the first
-- weight change until the old color is retired, the rollbacker checks that
-- the old color could take all the traffic back at once (its desired
-- capacity unchanged, every instance healthy) and records the verdict here.
-- NULL: not checked yet (nothing has shifted, or the check has not run).

ALTER TABLE deployments
    ADD COLUMN rollback_ready boolean,
    ADD COLUMN rollback_ready_reason text;
