/* The libcurl transport against tools/crmserver on loopback (CRMSERVER_URL,
 * token "T"): answers and tags, several requests in flight, the bearer token
 * sent but never printed, and each failure class mapped to its TxError. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "retry.h"
#include "transport.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *base;

static Transport *open_tx(const char *token, long total_ms, size_t max_body, FILE *verbose)
{
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.allow_plain_http = true;
    opt.bearer_token = token;
    opt.total_timeout_ms = total_ms;
    opt.connect_timeout_ms = 2000;
    opt.max_body = max_body;
    opt.max_in_flight = 4;
    opt.verbose = verbose;
    char err[200];
    Transport *t = tx_curl_new(&opt, err, sizeof err);
    if (t == NULL) {
        fprintf(stderr, "tx_curl_new: %s\n", err);
        exit(1);
    }
    return t;
}

static void url(char *out, size_t n, const char *path)
{
    snprintf(out, n, "%s%s", base, path);
}

static void send_once(Transport *t, const char *method, const char *path, const char *body, bool once,
                      TxResponse *out)
{
    char u[512];
    url(u, sizeof u, path);
    const char *hdr[] = { "Content-Type: application/json", "Accept: application/json" };
    TxRequest req = { method, u, hdr, 2, body, body ? strlen(body) : 0, NULL, once };
    tx_send_wait(t, &req, out);
}

static void send(Transport *t, const char *method, const char *path, const char *body, TxResponse *out)
{
    send_once(t, method, path, body, false, out);
}

static void set_faults(Transport *t, const char *json)
{
    TxResponse r;
    send(t, "POST", "/__admin/faults", json, &r);
    CHECK(r.error == TX_OK && r.status == 200);
    tx_response_clear(&r);
}

static void test_answers_and_token(void)
{
    FILE *log = tmpfile();
    Transport *t = open_tx("T", 0, 0, log);
    TxResponse r;
    send(t, "GET", "/services/data/v59.0/sobjects/Contact/describe", NULL, &r);
    CHECK(r.error == TX_OK && r.status == 200);
    CHECK(r.body && r.body_len > 10000 && strstr(r.body, "\"LastName\""));
    tx_response_clear(&r);
    send(t, "PATCH", "/services/data/v59.0/composite/sobjects/Contact/Email",
         "{\"allOrNone\":false,\"records\":[{\"attributes\":{\"type\":\"Contact\"},\"LastName\":\"L\",\"Email\":\"l@example.com\"}]}",
         &r);
    CHECK(r.error == TX_OK && r.status == 200 && r.body && strstr(r.body, "\"created\": true"));
    tx_response_clear(&r);
    tx_close(t);

    /* The log shows the request and a redacted Authorization line, never the token. */
    rewind(log);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, log);
    text[n] = '\0';
    fclose(log);
    CHECK(strstr(text, "> GET http://127.0.0.1:") != NULL);
    CHECK(strstr(text, "Authorization: Bearer [redacted]") != NULL);
    CHECK(strstr(text, "Bearer T\n") == NULL);

    t = open_tx("wrong", 0, 0, NULL);
    send(t, "GET", "/crm/v3/owners", NULL, &r);
    CHECK(r.error == TX_OK && r.status == 401);
    tx_response_clear(&r);
    tx_close(t);
}

static void test_in_flight(void)
{
    Transport *t = open_tx("T", 0, 0, NULL);
    enum { N = 20 };
    int tags[N], seen[N] = { 0 };
    char u[512];
    url(u, sizeof u, "/crm/v3/owners");
    for (int i = 0; i < N; i++) {
        TxRequest req = { "GET", u, NULL, 0, NULL, 0, &tags[i], false };
        char err[200];
        CHECK(tx_submit(t, &req, err, sizeof err));
    }
    CHECK(tx_in_flight(t) == N);
    TxResponse out[8];
    int got = 0;
    for (int rounds = 0; got < N && rounds < 1000; rounds++) {
        size_t k = tx_poll(t, 1000, out, 8);
        for (size_t i = 0; i < k; i++) {
            int idx = (int)((int *)out[i].tag - tags);
            CHECK(idx >= 0 && idx < N && out[i].status == 200);
            if (idx >= 0 && idx < N)
                seen[idx]++;
            tx_response_clear(&out[i]);
            got++;
        }
    }
    CHECK(got == N);
    for (int i = 0; i < N; i++)
        CHECK(seen[i] == 1);
    CHECK(tx_in_flight(t) == 0);
    CHECK(tx_poll(t, 1000, out, 8) == 0);
    tx_close(t);
}

static void test_faults(void)
{
    Transport *t = open_tx("T", 400, 0, NULL);
    TxResponse r;

    set_faults(t, "{\"faults\":[{\"kind\":\"429\",\"count\":2,\"retry_after\":\"0.05\",\"path\":\"/owners\"}]}");
    send(t, "GET", "/crm/v3/owners", NULL, &r);
    CHECK(r.error == TX_OK && r.status == 429 && r.retry_after && strcmp(r.retry_after, "0.05") == 0);
    /* Every header of the answer is kept, found whatever the case asked. */
    char hv[32];
    CHECK(tx_header(&r, "RETRY-AFTER", hv, sizeof hv) && strcmp(hv, "0.05") == 0);
    CHECK(tx_header(&r, "content-type", hv, sizeof hv) != NULL);
    CHECK(tx_header(&r, "retry", hv, sizeof hv) == NULL);
    CHECK(tx_header(&r, "retry-after", hv, 4) == NULL);
    tx_response_clear(&r);
    /* The second 429 is retried after its Retry-After; the third try succeeds. */
    RetryPolicy p = { 4, 10, 50, 1000 };
    char u[512];
    url(u, sizeof u, "/crm/v3/owners");
    TxRequest req = { "GET", u, NULL, 0, NULL, 0, NULL, false };
    int attempts = 0;
    retry_send(t, &req, &p, retry_system_clock(), &r, &attempts);
    CHECK(attempts == 2 && r.status == 200);
    tx_response_clear(&r);

    /* On a reused connection libcurl resends a request that died before any
     * answer byte: the reset is absorbed (and a write would happen twice). */
    set_faults(t, "{\"faults\":[{\"kind\":\"reset_before\",\"count\":1}]}");
    send(t, "GET", "/crm/v3/owners", NULL, &r);
    CHECK(r.error == TX_OK && r.status == 200);
    tx_response_clear(&r);
    /* Marked `once`, it gets its own connection and the reset is reported. */
    set_faults(t, "{\"faults\":[{\"kind\":\"reset_before\",\"count\":1}]}");
    send_once(t, "GET", "/crm/v3/owners", NULL, true, &r);
    CHECK(r.error == TX_RESET);
    tx_response_clear(&r);
    set_faults(t, "{\"faults\":[{\"kind\":\"reset_after\",\"count\":1}]}");
    send_once(t, "POST", "/crm/v3/objects/contacts/batch/create",
              "{\"inputs\":[{\"properties\":{\"email\":\"once@example.com\"},\"associations\":[]}]}", true, &r);
    CHECK(r.error == TX_RESET && r.sent);
    tx_response_clear(&r);
    send(t, "GET", "/__admin/state", NULL, &r);
    CHECK(r.body && strstr(r.body, "once@example.com") && strstr(r.body, "\"reset_after\": 1"));
    tx_response_clear(&r);

    set_faults(t, "{\"faults\":[{\"kind\":\"timeout\",\"count\":1,\"delay\":1.0}]}");
    send(t, "GET", "/crm/v3/owners", NULL, &r);
    CHECK(r.error == TX_TIMEOUT && r.sent);
    tx_response_clear(&r);
    tx_close(t);

    t = open_tx("T", 0, 1000, NULL);
    send(t, "GET", "/crm/v3/properties/contacts", NULL, &r);
    CHECK(r.error == TX_TOO_LARGE && r.body == NULL);
    tx_response_clear(&r);
    tx_close(t);

    /* Nothing listens on port 1. */
    t = open_tx("T", 0, 0, NULL);
    TxRequest closed = { "GET", "http://127.0.0.1:1/", NULL, 0, NULL, 0, NULL, false };
    tx_send_wait(t, &closed, &r);
    CHECK(r.error == TX_CONNECT && !r.sent && r.message[0]);
    tx_response_clear(&r);
    tx_close(t);
}

int main(void)
{
    base = getenv("CRMSERVER_URL");
    if (base == NULL) {
        fprintf(stderr, "run under tools/crmserver/with_server.py\n");
        return 2;
    }
    test_answers_and_token();
    test_in_flight();
    test_faults();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
