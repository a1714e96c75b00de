/* fault_matrix: N upserts (a batch at the vendor's limit, 4 in flight)
 * against tools/crmserver (CRMSERVER_URL) under each fault in turn, injected
 * into 20% of requests, seeded. Every 97th record is invalid (Salesforce: no
 * required LastName; HubSpot: a property that does not exist; Dynamics: a
 * malformed @odata.bind), so it must fail and nothing else may. Checks, per
 * fault: ok + failed = N, the failed are exactly the invalid ones, the server
 * holds every valid key exactly once. Not a test at full size:
 * docs/connectors.md, "Fault matrix".
 * Usage: fault_matrix [RECORDS [salesforce|hubspot|dynamics]]; exit 1 on any violation. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cjson_alloc.h"
#include "cm_alloc.h"
#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_salesforce.h"
#include "connector.h"

static const char *base;
static Transport *tx;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static cJSON *admin(const char *path, const char *body)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    TxRequest req = { body ? "POST" : "GET", url, NULL, 0, body, body ? strlen(body) : 0, NULL, false };
    TxResponse r;
    tx_send_wait(tx, &req, &r);
    cJSON *j = r.error == TX_OK && r.status == 200 ? cJSON_Parse(r.body) : NULL;
    tx_response_clear(&r);
    if (j == NULL) {
        fprintf(stderr, "admin %s failed\n", path);
        exit(1);
    }
    return j;
}

/* What differs between vendors in this matrix. */
typedef struct Vendor {
    const char *system;
    const char *entity, *key_field;
    const char *good, *bad;     /* payload formats: (i, i, key) and (i, key) */
    const char *path;           /* where faults are injected */
    const char *table;          /* the server's table */
    const char *nested;         /* HubSpot keeps values under "properties" */
    const char *bad_code;       /* the error the invalid records must get */
} Vendor;

static const Vendor vendors[] = {
    { "salesforce", "Contact", "Email", "{\"FirstName\":\"F%zu\",\"LastName\":\"L%zu\",\"Email\":\"%s\"}",
      "{\"FirstName\":\"F%zu\",\"Email\":\"%s\"}", "/composite", "Contact", NULL, "REQUIRED_FIELD_MISSING" },
    { "hubspot", "contacts", "email", "{\"firstname\":\"F%zu\",\"lastname\":\"L%zu\",\"email\":\"%s\"}",
      "{\"no_such_property\":\"%zu\",\"email\":\"%s\"}", "/batch/", "contacts", "properties", "VALIDATION_ERROR" },
    { "dynamics", "contacts", "emailaddress1", "{\"firstname\":\"F%zu\",\"lastname\":\"L%zu\",\"emailaddress1\":\"%s\"}",
      "{\"parentcustomerid_account@odata.bind\":\"not a path %zu\",\"emailaddress1\":\"%s\"}", "$batch", "contact",
      NULL, "0x80048d19" },
};

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    base = getenv("CRMSERVER_URL");
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    const char *system = argc > 2 ? argv[2] : "salesforce";
    const Vendor *v = NULL;
    for (size_t i = 0; i < sizeof vendors / sizeof *vendors; i++)
        if (strcmp(vendors[i].system, system) == 0)
            v = &vendors[i];
    if (base == NULL || n < 97 || v == NULL) {
        fprintf(stderr, "usage: with_server.py -- fault_matrix [RECORDS>=97 [salesforce|hubspot|dynamics]]\n");
        return 2;
    }
    cjson_alloc_hook();
    static const char *const faults[] = {
        "none", "429", "500", "502", "503", "504", "limit_exceeded", "lock_row",
        "timeout", "reset_before", "reset_after", "invalid_json",
    };
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.allow_plain_http = true;
    opt.max_in_flight = 4;
    opt.total_timeout_ms = 400;     /* the timeout fault holds an answer for 0.6 s */
    char err[200];
    tx = tx_curl_new(&opt, err, sizeof err);
    ConnRecord *recs = cm_calloc(n, sizeof *recs);
    char (*payloads)[160] = cm_calloc(n, sizeof *payloads);
    char (*keys)[48] = cm_calloc(n, sizeof *keys);
    ConnResult *res = cm_calloc(n, sizeof *res);
    size_t nb = 0, invalid = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], 48, "fm%07zu@example.com", i);
        if (i % 97 == 96) {
            snprintf(payloads[i], 160, v->bad, i, keys[i]);
            invalid++;
        } else {
            snprintf(payloads[i], 160, v->good, i, i, keys[i]);
        }
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    RetryPolicy p = { 8, 20, 500, 5000 };
    Connector *c = strcmp(v->system, "salesforce") == 0 ? conn_salesforce_new(base, "v59.0")
                 : strcmp(v->system, "hubspot") == 0 ? conn_hubspot_new(base) : conn_dynamics_new(base, "v9.2");
    conn_set_rate_limit(c, 0, 0, true);   /* the matrix is about faults, not pacing */
    size_t batch = c->ops->max_batch(c, "contacts", CONN_UPSERT);
    if (batch > 200)
        batch = 200;
    nb = (n + batch - 1) / batch;
    ConnBatch *batches = cm_calloc(nb, sizeof *batches);
    ConnJob *jobs = cm_calloc(nb, sizeof *jobs);
    int bad = 0;
    printf("%s, %zu records, batches of %zu\n\n", v->system, n, batch);
    printf("| fault | requests | faults fired | in | ok | failed | skipped | on server | duplicates | lost | s |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t f = 0; f < sizeof faults / sizeof *faults; f++) {
        cJSON_Delete(admin("/__admin/reset", "{}"));
        char spec[400];
        bool sf_only = strcmp(faults[f], "limit_exceeded") == 0 || strcmp(faults[f], "lock_row") == 0;
        if (sf_only && strcmp(v->system, "salesforce") != 0)
            continue;
        if (strcmp(faults[f], "none") == 0)
            snprintf(spec, sizeof spec, "{\"faults\":[]}");
        else
            snprintf(spec, sizeof spec, "{\"seed\":%zu,\"faults\":[{\"kind\":\"%s\",\"count\":1000000000,"
                     "\"probability\":0.2,\"retry_after\":\"0.01\",\"delay\":0.6,\"apply\":true,"
                     "\"path\":\"%s\"}]}", f + 1, faults[f], v->path);
        cJSON_Delete(admin("/__admin/faults", spec));
        for (size_t j = 0; j < nb; j++) {
            size_t at = j * batch;
            batches[j] = (ConnBatch){ v->entity, CONN_UPSERT, v->key_field, recs + at, n - at < batch ? n - at : batch };
            jobs[j] = (ConnJob){ &batches[j], res + at, CONN_UNAVAILABLE, "", NULL };
        }
        double t0 = seconds();
        conn_send_all(c, tx, jobs, nb, 4, &p, retry_system_clock());
        double t1 = seconds();
        size_t ok = 0, failed = 0, wrong = 0;
        for (size_t i = 0; i < n; i++) {
            bool should_fail = i % 97 == 96;
            if (res[i].ok)
                ok++;
            else
                failed++;
            if (res[i].ok == should_fail || (!res[i].ok && strcmp(res[i].code, v->bad_code) != 0)) {
                if (wrong++ == 0)
                    fprintf(stderr, "record %zu: ok=%d %s %s\n", i, res[i].ok, res[i].code, res[i].message);
            }
        }
        cJSON *state = admin("/__admin/state", NULL);
        const cJSON *table = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"),
                                                                     v->system), v->table);
        size_t held = (size_t)cJSON_GetArraySize(table), k = 0, dup = 0;
        const char **emails = cm_calloc(held + 1, sizeof *emails);
        const cJSON *rec;
        cJSON_ArrayForEach(rec, table) {
            const cJSON *holder = v->nested ? cJSON_GetObjectItem(rec, v->nested) : rec;
            const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(holder, v->key_field));
            emails[k++] = e ? e : "";
        }
        qsort(emails, k, sizeof *emails, compare_strings);
        for (size_t i = 1; i < k; i++)
            dup += strcmp(emails[i], emails[i - 1]) == 0;
        size_t lost = n - invalid - (held - dup);
        const cJSON *fired = cJSON_GetObjectItem(state, "faults_fired");
        int fired_n = 0;
        const cJSON *fi;
        cJSON_ArrayForEach(fi, fired) fired_n += fi->valueint;
        int requests = cJSON_GetObjectItem(state, "requests")->valueint;
        printf("| %s | %d | %d | %zu | %zu | %zu | 0 | %zu | %zu | %zu | %.1f |\n", faults[f], requests, fired_n,
               n, ok, failed, held, dup, lost, t1 - t0);
        fflush(stdout);
        if (wrong || dup || lost || ok + failed != n || failed != invalid) {
            fprintf(stderr, "%s: %zu records with the wrong outcome\n", faults[f], wrong);
            for (size_t j = 0; j < nb; j++)
                if (jobs[j].status != CONN_OK)
                    fprintf(stderr, "  batch %zu: status %d: %s\n", j, (int)jobs[j].status, jobs[j].msg);
            bad = 1;
        }
        cm_free(emails);
        cJSON_Delete(state);
    }
    conn_free(c);
    tx_close(tx);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
    cm_free(res);
    cm_free(batches);
    cm_free(jobs);
    return bad;
}
