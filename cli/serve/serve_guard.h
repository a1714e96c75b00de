/* serve_guard: what keeps idle, slow and greedy clients from taking serve
 * down (issue 20, finding 2) — per connection, how long it has been in its
 * phase, cut (shutdown(2)) by a watchdog thread when the request's headers
 * take longer than the header deadline or its body longer than the body
 * deadline, counted from the phase's start, not from the last byte; the
 * count of open connections (past the limit only /healthz and /status are
 * served); and the memory budget of the request bodies being received.
 * The per-address limit is libmicrohttpd's (serve_http.c). */
#ifndef SERVE_GUARD_H
#define SERVE_GUARD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ServeGuard ServeGuard;
typedef struct GuardConn GuardConn;

typedef enum GuardPhase {
    GUARD_HEADERS,      /* waiting for a request's headers (also between keep-alive requests) */
    GUARD_BODY,         /* the headers are in, the body is coming */
    GUARD_BUSY          /* being answered: no deadline of the client's */
} GuardPhase;

/* Deadlines in milliseconds; connections: past it only health and status.
 * NULL when the watchdog thread cannot be started. */
ServeGuard *guard_new(unsigned connections, unsigned header_ms, unsigned body_ms, size_t body_memory);
/* Stops the watchdog; every connection must be closed. */
void guard_free(ServeGuard *g);

/* A connection accepted on socket fd: in GUARD_HEADERS from now. */
GuardConn *guard_open(ServeGuard *g, int fd);
/* The connection closed: its deadline no longer applies. */
void guard_close(ServeGuard *g, GuardConn *c);
/* The connection enters phase p now. */
void guard_phase(ServeGuard *g, GuardConn *c, GuardPhase p);
/* Whether more connections are open than the limit. */
bool guard_crowded(ServeGuard *g);

/* Takes n bytes of the body budget; false (nothing taken) when they would
 * pass it. guard_give returns them. */
bool guard_take(ServeGuard *g, size_t n);
void guard_give(ServeGuard *g, size_t n);

#endif
