/* conn_salesforce_job: see conn_salesforce_job.h. */
#include "conn_salesforce_job.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "conn_json.h"

static const ConnAnswerShape sf_bulk_answer = {
    NULL, "errorCode", "message", "REQUEST_LIMIT_EXCEEDED", "INVALID_SESSION_ID", NULL, NULL
};

static bool job_build(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen)
{
    (void)msg, (void)msglen;
    Job *j = ctx;
    cm_buf_printf(&req->url, "%s/services/data/%s/jobs/%s", c->base, c->api_version, j->kind);
    if (j->id[0])
        cm_buf_printf(&req->url, "/%s", j->id);
    if (j->tail)
        cm_buf_printf(&req->url, "/%s", j->tail);
    if (j->params)
        cm_buf_printf(&req->url, "?%s", j->params);
    req->method = j->method;
    req->nheaders = 0;
    if (j->content_type)
        req->headers[req->nheaders++] = j->content_type;
    req->headers[req->nheaders++] =
        j->tail && strcmp(j->tail, "batches") != 0 ? "Accept: text/csv" : "Accept: application/json";
    if (j->body)
        cm_buf_put(&req->body, j->body, j->body_len);
    return true;
}

/* The job info of a 2xx, or a refusal's status. */
static ConnStatus job_answer(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen)
{
    (void)c;
    Job *j = ctx;
    if (r->status < 200 || r->status > 299) {
        ConnAnswer a;
        ConnStatus st = conn_open_answer(r, &sf_bulk_answer, &a, msg, msglen);
        cJSON_Delete(a.root);
        return st == CONN_OK ? CONN_REJECTED : st;
    }
    if (j->tail) { /* an upload (201, no body) or a results CSV */
        cm_buf_clear(&j->answer);
        cm_buf_put(&j->answer, r->body ? r->body : "", r->body_len);
        /* "null" on the last page (Get Results for a Query Job) */
        if (tx_header(r, "Sforce-Locator", j->locator, sizeof j->locator) == NULL || strcmp(j->locator, "null") == 0)
            j->locator[0] = '\0';
        return CONN_OK;
    }
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    const char *id = conn_str(root, "id"), *state = conn_str(root, "state");
    ConnStatus st = CONN_OK;
    if (id == NULL || state == NULL) {
        snprintf(msg, msglen, "HTTP %d: a job answer without its id and state", r->status);
        st = CONN_BAD_ANSWER;
    } else {
        snprintf(j->id, sizeof j->id, "%s", id);
        snprintf(j->state, sizeof j->state, "%s", state);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "numberRecordsProcessed");
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "numberRecordsFailed");
        j->processed = cJSON_IsNumber(p) ? (long)p->valuedouble : 0;
        j->failed = cJSON_IsNumber(f) ? (long)f->valuedouble : 0;
        const char *why = conn_str(root, "errorMessage");
        if (why && strcmp(state, "Failed") == 0)
            snprintf(msg, msglen, "the job failed: %s", why);
    }
    cJSON_Delete(root);
    return st;
}

ConnStatus sf_job_call(Job *j, const char *method, const char *tail, const char *content_type, const char *body,
                       size_t body_len, bool once, const RetryPolicy *p, const RetryClock *clk, char *msg,
                       size_t msglen)
{
    j->method = method;
    j->tail = tail;
    j->content_type = content_type;
    j->body = body;
    j->body_len = body_len;
    const ConnCall cc = { job_build, job_answer, j, once };
    j->b->requests++;
    return conn_call(j->c, j->t, &cc, p, clk, msg, msglen);
}

ConnStatus sf_job_create(Job *j, cJSON *spec, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    cJSON_AddStringToObject(spec, "contentType", "CSV");
    cJSON_AddStringToObject(spec, "columnDelimiter", "COMMA");
    cJSON_AddStringToObject(spec, "lineEnding", "LF");
    char *body = cJSON_PrintUnformatted(spec);
    cJSON_Delete(spec);
    j->id[0] = '\0';
    ConnStatus st = sf_job_call(j, "POST", NULL, "Content-Type: application/json", body, strlen(body), false, p,
                                clk, msg, msglen);
    cJSON_free(body);
    return st;
}

bool sf_job_ended(const char *state)
{
    return strcmp(state, "JobComplete") == 0 || strcmp(state, "Failed") == 0 || strcmp(state, "Aborted") == 0;
}

ConnStatus sf_job_wait(Job *j, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    int64_t wait = 0;
    ConnStatus st = CONN_OK;
    while (st == CONN_OK && !sf_job_ended(j->state)) {
        conn_bulk_pause(j->b, clk, &wait);
        st = sf_job_call(j, "GET", NULL, NULL, NULL, 0, false, p, clk, msg, msglen);
    }
    return st;
}
