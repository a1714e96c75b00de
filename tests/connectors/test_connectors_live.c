/* Connectors end to end: libcurl transport -> tools/crmserver on loopback
 * (CRMSERVER_URL, token "T"), with faults injected. Every record must be on
 * the server exactly once, failures must be the invalid records alone, and
 * a second run must update, not duplicate. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cjson_alloc.h"
#include "cm_alloc.h"
#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_salesforce.h"
#include "connector.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *base;
static Transport *tx;
static const RetryPolicy policy = { 6, 20, 200, 5000 };

static void admin(const char *path, const char *body, cJSON **out)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    TxRequest req = { body ? "POST" : "GET", url, NULL, 0, body, body ? strlen(body) : 0, NULL, false };
    TxResponse r;
    tx_send_wait(tx, &req, &r);
    CHECK(r.error == TX_OK && r.status == 200);
    if (out)
        *out = cJSON_Parse(r.body ? r.body : "");
    tx_response_clear(&r);
}

/* Sends n records in batches of the connector's size; counts results. */
static void send_all(Connector *c, ConnBatch proto, ConnRecord *recs, size_t n, size_t *ok, size_t *failed,
                     size_t *created, char (*codes)[64])
{
    size_t max = c->ops->max_batch(c, proto.entity, proto.op);
    ConnResult *res = cm_calloc(max, sizeof *res);
    *ok = *failed = *created = 0;
    for (size_t at = 0; at < n; at += max) {
        ConnBatch b = proto;
        b.records = recs + at;
        b.n = n - at < max ? n - at : max;
        char msg[256];
        ConnStatus st = conn_send(c, tx, &b, &policy, retry_system_clock(), res, msg, sizeof msg);
        if (st != CONN_OK)
            fprintf(stderr, "batch at %zu: status %d: %s\n", at, (int)st, msg);
        CHECK(st == CONN_OK);
        for (size_t i = 0; i < b.n; i++) {
            if (res[i].ok) {
                (*ok)++;
                *created += res[i].created;
            } else {
                (*failed)++;
                if (codes)
                    snprintf(codes[at + i], 64, "%s", res[i].code);
            }
        }
    }
    cm_free(res);
}

static size_t count_distinct(const cJSON *table, const char *key, const char *nested)
{
    size_t n = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, table) {
        const cJSON *holder = nested ? cJSON_GetObjectItem(rec, nested) : rec;
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(holder, key));
        const cJSON *other;
        size_t same = 0;
        cJSON_ArrayForEach(other, table) {
            const cJSON *h2 = nested ? cJSON_GetObjectItem(other, nested) : other;
            const char *w = cJSON_GetStringValue(cJSON_GetObjectItem(h2, key));
            same += v && w && strcmp(v, w) == 0;
        }
        n += same == 1;
    }
    return n;
}

/* Reads the current records of keys that exist and keys that do not. */
static void check_read(Connector *c, const char *entity, const char *key_field, const char *fmt, size_t have,
                       const char *field, const char *want_first)
{
    enum { K = 40 };
    char keys[K][64];
    const char *kp[K];
    for (size_t i = 0; i < K; i++) {
        snprintf(keys[i], sizeof keys[i], fmt, have - K / 2 + i);     /* half exist, half do not */
        kp[i] = keys[i];
    }
    const char *fields[] = { field };
    ConnRead r = { entity, key_field, kp, K, fields, 1 };
    ConnCurrent cur[K];
    char msg[256];
    ConnStatus st = conn_read(c, tx, &r, &policy, retry_system_clock(), cur, msg, sizeof msg);
    if (st != CONN_OK)
        fprintf(stderr, "%s read: %d %s\n", entity, (int)st, msg);
    CHECK(st == CONN_OK);
    size_t found = 0;
    for (size_t i = 0; i < K; i++) {
        found += cur[i].found;
        CHECK(cur[i].found == (i < K / 2));
        CHECK(!cur[i].found || (cur[i].id[0] && cur[i].fields));
    }
    CHECK(found == K / 2);
    CHECK(cur[0].fields && strstr(cur[0].fields, want_first));
    for (size_t i = 0; i < K; i++)
        conn_current_clear(&cur[i]);
}

static void test_salesforce(void)
{
    enum { N = 450, BAD = 137 };
    ConnRecord *recs = cm_calloc(N, sizeof *recs);
    char (*payloads)[160] = cm_calloc(N, sizeof *payloads);
    char (*keys)[64] = cm_calloc(N, sizeof *keys);
    char (*codes)[64] = cm_calloc(N, sizeof *codes);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], 64, "lead%03zu@example.com", i);
        if (i == BAD)
            snprintf(payloads[i], 160, "{\"FirstName\":\"No\",\"Email\":\"%s\"}", keys[i]);
        else
            snprintf(payloads[i], 160, "{\"FirstName\":\"F%zu\",\"LastName\":\"L%zu\",\"Email\":\"%s\"}", i, i, keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    Connector *c = conn_salesforce_new(base, "v59.0");
    ConnBatch proto = { "Contact", CONN_UPSERT, "Email", NULL, 0 };
    admin("/__admin/faults", "{\"seed\":7,\"faults\":["
          "{\"kind\":\"429\",\"count\":2,\"retry_after\":\"0.05\",\"path\":\"/composite\"},"
          "{\"kind\":\"503\",\"count\":1,\"path\":\"/composite\"},"
          "{\"kind\":\"reset_after\",\"count\":1,\"skip\":1,\"path\":\"/composite\"},"
          "{\"kind\":\"invalid_json\",\"count\":1,\"skip\":2,\"path\":\"/composite\"}]}", NULL);
    size_t ok, failed, created;
    send_all(c, proto, recs, N, &ok, &failed, &created, codes);
    /* Batches applied before their answer was lost (reset, truncated JSON)
     * come back as updates when resent: fewer "created", never a second copy. */
    CHECK(ok == N - 1 && failed == 1 && created <= N - 1 && created >= N - 1 - 2 * 200);
    CHECK(strcmp(codes[BAD], "REQUIRED_FIELD_MISSING") == 0);
    cJSON *state;
    admin("/__admin/state", NULL, &state);
    const cJSON *contacts = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"), "salesforce"),
                                                "Contact");
    CHECK(cJSON_GetArraySize(contacts) == N - 1);
    CHECK(count_distinct(contacts, "Email", NULL) == N - 1);
    const cJSON *fired = cJSON_GetObjectItem(state, "faults_fired");
    CHECK(cJSON_GetObjectItem(fired, "429") && cJSON_GetObjectItem(fired, "reset_after")
          && cJSON_GetObjectItem(fired, "invalid_json"));
    cJSON_Delete(state);

    /* Again, no faults: every record is now an update. */
    admin("/__admin/faults", "{\"faults\":[]}", NULL);
    send_all(c, proto, recs, N, &ok, &failed, &created, NULL);
    CHECK(ok == N - 1 && failed == 1 && created == 0);
    admin("/__admin/state", NULL, &state);
    contacts = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"), "salesforce"), "Contact");
    CHECK(cJSON_GetArraySize(contacts) == N - 1);
    cJSON_Delete(state);
    check_read(c, "Contact", "Email", "LEAD%03zu@example.com", N, "LastName", "{\"LastName\":\"L430\"}");
    conn_free(c);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
    cm_free(codes);
}

static void test_hubspot(void)
{
    enum { N = 250 };
    ConnRecord *recs = cm_calloc(N, sizeof *recs);
    char (*payloads)[160] = cm_calloc(N, sizeof *payloads);
    char (*keys)[64] = cm_calloc(N, sizeof *keys);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], 64, "hs%03zu@example.com", i);
        snprintf(payloads[i], 160, "{\"firstname\":\"F%zu\",\"lastname\":\"L%zu\",\"email\":\"%s\"}", i, i, keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    Connector *c = conn_hubspot_new(base);
    ConnBatch proto = { "contacts", CONN_UPSERT, "email", NULL, 0 };
    admin("/__admin/faults", "{\"faults\":[{\"kind\":\"429\",\"count\":1,\"retry_after\":\"0.05\"},"
          "{\"kind\":\"reset_before\",\"count\":1,\"skip\":1}]}", NULL);
    size_t ok, failed, created;
    send_all(c, proto, recs, N, &ok, &failed, &created, NULL);
    CHECK(ok == N && failed == 0 && created == N);
    cJSON *state;
    admin("/__admin/state", NULL, &state);
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"), "hubspot"), "contacts");
    CHECK(cJSON_GetArraySize(t) == N && count_distinct(t, "email", "properties") == N);
    cJSON_Delete(state);
    check_read(c, "contacts", "email", "hs%03zu@example.com", N, "firstname", "{\"firstname\":\"F230\"}");
    conn_free(c);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
}

static void test_dynamics(void)
{
    enum { N = 120 };
    ConnRecord *recs = cm_calloc(N, sizeof *recs);
    char (*payloads)[160] = cm_calloc(N, sizeof *payloads);
    char (*keys)[64] = cm_calloc(N, sizeof *keys);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], 64, "d'%03zu@example.com", i);
        snprintf(payloads[i], 160, "{\"lastname\":\"L%zu\",\"preferredcontactmethodcode\":%zu}", i, 1 + i % 5);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    Connector *c = conn_dynamics_new(base, "v9.2");
    ConnBatch proto = { "contacts", CONN_UPSERT, "emailaddress1", NULL, 0 };
    admin("/__admin/faults", "{\"faults\":[{\"kind\":\"500\",\"count\":1,\"path\":\"$batch\"}]}", NULL);
    size_t ok, failed, created;
    send_all(c, proto, recs, N, &ok, &failed, &created, NULL);
    CHECK(ok == N && failed == 0);
    send_all(c, proto, recs, N, &ok, &failed, &created, NULL);
    CHECK(ok == N);
    cJSON *state;
    admin("/__admin/state", NULL, &state);
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"), "dynamics"), "contact");
    CHECK(cJSON_GetArraySize(t) == N && count_distinct(t, "emailaddress1", NULL) == N);
    const cJSON *first = t ? t->child : NULL;
    CHECK(first && strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(first, "emailaddress1")), "d'", 2) == 0);
    CHECK(first && cJSON_IsNumber(cJSON_GetObjectItem(first, "preferredcontactmethodcode")));
    cJSON_Delete(state);
    check_read(c, "contacts", "emailaddress1", "d'%03zu@example.com", N, "lastname", "{\"lastname\":\"L100\"}");
    conn_free(c);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
}

/* 2,000 upserts in 10 batches, 4 in flight, under seeded random faults of
 * every kind: each key exactly once on the server, every record ok. */
static void test_salesforce_in_flight(void)
{
    enum { N = 2000, B = 200, JOBS = N / B };
    ConnRecord *recs = cm_calloc(N, sizeof *recs);
    char (*payloads)[128] = cm_calloc(N, sizeof *payloads);
    char (*keys)[48] = cm_calloc(N, sizeof *keys);
    ConnResult *res = cm_calloc(N, sizeof *res);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], 48, "many%04zu@example.com", i);
        snprintf(payloads[i], 128, "{\"LastName\":\"L%zu\",\"Company\":\"C\",\"Email\":\"%s\"}", i, keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    ConnBatch batches[JOBS];
    ConnJob jobs[JOBS];
    for (size_t j = 0; j < JOBS; j++) {
        batches[j] = (ConnBatch){ "Lead", CONN_UPSERT, "Email", recs + j * B, B };
        jobs[j] = (ConnJob){ &batches[j], res + j * B, CONN_UNAVAILABLE, "", NULL };
    }
    admin("/__admin/faults", "{\"seed\":11,\"faults\":["
          "{\"kind\":\"429\",\"count\":3,\"probability\":0.3,\"retry_after\":\"0.02\",\"path\":\"/composite\"},"
          "{\"kind\":\"502\",\"count\":2,\"probability\":0.3,\"path\":\"/composite\"},"
          "{\"kind\":\"reset_after\",\"count\":2,\"probability\":0.3,\"path\":\"/composite\"},"
          "{\"kind\":\"reset_before\",\"count\":2,\"probability\":0.3,\"path\":\"/composite\"},"
          "{\"kind\":\"invalid_json\",\"count\":2,\"probability\":0.3,\"path\":\"/composite\"}]}", NULL);
    Connector *c = conn_salesforce_new(base, "v59.0");
    conn_send_all(c, tx, jobs, JOBS, 4, &policy, retry_system_clock());
    size_t ok = 0;
    for (size_t j = 0; j < JOBS; j++) {
        if (jobs[j].status != CONN_OK)
            fprintf(stderr, "job %zu: %d %s\n", j, (int)jobs[j].status, jobs[j].msg);
        CHECK(jobs[j].status == CONN_OK);
    }
    for (size_t i = 0; i < N; i++)
        ok += res[i].ok;
    CHECK(ok == N);
    cJSON *state;
    admin("/__admin/state", NULL, &state);
    const cJSON *leads = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(state, "records"), "salesforce"),
                                             "Lead");
    CHECK(cJSON_GetArraySize(leads) == N);
    /* distinct keys: the server's table is keyed by id, so count emails with a set-by-sort */
    const char **emails = cm_calloc(N, sizeof *emails);
    size_t k = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, leads) if (k < N) emails[k++] = cJSON_GetStringValue(cJSON_GetObjectItem(l, "Email"));
    size_t dup = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t m = i + 1; m < k; m++)
            dup += emails[i] && emails[m] && strcmp(emails[i], emails[m]) == 0;
    CHECK(dup == 0);
    const cJSON *fired = cJSON_GetObjectItem(state, "faults_fired");
    int kinds = cJSON_GetArraySize(fired);
    CHECK(kinds >= 3);
    cm_free(emails);
    cJSON_Delete(state);
    admin("/__admin/faults", "{\"faults\":[]}", NULL);
    conn_free(c);
    cm_free(recs);
    cm_free(payloads);
    cm_free(keys);
    cm_free(res);
}

/* The server allows 10 requests per 2 s. Without a client-side limit some
 * requests get 429 (and are retried); with 10 per 2.1 s, none do. The
 * window is long so that the unlimited run meets the limit unless a request
 * takes 200 ms: with 0.5 s (20 ms a request) an ASan build on a loaded
 * machine sometimes sent too slowly to be refused, and the test failed. */
static void test_rate_limit(void)
{
    enum { N = 25 };
    ConnRecord recs[N];
    char payloads[N][96], keys[N][48];
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "rate%02zu@example.com", i);
        snprintf(payloads[i], sizeof payloads[i], "{\"email\":\"%.47s\"}", keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    Connector *c = conn_hubspot_new(base);
    ConnResult res;
    char msg[256];
    for (int limited = 0; limited < 2; limited++) {
        conn_set_rate_limit(c, limited ? 10 : 0, 2100, true);
        admin("/__admin/faults", "{\"faults\":[],\"rate\":{\"requests\":10,\"window\":2}}", NULL);
        size_t ok = 0;
        for (size_t i = 0; i < N; i++) {
            ConnBatch b = { "contacts", CONN_UPSERT, "email", &recs[i], 1 };
            ok += conn_send(c, tx, &b, &policy, retry_system_clock(), &res, msg, sizeof msg) == CONN_OK && res.ok;
        }
        CHECK(ok == N);
        cJSON *state;
        admin("/__admin/state", NULL, &state);
        const cJSON *hits = cJSON_GetObjectItem(cJSON_GetObjectItem(state, "faults_fired"), "rate_limited");
        int n429 = cJSON_IsNumber(hits) ? hits->valueint : 0;
        if (limited)
            CHECK(n429 == 0);
        else
            CHECK(n429 > 0);
        cJSON_Delete(state);
    }
    admin("/__admin/faults", "{\"faults\":[]}", NULL);
    conn_free(c);
}

/* The server's token changes mid-run: the connector's 401 fetches a new one
 * from the token endpoint (client credentials) and resends. */
static void test_oauth_refresh(void)
{
    ConnConfig cfg = { 0 };
    char url[512], err[400];
    snprintf(url, sizeof url, "%s/services/oauth2/token", base);
    conn_config_set(&cfg.auth, "oauth2_client_credentials");
    conn_config_set(&cfg.token_url, url);
    conn_config_set(&cfg.client_id, "crmmap-test");
    conn_config_set(&cfg.client_secret_env, "LIVE_CLIENT_SECRET");
    cfg.plain_http = true;
    setenv("LIVE_CLIENT_SECRET", "shh-it-is-secret", 1);
    Auth *a = auth_open(&cfg, NULL, err, sizeof err);
    if (a == NULL)
        fprintf(stderr, "auth_open: %s\n", err);
    CHECK(a && strcmp(auth_token(a), "T") == 0);
    if (a == NULL) {
        conn_config_free(&cfg);
        return;
    }
    auth_attach(a, tx);
    Connector *c = conn_salesforce_new(base, "v59.0");
    conn_set_refresh(c, auth_refresh, a);
    admin("/__admin/rotate_token", "{\"token\":\"T-rotated\"}", NULL);
    ConnRecord rec = { "{\"LastName\":\"Rotated\",\"Email\":\"rotated@example.com\"}", "rotated@example.com" };
    ConnBatch b = { "Contact", CONN_UPSERT, "Email", &rec, 1 };
    ConnResult res;
    char msg[256];
    CHECK(conn_send(c, tx, &b, &policy, retry_system_clock(), &res, msg, sizeof msg) == CONN_OK && res.ok);
    CHECK(strcmp(auth_token(a), "T-rotated") == 0);
    conn_free(c);
    auth_close(a);
    conn_config_free(&cfg);
    tx_set_bearer(tx, "T");
    admin("/__admin/rotate_token", "{\"token\":\"T\"}", NULL);
}

int main(void)
{
    base = getenv("CRMSERVER_URL");
    if (base == NULL) {
        fprintf(stderr, "run under tools/crmserver/with_server.py\n");
        return 2;
    }
    cjson_alloc_hook();
    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.allow_plain_http = true;
    opt.bearer_token = "T";
    opt.total_timeout_ms = 10000;
    char err[200];
    tx = tx_curl_new(&opt, err, sizeof err);
    if (tx == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    test_salesforce();
    test_hubspot();
    test_dynamics();
    test_salesforce_in_flight();
    test_rate_limit();
    test_oauth_refresh();
    tx_close(tx);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
