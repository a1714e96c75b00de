/* conn_hubspot_import: HubSpot's imports API as the connector's bulk engine
 * (docs/run.md, "Bulk jobs"): the upserts of a standard object by a unique
 * property go as one CSV file per import — POST /crm/v3/imports, a
 * multipart/form-data body built here (importRequest JSON and the file;
 * the transport only carries bytes) — then GET /crm/v3/imports/ID until
 * DONE, FAILED or CANCELED, then GET .../errors, whose rows are matched to
 * the records by the key column (never by order). An import answers no
 * record ids: where the engine needs them (a later entity refers to these
 * records) they are read back by batch/read, 100 keys a request.
 *
 * What an import cannot say goes by the batch API instead, left unanswered
 * (ConnBulk.answered): creates without a key, custom objects (their
 * objectTypeId is not known here), a record with an association (the link
 * step makes those) or a `clear` (an import leaves an empty cell as it
 * is), the rows of an import that FAILED or was CANCELED and rows it did
 * not report on.
 *
 * The import's name is journaled before its upload (state UPLOADING), its
 * id once HubSpot answers: a resumed run polls a journaled id, and finds
 * an import whose answer was lost by its name in GET /crm/v3/imports, so a
 * file is never uploaded twice while HubSpot lists its import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "builtins.h"
#include "bulk_csv.h"
#include "cm_alloc.h"
#include "cm_sort.h"
#include "conn_hubspot.h"
#include "conn_json.h"
#include "multipart.h"

/* "individual import files are limited to 1,048,576 rows or 512 MB" (the
 * imports guide's Limits; past them HubSpot answers 429). */
#define HS_IMPORT_MAX_ROWS 1048576u
#define HS_IMPORT_MAX_BYTES (512u * 1000u * 1000u - 64u * 1024u)
#define HS_READ_KEYS 100

static const ConnAnswerShape hs_import_answer = { NULL, "category", "message", NULL, NULL, "results", NULL };

typedef enum ImpCall { IMP_START, IMP_INFO, IMP_LIST, IMP_ERRORS } ImpCall;

typedef struct Imp {
    const Connector *c;
    Transport *t;
    ConnBulk *b;
    const char *type_id;        /* the object's objectTypeId (contacts: 0-1) */
    bool fold;                  /* keys compare without case (email) */
    const char **cols;          /* the CSV's columns: the key first */
    size_t ncols;
    size_t at;                  /* the position of the import's first record */
    CmNameAt *keys;             /* its records' keys and places in the group, sorted */
    size_t n;
    char id[96], state[32], name[96];
    ImpCall call;
    const CmBuf *body;
    char content_type[128];
    char after[128];            /* a list's next page; "" at the last */
    bool found;                 /* IMP_LIST: an import of that name */
} Imp;

static const char *type_id_of(const char *entity)
{
    static const char *const types[][2] = {
        { "contacts", "0-1" }, { "companies", "0-2" }, { "deals", "0-3" }, { "tickets", "0-5" },
    };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (strcmp(entity, types[k][0]) == 0)
            return types[k][1];
    return NULL;
}

/* By key alone, which bsearch needs: keys are unique in a group (the
 * engine sends a key given twice in two rounds). */
static int key_order(const void *a, const void *b)
{
    return strcmp(((const CmNameAt *)a)->name, ((const CmNameAt *)b)->name);
}

static int key_order_fold(const void *a, const void *b)
{
    return builtin_text_casecmp(((const CmNameAt *)a)->name, ((const CmNameAt *)b)->name);
}

/* ---- requests ---- */

static bool imp_build(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen)
{
    (void)msg, (void)msglen;
    Imp *m = ctx;
    cm_buf_printf(&req->url, "%s/crm/v3/imports", c->base);
    if (m->call == IMP_INFO || m->call == IMP_ERRORS) {
        cm_buf_putc(&req->url, '/');
        cm_buf_put_percent(&req->url, m->id);
    }
    if (m->call == IMP_ERRORS)
        cm_buf_puts(&req->url, "/errors");
    if (m->call == IMP_LIST || m->call == IMP_ERRORS) {
        cm_buf_puts(&req->url, "?limit=100");
        if (m->after[0]) {
            cm_buf_puts(&req->url, "&after=");
            cm_buf_put_percent(&req->url, m->after);
        }
    }
    req->method = m->call == IMP_START ? "POST" : "GET";
    req->nheaders = 0;
    req->headers[req->nheaders++] = "Accept: application/json";
    if (m->call == IMP_START) {
        req->headers[req->nheaders++] = m->content_type;
        cm_buf_put(&req->body, m->body->data, m->body->len);
    }
    return true;
}

/* The failed rows an errors page names, matched by their key cell. */
static void take_errors(Imp *m, const cJSON *list)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const cJSON *row = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "sourceData"),
                                                            "rowData");
        const cJSON *cell = cJSON_GetArrayItem(row, 0);
        if (!cJSON_IsString(cell))
            continue;   /* a row we cannot place: its record is read back or sent again */
        CmNameAt want = { cell->valuestring, 0 };
        const CmNameAt *hit = bsearch(&want, m->keys, m->n, sizeof *m->keys, m->fold ? key_order_fold : key_order);
        if (hit == NULL || m->b->answered[hit->at])
            continue;
        const char *field = conn_str(cJSON_GetObjectItemCaseSensitive(e, "invalidPropertyValue"), "name");
        const cJSON *col = cJSON_GetObjectItemCaseSensitive(e, "knownColumnNumber");
        /* the column's number counts from 1 */
        if (field == NULL && cJSON_IsNumber(col) && col->valuedouble >= 1 && col->valuedouble <= (double)m->ncols)
            field = m->cols[(size_t)col->valuedouble - 1];
        const char *type = conn_str(e, "errorType");
        const char *why = conn_str(e, "errorMessage");
        conn_result_error(&m->b->results[hit->at], type ? type : "IMPORT_ERROR", why ? why : "the import refused the row",
                          field);
        m->b->answered[hit->at] = true;
    }
}

static void take_after(Imp *m, const cJSON *root)
{
    const char *after = conn_str(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "paging"),
                                                                  "next"),
                                 "after");
    snprintf(m->after, sizeof m->after, "%s", after && strlen(after) < sizeof m->after ? after : "");
}

/* An import's id and state from its answer into m. */
static bool take_import(Imp *m, const cJSON *o)
{
    const char *state = conn_str(o, "state");
    char id[64];
    if (!conn_id_text(cJSON_GetObjectItemCaseSensitive(o, "id"), id, sizeof id) || state == NULL)
        return false;
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->state, sizeof m->state, "%s", state);
    return true;
}

static ConnStatus imp_answer(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen)
{
    (void)c;
    Imp *m = ctx;
    ConnAnswer a;
    bool listed = m->call == IMP_LIST || m->call == IMP_ERRORS;
    ConnStatus st;
    if (listed || r->status < 200 || r->status > 299) {
        st = conn_open_answer(r, &hs_import_answer, &a, msg, msglen);
    } else {
        a.root = cJSON_ParseWithLength(r->body, r->body_len);
        st = CONN_OK;
    }
    if (st == CONN_OK && m->call == IMP_ERRORS) {
        take_errors(m, a.list);
        take_after(m, a.root);
    } else if (st == CONN_OK && m->call == IMP_LIST) {
        const cJSON *imp;
        cJSON_ArrayForEach(imp, a.list) {
            const char *name = conn_str(imp, "importName");
            if (!m->found && name && strcmp(name, m->name) == 0)
                m->found = take_import(m, imp);
        }
        take_after(m, a.root);
    } else if (st == CONN_OK && !take_import(m, a.root)) {
        snprintf(msg, msglen, "HTTP %d: an import answer without its id and state", r->status);
        st = CONN_BAD_ANSWER;
    }
    cJSON_Delete(a.root);
    return st;
}

static ConnStatus call(Imp *m, ImpCall what, const RetryPolicy *p, const RetryClock *clk, char *msg,
                       size_t msglen)
{
    m->call = what;
    /* an upload is not resent after it may have landed: a resumed run finds it by its name */
    const ConnCall cc = { imp_build, imp_answer, m, what == IMP_START };
    m->b->requests++;
    return conn_call(m->c, m->t, &cc, p, clk, msg, msglen);
}

/* ---- the file ---- */

/* The records an import can carry (ok[i]): a key, no `clear` (an import
 * leaves an empty cell as it is), no association (the link step makes
 * those). m->cols: the key, then every other column they fill, in the
 * order they first do; pos[] the CSV position of each ConnBulk column
 * (SIZE_MAX: none; the key's own column is the key's). */
static void importable(Imp *m, bool *ok, size_t *pos)
{
    const ConnBulk *b = m->b;
    const ConnBatch *bt = b->batch;
    /* per ConnBulk column: 0 unseen, 1 an association, 2 placed */
    unsigned char *kind = cm_calloc(b->ncolumns + 1, 1);
    for (size_t c = 0; c < b->ncolumns; c++) {
        long type;
        pos[c] = SIZE_MAX;
        if (b->columns[c] == NULL)      /* no marker field: no cell names it */
            continue;
        if (hs_assoc_field(b->columns[c], &type, NULL, 0))
            kind[c] = 1;
        else if (strcasecmp(b->columns[c], bt->key_field) == 0)
            kind[c] = 2, pos[c] = 0;
    }
    m->cols = cm_malloc((b->ncolumns + 1) * sizeof *m->cols);
    m->cols[0] = bt->key_field;
    m->ncols = 1;
    for (size_t i = 0; i < bt->n; i++) {
        const ConnCells *cells = &b->cells[i];
        ok[i] = bt->records[i].key && bt->records[i].key[0];
        for (size_t k = 0; k < cells->n && ok[i]; k++)
            ok[i] = !cells->at[k].clear && kind[cells->at[k].col] != 1;
        for (size_t k = 0; k < cells->n && ok[i]; k++) {
            uint32_t c = cells->at[k].col;
            if (kind[c] == 0) {
                kind[c] = 2;
                pos[c] = m->ncols;
                m->cols[m->ncols++] = b->columns[c];
            }
        }
    }
    cm_free(kind);
}

/* The CSV of the records from m->at on, up to the limits; m->keys the
 * records it holds. slot: room for a row's cells. Returns the position
 * after the last one taken. */
static size_t write_csv(Imp *m, const bool *ok, const size_t *pos, const ConnCell **slot, CmBuf *csv)
{
    const ConnBatch *bt = m->b->batch;
    csv_put_header(csv, m->cols, m->ncols);
    CmBuf row = CM_BUF_INIT;
    m->n = 0;
    size_t i = m->at;
    for (; i < bt->n && m->n < HS_IMPORT_MAX_ROWS; i++) {
        if (!ok[i])
            continue;
        const ConnCells *cells = &m->b->cells[i];
        memset(slot, 0, m->ncols * sizeof *slot);
        for (size_t k = 0; k < cells->n; k++)
            slot[pos[cells->at[k].col]] = &cells->at[k];
        cm_buf_clear(&row);
        csv_put_field(&row, bt->records[i].key, strlen(bt->records[i].key));
        for (size_t k = 1; k < m->ncols; k++) {
            cm_buf_putc(&row, ',');
            if (slot[k])
                csv_put_field(&row, slot[k]->text, slot[k]->len);
        }
        if (m->n > 0 && csv->len + row.len + 1 > HS_IMPORT_MAX_BYTES)
            break;
        cm_buf_put(csv, row.data, row.len);
        cm_buf_putc(csv, '\n');
        m->keys[m->n].name = bt->records[i].key;
        m->keys[m->n++].at = i;
    }
    cm_buf_free(&row);
    qsort(m->keys, m->n, sizeof *m->keys, m->fold ? key_order_fold : key_order);
    return i;
}

/* The importRequest: one file, every column a property of the object,
 * the key its unique identifier; dates as the dry run writes them. */
static char *import_request(const Imp *m)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", m->name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "importOperations"), m->type_id, "UPSERT");
    cJSON_AddStringToObject(root, "dateFormat", "YEAR_MONTH_DAY");
    cJSON *file = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "files"), file);
    cJSON_AddStringToObject(file, "fileName", "crmmap.csv");
    cJSON_AddStringToObject(file, "fileFormat", "CSV");
    cJSON *page = cJSON_AddObjectToObject(file, "fileImportPage");
    cJSON_AddBoolToObject(page, "hasHeader", true);
    cJSON *maps = cJSON_AddArrayToObject(page, "columnMappings");
    for (size_t k = 0; k < m->ncols; k++) {
        cJSON *col = cJSON_CreateObject();
        cJSON_AddStringToObject(col, "columnObjectTypeId", m->type_id);
        cJSON_AddStringToObject(col, "columnName", m->cols[k]);
        cJSON_AddStringToObject(col, "propertyName", m->cols[k]);
        if (k == 0)
            cJSON_AddStringToObject(col, "idColumnType", "HUBSPOT_ALTERNATE_ID");
        cJSON_AddItemToArray(maps, col);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* multipart/form-data (RFC 7578): the importRequest field and the file. */
static void multipart(Imp *m, const char *request, const CmBuf *csv, CmBuf *body)
{
    MpPart parts[] = {
        { "importRequest", NULL, "application/json", request, strlen(request) },
        { "files", "crmmap.csv", "text/csv", csv->data, csv->len },
    };
    multipart_build(parts, 2, body, m->content_type, sizeof m->content_type);
}

/* ---- one import ---- */

static bool terminal(const char *state)
{
    return strcmp(state, "DONE") == 0 || strcmp(state, "FAILED") == 0 || strcmp(state, "CANCELED") == 0;
}

/* A new import: its name journaled, the file uploaded, its id journaled.
 * *skip: HubSpot refused it whole; its records go by the batch API. */
static ConnStatus start(Imp *m, const CmBuf *csv, bool *skip, const RetryPolicy *p, const RetryClock *clk,
                        char *msg, size_t msglen)
{
    const ConnBulkWatch *w = m->b->watch;
    if (m->name[0] == '\0')
        snprintf(m->name, sizeof m->name, "crmmap %s %zu %08lx%05x", m->b->batch->entity, m->at,
                 (unsigned long)time(NULL), (unsigned)getpid() & 0xfffffu);
    if (!w->job_put(w->ctx, m->at, m->name, "UPLOADING")) {
        snprintf(msg, msglen, "import %s could not be journaled: not uploaded", m->name);
        return CONN_UNAVAILABLE;
    }
    char *request = import_request(m);
    CmBuf body = CM_BUF_INIT;
    multipart(m, request, csv, &body);
    cJSON_free(request);
    m->body = &body;
    ConnStatus st = call(m, IMP_START, p, clk, msg, msglen);
    cm_buf_free(&body);
    if (st == CONN_REJECTED) {
        *skip = true;
        return w->job_put(w->ctx, m->at, "", "REFUSED") ? CONN_OK : CONN_UNAVAILABLE;
    }
    if (st == CONN_OK && !w->job_put(w->ctx, m->at, m->id, m->state)) {
        snprintf(msg, msglen, "import %s could not be journaled", m->id);
        return CONN_UNAVAILABLE;
    }
    return st;
}

/* The import a previous run journaled for these records: polled on where
 * its id is known, looked up by its name where its upload's answer was
 * lost. *resumed: it goes on; *skip: it was refused before. */
static ConnStatus pick_up(Imp *m, bool *resumed, bool *skip, const RetryPolicy *p, const RetryClock *clk,
                          char *msg, size_t msglen)
{
    const ConnBulkWatch *w = m->b->watch;
    char id[96], state[32];
    if (!w->job_get(w->ctx, m->at, id, sizeof id, state, sizeof state))
        return CONN_OK;
    *skip = strcmp(state, "REFUSED") == 0;
    ConnStatus st = CONN_OK;
    if (strcmp(state, "UPLOADING") == 0) {
        snprintf(m->name, sizeof m->name, "%s", id);
        m->after[0] = '\0';
        do
            st = call(m, IMP_LIST, p, clk, msg, msglen);
        while (st == CONN_OK && !m->found && m->after[0]);
        *resumed = st == CONN_OK && m->found;
        if (*resumed && !w->job_put(w->ctx, m->at, m->id, m->state))
            st = CONN_UNAVAILABLE;
    } else if (!*skip) {
        snprintf(m->id, sizeof m->id, "%s", id);
        st = call(m, IMP_INFO, p, clk, msg, msglen);
        *resumed = st == CONN_OK;
        if (st == CONN_REJECTED)    /* HubSpot no longer knows it: a new import takes its records */
            st = CONN_OK;
    }
    return st;
}

/* Polls until the import ends, waiting poll_ms, then twice as long, up to
 * 32 times poll_ms. */
static ConnStatus wait_import(Imp *m, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    int64_t wait = 0;
    ConnStatus st = CONN_OK;
    while (st == CONN_OK && !terminal(m->state)) {
        conn_bulk_pause(m->b, clk, &wait);
        st = call(m, IMP_INFO, p, clk, msg, msglen);
    }
    return st;
}

/* The ids of the rows DONE without an error, read back by key; a key not
 * found stays unanswered (the batch API sends it). */
static ConnStatus read_ids(Imp *m, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    const ConnBatch *bt = m->b->batch;
    const char *keys[HS_READ_KEYS];
    size_t at[HS_READ_KEYS];
    ConnCurrent cur[HS_READ_KEYS];
    ConnStatus st = CONN_OK;
    for (size_t k = 0; k < m->n && st == CONN_OK;) {
        size_t n = 0;
        for (; k < m->n && n < HS_READ_KEYS; k++)
            if (!m->b->answered[m->keys[k].at]) {
                at[n] = m->keys[k].at;
                keys[n++] = m->keys[k].name;
            }
        if (n == 0)
            break;
        ConnRead r = { bt->entity, bt->key_field, keys, n, NULL, 0 };
        m->b->requests++;
        st = conn_read(m->c, m->t, &r, p, clk, cur, msg, msglen);
        for (size_t j = 0; j < n && st == CONN_OK; j++) {
            if (cur[j].found) {
                ConnResult *res = &m->b->results[at[j]];
                memset(res, 0, sizeof *res);
                res->ok = true;
                snprintf(res->id, sizeof res->id, "%s", cur[j].id);
                m->b->answered[at[j]] = true;
            }
            conn_current_clear(&cur[j]);
        }
    }
    return st;
}

/* The rows' outcomes: the errors first, then the rest of a DONE import. */
static ConnStatus results(Imp *m, const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    m->after[0] = '\0';
    ConnStatus st;
    do
        st = call(m, IMP_ERRORS, p, clk, msg, msglen);
    while (st == CONN_OK && m->after[0]);
    if (st != CONN_OK || strcmp(m->state, "DONE") != 0)
        return st;      /* FAILED or CANCELED: the rest go by the batch API */
    if (m->b->want_ids)
        return read_ids(m, p, clk, msg, msglen);
    for (size_t k = 0; k < m->n; k++) {
        size_t i = m->keys[k].at;
        if (!m->b->answered[i]) {
            memset(&m->b->results[i], 0, sizeof m->b->results[i]);
            m->b->results[i].ok = true;
            m->b->answered[i] = true;
        }
    }
    return CONN_OK;
}

ConnStatus hs_import_send(const Connector *c, Transport *t, ConnBulk *b, const RetryPolicy *p,
                          const RetryClock *clk, char *msg, size_t msglen)
{
    const ConnBatch *bt = b->batch;
    msg[0] = '\0';
    for (size_t i = 0; i < bt->n; i++)
        b->answered[i] = false;
    Imp m = { .c = c, .t = t, .b = b, .type_id = type_id_of(bt->entity) };
    if (bt->op != CONN_UPSERT || m.type_id == NULL || bt->key_field == NULL || b->cells == NULL
        || strcmp(bt->key_field, "hs_object_id") == 0)
        return CONN_OK;
    m.fold = strcmp(bt->key_field, "email") == 0;
    bool *ok = cm_malloc((bt->n + 1) * sizeof *ok);
    size_t *pos = cm_malloc((b->ncolumns + 1) * sizeof *pos);
    importable(&m, ok, pos);
    const ConnCell **slot = cm_malloc(m.ncols * sizeof *slot);
    m.keys = cm_calloc(bt->n + 1, sizeof *m.keys);
    ConnStatus st = CONN_OK;
    CmBuf csv = CM_BUF_INIT;
    while (st == CONN_OK && m.at < bt->n) {
        cm_buf_clear(&csv);
        m.name[0] = m.id[0] = m.state[0] = '\0';
        m.found = false;
        size_t next = write_csv(&m, ok, pos, slot, &csv);
        bool resumed = false, skip = false;
        if (m.n > 0)
            st = pick_up(&m, &resumed, &skip, p, clk, msg, msglen);
        if (st == CONN_OK && m.n > 0 && !resumed && !skip)
            st = start(&m, &csv, &skip, p, clk, msg, msglen);
        if (st == CONN_OK && m.n > 0 && !skip)
            st = wait_import(&m, p, clk, msg, msglen);
        if (st == CONN_OK && m.n > 0 && !skip)
            st = results(&m, p, clk, msg, msglen);
        m.at = next;
    }
    if (st == CONN_OK)
        msg[0] = '\0';
    cm_buf_free(&csv);
    cm_free(ok);
    cm_free(pos);
    cm_free(slot);
    cm_free(m.cols);
    cm_free(m.keys);
    return st;
}
