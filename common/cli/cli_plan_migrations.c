/*
 * cli_plan_migrations - the migrations cutover plan names: the release's
 *                       cutover/migrations.yml, read from a local artifact.
 *
 * DESCRIPTION
 *	See cli_plan.h. A local artifact (an absolute path or a file: URI) is
 *	copied with artifact_fetch (its sha256 checked when given) into a
 *	temporary directory, unpacked there with artifact_unpack, its manifest
 *	loaded, and the directory removed: nothing outside it is written. A
 *	release without cutover/migrations.yml has no migrations.
 */
#include "cli/cli_plan.h"
#include "provider/local/artifact.h"
#include "provider/plan/provider_plan.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* plan_artifact_is_local - 1 for a file: URI or an absolute path */
static int plan_artifact_is_local(const char *artifact)
{
    return strncmp(artifact, "file:", 5) == 0 || artifact[0] == '/';
}

/* plan_migrations_unknown - m's migrations are unknown, for the reason fmt says */
static void plan_migrations_unknown(struct plan_migrations *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void plan_migrations_unknown(struct plan_migrations *m, const char *fmt, ...)
{
    va_list ap;
    m->unknown = 1;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof(m->why), fmt, ap);
    va_end(ap);
}

/* plan_migrations_load - the manifest of the release unpacked in root, if any */
static void plan_migrations_load(const char *root, struct plan_migrations *m)
{
    char path[PATH_MAX + sizeof(MIGRATION_MANIFEST_PATH) + 1], err[512];

    snprintf(path, sizeof(path), "%s/%s", root, MIGRATION_MANIFEST_PATH);
    if (access(path, F_OK) != 0)
        return; /* no manifest: no migrations */
    if ((m->manifest = migration_manifest_load(path, err, sizeof(err))) == NULL)
        plan_migrations_unknown(m, "unreadable " MIGRATION_MANIFEST_PATH ": %s", err);
}

/* plan_migrations_read - read artifact's cutover/migrations.yml into m */
void plan_migrations_read(const char *artifact, const char *sha256, struct plan_migrations *m)
{
    char tmp[] = "/tmp/cutover-plan.XXXXXX", file[PATH_MAX], dir[PATH_MAX], err[512];
    const char *base;

    memset(m, 0, sizeof(*m));
    if (artifact == NULL || !plan_artifact_is_local(artifact)) {
        plan_migrations_unknown(m, "%s is not read: only a local path or file: URI is",
                                artifact ? artifact : "no --artifact given, the release");
        return;
    }
    if (mkdtemp(tmp) == NULL) {
        plan_migrations_unknown(m, "mkdtemp: %s", strerror(errno));
        return;
    }
    base = strrchr(artifact, '/');
    snprintf(file, sizeof(file), "%s/%s", tmp, base ? base + 1 : artifact);
    snprintf(dir, sizeof(dir), "%s/release", tmp);
    if (artifact_fetch(artifact, sha256, file, err, sizeof(err)) != 0 ||
        artifact_unpack(file, dir, err, sizeof(err)) != 0)
        plan_migrations_unknown(m, "the release cannot be read: %s", err);
    else
        plan_migrations_load(dir, m);
    artifact_remove_tree(tmp);
}

/* plan_migrations_note - one line per migration of phase, or why there is none */
void plan_migrations_note(const struct plan_migrations *m, enum sql_phase phase, void *recorder)
{
    const char *name = phase == SQL_PHASE_EXPAND ? "expand" : "contract";
    char line[1024];
    int noted = 0;

    for (size_t i = 0; m->manifest && i < m->manifest->count; i++) {
        const struct migration_entry *e = &m->manifest->entries[i];
        if (e->phase != phase)
            continue;
        snprintf(line, sizeof(line), "migrate %s %s: %s %s", name, e->name,
                 e->sql ? "sql" : "command", e->sql ? e->sql : e->command);
        provider_plan_note(recorder, line);
        noted++;
    }
    if (noted > 0)
        return;
    if (m->unknown)
        snprintf(line, sizeof(line), "migrate %s: unknown (%s)", name, m->why);
    else
        snprintf(line, sizeof(line), "migrate %s: none in the release", name);
    provider_plan_note(recorder, line);
}

/* plan_migrations_free - free what plan_migrations_read kept */
void plan_migrations_free(struct plan_migrations *m)
{
    migration_manifest_free(m->manifest);
    m->manifest = NULL;
}
