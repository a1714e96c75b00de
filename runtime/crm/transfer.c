/* transfer: see transfer.h. A window of records is sent entity by entity in
 * file order, so a child's parent has its CRM id (or its failure) before
 * the child is looked at. For each entity: settle what needs no request
 * (rejects, runtime errors, skips, outcomes the journal already holds), read
 * the CRM's current records when `master crm` or `on create` fields need
 * them, build the payloads, send every batch with up to max_in_flight in
 * flight, run the connector's link step on what was written, then journal
 * each answer. A keyless create, whose resend would not be safe, is
 * journaled J_SENDING right before its own request leaves and its answer
 * with the next request that leaves, so a crash leaves only the requests in
 * flight in doubt; one that carries its own id (CrmVendor.client_ids) is
 * resent as safely as an upsert and needs neither. */
/* realpath is XSI. */
#define _XOPEN_SOURCE 700

#include "transfer.h"

#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cm_alloc.h"
#include "crm_vendor.h"
#include "dryrun.h"
#include "numtext.h"
#include "opcodes.h"
#include "payload_file.h"

/* One field of a unit's record: its value as plain text, or a ref. Plain,
 * so that a bulk job's CSV is written from it as directly as a JSON payload. */
typedef struct UField {
    uint32_t field;
    uint32_t off, len;      /* the value's text in Unit.text: a string's bytes, a number or bool as JSON has it */
    uint8_t type;           /* V_STR, V_NUM, V_BOOL or V_CLEAR (V_REF: see ref) */
    int32_t ref;            /* V_REF: the parent entity's index; -1 otherwise */
    int32_t chain;          /* `ref A ?? ref B`: the chain (mapc.h), ref its first entity with a record; -1 */
} UField;

/* What a unit went out without (VmPartial), kept for its error file lines. */
typedef struct UPartial {
    int32_t field;          /* -1: none */
    bool unknown_option, bad_value;
    char *message, *value, *question;
    uint32_t line;
} UPartial;

/* The journal's code of a unit accepted as partial. */
#define PARTIAL_CODE "PARTIAL"

/* One record × entity. */
typedef struct Unit {
    uint8_t outcome;        /* VmOutcome */
    uint8_t state;          /* JState once settled, J_NONE before */
    char *text;
    UField *fields;
    uint32_t nfields;
    char *key;              /* the key's text; NULL: none */
    char *message;          /* VM_REJECT, VM_ERROR */
    uint32_t line;
    UPartial *partial;      /* VM_RECORD: npartial notes */
    uint32_t npartial;
    bool doubt;             /* a keyless create a previous run sent without its answer: read back first */
    char crm_id[96];
} Unit;

typedef struct Rec {
    uint64_t record;
    size_t line;
    char *input;
    size_t input_len;
    bool input_is_json;
    char *bad;              /* a malformed record: why */
    Unit *units;            /* m->nentities; NULL for a malformed record */
} Rec;

typedef struct EntInfo {
    char *name;             /* as in the mapping */
    char *target;           /* what the connector is given (CrmVendor.entity_target) */
    ConnOp op;
    size_t batch;           /* records a request (transfer_entity_batch) */
    bool creates;           /* a `create` entity: on create fields always go */
    char *key_field;        /* NULL: none */
    bool by_id;             /* the key is the vendor's implicit primary id, not an alternate key */
    bool read;              /* the CRM's current records are needed */
    bool read_bulk;         /* ... for a bulk job, whose create-only refusals go again (resend_existing) */
    bool id_from_read;      /* an update by a field other than the id: by the id read (CrmVendor.update_by_read_id) */
    bool upsert_by_read;    /* an upsert as an update by the id read, or a create (CrmVendor.upsert_by_read) */
    /* A keyless create: the field that carries the unit's marker, NULL:
     * none; client_id: it is the record's own id (CrmVendor.client_ids). */
    char *marker_field;
    bool client_id;
    /* A create the CRM refuses twice (CrmVendor.unique_creates): resent
     * as safely as an upsert, its refusal counting as done. */
    bool unique_create;
    const char **read_fields;
    size_t nread;
    char **read_as;         /* per field: the name it is read by (among read_fields), NULL: not read */
    char **field_names;     /* nfields, then the marker field: a bulk job's columns */
    uint32_t *field_lines;  /* .map line of each field's assignment, 0: unknown */
    int32_t fallback_of;    /* `when no E`: E; -1: none */
    int32_t fallback;       /* the entity that takes this update's misses; -1: none */
    /* The other half of an entity and its fallback when both write the
     * same CRM entity (a ref to either may take the written one); -1: none */
    int32_t same_target_partner;
    /* The other half of an entity and its fallback whatever they write: a
     * ref through a lookup bound per table (a Dataverse Customer or
     * Regarding lookup: a note's objectid) may take it; -1: none */
    int32_t pair_partner;
} EntInfo;

/* A create whose resend could make a second record: journaled as it
 * leaves, and in doubt when its answer is lost. */
static bool in_doubt_create(const EntInfo *ei)
{
    return ei->op == CONN_CREATE && !ei->client_id && !ei->unique_create;
}

/* A unit settled in the open journal transaction. */
typedef struct Pending {
    uint64_t record;
    uint32_t entity;
    JState state;
    bool resumed;
    char id[96];
    char code[64];
    char *message;
} Pending;

struct Transfer {
    const Mapc *m;
    Connector *c;
    Transport *tx;
    Journal *j;
    ErrFile *ef;
    TransferOptions o;
    RetryOwnClock clock;    /* so no PRNG state is shared between engines */
    const CrmVendor *v;
    EntInfo *ents;
    Rec *recs;
    size_t nrecs, cap;
    size_t held;            /* input bytes of the records in the window */
    TransferStats st;
    /* Units settled in the open journal transaction: counted and reported
     * only once it is durable. */
    Pending *pending;
    size_t npending, cap_pending;
    atomic_bool cancel;
    bool fatal;
    char error[512];
};

/* ---- setup ---- */

static char *str_of(const Mapc *m, uint32_t s)
{
    uint32_t n;
    const char *p = mapc_str(m, s, &n);
    return cm_strndup(p, n);
}

/* The line of each field's EMIT: where the CRM's complaint about a field
 * points in the .map. */
static void field_lines(const MapcEntity *e, uint32_t *lines)
{
    for (uint32_t pc = 0; pc < e->code_len;) {
        unsigned op = e->code[pc];
        if (op >= BC__COUNT)
            break;
        if (op == BC_EMIT && pc + 2 < e->code_len) {
            unsigned f = op_u16(e->code + pc + 1);
            if (f < e->nfields && lines[f] == 0) {
                uint32_t line, col;
                mapc_position(e, pc, &line, &col);
                lines[f] = line;
            }
        }
        pc += op_size(op);
    }
}

/* A field the CRM lets a create set but not an update (Salesforce
 * updateable false: a master-detail parent), as the checker saw it. */
static bool field_create_only(const MapcEntity *e, uint32_t f)
{
    return e->facts && (e->facts[f].flags & (MF_CREATEABLE | MF_UPDATEABLE)) == MF_CREATEABLE;
}

size_t transfer_entity_batch(const Connector *c, const CrmVendor *v, const char *entity, ConnOp op,
                             size_t batch_size)
{
    char *target = v->entity_target ? v->entity_target(entity) : NULL;
    size_t most = c->ops->max_batch(c, target ? target : entity, op);
    cm_free(target);
    most = most > 0 ? most : 1;
    return batch_size > 0 && batch_size < most ? batch_size : most;
}

void transfer_entity_plan(const Mapc *m, const CrmVendor *v, uint32_t i, TransferEntityPlan *out)
{
    const MapcEntity *e = &m->entities[i];
    uint32_t kn = 0;
    const char *kf = e->key >= 0 ? mapc_str(m, e->fields[e->key].name, &kn) : NULL;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)kn, kf ? kf : "");
    bool plain = kf && kn < sizeof key && conn_plain_name(key);
    /* A create with a key goes out as an upsert by it, so a resent create
     * finds the record it made instead of making a second one. */
    out->op = e->mode == MODE_C_UPDATE ? CONN_UPDATE : (e->mode == MODE_C_CREATE && e->key < 0) ? CONN_CREATE
                                                                                                 : CONN_UPSERT;
    out->id_from_read = v->update_by_read_id && out->op == CONN_UPDATE && kf && strcmp(key, v->id_field) != 0;
    out->upsert_by_read = v->upsert_by_read && out->op == CONN_UPSERT && kf;
    out->fallback = e->fallback;
    /* An upsert (a keyed create too) reads whether its record exists when
     * something may go only to a new one: `on create` fields, and fields
     * the CRM takes on create but refuses on update. */
    bool create_only = e->has_section[FS_ON_CREATE];
    for (uint32_t f = 0; f < e->nfields; f++)
        create_only |= field_create_only(e, f);
    out->read_bulk = plain
                     && ((e->mode != MODE_C_CREATE && e->has_section[FS_IF_EMPTY])
                         || (out->op == CONN_UPSERT && e->has_section[FS_ON_CREATE]) || out->id_from_read
                         || out->upsert_by_read || out->fallback >= 0);
    out->read = out->read_bulk || (plain && out->op == CONN_UPSERT && create_only);
}

static void ent_init(Transfer *t, uint32_t i)
{
    const Mapc *m = t->m;
    const MapcEntity *e = &m->entities[i];
    EntInfo *ei = &t->ents[i];
    ei->name = str_of(m, e->name);
    ei->target = t->v->entity_target ? t->v->entity_target(ei->name) : cm_strdup(ei->name);
    ei->field_names = cm_calloc(e->nfields + 2u, sizeof *ei->field_names);
    ei->field_lines = cm_calloc(e->nfields + 1u, sizeof *ei->field_lines);
    for (uint32_t f = 0; f < e->nfields; f++)
        ei->field_names[f] = str_of(m, e->fields[f].name);
    field_lines(e, ei->field_lines);
    ei->key_field = e->key >= 0 ? cm_strdup(ei->field_names[e->key]) : NULL;
    ei->creates = e->mode == MODE_C_CREATE;
    if (t->v->id_field == NULL && ei->key_field) {
        CmBuf id = CM_BUF_INIT;
        cm_buf_printf(&id, "%sid", ei->name);
        ei->by_id = strcmp(id.data, ei->key_field) == 0;
        cm_buf_free(&id);
    }
    TransferEntityPlan plan;
    transfer_entity_plan(m, t->v, i, &plan);
    ei->op = plan.op;
    ei->id_from_read = plan.id_from_read;
    ei->upsert_by_read = plan.upsert_by_read;
    ei->fallback_of = e->fallback_of;
    ei->fallback = plan.fallback;
    ei->read = plan.read;
    ei->read_bulk = plan.read_bulk;
    ei->unique_create = ei->op == CONN_CREATE && crm_unique_create(t->v, ei->name);
    if (ei->unique_create) {
        /* needs neither an id of its own nor a marker */
    } else if (ei->op == CONN_CREATE && t->v->client_ids) {
        CmBuf id = CM_BUF_INIT;
        cm_buf_printf(&id, "%s%s", t->v->id_field ? t->v->id_field : ei->name, t->v->id_field ? "" : "id");
        ei->marker_field = cm_buf_take(&id);
        ei->client_id = true;
    } else if (ei->op == CONN_CREATE && t->o.marker_field && conn_plain_name(t->o.marker_field)) {
        ei->marker_field = cm_strdup(t->o.marker_field);
    }
    ei->field_names[e->nfields] = ei->marker_field;
    ei->read_fields = cm_calloc(e->nfields + 1u, sizeof *ei->read_fields);
    ei->read_as = cm_calloc(e->nfields + 1u, sizeof *ei->read_as);
    for (uint32_t f = 0; f < e->nfields; f++)
        if (e->fields[f].section == FS_IF_EMPTY && conn_plain_name(ei->field_names[f])) {
            CmBuf name = CM_BUF_INIT;
            /* A lookup may read back under another name (Dataverse: _NAME_value). */
            if (e->fields[f].lookup && t->v->lookup_read_prefix)
                cm_buf_printf(&name, "%s%s%s", t->v->lookup_read_prefix, ei->field_names[f],
                              t->v->lookup_read_suffix);
            else
                cm_buf_puts(&name, ei->field_names[f]);
            ei->read_as[f] = cm_buf_take(&name);
            ei->read_fields[ei->nread++] = ei->read_as[f];
        }
}

static void ent_free(EntInfo *ei, uint32_t nfields)
{
    cm_free(ei->name);
    cm_free(ei->target);
    cm_free(ei->key_field);
    cm_free(ei->marker_field);
    for (uint32_t f = 0; f < nfields; f++) {
        cm_free(ei->field_names[f]);
        cm_free(ei->read_as[f]);
    }
    cm_free(ei->field_names);
    cm_free(ei->field_lines);
    cm_free(ei->read_fields);
    cm_free(ei->read_as);
}

static void fatal(Transfer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fatal(Transfer *t, const char *fmt, ...)
{
    if (t->fatal)
        return;
    t->fatal = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
}

Transfer *transfer_new(const Mapc *m, Connector *c, Transport *tx, Journal *j, ErrFile *ef,
                       const TransferOptions *opt, char *err, size_t errlen)
{
    uint32_t n;
    const char *system = mapc_str(m, m->system, &n);
    const CrmVendor *v = crm_vendor_findn(system, n);
    if (v == NULL) {
        snprintf(err, errlen, "no connector for the target system '%.*s'", (int)n, system);
        return NULL;
    }
    if (strlen(c->ops->system) != n || memcmp(c->ops->system, system, n) != 0) {
        snprintf(err, errlen, "the mapping targets %.*s but the connection is to %s", (int)n, system,
                 c->ops->system);
        return NULL;
    }
    if (!opt->resume && !journal_clear(j)) {
        snprintf(err, errlen, "cannot clear the journal: %s", journal_error(j));
        return NULL;
    }
    Transfer *t = cm_calloc(1, sizeof *t);
    t->m = m;
    t->c = c;
    t->tx = tx;
    t->j = j;
    t->ef = ef;
    t->o = *opt;
    t->v = v;
    atomic_init(&t->cancel, false);
    if (t->o.retry.max_attempts <= 0)
        t->o.retry = retry_policy_default();
    if (t->o.max_in_flight == 0)
        t->o.max_in_flight = 4;
    if (t->o.clock == NULL) {
        retry_clock_init(&t->clock, 0);
        t->o.clock = &t->clock.clock;
    }
    t->ents = cm_calloc(m->nentities + 1u, sizeof *t->ents);
    /* The window holds enough records for the largest batches: an entity
     * whose API takes fewer a request (HubSpot's files) sends more of them. */
    size_t largest = 1;
    for (uint32_t i = 0; i < m->nentities; i++) {
        ent_init(t, i);
        t->ents[i].batch = transfer_entity_batch(c, v, t->ents[i].name, t->ents[i].op, t->o.batch_size);
        largest = t->ents[i].batch > largest ? t->ents[i].batch : largest;
    }
    for (uint32_t i = 0; i < m->nentities; i++) {
        EntInfo *ei = &t->ents[i];
        int32_t other = ei->fallback_of >= 0 ? ei->fallback_of : ei->fallback;
        ei->same_target_partner = other >= 0 && strcmp(t->ents[other].target, ei->target) == 0 ? other : -1;
        ei->pair_partner = other;
    }
    t->cap = t->o.window > 0 ? t->o.window : largest * t->o.max_in_flight * 8;
    t->recs = cm_calloc(t->cap, sizeof *t->recs);
    return t;
}

static void rec_free(const Mapc *m, Rec *r)
{
    cm_free(r->input);
    cm_free(r->bad);
    if (r->units) {
        for (uint32_t i = 0; i < m->nentities; i++) {
            Unit *u = &r->units[i];
            cm_free(u->text);
            cm_free(u->fields);
            cm_free(u->key);
            cm_free(u->message);
            for (uint32_t k = 0; k < u->npartial; k++) {
                cm_free(u->partial[k].message);
                cm_free(u->partial[k].value);
                cm_free(u->partial[k].question);
            }
            cm_free(u->partial);
        }
        cm_free(r->units);
    }
    memset(r, 0, sizeof *r);
}

void transfer_free(Transfer *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrecs; i++)
        rec_free(t->m, &t->recs[i]);
    cm_free(t->recs);
    for (uint32_t i = 0; i < t->m->nentities; i++)
        ent_free(&t->ents[i], t->m->entities[i].nfields);
    cm_free(t->ents);
    for (size_t i = 0; i < t->npending; i++)
        cm_free(t->pending[i].message);
    cm_free(t->pending);
    cm_free(t);
}

/* ---- settling units ---- */

/* Queues a settled unit until its journal transaction commits. */
static void notify(Transfer *t, const Rec *r, uint32_t entity, JState s, const char *id, const char *code,
                   const char *message, bool from_journal)
{
    if (t->npending == t->cap_pending) {
        t->cap_pending = t->cap_pending ? 2 * t->cap_pending : 256;
        t->pending = cm_realloc(t->pending, t->cap_pending * sizeof *t->pending);
    }
    Pending *p = &t->pending[t->npending++];
    p->record = r->record;
    p->entity = entity;
    p->state = s;
    p->resumed = from_journal;
    snprintf(p->id, sizeof p->id, "%s", id ? id : "");
    snprintf(p->code, sizeof p->code, "%s", code ? code : "");
    p->message = message ? cm_strdup(message) : NULL;
}

/* Commits the journal transaction; then, and only then, the units settled
 * in it count and are reported. */
static void commit(Transfer *t)
{
    bool durable = journal_commit(t->j);
    if (!durable)
        fatal(t, "cannot write the journal: %s", journal_error(t->j));
    for (size_t i = 0; i < t->npending; i++) {
        Pending *p = &t->pending[i];
        bool partial = p->state == J_OK && strcmp(p->code, PARTIAL_CODE) == 0;
        bool counts = p->state != J_FALLBACK && p->state != J_NOT_TAKEN;
        if (durable && counts) {
            if (partial)
                t->st.partial++;
            else if (p->state == J_OK)
                t->st.ok++;
            else if (p->state == J_SKIPPED)
                t->st.skipped++;
            else
                t->st.failed++;
            t->st.resumed += p->resumed;
        }
        if (durable && counts && t->o.unit) {
            TransferUnit tu = { p->record, p->entity < t->m->nentities ? t->ents[p->entity].name : NULL, p->state,
                                p->id[0] ? p->id : NULL, p->code[0] && !partial ? p->code : NULL, p->message,
                                p->resumed, partial };
            t->o.unit(t->o.unit_ctx, &tu);
        }
        cm_free(p->message);
    }
    t->npending = 0;
}

static void put_state(Transfer *t, const Rec *r, uint32_t entity, JState s, const char *id, const char *code)
{
    if (!journal_put(t->j, r->record, entity, s, id, code))
        fatal(t, "cannot write the journal: %s", journal_error(t->j));
}

/* A failed unit: its error file line first, then its journal state, so a
 * crash in between resends it rather than losing its line. */
static void fail_unit(Transfer *t, Rec *r, uint32_t entity, JState s, const char *code, const char *message,
                      const char *field, size_t map_line, const char *payload)
{
    ErrRecord er = { (size_t)r->record, r->line, entity < t->m->nentities ? t->ents[entity].name : NULL,
                     message, r->input, r->input_len, r->input_is_json, payload, payload ? strlen(payload) : 0,
                     code, field && field[0] ? field : NULL, map_line, NULL, 0, NULL, NULL, NULL };
    if (!errfile_write(t->ef, &er))
        fatal(t, "%s", errfile_error(t->ef));
    put_state(t, r, entity, s, NULL, code);
    if (r->units && entity < t->m->nentities)
        r->units[entity].state = (uint8_t)s;
    notify(t, r, entity, s, NULL, code, message, false);
}

/* A unit the CRM accepted without some of its values: one error file line
 * per note (state "partial"), written before its journal entry like a
 * failed unit's; the journal keeps PARTIAL_CODE so --resume counts it so. */
static const char *partial_lines(Transfer *t, Rec *r, uint32_t entity)
{
    const Unit *u = &r->units[entity];
    const EntInfo *ei = &t->ents[entity];
    for (uint32_t k = 0; k < u->npartial; k++) {
        const UPartial *p = &u->partial[k];
        ErrRecord er = { (size_t)r->record, r->line, ei->name, p->message, r->input, r->input_len, r->input_is_json,
                         NULL, 0, p->unknown_option ? "UNKNOWN_OPTION" : p->bad_value ? "BAD_VALUE" : "MAPPING_ERROR",
                         p->field >= 0 ? ei->field_names[p->field] : NULL, p->line, NULL, 0,
                         "partial", p->value, p->question };
        if (!errfile_write(t->ef, &er))
            fatal(t, "%s", errfile_error(t->ef));
    }
    return u->npartial ? PARTIAL_CODE : NULL;
}

static void settle(Transfer *t, Rec *r, uint32_t entity, JState s, const char *id, const char *code)
{
    if (s == J_OK && code == NULL)
        code = partial_lines(t, r, entity);
    put_state(t, r, entity, s, id, code);
    Unit *u = &r->units[entity];
    u->state = (uint8_t)s;
    if (id)
        snprintf(u->crm_id, sizeof u->crm_id, "%s", id);
    notify(t, r, entity, s, id, code, NULL, false);
}

/* Outcomes a previous run of the same run key settled. A keyless create
 * the previous run sent without recording the answer may exist in the CRM
 * already: with a client id it is sent again (the CRM answers a duplicate
 * for one it holds), with a marker it is read back first (recover), and
 * without either, sending it again could make it twice, so it fails. */
static bool resumed(Transfer *t, Rec *r, uint32_t entity)
{
    JEntry je;
    if (!t->o.resume || !journal_get(t->j, r->record, entity, &je))
        return false;
    if (je.state == J_SENDING && entity < t->m->nentities && in_doubt_create(&t->ents[entity])) {
        if (t->ents[entity].marker_field) {
            r->units[entity].doubt = !t->ents[entity].client_id;
            return false;
        }
        fail_unit(t, r, entity, J_FAILED, "UNAVAILABLE",
                  "a previous run sent this create and its answer was lost: it may have been applied; "
                  "check the CRM before sending it again (help: name a text field of this entity as "
                  "\"marker_field\" in the connection config, and crmmap reads such a create back instead)",
                  NULL, 0, NULL);
        return true;
    }
    if (je.state != J_OK && je.state != J_FAILED && je.state != J_SKIPPED && je.state != J_REJECTED
        && je.state != J_FALLBACK && je.state != J_NOT_TAKEN)
        return false;
    if (r->units) {
        r->units[entity].state = (uint8_t)je.state;
        snprintf(r->units[entity].crm_id, sizeof r->units[entity].crm_id, "%s", je.crm_id);
    }
    /* A rejection's message is the mapping's own text, not journaled: the
     * VM, run again on this record, has it again. */
    const Unit *u = r->units ? &r->units[entity] : NULL;
    const char *message = je.state == J_REJECTED && u && u->outcome == VM_REJECT ? u->message : NULL;
    notify(t, r, entity, je.state, je.crm_id, je.error, message, true);
    return true;
}

/* ---- reading current records ---- */

/* Reads the current record of every unit in todo; cur[k] for todo[k]: by
 * the CRM's bulk query engine where the round goes by bulk (bulk_read), by
 * max_read keys a request otherwise. */
static bool bulk_read(Transfer *t, uint32_t e, const size_t *todo, size_t n, ConnCurrent *cur);

static bool read_current(Transfer *t, uint32_t e, const size_t *todo, size_t n, bool bulk, ConnCurrent *cur)
{
    if (bulk && t->c->ops->read_bulk)
        return bulk_read(t, e, todo, n, cur);
    EntInfo *ei = &t->ents[e];
    size_t per = t->c->ops->max_read;
    const char **keys = cm_malloc((per + 1) * sizeof *keys);
    bool ok = true;
    for (size_t at = 0; at < n && ok; at += per) {
        size_t k = n - at < per ? n - at : per;
        for (size_t i = 0; i < k; i++)
            keys[i] = t->recs[todo[at + i]].units[e].key;
        ConnRead rd = { ei->target, ei->key_field, keys, k, ei->read_fields, ei->nread };
        char msg[256];
        ConnStatus st = conn_read(t->c, t->tx, &rd, &t->o.retry, t->o.clock, cur + at, msg, sizeof msg);
        t->st.requests++;
        if (st != CONN_OK) {
            fatal(t, "reading the current %s records: %s", ei->name, msg);
            ok = false;
        }
    }
    cm_free(keys);
    return ok;
}

/* ---- payloads ---- */

static uint64_t fnv_mix(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    /* splitmix64's finalizer: the two halves of a marker share no structure */
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* A keyless create's marker, the same in every run of its run key: 128
 * bits of the run key, record and entity, as a GUID for a client id,
 * "crmmap-" and hex for a marker field. */
static void unit_marker(const Transfer *t, const Rec *r, uint32_t e, char out[40])
{
    CmBuf k = CM_BUF_INIT;
    cm_buf_printf(&k, "%s|%llu|%u", journal_run_key(t->j), (unsigned long long)r->record, e);
    uint64_t hi = fnv_mix(1469598103934665603ull, k.data, k.len);
    uint64_t lo = fnv_mix(0x84222325cbf29ce4ull, k.data, k.len);
    cm_buf_free(&k);
    if (t->ents[e].client_id) {
        /* RFC 9562 version 8 (custom) and variant bits */
        hi = (hi & ~0xf000ull) | 0x8000ull;
        lo = (lo & ~(3ull << 62)) | (2ull << 62);
        snprintf(out, 40, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
                 (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
                 (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffull));
    } else {
        snprintf(out, 40, "crmmap-%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
    }
}

/* The entity a `ref p` of record r links to: p when it was written; its
 * partner (an entity and its fallback) when p was not sent and the partner
 * writes the same CRM entity (HubSpot contacts either way), or the field
 * binds per table (any_table: a Dataverse note's objectid takes a contact
 * or a lead), and was written;
 * -1 when neither was written but p was only passed over (the field is
 * left out); -2 when p failed, was rejected or skipped (the child is
 * skipped). */
static int32_t ref_target(const Transfer *t, const Rec *r, uint32_t p, bool any_table)
{
    JState s = (JState)r->units[p].state;
    if (s == J_OK)
        return (int32_t)p;
    if (s != J_FALLBACK && s != J_NOT_TAKEN)
        return -2;
    int32_t other = any_table ? t->ents[p].pair_partner : t->ents[p].same_target_partner;
    return other >= 0 && r->units[other].state == J_OK ? other : -1;
}

/* The parent a field's ref links: for a chain, the first of its entities
 * from uf->ref on that ref_target finds written (-2 where none is and one
 * failed, -1 otherwise). */
static int32_t link_target(const Transfer *t, const Rec *r, const UField *uf, bool any_table)
{
    if (uf->chain < 0)
        return ref_target(t, r, (uint32_t)uf->ref, any_table);
    const MapcChain *ch = &t->m->chains[uf->chain];
    uint32_t k = 0;
    while (ch->entities[k] != (uint32_t)uf->ref)
        k++;
    int32_t none = -1;
    for (; k < ch->n; k++) {
        int32_t p = ref_target(t, r, ch->entities[k], any_table);
        if (p >= 0)
            return p;
        if (p == -2)
            none = -2;
    }
    return none;
}

/* Whether a field's ref may link entity e: its own, or one of its chain. */
static bool links_to(const Transfer *t, const UField *uf, int32_t e)
{
    if (uf->ref == e)
        return true;
    const MapcChain *ch = uf->chain >= 0 ? &t->m->chains[uf->chain] : NULL;
    for (uint32_t k = 0; ch && k < ch->n; k++)
        if (ch->entities[k] == (uint32_t)e)
            return true;
    return false;
}

/* A ref to the parent's record. Bound (Dataverse): through the lookup's
 * navigation property, the one the .mapc names (its json_key) or, per
 * table, NAME_TABLE; or, where the .mapc names none, NAME; to the parent's
 * id, or its key where the CRM told no id (CrmVendor.bind_by_key). */
static void put_ref(Transfer *t, CmBuf *b, const char *field, const MapcField *f, const Unit *parent,
                    uint32_t parent_entity)
{
    if (t->v->bind_suffix) {
        if (f->lookup && !f->per_target && f->bind_nav >= 0) {
            cm_buf_put(b, f->json_key, f->json_key_len);
        } else {
            CmBuf name = CM_BUF_INIT;
            if (f->per_target)  /* a Customer lookup: one navigation property per table */
                cm_buf_printf(&name, "%s_%s%s", field, t->ents[parent_entity].name, t->v->bind_suffix);
            else
                cm_buf_printf(&name, "%s%s", field, t->v->bind_suffix);
            cm_buf_put_json_string(b, name.data, name.len);
            cm_buf_puts(b, ": ");
            cm_buf_free(&name);
        }
        CmBuf v = CM_BUF_INIT;
        const EntInfo *pe = &t->ents[parent_entity];
        if (parent->crm_id[0] == '\0' && t->v->bind_by_key && pe->key_field && parent->key)
            t->v->bind_by_key(&v, pe->target, pe->by_id ? NULL : pe->key_field, parent->key);
        else
            cm_buf_printf(&v, "/%s(%s)", pe->target, parent->crm_id);
        cm_buf_put_json_string(b, v.data, v.len);
        cm_buf_free(&v);
    } else {
        cm_buf_put_json_string(b, field, strlen(field));
        cm_buf_puts(b, ": ");
        cm_buf_put_json_string(b, parent->crm_id, strlen(parent->crm_id));
    }
}

/* Whether a unit's record is new: unknown (no read) counts as existing,
 * but for a create, so nothing CRM-owned is overwritten. A keyed create
 * whose record exists (a second run, a resend) is an update. */
static bool unit_created(const EntInfo *ei, const ConnCurrent *cur)
{
    return cur ? ei->op != CONN_UPDATE && !cur->found : ei->creates;
}

/* Whether field uf of unit (r, e) goes out: every payload field, the
 * `master crm` fields the CRM holds no value for, the `on create` and
 * create-only fields when the record is new. *parent: the entity a ref
 * links to. */
static bool field_goes(const Transfer *t, const Rec *r, uint32_t e, const ConnCurrent *cur, const UField *uf,
                       int32_t *parent)
{
    const MapcEntity *me = &t->m->entities[e];
    const EntInfo *ei = &t->ents[e];
    const MapcField *f = &me->fields[uf->field];
    bool created = unit_created(ei, cur);
    if ((f->section == FS_ON_CREATE || field_create_only(me, uf->field)) && !created)
        return false;
    /* A `master crm` field goes where the record is new or the CRM's
     * value was read and is empty; never where it could not be read. */
    if (f->section == FS_IF_EMPTY && !created
        && !(ei->read_as[uf->field] && cur && conn_current_empty(cur, ei->read_as[uf->field])))
        return false;
    *parent = uf->ref >= 0 ? link_target(t, r, uf, f->per_target) : -1;
    /* a fallback pair's entity not sent: the link goes through the other's field */
    return uf->ref < 0 || *parent >= 0;
}

/* A file the unit goes without (payload_file_put failed): a partial note
 * like the VM's, once however often the payload is built. */
static void file_note(Transfer *t, Unit *u, uint32_t e, uint32_t field, const char *why)
{
    for (uint32_t k = 0; k < u->npartial; k++)
        if (u->partial[k].field == (int32_t)field)
            return;
    u->partial = cm_realloc(u->partial, (u->npartial + 1u) * sizeof *u->partial);
    u->partial[u->npartial++] = (UPartial){ (int32_t)field, false, false, cm_strdup(why), NULL, NULL,
                                            t->ents[e].field_lines[field] };
}

/* The payload of one unit: the fields that go (field_goes) as JSON; NULL
 * when a file the CRM requires on create cannot be had (its note says why:
 * the unit fails without a request, file_failed). */
static char *build_payload(Transfer *t, Rec *r, uint32_t e, const ConnCurrent *cur)
{
    const MapcEntity *me = &t->m->entities[e];
    const EntInfo *ei = &t->ents[e];
    Unit *u = &r->units[e];
    CmBuf b = CM_BUF_INIT;
    cm_buf_putc(&b, '{');
    bool first = true, missing = false;
    for (uint32_t i = 0; i < u->nfields; i++) {
        const UField *uf = &u->fields[i];
        const MapcField *f = &me->fields[uf->field];
        int32_t parent;
        if (!field_goes(t, r, e, cur, uf, &parent))
            continue;
        if (!first)
            cm_buf_puts(&b, ", ");
        first = false;
        if (uf->ref >= 0) {
            put_ref(t, &b, ei->field_names[uf->field], f, &r->units[parent], (uint32_t)parent);
            continue;
        }
        size_t mark = b.len;
        cm_buf_put(&b, f->json_key, f->json_key_len);
        char why[256];
        if (f->check == MK_FILE && uf->type == V_STR) {
            if (!payload_file_put(&b, u->text + uf->off, uf->len, t->o.fetch_file, t->o.fetch_ctx, why, sizeof why)) {
                b.len = mark > 1 ? mark - 2 : mark;     /* the ", " before it too */
                first = b.len == 1;
                file_note(t, u, e, uf->field, why);
                missing |= me->facts && (me->facts[uf->field].flags & MF_REQUIRED) && unit_created(ei, cur);
            }
        } else if (uf->type == V_STR) {
            Value v = v_str(u->text + uf->off, uf->len);
            dryrun_field_value(t->m, f, &v, &b);
        } else if (uf->type == V_NUM || uf->type == V_BOOL) {
            cm_buf_put(&b, u->text + uf->off, uf->len);
        } else {
            cm_buf_puts(&b, "null");
        }
    }
    if (ei->marker_field) {
        char marker[40];
        unit_marker(t, r, e, marker);
        cm_buf_puts(&b, first ? "" : ", ");
        cm_buf_put_json_string(&b, ei->marker_field, strlen(ei->marker_field));
        cm_buf_puts(&b, ": ");
        cm_buf_put_json_string(&b, marker, strlen(marker));
    }
    cm_buf_putc(&b, '}');
    if (missing) {
        cm_buf_free(&b);
        return NULL;
    }
    return cm_buf_take(&b);
}

/* A unit build_payload refused: it fails with its file's note. */
static void file_failed(Transfer *t, Rec *r, uint32_t e)
{
    const UPartial *p = &r->units[e].partial[r->units[e].npartial - 1];
    fail_unit(t, r, e, J_FAILED, "FILE", p->message, t->ents[e].field_names[p->field], p->line, NULL);
}

/* The parent a ref may name by its key instead of its CRM id in a bulk
 * job: one upserted by a key of its own (an external id), not by the
 * CRM's id, so the child's row needs no id the parent's job answered. */
static bool ref_by_key(const Transfer *t, uint32_t parent)
{
    const EntInfo *p = &t->ents[parent];
    return p->op == CONN_UPSERT && p->key_field && !p->by_id && t->v->id_field
           && strcasecmp(p->key_field, t->v->id_field) != 0;
}

/* The cells of one unit for a bulk job (ConnCell): the fields that go
 * (field_goes) as plain text, straight from the VM's values; cells has
 * room for nfields + 1, marker for the marker. Returns how many. */
static size_t build_cells(const Transfer *t, const Rec *r, uint32_t e, const ConnCurrent *cur, ConnCell *cells,
                          char marker[40])
{
    const EntInfo *ei = &t->ents[e];
    const Unit *u = &r->units[e];
    size_t n = 0;
    for (uint32_t i = 0; i < u->nfields; i++) {
        const UField *uf = &u->fields[i];
        int32_t parent;
        if (!field_goes(t, r, e, cur, uf, &parent))
            continue;
        ConnCell *c = &cells[n++];
        *c = (ConnCell){ uf->field, uf->type == V_CLEAR, NULL, u->text + uf->off, uf->len };
        if (uf->ref < 0)
            continue;
        const Unit *pu = &r->units[parent];
        if (ref_by_key(t, (uint32_t)parent) && pu->key) {
            c->by = t->ents[parent].key_field;
            c->text = pu->key;
        } else {
            c->text = pu->crm_id;
        }
        c->len = strlen(c->text);
    }
    if (ei->marker_field) {
        unit_marker(t, r, e, marker);
        cells[n++] = (ConnCell){ t->m->entities[e].nfields, false, NULL, marker, strlen(marker) };
    }
    return n;
}

/* ---- sending one entity of the window ---- */

/* The .map line of the field a CRM error names. */
static size_t line_of_field(const EntInfo *ei, uint32_t nfields, const char *field)
{
    if (field == NULL || field[0] == '\0')
        return 0;
    for (uint32_t f = 0; f < nfields; f++)
        if (strcasecmp(ei->field_names[f], field) == 0)
            return ei->field_lines[f];
    return 0;
}

/* Settles what needs no request; returns the units to send in todo. */
static size_t prepare(Transfer *t, uint32_t e, size_t *todo)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nrecs; i++) {
        Rec *r = &t->recs[i];
        if (r->units == NULL)
            continue;
        Unit *u = &r->units[e];
        if (u->outcome == VM_NONE || resumed(t, r, e))
            continue;
        int32_t of = t->ents[e].fallback_of;
        if (of >= 0 && r->units[of].outcome != VM_NONE && r->units[of].state != J_FALLBACK) {
            /* its entity was sent or settled: this one is not taken; an
             * entity left unsettled (a fatal error) leaves it for --resume */
            if (r->units[of].state != J_NONE && r->units[of].state != J_SENDING)
                settle(t, r, e, J_NOT_TAKEN, NULL, NULL);
            continue;
        }
        switch (u->outcome) {
        case VM_REJECT:
            fail_unit(t, r, e, J_REJECTED, "REJECTED", u->message, NULL, u->line, NULL);
            break;
        case VM_ERROR:
            fail_unit(t, r, e, J_FAILED, "MAPPING_ERROR", u->message, NULL, u->line, NULL);
            break;
        case VM_SKIP:
            settle(t, r, e, J_SKIPPED, NULL, "PARENT");
            break;
        default: {
            bool orphan = false, linked = false;
            for (uint32_t k = 0; k < u->nfields; k++) {
                if (u->fields[k].ref < 0)
                    continue;
                const MapcField *f = &t->m->entities[e].fields[u->fields[k].field];
                int32_t p = link_target(t, r, &u->fields[k], f->per_target);
                orphan |= p == -2;
                linked |= p >= 0;
            }
            /* refs only to a pair neither of which was written: no parent */
            bool refs = false;
            for (uint32_t k = 0; k < u->nfields; k++)
                refs |= u->fields[k].ref >= 0;
            orphan |= refs && !linked;
            if (orphan)
                settle(t, r, e, J_SKIPPED, NULL, "PARENT_FAILED");
            else
                todo[n++] = i;
        }
        }
    }
    return n;
}

/* One unit's final answer. */
static void answer_unit(Transfer *t, uint32_t e, Rec *r, const ConnResult *res, const char *payload)
{
    const EntInfo *ei = &t->ents[e];
    if (res->ok)
        settle(t, r, e, J_OK, res->id, NULL);
    else
        fail_unit(t, r, e, J_FAILED, res->code, res->message, res->field,
                  line_of_field(ei, t->m->entities[e].nfields, res->field), payload);
}

/* Journals the answers of one job not journaled while it flew. A batch
 * whose outcome is unknown (auth refused, the CRM unreachable after the
 * retries) ends the run with its units left for --resume (J_NONE, or
 * J_SENDING for a keyless create that left); a keyless create without a
 * client id whose outcome is unknown cannot be resent safely and fails
 * instead. */
static void take_answers(Transfer *t, uint32_t e, const ConnJob *job, const size_t *idx, char **payloads)
{
    const EntInfo *ei = &t->ents[e];
    bool keyless = in_doubt_create(ei);
    bool unknown = job->status == CONN_AUTH
                   || ((job->status == CONN_UNAVAILABLE || job->status == CONN_BAD_ANSWER) && !keyless);
    if (unknown)
        fatal(t, "sending %s records: %s", ei->name, job->msg[0] ? job->msg : "no answer");
    for (size_t k = 0; k < job->batch->n; k++) {
        Rec *r = &t->recs[idx[k]];
        const Unit *u = &r->units[e];
        if (u->state != J_NONE && u->state != J_SENDING)
            continue;       /* answered while the others flew */
        if (job->results[k].ok && (keyless || !unknown))
            settle(t, r, e, J_OK, job->results[k].id, NULL);
        else if (keyless && (unknown || u->state == J_NONE))
            /* Refused for its credentials, or never sent (its journal
             * write failed): not applied, so not in doubt. */
            put_state(t, r, e, J_NONE, NULL, NULL);
        else if (!unknown)
            answer_unit(t, e, r, &job->results[k], payloads[k]);
    }
}

/* A send_group's keyless creates, for the journal watch. Positions are
 * into idx, pl and results. */
typedef struct Group {
    Transfer *t;
    uint32_t e;
    const ConnJob *jobs;
    const size_t *idx;
    char **pl;
    const ConnResult *results;
    size_t *landed;         /* answers not journaled yet */
    size_t nlanded;
} Group;

static void journal_landed(Group *g)
{
    for (size_t k = 0; k < g->nlanded; k++) {
        size_t p = g->landed[k];
        answer_unit(g->t, g->e, &g->t->recs[g->idx[p]], &g->results[p], g->pl[p]);
    }
    g->nlanded = 0;
}

/* A keyless create is journaled J_SENDING right before the request that
 * carries it leaves, together with the answers landed since the last
 * request left: one transaction (one fsync) per request. After a crash only
 * the requests then in flight, or landed while no other left, are in doubt:
 * at most max_in_flight of them. */
static bool group_leaving(void *ctx, const ConnJob *job, size_t at, size_t n)
{
    Group *g = ctx;
    Transfer *t = g->t;
    size_t base = (size_t)(job - g->jobs) * t->ents[g->e].batch;
    journal_begin(t->j);
    journal_landed(g);
    for (size_t k = base + at; k < base + at + n && !t->fatal; k++) {
        Rec *r = &t->recs[g->idx[k]];
        Unit *u = &r->units[g->e];
        if (u->state == J_SENDING)
            continue;       /* a half of a batch refused whole: marked when the batch left */
        put_state(t, r, g->e, J_SENDING, NULL, NULL);
        u->state = J_SENDING;
    }
    commit(t);
    return !t->fatal;
}

/* The answers of one request, journaled with the next request that leaves
 * (or at the end of the group). */
static void group_answered(void *ctx, const ConnJob *job, const size_t *records, size_t n)
{
    Group *g = ctx;
    size_t base = (size_t)(job - g->jobs) * g->t->ents[g->e].batch;
    for (size_t k = 0; k < n; k++)
        g->landed[g->nlanded++] = base + records[k];
}

/* Whether the CRM's refusal of a unit names a field sent only to a new
 * record (create-only, or `on create`). */
static bool refused_create_only(const Transfer *t, uint32_t e, const ConnResult *res)
{
    const MapcEntity *me = &t->m->entities[e];
    if (res->ok || res->field[0] == '\0')
        return false;
    for (uint32_t f = 0; f < me->nfields; f++)
        if (strcasecmp(t->ents[e].field_names[f], res->field) == 0)
            return me->fields[f].section == FS_ON_CREATE || field_create_only(me, f);
    return false;
}

/* n records of entity e as op by key_field, cut into batches of its batch
 * size: one job per batch, answering into results. Returns the number of
 * jobs. */
static size_t make_jobs(const Transfer *t, uint32_t e, ConnOp op, const char *key_field, ConnRecord *crs,
                        ConnResult *results, size_t n, ConnBatch **batches_out, ConnJob **jobs_out)
{
    size_t per = t->ents[e].batch;
    size_t nb = (n + per - 1) / per;
    ConnBatch *batches = cm_calloc(nb, sizeof *batches);
    ConnJob *jobs = cm_calloc(nb, sizeof *jobs);
    for (size_t b = 0; b < nb; b++) {
        size_t at = b * per;
        batches[b] = (ConnBatch){ t->ents[e].target, op, key_field, crs + at, n - at < per ? n - at : per };
        jobs[b].batch = &batches[b];
        jobs[b].results = results + at;
    }
    *batches_out = batches;
    *jobs_out = jobs;
    return nb;
}

/* A keyed write that carried the fields of a new record (its key was not
 * found when read) and is refused naming one of them: the record exists by
 * now — an earlier attempt whose answer was lost (a reset, a 5xx after the
 * write) made it — so it goes again as what it is, an update without them,
 * instead of failing a record that was written. again[k] holds the new
 * payload of unit k (pl[k] then points at it); the caller frees them. */
static void resend_existing(Transfer *t, uint32_t e, ConnOp op, const char *key_field, const ConnRecord *crs,
                            const size_t *idx, ConnResult *results, char **pl, size_t nsend, char **again)
{
    size_t *at = cm_malloc((nsend + 1) * sizeof *at), n = 0;
    for (size_t k = 0; k < nsend; k++)
        if (crs[k].key != NULL && refused_create_only(t, e, &results[k]))
            at[n++] = k;
    if (n > 0) {
        ConnRecord *rcs = cm_calloc(n, sizeof *rcs);
        ConnResult *res = cm_calloc(n, sizeof *res);
        const ConnCurrent held = { .found = true };
        for (size_t i = 0; i < n; i++) {
            size_t k = at[i];
            again[k] = build_payload(t, &t->recs[idx[k]], e, &held);
            rcs[i] = crs[k];
            rcs[i].payload = again[k];
        }
        ConnBatch *batches;
        ConnJob *jobs;
        size_t nb = make_jobs(t, e, op, key_field, rcs, res, n, &batches, &jobs);
        conn_send_all(t->c, t->tx, jobs, nb, t->o.max_in_flight, &t->o.retry, t->o.clock);
        t->st.requests += nb;
        /* An answer that did not come leaves the first refusal standing. */
        for (size_t b = 0; b < nb; b++)
            for (size_t j = 0; j < batches[b].n; j++)
                if (jobs[b].status == CONN_OK || jobs[b].status == CONN_REJECTED) {
                    size_t k = at[b * t->ents[e].batch + j];
                    results[k] = res[b * t->ents[e].batch + j];
                    pl[k] = again[k];
                }
        cm_free(jobs);
        cm_free(batches);
        cm_free(res);
        cm_free(rcs);
    }
    cm_free(at);
}

/* ---- bulk jobs ---- */

typedef struct BulkCtx {
    Transfer *t;
    uint32_t e;
    const size_t *idx;
} BulkCtx;

/* A job is journaled by its entity and its first record's number. */
static bool bulk_job_get(void *ctx, size_t at, char *id, size_t idlen, char *state, size_t statelen)
{
    const BulkCtx *b = ctx;
    return journal_job_get(b->t->j, b->t->recs[b->idx[at]].record, b->e, id, idlen, state, statelen);
}

static bool bulk_job_put(void *ctx, size_t at, const char *id, const char *state)
{
    const BulkCtx *b = ctx;
    return journal_job_put(b->t->j, b->t->recs[b->idx[at]].record, b->e, id, state);
}

/* An entity's query job (ConnBulkRead) is journaled as its ingest job
 * is, under the entity's number with this bit set. */
#define QUERY_JOB 0x40000000u

static bool bulk_read(Transfer *t, uint32_t e, const size_t *todo, size_t n, ConnCurrent *cur)
{
    EntInfo *ei = &t->ents[e];
    ConnRead rd = { ei->target, ei->key_field, NULL, n, ei->read_fields, ei->nread };
    const char **keys = cm_malloc((n + 1) * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = t->recs[todo[i]].units[e].key;
    rd.keys = keys;
    BulkCtx bc = { t, e | QUERY_JOB, todo };
    const ConnBulkWatch watch = { bulk_job_get, bulk_job_put, &bc };
    ConnBulkRead br = { &rd, cur, t->o.bulk_poll_ms, &watch, 0 };
    char msg[256];
    ConnStatus st = t->c->ops->read_bulk(t->c, t->tx, &br, &t->o.retry, t->o.clock, msg, sizeof msg);
    t->st.requests += br.requests;
    cm_free(keys);
    if (st != CONN_OK)
        fatal(t, "reading the current %s records by a bulk query: %s", ei->name, msg);
    return st == CONN_OK;
}

/* Whether entity e sends a file: a bulk job's CSV cells carry text, not
 * the base64 a file becomes in a payload (payload_file_put). */
static bool sends_files(const Transfer *t, uint32_t e)
{
    const MapcEntity *me = &t->m->entities[e];
    for (uint32_t f = 0; f < me->nfields; f++)
        if (me->fields[f].check == MK_FILE)
            return true;
    return false;
}

static bool bulk_wanted(const Transfer *t, uint32_t e, ConnOp op, const size_t *idx, size_t n)
{
    if (t->c->ops->bulk == NULL || n == 0 || op == CONN_UPDATE || t->ents[e].upsert_by_read
        || sends_files(t, e))
        return false;
    char id[64], state[32];
    if (t->o.resume && journal_job_get(t->j, t->recs[idx[0]].record, e, id, sizeof id, state, sizeof state))
        return true;
    size_t threshold = t->o.bulk_threshold ? t->o.bulk_threshold : 2000;
    return t->o.bulk == TRANSFER_BULK_ON || (t->o.bulk == TRANSFER_BULK_AUTO && n >= threshold);
}

static void send_group(Transfer *t, uint32_t e, ConnOp op, const char *key_field, ConnRecord *crs, size_t *idx,
                       char **pl, const ConnCells *cells, size_t nsend);

/* True when a unit of the window refers to entity e's records (or to its
 * partner's, which a ref may take instead): their CRM ids are needed. */
static bool ids_wanted(const Transfer *t, uint32_t e)
{
    int32_t partner = t->ents[e].same_target_partner, pair = t->ents[e].pair_partner;
    for (size_t i = 0; i < t->nrecs; i++) {
        const Rec *r = &t->recs[i];
        for (uint32_t f = 0; r->units && f < t->m->nentities; f++)
            for (uint32_t k = 0; k < r->units[f].nfields; k++) {
                const UField *uf = &r->units[f].fields[k];
                bool any_table = t->m->entities[f].fields[uf->field].per_target;
                if (uf->ref >= 0 && (links_to(t, uf, (int32_t)e) || (partner >= 0 && links_to(t, uf, partner))
                                     || (any_table && pair >= 0 && links_to(t, uf, pair))))
                    return true;
            }
    }
    return false;
}

/* Sends n records of entity e as bulk jobs and journals the answers; the
 * records a job did not process go by the API's own requests. */
static void send_bulk(Transfer *t, uint32_t e, ConnOp op, const char *key_field, ConnRecord *crs, size_t *idx,
                      char **pl, const ConnCells *cells, size_t n)
{
    EntInfo *ei = &t->ents[e];
    ConnResult *results = cm_calloc(n, sizeof *results);
    bool *answered = cm_calloc(n, sizeof *answered);
    ConnBatch batch = { ei->target, op, key_field, crs, n };
    BulkCtx bc = { t, e, idx };
    const ConnBulkWatch watch = { bulk_job_get, bulk_job_put, &bc };
    ConnBulk b = { &batch, results, answered, t->o.bulk_poll_ms, &watch, 0, cells,
                   (const char *const *)ei->field_names, t->m->entities[e].nfields + 1u, ids_wanted(t, e) };
    char msg[256];
    ConnStatus st = t->c->ops->bulk(t->c, t->tx, &b, &t->o.retry, t->o.clock, msg, sizeof msg);
    t->st.requests += b.requests;
    if (st != CONN_OK) {
        fatal(t, "a bulk job of %s records: %s", ei->name, msg);
    } else {
        /* the answered first, the rest after, each in their order */
        ConnRecord *c2 = cm_malloc(n * sizeof *c2);
        ConnResult *r2 = cm_malloc(n * sizeof *r2);
        size_t *i2 = cm_malloc(n * sizeof *i2);
        char **p2 = cm_malloc(n * sizeof *p2);
        char **again = cm_calloc(n + 1, sizeof *again);
        size_t na = 0, nr = n;
        for (size_t k = n; k-- > 0;)
            if (!answered[k]) {
                nr--;
                c2[nr] = crs[k], r2[nr] = results[k], i2[nr] = idx[k], p2[nr] = pl[k];
            }
        for (size_t k = 0; k < n; k++)
            if (answered[k]) {
                c2[na] = crs[k], r2[na] = results[k], i2[na] = idx[k], p2[na] = pl[k];
                na++;
            }
        if (op != CONN_CREATE && key_field)
            resend_existing(t, e, op, key_field, c2, i2, r2, p2, na, again);
        /* a keyless create a job answered was sent: its refusal fails it */
        for (size_t k = 0; k < na && op == CONN_CREATE; k++)
            t->recs[i2[k]].units[e].state = J_SENDING;
        ConnBatch done = { ei->target, op, key_field, c2, na };
        ConnJob job = { .batch = &done, .results = r2, .status = CONN_OK };
        journal_begin(t->j);
        take_answers(t, e, &job, i2, p2);
        commit(t);
        send_group(t, e, op, key_field, c2 + na, i2 + na, p2 + na, NULL, n - na);
        for (size_t k = 0; k < na; k++)
            cm_free(again[k]);
        cm_free(again);
        cm_free(c2);
        cm_free(r2);
        cm_free(i2);
        cm_free(p2);
    }
    cm_free(results);
    cm_free(answered);
}

/* Sends n records of entity e as op by key_field, in batches, links them
 * and journals the answers. */
static void send_group(Transfer *t, uint32_t e, ConnOp op, const char *key_field, ConnRecord *crs, size_t *idx,
                       char **pl, const ConnCells *cells, size_t nsend)
{
    EntInfo *ei = &t->ents[e];
    if (t->fatal || nsend == 0)
        return;
    /* A bulk job's CSV is written from the cells alone: a group sent
     * without them (the upserts by a read, a job's remainder) goes by the
     * API's own requests whatever the engine. */
    if (cells != NULL && bulk_wanted(t, e, op, idx, nsend)) {
        send_bulk(t, e, op, key_field, crs, idx, pl, cells, nsend);
        return;
    }
    if (t->v->prepare)
        t->v->prepare(t->c, t->tx, ei->target, ei->name, op, &t->o.retry, t->o.clock, &t->st.requests);
    ConnResult *results = cm_calloc(nsend, sizeof *results);
    ConnBatch *batches;
    ConnJob *jobs;
    size_t nb = make_jobs(t, e, op, key_field, crs, results, nsend, &batches, &jobs);
    Group g = { t, e, jobs, idx, pl, results, cm_malloc(nsend * sizeof *g.landed), 0 };
    /* Keyless creates alone are journaled as they leave: anything else is
     * an upsert or update by key, or a create with its own id (client_id),
     * resent as safely as first sent. */
    ConnWatch watch = { group_leaving, group_answered, &g };
    for (size_t b = 0; b < nb; b++)
        jobs[b].watch = in_doubt_create(ei) ? &watch : NULL;
    conn_send_all(t->c, t->tx, jobs, nb, t->o.max_in_flight, &t->o.retry, t->o.clock);
    t->st.requests += nb;
    char **again = cm_calloc(nsend + 1, sizeof *again);
    if (op != CONN_CREATE && key_field)
        resend_existing(t, e, op, key_field, crs, idx, results, pl, nsend, again);
    /* A unit is done once its record and its links are written: until
     * the link step has answered nothing is journaled, so --resume
     * writes both again (idempotently: the link step is only for
     * upserts and updates by key). */
    char msg[256];
    bool linked = conn_link_all(t->c, t->tx, jobs, nb, &t->o.retry, t->o.clock, &t->st.requests, msg,
                                sizeof msg) == CONN_OK;
    if (!linked)
        fatal(t, "linking %s records: %s", ei->name, msg);
    journal_begin(t->j);
    journal_landed(&g);
    for (size_t b = 0; b < nb && linked; b++)
        take_answers(t, e, &jobs[b], idx + b * ei->batch, pl + b * ei->batch);
    commit(t);
    for (size_t k = 0; k < nsend; k++)
        cm_free(again[k]);
    cm_free(again);
    cm_free(g.landed);
    cm_free(batches);
    cm_free(jobs);
    cm_free(results);
}

/* The payload bytes a round of a file entity builds before it sends them:
 * a URL file is fetched as its payload is built and held only as that
 * payload and the request body made of it (which the connector builds
 * through cJSON: about four copies while it does), so this, not the window,
 * bounds the memory files take (docs/files.md, "Limits"). A 5 MiB scan goes
 * alone; small files many to a round. */
#define FILE_ROUND_BYTES (4u * 1024u * 1024u)

/* Reads, builds, journals and sends the units in todo (keys unique), or,
 * for an entity that sends files, the first of them whose payloads reach
 * FILE_ROUND_BYTES. Returns how many were taken; the rest go in a later
 * round. */
static size_t send_round(Transfer *t, uint32_t e, const size_t *todo, size_t n)
{
    EntInfo *ei = &t->ents[e];
    /* A bulk job sends create-only fields as to new records; a record that
     * exists refuses them, and goes again without (resend_existing). */
    bool bulk = bulk_wanted(t, e, ei->op, todo, n);
    bool read = bulk ? ei->read_bulk : ei->read;
    static const ConnCurrent fresh = { .found = false };
    ConnCurrent *cur = read ? cm_calloc(n, sizeof *cur) : NULL;
    char **payloads = cm_calloc(n, sizeof *payloads);
    ConnRecord *crs = cm_calloc(n, sizeof *crs);
    size_t nsend = 0;
    size_t *idx = cm_malloc(n * sizeof *idx);
    size_t *kof = cm_malloc(n * sizeof *kof);     /* crs[i] is unit todo[kof[i]] */
    char **pl = cm_calloc(n, sizeof *pl);
    size_t taken = n, bytes = 0;
    bool files = sends_files(t, e);
    if (cur == NULL || read_current(t, e, todo, n, bulk, cur)) {
        journal_begin(t->j);    /* the units failed here */
        for (size_t k = 0; k < taken; k++) {
            Rec *r = &t->recs[todo[k]];
            Unit *u = &r->units[e];
            const ConnCurrent *c = cur ? &cur[k] : bulk && ei->read && ei->op == CONN_UPSERT ? &fresh : NULL;
            if (ei->fallback >= 0 && c && !c->found) {
                settle(t, r, e, J_FALLBACK, NULL, "NOT_FOUND");
                continue;
            }
            if (ei->id_from_read && !c->found) {
                char msg[300];
                snprintf(msg, sizeof msg, "no %s with %s = %.200s", ei->name, ei->key_field, u->key);
                fail_unit(t, r, e, J_FAILED, "NOT_FOUND", msg, ei->key_field,
                          line_of_field(ei, t->m->entities[e].nfields, ei->key_field), NULL);
                continue;
            }
            payloads[k] = build_payload(t, r, e, c);
            if (payloads[k] == NULL) {
                file_failed(t, r, e);
                continue;
            }
            kof[nsend] = k;
            crs[nsend].payload = payloads[k];
            crs[nsend].key = ei->id_from_read ? c->id : !ei->upsert_by_read ? u->key : c->found ? c->id : NULL;
            idx[nsend] = todo[k];
            pl[nsend++] = payloads[k];
            bytes += strlen(payloads[k]);
            if (files && bytes >= FILE_ROUND_BYTES)
                taken = k + 1;
        }
        commit(t);
    }
    /* a bulk job's CSV is written from the units' cells */
    ConnCell *cells = NULL;
    ConnCells *rows = NULL;
    char (*markers)[40] = NULL;
    if (!t->fatal && bulk_wanted(t, e, ei->op, idx, nsend)) {
        size_t per = t->m->entities[e].nfields + 1u;
        cells = cm_malloc(nsend * per * sizeof *cells);
        rows = cm_malloc(nsend * sizeof *rows);
        markers = cm_malloc(nsend * sizeof *markers);
        for (size_t i = 0; i < nsend; i++) {
            const ConnCurrent *c = cur ? &cur[kof[i]] : bulk && ei->read && ei->op == CONN_UPSERT ? &fresh : NULL;
            rows[i].at = cells + i * per;
            rows[i].n = build_cells(t, &t->recs[idx[i]], e, c, cells + i * per, markers[i]);
        }
    }
    if (!t->fatal && nsend > 0 && ei->upsert_by_read) {
        /* the records found go as updates by their id, the rest as creates */
        size_t nfound = 0;
        for (size_t k = 0; k < nsend; k++) {
            if (crs[k].key == NULL)
                continue;
            ConnRecord cr = crs[k];
            size_t ix = idx[k];
            char *p = pl[k];
            memmove(crs + nfound + 1, crs + nfound, (k - nfound) * sizeof *crs);
            memmove(idx + nfound + 1, idx + nfound, (k - nfound) * sizeof *idx);
            memmove(pl + nfound + 1, pl + nfound, (k - nfound) * sizeof *pl);
            crs[nfound] = cr;
            idx[nfound] = ix;
            pl[nfound++] = p;
        }
        send_group(t, e, CONN_UPDATE, t->v->id_field, crs, idx, pl, NULL, nfound);
        send_group(t, e, CONN_CREATE, NULL, crs + nfound, idx + nfound, pl + nfound, NULL, nsend - nfound);
    } else if (!t->fatal && nsend > 0) {
        send_group(t, e, ei->op, ei->id_from_read ? t->v->id_field : ei->by_id ? NULL : ei->key_field, crs, idx,
                   pl, rows, nsend);
    }
    for (size_t k = 0; k < n; k++) {
        cm_free(payloads[k]);
        if (cur)
            conn_current_clear(&cur[k]);
    }
    cm_free(cur);
    cm_free(payloads);
    cm_free(crs);
    cm_free(idx);
    cm_free(kof);
    cm_free(pl);
    cm_free(cells);
    cm_free(rows);
    cm_free(markers);
    return taken;
}

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        h = (h ^ (uint64_t)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 1099511628211ull;
    }
    return h;
}

/* Moves to the front of todo the units whose key is the first of its kind
 * (compared without case, as the CRMs do) and returns how many; the others
 * wait for a later round. Salesforce refuses a batch holding one external id
 * twice, and a later record must see what an earlier one wrote. */
static size_t first_of_keys(Transfer *t, uint32_t e, size_t *todo, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    const char **slots = cm_calloc(cap, sizeof *slots);
    size_t *later = cm_malloc((n + 1) * sizeof *later);
    size_t k = 0, nl = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = t->recs[todo[i]].units[e].key;
        bool dup = false;
        if (key) {
            size_t h = (size_t)key_hash(key) & (cap - 1);
            while (slots[h] && !(dup = strcasecmp(slots[h], key) == 0))
                h = (h + 1) & (cap - 1);
            if (!dup)
                slots[h] = key;
        }
        if (dup)
            later[nl++] = todo[i];
        else
            todo[k++] = todo[i];
    }
    memcpy(todo + k, later, nl * sizeof *later);
    cm_free(slots);
    cm_free(later);
    return k;
}

/* Reads back by their markers the keyless creates a previous run left in
 * doubt: those the CRM holds are done (J_OK, its id), the others stay in
 * todo to be sent. Returns todo's new length. */
static size_t recover(Transfer *t, uint32_t e, size_t *todo, size_t n)
{
    const EntInfo *ei = &t->ents[e];
    size_t per = t->c->ops->max_read, k = 0, nd = 0;
    size_t *doubt = cm_malloc((n + 1) * sizeof *doubt);
    for (size_t i = 0; i < n; i++)
        if (t->recs[todo[i]].units[e].doubt)
            doubt[nd++] = todo[i];
    char (*markers)[40] = cm_malloc((per + 1) * sizeof *markers);
    const char **keys = cm_malloc((per + 1) * sizeof *keys);
    ConnCurrent *cur = cm_calloc(per + 1, sizeof *cur);
    for (size_t at = 0; at < nd && !t->fatal; at += per) {
        size_t m = nd - at < per ? nd - at : per;
        for (size_t i = 0; i < m; i++) {
            unit_marker(t, &t->recs[doubt[at + i]], e, markers[i]);
            keys[i] = markers[i];
        }
        ConnRead rd = { ei->target, ei->marker_field, keys, m, NULL, 0 };
        char msg[256];
        t->st.requests++;
        if (conn_read(t->c, t->tx, &rd, &t->o.retry, t->o.clock, cur, msg, sizeof msg) != CONN_OK) {
            fatal(t, "reading back the %s records a previous run created by %s: %s", ei->name, ei->marker_field,
                  msg);
            break;
        }
        journal_begin(t->j);
        for (size_t i = 0; i < m; i++) {
            Rec *r = &t->recs[doubt[at + i]];
            r->units[e].doubt = false;
            if (cur[i].found)
                settle(t, r, e, J_OK, cur[i].id, NULL);
            conn_current_clear(&cur[i]);
        }
        commit(t);
    }
    for (size_t i = 0; i < n; i++)
        if (t->recs[todo[i]].units[e].state != J_OK && !t->recs[todo[i]].units[e].doubt)
            todo[k++] = todo[i];
    cm_free(doubt);
    cm_free(markers);
    cm_free(keys);
    cm_free(cur);
    return t->fatal ? 0 : k;
}

/* False, and the run stopped, once the requests submitted (retries
 * included) are past max_calls: what was not sent stays for --resume. */
static bool within_calls(Transfer *t)
{
    uint64_t made = tx_submitted(t->tx);
    if (t->o.max_calls == 0 || made <= t->o.max_calls)
        return true;
    fatal(t, "%llu API calls made, more than --max-calls %llu (retries count too); stopped before sending more",
          (unsigned long long)made, (unsigned long long)t->o.max_calls);
    return false;
}

static void send_entity(Transfer *t, uint32_t e)
{
    size_t *todo = cm_malloc((t->nrecs + 1) * sizeof *todo);
    journal_begin(t->j);
    size_t n = prepare(t, e, todo);
    commit(t);
    if (t->ents[e].marker_field && !t->ents[e].client_id)
        n = recover(t, e, todo, n);
    size_t at = 0;
    while (at < n && !t->fatal && !atomic_load(&t->cancel) && within_calls(t)) {
        size_t k = first_of_keys(t, e, todo + at, n - at);
        at += send_round(t, e, todo + at, k);
    }
    cm_free(todo);
}

static void flush_window(Transfer *t)
{
    journal_begin(t->j);
    for (size_t i = 0; i < t->nrecs; i++) {
        Rec *r = &t->recs[i];
        if (r->bad && !resumed(t, r, t->m->nentities))
            fail_unit(t, r, t->m->nentities, J_FAILED, "BAD_INPUT", r->bad, NULL, 0, NULL);
    }
    commit(t);
    for (uint32_t e = 0; e < t->m->nentities && !t->fatal && !atomic_load(&t->cancel); e++)
        send_entity(t, e);
    for (size_t i = 0; i < t->nrecs; i++)
        rec_free(t->m, &t->recs[i]);
    t->nrecs = 0;
    t->held = 0;
    if (t->o.progress)
        t->o.progress(t->o.progress_ctx, &t->st);
}

/* ---- feeding records ---- */

/* The input a window holds before it is sent, whatever its record count: a
 * record is held about twice (its input for the error file, its units'
 * values), so records carrying data: URI files of up to 1 MiB would
 * otherwise hold a window's worth of them (docs/files.md, "Limits").
 * Records under about 1 KiB reach the default count first. */
#define WINDOW_BYTES (8u * 1024u * 1024u)

static bool window_full(Transfer *t, size_t input_len)
{
    t->held += input_len;
    return t->nrecs == t->cap || t->held >= WINDOW_BYTES;
}

static bool accepting(Transfer *t)
{
    if (!t->fatal && atomic_load(&t->cancel))
        fatal(t, "cancelled");
    return !t->fatal;
}

static Rec *take_slot(Transfer *t, uint64_t record, const char *input, size_t input_len, bool is_json,
                      size_t line)
{
    Rec *r = &t->recs[t->nrecs++];
    r->record = record;
    r->line = line;
    r->input = cm_strndup(input ? input : "", input ? input_len : 0);
    r->input_len = input ? input_len : 0;
    r->input_is_json = input && is_json;
    return r;
}

static char *key_text(const Value *v)
{
    if (v->type == V_STR)
        return cm_strndup(v->u.str, v->len);
    if (v->type == V_NUM) {
        char buf[NUMTEXT_MAX];
        size_t n = numtext_format(v->u.num, buf);
        return cm_strndup(buf, n);
    }
    if (v->type == V_BOOL)
        return cm_strdup(v->u.b ? "true" : "false");
    return NULL;
}

static void copy_unit(Unit *u, const VmResult *res)
{
    const MapcEntity *e = res->entity;
    u->outcome = res->outcome;
    if (res->outcome == VM_REJECT || res->outcome == VM_ERROR) {
        u->message = cm_strndup(res->message, res->message_len);
        u->line = res->line;
        return;
    }
    if (res->outcome != VM_RECORD)
        return;
    if (res->npartial) {
        u->partial = cm_calloc(res->npartial, sizeof *u->partial);
        for (const VmPartial *p = res->partial; p; p = p->next) {
            UPartial *up = &u->partial[u->npartial++];
            up->field = p->field;
            up->unknown_option = p->unknown_option;
            up->bad_value = p->bad_value;
            up->message = cm_strndup(p->message, p->message_len);
            up->value = p->unknown_option || p->bad_value ? cm_strndup(p->value, p->value_len) : NULL;
            up->question = p->unknown_option ? cm_strndup(p->question, p->question_len) : NULL;
            up->line = p->line;
        }
    }
    CmBuf text = CM_BUF_INIT;
    u->fields = cm_calloc(e->nfields + 1u, sizeof *u->fields);
    for (uint32_t f = 0; f < e->nfields; f++) {
        if (!res->set[f])
            continue;
        UField *uf = &u->fields[u->nfields++];
        const Value *v = &res->values[f];
        uf->field = f;
        uf->ref = v->type == V_REF ? (int32_t)v->u.ref : -1;
        uf->chain = v->type == V_REF && v->len ? (int32_t)v->len - 1 : -1;
        uf->off = (uint32_t)text.len;
        uf->type = v->type;
        if (v->type == V_STR) {
            cm_buf_put(&text, v->u.str, v->len);
        } else if (v->type == V_NUM) {
            char buf[NUMTEXT_MAX];
            cm_buf_put(&text, buf, numtext_format(v->u.num, buf));
        } else if (v->type == V_BOOL) {
            cm_buf_puts(&text, v->u.b ? "true" : "false");
        }
        uf->len = (uint32_t)(text.len - uf->off);
    }
    u->text = cm_buf_take(&text);
    if (e->key >= 0 && res->set[e->key])
        u->key = key_text(&res->values[e->key]);
}

bool transfer_record(Transfer *t, uint64_t record, const VmResult *results, const char *input,
                     size_t input_len, bool input_is_json, size_t line)
{
    if (!accepting(t))
        return false;
    Rec *r = take_slot(t, record, input, input_len, input_is_json, line);
    r->units = cm_calloc(t->m->nentities + 1u, sizeof *r->units);
    for (uint32_t i = 0; i < t->m->nentities; i++) {
        copy_unit(&r->units[i], &results[i]);
        /* an entity and its fallback are one unit: the fallback counts
         * only where its entity produced nothing */
        int32_t of = t->ents[i].fallback_of;
        if (results[i].outcome != VM_NONE && (of < 0 || results[of].outcome == VM_NONE))
            t->st.in++;
    }
    if (window_full(t, input_len))
        flush_window(t);
    return !t->fatal;
}

bool transfer_bad_record(Transfer *t, uint64_t record, const char *why, const char *input, size_t input_len,
                         size_t line)
{
    if (!accepting(t))
        return false;
    Rec *r = take_slot(t, record, input, input_len, false, line);
    r->bad = cm_strdup(why ? why : "malformed record");
    t->st.in++;
    if (window_full(t, input_len))
        flush_window(t);
    return !t->fatal;
}

bool transfer_finish(Transfer *t)
{
    if (t->nrecs > 0 && !t->fatal)
        flush_window(t);
    return accepting(t);
}

void transfer_cancel(Transfer *t)
{
    atomic_store(&t->cancel, true);
}

const TransferStats *transfer_stats(const Transfer *t)
{
    return &t->st;
}

const char *transfer_error(const Transfer *t)
{
    return t->fatal ? t->error : NULL;
}

static void fingerprint_hex(const Mapc *m, char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->fingerprint[i]);
}

void transfer_run_key(const Mapc *m, const char *input_path, char *out, size_t outlen)
{
    char hex[65];
    fingerprint_hex(m, hex);
    struct stat sb;
    char *abs = strcmp(input_path, "-") == 0 ? NULL : realpath(input_path, NULL);
    if (abs && stat(abs, &sb) == 0)
        snprintf(out, outlen, "%s:%s:%lld:%lld.%09ld", hex, abs, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
                 (long)sb.st_mtim.tv_nsec);
    else
        snprintf(out, outlen, "%s:%s", hex, input_path);
    free(abs);
}

void transfer_inbox_run_key(const Mapc *m, const char *inbox_path, char *out, size_t outlen)
{
    char hex[65];
    fingerprint_hex(m, hex);
    char *abs = realpath(inbox_path, NULL);
    snprintf(out, outlen, "%s:serve:%s", hex, abs ? abs : inbox_path);
    free(abs);
}
