/*
 * fault - named crash points and delay points for chaos tests (see fault.h).
 */
#include "base/fault.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"

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

/* fault_delay - sleep here when the configuration names this point */
void fault_delay(const char *name)
{
    const char *wanted = config_get("CUTOVER_FAULT_DELAY_POINT");
    long ms = config_get_int("CUTOVER_FAULT_DELAY_MS");

    if (wanted == NULL || strcmp(wanted, name) != 0 || ms <= 0)
        return;
    log_warn("fault delay %s: pausing %ld ms (CUTOVER_FAULT_DELAY_POINT)", name, ms);
    clock_sleep_ms(ms);
}
