/* connector: what all connectors share, and the one retry engine (fly)
 * every request goes through: writes a batch a request, refused records
 * again on their own, batches refused whole split in halves (conn_send is
 * conn_send_all of one batch); reads; and the after-write link step, whose
 * requests may be repeated at will. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "cm_alloc.h"
#include "conn_json.h"
#include "connector.h"
#include "crm_vendor.h"
#include "file_value.h"
#include "multipart.h"

void conn_init(Connector *c, const ConnectorOps *ops, const char *base_url, const char *api_version)
{
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    c->ops = ops;
    c->base = cm_strndup(base_url, n);
    c->api_version = cm_strdup(api_version);
    c->limit = NULL;
    c->rate_headers = NULL;
    c->quota_low = NULL;
    c->quota_low_ctx = NULL;
    c->refresh = NULL;
    c->refresh_ctx = NULL;
    c->values_by = NULL;
    c->all_or_nothing = NULL;
    c->each = NULL;
}

void conn_set_refresh(Connector *c, bool (*refresh)(void *ctx), void *ctx)
{
    c->refresh = refresh;
    c->refresh_ctx = ctx;
}

void conn_set_rate_limit(Connector *c, int max, int64_t window_ms, bool pinned)
{
    if (c->limit == NULL)
        c->limit = cm_calloc(1, sizeof *c->limit);
    else
        ratelimit_free(c->limit);
    ratelimit_init(c->limit, max, window_ms);
    c->limit->pinned = pinned;
}

void conn_set_pacing(Connector *c, void (*rate_headers)(const TxResponse *r, RateSeen *out))
{
    if (c->limit == NULL)
        conn_set_rate_limit(c, 0, 0, false);
    c->rate_headers = rate_headers;
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

void conn_free_plain(Connector *c)
{
    cm_free(c);
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

ConnStatus conn_read_matches(const TxResponse *resp, const ConnAnswerShape *shape, const ConnRead *r,
                             const char *id_member, ConnCurrent *out, char *msg, size_t msglen)
{
    ConnAnswer a;
    ConnStatus st = conn_open_answer(resp, shape, &a, msg, msglen);
    if (st == CONN_OK)
        conn_fill_matches(r, a.list, id_member, out);
    cJSON_Delete(a.root);
    return st;
}

bool conn_id_text(const cJSON *v, char *out, size_t outlen)
{
    if (cJSON_IsString(v) && v->valuestring[0] != '\0')
        snprintf(out, outlen, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, outlen, "%.0f", v->valuedouble);
    else
        return false;
    return true;
}

void conn_fill_matches(const ConnRead *r, const cJSON *records, const char *id_member, ConnCurrent *out)
{
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records) {
        const char *key = conn_str(rec, r->key_field);
        for (size_t i = 0; key && i < r->n; i++) {
            if (out[i].found || builtin_text_casecmp(r->keys[i], key) != 0)
                continue;
            conn_current_fill(&out[i], conn_str(rec, id_member), rec, r);
            break;
        }
    }
}

void conn_json_request(ConnRequest *out, const char *method)
{
    out->method = method;
    out->nheaders = 0;
    if (strcmp(method, "GET") != 0)
        out->headers[out->nheaders++] = "Content-Type: application/json";
    out->headers[out->nheaders++] = "Accept: application/json";
}

/* A form field's name or a file name: no quote or line break (RFC 7578
 * leaves escaping them to the receiver's guess). */
static bool part_name_ok(const char *s)
{
    return strpbrk(s, "\"\r\n") == NULL;
}

bool conn_upload_request(ConnRequest *out, const cJSON *payload, const char *file_field, const char *name_field,
                         const char *const *extra, size_t nextra, char *err, size_t errlen)
{
    const char *b64 = conn_str(payload, file_field);
    const char *name = name_field ? conn_str(payload, name_field) : NULL;
    if (b64 == NULL) {
        snprintf(err, errlen, "an upload needs its file in the field %s", file_field);
        return false;
    }
    if (name == NULL || name[0] == '\0')
        name = "file";
    if (!part_name_ok(name)) {
        snprintf(err, errlen, "the file name in %s holds a quote or a line break", name_field);
        return false;
    }
    CmBuf file = CM_BUF_INIT;
    if (!file_b64_decode(b64, strlen(b64), &file, err, errlen)) {
        cm_buf_free(&file);
        return false;
    }
    size_t n = 0, cap = 1 + nextra / 2 + (size_t)cJSON_GetArraySize(payload);
    MpPart *parts = cm_calloc(cap, sizeof *parts);
    char **texts = cm_calloc(cap, sizeof *texts);
    parts[n++] = (MpPart){ file_field, name, "application/octet-stream", file.data ? file.data : "", file.len };
    bool ok = true;
    for (const cJSON *f = payload->child; f != NULL && ok; f = f->next) {
        if (strcmp(f->string, file_field) == 0 || (name_field && strcmp(f->string, name_field) == 0))
            continue;
        ok = part_name_ok(f->string);
        if (cJSON_IsString(f)) {
            texts[n] = cm_strdup(f->valuestring);
        } else {
            char *json = cJSON_PrintUnformatted(f);
            texts[n] = cm_strdup(json ? json : "");
            cJSON_free(json);
        }
        parts[n] = (MpPart){ f->string, NULL, NULL, texts[n], strlen(texts[n]) };
        n++;
    }
    for (size_t k = 0; k + 1 < nextra; k += 2)
        parts[n++] = (MpPart){ extra[k], NULL, NULL, extra[k + 1], strlen(extra[k + 1]) };
    if (ok) {
        out->method = "POST";
        multipart_build(parts, n, &out->body, out->content_type, sizeof out->content_type);
        out->nheaders = 0;
        out->headers[out->nheaders++] = out->content_type;
        out->headers[out->nheaders++] = "Accept: application/json";
    } else {
        snprintf(err, errlen, "a field name holds a quote or a line break");
    }
    for (size_t k = 0; k < n; k++)
        cm_free(texts[k]);
    cm_free(texts);
    cm_free(parts);
    cm_buf_free(&file);
    return ok;
}

cJSON *conn_payload(const ConnBatch *b, size_t i, char *err, size_t errlen)
{
    cJSON *payload = cJSON_Parse(b->records[i].payload);
    if (cJSON_IsObject(payload))
        return payload;
    cJSON_Delete(payload);
    snprintf(err, errlen, "record %zu: the payload is not a JSON object", i + 1);
    return NULL;
}

void conn_bulk_pause(const ConnBulk *b, const RetryClock *clk, int64_t *wait)
{
    int64_t first = b->poll_ms > 0 ? b->poll_ms : 1000;
    *wait = *wait == 0 ? first : *wait * 2 > first * 32 ? first * 32 : *wait * 2;
    clk->sleep_ms(clk->ctx, *wait);
}

bool conn_payload_items(const ConnBatch *b, cJSON *list, ConnItemFn item_fn, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->n; i++) {
        cJSON *payload = conn_payload(b, i, err, errlen);
        if (payload == NULL)
            return false;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(list, item);
        bool ok = item_fn(b, i, payload, item, err, errlen);
        cJSON_Delete(payload);
        if (!ok)
            return false;
    }
    return true;
}

bool conn_json_body(ConnRequest *out, cJSON *root, bool ok)
{
    if (ok) {
        char *text = cJSON_PrintUnformatted(root);
        cm_buf_puts(&out->body, text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return ok;
}

const char *conn_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

ConnStatus conn_open_answer(const TxResponse *r, const ConnAnswerShape *shape, ConnAnswer *a, char *msg,
                            size_t msglen)
{
    memset(a, 0, sizeof *a);
    a->root = cJSON_ParseWithLength(r->body, r->body_len);
    if (a->root == NULL) {
        snprintf(msg, msglen, "HTTP %d with an answer that is not JSON (%zu bytes)", r->status, r->body_len);
        return CONN_BAD_ANSWER;
    }
    if (r->status < 200 || r->status > 299) {
        const cJSON *e = shape->error_in ? cJSON_GetObjectItemCaseSensitive(a->root, shape->error_in)
                         : cJSON_IsArray(a->root) ? cJSON_GetArrayItem(a->root, 0) : a->root;
        a->code = conn_str(e, shape->code);
        a->message = conn_str(e, shape->message);
        a->field = shape->field ? shape->field(e) : NULL;
        snprintf(msg, msglen, "HTTP %d %s: %s", r->status, a->code ? a->code : "", a->message ? a->message : "");
        if (a->code && shape->busy && strcmp(a->code, shape->busy) == 0)
            return CONN_BUSY;
        if (r->status == 403 || (a->code && shape->denied && strcmp(a->code, shape->denied) == 0))
            return CONN_AUTH;
        return CONN_REJECTED;
    }
    a->list = shape->list ? cJSON_GetObjectItemCaseSensitive(a->root, shape->list) : a->root;
    if (!cJSON_IsArray(a->list)) {
        snprintf(msg, msglen, "HTTP %d without a %s list", r->status, shape->list ? shape->list : "results");
        return CONN_BAD_ANSWER;
    }
    return CONN_OK;
}

void conn_result_refused(ConnResult *r, const ConnAnswer *a, const char *msg, const char *field)
{
    conn_result_error(r, a->code ? a->code : "HTTP_ERROR", a->message ? a->message : msg, field);
}

ConnStatus conn_open_write_answer(const TxResponse *r, const ConnAnswerShape *shape, const ConnBatch *b,
                                  ConnResult *results, ConnAnswer *a, char *msg, size_t msglen)
{
    ConnStatus st = conn_open_answer(r, shape, a, msg, msglen);
    for (size_t i = 0; st == CONN_REJECTED && i < b->n; i++)
        conn_result_refused(&results[i], a, msg, a->field);
    return st;
}

/* ---- the retry engine: every request goes through fly ---- */

/* One request driven to its end: built when first due, sent when its time
 * and the rate limit allow, its answer judged, sent again while that is
 * worth it. Writes, links and reads differ only in build, answer and
 * whether the request may be applied twice. */
typedef struct Flight {
    bool (*build)(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen);
    ConnStatus (*answer)(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen);
    /* Right before the first attempt leaves; false: not sent, the flight
     * lands CONN_UNAVAILABLE. NULL: nothing to ask. */
    bool (*leaving)(const Connector *c, void *ctx);
    /* Once the flight has landed (f->status is its end). NULL: nothing to do. */
    void (*landed)(const Connector *c, void *ctx, ConnStatus st, const char *refusal);
    void *ctx;
    bool once;              /* a create: resent only when it cannot have been applied */
    char *msg;
    size_t msglen;
    ConnStatus status;
    const char *refusal;    /* the code of a request refused before it went out */
    ConnRequest req;
    TxRequest tr;
    int attempt;
    int64_t due;            /* when it may be sent (again) */
    bool built, in_flight, done, refreshed;
} Flight;

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* May this answer be followed by the same request again? A create is only
 * resent when it cannot have been applied: not sent, or refused with 429/503. */
static bool may_resend(bool once, const TxResponse *r)
{
    if (!once)
        return true;
    if (r->error != TX_OK)
        return !r->sent;
    return r->status == 429 || r->status == 503;
}

/* A 401: refresh the token once per request, then send it again at once. */
static bool refreshed_401(const Connector *c, bool *refreshed)
{
    if (c->refresh == NULL || *refreshed)
        return false;
    *refreshed = true;
    return c->refresh(c->refresh_ctx);
}

/* Judges one answer to f's request. Returns the wait before sending it
 * again, or -1 when f is settled with f->status. */
static int64_t judge(const Connector *c, Flight *f, const TxResponse *r, const RetryPolicy *p, const RetryClock *clk)
{
    bool again = false;
    if (r->error == TX_OK && r->status == 401) {
        f->status = CONN_AUTH;
        snprintf(f->msg, f->msglen, "the CRM refused the credentials (HTTP 401)");
        if (refreshed_401(c, &f->refreshed))
            return 0;
    } else if (retry_is_transient(r)) {
        again = may_resend(f->once, r);
        f->status = CONN_UNAVAILABLE;
        const char *held = again ? "" : " (a create may have been applied: not resent)";
        if (r->error != TX_OK)
            snprintf(f->msg, f->msglen, "%s: %s%s", tx_error_name(r->error), r->message, held);
        else
            snprintf(f->msg, f->msglen, "HTTP %d%s", r->status, held);
    } else if (r->error != TX_OK) {
        f->status = CONN_UNAVAILABLE;
        snprintf(f->msg, f->msglen, "%s: %s", tx_error_name(r->error), r->message);
    } else {
        f->status = f->answer(c, f->ctx, r, f->msg, f->msglen);
        again = f->status == CONN_BUSY || (f->status == CONN_BAD_ANSWER && !f->once);
    }
    return again && f->attempt < p->max_attempts ? retry_delay_ms(p, f->attempt, r->retry_after, clk) : -1;
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

/* What an answer says of the budget moves the rate limit; flying: the
 * requests still out, each of which may spend one of what is left. */
static void pace(const Connector *c, const TxResponse *r, const RetryClock *clk, size_t flying)
{
    if (c->rate_headers == NULL || c->limit == NULL || r->error != TX_OK)
        return;
    RateSeen s;
    rate_seen_init(&s);
    c->rate_headers(r, &s);
    if (ratelimit_follow(c->limit, &s, clk->now_ms(clk->ctx), flying) && c->quota_low)
        c->quota_low(c->quota_low_ctx, c->limit->daily_remaining, c->limit->daily_max);
}

static void land(const Connector *c, Flight *f, ConnStatus st, const char *refusal)
{
    f->done = true;
    f->status = st == CONN_BUSY ? CONN_UNAVAILABLE : st;
    f->refusal = refusal;
    if (f->status == CONN_OK)
        f->msg[0] = '\0';     /* no leftover from a retried attempt */
    if (f->landed)
        f->landed(c, f->ctx, f->status, refusal);
}

/* Built when first due, so building overlaps the requests in flight. */
static bool take_off(const Connector *c, Flight *f)
{
    f->built = true;
    memset(&f->req, 0, sizeof f->req);
    if (!f->build(c, f->ctx, &f->req, f->msg, f->msglen)) {
        land(c, f, CONN_REJECTED, "BAD_PAYLOAD");
        return false;
    }
    TxRequest tr = { f->req.method, f->req.url.data, f->req.headers, f->req.nheaders, f->req.body.data,
                     f->req.body.len, f, f->once };
    f->tr = tr;
    return true;
}

/* Drives f[0..n) to their ends, up to max_in_flight requests at once on
 * the transport, each retried on its own schedule. */
static void fly(const Connector *c, Transport *t, Flight *f, size_t n, size_t max_in_flight, const RetryPolicy *p,
                const RetryClock *clk)
{
    size_t open = n, flying = 0;
    TxResponse answers[16];
    while (open > 0) {
        int64_t now = clk->now_ms(clk->ctx), next = now + 1000;
        for (size_t i = 0; i < n && flying < max_in_flight; i++) {
            Flight *s = &f[i];
            if (s->done || s->in_flight)
                continue;
            if (s->due > now) {
                next = min64(next, s->due);
                continue;
            }
            if (!s->built && !take_off(c, s)) {
                open--;
                continue;
            }
            int64_t wait = rate_slot(c, clk);
            if (wait > 0) {
                next = min64(next, now + wait);
                break;
            }
            if (s->attempt == 0 && s->leaving && !s->leaving(c, s->ctx)) {
                snprintf(s->msg, s->msglen, "not sent: what it carries could not be journaled as sending");
                land(c, s, CONN_UNAVAILABLE, "NOT_SENT");
                open--;
                continue;
            }
            if (!tx_submit(t, &s->tr, s->msg, s->msglen)) {
                land(c, s, CONN_REJECTED, "BAD_REQUEST");
                open--;
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
            Flight *s = answers[k].tag;
            s->in_flight = false;
            flying--;
            pace(c, &answers[k], clk, flying);
            int64_t wait = judge(c, s, &answers[k], p, clk);
            tx_response_clear(&answers[k]);
            if (wait >= 0) {
                s->due = clk->now_ms(clk->ctx) + wait;
            } else {
                land(c, s, s->status, NULL);
                open--;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        conn_request_free(&f[i].req);
}

/* ---- writes and links: parts of items, split while refused whole ---- */

/* A request's worth of items, with room for their answers: a write's
 * records (links NULL) or a link step's links. */
typedef struct Part {
    ConnBatch batch;                /* a write's; batch.n == n */
    const ConnLink *const *links;
    size_t n;
    ConnResult *results;
    /* A write's job, told through its watch what leaves and what is
     * answered; its items are job->batch->records[at..at+n). NULL: a
     * link step's, or records sent again on their own (told by
     * retry_records). */
    const ConnJob *job;
    size_t at;
    uint64_t *requests;             /* links: counts the requests built, or NULL */
    ConnStatus status;
    bool split;
    bool each;                      /* built and parsed by the connector's each ops */
    char msg[256];
} Part;

static void fail_part(Part *pt, const char *code, const char *message)
{
    for (size_t i = 0; i < pt->n; i++)
        conn_result_error(&pt->results[i], code, message, pt->links ? pt->links[i]->field : NULL);
}

static bool part_build(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen)
{
    Part *pt = ctx;
    memset(pt->results, 0, pt->n * sizeof *pt->results);
    if (pt->links == NULL && c->each && !pt->each && !c->all_or_nothing(c, &pt->batch))
        pt->each = true;
    bool ok = pt->links ? c->ops->build_links(c, pt->links, pt->n, req, msg, msglen)
                        : (pt->each ? c->each : c->ops)->build(c, &pt->batch, req, msg, msglen);
    if (!ok)
        fail_part(pt, "BAD_PAYLOAD", msg);
    else if (pt->requests)
        (*pt->requests)++;
    return ok;
}

static ConnStatus part_answer(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen)
{
    Part *pt = ctx;
    memset(pt->results, 0, pt->n * sizeof *pt->results);
    if (pt->links)
        return c->ops->parse_links(c, pt->links, pt->n, r, pt->results, msg, msglen);
    return (pt->each ? c->each : c->ops)->parse(c, &pt->batch, r, pt->results, msg, msglen);
}

static bool splittable(const Connector *c, const Part *pt);
static bool again_each(const Connector *c, const Part *pt);

/* Tells job's watch which of items[0..n) (offsets in the job) have their
 * final answer in results[0..n) after a request of status st: written, or
 * refused for good. Not those to be sent again on their own (retry), nor
 * those of a part to be split, nor any whose outcome is unknown. */
static void tell_answered(const ConnJob *job, const size_t *items, const ConnResult *results, size_t n,
                          ConnStatus st, bool split)
{
    if (job == NULL || job->watch == NULL || job->watch->answered == NULL
        || (st != CONN_OK && st != CONN_REJECTED) || split)
        return;
    size_t *done = cm_malloc((n + 1) * sizeof *done);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (st == CONN_REJECTED || results[i].ok || !results[i].retry)
            done[k++] = items[i];
    if (k > 0)
        job->watch->answered(job->watch->ctx, job, done, k);
    cm_free(done);
}

static bool part_leaving(const Connector *c, void *ctx)
{
    (void)c;
    const Part *pt = ctx;
    const ConnWatch *w = pt->job ? pt->job->watch : NULL;
    return w == NULL || w->leaving == NULL || w->leaving(w->ctx, pt->job, pt->at, pt->n);
}

/* A part's end as soon as its request has landed, so that the watch hears
 * of each answer while the other requests are still in flight. */
static void part_landed(const Connector *c, void *ctx, ConnStatus st, const char *refusal)
{
    Part *pt = ctx;
    pt->status = st;
    if (refusal && strcmp(refusal, "BAD_REQUEST") == 0)
        fail_part(pt, refusal, pt->msg);
    else if (st != CONN_OK && st != CONN_REJECTED)
        fail_part(pt, st == CONN_AUTH ? "UNAUTHORIZED" : st == CONN_BAD_ANSWER ? "BAD_ANSWER" : "UNAVAILABLE",
                  pt->msg);
    if (pt->job == NULL || pt->job->watch == NULL)
        return;
    size_t *items = cm_malloc((pt->n + 1) * sizeof *items);
    for (size_t i = 0; i < pt->n; i++)
        items[i] = pt->at + i;
    tell_answered(pt->job, items, pt->results, pt->n, st, splittable(c, pt) || again_each(c, pt));
    cm_free(items);
}

/* One request per part, no more: the items of a part without an answer
 * carry its status. */
static void send_round(const Connector *c, Transport *t, Part *parts, size_t n, size_t max_in_flight,
                       const RetryPolicy *p, const RetryClock *clk)
{
    Flight *f = cm_calloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        parts[i].msg[0] = '\0';
        f[i] = (Flight){ .build = part_build, .answer = part_answer, .leaving = part_leaving,
                         .landed = part_landed, .ctx = &parts[i], .msg = parts[i].msg,
                         .msglen = sizeof parts[i].msg, .status = CONN_UNAVAILABLE,
                         .once = parts[i].links == NULL && parts[i].batch.op == CONN_CREATE
                                 && !crm_unique_create(crm_vendor_find(c->ops->system), parts[i].batch.entity) };
    }
    fly(c, t, f, n, max_in_flight ? max_in_flight : 1, p, clk);
    cm_free(f);
}

/* Sends again, on their own, the records the CRM refused for the moment. */
static void retry_records(const Connector *c, Transport *t, Part *pt, const RetryPolicy *p, const RetryClock *clk)
{
    ConnRecord *sub = cm_malloc(pt->n * sizeof *sub);
    size_t *where = cm_malloc(pt->n * sizeof *where);
    ConnResult *again = cm_malloc(pt->n * sizeof *again);
    for (int round = 1; round < p->max_attempts; round++) {
        size_t k = 0;
        for (size_t i = 0; i < pt->n; i++) {
            if (!pt->results[i].ok && pt->results[i].retry) {
                sub[k] = pt->batch.records[i];
                where[k++] = i;
            }
        }
        if (k == 0)
            break;
        int64_t wait = retry_delay_ms(p, round, NULL, clk);
        clk->sleep_ms(clk->ctx, wait > 0 ? wait : 0);
        Part sp = { .batch = pt->batch, .n = k, .results = again, .each = pt->each };
        sp.batch.records = sub;
        sp.batch.n = k;
        send_round(c, t, &sp, 1, 1, p, clk);
        for (size_t j = 0; j < k; j++) {
            pt->results[where[j]] = again[j];
            where[j] += pt->at;
        }
        tell_answered(pt->job, where, again, k, sp.status, false);
        if (sp.status == CONN_AUTH) {
            pt->status = CONN_AUTH;
            snprintf(pt->msg, sizeof pt->msg, "%s", sp.msg);
            break;
        }
    }
    cm_free(sub);
    cm_free(where);
    cm_free(again);
}

/* Is a refused part worth splitting? When one payload could not be built
 * (BAD_PAYLOAD), or the API refuses a whole request for one bad input. */
static bool splittable(const Connector *c, const Part *pt)
{
    return pt->status == CONN_REJECTED && pt->n > 1 && !again_each(c, pt)
        && (c->ops->split_rejected || strcmp(pt->results[0].code, "BAD_PAYLOAD") == 0);
}

/* Is a refused part a set the CRM applies all or nothing of, to be sent
 * again with one operation a record? Nothing of it was written, so
 * resending is safe for creates too. */
static bool again_each(const Connector *c, const Part *pt)
{
    return pt->status == CONN_REJECTED && pt->links == NULL && !pt->each && c->each
        && strcmp(pt->results[0].code, "BAD_PAYLOAD") != 0;
}

static Part slice(const Part *pt, size_t at, size_t n)
{
    Part s = *pt;
    s.batch.records = pt->links ? NULL : pt->batch.records + at;
    s.batch.n = n;
    s.links = pt->links ? pt->links + at : NULL;
    s.n = n;
    s.results = pt->results + at;
    s.at = pt->at + at;
    s.split = false;
    return s;
}

static void send_parts(const Connector *c, Transport *t, Part *parts, size_t n, size_t max_in_flight,
                       const RetryPolicy *p, const RetryClock *clk);

/* The parts refused whole, split in halves, all halves sent at once (and
 * split again while refused), so that the inputs the CRM refuses fail
 * alone: at most 2n - 1 requests, and nothing of a refused request was
 * written, so resending is safe for creates too. */
static void split_refused(const Connector *c, Transport *t, Part *parts, size_t n, size_t nsplit,
                          size_t max_in_flight, const RetryPolicy *p, const RetryClock *clk)
{
    Part *halves = cm_malloc(2 * nsplit * sizeof *halves);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].split)
            continue;
        size_t half = parts[i].n / 2;
        halves[k++] = slice(&parts[i], 0, half);
        halves[k++] = slice(&parts[i], half, parts[i].n - half);
    }
    send_parts(c, t, halves, k, max_in_flight, p, clk);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].split)
            continue;
        /* Refused halves only mean their items failed; anything worse is the part's status. */
        parts[i].status = CONN_OK;
        parts[i].msg[0] = '\0';
        for (size_t h = k; h < k + 2; h++) {
            if (halves[h].status != CONN_OK && halves[h].status != CONN_REJECTED && parts[i].status != CONN_AUTH) {
                parts[i].status = halves[h].status;
                snprintf(parts[i].msg, sizeof parts[i].msg, "%s", halves[h].msg);
            }
        }
        k += 2;
    }
    cm_free(halves);
}

/* The all-or-nothing sets refused whole, sent again with one operation a
 * record, all at once: one request each, whose answer is theirs. */
static void send_each(const Connector *c, Transport *t, Part *parts, size_t n, size_t max_in_flight,
                      const RetryPolicy *p, const RetryClock *clk)
{
    Part *redo = cm_malloc((n + 1) * sizeof *redo);
    size_t *from = cm_malloc((n + 1) * sizeof *from);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!again_each(c, &parts[i]))
            continue;
        redo[k] = parts[i];
        redo[k].each = true;
        from[k++] = i;
    }
    if (k > 0)
        send_parts(c, t, redo, k, max_in_flight, p, clk);
    for (size_t j = 0; j < k; j++) {
        parts[from[j]].status = redo[j].status;
        snprintf(parts[from[j]].msg, sizeof parts[from[j]].msg, "%s", redo[j].msg);
    }
    cm_free(redo);
    cm_free(from);
}

/* A round, then the records refused for the moment again, then the
 * all-or-nothing sets refused whole one record an operation, the other
 * parts refused whole in halves. */
static void send_parts(const Connector *c, Transport *t, Part *parts, size_t n, size_t max_in_flight,
                       const RetryPolicy *p, const RetryClock *clk)
{
    send_round(c, t, parts, n, max_in_flight, p, clk);
    size_t nsplit = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].status == CONN_OK && parts[i].links == NULL)
            retry_records(c, t, &parts[i], p, clk);
        else if ((parts[i].split = splittable(c, &parts[i])))
            nsplit++;
    }
    send_each(c, t, parts, n, max_in_flight, p, clk);
    if (nsplit > 0)
        split_refused(c, t, parts, n, nsplit, max_in_flight, p, clk);
}

void conn_send_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, size_t max_in_flight,
                   const RetryPolicy *p, const RetryClock *clk)
{
    Part *parts = cm_calloc(njobs + 1, sizeof *parts);
    for (size_t i = 0; i < njobs; i++)
        parts[i] = (Part){ .batch = *jobs[i].batch, .n = jobs[i].batch->n, .results = jobs[i].results,
                           .job = &jobs[i] };
    send_parts(c, t, parts, njobs, max_in_flight, p, clk);
    for (size_t i = 0; i < njobs; i++) {
        jobs[i].status = parts[i].status;
        snprintf(jobs[i].msg, sizeof jobs[i].msg, "%s", parts[i].msg);
    }
    cm_free(parts);
}

ConnStatus conn_send(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                     const RetryClock *clk, ConnResult *results, char *msg, size_t msglen)
{
    ConnJob job = { b, results, CONN_UNAVAILABLE, "", NULL };
    conn_send_all(c, t, &job, 1, 1, p, clk);
    snprintf(msg, msglen, "%s", job.msg);
    return job.status;
}

/* ---- reading current records ---- */

typedef struct ReadCtx {
    const ConnRead *r;
    ConnCurrent *out;
} ReadCtx;

static bool read_build(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen)
{
    const ReadCtx *rc = ctx;
    return c->ops->build_read(c, rc->r, req, msg, msglen);
}

static ConnStatus read_answer(const Connector *c, void *ctx, const TxResponse *resp, char *msg, size_t msglen)
{
    ReadCtx *rc = ctx;
    for (size_t i = 0; i < rc->r->n; i++)
        conn_current_clear(&rc->out[i]);
    return c->ops->parse_read(c, rc->r, resp, rc->out, msg, msglen);
}

/* One read request, with retries. */
static ConnStatus read_one(const Connector *c, Transport *t, const ConnRead *r, const RetryPolicy *p,
                           const RetryClock *clk, ConnCurrent *out, char *msg, size_t msglen)
{
    ReadCtx rc = { r, out };
    const ConnCall call = { read_build, read_answer, &rc, false };
    return conn_call(c, t, &call, p, clk, msg, msglen);
}

ConnStatus conn_call(const Connector *c, Transport *t, const ConnCall *call, const RetryPolicy *p,
                     const RetryClock *clk, char *msg, size_t msglen)
{
    Flight f = { .build = call->build, .answer = call->answer, .ctx = call->ctx, .once = call->once, .msg = msg,
                 .msglen = msglen, .status = CONN_UNAVAILABLE };
    fly(c, t, &f, 1, 1, p, clk);
    return f.status;
}

/* The records the key read found, read again by id for their values. */
static ConnStatus read_values(const Connector *c, Transport *t, const ConnRead *r, const RetryPolicy *p,
                              const RetryClock *clk, ConnCurrent *out, char *msg, size_t msglen)
{
    size_t per = c->ops->max_read;
    const char **ids = cm_malloc((per + 1) * sizeof *ids);
    size_t *at = cm_malloc((per + 1) * sizeof *at);
    ConnCurrent *got = cm_calloc(per + 1, sizeof *got);
    ConnStatus st = CONN_OK;
    for (size_t i = 0; i < r->n && st == CONN_OK;) {
        size_t k = 0;
        for (; i < r->n && k < per; i++)
            if (out[i].found) {
                at[k] = i;
                ids[k++] = out[i].id;
            }
        if (k == 0)
            break;
        ConnRead byid = { r->entity, c->values_by, ids, k, r->fields, r->nfields };
        memset(got, 0, k * sizeof *got);
        st = read_one(c, t, &byid, p, clk, got, msg, msglen);
        for (size_t j = 0; j < k; j++) {
            if (st == CONN_OK) {
                conn_current_clear(&out[at[j]]);
                out[at[j]] = got[j];
            } else {
                conn_current_clear(&got[j]);
            }
        }
    }
    cm_free(got);
    cm_free(at);
    cm_free(ids);
    return st;
}

ConnStatus conn_read(const Connector *c, Transport *t, const ConnRead *r, const RetryPolicy *p,
                     const RetryClock *clk, ConnCurrent *out, char *msg, size_t msglen)
{
    memset(out, 0, r->n * sizeof *out);
    msg[0] = '\0';
    if (r->n == 0 || r->n > c->ops->max_read) {
        snprintf(msg, msglen, "a read holds 1 to %zu keys, not %zu", c->ops->max_read, r->n);
        return CONN_REJECTED;
    }
    bool twice = c->values_by && r->nfields > 0 && r->key_field && strcmp(r->key_field, c->values_by) != 0;
    ConnRead keys = *r;
    if (twice)
        keys.nfields = 0;
    ConnStatus st = read_one(c, t, &keys, p, clk, out, msg, msglen);
    if (st == CONN_OK && twice)
        st = read_values(c, t, r, p, clk, out, msg, msglen);
    if (st != CONN_OK)
        for (size_t i = 0; i < r->n; i++)
            conn_current_clear(&out[i]);
    return st;
}

/* ---- the after-write link step ---- */

/* One request of links (one pair of types), split in halves while the API
 * refuses it whole for one bad input. CONN_OK once each has an answer. */
static ConnStatus send_links(const Connector *c, Transport *t, const ConnLink *const *links, size_t n,
                             const RetryPolicy *p, const RetryClock *clk, ConnResult *results, uint64_t *requests,
                             char *msg, size_t msglen)
{
    Part pt = { .links = links, .n = n, .results = results, .requests = requests };
    send_parts(c, t, &pt, 1, 1, p, clk);
    snprintf(msg, msglen, "%s", pt.msg);
    return pt.status == CONN_REJECTED ? CONN_OK : pt.status;
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
