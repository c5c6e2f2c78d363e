-- 0013_cache_stage: the cache stage of the saga. A deployment of an
-- environment whose document declares "caches" flushes them once, after
-- the new color passed validation and before any traffic moves to it
-- (state flushing-caches). Each action's outcome is a row of
-- deployment_caches, read by `cutover status` and `cutover history`.

ALTER TABLE deployments ADD COLUMN cache_stage boolean NOT NULL DEFAULT false;

-- One cache action of one deployment, by name: ok or failed, how long it
-- took, what it said, and per instance where it ran on instances. A flush
-- run again (its worker killed mid-way) updates its rows.
CREATE TABLE deployment_caches (
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    environment    text NOT NULL REFERENCES environments (name),
    seq            integer NOT NULL,
    name           text NOT NULL,
    kind           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('ok', 'failed')),
    duration_ms    bigint NOT NULL DEFAULT 0,
    message        text NOT NULL DEFAULT '',
    instances      jsonb NOT NULL DEFAULT '[]',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, name)
);
CREATE INDEX deployment_caches_environment ON deployment_caches (environment, recorded_at);
