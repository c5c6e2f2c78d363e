/*
 * test_event_fuzz - seeded mutations of valid records through the path
 *                   every worker takes: decode, schema, dead letter.
 *
 * DESCRIPTION
 *	The seeds are the valid examples of schemas/examples/<topic>/, each
 *	wrapped as a structured CloudEvent and as a binary one (ce_* headers).
 *	Each round mutates a seed one to four times (bit flips, bytes set to
 *	JSON's special characters or to invalid UTF-8, truncation, a span
 *	deleted, duplicated or inserted at random; in binary mode also a
 *	header's value or name) and runs event_decode() and schema_validate()
 *	as the worker skeleton does. Either the event is accepted with every
 *	required attribute sane, or it fails with a reason code and a message
 *	and its dead letter is valid JSON carrying that code. Nothing may
 *	crash (make sanitize runs this under ASan and UBSan). The mix must
 *	produce both outcomes and several distinct reasons, or the mutations
 *	test nothing.
 *
 *	FUZZ_ITERATIONS (default 40000) sets the rounds per mode; FUZZ_SEED
 *	the generator's seed (default fixed, so that a failure repeats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/share.h"
#include "io/event.h"
#include "io/schema.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_SEEDS 64
#define FUZZ_MAX_VALUE 8192
#define FUZZ_MAX_BYTES (64 * 1024)
#define FUZZ_HEADERS 7

/* One valid record to mutate: its topic, its structured value, its data alone. */
struct fuzz_seed {
    char topic[32];
    char *structured;
    char *data;
};

/* What the rounds of one mode saw. */
struct fuzz_tally {
    long accepted;
    long rejected;
    int codes_seen[EVENT_INTERNAL + 1];
};

static struct schema_registry *registry;
static struct fuzz_seed seeds[FUZZ_MAX_SEEDS];
static size_t seed_count;
static uint64_t rng_state;

/* rng - xorshift64* */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* rng_below - uniform enough in 0..n-1 (n > 0) */
static size_t rng_below(size_t n)
{
    return (size_t)(rng() % n);
}

/* env_long - a positive integer from the environment, or fallback */
static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    long n = v ? strtol(v, NULL, 10) : 0;

    return n > 0 ? n : fallback;
}

/* seed_add - wrap one example's data as a structured event of topic */
static void seed_add(const char *topic, cJSON *data)
{
    struct fuzz_seed *s = &seeds[seed_count++];
    cJSON *ev = cJSON_CreateObject();
    char type[64];

    snprintf(type, sizeof(type), "cutover.%s", topic);
    snprintf(s->topic, sizeof(s->topic), "%s", topic);
    s->data = cJSON_PrintUnformatted(data);
    cJSON_AddStringToObject(ev, "specversion", "1.0");
    cJSON_AddStringToObject(ev, "id", "f-1");
    cJSON_AddStringToObject(ev, "source", "fuzz://seed");
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddStringToObject(ev, "subject", "shop");
    cJSON_AddStringToObject(ev, "time", "2026-11-28T08:00:00.5Z");
    cJSON_AddItemToObject(ev, "data", data);
    s->structured = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
}

/* seeds_load_topic - the valid examples of one topic */
static void seeds_load_topic(const char *examples, const char *topic)
{
    char dir[PATH_MAX + 64], path[PATH_MAX + 384], err[256];
    struct dirent *de;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/%s", examples, topic);
    if ((d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL && seed_count < FUZZ_MAX_SEEDS) {
        cJSON *data;
        if (strncmp(de->d_name, "valid-", 6) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if ((data = json_file_read(path, FUZZ_MAX_VALUE, err, sizeof(err))) != NULL)
            seed_add(topic, data);
    }
    closedir(d);
}

/* setup - the schemas and the seeds of every topic */
static int setup(void **state)
{
    char schemas[PATH_MAX], examples[PATH_MAX], err[256];

    (void)state;
    rng_state = (uint64_t)env_long("FUZZ_SEED", 20261128);
    if (share_path("schemas", schemas, sizeof(schemas)) != 0 ||
        share_path("schemas/examples", examples, sizeof(examples)) != 0 ||
        (registry = schema_registry_load(schemas, err, sizeof(err))) == NULL)
        return -1;
    for (size_t i = 0; event_topics[i] != NULL; i++)
        seeds_load_topic(examples, event_topics[i]);
    return seed_count >= 10 ? 0 : -1;
}

/* teardown - free the seeds and the schemas */
static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < seed_count; i++) {
        cJSON_free(seeds[i].structured);
        cJSON_free(seeds[i].data);
    }
    schema_registry_free(registry);
    return 0;
}

/* mutate_once - one random edit of buf[0..*len) (capacity cap) */
static void mutate_once(unsigned char *buf, size_t *len, size_t cap)
{
    static const unsigned char special[] = "{}[]\":,\\ 0e-.\x00\x80\xc3\xff\xed\xa0";
    size_t at = *len ? rng_below(*len) : 0, span = 1 + rng_below(16);

    switch (rng_below(7)) {
    case 0: if (*len) buf[at] ^= (unsigned char)(1u << rng_below(8)); break;
    case 1: if (*len) buf[at] = (unsigned char)rng(); break;
    case 2: if (*len) buf[at] = special[rng_below(sizeof(special) - 1)]; break;
    case 3: *len = at; break;
    case 4: /* delete a span */
        span = span > *len - at ? *len - at : span;
        memmove(buf + at, buf + at + span, *len - at - span);
        *len -= span;
        break;
    case 5: /* duplicate a span */
        span = span > *len - at ? *len - at : span;
        if (*len + span <= cap) {
            memmove(buf + at + span, buf + at, *len - at);
            *len += span;
        }
        break;
    default: /* insert random bytes */
        if (*len + span <= cap) {
            memmove(buf + at + span, buf + at, *len - at);
            for (size_t i = 0; i < span; i++)
                buf[at + i] = (unsigned char)rng();
            *len += span;
        }
        break;
    }
}

/* mutate - one to four edits of a copy of text into buf; the new length */
static size_t mutate(const char *text, unsigned char *buf, size_t cap)
{
    size_t len = strlen(text);
    int edits = 1 + (int)rng_below(4);

    memcpy(buf, text, len);
    while (edits-- > 0)
        mutate_once(buf, &len, cap);
    return len;
}

/* accepted_sane - an accepted event has every required attribute, sane */
static void accepted_sane(const struct cloud_event *ev, const char *topic)
{
    char type[64];

    snprintf(type, sizeof(type), "cutover.%s", topic);
    assert_non_null(ev->id);
    assert_non_null(ev->source);
    assert_non_null(ev->subject);
    assert_string_equal(ev->specversion, "1.0");
    assert_string_equal(ev->type, type);
    assert_true(event_time_valid(ev->time));
}

/* rejected_sane - a rejection has a code, a message and a dead letter that says so */
static void rejected_sane(const struct event_record *rec, const struct event_error *err)
{
    char *letter;
    cJSON *doc;
    const cJSON *code;

    assert_int_not_equal(err->status, EVENT_OK);
    assert_true(err->message[0] != '\0');
    letter = event_dead_letter(rec, err);
    assert_non_null(letter);
    doc = cJSON_Parse(letter);
    assert_non_null(doc);
    code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "error"), "code");
    assert_true(cJSON_IsString(code));
    assert_string_equal(code->valuestring, event_status_code(err->status));
    cJSON_Delete(doc);
    free(letter);
}

/* judge - decode and validate rec as a worker does, and check the outcome */
static void judge(const struct event_record *rec, struct fuzz_tally *t)
{
    struct cloud_event ev = {0};
    struct event_error err = {0};
    int ok = event_decode(rec, FUZZ_MAX_BYTES, &ev, &err) == 0 &&
             schema_validate(registry, rec->topic, ev.data, &err) == 0;

    if (ok) {
        accepted_sane(&ev, rec->topic);
        t->accepted++;
    } else {
        rejected_sane(rec, &err);
        t->rejected++;
        t->codes_seen[err.status] = 1;
    }
    cloudevent_free(&ev);
}

/* tally_meaningful - both outcomes happened and at least min_codes reasons */
static void tally_meaningful(const struct fuzz_tally *t, int min_codes)
{
    int codes = 0;

    for (int i = 0; i <= EVENT_INTERNAL; i++)
        codes += t->codes_seen[i];
    print_message("# accepted %ld, rejected %ld, %d distinct reasons\n", t->accepted,
                  t->rejected, codes);
    assert_true(t->accepted > 0);
    assert_true(t->rejected > 0);
    assert_true(codes >= min_codes);
}

/* test_structured - mutated structured events */
static void test_structured(void **state)
{
    static unsigned char buf[FUZZ_MAX_VALUE * 2];
    static const struct record_header ct = {"content-type", "application/cloudevents+json", 28};
    long rounds = env_long("FUZZ_ITERATIONS", 40000);
    struct fuzz_tally t = {0};

    (void)state;
    for (long i = 0; i < rounds; i++) {
        const struct fuzz_seed *s = &seeds[rng_below(seed_count)];
        size_t len = i % 8 == 0 ? strlen(s->structured) : mutate(s->structured, buf, sizeof(buf));
        struct event_record rec = {s->topic, 0, i, "shop", 4,
                                   i % 8 == 0 ? (const void *)s->structured : buf, len,
                                   &ct, (size_t)(i % 2)};
        judge(&rec, &t);
    }
    tally_meaningful(&t, 5);
}

/* binary_headers - the ce_ headers of seed s, with one of them perhaps mutated into hbuf */
static void binary_headers(const struct fuzz_seed *s, struct record_header h[FUZZ_HEADERS],
                           unsigned char *hbuf, size_t hcap, char *type, size_t type_len)
{
    static const char *const names[FUZZ_HEADERS] = {"ce_specversion", "ce_id", "ce_source",
                                                    "ce_type", "ce_subject", "ce_time",
                                                    "content-type"};
    const char *values[FUZZ_HEADERS] = {"1.0", "f-2", "fuzz://seed", type, "shop",
                                        "2026-11-28T08:00:00+01:00", "application/json"};
    size_t victim = rng_below(FUZZ_HEADERS * 2);

    snprintf(type, type_len, "cutover.%s", s->topic);
    for (size_t i = 0; i < FUZZ_HEADERS; i++)
        h[i] = (struct record_header){names[i], values[i], strlen(values[i])};
    if (victim < FUZZ_HEADERS) /* half the rounds: one header's value mutated */
        h[victim].value_len = mutate(values[victim], hbuf, hcap), h[victim].value = hbuf;
    else if (victim == FUZZ_HEADERS) /* or its name lost */
        h[rng_below(FUZZ_HEADERS)].name = "x-other";
}

/* test_binary - mutated binary-mode events: data value and headers */
static void test_binary(void **state)
{
    static unsigned char buf[FUZZ_MAX_VALUE * 2], hbuf[256];
    long rounds = env_long("FUZZ_ITERATIONS", 40000);
    struct fuzz_tally t = {0};
    struct record_header h[FUZZ_HEADERS];
    char type[64];

    (void)state;
    for (long i = 0; i < rounds; i++) {
        const struct fuzz_seed *s = &seeds[rng_below(seed_count)];
        size_t len;

        binary_headers(s, h, hbuf, sizeof(hbuf), type, sizeof(type));
        len = i % 3 == 0 ? strlen(s->data) : mutate(s->data, buf, sizeof(buf));
        struct event_record rec = {s->topic, 0, i, "shop", 4,
                                   i % 3 == 0 ? (const void *)s->data : buf, len, h,
                                   FUZZ_HEADERS};
        judge(&rec, &t);
    }
    tally_meaningful(&t, 5);
}

/* main - the two modes */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structured),
        cmocka_unit_test(test_binary),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
