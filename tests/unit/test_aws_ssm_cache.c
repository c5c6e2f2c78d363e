/*
 * test_aws_ssm_cache - Systems Manager Run Command as the cache stage uses
 *	it on aws: the SendCommand request (document, instances, command,
 *	timeouts, comment cut), and the answers of SendCommand, ListCommands
 *	and GetCommandInvocation (each status, the detail, what is refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/aws/aws_ssm.h"

#include <stdio.h>
#include <string.h>

/* str_at - a string member */
static const char *str_at(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* test_send_request - AWS-RunShellScript on the listed instances */
static void test_send_request(void **unused)
{
    char ids[2][64] = {"i-0123456789abcdef0", "i-0fedcba9876543210"};
    char comment[200];
    cJSON *req;

    (void)unused;
    memset(comment, 'c', sizeof(comment) - 1);
    comment[sizeof(comment) - 1] = '\0';
    req = aws_ssm_send_request(ids, 2, "systemctl reload php8.2-fpm", 45, comment);
    assert_string_equal(str_at(req, "DocumentName"), "AWS-RunShellScript");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(req, "InstanceIds")), 2);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(req, "InstanceIds"), 1)->valuestring,
                        "i-0fedcba9876543210");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "Parameters"),
                                                                "commands"), 0)->valuestring,
                        "systemctl reload php8.2-fpm");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "Parameters"),
                                                                "executionTimeout"), 0)->valuestring,
                        "45");
    assert_int_equal(cJSON_GetObjectItem(req, "TimeoutSeconds")->valueint, 45);
    assert_int_equal(strlen(str_at(req, "Comment")), AWS_SSM_COMMENT_MAX);
    cJSON_Delete(req);
    req = aws_ssm_send_request(ids, 1, "true", 5, "c");
    assert_int_equal(cJSON_GetObjectItem(req, "TimeoutSeconds")->valueint, 30); /* AWS's minimum */
    cJSON_Delete(req);
}

/* test_command_answers - the command id, then its instances */
static void test_command_answers(void **unused)
{
    cJSON *sent = cJSON_Parse("{\"Command\":{\"CommandId\":\"0b1c2d3e-aaaa-bbbb-cccc-0123456789ab\","
                              "\"Status\":\"Pending\"}}");
    cJSON *listed = cJSON_Parse("{\"Commands\":[{\"CommandId\":\"x\",\"InstanceIds\":"
                                "[\"i-1\",\"i-2\",\"i-3\"]}]}");
    cJSON *empty = cJSON_Parse("{\"Commands\":[]}");
    cJSON *no_id = cJSON_Parse("{\"Command\":{}}");
    char id[64], ids[2][64];
    size_t n;

    (void)unused;
    assert_int_equal(aws_ssm_command_id(sent, id, sizeof(id)), 0);
    assert_string_equal(id, "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab");
    assert_int_equal(aws_ssm_command_id(sent, id, 10), -1);
    assert_int_equal(aws_ssm_command_id(no_id, id, sizeof(id)), -1);
    assert_int_equal(aws_ssm_command_instances(listed, ids, 2, &n), -1); /* more than max */
    {
        char many[4][64];
        assert_int_equal(aws_ssm_command_instances(listed, many, 4, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(many[2], "i-3");
    }
    assert_int_equal(aws_ssm_command_instances(empty, ids, 2, &n), -1);
    cJSON_Delete(sent);
    cJSON_Delete(listed);
    cJSON_Delete(empty);
    cJSON_Delete(no_id);
}

/* invocation - aws_ssm_invocation of a JSON text; its return value */
static int invocation(const char *json, struct provider_command_instance *inst)
{
    cJSON *answer = cJSON_Parse(json);
    int rc;

    assert_non_null(answer);
    rc = aws_ssm_invocation(answer, inst);
    cJSON_Delete(answer);
    return rc;
}

/* test_invocations - each status to a state, with a detail */
static void test_invocations(void **unused)
{
    static const struct {
        const char *status;
        enum provider_command_state state;
    } cases[] = {
        {"Pending", COMMAND_RUNNING},   {"InProgress", COMMAND_RUNNING},
        {"Delayed", COMMAND_RUNNING},   {"Success", COMMAND_SUCCEEDED},
        {"Failed", COMMAND_FAILED},     {"TimedOut", COMMAND_FAILED},
        {"Cancelled", COMMAND_FAILED},  {"Cancelling", COMMAND_FAILED},
        {"Undeliverable", COMMAND_FAILED},
    };
    struct provider_command_instance inst;
    char json[512];

    (void)unused;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(json, sizeof(json), "{\"InstanceId\":\"i-9\",\"Status\":\"%s\",\"ResponseCode\":0}",
                 cases[i].status);
        assert_int_equal(invocation(json, &inst), 0);
        assert_int_equal(inst.state, cases[i].state);
        assert_string_equal(inst.id, "i-9");
    }
    assert_int_equal(invocation("{\"InstanceId\":\"i-7\",\"Status\":\"Failed\",\"ResponseCode\":2,"
                                "\"StandardOutputContent\":\"reloading\\n\","
                                "\"StandardErrorContent\":\"first\\nphp-fpm: no such unit\\n\\n\"}",
                                &inst), 0);
    assert_string_equal(inst.detail, "Failed (code 2): php-fpm: no such unit");
    assert_int_equal(invocation("{\"InstanceId\":\"i-7\",\"Status\":\"Success\",\"ResponseCode\":0,"
                                "\"StandardOutputContent\":\"done\\tok\\n\"}", &inst), 0);
    assert_string_equal(inst.detail, "Success (code 0): done ok");
    assert_int_equal(invocation("{\"Status\":\"Success\"}", &inst), -1);
    assert_int_equal(invocation("{\"InstanceId\":\"i-7\"}", &inst), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_request),
        cmocka_unit_test(test_command_answers),
        cmocka_unit_test(test_invocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
