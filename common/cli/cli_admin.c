/*
 * cli_admin - the CLI's administrative commands: migrate, topics create,
 *             env apply, env list.
 *
 * DESCRIPTION
 *	env apply validates the file against schemas/environment.json and
 *	upserts it: an unchanged file changes nothing (the version stays), a
 *	changed one bumps the environment's version. The live color is never
 *	touched by apply: it belongs to the saga.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/log.h"
#include "base/share.h"
#include "io/event.h"
#include "io/kafka.h"
#include "io/migrate.h"
#include "io/schema.h"
#include "saga/deployment.h"
#include "worker/worker_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_FILE_BYTES (1024 * 1024)

/* cli_db_open - connect and bring the schema up to date */
struct db *cli_db_open(void)
{
    char dir[4096], err[512];
    struct db *db = db_connect(config_get("CUTOVER_DATABASE_URL"));

    if (db == NULL) {
        fprintf(stderr, "cutover: database unreachable\n");
        return NULL;
    }
    if (share_path("migrations", dir, sizeof(dir)) != 0
        || migrate_run(db, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover: migrations: %s\n", err);
        db_close(db);
        return NULL;
    }
    return db;
}

/* cli_migrate_cmd - apply the migrations */
int cli_migrate_cmd(int argc, char **argv)
{
    struct db *db;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: cutover migrate\n");
        return 2;
    }
    db = cli_db_open();
    if (db == NULL)
        return 1;
    db_close(db);
    printf("migrations applied\n");
    return 0;
}

/* cli_topics_create_cmd - create every cutover topic */
int cli_topics_create_cmd(int argc, char **argv)
{
    char err[512];

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: cutover topics create\n");
        return 2;
    }
    if (kafka_topics_create(event_topics, event_topic_count(),
                            (int)config_get_int("CUTOVER_TOPIC_PARTITIONS"),
                            (int)config_get_int("CUTOVER_TOPIC_REPLICATION"), err, sizeof(err))
        != 0) {
        fprintf(stderr, "cutover: %s\n", err);
        return 1;
    }
    printf("%zu topics present\n", event_topic_count());
    return 0;
}

/* cli_read_json - a JSON file, capped; NULL with a message on failure */
static cJSON *cli_read_json(const char *path)
{
    char err[512];
    cJSON *json = json_file_read(path, CLI_MAX_FILE_BYTES, err, sizeof(err));

    if (json == NULL)
        fprintf(stderr, "cutover: %s\n", err);
    return json;
}

/* cli_env_policy_check - the signers' keys parse and the signature policy holds */
static int cli_env_policy_check(const cJSON *env, char *err, size_t err_len)
{
    struct auth_policy policy;

    if (auth_policy_load(&policy, env, err, err_len) != 0)
        return -1;
    auth_policy_free(&policy);
    return 0;
}

/* cli_env_validate - check an environment document against its schema */
static int cli_env_validate(const cJSON *env)
{
    char dir[4096], err[512];
    struct event_error verr;
    struct schema_registry *reg;
    const cJSON *strategy;
    int rc;

    if (share_path("schemas", dir, sizeof(dir)) != 0
        || (reg = schema_registry_load(dir, err, sizeof(err))) == NULL) {
        fprintf(stderr, "cutover: schemas: %s\n", dir);
        return -1;
    }
    rc = schema_validate(reg, "environment", env, &verr);
    if (rc != 0)
        fprintf(stderr, "cutover: invalid environment: %s\n", verr.message);
    else if ((strategy = cJSON_GetObjectItemCaseSensitive(env, "strategy")) != NULL &&
             (rc = deployment_strategy_check(strategy, err, sizeof(err))) != 0)
        fprintf(stderr, "cutover: invalid environment: strategy: %s\n", err);
    else if ((rc = cli_env_policy_check(env, err, sizeof(err))) != 0)
        fprintf(stderr, "cutover: invalid environment: %s\n", err);
    schema_registry_free(reg);
    return rc;
}

/* cli_env_upsert - insert or update; prints what happened */
static int cli_env_upsert(struct db *db, const cJSON *env)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(env, "name");
    const cJSON *provider = cJSON_GetObjectItemCaseSensitive(env, "provider");
    char *config = cJSON_PrintUnformatted(env);
    const char *params[] = {name->valuestring, provider->valuestring, config};
    PGresult *res = db_query(db,
        "INSERT INTO environments AS e (name, provider, config) VALUES ($1, $2, $3::jsonb)"
        " ON CONFLICT (name) DO UPDATE SET provider = excluded.provider,"
        " config = excluded.config, version = e.version + 1, updated_at = now()"
        " WHERE e.config IS DISTINCT FROM excluded.config OR e.provider <> excluded.provider"
        " RETURNING version", 3, params);
    int rc = res ? 0 : 1;

    if (res && PQntuples(res) == 0)
        printf("environment %s unchanged\n", name->valuestring);
    else if (res)
        printf("environment %s %s (version %s)\n", name->valuestring,
               strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "created" : "updated",
               PQgetvalue(res, 0, 0));
    if (res)
        PQclear(res);
    free(config);
    return rc;
}

/* cli_env_apply_cmd - register or update an environment from a file */
int cli_env_apply_cmd(int argc, char **argv)
{
    cJSON *env;
    struct db *db = NULL;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: cutover env apply FILE\n");
        return 2;
    }
    env = cli_read_json(argv[1]);
    if (env == NULL || cli_env_validate(env) != 0)
        goto out;
    db = cli_db_open();
    if (db)
        rc = cli_env_upsert(db, env);
out:
    db_close(db);
    cJSON_Delete(env);
    return rc;
}

/* cli_env_list_cmd - one line per environment */
int cli_env_list_cmd(int argc, char **argv)
{
    struct db *db;
    PGresult *res;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: cutover env list\n");
        return 2;
    }
    db = cli_db_open();
    if (db == NULL)
        return 1;
    res = db_query(db, "SELECT name, provider, live_color, version FROM environments"
                       " ORDER BY name", 0, NULL);
    for (int i = 0; res && i < PQntuples(res); i++)
        printf("%s\t%s\tlive=%s\tversion=%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
    if (res)
        PQclear(res);
    db_close(db);
    return res ? 0 : 1;
}
