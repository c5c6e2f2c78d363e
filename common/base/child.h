/*
 * child - small shared pieces of the processes cutover starts (hook
 *         scripts, check commands) and of byte encoding.
 *
 * SYNOPSIS
 *	(in a child, after fork)  child_setup(out_fd);  exec...
 *	hex_encode(digest, 32, out);
 *
 * DESCRIPTION
 *	child_setup puts the child in its own process group (so that a
 *	timeout kills everything it started), restores the default action of
 *	the signals a worker changes or blocks, and points stdin at /dev/null
 *	and stdout/stderr at out_fd. It makes async-signal-safe calls only
 *	(workers have librdkafka's threads) and returns -1 when a call fails.
 */
#ifndef CUTOVER_CHILD_H
#define CUTOVER_CHILD_H

#include <stddef.h>

int child_setup(int out_fd);

/* hex_encode - lower-case hex of n bytes into out (2 * n + 1 bytes) */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
