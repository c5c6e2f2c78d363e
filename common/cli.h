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

#include "db.h"

struct db *cli_db_open(void);

int cli_migrate_cmd(int argc, char **argv);
int cli_topics_create_cmd(int argc, char **argv);
int cli_env_apply_cmd(int argc, char **argv);
int cli_env_list_cmd(int argc, char **argv);

#endif
