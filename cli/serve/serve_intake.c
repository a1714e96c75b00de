/* serve_intake: see serve_intake.h. */
#include "serve_intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cm_alloc.h"
#include "serve_sender.h"
#include "serve_vm.h"
#include "slog.h"

/* The retention (docs/serve.md): a step deletes at most PRUNE_STEP rows in
 * the transaction of a group commit; after a full step the next one comes
 * soon (up to 5,000 rows/s, more than the intake takes), else a second
 * later, with or without requests to store. */
#define PRUNE_STEP 500u
#define PRUNE_BUSY_MS 100
#define PRUNE_IDLE_MS 1000
#define PRUNE_ERROR_MS 60000
/* A request's records may take this many times --max-body in all. */
#define MAX_OUTPUT_PER_BODY 4u

/* One request: its records, which of them the mapping rejected, and whom to
 * answer once the others are stored. */
typedef struct Job {
    ServeRecords recs;
    InboxItem *items;           /* the records to store */
    size_t nstore;
    bool *rejected;             /* per record */
    size_t nrejected;
    CmBuf detail;               /* the rejected records' entries of the answer */
    ServeAnswer answer;
    void *ctx;
    struct Job *next;
} Job;

struct ServeIntake {
    Serve *s;
    pthread_mutex_t vm_lock;    /* one VM, used by the HTTP threads in turn */
    ServeVm *vm;
    ServeMapping *map;          /* the mapping vm runs: the current one as of the last request */
    pthread_mutex_t lock;
    pthread_cond_t work;
    Job *head, *tail;
    bool stop;
    int64_t prune_at;           /* when the next retention step is due (monotonic ms) */
    bool write_failed;          /* the last records could not be stored */
    uint64_t pruned[PRUNE_STEP];
    pthread_t writer;
    bool joined;
};

static void error_answer(CmBuf *out, const char *code, const char *message)
{
    cm_buf_printf(out, "{\"error\": \"%s\", \"message\": ", code);
    cm_buf_put_json_string(out, message, strlen(message));
    cm_buf_puts(out, "}\n");
}

/* What became of a job's records. */
typedef enum Outcome { STORED, NOT_STORED, INBOX_FULL } Outcome;

/* Answers the job's request and frees it. */
static void finish(ServeIntake *in, Job *job, Outcome outcome)
{
    Serve *s = in->s;
    CmBuf out = CM_BUF_INIT;
    unsigned status;
    if (outcome == NOT_STORED) {
        error_answer(&out, "unavailable", "the records could not be stored; nothing was accepted: send them again");
        status = 503;
    } else if (outcome == INBOX_FULL) {
        char msg[200];
        snprintf(msg, sizeof msg, "the inbox holds its limit of %lld bytes (--max-inbox) of records not yet sent "
                 "to the CRM; nothing was accepted: send them again later", (long long)s->max_inbox);
        error_answer(&out, "inbox_full", msg);
        status = 507;
    } else {
        size_t nnew = 0, ndup = 0;
        for (size_t k = 0; k < job->nstore; k++)
            job->items[k].duplicate ? ndup++ : nnew++;
        status = nnew > 0 ? 202 : ndup > 0 ? 200 : 422;
        cm_buf_printf(&out, "{\"status\": \"%s\", \"accepted\": %zu, \"duplicates\": %zu, \"rejected\": %zu",
                      nnew > 0 ? "accepted" : ndup > 0 ? "duplicate" : "rejected", nnew, ndup, job->nrejected);
        if (nnew == 0 && ndup > 0)
            cm_buf_puts(&out, ", \"note\": \"duplicate delivery: already received, not transferred again\"");
        cm_buf_puts(&out, ", \"records\": [");
        size_t k = 0;
        const char *sep = "";
        for (size_t i = 0; i < job->recs.n; i++) {
            if (job->rejected[i])
                continue;
            const InboxItem *it = &job->items[k++];
            cm_buf_printf(&out, "%s{\"index\": %zu, \"id\": %llu, \"status\": \"%s\"}", sep, i + 1,
                          (unsigned long long)it->id, it->duplicate ? "duplicate" : "accepted");
            sep = ", ";
        }
        if (job->detail.len)
            cm_buf_printf(&out, "%s%.*s", sep, (int)job->detail.len, job->detail.data);
        cm_buf_puts(&out, "]}\n");
        pthread_mutex_lock(&s->stats.lock);
        s->stats.accepted += nnew;
        s->stats.duplicates += ndup;
        s->stats.rejected += job->nrejected;
        pthread_mutex_unlock(&s->stats.lock);
        if (nnew > 0 && s->sender)
            serve_sender_wake(s->sender, nnew);
    }
    job->answer(job->ctx, status, out.data, out.len);
    cm_buf_free(&out);
    cm_buf_free(&job->detail);
    cm_free(job->items);
    cm_free(job->rejected);
    serve_records_free(&job->recs);
    cm_free(job);
}

/* Stores what the jobs brought (none: a retention step alone) in one
 * transaction, pruning in it when a step is due; then answers them all. */
static void store(ServeIntake *in, Job *batch, InboxItem **all, size_t *cap)
{
    Serve *s = in->s;
    size_t n = 0;
    for (Job *j = batch; j; j = j->next)
        n += j->nstore;
    if (n > *cap) {
        *cap = n;
        *all = cm_realloc(*all, *cap * sizeof **all);
    }
    size_t k = 0;
    for (Job *j = batch; j; j = j->next) {
        memcpy(*all + k, j->items, j->nstore * sizeof **all);
        k += j->nstore;
    }
    bool due = cli_monotonic_ms() >= in->prune_at;
    InboxPrune pr = { s->retain_s, PRUNE_STEP, in->pruned, 0, 0 };
    /* Over the cap, only the retention's step runs: it may make room. */
    bool over = s->max_inbox > 0 && (n > 0 || due) && inbox_used_bytes(s->inbox) >= s->max_inbox;
    bool full = n > 0 && over;
    if (full)
        n = 0;
    bool ok = (n == 0 && !due) || inbox_add(s->inbox, *all, n, due ? &pr : NULL);
    if (!ok && due) {
        /* Whatever failed, the records must not wait for the retention. */
        slog(SLOG_ERROR, "retention: %s", inbox_error(s->inbox));
        ok = n > 0 && inbox_add(s->inbox, *all, n, NULL);
        in->prune_at = cli_monotonic_ms() + PRUNE_ERROR_MS;
    } else if (due) {
        in->prune_at = cli_monotonic_ms() + (pr.n == PRUNE_STEP ? PRUNE_BUSY_MS : PRUNE_IDLE_MS);
    }
    if (full) {
        char why[200];
        snprintf(why, sizeof why, "the inbox holds its limit of %lld bytes (--max-inbox): requests answered 507 "
                 "until the CRM takes records", (long long)s->max_inbox);
        serve_health_set(&s->health, PART_INBOX, HEALTH_FAILING, why);
    } else if (!ok && n > 0) {
        char why[400];
        snprintf(why, sizeof why, "cannot store records (answered 503): %s", inbox_error(s->inbox));
        serve_health_set(&s->health, PART_INBOX, HEALTH_FAILING, why);
        in->write_failed = true;
    } else if (ok && (n > 0 || (due && !over && !in->write_failed))) {
        /* Room again after the inbox was full shows without requests too
         * (a load balancer that took serve out on /readyz sends none); a
         * failed write is only undone by records stored, since a retention
         * step that deletes nothing writes nothing. */
        serve_health_set(&s->health, PART_INBOX, HEALTH_OK, NULL);
        in->write_failed = false;
    }
    k = 0;
    for (Job *j = batch, *next; j; j = next) {
        next = j->next;
        if (!full)
            memcpy(j->items, *all + k, j->nstore * sizeof **all);
        k += j->nstore;
        finish(in, j, full ? INBOX_FULL : ok ? STORED : NOT_STORED);
    }
    inbox_checkpoint(s->inbox);
    if (pr.n == 0)
        return;
    pthread_mutex_lock(&s->stats.lock);
    s->stats.pruned += pr.n;
    s->stats.prune_steps++;
    s->stats.prune_last_us = pr.took_us;
    if (pr.took_us > s->stats.prune_max_us)
        s->stats.prune_max_us = pr.took_us;
    pthread_mutex_unlock(&s->stats.lock);
    if (s->sender)
        serve_sender_forget(s->sender, pr.ids, pr.n, pr.n < PRUNE_STEP);
}

static void *writer_main(void *arg)
{
    ServeIntake *in = arg;
    InboxItem *all = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        while (in->head == NULL && !in->stop && cli_monotonic_ms() < in->prune_at) {
            struct timespec ts = { (time_t)(in->prune_at / 1000), (long)(in->prune_at % 1000) * 1000000L };
            pthread_cond_timedwait(&in->work, &in->lock, &ts);
        }
        if (in->head == NULL && in->stop)
            break;
        Job *batch = in->head;
        in->head = in->tail = NULL;
        pthread_mutex_unlock(&in->lock);
        store(in, batch, &all, &cap);
        pthread_mutex_lock(&in->lock);
    }
    pthread_mutex_unlock(&in->lock);
    cm_free(all);
    return NULL;
}

ServeIntake *serve_intake_new(Serve *s)
{
    ServeIntake *in = cm_calloc(1, sizeof *in);
    in->s = s;
    in->map = serve_mapping_get(&s->mapping);
    in->vm = serve_vm_new(in->map->m);
    pthread_mutex_init(&in->vm_lock, NULL);
    pthread_mutex_init(&in->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&in->work, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&in->writer, NULL, writer_main, in) != 0) {
        slog(SLOG_ERROR, "cannot start the inbox writer thread");
        exit(4);
    }
    return in;
}

void serve_intake_stop(ServeIntake *in)
{
    if (in == NULL || in->joined)
        return;
    pthread_mutex_lock(&in->lock);
    in->stop = true;
    pthread_cond_signal(&in->work);
    pthread_mutex_unlock(&in->lock);
    pthread_join(in->writer, NULL);
    in->joined = true;
}

void serve_intake_free(ServeIntake *in)
{
    if (in == NULL)
        return;
    serve_intake_stop(in);
    serve_vm_free(in->vm);
    serve_mapping_unref(in->map);
    pthread_mutex_destroy(&in->vm_lock);
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->work);
    cm_free(in);
}

static void put_rejection(const Mapc *m, CmBuf *out, const VmResult *res, const char *bad)
{
    cm_buf_puts(out, ", \"errors\": [");
    if (bad) {
        cm_buf_puts(out, "{\"message\": ");
        cm_buf_put_json_string(out, bad, strlen(bad));
        cm_buf_puts(out, "}");
    }
    const char *sep = "";
    for (uint32_t e = 0; res && e < m->nentities; e++) {
        const VmResult *r = &res[e];
        if (r->outcome != VM_REJECT && r->outcome != VM_ERROR)
            continue;
        uint32_t n;
        const char *name = mapc_str(m, r->entity->name, &n);
        cm_buf_printf(out, "%s{\"entity\": ", sep);
        sep = ", ";
        cm_buf_put_json_string(out, name, n);
        cm_buf_puts(out, ", \"message\": ");
        cm_buf_put_json_string(out, r->message, r->message_len);
        cm_buf_printf(out, ", \"line\": %u, \"col\": %u}", r->line, r->col);
    }
    cm_buf_puts(out, "]");
}

/* A refused record's error file lines, as `run` writes them for its
 * rejected units (one per entity), numbered 0: it was never stored. */
static void log_rejection(const Serve *s, const Mapc *m, const Job *job, size_t i, const VmResult *res,
                          const char *bad, const char *received)
{
    ErrRecord er;
    memset(&er, 0, sizeof er);
    er.input = job->recs.text[i];
    er.input_len = job->recs.len[i];
    er.input_is_json = true;
    er.received = received;
    er.index = i + 1;
    bool ok = true;
    if (res == NULL) {
        er.error = bad;
        er.code = "BAD_INPUT";
        ok = errfile_write(s->ef, &er);
    }
    for (uint32_t e = 0; ok && res && e < m->nentities; e++) {
        const VmResult *r = &res[e];
        if (r->outcome != VM_REJECT && r->outcome != VM_ERROR)
            continue;
        uint32_t n;
        const char *name = mapc_str(m, r->entity->name, &n);
        char *entity = cm_strndup(name, n), *message = cm_strndup(r->message, r->message_len);
        er.entity = entity;
        er.error = message;
        er.code = r->outcome == VM_REJECT ? "REJECTED" : "MAPPING_ERROR";
        er.map_line = r->line;
        ok = errfile_write(s->ef, &er);
        cm_free(entity);
        cm_free(message);
    }
    if (!ok)
        slog(SLOG_ERROR, "%s", errfile_error(s->ef));
}

/* The VM on the current mapping (a reload may have replaced it); vm_lock held. */
static const Mapc *current_vm(ServeIntake *in)
{
    ServeMapping *cur = serve_mapping_get(&in->s->mapping);
    if (cur == in->map) {
        serve_mapping_unref(cur);
    } else {
        serve_vm_free(in->vm);
        in->vm = serve_vm_new(cur->m);
        serve_mapping_unref(in->map);
        in->map = cur;
    }
    return in->map->m;
}

/* Runs the mapping on every record: the ones it rejects are described in
 * job->detail and written to the error file, the others go to job->items. */
static void screen(ServeIntake *in, Job *job)
{
    const Serve *s = in->s;
    char err[256], received[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(received, sizeof received, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&in->vm_lock);
    const Mapc *m = current_vm(in);
    for (size_t i = 0; i < job->recs.n; i++) {
        const VmResult *res = serve_vm_run(in->vm, job->recs.text[i], job->recs.len[i], err, sizeof err);
        bool bad = res == NULL;
        for (uint32_t e = 0; res && e < m->nentities; e++)
            bad |= res[e].outcome == VM_REJECT || res[e].outcome == VM_ERROR;
        if (bad) {
            job->rejected[i] = true;
            cm_buf_printf(&job->detail, "%s{\"index\": %zu, \"status\": \"rejected\"", job->nrejected ? ", " : "",
                          i + 1);
            job->nrejected++;
            put_rejection(m, &job->detail, res, res ? NULL : err);
            cm_buf_puts(&job->detail, "}");
            if (s->ef)
                log_rejection(s, m, job, i, res, res ? NULL : err, received);
            continue;
        }
        InboxItem *it = &job->items[job->nstore++];
        it->text = job->recs.text[i];
        it->len = job->recs.len[i];
        it->report_id = job->recs.report_id[i];
    }
    pthread_mutex_unlock(&in->vm_lock);
}

void serve_intake_submit(ServeIntake *in, ServeShape shape, const char *body, size_t len, ServeAnswer answer,
                         void *ctx)
{
    Job *job = cm_calloc(1, sizeof *job);
    job->answer = answer;
    job->ctx = ctx;
    char err[256];
    bool over;
    if (!serve_parse_body(shape, body, len, in->s->max_body * MAX_OUTPUT_PER_BODY, &job->recs, &over, err,
                          sizeof err)) {
        CmBuf out = CM_BUF_INIT;
        error_answer(&out, over ? "too_large" : "malformed", err);
        answer(ctx, over ? 413 : 400, out.data, out.len);
        cm_buf_free(&out);
        cm_free(job);
        return;
    }
    job->items = cm_calloc(job->recs.n, sizeof *job->items);
    job->rejected = cm_calloc(job->recs.n, sizeof *job->rejected);
    screen(in, job);
    if (job->nstore == 0) {
        finish(in, job, STORED);
        return;
    }
    pthread_mutex_lock(&in->lock);
    bool stopping = in->stop;
    if (!stopping) {
        if (in->tail)
            in->tail->next = job;
        else
            in->head = job;
        in->tail = job;
        pthread_cond_signal(&in->work);
    }
    pthread_mutex_unlock(&in->lock);
    if (stopping)
        finish(in, job, NOT_STORED);
}
