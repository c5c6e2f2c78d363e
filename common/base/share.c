/*
 * share - where cutover's read-only data lives (see share.h).
 *
 * SYNOPSIS
 *	#include "base/share.h"
 *
 *	share_dir();
 *	share_path("schemas", out, out_len);
 *
 * DESCRIPTION
 *	The directory is looked up once, on first use, and kept in a static
 *	buffer: workers are single-threaded and the answer cannot change.
 */
#include "base/share.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char share_found[PATH_MAX];
static int share_looked;

/* share_has_schemas - 1 when dir/schemas is a directory */
static int share_has_schemas(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;

    if ((size_t)snprintf(path, sizeof(path), "%s/schemas", dir) >= sizeof(path))
        return 0;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* share_exe_dir - the directory of the running executable */
static int share_exe_dir(char *out, size_t out_len)
{
    ssize_t n = readlink("/proc/self/exe", out, out_len - 1);
    char *slash;

    if (n <= 0 || (size_t)n >= out_len - 1)
        return -1;
    out[n] = '\0';
    if ((slash = strrchr(out, '/')) == NULL)
        return -1;
    *slash = '\0';
    return 0;
}

/* share_try - keep candidate exe_dir/rel (resolved) when it holds schemas/ */
static int share_try(const char *exe_dir, const char *rel)
{
    char joined[PATH_MAX];

    if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", exe_dir, rel) >= sizeof(joined))
        return 0;
    if (!share_has_schemas(joined) || realpath(joined, share_found) == NULL) {
        share_found[0] = '\0';
        return 0;
    }
    return 1;
}

/* share_lookup - find the share directory (see share.h for the order) */
static void share_lookup(void)
{
    const char *env = getenv("CUTOVER_SHARE_DIR");
    char exe_dir[PATH_MAX];

    if (env != NULL && env[0] != '\0') {
        snprintf(share_found, sizeof(share_found), "%s", env);
        return;
    }
    if (share_exe_dir(exe_dir, sizeof(exe_dir)) != 0)
        return;
    if (share_try(exe_dir, "../share/cutover"))
        return;
    share_try(exe_dir, "../..");
}

/* share_dir - the share directory, or NULL when none is found */
const char *share_dir(void)
{
    if (!share_looked) {
        share_lookup();
        share_looked = 1;
    }
    return share_found[0] != '\0' ? share_found : NULL;
}

/* share_path - share_dir()/sub into out; -1 when missing or too long */
int share_path(const char *sub, char *out, size_t out_len)
{
    const char *dir = share_dir();

    if (dir == NULL || out == NULL || out_len == 0)
        return -1;
    if ((size_t)snprintf(out, out_len, "%s/%s", dir, sub) >= out_len)
        return -1;
    return 0;
}
