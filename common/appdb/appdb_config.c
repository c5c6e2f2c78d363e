/*
 * appdb_config - the environment document's "database" object parsed,
 *                its password read from a file or a variable.
 *
 * DESCRIPTION
 *	The schema (schemas/environment.json) already refused an inline
 *	password; this code refuses it too, so that a document that skipped
 *	the schema cannot put a secret in the database. Errors never quote the
 *	password or the file's content.
 */
#include "appdb/appdb_conn.h"

#include "base/buf.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define APPDB_PASSWORD_MAX 4096

/* appdb_config_string - a copy of member key (def when absent); -1 when not a string */
static int appdb_config_string(const cJSON *obj, const char *key, const char *def, char **out,
                               char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (item != NULL && !cJSON_IsString(item))
        return appdb_err(err, err_len, "database.%s: not a string", key);
    if (item == NULL && def == NULL)
        return appdb_err(err, err_len, "database.%s: missing", key);
    *out = strdup(item ? item->valuestring : def);
    return *out ? 0 : appdb_err(err, err_len, "out of memory");
}

/* appdb_config_number - member key as a number (def when absent); -1 when not a number */
static int appdb_config_number(const cJSON *obj, const char *key, double def, double *out,
                               char *err, size_t err_len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (item != NULL && !cJSON_IsNumber(item))
        return appdb_err(err, err_len, "database.%s: not a number", key);
    *out = item ? item->valuedouble : def;
    return 0;
}

/* appdb_config_password - read password_file (first line) or password_env */
static int appdb_config_password(const cJSON *obj, struct appdb_config *cfg, char *err,
                                 size_t err_len)
{
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(obj, "password_file");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(obj, "password_env");
    struct buf b;

    if (cJSON_GetObjectItemCaseSensitive(obj, "password") != NULL)
        return appdb_err(err, err_len, "database.password: refused, use password_file or password_env");
    if (cJSON_IsString(env)) {
        const char *value = getenv(env->valuestring);
        if (value == NULL)
            return appdb_err(err, err_len, "database.password_env: %s is not set", env->valuestring);
        cfg->password = strdup(value);
        return cfg->password ? 0 : appdb_err(err, err_len, "out of memory");
    }
    if (!cJSON_IsString(file))
        return appdb_err(err, err_len, "database: password_file or password_env required");
    buf_init(&b, APPDB_PASSWORD_MAX);
    if (buf_read_file(&b, file->valuestring) != 0) {
        buf_free(&b);
        return appdb_err(err, err_len, "database.password_file: cannot read %s", file->valuestring);
    }
    b.data[strcspn(b.data, "\r\n")] = '\0';
    cfg->password = strdup(b.data);
    buf_free(&b);
    return cfg->password ? 0 : appdb_err(err, err_len, "out of memory");
}

/* appdb_config_policy - executor policy: threshold, pt-online-schema-change options, commands */
static int appdb_config_policy(const cJSON *obj, struct appdb_config *cfg, char *err, size_t err_len)
{
    double threshold = 0, chunk_time = 0;
    const cJSON *osc = cJSON_GetObjectItemCaseSensitive(obj, "pt_osc");
    const cJSON *commands = cJSON_GetObjectItemCaseSensitive(obj, "allow_commands");

    if (appdb_config_number(obj, "online_threshold_rows", APPDB_DEFAULT_THRESHOLD_ROWS,
                            &threshold, err, err_len) != 0)
        return -1;
    if (osc != NULL && !cJSON_IsObject(osc))
        return appdb_err(err, err_len, "database.pt_osc: not an object");
    if (appdb_config_string(osc, "max_load", "Threads_running=25", &cfg->max_load, err, err_len) != 0 ||
        appdb_config_string(osc, "critical_load", "Threads_running=50", &cfg->critical_load,
                            err, err_len) != 0 ||
        appdb_config_number(osc, "chunk_time", 0.5, &chunk_time, err, err_len) != 0)
        return -1;
    if (commands != NULL && !cJSON_IsBool(commands))
        return appdb_err(err, err_len, "database.allow_commands: not a boolean");
    cfg->threshold_rows = (long long)threshold;
    cfg->chunk_time = chunk_time;
    cfg->allow_commands = cJSON_IsTrue(commands);
    return 0;
}

/* appdb_config_fill - every member of the object into cfg */
static int appdb_config_fill(const cJSON *obj, struct appdb_config *cfg, char *err, size_t err_len)
{
    char *engine = NULL;
    double port = 0;
    int bad;

    if (appdb_config_string(obj, "engine", "mysql", &engine, err, err_len) != 0)
        return -1;
    bad = strcmp(engine, "mysql") != 0;
    free(engine);
    if (bad)
        return appdb_err(err, err_len, "database.engine: only mysql is supported");
    if (appdb_config_string(obj, "host", "127.0.0.1", &cfg->host, err, err_len) != 0 ||
        appdb_config_string(obj, "database", NULL, &cfg->database, err, err_len) != 0 ||
        appdb_config_string(obj, "user", NULL, &cfg->user, err, err_len) != 0 ||
        appdb_config_number(obj, "port", 3306, &port, err, err_len) != 0)
        return -1;
    if (port < 1 || port > 65535)
        return appdb_err(err, err_len, "database.port: out of range");
    cfg->port = (unsigned)port;
    if (!appdb_identifier_ok(cfg->database))
        return appdb_err(err, err_len, "database.database: not a plain name");
    if (appdb_config_policy(obj, cfg, err, err_len) != 0)
        return -1;
    return appdb_config_password(obj, cfg, err, err_len);
}

int appdb_config_parse(const char *database_json, struct appdb_config **out, char *err,
                       size_t err_len)
{
    cJSON *obj = cJSON_Parse(database_json);
    struct appdb_config *cfg = calloc(1, sizeof(*cfg));
    int rc;

    *out = NULL;
    if (cfg == NULL || !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        free(cfg);
        return appdb_err(err, err_len, "database: not a JSON object");
    }
    rc = appdb_config_fill(obj, cfg, err, err_len);
    cJSON_Delete(obj);
    if (rc != 0) {
        appdb_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

void appdb_config_free(struct appdb_config *cfg)
{
    if (cfg == NULL)
        return;
    if (cfg->password != NULL) {
        explicit_bzero(cfg->password, strlen(cfg->password));
        free(cfg->password);
    }
    free(cfg->host);
    free(cfg->database);
    free(cfg->user);
    free(cfg->max_load);
    free(cfg->critical_load);
    free(cfg);
}
