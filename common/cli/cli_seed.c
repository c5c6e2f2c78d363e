/*
 * cli_seed - `cutover env seed ENV`: bring an environment's live color up
 *            before its first deployment.
 *
 * SYNOPSIS
 *	cutover env seed shop [--timeout 120]
 *
 * DESCRIPTION
 *	A new environment has a live color (blue unless set otherwise) but
 *	perhaps nothing running on it. Seeding scales the live color to the
 *	environment's capacity through its provider (the local provider
 *	installs local.initial_release on it; on AWS the live group starts
 *	from its launch template), waits until every instance is healthy in
 *	the load balancer, then gives the live color 100 % of the traffic and
 *	reads the weights back. Every step is absolute, so seeding again is
 *	harmless. It is refused while a deployment is in flight: the saga
 *	owns the colors then.
 *
 *	Exit status: 0 seeded, 1 failed (the reason on stderr), 2 bad usage.
 */
#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "provider/provider.h"
#include "saga/deployment.h"
#include "saga/traffic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_USAGE "env seed ENV [--timeout SECONDS]"
#define SEED_DEFAULT_TIMEOUT_S 120
#define SEED_POLL_MS 500

/* The environment as seeding needs it. */
struct seed_env {
    char name[64];
    const struct provider_ops *ops;
    cJSON *config;
    enum color live;
    int capacity;
};

/* seed_parse_args - ENV and --timeout; 0, or 2 after printing the usage (-1: --help) */
static int seed_parse_args(int argc, char **argv, struct seed_env *env, int *timeout_s)
{
    char *end;

    *timeout_s = SEED_DEFAULT_TIMEOUT_S;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return -1;
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            errno = 0;
            *timeout_s = (int)strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || *timeout_s < 1 || *timeout_s > 3600)
                return cli_usage_fail(SEED_USAGE, "--timeout: seconds in 1..3600");
        } else if (argv[i][0] != '-' && env->name[0] == '\0' &&
                   strlen(argv[i]) < sizeof(env->name)) {
            snprintf(env->name, sizeof(env->name), "%s", argv[i]);
        } else {
            return cli_usage_fail(SEED_USAGE, "unexpected argument \"%s\"", argv[i]);
        }
    }
    return env->name[0] ? 0 : cli_usage_fail(SEED_USAGE, "which environment?");
}

/* seed_env_load - the environment's provider, document, live color and capacity; 0 or -1 */
static int seed_env_load(struct db *db, struct seed_env *env)
{
    const char *params[] = { env->name };
    PGresult *res = db_query(db, "SELECT provider, config::text, live_color FROM environments"
                                 " WHERE name = $1", 1, params);
    const cJSON *capacity;
    int rc = -1;

    if (res == NULL || PQntuples(res) != 1) {
        fprintf(stderr, "cutover: no environment \"%s\" (cutover env apply FILE)\n", env->name);
    } else if ((env->ops = provider_find(PQgetvalue(res, 0, 0))) == NULL) {
        fprintf(stderr, "cutover: %s: unknown provider \"%s\"\n", env->name, PQgetvalue(res, 0, 0));
    } else if ((env->config = cJSON_Parse(PQgetvalue(res, 0, 1))) == NULL ||
               color_parse(PQgetvalue(res, 0, 2), &env->live) != 0) {
        fprintf(stderr, "cutover: %s: unreadable environment row\n", env->name);
    } else {
        capacity = cJSON_GetObjectItemCaseSensitive(env->config, "capacity");
        env->capacity = cJSON_IsNumber(capacity) ? capacity->valueint
                                                 : DEPLOYMENT_DEFAULT_CAPACITY;
        rc = 0;
    }
    if (res)
        PQclear(res);
    return rc;
}

/* seed_in_flight - 1 when a deployment of env is in flight, 0 when none, -1 error */
static int seed_in_flight(struct db *db, const char *environment)
{
    struct deployment d;
    int found;

    if (db_begin(db) != 0)
        return -1;
    found = deployment_lock_active(db, environment, &d);
    if (found == 0) {
        fprintf(stderr, "cutover: %s: deployment %s is %s; seed is for an environment with"
                        " nothing in flight\n", environment, d.id, saga_state_name(d.saga.state));
        deployment_release(&d);
    }
    db_rollback(db);
    return found < 0 ? -1 : found == 0;
}

/* seed_wait_healthy - poll health until every wanted instance is healthy; 0 or -1 */
static int seed_wait_healthy(const struct seed_env *env, void *state, int timeout_s)
{
    long long deadline = clock_mono_ms() + timeout_s * 1000LL;
    struct provider_health h = { 0 };
    char err[512] = "";

    while (clock_mono_ms() < deadline) {
        if (env->ops->health(state, env->live, &h, err, sizeof(err)) == 0 &&
            h.healthy == env->capacity && h.desired == env->capacity)
            return 0;
        clock_sleep_ms(SEED_POLL_MS);
    }
    fprintf(stderr, "cutover: %s: %s not healthy after %d s: %d of %d instances healthy%s%s\n",
            env->name, color_name(env->live), timeout_s, h.healthy, env->capacity,
            err[0] ? "; last error: " : "", err);
    return -1;
}

/* seed_run - scale the live color, wait for it, give it all the traffic; 0 or -1 */
static int seed_run(const struct seed_env *env, int timeout_s)
{
    struct provider_weights all;
    void *state = NULL;
    char err[512];
    int rc = -1;

    if (env->ops->open(env->name, env->config, &state, err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover: %s: %s\n", env->name, err);
        return -1;
    }
    traffic_weights_for(color_other(env->live), 0, &all);
    if (env->ops->scale(state, env->live, env->capacity, err, sizeof(err)) != 0)
        fprintf(stderr, "cutover: %s: scale %s: %s\n", env->name, color_name(env->live), err);
    else if (seed_wait_healthy(env, state, timeout_s) != 0)
        ;
    else if (traffic_weights_set(env->ops, state, &all, err, sizeof(err)) != 0)
        fprintf(stderr, "cutover: %s: weights: %s\n", env->name, err);
    else
        rc = 0;
    env->ops->close(state);
    return rc;
}

/* cli_env_seed_cmd - cutover env seed ENV [--timeout SECONDS] */
int cli_env_seed_cmd(int argc, char **argv)
{
    struct seed_env env = { 0 };
    struct db *db = NULL;
    int timeout_s, rc;

    if ((rc = seed_parse_args(argc, argv, &env, &timeout_s)) != 0)
        return cli_help_or(rc, SEED_USAGE);
    rc = 1;
    if ((db = cli_db_open()) == NULL || seed_env_load(db, &env) != 0 ||
        seed_in_flight(db, env.name) != 0)
        goto out;
    if (seed_run(&env, timeout_s) == 0) {
        printf("%s: %s is live with %d instance%s healthy and 100 %% of the traffic\n", env.name,
               color_name(env.live), env.capacity, env.capacity == 1 ? "" : "s");
        rc = 0;
    }
out:
    cJSON_Delete(env.config);
    db_close(db);
    return rc;
}
