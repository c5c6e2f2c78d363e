/*
 * worker_auth - an environment's signature policy and the verdict on one
 *	command (see worker_auth.h for what is checked, in which order).
 */
#include "worker/worker_auth.h"

#include "base/buf.h"
#include "io/event_canon.h"
#include "io/event_sign.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_WINDOW_MAX 86400
#define AUTH_ROLE_MAX 64

/* auth_fail - write a message into err; -1 */
static int auth_fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int auth_fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* auth_roles_valid - 1 when item is an array of role names */
static int auth_roles_valid(const cJSON *item)
{
    const cJSON *role;

    if (!cJSON_IsArray(item))
        return 0;
    cJSON_ArrayForEach(role, item) {
        if (!cJSON_IsString(role) || role->valuestring[0] == 0
            || strlen(role->valuestring) >= AUTH_ROLE_MAX)
            return 0;
    }
    return 1;
}

/* auth_principal_load - principal i of the signers section */
static int auth_principal_load(struct auth_policy *p, size_t i, const cJSON *item, char *err,
                               size_t err_len)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(item, "key");
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(item, "roles");
    char why[256];

    if (!cJSON_IsString(name) || name->valuestring[0] == 0
        || strlen(name->valuestring) >= AUTH_NAME_MAX)
        return auth_fail(err, err_len, "signers.principals[%zu]: a name is required", i);
    if (!cJSON_IsString(key))
        return auth_fail(err, err_len, "signer %s: a key is required", name->valuestring);
    if (!auth_roles_valid(roles))
        return auth_fail(err, err_len, "signer %s: roles must be a list of names",
                         name->valuestring);
    if (sshsig_key_from_line(&p->keys[i], key->valuestring, why, sizeof(why)) != SSHSIG_OK)
        return auth_fail(err, err_len, "signer %s: bad key: %s", name->valuestring, why);
    snprintf(p->names[i], AUTH_NAME_MAX, "%s", name->valuestring);
    p->roles[i] = (cJSON *)roles;
    p->count = i + 1;
    return 0;
}

/* auth_principals_load - every principal of the signers section */
static int auth_principals_load(struct auth_policy *p, const cJSON *principals, char *err,
                                size_t err_len)
{
    size_t n = (size_t)cJSON_GetArraySize(principals), i = 0;
    const cJSON *item;

    if (principals != NULL && !cJSON_IsArray(principals))
        return auth_fail(err, err_len, "signers.principals must be a list");
    if (n > AUTH_MAX_PRINCIPALS)
        return auth_fail(err, err_len, "signers: more than %d principals", AUTH_MAX_PRINCIPALS);
    if (n == 0)
        return 0;
    p->names = calloc(n, sizeof(*p->names));
    p->roles = calloc(n, sizeof(*p->roles));
    p->keys = calloc(n, sizeof(*p->keys));
    if (p->names == NULL || p->roles == NULL || p->keys == NULL)
        return auth_fail(err, err_len, "out of memory");
    cJSON_ArrayForEach(item, principals) {
        if (auth_principal_load(p, i++, item, err, err_len) != 0)
            return -1;
    }
    return 0;
}

/* auth_permissions_load - the defaults, with the document's actions in their place */
static int auth_permissions_load(struct auth_policy *p, const cJSON *given, char *err,
                                 size_t err_len)
{
    const cJSON *item;

    p->permissions = cJSON_Parse(AUTH_DEFAULT_PERMISSIONS);
    if (p->permissions == NULL)
        return auth_fail(err, err_len, "out of memory");
    if (given != NULL && !cJSON_IsObject(given))
        return auth_fail(err, err_len, "signers.permissions must be an object");
    cJSON_ArrayForEach(item, given) {
        if (!auth_roles_valid(item))
            return auth_fail(err, err_len, "signers.permissions.%s must be a list of roles",
                             item->string);
        cJSON_DeleteItemFromObjectCaseSensitive(p->permissions, item->string);
        cJSON_AddItemToObject(p->permissions, item->string, cJSON_Duplicate(item, 1));
    }
    return 0;
}

/* auth_seconds - a member in seconds, 1..AUTH_WINDOW_MAX, or the default */
static int auth_seconds(const cJSON *signers, const char *name, long dflt, long *out, char *err,
                        size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(signers, name);

    *out = dflt;
    if (item == NULL)
        return 0;
    if (!cJSON_IsNumber(item) || item->valuedouble < 1 || item->valuedouble > AUTH_WINDOW_MAX)
        return auth_fail(err, err_len, "signers.%s must be 1..%d seconds", name, AUTH_WINDOW_MAX);
    *out = (long)item->valuedouble;
    return 0;
}

/* auth_mode_load - signatures required or optional, and production */
static int auth_mode_load(struct auth_policy *p, const cJSON *config, char *err, size_t err_len)
{
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(config, "signatures");
    const cJSON *production = cJSON_GetObjectItemCaseSensitive(config, "production");

    p->production = cJSON_IsTrue(production);
    if (mode == NULL) {
        p->required = p->count > 0;
        return 0;
    }
    if (cJSON_IsString(mode) && strcmp(mode->valuestring, "required") == 0)
        p->required = 1;
    else if (!cJSON_IsString(mode) || strcmp(mode->valuestring, "optional") != 0)
        return auth_fail(err, err_len, "signatures must be \"required\" or \"optional\"");
    if (p->required && p->count == 0)
        return auth_fail(err, err_len, "signatures are required but signers lists no principal");
    return 0;
}

/* auth_policy_load - the policy of an environment document */
int auth_policy_load(struct auth_policy *p, const cJSON *config, char *err, size_t err_len)
{
    const cJSON *signers = cJSON_GetObjectItemCaseSensitive(config, "signers");

    memset(p, 0, sizeof(*p));
    if (signers != NULL && !cJSON_IsObject(signers)) {
        auth_fail(err, err_len, "signers must be an object");
        return -1;
    }
    if (auth_principals_load(p, cJSON_GetObjectItemCaseSensitive(signers, "principals"), err,
                             err_len) != 0
        || auth_permissions_load(p, cJSON_GetObjectItemCaseSensitive(signers, "permissions"), err,
                                 err_len) != 0
        || auth_seconds(signers, "window_seconds", AUTH_DEFAULT_WINDOW_SECONDS, &p->window_seconds,
                        err, err_len) != 0
        || auth_seconds(signers, "skew_seconds", AUTH_DEFAULT_SKEW_SECONDS, &p->skew_seconds, err,
                        err_len) != 0
        || auth_mode_load(p, config, err, err_len) != 0) {
        auth_policy_free(p);
        return -1;
    }
    return 0;
}

/* auth_policy_free - what auth_policy_load built */
void auth_policy_free(struct auth_policy *p)
{
    for (size_t i = 0; i < p->count; i++)
        sshsig_key_free(&p->keys[i]);
    free(p->keys);
    free(p->names);
    free(p->roles);
    cJSON_Delete(p->permissions);
    memset(p, 0, sizeof(*p));
}

/* auth_action - the command a record is, or 0 */
int auth_action(const char *topic, const cJSON *data, char *out, size_t out_len)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(data, "action");

    if (strcmp(topic, "build-ready") == 0 || strcmp(topic, "alarm-fired") == 0)
        snprintf(out, out_len, "%s", topic);
    else if (strcmp(topic, "shift-requested") == 0 && cJSON_IsString(action))
        snprintf(out, out_len, "%s", action->valuestring);
    else if (strcmp(topic, "green-validated") == 0
             && cJSON_GetObjectItemCaseSensitive(data, "approved_by") != NULL)
        snprintf(out, out_len, "approve");
    else
        return 0;
    return 1;
}

/* auth_canonical - the canonical bytes of the record's event into canon: a
 * structured-mode record's own JSON, exactly as sent; a binary-mode record's
 * event as the decoder read it (io/event_sign.h: the ce_ headers, content-type
 * as datacontenttype); 0 or -1 */
static int auth_canonical(const struct event_record *rec, const struct cloud_event *ev,
                          struct buf *canon, char *err, size_t err_len)
{
    if (event_mode_binary(rec))
        return event_canon_event(ev, canon, err, err_len);
    return event_canon(rec->value, rec->value_len, canon, err, err_len);
}

/* auth_refuse - the verdict is a refusal with status and message */
static void auth_refuse(struct auth_verdict *v, enum event_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void auth_refuse(struct auth_verdict *v, enum event_status status, const char *fmt, ...)
{
    va_list ap;

    v->status = status;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof(v->message), fmt, ap);
    va_end(ap);
}

/* auth_check_signature - the signature verifies for one of the principals; which one */
static int auth_check_signature(const struct auth_policy *p, const struct event_record *rec,
                                const struct cloud_event *ev, const char *sig, size_t *which,
                                struct auth_verdict *v)
{
    char ns[EVENT_CANON_NAMESPACE_MAX], why[256];
    struct buf canon;
    enum sshsig_status st = SSHSIG_MALFORMED;

    buf_init(&canon, EVENT_CANON_MAX);
    if (event_canon_namespace(ev->subject, ns, sizeof(ns)) != 0)
        snprintf(why, sizeof(why), "no namespace for environment \"%s\"", ev->subject);
    else if (auth_canonical(rec, ev, &canon, why, sizeof(why)) == 0)
        st = sshsig_verify((const unsigned char *)canon.data, canon.len, sig, strlen(sig), ns,
                           p->keys, p->count, which, why, sizeof(why));
    buf_free(&canon);
    if (st == SSHSIG_OK)
        return 0;
    if (st == SSHSIG_KEY_NOT_ALLOWED)
        auth_refuse(v, EVENT_UNKNOWN_SIGNER, "signed by a key not among the signers of %s",
                    ev->subject);
    else
        auth_refuse(v, EVENT_BAD_SIGNATURE, "signature refused (%s): %s", sshsig_status_code(st),
                    why);
    return -1;
}

/* auth_role_allowed - 1 when one of roles is among allowed */
static int auth_role_allowed(const cJSON *roles, const cJSON *allowed)
{
    const cJSON *role, *ok;

    cJSON_ArrayForEach(role, roles) {
        cJSON_ArrayForEach(ok, allowed) {
            if (strcmp(role->valuestring, ok->valuestring) == 0)
                return 1;
        }
    }
    return 0;
}

/* auth_judge_signed - a signed command: signature, time, role */
static void auth_judge_signed(const struct auth_policy *p, const struct event_record *rec,
                              const struct cloud_event *ev, const char *sig, double age_seconds,
                              struct auth_verdict *v)
{
    size_t which = 0;

    if (auth_check_signature(p, rec, ev, sig, &which, v) != 0)
        return;
    snprintf(v->principal, sizeof(v->principal), "%s", p->names[which]);
    sshsig_key_fingerprint(&p->keys[which], v->fingerprint, sizeof(v->fingerprint));
    if (age_seconds > (double)p->window_seconds)
        auth_refuse(v, EVENT_EXPIRED, "signed command of %s is %.0f s old (window %ld s)",
                    v->principal, age_seconds, p->window_seconds);
    else if (-age_seconds > (double)p->skew_seconds)
        auth_refuse(v, EVENT_EXPIRED, "signed command of %s is %.0f s in the future (skew %ld s)",
                    v->principal, -age_seconds, p->skew_seconds);
    else if (!auth_role_allowed(p->roles[which],
                                cJSON_GetObjectItemCaseSensitive(p->permissions, v->action)))
        auth_refuse(v, EVENT_NOT_AUTHORIZED, "%s has no role allowed to %s in %s", v->principal,
                    v->action, ev->subject);
}

/* auth_verify - the verdict on a record for its environment's policy */
void auth_verify(const struct auth_policy *p, const struct event_record *rec,
                 const struct cloud_event *ev, double age_seconds, struct auth_verdict *v)
{
    const char *sig = ev->cutoversig;

    memset(v, 0, sizeof(*v));
    v->status = EVENT_OK;
    v->is_command = auth_action(rec->topic, ev->data, v->action, sizeof(v->action));
    if (!v->is_command)
        return;
    v->is_signed = sig != NULL;
    if (sig == NULL && p->required)
        auth_refuse(v, EVENT_UNSIGNED, "%s for %s carries no signature and %s requires one",
                    v->action, ev->subject, ev->subject);
    else if (sig != NULL)
        auth_judge_signed(p, rec, ev, sig, age_seconds, v);
}

/* auth_unsigned_warning - production-like and letting unsigned commands in */
int auth_unsigned_warning(const struct auth_policy *p)
{
    return p->production && !p->required;
}
