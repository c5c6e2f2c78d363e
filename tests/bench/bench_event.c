/*
 * bench_event - how fast a worker takes a record apart: decoding a
 *               structured CloudEvent and validating its data against the
 *               topic's schema, against the baseline of parsing the same
 *               bytes with cJSON alone, measured in the same run.
 *
 * usage: bench_event SCHEMA_DIR [ITERATIONS]
 */
#include "base/log.h"
#include "io/event.h"
#include "io/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char bench_value[] =
    "{\"specversion\":\"1.0\",\"id\":\"b-1\",\"source\":\"ci/shop\",\"type\":\"cutover.build-ready\","
    "\"subject\":\"shop\",\"time\":\"2026-11-28T10:00:00.123Z\",\"datacontenttype\":"
    "\"application/json\",\"data\":{\"environment\":\"shop\",\"build_id\":\"1234\",\"version\":"
    "\"2.4.0\",\"artifact\":{\"uri\":\"s3://releases/shop-2.4.0.tar.gz\",\"sha256\":"
    "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"},\"strategy\":"
    "{\"kind\":\"canary\",\"steps\":[{\"weight\":10,\"pause_seconds\":60},{\"weight\":50,"
    "\"pause_seconds\":300},{\"weight\":100,\"pause_seconds\":null}],\"auto_promote\":true}}}";

/* bench_now - monotonic seconds */
static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_baseline - parse the value with cJSON, n times */
static double bench_baseline(long n)
{
    double start = bench_now();

    for (long i = 0; i < n; i++)
        cJSON_Delete(cJSON_ParseWithLength(bench_value, sizeof(bench_value) - 1));
    return bench_now() - start;
}

/* bench_cutover - decode and validate the record, n times; -1 on a failure */
static double bench_cutover(const struct schema_registry *reg, long n)
{
    struct event_record rec = {"build-ready", 0, 0, "shop", 4, bench_value,
                               sizeof(bench_value) - 1, NULL, 0};
    double start = bench_now();

    for (long i = 0; i < n; i++) {
        struct cloud_event ev;
        struct event_error err;

        if (event_decode(&rec, 1048576, &ev, &err) != 0
            || schema_validate(reg, "build-ready", ev.data, &err) != 0) {
            fprintf(stderr, "bench_event: %s\n", err.message);
            return -1;
        }
        cloudevent_free(&ev);
    }
    return bench_now() - start;
}

int main(int argc, char **argv)
{
    char err[256];
    long n = argc > 2 ? atol(argv[2]) : 20000;
    struct schema_registry *reg;
    double base, full;

    if (argc < 2 || n <= 0) {
        fprintf(stderr, "usage: bench_event SCHEMA_DIR [ITERATIONS]\n");
        return 2;
    }
    log_init("bench");
    reg = schema_registry_load(argv[1], err, sizeof(err));
    if (reg == NULL) {
        fprintf(stderr, "bench_event: %s\n", err);
        return 1;
    }
    base = bench_baseline(n);
    full = bench_cutover(reg, n);
    schema_registry_free(reg);
    if (full < 0)
        return 1;
    printf("records: %ld of %zu bytes\n", n, sizeof(bench_value) - 1);
    printf("baseline cJSON parse:        %8.0f records/s (%.2f us each)\n", n / base, base / n * 1e6);
    printf("cutover decode + schema:     %8.0f records/s (%.2f us each), %.1fx the baseline's time\n",
           n / full, full / n * 1e6, full / base);
    return 0;
}
