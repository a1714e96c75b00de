/* serve_intake: see serve_intake.h. */
#include "serve_intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "serve_sender.h"
#include "serve_vm.h"

/* One request's records waiting for the writer. */
typedef struct Pending {
    InboxItem *items;
    size_t n;
    bool done, ok;
    struct Pending *next;
} Pending;

struct ServeIntake {
    Serve *s;
    pthread_mutex_t vm_lock;    /* one VM, used by every HTTP thread in turn */
    ServeVm *vm;
    pthread_mutex_t lock;
    pthread_cond_t work, stored;
    Pending *head, *tail;
    bool stop;
    pthread_t writer;
};

static void *writer_main(void *arg)
{
    ServeIntake *in = arg;
    InboxItem *all = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        while (in->head == NULL && !in->stop)
            pthread_cond_wait(&in->work, &in->lock);
        if (in->head == NULL)
            break;
        Pending *batch = in->head;
        in->head = in->tail = NULL;
        pthread_mutex_unlock(&in->lock);
        size_t n = 0;
        for (Pending *p = batch; p; p = p->next)
            n += p->n;
        if (n > cap) {
            cap = n;
            all = cm_realloc(all, cap * sizeof *all);
        }
        size_t k = 0;
        for (Pending *p = batch; p; p = p->next) {
            memcpy(all + k, p->items, p->n * sizeof *all);
            k += p->n;
        }
        bool ok = inbox_add(in->s->inbox, all, n);
        if (!ok)
            fprintf(stderr, "crmmap serve: error: %s\n", inbox_error(in->s->inbox));
        k = 0;
        pthread_mutex_lock(&in->lock);
        for (Pending *p = batch; p; p = p->next) {
            memcpy(p->items, all + k, p->n * sizeof *all);
            k += p->n;
            p->ok = ok;
            p->done = true;
        }
        pthread_cond_broadcast(&in->stored);
        pthread_mutex_unlock(&in->lock);
        size_t nnew = 0;
        for (size_t i = 0; ok && i < n; i++)
            nnew += !all[i].duplicate;
        if (nnew > 0 && in->s->sender)
            serve_sender_wake(in->s->sender, nnew);
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
    in->vm = serve_vm_new(s->m);
    pthread_mutex_init(&in->vm_lock, NULL);
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->work, NULL);
    pthread_cond_init(&in->stored, NULL);
    if (pthread_create(&in->writer, NULL, writer_main, in) != 0) {
        fprintf(stderr, "crmmap serve: error: cannot start the inbox writer thread\n");
        exit(4);
    }
    return in;
}

void serve_intake_free(ServeIntake *in)
{
    if (in == NULL)
        return;
    pthread_mutex_lock(&in->lock);
    in->stop = true;
    pthread_cond_signal(&in->work);
    pthread_mutex_unlock(&in->lock);
    pthread_join(in->writer, NULL);
    serve_vm_free(in->vm);
    pthread_mutex_destroy(&in->vm_lock);
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->work);
    pthread_cond_destroy(&in->stored);
    cm_free(in);
}

/* Stores items durably (with every other request's waiting now). */
static bool store(ServeIntake *in, InboxItem *items, size_t n)
{
    Pending p = { items, n, false, false, NULL };
    pthread_mutex_lock(&in->lock);
    if (in->stop) {
        pthread_mutex_unlock(&in->lock);
        return false;
    }
    if (in->tail)
        in->tail->next = &p;
    else
        in->head = &p;
    in->tail = &p;
    pthread_cond_signal(&in->work);
    while (!p.done)
        pthread_cond_wait(&in->stored, &in->lock);
    pthread_mutex_unlock(&in->lock);
    return p.ok;
}

static void put_rejection(Serve *s, CmBuf *out, const VmResult *res, const char *bad)
{
    cm_buf_puts(out, ", \"errors\": [");
    if (bad) {
        cm_buf_puts(out, "{\"message\": ");
        cm_buf_put_json_string(out, bad, strlen(bad));
        cm_buf_puts(out, "}");
    }
    bool first = true;
    for (uint32_t e = 0; res && e < s->m->nentities; e++) {
        const VmResult *r = &res[e];
        if (r->outcome != VM_REJECT && r->outcome != VM_ERROR)
            continue;
        uint32_t n;
        const char *name = mapc_str(s->m, r->entity->name, &n);
        cm_buf_puts(out, first ? "{\"entity\": " : ", {\"entity\": ");
        first = false;
        cm_buf_put_json_string(out, name, n);
        cm_buf_puts(out, ", \"message\": ");
        cm_buf_put_json_string(out, r->message, r->message_len);
        cm_buf_printf(out, ", \"line\": %u, \"col\": %u}", r->line, r->col);
    }
    cm_buf_puts(out, "]");
}

static void error_answer(CmBuf *out, const char *code, const char *message)
{
    cm_buf_printf(out, "{\"error\": \"%s\", \"message\": ", code);
    cm_buf_put_json_string(out, message, strlen(message));
    cm_buf_puts(out, "}\n");
}

unsigned serve_intake_post(ServeIntake *in, ServeShape shape, const char *body, size_t len, CmBuf *out)
{
    Serve *s = in->s;
    ServeRecords recs;
    char err[256];
    if (!serve_parse_body(shape, body, len, &recs, err, sizeof err)) {
        error_answer(out, "malformed", err);
        return 400;
    }
    InboxItem *items = cm_calloc(recs.n, sizeof *items);
    bool *rejected = cm_calloc(recs.n, sizeof *rejected);
    CmBuf detail = CM_BUF_INIT;
    size_t nstore = 0, nrejected = 0;
    pthread_mutex_lock(&in->vm_lock);
    for (size_t i = 0; i < recs.n; i++) {
        const VmResult *res = serve_vm_run(in->vm, recs.text[i], recs.len[i], err, sizeof err);
        bool bad = res == NULL;
        for (uint32_t e = 0; res && e < s->m->nentities; e++)
            bad |= res[e].outcome == VM_REJECT || res[e].outcome == VM_ERROR;
        if (bad) {
            rejected[i] = true;
            nrejected++;
            cm_buf_printf(&detail, "%s{\"index\": %zu, \"status\": \"rejected\"", nrejected > 1 ? ", " : "", i + 1);
            put_rejection(s, &detail, res, res ? NULL : err);
            cm_buf_puts(&detail, "}");
            continue;
        }
        items[nstore].text = recs.text[i];
        items[nstore].len = recs.len[i];
        items[nstore].report_id = recs.report_id[i];
        nstore++;
    }
    pthread_mutex_unlock(&in->vm_lock);
    unsigned status;
    if (nstore > 0 && !store(in, items, nstore)) {
        error_answer(out, "unavailable", "the record could not be stored; nothing was accepted: send it again");
        status = 503;
    } else {
        size_t nnew = 0, ndup = 0;
        for (size_t k = 0; k < nstore; k++)
            items[k].duplicate ? ndup++ : nnew++;
        status = nnew > 0 ? 202 : ndup > 0 ? 200 : 422;
        const char *what = nnew > 0 ? "accepted" : ndup > 0 ? "duplicate" : "rejected";
        cm_buf_printf(out, "{\"status\": \"%s\", \"accepted\": %zu, \"duplicates\": %zu, \"rejected\": %zu", what,
                      nnew, ndup, nrejected);
        if (nnew == 0 && ndup > 0)
            cm_buf_puts(out, ", \"note\": \"duplicate delivery: already received, not transferred again\"");
        cm_buf_puts(out, ", \"records\": [");
        size_t k = 0;
        bool first = true;
        for (size_t i = 0; i < recs.n; i++) {
            if (rejected[i])
                continue;
            InboxItem *it = &items[k++];
            cm_buf_printf(out, "%s{\"index\": %zu, \"id\": %llu, \"status\": \"%s\"}", first ? "" : ", ", i + 1,
                          (unsigned long long)it->id, it->duplicate ? "duplicate" : "accepted");
            first = false;
        }
        if (detail.len)
            cm_buf_printf(out, "%s%.*s", first ? "" : ", ", (int)detail.len, detail.data);
        cm_buf_puts(out, "]}\n");
        pthread_mutex_lock(&s->stats.lock);
        s->stats.accepted += nnew;
        s->stats.duplicates += ndup;
        s->stats.rejected += nrejected;
        pthread_mutex_unlock(&s->stats.lock);
    }
    cm_buf_free(&detail);
    cm_free(items);
    cm_free(rejected);
    serve_records_free(&recs);
    return status;
}
