/* fuzz_connectors: the CRM answer parsers of every connector, the
 * Retry-After parser and the URL policy, on arbitrary bytes. Byte 0 picks the
 * connector and what to parse (see below), byte 1 the HTTP status; the rest is
 * the answer. Whatever the input: no crash, every string in a result
 * terminated, and a batch taken as CONN_OK answers every record. */
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "conn_dynamics.h"
#include "conn_hubspot.h"
#include "conn_salesforce.h"
#include "connector.h"
#include "fuzz.h"
#include "retry.h"

static const int STATUSES[] = { 200, 201, 204, 207, 400, 401, 403, 404, 409, 429, 500, 503 };

static const ConnRecord RECORDS[] = {
    { "{\"Email\":\"a@example.com\"}", "a@example.com" },
    { "{\"Email\":\"b@example.com\"}", "b@example.com" },
    { "{\"Email\":\"c@example.com\"}", "c@example.com" },
};
static const char *const KEYS[] = { "a@example.com", "b@example.com", "c@example.com" };
static const char *const FIELDS[] = { "LastName", "email" };

static void terminated(const char *s, size_t size)
{
    if (memchr(s, '\0', size) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool hooked;
    if (!hooked) {
        cm_alloc_hook_cjson();
        hooked = true;
    }
    if (size < 2)
        return 0;
    unsigned pick = data[0];
    int status = STATUSES[data[1] % (sizeof STATUSES / sizeof *STATUSES)];
    char *body = cm_malloc(size - 2 + 1);
    memcpy(body, data + 2, size - 2);
    body[size - 2] = '\0';

    unsigned what = pick % 4;       /* batch answer, read answer, Retry-After, URL */
    unsigned vendor = (pick / 4) % 3;
    ConnOp op = (ConnOp)((pick / 12) % 3);
    if (what == 2) {
        retry_after_parse(body, 1795381200000);
    } else if (what == 3) {
        char err[200];
        tx_url_allowed(body, pick & 0x80, err, sizeof err);
    } else {
        Connector *c = vendor == 0 ? conn_salesforce_new("https://x.example", NULL)
                     : vendor == 1 ? conn_hubspot_new("https://x.example")
                                   : conn_dynamics_new("https://x.example", NULL);
        TxResponse r;
        memset(&r, 0, sizeof r);
        r.status = status;
        r.body = body;
        r.body_len = size - 2;
        char msg[256];
        if (what == 0) {
            ConnBatch b = { "contacts", op, "email", RECORDS, 3 };
            ConnResult res[3];
            memset(res, 0, sizeof res);
            ConnStatus st = c->ops->parse(c, &b, &r, res, msg, sizeof msg);
            for (size_t i = 0; i < 3; i++) {
                terminated(res[i].id, sizeof res[i].id);
                terminated(res[i].code, sizeof res[i].code);
                terminated(res[i].message, sizeof res[i].message);
                terminated(res[i].field, sizeof res[i].field);
                if (st == CONN_OK && !res[i].ok && res[i].code[0] == '\0')
                    abort();    /* a record neither done nor failed */
            }
        } else {
            ConnRead rd = { "contacts", "email", KEYS, 3, FIELDS, 2 };
            ConnCurrent cur[3];
            memset(cur, 0, sizeof cur);
            c->ops->parse_read(c, &rd, &r, cur, msg, sizeof msg);
            for (size_t i = 0; i < 3; i++) {
                terminated(cur[i].id, sizeof cur[i].id);
                if (cur[i].found && cur[i].fields == NULL)
                    abort();
                conn_current_clear(&cur[i]);
            }
        }
        terminated(msg, sizeof msg);
        conn_free(c);
    }
    cm_free(body);
    return 0;
}
