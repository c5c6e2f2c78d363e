/*
 * cli - the operator CLI's commands (workers/cutover.c holds the table).
 *
 * DESCRIPTION
 *	Each command takes the arguments after its own name (argv[0] is the
 *	last word of the command) and returns the exit status: 0 success,
 *	1 failure, 2 bad usage. cli_db_open() connects and migrates, the
 *	common first step of commands that read or write state.
 */
#ifndef CUTOVER_CLI_H
#define CUTOVER_CLI_H

#include "io/db.h"

#include <cjson/cJSON.h>

struct db *cli_db_open(void);

int cli_migrate_cmd(int argc, char **argv);
int cli_topics_create_cmd(int argc, char **argv);
int cli_env_apply_cmd(int argc, char **argv);
int cli_env_list_cmd(int argc, char **argv);
/* cli_seed.c: the live color up and all the traffic on it, before a first deployment */
int cli_env_seed_cmd(int argc, char **argv);
/* cli_plan.c: the path and provider calls of a deployment, changing nothing */
int cli_plan_cmd(int argc, char **argv);

/* cli_status.c: read-only views of the database */
int cli_status_cmd(int argc, char **argv);
int cli_history_cmd(int argc, char **argv);
/* cli_usage_fail - "cutover: why" (fmt may be NULL) and "usage: cutover
 * USAGE" on stderr; returns 2. cli_help_or - rc -1 (help asked): the usage
 * on stdout and 0; any other rc is returned as is. */
int cli_usage_fail(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_help_or(int rc, const char *usage);
/* cli_print_json - a document, indented, on stdout */
void cli_print_json(const cJSON *doc);

/* cli_audit.c: the audit trail of commands and refusals */
int cli_audit_cmd(int argc, char **argv);

/* cli_watch.c: follow a deployment until it ends (exit statuses in cli_follow.h) */
int cli_watch_cmd(int argc, char **argv);

/* cli_publish.c: events for CI, operators and monitoring without a Kafka
 * client; --wait [SECONDS] reports what the saga did with the event (cli_wait.c) */
int cli_publish_build_ready_cmd(int argc, char **argv);
/* cli_canary_steps - --canary's "10:30,50:30,100" as a steps array; NULL when malformed */
cJSON *cli_canary_steps(const char *spec);
/* cli_validate - data against schemas/TOPIC.json; 0, or 2 (1: schemas unreadable) with the reason printed */
int cli_validate(const char *topic, const cJSON *data);
int cli_approve_cmd(int argc, char **argv);
int cli_shift_action_cmd(int argc, char **argv); /* shift, promote, pause, resume, rollback, abort, drill */
int cli_alarm_cmd(int argc, char **argv);

/* cli_lint.c: the expand/contract lint of a release's schema migrations (no database) */
int cli_lint_cmd(int argc, char **argv);
int cli_migrations_retry_cmd(int argc, char **argv); /* cli_migrations.c */

/* cli_db.c: a release's migrations applied to the application's database (appdb/) */
int cli_db_apply_cmd(int argc, char **argv);
int cli_db_status_cmd(int argc, char **argv);

#endif
