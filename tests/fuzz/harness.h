/*
 * harness - what the fuzz harnesses (tests/fuzz/fuzz_*.c) share.
 *
 * SYNOPSIS
 *	#include "harness.h"
 *
 *	char *text = fuzz_cstring(data, size);		(free() it)
 *	struct fuzz_part part[2];
 *	fuzz_split(data, size, "\n--\n", part, 2);	(parts borrowed from data)
 *	const char *path = fuzz_file(data, size);	(this process's file)
 *	const struct schema_registry *reg = fuzz_schemas();
 *	fuzz_event_judge(&record);		(decode, validate, answer)
 *
 * DESCRIPTION
 *	A harness gets bytes; the parsers take C strings, a file's path, or
 *	several inputs. fuzz_split() cuts the bytes at each separator into at
 *	most max parts (the last takes the rest; missing parts are empty).
 *	fuzz_file() writes the bytes to one file per process and returns its
 *	path (for parsers that read a path). fuzz_schemas() loads the share
 *	directory's schemas once; it aborts when they do not load, as the
 *	harness would test nothing. fuzz_event_judge() takes a record the
 *	way a worker does: event_decode(), the canonical form a signature
 *	check computes (event_canon_event()), schema_validate() of its topic,
 *	then the event encoded again when accepted or its dead letter when
 *	not; an answer that is not produced aborts (a finding).
 */
#ifndef CUTOVER_FUZZ_HARNESS_H
#define CUTOVER_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* One part of the input: borrowed bytes. */
struct fuzz_part {
    const uint8_t *data;
    size_t size;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

char *fuzz_cstring(const uint8_t *data, size_t size);
size_t fuzz_split(const uint8_t *data, size_t size, const char *separator,
                  struct fuzz_part *part, size_t max);
const char *fuzz_file(const uint8_t *data, size_t size);
const struct schema_registry *fuzz_schemas(void);
struct event_record;
const char *fuzz_topic(uint8_t selector);
void fuzz_event_judge(const struct event_record *rec);

#endif
