/*
 * test_cli_sign - how the CLI chooses its signing key (cli/cli_sign.h):
 *	the word after --sign-agent is taken only when it names a key; no
 *	key anywhere means unsigned; the command line wins over the
 *	environment; two keys on one level are a usage error (2); a key
 *	file that cannot sign is a failure (1) with no signer.
 *
 * DESCRIPTION
 *	No key is needed: the cases that succeed open nothing, and the one
 *	that wins over the environment fails on a missing file, which shows
 *	which key was chosen. That real keys sign is test_event_sign's and
 *	tests/integration/test_cli_sign.sh's part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "base/config.h"
#include "cli/cli_sign.h"

/* load - the configuration with CUTOVER_SIGN_KEY and CUTOVER_SIGN_AGENT_KEY (NULL: unset) */
static void load(const char *key_file, const char *agent_key)
{
    char err[256];

    if (key_file)
        setenv("CUTOVER_SIGN_KEY", key_file, 1);
    else
        unsetenv("CUTOVER_SIGN_KEY");
    if (agent_key)
        setenv("CUTOVER_SIGN_AGENT_KEY", agent_key, 1);
    else
        unsetenv("CUTOVER_SIGN_AGENT_KEY");
    assert_int_equal(config_load(err, sizeof(err)), 0);
}

/* test_option_key - .pub, SHA256: and "only" are keys; an environment name is not */
static void test_option_key(void **state)
{
    char *argv[] = {"shift", "--sign-agent", "x.pub", "SHA256:abc", "only", "shop", "ok.pubx"};
    int argc = 7, i = 2;

    (void)state;
    assert_string_equal(cli_sign_option_key(argc, argv, &i), "x.pub");
    assert_string_equal(cli_sign_option_key(argc, argv, &i), "SHA256:abc");
    assert_string_equal(cli_sign_option_key(argc, argv, &i), "only");
    assert_null(cli_sign_option_key(argc, argv, &i));
    assert_int_equal(i, 5);
    i = 6;
    assert_null(cli_sign_option_key(argc, argv, &i));
    i = 7;
    assert_null(cli_sign_option_key(argc, argv, &i));
}

/* test_unsigned - nothing configured: 0 and no signer */
static void test_unsigned(void **state)
{
    struct cli_sign_choice none = {0};
    struct event_signer *signer = (struct event_signer *)&none; /* must be cleared */

    (void)state;
    load(NULL, NULL);
    assert_int_equal(cli_signer_open(&none, &signer), 0);
    assert_null(signer);
}

/* test_two_keys - on the command line or in the environment: 2, nothing opened */
static void test_two_keys(void **state)
{
    struct cli_sign_choice both = {.key_file = "/k", .agent_key = ""}, none = {0};
    struct event_signer *signer;

    (void)state;
    load(NULL, NULL);
    assert_int_equal(cli_signer_open(&both, &signer), 2);
    assert_null(signer);
    load("/k", "only");
    assert_int_equal(cli_signer_open(&none, &signer), 2);
    assert_null(signer);
}

/* test_unusable_key - a missing key file: 1 and no signer, from either level; the
 * command line's key wins over the environment's pair that would be a usage error */
static void test_unusable_key(void **state)
{
    struct cli_sign_choice file = {.key_file = "/nonexistent/key"}, none = {0};
    struct event_signer *signer;

    (void)state;
    load(NULL, NULL);
    assert_int_equal(cli_signer_open(&file, &signer), 1);
    assert_null(signer);
    load("/nonexistent/env-key", NULL);
    assert_int_equal(cli_signer_open(&none, &signer), 1);
    load("/k", "only");
    assert_int_equal(cli_signer_open(&file, &signer), 1);
    assert_null(signer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_key),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_two_keys),
        cmocka_unit_test(test_unusable_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
