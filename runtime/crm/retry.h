/* retry: when and how long to wait before sending a request again.
 * Transient failures (429, 500/502/503/504, connect failures, timeouts,
 * connection resets) are retried with capped exponential backoff and full
 * jitter, never sooner than the server's Retry-After (seconds, fractional
 * seconds from test servers, or an HTTP date), for a bounded number of
 * attempts. Time and randomness come through RetryClock so tests run
 * instantly and deterministically. */
#ifndef RETRY_H
#define RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "transport.h"

typedef struct RetryPolicy {
    int max_attempts;           /* tries in all, the first included */
    int64_t base_ms;            /* backoff ceiling after the first failure */
    int64_t cap_ms;             /* backoff ceiling never exceeds this */
    int64_t max_retry_after_ms; /* a longer Retry-After ends the retries */
} RetryPolicy;

/* 6 attempts, 250 ms base, 30 s cap, Retry-After up to 5 minutes. */
RetryPolicy retry_policy_default(void);

typedef struct RetryClock {
    int64_t (*now_ms)(void *ctx);           /* Unix time in milliseconds */
    void (*sleep_ms)(void *ctx, int64_t ms);
    uint64_t (*random)(void *ctx);
    void *ctx;
} RetryClock;

/* A clock of one's own: the real time and sleep, and a PRNG whose state
 * nobody else draws from, so one engine's jitter does not depend on another
 * engine's (or thread's) requests, and a seed makes it repeatable. */
typedef struct RetryOwnClock {
    RetryClock clock;       /* its ctx is the RetryOwnClock: do not copy one */
    uint64_t state;
} RetryOwnClock;

/* seed 0: seeded from the time, the process id and c's address. */
void retry_clock_init(RetryOwnClock *c, uint64_t seed);

/* The calling thread's own clock (CLOCK_REALTIME, nanosleep, a xorshift PRNG
 * seeded on first use), for callers with no engine to keep one in. */
const RetryClock *retry_system_clock(void);

/* True for answers worth sending again. */
bool retry_is_transient(const TxResponse *r);

/* A Retry-After value as a wait in milliseconds from now_ms (0 for a date in
 * the past); -1 when it is not a number of seconds or an HTTP date. */
int64_t retry_after_parse(const char *value, int64_t now_ms);

/* The wait before attempt failures+1, where failures >= 1 attempts failed:
 * uniform in [0, min(cap, base * 2^(failures-1))], raised to Retry-After when
 * the server sent one. -1 when Retry-After exceeds the policy's maximum. */
int64_t retry_delay_ms(const RetryPolicy *p, int failures, const char *retry_after,
                       const RetryClock *clk);

/* Sends req, retrying transient failures per p; *out holds the last answer
 * and *attempts (may be NULL) how many tries were made. */
void retry_send(Transport *t, const TxRequest *req, const RetryPolicy *p,
                const RetryClock *clk, TxResponse *out, int *attempts);

#endif
