/*
 * migration - the saga's side of the database stage: a release's
 *             migrations fetched for the migrator, each migration it ran
 *             or refused recorded with the deployment, and an operator's
 *             retry of a contract that failed.
 *
 * SYNOPSIS
 *	char dir[1024], err[512];
 *	if (migration_release_dir(e, &t, dir, sizeof(dir), err, sizeof(err)) != 0) ...
 *	migration_record(ctx, e, "expand", 1, "0001_add_note", "applied", "");
 *
 *	db_begin(db);
 *	rc = migration_retry_contract(&ctx, "shop", "alice", why, sizeof(why));
 *	db_commit(db);
 *
 * DESCRIPTION
 *	migration_release_dir() fetches the deployment's artifact (file,
 *	http and https URIs, checked against its sha256: provider/local's
 *	artifact.h) into CUTOVER_RUN_DIR/migrator/<environment>/ and unpacks
 *	it into <deployment id>/, where the release's cutover/migrations.yml
 *	is read. Both steps are idempotent, so a migrator that restarts
 *	fetches nothing twice. s3:// artifacts are refused: the aws
 *	provider fetches them with its own credentials (CodeDeploy), which
 *	the migrator does not hold; an environment of the aws provider with
 *	a database gives its releases an https URI (an S3 pre-signed URL).
 *
 *	migration_record() writes one row of deployment_migrations (0012)
 *	outside any transaction; the same (deployment, phase, name) again
 *	updates it, so a retried step records each migration once.
 *
 *	migration_retry_contract() runs in the caller's transaction: the
 *	environment's last deployment, when it is completed-with-warning
 *	and no other deployment is active, gets retry-contract (saga.h),
 *	which enters contracting and asks the migrator for its contract
 *	migrations again.
 */
#ifndef CUTOVER_MIGRATION_H
#define CUTOVER_MIGRATION_H

#include "saga/stage.h"

#include <stddef.h>

enum migration_retry_rc {
    MIGRATION_RETRY_STARTED,   /* contracting again */
    MIGRATION_RETRY_NOTHING,   /* no deployment of the environment waits for a retry */
    MIGRATION_RETRY_BUSY,      /* another deployment is active: retry after it */
    MIGRATION_RETRY_DB_FAILED, /* a database error */
};

/* migration_release_dir - the unpacked release of e's deployment into
 * dir; 0, or -1 with err set */
int migration_release_dir(const struct effect *e, const struct stage_target *t, char *dir,
                          size_t dir_len, char *err, size_t err_len);

/* migration_record - one migration's outcome for e's deployment; 0 or -1 */
int migration_record(struct saga_ctx *ctx, const struct effect *e, const char *phase, int seq,
                     const char *name, const char *status, const char *detail);

/* migration_retry_contract - see above; why says what happened */
enum migration_retry_rc migration_retry_contract(struct saga_ctx *ctx, const char *environment,
                                                 const char *actor, char *why, size_t why_len);

#endif
