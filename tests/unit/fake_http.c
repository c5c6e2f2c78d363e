/*
 * fake_http - a fake HTTP server in a forked child, the unit tests'
 *	stand-in for AWS endpoints that cannot run here (see fake_http.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_http.h"

/* serve - the child: answer up to max_requests connections, then wait */
static void serve(int lfd, int max_requests, fake_http_answer_cb answer, const void *arg)
{
    for (int served = 1; max_requests == 0 || served <= max_requests; served++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            _exit(1);
        answer(fd, served, arg);
        close(fd);
    }
    pause();
    _exit(0);
}

/* fake_http_start - a child answering on 127.0.0.1 until stopped */
struct fake_http fake_http_start(int max_requests, fake_http_answer_cb answer, const void *arg)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(addr);
    struct fake_http s;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(lfd, 16), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
    s.port = ntohs(addr.sin_port);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0)
        serve(lfd, max_requests, answer, arg);
    close(lfd);
    return s;
}

/* fake_http_stop - end the child */
void fake_http_stop(struct fake_http *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

/* request_complete - buf[0..len) holds the headers and all the body they announce */
static int request_complete(const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    const char *cl = memmem(buf, len, "Content-Length: ", 16);

    return end && (!cl || len >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10));
}

/* fake_http_read_request - one request on fd into buf, NUL-terminated; its length */
size_t fake_http_read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t r;

    while (len < cap - 1 && (r = read(fd, buf + len, cap - 1 - len)) > 0) {
        len += (size_t)r;
        buf[len] = '\0';
        if (request_complete(buf, len))
            break;
    }
    buf[len] = '\0';
    return len;
}

/* fake_http_respond - one response with body; headers are extra "Name: value\r\n" lines */
void fake_http_respond(int fd, int status, const char *headers, const char *body)
{
    if (dprintf(fd, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
                status, strlen(body), headers, body) < 0)
        _exit(1);
}
