/*
 * config - the CUTOVER_* environment variables, declared in one table.
 *
 * SYNOPSIS
 *	if (config_load(err, sizeof(err)) != 0) log_fatal("%s", err);
 *	const char *brokers = config_get("CUTOVER_KAFKA_BROKERS");
 *	long partitions = config_get_int("CUTOVER_TOPIC_PARTITIONS");
 *	config_print(stdout);	   (the --check output, secrets masked)
 *
 * DESCRIPTION
 *	Each variable has a type (string, integer, boolean), a default, bounds
 *	for integers, a secret flag and a line of help. config_load() reads the
 *	process environment, checks every value and fails with a message that
 *	names the variable. Secrets (passwords, the password inside a URL) are
 *	masked by config_print() and never logged. Asking for a name that is
 *	not in the table is a broken invariant (log_panic).
 */
#ifndef CUTOVER_CONFIG_H
#define CUTOVER_CONFIG_H

#include <stdio.h>

#define CONFIG_SECRET_MAX 4096 /* longest secret config_get_secret reads */

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL };

enum config_secret {
    CONFIG_PUBLIC,    /* printed as is */
    CONFIG_SECRET,    /* printed as "****" when set */
    CONFIG_SECRET_URL /* a URL whose password part is masked */
};

struct config_var {
    const char *name;
    enum config_type type;
    const char *default_value; /* NULL: unset unless given */
    long min, max;             /* CONFIG_INT bounds, inclusive */
    enum config_secret secret;
    const char *help;
    const char *const *allowed; /* CONFIG_STRING: NULL-terminated list; NULL = any */
    const char *pattern;        /* CONFIG_STRING: POSIX extended regex; NULL = any */
};

/* The table: every variable cutover reads. */
extern const struct config_var config_vars[];
extern const unsigned config_var_count;

int config_load(char *err, size_t err_len);
/* config_start - load for program ("cutover-web"): a bad configuration is
 * told on stderr and returns 2; with check it is printed and returns 0;
 * otherwise the log level is set from it and -1 says go on */
int config_start(const char *program, int check);
const char *config_get(const char *name); /* NULL when unset and no default */
long config_get_int(const char *name);
int config_get_bool(const char *name);
void config_print(FILE *out);
void config_usage(FILE *out); /* the table as help text */
/* config_get_secret - the secret name holds, or the content of the file
 * name_FILE names (trailing newlines dropped; both must be declared):
 * 0 with out set, 1 when neither is set, -1 with err when both are set
 * or the file cannot be read, is empty or too long (err never holds the
 * secret) */
int config_get_secret(const char *name, char *out, size_t out_len, char *err, size_t err_len);
/* config_secret_parse - the secret in a secret file's bytes (size of them),
 * trailing CRs and LFs dropped, into out: 0, or -1 with why (a static
 * phrase that never holds the secret) when it is empty, does not fit out
 * or holds a NUL byte; out may be data */
int config_secret_parse(const char *data, size_t size, char *out, size_t out_len,
                        const char **why);
/* config_mask_url - copy url to out with its password replaced by "****" */
void config_mask_url(const char *url, char *out, size_t out_len);
void config_free(void);

#endif
