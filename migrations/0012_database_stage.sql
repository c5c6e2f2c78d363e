-- 0012_database_stage: the database stage of the saga. A deployment of an
-- environment that has a database (its document's "database" section)
-- runs the release's expand migrations before the new color is scaled and
-- its contract migrations after the old color is retired; each migration
-- the stage ran or refused is a row of deployment_migrations, read by
-- `cutover status` and `cutover history`. A contract that fails leaves the
-- deployment completed-with-warning: finished, the new release live.

ALTER TABLE deployments ADD COLUMN database_stage boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION deployment_finished(state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN state IN ('completed', 'failed', 'rolled-back', 'superseded',
                     'completed-with-warning');

-- The index of 0003 was built with the function's former body.
DROP INDEX deployments_one_active;
CREATE UNIQUE INDEX deployments_one_active ON deployments (environment)
    WHERE NOT queued AND NOT deployment_finished(state);

-- One migration of one deployment, by phase and name: applied (now or by
-- an earlier run: the application's database says so), refused by the
-- lint, or failed. A retried contract updates its rows.
CREATE TABLE deployment_migrations (
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    environment    text NOT NULL REFERENCES environments (name),
    phase          text NOT NULL CHECK (phase IN ('expand', 'contract')),
    seq            integer NOT NULL,
    name           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('applied', 'refused', 'failed')),
    detail         text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment_id, phase, name)
);
CREATE INDEX deployment_migrations_environment ON deployment_migrations (environment, recorded_at);
