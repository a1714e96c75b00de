/* budget: see budget.h. */
#include "budget.h"

#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "crm_vendor.h"
#include "dryrun.h"

/* One entity's units in the current window. */
typedef struct EntWindow {
    uint64_t *keys;         /* per unit: a hash of its key without case; 0: keyless */
    size_t n, cap;
    uint64_t bytes;
    size_t shadow;          /* a fallback: records whose update went (it goes where the key is missing) */
} EntWindow;

typedef struct EntBudget {
    char *name;
    TransferEntityPlan plan;
    size_t link_types;      /* link pseudo-fields (CrmVendor.assoc_prefix) */
    size_t batch;           /* records a request (transfer_entity_batch) */
    uint64_t units;
    CrmCalls calls;
    EntWindow w;
    bool priced;            /* a round of it was priced */
    bool referred;          /* a unit of this window refers to its records */
} EntBudget;

struct Budget {
    const Mapc *m;
    const Connector *c;
    const CrmVendor *v;
    BudgetOptions o;
    size_t cap, held;       /* records per window, in this window */
    EntBudget *ents;
    CrmCalls total;
    CmBuf scratch;
};

uint64_t crm_budget_div(uint64_t n, uint64_t per)
{
    return n == 0 || per == 0 ? 0 : (n + per - 1) / per;
}

void crm_budget_rest(const CrmBudgetRound *r, CrmCalls *out)
{
    if (r->read)
        out->n[CALL_READS] += crm_budget_div(r->n, r->c->ops->max_read);
    out->n[CALL_WRITES] += crm_budget_div(r->n, r->batch);
}

uint64_t crm_calls_sum(const CrmCalls *c)
{
    uint64_t s = 0;
    for (int k = 0; k < CALL__COUNT; k++)
        s += c->n[k];
    return s;
}

static void calls_add(CrmCalls *to, const CrmCalls *from)
{
    for (int k = 0; k < CALL__COUNT; k++)
        to->n[k] += from->n[k];
    to->jobs += from->jobs;
}

Budget *budget_new(const Mapc *m, const Connector *c, const BudgetOptions *o, char *err, size_t errlen)
{
    uint32_t n;
    const char *system = mapc_str(m, m->system, &n);
    const CrmVendor *v = crm_vendor_findn(system, n);
    if (v == NULL || v->budget_round == NULL) {
        snprintf(err, errlen, "no estimate for the target system '%.*s'", (int)n, system);
        return NULL;
    }
    Budget *b = cm_calloc(1, sizeof *b);
    b->m = m;
    b->c = c;
    b->v = v;
    b->o = *o;
    b->ents = cm_calloc(m->nentities + 1u, sizeof *b->ents);
    /* the engine's batches and window (transfer_new) */
    size_t largest = 1;
    size_t pl = v->assoc_prefix ? strlen(v->assoc_prefix) : 0;
    for (uint32_t i = 0; i < m->nentities; i++) {
        EntBudget *e = &b->ents[i];
        const MapcEntity *me = &m->entities[i];
        uint32_t len;
        const char *name = mapc_str(m, me->name, &len);
        e->name = cm_strndup(name, len);
        transfer_entity_plan(m, v, i, &e->plan);
        for (uint32_t f = 0; f < me->nfields; f++) {
            const char *fname = mapc_str(m, me->fields[f].name, &len);
            e->link_types += pl && len > pl && memcmp(fname, v->assoc_prefix, pl) == 0;
        }
        e->batch = transfer_entity_batch(c, v, e->name, e->plan.op, o->batch_size);
        largest = e->batch > largest ? e->batch : largest;
    }
    size_t in_flight = o->max_in_flight ? o->max_in_flight : 4;
    b->cap = o->bulk != TRANSFER_BULK_OFF && c->ops->bulk ? TRANSFER_BULK_WINDOW : largest * in_flight * 8;
    if (o->drift_check) {
        /* one describe per entity name that has field definitions, and the
         * vendor's further documents */
        size_t follow = 0;
        for (const char *const *f = v->pull.follow_ups; f && *f; f++)
            follow++;
        for (uint32_t i = 0; i < m->nentities; i++) {
            bool seen = crm_vendor_undescribed(v, b->ents[i].name);
            for (uint32_t k = 0; k < i && !seen; k++)
                seen = strcmp(b->ents[k].name, b->ents[i].name) == 0;
            b->total.n[CALL_SCHEMA] += seen ? 0 : 1 + follow;
        }
    }
    b->total.n[CALL_AUTH] = o->auth_calls;
    return b;
}

void budget_free(Budget *b)
{
    if (b == NULL)
        return;
    for (uint32_t i = 0; i < b->m->nentities; i++) {
        cm_free(b->ents[i].name);
        cm_free(b->ents[i].w.keys);
    }
    cm_free(b->ents);
    cm_buf_free(&b->scratch);
    cm_free(b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void price(Budget *b, EntBudget *e, size_t n, uint64_t bytes)
{
    const TransferEntityPlan *p = &e->plan;
    TransferBulk mode = b->o.bulk;
    size_t threshold = b->o.bulk_threshold ? b->o.bulk_threshold : 2000;
    bool bulk = b->c->ops->bulk && p->op != CONN_UPDATE
                && (mode == TRANSFER_BULK_ON || (mode == TRANSFER_BULK_AUTO && n >= threshold));
    CrmBudgetRound r = {
        .c = b->c, .op = p->op, .n = n, .batch = e->batch, .read = bulk ? p->read_bulk : p->read,
        .bulk = bulk, .bytes = bytes,
        .link_types = b->c->ops->links && p->op != CONN_CREATE ? e->link_types : 0,
        .first = !e->priced,
        .referred = e->referred,
        .entity = e->name,
    };
    e->priced = true;
    b->v->budget_round(&r, &e->calls);
}

/* Prices the window: per entity, round r holds the units whose key is the
 * r-th of its kind (keyless units all go in the first). */
static void flush(Budget *b)
{
    for (uint32_t i = 0; i < b->m->nentities; i++) {
        EntBudget *e = &b->ents[i];
        EntWindow *w = &e->w;
        /* The pair's records are priced as the update's: found and missing
         * keys split its batches in two, one request more at most. */
        if (w->shadow > 0)
            e->calls.n[CALL_WRITES]++;
        w->shadow = 0;
        if (w->n == 0)
            continue;
        qsort(w->keys, w->n, sizeof *w->keys, cmp_u64);
        /* rounds[r]: units in round r */
        size_t *rounds = cm_calloc(w->n + 1, sizeof *rounds);
        size_t nrounds = 0;
        for (size_t k = 0; k < w->n;) {
            size_t run = 1;
            while (w->keys[k] != 0 && k + run < w->n && w->keys[k + run] == w->keys[k])
                run++;
            for (size_t r = 0; r < run; r++)
                rounds[r]++;
            nrounds = run > nrounds ? run : nrounds;
            k += run;
        }
        for (size_t r = 0; r < nrounds; r++)
            price(b, e, rounds[r], w->bytes * rounds[r] / w->n);
        cm_free(rounds);
        e->referred = false;
        w->n = 0;
        w->bytes = 0;
    }
    b->held = 0;
}

static uint64_t key_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        h = (h ^ (uint64_t)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 1099511628211ull;
    }
    return h ? h : 1;
}

/* Whether the engine sends e's unit of this record (transfer.c's prepare):
 * it made a record, every parent it refs made one, and, for a fallback,
 * its update made none (a key the update misses is known only to the CRM). */
static bool sent(Budget *b, uint32_t i, const VmResult *res)
{
    const VmResult *r = &res[i];
    if (r->outcome != VM_RECORD)
        return false;
    int32_t of = b->m->entities[i].fallback_of;
    if (of >= 0 && res[of].outcome != VM_NONE) {
        b->ents[i].w.shadow += res[of].outcome == VM_RECORD;
        return false;
    }
    for (uint32_t f = 0; f < r->entity->nfields; f++)
        if (r->set[f] && r->values[f].type == V_REF && res[r->values[f].u.ref].outcome != VM_RECORD)
            return false;
    return true;
}

/* A ref's entity, and every entity of its chain, whose ids the window needs. */
static void refer(Budget *b, const Value *v)
{
    b->ents[v->u.ref].referred = true;
    const MapcChain *ch = mapc_ref_chain(b->m, v);
    for (uint32_t k = 0; ch && k < ch->n; k++)
        b->ents[ch->entities[k]].referred = true;
}

void budget_record(Budget *b, const VmResult *results)
{
    for (uint32_t i = 0; i < b->m->nentities; i++) {
        if (!sent(b, i, results))
            continue;
        EntBudget *e = &b->ents[i];
        const VmResult *r = &results[i];
        const MapcEntity *me = r->entity;
        cm_buf_clear(&b->scratch);
        for (uint32_t f = 0; f < me->nfields; f++)
            if (r->set[f] && r->values[f].type != V_REF)
                dryrun_field_value(b->m, &me->fields[f], &r->values[f], &b->scratch);
            else if (r->set[f])
                refer(b, &r->values[f]);
        uint64_t bytes = b->scratch.len;
        uint64_t key = 0;
        if (me->key >= 0 && r->set[me->key]) {
            cm_buf_clear(&b->scratch);
            dryrun_field_value(b->m, &me->fields[me->key], &r->values[me->key], &b->scratch);
            key = key_hash(b->scratch.data, b->scratch.len);
        }
        EntWindow *w = &e->w;
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 64;
            w->keys = cm_realloc(w->keys, w->cap * sizeof *w->keys);
        }
        w->keys[w->n++] = key;
        w->bytes += bytes;
        e->units++;
    }
    if (++b->held >= b->cap)
        flush(b);
}

void budget_bad_record(Budget *b)
{
    if (++b->held >= b->cap)
        flush(b);
}

void budget_finish(Budget *b)
{
    flush(b);
    for (uint32_t i = 0; i < b->m->nentities; i++)
        calls_add(&b->total, &b->ents[i].calls);
    b->c = NULL;    /* the caller may free it now */
}

const CrmCalls *budget_total(const Budget *b)
{
    return &b->total;
}

static const char *const kind_names[CALL__COUNT] = { "reads", "writes", "bulk", "polls", "links", "auth",
                                                     "schema" };

void budget_print(const Budget *b, CmBuf *out)
{
    size_t w = 6;
    for (uint32_t i = 0; i < b->m->nentities; i++)
        w = strlen(b->ents[i].name) > w ? strlen(b->ents[i].name) : w;
    cm_buf_printf(out, "API calls this run would make (an estimate, docs/run.md \"The API budget\"):\n");
    cm_buf_printf(out, "  %-*s %9s", (int)w, "entity", "units");
    for (int k = 0; k <= CALL_LINKS; k++)
        cm_buf_printf(out, " %7s", kind_names[k]);
    cm_buf_printf(out, " %7s\n", "calls");
    for (uint32_t i = 0; i < b->m->nentities; i++) {
        const EntBudget *e = &b->ents[i];
        cm_buf_printf(out, "  %-*s %9llu", (int)w, e->name, (unsigned long long)e->units);
        for (int k = 0; k <= CALL_LINKS; k++)
            cm_buf_printf(out, " %7llu", (unsigned long long)e->calls.n[k]);
        cm_buf_printf(out, " %7llu", (unsigned long long)crm_calls_sum(&e->calls));
        if (e->calls.jobs)
            cm_buf_printf(out, "  (%llu bulk job%s)", (unsigned long long)e->calls.jobs, e->calls.jobs == 1 ? "" : "s");
        cm_buf_puts(out, "\n");
    }
    cm_buf_printf(out, "  field definitions (drift check): %llu\n", (unsigned long long)b->total.n[CALL_SCHEMA]);
    cm_buf_printf(out, "  access tokens: %llu\n", (unsigned long long)b->total.n[CALL_AUTH]);
    cm_buf_printf(out, "  total: %llu calls\n", (unsigned long long)crm_calls_sum(&b->total));
}
