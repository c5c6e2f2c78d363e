/*
 * provider_aws_codedeploy - releases onto a color through CodeDeploy, for
 *                           the aws provider.
 *
 * SYNOPSIS
 *	provider_aws_deploy_start(p, COLOR_GREEN, &rel, handle, sizeof(handle), err, len);
 *	provider_aws_deploy_poll(p, handle, &status, detail, sizeof(detail));
 *	provider_aws_deploy_stop(p, handle, err, len);
 *
 * DESCRIPTION
 *	deploy_start() creates a deployment to the color's deployment group
 *	with an S3 revision taken from the artifact uri (s3://bucket/key; the
 *	bundle type from the key's extension: .tar.gz and .tgz are tgz, .tar
 *	is tar, .zip is zip) and the description "cutover:<deployment id>
 *	<environment> <version>". Before creating, it looks through the
 *	group's deployments (ListDeployments, BatchGetDeployments) for one
 *	whose description carries the same deployment id, so that a
 *	deploy_start() after a crash finds the deployment it already created
 *	instead of starting a second one. The handle is CodeDeploy's
 *	deployment id.
 *
 *	deploy_poll() maps GetDeployment's status: Succeeded, Failed and
 *	Stopped end the deployment; Created, Queued, InProgress, Baking and
 *	Ready are in progress. The detail carries the status and, when
 *	CodeDeploy gives one, its error code and message.
 *
 *	deploy_stop() is StopDeployment; a deployment that already ended is
 *	not an error.
 */
#include "provider/aws/provider_aws_internal.h"

#include <stdio.h>
#include <string.h>

#define AWS_DEPLOY_BATCH 25
#define AWS_DEPLOY_PAGES_MAX 4
#define AWS_DEPLOY_ID_MAX 64

/* ---- finding a deployment again ----------------------------------------- */

/* description_matches - whether desc is "cutover:<deployment_id>" or starts with it and a space */
static int description_matches(const char *desc, const char *deployment_id)
{
    size_t tl = strlen(AWS_DEPLOY_TAG), il = strlen(deployment_id);

    return strncmp(desc, AWS_DEPLOY_TAG, tl) == 0 && strncmp(desc + tl, deployment_id, il) == 0 &&
           (desc[tl + il] == '\0' || desc[tl + il] == ' ');
}

/* batch_match - among ids[from, from + n), the deployment whose description matches */
static int batch_match(struct aws_provider *p, const cJSON *ids, int from, int n,
                       const char *deployment_id, char *handle, size_t handle_len, char *err,
                       size_t err_len)
{
    cJSON *req = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(req, "deploymentIds");
    cJSON *resp = NULL;
    const cJSON *info;
    int rc = -1;

    for (int i = from; i < from + n; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(cJSON_GetArrayItem(ids, i)->valuestring));
    if (provider_aws_json(p, "BatchGetDeployments", req, &resp, err, err_len) != 0)
        goto out;
    rc = 0;
    cJSON_ArrayForEach(info, cJSON_GetObjectItemCaseSensitive(resp, "deploymentsInfo")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(info, "description");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(info, "deploymentId");
        if (cJSON_IsString(d) && cJSON_IsString(id) &&
            description_matches(d->valuestring, deployment_id)) {
            snprintf(handle, handle_len, "%s", id->valuestring);
            rc = 1;
            break;
        }
    }
out:
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}

/* page_match - one page of ListDeployments; 1 found, 0 not here (token: the next), -1 error */
static int page_match(struct aws_provider *p, enum color c, const char *deployment_id,
                      char *token, size_t token_len, char *handle, size_t handle_len, char *err,
                      size_t err_len)
{
    cJSON *req = cJSON_CreateObject(), *resp = NULL;
    const cJSON *ids, *next;
    int rc = -1, n;

    cJSON_AddStringToObject(req, "applicationName", p->application);
    cJSON_AddStringToObject(req, "deploymentGroupName", p->deployment_group[c]);
    if (token[0] != '\0')
        cJSON_AddStringToObject(req, "nextToken", token);
    if (provider_aws_json(p, "ListDeployments", req, &resp, err, err_len) != 0)
        goto out;
    ids = cJSON_GetObjectItemCaseSensitive(resp, "deployments");
    next = cJSON_GetObjectItemCaseSensitive(resp, "nextToken");
    snprintf(token, token_len, "%s", cJSON_IsString(next) ? next->valuestring : "");
    n = cJSON_IsArray(ids) ? cJSON_GetArraySize(ids) : 0;
    rc = 0;
    for (int from = 0; from < n && rc == 0; from += AWS_DEPLOY_BATCH)
        rc = batch_match(p, ids, from, n - from < AWS_DEPLOY_BATCH ? n - from : AWS_DEPLOY_BATCH,
                         deployment_id, handle, handle_len, err, err_len);
out:
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}

/* deploy_find - the group's deployment for deployment_id: 1 found, 0 none, -1 error */
static int deploy_find(struct aws_provider *p, enum color c, const char *deployment_id,
                       char *handle, size_t handle_len, char *err, size_t err_len)
{
    char token[1024] = "";
    int rc, page = 0;

    do {
        rc = page_match(p, c, deployment_id, token, sizeof(token), handle, handle_len, err,
                        err_len);
    } while (rc == 0 && token[0] != '\0' && ++page < AWS_DEPLOY_PAGES_MAX);
    return rc;
}

/* ---- creating one ------------------------------------------------------- */

/* bundle_type - CodeDeploy's bundle type for an S3 key; NULL when unknown */
static const char *bundle_type(const char *key)
{
    static const struct { const char *ext, *type; } types[] = {
        { ".tar.gz", "tgz" }, { ".tgz", "tgz" }, { ".tar", "tar" }, { ".zip", "zip" },
    };
    size_t kl = strlen(key);

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t el = strlen(types[i].ext);
        if (kl > el && strcmp(key + kl - el, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

/* revision_add - the S3 revision of uri as req's "revision" */
static int revision_add(cJSON *req, const char *uri, char *err, size_t err_len)
{
    char bucket[256];
    const char *slash, *type;
    cJSON *rev, *loc;

    if (uri == NULL || strncmp(uri, "s3://", 5) != 0 || (slash = strchr(uri + 5, '/')) == NULL ||
        slash == uri + 5 || slash[1] == '\0' || (size_t)(slash - uri - 5) >= sizeof(bucket)) {
        snprintf(err, err_len, "deploy_start: the aws provider needs an s3://bucket/key artifact");
        return -1;
    }
    if ((type = bundle_type(slash + 1)) == NULL) {
        snprintf(err, err_len, "deploy_start: %s is not a .tar.gz, .tgz, .tar or .zip", uri);
        return -1;
    }
    snprintf(bucket, sizeof(bucket), "%.*s", (int)(slash - uri - 5), uri + 5);
    rev = cJSON_AddObjectToObject(req, "revision");
    cJSON_AddStringToObject(rev, "revisionType", "S3");
    loc = cJSON_AddObjectToObject(rev, "s3Location");
    cJSON_AddStringToObject(loc, "bucket", bucket);
    cJSON_AddStringToObject(loc, "key", slash + 1);
    cJSON_AddStringToObject(loc, "bundleType", type);
    return 0;
}

/* deploy_create - CreateDeployment of rel to color c; its id in handle */
static int deploy_create(struct aws_provider *p, enum color c, const struct provider_release *rel,
                         char *handle, size_t handle_len, char *err, size_t err_len)
{
    cJSON *req = cJSON_CreateObject(), *resp = NULL;
    const cJSON *id;
    char desc[512];
    int rc = -1;

    snprintf(desc, sizeof(desc), "%s%s %s %s", AWS_DEPLOY_TAG, rel->deployment_id,
             p->environment, rel->version ? rel->version : "");
    cJSON_AddStringToObject(req, "applicationName", p->application);
    cJSON_AddStringToObject(req, "deploymentGroupName", p->deployment_group[c]);
    cJSON_AddStringToObject(req, "description", desc);
    if (p->deployment_config[0] != '\0')
        cJSON_AddStringToObject(req, "deploymentConfigName", p->deployment_config);
    if (revision_add(req, rel->artifact_uri, err, err_len) != 0 ||
        provider_aws_json(p, "CreateDeployment", req, &resp, err, err_len) != 0)
        goto out;
    id = cJSON_GetObjectItemCaseSensitive(resp, "deploymentId");
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= handle_len) {
        snprintf(err, err_len, "CreateDeployment: no deploymentId in the answer");
        goto out;
    }
    snprintf(handle, handle_len, "%s", id->valuestring);
    rc = 0;
out:
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}

/* provider_aws_deploy_start - find or create the deployment of rel to color c */
int provider_aws_deploy_start(void *state, enum color c, const struct provider_release *rel,
                              char *handle, size_t handle_len, char *err, size_t err_len)
{
    struct aws_provider *p = state;
    cJSON *probe = cJSON_CreateObject();
    int rc;

    if (rel->deployment_id == NULL || rel->deployment_id[0] == '\0') {
        snprintf(err, err_len, "deploy_start: no deployment id");
        cJSON_Delete(probe);
        return -1;
    }
    /* refuse a bad artifact before looking anything up */
    rc = revision_add(probe, rel->artifact_uri, err, err_len);
    cJSON_Delete(probe);
    if (rc != 0)
        return -1;
    rc = deploy_find(p, c, rel->deployment_id, handle, handle_len, err, err_len);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    return deploy_create(p, c, rel, handle, handle_len, err, err_len);
}

/* ---- following and stopping it ------------------------------------------ */

/* status_parse - CodeDeploy's status into ours */
static enum provider_deploy_status status_parse(const char *status)
{
    if (strcmp(status, "Succeeded") == 0)
        return DEPLOY_SUCCEEDED;
    if (strcmp(status, "Failed") == 0)
        return DEPLOY_FAILED;
    if (strcmp(status, "Stopped") == 0)
        return DEPLOY_STOPPED;
    return DEPLOY_IN_PROGRESS;
}

/* id_request - {"deploymentId": handle} */
static cJSON *id_request(const char *handle)
{
    cJSON *req = cJSON_CreateObject();

    cJSON_AddStringToObject(req, "deploymentId", handle);
    return req;
}

/* detail_append - sep and the string item at the end of detail, when item is one */
static void detail_append(char *detail, size_t detail_len, const char *sep, const cJSON *item)
{
    size_t used = strlen(detail);

    if (cJSON_IsString(item) && item->valuestring[0] != '\0' && used + 1 < detail_len)
        snprintf(detail + used, detail_len - used, "%s%s", sep, item->valuestring);
}

/* provider_aws_deploy_poll - the deployment's status; detail says why it ended */
int provider_aws_deploy_poll(void *state, const char *handle, enum provider_deploy_status *out,
                             char *detail, size_t detail_len)
{
    struct aws_provider *p = state;
    cJSON *req = id_request(handle), *resp = NULL;
    const cJSON *info, *status, *err_info, *code, *msg;
    int rc = -1;

    if (provider_aws_json(p, "GetDeployment", req, &resp, detail, detail_len) != 0)
        goto out;
    info = cJSON_GetObjectItemCaseSensitive(resp, "deploymentInfo");
    status = cJSON_GetObjectItemCaseSensitive(info, "status");
    if (!cJSON_IsString(status)) {
        snprintf(detail, detail_len, "GetDeployment: no status for %s", handle);
        goto out;
    }
    *out = status_parse(status->valuestring);
    err_info = cJSON_GetObjectItemCaseSensitive(info, "errorInformation");
    code = cJSON_GetObjectItemCaseSensitive(err_info, "code");
    msg = cJSON_GetObjectItemCaseSensitive(err_info, "message");
    snprintf(detail, detail_len, "%s %s", handle, status->valuestring);
    detail_append(detail, detail_len, ": ", code);
    detail_append(detail, detail_len, " ", msg);
    rc = 0;
out:
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}

/* provider_aws_deploy_stop - StopDeployment; one that already ended is fine */
int provider_aws_deploy_stop(void *state, const char *handle, char *err, size_t err_len)
{
    struct aws_provider *p = state;
    cJSON *req = id_request(handle), *resp = NULL;
    int rc;

    cJSON_AddBoolToObject(req, "autoRollbackEnabled", 0);
    rc = provider_aws_json(p, "StopDeployment", req, &resp, err, err_len);
    if (rc != 0 && strstr(err, "DeploymentAlreadyCompleted") != NULL)
        rc = 0;
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return rc;
}
