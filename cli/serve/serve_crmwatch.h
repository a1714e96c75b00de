/* serve_crmwatch: a transport in front of serve's CRM transport that
 * counts every answer the CRM gives (by HTTP status, or the failure below
 * HTTP) into the health counters, so /status and /metrics show the CRM's
 * answers and the retries the engine's own counts leave out. It passes
 * everything else through unchanged. */
#ifndef SERVE_CRMWATCH_H
#define SERVE_CRMWATCH_H

#include "serve_health.h"
#include "transport.h"

/* Wraps inner (owned from now on: closing the wrapper closes it). */
Transport *serve_crmwatch_new(Transport *inner, ServeHealth *h);

#endif
