/* fetch_curl: the file fetcher on libcurl (fetch.h says the policy). One
 * easy handle per request, so no connection is shared with the CRM
 * transport or kept for a later fetch: every connection is made anew and
 * its address checked. Redirects are followed here rather than by curl, so
 * each hop's URL passes the policy before it is requested. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "fetch.h"
#include "transport.h"

/* Where a snapADDY record's files live, as snapADDY documents them:
 * - api.snapaddy.com: the REST API's base URL (developers.snapaddy.com,
 *   e.g. https://developers.snapaddy.com/dataquality-rest-api/reference/create-contact-item);
 * - media.licdn.com: the host of the contact image in snapADDY's Grabber
 *   webhook example (https://developers.snapaddy.com/grabber-webhook-api/guides/getting-started).
 * Attachment hosts an organisation sees in its own exports are added with
 * --fetch-allow or "fetch_allow" (docs/files.md). */
const char *const fetch_default_hosts[] = { "api.snapaddy.com", "media.licdn.com", NULL };

#define FETCH_MAX_HOPS 5

typedef struct FetchJob {
    const FetchPolicy *p;
    size_t max_bytes;
    CmBuf body;
    bool too_large;
    char refused[160];      /* why an address was refused, "" while none was */
} FetchJob;

static size_t on_body(char *d, size_t size, size_t n, void *ud)
{
    FetchJob *j = ud;
    size_t len = size * n;
    if (j->body.len + len > j->max_bytes) {
        j->too_large = true;
        return 0;
    }
    cm_buf_put(&j->body, d, len);
    return len;
}

/* libcurl asks for each socket it is about to connect: the one place that
 * sees the address a name resolved to at the moment of use. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    FetchJob *j = ud;
    const unsigned char *bytes = NULL;
    size_t len = 0;
    if (purpose == CURLSOCKTYPE_IPCXN && a->family == AF_INET) {
        bytes = (const unsigned char *)&((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
        len = 4;
    } else if (purpose == CURLSOCKTYPE_IPCXN && a->family == AF_INET6) {
        bytes = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
        len = 16;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    if (bytes)
        inet_ntop(a->family, bytes, text, sizeof text);
    FetchAddrClass c = bytes ? fetch_addr_class(bytes, len) : FETCH_ADDR_RESERVED;
    bool test_private = j->p->test_private && strcmp(text, j->p->test_private) == 0;
    if (test_private || (c != FETCH_ADDR_PUBLIC && !(c == FETCH_ADDR_LOOPBACK && j->p->allow_plain_http))) {
        if (j->refused[0] == '\0')
            snprintf(j->refused, sizeof j->refused, "its address %s is %s%s", text,
                     test_private ? "private (test hook)" : fetch_addr_class_name(c),
                     c == FETCH_ADDR_LOOPBACK ? " (allowed with --plain-http only)" : "");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* "scheme://host:port" of url, the port made explicit, so a redirect can be
 * held to the same origin. */
static bool url_origin(const char *url, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
           && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
           && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
           && curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    if (ok) {
        int w = snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
        ok = w > 0 && (size_t)w < outlen;
        for (char *c = out; ok && *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

/* The URL policy, then the allowlist. */
static bool url_ok(const FetchPolicy *p, const char *url, char *err, size_t errlen)
{
    char why[200], host[256];
    if (!tx_url_allowed(url, p->allow_plain_http, why, sizeof why) || !tx_url_host(url, host, sizeof host, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        return false;
    }
    if (!fetch_host_allowed(p, host)) {
        snprintf(err, errlen, "host '%.100s' is not on the fetch allowlist (help: add it with --fetch-allow "
                 "HOST or the connection file's \"fetch_allow\")", host);
        return false;
    }
    return true;
}

static struct curl_slist *resolve_list(const FetchPolicy *p)
{
    struct curl_slist *l = NULL;
    for (size_t i = 0; i < p->ntest_resolve; i++) {
        struct curl_slist *n = curl_slist_append(l, p->test_resolve[i]);
        if (n == NULL)
            break;
        l = n;
    }
    return l;
}

/* One request, no redirect followed. */
static CURLcode perform(FetchJob *j, CURL *e, const char *url, long timeout_ms, struct curl_slist *resolve)
{
    const FetchPolicy *p = j->p;
    curl_easy_reset(e);
    cm_buf_clear(&j->body);
    j->too_large = false;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    tx_curl_base_options(e, p->allow_plain_http, p->ca_file,
                         p->connect_timeout_ms > 0 ? p->connect_timeout_ms : 10000L, timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    /* A proxy would be the address checked, not the file's host. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)j->max_bytes);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "crmmap");
    if (resolve)
        curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
    return curl_easy_perform(e);
}

static void fail_message(const FetchJob *j, CURLcode rc, long timeout_ms, char *err, size_t errlen)
{
    if (j->refused[0])
        snprintf(err, errlen, "refused before connecting: %s", j->refused);
    else if (j->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(err, errlen, "the file is larger than the cap of %zu bytes (help: raise it with --fetch-max-bytes)",
                 j->max_bytes);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errlen, "no answer within the time limit (%ld ms)", timeout_ms);
    else
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
}

/* want is "type/subtype", or "type/" then "*" for any subtype; got a Content-Type, parameters allowed. */
static bool media_type_ok(const char *want, const char *got)
{
    size_t g = strcspn(got, "; \t");
    size_t w = strlen(want);
    if (w >= 2 && strcmp(want + w - 2, "/*") == 0)
        return g > w - 1 && strncasecmp(got, want, w - 1) == 0;
    return g == w && strncasecmp(got, want, w) == 0;
}

bool fetch_url(const FetchPolicy *p, const char *url, const char *want_type, unsigned char **data, size_t *len,
               char **media_type, char *err, size_t errlen)
{
    char origin[512], hop_origin[512], why[300];
    if (!url_ok(p, url, why, sizeof why)) {
        snprintf(err, errlen, "fetch refused: %s", why);
        return false;
    }
    if (!url_origin(url, origin, sizeof origin) || !tx_curl_global_init()) {
        snprintf(err, errlen, "fetch refused: the URL cannot be used");
        return false;
    }
    CURL *e = curl_easy_init();
    if (e == NULL) {
        snprintf(err, errlen, "fetch failed: libcurl could not set up the request");
        return false;
    }
    FetchJob j = { .p = p, .max_bytes = p->max_bytes ? p->max_bytes : FETCH_MAX_BYTES_DEFAULT };
    j.refused[0] = '\0';
    struct curl_slist *resolve = resolve_list(p);
    long left_ms = p->total_timeout_ms > 0 ? p->total_timeout_ms : 60000L;
    char *current = cm_strdup(url);
    bool ok = false;
    for (int hop = 0;; hop++) {
        CURLcode rc = perform(&j, e, current, left_ms, resolve);
        if (rc != CURLE_OK) {
            fail_message(&j, rc, p->total_timeout_ms > 0 ? p->total_timeout_ms : 60000L, why, sizeof why);
            snprintf(err, errlen, "fetch failed: %s", why);
            break;
        }
        curl_off_t spent_us = 0;
        curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &spent_us);
        left_ms -= (long)(spent_us / 1000);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        char *next = NULL;
        curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &next);
        if (status >= 300 && status < 400 && next) {
            if (hop + 1 > FETCH_MAX_HOPS) {
                snprintf(err, errlen, "fetch failed: more than %d redirects", FETCH_MAX_HOPS);
                break;
            }
            if (!url_ok(p, next, why, sizeof why) || !url_origin(next, hop_origin, sizeof hop_origin)
                || strcmp(origin, hop_origin) != 0) {
                snprintf(err, errlen, "fetch refused: a redirect leaves %s (only redirects to the same scheme, "
                         "host and port are followed)", origin);
                break;
            }
            if (left_ms <= 0) {
                snprintf(err, errlen, "fetch failed: no answer within the time limit");
                break;
            }
            cm_free(current);
            current = cm_strdup(next);
            continue;
        }
        if (status < 200 || status > 299) {
            snprintf(err, errlen, "fetch failed: the server answered HTTP %ld", status);
            break;
        }
        char *ct = NULL;
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
        if (want_type && want_type[0] && !media_type_ok(want_type, ct ? ct : "")) {
            snprintf(err, errlen, "fetch refused: the server sent '%.80s', the file is declared '%.80s'",
                     ct ? ct : "no media type", want_type);
            break;
        }
        *media_type = cm_strdup(ct ? ct : "");
        *len = j.body.len;
        *data = (unsigned char *)cm_buf_take(&j.body);
        ok = true;
        break;
    }
    cm_free(current);
    cm_buf_free(&j.body);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(e);
    return ok;
}

bool fetch_file(void *ctx, const char *url, const char *want_type, unsigned char **data, size_t *len,
                char **media_type, char *err, size_t errlen)
{
    return fetch_url(ctx, url, want_type, data, len, media_type, err, errlen);
}
