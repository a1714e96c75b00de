/* serve: what the parts of `crmmap serve` share (docs/serve.md) — the HTTP
 * front (serve_http.c: libmicrohttpd, auth, limits, routes), the intake
 * (serve_intake.c: request bodies to source records, checked by the
 * mapping, stored durably in the inbox with group commit) and the sender
 * (serve_sender.c: a background thread feeding inbox records to the
 * transfer engine). Around them: the health of each part and the counters
 * (serve_health.c), the CRM's answers counted on the way (serve_crmwatch.c),
 * and what /status (serve_status.c) and /metrics (serve_metrics.c) show.
 * cmd_serve.c wires them together. */
#ifndef SERVE_H
#define SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "errfile.h"
#include "inbox.h"
#include "mapc.h"
#include "serve_health.h"
#include "serve_mapping.h"
#include "serve_secret.h"

typedef struct ServeIntake ServeIntake;
typedef struct ServeSender ServeSender;

/* The last SIGHUP, for /status and /metrics; guarded by ServeStats.lock. */
typedef struct ServeReloaded {
    uint64_t count, failed;     /* reloads, and those of which a part was refused */
    int64_t at;                 /* unix seconds of the last one, 0: none */
    bool ok;                    /* every part of the last one was taken */
    char error[400];            /* the first refusal of the last one, "" when ok */
} ServeReloaded;

/* Counters shown by GET /status; guarded by lock. */
typedef struct ServeStats {
    pthread_mutex_t lock;
    uint64_t requests;          /* POSTs answered */
    uint64_t storing;           /* POSTs waiting for their records to be stored */
    uint64_t accepted;          /* records newly stored */
    uint64_t duplicates;        /* records recognised as already stored */
    uint64_t rejected;          /* records the mapping refused (422) */
    uint64_t sent_ok, sent_partial, sent_failed, sent_skipped;  /* units the engine finished */
    uint64_t batches;           /* engine runs */
    uint64_t batch_records;     /* records in them, for the average batch size */
    uint64_t crm_requests;
    uint64_t pruned;            /* inbox rows removed by the retention */
    uint64_t prune_steps;       /* steps that removed some */
    int64_t prune_last_us, prune_max_us;    /* what such a step added to a commit */
    int rate_max;               /* the connector's client-side limit, 0: none */
    int64_t rate_window_ms;
    int64_t started_at;
    ServeReloaded reloaded;
} ServeStats;

typedef struct Serve {
    ServeMappingSlot mapping;   /* the mapping in use; SIGHUP may replace it */
    Inbox *inbox;
    ServeIntake *intake;
    ServeSender *sender;        /* NULL when nothing is sent (--no-send) */
    ErrFile *ef;                /* the error file, also for records refused at intake */
    ServeStats stats;
    size_t max_body;
    int64_t max_inbox;          /* --max-inbox: bytes the inbox may take, then 507 */
    int64_t retain_s;           /* --retain: done records are pruned after this long */
    const char *status_auth;    /* --status-token-file's token for /status and /metrics;
                                 * NULL: they answer loopback clients only */
    ServeHealth health;
    ServeSecrets secrets;       /* the accepted Authorization values; SIGHUP reloads them */
} Serve;

/* What /status and /metrics show, read at one moment (serve_status.c). */
typedef struct ServeView {
    bool counted;               /* the inbox could be counted */
    InboxCounts inbox;
    int64_t oldest_pending_s;   /* age of the oldest pending record, -1: none */
    ServeStats stats;
    ServeHealth health;
    int64_t now;                /* unix seconds */
} ServeView;
void serve_view(Serve *s, ServeView *v);

/* GET /status's JSON (serve_status.c). */
void serve_status_json(Serve *s, CmBuf *out);
/* GET /metrics in the Prometheus text format (serve_metrics.c). */
void serve_metrics_text(Serve *s, CmBuf *out);

#endif
