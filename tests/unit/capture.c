/*
 * capture - fd 2 into a temporary file and back, for the unit tests' log
 *	checks (see capture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture.h"

/* capture_begin - point fd 2 at a temporary file; the saved fd */
int capture_begin(FILE **tmp)
{
    fflush(stderr);
    int saved = dup(2);
    *tmp = tmpfile();
    assert_non_null(*tmp);
    assert_int_equal(dup2(fileno(*tmp), 2), 2);
    return saved;
}

/* capture_end - restore fd 2; what was written, caller frees */
char *capture_end(FILE *tmp, int saved)
{
    static const size_t cap = 65536;
    char *text = calloc(1, cap);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(text, 1, cap - 1, tmp);
    text[n] = '\0';
    fclose(tmp);
    return text;
}
