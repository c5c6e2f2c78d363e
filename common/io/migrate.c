/*
 * migrate - the migration runner (see migrate.h): NNNN_name.sql files of
 *           a directory in order of their number, each in its own
 *           transaction together with its row in schema_migrations, under
 *           a session advisory lock so that many processes starting at
 *           once apply each file exactly once. Files must not contain
 *           transaction control of their own.
 */
#include "io/migrate.h"

#include "base/log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_FILE_MAX    (1024 * 1024) /* largest migration file */
#define MIGRATE_COUNT_MAX   10000         /* most files in a migrations directory */
/* the advisory lock key of the migration runner: "cutover" in ASCII */
#define MIGRATE_LOCK_KEY    "27995165641041266"

/* migrate_name_ok - whether name is NNNN_[a-z0-9_]+.sql */
static int migrate_name_ok(const char *name)
{
    size_t len = strlen(name);

    if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
        return 0;
    for (size_t i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)name[i]))
            return 0;
    }
    for (size_t i = 5; i < len - 4; i++) {
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '_'))
            return 0;
    }
    return 1;
}

/* migrate_compare - qsort order: by name, which is by number first */
static int migrate_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* migrate_check_duplicates - error when two sorted names share a number */
static int migrate_check_duplicates(char **names, size_t count, char *err, size_t err_len)
{
    for (size_t i = 1; i < count; i++) {
        if (strncmp(names[i - 1], names[i], 4) == 0) {
            snprintf(err, err_len, "migrations %s and %s have the same number", names[i - 1], names[i]);
            return -1;
        }
    }
    return 0;
}

/* migrate_collect - the accepted names of an open directory; 0 or -1 */
static int migrate_collect(DIR *dir, const char *path, char **names, size_t *count, char *err, size_t err_len)
{
    struct dirent *entry;

    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.' || strncmp(name, "README", 6) == 0)
            continue;
        if (!migrate_name_ok(name)) {
            snprintf(err, err_len, "%s/%s: not a migration name (NNNN_name.sql, lower case)", path, name);
            return -1;
        }
        if (*count == MIGRATE_COUNT_MAX) {
            snprintf(err, err_len, "%s: more than %d migrations", path, MIGRATE_COUNT_MAX);
            return -1;
        }
        if ((names[*count] = strdup(name)) == NULL) {
            snprintf(err, err_len, "%s: out of memory", path);
            return -1;
        }
        (*count)++;
    }
    return 0;
}

/* migrate_list - the migration files of dir in apply order; 0 or -1 */
int migrate_list(const char *dir, char ***names, size_t *count, char *err, size_t err_len)
{
    char **found = NULL;
    size_t n = 0;
    int result = -1;

    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, err_len, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if ((found = calloc(MIGRATE_COUNT_MAX, sizeof(*found))) == NULL) {
        snprintf(err, err_len, "%s: out of memory", dir);
        goto out;
    }
    if (migrate_collect(d, dir, found, &n, err, err_len) != 0)
        goto out;
    qsort(found, n, sizeof(*found), migrate_compare);
    if (migrate_check_duplicates(found, n, err, err_len) != 0)
        goto out;
    *names = found;
    *count = n;
    found = NULL;
    result = 0;
out:
    migrate_list_free(found, n);
    closedir(d);
    return result;
}

/* migrate_list_free - free what migrate_list() returned */
void migrate_list_free(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* migrate_read - the text of a migration file, at most MIGRATE_FILE_MAX bytes */
static char *migrate_read(const char *path, char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = fopen(path, "r");

    if (fp == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((text = malloc(MIGRATE_FILE_MAX + 1)) == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto out;
    }
    len = fread(text, 1, MIGRATE_FILE_MAX + 1, fp);
    if (ferror(fp) || len > MIGRATE_FILE_MAX) {
        snprintf(err, err_len, "%s: %s", path, ferror(fp) ? "read error" : "larger than 1 MiB");
        free(text);
        text = NULL;
        goto out;
    }
    text[len] = '\0';
out:
    fclose(fp);
    return text;
}

/* migrate_applied - 1 when version is recorded, 0 when not, -1 on error */
static int migrate_applied(struct db *db, const char *version)
{
    const char *params[] = { version };
    PGresult *res = db_query(db, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params);

    if (res == NULL)
        return -1;
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

/* migrate_apply_one - apply one file in a transaction with its record row */
static int migrate_apply_one(struct db *db, const char *dir, const char *name, char *err, size_t err_len)
{
    char path[4096], version[5];
    char *text = NULL;
    int result = -1;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(version, sizeof(version), "%.4s", name);
    const char *params[] = { version, name };
    if ((text = migrate_read(path, err, err_len)) == NULL)
        return -1;
    if (db_begin(db) != 0 || db_exec_script(db, text) != 0
        || db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params) != 0
        || db_commit(db) != 0) {
        snprintf(err, err_len, "migration %s failed: %s", name, db_last_error(db));
        if (db_ok(db))
            db_rollback(db);
        goto out;
    }
    log_info("migration %s applied", name);
    result = 0;
out:
    free(text);
    return result;
}

/* migrate_apply_all - apply every file not yet recorded; 0 or -1 */
static int migrate_apply_all(struct db *db, const char *dir, char **names, size_t count, char *err, size_t err_len)
{
    char version[5];

    for (size_t i = 0; i < count; i++) {
        snprintf(version, sizeof(version), "%.4s", names[i]);
        int applied = migrate_applied(db, version);
        if (applied < 0) {
            snprintf(err, err_len, "schema_migrations: %s", db_last_error(db));
            return -1;
        }
        if (!applied && migrate_apply_one(db, dir, names[i], err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* migrate_run - apply the migrations of dir under an advisory lock; 0 or -1 */
int migrate_run(struct db *db, const char *dir, char *err, size_t err_len)
{
    const char *key[] = { MIGRATE_LOCK_KEY };
    char **names = NULL;
    size_t count = 0;
    int result = -1;

    if (migrate_list(dir, &names, &count, err, err_len) != 0)
        return -1;
    if (db_exec(db, "SELECT pg_advisory_lock($1::bigint)", 1, key) != 0) {
        snprintf(err, err_len, "migration lock: %s", db_last_error(db));
        goto out;
    }
    if (db_exec(db,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version int PRIMARY KEY,"
                " name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                0, NULL)
        != 0) {
        snprintf(err, err_len, "schema_migrations: %s", db_last_error(db));
    } else {
        result = migrate_apply_all(db, dir, names, count, err, err_len);
    }
    db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, key);
out:
    migrate_list_free(names, count);
    return result;
}
