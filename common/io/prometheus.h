/*
 * prometheus - an instant query through Prometheus's HTTP API, for the
 *              analysis gates.
 *
 * SYNOPSIS
 *	double v;
 *	char err[256];
 *	switch (prometheus_query("http://127.0.0.1:9090", "sum(up)", &v, err, sizeof(err))) {
 *	case PROMETHEUS_VALUE:   ... v
 *	case PROMETHEUS_NO_DATA: ... an empty vector, or NaN
 *	case PROMETHEUS_ERROR:   ... err says why
 *	}
 *
 * DESCRIPTION
 *	GET base/api/v1/query?query=Q (URL-encoded) with libcurl, within
 *	PROMETHEUS_TIMEOUT_MS, the body capped at PROMETHEUS_BODY_MAX. The
 *	answer must be {"status": "success"} with a scalar, or a vector of
 *	exactly one series (more than one is an error: a query meant for a
 *	gate must name one number). Sample values come as strings: "NaN" is
 *	no data, "+Inf" and "-Inf" are values. HTTP errors, a body that is
 *	not JSON, "status": "error" and timeouts are errors.
 */
#ifndef CUTOVER_PROMETHEUS_H
#define CUTOVER_PROMETHEUS_H

#include <stddef.h>

#define PROMETHEUS_TIMEOUT_MS 5000
#define PROMETHEUS_BODY_MAX   (1024 * 1024)

enum prometheus_result { PROMETHEUS_VALUE, PROMETHEUS_NO_DATA, PROMETHEUS_ERROR };

enum prometheus_result prometheus_query(const char *base_url, const char *query, double *value,
                                        char *err, size_t err_len);
/* prometheus_parse - the same judgement of an API answer's body */
enum prometheus_result prometheus_parse(const char *body, double *value, char *err,
                                        size_t err_len);

#endif
