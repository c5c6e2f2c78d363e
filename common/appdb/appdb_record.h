/*
 * appdb_record - inside common/appdb/: the table cutover_schema_migrations
 *                in the application's database, one row per migration.
 *
 * DESCRIPTION
 *	A row is inserted before a migration's first statement and updated
 *	after each one (statements_done); finished_at is set when all ran.
 *	The table is created when missing. appdb_record_get() is 1 with the
 *	row, 0 without, -1 on error.
 */
#ifndef CUTOVER_APPDB_RECORD_H
#define CUTOVER_APPDB_RECORD_H

#include "appdb/appdb_conn.h"
#include "base/buf.h"

struct appdb_record {
    char checksum[APPDB_VALUE_MAX];
    long statements_done;
    int finished;
};

/* The identity of one migration's run. */
struct appdb_run {
    const char *name, *phase, *checksum, *deployment_id;
    long statements_total;
};

int appdb_record_ensure(MYSQL *my, char *err, size_t err_len);
int appdb_record_get(MYSQL *my, const char *name, struct appdb_record *out, char *err,
                     size_t err_len);
int appdb_record_start(MYSQL *my, const struct appdb_run *run, char *err, size_t err_len);
int appdb_record_progress(MYSQL *my, const char *name, long done, const char *executor,
                          char *err, size_t err_len);
int appdb_record_finish(MYSQL *my, const char *name, char *err, size_t err_len);
int appdb_record_list(MYSQL *my, struct buf *report, char *err, size_t err_len);

#endif
