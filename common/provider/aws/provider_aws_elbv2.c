/*
 * provider_aws_elbv2 - weights, preview routes and target health for the
 *                      aws provider, on the environment's Application Load
 *                      Balancer listener (Elastic Load Balancing v2).
 *
 * SYNOPSIS
 *	provider_aws_set_weights(p, &w, err, sizeof(err));
 *	provider_aws_get_weights(p, &w, err, sizeof(err));
 *	provider_aws_preview_open(p, COLOR_GREEN, "dep-1", url, sizeof(url), err, sizeof(err));
 *	provider_aws_preview_close(p, "dep-1", err, sizeof(err));
 *
 * DESCRIPTION
 *	Weights are absolute: ModifyListener replaces the default action with
 *	one forward action whose ForwardConfig lists both target groups with
 *	their weights. Stickiness is aws.stickiness when configured, else
 *	whatever the listener already has. get_weights() reads DescribeListeners
 *	back; a forward action with a plain TargetGroupArn (no ForwardConfig)
 *	means 100 % on that group. Weights that do not add up to 100 (set by
 *	hand, e.g. 1 and 1) are read as shares of their sum.
 *
 *	A preview is one listener rule: requests whose <preview header> is the
 *	color's name go to the color's target group. The rule carries the tag
 *	cutover-preview=<deployment id>, which is how preview_open() and
 *	preview_close() find it again after a crash (DescribeRules, then
 *	DescribeTags). preview_open() keeps a rule of the same deployment
 *	that already forwards to the color, deletes any other cutover preview
 *	rule on the listener (left by a deployment that ended badly; there is
 *	one active deployment per environment), and creates the rule at
 *	aws.preview.priority. The url is the load balancer's DNS name.
 */
#include "provider/aws/provider_aws_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AWS_RULES_MAX 100
#define AWS_TAGS_BATCH 20
#define AWS_PAGES_MAX 5

struct aws_rule {
    char arn[AWS_ARN_MAX];
    char target[AWS_ARN_MAX];
    char tag[128]; /* the cutover-preview tag's value; empty: not ours */
};

struct aws_rules {
    size_t n;
    struct aws_rule r[AWS_RULES_MAX];
};

/* ---- target health ------------------------------------------------------ */

/* provider_aws_target_healthy - ids of color c's targets in state healthy */
int provider_aws_target_healthy(struct aws_provider *p, enum color c, char ids[][64],
                                size_t max, size_t *n, char *err, size_t err_len)
{
    const struct aws_xml_node *m[256];
    struct aws_query q;
    struct aws_xml *x = NULL;
    char state[32];
    int count;

    *n = 0;
    aws_query_init(&q);
    aws_query_add(&q, p->target_group[c], "TargetGroupArn");
    if (provider_aws_query(p, AWS_SERVICE_ELBV2, "DescribeTargetHealth", &q, &x, err,
                           err_len) != 0)
        return -1;
    count = aws_xml_select(x, NULL, "//TargetHealthDescriptions/member", m, 256);
    for (int i = 0; i < count && i < 256 && *n < max; i++)
        if (aws_xml_text(x, m[i], "TargetHealth/State", state, sizeof(state)) == 0 &&
            strcmp(state, "healthy") == 0 &&
            aws_xml_text(x, m[i], "Target/Id", ids[*n], 64) == 0)
            (*n)++;
    aws_xml_free(x);
    return 0;
}

/* ---- the listener ------------------------------------------------------- */

/* listener_describe - DescribeListeners for the environment's listener */
static int listener_describe(struct aws_provider *p, struct aws_xml **x,
                             const struct aws_xml_node **listener, char *err, size_t err_len)
{
    struct aws_query q;

    aws_query_init(&q);
    aws_query_add(&q, p->listener_arn, "ListenerArns.member.1");
    if (provider_aws_query(p, AWS_SERVICE_ELBV2, "DescribeListeners", &q, x, err, err_len) != 0)
        return -1;
    if (aws_xml_select(*x, NULL, "//Listeners/member", listener, 1) < 1) {
        snprintf(err, err_len, "DescribeListeners: no listener %s", p->listener_arn);
        aws_xml_free(*x);
        *x = NULL;
        return -1;
    }
    return 0;
}

/* forward_action - the listener's default forward action; NULL when it has none */
static const struct aws_xml_node *forward_action(struct aws_xml *x,
                                                 const struct aws_xml_node *listener)
{
    const struct aws_xml_node *a[8];
    char type[32];
    int n = aws_xml_select(x, listener, "DefaultActions/member", a, 8);

    for (int i = 0; i < n && i < 8; i++)
        if (aws_xml_text(x, a[i], "Type", type, sizeof(type)) == 0 &&
            strcmp(type, "forward") == 0)
            return a[i];
    return NULL;
}

/* weight_add - add weight to the color whose target group is arn */
static int weight_add(const struct aws_provider *p, const char *arn, int weight, int sum[2],
                      char *err, size_t err_len)
{
    for (int c = 0; c < 2; c++)
        if (strcmp(p->target_group[c], arn) == 0) {
            sum[c] += weight;
            return 0;
        }
    snprintf(err, err_len, "get_weights: the listener forwards to %s, not one of the colors", arn);
    return -1;
}

/* weights_read - the raw weights of the forward action, per color */
static int weights_read(const struct aws_provider *p, struct aws_xml *x,
                        const struct aws_xml_node *action, int sum[2], char *err, size_t err_len)
{
    const struct aws_xml_node *tg[8];
    char arn[AWS_ARN_MAX];
    int n = aws_xml_select(x, action, "ForwardConfig/TargetGroups/member", tg, 8);

    if (n <= 0) {
        if (aws_xml_text(x, action, "TargetGroupArn", arn, sizeof(arn)) != 0) {
            snprintf(err, err_len, "get_weights: the forward action names no target group");
            return -1;
        }
        return weight_add(p, arn, 100, sum, err, err_len);
    }
    for (int i = 0; i < n && i < 8; i++) {
        if (aws_xml_text(x, tg[i], "TargetGroupArn", arn, sizeof(arn)) != 0 ||
            weight_add(p, arn, provider_aws_xml_int(x, tg[i], "Weight", 1), sum, err,
                       err_len) != 0)
            return -1;
    }
    return 0;
}

/* provider_aws_get_weights - the listener's weights, in percent */
int provider_aws_get_weights(void *state, struct provider_weights *out, char *err,
                             size_t err_len)
{
    struct aws_provider *p = state;
    const struct aws_xml_node *listener[1], *action;
    struct aws_xml *x = NULL;
    int sum[2] = { 0, 0 }, total, rc = -1;

    if (listener_describe(p, &x, listener, err, err_len) != 0)
        return -1;
    if ((action = forward_action(x, listener[0])) == NULL) {
        snprintf(err, err_len, "get_weights: the listener has no forward action");
        goto out;
    }
    if (weights_read(p, x, action, sum, err, err_len) != 0)
        goto out;
    if ((total = sum[COLOR_BLUE] + sum[COLOR_GREEN]) <= 0) {
        snprintf(err, err_len, "get_weights: both target groups have weight 0");
        goto out;
    }
    out->blue = (sum[COLOR_BLUE] * 100 + total / 2) / total;
    out->green = 100 - out->blue;
    rc = 0;
out:
    aws_xml_free(x);
    return rc;
}

/* stickiness_current - the listener's stickiness, for set_weights to keep */
static int stickiness_current(struct aws_provider *p, int *enabled, int *seconds, char *err,
                              size_t err_len)
{
    const struct aws_xml_node *listener[1], *action;
    struct aws_xml *x = NULL;
    char text[16] = "false";

    *enabled = 0;
    *seconds = p->stickiness_seconds;
    if (listener_describe(p, &x, listener, err, err_len) != 0)
        return -1;
    if ((action = forward_action(x, listener[0])) != NULL) {
        aws_xml_text(x, action, "ForwardConfig/TargetGroupStickinessConfig/Enabled", text,
                     sizeof(text));
        *enabled = strcmp(text, "true") == 0;
        *seconds = provider_aws_xml_int(
            x, action, "ForwardConfig/TargetGroupStickinessConfig/DurationSeconds", *seconds);
    }
    aws_xml_free(x);
    return 0;
}

/* provider_aws_set_weights - forward to both target groups with these weights */
int provider_aws_set_weights(void *state, const struct provider_weights *w, char *err,
                             size_t err_len)
{
    static const char *const fc = "DefaultActions.member.1.ForwardConfig";
    struct aws_provider *p = state;
    int weight[2] = { w->blue, w->green }, enabled = p->stickiness_enabled;
    int seconds = p->stickiness_seconds, rc;
    char num[2][16], dur[16];
    struct aws_query q;
    struct aws_xml *x = NULL;

    if (w->blue < 0 || w->green < 0 || w->blue + w->green != 100) {
        snprintf(err, err_len, "set_weights: %d/%d does not add up to 100", w->blue, w->green);
        return -1;
    }
    if (!p->stickiness_set && stickiness_current(p, &enabled, &seconds, err, err_len) != 0)
        return -1;
    aws_query_init(&q);
    aws_query_add(&q, p->listener_arn, "ListenerArn");
    aws_query_add(&q, "forward", "DefaultActions.member.1.Type");
    for (int c = 0; c < 2; c++) {
        snprintf(num[c], sizeof(num[c]), "%d", weight[c]);
        aws_query_add(&q, p->target_group[c], "%s.TargetGroups.member.%d.TargetGroupArn", fc,
                      c + 1);
        aws_query_add(&q, num[c], "%s.TargetGroups.member.%d.Weight", fc, c + 1);
    }
    snprintf(dur, sizeof(dur), "%d", seconds);
    aws_query_add(&q, enabled ? "true" : "false", "%s.TargetGroupStickinessConfig.Enabled", fc);
    if (enabled)
        aws_query_add(&q, dur, "%s.TargetGroupStickinessConfig.DurationSeconds", fc);
    rc = provider_aws_query(p, AWS_SERVICE_ELBV2, "ModifyListener", &q, &x, err, err_len);
    aws_xml_free(x);
    return rc;
}

/* ---- preview rules ------------------------------------------------------ */

/* rules_page - one page of DescribeRules into list; the next marker in marker */
static int rules_page(struct aws_provider *p, struct aws_rules *list, char *marker,
                      size_t marker_len, char *err, size_t err_len)
{
    const struct aws_xml_node *m[AWS_RULES_MAX];
    char is_default[8];
    struct aws_query q;
    struct aws_xml *x = NULL;
    int n;

    aws_query_init(&q);
    aws_query_add(&q, p->listener_arn, "ListenerArn");
    if (marker[0] != '\0')
        aws_query_add(&q, marker, "Marker");
    if (provider_aws_query(p, AWS_SERVICE_ELBV2, "DescribeRules", &q, &x, err, err_len) != 0)
        return -1;
    n = aws_xml_select(x, NULL, "//Rules/member", m, AWS_RULES_MAX);
    for (int i = 0; i < n && i < AWS_RULES_MAX && list->n < AWS_RULES_MAX; i++) {
        struct aws_rule *r = &list->r[list->n];
        if ((aws_xml_text(x, m[i], "IsDefault", is_default, sizeof(is_default)) == 0 &&
             strcmp(is_default, "true") == 0) ||
            aws_xml_text(x, m[i], "RuleArn", r->arn, sizeof(r->arn)) != 0)
            continue;
        if (aws_xml_text(x, m[i], "Actions/member/TargetGroupArn", r->target,
                         sizeof(r->target)) != 0)
            aws_xml_text(x, m[i], "Actions/member/ForwardConfig/TargetGroups/member/TargetGroupArn",
                         r->target, sizeof(r->target));
        list->n++;
    }
    if (aws_xml_text(x, NULL, "//NextMarker", marker, marker_len) != 0)
        marker[0] = '\0';
    aws_xml_free(x);
    return 0;
}

/* rule_find - the rule of list whose ARN is arn; NULL when none */
static struct aws_rule *rule_find(struct aws_rules *list, const char *arn)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->r[i].arn, arn) == 0)
            return &list->r[i];
    return NULL;
}

/* rules_tag_batch - the cutover-preview tags of list's rules [from, from + n) */
static int rules_tag_batch(struct aws_provider *p, struct aws_rules *list, size_t from,
                           size_t n, char *err, size_t err_len)
{
    const struct aws_xml_node *d[AWS_TAGS_BATCH], *t[16];
    char arn[AWS_ARN_MAX], key[128];
    struct aws_query q;
    struct aws_xml *x = NULL;
    struct aws_rule *r;
    int nd;

    aws_query_init(&q);
    for (size_t i = 0; i < n; i++)
        aws_query_add(&q, list->r[from + i].arn, "ResourceArns.member.%zu", i + 1);
    if (provider_aws_query(p, AWS_SERVICE_ELBV2, "DescribeTags", &q, &x, err, err_len) != 0)
        return -1;
    nd = aws_xml_select(x, NULL, "//TagDescriptions/member", d, AWS_TAGS_BATCH);
    for (int i = 0; i < nd && i < AWS_TAGS_BATCH; i++) {
        if (aws_xml_text(x, d[i], "ResourceArn", arn, sizeof(arn)) != 0 ||
            (r = rule_find(list, arn)) == NULL)
            continue;
        int nt = aws_xml_select(x, d[i], "Tags/member", t, 16);
        for (int j = 0; j < nt && j < 16; j++)
            if (aws_xml_text(x, t[j], "Key", key, sizeof(key)) == 0 &&
                strcmp(key, AWS_PREVIEW_TAG) == 0)
                aws_xml_text(x, t[j], "Value", r->tag, sizeof(r->tag));
    }
    aws_xml_free(x);
    return 0;
}

/* rules_list - the listener's rules with their cutover-preview tags */
static int rules_list(struct aws_provider *p, struct aws_rules *list, char *err, size_t err_len)
{
    char marker[1024] = "";
    int page = 0;

    list->n = 0;
    do {
        if (rules_page(p, list, marker, sizeof(marker), err, err_len) != 0)
            return -1;
    } while (marker[0] != '\0' && ++page < AWS_PAGES_MAX);
    for (size_t from = 0; from < list->n; from += AWS_TAGS_BATCH) {
        size_t n = list->n - from < AWS_TAGS_BATCH ? list->n - from : AWS_TAGS_BATCH;
        if (rules_tag_batch(p, list, from, n, err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* rule_delete - DeleteRule; a rule already gone is not an error */
static int rule_delete(struct aws_provider *p, const char *arn, char *err, size_t err_len)
{
    struct aws_query q;
    struct aws_xml *x = NULL;
    int rc;

    aws_query_init(&q);
    aws_query_add(&q, arn, "RuleArn");
    rc = provider_aws_query(p, AWS_SERVICE_ELBV2, "DeleteRule", &q, &x, err, err_len);
    aws_xml_free(x);
    if (rc != 0 && strstr(err, "RuleNotFound") != NULL)
        rc = 0;
    return rc;
}

/* rule_create - the preview rule for color c, tagged with deployment_id */
static int rule_create(struct aws_provider *p, enum color c, const char *deployment_id,
                       char *err, size_t err_len)
{
    static const char *const hh = "Conditions.member.1.HttpHeaderConfig";
    struct aws_query q;
    struct aws_xml *x = NULL;
    char priority[16];
    int rc;

    snprintf(priority, sizeof(priority), "%d", p->preview_priority);
    aws_query_init(&q);
    aws_query_add(&q, p->listener_arn, "ListenerArn");
    aws_query_add(&q, priority, "Priority");
    aws_query_add(&q, "http-header", "Conditions.member.1.Field");
    aws_query_add(&q, p->preview_header, "%s.HttpHeaderName", hh);
    aws_query_add(&q, color_name(c), "%s.Values.member.1", hh);
    aws_query_add(&q, "forward", "Actions.member.1.Type");
    aws_query_add(&q, p->target_group[c], "Actions.member.1.TargetGroupArn");
    aws_query_add(&q, AWS_PREVIEW_TAG, "Tags.member.1.Key");
    aws_query_add(&q, deployment_id, "Tags.member.1.Value");
    rc = provider_aws_query(p, AWS_SERVICE_ELBV2, "CreateRule", &q, &x, err, err_len);
    aws_xml_free(x);
    return rc;
}

/* preview_url - http://<the load balancer's DNS name>[:port] */
static int preview_url(struct aws_provider *p, char *url, size_t url_len, char *err,
                       size_t err_len)
{
    const struct aws_xml_node *listener[1];
    char lb[AWS_ARN_MAX], proto[16] = "HTTP", dns[256];
    struct aws_xml *x = NULL;
    struct aws_query q;
    int port, rc = -1;

    if (listener_describe(p, &x, listener, err, err_len) != 0)
        return -1;
    port = provider_aws_xml_int(x, listener[0], "Port", 80);
    aws_xml_text(x, listener[0], "Protocol", proto, sizeof(proto));
    rc = aws_xml_text(x, listener[0], "LoadBalancerArn", lb, sizeof(lb));
    aws_xml_free(x);
    x = NULL;
    aws_query_init(&q);
    aws_query_add(&q, lb, "LoadBalancerArns.member.1");
    if (rc != 0 || provider_aws_query(p, AWS_SERVICE_ELBV2, "DescribeLoadBalancers", &q, &x,
                                      err, err_len) != 0)
        goto out;
    if ((rc = aws_xml_text(x, NULL, "//LoadBalancers/member/DNSName", dns, sizeof(dns))) != 0) {
        snprintf(err, err_len, "DescribeLoadBalancers: no DNS name for %s", lb);
        goto out;
    }
    int https = strcmp(proto, "HTTPS") == 0;
    if (port == (https ? 443 : 80))
        snprintf(url, url_len, "%s://%s", https ? "https" : "http", dns);
    else
        snprintf(url, url_len, "%s://%s:%d", https ? "https" : "http", dns, port);
out:
    aws_xml_free(x);
    return rc == 0 ? 0 : -1;
}

/* provider_aws_preview_open - a tagged rule that sends the preview header to color c */
int provider_aws_preview_open(void *state, enum color c, const char *deployment_id, char *url,
                              size_t url_len, char *err, size_t err_len)
{
    struct aws_provider *p = state;
    struct aws_rules *list = malloc(sizeof(*list));
    int found = 0, rc = -1;

    if (list == NULL || deployment_id == NULL || deployment_id[0] == '\0') {
        snprintf(err, err_len, "preview_open: %s", list ? "no deployment id" : "out of memory");
        goto out;
    }
    if (rules_list(p, list, err, err_len) != 0)
        goto out;
    for (size_t i = 0; i < list->n; i++) {
        struct aws_rule *r = &list->r[i];
        if (r->tag[0] == '\0')
            continue;
        if (!found && strcmp(r->tag, deployment_id) == 0 &&
            strcmp(r->target, p->target_group[c]) == 0)
            found = 1;
        else if (rule_delete(p, r->arn, err, err_len) != 0)
            goto out;
    }
    if (!found && rule_create(p, c, deployment_id, err, err_len) != 0)
        goto out;
    rc = preview_url(p, url, url_len, err, err_len);
out:
    free(list);
    return rc;
}

/* provider_aws_preview_close - delete the deployment's preview rule (all when id is NULL) */
int provider_aws_preview_close(void *state, const char *deployment_id, char *err,
                               size_t err_len)
{
    struct aws_provider *p = state;
    struct aws_rules *list = malloc(sizeof(*list));
    int rc = -1;

    if (list == NULL) {
        snprintf(err, err_len, "preview_close: out of memory");
        goto out;
    }
    if (rules_list(p, list, err, err_len) != 0)
        goto out;
    for (size_t i = 0; i < list->n; i++) {
        const char *tag = list->r[i].tag;
        if (tag[0] != '\0' && (deployment_id == NULL || strcmp(tag, deployment_id) == 0) &&
            rule_delete(p, list->r[i].arn, err, err_len) != 0)
            goto out;
    }
    rc = 0;
out:
    free(list);
    return rc;
}
