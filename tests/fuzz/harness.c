/*
 * harness - what the fuzz harnesses share: C strings, parts, a file, schemas.
 *
 * DESCRIPTION
 *	See harness.h. Used by the libFuzzer build (make fuzz) and by the
 *	corpus replay (replay.c) alike.
 */
#include "harness.h"

#include "base/share.h"
#include "base/buf.h"
#include "io/event.h"
#include "io/event_sign.h"
#include "io/schema.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fuzz_cstring - a NUL-terminated copy of data (an inner NUL ends the string early) */
char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* fuzz_split - data cut at each separator into at most max parts; the count found */
size_t fuzz_split(const uint8_t *data, size_t size, const char *separator,
                  struct fuzz_part *part, size_t max)
{
    size_t sep_len = strlen(separator), count = 0;

    for (size_t i = 0; i < max; i++)
        part[i] = (struct fuzz_part){ (const uint8_t *)"", 0 };
    while (count + 1 < max) {
        const uint8_t *at = memmem(data, size, separator, sep_len);
        if (!at)
            break;
        part[count++] = (struct fuzz_part){ data, (size_t)(at - data) };
        size -= (size_t)(at - data) + sep_len;
        data = at + sep_len;
    }
    part[count++] = (struct fuzz_part){ data, size };
    return count;
}

static char fuzz_path[PATH_MAX];

/* fuzz_file_remove - the scratch file removed at exit */
static void fuzz_file_remove(void)
{
    unlink(fuzz_path);
}

/* fuzz_file - data written to this process's scratch file; its path */
const char *fuzz_file(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path;
    const char *tmp = getenv("TMPDIR");
    FILE *f;

    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof(fuzz_path), "%s/cutover-fuzz-%ld", tmp ? tmp : "/tmp",
                 (long)getpid());
        atexit(fuzz_file_remove);
    }
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    return path;
}

/* fuzz_schema_unload - free the registry at exit, so that leak checks stay quiet */
static struct schema_registry *fuzz_registry;
static void fuzz_schema_unload(void)
{
    schema_registry_free(fuzz_registry);
}

/* fuzz_schemas - the share directory's schemas, loaded once */
const struct schema_registry *fuzz_schemas(void)
{
    char dir[PATH_MAX], err[256];

    if (fuzz_registry)
        return fuzz_registry;
    if (share_path("schemas", dir, sizeof(dir)) != 0 ||
        (fuzz_registry = schema_registry_load(dir, err, sizeof(err))) == NULL) {
        fprintf(stderr, "fuzz: cannot load the schemas\n");
        abort();
    }
    atexit(fuzz_schema_unload);
    return fuzz_registry;
}

/* fuzz_topic - one of the topics, chosen by a byte of the input */
const char *fuzz_topic(uint8_t selector)
{
    size_t count = 0;

    while (event_topics[count])
        count++;
    return event_topics[selector % count];
}

/* fuzz_event_canon - the canonical form a signature check computes of a decoded event */
static void fuzz_event_canon(const struct cloud_event *ev)
{
    struct buf canon;
    char err[256];

    buf_init(&canon, 256 * 1024);
    event_canon_event(ev, &canon, err, sizeof(err));
    buf_free(&canon);
}

/* fuzz_event_judge - rec through decode and schema; re-encoded or dead-lettered */
void fuzz_event_judge(const struct event_record *rec)
{
    struct cloud_event ev = { 0 };
    struct event_error err = { 0 };
    int decoded = event_decode(rec, 64 * 1024, &ev, &err) == 0;
    char *answer;

    if (decoded)
        fuzz_event_canon(&ev);
    if (decoded &&
        schema_validate(fuzz_schemas(), rec->topic, ev.data, &err) == 0)
        answer = event_encode(&ev);
    else
        answer = event_dead_letter(rec, &err);
    if (!answer)
        abort();
    free(answer);
    cloudevent_free(&ev);
}
