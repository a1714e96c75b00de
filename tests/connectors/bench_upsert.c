/* bench_upsert: Salesforce-shaped upserts of 200 records a request against
 * tools/crmserver (CRMSERVER_URL), end to end through the connector and
 * conn_send_all, then the same request bodies sent by a minimal client (the
 * transport alone, no building or parsing) for the ceiling the server
 * allows. Not a test: run it by hand (docs/connectors.md, "Figures").
 * Usage: bench_upsert [RECORDS [IN_FLIGHT]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cjson_alloc.h"
#include "cm_alloc.h"
#include "conn_salesforce.h"
#include "connector.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *base = getenv("CRMSERVER_URL");
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    size_t k = argc > 2 ? strtoul(argv[2], NULL, 10) : 4;
    if (base == NULL || n < 200) {
        fprintf(stderr, "usage: with_server.py -- bench_upsert [RECORDS>=200 [IN_FLIGHT]]\n");
        return 2;
    }
    cjson_alloc_hook();
    n -= n % 200;
    size_t nb = n / 200;
    /* Two record sets with different keys: both passes create as many records. */
    ConnRecord *recs = cm_calloc(2 * n, sizeof *recs);
    char (*payloads)[160] = cm_calloc(2 * n, sizeof *payloads);
    char (*keys)[48] = cm_calloc(2 * n, sizeof *keys);
    for (size_t i = 0; i < 2 * n; i++) {
        snprintf(keys[i], 48, "bench%08zu@example.com", i);
        snprintf(payloads[i], 160, "{\"FirstName\":\"F%zu\",\"LastName\":\"L%zu\",\"Email\":\"%s\"}", i, i, keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.allow_plain_http = true;
    opt.max_in_flight = k;
    char err[200];
    Transport *tx = tx_curl_new(&opt, err, sizeof err);
    if (tx == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    Connector *c = conn_salesforce_new(base, "v59.0");
    ConnBatch *batches = cm_calloc(nb, sizeof *batches);
    ConnJob *jobs = cm_calloc(nb, sizeof *jobs);
    ConnResult *res = cm_calloc(n, sizeof *res);
    for (size_t j = 0; j < nb; j++) {
        batches[j] = (ConnBatch){ "Contact", CONN_UPSERT, "Email", recs + j * 200, 200 };
        jobs[j] = (ConnJob){ &batches[j], res + j * 200, CONN_UNAVAILABLE, "", NULL };
    }
    RetryPolicy p = retry_policy_default();
    double t0 = seconds();
    conn_send_all(c, tx, jobs, nb, k, &p, retry_system_clock());
    double t1 = seconds();
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += res[i].ok;

    /* The ceiling: requests of the same shape (the second record set), built
     * beforehand, sent, answers not read. */
    ConnRequest *reqs = cm_calloc(nb, sizeof *reqs);
    for (size_t j = 0; j < nb; j++) {
        ConnBatch b = { "Contact", CONN_UPSERT, "Email", recs + n + j * 200, 200 };
        c->ops->build(c, &b, &reqs[j], err, sizeof err);
    }
    double t2 = seconds();
    size_t sent = 0, done = 0, good = 0;
    TxResponse out[16];
    while (done < nb) {
        while (sent < nb && tx_in_flight(tx) < k) {
            TxRequest r = { reqs[sent].method, reqs[sent].url.data, reqs[sent].headers, reqs[sent].nheaders,
                            reqs[sent].body.data, reqs[sent].body.len, NULL, false };
            tx_submit(tx, &r, err, sizeof err);
            sent++;
        }
        size_t got = tx_poll(tx, 1000, out, 16);
        for (size_t i = 0; i < got; i++) {
            good += out[i].error == TX_OK && out[i].status == 200;
            tx_response_clear(&out[i]);
        }
        done += got;
    }
    double t3 = seconds();
    double connector = (double)n / (t1 - t0), ceiling = (double)n / (t3 - t2);
    printf("records %zu, in flight %zu, batches of 200\n", n, k);
    printf("connector: %zu ok in %.2f s = %.0f records/s\n", ok, t1 - t0, connector);
    printf("minimal client: %zu/%zu requests ok in %.2f s = %.0f records/s\n", good, nb, t3 - t2, ceiling);
    printf("connector / ceiling = %.0f%%\n", 100.0 * connector / ceiling);
    for (size_t j = 0; j < nb; j++)
        conn_request_free(&reqs[j]);
    cm_free(reqs);
    cm_free(batches);
    cm_free(jobs);
    cm_free(res);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
    conn_free(c);
    tx_close(tx);
    return 0;
}
