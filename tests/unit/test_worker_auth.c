/*
 * test_worker_auth - the signature policy of worker/worker_auth.h: the
 *	environment document's signers, signatures and production members
 *	with their defaults and refusals, which records are commands, and
 *	the verdict on each kind of command (accepted, unsigned, bad
 *	signature, another namespace, unknown signer, not authorized,
 *	expired, from the future), in structured and binary mode.
 *
 * DESCRIPTION
 *	Keys are made by ssh-keygen at test time in a temporary directory
 *	that is removed at the end; events are signed by io/sshsig.h's own
 *	signer over io/event_canon.h's form (that ssh-keygen's signatures
 *	verify is tests/integration/test_signed_commands.sh's part). Without
 *	ssh-keygen on PATH the signed cases are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "ssh_keys.h"
#include "io/event_canon.h"
#include "worker/worker_auth.h"

static char dir[] = "/tmp/test_worker_auth.XXXXXX";
static int have_keys;

/* setup - keys for alice (operator), carol (deployer) and a stranger */
static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    have_keys = ssh_keys_make(dir, "alice", "-t ed25519", "") == 0 &&
                ssh_keys_make(dir, "carol", "-t ed25519", "") == 0 &&
                ssh_keys_make(dir, "stranger", "-t ed25519", "") == 0;
    return 0;
}

/* teardown - the keys removed */
static int teardown(void **state)
{
    (void)state;
    return ssh_keys_remove(dir);
}

/* public_line - the .pub line of key name */
static char *public_line(const char *name)
{
    char path[512];
    struct buf text;

    snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
    buf_init(&text, 1 << 16);
    assert_int_equal(buf_read_file(&text, path), 0);
    return text.data;
}

/* config_with - an environment document whose signers are alice and carol; extra
 * members (JSON object text without braces, may be "") are added */
static cJSON *config_with(const char *extra)
{
    char *alice = public_line("alice"), *carol = public_line("carol");
    char text[8192];
    cJSON *config;

    snprintf(text, sizeof(text),
             "{%s%s\"signers\": {\"principals\": ["
             "{\"name\": \"alice@example.com\", \"key\": \"%.*s\", \"roles\": [\"operator\"]},"
             "{\"name\": \"carol@example.com\", \"key\": \"%.*s\", \"roles\": [\"deployer\"]}]}}",
             extra, extra[0] ? ", " : "", (int)strcspn(alice, "\n"), alice,
             (int)strcspn(carol, "\n"), carol);
    free(alice);
    free(carol);
    config = cJSON_Parse(text);
    assert_non_null(config);
    return config;
}

/* One event under test, with what auth_verify reads. */
struct signed_event {
    char *json;
    struct record_header headers[8];
    struct event_record rec;
    struct cloud_event ev;
};

/* event_json - a shift-requested (topic "shift-requested") or build-ready for subject */
static cJSON *event_json(const char *topic, const char *subject, const char *action)
{
    char text[1024];

    snprintf(text, sizeof(text),
             "{\"specversion\": \"1.0\", \"id\": \"e1\", \"source\": \"cli/ops\","
             " \"type\": \"cutover.%s\", \"subject\": \"%s\", \"time\": \"2026-12-04T09:00:00Z\","
             " \"data\": {\"environment\": \"%s\", \"action\": \"%s\", \"requested_by\": \"bob\"}}",
             topic, subject, subject, action);
    return cJSON_Parse(text);
}

/* sign_json - sign the canonical form of root with key name in namespace ns; the
 * armored signature (the caller frees it) */
static char *sign_json(const cJSON *root, const char *name, const char *ns)
{
    char *text = cJSON_PrintUnformatted(root), *armored = NULL, path[512], err[256];
    struct buf canon;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    buf_init(&canon, EVENT_CANON_MAX);
    assert_int_equal(event_canon(text, strlen(text), &canon, err, sizeof(err)), 0);
    assert_int_equal(sshsig_sign_file((const unsigned char *)canon.data, canon.len, ns, path,
                                      &armored, err, sizeof(err)),
                     SSHSIG_OK);
    buf_free(&canon);
    free(text);
    return armored;
}

/* event_structured - root as a structured-mode record of topic, decoded */
static void event_structured(struct signed_event *se, const char *topic, const cJSON *root)
{
    struct event_error err;

    se->json = cJSON_PrintUnformatted(root);
    se->headers[0] = (struct record_header){"content-type", "application/cloudevents+json", 28};
    se->rec = (struct event_record){topic, 0, 7, "shop", 4, se->json, strlen(se->json),
                                    se->headers, 1};
    assert_int_equal(event_decode(&se->rec, 1 << 20, &se->ev, &err), 0);
}

/* event_make - a structured-mode record of topic, signed by key name (NULL: unsigned)
 * in namespace ns; tamper changes data.action after signing */
static void event_make(struct signed_event *se, const char *topic, const char *action,
                       const char *name, const char *ns, int tamper)
{
    cJSON *root = event_json(topic, "shop", action);

    memset(se, 0, sizeof(*se));
    if (name != NULL) {
        char *sig = sign_json(root, name, ns);

        cJSON_AddStringToObject(root, EVENT_CANON_SIGNATURE_ATTRIBUTE, sig);
        free(sig);
    }
    if (tamper)
        cJSON_SetValuestring(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "data"), "action"),
                             "promote");
    event_structured(se, topic, root);
    cJSON_Delete(root);
}

/* event_done - what event_make made */
static void event_done(struct signed_event *se)
{
    cloudevent_free(&se->ev);
    free(se->json);
}

/* verdict_of - the verdict of policy config on the event, age seconds old */
static void verdict_of(const cJSON *config, struct signed_event *se, double age,
                       struct auth_verdict *v)
{
    struct auth_policy p;
    char err[256];

    assert_int_equal(auth_policy_load(&p, config, err, sizeof(err)), 0);
    auth_verify(&p, &se->rec, &se->ev, age, v);
    auth_policy_free(&p);
}

/* expect - the verdict on one crafted command */
static void expect(const char *extra, const char *topic, const char *action, const char *key,
                   const char *ns, int tamper, double age, enum event_status status)
{
    cJSON *config = config_with(extra);
    struct signed_event se;
    struct auth_verdict v;

    event_make(&se, topic, action, key, ns, tamper);
    verdict_of(config, &se, age, &v);
    if (v.status != status)
        fail_msg("%s %s by %s: expected %s, got %s (%s)", topic, action, key ? key : "nobody",
                 event_status_code(status), event_status_code(v.status), v.message);
    event_done(&se);
    cJSON_Delete(config);
}

/* load_error - auth_policy_load refuses document text; err contains want */
static void load_error(const char *text, const char *want)
{
    cJSON *config = cJSON_Parse(text);
    struct auth_policy p;
    char err[256] = "";

    assert_non_null(config);
    assert_int_equal(auth_policy_load(&p, config, err, sizeof(err)), -1);
    if (strstr(err, want) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", want, err);
    cJSON_Delete(config);
}

/* test_policy_defaults - no signers: optional; principals: required; the defaults */
static void test_policy_defaults(void **state)
{
    cJSON *empty = cJSON_Parse("{\"name\": \"shop\", \"production\": true}");
    struct auth_policy p;
    char err[256];

    (void)state;
    assert_int_equal(auth_policy_load(&p, empty, err, sizeof(err)), 0);
    assert_false(p.required);
    assert_true(auth_unsigned_warning(&p));
    assert_int_equal(p.window_seconds, AUTH_DEFAULT_WINDOW_SECONDS);
    assert_int_equal(p.skew_seconds, AUTH_DEFAULT_SKEW_SECONDS);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(p.permissions, "promote"), 0)
                            ->valuestring, "approver");
    auth_policy_free(&p);
    assert_int_equal(auth_policy_load(&p, NULL, err, sizeof(err)), 0);
    assert_false(p.required);
    assert_false(auth_unsigned_warning(&p));
    auth_policy_free(&p);
    cJSON_Delete(empty);
}

/* test_policy_signers - principals make signatures required unless said optional */
static void test_policy_signers(void **state)
{
    struct auth_policy p;
    char err[256];
    cJSON *config;

    (void)state;
    if (!have_keys)
        skip();
    config = config_with("");
    assert_int_equal(auth_policy_load(&p, config, err, sizeof(err)), 0);
    assert_true(p.required);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.names[1], "carol@example.com");
    auth_policy_free(&p);
    cJSON_Delete(config);
    config = config_with("\"signatures\": \"optional\", \"production\": true");
    assert_int_equal(auth_policy_load(&p, config, err, sizeof(err)), 0);
    assert_false(p.required);
    assert_true(auth_unsigned_warning(&p));
    auth_policy_free(&p);
    cJSON_Delete(config);
}

/* test_policy_refused - documents whose policy cannot hold */
static void test_policy_refused(void **state)
{
    (void)state;
    load_error("{\"signatures\": \"required\"}", "signers lists no principal");
    load_error("{\"signatures\": \"sometimes\"}", "\"required\" or \"optional\"");
    load_error("{\"signers\": {\"principals\": [{\"name\": \"bob\", \"key\": \"ssh-ed25519 AAAA\","
               " \"roles\": [\"operator\"]}]}}",
               "signer bob: bad key");
    load_error("{\"signers\": {\"principals\": [{\"name\": \"bob\", \"key\": \"x\","
               " \"roles\": \"operator\"}]}}",
               "signer bob: roles");
    load_error("{\"signers\": {\"principals\": [{\"key\": \"x\", \"roles\": []}]}}",
               "a name is required");
    load_error("{\"signers\": {\"permissions\": {\"promote\": \"approver\"}}}",
               "signers.permissions.promote");
    load_error("{\"signers\": {\"window_seconds\": 0}}", "window_seconds");
}

/* test_actions - which records are commands, and their action */
static void test_actions(void **state)
{
    cJSON *shift = cJSON_Parse("{\"action\": \"rollback\"}");
    cJSON *approval = cJSON_Parse("{\"passed\": true, \"approved_by\": \"ann\"}");
    cJSON *validation = cJSON_Parse("{\"passed\": true}");
    char action[AUTH_ACTION_MAX];

    (void)state;
    assert_true(auth_action("build-ready", NULL, action, sizeof(action)));
    assert_string_equal(action, "build-ready");
    assert_true(auth_action("alarm-fired", NULL, action, sizeof(action)));
    assert_string_equal(action, "alarm-fired");
    assert_true(auth_action("shift-requested", shift, action, sizeof(action)));
    assert_string_equal(action, "rollback");
    assert_true(auth_action("green-validated", approval, action, sizeof(action)));
    assert_string_equal(action, "approve");
    assert_false(auth_action("green-validated", validation, action, sizeof(action)));
    assert_false(auth_action("green-scaled", NULL, action, sizeof(action)));
    cJSON_Delete(shift);
    cJSON_Delete(approval);
    cJSON_Delete(validation);
}

/* test_accepted - alice's signed rollback: her name and key fingerprint */
static void test_accepted(void **state)
{
    cJSON *config;
    struct signed_event se;
    struct auth_verdict v;
    struct sshsig_key key;
    char *line, fp[SSHSIG_FINGERPRINT_MAX];

    (void)state;
    if (!have_keys)
        skip();
    config = config_with("");
    event_make(&se, "shift-requested", "rollback", "alice", "cutover:shop", 0);
    verdict_of(config, &se, 10, &v);
    assert_int_equal(v.status, EVENT_OK);
    assert_true(v.is_command && v.is_signed);
    assert_string_equal(v.action, "rollback");
    assert_string_equal(v.principal, "alice@example.com");
    line = public_line("alice");
    assert_int_equal(sshsig_key_from_line(&key, line, NULL, 0), SSHSIG_OK);
    sshsig_key_fingerprint(&key, fp, sizeof(fp));
    assert_string_equal(v.fingerprint, fp);
    sshsig_key_free(&key);
    free(line);
    event_done(&se);
    cJSON_Delete(config);
}

/* test_refusals - each refusal code from a crafted command */
static void test_refusals(void **state)
{
    (void)state;
    if (!have_keys)
        skip();
    expect("", "shift-requested", "rollback", NULL, NULL, 0, 0, EVENT_UNSIGNED);
    expect("\"signatures\": \"optional\"", "shift-requested", "rollback", NULL, NULL, 0, 0,
           EVENT_OK);
    expect("", "shift-requested", "rollback", "alice", "cutover:shop", 1, 0,
           EVENT_BAD_SIGNATURE);
    expect("\"signatures\": \"optional\"", "shift-requested", "rollback", "alice",
           "cutover:shop", 1, 0, EVENT_BAD_SIGNATURE);
    expect("", "shift-requested", "rollback", "alice", "cutover:prod", 0, 0,
           EVENT_BAD_SIGNATURE);
    expect("", "shift-requested", "rollback", "stranger", "cutover:shop", 0, 0,
           EVENT_UNKNOWN_SIGNER);
    expect("", "shift-requested", "promote", "alice", "cutover:shop", 0, 0, EVENT_NOT_AUTHORIZED);
    expect("", "shift-requested", "rollback", "carol", "cutover:shop", 0, 0, EVENT_NOT_AUTHORIZED);
    expect("", "build-ready", "-", "carol", "cutover:shop", 0, 0, EVENT_OK);
    expect("", "shift-requested", "rollback", "alice", "cutover:shop", 0, 301, EVENT_EXPIRED);
    expect("", "shift-requested", "rollback", "alice", "cutover:shop", 0, 299, EVENT_OK);
    expect("", "shift-requested", "rollback", "alice", "cutover:shop", 0, -61, EVENT_EXPIRED);
    expect("", "shift-requested", "rollback", "alice", "cutover:shop", 0, -59, EVENT_OK);
    expect("", "green-scaled", "-", NULL, NULL, 0, 0, EVENT_OK);
}

/* test_permissions_override - an action given in permissions replaces its default:
 * operators may promote */
static void test_permissions_override(void **state)
{
    cJSON *config;
    struct signed_event se;
    struct auth_verdict v;

    (void)state;
    if (!have_keys)
        skip();
    config = config_with("");
    cJSON_AddItemToObject(cJSON_GetObjectItem(config, "signers"), "permissions",
                          cJSON_Parse("{\"promote\": [\"operator\"]}"));
    event_make(&se, "shift-requested", "promote", "alice", "cutover:shop", 0);
    verdict_of(config, &se, 0, &v);
    assert_int_equal(v.status, EVENT_OK);
    event_done(&se);
    cJSON_Delete(config);
}

/* test_signature_not_string - a cutoversig that is no string never passes for an
 * unsigned command: the decoder refuses the record before any policy */
static void test_signature_not_string(void **state)
{
    cJSON *root = event_json("shift-requested", "shop", "rollback");
    struct signed_event se;
    struct event_error err;

    (void)state;
    cJSON_AddNumberToObject(root, EVENT_CANON_SIGNATURE_ATTRIBUTE, 5);
    memset(&se, 0, sizeof(se));
    se.json = cJSON_PrintUnformatted(root);
    se.headers[0] = (struct record_header){"content-type", "application/cloudevents+json", 28};
    se.rec = (struct event_record){"shift-requested", 0, 7, "shop", 4, se.json, strlen(se.json),
                                   se.headers, 1};
    assert_int_not_equal(event_decode(&se.rec, 1 << 20, &se.ev, &err), 0);
    assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
    free(se.json);
    cJSON_Delete(root);
}

/* test_binary_mode - a binary-mode record: attributes in ce_ headers, the signature in
 * ce_cutoversig, verified over the structured form */
static void test_binary_mode(void **state)
{
    const char *data = "{\"environment\":\"shop\",\"action\":\"rollback\",\"requested_by\":\"bob\"}";
    cJSON *config, *root;
    struct signed_event se;
    struct auth_verdict v;
    struct event_error err;
    char *sig;

    (void)state;
    if (!have_keys)
        skip();
    config = config_with("");
    root = event_json("shift-requested", "shop", "rollback");
    sig = sign_json(root, "alice", "cutover:shop");
    memset(&se, 0, sizeof(se));
    se.headers[0] = (struct record_header){"ce_specversion", "1.0", 3};
    se.headers[1] = (struct record_header){"ce_id", "e1", 2};
    se.headers[2] = (struct record_header){"ce_source", "cli/ops", 7};
    se.headers[3] = (struct record_header){"ce_type", "cutover.shift-requested", 23};
    se.headers[4] = (struct record_header){"ce_subject", "shop", 4};
    se.headers[5] = (struct record_header){"ce_time", "2026-12-04T09:00:00Z", 20};
    se.headers[6] = (struct record_header){"ce_cutoversig", sig, strlen(sig)};
    se.rec = (struct event_record){"shift-requested", 0, 7, "shop", 4, data, strlen(data),
                                   se.headers, 7};
    assert_int_equal(event_decode(&se.rec, 1 << 20, &se.ev, &err), 0);
    verdict_of(config, &se, 0, &v);
    assert_int_equal(v.status, EVENT_OK);
    assert_string_equal(v.principal, "alice@example.com");
    se.headers[4] = (struct record_header){"ce_subject", "prod", 4};
    cloudevent_free(&se.ev);
    se.rec.value = "{\"environment\":\"prod\",\"action\":\"rollback\",\"requested_by\":\"bob\"}";
    assert_int_equal(event_decode(&se.rec, 1 << 20, &se.ev, &err), 0);
    verdict_of(config, &se, 0, &v);
    assert_int_equal(v.status, EVENT_BAD_SIGNATURE);
    cloudevent_free(&se.ev);
    free(sig);
    cJSON_Delete(root);
    cJSON_Delete(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_policy_signers),
        cmocka_unit_test(test_policy_refused),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_permissions_override),
        cmocka_unit_test(test_signature_not_string),
        cmocka_unit_test(test_binary_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
