/*
 * test_haproxy - the HAProxy Runtime API client: parsing, weights, names.
 *
 * DESCRIPTION
 *	The samples are answers of HAProxy 2.6 captured from the development
 *	stack: "show servers state" (servers up, failing their check, in
 *	maintenance, draining, just out of maintenance with no check yet) and
 *	"show stat". Weight mapping is checked over every share and several
 *	instance counts. A fake Runtime API (a forked child on a UNIX socket,
 *	standing in for HAProxy so that the command text can be seen) checks
 *	the command line written and how answers become errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "provider/local/haproxy.h"

static const char servers_state_sample[] =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port\n"
    "3 shop 1 blue1 127.0.0.1 2 4 128 0 12 15 3 2 6 0 0 0 - 19200 - 0 0 - - 0\n"
    "3 shop 2 blue2 127.0.0.1 0 4 128 0 6 8 2 0 6 0 0 0 - 19201 - 0 0 - - 0\n"
    "3 shop 3 blue3 127.0.0.1 0 5 0 0 6 8 2 0 14 0 0 0 - 19202 - 0 0 - - 0\n"
    "3 shop 4 green1 127.0.0.1 2 12 64 0 10 15 3 2 6 0 0 0 - 19203 - 0 0 - - 0\n"
    "3 shop 5 green2 127.0.0.1 2 4 64 0 0 1 0 1 6 0 0 0 - 19204 - 0 0 - - 0\n"
    "\n";

static const char stat_sample[] =
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
    "wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,"
    "sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
    "check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,"
    "req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,"
    "lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,"
    "agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,"
    "agent_fall,agent_health,addr,cookie,mode,algo\n"
    "shop,blue1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,128,1,0,0,0,5,0,,1,2,1,,0,,2,0,,0,L7OK,200,"
    "1,0,0,0,0,0,0,,,,0,0,0,,,,,-1,\"HTTP status check returned code <3C>200<3E>\",,0,0,0,"
    "0,,,,Layer7 check passed,,1,2,2,,,,127.0.0.1:19200,,http,\n"
    "shop,blue2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,128,1,0,1,1,0,0,,1,2,2,,0,,2,0,,0,L4CON,,0,"
    "0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection "
    "problem,,1,2,0,,,,127.0.0.1:19201,,http,\n"
    "shop,green1,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,0,1,0,0,0,4,4,,1,2,3,,0,,2,0,,0,,,,0,0,0,"
    "0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:19203,,http,\n"
    "shop,green2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/2,64,1,0,0,0,4,4,,1,2,4,,0,,2,0,,0,,,,0,0,"
    "0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:19204,,http,\n"
    "shop,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,256,2,0,,1,1,1,,1,2,0,,0,,1,0,,0,,,,0,0,"
    "0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin\n";

/* test_parse_servers_state - every server with its status, weight and port */
static void test_parse_servers_state(void **state)
{
    struct haproxy_server sv[8];
    size_t n = 0;
    char err[256];

    (void)state;
    assert_int_equal(haproxy_parse_servers_state(servers_state_sample, sv, 8, &n, err,
                                                 sizeof(err)), 0);
    assert_int_equal(n, 5);
    assert_string_equal(sv[0].backend, "shop");
    assert_string_equal(sv[0].name, "blue1");
    assert_string_equal(sv[0].addr, "127.0.0.1");
    assert_int_equal(sv[0].port, 19200);
    assert_int_equal(sv[0].weight, 128);
    assert_int_equal(sv[0].status, HAPROXY_STATUS_UP);
    assert_int_equal(sv[1].status, HAPROXY_STATUS_DOWN);  /* check failing */
    assert_int_equal(sv[2].status, HAPROXY_STATUS_MAINT); /* "disabled" */
    assert_int_equal(sv[3].status, HAPROXY_STATUS_DRAIN); /* FDRAIN */
    assert_int_equal(sv[3].weight, 64);
    assert_int_equal(sv[4].status, HAPROXY_STATUS_DOWN); /* running, no check passed yet */
}

/* test_parse_servers_state_errors - HAProxy's refusals and the cap are errors */
static void test_parse_servers_state_errors(void **state)
{
    struct haproxy_server sv[2];
    size_t n = 0;
    char err[256];

    (void)state;
    assert_int_equal(haproxy_parse_servers_state("Can't find backend.\n", sv, 2, &n, err,
                                                 sizeof(err)), -1);
    assert_non_null(strstr(err, "Can't find backend."));
    assert_int_equal(haproxy_parse_servers_state(servers_state_sample, sv, 2, &n, err,
                                                 sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 2 servers"));
    assert_int_equal(haproxy_parse_servers_state("1\n# header\n", sv, 2, &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 0);
}

/* test_parse_stat - server rows only, status words, address split */
static void test_parse_stat(void **state)
{
    struct haproxy_server sv[8];
    size_t n = 0;
    char err[256];

    (void)state;
    assert_int_equal(haproxy_parse_stat(stat_sample, sv, 8, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4); /* BACKEND skipped */
    assert_string_equal(sv[0].name, "blue1");
    assert_int_equal(sv[0].status, HAPROXY_STATUS_UP);
    assert_int_equal(sv[0].weight, 128);
    assert_string_equal(sv[0].addr, "127.0.0.1");
    assert_int_equal(sv[0].port, 19200);
    assert_int_equal(sv[1].status, HAPROXY_STATUS_DOWN);
    assert_int_equal(sv[2].status, HAPROXY_STATUS_MAINT);
    assert_int_equal(sv[3].status, HAPROXY_STATUS_UP); /* "UP 1/2": still serving */
    assert_int_equal(sv[3].port, 19204);
    assert_int_equal(haproxy_parse_stat("No such proxy.\n", sv, 8, &n, err, sizeof(err)), -1);
    assert_int_equal(haproxy_parse_stat(stat_sample, sv, 3, &n, err, sizeof(err)), -1);
}

/* effective_share - blue's traffic share in percent for the given weights */
static double effective_share(int nb, int wb, int ng, int wg)
{
    long total = (long)nb * wb + (long)ng * wg;

    return total == 0 ? -1.0 : 100.0 * nb * wb / (double)total;
}

/* test_weights_hold_shares - every share, counts 1..4: within 0.6 points */
static void test_weights_hold_shares(void **state)
{
    (void)state;
    for (int nb = 1; nb <= 4; nb++)
        for (int ng = 1; ng <= 4; ng++)
            for (int blue = 0; blue <= 100; blue++) {
                int share[2] = { blue, 100 - blue }, count[2] = { nb, ng }, w[2];
                haproxy_weights_for_shares(share, count, w);
                assert_in_range(w[0], 0, HAPROXY_WEIGHT_MAX);
                assert_in_range(w[1], 0, HAPROXY_WEIGHT_MAX);
                assert_true((w[0] == 0) == (blue == 0));
                assert_true((w[1] == 0) == (blue == 100));
                double eff = effective_share(nb, w[0], ng, w[1]);
                if (eff < blue - 0.6 || eff > blue + 0.6)
                    fail_msg("share %d nb %d ng %d: weights %d/%d give %.2f", blue, nb, ng,
                             w[0], w[1], eff);
            }
}

/* test_weights_read_back - shares in steps of 5, counts 1..8: read back exactly */
static void test_weights_read_back(void **state)
{
    (void)state;
    for (int nb = 1; nb <= 8; nb++)
        for (int ng = 1; ng <= 8; ng++)
            for (int blue = 0; blue <= 100; blue += 5) {
                int share[2] = { blue, 100 - blue }, count[2] = { nb, ng }, w[2];
                haproxy_weights_for_shares(share, count, w);
                int back = haproxy_share_from_totals((long)nb * w[0], (long)ng * w[1]);
                if (back != blue)
                    fail_msg("share %d nb %d ng %d: weights %d/%d read back as %d", blue, nb,
                             ng, w[0], w[1], back);
            }
}

/* test_weights_ten_ninety - the 10/90 canary split for up to 8 instances a color */
static void test_weights_ten_ninety(void **state)
{
    (void)state;
    for (int nb = 1; nb <= 8; nb++)
        for (int ng = 1; ng <= 8; ng++) {
            int share[2] = { 10, 90 }, count[2] = { nb, ng }, w[2];
            haproxy_weights_for_shares(share, count, w);
            double eff = effective_share(nb, w[0], ng, w[1]);
            if (eff < 9.5 || eff > 10.5)
                fail_msg("10/90 with %d/%d instances gives %.2f", nb, ng, eff);
        }
}

/* test_weights_edges - no instances, out-of-range shares, zero totals */
static void test_weights_edges(void **state)
{
    int share[2] = { 100, 0 }, count[2] = { 0, 0 }, w[2];

    (void)state;
    haproxy_weights_for_shares(share, count, w);
    assert_int_equal(w[0], HAPROXY_WEIGHT_MAX);
    assert_int_equal(w[1], 0);
    share[0] = 250;
    share[1] = -5;
    count[0] = 1;
    haproxy_weights_for_shares(share, count, w);
    assert_int_equal(w[0], HAPROXY_WEIGHT_MAX);
    assert_int_equal(w[1], 0);
    assert_int_equal(haproxy_share_from_totals(0, 0), -1);
    assert_int_equal(haproxy_share_from_totals(0, 5), 0);
    assert_int_equal(haproxy_share_from_totals(128, 128), 50);
}

/* test_name_valid - names that could split or extend a command are refused */
static void test_name_valid(void **state)
{
    (void)state;
    assert_true(haproxy_name_valid("shop"));
    assert_true(haproxy_name_valid("shop-staging_preview_blue"));
    assert_true(haproxy_name_valid("127.0.0.1"));
    assert_false(haproxy_name_valid(NULL));
    assert_false(haproxy_name_valid(""));
    assert_false(haproxy_name_valid("shop;shutdown sessions"));
    assert_false(haproxy_name_valid("shop blue1"));
    assert_false(haproxy_name_valid("shop\nshow info"));
    assert_false(haproxy_name_valid("shop\tx"));
    assert_false(haproxy_name_valid("shop/blue1"));
    char long_name[HAPROXY_NAME_MAX + 2];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(haproxy_name_valid(long_name));
    long_name[HAPROXY_NAME_MAX] = '\0';
    assert_true(haproxy_name_valid(long_name));
}

static unsigned fake_api_delay_ms; /* how long the fake API thinks before it answers */

/* fake_api_serve - the fake Runtime API: one connection, report the line, answer, close */
static void fake_api_serve(int listener, int report_fd, const char *answer)
{
    char line[512];
    ssize_t n, got = 0;
    int fd = accept(listener, NULL, NULL);

    if (fd < 0)
        _exit(1);
    while (got < (ssize_t)sizeof(line) - 1 &&
           (n = read(fd, line + got, sizeof(line) - 1 - (size_t)got)) > 0) {
        got += n;
        if (memchr(line, '\n', (size_t)got) != NULL)
            break;
    }
    clock_sleep_ms(fake_api_delay_ms);
    if (write(report_fd, line, (size_t)got) != got || write(fd, answer, strlen(answer)) < 0)
        _exit(1);
    close(fd);
    _exit(0);
}

/* fake_api_run - run op against a fake API answering answer; the line it received */
static int fake_api_run(const char *answer, int (*op)(const char *, char *, size_t),
                        char *received, size_t received_len, char *err, size_t err_len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/test_haproxy.XXXXXX";
    int pipefd[2], listener, rc, status;
    ssize_t n;
    pid_t pid;

    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/admin.sock", dir);
    assert_true((listener = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(listener, 1), 0);
    assert_int_equal(pipe(pipefd), 0);
    assert_true((pid = fork()) >= 0);
    if (pid == 0)
        fake_api_serve(listener, pipefd[1], answer);
    close(pipefd[1]);
    rc = op(sa.sun_path, err, err_len);
    n = read(pipefd[0], received, received_len - 1);
    received[n > 0 ? n : 0] = '\0';
    close(pipefd[0]);
    close(listener);
    waitpid(pid, &status, 0);
    unlink(sa.sun_path);
    rmdir(dir);
    return rc;
}

/* op_set_weight - the operation under test: weight 42 for shop/blue1 */
static int op_set_weight(const char *sock, char *err, size_t err_len)
{
    return haproxy_set_weight(sock, "shop", "blue1", 42, err, err_len);
}

/* op_set_weights - the operation under test: green first, then blue to 0 */
static int op_set_weights(const char *sock, char *err, size_t err_len)
{
    const struct haproxy_weight w[] = {{"green1", 256}, {"green2", 256}, {"blue1", 0}};

    return haproxy_set_weights(sock, "shop", w, 3, err, err_len);
}

/* op_get_weight - the operation under test: read shop/green2's weight, expect 64 */
static int op_get_weight(const char *sock, char *err, size_t err_len)
{
    int w = -1;
    int rc = haproxy_get_weight(sock, "shop", "green2", &w, err, err_len);

    return rc == 0 && w != 64 ? -2 : rc;
}

/* op_set_maint - the operation under test: shop/green1 to maintenance */
static int op_set_maint(const char *sock, char *err, size_t err_len)
{
    return haproxy_set_state(sock, "shop", "green1", HAPROXY_ADMIN_MAINT, err, err_len);
}

/* test_commands_on_the_wire - the command lines written, and answers turned into errors */
static void test_commands_on_the_wire(void **state)
{
    char got[512], err[256];

    (void)state;
    assert_int_equal(fake_api_run("\n", op_set_weight, got, sizeof(got), err, sizeof(err)), 0);
    assert_string_equal(got, "set server shop/blue1 weight 42\n");
    assert_int_equal(fake_api_run("No such server.\n\n", op_set_weight, got, sizeof(got), err,
                                  sizeof(err)), -1);
    assert_non_null(strstr(err, "No such server."));
    assert_int_equal(fake_api_run("\n\n\n", op_set_weights, got, sizeof(got), err, sizeof(err)),
                     0);
    assert_string_equal(got, "set server shop/green1 weight 256;set server shop/green2 weight 256;"
                             "set server shop/blue1 weight 0\n");
    assert_int_equal(fake_api_run("\nNo such server.\n\n", op_set_weights, got, sizeof(got), err,
                                  sizeof(err)), -1);
    assert_non_null(strstr(err, "No such server."));
    assert_int_equal(fake_api_run("64 (initial 0)\n\n", op_get_weight, got, sizeof(got), err,
                                  sizeof(err)), 0);
    assert_string_equal(got, "get weight shop/green2\n");
    assert_int_equal(fake_api_run("\n", op_set_maint, got, sizeof(got), err, sizeof(err)), 0);
    assert_string_equal(got, "set server shop/green1 state maint\n");
}

/* test_call_deadline - a command ends by the call deadline: an answer that
 * comes later than it (but well within HAPROXY_TIMEOUT_MS) fails the
 * command; without a deadline the same answer is taken */
static void test_call_deadline(void **state)
{
    char got[512], err[256];

    (void)state;
    fake_api_delay_ms = 1000;
    clock_call_deadline_set(clock_mono_ms() + 100);
    assert_int_equal(fake_api_run("\n", op_set_weight, got, sizeof(got), err, sizeof(err)), -1);
    clock_call_deadline_set(0);
    assert_int_equal(fake_api_run("\n", op_set_weight, got, sizeof(got), err, sizeof(err)), 0);
    fake_api_delay_ms = 0;
    clock_call_deadline_set(clock_mono_ms() - 1);
    assert_int_equal(haproxy_set_weight("/nonexistent.sock", "shop", "blue1", 1, err,
                                        sizeof(err)), -1);
    assert_non_null(strstr(err, "deadline"));
    clock_call_deadline_set(0);
}

/* test_refuses_bad_names_offline - nothing is sent for a hostile name */
static void test_refuses_bad_names_offline(void **state)
{
    char err[256];
    int w;

    (void)state;
    assert_int_equal(haproxy_set_weight("/nonexistent.sock", "shop;disable", "blue1", 1, err,
                                        sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid"));
    assert_int_equal(haproxy_get_weight("/nonexistent.sock", "shop", "blue 1", &w, err,
                                        sizeof(err)), -1);
    assert_int_equal(haproxy_set_weight("/nonexistent.sock", "shop", "blue1", 257, err,
                                        sizeof(err)), -1);
    assert_int_equal(haproxy_set_addr("/nonexistent.sock", "shop", "blue1", "1.2.3.4 x", 80,
                                      err, sizeof(err)), -1);
    assert_int_equal(haproxy_set_weight("/nonexistent.sock", "shop", "blue1", 1, err,
                                        sizeof(err)), -1);
    assert_non_null(strstr(err, "connect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_servers_state),
        cmocka_unit_test(test_parse_servers_state_errors),
        cmocka_unit_test(test_parse_stat),
        cmocka_unit_test(test_weights_hold_shares),
        cmocka_unit_test(test_weights_read_back),
        cmocka_unit_test(test_weights_ten_ninety),
        cmocka_unit_test(test_weights_edges),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_commands_on_the_wire),
        cmocka_unit_test(test_refuses_bad_names_offline),
        cmocka_unit_test(test_call_deadline),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
