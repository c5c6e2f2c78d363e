/*
 * appdb_load_probe - a load of reads and writes on one table of the
 *                    application's database, for the migration tests and
 *                    the benchmark.
 *
 * SYNOPSIS
 *	appdb_load_probe TABLE STOP_FILE
 *	(CUTOVER_MYSQL_HOST, _PORT, _USER, _DATABASE, _PASSWORD_FILE as
 *	 ops/devstack env prints them)
 *
 * DESCRIPTION
 *	Until STOP_FILE exists, alternates one INSERT INTO TABLE (v) VALUES
 *	(?) and one SELECT of the row just written, each on its own
 *	autocommit, and counts them. An INSERT that InnoDB chose as a
 *	deadlock victim is issued again, as InnoDB asks every application to
 *	do ("try restarting transaction"; pt-online-schema-change's copy and
 *	triggers take such locks), and counted in retries, up to
 *	LOAD_DEADLOCK_RETRIES times. Any other failed query, or a deadlock
 *	past the retries, is an error (the connection is reopened when it
 *	broke). The latency of a write includes its retries. At the end
 *	prints one line: "writes=N reads=N errors=N missing=N retries=N
 *	write_p50_us=N write_p99_us=N write_max_us=N" (missing: a SELECT that
 *	did not find the row it had just written). Exit status 0, or 2 on bad
 *	usage.
 */
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_SAMPLES      2000000
#define LOAD_DEADLOCK_RETRIES 5

/* What the load counted. */
struct load_stats {
    long writes, reads, errors, missing, retries;
    long *latency_us;
};

/* load_env - a variable's value, or exit with usage */
static const char *load_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "appdb_load_probe: %s is not set\n", name);
        exit(2);
    }
    return v;
}

/* load_connect - a connection with the password read from its file; NULL on failure */
static MYSQL *load_connect(void)
{
    char password[512] = "";
    FILE *f = fopen(load_env("CUTOVER_MYSQL_PASSWORD_FILE"), "r");
    MYSQL *my = mysql_init(NULL);

    if (f != NULL) {
        if (fgets(password, sizeof(password), f) == NULL)
            password[0] = '\0';
        fclose(f);
    }
    password[strcspn(password, "\r\n")] = '\0';
    if (my != NULL && mysql_real_connect(my, load_env("CUTOVER_MYSQL_HOST"),
                                         load_env("CUTOVER_MYSQL_USER"), password,
                                         load_env("CUTOVER_MYSQL_DATABASE"),
                                         (unsigned)atoi(load_env("CUTOVER_MYSQL_PORT")), NULL, 0) == NULL) {
        mysql_close(my);
        my = NULL;
    }
    memset(password, 0, sizeof(password));
    return my;
}

/* load_now_us - a monotonic clock in microseconds */
static long load_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* load_write - the INSERT, issued again when it was a deadlock's victim; 0 when done */
static int load_write(MYSQL *my, const char *sql, struct load_stats *st)
{
    for (int tries = 0;; tries++) {
        if (mysql_query(my, sql) == 0)
            return 0;
        if (mysql_errno(my) != ER_LOCK_DEADLOCK || tries == LOAD_DEADLOCK_RETRIES)
            return -1;
        st->retries++;
    }
}

/* load_one - one write then the read of it; the connection, reopened when it broke */
static MYSQL *load_one(MYSQL *my, const char *table, struct load_stats *st)
{
    char sql[256];
    long start = load_now_us();
    MYSQL_RES *res;

    snprintf(sql, sizeof(sql), "INSERT INTO `%s` (v) VALUES (%ld)", table, st->writes);
    if (my == NULL || load_write(my, sql, st) != 0) {
        st->errors++;
        if (my != NULL)
            fprintf(stderr, "appdb_load_probe: %s\n", mysql_error(my));
        mysql_close(my);
        return load_connect();
    }
    if (st->writes < LOAD_MAX_SAMPLES)
        st->latency_us[st->writes] = load_now_us() - start;
    st->writes++;
    snprintf(sql, sizeof(sql), "SELECT v FROM `%s` WHERE id = %llu", table,
             (unsigned long long)mysql_insert_id(my));
    if (mysql_query(my, sql) != 0 || (res = mysql_store_result(my)) == NULL) {
        st->errors++;
        fprintf(stderr, "appdb_load_probe: %s\n", mysql_error(my));
        return my;
    }
    st->reads++;
    if (mysql_num_rows(res) != 1)
        st->missing++;
    mysql_free_result(res);
    return my;
}

/* load_cmp - order latencies */
static int load_cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;

    return (x > y) - (x < y);
}

/* load_percentile - the p-th percentile of the sorted samples */
static long load_percentile(const long *sorted, long n, double p)
{
    return n == 0 ? 0 : sorted[(long)((double)(n - 1) * p)];
}

int main(int argc, char **argv)
{
    struct load_stats st = {0};
    MYSQL *my;
    long n;

    if (argc != 3) {
        fprintf(stderr, "usage: appdb_load_probe TABLE STOP_FILE\n");
        return 2;
    }
    st.latency_us = calloc(LOAD_MAX_SAMPLES, sizeof(long));
    my = load_connect();
    if (st.latency_us == NULL || my == NULL) {
        fprintf(stderr, "appdb_load_probe: cannot connect\n");
        return 1;
    }
    while (access(argv[2], F_OK) != 0)
        my = load_one(my, argv[1], &st);
    n = st.writes < LOAD_MAX_SAMPLES ? st.writes : LOAD_MAX_SAMPLES;
    qsort(st.latency_us, (size_t)n, sizeof(long), load_cmp);
    printf("writes=%ld reads=%ld errors=%ld missing=%ld retries=%ld write_p50_us=%ld "
           "write_p99_us=%ld write_max_us=%ld\n", st.writes, st.reads, st.errors, st.missing,
           st.retries,
           load_percentile(st.latency_us, n, 0.50), load_percentile(st.latency_us, n, 0.99),
           n ? st.latency_us[n - 1] : 0);
    mysql_close(my);
    free(st.latency_us);
    return 0;
}
