/* serve_crmwatch: see serve_crmwatch.h. */
#include "serve_crmwatch.h"

#include "cm_alloc.h"

typedef struct Watch {
    Transport base;
    Transport *inner;
    ServeHealth *h;
} Watch;

static bool w_submit(Transport *t, const TxRequest *req, char *err, size_t errlen)
{
    return tx_submit(((Watch *)t)->inner, req, err, errlen);
}

static size_t w_poll(Transport *t, int timeout_ms, TxResponse *out, size_t max)
{
    Watch *w = (Watch *)t;
    size_t n = tx_poll(w->inner, timeout_ms, out, max);
    for (size_t i = 0; i < n; i++)
        serve_health_crm_answer(w->h, out[i].error == TX_OK ? out[i].status : -(int)out[i].error);
    return n;
}

static size_t w_in_flight(const Transport *t)
{
    return tx_in_flight(((const Watch *)t)->inner);
}

static void w_set_bearer(Transport *t, const char *token)
{
    tx_set_bearer(((Watch *)t)->inner, token);
}

static void w_close(Transport *t)
{
    Watch *w = (Watch *)t;
    tx_close(w->inner);
    cm_free(w);
}

static const TransportOps watch_ops = { w_submit, w_poll, w_in_flight, w_set_bearer, w_close };

Transport *serve_crmwatch_new(Transport *inner, ServeHealth *h)
{
    Watch *w = cm_calloc(1, sizeof *w);
    w->base.ops = &watch_ops;
    w->inner = inner;
    w->h = h;
    return &w->base;
}
