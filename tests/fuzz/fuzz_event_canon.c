/*
 * fuzz_event_canon - the canonical form of a signed event.
 *
 * DESCRIPTION
 *	Input: an event's JSON as received. event_canon() must either refuse
 *	it or produce a form that is itself canonical: the canonical form of
 *	the canonical form is the same bytes (else abort, a finding).
 */
#include "harness.h"

#include "base/buf.h"
#include "io/event_canon.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_CANON_MAX (256 * 1024)

/* LLVMFuzzerTestOneInput - one event */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf once, twice;
    char err[512];

    buf_init(&once, FUZZ_CANON_MAX);
    buf_init(&twice, FUZZ_CANON_MAX);
    if (event_canon((const char *)data, size, &once, err, sizeof(err)) == 0 &&
        event_canon(once.data, once.len, &twice, err, sizeof(err)) == 0 &&
        (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0))
        abort();
    buf_free(&once);
    buf_free(&twice);
    return 0;
}
