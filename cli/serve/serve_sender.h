/* serve_sender: the background thread of `crmmap serve` that moves inbox
 * records into the CRM through the transfer engine (runtime/transfer.h) —
 * the same batching, retries, rate limits, journal and error file as
 * `crmmap run`. Records that arrive close together go out together: a round
 * starts when batch_size records are waiting or window_ms after the first
 * one arrived. Every record is fed with its inbox number as its record
 * number under one journal run key, so a record fed again after a crash or
 * a CRM outage is not written twice; it is marked done in the inbox only
 * once the engine has settled it. After a fatal CRM error (auth refused,
 * CRM unreachable after the retries) the sender waits, doubling from 1 s
 * up to 60 s, and tries again with a fresh engine.
 *
 * Mapping reloads: between rounds the sender moves to the mapping a SIGHUP
 * made current (serve_mapping.h): a fresh engine and VM, and the journal
 * under the new mapping's run key. A record is transformed with the
 * mapping current when it is fed; records a failed round left unsettled
 * are settled with the mapping they were fed with before the move.
 *
 * Retention: the inbox writer deletes expired rows (serve_intake.h); the
 * sender drops their journal entries between rounds, on its own thread,
 * where the journal is used, and vacuums the inbox and the journal once the
 * pruning caught up. */
#ifndef SERVE_SENDER_H
#define SERVE_SENDER_H

#include <stddef.h>

#include "connector.h"
#include "errfile.h"
#include "fetch.h"
#include "journal.h"
#include "serve.h"
#include "transport.h"

typedef struct ServeSenderConfig {
    Connector *c;
    Transport *tx;
    Journal *j;
    ErrFile *ef;
    size_t batch_size;          /* 0: the connector's largest batch */
    size_t max_in_flight;       /* 0: 4 */
    int window_ms;              /* how long a first record waits for company */
    const char *marker_field;   /* TransferOptions.marker_field */
    atomic_bool *cancel;        /* the transport's cancel flag (TxCurlOptions), for the bounded stop */
    FetchPolicy *fetch;         /* what URL files are fetched under (TransferOptions.fetch_ctx) */
} ServeSenderConfig;

/* How long CRM requests in flight may still take once the drain is over. */
#define SERVE_STOP_INFLIGHT_MS 10000

/* NULL with a message when the mapping cannot be sent through cfg->c. */
ServeSender *serve_sender_start(Serve *s, const ServeSenderConfig *cfg, char *err, size_t errlen);
/* n records were just stored. */
void serve_sender_wake(ServeSender *ss, size_t n);
/* A reload replaced the CRM token: a sender waiting out its backoff after
 * a CRM error tries again at once. */
void serve_sender_retry(ServeSender *ss);
/* The retention deleted these records from the inbox (durably): their
 * journal entries can go. caught_up: the last of a backlog. */
void serve_sender_forget(ServeSender *ss, const uint64_t *ids, size_t n, bool caught_up);
/* Sends what is pending for up to drain_ms, then cancels the engine: its
 * requests in flight get SERVE_STOP_INFLIGHT_MS more to finish and be
 * journaled, then the transport cancels them (cfg->cancel). Joins the
 * thread and frees; if the sender is still waiting out a CRM retry delay 5 s
 * later, exits the process (status 0) instead, as the inbox and the journal
 * hold every settled record. What was not sent stays in the inbox for the
 * next start. So a stop takes at most drain_ms + 16 s here. */
void serve_sender_stop(ServeSender *ss, int drain_ms);

#endif
