/* connector: one CRM's write API as the runtime sees it — how a batch of
 * records becomes one HTTP request in the vendor's documented shape, and how
 * the vendor's answer becomes one result per record, in input order.
 * Implementations: one per CRM, each opened through its CrmVendor
 * (crm_vendor.h). They only build and parse; conn_send and conn_link_all
 * (connector.c) move the bytes through a Transport with the retry policy,
 * so every connector is unit-tested with the fake transport against the
 * vendors' answers.
 *
 * A record's payload is a JSON object of field -> value exactly as the VM's
 * dry run prints it (docs/run.md): the connector adds only what its API needs
 * around it (the vendor's envelope, string values, URLs). */
#ifndef CONNECTOR_H
#define CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "ratelimit.h"
#include "retry.h"
#include "transport.h"

typedef enum ConnOp { CONN_CREATE, CONN_UPDATE, CONN_UPSERT } ConnOp;

/* One field of a record as plain text, for a bulk engine's CSV: what the
 * payload says of it, without JSON (the engine writes it from the VM's
 * values, so no payload is parsed again). */
typedef struct ConnCell {
    uint32_t col;           /* into ConnBulk.columns; a record's cells ascend by it */
    bool clear;             /* `clear`: the field is blanked (text unused) */
    /* A ref by its parent's key: the parent's key field (an external id),
     * text the parent's key. NULL: text is the value (for a ref the
     * parent's CRM id). */
    const char *by;
    const char *text;
    size_t len;
} ConnCell;

typedef struct ConnCells {
    const ConnCell *at;
    size_t n;
} ConnCells;

typedef struct ConnRecord {
    const char *payload;    /* a JSON object (text) */
    const char *key;        /* update/upsert: the key field's value; NULL for create */
} ConnRecord;

typedef struct ConnBatch {
    const char *entity;     /* Salesforce sObject, HubSpot object type, Dynamics entity set */
    ConnOp op;
    const char *key_field;  /* update/upsert: the key (Salesforce Id / external id, HubSpot
                             * idProperty, Dynamics alternate key attribute or NULL for the id) */
    const ConnRecord *records;
    size_t n;
} ConnBatch;

typedef struct ConnResult {
    bool ok;
    bool created;           /* known for Salesforce and HubSpot upserts, and creates */
    bool retry;             /* a transient error for this record alone (e.g. UNABLE_TO_LOCK_ROW) */
    char id[96];            /* the CRM's id of the record */
    char code[64];          /* the CRM's error code */
    char message[320];      /* the CRM's error message */
    char field[128];        /* the field the CRM names in the error, if any */
} ConnResult;

typedef enum ConnStatus {
    CONN_OK,            /* results[] hold one answer per record (some may have failed) */
    CONN_REJECTED,      /* the CRM refused the request as a whole; each result carries why */
    CONN_AUTH,          /* 401/403: fatal for the run */
    CONN_UNAVAILABLE,   /* transient failures outlasted the retries; outcome unknown */
    CONN_BAD_ANSWER,    /* the answer could not be understood; outcome unknown */
    CONN_BUSY           /* from parse only: the CRM asked us to come back later (a
                         * Salesforce REQUEST_LIMIT_EXCEEDED); conn_send retries it */
} ConnStatus;

/* Reading the CRM's current records by key, for `master crm` and
 * `on create` (docs/run.md): which keys exist, their ids, and the values of
 * the fields asked for. */
typedef struct ConnRead {
    const char *entity;
    const char *key_field;
    const char *const *keys;
    size_t n;               /* at most max_read keys */
    const char *const *fields;  /* field names: letters, digits, '_' */
    size_t nfields;
} ConnRead;

typedef struct ConnCurrent {
    bool found;
    char id[96];
    char *fields;           /* a JSON object of the fields asked for, as the CRM holds them; owned */
} ConnCurrent;

void conn_current_clear(ConnCurrent *c);
/* True when the CRM holds no value for field in c (null, missing, blank), for
 * `master crm`: a record not found holds none. */
bool conn_current_empty(const ConnCurrent *c, const char *field);

/* One link between two CRM records that an API makes in a step of its own
 * after the write (HubSpot: an association for an updated or upserted
 * record, whose batch input takes none). */
typedef struct ConnLink {
    size_t job, record;         /* whose: jobs[job].batch->records[record] (conn_link_all sets them) */
    char from_type[100], to_type[100];  /* links of one pair of types share a request */
    char from[96], to[96];      /* the CRM ids (from: the written record's, set by conn_link_all) */
    long kind;                  /* the link's type (HubSpot: the associationTypeId) */
    char field[128];            /* the payload field that asked for it, for the error file */
} ConnLink;

/* One HTTP request, built by a connector. */
typedef struct ConnRequest {
    const char *method;
    CmBuf url;
    const char *headers[4];
    size_t nheaders;
    CmBuf body;
    char content_type[96];  /* a header a build writes (a multipart boundary), for headers[] */
} ConnRequest;

typedef struct Connector Connector;
struct ConnBulk;
struct ConnBulkRead;

typedef struct ConnectorOps {
    const char *system;
    /* Largest batch the API takes for op on entity (the target's name). */
    size_t (*max_batch)(const Connector *c, const char *entity, ConnOp op);
    /* False (with a message) when a record cannot be sent: payload not a JSON
     * object, key missing. */
    bool (*build)(const Connector *c, const ConnBatch *b, ConnRequest *out, char *err, size_t errlen);
    /* Reads an HTTP answer (error == TX_OK, status not 401/429/5xx) into
     * results[0..b->n). Returns CONN_OK, CONN_REJECTED, CONN_AUTH,
     * CONN_BAD_ANSWER or CONN_BUSY; msg gets a summary for all but CONN_OK. */
    ConnStatus (*parse)(const Connector *c, const ConnBatch *b, const TxResponse *r, ConnResult *results,
                        char *msg, size_t msglen);
    /* True when the API refuses a whole batch for one bad input (HubSpot's
     * 400 VALIDATION_ERROR): conn_send then splits the batch to find it. */
    bool split_rejected;
    /* Reading: at most max_read keys a request; the request, and its answer
     * into out[0..r->n) (every key answered: found or not). */
    size_t max_read;
    bool (*build_read)(const Connector *c, const ConnRead *r, ConnRequest *out, char *err, size_t errlen);
    ConnStatus (*parse_read)(const Connector *c, const ConnRead *r, const TxResponse *resp, ConnCurrent *out,
                             char *msg, size_t msglen);
    /* The after-write link step; NULL where writes carry their links. links
     * returns the links record i of b asks for (a cm_malloc'd array in *out,
     * from/job/record left for the caller), only for writes that may be
     * sent again (update, upsert): a step whose outcome is unknown leaves
     * the records to be resent, links and all, so linking must be
     * idempotent. At most max_links go in one request; build_links and
     * parse_links are build and parse for one request of links sharing
     * from_type and to_type (results[k] for links[k]; CONN_REJECTED: the
     * request was refused as a whole and each result carries why). */
    size_t (*links)(const Connector *c, const ConnBatch *b, size_t i, ConnLink **out);
    size_t max_links;
    bool (*build_links)(const Connector *c, const ConnLink *const *links, size_t n, ConnRequest *out, char *err,
                        size_t errlen);
    ConnStatus (*parse_links)(const Connector *c, const ConnLink *const *links, size_t n, const TxResponse *r,
                              ConnResult *results, char *msg, size_t msglen);
    void (*free)(Connector *c);
    /* The CRM's own bulk engine for large writes (docs/run.md, "Bulk");
     * NULL: none. The records it leaves unanswered (ConnBulk.answered) go
     * by the batch requests above, with their link step. */
    ConnStatus (*bulk)(const Connector *c, Transport *t, struct ConnBulk *b, const RetryPolicy *p,
                       const RetryClock *clk, char *msg, size_t msglen);
    /* The current records of any number of keys through the CRM's own
     * bulk query engine, for a group that goes by bulk (docs/run.md,
     * "Bulk"); NULL: reads go max_read keys a request. */
    ConnStatus (*read_bulk)(const Connector *c, Transport *t, struct ConnBulkRead *r, const RetryPolicy *p,
                            const RetryClock *clk, char *msg, size_t msglen);
} ConnectorOps;

struct Connector {
    const ConnectorOps *ops;
    char *base;             /* base URL without a trailing '/' */
    char *api_version;
    RateLimit *limit;       /* requests per window, shared by every batch sent */
    /* Reads what an answer's headers say of the budget (the vendor's
     * CrmVendor.rate_headers, set by conn_set_pacing); NULL: nothing. */
    void (*rate_headers)(const TxResponse *r, RateSeen *out);
    /* Told once, when the daily quota an answer states falls below a
     * tenth (Salesforce's Sforce-Limit-Info); NULL: not told. */
    void (*quota_low)(void *ctx, int64_t remaining, int64_t max);
    void *quota_low_ctx;
    bool (*refresh)(void *ctx);     /* on 401: get a new token (auth_refresh); NULL: 401 is final */
    void *refresh_ctx;
    /* Non-NULL where a read by any key but this id field answers ids
     * alone (Pipedrive's search holds no field values): conn_read then
     * reads the records found again by it when fields are asked for. Set
     * by the connector's constructor. */
    const char *values_by;
    /* Where the ops write a batch as one request applied all or nothing,
     * which one bad record refuses whole (Dataverse's UpsertMultiple): each
     * builds and parses the same write with one operation a record, each
     * answered on its own (a $batch), and all_or_nothing says, as a batch's
     * request is first built, whether it goes the ops' way (else each's).
     * A set refused whole the ops' way is sent again each's way, once. Set
     * by the connector's constructor; NULL: the ops alone. */
    bool (*all_or_nothing)(const Connector *c, const ConnBatch *b);
    const ConnectorOps *each;
};

void conn_free(Connector *c);
/* On a 401, call refresh(ctx) once per request and, when it returns true,
 * send the request again (OAuth tokens expire in the middle of runs). */
void conn_set_refresh(Connector *c, bool (*refresh)(void *ctx), void *ctx);
/* Replaces the rate limit; max <= 0 removes its window. pinned (--rate):
 * a window the CRM's headers state does not replace it. */
void conn_set_rate_limit(Connector *c, int max, int64_t window_ms, bool pinned);
/* Every answer's headers are read by rate_headers and move the rate limit
 * (ratelimit_follow); a connector without a window gets one of none. */
void conn_set_pacing(Connector *c, void (*rate_headers)(const TxResponse *r, RateSeen *out));

void conn_request_free(ConnRequest *r);

/* Builds, sends with retries (429, 5xx, timeouts, resets; a retried create
 * only when the transport could not have sent it), parses. A batch refused
 * as a whole by an API that does that for one bad input is split in halves
 * until the bad inputs alone fail, or, where the connector has a request
 * answering each record on its own (all_or_nothing), sent again as that. Every request
 * waits for the connector's rate limit first (on clk). Records the CRM
 * marks as transiently failed (result.retry) are sent again on their own, up
 * to the policy's attempts. msg explains any status but CONN_OK. */
ConnStatus conn_send(const Connector *c, Transport *t, const ConnBatch *b, const RetryPolicy *p,
                     const RetryClock *clk, ConnResult *results, char *msg, size_t msglen);

/* Reads the current records for r's keys, with retries (reads are
 * idempotent): one request, or, for a connector with values_by and fields
 * asked for, the key read and then one read by id (max_read ids a request)
 * for the records it found; a record gone between the two is not found.
 * On anything but CONN_OK, out[] is cleared. */
ConnStatus conn_read(const Connector *c, Transport *t, const ConnRead *r, const RetryPolicy *p,
                     const RetryClock *clk, ConnCurrent *out, char *msg, size_t msglen);

struct ConnJob;

/* What a journal hears of a job while conn_send_all drives it, so that it
 * can know which records truly left and record each answer as it comes,
 * not a whole round at once. Indexes are into job->batch->records. */
typedef struct ConnWatch {
    /* Right before the first attempt of a request carrying records
     * [at, at + n) leaves (a batch, or a half of one refused whole). False:
     * the request is not sent and its records end CONN_UNAVAILABLE. */
    bool (*leaving)(void *ctx, const struct ConnJob *job, size_t at, size_t n);
    /* These records' results are final (written, or refused for good),
     * while other requests may still be in flight. The rest are settled
     * when conn_send_all returns. */
    void (*answered)(void *ctx, const struct ConnJob *job, const size_t *records, size_t n);
    void *ctx;
} ConnWatch;

/* One batch for conn_send_all, with room for its answer. */
typedef struct ConnJob {
    const ConnBatch *batch;
    ConnResult *results;    /* batch->n of them */
    ConnStatus status;
    char msg[256];
    const ConnWatch *watch; /* NULL: none */
} ConnJob;

/* conn_send for many batches, up to max_in_flight requests at once on the
 * transport (each retried on its own schedule). Records refused for the
 * moment are sent again afterwards, a batch at a time. A job's watch hears
 * of its requests as they leave and land. */
void conn_send_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, size_t max_in_flight,
                   const RetryPolicy *p, const RetryClock *clk);

/* The after-write link step for jobs conn_send_all has settled: the links
 * every written record (results[i].ok) asks for, grouped by from_type and
 * to_type, at most max_links a request, each request sent with retries
 * (like a read: linking is idempotent), a request refused whole split in
 * halves when the API does that for one bad input (split_rejected), links
 * without an answer sent again. A record whose link the CRM refused is
 * failed: its result gets the CRM's code, its message (after saying the
 * record was written, and its id) and the link's field. Returns CONN_OK once every
 * link has an answer; CONN_AUTH, CONN_UNAVAILABLE or CONN_BAD_ANSWER (msg
 * says why) when some outcome is unknown, results untouched. *requests
 * counts the requests sent (retries excluded). */
ConnStatus conn_link_all(const Connector *c, Transport *t, ConnJob *jobs, size_t njobs, const RetryPolicy *p,
                         const RetryClock *clk, uint64_t *requests, char *msg, size_t msglen);

/* One request of a connector's own, driven like every write and read:
 * built, sent when the rate limit allows, retried while transient (once:
 * only when it cannot have been applied), a 401 refreshed once, the answer
 * judged by answer (whose status ends it; CONN_BUSY and, but for once,
 * CONN_BAD_ANSWER are retried). */
typedef struct ConnCall {
    bool (*build)(const Connector *c, void *ctx, ConnRequest *req, char *msg, size_t msglen);
    ConnStatus (*answer)(const Connector *c, void *ctx, const TxResponse *r, char *msg, size_t msglen);
    void *ctx;
    bool once;
} ConnCall;

ConnStatus conn_call(const Connector *c, Transport *t, const ConnCall *call, const RetryPolicy *p,
                     const RetryClock *clk, char *msg, size_t msglen);

/* What a bulk engine is told and tells of the jobs it runs for one
 * group of records, so that a run killed while a job was under way
 * continues that job instead of sending its records again. at: the
 * position in the group of a job's first record. */
typedef struct ConnBulkWatch {
    /* The job a previous run journaled for the job starting at at: true
     * with its id and the state journaled. */
    bool (*job_get)(void *ctx, size_t at, char *id, size_t idlen, char *state, size_t statelen);
    /* Journals (durably) the job starting at at; false: it could not be. */
    bool (*job_put)(void *ctx, size_t at, const char *id, const char *state);
    void *ctx;
} ConnBulkWatch;

/* One group of records for a bulk engine: as many jobs as its size needs,
 * each created, uploaded, closed, polled until it ends and its results
 * read, matched to the records by key (by the whole row for a keyless
 * create), never by order. */
typedef struct ConnBulk {
    const ConnBatch *batch;     /* any number of records */
    ConnResult *results;        /* batch->n */
    bool *answered;             /* batch->n: results[i] holds the CRM's answer; false: the job did not
                                 * process it (its own request must send it) */
    int64_t poll_ms;            /* the first wait before polling a job (doubling, at most 32 times) */
    const ConnBulkWatch *watch;
    uint64_t requests;          /* requests sent (retries excluded), added to */
    /* The records as cells (batch->n), the CSV written from them; the
     * field name of each ConnCell.col. */
    const ConnCells *cells;
    const char *const *columns;
    size_t ncolumns;
    bool want_ids;              /* the records' CRM ids are needed (a later entity refers to them): an
                                 * engine whose jobs answer none reads them back */
} ConnBulk;

/* One read of a group's current records by a bulk query job: out[i] for
 * read->keys[i] (any number of them), matched by key without case, never by
 * order. The job is journaled through watch at position 0 with a state
 * that names the query, so that a run killed after the job ended reads
 * its results instead of querying again. */
typedef struct ConnBulkRead {
    const ConnRead *read;
    ConnCurrent *out;
    int64_t poll_ms;            /* as ConnBulk.poll_ms */
    const ConnBulkWatch *watch;
    uint64_t requests;          /* requests sent (retries excluded), added to */
} ConnBulkRead;

/* Waits before a bulk engine's next poll of a job: b->poll_ms (0: 1,000)
 * the first time (*wait 0), then twice as long each time, up to 32 times
 * that. */
void conn_bulk_pause(const ConnBulk *b, const RetryClock *clk, int64_t *wait);

/* Helpers for the implementations. */
void conn_init(Connector *c, const ConnectorOps *ops, const char *base_url, const char *api_version);
/* ConnectorOps.free for a connector that holds nothing of its own. */
void conn_free_plain(Connector *c);
void conn_result_error(ConnResult *r, const char *code, const char *message, const char *field);
/* True for a field name that may go into a query: letters, digits, '_'. */
bool conn_plain_name(const char *s);

#endif
