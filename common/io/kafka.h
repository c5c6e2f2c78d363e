/*
 * kafka - librdkafka wired into a libevent loop: a consumer whose offsets
 *         are stored only after a record is handled, an idempotent producer
 *         with delivery reports, and topic creation through the Admin API.
 *
 * SYNOPSIS
 *	c = kafka_consumer_create(base, group, topics, n, record_cb, arg, err, len);
 *	    record_cb(msg, arg) is called for each record; the callee calls
 *	    kafka_consumer_store(c, msg) once the record is fully handled and
 *	    returns 0, or returns -1 to keep the record (kafka_consumer_retry
 *	    delivers it again later).
 *	p = kafka_producer_create(base, delivery_cb, arg, linger_ms, err, len);
 *	kafka_producer_send(p, topic, key, value, value_len, opaque);
 *	kafka_topics_create(names, n, partitions, replication, err, len);
 *
 * DESCRIPTION
 *	Both clients take their settings (brokers, TLS, SASL) from the
 *	configuration table. The SASL user name and password are
 *	CUTOVER_KAFKA_SASL_USERNAME with CUTOVER_KAFKA_SASL_PASSWORD (or
 *	_PASSWORD_FILE), or else the two lines of the process's own file in
 *	CUTOVER_KAFKA_CREDENTIALS_DIR, named as log_init named the process
 *	(scaler, web, cli, ...): one directory serves every process of a
 *	cutoverd, each on its own principal. Queue events reach the loop through eventfds
 *	(rd_kafka_queue_io_event_enable), so nothing polls on a timer. A fatal
 *	librdkafka error, or a SASL authentication the broker refuses, is
 *	logged and the process exits non-zero so that its supervisor restarts
 *	it (throttled). Topic names given here are cutover's names;
 *	the configured prefix is added and removed inside.
 *
 *	kafka_topics_create returns 1 (err set) when the broker says the
 *	principal may not create topics: the caller decides whether topics
 *	an administrator created are enough.
 */
#ifndef CUTOVER_KAFKA_H
#define CUTOVER_KAFKA_H

#include "io/event.h"

#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* The producer's message.timeout.ms: how long one record's delivery may
 * take, acknowledged or failed (the outbox's lease is longer, outbox.h). */
#define KAFKA_MESSAGE_TIMEOUT_MS 25000
#define KAFKA_WARM_TIMEOUT_MS 2000 /* kafka_producer_warm's wait for the broker */

struct kafka_consumer;
struct kafka_producer;

/* kafka_record_cb - handle one record; 0 handled (offset stored by the
 * callee), -1 keep it and stop delivering until kafka_consumer_retry() */
typedef int (*kafka_record_cb)(rd_kafka_message_t *msg, void *arg);
/* kafka_delivery_cb - a produced record was acknowledged (err 0) or failed */
typedef void (*kafka_delivery_cb)(rd_kafka_resp_err_t err, void *opaque, void *arg);

struct kafka_consumer *kafka_consumer_create(struct event_base *base, const char *group,
                                             const char *const *topics, size_t topic_count,
                                             kafka_record_cb cb, void *arg, char *err,
                                             size_t err_len);
int kafka_consumer_store(struct kafka_consumer *c, const rd_kafka_message_t *msg);
void kafka_consumer_retry(struct kafka_consumer *c);
void kafka_consumer_free(struct kafka_consumer *c); /* closes: commits stored offsets */

/* kafka_producer_create - linger_ms: how long a record may wait for others
 * to share its request to the broker (0: none; a record goes at once) */
struct kafka_producer *kafka_producer_create(struct event_base *base, kafka_delivery_cb cb,
                                             void *arg, int linger_ms, char *err, size_t err_len);
/* kafka_producer_warm - ask the broker once where each of these cutover
 * topics lives, before the first record: librdkafka 2.0 looks a topic it
 * has not seen up about once a second, so a long-lived producer's first
 * record to each topic waited up to a second for its delivery. Blocks up
 * to KAFKA_WARM_TIMEOUT_MS. How many of the topics the broker described
 * with a leader for every partition; fewer is logged (their first records
 * are only slower), -1 when the broker did not answer */
int kafka_producer_warm(struct kafka_producer *p, const char *const *topics, size_t count);
/* kafka_producer_send - a structured-mode event (content-type application/cloudevents+json) */
int kafka_producer_send(struct kafka_producer *p, const char *topic, const char *key,
                        const void *value, size_t value_len, void *opaque);
/* kafka_producer_send_headers - a record with these headers (binary mode: event_binary_headers) */
int kafka_producer_send_headers(struct kafka_producer *p, const char *topic, const char *key,
                                const void *value, size_t value_len,
                                const struct record_header *hdrs, size_t count, void *opaque);
/* kafka_producer_send_full - kafka_producer_send to a topic named in full */
int kafka_producer_send_full(struct kafka_producer *p, const char *full, const char *key,
                             const void *value, size_t value_len, void *opaque);
int kafka_producer_flush(struct kafka_producer *p, int timeout_ms);
void kafka_producer_free(struct kafka_producer *p);

int kafka_topics_create(const char *const *topics, size_t topic_count, int partitions,
                        int replication, char *err, size_t err_len);

/* kafka_sasl_credentials - the SASL user name and password this process
 * uses (see DESCRIPTION); 0, 1 when none are configured, -1 with err
 * (which never holds the password) */
int kafka_sasl_credentials(char *user, size_t user_len, char *password, size_t password_len,
                           char *err, size_t err_len);

/* kafka_credentials_parse - a credentials file's bytes (size of them): a user
 * name line and a password line (LF or CR LF; blank lines may follow), each
 * non-empty, without NUL or CR and shorter than its buffer; 0, or -1 with
 * the password buffer wiped */
int kafka_credentials_parse(const char *data, size_t size, char *user, size_t user_len,
                            char *password, size_t password_len);

/* kafka_topic_full - prefix + name into out; kafka_topic_short - strip the prefix */
int kafka_topic_full(const char *name, char *out, size_t out_len);
const char *kafka_topic_short(const char *full);

#endif
