-- 0002_saga: what the saga needs beyond the foundation: the saga's own
-- columns on deployments, one active deployment per environment, durable
-- timers, and the write-ahead log of provider effects.

ALTER TABLE deployments
    ADD COLUMN queued boolean NOT NULL DEFAULT false,
    ADD COLUMN retiring boolean NOT NULL DEFAULT false,
    ADD COLUMN approval_required boolean NOT NULL DEFAULT false,
    ADD COLUMN old_color text CHECK (old_color IN ('blue', 'green'));

-- Queued deployments wait for the active one; terminal ones are history.
CREATE UNIQUE INDEX deployments_one_active ON deployments (environment)
    WHERE NOT queued AND state NOT IN ('completed', 'failed', 'rolled-back', 'superseded');

-- Durable timers: fire_at is computed by the database's clock; a timer
-- comes back as a saga input carrying (epoch, armed_in, step), so that one
-- armed before a change of state or epoch changes nothing.
CREATE TABLE timers (
    id             bigserial PRIMARY KEY,
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    kind           text NOT NULL CHECK (kind IN ('step-due', 'bake-done', 'stage-timeout')),
    epoch          bigint NOT NULL,
    armed_in       text NOT NULL,
    step           integer NOT NULL DEFAULT 0,
    fire_at        timestamptz NOT NULL,
    fired_at       timestamptz,
    cancelled_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timers_due ON timers (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- Write-ahead log of provider effects: the intent is committed with the
-- transition that asks for it, claimed with a lease before the provider
-- call, and its result recorded after. Effects of one environment run in
-- id order; those of an older epoch than their deployment's are stale.
CREATE TABLE effects (
    id             bigserial PRIMARY KEY,
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    environment    text NOT NULL REFERENCES environments (name),
    epoch          bigint NOT NULL,
    kind           text NOT NULL,
    arg            integer NOT NULL DEFAULT 0,
    owner          text NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    lease_until    timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    provider_calls integer NOT NULL DEFAULT 0,
    handle         text,
    result         jsonb,
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX effects_open ON effects (environment, id) WHERE status IN ('pending', 'running');
CREATE INDEX effects_deployment ON effects (deployment_id, id);
