/*
 * appdb_osc - ALTER TABLE through pt-online-schema-change (appdb_osc.h):
 *             which tables need it, the tool's run, a killed run's leftovers.
 */
#include "appdb/appdb_osc.h"

#include "validate/sql_lex.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int appdb_alter_parse(const char *text, size_t len, struct appdb_alter *out)
{
    struct sql_lexer lx;
    struct sql_stmt st = {0};
    size_t i = 2;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    sql_lexer_init(&lx, text, len);
    if (sql_lex_statement(&lx, &st) == 0 && st.error[0] == '\0' && sql_tok_is(&st, 0, "ALTER") &&
        sql_tok_is(&st, 1, "TABLE") &&
        sql_tok_name(&st, &i, out->table, sizeof(out->table)) == 0 && i < st.count &&
        appdb_identifier_ok(out->table)) {
        size_t from = st.tok[i].off, to = st.off + st.len;
        out->clauses = strndup(text + from, to - from);
        rc = out->clauses ? 0 : -1;
    }
    sql_stmt_free(&st);
    return rc;
}

void appdb_alter_free(struct appdb_alter *a)
{
    free(a->clauses);
    a->clauses = NULL;
}

/* appdb_rows_exact - COUNT(*) capped at cap + 1 rows (the cap bound as a parameter);
 * MySQL binds no identifier, so the table's name must pass appdb_identifier_ok first */
static long long appdb_rows_exact(MYSQL *my, const char *table, long long cap, char *err,
                                  size_t err_len)
{
    char sql[512], row[1][APPDB_VALUE_MAX];
    long long limit = cap < LLONG_MAX ? cap + 1 : cap;
    MYSQL_BIND bind[1];

    if (!appdb_identifier_ok(table))
        return appdb_err(err, err_len, "not a plain table name: %.64s", table);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM (SELECT 1 FROM `%s` LIMIT ?) AS capped", table);
    appdb_bind_int(&bind[0], &limit);
    if (appdb_query_row_bound(my, sql, 1, bind, row, 1, err, err_len) != 1)
        return -1;
    return atoll(row[0]);
}

int appdb_osc_wanted(MYSQL *my, const struct appdb_config *cfg, const struct appdb_alter *a,
                     char *err, size_t err_len)
{
    const char *params[] = {cfg->database, a->table};
    char row[1][APPDB_VALUE_MAX];
    long long rows;
    int found;

    found = appdb_query_row(my, "SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES"
                                " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                            2, params, row, 1, err, err_len);
    if (found <= 0)
        return found; /* no such table: the ALTER itself will say so */
    rows = atoll(row[0]);
    if (rows <= cfg->threshold_rows)
        rows = appdb_rows_exact(my, a->table, cfg->threshold_rows, err, err_len);
    return rows < 0 ? -1 : rows > cfg->threshold_rows;
}

/* appdb_osc_leftover - 1 when a trigger (kind "TRIGGER") or table named name exists */
static int appdb_osc_leftover(MYSQL *my, const struct appdb_config *cfg, const char *kind,
                              const char *name, char *err, size_t err_len)
{
    const char *params[] = {cfg->database, name};
    char row[1][APPDB_VALUE_MAX];

    if (strcmp(kind, "TRIGGER") == 0)
        return appdb_query_row(my, "SELECT 1 FROM information_schema.TRIGGERS"
                                   " WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?",
                               2, params, row, 1, err, err_len);
    return appdb_query_row(my, "SELECT 1 FROM information_schema.TABLES"
                               " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                           2, params, row, 1, err, err_len);
}

/* appdb_osc_drop - drop one leftover (kind TRIGGER or TABLE) when it exists, reported */
static int appdb_osc_drop(MYSQL *my, const struct appdb_config *cfg, const char *kind,
                          const char *name, struct buf *report, char *err, size_t err_len)
{
    char sql[512];
    int found = appdb_osc_leftover(my, cfg, kind, name, err, err_len);

    if (found <= 0)
        return found;
    if (!appdb_identifier_ok(name)) /* MySQL binds no identifier */
        return appdb_err(err, err_len, "not a plain %s name: %.64s", kind, name);
    snprintf(sql, sizeof(sql), "DROP %s IF EXISTS `%s`", kind, name);
    if (mysql_query(my, sql) != 0)
        return appdb_err(err, err_len, "%s: %s", sql, mysql_error(my));
    buf_printf(report, "  cleanup: dropped %s %s left by a killed %s\n", kind, name,
               APPDB_OSC_TOOL);
    return 0;
}

int appdb_osc_cleanup(MYSQL *my, const struct appdb_config *cfg, const char *table,
                      struct buf *report, char *err, size_t err_len)
{
    static const char *const triggers[] = {"ins", "upd", "del"};
    static const char *const tables[] = {"new", "old"};
    char name[APPDB_VALUE_MAX];

    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "pt_osc_%s_%s_%s", cfg->database, table, triggers[i]);
        if (appdb_osc_drop(my, cfg, "TRIGGER", name, report, err, err_len) < 0)
            return -1;
    }
    for (size_t i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "_%s_%s", table, tables[i]);
        if (appdb_osc_drop(my, cfg, "TABLE", name, report, err, err_len) < 0)
            return -1;
    }
    return 0;
}

/* appdb_osc_option_file - the password in an anonymous memory file (memfd) that the
 * tool inherits and reads as /proc/self/fd/N: never on a disk, gone with the processes;
 * its descriptor, or -1 */
static int appdb_osc_option_file(const struct appdb_config *cfg, char *err, size_t err_len)
{
    int fd = memfd_create("cutover-appdb-options", 0); /* inherited by the tool on purpose */
    struct buf text;
    int written;

    if (fd < 0)
        return appdb_err(err, err_len, "memfd_create: %s", strerror(errno));
    buf_init(&text, 8192);
    written = buf_printf(&text, "[client]\npassword=%s\n", cfg->password) == 0 &&
              write(fd, text.data, text.len) == (ssize_t)text.len;
    buf_free(&text);
    if (!written) {
        close(fd);
        return appdb_err(err, err_len, "cannot write the option file");
    }
    return fd;
}

/* appdb_osc_once - one run of the tool, mode "--dry-run" or "--execute"; its exit status */
static int appdb_osc_once(const struct appdb_config *cfg, const struct appdb_alter *a,
                          int option_fd, const char *mode, struct buf *report,
                          int *status, char *err, size_t err_len)
{
    char dsn[1024], chunk[32];
    int execute = strcmp(mode, "--execute") == 0;

    snprintf(dsn, sizeof(dsn), "F=/proc/self/fd/%d,h=%s,P=%u,u=%s,D=%s,t=%s", option_fd, cfg->host,
             cfg->port, cfg->user, cfg->database, a->table);
    snprintf(chunk, sizeof(chunk), "%g", cfg->chunk_time);
    char *argv[] = {APPDB_OSC_TOOL, (char *)mode, "--alter", a->clauses,
                    "--max-load", cfg->max_load, "--critical-load", cfg->critical_load,
                    "--chunk-time", chunk, "--recursion-method=none", "--no-check-unique-key-change",
                    dsn, NULL};
    buf_printf(report, "  %s %s --alter \"%s\" D=%s,t=%s\n", APPDB_OSC_TOOL, mode, a->clauses,
               cfg->database, a->table);
    return appdb_child_run(argv, NULL, option_fd, execute ? "Copying approximately" : NULL,
                           "appdb-osc-running", report, status, err, err_len);
}

/* appdb_osc_already_done - on a resumed run: the output says the ALTER is in place */
static int appdb_osc_already_done(const struct buf *report, size_t from)
{
    const char *out = report->data + from;

    return strstr(out, "Duplicate column name") != NULL || strstr(out, "Duplicate key name") != NULL;
}

int appdb_osc_run(const struct appdb_config *cfg, const struct appdb_alter *a, int resumed,
                  struct buf *report, char *err, size_t err_len)
{
    static const char *const modes[] = {"--dry-run", "--execute"};
    size_t from = report->len;
    int status = 0, rc = 0;
    int fd = appdb_osc_option_file(cfg, err, err_len);

    if (fd < 0)
        return -1;
    for (size_t i = 0; rc == 0 && status == 0 && i < 2; i++)
        rc = appdb_osc_once(cfg, a, fd, modes[i], report, &status, err, err_len);
    close(fd);
    if (rc != 0)
        return -1;
    if (status != 0 && resumed && appdb_osc_already_done(report, from)) {
        buf_printf(report, "  %s: the killed run had already applied it\n", APPDB_OSC_TOOL);
        return 0;
    }
    if (status != 0)
        return appdb_err(err, err_len, "%s on %s failed (status %d)", APPDB_OSC_TOOL, a->table,
                         status);
    return 0;
}
