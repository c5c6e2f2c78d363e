/*
 * event - CloudEvents 1.0 on Kafka: decode, check, encode.
 *
 * SYNOPSIS
 *	struct event_record rec = { topic, partition, offset, key, key_len,
 *	                            value, value_len, headers, header_count };
 *	struct cloud_event ev;
 *	struct event_error err;
 *	if (event_decode(&rec, max_bytes, &ev, &err) != 0)
 *		dead_letter(&rec, &err);	   (err.code, err.message)
 *	...
 *	cloudevent_free(&ev);
 *
 * DESCRIPTION
 *	Both content modes of the CloudEvents Kafka binding are accepted:
 *	structured (content-type: application/cloudevents+json, the whole
 *	event in the value) and binary (ce_* headers, the data in the value).
 *	The required attributes are those of DESIGN.md section 3: specversion
 *	"1.0", id, source, type, subject (the environment) and time (RFC 3339).
 *	type must be "cutover.<topic>" for one of the known topics. Events are
 *	emitted in structured mode. The extension attribute "cutoversig" (a
 *	signature, io/event_canon.h; header ce_cutoversig in binary mode) is
 *	optional, kept when decoded and written when set. Every failure fills a reason code (a short
 *	stable string such as "not-json") and a message for a human.
 */
#ifndef CUTOVER_EVENT_H
#define CUTOVER_EVENT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum event_status {
    EVENT_OK = 0,
    EVENT_TOO_LARGE,          /* "too-large" */
    EVENT_NOT_UTF8,           /* "not-utf8" */
    EVENT_NOT_JSON,           /* "not-json" */
    EVENT_NOT_CLOUDEVENT,     /* "not-cloudevent": not an object, or no attributes */
    EVENT_MISSING_ATTRIBUTE,  /* "missing-attribute" */
    EVENT_BAD_ATTRIBUTE,      /* "bad-attribute": wrong JSON type, empty */
    EVENT_BAD_SPECVERSION,    /* "bad-specversion" */
    EVENT_BAD_TIME,           /* "bad-time" */
    EVENT_UNKNOWN_TYPE,       /* "unknown-type" */
    EVENT_WRONG_TOPIC,        /* "wrong-topic": type does not belong on this topic */
    EVENT_SCHEMA,             /* "schema": data fails its JSON Schema */
    EVENT_UNKNOWN_ENVIRONMENT,/* "unknown-environment" */
    EVENT_DUPLICATE,          /* "duplicate" */
    EVENT_NOT_ALLOWED,        /* "not-allowed" */
    EVENT_REJECTED,           /* "rejected": a handler refused it */
    EVENT_INTERNAL,           /* "internal" */
    EVENT_UNSIGNED,           /* "unsigned": signatures required, none carried */
    EVENT_BAD_SIGNATURE,      /* "bad-signature": malformed, another namespace, does not verify */
    EVENT_UNKNOWN_SIGNER,     /* "unknown-signer": a key not among the environment's signers */
    EVENT_NOT_AUTHORIZED,     /* "not-authorized": the signer's roles do not allow the action */
    EVENT_EXPIRED,            /* "expired": time older than the window or beyond the skew */
    EVENT_REPLAYED,           /* "replayed": (signer, id) seen before at another position */
};

struct event_error {
    enum event_status status;
    char message[512];
};

const char *event_status_code(enum event_status status);
/* event_error_set - fill err; returns -1 so that callers can "return event_error_set(...)" */
int event_error_set(struct event_error *err, enum event_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct record_header {
    const char *name;
    const void *value; /* may be NULL */
    size_t value_len;
};

/* A Kafka record as received; nothing here is owned. */
struct event_record {
    const char *topic; /* without the configured prefix */
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const struct record_header *headers;
    size_t header_count;
};

struct cloud_event {
    char *specversion;
    char *id;
    char *source;
    char *type;
    char *subject;
    char *time;
    char *datacontenttype; /* may be NULL */
    char *cutoversig;      /* the signature extension attribute (io/event_canon.h); may be NULL */
    cJSON *data;           /* may be NULL; owned */
};

/* The topic names of DESIGN.md section 2, NULL-terminated. */
extern const char *const event_topics[];
size_t event_topic_count(void); /* how many event_topics names */
int event_topic_known(const char *topic);

int event_decode(const struct event_record *rec, size_t max_bytes, struct cloud_event *out,
                 struct event_error *err);
/* cloudevent_free - not event_free: libevent owns that name */
void cloudevent_free(struct cloud_event *ev);

/* event_create - a new event of type "cutover.<topic>" with a fresh uuid id and
 * the current time; takes ownership of data. */
int event_create(struct cloud_event *ev, const char *topic, const char *source,
                 const char *subject, cJSON *data);
/* event_source_allowed - whether source may publish under an environment's
 * senders entry for a topic: patterns is that entry as JSON text (an
 * array of shell wildcards; "" or "null": anyone may) */
int event_source_allowed(const char *patterns, const char *source);

/* event_encode - structured mode JSON; caller frees with free() */
char *event_encode(const struct cloud_event *ev);

/* The most headers event_binary_headers() fills. */
#define EVENT_BINARY_HEADERS_MAX 8

/* event_binary_headers - the event's attributes as the binary mode's headers
 * (ce_* and content-type for datacontenttype) into out; their count. The
 * values point into ev; the record's value is the data (cJSON_PrintUnformatted). */
size_t event_binary_headers(const struct cloud_event *ev,
                            struct record_header out[EVENT_BINARY_HEADERS_MAX]);

/* event_dead_letter - the dead-letter value for a record: topic, partition,
 * offset, key, headers and value as received (text when UTF-8, else base64),
 * and error {code, message}. Caller frees with free(). */
char *event_dead_letter(const struct event_record *rec, const struct event_error *err);

/* event_mode_binary - 1 when the record uses the binary content mode */
int event_mode_binary(const struct event_record *rec);

/* Helpers shared with the rest of the runtime. */
int event_utf8_valid(const void *buf, size_t len);
int event_time_valid(const char *rfc3339);
void event_uuid4(char out[37]);

#endif
