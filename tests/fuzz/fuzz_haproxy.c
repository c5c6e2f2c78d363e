/*
 * fuzz_haproxy - the HAProxy Runtime API reply parsers.
 *
 * DESCRIPTION
 *	Input: one reply of HAProxy's socket, read both as the answer to
 *	"show servers state" and as the answer to "show stat" (CSV).
 */
#include "harness.h"

#include "provider/local/haproxy.h"

#include <stdlib.h>

#define FUZZ_SERVERS 8

/* LLVMFuzzerTestOneInput - one Runtime API reply */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct haproxy_server servers[FUZZ_SERVERS];
    char *text = fuzz_cstring(data, size);
    char err[512];
    size_t count;

    haproxy_parse_servers_state(text, servers, FUZZ_SERVERS, &count, err, sizeof(err));
    haproxy_parse_stat(text, servers, FUZZ_SERVERS, &count, err, sizeof(err));
    free(text);
    return 0;
}
