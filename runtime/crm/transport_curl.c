/* transport_curl: the production transport, and the only file that includes
 * libcurl. One curl multi handle: its connection cache reuses connections
 * across requests, several transfers run at once, HTTP/2 is negotiated over
 * TLS where the server offers it (and streams are multiplexed on one
 * connection). TLS verification is always on; redirects may only go to
 * https://; the bearer token is given to curl's own Bearer auth, so curl
 * drops it on a redirect to another host and no header line we print holds it.
 * A token that goes in a header of the API's own (TxCurlOptions.token_header)
 * is a header line curl would keep on a redirect: those transports follow none. */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "cm_buf.h"
#include "transport.h"

typedef struct TxJob {
    struct TxJob *next;     /* in the waiting queue */
    CURL *easy;
    struct curl_slist *headers;
    char *url, *method, *body;
    size_t body_len;
    void *tag;
    CmBuf resp;
    char *retry_after;
    CmBuf hdrs;             /* the latest answer's headers, see TxResponse.headers */
    bool too_large;
    size_t max_body;
    char errbuf[CURL_ERROR_SIZE];
} TxJob;

typedef struct CurlTx {
    Transport base;
    CURLM *multi;
    TxCurlOptions opt;
    /* token may be replaced from another thread (serve's SIGHUP) while this
     * one submits: the lock covers reading it into a request and the swap. */
    pthread_mutex_t token_lock;
    char *token;
    char *token_header;     /* NULL: the token goes as a bearer token */
    char *ca_file;
    TxJob *wait_head, *wait_tail;   /* submitted, not yet started (over max_in_flight) */
    TxJob **active;                 /* started, not yet collected: max_in_flight slots */
    size_t running;
    size_t waiting;
} CurlTx;

/* curl_global_init must run once, before any other libcurl call, and is
 * not thread-safe in libcurl builds without CURL_VERSION_THREADSAFE (before
 * 7.84, or without atomics). `serve` creates transports from more than one
 * thread (the sender, a token refresh), so a plain "done" flag let two
 * threads run it at once, and was itself a data race. pthread_once runs it
 * exactly once and makes every caller wait for it and see its result. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool tx_curl_global_init(void)
{
    return pthread_once(&curl_once, curl_init_once) == 0 && curl_init_result == CURLE_OK;
}

/* Through a volatile pointer, so clearing the token before free is not optimised away. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

bool tx_host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    unsigned a, b, c, d;
    char tail;
    if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
        return a == 127 && b < 256 && c < 256 && d < 256;
    return false;
}

/* The scheme and host of url as libcurl reads it — the host it would connect
 * to — refusing credentials in the URL. curl_free both. */
static bool parse_url(const char *url, char **scheme, char **host, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *user = NULL;
    bool ok = false;
    *scheme = *host = NULL;
    if (u == NULL) {
        snprintf(err, errlen, "out of memory parsing the URL");
        return false;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
        snprintf(err, errlen, "not a valid absolute URL");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        snprintf(err, errlen, "credentials in the URL are refused (use --token-env or --token-file)");
    else
        ok = true;
    curl_free(user);
    curl_url_cleanup(u);
    if (!ok) {
        curl_free(*scheme);
        curl_free(*host);
        *scheme = *host = NULL;
    }
    return ok;
}

bool tx_url_host(const char *url, char *host, size_t hostlen, char *err, size_t errlen)
{
    char *scheme, *h;
    if (!parse_url(url, &scheme, &h, err, errlen))
        return false;
    size_t n = strlen(h);
    bool ok = n < hostlen;
    if (ok) {
        for (size_t i = 0; i <= n; i++)
            host[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char)(h[i] - 'A' + 'a') : h[i];
    } else {
        snprintf(err, errlen, "the host name is longer than %zu characters", hostlen - 1);
    }
    curl_free(scheme);
    curl_free(h);
    return ok;
}

bool tx_url_allowed(const char *url, bool allow_plain_http, char *err, size_t errlen)
{
    char *scheme, *host;
    if (!parse_url(url, &scheme, &host, err, errlen))
        return false;
    bool ok = false;
    if (strcmp(scheme, "https") == 0) {
        ok = true;
    } else if (strcmp(scheme, "http") != 0) {
        snprintf(err, errlen, "scheme '%s' is not supported (https only)", scheme);
    } else if (!tx_host_is_loopback(host)) {
        snprintf(err, errlen, "plain http:// is refused for '%s': only loopback test servers may use it", host);
    } else if (!allow_plain_http) {
        snprintf(err, errlen, "plain http:// needs --plain-http (allowed for loopback test servers only)");
    } else {
        ok = true;
    }
    curl_free(scheme);
    curl_free(host);
    return ok;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    TxJob *j = ud;
    size_t len = size * n;
    if (j->resp.len + len > j->max_body) {
        j->too_large = true;
        return 0;   /* curl aborts the transfer with CURLE_WRITE_ERROR */
    }
    cm_buf_put(&j->resp, p, len);
    return len;
}

/* libcurl calls this at least once a second for every transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load((const atomic_bool *)ud) ? 1 : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    TxJob *j = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100): forget the last one's headers. */
        cm_free(j->retry_after);
        j->retry_after = NULL;
        cm_buf_clear(&j->hdrs);
        return len;
    }
    const char *colon = memchr(p, ':', len), *end = p + len;
    if (!colon)
        return len;     /* the blank line that ends the headers */
    const char *v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if ((size_t)(colon - p) == sizeof name - 2 && strncasecmp(p, name, sizeof name - 2) == 0) {
        cm_free(j->retry_after);
        j->retry_after = cm_strndup(v, (size_t)(end - v));
    }
    for (const char *c = p; c < colon; c++)
        cm_buf_putc(&j->hdrs, (char)tolower((unsigned char)*c));
    cm_buf_put(&j->hdrs, ": ", 2);
    cm_buf_put(&j->hdrs, v, (size_t)(end - v));
    cm_buf_putc(&j->hdrs, '\n');
    return len;
}

static void job_free(TxJob *j)
{
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    cm_free(j->url);
    cm_free(j->method);
    cm_free(j->body);
    cm_free(j->retry_after);
    cm_buf_free(&j->hdrs);
    cm_buf_free(&j->resp);
    cm_free(j);
}

static bool add_header(TxJob *j, const char *line)
{
    struct curl_slist *s = curl_slist_append(j->headers, line);
    if (s == NULL)
        return false;
    j->headers = s;
    return true;
}

void tx_curl_base_options(void *easy, bool allow_plain_http, const char *ca_file, long connect_ms, long total_ms)
{
    CURL *e = easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, allow_plain_http ? "https,http" : "https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total_ms);
}

/* Builds the easy handle; false only when curl itself runs out of memory. */
static bool job_setup(CurlTx *c, TxJob *j, const TxRequest *req)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        return false;
    j->easy = e;
    for (size_t i = 0; i < req->nheaders; i++)
        if (!add_header(j, req->headers[i]))
            return false;
    /* No "Expect: 100-continue" round trip before large bodies. */
    if (!add_header(j, "Expect:"))
        return false;
    if (c->token && c->token_header) {
        CmBuf line = CM_BUF_INIT;
        cm_buf_printf(&line, "%s: %s", c->token_header, c->token);
        bool added = add_header(j, line.data);
        wipe(line.data, 0, line.len);
        cm_buf_free(&line);
        if (!added)
            return false;
    }
    curl_easy_setopt(e, CURLOPT_URL, j->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
    tx_curl_base_options(e, c->opt.allow_plain_http, c->ca_file, c->opt.connect_timeout_ms, c->opt.total_timeout_ms);
    if (req->once)
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    if (c->opt.cancel) {
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, (void *)c->opt.cancel);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    }
    if (c->token && c->token_header) {
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    } else if (c->token) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, c->token);
    }
    if (strcmp(j->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(j->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, j->method);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body ? j->body : "");
    }
    return true;
}

/* A URL for the --verbose log: a query (SOQL `IN (...)`, Dynamics `$filter`)
 * or a key in the path (`contacts(emailaddress1='...')`) carries contact
 * data, so everything from the first '?' or '(' on is left out. */
static void log_url(FILE *f, const char *url)
{
    size_t keep = strcspn(url, "?(");
    fprintf(f, "%.*s", (int)keep, url);
    if (url[keep])
        fprintf(f, "%c[%zu bytes redacted]", url[keep], strlen(url + keep) - 1);
}

static void log_request(const CurlTx *c, const TxRequest *req)
{
    FILE *f = c->opt.verbose;
    if (f == NULL)
        return;
    fprintf(f, "> %s ", req->method);
    log_url(f, req->url);
    fputc('\n', f);
    for (size_t i = 0; i < req->nheaders; i++)
        fprintf(f, "> %s\n", req->headers[i]);
    if (c->token && c->token_header)
        fprintf(f, "> %s: [redacted]\n", c->token_header);
    else if (c->token)
        fputs("> Authorization: Bearer [redacted]\n", f);
    if (req->body_len)
        fprintf(f, "> (%zu bytes)\n", req->body_len);
}

static void start_waiting(CurlTx *c)
{
    while (c->wait_head && c->running < c->opt.max_in_flight) {
        TxJob *j = c->wait_head;
        c->wait_head = j->next;
        if (c->wait_head == NULL)
            c->wait_tail = NULL;
        c->waiting--;
        j->next = NULL;
        curl_multi_add_handle(c->multi, j->easy);
        c->active[c->running++] = j;
    }
}

static bool curl_submit(Transport *t, const TxRequest *req, char *err, size_t errlen)
{
    CurlTx *c = (CurlTx *)t;
    if (!tx_url_allowed(req->url, c->opt.allow_plain_http, err, errlen))
        return false;
    for (size_t i = 0; i < req->nheaders; i++) {
        size_t th = c->token_header ? strlen(c->token_header) : 0;
        if (strncasecmp(req->headers[i], "authorization:", 14) == 0
            || (th > 0 && strncasecmp(req->headers[i], c->token_header, th) == 0 && req->headers[i][th] == ':')) {
            snprintf(err, errlen, "the %s header belongs to the transport", th > 0 ? c->token_header : "Authorization");
            return false;
        }
    }
    TxJob *j = cm_calloc(1, sizeof *j);
    j->url = cm_strdup(req->url);
    j->method = cm_strdup(req->method);
    if (req->body) {
        j->body = cm_malloc(req->body_len + 1);
        memcpy(j->body, req->body, req->body_len);
        j->body[req->body_len] = '\0';
        j->body_len = req->body_len;
    }
    j->tag = req->tag;
    j->max_body = c->opt.max_body;
    pthread_mutex_lock(&c->token_lock);
    bool set_up = job_setup(c, j, req);
    if (set_up)
        log_request(c, req);
    pthread_mutex_unlock(&c->token_lock);
    if (!set_up) {
        job_free(j);
        snprintf(err, errlen, "libcurl could not set up the request");
        return false;
    }
    if (c->wait_tail)
        c->wait_tail->next = j;
    else
        c->wait_head = j;
    c->wait_tail = j;
    c->waiting++;
    start_waiting(c);
    return true;
}

static TxError classify(CURLcode rc, const TxJob *j, bool *sent)
{
    *sent = true;
    switch (rc) {
    case CURLE_OK:
        return TX_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        *sent = false;
        return TX_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: {
        long request_bytes = 0;
        curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &request_bytes);
        *sent = request_bytes > 0;
        return TX_TIMEOUT;
    }
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return TX_RESET;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        *sent = false;
        return TX_TLS;
    case CURLE_WRITE_ERROR:
        if (j->too_large)
            return TX_TOO_LARGE;
        return TX_OTHER;
    default:
        return TX_OTHER;
    }
}

static void finish(CurlTx *c, TxJob *j, CURLcode rc, TxResponse *out)
{
    memset(out, 0, sizeof *out);
    out->tag = j->tag;
    out->error = classify(rc, j, &out->sent);
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    if (out->error == TX_OK) {
        out->status = (int)status;
        out->body_len = j->resp.len;
        out->body = cm_buf_take(&j->resp);
        out->retry_after = j->retry_after;
        j->retry_after = NULL;
        out->headers = j->hdrs.len ? cm_buf_take(&j->hdrs) : NULL;
    } else if (out->error == TX_TOO_LARGE) {
        snprintf(out->message, sizeof out->message, "the answer is larger than %zu bytes", j->max_body);
    } else {
        snprintf(out->message, sizeof out->message, "%.150s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
    }
    if (c->opt.verbose) {
        FILE *f = c->opt.verbose;
        if (out->error == TX_OK)
            fprintf(f, "< %d ", out->status);
        else
            fprintf(f, "< %s ", tx_error_name(out->error));
        log_url(f, j->url);
        if (out->error == TX_OK)
            fprintf(f, " (%zu bytes)\n", out->body_len);
        else
            fprintf(f, ": %s\n", out->message);
    }
}

static size_t collect(CurlTx *c, TxResponse *out, size_t max)
{
    size_t n = 0;
    CURLMsg *m;
    int left;
    while (n < max && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        TxJob *j = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(c->multi, j->easy);
        for (size_t i = 0; i < c->running; i++) {
            if (c->active[i] == j) {
                c->active[i] = c->active[--c->running];
                break;
            }
        }
        finish(c, j, rc, &out[n++]);
        job_free(j);
    }
    start_waiting(c);
    return n;
}

static size_t curl_poll(Transport *t, int timeout_ms, TxResponse *out, size_t max)
{
    CurlTx *c = (CurlTx *)t;
    if (max == 0 || c->running + c->waiting == 0)
        return 0;
    int still;
    curl_multi_perform(c->multi, &still);
    size_t n = collect(c, out, max);
    if (n > 0)
        return n;
    curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL);
    curl_multi_perform(c->multi, &still);
    return collect(c, out, max);
}

static size_t curl_in_flight(const Transport *t)
{
    const CurlTx *c = (const CurlTx *)t;
    return c->running + c->waiting;
}

static void curl_close(Transport *t)
{
    CurlTx *c = (CurlTx *)t;
    TxJob *j;
    while ((j = c->wait_head) != NULL) {
        c->wait_head = j->next;
        job_free(j);
    }
    /* Abandon started transfers: remove each handle before freeing it. */
    for (size_t i = 0; i < c->running; i++) {
        curl_multi_remove_handle(c->multi, c->active[i]->easy);
        job_free(c->active[i]);
    }
    curl_multi_cleanup(c->multi);
    cm_free(c->active);
    cm_free(c->ca_file);
    cm_free(c->token_header);
    if (c->token) {
        /* The token should not outlive its use in freed memory. */
        wipe(c->token, 0, strlen(c->token));
        cm_free(c->token);
    }
    pthread_mutex_destroy(&c->token_lock);
    cm_free(c);
}

static void curl_set_bearer(Transport *t, const char *token)
{
    CurlTx *c = (CurlTx *)t;
    char *fresh = token ? cm_strdup(token) : NULL;
    pthread_mutex_lock(&c->token_lock);
    char *old = c->token;
    c->token = fresh;
    pthread_mutex_unlock(&c->token_lock);
    /* libcurl copied the old one into requests already set up: they keep it. */
    if (old) {
        wipe(old, 0, strlen(old));
        cm_free(old);
    }
}

static const TransportOps curl_ops = { curl_submit, curl_poll, curl_in_flight, curl_set_bearer, curl_close };

Transport *tx_curl_new(const TxCurlOptions *opt, char *err, size_t errlen)
{
    if (!tx_curl_global_init()) {
        snprintf(err, errlen, "libcurl failed to initialise");
        return NULL;
    }
    CurlTx *c = cm_calloc(1, sizeof *c);
    c->base.ops = &curl_ops;
    c->opt = *opt;
    if (c->opt.connect_timeout_ms <= 0)
        c->opt.connect_timeout_ms = 10000;
    if (c->opt.total_timeout_ms <= 0)
        c->opt.total_timeout_ms = 120000;
    if (c->opt.max_in_flight == 0)
        c->opt.max_in_flight = 8;
    if (c->opt.max_body == 0)
        c->opt.max_body = 64u * 1024u * 1024u;
    c->opt.bearer_token = NULL;     /* only the private copies below are kept */
    c->opt.ca_file = NULL;
    c->opt.token_header = NULL;
    if (opt->token_header)
        c->token_header = cm_strdup(opt->token_header);
    if (opt->bearer_token)
        c->token = cm_strdup(opt->bearer_token);
    if (opt->ca_file)
        c->ca_file = cm_strdup(opt->ca_file);
    c->active = cm_calloc(c->opt.max_in_flight, sizeof *c->active);
    pthread_mutex_init(&c->token_lock, NULL);
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        pthread_mutex_destroy(&c->token_lock);
        cm_free(c->token);
        cm_free(c->token_header);
        cm_free(c->ca_file);
        cm_free(c->active);
        cm_free(c);
        snprintf(err, errlen, "libcurl could not create a multi handle");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->opt.max_in_flight);
    return &c->base;
}
