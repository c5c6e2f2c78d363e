/*
 * analysis_source - the template variables every metric provider fills
 *                   into its queries (see analysis_source.h).
 */
#include "saga/analysis_source.h"

#include "base/buf.h"
#include "provider/aws/aws_cloudwatch.h"

#include <stdio.h>
#include <string.h>

#define ANALYSIS_VAR_MAX 256

/* analysis_var_is - whether the len bytes at name are the variable want */
static int analysis_var_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncmp(want, name, len) == 0;
}

/* analysis_aws_var - a CloudWatch dimension value of the environment's aws section */
static const char *analysis_aws_var(const struct analysis_metric *m, const char *dimension,
                                    const char *color, char *scratch, size_t scratch_len)
{
    char err[256];

    if (aws_cloudwatch_dimension(m->env, dimension, color, scratch, scratch_len, err,
                                 sizeof(err)) != 0) {
        snprintf(scratch, scratch_len, "%s", err);
        return NULL;
    }
    return scratch;
}

/* analysis_var - the value of the variable named by len bytes at name; NULL with why in scratch */
static const char *analysis_var(const struct analysis_metric *m, const struct analysis_vars *v,
                                const char *name, size_t len, char *scratch, size_t scratch_len)
{
    static const char *const names[] = {"color", "old_color", "version", "environment"};
    const char *values[] = {v->color, v->old_color, v->version, v->environment};

    for (size_t i = 0; i < 4; i++)
        if (analysis_var_is(name, len, names[i]))
            return values[i];
    if (analysis_var_is(name, len, "target_group"))
        return analysis_aws_var(m, "TargetGroup", v->color, scratch, scratch_len);
    if (analysis_var_is(name, len, "old_target_group"))
        return analysis_aws_var(m, "TargetGroup", v->old_color, scratch, scratch_len);
    if (analysis_var_is(name, len, "load_balancer"))
        return analysis_aws_var(m, "LoadBalancer", v->color, scratch, scratch_len);
    snprintf(scratch, scratch_len, "unknown template variable {{%.*s}}", (int)len, name);
    return NULL;
}

/* analysis_render - text with its {{variables}} replaced; 0, or -1 with why in out */
int analysis_render(const struct analysis_metric *m, const char *text,
                    const struct analysis_vars *vars, char *out, size_t out_len)
{
    char scratch[ANALYSIS_VAR_MAX];
    struct buf b;
    const char *p = text, *open, *close, *value = NULL;
    int rc = 0;

    buf_init(&b, out_len - 1);
    while (rc == 0 && (open = strstr(p, "{{")) != NULL) {
        close = strstr(open + 2, "}}");
        snprintf(scratch, sizeof(scratch), "unclosed template variable at \"%.30s\"", open);
        if (close == NULL || (value = analysis_var(m, vars, open + 2, (size_t)(close - open - 2),
                                                   scratch, sizeof(scratch))) == NULL) {
            snprintf(out, out_len, "%s", scratch);
            buf_free(&b);
            return -1;
        }
        rc = buf_append(&b, p, (size_t)(open - p)) | buf_puts(&b, value);
        p = close + 2;
    }
    if (rc == 0)
        rc = buf_puts(&b, p);
    snprintf(out, out_len, "%s", rc != 0 ? "query longer than the limit" : b.data ? b.data : "");
    buf_free(&b);
    return rc;
}
