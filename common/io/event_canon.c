/*
 * event_canon - the canonical form of a CloudEvent (RFC 8785 for the
 *	events cutover signs; see event_canon.h for the definition).
 *
 * DESCRIPTION
 *	The event is parsed with cJSON and written back member by member.
 *	cJSON turns "\u0000" into the end of a C string, which would let
 *	two different events share one form, so the text is searched for
 *	that escape first and refused when it has it.
 */
#include "io/event_canon.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANON_SAFE_INTEGER 9007199254740991.0 /* 2^53 - 1 */
#define CANON_NAME_MAX 64                     /* an environment name is at most 63 */

/* Where the form goes and where a refusal is said. */
struct canon {
    struct buf *out;
    char *err;
    size_t err_len;
};

/* canon_fail - fill the error; -1 */
static int canon_fail(struct canon *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int canon_fail(struct canon *c, const char *fmt, ...)
{
    va_list ap;

    if (c->err && c->err_len > 0) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* canon_utf8_next - the code point at s (left bytes) and its length; 0 when not UTF-8 */
static size_t canon_utf8_next(const unsigned char *s, size_t left, uint32_t *cp)
{
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
                                : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;

    if (n == 0 || n > left)
        return 0;
    *cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3f);
    }
    if (n > 1 && *cp < min[n])
        return 0; /* overlong */
    return *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff) ? 0 : n;
}

/* canon_utf16_unit - the next UTF-16 code unit of s at *i (a pending low surrogate in *low) */
static uint32_t canon_utf16_unit(const unsigned char *s, size_t len, size_t *i, uint32_t *low)
{
    uint32_t cp, unit;
    size_t n;

    if (*low) {
        unit = *low;
        *low = 0;
        return unit;
    }
    if ((n = canon_utf8_next(s + *i, len - *i, &cp)) == 0) {
        n = 1; /* not UTF-8: refused when written; any order will do */
        cp = s[*i];
    }
    *i += n;
    if (cp < 0x10000)
        return cp;
    *low = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    return 0xd800 + ((cp - 0x10000) >> 10);
}

/* canon_name_cmp - qsort: member names in the order of their UTF-16 code units */
static int canon_name_cmp(const void *a, const void *b)
{
    const unsigned char *x = (const unsigned char *)(*(const cJSON *const *)a)->string;
    const unsigned char *y = (const unsigned char *)(*(const cJSON *const *)b)->string;
    size_t x_len = strlen((const char *)x), y_len = strlen((const char *)y), i = 0, j = 0;
    uint32_t x_low = 0, y_low = 0;

    while ((i < x_len || x_low) && (j < y_len || y_low)) {
        uint32_t u = canon_utf16_unit(x, x_len, &i, &x_low);
        uint32_t v = canon_utf16_unit(y, y_len, &j, &y_low);
        if (u != v)
            return u < v ? -1 : 1;
    }
    return (i < x_len || x_low) - (j < y_len || y_low);
}

/* canon_escape - one character below U+0020, or '"' or '\\', escaped */
static int canon_escape(struct buf *out, unsigned char ch)
{
    static const char short_escapes[] = "\b" "b" "\t" "t" "\n" "n" "\f" "f" "\r" "r" "\"\"" "\\\\";

    for (size_t k = 0; k + 1 < sizeof(short_escapes); k += 2)
        if (short_escapes[k] == (char)ch)
            return buf_putc(out, '\\') != 0 || buf_putc(out, short_escapes[k + 1]) != 0 ? -1 : 0;
    return buf_printf(out, "\\u%04x", ch) < 0 ? -1 : 0;
}

/* canon_string - a string, quoted and minimally escaped; its UTF-8 checked */
static int canon_string(struct canon *c, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text), n;
    uint32_t cp;

    if (buf_putc(c->out, '"') != 0)
        return canon_fail(c, "canonical form is too large");
    for (size_t i = 0; i < len; i += n) {
        if ((n = canon_utf8_next(s + i, len - i, &cp)) == 0)
            return canon_fail(c, "a string is not UTF-8");
        if ((cp < 0x20 || cp == '"' || cp == '\\') ? canon_escape(c->out, s[i]) != 0
                                                   : buf_append(c->out, s + i, n) != 0)
            return canon_fail(c, "canonical form is too large");
    }
    return buf_putc(c->out, '"') != 0 ? canon_fail(c, "canonical form is too large") : 0;
}

/* canon_number - a safe integer in decimal; anything else refused */
static int canon_number(struct canon *c, double v)
{
    if (!isfinite(v) || floor(v) != v || fabs(v) > CANON_SAFE_INTEGER)
        return canon_fail(c, "a number is not an integer of magnitude below 2^53");
    if (v == 0)
        v = 0; /* -0 is written 0 */
    return buf_printf(c->out, "%.0f", v) < 0 ? canon_fail(c, "canonical form is too large") : 0;
}

static int canon_value(struct canon *c, const cJSON *item);

/* canon_members - an object's members, sorted; the signature left out at the top */
static int canon_members(struct canon *c, const cJSON *object, int top, const cJSON **members,
                         size_t *count)
{
    const cJSON *m;

    *count = 0;
    cJSON_ArrayForEach(m, object) {
        if (!(top && strcmp(m->string, EVENT_CANON_SIGNATURE_ATTRIBUTE) == 0))
            members[(*count)++] = m;
    }
    qsort(members, *count, sizeof(*members), canon_name_cmp);
    for (size_t i = 1; i < *count; i++)
        if (canon_name_cmp(&members[i - 1], &members[i]) == 0)
            return canon_fail(c, "a member name appears twice in one object");
    return 0;
}

/* canon_object - {"name":value,...} in canonical order */
static int canon_object(struct canon *c, const cJSON *object, int top)
{
    size_t count = 0, n = (size_t)cJSON_GetArraySize(object);
    const cJSON **members = malloc((n ? n : 1) * sizeof(*members));
    int rc = members ? canon_members(c, object, top, members, &count) : canon_fail(c, "out of memory");

    if (rc == 0 && buf_putc(c->out, '{') != 0)
        rc = canon_fail(c, "canonical form is too large");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (i > 0 && buf_putc(c->out, ',') != 0)
            rc = canon_fail(c, "canonical form is too large");
        else if ((rc = canon_string(c, members[i]->string)) == 0 && buf_putc(c->out, ':') != 0)
            rc = canon_fail(c, "canonical form is too large");
        else if (rc == 0)
            rc = canon_value(c, members[i]);
    }
    if (rc == 0 && buf_putc(c->out, '}') != 0)
        rc = canon_fail(c, "canonical form is too large");
    free(members);
    return rc;
}

/* canon_array - [value,...] in its own order */
static int canon_array(struct canon *c, const cJSON *array)
{
    const cJSON *e;
    int first = 1;

    if (buf_putc(c->out, '[') != 0)
        return canon_fail(c, "canonical form is too large");
    cJSON_ArrayForEach(e, array) {
        if ((!first && buf_putc(c->out, ',') != 0))
            return canon_fail(c, "canonical form is too large");
        if (canon_value(c, e) != 0)
            return -1;
        first = 0;
    }
    return buf_putc(c->out, ']') != 0 ? canon_fail(c, "canonical form is too large") : 0;
}

/* canon_value - any value below the top */
static int canon_value(struct canon *c, const cJSON *item)
{
    const char *literal = cJSON_IsTrue(item) ? "true" : cJSON_IsFalse(item) ? "false"
                        : cJSON_IsNull(item) ? "null" : NULL;

    if (literal)
        return buf_puts(c->out, literal) != 0 ? canon_fail(c, "canonical form is too large") : 0;
    if (cJSON_IsString(item))
        return canon_string(c, item->valuestring);
    if (cJSON_IsNumber(item))
        return canon_number(c, item->valuedouble);
    if (cJSON_IsArray(item))
        return canon_array(c, item);
    if (cJSON_IsObject(item))
        return canon_object(c, item, 0);
    return canon_fail(c, "a value of unknown type");
}

/* canon_has_nul_escape - 1 when valid JSON text has the escape \u0000 in a string */
static int canon_has_nul_escape(const char *json, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (json[i] != '\\')
            continue;
        if (json[i + 1] == 'u' && i + 5 < len && memcmp(json + i + 2, "0000", 4) == 0)
            return 1;
        i++; /* the escaped character: "\\" must not start another escape */
    }
    return 0;
}

/* canon_only_space - 1 when the n bytes at p are JSON whitespace */
static int canon_only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* event_canon - parse json, check it, write its canonical form */
int event_canon(const char *json, size_t len, struct buf *out, char *err, size_t err_len)
{
    struct canon c = { out, err, err_len };
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    int rc;

    if (!root)
        return canon_fail(&c, "event is not JSON");
    if (!canon_only_space(end, (size_t)(json + len - end)))
        rc = canon_fail(&c, "event has bytes after its JSON");
    else if (!cJSON_IsObject(root))
        rc = canon_fail(&c, "event is not a JSON object");
    else if (canon_has_nul_escape(json, len))
        rc = canon_fail(&c, "a string has the escape \\u0000");
    else
        rc = canon_object(&c, root, 1);
    cJSON_Delete(root);
    return rc;
}

/* event_canon_namespace - "cutover:" and a plain environment name */
int event_canon_namespace(const char *environment, char *out, size_t out_len)
{
    size_t n = strnlen(environment, CANON_NAME_MAX + 1);

    if (n == 0 || n > CANON_NAME_MAX || strspn(environment, "abcdefghijklmnopqrstuvwxyz"
                                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                            "0123456789._-") != n)
        return -1;
    return snprintf(out, out_len, EVENT_CANON_NAMESPACE_PREFIX "%s", environment) < (int)out_len
               ? 0
               : -1;
}
