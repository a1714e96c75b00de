/* conn_salesforce_query: the current records of a group that goes by Bulk
 * API 2.0 (docs/run.md, "Bulk"), read by one query job instead of a SOQL
 * query per 100 keys: POST jobs/query, GET its info until it ends, then GET
 * its results in pages of at most SF_QUERY_PAGE rows (maxRecords), each
 * after the first asked for by the Sforce-Locator of the one before. The
 * CSV rows are matched to the keys without case (an e-mail address is one
 * whatever its case, as the REST read has it), never by order.
 *
 * The SOQL names the keys (WHERE key IN (...)) when that fits in a SOQL
 * statement, at most 100,000 characters (SOQL and SOSL Reference, "SOQL and
 * SOSL Limits"): about 2,500 e-mail addresses. A larger group reads the
 * whole object instead, one job whatever the group's size: several jobs of
 * 2,500 keys would cost about four requests each, while a whole object's
 * rows cost one request per SF_QUERY_PAGE of them — its bytes grow with the
 * object, not the calls.
 *
 * The job is journaled with a fingerprint of its SOQL, once created and
 * again once it completed. A query only reads, so running it again would be
 * safe; it is not needed: a run killed while the job ran polls it on, and
 * one killed after it completed reads its results again (kept 7 days by
 * Salesforce; gone, the query runs again). Those results may predate writes
 * the killed run made, but only writes of these very records from these
 * very values, which the resumed run makes again alike. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builtins.h"
#include "bulk_csv.h"
#include "cm_alloc.h"
#include "conn_json.h"
#include "conn_salesforce_job.h"

#define SF_SOQL_MAX 100000u

typedef struct Key {
    const char *text;
    size_t i;
} Key;

static int key_order(const void *a, const void *b)
{
    return builtin_text_casecmp(((const Key *)a)->text, ((const Key *)b)->text);
}

/* The column of name in the header row, or SIZE_MAX. */
static size_t column(const CsvRow *header, const char *name)
{
    for (size_t k = 0; k < header->n; k++)
        if (strcasecmp(csv_field(header, k), name) == 0)
            return k;
    return SIZE_MAX;
}

/* Answers the keys the page's rows hold; false at a broken quote. */
static bool match_page(const Job *j, ConnBulkRead *r, const Key *keys)
{
    const ConnRead *rd = r->read;
    const char *p = j->answer.data ? j->answer.data : "", *end = p + j->answer.len;
    CsvRow header = { CM_BUF_INIT, NULL, 0, 0 }, row = { CM_BUF_INIT, NULL, 0, 0 };
    bool bad = false;
    csv_next_row(&p, end, &header, &bad);
    size_t kcol = column(&header, rd->key_field), idcol = column(&header, "Id");
    size_t *fcol = cm_malloc((rd->nfields + 1) * sizeof *fcol);
    for (size_t f = 0; f < rd->nfields; f++)
        fcol[f] = column(&header, rd->fields[f]);
    while (!bad && kcol != SIZE_MAX && csv_next_row(&p, end, &row, &bad)) {
        Key want = { csv_field(&row, kcol), 0 };
        const Key *hit = bsearch(&want, keys, rd->n, sizeof *keys, key_order);
        if (hit == NULL || want.text[0] == '\0')
            continue; /* a record of the object no key of the group names */
        while (hit > keys && builtin_text_casecmp(hit[-1].text, want.text) == 0)
            hit--;
        /* an empty cell is a null: the CSV holds no other */
        cJSON *holder = cJSON_CreateObject();
        for (size_t f = 0; f < rd->nfields; f++) {
            const char *v = fcol[f] == SIZE_MAX ? "" : csv_field(&row, fcol[f]);
            cJSON_AddItemToObject(holder, rd->fields[f], v[0] ? cJSON_CreateString(v) : cJSON_CreateNull());
        }
        for (; hit < keys + rd->n && builtin_text_casecmp(hit->text, want.text) == 0; hit++)
            if (!r->out[hit->i].found)
                conn_current_fill(&r->out[hit->i], idcol == SIZE_MAX ? "" : csv_field(&row, idcol), holder, rd);
        cJSON_Delete(holder);
    }
    cm_free(fcol);
    csv_row_free(&header);
    csv_row_free(&row);
    return !bad;
}

/* Every page of the completed job's results, matched. */
static ConnStatus read_pages(Job *j, ConnBulkRead *r, const Key *keys, const RetryPolicy *p, const RetryClock *clk,
                             char *msg, size_t msglen)
{
    CmBuf params = CM_BUF_INIT;
    ConnStatus st = CONN_OK;
    j->locator[0] = '\0';
    do {
        cm_buf_clear(&params);
        cm_buf_printf(&params, "maxRecords=%u", SF_QUERY_PAGE);
        if (j->locator[0]) {
            cm_buf_puts(&params, "&locator=");
            cm_buf_put_percent(&params, j->locator);
        }
        j->params = params.data;
        st = sf_job_call(j, "GET", "results", NULL, NULL, 0, false, p, clk, msg, msglen);
        j->params = NULL;
        if (st == CONN_OK && !match_page(j, r, keys)) {
            snprintf(msg, msglen, "query job %s: a result page with an unterminated quote", j->id);
            st = CONN_BAD_ANSWER;
        }
    } while (st == CONN_OK && j->locator[0]);
    cm_buf_free(&params);
    return st;
}

/* A new job for soql, journaled with mark once created. */
static ConnStatus create(Job *j, const ConnBulkWatch *w, const char *soql, const char *mark, const RetryPolicy *p,
                         const RetryClock *clk, char *msg, size_t msglen)
{
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "operation", "query");
    cJSON_AddStringToObject(spec, "query", soql);
    /* a second job, should a lost answer make one, only reads */
    ConnStatus st = sf_job_create(j, spec, p, clk, msg, msglen);
    char state[64];
    snprintf(state, sizeof state, "%s %s", j->state, mark);
    if (st == CONN_OK && !w->job_put(w->ctx, 0, j->id, state)) {
        snprintf(msg, msglen, "query job %s could not be journaled", j->id);
        return CONN_UNAVAILABLE;
    }
    return st;
}

/* The job a previous run journaled for this very SOQL (its fingerprint
 * mark): true with j->id and j->state set. */
static bool journaled(Job *j, const ConnBulkWatch *w, const char *mark)
{
    char state[64];
    if (!w->job_get(w->ctx, 0, j->id, sizeof j->id, state, sizeof state))
        return false;
    const char *space = strchr(state, ' ');
    if (space == NULL || strcmp(space + 1, mark) != 0)
        return false;
    snprintf(j->state, sizeof j->state, "%.*s", (int)(space - state), state);
    return true;
}

static ConnStatus run_job(Job *j, ConnBulkRead *r, const Key *keys, bool again, const char *soql, const char *mark,
                          const RetryPolicy *p, const RetryClock *clk, char *msg, size_t msglen)
{
    ConnStatus st = again ? CONN_OK : create(j, r->watch, soql, mark, p, clk, msg, msglen);
    if (st == CONN_OK)
        st = sf_job_wait(j, p, clk, msg, msglen);
    if (st == CONN_OK && strcmp(j->state, "JobComplete") != 0) {
        if (again)
            return CONN_REJECTED; /* a killed run's job that failed: a new one is made */
        if (strncmp(msg, "the job failed", 14) != 0)
            snprintf(msg, msglen, "query job %s ended %s", j->id, j->state);
        return CONN_UNAVAILABLE;
    }
    char state[64];
    snprintf(state, sizeof state, "JobComplete %s", mark);
    if (st == CONN_OK && !r->watch->job_put(r->watch->ctx, 0, j->id, state)) {
        snprintf(msg, msglen, "query job %s could not be journaled as complete", j->id);
        return CONN_UNAVAILABLE;
    }
    return st == CONN_OK ? read_pages(j, r, keys, p, clk, msg, msglen) : st;
}

static unsigned long long fingerprint(const char *s)
{
    unsigned long long h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

ConnStatus sf_bulk_read(const Connector *c, Transport *t, ConnBulkRead *r, const RetryPolicy *p, const RetryClock *clk,
                        char *msg, size_t msglen)
{
    const ConnRead *rd = r->read;
    msg[0] = '\0';
    CmBuf soql = CM_BUF_INIT;
    bool ok = sf_soql(rd, true, &soql, msg, msglen);
    if (ok && soql.len > SF_SOQL_MAX) {
        cm_buf_clear(&soql);
        ok = sf_soql(rd, false, &soql, msg, msglen);
    }
    if (!ok) {
        cm_buf_free(&soql);
        return CONN_REJECTED;
    }
    char mark[24];
    snprintf(mark, sizeof mark, "%016llx", fingerprint(soql.data));
    Key *keys = cm_malloc((rd->n + 1) * sizeof *keys);
    for (size_t i = 0; i < rd->n; i++)
        keys[i] = (Key){ rd->keys[i] ? rd->keys[i] : "", i };
    qsort(keys, rd->n, sizeof *keys, key_order);
    ConnBulk stand = { .poll_ms = r->poll_ms };
    Job j = { .c = c, .t = t, .b = &stand, .kind = "query" };
    bool again = journaled(&j, r->watch, mark);
    ConnStatus st = run_job(&j, r, keys, again, soql.data, mark, p, clk, msg, msglen);
    if (again && st == CONN_REJECTED) { /* gone (deleted, expired): query again */
        for (size_t i = 0; i < rd->n; i++)
            conn_current_clear(&r->out[i]);
        st = run_job(&j, r, keys, false, soql.data, mark, p, clk, msg, msglen);
    }
    if (st != CONN_OK)
        for (size_t i = 0; i < rd->n; i++)
            conn_current_clear(&r->out[i]);
    else
        msg[0] = '\0';
    r->requests += stand.requests;
    cm_buf_free(&j.answer);
    cm_free(keys);
    cm_buf_free(&soql);
    return st;
}
