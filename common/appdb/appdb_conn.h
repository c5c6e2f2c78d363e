/*
 * appdb_conn - inside common/appdb/: the parsed "database" object, the
 *              connection to the application's database and its few
 *              parameterized queries (files of this folder only).
 *
 * SYNOPSIS
 *	MYSQL *my = appdb_connect(cfg, err, sizeof(err));
 *	const char *params[] = {name, phase};
 *	appdb_exec_params(my, "UPDATE ... WHERE name = ? AND phase = ?", 2, params, err, n);
 *	appdb_query_row(my, "SELECT a, b FROM ... WHERE name = ?", 1, params, row, 2, err, n);
 *	MYSQL_BIND bind[1]; long long limit = 10;
 *	appdb_bind_int(&bind[0], &limit);
 *	appdb_query_row_bound(my, "SELECT ... LIMIT ?", 1, bind, row, 1, err, n);
 *	mysql_close(my);
 *
 * DESCRIPTION
 *	Every value goes through a prepared statement as a parameter: a
 *	string (appdb_bind_text, what the string-array forms bind) or an
 *	integer (appdb_bind_int, MYSQL_TYPE_LONGLONG, e.g. a LIMIT); only the migrations' own statements and identifiers checked by
 *	appdb_identifier_ok() are ever part of a query's text.
 *	appdb_child.c runs the tools and commands (appdb_child_run).
 *	appdb_query_row() copies the first row's columns as strings (NULL as
 *	"") and returns 1 for a row, 0 for none, -1 on error.
 */
#ifndef CUTOVER_APPDB_CONN_H
#define CUTOVER_APPDB_CONN_H

#include "appdb/appdb.h"

#include <mysql.h>
#include <stddef.h>

#define APPDB_VALUE_MAX 256
#define APPDB_PARAMS_MAX 8 /* parameters of one statement */

struct appdb_config {
    char *host, *database, *user, *password;
    unsigned port;
    long long threshold_rows;
    char *max_load, *critical_load;
    double chunk_time;
    int allow_commands;
};

MYSQL *appdb_connect(const struct appdb_config *cfg, char *err, size_t err_len);
int appdb_exec_params(MYSQL *my, const char *sql, unsigned n, const char *const *params,
                      char *err, size_t err_len);
int appdb_query_row(MYSQL *my, const char *sql, unsigned n, const char *const *params,
                    char (*row)[APPDB_VALUE_MAX], unsigned columns, char *err, size_t err_len);
/* appdb_bind_text, appdb_bind_int - one parameter: a string, or an integer (value
 * read when the statement runs) */
void appdb_bind_text(MYSQL_BIND *bind, const char *text);
void appdb_bind_int(MYSQL_BIND *bind, const long long *value);
/* appdb_query_row_bound - appdb_query_row with n parameters bound by the caller */
int appdb_query_row_bound(MYSQL *my, const char *sql, unsigned n, MYSQL_BIND *bind,
                          char (*row)[APPDB_VALUE_MAX], unsigned columns, char *err,
                          size_t err_len);
/* appdb_identifier_ok - 1 when name is a plain identifier ([A-Za-z0-9_$], 1..64) */
int appdb_identifier_ok(const char *name);
/* appdb_child_run - run argv (in dir cwd when not NULL) with stdout and stderr
 * appended to report, no other descriptor inherited but keep_fd (-1: none);
 * the child dies with this process. When watch is not
 * NULL, fault_point(fault) is passed once the output holds watch. 0 with the
 * exit status in *status (128 + signal), or -1 when it could not start. */
struct buf;
int appdb_child_run(char *const argv[], const char *cwd, int keep_fd, const char *watch,
                    const char *fault, struct buf *report, int *status, char *err, size_t err_len);
/* appdb_err - format into err; returns -1 */
int appdb_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
