/*
 * fuzz_event_binary - the CloudEvent decoder in binary mode (headers + value).
 *
 * DESCRIPTION
 *	Input: one byte choosing the topic, then header lines "name: value"
 *	(a line without ": " is a header without a value), an empty line,
 *	and the record's value (the event's data). The record goes through
 *	event_decode(), the topic's schema and the answer a worker produces.
 */
#include "harness.h"

#include "io/event.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_HEADERS 16

/* fuzz_header - one "name: value" line as a header; its name is malloc'd */
static void fuzz_header(const struct fuzz_part *line, struct record_header *h)
{
    struct fuzz_part nv[2];

    fuzz_split(line->data, line->size, ": ", nv, 2);
    h->name = fuzz_cstring(nv[0].data, nv[0].size);
    h->value = nv[0].size == line->size ? NULL : nv[1].data;
    h->value_len = nv[0].size == line->size ? 0 : nv[1].size;
}

/* LLVMFuzzerTestOneInput - one binary record */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct record_header headers[FUZZ_MAX_HEADERS];
    struct fuzz_part block[2], lines[FUZZ_MAX_HEADERS];
    struct event_record rec = { 0 };
    size_t count;

    if (size < 1)
        return 0;
    rec.topic = fuzz_topic(data[0]);
    fuzz_split(data + 1, size - 1, "\n\n", block, 2);
    count = block[0].size ? fuzz_split(block[0].data, block[0].size, "\n", lines,
                                       FUZZ_MAX_HEADERS) : 0;
    for (size_t i = 0; i < count; i++)
        fuzz_header(&lines[i], &headers[i]);
    rec.headers = headers;
    rec.header_count = count;
    rec.value = block[1].data;
    rec.value_len = block[1].size;
    fuzz_event_judge(&rec);
    for (size_t i = 0; i < count; i++)
        free((char *)headers[i].name);
    return 0;
}
