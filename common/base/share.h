/*
 * share - where cutover's read-only data lives (schemas, migrations).
 *
 * SYNOPSIS
 *	#include "base/share.h"
 *
 *	const char *dir = share_dir();
 *	char path[PATH_MAX];
 *	if (share_path("schemas", path, sizeof(path)) != 0)
 *		log_fatal("cannot find the share directory");
 *
 * DESCRIPTION
 *	share_dir() is, in order: $CUTOVER_SHARE_DIR when set; else
 *	<directory of /proc/self/exe>/../share/cutover when it holds
 *	schemas/ (an installed tree); else <directory of the executable>/../..
 *	when it holds schemas/ (the source tree: binaries live in build/bin/,
 *	tests in build/tests/). It returns NULL when none fits. The answer is
 *	computed once and kept.
 *
 *	share_path() joins share_dir() and sub into out; -1 when there is no
 *	share directory or out is too small.
 */
#ifndef CUTOVER_SHARE_H
#define CUTOVER_SHARE_H

#include <stddef.h>

const char *share_dir(void);
int share_path(const char *sub, char *out, size_t out_len);

#endif
