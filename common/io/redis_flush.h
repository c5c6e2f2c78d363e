/*
 * redis_flush - unlink every key under a prefix of a Redis database, the
 *               object cache's flush before traffic moves.
 *
 * SYNOPSIS
 *	struct redis_target t = { "127.0.0.1", 6379, 0, "wp:" };
 *	struct redis_flush_progress pr = { 0 };
 *	char err[256];
 *	int rc;
 *	while ((rc = redis_flush_step(&t, &pr, 5000, err, sizeof(err))) == 0)
 *		;	(one call per tick: each is bounded)
 *	rc == 1: done, pr.unlinked keys gone; rc == -1: err says why
 *
 * DESCRIPTION
 *	SCAN with MATCH "<prefix>*" (the prefix's glob characters escaped,
 *	so that it matches literally) and UNLINK of each batch found: never
 *	FLUSHDB, so that keys outside the prefix (another application's, the
 *	sessions) stay. A step connects (hiredis, within timeout_ms for the
 *	connection and each reply), selects the database, runs at most
 *	REDIS_FLUSH_SCANS_PER_STEP SCAN calls from pr->cursor, and returns 1
 *	once the cursor came back to 0 (the whole keyspace was walked). Keys
 *	written under the prefix while the walk runs may stay; running the
 *	flush again is harmless (it is idempotent), so a worker killed
 *	mid-way starts over.
 *
 *	redis_match_pattern() builds the MATCH pattern (exposed for tests).
 */
#ifndef CUTOVER_REDIS_FLUSH_H
#define CUTOVER_REDIS_FLUSH_H

#include <stddef.h>

#define REDIS_FLUSH_SCANS_PER_STEP 64
#define REDIS_FLUSH_SCAN_COUNT 1000 /* SCAN's COUNT hint */

struct redis_target {
    const char *host;
    int port;
    int db;
    const char *prefix;
};

struct redis_flush_progress {
    unsigned long long cursor; /* SCAN's cursor; 0 before the first step */
    long long unlinked;        /* keys removed so far */
    int started;               /* a first SCAN was made */
};

/* redis_flush_step - 1 done, 0 call again, -1 error (err set) */
int redis_flush_step(const struct redis_target *t, struct redis_flush_progress *pr,
                     long timeout_ms, char *err, size_t err_len);

/* redis_match_pattern - "<prefix with * ? [ ] \ escaped>*" into out; 0, or
 * -1 when it does not fit */
int redis_match_pattern(const char *prefix, char *out, size_t out_len);

#endif
