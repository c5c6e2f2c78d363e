/*
 * fuzz_aws_json - AWS's JSON error replies (JSON 1.1 APIs: CodeDeploy).
 *
 * DESCRIPTION
 *	Input: a response body, read as an error reply by aws_error_parse()
 *	with an HTTP 400 and an X-Amzn-ErrorType header, then judged
 *	retryable or not and formatted as the provider logs it.
 */
#include "harness.h"

#include "provider/aws/aws_http.h"

/* LLVMFuzzerTestOneInput - one JSON response */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aws_error e = { 0 };
    char line[1024];

    aws_error_parse(400, (const char *)data, size, "req-1",
                    "ValidationException:http://internal.amazon.com/", &e);
    aws_error_format(&e, line, sizeof(line));
    aws_error_retryable(&e);
    return 0;
}
