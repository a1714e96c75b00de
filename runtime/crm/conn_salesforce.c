/* conn_salesforce: Salesforce REST sObject Collections — create (POST
 * composite/sobjects), update by Id (PATCH composite/sobjects) and upsert by an
 * external id or idLookup field (PATCH composite/sobjects/TYPE/FIELD), 200
 * records a request, allOrNone false, one result per record in order:
 * {id, success, errors: [{statusCode, message, fields}], created}. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_salesforce.h"

#define SF_MAX_BATCH 200

static size_t sf_max_batch(const Connector *c, ConnOp op)
{
    (void)c;
    (void)op;
    return SF_MAX_BATCH;
}

static bool sf_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    if (b->n == 0 || b->n > SF_MAX_BATCH) {
        snprintf(err, errlen, "a Salesforce batch holds 1 to %d records, not %zu", SF_MAX_BATCH, b->n);
        return false;
    }
    if (b->op != CONN_CREATE && b->key_field == NULL) {
        snprintf(err, errlen, "update and upsert need a key field");
        return false;
    }
    cm_buf_printf(&out->url, "%s/services/data/%s/composite/sobjects", c->base, c->api_version);
    if (b->op == CONN_UPSERT) {
        cm_buf_putc(&out->url, '/');
        conn_url_escape(&out->url, b->entity);
        cm_buf_putc(&out->url, '/');
        conn_url_escape(&out->url, b->key_field);
    }
    out->method = b->op == CONN_CREATE ? "POST" : "PATCH";
    out->headers[0] = "Content-Type: application/json";
    out->headers[1] = "Accept: application/json";
    out->nheaders = 2;

    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "allOrNone", false);
    cJSON *records = cJSON_AddArrayToObject(root, "records");
    bool ok = true;
    for (size_t i = 0; i < b->n && ok; i++) {
        cJSON *payload = cJSON_Parse(b->records[i].payload);
        if (!cJSON_IsObject(payload)) {
            snprintf(err, errlen, "record %zu: the payload is not a JSON object", i + 1);
            cJSON_Delete(payload);
            ok = false;
            break;
        }
        /* attributes first, as Salesforce's own clients send it, then the fields in order */
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddItemToArray(records, rec);
        cJSON *attrs = cJSON_AddObjectToObject(rec, "attributes");
        cJSON_AddStringToObject(attrs, "type", b->entity);
        while (payload->child) {
            cJSON *f = cJSON_DetachItemViaPointer(payload, payload->child);
            cJSON_AddItemToObject(rec, f->string, f);
        }
        cJSON_Delete(payload);
        if (b->op != CONN_CREATE) {
            /* The key travels in the record; a payload may carry it already
             * (an upsert by Id with "Id": null creates). */
            const char *key = b->records[i].key;
            const char *kf = b->op == CONN_UPDATE ? "Id" : b->key_field;
            if (cJSON_GetObjectItemCaseSensitive(rec, kf) != NULL)
                continue;
            if (key == NULL || key[0] == '\0') {
                snprintf(err, errlen, "record %zu: no value for the key %s", i + 1, b->key_field);
                ok = false;
                break;
            }
            cJSON_AddStringToObject(rec, kf, key);
        }
    }
    if (ok) {
        char *text = cJSON_PrintUnformatted(root);
        cm_buf_puts(&out->body, text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return ok;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A request-level error: [{"errorCode": ..., "message": ...}]. */
static ConnStatus whole_request_error(const ConnBatch *b, const TxResponse *r, const cJSON *root,
                                      ConnResult *results, char *msg, size_t msglen)
{
    const cJSON *first = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
    const char *code = str(first, "errorCode");
    const char *message = str(first, "message");
    snprintf(msg, msglen, "HTTP %d %s: %s", r->status, code ? code : "", message ? message : "");
    if (code && strcmp(code, "REQUEST_LIMIT_EXCEEDED") == 0)
        return CONN_BUSY;
    if (r->status == 403 || (code && strcmp(code, "INVALID_SESSION_ID") == 0))
        return CONN_AUTH;
    for (size_t i = 0; i < b->n; i++)
        conn_result_error(&results[i], code ? code : "HTTP_ERROR", message ? message : msg, NULL);
    return CONN_REJECTED;
}

static void record_result(const ConnBatch *b, const cJSON *item, ConnResult *res)
{
    const char *id = str(item, "id");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "success"))) {
        res->ok = true;
        snprintf(res->id, sizeof res->id, "%s", id ? id : "");
        const cJSON *created = cJSON_GetObjectItemCaseSensitive(item, "created");
        res->created = b->op == CONN_CREATE || cJSON_IsTrue(created);
        return;
    }
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "errors"), 0);
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(e, "fields");
    const cJSON *f0 = cJSON_GetArrayItem(fields, 0);
    const char *code = str(e, "statusCode");
    conn_result_error(res, code ? code : "UNKNOWN_ERROR", str(e, "message"), cJSON_IsString(f0) ? f0->valuestring : NULL);
    res->retry = code && strcmp(code, "UNABLE_TO_LOCK_ROW") == 0;
}

static ConnStatus sf_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                           char *msg, size_t msglen)
{
    (void)c;
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    ConnStatus st;
    if (root == NULL) {
        snprintf(msg, msglen, "HTTP %d with an answer that is not JSON (%zu bytes)", r->status, r->body_len);
        st = CONN_BAD_ANSWER;
    } else if (r->status < 200 || r->status > 299) {
        st = whole_request_error(b, r, root, results, msg, msglen);
    } else if (!cJSON_IsArray(root) || (size_t)cJSON_GetArraySize(root) != b->n) {
        snprintf(msg, msglen, "expected %zu results, got %s", b->n, cJSON_IsArray(root) ? "a different number" : "no list");
        st = CONN_BAD_ANSWER;
    } else {
        size_t i = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, root)
            record_result(b, item, &results[i++]);
        st = CONN_OK;
    }
    cJSON_Delete(root);
    return st;
}

/* ---- reading current records: SOQL WHERE key IN (...) ---- */

#define SF_MAX_READ 100     /* keys per query: the GET URL stays well under 16 KB */

static void soql_string(CmBuf *b, const char *s)
{
    cm_buf_putc(b, '\'');
    for (; *s; s++) {
        switch (*s) {
        case '\'': cm_buf_puts(b, "\\'"); break;
        case '\\': cm_buf_puts(b, "\\\\"); break;
        case '\n': cm_buf_puts(b, "\\n"); break;
        case '\r': cm_buf_puts(b, "\\r"); break;
        case '\t': cm_buf_puts(b, "\\t"); break;
        default: cm_buf_putc(b, *s); break;
        }
    }
    cm_buf_putc(b, '\'');
}

static bool sf_build_read(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen)
{
    if (!conn_plain_name(r->entity) || !conn_plain_name(r->key_field)) {
        snprintf(err, errlen, "entity and key must be plain names");
        return false;
    }
    CmBuf q = CM_BUF_INIT;
    cm_buf_printf(&q, "SELECT Id");
    if (strcmp(r->key_field, "Id") != 0)
        cm_buf_printf(&q, ",%s", r->key_field);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!conn_plain_name(r->fields[i])) {
            snprintf(err, errlen, "field '%.60s' is not a plain name", r->fields[i]);
            cm_buf_free(&q);
            return false;
        }
        if (strcmp(r->fields[i], "Id") != 0 && strcmp(r->fields[i], r->key_field) != 0)
            cm_buf_printf(&q, ",%s", r->fields[i]);
    }
    cm_buf_printf(&q, " FROM %s WHERE %s IN (", r->entity, r->key_field);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            cm_buf_putc(&q, ',');
        soql_string(&q, r->keys[i]);
    }
    cm_buf_putc(&q, ')');
    cm_buf_printf(&out->url, "%s/services/data/%s/query?q=", c->base, c->api_version);
    conn_url_escape(&out->url, q.data);
    cm_buf_free(&q);
    out->method = "GET";
    out->headers[0] = "Accept: application/json";
    out->nheaders = 1;
    return true;
}

static ConnStatus sf_parse_read(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                                char *msg, size_t msglen)
{
    (void)c;
    cJSON *root = cJSON_ParseWithLength(resp->body, resp->body_len);
    ConnStatus st = CONN_OK;
    if (root == NULL) {
        snprintf(msg, msglen, "HTTP %d with an answer that is not JSON (%zu bytes)", resp->status, resp->body_len);
        st = CONN_BAD_ANSWER;
    } else if (resp->status < 200 || resp->status > 299) {
        const cJSON *first = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
        const char *code = str(first, "errorCode"), *message = str(first, "message");
        snprintf(msg, msglen, "HTTP %d %s: %s", resp->status, code ? code : "", message ? message : "");
        st = code && strcmp(code, "REQUEST_LIMIT_EXCEEDED") == 0 ? CONN_BUSY
             : resp->status == 403 ? CONN_AUTH : CONN_REJECTED;
    } else if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "records"))) {
        snprintf(msg, msglen, "a query answer without records");
        st = CONN_BAD_ANSWER;
    } else {
        const cJSON *rec;
        cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "records")) {
            const char *key = str(rec, r->key_field);
            for (size_t i = 0; key && i < r->n; i++) {
                /* text keys compare as Salesforce does, without case */
                if (out[i].found || strcasecmp(r->keys[i], key) != 0)
                    continue;
                conn_current_fill(&out[i], str(rec, "Id"), rec, r);
                break;
            }
        }
    }
    cJSON_Delete(root);
    return st;
}

static void sf_free(Connector *c)
{
    cm_free(c);
}

static const ConnectorOps sf_ops = {
    "salesforce", sf_max_batch, sf_build, sf_parse, false, SF_MAX_READ, sf_build_read, sf_parse_read,
    NULL, 0, NULL, NULL, sf_free,    /* a write carries its links (lookup fields) */
};

Connector *conn_salesforce_new(const char *base_url, const char *api_version)
{
    Connector *c = cm_calloc(1, sizeof *c);
    conn_init(c, &sf_ops, base_url, api_version ? api_version : crm_salesforce.default_api_version);
    return c;
}
