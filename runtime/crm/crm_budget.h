/* crm_budget: what a vendor's rule prices — one round of one entity as the
 * transfer engine sends it (keys unique within the round) — and the API
 * calls it costs by kind (docs/run.md, "The API budget"). Each vendor prices
 * its own paths in one function of its own file (CrmVendor.budget_round);
 * crm_budget_rest is the REST path most share. */
#ifndef CRM_BUDGET_H
#define CRM_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connector.h"

typedef enum CrmCallKind {
    CALL_READS,         /* the current records read by key */
    CALL_WRITES,        /* creates, updates, upserts */
    CALL_BULK,          /* a bulk job's own requests: create, upload, close, result files */
    CALL_POLLS,         /* asking whether a bulk job ended */
    CALL_LINKS,         /* links made after the write (HubSpot associations) */
    CALL_AUTH,          /* access tokens */
    CALL_SCHEMA,        /* the drift check's field definitions */
    CALL__COUNT
} CrmCallKind;

typedef struct CrmCalls {
    uint64_t n[CALL__COUNT];
    uint64_t jobs;      /* bulk jobs (their calls are in CALL_BULK and CALL_POLLS) */
} CrmCalls;

typedef struct CrmBudgetRound {
    const Connector *c;     /* for its max_batch, max_read and bulk engine */
    ConnOp op;
    size_t n;               /* units sent */
    size_t batch;           /* records per request (--batch-size within the API's limit) */
    bool read;              /* the current records are read first */
    bool bulk;              /* the round goes as a bulk job */
    uint64_t bytes;         /* the payloads' bytes, about what a bulk upload carries */
    size_t link_types;      /* pairs of record types linked after the write (0: none) */
    bool first;             /* the entity's first round of the run */
    bool referred;          /* a unit of the window refers to the entity's records (their ids are needed) */
    const char *entity;     /* the entity's name in the mapping */
} CrmBudgetRound;

/* The REST path: reads of max_read keys a request, writes of batch records. */
void crm_budget_rest(const CrmBudgetRound *r, CrmCalls *out);

/* ceil(n / per), 0 for n == 0. */
uint64_t crm_budget_div(uint64_t n, uint64_t per);

#endif
