/* schema_build: how the loader and the importers assemble a SchemaEntity in
 * its arena, and the checks every entity passes whatever it came from
 * (duplicate fields, dangling controllers, caps). Internal to schema*.c. */
#ifndef SCHEMA_BUILD_H
#define SCHEMA_BUILD_H

#include "schema.h"
#include "schema_json.h"

typedef struct SchemaBuilder {
    SchemaEntity *e;
    size_t cap;             /* room in e->fields */
} SchemaBuilder;

/* A new entity; strings are copied into its arena. */
void schema_build_begin(SchemaBuilder *b, const char *system, const char *name,
                        const DiagSource *src, Span name_span);
/* Appends a field with the defaults of docs/schema.md (createable and
 * updateable true, the rest false, type string). The pointer is valid until
 * the next schema_build_field. */
Field *schema_build_field(SchemaBuilder *b, const char *name, Span span);
char *schema_build_strdup(SchemaBuilder *b, const char *s);
void schema_build_value(SchemaBuilder *b, Field *f, const char *value, const char *label,
                        bool active, const char *valid_for);
void schema_build_reference(SchemaBuilder *b, Field *f, const char *entity);
/* The navigation property a link to entity goes through; entity is added
 * to the references when f does not list it. */
void schema_build_navigation(SchemaBuilder *b, Field *f, const char *entity, const char *navigation);
/* Appends a deep copy of f (from another entity). */
Field *schema_build_copy(SchemaBuilder *b, const Field *f);
/* Indexes the fields and checks the whole entity: no field twice, each
 * controller names a picklist or bool field, caps. Reports E0113 and frees
 * the entity on failure (NULL); the entity otherwise. */
SchemaEntity *schema_build_end(SchemaBuilder *b, DiagSink *sink);
/* Frees a half-built entity (an importer gave up). */
void schema_build_abandon(SchemaBuilder *b);

/* Builds the field (or fields) of one element of a document's field list. */
typedef bool (*SchemaFieldFn)(void *ctx, SchemaBuilder *b, const cJSON *item);
/* Counts one more field in *n: past SCHEMA_MAX_FIELDS, an E0113 "more than
 * N NOUN" at `at` and false. */
bool schema_build_room(JsonDoc *d, size_t *n, const cJSON *at, const char *noun);
/* The same for the picklist values (or references) of one field, up to
 * SCHEMA_MAX_VALUES. */
bool schema_build_value_room(JsonDoc *d, size_t *n, const cJSON *at, const char *noun);
/* Calls each(ctx, b, element) on every element of list, counted in *n by
 * schema_build_room (it stops at the cap) — on all of them even after a
 * failure, so that every bad element is reported. False when any failed. */
bool schema_build_each(SchemaBuilder *b, JsonDoc *d, const cJSON *list, const char *noun, size_t *n,
                       SchemaFieldFn each, void *ctx);

#endif
