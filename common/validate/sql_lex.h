/*
 * sql_lex - MySQL's lexical rules for the migration lint (sql_lint.c):
 *           one statement's tokens at a time, and helpers to read them.
 *
 * SYNOPSIS
 *	struct sql_lexer lx;
 *	struct sql_stmt st = {0};
 *	sql_lexer_init(&lx, text, len);
 *	while (sql_lex_statement(&lx, &st) == 0) { ...st.tok[0..st.count-1]... }
 *	sql_stmt_free(&st);
 *
 * DESCRIPTION
 *	Words (keywords and bare names; letters, digits, '_', '$' and bytes
 *	above 127), `backticked names` (`` doubles a backtick), 'strings' and
 *	"strings" (MySQL's default mode: a double quote makes a string, not a
 *	name; a backslash escapes, a doubled quote is one), numbers, @user and
 *	@@system variables (dots included) and single punctuation characters.
 *	Comments are skipped: "-- " (two dashes then a space, a control
 *	character or the end, as MySQL wants), "#" to the end of the line,
 *	and C-style comments, optimizer hints included.
 *
 *	A statement ends at a ';' outside strings, names and comments, or at
 *	the end of the text. Empty statements (";;", or only comments) are
 *	skipped. A statement the lexer cannot read sets st.error, and the
 *	lint refuses it: an unterminated string, name or comment (it swallows
 *	the rest of the text), a string with a backslash before a quote (\'
 *	or \": where it ends depends on the server's NO_BACKSLASH_ESCAPES, which
 *	the lint cannot know; '' is the same without doubt), a NUL byte, an executable comment ("/ *!..." without the space,
 *	whose content MySQL runs), more than SQL_LEX_MAX_TOKENS tokens, and
 *	the mysql client's DELIMITER command (the rest of the text cannot be
 *	split without running the client: it becomes this one statement).
 */
#ifndef CUTOVER_SQL_LEX_H
#define CUTOVER_SQL_LEX_H

#include <stddef.h>

#define SQL_LEX_MAX_TOKENS 200000
#define SQL_LEX_ERROR_MAX  160

enum sql_token_kind {
    SQL_TOK_WORD,     /* keyword or bare name */
    SQL_TOK_QNAME,    /* `backticked name` */
    SQL_TOK_STRING,   /* 'string' or "string" */
    SQL_TOK_NUMBER,
    SQL_TOK_VARIABLE, /* @name, @@name, @@global.name */
    SQL_TOK_PUNCT,    /* one character: ( ) , . = and the rest */
};

struct sql_token {
    enum sql_token_kind kind;
    size_t off, len; /* in the text, quotes included */
};

/* One statement: where it is in the text, its first line, its tokens. */
struct sql_stmt {
    size_t off, len;
    unsigned line;
    struct sql_token *tok;
    size_t count, cap;
    const char *text;
    char error[SQL_LEX_ERROR_MAX]; /* empty when the statement was read */
};

struct sql_lexer {
    const char *text;
    size_t len, pos;
    unsigned line;
};

void sql_lexer_init(struct sql_lexer *lx, const char *text, size_t len);
/* sql_lex_statement - the next statement into st; 1 at the end, -1 out of memory */
int sql_lex_statement(struct sql_lexer *lx, struct sql_stmt *st);
void sql_stmt_free(struct sql_stmt *st);

/* sql_tok_is - 1 when token i is the word kw (any case) */
int sql_tok_is(const struct sql_stmt *st, size_t i, const char *kw);
/* sql_tok_punct - 1 when token i is the punctuation character c */
int sql_tok_punct(const struct sql_stmt *st, size_t i, char c);
/* sql_tok_name - read a [schema.]name at *i into out (`last part`); 0, or -1 when none */
int sql_tok_name(const struct sql_stmt *st, size_t *i, char *out, size_t out_len);
/* sql_tok_skip_parens - past the balanced (...) starting at i; i itself when not '(' */
size_t sql_tok_skip_parens(const struct sql_stmt *st, size_t i);
/* sql_tok_next - the index after token i, or after the whole (...) when i opens one */
size_t sql_tok_next(const struct sql_stmt *st, size_t i);

#endif
