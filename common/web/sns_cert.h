/*
 * sns_cert - the network and crypto half of web/sns.c: URL checks, the
 *	      https GET, SNS signing certificates (fetched, cached,
 *	      checked) and the signature check.
 *
 * SYNOPSIS
 *	CURLU *u = sns_url_check(url, policy, ".pem", err, err_len);
 *	sns_https_get(u, policy, cap, &body, &status, err, err_len);
 *	X509 *cert; sns_cert_get(url, policy, &cert, err, err_len); X509_free(cert);
 *	X509 *cert = sns_cert_parse(pem, len, err, err_len);	(a fetched body)
 *	sns_signature_check(cert, version, text, signature_b64, err, err_len);
 *
 * DESCRIPTION
 *	sns_url_check() parses a URL once, with libcurl's parser, and
 *	hands the parsed handle on, so that what was checked is what is
 *	fetched. sns_https_get() speaks https only, verifies the peer and
 *	its name, follows no redirect, and caps the body and the time.
 *	sns_cert_get() answers a reference the caller frees; it parses the
 *	fetched body with sns_cert_parse() (the first PEM certificate, at
 *	most 64 KiB) and checks it with sns_cert_valid_now(). Internal to
 *	web/sns.c; see web/sns.h for the policy.
 */
#ifndef CUTOVER_WEB_SNS_CERT_H
#define CUTOVER_WEB_SNS_CERT_H

#include <curl/curl.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "web/sns.h"

CURLU *sns_url_check(const char *url, const struct sns_policy *p, const char *path_suffix,
                     char *err, size_t err_len);
int sns_https_get(CURLU *url, const struct sns_policy *p, struct buf *body, long *status,
                  char *err, size_t err_len);
enum sns_outcome sns_cert_get(const char *url, const struct sns_policy *p, X509 **out, char *err,
                              size_t err_len);
X509 *sns_cert_parse(const char *pem, size_t len, char *err, size_t err_len);
int sns_cert_valid_now(X509 *cert, char *err, size_t err_len);
int sns_signature_check(X509 *cert, int version, const char *text, const char *signature_b64,
                        char *err, size_t err_len);

#endif
