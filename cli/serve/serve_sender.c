/* serve_sender: see serve_sender.h. */
/* syscall(SYS_gettid), for the sender thread's own priority */
#define _GNU_SOURCE

#include "serve_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cm_alloc.h"
#include "serve_vm.h"
#include "slog.h"
#include "transfer.h"

/* Records fed to the engine in one round at most. */
#define ROUND_MAX 2000u
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
/* After the cancel flag: libcurl's progress callback sees it within a
 * second; the rest is the journal's commit. */
#define STOP_GIVE_UP_MS 5000

struct ServeSender {
    Serve *s;
    ServeSenderConfig cfg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t waiting;             /* stored since the last round began */
    int64_t first_at;           /* when the first of them arrived */
    bool stop, exited;
    int64_t deadline;           /* after stop: when to give up draining */
    Transfer *t;                /* the current engine (NULL after a fatal error) */
    ServeVm *vm;
    ServeMapping *map;          /* the mapping t and vm run */
    /* Records fed to the engine may be unsettled, their outcomes so far in
     * the journal under map's run key: after a failed round, and at start
     * (a crash may have left some). */
    bool in_doubt;
    bool retry_now;             /* a reload may have mended the CRM error: end the backoff */
    TransferStats seen;         /* t's request count already added to the stats */
    /* Units settled in this round, not counting those whose outcome came
     * from the journal (a record fed again after a failed round). */
    uint64_t ok, partial, failed, skipped;
    uint64_t retried;           /* CRM requests this round sent again */
    /* Records the retention deleted from the inbox, whose journal entries
     * are still to go; vacuum: the pruning caught up. */
    uint64_t *forget;
    size_t nforget, forget_cap;
    bool vacuum;
    pthread_t thread;
};

/* Waits on the condition until the monotonic time at (ms); lock held. */
static void wait_until(ServeSender *ss, int64_t at)
{
    struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000L };
    pthread_cond_timedwait(&ss->cond, &ss->lock, &ts);
}

/* Waits on the condition until the sender exited or the monotonic time at
 * (ms); lock held. */
static void wait_exit(ServeSender *ss, int64_t at)
{
    while (!ss->exited && cli_monotonic_ms() < at)
        wait_until(ss, at);
}

static void note_error(ServeSender *ss, const char *msg)
{
    char why[400];
    snprintf(why, sizeof why, "CRM error: %s", msg);
    serve_health_set(&ss->s->health, PART_CRM, HEALTH_FAILING, why);
}

static void add_stats(ServeSender *ss, size_t records)
{
    const TransferStats *now = transfer_stats(ss->t);
    ss->retried = serve_health_crm_round(&ss->s->health, now->requests - ss->seen.requests);
    ServeStats *st = &ss->s->stats;
    pthread_mutex_lock(&st->lock);
    st->sent_ok += ss->ok;
    st->sent_partial += ss->partial;
    st->sent_failed += ss->failed;
    st->sent_skipped += ss->skipped;
    ss->ok = ss->partial = ss->failed = ss->skipped = 0;
    st->crm_requests += now->requests - ss->seen.requests;
    if (records > 0) {
        st->batches++;
        st->batch_records += records;
    }
    pthread_mutex_unlock(&st->lock);
    ss->seen = *now;
}

static void on_unit(void *ctx, const TransferUnit *u)
{
    ServeSender *ss = ctx;
    if (u->resumed)
        return;
    if (u->partial)
        ss->partial++;
    else if (u->state == J_OK)
        ss->ok++;
    else if (u->state == J_SKIPPED)
        ss->skipped++;
    else
        ss->failed++;
}

static bool engine(ServeSender *ss, char *err, size_t errlen)
{
    if (ss->t)
        return true;
    TransferOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.batch_size = ss->cfg.batch_size;
    opt.max_in_flight = ss->cfg.max_in_flight;
    opt.window = ROUND_MAX;
    opt.resume = true;
    opt.marker_field = ss->cfg.marker_field;
    opt.unit = on_unit;
    opt.unit_ctx = ss;
    opt.fetch_file = fetch_file;
    opt.fetch_ctx = ss->cfg.fetch;
    Transfer *t = transfer_new(ss->map->m, ss->cfg.c, ss->cfg.tx, ss->cfg.j, ss->cfg.ef, &opt, err, errlen);
    if (t == NULL)
        return false;
    pthread_mutex_lock(&ss->lock);
    ss->t = t;
    pthread_mutex_unlock(&ss->lock);
    memset(&ss->seen, 0, sizeof ss->seen);
    return true;
}

static void drop_engine(ServeSender *ss)
{
    pthread_mutex_lock(&ss->lock);
    Transfer *t = ss->t;
    ss->t = NULL;
    pthread_mutex_unlock(&ss->lock);
    transfer_free(t);
}

/* Feeds every pending record (up to ROUND_MAX) to the engine. Returns how
 * many were settled and marked done, or -1 after a fatal error. */
static long round_once(ServeSender *ss, InboxRecord *recs, uint64_t *ids)
{
    size_t n = inbox_pending(ss->s->inbox, recs, ROUND_MAX);
    if (n == 0) {
        ss->in_doubt = false;
        return 0;
    }
    long result = -1;
    char err[256];
    if (!engine(ss, err, sizeof err)) {
        note_error(ss, err);
    } else {
        bool ok = true;
        char why[256];
        for (size_t i = 0; ok && i < n; i++) {
            ids[i] = recs[i].id;
            const VmResult *res = serve_vm_run(ss->vm, recs[i].text, recs[i].len, why, sizeof why);
            ok = res ? transfer_record(ss->t, recs[i].id, res, recs[i].text, recs[i].len, true, 0)
                     : transfer_bad_record(ss->t, recs[i].id, why, recs[i].text, recs[i].len, 0);
        }
        ok = ok && transfer_finish(ss->t);
        add_stats(ss, ok ? n : 0);
        if (ok && inbox_done(ss->s->inbox, ids, n)) {
            result = (long)n;
            ss->in_doubt = false;
            if (ss->retried > 0)
                serve_health_set(&ss->s->health, PART_CRM, HEALTH_DEGRADED,
                                 "CRM: requests needed retries (429, 5xx or a broken connection)");
            else
                serve_health_set(&ss->s->health, PART_CRM, HEALTH_OK, NULL);
        } else {
            const char *e = ok ? inbox_error(ss->s->inbox) : transfer_error(ss->t);
            if (strcmp(e, "cancelled") != 0)
                note_error(ss, e);
            drop_engine(ss);
        }
    }
    inbox_records_free(recs, n);
    if (result < 0)
        ss->in_doubt = true;
    return result;
}

/* Moves to the mapping a reload made current, between rounds. Records an
 * earlier round fed and did not settle are settled first with the mapping
 * they were fed with (their outcomes so far are journaled by its
 * entities): returns that round's result, -1 when it failed and the move
 * waits; 0 otherwise. Then every journaled record is done for good; if the
 * run key changes (it names the target fields' fingerprint), the old key's
 * entries are dropped, as nothing would prune them. */
static long follow_reload(ServeSender *ss, InboxRecord *recs, uint64_t *ids)
{
    ServeMapping *cur = serve_mapping_get(&ss->s->mapping);
    long n = 0;
    if (cur != ss->map && ss->in_doubt)
        n = round_once(ss, recs, ids);
    if (cur == ss->map || n < 0) {
        serve_mapping_unref(cur);
        return n;
    }
    drop_engine(ss);
    if (strcmp(cur->run_key, ss->map->run_key) != 0) {
        if (!journal_clear(ss->cfg.j))
            slog(SLOG_WARN, "cannot drop the journal entries of mapping %s: %s (they are kept, unused)",
                 ss->map->id, journal_error(ss->cfg.j));
        journal_set_run_key(ss->cfg.j, cur->run_key);
    }
    serve_vm_free(ss->vm);
    ss->vm = serve_vm_new(cur->m);
    SlogField f[] = { SLOG_S("mapping", cur->id), SLOG_S("was", ss->map->id) };
    slog_fields(SLOG_INFO, NULL, "sender: records from here on are sent with the reloaded mapping", f, 2);
    serve_mapping_unref(ss->map);
    ss->map = cur;
    return n;
}

/* Drops the journal entries of the records the retention deleted, and
 * vacuums both files once it caught up; lock held on entry and exit
 * (released meanwhile). */
static void forget(ServeSender *ss)
{
    uint64_t *ids = ss->forget;
    size_t n = ss->nforget;
    bool vacuum = ss->vacuum;
    ss->forget = NULL;
    ss->nforget = ss->forget_cap = 0;
    ss->vacuum = false;
    pthread_mutex_unlock(&ss->lock);
    if (!journal_forget(ss->cfg.j, ids, n))
        slog(SLOG_ERROR, "cannot prune the journal: %s", journal_error(ss->cfg.j));
    else if (vacuum)
        journal_vacuum(ss->cfg.j);
    if (vacuum)
        inbox_vacuum(ss->s->inbox);
    cm_free(ids);
    pthread_mutex_lock(&ss->lock);
}

static void *sender_main(void *arg)
{
    ServeSender *ss = arg;
    /* Sending is background work: on a busy machine the threads answering
     * webhooks come first (Linux gives each thread its own nice value). */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    InboxRecord *recs = cm_calloc(ROUND_MAX, sizeof *recs);
    uint64_t *ids = cm_calloc(ROUND_MAX, sizeof *ids);
    size_t batch = ss->cfg.batch_size ? ss->cfg.batch_size : 200;
    int backoff = 0;
    pthread_mutex_lock(&ss->lock);
    for (;;) {
        /* Wait for company: a full batch, the window, or shutdown; between
         * rounds, drop the journal entries the retention asks for. */
        while (!ss->stop) {
            /* Wakes at least once a second: the log's collapsed repeats
             * are counted out on time even when nothing else is logged. */
            slog_tick();
            if (ss->nforget > 0) {
                forget(ss);
                continue;
            }
            int64_t now = cli_monotonic_ms();
            if (ss->waiting > 0 && (ss->waiting >= batch || now >= ss->first_at + ss->cfg.window_ms))
                break;
            wait_until(ss, ss->waiting > 0 ? ss->first_at + ss->cfg.window_ms : now + 1000);
        }
        if (ss->stop && cli_monotonic_ms() >= ss->deadline)
            break;
        ss->waiting = 0;
        ss->retry_now = false;
        pthread_mutex_unlock(&ss->lock);
        long n = follow_reload(ss, recs, ids);
        if (n >= 0)
            n = round_once(ss, recs, ids);
        pthread_mutex_lock(&ss->lock);
        if (n < 0) {
            backoff = backoff ? (backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2) : BACKOFF_MIN_MS;
            int64_t until = cli_monotonic_ms() + backoff;
            while (!ss->stop && !ss->retry_now && cli_monotonic_ms() < until)
                wait_until(ss, until);
            if (ss->stop)
                break;
            if (ss->retry_now)
                backoff = 0;
            ss->waiting = 1;    /* what failed is still pending */
            ss->first_at = 0;
            continue;
        }
        backoff = 0;
        if (n == 0 && ss->stop)
            break;
        if (n == (long)ROUND_MAX || ss->stop) {
            ss->waiting = ss->waiting ? ss->waiting : 1;
            ss->first_at = 0;
        }
    }
    ss->exited = true;
    pthread_cond_broadcast(&ss->cond);
    pthread_mutex_unlock(&ss->lock);
    cm_free(recs);
    cm_free(ids);
    return NULL;
}

ServeSender *serve_sender_start(Serve *s, const ServeSenderConfig *cfg, char *err, size_t errlen)
{
    ServeSender *ss = cm_calloc(1, sizeof *ss);
    ss->s = s;
    ss->cfg = *cfg;
    ss->map = serve_mapping_get(&s->mapping);
    ss->in_doubt = true;
    pthread_mutex_init(&ss->lock, NULL);
    /* A mapping the connection cannot send is a setup error, not a CRM outage. */
    if (!engine(ss, err, errlen)) {
        pthread_mutex_destroy(&ss->lock);
        serve_mapping_unref(ss->map);
        cm_free(ss);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ss->cond, &ca);
    pthread_condattr_destroy(&ca);
    ss->vm = serve_vm_new(ss->map->m);
    InboxCounts counts;
    if (inbox_counts(s->inbox, &counts) && counts.pending > 0) {
        ss->waiting = (size_t)counts.pending;   /* left from the last run: send at once */
        ss->first_at = 0;
    }
    if (pthread_create(&ss->thread, NULL, sender_main, ss) != 0) {
        slog(SLOG_ERROR, "cannot start the sender thread");
        exit(4);
    }
    return ss;
}

void serve_sender_wake(ServeSender *ss, size_t n)
{
    pthread_mutex_lock(&ss->lock);
    if (ss->waiting == 0)
        ss->first_at = cli_monotonic_ms();
    ss->waiting += n;
    pthread_cond_broadcast(&ss->cond);
    pthread_mutex_unlock(&ss->lock);
}

void serve_sender_forget(ServeSender *ss, const uint64_t *ids, size_t n, bool caught_up)
{
    pthread_mutex_lock(&ss->lock);
    if (ss->nforget + n > ss->forget_cap) {
        ss->forget_cap = (ss->nforget + n) * 2;
        ss->forget = cm_realloc(ss->forget, ss->forget_cap * sizeof *ss->forget);
    }
    memcpy(ss->forget + ss->nforget, ids, n * sizeof *ids);
    ss->nforget += n;
    ss->vacuum |= caught_up;
    pthread_cond_broadcast(&ss->cond);
    pthread_mutex_unlock(&ss->lock);
}

void serve_sender_stop(ServeSender *ss, int drain_ms)
{
    pthread_mutex_lock(&ss->lock);
    ss->stop = true;
    ss->deadline = cli_monotonic_ms() + drain_ms;
    pthread_cond_broadcast(&ss->cond);
    wait_exit(ss, ss->deadline);
    if (!ss->exited && ss->t)
        transfer_cancel(ss->t);
    wait_exit(ss, cli_monotonic_ms() + SERVE_STOP_INFLIGHT_MS);
    if (!ss->exited && ss->cfg.cancel) {
        slog(SLOG_WARN, "stopping: CRM requests still unanswered after %d s: cancelled (their records stay pending "
             "and are sent again at the next start)", SERVE_STOP_INFLIGHT_MS / 1000);
        atomic_store(ss->cfg.cancel, true);
        wait_exit(ss, cli_monotonic_ms() + STOP_GIVE_UP_MS);
    }
    if (!ss->exited) {
        /* A request waiting out a retry delay (up to the CRM's Retry-After)
         * is not in flight to cancel. What the sender settled is committed
         * (inbox and journal); the rest is sent again at the next start, as
         * after a crash. */
        slog(SLOG_WARN, "stopped without waiting for the sender (a CRM retry is pending); records not settled are "
             "sent again at the next start");
        slog_flush();
        _exit(EXIT_OK);
    }
    pthread_mutex_unlock(&ss->lock);
    pthread_join(ss->thread, NULL);
    transfer_free(ss->t);
    pthread_mutex_lock(&ss->lock);
    if (ss->nforget > 0)
        forget(ss);
    pthread_mutex_unlock(&ss->lock);
    serve_vm_free(ss->vm);
    serve_mapping_unref(ss->map);
    pthread_mutex_destroy(&ss->lock);
    pthread_cond_destroy(&ss->cond);
    cm_free(ss);
}

void serve_sender_retry(ServeSender *ss)
{
    pthread_mutex_lock(&ss->lock);
    ss->retry_now = true;
    pthread_cond_broadcast(&ss->cond);
    pthread_mutex_unlock(&ss->lock);
}
