/*
 * cache_action - one cache action of an environment's document ("caches"),
 *                read into a struct for the flush-caches effect.
 *
 * SYNOPSIS
 *	struct cache_action a;
 *	char err[256];
 *	if (cache_action_parse(cJSON_GetArrayItem(caches, i), &a, err, sizeof(err)) != 0)
 *		... the document is wrong: the flush fails with err
 *
 * DESCRIPTION
 *	The document's schema (schemas/environment.json, $defs/cache) is the
 *	contract; this reads what the schema let through and checks again
 *	what a worker needs (a hand-edited row must not crash it):
 *
 *	    {"name": "object-cache", "kind": "redis-prefix", "host": "127.0.0.1",
 *	     "port": 6379, "db": 0, "prefix": "wp:", "timeout_seconds": 60}
 *	    {"name": "opcache", "kind": "command", "on": "instances",
 *	     "command": "kill -USR2 $(cat $INSTANCE_DIR/php-fpm.pid)"}
 *	    {"name": "page-cache", "kind": "command", "on": "host", "command": "..."}
 *	    {"name": "cdn", "kind": "cloudfront"}
 *
 *	"on" defaults to host, timeout_seconds to CACHE_TIMEOUT_DEFAULT_S,
 *	db to 0. The strings point into the document (valid while it lives).
 */
#ifndef CUTOVER_CACHE_ACTION_H
#define CUTOVER_CACHE_ACTION_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define CACHE_TIMEOUT_DEFAULT_S 300
#define CACHE_ACTIONS_MAX 16 /* the schema's maxItems */

enum cache_kind { CACHE_REDIS_PREFIX, CACHE_COMMAND, CACHE_CLOUDFRONT };

struct cache_action {
    const char *name;
    enum cache_kind kind;
    const char *host;    /* redis-prefix */
    int port;            /* redis-prefix */
    int db;              /* redis-prefix */
    const char *prefix;  /* redis-prefix */
    bool on_instances;   /* command: each instance of the new color, else the host */
    const char *command; /* command */
    int timeout_s;
};

/* cache_action_parse - 0, or -1 with why in err */
int cache_action_parse(const cJSON *item, struct cache_action *out, char *err, size_t err_len);
/* cache_kind_name - "redis-prefix", "command", "cloudfront" */
const char *cache_kind_name(enum cache_kind kind);

#endif
