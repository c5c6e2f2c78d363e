/*
 * cli_sign - the key the CLI signs its events with (see cli_sign.h).
 *
 * DESCRIPTION
 *	Errors go to stderr naming the file, the fingerprint or the agent,
 *	never key material; the caller publishes nothing after one.
 */
#include "cli/cli_sign.h"

#include "base/config.h"

#include <stdio.h>
#include <string.h>

#define CLI_SIGN_ONLY_KEY "only"

/* cli_sign_looks_like_key - 1 when word names an agent key rather than an argument */
static int cli_sign_looks_like_key(const char *word)
{
    size_t len = strlen(word);

    return strncmp(word, "SHA256:", 7) == 0 || strcmp(word, CLI_SIGN_ONLY_KEY) == 0
           || (len > 4 && strcmp(word + len - 4, ".pub") == 0);
}

/* cli_sign_option_key - take the next word when it is an agent key */
const char *cli_sign_option_key(int argc, char **argv, int *optind_p)
{
    if (*optind_p < argc && cli_sign_looks_like_key(argv[*optind_p]))
        return argv[(*optind_p)++];
    return NULL;
}

/* cli_sign_env - the environment's choice into c; 0, or 2 when both are set */
static int cli_sign_env(struct cli_sign_choice *c)
{
    const char *file = config_get("CUTOVER_SIGN_KEY");
    const char *agent = config_get("CUTOVER_SIGN_AGENT_KEY");

    c->key_file = file && *file ? file : NULL;
    c->agent_key = agent && *agent ? agent : NULL;
    if (c->key_file && c->agent_key) {
        fprintf(stderr, "cutover: CUTOVER_SIGN_KEY and CUTOVER_SIGN_AGENT_KEY exclude each "
                        "other; nothing sent\n");
        return 2;
    }
    return 0;
}

/* cli_signer_open - command line first, then the environment */
int cli_signer_open(const struct cli_sign_choice *choice, struct event_signer **out)
{
    struct cli_sign_choice c = *choice;
    char err[512];
    int rc = 0;

    *out = NULL;
    if (c.key_file && c.agent_key) {
        fprintf(stderr, "cutover: --sign-key or --sign-agent, not both; nothing sent\n");
        return 2;
    }
    if (!c.key_file && !c.agent_key && (rc = cli_sign_env(&c)) != 0)
        return rc;
    if (c.key_file && (*out = event_signer_file(c.key_file, err, sizeof(err))) == NULL)
        fprintf(stderr, "cutover: cannot sign with the key file %s: %s; nothing sent\n",
                c.key_file, err);
    else if (c.agent_key && (*out = event_signer_agent(c.agent_key, err, sizeof(err))) == NULL)
        fprintf(stderr, "cutover: cannot sign through ssh-agent: %s; nothing sent\n", err);
    return (c.key_file || c.agent_key) && *out == NULL ? 1 : 0;
}
