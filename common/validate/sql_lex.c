/*
 * sql_lex - MySQL's lexical rules for the migration lint: statements,
 *           their tokens, and the small readers sql_lint.c builds on.
 *
 * SYNOPSIS
 *	See sql_lex.h.
 *
 * DESCRIPTION
 *	One pass, byte by byte, never reading past len: the text need not
 *	end with a NUL and may contain some (each one is an error). Lines are
 *	counted as the lexer goes, so every statement knows its first line.
 */
#include "validate/sql_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* lx_peek - the byte at pos + ahead, or 0 past the end */
static unsigned char lx_peek(const struct sql_lexer *lx, size_t ahead)
{
    return lx->pos + ahead < lx->len ? (unsigned char)lx->text[lx->pos + ahead] : 0;
}

/* lx_at_end - 1 when nothing is left */
static int lx_at_end(const struct sql_lexer *lx)
{
    return lx->pos >= lx->len;
}

/* lx_step - one byte forward, counting lines */
static void lx_step(struct sql_lexer *lx)
{
    if (lx->text[lx->pos] == '\n')
        lx->line++;
    lx->pos++;
}

/* lx_word_byte - 1 for a byte that may be part of a bare word */
static int lx_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

/* stmt_fail - record the statement's first lexical error (later ones add nothing) */
static void __attribute__((format(printf, 2, 3))) stmt_fail(struct sql_stmt *st, const char *fmt, ...)
{
    va_list ap;

    if (st->error[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof(st->error), fmt, ap);
    va_end(ap);
}

/* stmt_begin - the statement starts here unless it already has */
static void stmt_begin(struct sql_stmt *st, const struct sql_lexer *lx, int *started)
{
    if (*started)
        return;
    *started = 1;
    st->off = lx->pos;
    st->line = lx->line;
}

/* lx_skip_line - past the end of the line (a "#" or "-- " comment) */
static void lx_skip_line(struct sql_lexer *lx)
{
    while (!lx_at_end(lx) && lx->text[lx->pos] != '\n')
        lx_step(lx);
}

/* lx_dash_comment - 1 when "--" at pos starts a comment: MySQL wants a space or control after */
static int lx_dash_comment(const struct sql_lexer *lx)
{
    return lx_peek(lx, 0) == '-' && lx_peek(lx, 1) == '-' &&
           (lx->pos + 2 >= lx->len || lx_peek(lx, 2) <= ' ');
}

/* lx_block_comment - past a C-style comment at pos; an executable or unterminated one fails st */
static void lx_block_comment(struct sql_lexer *lx, struct sql_stmt *st, int *started)
{
    unsigned line = lx->line;

    if (lx_peek(lx, 2) == '!' || (lx_peek(lx, 2) == 'M' && lx_peek(lx, 3) == '!')) {
        stmt_begin(st, lx, started);
        stmt_fail(st, "executable comment /*! ... */ on line %u: MySQL runs its content, "
                      "which the lint does not read; write the statement plainly", line);
    }
    lx->pos += 2;
    while (!lx_at_end(lx) && !(lx_peek(lx, 0) == '*' && lx_peek(lx, 1) == '/'))
        lx_step(lx);
    if (lx_at_end(lx)) {
        stmt_begin(st, lx, started);
        stmt_fail(st, "unterminated comment /* starting on line %u", line);
        return;
    }
    lx->pos += 2;
}

/* lx_skip_blank - past white space and comments */
static void lx_skip_blank(struct sql_lexer *lx, struct sql_stmt *st, int *started)
{
    while (!lx_at_end(lx)) {
        unsigned char c = lx_peek(lx, 0);

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
            lx_step(lx);
        else if (c == '#' || lx_dash_comment(lx))
            lx_skip_line(lx);
        else if (c == '/' && lx_peek(lx, 1) == '*')
            lx_block_comment(lx, st, started);
        else
            return;
    }
}

/* lx_quoted - past a string or `name` opened by q at pos; 0, -1 when unterminated, 1 when
 * a backslash escapes the quote (the string would end elsewhere under NO_BACKSLASH_ESCAPES) */
static int lx_quoted(struct sql_lexer *lx, unsigned char q)
{
    int ambiguous = 0;

    lx->pos++;
    while (!lx_at_end(lx)) {
        unsigned char c = lx_peek(lx, 0);

        if (c == '\\' && q != '`' && lx->pos + 1 < lx->len) {
            ambiguous |= lx_peek(lx, 1) == q;
            lx->pos++;
            lx_step(lx);
        } else if (c == q && lx_peek(lx, 1) == q) {
            lx->pos += 2;
        } else if (c == q) {
            lx->pos++;
            return ambiguous;
        } else {
            lx_step(lx);
        }
    }
    return -1;
}

/* lx_token - read one token at pos (not blank, not ';'); its kind */
static enum sql_token_kind lx_token(struct sql_lexer *lx, struct sql_stmt *st)
{
    unsigned char c = lx_peek(lx, 0);
    unsigned line = lx->line;

    if (c == '\'' || c == '"' || c == '`') {
        int rc = lx_quoted(lx, c);

        if (rc < 0)
            stmt_fail(st, "unterminated %s %c starting on line %u",
                      c == '`' ? "name" : "string", c, line);
        else if (rc > 0)
            stmt_fail(st, "a backslash before a quote in the string on line %u ends it "
                          "elsewhere under NO_BACKSLASH_ESCAPES: double the quote instead", line);
        return c == '`' ? SQL_TOK_QNAME : SQL_TOK_STRING;
    }
    if (lx_word_byte(c) || (c == '@' && (lx_peek(lx, 1) == '@' || lx_word_byte(lx_peek(lx, 1))))) {
        lx->pos++;
        while (!lx_at_end(lx) && (lx_word_byte(lx_peek(lx, 0)) ||
                                  ((c == '@' || (c >= '0' && c <= '9')) && lx_peek(lx, 0) == '.') ||
                                  (c == '@' && lx_peek(lx, 0) == '@')))
            lx->pos++;
        return c == '@' ? SQL_TOK_VARIABLE : c >= '0' && c <= '9' ? SQL_TOK_NUMBER : SQL_TOK_WORD;
    }
    if (c == '\0')
        stmt_fail(st, "NUL byte on line %u", line);
    lx_step(lx);
    return SQL_TOK_PUNCT;
}

/* stmt_push - keep a token (beyond the cap, only the error) ; 0 or -1 out of memory */
static int stmt_push(struct sql_stmt *st, enum sql_token_kind kind, size_t off, size_t len)
{
    if (st->count == SQL_LEX_MAX_TOKENS) {
        stmt_fail(st, "more than %d tokens in one statement", SQL_LEX_MAX_TOKENS);
        return 0;
    }
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        struct sql_token *tok = realloc(st->tok, cap * sizeof(*tok));

        if (tok == NULL)
            return -1;
        st->tok = tok;
        st->cap = cap;
    }
    st->tok[st->count++] = (struct sql_token){kind, off, len};
    return 0;
}

/* sql_lexer_init - lex text[0..len) from its start */
void sql_lexer_init(struct sql_lexer *lx, const char *text, size_t len)
{
    *lx = (struct sql_lexer){text, len, 0, 1};
}

/* stmt_reset - an empty statement over lx's text */
static void stmt_reset(struct sql_stmt *st, const struct sql_lexer *lx)
{
    st->count = 0;
    st->off = st->len = 0;
    st->line = lx->line;
    st->text = lx->text;
    st->error[0] = '\0';
}

/* stmt_delimiter - a DELIMITER command: it and the rest of the text, refused */
static void stmt_delimiter(struct sql_lexer *lx, struct sql_stmt *st)
{
    stmt_fail(st, "DELIMITER is a mysql client command (stored programs are not linted): "
                  "the rest of the text from line %u cannot be split", st->line);
    lx->pos = lx->len;
}

/* sql_lex_statement - the next statement into st; 0, 1 at the end, -1 out of memory */
int sql_lex_statement(struct sql_lexer *lx, struct sql_stmt *st)
{
    int started = 0;
    size_t start;
    enum sql_token_kind kind;

    stmt_reset(st, lx);
    for (;;) {
        lx_skip_blank(lx, st, &started);
        if (lx_at_end(lx) || (lx_peek(lx, 0) == ';' && started))
            break;
        if (lx_peek(lx, 0) == ';') { /* an empty statement: nothing to lint */
            lx->pos++;
            continue;
        }
        stmt_begin(st, lx, &started);
        start = lx->pos;
        kind = lx_token(lx, st);
        if (stmt_push(st, kind, start, lx->pos - start) != 0)
            return -1;
        st->len = lx->pos - st->off;
        if (st->count == 1 && sql_tok_is(st, 0, "DELIMITER"))
            stmt_delimiter(lx, st);
    }
    if (started && st->len == 0)
        st->len = lx->pos - st->off;
    if (!lx_at_end(lx))
        lx->pos++; /* the ';' */
    return started ? 0 : 1;
}

/* sql_stmt_free - release a statement's tokens */
void sql_stmt_free(struct sql_stmt *st)
{
    free(st->tok);
    st->tok = NULL;
    st->count = st->cap = 0;
}

/* sql_tok_is - 1 when token i is the word kw (any case) */
int sql_tok_is(const struct sql_stmt *st, size_t i, const char *kw)
{
    return i < st->count && st->tok[i].kind == SQL_TOK_WORD && st->tok[i].len == strlen(kw) &&
           strncasecmp(st->text + st->tok[i].off, kw, st->tok[i].len) == 0;
}

/* sql_tok_punct - 1 when token i is the punctuation character c */
int sql_tok_punct(const struct sql_stmt *st, size_t i, char c)
{
    return i < st->count && st->tok[i].kind == SQL_TOK_PUNCT && st->text[st->tok[i].off] == c;
}

/* tok_is_name - 1 when token i can be a name (a bare word or a `name`) */
static int tok_is_name(const struct sql_stmt *st, size_t i)
{
    return i < st->count && (st->tok[i].kind == SQL_TOK_WORD || st->tok[i].kind == SQL_TOK_QNAME);
}

/* tok_copy_name - token i's name into out, backticks removed and `` undoubled */
static void tok_copy_name(const struct sql_stmt *st, size_t i, char *out, size_t out_len)
{
    const struct sql_token *t = &st->tok[i];
    const char *p = st->text + t->off, *end = p + t->len;
    size_t n = 0;

    if (t->kind == SQL_TOK_QNAME) {
        p++;
        end -= end > p && end[-1] == '`';
    }
    for (; p < end && n + 1 < out_len; p++) {
        out[n++] = *p;
        p += *p == '`' && p + 1 < end && p[1] == '`';
    }
    out[n] = '\0';
}

/* sql_tok_name - read a [schema.]name at *i into out (its last part); 0, or -1 when none */
int sql_tok_name(const struct sql_stmt *st, size_t *i, char *out, size_t out_len)
{
    if (!tok_is_name(st, *i))
        return -1;
    while (sql_tok_punct(st, *i + 1, '.') && tok_is_name(st, *i + 2))
        *i += 2;
    tok_copy_name(st, *i, out, out_len);
    (*i)++;
    return 0;
}

/* sql_tok_skip_parens - past the balanced (...) starting at i; i itself when not '(' */
size_t sql_tok_skip_parens(const struct sql_stmt *st, size_t i)
{
    size_t depth = 0;

    if (!sql_tok_punct(st, i, '('))
        return i;
    for (; i < st->count; i++) {
        if (sql_tok_punct(st, i, '('))
            depth++;
        else if (sql_tok_punct(st, i, ')') && --depth == 0)
            return i + 1;
    }
    return st->count;
}

/* sql_tok_next - the index after token i, or after the whole (...) when i opens one */
size_t sql_tok_next(const struct sql_stmt *st, size_t i)
{
    size_t after = sql_tok_skip_parens(st, i);

    return after > i ? after : i + 1;
}
