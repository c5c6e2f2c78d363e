/*
 * aws_sign_cli - "cutover aws sign": sign a raw HTTP request with SigV4 and
 *                show every step.
 *
 * SYNOPSIS
 *	cutover aws sign --service S [--region R] [--time YYYYMMDDTHHMMSSZ] < request
 *
 *	int aws_sign_cli_main(int argc, char **argv);	(argv[0] == "sign")
 *	int aws_sign_cli_run(raw, raw_len, region, service, amz_date, &creds, out,
 *	                     err, sizeof(err));
 *
 * DESCRIPTION
 *	The request is in the format of AWS's SigV4 test suite: a request line
 *	"METHOD PATH[?QUERY] HTTP/1.1", header lines "Name:value" (a line
 *	that starts with white space continues the previous value), a blank
 *	line and the body. Credentials come from the usual sources
 *	(aws_credentials.h), the region from --region or the usual sources,
 *	the time from --time or the clock. The output is
 *
 *	  == canonical request ==
 *	  <canonical request>
 *	  (blank line)
 *	  == string to sign ==
 *	  <string to sign>
 *	  (blank line)
 *	  == signed request ==
 *	  <the request with X-Amz-Date, X-Amz-Security-Token (with a session
 *	   token), X-Amz-Content-SHA256 (s3) and Authorization>
 *
 *	Exit status: 0 signed, 1 no credentials, 2 bad usage or bad input.
 *	The secret key never appears in the output; the session token does
 *	(it is a header of the signed request).
 */
#ifndef CUTOVER_AWS_SIGN_CLI_H
#define CUTOVER_AWS_SIGN_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "provider/aws/sigv4.h"

int aws_sign_cli_main(int argc, char **argv);

/* aws_sign_cli_run - parse, sign and print; 0, or -1 with err (bad input) */
int aws_sign_cli_run(const char *raw, size_t raw_len, const char *region, const char *service,
                     const char *amz_date, const struct sigv4_credentials *creds, FILE *out,
                     char *err, size_t err_len);

#endif
