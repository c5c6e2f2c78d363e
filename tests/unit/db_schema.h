/*
 * db_schema - unit-test helper: a connection to the real PostgreSQL of
 *             CUTOVER_DATABASE_URL working in a schema of its own.
 *
 * SYNOPSIS
 *	struct db_schema s;
 *	if (db_schema_open(&s, "test_db") != 0) skip();	(no database configured)
 *	... s.db, with search_path = s.name ...
 *	db_schema_rows_read(&s, "effects");		(rows its scans read)
 *	db_schema_close(&s);				(drops the schema)
 *
 * DESCRIPTION
 *	The schema is named <prefix>_<pid>_<n>, created fresh and set as the
 *	session's search_path, so that schema_migrations and the tables a
 *	test creates never touch the real ones, and tests running at once
 *	never see each other's rows. The DDL names the schema through a
 *	session setting and format(%I): no SQL is built by formatting in C.
 */
#ifndef CUTOVER_TEST_DB_SCHEMA_H
#define CUTOVER_TEST_DB_SCHEMA_H

#include "io/db.h"

struct db_schema {
    struct db *db; /* NULL when no database is configured */
    char name[64];
};

/* db_schema_open - connect and enter a fresh schema; 0, or -1 without
 * CUTOVER_DATABASE_URL (a failure to connect or create fails the test) */
int db_schema_open(struct db_schema *s, const char *prefix);
/* db_schema_use - point another connection's search_path at schema name; 0 or -1 */
int db_schema_use(struct db *db, const char *name);
/* db_schema_close - drop the schema and disconnect */
void db_schema_close(struct db_schema *s);
/* db_schema_rows_read - rows of table read so far by this session's
 * scans (sequential, and heap fetches of index scans, filtered out or
 * not), as PostgreSQL's statistics count them: how a test bounds what a
 * statement reads */
long long db_schema_rows_read(struct db_schema *s, const char *table);

#endif
