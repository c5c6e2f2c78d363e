/*
 * capture - what the code under test writes to fd 2 (its log lines), as a
 *	string a unit test can search.
 *
 * SYNOPSIS
 *	FILE *tmp;
 *	int saved = capture_begin(&tmp);
 *	... code that logs ...
 *	char *logged = capture_end(tmp, saved);
 *
 * DESCRIPTION
 *	capture_begin() flushes stderr, saves fd 2 and points it at a
 *	tmpfile(); capture_end() flushes again, restores fd 2, closes the
 *	file and returns what was written (at most 64 KiB, NUL-terminated)
 *	in a buffer the caller frees. A failure to set the capture up fails
 *	the running cmocka test.
 */
#ifndef CUTOVER_TESTS_CAPTURE_H
#define CUTOVER_TESTS_CAPTURE_H

#include <stdio.h>

int capture_begin(FILE **tmp);
char *capture_end(FILE *tmp, int saved);

#endif
