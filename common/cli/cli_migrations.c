/*
 * cli_migrations - `cutover migrations retry ENV`: run the contract
 *                  migrations of a deployment that ended
 *                  completed-with-warning again.
 *
 * SYNOPSIS
 *	cutover migrations retry shop [--by NAME]
 *
 * DESCRIPTION
 *	A contract migration that failed leaves the new release live and
 *	the deployment completed-with-warning (saga.h). Once the cause is
 *	fixed (a lock that timed out, a privilege missing), this command
 *	gives the environment's last deployment the saga's retry-contract
 *	in one transaction: the deployment enters contracting again and
 *	cutover-migrator runs the contract migrations that are not yet
 *	applied; the status event goes out through the outbox. Refused
 *	while another deployment is active, and when the last deployment
 *	has no failed contract.
 *
 *	Exit status: 0 retried, 1 refused or failed (why on stderr), 2 bad
 *	usage.
 */
#include "base/config.h"
#include "cli/cli.h"
#include "io/event.h"
#include "io/outbox.h"
#include "saga/migration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATIONS_USAGE "migrations retry ENV [--by NAME]"

/* cli_migrations_emit_cb - an event of the retry into the outbox */
static int cli_migrations_emit_cb(void *sink, const char *topic, const char *environment,
                                  cJSON *data)
{
    struct cloud_event ev;
    char *value;
    int rc = -1;

    if (event_create(&ev, topic, "cutover/cli", environment, data) != 0)
        return -1;
    if ((value = event_encode(&ev)) != NULL)
        rc = outbox_add(sink, topic, environment, value);
    cloudevent_free(&ev);
    free(value);
    return rc;
}

/* cli_migrations_retry - the retry in one transaction; 0 or 1 */
static int cli_migrations_retry(struct db *db, const char *environment, const char *by)
{
    struct saga_ctx ctx = {db, "cli", cli_migrations_emit_cb, NULL, db};
    enum migration_retry_rc rc;
    char why[512] = "";

    if (db_begin(db) != 0)
        return 1;
    rc = migration_retry_contract(&ctx, environment, by, why, sizeof(why));
    if (rc != MIGRATION_RETRY_STARTED || db_commit(db) != 0) {
        db_rollback(db);
        fprintf(stderr, "cutover: %s\n",
                rc == MIGRATION_RETRY_DB_FAILED ? "database error" : why);
        return 1;
    }
    printf("%s\n", why);
    return 0;
}

/* cli_migrations_retry_cmd - migrations retry ENV [--by NAME] (argv[0]: "retry") */
int cli_migrations_retry_cmd(int argc, char **argv)
{
    const char *environment = NULL, *by = "an operator";
    struct db *db;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
            by = argv[++i];
        else if (argv[i][0] != '-' && environment == NULL)
            environment = argv[i];
        else
            return cli_usage_fail(MIGRATIONS_USAGE, "unexpected argument %s", argv[i]);
    }
    if (environment == NULL)
        return cli_usage_fail(MIGRATIONS_USAGE, "which environment?");
    if ((db = cli_db_open()) == NULL)
        return 1;
    rc = cli_migrations_retry(db, environment, by);
    db_close(db);
    return rc;
}
