/*
 * sql_lint_alter - the lint's ALTER TABLE: each comma-separated clause
 *                  judged on its own, the worst verdict kept.
 *
 * SYNOPSIS
 *	sql_lint_alter_table(&judge, index of the word after ALTER);
 *
 * DESCRIPTION
 *	The rules are listed in sql_lint.h. A clause is the tokens between
 *	two commas outside parentheses; one the lint does not know is refused
 *	in every phase. On a table created earlier in the same file the
 *	contract-only clauses are allowed: no old code uses that table.
 */
#include "validate/sql_judge.h"

#include <stdio.h>
#include <string.h>

/* One clause of an ALTER TABLE: its tokens [begin, end) and its table. */
struct alter_clause {
    struct sql_judge *j;
    size_t begin, end;
    const char *table;
};

/* What an added column's definition says. */
struct column_def {
    int not_null, has_default, unique;
};

/* clause_is - 1 when token i (inside the clause) is the word kw */
static int clause_is(const struct alter_clause *c, size_t i, const char *kw)
{
    return i < c->end && sql_tok_is(c->j->st, i, kw);
}

/* clause_name - the [schema.]name at i (inside the clause) into out; index after it, or 0 */
static size_t clause_name(const struct alter_clause *c, size_t i, char *out, size_t len)
{
    if (i >= c->end || sql_tok_name(c->j->st, &i, out, len) != 0 || i > c->end)
        return 0;
    return i;
}

/* column_def_read - the attributes of a column definition from i (its type) to the end */
static int column_def_read(const struct alter_clause *c, size_t i, struct column_def *d)
{
    const struct sql_stmt *st = c->j->st;

    if (i >= c->end || st->tok[i].kind != SQL_TOK_WORD)
        return -1; /* no type */
    for (; i < c->end; i = sql_tok_next(st, i)) {
        if (sql_tok_is(st, i, "NOT") && clause_is(c, i + 1, "NULL"))
            d->not_null = 1, i++;
        else if (sql_tok_is(st, i, "DEFAULT") || sql_tok_is(st, i, "AUTO_INCREMENT") ||
                 sql_tok_is(st, i, "AS") || sql_tok_is(st, i, "GENERATED"))
            d->has_default = 1;
        else if (sql_tok_is(st, i, "UNIQUE") || sql_tok_is(st, i, "PRIMARY"))
            d->unique = 1;
    }
    return 0;
}

/* alter_add_column - one column definition (name type attributes) in [i, end) */
static void alter_add_column(const struct alter_clause *c, size_t i)
{
    struct column_def d = {0};
    char col[SQL_JUDGE_NAME_MAX];

    if ((i = clause_name(c, i, col, sizeof(col))) == 0 || column_def_read(c, i, &d) != 0)
        sql_judge(c->j, SQL_CLASS_NEVER, "cannot read the column definition in ALTER TABLE `%s`",
                  c->table);
    else if (d.unique)
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ADD COLUMN `%s` UNIQUE or PRIMARY KEY on existing "
                  "table `%s`: a DEFAULT repeats on every row, and old code's inserts may "
                  "collide", col, c->table);
    else if (d.not_null && !d.has_default)
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ADD COLUMN `%s` NOT NULL without DEFAULT: old code "
                  "that inserts rows without it fails", col);
    else
        sql_judge(c->j, SQL_CLASS_ANY, "ADD COLUMN `%s` %s: old code that inserts rows without "
                  "it still works", col, d.not_null ? "NOT NULL with a DEFAULT" : "nullable");
}

/* alter_add_column_list - ADD [COLUMN] (def, def, ...) starting at the '(' */
static void alter_add_column_list(const struct alter_clause *c, size_t open)
{
    const struct sql_stmt *st = c->j->st;
    struct alter_clause inner = *c;
    size_t close = sql_tok_skip_parens(st, open) - 1;

    inner.begin = open + 1;
    while (inner.begin < close) {
        inner.end = inner.begin;
        while (inner.end < close && !sql_tok_punct(st, inner.end, ','))
            inner.end = sql_tok_next(st, inner.end);
        alter_add_column(&inner, inner.begin);
        inner.begin = inner.end + 1;
    }
}

/* alter_add_constraint - ADD [CONSTRAINT [name]] UNIQUE|PRIMARY|FOREIGN|CHECK at i */
static void alter_add_constraint(const struct alter_clause *c, size_t i)
{
    char what[24];

    if (clause_is(c, i, "UNIQUE") || clause_is(c, i, "PRIMARY"))
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ADD %s on existing table `%s`: rows already there or "
                  "old code's inserts may violate it", clause_is(c, i, "UNIQUE") ? "UNIQUE" :
                  "PRIMARY KEY", c->table);
    else if (clause_is(c, i, "FOREIGN") || clause_is(c, i, "CHECK"))
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ADD %s on existing table `%s`: old code may write "
                  "rows it refuses", sql_judge_word(c->j, i, what, sizeof(what)), c->table);
    else
        sql_judge(c->j, SQL_CLASS_NEVER, "cannot classify ADD CONSTRAINT in ALTER TABLE `%s`",
                  c->table);
}

/* alter_add - ADD COLUMN, INDEX, KEY, a constraint or a column list */
static void alter_add(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char idx[SQL_JUDGE_NAME_MAX] = "";
    int constraint = clause_is(c, i, "CONSTRAINT");

    if (clause_is(c, i, "FULLTEXT") || clause_is(c, i, "SPATIAL") || clause_is(c, i, "INDEX") ||
        clause_is(c, i, "KEY")) {
        i += clause_is(c, i, "FULLTEXT") || clause_is(c, i, "SPATIAL");
        i += clause_is(c, i, "INDEX") || clause_is(c, i, "KEY");
        clause_name(c, i, idx, sizeof(idx));
        sql_judge(c->j, SQL_CLASS_ANY, "ADD INDEX %s%s%son `%s`: old code's queries only get "
                  "faster", idx[0] ? "`" : "", idx, idx[0] ? "` " : "", c->table);
        return;
    }
    if (constraint) {
        i++;
        if (!(clause_is(c, i, "UNIQUE") || clause_is(c, i, "PRIMARY") ||
              clause_is(c, i, "FOREIGN") || clause_is(c, i, "CHECK")))
            i++; /* the constraint's name */
    }
    if (clause_is(c, i, "UNIQUE") || clause_is(c, i, "PRIMARY") || clause_is(c, i, "FOREIGN") ||
        clause_is(c, i, "CHECK") || constraint) {
        alter_add_constraint(c, i);
        return;
    }
    i += clause_is(c, i, "COLUMN");
    if (clause_is(c, i, "IF") && clause_is(c, i + 1, "NOT") && clause_is(c, i + 2, "EXISTS"))
        i += 3;
    if (i < c->end && sql_tok_punct(c->j->st, i, '(') && sql_tok_skip_parens(c->j->st, i) == c->end)
        alter_add_column_list(c, i);
    else
        alter_add_column(c, i);
}

/* alter_drop - DROP [COLUMN|INDEX|KEY|PRIMARY KEY|FOREIGN KEY|CONSTRAINT|CHECK...] name */
static void alter_drop(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char what[24] = "COLUMN", name[SQL_JUDGE_NAME_MAX] = "";

    if (clause_is(c, i, "PRIMARY") || clause_is(c, i, "FOREIGN"))
        snprintf(what, sizeof(what), "%s KEY", clause_is(c, i, "PRIMARY") ? "PRIMARY" : "FOREIGN"),
            i += 2;
    else if (clause_is(c, i, "COLUMN") || clause_is(c, i, "INDEX") || clause_is(c, i, "KEY") ||
             clause_is(c, i, "CONSTRAINT") || clause_is(c, i, "CHECK") ||
             clause_is(c, i, "PARTITION"))
        sql_judge_word(c->j, i++, what, sizeof(what));
    if (clause_is(c, i, "IF") && clause_is(c, i + 1, "EXISTS"))
        i += 2;
    clause_name(c, i, name, sizeof(name));
    sql_judge(c->j, SQL_CLASS_CONTRACT, "DROP %s%s%s%s on `%s`: old code still relies on it",
              what, name[0] ? " `" : "", name, name[0] ? "`" : "", c->table);
}

/* alter_rename - RENAME [TO|AS] new, RENAME COLUMN|INDEX|KEY old TO new */
static void alter_rename(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char what[24], name[SQL_JUDGE_NAME_MAX] = "";

    if (clause_is(c, i, "COLUMN") || clause_is(c, i, "INDEX") || clause_is(c, i, "KEY")) {
        sql_judge_word(c->j, i, what, sizeof(what));
        clause_name(c, i + 1, name, sizeof(name));
        sql_judge(c->j, SQL_CLASS_CONTRACT, "RENAME %s `%s` on `%s`: old code still uses the old "
                  "name", what, name, c->table);
        return;
    }
    i += clause_is(c, i, "TO") || clause_is(c, i, "AS");
    clause_name(c, i, name, sizeof(name));
    sql_judge(c->j, SQL_CLASS_CONTRACT, "RENAME TABLE `%s` to `%s`: old code still uses the old "
              "name", c->table, name);
}

/* alter_change - CHANGE [COLUMN] old new def or MODIFY [COLUMN] name def */
static void alter_change(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char what[16], name[SQL_JUDGE_NAME_MAX] = "";

    sql_judge_word(c->j, c->begin, what, sizeof(what));
    i += clause_is(c, i, "COLUMN");
    clause_name(c, i, name, sizeof(name));
    sql_judge(c->j, SQL_CLASS_CONTRACT, "%s COLUMN `%s` on `%s`: without the current schema a "
              "widening cannot be told from a type change or NULL -> NOT NULL, which break old "
              "code", what, name, c->table);
}

/* alter_column - ALTER [COLUMN] name SET DEFAULT | DROP DEFAULT | SET [IN]VISIBLE */
static void alter_column(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char name[SQL_JUDGE_NAME_MAX] = "";

    i += clause_is(c, i, "COLUMN");
    i = clause_name(c, i, name, sizeof(name));
    if (i != 0 && clause_is(c, i, "SET") && clause_is(c, i + 1, "DEFAULT"))
        sql_judge(c->j, SQL_CLASS_ANY, "ALTER COLUMN `%s` SET DEFAULT: old code's inserts "
                  "without it get the new default", name);
    else if (i != 0 && clause_is(c, i, "DROP") && clause_is(c, i + 1, "DEFAULT"))
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ALTER COLUMN `%s` DROP DEFAULT: old code that "
                  "inserts rows without it may fail", name);
    else if (i != 0 && clause_is(c, i, "SET") &&
             (clause_is(c, i + 1, "INVISIBLE") || clause_is(c, i + 1, "VISIBLE")))
        sql_judge(c->j, SQL_CLASS_CONTRACT, "ALTER COLUMN `%s` SET VISIBLE/INVISIBLE: old "
                  "code's SELECT * changes", name);
    else
        sql_judge(c->j, SQL_CLASS_NEVER, "cannot classify ALTER COLUMN `%s` on `%s`", name,
                  c->table);
}

/* alter_option - ALGORITHM [=] x, LOCK [=] x, COMMENT [=] '...': 1 when the clause is one */
static int alter_option(const struct alter_clause *c)
{
    size_t i = c->begin + 1;
    char what[16];

    i += i < c->end && sql_tok_punct(c->j->st, i, '=');
    if (i + 1 != c->end)
        return 0;
    if (clause_is(c, c->begin, "ALGORITHM") || clause_is(c, c->begin, "LOCK"))
        sql_judge(c->j, SQL_CLASS_ANY, "%s option: how MySQL runs the change, not what it changes",
                  sql_judge_word(c->j, c->begin, what, sizeof(what)));
    else if (clause_is(c, c->begin, "COMMENT") && c->j->st->tok[i].kind == SQL_TOK_STRING)
        sql_judge(c->j, SQL_CLASS_ANY, "table COMMENT: no effect on old code");
    else
        return 0;
    return 1;
}

/* alter_rebuild - ENGINE, CONVERT, CHARSET, COLLATE, ROW_FORMAT, FORCE: 1 when the clause is one */
static int alter_rebuild(const struct alter_clause *c)
{
    static const char *const words[] = {"ENGINE", "CONVERT", "CHARACTER", "CHARSET", "COLLATE",
                                        "DEFAULT", "ROW_FORMAT", "FORCE", NULL};
    char what[24];

    for (size_t k = 0; words[k] != NULL; k++)
        if (clause_is(c, c->begin, words[k])) {
            sql_judge(c->j, SQL_CLASS_CONTRACT, "%s on `%s` rebuilds or converts the table under "
                      "old code", sql_judge_word(c->j, c->begin, what, sizeof(what)), c->table);
            return 1;
        }
    return 0;
}

/* alter_clause_judge - one clause, by its first word */
static void alter_clause_judge(const struct alter_clause *c)
{
    char what[24];

    if (c->begin == c->end)
        sql_judge(c->j, SQL_CLASS_NEVER, "an empty clause in ALTER TABLE `%s`", c->table);
    else if (clause_is(c, c->begin, "ADD"))
        alter_add(c);
    else if (clause_is(c, c->begin, "DROP"))
        alter_drop(c);
    else if (clause_is(c, c->begin, "RENAME"))
        alter_rename(c);
    else if (clause_is(c, c->begin, "CHANGE") || clause_is(c, c->begin, "MODIFY"))
        alter_change(c);
    else if (clause_is(c, c->begin, "ALTER"))
        alter_column(c);
    else if (!alter_option(c) && !alter_rebuild(c))
        sql_judge(c->j, SQL_CLASS_NEVER, "cannot classify \"%s\" in ALTER TABLE `%s`",
                  sql_judge_word(c->j, c->begin, what, sizeof(what)), c->table);
}

/* alter_next_comma - the end of the clause starting at i: a comma outside parentheses */
static size_t alter_next_comma(const struct sql_stmt *st, size_t i)
{
    while (i < st->count && !sql_tok_punct(st, i, ','))
        i = sql_tok_next(st, i);
    return i;
}

/* alter_new_table - contract-only clauses on a table this file created are harmless */
static void alter_new_table(struct sql_judge *j, const char *table)
{
    if (j->cls != SQL_CLASS_CONTRACT || !sql_judge_created(j, table))
        return;
    j->cls = SQL_CLASS_ANY;
    snprintf(j->why, sizeof(j->why), "ALTER TABLE `%s`, created earlier in this file: no old "
             "code uses it", table);
}

/* sql_lint_alter_table - ALTER [ONLINE|IGNORE] TABLE name clause, clause, ... */
void sql_lint_alter_table(struct sql_judge *j, size_t i)
{
    const struct sql_stmt *st = j->st;
    struct alter_clause c = {j, 0, 0, NULL};
    char table[SQL_JUDGE_NAME_MAX];
    int ignore = sql_tok_is(st, i, "IGNORE");

    i += sql_tok_is(st, i, "ONLINE") || ignore;
    if (!sql_tok_is(st, i, "TABLE") || (++i, sql_tok_name(st, &i, table, sizeof(table))) != 0) {
        sql_judge(j, SQL_CLASS_NEVER, "cannot read the table name of ALTER TABLE");
        return;
    }
    if (i >= st->count || sql_tok_punct(st, st->count - 1, ','))
        sql_judge(j, SQL_CLASS_NEVER, "ALTER TABLE `%s` without a clause or with a trailing "
                  "comma", table);
    c.table = table;
    for (c.begin = i; c.begin < st->count; c.begin = c.end + 1) {
        c.end = alter_next_comma(st, c.begin);
        alter_clause_judge(&c);
    }
    if (ignore)
        sql_judge(j, SQL_CLASS_CONTRACT, "ALTER IGNORE TABLE `%s` deletes the rows a new key "
                  "refuses", table);
    alter_new_table(j, table);
}
