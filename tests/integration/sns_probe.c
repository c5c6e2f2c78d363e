/*
 * sns_probe - verify one Amazon SNS message body with web/sns.h, and
 *	       confirm the subscription it asks for, from the command line,
 *	       for tests/integration/test_sns.sh.
 *
 * SYNOPSIS
 *	sns_probe [-c CA_FILE] [-H HOST_PATTERN] [-a MAX_AGE_S] [-C] -t TOPIC... FILE
 *
 * DESCRIPTION
 *	Reads the body from FILE ("-": stdin), runs sns_verify() with the
 *	policy the options give (the allowed topics, the CA file, the
 *	certificate host pattern, the age window) and prints the outcome's
 *	name, then for a CloudWatch alarm "alarm NAME STATE" and one
 *	"dimension NAME VALUE" line each. With -C, a verified
 *	SubscriptionConfirmation is confirmed and "confirmed" printed; with
 *	-C, a message that did not verify is still handed to
 *	sns_confirm_subscription(), which must refuse it ("not confirmed").
 *	Exit 0 when the message verified (and, with -C, was confirmed), 1
 *	otherwise (the reason on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/sns.h"

#define PROBE_MAX_TOPICS 8
#define PROBE_MAX_BODY (512 * 1024)
#define PROBE_USAGE \
    "usage: sns_probe [-c CA_FILE] [-H HOST_PATTERN] [-a MAX_AGE_S] [-C] -t TOPIC... FILE\n"

static const char *const probe_states[] = {
    [SNS_ALARM_NONE] = "NONE", [SNS_ALARM_ALARM] = "ALARM", [SNS_ALARM_OK] = "OK",
    [SNS_ALARM_INSUFFICIENT_DATA] = "INSUFFICIENT_DATA",
};

/* probe_usage - say how to call, and the exit code for bad usage */
static int probe_usage(void)
{
    fputs(PROBE_USAGE, stderr);
    return 2;
}

/* probe_read - FILE ("-": stdin) into buf; its length, or -1 */
static long probe_read(const char *path, char *buf, size_t cap)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, cap, f);
    if (f != stdin)
        fclose(f);
    return n < cap ? (long)n : -1;
}

/* probe_print - the outcome and the alarm, when there is one */
static void probe_print(enum sns_outcome o, const struct sns_message *m)
{
    const struct sns_alarm *a = &m->alarm;

    printf("%s\n", sns_outcome_name(o));
    if (o != SNS_OK || a->state == SNS_ALARM_NONE)
        return;
    printf("alarm %s %s\n", a->name, probe_states[a->state]);
    for (size_t i = 0; i < a->dimension_count; i++)
        printf("dimension %s %s\n", a->dimensions[i].name, a->dimensions[i].value);
}

/* probe_confirm - confirm m's subscription; 0 when SNS's URL answered */
static int probe_confirm(const struct sns_message *m, const struct sns_policy *p)
{
    char err[512];

    if (sns_confirm_subscription(m, p, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        printf("not confirmed\n");
        return 1;
    }
    printf("confirmed\n");
    return 0;
}

int main(int argc, char **argv)
{
    static char body[PROBE_MAX_BODY];
    const char *topics[PROBE_MAX_TOPICS];
    struct sns_policy p = { .topic_allow = topics };
    struct sns_message m;
    char err[512] = "";
    int opt, confirm = 0, rc;
    long len;
    enum sns_outcome o;

    while ((opt = getopt(argc, argv, "c:H:a:Ct:")) != -1) {
        if (opt == 'c')
            p.ca_file = optarg;
        else if (opt == 'H')
            p.cert_host_pattern = optarg;
        else if (opt == 'a')
            p.max_age_s = atol(optarg);
        else if (opt == 'C')
            confirm = 1;
        else if (opt == 't' && p.topic_count < PROBE_MAX_TOPICS)
            topics[p.topic_count++] = optarg;
        else
            return probe_usage();
    }
    if (optind != argc - 1 || (len = probe_read(argv[optind], body, sizeof(body))) < 0)
        return probe_usage();
    o = sns_verify(body, (size_t)len, &p, &m, err, sizeof(err));
    if (o != SNS_OK)
        fprintf(stderr, "%s\n", err);
    probe_print(o, &m);
    rc = o == SNS_OK ? 0 : 1;
    if (confirm && probe_confirm(&m, &p) != 0)
        rc = 1;
    sns_message_free(&m);
    sns_cert_cache_clear();
    return rc;
}
