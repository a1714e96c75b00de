/* conn_hubspot: HubSpot CRM v3 batch APIs — POST objects/TYPE/batch/create,
 * /update and /upsert (by idProperty), 100 inputs a request, every property
 * value a string (numbers as their text, booleans "true"/"false",
 * multi-select values ';'-joined, null — the mapping's `clear` — as "") —
 * and the v4 associations API for the links.
 *
 * A payload field named assoc_OBJECT_N (the importer's association
 * pseudo-fields, see docs/schema.md) is not a property but the id of the
 * OBJECT record to link with the association type N: HubSpot-defined
 * between standard objects, USER_DEFINED (from the object's schema) where
 * one side is a custom object, named by HubSpot's short-hand p_NAME. On a
 * create it goes in the input's `associations` (the spec requires the
 * member); update and upsert inputs take none, so there it is linked after
 * the write by the connector's link step: POST
 * /crm/v4/associations/FROM/TO/batch/create, up to 2,000 inputs
 * {"from": {"id"}, "to": {"id"}, "types": [{"associationCategory",
 * "associationTypeId": N}]}, answered 201 with results
 * {fromObjectId, toObjectId, ...} or 207 with per-input errors. Creating an
 * association that exists changes nothing, so the step may be repeated.
 *
 * Object answers are 200/201, or 207 with an errors list; results are
 * matched to inputs by key (update/upsert) — HubSpot does not promise to
 * keep the order — and errors by their context (ids, or the index crmserver
 * adds). Results left over (creates, results that do not echo the key) are
 * taken in order when they match the inputs left in number. Association
 * results are matched by their from and to ids, errors by index or by an id
 * their context names. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_hubspot.h"

#define HS_MAX_BATCH 100
/* "Batch create associations: limited to 2,000 inputs per request body." */
#define HS_MAX_LINKS 2000

/* The object type of file uploads: not a CRM object but the Files API,
 * one file a request (docs/files.md, "HubSpot"). */
static bool is_files(const char *entity)
{
    return entity && strcmp(entity, "files") == 0;
}

static size_t hs_max_batch(const Connector *c, const char *entity, ConnOp op)
{
    (void)c;
    (void)op;
    return is_files(entity) ? 1 : HS_MAX_BATCH;
}

/* POST /files/v3/files, multipart: the payload's `file` (base64) as the
 * file named by `fileName`, its other fields (folderPath) as form fields,
 * and options: "access" PRIVATE, a lead's signature is not public; and a
 * duplicate of a file already in the folder returns that file instead of
 * a second copy (RETURN_EXISTING in EXACT_FOLDER, the Files API's upload
 * options), so a fresh run of the same export uploads nothing twice. */
static bool hs_build_upload(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    if (b->n != 1 || b->op != CONN_CREATE) {
        snprintf(err, errlen, "HubSpot files are created one a request");
        return false;
    }
    cJSON *payload = conn_payload(b, 0, err, errlen);
    if (payload == NULL)
        return false;
    const char *name = conn_str(payload, "fileName");
    const char *extra[] = { "options", "{\"access\":\"PRIVATE\",\"duplicateValidationStrategy\":\"RETURN_EXISTING\","
                            "\"duplicateValidationScope\":\"EXACT_FOLDER\"}", "fileName", name ? name : "file" };
    cm_buf_printf(&out->url, "%s/files/v3/files", c->base);
    bool ok = conn_upload_request(out, payload, "file", "fileName", extra, 4, err, errlen);
    cJSON_Delete(payload);
    return ok;
}

char *hs_value_text(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return cm_strdup("");
    if (cJSON_IsString(v))
        return cm_strdup(v->valuestring);
    if (cJSON_IsBool(v))
        return cm_strdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        char *t = cJSON_PrintUnformatted(v);
        char *out = cm_strdup(t);
        cJSON_free(t);
        return out;
    }
    if (cJSON_IsArray(v)) {
        CmBuf b = CM_BUF_INIT;
        const cJSON *item;
        cJSON_ArrayForEach(item, v) {
            if (!cJSON_IsString(item)) {
                cm_buf_free(&b);
                return NULL;
            }
            if (b.len)
                cm_buf_putc(&b, ';');
            cm_buf_puts(&b, item->valuestring);
        }
        return cm_buf_take(&b);
    }
    return NULL;
}

bool hs_assoc_field(const char *name, long *type, char *to, size_t tolen)
{
    if (strncmp(name, "assoc_", 6) != 0)
        return false;
    const char *us = strrchr(name + 6, '_');
    if (us == NULL || us == name + 6 || us[1] < '1' || us[1] > '9' || strlen(us + 1) > 6)
        return false;
    char *end;
    *type = strtol(us + 1, &end, 10);
    if (to)
        snprintf(to, tolen, "%.*s", (int)(us - (name + 6)), name + 6);
    return *end == '\0';
}

/* A custom object's association types are those its schema defines
 * (USER_DEFINED); HubSpot defines none for it, while between standard
 * objects the importer offers only HubSpot's own defaults. */
static const char *category(const char *from, const char *to)
{
    return strncmp(from, "p_", 2) == 0 || strncmp(to, "p_", 2) == 0 ? "USER_DEFINED" : "HUBSPOT_DEFINED";
}

/* "types": [{"associationCategory": C, "associationTypeId": N}] into obj */
static void add_types(cJSON *obj, const char *from, const char *to, long type)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "associationCategory", category(from, to));
    cJSON_AddNumberToObject(t, "associationTypeId", (double)type);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(obj, "types"), t);
}

/* {"to": {"id": ID}, "types": [...]} */
static void add_association(cJSON *list, const char *from, const char *to, const char *id, long type)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "to"), "id", id);
    add_types(a, from, to, type);
    cJSON_AddItemToArray(list, a);
}

/* One input of a batch: its id (update, upsert), its properties as
 * strings, and (create) its associations. */
static bool hs_input(const ConnBatch *b, size_t i, cJSON *payload, cJSON *in, char *err, size_t errlen)
{
    bool ok = true;
    if (b->op != CONN_CREATE) {
        const char *key = b->records[i].key;
        if (key == NULL || key[0] == '\0') {
            snprintf(err, errlen, "record %zu: no value for the key %s", i + 1, b->key_field ? b->key_field : "id");
            ok = false;
        } else {
            if (b->key_field && strcmp(b->key_field, "hs_object_id") != 0)
                cJSON_AddStringToObject(in, "idProperty", b->key_field);
            cJSON_AddStringToObject(in, "id", key);
        }
    }
    cJSON *props = cJSON_AddObjectToObject(in, "properties");
    /* Update and upsert inputs take no associations: the link step makes them. */
    cJSON *assoc = b->op == CONN_CREATE ? cJSON_AddArrayToObject(in, "associations") : NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, payload) {
        long type;
        char to[100];
        if (hs_assoc_field(f->string, &type, to, sizeof to)) {
            if (!cJSON_IsString(f) || f->valuestring[0] == '\0' || strlen(f->valuestring) >= 96) {
                snprintf(err, errlen, "record %zu: %.80s must be the id of the record to link", i + 1, f->string);
                return false;
            }
            if (assoc)
                add_association(assoc, b->entity, to, f->valuestring, type);
            continue;
        }
        char *text = hs_value_text(f);
        if (text == NULL) {
            snprintf(err, errlen, "record %zu: property %.80s has no string form", i + 1, f->string);
            return false;
        }
        cJSON_AddStringToObject(props, f->string, text);
        cm_free(text);
    }
    return ok;
}

static bool hs_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    static const char *const op_names[] = { "create", "update", "upsert" };
    if (is_files(b->entity))
        return hs_build_upload(c, b, out, err, errlen);
    if (b->n == 0 || b->n > HS_MAX_BATCH) {
        snprintf(err, errlen, "a HubSpot batch holds 1 to %d inputs, not %zu", HS_MAX_BATCH, b->n);
        return false;
    }
    if (b->op == CONN_UPSERT && b->key_field == NULL) {
        snprintf(err, errlen, "upsert needs an idProperty");
        return false;
    }
    cm_buf_printf(&out->url, "%s/crm/v3/objects/", c->base);
    cm_buf_put_percent(&out->url, b->entity);
    cm_buf_printf(&out->url, "/batch/%s", op_names[b->op]);
    conn_json_request(out, "POST");

    cJSON *root = cJSON_CreateObject();
    cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
    return conn_json_body(out, root, conn_payload_items(b, inputs, hs_input, err, errlen));
}

/* The input a key names (email compares case-insensitively, as HubSpot does). */
static long find_key(const ConnBatch *b, const char *key, const bool *taken)
{
    if (key == NULL)
        return -1;
    bool fold = b->key_field && strcmp(b->key_field, "email") == 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *k = b->records[i].key;
        if (!taken[i] && k && (fold ? builtin_text_casecmp(k, key) == 0 : strcmp(k, key) == 0))
            return (long)i;
    }
    return -1;
}

static const char *context_first(const cJSON *err, const char *name)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(err, "context"), name);
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    return cJSON_IsString(first) ? first->valuestring : NULL;
}

static void apply_errors(const ConnBatch *b, const cJSON *errors, ConnResult *results, bool *taken)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, errors) {
        long at = -1;
        const char *index = context_first(e, "index");
        if (index) {
            char *end;
            long v = strtol(index, &end, 10);
            if (*end == '\0' && v >= 0 && (size_t)v < b->n && !taken[v])
                at = v;
        }
        if (at < 0)
            at = find_key(b, context_first(e, "ids"), taken);
        if (at < 0)
            continue;   /* an error we cannot place: its input stays unanswered below */
        taken[at] = true;
        const char *category = conn_str(e, "category");
        conn_result_error(&results[at], category ? category : "ERROR", conn_str(e, "message"),
                          context_first(e, "propertyName"));
        results[at].retry = category && strcmp(category, "RATE_LIMITS") == 0;
    }
}

static void take_result(const ConnBatch *b, const cJSON *r, size_t at, ConnResult *results, bool *taken)
{
    const char *id = conn_str(r, "id");
    taken[at] = true;
    results[at].ok = true;
    snprintf(results[at].id, sizeof results[at].id, "%s", id ? id : "");
    results[at].created = b->op == CONN_CREATE || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "new"));
}

static void apply_results(const ConnBatch *b, const cJSON *list, ConnResult *results, bool *taken)
{
    size_t nres = (size_t)cJSON_GetArraySize(list);
    bool *used = cm_calloc(nres ? nres : 1, sizeof *used);
    size_t k = 0;
    const cJSON *r;
    /* By key first: an update or upsert result names its record. */
    cJSON_ArrayForEach(r, list) {
        long at = -1;
        if (b->op != CONN_CREATE && b->key_field && strcmp(b->key_field, "hs_object_id") != 0)
            at = find_key(b, conn_str(cJSON_GetObjectItemCaseSensitive(r, "properties"), b->key_field), taken);
        else if (b->op != CONN_CREATE)
            at = find_key(b, conn_str(r, "id"), taken);
        if (at >= 0) {
            take_result(b, r, (size_t)at, results, taken);
            used[k] = true;
        }
        k++;
    }
    /* Then in order, when exactly as many results as unanswered inputs are
     * left: creates, and results that do not echo the key property. */
    size_t left_inputs = 0, left_results = 0;
    for (size_t i = 0; i < b->n; i++)
        left_inputs += !taken[i];
    for (size_t i = 0; i < nres; i++)
        left_results += !used[i];
    if (left_results > 0 && left_results == left_inputs) {
        size_t next = 0;
        k = 0;
        cJSON_ArrayForEach(r, list) {
            if (!used[k++]) {
                while (taken[next])
                    next++;
                take_result(b, r, next, results, taken);
            }
        }
    }
    cm_free(used);
}

/* A request-level error is {"category", "message", "context"}; every
 * other answer lists its "results". */
static const char *hs_error_field(const cJSON *error)
{
    return context_first(error, "propertyName");
}

static const ConnAnswerShape hs_answer = { NULL, "category", "message", NULL, NULL, "results", hs_error_field };

/* An upload's answer is the file itself (201, {"id", "name", "size", ...}),
 * or an error as every other answer. */
static const ConnAnswerShape hs_file_answer = { NULL, "category", "message", NULL, NULL, NULL, hs_error_field };

static ConnStatus hs_parse_upload(const TxResponse *r, const ConnBatch *b, ConnResult *results, char *msg,
                                  size_t msglen)
{
    ConnAnswer a = { 0 };
    ConnStatus st = CONN_OK;
    if (r->status >= 200 && r->status <= 299)
        a.root = cJSON_ParseWithLength(r->body, r->body_len);
    else
        st = conn_open_write_answer(r, &hs_file_answer, b, results, &a, msg, msglen);
    if (st == CONN_OK) {
        if (conn_id_text(cJSON_GetObjectItemCaseSensitive(a.root, "id"), results[0].id, sizeof results[0].id)) {
            results[0].ok = true;
            results[0].created = true;
        } else {
            snprintf(msg, msglen, "HTTP %d: an upload answered without the file's id", r->status);
            st = CONN_BAD_ANSWER;
        }
    }
    cJSON_Delete(a.root);
    return st;
}

static ConnStatus hs_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                           char *msg, size_t msglen)
{
    (void)c;
    ConnAnswer a;
    if (is_files(b->entity))
        return hs_parse_upload(r, b, results, msg, msglen);
    ConnStatus st = conn_open_write_answer(r, &hs_answer, b, results, &a, msg, msglen);
    if (st == CONN_OK) {
        bool *taken = cm_calloc(b->n, sizeof *taken);
        apply_errors(b, cJSON_GetObjectItemCaseSensitive(a.root, "errors"), results, taken);
        apply_results(b, a.list, results, taken);
        for (size_t i = 0; i < b->n; i++) {
            if (!taken[i]) {
                /* No answer for this input: for an idempotent write, simply send it again. */
                conn_result_error(&results[i], "NO_RESULT", "HubSpot returned no result for this input", NULL);
                results[i].retry = b->op != CONN_CREATE;
            }
        }
        cm_free(taken);
    }
    cJSON_Delete(a.root);
    return st;
}

/* ---- reading current records: batch/read by idProperty ---- */

static bool hs_build_read(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen)
{
    cm_buf_printf(&out->url, "%s/crm/v3/objects/", c->base);
    cm_buf_put_percent(&out->url, r->entity);
    cm_buf_puts(&out->url, "/batch/read");
    conn_json_request(out, "POST");
    cJSON *root = cJSON_CreateObject();
    if (r->key_field && strcmp(r->key_field, "hs_object_id") != 0)
        cJSON_AddStringToObject(root, "idProperty", r->key_field);
    cJSON *props = cJSON_AddArrayToObject(root, "properties");
    for (size_t i = 0; i < r->nfields; i++)
        cJSON_AddItemToArray(props, cJSON_CreateString(r->fields[i]));
    if (r->key_field)
        cJSON_AddItemToArray(props, cJSON_CreateString(r->key_field));
    cJSON_AddArrayToObject(root, "propertiesWithHistory");
    cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
    for (size_t i = 0; i < r->n; i++) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "id", r->keys[i]);
        cJSON_AddItemToArray(inputs, in);
    }
    (void)err;
    (void)errlen;
    return conn_json_body(out, root, true);
}

static ConnStatus hs_parse_read(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                                char *msg, size_t msglen)
{
    (void)c;
    ConnAnswer a;
    ConnStatus st = conn_open_answer(resp, &hs_answer, &a, msg, msglen);
    if (st == CONN_OK) {
        /* Keys not found come back in "errors" (OBJECT_NOT_FOUND): found stays false. */
        bool by_id = r->key_field == NULL || strcmp(r->key_field, "hs_object_id") == 0;
        bool fold = r->key_field && strcmp(r->key_field, "email") == 0;
        const cJSON *rec;
        cJSON_ArrayForEach(rec, a.list) {
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(rec, "properties");
            const char *key = by_id ? conn_str(rec, "id") : conn_str(props, r->key_field);
            for (size_t i = 0; key && i < r->n; i++) {
                if (out[i].found || (fold ? builtin_text_casecmp(r->keys[i], key) : strcmp(r->keys[i], key)) != 0)
                    continue;
                conn_current_fill(&out[i], conn_str(rec, "id"), props, r);
                break;
            }
        }
    }
    cJSON_Delete(a.root);
    return st;
}

/* ---- links: v4 batch association create ---- */

static size_t hs_links(const Connector *c, const ConnBatch *b, size_t i, ConnLink **out)
{
    (void)c;
    *out = NULL;
    if (b->op == CONN_CREATE)
        return 0;   /* a create carries its associations */
    cJSON *payload = cJSON_Parse(b->records[i].payload);
    size_t n = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, payload) {
        long type;
        char to[100];
        if (!hs_assoc_field(f->string, &type, to, sizeof to) || !cJSON_IsString(f) || f->valuestring[0] == '\0')
            continue;
        *out = cm_realloc(*out, (n + 1) * sizeof **out);
        ConnLink *l = &(*out)[n++];
        memset(l, 0, sizeof *l);
        snprintf(l->from_type, sizeof l->from_type, "%s", b->entity);
        snprintf(l->to_type, sizeof l->to_type, "%s", to);
        snprintf(l->to, sizeof l->to, "%s", f->valuestring);
        snprintf(l->field, sizeof l->field, "%s", f->string);
        l->kind = type;
    }
    cJSON_Delete(payload);
    return n;
}

static bool hs_build_links(const Connector *c, const ConnLink *const *links, size_t n, ConnRequest *out, char *err,
                           size_t errlen)
{
    if (n == 0 || n > HS_MAX_LINKS) {
        snprintf(err, errlen, "a HubSpot association batch holds 1 to %d inputs, not %zu", HS_MAX_LINKS, n);
        return false;
    }
    cm_buf_printf(&out->url, "%s/crm/v4/associations/", c->base);
    cm_buf_put_percent(&out->url, links[0]->from_type);
    cm_buf_putc(&out->url, '/');
    cm_buf_put_percent(&out->url, links[0]->to_type);
    cm_buf_puts(&out->url, "/batch/create");
    conn_json_request(out, "POST");
    cJSON *root = cJSON_CreateObject();
    cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
    for (size_t k = 0; k < n; k++) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "from"), "id", links[k]->from);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "to"), "id", links[k]->to);
        add_types(in, links[k]->from_type, links[k]->to_type, links[k]->kind);
        cJSON_AddItemToArray(inputs, in);
    }
    return conn_json_body(out, root, true);
}

/* The link an association error names: by context.index, else the first
 * unanswered link whose from (then to) id a context list holds. */
static long link_of_error(const ConnLink *const *links, size_t n, const cJSON *e, const bool *taken)
{
    const char *index = context_first(e, "index");
    if (index) {
        char *end;
        long v = strtol(index, &end, 10);
        if (*end == '\0' && v >= 0 && (size_t)v < n && !taken[v])
            return v;
    }
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(e, "context");
    for (int side = 0; side < 2; side++) {
        const cJSON *list;
        cJSON_ArrayForEach(list, ctx) {
            const cJSON *v;
            cJSON_ArrayForEach(v, list) {
                char id[96];
                if (!conn_id_text(v, id, sizeof id))
                    continue;
                for (size_t k = 0; k < n; k++)
                    if (!taken[k] && strcmp(side ? links[k]->to : links[k]->from, id) == 0)
                        return (long)k;
            }
        }
    }
    return -1;
}

static ConnStatus hs_parse_links(const Connector *c, const ConnLink *const *links, size_t n, const TxResponse *r,
                                 ConnResult *results, char *msg, size_t msglen)
{
    (void)c;
    ConnAnswer a;
    ConnStatus st = conn_open_answer(r, &hs_answer, &a, msg, msglen);
    if (st == CONN_REJECTED) {
        for (size_t k = 0; k < n; k++)
            conn_result_refused(&results[k], &a, msg, links[k]->field);
    } else if (st == CONN_OK) {
        bool *taken = cm_calloc(n, sizeof *taken);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(a.root, "errors")) {
            long k = link_of_error(links, n, e, taken);
            if (k < 0)
                continue;   /* unplaced: its link stays unanswered below */
            taken[k] = true;
            const char *why = conn_str(e, "category");
            conn_result_error(&results[k], why ? why : "ERROR", conn_str(e, "message"), links[k]->field);
            results[k].retry = why && strcmp(why, "RATE_LIMITS") == 0;
        }
        const cJSON *res;
        cJSON_ArrayForEach(res, a.list) {
            char from[96], to[96];
            if (!conn_id_text(cJSON_GetObjectItemCaseSensitive(res, "fromObjectId"), from, sizeof from)
                || !conn_id_text(cJSON_GetObjectItemCaseSensitive(res, "toObjectId"), to, sizeof to))
                continue;
            for (size_t k = 0; k < n; k++) {
                if (!taken[k] && strcmp(links[k]->from, from) == 0 && strcmp(links[k]->to, to) == 0) {
                    taken[k] = true;
                    results[k].ok = true;
                    snprintf(results[k].id, sizeof results[k].id, "%s", from);
                    break;
                }
            }
        }
        for (size_t k = 0; k < n; k++) {
            if (!taken[k]) {
                conn_result_error(&results[k], "NO_RESULT", "HubSpot returned no result for this association",
                                  links[k]->field);
                results[k].retry = true;   /* creating an association again is harmless */
            }
        }
        cm_free(taken);
    }
    cJSON_Delete(a.root);
    return st;
}

static const ConnectorOps hs_ops = {
    "hubspot", hs_max_batch, hs_build, hs_parse, true, HS_MAX_BATCH, hs_build_read, hs_parse_read,
    hs_links, HS_MAX_LINKS, hs_build_links, hs_parse_links, conn_free_plain, hs_import_send, NULL,
};

Connector *conn_hubspot_new(const char *base_url)
{
    Connector *c = cm_calloc(1, sizeof *c);
    conn_init(c, &hs_ops, base_url, crm_hubspot.default_api_version);
    conn_set_rate_limit(c, crm_hubspot.rate_max, crm_hubspot.rate_window_ms, false);
    conn_set_pacing(c, crm_hubspot.rate_headers);
    return c;
}
