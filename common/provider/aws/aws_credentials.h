/*
 * aws_credentials - AWS credentials and region, found the way the AWS SDKs
 *                   find them.
 *
 * SYNOPSIS
 *	struct aws_credentials_cache *cache = aws_credentials_cache_create();
 *	const struct aws_credentials *creds;
 *	if (aws_credentials_cache_get(cache, time(NULL), &creds, err, sizeof(err)) != 0) ...
 *	struct sigv4_credentials view;
 *	aws_credentials_view(creds, &view);
 *	aws_credentials_cache_free(cache);
 *
 *	char region[64];
 *	if (aws_region_resolve(region, sizeof(region)) != 0) ...	(none configured)
 *
 * DESCRIPTION
 *	Sources, in the SDK order, the first that has credentials wins:
 *	1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional
 *	   AWS_SESSION_TOKEN;
 *	2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *	   ~/.aws/credentials), section [NAME], NAME = AWS_PROFILE or
 *	   "default";
 *	3. the config file (AWS_CONFIG_FILE, default ~/.aws/config), section
 *	   [profile NAME] ([default] for the default profile);
 *	4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *	   against http://169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI
 *	   (https, or http to a loopback or the ECS/EKS agent addresses), with
 *	   the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN or
 *	   the file named by AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
 *	5. EC2 instance metadata, IMDSv2 only (a session token first), at
 *	   AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254),
 *	   unless AWS_EC2_METADATA_DISABLED=true.
 *	Metadata requests time out after one second. A source that is
 *	configured but broken (a key id without a secret, a named profile
 *	that does not exist, a container endpoint that fails) is an error, not
 *	a reason to try the next. The cache refreshes credentials that expire
 *	within five minutes.
 *
 *	Region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's "region"
 *	in the config file.
 *
 *	Secrets and session tokens never reach a log or an error message; they
 *	are wiped from memory when freed.
 */
#ifndef CUTOVER_AWS_CREDENTIALS_H
#define CUTOVER_AWS_CREDENTIALS_H

#include <stddef.h>

#include "provider/aws/sigv4.h"

struct aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;  /* NULL when none */
    long long expiration; /* seconds since the epoch; 0: does not expire */
    const char *source;   /* "environment", "shared-credentials-file", "config-file",
                             "container", "imds" */
};

/* Refresh this many seconds before expiry. */
#define AWS_CREDENTIALS_REFRESH_EARLY 300

/* aws_credentials_load - one pass through the sources; 0, or -1 with err */
int aws_credentials_load(struct aws_credentials *out, char *err, size_t err_len);
/* aws_credentials_clear - wipe and free the strings */
void aws_credentials_clear(struct aws_credentials *c);
/* aws_credentials_view - the strings as sigv4 wants them (borrowed) */
void aws_credentials_view(const struct aws_credentials *c, struct sigv4_credentials *out);

/* The sources one by one: 0 found, 1 not configured here, -1 error. */
int aws_credentials_from_env(struct aws_credentials *out, char *err, size_t err_len);
int aws_credentials_from_profile(struct aws_credentials *out, char *err, size_t err_len);
int aws_credentials_from_container(struct aws_credentials *out, char *err, size_t err_len);
int aws_credentials_from_imds(struct aws_credentials *out, char *err, size_t err_len);
/* aws_credentials_parse_json - a container or IMDS reply ({AccessKeyId, SecretAccessKey,
 * Token, Expiration, Code}) into out, source naming where it came from; 0, or -1 with err */
int aws_credentials_parse_json(const char *body, const char *source,
                               struct aws_credentials *out, char *err, size_t err_len);

struct aws_credentials_cache;
struct aws_credentials_cache *aws_credentials_cache_create(void);
/* aws_credentials_cache_get - valid credentials at time now (loads, refreshes) */
int aws_credentials_cache_get(struct aws_credentials_cache *cache, long long now,
                              const struct aws_credentials **out, char *err, size_t err_len);
void aws_credentials_cache_free(struct aws_credentials_cache *cache);

/* aws_region_resolve - the configured region; -1 when none */
int aws_region_resolve(char *out, size_t out_len);

#endif
