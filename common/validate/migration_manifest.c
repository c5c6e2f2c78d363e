/*
 * migration_manifest - read a release's cutover/migrations.yml with libyaml
 *                      (the format is in migration_manifest.h).
 *
 * DESCRIPTION
 *	The file is read whole (capped), loaded as one libyaml document and
 *	walked two levels deep: the root mapping, then each entry's mapping.
 *	Aliases are not expanded by the loader, so the walk stays bounded.
 */
#include "validate/migration_manifest.h"

#include "base/buf.h"
#include "base/yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the walk carries around. */
struct manifest_walk {
    const char *path;
    yaml_document_t *doc;
    struct migration_manifest *m;
    char *err;
    size_t err_len;
};

/* manifest_err - "path line N: message" into err (no line when node is NULL); returns -1 */
static int __attribute__((format(printf, 3, 4)))
manifest_err(struct manifest_walk *w, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    yaml_doc_verr(w->err, w->err_len, w->path, node, fmt, ap);
    va_end(ap);
    return -1;
}

/* manifest_scalar - a node's text; NULL when it is not a scalar */
static const char *manifest_scalar(const yaml_node_t *node)
{
    return node != NULL && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
                                                          : NULL;
}

/* manifest_relative_ok - 1 for a relative path without a ".." component */
static int manifest_relative_ok(const char *p)
{
    if (p[0] == '\0' || p[0] == '/')
        return 0;
    for (; *p != '\0'; p += strspn(p, "/")) {
        size_t len = strcspn(p, "/");

        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len;
    }
    return 1;
}

/* manifest_set - one key of an entry from a scalar value; 0 or -1 */
static int manifest_set(struct manifest_walk *w, const yaml_node_t *key, const yaml_node_t *value,
                        struct migration_entry *e)
{
    const char *k = manifest_scalar(key), *v = manifest_scalar(value);
    char **field = NULL;

    if (k == NULL || v == NULL || v[0] == '\0')
        return manifest_err(w, value ? value : key, "an entry's keys and values are non-empty text");
    if (strcmp(k, "phase") == 0)
        return sql_phase_parse(v, &e->phase) == 0
                   ? 0 : manifest_err(w, value, "phase \"%s\" is not expand or contract", v);
    field = strcmp(k, "name") == 0 ? &e->name : strcmp(k, "sql") == 0 ? &e->sql
          : strcmp(k, "command") == 0 ? &e->command : NULL;
    if (field == NULL)
        return manifest_err(w, key, "unknown key \"%s\" (name, phase, sql, command)", k);
    if (*field != NULL)
        return manifest_err(w, key, "%s appears twice", k);
    if (field == &e->sql && !manifest_relative_ok(v))
        return manifest_err(w, value, "sql \"%s\" must be relative to the release, without "
                            "\"..\"", v);
    if ((*field = strdup(v)) == NULL)
        return manifest_err(w, value, "out of memory");
    return 0;
}

/* manifest_entry_check - name, phase and one of sql and command are there; 0 or -1 */
static int manifest_entry_check(struct manifest_walk *w, const yaml_node_t *node,
                                const struct migration_entry *e, int has_phase)
{
    if (e->name == NULL || !has_phase)
        return manifest_err(w, node, "a migration needs a name and a phase");
    if ((e->sql == NULL) == (e->command == NULL))
        return manifest_err(w, node, "migration \"%s\" needs exactly one of sql and command",
                            e->name);
    for (size_t i = 0; i + 1 < w->m->count; i++)
        if (strcmp(w->m->entries[i].name, e->name) == 0)
            return manifest_err(w, node, "migration \"%s\" appears twice", e->name);
    return 0;
}

/* manifest_entry - one {name, phase, sql|command} mapping into e; 0 or -1 */
static int manifest_entry(struct manifest_walk *w, const yaml_node_t *node,
                          struct migration_entry *e)
{
    int has_phase = 0;

    if (node == NULL || node->type != YAML_MAPPING_NODE)
        return manifest_err(w, node, "a migration is a mapping {name, phase, sql or command}");
    e->line = (unsigned)node->start_mark.line + 1;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *key = yaml_document_get_node(w->doc, p->key);

        if (manifest_set(w, key, yaml_document_get_node(w->doc, p->value), e) != 0)
            return -1;
        has_phase |= strcmp(manifest_scalar(key), "phase") == 0;
    }
    return manifest_entry_check(w, node, e, has_phase);
}

/* manifest_list - the migrations list; 0 or -1 */
static int manifest_list(struct manifest_walk *w, const yaml_node_t *node)
{
    size_t count;

    if (node == NULL || node->type != YAML_SEQUENCE_NODE)
        return manifest_err(w, node, "migrations must be a list");
    count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (count > MIGRATION_MANIFEST_MAX)
        return manifest_err(w, node, "more than %d migrations", MIGRATION_MANIFEST_MAX);
    if (count > 0 && (w->m->entries = calloc(count, sizeof(*w->m->entries))) == NULL)
        return manifest_err(w, node, "out of memory");
    for (size_t i = 0; i < count; i++) {
        w->m->count = i + 1;
        if (manifest_entry(w, yaml_document_get_node(w->doc, node->data.sequence.items.start[i]),
                           &w->m->entries[i]) != 0)
            return -1;
    }
    return 0;
}

/* manifest_root - the root mapping: only "migrations"; 0 or -1 */
static int manifest_root(struct manifest_walk *w)
{
    yaml_node_t *root = yaml_document_get_root_node(w->doc);
    const yaml_node_pair_t *p;

    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return manifest_err(w, root, "the document must be a mapping with a migrations list");
    if (root->data.mapping.pairs.top - root->data.mapping.pairs.start != 1)
        return manifest_err(w, root, "the only key is migrations");
    p = root->data.mapping.pairs.start;
    if (manifest_scalar(yaml_document_get_node(w->doc, p->key)) == NULL ||
        strcmp(manifest_scalar(yaml_document_get_node(w->doc, p->key)), "migrations") != 0)
        return manifest_err(w, root, "the only key is migrations");
    return manifest_list(w, yaml_document_get_node(w->doc, p->value));
}

/* manifest_parse - load text as a document and walk it; 0 or -1 */
static int manifest_parse(struct manifest_walk *w, const struct buf *text)
{
    int rc;

    if (yaml_doc_load(w->doc, w->path, (const unsigned char *)(text->data ? text->data : ""),
                      text->len, w->err, w->err_len) != 0)
        return -1;
    rc = manifest_root(w);
    yaml_document_delete(w->doc);
    return rc;
}

/* migration_manifest_load - read and check path; NULL with err set */
struct migration_manifest *migration_manifest_load(const char *path, char *err, size_t err_len)
{
    yaml_document_t doc;
    struct manifest_walk w = {path, &doc, NULL, err, err_len};
    struct buf text;

    buf_init(&text, MIGRATION_MANIFEST_MAX_BYTES);
    if (buf_read_file(&text, path) != 0) {
        manifest_err(&w, NULL, "%s", errno == EFBIG ? "larger than the manifest may be"
                                                    : strerror(errno));
    } else if ((w.m = calloc(1, sizeof(*w.m))) == NULL) {
        manifest_err(&w, NULL, "out of memory");
    } else if (manifest_parse(&w, &text) != 0) {
        migration_manifest_free(w.m);
        w.m = NULL;
    }
    buf_free(&text);
    return w.m;
}

/* migration_manifest_free - release a manifest */
void migration_manifest_free(struct migration_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->count; i++) {
        free(m->entries[i].name);
        free(m->entries[i].sql);
        free(m->entries[i].command);
    }
    free(m->entries);
    free(m);
}
