/* The bulk engines' CSV reader (runtime/crm/bulk_csv.c) on what result
 * files hold: quoted fields with commas, doubled quotes and line breaks,
 * empty fields, CR LF and LF rows, a NUL byte kept as data, a last row
 * without its line end, and an unterminated quote refused. */
#include <stdio.h>
#include <string.h>

#include "bulk_csv.h"

static int failures;

static void expect_row(const char **p, const char *end, CsvRow *row, const char *const *want, size_t n,
                       const char *what)
{
    bool bad = false;
    bool ok = csv_next_row(p, end, row, &bad) && !bad && row->n == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(csv_field(row, i), want[i]) == 0;
    if (!ok) {
        failures++;
        printf("FAIL: %s: %zu fields, first '%s'\n", what, row->n, csv_field(row, 0));
    }
}

int main(void)
{
    static const char text[] = "sf__Id,sf__Error,Email\r\n"
                               "\"001\",\"A:b, c --\",\"x@y.z\"\n"
                               "002,\"say \"\"hi\"\"\",\"two\nlines\"\n"
                               ",,\n"
                               "n\0l,last";
    const char *p = text, *end = text + sizeof text - 1;
    CsvRow row = { CM_BUF_INIT, NULL, 0, 0 };
    expect_row(&p, end, &row, (const char *const[]){ "sf__Id", "sf__Error", "Email" }, 3, "a header, CR LF");
    expect_row(&p, end, &row, (const char *const[]){ "001", "A:b, c --", "x@y.z" }, 3, "quoted commas");
    expect_row(&p, end, &row, (const char *const[]){ "002", "say \"hi\"", "two\nlines" }, 3,
               "doubled quotes, a line break inside quotes");
    expect_row(&p, end, &row, (const char *const[]){ "", "", "" }, 3, "empty fields");
    bool bad = false;
    if (!csv_next_row(&p, end, &row, &bad) || row.n != 2 || memcmp(row.text.data, "n\0l", 4) != 0
        || strcmp(csv_field(&row, 1), "last") != 0) {
        failures++;
        printf("FAIL: a NUL byte is data, a last row without its line end\n");
    }
    if (csv_next_row(&p, end, &row, &bad) || bad) {
        failures++;
        printf("FAIL: the end of the text\n");
    }
    static const char open[] = "a,\"b\nc";
    p = open;
    if (csv_next_row(&p, open + sizeof open - 1, &row, &bad) || !bad) {
        failures++;
        printf("FAIL: an unterminated quote is refused\n");
    }
    csv_row_free(&row);
    return failures ? 1 : 0;
}
