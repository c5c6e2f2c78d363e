/*
 * appdb_osc - inside common/appdb/: an ALTER TABLE of a large table run
 *             through pt-online-schema-change, and what a killed run left.
 *
 * SYNOPSIS
 *	struct appdb_alter a;
 *	if (appdb_alter_parse(stmt_text, len, &a) == 0 && appdb_osc_wanted(my, cfg, &a, err, n) == 1)
 *		appdb_osc_cleanup(my, cfg, a.table, report, err, n) == 0 &&
 *		appdb_osc_run(cfg, &a, resumed, report, err, n);
 *	appdb_alter_free(&a);
 *
 * DESCRIPTION
 *	appdb_alter_parse() reads "ALTER TABLE name clauses" with the lint's
 *	lexer: the table's last name part and the clauses' text (what
 *	pt-online-schema-change's --alter takes); -1 for anything else.
 *	appdb_osc_wanted() is 1 when the table holds more than the
 *	threshold's rows (information_schema's estimate, then an exact count
 *	capped at threshold + 1 when the estimate is below).
 *	appdb_osc_cleanup() drops the tool's triggers
 *	(pt_osc_DB_TABLE_{ins,upd,del}) and tables (_TABLE_new, _TABLE_old)
 *	that a killed run left behind, saying so in the report: the copy is
 *	thrown away and the tool runs again from the start.
 *	appdb_osc_run() runs the tool with --dry-run, then --execute; the
 *	password goes through an option file (F= in the DSN) that is an
 *	anonymous memory file (memfd) the tool inherits: never in the
 *	arguments, never on a disk, gone when the processes are. The tool dies with this process (PDEATHSIG),
 *	so a killed executor never leaves a copy running behind its back.
 *	When resumed is set, "Duplicate column/key name" from the tool means
 *	the killed run had already swapped the tables: the ALTER is in place.
 */
#ifndef CUTOVER_APPDB_OSC_H
#define CUTOVER_APPDB_OSC_H

#include "appdb/appdb_conn.h"
#include "base/buf.h"

#define APPDB_OSC_TOOL "pt-online-schema-change"

struct appdb_alter {
    char table[APPDB_VALUE_MAX];
    char *clauses; /* owned */
};

int appdb_alter_parse(const char *text, size_t len, struct appdb_alter *out);
void appdb_alter_free(struct appdb_alter *a);
int appdb_osc_wanted(MYSQL *my, const struct appdb_config *cfg, const struct appdb_alter *a,
                     char *err, size_t err_len);
int appdb_osc_cleanup(MYSQL *my, const struct appdb_config *cfg, const char *table,
                      struct buf *report, char *err, size_t err_len);
int appdb_osc_run(const struct appdb_config *cfg, const struct appdb_alter *a, int resumed,
                  struct buf *report, char *err, size_t err_len);

#endif
