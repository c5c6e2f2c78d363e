/*
 * event - CloudEvents 1.0 on Kafka: decode, check, encode (see event.h).
 *
 * SYNOPSIS
 *	#include "io/event.h"
 *
 *	event_decode(&rec, max_bytes, &ev, &err);
 *	event_create(&ev, "green-scaled", source, environment, data);
 *	json = event_encode(&ev);
 *	json = event_dead_letter(&rec, &err);
 *	cloudevent_free(&ev);
 *
 * DESCRIPTION
 *	event_decode() checks a Kafka record in a fixed order, so that the
 *	reason a record is refused does not depend on chance: too-large,
 *	not-utf8 (the value and the headers it reads: content-type and ce_*),
 *	not-json, not-cloudevent, each required attribute in the order
 *	specversion, id, source, type, subject, time (missing-attribute,
 *	bad-attribute), bad-specversion, bad-time, unknown-type, wrong-topic,
 *	and last the shape of the data (a JSON object when present, else a
 *	schema error). The data itself is checked later, against its schema.
 *
 *	A record that carries neither the structured content-type nor any
 *	ce_ header is read as a structured event: producers such as kcat send
 *	no headers at all.
 *
 *	event_dead_letter() keeps the record as received: text where it is
 *	UTF-8, base64 elsewhere. The copied value is capped at
 *	EVENT_DEAD_LETTER_VALUE_MAX bytes ("value_truncated": true beyond);
 *	value_size always gives the full size.
 */
#include "io/event.h"
#include "io/event_canon.h"

#include <ctype.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The largest value a dead letter copies; past it the value is cut. */
#define EVENT_DEAD_LETTER_VALUE_MAX (8 * 1024 * 1024) /* the largest record a worker fetches; base64 of it fits a 16 MiB dead letter */

#define EVENT_STRUCTURED_TYPE "application/cloudevents+json"
#define EVENT_TYPE_PREFIX "cutover."

const char *const event_topics[] = {
    "build-ready",     "green-scaled",    "green-deployed",    "green-validated", "shift-requested",
    "traffic-shifted", "alarm-fired",     "deployment-status", "dead-letter",     "schema-migrated",
    NULL,
};

static const char *const event_status_codes[] = {
    [EVENT_OK] = "ok",
    [EVENT_TOO_LARGE] = "too-large",
    [EVENT_NOT_UTF8] = "not-utf8",
    [EVENT_NOT_JSON] = "not-json",
    [EVENT_NOT_CLOUDEVENT] = "not-cloudevent",
    [EVENT_MISSING_ATTRIBUTE] = "missing-attribute",
    [EVENT_BAD_ATTRIBUTE] = "bad-attribute",
    [EVENT_BAD_SPECVERSION] = "bad-specversion",
    [EVENT_BAD_TIME] = "bad-time",
    [EVENT_UNKNOWN_TYPE] = "unknown-type",
    [EVENT_WRONG_TOPIC] = "wrong-topic",
    [EVENT_SCHEMA] = "schema",
    [EVENT_UNKNOWN_ENVIRONMENT] = "unknown-environment",
    [EVENT_DUPLICATE] = "duplicate",
    [EVENT_NOT_ALLOWED] = "not-allowed",
    [EVENT_REJECTED] = "rejected",
    [EVENT_INTERNAL] = "internal",
    [EVENT_UNSIGNED] = "unsigned",
    [EVENT_BAD_SIGNATURE] = "bad-signature",
    [EVENT_UNKNOWN_SIGNER] = "unknown-signer",
    [EVENT_NOT_AUTHORIZED] = "not-authorized",
    [EVENT_EXPIRED] = "expired",
    [EVENT_REPLAYED] = "replayed",
};

/* The required attributes, in the order they are checked. */
enum { EVENT_ATTR_COUNT = 6 };
static const char *const event_attr_names[EVENT_ATTR_COUNT] = {
    "specversion", "id", "source", "type", "subject", "time",
};
/* The same in binary mode's headers. */
static const char *const event_attr_headers[EVENT_ATTR_COUNT] = {
    "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time",
};

/* event_attr_slot - the field of ev that holds required attribute i */
static char **event_attr_slot(struct cloud_event *ev, int i)
{
    char **slots[EVENT_ATTR_COUNT] = {
        &ev->specversion, &ev->id, &ev->source, &ev->type, &ev->subject, &ev->time,
    };
    return slots[i];
}

/* event_status_code - the short stable string of a status */
const char *event_status_code(enum event_status status)
{
    if ((size_t)status >= sizeof(event_status_codes) / sizeof(event_status_codes[0])
        || event_status_codes[status] == NULL)
        return "unknown";
    return event_status_codes[status];
}

/* event_error_set - fill err; returns -1 for "return event_error_set(...)" */
int event_error_set(struct event_error *err, enum event_status status, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* event_topic_count - how many topics event_topics names */
size_t event_topic_count(void)
{
    size_t n = 0;

    while (event_topics[n])
        n++;
    return n;
}

/* event_topic_known - 1 when topic is one of DESIGN.md section 2 */
int event_topic_known(const char *topic)
{
    if (topic == NULL)
        return 0;
    for (size_t i = 0; event_topics[i] != NULL; i++)
        if (strcmp(event_topics[i], topic) == 0)
            return 1;
    return 0;
}

/* event_utf8_sequence - length of the valid UTF-8 sequence at s, 0 if invalid */
static size_t event_utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned long cp, min;
    size_t n;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* event_utf8_valid - 1 when buf holds well-formed UTF-8 (no overlongs, no surrogates) */
int event_utf8_valid(const void *buf, size_t len)
{
    const unsigned char *s = buf;
    size_t i = 0;

    if (len > 0 && s == NULL)
        return 0;
    while (i < len) {
        size_t n = event_utf8_sequence(s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* event_time_digits - parse exactly n decimal digits at s */
static int event_time_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* event_time_days - days in month mo of year y */
static int event_time_days(int y, int mo)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return mo == 2 && leap ? 29 : days[mo - 1];
}

/* event_time_offset - check the zone part: Z, +hh:mm or -hh:mm, then the end */
static int event_time_offset(const char *s)
{
    int hh, mm;

    if (*s == 'Z' || *s == 'z')
        return s[1] == '\0';
    if (*s != '+' && *s != '-')
        return 0;
    if (event_time_digits(s + 1, 2, &hh) != 0 || s[3] != ':'
        || event_time_digits(s + 4, 2, &mm) != 0 || s[6] != '\0')
        return 0;
    return hh < 24 && mm < 60;
}

/* event_time_valid - 1 when t is an RFC 3339 date-time with valid ranges */
int event_time_valid(const char *t)
{
    int y, mo, d, h, mi, s;

    if (t == NULL || strnlen(t, 64) >= 64)
        return 0;
    if (event_time_digits(t, 4, &y) || t[4] != '-' || event_time_digits(t + 5, 2, &mo)
        || t[7] != '-' || event_time_digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't')
        || event_time_digits(t + 11, 2, &h) || t[13] != ':' || event_time_digits(t + 14, 2, &mi)
        || t[16] != ':' || event_time_digits(t + 17, 2, &s))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > event_time_days(y, mo) || h > 23 || mi > 59 || s > 60)
        return 0;
    t += 19;
    if (*t == '.') {
        if (!isdigit((unsigned char)t[1]))
            return 0;
        for (t++; isdigit((unsigned char)*t); t++)
            ;
    }
    return event_time_offset(t);
}

/* event_uuid4 - a random (version 4) UUID in its 36-character text form */
void event_uuid4(char out[37])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        /* The CSPRNG failing is an environment fault; ids must stay unique. */
        fprintf(stderr, "{\"level\":\"panic\",\"msg\":\"event_uuid4: RAND_bytes failed\"}\n");
        abort();
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* event_time_now - the current time, RFC 3339 UTC with milliseconds */
static void event_time_now(char *out, size_t out_len)
{
    struct timespec ts;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, out_len, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000);
}

/* event_json_parse - parse exactly len bytes of JSON (trailing whitespace allowed) */
static cJSON *event_json_parse(const void *buf, size_t len)
{
    const char *text = buf, *end = NULL;
    cJSON *json;

    if (len == 0 || text == NULL)
        return NULL;
    json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (json == NULL)
        return NULL;
    while (end < text + len && isspace((unsigned char)*end))
        end++;
    if (end != text + len) {
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

/* event_header_read - the header the binding reads: content-type or ce_* */
static int event_header_read(const struct record_header *h)
{
    return h->name != NULL
        && (strcasecmp(h->name, "content-type") == 0 || strncasecmp(h->name, "ce_", 3) == 0);
}

/* event_header_find - the first header named name (case-insensitive), or NULL */
static const struct record_header *event_header_find(const struct event_record *rec,
                                                     const char *name)
{
    for (size_t i = 0; i < rec->header_count; i++)
        if (rec->headers[i].name != NULL && strcasecmp(rec->headers[i].name, name) == 0)
            return &rec->headers[i];
    return NULL;
}

/* event_check_utf8 - the value and the headers the binding reads must be UTF-8 */
static int event_check_utf8(const struct event_record *rec, struct event_error *err)
{
    if (!event_utf8_valid(rec->value, rec->value_len))
        return event_error_set(err, EVENT_NOT_UTF8, "value is not valid UTF-8");
    for (size_t i = 0; i < rec->header_count; i++) {
        const struct record_header *h = &rec->headers[i];
        if (event_header_read(h) && !event_utf8_valid(h->value, h->value_len))
            return event_error_set(err, EVENT_NOT_UTF8, "header \"%s\" is not valid UTF-8",
                                   h->name);
    }
    return 0;
}

/* event_mode_binary - 1 when the record uses the binary content mode */
int event_mode_binary(const struct event_record *rec)
{
    const struct record_header *ct = event_header_find(rec, "content-type");

    if (ct != NULL && ct->value != NULL && ct->value_len >= strlen(EVENT_STRUCTURED_TYPE)
        && strncasecmp(ct->value, EVENT_STRUCTURED_TYPE, strlen(EVENT_STRUCTURED_TYPE)) == 0)
        return 0;
    for (size_t i = 0; i < rec->header_count; i++)
        if (rec->headers[i].name != NULL && strncasecmp(rec->headers[i].name, "ce_", 3) == 0)
            return 1;
    return 0;
}

/* event_attr_json - copy attribute name of a structured event into *slot */
static int event_attr_json(const cJSON *root, const char *name, char **slot,
                           struct event_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

    if (item == NULL)
        return event_error_set(err, EVENT_MISSING_ATTRIBUTE, "missing required attribute \"%s\"",
                               name);
    if (!cJSON_IsString(item))
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "attribute \"%s\" must be a string",
                               name);
    if (item->valuestring[0] == '\0')
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "attribute \"%s\" is empty", name);
    if ((*slot = strdup(item->valuestring)) == NULL)
        return event_error_set(err, EVENT_INTERNAL, "out of memory");
    return 0;
}

/* event_attr_header - copy the value of header name into *slot */
static int event_attr_header(const struct event_record *rec, const char *name, char **slot,
                             struct event_error *err)
{
    const struct record_header *h = event_header_find(rec, name);

    if (h == NULL)
        return event_error_set(err, EVENT_MISSING_ATTRIBUTE,
                               "missing required attribute \"%s\" (header \"%s\")", name + 3,
                               name);
    if (h->value == NULL || h->value_len == 0)
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "header \"%s\" is empty", name);
    if (memchr(h->value, '\0', h->value_len) != NULL)
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "header \"%s\" contains a NUL byte",
                               name);
    if ((*slot = strndup(h->value, h->value_len)) == NULL)
        return event_error_set(err, EVENT_INTERNAL, "out of memory");
    return 0;
}

/* event_optional_json - copy optional attribute name (absent or null: left NULL) */
static int event_optional_json(const cJSON *root, const char *name, char **slot,
                               struct event_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

    if (item == NULL || cJSON_IsNull(item))
        return 0;
    return event_attr_json(root, name, slot, err);
}

/* event_optional_header - copy optional header name (absent or empty: left NULL) */
static int event_optional_header(const struct event_record *rec, const char *name, char **slot,
                                 struct event_error *err)
{
    const struct record_header *h = event_header_find(rec, name);

    if (h == NULL || h->value == NULL || h->value_len == 0)
        return 0;
    return event_attr_header(rec, name, slot, err);
}

/* event_check_attributes - specversion, time, type and topic of a decoded event */
static int event_check_attributes(const struct event_record *rec, const struct cloud_event *ev,
                                  struct event_error *err)
{
    const char *topic;

    if (strcmp(ev->specversion, "1.0") != 0)
        return event_error_set(err, EVENT_BAD_SPECVERSION,
                               "specversion is \"%.64s\", only \"1.0\" is accepted",
                               ev->specversion);
    if (!event_time_valid(ev->time))
        return event_error_set(err, EVENT_BAD_TIME, "time \"%.64s\" is not an RFC 3339 date-time",
                               ev->time);
    topic = ev->type + strlen(EVENT_TYPE_PREFIX);
    if (strncmp(ev->type, EVENT_TYPE_PREFIX, strlen(EVENT_TYPE_PREFIX)) != 0
        || !event_topic_known(topic))
        return event_error_set(err, EVENT_UNKNOWN_TYPE,
                               "type \"%.128s\" is not cutover.<topic> for a known topic",
                               ev->type);
    if (rec->topic != NULL && strcmp(rec->topic, topic) != 0)
        return event_error_set(err, EVENT_WRONG_TOPIC,
                               "type \"%.128s\" does not belong on topic \"%.128s\"", ev->type,
                               rec->topic);
    return 0;
}

/* event_check_data - cutover data is a JSON object when present */
static int event_check_data(const struct cloud_event *ev, struct event_error *err)
{
    if (ev->data != NULL && !cJSON_IsObject(ev->data))
        return event_error_set(err, EVENT_SCHEMA, "data must be a JSON object");
    return 0;
}

/* event_base64_decode - decode text into a new buffer; NULL when not base64 */
static unsigned char *event_base64_decode(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    unsigned char *buf;
    int n;

    if (len % 4 != 0 || len > (size_t)INT32_MAX)
        return NULL;
    if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
        return NULL;
    n = len == 0 ? 0 : EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    if (len > 0 && text[len - 1] == '=')
        n--;
    if (len > 1 && text[len - 2] == '=')
        n--;
    *out_len = (size_t)n;
    return buf;
}

/* event_data_base64 - the data of a data_base64 attribute, parsed as JSON */
static int event_data_base64(const cJSON *item, struct cloud_event *ev, struct event_error *err)
{
    unsigned char *bytes;
    size_t len = 0;

    if (!cJSON_IsString(item))
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "attribute \"data_base64\" must be a string");
    if ((bytes = event_base64_decode(item->valuestring, &len)) == NULL)
        return event_error_set(err, EVENT_BAD_ATTRIBUTE, "attribute \"data_base64\" is not base64");
    if (!event_utf8_valid(bytes, len)) {
        free(bytes);
        return event_error_set(err, EVENT_NOT_UTF8, "data_base64 does not decode to UTF-8");
    }
    ev->data = event_json_parse(bytes, len);
    free(bytes);
    if (ev->data == NULL && len > 0)
        return event_error_set(err, EVENT_NOT_JSON, "data_base64 does not decode to JSON");
    return 0;
}

/* event_take_data - move data (or decoded data_base64) of root into ev */
static int event_take_data(cJSON *root, struct cloud_event *ev, struct event_error *err)
{
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(root, "data_base64");
    cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");

    if (data != NULL && b64 != NULL)
        return event_error_set(err, EVENT_BAD_ATTRIBUTE,
                               "attributes \"data\" and \"data_base64\" exclude each other");
    if (b64 != NULL)
        return event_data_base64(b64, ev, err);
    if (data != NULL && !cJSON_IsNull(data))
        ev->data = cJSON_DetachItemViaPointer(root, data);
    return 0;
}

/* event_has_attribute - 1 when root carries any CloudEvents context attribute */
static int event_has_attribute(const cJSON *root)
{
    for (int i = 0; i < EVENT_ATTR_COUNT; i++)
        if (cJSON_GetObjectItemCaseSensitive(root, event_attr_names[i]) != NULL)
            return 1;
    return cJSON_GetObjectItemCaseSensitive(root, "datacontenttype") != NULL;
}

/* event_decode_structured - the whole event in the value */
static int event_decode_structured(const struct event_record *rec, struct cloud_event *ev,
                                   struct event_error *err)
{
    cJSON *root;
    int rc = -1;

    if ((root = event_json_parse(rec->value, rec->value_len)) == NULL)
        return event_error_set(err, EVENT_NOT_JSON, "value is not JSON");
    if (!cJSON_IsObject(root) || !event_has_attribute(root)) {
        event_error_set(err, EVENT_NOT_CLOUDEVENT, "value is not a CloudEvent: %s",
                        cJSON_IsObject(root) ? "no CloudEvents attributes" : "not a JSON object");
        goto out;
    }
    for (int i = 0; i < EVENT_ATTR_COUNT; i++)
        if (event_attr_json(root, event_attr_names[i], event_attr_slot(ev, i), err) != 0)
            goto out;
    if (event_optional_json(root, "datacontenttype", &ev->datacontenttype, err) != 0
        || event_optional_json(root, EVENT_CANON_SIGNATURE_ATTRIBUTE, &ev->cutoversig, err) != 0)
        goto out;
    if (event_check_attributes(rec, ev, err) != 0 || event_take_data(root, ev, err) != 0)
        goto out;
    rc = event_check_data(ev, err);
out:
    cJSON_Delete(root);
    return rc;
}

/* event_decode_binary - attributes in ce_* headers, the data in the value */
static int event_decode_binary(const struct event_record *rec, struct cloud_event *ev,
                               struct event_error *err)
{
    if (rec->value_len > 0 && (ev->data = event_json_parse(rec->value, rec->value_len)) == NULL)
        return event_error_set(err, EVENT_NOT_JSON, "value is not JSON");
    for (int i = 0; i < EVENT_ATTR_COUNT; i++)
        if (event_attr_header(rec, event_attr_headers[i], event_attr_slot(ev, i), err) != 0)
            return -1;
    if (event_optional_header(rec, "content-type", &ev->datacontenttype, err) != 0
        || event_optional_header(rec, EVENT_CANON_SIGNATURE_HEADER, &ev->cutoversig, err) != 0)
        return -1;
    if (ev->data != NULL && cJSON_IsNull(ev->data)) {
        cJSON_Delete(ev->data);
        ev->data = NULL;
    }
    if (event_check_attributes(rec, ev, err) != 0)
        return -1;
    return event_check_data(ev, err);
}

/* event_decode - check a record and decode its event into out */
int event_decode(const struct event_record *rec, size_t max_bytes, struct cloud_event *out,
                 struct event_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (err != NULL) {
        err->status = EVENT_OK;
        err->message[0] = '\0';
    }
    if (rec->value_len > max_bytes)
        return event_error_set(err, EVENT_TOO_LARGE, "value is %zu bytes, limit is %zu",
                               rec->value_len, max_bytes);
    if (event_check_utf8(rec, err) != 0)
        return -1;
    if (event_mode_binary(rec))
        rc = event_decode_binary(rec, out, err);
    else
        rc = event_decode_structured(rec, out, err);
    if (rc != 0)
        cloudevent_free(out);
    return rc;
}

/* cloudevent_free - release what an event owns; safe on a zeroed event */
void cloudevent_free(struct cloud_event *ev)
{
    if (ev == NULL)
        return;
    free(ev->specversion);
    free(ev->id);
    free(ev->source);
    free(ev->type);
    free(ev->subject);
    free(ev->time);
    free(ev->datacontenttype);
    free(ev->cutoversig);
    cJSON_Delete(ev->data);
    memset(ev, 0, sizeof(*ev));
}

/* event_create - a new event "cutover.<topic>"; takes data, even on failure */
int event_create(struct cloud_event *ev, const char *topic, const char *source,
                 const char *subject, cJSON *data)
{
    char id[37], now[40], type[128];

    memset(ev, 0, sizeof(*ev));
    if (!event_topic_known(topic) || source == NULL || subject == NULL) {
        cJSON_Delete(data);
        return -1;
    }
    event_uuid4(id);
    event_time_now(now, sizeof(now));
    snprintf(type, sizeof(type), EVENT_TYPE_PREFIX "%s", topic);
    ev->data = data;
    ev->specversion = strdup("1.0");
    ev->id = strdup(id);
    ev->source = strdup(source);
    ev->type = strdup(type);
    ev->subject = strdup(subject);
    ev->time = strdup(now);
    ev->datacontenttype = strdup("application/json");
    if (!ev->specversion || !ev->id || !ev->source || !ev->type || !ev->subject || !ev->time
        || !ev->datacontenttype) {
        cloudevent_free(ev);
        return -1;
    }
    return 0;
}

/* event_source_allowed - source matches one of the patterns (a JSON
 * array of shell wildcards); no list means anyone may send */
int event_source_allowed(const char *patterns, const char *source)
{
    cJSON *list = *patterns ? cJSON_Parse(patterns) : NULL;
    const cJSON *pattern;
    int allowed = !cJSON_IsArray(list);

    cJSON_ArrayForEach(pattern, list)
    {
        if (cJSON_IsString(pattern) && fnmatch(pattern->valuestring, source, 0) == 0)
            allowed = 1;
    }
    cJSON_Delete(list);
    return allowed;
}

/* event_encode - the event in structured mode; caller frees */
char *event_encode(const struct cloud_event *ev)
{
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;

    if (root == NULL)
        return NULL;
    for (int i = 0; i < EVENT_ATTR_COUNT; i++) {
        const char *v = *event_attr_slot((struct cloud_event *)ev, i);
        if (v == NULL || cJSON_AddStringToObject(root, event_attr_names[i], v) == NULL)
            goto out;
    }
    if (ev->datacontenttype != NULL
        && cJSON_AddStringToObject(root, "datacontenttype", ev->datacontenttype) == NULL)
        goto out;
    if (ev->cutoversig != NULL
        && cJSON_AddStringToObject(root, EVENT_CANON_SIGNATURE_ATTRIBUTE, ev->cutoversig) == NULL)
        goto out;
    if (ev->data != NULL)
        cJSON_AddItemReferenceToObject(root, "data", ev->data);
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}

/* event_binary_headers - ce_* headers, content-type and ce_cutoversig when set */
size_t event_binary_headers(const struct cloud_event *ev,
                            struct record_header out[EVENT_BINARY_HEADERS_MAX])
{
    const char *optional[][2] = {
        {"content-type", ev->datacontenttype},
        {EVENT_CANON_SIGNATURE_HEADER, ev->cutoversig},
    };
    size_t n = 0;

    for (int i = 0; i < EVENT_ATTR_COUNT; i++) {
        const char *v = *event_attr_slot((struct cloud_event *)ev, i);
        out[n++] = (struct record_header){event_attr_headers[i], v, v ? strlen(v) : 0};
    }
    for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
        if (optional[i][1] != NULL)
            out[n++] = (struct record_header){optional[i][0], optional[i][1],
                                              strlen(optional[i][1])};
    return n;
}

/* event_base64_encode - base64 of buf, one line, no newlines; caller frees */
static char *event_base64_encode(const void *buf, size_t len)
{
    char *out;

    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
    return out;
}

/* event_add_bytes - add buf as name (text when UTF-8) or name_base64 */
static int event_add_bytes(cJSON *obj, const char *name, const void *buf, size_t len)
{
    char key[64], *text;
    cJSON *item;

    if (event_utf8_valid(buf, len) && (len == 0 || memchr(buf, '\0', len) == NULL)) {
        if ((text = strndup(len ? buf : "", len)) == NULL)
            return -1;
        item = cJSON_AddStringToObject(obj, name, text);
    } else {
        snprintf(key, sizeof(key), "%s_base64", name);
        if ((text = event_base64_encode(buf, len)) == NULL)
            return -1;
        item = cJSON_AddStringToObject(obj, key, text);
    }
    free(text);
    return item == NULL ? -1 : 0;
}

/* event_add_headers - the record's headers as [{name, value | value_base64}] */
static int event_add_headers(cJSON *root, const struct event_record *rec)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "headers");

    if (arr == NULL)
        return -1;
    for (size_t i = 0; i < rec->header_count; i++) {
        const struct record_header *h = &rec->headers[i];
        cJSON *obj = cJSON_CreateObject();
        if (obj == NULL)
            return -1;
        cJSON_AddItemToArray(arr, obj);
        if (cJSON_AddStringToObject(obj, "name", h->name ? h->name : "") == NULL)
            return -1;
        if (h->value == NULL)
            cJSON_AddNullToObject(obj, "value");
        else if (event_add_bytes(obj, "value", h->value, h->value_len) != 0)
            return -1;
    }
    return 0;
}

/* event_add_record - topic, partition, offset, key and value of the record */
static int event_add_record(cJSON *root, const struct event_record *rec)
{
    size_t kept = rec->value_len;

    if (kept > EVENT_DEAD_LETTER_VALUE_MAX)
        kept = EVENT_DEAD_LETTER_VALUE_MAX;
    if (cJSON_AddStringToObject(root, "topic", rec->topic ? rec->topic : "") == NULL
        || cJSON_AddNumberToObject(root, "partition", rec->partition) == NULL
        || cJSON_AddNumberToObject(root, "offset", (double)rec->offset) == NULL)
        return -1;
    if (rec->key == NULL)
        cJSON_AddNullToObject(root, "key");
    else if (event_add_bytes(root, "key", rec->key, rec->key_len) != 0)
        return -1;
    if (event_add_headers(root, rec) != 0)
        return -1;
    if (rec->value == NULL)
        cJSON_AddNullToObject(root, "value");
    else if (event_add_bytes(root, "value", rec->value, kept) != 0)
        return -1;
    if (kept < rec->value_len)
        cJSON_AddTrueToObject(root, "value_truncated");
    return cJSON_AddNumberToObject(root, "value_size", (double)rec->value_len) ? 0 : -1;
}

/* event_dead_letter - the dead-letter value for a record; caller frees */
char *event_dead_letter(const struct event_record *rec, const struct event_error *err)
{
    cJSON *root = cJSON_CreateObject(), *error;
    char now[40], *text = NULL;

    if (root == NULL || event_add_record(root, rec) != 0)
        goto out;
    if ((error = cJSON_AddObjectToObject(root, "error")) == NULL
        || cJSON_AddStringToObject(error, "code", event_status_code(err->status)) == NULL
        || cJSON_AddStringToObject(error, "message", err->message) == NULL)
        goto out;
    event_time_now(now, sizeof(now));
    if (cJSON_AddStringToObject(root, "received_at", now) == NULL)
        goto out;
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}
