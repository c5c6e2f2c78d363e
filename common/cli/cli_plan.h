/*
 * cli_plan - what cutover plan's files share: the release's migrations,
 *            read from the artifact (cli_plan_migrations.c).
 *
 * SYNOPSIS
 *	struct plan_migrations m;
 *	plan_migrations_read("file:///srv/shop-2.0.tar.gz", sha256, &m);
 *	plan_migrations_note(&m, SQL_PHASE_EXPAND, recorder);
 *	plan_migrations_free(&m);
 *
 * DESCRIPTION
 *	A plan names the migrations a deployment would run only when it can
 *	read them without a side effect: the artifact is a local path or a
 *	file: URI (a tarball, checked against its sha256 when given); any
 *	other artifact's migrations are "unknown", with the reason.
 */
#ifndef CUTOVER_CLI_PLAN_H
#define CUTOVER_CLI_PLAN_H

#include "validate/migration_manifest.h"

#include <stddef.h>

/* The release's migrations, or why they are not known. */
struct plan_migrations {
    struct migration_manifest *manifest; /* NULL: none in the release, or unknown */
    int unknown;                          /* 1: why says why */
    char why[512];
};

/* plan_migrations_read - read artifact's cutover/migrations.yml into m */
void plan_migrations_read(const char *artifact, const char *sha256, struct plan_migrations *m);

/* plan_migrations_note - one line per migration of phase noted in the plan
 * recorder ("migrate expand add-notes: sql db/0001.sql"), or one line that
 * says there is none or that they are unknown */
void plan_migrations_note(const struct plan_migrations *m, enum sql_phase phase, void *recorder);

/* plan_migrations_free - free what plan_migrations_read kept */
void plan_migrations_free(struct plan_migrations *m);

#endif
