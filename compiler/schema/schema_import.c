/* schema_import: the entry points of the vendor importers — reading and
 * parsing the document, choosing the importer, collecting entities, and
 * merging the documents that describe one entity piecewise. */
#include "schema_import.h"

#include <stdio.h>
#include <string.h>

#include "cm_alloc.h"

const char *import_entity_name(Import *im, const char *from_document, const char *what)
{
    if (from_document != NULL && from_document[0] != '\0')
        return from_document;
    if (im->hint != NULL)
        return im->hint;
    Diag *e = json_error_head(im->d, im->d->root, "%s does not name its entity", what);
    diag_help(e, "pass --entity NAME");
    return NULL;
}

bool import_begin(Import *im, SchemaBuilder *b, const char *from_document, const char *what)
{
    const char *name = import_entity_name(im, from_document, what);
    if (name == NULL)
        return false;
    schema_build_begin(b, im->system, name, im->d->src, diag_nowhere(im->d->src));
    return true;
}

bool import_finish(Import *im, SchemaBuilder *b, bool ok)
{
    if (!ok) {
        schema_build_abandon(b);
        return false;
    }
    SchemaEntity *e = schema_build_end(b, im->d->sink);
    if (e == NULL)
        return false;
    *im->out = cm_realloc(*im->out, (*im->nout + 1) * sizeof **im->out);
    (*im->out)[(*im->nout)++] = e;
    im->added++;
    return true;
}

bool import_need_name(Import *im, const cJSON *obj, const char *key, const char *what,
                      const char **out)
{
    const cJSON *v = json_get(obj, key);
    if (cJSON_IsString(v) && v->valuestring[0] != '\0' && strlen(v->valuestring) <= SCHEMA_MAX_STRING) {
        *out = v->valuestring;
        return true;
    }
    if (!cJSON_IsObject(obj))
        json_error(im->d, obj, false, "%s must be an object, not %s", what, json_kind(obj));
    else if (v == NULL)
        json_error_head(im->d, obj, "%s without '%s'", what, key);
    else
        json_error(im->d, v, false, "'%s' of %s must be a non-empty string of at most %u bytes, not %s",
                   key, what, SCHEMA_MAX_STRING, json_kind(v));
    return false;
}

const ImportType *import_type_find(const ImportType *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, table[i].name) == 0)
            return &table[i];
    return NULL;
}

const ImportType *import_type_lookup(Import *im, const ImportType *table, size_t n, const char *name,
                                     const cJSON *node, const char *what, const char *otherwise)
{
    const ImportType *found = import_type_find(table, n, name);
    if (found != NULL)
        return found;
    const char **names = cm_malloc(n * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = table[i].name;
    json_unknown_name(im->d, node, what, name, names, n, otherwise);
    cm_free(names);
    return NULL;
}

const cJSON *import_root_array(Import *im, const char *key, const char *what, const char *help)
{
    const cJSON *list = json_get(im->d->root, key);
    if (cJSON_IsArray(list))
        return list;
    Diag *e = json_error_head(im->d, im->d->root, "not %s: no \"%s\" array", what, key);
    diag_help(e, "%s", help);
    return NULL;
}

const cJSON *import_type_name(Import *im, const cJSON *obj, const char *key, const char *what)
{
    const cJSON *t = json_get(obj, key);
    if (cJSON_IsString(t))
        return t;
    if (t == NULL)
        json_error_head(im->d, obj, "%s without a '%s'", what, key);
    else
        json_error(im->d, t, false, "'%s' must be a string, not %s", key, json_kind(t));
    return NULL;
}

/* The importers: one line per CRM of the registry, and the sources. */
extern const SchemaImporter schema_importer_sf, schema_importer_hs, schema_importer_dyn, schema_importer_snap,
    schema_importer_pd;
static const SchemaImporter *const importers[] = {
    &schema_importer_sf,
    &schema_importer_hs,
    &schema_importer_dyn,
    &schema_importer_snap,
    &schema_importer_pd,
    NULL,
};

static const SchemaImporter *importer(const char *system)
{
    for (const SchemaImporter *const *i = importers; system && *i; i++)
        if (strcmp((*i)->system, system) == 0)
            return *i;
    return NULL;
}

bool schema_system_known(const char *system)
{
    return importer(system) != NULL;
}

void schema_system_names(char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (const SchemaImporter *const *i = importers; *i && n < outlen; i++) {
        int w = snprintf(out + n, outlen - n, "%s%s", i == importers ? "" : i[1] ? ", " : " or ", (*i)->system);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static size_t import_source(DiagSink *sink, const char *system, const DiagSource *src,
                            const char *entity_hint, SchemaEntity ***out, size_t *nout)
{
    const SchemaImporter *imp = importer(system);
    JsonDoc d;
    Import im = { &d, system, entity_hint, out, nout, 0 };
    size_t before = *nout;
    if (imp == NULL) {
        char names[200];
        schema_system_names(names, sizeof names);
        Diag *e = diag_report(sink, DIAG_ERROR, "E0113", diag_span(src, 0, 0), "no importer for the system '%s'",
                              system ? system : "");
        diag_help(e, "the systems with an importer: %s", names);
        return 0;
    }
    if (json_doc_open(&d, sink, src) && !imp->import(&im)) {
        /* all or nothing: a document that failed adds no entity */
        for (size_t i = before; i < *nout; i++)
            schema_free((*out)[i]);
        *nout = before;
        im.added = 0;
    }
    json_doc_close(&d);
    return im.added;
}

size_t schema_import(DiagSink *sink, const char *system, const char *path, const char *text,
                     size_t len, const char *entity_hint, SchemaEntity ***out, size_t *nout)
{
    const DiagSource *src = diag_source_add(sink, path, text, len);
    return import_source(sink, system, src, entity_hint, out, nout);
}

size_t schema_import_file(DiagSink *sink, const char *system, const char *path,
                          const char *entity_hint, SchemaEntity ***out, size_t *nout)
{
    Span nowhere = { NULL, 0, 0 };
    const DiagSource *src = json_read_file(sink, path, NULL, nowhere, "vendor document");
    if (src == NULL)
        return 0;
    return import_source(sink, system, src, entity_hint, out, nout);
}

/* A field both documents describe: the later one's type and lists win, but
 * what it leaves out (a label, a length, values, references) is kept, and a
 * right or a duty either document states holds — an attribute document
 * fetched with a narrow $select says nothing about create or update. */
static void combine(SchemaBuilder *b, const Field *earlier, const Field *later)
{
    const Field *lists = later->nvalues > 0 || later->nreferences > 0 ? later : earlier;
    Field *c = schema_build_copy(b, lists);
    c->type = later->type;
    c->span = later->span;
    c->restricted = later->restricted || (lists == earlier && earlier->restricted);
    c->label = schema_build_strdup(b, later->label ? later->label : earlier->label);
    c->controller = schema_build_strdup(b, later->controller ? later->controller : earlier->controller);
    c->length = later->length > 0 ? later->length : earlier->length;
    c->createable = earlier->createable && later->createable;
    c->updateable = earlier->updateable && later->updateable;
    c->required = earlier->required || later->required;
    c->unique = earlier->unique || later->unique;
    c->external_id = earlier->external_id || later->external_id;
    const Field *range = later->has_min || later->has_max ? later : earlier;
    c->has_min = range->has_min;
    c->has_max = range->has_max;
    c->min = range->min;
    c->max = range->max;
    const Field *places = later->has_places ? later : earlier;
    c->has_places = places->has_places;
    c->places = places->places;
}

/* A field described in full, with what a field of facts only (a keys or
 * relationships document) says of it: a key, navigation properties (of a
 * reference field alone). */
static void add_facts(SchemaBuilder *b, const Field *full, const Field *facts)
{
    Field *c = schema_build_copy(b, full);
    c->unique = full->unique || facts->unique;
    if (full->facts_only && facts->type == FT_REFERENCE)
        c->type = FT_REFERENCE;     /* facts of two documents: a key's and a relationship's */
    for (size_t i = 0; i < facts->nreferences && c->type == FT_REFERENCE; i++)
        if (facts->navigations[i] != NULL)
            schema_build_navigation(b, c, facts->references[i], facts->navigations[i]);
}

/* f of one entity with g, its namesake in the other (NULL: none). A field
 * of facts only is kept alone while the other entity is facts only too (a
 * keys and a relationships document merged before their attributes). */
static void merge_field(SchemaBuilder *b, const Field *f, const Field *g, bool other_full)
{
    if (g == NULL) {
        if (!f->facts_only || !other_full)
            schema_build_copy(b, f);
    } else if (g->facts_only || f->facts_only) {
        if (!(g->facts_only && f->facts_only))
            add_facts(b, g->facts_only ? f : g, g->facts_only ? g : f);
        else
            add_facts(b, f, g);
    } else {
        combine(b, f, g);
    }
}

SchemaEntity *schema_merge(DiagSink *sink, SchemaEntity *first, SchemaEntity *later)
{
    SchemaBuilder b;
    schema_build_begin(&b, first->system, first->name, first->src, first->name_span);
    bool first_full = first->nfields > 0 && schema_facts_only(first) == NULL;
    bool later_full = later->nfields > 0 && schema_facts_only(later) == NULL;
    for (size_t i = 0; i < first->nfields; i++)
        merge_field(&b, &first->fields[i], schema_field(later, first->fields[i].name), later_full);
    for (size_t i = 0; i < later->nfields; i++)
        if (schema_field(first, later->fields[i].name) == NULL)
            merge_field(&b, &later->fields[i], NULL, first_full);
    schema_free(first);
    schema_free(later);
    return schema_build_end(&b, sink);
}
