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
 * requests answered 429 against a 100 per 10 s server). */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

typedef struct RateLimit {
    int max;
    int64_t window_ms;
    int64_t margin_ms;  /* window_ms / 20 */
    int64_t *starts;    /* ring of the last `max` request start times */
    int head, count;
} RateLimit;

/* max <= 0 means no limit. */
void ratelimit_init(RateLimit *r, int max, int64_t window_ms);
void ratelimit_free(RateLimit *r);
/* How long to wait before a request may start at time now (0: at once). */
int64_t ratelimit_wait_ms(const RateLimit *r, int64_t now);
/* Records a request starting at now. */
void ratelimit_take(RateLimit *r, int64_t now);

#endif
