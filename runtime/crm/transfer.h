/* transfer: the run loop that moves mapped records into a CRM (docs/run.md) —
 * the "transfer engine" behind `crmmap run` and `crmmap serve`. It owns
 * batching per entity, reading the CRM's current records for `master crm`
 * (if_empty), `on create` and create-only fields, linking children to their parent's CRM
 * id, the connector's after-write link step (HubSpot associations on
 * updates and upserts) before a unit counts as done, skipping children whose
 * parent failed, the journal states that make `--resume` safe, the error
 * file lines, and the per-run counts.
 *
 * The caller feeds records one at a time (the VmResults of vm_run and the
 * record's input text); the engine copies what it needs, so the VM may run
 * the next record at once. Records are held in a window and sent when it is
 * full (or at transfer_finish): per entity in file order, parents before
 * children, up to max_in_flight requests at once.
 *
 * Counting: one unit per record and entity that produced something (an
 * entity whose `when` is false counts nothing), plus one per malformed
 * input record. A unit ends ok (the CRM accepted it), failed (the CRM
 * refused it, the mapping rejected it, a runtime error, a malformed record:
 * each has one error file line) or skipped (not sent: its parent failed, was
 * rejected or produced no record); an accepted unit the VM made without some
 * value (VmPartial) counts as partial instead of ok, with one error file
 * line, "state": "partial", per note. ok + partial + failed + skipped == in.
 *
 * An engine holds no process-global state: several may run at once, each
 * on its own thread with its own Connector, Transport, Journal and ErrFile.
 * transfer_cancel is the one call that may come from another thread. */
#ifndef TRANSFER_H
#define TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connector.h"
#include "errfile.h"
#include "journal.h"
#include "mapc.h"
#include "retry.h"
#include "transport.h"
#include "vm.h"

typedef struct TransferStats {
    uint64_t in, ok, partial, failed, skipped;   /* partial: sent, with error file lines (VmPartial) */
    uint64_t requests;          /* write, read and link requests sent, retries excluded */
    uint64_t resumed;           /* units whose outcome came from the journal */
} TransferStats;

/* One settled unit, for per-record output (`run` prints it on stdout). */
typedef struct TransferUnit {
    uint64_t record;
    const char *entity;         /* NULL: the record itself (malformed input) */
    JState state;               /* J_OK, J_FAILED, J_REJECTED or J_SKIPPED */
    const char *crm_id;         /* J_OK: the CRM's id */
    const char *code;           /* otherwise: the CRM's error code, REJECTED, MAPPING_ERROR,
                                 * BAD_INPUT, PARENT or PARENT_FAILED */
    const char *message;        /* why, or NULL */
    bool resumed;               /* the outcome came from the journal */
    bool partial;               /* J_OK, sent without some values (error file lines, "state": "partial") */
} TransferUnit;

/* Whether a group of records goes through the CRM's bulk engine
 * (ConnectorOps.bulk, docs/run.md "Bulk"). */
typedef enum TransferBulk { TRANSFER_BULK_OFF = 0, TRANSFER_BULK_AUTO, TRANSFER_BULK_ON } TransferBulk;

/* The window `run` gives the engine where bulk jobs may be used: a job
 * costs about seven requests whatever its size, so each should be large. */
#define TRANSFER_BULK_WINDOW 25000u

/* Fetches the file a URL names under the run's fetch policy: on success *data (cm_malloc'd: the caller
 * cm_free's it), *len and *media_type (cm_malloc'd, the served Content-Type); false with a reason in err. */
typedef bool (*FileFetchFn)(void *ctx, const char *url, const char *want_type, unsigned char **data,
                            size_t *len, char **media_type, char *err, size_t errlen);

typedef struct TransferOptions {
    size_t batch_size;          /* 0 or more than an entity's max_batch: its max_batch */
    size_t max_in_flight;       /* 0: 4 */
    size_t window;              /* records held before sending; 0: the largest entity's batch
                                 * size * max_in_flight * 8
                                 * (a window ends by waiting for its slowest request:
                                 * 32 batches make that wait small) */
    RetryPolicy retry;          /* all zero: retry_policy_default() */
    const RetryClock *clock;    /* NULL: retry_system_clock() */
    /* Outcomes recorded in the journal for this run key are honoured: done
     * units are not sent again, unanswered ones are sent again (idempotently:
     * upserts by key; a create with a `key` goes out as an upsert by it). A
     * keyless create where the CRM takes client ids (CrmVendor.client_ids)
     * carries its own id and is resent like an upsert. Any other keyless
     * create left J_SENDING (its request left, its answer was lost) is read
     * back by its marker where marker_field is set (and sent only when the
     * CRM does not hold it), and otherwise fails as UNAVAILABLE. */
    bool resume;
    /* A text field of every keyless create entity that gets a marker
     * derived from the unit's journal entry (ConnConfig.marker_field);
     * NULL: none. */
    const char *marker_field;
    /* Creates and upserts of one entity in a window go as bulk jobs where
     * the connector has a bulk engine: always (ON), or (AUTO) when at least
     * bulk_threshold (0: 2,000) of them are to be sent. A job a previous
     * run journaled is continued whatever this says. Their answers are
     * polled for after bulk_poll_ms (0: 1,000), doubling. */
    TransferBulk bulk;
    size_t bulk_threshold;
    int64_t bulk_poll_ms;
    /* The run stops (a fatal error: what is unsent stays for --resume) at
     * the first round after the transport has submitted more than this
     * many requests, retries included; 0: no limit. */
    uint64_t max_calls;
    /* Called after every window that was sent, and at the end; may be NULL. */
    void (*progress)(void *ctx, const TransferStats *s);
    void *progress_ctx;
    /* Called for every unit once its outcome is durable in the journal (units
     * count in the stats from then on too); may be NULL. */
    void (*unit)(void *ctx, const TransferUnit *u);
    void *unit_ctx;
    FileFetchFn fetch_file; void *fetch_ctx;  /* NULL: URL files are partial */
} TransferOptions;

typedef struct Transfer Transfer;

/* An engine for m (verified), writing through c and t, journaling to j and
 * logging failures to ef (neither may be NULL; all must outlive it). Without
 * opt.resume, j's entries for its run key are cleared first. NULL with a
 * message in err when m cannot be sent by c (e.g. a system mismatch). */
Transfer *transfer_new(const Mapc *m, Connector *c, Transport *t, Journal *j, ErrFile *ef,
                       const TransferOptions *opt, char *err, size_t errlen);
void transfer_free(Transfer *t);

/* One input record: record is its 1-based number, results the
 * m->nentities VmResults vm_run returned for it, input its text as read
 * (input_is_json: well-formed JSON), line the input line it starts at (0:
 * unknown). False once the run has hit a fatal error (transfer_error). */
bool transfer_record(Transfer *t, uint64_t record, const VmResult *results, const char *input,
                     size_t input_len, bool input_is_json, size_t line);

/* One malformed input record (the reader's RD_BAD_RECORD): a failed unit. */
bool transfer_bad_record(Transfer *t, uint64_t record, const char *why, const char *input, size_t input_len,
                         size_t line);

/* Sends everything still held. False on a fatal error. */
bool transfer_finish(Transfer *t);

/* Asks the engine to stop: it finishes the requests in flight, journals
 * their answers and then refuses further records (transfer_record returns
 * false, transfer_error says "cancelled"). Safe from any thread. */
void transfer_cancel(Transfer *t);

const TransferStats *transfer_stats(const Transfer *t);

/* A fatal error ended the run (authentication refused, the CRM unreachable
 * after the retries, the journal or error file unwritable): what happened,
 * or NULL while there is none. Units without an answer stay unjournaled
 * (J_NONE) or, keyless creates, J_SENDING, so `--resume` picks them up. */
const char *transfer_error(const Transfer *t);

struct CrmVendor;
/* How the engine sends entity i of m to vendor v (what an estimate of a
 * run's calls prices, budget.h): the operation, whether the CRM's current
 * records are read first (read; read_bulk: when it goes as a bulk job),
 * an update by the id read or an upsert split into updates and creates
 * by a read, and the entity taking its misses (`when no`; -1: none). */
typedef struct TransferEntityPlan {
    ConnOp op;
    bool read, read_bulk, id_from_read, upsert_by_read;
    int32_t fallback;
} TransferEntityPlan;

void transfer_entity_plan(const Mapc *m, const struct CrmVendor *v, uint32_t i, TransferEntityPlan *out);

/* Records a request for the mapping's entity written as op through c: the
 * API's limit for it (ConnectorOps.max_batch of its target) within
 * batch_size (0: none). Each entity goes in batches of its own size, so
 * HubSpot's files, one a request, leave its contacts 100 a request; the
 * estimate (budget.h) counts them so too. */
size_t transfer_entity_batch(const Connector *c, const struct CrmVendor *v, const char *entity, ConnOp op,
                             size_t batch_size);

/* The journal's run key for m on an input: the mapping's fingerprint (hex)
 * and the input's identity (for a file its absolute path, size and
 * modification time; "-" for stdin), written to out. */
void transfer_run_key(const Mapc *m, const char *input_path, char *out, size_t outlen);

/* The run key of serve's inbox: the fingerprint and the inbox's absolute
 * path alone. The inbox grows, so its size and time say nothing, and its
 * record numbers never repeat, so one key serves every restart. */
void transfer_inbox_run_key(const Mapc *m, const char *inbox_path, char *out, size_t outlen);

#endif
