/*
 * sql_judge - the verdict a classifier builds for one statement, and the
 *             helpers every classifier uses (see sql_judge.h); the bottom
 *             of the lint, below sql_lint.c and sql_lint_alter.c.
 */
#include "validate/sql_judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* sql_judge - class cls with a reason, when it is worse than what st already has */
void sql_judge(struct sql_judge *j, enum sql_class cls, const char *fmt, ...)
{
    va_list ap;

    if (j->judged && cls <= j->cls)
        return;
    j->judged = 1;
    j->cls = cls;
    va_start(ap, fmt);
    vsnprintf(j->why, sizeof(j->why), fmt, ap);
    va_end(ap);
}

/* sql_judge_created - 1 when table was created earlier in this file */
int sql_judge_created(const struct sql_judge *j, const char *table)
{
    for (size_t k = 0; k < j->file->created_count; k++)
        if (strcasecmp(j->file->created[k], table) == 0)
            return 1;
    return 0;
}

/* sql_judge_word - token i's text (at most out_len - 1 bytes), for a reason */
const char *sql_judge_word(const struct sql_judge *j, size_t i, char *out, size_t out_len)
{
    size_t n = 0;

    if (i < j->st->count) {
        n = j->st->tok[i].len < out_len - 1 ? j->st->tok[i].len : out_len - 1;
        memcpy(out, j->st->text + j->st->tok[i].off, n);
    }
    out[n] = '\0';
    return out;
}
