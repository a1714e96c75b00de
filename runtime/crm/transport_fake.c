/* transport_fake: an in-process transport for unit tests. Each request gets
 * the next scripted answer (tx_fake_push), or else whatever the handler
 * computes, and completes at the next poll; every request is kept so tests
 * can inspect exactly what a connector sent. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "transport.h"

typedef struct FakeAnswer {
    TxFakeAnswer a;     /* strings owned */
} FakeAnswer;

typedef struct FakeTx {
    Transport base;
    TxFakeHandler handler;
    void *ctx;
    FakeAnswer *script;
    size_t nscript, script_at, script_cap;
    TxFakeRequest *reqs;
    size_t nreqs, reqs_cap;
    TxResponse *done;       /* answered, waiting for poll */
    size_t ndone, done_cap;
    char *bearer;
} FakeTx;

static char *dup_or_null(const char *s)
{
    return s ? cm_strdup(s) : NULL;
}

/* The header lines as the libcurl transport hands them on: names in lower
 * case, so a consumer cannot pass the fake and fail on the real thing. */
static char *fake_headers(const char *lines)
{
    if (!lines)
        return NULL;
    char *h = cm_strdup(lines);
    bool in_name = true;
    for (char *c = h; *c; c++) {
        if (*c == '\n')
            in_name = true;
        else if (*c == ':')
            in_name = false;
        else if (in_name)
            *c = (char)tolower((unsigned char)*c);
    }
    return h;
}

void tx_fake_push(Transport *t, TxFakeAnswer answer)
{
    FakeTx *f = (FakeTx *)t;
    if (f->nscript == f->script_cap) {
        f->script_cap = f->script_cap ? f->script_cap * 2 : 8;
        f->script = cm_realloc(f->script, f->script_cap * sizeof *f->script);
    }
    FakeAnswer *s = &f->script[f->nscript++];
    s->a = answer;
    s->a.body = dup_or_null(answer.body);
    s->a.retry_after = dup_or_null(answer.retry_after);
    s->a.headers = dup_or_null(answer.headers);
}

static void record(FakeTx *f, const TxRequest *req)
{
    if (f->nreqs == f->reqs_cap) {
        f->reqs_cap = f->reqs_cap ? f->reqs_cap * 2 : 8;
        f->reqs = cm_realloc(f->reqs, f->reqs_cap * sizeof *f->reqs);
    }
    TxFakeRequest *r = &f->reqs[f->nreqs++];
    r->method = cm_strdup(req->method);
    r->bearer = f->bearer ? cm_strdup(f->bearer) : NULL;
    r->url = cm_strdup(req->url);
    r->body = cm_strndup(req->body ? req->body : "", req->body ? req->body_len : 0);
    r->body_len = req->body ? req->body_len : 0;
    r->nheaders = req->nheaders;
    r->headers = cm_calloc(req->nheaders + 1, sizeof *r->headers);
    for (size_t i = 0; i < req->nheaders; i++)
        r->headers[i] = cm_strdup(req->headers[i]);
}

static bool fake_submit(Transport *t, const TxRequest *req, char *err, size_t errlen)
{
    FakeTx *f = (FakeTx *)t;
    (void)err;
    (void)errlen;
    record(f, req);
    TxFakeAnswer a = { TX_OTHER, false, 0, NULL, NULL, NULL };
    bool answered = true;
    if (f->script_at < f->nscript)
        a = f->script[f->script_at++].a;
    else if (f->handler)
        f->handler(f->ctx, req, &a);
    else
        answered = false;
    if (f->ndone == f->done_cap) {
        f->done_cap = f->done_cap ? f->done_cap * 2 : 8;
        f->done = cm_realloc(f->done, f->done_cap * sizeof *f->done);
    }
    TxResponse *r = &f->done[f->ndone++];
    memset(r, 0, sizeof *r);
    r->tag = req->tag;
    r->error = a.error;
    r->sent = a.error == TX_OK || a.sent;
    if (a.error == TX_OK) {
        r->status = a.status;
        r->body = cm_strdup(a.body ? a.body : "");
        r->body_len = strlen(r->body);
        r->retry_after = dup_or_null(a.retry_after);
        r->headers = fake_headers(a.headers);
    } else {
        snprintf(r->message, sizeof r->message, "fake: %s",
                 answered ? tx_error_name(a.error) : "no answer scripted");
    }
    return true;
}

static size_t fake_poll(Transport *t, int timeout_ms, TxResponse *out, size_t max)
{
    FakeTx *f = (FakeTx *)t;
    (void)timeout_ms;
    size_t n = f->ndone < max ? f->ndone : max;
    memcpy(out, f->done, n * sizeof *out);
    memmove(f->done, f->done + n, (f->ndone - n) * sizeof *f->done);
    f->ndone -= n;
    return n;
}

static size_t fake_in_flight(const Transport *t)
{
    return ((const FakeTx *)t)->ndone;
}

static void fake_close(Transport *t)
{
    FakeTx *f = (FakeTx *)t;
    for (size_t i = 0; i < f->nscript; i++) {
        cm_free((char *)f->script[i].a.body);
        cm_free((char *)f->script[i].a.retry_after);
        cm_free((char *)f->script[i].a.headers);
    }
    for (size_t i = 0; i < f->nreqs; i++) {
        TxFakeRequest *r = &f->reqs[i];
        cm_free(r->method);
        cm_free(r->bearer);
        cm_free(r->url);
        cm_free(r->body);
        for (size_t h = 0; h < r->nheaders; h++)
            cm_free(r->headers[h]);
        cm_free(r->headers);
    }
    for (size_t i = 0; i < f->ndone; i++)
        tx_response_clear(&f->done[i]);
    cm_free(f->bearer);
    cm_free(f->script);
    cm_free(f->reqs);
    cm_free(f->done);
    cm_free(f);
}

static void fake_set_bearer(Transport *t, const char *token)
{
    FakeTx *f = (FakeTx *)t;
    cm_free(f->bearer);
    f->bearer = token ? cm_strdup(token) : NULL;
}

static const TransportOps fake_ops = { fake_submit, fake_poll, fake_in_flight, fake_set_bearer, fake_close };

Transport *tx_fake_new(TxFakeHandler handler, void *ctx)
{
    FakeTx *f = cm_calloc(1, sizeof *f);
    f->base.ops = &fake_ops;
    f->handler = handler;
    f->ctx = ctx;
    return &f->base;
}

const TxFakeRequest *tx_fake_request(const Transport *t, size_t i)
{
    const FakeTx *f = (const FakeTx *)t;
    return i < f->nreqs ? &f->reqs[i] : NULL;
}

size_t tx_fake_nrequests(const Transport *t)
{
    return ((const FakeTx *)t)->nreqs;
}
