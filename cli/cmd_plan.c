/* cmd_plan: `crmmap plan FILE.map|FILE.mapc --input FILE [--format text|json]
 * [connection flags]` — what a run would change in the CRM, record by record
 * and field by field, without writing anything. The mapping runs offline
 * exactly as `run --dry-run` does (its lines are what is compared); the
 * CRM's current records are read by key through conn_read, GROUP source
 * records at a time. docs/plan.md. cJSON reads the dry-run lines and the
 * CRM's records. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "budget_cli.h"
#include "cli_opts.h"
#include "cm_alloc.h"
#include "connector.h"
#include "crm_link.h"
#include "dryrun.h"
#include "mapc_cli.h"
#include "param_cli.h"
#include "reader.h"
#include "vm.h"

extern const Command cmd_plan;

#define GROUP 200   /* source records planned together */

enum Action { A_CREATE, A_UPDATE, A_UNCHANGED, A_REJECTED, A__COUNT };
static const char *const action_names[] = { "create", "update", "unchanged", "rejected" };

typedef struct Entry {
    cJSON *line;        /* this record's dry-run line for the entity; NULL: its `when` was false */
    bool found;         /* read, and the CRM has the record */
    char id[96];
    cJSON *current;     /* the CRM's values of the entity's fields */
} Entry;

typedef struct Plan {
    const Mapc *m;
    CrmLink *link;
    Connector *conn;
    bool json;
    Entry *entries;     /* GROUP rows of m->nentities */
    cJSON *bad[GROUP];  /* a malformed input record's line, else NULL */
    size_t count;       /* records in the group */
    size_t (*totals)[A__COUNT];     /* per entity */
    size_t *partial;    /* per entity: planned units sent without some value (docs/run.md) */
    size_t malformed;
    bool failed;        /* something was rejected */
    CmBuf out;
} Plan;

static const char *entity_name(const Plan *p, uint32_t i, CmArena *a)
{
    uint32_t n;
    const char *s = mapc_str(p->m, p->m->entities[i].name, &n);
    return cm_arena_strndup(a, s, n);
}

/* ---- reading the CRM's records ---- */

/* The text of a dry-run key value; NULL when there is none. */
static char *key_text(const cJSON *line)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(line, "key");
    const cJSON *v = key ? key->child : NULL;
    if (cJSON_IsString(v))
        return cm_strdup(v->valuestring);
    if (cJSON_IsNumber(v) || cJSON_IsBool(v)) {
        char *t = cJSON_PrintUnformatted(v);
        char *copy = cm_strdup(t);
        cJSON_free(t);
        return copy;
    }
    return NULL;
}

static bool read_chunk(Plan *p, uint32_t ei, const char *const *keys, size_t nkeys, size_t *rows, size_t nrows,
                       CmArena *a)
{
    const MapcEntity *e = &p->m->entities[ei];
    const char **fields = cm_arena_alloc(a, (e->nfields + 1) * sizeof *fields);
    for (uint32_t j = 0; j < e->nfields; j++) {
        uint32_t n;
        const char *s = mapc_str(p->m, e->fields[j].name, &n);
        fields[j] = cm_arena_strndup(a, s, n);
    }
    uint32_t kn;
    const char *kf = mapc_str(p->m, e->fields[e->key].name, &kn);
    const char *entity = entity_name(p, ei, a);
    char *set = p->link->vendor->entity_target ? p->link->vendor->entity_target(entity) : NULL;
    ConnRead r = { set ? cm_arena_strdup(a, set) : entity, cm_arena_strndup(a, kf, kn), keys, nkeys, fields,
                   e->nfields };
    cm_free(set);
    ConnCurrent *out = cm_calloc(nkeys + 1, sizeof *out);
    char msg[400];
    ConnStatus st = conn_read(p->conn, p->link->tx, &r, &p->link->policy, retry_system_clock(), out, msg, sizeof msg);
    if (st != CONN_OK) {
        crm_link_fail(p->link, "reading the current %s records by %s: %s%s", r.entity, r.key_field, msg,
                      st == CONN_AUTH ? "\n  help: check the token given with --token-env or --token-file, and that "
                                        "it has not expired"
                      : st == CONN_UNAVAILABLE ? "\n  help: check the URL and that the CRM is reachable; try again later"
                                               : "");
        cm_free(out);
        return false;
    }
    for (size_t i = 0; i < nrows; i++) {
        Entry *en = &p->entries[rows[i] * p->m->nentities + ei];
        char *key = key_text(en->line);
        for (size_t k = 0; key && k < nkeys; k++) {
            if (strcmp(keys[k], key) != 0 || !out[k].found)
                continue;
            en->found = true;
            snprintf(en->id, sizeof en->id, "%s", out[k].id);
            en->current = out[k].fields ? cJSON_Parse(out[k].fields) : NULL;
            break;
        }
        cm_free(key);
    }
    for (size_t k = 0; k < nkeys; k++)
        conn_current_clear(&out[k]);
    cm_free(out);
    return true;
}

/* Reads, for every entity that updates or upserts, the group's records by key. */
static bool read_current(Plan *p)
{
    const Mapc *m = p->m;
    size_t max = p->conn->ops->max_read;
    for (uint32_t ei = 0; ei < m->nentities; ei++) {
        if (m->entities[ei].mode == MODE_C_CREATE || m->entities[ei].key < 0)
            continue;
        CmArena a;
        cm_arena_init(&a, 4096);
        const char **keys = cm_arena_alloc(&a, (max + 1) * sizeof *keys);
        size_t *rows = cm_arena_alloc(&a, (p->count + 1) * sizeof *rows);
        size_t nkeys = 0, nrows = 0;
        bool ok = true;
        for (size_t r = 0; ok && r <= p->count; r++) {
            char *key = NULL;
            if (r < p->count) {
                const cJSON *line = p->entries[r * m->nentities + ei].line;
                if (line && cJSON_GetObjectItemCaseSensitive(line, "op"))
                    key = key_text(line);
                if (key == NULL)
                    continue;
            }
            bool seen = false;
            for (size_t k = 0; key && k < nkeys && !seen; k++)
                seen = strcmp(keys[k], key) == 0;
            /* A full chunk, or the end: read what was collected. */
            if ((r == p->count || (!seen && nkeys == max)) && nkeys > 0) {
                ok = read_chunk(p, ei, keys, nkeys, rows, nrows, &a);
                nkeys = nrows = 0;
            }
            if (key && !seen)
                keys[nkeys++] = cm_arena_strdup(&a, key);
            if (key)
                rows[nrows++] = r;
            cm_free(key);
        }
        cm_arena_free(&a);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- comparing and printing ---- */

static bool empty(const cJSON *v)
{
    return v == NULL || cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0');
}

/* The reason a dry-run line gives for sending nothing (reject, skip, error), or NULL. */
static const cJSON *reason_of(const cJSON *line)
{
    static const char *const why[] = { "reject", "skip", "error" };
    const cJSON *reason = NULL;
    for (size_t k = 0; k < 3 && !cJSON_IsString(reason); k++)
        reason = cJSON_GetObjectItemCaseSensitive(line, why[k]);
    return cJSON_IsString(reason) ? reason : NULL;
}

/* The entity written `when no E` for E = ei, or -1. */
static int32_t fallback_for(const Plan *p, uint32_t ei)
{
    for (uint32_t f = ei + 1; f < p->m->nentities; f++)
        if (p->m->entities[f].fallback_of == (int32_t)ei)
            return (int32_t)f;
    return -1;
}

/* Which branch of a fallback pair a run passes over for this record (docs/run.md,
 * "Fallback entities"). */
enum Passed {
    P_PLANNED,          /* not passed over: planned as any entity is */
    P_FALLBACK_GOES,    /* E's update of a key the CRM does not hold: its fallback goes */
    P_E_UPDATED,        /* the fallback of a record whose E is updated */
    P_E_REFUSED,        /* the fallback of a record whose E was rejected or failed */
};

static enum Passed passed_over(const Plan *p, size_t row, uint32_t ei)
{
    const Entry *en = &p->entries[row * p->m->nentities + ei];
    int32_t of = p->m->entities[ei].fallback_of;
    if (en->line == NULL)
        return P_PLANNED;
    if (of < 0) {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(en->line, "op");
        bool missing = !en->found && reason_of(en->line) == NULL && cJSON_IsString(op)
                       && strcmp(op->valuestring, "update") == 0;
        return missing && fallback_for(p, ei) >= 0 ? P_FALLBACK_GOES : P_PLANNED;
    }
    const Entry *e = &p->entries[row * p->m->nentities + (uint32_t)of];
    if (e->line == NULL)
        return P_PLANNED;   /* E produced nothing: the fallback goes */
    if (reason_of(e->line) != NULL)
        return P_E_REFUSED;
    return e->found ? P_E_UPDATED : P_PLANNED;
}

/* A ref to entity `to` of this record: 2 where the record found it in the
 * CRM (*id), 1 where it is a new record, 0 where it is a branch of a
 * fallback pair the run passes over (the other branch, of the same name,
 * may still be taken). */
static int ref_to(const Plan *p, size_t row, uint32_t ei, const char *to, CmArena *a, const char **id)
{
    int out = 1;
    for (uint32_t k = ei; k-- > 0;) {
        const Entry *parent = &p->entries[row * p->m->nentities + k];
        if (strcmp(entity_name(p, k, a), to) != 0)
            continue;
        if (passed_over(p, row, k) != P_PLANNED) {
            out = 0;
            continue;
        }
        if (parent->found) {
            *id = parent->id;
            return 2;
        }
        return 1;
    }
    return out;
}

/* A ref to an entity the same record found in the CRM is that record's id;
 * to a branch of a fallback pair the run passes over, the other branch (same
 * name) or nothing: the run leaves the field out. A chain (`ref A ?? ref
 * B`, {"ref": ["A", "B"]}) is its first entity the run writes. */
static const cJSON *resolve_ref(const Plan *p, size_t row, uint32_t ei, const cJSON *v, CmArena *a, cJSON **made)
{
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(v, "ref");
    if (!cJSON_IsObject(v) || !(cJSON_IsString(to) || cJSON_IsArray(to)))
        return v;
    for (const cJSON *n = cJSON_IsArray(to) ? to->child : to; n != NULL; n = cJSON_IsArray(to) ? n->next : NULL) {
        const char *id = NULL;
        int r = cJSON_IsString(n) ? ref_to(p, row, ei, n->valuestring, a, &id) : 0;
        if (r == 2)
            return *made = cJSON_CreateString(id);
        if (r == 1 && n == to)
            return v;
        if (r == 1) {
            *made = cJSON_CreateObject();
            cJSON_AddStringToObject(*made, "ref", n->valuestring);
            return *made;
        }
    }
    return NULL;
}

static void put_value(CmBuf *b, const cJSON *v)
{
    if (empty(v)) {
        cm_buf_puts(b, "(empty)");
        return;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(v, "ref");
    if (cJSON_IsObject(v) && cJSON_IsString(to)) {
        cm_buf_printf(b, "(the new %s)", to->valuestring);
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    cm_buf_puts(b, t);
    cJSON_free(t);
}

/* A lookup's value in the dry-run line, under its bind key (NAME or, per
 * table, NAME_TABLE, then the vendor's bind suffix: Dynamics' @odata.bind):
 * the plan shows the field and the record id, not the "/systemusers(id)"
 * binding. A lookup with one navigation property binds through it, and a
 * custom lookup's is its SchemaName (new_ContactId for new_contactid). */
static const cJSON *lookup_value(const Mapc *m, const char *bind, const MapcField *f, const cJSON *sec,
                                 const char *name, cJSON **made)
{
    if (bind == NULL)
        return NULL;
    size_t n = strlen(name), b = strlen(bind);
    if (f->bind_nav >= 0 && !f->per_target) {
        uint32_t len;
        name = mapc_str(m, (uint32_t)f->bind_nav, &len);
        n = len;
    }
    for (const cJSON *c = sec ? sec->child : NULL; c != NULL; c = c->next) {
        size_t kn = strlen(c->string);
        if (kn < n + b || strncmp(c->string, name, n) != 0 || strcmp(c->string + kn - b, bind) != 0
            || (kn != n + b && !(f->per_target && c->string[n] == '_')))
            continue;
        const char *s = cJSON_IsString(c) ? c->valuestring : NULL;
        const char *open = s && s[0] == '/' ? strchr(s, '(') : NULL;
        size_t sl = s ? strlen(s) : 0;
        if (open && s[sl - 1] == ')') {
            char *id = cm_strndup(open + 1, (size_t)(s + sl - 1 - (open + 1)));
            *made = cJSON_CreateString(id);
            cm_free(id);
            return *made;
        }
        return c;
    }
    return NULL;
}

typedef struct Change {
    const char *name;
    const char *change;     /* set, update, unchanged, kept */
    const char *why;        /* kept: "master crm" or "on create" */
    const cJSON *old, *now;
} Change;

/* The field changes of one record line, in the mapping's order; returns how many. */
static size_t changes(const Plan *p, size_t row, uint32_t ei, const Entry *en, bool creating, Change *out, CmArena *a,
                      cJSON **made)
{
    static const char *const sections[] = { "payload", "if_empty", "on_create" };
    const MapcEntity *e = &p->m->entities[ei];
    size_t n = 0;
    for (uint32_t j = 0; j < e->nfields; j++) {
        uint32_t len;
        const char *s = mapc_str(p->m, e->fields[j].name, &len);
        const char *name = cm_arena_strndup(a, s, len);
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(en->line, sections[e->fields[j].section]);
        const cJSON *v = e->fields[j].lookup
                             ? lookup_value(p->m, p->link->vendor->bind_suffix, &e->fields[j], sec, name, &made[j])
                             : cJSON_GetObjectItemCaseSensitive(sec, name);
        if (v != NULL)
            v = resolve_ref(p, row, ei, v, a, &made[j]);
        if (v == NULL)
            continue;
        Change *c = &out[n++];
        c->name = name;
        c->why = NULL;
        c->now = v;
        c->old = creating ? NULL : cJSON_GetObjectItemCaseSensitive(en->current, name);
        bool same = (empty(c->old) && empty(c->now)) || (c->old && cJSON_Compare(c->old, c->now, true));
        if (creating)
            c->change = "set";
        else if (same)
            c->change = "unchanged";
        else if (e->fields[j].section == FS_ON_CREATE)
            c->change = "kept", c->why = "on create";
        else if (e->fields[j].section == FS_IF_EMPTY && !empty(c->old))
            c->change = "kept", c->why = "master crm";
        else
            c->change = "update";
    }
    return n;
}

/* "record 1 Contact upsert by Email "a@b.de": update 003..." */
static void text_line(Plan *p, size_t record, const char *entity, const cJSON *line, const char *verdict)
{
    cm_buf_printf(&p->out, "record %zu %s", record, entity);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(line, "op");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(line, "key");
    if (key && key->child) {
        if (cJSON_IsString(op) && strcmp(op->valuestring, "create") != 0)
            cm_buf_printf(&p->out, " %s by %s ", op->valuestring, key->child->string);
        else
            cm_buf_printf(&p->out, " key %s ", key->child->string);
        put_value(&p->out, key->child);
    }
    cm_buf_printf(&p->out, ": %s\n", verdict);
}

/* The members a --format json line opens with. */
static cJSON *json_row(size_t record, const char *entity, const char *action)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "record", (double)record);
    cJSON_AddStringToObject(o, "entity", entity);
    cJSON_AddStringToObject(o, "action", action);
    return o;
}

/* Appends o to the output as one line. */
static void put_json_row(Plan *p, const cJSON *o)
{
    char *t = cJSON_PrintUnformatted(o);
    cm_buf_printf(&p->out, "%s\n", t);
    cJSON_free(t);
}

static void rejected(Plan *p, size_t record, uint32_t ei, const cJSON *line, const char *why, CmArena *a)
{
    const char *entity = entity_name(p, ei, a);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(line, "line");
    p->totals[ei][A_REJECTED]++;
    p->failed = true;
    if (p->json) {
        cJSON *o = json_row(record, entity, "rejected");
        cJSON_AddStringToObject(o, "reason", why);
        if (cJSON_IsNumber(at))
            cJSON_AddNumberToObject(o, "line", at->valuedouble);
        put_json_row(p, o);
        cJSON_Delete(o);
    } else {
        CmBuf v = CM_BUF_INIT;
        cm_buf_printf(&v, "rejected: %s", why);
        if (cJSON_IsNumber(at))
            cm_buf_printf(&v, " (line %d)", at->valueint);
        text_line(p, record, entity, line, v.data);
        cm_buf_free(&v);
    }
}

static void planned(Plan *p, size_t row, uint32_t ei, const Entry *en, CmArena *a)
{
    const MapcEntity *e = &p->m->entities[ei];
    const char *entity = entity_name(p, ei, a);
    size_t record = (size_t)cJSON_GetObjectItemCaseSensitive(en->line, "record")->valuedouble;
    const char *op = cJSON_GetObjectItemCaseSensitive(en->line, "op")->valuestring;
    bool creating = e->mode == MODE_C_CREATE || !en->found;
    if (!en->found && strcmp(op, "update") == 0) {
        CmBuf why = CM_BUF_INIT;
        cm_buf_printf(&why, "the CRM has no %s with this key: an update needs one", entity);
        rejected(p, record, ei, en->line, why.data, a);
        cm_buf_free(&why);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(en->line, "partial"))
        p->partial[ei]++;
    Change *ch = cm_arena_alloc(a, (e->nfields + 1) * sizeof *ch);
    cJSON **made = cm_calloc(e->nfields + 1, sizeof *made);
    size_t n = changes(p, row, ei, en, creating, ch, a, made);
    enum Action act = A_CREATE;
    if (!creating) {
        act = A_UNCHANGED;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ch[i].change, "update") == 0)
                act = A_UPDATE;
    }
    p->totals[ei][act]++;
    if (p->json) {
        cJSON *o = json_row(record, entity, action_names[act]);
        cJSON_AddItemToObject(o, "key", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(en->line, "key"), true));
        if (en->found)
            cJSON_AddStringToObject(o, "id", en->id);
        cJSON *fields = cJSON_AddObjectToObject(o, "fields");
        for (size_t i = 0; i < n; i++) {
            cJSON *f = cJSON_AddObjectToObject(fields, ch[i].name);
            cJSON_AddStringToObject(f, "change", ch[i].change);
            if (!creating)
                cJSON_AddItemToObject(f, "old", ch[i].old ? cJSON_Duplicate(ch[i].old, true) : cJSON_CreateNull());
            cJSON_AddItemToObject(f, "new", cJSON_Duplicate(ch[i].now, true));
            if (ch[i].why)
                cJSON_AddStringToObject(f, "why", ch[i].why);
        }
        put_json_row(p, o);
        cJSON_Delete(o);
    } else {
        CmBuf v = CM_BUF_INIT;
        cm_buf_puts(&v, action_names[act]);
        if (en->found)
            cm_buf_printf(&v, " %s", en->id);
        text_line(p, record, entity, en->line, v.data);
        cm_buf_free(&v);
        int width = 0;
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(ch[i].name) > width)
                width = (int)strlen(ch[i].name);
        for (size_t i = 0; i < n; i++) {
            cm_buf_printf(&p->out, "  %-*s  %-9s  ", width, ch[i].name, ch[i].change);
            if (strcmp(ch[i].change, "update") == 0) {
                put_value(&p->out, ch[i].old);
                cm_buf_puts(&p->out, " -> ");
                put_value(&p->out, ch[i].now);
            } else if (ch[i].why) {
                put_value(&p->out, ch[i].old);
                cm_buf_printf(&p->out, " (%s; the mapping has ", ch[i].why);
                put_value(&p->out, ch[i].now);
                cm_buf_putc(&p->out, ')');
            } else {
                put_value(&p->out, ch[i].now);
            }
            cm_buf_putc(&p->out, '\n');
        }
    }
    for (uint32_t j = 0; j <= e->nfields; j++)
        cJSON_Delete(made[j]);
    cm_free(made);
}

/* One line, counted nowhere, for a branch a run passes over; false: ei is planned. */
static bool print_passed_over(Plan *p, size_t row, uint32_t ei, CmArena *a)
{
    enum Passed why = passed_over(p, row, ei);
    if (why == P_PLANNED)
        return false;
    const Entry *en = &p->entries[row * p->m->nentities + ei];
    int32_t of = p->m->entities[ei].fallback_of;
    uint32_t other = why == P_FALLBACK_GOES ? (uint32_t)fallback_for(p, ei) : (uint32_t)of;
    const char *entity = entity_name(p, ei, a), *pair = entity_name(p, other, a);
    size_t record = (size_t)cJSON_GetObjectItemCaseSensitive(en->line, "record")->valuedouble;
    if (p->json) {
        cJSON *o = json_row(record, entity, why == P_FALLBACK_GOES ? "fallback" : "not_taken");
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(en->line, "key");
        if (key)
            cJSON_AddItemToObject(o, "key", cJSON_Duplicate(key, true));
        cJSON_AddStringToObject(o, why == P_FALLBACK_GOES ? "fallback" : "because", pair);
        put_json_row(p, o);
        cJSON_Delete(o);
        return true;
    }
    /* "record" carries the verb: an entity's name may be plural (leads). */
    CmBuf v = CM_BUF_INIT;
    if (why == P_FALLBACK_GOES)
        cm_buf_printf(&v, "not in the CRM: the fallback %s record goes instead", pair);
    else if (why == P_E_UPDATED)
        cm_buf_printf(&v, "not sent: the %s record %s is updated instead", pair, p->entries[row * p->m->nentities + other].id);
    else
        cm_buf_printf(&v, "not sent: the %s record was refused", pair);
    text_line(p, record, entity, en->line, v.data);
    cm_buf_free(&v);
    return true;
}

static void print_group(Plan *p)
{
    CmArena a;
    cm_arena_init(&a, 4096);
    for (size_t r = 0; r < p->count; r++) {
        if (p->bad[r]) {
            p->malformed++;
            p->failed = true;
            if (p->json) {
                put_json_row(p, p->bad[r]);
            } else {
                const cJSON *b = p->bad[r];
                cm_buf_printf(&p->out, "record %d: rejected: malformed input at line %d, column %d: %s\n",
                              cJSON_GetObjectItemCaseSensitive(b, "record")->valueint,
                              cJSON_GetObjectItemCaseSensitive(b, "input_line")->valueint,
                              cJSON_GetObjectItemCaseSensitive(b, "input_col")->valueint,
                              cJSON_GetObjectItemCaseSensitive(b, "error")->valuestring);
            }
            continue;
        }
        for (uint32_t ei = 0; ei < p->m->nentities; ei++) {
            const Entry *en = &p->entries[r * p->m->nentities + ei];
            if (en->line == NULL)
                continue;
            size_t record = (size_t)cJSON_GetObjectItemCaseSensitive(en->line, "record")->valuedouble;
            const cJSON *reason = reason_of(en->line);
            if (print_passed_over(p, r, ei, &a))
                continue;
            if (reason)
                rejected(p, record, ei, en->line, reason->valuestring, &a);
            else
                planned(p, r, ei, en, &a);
        }
        cm_arena_free(&a);
        cm_arena_init(&a, 4096);
    }
    cm_arena_free(&a);
    fwrite(p->out.data ? p->out.data : "", 1, p->out.len, stdout);
    cm_buf_clear(&p->out);
}

static void clear_group(Plan *p)
{
    for (size_t i = 0; i < p->count * p->m->nentities; i++) {
        cJSON_Delete(p->entries[i].line);
        cJSON_Delete(p->entries[i].current);
        memset(&p->entries[i], 0, sizeof p->entries[i]);
    }
    for (size_t r = 0; r < p->count; r++) {
        cJSON_Delete(p->bad[r]);
        p->bad[r] = NULL;
    }
    p->count = 0;
}

static bool flush_group(Plan *p)
{
    bool ok = read_current(p);
    if (ok)
        print_group(p);
    clear_group(p);
    return ok;
}

static void summary(Plan *p)
{
    CmArena a;
    cm_arena_init(&a, 1024);
    if (p->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON *s = cJSON_AddObjectToObject(o, "summary");
        for (uint32_t ei = 0; ei < p->m->nentities; ei++) {
            const char *name = entity_name(p, ei, &a);
            cJSON *e = cJSON_GetObjectItemCaseSensitive(s, name);
            if (e == NULL) {
                e = cJSON_AddObjectToObject(s, name);
                for (int k = 0; k < A__COUNT; k++)
                    cJSON_AddNumberToObject(e, action_names[k], 0);
            }
            for (int k = 0; k < A__COUNT; k++) {
                cJSON *c = cJSON_GetObjectItemCaseSensitive(e, action_names[k]);
                cJSON_SetNumberValue(c, c->valuedouble + (double)p->totals[ei][k]);
            }
            if (p->partial[ei])
                cJSON_AddNumberToObject(e, "partial", (double)p->partial[ei]);
        }
        cJSON_AddNumberToObject(o, "malformed", (double)p->malformed);
        char *t = cJSON_PrintUnformatted(o);
        printf("%s\n", t);
        cJSON_free(t);
        cJSON_Delete(o);
    } else {
        printf("\nsummary (nothing was written):\n");
        for (uint32_t ei = 0; ei < p->m->nentities; ei++) {
            printf("  %s: %zu create, %zu update, %zu unchanged, %zu rejected", entity_name(p, ei, &a),
                   p->totals[ei][A_CREATE], p->totals[ei][A_UPDATE], p->totals[ei][A_UNCHANGED],
                   p->totals[ei][A_REJECTED]);
            if (p->partial[ei])     /* creates or updates that leave a value out */
                printf(", %zu of them partial", p->partial[ei]);
            putchar('\n');
        }
        if (p->malformed)
            printf("  %zu malformed input record%s\n", p->malformed, p->malformed == 1 ? "" : "s");
    }
    cm_arena_free(&a);
}

/* ---- the records ---- */

static int plan_records(Plan *p, const RunInput *input)
{
    const Mapc *m = p->m;
    MapcRecords in;
    mapc_records_open(&in, m, input);
    CmBuf line = CM_BUF_INIT;
    int status = EXIT_OK;
    while (mapc_records_next(&in)) {
        size_t record = in.record;
        size_t row = p->count++;
        if (in.st == RD_BAD_RECORD) {
            size_t l, c, len;
            const char *why, *text;
            mapc_records_bad(&in, &why, &l, &c, &text, &len);
            cJSON *b = cJSON_CreateObject();
            cJSON_AddNumberToObject(b, "record", (double)record);
            cJSON_AddStringToObject(b, "action", "rejected");
            cJSON_AddStringToObject(b, "error", why);
            cJSON_AddNumberToObject(b, "input_line", (double)l);
            cJSON_AddNumberToObject(b, "input_col", (double)c);
            p->bad[row] = b;
        } else {
            const VmResult *res = record_vm_run(&in.vm);
            for (uint32_t ei = 0; ei < m->nentities; ei++) {
                cm_buf_clear(&line);
                if (dryrun_line(m, record, &res[ei], &line))
                    p->entries[row * m->nentities + ei].line = cJSON_ParseWithLength(line.data, line.len);
            }
        }
        if (p->count == GROUP && !flush_group(p)) {
            status = EXIT_FATAL;
            break;
        }
    }
    if (in.unreadable)
        status = EXIT_CHECK;
    if (status == EXIT_OK && !flush_group(p))
        status = EXIT_FATAL;
    clear_group(p);
    if (status == EXIT_OK)
        summary(p);
    cm_buf_free(&line);
    mapc_records_close(&in);
    if (status == EXIT_OK && p->failed)
        status = EXIT_PARTIAL;
    return status;
}

/* The short window's share: how many windows the calls need beyond what
 * is left in the current one (Dataverse's per user and 5 minutes). */
static void window_share(const CrmVendor *v, const RateSeen *s, uint64_t calls)
{
    int64_t max = s->max > 0 ? s->max : v->quota.window_max;
    int64_t ms = s->interval_ms > 0 ? s->interval_ms : v->quota.window_ms;
    if (max <= 0 || ms <= 0)
        return;
    printf("  per %.0f s: %lld requests%s%s%s", (double)ms / 1000.0, (long long)max,
           v->quota.window_name ? " (" : "", v->quota.window_name ? v->quota.window_name : "",
           v->quota.window_name ? "), not per day" : "");
    if (s->remaining >= 0)
        printf("; %lld left now", (long long)s->remaining);
    if (v->quota.window_time_ms > 0 && s->time_remaining_ms >= 0)
        printf(", and %.1f s of the %.0f s of server time", (double)s->time_remaining_ms / 1000.0,
               (double)v->quota.window_time_ms / 1000.0);
    uint64_t left = s->remaining >= 0 ? (uint64_t)s->remaining : (uint64_t)max;
    if (calls <= left) {
        printf("; this run's %llu calls fit in what is left\n", (unsigned long long)calls);
    } else {
        uint64_t more = crm_budget_div(calls - left, (uint64_t)max);
        printf("; this run's %llu calls need %llu more window%s: at least %.0f s at that limit\n",
               (unsigned long long)calls, (unsigned long long)more, more == 1 ? "" : "s",
               (double)more * (double)ms / 1000.0);
    }
}

/* With a connection: what share of the org's remaining quota the estimate
 * is, where the CRM says (CrmVendor.quota): of the day's, and of the short
 * window's where the CRM limits by that (docs/run.md, "The org's quota"). */
static int quota_share(const CrmFlags *flags, const char *path, Mapc *m, uint64_t calls)
{
    CrmLink link;
    int status = crm_link_open_mapping(&link, "crmmap plan", flags, path, m);
    bool offered;
    RateSeen s;
    if (status == EXIT_OK && crm_link_quota(&link, &offered, &s)) {
        double max = (double)s.daily_max, left = (double)s.daily_remaining;
        if (s.daily_max >= 0)
            printf("  the org's daily API requests: %.0f of %.0f left (%.0f a day); this run would spend %.1f%% of "
                   "what is left\n", left, max, max, left > 0 ? 100.0 * (double)calls / left : 100.0);
        window_share(link.vendor, &s, calls);
    } else if (status == EXIT_OK && !offered) {
        printf("  the org's quota: %s states none (docs/run.md)\n", link.vendor->name);
    } else if (status == EXIT_OK) {
        status = EXIT_FATAL;
    }
    crm_link_close(&link);
    return status;
}

/* --budget: the estimate of the calls a run of the input makes, offline,
 * and with a connection its share of the quota (docs/run.md, "The API
 * budget"). */
static int plan_budget(Mapc *m, const char *input, const CrmFlags *flags, const char *path)
{
    RunInput in;
    int status = run_input_open(&in, input);
    Budget *b = NULL;
    if (status == EXIT_OK) {
        BudgetOptions o = { .drift_check = true, .bulk = TRANSFER_BULK_AUTO };
        b = budget_cli_estimate(m, &in, &o, &status);
    }
    run_input_close(&in);
    if (b) {
        CmBuf out = CM_BUF_INIT;
        budget_print(b, &out);
        fputs(out.data, stdout);
        cm_buf_free(&out);
        uint64_t calls = crm_calls_sum(budget_total(b));
        budget_free(b);
        if (flags->url || flags->config)
            status = quota_share(flags, path, m, calls);
    }
    return status;
}

static int plan(int argc, char **argv)
{
    static const struct option opts[] = {
        CRM_LINK_LONG_OPTIONS,
        { "input", required_argument, NULL, 'i' },
        { "format", required_argument, NULL, 'f' },
        { "budget", no_argument, NULL, 'b' },
        { "param", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    CrmFlags flags;
    crm_flags_begin(&flags);
    const char *input = NULL, *format = "text";
    bool budget = false;
    char err[300];
    int c;
    while ((c = crm_flags_next(&flags, argc, argv, "i:", opts, err, sizeof err)) != -1) {
        switch (c) {
        case CRM_O_BAD: return cli_usage_error(&cmd_plan, "%s", err);
        case 'i': input = optarg; break;
        case 'f': format = optarg; break;
        case 'b': budget = true; break;
        case 'P':
            if (!param_cli_flag(optarg))
                return cli_usage_error(&cmd_plan, "--param '%s': NAME=VALUE", optarg);
            break;
        default: return cli_option_error(&cmd_plan, c, argv);
        }
    }
    int status;
    const char *path = mapc_cli_operand(&cmd_plan, argc, argv, &status);
    if (path == NULL)
        return status;
    if (input == NULL)
        return cli_usage_error(&cmd_plan, "no --input given");
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error(&cmd_plan, "--format '%s': text or json", format);
    Mapc *m = mapc_cli_load(path, &status);
    if (m == NULL)
        return status;
    if (budget) {
        status = plan_budget(m, input, &flags, path);
        mapc_free(m);
        return status;
    }
    CrmLink link;
    status = crm_link_open_mapping(&link, "crmmap plan", &flags, path, m);
    RunInput in;
    memset(&in, 0, sizeof in);
    if (status == EXIT_OK)
        status = run_input_open(&in, input);
    if (status == EXIT_OK) {
        Plan p;
        memset(&p, 0, sizeof p);
        p.m = m;
        p.link = &link;
        p.conn = link.vendor->connect(&link.cfg);
        p.json = strcmp(format, "json") == 0;
        p.entries = cm_calloc((size_t)GROUP * m->nentities + 1, sizeof *p.entries);
        p.totals = cm_calloc(m->nentities + 1, sizeof *p.totals);
        p.partial = cm_calloc(m->nentities + 1, sizeof *p.partial);
        status = plan_records(&p, &in);
        cm_free(p.entries);
        cm_free(p.totals);
        cm_free(p.partial);
        cm_buf_free(&p.out);
        conn_free(p.conn);
    }
    run_input_close(&in);
    crm_link_close(&link);
    mapc_free(m);
    return status;
}

const Command cmd_plan = {
    "plan", "what a run would change in the CRM, field by field (writes nothing)",
    "Usage: crmmap plan FILE.map|FILE.mapc --input FILE|- [--format text|json] [--budget]\n"
    "         [--config FILE] [--url BASE] [--token-env VAR | --token-file FILE]\n"
    "         [--plain-http] [--param NAME=VALUE]... ...\n"
    "\n"
    "Runs the mapping on the input records offline (as a dry run of run does),\n"
    "reads the CRM's current records by key (a batch at a time) and prints, per\n"
    "record and entity, whether a run would create, update or leave the record\n"
    "unchanged, or reject it, and per field: set (create), update OLD -> NEW,\n"
    "unchanged, or kept (the CRM's value stays: `master crm` where the CRM has a\n"
    "value, `on create` on an existing record). Then a count per entity. It never\n"
    "writes to the CRM. --format json prints one JSON object per line and a\n"
    "last {\"summary\": ...} line (docs/plan.md).\n"
    "Exit status: 0 planned, 1 mapping or input unreadable, 2 usage, 3 some\n"
    "records would be rejected, 4 the CRM unreachable or refusing the credentials.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE  the records (NDJSON, JSON array or CSV) or a VisitReport\n"
    "                    export (docs/input.md); - for stdin\n"
    "  --param NAME=VALUE  the mapping's param NAME, read as its type (repeatable;\n"
    "                    wins over the connection file's \"params\")\n"
    "  --format F        text (default) or json\n"
    "  --budget          instead: the API calls a run of the input would make, per\n"
    "                    entity and kind (an estimate, offline; docs/run.md)\n"
    CRM_LINK_HELP
    "  --system S        salesforce, hubspot, dynamics or pipedrive (default: the mapping's)\n"
    "  --plain-http      allow http:// to a loopback address (test servers)\n",
    plan,
};
