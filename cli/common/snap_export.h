/* snap_export: snapADDY's VisitReport export (the document the VisitReport
 * webhook posts and the REST resources' flat form of it: a questionnaire
 * with its questions and the selected reports) turned into source records,
 * one per report: contact fields, `visitreport` metadata and `answers`
 * keyed by question mapping id, as examples/schemas/snapaddy/lead.json
 * describes (docs/serve.md, "What snapADDY sends"). `crmmap serve` converts
 * a POST /visitreports body with it and `crmmap run` an --input file, so
 * both build the same records. Also the JSON text helpers both need:
 * where a value ends, and a position as line:col. */
#ifndef SNAP_EXPORT_H
#define SNAP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* What the records of one document may take in all, charged as they are
 * built: a report copies an option's value for every reference to it, so
 * a small document can ask for gigabytes. over: it was spent. */
typedef struct SnapBudget {
    size_t left;
    bool over;
} SnapBudget;

bool snap_charge(SnapBudget *b, size_t n);

/* One report, converted. */
typedef struct SnapRecord {
    size_t report;          /* 1-based, in the document's order */
    size_t at;              /* the report's byte offset in the document (0: not found) */
    char *text;             /* the record as cJSON prints it (cm_free; the callee owns it), NULL with why */
    size_t len;
    char *report_id;        /* visitreport.id as text or NULL (cm_free; the callee owns it) */
    const char *why;        /* NULL, or why the report could not be converted */
} SnapRecord;

/* Called for each report in order; false stops the conversion. */
typedef bool (*SnapEach)(void *ctx, SnapRecord *r);

/* Converts the export doc (len bytes), charging b, and hands each report
 * to each. False when doc is not an export (err says why; when its JSON is
 * malformed, with the line and column, and *where points there, else
 * *where is NULL), when b was spent (b->over; err is not set), or when
 * each stopped. Time and memory are O(n log n) in the document's size,
 * whatever it references. */
bool snap_export_records(const char *doc, size_t len, SnapBudget *b, SnapEach each, void *ctx, const char **where,
                         char *err, size_t errlen);

/* The visitreport.id of a record (parsed), as text, or NULL. */
char *snap_report_id(const struct cJSON *record);

/* text[0..len) parsed as one JSON value (strict: nothing but whitespace
 * after it); NULL with err ("malformed JSON at line L, column C", counted
 * from whole) when it is not. */
struct cJSON *snap_json_parse(const char *text, size_t len, const char *whole, char *err, size_t errlen);
/* Where the JSON value starting at text[i] ends (text is valid JSON). */
size_t snap_json_value_end(const char *text, size_t len, size_t i);
size_t snap_json_skip_space(const char *text, size_t len, size_t i);
/* The 1-based line and column of at in text. */
void snap_json_line_col(const char *text, const char *at, size_t *line, size_t *col);

#endif
