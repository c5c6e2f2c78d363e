/*
 * cli_follow - the bottom of `cutover watch` and `--wait` (see
 *              cli_follow.h): a transition as a line, sleeping between
 *              polls without passing a deadline, a number of seconds.
 */
#include "cli/cli_follow.h"

#include "base/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cli_follow_print_transition - one transitions row as a line */
void cli_follow_print_transition(FILE *out, PGresult *res, int row)
{
    const char *from = PQgetvalue(res, row, CLI_T_FROM);
    const char *to = PQgetvalue(res, row, CLI_T_TO);
    const char *actor = PQgetvalue(res, row, CLI_T_ACTOR);
    const char *reason = PQgetvalue(res, row, CLI_T_REASON);

    fprintf(out, "%s  %-17s %s %-17s %s", PQgetvalue(res, row, CLI_T_AT), *from ? from : "-",
            strcmp(from, to) == 0 ? "==" : "->", to, PQgetvalue(res, row, CLI_T_EVENT));
    if (*actor)
        fprintf(out, " (%s)", actor);
    if (*reason)
        fprintf(out, ": %s", reason);
    fprintf(out, "\n");
}

/* cli_follow_sleep - sleep ms, but not past deadline; -1 once it has passed */
int cli_follow_sleep(int ms, int64_t deadline)
{
    int64_t now = clock_mono_ms();

    if (deadline != 0 && now >= deadline)
        return -1;
    if (deadline != 0 && deadline - now < ms)
        ms = (int)(deadline - now);
    clock_sleep_ms(ms);
    return 0;
}

/* cli_follow_parse_seconds - "N" in 1..CLI_WAIT_MAX_S; 0 or -1 */
int cli_follow_parse_seconds(const char *text, long *out)
{
    char *end;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    *out = strtol(text, &end, 10);
    return *end == '\0' && *out >= 1 && *out <= CLI_WAIT_MAX_S ? 0 : -1;
}
