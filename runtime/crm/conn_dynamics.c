/* conn_dynamics: the Dynamics 365 / Dataverse Web API. The creates and
 * upserts of a table that takes CreateMultiple/UpsertMultiple go as those
 * (conn_dynamics_multiple.c); the rest, and a set refused whole there, as
 * one POST $batch (multipart/mixed, no change set, Prefer:
 * odata.continue-on-error) of one request per record: upsert is PATCH
 * SET(key='value') by an alternate key (or SET(guid)), update the same with
 * If-Match: * so it never creates, create is POST SET. Payloads travel as
 * they are: option sets as integers, lookups as "x@odata.bind". Each answer
 * part carries the status, OData-EntityId (the record's id) or an
 * {"error": {"code", "message"}} body. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "conn_dynamics_int.h"

#define DYN_MAX_BATCH 1000
#define BOUNDARY "batch_crmmap_7f3a9c"
/* Dataverse's "Cannot insert duplicate key" (-2147220937). */
#define DYN_DUPLICATE_KEY "0x80040237"

static size_t dyn_max_batch(const Connector *c, const char *entity, ConnOp op)
{
    (void)c;
    (void)entity;
    (void)op;
    return DYN_MAX_BATCH;
}

static bool is_guid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        bool dash = n == 8 || n == 13 || n == 18 || n == 23;
        if (dash ? s[n] != '-' : !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')
                                   || (s[n] >= 'A' && s[n] <= 'F')))
            return false;
    }
    return n == 36;
}

/* The primary id attribute of an entity set: contacts -> contactid,
 * opportunities -> opportunityid (Dataverse's plural rule for most tables). */
static void id_attribute(const char *set, char *out, size_t outlen)
{
    size_t n = strlen(set);
    if (n > 3 && strcmp(set + n - 3, "ies") == 0)
        snprintf(out, outlen, "%.*syid", (int)(n - 3), set);
    else if (n > 1 && set[n - 1] == 's')
        snprintf(out, outlen, "%.*sid", (int)(n - 1), set);
    else
        snprintf(out, outlen, "%sid", set);
}

bool conn_dynamics_put_key(CmBuf *b, const char *set, const char *key_field, const char *key, char *err,
                           size_t errlen)
{
    cm_buf_put_percent(b, set);
    cm_buf_putc(b, '(');
    if (key_field == NULL) {
        if (!is_guid(key)) {
            snprintf(err, errlen, "'%.60s' is not a record id (GUID); name an alternate key", key);
            return false;
        }
        cm_buf_puts(b, key);
    } else {
        cm_buf_put_percent(b, key_field);
        cm_buf_puts(b, "='");
        CmBuf quoted = CM_BUF_INIT;
        for (const char *p = key; *p; p++) {
            if (*p == '\'')
                cm_buf_putc(&quoted, '\'');
            cm_buf_putc(&quoted, *p);
        }
        cm_buf_put_percent(b, quoted.data ? quoted.data : "");
        cm_buf_free(&quoted);
        cm_buf_putc(b, '\'');
    }
    cm_buf_putc(b, ')');
    return true;
}

static bool dyn_build(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    if (b->n == 0 || b->n > DYN_MAX_BATCH) {
        snprintf(err, errlen, "a Dynamics $batch holds 1 to %d requests, not %zu", DYN_MAX_BATCH, b->n);
        return false;
    }
    cm_buf_printf(&out->url, "%s/api/data/%s/$batch", c->base, c->api_version);
    out->method = "POST";
    out->headers[0] = "Content-Type: multipart/mixed; boundary=" BOUNDARY;
    out->headers[1] = "Prefer: odata.continue-on-error";
    out->headers[2] = "OData-Version: 4.0";
    out->headers[3] = "Accept: application/json";
    out->nheaders = 4;
    for (size_t i = 0; i < b->n; i++) {
        cJSON *payload = conn_payload(b, i, err, errlen);
        if (payload == NULL)
            return false;
        /* Printed unformatted: no line break can end up inside the part. */
        char *body = cJSON_PrintUnformatted(payload);
        cJSON_Delete(payload);
        cm_buf_puts(&out->body, "--" BOUNDARY "\r\nContent-Type: application/http\r\n"
                                "Content-Transfer-Encoding: binary\r\n\r\n");
        cm_buf_puts(&out->body, b->op == CONN_CREATE ? "POST " : "PATCH ");
        cm_buf_printf(&out->body, "%s/api/data/%s/", c->base, c->api_version);
        bool ok = true;
        if (b->op == CONN_CREATE) {
            cm_buf_put_percent(&out->body, b->entity);
        } else if (b->records[i].key == NULL || b->records[i].key[0] == '\0') {
            snprintf(err, errlen, "record %zu: no value for the key", i + 1);
            ok = false;
        } else {
            ok = conn_dynamics_put_key(&out->body, b->entity, b->key_field, b->records[i].key, err, errlen);
        }
        if (ok) {
            cm_buf_puts(&out->body, " HTTP/1.1\r\nContent-Type: application/json\r\n");
            if (b->op == CONN_UPDATE)
                cm_buf_puts(&out->body, "If-Match: *\r\n");
            cm_buf_printf(&out->body, "\r\n%s\r\n", body);
        }
        cJSON_free(body);
        if (!ok)
            return false;
    }
    cm_buf_puts(&out->body, "--" BOUNDARY "--\r\n");
    return true;
}

/* The line at *p (up to CRLF or LF); advances *p past it. */
static const char *next_line(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *stop = nl ? nl : end;
    *len = (size_t)(stop - s);
    if (*len > 0 && s[*len - 1] == '\r')
        (*len)--;
    *p = nl ? nl + 1 : end;
    return s;
}

/* Reads one answer part (between boundaries) into res. */
static void read_part(const char *p, const char *end, ConnResult *res)
{
    size_t len;
    const char *line;
    /* the part's own headers, up to a blank line */
    do {
        line = next_line(&p, end, &len);
    } while (len > 0 && p < end);
    line = next_line(&p, end, &len);
    int status = 0;
    if (len < 12 || sscanf(line, "HTTP/1.1 %3d", &status) != 1) {
        conn_result_error(res, "BAD_ANSWER", "an answer part without a status line", NULL);
        res->retry = true;
        return;
    }
    char id[96] = "";
    while (p < end) {
        line = next_line(&p, end, &len);
        if (len == 0)
            break;
        if (len > 15 && strncasecmp(line, "OData-EntityId:", 15) == 0) {
            const char *open = NULL, *close = NULL;
            for (const char *q = line; q < line + len; q++) {
                if (*q == '(')
                    open = q;
                else if (*q == ')')
                    close = q;
            }
            if (open && close && close > open && (size_t)(close - open - 1) < sizeof id)
                snprintf(id, sizeof id, "%.*s", (int)(close - open - 1), open + 1);
        }
    }
    if (status >= 200 && status < 300) {
        res->ok = true;
        res->created = status == 201;
        snprintf(res->id, sizeof res->id, "%s", id);
        return;
    }
    cJSON *body = cJSON_ParseWithLength(p, (size_t)(end - p));
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(e, "message");
    char fallback[32];
    snprintf(fallback, sizeof fallback, "HTTP_%d", status);
    conn_result_error(res, cJSON_IsString(code) ? code->valuestring : fallback,
                      cJSON_IsString(message) ? message->valuestring : "", NULL);
    res->retry = status == 429 || status == 503;
    cJSON_Delete(body);
}

/* A create refused because a record with its id exists ("Cannot insert
 * duplicate key"): the id is the one crmmap chose for it (CrmVendor.
 * client_ids), so that record is this create, written by an earlier
 * request whose answer was lost. */
static void take_duplicate(const ConnBatch *b, size_t i, ConnResult *res)
{
    if (res->ok || strcmp(res->code, DYN_DUPLICATE_KEY) != 0)
        return;
    char idattr[128];
    id_attribute(b->entity, idattr, sizeof idattr);
    cJSON *payload = cJSON_Parse(b->records[i].payload);
    const char *id = conn_str(payload, idattr);
    if (id && is_guid(id)) {
        memset(res, 0, sizeof *res);
        res->ok = true;
        snprintf(res->id, sizeof res->id, "%s", id);
    }
    cJSON_Delete(payload);
}

const ConnAnswerShape dyn_answer = { "error", "code", "message", NULL, NULL, "value", NULL };

static ConnStatus dyn_parse(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                            char *msg, size_t msglen)
{
    (void)c;
    if (r->status < 200 || r->status > 299) {
        ConnAnswer a;
        ConnStatus st = conn_open_write_answer(r, &dyn_answer, b, results, &a, msg, msglen);
        cJSON_Delete(a.root);
        return st;
    }
    /* The answer's boundary is its first line: "--batchresponse_...". */
    const char *p = r->body, *end = r->body + r->body_len;
    size_t len;
    const char *first = next_line(&p, end, &len);
    if (len < 3 || len > 200 || first[0] != '-' || first[1] != '-') {
        snprintf(msg, msglen, "the $batch answer is not multipart (%zu bytes)", r->body_len);
        return CONN_BAD_ANSWER;
    }
    char delim[210];
    snprintf(delim, sizeof delim, "\r\n%.*s", (int)len, first);
    size_t dlen = strlen(delim);
    size_t i = 0;
    const char *part = p;
    while (i < b->n && part < end) {
        const char *stop = NULL;
        for (const char *q = part; q + dlen <= end; q++) {
            if (*q == '\r' && memcmp(q, delim, dlen) == 0) {
                stop = q;
                break;
            }
        }
        if (stop == NULL)
            break;
        read_part(part, stop, &results[i++]);
        part = stop + dlen;
        if (part + 2 <= end && part[0] == '-' && part[1] == '-')
            break;      /* the closing delimiter */
        if (part < end && *part == '\r')
            part++;
        if (part < end && *part == '\n')
            part++;
    }
    if (i == 0) {
        snprintf(msg, msglen, "the $batch answer holds no parts");
        return CONN_BAD_ANSWER;
    }
    for (size_t k = 0; b->op == CONN_CREATE && k < i; k++)
        take_duplicate(b, k, &results[k]);
    for (; i < b->n; i++) {
        /* Dataverse stopped before these (they were not processed): send again. */
        conn_result_error(&results[i], "NOT_PROCESSED", "the $batch answer ended before this request", NULL);
        results[i].retry = true;
    }
    return CONN_OK;
}

/* ---- reading current records: GET SET?$select=...&$filter=key eq '..' or ... ---- */

#define DYN_MAX_READ 50     /* keys per GET: the URL stays short */

static bool dyn_build_read(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen)
{
    if (!conn_plain_name(r->entity) || !conn_plain_name(r->key_field)) {
        snprintf(err, errlen, "entity set and key must be plain names");
        return false;
    }
    char idattr[128];
    id_attribute(r->entity, idattr, sizeof idattr);
    CmBuf select = CM_BUF_INIT, filter = CM_BUF_INIT;
    cm_buf_printf(&select, "%s,%s", idattr, r->key_field);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!conn_plain_name(r->fields[i])) {
            snprintf(err, errlen, "field '%.60s' is not a plain name", r->fields[i]);
            cm_buf_free(&select);
            return false;
        }
        cm_buf_printf(&select, ",%s", r->fields[i]);
    }
    /* the primary id is an Edm.Guid: its literal is unquoted (a note keyed
     * by annotationid: examples/dynamics/fair-leads.map) */
    bool by_id = strcmp(r->key_field, idattr) == 0;
    for (size_t i = 0; i < r->n; i++) {
        if (by_id && !is_guid(r->keys[i])) {
            snprintf(err, errlen, "'%.60s' is not a record id (GUID)", r->keys[i]);
            cm_buf_free(&select);
            cm_buf_free(&filter);
            return false;
        }
        cm_buf_printf(&filter, "%s%s eq %s", i ? " or " : "", r->key_field, by_id ? "" : "'");
        for (const char *p = r->keys[i]; *p; p++) {
            if (*p == '\'')
                cm_buf_putc(&filter, '\'');
            cm_buf_putc(&filter, *p);
        }
        if (!by_id)
            cm_buf_putc(&filter, '\'');
    }
    cm_buf_printf(&out->url, "%s/api/data/%s/", c->base, c->api_version);
    cm_buf_put_percent(&out->url, r->entity);
    cm_buf_puts(&out->url, "?$select=");
    cm_buf_put_percent(&out->url, select.data);
    cm_buf_puts(&out->url, "&$filter=");
    cm_buf_put_percent(&out->url, filter.data);
    cm_buf_free(&select);
    cm_buf_free(&filter);
    conn_json_request(out, "GET");
    out->headers[out->nheaders++] = "OData-Version: 4.0";
    return true;
}

static ConnStatus dyn_parse_read(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                                 char *msg, size_t msglen)
{
    (void)c;
    char idattr[128];
    id_attribute(r->entity, idattr, sizeof idattr);
    return conn_read_matches(resp, &dyn_answer, r, idattr, out, msg, msglen);
}

static void dyn_free(Connector *c)
{
    dyn_tables_free(((DynConnector *)c)->tables);
    cm_free(c);
}

/* Writes as CreateMultiple/UpsertMultiple where the table takes them
 * (Connector.all_or_nothing), else as a $batch. conn_send decides as it
 * builds a set (a set built as $batch is parsed by dyn_batch_ops), so an
 * answer here is to a set the table was asked to take. */
static bool dyn_build_any(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen)
{
    return dyn_multiple_takes(c, b) ? dyn_multiple_build(c, b, out, err, errlen) : dyn_build(c, b, out, err, errlen);
}

static ConnStatus dyn_parse_any(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                                char *msg, size_t msglen)
{
    return dyn_multiple_asked(c, b) ? dyn_multiple_parse(c, b, r, results, msg, msglen)
                                    : dyn_parse(c, b, r, results, msg, msglen);
}

static const ConnectorOps dyn_ops = {
    "dynamics", dyn_max_batch, dyn_build_any, dyn_parse_any, false, DYN_MAX_READ, dyn_build_read, dyn_parse_read,
    NULL, 0, NULL, NULL, dyn_free, NULL, NULL,   /* a write carries its links (`@odata.bind`) */
};

/* Updates, tables without the messages, and a set refused whole by them. */
static const ConnectorOps dyn_batch_ops = {
    "dynamics", dyn_max_batch, dyn_build, dyn_parse, false, DYN_MAX_READ, dyn_build_read, dyn_parse_read,
    NULL, 0, NULL, NULL, dyn_free, NULL, NULL,
};

/* Dataverse's entity set of a logical name (its usual plural rule; the
 * schema files do not carry EntitySetName): contact -> contacts,
 * opportunity -> opportunities, address -> addresses. */
char *conn_dynamics_entity_set(const char *logical)
{
    size_t n = strlen(logical);
    CmBuf b = CM_BUF_INIT;
    if (n > 1 && logical[n - 1] == 'y' && strchr("aeiou", logical[n - 2]) == NULL)
        cm_buf_printf(&b, "%.*sies", (int)(n - 1), logical);
    else if (n > 0 && (logical[n - 1] == 's' || logical[n - 1] == 'x'
                       || (n > 1 && logical[n - 1] == 'h' && (logical[n - 2] == 'c' || logical[n - 2] == 's'))))
        cm_buf_printf(&b, "%ses", logical);
    else
        cm_buf_printf(&b, "%ss", logical);
    return cm_buf_take(&b);
}

Connector *conn_dynamics_new(const char *base_url, const char *api_version)
{
    DynConnector *d = cm_calloc(1, sizeof *d);
    d->tables = cm_calloc(1, sizeof *d->tables);
    conn_init(&d->c, &dyn_ops, base_url, api_version ? api_version : crm_dynamics.default_api_version);
    d->c.all_or_nothing = dyn_multiple_takes;
    d->c.each = &dyn_batch_ops;
    conn_set_rate_limit(&d->c, crm_dynamics.rate_max, crm_dynamics.rate_window_ms, false);
    conn_set_pacing(&d->c, crm_dynamics.rate_headers);
    return &d->c;
}
