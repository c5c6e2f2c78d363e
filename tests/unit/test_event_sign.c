/*
 * test_event_sign - signing an event before it is published
 *	(io/event_sign.h) and the "cutoversig" attribute in io/event.c:
 *	the attribute survives decode and encode in both content modes, the
 *	canonical form of a decoded event is the same from either mode, an
 *	event signed with a key file verifies (io/sshsig.h) over that form in
 *	its environment's namespace only, and any change after signing
 *	breaks it; keys that cannot sign are refused with errors that carry
 *	no key material.
 *
 * DESCRIPTION
 *	The key is made at test time by ssh-keygen in a temporary directory,
 *	removed at the end; without ssh-keygen the signing tests are skipped.
 *	That OpenSSH accepts these signatures is
 *	tests/integration/test_cli_sign.sh's part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_keys.h"
#include "io/event.h"
#include "io/event_canon.h"
#include "io/event_sign.h"
#include "io/sshsig.h"

static char dir[] = "/tmp/test_event_sign.XXXXXX";
static char key_file[256], pub_file[256], garbage_file[256];
static int have_key;

#define GARBAGE_MARKER "SECRET-MARKER-42"

/* setup - an Ed25519 key and a file that is not a key */
static int setup(void **state)
{
    FILE *f;

    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(key_file, sizeof(key_file), "%s/ed25519", dir);
    snprintf(pub_file, sizeof(pub_file), "%s/ed25519.pub", dir);
    snprintf(garbage_file, sizeof(garbage_file), "%s/garbage", dir);
    have_key = ssh_keys_make(dir, "ed25519", "-t ed25519", "") == 0;
    if ((f = fopen(garbage_file, "w")) == NULL)
        return -1;
    fputs("-----BEGIN OPENSSH PRIVATE KEY-----\n" GARBAGE_MARKER "\n", f);
    fclose(f);
    return 0;
}

/* teardown - the keys removed */
static int teardown(void **state)
{
    (void)state;
    return ssh_keys_remove(dir);
}

/* shift_event - a shift-requested event for environment env */
static void shift_event(struct cloud_event *ev, const char *env)
{
    cJSON *data = cJSON_CreateObject();

    cJSON_AddStringToObject(data, "environment", env);
    cJSON_AddStringToObject(data, "action", "shift");
    cJSON_AddNumberToObject(data, "weight", 25);
    cJSON_AddStringToObject(data, "reason", "caf\xc3\xa9");
    assert_int_equal(event_create(ev, "shift-requested", "cutover/cli", env, data), 0);
}

/* decode_structured - decode json as a structured record of shift-requested */
static int decode_structured(const char *json, struct cloud_event *out, struct event_error *err)
{
    struct event_record rec = {.topic = "shift-requested", .value = json,
                               .value_len = strlen(json)};

    return event_decode(&rec, 1 << 20, out, err);
}

/* canon_of - the canonical form of ev as a new string */
static char *canon_of(const struct cloud_event *ev)
{
    struct buf canon;
    char err[256];

    buf_init(&canon, EVENT_CANON_MAX);
    assert_int_equal(event_canon_event(ev, &canon, err, sizeof(err)), 0);
    assert_int_equal(buf_putc(&canon, '\0'), 0);
    return buf_steal(&canon);
}

/* verify - sshsig_verify of ev's cutoversig over its canonical form in ns, by the test key */
static enum sshsig_status verify(const struct cloud_event *ev, const char *ns)
{
    struct sshsig_key key;
    struct buf pub;
    char *canon = canon_of(ev), err[256];
    size_t which;
    enum sshsig_status st;

    buf_init(&pub, 1 << 16);
    assert_int_equal(buf_read_file(&pub, pub_file), 0);
    assert_int_equal(buf_putc(&pub, '\0'), 0);
    assert_int_equal(sshsig_key_from_line(&key, pub.data, NULL, 0), SSHSIG_OK);
    st = sshsig_verify((const unsigned char *)canon, strlen(canon), ev->cutoversig,
                       strlen(ev->cutoversig), ns, &key, 1, &which, err, sizeof(err));
    sshsig_key_free(&key);
    buf_free(&pub);
    free(canon);
    return st;
}

/* test_structured_keeps_signature - decode and encode keep cutoversig; it must be a string */
static void test_structured_keeps_signature(void **state)
{
    const char *head = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
                       "\"type\":\"cutover.shift-requested\",\"subject\":\"shop\","
                       "\"time\":\"2026-12-04T09:00:00Z\",\"data\":{},\"cutoversig\":";
    char json[512], *encoded;
    struct cloud_event ev;
    struct event_error err;

    (void)state;
    snprintf(json, sizeof(json), "%s\"QUJD\"}", head);
    assert_int_equal(decode_structured(json, &ev, &err), 0);
    assert_string_equal(ev.cutoversig, "QUJD");
    encoded = event_encode(&ev);
    assert_non_null(strstr(encoded, "\"cutoversig\":\"QUJD\""));
    free(encoded);
    cloudevent_free(&ev);
    snprintf(json, sizeof(json), "%s5}", head);
    assert_int_not_equal(decode_structured(json, &ev, &err), 0);
    assert_int_equal(err.status, EVENT_BAD_ATTRIBUTE);
    snprintf(json, sizeof(json), "%snull}", head);
    assert_int_equal(decode_structured(json, &ev, &err), 0);
    assert_null(ev.cutoversig);
    cloudevent_free(&ev);
}

/* test_binary_keeps_signature - the headers carry cutoversig and content-type; decoded
 * back, the event has the same signature and the same canonical form */
static void test_binary_keeps_signature(void **state)
{
    struct record_header headers[EVENT_BINARY_HEADERS_MAX];
    struct cloud_event ev, back;
    struct event_error err;
    char *value, *canon_sent, *canon_back;
    size_t n;
    struct event_record rec = {.topic = "shift-requested"};

    (void)state;
    shift_event(&ev, "shop");
    ev.cutoversig = strdup("QUJD");
    n = event_binary_headers(&ev, headers);
    assert_int_equal(n, 8);
    assert_string_equal(headers[6].name, "content-type");
    assert_string_equal(headers[7].name, "ce_cutoversig");
    value = cJSON_PrintUnformatted(ev.data);
    rec.value = value;
    rec.value_len = strlen(value);
    rec.headers = headers;
    rec.header_count = n;
    assert_int_equal(event_decode(&rec, 1 << 20, &back, &err), 0);
    assert_string_equal(back.cutoversig, "QUJD");
    canon_sent = canon_of(&ev);
    canon_back = canon_of(&back);
    assert_string_equal(canon_sent, canon_back);
    assert_null(strstr(canon_sent, "cutoversig"));
    free(canon_sent);
    free(canon_back);
    free(value);
    cloudevent_free(&back);
    cloudevent_free(&ev);
}

/* test_signed_event_verifies - sign, publish as JSON, decode: verifies in cutover:shop only;
 * a change after signing breaks it */
static void test_signed_event_verifies(void **state)
{
    struct event_signer *signer;
    struct cloud_event ev, back;
    struct event_error eerr;
    char err[256], *json;

    (void)state;
    if (!have_key)
        skip();
    assert_non_null(signer = event_signer_file(key_file, err, sizeof(err)));
    assert_int_equal(strncmp(event_signer_fingerprint(signer), "SHA256:", 7), 0);
    shift_event(&ev, "shop");
    assert_int_equal(event_sign(signer, &ev, err, sizeof(err)), 0);
    assert_null(strchr(ev.cutoversig, '\n'));
    assert_null(strchr(ev.cutoversig, '-'));
    json = event_encode(&ev);
    assert_int_equal(decode_structured(json, &back, &eerr), 0);
    assert_int_equal(verify(&back, "cutover:shop"), SSHSIG_OK);
    assert_int_equal(verify(&back, "cutover:prod"), SSHSIG_WRONG_NAMESPACE);
    cJSON_ReplaceItemInObject(back.data, "weight", cJSON_CreateNumber(26));
    assert_int_equal(verify(&back, "cutover:shop"), SSHSIG_BAD_SIGNATURE);
    free(json);
    cloudevent_free(&back);
    cloudevent_free(&ev);
    event_signer_free(signer);
}

/* test_bad_keys_refused - no file, not a key, no agent, a subject that is no namespace */
static void test_bad_keys_refused(void **state)
{
    struct event_signer *signer;
    struct cloud_event ev;
    char err[256] = "";

    (void)state;
    assert_null(event_signer_file("/nonexistent/key", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/key"));
    assert_null(event_signer_file(garbage_file, err, sizeof(err)));
    assert_true(err[0] != '\0');
    assert_null(strstr(err, GARBAGE_MARKER));
    unsetenv("SSH_AUTH_SOCK");
    assert_null(event_signer_agent(NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "SSH_AUTH_SOCK"));
    if (!have_key)
        return;
    assert_null(event_signer_agent(pub_file, err, sizeof(err)));
    assert_non_null(signer = event_signer_file(key_file, err, sizeof(err)));
    shift_event(&ev, "shop/../prod");
    assert_int_not_equal(event_sign(signer, &ev, err, sizeof(err)), 0);
    assert_null(ev.cutoversig);
    cloudevent_free(&ev);
    event_signer_free(signer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structured_keeps_signature),
        cmocka_unit_test(test_binary_keeps_signature),
        cmocka_unit_test(test_signed_event_verifies),
        cmocka_unit_test(test_bad_keys_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
