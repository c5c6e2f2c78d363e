/*
 * sql_lint - the backward-compatibility lint of MySQL/MariaDB migrations
 *            (expand/contract): every statement allowed or refused, with why.
 *
 * SYNOPSIS
 *	struct sql_lint_result *r;
 *	size_t n;
 *	if (sql_lint_file(text, len, SQL_PHASE_EXPAND, &r, &n) != 0)
 *		out of memory;
 *	for (size_t i = 0; i < n; i++)
 *		printf("line %u %s: %s\n", r[i].line, sql_verdict_name(r[i].verdict), r[i].reason);
 *	sql_lint_results_free(r);
 *
 * DESCRIPTION
 *	An expand migration runs while the old color still serves, so each of
 *	its statements must leave the old code working; a contract migration
 *	runs once the old color is retired and may be destructive. The lint
 *	does not read the current schema: it judges each statement by its
 *	text alone, and what it cannot judge it refuses (fails closed).
 *
 *	Allowed in both phases: CREATE TABLE [IF NOT EXISTS] (also LIKE and
 *	AS SELECT); CREATE VIEW (a new name); CREATE [FULLTEXT|SPATIAL] INDEX;
 *	ALTER TABLE with any number of comma-separated ADD [COLUMN] clauses
 *	that are NULL (the default) or carry a DEFAULT (AUTO_INCREMENT and
 *	generated columns count as one), ADD INDEX/KEY/FULLTEXT/SPATIAL,
 *	ALTER COLUMN ... SET DEFAULT, COMMENT, and the ALGORITHM= and LOCK=
 *	options; INSERT (INSERT IGNORE, VALUES, SET, SELECT, ON DUPLICATE KEY
 *	UPDATE); UPDATE and DELETE with a WHERE that is not trivially true
 *	(WHERE 1, TRUE or 1=1 count as none); SET of session and user
 *	variables (SET NAMES, SET sql_mode, SET @x, SET SESSION ...); START
 *	TRANSACTION, BEGIN, COMMIT, ROLLBACK. Comments are not statements.
 *
 *	Contract only (refused in expand): DROP TABLE/VIEW/INDEX; ALTER TABLE
 *	... DROP anything, RENAME [TO|AS|COLUMN|INDEX|KEY], CHANGE and MODIFY
 *	(a widening such as VARCHAR(50) -> VARCHAR(100) is refused too: it
 *	cannot be told from a narrowing or NULL -> NOT NULL without the
 *	current schema), ALTER COLUMN ... DROP DEFAULT or SET [IN]VISIBLE,
 *	ADD COLUMN ... NOT NULL without DEFAULT, UNIQUE or PRIMARY KEY (as a
 *	clause or on the column), FOREIGN KEY, CHECK, ENGINE=, CONVERT TO,
 *	CHARSET/COLLATE, ROW_FORMAT=, FORCE; ALTER IGNORE TABLE; ALTER VIEW,
 *	CREATE OR REPLACE VIEW/TABLE; CREATE UNIQUE INDEX; RENAME TABLE;
 *	TRUNCATE; REPLACE; UPDATE or DELETE without WHERE.
 *	A table created earlier in the same file is new to the old code: any
 *	contract-only ALTER TABLE, CREATE UNIQUE INDEX or DROP INDEX on it is
 *	allowed in expand.
 *
 *	Refused in every phase: anything else (GRANT, DROP DATABASE, USE,
 *	SELECT, CALL, LOAD DATA, CREATE TRIGGER/PROCEDURE, ...), SET GLOBAL
 *	or PERSIST, SET PASSWORD/ROLE, an ALTER TABLE clause the lint does
 *	not know, unbalanced parentheses, and what the lexer cannot read
 *	(sql_lex.h: unterminated strings and comments, NUL bytes, executable
 *	comments, DELIMITER). A file without any statement is refused as one
 *	result at line 1 (an empty migration is a mistake); a file larger
 *	than SQL_LINT_MAX_BYTES likewise.
 *
 *	sql_lint_statement() lints one statement's text alone (a trailing
 *	';' is fine; a second statement is refused). Both return 0, or -1 when
 *	memory ran out (nothing to free then). A result points into the text
 *	(offset, length) and does not own it.
 */
#ifndef CUTOVER_SQL_LINT_H
#define CUTOVER_SQL_LINT_H

#include <stddef.h>

#define SQL_LINT_MAX_BYTES  (16 * 1024 * 1024)
#define SQL_LINT_REASON_MAX 256

enum sql_phase { SQL_PHASE_EXPAND, SQL_PHASE_CONTRACT };
enum sql_verdict { SQL_ALLOWED, SQL_REFUSED };

struct sql_lint_result {
    size_t offset, length; /* the statement in the text, without its ';' */
    unsigned line;         /* of its first token, 1-based */
    enum sql_verdict verdict;
    char reason[SQL_LINT_REASON_MAX];
};

int sql_lint_file(const char *text, size_t len, enum sql_phase phase,
                  struct sql_lint_result **out, size_t *count);
int sql_lint_statement(const char *text, size_t len, enum sql_phase phase,
                       struct sql_lint_result *out);
void sql_lint_results_free(struct sql_lint_result *results);

const char *sql_phase_name(enum sql_phase phase);
/* sql_phase_parse - "expand" or "contract" into *phase; 0, or -1 for anything else */
int sql_phase_parse(const char *name, enum sql_phase *phase);
const char *sql_verdict_name(enum sql_verdict verdict);

#endif
