/*
 * sql_lint - the backward-compatibility lint of migrations: each statement
 *            of a file classified by its first words, then judged for the
 *            migration's phase.
 *
 * SYNOPSIS
 *	See sql_lint.h (the rules) and sql_lex.h (what the lexer refuses).
 *
 * DESCRIPTION
 *	A classifier per leading keyword (the table sql_lint_kinds) gives each
 *	statement a class: allowed in any phase, contract only, or never; the
 *	phase turns the class into a verdict and the reason gets a suffix
 *	saying which class it was. ALTER TABLE is in sql_lint_alter.c.
 */
#include "validate/sql_judge.h"
#include "validate/sql_lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One kind of statement: its first word and its classifier (i: the word after it). */
struct sql_lint_kind {
    const char *word;
    void (*classify)(struct sql_judge *j, size_t i);
};

/* judge_remember_table - a table created here: later statements may change it freely */
static void judge_remember_table(struct sql_judge *j, const char *table)
{
    struct sql_file_state *f = j->file;

    if (f->created_count < SQL_JUDGE_TABLES_MAX && !sql_judge_created(j, table))
        snprintf(f->created[f->created_count++], SQL_JUDGE_NAME_MAX, "%s", table);
}

/* judge_if_exists - past "IF [NOT] EXISTS" at i */
static size_t judge_if_exists(const struct sql_judge *j, size_t i)
{
    if (sql_tok_is(j->st, i, "IF") && sql_tok_is(j->st, i + 1, "EXISTS"))
        return i + 2;
    if (sql_tok_is(j->st, i, "IF") && sql_tok_is(j->st, i + 1, "NOT") &&
        sql_tok_is(j->st, i + 2, "EXISTS"))
        return i + 3;
    return i;
}

/* judge_name - the name at i into out; the index after it, or 0 (judged never) */
static size_t judge_name(struct sql_judge *j, size_t i, const char *what, char *out, size_t len)
{
    if (sql_tok_name(j->st, &i, out, len) == 0)
        return i;
    sql_judge(j, SQL_CLASS_NEVER, "cannot read the name after %s", what);
    return 0;
}

/* create_table - CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] name ... */
static void create_table(struct sql_judge *j, size_t i, int or_replace)
{
    char table[SQL_JUDGE_NAME_MAX];

    if ((i = judge_name(j, judge_if_exists(j, i), "CREATE TABLE", table, sizeof(table))) == 0)
        return;
    if (or_replace) {
        sql_judge(j, SQL_CLASS_CONTRACT, "CREATE OR REPLACE TABLE `%s` drops the table old code "
                  "may use", table);
        return;
    }
    sql_judge(j, SQL_CLASS_ANY, "CREATE TABLE `%s`: a new table old code does not use", table);
    judge_remember_table(j, table);
}

/* create_index - CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX [IF NOT EXISTS] name [USING x] ON table */
static void create_index(struct sql_judge *j, size_t i, int unique)
{
    char index[SQL_JUDGE_NAME_MAX], table[SQL_JUDGE_NAME_MAX];

    if ((i = judge_name(j, judge_if_exists(j, i), "CREATE INDEX", index, sizeof(index))) == 0)
        return;
    i += sql_tok_is(j->st, i, "USING") ? 2 : 0;
    if (!sql_tok_is(j->st, i, "ON") || judge_name(j, i + 1, "ON", table, sizeof(table)) == 0)
        sql_judge(j, SQL_CLASS_NEVER, "CREATE INDEX `%s` without ON table", index);
    else if (unique && !sql_judge_created(j, table))
        sql_judge(j, SQL_CLASS_CONTRACT, "CREATE UNIQUE INDEX `%s` on existing table `%s`: rows "
                  "already there or old code's inserts may violate it", index, table);
    else if (unique)
        sql_judge(j, SQL_CLASS_ANY, "CREATE UNIQUE INDEX `%s` on `%s`, created earlier in this "
                  "file: no old code uses it", index, table);
    else
        sql_judge(j, SQL_CLASS_ANY, "CREATE INDEX `%s` on `%s`: old code's queries only get "
                  "faster", index, table);
}

/* create_view - CREATE [OR REPLACE] VIEW name */
static void create_view(struct sql_judge *j, size_t i, int or_replace)
{
    char view[SQL_JUDGE_NAME_MAX];

    if (judge_name(j, i, "CREATE VIEW", view, sizeof(view)) == 0)
        return;
    if (or_replace)
        sql_judge(j, SQL_CLASS_CONTRACT, "CREATE OR REPLACE VIEW `%s` replaces a view old code "
                  "may read", view);
    else
        sql_judge(j, SQL_CLASS_ANY, "CREATE VIEW `%s`: a new view old code does not use", view);
}

/* create_skip_view_options - past ALGORITHM = x, DEFINER = user[@host], SQL SECURITY x */
static size_t create_skip_view_options(const struct sql_judge *j, size_t i)
{
    const struct sql_stmt *st = j->st;

    for (;;) {
        if (sql_tok_is(st, i, "ALGORITHM") && sql_tok_punct(st, i + 1, '='))
            i += 3;
        else if (sql_tok_is(st, i, "SQL") && sql_tok_is(st, i + 1, "SECURITY"))
            i += 3;
        else if (sql_tok_is(st, i, "DEFINER") && sql_tok_punct(st, i + 1, '=')) {
            i = sql_tok_skip_parens(st, i + 3); /* past the user, or CURRENT_USER() */
            i += i < st->count && st->tok[i].kind == SQL_TOK_VARIABLE;
            i += sql_tok_punct(st, i, '@') ? 2 : 0;
        } else
            return i;
    }
}

/* lint_create - CREATE TABLE, INDEX or VIEW; any other CREATE is refused */
static void lint_create(struct sql_judge *j, size_t i)
{
    int or_replace = sql_tok_is(j->st, i, "OR") && sql_tok_is(j->st, i + 1, "REPLACE");
    int unique;
    char what[32];

    i = create_skip_view_options(j, i + (or_replace ? 2 : 0));
    i += sql_tok_is(j->st, i, "TEMPORARY") || sql_tok_is(j->st, i, "ONLINE") ||
         sql_tok_is(j->st, i, "OFFLINE");
    unique = sql_tok_is(j->st, i, "UNIQUE");
    i += unique || sql_tok_is(j->st, i, "FULLTEXT") || sql_tok_is(j->st, i, "SPATIAL");
    if (sql_tok_is(j->st, i, "TABLE") && !unique)
        create_table(j, i + 1, or_replace);
    else if (sql_tok_is(j->st, i, "INDEX") && !or_replace)
        create_index(j, i + 1, unique);
    else if (sql_tok_is(j->st, i, "VIEW") && !unique)
        create_view(j, i + 1, or_replace);
    else
        sql_judge(j, SQL_CLASS_NEVER, "CREATE %s is not a statement a migration may run",
                  sql_judge_word(j, i, what, sizeof(what)));
}

/* lint_alter - ALTER TABLE (sql_lint_alter.c) or ALTER VIEW; any other ALTER is refused */
static void lint_alter(struct sql_judge *j, size_t i)
{
    char what[32];

    if (sql_tok_is(j->st, create_skip_view_options(j, i), "VIEW"))
        sql_judge(j, SQL_CLASS_CONTRACT, "ALTER VIEW replaces a view old code may read");
    else if (sql_tok_is(j->st, i, "TABLE") || sql_tok_is(j->st, i + 1, "TABLE"))
        sql_lint_alter_table(j, i);
    else
        sql_judge(j, SQL_CLASS_NEVER, "ALTER %s is not a statement a migration may run",
                  sql_judge_word(j, i, what, sizeof(what)));
}

/* lint_drop - DROP [TEMPORARY] TABLE, DROP VIEW, DROP INDEX name ON table */
static void lint_drop(struct sql_judge *j, size_t i)
{
    char what[32], name[SQL_JUDGE_NAME_MAX], table[SQL_JUDGE_NAME_MAX];
    size_t at;

    i += sql_tok_is(j->st, i, "TEMPORARY") || sql_tok_is(j->st, i, "ONLINE") ||
         sql_tok_is(j->st, i, "OFFLINE");
    sql_judge_word(j, i, what, sizeof(what));
    if (!sql_tok_is(j->st, i, "TABLE") && !sql_tok_is(j->st, i, "VIEW") &&
        !sql_tok_is(j->st, i, "INDEX")) {
        sql_judge(j, SQL_CLASS_NEVER, "DROP %s is not a statement a migration may run", what);
        return;
    }
    if ((at = judge_name(j, judge_if_exists(j, i + 1), "DROP", name, sizeof(name))) == 0)
        return;
    if (!sql_tok_is(j->st, i, "INDEX"))
        sql_judge(j, SQL_CLASS_CONTRACT, "DROP %s `%s`: old code still reads and writes it",
                  what, name);
    else if (!sql_tok_is(j->st, at, "ON") || judge_name(j, at + 1, "ON", table, sizeof(table)) == 0)
        sql_judge(j, SQL_CLASS_NEVER, "DROP INDEX `%s` without ON table", name);
    else if (sql_judge_created(j, table))
        sql_judge(j, SQL_CLASS_ANY, "DROP INDEX `%s` on `%s`, created earlier in this file",
                  name, table);
    else
        sql_judge(j, SQL_CLASS_CONTRACT, "DROP INDEX `%s` on `%s`: old code's queries may rely "
                  "on it", name, table);
}

/* lint_rename - RENAME TABLE a TO b[, ...]; RENAME USER and the like are refused */
static void lint_rename(struct sql_judge *j, size_t i)
{
    char name[SQL_JUDGE_NAME_MAX];

    if (!sql_tok_is(j->st, i, "TABLE"))
        sql_judge(j, SQL_CLASS_NEVER, "RENAME of anything but a table is not a statement a "
                  "migration may run");
    else if (judge_name(j, i + 1, "RENAME TABLE", name, sizeof(name)) != 0)
        sql_judge(j, SQL_CLASS_CONTRACT, "RENAME TABLE `%s`: old code still uses the old name",
                  name);
}

/* lint_truncate - TRUNCATE [TABLE] name */
static void lint_truncate(struct sql_judge *j, size_t i)
{
    char name[SQL_JUDGE_NAME_MAX];

    i += sql_tok_is(j->st, i, "TABLE");
    if (judge_name(j, i, "TRUNCATE", name, sizeof(name)) != 0)
        sql_judge(j, SQL_CLASS_CONTRACT, "TRUNCATE `%s` deletes every row old code still reads",
                  name);
}

/* judge_skip_modifiers - past the words of list at i (LOW_PRIORITY, IGNORE, INTO...) */
static size_t judge_skip_modifiers(const struct sql_judge *j, size_t i, const char *const *list)
{
    for (size_t k = 0; list[k] != NULL; k++)
        if (sql_tok_is(j->st, i, list[k]))
            return judge_skip_modifiers(j, i + 1, list);
    return i;
}

static const char *const dml_modifiers[] = {
    "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "QUICK", "IGNORE", "INTO", "FROM", NULL,
};

/* lint_insert - INSERT [IGNORE] [INTO] table ...: new rows */
static void lint_insert(struct sql_judge *j, size_t i)
{
    char name[SQL_JUDGE_NAME_MAX];

    if (judge_name(j, judge_skip_modifiers(j, i, dml_modifiers), "INSERT", name,
                   sizeof(name)) != 0)
        sql_judge(j, SQL_CLASS_ANY, "INSERT INTO `%s`: new rows, old code still works", name);
}

/* lint_replace - REPLACE [INTO] table ...: deletes the rows it collides with */
static void lint_replace(struct sql_judge *j, size_t i)
{
    char name[SQL_JUDGE_NAME_MAX];

    if (judge_name(j, judge_skip_modifiers(j, i, dml_modifiers), "REPLACE", name,
                   sizeof(name)) != 0)
        sql_judge(j, SQL_CLASS_CONTRACT, "REPLACE INTO `%s` deletes the rows it collides with",
                  name);
}

/* judge_where - the index of a WHERE outside parentheses, or 0 */
static size_t judge_where(const struct sql_judge *j)
{
    for (size_t i = 1; i < j->st->count; i = sql_tok_next(j->st, i))
        if (sql_tok_is(j->st, i, "WHERE"))
            return i;
    return 0;
}

/* judge_tok_text - 1 when token i is exactly text */
static int judge_tok_text(const struct sql_judge *j, size_t i, const char *text)
{
    return i < j->st->count && j->st->tok[i].len == strlen(text) &&
           strncasecmp(j->st->text + j->st->tok[i].off, text, j->st->tok[i].len) == 0;
}

/* judge_trivial_where - 1 when the WHERE at w is "1", "TRUE" or "1 = 1" and nothing more */
static int judge_trivial_where(const struct sql_judge *j, size_t w)
{
    size_t n = (judge_tok_text(j, w + 1, "1") || judge_tok_text(j, w + 1, "TRUE")) ? 1 : 0;

    if (n == 1 && judge_tok_text(j, w + 2, "=") && judge_tok_text(j, w + 3, "1"))
        n = 3;
    return n > 0 && (w + 1 + n == j->st->count || sql_tok_is(j->st, w + 1 + n, "ORDER") ||
                     sql_tok_is(j->st, w + 1 + n, "LIMIT"));
}

/* lint_update_delete - UPDATE table ... / DELETE FROM table ...: WHERE decides */
static void lint_update_delete(struct sql_judge *j, size_t i)
{
    char what[16], name[SQL_JUDGE_NAME_MAX];
    size_t w = judge_where(j);

    sql_judge_word(j, 0, what, sizeof(what));
    if (judge_name(j, judge_skip_modifiers(j, i, dml_modifiers), what, name, sizeof(name)) == 0)
        return;
    if (w == 0 || judge_trivial_where(j, w))
        sql_judge(j, SQL_CLASS_CONTRACT, "%s `%s` without %sWHERE changes every row old code "
                  "reads", what, name, w == 0 ? "" : "a real ");
    else
        sql_judge(j, SQL_CLASS_ANY, "%s `%s` with a WHERE: a targeted data change", what, name);
}

/* judge_global_variable - 1 when token i names the server's own settings */
static int judge_global_variable(const struct sql_judge *j, size_t i)
{
    const struct sql_token *t = &j->st->tok[i];
    const char *p = j->st->text + t->off;

    if (sql_tok_is(j->st, i, "GLOBAL") || sql_tok_is(j->st, i, "PERSIST") ||
        sql_tok_is(j->st, i, "PERSIST_ONLY"))
        return 1;
    return t->kind == SQL_TOK_VARIABLE && t->len > 9 &&
           (strncasecmp(p, "@@global.", 9) == 0 || strncasecmp(p, "@@persist", 9) == 0);
}

/* lint_set - SET of session or user variables; SET GLOBAL, PASSWORD, ROLE refused */
static void lint_set(struct sql_judge *j, size_t i)
{
    char what[32];

    if (sql_tok_is(j->st, i, "PASSWORD") || sql_tok_is(j->st, i, "ROLE") ||
        (sql_tok_is(j->st, i, "DEFAULT") && sql_tok_is(j->st, i + 1, "ROLE")))
        sql_judge(j, SQL_CLASS_NEVER, "SET %s is not a statement a migration may run",
                  sql_judge_word(j, i, what, sizeof(what)));
    if (i >= j->st->count)
        sql_judge(j, SQL_CLASS_NEVER, "SET without a variable");
    for (; i < j->st->count; i = sql_tok_next(j->st, i))
        if (judge_global_variable(j, i))
            sql_judge(j, SQL_CLASS_NEVER, "SET %s changes the server for every client",
                      sql_judge_word(j, i, what, sizeof(what)));
    sql_judge(j, SQL_CLASS_ANY, "SET of session variables: only the migration's connection");
}

/* lint_transaction - START TRANSACTION, BEGIN, COMMIT, ROLLBACK [WORK] and nothing more */
static void lint_transaction(struct sql_judge *j, size_t i)
{
    i += sql_tok_is(j->st, 0, "START") && sql_tok_is(j->st, i, "TRANSACTION");
    i += sql_tok_is(j->st, i, "WORK");
    if (i != j->st->count || (sql_tok_is(j->st, 0, "START") && i == 1))
        sql_judge(j, SQL_CLASS_NEVER, "cannot classify a transaction statement with more than "
                  "its keywords");
    else
        sql_judge(j, SQL_CLASS_ANY, "transaction control: changes no schema");
}

static const struct sql_lint_kind sql_lint_kinds[] = {
    {"CREATE", lint_create},     {"ALTER", lint_alter},
    {"DROP", lint_drop},         {"RENAME", lint_rename},
    {"TRUNCATE", lint_truncate}, {"INSERT", lint_insert},
    {"REPLACE", lint_replace},   {"UPDATE", lint_update_delete},
    {"DELETE", lint_update_delete}, {"SET", lint_set},
    {"START", lint_transaction}, {"BEGIN", lint_transaction},
    {"COMMIT", lint_transaction}, {"ROLLBACK", lint_transaction},
};

/* judge_parens_balanced - 1 when every '(' has its ')' */
static int judge_parens_balanced(const struct sql_stmt *st)
{
    long depth = 0;

    for (size_t i = 0; i < st->count && depth >= 0; i++)
        depth += sql_tok_punct(st, i, '(') - sql_tok_punct(st, i, ')');
    return depth == 0;
}

/* judge_classify - a statement the lexer read, by its first word */
static void judge_classify(struct sql_judge *j)
{
    char what[32];

    if (!judge_parens_balanced(j->st)) {
        sql_judge(j, SQL_CLASS_NEVER, "unbalanced parentheses");
        return;
    }
    for (size_t k = 0; k < sizeof(sql_lint_kinds) / sizeof(sql_lint_kinds[0]); k++)
        if (sql_tok_is(j->st, 0, sql_lint_kinds[k].word)) {
            sql_lint_kinds[k].classify(j, 1);
            if (!j->judged)
                sql_judge(j, SQL_CLASS_NEVER, "cannot classify this %s statement",
                          sql_lint_kinds[k].word);
            return;
        }
    sql_judge(j, SQL_CLASS_NEVER, "%s%s%s is not a statement a migration may run",
              j->st->tok[0].kind == SQL_TOK_WORD ? "" : "a statement starting with \"",
              sql_judge_word(j, 0, what, sizeof(what)),
              j->st->tok[0].kind == SQL_TOK_WORD ? "" : "\"");
}

/* judge_result - the verdict of a judged statement in phase, with the class said */
static void judge_result(const struct sql_judge *j, enum sql_phase phase,
                         struct sql_lint_result *r)
{
    static const char *const suffix[] = {
        [SQL_CLASS_ANY] = "", [SQL_CLASS_CONTRACT] = " (contract only)",
        [SQL_CLASS_NEVER] = " (refused in every phase)",
    };

    r->offset = j->st->off;
    r->length = j->st->len;
    r->line = j->st->line;
    r->verdict = j->cls == SQL_CLASS_ANY || (j->cls == SQL_CLASS_CONTRACT &&
                                             phase == SQL_PHASE_CONTRACT)
                     ? SQL_ALLOWED
                     : SQL_REFUSED;
    snprintf(r->reason, sizeof(r->reason), "%.*s%s",
             (int)(sizeof(r->reason) - 1 - strlen(suffix[j->cls])), j->why, suffix[j->cls]);
}

/* lint_one - judge the statement st of a file into r */
static void lint_one(const struct sql_stmt *st, struct sql_file_state *file, enum sql_phase phase,
                     struct sql_lint_result *r)
{
    struct sql_judge j = {st, file, SQL_CLASS_ANY, 0, ""};

    if (st->error[0] != '\0')
        sql_judge(&j, SQL_CLASS_NEVER, "cannot read the statement: %s", st->error);
    else
        judge_classify(&j);
    judge_result(&j, phase, r);
}

/* results_push - room for one more result in *out; NULL out of memory */
static struct sql_lint_result *results_push(struct sql_lint_result **out, size_t *count,
                                            size_t *cap)
{
    if (*count == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct sql_lint_result *grown = realloc(*out, n * sizeof(**out));

        if (grown == NULL)
            return NULL;
        *out = grown;
        *cap = n;
    }
    memset(&(*out)[*count], 0, sizeof(**out));
    return &(*out)[(*count)++];
}

/* lint_whole_file_refused - the one result of a file that cannot be linted */
static int lint_whole_file_refused(const char *why, struct sql_lint_result **out, size_t *count)
{
    if ((*out = calloc(1, sizeof(**out))) == NULL)
        return -1;
    *count = 1;
    (*out)->line = 1;
    (*out)->verdict = SQL_REFUSED;
    snprintf((*out)->reason, sizeof((*out)->reason), "%s (refused in every phase)", why);
    return 0;
}

/* lint_statements - every statement of text into *out; 0 or -1 out of memory */
static int lint_statements(const char *text, size_t len, enum sql_phase phase,
                           struct sql_lint_result **out, size_t *count)
{
    struct sql_file_state *file = calloc(1, sizeof(*file));
    struct sql_stmt st = {0};
    struct sql_lexer lx;
    struct sql_lint_result *r;
    size_t cap = 0;
    int rc = file == NULL ? -1 : 0;

    sql_lexer_init(&lx, text, len);
    while (rc == 0 && (rc = sql_lex_statement(&lx, &st)) == 0) {
        if ((r = results_push(out, count, &cap)) == NULL)
            rc = -1;
        else
            lint_one(&st, file, phase, r);
    }
    sql_stmt_free(&st);
    free(file);
    return rc < 0 ? -1 : 0;
}

/* sql_lint_file - every statement of a migration's text judged for phase */
int sql_lint_file(const char *text, size_t len, enum sql_phase phase,
                  struct sql_lint_result **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (len > SQL_LINT_MAX_BYTES)
        return lint_whole_file_refused("the file is larger than the lint reads", out, count);
    if (lint_statements(text, len, phase, out, count) != 0) {
        free(*out);
        *out = NULL;
        *count = 0;
        return -1;
    }
    if (*count == 0)
        return lint_whole_file_refused("no SQL statement: an empty migration is a mistake", out,
                                       count);
    return 0;
}

/* sql_lint_statement - one statement's text alone; a second statement in it is refused */
int sql_lint_statement(const char *text, size_t len, enum sql_phase phase,
                       struct sql_lint_result *out)
{
    struct sql_lint_result *all;
    size_t count;

    if (sql_lint_file(text, len, phase, &all, &count) != 0)
        return -1;
    *out = all[0];
    if (count > 1) {
        out->verdict = SQL_REFUSED;
        snprintf(out->reason, sizeof(out->reason), "%zu statements where one was expected "
                 "(refused in every phase)", count);
    }
    free(all);
    return 0;
}

/* sql_lint_results_free - release what sql_lint_file() gave */
void sql_lint_results_free(struct sql_lint_result *results)
{
    free(results);
}

/* sql_phase_name - "expand" or "contract" */
const char *sql_phase_name(enum sql_phase phase)
{
    return phase == SQL_PHASE_CONTRACT ? "contract" : "expand";
}

/* sql_phase_parse - "expand" or "contract" into *phase; 0, or -1 for anything else */
int sql_phase_parse(const char *name, enum sql_phase *phase)
{
    if (strcmp(name, "expand") == 0)
        *phase = SQL_PHASE_EXPAND;
    else if (strcmp(name, "contract") == 0)
        *phase = SQL_PHASE_CONTRACT;
    else
        return -1;
    return 0;
}

/* sql_verdict_name - "allowed" or "refused" */
const char *sql_verdict_name(enum sql_verdict verdict)
{
    return verdict == SQL_ALLOWED ? "allowed" : "refused";
}
