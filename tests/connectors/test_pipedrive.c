/* The Pipedrive connector on the fake transport and a fake clock: the
 * requests it builds (one record each; persons and organizations through
 * API v2 with custom fields in custom_fields and the e-mail as the primary
 * entry of emails, leads and notes through v1; related ids as numbers), its
 * reading of Pipedrive's answers and refusals ({"success": false, "error",
 * "error_info"}), the e-mail search that finds the id an update goes by,
 * the read by id after it that gives `master crm` and `plan` the values,
 * and conn_send's retries around it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_pipedrive.h"
#include "connector.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

typedef struct FakeClock { int64_t now, slept; } FakeClock;
static int64_t fc_now(void *ctx) { return ((FakeClock *)ctx)->now; }
static void fc_sleep(void *ctx, int64_t ms) { ((FakeClock *)ctx)->now += ms; ((FakeClock *)ctx)->slept += ms; }
static uint64_t fc_random(void *ctx) { (void)ctx; return 0; }
static FakeClock fclock;
static const RetryClock clk = { fc_now, fc_sleep, fc_random, &fclock };
static const RetryPolicy policy = { 4, 100, 1000, 10000 };

#define BASE "https://acme.pipedrive.com"
#define HASH "d4de1c1518b4531717c676029a45911c340390a6"

static void push(Transport *t, int status, const char *body, const char *retry_after)
{
    tx_fake_push(t, (TxFakeAnswer){ TX_OK, true, status, body, retry_after, NULL });
}

static ConnStatus send_one(Connector *c, Transport *t, const char *entity, ConnOp op, const char *payload,
                           const char *key, ConnResult *res, char *msg, size_t msglen)
{
    ConnRecord rec = { payload, key };
    ConnBatch b = { entity, op, op == CONN_CREATE ? NULL : "id", &rec, 1 };
    memset(res, 0, sizeof *res);
    return conn_send(c, t, &b, &policy, &clk, res, msg, msglen);
}

static void test_writes(void)
{
    Connector *c = conn_pipedrive_new(BASE "/");
    Transport *t = tx_fake_new(NULL, NULL);
    ConnResult res;
    char msg[256];

    CHECK(c->ops->max_batch(c, "persons", CONN_CREATE) == 1);
    /* create: POST /api/v2/persons, the custom field in custom_fields, org_id a number */
    push(t, 200, "{\"success\":true,\"data\":{\"id\":1042,\"name\":\"Anna Berger\"}}", NULL);
    CHECK(send_one(c, t, "persons", CONN_CREATE,
                   "{\"name\":\"Anna Berger\",\"email\":\"anna@example.com\",\"org_id\":\"77\",\"" HASH "\":[12,14]}",
                   NULL, &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && res.created && strcmp(res.id, "1042") == 0);
    const TxFakeRequest *rq = tx_fake_request(t, 0);
    CHECK(strcmp(rq->method, "POST") == 0 && strcmp(rq->url, BASE "/api/v2/persons") == 0);
    CHECK(strcmp(rq->body, "{\"name\":\"Anna Berger\",\"emails\":[{\"value\":\"anna@example.com\",\"primary\":true,"
                           "\"label\":\"work\"}],\"org_id\":77,\"custom_fields\":{\"" HASH "\":[12,14]}}") == 0);

    /* update: PATCH /api/v2/persons/ID; leads (v1) by their UUID, custom fields at the top */
    push(t, 200, "{\"success\":true,\"data\":{\"id\":1042}}", NULL);
    CHECK(send_one(c, t, "persons", CONN_UPDATE, "{\"name\":\"Anna B.\"}", "1042", &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && !res.created && strcmp(res.id, "1042") == 0);
    CHECK(strcmp(tx_fake_request(t, 1)->method, "PATCH") == 0);
    CHECK(strcmp(tx_fake_request(t, 1)->url, BASE "/api/v2/persons/1042") == 0);
    push(t, 200, "{\"success\":true,\"data\":{\"id\":\"adf21080-0e10-11eb-879b-05d71fb426ec\",\"title\":\"T\"}}", NULL);
    CHECK(send_one(c, t, "leads", CONN_UPDATE, "{\"title\":\"T\",\"person_id\":\"1042\",\"" HASH "\":3}",
                   "adf21080-0e10-11eb-879b-05d71fb426ec", &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && strcmp(res.id, "adf21080-0e10-11eb-879b-05d71fb426ec") == 0);
    CHECK(strcmp(tx_fake_request(t, 2)->method, "PATCH") == 0);
    CHECK(strcmp(tx_fake_request(t, 2)->url, BASE "/v1/leads/adf21080-0e10-11eb-879b-05d71fb426ec") == 0);
    CHECK(strcmp(tx_fake_request(t, 2)->body, "{\"title\":\"T\",\"person_id\":1042,\"" HASH "\":3}") == 0);
    push(t, 201, "{\"success\":true,\"data\":{\"id\":5}}", NULL);
    CHECK(send_one(c, t, "notes", CONN_UPDATE, "{\"content\":\"c\"}", "5", &res, msg, sizeof msg) == CONN_OK);
    CHECK(strcmp(tx_fake_request(t, 3)->method, "PUT") == 0 && strcmp(tx_fake_request(t, 3)->url, BASE "/v1/notes/5") == 0);

    /* a refusal fails the record with Pipedrive's words */
    push(t, 400, "{\"success\":false,\"error\":\"Person ID must be an integer\",\"error_info\":\"Please check "
                 "developers.pipedrive.com\",\"data\":null,\"additional_data\":null}", NULL);
    CHECK(send_one(c, t, "notes", CONN_CREATE, "{\"content\":\"x\",\"person_id\":\"abc\"}", NULL, &res, msg,
                   sizeof msg) == CONN_REJECTED);
    CHECK(!res.ok && strcmp(res.code, "BAD_REQUEST") == 0 && strcmp(res.message, "Person ID must be an integer") == 0);
    push(t, 404, "{\"success\":false,\"error\":\"Person not found\",\"error_info\":\"Object was not found.\","
                 "\"data\":null,\"additional_data\":null}", NULL);
    CHECK(send_one(c, t, "persons", CONN_UPDATE, "{\"name\":\"Z\"}", "9", &res, msg, sizeof msg) == CONN_REJECTED);
    CHECK(strcmp(res.code, "NOT_FOUND") == 0 && strstr(msg, "Person not found"));

    /* 429 with a sub-second Retry-After, then 502, then the answer */
    size_t before = tx_fake_nrequests(t);
    fclock.slept = 0;
    push(t, 429, "{\"success\":false,\"error\":\"Request over limit\",\"errorCode\":429}", "0.2");
    push(t, 502, "<html>bad gateway</html>", NULL);
    push(t, 200, "{\"success\":true,\"data\":{\"id\":5}}", NULL);
    CHECK(send_one(c, t, "organizations", CONN_UPDATE, "{\"name\":\"Acme\"}", "5", &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && tx_fake_nrequests(t) == before + 3 && fclock.slept >= 200);

    /* a success without an id, and an answer that is not Pipedrive's, are
     * not understood (conn_send sends an update again after them) */
    ConnRecord one = { "{\"content\":\"x\"}", "3" };
    ConnBatch nb = { "notes", CONN_UPDATE, "id", &one, 1 };
    static const char *const odd[] = { "{\"success\":true,\"data\":{}}", "{\"data\":{\"id\":3}}", "[]",
                                       "{\"success\":true,\"data\":{\"id\":3" };
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        TxResponse ans = { 0 };
        ans.status = 200;
        ans.body = (char *)odd[k];
        ans.body_len = strlen(odd[k]);
        memset(&res, 0, sizeof res);
        CHECK(c->ops->parse(c, &nb, &ans, &res, msg, sizeof msg) == CONN_BAD_ANSWER && !res.ok);
    }
    /* 403 ends the run */
    push(t, 403, "{\"success\":false,\"error\":\"You do not have permission\",\"errorCode\":403}", NULL);
    CHECK(send_one(c, t, "persons", CONN_UPDATE, "{\"name\":\"Z\"}", "9", &res, msg, sizeof msg) == CONN_AUTH);

    /* what cannot be sent is refused before any request */
    before = tx_fake_nrequests(t);
    ConnRequest rqo = { 0 };
    char err[256];
    ConnRecord rec = { "{\"email\":\"a@b.c\"}", "a@b.c" };
    ConnBatch up = { "persons", CONN_UPSERT, "email", &rec, 1 };
    CHECK(!c->ops->build(c, &up, &rqo, err, sizeof err) && strstr(err, "no upsert"));
    conn_request_free(&rqo);
    ConnRecord notobj = { "[1]", NULL };
    ConnBatch bad = { "persons", CONN_CREATE, NULL, &notobj, 1 };
    CHECK(!c->ops->build(c, &bad, &rqo, err, sizeof err));
    conn_request_free(&rqo);
    CHECK(tx_fake_nrequests(t) == before);
    tx_close(t);
    conn_free(c);
}

static void test_reads(void)
{
    Connector *c = conn_pipedrive_new(BASE);
    Transport *t = tx_fake_new(NULL, NULL);
    ConnCurrent cur[1];
    char msg[256];
    memset(cur, 0, sizeof cur);
    const char *keys[] = { "O'Brien+fair@example.com" };
    ConnRead r = { "persons", "email", keys, 1, NULL, 0 };

    /* the documented search answer's shape: data.items[].item */
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"result_score\":1.2,\"item\":{\"id\":42,\"type\":\"person\","
                 "\"name\":\"Jane\",\"phones\":[],\"emails\":[\"o'brien+fair@example.com\"],\"visible_to\":3,"
                 "\"owner\":{\"id\":1},\"organization\":null,\"custom_fields\":[],\"notes\":[]}}]},"
                 "\"additional_data\":{\"pagination\":{\"start\":0,\"limit\":2,\"more_items_in_collection\":false}}}", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_OK);
    CHECK(cur[0].found && strcmp(cur[0].id, "42") == 0);
    CHECK(strcmp(tx_fake_request(t, 0)->method, "GET") == 0);
    CHECK(strcmp(tx_fake_request(t, 0)->url, BASE "/api/v2/persons/search?term=O%27Brien%2Bfair%40example.com"
                 "&fields=email&exact_match=true&limit=2") == 0);
    conn_current_clear(&cur[0]);

    /* nothing found; an item whose e-mails do not hold the key does not count */
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[]},\"additional_data\":{}}", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":7,\"emails\":[\"other@example.com\"]}}]}}", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);
    /* two holders of one e-mail: the first (best) match */
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":8,\"emails\":[\"o'brien+fair@example.com\"]}},"
                 "{\"item\":{\"id\":9,\"emails\":[\"O'BRIEN+fair@example.com\"]}}]}}", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && cur[0].found && strcmp(cur[0].id, "8") == 0);
    conn_current_clear(&cur[0]);
    /* a custom key field searches the custom fields */
    const char *codes[] = { "V-77" };
    ConnRead cr = { "persons", HASH, codes, 1, NULL, 0 };
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":11}}]}}", NULL);
    CHECK(conn_read(c, t, &cr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && cur[0].found);
    CHECK(strstr(tx_fake_request(t, tx_fake_nrequests(t) - 1)->url, "&fields=custom_fields&") != NULL);
    conn_current_clear(&cur[0]);

    /* by id, with the fields asked for; 404 is not found */
    const char *ids[] = { "42" };
    const char *fields[] = { "name", HASH };
    ConnRead ir = { "persons", NULL, ids, 1, fields, 2 };
    push(t, 200, "{\"success\":true,\"data\":{\"id\":42,\"name\":\"Jane\",\"custom_fields\":{\"" HASH "\":null}}}", NULL);
    CHECK(conn_read(c, t, &ir, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && cur[0].found);
    CHECK(strcmp(cur[0].fields, "{\"name\":\"Jane\",\"" HASH "\":null}") == 0);
    CHECK(strcmp(tx_fake_request(t, tx_fake_nrequests(t) - 1)->url, BASE "/api/v2/persons/42") == 0);
    conn_current_clear(&cur[0]);
    push(t, 404, "{\"success\":false,\"error\":\"Person not found\",\"errorCode\":404}", NULL);
    CHECK(conn_read(c, t, &ir, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);

    /* a search answers no field values: the record found is read again by
     * id (the documented v2 getPerson shape), its values named as a payload
     * names them: the primary e-mail and phone, custom fields by hash key,
     * related ids as text */
    const char *vals[] = { "email", "phone", "org_id", "owner_id", HASH, "address" };
    ConnRead fr = { "persons", "email", keys, 1, vals, 6 };
    size_t before = tx_fake_nrequests(t);
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":42,"
                 "\"emails\":[\"o'brien+fair@example.com\"]}}]}}", NULL);
    push(t, 200, "{\"success\":true,\"data\":{\"id\":42,\"name\":\"Jane\",\"owner_id\":1,\"org_id\":5,"
                 "\"emails\":[{\"value\":\"jane@home.example\",\"primary\":false,\"label\":\"home\"},"
                 "{\"value\":\"o'brien+fair@example.com\",\"primary\":true,\"label\":\"work\"}],"
                 "\"phones\":[{\"value\":\"+4930123\",\"primary\":true,\"label\":\"work\"}],"
                 "\"address\":{\"value\":\"Main St 1\",\"country\":\"DE\"},"
                 "\"custom_fields\":{\"" HASH "\":31}}}", NULL);
    CHECK(conn_read(c, t, &fr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && cur[0].found);
    CHECK(tx_fake_nrequests(t) == before + 2
          && strcmp(tx_fake_request(t, before + 1)->url, BASE "/api/v2/persons/42") == 0);
    CHECK(strcmp(cur[0].id, "42") == 0);
    CHECK(cur[0].fields && strcmp(cur[0].fields, "{\"email\":\"o'brien+fair@example.com\",\"phone\":\"+4930123\","
                                  "\"org_id\":\"5\",\"owner_id\":\"1\",\"" HASH "\":31,\"address\":\"Main St 1\"}") == 0);
    CHECK(!conn_current_empty(&cur[0], "phone"));
    conn_current_clear(&cur[0]);
    /* not found by the search: no second read; found, then gone: not found */
    before = tx_fake_nrequests(t);
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[]}}", NULL);
    CHECK(conn_read(c, t, &fr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);
    CHECK(tx_fake_nrequests(t) == before + 1);
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":42}}]}}", NULL);
    push(t, 404, "{\"success\":false,\"error\":\"Person not found\",\"errorCode\":404}", NULL);
    CHECK(conn_read(c, t, &fr, &policy, &clk, cur, msg, sizeof msg) == CONN_OK && !cur[0].found);
    /* the by-id read broken: the whole read fails, nothing found */
    push(t, 200, "{\"success\":true,\"data\":{\"items\":[{\"item\":{\"id\":42}}]}}", NULL);
    push(t, 200, "{\"success\":tru", NULL);
    CHECK(conn_read(c, t, &fr, &policy, &clk, cur, msg, sizeof msg) != CONN_OK && !cur[0].found);
    /* a broken answer */
    push(t, 200, "{\"success\":tru", NULL);
    CHECK(conn_read(c, t, &r, &policy, &clk, cur, msg, sizeof msg) != CONN_OK && !cur[0].found);
    tx_close(t);
    conn_free(c);
}

/* A file: POST /v1/files, multipart, the payload's base64 decoded into the
 * file part named by file_name, the link as a form field; the file holds
 * the first boundary the connector would pick, so it takes the next. */
static void test_upload(void)
{
    Connector *c = conn_pipedrive_new(BASE);
    Transport *t = tx_fake_new(NULL, NULL);
    ConnResult res;
    char msg[256];
    /* base64 of "a\r\n--crmmap-part-5b0e1d7c\r\nz" */
    push(t, 201, "{\"success\":true,\"data\":{\"id\":88,\"person_id\":1042}}", NULL);
    CHECK(send_one(c, t, "files", CONN_CREATE,
                   "{\"file\":\"YQ0KLS1jcm1tYXAtcGFydC01YjBlMWQ3Yw0Keg==\",\"file_name\":\"card.png\",\"person_id\":\"1042\"}",
                   NULL, &res, msg, sizeof msg) == CONN_OK);
    CHECK(res.ok && res.created && strcmp(res.id, "88") == 0);
    const TxFakeRequest *rq = tx_fake_request(t, 0);
    CHECK(strcmp(rq->method, "POST") == 0 && strcmp(rq->url, BASE "/v1/files") == 0);
    CHECK(rq->nheaders >= 1
          && strcmp(rq->headers[0], "Content-Type: multipart/form-data; boundary=crmmap-part-5b0e1d7d") == 0);
    static const char want[] =
        "--crmmap-part-5b0e1d7d\r\nContent-Disposition: form-data; name=\"file\"; filename=\"card.png\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\na\r\n--crmmap-part-5b0e1d7c\r\nz\r\n"
        "--crmmap-part-5b0e1d7d\r\nContent-Disposition: form-data; name=\"person_id\"\r\n\r\n1042\r\n"
        "--crmmap-part-5b0e1d7d--\r\n";
    CHECK(rq->body_len == sizeof want - 1 && memcmp(rq->body, want, sizeof want - 1) == 0);
    /* broken base64 is refused before a request */
    CHECK(send_one(c, t, "files", CONN_CREATE, "{\"file\":\"iVBO!!!!\",\"person_id\":\"1\"}", NULL, &res, msg,
                   sizeof msg) != CONN_OK);
    CHECK(tx_fake_request(t, 1) == NULL);
    tx_close(t);
    conn_free(c);
}

int main(void)
{
    test_writes();
    test_reads();
    test_upload();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    puts("pipedrive connector: ok");
    return 0;
}
