/* retry: backoff with full jitter and Retry-After, behind an injectable
 * clock; the real clock, with a PRNG per instance. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"

RetryPolicy retry_policy_default(void)
{
    RetryPolicy p = { 6, 250, 30000, 300000 };
    return p;
}

static int64_t sys_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sys_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    /* nanosleep refuses a negative time with EINVAL: the loop would never end. */
    if (ms <= 0)
        return;
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static uint64_t own_random(void *ctx)
{
    RetryOwnClock *c = ctx;
    c->state ^= c->state << 13;
    c->state ^= c->state >> 7;
    c->state ^= c->state << 17;
    return c->state;
}

void retry_clock_init(RetryOwnClock *c, uint64_t seed)
{
    c->clock = (RetryClock){ sys_now_ms, sys_sleep_ms, own_random, c };
    if (seed == 0) {
        /* Two engines started in the same millisecond differ by address,
         * two processes by pid. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40)
             ^ (uint64_t)(uintptr_t)c;
    }
    /* xorshift never leaves 0: every draw, and so every wait, would be 0. */
    c->state = seed ? seed : 0x9e3779b97f4a7c15u;
}

const RetryClock *retry_system_clock(void)
{
    static _Thread_local RetryOwnClock clk;
    if (clk.state == 0)
        retry_clock_init(&clk, 0);
    return &clk.clock;
}

bool retry_is_transient(const TxResponse *r)
{
    switch (r->error) {
    case TX_CONNECT:
    case TX_TIMEOUT:
    case TX_RESET:
        return true;
    case TX_OK:
        return r->status == 429 || r->status == 500 || r->status == 502
            || r->status == 503 || r->status == 504;
    case TX_TLS:
    case TX_TOO_LARGE:
    case TX_OTHER:
        break;
    }
    return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_index(const char *name)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (strlen(name) != 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(months + 3 * i, name, 3) == 0)
            return i + 1;
    return -1;
}

/* The three date forms HTTP recipients must accept (RFC 9110 §5.6.7):
 * IMF-fixdate, RFC 850 and asctime. Returns false for anything else. */
static bool parse_http_date(const char *s, int64_t *epoch_ms)
{
    char wday[16], mon[4], zone[4];
    int d, y, hh, mm, ss, n = 0;
    if (sscanf(s, "%15[A-Za-z], %2d %3s %4d %2d:%2d:%2d %3s%n", wday, &d, mon, &y, &hh, &mm, &ss, zone, &n) == 8
        && s[n] == '\0' && strcmp(zone, "GMT") == 0) {
        /* IMF-fixdate */
    } else if (n = 0, sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wday, &d, mon, &y, &hh, &mm, &ss, zone, &n) == 8
               && s[n] == '\0' && strcmp(zone, "GMT") == 0) {
        y += y < 70 ? 2000 : 1900;     /* RFC 850's two-digit year */
    } else if (n = 0, sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wday, mon, &d, &hh, &mm, &ss, &y, &n) == 7
               && s[n] == '\0') {
        /* asctime */
    } else {
        return false;
    }
    int m = month_index(mon);
    if (m < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 || hh < 0 || mm < 0 || ss < 0)
        return false;
    int64_t days = days_from_civil(y, m, d);
    *epoch_ms = ((days * 24 + hh) * 60 + mm) * 60000 + (int64_t)ss * 1000;
    return true;
}

int64_t retry_after_parse(const char *value, int64_t now_ms)
{
    if (value == NULL)
        return -1;
    const char *p = value;
    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        int64_t ms = 0;
        int digits = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (++digits > 9)
                return -1;      /* over 30 years: not a sensible wait */
            ms = ms * 10 + (*p - '0');
        }
        ms *= 1000;
        if (*p == '.') {
            /* Fractional seconds are not HTTP; test servers send them to keep tests fast. */
            int64_t scale = 100;
            for (p++; isdigit((unsigned char)*p); p++) {
                ms += (*p - '0') * scale;
                scale /= 10;
            }
        }
        while (*p == ' ')
            p++;
        return *p == '\0' ? ms : -1;
    }
    int64_t at;
    if (!parse_http_date(p, &at))
        return -1;
    return at > now_ms ? at - now_ms : 0;
}

int64_t retry_delay_ms(const RetryPolicy *p, int failures, const char *retry_after,
                       const RetryClock *clk)
{
    int64_t ceiling = p->base_ms;
    for (int i = 1; i < failures && ceiling < p->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > p->cap_ms)
        ceiling = p->cap_ms;
    int64_t wait = ceiling > 0 ? (int64_t)(clk->random(clk->ctx) % (uint64_t)(ceiling + 1)) : 0;
    int64_t asked = retry_after_parse(retry_after, clk->now_ms(clk->ctx));
    if (asked > p->max_retry_after_ms)
        return -1;
    return asked > wait ? asked : wait;
}

void retry_send(Transport *t, const TxRequest *req, const RetryPolicy *p,
                const RetryClock *clk, TxResponse *out, int *attempts)
{
    int tries = 0;
    for (;;) {
        tx_send_wait(t, req, out);
        tries++;
        if (!retry_is_transient(out) || tries >= p->max_attempts)
            break;
        int64_t wait = retry_delay_ms(p, tries, out->retry_after, clk);
        if (wait < 0)
            break;
        tx_response_clear(out);
        clk->sleep_ms(clk->ctx, wait);
    }
    if (attempts)
        *attempts = tries;
}
