/* state_lock: one process at a time on a journal and the state around it,
 * as PostgreSQL's postmaster.pid does for a data directory. The lock is a
 * file next to the journal (JOURNAL.lock) that holds the owner's pid and
 * command, locked with flock(2) for the owner's lifetime: the kernel drops
 * the lock when the process dies however it dies, so a lock file left by a
 * dead process is simply taken over. `crmmap serve` takes it for its state
 * directory (STATE/journal.db.lock) and `crmmap run` for its journal, so a
 * second serve on the same --state-dir, or a run on a journal in use,
 * refuses to start instead of sending every record a second time. */
#ifndef STATE_LOCK_H
#define STATE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct StateLock StateLock;

/* Takes the lock for journal (the lock file is journal + ".lock", created
 * 0600). who names the taker in the file ("crmmap serve"). NULL with a
 * message: *busy set when another process holds the lock (the message
 * names its pid), else why the file cannot be used. */
StateLock *state_lock_take(const char *journal, const char *who, bool *busy, char *err, size_t errlen);
/* Removes the lock file and releases the lock. NULL is fine. */
void state_lock_release(StateLock *l);

#endif
