/*
 * kafka - librdkafka wired into a libevent loop (see kafka.h).
 *
 * DESCRIPTION
 *	The consumer redirects the main queue into the consumer queue and asks
 *	librdkafka to write to an eventfd whenever that queue turns non-empty;
 *	the read callback drains a bounded batch and, when more is left,
 *	re-arms itself with a zero timeout so other events get a turn. A
 *	timer polls every KAFKA_IDLE_POLL_MS as well: librdkafka counts the
 *	time since the last poll, and a consumer that waits for records
 *	longer than max.poll.interval.ms would otherwise leave its group
 *	(and rejoin, a rebalance every few minutes of quiet). The
 *	producer's delivery reports arrive the same way on their own eventfd.
 *
 *	The consumer's lag per partition, cutover_kafka_consumer_lag{topic,
 *	partition}, comes from librdkafka's statistics (every
 *	KAFKA_STATS_INTERVAL_MS, served by the same polls, so in this
 *	thread): the partition's high watermark minus the offset stored
 *	after the last handled record, or, before this process handled any,
 *	minus the group's committed offset. Assigned partitions only; one
 *	whose offsets are not known yet is left out.
 */
#include "io/kafka.h"

#include "base/buf.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define KAFKA_BATCH 64
#define KAFKA_IDLE_POLL_MS 1000
#define KAFKA_MAX_MESSAGE_BYTES 16777216
#define KAFKA_STATS_INTERVAL_MS "5000"
#define KAFKA_WARM_MAX 32 /* topics kafka_producer_warm asks about at most */

struct kafka_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    int fd;
    struct event *ev_read;
    struct event *ev_again;
    struct event *ev_idle;   /* polls while no record arrives (max.poll.interval.ms) */
    kafka_record_cb cb;
    void *arg;
    rd_kafka_message_t *held; /* a record the callee kept, delivered again on retry */
};

struct kafka_producer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    int fd;
    struct event *ev_read;
    kafka_delivery_cb cb;
    void *arg;
};

static const uint64_t kafka_wakeup = 1;

/* kafka_conf_set - one property; a refusal is a configuration error */
static int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                          size_t err_len)
{
    if (rd_kafka_conf_set(conf, name, value, err, err_len) != RD_KAFKA_CONF_OK)
        return -1;
    return 0;
}

/* kafka_conf_optional - set a property from the configuration when it is set */
static int kafka_conf_optional(rd_kafka_conf_t *conf, const char *name, const char *var,
                               char *err, size_t err_len)
{
    const char *value = config_get(var);

    if (value == NULL || *value == 0)
        return 0;
    return kafka_conf_set(conf, name, value, err, err_len);
}

/* kafka_credentials_line - the line that starts *at (one CR before its LF dropped)
 * into out, *at moved past it; -1 when missing, empty, too long or holding a
 * NUL or a CR */
static int kafka_credentials_line(const char **at, const char *end, char *out, size_t out_len)
{
    const char *lf = memchr(*at, '\n', (size_t)(end - *at));
    const char *stop = lf ? lf : end;
    size_t n;

    if (stop > *at && stop[-1] == '\r')
        stop--;
    n = (size_t)(stop - *at);
    if (n == 0 || n >= out_len || memchr(*at, '\0', n) != NULL || memchr(*at, '\r', n) != NULL)
        return -1;
    memcpy(out, *at, n);
    out[n] = '\0';
    *at = lf ? lf + 1 : end;
    return 0;
}

/* kafka_credentials_parse - a credentials file's bytes: a user name line and a password line */
int kafka_credentials_parse(const char *data, size_t size, char *user, size_t user_len,
                            char *password, size_t password_len)
{
    const char *at = data, *end = data + size;
    int rc = kafka_credentials_line(&at, end, user, user_len) == 0
                     && kafka_credentials_line(&at, end, password, password_len) == 0
                 ? 0
                 : -1;

    while (rc == 0 && at < end && (*at == '\r' || *at == '\n'))
        at++; /* blank lines may end the file; anything else may not */
    if (rc != 0 || at < end) {
        if (password_len > 0)
            explicit_bzero(password, password_len);
        return -1;
    }
    return 0;
}

/* kafka_credentials_read - this process's user name and password from its
 * file in CUTOVER_KAFKA_CREDENTIALS_DIR (named after log_init's name); 0,
 * 1 when no directory is set, -1 with err (never the content) */
static int kafka_credentials_read(char *user, size_t user_len, char *password,
                                  size_t password_len, char *err, size_t err_len)
{
    const char *dir = config_get("CUTOVER_KAFKA_CREDENTIALS_DIR");
    char path[4096];
    struct buf file;
    int rc = -1, loaded;

    if (dir == NULL || *dir == '\0')
        return 1;
    snprintf(path, sizeof(path), "%s/%s", dir, log_worker_name());
    buf_init(&file, user_len + password_len + 4); /* both lines, each with a CR LF */
    loaded = buf_read_file(&file, path);
    if (loaded != 0 && errno != EFBIG)
        snprintf(err, err_len, "CUTOVER_KAFKA_CREDENTIALS_DIR: %s: %s", path, strerror(errno));
    else if (loaded != 0 || kafka_credentials_parse(file.data ? file.data : "", file.len, user,
                                                    user_len, password, password_len) != 0)
        snprintf(err, err_len,
                 "CUTOVER_KAFKA_CREDENTIALS_DIR: %s: not a user name line and a password line", path);
    else
        rc = 0;
    buf_free(&file);
    return rc;
}

/* kafka_sasl_credentials - the SASL user name and password: the variables
 * (the password or the file _FILE names) win over the credentials
 * directory; 0, 1 when neither is set, -1 with err */
int kafka_sasl_credentials(char *user, size_t user_len, char *password, size_t password_len,
                           char *err, size_t err_len)
{
    const char *name = config_get("CUTOVER_KAFKA_SASL_USERNAME");
    int rc;

    password[0] = '\0';
    if (name == NULL || *name == '\0')
        return kafka_credentials_read(user, user_len, password, password_len, err, err_len);
    snprintf(user, user_len, "%s", name);
    rc = config_get_secret("CUTOVER_KAFKA_SASL_PASSWORD", password, password_len, err, err_len);
    return rc < 0 ? -1 : 0;
}

/* kafka_conf_sasl - sasl.username and sasl.password when credentials are
 * configured; the user name is kept in the opaque for error messages */
static int kafka_conf_sasl(rd_kafka_conf_t *conf, char *err, size_t err_len)
{
    char user[256], password[1024];
    int rc = kafka_sasl_credentials(user, sizeof(user), password, sizeof(password), err, err_len);

    if (rc == 0) {
        rc = kafka_conf_set(conf, "sasl.username", user, err, err_len);
        if (rc == 0 && password[0])
            rc = kafka_conf_set(conf, "sasl.password", password, err, err_len);
    }
    explicit_bzero(password, sizeof(password));
    return rc < 0 ? -1 : 0;
}

/* kafka_sasl_user_shown - the SASL user name rk was configured with, or "(none)" */
static const char *kafka_sasl_user_shown(const rd_kafka_t *rk)
{
    static char user[256];
    size_t len = sizeof(user);
    const rd_kafka_conf_t *conf = rd_kafka_conf((rd_kafka_t *)rk);

    if (rd_kafka_conf_get(conf, "sasl.username", user, &len) != RD_KAFKA_CONF_OK || user[0] == '\0')
        return "(none)";
    return user;
}

/* kafka_error_cb - fatal errors end the process, and so does a refused
 * SASL authentication (wrong user name or password: retrying cannot help,
 * and librdkafka would retry forever); others are logged */
static void kafka_error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    char fatal[512];

    (void)opaque;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        log_fatal("kafka fatal error: %s", fatal);
    }
    if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION)
        log_fatal("kafka: authentication as SASL user %s refused: %s",
                  kafka_sasl_user_shown(rk), reason);
    log_warn("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

/* kafka_log_cb - librdkafka's own lines, as JSON lines like ours */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    log_msg(level <= 3 ? LOG_ERROR : level <= 5 ? LOG_WARN : LOG_DEBUG, "rdkafka %s: %s", fac,
            buf);
}

/* kafka_conf_common - brokers, security and error handling for both clients */
static rd_kafka_conf_t *kafka_conf_common(char *err, size_t err_len)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    if (kafka_conf_set(conf, "bootstrap.servers", config_get("CUTOVER_KAFKA_BROKERS"), err,
                       err_len) != 0
        || kafka_conf_set(conf, "security.protocol",
                          config_get("CUTOVER_KAFKA_SECURITY_PROTOCOL"), err, err_len) != 0
        || kafka_conf_optional(conf, "sasl.mechanisms", "CUTOVER_KAFKA_SASL_MECHANISM", err,
                               err_len) != 0
        || kafka_conf_sasl(conf, err, err_len) != 0
        || kafka_conf_optional(conf, "ssl.ca.location", "CUTOVER_KAFKA_SSL_CA_LOCATION", err,
                               err_len) != 0
        || kafka_conf_set(conf, "enable.ssl.certificate.verification",
                          config_get_bool("CUTOVER_KAFKA_SSL_VERIFY") ? "true" : "false", err,
                          err_len) != 0
        || kafka_conf_set(conf, "reconnect.backoff.max.ms", "2000", err, err_len) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* kafka_topic_full - the configured prefix and a cutover topic name */
int kafka_topic_full(const char *name, char *out, size_t out_len)
{
    const char *prefix = config_get("CUTOVER_TOPIC_PREFIX");
    int n = snprintf(out, out_len, "%s%s", prefix ? prefix : "", name);

    return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

/* kafka_topic_short - a topic name without the configured prefix */
const char *kafka_topic_short(const char *full)
{
    const char *prefix = config_get("CUTOVER_TOPIC_PREFIX");
    size_t len = prefix ? strlen(prefix) : 0;

    if (len && strncmp(full, prefix, len) == 0)
        return full + len;
    return full;
}

/* kafka_fd_create - an eventfd that librdkafka writes to when queue fills */
static int kafka_fd_create(rd_kafka_queue_t *queue)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fd >= 0)
        rd_kafka_queue_io_event_enable(queue, fd, &kafka_wakeup, sizeof(kafka_wakeup));
    return fd;
}

/* kafka_fd_drain - reset the eventfd's counter */
static void kafka_fd_drain(int fd)
{
    uint64_t count;

    while (read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
        continue;
}

/* kafka_consumer_deliver - hand one record to the callee; 0 when it took it */
static int kafka_consumer_deliver(struct kafka_consumer *c, rd_kafka_message_t *msg)
{
    if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            log_warn("kafka consume: %s", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
        return 0;
    }
    if (c->cb(msg, c->arg) != 0) {
        c->held = msg;
        return -1;
    }
    rd_kafka_message_destroy(msg);
    return 0;
}

/* kafka_consumer_drain - deliver up to a batch; re-arm when more is waiting */
static void kafka_consumer_drain(struct kafka_consumer *c)
{
    for (int i = 0; i < KAFKA_BATCH; i++) {
        rd_kafka_message_t *msg = c->held;

        c->held = NULL;
        if (msg == NULL)
            msg = rd_kafka_consumer_poll(c->rk, 0);
        if (msg == NULL)
            return;
        if (kafka_consumer_deliver(c, msg) != 0)
            return;
    }
    event_active(c->ev_again, 0, 0);
}

/* kafka_consumer_read_cb - the queue turned non-empty */
static void kafka_consumer_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct kafka_consumer *c = arg;

    (void)what;
    kafka_fd_drain(fd);
    if (c->held == NULL)
        kafka_consumer_drain(c);
}

/* kafka_consumer_again_cb - continue a drain that yielded, or poll while idle */
static void kafka_consumer_again_cb(evutil_socket_t fd, short what, void *arg)
{
    struct kafka_consumer *c = arg;

    (void)fd;
    (void)what;
    if (c->held == NULL)
        kafka_consumer_drain(c);
}

/* kafka_consumer_retry - deliver the held record again, then go on */
void kafka_consumer_retry(struct kafka_consumer *c)
{
    kafka_consumer_drain(c);
}

/* kafka_metric_lag - cutover_kafka_consumer_lag */
static struct metric_family *kafka_metric_lag(void)
{
    static const char *const labels[] = {"topic", "partition"};

    return metrics_gauge("cutover_kafka_consumer_lag",
                         "Records of an assigned partition not yet handled by this consumer.",
                         labels, 2);
}

/* kafka_partition_lag - a partition's lag in librdkafka's statistics; -1 unknown */
static double kafka_partition_lag(const cJSON *partition)
{
    const cJSON *stored = cJSON_GetObjectItemCaseSensitive(partition, "consumer_lag_stored");
    const cJSON *committed = cJSON_GetObjectItemCaseSensitive(partition, "consumer_lag");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(partition, "desired"))
        || atoi(partition->string) < 0)
        return -1; /* not assigned, or librdkafka's internal partition -1 */
    if (cJSON_IsNumber(stored) && stored->valuedouble >= 0)
        return stored->valuedouble;
    if (cJSON_IsNumber(committed) && committed->valuedouble >= 0)
        return committed->valuedouble;
    return -1;
}

/* kafka_stats_cb - librdkafka's statistics: the lag of each partition */
static int kafka_stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    cJSON *stats = cJSON_ParseWithLength(json, json_len);
    const cJSON *topic, *partition;

    (void)rk;
    (void)opaque;
    metrics_clear(kafka_metric_lag());
    cJSON_ArrayForEach(topic, cJSON_GetObjectItemCaseSensitive(stats, "topics"))
    {
        cJSON_ArrayForEach(partition, cJSON_GetObjectItemCaseSensitive(topic, "partitions"))
        {
            double lag = kafka_partition_lag(partition);

            if (lag >= 0)
                metrics_set(kafka_metric_lag(), lag,
                            (const char *[]){kafka_topic_short(topic->string), partition->string});
        }
    }
    cJSON_Delete(stats);
    return 0; /* librdkafka frees json */
}

/* kafka_consumer_conf - the consumer's own settings */
static rd_kafka_conf_t *kafka_consumer_conf(const char *group, char *err, size_t err_len)
{
    rd_kafka_conf_t *conf = kafka_conf_common(err, err_len);

    if (conf == NULL)
        return NULL;
    kafka_metric_lag();
    rd_kafka_conf_set_stats_cb(conf, kafka_stats_cb);
    if (kafka_conf_set(conf, "group.id", group, err, err_len) != 0
        || kafka_conf_set(conf, "statistics.interval.ms", KAFKA_STATS_INTERVAL_MS, err, err_len)
               != 0
        || kafka_conf_set(conf, "enable.auto.offset.store", "false", err, err_len) != 0
        || kafka_conf_set(conf, "enable.auto.commit", "true", err, err_len) != 0
        || kafka_conf_set(conf, "auto.commit.interval.ms", "1000", err, err_len) != 0
        || kafka_conf_set(conf, "auto.offset.reset", "earliest", err, err_len) != 0
        || kafka_conf_set(conf, "partition.assignment.strategy", "range", err, err_len) != 0
        || kafka_conf_set(conf, "fetch.message.max.bytes", "16777216", err, err_len) != 0
        || kafka_conf_set(conf, "session.timeout.ms",
                          config_get("CUTOVER_KAFKA_SESSION_TIMEOUT_MS"), err, err_len) != 0
        || kafka_conf_optional(conf, "group.instance.id", "CUTOVER_KAFKA_INSTANCE_ID", err,
                               err_len) != 0
        || kafka_conf_set(conf, "heartbeat.interval.ms", "1000", err, err_len) != 0
        || kafka_conf_set(conf, "max.poll.interval.ms",
                          config_get("CUTOVER_KAFKA_MAX_POLL_INTERVAL_MS"), err, err_len) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* kafka_subscribe - subscribe to the prefixed names of topics */
static int kafka_subscribe(rd_kafka_t *rk, const char *const *topics, size_t topic_count,
                           char *err, size_t err_len)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)topic_count);
    char full[256];
    rd_kafka_resp_err_t rc;

    for (size_t i = 0; i < topic_count; i++) {
        if (kafka_topic_full(topics[i], full, sizeof(full)) == 0)
            rd_kafka_topic_partition_list_add(list, full, RD_KAFKA_PARTITION_UA);
    }
    rc = rd_kafka_subscribe(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (rc) {
        snprintf(err, err_len, "subscribe: %s", rd_kafka_err2str(rc));
        return -1;
    }
    return 0;
}

/* kafka_new - rd_kafka_new with Cyrus SASL's plugins left unloaded.
 * librdkafka initializes Cyrus SASL with the first client it makes, and
 * Cyrus loads every plugin in its directory (eight here, with Berkeley DB
 * for sasldb): about 0.4 MB of resident pages. librdkafka needs Cyrus only
 * for GSSAPI, which cutover's configuration does not offer (PLAIN and
 * SCRAM are librdkafka's own), so the first client is made with SASL_PATH
 * naming no directory. Cyrus reads the variable during that call only; it
 * is removed right after, before any process cutover starts could inherit
 * it. A SASL_PATH set by the user is left alone. */
static rd_kafka_t *kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err,
                             size_t err_len)
{
    static int sasl_initialized;
    int hide_plugins = !sasl_initialized && getenv("SASL_PATH") == NULL;
    rd_kafka_t *rk;

    if (hide_plugins && setenv("SASL_PATH", "/dev/null", 1) != 0)
        hide_plugins = 0;
    rk = rd_kafka_new(type, conf, err, err_len);
    if (hide_plugins)
        unsetenv("SASL_PATH");
    sasl_initialized = 1;
    return rk;
}

/* kafka_consumer_create - a subscribed consumer delivering into the loop */
struct kafka_consumer *kafka_consumer_create(struct event_base *base, const char *group,
                                             const char *const *topics, size_t topic_count,
                                             kafka_record_cb cb, void *arg, char *err,
                                             size_t err_len)
{
    struct kafka_consumer *c = calloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = kafka_consumer_conf(group, err, err_len);
    const struct timeval idle = { KAFKA_IDLE_POLL_MS / 1000, (KAFKA_IDLE_POLL_MS % 1000) * 1000 };

    if (c == NULL || conf == NULL)
        goto out;
    c->fd = -1;
    c->cb = cb;
    c->arg = arg;
    c->rk = kafka_new(RD_KAFKA_CONSUMER, conf, err, err_len);
    if (c->rk == NULL)
        goto out;
    conf = NULL;
    rd_kafka_poll_set_consumer(c->rk);
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    c->fd = kafka_fd_create(c->queue);
    c->ev_read = event_new(base, c->fd, EV_READ | EV_PERSIST, kafka_consumer_read_cb, c);
    c->ev_again = event_new(base, -1, 0, kafka_consumer_again_cb, c);
    c->ev_idle = event_new(base, -1, EV_PERSIST, kafka_consumer_again_cb, c);
    if (c->fd < 0 || c->ev_read == NULL || c->ev_again == NULL || c->ev_idle == NULL
        || event_add(c->ev_read, NULL) != 0 || event_add(c->ev_idle, &idle) != 0) {
        snprintf(err, err_len, "consumer event set-up: %s", strerror(errno));
        goto out;
    }
    if (kafka_subscribe(c->rk, topics, topic_count, err, err_len) != 0)
        goto out;
    event_active(c->ev_again, 0, 0);
    return c;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_consumer_free(c);
    return NULL;
}

/* kafka_consumer_store - mark a record handled: the next one is where a
 * restart begins */
int kafka_consumer_store(struct kafka_consumer *c, const rd_kafka_message_t *msg)
{
    /* the message's own offset: rd_kafka_offset_store() commits the one after it */
    rd_kafka_resp_err_t rc = rd_kafka_offset_store(msg->rkt, msg->partition, msg->offset);

    (void)c;
    if (rc) {
        log_warn("offset store %s[%d]@%lld: %s", rd_kafka_topic_name(msg->rkt),
                 (int)msg->partition, (long long)msg->offset, rd_kafka_err2str(rc));
        return -1;
    }
    return 0;
}

/* kafka_consumer_free - leave the group, committing stored offsets */
void kafka_consumer_free(struct kafka_consumer *c)
{
    if (c == NULL)
        return;
    if (c->held)
        rd_kafka_message_destroy(c->held);
    if (c->ev_idle)
        event_free(c->ev_idle);
    if (c->ev_again)
        event_free(c->ev_again);
    if (c->ev_read)
        event_free(c->ev_read);
    if (c->queue)
        rd_kafka_queue_destroy(c->queue);
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* kafka_dr_cb - a delivery report: pass the result and the opaque on */
static void kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct kafka_producer *p = opaque;

    (void)rk;
    if (msg->err)
        log_warn("kafka delivery to %s failed: %s", rd_kafka_topic_name(msg->rkt),
                 rd_kafka_err2str(msg->err));
    if (p->cb)
        p->cb(msg->err, msg->_private, p->arg);
}

/* kafka_producer_read_cb - delivery reports are waiting */
static void kafka_producer_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct kafka_producer *p = arg;

    (void)what;
    kafka_fd_drain(fd);
    rd_kafka_poll(p->rk, 0);
}

/* kafka_producer_conf - the idempotent producer's settings. linger.ms
 * linger_ms: how long a record waits for others to share its request.
 * cutover-web's alarms and the CLI's commands pass 0, so that a record
 * goes to the broker at once (librdkafka's default waits 5 ms, which an
 * alarm's way to the rollbacker paid in full); the workers' follow-up
 * events wait CUTOVER_KAFKA_LINGER_MS, so that under load many go in one
 * request. message.timeout.ms KAFKA_MESSAGE_TIMEOUT_MS,
 * shorter than an outbox row's lease (OUTBOX_LEASE_MS): a row's delivery
 * ends, acknowledged or failed, before another process may claim the row
 * and send it again */
static rd_kafka_conf_t *kafka_producer_conf(struct kafka_producer *p, int linger_ms, char *err,
                                            size_t err_len)
{
    rd_kafka_conf_t *conf = kafka_conf_common(err, err_len);
    char timeout[16], linger[16];

    if (conf == NULL)
        return NULL;
    snprintf(timeout, sizeof(timeout), "%d", KAFKA_MESSAGE_TIMEOUT_MS);
    snprintf(linger, sizeof(linger), "%d", linger_ms);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr_cb);
    if (kafka_conf_set(conf, "enable.idempotence", "true", err, err_len) != 0
        || kafka_conf_set(conf, "linger.ms", linger, err, err_len) != 0
        || kafka_conf_set(conf, "message.max.bytes", "16777216", err, err_len) != 0
        || kafka_conf_set(conf, "message.timeout.ms", timeout, err, err_len) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* kafka_producer_create - an idempotent producer reporting into the loop */
struct kafka_producer *kafka_producer_create(struct event_base *base, kafka_delivery_cb cb,
                                             void *arg, int linger_ms, char *err, size_t err_len)
{
    struct kafka_producer *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = p ? kafka_producer_conf(p, linger_ms, err, err_len) : NULL;

    if (conf == NULL)
        goto out;
    p->fd = -1;
    p->cb = cb;
    p->arg = arg;
    p->rk = kafka_new(RD_KAFKA_PRODUCER, conf, err, err_len);
    if (p->rk == NULL)
        goto out;
    conf = NULL;
    p->queue = rd_kafka_queue_get_main(p->rk);
    p->fd = kafka_fd_create(p->queue);
    if (base)
        p->ev_read = event_new(base, p->fd, EV_READ | EV_PERSIST, kafka_producer_read_cb, p);
    if (p->fd < 0 || (base && (p->ev_read == NULL || event_add(p->ev_read, NULL) != 0))) {
        snprintf(err, err_len, "producer event set-up: %s", strerror(errno));
        goto out;
    }
    return p;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_producer_free(p);
    return NULL;
}

/* kafka_topics_led - how many of the described topics have a leader for
 * every partition */
static int kafka_topics_led(const struct rd_kafka_metadata *md)
{
    int led = 0;

    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        int all = t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0;

        for (int j = 0; all && j < t->partition_cnt; j++)
            all = t->partitions[j].leader >= 0;
        led += all;
    }
    return led;
}

/* kafka_producer_warm - one metadata request for the topics, made known
 * to the producer first (see kafka.h) */
int kafka_producer_warm(struct kafka_producer *p, const char *const *topics, size_t count)
{
    rd_kafka_topic_t *known[KAFKA_WARM_MAX];
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t rc;
    char full[256];
    size_t n = 0;
    int led = -1;

    for (size_t i = 0; i < count && n < KAFKA_WARM_MAX; i++) {
        if (kafka_topic_full(topics[i], full, sizeof(full)) == 0
            && (known[n] = rd_kafka_topic_new(p->rk, full, NULL)) != NULL)
            n++;
    }
    rc = rd_kafka_metadata(p->rk, 0, NULL, &md, KAFKA_WARM_TIMEOUT_MS);
    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
        led = kafka_topics_led(md);
        rd_kafka_metadata_destroy(md);
    }
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_destroy(known[i]); /* the producer keeps what it learned */
    if (led < 0)
        log_warn("kafka producer: no answer about the topics (%s): the first record to each"
                 " may wait a second", rd_kafka_err2str(rc));
    else if (led < (int)count)
        log_warn("kafka producer: %d of %zu topics have a leader for every partition: the"
                 " first record to each other topic may wait a second", led, count);
    return led;
}

static const struct record_header kafka_structured = {
    "content-type", "application/cloudevents+json", sizeof("application/cloudevents+json") - 1};

/* kafka_producer_send - queue one structured-mode record for a cutover topic */
int kafka_producer_send(struct kafka_producer *p, const char *topic, const char *key,
                        const void *value, size_t value_len, void *opaque)
{
    return kafka_producer_send_headers(p, topic, key, value, value_len, &kafka_structured, 1,
                                       opaque);
}

/* kafka_produce - queue one record with these headers for a topic named in full */
static int kafka_produce(struct kafka_producer *p, const char *full, const char *key,
                         const void *value, size_t value_len, const struct record_header *hdrs,
                         size_t count, void *opaque)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(count);
    rd_kafka_resp_err_t rc;

    for (size_t i = 0; i < count; i++)
        rd_kafka_header_add(headers, hdrs[i].name, -1, hdrs[i].value, (ssize_t)hdrs[i].value_len);
    rc = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(full), RD_KAFKA_V_KEY(key, strlen(key)),
                           RD_KAFKA_V_VALUE((void *)value, value_len),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque),
                           RD_KAFKA_V_END);
    if (rc) {
        rd_kafka_headers_destroy(headers);
        log_warn("produce to %s: %s", full, rd_kafka_err2str(rc));
        return -1;
    }
    return 0;
}

/* kafka_producer_send_headers - queue one record with these headers for a cutover topic */
int kafka_producer_send_headers(struct kafka_producer *p, const char *topic, const char *key,
                                const void *value, size_t value_len,
                                const struct record_header *hdrs, size_t count, void *opaque)
{
    char full[256];

    if (kafka_topic_full(topic, full, sizeof(full)) != 0)
        return -1;
    return kafka_produce(p, full, key, value, value_len, hdrs, count, opaque);
}

/* kafka_producer_send_full - queue one structured-mode record for a topic
 * named in full (its prefix included) */
int kafka_producer_send_full(struct kafka_producer *p, const char *full, const char *key,
                             const void *value, size_t value_len, void *opaque)
{
    return kafka_produce(p, full, key, value, value_len, &kafka_structured, 1, opaque);
}

/* kafka_producer_flush - wait for outstanding deliveries */
int kafka_producer_flush(struct kafka_producer *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

/* kafka_producer_free - release the producer (call flush first) */
void kafka_producer_free(struct kafka_producer *p)
{
    if (p == NULL)
        return;
    if (p->ev_read)
        event_free(p->ev_read);
    if (p->queue)
        rd_kafka_queue_destroy(p->queue);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}

/* kafka_new_topic - one NewTopic with cutover's settings */
static rd_kafka_NewTopic_t *kafka_new_topic(const char *name, int partitions, int replication,
                                            char *err, size_t err_len)
{
    char full[256];
    rd_kafka_NewTopic_t *t;

    if (kafka_topic_full(name, full, sizeof(full)) != 0)
        return NULL;
    t = rd_kafka_NewTopic_new(full, partitions, replication, err, err_len);
    if (t)
        rd_kafka_NewTopic_set_config(t, "max.message.bytes", "16777216");
    return t;
}

/* kafka_not_authorized - true for the broker's "this principal may not" answers */
static int kafka_not_authorized(rd_kafka_resp_err_t rc)
{
    return rc == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
        || rc == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* kafka_topics_result - check each topic's result; "already exists" is
 * fine; 1 with err when the principal may not create topics */
static int kafka_topics_result(rd_kafka_event_t *ev, char *err, size_t err_len)
{
    size_t n;
    const rd_kafka_topic_result_t **results;

    if (ev == NULL) {
        snprintf(err, err_len, "create topics: no answer from the brokers");
        return -1;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(err, err_len, "create topics: %s", rd_kafka_event_error_string(ev));
        return -1;
    }
    results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t rc = rd_kafka_topic_result_error(results[i]);

        if (rc && rc != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(err, err_len, "create topic %s: %s", rd_kafka_topic_result_name(results[i]),
                     rd_kafka_topic_result_error_string(results[i]));
            return kafka_not_authorized(rc) ? 1 : -1;
        }
    }
    return 0;
}

/* kafka_admin_wait - the admin result on queue within timeout_ms, serving
 * rk's errors meanwhile (kafka_error_cb: a refused authentication ends the
 * process at once rather than when the request times out) */
static rd_kafka_event_t *kafka_admin_wait(rd_kafka_t *rk, rd_kafka_queue_t *queue, int timeout_ms)
{
    rd_kafka_event_t *ev = NULL;

    for (int waited = 0; ev == NULL && waited < timeout_ms; waited += 100) {
        ev = rd_kafka_queue_poll(queue, 100);
        rd_kafka_poll(rk, 0);
    }
    return ev;
}

/* kafka_topics_create - create cutover's topics; existing ones are left
 * alone; 0, 1 when the principal may not create topics, -1 (err set) */
int kafka_topics_create(const char *const *topics, size_t topic_count, int partitions,
                        int replication, char *err, size_t err_len)
{
    rd_kafka_conf_t *conf = kafka_conf_common(err, err_len);
    rd_kafka_t *rk = conf ? kafka_new(RD_KAFKA_PRODUCER, conf, err, err_len) : NULL;
    rd_kafka_NewTopic_t *list[32];
    size_t n = 0;
    int rc = -1;

    if (rk == NULL)
        return -1;
    for (size_t i = 0; i < topic_count && n < 32; i++) {
        list[n] = kafka_new_topic(topics[i], partitions, replication, err, err_len);
        if (list[n] == NULL)
            goto out;
        n++;
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, 30000, NULL, 0);
    rd_kafka_CreateTopics(rk, list, n, options, queue);
    rd_kafka_event_t *ev = kafka_admin_wait(rk, queue, 60000);
    rc = kafka_topics_result(ev, err, err_len);
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
out:
    rd_kafka_NewTopic_destroy_array(list, n);
    rd_kafka_destroy(rk);
    return rc;
}
