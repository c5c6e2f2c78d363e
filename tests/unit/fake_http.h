/*
 * fake_http - a fake HTTP server for the unit tests: a stand-in for the AWS
 *	endpoints (container credentials, instance metadata, ELBv2,
 *	CodeDeploy) that cannot run here.
 *
 * SYNOPSIS
 *	static void answer_cb(int fd, int served, const void *arg)
 *	{
 *	    char req[8192];
 *
 *	    fake_http_read_request(fd, req, sizeof(req));
 *	    fake_http_respond(fd, 200, "", "{}");
 *	}
 *
 *	struct fake_http s = fake_http_start(0, answer_cb, table);
 *	... point the client at http://127.0.0.1:s.port ...
 *	fake_http_stop(&s);
 *
 * DESCRIPTION
 *	fake_http_start() binds a listening socket on 127.0.0.1 (the kernel
 *	chooses the port) before it forks, so a client can connect at once
 *	and nothing waits for the child. The child accepts one connection at
 *	a time and hands it to answer (served counts from 1, arg as given);
 *	after max_requests connections (0: no limit) it waits, silent, to be
 *	stopped. fake_http_stop() ends and reaps the child; its port is
 *	closed afterwards. The test decides what to answer: canned routes,
 *	a script in order, a record of the requests.
 *
 *	fake_http_read_request() reads one request (headers, and the body
 *	when Content-Length says there is one) into buf, NUL-terminated,
 *	and returns its length. fake_http_respond() writes one response with
 *	Content-Length and "Connection: close"; headers, when not empty, are
 *	extra "Name: value\r\n" lines. Both run in the child, which exits
 *	when it cannot write.
 *
 *	A fake stands in only here: the AWS provider's integration tests
 *	talk to moto's server.
 */
#ifndef CUTOVER_TESTS_FAKE_HTTP_H
#define CUTOVER_TESTS_FAKE_HTTP_H

#include <stddef.h>
#include <sys/types.h>

/* The fake server: a child process listening on 127.0.0.1:port. */
struct fake_http {
    pid_t pid;
    int port;
};

/* Answers one connection in the child: served counts from 1. */
typedef void (*fake_http_answer_cb)(int fd, int served, const void *arg);

struct fake_http fake_http_start(int max_requests, fake_http_answer_cb answer, const void *arg);
void fake_http_stop(struct fake_http *s);
size_t fake_http_read_request(int fd, char *buf, size_t cap);
void fake_http_respond(int fd, int status, const char *headers, const char *body);

#endif
