-- 0008_analysis: analysis gates between canary steps. A step whose
-- strategy carries an analysis gets a row here when its weight takes effect
-- (the saga's start-analysis); the validator measures its metrics during
-- the step's pause, one row per measurement, and ends the analysis with a
-- verdict the saga acts on. Cancelled with the deployment's timers.

CREATE TABLE analyses (
    id             bigserial PRIMARY KEY,
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    environment    text NOT NULL REFERENCES environments (name),
    epoch          bigint NOT NULL,
    step           integer NOT NULL,
    pause_seconds  integer NOT NULL,
    status         text NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'passed', 'failed', 'inconclusive', 'cancelled')),
    reason         text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
CREATE INDEX analyses_running ON analyses (environment, id) WHERE status = 'running';
CREATE INDEX analyses_deployment ON analyses (deployment_id, id);

-- One measurement of one metric; (analysis, metric, seq) makes a
-- measurement taken by two validator copies at once count once.
CREATE TABLE analysis_measurements (
    analysis_id  bigint NOT NULL REFERENCES analyses (id),
    metric       text NOT NULL,
    seq          integer NOT NULL,
    query        text NOT NULL,
    value        double precision,
    baseline     double precision,
    outcome      text NOT NULL
                 CHECK (outcome IN ('pass', 'fail', 'no-data', 'low-traffic', 'error')),
    detail       text,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (analysis_id, metric, seq)
);
