/*
 * migrate - the migration runner: applies migrations/NNNN_name.sql in
 *           order, each in its own transaction, recorded in
 *           schema_migrations.
 *
 * SYNOPSIS
 *	if (migrate_run(db, "migrations", err, sizeof(err)) != 0) ...
 *
 * DESCRIPTION
 *	A session advisory lock makes concurrent starts safe: every worker
 *	copy runs the migrations at start, one after the other, and all but
 *	the first find nothing to do. Two files with the same number are an
 *	error, not an order.
 */
#ifndef CUTOVER_MIGRATE_H
#define CUTOVER_MIGRATE_H

#include "io/db.h"

#include <stddef.h>

/* migrate_list - the NNNN_name.sql files of dir in apply order; 0 or -1
 * (err says why: a bad name, two files with one number). Caller frees
 * with migrate_list_free(). */
int migrate_list(const char *dir, char ***names, size_t *count, char *err, size_t err_len);
void migrate_list_free(char **names, size_t count);
int migrate_run(struct db *db, const char *dir, char *err, size_t err_len);

#endif
