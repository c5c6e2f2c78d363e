/*
 * lean - start a long-running process so that it maps fewer pages (see
 *        lean.h).
 */
#include "base/lean.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#define LEAN_GNUTLS_VAR "GNUTLS_NO_IMPLICIT_INIT"
#define LEAN_MARK_VAR "CUTOVER_LEAN_EXEC"

/* lean_exec - run again with GnuTLS's implicit initialization off */
void lean_exec(char **argv)
{
    char self[PATH_MAX];
    ssize_t n;

    if (getenv(LEAN_MARK_VAR)) {
        unsetenv(LEAN_MARK_VAR); /* started again by us: hide what we set */
        unsetenv(LEAN_GNUTLS_VAR);
        return;
    }
    if (getenv(LEAN_GNUTLS_VAR))
        return;
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0 || (size_t)n >= sizeof(self) - 1)
        return;
    self[n] = '\0';
    if (setenv(LEAN_GNUTLS_VAR, "1", 1) != 0 || setenv(LEAN_MARK_VAR, "1", 1) != 0)
        return;
    execv(self, argv);
    unsetenv(LEAN_MARK_VAR); /* not executable again (replaced on disk?): go on as we are */
    unsetenv(LEAN_GNUTLS_VAR);
}
