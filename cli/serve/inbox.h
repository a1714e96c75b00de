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
 * the row is pruned (InboxPrune) once it has been done for the retention
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

/* The retention's share of an inbox_add: rows done at least retain_s
 * seconds ago, up to max, are deleted in the same transaction (never the
 * newest row, so numbers never repeat; never a pending one). Pruning rides
 * on the intake's own commit: it costs no fsync of its own, and its fsync
 * also makes the sender's earlier "done" marks durable, so the journal
 * entries of the rows deleted can go once inbox_add has returned. */
typedef struct InboxPrune {
    int64_t retain_s;
    size_t max;
    uint64_t *ids;              /* out: the numbers deleted (max of them) */
    size_t n;                   /* out */
    int64_t took_us;            /* out: how long the deletes took */
} InboxPrune;

/* Adds items (n may be 0) in one transaction, and prunes when pr is not
 * NULL; returns once it is on disk. False (reason in inbox_error) when
 * nothing was stored or pruned. */
bool inbox_add(Inbox *ib, InboxItem *items, size_t n, InboxPrune *pr);

/* Checkpoints the WAL (PASSIVE: waits for no reader) on the intake's
 * connection once its commits left about 1 MiB there. The intake calls it
 * after answering a batch: the WAL stays bounded even while the sender,
 * whose commits checkpoint too, is stuck on an unreachable CRM. */
void inbox_checkpoint(Inbox *ib);

/* The bytes of the inbox's pages in use (-1 when they cannot be read).
 * Free pages are left out (a new row reuses them), and so is the WAL,
 * which inbox_checkpoint keeps to a few MiB. */
int64_t inbox_used_bytes(Inbox *ib);

/* Hands up to 256 free pages back to the file system (an inbox created
 * with auto-vacuum) and checkpoints the WAL: once the pruning caught up.
 * Uses the sender's connection. */
void inbox_vacuum(Inbox *ib);

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

typedef struct InboxCounts {
    uint64_t total;             /* records ever accepted (the highest number) */
    uint64_t pending;           /* accepted, not yet done */
    uint64_t kept;              /* done and not yet pruned: their keys still catch duplicates */
    int64_t oldest;             /* unix seconds the oldest pending record arrived, 0: none */
} InboxCounts;
bool inbox_counts(Inbox *ib, InboxCounts *out);

const char *inbox_error(Inbox *ib);

#endif
