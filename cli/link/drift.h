/* drift: what changed in the CRM since a mapping was checked — the fields it
 * writes (deleted or renamed, a new type, a shorter length, no longer
 * createable or updateable, picklist values it sends that are gone), fields
 * that became required, the users it names, and the fingerprint over all the
 * target fields (docs/doctor.md). `crmmap doctor` reports it; `crmmap run`
 * refuses to start on it unless --force. The mapping's side comes from the
 * loaded .mapc alone (fingerprint, field table, facts section), so a .map
 * (compiled in memory) and a .mapc are compared the same way. */
#ifndef DRIFT_H
#define DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "crm_link.h"
#include "mapc.h"
#include "schema.h"

/* The unique target entity names of m that have field definitions (not
 * CrmVendor.no_fields), in file order, allocated in a;
 * *n gets the count. */
const char **drift_entity_names(const Mapc *m, CmArena *a, size_t *n);

typedef struct DriftCount {
    size_t errors;      /* findings: the mapping would fail or send what the CRM refuses */
    size_t warnings;    /* worth knowing, harmless for a run (an unrestricted picklist lost a value) */
} DriftCount;

/* Compares m (from file, the name messages start with) with the CRM's
 * current definitions of its target entities (live, one per name; a missing
 * one is itself a finding) and users (NULL: not compared). Prints one
 * diagnostic per finding to out: "FILE:LINE:COL: error[D04xx]: ..." with
 * `help:` lines. */
DriftCount drift_compare(const Mapc *m, const char *file, SchemaEntity *const *live, size_t nlive,
                         const UsersFile *users, FILE *out);

/* Downloads the live definitions of m's target entities (and, when users,
 * the CRM's users) through l and compares them (drift_compare, on stderr).
 * EXIT_OK when nothing drifted; EXIT_FATAL after a download failed or any
 * error finding was printed. *count (may be NULL) gets the counts. This is
 * the hook `crmmap run` calls before sending anything. */
int drift_check_live(const Mapc *m, const char *file, CrmLink *l, bool users, FILE *out, DriftCount *count);

/* drift_check_live for a command that opened its own connection (`run`):
 * over cfg's URL and system and tx (both stay the caller's), field
 * definitions only (users are not part of the fingerprint), findings on
 * out prefixed by who. */
int drift_check_connection(const Mapc *m, const char *file, const char *who, const ConnConfig *cfg, Transport *tx,
                           FILE *out, DriftCount *count);

/* The drift check before sending, as `crmmap run` and `crmmap serve` do
 * it: drift_check_connection on stderr, then a summary naming --force
 * ("--force VERB without this check"). EXIT_OK; EXIT_FATAL when the
 * mapping drifted; EXIT_RETRY when the definitions could not be read. */
int drift_gate(const Mapc *m, const char *file, const char *who, const ConnConfig *cfg, Transport *tx,
               const char *verb);

#endif
