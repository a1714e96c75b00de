/* schema: field definitions (docs/schema.md) — the normalized model, its loader
 * (crmmap-schema/1 and crmmap-users/1 files), and the importers that turn the
 * vendors' own metadata responses into it. Only this module (schema*.c) sees
 * cJSON. Every problem with a file is an E0113 diagnostic with file:line:col. */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"
#include "diag.h"

typedef enum FieldType {
    FT_STRING, FT_TEXT, FT_EMAIL, FT_PHONE, FT_URL, FT_INT, FT_DECIMAL, FT_BOOL,
    FT_DATE, FT_DATETIME, FT_TIME, FT_DURATION, FT_PICKLIST, FT_MULTIPICKLIST,
    FT_REFERENCE, FT_ID, FT_BINARY,
    FT_FILE,                /* a source file: a URL, data: URI or base64 (docs/files.md) */
    FT_FILES                /* a source list of files (snapADDY's attachments) */
} FieldType;

/* "string", "picklist", ...; and back (false for an unknown name). */
const char *schema_type_name(FieldType t);
bool schema_type_parse(const char *name, FieldType *t);
/* Every type name, indexed by FieldType (for did-you-mean). */
const char *const *schema_type_names(size_t *n);

typedef struct PickValue {
    const char *value;      /* as sent to the CRM; Dynamics: the integer as text ("100000000") */
    const char *label;      /* NULL when the document gives none */
    bool active;            /* inactive values stay listed but are not offered */
    const char *valid_for;  /* Salesforce dependent picklist: base64 validFor, else NULL */
} PickValue;

typedef struct Field {
    const char *name;
    const char *label;      /* NULL when absent */
    FieldType type;
    int length;             /* maximum length in characters; 0 = unknown/unlimited */
    int precision, scale;   /* decimal: digits in all and after the point; 0 = unknown */
    /* Numbers: the least and greatest value the field takes
     * (MinValue, MaxValue) and the digits it keeps after the point
     * (Precision); has_*: the schema says. */
    bool has_min, has_max, has_places;
    double min, max;
    int places;
    bool required;          /* must be set on create */
    bool createable, updateable;
    bool unique;            /* usable as an upsert/update key (unique, alternate key, id property) */
    bool external_id;       /* Salesforce externalId / idLookup */
    bool restricted;        /* picklists: only listed values accepted */
    bool numeric_values;    /* picklists whose values are integers (Dynamics option sets) */
    PickValue *values;
    size_t nvalues;
    const char **references;    /* reference: entities it may point to */
    const char **navigations;   /* per reference, the navigation property a link to it is
                                 * written through (Dataverse's ReferencingEntityNavigationProperty-
                                 * Name, exact case), or NULL when the schema does not know it */
    size_t nreferences;
    const char *controller;     /* dependent picklist: controlling field, else NULL */
    /* Only the facts of a keys or relationships document (unique, a
     * reference's navigation property): merged into the attribute's own
     * description by schema_merge, which drops it where there is none;
     * never written. */
    bool facts_only;
    Span span;                  /* where the field is defined (for diagnostics) */
} Field;

typedef struct SchemaEntity {
    const char *system;     /* "salesforce", "hubspot", "dynamics", "snapaddy", ... */
    const char *name;       /* "Contact", "contacts", "contact", "lead" */
    Field *fields;
    size_t nfields;
    const DiagSource *src;  /* the file it was loaded from (owned by the sink) */
    CmArena arena;          /* owns every string and array above */
    Span name_span;         /* where the file names the entity */
    size_t *by_name;        /* field indexes sorted by name, for schema_field */
} SchemaEntity;

/* snapaddy_ids and emails link the source's users to this CRM user:
 * user(x) and creator() find a user by any of them (docs/schema.md). */
typedef struct User {
    const char *id, *email, *name;
    bool active;
    const char **snapaddy_ids, **emails;
    size_t nsnapaddy_ids, nemails;
} User;

typedef struct UsersFile {
    const char *system;
    User *users;
    size_t nusers;
    const DiagSource *src;
    CmArena arena;
} UsersFile;

/* Spans and src point into sources the sink owns: free entities and users
 * files before the sink. */

/* Loads one crmmap-schema/1 file. Errors (unreadable, malformed JSON, missing
 * or mistyped keys, duplicate fields, over the size cap) go to sink as E0113
 * with the file's line:col, and the result is NULL. `at` is where the .map
 * named the file (the diagnostic points there when the file can't be read);
 * pass a Span with src NULL when there is none. tree: NULL, or the real path
 * of the folder tree the file must lie in, checked on the opened file
 * (path_guard.h). */
SchemaEntity *schema_load(DiagSink *sink, const char *path, const char *tree, Span at);
/* Loads every *.json file in a directory except users.json, one entity each,
 * in file-name order. Returns a cm_malloc'd array (NULL when count is 0);
 * files that fail are reported and left out; two files defining the same
 * entity are an error (the second is left out). */
SchemaEntity **schema_load_dir(DiagSink *sink, const char *dir, const char *tree, Span at,
                               size_t *count);
void schema_free(SchemaEntity *e);
/* The same from text in memory (name is what diagnostics call it). */
SchemaEntity *schema_load_text(DiagSink *sink, const char *name, const char *text, size_t len);

const Field *schema_field(const SchemaEntity *e, const char *name);   /* exact, case-sensitive */
/* True when any reference of f has a navigation property. */
bool schema_field_navigable(const Field *f);
/* The first field of e that holds only keys or relationships facts (an
 * entity imported from such a document alone), NULL when none. */
const Field *schema_facts_only(const SchemaEntity *e);

UsersFile *users_load(DiagSink *sink, const char *path, const char *tree, Span at);
UsersFile *users_load_text(DiagSink *sink, const char *name, const char *text, size_t len);
void users_free(UsersFile *u);
const User *users_find_email(const UsersFile *u, const char *email);   /* case-insensitive */
/* The user key names: its e-mail, one of its emails or snapaddy_ids
 * (case-insensitive); an active user before an inactive one. */
const User *users_find_key(const UsersFile *u, const char *key);
/* Calls each(user, key) for every key user(x) finds u's users by. */
void users_each_key(const UsersFile *u, void (*each)(void *ctx, const User *user, const char *key), void *ctx);

/* Writes e in the normalized crmmap-schema/1 form, canonically (stable key
 * order, two-space indent), so committed schemas diff cleanly. */
void schema_write(const SchemaEntity *e, CmBuf *out);
void users_write(const UsersFile *u, CmBuf *out);

/* Importers: one vendor document (the text of a saved response) to entities.
 * entity_hint names the entity where the document does not. Returns how many
 * entities were appended to *out (an array the caller frees with schema_free
 * on each element and cm_free on the array); 0 on error (reported to sink). */
/* system: a CRM's name (crm_vendor.h) or a source's ("snapaddy"). */
bool schema_system_known(const char *system);
/* The systems with an importer, for a message: "a, b or c"; cut to fit. */
void schema_system_names(char *out, size_t outlen);
size_t schema_import(DiagSink *sink, const char *system, const char *path, const char *text,
                     size_t len, const char *entity_hint, SchemaEntity ***out, size_t *nout);

/* schema_import on a file read within the caps (E0113 when unreadable). */
size_t schema_import_file(DiagSink *sink, const char *system, const char *path,
                          const char *entity_hint, SchemaEntity ***out, size_t *nout);
/* One entity from two descriptions of it (several documents for one entity,
 * such as a Dynamics attribute list and an option set document): a field in
 * both takes the later's type, values and references where it lists any,
 * and keeps what the later leaves out (docs/schema.md). A field of facts
 * only (a keys or relationships document) adds its facts to the other's
 * field, and is dropped where the other has none. Frees both; NULL
 * (reported) if the result fails the entity checks. */
SchemaEntity *schema_merge(DiagSink *sink, SchemaEntity *first, SchemaEntity *later);

/* Caps on what a schema or users file may hold. */
#define SCHEMA_MAX_FILE (64u * 1024u * 1024u)
#define SCHEMA_MAX_FIELDS 20000
#define SCHEMA_MAX_STRING (64u * 1024u)
#define SCHEMA_MAX_VALUES 20000     /* picklist values (or references) of one field */
#define SCHEMA_MAX_USERS 100000
#define SCHEMA_MAX_DIR_FILES 10000  /* entity files in one schema directory */

#endif
