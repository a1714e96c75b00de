/* serve_http: see serve_http.h. */
#include "serve_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "auth_limit.h"
#include "cm_alloc.h"
#include "conn_config.h"
#include "serve_intake.h"
#include "serve_tls.h"

struct ServeHttp {
    Serve *s;
    struct MHD_Daemon *d;
    char *cert, *key;
    char url[96];
    atomic_int active;          /* requests begun and not yet completed */
    AuthLimit *limit;           /* failed authorizations per address */
};

/* Threads serving connections: a request never blocks one (a request
 * waiting for its commit is suspended), so one per core is enough. */
#define POOL_THREADS 2u
/* TLS 1.2 and 1.3 only, GnuTLS's NORMAL cipher suites otherwise
 * (docs/security.md): 1.0 and 1.1 lack AEAD ciphers and are deprecated
 * (RFC 8996). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* Connections at once; each may buffer a body of up to --max-body. */
#define MAX_CONNECTIONS 512u

typedef enum Route { R_NONE, R_RECORD, R_BATCH, R_VISITREPORT, R_HEALTH, R_STATUS } Route;

/* One request's state across the handler's calls. While its records are
 * being stored the connection is suspended; the intake's answer resumes it. */
typedef struct Req {
    Route route;
    CmBuf body;
    bool too_big, submitted;
    _Atomic bool answered;
    unsigned status;
    char *json;
    size_t json_len;
    struct MHD_Connection *conn;
    Serve *s;
} Req;

static bool authorized(const ServeHttp *h, struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return v != NULL && serve_secrets_match(&h->s->secrets, v);
}

/* When a client should send again (seconds): soon after a failed commit
 * (503), after a minute when the inbox is full (507: the CRM must take
 * records first). */
static const char *retry_after(unsigned status)
{
    switch (status) {
    case 503: return "5";
    case 507: return "60";
    default: return NULL;
    }
}

static enum MHD_Result answer_after(struct MHD_Connection *conn, unsigned status, const char *json, size_t len,
                                    const char *retry)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)json, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"crmmap\"");
    if (retry == NULL)
        retry = retry_after(status);
    if (retry)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *json, size_t len)
{
    return answer_after(conn, status, json, len, NULL);
}

static enum MHD_Result error_after(struct MHD_Connection *conn, unsigned status, const char *code,
                                   const char *message, const char *retry)
{
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "{\"error\": \"%s\", \"message\": ", code);
    cm_buf_put_json_string(&b, message, strlen(message));
    cm_buf_puts(&b, "}\n");
    enum MHD_Result r = answer_after(conn, status, b.data, b.len, retry);
    cm_buf_free(&b);
    return r;
}

static enum MHD_Result error(struct MHD_Connection *conn, unsigned status, const char *code, const char *message)
{
    return error_after(conn, status, code, message, NULL);
}

static Route route_of(const char *url)
{
    static const struct { const char *path; Route r; } routes[] = {
        { "/records", R_RECORD }, { "/records/batch", R_BATCH }, { "/visitreports", R_VISITREPORT },
        { "/healthz", R_HEALTH }, { "/status", R_STATUS },
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(url, routes[i].path) == 0)
            return routes[i].r;
    return R_NONE;
}

static enum MHD_Result same_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    const char **first = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
        return MHD_YES;
    if (*first == NULL)
        *first = value;
    else if (strcmp(*first, value) != 0)
        *first = "";        /* a marker no header value can be: two lengths */
    return MHD_YES;
}

/* Whether the request names at most one body length. Two different ones
 * are a smuggling attempt: a proxy in front may frame the body by the
 * other one (RFC 9112, section 6.3). */
static bool one_length(struct MHD_Connection *conn)
{
    const char *first = NULL;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, same_length, &first);
    return first == NULL || first[0] != '\0';
}

/* The first call for a request: headers only. Returns true when it answered. */
static bool screen(ServeHttp *h, struct MHD_Connection *conn, Req *q, const char *method, enum MHD_Result *ret)
{
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (q->route == R_NONE) {
        *ret = error(conn, 404, "not_found", "no such endpoint: POST /records, /records/batch, /visitreports; "
                                             "GET /healthz, /status");
        return true;
    }
    bool wants_post = q->route == R_RECORD || q->route == R_BATCH || q->route == R_VISITREPORT;
    if (wants_post ? !post : !get) {
        *ret = error(conn, 405, "method_not_allowed", wants_post ? "use POST" : "use GET");
        return true;
    }
    if (q->route == R_HEALTH) {
        static const char ok[] = "{\"status\": \"ok\"}\n";
        *ret = answer(conn, 200, ok, sizeof ok - 1);
        return true;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *from = ci ? ci->client_addr : NULL;
    int64_t wait = auth_limit_wait(h->limit, from);
    if (wait > 0) {
        char msg[160], after[24];
        snprintf(msg, sizeof msg, "more than %u failed authorizations from this address in %d s: try again in "
                 "%lld s", AUTH_FAILS_MAX, AUTH_WINDOW_S, (long long)wait);
        snprintf(after, sizeof after, "%lld", (long long)wait);
        *ret = error_after(conn, 429, "too_many_failures", msg, after);
        return true;
    }
    if (!authorized(h, conn)) {
        auth_limit_failed(h->limit, from);
        *ret = error(conn, 401, "unauthorized", "missing or wrong Authorization header");
        return true;
    }
    if (q->route == R_STATUS) {
        CmBuf b = CM_BUF_INIT;
        serve_status_json(h->s, &b);
        *ret = answer(conn, 200, b.data, b.len);
        cm_buf_free(&b);
        return true;
    }
    if (!one_length(conn)) {
        *ret = error(conn, 400, "malformed", "two different Content-Length headers: send one");
        return true;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > h->s->max_body) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes (--max-body)", h->s->max_body);
        *ret = error(conn, 413, "too_large", msg);
        return true;
    }
    return false;
}

/* The intake's answer, from the writer thread (or at once for a 400/422). */
static void intake_answered(void *ctx, unsigned status, const char *json, size_t len)
{
    Req *q = ctx;
    q->status = status;
    q->json = cm_strndup(json, len);
    q->json_len = len;
    pthread_mutex_lock(&q->s->stats.lock);
    q->s->stats.requests++;
    q->s->stats.storing--;
    pthread_mutex_unlock(&q->s->stats.lock);
    atomic_store(&q->answered, true);
    MHD_resume_connection(q->conn);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    (void)version;
    ServeHttp *h = cls;
    Req *q = *con_cls;
    if (q == NULL) {
        q = cm_calloc(1, sizeof *q);
        q->route = route_of(url);
        *con_cls = q;
        atomic_fetch_add(&h->active, 1);
        enum MHD_Result ret;
        if (screen(h, conn, q, method, &ret))
            return ret;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->body.len + *upload_data_size > h->s->max_body)
            q->too_big = true;
        if (!q->too_big)
            cm_buf_put(&q->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes (--max-body)", h->s->max_body);
        return error(conn, 413, "too_large", msg);
    }
    if (atomic_load(&q->answered))
        return answer(conn, q->status, q->json, q->json_len);
    if (q->submitted)
        return MHD_YES;
    ServeShape shape = q->route == R_BATCH ? SHAPE_BATCH : q->route == R_VISITREPORT ? SHAPE_VISITREPORT : SHAPE_RECORD;
    q->submitted = true;
    q->conn = conn;
    q->s = h->s;
    pthread_mutex_lock(&h->s->stats.lock);
    h->s->stats.storing++;
    pthread_mutex_unlock(&h->s->stats.lock);
    MHD_suspend_connection(conn);
    serve_intake_submit(h->s->intake, shape, q->body.data ? q->body.data : "", q->body.len, intake_answered, q);
    return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    ServeHttp *h = cls;
    (void)conn;
    (void)toe;
    Req *q = *con_cls;
    if (q) {
        atomic_fetch_sub(&h->active, 1);
        cm_buf_free(&q->body);
        cm_free(q->json);
        cm_free(q);
        *con_cls = NULL;
    }
}

/* ADDR:PORT or [V6]:PORT into a socket address; "localhost" is 127.0.0.1. */
static bool parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6, bool *loopback, char *err,
                         size_t errlen)
{
    char host[64];
    const char *port;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
            goto bad;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= sizeof host)
            goto bad;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if (*port == '\0' || *end != '\0' || p > 65535)
        goto bad;
    memset(ss, 0, sizeof *ss);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *v6 = false;
        *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
        return true;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *v6 = true;
        *loopback = memcmp(&a6->sin6_addr, &in6addr_loopback, sizeof in6addr_loopback) == 0;
        return true;
    }
bad:
    snprintf(err, errlen, "--listen '%s': give ADDR:PORT with a numeric address, e.g. 127.0.0.1:8443 or [::1]:8443", s);
    return false;
}

/* Reads the TLS files into *cert and *key and checks they are a pair. */
static bool load_tls(const ServeHttpConfig *cfg, char **cert, char **key, char *err, size_t errlen)
{
    size_t len;
    const char *why;
    *cert = cli_read_file(cfg->tls_cert, 1u << 20, &len, &why);
    if (*cert == NULL) {
        snprintf(err, errlen, "--tls-cert %s: %s", cfg->tls_cert, why);
        return false;
    }
    ConnConfig kc;
    memset(&kc, 0, sizeof kc);
    kc.private_key_file = (char *)cfg->tls_key;
    *key = conn_private_key_load(&kc, err, errlen);
    return *key != NULL && serve_tls_check(*cert, *key, cfg->tls_cert, cfg->tls_key, err, errlen);
}

static void free_key(char *key)
{
    if (key) {
        OPENSSL_cleanse(key, strlen(key));
        cm_free(key);
    }
}

/* The flags' part of a start: the address, TLS or --plain-http. *status:
 * EXIT_USAGE for a mistake in the flags, EXIT_FATAL for a TLS file. */
static bool prepare(const ServeHttpConfig *cfg, struct sockaddr_storage *addr, bool *v6, bool *tls, int *status,
                    char *err, size_t errlen)
{
    bool loopback;
    *status = EXIT_USAGE;
    if (!parse_listen(cfg->listen, addr, v6, &loopback, err, errlen))
        return false;
    *tls = cfg->tls_cert || cfg->tls_key;
    if (*tls && (!cfg->tls_cert || !cfg->tls_key)) {
        snprintf(err, errlen, "TLS needs both --tls-cert and --tls-key");
        return false;
    }
    if (!*tls && !cfg->plain_http) {
        snprintf(err, errlen, "give --tls-cert FILE --tls-key FILE, or --plain-http on a loopback address");
        return false;
    }
    if (!*tls && !loopback) {
        snprintf(err, errlen, "--plain-http only on a loopback address (127.0.0.1, [::1]): "
                              "anything else needs --tls-cert and --tls-key");
        return false;
    }
    *status = EXIT_FATAL;
    return true;
}

bool serve_http_check(const ServeHttpConfig *cfg, int *status, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    bool v6, tls;
    if (!prepare(cfg, &addr, &v6, &tls, status, err, errlen))
        return false;
    char *cert = NULL, *key = NULL;
    bool ok = !tls || load_tls(cfg, &cert, &key, err, errlen);
    cm_free(cert);
    free_key(key);
    return ok;
}

/* Why the address could not be listened on, found by binding it once more
 * (the certificate and key were checked before). *status: EXIT_RETRY when
 * another process has the port, EXIT_FATAL when the address is not for us. */
static void why_not_listening(const ServeHttpConfig *cfg, const struct sockaddr_storage *addr, int *status,
                              char *err, size_t errlen)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    int e = 0;
    if (fd < 0)
        e = errno;
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
             || bind(fd, (const struct sockaddr *)addr,
                     addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    *status = e == EADDRINUSE ? EXIT_RETRY : EXIT_FATAL;
    if (e == EADDRINUSE)
        snprintf(err, errlen, "cannot listen on %s: the port is in use by another process\n  help: stop it (`ss "
                 "-ltnp` names it), or give --listen another port; serve can be started again once it is free",
                 cfg->listen);
    else if (e != 0)
        snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(e));
    else
        snprintf(err, errlen, "cannot listen on %s (libmicrohttpd refused to start; its message is above)",
                 cfg->listen);
}

ServeHttp *serve_http_start(Serve *s, const ServeHttpConfig *cfg, int *status, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    bool v6, tls;
    if (!prepare(cfg, &addr, &v6, &tls, status, err, errlen))
        return NULL;
    ServeHttp *h = cm_calloc(1, sizeof *h);
    h->s = s;
    atomic_init(&h->active, 0);
    h->limit = auth_limit_new();
    if (tls && !load_tls(cfg, &h->cert, &h->key, err, errlen)) {
        serve_http_stop(h);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    if (tls)
        h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
                                MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS,
                                MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_HTTPS_MEM_KEY, h->key,
                                MHD_OPTION_HTTPS_MEM_CERT, h->cert, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
                                MHD_OPTION_END);
    else
        h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
                                MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS,
                                MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (h->d == NULL) {
        why_not_listening(cfg, &addr, status, err, errlen);
        serve_http_stop(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[64];
    if (v6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host, sizeof host);
    snprintf(h->url, sizeof h->url, "%s://%s%s%s:%u", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
             port);
    return h;
}

const char *serve_http_url(const ServeHttp *h)
{
    return h->url;
}

void serve_http_quiesce(ServeHttp *h)
{
    if (h->d) {
        MHD_socket fd = MHD_quiesce_daemon(h->d);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
}

void serve_http_stop(ServeHttp *h)
{
    if (h == NULL)
        return;
    /* Let requests under way be answered (their records are being stored). */
    for (int i = 0; h->d && i < 1000 && atomic_load(&h->active) > 0; i++)
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    if (h->d)
        MHD_stop_daemon(h->d);
    auth_limit_free(h->limit);
    cm_free(h->cert);
    free_key(h->key);
    cm_free(h);
}
