/*
 * bench_first_record - how long a long-lived producer's first record to a
 *                      topic waits for its delivery report: a producer
 *                      connected for a while whose topics kafka_producer_warm
 *                      asked about at its start, against one that did not
 *                      (the baseline), in the same run, against the real
 *                      broker. A worker sends its first record of each kind
 *                      this way after every start; cutover-web its first
 *                      alarm.
 *
 * usage: bench_first_record [TRIALS]   (needs CUTOVER_KAFKA_BROKERS; the
 *        topics get a prefix of the run's own; default 10 trials)
 */
#include "base/clock.h"
#include "base/config.h"
#include "io/event.h"
#include "io/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BENCH_SETTLE_MS 1000 /* the producer connects and reads the cluster first */

/* bench_delivered_cb - reports are waited for by the flush */
static void bench_delivered_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    (void)opaque;
    *(rd_kafka_resp_err_t *)arg = err;
}

/* bench_first_ms - a new producer, settled for BENCH_SETTLE_MS and extra
 * ms (trials spread their sends over librdkafka's once-a-second lookup),
 * warmed or not: its first record's time to delivery in ms, or -1 */
static double bench_first_ms(int warm, long extra)
{
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    char err[512];
    struct kafka_producer *p = kafka_producer_create(NULL, bench_delivered_cb, &result, 0, err,
                                                     sizeof(err));
    double start, ms = -1;

    if (p == NULL) {
        fprintf(stderr, "bench_first_record: %s\n", err);
        return -1;
    }
    if (warm)
        kafka_producer_warm(p, event_topics, event_topic_count());
    clock_sleep_ms(BENCH_SETTLE_MS + extra);
    start = clock_mono_seconds();
    if (kafka_producer_send(p, "deployment-status", "bench", "{}", 2, NULL) == 0
        && kafka_producer_flush(p, 10000) == 0 && result == RD_KAFKA_RESP_ERR_NO_ERROR)
        ms = (clock_mono_seconds() - start) * 1000;
    kafka_producer_free(p);
    return ms;
}

/* bench_cmp - qsort order of doubles */
static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* bench_print - median and worst of n trials */
static void bench_print(const char *what, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof(ms[0]), bench_cmp);
    printf("  %-44s p50 %8.1f ms  max %8.1f ms  (%d trials)\n", what, ms[n / 2], ms[n - 1], n);
}

int main(int argc, char **argv)
{
    int trials = argc > 1 ? atoi(argv[1]) : 10;
    double cold[64], warm[64];
    char prefix[64], err[512];

    if (trials < 1 || trials > 64) {
        fprintf(stderr, "usage: bench_first_record [TRIALS 1..64]\n");
        return 2;
    }
    snprintf(prefix, sizeof(prefix), "bench-first-%ld.", (long)getpid());
    setenv("CUTOVER_TOPIC_PREFIX", prefix, 1);
    if (config_load(err, sizeof(err)) != 0
        || kafka_topics_create(event_topics, event_topic_count(), 3, 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_first_record: %s\n", err);
        return 1;
    }
    for (int i = 0; i < trials; i++) { /* in turns, so that both see the same broker */
        long extra = 1000L * i / trials;

        cold[i] = bench_first_ms(0, extra);
        warm[i] = bench_first_ms(1, extra);
        if (cold[i] < 0 || warm[i] < 0)
            return 1;
    }
    printf("first record of a settled producer, produce -> delivery report:\n");
    bench_print("without kafka_producer_warm (baseline)", cold, trials);
    bench_print("with kafka_producer_warm at its start", warm, trials);
    return 0;
}
