/*
 * ssh_keys - throwaway OpenSSH key pairs for unit tests (ssh_keys.h).
 */
#include "ssh_keys.h"

#include <stdio.h>
#include <stdlib.h>

int ssh_keys_make(const char *dir, const char *name, const char *args, const char *passphrase)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "ssh-keygen -q %s -N '%s' -C %s -f %s/%s </dev/null >/dev/null 2>&1",
             args, passphrase, name, dir, name);
    return system(cmd) == 0 ? 0 : -1;
}

int ssh_keys_remove(const char *dir)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}
