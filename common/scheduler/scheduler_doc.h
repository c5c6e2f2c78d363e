/*
 * scheduler_doc - an environment document's "scheduler" section and where
 *                 its command reaches the live color.
 *
 * SYNOPSIS
 *	struct scheduler_doc doc;
 *	if (scheduler_doc_parse(config, &doc, err, sizeof(err)) != 1) ... (none, or refused)
 *	struct scheduler_target t;
 *	scheduler_target_of(config, "green", &t);	(t.port, t.url; 0 and "" off local)
 *
 * DESCRIPTION
 *	The section (schemas/environment.json) is {command, interval_seconds
 *	(default 60), timeout_seconds (default 300), enabled (default
 *	true)}. scheduler_doc_parse checks what the schema checks, so that a
 *	document written to the database by hand is refused the same way.
 *	On the local provider the live color's first instance listens on
 *	local.base_port + color * local.max_instances (provider_local.c):
 *	that is where the command sends its request (wp-cron.php). Pure: no
 *	I/O.
 */
#ifndef CUTOVER_SCHEDULER_DOC_H
#define CUTOVER_SCHEDULER_DOC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define SCHEDULER_COMMAND_MAX          4096
#define SCHEDULER_DEFAULT_INTERVAL_S   60
#define SCHEDULER_DEFAULT_TIMEOUT_S    300
#define SCHEDULER_SECONDS_MAX          86400

struct scheduler_doc {
    char command[SCHEDULER_COMMAND_MAX + 1];
    int interval_s;
    int timeout_s;
};

/* The live color's address, as the command gets it. */
struct scheduler_target {
    int port;     /* 0: the provider has no local instance address */
    char url[64]; /* "http://127.0.0.1:PORT", or "" */
};

/* scheduler_doc_parse - config's scheduler section into doc: 1 when it
 * declares enabled scheduled work, 0 when it has none (absent or disabled),
 * -1 with err set when the section is malformed */
int scheduler_doc_parse(const cJSON *config, struct scheduler_doc *doc, char *err,
                        size_t err_len);

/* scheduler_target_of - where color (blue, green) listens under config; 0,
 * or -1 for a color name that is neither */
int scheduler_target_of(const cJSON *config, const char *color, struct scheduler_target *t);

#endif
