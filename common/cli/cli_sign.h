/*
 * cli_sign - the key the CLI signs its events with (cli_sign.c).
 *
 * DESCRIPTION
 *	--sign-key FILE (else CUTOVER_SIGN_KEY) signs with an unencrypted
 *	OpenSSH private key file; --sign-agent [KEY] (else
 *	CUTOVER_SIGN_AGENT_KEY) signs through ssh-agent with KEY: a .pub
 *	file, a SHA256: fingerprint, or none / "only" for the agent's one
 *	key. A key on the command line wins over the environment; two on the
 *	same level are a usage error. Nothing configured: events go out
 *	unsigned, as before signing existed.
 */
#ifndef CUTOVER_CLI_SIGN_H
#define CUTOVER_CLI_SIGN_H

#include "io/event_sign.h"

/* The help of the signing options, the same in every publishing command's usage. */
#define CLI_SIGN_HELP                                                                       \
    "  --sign-key FILE   sign the event with this OpenSSH private key file (Ed25519, ECDSA\n" \
    "                    P-256, RSA; unencrypted); default $CUTOVER_SIGN_KEY\n"              \
    "  --sign-agent[=KEY] sign through ssh-agent ($SSH_AUTH_SOCK) with KEY: a .pub file, a\n" \
    "                    SHA256: fingerprint, or the agent's only key; default\n"            \
    "                    $CUTOVER_SIGN_AGENT_KEY. No key: the event goes out unsigned.\n"    \
    "                    A key that cannot sign: exit 1, nothing sent."

/* What the command line asked for (NULL: not given). */
struct cli_sign_choice {
    const char *key_file;
    const char *agent_key; /* "" for --sign-agent without a key */
};

/* cli_sign_option_key - the KEY of --sign-agent given as the next word (argv[*optind]):
 * taken when it names a .pub file, a SHA256: fingerprint or "only"; else NULL */
const char *cli_sign_option_key(int argc, char **argv, int *optind_p);

/* cli_signer_open - the signer chosen (command line, else environment) into *out, NULL
 * when unsigned; 0, 1 when the key cannot be used, 2 for two keys (reported) */
int cli_signer_open(const struct cli_sign_choice *choice, struct event_signer **out);

#endif
