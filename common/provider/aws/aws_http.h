/*
 * aws_http - signed AWS API calls over libcurl, with the SDK's standard
 *            retries and one error type.
 *
 * SYNOPSIS
 *	struct aws_client *c = aws_client_create(NULL, err, sizeof(err));	(region: the usual sources)
 *	struct aws_param p[] = { { "LoadBalancerArn", arn } };
 *	struct aws_response r;
 *	if (aws_client_query(c, AWS_SERVICE_ELBV2, "DescribeListeners", "2015-12-01", p, 1,
 *	                     &r, err, sizeof(err)) != 0)
 *		log_error("%s", err);	   ("Throttling: Rate exceeded (request id ...)")
 *	... r.body.data, r.body.len; r.error.code when it failed ...
 *	aws_response_free(&r);
 *	aws_client_json(c, AWS_SERVICE_CODEDEPLOY, "CodeDeploy_20141006.GetDeployment", json, &r, ...);
 *	aws_client_free(c);
 *
 * DESCRIPTION
 *	Endpoints: https://<host>/ with host elasticloadbalancing.<region>.
 *	amazonaws.com, autoscaling..., codedeploy..., s3..., monitoring...
 *	(CloudWatch), ssm... (Systems Manager), and
 *	cloudfront.amazonaws.com (global, signed for us-east-1); .amazonaws.com.cn
 *	in the cn- regions. CUTOVER_AWS_ENDPOINT_URL_<SERVICE> (ELBV2,
 *	AUTOSCALING, CODEDEPLOY, CLOUDFRONT, S3, CLOUDWATCH, SSM) overrides one service,
 *	CUTOVER_AWS_ENDPOINT_URL all of them (e.g. a moto server).
 *
 *	One call takes at most CUTOVER_AWS_TIMEOUT_MS in all, retries and
 *	waits included, and ends by the call deadline (base/clock.h) when
 *	that comes first. It is tried up to CUTOVER_AWS_MAX_ATTEMPTS times when
 *	the failure is a throttling code, HTTP 500/502/503/504/429, a
 *	transient code (RequestTimeout...), or a connection error; never on
 *	validation or authentication errors. Between attempts it waits a
 *	random time in [0, min(base * 2^attempt, 20 s)] (base 1 s). Each
 *	attempt is signed again (time, refreshed credentials).
 *
 *	Errors from the Query API's XML (<ErrorResponse><Error><Code>,
 *	<Message></Error><RequestId>, or S3's <Error>) and from the JSON
 *	protocols ({"__type": "ns#Code", "message"}) land in struct aws_error
 *	and in err as one line: "Code: Message (request id X)". Response
 *	bodies are capped at AWS_HTTP_MAX_BODY bytes.
 */
#ifndef CUTOVER_AWS_HTTP_H
#define CUTOVER_AWS_HTTP_H

#include <stddef.h>

#include "base/buf.h"
#include "provider/aws/sigv4.h"

#define AWS_HTTP_MAX_BODY (8u << 20)

enum aws_service {
    AWS_SERVICE_ELBV2,
    AWS_SERVICE_AUTOSCALING,
    AWS_SERVICE_CODEDEPLOY,
    AWS_SERVICE_CLOUDFRONT,
    AWS_SERVICE_S3,
    AWS_SERVICE_CLOUDWATCH,
    AWS_SERVICE_SSM,
};

struct aws_error {
    char code[128];       /* "ValidationError", "ConnectionError", "HTTP 503" */
    char message[512];
    char request_id[128];
    long http_status;     /* 0: no HTTP answer */
};

struct aws_response {
    long status;
    struct buf body;
    struct aws_error error; /* set when the call failed */
    int attempts;
};

/* A Query API parameter ("Listeners.member.1.Port"). */
struct aws_param {
    const char *name;
    const char *value;
};

struct aws_client;

struct aws_client *aws_client_create(const char *region, char *err, size_t err_len);
void aws_client_free(struct aws_client *c);
/* aws_client_set_backoff_base_ms - the backoff base (tests shorten it) */
void aws_client_set_backoff_base_ms(struct aws_client *c, long ms);

/* aws_client_request - one signed call; path is in wire form, query raw */
int aws_client_request(struct aws_client *c, enum aws_service svc, const char *method,
                       const char *path, const char *query, const struct sigv4_header *headers,
                       size_t header_count, const void *body, size_t body_len,
                       struct aws_response *resp, char *err, size_t err_len);
/* aws_client_query - Query API: POST / with Action=...&Version=...&params */
int aws_client_query(struct aws_client *c, enum aws_service svc, const char *action,
                     const char *version, const struct aws_param *params, size_t param_count,
                     struct aws_response *resp, char *err, size_t err_len);
/* aws_query_encode - a Query API form body: Action=...&Version=...&params, each encoded */
int aws_query_encode(struct buf *body, const char *action, const char *version,
                     const struct aws_param *params, size_t param_count);
/* aws_client_json - JSON 1.1 API: POST / with X-Amz-Target */
int aws_client_json(struct aws_client *c, enum aws_service svc, const char *target,
                    const char *json, struct aws_response *resp, char *err, size_t err_len);
void aws_response_free(struct aws_response *resp);

/* aws_endpoint_resolve - base URL and signing name and region of svc */
int aws_endpoint_resolve(enum aws_service svc, const char *region, char *url, size_t url_len,
                         const char **signing_name, const char **signing_region);
/* aws_error_parse - fill e from an error response (XML or JSON) */
void aws_error_parse(long status, const char *body, size_t len, const char *request_id_header,
                     const char *error_type_header, struct aws_error *e);
/* aws_error_retryable - whether the SDK's standard mode would try again */
int aws_error_retryable(const struct aws_error *e);
/* aws_error_format - "Code: Message (request id X)" */
void aws_error_format(const struct aws_error *e, char *out, size_t out_len);

#endif
