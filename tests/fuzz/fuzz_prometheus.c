/*
 * fuzz_prometheus - Prometheus HTTP API answers to the analysis gates' queries.
 *
 * DESCRIPTION
 *	Input: the body of an answer to GET /api/v1/query (JSON, read as the
 *	C string the fetch leaves: an inner NUL ends it early). It goes
 *	through prometheus_parse(): the status and error message, the
 *	result's type (a scalar, a vector of at most one series) and the
 *	sample's value as a number, NaN or an infinity.
 */
#include "harness.h"

#include "io/prometheus.h"

#include <stdlib.h>

/* LLVMFuzzerTestOneInput - one answer's body */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_cstring(data, size), err[256];
    double value;

    prometheus_parse(body, &value, err, sizeof(err));
    free(body);
    return 0;
}
