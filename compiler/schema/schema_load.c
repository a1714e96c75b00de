/* schema_load: reads the normalized crmmap-schema/1 and crmmap-users/1 files
 * (docs/schema.md), strictly: a hand-edited schema with a typo must fail with
 * the typo's location, not quietly mean something else. */
#include "schema.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"
#include "schema_build.h"
#include "schema_json.h"

static const char *const ENTITY_KEYS[] = { "format", "system", "entity", "fields" };
static const char *const FIELD_KEYS[] = {
    "name", "label", "type", "length", "precision", "scale", "min", "max", "places", "required", "createable", "updateable", "unique",
    "external_id", "restricted", "values", "references", "navigation", "controller",
};
static const char *const VALUE_KEYS[] = { "value", "label", "active", "valid_for" };
static const char *const USERS_KEYS[] = { "format", "system", "users" };
static const char *const USER_KEYS[] = { "id", "email", "name", "active", "snapaddy_ids", "emails" };

#define N(a) (sizeof a / sizeof a[0])

/* The top-level object and its format tag. */
static bool check_header(JsonDoc *d, const char *want, const char *other)
{
    const cJSON *root = d->root;
    if (!cJSON_IsObject(root)) {
        json_error(d, root, false, "expected a JSON object with \"format\": \"%s\", found %s",
                   want, json_kind(root));
        return false;
    }
    const char *format = NULL;
    const cJSON *node = NULL;
    if (!json_want_string(d, root, "format", true, false, &format, &node))
        return false;
    if (strcmp(format, want) == 0)
        return true;
    Diag *e = json_error(d, node, false, "format is '%s', expected '%s'", format, want);
    size_t base = strcspn(want, "/");
    if (strcmp(format, other) == 0)
        diag_help(e, "this is a %s file", strncmp(other, "crmmap-users", 12) == 0
                  ? "users" : "schema");
    else if (strncmp(format, want, base + 1) == 0)
        diag_help(e, "this crmmap reads version 1 of the format; a newer crmmap wrote this file");
    else
        diag_help(e, "import vendor documents with 'crmmap schema import'");
    return false;
}

static bool load_value(JsonDoc *d, SchemaBuilder *b, Field *f, const cJSON *v, int *numeric)
{
    if (!cJSON_IsObject(v)) {
        json_error(d, v, false, "a picklist value must be an object {\"value\": ..., \"label\": ...}, not %s",
                   json_kind(v));
        return false;
    }
    if (!json_check_keys(d, v, "a picklist value", VALUE_KEYS, N(VALUE_KEYS)))
        return false;
    const cJSON *value = json_get(v, "value");
    char num[32];
    const char *text = NULL;
    int is_number = -1;
    if (cJSON_IsString(value)) {
        if (strlen(value->valuestring) > SCHEMA_MAX_STRING) {
            json_error(d, value, false, "'value' is longer than %u bytes", SCHEMA_MAX_STRING);
            return false;
        }
        text = value->valuestring;
        is_number = 0;
    } else if (json_is_integer(value)) {
        snprintf(num, sizeof num, "%.0f", value->valuedouble == 0 ? 0.0 : value->valuedouble);
        text = num;
        is_number = 1;
    } else if (value == NULL) {
        json_error_head(d, v, "missing key 'value'");
        return false;
    } else {
        json_error(d, value, false, "'value' must be a string or an integer, not %s",
                   cJSON_IsNumber(value) ? "a fraction" : json_kind(value));
        return false;
    }
    if (*numeric >= 0 && *numeric != is_number) {
        Diag *e = json_error(d, value, false, "picklist values mix strings and numbers");
        diag_help(e, "numbers are for option sets with integer values (Dynamics); write all values one way");
        return false;
    }
    *numeric = is_number;
    const char *label = NULL, *valid_for = NULL;
    bool active = true;
    if (!json_want_string(d, v, "label", false, false, &label, NULL) ||
        !json_want_bool(d, v, "active", &active) ||
        !json_want_string(d, v, "valid_for", false, true, &valid_for, NULL))
        return false;
    schema_build_value(b, f, text, label, active, valid_for);
    return true;
}

static bool load_values(JsonDoc *d, SchemaBuilder *b, Field *f, const cJSON *values)
{
    int numeric = -1;
    size_t n = 0;
    bool ok = true;
    for (const cJSON *v = values->child; v != NULL; v = v->next) {
        if (!schema_build_value_room(d, &n, v, "picklist values"))
            return false;
        ok &= load_value(d, b, f, v, &numeric);
    }
    f->numeric_values = numeric == 1;
    return ok;
}

static bool load_references(JsonDoc *d, SchemaBuilder *b, Field *f, const cJSON *refs)
{
    size_t n = 0;
    for (const cJSON *r = refs->child; r != NULL; r = r->next) {
        if (!schema_build_value_room(d, &n, r, "references"))
            return false;
        if (!cJSON_IsString(r) || r->valuestring[0] == '\0' ||
            strlen(r->valuestring) > SCHEMA_MAX_STRING) {
            json_error(d, r, false, "a reference must name an entity (a non-empty string), not %s",
                       json_kind(r));
            return false;
        }
        schema_build_reference(b, f, r->valuestring);
    }
    return true;
}

/* "navigation": {"TARGET": "NavigationProperty", ...}, each TARGET one of
 * the field's references. */
static bool load_navigation(JsonDoc *d, SchemaBuilder *b, Field *f, const cJSON *navs)
{
    if (!cJSON_IsObject(navs)) {
        json_error(d, navs, false, "'navigation' must be an object of reference -> navigation property, not %s",
                   json_kind(navs));
        return false;
    }
    for (const cJSON *n = navs->child; n != NULL; n = n->next) {
        size_t i = 0;
        while (i < f->nreferences && strcmp(f->references[i], n->string) != 0)
            i++;
        if (i == f->nreferences) {
            json_error(d, n, true, "'%s' is not one of the field's references", n->string);
            return false;
        }
        if (!cJSON_IsString(n) || n->valuestring[0] == '\0') {
            json_error(d, n, false, "a navigation property must be a non-empty string, not %s",
                       cJSON_IsString(n) ? "an empty one" : json_kind(n));
            return false;
        }
        schema_build_navigation(b, f, n->string, n->valuestring);
    }
    return true;
}

static bool load_type(JsonDoc *d, const cJSON *obj, FieldType *type)
{
    const char *name = NULL;
    const cJSON *node = NULL;
    if (!json_want_string(d, obj, "type", true, false, &name, &node))
        return false;
    if (schema_type_parse(name, type))
        return true;
    size_t n;
    const char *const *names = schema_type_names(&n);
    CmBuf all = CM_BUF_INIT;
    cm_buf_puts(&all, "the types are ");
    for (size_t i = 0; i < n; i++)
        cm_buf_printf(&all, "%s%s", i ? ", " : "", names[i]);
    json_unknown_name(d, node, "field type", name, names, n, all.data);
    cm_buf_free(&all);
    return false;
}

/* A key only some types may carry. */
static bool only_for(JsonDoc *d, const cJSON *obj, const char *key, bool allowed, const char *which)
{
    const cJSON *v = json_get(obj, key);
    if (v == NULL || cJSON_IsNull(v) || allowed)
        return true;
    json_error(d, v, true, "'%s' is only for %s fields", key, which);
    return false;
}

/* A field's least or greatest value: any finite JSON number. */
static bool load_bound(JsonDoc *d, const cJSON *obj, const char *key, bool *has, double *out)
{
    const cJSON *v = json_get(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v)) {
        json_error(d, v, false, "'%s' must be a number, not %s", key, json_kind(v));
        return false;
    }
    *has = true;
    *out = v->valuedouble;
    return true;
}

static bool load_field(void *ctx, SchemaBuilder *b, const cJSON *obj)
{
    JsonDoc *d = ctx;
    if (!cJSON_IsObject(obj)) {
        json_error(d, obj, false, "a field must be an object, not %s", json_kind(obj));
        return false;
    }
    const char *name = NULL;
    FieldType type;
    if (!json_want_string(d, obj, "name", true, true, &name, NULL))
        return false;
    bool keys_ok = json_check_keys(d, obj, "a field", FIELD_KEYS, N(FIELD_KEYS));
    if (!load_type(d, obj, &type) || !keys_ok)
        return false;
    Field *f = schema_build_field(b, name, json_span(d, obj));
    f->type = type;
    const char *label = NULL, *controller = NULL;
    long length = 0, precision = 0, scale = 0;
    bool picklist = type == FT_PICKLIST || type == FT_MULTIPICKLIST;
    const cJSON *values = NULL, *refs = NULL;
    /* every check runs, so one pass shows all of a field's mistakes */
    bool ok = json_want_string(d, obj, "label", false, false, &label, NULL);
    ok &= json_want_int(d, obj, "length", 0, 1L << 30, &length);
    ok &= json_want_int(d, obj, "precision", 0, 99, &precision);
    ok &= json_want_int(d, obj, "scale", 0, 99, &scale);
    ok &= load_bound(d, obj, "min", &f->has_min, &f->min);
    ok &= load_bound(d, obj, "max", &f->has_max, &f->max);
    long places = -1;
    ok &= json_want_int(d, obj, "places", 0, 15, &places);
    ok &= json_want_bool(d, obj, "required", &f->required);
    ok &= json_want_bool(d, obj, "createable", &f->createable);
    ok &= json_want_bool(d, obj, "updateable", &f->updateable);
    ok &= json_want_bool(d, obj, "unique", &f->unique);
    ok &= json_want_bool(d, obj, "external_id", &f->external_id);
    ok &= json_want_bool(d, obj, "restricted", &f->restricted);
    ok &= json_want_array(d, obj, "values", false, &values);
    ok &= json_want_array(d, obj, "references", false, &refs);
    ok &= json_want_string(d, obj, "controller", false, true, &controller, NULL);
    ok &= only_for(d, obj, "restricted", picklist, "picklist and multipicklist");
    ok &= only_for(d, obj, "values", picklist, "picklist and multipicklist");
    ok &= only_for(d, obj, "controller", picklist, "picklist and multipicklist");
    ok &= only_for(d, obj, "references", type == FT_REFERENCE, "reference");
    ok &= only_for(d, obj, "precision", type == FT_DECIMAL, "decimal");
    ok &= only_for(d, obj, "scale", type == FT_DECIMAL, "decimal");
    ok &= only_for(d, obj, "min", type == FT_INT || type == FT_DECIMAL, "integer and decimal");
    ok &= only_for(d, obj, "max", type == FT_INT || type == FT_DECIMAL, "integer and decimal");
    ok &= only_for(d, obj, "places", type == FT_DECIMAL, "decimal");
    if (ok && f->has_min && f->has_max && f->min > f->max) {
        json_error(d, json_get(obj, "min"), false, "'min' is greater than 'max'");
        ok = false;
    }
    ok &= only_for(d, obj, "navigation", type == FT_REFERENCE, "reference");
    if (!ok)
        return false;
    f->label = schema_build_strdup(b, label);
    f->length = (int)length;
    f->precision = (int)precision;
    f->scale = (int)scale;
    f->has_places = places >= 0;
    f->places = f->has_places ? (int)places : 0;
    f->controller = schema_build_strdup(b, controller);
    if (values != NULL && !load_values(d, b, f, values))
        return false;
    if (refs != NULL && !load_references(d, b, f, refs))
        return false;
    const cJSON *navs = json_get(obj, "navigation");
    if (navs != NULL && !cJSON_IsNull(navs) && !load_navigation(d, b, f, navs))
        return false;
    if (controller == NULL) {
        for (size_t i = 0; i < f->nvalues; i++)
            if (f->values[i].valid_for != NULL) {
                json_error(d, json_get(obj, "values"), true,
                           "'valid_for' needs a 'controller' naming the controlling field");
                return false;
            }
    }
    return true;
}

/* Loaders return void *, the type load_source takes. */
static void *load_entity(JsonDoc *d)
{
    if (!check_header(d, "crmmap-schema/1", "crmmap-users/1"))
        return NULL;
    const cJSON *root = d->root, *fields = NULL, *entity_node = NULL;
    const char *system = NULL, *entity = NULL;
    if (!json_check_keys(d, root, "a schema file", ENTITY_KEYS, N(ENTITY_KEYS)) ||
        !json_want_string(d, root, "system", true, true, &system, NULL) ||
        !json_want_string(d, root, "entity", true, true, &entity, &entity_node) ||
        !json_want_array(d, root, "fields", true, &fields))
        return NULL;
    SchemaBuilder b;
    schema_build_begin(&b, system, entity, d->src, json_span(d, entity_node));
    size_t n = 0;
    if (!schema_build_each(&b, d, fields, "fields in one entity", &n, load_field, d)) {
        schema_build_abandon(&b);
        return NULL;
    }
    return schema_build_end(&b, d->sink);
}

static void *load_users(JsonDoc *d);

/* Parses src (NULL: it could not be read, already reported) and hands the
 * document to load: a schema file or a users file. */
static void *load_source(DiagSink *sink, const DiagSource *src, void *(*load)(JsonDoc *d))
{
    if (src == NULL)
        return NULL;
    JsonDoc d;
    void *out = NULL;
    if (json_doc_open(&d, sink, src))
        out = load(&d);
    json_doc_close(&d);
    return out;
}

SchemaEntity *schema_load(DiagSink *sink, const char *path, const char *tree, Span at)
{
    return load_source(sink, json_read_file(sink, path, tree, at, "schema file"), load_entity);
}

SchemaEntity *schema_load_text(DiagSink *sink, const char *name, const char *text, size_t len)
{
    return load_source(sink, diag_source_add(sink, name, text, len), load_entity);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_entity_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0 &&
           strcmp(name, "users.json") != 0;
}

SchemaEntity **schema_load_dir(DiagSink *sink, const char *dir, const char *tree, Span at,
                               size_t *count)
{
    *count = 0;
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        Span where = at.src ? at : diag_nowhere(diag_source_add(sink, dir, NULL, 0));
        diag_report(sink, DIAG_ERROR, "E0113", where, "cannot read schema directory '%s': %s",
                    dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool too_many = false;
    for (struct dirent *de; (de = readdir(dh)) != NULL;) {
        if (!is_entity_file(de->d_name))
            continue;
        if (n == SCHEMA_MAX_DIR_FILES) {
            too_many = true;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = cm_realloc(names, cap * sizeof *names);
        }
        names[n++] = cm_strdup(de->d_name);
    }
    closedir(dh);
    if (too_many) {
        Span where = at.src ? at : diag_nowhere(diag_source_add(sink, dir, NULL, 0));
        diag_report(sink, DIAG_ERROR, "E0113", where, "schema directory '%s' holds more than %d entity files",
                    dir, SCHEMA_MAX_DIR_FILES);
    }
    if (n == 0 && !too_many) {
        Span where = at.src ? at : diag_nowhere(diag_source_add(sink, dir, NULL, 0));
        Diag *e = diag_report(sink, DIAG_ERROR, "E0113", where, "schema directory '%s' has no entity files", dir);
        diag_help(e, "write one ENTITY.json per entity with 'crmmap schema import' or 'crmmap schema pull'");
    }
    qsort(names, n, sizeof *names, compare_strings);
    SchemaEntity **out = n ? cm_malloc(n * sizeof *out) : NULL;
    size_t dirlen = strlen(dir);
    for (size_t i = 0; i < n; i++) {
        char *path = cm_malloc(dirlen + strlen(names[i]) + 2);
        sprintf(path, "%s%s%s", dir, dirlen && dir[dirlen - 1] == '/' ? "" : "/", names[i]);
        SchemaEntity *e = schema_load(sink, path, tree, at);
        cm_free(path);
        cm_free(names[i]);
        if (e == NULL)
            continue;
        const SchemaEntity *same = NULL;
        for (size_t j = 0; j < *count && same == NULL; j++)
            if (strcmp(out[j]->name, e->name) == 0)
                same = out[j];
        if (same != NULL) {
            Diag *d = diag_report(sink, DIAG_ERROR, "E0113", e->name_span, "entity '%s' is defined again",
                                  e->name);
            diag_help(d, "'%s' defines it first; keep one file per entity", diag_source_name(same->src));
            schema_free(e);
            continue;
        }
        out[(*count)++] = e;
    }
    cm_free(names);
    if (*count == 0) {
        cm_free(out);
        out = NULL;
    }
    return out;
}

/* An optional array of non-empty strings: a user's snapaddy_ids or emails. */
static bool load_keys(JsonDoc *d, UsersFile *u, const cJSON *obj, const char *key,
                      const char ***out, size_t *n)
{
    const cJSON *arr = NULL;
    if (!json_want_array(d, obj, key, false, &arr))
        return false;
    if (arr == NULL)
        return true;
    *out = cm_arena_alloc(&u->arena, ((size_t)cJSON_GetArraySize(arr) + 1) * sizeof **out);
    for (const cJSON *x = arr->child; x != NULL; x = x->next) {
        if (!cJSON_IsString(x) || x->valuestring[0] == '\0') {
            json_error(d, x, false, "'%s' lists non-empty strings, not %s", key,
                       cJSON_IsString(x) ? "an empty one" : json_kind(x));
            return false;
        }
        (*out)[(*n)++] = cm_arena_strdup(&u->arena, x->valuestring);
    }
    return true;
}

static bool load_user(JsonDoc *d, UsersFile *u, const cJSON *obj)
{
    if (!cJSON_IsObject(obj)) {
        json_error(d, obj, false, "a user must be an object, not %s", json_kind(obj));
        return false;
    }
    const char *id = NULL, *email = NULL, *name = NULL;
    bool active = true;
    if (!json_check_keys(d, obj, "a user", USER_KEYS, N(USER_KEYS)) ||
        !json_want_string(d, obj, "id", true, true, &id, NULL) ||
        !json_want_string(d, obj, "email", false, true, &email, NULL) ||
        !json_want_string(d, obj, "name", false, false, &name, NULL) ||
        !json_want_bool(d, obj, "active", &active))
        return false;
    User *x = &u->users[u->nusers++];
    x->id = cm_arena_strdup(&u->arena, id);
    x->email = email ? cm_arena_strdup(&u->arena, email) : NULL;
    x->name = name ? cm_arena_strdup(&u->arena, name) : NULL;
    x->active = active;
    return load_keys(d, u, obj, "snapaddy_ids", &x->snapaddy_ids, &x->nsnapaddy_ids)
        && load_keys(d, u, obj, "emails", &x->emails, &x->nemails);
}

typedef struct IdAt {
    const char *id;
    size_t index;
    const cJSON *node;
} IdAt;

static int compare_ids(const void *x, const void *y)
{
    const IdAt *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Ids are what user() resolves to: one id, one user. users holds the JSON
 * array the users were loaded from, in order. */
static bool unique_ids(JsonDoc *d, const UsersFile *u, const cJSON *users)
{
    IdAt *ids = cm_malloc((u->nusers ? u->nusers : 1) * sizeof *ids);
    const cJSON *x = users->child;
    for (size_t i = 0; i < u->nusers && x != NULL; i++, x = x->next)
        ids[i] = (IdAt){ u->users[i].id, i, x };
    qsort(ids, u->nusers, sizeof *ids, compare_ids);
    bool ok = true;
    for (size_t i = 1; i < u->nusers; i++)
        if (strcmp(ids[i - 1].id, ids[i].id) == 0) {
            json_error(d, json_get(ids[i].node, "id"), false, "user id '%s' is listed twice", ids[i].id);
            ok = false;
        }
    cm_free(ids);
    return ok;
}

static void *load_users(JsonDoc *d)
{
    if (!check_header(d, "crmmap-users/1", "crmmap-schema/1"))
        return NULL;
    const cJSON *root = d->root, *users = NULL;
    const char *system = NULL;
    if (!json_check_keys(d, root, "a users file", USERS_KEYS, N(USERS_KEYS)) ||
        !json_want_string(d, root, "system", true, true, &system, NULL) ||
        !json_want_array(d, root, "users", true, &users))
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(users);
    if (n > SCHEMA_MAX_USERS) {
        json_error_head(d, users, "more than %d users", SCHEMA_MAX_USERS);
        return NULL;
    }
    UsersFile *u = cm_calloc(1, sizeof *u);
    cm_arena_init(&u->arena, 16 * 1024);
    u->system = cm_arena_strdup(&u->arena, system);
    u->src = d->src;
    u->users = cm_arena_alloc(&u->arena, (n ? n : 1) * sizeof *u->users);
    bool ok = true;
    for (const cJSON *x = users->child; x != NULL; x = x->next)
        ok &= load_user(d, u, x);
    ok = ok && unique_ids(d, u, users);
    if (!ok) {
        users_free(u);
        return NULL;
    }
    return u;
}

UsersFile *users_load(DiagSink *sink, const char *path, const char *tree, Span at)
{
    return load_source(sink, json_read_file(sink, path, tree, at, "users file"), load_users);
}

UsersFile *users_load_text(DiagSink *sink, const char *name, const char *text, size_t len)
{
    return load_source(sink, diag_source_add(sink, name, text, len), load_users);
}
