-- 0006_rollback_durations: cutover-web reads, at each scrape, the rollbacks
-- whose old weights were confirmed since its last look (restore-weights of a
-- real rollback, drill-restore of a drill) for
-- cutover_rollback_duration_seconds; this index keeps that read a range.
CREATE INDEX effects_rollback_confirmed ON effects (finished_at, id)
    WHERE kind IN ('restore-weights', 'drill-restore') AND status = 'done';
