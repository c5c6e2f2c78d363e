/*
 * cli_publish - the CLI's commands that publish one event: for CI without
 *               a Kafka client of its own (publish build-ready), for
 *               operators (approve, shift, promote, pause, resume,
 *               rollback, abort) and for monitoring (alarm).
 *
 * SYNOPSIS
 *	cutover publish build-ready --env E --build B --version V --artifact URI
 *	        [--sha256 H] [--commit C] [--meta KEY=VALUE]...
 *	        [--canary 10:30,50:30,100 | --bluegreen] [--no-auto-promote]
 *	cutover approve ENV [--deployment ID] [--by NAME]
 *	cutover shift ENV --weight N [--reason R] [--by NAME] [--deployment ID]
 *	cutover promote|pause|resume|rollback|abort ENV [--reason R] [--by NAME]
 *	        [--deployment ID]
 *	cutover alarm ENV --alarm NAME [--ok] [--severity S] [--reason R]
 *	        [--source NAME]
 *	(each of them also takes --wait [SECONDS], --sign-key FILE and
 *	--sign-agent[=KEY])
 *
 * DESCRIPTION
 *	Every command builds the event's data, validates it against its JSON
 *	Schema (schemas/TOPIC.json) and refuses an invalid event before
 *	anything is sent (exit 2, with the schema's message). The event goes
 *	out in structured mode, keyed by the environment, from source
 *	$CUTOVER_SOURCE (default "cutover/cli"); the command prints the event
 *	id and exits 0 once the broker acknowledged it (delivery report),
 *	1 when it did not within CLI_PUBLISH_TIMEOUT_MS.
 *
 *	The id of a build-ready is derived from (environment, build id): a
 *	UUID (version 8, RFC 9562) made of the SHA-256 of both. A publish that
 *	CI retries after a timeout is then a duplicate by (source, id) and has
 *	no second effect, whichever of the attempts arrived. Operator and
 *	alarm events get random ids: two rollbacks asked on purpose are two
 *	requests.
 *
 *	--canary lists steps WEIGHT[:PAUSE_SECONDS]; a step without a pause
 *	waits for an operator (pause_seconds null). Without --canary or
 *	--bluegreen the environment's default strategy applies. --sha256 may
 *	be left out for a file: artifact, whose digest is then computed here.
 *	approve needs the deployment id: the environment's active deployment
 *	is read from the database unless --deployment names one.
 *	requested_by and approved_by are --by, else $USER.
 *
 *	Signing (cli_sign.h): with a key (--sign-key, --sign-agent or their
 *	CUTOVER_SIGN_* variables) the event is built whole (id, time, every
 *	attribute, data), then signed (io/event_sign.h: cutoversig, the SSHSIG
 *	of its canonical form in namespace cutover:ENV), then written in the
 *	content mode CUTOVER_CLI_CONTENT_MODE: structured (the attribute in
 *	the JSON) or binary (header ce_cutoversig). A key that cannot be used
 *	is reported and nothing is sent (exit 1).
 *
 *	--wait [SECONDS] (default CLI_WAIT_DEFAULT_S, 60; the number may
 *	follow as the next word or as --wait=SECONDS) notes where the
 *	database stands before the event is sent (no database: nothing is
 *	sent, exit 1), then polls it until the worker that acts on the event
 *	has handled it, and prints what became of it (cli_wait.c): the
 *	transitions it caused, an input the saga ignored with its reason, or
 *	its dead letter's worker, code and message. Exit status: 0 a
 *	transition or accepted (ignored and deferred included), 3
 *	dead-lettered or rejected, 6 not handled in time, 1 and 2 as above.
 */
#include "cli/cli.h"
#include "cli/cli_follow.h"
#include "cli/cli_sign.h"

#include "base/config.h"
#include "base/share.h"
#include "io/event.h"
#include "io/kafka.h"
#include "io/schema.h"
#include "saga/saga.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_PUBLISH_TIMEOUT_MS 30000
#define CLI_MAX_STEPS          100 /* the schema's maxItems */

/* The help of --wait, the same in every publishing command's usage. */
#define CLI_WAIT_HELP                                                                   \
    "  --wait [SECONDS]  then wait (default 60 s) until the saga has handled the event\n" \
    "                    and print what became of it: exit 0 a transition or accepted,\n" \
    "                    3 dead-lettered or rejected, 6 not handled in time"

/* What the options of one command gathered. */
struct cli_publish_args {
    const char *env;
    const char *build, *version, *artifact, *sha256, *commit;
    const char *canary;
    int bluegreen, no_auto_promote;
    const char *deployment, *by, *reason;
    const char *weight;
    const char *alarm, *severity, *source;
    int ok;
    long wait;   /* --wait: seconds; 0 without */
    struct cli_sign_choice sign; /* --sign-key, --sign-agent */
    cJSON *meta; /* build-ready metadata, owned */
};

/* cli_delivery_cb - remember the broker's answer for the one record sent */
static void cli_delivery_cb(rd_kafka_resp_err_t err, void *opaque, void *arg)
{
    (void)opaque;
    *(rd_kafka_resp_err_t *)arg = err;
}

/* cli_validate - data against the topic's schema; 0, or 2 with the reason printed */
int cli_validate(const char *topic, const cJSON *data)
{
    char dir[4096], err[512];
    struct event_error verr;
    struct schema_registry *reg = NULL;
    int rc = 1;

    if (share_path("schemas", dir, sizeof(dir)) != 0
        || (reg = schema_registry_load(dir, err, sizeof(err))) == NULL) {
        fprintf(stderr, "cutover: cannot load the schemas from %s\n", dir);
        goto out;
    }
    rc = schema_validate(reg, topic, data, &verr) == 0 ? 0 : 2;
    if (rc != 0)
        fprintf(stderr, "cutover: invalid %s event, not sent: %s\n", topic, verr.message);
out:
    schema_registry_free(reg);
    return rc;
}

/* cli_send - one encoded event to topic (binary mode: with headers, else structured),
 * waiting for its delivery report */
static int cli_send(const char *topic, const char *key, const char *value,
                    const struct record_header *headers, size_t header_count)
{
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    char err[512];
    struct kafka_producer *p = kafka_producer_create(NULL, cli_delivery_cb, &result, 0, err,
                                                     sizeof(err));
    int rc = 1;

    if (p == NULL) {
        fprintf(stderr, "cutover: kafka producer: %s\n", err);
        return 1;
    }
    if ((headers ? kafka_producer_send_headers(p, topic, key, value, strlen(value), headers,
                                               header_count, NULL)
                 : kafka_producer_send(p, topic, key, value, strlen(value), NULL)) != 0)
        fprintf(stderr, "cutover: could not queue the event for %s\n", topic);
    else if (kafka_producer_flush(p, CLI_PUBLISH_TIMEOUT_MS) != 0
             || result == RD_KAFKA_RESP_ERR__IN_PROGRESS)
        fprintf(stderr, "cutover: no delivery report from %s within %d s\n",
                config_get("CUTOVER_KAFKA_BROKERS"), CLI_PUBLISH_TIMEOUT_MS / 1000);
    else if (result != RD_KAFKA_RESP_ERR_NO_ERROR)
        fprintf(stderr, "cutover: delivery to %s failed: %s\n", topic, rd_kafka_err2str(result));
    else
        rc = 0;
    kafka_producer_free(p);
    return rc;
}

/* cli_source - the source of the CLI's events */
static const char *cli_source(void)
{
    const char *source = config_get("CUTOVER_SOURCE");

    return source && *source ? source : "cutover/cli";
}

/* cli_send_event - ev in the configured content mode (CUTOVER_CLI_CONTENT_MODE) */
static int cli_send_event(const char *topic, const char *key, const struct cloud_event *ev)
{
    struct record_header headers[EVENT_BINARY_HEADERS_MAX];
    int binary = strcmp(config_get("CUTOVER_CLI_CONTENT_MODE"), "binary") == 0;
    char *value = binary ? cJSON_PrintUnformatted(ev->data) : event_encode(ev);
    size_t count = binary ? event_binary_headers(ev, headers) : 0;
    int rc = value ? cli_send(topic, key, value, binary ? headers : NULL, count) : 1;

    free(value);
    return rc;
}

/* cli_sign_event - sign ev, final, when a signer is given; 0 or 1 (reported) */
static int cli_sign_event(struct event_signer *signer, struct cloud_event *ev)
{
    char err[512];

    if (signer == NULL || event_sign(signer, ev, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "cutover: cannot sign the event with %s: %s; nothing sent\n",
            event_signer_fingerprint(signer), err);
    return 1;
}

/* cli_publish_event - wrap data in a CloudEvent (id fixed when not NULL), sign
 * it with signer when not NULL, send it and print its id into sent; takes
 * ownership of data */
static int cli_publish_event(const char *topic, const char *env, cJSON *data, const char *id,
                             struct event_signer *signer, char *sent, size_t sent_len)
{
    struct cloud_event ev;
    int rc;

    if (event_create(&ev, topic, cli_source(), env, data) != 0) {
        fprintf(stderr, "cutover: cannot build the event\n");
        return 1;
    }
    if (id != NULL) {
        free(ev.id);
        ev.id = strdup(id);
    }
    rc = ev.id ? cli_sign_event(signer, &ev) : 1;
    if (rc == 0)
        rc = cli_send_event(topic, env, &ev);
    if (rc == 0) {
        printf("%s\n", ev.id);
        snprintf(sent, sent_len, "%s", ev.id);
    }
    cloudevent_free(&ev);
    return rc;
}

/* cli_publish - validate (schema, then check when not NULL), open the signer
 * a asks for, send, and with a->wait report what became of the event; takes
 * ownership of data */
static int cli_publish(const char *topic, cJSON *data, const char *id,
                       int (*check)(const cJSON *data), const struct cli_publish_args *a)
{
    struct cli_wait w = {.topic = topic, .env = a->env, .source = cli_source()};
    struct event_signer *signer = NULL;
    struct db *db = NULL;
    char sent[128];
    int rc = cli_validate(topic, data);

    if (rc == 0 && check != NULL)
        rc = check(data);
    if (rc == 0)
        rc = cli_signer_open(&a->sign, &signer);
    if (rc == 0 && a->wait > 0) {
        w.consumer = cli_wait_consumer(topic, data);
        rc = (db = cli_wait_prepare(&w)) != NULL ? 0 : 1;
    }
    if (rc == 0)
        rc = cli_publish_event(topic, a->env, data, id, signer, sent, sizeof(sent));
    else
        cJSON_Delete(data);
    event_signer_free(signer);
    if (rc != 0 || db == NULL) {
        db_close(db);
        return rc;
    }
    w.id = sent;
    return cli_wait_outcome(db, &w, a->wait);
}

/* cli_sha256_file - a file's SHA-256 as lowercase hex; 0 or -1 */
static int cli_sha256_file(const char *path, char hex[65])
{
    unsigned char buf[65536], md[32];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    FILE *f = fopen(path, "rb");
    size_t n;
    int rc = -1;

    if (ctx == NULL || f == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            goto out;
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
        goto out;
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    if (f)
        fclose(f);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* cli_build_ready_id - the UUIDv8 of SHA-256("build-ready" NUL env NUL build) */
static void cli_build_ready_id(const char *env, const char *build, char out[37])
{
    unsigned char md[32];
    char text[512];
    int len = snprintf(text, sizeof(text), "build-ready%c%s%c%s", 0, env, 0, build);

    EVP_Digest(text, len < (int)sizeof(text) ? (size_t)len : sizeof(text) - 1, md, NULL,
               EVP_sha256(), NULL);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x80); /* version 8 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* variant RFC 9562 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
             md[11], md[12], md[13], md[14], md[15]);
}

/* cli_parse_int - a whole decimal integer; 0 or -1 */
static int cli_parse_int(const char *s, long *out)
{
    char *end;

    if (s == NULL || *s == '\0')
        return -1;
    *out = strtol(s, &end, 10);
    return *end == '\0' ? 0 : -1;
}

/* cli_canary_step - "WEIGHT[:PAUSE]" as a step object; NULL when malformed */
static cJSON *cli_canary_step(char *text)
{
    char *colon = strchr(text, ':');
    long weight, pause;
    cJSON *step;

    if (colon)
        *colon++ = '\0';
    if (cli_parse_int(text, &weight) != 0 || (colon && cli_parse_int(colon, &pause) != 0))
        return NULL;
    step = cJSON_CreateObject();
    cJSON_AddNumberToObject(step, "weight", (double)weight);
    if (colon)
        cJSON_AddNumberToObject(step, "pause_seconds", (double)pause);
    else
        cJSON_AddNullToObject(step, "pause_seconds");
    return step;
}

/* cli_canary_steps - "10:30,50:30,100" as the steps array; NULL when malformed */
cJSON *cli_canary_steps(const char *spec)
{
    char buf[1024], *save = NULL, *tok;
    cJSON *steps = cJSON_CreateArray(), *step;

    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
        goto bad;
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if ((step = cli_canary_step(tok)) == NULL || cJSON_GetArraySize(steps) >= CLI_MAX_STEPS)
            goto bad;
        cJSON_AddItemToArray(steps, step);
    }
    if (cJSON_GetArraySize(steps) > 0)
        return steps;
bad:
    cJSON_Delete(steps);
    return NULL;
}

/* cli_strategy - the strategy object asked for; NULL with *bad = 1 when malformed */
static cJSON *cli_strategy(const struct cli_publish_args *a, int *bad)
{
    cJSON *s, *steps = NULL;

    *bad = 0;
    if (a->canary == NULL && !a->bluegreen)
        return NULL;
    if (a->canary && (steps = cli_canary_steps(a->canary)) == NULL) {
        *bad = 1;
        return NULL;
    }
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "kind", a->canary ? "canary" : "bluegreen");
    if (steps)
        cJSON_AddItemToObject(s, "steps", steps);
    cJSON_AddBoolToObject(s, "auto_promote", !a->no_auto_promote);
    return s;
}

/* cli_steps_check - the saga's own rules on a valid build-ready's canary steps
 * (increasing weights, at most SAGA_MAX_STEPS), which the schema cannot say;
 * 0, or 2 with the reason printed */
static int cli_steps_check(const cJSON *data)
{
    const cJSON *strategy = cJSON_GetObjectItemCaseSensitive(data, "strategy");
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(strategy, "steps"), *st;
    struct saga_strategy s = {.kind = SAGA_CANARY, .auto_promote = true};
    char why[160];

    if (!cJSON_IsArray(steps))
        return 0;
    if (cJSON_GetArraySize(steps) > SAGA_MAX_STEPS) {
        fprintf(stderr, "cutover: at most %d canary steps\n", SAGA_MAX_STEPS);
        return 2;
    }
    cJSON_ArrayForEach(st, steps) {
        const cJSON *pause = cJSON_GetObjectItemCaseSensitive(st, "pause_seconds");

        s.steps[s.step_count].weight = cJSON_GetObjectItemCaseSensitive(st, "weight")->valueint;
        s.steps[s.step_count++].pause_seconds =
            cJSON_IsNumber(pause) ? pause->valueint : SAGA_PAUSE_OPERATOR;
    }
    if (saga_strategy_check(&s, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "cutover: invalid canary steps, not sent: %s\n", why);
    return 2;
}

/* cli_artifact - {uri, sha256}; the digest of a file: URI computed when not given */
static cJSON *cli_artifact(const struct cli_publish_args *a)
{
    char hex[65] = "";
    const char *sha = a->sha256, *path = a->artifact + strlen("file://");
    cJSON *art;

    if (sha == NULL && strncmp(a->artifact, "file://", 7) != 0) {
        fprintf(stderr, "cutover: --sha256 is required for an artifact that is not file://\n");
        return NULL;
    }
    if (sha == NULL && strncmp(path, "localhost/", 10) == 0)
        path += strlen("localhost");
    if (sha == NULL && cli_sha256_file(path, hex) != 0) {
        fprintf(stderr, "cutover: cannot read %s to compute its sha256\n", path);
        return NULL;
    }
    art = cJSON_CreateObject();
    cJSON_AddStringToObject(art, "uri", a->artifact);
    cJSON_AddStringToObject(art, "sha256", sha ? sha : hex);
    return art;
}

/* cli_meta_add - one --meta KEY=VALUE into a->meta; 0 or -1 */
static int cli_meta_add(struct cli_publish_args *a, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[256];

    if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(key))
        return -1;
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    if (a->meta == NULL)
        a->meta = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(a->meta, key);
    cJSON_AddStringToObject(a->meta, key, eq + 1);
    return 0;
}

/* cli_store_option - one parsed option into a; 0, or -1 for a bad --meta */
static int cli_store_option(struct cli_publish_args *a, int c, const char *arg)
{
    const char **slot[] = {
        ['e'] = &a->env, ['b'] = &a->build, ['v'] = &a->version, ['a'] = &a->artifact,
        ['s'] = &a->sha256, ['c'] = &a->commit, ['C'] = &a->canary, ['d'] = &a->deployment,
        ['B'] = &a->by, ['r'] = &a->reason, ['w'] = &a->weight, ['A'] = &a->alarm,
        ['S'] = &a->severity, ['o'] = &a->source,
    };

    if (c == 'm')
        return cli_meta_add(a, arg);
    if (c == 'g')
        a->bluegreen = 1;
    else if (c == 'n')
        a->no_auto_promote = 1;
    else if (c == 'k')
        a->ok = 1;
    else
        *slot[c] = arg;
    return 0;
}

/* The options of every publishing command; each command allows some. */
static const struct option cli_publish_opts[] = {
    {"env", required_argument, NULL, 'e'}, {"build", required_argument, NULL, 'b'},
    {"version", required_argument, NULL, 'v'}, {"artifact", required_argument, NULL, 'a'},
    {"sha256", required_argument, NULL, 's'}, {"commit", required_argument, NULL, 'c'},
    {"meta", required_argument, NULL, 'm'}, {"canary", required_argument, NULL, 'C'},
    {"bluegreen", no_argument, NULL, 'g'}, {"no-auto-promote", no_argument, NULL, 'n'},
    {"deployment", required_argument, NULL, 'd'}, {"by", required_argument, NULL, 'B'},
    {"reason", required_argument, NULL, 'r'}, {"weight", required_argument, NULL, 'w'},
    {"alarm", required_argument, NULL, 'A'}, {"ok", no_argument, NULL, 'k'},
    {"severity", required_argument, NULL, 'S'}, {"source", required_argument, NULL, 'o'},
    {"wait", optional_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
    {"sign-key", required_argument, NULL, 'K'}, {"sign-agent", optional_argument, NULL, 'G'},
    {NULL, 0, NULL, 0},
};

/* cli_option_name - the long name of option letter c */
static const char *cli_option_name(int c)
{
    for (const struct option *o = cli_publish_opts; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

/* cli_wait_option - --wait's seconds: its own argument (--wait=N), else
 * the next word when it is a number, else the default; 0 or -1 */
static int cli_wait_option(int argc, char **argv, struct cli_publish_args *a)
{
    const char *text = optarg;

    if (text == NULL && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
        text = argv[optind++];
    if (text == NULL) {
        a->wait = CLI_WAIT_DEFAULT_S;
        return 0;
    }
    return cli_follow_parse_seconds(text, &a->wait);
}

/* cli_sign_option - --sign-key FILE, or --sign-agent with its key (=KEY or the next word) */
static void cli_sign_option(int argc, char **argv, int c, struct cli_publish_args *a)
{
    const char *key;

    if (c == 'K') {
        a->sign.key_file = optarg;
        return;
    }
    key = optarg ? optarg : cli_sign_option_key(argc, argv, &optind);
    a->sign.agent_key = key ? key : "";
}

/* cli_parse_args - the options this command allows (their letters) and, when
 * positional is set, one positional ENV; 0 to go on, -1 help, 2 bad usage */
static int cli_parse_args(int argc, char **argv, const char *allowed, int positional,
                          const char *usage, struct cli_publish_args *a)
{
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "+", cli_publish_opts, NULL)) != -1 || optind < argc) {
        if (c == -1 && (!positional || a->env != NULL))
            return cli_usage_fail(usage, "unexpected argument \"%s\"", argv[optind]);
        if (c == -1)
            a->env = argv[optind++];
        else if (c == 'h')
            return -1;
        else if (c == 'K' || c == 'G')
            cli_sign_option(argc, argv, c, a);
        else if (c == '?' || strchr(allowed, c) == NULL)
            return cli_usage_fail(usage, c == '?' ? NULL : "option --%s not allowed here",
                                  cli_option_name(c));
        else if (c == 'W' && cli_wait_option(argc, argv, a) != 0)
            return cli_usage_fail(usage, "--wait wants seconds in 1..%d", CLI_WAIT_MAX_S);
        else if (c == 'W')
            continue;
        else if (cli_store_option(a, c, optarg) != 0)
            return cli_usage_fail(usage, "--meta wants KEY=VALUE, not \"%s\"", optarg);
    }
    return a->env == NULL ? cli_usage_fail(usage, "missing %s", positional ? "ENV" : "--env")
                          : 0;
}

/* cli_actor - --by, else $USER, else "operator" */
static const char *cli_actor(const struct cli_publish_args *a)
{
    const char *user = getenv("USER");

    if (a->by != NULL)
        return a->by;
    return user && *user ? user : "operator";
}

/* cli_build_ready_data - the build-ready data from the options; NULL (reported) when bad */
static cJSON *cli_build_ready_data(const struct cli_publish_args *a, int *rc)
{
    cJSON *data, *artifact, *strategy;
    int bad;

    *rc = 2;
    strategy = cli_strategy(a, &bad);
    if (bad) {
        fprintf(stderr, "cutover: --canary wants WEIGHT[:PAUSE_SECONDS],... (e.g. 10:30,50:30,100)\n");
        return NULL;
    }
    if ((artifact = cli_artifact(a)) == NULL) {
        cJSON_Delete(artifact);
        cJSON_Delete(strategy);
        return NULL;
    }
    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "environment", a->env);
    cJSON_AddStringToObject(data, "build_id", a->build);
    cJSON_AddStringToObject(data, "version", a->version);
    cJSON_AddItemToObject(data, "artifact", artifact);
    if (a->commit)
        cJSON_AddStringToObject(data, "commit", a->commit);
    if (strategy)
        cJSON_AddItemToObject(data, "strategy", strategy);
    if (a->meta)
        cJSON_AddItemReferenceToObject(data, "metadata", a->meta);
    *rc = 0;
    return data;
}

static const char cli_build_ready_usage[] =
    "publish build-ready --env E --build B --version V --artifact URI [--sha256 H]\n"
    "       [--commit C] [--meta KEY=VALUE]... [--canary W[:PAUSE],... | --bluegreen]\n"
    "       [--no-auto-promote] [--wait [SECONDS]]\n"
    "  --canary 10:30,50:30,100  canary steps: weight %, seconds to wait (none: an operator)\n"
    "  --sha256 H                required unless the artifact is a file:// URI\n"
    "  The event id is derived from (env, build): publishing again is a duplicate.\n"
    CLI_WAIT_HELP "\n" CLI_SIGN_HELP;

/* cli_publish_build_ready_cmd - announce a build, as CI would */
int cli_publish_build_ready_cmd(int argc, char **argv)
{
    struct cli_publish_args a = {0};
    char id[37];
    cJSON *data;
    int rc = cli_parse_args(argc, argv, "ebvascmCgnW", 0, cli_build_ready_usage, &a);

    if (rc == 0 && (!a.build || !a.version || !a.artifact))
        rc = cli_usage_fail(cli_build_ready_usage, "--env, --build, --version and --artifact "
                                                   "are required");
    else if (rc == 0 && a.canary && a.bluegreen)
        rc = cli_usage_fail(cli_build_ready_usage, "--canary or --bluegreen, not both");
    else if (rc == 0 && a.no_auto_promote && !a.canary && !a.bluegreen)
        rc = cli_usage_fail(cli_build_ready_usage, "--no-auto-promote needs --canary or "
                                                   "--bluegreen");
    if (rc == 0 && (data = cli_build_ready_data(&a, &rc)) != NULL) {
        cli_build_ready_id(a.env, a.build, id);
        rc = cli_publish("build-ready", data, id, cli_steps_check, &a);
    }
    cJSON_Delete(a.meta);
    return cli_help_or(rc, cli_build_ready_usage);
}

/* cli_active_deployment - the environment's active deployment id into out; 0 or 1 */
static int cli_active_deployment(const char *env, char *out, size_t len)
{
    struct db *db = cli_db_open();
    PGresult *res = db ? db_query(db, "SELECT id FROM deployments WHERE environment = $1"
                                      " AND NOT queued AND NOT deployment_finished(state)", 1, &env) : NULL;
    int rc = 1;

    if (res && PQntuples(res) == 1) {
        snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
        rc = 0;
    } else if (res)
        fprintf(stderr, "cutover: %s has no active deployment to approve\n", env);
    if (res)
        PQclear(res);
    db_close(db);
    return rc;
}

static const char cli_approve_usage[] =
    "approve ENV [--deployment ID] [--by NAME] [--wait [SECONDS]]\n"
    "  green-validated passed=true for the active deployment (or ID), approved by NAME\n"
    "  (default $USER): lets a deployment that waits for approval shift traffic.\n"
    CLI_WAIT_HELP "\n" CLI_SIGN_HELP;

/* cli_approve_cmd - a manual approval: green-validated with approved_by */
int cli_approve_cmd(int argc, char **argv)
{
    struct cli_publish_args a = {0};
    char id[64];
    cJSON *data;
    int rc = cli_parse_args(argc, argv, "dBW", 1, cli_approve_usage, &a);

    if (rc == 0 && a.deployment == NULL)
        rc = cli_active_deployment(a.env, id, sizeof(id));
    if (rc != 0)
        return cli_help_or(rc, cli_approve_usage);
    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "environment", a.env);
    cJSON_AddStringToObject(data, "deployment_id", a.deployment ? a.deployment : id);
    cJSON_AddBoolToObject(data, "passed", 1);
    cJSON_AddItemToObject(data, "checks", cJSON_CreateArray());
    cJSON_AddStringToObject(data, "approved_by", cli_actor(&a));
    return cli_publish("green-validated", data, NULL, NULL, &a);
}

static const char cli_shift_usage[] =
    "shift ENV --weight N | promote|pause|resume|rollback|abort|drill ENV\n"
    "       [--reason R] [--by NAME] [--deployment ID] [--wait [SECONDS]]\n"
    "  shift-requested for the active deployment (or ID); N is the new color's share.\n"
    "  requested_by is NAME (default $USER). drill: the old color's weights, read back,\n"
    "  then the deployment's again; the time it took goes to the history.\n"
    CLI_WAIT_HELP "\n" CLI_SIGN_HELP;

/* cli_shift_action_cmd - shift-requested; the action is the command's own name */
int cli_shift_action_cmd(int argc, char **argv)
{
    struct cli_publish_args a = {0};
    int is_shift = strcmp(argv[0], "shift") == 0;
    long weight = 0;
    cJSON *data;
    int rc = cli_parse_args(argc, argv, is_shift ? "wrBdW" : "rBdW", 1, cli_shift_usage, &a);

    if (rc == 0 && is_shift && cli_parse_int(a.weight, &weight) != 0)
        rc = cli_usage_fail(cli_shift_usage, "shift needs --weight N (0..100)");
    if (rc != 0)
        return cli_help_or(rc, cli_shift_usage);
    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "environment", a.env);
    if (a.deployment)
        cJSON_AddStringToObject(data, "deployment_id", a.deployment);
    cJSON_AddStringToObject(data, "action", argv[0]);
    if (is_shift)
        cJSON_AddNumberToObject(data, "weight", (double)weight);
    cJSON_AddStringToObject(data, "reason", a.reason ? a.reason : "");
    cJSON_AddStringToObject(data, "requested_by", cli_actor(&a));
    return cli_publish("shift-requested", data, NULL, NULL, &a);
}

static const char cli_alarm_usage[] =
    "alarm ENV --alarm NAME [--ok] [--severity S] [--reason R] [--source NAME]\n"
    "       [--wait [SECONDS]]\n"
    "  alarm-fired in state ALARM (rolls back a deployment that moved traffic), or OK\n"
    "  with --ok; severity defaults to critical, source to cutover-cli.\n"
    CLI_WAIT_HELP "\n" CLI_SIGN_HELP;

/* cli_alarm_cmd - alarm-fired, for monitoring without a Kafka client and for tests */
int cli_alarm_cmd(int argc, char **argv)
{
    struct cli_publish_args a = {0};
    cJSON *data;
    int rc = cli_parse_args(argc, argv, "AkSroW", 1, cli_alarm_usage, &a);

    if (rc == 0 && a.alarm == NULL)
        rc = cli_usage_fail(cli_alarm_usage, "alarm needs --alarm NAME");
    if (rc != 0)
        return cli_help_or(rc, cli_alarm_usage);
    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "environment", a.env);
    cJSON_AddStringToObject(data, "alarm", a.alarm);
    cJSON_AddStringToObject(data, "state", a.ok ? "OK" : "ALARM");
    cJSON_AddStringToObject(data, "severity", a.severity ? a.severity : "critical");
    cJSON_AddStringToObject(data, "reason", a.reason ? a.reason : "");
    cJSON_AddStringToObject(data, "source", a.source ? a.source : "cutover-cli");
    return cli_publish("alarm-fired", data, NULL, NULL, &a);
}
