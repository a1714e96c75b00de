/* bulk_csv: see bulk_csv.h. */
#include "bulk_csv.h"

#include <string.h>

#include "cm_alloc.h"

void csv_put_field(CmBuf *b, const char *s, size_t n)
{
    if (strcspn(s, ",\"\r\n") >= n && memchr(s, '\0', n) == NULL) {
        cm_buf_put(b, s, n);
        return;
    }
    cm_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            cm_buf_putc(b, '"');
        cm_buf_putc(b, s[i]);
    }
    cm_buf_putc(b, '"');
}

void csv_put_header(CmBuf *b, const char *const *cols, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k)
            cm_buf_putc(b, ',');
        csv_put_field(b, cols[k], strlen(cols[k]));
    }
    cm_buf_putc(b, '\n');
}

static void start_field(CsvRow *row)
{
    if (row->n == row->cap) {
        row->cap = row->cap ? 2 * row->cap : 16;
        row->at = cm_realloc(row->at, row->cap * sizeof *row->at);
    }
    row->at[row->n++] = row->text.len;
}

/* The length of the run from s (before end) of bytes that mean nothing
 * special: inside quotes all but '"', outside also ',', CR and LF. */
static size_t run_len(const char *s, const char *end, bool quoted)
{
    if (quoted) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        return q ? (size_t)(q - s) : (size_t)(end - s);
    }
    const char *p = s;
    while (p < end && *p != '"' && *p != ',' && *p != '\r' && *p != '\n')
        p++;
    return (size_t)(p - s);
}

bool csv_next_row(const char **p, const char *end, CsvRow *row, bool *bad)
{
    const char *s = *p;
    *bad = false;
    cm_buf_clear(&row->text);
    row->n = 0;
    if (s >= end)
        return false;
    start_field(row);
    bool quoted = false;
    while (s < end) {
        /* the bytes up to the next one that means something, at once:
         * a result file is a job's every row */
        size_t n = run_len(s, end, quoted);
        cm_buf_put(&row->text, s, n);
        s += n;
        if (s == end)
            break;
        char ch = *s++;
        if (quoted) {
            if (s < end && *s == '"')
                cm_buf_putc(&row->text, *s++);
            else
                quoted = false;
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            cm_buf_putc(&row->text, '\0');
            start_field(row);
        } else {
            s += ch == '\r' && s < end && *s == '\n';
            break;
        }
    }
    cm_buf_putc(&row->text, '\0');
    *p = s;
    *bad = quoted;
    return !quoted;
}

void csv_row_free(CsvRow *row)
{
    cm_buf_free(&row->text);
    cm_free(row->at);
    memset(row, 0, sizeof *row);
}
