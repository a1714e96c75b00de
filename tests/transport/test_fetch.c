/* The file fetcher against fetch_server.py on 127.0.0.1 and 127.0.0.2
 * (FETCH_PORT): what the policy lets through, and that each refusal it
 * promises before connecting really made no connection (the server counts
 * them per address). The private-address rule is proved on loopback: the
 * test hook marks 127.0.0.2 private, and a test name resolves to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "fetch.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *port;

static void url(char *out, size_t n, const char *addr, const char *path)
{
    snprintf(out, n, "http://%s:%s%s", addr, port, path);
}

static FetchPolicy plain(void)
{
    FetchPolicy p;
    memset(&p, 0, sizeof p);
    p.allow_plain_http = true;
    p.connect_timeout_ms = 2000;
    p.total_timeout_ms = 4000;
    return p;
}

/* Fetches; returns whether it succeeded, the error in err, the length in *len. */
static bool get(const FetchPolicy *p, const char *u, const char *want, size_t *len, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    char *type = NULL;
    size_t n = 0;
    err[0] = '\0';
    bool ok = fetch_url(p, u, want, &data, &n, &type, err, errlen);
    if (len)
        *len = n;
    if (ok)
        CHECK(data != NULL && type != NULL);
    cm_free(data);
    cm_free(type);
    return ok;
}

/* The connections addr has accepted so far. */
static long count(const char *addr)
{
    FetchPolicy p = plain();
    char u[200], err[300];
    snprintf(u, sizeof u, "http://127.0.0.1:%s/__count/%s", port, addr);
    unsigned char *data = NULL;
    char *type = NULL;
    size_t n;
    if (!fetch_url(&p, u, "text/plain", &data, &n, &type, err, sizeof err)) {
        fprintf(stderr, "count: %s\n", err);
        exit(1);
    }
    long c = strtol((const char *)data, NULL, 10);
    cm_free(data);
    cm_free(type);
    return c;
}

static bool has(const char *err, const char *part)
{
    if (strstr(err, part))
        return true;
    fprintf(stderr, "expected '%s' in: %s\n", part, err);
    return false;
}

int main(void)
{
    port = getenv("FETCH_PORT");
    if (port == NULL) {
        fprintf(stderr, "run under fetch_server.py\n");
        return 1;
    }
    char u[400], err[400];
    size_t len;
    FetchPolicy p = plain();

    /* Allowed: a loopback test server with --plain-http, media type as declared. */
    url(u, sizeof u, "127.0.0.1", "/ok.png");
    CHECK(get(&p, u, "image/png", &len, err, sizeof err) && len == 1000);
    CHECK(get(&p, u, "image/*", &len, err, sizeof err));
    CHECK(get(&p, u, NULL, &len, err, sizeof err));

    /* https is required without --plain-http: refused, never connected. */
    long before = count("127.0.0.1");
    FetchPolicy strict = plain();
    strict.allow_plain_http = false;
    CHECK(!get(&strict, u, NULL, NULL, err, sizeof err) && has(err, "--plain-http"));
    CHECK(count("127.0.0.1") == before);

    /* A host not on the allowlist: refused before connecting. */
    char resolve[100];
    snprintf(resolve, sizeof resolve, "files.test:%s:127.0.0.2", port);
    const char *resolves[] = { resolve };
    strict.test_resolve = resolves;
    strict.ntest_resolve = 1;
    before = count("127.0.0.2");
    snprintf(u, sizeof u, "https://files.test:%s/ok.png", port);
    CHECK(!get(&strict, u, NULL, NULL, err, sizeof err) && has(err, "not on the fetch allowlist"));
    CHECK(count("127.0.0.2") == before);

    /* Allowlisted, but the name resolves to a loopback address, which only
     * --plain-http allows: refused at the socket, before connecting. */
    CHECK(fetch_policy_allow(&strict, "FILES.test", err, sizeof err));
    CHECK(!get(&strict, u, NULL, NULL, err, sizeof err) && has(err, "refused before connecting")
          && has(err, "127.0.0.2 is loopback"));
    CHECK(count("127.0.0.2") == before);
    fetch_policy_free(&strict);

    /* An address the hook marks private: refused before connecting; without
     * the hook the same URL is fetched (the server was there to be reached). */
    url(u, sizeof u, "127.0.0.2", "/ok.png");
    p.test_private = "127.0.0.2";
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "127.0.0.2 is private"));
    CHECK(count("127.0.0.2") == before);
    p.test_private = NULL;
    CHECK(get(&p, u, "image/png", &len, err, sizeof err));
    CHECK(count("127.0.0.2") == before + 1);

    /* Redirects: to the same origin followed; to another host (an address
     * marked private, or another name for the same server) refused before
     * it is requested. */
    url(u, sizeof u, "127.0.0.1", "/to/%2Fok.png");
    CHECK(get(&p, u, "image/png", &len, err, sizeof err) && len == 1000);
    before = count("127.0.0.2");
    snprintf(u, sizeof u, "http://127.0.0.1:%s/to/http%%3A%%2F%%2F127.0.0.2%%3A%s%%2Fok.png", port, port);
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "a redirect leaves"));
    snprintf(u, sizeof u, "http://127.0.0.1:%s/to/http%%3A%%2F%%2Flocalhost%%3A%s%%2Fok.png", port, port);
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "a redirect leaves"));
    CHECK(count("127.0.0.2") == before);
    url(u, sizeof u, "127.0.0.1", "/to/%2Fto%2F%252Fto%252F%25252Fok.png");
    CHECK(get(&p, u, "image/png", &len, err, sizeof err));

    /* The size cap: on Content-Length, and on a chunked answer without one. */
    p.max_bytes = 1000;
    url(u, sizeof u, "127.0.0.1", "/size/1000");
    CHECK(get(&p, u, "application/pdf", &len, err, sizeof err) && len == 1000);
    url(u, sizeof u, "127.0.0.1", "/size/1001");
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "larger than the cap of 1000 bytes"));
    url(u, sizeof u, "127.0.0.1", "/chunked/300000");
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "larger than the cap of 1000 bytes"));
    p.max_bytes = 0;
    CHECK(get(&p, u, NULL, &len, err, sizeof err) && len == 300000);

    /* The media type as declared, and a failed answer. */
    url(u, sizeof u, "127.0.0.1", "/ok.png");
    CHECK(!get(&p, u, "application/pdf", NULL, err, sizeof err) && has(err, "the server sent 'image/png'"));
    CHECK(!get(&p, u, "image/jpeg", NULL, err, sizeof err));
    url(u, sizeof u, "127.0.0.1", "/status/404");
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "HTTP 404"));

    /* The time limit. */
    p.total_timeout_ms = 300;
    url(u, sizeof u, "127.0.0.1", "/slow");
    CHECK(!get(&p, u, NULL, NULL, err, sizeof err) && has(err, "time limit"));

    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
