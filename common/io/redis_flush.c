/*
 * redis_flush - unlink the keys under a prefix with SCAN + UNLINK through
 *               hiredis (see redis_flush.h).
 */
#include "io/redis_flush.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define REDIS_PATTERN_MAX 600

/* redis_match_pattern - the prefix matched literally, then anything */
int redis_match_pattern(const char *prefix, char *out, size_t out_len)
{
    size_t n = 0;

    for (const char *c = prefix; *c; c++) {
        if (strchr("*?[]\\", *c) != NULL && n + 1 < out_len)
            out[n++] = '\\';
        if (n + 1 >= out_len)
            return -1;
        out[n++] = *c;
    }
    if (n + 2 > out_len)
        return -1;
    out[n++] = '*';
    out[n] = '\0';
    return 0;
}

/* redis_fail - err from a context's or a reply's error; always -1 */
static int redis_fail(const char *what, const char *why, char *err, size_t err_len)
{
    snprintf(err, err_len, "redis %s: %s", what, why ? why : "no reply");
    return -1;
}

/* redis_connect - a connection with timeouts, on database t->db; NULL with err */
static redisContext *redis_connect(const struct redis_target *t, long timeout_ms, char *err,
                                   size_t err_len)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(t->host, t->port, tv);
    redisReply *r;

    if (c == NULL || c->err) {
        redis_fail("connect", c ? c->errstr : "out of memory", err, err_len);
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    r = redisCommand(c, "SELECT %d", t->db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        redis_fail("SELECT", r ? r->str : c->errstr, err, err_len);
        freeReplyObject(r);
        redisFree(c);
        return NULL;
    }
    freeReplyObject(r);
    return c;
}

/* redis_unlink - UNLINK the keys of a SCAN reply's batch; 0 or -1 */
static int redis_unlink(redisContext *c, const redisReply *keys, long long *unlinked, char *err,
                        size_t err_len)
{
    const char *argv[REDIS_FLUSH_SCAN_COUNT * 2 + 1];
    size_t lens[REDIS_FLUSH_SCAN_COUNT * 2 + 1];
    size_t n = keys->elements < REDIS_FLUSH_SCAN_COUNT * 2 ? keys->elements
                                                           : REDIS_FLUSH_SCAN_COUNT * 2;
    redisReply *r;

    if (n == 0)
        return 0;
    argv[0] = "UNLINK";
    lens[0] = 6;
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = keys->element[i]->str;
        lens[i + 1] = keys->element[i]->len;
    }
    r = redisCommandArgv(c, (int)n + 1, argv, lens);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        redis_fail("UNLINK", r ? r->str : c->errstr, err, err_len);
        freeReplyObject(r);
        return -1;
    }
    *unlinked += r->integer;
    freeReplyObject(r);
    return 0;
}

/* redis_scan_once - one SCAN from pr->cursor and the UNLINK of what it found */
static int redis_scan_once(redisContext *c, const char *pattern, struct redis_flush_progress *pr,
                           char *err, size_t err_len)
{
    char cursor[32];
    redisReply *r;
    int rc;

    snprintf(cursor, sizeof(cursor), "%llu", pr->cursor);
    r = redisCommand(c, "SCAN %s MATCH %s COUNT %d", cursor, pattern, REDIS_FLUSH_SCAN_COUNT);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
        rc = redis_fail("SCAN", r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr, err,
                        err_len);
        freeReplyObject(r);
        return rc;
    }
    pr->cursor = strtoull(r->element[0]->str, NULL, 10);
    pr->started = 1;
    rc = redis_unlink(c, r->element[1], &pr->unlinked, err, err_len);
    freeReplyObject(r);
    return rc;
}

/* redis_flush_step - up to REDIS_FLUSH_SCANS_PER_STEP SCANs; 1 when the walk is over */
int redis_flush_step(const struct redis_target *t, struct redis_flush_progress *pr,
                     long timeout_ms, char *err, size_t err_len)
{
    char pattern[REDIS_PATTERN_MAX];
    redisContext *c;
    int rc = 0;

    if (redis_match_pattern(t->prefix, pattern, sizeof(pattern)) != 0)
        return redis_fail("prefix", "too long", err, err_len);
    if ((c = redis_connect(t, timeout_ms, err, err_len)) == NULL)
        return -1;
    for (int i = 0; i < REDIS_FLUSH_SCANS_PER_STEP && rc == 0; i++) {
        if (redis_scan_once(c, pattern, pr, err, err_len) != 0)
            rc = -1;
        else if (pr->cursor == 0)
            rc = 1;
    }
    redisFree(c);
    return rc;
}
