/*
 * fault - named crash points for chaos tests (see fault.h).
 */
#include "fault.h"

#include "config.h"
#include "log.h"

#include <signal.h>
#include <string.h>

/* fault_point - die here when the configuration names this point */
void fault_point(const char *name)
{
    static long hits;
    const char *wanted = config_get("CUTOVER_FAULT_POINT");

    if (wanted == NULL || strcmp(wanted, name) != 0)
        return;
    if (hits++ < config_get_int("CUTOVER_FAULT_SKIP"))
        return;
    log_warn("fault point %s: killing this process (CUTOVER_FAULT_POINT)", name);
    raise(SIGKILL);
}
