/*
 * provider_aws_autoscaling - scale and health of a color for the aws
 *                            provider: its Auto Scaling Group, and the
 *                            load balancer's view of its target group.
 *
 * SYNOPSIS
 *	provider_aws_scale(p, COLOR_GREEN, 2, err, sizeof(err));
 *	provider_aws_health(p, COLOR_GREEN, &h, err, sizeof(err));
 *
 * DESCRIPTION
 *	scale() is absolute: UpdateAutoScalingGroup sets MinSize and
 *	DesiredCapacity to the capacity and MaxSize to the larger of the
 *	capacity and aws.capacity.max (0 when the capacity is 0, so that a
 *	retired color stays empty). A capacity other than 0 outside
 *	aws.capacity {min, max} is refused.
 *
 *	health(): desired is the group's DesiredCapacity; running counts the
 *	group's instances that are neither terminating nor terminated;
 *	healthy counts those that are InService and Healthy in the group AND
 *	healthy targets of the color's target group (DescribeTargetHealth).
 *	Both views are needed: a target group may still list an instance the
 *	group has already replaced, and an instance the group calls healthy
 *	may not yet pass the load balancer's check.
 */
#include "provider/aws/provider_aws_internal.h"

#include <stdio.h>
#include <string.h>

#define AWS_GROUP_MAX_INSTANCES 256

/* provider_aws_scale - the color's group to exactly capacity instances */
int provider_aws_scale(void *state, enum color c, int capacity, char *err, size_t err_len)
{
    struct aws_provider *p = state;
    struct aws_query q;
    struct aws_xml *x = NULL;
    char min[16], max[16];
    int rc;

    if (capacity < 0 || (capacity > 0 && (capacity < p->capacity_min ||
                                          capacity > p->capacity_max))) {
        snprintf(err, err_len, "scale: capacity %d is outside aws.capacity %d..%d", capacity,
                 p->capacity_min, p->capacity_max);
        return -1;
    }
    snprintf(min, sizeof(min), "%d", capacity);
    snprintf(max, sizeof(max), "%d", capacity == 0 ? 0
                                     : capacity > p->capacity_max ? capacity : p->capacity_max);
    aws_query_init(&q);
    aws_query_add(&q, p->asg[c], "AutoScalingGroupName");
    aws_query_add(&q, min, "MinSize");
    aws_query_add(&q, max, "MaxSize");
    aws_query_add(&q, min, "DesiredCapacity");
    rc = provider_aws_query(p, AWS_SERVICE_AUTOSCALING, "UpdateAutoScalingGroup", &q, &x, err,
                            err_len);
    aws_xml_free(x);
    return rc;
}

/* provider_aws_id_listed - whether id is one of ids[0..n) */
int provider_aws_id_listed(char ids[][64], size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

/* group_count - count the group's live instances and the healthy ones among targets */
static void group_count(struct aws_xml *x, const struct aws_xml_node *group, char targets[][64],
                        size_t ntargets, struct provider_health *out)
{
    const struct aws_xml_node *inst[AWS_GROUP_MAX_INSTANCES];
    char id[64], life[64], status[32];
    int n = aws_xml_select(x, group, "Instances/member", inst, AWS_GROUP_MAX_INSTANCES);

    for (int i = 0; i < n && i < AWS_GROUP_MAX_INSTANCES; i++) {
        if (aws_xml_text(x, inst[i], "InstanceId", id, sizeof(id)) != 0 ||
            aws_xml_text(x, inst[i], "LifecycleState", life, sizeof(life)) != 0)
            continue;
        if (strncmp(life, "Terminat", 8) == 0)
            continue;
        out->running++;
        if (aws_xml_text(x, inst[i], "HealthStatus", status, sizeof(status)) == 0 &&
            strcmp(life, "InService") == 0 && strcmp(status, "Healthy") == 0 &&
            provider_aws_id_listed(targets, ntargets, id))
            out->healthy++;
    }
}

/* provider_aws_group_describe - DescribeAutoScalingGroups of color c's
 * group: the answer in *x (aws_xml_free it) and the group's node */
int provider_aws_group_describe(struct aws_provider *p, enum color c, struct aws_xml **x,
                                const struct aws_xml_node **group, char *err, size_t err_len)
{
    struct aws_query q;

    *x = NULL;
    aws_query_init(&q);
    aws_query_add(&q, p->asg[c], "AutoScalingGroupNames.member.1");
    if (provider_aws_query(p, AWS_SERVICE_AUTOSCALING, "DescribeAutoScalingGroups", &q, x, err,
                           err_len) != 0)
        return -1;
    if (aws_xml_select(*x, NULL, "//AutoScalingGroups/member", group, 1) < 1) {
        snprintf(err, err_len, "DescribeAutoScalingGroups: no group named %s", p->asg[c]);
        return -1;
    }
    return 0;
}

/* provider_aws_health - desired, running and healthy instances of color c */
int provider_aws_health(void *state, enum color c, struct provider_health *out, char *err,
                        size_t err_len)
{
    char targets[AWS_GROUP_MAX_INSTANCES][64];
    struct aws_provider *p = state;
    const struct aws_xml_node *group[1];
    struct aws_xml *x = NULL;
    size_t ntargets = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (provider_aws_target_healthy(p, c, targets, AWS_GROUP_MAX_INSTANCES, &ntargets, err,
                                    err_len) != 0)
        return -1;
    if (provider_aws_group_describe(p, c, &x, group, err, err_len) != 0)
        goto out;
    out->desired = provider_aws_xml_int(x, group[0], "DesiredCapacity", 0);
    group_count(x, group[0], targets, ntargets, out);
    rc = 0;
out:
    aws_xml_free(x);
    return rc;
}
