/* journal: the durable record of what a run sent and what the CRM answered,
 * so that `run --resume` after a crash sends no completed record again and
 * loses none. An SQLite database (WAL, synchronous=FULL: a committed state
 * survives kill -9 and power loss), keyed by run key (mapping fingerprint +
 * input identity), record number and entity index.
 *
 * It holds no contact data: record numbers, states, CRM ids and CRM error
 * codes and bulk job ids only — a stolen journal reveals which records went where, not who. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Journal Journal;

typedef enum JState {
    J_NONE = 0,         /* never journaled */
    J_SENDING = 1,      /* a keyless create whose request left and whose answer was not recorded */
    J_OK = 2,           /* the CRM accepted it; crm_id is its id */
    J_FAILED = 3,       /* the CRM refused it; error holds the CRM's error code */
    J_SKIPPED = 4,      /* not sent: its parent failed or was rejected */
    J_REJECTED = 5,     /* refused by the mapping's own reject rule */
    /* An entity and its fallback (`when no E`) count as one unit: the one
     * not sent is one of these, and counts nothing. */
    J_FALLBACK = 6,     /* an update whose key the CRM does not hold: its fallback goes instead */
    J_NOT_TAKEN = 7     /* a fallback not sent: its entity was sent, failed or was rejected */
} JState;

typedef struct JEntry {
    JState state;
    char crm_id[64];
    char error[64];
} JEntry;

/* Opens (creating if needed, mode 0600; an older file is made 0600) the
 * journal at path for one run; a symbolic link or hard link there is
 * refused. On failure returns NULL with a message in err. */
Journal *journal_open(const char *path, const char *run_key, char *err, size_t errlen);
void journal_close(Journal *j);

/* Looks up one record's entity; J_NONE when absent. */
bool journal_get(Journal *j, uint64_t record, uint32_t entity, JEntry *out);

/* Writes happen in transactions: begin, put..., commit. A put outside a
 * transaction commits on its own. commit returns only once durable. */
bool journal_begin(Journal *j);
bool journal_put(Journal *j, uint64_t record, uint32_t entity, JState state,
                 const char *crm_id, const char *error);
bool journal_commit(Journal *j);

/* Forgets every entry of this run key: a run started afresh (no --resume)
 * must not later resume from an older run's outcomes. */
bool journal_clear(Journal *j);

/* A CRM bulk job (docs/run.md, "Bulk") of entity whose first record is
 * record: its id and the state last journaled ("Open": created, its upload
 * unknown; "UploadComplete": closed; a query job's, under the entity with
 * a bit set by the transfer engine, names its SOQL too). A put outside a
 * transaction commits on its own, so it is durable before the job's data
 * is uploaded. */
bool journal_job_get(Journal *j, uint64_t record, uint32_t entity, char *id, size_t idlen, char *state,
                     size_t statelen);
bool journal_job_put(Journal *j, uint64_t record, uint32_t entity, const char *id, const char *state);

/* Forgets every entity of these records of this run key, in one
 * transaction (serve's retention: records that are done for good). */
bool journal_forget(Journal *j, const uint64_t *records, size_t n);

/* Hands up to 256 free pages back to the file system (a journal created
 * with auto-vacuum) and checkpoints the WAL without waiting for readers. */
bool journal_vacuum(Journal *j);

/* Counts of each state for this run (index by JState). */
bool journal_counts(Journal *j, uint64_t counts[6]);

/* The run key it was opened for, or last set. */
const char *journal_run_key(const Journal *j);
/* From now on reads and writes go to this run key (serve, once it sends
 * with a reloaded mapping). */
void journal_set_run_key(Journal *j, const char *run_key);

/* The last SQLite error, for messages. */
const char *journal_error(const Journal *j);

#endif
