/*
 * cutover - the operator CLI.
 *
 * SYNOPSIS
 *	cutover migrate
 *	cutover topics create
 *	cutover env apply FILE | env list | env seed ENV
 *	cutover config [--check]
 *	cutover aws sign --region R --service S --time T < request
 *	cutover status ENV [--json] | history ENV [--json] [--limit N]
 *	cutover audit ENV [--json] [--since DURATION|TIME]
 *	cutover watch ENV [--timeout SECONDS]
 *	cutover publish build-ready --env E --build B --version V --artifact URI ...
 *	cutover approve ENV | shift ENV --weight N | promote|pause|resume|rollback|abort ENV
 *	cutover alarm ENV --alarm NAME [--ok]
 *	cutover lint PATH [--phase expand|contract] [--allow-commands] [--json]
 *	cutover db apply DOC RELEASE_DIR --phase expand|contract | db status DOC
 *	(every command that publishes also takes --wait [SECONDS], and signs
 *	with --sign-key FILE or --sign-agent[=KEY])
 *
 * DESCRIPTION
 *	One table of commands, each a function taking its own arguments.
 *	Every command reads the same CUTOVER_* configuration as the workers.
 *	Exit status: 0 success, 1 failure, 2 bad usage; watch and --wait
 *	say more (3 and above, common/cli/cli_follow.h).
 */
#include "base/config.h"
#include "base/log.h"
#include "cli/aws_sign_cli.h"
#include "cli/cli.h"
#include "cli/cli_follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cli_command {
    const char *name;
    const char *sub; /* second word, or NULL */
    const char *usage;
    int (*run)(int argc, char **argv);
    int flags;
};

#define CLI_CONFIG     1 /* reads the configuration */
#define CLI_TABLE_HELP 2 /* --help prints the table's line (no help of its own) */

/* cli_config_cmd - print the configuration, secrets masked */
static int cli_config_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    config_print(stdout);
    return 0;
}

static const struct cli_command cli_commands[] = {
    {"migrate", NULL, "apply the database migrations", cli_migrate_cmd, CLI_CONFIG | CLI_TABLE_HELP},
    {"topics", "create", "create cutover's Kafka topics (idempotent)", cli_topics_create_cmd, CLI_CONFIG | CLI_TABLE_HELP},
    {"env", "apply", "FILE: register or update an environment (idempotent)", cli_env_apply_cmd, CLI_CONFIG | CLI_TABLE_HELP},
    {"env", "list", "list environments", cli_env_list_cmd, CLI_CONFIG | CLI_TABLE_HELP},
    {"env", "seed", "ENV [--timeout S]: bring the live color up with all the traffic (first start)",
     cli_env_seed_cmd, CLI_CONFIG},
    {"config", NULL, "[--check]: validate and print the configuration (secrets masked)",
     cli_config_cmd, CLI_CONFIG},
    {"status", NULL, "ENV [--json]: live color, weights, active and last deployment",
     cli_status_cmd, CLI_CONFIG},
    {"history", NULL, "ENV [--json] [--limit N]: deployments and their transitions",
     cli_history_cmd, CLI_CONFIG},
    {"audit", NULL, "ENV [--json] [--since DURATION|TIME]: commands and refusals, who signed them",
     cli_audit_cmd, CLI_CONFIG},
    {"watch", NULL, "ENV [--timeout S]: follow the active or next deployment until it ends",
     cli_watch_cmd, CLI_CONFIG},
    {"plan", NULL, "ENV [--build B --version V --artifact URI] [--json]: dry run, changes nothing",
     cli_plan_cmd, CLI_CONFIG},
    {"publish", "build-ready", "--env E --build B --version V --artifact URI ...: as CI would",
     cli_publish_build_ready_cmd, CLI_CONFIG},
    {"approve", NULL, "ENV [--deployment ID] [--by NAME]: manual approval", cli_approve_cmd, CLI_CONFIG},
    {"shift", NULL, "ENV --weight N: set the new color's share", cli_shift_action_cmd, CLI_CONFIG},
    {"promote", NULL, "ENV: send all traffic to the new color", cli_shift_action_cmd, CLI_CONFIG},
    {"pause", NULL, "ENV: hold the canary where it is", cli_shift_action_cmd, CLI_CONFIG},
    {"resume", NULL, "ENV: go on with the canary", cli_shift_action_cmd, CLI_CONFIG},
    {"rollback", NULL, "ENV [--reason R]: all traffic back to the old color",
     cli_shift_action_cmd, CLI_CONFIG},
    {"abort", NULL, "ENV [--reason R]: stop the deployment and roll back",
     cli_shift_action_cmd, CLI_CONFIG},
    {"drill", NULL, "ENV: rollback drill: old weights, read back, then the canary's again",
     cli_shift_action_cmd, CLI_CONFIG},
    {"alarm", NULL, "ENV --alarm NAME [--ok]: publish alarm-fired", cli_alarm_cmd, CLI_CONFIG},
    {"lint", NULL, "PATH [--phase expand|contract] [--allow-commands] [--json]: "
     "the expand/contract lint of schema migrations", cli_lint_cmd, 0},
    {"migrations", "retry", "ENV [--by NAME]: run a failed contract migration again "
     "(completed-with-warning)", cli_migrations_retry_cmd, CLI_CONFIG | CLI_TABLE_HELP},
    {"db", "apply", "DOC RELEASE_DIR --phase expand|contract [--deployment ID]: "
     "apply a release's migrations to the application's database", cli_db_apply_cmd, CLI_CONFIG},
    {"db", "status", "DOC: the migrations the application's database has recorded",
     cli_db_status_cmd, 0},
    {"aws", "sign", "--region R --service S --time YYYYMMDDTHHMMSSZ < request: SigV4 debug",
     aws_sign_cli_main, 0},
};

#define CLI_COMMAND_COUNT (sizeof(cli_commands) / sizeof(cli_commands[0]))

/* cli_usage - the command table as help */
static void cli_usage(FILE *out)
{
    fprintf(out, "usage: cutover COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        fprintf(out, "  %s%s%s  %s\n", cli_commands[i].name, cli_commands[i].sub ? " " : "",
                cli_commands[i].sub ? cli_commands[i].sub : "", cli_commands[i].usage);
    fprintf(out, "\nCommands that publish take --wait [SECONDS] (default %d): wait until the saga\n"
                 "has handled the event and print what became of it.\n", CLI_WAIT_DEFAULT_S);
    fprintf(out, "They sign the event with --sign-key FILE or --sign-agent[=KEY] (or\n"
                 "CUTOVER_SIGN_KEY / CUTOVER_SIGN_AGENT_KEY); without a key it goes out unsigned.\n");
    fprintf(out, "\nConfiguration comes from CUTOVER_* environment variables; "
                 "`cutover config` prints them.\n");
}

/* cli_command_help - "usage: cutover NAME [SUB] ARGS" and the description
 * (the table's usage is "ARGS: description", or the description alone) */
static void cli_command_help(FILE *out, const struct cli_command *c)
{
    const char *colon = strstr(c->usage, ": ");
    int args_len = colon ? (int)(colon - c->usage) : 0;

    fprintf(out, "usage: cutover %s%s%s%s%.*s\n\n%s\n", c->name, c->sub ? " " : "",
            c->sub ? c->sub : "", args_len ? " " : "", args_len, c->usage,
            colon ? colon + 2 : c->usage);
}

/* cli_find - the command named by argv[1] (and argv[2]) */
static const struct cli_command *cli_find(int argc, char **argv)
{
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
        const struct cli_command *c = &cli_commands[i];

        if (strcmp(argv[1], c->name) != 0)
            continue;
        if (c->sub == NULL || (argc > 2 && strcmp(argv[2], c->sub) == 0))
            return c;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const struct cli_command *c;
    char err[512];
    int shift, status;

    log_init("cli");
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    c = cli_find(argc, argv);
    if (c == NULL) {
        fprintf(stderr, "cutover: unknown command \"%s\"\n\n", argv[1]);
        cli_usage(stderr);
        return 2;
    }
    shift = c->sub ? 2 : 1;
    if ((c->flags & CLI_TABLE_HELP) && argc > shift + 1
        && (strcmp(argv[shift + 1], "--help") == 0 || strcmp(argv[shift + 1], "-h") == 0)) {
        cli_command_help(stdout, c);
        return 0;
    }
    if ((c->flags & CLI_CONFIG) && config_load(err, sizeof(err)) != 0) {
        fprintf(stderr, "cutover: %s\n", err);
        return 2;
    }
    status = c->run(argc - shift, argv + shift);
    config_free();
    return status;
}
