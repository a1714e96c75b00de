/* inbox: the durable queue of source records `crmmap serve` has accepted
 * and not yet transferred. An SQLite database (WAL, synchronous=FULL): once
 * inbox_add returns, its records survive kill -9 and power loss, so the HTTP
 * answer 202 may follow. Each record gets a number (its row id, counting
 * from 1, never reused) that the transfer journal uses as the record number:
 * on restart the records not marked done are fed to the engine again, and
 * the journal makes the resend idempotent.
 *
 * Duplicate deliveries are recognised here: a record whose SHA-256 (of its
 * normalised JSON text) or whose report id is already in the inbox is not
 * added again. The text of a transferred record is dropped (inbox_done); its
 * hash and report id stay, so a late redelivery is still a duplicate, until
 * the row is pruned (inbox_prune) once it has been done for the retention
 * time. Pending rows are never pruned.
 *
 * The inbox holds contact data until it is sent: the file is created 0600.
 * All calls are serialised by a mutex: one Inbox may be shared by threads. */
#ifndef INBOX_H
#define INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Inbox Inbox;

typedef struct InboxItem {
    const char *text;           /* the record as one line of JSON */
    size_t len;
    const char *report_id;      /* NULL: the record names no report */
    /* set by inbox_add: */
    bool duplicate;
    uint64_t id;                /* the record's number (also for a duplicate: the first one's) */
} InboxItem;

/* Opens (creating, mode 0600) the inbox at path. NULL with a message. */
Inbox *inbox_open(const char *path, char *err, size_t errlen);
void inbox_close(Inbox *ib);

/* Adds items in one transaction; returns once it is on disk. False (reason
 * in inbox_error) when nothing was stored. */
bool inbox_add(Inbox *ib, InboxItem *items, size_t n);

/* One pending record, for the sender. */
typedef struct InboxRecord {
    uint64_t id;
    char *text;                 /* owned: inbox_records_free */
    size_t len;
} InboxRecord;

/* Up to max pending records, in number order. */
size_t inbox_pending(Inbox *ib, InboxRecord *out, size_t max);
void inbox_records_free(InboxRecord *r, size_t n);

/* Marks records done (transferred or failed for good) and drops their text. */
bool inbox_done(Inbox *ib, const uint64_t *ids, size_t n);

/* Deletes up to max rows done at least retain_s seconds ago (never the
 * newest row, so numbers never repeat), writing their numbers to ids;
 * held_us is how long it held the write lock (inbox_add waits meanwhile).
 * Returns how many, or (size_t)-1 on an error (inbox_error). */
size_t inbox_prune(Inbox *ib, int64_t retain_s, uint64_t *ids, size_t max, int64_t *held_us);

typedef struct InboxCounts {
    uint64_t total;             /* records ever accepted (the highest number) */
    uint64_t pending;           /* accepted, not yet done */
    uint64_t kept;              /* done and not yet pruned: their keys still catch duplicates */
} InboxCounts;
bool inbox_counts(Inbox *ib, InboxCounts *out);

const char *inbox_error(Inbox *ib);

#endif
