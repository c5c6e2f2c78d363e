-- 0010_command_audit: who did what. command_audit holds every command
-- (build-ready, alarm-fired, shift-requested, an approval) a worker judged
-- and every refusal, with the principal whose SSH signature verified (NULL
-- when unsigned) beside the self-declared requested_by. Several workers
-- consume one topic: a record is audited once per outcome (the unique key
-- names its Kafka position, so each replayed copy gets its own line).
-- Rows are append-only: UPDATE, DELETE and TRUNCATE are revoked from the
-- role that runs the migrations and the workers, and a trigger refuses
-- them for any role that still holds the grant.
-- signed_commands remembers (key fingerprint, event id) with the position
-- where it was first accepted, for the replay check.
CREATE TABLE command_audit (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    environment    text NOT NULL,
    deployment_id  text,
    action         text NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    code           text,
    reason         text,
    principal      text,
    fingerprint    text,
    requested_by   text,
    signed         boolean NOT NULL,
    event_source   text NOT NULL,
    event_id       text NOT NULL,
    topic          text NOT NULL,
    partition      int NOT NULL,
    "offset"       bigint NOT NULL,
    worker         text NOT NULL,
    UNIQUE (event_source, event_id, outcome, topic, partition, "offset")
);
CREATE INDEX command_audit_environment ON command_audit (environment, at);
CREATE INDEX command_audit_event ON command_audit (event_id);

CREATE FUNCTION command_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'command_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER command_audit_no_update BEFORE UPDATE OR DELETE ON command_audit
    FOR EACH ROW EXECUTE FUNCTION command_audit_append_only();
CREATE TRIGGER command_audit_no_truncate BEFORE TRUNCATE ON command_audit
    FOR EACH STATEMENT EXECUTE FUNCTION command_audit_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON command_audit FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON command_audit FROM CURRENT_USER;

CREATE TABLE signed_commands (
    fingerprint    text NOT NULL,
    event_id       text NOT NULL,
    topic          text NOT NULL,
    partition      int NOT NULL,
    "offset"       bigint NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fingerprint, event_id)
);
