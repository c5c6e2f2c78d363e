-- 0016_effect_wakeup: wake the worker that owns an effect as soon as it may
-- claim it, instead of leaving it to the next poll (CUTOVER_TIMER_POLL_MS).
--
-- Each worker LISTENs on the channel cutover_effects and wakes on a
-- notification whose payload is its name or "*" (saga_worker.h). An effect
-- becomes claimable when it is written, when the effect before it in its
-- environment ends (effects of one environment run in id order), and when
-- a stopping process hands it back (its lease set to now). A durable timer
-- armed already due (a bake of 0 seconds) wakes every worker ("*"): any of
-- them fires timers, and one claims it; later ones wait for the poll. A
-- notification
-- is sent at commit, so the woken worker sees the rows; PostgreSQL folds
-- the same payload sent twice in one transaction into one. The poll stays:
-- a notification lost with a connection costs one interval, never an
-- effect.

CREATE FUNCTION effects_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'pending' THEN
            PERFORM pg_notify('cutover_effects', NEW.owner);
        END IF;
    ELSIF NEW.status IN ('done', 'failed', 'cancelled') AND OLD.status IN ('pending', 'running') THEN
        PERFORM pg_notify('cutover_effects', next.owner)
           FROM (SELECT DISTINCT owner FROM effects
                  WHERE environment = NEW.environment AND id > NEW.id
                    AND status IN ('pending', 'running')) next;
    ELSIF NEW.status = 'running' AND NEW.lease_until <= now() AND OLD.lease_until > now() THEN
        PERFORM pg_notify('cutover_effects', NEW.owner);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER effects_wake AFTER INSERT OR UPDATE OF status, lease_until ON effects
    FOR EACH ROW EXECUTE FUNCTION effects_wake();

CREATE FUNCTION timers_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.fire_at <= now() THEN
        PERFORM pg_notify('cutover_effects', '*');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER timers_wake AFTER INSERT ON timers
    FOR EACH ROW EXECUTE FUNCTION timers_wake();
