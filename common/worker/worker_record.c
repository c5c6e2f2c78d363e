/*
 * worker_record - one Kafka record's path through a worker: decode, check,
 *                 dedupe through the inbox, handle in a transaction, store
 *                 the offset; or dead-letter it; or keep it and retry when
 *                 the database is away (see worker.h).
 */
#include "worker/worker_internal.h"

#include "base/clock.h"
#include "base/fault.h"
#include "base/log.h"
#include "worker/worker_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_MAX_HEADERS 64

enum record_outcome { RECORD_DONE, RECORD_REJECT, RECORD_RETRY };

/* record_view - a Kafka message seen as an event_record */
static void record_view(const rd_kafka_message_t *msg, struct record_header *headers,
                        struct event_record *rec)
{
    rd_kafka_headers_t *hdrs = NULL;
    size_t n = 0;

    memset(rec, 0, sizeof(*rec));
    rec->topic = kafka_topic_short(rd_kafka_topic_name(msg->rkt));
    rec->partition = msg->partition;
    rec->offset = msg->offset;
    rec->key = msg->key;
    rec->key_len = msg->key_len;
    rec->value = msg->payload;
    rec->value_len = msg->len;
    if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        while (n < WORKER_MAX_HEADERS
               && rd_kafka_header_get_all(hdrs, n, &headers[n].name, &headers[n].value,
                                          &headers[n].value_len)
                      == RD_KAFKA_RESP_ERR_NO_ERROR)
            n++;
    }
    rec->headers = headers;
    rec->header_count = n;
}

/* record_transient - a database failure worth retrying */
static enum record_outcome record_transient(struct worker *w, struct event_error *err)
{
    if (db_transient(w->db)) {
        event_error_set(err, EVENT_INTERNAL, "database unavailable: %s", db_last_error(w->db));
        return RECORD_RETRY;
    }
    event_error_set(err, EVENT_INTERNAL, "database error %s: %s", db_last_sqlstate(w->db),
                    db_last_error(w->db));
    return RECORD_REJECT;
}

/* record_check_signature - the environment's signature policy on a command
 * (worker_auth.h); a verified signature is also checked for a replay */
static enum record_outcome record_check_signature(struct worker *w, const struct cloud_event *ev,
                                                  const struct event_record *rec,
                                                  const char *config_text, double age,
                                                  struct event_error *err)
{
    cJSON *config;
    struct auth_policy policy;
    char why[256];
    int replayed = 0;

    w->auth.is_command = auth_action(rec->topic, ev->data, w->auth.action,
                                     sizeof(w->auth.action));
    if (!w->auth.is_command)
        return RECORD_DONE; /* the workers' own events: no keys to load */
    config = cJSON_Parse(config_text);
    if (auth_policy_load(&policy, config, why, sizeof(why)) != 0) { /* audited as refused */
        cJSON_Delete(config);
        event_error_set(err, EVENT_REJECTED, "signature policy of %s: %s", ev->subject, why);
        return RECORD_REJECT;
    }
    auth_verify(&policy, rec, ev, age, &w->auth);
    if (w->auth.is_command && auth_unsigned_warning(&policy))
        log_warn("SECURITY: production environment %s accepts unsigned commands"
                 " (signatures optional): %s", ev->subject, w->auth.action);
    auth_policy_free(&policy);
    cJSON_Delete(config);
    if (w->auth.status == EVENT_OK && w->auth.is_signed)
        replayed = worker_audit_replayed(w->db, &w->auth, ev, rec);
    if (replayed < 0)
        return record_transient(w, err);
    if (replayed)
        event_error_set(err, EVENT_REPLAYED, "%s by %s: event id %s was accepted before at"
                        " another position", w->auth.action, w->auth.principal, ev->id);
    else if (w->auth.status != EVENT_OK)
        event_error_set(err, w->auth.status, "%s", w->auth.message);
    return replayed || w->auth.status != EVENT_OK ? RECORD_REJECT : RECORD_DONE;
}

/* record_check_environment - the subject names a known environment, the
 * command passes the environment's signature policy, and the environment
 * lets the event's source publish on this topic (senders) */
static enum record_outcome record_check_environment(struct worker *w,
                                                    const struct cloud_event *ev,
                                                    const struct event_record *rec,
                                                    struct event_error *err)
{
    const char *params[] = {ev->subject, rec->topic, ev->time};
    cJSON *env = cJSON_GetObjectItemCaseSensitive(ev->data, "environment");
    enum record_outcome outcome;
    PGresult *res;
    int allowed = 1;

    if (cJSON_IsString(env) && strcmp(env->valuestring, ev->subject) != 0) {
        event_error_set(err, EVENT_BAD_ATTRIBUTE, "subject \"%s\" and data.environment \"%s\" differ",
                        ev->subject, env->valuestring);
        return RECORD_REJECT;
    }
    res = db_query(w->db,
                   "SELECT coalesce(config -> 'senders' -> $2, 'null')::text, config::text,"
                   " extract(epoch FROM clock_timestamp() - $3::timestamptz)"
                   " FROM environments WHERE name = $1",
                   3, params);
    if (res == NULL)
        return record_transient(w, err);
    if (PQntuples(res) == 0) {
        PQclear(res);
        event_error_set(err, EVENT_UNKNOWN_ENVIRONMENT, "unknown environment \"%s\"", ev->subject);
        return RECORD_REJECT;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "null") != 0)
        allowed = event_source_allowed(PQgetvalue(res, 0, 0), ev->source);
    outcome = record_check_signature(w, ev, rec, PQgetvalue(res, 0, 1),
                                     strtod(PQgetvalue(res, 0, 2), NULL), err);
    PQclear(res);
    if (outcome == RECORD_DONE && !allowed) {
        event_error_set(err, EVENT_NOT_ALLOWED, "source \"%s\" may not publish %s for %s",
                        ev->source, rec->topic, ev->subject);
        return RECORD_REJECT;
    }
    return outcome;
}

/* record_inbox - insert into the inbox; RECORD_DONE when new, else why not */
static enum record_outcome record_inbox(struct worker *w, const struct cloud_event *ev,
                                        const struct event_record *rec, int *redelivered,
                                        struct event_error *err)
{
    char partition[16], offset[32];
    const char *params[] = {ev->source, ev->id, ev->type, ev->subject, rec->topic,
                            partition, offset, w->spec->name};
    PGresult *res;

    snprintf(partition, sizeof(partition), "%d", (int)rec->partition);
    snprintf(offset, sizeof(offset), "%" PRId64, rec->offset);
    res = db_query(w->db,
                   "WITH ins AS (INSERT INTO inbox (source, id, type, subject, topic, partition,"
                   " \"offset\", consumer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                   " ON CONFLICT DO NOTHING RETURNING 1)"
                   " SELECT (SELECT count(*) FROM ins),"
                   " (SELECT topic = $5 AND partition = $6::int AND \"offset\" = $7::bigint"
                   "  FROM inbox WHERE source = $1 AND id = $2 AND consumer = $8)",
                   8, params);
    if (res == NULL)
        return record_transient(w, err);
    int inserted = atoi(PQgetvalue(res, 0, 0)) > 0;
    *redelivered = !inserted && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    if (inserted || *redelivered)
        return RECORD_DONE;
    event_error_set(err, EVENT_DUPLICATE, "duplicate event: source \"%s\" id \"%s\" was handled before",
                    ev->source, ev->id);
    return RECORD_REJECT;
}

/* record_find_handler - the handler for a topic */
static const struct worker_handler *record_find_handler(struct worker *w, const char *topic)
{
    for (size_t i = 0; i < w->spec->handler_count; i++) {
        if (strcmp(w->spec->handlers[i].topic, topic) == 0)
            return &w->spec->handlers[i];
    }
    return NULL;
}

/* record_handle - inbox and handler in one transaction */
static enum record_outcome record_handle(struct worker *w, const struct cloud_event *ev,
                                         const struct event_record *rec, struct event_error *err)
{
    const struct worker_handler *handler = record_find_handler(w, rec->topic);
    int redelivered = 0;
    enum record_outcome outcome;

    if (handler == NULL) {
        event_error_set(err, EVENT_WRONG_TOPIC, "worker %s does not consume %s", w->spec->name,
                        rec->topic);
        return RECORD_REJECT;
    }
    if (db_begin(w->db) != 0)
        return record_transient(w, err);
    outcome = record_check_environment(w, ev, rec, err);
    if (outcome == RECORD_DONE)
        outcome = record_inbox(w, ev, rec, &redelivered, err);
    if (outcome == RECORD_DONE && redelivered) {
        log_info("record seen before at this offset: skipped");
        w->skipped++;
        w->verdict = "skipped";
    } else if (outcome == RECORD_DONE && handler->handle(w, ev, err) != 0) {
        outcome = err->status == EVENT_INTERNAL && db_transient(w->db) ? RECORD_RETRY
                                                                       : RECORD_REJECT;
    } else if (outcome == RECORD_DONE && w->auth.is_command
               && worker_audit_add(w->db, &w->auth, ev, rec, "accepted", NULL, w->spec->name)
                      != 0) {
        outcome = record_transient(w, err);
    }
    if (outcome != RECORD_DONE) {
        db_rollback(w->db);
        return outcome;
    }
    return db_commit(w->db) == 0 ? RECORD_DONE : record_transient(w, err);
}

/* record_key - the record's key as text, for the dead letter's own key */
static void record_key(const struct event_record *rec, char *out, size_t out_len)
{
    size_t len = rec->key_len < out_len - 1 ? rec->key_len : out_len - 1;

    if (rec->key == NULL || len == 0 || !event_utf8_valid(rec->key, len)) {
        snprintf(out, out_len, "unknown");
        return;
    }
    memcpy(out, rec->key, len);
    out[len] = 0;
}

/* record_dead_letter - write the record and its reason to the dead-letter outbox */
static int record_dead_letter(struct worker *w, const struct event_record *rec,
                              const struct event_error *err)
{
    struct cloud_event dl;
    char key[128];
    char *value = event_dead_letter(rec, err);
    cJSON *data = value ? cJSON_Parse(value) : NULL;
    char *encoded = NULL;
    int rc = -1;

    free(value);
    record_key(rec, key, sizeof(key));
    if (data && event_create(&dl, "dead-letter", w->source, key, data) == 0) {
        encoded = event_encode(&dl);
        cloudevent_free(&dl);
    }
    if (encoded && outbox_add(w->db, "dead-letter", key, encoded) == 0) {
        w->emitted++;
        rc = 0;
    }
    free(encoded);
    return rc;
}

/* record_reject - log, count and dead-letter a record; a decoded event is
 * also kept in the inbox, so that the same record delivered again after a
 * crash is skipped instead of being judged again in a later state */
static enum record_outcome record_reject(struct worker *w, const struct event_record *rec,
                                         const struct cloud_event *ev,
                                         const struct event_error *err)
{
    struct event_error ignored;
    int redelivered = 0;

    log_warn("dead-letter %s[%d]@%lld: %s: %s", rec->topic, (int)rec->partition,
             (long long)rec->offset, event_status_code(err->status), err->message);
    w->dead_lettered++;
    w->verdict = "dead-lettered";
    if (db_begin(w->db) != 0)
        return RECORD_RETRY;
    if ((ev && record_inbox(w, ev, rec, &redelivered, &ignored) == RECORD_RETRY)
        || (ev && w->auth.is_command
            && worker_audit_add(w->db, &w->auth, ev, rec, "refused", err, w->spec->name) != 0)
        || record_dead_letter(w, rec, err) != 0 || db_commit(w->db) != 0) {
        db_rollback(w->db);
        return db_transient(w->db) ? RECORD_RETRY : RECORD_REJECT;
    }
    worker_metrics_dead_letter(rec->topic, event_status_code(err->status));
    return RECORD_DONE;
}

/* record_process - decode, check and handle one record */
static enum record_outcome record_process(struct worker *w, const struct event_record *rec)
{
    struct cloud_event ev;
    struct event_error err = {EVENT_OK, ""};
    enum record_outcome outcome = RECORD_REJECT;
    int decoded;

    memset(&ev, 0, sizeof(ev));
    memset(&w->auth, 0, sizeof(w->auth));
    decoded = event_decode(rec, (size_t)w->max_event_bytes, &ev, &err) == 0;
    if (decoded && schema_validate(w->schemas, rec->topic, ev.data, &err) == 0) {
        log_context_set(ev.subject, NULL, ev.id);
        outcome = record_handle(w, &ev, rec, &err);
    }
    if (outcome == RECORD_REJECT)
        outcome = record_reject(w, rec, decoded ? &ev : NULL, &err);
    else if (outcome == RECORD_RETRY)
        log_warn("record %s[%d]@%lld kept for retry: %s", rec->topic, (int)rec->partition,
                 (long long)rec->offset, err.message);
    cloudevent_free(&ev);
    return outcome;
}

/* worker_record_retry_later - back off before the kept record comes again */
static int worker_record_retry_later(struct worker *w)
{
    struct timeval delay = {w->retry_delay_ms / 1000, (w->retry_delay_ms % 1000) * 1000};

    w->retried++;
    worker_db_recover(w);
    evtimer_add(w->ev_retry, &delay);
    w->retry_delay_ms = w->retry_delay_ms * 2 > 5000 ? 5000 : w->retry_delay_ms * 2;
    return -1;
}

/* record_measured - record_process, counted and timed (metrics) */
static enum record_outcome record_measured(struct worker *w, const struct event_record *rec)
{
    double start = clock_mono_seconds();
    enum record_outcome outcome;

    if (!w->kept)
        worker_metrics_consumed(rec->topic);
    w->verdict = "handled";
    outcome = record_process(w, rec);
    w->kept = outcome == RECORD_RETRY;
    worker_metrics_record(rec->topic, w->kept ? NULL : w->verdict, clock_mono_seconds() - start);
    return outcome;
}

/* worker_record_cb - the consumer's callback: one record's whole path */
int worker_record_cb(rd_kafka_message_t *msg, void *arg)
{
    struct worker *w = arg;
    struct record_header headers[WORKER_MAX_HEADERS];
    struct event_record rec;
    enum record_outcome outcome;

    if (w->stopping)
        return -1;
    record_view(msg, headers, &rec);
    outcome = record_measured(w, &rec);
    log_context_clear();
    if (outcome == RECORD_RETRY)
        return worker_record_retry_later(w);
    w->retry_delay_ms = 100;
    if (outcome == RECORD_DONE)
        w->handled++;
    fault_point("after-commit");
    kafka_consumer_store(w->consumer, msg);
    worker_ticks_committed(w);
    worker_publish(w);
    worker_kick(w);
    return 0;
}
