/* schema: the normalized model — type names, building and indexing an
 * entity, field lookup, and the canonical writer. Loading is schema_load.c,
 * the importers schema_import*.c. */
#include "schema.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cm_alloc.h"
#include "cm_sort.h"
#include "numtext.h"
#include "schema_build.h"

static const char *const TYPE_NAMES[] = {
    [FT_STRING] = "string", [FT_TEXT] = "text", [FT_EMAIL] = "email", [FT_PHONE] = "phone",
    [FT_URL] = "url", [FT_INT] = "int", [FT_DECIMAL] = "decimal", [FT_BOOL] = "bool",
    [FT_DATE] = "date", [FT_DATETIME] = "datetime", [FT_TIME] = "time",
    [FT_DURATION] = "duration", [FT_PICKLIST] = "picklist",
    [FT_MULTIPICKLIST] = "multipicklist", [FT_REFERENCE] = "reference", [FT_ID] = "id",
    [FT_BINARY] = "binary", [FT_FILE] = "file", [FT_FILES] = "files",
};
#define NTYPES (sizeof TYPE_NAMES / sizeof TYPE_NAMES[0])

const char *schema_type_name(FieldType t)
{
    return (size_t)t < NTYPES ? TYPE_NAMES[t] : "?";
}

bool schema_type_parse(const char *name, FieldType *t)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(name, TYPE_NAMES[i]) == 0) {
            *t = (FieldType)i;
            return true;
        }
    return false;
}

const char *const *schema_type_names(size_t *n)
{
    *n = NTYPES;
    return TYPE_NAMES;
}

/* ---- building ---- */

void schema_build_begin(SchemaBuilder *b, const char *system, const char *name,
                        const DiagSource *src, Span name_span)
{
    SchemaEntity *e = cm_calloc(1, sizeof *e);
    cm_arena_init(&e->arena, 64 * 1024);
    e->system = cm_arena_strdup(&e->arena, system);
    e->name = cm_arena_strdup(&e->arena, name);
    e->src = src;
    e->name_span = name_span;
    b->e = e;
    b->cap = 0;
}

char *schema_build_strdup(SchemaBuilder *b, const char *s)
{
    return s ? cm_arena_strdup(&b->e->arena, s) : NULL;
}

/* Grows an arena array of n elements of size sz to hold one more. */
static void *arena_grow(CmArena *a, void *old, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return old;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = cm_arena_alloc(a, ncap * sz);
    if (n)
        memcpy(p, old, n * sz);
    *cap = ncap;
    return p;
}

Field *schema_build_field(SchemaBuilder *b, const char *name, Span span)
{
    SchemaEntity *e = b->e;
    e->fields = arena_grow(&e->arena, e->fields, e->nfields, &b->cap, sizeof *e->fields);
    Field *f = &e->fields[e->nfields++];
    memset(f, 0, sizeof *f);
    f->name = cm_arena_strdup(&e->arena, name);
    f->type = FT_STRING;
    f->createable = f->updateable = true;
    f->span = span;
    return f;
}

/* Picklist values and references grow by doubling at powers of two, so the
 * capacity is implied by the count. */
static size_t implied_cap(size_t n)
{
    size_t c = 8;
    while (c < n)
        c *= 2;
    return n ? c : 0;
}

void schema_build_value(SchemaBuilder *b, Field *f, const char *value, const char *label,
                        bool active, const char *valid_for)
{
    CmArena *a = &b->e->arena;
    size_t cap = implied_cap(f->nvalues);
    f->values = arena_grow(a, f->values, f->nvalues, &cap, sizeof *f->values);
    PickValue *v = &f->values[f->nvalues++];
    v->value = cm_arena_strdup(a, value);
    v->label = label ? cm_arena_strdup(a, label) : NULL;
    v->active = active;
    v->valid_for = valid_for ? cm_arena_strdup(a, valid_for) : NULL;
}

void schema_build_reference(SchemaBuilder *b, Field *f, const char *entity)
{
    CmArena *a = &b->e->arena;
    size_t cap = implied_cap(f->nreferences), navcap = cap;
    f->references = arena_grow(a, (void *)f->references, f->nreferences, &cap, sizeof *f->references);
    f->navigations = arena_grow(a, (void *)f->navigations, f->nreferences, &navcap, sizeof *f->navigations);
    f->navigations[f->nreferences] = NULL;
    f->references[f->nreferences++] = cm_arena_strdup(a, entity);
}

void schema_build_navigation(SchemaBuilder *b, Field *f, const char *entity, const char *navigation)
{
    size_t i = 0;
    while (i < f->nreferences && strcmp(f->references[i], entity) != 0)
        i++;
    if (i == f->nreferences)
        schema_build_reference(b, f, entity);
    f->navigations[i] = cm_arena_strdup(&b->e->arena, navigation);
}

bool schema_field_navigable(const Field *f)
{
    for (size_t i = 0; i < f->nreferences; i++)
        if (f->navigations[i] != NULL)
            return true;
    return false;
}

const Field *schema_facts_only(const SchemaEntity *e)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (e->fields[i].facts_only)
            return &e->fields[i];
    return NULL;
}

Field *schema_build_copy(SchemaBuilder *b, const Field *f)
{
    Field *c = schema_build_field(b, f->name, f->span);
    const char *name = c->name;
    *c = *f;
    c->name = name;
    c->label = schema_build_strdup(b, f->label);
    c->controller = schema_build_strdup(b, f->controller);
    c->values = NULL;
    c->nvalues = 0;
    c->references = c->navigations = NULL;
    c->nreferences = 0;
    for (size_t i = 0; i < f->nvalues; i++) {
        const PickValue *v = &f->values[i];
        schema_build_value(b, c, v->value, v->label, v->active, v->valid_for);
    }
    for (size_t i = 0; i < f->nreferences; i++) {
        schema_build_reference(b, c, f->references[i]);
        if (f->navigations[i] != NULL)
            schema_build_navigation(b, c, f->references[i], f->navigations[i]);
    }
    return c;
}

static void report_field(DiagSink *sink, const SchemaEntity *e, const Field *f, Diag **d,
                         const char *msg, const char *arg)
{
    Span at = f->span.src ? f->span : diag_nowhere(e->src);
    *d = diag_report(sink, DIAG_ERROR, "E0113", at, msg, arg);
}

static bool fits(const char *s)
{
    return s == NULL || strlen(s) <= SCHEMA_MAX_STRING;
}

/* What the loader accepts, so every entity written can be read back. */
static bool strings_fit(const Field *f)
{
    bool ok = fits(f->name) && fits(f->label) && fits(f->controller);
    for (size_t i = 0; i < f->nvalues && ok; i++)
        ok = fits(f->values[i].value) && fits(f->values[i].label) && fits(f->values[i].valid_for);
    for (size_t i = 0; i < f->nreferences && ok; i++)
        ok = fits(f->references[i]) && fits(f->navigations[i]);
    return ok;
}

SchemaEntity *schema_build_end(SchemaBuilder *b, DiagSink *sink)
{
    SchemaEntity *e = b->e;
    b->e = NULL;
    bool ok = true;
    Diag *d = NULL;
    if (!fits(e->name) || !fits(e->system)) {
        diag_report(sink, DIAG_ERROR, "E0113", e->name_span.src ? e->name_span : diag_nowhere(e->src),
                    "the entity's name is longer than %u bytes", SCHEMA_MAX_STRING);
        schema_free(e);
        return NULL;
    }
    if (e->nfields > SCHEMA_MAX_FIELDS) {
        diag_report(sink, DIAG_ERROR, "E0113", e->name_span.src ? e->name_span : diag_nowhere(e->src),
                    "entity '%s' has %zu fields; the limit is %d", e->name, e->nfields,
                    SCHEMA_MAX_FIELDS);
        schema_free(e);
        return NULL;
    }
    e->by_name = cm_arena_alloc(&e->arena, (e->nfields ? e->nfields : 1) * sizeof *e->by_name);
    CmNameAt *order = cm_malloc((e->nfields ? e->nfields : 1) * sizeof *order);
    for (size_t i = 0; i < e->nfields; i++)
        order[i] = (CmNameAt){ e->fields[i].name, i };
    qsort(order, e->nfields, sizeof *order, cm_name_at_cmp);
    for (size_t i = 0; i < e->nfields; i++)
        e->by_name[i] = order[i].at;
    cm_free(order);
    for (size_t i = 1; i < e->nfields; i++) {
        const Field *first = &e->fields[e->by_name[i - 1]], *again = &e->fields[e->by_name[i]];
        if (strcmp(first->name, again->name) != 0)
            continue;
        report_field(sink, e, again, &d, "field '%s' is defined twice", again->name);
        if (first->span.src != NULL) {
            uint32_t line, col;
            diag_position(first->span.src, first->span.start, &line, &col);
            diag_help(d, "the first definition is at line %u", line);
        }
        ok = false;
    }
    for (size_t i = 0; i < e->nfields; i++) {
        const Field *f = &e->fields[i];
        if (!strings_fit(f)) {
            report_field(sink, e, f, &d, "field '%.64s...' has a name, label, value or reference longer than the limit",
                         f->name);
            diag_help(d, "the limit is %u bytes per string", SCHEMA_MAX_STRING);
            ok = false;
        }
        if (f->nvalues > SCHEMA_MAX_VALUES || f->nreferences > SCHEMA_MAX_VALUES) {
            report_field(sink, e, f, &d, "field '%s' lists too many values or references", f->name);
            diag_help(d, "the limit is %d", SCHEMA_MAX_VALUES);
            ok = false;
        }
        if (f->controller == NULL)
            continue;
        const Field *c = schema_field(e, f->controller);
        if (c == NULL || (c->type != FT_PICKLIST && c->type != FT_MULTIPICKLIST && c->type != FT_BOOL)) {
            report_field(sink, e, f, &d, "the controlling field '%s' is not a picklist or bool field of this entity",
                         f->controller);
            ok = false;
        }
    }
    if (!ok) {
        schema_free(e);
        return NULL;
    }
    return e;
}

static bool room(JsonDoc *d, size_t *n, int cap, const cJSON *at, const char *noun)
{
    if (++*n <= (size_t)cap)
        return true;
    json_error(d, at, false, "more than %d %s", cap, noun);
    return false;
}

bool schema_build_room(JsonDoc *d, size_t *n, const cJSON *at, const char *noun)
{
    return room(d, n, SCHEMA_MAX_FIELDS, at, noun);
}

bool schema_build_value_room(JsonDoc *d, size_t *n, const cJSON *at, const char *noun)
{
    return room(d, n, SCHEMA_MAX_VALUES, at, noun);
}

bool schema_build_each(SchemaBuilder *b, JsonDoc *d, const cJSON *list, const char *noun, size_t *n,
                       SchemaFieldFn each, void *ctx)
{
    bool ok = true;
    for (const cJSON *item = list->child; item != NULL; item = item->next) {
        if (!schema_build_room(d, n, item, noun))
            return false;
        ok &= each(ctx, b, item);
    }
    return ok;
}

void schema_build_abandon(SchemaBuilder *b)
{
    schema_free(b->e);
    b->e = NULL;
}

const Field *schema_field(const SchemaEntity *e, const char *name)
{
    if (e->by_name == NULL) {   /* not yet indexed: while building */
        for (size_t i = 0; i < e->nfields; i++)
            if (strcmp(e->fields[i].name, name) == 0)
                return &e->fields[i];
        return NULL;
    }
    size_t lo = 0, hi = e->nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(e->fields[e->by_name[mid]].name, name);
        if (c == 0)
            return &e->fields[e->by_name[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void schema_free(SchemaEntity *e)
{
    if (e == NULL)
        return;
    cm_arena_free(&e->arena);
    cm_free(e);
}

void users_free(UsersFile *u)
{
    if (u == NULL)
        return;
    cm_arena_free(&u->arena);
    cm_free(u);
}

static bool user_has_key(const User *x, const char *key, bool any)
{
    if (x->email != NULL && strcasecmp(x->email, key) == 0)
        return true;
    if (!any)
        return false;
    for (size_t i = 0; i < x->nemails; i++)
        if (strcasecmp(x->emails[i], key) == 0)
            return true;
    for (size_t i = 0; i < x->nsnapaddy_ids; i++)
        if (strcasecmp(x->snapaddy_ids[i], key) == 0)
            return true;
    return false;
}

static const User *find_user(const UsersFile *u, const char *key, bool any)
{
    const User *inactive = NULL;
    for (size_t i = 0; i < u->nusers; i++) {
        const User *x = &u->users[i];
        if (!user_has_key(x, key, any))
            continue;
        if (x->active)
            return x;
        if (inactive == NULL)
            inactive = x;
    }
    return inactive;
}

const User *users_find_email(const UsersFile *u, const char *email)
{
    return find_user(u, email, false);
}

const User *users_find_key(const UsersFile *u, const char *key)
{
    return find_user(u, key, true);
}

void users_each_key(const UsersFile *u, void (*each)(void *ctx, const User *user, const char *key), void *ctx)
{
    for (size_t i = 0; i < u->nusers; i++) {
        const User *x = &u->users[i];
        if (x->email != NULL)
            each(ctx, x, x->email);
        for (size_t k = 0; k < x->nemails; k++)
            each(ctx, x, x->emails[k]);
        for (size_t k = 0; k < x->nsnapaddy_ids; k++)
            each(ctx, x, x->snapaddy_ids[k]);
    }
}

/* ---- the canonical writer ---- */

static void put_key(CmBuf *out, int indent, const char *key)
{
    for (int i = 0; i < indent; i++)
        cm_buf_putc(out, ' ');
    cm_buf_put_json_string(out, key, strlen(key));
    cm_buf_puts(out, ": ");
}

static void put_string(CmBuf *out, const char *s)
{
    cm_buf_put_json_string(out, s, strlen(s));
}

static bool is_picklist(FieldType t)
{
    return t == FT_PICKLIST || t == FT_MULTIPICKLIST;
}

static void write_value(CmBuf *out, const Field *f, const PickValue *v)
{
    cm_buf_puts(out, "{ \"value\": ");
    if (f->numeric_values)
        cm_buf_puts(out, v->value);
    else
        put_string(out, v->value);
    if (v->label != NULL) {
        cm_buf_puts(out, ", \"label\": ");
        put_string(out, v->label);
    }
    if (!v->active)
        cm_buf_puts(out, ", \"active\": false");
    if (v->valid_for != NULL) {
        cm_buf_puts(out, ", \"valid_for\": ");
        put_string(out, v->valid_for);
    }
    cm_buf_puts(out, " }");
}

static void write_field(CmBuf *out, const Field *f)
{
    cm_buf_puts(out, "    {\n");
    put_key(out, 6, "name");
    put_string(out, f->name);
    if (f->label != NULL) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "label");
        put_string(out, f->label);
    }
    cm_buf_puts(out, ",\n");
    put_key(out, 6, "type");
    put_string(out, schema_type_name(f->type));
    if (f->length > 0) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "length");
        cm_buf_printf(out, "%d", f->length);
    }
    if (f->precision > 0) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "precision");
        cm_buf_printf(out, "%d,\n", f->precision);
        put_key(out, 6, "scale");
        cm_buf_printf(out, "%d", f->scale);
    }
    const struct { const char *key; bool has; double v; } bounds[] = {
        { "min", f->has_min, f->min }, { "max", f->has_max, f->max }, { "places", f->has_places, f->places },
    };
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
        if (bounds[i].has) {
            char num[NUMTEXT_MAX];
            cm_buf_puts(out, ",\n");
            put_key(out, 6, bounds[i].key);
            cm_buf_put(out, num, numtext_format(bounds[i].v, num));
        }
    const struct { const char *key; bool v; } flags[] = {
        { "required", f->required }, { "createable", f->createable },
        { "updateable", f->updateable }, { "unique", f->unique },
        { "external_id", f->external_id },
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, flags[i].key);
        cm_buf_puts(out, flags[i].v ? "true" : "false");
    }
    if (is_picklist(f->type)) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "restricted");
        cm_buf_puts(out, f->restricted ? "true" : "false");
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "values");
        if (f->nvalues == 0) {
            cm_buf_puts(out, "[]");
        } else {
            cm_buf_puts(out, "[\n");
            for (size_t i = 0; i < f->nvalues; i++) {
                cm_buf_puts(out, "        ");
                write_value(out, f, &f->values[i]);
                cm_buf_puts(out, i + 1 < f->nvalues ? ",\n" : "\n");
            }
            cm_buf_puts(out, "      ]");
        }
    }
    if (f->type == FT_REFERENCE || f->nreferences > 0) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "references");
        cm_buf_put_json_strings(out, f->references, f->nreferences);
    }
    if (schema_field_navigable(f)) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "navigation");
        cm_buf_puts(out, "{");
        const char *sep = "";
        for (size_t i = 0; i < f->nreferences; i++) {
            if (f->navigations[i] == NULL)
                continue;
            cm_buf_puts(out, sep);
            put_key(out, 0, f->references[i]);
            put_string(out, f->navigations[i]);
            sep = ", ";
        }
        cm_buf_puts(out, "}");
    }
    if (f->controller != NULL) {
        cm_buf_puts(out, ",\n");
        put_key(out, 6, "controller");
        put_string(out, f->controller);
    }
    cm_buf_puts(out, "\n    }");
}

/* What a schema file and a users file open with: the format and the system. */
static void put_head(CmBuf *out, const char *format, const char *system)
{
    cm_buf_puts(out, "{\n");
    put_key(out, 2, "format");
    cm_buf_printf(out, "\"%s\",\n", format);
    put_key(out, 2, "system");
    put_string(out, system);
    cm_buf_puts(out, ",\n");
}

void schema_write(const SchemaEntity *e, CmBuf *out)
{
    put_head(out, "crmmap-schema/1", e->system);
    put_key(out, 2, "entity");
    put_string(out, e->name);
    cm_buf_puts(out, ",\n");
    put_key(out, 2, "fields");
    if (e->nfields == 0) {
        cm_buf_puts(out, "[]\n}\n");
        return;
    }
    cm_buf_puts(out, "[\n");
    /* by field name, so a field the CRM moved does not show as a change */
    for (size_t i = 0; i < e->nfields; i++) {
        write_field(out, &e->fields[e->by_name ? e->by_name[i] : i]);
        cm_buf_puts(out, i + 1 < e->nfields ? ",\n" : "\n");
    }
    cm_buf_puts(out, "  ]\n}\n");
}

static void put_key_list(CmBuf *out, const char *key, const char *const *items, size_t n)
{
    if (n == 0)
        return;
    cm_buf_printf(out, ", \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        cm_buf_puts(out, i ? ", " : "");
        put_string(out, items[i]);
    }
    cm_buf_puts(out, "]");
}

static int compare_user_ids(const void *x, const void *y)
{
    const User *const *a = x, *const *b = y;
    return strcmp((*a)->id, (*b)->id);
}

void users_write(const UsersFile *u, CmBuf *out)
{
    put_head(out, "crmmap-users/1", u->system);
    put_key(out, 2, "users");
    if (u->nusers == 0) {
        cm_buf_puts(out, "[]\n}\n");
        return;
    }
    /* by id, so the order the CRM listed them in does not show as a change */
    const User **sorted = cm_malloc(u->nusers * sizeof *sorted);
    for (size_t i = 0; i < u->nusers; i++)
        sorted[i] = &u->users[i];
    qsort(sorted, u->nusers, sizeof *sorted, compare_user_ids);
    cm_buf_puts(out, "[\n");
    for (size_t i = 0; i < u->nusers; i++) {
        const User *x = sorted[i];
        cm_buf_puts(out, "    { \"id\": ");
        put_string(out, x->id);
        if (x->email != NULL) {
            cm_buf_puts(out, ", \"email\": ");
            put_string(out, x->email);
        }
        if (x->name != NULL) {
            cm_buf_puts(out, ", \"name\": ");
            put_string(out, x->name);
        }
        cm_buf_puts(out, x->active ? ", \"active\": true" : ", \"active\": false");
        put_key_list(out, "snapaddy_ids", x->snapaddy_ids, x->nsnapaddy_ids);
        put_key_list(out, "emails", x->emails, x->nemails);
        cm_buf_puts(out, " }");
        cm_buf_puts(out, i + 1 < u->nusers ? ",\n" : "\n");
    }
    cm_free(sorted);
    cm_buf_puts(out, "  ]\n}\n");
}
