/* check: the checker's driver — the declarations (mapping, source, target,
 * users), loading the files they name, tables, and each entity's header and
 * statements (fields, keys, writability, required fields, duplicates). The
 * expressions are check_expr.c's, values written into fields check_value.c's. */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cm_alloc.h"

const char *check_type_name(CheckType t)
{
    static const char *const names[] = {
        [CT_ANY] = "value", [CT_NULL] = "null", [CT_BOOL] = "bool", [CT_NUMBER] = "number",
        [CT_STRING] = "string", [CT_DATE] = "date", [CT_DATETIME] = "datetime",
        [CT_LIST] = "list", [CT_OBJECT] = "object", [CT_REF] = "ref", [CT_CLEAR] = "clear",
        [CT_FILE] = "file",
    };
    return names[t];
}

/* ---- files ---- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void index_target(Checker *ck, Target *t, const SchemaEntity *e)
{
    t->schema = e;
    names_init(&t->fields, e->nfields);
    t->names = cm_arena_alloc(ck->arena, (e->nfields + 1) * sizeof *t->names);
    for (size_t i = 0; i < e->nfields; i++) {
        names_put(&t->fields, e->fields[i].name, &e->fields[i]);
        t->names[i] = e->fields[i].name;
    }
}

static void load_targets(Checker *ck, const Item *it)
{
    Checked *out = ck->out;
    const char *path = ck_resolve_path(ck, it->u.target.path, it->u.target.path_span);
    if (path == NULL)
        return;
    size_t before = diag_count(ck->sink, DIAG_ERROR);
    if (is_dir(path)) {
        if (!ck_dir_inside(ck, path, it->u.target.path, it->u.target.path_span))
            return;
        out->targets = schema_load_dir(ck->sink, path, ck->tree, it->u.target.path_span,
                                       &out->ntargets);
        if (out->ntargets == 0 && diag_count(ck->sink, DIAG_ERROR) == before) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", it->u.target.path_span,
                                  "the folder '%s' holds no field definitions", path);
            diag_help(d, "write them with `crmmap schema pull` or `crmmap schema import ... -o %s`", path);
        }
    } else {
        SchemaEntity *e = schema_load(ck->sink, path, ck->tree, it->u.target.path_span);
        if (e) {
            out->targets = cm_malloc(sizeof *out->targets);
            out->targets[0] = e;
            out->ntargets = 1;
        }
    }
    ck->targets = cm_calloc(out->ntargets + 1, sizeof *ck->targets);
    ck->target_names = cm_arena_alloc(ck->arena, (out->ntargets + 1) * sizeof *ck->target_names);
    names_init(&ck->target_ix, out->ntargets);
    for (size_t i = 0; i < out->ntargets; i++) {
        const SchemaEntity *e = out->targets[i];
        index_target(ck, &ck->targets[i], e);
        ck->target_names[i] = e->name;
        names_put(&ck->target_ix, e->name, &ck->targets[i]);
        if (e->system && strcmp(e->system, out->system) != 0) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", it->u.target.path_span,
                                  "the field definitions of %s are for %s, but the target is %s",
                                  e->name, e->system, out->system);
            diag_help(d, "point `target %s schema` at %s field definitions", out->system, out->system);
        }
    }
    ck->targets_failed = out->ntargets == 0;
}

static void load_source(Checker *ck, const Item *it)
{
    const char *path = ck_resolve_path(ck, it->u.source.path, it->u.source.path_span);
    if (path == NULL)
        return;
    if (is_dir(path)) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", it->u.source.path_span,
                              "'%s' is a folder; the source schema is one file", path);
        diag_help(d, "name the file, e.g. \"%s/lead.json\"", it->u.source.path);
        return;
    }
    SchemaEntity *e = schema_load(ck->sink, path, ck->tree, it->u.source.path_span);
    if (e == NULL)
        return;
    ck->out->source = e;
    names_init(&ck->source_ix, e->nfields);
    names_init(&ck->object_ix, 8);
    ck->source_names = cm_arena_alloc(ck->arena, (e->nfields + 1) * sizeof *ck->source_names);
    for (size_t i = 0; i < e->nfields; i++) {
        const char *name = e->fields[i].name;
        ck->source_names[i] = name;
        names_put(&ck->source_ix, name, &e->fields[i]);
        /* Every proper prefix ("visitreport" of "visitreport.title") is an object. */
        for (const char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
            char *prefix = cm_arena_strndup(ck->arena, name, (size_t)(dot - name));
            names_put(&ck->object_ix, prefix, prefix);
        }
    }
}

typedef struct UserLink {
    const char *key;
    const User *user;
} UserLink;

typedef struct UserLinks {
    UserLink *items;
    size_t n, cap;
} UserLinks;

static void add_link(void *ctx, const User *user, const char *key)
{
    UserLinks *l = ctx;
    if (!user->active)
        return;     /* an old account beside the new one is normal */
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = cm_realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = (UserLink){ key, user };
}

static int compare_links(const void *x, const void *y)
{
    const UserLink *a = x, *b = y;
    int c = strcasecmp(a->key, b->key);
    return c ? c : (a->user > b->user) - (a->user < b->user);
}

/* W0220: a key user(x) finds two active users by; the first listed wins. */
static void ambiguous_links(Checker *ck, const UsersFile *u, Span at)
{
    UserLinks l = { 0 };
    users_each_key(u, add_link, &l);
    if (l.n > 1)
        qsort(l.items, l.n, sizeof *l.items, compare_links);
    for (size_t i = 1; i < l.n; i++) {
        const UserLink *a = &l.items[i - 1], *b = &l.items[i];
        if (strcasecmp(a->key, b->key) != 0 || a->user == b->user
            || (i > 1 && strcasecmp(l.items[i - 2].key, a->key) == 0))
            continue;
        const User *first = a->user < b->user ? a->user : b->user, *second = a->user < b->user ? b->user : a->user;
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0220", at,
                              "the users file links '%s' to two active users, %s and %s; user() takes %s",
                              a->key, first->id, second->id, first->id);
        diag_help(d, "list the snapADDY id or e-mail under one user only");
    }
    cm_free(l.items);
}

static void load_users(Checker *ck, const Item *it)
{
    const char *path = ck_resolve_path(ck, it->u.users.path, it->u.users.path_span);
    if (path == NULL)
        return;
    UsersFile *u = users_load(ck->sink, path, ck->tree, it->u.users.path_span);
    if (u == NULL)
        return;
    ck->out->users = u;
    ambiguous_links(ck, u, it->u.users.path_span);
    if (u->system && ck->out->system[0] && strcmp(u->system, ck->out->system) != 0) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", it->u.users.path_span,
                              "the users file is for %s, but the target is %s",
                              u->system, ck->out->system);
        diag_help(d, "pull the users of the %s instance: `crmmap schema pull --system %s ...`",
                  ck->out->system, ck->out->system);
    }
}

/* ---- declarations ---- */

static bool twice(Checker *ck, const Item *first, const Item *it, const char *what)
{
    if (first == NULL)
        return false;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", ck_head(it->span, (uint32_t)strlen(what)),
                          "a second `%s` declaration", what);
    diag_help(d, "the mapping's %s is declared on line %u; a mapping has one", what, ck_line(first->span));
    return true;
}

static void declarations(Checker *ck, const Ast *ast, const char *map_path)
{
    /* The declarations a mapping makes once, by kind; the first one counts. */
    static const char *const once[] = {
        [IT_MAPPING] = "mapping", [IT_SOURCE] = "source", [IT_TARGET] = "target", [IT_USERS] = "users",
    };
    const Item *first[sizeof once / sizeof *once] = { NULL };
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if ((size_t)it->kind < sizeof once / sizeof *once && !twice(ck, first[it->kind], it, once[it->kind]))
            first[it->kind] = it;
    }
    const Item *mapping = first[IT_MAPPING], *source = first[IT_SOURCE], *target = first[IT_TARGET],
               *users = first[IT_USERS];
    Checked *out = ck->out;
    if (mapping) {
        out->mapping_name = mapping->u.mapping.name;
    } else {
        const char *base = strrchr(map_path, '/');
        base = base ? base + 1 : map_path;
        size_t n = strlen(base);
        if (n > 4 && strcmp(base + n - 4, ".map") == 0)
            n -= 4;
        out->mapping_name = cm_arena_strndup(ck->arena, base, n);
    }
    ck->targets_failed = true;
    if (target == NULL) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", diag_span(ck->src, 0, 0),
                              "the mapping declares no target");
        diag_help(d, "name the CRM and its field definitions: target salesforce schema \"schemas/salesforce\"");
    } else {
        const char *sys = target->u.target.system.name;
        out->system = sys;
        out->vendor = crm_vendor_find(sys);
        if (out->vendor == NULL) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0113", target->u.target.system.span,
                                  "unknown target system '%s'", sys);
            const char *names[16];
            size_t n = 0;
            for (const CrmVendor *const *v = crm_vendors(); *v && n < sizeof names / sizeof *names; v++)
                names[n++] = (*v)->name;
            ck_suggest(ck, d, sys, names, n);
            char list[200];
            crm_vendor_names(list, sizeof list, " or ");
            diag_help(d, "crmmap writes to %s", list);
        } else {
            load_targets(ck, target);
        }
    }
    if (source) {
        ck->source_declared = true;
        load_source(ck, source);
    }
    if (users) {
        ck->users_declared = true;
        load_users(ck, users);
    }
}

void *ck_grow(Checker *ck, void *items, size_t n, size_t *cap, size_t first, size_t size)
{
    if (n < *cap)
        return items;
    *cap = *cap ? 2 * *cap : first;
    void *grown = cm_arena_alloc(ck->arena, *cap * size);
    if (n)
        memcpy(grown, items, n * size);
    return grown;
}

static size_t count_items(const Ast *ast, ItemKind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < ast->count; i++)
        n += ast->items[i]->kind == kind;
    return n;
}

/* ---- tables ---- */

static void tables(Checker *ck, const Ast *ast)
{
    Checked *out = ck->out;
    size_t n = count_items(ast, IT_TABLE);
    out->tables = cm_arena_alloc(ck->arena, (n + 1) * sizeof *out->tables);
    out->table_types = cm_arena_alloc(ck->arena, (n + 1) * sizeof *out->table_types);
    names_init(&ck->table_ix, n);
    for (size_t i = 0; i < ast->count; i++) {
        Item *it = ast->items[i];
        if (it->kind != IT_TABLE)
            continue;
        const Item *first = names_put(&ck->table_ix, it->u.table.name.name, it);
        if (first) {
            Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0114", it->u.table.name.span,
                                  "table %s is defined twice", it->u.table.name.name);
            diag_help(d, "the first definition is on %s; rename one of them", ck_line_of(ck, first->span));
            continue;
        }
        ck_table(ck, it);
        out->table_types[out->ntables] = ck_table_type(it);
        out->tables[out->ntables++] = it;
    }
}

/* ---- entities ---- */

typedef struct EntityState {
    CheckedEntity *ce;
    const Stmt **assigned;          /* per target field: the assignment, NULL if none */
    size_t cap;
} EntityState;

/* The one field labelled name, for a vendor whose fields go by their
 * labels; NULL (reported) when none or several are. */
static const Field *field_by_label(Checker *ck, const Ident *name, bool *reported)
{
    const SchemaEntity *e = ck->target->schema;
    const Field *found = NULL;
    size_t n = 0;
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].label && strcmp(e->fields[i].label, name->name) == 0 && n++ == 0)
            found = &e->fields[i];
    if (n > 1) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0102", name->span, "%zu fields of %s are labelled \"%s\"",
                              n, e->name, name->name);
        diag_help(d, "write the field's key instead, e.g. %s = ...", found->name);
        *reported = true;
        return NULL;
    }
    return found;
}

/* A link pseudo-field the entity lacks (the vendor's assoc_prefix, then the
 * object linked to and a type id): E0124 with the entity's links to that
 * object, or saying it has none. False when name is no such field. */
static bool missing_link(Checker *ck, const Ident *name)
{
    const CrmVendor *v = ck->out->vendor;
    size_t pl = v && v->assoc_prefix ? strlen(v->assoc_prefix) : 0;
    if (pl == 0 || strncmp(name->name, v->assoc_prefix, pl) != 0)
        return false;
    const char *to = name->name + pl, *us = strrchr(to, '_');
    if (us == NULL || us == to || us[1] == '\0' || us[1 + strspn(us + 1, "0123456789")] != '\0')
        return false;   /* not the form TO_N: an ordinary unknown field */
    int tolen = (int)(us - to);
    const SchemaEntity *e = ck->target->schema;
    CmBuf same = CM_BUF_INIT, all = CM_BUF_INIT;
    for (size_t i = 0; i < e->nfields; i++) {
        const Field *f = &e->fields[i];
        if (f->type != FT_REFERENCE || strncmp(f->name, v->assoc_prefix, pl) != 0)
            continue;
        cm_buf_printf(&all, "%s%s", all.len ? ", " : "", f->name);
        const char *ref = f->nreferences ? f->references[0] : "";
        if ((int)strlen(ref) == tolen && strncmp(ref, to, (size_t)tolen) == 0)
            cm_buf_printf(&same, "%s%s", same.len ? ", " : "", f->name);
    }
    Diag *d;
    if (same.len) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0124", name->span, "%s has no association '%s'", e->name, name->name);
        diag_help(d, "the associations from %s to %.*s: %s", e->name, tolen, to, same.data);
    } else {
        d = diag_report(ck->sink, DIAG_ERROR, "E0124", name->span, "%s has no association to %.*s", e->name, tolen,
                        to);
        if (v->assoc_help)
            diag_help(d, "%s", v->assoc_help);
        if (all.len)
            diag_help(d, "the associations %s has: %s", e->name, all.data);
    }
    cm_buf_free(&same);
    cm_buf_free(&all);
    return true;
}

static const Field *find_field(Checker *ck, const Ident *name, bool quoted)
{
    const Field *f = names_get(&ck->target->fields, name->name);
    bool reported = false;
    bool by_label = quoted && ck->out->vendor && ck->out->vendor->fields_by_label;
    if (f == NULL && by_label)
        f = field_by_label(ck, name, &reported);
    if (f == NULL && !reported && !missing_link(ck, name)) {
        const SchemaEntity *e = ck->target->schema;
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0102", name->span, "%s has no field %s'%s'", e->name,
                              by_label ? "named or labelled " : "", name->name);
        if (by_label) {
            const char **labels = cm_malloc((e->nfields + 1) * sizeof *labels);
            size_t n = 0;
            for (size_t i = 0; i < e->nfields; i++)
                if (e->fields[i].label)
                    labels[n++] = e->fields[i].label;
            ck_suggest(ck, d, name->name, labels, n);
            cm_free(labels);
        } else {
            ck_suggest(ck, d, name->name, ck->target->names, e->nfields);
        }
    }
    return f;
}

static void check_writable(Checker *ck, const Stmt *s, const Field *f, Ownership own, EntityMode mode, bool keyed)
{
    const char *ename = ck->target->schema->name;
    const Ident *name = &s->u.assign.field;
    if (!f->createable && !f->updateable) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0104", name->span,
                              "%s.%s is read-only", ename, f->name);
        diag_help(d, "it is calculated or set by the CRM; remove this assignment");
        return;
    }
    bool creates = mode != MODE_UPDATE;
    bool updates = mode != MODE_CREATE && own != OWN_ON_CREATE;
    if (creates && !f->createable && own == OWN_ON_CREATE) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0104", name->span,
                              "%s.%s cannot be set when the record is created", ename, f->name);
        diag_help(d, "it can only be updated; move it out of `on create`");
    } else if (creates && !f->createable) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0104", name->span,
                              "%s.%s cannot be set when the record is created", ename, f->name);
        if (mode == MODE_UPSERT)
            diag_help(d, "it can only be updated; write it from a separate `entity %s update by ...`", ename);
        else
            diag_help(d, "it can only be updated; remove it from this `create` entity");
    } else if (mode == MODE_CREATE && own != OWN_ON_CREATE && f->createable && !f->updateable
               && keyed) {
        /* A keyed create goes out as an upsert: once its record exists it
         * is an update, and the engine sends the field only to a new one. */
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0213", name->span,
                              "%s.%s is sent only when the record is created: the CRM does not let it be updated",
                              ename, f->name);
        diag_help(d, "a second run or --resume finds the record made and leaves the field as it is; "
                     "write it under `on create` to say so");
    } else if (updates && !f->updateable) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0104", name->span,
                              "%s.%s cannot be updated", ename, f->name);
        if (mode == MODE_UPSERT)
            diag_help(d, "it can only be set when the record is created: move it into `on create { ... }`");
        else
            diag_help(d, "it can only be set when the record is created; an `update` entity cannot write it");
    }
}

/* A lookup the target binds through a navigation property (CrmVendor.
 * bind_target) whose schema says none: it is derived from the field's name,
 * which is right for system lookups but not for most custom ones. */
static void unbound_lookup(Checker *ck, const Stmt *s, const Field *f)
{
    const CrmVendor *v = ck->out->vendor;
    if (f->type != FT_REFERENCE || v == NULL || v->bind_target == NULL || f->nreferences == 0
        || schema_field_navigable(f))
        return;
    bool per_target;
    char *nav, *set;
    v->bind_target(f->name, (const char *const *)f->references, (const char *const *)f->navigations, f->nreferences,
                   &per_target, &nav, &set);
    Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0206", s->u.assign.field.span,
                          "the field definitions do not give the navigation property of %s.%s: it goes out as "
                          "'%s%s%s', which the CRM refuses where the real name differs, even in case",
                          ck->target->schema->name, f->name, per_target ? f->name : nav ? nav : f->name,
                          per_target ? "_TABLE" : "", v->bind_suffix);
    cm_free(nav);
    cm_free(set);
    diag_help(d, "pull the field definitions again (`crmmap schema pull` reads the lookups' relationships), "
                 "or import the entity's relationships answer with its attributes (docs/schema.md)");
}

static void assignment(Checker *ck, EntityState *es, Stmt *s, Ownership own)
{
    EntityMode mode = es->ce->item->u.entity.mode;
    Expr *value = s->u.assign.value;
    const Field *f = find_field(ck, &s->u.assign.field, s->u.assign.quoted);
    ck_expr(ck, value);
    if (s->u.assign.when)
        ck_cond(ck, s->u.assign.when);
    if (f == NULL)
        return;
    size_t fi = (size_t)(f - ck->target->schema->fields);
    if (es->assigned[fi]) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0112", s->u.assign.field.span,
                              "%s is assigned twice", f->name);
        diag_help(d, "the first assignment is on line %u; remove one, or combine them with `if` or `case`",
                  ck_line(es->assigned[fi]->span));
    } else {
        es->assigned[fi] = s;
    }
    /* An update finds its record by the key: the key is matched, not written
     * (nor is an id, which the CRM assigns). */
    bool matched = f == es->ce->by && (mode == MODE_UPDATE || f->type == FT_ID);
    if (!matched)
        check_writable(ck, s, f, own, mode, es->ce->item->u.entity.key.name != NULL);
    unbound_lookup(ck, s, f);
    ck_value_into(ck, value, f);
    CheckedEntity *ce = es->ce;
    ce->assigns = ck_grow(ck, ce->assigns, ce->nassigns, &es->cap, 16, sizeof *ce->assigns);
    CheckedAssign *a = &ce->assigns[ce->nassigns++];
    a->stmt = s;
    a->field = f;
    a->own = own;
}

static Ownership effective(Ownership own, Ownership outer)
{
    return own != OWN_DEFAULT ? own : outer;
}

static void statements(Checker *ck, EntityState *es, Stmt **stmts, size_t n, Ownership outer)
{
    for (size_t i = 0; i < n; i++) {
        Stmt *s = stmts[i];
        switch (s->kind) {
        case ST_ASSIGN:
            assignment(ck, es, s, effective(s->own, outer));
            break;
        case ST_BLOCK:
            statements(ck, es, s->u.block.stmts, s->u.block.count, effective(s->own, outer));
            break;
        case ST_REJECT:
            ck_cond(ck, s->u.reject.when);
            break;
        case ST_LET:
            ck_let(ck, &s->u.let);
            break;
        }
    }
}

/* The `by` or `key` field: it must exist and identify one record. */
static const Field *key_field(Checker *ck, const Ident *name, const char *what)
{
    const Field *f = find_field(ck, name, false);
    if (f == NULL || f->unique || f->external_id)
        return f;
    const SchemaEntity *e = ck->target->schema;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0109", name->span,
                          "%s.%s cannot be %s: it does not identify one record", e->name, f->name, what);
    const char *keys[6];
    size_t nkeys = 0;
    for (size_t i = 0; i < e->nfields && nkeys < 6; i++)
        if (e->fields[i].unique || e->fields[i].external_id)
            keys[nkeys++] = e->fields[i].name;
    const char *kind = ck_system_key_kind(ck->out->vendor);
    if (nkeys == 0) {
        diag_help(d, "%s has no field that can; the key must be %s", e->name, kind);
    } else {
        CmBuf b = CM_BUF_INIT;
        ck_put_names(&b, keys, nkeys > 5 ? 5 : nkeys, "'", "or");
        diag_help(d, "the key must be %s, such as %s%s", kind, b.data, nkeys > 5 ? ", ..." : "");
        cm_buf_free(&b);
    }
    if (ck->out->vendor && ck->out->vendor->key_help)
        diag_help(d, "%s", ck->out->vendor->key_help);
    return f;
}

static void required_fields(Checker *ck, EntityState *es)
{
    const Item *it = es->ce->item;
    const SchemaEntity *e = ck->target->schema;
    size_t n = 0;
    const char **missing = cm_arena_alloc(ck->arena, (e->nfields + 1) * sizeof *missing);
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].required && e->fields[i].createable && es->assigned[i] == NULL)
            missing[n++] = e->fields[i].name;
    if (n == 0)
        return;
    CmBuf names = CM_BUF_INIT, hint = CM_BUF_INIT;
    ck_put_names(&names, missing, n, "", "and");
    for (size_t i = 0; i < n; i++)
        cm_buf_printf(&hint, "%s`%s = ...`", i == 0 ? "" : i + 1 == n ? " and " : ", ", missing[i]);
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0108", it->u.entity.name.span,
                          "%s %s required on create but not assigned: %s",
                          n == 1 ? "a field" : "fields", n == 1 ? "is" : "are", names.data);
    diag_help(d, "add %s to entity %s; give a default with `??` where the source may be empty",
              hint.data, it->u.entity.name.name);
    cm_buf_free(&names);
    cm_buf_free(&hint);
}

static void key_assigned(Checker *ck, EntityState *es, const Field *f, const Ident *name, const char *what)
{
    if (f == NULL || es->assigned[f - ck->target->schema->fields])
        return;
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0108", name->span,
                          "the %s %s is never assigned", what, f->name);
    diag_help(d, "assign it in the entity, e.g. `%s = ...`; records without it cannot be matched", f->name);
}

static void create_without_key(Checker *ck, const Item *it)
{
    const SchemaEntity *e = ck->target->schema;
    Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0204", it->u.entity.mode_span,
                          "`create` without a `key`: a retried run can create %s twice", e->name);
    /* Suggest a field made for the purpose: a createable text field that is
     * both unique and an external id (not e-mail, which holds real data). */
    const char *key = NULL;
    for (size_t i = 0; i < e->nfields && key == NULL; i++) {
        const Field *f = &e->fields[i];
        if (f->createable && f->unique && f->external_id
            && (f->type == FT_STRING || f->type == FT_TEXT))
            key = f->name;
    }
    const char *email = NULL;
    for (size_t i = 0; i < e->nfields && email == NULL; i++)
        if (e->fields[i].type == FT_EMAIL && e->fields[i].createable)
            email = e->fields[i].name;
    const char *kind = ck_system_key_kind(ck->out->vendor);
    if (key)
        diag_help(d, "add `key %s` and assign it a stable value, e.g. `%s = hash(email, visitreport.id)`",
                  key, key);
    else if (crm_vendor_keyless(ck->out->vendor, e->name))
        /* No field the CRM would find it by (an upload, a HubSpot note). */
        diag_help(d, "%s can carry no key: `run --resume` sends none twice, but a fresh run of the same input "
                     "creates each again", e->name);
    else if (email)
        /* A person's record: the e-mail names it. */
        diag_help(d, "%s has no external-id field to key creates on; define %s on %s in the CRM, pull the "
                     "field definitions again and write `upsert by %s`", e->name, kind, email, email);
    else
        /* A note, an attachment: no e-mail, and one person's e-mail would
         * key no second one. */
        diag_help(d, "%s has no external-id field to key creates on; define a text field in the CRM as %s, "
                     "pull the field definitions again, then write `create key FIELD` and assign it a stable "
                     "value, e.g. `FIELD = hash(email, visitreport.id)`", e->name, kind);
}

static void entity_body(Checker *ck, CheckedEntity *ce)
{
    Item *it = (Item *)ce->item;
    EntityMode mode = it->u.entity.mode;
    EntityState es = { ce, NULL, 0 };
    es.assigned = cm_calloc(ck->target->schema->nfields + 1, sizeof *es.assigned);
    if (it->u.entity.by.name)
        ce->by = key_field(ck, &it->u.entity.by, mode == MODE_UPSERT ? "an upsert key" : "an update key");
    if (it->u.entity.key.name)
        ce->key = key_field(ck, &it->u.entity.key, "a key");
    if (it->u.entity.when)
        ck_cond(ck, it->u.entity.when);
    Ownership outer = it->u.entity.master == OWN_CRM ? OWN_CRM : OWN_SOURCE;
    statements(ck, &es, it->u.entity.stmts, it->u.entity.count, outer);
    if (mode != MODE_UPDATE)
        required_fields(ck, &es);
    key_assigned(ck, &es, ce->by, &it->u.entity.by, mode == MODE_UPSERT ? "upsert key" : "update key");
    key_assigned(ck, &es, ce->key, &it->u.entity.key, "key");
    /* A create the CRM refuses twice needs no key (CrmVendor.unique_creates). */
    if (mode == MODE_CREATE && it->u.entity.key.name == NULL
        && !crm_repeatable_create(ck->out->vendor, ck->target->schema->name))
        create_without_key(ck, it);
    if (!it->u.entity.strict)
        ck_fallible_fields(ck, ce);
    cm_free(es.assigned);
}

/* `when no E`: E is the nearest earlier entity of that name, an `update
 * by`, with no other fallback; the fallback itself creates or upserts. */
static void fallback(Checker *ck, CheckedEntity *ce)
{
    const Item *it = ce->item;
    const Ident *no = &it->u.entity.fallback;
    Checked *out = ck->out;
    ce->fallback_of = -1;
    if (no->name == NULL)
        return;
    size_t i = ck->entity;
    while (i > 0 && strcmp(out->entities[i - 1].item->u.entity.name.name, no->name) != 0)
        i--;
    Diag *d = NULL;
    if (i == 0) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0116", no->span, "no entity %s is mapped before this one", no->name);
        /* a misspelt name is not to be mapped first: name the one meant */
        const char **earlier = cm_arena_alloc(ck->arena, (ck->entity + 1) * sizeof *earlier);
        for (size_t k = 0; k < ck->entity; k++)
            earlier[k] = out->entities[k].item->u.entity.name.name;
        if (!ck_suggest(ck, d, no->name, earlier, ck->entity))
            diag_help(d, "`when no E` takes the records an earlier `entity E update by ...` did not find; "
                         "map %s first", no->name);
    } else if (out->entities[i - 1].mode != MODE_UPDATE) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0116", no->span, "entity %s is an %s: it never misses a record",
                        no->name, ast_mode_text(out->entities[i - 1].mode));
        diag_help(d, "`when no E` follows an `update by` entity: write `entity %s update by ...` on %s",
                  no->name, ck_line_of(ck, out->entities[i - 1].item->span));
    } else if (it->u.entity.mode == MODE_UPDATE) {
        d = diag_report(ck->sink, DIAG_ERROR, "E0116", it->u.entity.mode_span,
                        "a fallback entity cannot be an update: it would miss the same records");
        diag_help(d, "write `upsert by FIELD` or `create key FIELD`");
    } else {
        for (size_t k = i; k < ck->entity; k++)
            if (out->entities[k].fallback_of == (int)(i - 1)) {
                d = diag_report(ck->sink, DIAG_ERROR, "E0116", no->span, "entity %s already has a fallback",
                                no->name);
                diag_help(d, "the first is entity %s on %s; merge them, or choose with `when` in one",
                          out->entities[k].item->u.entity.name.name, ck_line_of(ck, out->entities[k].item->span));
            }
    }
    if (d == NULL)
        ce->fallback_of = (int)(i - 1);
}

/* W0210: an update entity whose misses nothing takes. */
static void updates_without_fallback(Checker *ck)
{
    Checked *out = ck->out;
    for (size_t i = 0; i < out->nentities; i++) {
        const Item *it = out->entities[i].item;
        bool taken = false;
        for (size_t k = i + 1; k < out->nentities; k++)
            taken |= out->entities[k].fallback_of == (int)i;
        /* an update written as a fallback is E0116 already */
        if (out->entities[i].mode != MODE_UPDATE || taken || it->u.entity.fallback.name)
            continue;
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0210", it->u.entity.mode_span,
                              "a record the CRM holds no %s for fails NOT_FOUND", it->u.entity.name.name);
        diag_help(d, "add a fallback entity after it for those records, e.g. "
                     "`entity Lead upsert by %s when no %s { ... }`",
                  it->u.entity.by.name ? it->u.entity.by.name : "Email", it->u.entity.name.name);
    }
}

static void entities(Checker *ck, const Ast *ast)
{
    Checked *out = ck->out;
    size_t n = count_items(ast, IT_ENTITY);
    out->entities = cm_arena_alloc(ck->arena, (n + 1) * sizeof *out->entities);
    for (size_t i = 0; i < ast->count; i++) {
        const Item *it = ast->items[i];
        if (it->kind == IT_LET) {
            ck->target = NULL;
            /* an unknown source path is reported once per let here (the
             * index was left to the next entity's init, which leaked it) */
            ck_let(ck, &it->u.let);
            names_free(&ck->seen_paths);
        }
        if (it->kind != IT_ENTITY)
            continue;
        CheckedEntity *ce = &out->entities[out->nentities];
        ce->item = it;
        ce->mode = it->u.entity.mode;
        ck->entity = out->nentities;
        fallback(ck, ce);
        out->nentities++;
        const Ident *name = &it->u.entity.name;
        ck->target = names_get(&ck->target_ix, name->name);
        if (ck->target == NULL) {
            /* Without target schemas every entity would be unknown: E0113 said why. */
            if (!ck->targets_failed) {
                Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0101", name->span,
                                      "unknown %s entity '%s'", out->system, name->name);
                /* A near name is most likely a typo: pulling the typo would only
                 * fail again. */
                if (!ck_suggest(ck, d, name->name, ck->target_names, out->ntargets))
                    diag_help(d, "its field definitions are not in the target schema; add them with "
                                 "`crmmap schema pull --entity %s`", name->name);
            }
            continue;
        }
        ce->schema = ck->target->schema;
        names_init(&ck->seen_paths, 8);
        entity_body(ck, ce);
        ck_lets_entity_end(ck);
        names_free(&ck->seen_paths);
    }
    ck->target = NULL;
    updates_without_fallback(ck);
}

/* ---- entry points ---- */

Checked *check_mapping(DiagSink *sink, const Ast *ast, const char *map_path)
{
    Checked *out = cm_calloc(1, sizeof *out);
    cm_arena_init(&out->arena, 16384);
    out->ast = ast;
    out->system = "";
    Checker ck;
    memset(&ck, 0, sizeof ck);
    ck.sink = sink;
    ck.out = out;
    ck.arena = &out->arena;
    ck.src = ast->src;
    names_init(&ck.seen_pairs, 8);
    ck_paths_init(&ck, map_path);
    declarations(&ck, ast, map_path);
    tables(&ck, ast);
    ck_lets_init(&ck, ast);
    ck_params(&ck, ast);
    entities(&ck, ast);
    ck_lets_finish(&ck);
    ck_params_finish(&ck);
    for (size_t i = 0; i < out->ntargets; i++)
        names_free(&ck.targets[i].fields);
    cm_free(ck.targets);
    names_free(&ck.target_ix);
    names_free(&ck.source_ix);
    names_free(&ck.object_ix);
    names_free(&ck.table_ix);
    names_free(&ck.seen_pairs);
    ck_values_free(&ck);
    return out;
}

void check_free(Checked *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ntargets; i++)
        schema_free(c->targets[i]);
    cm_free(c->targets);
    schema_free(c->source);
    users_free(c->users);
    cm_arena_free(&c->arena);
    cm_free(c);
}
