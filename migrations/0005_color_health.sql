-- 0005_color_health: each color's health as the provider last reported it,
-- one row per environment and color. The rollbacker reads it every
-- CUTOVER_HEALTH_CHECK_MS and writes a row only when the reading changed,
-- so changed_at is when the color last changed, and an idle stack writes
-- nothing. cutover status, cutover watch and cutover-web read it from here
-- (they call no provider). A reading that failed has no counts, only the
-- provider's error.

CREATE TABLE color_health (
    environment  text NOT NULL REFERENCES environments (name),
    color        text NOT NULL CHECK (color IN ('blue', 'green')),
    desired      int,
    healthy      int,
    error        text,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (environment, color),
    CHECK ((error IS NULL) = (desired IS NOT NULL AND healthy IS NOT NULL))
);
