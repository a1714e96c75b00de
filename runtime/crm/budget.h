/* budget: the API calls a run will spend, estimated before it starts
 * (`crmmap plan --budget`, `crmmap run --dry-run --budget`, and `run
 * --max-calls`, docs/run.md "The API budget"). It is fed the records the VM
 * made, as the transfer engine would be, and groups them as the engine does:
 * windows, then per entity the rounds of unique keys, each priced by the
 * vendor's own rule (CrmVendor.budget_round) — how many units, which path
 * (REST batches, a bulk job, reads first, links after), how many requests.
 * What only the CRM knows (which keys exist, which records it refuses) is
 * priced as the docs say: a fallback entity as not taken, Pipedrive's reads by id as
 * in a first load (no key found), a bulk job's failedResults as read. */
#ifndef BUDGET_H
#define BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "connector.h"
#include "crm_budget.h"
#include "mapc.h"
#include "transfer.h"
#include "vm.h"

typedef struct BudgetOptions {
    /* As TransferOptions (0: its defaults); where the connector has a bulk
     * engine and bulk is not off, the window is run's TRANSFER_BULK_WINDOW. */
    size_t batch_size, max_in_flight;
    TransferBulk bulk;
    size_t bulk_threshold;
    bool drift_check;       /* the run reads the field definitions first (not --force) */
    uint64_t auth_calls;    /* access tokens the connection fetches */
} BudgetOptions;

typedef struct Budget Budget;

/* An estimate of m sent through c (its limits and engines; it sends nothing).
 * NULL with err when m's target has no vendor. */
Budget *budget_new(const Mapc *m, const Connector *c, const BudgetOptions *o, char *err, size_t errlen);
void budget_free(Budget *b);
/* One input record's VmResults (m->nentities of them). */
void budget_record(Budget *b, const VmResult *results);
/* One malformed record: it holds a place in a window, sends nothing. */
void budget_bad_record(Budget *b);
/* Prices what is still held; call once, after the last record. */
void budget_finish(Budget *b);

uint64_t crm_calls_sum(const CrmCalls *c);
/* The whole run's calls. */
const CrmCalls *budget_total(const Budget *b);
/* The text table: per entity units and calls by kind, the drift check,
 * tokens and the total. */
void budget_print(const Budget *b, CmBuf *out);

#endif
