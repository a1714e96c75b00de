/* bulk_csv: the CSV of the CRMs' bulk engines (RFC 4180: comma, LF rows,
 * a field quoted when it holds a comma, a quote or a line break, a quote
 * doubled inside) — written for a job's upload, read back from its result
 * files. */
#ifndef BULK_CSV_H
#define BULK_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "cm_buf.h"

/* Appends one field (not its separator). */
void csv_put_field(CmBuf *b, const char *s, size_t n);
/* Appends the header row of the n column names. */
void csv_put_header(CmBuf *b, const char *const *cols, size_t n);

/* One row read: its fields, unquoted, each NUL-terminated in text. */
typedef struct CsvRow {
    CmBuf text;
    size_t *at;                 /* field i starts at text.data + at[i] */
    size_t n, cap;
} CsvRow;

/* Reads the row at *p (before end) into row and moves *p past it; false
 * at the end of the text, or (with *bad set) at an unterminated quote. */
bool csv_next_row(const char **p, const char *end, CsvRow *row, bool *bad);
static inline const char *csv_field(const CsvRow *row, size_t i)
{
    return i < row->n ? row->text.data + row->at[i] : "";
}
void csv_row_free(CsvRow *row);

#endif
