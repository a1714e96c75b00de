/* Hostile answers: every connector parser (batch results, reads, links) gets
 * real-shaped answers cut at every length, with bytes flipped, and with
 * wrong types in every position. Nothing may crash, hang or leak (run under
 * ASan), and a cut or garbled answer must never be taken for success of a
 * record it does not answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_salesforce.h"
#include "connector.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const ConnRecord recs[] = {
    { "{\"Email\":\"a@example.com\"}", "a@example.com" },
    { "{\"Email\":\"b@example.com\"}", "b@example.com" },
};
static const char *const keys[] = { "a@example.com", "b@example.com" };
static const char *const fields[] = { "LastName" };

static void feed(Connector *c, const char *body, size_t len, int status)
{
    char *copy = cm_malloc(len + 1);
    memcpy(copy, body, len);
    copy[len] = '\0';
    TxResponse r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.body = copy;
    r.body_len = len;
    char msg[256];
    static const ConnOp ops[] = { CONN_CREATE, CONN_UPDATE, CONN_UPSERT };
    for (size_t o = 0; o < 3; o++) {
        ConnBatch b = { "contacts", ops[o], "email", recs, 2 };
        ConnResult res[2];
        memset(res, 0, sizeof res);
        ConnStatus st = c->ops->parse(c, &b, &r, res, msg, sizeof msg);
        CHECK(st <= CONN_BUSY);
        for (size_t i = 0; i < 2; i++)
            CHECK(res[i].code[sizeof res[i].code - 1] == '\0' && res[i].id[sizeof res[i].id - 1] == '\0');
    }
    ConnRead rd = { "contacts", "email", keys, 2, fields, 1 };
    ConnCurrent cur[2];
    memset(cur, 0, sizeof cur);
    c->ops->parse_read(c, &rd, &r, cur, msg, sizeof msg);
    conn_current_clear(&cur[0]);
    conn_current_clear(&cur[1]);
    if (c->ops->parse_links) {
        static const ConnLink l[2] = { { 0, 0, "notes", "contacts", "501", "11", 202, "assoc_contacts_202" },
                                       { 0, 1, "notes", "contacts", "502", "12", 202, "assoc_contacts_202" } };
        const ConnLink *const lp[2] = { &l[0], &l[1] };
        ConnResult res[2];
        memset(res, 0, sizeof res);
        ConnStatus st = c->ops->parse_links(c, lp, 2, &r, res, msg, sizeof msg);
        CHECK(st <= CONN_BUSY);
        /* No answer here names 502 -> 12, however cut or garbled. */
        CHECK(!res[1].ok);
        CHECK(res[0].code[sizeof res[0].code - 1] == '\0' && res[0].field[sizeof res[0].field - 1] == '\0');
    }
    cm_free(copy);
}

static void torture(Connector *c, const char *answer, int status)
{
    size_t n = strlen(answer);
    for (size_t cut = 0; cut <= n; cut++)
        feed(c, answer, cut, status);
    char *m = cm_strdup(answer);
    static const char junk[] = { '"', '{', '}', '[', ']', ',', ':', '\\', '\0', '\r', '\n', '-', '(', ')', '0', 'x' };
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sizeof junk; j++) {
            char keep = m[i];
            m[i] = junk[j];
            feed(c, m, n, status);
            m[i] = keep;
        }
    }
    cm_free(m);
}

/* A truncated Salesforce answer never yields a success for a record. */
static void no_false_success(void)
{
    Connector *c = conn_salesforce_new("https://x.example", NULL);
    const char *ok = "[{\"id\":\"001\",\"success\":true,\"errors\":[]},{\"id\":\"002\",\"success\":true,\"errors\":[]}]";
    size_t n = strlen(ok);
    for (size_t cut = 0; cut < n; cut++) {
        char *copy = cm_strndup(ok, cut);
        TxResponse r;
        memset(&r, 0, sizeof r);
        r.status = 200;
        r.body = copy;
        r.body_len = cut;
        ConnBatch b = { "Contact", CONN_UPSERT, "Email", recs, 2 };
        ConnResult res[2];
        memset(res, 0, sizeof res);
        char msg[256];
        ConnStatus st = c->ops->parse(c, &b, &r, res, msg, sizeof msg);
        CHECK(st != CONN_OK || (!res[0].ok && !res[1].ok));
        cm_free(copy);
    }
    conn_free(c);
}

int main(void)
{
    cm_alloc_hook_cjson();
    Connector *sf = conn_salesforce_new("https://x.example", NULL);
    Connector *hs = conn_hubspot_new("https://x.example");
    Connector *dyn = conn_dynamics_new("https://x.example", NULL);
    Connector *all[] = { sf, hs, dyn };
    static const struct { const char *body; int status; } answers[] = {
        { "[{\"id\":\"0035500001H9kZuAAJ\",\"success\":true,\"errors\":[],\"created\":true},"
          "{\"id\":null,\"success\":false,\"errors\":[{\"statusCode\":\"UNABLE_TO_LOCK_ROW\",\"message\":\"m\",\"fields\":[\"Email\"]}]}]", 200 },
        { "[{\"message\":\"TotalRequests Limit exceeded.\",\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\"}]", 403 },
        { "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"type\":\"Contact\"},\"Id\":\"003\",\"email\":\"a@example.com\",\"LastName\":\"L\"}]}", 200 },
        { "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"1\",\"properties\":{\"email\":\"a@example.com\"},\"new\":true}],"
          "\"errors\":[{\"category\":\"VALIDATION_ERROR\",\"message\":\"m\",\"context\":{\"index\":[\"1\"],\"ids\":[\"b@example.com\"],"
          "\"propertyName\":[\"p\"]}}]}", 207 },
        { "{\"status\":\"error\",\"message\":\"m\",\"category\":\"VALIDATION_ERROR\"}", 400 },
        { "--batchresponse_1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n"
          "OData-EntityId: https://x/api/data/v9.2/contacts(8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b)\r\n\r\n\r\n"
          "--batchresponse_1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad Request\r\n\r\n"
          "{\"error\":{\"code\":\"0x1\",\"message\":\"m\"}}\r\n--batchresponse_1--\r\n", 200 },
        { "{\"value\":[{\"contactid\":\"8e0c3a70-9c2b-ec11-b6e6-000d3a9d0f3b\",\"email\":\"a@example.com\",\"LastName\":1}]}", 200 },
        { "{\"error\":{\"code\":\"0x80048d19\",\"message\":\"m\"}}", 400 },
        { "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectTypeId\":\"0-46\",\"fromObjectId\":\"501\","
          "\"toObjectTypeId\":\"0-1\",\"toObjectId\":11,\"labels\":[]}],\"numErrors\":1,\"errors\":[{\"status\":"
          "\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"m\",\"context\":{\"toObjectId\":[\"12\"]}}]}", 207 },
    };
    for (size_t a = 0; a < sizeof answers / sizeof *answers; a++)
        for (size_t c = 0; c < 3; c++)
            torture(all[c], answers[a].body, answers[a].status);
    no_false_success();
    for (size_t c = 0; c < 3; c++)
        conn_free(all[c]);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
