/* ratelimit: a sliding-window log of request start times. */
#include "cm_alloc.h"
#include "ratelimit.h"

void ratelimit_init(RateLimit *r, int max, int64_t window_ms)
{
    r->max = max > 0 && window_ms > 0 ? max : 0;
    r->window_ms = window_ms;
    r->margin_ms = window_ms / 20;
    r->starts = r->max ? cm_calloc((size_t)r->max, sizeof *r->starts) : NULL;
    r->head = r->count = 0;
}

void ratelimit_free(RateLimit *r)
{
    cm_free(r->starts);
    r->starts = NULL;
    r->max = r->count = 0;
}

int64_t ratelimit_wait_ms(const RateLimit *r, int64_t now)
{
    if (r->max == 0 || r->count < r->max)
        return 0;
    /* Full: the oldest start must leave the window first. */
    int64_t free_at = r->starts[r->head] + r->window_ms + r->margin_ms;
    return free_at > now ? free_at - now : 0;
}

void ratelimit_take(RateLimit *r, int64_t now)
{
    if (r->max == 0)
        return;
    if (r->count < r->max) {
        r->starts[(r->head + r->count) % r->max] = now;
        r->count++;
    } else {
        r->starts[r->head] = now;
        r->head = (r->head + 1) % r->max;
    }
}
