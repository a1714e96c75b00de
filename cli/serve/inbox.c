/* inbox: see inbox.h. */
#include "inbox.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cm_alloc.h"

/* Two connections: the intake's, whose commits are fsync'd (an answered
 * 202 must survive power loss), and the sender's, whose "done" marks need
 * not be: a lost mark only feeds a record to the engine again, and the
 * transfer journal knows it was sent. A checkpoint never runs inside the
 * intake's commit (it would delay the answers): the sender's commits run
 * them, and the intake runs one after answering (inbox_checkpoint). */
struct Inbox {
    sqlite3 *db, *rdb;
    pthread_mutex_t lock, rlock;
    sqlite3_stmt *insert, *find, *pending, *done, *counts, *expired, *drop, *used;
    int wal_frames;             /* in the WAL after the intake's last commit */
    char error[256];
};

/* The intake checkpoints once its commits left this many frames in the WAL:
 * about 1 MiB (a checkpoint costs two fsyncs, one per 50 or so commits),
 * whether the sender commits or not. */
#define CHECKPOINT_FRAMES 256

/* done: 0 while pending, else the unix time it was marked done (an inbox
 * of an older crmmap holds 1 there: taken as done when received). The row
 * with the highest id is never pruned, so SQLite (which numbers a new row
 * max(id) + 1) never hands out a number again. auto_vacuum only takes on a
 * new file; an older one reuses its free pages instead of growing. */
static const char schema_sql[] =
    "PRAGMA auto_vacuum=INCREMENTAL;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA journal_size_limit=8388608;"
    "CREATE TABLE IF NOT EXISTS records ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  report_id TEXT UNIQUE,"
    "  received INTEGER NOT NULL,"
    "  done INTEGER NOT NULL DEFAULT 0,"
    "  text TEXT);"
    "CREATE INDEX IF NOT EXISTS records_pending ON records (done, id);"
    "UPDATE records SET done = max(received, 2) WHERE done = 1;";

static void set_error(Inbox *ib, sqlite3 *db, const char *what)
{
    snprintf(ib->error, sizeof ib->error, "%s: %s", what, sqlite3_errmsg(db));
}

/* The file holds contact data: create it 0600 before SQLite opens it (SQLite
 * gives its -wal and -shm files the main file's permissions). */
static bool create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the inbox %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (ok && (st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0)
        ok = false;
    close(fd);
    if (!ok)
        snprintf(err, errlen, "the inbox %s is not a regular file we can make private", path);
    return ok;
}

static int open_db(const char *path, sqlite3 **db, const char *pragmas)
{
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(*db, 10000);
        rc = sqlite3_exec(*db, pragmas, NULL, NULL, NULL);
    }
    return rc;
}

static int count_frames(void *ctx, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((Inbox *)ctx)->wal_frames = frames;
    return SQLITE_OK;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, int rc)
{
    return rc == SQLITE_OK ? sqlite3_prepare_v2(db, sql, -1, st, NULL) : rc;
}

Inbox *inbox_open(const char *path, char *err, size_t errlen)
{
    if (!create_private(path, err, errlen))
        return NULL;
    Inbox *ib = cm_calloc(1, sizeof *ib);
    pthread_mutex_init(&ib->lock, NULL);
    pthread_mutex_init(&ib->rlock, NULL);
    int rc = open_db(path, &ib->db, schema_sql);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(ib->db, "PRAGMA wal_autocheckpoint=0;", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        sqlite3_wal_hook(ib->db, count_frames, ib);

    sqlite3 *failed = ib->db;
    if (rc == SQLITE_OK) {
        rc = open_db(path, &ib->rdb, "PRAGMA synchronous=NORMAL;");
        failed = ib->rdb;
    }
    rc = prepare(ib->db, "INSERT OR IGNORE INTO records (hash, report_id, received, text) "
                         "VALUES (?1, ?2, strftime('%s','now'), ?3)", &ib->insert, rc);
    rc = prepare(ib->db, "SELECT id FROM records WHERE hash = ?1 OR report_id = ?2", &ib->find, rc);
    rc = prepare(ib->rdb, "SELECT id, text FROM records WHERE done = 0 ORDER BY id LIMIT ?1",
                 &ib->pending, rc);
    rc = prepare(ib->rdb, "UPDATE records SET done = max(strftime('%s','now'), 2), text = NULL WHERE id = ?1",
                 &ib->done, rc);
    rc = prepare(ib->rdb, "SELECT coalesce(max(id), 0), (SELECT count(*) FROM records WHERE done = 0), "
                          "(SELECT count(*) FROM records WHERE done > 0), "
                          "coalesce((SELECT received FROM records WHERE done = 0 ORDER BY id LIMIT 1), 0) "
                          "FROM records",
                 &ib->counts, rc);
    rc = prepare(ib->db, "SELECT id FROM records WHERE done > 0 AND done <= strftime('%s','now') - ?1 "
                         "AND id < (SELECT max(id) FROM records) ORDER BY done LIMIT ?2",
                 &ib->expired, rc);
    rc = prepare(ib->db, "DELETE FROM records WHERE id = ?1 AND done > 0", &ib->drop, rc);
    rc = prepare(ib->db, "SELECT (SELECT page_count FROM pragma_page_count) - "
                         "(SELECT freelist_count FROM pragma_freelist_count), "
                         "(SELECT page_size FROM pragma_page_size)", &ib->used, rc);
    if (rc == SQLITE_OK)
        return ib;
    snprintf(err, errlen, "cannot open the inbox %s: %s", path, failed ? sqlite3_errmsg(failed) : "out of memory");
    inbox_close(ib);
    return NULL;
}

void inbox_close(Inbox *ib)
{
    if (ib == NULL)
        return;
    sqlite3_finalize(ib->insert);
    sqlite3_finalize(ib->find);
    sqlite3_finalize(ib->pending);
    sqlite3_finalize(ib->done);
    sqlite3_finalize(ib->counts);
    sqlite3_finalize(ib->expired);
    sqlite3_finalize(ib->drop);
    sqlite3_finalize(ib->used);
    sqlite3_close(ib->db);
    sqlite3_close(ib->rdb);
    pthread_mutex_destroy(&ib->lock);
    pthread_mutex_destroy(&ib->rlock);
    cm_free(ib);
}

/* Resets stmt and binds a record's duplicate key: its hash, then the
 * VisitReport id or NULL. */
static void bind_key(sqlite3_stmt *stmt, const unsigned char *hash, unsigned hlen, const char *report_id)
{
    sqlite3_reset(stmt);
    sqlite3_bind_blob(stmt, 1, hash, (int)hlen, SQLITE_TRANSIENT);
    if (report_id)
        sqlite3_bind_text(stmt, 2, report_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, 2);
}

static bool add_one(Inbox *ib, InboxItem *it)
{
    unsigned char hash[32];
    unsigned int hlen = 0;
    if (!EVP_Digest(it->text, it->len, hash, &hlen, EVP_sha256(), NULL)) {
        snprintf(ib->error, sizeof ib->error, "SHA-256 failed");
        return false;
    }
    bind_key(ib->insert, hash, hlen, it->report_id);
    sqlite3_bind_text(ib->insert, 3, it->text, (int)it->len, SQLITE_TRANSIENT);
    if (sqlite3_step(ib->insert) != SQLITE_DONE) {
        set_error(ib, ib->db, "cannot store a record in the inbox");
        return false;
    }
    if (sqlite3_changes(ib->db) == 1) {
        it->duplicate = false;
        it->id = (uint64_t)sqlite3_last_insert_rowid(ib->db);
        return true;
    }
    it->duplicate = true;
    bind_key(ib->find, hash, hlen, it->report_id);
    it->id = sqlite3_step(ib->find) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(ib->find, 0) : 0;
    sqlite3_reset(ib->find);
    return true;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool prune(Inbox *ib, InboxPrune *p)
{
    int64_t t0 = now_us();
    p->n = 0;
    sqlite3_reset(ib->expired);
    sqlite3_bind_int64(ib->expired, 1, p->retain_s);
    sqlite3_bind_int64(ib->expired, 2, (sqlite3_int64)p->max);
    while (p->n < p->max && sqlite3_step(ib->expired) == SQLITE_ROW)
        p->ids[p->n++] = (uint64_t)sqlite3_column_int64(ib->expired, 0);
    sqlite3_reset(ib->expired);
    bool ok = true;
    for (size_t i = 0; ok && i < p->n; i++) {
        sqlite3_reset(ib->drop);
        sqlite3_bind_int64(ib->drop, 1, (sqlite3_int64)p->ids[i]);
        ok = sqlite3_step(ib->drop) == SQLITE_DONE;
    }
    sqlite3_reset(ib->drop);
    if (!ok)
        set_error(ib, ib->db, "cannot prune the inbox");
    p->took_us = now_us() - t0;
    return ok;
}

bool inbox_add(Inbox *ib, InboxItem *items, size_t n, InboxPrune *pr)
{
    pthread_mutex_lock(&ib->lock);
    bool ok = sqlite3_exec(ib->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        set_error(ib, ib->db, "cannot write to the inbox");
    for (size_t i = 0; ok && i < n; i++)
        ok = add_one(ib, &items[i]);
    if (ok && pr)
        ok = prune(ib, pr);
    if (ok && sqlite3_exec(ib->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        set_error(ib, ib->db, "cannot commit to the inbox");
        ok = false;
    }
    if (!ok) {
        sqlite3_exec(ib->db, "ROLLBACK", NULL, NULL, NULL);
        if (pr)
            pr->n = 0;
    }
    sqlite3_reset(ib->insert);
    pthread_mutex_unlock(&ib->lock);
    return ok;
}

void inbox_checkpoint(Inbox *ib)
{
    pthread_mutex_lock(&ib->lock);
    if (ib->wal_frames >= CHECKPOINT_FRAMES) {
        sqlite3_wal_checkpoint_v2(ib->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        ib->wal_frames = 0;
    }
    pthread_mutex_unlock(&ib->lock);
}

int64_t inbox_used_bytes(Inbox *ib)
{
    pthread_mutex_lock(&ib->lock);
    int64_t used = -1;
    sqlite3_reset(ib->used);
    if (sqlite3_step(ib->used) == SQLITE_ROW)
        used = sqlite3_column_int64(ib->used, 0) * sqlite3_column_int64(ib->used, 1);
    sqlite3_reset(ib->used);
    pthread_mutex_unlock(&ib->lock);
    return used;
}

/* On the sender's connection, like its other checkpoints, so that neither
 * delays an answer: its commit takes no fsync, and the checkpoint waits for
 * no one and lets the WAL start over. */
void inbox_vacuum(Inbox *ib)
{
    pthread_mutex_lock(&ib->rlock);
    sqlite3_exec(ib->rdb, "PRAGMA incremental_vacuum(256); PRAGMA wal_checkpoint(PASSIVE);", NULL, NULL, NULL);
    pthread_mutex_unlock(&ib->rlock);
}

size_t inbox_pending(Inbox *ib, InboxRecord *out, size_t max)
{
    pthread_mutex_lock(&ib->rlock);
    size_t n = 0;
    sqlite3_reset(ib->pending);
    sqlite3_bind_int64(ib->pending, 1, (sqlite3_int64)max);
    while (n < max && sqlite3_step(ib->pending) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(ib->pending, 1);
        size_t len = (size_t)sqlite3_column_bytes(ib->pending, 1);
        out[n].id = (uint64_t)sqlite3_column_int64(ib->pending, 0);
        out[n].text = cm_strndup(t ? t : "", t ? len : 0);
        out[n].len = t ? len : 0;
        n++;
    }
    sqlite3_reset(ib->pending);
    pthread_mutex_unlock(&ib->rlock);
    return n;
}

void inbox_records_free(InboxRecord *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cm_free(r[i].text);
}

bool inbox_done(Inbox *ib, const uint64_t *ids, size_t n)
{
    pthread_mutex_lock(&ib->rlock);
    bool ok = sqlite3_exec(ib->rdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_reset(ib->done);
        sqlite3_bind_int64(ib->done, 1, (sqlite3_int64)ids[i]);
        ok = sqlite3_step(ib->done) == SQLITE_DONE;
    }
    sqlite3_reset(ib->done);
    if (ok)
        ok = sqlite3_exec(ib->rdb, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        set_error(ib, ib->rdb, "cannot mark records done in the inbox");
        sqlite3_exec(ib->rdb, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&ib->rlock);
    return ok;
}

bool inbox_counts(Inbox *ib, InboxCounts *out)
{
    pthread_mutex_lock(&ib->rlock);
    sqlite3_reset(ib->counts);
    bool ok = sqlite3_step(ib->counts) == SQLITE_ROW;
    if (ok) {
        out->total = (uint64_t)sqlite3_column_int64(ib->counts, 0);
        out->pending = (uint64_t)sqlite3_column_int64(ib->counts, 1);
        out->kept = (uint64_t)sqlite3_column_int64(ib->counts, 2);
        out->oldest = sqlite3_column_int64(ib->counts, 3);
    }
    sqlite3_reset(ib->counts);
    pthread_mutex_unlock(&ib->rlock);
    return ok;
}

const char *inbox_error(Inbox *ib)
{
    return ib->error;
}
