/*
 * test_metrics - the Prometheus registry (base/metrics.c): the text
 *	exposition format 0.0.4 it renders, the bound on label sets, and
 *	registration by name.
 *
 * DESCRIPTION
 *	Each test starts from an empty registry (metrics_reset), registers
 *	families, records values and compares the rendered text, whole or
 *	line by line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const topic_outcome[] = {"topic", "outcome"};

/* reset - an empty registry before and after each test */
static int reset(void **state)
{
    (void)state;
    metrics_reset();
    return 0;
}

/* render - the registry as text the caller frees */
static char *render(void)
{
    struct buf out;

    buf_init(&out, METRICS_RENDER_MAX);
    assert_int_equal(metrics_render(&out), 0);
    return buf_steal(&out);
}

/* assert_line - text holds line as a whole line */
static void assert_line(const char *text, const char *line)
{
    size_t len = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[len] == '\n')
            return;
    }
    fail_msg("line \"%s\" not in:\n%s", line, text);
}

/* test_counter_format - HELP, TYPE and one line per label set, in order */
static void test_counter_format(void **state)
{
    struct metric_family *f = metrics_counter("cutover_records_total",
                                              "Records consumed, by topic and outcome.",
                                              topic_outcome, 2);
    char *text;

    (void)state;
    metrics_add(f, 1, (const char *[]){"build-ready", "handled"});
    metrics_add(f, 2, (const char *[]){"build-ready", "handled"});
    metrics_add(f, 1, (const char *[]){"alarm-fired", "dead-lettered"});
    text = render();
    assert_string_equal(text,
                        "# HELP cutover_records_total Records consumed, by topic and outcome.\n"
                        "# TYPE cutover_records_total counter\n"
                        "cutover_records_total{topic=\"build-ready\",outcome=\"handled\"} 3\n"
                        "cutover_records_total{topic=\"alarm-fired\","
                        "outcome=\"dead-lettered\"} 1\n");
    free(text);
}

/* test_escaping - label values escape \\, \" and newline; HELP escapes \\ and newline */
static void test_escaping(void **state)
{
    static const char *const label[] = {"why"};
    struct metric_family *f = metrics_gauge("cutover_escaped", "a \\ back\nslash \"quoted\"",
                                            label, 1);
    char *text;

    (void)state;
    metrics_set(f, 1, (const char *[]){"a\\b\"c\nd"});
    text = render();
    assert_line(text, "# HELP cutover_escaped a \\\\ back\\nslash \"quoted\"");
    assert_line(text, "cutover_escaped{why=\"a\\\\b\\\"c\\nd\"} 1");
    free(text);
}

/* test_histogram - cumulative buckets, +Inf, _sum and _count per label set */
static void test_histogram(void **state)
{
    static const double seconds[] = {0.005, 0.5, 1, 2.5};
    static const char *const op[] = {"operation"};
    struct metric_family *f = metrics_histogram("cutover_call_duration_seconds", "Call time.", op,
                                                1, seconds, 4);
    const char *const scale[] = {"scale"};
    char *text;

    (void)state;
    metrics_observe(f, 0.00390625, scale); /* binary fractions: an exact sum */
    metrics_observe(f, 0.5, scale);        /* on the bound: le is inclusive */
    metrics_observe(f, 0.75, scale);
    metrics_observe(f, 30, scale);
    metrics_observe(f, NAN, scale); /* ignored */
    text = render();
    assert_string_equal(
        text, "# HELP cutover_call_duration_seconds Call time.\n"
              "# TYPE cutover_call_duration_seconds histogram\n"
              "cutover_call_duration_seconds_bucket{operation=\"scale\",le=\"0.005\"} 1\n"
              "cutover_call_duration_seconds_bucket{operation=\"scale\",le=\"0.5\"} 2\n"
              "cutover_call_duration_seconds_bucket{operation=\"scale\",le=\"1\"} 3\n"
              "cutover_call_duration_seconds_bucket{operation=\"scale\",le=\"2.5\"} 3\n"
              "cutover_call_duration_seconds_bucket{operation=\"scale\",le=\"+Inf\"} 4\n"
              "cutover_call_duration_seconds_sum{operation=\"scale\"} 31.25390625\n"
              "cutover_call_duration_seconds_count{operation=\"scale\"} 4\n");
    free(text);
}

/* test_histogram_no_labels - a histogram without labels: le is the only label */
static void test_histogram_no_labels(void **state)
{
    static const double ms[] = {1};
    struct metric_family *f = metrics_histogram("cutover_took_seconds", "", NULL, 0, ms, 1);
    char *text;

    (void)state;
    text = render();
    assert_line(text, "cutover_took_seconds_bucket{le=\"1\"} 0"); /* there before any observation */
    free(text);
    metrics_observe(f, 2, NULL);
    text = render();
    assert_line(text, "cutover_took_seconds_bucket{le=\"1\"} 0");
    assert_line(text, "cutover_took_seconds_bucket{le=\"+Inf\"} 1");
    assert_line(text, "cutover_took_seconds_sum 2");
    assert_line(text, "cutover_took_seconds_count 1");
    free(text);
}

/* test_numbers - integers without a point, the shortest text of a
 * fraction, large and special values */
static void test_numbers(void **state)
{
    static const char *const which[] = {"v"};
    static const struct {
        double value;
        const char *text;
    } cases[] = {
        {42, "42"},
        {-0.0, "0"},
        {0.1, "0.1"},
        {1764826561.25, "1764826561.25"},
        {9007199254740993.0, "9007199254740992"}, /* 2^53 + 1 is no double */
        {1e300, "1e+300"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
        {NAN, "NaN"},
    };
    struct metric_family *f = metrics_gauge("cutover_numbers", "", which, 1);
    char label[16], line[96], *text;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(label, sizeof(label), "%zu", i);
        metrics_set(f, cases[i].value, (const char *[]){label});
    }
    text = render();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(line, sizeof(line), "cutover_numbers{v=\"%zu\"} %s", i, cases[i].text);
        assert_line(text, line);
    }
    free(text);
}

/* test_bounded_series - the 64th distinct label set and every later one
 * land in "other"; the total stays right */
static void test_bounded_series(void **state)
{
    static const char *const env[] = {"environment"};
    struct metric_family *f = metrics_counter("cutover_things_total", "", env, 1);
    char name[32], line[96], *text;
    size_t lines = 0;

    (void)state;
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "env-%d", i);
        metrics_add(f, 1, (const char *[]){name});
    }
    metrics_add(f, 5, (const char *[]){"env-0"}); /* a known set keeps its series */
    text = render();
    assert_line(text, "cutover_things_total{environment=\"env-0\"} 6");
    snprintf(line, sizeof(line), "cutover_things_total{environment=\"env-%d\"} 1",
             METRICS_SERIES_MAX - 2);
    assert_line(text, line);
    snprintf(line, sizeof(line), "cutover_things_total{environment=\"env-%d\"}",
             METRICS_SERIES_MAX - 1);
    assert_null(strstr(text, line));
    snprintf(line, sizeof(line), "cutover_things_total{environment=\"other\"} %d",
             200 - (METRICS_SERIES_MAX - 1));
    assert_line(text, line);
    for (const char *p = text; (p = strstr(p, "\ncutover_things_total{")) != NULL; p++)
        lines++;
    assert_int_equal(lines, METRICS_SERIES_MAX);
    free(text);
}

/* test_reregister - the same name and shape gives the same family */
static void test_reregister(void **state)
{
    static const double b[] = {1, 2};
    struct metric_family *c1 = metrics_counter("cutover_a_total", "first", topic_outcome, 2);
    struct metric_family *c2 = metrics_counter("cutover_a_total", "second", topic_outcome, 2);
    struct metric_family *h1 = metrics_histogram("cutover_h_seconds", "", NULL, 0, b, 2);
    struct metric_family *h2 = metrics_histogram("cutover_h_seconds", "", NULL, 0, b, 2);
    char *text;

    (void)state;
    assert_ptr_equal(c1, c2);
    assert_ptr_equal(h1, h2);
    metrics_add(c1, 1, (const char *[]){"x", "y"});
    metrics_add(c2, 1, (const char *[]){"x", "y"});
    text = render();
    assert_line(text, "cutover_a_total{topic=\"x\",outcome=\"y\"} 2");
    assert_line(text, "# HELP cutover_a_total first");
    assert_null(strstr(text + (strstr(text, "# HELP cutover_a_total") - text) + 1,
                       "# HELP cutover_a_total"));
    free(text);
}

/* test_counter_rules - a counter without labels shows 0 at first and never goes down */
static void test_counter_rules(void **state)
{
    struct metric_family *f = metrics_counter("cutover_starts_total", "Starts.", NULL, 0);
    char *text;

    (void)state;
    text = render();
    assert_line(text, "cutover_starts_total 0");
    free(text);
    metrics_add(f, 3, NULL);
    metrics_add(f, -2, NULL);
    metrics_add(f, NAN, NULL);
    text = render();
    assert_line(text, "cutover_starts_total 3");
    free(text);
}

struct collected {
    struct metric_family *gauge;
    int runs;
};

/* collect_cb - a collector: forget the old series, set the current one */
static void collect_cb(void *arg)
{
    struct collected *c = arg;
    char run[16];

    c->runs++;
    snprintf(run, sizeof(run), "%d", c->runs);
    metrics_clear(c->gauge);
    metrics_set(c->gauge, c->runs * 10, (const char *[]){run});
}

/* test_collector - collectors run before each render; a cleared gauge
 * shows only what was set after */
static void test_collector(void **state)
{
    static const char *const label[] = {"run"};
    struct collected c = {metrics_gauge("cutover_backlog", "", label, 1), 0};
    char *text;

    (void)state;
    metrics_on_collect(collect_cb, &c);
    free(render());
    text = render();
    assert_int_equal(c.runs, 2);
    assert_line(text, "cutover_backlog{run=\"2\"} 20");
    assert_null(strstr(text, "run=\"1\""));
    free(text);
}

/* test_render_cap - a scrape larger than the buffer's cap fails, not truncates */
static void test_render_cap(void **state)
{
    struct metric_family *f = metrics_counter("cutover_capped_total", "", topic_outcome, 2);
    struct buf out;

    (void)state;
    metrics_add(f, 1, (const char *[]){"a", "b"});
    buf_init(&out, 40);
    assert_int_equal(metrics_render(&out), -1);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counter_format, reset, reset),
        cmocka_unit_test_setup_teardown(test_escaping, reset, reset),
        cmocka_unit_test_setup_teardown(test_histogram, reset, reset),
        cmocka_unit_test_setup_teardown(test_histogram_no_labels, reset, reset),
        cmocka_unit_test_setup_teardown(test_numbers, reset, reset),
        cmocka_unit_test_setup_teardown(test_bounded_series, reset, reset),
        cmocka_unit_test_setup_teardown(test_reregister, reset, reset),
        cmocka_unit_test_setup_teardown(test_counter_rules, reset, reset),
        cmocka_unit_test_setup_teardown(test_collector, reset, reset),
        cmocka_unit_test_setup_teardown(test_render_cap, reset, reset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
