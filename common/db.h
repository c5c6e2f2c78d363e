/*
 * db - PostgreSQL through libpq: connect with retry, parameterized queries,
 *      transactions, and the migration runner.
 *
 * SYNOPSIS
 *	struct db *db = db_connect(url);		(retries with backoff)
 *	db_begin(db);
 *	PGresult *res = db_query(db, "SELECT state FROM deployments WHERE id = $1", 1, params);
 *	...
 *	if (db_commit(db) != 0 && db_transient(db)) retry;
 *	migrate_run(db, "migrations", err, sizeof(err));
 *
 * DESCRIPTION
 *	SQL only through PQexecParams (text parameters, NULL for SQL NULL).
 *	Errors are logged once with the SQLSTATE; db_transient() tells a caller
 *	whether the last failure is worth retrying (connection lost, server
 *	restarting, serialization failure, deadlock) or is a real error.
 *	db_reconnect() re-establishes a broken connection with jittered
 *	exponential backoff (bounded) and returns -1 only when the configured
 *	number of attempts is exhausted.
 *	The migration runner applies migrations/NNNN_name.sql in order, each in
 *	its own transaction, recorded in schema_migrations; a session advisory
 *	lock makes concurrent starts safe.
 */
#ifndef CUTOVER_DB_H
#define CUTOVER_DB_H

#include <libpq-fe.h>
#include <stddef.h>

struct db;

struct db *db_connect(const char *url); /* NULL after the attempts are exhausted */
void db_close(struct db *db);
PGconn *db_conn(struct db *db);
int db_reconnect(struct db *db);
int db_ok(struct db *db); /* connection usable */

/* db_query - PQexecParams; NULL on failure (logged). Caller PQclear()s. */
PGresult *db_query(struct db *db, const char *sql, int nparams, const char *const *params);
/* db_exec - a statement whose rows are not needed; 0 or -1 */
int db_exec(struct db *db, const char *sql, int nparams, const char *const *params);

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

int db_transient(struct db *db);        /* the last failure may succeed on retry */
const char *db_last_sqlstate(struct db *db); /* "" when none */
const char *db_last_error(struct db *db);

/* migrate_list - the NNNN_name.sql files of dir in apply order; 0 or -1
 * (err says why: a bad name, two files with one number). Caller frees
 * with migrate_list_free(). */
int migrate_list(const char *dir, char ***names, size_t *count, char *err, size_t err_len);
void migrate_list_free(char **names, size_t count);
int migrate_run(struct db *db, const char *dir, char *err, size_t err_len);

#endif
