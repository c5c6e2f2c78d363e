/*
 * test_sql_lint - the expand/contract lint of migrations: the corpus of
 *                 tests/data/sql_lint, the lexer's edges, and random mutations.
 *
 * DESCRIPTION
 *	The corpus: one .sql file per case, read whole and linted once per
 *	expectation. An expectation is a line of the file (a SQL comment, so
 *	the lint skips it):
 *
 *	    -- expect PHASE: VERDICT: REASON
 *
 *	PHASE is expand or contract; VERDICT allowed (every statement of the
 *	file is allowed) or refused (at least one is); REASON a substring of
 *	the reason of some statement with that verdict (empty: any). A file
 *	has one or more; the corpus must hold at least CORPUS_MIN files and
 *	exercise both phases and both verdicts.
 *
 *	Targeted cases pin down what the corpus cannot say: offsets and lines
 *	of split statements, text that is not NUL-terminated, NUL bytes,
 *	unterminated strings, names and comments at the very end, very long
 *	statements, the size and token caps, sql_lint_statement().
 *
 *	The fuzz loop mutates the corpus files (bit flips, bytes set to the
 *	lexer's special characters, spans deleted, duplicated or truncated)
 *	and lints each in both phases into an exactly sized buffer: nothing
 *	may crash or read past the end (make sanitize, make valgrind), every
 *	result must point inside the text and carry a reason, and the mix
 *	must produce both verdicts. FUZZ_ITERATIONS (default 40000) and
 *	FUZZ_SEED set the rounds and the generator's seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/share.h"
#include "validate/sql_lint.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_MIN      60
#define CORPUS_MAX      400
#define CORPUS_FILE_MAX (64 * 1024)
#define EXPECT_PREFIX   "-- expect "

/* One corpus file, read whole. */
struct corpus_case {
    char name[256]; /* a directory entry's name (d_name holds at most 255 bytes) */
    char *text;
    size_t len;
};

static struct corpus_case corpus[CORPUS_MAX];
static size_t corpus_count;
static uint64_t rng_state;

/* corpus_read - one file into a case; 0 or -1 */
static int corpus_read(const char *dir, const char *name, struct corpus_case *c)
{
    char path[PATH_MAX + 256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(c->name, sizeof(c->name), "%s", name);
    if ((f = fopen(path, "rb")) == NULL || (c->text = malloc(CORPUS_FILE_MAX)) == NULL) {
        if (f != NULL)
            fclose(f);
        return -1;
    }
    c->len = fread(c->text, 1, CORPUS_FILE_MAX, f);
    fclose(f);
    return 0;
}

/* corpus_load - every .sql file of tests/data/sql_lint */
static int corpus_load(void **state)
{
    char dir[PATH_MAX];
    struct dirent *de;
    DIR *d;

    (void)state;
    if (share_path("tests/data/sql_lint", dir, sizeof(dir)) != 0 || (d = opendir(dir)) == NULL) {
        fprintf(stderr, "no tests/data/sql_lint under the share directory\n");
        return -1;
    }
    while ((de = readdir(d)) != NULL && corpus_count < CORPUS_MAX) {
        size_t len = strlen(de->d_name);

        if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0 &&
            corpus_read(dir, de->d_name, &corpus[corpus_count]) == 0)
            corpus_count++;
    }
    closedir(d);
    return 0;
}

/* corpus_free - release the files */
static int corpus_free(void **state)
{
    (void)state;
    for (size_t i = 0; i < corpus_count; i++)
        free(corpus[i].text);
    corpus_count = 0;
    return 0;
}

/* expect_parse - "PHASE: VERDICT: REASON" of line (up to eol) into its parts; 0 or -1 */
static int expect_parse(const char *line, const char *eol, enum sql_phase *phase,
                        enum sql_verdict *verdict, char *reason, size_t reason_len)
{
    char buf[512], *v, *r;

    if ((size_t)(eol - line) >= sizeof(buf))
        return -1;
    memcpy(buf, line, (size_t)(eol - line));
    buf[eol - line] = '\0';
    if ((v = strstr(buf, ": ")) == NULL || (*v = '\0', r = strstr(v + 2, ":")) == NULL)
        return -1;
    *r = '\0';
    if (sql_phase_parse(buf, phase) != 0)
        return -1;
    if (strcmp(v + 2, "allowed") != 0 && strcmp(v + 2, "refused") != 0)
        return -1;
    *verdict = strcmp(v + 2, "allowed") == 0 ? SQL_ALLOWED : SQL_REFUSED;
    snprintf(reason, reason_len, "%s", r[1] == ' ' ? r + 2 : r + 1);
    return 0;
}

/* expect_holds - 1 when the results match the expectation (else said on stderr) */
static int expect_holds(const struct corpus_case *c, const struct sql_lint_result *r, size_t n,
                        enum sql_phase phase, enum sql_verdict verdict, const char *reason)
{
    size_t refused = 0;
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        refused += r[i].verdict == SQL_REFUSED;
        found |= r[i].verdict == verdict && strstr(r[i].reason, reason) != NULL;
    }
    if ((verdict == SQL_REFUSED) == (refused > 0) && found)
        return 1;
    fprintf(stderr, "%s (%s): expected %s with \"%s\", got:\n", c->name, sql_phase_name(phase),
            sql_verdict_name(verdict), reason);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  line %u %s: %s\n", r[i].line, sql_verdict_name(r[i].verdict),
                r[i].reason);
    return 0;
}

/* Which phases and verdicts the corpus exercised. */
struct corpus_tally {
    int seen[2][2];
    int bad;
};

/* corpus_run_case - every expectation of one file; returns how many it had */
static int corpus_run_case(const struct corpus_case *c, struct corpus_tally *t)
{
    const char *p = c->text, *end = c->text + c->len, *eol;
    char reason[512];
    enum sql_phase phase;
    enum sql_verdict verdict;
    struct sql_lint_result *r;
    size_t n;
    int expectations = 0;

    for (; p < end; p = eol + 1) {
        eol = memchr(p, '\n', (size_t)(end - p));
        eol = eol ? eol : end;
        if ((size_t)(eol - p) < strlen(EXPECT_PREFIX) || memcmp(p, EXPECT_PREFIX, 10) != 0)
            continue;
        expectations++;
        if (expect_parse(p + 10, eol, &phase, &verdict, reason, sizeof(reason)) != 0) {
            fprintf(stderr, "%s: bad expectation line\n", c->name);
            t->bad++;
            continue;
        }
        assert_int_equal(sql_lint_file(c->text, c->len, phase, &r, &n), 0);
        t->bad += !expect_holds(c, r, n, phase, verdict, reason);
        t->seen[phase][verdict]++;
        sql_lint_results_free(r);
    }
    return expectations;
}

/* test_corpus - the data-driven runner over tests/data/sql_lint */
static void test_corpus(void **state)
{
    struct corpus_tally t = {{{0}}, 0};

    (void)state;
    for (size_t i = 0; i < corpus_count; i++)
        if (corpus_run_case(&corpus[i], &t) == 0) {
            fprintf(stderr, "%s: no \"%s\" line\n", corpus[i].name, EXPECT_PREFIX);
            t.bad++;
        }
    assert_true(corpus_count >= CORPUS_MIN);
    assert_true(t.seen[SQL_PHASE_EXPAND][SQL_ALLOWED] > 0 &&
                t.seen[SQL_PHASE_EXPAND][SQL_REFUSED] > 0 &&
                t.seen[SQL_PHASE_CONTRACT][SQL_ALLOWED] > 0 &&
                t.seen[SQL_PHASE_CONTRACT][SQL_REFUSED] > 0);
    assert_int_equal(t.bad, 0);
}

/* lint_exact - lint a copy of text[0..len) in a buffer of exactly len bytes */
static size_t lint_exact(const char *text, size_t len, enum sql_phase phase,
                         struct sql_lint_result **r)
{
    char *copy = malloc(len ? len : 1);
    size_t n;

    assert_non_null(copy);
    memcpy(copy, text, len);
    assert_int_equal(sql_lint_file(copy, len, phase, r, &n), 0);
    free(copy);
    return n;
}

/* test_split - offsets and lines of statements, ';' in strings and comments */
static void test_split(void **state)
{
    static const char text[] = "-- head; er\nCREATE TABLE a (x INT);\n\n  /* ; */ INSERT INTO a "
                               "VALUES ('x;y');;\nDROP TABLE a";
    struct sql_lint_result *r;
    size_t n;

    (void)state;
    assert_int_equal(sql_lint_file(text, sizeof(text) - 1, SQL_PHASE_EXPAND, &r, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].line, 2);
    assert_int_equal(r[1].line, 4);
    assert_int_equal(r[2].line, 5);
    assert_memory_equal(text + r[0].offset, "CREATE TABLE a (x INT)", r[0].length);
    assert_int_equal(r[1].length, strlen("INSERT INTO a VALUES ('x;y')"));
    assert_memory_equal(text + r[2].offset, "DROP TABLE a", r[2].length);
    assert_int_equal(r[2].verdict, SQL_REFUSED);
    assert_int_equal(r[0].verdict, SQL_ALLOWED);
    sql_lint_results_free(r);
}

/* test_unterminated_at_end - a string, name, comment or escape cut at the very last byte */
static void test_unterminated_at_end(void **state)
{
    static const char *const texts[] = {
        "INSERT INTO t VALUES ('", "INSERT INTO t VALUES ('abc\\", "CREATE TABLE `",
        "CREATE TABLE `a``", "CREATE TABLE a /*", "CREATE TABLE a /*!", "SELECT \"",
        "CREATE TABLE a (x INT) --", "CREATE TABLE a (x INT) #", "@", "@@", "-",
    };
    struct sql_lint_result *r;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t n = lint_exact(texts[i], strlen(texts[i]), SQL_PHASE_CONTRACT, &r);

        assert_true(n >= 1);
        if (i < 7 || i > 8)
            assert_int_equal(r[n - 1].verdict, SQL_REFUSED);
        else
            assert_int_equal(r[n - 1].verdict, SQL_ALLOWED); /* a comment to the end */
        assert_true(r[n - 1].offset + r[n - 1].length <= strlen(texts[i]));
        sql_lint_results_free(r);
    }
}

/* test_nul_bytes - a NUL in a statement refuses it, the next statement is still read */
static void test_nul_bytes(void **state)
{
    static const char text[] = "CREATE TABLE a (x INT);\nCREATE TABLE b\0 (x INT);\nCREATE TABLE c (x INT)";
    struct sql_lint_result *r;
    size_t n = lint_exact(text, sizeof(text) - 1, SQL_PHASE_EXPAND, &r);

    (void)state;
    assert_int_equal(n, 3);
    assert_int_equal(r[0].verdict, SQL_ALLOWED);
    assert_int_equal(r[1].verdict, SQL_REFUSED);
    assert_non_null(strstr(r[1].reason, "NUL byte on line 2"));
    assert_int_equal(r[2].verdict, SQL_ALLOWED);
    sql_lint_results_free(r);
}

/* big_insert - "INSERT INTO t VALUES (1),(1),..." with rows rows, in a fresh buffer */
static char *big_insert(size_t rows, size_t *len)
{
    static const char head[] = "INSERT INTO t VALUES (1)";
    char *text = malloc(sizeof(head) + rows * 4);
    size_t n = sizeof(head) - 1;

    assert_non_null(text);
    memcpy(text, head, n);
    for (size_t i = 1; i < rows; i++, n += 4)
        memcpy(text + n, ",(1)", 4);
    *len = n;
    return text;
}

/* test_long_input - a long statement is linted; past the caps it is refused, not crashed */
static void test_long_input(void **state)
{
    struct sql_lint_result *r;
    size_t len, n;
    char *text = big_insert(40000, &len); /* 160 000 tokens: under the cap */

    (void)state;
    assert_int_equal(sql_lint_file(text, len, SQL_PHASE_EXPAND, &r, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].verdict, SQL_ALLOWED);
    sql_lint_results_free(r);
    free(text);
    text = big_insert(60000, &len); /* 240 000 tokens: over */
    assert_int_equal(sql_lint_file(text, len, SQL_PHASE_EXPAND, &r, &n), 0);
    assert_int_equal(r[0].verdict, SQL_REFUSED);
    assert_non_null(strstr(r[0].reason, "tokens"));
    sql_lint_results_free(r);
    free(text);
    assert_int_equal(sql_lint_file("", SQL_LINT_MAX_BYTES + 1, SQL_PHASE_EXPAND, &r, &n), 0);
    assert_int_equal(n, 1); /* refused on its size alone: the text is never read */
    assert_non_null(strstr(r[0].reason, "larger"));
    sql_lint_results_free(r);
}

/* test_statement - one statement alone; two are refused; the names of phases and verdicts */
static void test_statement(void **state)
{
    struct sql_lint_result r;
    enum sql_phase phase;
    static const char two[] = "CREATE TABLE a (x INT); CREATE TABLE b (x INT)";

    (void)state;
    assert_int_equal(sql_lint_statement("ALTER TABLE t DROP COLUMN c;", 28, SQL_PHASE_EXPAND, &r), 0);
    assert_int_equal(r.verdict, SQL_REFUSED);
    assert_non_null(strstr(r.reason, "DROP COLUMN `c` on `t`"));
    assert_int_equal(sql_lint_statement("ALTER TABLE t DROP COLUMN c", 27, SQL_PHASE_CONTRACT, &r), 0);
    assert_int_equal(r.verdict, SQL_ALLOWED);
    assert_int_equal(sql_lint_statement(two, sizeof(two) - 1, SQL_PHASE_EXPAND, &r), 0);
    assert_int_equal(r.verdict, SQL_REFUSED);
    assert_non_null(strstr(r.reason, "2 statements"));
    assert_int_equal(sql_phase_parse("contract", &phase), 0);
    assert_int_equal(phase, SQL_PHASE_CONTRACT);
    assert_int_equal(sql_phase_parse("Expand", &phase), -1);
    assert_string_equal(sql_phase_name(SQL_PHASE_EXPAND), "expand");
    assert_string_equal(sql_verdict_name(SQL_REFUSED), "refused");
}

/* rng - xorshift64* */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* env_long - a positive integer from the environment, or fallback */
static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    long n = v ? strtol(v, NULL, 10) : 0;

    return n > 0 ? n : fallback;
}

/* mutate_once - one random change of buf[0..*len) (room for CORPUS_FILE_MAX * 2) */
static void mutate_once(char *buf, size_t *len)
{
    static const char special[] = "'\"`;()/*#-\n\\@!,=\0 ";
    size_t at = *len ? (size_t)(rng() % *len) : 0, span = (size_t)(rng() % 16) + 1;

    switch (rng() % 5) {
    case 0: /* a bit flipped */
        if (*len)
            buf[at] ^= (char)(1u << (rng() % 8));
        break;
    case 1: /* a byte set to a special character */
        if (*len)
            buf[at] = special[rng() % (sizeof(special) - 1)];
        break;
    case 2: /* truncated */
        *len = at;
        break;
    case 3: /* a span deleted */
        span = span < *len - at ? span : *len - at;
        memmove(buf + at, buf + at + span, *len - at - span);
        *len -= span;
        break;
    default: /* a span duplicated */
        span = span < *len - at ? span : *len - at;
        if (*len + span <= CORPUS_FILE_MAX * 2) {
            memmove(buf + at + span, buf + at, *len - at);
            *len += span;
        }
    }
}

/* fuzz_check - results that point inside the text and carry a reason; counts verdicts */
static void fuzz_check(const struct sql_lint_result *r, size_t n, size_t len, long verdicts[2])
{
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].offset <= len && r[i].length <= len - r[i].offset);
        assert_true(r[i].line >= 1);
        assert_true(r[i].reason[0] != '\0');
        assert_true(r[i].verdict == SQL_ALLOWED || r[i].verdict == SQL_REFUSED);
        verdicts[r[i].verdict]++;
    }
}

/* test_fuzz - mutated corpus files through both phases never crash */
static void test_fuzz(void **state)
{
    long rounds = env_long("FUZZ_ITERATIONS", 40000), verdicts[2] = {0, 0};
    char *buf = malloc(CORPUS_FILE_MAX * 2), *exact;
    struct sql_lint_result *r;
    size_t len, n;

    (void)state;
    assert_non_null(buf);
    assert_true(corpus_count > 0);
    rng_state = (uint64_t)env_long("FUZZ_SEED", 0x5eed5eed);
    for (long round = 0; round < rounds; round++) {
        const struct corpus_case *c = &corpus[rng() % corpus_count];

        memcpy(buf, c->text, c->len);
        len = c->len;
        for (int k = (int)(rng() % 4); k >= 0; k--)
            mutate_once(buf, &len);
        assert_non_null(exact = malloc(len ? len : 1));
        memcpy(exact, buf, len);
        for (int phase = SQL_PHASE_EXPAND; phase <= SQL_PHASE_CONTRACT; phase++) {
            assert_int_equal(sql_lint_file(exact, len, (enum sql_phase)phase, &r, &n), 0);
            fuzz_check(r, n, len, verdicts);
            sql_lint_results_free(r);
        }
        free(exact);
    }
    free(buf);
    assert_true(verdicts[SQL_ALLOWED] > 0 && verdicts[SQL_REFUSED] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),       cmocka_unit_test(test_split),
        cmocka_unit_test(test_unterminated_at_end), cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_long_input),   cmocka_unit_test(test_statement),
        cmocka_unit_test(test_fuzz),
    };

    return cmocka_run_group_tests(tests, corpus_load, corpus_free);
}
