/* mtest: the mapping test cases of `crmmap test` (docs/testing.md). Owns the
 * case model: reading a case file (mtest_case.c) into cases whose every
 * expectation is resolved against the compiled mapping — entity and field
 * indexes of the loaded Mapc, owner e-mails to user ids — and running one
 * case on the VM and comparing (mtest_run.c), each unmet expectation an
 * E0303 diagnostic at the .map span that produced the value; what it asks of
 * the mapping's source is in mtest_map.c.
 *
 * Case-file problems are E0301 (malformed, wrong shape) and E0302 (a name the
 * mapping does not know), at the case file's line:col. */
#ifndef MTEST_H
#define MTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "diag.h"
#include "mapc.h"
#include "mapc_cli.h"
#include "reader.h"
#include "schema_json.h"
#include "vm.h"

/* The mapping under test: its checked form (spans, users) and its loaded
 * bytecode (what runs). Entity i of c is entity i of m. The names of m's
 * entities and fields as C strings (a Mapc's are not NUL-terminated). */
typedef struct MtMap {
    const Checked *c;
    const Mapc *m;
    const char **entity_names;
    const char ***field_names;  /* [entity][field] */
    CmArena arena;
} MtMap;

void mt_map_init(MtMap *map, const Checked *c, const Mapc *m);
void mt_map_free(MtMap *map);

/* What a case expects of an entity as a whole. */
typedef enum MtOutcome {
    MT_RECORD,      /* a record (the default when only fields are expected) */
    MT_NO_RECORD,   /* the entity's `when` is false */
    MT_REJECT,      /* message: the reject rule's */
    MT_SKIPPED,     /* the parent it refs produced no record */
    MT_ERROR        /* message: a runtime error's text */
} MtOutcome;

/* One field's expected value, exactly as the dry run prints it. */
typedef struct MtField {
    uint32_t field;             /* index into the Mapc entity's fields */
    const cJSON *value;         /* NULL: the field must not be sent */
    const char *owner;          /* the e-mail an expected owner was given as */
    Span at;                    /* where the case file says so */
} MtField;

typedef struct MtEntity {
    uint32_t entity;            /* index into Mapc.entities */
    MtOutcome outcome;
    const char *message;        /* MT_REJECT, MT_ERROR */
    Span at;                    /* the entity's key in the case */
    Span outcome_at;            /* the reject/no_record/skipped/error value */
    MtField *fields;
    size_t nfields;
    /* "partial": fields left out with these messages (value: the message
     * string); any other partial note of the entity fails the case. */
    MtField *partial;
    size_t npartial;
} MtEntity;

typedef struct MtCase {
    const char *name;
    Span name_at;               /* src NULL when the case has no name */
    Span at;                    /* the case object */
    const char *input;          /* the input record's JSON text, as written */
    size_t input_len;
    Span input_at;
    MtEntity *entities;         /* in the mapping's entity order */
    size_t nentities;
    DiagSink *problems;         /* this case's E0301/E0302: it runs only when empty */
} MtCase;

typedef struct MtFile {
    const char *path;
    DiagSink *sink;             /* owns the case file's source; problems of the
                                   file as a whole (a malformed file has no cases) */
    JsonDoc doc;
    cJSON *made;                /* values made while resolving (owner ids) */
    MtCase *cases;
    size_t ncases;
} MtFile;

/* Largest case file read: far above any hand-written one. */
#define MT_MAX_FILE (16u * 1024u * 1024u)

/* Reads and resolves a case file. Problems of the file go to f->sink, those
 * of one case to its own sink. Never NULL. */
MtFile *mt_file_load(const char *path, const MtMap *map);
/* The same for a case file's text as an editor holds it (len bytes). */
MtFile *mt_file_parse(const char *path, const char *text, size_t len, const MtMap *map);
void mt_file_free(MtFile *f);

/* Case file paths (taken strings), in the order their cases run. */
typedef struct MtPaths {
    char **v;
    size_t n;
} MtPaths;

/* Adds path, or the *.json files of the folder path in name order; false
 * when the folder cannot be read. */
bool mt_paths_add(MtPaths *p, const char *path);
/* Adds the default case files of DIR/STEM.map: DIR/STEM.test.json, then
 * the .json files of DIR/STEM.tests in name order. */
void mt_paths_discover(MtPaths *p, const char *map);
void mt_paths_free(MtPaths *p);

/* What running a case needs: the mapping's VM with its reader paths and
 * slots (made for map->m). */
typedef struct MtRunner {
    const MtMap *map;
    RecordVm *rv;
} MtRunner;

/* Reads case k's input record and runs every entity on it, then calls
 * done with the m->nentities results (valid during the call). An
 * unreadable record is an E0301 to sink instead. True when there was none. */
typedef void (*MtResults)(void *arg, const VmResult *res);
bool mt_case_results(MtRunner *r, const MtCase *k, DiagSink *sink, MtResults done, void *arg);

/* Runs case k of f and reports every unmet expectation to sink as E0303 (an
 * unreadable input record as E0301). True when the case passed. */
bool mt_run_case(MtRunner *r, const MtFile *f, const MtCase *k, DiagSink *sink);

/* True when an assignment of entity e holds a `ref`: only then can it be
 * skipped. */
bool mt_entity_refs(const MtMap *map, uint32_t e);

/* The owner field of Mapc entity e: the field assigned from user(...), else
 * the system's owner field (OwnerId, hubspot_owner_id, ownerid) when the
 * entity assigns it; -1 when there is none or more than one. */
int32_t mt_owner_field(const MtMap *map, uint32_t e);

/* The assignment statement of Mapc entity e's field f (NULL if none). */
const Stmt *mt_assignment(const MtMap *map, uint32_t e, uint32_t f);

#endif
