/*
 * mock-broker - an in-memory Kafka cluster for machines without Java.
 *
 * SYNOPSIS
 *      cutover-mock-broker BOOTSTRAP_FILE [TOPIC...]
 *
 * DESCRIPTION
 *      Starts librdkafka's mock cluster (rdkafka_mock.h) with one broker,
 *      prints its bootstrap servers on stdout and writes them, with a
 *      newline, to BOOTSTRAP_FILE (through a temporary file and rename, so
 *      a reader never sees half a line). Each TOPIC is created with three
 *      partitions. Runs until SIGTERM or SIGINT, then removes the file.
 *
 *      IN-MEMORY AND FOR DEVELOPMENT ONLY: nothing survives a restart, the
 *      port changes on every start, and the mock implements only part of
 *      the protocol. ops/devstack uses it only when java or mvn is missing;
 *      the real broker is what tests and users run.
 *
 *      Signals are taken synchronously with sigwait(): no handler runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MOCK_BROKERS    1
#define MOCK_PARTITIONS 3

/* mock_warn_loudly - say on stderr what this program is not */
static void mock_warn_loudly(void)
{
    fprintf(stderr,
        "cutover-mock-broker: WARNING: this Kafka is IN-MEMORY AND FOR DEVELOPMENT ONLY.\n"
        "cutover-mock-broker: WARNING: data is lost on exit; install Java and Maven "
        "(ops/bootstrap) for the real broker.\n");
}

/* mock_create_handle - a producer handle to host the mock cluster */
static rd_kafka_t *mock_create_handle(void)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;

    /* Quiet the notice that this handle has no bootstrap servers. */
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "cutover-mock-broker: rd_kafka_new: %s\n", errstr);
    }
    return rk;
}

/* mock_write_file - write LINE and a newline to PATH atomically */
static int mock_write_file(const char *path, const char *line)
{
    char tmp[4096];
    FILE *fp;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int) sizeof(tmp)) {
    fprintf(stderr, "cutover-mock-broker: path too long: %s\n", path);
    return -1;
    }
    if ((fp = fopen(tmp, "w")) == NULL) {
    fprintf(stderr, "cutover-mock-broker: %s: %s\n", tmp, strerror(errno));
    return -1;
    }
    fprintf(fp, "%s\n", line);
    if (fclose(fp) != 0 || rename(tmp, path) != 0) {
    fprintf(stderr, "cutover-mock-broker: %s: %s\n", path, strerror(errno));
    return -1;
    }
    return 0;
}

/* mock_create_topics - create each named topic in the cluster */
static int mock_create_topics(rd_kafka_mock_cluster_t *mcluster, char **topics, int count)
{
    rd_kafka_resp_err_t err;

    for (int i = 0; i < count; i++) {
    err = rd_kafka_mock_topic_create(mcluster, topics[i], MOCK_PARTITIONS, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "cutover-mock-broker: topic %s: %s\n", topics[i],
            rd_kafka_err2str(err));
        return -1;
    }
    }
    return 0;
}

/* mock_wait_for_signal - block until SIGTERM or SIGINT arrives */
static void mock_wait_for_signal(const sigset_t *set)
{
    int sig = 0;

    while (sigwait(set, &sig) != 0)
    ;
    fprintf(stderr, "cutover-mock-broker: signal %d, stopping\n", sig);
}

/* mock_block_signals - block the signals that stop us, so sigwait takes them */
static void mock_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigprocmask(SIG_BLOCK, set, NULL);
}

/* main - run the mock cluster until told to stop */
int main(int argc, char **argv)
{
    rd_kafka_mock_cluster_t *mcluster = NULL;
    rd_kafka_t *rk = NULL;
    const char *bootstraps;
    sigset_t set;
    int status = 1;

    if (argc < 2) {
    fprintf(stderr, "usage: %s BOOTSTRAP_FILE [TOPIC...]\n", argv[0]);
    return 2;
    }
    mock_block_signals(&set);
    mock_warn_loudly();
    if ((rk = mock_create_handle()) == NULL)
    goto out;
    if ((mcluster = rd_kafka_mock_cluster_new(rk, MOCK_BROKERS)) == NULL) {
    fprintf(stderr, "cutover-mock-broker: cannot create the mock cluster\n");
    goto out;
    }
    if (mock_create_topics(mcluster, argv + 2, argc - 2) != 0)
    goto out;
    bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
    printf("%s\n", bootstraps);
    fflush(stdout);
    if (mock_write_file(argv[1], bootstraps) != 0)
    goto out;
    mock_wait_for_signal(&set);
    unlink(argv[1]);
    status = 0;
out:
    if (mcluster != NULL)
    rd_kafka_mock_cluster_destroy(mcluster);
    if (rk != NULL)
    rd_kafka_destroy(rk);
    return status;
}
