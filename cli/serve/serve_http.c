/* serve_http: see serve_http.h. */
#include "serve_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
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
#include "serve_guard.h"
#include "serve_intake.h"
#include "slog.h"
#include "serve_tls.h"

struct ServeHttp {
    Serve *s;
    struct MHD_Daemon *d;
    unsigned char want_status[2][32];   /* the same of the status token, if any */
    char rid_prefix[9];         /* generated request ids: this, then a count */
    atomic_uint_fast64_t rids;
    const char *tls_cert, *tls_key;     /* the files, read again by a reload; NULL: plain HTTP */
    char url[96];
    atomic_int active;          /* requests begun and not yet completed */
    AuthLimit *limit;           /* failed authorizations per address */
    ServeGuard *guard;          /* connections, deadlines, the memory of bodies */
};

/* Threads serving connections: a request never blocks one (a request
 * waiting for its commit is suspended), so one per core is enough. */
#define POOL_THREADS 2u
/* TLS 1.2 and 1.3 only, GnuTLS's NORMAL cipher suites otherwise
 * (docs/security.md): 1.0 and 1.1 lack AEAD ciphers and are deprecated
 * (RFC 8996). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* Connections kept beyond --max-connections so that /healthz and /status
 * answer while the others are taken; a request for anything else on one of
 * them is answered 503. */
#define RESERVED_CONNECTIONS 16u

typedef enum Route { R_NONE, R_RECORD, R_BATCH, R_VISITREPORT, R_HEALTH, R_READY, R_STATUS, R_METRICS } Route;

/* How long a failed inbox keeps /readyz at 503 after its last error. */
#define READY_RETRY_S 10

/* A request id taken from X-Request-Id: at most this long, of these
 * characters (so it can be logged and echoed as it is). */
#define RID_MAX 64
#define RID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

/* One request's state across the handler's calls. While its records are
 * being stored the connection is suspended; the intake's answer resumes it. */
typedef struct Req {
    Route route;
    char *body;                 /* body_cap bytes, all taken from the body budget */
    size_t body_len, body_cap;
    bool too_big, over_budget, submitted;
    _Atomic bool answered;
    unsigned status;
    char *json;
    size_t json_len;
    struct MHD_Connection *conn;
    Serve *s;
    char rid[RID_MAX + 1];      /* the request id, echoed in X-Request-Id and logged */
    struct timespec start;      /* when the headers were in, for the accept latency */
} Req;

/* The request a connection thread is handling. Every answer is queued from
 * the handler, on that thread, so the answer finds its request id and start
 * time here without each caller passing them. */
static _Thread_local Req *current;

static void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

/* Compares digests, so the time taken says nothing about the secret,
 * not even its length. */
static bool authorized(const unsigned char want[2][32], struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (v == NULL)
        return false;
    unsigned char got[32];
    sha256(v, strlen(v), got);
    int a = CRYPTO_memcmp(got, want[0], 32), b = CRYPTO_memcmp(got, want[1], 32);
    return (a == 0) | (b == 0);
}

/* Whether the request carries one of the webhook secrets (serve_secret.h:
 * digests compared in constant time, swapped by a reload). */
static bool secret_authorized(const ServeHttp *h, struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return v != NULL && serve_secrets_match(&h->s->secrets, v);
}

/* The digests of "VALUE" and "Bearer VALUE". */
static void want_digests(const char *value, unsigned char want[2][32])
{
    sha256(value, strlen(value), want[0]);
    CmBuf bearer = CM_BUF_INIT;
    cm_buf_printf(&bearer, "Bearer %s", value);
    sha256(bearer.data, bearer.len, want[1]);
    OPENSSL_cleanse(bearer.data, bearer.len);
    cm_buf_free(&bearer);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool is_post_route(Route r)
{
    return r == R_RECORD || r == R_BATCH || r == R_VISITREPORT;
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

/* Queues an answer of the request being handled (current): with its
 * request id, counted by status (and its latency for a POST). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                               size_t len, const char *retry)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"crmmap\"");
    if (retry == NULL)
        retry = retry_after(status);
    if (retry)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    Req *q = current;
    if (q) {
        MHD_add_response_header(r, "X-Request-Id", q->rid);
        serve_health_answer(&q->s->health, status, is_post_route(q->route), seconds_since(&q->start));
    }
    /* A busy server frees the connection: the client comes back on a new one. */
    if (status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer_after(struct MHD_Connection *conn, unsigned status, const char *json, size_t len,
                                    const char *retry)
{
    return respond(conn, status, "application/json", json, len, retry);
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
        { "/healthz", R_HEALTH }, { "/readyz", R_READY }, { "/status", R_STATUS }, { "/metrics", R_METRICS },
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

/* The client's address as text, for the log. */
static const char *address_text(const struct sockaddr *a, char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    if (a && a->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, buf, (socklen_t)len);
    else if (a && a->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, buf, (socklen_t)len);
    return buf;
}

static bool is_loopback(const struct sockaddr *a)
{
    if (a && a->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
    if (a && a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(v6)
            || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
    }
    return false;
}

/* GET /healthz (health: serve can do its job without an operator) and
 * GET /readyz (readiness: a record posted now would be stored). /healthz
 * fails while stopping, while the inbox cannot be written, and while the CRM
 * refuses the credentials; a CRM that is down or slow fails neither, since
 * the inbox holds records through an outage (docs/serve.md, "Health"). No
 * authorization, and no error text in the body: the failing part's name. */
static enum MHD_Result probe(ServeHttp *h, struct MHD_Connection *conn, bool ready)
{
    ServeHealth snap;
    serve_health_snapshot(&h->s->health, &snap);
    /* A failing inbox counts while its error is recent: a balancer that
     * took serve out sends nothing that could show the disk has room
     * again, so after a while serve asks for requests again (and fails
     * them anew, quickly, if it still has to). */
    const HealthComponent *inbox = &snap.part[PART_INBOX];
    bool inbox_down = inbox->state == HEALTH_FAILING && (int64_t)time(NULL) - inbox->error_at < READY_RETRY_S;
    const char *down = snap.part[PART_INTAKE].state != HEALTH_OK ? "stopping"
                     : inbox_down ? "inbox"
                     : !ready && snap.crm_refused_credentials && snap.part[PART_CRM].state == HEALTH_FAILING
                         ? "crm_credentials"
                         : NULL;
    CmBuf b = CM_BUF_INIT;
    cm_buf_printf(&b, "{\"status\": \"%s\"", down == NULL ? "ok" : ready ? "not_ready" : "failing");
    if (down)
        cm_buf_printf(&b, ", \"failing\": \"%s\"", down);
    if (ready) {
        cm_buf_puts(&b, ", \"components\": {");
        for (int i = 0; i < PART_COUNT; i++)
            cm_buf_printf(&b, "%s\"%s\": \"%s\"", i ? ", " : "", serve_health_part_name((HealthPart)i),
                          serve_health_name(snap.part[i].state));
        cm_buf_puts(&b, "}");
    }
    cm_buf_puts(&b, "}\n");
    enum MHD_Result ret = answer(conn, down == NULL ? 200 : 503, b.data, b.len);
    cm_buf_free(&b);
    return ret;
}

/* Who may read /status and /metrics: with --status-token-file whoever
 * sends that token, else loopback clients only. Never the webhook secret
 * alone: reading the counters must not need the credential that posts
 * leads, and that credential must not be spread to monitoring. */
static bool screen_status(ServeHttp *h, struct MHD_Connection *conn, const struct sockaddr *from, const Req *q,
                          enum MHD_Result *ret)
{
    char addr[INET6_ADDRSTRLEN];
    if (h->s->status_auth ? !authorized(h->want_status, conn) : !is_loopback(from)) {
        SlogField f[] = { SLOG_S("addr", address_text(from, addr, sizeof addr)),
                          SLOG_S("path", q->route == R_STATUS ? "/status" : "/metrics") };
        if (h->s->status_auth) {
            auth_limit_failed(h->limit, from);
            slog_fields(SLOG_WARN, q->rid, "failed authorization", f, 2);
            *ret = error(conn, 401, "unauthorized", "missing or wrong status token (--status-token-file)");
        } else {
            slog_fields(SLOG_WARN, q->rid, "status refused to a non-loopback client", f, 2);
            *ret = error(conn, 403, "forbidden", "/status and /metrics answer loopback clients only; "
                                                 "start serve with --status-token-file to read them from elsewhere");
        }
        return true;
    }
    CmBuf b = CM_BUF_INIT;
    if (q->route == R_STATUS) {
        serve_status_json(h->s, &b);
        *ret = answer(conn, 200, b.data, b.len);
    } else {
        serve_metrics_text(h->s, &b);
        *ret = respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, NULL);
    }
    cm_buf_free(&b);
    return true;
}

/* Makes room for n more bytes of q's body, taking the memory from the body
 * budget before allocating it. False when the budget is spent. */
static bool body_room(ServeHttp *h, Req *q, size_t n)
{
    size_t need = q->body_len + n + 1;
    if (need <= q->body_cap)
        return true;
    size_t cap = q->body_cap * 2 > need ? q->body_cap * 2 : need;
    if (cap > h->s->max_body + 1)
        cap = need > h->s->max_body + 1 ? need : h->s->max_body + 1;
    if (!guard_take(h->guard, cap - q->body_cap))
        return false;
    q->body = cm_realloc(q->body, cap);
    q->body_cap = cap;
    return true;
}

static void body_drop(ServeHttp *h, Req *q)
{
    guard_give(h->guard, q->body_cap);
    cm_free(q->body);
    q->body = NULL;
    q->body_len = q->body_cap = 0;
}

static enum MHD_Result busy_bodies(struct MHD_Connection *conn)
{
    return error_after(conn, 503, "busy", "too many request bodies are being received (--max-body-memory): "
                       "try again", "1");
}

static GuardConn *guard_conn(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The first call for a request: headers only. Returns true when it answered. */
static bool screen(ServeHttp *h, struct MHD_Connection *conn, Req *q, const char *method, enum MHD_Result *ret)
{
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (q->route == R_NONE) {
        *ret = error(conn, 404, "not_found", "no such endpoint: POST /records, /records/batch, /visitreports; "
                                             "GET /healthz, /readyz, /status, /metrics");
        return true;
    }
    bool wants_post = is_post_route(q->route);
    if (wants_post ? !post : !get) {
        *ret = error(conn, 405, "method_not_allowed", wants_post ? "use POST" : "use GET");
        return true;
    }
    if (q->route == R_HEALTH || q->route == R_READY) {
        *ret = probe(h, conn, q->route == R_READY);
        return true;
    }
    if (q->route != R_STATUS && guard_crowded(h->guard)) {
        *ret = error_after(conn, 503, "busy", "every connection is taken (--max-connections): try again", "1");
        return true;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *from = ci ? ci->client_addr : NULL;
    char addr[INET6_ADDRSTRLEN];
    int64_t wait = auth_limit_wait(h->limit, from);
    if (wait > 0) {
        char msg[160], after[24];
        snprintf(msg, sizeof msg, "more than %u failed authorizations from this address in %d s: try again in "
                 "%lld s", AUTH_FAILS_MAX, AUTH_WINDOW_S, (long long)wait);
        snprintf(after, sizeof after, "%lld", (long long)wait);
        SlogField f[] = { SLOG_S("addr", address_text(from, addr, sizeof addr)) };
        slog_fields(SLOG_WARN, q->rid, "too many failed authorizations: refused (429)", f, 1);
        *ret = error_after(conn, 429, "too_many_failures", msg, after);
        return true;
    }
    if (q->route == R_STATUS || q->route == R_METRICS)
        return screen_status(h, conn, from, q, ret);
    if (!secret_authorized(h, conn)) {
        auth_limit_failed(h->limit, from);
        bool sent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) != NULL;
        SlogField f[] = { SLOG_S("addr", address_text(from, addr, sizeof addr)),
                          SLOG_S("why", sent ? "wrong Authorization header" : "no Authorization header") };
        slog_fields(SLOG_WARN, q->rid, "failed authorization", f, 2);
        *ret = error(conn, 401, "unauthorized", "missing or wrong Authorization header");
        return true;
    }
    if (!one_length(conn)) {
        *ret = error(conn, 400, "malformed", "two different Content-Length headers: send one");
        return true;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
    if (length > h->s->max_body) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes (--max-body)", h->s->max_body);
        *ret = error(conn, 413, "too_large", msg);
        return true;
    }
    /* A body of known length is taken from the budget whole, before it is
     * read: the client learns at once, and the buffer never grows. */
    if (length > 0 && !body_room(h, q, (size_t)length)) {
        *ret = busy_bodies(conn);
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

/* The request's id: the client's X-Request-Id when it is sane, else a new
 * one (a random prefix per process, then a count). */
static void request_id(ServeHttp *h, struct MHD_Connection *conn, char rid[RID_MAX + 1])
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = v ? strlen(v) : 0;
    if (n > 0 && n <= RID_MAX && strspn(v, RID_CHARS) == n) {
        memcpy(rid, v, n + 1);
        return;
    }
    snprintf(rid, RID_MAX + 1, "%s-%llu", h->rid_prefix, (unsigned long long)atomic_fetch_add(&h->rids, 1) + 1);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size,
                               void **con_cls)
{
    (void)version;
    ServeHttp *h = cls;
    Req *q = *con_cls;
    current = q;
    if (q == NULL) {
        q = cm_calloc(1, sizeof *q);
        q->route = route_of(url);
        q->s = h->s;
        clock_gettime(CLOCK_MONOTONIC, &q->start);
        request_id(h, conn, q->rid);
        *con_cls = q;
        current = q;
        atomic_fetch_add(&h->active, 1);
        enum MHD_Result ret;
        bool answered = screen(h, conn, q, method, &ret);
        GuardConn *gc = guard_conn(conn);
        if (gc)
            guard_phase(h->guard, gc, answered ? GUARD_BUSY : GUARD_BODY);
        return answered ? ret : MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (!q->too_big && q->body_len + n > h->s->max_body) {
            q->too_big = true;
            body_drop(h, q);
        }
        if (!q->too_big && !q->over_budget && !body_room(h, q, n)) {
            q->over_budget = true;
            body_drop(h, q);
        }
        if (!q->too_big && !q->over_budget) {
            memcpy(q->body + q->body_len, upload_data, n);
            q->body_len += n;
            q->body[q->body_len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    GuardConn *gc = guard_conn(conn);
    if (gc)
        guard_phase(h->guard, gc, GUARD_BUSY);
    if (q->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes (--max-body)", h->s->max_body);
        return error(conn, 413, "too_large", msg);
    }
    if (q->over_budget)
        return busy_bodies(conn);
    if (atomic_load(&q->answered))
        return answer(conn, q->status, q->json, q->json_len);
    if (q->submitted)
        return MHD_YES;
    ServeShape shape = q->route == R_BATCH ? SHAPE_BATCH : q->route == R_VISITREPORT ? SHAPE_VISITREPORT : SHAPE_RECORD;
    q->submitted = true;
    q->conn = conn;
    pthread_mutex_lock(&h->s->stats.lock);
    h->s->stats.storing++;
    pthread_mutex_unlock(&h->s->stats.lock);
    MHD_suspend_connection(conn);
    serve_intake_submit(h->s->intake, shape, q->body ? q->body : "", q->body_len, intake_answered, q);
    /* The intake has parsed the body: its memory goes back to the budget
     * before the answer goes out (the connection is this thread's, so the
     * request cannot complete meanwhile). */
    body_drop(h, q);
    return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    ServeHttp *h = cls;
    (void)toe;
    Req *q = *con_cls;
    /* A kept-alive connection waits for its next request's headers. */
    GuardConn *gc = guard_conn(conn);
    if (gc)
        guard_phase(h->guard, gc, GUARD_HEADERS);
    if (q) {
        atomic_fetch_sub(&h->active, 1);
        body_drop(h, q);
        cm_free(q->json);
        cm_free(q);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's messages (a TLS handshake that failed, a socket error)
 * go through the log like serve's own, as warnings; repeats collapse. */
__attribute__((format(printf, 2, 0))) static void library_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    SlogField f[] = { SLOG_S("source", "libmicrohttpd") };
    slog_fields(SLOG_WARN, NULL, msg, f, 1);
}

/* Each connection's deadlines run from its accept (serve_guard.c). */
static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    ServeHttp *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? guard_open(h->guard, ci->connect_fd) : NULL;
    } else if (*socket_context) {
        guard_close(h->guard, *socket_context);
        *socket_context = NULL;
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
    ServeTlsPair *p = tls ? serve_tls_read(cfg->tls_cert, cfg->tls_key, err, errlen) : NULL;
    serve_tls_free(p);
    return !tls || p != NULL;
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
    atomic_init(&h->rids, 0);
    h->limit = auth_limit_new();
    h->guard = guard_new(cfg->max_connections, cfg->header_timeout_s * 1000u, cfg->body_timeout_s * 1000u,
                         cfg->max_body_memory);
    if (h->guard == NULL) {
        snprintf(err, errlen, "cannot start the connection watchdog thread");
        serve_http_stop(h);
        return NULL;
    }
    if (s->status_auth)
        want_digests(s->status_auth, h->want_status);
    unsigned char rnd[4] = { 0, 0, 0, 0 };
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        memcpy(rnd, &(uint32_t){ (uint32_t)time(NULL) ^ (uint32_t)getpid() }, sizeof rnd);
    snprintf(h->rid_prefix, sizeof h->rid_prefix, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    if (tls) {
        ServeTlsPair *p = serve_tls_read(cfg->tls_cert, cfg->tls_key, err, errlen);
        if (p == NULL) {
            serve_http_stop(h);
            return NULL;
        }
        serve_tls_use(p, NULL, 0);
        h->tls_cert = cfg->tls_cert;
        h->tls_key = cfg->tls_key;
    }
    /* poll(), not epoll: with a thread pool and epoll, MHD_quiesce_daemon
     * races a worker removing the listening socket from its epoll set itself,
     * and libmicrohttpd aborts the process ("Failed to remove listen FD from
     * epoll set"; seen as SIGABRT at SIGTERM in serve/sigterm under ASan).
     * With poll() quiescing wakes the workers through their ITC instead. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME
                     | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    unsigned limit = cfg->max_connections + RESERVED_CONNECTIONS;
    /* TLS adds its options through MHD_OPTION_ARRAY; without TLS the array
     * is empty, so both start with one call. The certificate and key come
     * from serve_tls's callback at each handshake (a reload replaces them). */
    struct MHD_OptionItem tls_opts[] = {
        { tls ? MHD_OPTION_HTTPS_CERT_CALLBACK2 : MHD_OPTION_END, 0, tls ? (void *)serve_tls_retrieve : NULL },
        { MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES },
        { MHD_OPTION_END, 0, NULL },
    };
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_EXTERNAL_LOGGER, library_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
                            MHD_OPTION_NOTIFY_CONNECTION, connection_event, h, MHD_OPTION_CONNECTION_LIMIT, limit,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_address,
                            MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                            MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
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
    guard_free(h->guard);
    auth_limit_free(h->limit);
    if (h->tls_cert)
        serve_tls_use(NULL, NULL, 0);
    cm_free(h);
}

bool serve_http_reload_tls(ServeHttp *h, char *msg, size_t msglen)
{
    if (h->tls_cert == NULL) {
        msg[0] = '\0';
        return true;
    }
    char err[600];
    ServeTlsPair *p = serve_tls_read(h->tls_cert, h->tls_key, err, sizeof err);
    if (p == NULL) {
        snprintf(msg, msglen, "%s", err);
        return false;
    }
    char now[320], was[320];
    snprintf(now, sizeof now, "%s", serve_tls_describe(p));
    serve_tls_use(p, was, sizeof was);
    if (strcmp(now, was) == 0)
        snprintf(msg, msglen, "TLS certificate unchanged (%s)", now);
    else
        snprintf(msg, msglen, "TLS certificate replaced for new connections: %s (was %s)", now, was);
    return true;
}
