/* transport: how the runtime talks HTTP to a CRM, as a table of function
 * pointers (like Redis' connection.h), so production code runs on libcurl
 * (transport_curl.c, the only file that includes curl) and unit tests on an
 * in-process fake with scripted answers (transport_fake.c).
 *
 * The model is asynchronous: submit any number of requests, then poll for the
 * ones that completed. Each answer carries the caller's tag. A transport owns
 * the bearer token it was created with and adds the Authorization header
 * (or the API key header that stands for it) itself, so no caller ever
 * formats (or logs) it. */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct TxRequest {
    const char *method;         /* "GET", "POST", "PATCH", "DELETE" */
    const char *url;            /* absolute; checked against the URL policy */
    const char *const *headers; /* "Name: value" lines (never Authorization nor the token header) */
    size_t nheaders;
    const char *body;           /* may be NULL */
    size_t body_len;
    void *tag;                  /* returned untouched with the response */
    bool once;                  /* not idempotent: never resend it silently (see below) */
} TxRequest;

/* libcurl resends a request by itself, once, when a reused connection turns
 * out to be dead before any answer byte arrives — even when the server had
 * already applied it. Harmless for reads and upserts; for a plain create it
 * could write a record twice, so a request marked `once` gets a fresh
 * connection, where that resend never happens and a reset is reported. */

/* What went wrong below HTTP. TX_OK means an HTTP answer arrived, whatever
 * its status. */
typedef enum TxError {
    TX_OK = 0,
    TX_CONNECT,     /* could not connect (refused, DNS, unreachable): nothing was sent */
    TX_TIMEOUT,     /* connect or total timeout */
    TX_RESET,       /* the connection broke; see TxResponse.sent */
    TX_TLS,         /* certificate or handshake failure: never retried */
    TX_TOO_LARGE,   /* the answer exceeded the transport's body cap */
    TX_OTHER
} TxError;

typedef struct TxResponse {
    void *tag;
    TxError error;
    bool sent;              /* the whole request left us: the CRM may have applied it */
    int status;             /* HTTP status, 0 without an answer */
    char *body;             /* NUL-terminated, owned: tx_response_clear frees it */
    size_t body_len;
    char *retry_after;      /* the Retry-After header's value, or NULL */
    /* The final answer's headers as "name: value\n" lines, names in lower
     * case, or NULL: vendors put paging cursors (Sforce-Locator) and the
     * remaining budget (X-HubSpot-RateLimit-*, x-ms-ratelimit-*) there.
     * Read them with tx_header. */
    char *headers;
    char message[160];      /* for TX_* errors: what happened, in words */
} TxResponse;

typedef struct Transport Transport;

typedef struct TransportOps {
    /* Queues a request. False (with a message) when it is refused outright,
     * e.g. by the URL policy; nothing is queued then. The request's strings
     * are copied: the caller may free them once submit returns. */
    bool (*submit)(Transport *t, const TxRequest *req, char *err, size_t errlen);
    /* Waits up to timeout_ms for completions and moves at most max of them
     * into out; returns how many. Returns 0 at once when nothing is in flight. */
    size_t (*poll)(Transport *t, int timeout_ms, TxResponse *out, size_t max);
    size_t (*in_flight)(const Transport *t);
    /* Replaces the bearer token (copied; NULL: none) for requests submitted
     * from now on — after an OAuth refresh, or a token file reread by serve's
     * SIGHUP. Requests submitted before keep the token they were set up
     * with. The libcurl transport allows this from any thread, also while
     * another one submits. */
    void (*set_bearer)(Transport *t, const char *token);
    void (*close)(Transport *t);
} TransportOps;

struct Transport {
    const TransportOps *ops;
    /* Requests submitted, retries and token requests included: what the
     * CRM counts against a quota (run --max-calls). Zero from calloc. */
    atomic_uint_least64_t submitted;
};

static inline bool tx_submit(Transport *t, const TxRequest *r, char *err, size_t errlen)
{
    bool ok = t->ops->submit(t, r, err, errlen);
    if (ok)
        atomic_fetch_add(&t->submitted, 1);
    return ok;
}
/* Requests submitted through t so far. */
static inline uint64_t tx_submitted(Transport *t) { return atomic_load(&t->submitted); }
static inline size_t tx_poll(Transport *t, int timeout_ms, TxResponse *out, size_t max)
{
    return t->ops->poll(t, timeout_ms, out, max);
}
static inline size_t tx_in_flight(const Transport *t) { return t->ops->in_flight(t); }
static inline void tx_set_bearer(Transport *t, const char *token) { t->ops->set_bearer(t, token); }
static inline void tx_close(Transport *t) { t->ops->close(t); }

void tx_response_clear(TxResponse *r);
/* The value of r's header name (any case), trimmed, copied into buf; NULL
 * when the answer has no such header or its value does not fit. */
const char *tx_header(const TxResponse *r, const char *name, char *buf, size_t buflen);
const char *tx_error_name(TxError e);

/* Submits one request and waits for its answer (the simple path for
 * `schema pull`). On a refused submit, out->error is TX_OTHER with the reason. */
void tx_send_wait(Transport *t, const TxRequest *req, TxResponse *out);

/* ---- libcurl ---------------------------------------------------------- */

typedef struct TxCurlOptions {
    long connect_timeout_ms;    /* 0: 10 s */
    long total_timeout_ms;      /* 0: 120 s */
    size_t max_in_flight;       /* 0: 8; more requests wait in a queue */
    size_t max_body;            /* 0: 64 MiB */
    bool allow_plain_http;      /* http:// to loopback addresses (test servers) */
    const char *bearer_token;   /* NULL: no Authorization header; copied */
    /* NULL: the token goes as "Authorization: Bearer"; else the name of the
     * header it goes in, alone ("x-api-token": an API key header). A header
     * of our own would follow a redirect to another host, so such a
     * transport follows none. Copied. */
    const char *token_header;
    FILE *verbose;              /* NULL, or where to print requests (token redacted) */
    const char *ca_file;        /* NULL: the system's CA store */
    /* NULL, or a flag another thread may set: from then on every request
     * in flight or submitted ends within about a second, as TX_OTHER with
     * sent true (it may have been applied). serve's bounded stop. */
    const atomic_bool *cancel;
} TxCurlOptions;

/* libcurl's global set-up, run once for every libcurl user in the process
 * (the transport, the file fetcher); false when it failed. */
bool tx_curl_global_init(void);

/* The options every libcurl request crmmap makes has, whoever makes it (the
 * transport, the file fetcher): no signals, the protocols the URL policy
 * allows (https; http too with allow_plain_http), TLS verification against
 * ca_file (NULL: the system's store), the connect and total time limits.
 * easy is a CURL *: this header does not include curl. */
void tx_curl_base_options(void *easy, bool allow_plain_http, const char *ca_file, long connect_ms, long total_ms);

/* NULL (with a message) when libcurl cannot be initialised. */
Transport *tx_curl_new(const TxCurlOptions *opt, char *err, size_t errlen);

/* The URL policy alone: https:// anywhere; http:// only to a loopback host
 * (127.0.0.0/8, ::1, localhost) and only when allow_plain_http. */
bool tx_url_allowed(const char *url, bool allow_plain_http, char *err, size_t errlen);

/* The host url names, as libcurl parses it (so the host a request would go
 * to), in lower case: a name, an IPv4 address or a bracketed IPv6 address.
 * False with a message for a URL that does not parse, has no host, carries
 * credentials or a host of hostlen characters or more. */
bool tx_url_host(const char *url, char *host, size_t hostlen, char *err, size_t errlen);

/* 127.0.0.0/8, [::1] or localhost: the hosts the policy calls loopback. */
bool tx_host_is_loopback(const char *host);

/* ---- the fake ----------------------------------------------------------- */

/* A scripted answer. error TX_OK answers with status/body; anything else
 * fails the request the way the real transport would. */
typedef struct TxFakeAnswer {
    TxError error;
    bool sent;
    int status;
    const char *body;
    const char *retry_after;
    const char *headers;    /* "Name: value\n" lines, or NULL */
} TxFakeAnswer;

/* Called for a request when no scripted answer is queued: fills *answer
 * (strings must stay valid until the next call). */
typedef void (*TxFakeHandler)(void *ctx, const TxRequest *req, TxFakeAnswer *answer);

typedef struct TxFakeRequest {
    char *method, *url, *body;
    char *bearer;           /* the token the request carried, or NULL */
    size_t body_len;
    char **headers;
    size_t nheaders;
} TxFakeRequest;

Transport *tx_fake_new(TxFakeHandler handler, void *ctx);
/* Queues an answer for the next request without one (FIFO). */
void tx_fake_push(Transport *t, TxFakeAnswer answer);
/* Every request submitted so far, in order. */
const TxFakeRequest *tx_fake_request(const Transport *t, size_t i);
size_t tx_fake_nrequests(const Transport *t);

#endif
