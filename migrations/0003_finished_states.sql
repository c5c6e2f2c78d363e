-- 0003_finished_states: one definition of the states in which a deployment
-- has finished (the saga's terminal states, saga_is_terminal() in C; a unit
-- test holds the two against each other). Every query asks this function
-- instead of spelling the list out.

CREATE FUNCTION deployment_finished(state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN state IN ('completed', 'failed', 'rolled-back', 'superseded');

-- The one-active-deployment index of 0002, now on the function.
DROP INDEX deployments_one_active;
CREATE UNIQUE INDEX deployments_one_active ON deployments (environment)
    WHERE NOT queued AND NOT deployment_finished(state);
