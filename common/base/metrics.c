/*
 * metrics - the process's Prometheus registry and its text exposition
 *           (see metrics.h).
 */
#include "base/metrics.h"

#include "base/log.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_OTHER "other"

struct metric_series {
    char *values[METRICS_LABELS_MAX];
    double value;                           /* counter, gauge */
    double counts[METRICS_BUCKETS_MAX + 1]; /* histogram: per bucket, +Inf last */
    double sum;
    double count;
};

struct metric_family {
    char *name;
    char *help;
    enum metric_type type;
    char *labels[METRICS_LABELS_MAX];
    size_t label_count;
    double buckets[METRICS_BUCKETS_MAX];
    size_t bucket_count;
    struct metric_series *series; /* series_max of them */
    size_t series_count;
    size_t series_max;
};

struct metric_collector {
    void (*fn)(void *arg);
    void *arg;
};

static struct metric_family *metrics_families[METRICS_FAMILIES_MAX];
static size_t metrics_family_count;
static struct metric_collector metrics_collectors[METRICS_FAMILIES_MAX];
static size_t metrics_collector_count;

/* metrics_name_ok - a metric name (or, label, a label name) by Prometheus's grammar */
static int metrics_name_ok(const char *name, int label)
{
    if (name == NULL || !(isalpha((unsigned char)*name) || *name == '_' || (!label && *name == ':')))
        return 0;
    if (label && strncmp(name, "__", 2) == 0)
        return 0;
    for (const char *p = name + 1; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '_' || (!label && *p == ':')))
            return 0;
    }
    return 1;
}

/* metrics_find - a registered family by name, or NULL */
static struct metric_family *metrics_find(const char *name)
{
    for (size_t i = 0; i < metrics_family_count; i++) {
        if (strcmp(metrics_families[i]->name, name) == 0)
            return metrics_families[i];
    }
    return NULL;
}

/* metrics_same - whether a registered family matches a second registration */
static int metrics_same(const struct metric_family *f, enum metric_type type,
                        const char *const *labels, size_t label_count, const double *buckets,
                        size_t bucket_count)
{
    if (f->type != type || f->label_count != label_count || f->bucket_count != bucket_count)
        return 0;
    for (size_t i = 0; i < label_count; i++) {
        if (strcmp(f->labels[i], labels[i]) != 0)
            return 0;
    }
    for (size_t i = 0; i < bucket_count; i++) {
        if (f->buckets[i] != buckets[i])
            return 0;
    }
    return 1;
}

/* metrics_check - the registration's names and sizes; panics when wrong */
static void metrics_check(const char *name, enum metric_type type, const char *const *labels,
                          size_t label_count, size_t bucket_count)
{
    if (!metrics_name_ok(name, 0) || label_count > METRICS_LABELS_MAX
        || bucket_count > METRICS_BUCKETS_MAX || metrics_family_count == METRICS_FAMILIES_MAX)
        log_panic("metrics_register: %s: bad name, too many labels or buckets, or families",
                  name ? name : "(null)");
    for (size_t i = 0; i < label_count; i++) {
        if (!metrics_name_ok(labels[i], 1) || (type == METRIC_HISTOGRAM && strcmp(labels[i], "le") == 0))
            log_panic("metrics_register: %s: bad label name", name);
    }
}

static struct metric_series *metrics_series_new(struct metric_family *f,
                                                const char *const *values);

/* metrics_register - a new family, or the one registered under name; a
 * family without labels has its one series from the start (a scrape shows
 * 0, not nothing, before the first event) */
static struct metric_family *metrics_register(const char *name, const char *help,
                                              enum metric_type type, const char *const *labels,
                                              size_t label_count, const double *buckets,
                                              size_t bucket_count)
{
    struct metric_family *f = metrics_find(name);

    if (f) {
        if (!metrics_same(f, type, labels, label_count, buckets, bucket_count))
            log_panic("metrics_register: %s registered twice with another shape", name);
        return f;
    }
    metrics_check(name, type, labels, label_count, bucket_count);
    if ((f = calloc(1, sizeof(*f))) == NULL || (f->name = strdup(name)) == NULL
        || (f->help = strdup(help ? help : "")) == NULL
        || (f->series = calloc(METRICS_SERIES_MAX, sizeof(*f->series))) == NULL)
        log_fatal("metrics_register: out of memory");
    f->series_max = METRICS_SERIES_MAX;
    f->type = type;
    f->label_count = label_count;
    for (size_t i = 0; i < label_count; i++) {
        if ((f->labels[i] = strdup(labels[i])) == NULL)
            log_fatal("metrics_register: out of memory");
    }
    f->bucket_count = bucket_count;
    for (size_t i = 0; i < bucket_count; i++)
        f->buckets[i] = buckets[i];
    if (label_count == 0)
        metrics_series_new(f, NULL);
    metrics_families[metrics_family_count++] = f;
    return f;
}

/* metrics_counter - register a counter family */
struct metric_family *metrics_counter(const char *name, const char *help,
                                      const char *const *labels, size_t label_count)
{
    return metrics_register(name, help, METRIC_COUNTER, labels, label_count, NULL, 0);
}

/* metrics_gauge - register a gauge family */
struct metric_family *metrics_gauge(const char *name, const char *help,
                                    const char *const *labels, size_t label_count)
{
    return metrics_register(name, help, METRIC_GAUGE, labels, label_count, NULL, 0);
}

/* metrics_histogram - register a histogram family with ascending buckets */
struct metric_family *metrics_histogram(const char *name, const char *help,
                                        const char *const *labels, size_t label_count,
                                        const double *buckets, size_t bucket_count)
{
    for (size_t i = 1; i < bucket_count; i++) {
        if (!(buckets[i] > buckets[i - 1]))
            log_panic("metrics_histogram: %s: buckets not ascending", name);
    }
    return metrics_register(name, help, METRIC_HISTOGRAM, labels, label_count, buckets,
                            bucket_count);
}

/* metrics_series_match - whether s carries values */
static int metrics_series_match(const struct metric_family *f, const struct metric_series *s,
                                const char *const *values)
{
    for (size_t i = 0; i < f->label_count; i++) {
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
            return 0;
    }
    return 1;
}

/* metrics_series_new - a new series with values (copied) */
static struct metric_series *metrics_series_new(struct metric_family *f,
                                                const char *const *values)
{
    struct metric_series *s = &f->series[f->series_count++];

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < f->label_count; i++) {
        if ((s->values[i] = strdup(values[i] ? values[i] : "")) == NULL)
            log_fatal("metrics: out of memory");
    }
    return s;
}

/* metrics_series_find - the series carrying values, or NULL */
static struct metric_series *metrics_series_find(struct metric_family *f,
                                                 const char *const *values)
{
    for (size_t i = 0; i < f->series_count; i++) {
        if (metrics_series_match(f, &f->series[i], values))
            return &f->series[i];
    }
    return NULL;
}

/* metrics_series - the series of values; past the bound, the "other" one
 * (the last slot is kept for it) */
static struct metric_series *metrics_series(struct metric_family *f, const char *const *values)
{
    static const char *const other[METRICS_LABELS_MAX] = {METRICS_OTHER, METRICS_OTHER,
                                                          METRICS_OTHER, METRICS_OTHER};
    struct metric_series *s = metrics_series_find(f, values);

    if (s)
        return s;
    if (f->series_count < f->series_max - 1)
        return metrics_series_new(f, values);
    if ((s = metrics_series_find(f, other)) != NULL)
        return s;
    return metrics_series_new(f, other);
}

/* metrics_add - add to a counter (a negative amount is ignored) */
void metrics_add(struct metric_family *f, double by, const char *const *values)
{
    if (f->type != METRIC_COUNTER)
        log_panic("metrics_add: %s is not a counter", f->name);
    if (by > 0)
        metrics_series(f, values)->value += by;
}

/* metrics_set - set a gauge */
void metrics_set(struct metric_family *f, double value, const char *const *values)
{
    if (f->type != METRIC_GAUGE)
        log_panic("metrics_set: %s is not a gauge", f->name);
    metrics_series(f, values)->value = value;
}

/* metrics_observe - one observation into a histogram */
void metrics_observe(struct metric_family *f, double value, const char *const *values)
{
    struct metric_series *s;
    size_t b = 0;

    if (f->type != METRIC_HISTOGRAM)
        log_panic("metrics_observe: %s is not a histogram", f->name);
    if (isnan(value))
        return;
    s = metrics_series(f, values);
    while (b < f->bucket_count && value > f->buckets[b])
        b++;
    s->counts[b] += 1;
    s->sum += value;
    s->count += 1;
}

/* metrics_series_free - the label values of every series of f */
static void metrics_series_free(struct metric_family *f)
{
    for (size_t i = 0; i < f->series_count; i++) {
        for (size_t l = 0; l < f->label_count; l++)
            free(f->series[i].values[l]);
    }
    f->series_count = 0;
}

/* metrics_bound - let f hold up to max series (never fewer than it holds) */
void metrics_bound(struct metric_family *f, size_t max)
{
    struct metric_series *grown;

    if (max > METRICS_BOUND_MAX)
        log_panic("metrics_bound: %s: %zu series is past the cap", f->name, max);
    if (max <= f->series_max)
        return;
    if ((grown = realloc(f->series, max * sizeof(*grown))) == NULL)
        log_fatal("metrics_bound: out of memory");
    memset(grown + f->series_max, 0, (max - f->series_max) * sizeof(*grown));
    f->series = grown;
    f->series_max = max;
}

/* metrics_clear - forget every series of a gauge family */
void metrics_clear(struct metric_family *f)
{
    if (f->type != METRIC_GAUGE)
        log_panic("metrics_clear: %s is not a gauge", f->name);
    metrics_series_free(f);
}

/* metrics_on_collect - run fn(arg) before each render */
void metrics_on_collect(void (*fn)(void *arg), void *arg)
{
    if (metrics_collector_count == METRICS_FAMILIES_MAX)
        log_panic("metrics_on_collect: too many collectors");
    metrics_collectors[metrics_collector_count++] = (struct metric_collector){fn, arg};
}

/* metrics_put_escaped - text with \\, \n (and, in a label value, \") escaped */
static int metrics_put_escaped(struct buf *out, const char *text, int quote)
{
    int rc = 0;

    for (const char *p = text; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = buf_puts(out, "\\\\");
        else if (*p == '\n')
            rc = buf_puts(out, "\\n");
        else if (quote && *p == '"')
            rc = buf_puts(out, "\\\"");
        else
            rc = buf_putc(out, *p);
    }
    return rc;
}

/* metrics_format_number - a sample value or bucket bound: the shortest
 * text that reads back as v ("0.1", not "0.10000000000000001", so that a
 * query can name le="0.1"), integers without a point, +Inf, -Inf, NaN */
static void metrics_format_number(char *out, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(out, len, "NaN");
        return;
    }
    if (isinf(v) || v == 0) {
        snprintf(out, len, "%s", v == 0 ? "0" : v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, len, "%.*g", precision, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* metrics_put_labels - {a="x",b="y"} plus an optional le; nothing when none */
static int metrics_put_labels(struct buf *out, const struct metric_family *f,
                              const struct metric_series *s, const char *le)
{
    int rc = 0;

    if (f->label_count == 0 && le == NULL)
        return 0;
    rc |= buf_putc(out, '{');
    for (size_t i = 0; i < f->label_count; i++) {
        rc |= buf_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
        rc |= metrics_put_escaped(out, s->values[i], 1);
        rc |= buf_putc(out, '"');
    }
    if (le)
        rc |= buf_printf(out, "%sle=\"%s\"", f->label_count ? "," : "", le);
    rc |= buf_putc(out, '}');
    return rc;
}

/* metrics_put_sample - one line: name[suffix]{labels} value */
static int metrics_put_sample(struct buf *out, const struct metric_family *f,
                              const struct metric_series *s, const char *suffix, const char *le,
                              double value)
{
    char number[64];
    int rc = buf_printf(out, "%s%s", f->name, suffix);

    rc |= metrics_put_labels(out, f, s, le);
    metrics_format_number(number, sizeof(number), value);
    rc |= buf_printf(out, " %s\n", number);
    return rc;
}

/* metrics_put_histogram - cumulative buckets, +Inf, sum and count of one series */
static int metrics_put_histogram(struct buf *out, const struct metric_family *f,
                                 const struct metric_series *s)
{
    double cumulative = 0;
    char le[64];
    int rc = 0;

    for (size_t b = 0; b < f->bucket_count; b++) {
        cumulative += s->counts[b];
        metrics_format_number(le, sizeof(le), f->buckets[b]);
        rc |= metrics_put_sample(out, f, s, "_bucket", le, cumulative);
    }
    rc |= metrics_put_sample(out, f, s, "_bucket", "+Inf", s->count);
    rc |= metrics_put_sample(out, f, s, "_sum", NULL, s->sum);
    rc |= metrics_put_sample(out, f, s, "_count", NULL, s->count);
    return rc;
}

/* metrics_put_family - HELP, TYPE and every series of f */
static int metrics_put_family(struct buf *out, const struct metric_family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    int rc = buf_printf(out, "# HELP %s ", f->name);

    rc |= metrics_put_escaped(out, f->help, 0);
    rc |= buf_printf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (size_t i = 0; i < f->series_count && rc == 0; i++) {
        if (f->type == METRIC_HISTOGRAM)
            rc |= metrics_put_histogram(out, f, &f->series[i]);
        else
            rc |= metrics_put_sample(out, f, &f->series[i], "", NULL, f->series[i].value);
    }
    return rc;
}

/* metrics_render - run the collectors, then every family */
int metrics_render(struct buf *out)
{
    for (size_t i = 0; i < metrics_collector_count; i++)
        metrics_collectors[i].fn(metrics_collectors[i].arg);
    for (size_t i = 0; i < metrics_family_count; i++) {
        if (metrics_put_family(out, metrics_families[i]) != 0)
            return -1;
    }
    return 0;
}

/* metrics_reset - forget every family and collector */
void metrics_reset(void)
{
    for (size_t i = 0; i < metrics_family_count; i++) {
        struct metric_family *f = metrics_families[i];

        metrics_series_free(f);
        for (size_t l = 0; l < f->label_count; l++)
            free(f->labels[l]);
        free(f->name);
        free(f->help);
        free(f->series);
        free(f);
    }
    metrics_family_count = 0;
    metrics_collector_count = 0;
}
