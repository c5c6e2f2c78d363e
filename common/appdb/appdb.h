/*
 * appdb - the application's database (MySQL/MariaDB): a release's
 *         expand/contract migrations applied online and exactly once.
 *
 * SYNOPSIS
 *	struct appdb_config *cfg;
 *	if (appdb_config_parse(database_json, &cfg, err, sizeof(err)) != 0)
 *		bad environment document;
 *	struct buf report;
 *	buf_init(&report, 1 << 20);
 *	switch (appdb_apply(cfg, release_dir, SQL_PHASE_EXPAND, deployment_id,
 *	                    &report, err, sizeof(err))) { ... }
 *	appdb_config_free(cfg);
 *
 * DESCRIPTION
 *	appdb_config_parse() reads the environment document's "database"
 *	object (schemas/environment.json): engine "mysql", host, port,
 *	database, user, password_file or password_env (never the password
 *	itself), online_threshold_rows, pt_osc {max_load, critical_load,
 *	chunk_time}, allow_commands. The password is read when the config is
 *	parsed and is never written to a log, a report or a process's
 *	arguments.
 *
 *	appdb_apply() runs the migrations of one phase of the release's
 *	cutover/migrations.yml, in manifest order. Every SQL file is linted
 *	first (validate/sql_lint.h); one refused statement anywhere in the
 *	phase means APPDB_REFUSED and nothing ran. Each migration is recorded
 *	in the application's table cutover_schema_migrations (name, phase,
 *	checksum, deployment, executor, statements done, times) so that it is
 *	applied exactly once, also when the process is killed midway; an
 *	applied migration whose checksum changed is APPDB_FAILED. An ALTER
 *	TABLE of a table with more rows than online_threshold_rows runs
 *	through pt-online-schema-change. What happened is appended to report,
 *	one line per statement (verdict, executor, outcome) plus the tool's
 *	output. err holds the reason of APPDB_REFUSED or APPDB_FAILED.
 *
 *	appdb_status() appends the recorded migrations to report, one line
 *	each; 0, or -1 with err.
 */
#ifndef CUTOVER_APPDB_H
#define CUTOVER_APPDB_H

#include "base/buf.h"
#include "validate/sql_lint.h"

#include <stddef.h>

#define APPDB_TABLE                  "cutover_schema_migrations"
#define APPDB_DEFAULT_THRESHOLD_ROWS 10000

struct appdb_config;

enum appdb_result {
    APPDB_APPLIED, /* every migration of the phase is applied (now or before) */
    APPDB_REFUSED, /* the lint refused a statement, or a command is not allowed: nothing ran */
    APPDB_FAILED,  /* a statement, the tool or the database failed; err says which */
};

int appdb_config_parse(const char *database_json, struct appdb_config **out,
                       char *err, size_t err_len);
void appdb_config_free(struct appdb_config *cfg);

enum appdb_result appdb_apply(const struct appdb_config *cfg, const char *release_dir,
                              enum sql_phase phase, const char *deployment_id,
                              struct buf *report, char *err, size_t err_len);
int appdb_status(const struct appdb_config *cfg, struct buf *report, char *err, size_t err_len);

const char *appdb_result_name(enum appdb_result result);

#endif
