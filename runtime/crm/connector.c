/* connector: what all connectors share, and conn_send, which drives one
 * batch through a transport: retries of the whole request, then of the
 * records the CRM refused only for the moment; conn_read and conn_link_all,
 * whose requests may be repeated at will. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_json.h"
#include "connector.h"

void conn_init(Connector *c, const ConnectorOps *ops, const char *base_url, const char *api_version)
{
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    c->ops = ops;
    c->base = cm_strndup(base_url, n);
    c->api_version = cm_strdup(api_version);
    c->limit = NULL;
    c->refresh = NULL;
    c->refresh_ctx = NULL;
}

void conn_set_refresh(Connector *c, bool (*refresh)(void *ctx), void *ctx)
{
    c->refresh = refresh;
    c->refresh_ctx = ctx;
}

void conn_set_rate_limit(Connector *c, int max, int64_t window_ms)
{
    if (c->limit == NULL)
        c->limit = cm_calloc(1, sizeof *c->limit);
    else
        ratelimit_free(c->limit);
    ratelimit_init(c->limit, max, window_ms);
}

void conn_free(Connector *c)
{
    if (c == NULL)
        return;
    cm_free(c->base);
    cm_free(c->api_version);
    if (c->limit) {
        ratelimit_free(c->limit);
        cm_free(c->limit);
    }
    c->ops->free(c);
}

void conn_request_free(ConnRequest *r)
{
    cm_buf_free(&r->url);
    cm_buf_free(&r->body);
}

void conn_result_error(ConnResult *r, const char *code, const char *message, const char *field)
{
    r->ok = false;
    /* A failed record always names a code, even when the CRM's is empty. */
    snprintf(r->code, sizeof r->code, "%s", code && code[0] ? code : "ERROR");
    snprintf(r->message, sizeof r->message, "%s", message ? message : "");
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
}

void conn_url_escape(CmBuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
            || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            cm_buf_putc(b, (char)*p);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            cm_buf_put(b, e, 3);
        }
    }
}

void conn_current_clear(ConnCurrent *c)
{
    cm_free(c->fields);
    memset(c, 0, sizeof *c);
}

bool conn_current_empty(const ConnCurrent *c, const char *field)
{
    if (!c->found || c->fields == NULL)
        return true;
    cJSON *held = cJSON_Parse(c->fields);
    const cJSON *v = cJSON_GetObjectItem(held, field);
    bool empty = v == NULL || cJSON_IsNull(v);
    if (cJSON_IsString(v)) {
        empty = true;
        for (const char *p = v->valuestring; *p && empty; p++)
            empty = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
    }
    cJSON_Delete(held);
    return empty;
}

void conn_current_fill(ConnCurrent *out, const char *id, const cJSON *holder, const ConnRead *r)
{
    out->found = true;
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    cJSON *fields = cJSON_CreateObject();
    for (size_t f = 0; f < r->nfields; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(holder, r->fields[f]);
        cJSON_AddItemToObject(fields, r->fields[f], v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
    }
    char *text = cJSON_PrintUnformatted(fields);
    cm_free(out->fields);
    out->fields = cm_strdup(text);
    cJSON_free(text);
    cJSON_Delete(fields);
}

bool conn_plain_name(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
}

static void fail_all(const ConnBatch *b, ConnResult *results, const char *code, const char *message)
{
    for (size_t i = 0; i < b->n; i++)
        conn_result_error(&results[i], code, message, NULL);
}

/* May this answer be followed by the same request again? A create is only
 * resent when it cannot have been applied: not sent, or refused with 429/503. */
static bool may_resend(const ConnBatch *b, const TxResponse *r)
{
    if (b->op != CONN_CREATE)
        return true;
    if (r->error != TX_OK)
        return !r->sent;
    return r->status == 429 || r->status == 503;
}

/* Judges one answer to b's request, attempt number `attempt`. Returns the
 * wait before sending it again, or -1 when the batch is settled with *st
 * (results filled by parse where it got that far). */
/* A 401: refresh the token once per request, then send it again at once. */
static bool refreshed_401(const Connector *c, bool *refreshed)
{
    if (c->refresh == NULL || *refreshed)
        return false;
    *refreshed = true;
    return c->refresh(c->refresh_ctx);
}

static int64_t judge(const Connector *c, const ConnBatch *b, const TxResponse *r, int attempt,
                     const RetryPolicy *p, const RetryClock *clk, ConnResult *results, ConnStatus *st,
                     bool *refreshed, char *msg, size_t msglen)
{
    bool again = false;
    if (r->error == TX_OK && r->status == 401) {
        *st = CONN_AUTH;
        snprintf(msg, msglen, "the CRM refused the credentials (HTTP 401)");
        if (refreshed_401(c, refreshed))
            return 0;
    } else if (retry_is_transient(r)) {
        again = may_resend(b, r);
        *st = CONN_UNAVAILABLE;
        if (r->error != TX_OK)
            snprintf(msg, msglen, "%s: %s%s", tx_error_name(r->error), r->message,
                     again ? "" : " (a create may have been applied: not resent)");
        else
            snprintf(msg, msglen, "HTTP %d%s", r->status, again ? "" : " (a create may have been applied: not resent)");
    } else if (r->error != TX_OK) {
        *st = CONN_UNAVAILABLE;
        snprintf(msg, msglen, "%s: %s", tx_error_name(r->error), r->message);
    } else {
        *st = c->ops->parse(c, b, r, results, msg, msglen);
        again = *st == CONN_BUSY || (*st == CONN_BAD_ANSWER && b->op != CONN_CREATE);
    }
    return again && attempt < p->max_attempts ? retry_delay_ms(p, attempt, r->retry_after, clk) : -1;
}

/* The final status of a settled batch; records without an answer carry it. */
static ConnStatus settle(const ConnBatch *b, ConnStatus st, ConnResult *results, const char *msg)
{
    if (st == CONN_BUSY)
        st = CONN_UNAVAILABLE;
    if (st != CONN_OK && st != CONN_REJECTED)
        fail_all(b, results, st == CONN_AUTH ? "UNAUTHORIZED" : st == CONN_BAD_ANSWER ? "BAD_ANSWER" : "UNAVAILABLE",
                 msg);
    return st;
}

static bool build(const Connector *c, const ConnBatch *b, ConnRequest *req, TxRequest *tr, ConnResult *results,
                  char *msg, size_t msglen)
{
    memset(results, 0, b->n * sizeof *results);
    memset(req, 0, sizeof *req);
    if (!c->ops->build(c, b, req, msg, msglen)) {
        conn_request_free(req);
        fail_all(b, results, "BAD_PAYLOAD", msg);
        return false;
    }
    TxRequest t = { req->method, req->url.data, req->headers, req->nheaders, req->body.data, req->body.len,
                    NULL, b->op == CONN_CREATE };
    *tr = t;
    return true;
}

/* How long the rate limit asks to wait now; 0 takes a slot. */
static int64_t rate_slot(const Connector *c, const RetryClock *clk)
{
    if (c->limit == NULL)
        return 0;
    int64_t now = clk->now_ms(clk->ctx);
    int64_t wait = ratelimit_wait_ms(c->limit, now);
    if (wait == 0)
        ratelimit_take(c->limit, now);
    return wait;
}

/* One request, retried as a whole while the failure is transient. */
static ConnStatus send_once(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                            const RetryClock *clk, ConnResult *results, char *msg, size_t msglen)
{
    ConnRequest req;
    TxRequest tr;
    if (!build(c, b, &req, &tr, results, msg, msglen))
        return CONN_REJECTED;
    ConnStatus st = CONN_UNAVAILABLE;
    bool refreshed = false;
    for (int attempt = 1;; attempt++) {
        int64_t wait;
        while ((wait = rate_slot(c, clk)) > 0)
            clk->sleep_ms(clk->ctx, wait);
        TxResponse r;
        tx_send_wait(t, &tr, &r);
        wait = judge(c, b, &r, attempt, p, clk, results, &st, &refreshed, msg, msglen);
        tx_response_clear(&r);
        if (wait < 0)
            break;
        clk->sleep_ms(clk->ctx, wait);
    }
    conn_request_free(&req);
    return settle(b, st, results, msg);
}

/* Sends again, on their own, the records the CRM refused for the moment. */
static ConnStatus retry_records(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                                const RetryClock *clk, ConnResult *results, char *msg, size_t msglen)
{
    ConnStatus st = CONN_OK;
    ConnRecord *sub = cm_malloc(b->n * sizeof *sub);
    size_t *where = cm_malloc(b->n * sizeof *where);
    ConnResult *again = cm_malloc(b->n * sizeof *again);
    for (int round = 1; round < p->max_attempts; round++) {
        size_t k = 0;
        for (size_t i = 0; i < b->n; i++) {
            if (!results[i].ok && results[i].retry) {
                sub[k] = b->records[i];
                where[k++] = i;
            }
        }
        if (k == 0)
            break;
        int64_t wait = retry_delay_ms(p, round, NULL, clk);
        clk->sleep_ms(clk->ctx, wait > 0 ? wait : 0);
        ConnBatch sb = *b;
        sb.records = sub;
        sb.n = k;
        char submsg[256];
        if (send_once(c, t, &sb, p, clk, again, submsg, sizeof submsg) == CONN_AUTH) {
            snprintf(msg, msglen, "%s", submsg);
            st = CONN_AUTH;
        }
        for (size_t j = 0; j < k; j++)
            results[where[j]] = again[j];
        if (st == CONN_AUTH)
            break;
    }
    cm_free(sub);
    cm_free(where);
    cm_free(again);
    return st;
}

/* Is a refused batch worth splitting? When one payload could not be built
 * (BAD_PAYLOAD), or the API refuses whole batches for one bad input. */
static bool splittable(const Connector *c, const ConnBatch *b, const ConnResult *results)
{
    return b->n > 1 && (c->ops->split_rejected || strcmp(results[0].code, "BAD_PAYLOAD") == 0);
}

/* A refused batch, split in halves and each sent again, so that the inputs
 * the CRM refuses fail alone (at most 2n - 1 requests; nothing of a refused
 * request was written, so resending is safe for creates too). */
static ConnStatus split_refused(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                                const RetryClock *clk, ConnResult *results, char *msg, size_t msglen)
{
    size_t half = b->n / 2;
    ConnBatch parts[2] = { *b, *b };
    parts[0].n = half;
    parts[1].records = b->records + half;
    parts[1].n = b->n - half;
    ConnStatus st = CONN_OK;
    for (int i = 0; i < 2 && st != CONN_AUTH; i++) {
        char submsg[256];
        ConnStatus sub = conn_send(c, t, &parts[i], p, clk, results + (i ? half : 0), submsg, sizeof submsg);
        if (sub == CONN_AUTH || sub == CONN_UNAVAILABLE || sub == CONN_BAD_ANSWER) {
            st = sub;
            snprintf(msg, msglen, "%s", submsg);
        }
    }
    return st;
}

ConnStatus conn_send(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                     const RetryClock *clk, ConnResult *results, char *msg, size_t msglen)
{
    msg[0] = '\0';
    ConnStatus st = send_once(c, t, b, p, clk, results, msg, msglen);
    if (st == CONN_REJECTED && splittable(c, b, results))
        return split_refused(c, t, b, p, clk, results, msg, msglen);
    if (st != CONN_OK)
        return st;
    return retry_records(c, t, b, p, clk, results, msg, msglen);
}

/* ---- several batches in flight ---- */

typedef struct JobState {
    ConnRequest req;
    TxRequest tr;
    int attempt;
    int64_t due;        /* when it may be sent (again) */
    bool in_flight, done, refreshed;
} JobState;

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The batches refused whole, split in halves, all halves sent at once
 * (conn_send_all splits them again while they are refused). */
static void split_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, size_t nsplit,
                      size_t max_in_flight, const RetryPolicy *p, const RetryClock *clk)
{
    ConnBatch *halves = cm_malloc(2 * nsplit * sizeof *halves);
    ConnJob *sub = cm_malloc(2 * nsplit * sizeof *sub);
    bool *split = cm_calloc(njobs, sizeof *split);
    size_t k = 0;
    for (size_t i = 0; i < njobs; i++) {
        const ConnBatch *b = jobs[i].batch;
        if (jobs[i].status != CONN_REJECTED || !splittable(c, b, jobs[i].results))
            continue;
        split[i] = true;
        size_t half = b->n / 2;
        halves[k] = *b;
        halves[k].n = half;
        halves[k + 1] = *b;
        halves[k + 1].records = b->records + half;
        halves[k + 1].n = b->n - half;
        sub[k] = (ConnJob){ &halves[k], jobs[i].results, CONN_UNAVAILABLE, "" };
        sub[k + 1] = (ConnJob){ &halves[k + 1], jobs[i].results + half, CONN_UNAVAILABLE, "" };
        k += 2;
    }
    conn_send_all(c, t, sub, k, max_in_flight, p, clk);
    k = 0;
    for (size_t i = 0; i < njobs; i++) {
        if (!split[i])
            continue;
        /* Refused halves only mean their records failed; anything worse is the batch's status. */
        jobs[i].status = CONN_OK;
        jobs[i].msg[0] = '\0';
        for (size_t h = k; h < k + 2; h++) {
            if (sub[h].status != CONN_OK && sub[h].status != CONN_REJECTED && jobs[i].status != CONN_AUTH) {
                jobs[i].status = sub[h].status;
                snprintf(jobs[i].msg, sizeof jobs[i].msg, "%s", sub[h].msg);
            }
        }
        k += 2;
    }
    cm_free(split);
    cm_free(halves);
    cm_free(sub);
}

void conn_send_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, size_t max_in_flight,
                   const RetryPolicy *p, const RetryClock *clk)
{
    JobState *js = cm_calloc(njobs, sizeof *js);
    size_t open = 0, flying = 0;
    if (max_in_flight == 0)
        max_in_flight = 1;
    for (size_t i = 0; i < njobs; i++)
        jobs[i].msg[0] = '\0';
    open = njobs;
    TxResponse answers[16];
    while (open > 0) {
        int64_t now = clk->now_ms(clk->ctx), next = now + 1000;
        for (size_t i = 0; i < njobs && flying < max_in_flight; i++) {
            JobState *s = &js[i];
            if (s->done || s->in_flight)
                continue;
            if (s->due > now) {
                next = min64(next, s->due);
                continue;
            }
            if (s->attempt == 0 && s->tr.url == NULL) {
                /* Built when first sent, so building overlaps the requests in flight. */
                if (!build(c, jobs[i].batch, &s->req, &s->tr, jobs[i].results, jobs[i].msg, sizeof jobs[i].msg)) {
                    s->done = true;
                    open--;
                    jobs[i].status = CONN_REJECTED;
                    continue;
                }
                s->tr.tag = s;
            }
            int64_t wait = rate_slot(c, clk);
            if (wait > 0) {
                next = min64(next, now + wait);
                break;
            }
            char err[160];
            if (!tx_submit(t, &s->tr, err, sizeof err)) {
                s->done = true;
                open--;
                jobs[i].status = CONN_REJECTED;
                snprintf(jobs[i].msg, sizeof jobs[i].msg, "%s", err);
                fail_all(jobs[i].batch, jobs[i].results, "BAD_REQUEST", err);
                continue;
            }
            s->in_flight = true;
            s->attempt++;
            flying++;
        }
        if (flying == 0) {
            if (open > 0 && next > now)
                clk->sleep_ms(clk->ctx, next - now);
            continue;
        }
        int timeout = (int)min64(next > now ? next - now : 0, 1000);
        size_t got = tx_poll(t, timeout, answers, sizeof answers / sizeof answers[0]);
        for (size_t k = 0; k < got; k++) {
            JobState *s = answers[k].tag;
            size_t i = (size_t)(s - js);
            ConnJob *j = &jobs[i];
            s->in_flight = false;
            flying--;
            int64_t wait = judge(c, j->batch, &answers[k], s->attempt, p, clk, j->results, &j->status,
                                 &s->refreshed, j->msg, sizeof j->msg);
            tx_response_clear(&answers[k]);
            if (wait >= 0) {
                s->due = clk->now_ms(clk->ctx) + wait;
            } else {
                s->done = true;
                open--;
                j->status = settle(j->batch, j->status, j->results, j->msg);
                if (j->status == CONN_OK)
                    j->msg[0] = '\0';     /* no leftover from a retried attempt */
            }
        }
    }
    size_t nsplit = 0;
    for (size_t i = 0; i < njobs; i++) {
        conn_request_free(&js[i].req);
        ConnJob *j = &jobs[i];
        if (j->status == CONN_OK)
            j->status = retry_records(c, t, j->batch, p, clk, j->results, j->msg, sizeof j->msg);
        else if (j->status == CONN_REJECTED && splittable(c, j->batch, j->results))
            nsplit++;
    }
    cm_free(js);
    if (nsplit > 0)
        split_all(c, t, jobs, njobs, nsplit, max_in_flight, p, clk);
}

/* ---- idempotent requests: reads and links ---- */

/* Reads one answer that is not 401, 429, 5xx or a transport failure. */
typedef ConnStatus (*AnswerFn)(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen);

/* Sends a request that may be repeated at will (a read, a link): transient
 * failures again with the policy's backoff, a 401 once after a token
 * refresh, and again when answer says CONN_BUSY or CONN_BAD_ANSWER. */
static ConnStatus send_idempotent(const Connector *c, Transport *t, const ConnRequest *req, const RetryPolicy *p,
                                  const RetryClock *clk, AnswerFn answer, void *ctx, char *msg, size_t msglen)
{
    TxRequest tr = { req->method, req->url.data, req->headers, req->nheaders, req->body.data, req->body.len, NULL,
                     false };
    ConnStatus st = CONN_UNAVAILABLE;
    bool refreshed = false;
    for (int attempt = 1;; attempt++) {
        int64_t wait;
        while ((wait = rate_slot(c, clk)) > 0)
            clk->sleep_ms(clk->ctx, wait);
        TxResponse resp;
        tx_send_wait(t, &tr, &resp);
        bool again = false;
        if (resp.error == TX_OK && resp.status == 401) {
            st = CONN_AUTH;
            snprintf(msg, msglen, "the CRM refused the credentials (HTTP 401)");
            again = refreshed_401(c, &refreshed);
        } else if (retry_is_transient(&resp) || resp.error != TX_OK) {
            again = retry_is_transient(&resp);
            st = CONN_UNAVAILABLE;
            if (resp.error != TX_OK)
                snprintf(msg, msglen, "%s: %s", tx_error_name(resp.error), resp.message);
            else
                snprintf(msg, msglen, "HTTP %d", resp.status);
        } else {
            st = answer(c, ctx, &resp, msg, msglen);
            again = st == CONN_BUSY || st == CONN_BAD_ANSWER;
        }
        wait = again && attempt < p->max_attempts ? retry_delay_ms(p, attempt, resp.retry_after, clk) : -1;
        tx_response_clear(&resp);
        if (wait < 0)
            break;
        clk->sleep_ms(clk->ctx, wait);
    }
    return st == CONN_BUSY ? CONN_UNAVAILABLE : st;
}

/* ---- reading current records ---- */

typedef struct ReadCtx {
    const ConnRead *r;
    ConnCurrent *out;
} ReadCtx;

static ConnStatus read_answer(const Connector *c, void *ctx, const TxResponse *resp, char *msg, size_t msglen)
{
    ReadCtx *rc = ctx;
    for (size_t i = 0; i < rc->r->n; i++)
        conn_current_clear(&rc->out[i]);
    return c->ops->parse_read(c, rc->r, resp, rc->out, msg, msglen);
}

ConnStatus conn_read(const Connector *c, Transport *t, const ConnRead *r, const RetryPolicy *p,
                     const RetryClock *clk, ConnCurrent *out, char *msg, size_t msglen)
{
    memset(out, 0, r->n * sizeof *out);
    msg[0] = '\0';
    ConnRequest req;
    memset(&req, 0, sizeof req);
    if (r->n == 0 || r->n > c->ops->max_read) {
        snprintf(msg, msglen, "a read holds 1 to %zu keys, not %zu", c->ops->max_read, r->n);
        return CONN_REJECTED;
    }
    if (!c->ops->build_read(c, r, &req, msg, msglen)) {
        conn_request_free(&req);
        return CONN_REJECTED;
    }
    ReadCtx rc = { r, out };
    ConnStatus st = send_idempotent(c, t, &req, p, clk, read_answer, &rc, msg, msglen);
    conn_request_free(&req);
    if (st != CONN_OK)
        for (size_t i = 0; i < r->n; i++)
            conn_current_clear(&out[i]);
    return st;
}

/* ---- the after-write link step ---- */

typedef struct LinkCtx {
    const ConnLink *const *links;
    size_t n;
    ConnResult *results;
} LinkCtx;

static ConnStatus link_answer(const Connector *c, void *ctx, const TxResponse *resp, char *msg, size_t msglen)
{
    LinkCtx *lc = ctx;
    memset(lc->results, 0, lc->n * sizeof *lc->results);
    return c->ops->parse_links(c, lc->links, lc->n, resp, lc->results, msg, msglen);
}

/* One request of links (one pair of types), split in halves while the API
 * refuses it whole for one bad input. CONN_OK once each has an answer. */
static ConnStatus send_links(const Connector *c, Transport *t, const ConnLink *const *links, size_t n,
                             const RetryPolicy *p, const RetryClock *clk, ConnResult *results, uint64_t *requests,
                             char *msg, size_t msglen)
{
    ConnRequest req;
    memset(&req, 0, sizeof req);
    memset(results, 0, n * sizeof *results);
    if (!c->ops->build_links(c, links, n, &req, msg, msglen)) {
        conn_request_free(&req);
        for (size_t k = 0; k < n; k++)
            conn_result_error(&results[k], "BAD_PAYLOAD", msg, links[k]->field);
        return CONN_OK;
    }
    (*requests)++;
    LinkCtx lc = { links, n, results };
    ConnStatus st = send_idempotent(c, t, &req, p, clk, link_answer, &lc, msg, msglen);
    conn_request_free(&req);
    if (st == CONN_REJECTED && n > 1 && c->ops->split_rejected) {
        size_t half = n / 2;
        st = send_links(c, t, links, half, p, clk, results, requests, msg, msglen);
        if (st == CONN_OK)
            st = send_links(c, t, links + half, n - half, p, clk, results + half, requests, msg, msglen);
    }
    return st == CONN_REJECTED ? CONN_OK : st;
}

static int link_order(const void *a, const void *b)
{
    const ConnLink *x = a, *y = b;
    int d = strcmp(x->from_type, y->from_type);
    if (d == 0)
        d = strcmp(x->to_type, y->to_type);
    if (d == 0)
        d = (x->job > y->job) - (x->job < y->job);
    if (d == 0)
        d = (x->record > y->record) - (x->record < y->record);
    return d;
}

/* Every link of the written records, sorted by pair of types. */
static ConnLink *collect_links(const Connector *c, const ConnJob *jobs, size_t njobs, size_t *n)
{
    ConnLink *all = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t j = 0; j < njobs; j++) {
        const ConnBatch *b = jobs[j].batch;
        for (size_t i = 0; i < b->n; i++) {
            if (!jobs[j].results[i].ok)
                continue;
            ConnLink *got = NULL;
            size_t k = c->ops->links(c, b, i, &got);
            if (*n + k > cap) {
                cap = (*n + k) * 2;
                all = cm_realloc(all, cap * sizeof *all);
            }
            for (size_t x = 0; x < k; x++) {
                got[x].job = j;
                got[x].record = i;
                snprintf(got[x].from, sizeof got[x].from, "%s", jobs[j].results[i].id);
                all[(*n)++] = got[x];
            }
            cm_free(got);
        }
    }
    if (*n > 1)
        qsort(all, *n, sizeof *all, link_order);
    return all;
}

/* One round: every link still to do, a request per max_links of a pair of types. */
static ConnStatus link_round(const Connector *c, Transport *t, const ConnLink *all, size_t n, const bool *todo,
                             const RetryPolicy *p, const RetryClock *clk, ConnResult *res, uint64_t *requests,
                             char *msg, size_t msglen)
{
    const ConnLink **chunk = cm_malloc((c->ops->max_links + 1) * sizeof *chunk);
    size_t *where = cm_malloc((c->ops->max_links + 1) * sizeof *where);
    ConnResult *got = cm_malloc((c->ops->max_links + 1) * sizeof *got);
    ConnStatus st = CONN_OK;
    for (size_t at = 0; at < n && st == CONN_OK;) {
        size_t end = at;
        while (end < n && strcmp(all[end].from_type, all[at].from_type) == 0
               && strcmp(all[end].to_type, all[at].to_type) == 0)
            end++;
        for (size_t k = at; k < end && st == CONN_OK;) {
            size_t m = 0;
            for (; k < end && m < c->ops->max_links; k++) {
                if (todo[k]) {
                    chunk[m] = &all[k];
                    where[m++] = k;
                }
            }
            if (m == 0)
                continue;
            st = send_links(c, t, chunk, m, p, clk, got, requests, msg, msglen);
            for (size_t x = 0; x < m && st == CONN_OK; x++)
                res[where[x]] = got[x];
        }
        at = end;
    }
    cm_free(chunk);
    cm_free(where);
    cm_free(got);
    return st;
}

ConnStatus conn_link_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, const RetryPolicy *p,
                         const RetryClock *clk, uint64_t *requests, char *msg, size_t msglen)
{
    msg[0] = '\0';
    if (c->ops->links == NULL)
        return CONN_OK;
    size_t n;
    ConnLink *all = collect_links(c, jobs, njobs, &n);
    ConnResult *res = cm_calloc(n + 1, sizeof *res);
    bool *todo = cm_malloc((n + 1) * sizeof *todo);
    for (size_t k = 0; k < n; k++)
        todo[k] = true;
    ConnStatus st = CONN_OK;
    /* Links the CRM gave no answer for are sent again, as records are. */
    for (int round = 1; n > 0; round++) {
        st = link_round(c, t, all, n, todo, p, clk, res, requests, msg, msglen);
        size_t again = 0;
        for (size_t k = 0; k < n; k++)
            again += (todo[k] = st == CONN_OK && !res[k].ok && res[k].retry);
        if (st != CONN_OK || again == 0 || round >= p->max_attempts)
            break;
        int64_t wait = retry_delay_ms(p, round, NULL, clk);
        clk->sleep_ms(clk->ctx, wait > 0 ? wait : 0);
    }
    for (size_t k = 0; k < n && st == CONN_OK; k++) {
        ConnResult *r = &jobs[all[k].job].results[all[k].record];
        if (res[k].ok || !r->ok)
            continue;   /* linked, or the record's first refused link already said why */
        CmBuf why = CM_BUF_INIT;
        cm_buf_printf(&why, "the record was written (id %s) but not linked to %s %s: %s", r->id, all[k].to_type,
                      all[k].to, res[k].message);
        conn_result_error(r, res[k].code, why.data, all[k].field);
        cm_buf_free(&why);
    }
    cm_free(all);
    cm_free(res);
    cm_free(todo);
    return st;
}
