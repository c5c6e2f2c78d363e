/*
 * provider_local_weights - traffic weights for the local provider: each
 *                          color's share spread over its servers that take
 *                          traffic in the environment's main backend.
 *
 * SYNOPSIS
 *	local_set_weights(p, &w, err, sizeof(err));
 *	local_get_weights(p, &w, err, sizeof(err));
 *	local_scale_weights(p, COLOR_GREEN, 2, &w, &known, err, sizeof(err));
 *	local_scale_weights_apply(p, COLOR_GREEN, &w, known, err, sizeof(err));
 *	local_weights_restore(p);		(after a reload of ours)
 *
 * DESCRIPTION
 *	set_weights() records the shares in <env>/weights, then gives every
 *	main server of a color the same weight, which
 *	haproxy_weights_for_shares() computes from the color's share and its
 *	number of servers that take traffic. scale() and a reload of ours
 *	spread the record again; get_weights() reads what HAProxy applies
 *	(the rules are in provider_local.c).
 */
#include "provider/local/provider_local_weights.h"

#include "base/log.h"
#include "provider/local/provider_local_haproxy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the servers' weights ----------------------------------------------- */

/* server_color - the color a server name belongs to; -1 for another name */
static int server_color(const char *name, enum color *c)
{
    if (strncmp(name, "blue", 4) == 0 && isdigit((unsigned char)name[4]))
        *c = COLOR_BLUE;
    else if (strncmp(name, "green", 5) == 0 && isdigit((unsigned char)name[5]))
        *c = COLOR_GREEN;
    else
        return -1;
    return 0;
}

/* server_serves - 1 when HAProxy may send new requests to the server: neither in
 * maintenance nor draining (a failing check is health, not weights) */
static int server_serves(const struct haproxy_server *sv)
{
    return sv->status != HAPROXY_STATUS_MAINT && sv->status != HAPROXY_STATUS_DRAIN;
}

/* weights_read - blue's share from HAProxy; -1 in *blue when no weight is set */
static int weights_read(const struct local_provider *p, int *blue, char *err, size_t err_len)
{
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    long total[2] = { 0, 0 }, first[2] = { 0, 0 };
    size_t n;
    enum color c;
    int rc = -1;

    if (sv == NULL || local_servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    for (size_t k = 0; k < n; k++) {
        if (server_color(sv[k].name, &c) != 0)
            continue;
        if (strcmp(sv[k].name + strlen(color_name(c)), "1") == 0)
            first[c] = sv[k].weight;
        if (server_serves(&sv[k]))
            total[c] += sv[k].weight;
    }
    *blue = haproxy_share_from_totals(total[COLOR_BLUE], total[COLOR_GREEN]);
    if (*blue < 0) /* nothing enabled: the per-server weights still say the intent */
        *blue = haproxy_share_from_totals(first[COLOR_BLUE], first[COLOR_GREEN]);
    rc = 0;
out:
    free(sv);
    return rc;
}

/* enabled_counts - how many of each color's main servers take traffic
 * (server_serves), from one read of the server list */
static int enabled_counts(const struct local_provider *p, int count[2], char *err,
                          size_t err_len)
{
    struct haproxy_server *sv = calloc(HAPROXY_SERVERS_MAX, sizeof(*sv));
    size_t n;
    enum color sc;
    int rc = -1;

    if (sv == NULL || local_servers_read(p, sv, &n, err, err_len) != 0)
        goto out;
    count[COLOR_BLUE] = count[COLOR_GREEN] = 0;
    for (size_t k = 0; k < n; k++)
        if (server_color(sv[k].name, &sc) == 0 && server_serves(&sv[k]))
            count[sc]++;
    rc = 0;
out:
    free(sv);
    return rc;
}

/* weights_add - weight for every main server of color c onto list */
static size_t weights_add(const struct local_provider *p, enum color c, int weight,
                          struct haproxy_weight *list, size_t n)
{
    for (int i = 0; i < p->cfg.max_instances; i++, n++) {
        local_server_name(c, i, list[n].server, sizeof(list[n].server));
        list[n].weight = weight;
    }
    return n;
}

/* color_weight_set - the same weight on every main server of color c */
static int color_weight_set(const struct local_provider *p, enum color c, int weight,
                            char *err, size_t err_len)
{
    struct haproxy_weight list[LOCAL_SLOTS_MAX];

    return haproxy_set_weights(p->sock, p->cfg.name, list, weights_add(p, c, weight, list, 0),
                               err, err_len);
}

/* weights_apply - per-server weights for each color from the shares, in
 * one command line: the heavier color first, so that no moment leaves
 * every server at weight 0 */
static int weights_apply(const struct local_provider *p, const struct provider_weights *w,
                         char *err, size_t err_len)
{
    int share[2] = { w->blue, w->green }, count[2], weight[2];
    struct haproxy_weight list[2 * LOCAL_SLOTS_MAX];
    enum color first;
    size_t n;

    if (enabled_counts(p, count, err, err_len) != 0)
        return -1;
    haproxy_weights_for_shares(share, count, weight);
    first = weight[COLOR_GREEN] > weight[COLOR_BLUE] ? COLOR_GREEN : COLOR_BLUE;
    n = weights_add(p, first, weight[first], list, 0);
    n = weights_add(p, color_other(first), weight[color_other(first)], list, n);
    return haproxy_set_weights(p->sock, p->cfg.name, list, n, err, err_len);
}

/* ---- the recorded shares ------------------------------------------------ */

/* weights_path - where set_weights() records the shares */
static int weights_path(const struct local_provider *p, char *buf, size_t len)
{
    char ignored[64];

    return local_fmt_path(buf, len, ignored, sizeof(ignored), "%s/weights", p->env_dir);
}

/* weights_recorded - the shares set_weights() recorded; -1 when none */
static int weights_recorded(const struct local_provider *p, struct provider_weights *w)
{
    char path[LOCAL_PATH], buf[64];
    int blue, green;

    if (weights_path(p, path, sizeof(path)) != 0 ||
        local_read_file_capped(path, buf, sizeof(buf)) != 0)
        return -1;
    if (sscanf(buf, "%d %d", &blue, &green) != 2 || blue < 0 || green < 0 ||
        blue + green != 100) {
        log_warn("%s: unreadable weights record ignored", path);
        return -1;
    }
    *w = (struct provider_weights){ blue, green };
    return 0;
}

/* weights_record - record the shares for scale() and reloads to apply again */
static int weights_record(const struct local_provider *p, const struct provider_weights *w,
                          char *err, size_t err_len)
{
    char path[LOCAL_PATH], buf[32];

    if (weights_path(p, path, sizeof(path)) != 0) {
        snprintf(err, err_len, "path too long");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%d %d\n", w->blue, w->green);
    return local_write_file_atomic(path, buf, err, err_len);
}

/* color_serves - 1 when color c is asked to run or has a server taking traffic */
static int color_serves(const struct local_provider *p, enum color c, char *err,
                        size_t err_len)
{
    int count[2];

    if (local_desired_get(p, c) > 0)
        return 1;
    if (enabled_counts(p, count, err, err_len) != 0)
        return -1;
    return count[c] > 0;
}

/* local_scale_weights - the shares a scale of c to capacity keeps: set_weights()' record;
 * without one c takes all when the other color serves nothing (first seeding), else
 * HAProxy's shares stay; *known is 0 when there are none (no weight set anywhere) */
int local_scale_weights(const struct local_provider *p, enum color c, int capacity,
                        struct provider_weights *w, int *known, char *err, size_t err_len)
{
    int blue, other;

    *known = 1;
    if (weights_recorded(p, w) == 0)
        return 0;
    if ((other = color_serves(p, color_other(c), err, err_len)) < 0)
        return -1;
    if (!other && capacity > 0) {
        *w = (struct provider_weights){ c == COLOR_BLUE ? 100 : 0, c == COLOR_GREEN ? 100 : 0 };
        log_info("first seeding of %s: %s takes the traffic", p->cfg.name, color_name(c));
        return weights_record(p, w, err, err_len);
    }
    if (weights_read(p, &blue, err, err_len) != 0)
        return -1;
    *known = blue >= 0;
    *w = (struct provider_weights){ blue < 0 ? 0 : blue, blue < 0 ? 0 : 100 - blue };
    return 0;
}

/* local_scale_weights_apply - spread known shares again; else only c gets weight 0, so
 * that scaling never gives c traffic nobody asked for */
int local_scale_weights_apply(const struct local_provider *p, enum color c,
                              const struct provider_weights *w, int known, char *err,
                              size_t err_len)
{
    if (known)
        return weights_apply(p, w, err, err_len);
    return color_weight_set(p, c, 0, err, err_len);
}

/* local_weights_restore - after a reload of ours, the recorded shares again when HAProxy's
 * differ (a state file that was missing or stale); a failure only warns */
void local_weights_restore(const struct local_provider *p)
{
    struct provider_weights w;
    char err[512];
    int blue;

    if (weights_recorded(p, &w) != 0 || weights_read(p, &blue, err, sizeof(err)) != 0 ||
        blue == w.blue)
        return;
    log_warn("haproxy reloaded with blue share %d for %s: restoring blue %d green %d", blue,
             p->cfg.name, w.blue, w.green);
    if (weights_apply(p, &w, err, sizeof(err)) != 0) {
        log_warn("weights of %s not restored: %s", p->cfg.name, err);
        return;
    }
    local_state_save(p);
}

/* ---- provider operations: set_weights, get_weights ---------------------- */

/* local_set_weights - absolute shares; idempotent */
int local_set_weights(void *state, const struct provider_weights *w, char *err,
                      size_t err_len)
{
    struct local_provider *p = state;

    if (w->blue < 0 || w->green < 0 || w->blue + w->green != 100) {
        snprintf(err, err_len, "weights must be 0..100 and add up to 100");
        return -1;
    }
    if (weights_record(p, w, err, err_len) != 0 || weights_apply(p, w, err, err_len) != 0)
        return -1;
    local_state_save(p);
    log_info("weights blue %d green %d", w->blue, w->green);
    return 0;
}

/* local_get_weights - the shares HAProxy applies now */
int local_get_weights(void *state, struct provider_weights *out, char *err,
                      size_t err_len)
{
    struct local_provider *p = state;
    int blue;

    if (weights_read(p, &blue, err, err_len) != 0)
        return -1;
    if (blue < 0) {
        snprintf(err, err_len, "no traffic weights set for %s", p->cfg.name);
        return -1;
    }
    out->blue = blue;
    out->green = 100 - blue;
    return 0;
}
