/* schema_json: the JSON layer under the schema loader and the importers (the
 * only place besides schema*.c that sees cJSON). It reads a file within the
 * caps of schema.h, refuses what cJSON would choke on or what would cost
 * unbounded memory (nesting, node count, control characters, invalid UTF-8,
 * duplicate keys), parses with cJSON, and indexes the byte position of every
 * value and key so any diagnostic can point at the offending text: cJSON keeps
 * no positions itself. Every problem is an E0113 diagnostic (E0301 for the
 * test-case files of `crmmap test`, which read through this layer too). */
#ifndef SCHEMA_JSON_H
#define SCHEMA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "diag.h"

/* Deeper than any schema or vendor document (the CDM files nest 12 levels);
 * far below cJSON's own limit, so its recursion stays shallow. */
#define JSON_MAX_DEPTH 64
/* Values in one document: bounds the parse tree's memory (~100 bytes each). */
#define JSON_MAX_NODES 2000000u

typedef struct JsonPos JsonPos;

typedef struct JsonDoc {
    const char *code;       /* the code of every diagnostic: "E0113", "E0301" */
    DiagSink *sink;
    const DiagSource *src;
    const char *text;       /* the source's text as the sink holds it */
    size_t len;
    cJSON *root;
    JsonPos *pos;           /* open-addressing table: node -> offsets */
    size_t pos_cap;
} JsonDoc;

/* Reads path (at most SCHEMA_MAX_FILE bytes) and registers it with the sink.
 * tree: NULL, or the real path of the folder tree the file must lie in,
 * checked on the opened file (path_guard.h).
 * On failure reports E0113 at `at` (or at the file when at.src is NULL) and
 * returns NULL; what names the file in the message ("schema file", ...). */
const DiagSource *json_read_file(DiagSink *sink, const char *path, const char *tree, Span at,
                                 const char *what);

/* Parses src's text. On failure (reported as E0113) returns false and d->root
 * is NULL; json_doc_close is safe either way. */
bool json_doc_open(JsonDoc *d, DiagSink *sink, const DiagSource *src);
/* The same, reporting its problems, and json_error's, under another code. */
bool json_doc_open_as(JsonDoc *d, DiagSink *sink, const DiagSource *src, const char *code);
void json_doc_close(JsonDoc *d);

/* Where node is in the text: its value, or its key when it has one (the
 * value's span otherwise). A node of another document gives the whole file. */
Span json_span(const JsonDoc *d, const cJSON *node);
Span json_key_span(const JsonDoc *d, const cJSON *node);

/* d->code at node (its key when key is true). */
Diag *json_error(JsonDoc *d, const cJSON *node, bool key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* d->code at node's first character: for what is missing inside an object or
 * array, without underlining all of it. */
Diag *json_error_head(JsonDoc *d, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* d->code "unknown WHAT 'NAME'" at node, with "did you mean" the closest of
 * names[] when one is close, else the help `otherwise` (NULL: none). */
void json_unknown_name(JsonDoc *d, const cJSON *node, const char *what, const char *name,
                       const char *const *names, size_t n, const char *otherwise);

/* "a string", "a number", ... for messages. */
const char *json_kind(const cJSON *node);

/* Member key of object obj (case-sensitive), NULL when absent. */
const cJSON *json_get(const cJSON *obj, const char *key);

/* Reports every key of obj not in allowed[] (keys starting with "x-" are
 * extensions and always allowed), with a did-you-mean. False if any. */
bool json_check_keys(JsonDoc *d, const cJSON *obj, const char *what,
                     const char *const *allowed, size_t nallowed);

/* Strict accessors for the normalized formats: report E0113 and return false
 * when the key is missing (required) or has the wrong type; when absent and
 * optional, leave *out untouched and return true. A JSON null counts as
 * absent for optional keys. Strings longer than SCHEMA_MAX_STRING or empty
 * (when nonempty) are errors. */
bool json_want_string(JsonDoc *d, const cJSON *obj, const char *key, bool required,
                      bool nonempty, const char **out, const cJSON **node);
bool json_want_bool(JsonDoc *d, const cJSON *obj, const char *key, bool *out);
bool json_want_int(JsonDoc *d, const cJSON *obj, const char *key, long min, long max, long *out);
bool json_want_array(JsonDoc *d, const cJSON *obj, const char *key, bool required,
                     const cJSON **out);

/* Lenient accessors for vendor documents: absent or of another type gives
 * the fallback, no diagnostic (vendors omit keys freely). */
const char *json_str(const cJSON *obj, const char *key);
bool json_bool(const cJSON *obj, const char *key, bool fallback);
/* An integral number in [min, max], else fallback. */
long json_long(const cJSON *obj, const char *key, long min, long max, long fallback);

/* The first element of the array member key, NULL when it is absent, empty
 * or not an array: for walking a vendor's optional lists. */
const cJSON *json_items(const cJSON *obj, const char *key);

/* True when the number is an integer exactly representable as a double. */
bool json_is_integer(const cJSON *node);

#endif
