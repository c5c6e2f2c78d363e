/*
 * sql_judge - what the lint's classifiers share (sql_lint.c, sql_lint_alter.c;
 *             defined in sql_judge.c, below both):
 *             one statement under judgement and the verdict it is getting.
 *
 * DESCRIPTION
 *	A classifier calls sql_judge() once per thing it recognizes; the worst
 *	class wins (never > contract > any) and keeps the first reason given
 *	for it. A statement nothing judged is refused by the caller. Tables
 *	created earlier in the same file are remembered (at most
 *	SQL_JUDGE_TABLES_MAX), since old code cannot depend on them.
 */
#ifndef CUTOVER_SQL_JUDGE_H
#define CUTOVER_SQL_JUDGE_H

#include "validate/sql_lex.h"
#include "validate/sql_lint.h"

#define SQL_JUDGE_NAME_MAX   80
#define SQL_JUDGE_TABLES_MAX 64

enum sql_class {
    SQL_CLASS_ANY,      /* allowed in expand and in contract */
    SQL_CLASS_CONTRACT, /* destructive for the old code: contract only */
    SQL_CLASS_NEVER,    /* refused in every phase */
};

/* What a file has done so far that later statements depend on. */
struct sql_file_state {
    char created[SQL_JUDGE_TABLES_MAX][SQL_JUDGE_NAME_MAX];
    size_t created_count;
};

struct sql_judge {
    const struct sql_stmt *st;
    struct sql_file_state *file;
    enum sql_class cls;
    int judged;
    char why[SQL_LINT_REASON_MAX];
};

/* sql_judge - class cls with a reason, when it is worse than what st already has */
void sql_judge(struct sql_judge *j, enum sql_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* sql_judge_created - 1 when table was created earlier in this file */
int sql_judge_created(const struct sql_judge *j, const char *table);
/* sql_judge_word - token i's text (at most out_len - 1 bytes), for a reason */
const char *sql_judge_word(const struct sql_judge *j, size_t i, char *out, size_t out_len);

/* sql_lint_alter_table - ALTER [ONLINE|IGNORE] TABLE ..., its clauses one by one */
void sql_lint_alter_table(struct sql_judge *j, size_t i);

#endif
