/* ratelimit: a sliding-window log of request start times, and what the
 * CRM's headers say of its budget. */
#include <string.h>

#include "cm_alloc.h"
#include "ratelimit.h"

/* The server time left below which a start waits: a request may run for
 * minutes, but ten seconds is more than a batch of crmmap's takes. */
#define TIME_RESERVE_MS 10000
/* Requests left to the CRM's count at which starts wait: one spare for
 * what crmmap does not count (another process of the same user). */
#define LEFT_RESERVE 1

void rate_seen_init(RateSeen *s)
{
    s->max = s->remaining = s->interval_ms = s->time_remaining_ms = -1;
    s->daily_max = s->daily_remaining = -1;
}

int64_t rate_header_number(const TxResponse *r, const char *name, int64_t scale)
{
    char buf[64];
    const char *v = tx_header(r, name, buf, sizeof buf);
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    int64_t whole = 0, frac = 0, div = 1;
    bool point = false;
    for (; *v; v++) {
        if (*v == ',' && !point)
            continue;
        if (*v == '.' && !point) {
            point = true;
            continue;
        }
        if (*v < '0' || *v > '9' || whole > INT64_MAX / 10 / (scale > 0 ? scale : 1))
            return -1;
        if (!point)
            whole = whole * 10 + (*v - '0');
        else if (div < 1000000) {
            frac = frac * 10 + (*v - '0');
            div *= 10;
        }
    }
    return whole * scale + frac * scale / div;
}

void ratelimit_init(RateLimit *r, int max, int64_t window_ms)
{
    memset(r, 0, sizeof *r);
    r->max = max > 0 && window_ms > 0 ? max : 0;
    r->window_ms = window_ms;
    r->margin_ms = window_ms / 20;
    r->starts = r->max ? cm_calloc((size_t)r->max, sizeof *r->starts) : NULL;
    r->daily_max = r->daily_remaining = -1;
    r->left = -1;
}

void ratelimit_free(RateLimit *r)
{
    cm_free(r->starts);
    r->starts = NULL;
    r->max = r->count = 0;
}

int64_t ratelimit_wait_ms(const RateLimit *r, int64_t now)
{
    if (r->hold_until > now)
        return r->hold_until - now;
    if (r->max == 0 || r->count < r->max)
        return 0;
    /* Full: the oldest start must leave the window first. */
    int64_t free_at = r->starts[r->head] + r->window_ms + r->margin_ms;
    return free_at > now ? free_at - now : 0;
}

/* Holds every start until a window after now, when the requests the CRM
 * said are left have been spent (by what was in flight and what left
 * since): the window it counts has then forgotten the last of them. */
static void hold(RateLimit *r, int64_t now)
{
    if (r->left < 0 || r->left > LEFT_RESERVE || r->hold_ms <= 0)
        return;
    r->holds += r->hold_until <= now;
    int64_t until = now + r->hold_ms + r->hold_ms / 20;
    r->hold_until = until > r->hold_until ? until : r->hold_until;
}

void ratelimit_take(RateLimit *r, int64_t now)
{
    if (r->hold_until != 0 && r->hold_until <= now) {
        /* held for a window, no answer since: what was left then is stale, the next answer says anew */
        r->left = -1;
        r->hold_until = 0;
    }
    if (r->left >= 0) {
        r->left--;
        hold(r, now);
    }
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

/* A window of max per window_ms, keeping the latest starts of the old log
 * so the requests already sent still count. */
static void resize(RateLimit *r, int max, int64_t window_ms)
{
    int keep = r->count < max ? r->count : max;
    int64_t *starts = cm_calloc((size_t)max, sizeof *starts);
    for (int i = 0; i < keep; i++)
        starts[i] = r->starts[(r->head + r->count - keep + i) % r->max];
    cm_free(r->starts);
    r->starts = starts;
    r->max = max;
    r->head = 0;
    r->count = keep;
    r->window_ms = window_ms;
    r->margin_ms = window_ms / 20;
}

bool ratelimit_follow(RateLimit *r, const RateSeen *s, int64_t now, size_t in_flight)
{
    if (r->hold_until != 0 && r->hold_until <= now)
        r->hold_until = 0;      /* over: this answer's count is fresh, not one from before the hold */
    if (!r->pinned && s->max > 0 && s->interval_ms > 0 && s->max <= 100000
        && (s->max != r->max || s->interval_ms != r->window_ms))
        resize(r, (int)s->max, s->interval_ms);
    r->hold_ms = s->interval_ms > 0 ? s->interval_ms : r->window_ms;
    if (s->remaining >= 0)
        r->left = s->remaining - (int64_t)in_flight;
    if (s->time_remaining_ms >= 0 && s->time_remaining_ms < TIME_RESERVE_MS)
        r->left = 0;
    hold(r, now);
    if (s->daily_max > 0 && s->daily_remaining >= 0
        && (r->daily_remaining < 0 || s->daily_remaining < r->daily_remaining)) {
        r->daily_max = s->daily_max;
        r->daily_remaining = s->daily_remaining;
    }
    if (r->daily_told || r->daily_max <= 0 || r->daily_remaining * 10 >= r->daily_max)
        return false;
    r->daily_told = true;
    return true;
}
