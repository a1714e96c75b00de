/* mtest_junit: see mtest_junit.h. */
#include "mtest_junit.h"

#include <string.h>

/* Text as XML character data or attribute value: the five specials escaped,
 * and the control characters XML 1.0 forbids shown as '?'. */
static void put_xml(CmBuf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': cm_buf_puts(out, "&amp;"); break;
        case '<': cm_buf_puts(out, "&lt;"); break;
        case '>': cm_buf_puts(out, "&gt;"); break;
        case '"': cm_buf_puts(out, "&quot;"); break;
        case '\'': cm_buf_puts(out, "&apos;"); break;
        default: cm_buf_putc(out, c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : (char)c); break;
        }
    }
}

/* The first line of a report, for the failure's message attribute. */
static void put_first_line(CmBuf *out, const char *text)
{
    const char *nl = strchr(text, '\n');
    CmBuf line = CM_BUF_INIT;
    cm_buf_put(&line, text, nl ? (size_t)(nl - text) : strlen(text));
    put_xml(out, line.data ? line.data : "");
    cm_buf_free(&line);
}

void mt_junit(const char *suite, const MtResult *results, size_t n, CmBuf *out)
{
    size_t failures = 0, errors = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        failures += results[i].verdict == MT_FAILED;
        errors += results[i].verdict == MT_BROKEN;
        total += results[i].seconds;
    }
    cm_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    cm_buf_printf(out, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", n, failures, errors);
    cm_buf_puts(out, "  <testsuite name=\"");
    put_xml(out, suite);
    cm_buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n", n,
                  failures, errors, total);
    for (size_t i = 0; i < n; i++) {
        const MtResult *r = &results[i];
        cm_buf_puts(out, "    <testcase classname=\"");
        put_xml(out, r->file);
        cm_buf_puts(out, "\" name=\"");
        put_xml(out, r->name);
        cm_buf_printf(out, "\" time=\"%.3f\"", r->seconds);
        if (r->verdict == MT_PASSED) {
            cm_buf_puts(out, "/>\n");
            continue;
        }
        const char *tag = r->verdict == MT_FAILED ? "failure" : "error";
        cm_buf_printf(out, ">\n      <%s message=\"", tag);
        put_first_line(out, r->text);
        cm_buf_printf(out, "\" type=\"%s\">", r->verdict == MT_FAILED ? "expectation not met" : "invalid test case");
        put_xml(out, r->text);
        cm_buf_printf(out, "</%s>\n    </testcase>\n", tag);
    }
    cm_buf_puts(out, "  </testsuite>\n</testsuites>\n");
}
