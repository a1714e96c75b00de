/* conn_salesforce: Salesforce REST sObject Collections — create (POST
 * composite/sobjects), update by Id (PATCH composite/sobjects) and upsert by an
 * external id or idLookup field (PATCH composite/sobjects/TYPE/FIELD), 200
 * records a request, allOrNone false, one result per record in order:
 * {id, success, errors: [{statusCode, message, fields}], created}. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_salesforce.h"

#define SF_MAX_BATCH 200

static size_t sf_max_batch(const Connector *c, const char *entity, ConnOp op)
{
    (void)c;
    (void)entity;
    (void)op;
    return SF_MAX_BATCH;
}

/* One record of the collection: attributes first, as Salesforce's own
 * clients send it, then the fields in order. */
static bool sf_record(const ConnBatch *b, size_t i, cJSON *payload, cJSON *rec, char *err, size_t errlen)
{
    cJSON *attrs = cJSON_AddObjectToObject(rec, "attributes");
    cJSON_AddStringToObject(attrs, "type", b->entity);
    while (payload->child) {
        cJSON *f = cJSON_DetachItemViaPointer(payload, payload->child);
        cJSON_AddItemToObject(rec, f->string, f);
    }
    if (b->op == CONN_CREATE)
        return true;
    /* The key travels in the record; a payload may carry it already (an
     * upsert by Id with "Id": null creates). */
    const char *key = b->records[i].key;
    const char *kf = b->op == CONN_UPDATE ? "Id" : b->key_field;
    if (cJSON_GetObjectItemCaseSensitive(rec, kf) != NULL)
        return true;
    if (key == NULL || key[0] == '\0') {
        snprintf(err, errlen, "record %zu: no value for the key %s", i + 1, b->key_field);
        return false;
    }
    cJSON_AddStringToObject(rec, kf, key);
    return true;
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
        cm_buf_put_percent(&out->url, b->entity);
        cm_buf_putc(&out->url, '/');
        cm_buf_put_percent(&out->url, b->key_field);
    }
    conn_json_request(out, b->op == CONN_CREATE ? "POST" : "PATCH");

    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "allOrNone", false);
    cJSON *records = cJSON_AddArrayToObject(root, "records");
    return conn_json_body(out, root, conn_payload_items(b, records, sf_record, err, errlen));
}

/* A request-level error is [{"errorCode": ..., "message": ...}]; a query's
 * answer lists "records", a write's answer is the list. */
static const ConnAnswerShape sf_answer = { NULL, "errorCode", "message", "REQUEST_LIMIT_EXCEEDED", "INVALID_SESSION_ID",
                                           NULL, NULL };
static const ConnAnswerShape sf_query_answer = { NULL, "errorCode", "message", "REQUEST_LIMIT_EXCEEDED",
                                                 "INVALID_SESSION_ID", "records", NULL };

bool sf_already_there(const ConnBatch *b, const char *code, ConnResult *res)
{
    /* a second run, or a member added by hand */
    if (b->op != CONN_CREATE || code == NULL || strcmp(code, crm_salesforce.unique_code) != 0
        || !crm_unique_create(&crm_salesforce, b->entity))
        return false;
    memset(res, 0, sizeof *res);
    res->ok = true;
    return true;
}

static void record_result(const ConnBatch *b, const cJSON *item, ConnResult *res)
{
    const char *id = conn_str(item, "id");
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
    const char *code = conn_str(e, "statusCode");
    if (sf_already_there(b, code, res))
        return;
    conn_result_error(res, code ? code : "UNKNOWN_ERROR", conn_str(e, "message"), cJSON_IsString(f0) ? f0->valuestring : NULL);
    res->retry = code && strcmp(code, "UNABLE_TO_LOCK_ROW") == 0;
}

static ConnStatus sf_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                           char *msg, size_t msglen)
{
    (void)c;
    ConnAnswer a;
    ConnStatus st = conn_open_write_answer(r, &sf_answer, b, results, &a, msg, msglen);
    if (st == CONN_OK && (size_t)cJSON_GetArraySize(a.list) != b->n) {
        snprintf(msg, msglen, "expected %zu results, got %d", b->n, cJSON_GetArraySize(a.list));
        st = CONN_BAD_ANSWER;
    } else if (st == CONN_OK) {
        size_t i = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, a.list)
            record_result(b, item, &results[i++]);
    }
    cJSON_Delete(a.root);
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

bool sf_soql(const ConnRead *r, bool by_keys, CmBuf *q, char *err, size_t errlen)
{
    if (!conn_plain_name(r->entity) || !conn_plain_name(r->key_field)) {
        snprintf(err, errlen, "entity and key must be plain names");
        return false;
    }
    cm_buf_printf(q, "SELECT Id");
    if (strcmp(r->key_field, "Id") != 0)
        cm_buf_printf(q, ",%s", r->key_field);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!conn_plain_name(r->fields[i])) {
            snprintf(err, errlen, "field '%.60s' is not a plain name", r->fields[i]);
            return false;
        }
        if (strcmp(r->fields[i], "Id") != 0 && strcmp(r->fields[i], r->key_field) != 0)
            cm_buf_printf(q, ",%s", r->fields[i]);
    }
    cm_buf_printf(q, " FROM %s", r->entity);
    if (!by_keys)
        return true;
    cm_buf_printf(q, " WHERE %s IN (", r->key_field);
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            cm_buf_putc(q, ',');
        soql_string(q, r->keys[i]);
    }
    cm_buf_putc(q, ')');
    return true;
}

static bool sf_build_read(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen)
{
    CmBuf q = CM_BUF_INIT;
    bool ok = sf_soql(r, true, &q, err, errlen);
    if (ok) {
        cm_buf_printf(&out->url, "%s/services/data/%s/query?q=", c->base, c->api_version);
        cm_buf_put_percent(&out->url, q.data);
        conn_json_request(out, "GET");
    }
    cm_buf_free(&q);
    return ok;
}

static ConnStatus sf_parse_read(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                                char *msg, size_t msglen)
{
    (void)c;
    return conn_read_matches(resp, &sf_query_answer, r, "Id", out, msg, msglen);
}

static const ConnectorOps sf_ops = {
    "salesforce", sf_max_batch, sf_build, sf_parse, false, SF_MAX_READ, sf_build_read, sf_parse_read,
    NULL, 0, NULL, NULL, conn_free_plain,    /* a write carries its links (lookup fields) */
    sf_bulk_send, sf_bulk_read,
};

Connector *conn_salesforce_new(const char *base_url, const char *api_version)
{
    Connector *c = cm_calloc(1, sizeof *c);
    conn_init(c, &sf_ops, base_url, api_version ? api_version : crm_salesforce.default_api_version);
    conn_set_pacing(c, crm_salesforce.rate_headers);
    return c;
}
