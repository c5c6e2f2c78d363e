/*
 * migration - the saga's side of the database stage (see migration.h):
 *             the release fetched for the migrator, its migrations
 *             recorded, a failed contract retried.
 */
#include "saga/migration.h"

#include "base/config.h"
#include "base/log.h"
#include "provider/local/artifact.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* migration_mkdirs - mkdir -p of path; 0 or -1 with err set */
static int migration_mkdirs(const char *path, char *err, size_t err_len)
{
    char buf[1024];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0700) == 0 || errno == EEXIST)
        return 0;
fail:
    snprintf(err, err_len, "mkdir %s: %s", buf, strerror(errno));
    return -1;
}

/* migration_release_dir - fetch and unpack e's release for its migrations */
int migration_release_dir(const struct effect *e, const struct stage_target *t, char *dir,
                          size_t dir_len, char *err, size_t err_len)
{
    char base[512], file[640];
    int n;

    if (strncmp(t->artifact_uri, "s3://", 5) == 0) {
        snprintf(err, err_len, "s3:// artifacts cannot be fetched by the migrator: "
                               "give the release an https URI (a pre-signed URL)");
        return -1;
    }
    n = snprintf(base, sizeof(base), "%s/migrator/%s", config_get("CUTOVER_RUN_DIR"),
                 e->environment);
    if (n < 0 || (size_t)n >= sizeof(base)) {
        snprintf(err, err_len, "CUTOVER_RUN_DIR is too long");
        return -1;
    }
    if (migration_mkdirs(base, err, err_len) != 0)
        return -1;
    snprintf(file, sizeof(file), "%s/%s.tar.gz", base, e->deployment_id);
    snprintf(dir, dir_len, "%s/%s", base, e->deployment_id);
    if (artifact_fetch(t->artifact_uri, t->artifact_sha256, file, err, err_len) != 0)
        return -1;
    return artifact_unpack(file, dir, err, err_len);
}

/* migration_record - upsert one row of deployment_migrations */
int migration_record(struct saga_ctx *ctx, const struct effect *e, const char *phase, int seq,
                     const char *name, const char *status, const char *detail)
{
    char seq_text[16];
    const char *params[] = {e->deployment_id, e->environment, phase, seq_text, name, status,
                            detail ? detail : ""};

    snprintf(seq_text, sizeof(seq_text), "%d", seq);
    return db_exec(ctx->db,
                   "INSERT INTO deployment_migrations (deployment_id, environment, phase, seq,"
                   " name, status, detail) VALUES ($1::uuid, $2, $3, $4::int, $5, $6, $7)"
                   " ON CONFLICT (deployment_id, phase, name) DO UPDATE SET seq = EXCLUDED.seq,"
                   " status = EXCLUDED.status, detail = EXCLUDED.detail, recorded_at = now()",
                   7, params);
}

/* migration_last_deployment - the id and state of env's newest deployment
 * that is not queued; 0 found, 1 none, -1 error */
static int migration_last_deployment(struct db *db, const char *environment, char *id,
                                     char *state, size_t state_len)
{
    const char *params[] = {environment};
    PGresult *res = db_query(db,
                             "SELECT id, state FROM deployments WHERE environment = $1"
                             " AND NOT queued ORDER BY created_at DESC, id LIMIT 1",
                             1, params);
    int rc;

    if (res == NULL)
        return -1;
    rc = PQntuples(res) == 1 ? 0 : 1;
    if (rc == 0) {
        snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
        snprintf(state, state_len, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

/* migration_state_finished - a state name of a finished deployment */
static bool migration_state_finished(const char *state)
{
    enum saga_state_kind k;

    return saga_state_parse(state, &k) == 0 && saga_is_terminal(k);
}

/* migration_retry_contract - retry-contract for env's last deployment */
enum migration_retry_rc migration_retry_contract(struct saga_ctx *ctx, const char *environment,
                                                 const char *actor, char *why, size_t why_len)
{
    struct deployment_note note = {"cli:migrations-retry", NULL, actor,
                                   "contract migrations retried"};
    struct saga_input in = {.kind = SAGA_IN_RETRY_CONTRACT};
    struct deployment d;
    char id[37], state[32];
    int rc = migration_last_deployment(ctx->db, environment, id, state, sizeof(state));

    if (rc < 0)
        return MIGRATION_RETRY_DB_FAILED;
    if (rc == 0 && strcmp(state, "completed-with-warning") != 0) {
        snprintf(why, why_len, "deployment %s is %s: %s", id, state,
                 migration_state_finished(state) ? "no contract migration failed"
                                                 : "it is still active; retry after it ends");
        return migration_state_finished(state) ? MIGRATION_RETRY_NOTHING : MIGRATION_RETRY_BUSY;
    }
    if (rc == 1 || deployment_lock(ctx->db, id, &d) != 0) {
        snprintf(why, why_len, "%s has no deployment", environment);
        return rc == 1 ? MIGRATION_RETRY_NOTHING : MIGRATION_RETRY_DB_FAILED;
    }
    rc = deployment_apply(ctx, &d, &in, &note, why, why_len);
    deployment_release(&d);
    if (rc == SAGA_TRANSITION)
        snprintf(why, why_len, "deployment %s: contract migrations retried", id);
    return rc == SAGA_TRANSITION ? MIGRATION_RETRY_STARTED
           : rc < 0              ? MIGRATION_RETRY_DB_FAILED
                                 : MIGRATION_RETRY_NOTHING;
}
