/* drift: see drift.h. Every finding names the entity and field, what the
 * CRM says now, what it was when the mapping was checked, and what to do. */
#include "drift.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "cli.h"
#include "cm_alloc.h"
#include "crm_vendor.h"
#include "fingerprint.h"
#include "opcodes.h"

typedef struct Ctx {
    const Mapc *m;
    const char *file;
    FILE *out;
    DriftCount n;
    CmArena arena;
} Ctx;

/* String i of the .mapc, NUL-terminated. */
static const char *text(Ctx *x, uint32_t i)
{
    uint32_t len;
    const char *s = mapc_str(x->m, i, &len);
    return cm_arena_strndup(&x->arena, s, len);
}

/* One finding at line:col of the .map (line 0: the file as a whole); help
 * holds `help:` lines separated by '\n'. */
static void vreport(Ctx *x, bool error, const char *code, uint32_t line, uint32_t col, const char *help,
                    const char *fmt, va_list ap)
{
    if (line)
        fprintf(x->out, "%s:%u:%u: ", x->file, line, col);
    else
        fprintf(x->out, "%s: ", x->file);
    fprintf(x->out, "%s[%s]: ", error ? "error" : "warning", code);
    vfprintf(x->out, fmt, ap);
    fputc('\n', x->out);
    for (const char *h = help; h && *h;) {
        const char *nl = strchr(h, '\n');
        size_t n = nl ? (size_t)(nl - h) : strlen(h);
        fprintf(x->out, "  help: %.*s\n", (int)n, h);
        h += n + (nl ? 1 : 0);
    }
    if (error)
        x->n.errors++;
    else
        x->n.warnings++;
}

/* One finding at entity e's header (NULL: the file as a whole). */
static void report(Ctx *x, bool error, const char *code, const MapcEntity *e, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void report(Ctx *x, bool error, const char *code, const MapcEntity *e, const char *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(x, error, code, e ? e->line : 0, e ? e->col : 0, help, fmt, ap);
    va_end(ap);
}

/* A D0407 finding about the user whose compiled id is id, at the first
 * user(...) call that compiled to it: a CONST of that string. */
static void report_user(Ctx *x, const char *id, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report_user(Ctx *x, const char *id, const char *help, const char *fmt, ...)
{
    uint32_t line = 0, col = 0;
    size_t idlen = strlen(id);
    for (uint32_t i = 0; i < x->m->nentities && line == 0; i++) {
        const MapcEntity *e = &x->m->entities[i];
        for (uint32_t pc = 0; pc < e->code_len && line == 0; pc += op_size(e->code[pc])) {
            if (e->code[pc] != BC_CONST)
                continue;
            const Value *k = &x->m->consts[op_u16(e->code + pc + 1)];
            if (k->type == V_STR && k->len == idlen && memcmp(k->u.str, id, idlen) == 0)
                mapc_position(e, pc, &line, &col);
        }
    }
    va_list ap;
    va_start(ap, fmt);
    vreport(x, true, "D0407", line, col, help, fmt, ap);
    va_end(ap);
}

/* The mapping's target system, for the entities it publishes no field
 * definitions of (CrmPull.undescribed). */
static const CrmVendor *mapc_vendor(const Mapc *m)
{
    uint32_t len;
    const char *system = mapc_str(m, m->system, &len);
    return crm_vendor_findn(system, len);
}

/* Entity i is one whose field definitions the CRM publishes. */
static bool described(const Mapc *m, const CrmVendor *v, uint32_t i, CmArena *a)
{
    uint32_t len;
    const char *name = mapc_str(m, m->entities[i].name, &len);
    return !crm_vendor_undescribed(v, cm_arena_strndup(a, name, len));
}

const char **drift_entity_names(const Mapc *m, CmArena *a, size_t *n)
{
    const char **names = cm_arena_alloc(a, (m->nentities + 1) * sizeof *names);
    const CrmVendor *v = mapc_vendor(m);
    *n = 0;
    for (uint32_t i = 0; i < m->nentities; i++) {
        if (!described(m, v, i, a))
            continue;
        uint32_t len;
        const char *name = mapc_str(m, m->entities[i].name, &len);
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strlen(names[k]) == len && memcmp(names[k], name, len) == 0;
        if (!seen)
            names[(*n)++] = cm_arena_strndup(a, name, len);
    }
    return names;
}

static const SchemaEntity *live_entity(SchemaEntity *const *live, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(live[i]->name, name) == 0)
            return live[i];
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(live[i]->name, name) == 0)
            return live[i];
    return NULL;
}

static bool writes(Ctx *x, const MapcEntity *e, const char *field)
{
    for (uint32_t j = 0; j < e->nfields; j++)
        if (strcmp(text(x, e->fields[j].name), field) == 0)
            return true;
    return false;
}

/* The live field that is most likely `name` renamed: same name but for case,
 * else the same label, and not written by the entity already. */
static const Field *renamed(Ctx *x, const MapcEntity *e, const SchemaEntity *l, const char *name, const char *label)
{
    for (size_t i = 0; i < l->nfields; i++)
        if (strcasecmp(l->fields[i].name, name) == 0)
            return &l->fields[i];
    for (size_t i = 0; label && i < l->nfields; i++)
        if (l->fields[i].label && strcasecmp(l->fields[i].label, label) == 0 && !writes(x, e, l->fields[i].name))
            return &l->fields[i];
    return NULL;
}

static void missing_field(Ctx *x, const MapcEntity *e, const SchemaEntity *l, const char *ename, const char *fname,
                          const MapcFacts *facts)
{
    const char *label = facts && facts->label >= 0 ? text(x, (uint32_t)facts->label) : NULL;
    const Field *to = renamed(x, e, l, fname, label);
    CmBuf help = CM_BUF_INIT;
    if (to && strcasecmp(to->name, fname) == 0)
        cm_buf_printf(&help, "the CRM has '%s' now: write `%s = ...` instead\n", to->name, to->name);
    else if (to)
        cm_buf_printf(&help, "the field '%s' has its label, \"%s\", now: if it was renamed, write `%s = ...` instead\n",
                      to->name, label, to->name);
    cm_buf_printf(&help, "remove or change the assignment to %s, pull the field definitions again "
                  "(crmmap schema pull) and compile", fname);
    report(x, true, "D0401", e, help.data, "%s.%s: the CRM has no field '%s' any more (deleted or renamed)",
           ename, fname, fname);
    cm_buf_free(&help);
}

/* The checks of one field the entity writes. */
static void field(Ctx *x, const MapcEntity *e, uint32_t j, const SchemaEntity *l, const char *ename)
{
    const MapcField *mf = &e->fields[j];
    const MapcFacts *facts = e->facts ? &e->facts[j] : NULL;
    const char *fname = text(x, mf->name);
    const Field *f = schema_field(l, fname);
    if (f == NULL) {
        missing_field(x, e, l, ename, fname, facts);
        return;
    }
    CmBuf help = CM_BUF_INIT;
    const char *type = schema_type_name(f->type);
    if (facts && strcmp(text(x, facts->type), type) != 0) {
        cm_buf_printf(&help, "pull the field definitions again (crmmap schema pull), check and compile: "
                      "the checker says what a %s field takes", type);
        report(x, true, "D0406", e, help.data, "%s.%s is now %s %s field (it was %s)", ename, fname,
               strchr("aeiou", type[0]) ? "an" : "a", type, text(x, facts->type));
        cm_buf_clear(&help);
    }
    if (facts && facts->length > 0 && f->length > 0 && (uint32_t)f->length < facts->length
        && (facts->max_len == 0 || facts->max_len > (uint32_t)f->length)) {
        cm_buf_printf(&help, "shorten the value with truncate(..., %d), or have the field lengthened in the CRM; "
                      "then compile again", f->length);
        report(x, true, "D0404", e, help.data, "%s.%s now holds at most %d characters (it was %u)%s", ename, fname,
               f->length, facts->length, facts->max_len ? "; the mapping writes longer values" : "");
        cm_buf_clear(&help);
    }
    /* An update finds its record by the key, which it does not write. */
    bool matched = (int32_t)j == e->key && (e->mode == MODE_C_UPDATE || f->type == FT_ID);
    bool creates = e->mode != MODE_C_UPDATE;
    bool updates = e->mode != MODE_C_CREATE && mf->section != FS_ON_CREATE;
    if (!matched && !f->createable && !f->updateable) {
        report(x, true, "D0405", e, "the CRM now calculates or sets it: remove the assignment and compile again",
               "%s.%s is read-only now", ename, fname);
    } else if (!matched && creates && !f->createable) {
        report(x, true, "D0405", e, "the CRM no longer lets it be set on create: move it to an `update` entity, "
               "or have the field's permissions restored", "%s.%s can no longer be set when a record is created",
               ename, fname);
    } else if (!matched && updates && !f->updateable) {
        report(x, true, "D0405", e, "move it into `on create { ... }`, or have the field's permissions restored",
               "%s.%s can no longer be updated", ename, fname);
    }
    for (uint32_t k = 0; facts && f->nvalues > 0 && k < facts->nvalues; k++) {
        const char *v = text(x, facts->values[k]);
        const PickValue *pv = check_pick_value(f, v);
        if (pv && pv->active)
            continue;
        cm_buf_clear(&help);
        cm_buf_printf(&help, "change the table or value that sends \"%s\" to one of the values the CRM lists, "
                      "or have it restored; then pull the field definitions again and compile", v);
        report(x, f->restricted, "D0403", e, help.data, "%s.%s: the CRM %s \"%s\" any more, which the mapping can send",
               ename, fname, pv ? "has deactivated" : f->restricted ? "does not accept" : "does not list", v);
    }
    cm_buf_free(&help);
}

/* Fields the CRM requires on create now that the entity does not write. */
static void required(Ctx *x, const MapcEntity *e, const SchemaEntity *l, const char *ename)
{
    if (e->mode == MODE_C_UPDATE)
        return;
    for (size_t i = 0; i < l->nfields; i++) {
        const Field *f = &l->fields[i];
        if (!f->required || !f->createable || writes(x, e, f->name))
            continue;
        CmBuf help = CM_BUF_INIT;
        cm_buf_printf(&help, "add `%s = ...` to entity %s (with a default, `?? ...`, where the source may be empty), "
                      "pull the field definitions again and compile", f->name, ename);
        report(x, true, "D0402", e, help.data, "%s.%s is required on create now, and the mapping does not set it",
               ename, f->name);
        cm_buf_free(&help);
    }
}

static void users(Ctx *x, const UsersFile *live)
{
    for (uint32_t i = 0; i < x->m->nusers; i++) {
        const char *email = text(x, x->m->users[i].email), *id = text(x, x->m->users[i].id);
        const User *u = users_find_email(live, email);
        CmBuf help = CM_BUF_INIT;
        if (u == NULL) {
            cm_buf_printf(&help, "create the user in the CRM, or assign another one in place of user(\"%s\") and "
                          "compile again", email);
            report_user(x, id, help.data, "user(\"%s\"): the CRM has no user with this e-mail", email);
        } else if (!u->active) {
            cm_buf_printf(&help, "reactivate the user in the CRM, or assign another one in place of user(\"%s\")", email);
            report_user(x, id, help.data, "user(\"%s\") is inactive in the CRM", email);
        } else if (strcmp(u->id, id) != 0) {
            report_user(x, id, "pull the users again (crmmap schema pull) and compile",
                        "user(\"%s\") has the id %s in the CRM; the mapping was compiled with %s", email, u->id, id);
        }
        cm_buf_free(&help);
    }
}

DriftCount drift_compare(const Mapc *m, const char *file, SchemaEntity *const *live, size_t nlive,
                         const UsersFile *live_users, FILE *out)
{
    Ctx x = { m, file, out, { 0, 0 }, { 0 } };
    cm_arena_init(&x.arena, 4096);
    size_t nnames;
    const char **names = drift_entity_names(m, &x.arena, &nnames);
    const SchemaEntity **found = cm_malloc((nnames + 1) * sizeof *found);
    size_t nfound = 0;
    for (size_t k = 0; k < nnames; k++) {
        const SchemaEntity *l = live_entity(live, nlive, names[k]);
        if (l)
            found[nfound++] = l;
    }
    const CrmVendor *v = mapc_vendor(m);
    for (uint32_t i = 0; i < m->nentities; i++) {
        if (!described(m, v, i, &x.arena))
            continue;
        const MapcEntity *e = &m->entities[i];
        const char *ename = text(&x, e->name);
        const SchemaEntity *l = live_entity(live, nlive, ename);
        if (l == NULL) {
            report(&x, true, "D0408", e,
                   "check the entity's name in the CRM (case matters) and in the mapping; if no entity is found, "
                   "check the URL and the API version",
                   "the CRM has no entity %s (its field definitions answer 404)", ename);
            continue;
        }
        for (uint32_t j = 0; j < e->nfields; j++)
            field(&x, e, j, l, ename);
        required(&x, e, l, ename);
    }
    if (m->has_facts && live_users)
        users(&x, live_users);
    uint8_t fp[32];
    fingerprint_targets(found, nfound, fp);
    if (nfound == nnames && memcmp(fp, m->fingerprint, 32) != 0) {
        CmBuf list = CM_BUF_INIT;
        for (size_t k = 0; k < nnames; k++)
            cm_buf_printf(&list, "%s%s", k == 0 ? "" : k + 1 == nnames ? " and " : ", ", names[k]);
        if (x.n.errors == 0)
            report(&x, true, "D0409", NULL,
                   m->has_facts ? "none of it touches what the mapping writes: pull the field definitions again "
                                  "(crmmap schema pull) and compile to record them (or run with --force)"
                                : "this .mapc (format 1.0) records no facts to say what changed: compile it "
                                  "again with this crmmap, then run doctor again",
                   "the CRM's field definitions of %s have changed since the mapping was checked", list.data);
        else
            fprintf(out, "%s: note: the fingerprint of %s's field definitions differs too\n", file, list.data);
        cm_buf_free(&list);
    }
    cm_free(found);
    cm_arena_free(&x.arena);
    return x.n;
}

int drift_check_live(const Mapc *m, const char *file, CrmLink *l, bool with_users, FILE *out, DriftCount *count)
{
    DiagSink *sink = diag_sink_new();
    CmArena arena;
    cm_arena_init(&arena, 1024);
    size_t nnames;
    const char **names = drift_entity_names(m, &arena, &nnames);
    SchemaEntity **live = NULL;
    size_t nlive = 0;
    UsersFile users;
    memset(&users, 0, sizeof users);
    bool ok = !with_users || crm_link_pull_users(l, &users);
    /* An entity the CRM answers 404 for is a finding (D0408), not a failure
     * to read: drift_compare reports it at the entity. */
    bool missing;
    for (size_t i = 0; ok && i < nnames; i++)
        ok = crm_link_pull_entity(l, sink, names[i], &live, &nlive, &missing);
    DriftCount n = { 0, 0 };
    if (ok)
        n = drift_compare(m, file, live, nlive, with_users ? &users : NULL, out);
    if (count)
        *count = n;
    for (size_t i = 0; i < nlive; i++)
        schema_free(live[i]);
    cm_free(live);
    crm_link_users_free(&users);
    cm_arena_free(&arena);
    diag_sink_free(sink);
    return ok && n.errors == 0 ? EXIT_OK : EXIT_FATAL;
}

int drift_check_connection(const Mapc *m, const char *file, const char *who, const ConnConfig *cfg, Transport *tx,
                           FILE *out, DriftCount *count)
{
    CrmLink l;
    memset(&l, 0, sizeof l);
    l.who = who;
    l.cfg = *cfg;       /* borrowed: never freed here */
    l.tx = tx;
    l.policy = retry_policy_default();
    if ((l.vendor = crm_vendor_find(cfg->system)) == NULL)
        return crm_link_fail(&l, "unknown system '%s'", cfg->system ? cfg->system : "");
    return drift_check_live(m, file, &l, false, out, count);
}

int drift_gate(const Mapc *m, const char *file, const char *who, const ConnConfig *cfg, Transport *tx,
               const char *verb)
{
    DriftCount n = { 0, 0 };
    if (drift_check_connection(m, file, who, cfg, tx, stderr, &n) == EXIT_OK)
        return EXIT_OK;
    if (n.errors > 0) {
        fprintf(stderr, "%s: error: the CRM's field definitions are not what the mapping was checked against "
                "(above)\nhelp: fix the mapping, pull the field definitions again and compile (crmmap doctor "
                "explains); --force %s without this check\n", who, verb);
        return EXIT_FATAL;
    }
    fprintf(stderr, "%s: error: the CRM's field definitions could not be read for the drift check (above)\n"
            "help: try again once the CRM answers; --force %s without this check\n", who, verb);
    return EXIT_RETRY;
}
