/* conn_pipedrive: Pipedrive's REST API — persons and organizations
 * through API v2 (where Pipedrive moved them), leads and notes through v1
 * (which has no v2 writes for them). Pipedrive has no batch write and no
 * upsert, so one record goes per request: a create is POST, an update
 * PATCH (notes: PUT) by the record's Pipedrive id. Finding that id by
 * another key (an e-mail) is a read: GET .../ENTITY/search?term=KEY
 * &fields=FIELD&exact_match=true, answered with data.items[].item.id — so an
 * upsert costs a search and a write. The search answers hold no field
 * values: where `master crm` or `plan` needs them, conn_read reads the
 * records found again by id (Connector.values_by), GET .../ENTITY/ID.
 *
 * Payloads carry fields by their key (a custom field's 40-character hash
 * key) and options by id, as the compiler emits them; the connector adds
 * what the API wants around them: in v2, custom fields inside
 * "custom_fields" and a person's "email" and "phone" as the primary entry
 * of "emails" and "phones"; everywhere, a related record's id (a field
 * ending in "_id" whose value is all digits, as a `ref` gives it) as the
 * number the API insists on.
 *
 * Every answer is {"success": bool, "data": ...}; a refusal is
 * {"success": false, "error": TEXT, "error_info": TEXT} (some add
 * "errorCode") with a 4xx status. Sources are in docs/connectors.md,
 * "Pipedrive". */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_pipedrive.h"
#include "connector.h"


/* Where an entity's records are written and how an update goes. */
typedef struct PdEntity {
    const char *name;
    bool v2;
    const char *update;
} PdEntity;

static PdEntity pd_entity(const char *name)
{
    static const PdEntity V1[] = { { "leads", false, "PATCH" }, { "notes", false, "PUT" } };
    for (size_t i = 0; i < sizeof V1 / sizeof V1[0]; i++)
        if (strcmp(name, V1[i].name) == 0)
            return V1[i];
    return (PdEntity){ name, true, "PATCH" };
}

static void entity_url(const Connector *c, CmBuf *url, PdEntity e)
{
    cm_buf_printf(url, "%s/%s/", c->base, e.v2 ? "api/v2" : "v1");
    cm_buf_put_percent(url, e.name);
}

static size_t pd_max_batch(const Connector *c, const char *entity, ConnOp op)
{
    (void)c;
    (void)entity;
    (void)op;
    return 1;
}

static bool all_digits(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* A custom field's key: 40 lowercase hex digits. */
static bool custom_key(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == 40;
}

/* [{"value": v, "primary": true, "label": "work"}] */
static cJSON *primary_entry(const cJSON *v)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "value", cJSON_Duplicate(v, true));
    cJSON_AddTrueToObject(e, "primary");
    cJSON_AddStringToObject(e, "label", "work");
    cJSON_AddItemToArray(list, e);
    return list;
}

/* The payload as the API takes it, or NULL (with a message) for one it cannot. */
static cJSON *pd_body(const char *payload, PdEntity e, char *err, size_t errlen)
{
    cJSON *p = cJSON_Parse(payload);
    if (!cJSON_IsObject(p)) {
        snprintf(err, errlen, "the payload is not a JSON object");
        cJSON_Delete(p);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *custom = NULL;
    for (cJSON *f = p->child; f != NULL; f = f->next) {
        const char *k = f->string;
        if (e.v2 && custom_key(k)) {
            if (custom == NULL)
                custom = cJSON_AddObjectToObject(out, "custom_fields");
            cJSON_AddItemToObject(custom, k, cJSON_Duplicate(f, true));
        } else if (e.v2 && (strcmp(k, "email") == 0 || strcmp(k, "phone") == 0) && cJSON_IsString(f)) {
            cJSON_AddItemToObject(out, k[0] == 'e' ? "emails" : "phones", primary_entry(f));
        } else if (cJSON_IsString(f) && ends_with(k, "_id") && all_digits(f->valuestring)) {
            cJSON_AddNumberToObject(out, k, strtod(f->valuestring, NULL));
        } else {
            cJSON_AddItemToObject(out, k, cJSON_Duplicate(f, true));
        }
    }
    cJSON_Delete(p);
    return out;
}

/* POST /v1/files, multipart: the payload's `file` (base64) as the file
 * named by `file_name` (not a field of the API: the part's file name), the
 * links (person_id, lead_id, deal_id, org_id ...) as form fields. */
static bool pd_build_upload(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    if (b->op != CONN_CREATE) {
        snprintf(err, errlen, "Pipedrive files are only created");
        return false;
    }
    cJSON *payload = conn_payload(b, 0, err, errlen);
    if (payload == NULL)
        return false;
    cm_buf_printf(&out->url, "%s/v1/files", c->base);
    bool ok = conn_upload_request(out, payload, "file", "file_name", NULL, 0, err, errlen);
    cJSON_Delete(payload);
    return ok;
}

static bool pd_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    if (b->n != 1) {
        snprintf(err, errlen, "Pipedrive takes one record a request, not %zu", b->n);
        return false;
    }
    if (b->op == CONN_UPSERT) {
        snprintf(err, errlen, "Pipedrive has no upsert: search by %s, then create or update by id",
                 b->key_field ? b->key_field : "the key");
        return false;
    }
    if (strcmp(b->entity, "files") == 0)
        return pd_build_upload(c, b, out, err, errlen);
    const char *id = b->records[0].key;
    if (b->op == CONN_UPDATE && (id == NULL || id[0] == '\0')) {
        snprintf(err, errlen, "an update needs the record's Pipedrive id");
        return false;
    }
    PdEntity e = pd_entity(b->entity);
    cJSON *body = pd_body(b->records[0].payload, e, err, errlen);
    if (body == NULL)
        return false;
    entity_url(c, &out->url, e);
    if (b->op == CONN_UPDATE) {
        cm_buf_putc(&out->url, '/');
        cm_buf_put_percent(&out->url, id);
    }
    conn_json_request(out, b->op == CONN_UPDATE ? e.update : "POST");
    return conn_json_body(out, body, true);
}

static const char *status_code(int status)
{
    switch (status) {
    case 400: return "BAD_REQUEST";
    case 402: return "PAYMENT_REQUIRED";
    case 404: return "NOT_FOUND";
    case 405: return "METHOD_NOT_ALLOWED";
    case 410: return "GONE";
    case 415: return "UNSUPPORTED_MEDIA_TYPE";
    case 422: return "UNPROCESSABLE_ENTITY";
    default: return "HTTP_ERROR";
    }
}

/* Opens an answer as conn_open_answer does, for Pipedrive's envelope:
 * JSON, and "success": true with a 2xx (CONN_OK, a->list its "data": one
 * record, or a search's answer). A refusal is CONN_REJECTED (CONN_AUTH for
 * 403), its code "errorCode" or the HTTP status's name, its text "error"
 * (and in msg); anything else CONN_BAD_ANSWER. The caller frees a->root. */
static ConnStatus open_answer(const TxResponse *r, ConnAnswer *a, char *msg, size_t msglen)
{
    memset(a, 0, sizeof *a);
    a->root = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(a->root, "success");
    if (!cJSON_IsObject(a->root) || !cJSON_IsBool(success)) {
        snprintf(msg, msglen, "HTTP %d with an answer that is not Pipedrive's JSON (%zu bytes)", r->status,
                 r->body_len);
        return CONN_BAD_ANSWER;
    }
    if (cJSON_IsTrue(success) && r->status >= 200 && r->status <= 299) {
        a->list = cJSON_GetObjectItemCaseSensitive(a->root, "data");
        return CONN_OK;
    }
    const char *ecode = conn_str(a->root, "errorCode");
    a->code = ecode && ecode[0] != '\0' ? ecode : status_code(r->status);
    a->message = conn_str(a->root, "error");
    snprintf(msg, msglen, "HTTP %d: %s", r->status, a->message ? a->message : "refused");
    return r->status == 403 ? CONN_AUTH : CONN_REJECTED;
}

static ConnStatus pd_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                           char *msg, size_t msglen)
{
    (void)c;
    ConnAnswer a;
    ConnStatus st = open_answer(r, &a, msg, msglen);
    if (st == CONN_REJECTED) {
        conn_result_refused(&results[0], &a, msg, NULL);
    } else if (st == CONN_OK) {
        if (conn_id_text(cJSON_GetObjectItemCaseSensitive(a.list, "id"), results[0].id, sizeof results[0].id)) {
            results[0].ok = true;
            results[0].created = b->op == CONN_CREATE;
        } else {
            snprintf(msg, msglen, "HTTP %d: success without the record's id", r->status);
            st = CONN_BAD_ANSWER;
        }
    }
    cJSON_Delete(a.root);
    return st;
}

/* ---- reads: search by a key, or one record by id ---- */

static bool by_id(const ConnRead *r)
{
    return r->key_field == NULL || strcmp(r->key_field, "id") == 0;
}

/* The search's `fields` value for a key field: its own name for the
 * standard searchable fields, custom_fields for the rest. */
static const char *search_field(const char *key_field)
{
    static const char *const STANDARD[] = { "email", "name", "phone", "notes", "title", "address" };
    for (size_t i = 0; i < sizeof STANDARD / sizeof STANDARD[0]; i++)
        if (strcmp(key_field, STANDARD[i]) == 0)
            return key_field;
    return "custom_fields";
}

static bool pd_build_read(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen)
{
    if (r->n != 1) {
        snprintf(err, errlen, "Pipedrive reads one record a request, not %zu", r->n);
        return false;
    }
    PdEntity e = pd_entity(r->entity);
    entity_url(c, &out->url, e);
    if (by_id(r)) {
        cm_buf_putc(&out->url, '/');
        cm_buf_put_percent(&out->url, r->keys[0]);
    } else {
        cm_buf_puts(&out->url, "/search?term=");
        cm_buf_put_percent(&out->url, r->keys[0]);
        cm_buf_puts(&out->url, "&fields=");
        cm_buf_puts(&out->url, search_field(r->key_field));
        cm_buf_puts(&out->url, "&exact_match=true&limit=2");
    }
    conn_json_request(out, "GET");
    return true;
}

/* True when a search item holds key in the key field (e-mails compare
 * case-insensitively); items that do not list the field are trusted to the
 * exact match. */
static bool item_matches(const cJSON *item, const ConnRead *r)
{
    if (strcmp(r->key_field, "email") != 0)
        return true;
    const cJSON *emails = cJSON_GetObjectItemCaseSensitive(item, "emails");
    if (!cJSON_IsArray(emails))
        return true;
    const cJSON *e;
    cJSON_ArrayForEach(e, emails)
        if (cJSON_IsString(e) && builtin_text_casecmp(e->valuestring, r->keys[0]) == 0)
            return true;
    return false;
}

/* The primary entry's value of a v2 "emails" or "phones" list (the first
 * when none is marked), or NULL. */
static cJSON *primary_value(const cJSON *list)
{
    const cJSON *e, *pick = NULL;
    cJSON_ArrayForEach(e, list) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "primary"))) {
            pick = e;
            break;
        }
        if (pick == NULL)
            pick = e;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pick, "value");
    return cJSON_IsString(v) ? cJSON_CreateString(v->valuestring) : NULL;
}

/* One field of a record as the payload names it: an object with a "value"
 * (a v2 address, a monetary amount) as that value, and a related record's
 * id (org_id, owner_id, ...: a number, or v1's {"value": id, ...}) as its
 * text, the form `ref` and user() give it. */
static cJSON *payload_value(const char *key, const cJSON *v)
{
    const cJSON *inner = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "value") : NULL;
    if (inner)
        v = inner;
    char id[96];
    if (ends_with(key, "_id") && cJSON_IsNumber(v) && conn_id_text(v, id, sizeof id))
        return cJSON_CreateString(id);
    return cJSON_Duplicate(v, true);
}

/* A record read by id as a payload would name its fields: the inverse of
 * pd_body. v2 keeps custom fields in "custom_fields" and a person's e-mail
 * and phone in "emails" and "phones"; the hash keys and options (ids) are
 * as the compiler emits them. */
static cJSON *as_payload(const cJSON *data)
{
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *f = data ? data->child : NULL; f != NULL; f = f->next) {
        if (strcmp(f->string, "custom_fields") == 0 && cJSON_IsObject(f)) {
            for (const cJSON *cf = f->child; cf != NULL; cf = cf->next)
                cJSON_AddItemToObject(out, cf->string, payload_value(cf->string, cf));
        } else if ((strcmp(f->string, "emails") == 0 || strcmp(f->string, "phones") == 0) && cJSON_IsArray(f)) {
            cJSON *v = primary_value(f);
            if (v)
                cJSON_AddItemToObject(out, f->string[0] == 'e' ? "email" : "phone", v);
        } else {
            cJSON_AddItemToObject(out, f->string, payload_value(f->string, f));
        }
    }
    return out;
}

static ConnStatus pd_parse_read(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                                char *msg, size_t msglen)
{
    (void)c;
    if (by_id(r) && resp->status == 404)
        return CONN_OK;     /* not found: found stays false */
    ConnAnswer a;
    char id[96];
    ConnStatus st = open_answer(resp, &a, msg, msglen);
    if (st != CONN_OK) {
        cJSON_Delete(a.root);
        return st;
    }
    if (by_id(r)) {
        cJSON *holder = as_payload(a.list);
        if (conn_id_text(cJSON_GetObjectItemCaseSensitive(holder, "id"), id, sizeof id))
            conn_current_fill(&out[0], id, holder, r);
        cJSON_Delete(holder);
        cJSON_Delete(a.root);
        return CONN_OK;
    }
    /* A key more than one record holds (Pipedrive does not keep e-mails
     * unique): the first, Pipedrive's best match, is the one written. */
    const cJSON *hit;
    cJSON_ArrayForEach(hit, cJSON_GetObjectItemCaseSensitive(a.list, "items")) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(hit, "item");
        if (item_matches(item, r) && conn_id_text(cJSON_GetObjectItemCaseSensitive(item, "id"), id, sizeof id)) {
            conn_current_fill(&out[0], id, item, r);
            break;
        }
    }
    cJSON_Delete(a.root);
    return CONN_OK;
}

static void pd_free(Connector *c)
{
    cm_free(c);
}

static const ConnectorOps pd_ops = {
    "pipedrive", pd_max_batch, pd_build, pd_parse, false, 1, pd_build_read, pd_parse_read,
    NULL, 0, NULL, NULL, pd_free, NULL, NULL,
};

Connector *conn_pipedrive_new(const char *base_url)
{
    Connector *c = cm_calloc(1, sizeof *c);
    conn_init(c, &pd_ops, base_url, crm_pipedrive.default_api_version);
    conn_set_rate_limit(c, crm_pipedrive.rate_max, crm_pipedrive.rate_window_ms, false);
    conn_set_pacing(c, crm_pipedrive.rate_headers);
    c->values_by = "id";   /* search answers hold ids, not values */
    return c;
}
