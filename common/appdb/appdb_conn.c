/*
 * appdb_conn - the connection to the application's database and its
 *              parameterized queries (libmariadb prepared statements).
 */
#include "appdb/appdb_conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int appdb_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

int appdb_identifier_ok(const char *name)
{
    size_t len = strlen(name);

    return len > 0 && len <= 64 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$") == len;
}

MYSQL *appdb_connect(const struct appdb_config *cfg, char *err, size_t err_len)
{
    MYSQL *my = mysql_init(NULL);
    unsigned timeout = 10;

    if (my == NULL) {
        appdb_err(err, err_len, "mysql: out of memory");
        return NULL;
    }
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (mysql_real_connect(my, cfg->host, cfg->user, cfg->password, cfg->database, cfg->port,
                           NULL, 0) == NULL) {
        appdb_err(err, err_len, "mysql %s:%u: %s", cfg->host, cfg->port, mysql_error(my));
        mysql_close(my);
        return NULL;
    }
    return my;
}

/* appdb_bind_text - bind one string parameter */
void appdb_bind_text(MYSQL_BIND *bind, const char *text)
{
    memset(bind, 0, sizeof(*bind));
    bind->buffer_type = MYSQL_TYPE_STRING;
    bind->buffer = (void *)text;
    bind->buffer_length = (unsigned long)strlen(text);
}

/* appdb_bind_int - bind one integer parameter (MYSQL_TYPE_LONGLONG) */
void appdb_bind_int(MYSQL_BIND *bind, const long long *value)
{
    memset(bind, 0, sizeof(*bind));
    bind->buffer_type = MYSQL_TYPE_LONGLONG;
    bind->buffer = (void *)value;
}

/* appdb_stmt_bound - prepare sql, bind n parameters and execute; the statement, or NULL */
static MYSQL_STMT *appdb_stmt_bound(MYSQL *my, const char *sql, unsigned n, MYSQL_BIND *bind,
                                    char *err, size_t err_len)
{
    MYSQL_STMT *st = mysql_stmt_init(my);

    if (st == NULL || n > APPDB_PARAMS_MAX) {
        appdb_err(err, err_len, "mysql: cannot prepare a statement");
        if (st)
            mysql_stmt_close(st);
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0 ||
        (n > 0 && mysql_stmt_bind_param(st, bind) != 0) || mysql_stmt_execute(st) != 0) {
        appdb_err(err, err_len, "mysql: %s", mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    return st;
}

/* appdb_stmt_run - prepare sql, bind n string params and execute; the statement, or NULL */
static MYSQL_STMT *appdb_stmt_run(MYSQL *my, const char *sql, unsigned n,
                                  const char *const *params, char *err, size_t err_len)
{
    MYSQL_BIND bind[APPDB_PARAMS_MAX];

    for (unsigned i = 0; i < n && i < APPDB_PARAMS_MAX; i++)
        appdb_bind_text(&bind[i], params[i]);
    return appdb_stmt_bound(my, sql, n, bind, err, err_len);
}

int appdb_exec_params(MYSQL *my, const char *sql, unsigned n, const char *const *params,
                      char *err, size_t err_len)
{
    MYSQL_STMT *st = appdb_stmt_run(my, sql, n, params, err, err_len);

    if (st == NULL)
        return -1;
    mysql_stmt_close(st);
    return 0;
}

/* appdb_row_bind - string result bindings for columns into row */
static void appdb_row_bind(MYSQL_BIND *bind, char (*row)[APPDB_VALUE_MAX], my_bool *nulls,
                           unsigned long *lengths, unsigned columns)
{
    memset(bind, 0, sizeof(*bind) * columns);
    for (unsigned i = 0; i < columns; i++) {
        bind[i].buffer_type = MYSQL_TYPE_STRING;
        bind[i].buffer = row[i];
        bind[i].buffer_length = APPDB_VALUE_MAX - 1;
        bind[i].is_null = &nulls[i];
        bind[i].length = &lengths[i];
    }
}

/* appdb_query_row_stmt - the first row of an executed statement st (NULL: it failed)
 * as strings; st is closed. 1, 0 for no row, -1 */
static int appdb_query_row_stmt(MYSQL_STMT *st, char (*row)[APPDB_VALUE_MAX], unsigned columns,
                                char *err, size_t err_len)
{
    MYSQL_BIND bind[8];
    my_bool nulls[8];
    unsigned long lengths[8];
    int rc;

    if (st == NULL)
        return -1;
    if (columns > 8 || mysql_stmt_field_count(st) != columns) {
        mysql_stmt_close(st);
        return appdb_err(err, err_len, "mysql: unexpected column count");
    }
    appdb_row_bind(bind, row, nulls, lengths, columns);
    mysql_stmt_bind_result(st, bind);
    rc = mysql_stmt_fetch(st);
    for (unsigned i = 0; rc != MYSQL_NO_DATA && i < columns; i++) {
        size_t len = lengths[i] < APPDB_VALUE_MAX - 1 ? lengths[i] : APPDB_VALUE_MAX - 1;
        row[i][nulls[i] ? 0 : len] = '\0';
    }
    mysql_stmt_close(st);
    if (rc == MYSQL_NO_DATA)
        return 0;
    if (rc == 1)
        return appdb_err(err, err_len, "mysql: fetch failed");
    return 1; /* 0 or MYSQL_DATA_TRUNCATED: the row is there, capped */
}

/* appdb_query_row - the first row of sql run with n string parameters */
int appdb_query_row(MYSQL *my, const char *sql, unsigned n, const char *const *params,
                    char (*row)[APPDB_VALUE_MAX], unsigned columns, char *err, size_t err_len)
{
    return appdb_query_row_stmt(appdb_stmt_run(my, sql, n, params, err, err_len), row, columns,
                                err, err_len);
}

/* appdb_query_row_bound - the first row of sql run with n parameters the caller bound */
int appdb_query_row_bound(MYSQL *my, const char *sql, unsigned n, MYSQL_BIND *bind,
                          char (*row)[APPDB_VALUE_MAX], unsigned columns, char *err,
                          size_t err_len)
{
    return appdb_query_row_stmt(appdb_stmt_bound(my, sql, n, bind, err, err_len), row, columns,
                                err, err_len);
}
