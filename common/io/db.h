/*
 * db - PostgreSQL through libpq: connect with retry, parameterized queries,
 *      transactions.
 *
 * SYNOPSIS
 *	struct db *db = db_connect(url);		(retries with backoff)
 *	db_begin(db);
 *	PGresult *res = db_query(db, "SELECT state FROM deployments WHERE id = $1", 1, params);
 *	...
 *	if (db_commit(db) != 0 && db_transient(db)) retry;
 *
 * DESCRIPTION
 *	SQL only through PQexecParams (text parameters, NULL for SQL NULL).
 *	Errors are logged once with the SQLSTATE; db_transient() tells a caller
 *	whether the last failure is worth retrying (connection lost, server
 *	restarting, serialization failure, deadlock) or is a real error.
 *	db_reconnect() re-establishes a broken connection with jittered
 *	exponential backoff (bounded) and returns -1 only when the configured
 *	number of attempts is exhausted.
 *
 *	db_begin() sends nothing: its BEGIN, and the transaction's db_exec()
 *	writes, go out with its next statement that needs an answer
 *	(db_query) or with COMMIT, in one round trip (libpq's pipeline mode,
 *	db_queue.c). A queued write's failure shows there, as the transaction
 *	failing: the statement returns NULL, or db_commit() -1 with nothing
 *	kept. A transaction with no statement commits or rolls back without a
 *	word to the server.
 *
 *	db_listen() subscribes the connection to a notification channel, again
 *	after each reconnect. Notifications arrive on db_socket() between
 *	statements and are read along with any statement's reply: a caller
 *	that waits on the socket calls db_notified() when it is readable and
 *	after its own statements.
 */
#ifndef CUTOVER_DB_H
#define CUTOVER_DB_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

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

/* db_listen - LISTEN on channel (an identifier), now and after every
 * reconnect; 0 or -1 */
int db_listen(struct db *db, const char *channel);
/* db_notified - read what the server sent and take the notifications
 * waiting: how many carry payload or "*" (any payload when NULL), leaving
 * out those sent by the server process skipped_sender (0: none), a
 * caller's own other connection (PQbackendPID); -1 when the connection
 * is broken */
int db_notified(struct db *db, const char *payload, int skipped_sender);
int db_socket(struct db *db); /* the connection's socket, -1 when none */

int db_begin(struct db *db);
int db_commit(struct db *db);
uint64_t db_transaction(const struct db *db);
int db_committed(const struct db *db, uint64_t transaction);
int db_rollback(struct db *db);

int db_transient(struct db *db);        /* the last failure may succeed on retry */
const char *db_last_sqlstate(struct db *db); /* "" when none */
const char *db_last_error(struct db *db);

/* db_exec_script - run trusted multi-statement text (a migration file
 * shipped with cutover: PQexecParams cannot run several statements) */
int db_exec_script(struct db *db, const char *text);

#endif
