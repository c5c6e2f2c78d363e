/*
 * fuzz_aws_xml - AWS's XML responses (query APIs: ELBv2, Auto Scaling, CloudFront,
 *                CloudWatch).
 *
 * DESCRIPTION
 *	Input: a response body. It is parsed with aws_xml_parse() and read
 *	with the paths the provider reads; read as CloudWatch's GetMetricData
 *	answer (aws_cloudwatch_parse()); and read as an error reply
 *	(aws_error_parse() with an HTTP 400) and the error formatted.
 */
#include "harness.h"

#include "provider/aws/aws_cloudwatch.h"
#include "provider/aws/aws_http.h"
#include "provider/aws/aws_xml.h"

#define FUZZ_NODES 8

/* fuzz_xml_read - the paths the provider reads, under the root and under each match */
static void fuzz_xml_read(struct aws_xml *x)
{
    const struct aws_xml_node *nodes[FUZZ_NODES];
    char text[256];
    int n = aws_xml_select(x, NULL, "DescribeTargetHealthResult/TargetHealthDescriptions/member",
                           nodes, FUZZ_NODES);

    for (int i = 0; i < n && i < FUZZ_NODES; i++) {
        aws_xml_text(x, nodes[i], "Target/Id", text, sizeof(text));
        aws_xml_text(x, nodes[i], "TargetHealth/State", text, sizeof(text));
    }
    aws_xml_text(x, NULL, "Error/Code", text, sizeof(text));
    aws_xml_text(x, NULL, "ResponseMetadata/RequestId", text, sizeof(text));
}

/* LLVMFuzzerTestOneInput - one XML response */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aws_error e = { 0 };
    char err[512], line[1024];
    double value;
    struct aws_xml *x = aws_xml_parse((const char *)data, size, err, sizeof(err));

    if (x) {
        fuzz_xml_read(x);
        aws_xml_free(x);
    }
    aws_cloudwatch_parse((const char *)data, size, &value, err, sizeof(err));
    aws_error_parse(400, (const char *)data, size, "req-1", NULL, &e);
    aws_error_format(&e, line, sizeof(line));
    return 0;
}
