/* Connectors against the vendors' shapes, on the fake transport and a fake
 * clock: Salesforce requests rebuilt from the real exchanges in the corpus
 * must equal the recorded request bodies and URLs, and the recorded answers
 * must parse to the recorded ids; HubSpot inputs must carry what the
 * published OpenAPI spec requires; Dynamics $batch requests and answers in
 * the documented multipart form; and every fault path of conn_send.
 * argv[1] is the corpus folder. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson_alloc.h"
#include "cm_alloc.h"
#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_salesforce.h"
#include "connector.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *corpus;

typedef struct FakeClock { int64_t now, slept; } FakeClock;
static int64_t fc_now(void *ctx) { return ((FakeClock *)ctx)->now; }
static void fc_sleep(void *ctx, int64_t ms) { ((FakeClock *)ctx)->now += ms; ((FakeClock *)ctx)->slept += ms; }
static uint64_t fc_random(void *ctx) { (void)ctx; return 0; }
static FakeClock fclock;
static const RetryClock clk = { fc_now, fc_sleep, fc_random, &fclock };
static const RetryPolicy policy = { 4, 100, 1000, 10000 };

static cJSON *load_json(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", corpus, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = cm_malloc((size_t)n + 1);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(text);
    cm_free(text);
    if (!j) {
        fprintf(stderr, "%s: not JSON\n", path);
        exit(1);
    }
    return j;
}

static void push(Transport *t, int status, const char *body, const char *retry_after)
{
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, status, body, retry_after, NULL });
}

/* ---- Salesforce: the recorded exchanges ---- */

static void test_salesforce_exchanges(void)
{
    cJSON *exchanges = load_json("salesforce/cumulusci_composite_sobjects_upsert_exchanges.json");
    Connector *c = conn_salesforce_new("https://orgname.my.salesforce.com/", "vxx.0");
    int replayed = 0;
    const cJSON *ex;
    cJSON_ArrayForEach(ex, exchanges) {
        const cJSON *req = cJSON_GetObjectItem(ex, "request");
        const char *method = cJSON_GetObjectItem(req, "method")->valuestring;
        const char *uri = cJSON_GetObjectItem(req, "uri")->valuestring;
        const char *tail = strstr(uri, "/composite/sobjects");
        if (tail == NULL)
            continue;
        const cJSON *body = cJSON_GetObjectItem(req, "body");
        const cJSON *recs = cJSON_GetObjectItem(body, "records");
        size_t n = (size_t)cJSON_GetArraySize(recs);
        ConnBatch b = { NULL, CONN_CREATE, NULL, NULL, n };
        char entity[64] = "", key[64] = "";
        if (sscanf(tail, "/composite/sobjects/%63[^/]/%63s", entity, key) == 2) {
            b.op = CONN_UPSERT;
            b.key_field = key;
        }
        ConnRecord *records = cm_calloc(n, sizeof *records);
        char **texts = cm_calloc(n, sizeof *texts);
        size_t i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, recs) {
            cJSON *payload = cJSON_Duplicate(r, true);
            cJSON *attrs = cJSON_DetachItemFromObject(payload, "attributes");
            snprintf(entity, sizeof entity, "%s", cJSON_GetObjectItem(attrs, "type")->valuestring);
            cJSON_Delete(attrs);
            texts[i] = cJSON_PrintUnformatted(payload);
            cJSON_Delete(payload);
            const cJSON *k = b.key_field ? cJSON_GetObjectItem(r, b.key_field) : NULL;
            records[i].payload = texts[i];
            records[i].key = cJSON_IsString(k) ? k->valuestring : NULL;
            i++;
        }
        b.entity = entity;
        b.records = records;

        ConnRequest out;
        memset(&out, 0, sizeof out);
        char err[256];
        CHECK(c->ops->build(c, &b, &out, err, sizeof err));
        CHECK(strcmp(out.method, method) == 0);
        CHECK(out.url.data && strcmp(out.url.data, uri) == 0);
        cJSON *mine = cJSON_Parse(out.body.data);
        CHECK(cJSON_Compare(mine, body, true));
        /* attributes come first in every record, as in the recording */
        CHECK(strcmp(cJSON_GetArrayItem(cJSON_GetObjectItem(mine, "records"), 0)->child->string, "attributes") == 0);
        cJSON_Delete(mine);
        conn_request_free(&out);

        /* The recorded answer, through conn_send. */
        Transport *t = tx_fake_new(NULL, NULL);
        const cJSON *resp = cJSON_GetObjectItem(ex, "response");
        char *answer = cJSON_PrintUnformatted(cJSON_GetObjectItem(resp, "body"));
        push(t, cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "status"), "code")->valueint, answer, NULL);
        ConnResult *res = cm_calloc(n, sizeof *res);
        char msg[256];
        CHECK(conn_send(c, t, &b, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
        i = 0;
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(resp, "body")) {
            CHECK(res[i].ok);
            CHECK(strcmp(res[i].id, cJSON_GetObjectItem(r, "id")->valuestring) == 0);
            const cJSON *created = cJSON_GetObjectItem(r, "created");
            if (created)
                CHECK(res[i].created == cJSON_IsTrue(created));
            i++;
        }
        CHECK(tx_fake_nrequests(t) == 1);
        tx_close(t);
        cJSON_free(answer);
        cm_free(res);
        for (i = 0; i < n; i++)
            cJSON_free(texts[i]);
        cm_free(texts);
        cm_free(records);
        replayed++;
    }
    CHECK(replayed == 6);
    conn_free(c);
    cJSON_Delete(exchanges);
}

/* ---- Salesforce: errors and faults ---- */

static const ConnRecord two[] = {
    { "{\"LastName\":\"Bluth\",\"Email\":\"a@example.com\"}", "a@example.com" },
    { "{\"LastName\":\"Funke\",\"Email\":\"b@example.com\"}", "b@example.com" },
};

static void test_salesforce_faults(void)
{
    Connector *c = conn_salesforce_new("https://acme.my.salesforce.com", NULL);
    ConnBatch up = { "Contact", CONN_UPSERT, "Email", two, 2 };
    ConnBatch create = { "Contact", CONN_CREATE, NULL, two, 2 };
    ConnResult res[2];
    char msg[256];

    /* Per-record: a required field and a lock; only the locked one is sent again. */
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 200, "[{\"id\":null,\"success\":false,\"errors\":[{\"statusCode\":\"REQUIRED_FIELD_MISSING\","
                 "\"message\":\"Required fields are missing: [LastName]\",\"fields\":[\"LastName\"]}]},"
                 "{\"id\":null,\"success\":false,\"errors\":[{\"statusCode\":\"UNABLE_TO_LOCK_ROW\","
                 "\"message\":\"unable to obtain exclusive access to this record\",\"fields\":[]}]}]", NULL);
    push(t, 200, "[{\"id\":\"0035500001H9kZuAAJ\",\"success\":true,\"errors\":[],\"created\":true}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(!res[0].ok && strcmp(res[0].code, "REQUIRED_FIELD_MISSING") == 0 && strcmp(res[0].field, "LastName") == 0);
    CHECK(res[1].ok && res[1].created && strcmp(res[1].id, "0035500001H9kZuAAJ") == 0);
    CHECK(tx_fake_nrequests(t) == 2);
    CHECK(strstr(tx_fake_request(t, 1)->body, "b@example.com") && !strstr(tx_fake_request(t, 1)->body, "a@example.com"));
    tx_close(t);

    /* REQUEST_LIMIT_EXCEEDED (403) is a wait, not an auth failure; 429 honours Retry-After. */
    t = tx_fake_new(NULL, NULL);
    push(t, 403, "[{\"message\":\"TotalRequests Limit exceeded.\",\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\"}]", NULL);
    push(t, 429, "", "2");
    push(t, 200, "[{\"id\":\"1\",\"success\":true,\"errors\":[]},{\"id\":\"2\",\"success\":true,\"errors\":[]}]", NULL);
    fclock.slept = 0;
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && res[1].ok && tx_fake_nrequests(t) == 3 && fclock.slept >= 2000);
    tx_close(t);

    /* 401 and a 403 other than the limit: fatal. */
    t = tx_fake_new(NULL, NULL);
    push(t, 401, "[{\"message\":\"Session expired or invalid\",\"errorCode\":\"INVALID_SESSION_ID\"}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_AUTH && strstr(msg, "401"));
    push(t, 403, "[{\"message\":\"no access\",\"errorCode\":\"INSUFFICIENT_ACCESS\"}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_AUTH);
    tx_close(t);

    /* A whole-request refusal reaches every record. */
    t = tx_fake_new(NULL, NULL);
    push(t, 400, "[{\"message\":\"Field name provided, LastName is not an External ID\",\"errorCode\":\"INVALID_FIELD\"}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED);
    CHECK(strcmp(res[0].code, "INVALID_FIELD") == 0 && strcmp(res[1].code, "INVALID_FIELD") == 0);
    tx_close(t);

    /* Truncated JSON: an upsert is sent again, a create is not (it may have been applied). */
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "[{\"id\":\"1\",\"succ", NULL);
    push(t, 200, "[{\"id\":\"1\",\"success\":true,\"errors\":[]}]", NULL);    /* wrong count */
    push(t, 200, "[{\"id\":\"1\",\"success\":true,\"errors\":[]},{\"id\":\"2\",\"success\":true,\"errors\":[]}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK && tx_fake_nrequests(t) == 3);
    tx_close(t);
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "[{\"id\":\"1\",\"succ", NULL);
    CHECK(conn_send(c, t, &create, &policy, &clk, res, msg, sizeof msg) == CONN_BAD_ANSWER);
    CHECK(tx_fake_nrequests(t) == 1 && strcmp(res[0].code, "BAD_ANSWER") == 0);
    tx_close(t);

    /* Resets: before sending, anything is resent; after, a create is not. */
    t = tx_fake_new(NULL, NULL);
    tx_fake_push(t, (TxFakeAnswer){ TX_RESET, true, 0, NULL, NULL, NULL });
    CHECK(conn_send(c, t, &create, &policy, &clk, res, msg, sizeof msg) == CONN_UNAVAILABLE);
    CHECK(tx_fake_nrequests(t) == 1 && strstr(msg, "not resent"));
    CHECK(tx_fake_request(t, 0) != NULL);
    tx_close(t);
    t = tx_fake_new(NULL, NULL);
    tx_fake_push(t, (TxFakeAnswer){ TX_CONNECT, false, 0, NULL, NULL, NULL });
    tx_fake_push(t, (TxFakeAnswer){ TX_RESET, true, 0, NULL, NULL, NULL });
    push(t, 200, "[{\"id\":\"1\",\"success\":true,\"errors\":[]},{\"id\":\"2\",\"success\":true,\"errors\":[]}]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK && tx_fake_nrequests(t) == 3);
    tx_close(t);

    /* Bounded: 500s forever end in UNAVAILABLE after the policy's attempts. */
    t = tx_fake_new(NULL, NULL);
    for (int i = 0; i < 10; i++)
        push(t, 500, "[]", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_UNAVAILABLE);
    CHECK(tx_fake_nrequests(t) == 4 && strcmp(res[1].code, "UNAVAILABLE") == 0);
    tx_close(t);

    /* Bad payloads and batch sizes are refused before anything is sent. */
    ConnRecord bad = { "[1]", "x" };
    ConnBatch b = { "Contact", CONN_UPSERT, "Email", &bad, 1 };
    /* In a batch, the one bad payload fails alone. */
    ConnRecord mixed[] = { two[0], { "not json", "x@example.com" } };
    ConnBatch mb = { "Contact", CONN_UPSERT, "Email", mixed, 2 };
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "[{\"id\":\"1\",\"success\":true,\"errors\":[]}]", NULL);
    CHECK(conn_send(c, t, &mb, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && !res[1].ok && strcmp(res[1].code, "BAD_PAYLOAD") == 0 && tx_fake_nrequests(t) == 1);
    tx_close(t);
    t = tx_fake_new(NULL, NULL);
    CHECK(conn_send(c, t, &b, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED && tx_fake_nrequests(t) == 0);
    ConnRecord nokey = { "{\"LastName\":\"x\"}", NULL };
    b.records = &nokey;
    CHECK(conn_send(c, t, &b, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED && strstr(msg, "key"));
    tx_close(t);
    CHECK(c->ops->max_batch(c, "Contact", CONN_UPSERT) == 200);
    conn_free(c);
}

/* ---- HubSpot ---- */

static void check_required(const cJSON *spec, const char *schema, const cJSON *input)
{
    const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "components"), "schemas"), schema);
    const cJSON *req;
    CHECK(s != NULL);
    cJSON_ArrayForEach(req, cJSON_GetObjectItem(s, "required")) {
        if (!cJSON_GetObjectItem(input, req->valuestring))
            fprintf(stderr, "input lacks '%s' required by %s\n", req->valuestring, schema);
        CHECK(cJSON_GetObjectItem(input, req->valuestring) != NULL);
    }
    /* and every property value is a string */
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(input, "properties"))
        CHECK(cJSON_IsString(p));
}

/* Like HubSpot's batch create: any input with an unknown property refuses the
 * whole batch with a 400; otherwise every input is created, in order. */
static void hs_strict(void *ctx, const TxRequest *req, TxFakeAnswer *a)
{
    static char body[4096];
    (void)ctx;
    a->error = TX_OK;
    if (strstr(req->body, "\"nope\"")) {     /* connector bodies are CmBufs: NUL-terminated */
        a->status = 400;
        a->body = "{\"status\":\"error\",\"message\":\"Property values were not valid\",\"category\":\"VALIDATION_ERROR\"}";
        return;
    }
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "inputs"));
    cJSON_Delete(root);
    CmBuf out = CM_BUF_INIT;
    cm_buf_puts(&out, "{\"status\":\"COMPLETE\",\"results\":[");
    for (int i = 0; i < n; i++)
        cm_buf_printf(&out, "%s{\"id\":\"%d\"}", i ? "," : "", 900 + i);
    cm_buf_puts(&out, "]}");
    snprintf(body, sizeof body, "%s", out.data);
    cm_buf_free(&out);
    a->status = 201;
    a->body = body;
}

static void test_hubspot(void)
{
    cJSON *spec = load_json("hubspot/opensdks_hubspot_crm_contacts.oas.json");
    Connector *c = conn_hubspot_new("https://api.hubapi.com");
    ConnRecord recs[] = {
        { "{\"email\":\"A@example.com\",\"firstname\":\"Ann\",\"numemployees\":42,\"hs_is_unworked\":true,"
          "\"interests\":[\"x\",\"y\"],\"fax\":null}", "A@example.com" },
        { "{\"email\":\"b@example.com\",\"firstname\":\"Bo\"}", "b@example.com" },
        { "{\"email\":\"c@example.com\",\"nope\":\"1\"}", "c@example.com" },
    };
    ConnResult res[3];
    char msg[256], err[256];

    /* create: inputs as the spec's SimplePublicObjectInputForCreate, associations included */
    ConnBatch create = { "contacts", CONN_CREATE, NULL, recs, 3 };
    ConnRequest out;
    memset(&out, 0, sizeof out);
    CHECK(c->ops->build(c, &create, &out, err, sizeof err));
    CHECK(strcmp(out.url.data, "https://api.hubapi.com/crm/v3/objects/contacts/batch/create") == 0);
    cJSON *body = cJSON_Parse(out.body.data);
    const cJSON *in;
    cJSON_ArrayForEach(in, cJSON_GetObjectItem(body, "inputs"))
        check_required(spec, "SimplePublicObjectInputForCreate", in);
    const cJSON *p0 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(body, "inputs"), 0), "properties");
    CHECK(strcmp(cJSON_GetObjectItem(p0, "numemployees")->valuestring, "42") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(p0, "hs_is_unworked")->valuestring, "true") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(p0, "interests")->valuestring, "x;y") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(p0, "fax")->valuestring, "") == 0);     /* clear */
    cJSON_Delete(body);
    conn_request_free(&out);

    /* update: the spec's SimplePublicObjectBatchInput (id + properties) */
    ConnBatch update = { "contacts", CONN_UPDATE, "email", recs, 3 };
    memset(&out, 0, sizeof out);
    CHECK(c->ops->build(c, &update, &out, err, sizeof err));
    body = cJSON_Parse(out.body.data);
    cJSON_ArrayForEach(in, cJSON_GetObjectItem(body, "inputs"))
        check_required(spec, "SimplePublicObjectBatchInput", in);
    cJSON_Delete(body);
    conn_request_free(&out);

    /* upsert: a 207 with one error by index, results out of order and the email case changed */
    ConnBatch up = { "contacts", CONN_UPSERT, "email", recs, 3 };
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 207, "{\"status\":\"COMPLETE\",\"results\":["
                 "{\"id\":\"702\",\"properties\":{\"email\":\"b@example.com\"},\"new\":false},"
                 "{\"id\":\"701\",\"properties\":{\"email\":\"a@example.com\"},\"new\":true}],"
                 "\"errors\":[{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\","
                 "\"message\":\"Property \\\"nope\\\" does not exist\","
                 "\"context\":{\"propertyName\":[\"nope\"],\"index\":[\"2\"]}}],\"numErrors\":1,"
                 "\"startedAt\":\"2026-11-22T21:00:00Z\",\"completedAt\":\"2026-11-22T21:00:01Z\"}", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && res[0].created && strcmp(res[0].id, "701") == 0);
    CHECK(res[1].ok && !res[1].created && strcmp(res[1].id, "702") == 0);
    CHECK(!res[2].ok && strcmp(res[2].code, "VALIDATION_ERROR") == 0 && strcmp(res[2].field, "nope") == 0);
    body = cJSON_Parse(tx_fake_request(t, 0)->body);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "inputs"), 0);
    CHECK(strcmp(cJSON_GetObjectItem(first, "idProperty")->valuestring, "email") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(first, "id")->valuestring, "A@example.com") == 0);
    cJSON_Delete(body);
    tx_close(t);

    /* A result missing for an upsert input: sent again on its own. */
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"1\",\"properties\":{\"email\":\"a@example.com\"}},"
                 "{\"id\":\"2\",\"properties\":{\"email\":\"b@example.com\"}}]}", NULL);
    push(t, 200, "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"3\",\"properties\":{\"email\":\"c@example.com\"},"
                 "\"new\":true}]}", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[2].ok && strcmp(res[2].id, "3") == 0 && tx_fake_nrequests(t) == 2);
    tx_close(t);

    /* Update results that do not echo the key property: taken in order. */
    ConnBatch update2 = { "contacts", CONN_UPDATE, "email", recs, 2 };
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"11\",\"properties\":{\"firstname\":\"Ann\"}},"
                 "{\"id\":\"12\",\"properties\":{\"firstname\":\"Bo\"}}]}", NULL);
    CHECK(conn_send(c, t, &update2, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && strcmp(res[0].id, "11") == 0 && res[1].ok && strcmp(res[1].id, "12") == 0);
    CHECK(tx_fake_nrequests(t) == 1);
    tx_close(t);

    /* A 400 refusing the whole batch for one bad input: split until it fails alone. */
    t = tx_fake_new(hs_strict, NULL);
    CHECK(conn_send(c, t, &create, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && res[1].ok && !res[2].ok && strcmp(res[2].code, "VALIDATION_ERROR") == 0);
    CHECK(tx_fake_nrequests(t) == 5);   /* 3, then 1 + 2, then 1 + 1 */
    tx_close(t);
    /* The same through conn_send_all: the halves of every refused batch go out together. */
    ConnBatch jb[2] = { { "contacts", CONN_CREATE, NULL, recs, 3 }, { "contacts", CONN_CREATE, NULL, recs, 2 } };
    ConnResult jr[5];
    ConnJob jj[2] = { { &jb[0], jr, CONN_UNAVAILABLE, "", NULL }, { &jb[1], jr + 3, CONN_UNAVAILABLE, "", NULL } };
    t = tx_fake_new(hs_strict, NULL);
    conn_send_all(c, t, jj, 2, 4, &policy, &clk);
    CHECK(jj[0].status == CONN_OK && jj[1].status == CONN_OK);
    CHECK(jr[0].ok && jr[1].ok && !jr[2].ok && strcmp(jr[2].code, "VALIDATION_ERROR") == 0 && jr[3].ok && jr[4].ok);
    CHECK(tx_fake_nrequests(t) == 6);   /* 2, then 1 + 2 of the refused one, then 1 + 1 */
    tx_close(t);

    /* Ten-secondly rate limit: 429 then success. */
    t = tx_fake_new(NULL, NULL);
    push(t, 429, "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling limit.\","
                 "\"category\":\"RATE_LIMITS\",\"policyName\":\"TEN_SECONDLY_ROLLING\"}", NULL);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"}]}", NULL);
    CHECK(conn_send(c, t, &create, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && res[2].ok && strcmp(res[2].id, "3") == 0 && res[2].created);
    tx_close(t);

    /* Association pseudo-fields: on a create, an associations entry, not a property. */
    ConnRecord note = { "{\"hs_note_body\":\"hi\",\"assoc_contacts_202\":\"1001\",\"assoc_x\":\"p\"}", NULL };
    ConnBatch nb = { "notes", CONN_CREATE, NULL, &note, 1 };
    memset(&out, 0, sizeof out);
    CHECK(c->ops->build(c, &nb, &out, err, sizeof err));
    body = cJSON_Parse(out.body.data);
    const cJSON *n0 = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "inputs"), 0);
    const cJSON *props = cJSON_GetObjectItem(n0, "properties");
    CHECK(cJSON_GetObjectItem(props, "assoc_contacts_202") == NULL);
    CHECK(cJSON_GetObjectItem(props, "assoc_x") != NULL);   /* not of the form assoc_OBJECT_N: a property */
    const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(n0, "associations"), 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(n0, "associations")) == 1);
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(a0, "to"), "id")->valuestring, "1001") == 0);
    const cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(a0, "types"), 0);
    CHECK(strcmp(cJSON_GetObjectItem(t0, "associationCategory")->valuestring, "HUBSPOT_DEFINED") == 0);
    CHECK(cJSON_GetObjectItem(t0, "associationTypeId")->valueint == 202);
    cJSON_Delete(body);
    conn_request_free(&out);
    /* A custom object (p_NAME) on either side: its schema's USER_DEFINED type. */
    static const struct { const char *entity, *payload; int type; } custom[] = {
        { "p_visit_reports", "{\"visit_title\":\"t\",\"assoc_contacts_41\":\"1001\"}", 41 },
        { "contacts", "{\"email\":\"a@example.com\",\"assoc_p_visit_reports_42\":\"7\"}", 42 },
    };
    for (size_t k = 0; k < sizeof custom / sizeof custom[0]; k++) {
        ConnRecord cr = { custom[k].payload, NULL };
        ConnBatch cb = { custom[k].entity, CONN_CREATE, NULL, &cr, 1 };
        memset(&out, 0, sizeof out);
        CHECK(c->ops->build(c, &cb, &out, err, sizeof err));
        body = cJSON_Parse(out.body.data);
        const cJSON *ci = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "inputs"), 0);
        const cJSON *ct = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ci, "associations"), 0), "types"), 0);
        CHECK(strcmp(cJSON_GetObjectItem(ct, "associationCategory")->valuestring, "USER_DEFINED") == 0);
        CHECK(cJSON_GetObjectItem(ct, "associationTypeId")->valueint == custom[k].type);
        CHECK(strstr(out.url.data, custom[k].entity) != NULL);
        cJSON_Delete(body);
        conn_request_free(&out);
    }
    /* Update and upsert inputs take no associations: neither a member nor a
     * property; the link step makes them (test_hubspot_links). */
    ConnRecord note_up = { "{\"hs_note_body\":\"hi\",\"assoc_contacts_202\":\"1001\"}", "k" };
    ConnBatch nu = { "notes", CONN_UPSERT, "hs_note_key", &note_up, 1 };
    memset(&out, 0, sizeof out);
    CHECK(c->ops->build(c, &nu, &out, err, sizeof err));
    body = cJSON_Parse(out.body.data);
    n0 = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "inputs"), 0);
    CHECK(cJSON_GetObjectItem(n0, "associations") == NULL);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(n0, "properties"), "assoc_contacts_202") == NULL);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(n0, "properties"), "hs_note_body") != NULL);
    check_required(spec, "SimplePublicObjectBatchInput", n0);
    cJSON_Delete(body);
    conn_request_free(&out);
    ConnRecord note_bad = { "{\"assoc_contacts_202\":7}", "k" };
    nu.records = &note_bad;
    memset(&out, 0, sizeof out);
    CHECK(!c->ops->build(c, &nu, &out, err, sizeof err) && strstr(err, "must be the id of the record to link"));
    conn_request_free(&out);

    ConnRecord obj = { "{\"email\":{\"nested\":1}}", "x" };
    ConnBatch bad = { "contacts", CONN_UPSERT, "email", &obj, 1 };
    memset(&out, 0, sizeof out);
    CHECK(!c->ops->build(c, &bad, &out, err, sizeof err) && strstr(err, "email"));
    conn_request_free(&out);
    CHECK(c->ops->max_batch(c, "contacts", CONN_CREATE) == 100);
    conn_free(c);
    cJSON_Delete(spec);
}

/* A HubSpot file: POST /files/v3/files, one a request, multipart with the
 * file decoded, options access PRIVATE, the folder and the name; the 201
 * answer is the file, whose id the record gets. A refusal is the record's. */
static void test_hubspot_upload(void)
{
    Connector *c = conn_hubspot_new("https://api.hubapi.com");
    Transport *t = tx_fake_new(NULL, NULL);
    CHECK(c->ops->max_batch(c, "files", CONN_CREATE) == 1);
    /* base64 of "%PDF\x00\xff" */
    ConnRecord rec = { "{\"file\":\"JVBERgD/\",\"fileName\":\"s.pdf\",\"folderPath\":\"/crmmap\"}", NULL };
    ConnBatch b = { "files", CONN_CREATE, NULL, &rec, 1 };
    ConnResult res;
    char msg[256];
    push(t, 201, "{\"id\":\"183911\",\"name\":\"s\",\"size\":6,\"access\":\"PRIVATE\"}", NULL);
    memset(&res, 0, sizeof res);
    CHECK(conn_send(c, t, &b, &policy, &clk, &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && res.created && strcmp(res.id, "183911") == 0);
    const TxFakeRequest *rq = tx_fake_request(t, 0);
    CHECK(strcmp(rq->url, "https://api.hubapi.com/files/v3/files") == 0);
    CHECK(strcmp(rq->headers[0], "Content-Type: multipart/form-data; boundary=crmmap-part-5b0e1d7c") == 0);
    static const char want[] =
        "--crmmap-part-5b0e1d7c\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.pdf\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n%PDF\0\xff\r\n"
        "--crmmap-part-5b0e1d7c\r\nContent-Disposition: form-data; name=\"folderPath\"\r\n\r\n/crmmap\r\n"
        "--crmmap-part-5b0e1d7c\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n"
        "{\"access\":\"PRIVATE\",\"duplicateValidationStrategy\":\"RETURN_EXISTING\","
        "\"duplicateValidationScope\":\"EXACT_FOLDER\"}\r\n"
        "--crmmap-part-5b0e1d7c\r\nContent-Disposition: form-data; name=\"fileName\"\r\n\r\ns.pdf\r\n"
        "--crmmap-part-5b0e1d7c--\r\n";
    CHECK(rq->body_len == sizeof want - 1 && memcmp(rq->body, want, sizeof want - 1) == 0);
    push(t, 400, "{\"status\":\"error\",\"message\":\"folderId or folderPath is required\","
                 "\"category\":\"VALIDATION_ERROR\"}", NULL);
    memset(&res, 0, sizeof res);
    CHECK(conn_send(c, t, &b, &policy, &clk, &res, msg, sizeof msg) == CONN_REJECTED);
    CHECK(!res.ok && strcmp(res.code, "VALIDATION_ERROR") == 0 && strstr(res.message, "folderPath"));
    tx_close(t);
    conn_free(c);
}

/* A HubSpot v4 association batch create answered as HubSpot does: 201 with
 * a result per input (ids as strings), counting the inputs seen. */
typedef struct LinkEcho {
    size_t seen;
    CmBuf out;      /* the answer, valid until the next request */
} LinkEcho;

static void hs_links_ok(void *ctx, const TxRequest *req, TxFakeAnswer *a)
{
    LinkEcho *e = ctx;
    cm_buf_free(&e->out);
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *in;
    cm_buf_puts(&e->out, "{\"status\":\"COMPLETE\",\"results\":[");
    bool first = true;
    cJSON_ArrayForEach(in, cJSON_GetObjectItem(root, "inputs")) {
        cm_buf_printf(&e->out, "%s{\"fromObjectTypeId\":\"0-46\",\"fromObjectId\":\"%s\",\"toObjectTypeId\":\"0-1\","
                      "\"toObjectId\":\"%s\",\"labels\":[]}", first ? "" : ",",
                      cJSON_GetObjectItem(cJSON_GetObjectItem(in, "from"), "id")->valuestring,
                      cJSON_GetObjectItem(cJSON_GetObjectItem(in, "to"), "id")->valuestring);
        first = false;
        e->seen++;
    }
    cm_buf_puts(&e->out, "],\"startedAt\":\"2026-11-22T21:00:00Z\",\"completedAt\":\"2026-11-22T21:00:01Z\"}");
    cJSON_Delete(root);
    *a = (TxFakeAnswer){ TX_OK, true, 201, e->out.data, NULL, NULL };
}

/* The link step: associations of upserted records through POST
 * /crm/v4/associations/FROM/TO/batch/create, in the documented shapes. */
static void test_hubspot_links(void)
{
    Connector *c = conn_hubspot_new("https://api.hubapi.com");
    ConnRecord notes[] = {
        { "{\"hs_note_body\":\"a\",\"assoc_contacts_202\":\"11\",\"assoc_companies_190\":\"21\"}", "n1" },
        { "{\"hs_note_body\":\"b\",\"assoc_contacts_202\":\"12\"}", "n2" },
        { "{\"hs_note_body\":\"c\",\"assoc_contacts_202\":\"13\"}", "n3" },
    };
    ConnBatch b[2] = { { "notes", CONN_UPSERT, "hs_note_key", notes, 2 }, { "notes", CONN_UPSERT, "hs_note_key",
                                                                             notes + 2, 1 } };
    ConnResult res[3];
    ConnJob jobs[2] = { { &b[0], res, CONN_OK, "", NULL }, { &b[1], res + 2, CONN_OK, "", NULL } };
    char msg[256];
    uint64_t requests = 0;
#define WRITTEN() do { memset(res, 0, sizeof res); for (int w = 0; w < 3; w++) { res[w].ok = true; \
        snprintf(res[w].id, sizeof res[w].id, "%d", 501 + w); } } while (0)

    /* One request per pair of types; a per-input error (HubSpot's 207)
     * fails that record alone, naming the field; the record's id stays. */
    WRITTEN();
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectTypeId\":\"0-46\",\"fromObjectId\":\"501\","
                 "\"toObjectTypeId\":\"0-2\",\"toObjectId\":\"21\",\"labels\":[]}],"
                 "\"startedAt\":\"2026-11-22T21:00:00Z\",\"completedAt\":\"2026-11-22T21:00:01Z\"}", NULL);
    push(t, 207, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectId\":501,\"toObjectId\":11,\"labels\":[]},"
                 "{\"fromObjectId\":\"503\",\"toObjectId\":\"13\",\"labels\":[]}],\"numErrors\":1,\"errors\":["
                 "{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"No contacts with ID 12 exist\","
                 "\"context\":{\"toObjectId\":[\"12\"]},\"errors\":[],\"links\":{}}],"
                 "\"startedAt\":\"2026-11-22T21:00:00Z\",\"completedAt\":\"2026-11-22T21:00:01Z\"}", NULL);
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 2 && requests == 2);
    CHECK(strcmp(tx_fake_request(t, 0)->url, "https://api.hubapi.com/crm/v4/associations/notes/companies/batch/create")
          == 0);
    CHECK(strcmp(tx_fake_request(t, 1)->url, "https://api.hubapi.com/crm/v4/associations/notes/contacts/batch/create")
          == 0);
    CHECK(strcmp(tx_fake_request(t, 1)->method, "POST") == 0);
    cJSON *body = cJSON_Parse(tx_fake_request(t, 1)->body);
    const cJSON *inputs = cJSON_GetObjectItem(body, "inputs");
    CHECK(cJSON_GetArraySize(inputs) == 3);
    const cJSON *i0 = cJSON_GetArrayItem(inputs, 0);
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(i0, "from"), "id")->valuestring, "501") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(i0, "to"), "id")->valuestring, "11") == 0);
    const cJSON *ty = cJSON_GetArrayItem(cJSON_GetObjectItem(i0, "types"), 0);
    CHECK(strcmp(cJSON_GetObjectItem(ty, "associationCategory")->valuestring, "HUBSPOT_DEFINED") == 0);
    CHECK(cJSON_GetObjectItem(ty, "associationTypeId")->valueint == 202);
    cJSON_Delete(body);
    CHECK(res[0].ok && strcmp(res[0].id, "501") == 0 && res[2].ok);
    CHECK(!res[1].ok && strcmp(res[1].code, "VALIDATION_ERROR") == 0);
    CHECK(strcmp(res[1].field, "assoc_contacts_202") == 0);
    CHECK(strstr(res[1].message, "written (id 502)") && strstr(res[1].message, "No contacts with ID 12 exist"));
    CHECK(strcmp(res[1].id, "502") == 0);
    tx_close(t);

    /* A 500 and a 429 on the association request: sent again, no more. */
    WRITTEN();
    requests = 0;
    LinkEcho echo = { 0, CM_BUF_INIT };
    t = tx_fake_new(hs_links_ok, &echo);
    push(t, 500, "{\"message\":\"boom\"}", NULL);
    push(t, 429, "{\"status\":\"error\",\"category\":\"RATE_LIMITS\",\"message\":\"secondly\"}", "0.05");
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 4 && requests == 2 && echo.seen == 4);
    CHECK(res[0].ok && res[1].ok && res[2].ok);
    tx_close(t);

    /* A record that was not written asks for no link; a result missing for
     * a link: that link alone sent again. */
    WRITTEN();
    conn_result_error(&res[0], "VALIDATION_ERROR", "no", NULL);
    t = tx_fake_new(hs_links_ok, &echo);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectId\":\"503\",\"toObjectId\":\"13\"}]}", NULL);
    echo.seen = 0;
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 2 && echo.seen == 1 && res[1].ok && res[2].ok);
    CHECK(strcmp(res[0].code, "VALIDATION_ERROR") == 0);   /* as the write left it */
    body = cJSON_Parse(tx_fake_request(t, 0)->body);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(body, "inputs")) == 2);   /* 502 -> 12, 503 -> 13 */
    cJSON_Delete(body);
    tx_close(t);

    /* A 400 refusing the whole request: split until the bad input fails alone. */
    WRITTEN();
    t = tx_fake_new(NULL, NULL);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectId\":\"501\",\"toObjectId\":\"21\"}]}", NULL);
    push(t, 400, "{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"bad input\"}", NULL);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectId\":\"501\",\"toObjectId\":\"11\"}]}", NULL);
    push(t, 400, "{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"bad input\"}", NULL);
    push(t, 201, "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectId\":\"502\",\"toObjectId\":\"12\"}]}", NULL);
    push(t, 400, "{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"bad 13\"}", NULL);
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 6);   /* companies; contacts 3 -> 1 + 2 -> 1 + 1 */
    CHECK(res[0].ok && res[1].ok && !res[2].ok && strstr(res[2].message, "bad 13"));
    tx_close(t);

    /* The outcome unknown (503 outlasting the retries): results untouched. */
    WRITTEN();
    t = tx_fake_new(NULL, NULL);
    for (int k = 0; k < 4; k++)
        push(t, 503, "{}", NULL);
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_UNAVAILABLE);
    CHECK(tx_fake_nrequests(t) == 4 && strstr(msg, "503") && res[0].ok && res[1].ok && res[2].ok);
    tx_close(t);
    /* 403: not this record's fault, the run's. */
    t = tx_fake_new(NULL, NULL);
    push(t, 403, "{\"status\":\"error\",\"category\":\"MISSING_SCOPES\",\"message\":\"scopes\"}", NULL);
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_AUTH);
    tx_close(t);

    /* Creates carry their associations: no link step. */
    b[0].op = CONN_CREATE;
    b[1].op = CONN_CREATE;
    WRITTEN();
    t = tx_fake_new(NULL, NULL);
    CHECK(conn_link_all(c, t, jobs, 2, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 0);
    tx_close(t);

    /* At most 2,000 inputs a request: 21 batches of 100 go in 2. */
    ConnRecord *many = cm_malloc(2100 * sizeof *many);
    ConnBatch *mb = cm_malloc(21 * sizeof *mb);
    ConnJob *mj = cm_malloc(21 * sizeof *mj);
    ConnResult *mr = cm_calloc(2100, sizeof *mr);
    for (int i = 0; i < 2100; i++) {
        many[i] = (ConnRecord){ "{\"assoc_contacts_202\":\"77\"}", "k" };
        mr[i].ok = true;
        snprintf(mr[i].id, sizeof mr[i].id, "%d", 10000 + i);
    }
    for (int j = 0; j < 21; j++) {
        mb[j] = (ConnBatch){ "notes", CONN_UPDATE, NULL, many + 100 * j, 100 };
        mj[j] = (ConnJob){ &mb[j], mr + 100 * j, CONN_OK, "", NULL };
    }
    echo.seen = 0;
    t = tx_fake_new(hs_links_ok, &echo);
    CHECK(conn_link_all(c, t, mj, 21, &policy, &clk, &requests, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 2 && echo.seen == 2100);
    bool all_ok = true;
    for (int i = 0; i < 2100; i++)
        all_ok = all_ok && mr[i].ok;
    CHECK(all_ok);
    tx_close(t);
    cm_buf_free(&echo.out);
    cm_free(many);
    cm_free(mb);
    cm_free(mj);
    cm_free(mr);
#undef WRITTEN
    conn_free(c);
}

/* ---- Dynamics ---- */

static void test_dynamics(void)
{
    Connector *c = conn_dynamics_new("https://org.crm4.dynamics.com", NULL);
    ConnRecord recs[] = {
        { "{\"lastname\":\"O'Brien\",\"preferredcontactmethodcode\":2,"
          "\"parentcustomerid_account@odata.bind\":\"/accounts(5b3c0e8a-1c2a-4f0e-9d8b-0a1b2c3d4e5f)\"}",
          "o'brien@example.com" },
        { "{\"lastname\":\"Bad\"}", "bad@example.com" },
        { "{\"lastname\":\"Late\"}", "late@example.com" },
    };
    ConnBatch up = { "contacts", CONN_UPSERT, "emailaddress1", recs, 3 };
    ConnRequest out;
    memset(&out, 0, sizeof out);
    char err[256], msg[256];
    CHECK(c->ops->build(c, &up, &out, err, sizeof err));
    CHECK(strcmp(out.url.data, "https://org.crm4.dynamics.com/api/data/v9.2/$batch") == 0);
    CHECK(strstr(out.body.data, "PATCH https://org.crm4.dynamics.com/api/data/v9.2/contacts(emailaddress1="
                                "'o%27%27brien%40example.com') HTTP/1.1\r\n") != NULL);
    CHECK(strstr(out.body.data, "\"preferredcontactmethodcode\":2") != NULL);
    CHECK(strstr(out.body.data, "\"parentcustomerid_account@odata.bind\":\"/accounts(") != NULL);
    CHECK(strncmp(out.body.data, "--batch_crmmap", 14) == 0);
    CHECK(strstr(out.body.data, "If-Match") == NULL);
    conn_request_free(&out);

    ConnBatch upd = { "contacts", CONN_UPDATE, NULL, recs, 1 };
    memset(&out, 0, sizeof out);
    CHECK(!c->ops->build(c, &upd, &out, err, sizeof err) && strstr(err, "GUID"));
    conn_request_free(&out);
    ConnRecord byid = { "{\"lastname\":\"X\"}", "5b3c0e8a-1c2a-4f0e-9d8b-0a1b2c3d4e5f" };
    upd.records = &byid;
    memset(&out, 0, sizeof out);
    CHECK(c->ops->build(c, &upd, &out, err, sizeof err));
    CHECK(strstr(out.body.data, "contacts(5b3c0e8a-1c2a-4f0e-9d8b-0a1b2c3d4e5f) HTTP/1.1\r\nContent-Type: "
                                "application/json\r\nIf-Match: *\r\n") != NULL);
    conn_request_free(&out);

    /* The answer: a 204 with the id, an error, and the third request never answered. */
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 200,
         "--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f\r\n"
         "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n"
         "OData-EntityId: https://org.crm4.dynamics.com/api/data/v9.2/contacts(8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b)\r\n\r\n\r\n"
         "--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f\r\n"
         "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; odata.metadata=minimal\r\nOData-Version: 4.0\r\n\r\n"
         "{\"error\":{\"code\":\"0x80040217\",\"message\":\"A record with the specified key values does not exist\"}}\r\n"
         "--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f--\r\n", NULL);
    push(t, 200,
         "--batchresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 201 Created\r\n"
         "OData-EntityId: https://org.crm4.dynamics.com/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000003)\r\n"
         "\r\n{}\r\n--batchresponse_2--\r\n", NULL);
    ConnResult res[3];
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(res[0].ok && strcmp(res[0].id, "8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b") == 0);
    CHECK(!res[1].ok && strcmp(res[1].code, "0x80040217") == 0 && strstr(res[1].message, "does not exist"));
    CHECK(res[2].ok && res[2].created && strcmp(res[2].id, "00000000-0000-0000-0000-000000000003") == 0);
    CHECK(tx_fake_nrequests(t) == 2 && strstr(tx_fake_request(t, 1)->body, "late%40example.com"));
    const TxFakeRequest *sent = tx_fake_request(t, 0);
    bool prefer = false;
    for (size_t i = 0; i < sent->nheaders; i++)
        prefer |= strcmp(sent->headers[i], "Prefer: odata.continue-on-error") == 0;
    CHECK(prefer);
    tx_close(t);

    /* Not multipart: the outcome is unknown; an upsert is simply sent again. */
    t = tx_fake_new(NULL, NULL);
    push(t, 200, "{\"value\":[]}", NULL);
    push(t, 400, "{\"error\":{\"code\":\"0x80048d19\",\"message\":\"Error identified in Payload\"}}", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED);
    CHECK(tx_fake_nrequests(t) == 2 && strcmp(res[0].code, "0x80048d19") == 0);
    tx_close(t);
    conn_free(c);
}

/* Dataverse's bulk operation messages: the question (once), an
 * UpsertMultiple set, a set refused whole again as a $batch, a table that
 * takes no CreateMultiple, and a table whose sets are mostly refused. */
static void test_dynamics_multiple(void)
{
    Connector *c = conn_dynamics_new("https://org.crm4.dynamics.com", NULL);
    ConnRecord recs[] = {
        { "{\"lastname\":\"O'Brien\"}", "o'brien@example.com" },
        { "{\"lastname\":\"Bad\"}", "bad@example.com" },
    };
    ConnBatch up = { "contacts", CONN_UPSERT, "emailaddress1", recs, 2 };
    ConnResult res[2];
    char msg[256];
    uint64_t requests = 0;
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 200, "{\"value\":[{\"sdkmessagefilterid\":\"f9bedb46-856e-ed11-9561-002248081470\"}]}", NULL);
    crm_dynamics.prepare(c, t, "contacts", "contact", CONN_UPSERT, &policy, &clk, &requests);
    crm_dynamics.prepare(c, t, "contacts", "contact", CONN_UPSERT, &policy, &clk, &requests);
    CHECK(requests == 1 && tx_fake_nrequests(t) == 1);
    CHECK(strstr(tx_fake_request(t, 0)->url, "/api/data/v9.2/sdkmessagefilters?$select=sdkmessagefilterid&$filter=")
          && strstr(tx_fake_request(t, 0)->url, "%27UpsertMultiple%27")
          && strstr(tx_fake_request(t, 0)->url, "primaryobjecttypecode%20eq%20%27contact%27"));

    push(t, 204, "", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    const TxFakeRequest *sent = tx_fake_request(t, 1);
    CHECK(strcmp(sent->url, "https://org.crm4.dynamics.com/api/data/v9.2/contacts/Microsoft.Dynamics.CRM.UpsertMultiple")
          == 0);
    CHECK(strstr(sent->body, "{\"Targets\":[{\"lastname\":\"O'Brien\",\"@odata.id\":\"contacts(emailaddress1="
                             "'o%27%27brien%40example.com')\",\"@odata.type\":\"Microsoft.Dynamics.CRM.contact\"}"));
    CHECK(res[0].ok && res[1].ok && res[0].id[0] == '\0');     /* UpsertMultiple answers no ids */

    /* Refused whole: nothing written; the set again as a $batch, each record answered. */
    push(t, 400, "{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}", NULL);
    push(t, 200,
         "--batchresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 204 No Content\r\n"
         "OData-EntityId: https://org.crm4.dynamics.com/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001)\r\n"
         "\r\n\r\n--batchresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"
         "{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}\r\n"
         "--batchresponse_1--\r\n", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 4 && strstr(tx_fake_request(t, 3)->url, "/$batch"));
    CHECK(res[0].ok && strcmp(res[0].id, "00000000-0000-0000-0000-000000000001") == 0);
    CHECK(!res[1].ok && strcmp(res[1].code, "0x80044331") == 0);

    /* A second set refused whole, more than taken: the table's sets go as $batch from now on. */
    push(t, 400, "{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}", NULL);
    push(t, 400, "{\"error\":{\"code\":\"0x80048d19\",\"message\":\"refused\"}}", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED);
    push(t, 400, "{\"error\":{\"code\":\"0x80048d19\",\"message\":\"refused\"}}", NULL);
    CHECK(conn_send(c, t, &up, &policy, &clk, res, msg, sizeof msg) == CONN_REJECTED);
    CHECK(tx_fake_nrequests(t) == 7 && strstr(tx_fake_request(t, 5)->url, "/$batch")
          && strstr(tx_fake_request(t, 6)->url, "/$batch"));

    /* A table that takes no CreateMultiple: its creates go as a $batch. */
    push(t, 200, "{\"value\":[]}", NULL);
    crm_dynamics.prepare(c, t, "new_visitreports", "new_visitreport", CONN_CREATE, &policy, &clk, &requests);
    ConnBatch create = { "new_visitreports", CONN_CREATE, NULL, recs, 1 };
    push(t, 200,
         "--batchresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 204 No Content\r\nOData-EntityId: https://org.crm4.dynamics.com/api/data/v9.2/"
         "new_visitreports(00000000-0000-0000-0000-000000000002)\r\n\r\n\r\n--batchresponse_2--\r\n", NULL);
    CHECK(conn_send(c, t, &create, &policy, &clk, res, msg, sizeof msg) == CONN_OK);
    CHECK(tx_fake_nrequests(t) == 9 && strstr(tx_fake_request(t, 8)->url, "/$batch") && res[0].ok);
    tx_close(t);
    conn_free(c);
}

/* ---- reading current records ---- */

static void test_reads(void)
{
    const char *keys[] = { "o'brien@example.com", "B@example.com" };
    const char *fields[] = { "LeadSource", "OwnerId" };
    ConnRead r = { "Contact", "Email", keys, 2, fields, 2 };
    ConnCurrent cur[2];
    char msg[256];

    Connector *c = conn_salesforce_new("https://acme.my.salesforce.com", "v59.0");
    Transport *t = tx_fake_new(NULL, NULL);
    push(t, 200, "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"type\":\"Contact\"},"
                 "\"Id\":\"0035500001H9kZuAAJ\",\"Email\":\"b@example.com\",\"LeadSource\":\"Web\",\"OwnerId\":null}]}", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_OK);
    CHECK(!cur[0].found && cur[1].found && strcmp(cur[1].id, "0035500001H9kZuAAJ") == 0);
    CHECK(cur[1].fields && strcmp(cur[1].fields, "{\"LeadSource\":\"Web\",\"OwnerId\":null}") == 0);
    /* SELECT Id,Email,LeadSource,OwnerId FROM Contact WHERE Email IN ('o\'brien@example.com','B@example.com') */
    CHECK(strcmp(tx_fake_request(t, 0)->url, "https://acme.my.salesforce.com/services/data/v59.0/query?q="
                 "SELECT%20Id%2CEmail%2CLeadSource%2COwnerId%20FROM%20Contact%20WHERE%20Email%20IN%20%28"
                 "%27o%5C%27brien%40example.com%27%2C%27B%40example.com%27%29") == 0);
    for (int i = 0; i < 2; i++)
        conn_current_clear(&cur[i]);
    /* Retried on 503, settled on 400. */
    push(t, 503, "", NULL);
    push(t, 400, "[{\"errorCode\":\"INVALID_FIELD\",\"message\":\"No such column 'Nope'\"}]", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_REJECTED && strstr(msg, "INVALID_FIELD"));
    CHECK(!cur[0].found && cur[0].fields == NULL);
    const char *bad_fields[] = { "Email) OR (Id" };
    ConnRead injected = { "Contact", "Email", keys, 2, bad_fields, 1 };
    CHECK(conn_read(c, t, &injected, &policy, &clk, cur, msg, sizeof msg) == CONN_REJECTED);
    CHECK(tx_fake_nrequests(t) == 3);
    tx_close(t);
    conn_free(c);

    c = conn_hubspot_new("https://api.hubapi.com");
    t = tx_fake_new(NULL, NULL);
    const char *hs_fields[] = { "firstname" };
    ConnRead hr = { "contacts", "email", keys, 2, hs_fields, 1 };
    push(t, 207, "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"51\",\"properties\":{\"email\":\"b@example.com\","
                 "\"firstname\":\"Bo\",\"hs_object_id\":\"51\"}}],\"errors\":[{\"status\":\"error\","
                 "\"category\":\"OBJECT_NOT_FOUND\",\"message\":\"not found\",\"context\":{\"ids\":[\"o'brien@example.com\"]}}]}", NULL);
    CHECK(conn_read(c, t, &hr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK);
    CHECK(!cur[0].found && cur[1].found && strcmp(cur[1].id, "51") == 0 && strcmp(cur[1].fields, "{\"firstname\":\"Bo\"}") == 0);
    cJSON *body = cJSON_Parse(tx_fake_request(t, 0)->body);
    CHECK(strcmp(cJSON_GetObjectItem(body, "idProperty")->valuestring, "email") == 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(body, "inputs")) == 2);
    CHECK(strstr(tx_fake_request(t, 0)->url, "/crm/v3/objects/contacts/batch/read") != NULL);
    cJSON_Delete(body);
    for (int i = 0; i < 2; i++)
        conn_current_clear(&cur[i]);
    tx_close(t);
    conn_free(c);

    c = conn_dynamics_new("https://org.crm4.dynamics.com", NULL);
    t = tx_fake_new(NULL, NULL);
    const char *dyn_fields[] = { "telephone1" };
    ConnRead dr = { "contacts", "emailaddress1", keys, 2, dyn_fields, 1 };
    push(t, 200, "{\"value\":[{\"@odata.etag\":\"W/\\\"1\\\"\",\"contactid\":\"8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b\","
                 "\"emailaddress1\":\"O'Brien@example.com\",\"telephone1\":\"+49 30 1\"}]}", NULL);
    CHECK(conn_read(c, t, &dr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK);
    CHECK(cur[0].found && strcmp(cur[0].id, "8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b") == 0 && !cur[1].found);
    CHECK(strstr(tx_fake_request(t, 0)->url, "/api/data/v9.2/contacts?$select=contactid%2Cemailaddress1%2Ctelephone1"
                 "&$filter=emailaddress1%20eq%20%27o%27%27brien%40example.com%27%20or%20") != NULL);
    for (int i = 0; i < 2; i++)
        conn_current_clear(&cur[i]);
    /* by the primary id, an Edm.Guid: unquoted; a key that is no GUID is refused unsent */
    const char *guids[] = { "f7ddafe7-ab0b-98ca-39a6-3eefe10ac5b1" }, *not_guid[] = { "o'brien" };
    ConnRead ar = { "annotations", "annotationid", guids, 1, NULL, 0 };
    push(t, 200, "{\"value\":[]}", NULL);
    CHECK(conn_read(c, t, &ar, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);
    CHECK(strstr(tx_fake_request(t, 1)->url, "&$filter=annotationid%20eq%20f7ddafe7-ab0b-98ca-39a6-3eefe10ac5b1")
          != NULL);
    conn_current_clear(&cur[0]);
    ar.keys = not_guid;
    CHECK(conn_read(c, t, &ar, &policy, &clk, cur, msg, sizeof msg) != CONN_OK && strstr(msg, "not a record id"));
    CHECK(tx_fake_nrequests(t) == 2);
    tx_close(t);
    conn_free(c);
}

/* ---- several batches in flight ---- */

typedef struct SfEcho { int calls; char body[65536]; } SfEcho;

/* Answers a Salesforce upsert: every record ok, its id made from its Email;
 * the second request gets a 429 first. */
static void sf_echo(void *ctx, const TxRequest *req, TxFakeAnswer *a)
{
    SfEcho *e = ctx;
    e->calls++;
    a->error = TX_OK;
    if (e->calls == 2) {
        a->status = 429;
        a->body = "[]";
        a->retry_after = "1";
        return;
    }
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    CmBuf out = CM_BUF_INIT;
    cm_buf_putc(&out, '[');
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(root, "records")) {
        cm_buf_printf(&out, "%s{\"id\":\"id-%s\",\"success\":true,\"errors\":[],\"created\":true}",
                      out.len > 1 ? "," : "", cJSON_GetObjectItem(r, "Email")->valuestring);
    }
    cm_buf_putc(&out, ']');
    snprintf(e->body, sizeof e->body, "%s", out.data);
    cm_buf_free(&out);
    cJSON_Delete(root);
    a->status = 200;
    a->body = e->body;
}

static void test_send_all(void)
{
    enum { N = 450, JOBS = 3 };
    static char payloads[N][96], keys[N][48];
    static ConnRecord recs[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "p%03zu@example.com", i);
        snprintf(payloads[i], sizeof payloads[i], "{\"LastName\":\"L\",\"Email\":\"%.47s\"}", keys[i]);
        recs[i].payload = payloads[i];
        recs[i].key = keys[i];
    }
    static ConnResult res[N];
    ConnBatch batches[JOBS];
    ConnJob jobs[JOBS];
    for (size_t j = 0; j < JOBS; j++) {
        size_t at = j * 200, n = N - at < 200 ? N - at : 200;
        batches[j] = (ConnBatch){ "Contact", CONN_UPSERT, "Email", recs + at, n };
        jobs[j] = (ConnJob){ &batches[j], res + at, CONN_UNAVAILABLE, "", NULL };
    }
    static SfEcho echo;
    Connector *c = conn_salesforce_new("https://acme.my.salesforce.com", NULL);
    Transport *t = tx_fake_new(sf_echo, &echo);
    int64_t before = fclock.now;
    conn_send_all(c, t, jobs, JOBS, 2, &policy, &clk);
    for (size_t j = 0; j < JOBS; j++)
        CHECK(jobs[j].status == CONN_OK && jobs[j].msg[0] == '\0');
    size_t good = 0;
    for (size_t i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "id-%.47s", keys[i]);
        good += res[i].ok && strcmp(res[i].id, want) == 0;
    }
    CHECK(good == N);
    CHECK(echo.calls == JOBS + 1);                  /* one 429, resent once */
    CHECK(fclock.now - before >= 1000);             /* after its Retry-After */
    tx_close(t);

    /* A bad payload settles its own batch and no other. */
    ConnRecord bad = { "not json", "x@example.com" };
    ConnBatch b2[2] = { { "Contact", CONN_UPSERT, "Email", &bad, 1 }, { "Contact", CONN_UPSERT, "Email", recs, 2 } };
    ConnResult r2[3];
    ConnJob j2[2] = { { &b2[0], r2, CONN_OK, "", NULL }, { &b2[1], r2 + 1, CONN_OK, "", NULL } };
    echo.calls = 5;
    t = tx_fake_new(sf_echo, &echo);
    conn_send_all(c, t, j2, 2, 4, &policy, &clk);
    CHECK(j2[0].status == CONN_REJECTED && strcmp(r2[0].code, "BAD_PAYLOAD") == 0);
    CHECK(j2[1].status == CONN_OK && r2[1].ok && r2[2].ok && tx_fake_nrequests(t) == 1);
    tx_close(t);
    conn_free(c);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_connectors CORPUS\n");
        return 2;
    }
    corpus = argv[1];
    cjson_alloc_hook();
    test_salesforce_exchanges();
    test_salesforce_faults();
    test_hubspot();
    test_hubspot_links();
    test_hubspot_upload();
    test_dynamics();
    test_dynamics_multiple();
    test_send_all();
    test_reads();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
