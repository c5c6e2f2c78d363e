/*
 * migration_manifest - a release's cutover/migrations.yml: its schema
 *                      migrations in order, each expand or contract.
 *
 * SYNOPSIS
 *	struct migration_manifest *m = migration_manifest_load(path, err, sizeof(err));
 *	for (size_t i = 0; m && i < m->count; i++) m->entries[i].name ...
 *	migration_manifest_free(m);
 *
 * DESCRIPTION
 *	The file (YAML, read with libyaml, at most MIGRATION_MANIFEST_MAX_BYTES):
 *
 *	    migrations:
 *	      - name: add-order-notes          (unique, not empty)
 *	        phase: expand                  (expand | contract)
 *	        sql: migrations/0001_notes.sql (relative to the release root, no "..")
 *	      - name: backfill-notes
 *	        phase: expand
 *	        command: "wp eval-file scripts/backfill.php"
 *
 *	Each entry has exactly one of sql and command. The list runs in file
 *	order: expand entries before the new color gets traffic, contract
 *	entries once the old color is retired. An empty list is a release
 *	without migrations. Any other key, a duplicate name, a missing field
 *	or more than MIGRATION_MANIFEST_MAX entries is an error that names
 *	the file and the line (1-based).
 */
#ifndef CUTOVER_MIGRATION_MANIFEST_H
#define CUTOVER_MIGRATION_MANIFEST_H

#include "validate/sql_lint.h"

#include <stddef.h>

#define MIGRATION_MANIFEST_PATH      "cutover/migrations.yml"
#define MIGRATION_MANIFEST_MAX_BYTES (1024 * 1024)
#define MIGRATION_MANIFEST_MAX       1000

struct migration_entry {
    char *name;
    enum sql_phase phase;
    char *sql;     /* a path relative to the release root, or NULL */
    char *command; /* a shell command, or NULL */
    unsigned line;
};

struct migration_manifest {
    struct migration_entry *entries;
    size_t count;
};

struct migration_manifest *migration_manifest_load(const char *path, char *err, size_t err_len);
void migration_manifest_free(struct migration_manifest *m);

#endif
