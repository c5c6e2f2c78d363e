/*
 * appspec - parse CodeDeploy's appspec.yml with libyaml.
 *
 * SYNOPSIS
 *	See appspec.h. The runner of the hooks is in appspec_run.c.
 *
 * DESCRIPTION
 *	The file is read whole (at most APPSPEC_MAX_BYTES), loaded as a libyaml
 *	document and walked: the top-level mapping (version, os, files,
 *	permissions, hooks), then each hook's list of scripts. Every error
 *	names the file and the line (1-based) where libyaml saw the problem.
 *	Aliases are not expanded by the document loader, and only a fixed
 *	depth is walked, so a hostile file cannot make the walk grow.
 */
#include "provider/local/appspec.h"

#include "base/log.h"
#include "base/yaml_doc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* What the parser carries around. */
struct appspec_parse {
    const char *path;
    yaml_document_t *doc;
    int max_timeout_s;
    char *err;
    size_t err_len;
};

static const char *const appspec_hooks_run[] = {
    "ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
    NULL,
};

static const char *const appspec_hooks_skip[] = {
    "BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic",
    "AllowTraffic", "AfterAllowTraffic", "DownloadBundle", "Install", "Start", "End",
    "BeforeAllowTestTraffic", "AfterAllowTestTraffic", NULL,
};

/* appspec_err - format "path line N: message" into err; returns -1 */
static int __attribute__((format(printf, 3, 4)))
appspec_err(struct appspec_parse *ps, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    yaml_doc_verr(ps->err, ps->err_len, ps->path, node, fmt, ap);
    va_end(ap);
    return -1;
}

/* appspec_in - 1 when name is in the NULL-terminated list */
static int appspec_in(const char *const *list, const char *name)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* appspec_hook_kind - 1: run locally, 0: CodeDeploy event skipped locally, -1: unknown */
int appspec_hook_kind(const char *name)
{
    if (appspec_in(appspec_hooks_run, name))
        return 1;
    if (appspec_in(appspec_hooks_skip, name))
        return 0;
    return -1;
}

/* appspec_scalar - the text of a scalar node; NULL when node is not a scalar */
static const char *appspec_scalar(const yaml_node_t *node)
{
    if (node == NULL || node->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)node->data.scalar.value;
}

/* appspec_node - node id of doc; NULL when absent */
static yaml_node_t *appspec_node(struct appspec_parse *ps, int id)
{
    return yaml_document_get_node(ps->doc, id);
}

/* appspec_dup_scalar - strdup of a scalar node's text into *out; 0 or -1 */
static int appspec_dup_scalar(struct appspec_parse *ps, const yaml_node_t *node,
                              const char *what, char **out)
{
    const char *text = appspec_scalar(node);

    if (text == NULL)
        return appspec_err(ps, node, "%s must be a scalar", what);
    free(*out);
    if ((*out = strdup(text)) == NULL)
        return appspec_err(ps, node, "out of memory");
    return 0;
}

/* appspec_location_ok - 1 when a script location is relative and has no ".." */
static int appspec_location_ok(const char *loc)
{
    const char *p = loc;

    if (loc[0] == '\0' || loc[0] == '/')
        return 0;
    while (*p != '\0') {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len;
        p += strspn(p, "/");
    }
    return 1;
}

/* appspec_parse_timeout - a positive integer of seconds, lowered to the maximum; 0 or -1 */
static int appspec_parse_timeout(struct appspec_parse *ps, const yaml_node_t *node, int *out)
{
    const char *text = appspec_scalar(node);
    char *end;
    long v;

    if (text == NULL)
        return appspec_err(ps, node, "timeout must be a number of seconds");
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1)
        return appspec_err(ps, node, "timeout \"%s\" is not a positive number of seconds",
                           text);
    if (v > ps->max_timeout_s) {
        log_warn("%s line %lu: timeout %ld s lowered to the maximum %d s", ps->path,
                 (unsigned long)node->start_mark.line + 1, v, ps->max_timeout_s);
        v = ps->max_timeout_s;
    }
    *out = (int)v;
    return 0;
}

/* appspec_parse_script_key - one key of a script entry; 0 or -1 */
static int appspec_parse_script_key(struct appspec_parse *ps, const yaml_node_t *key,
                                    const yaml_node_t *value, struct appspec_script *script)
{
    const char *name = appspec_scalar(key);

    if (name == NULL)
        return appspec_err(ps, key, "a script key must be a scalar");
    if (strcmp(name, "location") == 0)
        return appspec_dup_scalar(ps, value, "location", &script->location);
    if (strcmp(name, "timeout") == 0)
        return appspec_parse_timeout(ps, value, &script->timeout_s);
    if (strcmp(name, "runas") == 0)
        return appspec_dup_scalar(ps, value, "runas", &script->runas);
    return appspec_err(ps, key, "unknown script key \"%s\" (location, timeout, runas)", name);
}

/* appspec_parse_script - one {location, timeout, runas} mapping; 0 or -1 */
static int appspec_parse_script(struct appspec_parse *ps, const yaml_node_t *node,
                                struct appspec_script *script)
{
    script->timeout_s = APPSPEC_TIMEOUT_DEFAULT_S < ps->max_timeout_s
                            ? APPSPEC_TIMEOUT_DEFAULT_S
                            : ps->max_timeout_s;
    if (node == NULL || node->type != YAML_MAPPING_NODE)
        return appspec_err(ps, node, "a script must be a mapping with a location");
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++)
        if (appspec_parse_script_key(ps, appspec_node(ps, p->key), appspec_node(ps, p->value),
                                     script) != 0)
            return -1;
    if (script->location == NULL)
        return appspec_err(ps, node, "a script has no location");
    if (!appspec_location_ok(script->location))
        return appspec_err(ps, node,
                           "location \"%s\" must be relative to the release, without \"..\"",
                           script->location);
    return 0;
}

/* appspec_parse_scripts - a hook's list of scripts (may be empty or null); 0 or -1 */
static int appspec_parse_scripts(struct appspec_parse *ps, const yaml_node_t *node,
                                 struct appspec_hook *hook)
{
    size_t count;

    if (appspec_scalar(node) != NULL && node->data.scalar.length == 0)
        return 0; /* "Hook:" with nothing: no scripts */
    if (node == NULL || node->type != YAML_SEQUENCE_NODE)
        return appspec_err(ps, node, "hook %s must be a list of scripts", hook->name);
    count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (count > APPSPEC_MAX_SCRIPTS)
        return appspec_err(ps, node, "hook %s has more than %d scripts", hook->name,
                           APPSPEC_MAX_SCRIPTS);
    if (count > 0 && (hook->scripts = calloc(count, sizeof(*hook->scripts))) == NULL)
        return appspec_err(ps, node, "out of memory");
    for (size_t i = 0; i < count; i++) {
        hook->script_count = i + 1;
        if (appspec_parse_script(ps, appspec_node(ps, node->data.sequence.items.start[i]),
                                 &hook->scripts[i]) != 0)
            return -1;
    }
    return 0;
}

/* appspec_parse_hook - one "Name: [scripts]" pair into spec; 0 or -1 */
static int appspec_parse_hook(struct appspec_parse *ps, const yaml_node_t *key,
                              const yaml_node_t *value, struct appspec *spec)
{
    const char *name = appspec_scalar(key);
    struct appspec_hook *hook;
    int kind;

    if (name == NULL)
        return appspec_err(ps, key, "a hook name must be a scalar");
    if ((kind = appspec_hook_kind(name)) < 0)
        return appspec_err(ps, key, "unknown hook \"%s\"", name);
    if (appspec_hook_find(spec, name) != NULL)
        return appspec_err(ps, key, "hook %s appears twice", name);
    hook = &spec->hooks[spec->hook_count++];
    hook->runnable = kind;
    if ((hook->name = strdup(name)) == NULL)
        return appspec_err(ps, key, "out of memory");
    return appspec_parse_scripts(ps, value, hook);
}

/* appspec_parse_hooks - the hooks mapping; 0 or -1 */
static int appspec_parse_hooks(struct appspec_parse *ps, const yaml_node_t *node,
                               struct appspec *spec)
{
    size_t count;

    if (appspec_scalar(node) != NULL && node->data.scalar.length == 0)
        return 0;
    if (node == NULL || node->type != YAML_MAPPING_NODE)
        return appspec_err(ps, node, "hooks must be a mapping of hook name to scripts");
    if (spec->hooks != NULL)
        return appspec_err(ps, node, "hooks appears twice");
    count = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (count > 0 && (spec->hooks = calloc(count, sizeof(*spec->hooks))) == NULL)
        return appspec_err(ps, node, "out of memory");
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++)
        if (appspec_parse_hook(ps, appspec_node(ps, p->key), appspec_node(ps, p->value),
                               spec) != 0)
            return -1;
    return 0;
}

/* appspec_parse_top_key - one key of the top-level mapping; 0 or -1 */
static int appspec_parse_top_key(struct appspec_parse *ps, const yaml_node_t *key,
                                 const yaml_node_t *value, struct appspec *spec)
{
    const char *name = appspec_scalar(key);

    if (name == NULL)
        return appspec_err(ps, key, "a top-level key must be a scalar");
    if (strcmp(name, "version") == 0)
        return appspec_dup_scalar(ps, value, "version", &spec->version);
    if (strcmp(name, "os") == 0)
        return appspec_dup_scalar(ps, value, "os", &spec->os);
    if (strcmp(name, "files") == 0 || strcmp(name, "permissions") == 0)
        return 0; /* CodeDeploy copies files; the local provider runs the release in place */
    if (strcmp(name, "hooks") == 0)
        return appspec_parse_hooks(ps, value, spec);
    return appspec_err(ps, key, "unknown key \"%s\" (version, os, files, permissions, hooks)",
                       name);
}

/* appspec_parse_root - the top-level mapping of a loaded document; 0 or -1 */
static int appspec_parse_root(struct appspec_parse *ps, struct appspec *spec)
{
    yaml_node_t *root = yaml_document_get_root_node(ps->doc);

    if (root == NULL)
        return appspec_err(ps, NULL, "empty document");
    if (root->type != YAML_MAPPING_NODE)
        return appspec_err(ps, root, "the document must be a mapping");
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++)
        if (appspec_parse_top_key(ps, appspec_node(ps, p->key), appspec_node(ps, p->value),
                                  spec) != 0)
            return -1;
    return 0;
}

/* appspec_read - the whole file into a buffer (capped); NULL with err set */
static unsigned char *appspec_read(struct appspec_parse *ps, size_t *len)
{
    FILE *f = fopen(ps->path, "re");
    unsigned char *buf = NULL;

    if (f == NULL) {
        appspec_err(ps, NULL, "%s", strerror(errno));
        return NULL;
    }
    if ((buf = malloc(APPSPEC_MAX_BYTES + 1)) == NULL) {
        appspec_err(ps, NULL, "out of memory");
        goto out;
    }
    *len = fread(buf, 1, APPSPEC_MAX_BYTES + 1, f);
    if (ferror(f) || *len > APPSPEC_MAX_BYTES) {
        appspec_err(ps, NULL, ferror(f) ? "read error" : "larger than %ld bytes",
                    APPSPEC_MAX_BYTES);
        free(buf);
        buf = NULL;
    }
out:
    fclose(f);
    return buf;
}

/* appspec_load_max - parse path with timeouts capped at max_timeout_s; NULL on error */
struct appspec *appspec_load_max(const char *path, int max_timeout_s, char *err, size_t err_len)
{
    yaml_document_t doc;
    struct appspec_parse ps = { path, &doc, max_timeout_s > 0 ? max_timeout_s : 1, err, err_len };
    struct appspec *spec = NULL;
    unsigned char *buf;
    size_t len = 0;
    int loaded = 0;

    if ((buf = appspec_read(&ps, &len)) == NULL)
        return NULL;
    if (yaml_doc_load(&doc, path, buf, len, err, err_len) != 0)
        goto out;
    loaded = 1;
    if ((spec = calloc(1, sizeof(*spec))) == NULL) {
        appspec_err(&ps, NULL, "out of memory");
        goto out;
    }
    if (appspec_parse_root(&ps, spec) != 0) {
        appspec_free(spec);
        spec = NULL;
    }
out:
    if (loaded)
        yaml_document_delete(&doc);
    free(buf);
    return spec;
}

/* appspec_load - parse path; timeouts capped at APPSPEC_TIMEOUT_MAX_S */
struct appspec *appspec_load(const char *path, char *err, size_t err_len)
{
    return appspec_load_max(path, APPSPEC_TIMEOUT_MAX_S, err, err_len);
}

/* appspec_hook_find - the hook called name in spec; NULL when absent */
const struct appspec_hook *appspec_hook_find(const struct appspec *spec, const char *name)
{
    for (size_t i = 0; i < spec->hook_count; i++)
        if (strcmp(spec->hooks[i].name, name) == 0)
            return &spec->hooks[i];
    return NULL;
}

/* appspec_free - release a parsed spec */
void appspec_free(struct appspec *spec)
{
    if (spec == NULL)
        return;
    for (size_t i = 0; i < spec->hook_count; i++) {
        for (size_t j = 0; j < spec->hooks[i].script_count; j++) {
            free(spec->hooks[i].scripts[j].location);
            free(spec->hooks[i].scripts[j].runas);
        }
        free(spec->hooks[i].scripts);
        free(spec->hooks[i].name);
    }
    free(spec->hooks);
    free(spec->version);
    free(spec->os);
    free(spec);
}
