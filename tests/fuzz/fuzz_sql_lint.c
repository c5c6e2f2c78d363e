/*
 * fuzz_sql_lint - the expand/contract lint of MySQL migrations (lexer and judge).
 *
 * DESCRIPTION
 *	Input: one byte choosing the phase (expand or contract), then a
 *	migration file. sql_lint_file() lexes it into statements and judges
 *	each; every result must lie inside the text (else abort: a finding).
 */
#include "harness.h"

#include "validate/sql_lint.h"

#include <stdlib.h>

/* LLVMFuzzerTestOneInput - one migration file in one phase */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sql_lint_result *results = NULL;
    size_t count = 0;
    enum sql_phase phase;

    if (size < 1)
        return 0;
    phase = data[0] & 1 ? SQL_PHASE_CONTRACT : SQL_PHASE_EXPAND;
    if (sql_lint_file((const char *)data + 1, size - 1, phase, &results, &count) == 0)
        for (size_t i = 0; i < count; i++)
            if (results[i].offset + results[i].length > size - 1)
                abort();
    sql_lint_results_free(results);
    return 0;
}
