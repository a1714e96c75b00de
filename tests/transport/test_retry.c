/* Retry policy and fake transport: backoff bounds, Retry-After in every form,
 * which failures are retried, and retry_send driving the fake transport on a
 * fake clock (so a test of a 5-minute wait takes no time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "ratelimit.h"
#include "retry.h"
#include "transport.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

typedef struct FakeClock {
    int64_t now;
    int64_t slept[32];
    int nslept;
    uint64_t next_random;
} FakeClock;

static int64_t fc_now(void *ctx) { return ((FakeClock *)ctx)->now; }
static void fc_sleep(void *ctx, int64_t ms)
{
    FakeClock *c = ctx;
    if (c->nslept < 32)
        c->slept[c->nslept++] = ms;
    c->now += ms;
}
static uint64_t fc_random(void *ctx) { return ((FakeClock *)ctx)->next_random; }

/* 2026-11-22 21:00:00 UTC */
static const int64_t T0 = 1795381200000;

static void test_retry_after_parse(void)
{
    CHECK(retry_after_parse("120", T0) == 120000);
    CHECK(retry_after_parse(" 0 ", T0) == 0);
    CHECK(retry_after_parse("0.05", T0) == 50);
    CHECK(retry_after_parse("1.5", T0) == 1500);
    CHECK(retry_after_parse("Sun, 22 Nov 2026 21:00:30 GMT", T0) == 30000);
    CHECK(retry_after_parse("Sunday, 22-Nov-26 21:01:00 GMT", T0) == 60000);
    CHECK(retry_after_parse("Sun Nov 22 21:00:02 2026", T0) == 2000);
    CHECK(retry_after_parse("Sun, 22 Nov 2026 20:00:00 GMT", T0) == 0);     /* in the past */
    CHECK(retry_after_parse("Sun, 22 Nov 2026 21:00:30 CET", T0) == -1);
    CHECK(retry_after_parse("Sun, 22 Foo 2026 21:00:30 GMT", T0) == -1);
    CHECK(retry_after_parse("-5", T0) == -1);
    CHECK(retry_after_parse("5s", T0) == -1);
    CHECK(retry_after_parse("99999999999999999999", T0) == -1);
    CHECK(retry_after_parse("", T0) == -1);
    CHECK(retry_after_parse(NULL, T0) == -1);
}

static void test_transient(void)
{
    TxResponse r;
    memset(&r, 0, sizeof r);
    int retried[] = { 429, 500, 502, 503, 504 };
    int final[] = { 200, 201, 207, 400, 401, 403, 404, 409, 501 };
    for (size_t i = 0; i < sizeof retried / sizeof *retried; i++) {
        r.status = retried[i];
        CHECK(retry_is_transient(&r));
    }
    for (size_t i = 0; i < sizeof final / sizeof *final; i++) {
        r.status = final[i];
        CHECK(!retry_is_transient(&r));
    }
    r.status = 0;
    r.error = TX_CONNECT; CHECK(retry_is_transient(&r));
    r.error = TX_TIMEOUT; CHECK(retry_is_transient(&r));
    r.error = TX_RESET; CHECK(retry_is_transient(&r));
    r.error = TX_TLS; CHECK(!retry_is_transient(&r));
    r.error = TX_TOO_LARGE; CHECK(!retry_is_transient(&r));
}

static void test_delay_bounds(void)
{
    FakeClock fc = { T0, { 0 }, 0, 0 };
    RetryClock clk = { fc_now, fc_sleep, fc_random, &fc };
    RetryPolicy p = { 8, 100, 1000, 5000 };
    /* The largest random value hits the ceiling: 100, 200, 400, 800, then the cap. */
    int64_t expect[] = { 100, 200, 400, 800, 1000, 1000, 1000 };
    for (int f = 1; f <= 7; f++) {
        int64_t ceiling = expect[f - 1];
        fc.next_random = (uint64_t)ceiling;
        CHECK(retry_delay_ms(&p, f, NULL, &clk) == ceiling);
        fc.next_random = (uint64_t)ceiling + 1;     /* wraps to 0: full jitter reaches zero */
        CHECK(retry_delay_ms(&p, f, NULL, &clk) == 0);
    }
    /* A huge failure count neither overflows nor passes the cap. */
    fc.next_random = UINT64_MAX;
    CHECK(retry_delay_ms(&p, 1000000, NULL, &clk) <= 1000);
    /* Retry-After raises the wait, never lowers it. */
    fc.next_random = 0;
    CHECK(retry_delay_ms(&p, 1, "3", &clk) == 3000);
    fc.next_random = 50;
    CHECK(retry_delay_ms(&p, 1, "0.01", &clk) == 50);
    CHECK(retry_delay_ms(&p, 1, "Sun, 22 Nov 2026 21:00:04 GMT", &clk) == 4000);
    /* Longer than the policy allows: give up. */
    CHECK(retry_delay_ms(&p, 1, "6", &clk) == -1);
    /* Garbage Retry-After: plain backoff. */
    fc.next_random = 7;
    CHECK(retry_delay_ms(&p, 1, "soon", &clk) == 7);
}

static TxRequest get_req(void)
{
    TxRequest r = { "GET", "https://crm.example/x", NULL, 0, NULL, 0, NULL, false };
    return r;
}

/* Clocks of their own: seeded alike, alike; one's draws do not move
 * another's; seed 0 still draws (xorshift's zero state would not). */
static void test_own_clock(void)
{
    static RetryOwnClock a, b, c, z;
    retry_clock_init(&a, 42);
    retry_clock_init(&b, 42);
    retry_clock_init(&c, 42);
    RetryPolicy p = { 6, 1000, 30000, 300000 };
    int64_t wa[5], wb[5];
    for (int i = 0; i < 5; i++) {
        wa[i] = retry_delay_ms(&p, i + 1, NULL, &a.clock);
        c.clock.random(c.clock.ctx);    /* draws of its own, between b's */
        wb[i] = retry_delay_ms(&p, i + 1, NULL, &b.clock);
        CHECK(wa[i] == wb[i]);
    }
    CHECK(wa[0] != wa[1] || wa[1] != wa[2] || wa[2] != wa[3]);
    retry_clock_init(&z, 0);
    CHECK(z.state != 0 && z.clock.random(z.clock.ctx) != 0);
    /* A wait of nothing, or less, returns at once (nanosleep refuses a negative one). */
    int64_t before = a.clock.now_ms(a.clock.ctx);
    a.clock.sleep_ms(a.clock.ctx, -5);
    a.clock.sleep_ms(a.clock.ctx, 0);
    retry_system_clock()->sleep_ms(NULL, -1);
    CHECK(a.clock.now_ms(a.clock.ctx) - before < 1000);
}

static void test_send_retries_then_succeeds(void)
{
    FakeClock fc = { T0, { 0 }, 0, 0 };
    RetryClock clk = { fc_now, fc_sleep, fc_random, &fc };
    RetryPolicy p = { 6, 100, 1000, 60000 };
    Transport *t = tx_fake_new(NULL, NULL);
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 429, "{}", "2", NULL });
    tx_fake_push(t, (TxFakeAnswer){ TX_RESET, true, 0, NULL, NULL, NULL });
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 503, "busy", "Sun, 22 Nov 2026 21:00:10 GMT", NULL });
    tx_fake_push(t, (TxFakeAnswer){ TX_TIMEOUT, false, 0, NULL, NULL, NULL });
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 200, "{\"ok\":true}", NULL, NULL });
    TxRequest req = get_req();
    TxResponse out;
    int attempts = 0;
    retry_send(t, &req, &p, &clk, &out, &attempts);
    CHECK(attempts == 5);
    CHECK(out.error == TX_OK && out.status == 200);
    CHECK(out.body && strcmp(out.body, "{\"ok\":true}") == 0);
    CHECK(fc.nslept == 4);
    CHECK(fc.slept[0] == 2000);                     /* Retry-After: 2 */
    /* After 2 s + whatever the reset cost, the date asks for T0+10 s. */
    CHECK(fc.slept[0] + fc.slept[1] + fc.slept[2] == 10000);
    CHECK(tx_fake_nrequests(t) == 5);
    tx_response_clear(&out);
    tx_close(t);
}

static void test_send_stops(void)
{
    FakeClock fc = { T0, { 0 }, 0, 3 };
    RetryClock clk = { fc_now, fc_sleep, fc_random, &fc };
    RetryPolicy p = { 3, 100, 1000, 60000 };
    TxRequest req = get_req();
    TxResponse out;
    int attempts = 0;

    /* Bounded: three 500s, then the last one is returned. */
    Transport *t = tx_fake_new(NULL, NULL);
    for (int i = 0; i < 5; i++)
        tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 500, "oops", NULL, NULL });
    retry_send(t, &req, &p, &clk, &out, &attempts);
    CHECK(attempts == 3 && out.status == 500 && fc.nslept == 2);
    tx_response_clear(&out);
    tx_close(t);

    /* Not transient: 401 and 404 come back at once. */
    t = tx_fake_new(NULL, NULL);
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 401, "[]", NULL, NULL });
    fc.nslept = 0;
    retry_send(t, &req, &p, &clk, &out, &attempts);
    CHECK(attempts == 1 && out.status == 401 && fc.nslept == 0);
    tx_response_clear(&out);
    tx_close(t);

    /* A Retry-After beyond the policy: no wait, the 429 is the answer. */
    t = tx_fake_new(NULL, NULL);
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, 429, "", "3600", NULL });
    retry_send(t, &req, &p, &clk, &out, &attempts);
    CHECK(attempts == 1 && out.status == 429 && fc.nslept == 0);
    CHECK(out.retry_after && strcmp(out.retry_after, "3600") == 0);
    tx_response_clear(&out);
    tx_close(t);

    /* Nothing scripted: a transport error that is not retried. */
    t = tx_fake_new(NULL, NULL);
    retry_send(t, &req, &p, &clk, &out, &attempts);
    CHECK(attempts == 1 && out.error == TX_OTHER && strstr(out.message, "no answer scripted"));
    tx_response_clear(&out);
    tx_close(t);
}

static void echo_handler(void *ctx, const TxRequest *req, TxFakeAnswer *a)
{
    (*(int *)ctx)++;
    a->error = TX_OK;
    a->status = strcmp(req->method, "POST") == 0 ? 201 : 200;
    a->body = req->method;
}

static void test_fake_records_and_handler(void)
{
    int calls = 0;
    Transport *t = tx_fake_new(echo_handler, &calls);
    const char *hdr[] = { "Content-Type: application/json" };
    int tags[3];
    for (int i = 0; i < 3; i++) {
        TxRequest req = { i == 1 ? "POST" : "GET", "https://crm.example/y", hdr, 1, "{\"a\":1}", 7, &tags[i], false };
        char err[64];
        CHECK(tx_submit(t, &req, err, sizeof err));
    }
    CHECK(tx_in_flight(t) == 3);
    TxResponse out[2];
    CHECK(tx_poll(t, 0, out, 2) == 2);
    CHECK(out[0].tag == &tags[0] && out[0].status == 200);
    CHECK(out[1].tag == &tags[1] && out[1].status == 201 && strcmp(out[1].body, "POST") == 0);
    tx_response_clear(&out[0]);
    tx_response_clear(&out[1]);
    CHECK(tx_poll(t, 0, out, 2) == 1);
    CHECK(out[0].tag == &tags[2]);
    tx_response_clear(&out[0]);
    CHECK(tx_poll(t, 0, out, 2) == 0);
    CHECK(calls == 3 && tx_fake_nrequests(t) == 3);
    const TxFakeRequest *r = tx_fake_request(t, 1);
    CHECK(r && strcmp(r->method, "POST") == 0 && strcmp(r->body, "{\"a\":1}") == 0);
    CHECK(r && r->nheaders == 1 && strcmp(r->headers[0], hdr[0]) == 0);
    CHECK(tx_fake_request(t, 3) == NULL);
    tx_close(t);
}

static void test_ratelimit(void)
{
    RateLimit r;
    ratelimit_init(&r, 3, 1000);
    CHECK(ratelimit_wait_ms(&r, 0) == 0);
    ratelimit_take(&r, 0);
    ratelimit_take(&r, 100);
    ratelimit_take(&r, 200);
    /* The start at 0 leaves the window at 1000 plus the 5% margin. */
    CHECK(ratelimit_wait_ms(&r, 300) == 750);
    CHECK(ratelimit_wait_ms(&r, 1000) == 50);
    CHECK(ratelimit_wait_ms(&r, 1050) == 0);
    ratelimit_take(&r, 1050);
    CHECK(ratelimit_wait_ms(&r, 1050) == 100);    /* now the start at 100 is the oldest */
    ratelimit_take(&r, 1150);
    ratelimit_take(&r, 1250);
    CHECK(ratelimit_wait_ms(&r, 1300) == 1050 + 1050 - 1300);
    /* Any 1000 ms holds at most 3 starts, whatever the pattern. */
    RateLimit s;
    ratelimit_init(&s, 5, 1000);
    int64_t starts[200], now = 0;
    for (int i = 0; i < 200; i++) {
        now += ratelimit_wait_ms(&s, now) + (i % 7 == 0 ? 37 : 0);
        ratelimit_take(&s, now);
        starts[i] = now;
    }
    for (int i = 5; i < 200; i++)
        CHECK(starts[i] - starts[i - 5] >= 1000);
    ratelimit_free(&s);
    ratelimit_free(&r);
    RateLimit none;
    ratelimit_init(&none, 0, 1000);
    ratelimit_take(&none, 5);
    CHECK(ratelimit_wait_ms(&none, 5) == 0);
    ratelimit_free(&none);
}

/* The wait at 0 after an answer at 0 said s, nothing in flight. */
static int64_t wait_after(RateLimit *r, const RateSeen *s)
{
    ratelimit_follow(r, s, 0, 0);
    return ratelimit_wait_ms(r, 0);
}

/* What the CRM's headers say moves the limit (ratelimit_follow). */
static void test_ratelimit_follow(void)
{
    TxResponse a;
    memset(&a, 0, sizeof a);
    char hdrs[] = "x-time: 1,199.98\nx-word: many\nx-n: 190\n";
    a.headers = hdrs;
    CHECK(rate_header_number(&a, "X-Time", 1000) == 1199980);
    CHECK(rate_header_number(&a, "x-n", 1) == 190);
    CHECK(rate_header_number(&a, "x-word", 1) == -1 && rate_header_number(&a, "x-none", 1) == -1);

    /* A stated window replaces the default one, keeping what was sent. */
    RateLimit r;
    ratelimit_init(&r, 90, 10000);
    for (int i = 0; i < 90; i++)
        ratelimit_take(&r, i);
    CHECK(ratelimit_wait_ms(&r, 100) > 0);
    RateSeen s;
    rate_seen_init(&s);
    s.max = 190, s.interval_ms = 10000, s.remaining = 100;
    CHECK(!ratelimit_follow(&r, &s, 100, 0));
    CHECK(r.max == 190 && r.count == 90 && ratelimit_wait_ms(&r, 100) == 0);
    /* 3 left with 1 in flight: one more start, then it holds for the interval. */
    s.remaining = 3;
    ratelimit_follow(&r, &s, 200, 1);
    CHECK(ratelimit_wait_ms(&r, 200) == 0);
    ratelimit_take(&r, 200);
    CHECK(ratelimit_wait_ms(&r, 200) == 10500 && r.holds == 1);
    /* An answer still arriving does not shorten it nor count a second hold. */
    s.remaining = 2;
    ratelimit_follow(&r, &s, 300, 0);
    CHECK(ratelimit_wait_ms(&r, 300) == 10400 && r.holds == 1);
    /* After the window the count is unknown again until the next answer. */
    ratelimit_take(&r, 10800);
    CHECK(r.left == -1 && ratelimit_wait_ms(&r, 10800) == 0);
    ratelimit_free(&r);

    /* --rate pins the window; the remaining count still holds it, for
     * the pinned window where the CRM states no interval. */
    ratelimit_init(&r, 5000, 2000);
    r.pinned = true;
    rate_seen_init(&s);
    s.max = 190, s.interval_ms = 10000;
    ratelimit_follow(&r, &s, 0, 0);
    CHECK(r.max == 5000 && r.window_ms == 2000);
    rate_seen_init(&s);
    s.remaining = 1;
    CHECK(wait_after(&r, &s) == 2100);
    ratelimit_free(&r);
    /* Little server time left holds too. */
    ratelimit_init(&r, 5000, 300000);
    s.remaining = 4000, s.time_remaining_ms = 9000;
    CHECK(wait_after(&r, &s) == 315000);
    ratelimit_free(&r);

    /* A daily quota below a tenth is told once. */
    ratelimit_init(&r, 0, 0);
    rate_seen_init(&s);
    s.daily_max = 15000, s.daily_remaining = 2000;
    CHECK(!ratelimit_follow(&r, &s, 0, 0));
    s.daily_remaining = 1400;
    CHECK(ratelimit_follow(&r, &s, 0, 0));
    s.daily_remaining = 1300;
    CHECK(!ratelimit_follow(&r, &s, 0, 0) && r.daily_remaining == 1300);
    CHECK(ratelimit_wait_ms(&r, 0) == 0);
    ratelimit_free(&r);
}

int main(void)
{
    test_ratelimit();
    test_ratelimit_follow();
    test_retry_after_parse();
    test_transient();
    test_delay_bounds();
    test_own_clock();
    test_send_retries_then_succeeds();
    test_send_stops();
    test_fake_records_and_handler();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
