/* serve_http: the HTTP front of `crmmap serve` on libmicrohttpd — TLS or
 * loopback-only plain HTTP, a small pool of threads on epoll (a request
 * whose records are being stored is suspended, not waited for), the
 * Authorization check (constant time), the limits (with serve_guard.c:
 * connections, deadlines, the memory of bodies in flight), and the routes:
 *   POST /records              one JSON object (the snapADDY Contacts webhook)
 *   POST /records/batch        NDJSON or a JSON array of objects
 *   POST /visitreports         the snapADDY VisitReport webhook
 *   GET  /healthz              liveness, no authorization needed
 *   GET  /readyz               readiness (records can be stored), the same
 *   GET  /status               health and counters as JSON    (loopback, or
 *   GET  /metrics              the same for Prometheus         the status token)
 * Every answer carries a request id (X-Request-Id) and is counted by status
 * in the health counters. Bodies, the secret and the status token are never
 * logged. */
#ifndef SERVE_HTTP_H
#define SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "serve.h"

typedef struct ServeHttp ServeHttp;

typedef struct ServeHttpConfig {
    const char *listen;         /* ADDR:PORT, [V6]:PORT; port 0 picks a free one */
    bool plain_http;            /* without TLS files: plain HTTP, only on a loopback address */
    const char *tls_cert;       /* PEM files */
    const char *tls_key;        /* mode 0600, like a token file */
    /* The limits against idle, slow and greedy clients (docs/serve.md, "Limits"). */
    unsigned max_connections;   /* --max-connections: past it only /healthz and /status */
    unsigned per_address;       /* --max-per-address: connections from one address */
    unsigned header_timeout_s;  /* --header-timeout: a request's headers within this */
    unsigned body_timeout_s;    /* --body-timeout: its body within this after them */
    size_t max_body_memory;     /* --max-body-memory: bodies being received, all together */
} ServeHttpConfig;

/* NULL with a message when the address is bad, TLS cannot be set up or the
 * port cannot be bound; *status is the exit status that says which
 * (EXIT_USAGE: the flags, EXIT_FATAL: a TLS file or an address that is not
 * ours, EXIT_RETRY: the port is in use). */
ServeHttp *serve_http_start(Serve *s, const ServeHttpConfig *cfg, int *status, char *err, size_t errlen);
/* What serve_http_start checks before it listens: the flags and the TLS
 * files (read, a key of the certificate). For --check-config. */
bool serve_http_check(const ServeHttpConfig *cfg, int *status, char *err, size_t errlen);
/* The URL listened on (with the port chosen for port 0), to print. */
const char *serve_http_url(const ServeHttp *h);
/* Reads the TLS files again (SIGHUP): new handshakes get the new pair,
 * connections already open keep theirs. msg: what happened, for the log
 * ("" without TLS). False when the files are not a usable pair: the pair
 * in use stays. */
bool serve_http_reload_tls(ServeHttp *h, char *msg, size_t msglen);
/* Stops accepting connections (requests under way go on). */
void serve_http_quiesce(ServeHttp *h);
/* Waits for requests under way to be answered, then stops. The intake must
 * be stopped first (serve_intake_stop): then no request is suspended, which
 * libmicrohttpd requires of a stop. */
void serve_http_stop(ServeHttp *h);

#endif
