/*
 * jsonschema - a small JSON Schema validator over cJSON (see jsonschema.h).
 *
 * SYNOPSIS
 *	#include "io/jsonschema.h"
 *
 *	jsonschema_check(schema, err, err_len);
 *	jsonschema_validate(schema, instance, err, err_len);
 *
 * DESCRIPTION
 *	Validation walks the schema and the instance together, keeping the
 *	JSON pointer of the current place in a fixed buffer (JS_PATH_MAX;
 *	longer pointers are cut). Each keyword family has one function; the
 *	first failure writes "<pointer>: <what is wrong>" and unwinds.
 *	Branches that may fail without failing the whole (anyOf, oneOf, not,
 *	if) write into a scratch buffer of their own.
 */
#include "io/jsonschema.h"

#include "io/event.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_PATH_MAX 256
#define JS_SHOW_MAX 80
#define JS_SCRATCH 384

struct js_ctx {
    const cJSON *root;
    char *err;
    size_t err_len;
    char path[JS_PATH_MAX];
    size_t path_len;
    int depth;
};

static int js_validate(struct js_ctx *c, const cJSON *schema, const cJSON *inst);
static int js_check_schema(struct js_ctx *c, const cJSON *schema);

/* js_fail - write "<pointer>: <message>" into the error buffer; returns -1 */
__attribute__((format(printf, 2, 3))) static int js_fail(struct js_ctx *c, const char *fmt, ...)
{
    char msg[JS_SCRATCH];
    va_list ap;

    if (c->err == NULL || c->err_len == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->err_len, "%s: %s", c->path_len ? c->path : "(root)", msg);
    return -1;
}

/* js_path_push - append one escaped reference token; returns the length to pop back to */
static size_t js_path_push(struct js_ctx *c, const char *token)
{
    size_t saved = c->path_len;

    if (c->path_len + 1 < JS_PATH_MAX)
        c->path[c->path_len++] = '/';
    for (const char *p = token; *p != '\0' && c->path_len + 2 < JS_PATH_MAX; p++) {
        if (*p == '~' || *p == '/') {
            c->path[c->path_len++] = '~';
            c->path[c->path_len++] = *p == '~' ? '0' : '1';
        } else {
            c->path[c->path_len++] = *p;
        }
    }
    c->path[c->path_len] = '\0';
    return saved;
}

/* js_path_push_index - append an array index */
static size_t js_path_push_index(struct js_ctx *c, int index)
{
    char token[16];

    snprintf(token, sizeof(token), "%d", index);
    return js_path_push(c, token);
}

/* js_path_pop - return to a length js_path_push gave */
static void js_path_pop(struct js_ctx *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

/* js_show - a short printable form of a value */
static const char *js_show(const cJSON *v, char *buf, size_t len)
{
    char *text = cJSON_PrintUnformatted(v);

    if (text == NULL) {
        snprintf(buf, len, "(value)");
        return buf;
    }
    if (strlen(text) >= len && len > 4)
        snprintf(buf, len, "%.*s...", (int)(len - 4), text);
    else
        snprintf(buf, len, "%s", text);
    free(text);
    return buf;
}

/* js_number - a number as text: integers without a fraction */
static const char *js_number(double d, char *buf, size_t len)
{
    if (d == floor(d) && fabs(d) < 1e15)
        snprintf(buf, len, "%.0f", d);
    else
        snprintf(buf, len, "%.17g", d);
    return buf;
}

/* js_is_integer - a JSON number with no fractional part */
static int js_is_integer(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
}

/* js_type_is - does v have the JSON Schema type name */
static int js_type_is(const cJSON *v, const char *name)
{
    if (strcmp(name, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(name, "integer") == 0)
        return js_is_integer(v);
    if (strcmp(name, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(name, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(name, "object") == 0)
        return cJSON_IsObject(v);
    if (strcmp(name, "array") == 0)
        return cJSON_IsArray(v);
    if (strcmp(name, "null") == 0)
        return cJSON_IsNull(v);
    return 0;
}

/* js_type_of - the JSON Schema type name of v */
static const char *js_type_of(const cJSON *v)
{
    static const char *const names[] = {"integer", "number", "string", "boolean",
                                        "object",  "array",  "null"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (js_type_is(v, names[i]))
            return names[i];
    return "invalid";
}

/* js_type_name_known - is name one of the seven type names */
static int js_type_name_known(const char *name)
{
    static const char *const names[] = {"integer", "number", "string", "boolean",
                                        "object",  "array",  "null"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* js_resolve - the schema a "#..." JSON pointer $ref names, or NULL */
static const cJSON *js_resolve(const cJSON *root, const char *ref)
{
    const cJSON *at = root;
    char token[128];

    if (ref[0] != '#')
        return NULL;
    for (const char *p = ref + 1; *p != '\0' && at != NULL;) {
        size_t n = 0;
        if (*p++ != '/')
            return NULL;
        for (; *p != '\0' && *p != '/' && n + 1 < sizeof(token); p++) {
            if (*p == '~' && (p[1] == '0' || p[1] == '1'))
                token[n++] = *++p == '0' ? '~' : '/';
            else
                token[n++] = *p;
        }
        token[n] = '\0';
        at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, atoi(token))
                               : cJSON_GetObjectItemCaseSensitive(at, token);
    }
    return at;
}

/* js_validate_ref - $ref: the instance must also match the referenced schema */
static int js_validate_ref(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
    const cJSON *target;

    if (ref == NULL)
        return 0;
    if (!cJSON_IsString(ref) || (target = js_resolve(c->root, ref->valuestring)) == NULL)
        return js_fail(c, "schema $ref does not resolve");
    return js_validate(c, target, inst);
}

/* js_validate_type - type: one name or an array of names */
static int js_validate_type(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type"), *t;
    char want[128] = "";
    size_t used = 0;

    if (type == NULL)
        return 0;
    if (cJSON_IsString(type)) {
        if (js_type_is(inst, type->valuestring))
            return 0;
        return js_fail(c, "expected %s, got %s", type->valuestring, js_type_of(inst));
    }
    cJSON_ArrayForEach(t, type) {
        if (cJSON_IsString(t) && js_type_is(inst, t->valuestring))
            return 0;
        if (cJSON_IsString(t) && used < sizeof(want))
            used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", used ? " or " : "",
                                     t->valuestring);
    }
    return js_fail(c, "expected %s, got %s", want, js_type_of(inst));
}

/* js_validate_enum - enum and const */
static int js_validate_enum(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "const"), *e;
    char shown[JS_SHOW_MAX], allowed[200];

    if (one != NULL && !cJSON_Compare(inst, one, 1))
        return js_fail(c, "%s is not %s", js_show(inst, shown, sizeof(shown)),
                       js_show(one, allowed, sizeof(allowed)));
    if (list == NULL)
        return 0;
    cJSON_ArrayForEach(e, list)
        if (cJSON_Compare(inst, e, 1))
            return 0;
    js_show(list, allowed, sizeof(allowed));
    return js_fail(c, "%s is not one of %s", js_show(inst, shown, sizeof(shown)), allowed);
}

/* js_validate_number - minimum, maximum, exclusiveMinimum, exclusiveMaximum */
static int js_validate_number(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    static const struct {
        const char *keyword, *words;
        int sign; /* the failure: -1 value < bound, -2 value <= bound, 1 >, 2 >= */
    } bounds[] = {
        {"minimum", "is less than the minimum", -1},
        {"maximum", "is greater than the maximum", 1},
        {"exclusiveMinimum", "is not greater than", -2},
        {"exclusiveMaximum", "is not less than", 2},
    };
    char a[32], b[32];

    if (!cJSON_IsNumber(inst))
        return 0;
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        const cJSON *bound = cJSON_GetObjectItemCaseSensitive(schema, bounds[i].keyword);
        double v = inst->valuedouble, l;
        if (!cJSON_IsNumber(bound))
            continue;
        l = bound->valuedouble;
        if ((bounds[i].sign == -1 && v < l) || (bounds[i].sign == 1 && v > l)
            || (bounds[i].sign == -2 && v <= l) || (bounds[i].sign == 2 && v >= l))
            return js_fail(c, "%s %s %s", js_number(v, a, sizeof(a)), bounds[i].words,
                           js_number(l, b, sizeof(b)));
    }
    return 0;
}

/* js_utf8_length - the number of code points in a UTF-8 string */
static size_t js_utf8_length(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Compiled patterns, kept for the life of the process: schemas are loaded
 * once, and compiling a pattern costs far more than matching it. Only the
 * patterns a validation met are kept (a compiled pattern takes tens to
 * hundreds of kilobytes): jsonschema_check compiles each and frees it. */
#define JS_PATTERN_CACHE 128

static struct js_pattern {
    char *text;
    regex_t re;
} js_patterns[JS_PATTERN_CACHE];
static size_t js_pattern_count;

/* js_pattern_compiled - the compiled pattern, from the cache or new in it;
 * NULL when it does not compile or the cache is full (*spare is used then) */
static const regex_t *js_pattern_compiled(const char *pattern, regex_t *spare, int *owned)
{
    struct js_pattern *slot = &js_patterns[js_pattern_count];

    *owned = 0;
    for (size_t i = 0; i < js_pattern_count; i++) {
        if (strcmp(js_patterns[i].text, pattern) == 0)
            return &js_patterns[i].re;
    }
    if (js_pattern_count == JS_PATTERN_CACHE || (slot->text = strdup(pattern)) == NULL) {
        *owned = 1;
        return regcomp(spare, pattern, REG_EXTENDED | REG_NOSUB) == 0 ? spare : NULL;
    }
    if (regcomp(&slot->re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        free(slot->text);
        return NULL;
    }
    js_pattern_count++;
    return &slot->re;
}

/* js_pattern_match - 1 when s matches the POSIX extended pattern, -1 when it does not compile */
static int js_pattern_match(const char *pattern, const char *s)
{
    regex_t spare;
    int owned, rc;
    const regex_t *re = js_pattern_compiled(pattern, &spare, &owned);

    if (re == NULL)
        return -1;
    rc = regexec(re, s, 0, NULL, 0) == 0;
    if (owned)
        regfree(&spare);
    return rc;
}

/* js_pattern_compiles - whether pattern is a POSIX extended regular
 * expression, compiled and freed at once */
static int js_pattern_compiles(const char *pattern)
{
    regex_t re;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    regfree(&re);
    return 1;
}

/* js_validate_string - minLength, maxLength, pattern, format */
static int js_validate_string(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(schema, "pattern");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(schema, "format");
    char shown[JS_SHOW_MAX];
    size_t len;

    if (!cJSON_IsString(inst))
        return 0;
    len = js_utf8_length(inst->valuestring);
    js_show(inst, shown, sizeof(shown));
    if (cJSON_IsNumber(min) && (double)len < min->valuedouble)
        return js_fail(c, "%s is shorter than the minimum length %d", shown, min->valueint);
    if (cJSON_IsNumber(max) && (double)len > max->valuedouble)
        return js_fail(c, "%s is longer than the maximum length %d", shown, max->valueint);
    if (cJSON_IsString(pattern) && js_pattern_match(pattern->valuestring, inst->valuestring) != 1)
        return js_fail(c, "%s does not match the pattern %s", shown, pattern->valuestring);
    if (cJSON_IsString(format) && strcmp(format->valuestring, "date-time") == 0
        && !event_time_valid(inst->valuestring))
        return js_fail(c, "%s is not an RFC 3339 date-time", shown);
    return 0;
}

/* js_validate_member - one member of an object against properties or additionalProperties */
static int js_validate_member(struct js_ctx *c, const cJSON *schema, const cJSON *member)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(props, member->string);
    size_t saved;
    int rc;

    if (sub == NULL && cJSON_IsFalse(extra))
        return js_fail(c, "property \"%s\" is not allowed", member->string);
    if (sub == NULL)
        sub = extra;
    if (sub == NULL)
        return 0;
    saved = js_path_push(c, member->string);
    rc = js_validate(c, sub, member);
    js_path_pop(c, saved);
    return rc;
}

/* js_validate_object - required, properties, additionalProperties */
static int js_validate_object(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required"), *r, *m;

    if (!cJSON_IsObject(inst))
        return 0;
    cJSON_ArrayForEach(r, required)
        if (cJSON_IsString(r) && cJSON_GetObjectItemCaseSensitive(inst, r->valuestring) == NULL)
            return js_fail(c, "missing required property \"%s\"", r->valuestring);
    cJSON_ArrayForEach(m, inst)
        if (js_validate_member(c, schema, m) != 0)
            return -1;
    return 0;
}

/* js_validate_array - minItems, maxItems, items */
static int js_validate_array(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items"), *e;
    int n, i = 0;

    if (!cJSON_IsArray(inst))
        return 0;
    n = cJSON_GetArraySize(inst);
    if (cJSON_IsNumber(min) && n < min->valuedouble)
        return js_fail(c, "has %d items, fewer than the minimum %d", n, min->valueint);
    if (cJSON_IsNumber(max) && n > max->valuedouble)
        return js_fail(c, "has %d items, more than the maximum %d", n, max->valueint);
    if (items == NULL)
        return 0;
    cJSON_ArrayForEach(e, inst) {
        size_t saved = js_path_push_index(c, i++);
        int rc = js_validate(c, items, e);
        js_path_pop(c, saved);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* js_try - validate into a scratch buffer: 0 on a match, the message in scratch otherwise */
static int js_try(struct js_ctx *c, const cJSON *schema, const cJSON *inst, char *scratch,
                  size_t scratch_len)
{
    char *err = c->err;
    size_t err_len = c->err_len;
    int rc;

    c->err = scratch, c->err_len = scratch_len;
    scratch[0] = '\0';
    rc = js_validate(c, schema, inst);
    c->err = err, c->err_len = err_len;
    return rc;
}

/* js_validate_any - anyOf and oneOf: count the branches that match */
static int js_validate_any(struct js_ctx *c, const cJSON *schema, const cJSON *inst,
                           const char *keyword)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(schema, keyword), *s;
    char first[JS_SCRATCH] = "", scratch[JS_SCRATCH];
    int matches = 0;

    if (list == NULL)
        return 0;
    cJSON_ArrayForEach(s, list) {
        if (js_try(c, s, inst, scratch, sizeof(scratch)) == 0)
            matches++;
        else if (first[0] == '\0')
            memcpy(first, scratch, sizeof(first));
    }
    if (matches == 0)
        return js_fail(c, "matches none of the %s schemas (first: %s)", keyword, first);
    if (matches > 1 && strcmp(keyword, "oneOf") == 0)
        return js_fail(c, "matches %d of the oneOf schemas, expected exactly one", matches);
    return 0;
}

/* js_validate_logic - allOf, anyOf, oneOf, not, if/then/else */
static int js_validate_logic(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(schema, "allOf"), *s;
    const cJSON *not = cJSON_GetObjectItemCaseSensitive(schema, "not");
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(schema, "if");
    char scratch[JS_SCRATCH];

    cJSON_ArrayForEach(s, all)
        if (js_validate(c, s, inst) != 0)
            return -1;
    if (js_validate_any(c, schema, inst, "anyOf") != 0
        || js_validate_any(c, schema, inst, "oneOf") != 0)
        return -1;
    if (not != NULL && js_try(c, not, inst, scratch, sizeof(scratch)) == 0)
        return js_fail(c, "must not match the \"not\" schema");
    if (cond == NULL)
        return 0;
    s = cJSON_GetObjectItemCaseSensitive(schema,
                                         js_try(c, cond, inst, scratch, sizeof(scratch)) == 0
                                             ? "then" : "else");
    return s == NULL ? 0 : js_validate(c, s, inst);
}

/* js_validate - inst against one schema (an object or a boolean) */
static int js_validate(struct js_ctx *c, const cJSON *schema, const cJSON *inst)
{
    int rc = -1;

    if (cJSON_IsTrue(schema))
        return 0;
    if (cJSON_IsFalse(schema))
        return js_fail(c, "is not allowed here");
    if (!cJSON_IsObject(schema))
        return js_fail(c, "the schema here is not an object");
    if (c->depth >= JSONSCHEMA_MAX_DEPTH)
        return js_fail(c, "schema nesting deeper than %d", JSONSCHEMA_MAX_DEPTH);
    c->depth++;
    if (js_validate_ref(c, schema, inst) == 0 && js_validate_type(c, schema, inst) == 0
        && js_validate_enum(c, schema, inst) == 0 && js_validate_number(c, schema, inst) == 0
        && js_validate_string(c, schema, inst) == 0 && js_validate_object(c, schema, inst) == 0
        && js_validate_array(c, schema, inst) == 0 && js_validate_logic(c, schema, inst) == 0)
        rc = 0;
    c->depth--;
    return rc;
}

/* jsonschema_validate - 0 when instance conforms to schema, else -1 and a message */
int jsonschema_validate(const cJSON *schema, const cJSON *instance, char *err, size_t err_len)
{
    struct js_ctx c = {.root = schema, .err = err, .err_len = err_len};

    if (err != NULL && err_len > 0)
        err[0] = '\0';
    if (instance == NULL)
        return js_fail(&c, "no value (data is missing)");
    return js_validate(&c, schema, instance);
}

/*
 * Checking a schema: each keyword has a kind that says what its value
 * must be; a keyword outside the table is refused.
 */
enum js_kind {
    JS_ANY, JS_STRING, JS_NUMBER, JS_COUNT, JS_BOOL_SCHEMA, JS_SCHEMA_LIST,
    JS_SCHEMA_MAP, JS_NAMES, JS_ARRAY, JS_TYPE, JS_PATTERN, JS_FORMAT, JS_REF,
};

static const struct {
    const char *name;
    enum js_kind kind;
} js_keywords[] = {
    {"$schema", JS_STRING},       {"$id", JS_STRING},          {"$comment", JS_STRING},
    {"title", JS_STRING},         {"description", JS_STRING},  {"default", JS_ANY},
    {"examples", JS_ARRAY},       {"$defs", JS_SCHEMA_MAP},    {"$ref", JS_REF},
    {"type", JS_TYPE},            {"enum", JS_ARRAY},          {"const", JS_ANY},
    {"minimum", JS_NUMBER},       {"maximum", JS_NUMBER},      {"exclusiveMinimum", JS_NUMBER},
    {"exclusiveMaximum", JS_NUMBER}, {"minLength", JS_COUNT},  {"maxLength", JS_COUNT},
    {"pattern", JS_PATTERN},      {"format", JS_FORMAT},       {"required", JS_NAMES},
    {"properties", JS_SCHEMA_MAP}, {"additionalProperties", JS_BOOL_SCHEMA},
    {"items", JS_BOOL_SCHEMA},    {"minItems", JS_COUNT},      {"maxItems", JS_COUNT},
    {"allOf", JS_SCHEMA_LIST},    {"anyOf", JS_SCHEMA_LIST},   {"oneOf", JS_SCHEMA_LIST},
    {"not", JS_BOOL_SCHEMA},      {"if", JS_BOOL_SCHEMA},      {"then", JS_BOOL_SCHEMA},
    {"else", JS_BOOL_SCHEMA},
};

/* js_check_strings - every element of an array is a string (of known type names if types) */
static int js_check_strings(struct js_ctx *c, const cJSON *v, int types)
{
    const cJSON *e;

    if (!cJSON_IsArray(v))
        return js_fail(c, "must be an array");
    cJSON_ArrayForEach(e, v)
        if (!cJSON_IsString(e) || (types && !js_type_name_known(e->valuestring)))
            return js_fail(c, "must hold only %s", types ? "type names" : "strings");
    return 0;
}

/* js_check_children - each schema in a list (array) or a map (object) */
static int js_check_children(struct js_ctx *c, const cJSON *v, int map)
{
    const cJSON *e;
    int i = 0;

    if (map ? !cJSON_IsObject(v) : !cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return js_fail(c, "must be %s", map ? "an object of schemas" : "a non-empty array");
    cJSON_ArrayForEach(e, v) {
        size_t saved = map ? js_path_push(c, e->string) : js_path_push_index(c, i);
        int rc = js_check_schema(c, e);
        js_path_pop(c, saved);
        i++;
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* js_check_value - the value of one keyword against its kind */
static int js_check_value(struct js_ctx *c, enum js_kind kind, const cJSON *v)
{
    switch (kind) {
    case JS_ANY:
        return 0;
    case JS_STRING:
        return cJSON_IsString(v) ? 0 : js_fail(c, "must be a string");
    case JS_NUMBER:
        return cJSON_IsNumber(v) ? 0 : js_fail(c, "must be a number");
    case JS_COUNT:
        return js_is_integer(v) && v->valuedouble >= 0 ? 0 : js_fail(c, "must be a count");
    case JS_BOOL_SCHEMA:
        return js_check_schema(c, v);
    case JS_SCHEMA_LIST:
    case JS_SCHEMA_MAP:
        return js_check_children(c, v, kind == JS_SCHEMA_MAP);
    case JS_NAMES:
    case JS_TYPE:
        if (kind == JS_TYPE && cJSON_IsString(v))
            return js_type_name_known(v->valuestring) ? 0 : js_fail(c, "unknown type");
        return js_check_strings(c, v, kind == JS_TYPE);
    case JS_ARRAY:
        return cJSON_IsArray(v) ? 0 : js_fail(c, "must be an array");
    case JS_PATTERN:
        return cJSON_IsString(v) && js_pattern_compiles(v->valuestring)
                   ? 0 : js_fail(c, "is not a POSIX extended regular expression");
    case JS_FORMAT:
        return cJSON_IsString(v) && strcmp(v->valuestring, "date-time") == 0
                   ? 0 : js_fail(c, "only \"date-time\" is supported");
    case JS_REF:
        return cJSON_IsString(v) && js_resolve(c->root, v->valuestring) != NULL
                   ? 0 : js_fail(c, "does not resolve within this schema");
    }
    return js_fail(c, "unexpected keyword kind %d", (int)kind);
}

/* js_check_keyword - one member of a schema object */
static int js_check_keyword(struct js_ctx *c, const cJSON *member)
{
    size_t saved = js_path_push(c, member->string);
    int rc = -1;

    for (size_t i = 0; i < sizeof(js_keywords) / sizeof(js_keywords[0]); i++) {
        if (strcmp(js_keywords[i].name, member->string) == 0) {
            rc = js_check_value(c, js_keywords[i].kind, member);
            goto out;
        }
    }
    js_fail(c, "unsupported keyword");
out:
    js_path_pop(c, saved);
    return rc;
}

/* js_check_schema - a schema is a boolean or an object of known keywords */
static int js_check_schema(struct js_ctx *c, const cJSON *schema)
{
    const cJSON *m;
    int rc = 0;

    if (cJSON_IsBool(schema))
        return 0;
    if (!cJSON_IsObject(schema))
        return js_fail(c, "a schema must be an object or a boolean");
    if (c->depth >= JSONSCHEMA_MAX_DEPTH)
        return js_fail(c, "schema nesting deeper than %d", JSONSCHEMA_MAX_DEPTH);
    c->depth++;
    cJSON_ArrayForEach(m, schema)
        if ((rc = js_check_keyword(c, m)) != 0)
            break;
    c->depth--;
    return rc;
}

/* jsonschema_check - 0 when schema uses only supported keywords, well formed */
int jsonschema_check(const cJSON *schema, char *err, size_t err_len)
{
    struct js_ctx c = {.root = schema, .err = err, .err_len = err_len};

    if (err != NULL && err_len > 0)
        err[0] = '\0';
    return js_check_schema(&c, schema);
}
