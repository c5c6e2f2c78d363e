/*
 * appdb_record - the application database's migrations table
 *                (appdb_record.h), through parameterized statements only.
 */
#include "appdb/appdb_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int appdb_record_ensure(MYSQL *my, char *err, size_t err_len)
{
    return appdb_exec_params(my,
        "CREATE TABLE IF NOT EXISTS " APPDB_TABLE " ("
        " name VARCHAR(255) NOT NULL PRIMARY KEY,"
        " phase VARCHAR(16) NOT NULL,"
        " checksum CHAR(64) NOT NULL,"
        " deployment_id VARCHAR(255) NOT NULL,"
        " executor VARCHAR(32) NOT NULL DEFAULT '',"
        " statements_done INT NOT NULL DEFAULT 0,"
        " statements_total INT NOT NULL,"
        " started_at DATETIME(6) NOT NULL,"
        " finished_at DATETIME(6) NULL) ENGINE=InnoDB",
        0, NULL, err, err_len);
}

int appdb_record_get(MYSQL *my, const char *name, struct appdb_record *out, char *err,
                     size_t err_len)
{
    const char *params[] = {name};
    char row[3][APPDB_VALUE_MAX];
    int found = appdb_query_row(my,
        "SELECT checksum, statements_done, finished_at IS NOT NULL FROM " APPDB_TABLE
        " WHERE name = ?", 1, params, row, 3, err, err_len);

    if (found != 1)
        return found;
    snprintf(out->checksum, sizeof(out->checksum), "%s", row[0]);
    out->statements_done = atol(row[1]);
    out->finished = atoi(row[2]);
    return 1;
}

int appdb_record_start(MYSQL *my, const struct appdb_run *run, char *err, size_t err_len)
{
    char total[24];

    snprintf(total, sizeof(total), "%ld", run->statements_total);
    const char *params[] = {run->name, run->phase, run->checksum, run->deployment_id, total};
    return appdb_exec_params(my,
        "INSERT INTO " APPDB_TABLE " (name, phase, checksum, deployment_id, statements_total,"
        " started_at) VALUES (?, ?, ?, ?, ?, NOW(6))", 5, params, err, err_len);
}

int appdb_record_progress(MYSQL *my, const char *name, long done, const char *executor,
                          char *err, size_t err_len)
{
    char text[24];

    snprintf(text, sizeof(text), "%ld", done);
    const char *params[] = {text, executor, executor, name};
    return appdb_exec_params(my,
        "UPDATE " APPDB_TABLE " SET statements_done = ?,"
        " executor = IF(executor IN ('', ?), ?, 'mixed') WHERE name = ?",
        4, params, err, err_len);
}

int appdb_record_finish(MYSQL *my, const char *name, char *err, size_t err_len)
{
    const char *params[] = {name};

    return appdb_exec_params(my, "UPDATE " APPDB_TABLE " SET finished_at = NOW(6) WHERE name = ?",
                             1, params, err, err_len);
}

int appdb_record_list(MYSQL *my, struct buf *report, char *err, size_t err_len)
{
    MYSQL_RES *res;
    MYSQL_ROW row;

    if (appdb_record_ensure(my, err, err_len) != 0)
        return -1;
    if (mysql_query(my, "SELECT name, phase, statements_done, statements_total, executor,"
                        " deployment_id, started_at, COALESCE(finished_at, '-'), checksum FROM "
                        APPDB_TABLE " ORDER BY started_at, name") != 0 ||
        (res = mysql_store_result(my)) == NULL)
        return appdb_err(err, err_len, "mysql: %s", mysql_error(my));
    while ((row = mysql_fetch_row(res)) != NULL)
        buf_printf(report, "%s %s %s/%s executor=%s deployment=%s started=%s finished=%s sha256=%s\n",
                   row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]);
    mysql_free_result(res);
    return 0;
}
