/*
 * config - the CUTOVER_* environment variables, declared in one table.
 *
 * SYNOPSIS
 *	#include "base/config.h"
 *
 *	if (config_load(err, sizeof(err)) != 0) log_fatal("%s", err);
 *	const char *url = config_get("CUTOVER_DATABASE_URL");
 *	long n = config_get_int("CUTOVER_TOPIC_PARTITIONS");
 *	int verify = config_get_bool("CUTOVER_KAFKA_SSL_VERIFY");
 *	config_print(stdout);
 *	config_free();
 *
 * DESCRIPTION
 *	config_vars[] is the one table of every variable cutover reads: its
 *	type, default, integer bounds, allowed values or pattern, whether it
 *	is a secret, and a line of help.
 *
 *	config_load() reads the process environment and checks every value
 *	against the table; the first bad value fails the load with a message
 *	that names it ("CUTOVER_TOPIC_PARTITIONS=0: must be between 1 and
 *	1000"). An empty value counts as unset. A CUTOVER_* variable that is
 *	not in the table is reported with log_warn() (a typo should be seen)
 *	but is not an error. config_load() may be called again; a failed load
 *	keeps the previous values.
 *
 *	config_get() and friends answer from the loaded values, or from the
 *	table defaults before any load, so library code may ask at any time.
 *	A name missing from the table is a broken invariant (log_panic).
 *
 *	config_get_secret() reads a secret from NAME or from the file that
 *	NAME_FILE names (both in the table; the file's trailing newlines are
 *	dropped), so that a secret need not sit in the environment.
 *
 *	config_print() writes NAME=value lines with secrets masked: "****"
 *	for a secret, and for a database URL only its password (both the
 *	user:password@ form and a password= keyword). Values left at their
 *	default are marked "(default)", unset ones "(unset)".
 */
#include "base/config.h"

#include "base/buf.h"
#include "base/log.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_VALUE_MAX 4096 /* longest value accepted from the environment */
#define CONFIG_MASK      "****"

extern char **environ;

static const char *const config_log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const config_protocols[] = {
    "plaintext", "ssl", "sasl_plaintext", "sasl_ssl", NULL,
};
static const char *const config_content_modes[] = { "structured", "binary", NULL };
static const char *const config_mechanisms[] = {
    "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL,
};

#define S(name, def, secret, help) { name, CONFIG_STRING, def, 0, 0, secret, help, NULL, NULL }
#define E(name, def, list, help)   { name, CONFIG_STRING, def, 0, 0, CONFIG_PUBLIC, help, list, NULL }
#define I(name, def, lo, hi, help) { name, CONFIG_INT, def, lo, hi, CONFIG_PUBLIC, help, NULL, NULL }
#define B(name, def, help)         { name, CONFIG_BOOL, def, 0, 1, CONFIG_PUBLIC, help, NULL, NULL }

const struct config_var config_vars[] = {
    S("CUTOVER_KAFKA_BROKERS", "127.0.0.1:9092", CONFIG_PUBLIC, "Kafka bootstrap servers, host:port[,host:port]"),
    S("CUTOVER_DATABASE_URL", "postgresql://cutover@127.0.0.1:5432/cutover", CONFIG_SECRET_URL,
      "PostgreSQL connection URL or key=value conninfo"),
    S("CUTOVER_HAPROXY_SOCKET", NULL, CONFIG_PUBLIC, "HAProxy Runtime API socket (local provider)"),
    S("CUTOVER_HAPROXY_MASTER_SOCKET", NULL, CONFIG_PUBLIC, "HAProxy master CLI socket (local provider)"),
    S("CUTOVER_HAPROXY_CONFIG_DIR", NULL, CONFIG_PUBLIC, "directory of the HAProxy configuration (local provider)"),
    S("CUTOVER_RUN_DIR", ".run", CONFIG_PUBLIC, "directory for sockets, pids and unpacked releases"),
    S("CUTOVER_SHARE_DIR", NULL, CONFIG_PUBLIC, "migrations and schemas; unset: found from the executable"),
    { "CUTOVER_TOPIC_PREFIX", CONFIG_STRING, "", 0, 0, CONFIG_PUBLIC, "prefix before every topic name",
      NULL, "^[A-Za-z0-9._-]{0,100}$" },
    I("CUTOVER_TOPIC_PARTITIONS", "3", 1, 1000, "partitions of topics cutover creates"),
    I("CUTOVER_TOPIC_REPLICATION", "1", 1, 16, "replication factor of topics cutover creates"),
    S("CUTOVER_GROUP_PREFIX", "cutover", CONFIG_PUBLIC, "prefix of the consumer group names"),
    E("CUTOVER_LOG_LEVEL", "info", config_log_levels, "lowest level logged"),
    I("CUTOVER_MAX_EVENT_BYTES", "1048576", 1024, 8388608, "largest record accepted"),
    E("CUTOVER_KAFKA_SECURITY_PROTOCOL", "plaintext", config_protocols, "Kafka security.protocol"),
    E("CUTOVER_KAFKA_SASL_MECHANISM", NULL, config_mechanisms, "Kafka sasl.mechanism"),
    S("CUTOVER_KAFKA_SASL_USERNAME", NULL, CONFIG_PUBLIC, "Kafka SASL user name"),
    S("CUTOVER_KAFKA_SASL_PASSWORD", NULL, CONFIG_SECRET, "Kafka SASL password"),
    S("CUTOVER_KAFKA_SASL_PASSWORD_FILE", NULL, CONFIG_PUBLIC,
      "a file holding CUTOVER_KAFKA_SASL_PASSWORD instead"),
    /* the development stack's MySQL (ops/devstack env), for the tests and the demo
     * that write environment documents; an environment's "database" section is
     * what cutover itself connects to */
    S("CUTOVER_MYSQL_HOST", NULL, CONFIG_PUBLIC, "the development stack's MySQL host"),
    S("CUTOVER_MYSQL_PORT", NULL, CONFIG_PUBLIC, "the development stack's MySQL port"),
    S("CUTOVER_MYSQL_SOCKET", NULL, CONFIG_PUBLIC, "the development stack's MySQL socket"),
    S("CUTOVER_MYSQL_USER", NULL, CONFIG_PUBLIC, "the development stack's MySQL user"),
    S("CUTOVER_MYSQL_DATABASE", NULL, CONFIG_PUBLIC, "the development stack's application database"),
    S("CUTOVER_MYSQL_PASSWORD_FILE", NULL, CONFIG_PUBLIC,
      "file holding the development stack's MySQL password"),
    S("CUTOVER_KAFKA_CREDENTIALS_DIR", NULL, CONFIG_PUBLIC,
      "without CUTOVER_KAFKA_SASL_USERNAME: a directory with one file per process (scaler,"
      " deployer, validator, shifter, rollbacker, web, cli) holding its SASL user name and"
      " password, one per line"),
    S("CUTOVER_KAFKA_SSL_CA_LOCATION", NULL, CONFIG_PUBLIC, "CA certificate file for Kafka TLS"),
    B("CUTOVER_KAFKA_SSL_VERIFY", "true", "verify the Kafka broker's certificate"),
    I("CUTOVER_KAFKA_MAX_POLL_INTERVAL_MS", "300000", 10000, 86400000,
      "Kafka max.poll.interval.ms: a worker stuck this long in one record leaves its group"),
    I("CUTOVER_KAFKA_SESSION_TIMEOUT_MS", "10000", 3000, 1800000,
      "Kafka session.timeout.ms: a consumer silent this long loses its partitions"),
    I("CUTOVER_KAFKA_LINGER_MS", "5", 0, 1000,
      "Kafka linger.ms of the workers' producers: how long a follow-up event waits for others"
      " to share its request (cutover-web's alarms and the CLI's commands go at once)"),
    S("CUTOVER_KAFKA_INSTANCE_ID", NULL, CONFIG_PUBLIC,
      "Kafka group.instance.id (static membership): a consumer restarted under the same name"
      " takes its partitions back at once, not after the session timeout; cutoverd names"
      " each child (host, its own pid, the worker's label)"),
    I("CUTOVER_DB_CONNECT_ATTEMPTS", "30", 1, 100000, "PostgreSQL connection attempts before giving up"),
    I("CUTOVER_DB_RETRY_MAX_MS", "5000", 10, 600000, "longest pause between PostgreSQL connection attempts"),
    I("CUTOVER_OUTBOX_SWEEP_MS", "1000", 10, 600000, "interval of the outbox sweeper"),
    I("CUTOVER_TIMER_POLL_MS", "500", 10, 600000, "interval of the durable timer poll"),
    I("CUTOVER_SHUTDOWN_GRACE_MS", "10000", 0, 600000, "time to finish work after SIGTERM"),
    S("CUTOVER_SOURCE", NULL, CONFIG_PUBLIC, "CloudEvents source of emitted events; unset: cutover/<worker>"),
    S("CUTOVER_SIGN_KEY", NULL, CONFIG_PUBLIC,
      "cutover CLI: sign every published event with this unencrypted OpenSSH private key file"
      " (Ed25519, ECDSA P-256, RSA; the path is shown, never the key); --sign-key overrides"),
    S("CUTOVER_SIGN_AGENT_KEY", NULL, CONFIG_PUBLIC,
      "cutover CLI: sign every published event through ssh-agent ($SSH_AUTH_SOCK) with this key:"
      " a .pub file, a SHA256: fingerprint, or \"only\" (the agent's one key); --sign-agent overrides"),
    E("CUTOVER_CLI_CONTENT_MODE", "structured", config_content_modes,
      "cutover CLI: CloudEvents content mode of the events it publishes (binary: ce_* headers)"),
    S("CUTOVER_AWS_ENDPOINT_URL", NULL, CONFIG_PUBLIC, "AWS endpoint override (tests: the moto server)"),
    I("CUTOVER_AWS_MAX_ATTEMPTS", "3", 1, 20, "attempts per AWS API call"),
    I("CUTOVER_AWS_TIMEOUT_MS", "10000", 100, 600000, "timeout of one AWS API call"),
    S("CUTOVER_ENVIRONMENTS", ".*", CONFIG_PUBLIC, "regular expression of the environments whose effects and timers this process performs"),
    I("CUTOVER_ROLLBACK_GUARD_MS", "2000", 100, 600000, "interval of the rollbacker's check that the old color could take all the traffic back"),
    I("CUTOVER_ANALYSIS_TICK_MS", "1000", 100, 600000, "interval of the validator's look at running analysis gates (each metric measures on its own interval_seconds)"),
    I("CUTOVER_HEALTH_CHECK_MS", "2000", 100, 600000, "interval of the rollbacker's reading of each color's health into the database (status page, cutover status and watch)"),
    I("CUTOVER_SCHEDULER_TICK_MS", "500", 50, 600000, "cutover-scheduler: interval of its look for due scheduled work and for runs that ended (each environment runs every scheduler.interval_seconds)"),
    I("CUTOVER_EFFECT_LEASE_MS", "10000", 1000, 600000, "how long a worker holds a claimed effect without renewing it"),
    S("CUTOVER_FAULT_POINT", NULL, CONFIG_PUBLIC, "chaos tests only: crash with SIGKILL at this named point"),
    I("CUTOVER_FAULT_SKIP", "0", 0, 1000000, "chaos tests only: pass the fault point this many times first"),
    S("CUTOVER_FAULT_DELAY_POINT", NULL, CONFIG_PUBLIC, "chaos tests only: pause at this named point (fault_delay)"),
    I("CUTOVER_FAULT_DELAY_MS", "0", 0, 600000, "chaos tests only: how long the delay point pauses"),
    I("CUTOVER_SUPERVISOR_RESTART_MIN_MS", "500", 10, 600000,
      "cutoverd: pause before restarting a worker that exited; doubles while it keeps exiting"),
    I("CUTOVER_SUPERVISOR_RESTART_MAX_MS", "30000", 10, 3600000,
      "cutoverd: longest pause before restarting a worker"),
    I("CUTOVER_SUPERVISOR_STABLE_MS", "60000", 100, 86400000,
      "cutoverd: a worker up this long before it exits is restarted after the shortest pause again"),
    I("CUTOVER_SUPERVISOR_STOP_GRACE_MS", "15000", 0, 600000,
      "cutoverd: time the workers get to drain after SIGTERM before SIGKILL"),
    { "CUTOVER_WEB_ADDR", CONFIG_STRING, "127.0.0.1:8080", 0, 0, CONFIG_PUBLIC,
      "cutover-web: host:port of the status page, its JSON API, /metrics, /healthz and /readyz"
      " (port 0: any free one, logged)",
      NULL, "^([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]):[0-9]{1,5}$" },
    I("CUTOVER_WEB_MAX_BODY", "1048576", 4096, 67108864,
      "cutover-web: largest request body of the alarm receivers (POST); larger: 413"),
    S("CUTOVER_ALERTMANAGER_TOKEN", NULL, CONFIG_SECRET,
      "cutover-web: the bearer token Alertmanager's webhook sends (http_config authorization)"),
    S("CUTOVER_ALERTMANAGER_TOKEN_FILE", NULL, CONFIG_PUBLIC,
      "cutover-web: a file holding CUTOVER_ALERTMANAGER_TOKEN instead"),
    S("CUTOVER_ALERTMANAGER_USERNAME", NULL, CONFIG_PUBLIC,
      "cutover-web: the user name of Alertmanager's basic auth (with _PASSWORD)"),
    S("CUTOVER_ALERTMANAGER_PASSWORD", NULL, CONFIG_SECRET,
      "cutover-web: the password of Alertmanager's basic auth"),
    S("CUTOVER_ALERTMANAGER_PASSWORD_FILE", NULL, CONFIG_PUBLIC,
      "cutover-web: a file holding CUTOVER_ALERTMANAGER_PASSWORD instead"),
    { "CUTOVER_EVENTBRIDGE_API_KEY_HEADER", CONFIG_STRING, "x-api-key", 0, 0, CONFIG_PUBLIC,
      "cutover-web: the header that carries EventBridge's API key (its connection's API key name)",
      NULL, "^[A-Za-z0-9-]{1,64}$" },
    S("CUTOVER_EVENTBRIDGE_API_KEY", NULL, CONFIG_SECRET,
      "cutover-web: the API key EventBridge's API destination sends (its connection's API key value)"),
    S("CUTOVER_EVENTBRIDGE_API_KEY_FILE", NULL, CONFIG_PUBLIC,
      "cutover-web: a file holding CUTOVER_EVENTBRIDGE_API_KEY instead"),
    S("CUTOVER_SNS_TOPICS", NULL, CONFIG_PUBLIC,
      "cutover-web: the SNS TopicArns whose messages /v1/alarms/sns takes, comma-separated;"
      " unset: every SNS message is refused (403)"),
    S("CUTOVER_SNS_CERT_HOST_PATTERN", NULL, CONFIG_PUBLIC,
      "cutover-web: the hosts SNS signing certificates may come from (a POSIX extended regular"
      " expression); unset: ^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$"),
    S("CUTOVER_SNS_CA_FILE", NULL, CONFIG_PUBLIC,
      "cutover-web: the CA bundle that verifies the HTTPS fetches of SNS certificates and"
      " subscription confirmations; unset: the system's"),
    I("CUTOVER_SNS_MAX_AGE_S", "3600", 60, 86400,
      "cutover-web: SNS messages older than this are refused as replays (SNS retries for at most an hour)"),
    S("CUTOVER_WEB_SIGN_KEY", NULL, CONFIG_PUBLIC,
      "cutover-web: the receivers sign the alarm-fired events they publish with this unencrypted"
      " OpenSSH private key file, read once at start; unset: unsigned"),
    { "CUTOVER_METRICS_ADDR", CONFIG_STRING, NULL, 0, 0, CONFIG_PUBLIC,
      "host:port where the process serves GET /metrics (Prometheus) and /healthz; unset: none",
      NULL, "^([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]):[0-9]{1,5}$" },
    I("CUTOVER_METRICS_PORT_BASE", "0", 0, 65535,
      "cutoverd: its Nth worker (from 0, in --workers order) serves metrics on port BASE+N, on"
      " the host of CUTOVER_METRICS_ADDR (else 127.0.0.1); 0: the workers serve none"),
};

#undef S
#undef E
#undef I
#undef B

#define CONFIG_COUNT (sizeof(config_vars) / sizeof(config_vars[0]))

const unsigned config_var_count = CONFIG_COUNT;

/* Loaded values, strdup'ed; NULL means not given (the default applies). */
static char *config_values[CONFIG_COUNT];

/* config_find - the table index of name, or -1 */
static int config_find(const char *name, size_t name_len)
{
    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        if (strlen(config_vars[i].name) == name_len && strncmp(config_vars[i].name, name, name_len) == 0)
            return (int)i;
    }
    return -1;
}

/* config_index - the table index of name; panic when it is not declared */
static size_t config_index(const char *name)
{
    int i = config_find(name, strlen(name));

    if (i < 0)
        log_panic("config_index: %s is not in the configuration table", name);
    return (size_t)i;
}

/* config_parse_int - a whole decimal long; 0 or -1 */
static int config_parse_int(const char *text, long *out)
{
    char *end;

    if (text[0] == '\0' || text[0] == ' ' || text[0] == '\t')
        return -1;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* config_parse_bool - 1/0/true/false/yes/no (any case); 0 or -1 */
static int config_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

/* config_check_list - whether value is one of the allowed words */
static int config_check_list(const char *const *allowed, const char *value)
{
    for (size_t i = 0; allowed[i]; i++) {
        if (strcmp(allowed[i], value) == 0)
            return 0;
    }
    return -1;
}

/* config_check_pattern - whether value matches the extended regex */
static int config_check_pattern(const char *pattern, const char *value)
{
    regex_t re;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        log_panic("config_check_pattern: bad pattern %s", pattern);
    int rc = regexec(&re, value, 0, NULL, 0) == 0 ? 0 : -1;
    regfree(&re);
    return rc;
}

/* config_join_list - "a|b|c" for an error message */
static void config_join_list(const char *const *allowed, char *out, size_t out_len)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; allowed[i] && used < out_len; i++) {
        int n = snprintf(out + used, out_len - used, "%s%s", i ? "|" : "", allowed[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* config_check_value - check one value against its declaration; 0 or -1 */
static int config_check_value(const struct config_var *var, const char *value, char *err, size_t err_len)
{
    char words[256];
    long n;
    int b;

    if (strlen(value) > CONFIG_VALUE_MAX) {
        snprintf(err, err_len, "%s: longer than %d bytes", var->name, CONFIG_VALUE_MAX);
        return -1;
    }
    const char *shown = var->secret == CONFIG_PUBLIC ? value : CONFIG_MASK;
    switch (var->type) {
    case CONFIG_INT:
        if (config_parse_int(value, &n) != 0) {
            snprintf(err, err_len, "%s=%s: not an integer", var->name, shown);
            return -1;
        }
        if (n < var->min || n > var->max) {
            snprintf(err, err_len, "%s=%s: must be between %ld and %ld", var->name, shown, var->min, var->max);
            return -1;
        }
        return 0;
    case CONFIG_BOOL:
        if (config_parse_bool(value, &b) != 0) {
            snprintf(err, err_len, "%s=%s: not a boolean (1/0, true/false, yes/no)", var->name, shown);
            return -1;
        }
        return 0;
    case CONFIG_STRING:
        if (var->allowed && config_check_list(var->allowed, value) != 0) {
            config_join_list(var->allowed, words, sizeof(words));
            snprintf(err, err_len, "%s=%s: must be one of %s", var->name, shown, words);
            return -1;
        }
        if (var->pattern && config_check_pattern(var->pattern, value) != 0) {
            snprintf(err, err_len, "%s=%s: must match %s", var->name, shown, var->pattern);
            return -1;
        }
        return 0;
    }
    log_panic("config_check_value: %s has unknown type %d", var->name, (int)var->type);
}

/* config_prefix_known - a variable family read outside the table: the
 * AWS provider's per-service endpoints, CUTOVER_AWS_ENDPOINT_URL_<SERVICE>,
 * and what a release's hooks read from the workers' environment (the
 * application's Redis, the WordPress demo's settings) */
static int config_prefix_known(const char *assignment)
{
    static const char *const families[] = { "CUTOVER_AWS_ENDPOINT_URL_", "CUTOVER_REDIS_",
                                            "CUTOVER_WORDPRESS_" };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
        if (strncmp(assignment, families[i], strlen(families[i])) == 0)
            return 1;
    return 0;
}

/* config_warn_unknown - log_warn each CUTOVER_* variable not in the table */
static void config_warn_unknown(void)
{
    for (char **env = environ; env && *env; env++) {
        if (strncmp(*env, "CUTOVER_", 8) != 0)
            continue;
        const char *eq = strchr(*env, '=');
        size_t len = eq ? (size_t)(eq - *env) : strlen(*env);
        if (config_find(*env, len) < 0 && !config_prefix_known(*env))
            log_warn("unknown configuration variable %.*s ignored", (int)(len > 200 ? 200 : len), *env);
    }
}

/* config_release - free an array of loaded values */
static void config_release(char **values)
{
    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

/* config_load - read and check the environment; 0, or -1 with err set */
int config_load(char *err, size_t err_len)
{
    char *loaded[CONFIG_COUNT] = { 0 };
    int result = -1;

    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        const char *value = getenv(config_vars[i].name);
        if (value == NULL || value[0] == '\0')
            continue;
        if (config_check_value(&config_vars[i], value, err, err_len) != 0)
            goto out;
        if ((loaded[i] = strdup(value)) == NULL) {
            snprintf(err, err_len, "%s: out of memory", config_vars[i].name);
            goto out;
        }
    }
    config_warn_unknown();
    config_release(config_values);
    memcpy(config_values, loaded, sizeof(loaded));
    memset(loaded, 0, sizeof(loaded));
    result = 0;
out:
    config_release(loaded);
    return result;
}

/* config_start - a process's first step: load the configuration (a bad
 * one told on stderr: 2), print it with check (0), else set the log
 * level from it (-1: go on) */
int config_start(const char *program, int check)
{
    char err[512];
    enum log_level level = LOG_INFO;

    if (config_load(err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", program, err);
        return 2;
    }
    if (check) {
        config_print(stdout);
        return 0;
    }
    log_level_parse(config_get("CUTOVER_LOG_LEVEL"), &level);
    log_set_level(level);
    return -1;
}

/* config_get - the value of name, its default, or NULL */
const char *config_get(const char *name)
{
    size_t i = config_index(name);

    return config_values[i] ? config_values[i] : config_vars[i].default_value;
}

/* config_get_int - the integer value of name (0 when unset with no default) */
long config_get_int(const char *name)
{
    size_t i = config_index(name);
    const char *value = config_get(name);
    long n = 0;

    if (config_vars[i].type != CONFIG_INT)
        log_panic("config_get_int: %s is not an integer", name);
    if (value && config_parse_int(value, &n) != 0)
        log_panic("config_get_int: %s has a bad default", name);
    return n;
}

/* config_get_bool - the boolean value of name (0 when unset with no default) */
int config_get_bool(const char *name)
{
    size_t i = config_index(name);
    const char *value = config_get(name);
    int b = 0;

    if (config_vars[i].type != CONFIG_BOOL)
        log_panic("config_get_bool: %s is not a boolean", name);
    if (value && config_parse_bool(value, &b) != 0)
        log_panic("config_get_bool: %s has a bad default", name);
    return b;
}

/* config_secret_parse - the secret in a file's bytes */
int config_secret_parse(const char *data, size_t size, char *out, size_t out_len,
                        const char **why)
{
    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    *why = size == 0                          ? "the file is empty"
           : size >= out_len                  ? "longer than the longest secret"
           : memchr(data, '\0', size) != NULL ? "holds a NUL byte"
                                              : NULL;
    if (out_len > 0)
        out[0] = '\0';
    if (*why != NULL)
        return -1;
    memmove(out, data, size);
    out[size] = '\0';
    return 0;
}

/* config_read_secret - the secret in the file path (var names it in
 * errors): read whole, up to the secret and a CR LF, then parsed; 0 or -1
 * with err (never the content) */
static int config_read_secret(const char *var, const char *path, char *out, size_t out_len,
                              char *err, size_t err_len)
{
    struct buf file;
    const char *why = NULL;
    int rc = -1;

    buf_init(&file, out_len + 2);
    if (buf_read_file(&file, path) != 0)
        why = errno == EFBIG ? "longer than the longest secret" : strerror(errno);
    else
        rc = config_secret_parse(file.data ? file.data : "", file.len, out, out_len, &why);
    buf_free(&file);
    if (rc != 0) {
        snprintf(err, err_len, "%s=%s: %s", var, path, why);
        if (out_len > 0)
            out[0] = '\0';
    }
    return rc;
}

/* config_get_secret - a secret from name, or from the file name_FILE names */
int config_get_secret(const char *name, char *out, size_t out_len, char *err, size_t err_len)
{
    char file_var[128];
    const char *value = config_get(name), *path;

    snprintf(file_var, sizeof(file_var), "%s_FILE", name);
    path = config_get(file_var);
    out[0] = '\0';
    if (value && path) {
        snprintf(err, err_len, "set %s or %s, not both", name, file_var);
        return -1;
    }
    if (path)
        return config_read_secret(file_var, path, out, out_len, err, err_len);
    if (value == NULL)
        return 1;
    if (strlen(value) >= out_len) {
        snprintf(err, err_len, "%s: longer than the longest secret", name);
        return -1;
    }
    memcpy(out, value, strlen(value) + 1);
    return 0;
}

/* config_copy - append up to n bytes of text to out, always terminated */
static void config_copy(char *out, size_t out_len, size_t *used, const char *text, size_t n)
{
    if (*used + 1 >= out_len)
        return;
    if (n > out_len - 1 - *used)
        n = out_len - 1 - *used;
    memcpy(out + *used, text, n);
    *used += n;
    out[*used] = '\0';
}

/* config_skip_value - the end of a conninfo or query value starting at p */
static const char *config_skip_value(const char *p, int in_url)
{
    if (!in_url && *p == '\'') {
        for (p++; *p && *p != '\''; p++) {
            if (*p == '\\' && p[1])
                p++;
        }
        return *p ? p + 1 : p;
    }
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && !(in_url && (*p == '&' || *p == '#')))
        p++;
    return p;
}

/* config_password_at - if a password= keyword starts at p, where its value starts */
static const char *config_password_at(const char *start, const char *p, int in_url)
{
    if (p != start && !(in_url ? (p[-1] == '?' || p[-1] == '&') : (p[-1] == ' ' || p[-1] == '\t')))
        return NULL;
    if (strncasecmp(p, "password", 8) != 0)
        return NULL;
    p += 8;
    while (!in_url && (*p == ' ' || *p == '\t'))
        p++;
    if (*p != '=')
        return NULL;
    p++;
    while (!in_url && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* config_mask_keywords - copy text, masking every password= value */
static void config_mask_keywords(const char *text, int in_url, char *out, size_t out_len, size_t *used)
{
    const char *p = text;

    while (*p) {
        const char *value = config_password_at(text, p, in_url);
        if (value == NULL) {
            config_copy(out, out_len, used, p, 1);
            p++;
            continue;
        }
        config_copy(out, out_len, used, p, (size_t)(value - p));
        config_copy(out, out_len, used, CONFIG_MASK, strlen(CONFIG_MASK));
        p = config_skip_value(value, in_url);
    }
}

/* config_mask_url - copy url to out with its password replaced by "****" */
void config_mask_url(const char *url, char *out, size_t out_len)
{
    size_t used = 0;

    if (out_len == 0)
        return;
    out[0] = '\0';
    if (url == NULL)
        return;
    const char *scheme = strstr(url, "://");
    if (scheme == NULL) {
        config_mask_keywords(url, 0, out, out_len, &used);
        return;
    }
    const char *auth = scheme + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', auth_len);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        config_copy(out, out_len, &used, url, (size_t)(colon + 1 - url));
        config_copy(out, out_len, &used, CONFIG_MASK, strlen(CONFIG_MASK));
        config_copy(out, out_len, &used, at, (size_t)(auth + auth_len - at));
    } else {
        config_copy(out, out_len, &used, url, (size_t)(auth + auth_len - url));
    }
    config_mask_keywords(auth + auth_len, 1, out, out_len, &used);
}

/* config_print - NAME=value lines, secrets masked, defaults marked */
void config_print(FILE *out)
{
    char masked[CONFIG_VALUE_MAX + 16];

    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        const char *value = config_get(var->name);
        const char *mark = config_values[i] ? "" : value ? " (default)" : " (unset)";
        if (value == NULL)
            value = "";
        else if (var->secret == CONFIG_SECRET)
            value = CONFIG_MASK;
        else if (var->secret == CONFIG_SECRET_URL) {
            config_mask_url(value, masked, sizeof(masked));
            value = masked;
        }
        fprintf(out, "%s=%s%s\n", var->name, value, mark);
    }
}

/* config_describe - the type and bounds of a variable, for help */
static void config_describe(const struct config_var *var, char *out, size_t out_len)
{
    char words[256];

    if (var->type == CONFIG_INT)
        snprintf(out, out_len, "integer %ld..%ld", var->min, var->max);
    else if (var->type == CONFIG_BOOL)
        snprintf(out, out_len, "boolean");
    else if (var->allowed) {
        config_join_list(var->allowed, words, sizeof(words));
        snprintf(out, out_len, "one of %s", words);
    } else if (var->pattern)
        snprintf(out, out_len, "string matching %s", var->pattern);
    else
        snprintf(out, out_len, "string");
}

/* config_usage - the table as help text */
void config_usage(FILE *out)
{
    char kind[300];

    fprintf(out, "Environment (an empty value counts as unset):\n");
    for (size_t i = 0; i < CONFIG_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        config_describe(var, kind, sizeof(kind));
        fprintf(out, "  %s\n      %s%s; %s", var->name, kind, var->secret != CONFIG_PUBLIC ? ", secret" : "", var->help);
        if (var->default_value)
            fprintf(out, " (default \"%s\")", var->default_value);
        fprintf(out, "\n");
    }
}

/* config_free - forget the loaded values (defaults apply again) */
void config_free(void)
{
    config_release(config_values);
}
