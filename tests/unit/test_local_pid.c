/*
 * test_local_pid - the local provider's slot pids (provider_local_state.c):
 *                  a pid file names the slot's process only while the
 *                  process under that pid started before the file was
 *                  written; a process that got the pid from the kernel
 *                  later is none of the slot's.
 *
 * DESCRIPTION
 *	Each test forks a child that sleeps, writes its pid into a slot's pid
 *	file in a temporary directory, and dates the file with utimensat:
 *	after the child's start (the slot's own process), or two minutes before
 *	it (the pid of a slot whose process died, handed out again).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "provider/local/provider_local_state.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
    struct local_provider p;
    char pid_file[LOCAL_PATH];
    pid_t child;
};

/* setup - a slot directory (green-1) and a sleeping child */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char slot[LOCAL_PATH];

    assert_non_null(f);
    snprintf(f->p.env_dir, sizeof(f->p.env_dir), "/tmp/test_local_pid.XXXXXX");
    assert_non_null(mkdtemp(f->p.env_dir));
    assert_int_equal(local_slot_path(&f->p, COLOR_GREEN, 0, NULL, slot, sizeof(slot)), 0);
    assert_int_equal(mkdir(slot, 0755), 0);
    assert_int_equal(local_slot_path(&f->p, COLOR_GREEN, 0, "pid", f->pid_file,
                                     sizeof(f->pid_file)), 0);
    f->child = fork();
    assert_true(f->child >= 0);
    if (f->child == 0) {
        pause();
        _exit(0);
    }
    *state = f;
    return 0;
}

/* teardown - the child killed and reaped, the directory removed */
static int teardown(void **state)
{
    struct fixture *f = *state;
    char slot[LOCAL_PATH];

    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
    unlink(f->pid_file);
    local_slot_path(&f->p, COLOR_GREEN, 0, NULL, slot, sizeof(slot));
    rmdir(slot);
    rmdir(f->p.env_dir);
    free(f);
    return 0;
}

/* pid_file_write - the child's pid in the slot's pid file, dated seconds_ago */
static void pid_file_write(const struct fixture *f, int seconds_ago)
{
    char content[32];
    struct timespec when[2];
    FILE *out = fopen(f->pid_file, "w");

    assert_non_null(out);
    snprintf(content, sizeof(content), "%ld\n", (long)f->child);
    assert_true(fputs(content, out) != EOF);
    assert_int_equal(fclose(out), 0);
    clock_gettime(CLOCK_REALTIME, &when[0]);
    when[0].tv_sec -= seconds_ago;
    when[1] = when[0];
    assert_int_equal(utimensat(AT_FDCWD, f->pid_file, when, 0), 0);
}

/* the pid file written after the process started names the slot's process */
static void test_own_process(void **state)
{
    struct fixture *f = *state;

    pid_file_write(f, 0);
    assert_int_equal(local_slot_pid(&f->p, COLOR_GREEN, 0), f->child);
    assert_true(local_pid_alive(local_slot_pid(&f->p, COLOR_GREEN, 0)));
}

/* a process that started 2 minutes after the file was written holds a reused pid */
static void test_reused_pid(void **state)
{
    struct fixture *f = *state;

    pid_file_write(f, 120);
    assert_true(local_pid_alive(f->child)); /* the pid runs... */
    assert_int_equal(local_slot_pid(&f->p, COLOR_GREEN, 0), 0); /* ...but not the slot */
}

/* a process that wrote its pid file half a second after it started is its own
 * (LOCAL_PID_REUSED_S leaves room for a slow writer and a tick's rounding) */
static void test_slow_writer(void **state)
{
    struct fixture *f = *state;
    struct timespec half = { 0, 500 * 1000 * 1000 };

    nanosleep(&half, NULL);
    pid_file_write(f, 0);
    assert_int_equal(local_slot_pid(&f->p, COLOR_GREEN, 0), f->child);
}

/* no pid file, or one naming a process that ended: no pid, or a dead one */
static void test_no_process(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(local_slot_pid(&f->p, COLOR_GREEN, 0), 0);
    pid_file_write(f, 0);
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
    assert_false(local_pid_alive(local_slot_pid(&f->p, COLOR_GREEN, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reused_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_process, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
