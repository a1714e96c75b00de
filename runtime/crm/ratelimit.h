/* ratelimit: a client-side limit of at most `max` requests in any sliding
 * window of `window_ms`, so a run stays under the vendor's published limits
 * instead of discovering them as 429s (HubSpot: 100 requests per 10 s for a
 * private app; Dynamics: 6,000 per 5 minutes per user). A log of the last
 * `max` start times: exact, O(1) per request, no drift.
 *
 * A start leaves the window 5% late: the client times a request when it
 * leaves, the server when it arrives, and with several requests in flight an
 * early request can wait in the server's queue longer than a later one — so
 * an exact client window still lets the server count max + 1 (seen: 2.6% of
 * requests answered 429 against a 100 per 10 s server).
 *
 * It also follows what the CRM says of its budget in the headers of every
 * answer (RateSeen, read by the vendor's CrmVendor.rate_headers,
 * docs/run.md "Pacing by the CRM's headers"): a window the vendor states
 * replaces the default one (190 per 10 s instead of 90), unless --rate
 * pinned it; a remaining count that the requests in flight and those sent
 * since bring near 0 holds every start for a window, instead of drawing
 * 429s; and a daily quota falling below a tenth is told once. */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/* What one answer's headers said of the budget; -1: not said. */
typedef struct RateSeen {
    int64_t max, remaining, interval_ms;    /* the short window (per 10 s, per 5 minutes) */
    int64_t time_remaining_ms;              /* server time left in it */
    int64_t daily_max, daily_remaining;     /* the day's quota */
} RateSeen;

void rate_seen_init(RateSeen *s);
/* The number in r's header name times scale ("1,199.98" with scale 1000 is
 * 1199980: thousands separators and a fraction are taken), or -1 when the
 * answer has none or it is not a number. */
int64_t rate_header_number(const TxResponse *r, const char *name, int64_t scale);

typedef struct RateLimit {
    int max;
    int64_t window_ms;
    int64_t margin_ms;  /* window_ms / 20 */
    int64_t *starts;    /* ring of the last `max` request start times */
    int head, count;
    bool pinned;            /* --rate: the vendor's stated window does not replace it */
    int64_t left;           /* requests left to the CRM's count (its last answer's less those sent since); -1: unknown */
    int64_t hold_ms;        /* the wait once they near 0: the interval the CRM states, else window_ms */
    int64_t hold_until;     /* no start before this time */
    int64_t holds;          /* times the remaining count made it hold */
    int64_t daily_max, daily_remaining;     /* the lowest seen; -1: never said */
    bool daily_told;
} RateLimit;

/* max <= 0 means no limit. */
void ratelimit_init(RateLimit *r, int max, int64_t window_ms);
void ratelimit_free(RateLimit *r);
/* How long to wait before a request may start at time now (0: at once). */
int64_t ratelimit_wait_ms(const RateLimit *r, int64_t now);
/* Records a request starting at now. */
void ratelimit_take(RateLimit *r, int64_t now);
/* Follows what an answer arriving at now said, with in_flight other
 * requests still out (each may spend one of the remaining). True once, the
 * first time the daily quota seen is below a tenth of its allocation. */
bool ratelimit_follow(RateLimit *r, const RateSeen *s, int64_t now, size_t in_flight);

#endif
