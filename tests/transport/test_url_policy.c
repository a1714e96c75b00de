/* The curl transport's URL policy: https anywhere, http only to loopback with
 * the explicit flag, no credentials in URLs; and the transport refuses what
 * the policy refuses before anything is sent. */
#include <stdio.h>
#include <string.h>

#include "transport.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static bool allowed(const char *url, bool plain)
{
    char err[200];
    return tx_url_allowed(url, plain, err, sizeof err);
}

int main(void)
{
    CHECK(allowed("https://acme.my.salesforce.com/services/data", false));
    CHECK(allowed("https://api.hubapi.com", true));
    CHECK(!allowed("http://acme.my.salesforce.com/", false));
    CHECK(!allowed("http://acme.my.salesforce.com/", true));
    CHECK(!allowed("http://127.0.0.1:8080/", false));
    CHECK(allowed("http://127.0.0.1:8080/", true));
    CHECK(allowed("http://127.1.2.3/", true));
    CHECK(allowed("http://localhost:9/", true));
    CHECK(allowed("http://[::1]:9/", true));
    CHECK(!allowed("http://128.0.0.1/", true));
    CHECK(!allowed("http://127.0.0.1.evil.example/", true));
    CHECK(!allowed("http://localhost.evil.example/", true));
    CHECK(!allowed("ftp://127.0.0.1/", true));
    CHECK(!allowed("file:///etc/passwd", true));
    CHECK(!allowed("https://user:secret@acme.example/", false));
    CHECK(!allowed("not a url", false));
    CHECK(!allowed("", false));

    char err[200];
    tx_url_allowed("http://127.0.0.1/", false, err, sizeof err);
    CHECK(strstr(err, "--plain-http") != NULL);

    TxCurlOptions opt;
    memset(&opt, 0, sizeof opt);
    Transport *t = tx_curl_new(&opt, err, sizeof err);
    CHECK(t != NULL);
    if (t) {
        TxRequest req = { "GET", "http://127.0.0.1:1/", NULL, 0, NULL, 0, NULL, false };
        CHECK(!tx_submit(t, &req, err, sizeof err));
        CHECK(tx_in_flight(t) == 0);
        const char *hdr[] = { "authorization: Bearer x" };
        TxRequest req2 = { "GET", "https://127.0.0.1:1/", hdr, 1, NULL, 0, NULL, false };
        CHECK(!tx_submit(t, &req2, err, sizeof err));
        CHECK(strstr(err, "Authorization") != NULL);
        tx_close(t);
    }
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
