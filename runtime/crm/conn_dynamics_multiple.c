/* conn_dynamics_multiple: Dataverse's bulk operation messages (docs/run.md,
 * "Dataverse CreateMultiple and UpsertMultiple"). The creates and upserts of
 * a table that takes them go as one POST SET/Microsoft.Dynamics.CRM.
 * CreateMultiple or .../UpsertMultiple of {"Targets": [...]}, each target
 * with its "@odata.type" and, for an upsert, its "@odata.id" (SET(key='v')
 * or SET(guid)). Whether a table takes a message is Microsoft's documented
 * query of sdkmessagefilters, asked once per table and message for the
 * connector's life. On a standard table the set is applied whole or not
 * at all: a set refused whole goes again as today's $batch (Connector.each),
 * where each record is answered on its own, and a table whose sets are
 * mostly refused goes as $batch from then on. CreateMultiple answers the new
 * records' Ids in order; UpsertMultiple answers 204 and no ids, so a record
 * upserted by an alternate key is known by that key (CrmVendor.bind_by_key). */
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_dynamics_int.h"

static const char *const messages[2] = { "CreateMultiple", "UpsertMultiple" };

static int message_of(ConnOp op)
{
    return op == CONN_CREATE ? 0 : op == CONN_UPSERT ? 1 : -1;
}

static DynTable *table_of(const Connector *c, const char *set)
{
    const DynTables *ts = ((const DynConnector *)c)->tables;
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].set, set) == 0)
            return &ts->t[i];
    return NULL;
}

bool dyn_multiple_asked(const Connector *c, const ConnBatch *b)
{
    int m = message_of(b->op);
    const DynTable *tb = m >= 0 && b->entity ? table_of(c, b->entity) : NULL;
    return tb && tb->takes[m] == DYN_TAKES_YES;
}

/* A set refused whole costs its $batch on top: where most are ("if the
 * success rate for your initial attempts is low", Microsoft), the table's
 * sets go as $batch from then on. */
bool dyn_multiple_takes(const Connector *c, const ConnBatch *b)
{
    if (!dyn_multiple_asked(c, b))
        return false;
    int m = message_of(b->op);
    const DynTable *tb = table_of(c, b->entity);
    return tb->refused[m] < 2 || tb->refused[m] <= tb->taken[m];
}

/* ---- asking whether a table takes a message ---- */

typedef struct Ask {
    const DynTable *tb;
    int m;
    bool found;
} Ask;

static bool ask_build(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen)
{
    (void)msg, (void)msglen;
    const Ask *a = ctx;
    CmBuf q = CM_BUF_INIT;
    cm_buf_printf(&q, "sdkmessageid/name eq '%s' and primaryobjecttypecode eq '%s'", messages[a->m], a->tb->name);
    cm_buf_printf(&req->url, "%s/api/data/%s/sdkmessagefilters?$select=sdkmessagefilterid&$filter=", c->base,
                  c->api_version);
    cm_buf_put_percent(&req->url, q.data);
    cm_buf_free(&q);
    conn_json_request(req, "GET");
    req->headers[req->nheaders++] = "OData-Version: 4.0";
    return true;
}

static ConnStatus ask_answer(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen)
{
    (void)c;
    Ask *a = ctx;
    ConnAnswer ans;
    ConnStatus st = conn_open_answer(r, &dyn_answer, &ans, msg, msglen);
    a->found = st == CONN_OK && cJSON_GetArraySize(ans.list) > 0;
    cJSON_Delete(ans.root);
    return st;
}

void conn_dynamics_prepare(const Connector *c, Transport *t, const char *set, const char *name, ConnOp op,
                          const RetryPolicy *p, const RetryClock *clk, uint64_t *requests)
{
    int m = message_of(op);
    if (m < 0 || set == NULL || !conn_plain_name(name))
        return;
    DynTable *tb = table_of(c, set);
    if (tb == NULL) {
        DynTables *ts = ((const DynConnector *)c)->tables;
        if (ts->n == ts->cap) {
            ts->cap = ts->cap ? 2 * ts->cap : 8;
            ts->t = cm_realloc(ts->t, ts->cap * sizeof *ts->t);
        }
        tb = &ts->t[ts->n++];
        *tb = (DynTable){ cm_strdup(set), cm_strdup(name), { DYN_TAKES_UNKNOWN, DYN_TAKES_UNKNOWN }, { 0, 0 },
                          { 0, 0 } };
    }
    if (tb->takes[m] != DYN_TAKES_UNKNOWN)
        return;
    Ask a = { tb, m, false };
    const ConnCall call = { ask_build, ask_answer, &a, false };
    char msg[256];
    (*requests)++;
    /* Not answered: today's $batch, which every table takes. */
    ConnStatus st = conn_call(c, t, &call, p, clk, msg, sizeof msg);
    tb->takes[m] = st == CONN_OK && a.found ? DYN_TAKES_YES : DYN_TAKES_NO;
}

void dyn_tables_free(DynTables *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        cm_free(ts->t[i].set);
        cm_free(ts->t[i].name);
    }
    cm_free(ts->t);
    cm_free(ts);
}

/* ---- the request and its answer ---- */

bool dyn_multiple_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    const DynTable *tb = table_of(c, b->entity);
    if (b->n == 0 || tb == NULL) {
        snprintf(err, errlen, "no records, or a table not asked about");
        return false;
    }
    cm_buf_printf(&out->url, "%s/api/data/%s/", c->base, c->api_version);
    cm_buf_put_percent(&out->url, b->entity);
    cm_buf_printf(&out->url, "/Microsoft.Dynamics.CRM.%s", messages[message_of(b->op)]);
    conn_json_request(out, "POST");
    out->headers[out->nheaders++] = "OData-Version: 4.0";
    CmBuf type = CM_BUF_INIT;
    cm_buf_printf(&type, "Microsoft.Dynamics.CRM.%s", tb->name);
    cJSON *root = cJSON_CreateObject();
    cJSON *targets = cJSON_AddArrayToObject(root, "Targets");
    bool ok = true;
    for (size_t i = 0; i < b->n && ok; i++) {
        cJSON *payload = conn_payload(b, i, err, errlen);
        ok = payload != NULL;
        if (ok && b->op == CONN_UPSERT && (b->records[i].key == NULL || b->records[i].key[0] == '\0')) {
            snprintf(err, errlen, "record %zu: no value for the key", i + 1);
            ok = false;
        } else if (ok && b->op == CONN_UPSERT) {
            CmBuf id = CM_BUF_INIT;
            ok = conn_dynamics_put_key(&id, b->entity, b->key_field, b->records[i].key, err, errlen);
            if (ok)
                cJSON_AddItemToObject(payload, "@odata.id", cJSON_CreateString(id.data));
            cm_buf_free(&id);
        }
        if (ok) {
            cJSON_AddItemToObject(payload, "@odata.type", cJSON_CreateString(type.data));
            cJSON_AddItemToArray(targets, payload);
        } else {
            cJSON_Delete(payload);
        }
    }
    cm_buf_free(&type);
    return conn_json_body(out, root, ok);
}

ConnStatus dyn_multiple_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                              char *msg, size_t msglen)
{
    DynTable *tb = table_of(c, b->entity);
    int m = message_of(b->op);
    ConnAnswer a;
    ConnStatus st = CONN_OK;
    if (r->status < 200 || r->status > 299) {
        st = conn_open_write_answer(r, &dyn_answer, b, results, &a, msg, msglen);
        cJSON_Delete(a.root);
        if (st == CONN_REJECTED && tb && m >= 0)
            tb->refused[m]++;
        return st;
    }
    /* UpsertMultiple answers 204 and no body; anything else said must be JSON. */
    cJSON *root = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(root, "Ids");
    if ((r->body_len > 0 && !cJSON_IsObject(root))
        || (b->op == CONN_CREATE && (!cJSON_IsArray(ids) || (size_t)cJSON_GetArraySize(ids) != b->n))) {
        snprintf(msg, msglen, "HTTP %d: %s", r->status,
                 b->op == CONN_CREATE ? "a CreateMultiple answer without one id a record" : "an answer that is no JSON");
        cJSON_Delete(root);
        return CONN_BAD_ANSWER;
    }
    if (b->op != CONN_CREATE)
        ids = NULL;
    if (tb && m >= 0)
        tb->taken[m]++;
    const cJSON *id = ids ? ids->child : NULL;
    for (size_t i = 0; i < b->n; i++) {
        ConnResult *res = &results[i];
        res->ok = true;
        if (id) {
            res->created = true;
            if (!conn_id_text(id, res->id, sizeof res->id))
                st = CONN_BAD_ANSWER;
            id = id->next;
        } else if (b->key_field == NULL && b->records[i].key) {
            /* an upsert by the id: the record's id is its key */
            snprintf(res->id, sizeof res->id, "%s", b->records[i].key);
        }
    }
    if (st != CONN_OK)
        snprintf(msg, msglen, "HTTP %d: a CreateMultiple answer with an id that is no text", r->status);
    cJSON_Delete(root);
    return st;
}
