/* schema_import: what the vendor importers share (internal to schema*.c).
 * An importer reads one parsed vendor document leniently (vendors omit keys
 * freely) but reports what it cannot represent — a field without a name, a
 * type it does not know — as E0113 at the offending text, never guessing. */
#ifndef SCHEMA_IMPORT_H
#define SCHEMA_IMPORT_H

#include "schema.h"
#include "schema_build.h"
#include "schema_json.h"

typedef struct Import {
    JsonDoc *d;
    const char *system;         /* SchemaImporter.system */
    const char *hint;           /* --entity, or NULL */
    SchemaEntity ***out;
    size_t *nout;
    size_t added;
} Import;

/* The importer of one system's documents: a CRM's (named as in the
 * registry, crm_vendor.h) or a source's ("snapaddy"). import returns false
 * when it reported an error (nothing added then). Each importer file
 * defines one; schema_import.c lists them. */
typedef struct SchemaImporter {
    const char *system;
    bool (*import)(Import *im);
} SchemaImporter;

/* A Common Data Model entity definition (the Dynamics importer's other form). */
bool import_cdm(Import *im);

/* A vendor's name of a field type and the type it becomes. */
typedef struct ImportType {
    const char *name;
    FieldType type;
} ImportType;

/* The entry of table[0..n) called name, NULL when none. */
const ImportType *import_type_find(const ImportType *table, size_t n, const char *name);
/* The same, or NULL after json_unknown_name's E0113 at node ("unknown WHAT",
 * a did-you-mean from the table's names, else the help otherwise). */
const ImportType *import_type_lookup(Import *im, const ImportType *table, size_t n, const char *name,
                                     const cJSON *node, const char *what, const char *otherwise);

/* The entity's name: the document's own where it has one, else the hint;
 * neither is an E0113 at the document's start, asking for --entity. */
const char *import_entity_name(Import *im, const char *from_document, const char *what);

/* Begins b for the entity import_entity_name finds, placed at the start of
 * the document (its fields carry their own places). False when unnamed. */
bool import_begin(Import *im, SchemaBuilder *b, const char *from_document, const char *what);
/* Finishes b (the shared checks of schema_build_end) and appends it; when
 * ok is false (the importer reported an error) abandons it instead. */
bool import_finish(Import *im, SchemaBuilder *b, bool ok);

/* E0113 for a member a vendor document must have. */
bool import_need_name(Import *im, const cJSON *obj, const char *key, const char *what,
                      const char **out);

/* The array member key of the document's root, or NULL after an E0113 "not
 * WHAT: no "KEY" array" with help (where to get such a document). */
const cJSON *import_root_array(Import *im, const char *key, const char *what, const char *help);
/* The string member naming a field's type (key, e.g. "type"); NULL after an
 * E0113 when it is missing ("WHAT without a 'KEY'") or not a string. */
const cJSON *import_type_name(Import *im, const cJSON *obj, const char *key, const char *what);

#endif
