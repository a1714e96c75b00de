/* serve_webhook: the request bodies `crmmap serve` accepts, turned into
 * source records (docs/serve.md, "What is accepted"): one JSON object (the
 * snapADDY Contacts webhook), a batch (NDJSON or a JSON array of objects),
 * or the snapADDY VisitReport webhook (its export, each report becoming
 * one record as snap_export.h builds it, the same records `crmmap run`
 * makes of the export). Each record comes
 * out as one compact line of JSON, the form the inbox stores and hashes: a
 * posted record as it was received, only the whitespace between tokens
 * removed (no string or number is rewritten); a VisitReport's records as
 * cJSON prints what was built. */
#ifndef SERVE_WEBHOOK_H
#define SERVE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ServeShape { SHAPE_RECORD, SHAPE_BATCH, SHAPE_VISITREPORT } ServeShape;

typedef struct ServeRecords {
    char **text;            /* compact JSON, one object each */
    size_t *len;
    char **report_id;       /* visitreport.id as text, or NULL */
    size_t n;
} ServeRecords;

/* At most this many records in one request. */
#define SERVE_MAX_RECORDS 10000u

/* False when the body is not of the shape: err says why and where
 * (the NDJSON line, the array item, the report); *over is set when the
 * records would take more than max_output bytes in all (a VisitReport
 * copies an option's value for each reference to it). Time and memory are
 * O(n log n) in the body's size, whatever it references. */
bool serve_parse_body(ServeShape shape, const char *body, size_t len, size_t max_output, ServeRecords *out,
                      bool *over, char *err, size_t errlen);
void serve_records_free(ServeRecords *r);

#endif
