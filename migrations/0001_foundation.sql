-- 0001_foundation: environments, deployments, the audit trail, the inbox
-- that dedupes events by (source, id), and the outbox that publishes events
-- in commit order.

CREATE TABLE environments (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    provider    text NOT NULL,
    config      jsonb NOT NULL,
    live_color  text NOT NULL DEFAULT 'blue' CHECK (live_color IN ('blue', 'green')),
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deployments (
    id           uuid PRIMARY KEY,
    environment  text NOT NULL REFERENCES environments (name),
    build_id     text NOT NULL,
    version      text NOT NULL,
    artifact     jsonb NOT NULL,
    strategy     jsonb,
    request      jsonb NOT NULL,
    state        text NOT NULL,
    epoch        bigint NOT NULL DEFAULT 1,
    new_color    text CHECK (new_color IN ('blue', 'green')),
    weight_new   integer NOT NULL DEFAULT 0 CHECK (weight_new BETWEEN 0 AND 100),
    step         integer NOT NULL DEFAULT 0,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    UNIQUE (environment, build_id)
);
CREATE INDEX deployments_environment_created ON deployments (environment, created_at);

CREATE TABLE transitions (
    id             bigserial PRIMARY KEY,
    deployment_id  uuid NOT NULL REFERENCES deployments (id),
    from_state     text,
    to_state       text NOT NULL,
    event_type     text NOT NULL,
    event_id       text,
    actor          text,
    reason         text,
    epoch          bigint NOT NULL,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transitions_deployment ON transitions (deployment_id, id);

CREATE TABLE inbox (
    source       text NOT NULL,
    id           text NOT NULL,
    type         text NOT NULL,
    subject      text,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    consumer     text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, id, consumer)
);

-- Rows are published ordered by the writing transaction's id, and only
-- once that transaction is behind every snapshot (txid < xmin), so that a
-- later commit never overtakes an earlier one.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    topic        text NOT NULL,
    key          text NOT NULL,
    value        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    lease_until  timestamptz,
    sent_at      timestamptz
);
CREATE INDEX outbox_unsent ON outbox (txid, id) WHERE sent_at IS NULL;
