-- 0014_scheduler: the scheduled work of an environment (its document's
-- "scheduler" section: WordPress cron, Action Scheduler), run by
-- cutover-scheduler on the live color only (common/scheduler/scheduler.h).
--
-- scheduler_leases holds, per environment, when the next run is due and
-- which process holds the run in flight. A run is claimed by one statement
-- that sets holder and leased_until only where no unexpired lease exists
-- and the run is due, so that two copies of the scheduler (or one
-- restarted after a crash) never run the command at once: leased_until is
-- the run's timeout plus the grace in which a run's process group is
-- killed even when its scheduler died.
--
-- scheduler_runs records each run: the color that was live when it was
-- claimed, when it started and ended, how it ended (ok, failed, timeout,
-- interrupted at shutdown) and the command's exit status.

CREATE TABLE scheduler_leases (
    environment   text PRIMARY KEY REFERENCES environments (name),
    holder        text,
    leased_until  timestamptz,
    next_run_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((holder IS NULL) = (leased_until IS NULL))
);

CREATE TABLE scheduler_runs (
    id           bigserial PRIMARY KEY,
    environment  text NOT NULL REFERENCES environments (name),
    color        text NOT NULL CHECK (color IN ('blue', 'green')),
    holder       text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    outcome      text CHECK (outcome IN ('ok', 'failed', 'timeout', 'interrupted')),
    exit_status  int,
    CHECK ((finished_at IS NULL) = (outcome IS NULL))
);

CREATE INDEX scheduler_runs_environment ON scheduler_runs (environment, id);
