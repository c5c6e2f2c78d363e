/*
 * loop - the event base of a long-running process (see loop.h).
 */
#include "io/loop.h"

/* loop_new - an event base that polls again after LOOP_MAX_CALLBACKS callbacks */
struct event_base *loop_new(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base = NULL;

    if (cfg != NULL && event_config_set_max_dispatch_interval(cfg, NULL, LOOP_MAX_CALLBACKS, 0) == 0)
        base = event_base_new_with_config(cfg);
    if (cfg != NULL)
        event_config_free(cfg);
    return base;
}
