/* conn_salesforce_bulk: Salesforce Bulk API 2.0 ingest (docs/run.md,
 * "Bulk"): per job POST jobs/ingest (insert, or upsert with
 * externalIdFieldName), one PUT of CSV to its batches, PATCH UploadComplete,
 * GET the job info until JobComplete, Failed or Aborted, then the
 * successfulResults, failedResults and unprocessedrecords CSVs as the
 * counts call for them. Rows are matched to records by the key column (an
 * upsert) or by the whole row (an insert), never by order.
 *
 * A job is journaled (ConnBulkWatch) once created and again once closed: a
 * run that finds a closed job of a previous run polls it and reads its
 * results; one that finds an Open job, whose upload it cannot know
 * happened, aborts it (an aborted job processes nothing) and makes a new
 * one. No record is uploaded twice into jobs that run. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulk_csv.h"
#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_salesforce_job.h"

/* "upload data that does not exceed 100 MB" (Upload Job Data): it grows
 * by half when Salesforce converts it to base64, against 150 MB. */
#define SF_BULK_MAX_BYTES (100u * 1000u * 1000u)

/* One record's match text: a key, or a row's values, with its position. */
typedef struct Sig {
    char *text;
    size_t i;
} Sig;

/* ---- the upload ---- */

static int sig_order(const void *a, const void *b)
{
    return strcmp(((const Sig *)a)->text, ((const Sig *)b)->text);
}

static char *lowered(const char *s, size_t n)
{
    char *d = cm_strndup(s, n);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return d;
}

/* One column of a job's CSV: a column of the batch, or (by) a ref by its
 * parent's external id; KEY_COL: the records' key where no cell holds it. */
typedef struct Col {
    uint32_t col;
    const char *by;
} Col;

#define KEY_COL UINT32_MAX

typedef struct Cols {
    Col *at;
    size_t n;
    size_t *plain;      /* per batch column: its position, or SIZE_MAX */
} Cols;

static int col_order(const void *a, const void *b)
{
    const Col *x = a, *y = b;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->by == y->by ? 0 : x->by == NULL ? -1 : y->by == NULL ? 1 : strcmp(x->by, y->by);
}

/* The columns of the group: the key first (an upsert), then every column
 * a record fills, in the batch's order. */
static void columns(const ConnBulk *b, Cols *out)
{
    const ConnBatch *bt = b->batch;
    size_t cap = b->ncolumns + 2, n = 0;
    Col *cols = cm_malloc(cap * sizeof *cols);
    bool *seen = cm_calloc(b->ncolumns + 1, sizeof *seen);
    for (size_t i = 0; i < bt->n; i++) {
        if (b->answered[i])
            continue;
        for (size_t k = 0; k < b->cells[i].n; k++) {
            const ConnCell *cell = &b->cells[i].at[k];
            if (cell->by == NULL && seen[cell->col])
                continue;
            size_t m = 0;
            while (cell->by && m < n && !(cols[m].col == cell->col && cols[m].by && !strcmp(cols[m].by, cell->by)))
                m++;
            if (cell->by && m < n)
                continue;
            seen[cell->col] |= cell->by == NULL;
            if (n == cap)
                cols = cm_realloc(cols, (cap *= 2) * sizeof *cols);
            cols[n++] = (Col){ cell->col, cell->by };
        }
    }
    qsort(cols, n, sizeof *cols, col_order);
    if (bt->op != CONN_CREATE) {    /* the key first */
        size_t k = 0;
        while (k < n && (cols[k].by || strcasecmp(b->columns[cols[k].col], bt->key_field) != 0))
            k++;
        Col key = k < n ? cols[k] : (Col){ KEY_COL, NULL };
        if (k == n) {
            if (n == cap)
                cols = cm_realloc(cols, (cap += 1) * sizeof *cols);
            n++;
        }
        memmove(cols + 1, cols, k * sizeof *cols);
        cols[0] = key;
    }
    out->plain = cm_malloc((b->ncolumns + 1) * sizeof *out->plain);
    for (size_t c = 0; c < b->ncolumns; c++)
        out->plain[c] = SIZE_MAX;
    for (size_t k = 0; k < n; k++)
        if (cols[k].col != KEY_COL && cols[k].by == NULL)
            out->plain[cols[k].col] = k;
    out->at = cols;
    out->n = n;
    cm_free(seen);
}

/* A lookup field's relationship, as Salesforce names it: NAME__c's is
 * NAME__r, a standard NAMEId's NAME. */
static void put_header(CmBuf *csv, const ConnBulk *b, const Col *col)
{
    const char *name = col->col == KEY_COL ? b->batch->key_field : b->columns[col->col];
    size_t n = strlen(name);
    if (col->by == NULL) {
        csv_put_field(csv, name, n);
        return;
    }
    CmBuf h = CM_BUF_INIT;
    if (n > 3 && strcmp(name + n - 3, "__c") == 0)
        cm_buf_printf(&h, "%.*s__r", (int)(n - 3), name);
    else if (n > 2 && strcmp(name + n - 2, "Id") == 0)
        cm_buf_put(&h, name, n - 2);
    else
        cm_buf_put(&h, name, n);
    cm_buf_printf(&h, ".%s", col->by);
    csv_put_field(csv, h.data, h.len);
    cm_buf_free(&h);
}

/* Where cell goes among cols. */
static size_t cell_pos(const Cols *cols, const ConnCell *cell)
{
    if (cell->by == NULL)
        return cols->plain[cell->col];
    for (size_t k = 0; k < cols->n; k++)
        if (cols->at[k].col == cell->col && cols->at[k].by && strcmp(cols->at[k].by, cell->by) == 0)
            return k;
    return SIZE_MAX;
}

/* Writes the CSV of records from j->at on, up to the size cap, into csv:
 * j->n of them, sigs[] their match texts; returns the position after the
 * last record it took. */
static size_t write_csv(Job *j, const Cols *cols, const ConnCell **slot, CmBuf *csv, Sig *sigs)
{
    const ConnBatch *bt = j->b->batch;
    for (size_t k = 0; k < cols->n; k++) {
        if (k)
            cm_buf_putc(csv, ',');
        put_header(csv, j->b, &cols->at[k]);
    }
    cm_buf_putc(csv, '\n');
    CmBuf row = CM_BUF_INIT, sig = CM_BUF_INIT;
    j->n = 0;
    size_t i = j->at;
    for (; i < bt->n; i++) {
        if (j->b->answered[i])
            continue;
        const ConnRecord *rec = &bt->records[i];
        const ConnCells *cells = &j->b->cells[i];
        memset(slot, 0, cols->n * sizeof *slot);
        for (size_t k = 0; k < cells->n; k++) {
            size_t pos = cell_pos(cols, &cells->at[k]);
            if (pos != SIZE_MAX)
                slot[pos] = &cells->at[k];
        }
        cm_buf_clear(&row);
        cm_buf_clear(&sig);
        for (size_t k = 0; k < cols->n; k++) {
            if (k)
                cm_buf_putc(&row, ',');
            const ConnCell *v = slot[k];
            const char *text = v == NULL ? (k == 0 && bt->op != CONN_CREATE ? rec->key : "")
                                         : v->clear ? "#N/A" : v->text;
            size_t len = v && !v->clear ? v->len : strlen(text);
            csv_put_field(&row, text, len);
            cm_buf_put(&sig, text, len);
            cm_buf_putc(&sig, '\x1f');
        }
        if (j->n > 0 && csv->len + row.len + 1 > SF_BULK_MAX_BYTES)
            break;
        cm_buf_put(csv, row.data, row.len);
        cm_buf_putc(csv, '\n');
        /* an upsert's rows are matched by the key (the first column) */
        sigs[j->n].text = bt->op != CONN_CREATE ? lowered(sig.data, strcspn(sig.data, "\x1f"))
                                                : cm_strndup(sig.data, sig.len);
        sigs[j->n++].i = i;
    }
    cm_buf_free(&row);
    cm_buf_free(&sig);
    return i;
}

/* ---- results ---- */

/* "STATUS_CODE:message:FIELD,FIELD --" into res. */
static void sf_error(ConnResult *res, const char *text)
{
    char code[64] = "UNKNOWN_ERROR", field[128] = "";
    const char *colon = strchr(text, ':');
    const char *msg = text;
    if (colon && (size_t)(colon - text) < sizeof code) {
        snprintf(code, sizeof code, "%.*s", (int)(colon - text), text);
        msg = colon + 1;
    }
    size_t len = strlen(msg);
    if (len >= 3 && strcmp(msg + len - 3, " --") == 0)
        len -= 3;
    const char *last = NULL;
    for (const char *p = msg; p < msg + len; p++)
        if (*p == ':')
            last = p;
    if (last) {
        size_t fl = strcspn(last + 1, ",");
        if (fl > (size_t)(msg + len - last - 1))
            fl = (size_t)(msg + len - last - 1);
        snprintf(field, sizeof field, "%.*s", (int)fl, last + 1);
        len = (size_t)(last - msg);
    }
    char message[320];
    snprintf(message, sizeof message, "%.*s", (int)len, msg);
    conn_result_error(res, code, message, field[0] ? field : NULL);
    res->retry = strcmp(code, "UNABLE_TO_LOCK_ROW") == 0;
}

/* Reads a result CSV (skip: the sf__ columns before the record's) and
 * answers the records it names. unprocessed: left to be sent again. */
static bool match(Job *j, Sig *sigs, size_t skip, bool ok, bool unprocessed, char *msg, size_t msglen)
{
    const ConnBatch *bt = j->b->batch;
    const char *p = j->answer.data ? j->answer.data : "", *end = p + j->answer.len;
    CsvRow row = { CM_BUF_INIT, NULL, 0, 0 };
    bool bad = false;
    csv_next_row(&p, end, &row, &bad);     /* the header */
    CmBuf sig = CM_BUF_INIT;
    while (!bad && csv_next_row(&p, end, &row, &bad)) {
        cm_buf_clear(&sig);
        if (bt->op != CONN_CREATE) {
            const char *key = csv_field(&row, skip);
            char *low = lowered(key, strlen(key));
            cm_buf_puts(&sig, low);
            cm_free(low);
        } else {
            for (size_t k = skip; k < row.n; k++) {
                cm_buf_puts(&sig, csv_field(&row, k));
                cm_buf_putc(&sig, '\x1f');
            }
        }
        cm_buf_putc(&sig, '\0');
        Sig want = { sig.data, 0 };
        Sig *hit = bsearch(&want, sigs, j->n, sizeof *sigs, sig_order);
        /* rows alike (a keyless create twice): the first not yet answered */
        while (hit && hit > sigs && strcmp(hit[-1].text, want.text) == 0)
            hit--;
        while (hit && hit < sigs + j->n && strcmp(hit->text, want.text) == 0 && j->b->answered[hit->i])
            hit++;
        if (hit == NULL || hit == sigs + j->n || strcmp(hit->text, want.text) != 0)
            continue;   /* not ours: the record stays unanswered and is sent again */
        if (unprocessed)
            continue;
        ConnResult *res = &j->b->results[hit->i];
        memset(res, 0, sizeof *res);
        if (ok) {
            res->ok = true;
            snprintf(res->id, sizeof res->id, "%s", csv_field(&row, 0));
            res->created = strcmp(csv_field(&row, 1), "true") == 0;
        } else {
            sf_error(res, csv_field(&row, 1));
            sf_already_there(bt, res->code, res);
        }
        j->b->answered[hit->i] = !res->retry;
    }
    cm_buf_free(&sig);
    csv_row_free(&row);
    if (bad)
        snprintf(msg, msglen, "job %s: a result file with an unterminated quote", j->id);
    return !bad;
}

static ConnStatus read_results(Job *j, Sig *sigs, const RetryPolicy *p, const RetryClock *clk, char *msg,
                               size_t msglen)
{
    qsort(sigs, j->n, sizeof *sigs, sig_order);
    static const struct { const char *tail; size_t skip; bool ok, unprocessed; } files[] = {
        { "successfulResults", 2, true, false },
        { "failedResults", 2, false, false },
        { "unprocessedrecords", 0, false, true },
    };
    for (size_t f = 0; f < 3; f++) {
        /* the counts say which files hold rows */
        bool wanted = f == 0 ? j->processed > j->failed : f == 1 ? j->failed > 0 : strcmp(j->state, "JobComplete");
        if (!wanted)
            continue;
        ConnStatus st = sf_job_call(j, "GET", files[f].tail, NULL, NULL, 0, false, p, clk, msg, msglen);
        if (st != CONN_OK)
            return st;
        if (!match(j, sigs, files[f].skip, files[f].ok, files[f].unprocessed, msg, msglen))
            return CONN_BAD_ANSWER;
    }
    return CONN_OK;
}

/* ---- one job ---- */

/* A new job: created, journaled, uploaded, closed, journaled closed. */
static ConnStatus start_job(Job *j, const CmBuf *csv, const RetryPolicy *p, const RetryClock *clk, char *msg,
                            size_t msglen)
{
    const ConnBatch *bt = j->b->batch;
    const ConnBulkWatch *w = j->b->watch;
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "object", bt->entity);
    cJSON_AddStringToObject(spec, "operation", bt->op == CONN_CREATE ? "insert" : "upsert");
    if (bt->op != CONN_CREATE)
        cJSON_AddStringToObject(spec, "externalIdFieldName", bt->key_field);
    ConnStatus st = sf_job_create(j, spec, p, clk, msg, msglen);
    if (st != CONN_OK)
        return st;
    if (!w->job_put(w->ctx, j->at, j->id, "Open")) {
        snprintf(msg, msglen, "job %s could not be journaled: not uploaded", j->id);
        return CONN_UNAVAILABLE;
    }
    st = sf_job_call(j, "PUT", "batches", "Content-Type: text/csv", csv->data, csv->len, true, p, clk, msg,
                     msglen);
    if (st != CONN_OK)
        return st;
    static const char close_body[] = "{\"state\":\"UploadComplete\"}";
    st = sf_job_call(j, "PATCH", NULL, "Content-Type: application/json", close_body, sizeof close_body - 1, true,
                     p, clk, msg, msglen);
    if (st == CONN_OK && !w->job_put(w->ctx, j->at, j->id, "UploadComplete")) {
        snprintf(msg, msglen, "job %s could not be journaled as closed", j->id);
        return CONN_UNAVAILABLE;
    }
    return st;
}

/* A job a previous run journaled: polled on where it was closed, aborted
 * (so that it processes nothing) where it may still be open. True in
 * *resumed when it goes on. */
static ConnStatus pick_up(Job *j, bool *resumed, const RetryPolicy *p, const RetryClock *clk, char *msg,
                          size_t msglen)
{
    *resumed = false;
    char state[32];
    const ConnBulkWatch *w = j->b->watch;
    if (!w->job_get(w->ctx, j->at, j->id, sizeof j->id, state, sizeof state))
        return CONN_OK;
    ConnStatus st = sf_job_call(j, "GET", NULL, NULL, NULL, 0, false, p, clk, msg, msglen);
    if (st == CONN_REJECTED) {      /* gone (deleted, expired): nothing of it ran */
        j->id[0] = '\0';
        return CONN_OK;
    }
    if (st != CONN_OK || strcmp(j->state, "Open") != 0) {
        *resumed = st == CONN_OK;
        return st;
    }
    static const char abort_body[] = "{\"state\":\"Aborted\"}";
    st = sf_job_call(j, "PATCH", NULL, "Content-Type: application/json", abort_body, sizeof abort_body - 1, false,
                     p, clk, msg, msglen);
    return st == CONN_REJECTED ? CONN_UNAVAILABLE : st;
}

ConnStatus sf_bulk_send(const Connector *c, Transport *t, ConnBulk *b, const RetryPolicy *p, const RetryClock *clk,
                        char *msg, size_t msglen)
{
    const ConnBatch *bt = b->batch;
    for (size_t i = 0; i < bt->n; i++) {
        b->answered[i] = bt->op != CONN_CREATE && bt->records[i].key == NULL;
        if (b->answered[i])
            conn_result_error(&b->results[i], "BAD_PAYLOAD", "no value for the key", NULL);
    }
    Cols cols;
    columns(b, &cols);
    const ConnCell **slot = cm_malloc((cols.n + 1) * sizeof *slot);
    Sig *sigs = cm_calloc(bt->n + 1, sizeof *sigs);
    Job j = { .c = c, .t = t, .b = b, .kind = "ingest" };
    ConnStatus st = CONN_OK;
    CmBuf csv = CM_BUF_INIT;
    while (st == CONN_OK && j.at < bt->n) {
        cm_buf_clear(&csv);
        size_t next = write_csv(&j, &cols, slot, &csv, sigs);
        bool resumed = false;
        if (j.n > 0)
            st = pick_up(&j, &resumed, p, clk, msg, msglen);
        if (st == CONN_OK && j.n > 0 && !resumed)
            st = start_job(&j, &csv, p, clk, msg, msglen);
        if (st == CONN_OK && j.n > 0)
            st = sf_job_wait(&j, p, clk, msg, msglen);
        if (st == CONN_OK && j.n > 0)
            st = read_results(&j, sigs, p, clk, msg, msglen);
        for (size_t k = 0; k < j.n; k++)
            cm_free(sigs[k].text);
        j.at = next;
    }
    if (st == CONN_OK)
        msg[0] = '\0';
    cm_buf_free(&csv);
    cm_buf_free(&j.answer);
    cm_free(cols.at);
    cm_free(cols.plain);
    cm_free(slot);
    cm_free(sigs);
    return st;
}
