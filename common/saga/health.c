/*
 * health - each color's health from the provider into color_health (see
 *          health.h): read every check, written only when it changed.
 */
#include "saga/health.h"

#include "base/config.h"
#include "base/log.h"
#include "saga/effect_provider.h"

#include <stdio.h>
#include <string.h>

/* One color's reading: counts, or the error that stands for them. */
struct health_reading {
    char desired[16];
    char healthy[16];
    char error[512]; /* "" when the counts were read */
};

/* Both colors' readings of environment $1 ($2..$4 blue, $5..$7 green), each
 * inserted or updated only when it differs from the row: no row is written
 * or locked for an unchanged reading. Returns what changed. */
static const char health_record_sql[] =
    "INSERT INTO color_health AS h (environment, color, desired, healthy, error)"
    " SELECT $1::text, r.color, r.desired, r.healthy, r.error"
    " FROM (VALUES ('blue', $2::int, $3::int, $4::text), ('green', $5::int, $6::int, $7::text))"
    "   AS r (color, desired, healthy, error)"
    " WHERE NOT EXISTS (SELECT 1 FROM color_health o WHERE o.environment = $1::text"
    "   AND o.color = r.color"
    "   AND (o.desired, o.healthy, o.error) IS NOT DISTINCT FROM (r.desired, r.healthy, r.error))"
    " ON CONFLICT (environment, color) DO UPDATE SET desired = excluded.desired,"
    "   healthy = excluded.healthy, error = excluded.error, changed_at = now()"
    " WHERE (h.desired, h.healthy, h.error)"
    "   IS DISTINCT FROM (excluded.desired, excluded.healthy, excluded.error)"
    " RETURNING h.color, coalesce(h.healthy || ' of ' || h.desired || ' healthy', h.error)";

/* health_targets - the environments of this process, the first by name */
static PGresult *health_targets(struct saga_ctx *ctx)
{
    char limit[16];
    const char *params[] = {config_get("CUTOVER_ENVIRONMENTS"), limit};

    snprintf(limit, sizeof(limit), "%d", HEALTH_ENVIRONMENTS_MAX);
    return db_query(ctx->db,
                    "SELECT name FROM environments WHERE name ~ $1 ORDER BY name LIMIT $2::int",
                    2, params);
}

/* health_read - one color's reading from an opened provider */
static void health_read(const struct provider_ops *ops, void *state, enum color c,
                        struct health_reading *r)
{
    struct provider_health h;

    memset(r, 0, sizeof(*r));
    if (ops->health(state, c, &h, r->error, sizeof(r->error)) != 0) {
        if (r->error[0] == '\0')
            snprintf(r->error, sizeof(r->error), "the provider could not read %s's health",
                     color_name(c));
        return;
    }
    snprintf(r->desired, sizeof(r->desired), "%d", h.desired);
    snprintf(r->healthy, sizeof(r->healthy), "%d", h.healthy);
}

/* health_readings - both colors of an environment (blue, green), or the
 * provider's error on both when it could not be opened */
static void health_readings(struct saga_ctx *ctx, const char *environment,
                            struct health_reading r[2])
{
    const struct provider_ops *ops;
    void *state;
    char err[480];

    if (effect_provider(ctx, environment, 0, &ops, &state, err, sizeof(err)) == 0) {
        health_read(ops, state, COLOR_BLUE, &r[0]);
        health_read(ops, state, COLOR_GREEN, &r[1]);
        return;
    }
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        snprintf(r[i].error, sizeof(r[i].error), "provider: %s", err);
    }
}

/* health_param - a reading's field as a query parameter: NULL when empty */
static const char *health_param(const char *field)
{
    return field[0] != '\0' ? field : NULL;
}

/* health_record - the readings into color_health where they changed; logged */
static void health_record(struct saga_ctx *ctx, const char *environment,
                          const struct health_reading r[2])
{
    const char *params[] = {environment,
                            health_param(r[0].desired), health_param(r[0].healthy),
                            health_param(r[0].error),
                            health_param(r[1].desired), health_param(r[1].healthy),
                            health_param(r[1].error)};
    PGresult *res = db_query(ctx->db, health_record_sql, 7, params);

    for (int i = 0; res && i < PQntuples(res); i++)
        log_info("health of %s in %s: %s", PQgetvalue(res, i, 0), environment,
                 PQgetvalue(res, i, 1));
    if (res)
        PQclear(res);
}

/* health_check - read and record both colors of every environment once */
void health_check(struct saga_ctx *ctx)
{
    PGresult *res = health_targets(ctx);

    for (int i = 0; res && i < PQntuples(res); i++) {
        struct health_reading r[2];

        health_readings(ctx, PQgetvalue(res, i, 0), r);
        health_record(ctx, PQgetvalue(res, i, 0), r);
    }
    if (res)
        PQclear(res);
}
